/* t_neo4j_http_errors.c - the Neo4j HTTP client's failures (see
 * t_neo4j_http.c): every class and its retries, bounded in tries and
 * time, against a scripted fake server; and its answer parser,
 * table-driven and fuzzed with cut and mutated bodies. */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "t_neo4j_http.h"

/* 202 with errors is a failure, with or without partial data; not
 * retried; on the Query API the statements before stay committed. */
void test_neo4j_http_v2_202_errors(struct t *t)
{
	static const struct http_fake_step s[] = {
		S(202, V2_OK),
		S(202, "{\"data\":{\"fields\":[\"x\"],\"values\":[[1]]},\"errors\""
		      ":[{\"code\":\"Neo.ClientError.Statement.ArgumentError\","
		      "\"message\":\"half done\"}]}"),
		S(202, ERR("Neo.ClientError.Statement.SemanticError", "no data"))};
	struct op_neo4j_stmt st[2] = {{"A", NULL}, {"B", NULL}};
	SCRIPT(s, OP_NEO4J_API_QUERY_V2, 5);

	CHECK_RC(op_neo4j_run(&r, h, st, 2), OUTPOST_EREFUSED);
	CHECK(r == NULL);
	CHECK_FAIL(h, OUTPOST_EREFUSED, OP_NEO4J_FAIL_PERMANENT,
		   "Neo.ClientError.Statement.ArgumentError: half done");
	CHECK_HAS(op_neo4j_errmsg(h), "statement 2 of 2 (the 1 before it "
				      "committed)");
	CHECK_EQ(op_neo4j_err_get(h)->done, 1);
	CHECK_EQ(op_neo4j_err_get(h)->http_status, 202);
	CHECK_STR(op_neo4j_err_get(h)->code,
		  "Neo.ClientError.Statement.ArgumentError");
	CHECK_RC(run1(&r, h, "C"), OUTPOST_EREFUSED);
	CHECK_FAIL(h, OUTPOST_EREFUSED, OP_NEO4J_FAIL_PERMANENT, "no data");
	CHECK_EQ(http_fake_count(f), 3);
	END();
}

void test_neo4j_http_client_errors(struct t *t)
{
	static const struct http_fake_step s[] = {
		S(400, ERR("Neo.ClientError.Statement.SyntaxError",
			  "Invalid input 'RETRN'")),
		S(401, ERR("Neo.ClientError.Security.Unauthorized",
			  "wrong password " SECRET " for neo4j")),
		S(404, ERR("Neo.ClientError.Database.DatabaseNotFound",
			  "Database does not exist: nope")),
		S(200, ERR("Neo.ClientError.Statement.SyntaxError", "on tx"))};
	SCRIPT(s, OP_NEO4J_API_QUERY_V2, 5);

	CHECK_RC(run1(&r, h, "RETRN 1"), OUTPOST_EREFUSED);
	CHECK_FAIL(h, OUTPOST_EREFUSED, OP_NEO4J_FAIL_PERMANENT,
		   "Neo.ClientError.Statement.SyntaxError: Invalid input "
		   "'RETRN' (HTTP 400)");
	CHECK_EQ(op_neo4j_err_get(h)->tries, 1);
	CHECK_RC(run1(&r, h, "RETURN 1"), OUTPOST_EDENIED);
	CHECK_FAIL(h, OUTPOST_EDENIED, OP_NEO4J_FAIL_PERMANENT,
		   "Unauthorized: wrong password ********* for neo4j");
	CHECK_RC(run1(&r, h, "RETURN 1"), OUTPOST_ENOTFOUND);
	CHECK_FAIL(h, OUTPOST_ENOTFOUND, OP_NEO4J_FAIL_PERMANENT,
		   "Database does not exist: nope (HTTP 404)");
	CHECK_EQ(http_fake_count(f), 3);
	END();
}

/* 500 and 503 are retried; the third try succeeds. Then a transient
 * error code, retried too. */
void test_neo4j_http_retry_then_ok(struct t *t)
{
	static const struct http_fake_step s[] = {
		S(500, "<html>oops</html>"), S(503, NULL), S(200, TX_ONE),
		S(200, ERR("Neo.TransientError.Transaction.DeadlockDetected",
			  "deadlock")),
		S(200, TX_ONE)};
	SCRIPT(s, OP_NEO4J_API_TX, 3);

	CHECK_RC(run1(&r, h, "RETURN 1 AS a"), OUTPOST_OK);
	CHECK_EQ(http_fake_count(f), 3);
	op_neo4j_result_free(r);
	r = NULL;
	CHECK_RC(run1(&r, h, "RETURN 1 AS a"), OUTPOST_OK);
	CHECK_EQ(http_fake_count(f), 5);
	END();
}

void test_neo4j_http_retries_bounded(struct t *t)
{
	static const struct http_fake_step s[] = {
		S(503, NULL), S(503, NULL), S(503, NULL), S(200, TX_ONE)};
	SCRIPT(s, OP_NEO4J_API_TX, 3);

	CHECK_RC(run1(&r, h, "RETURN 1"), OUTPOST_ENET);
	CHECK_FAIL(h, OUTPOST_ENET, OP_NEO4J_FAIL_TRANSIENT,
		   "HTTP 503 (gave up after 3 tries in");
	CHECK_EQ(op_neo4j_err_get(h)->tries, 3);
	CHECK_EQ(http_fake_count(f), 3);
	/* The time budget bounds too (white-box: the script is used up,
	 * so 500s from now on). */
	h->o.max_tries = 1000;
	h->o.retry_budget_ms = 100;
	h->o.backoff_ms = h->o.backoff_max_ms = 20;
	CHECK_RC(run1(&r, h, "RETURN 1 AS a"), OUTPOST_OK);
	op_neo4j_result_free(r);
	r = NULL;
	CHECK_RC(run1(&r, h, "RETURN 1"), OUTPOST_ENET);
	CHECK_FAIL(h, OUTPOST_ENET, OP_NEO4J_FAIL_TRANSIENT, "gave up after");
	CHECK(op_neo4j_err_get(h)->tries >= 3 && op_neo4j_err_get(h)->tries < 20);
	END();
}

/* Memory and transaction timeouts, 413 and an answer over max_body: not
 * retried, reported so the caller halves its batch. */
void test_neo4j_http_too_big(struct t *t)
{
	static const struct http_fake_step s[] = {
		S(200, ERR("Neo.TransientError.General.MemoryPoolOutOfMemoryError",
			  "The allocation of an extra 4.0 MiB would use more "
			  "than the limit")),
		S(200, ERR("Neo.ClientError.Transaction.TransactionTimedOut",
			  "timed out")),
		S(413, NULL),
		S(200, "{\"results\":[{\"columns\":[\"a\"],\"data\":[{\"row\":"
		      "[\"0123456789012345678901234567890123456789\"]}]}],"
		      "\"errors\":[]}")};
	SCRIPT(s, OP_NEO4J_API_TX, 5);

	CHECK_RC(run1(&r, h, "UNWIND $rows AS r MERGE ..."), OUTPOST_EREFUSED);
	CHECK_FAIL(h, OUTPOST_EREFUSED, OP_NEO4J_FAIL_TOO_BIG,
		   "MemoryPoolOutOfMemoryError");
	CHECK_RC(run1(&r, h, "X"), OUTPOST_EREFUSED);
	CHECK_FAIL(h, OUTPOST_EREFUSED, OP_NEO4J_FAIL_TOO_BIG, "timed out");
	CHECK_RC(run1(&r, h, "X"), OUTPOST_EREFUSED);
	CHECK_FAIL(h, OUTPOST_EREFUSED, OP_NEO4J_FAIL_TOO_BIG, "HTTP 413");
	CHECK_EQ(http_fake_count(f), 3);
	h->o.max_body = 64; /* white-box: a small limit, same connection */
	CHECK_RC(run1(&r, h, "X"), OUTPOST_EREFUSED);
	CHECK_FAIL(h, OUTPOST_EREFUSED, OP_NEO4J_FAIL_TOO_BIG, "max_body");
	END();
}

/* Reset, cut and truncated answers are retried on a new connection. */
void test_neo4j_http_cut_connections(struct t *t)
{
	static const struct http_fake_step s[] = {
		{.reset = 1},
		S(200, TX_ONE),
		{.status = 200, .body = TX_ONE, .cut_after = 100},
		{.raw = "HTTP/1.1 20"}, /* head cut */
		S(200, "{\"results\":[{\"columns\":[\"a\"],\"da"),
		S(200, TX_ONE)};
	SCRIPT(s, OP_NEO4J_API_TX, 5);

	CHECK_RC(run1(&r, h, "RETURN 1 AS a"), OUTPOST_OK);
	CHECK_EQ(http_fake_count(f), 2);
	op_neo4j_result_free(r);
	r = NULL;
	CHECK_RC(run1(&r, h, "RETURN 1 AS a"), OUTPOST_OK);
	CHECK_EQ(http_fake_count(f), 6);
	CHECK(http_fake_accepts(f) >= 3);
	END();
}

void test_neo4j_http_timeout(struct t *t)
{
	static const struct http_fake_step s[] = {
		{.hang = 1}, S(200, TX_ONE)};
	struct http_fake *f = http_fake_start(s, 2);
	struct op_neo4j *h =
		f ? t_neo4j_http_client(f, OP_NEO4J_API_TX, 1, 300) : NULL;
	struct op_neo4j_result *r = NULL;
	struct timespec a, b;

	CHECK(f && h);
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_RC(run1(&r, h, "RETURN 1"), OUTPOST_ENET);
	clock_gettime(CLOCK_MONOTONIC, &b);
	CHECK_FAIL(h, OUTPOST_ENET, OP_NEO4J_FAIL_TRANSIENT, "imed out");
	CHECK(b.tv_sec - a.tv_sec < 5);
	CHECK_RC(run1(&r, h, "RETURN 1 AS a"), OUTPOST_OK);
	END();
}

/* ---- the parser ------------------------------------------------------- */

/* A successful document is what neo4j_int.h promises. */
static int well_formed(const cJSON *doc, size_t nstmts)
{
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(doc, "results");
	const cJSON *tb, *row, *x;

	if (!cJSON_IsArray(res) || (size_t)cJSON_GetArraySize(res) != nstmts ||
	    !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "bookmarks")))
		return 0;
	cJSON_ArrayForEach(tb, res) {
		const cJSON *fl = cJSON_GetObjectItemCaseSensitive(tb, "fields");
		const cJSON *rows = cJSON_GetObjectItemCaseSensitive(tb, "rows");

		if (!cJSON_IsArray(fl) || !cJSON_IsArray(rows))
			return 0;
		cJSON_ArrayForEach(x, fl) if (!cJSON_IsString(x)) return 0;
		cJSON_ArrayForEach(row, rows) if (
			!cJSON_IsArray(row) ||
			cJSON_GetArraySize(row) != cJSON_GetArraySize(fl)) return 0;
	}
	return 1;
}

void test_neo4j_http_parse_table(struct t *t)
{
	static const struct {
		enum neo4j_reply kind;
		long status;
		size_t n;
		const char *body;
		int rc;
		enum op_neo4j_fail fail;
	} c[] = {
#define P OP_NEO4J_FAIL_PERMANENT
#define T OP_NEO4J_FAIL_TRANSIENT
#define B OP_NEO4J_FAIL_TOO_BIG
		{NEO4J_REPLY_V2, 202, 1, V2_OK, OUTPOST_OK, 0},
		{NEO4J_REPLY_V2, 202, 1, "{\"data\":{\"fields\":[],\"values\":"
		 "[]},\"errors\":[]}", OUTPOST_OK, 0},
		{NEO4J_REPLY_V2, 200, 1, "{\"bookmarks\":[]}", OUTPOST_EPROTO, P},
		{NEO4J_REPLY_V2, 202, 1, "{\"data\":{\"fields\":[\"a\"],\"values"
		 "\":[[1,2]]}}", OUTPOST_EPROTO, P},
		{NEO4J_REPLY_V2, 202, 1, "{\"data\":{\"fields\":[1],\"values\":"
		 "[]}}", OUTPOST_EPROTO, P},
		{NEO4J_REPLY_V2, 202, 1, "{\"data\":{\"fields\":[],\"values\":"
		 "[]},\"bookmarks\":[7]}", OUTPOST_EPROTO, P},
		{NEO4J_REPLY_V2, 202, 1, "{\"errors\":{}}", OUTPOST_EPROTO, P},
		{NEO4J_REPLY_V2, 503, 1, "", OUTPOST_ENET, T},
		{NEO4J_REPLY_V2, 502, 1, "<html>bad gateway</html>", OUTPOST_ENET,
		 T},
		{NEO4J_REPLY_V2, 200, 1, "", OUTPOST_EPROTO, T},
		{NEO4J_REPLY_V2, 200, 1, "{\"data\":", OUTPOST_EPROTO, T},
		{NEO4J_REPLY_V2, 200, 1, V2_OK " x", OUTPOST_EPROTO, T},
		{NEO4J_REPLY_V2, 200, 1, V2_OK " \r\n", OUTPOST_OK, 0},
		{NEO4J_REPLY_TX, 200, 2, TX_ONE, OUTPOST_EPROTO, P},
		{NEO4J_REPLY_TX, 200, 2, TX_OK, OUTPOST_OK, 0},
		{NEO4J_REPLY_TX, 200, 1, "{\"results\":[{\"columns\":[\"a\"],"
		 "\"data\":[{\"row\":[]}]}]}", OUTPOST_EPROTO, P},
		{NEO4J_REPLY_TX, 200, 1, ERR("Neo.TransientError.General."
		 "OutOfMemoryError", "m"), OUTPOST_EREFUSED, B},
		{NEO4J_REPLY_TX, 200, 1, ERR("Neo.ClientError.General."
		 "TransactionOutOfMemoryError", "m"), OUTPOST_EREFUSED, B},
		{NEO4J_REPLY_TX, 200, 1, ERR("Neo.ClientError.Transaction."
		 "TransactionTimedOutClientConfiguration", "m"),
		 OUTPOST_EREFUSED, B},
		{NEO4J_REPLY_TX, 200, 1, ERR("Neo.DatabaseError.General."
		 "UnknownError", "m"), OUTPOST_EREFUSED, P},
		{NEO4J_REPLY_TX, 500, 1, ERR("Weird", "m"), OUTPOST_ENET, T},
		{NEO4J_REPLY_TX, 200, 1, "{\"errors\":[{\"code\":5}]}",
		 OUTPOST_EREFUSED, P},
		{NEO4J_REPLY_TX, 200, 1, "{\"errors\":[7,8]}", OUTPOST_EREFUSED,
		 P},
		{NEO4J_REPLY_TX, 413, 1, "", OUTPOST_EREFUSED, B},
		{NEO4J_REPLY_TX, 429, 1, "{}", OUTPOST_ENET, T},
		{NEO4J_REPLY_TX, 301, 1, "", OUTPOST_EREFUSED, P},
		{NEO4J_REPLY_TX, 418, 1, "{}", OUTPOST_EREFUSED, P},
		{NEO4J_REPLY_TX, 100, 1, "{}", OUTPOST_EPROTO, P},
		{NEO4J_REPLY_ROOT, 200, 0, "[]", OUTPOST_EPROTO, P},
		{NEO4J_REPLY_ROOT, 401, 0, "<html/>", OUTPOST_EDENIED, P},
		{NEO4J_REPLY_ROOT, 200, 0, ROOT_3, OUTPOST_OK, 0},
#undef P
#undef T
#undef B
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct op_neo4j_err e;
		cJSON *doc = NULL;
		int rc = op_neo4j_reply(&doc, c[i].kind, c[i].status, c[i].body,
					strlen(c[i].body), c[i].n, SECRET, &e);

		if (rc != c[i].rc || (rc != OUTPOST_OK && e.fail != c[i].fail))
			t_fail(t, __FILE__, __LINE__, "case %zu: %s class %d: "
			       "%s", i, outpost_errstr(rc), (int)e.fail, e.msg);
		CHECK(rc == c[i].rc);
		CHECK(rc != OUTPOST_OK || doc);
		CHECK(rc != OUTPOST_OK || c[i].kind == NEO4J_REPLY_ROOT ||
		      well_formed(doc, c[i].n));
		cJSON_Delete(doc);
	}
}

/* Every prefix of good answers, then random mutations of them: never a
 * crash (ASan run), always a classified failure or a well-formed
 * document. */
void test_neo4j_http_parse_fuzz(struct t *t)
{
	static const struct {
		enum neo4j_reply kind;
		size_t n;
		const char *body;
	} seed[] = {
		{NEO4J_REPLY_V2, 1, V2_OK},
		{NEO4J_REPLY_TX, 2, TX_OK},
		{NEO4J_REPLY_ROOT, 0, ROOT_V2},
		{NEO4J_REPLY_V2, 1, "{\"data\":{\"fields\":[\"a\",\"b\"],\"values"
		 "\":[[-123456789012345678901,{\"$type\":\"Integer\",\"_value\""
		 ":\"1\"}],[1e400,\"\\\"\\u0000\\\\\"]]},\"errors\":[]}"},
		{NEO4J_REPLY_TX, 1, ERR("Neo.ClientError.Statement.SyntaxError",
					"line 1 \\\"x\\\" " SECRET)},
	};
	static const long status[] = {200, 202, 400, 500};
	uint64_t rng = 0x5eed;
	char buf[1024];
	size_t i, len, k;
	int m;

	for (i = 0; i < sizeof(seed) / sizeof(seed[0]); i++) {
		const char *b = seed[i].body;

		for (len = 0; len <= strlen(b) + 2; len++) {
			struct op_neo4j_err e;
			cJSON *doc = NULL;
			size_t l = len < strlen(b) ? len : strlen(b);
			int rc = op_neo4j_reply(&doc, seed[i].kind, 200, b, l,
						seed[i].n, SECRET, &e);

			CHECK(rc != OUTPOST_OK || l == strlen(b));
			CHECK(rc == OUTPOST_OK || !strstr(e.msg, SECRET));
			cJSON_Delete(doc);
		}
		for (m = 0; m < 3000; m++) {
			struct op_neo4j_err e;
			cJSON *doc = NULL;
			unsigned edits = 1 + t_rng_below(&rng, 4);
			int rc;

			len = strlen(b);
			memcpy(buf, b, len);
			for (k = 0; k < edits && len > 1; k++) {
				size_t at = t_rng_below(&rng, (unsigned)len);
				unsigned op = t_rng_below(&rng, 3);

				if (op == 0) {
					buf[at] = (char)t_rng_below(&rng, 256);
				} else if (op == 1 && len < sizeof(buf) - 1) {
					memmove(buf + at + 1, buf + at, len - at);
					buf[at] = "{}[]\",:0-9e.\\"[t_rng_below(&rng, 13)];
					len++;
				} else {
					memmove(buf + at, buf + at + 1, len - at - 1);
					len--;
				}
			}
			rc = op_neo4j_reply(&doc, seed[i].kind,
					    status[t_rng_below(&rng, 4)], buf,
					    len, seed[i].n, SECRET, &e);
			CHECK(rc == OUTPOST_OK
				      ? seed[i].kind == NEO4J_REPLY_ROOT ||
						well_formed(doc, seed[i].n)
				      : e.fail != OP_NEO4J_FAIL_NONE &&
						memchr(e.msg, 0, sizeof(e.msg)));
			cJSON_Delete(doc);
		}
	}
	/* Deep nesting and a huge number: refused, not a stack overflow. */
	{
		size_t n = 200000;
		char *deep = malloc(n);
		struct op_neo4j_err e;
		cJSON *doc = NULL;

		CHECK(deep);
		memset(deep, '[', n);
		CHECK(op_neo4j_reply(&doc, NEO4J_REPLY_TX, 200, deep, n, 1, NULL,
				     &e) == OUTPOST_EPROTO);
		memset(deep, '7', n);
		deep[0] = '[';
		deep[n - 1] = ']';
		CHECK(op_neo4j_reply(&doc, NEO4J_REPLY_TX, 200, deep, n, 1, NULL,
				     &e) != OUTPOST_OK);
		free(deep);
	}
}
