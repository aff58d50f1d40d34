/* t_neo4j_http.c - the Neo4j HTTP client (sync/neo4j_http.h) against a
 * scripted fake server (http_fake.h): discovery of the three server
 * generations, results of both interfaces, the Query API's bookmarks
 * carried from answer to request (and hostile ones refused), exact big
 * integers. Failures and the parser are in t_neo4j_http_errors.c,
 * credentials, options and TLS in t_neo4j_http_auth.c; the fixture they
 * share is t_neo4j_http.h. */
#include <stdint.h>
#include <stdlib.h>

#include "t_neo4j_http.h"

struct op_neo4j *t_neo4j_http_client(struct http_fake *f,
				     enum op_neo4j_api api, unsigned tries,
				     long timeout_ms)
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

/* A Query API answer with no rows and these bookmarks (JSON text, or
 * NULL for none), malloc'd. */
static char *v2_answer(const char *bookmarks)
{
	const char *pre = "{\"data\":{\"fields\":[],\"values\":[]}";
	size_t n = strlen(pre) + (bookmarks ? strlen(bookmarks) : 0) + 20;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s%s%s}", pre,
			 bookmarks ? ",\"bookmarks\":" : "",
			 bookmarks ? bookmarks : "");
	return s;
}

/* ["xxx...", ...]: n strings of len bytes each, malloc'd. */
static char *bookmark_list(size_t n, size_t len)
{
	char *s = malloc(n * (len + 3) + 3), *p = s;
	size_t i;

	if (!s)
		return NULL;
	*p++ = '[';
	for (i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		*p++ = '"';
		memset(p, 'b', len);
		p += len;
		*p++ = '"';
	}
	*p++ = ']';
	*p = '\0';
	return s;
}

/* The Query API's bookmarks go back as the answer gave them, in the
 * next request of the handle's life (not only of one run), replaced by
 * each answer that gives some, kept by one that gives none. */
void test_neo4j_http_bookmarks_carried(struct t *t)
{
	static const struct http_fake_step s[] = {
		S(202, "{\"data\":{\"fields\":[],\"values\":[]},\"bookmarks\":"
		      "[\"FB:kcwQ/wTfJf8rS1WY+GiIKXsCXgmQ\",\"FB:b\"]}"),
		S(202, "{\"data\":{\"fields\":[],\"values\":[]}}"),
		S(202, "{\"data\":{\"fields\":[],\"values\":[]},\"bookmarks\""
		      ":[]}"),
		S(202, V2_OK2), S(202, V2_OK)};
	static const char both[] =
		"\"bookmarks\":[\"FB:kcwQ/wTfJf8rS1WY+GiIKXsCXgmQ\",\"FB:b\"]}";
	static const int kept[] = {2, 2, 2, 1, 1};
	size_t i;
	SCRIPT(s, OP_NEO4J_API_QUERY_V2, 1);

	for (i = 0; i < 5; i++) {
		CHECK_RC(run1(&r, h, "MERGE (n:L {uuid: 'u'})"), OUTPOST_OK);
		/* A result shows the handle's latest. */
		CHECK_EQ(cJSON_GetArraySize(r->bookmarks), kept[i]);
		op_neo4j_result_free(r);
		r = NULL;
	}
	CHECK_EQ(http_fake_count(f), 5);
	CHECK(!strstr(http_fake_req(f, 0)->body, "bookmarks"));
	/* Sent as the last of the request's keys, exactly as received. */
	CHECK_HAS(http_fake_req(f, 1)->body, both);
	CHECK_HAS(http_fake_req(f, 2)->body, both);
	CHECK_HAS(http_fake_req(f, 3)->body, both);
	CHECK_HAS(http_fake_req(f, 4)->body, "\"bookmarks\":[\"FB:2\"]}");
	CHECK_RC(run1(&r, h, "RETURN 1"), OUTPOST_ENET); /* script used up */
	CHECK_HAS(http_fake_req(f, 5)->body, "\"bookmarks\":[\"FB:kcwQ1\"]}");
	END();
}

/* The transactional endpoints take no bookmarks in the body: none are
 * sent, whatever the answers' lastBookmarks (which a result shows). */
void test_neo4j_http_bookmarks_not_on_tx(struct t *t)
{
	static const struct http_fake_step s[] = {
		S(200, "{\"results\":[{\"columns\":[\"a\"],\"data\":[]}],"
		      "\"errors\":[],\"lastBookmarks\":[\"FB:t\"]}"),
		S(200, TX_ONE)};
	SCRIPT(s, OP_NEO4J_API_TX, 1);

	CHECK_RC(run1(&r, h, "RETURN 1 AS a"), OUTPOST_OK);
	CHECK_EQ(cJSON_GetArraySize(r->bookmarks), 1);
	CHECK_STR(cJSON_GetArrayItem(r->bookmarks, 0)->valuestring, "FB:t");
	op_neo4j_result_free(r);
	r = NULL;
	CHECK_RC(run1(&r, h, "RETURN 1 AS a"), OUTPOST_OK);
	CHECK(!strstr(http_fake_req(f, 1)->body, "ookmark"));
	END();
}

/* Bookmarks that are not a short list of short strings are the answer
 * of something that is not Neo4j: refused clearly, not retried, never
 * kept (the next request carries the last good ones). The limits
 * themselves (64 strings, 4096 bytes each) pass. */
void test_neo4j_http_bookmarks_hostile(struct t *t)
{
	/* The first is kept, the last too (at the limits), the rest not. */
	char *lists[] = {strdup("[\"FB:good\"]"),
			 strdup("\"FB:x\""),
			 strdup("null"),
			 strdup("[1]"),
			 strdup("[\"FB:x\",null]"),
			 strdup("[{\"FB\":\"x\"}]"),
			 strdup("[[\"FB:x\"]]"),
			 bookmark_list(NEO4J_BOOKMARKS_MAX + 1, 4),
			 bookmark_list(1, 4097),
			 bookmark_list(1, 1 << 20),
			 bookmark_list(NEO4J_BOOKMARKS_MAX, 4096)};
	enum { N = sizeof(lists) / sizeof(lists[0]) };
	struct http_fake_step s[N + 1];
	char *bodies[N], *limit = bookmark_list(NEO4J_BOOKMARKS_MAX, 4096);
	size_t i;

	for (i = 0; i < N; i++) {
		bodies[i] = lists[i] ? v2_answer(lists[i]) : NULL;
		memset(&s[i], 0, sizeof(s[i]));
		s[i].status = 202;
		s[i].body = bodies[i];
	}
	memset(&s[N], 0, sizeof(s[N]));
	s[N].status = 202;
	s[N].body = V2_OK2;
	{
		SCRIPT(s, OP_NEO4J_API_QUERY_V2, 5);

		for (i = 0; i < N; i++)
			CHECK(bodies[i]);
		CHECK(limit);
		CHECK_RC(run1(&r, h, "RETURN 1"), OUTPOST_OK);
		op_neo4j_result_free(r);
		r = NULL;
		for (i = 1; i + 1 < N; i++) {
			CHECK_RC(run1(&r, h, "RETURN 1"), OUTPOST_EPROTO);
			CHECK_FAIL(h, OUTPOST_EPROTO, OP_NEO4J_FAIL_PERMANENT,
				   "\"bookmarks\" is not a list of at most 64 "
				   "strings of at most 4096 bytes");
			CHECK_EQ(op_neo4j_err_get(h)->tries, 1);
			CHECK_EQ(http_fake_count(f), i + 1);
			CHECK_HAS(http_fake_req(f, i)->body,
				  "\"bookmarks\":[\"FB:good\"]}");
		}
		CHECK_RC(run1(&r, h, "RETURN 1"), OUTPOST_OK);
		CHECK_EQ(cJSON_GetArraySize(r->bookmarks), NEO4J_BOOKMARKS_MAX);
		op_neo4j_result_free(r);
		r = NULL;
		CHECK_RC(run1(&r, h, "RETURN 1"), OUTPOST_OK);
		CHECK_HAS(http_fake_req(f, N)->body, limit);
		END();
	}
	for (i = 0; i < N; i++) {
		free(lists[i]);
		free(bodies[i]);
	}
	free(limit);
}
