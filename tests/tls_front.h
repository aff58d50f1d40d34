/* tls_front.h - real TLS on loopback for the tests of the Neo4j client
 * (t_neo4j_http_auth.c). Throw-away certificates are made in the test's
 * directory with the openssl command (tools/install-deps installs it),
 * and a Node script (tests/tls_front.mjs; Node as for tests/neo4j/) ends
 * TLS on a free loopback port per certificate, passing the bytes to a
 * plain server on 127.0.0.1: the scripted fake (http_fake.h), which sees
 * the requests that got through and answers them. */
#ifndef OP_TLS_FRONT_H
#define OP_TLS_FRONT_H

#include <sys/types.h>

#include "check.h"

/* The certificates the front serves, one port each. */
enum t_tls_cert {
	T_TLS_GOOD,  /* signed by the test CA, for 127.0.0.1 and localhost */
	T_TLS_SELF,  /* self-signed, for 127.0.0.1 and localhost */
	T_TLS_WRONG, /* signed by the test CA, for wrong.example only */
	T_TLS_N
};

struct t_tls_front {
	pid_t pid;
	char url[T_TLS_N][64]; /* "https://127.0.0.1:PORT" per certificate */
	char ca[512];	       /* the test CA (PEM): a ca_file */
	char junk[512];	       /* a file that is no PEM at all */
};

/* Make the certificates and start the front before the plain server at
 * upstream ("http://127.0.0.1:PORT"). It exits by itself after a minute
 * if never stopped. 0 on success; else the test is failed with the
 * reason (openssl's or node's output) and -1 returned. */
int t_tls_front_start(struct t *t, struct t_tls_front *s,
		      const char *upstream);
/* Stop it (by its pid) and wait for it. Accepts a never-started s. */
void t_tls_front_stop(struct t_tls_front *s);

#endif
