/* http_fake.h - a scripted HTTP/1.1 server on 127.0.0.1 for the tests of
 * HTTP clients (t_neo4j_http.c). It runs in a thread of the test, answers
 * each request it receives with the next step of its script (then 500
 * once the script is used up), and records every request so the test can
 * look at methods, paths, headers and bodies. Steps can also misbehave:
 * cut the answer after K bytes, reset the connection, never answer, or
 * send raw bytes. Connections are kept alive unless a step closes. */
#ifndef OP_HTTP_FAKE_H
#define OP_HTTP_FAKE_H

#include <stddef.h>

struct http_fake_step {
	int status;	     /* HTTP status of the answer */
	const char *body;    /* NULL: none (Content-Length: 0) */
	const char *headers; /* extra lines, each ending "\r\n", or NULL */
	const char *raw;     /* not NULL: these bytes instead of an answer */
	long cut_after;	     /* > 0: close after this many answer bytes */
	int hang;	     /* answer nothing; hold the connection open */
	int reset;	     /* answer nothing; reset the connection */
	int close;	     /* close the connection after answering */
};

/* A request as received. */
struct http_fake_req {
	char method[16];
	char path[512];
	char *head; /* the header lines, as sent */
	char *body; /* NUL-terminated */
};

struct http_fake;

/* Listen on a free loopback port and serve the n steps (borrowed: they
 * must outlive the server). NULL on failure. */
struct http_fake *http_fake_start(const struct http_fake_step *steps,
				  size_t n);
/* "http://127.0.0.1:PORT" */
const char *http_fake_url(const struct http_fake *f);
/* How many requests arrived so far. */
size_t http_fake_count(struct http_fake *f);
/* How many connections were accepted so far. */
size_t http_fake_accepts(struct http_fake *f);
/* Request i (0-based), or NULL. Valid until http_fake_stop(). */
const struct http_fake_req *http_fake_req(struct http_fake *f, size_t i);
/* The value of header name (any case) in request i, copied into out (n
 * bytes); NULL if there is no such header. */
const char *http_fake_header(struct http_fake *f, size_t i, const char *name,
			     char *out, size_t n);
/* Stop the thread, close everything, free f. NULL does nothing. */
void http_fake_stop(struct http_fake *f);

#endif
