/* neo4j_http.h - the Neo4j HTTP client: one connection (libcurl, kept
 * alive) to one database, Cypher statements in, rows of cJSON values out.
 * It speaks the three HTTP interfaces Neo4j has had, chosen by discovery
 * (GET /): the Query API v2 (5.19+ and Aura), the transactional endpoint
 * /db/{db}/tx/commit (4.x, 5.x) and /db/data/transaction/commit (3.x).
 * It retries what may succeed later and classifies what will not. The
 * Neo4j sink (push, pull) is built on it; only sync/ includes curl.
 *
 * Integers. cJSON holds numbers as doubles, exact only up to 2^53, and a
 * hybrid logical clock (48 bits of ms, 16 of counter) is always above.
 * - Going out: a parameter number beyond 2^53 in magnitude (or NaN or
 *   infinite) is refused with OUTPOST_EMISUSE, never sent rounded. Send a
 *   64-bit value as a decimal string (op_neo4j_param_int64) and convert
 *   it in Cypher with toInteger($x), which is exact.
 * - Coming back: every server generation answers in plain JSON (no Typed
 *   JSON is asked for). Before cJSON sees a body, each integer literal
 *   beyond 2^53 is rewritten into the Query API's Typed JSON form
 *   {"$type":"Integer","_value":"DIGITS"}, digits kept exactly. So a
 *   value is a cJSON number only when a double holds it exactly; read
 *   integers with op_neo4j_int64(), which takes both forms.
 *
 * Retries. A transient failure (connection refused, reset or cut, a
 * timeout, HTTP 5xx/408/429, Neo.TransientError.*, an empty, truncated or
 * unparsable body) is retried with exponential backoff and full jitter,
 * at most max_tries requests and retry_budget_ms per statement. A request
 * whose answer was lost may have committed, so a retry runs it again:
 * every statement given to op_neo4j_run() must be idempotent (MERGE with
 * guards, not CREATE). Nothing else is retried.
 *
 * Thread rules: a handle is used by one thread at a time. There is no
 * global state; curl_easy_init() initialises libcurl on first use. */
#ifndef OP_NEO4J_HTTP_H
#define OP_NEO4J_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "outpost.h"

/* Sent as User-Agent; in step with tools/outpost.pc.in's Version. */
#define OP_NEO4J_USER_AGENT "outpost/0.1.0"

enum op_neo4j_auth {
	OP_NEO4J_AUTH_NONE = 0,
	OP_NEO4J_AUTH_BASIC,  /* user and secret (the password) */
	OP_NEO4J_AUTH_BEARER  /* secret is the token (SSO, Aura) */
};

/* Which HTTP interface requests go to. */
enum op_neo4j_api {
	OP_NEO4J_API_AUTO = 0,	/* discover it with GET / */
	OP_NEO4J_API_QUERY_V2,	/* POST /db/{db}/query/v2 */
	OP_NEO4J_API_TX,	/* POST /db/{db}/tx/commit */
	OP_NEO4J_API_TX_LEGACY	/* POST /db/data/transaction/commit (3.x) */
};

/* Zero means the default given. Start from OP_NEO4J_OPTS_INIT. */
struct op_neo4j_opts {
	unsigned version;	/* OP_NEO4J_OPTS_VERSION */
	const char *url;	/* "https://host:7473" (a path prefix is
				   kept); no user, password, query or
				   fragment in it */
	const char *database;	/* "neo4j"; letters, digits, . _ - */
	enum op_neo4j_auth auth;
	const char *user;	/* Basic only */
	const char *secret;	/* password or token: copied, zeroed on
				   close, never logged or in a message */
	const char *ca_file;	/* PEM CAs to trust instead of the system's.
				   Verification itself cannot be turned off */
	int allow_plain_http;	/* credentials over http:// to a host that
				   is not loopback: refused unless 1 */
	enum op_neo4j_api api;	/* OP_NEO4J_API_AUTO */
	long connect_timeout_ms; /* 10000 */
	long timeout_ms;	/* 60000: one whole request */
	unsigned max_tries;	/* 5 requests per statement; 1: no retry */
	long retry_budget_ms;	/* 60000: no pause before a retry may end
				   later than this after the first try */
	long backoff_ms;	/* 200: first pause, doubled each retry... */
	long backoff_max_ms;	/* 5000: ...up to this */
	size_t max_body;	/* 64 MiB: a longer answer is refused */
};
#define OP_NEO4J_OPTS_VERSION 1u
#define OP_NEO4J_OPTS_INIT                                                   \
	{OP_NEO4J_OPTS_VERSION, NULL, NULL, OP_NEO4J_AUTH_NONE, NULL, NULL,  \
	 NULL, 0, OP_NEO4J_API_AUTO, 0, 0, 0, 0, 0, 0, 0}

/* What a failure asks of the caller. */
enum op_neo4j_fail {
	OP_NEO4J_FAIL_NONE = 0,
	/* Retried up to the bounds and still failing: try again later
	 * (rc OUTPOST_ENET, or OUTPOST_EPROTO for a bad body). */
	OP_NEO4J_FAIL_TRANSIENT,
	/* Too much at once: the server ran out of memory or time for the
	 * transaction (Neo.*OutOfMemory*, *MemoryLimit*,
	 * Neo.ClientError.Transaction.TransactionTimedOut*), HTTP 413, or
	 * the answer exceeded max_body. Not retried: halve the batch or
	 * the page (rc OUTPOST_EREFUSED). */
	OP_NEO4J_FAIL_TOO_BIG,
	/* Refused; the same request will fail again: Cypher errors,
	 * Neo.ClientError.*, Neo.DatabaseError.*, HTTP 4xx, bad options or
	 * parameters. rc: OUTPOST_EDENIED (401, 403, Security), OUTPOST_
	 * ENOTFOUND (no such database or endpoint), OUTPOST_EMISUSE,
	 * OUTPOST_EPROTO (not Neo4j's answer), OUTPOST_EREFUSED (the rest). */
	OP_NEO4J_FAIL_PERMANENT
};

/* The last failure of a handle. */
struct op_neo4j_err {
	int rc;			/* as returned */
	enum op_neo4j_fail fail;
	long http_status;	/* of the last answer; 0 if none came */
	char code[96];		/* the server's first error code, or "" */
	size_t done;		/* statements committed before the one that
				   failed (Query API only; else 0) */
	unsigned tries;		/* requests made for the failing one */
	char msg[512];		/* one line, no secret in it */
};

/* What discovery found. */
struct op_neo4j_server {
	enum op_neo4j_api api;
	char version[32];	/* neo4j_version ("5.26.0"), or "" if not
				   given; only [0-9A-Za-z.+-] kept */
	int major, minor;	/* from version; 0 if unknown (a 3.x server
				   that did not say is OP_NEO4J_API_TX_LEGACY) */
	char edition[16];	/* "community", "enterprise" or "" */
};

struct op_neo4j;

/* One statement: Cypher and its parameters (a cJSON object, or NULL for
 * none). Both stay the caller's. */
struct op_neo4j_stmt {
	const char *cypher;
	const cJSON *params;
};

/* One statement's answer: fields (a cJSON array of nfields strings) and
 * rows (a cJSON array of nrows arrays, each of nfields values, in plain
 * JSON with big integers as described above). */
struct op_neo4j_table {
	const cJSON *fields;
	const cJSON *rows;
	size_t nfields, nrows;
};

/* The answer of op_neo4j_run(): one table per statement, in order, and
 * the server's bookmarks (an array of strings; empty from servers that
 * give none). Everything points into root. */
struct op_neo4j_result {
	size_t n;
	struct op_neo4j_table *tables;
	const cJSON *bookmarks;
	cJSON *root; /* private: owns the values above */
};

/* Check the options and make a handle (no network yet). *out is set
 * even on failure (except OUTPOST_ENOMEM), so op_neo4j_errmsg() can say
 * why; close it either way. OUTPOST_EMISUSE for a bad URL, database
 * name, auth combination or timeout; OUTPOST_ENOMEM; OUTPOST_ERROR if
 * libcurl refuses an option (too old: 7.85 or later is needed). */
int op_neo4j_open(struct op_neo4j **out, const struct op_neo4j_opts *o);

/* Zero the secret, close the connection, free h. NULL does nothing. */
void op_neo4j_close(struct op_neo4j *h);

/* GET / and choose the interface (skipped when opts.api was given; a
 * 3.x server is also asked GET /db/data/ for its version). Called by
 * op_neo4j_run() when not done yet. OUTPOST_OK, or an error as for
 * op_neo4j_run(); OUTPOST_EPROTO if the server does not look like
 * Neo4j; OUTPOST_EMISUSE on a handle whose open failed. */
int op_neo4j_discover(struct op_neo4j *h);

/* What discovery found (api OP_NEO4J_API_AUTO before it). Borrowed from
 * h until it is closed. */
const struct op_neo4j_server *op_neo4j_server_get(const struct op_neo4j *h);

/* Run n >= 1 statements.
 * - Transactional endpoints: all n in one request, one transaction:
 *   atomic, all or none.
 * - Query API v2: one request per statement (it takes one), each its own
 *   transaction, in order, stopping at the first failure: NOT atomic.
 *   The statements before it stay committed (err.done says how many);
 *   since every statement is idempotent, running all n again is the
 *   recovery. Each request carries the bookmarks of the one before, so
 *   a cluster runs them in causal order.
 * A non-empty "errors" array is a failure whatever the HTTP status
 * (the Query API answers 202 with errors, with or without data).
 * On OUTPOST_OK *out is yours: free it with op_neo4j_result_free(). On
 * failure *out is NULL and op_neo4j_err_get(h) says what and what to do
 * (see enum op_neo4j_fail). OUTPOST_EMISUSE for n == 0, a NULL cypher,
 * params that are not an object or that hold a number beyond 2^53, or
 * a handle whose open failed. */
int op_neo4j_run(struct op_neo4j_result **out, struct op_neo4j *h,
		 const struct op_neo4j_stmt *stmts, size_t n);

void op_neo4j_result_free(struct op_neo4j_result *r);

/* Row row, column col of t; NULL when out of range. Borrowed from the
 * result. It walks the rows (O(row)): for a whole table, go through
 * t->rows with cJSON_ArrayForEach instead. */
const cJSON *op_neo4j_cell(const struct op_neo4j_table *t, size_t row,
			   size_t col);

/* The last failure (rc OUTPOST_OK if the last call succeeded) and its
 * message. Borrowed from h until its next call. */
const struct op_neo4j_err *op_neo4j_err_get(const struct op_neo4j *h);
const char *op_neo4j_errmsg(const struct op_neo4j *h);

/* An integer from an answer, exactly: a cJSON number that is integral
 * and within 2^53, {"$type":"Integer","_value":"DIGITS"}, or a string of
 * decimal digits (how op_neo4j_param_int64 sends them). OUTPOST_EPROTO
 * for anything else or a value outside int64. */
int op_neo4j_int64(int64_t *out, const cJSON *v);

/* Add name: v to a params object as a decimal string (see above).
 * OUTPOST_ENOMEM, or OUTPOST_EMISUSE if params is not an object. */
int op_neo4j_param_int64(cJSON *params, const char *name, int64_t v);

#endif
