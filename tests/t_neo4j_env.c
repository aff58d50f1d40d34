/* t_neo4j_env.c - the Neo4j test infrastructure itself (neo4j_harness.h,
 * tests/neo4j/): the run's real Neo4j 3.1.1 on its transactional
 * endpoint, the Query API v2 stand-in in front of it (formats, status
 * codes, Typed JSON, fault switches) and the Cypher linter. */
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "neo4j_harness.h"

/* One Query API request to the stand-in; *j gets the parsed answer (NULL
 * if it is not JSON). Returns the HTTP status. */
static long v2(cJSON **j, const struct t_standin *s, const char *auth,
	       const char *db, const char *accept, const char *body)
{
	char url[160];
	struct t_http r;

	snprintf(url, sizeof(url), "%s/db/%s/query/v2", s->url, db);
	t_http(&r, "POST", url, auth, "application/json", accept, body);
	*j = cJSON_Parse(r.body);
	t_http_free(&r);
	return r.status;
}

static const char *error_code(const cJSON *j)
{
	const cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "errors"), 0);

	return cJSON_GetStringValue(cJSON_GetObjectItem(e, "code"));
}

/* values[row][col] of a v2 answer */
static cJSON *value(const cJSON *j, int row, int col)
{
	const cJSON *d = cJSON_GetObjectItem(j, "data");

	return cJSON_GetArrayItem(
		cJSON_GetArrayItem(cJSON_GetObjectItem(d, "values"), row), col);
}

void test_neo4j_env_start(struct t *t)
{
	struct t_http r;
	char auth[256], url[128];

	CHECK_EQ(t_neo4j_start(t), 0);
	CHECK(strncmp(t_neo4j_url(), "http://127.0.0.1:", 17) == 0);
	CHECK_EQ(strlen(t_neo4j_password()), 32);
	CHECK_STR(getenv("OUTPOST_TEST_NEO4J_URL"), t_neo4j_url());
	/* a second call finds it running */
	CHECK_EQ(t_neo4j_start(t), 0);
	t_http(&r, "GET", t_neo4j_url(), NULL, NULL, NULL, NULL);
	CHECK_EQ(r.status, 200);
	CHECK_HAS(r.body, "/db/data/");
	t_http_free(&r);
	/* auth is on: the default password and a wrong one are refused */
	snprintf(url, sizeof(url), "%s/db/data/transaction/commit",
		 t_neo4j_url());
	t_http(&r, "POST", url, t_neo4j_basic(auth, "neo4j", "neo4j"),
	       "application/json", NULL, "{\"statements\":[]}");
	CHECK_EQ(r.status, 401);
	CHECK_HAS(r.body, "Neo.ClientError.Security.Unauthorized");
	t_http_free(&r);
}

void test_neo4j_env_transactional(struct t *t)
{
	char *body = NULL, url[128], auth[256];
	struct t_http r;

	CHECK_EQ(t_neo4j_wipe(t), 0);
	CHECK_EQ(t_neo4j_cypher(t, NULL, "CREATE CONSTRAINT ON (n:Person) "
				"ASSERT n.uuid IS UNIQUE", NULL), 0);
	CHECK_EQ(t_neo4j_cypher(t, NULL, "UNWIND $rows AS r CREATE "
				"(:Person {uuid: r.uuid, clock: r.clock})",
				"{\"rows\": [{\"uuid\": \"a\", \"clock\": "
				"9007199254740993}, {\"uuid\": \"b\", "
				"\"clock\": 1}]}"), 0);
	CHECK_EQ(t_neo4j_int(t, "MATCH (n:Person) RETURN count(n)"), 2);
	/* 2^53 + 1 comes back exactly (in the JSON text) */
	CHECK_EQ(t_neo4j_cypher(t, &body, "MATCH (n:Person {uuid: 'a'}) "
				"RETURN n.clock", NULL), 0);
	CHECK_HAS(body, "[9007199254740993]");
	free(body);
	/* the constraint holds, and wipe removes it with the data */
	snprintf(url, sizeof(url), "%s/db/data/transaction/commit",
		 t_neo4j_url());
	t_http(&r, "POST", url,
	       t_neo4j_basic(auth, t_neo4j_user(), t_neo4j_password()),
	       "application/json", NULL, "{\"statements\": [{\"statement\": "
	       "\"CREATE (:Person {uuid: 'a'})\"}]}");
	CHECK_EQ(r.status, 200);
	CHECK_HAS(r.body, "Neo.ClientError.Schema.ConstraintValidationFailed");
	t_http_free(&r);
	CHECK_EQ(t_neo4j_wipe(t), 0);
	CHECK_EQ(t_neo4j_int(t, "MATCH (n) RETURN count(n)"), 0);
	CHECK_EQ(t_neo4j_cypher(t, &body, "CALL db.constraints()", NULL), 0);
	CHECK_HAS(body, "\"data\":[]");
	free(body);
}

void test_neo4j_env_restart(struct t *t)
{
	CHECK_EQ(t_neo4j_wipe(t), 0);
	CHECK_EQ(t_neo4j_cypher(t, NULL, "CREATE (:Kept {v: 1})", NULL), 0);
	CHECK_EQ(t_neo4j_stop(), 0);
	CHECK_EQ(t_neo4j_start(t), 0);
	CHECK_EQ(t_neo4j_int(t, "MATCH (n:Kept) RETURN count(n)"), 1);
}

void test_neo4j_env_standin_query(struct t *t)
{
	struct t_standin s;
	struct t_http r;
	char auth[256];
	cJSON *j = NULL, *v;

	CHECK_EQ(t_neo4j_wipe(t), 0);
	CHECK_EQ(t_standin_start(t, &s, NULL), 0);
	t_neo4j_basic(auth, t_neo4j_user(), t_neo4j_password());
	/* discovery, as Neo4j 5 gives it */
	t_http(&r, "GET", s.url, NULL, NULL, NULL, NULL);
	CHECK_EQ(r.status, 200);
	CHECK_HAS(r.body, "/db/{databaseName}/query/v2\"");
	CHECK_HAS(r.body, "\"neo4j_version\":\"5.");
	CHECK_HAS(r.body, "\"neo4j_edition\":");
	t_http_free(&r);
	CHECK_EQ(v2(&j, &s, auth, "neo4j", NULL, "{\"statement\": \"CREATE "
		    "(n:Person {name: $name}) RETURN n AS person, n.name AS "
		    "name\", \"parameters\": {\"name\": \"Phil\"}, "
		    "\"includeCounters\": true}"), 202);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(
			  cJSON_GetObjectItem(j, "data"), "fields"), 1)), "name");
	v = value(j, 0, 0);
	CHECK_HAS(cJSON_GetStringValue(cJSON_GetObjectItem(v, "elementId")),
		  "4:");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(
			  cJSON_GetObjectItem(v, "labels"), 0)), "Person");
	CHECK_STR(cJSON_GetStringValue(value(j, 0, 1)), "Phil");
	CHECK_EQ(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "counters"),
				     "nodesCreated")->valueint, 1);
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "bookmarks")) == 1);
	cJSON_Delete(j);
	/* the write is in the real server */
	CHECK_EQ(t_neo4j_int(t, "MATCH (n:Person {name: 'Phil'}) "
				"RETURN count(n)"), 1);
	CHECK_EQ(v2(&j, &s, auth, "neo4j", NULL, "{\"statement\": \"MATCH "
		    "(n:Person) RETURN count(n) AS c\"}"), 202);
	CHECK_EQ(value(j, 0, 0)->valueint, 1);
	cJSON_Delete(j);
	t_standin_stop(&s);
}

void test_neo4j_env_standin_typed(struct t *t)
{
	struct t_standin s;
	char auth[256];
	cJSON *j = NULL, *v;

	CHECK_EQ(t_standin_start(t, &s, NULL), 0);
	t_neo4j_basic(auth, t_neo4j_user(), t_neo4j_password());
	/* an INTEGER above 2^53 comes back exactly, as a string */
	CHECK_EQ(v2(&j, &s, auth, "neo4j", "application/vnd.neo4j.query",
		    "{\"statement\": \"RETURN $i + 1 AS i, 1.5 AS f\", "
		    "\"parameters\": {\"i\": 9007199254740993}}"), 202);
	v = value(j, 0, 0);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(v, "$type")),
		  "Integer");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(v, "_value")),
		  "9007199254740994");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(value(j, 0, 1),
							   "$type")), "Float");
	cJSON_Delete(j);
	/* Cypher 5 constraint syntax is carried over to 3.1 */
	CHECK_EQ(v2(&j, &s, auth, "neo4j", NULL, "{\"statement\": \"CREATE "
		    "CONSTRAINT person_uuid IF NOT EXISTS FOR (n:Person) "
		    "REQUIRE n.uuid IS UNIQUE\"}"), 202);
	cJSON_Delete(j);
	CHECK_EQ(v2(&j, &s, auth, "neo4j", NULL, "{\"statement\": \"SHOW "
		    "CONSTRAINTS YIELD name, labelsOrTypes\"}"), 202);
	CHECK_STR(cJSON_GetStringValue(value(j, 0, 0)), "person_uuid");
	cJSON_Delete(j);
	CHECK_EQ(t_neo4j_wipe(t), 0);
	t_standin_stop(&s);
}

void test_neo4j_env_standin_errors(struct t *t)
{
	struct t_standin s;
	char auth[256], bad[256], bearer[80];
	cJSON *j = NULL;

	CHECK_EQ(t_standin_start(t, &s, NULL), 0);
	t_neo4j_basic(auth, t_neo4j_user(), t_neo4j_password());
	t_neo4j_basic(bad, t_neo4j_user(), "wrong");
	CHECK_EQ(v2(&j, &s, auth, "neo4j", NULL,
		    "{\"statement\": \"RETURN nope(\"}"), 400);
	CHECK_STR(error_code(j), "Neo.ClientError.Statement.SyntaxError");
	cJSON_Delete(j);
	CHECK_EQ(v2(&j, &s, bad, "neo4j", NULL,
		    "{\"statement\": \"RETURN 1\"}"), 401);
	CHECK_STR(error_code(j), "Neo.ClientError.Security.Unauthorized");
	cJSON_Delete(j);
	CHECK_EQ(v2(&j, &s, NULL, "neo4j", NULL,
		    "{\"statement\": \"RETURN 1\"}"), 401);
	cJSON_Delete(j);
	CHECK_EQ(v2(&j, &s, auth, "nosuchdb", NULL,
		    "{\"statement\": \"RETURN 1\"}"), 404);
	CHECK_STR(error_code(j), "Neo.ClientError.Database.DatabaseNotFound");
	cJSON_Delete(j);
	snprintf(bearer, sizeof(bearer), "Bearer %s", s.token);
	CHECK_EQ(v2(&j, &s, bearer, "neo4j", NULL,
		    "{\"statement\": \"RETURN 1\"}"), 202);
	cJSON_Delete(j);
	/* an error after rows were produced: 202, the rows, the error */
	CHECK_EQ(v2(&j, &s, auth, "neo4j", NULL, "{\"statement\": \"UNWIND "
		    "[1, 0] AS x RETURN 1 / x\"}"), 202);
	CHECK_STR(error_code(j), "Neo.ClientError.Statement.ArithmeticError");
	CHECK_EQ(value(j, 0, 0)->valueint, 1);
	cJSON_Delete(j);
	t_standin_stop(&s);
}

void test_neo4j_env_standin_faults(struct t *t)
{
	struct t_standin s;
	struct t_http r;
	char auth[256], url[128], *state;
	cJSON *j = NULL;

	CHECK_EQ(t_neo4j_wipe(t), 0);
	CHECK_EQ(t_standin_start(t, &s, "{\"rules\": [{\"fault\": \"status\", "
				 "\"status\": 503, \"count\": 2}]}"), 0);
	t_neo4j_basic(auth, t_neo4j_user(), t_neo4j_password());
	CHECK_EQ(v2(&j, &s, auth, "neo4j", NULL, "{\"statement\": \"RETURN 1\"}"),
		 503);
	CHECK_STR(error_code(j), "Neo.TransientError.General.DatabaseUnavailable");
	cJSON_Delete(j);
	CHECK_EQ(v2(&j, &s, auth, "neo4j", NULL, "{\"statement\": \"RETURN 1\"}"),
		 503);
	cJSON_Delete(j);
	CHECK_EQ(v2(&j, &s, auth, "neo4j", NULL, "{\"statement\": \"RETURN 1\"}"),
		 202);
	cJSON_Delete(j);
	CHECK_EQ(t_standin_faults(&s, "{\"rules\": [{\"fault\": \"cut\", "
				  "\"after_bytes\": 10}, {\"fault\": "
				  "\"truncate\"}, {\"fault\": \"error202\", "
				  "\"partial\": true}]}"), 0);
	snprintf(url, sizeof(url), "%s/db/neo4j/query/v2", s.url);
	/* cut: the body ends early, but the write did happen */
	t_http(&r, "POST", url, auth, "application/json", NULL,
	       "{\"statement\": \"CREATE (:Cut) RETURN 'cut'\"}");
	CHECK(r.curl_rc != 0);
	t_http_free(&r);
	CHECK_EQ(t_neo4j_int(t, "MATCH (n:Cut) RETURN count(n)"), 1);
	t_http(&r, "POST", url, auth, "application/json", NULL,
	       "{\"statement\": \"RETURN 'truncated'\"}");
	CHECK_EQ(r.curl_rc, 18); /* CURLE_PARTIAL_FILE */
	t_http_free(&r);
	/* 202 with errors and partial data; rolled back */
	CHECK_EQ(v2(&j, &s, auth, "neo4j", NULL, "{\"statement\": \"UNWIND "
		    "range(1, 4) AS x CREATE (:Lost) RETURN x\"}"), 202);
	CHECK(error_code(j) != NULL);
	CHECK_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(
			 cJSON_GetObjectItem(j, "data"), "values")), 2);
	cJSON_Delete(j);
	CHECK_EQ(t_neo4j_int(t, "MATCH (n:Lost) RETURN count(n)"), 0);
	state = t_standin_get(&s, "state");
	CHECK_HAS(state, "\"queries\":6");
	free(state);
	t_standin_stop(&s);
}

void test_neo4j_env_lint(struct t *t)
{
	static const char *const good[] = {
		"UNWIND $rows AS r MERGE (n:`Person` {uuid: r.uuid}) "
		"SET n += r.props",
		"CREATE CONSTRAINT person_uuid IF NOT EXISTS FOR (n:Person) "
		"REQUIRE n.uuid IS UNIQUE",
	};
	static const char *const bad[] = {
		"MATCH (n RETURN n",
		"CREATE CONSTRAINT ON (n:Person) ASSERT n.uuid IS UNIQUE",
	};
	char *out = NULL;

	CHECK_EQ(t_cypher_lint(t, good, 2), 0);
	CHECK_EQ(t_cypher_lint_run(&out, t->dir, bad, 2), 1);
	CHECK_HAS(out, "#1 error");
	CHECK_HAS(out, "#2 error");
	CHECK_HAS(out, "2 error(s)");
	free(out);
}
