/* neo4j_int.h - inside the Neo4j HTTP client (neo4j_http.h): the handle,
 * and the functions its files share. neo4j_open.c checks options and
 * makes the handle, neo4j_http.c moves bytes (curl, retries),
 * neo4j_reply.c reads answers (hostile input), neo4j_ints.c keeps 64-bit
 * integers exact, neo4j_body.c writes requests, neo4j_run.c is discovery
 * and run. Tests include it for op_neo4j_reply(), the parser they fuzz. */
#ifndef OP_NEO4J_INT_H
#define OP_NEO4J_INT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "neo4j_http.h"
#include "util.h"

#define NEO4J_DB_MAX 63		/* Neo4j's own limit on database names */
#define NEO4J_BOOKMARKS_MAX 64	/* more in one answer is not Neo4j */
#define NEO4J_CURL_ERR 256	/* CURL_ERROR_SIZE (checked in neo4j_http.c) */

/* libcurl's types, declared, not included: only sync's .c files
 * include curl.h (tests include this header for the parser). */
struct Curl_easy;
struct curl_slist;

/* What an answer should hold. */
enum neo4j_reply {
	NEO4J_REPLY_ROOT, /* a discovery document (any JSON object) */
	NEO4J_REPLY_V2,	  /* Query API: data.fields, data.values */
	NEO4J_REPLY_TX	  /* transactional: results[].columns, .data[].row */
};

struct op_neo4j {
	struct Curl_easy *curl;
	struct curl_slist *hdr_post, *hdr_get;
	char *base;		/* the URL, no trailing '/' */
	char db[NEO4J_DB_MAX + 1];
	char *secret;		/* zeroed before it is freed */
	struct op_neo4j_opts o;	/* defaults filled in; o.url, o.user,
				   o.secret, o.ca_file, o.database NULL */
	struct op_neo4j_server server;
	int ready;		/* opened without error */
	int discovered;
	cJSON *bookmarks;	/* the last answer's, sent with the next */
	struct op_buf resp;	/* the answer being received */
	int overflow;		/* it passed o.max_body */
	uint64_t rng;		/* backoff jitter */
	char curl_err[NEO4J_CURL_ERR];
	struct op_neo4j_err err;
};

/* Set a failure on e (rc, class, message by format; code, status, done
 * and tries untouched); returns rc. */
int op_neo4j_fail(struct op_neo4j_err *e, int rc, enum op_neo4j_fail f,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Put a formatted prefix before e->msg (cut to fit). */
void op_neo4j_prefix(struct op_neo4j_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Replace every occurrence of secret in s (a NUL-terminated buffer)
 * with '*'s. Nothing when secret is NULL or "". */
void op_neo4j_scrub(char *s, const char *secret);

/* Read one answer: HTTP status and len bytes of body (any bytes). On
 * OUTPOST_OK *out is the checked document: for ROOT the object itself;
 * for V2 and TX {"results": [{"fields": [...], "rows": [[...]]}, ...],
 * "bookmarks": [...]} with nstmts results (free with cJSON_Delete). On
 * failure *out is NULL and e says what (class, code, status, message,
 * with secret scrubbed from the server's text). */
int op_neo4j_reply(cJSON **out, enum neo4j_reply kind, long status,
		   const char *body, size_t len, size_t nstmts,
		   const char *secret, struct op_neo4j_err *e);

/* The text with every integer literal beyond 2^53 in Typed JSON form
 * (see neo4j_http.h). *out is NULL when there was none (use the text
 * as it is); else free it with op_free. OUTPOST_ENOMEM. */
int op_neo4j_exact_ints(char **out, size_t *outlen, const char *s,
			size_t n);

/* Request bodies. Parameters are checked (object, numbers within 2^53);
 * OUTPOST_EMISUSE or OUTPOST_ENOMEM with e set. bookmarks may be NULL. */
int op_neo4j_body_v2(struct op_buf *b, const struct op_neo4j_stmt *s,
		     const cJSON *bookmarks, struct op_neo4j_err *e);
int op_neo4j_body_tx(struct op_buf *b, const struct op_neo4j_stmt *s,
		     size_t n, struct op_neo4j_err *e);

/* What a discovery document says: OUTPOST_EPROTO if it names no
 * interface. Only the entries' presence is used: requests go to the
 * configured URL, never to a host a document names. */
int op_neo4j_root_read(struct op_neo4j_server *out, const cJSON *doc,
		       struct op_neo4j_err *e);
/* version from a document's neo4j_version, if it has one. */
void op_neo4j_version_read(struct op_neo4j_server *out, const cJSON *doc);

/* The curl handle and its options for h (o, secret set). */
int op_neo4j_curl_setup(struct op_neo4j *h, const char *user,
			const char *ca_file);

/* One request with retries: GET path when body is NULL, else POST body.
 * kind and nstmts as for op_neo4j_reply. At most max_tries requests
 * (0: the handle's). On failure h->err is set, with tries. */
int op_neo4j_request(cJSON **out, struct op_neo4j *h, enum neo4j_reply kind,
		     const char *path, const char *body, size_t nstmts,
		     unsigned max_tries);

#endif
