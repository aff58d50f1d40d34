/* t_neo4j_http.c - the Neo4j HTTP client (sync/neo4j_http.h) against a
 * scripted fake server (http_fake.h): discovery of the three server
 * generations, results of both interfaces, every failure class and its
 * retries, exact big integers, credentials sent right and never shown;
 * and its answer parser, table-driven and fuzzed with cut and mutated
 * bodies. */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "check.h"
#include "http_fake.h"
#include "neo4j_int.h"

#define SECRET "s3cret-PW"
#define ROOT_V2                                                              \
	"{\"bolt_routing\":\"neo4j://localhost:7687\",\"query\":\"http://"    \
	"localhost:7474/db/{databaseName}/query/v2\",\"transaction\":\"http:" \
	"//localhost:7474/db/{databaseName}/tx\",\"neo4j_version\":\"5.26.0\"" \
	",\"neo4j_edition\":\"enterprise\"}"
#define ROOT_TX                                                              \
	"{\"bolt_direct\":\"bolt://localhost:7687\",\"transaction\":\"http://" \
	"localhost:7474/db/{databaseName}/tx\",\"neo4j_version\":\"4.4.0\","  \
	"\"neo4j_edition\":\"community\"}"
#define ROOT_3 "{\"management\":\"http://localhost:7474/db/manage/\",\"data\":" \
	       "\"http://localhost:7474/db/data/\"}"
#define DATA_3 "{\"extensions\":{},\"transaction\":\"http://localhost:7474/" \
	       "db/data/transaction\",\"neo4j_version\":\"3.1.1\"}"
#define V2_OK "{\"data\":{\"fields\":[\"name\",\"n\"],\"values\":[[\"Alice\"," \
	      "42],[\"Bob\",7]]},\"bookmarks\":[\"FB:kcwQ1\"]}"
#define V2_OK2 "{\"data\":{\"fields\":[],\"values\":[]},\"bookmarks\":[\"FB:2\"]}"
#define TX_OK                                                                \
	"{\"results\":[{\"columns\":[\"a\"],\"data\":[{\"row\":[1],\"meta\":" \
	"[null]}]},{\"columns\":[\"b\",\"c\"],\"data\":[{\"row\":[\"x\",true]" \
	",\"meta\":[null,null]},{\"row\":[\"y\",null],\"meta\":[null,null]}]}]" \
	",\"errors\":[]}"
#define TX_ONE "{\"results\":[{\"columns\":[\"a\"],\"data\":[]}],\"errors\":[]}"
#define S(st, b) {.status = (st), .body = (b)}
#define ERR(code, msg) "{\"errors\":[{\"code\":\"" code "\",\"message\":\"" msg "\"}]}"

static struct op_neo4j *client(struct http_fake *f, enum op_neo4j_api api,
			       unsigned tries, long timeout_ms)
{
	struct op_neo4j_opts o = OP_NEO4J_OPTS_INIT;
	struct op_neo4j *h = NULL;

	o.url = http_fake_url(f);
	o.auth = OP_NEO4J_AUTH_BASIC;
	o.user = "neo4j";
	o.secret = SECRET;
	o.api = api;
	o.max_tries = tries;
	o.backoff_ms = 1;
	o.backoff_max_ms = 4;
	o.timeout_ms = timeout_ms;
	if (op_neo4j_open(&h, &o) != OUTPOST_OK) {
		fprintf(stderr, "open: %s\n", op_neo4j_errmsg(h));
		op_neo4j_close(h);
		return NULL;
	}
	return h;
}

static int run1(struct op_neo4j_result **r, struct op_neo4j *h,
		const char *cypher)
{
	struct op_neo4j_stmt s = {cypher, NULL};

	return op_neo4j_run(r, h, &s, 1);
}

/* The last failure is rc, of class f, says needle, never the secret. */
#define CHECK_FAIL(h, rc_, f_, needle)                                       \
	do {                                                                 \
		const struct op_neo4j_err *e_ = op_neo4j_err_get(h);         \
		CHECK_RC(e_->rc, rc_);                                       \
		CHECK_EQ(e_->fail, f_);                                      \
		CHECK_HAS(e_->msg, needle);                                  \
		CHECK(!strstr(e_->msg, SECRET));                             \
	} while (0)

/* Start a fake with these steps and a client on it (Basic auth, fast
 * backoff): f, h and r for the test, freed by END(). */
#define SCRIPT(steps, api, tries)                                            \
	struct http_fake *f = http_fake_start(steps, sizeof(steps) /         \
							     sizeof(steps[0])); \
	struct op_neo4j *h = f ? client(f, api, tries, 5000) : NULL;         \
	struct op_neo4j_result *r = NULL;                                    \
	CHECK(f && h)

#define END()                                                                \
	do {                                                                 \
		op_neo4j_result_free(r);                                     \
		op_neo4j_close(h);                                           \
		http_fake_stop(f);                                           \
	} while (0)

void test_neo4j_http_discover_query_v2(struct t *t)
{
	static const struct http_fake_step s[] = {S(200, ROOT_V2),
						  S(202, V2_OK)};
	const struct op_neo4j_server *sv;
	const cJSON *c;
	int64_t v;
	SCRIPT(s, OP_NEO4J_API_AUTO, 1);

	CHECK_RC(run1(&r, h, "MATCH (p) RETURN p.name AS name, 42 AS n"),
		 OUTPOST_OK);
	sv = op_neo4j_server_get(h);
	CHECK_EQ(sv->api, OP_NEO4J_API_QUERY_V2);
	CHECK_STR(sv->version, "5.26.0");
	CHECK_EQ(sv->major, 5);
	CHECK_EQ(sv->minor, 26);
	CHECK_STR(sv->edition, "enterprise");
	CHECK_STR(http_fake_req(f, 0)->method, "GET");
	CHECK_STR(http_fake_req(f, 0)->path, "/");
	CHECK_STR(http_fake_req(f, 1)->path, "/db/neo4j/query/v2");
	CHECK_HAS(http_fake_req(f, 1)->body, "\"statement\":\"MATCH (p)");
	CHECK_EQ(r->n, 1);
	CHECK_EQ(r->tables[0].nfields, 2);
	CHECK_EQ(r->tables[0].nrows, 2);
	CHECK_STR(cJSON_GetArrayItem(r->tables[0].fields, 1)->valuestring, "n");
	c = op_neo4j_cell(&r->tables[0], 1, 0);
	CHECK(cJSON_IsString(c) && strcmp(c->valuestring, "Bob") == 0);
	CHECK_RC(op_neo4j_int64(&v, op_neo4j_cell(&r->tables[0], 0, 1)),
		 OUTPOST_OK);
	CHECK_EQ(v, 42);
	CHECK(op_neo4j_cell(&r->tables[0], 2, 0) == NULL);
	CHECK_STR(cJSON_GetArrayItem(r->bookmarks, 0)->valuestring, "FB:kcwQ1");
	END();
}

void test_neo4j_http_discover_tx(struct t *t)
{
	static const struct http_fake_step s[] = {S(200, ROOT_TX),
						  S(200, TX_ONE)};
	struct op_neo4j_opts o = OP_NEO4J_OPTS_INIT;
	struct http_fake *f = http_fake_start(s, 2);
	struct op_neo4j *h = NULL;
	struct op_neo4j_result *r = NULL;

	CHECK(f);
	o.url = http_fake_url(f);
	o.database = "curriculum";
	CHECK_RC(op_neo4j_open(&h, &o), OUTPOST_OK);
	CHECK_RC(run1(&r, h, "RETURN 1 AS a"), OUTPOST_OK);
	CHECK_EQ(op_neo4j_server_get(h)->api, OP_NEO4J_API_TX);
	CHECK_EQ(op_neo4j_server_get(h)->major, 4);
	CHECK_STR(http_fake_req(f, 1)->path, "/db/curriculum/tx/commit");
	CHECK_HAS(http_fake_req(f, 1)->body, "{\"statements\":[{\"statement\"");
	CHECK_EQ(r->tables[0].nrows, 0);
	CHECK_EQ(r->tables[0].nfields, 1);
	END();
}

void test_neo4j_http_discover_legacy(struct t *t)
{
	static const struct http_fake_step s[] = {
		S(200, ROOT_3), S(200, DATA_3), S(200, TX_ONE)};
	SCRIPT(s, OP_NEO4J_API_AUTO, 1);

	CHECK_RC(run1(&r, h, "RETURN 1 AS a"), OUTPOST_OK);
	CHECK_EQ(op_neo4j_server_get(h)->api, OP_NEO4J_API_TX_LEGACY);
	CHECK_STR(op_neo4j_server_get(h)->version, "3.1.1");
	CHECK_EQ(op_neo4j_server_get(h)->major, 3);
	CHECK_STR(http_fake_req(f, 1)->path, "/db/data/");
	CHECK_STR(http_fake_req(f, 2)->path, "/db/data/transaction/commit");
	END();
}

void test_neo4j_http_discover_not_neo4j(struct t *t)
{
	static const struct http_fake_step s[] = {S(200, "{\"hello\":1}")};
	SCRIPT(s, OP_NEO4J_API_AUTO, 3);

	CHECK_RC(op_neo4j_discover(h), OUTPOST_EPROTO);
	CHECK_FAIL(h, OUTPOST_EPROTO, OP_NEO4J_FAIL_PERMANENT, "is this Neo4j");
	CHECK_EQ(http_fake_count(f), 1);
	END();
}

/* Two statements on the Query API: two requests, the second carrying
 * the first's bookmarks; one connection for all. */
void test_neo4j_http_v2_statements(struct t *t)
{
	static const struct http_fake_step s[] = {S(202, V2_OK),
						  S(202, V2_OK2)};
	cJSON *p = cJSON_CreateObject();
	struct op_neo4j_stmt st[2] = {{"MATCH (n) RETURN n", NULL},
				      {"MERGE (n:L {uuid: $u})", p}};
	SCRIPT(s, OP_NEO4J_API_QUERY_V2, 1);

	CHECK(p && cJSON_AddStringToObject(p, "u", "a\"b\n"));
	CHECK_RC(op_neo4j_run(&r, h, st, 2), OUTPOST_OK);
	CHECK_EQ(http_fake_count(f), 2);
	CHECK(!strstr(http_fake_req(f, 0)->body, "bookmarks"));
	CHECK_HAS(http_fake_req(f, 1)->body, "\"bookmarks\":[\"FB:kcwQ1\"]");
	CHECK_HAS(http_fake_req(f, 1)->body,
		  "\"parameters\":{\"u\":\"a\\\"b\\n\"}");
	CHECK_EQ(r->n, 2);
	CHECK_EQ(r->tables[1].nfields, 0);
	CHECK_STR(cJSON_GetArrayItem(r->bookmarks, 0)->valuestring, "FB:2");
	CHECK_EQ(http_fake_accepts(f), 1);
	cJSON_Delete(p);
	END();
}

void test_neo4j_http_tx_statements(struct t *t)
{
	static const struct http_fake_step s[] = {S(200, TX_OK)};
	struct op_neo4j_stmt st[2] = {{"RETURN 1 AS a", NULL},
				      {"UNWIND ... RETURN b, c", NULL}};
	const cJSON *c;
	SCRIPT(s, OP_NEO4J_API_TX, 1);

	CHECK_RC(op_neo4j_run(&r, h, st, 2), OUTPOST_OK);
	CHECK_EQ(http_fake_count(f), 1);
	CHECK_HAS(http_fake_req(f, 0)->body, "\"statement\":\"UNWIND");
	CHECK_EQ(r->n, 2);
	CHECK_EQ(r->tables[0].nrows, 1);
	CHECK_EQ(r->tables[1].nfields, 2);
	CHECK_EQ(r->tables[1].nrows, 2);
	c = op_neo4j_cell(&r->tables[1], 0, 1);
	CHECK(cJSON_IsTrue(c));
	CHECK(cJSON_IsNull(op_neo4j_cell(&r->tables[1], 1, 1)));
	CHECK_EQ(cJSON_GetArraySize(r->bookmarks), 0);
	END();
}

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
	struct op_neo4j *h = f ? client(f, OP_NEO4J_API_TX, 1, 300) : NULL;
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

/* Integers beyond 2^53 arrive exactly (Typed JSON form) or are refused
 * by op_neo4j_int64; parameters beyond 2^53 are refused before sending,
 * and 64-bit ones go as strings. */
void test_neo4j_http_big_integers(struct t *t)
{
	static const struct http_fake_step s[] = {
		S(202, "{\"data\":{\"fields\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\","
		      "\"g\"],\"values\":[[9007199254740993,-9223372036854775808,"
		      "9007199254740992,1.5,\"12345678901234567890\","
		      "99999999999999999999,{\"$type\":\"Integer\",\"_value\":"
		      "\"1152921504606846977\"}]]}}"),
		S(202, V2_OK2)};
	const struct op_neo4j_table *tb;
	cJSON *p = cJSON_CreateObject();
	struct op_neo4j_stmt st = {"MERGE (n {hlc: toInteger($hlc)})", p};
	int64_t v;
	SCRIPT(s, OP_NEO4J_API_QUERY_V2, 1);

	CHECK_RC(run1(&r, h, "RETURN ..."), OUTPOST_OK);
	tb = &r->tables[0];
	CHECK(cJSON_IsObject(op_neo4j_cell(tb, 0, 0)));
	CHECK_RC(op_neo4j_int64(&v, op_neo4j_cell(tb, 0, 0)), OUTPOST_OK);
	CHECK(v == 9007199254740993LL);
	CHECK_RC(op_neo4j_int64(&v, op_neo4j_cell(tb, 0, 1)), OUTPOST_OK);
	CHECK(v == INT64_MIN);
	CHECK(cJSON_IsNumber(op_neo4j_cell(tb, 0, 2)));
	CHECK_RC(op_neo4j_int64(&v, op_neo4j_cell(tb, 0, 2)), OUTPOST_OK);
	CHECK(v == 9007199254740992LL);
	CHECK_RC(op_neo4j_int64(&v, op_neo4j_cell(tb, 0, 3)), OUTPOST_EPROTO);
	CHECK_STR(op_neo4j_cell(tb, 0, 4)->valuestring, "12345678901234567890");
	CHECK_RC(op_neo4j_int64(&v, op_neo4j_cell(tb, 0, 4)), OUTPOST_EPROTO);
	CHECK_RC(op_neo4j_int64(&v, op_neo4j_cell(tb, 0, 5)), OUTPOST_EPROTO);
	CHECK_RC(op_neo4j_int64(&v, op_neo4j_cell(tb, 0, 6)), OUTPOST_OK);
	CHECK(v == 1152921504606846977LL);
	op_neo4j_result_free(r);
	r = NULL;
	/* A clock as a number would arrive rounded: refused, unsent. */
	CHECK(cJSON_AddNumberToObject(p, "hlc", 1152921504606846977.0));
	CHECK_RC(op_neo4j_run(&r, h, &st, 1), OUTPOST_EMISUSE);
	CHECK_HAS(op_neo4j_errmsg(h), "parameter $hlc: a number beyond 2^53");
	CHECK_EQ(http_fake_count(f), 1);
	cJSON_DeleteItemFromObject(p, "hlc");
	CHECK_RC(op_neo4j_param_int64(p, "hlc", 1152921504606846977LL),
		 OUTPOST_OK);
	CHECK_RC(op_neo4j_run(&r, h, &st, 1), OUTPOST_OK);
	CHECK_HAS(http_fake_req(f, 1)->body, "{\"hlc\":\"1152921504606846977\"}");
	cJSON_Delete(p);
	END();
}

void test_neo4j_http_basic_auth(struct t *t)
{
	static const struct http_fake_step s[] = {S(200, TX_ONE)};
	char v[256];
	SCRIPT(s, OP_NEO4J_API_TX, 1);

	CHECK_RC(run1(&r, h, "RETURN 1 AS a"), OUTPOST_OK);
	CHECK_STR(http_fake_header(f, 0, "authorization", v, sizeof(v)),
		  "Basic bmVvNGo6czNjcmV0LVBX"); /* neo4j:s3cret-PW */
	CHECK_STR(http_fake_header(f, 0, "User-Agent", v, sizeof(v)),
		  "outpost/0.1.0");
	CHECK_STR(http_fake_header(f, 0, "Content-Type", v, sizeof(v)),
		  "application/json");
	CHECK_STR(http_fake_header(f, 0, "Accept", v, sizeof(v)),
		  "application/json");
	END();
}

/* The token goes as a Bearer header; echoed back by the server, it is
 * scrubbed from the message (so is a transport error's text). */
void test_neo4j_http_bearer_auth(struct t *t)
{
	static const struct http_fake_step s[] = {
		S(403, ERR("Neo.ClientError.Security.Forbidden",
			  "token tok-ABC.123 may not write"))};
	struct http_fake *f = http_fake_start(s, 1);
	struct op_neo4j_opts o = OP_NEO4J_OPTS_INIT;
	struct op_neo4j *h = NULL;
	struct op_neo4j_result *r = NULL;
	char v[256];

	CHECK(f);
	o.url = http_fake_url(f);
	o.auth = OP_NEO4J_AUTH_BEARER;
	o.secret = "tok-ABC.123";
	o.api = OP_NEO4J_API_QUERY_V2;
	CHECK_RC(op_neo4j_open(&h, &o), OUTPOST_OK);
	CHECK_RC(run1(&r, h, "CREATE ()"), OUTPOST_EDENIED);
	CHECK_HAS(op_neo4j_errmsg(h), "Security.Forbidden: token *********** "
				      "may not write (HTTP 403)");
	CHECK(!strstr(op_neo4j_errmsg(h), "tok-ABC"));
	CHECK_STR(http_fake_header(f, 0, "Authorization", v, sizeof(v)),
		  "Bearer tok-ABC.123");
	END();
}

/* Bad options are refused before any network, without quoting a URL
 * that may hold a password. */
void test_neo4j_http_options_refused(struct t *t)
{
	static const struct {
		const char *url, *db, *user, *secret, *ca;
		enum op_neo4j_auth auth;
		int allow;
		const char *says;
	} c[] = {
		{"http://neo4j:pw9@127.0.0.1:7474", NULL, "neo4j", "x", NULL,
		 OP_NEO4J_AUTH_BASIC, 0, "url holds credentials"},
		{"ftp://127.0.0.1/", NULL, NULL, NULL, NULL, 0, 0, "http://"},
		{"127.0.0.1:7474", NULL, NULL, NULL, NULL, 0, 0, "http://"},
		{"http://127.0.0.1:7474/?a=pw9", NULL, NULL, NULL, NULL, 0, 0,
		 "query"},
		{"http://db.example:7474", NULL, "neo4j", "x", NULL,
		 OP_NEO4J_AUTH_BASIC, 0, "plain http"},
		{"http://127.0.0.1:7474", "bad name", NULL, NULL, NULL, 0, 0,
		 "database names"},
		{"http://127.0.0.1:7474", NULL, NULL, "x", NULL, 0, 0, "Basic"},
		{"http://127.0.0.1:7474", NULL, NULL, "x", NULL,
		 OP_NEO4J_AUTH_BASIC, 0, "Basic"},
		{"http://127.0.0.1:7474", NULL, NULL, "", NULL,
		 OP_NEO4J_AUTH_BEARER, 0, "Bearer"},
		{"http://127.0.0.1:7474", NULL, NULL, "tok\r\nX-Evil: 1", NULL,
		 OP_NEO4J_AUTH_BEARER, 0, "control characters"},
		{"http://127.0.0.1:7474", NULL, "a:b", "x", NULL,
		 OP_NEO4J_AUTH_BASIC, 0, "':' in the user"},
		{"https://127.0.0.1:7473", NULL, NULL, NULL, "/nonexistent.pem",
		 0, 0, "ca_file"},
		{"http://db.example:7474", NULL, "neo4j", "x", NULL,
		 OP_NEO4J_AUTH_BASIC, 1, NULL},
		{"https://db.example:7473/neo4j/", "a-b.c_d", NULL, "tok", NULL,
		 OP_NEO4J_AUTH_BEARER, 0, NULL},
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct op_neo4j_opts o = OP_NEO4J_OPTS_INIT;
		struct op_neo4j *h = NULL;
		int rc;

		o.url = c[i].url;
		o.database = c[i].db;
		o.user = c[i].user;
		o.secret = c[i].secret;
		o.ca_file = c[i].ca;
		o.auth = c[i].auth;
		o.allow_plain_http = c[i].allow;
		rc = op_neo4j_open(&h, &o);
		CHECK(h != NULL);
		if (!c[i].says) {
			CHECK_RC(rc, OUTPOST_OK);
		} else {
			CHECK_RC(rc, OUTPOST_EMISUSE);
			CHECK_HAS(op_neo4j_errmsg(h), c[i].says);
			CHECK(!strstr(op_neo4j_errmsg(h), "pw9"));
			CHECK_RC(op_neo4j_discover(h), OUTPOST_EMISUSE);
		}
		op_neo4j_close(h);
	}
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
