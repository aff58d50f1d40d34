/* t_neo4j_sink_store.c - the Neo4j mirror from a store (api_sync_neo4j.c,
 * api_remote_neo4j.c): outpost_remote_set_neo4j, outpost_sync with only
 * a mirror, its cursor (moved only by an acknowledged batch), status,
 * credentials from the environment, a bulk import expanded in parts,
 * drift, and the CLI (remote set, sync, sync --watch, status, schema
 * check --neo4j), on the real Neo4j 3.1.1 and through the v2 stand-in. */
#include <stdlib.h>
#include <sys/stat.h>

#include "neo4j_sink_fix.h"
#include "sync_import_fix.h"

#define W(x) "0190b000-0000-7000-8000-0000000000" x

/* A store with the mirror schema in the test's directory. */
static outpost *store(struct t *t)
{
	char path[512];

	t_path(path, t, "mirror.json");
	if (t_write(path, t_n4_schema) != 0)
		return NULL;
	return ts_store(t, "store", path);
}

/* Point db at url with the run's password in a 0600 file. */
static int remote(struct t *t, outpost *db, const char *url)
{
	outpost_neo4j_remote r = OUTPOST_NEO4J_REMOTE_INIT;
	char pw[512];

	t_path(pw, t, "neo4j.pw");
	if (t_write(pw, t_neo4j_password()) != 0 || chmod(pw, 0600) != 0)
		return -1;
	r.url = url;
	r.user = t_neo4j_user();
	r.password_file = pw;
	if (outpost_remote_set_neo4j(db, &r) != OUTPOST_OK) {
		t_fail(t, __FILE__, __LINE__, "remote: %s", outpost_errmsg(db));
		return -1;
	}
	return 0;
}

static int sync_once(outpost *db, long long batch, outpost_sync_result *r)
{
	outpost_sync_opts o = OUTPOST_SYNC_OPTS_INIT;

	o.batch = batch;
	memset(r, 0, sizeof(*r));
	r->version = OUTPOST_SYNC_RESULT_VERSION;
	return outpost_sync(db, &o, r);
}

static int status(outpost *db, outpost_sink_status *s)
{
	s->version = OUTPOST_SINK_STATUS_VERSION;
	return outpost_sink_status_get(s, db, "neo4j");
}

/* Rows, edges, an update and deletes through outpost_sync. */
void test_neo4j_sink_store_sync(struct t *t)
{
	outpost *db;
	outpost_sync_result r;
	outpost_sink_status s;
	outpost_edge e = OUTPOST_EDGE_INIT;
	char e1[37], *row;

	CHECK(t_neo4j_start(t) == 0 && t_neo4j_wipe(t) == 0);
	CHECK((db = store(t)) != NULL);
	CHECK_OK(db, outpost_sql(db, "INSERT INTO Topic(id, name) VALUES ('"
			     W("01") "', 'animals'); INSERT INTO Word(id, "
			     "word, rank, ok) VALUES ('" W("02") "', 'cat', "
			     "7, 1), ('" W("03") "', 'dog', 8, 0); INSERT "
			     "INTO notes(id, body) VALUES ('" W("09") "', "
			     "'not a node')", NULL, 0, NULL, NULL));
	e.type = "ABOUT";
	e.from = W("02");
	e.to = W("01");
	e.properties = "{\"weight\": 0.5}";
	CHECK_OK(db, outpost_graph_edge_add(db, &e, e1));
	CHECK_EQ(remote(t, db, t_neo4j_url()), 0);
	CHECK_OK(db, status(db, &s));
	CHECK_EQ(s.configured, 1);
	CHECK_HAS(s.remote, " (database neo4j)");
	CHECK_EQ(s.pending, 4); /* 3 nodes and the edge, not the note */
	CHECK_OK(db, sync_once(db, 0, &r));
	CHECK_EQ(r.neo4j_pushed, 4);
	CHECK_EQ(r.pushed, 0);
	CHECK_EQ(t_neo4j_int(t, "MATCH (n) WHERE n:Word OR n:Topic RETURN "
			     "count(n)"), 3);
	CHECK_EQ(t_neo4j_int(t, "MATCH (:Word)-[e:ABOUT]->(:Topic) RETURN "
			     "count(e)"), 1);
	row = t_n4_row(t, "MATCH (n:Word {uuid: '" W("02") "'}) RETURN "
		       "n.word, n.rank, n.ok");
	CHECK_STR(row, "[\"cat\",7,true]");
	free(row);
	CHECK_OK(db, status(db, &s));
	CHECK_EQ(s.pending, 0);
	CHECK(s.last_ok[0] != '\0');
	CHECK_STR(s.last_error, "");
	/* nothing new: nothing goes */
	CHECK_OK(db, sync_once(db, 0, &r));
	CHECK_EQ(r.neo4j_pushed, 0);
	/* an update, a node delete (its edge goes with it) */
	CHECK_OK(db, outpost_sql(db, "UPDATE Word SET rank = 9 WHERE word = "
			     "'dog'; DELETE FROM Word WHERE word = 'cat'",
			     NULL, 0, NULL, NULL));
	CHECK_OK(db, sync_once(db, 0, &r));
	CHECK(r.neo4j_pushed >= 2);
	row = t_n4_row(t, "MATCH (n:Word) RETURN collect(n.word + ':' + "
		       "toString(n.rank))");
	CHECK_STR(row, "[[\"dog:9\"]]");
	free(row);
	CHECK_EQ(t_neo4j_int(t, "MATCH ()-[e]->() RETURN count(e)"), 0);
	CHECK_EQ(t_neo4j_int(t, "MATCH (n:_outpost_tomb {uuid: '" W("02")
			     "'}) RETURN count(n)"), 1);
	outpost_close(db);
}

/* The password from the environment; a wrong one is refused, noted,
 * and moves nothing. */
void test_neo4j_sink_store_credentials(struct t *t)
{
	outpost *db;
	outpost_neo4j_remote nr = OUTPOST_NEO4J_REMOTE_INIT;
	outpost_sync_result r;
	outpost_sink_status s;
	int rc;

	CHECK(t_neo4j_start(t) == 0 && t_neo4j_wipe(t) == 0);
	CHECK((db = store(t)) != NULL);
	CHECK_OK(db, outpost_sql(db, "INSERT INTO Topic(id, name) VALUES ('"
			     W("01") "', 'a')", NULL, 0, NULL, NULL));
	nr.url = t_neo4j_url();
	CHECK_OK(db, outpost_remote_set_neo4j(db, &nr));
	setenv("OUTPOST_NEO4J_PASSWORD", "wrong", 1);
	rc = sync_once(db, 0, &r);
	CHECK_RC(rc, OUTPOST_EDENIED);
	CHECK_EQ(r.transient, 0);
	CHECK(strstr(outpost_errmsg(db), "wrong") == NULL);
	CHECK_OK(db, status(db, &s));
	CHECK_EQ(s.push_seq, 0);
	CHECK_EQ(s.pending, 1);
	CHECK_HAS(s.last_error, "neo4j");
	setenv("OUTPOST_NEO4J_PASSWORD", t_neo4j_password(), 1);
	CHECK_OK(db, sync_once(db, 0, &r));
	CHECK_EQ(r.neo4j_pushed, 1);
	CHECK_OK(db, status(db, &s));
	CHECK_STR(s.last_error, "");
	unsetenv("OUTPOST_NEO4J_PASSWORD");
	/* refused before anything is kept */
	nr.url = "http://user:pw@127.0.0.1:1";
	CHECK_RC(outpost_remote_set_neo4j(db, &nr), OUTPOST_EMISUSE);
	nr.url = "http://127.0.0.1:1";
	nr.database = "no/such";
	CHECK_RC(outpost_remote_set_neo4j(db, &nr), OUTPOST_EMISUSE);
	outpost_close(db);
}

/* Through the Query API: a refused batch leaves the cursor where it
 * was; a server that is away says so (transient); then all goes. */
void test_neo4j_sink_store_cursor(struct t *t)
{
	struct t_standin si;
	outpost *db;
	outpost_sync_result r;
	outpost_sink_status s;

	CHECK(t_neo4j_start(t) == 0 && t_neo4j_wipe(t) == 0);
	CHECK_EQ(t_standin_start(t, &si, NULL), 0);
	CHECK((db = store(t)) != NULL);
	CHECK_OK(db, outpost_sql(db, "INSERT INTO Topic(id, name) VALUES ('"
			     W("01") "', 'a'), ('" W("02") "', 'b')", NULL, 0,
			     NULL, NULL));
	CHECK_EQ(remote(t, db, si.url), 0);
	CHECK_EQ(t_standin_faults(&si, "{\"rules\": [{\"fault\": \"status\", "
				  "\"status\": 400, \"match\": \"UNWIND\", "
				  "\"code\": \"Neo.ClientError.Statement."
				  "SyntaxError\"}]}"), 0);
	CHECK_RC(sync_once(db, 0, &r), OUTPOST_EREFUSED);
	CHECK_EQ(r.transient, 0);
	CHECK_HAS(outpost_errmsg(db), "SyntaxError");
	CHECK_OK(db, status(db, &s));
	CHECK_EQ(s.push_seq, 0);
	CHECK_EQ(s.pending, 2);
	CHECK_HAS(s.last_error, "SyntaxError");
	CHECK_EQ(t_standin_faults(&si, "{\"rules\": [{\"fault\": \"status\", "
				  "\"status\": 503, \"count\": 100}]}"), 0);
	CHECK(sync_once(db, 0, &r) != OUTPOST_OK);
	CHECK_EQ(r.transient, 1);
	CHECK_OK(db, status(db, &s));
	CHECK_EQ(s.push_seq, 0);
	CHECK_EQ(t_standin_faults(&si, "{\"rules\": []}"), 0);
	CHECK_OK(db, sync_once(db, 0, &r));
	CHECK_EQ(r.neo4j_pushed, 2);
	CHECK_OK(db, status(db, &s));
	CHECK(s.push_seq > 0);
	CHECK_EQ(s.pending, 0);
	CHECK_EQ(t_neo4j_int(t, "MATCH (n:Topic) RETURN count(n)"), 2);
	/* the constraints, in Cypher 5's syntax through the stand-in */
	{
		char *drift = NULL;

		CHECK_OK(db, outpost_neo4j_check(&drift, db));
		CHECK(drift == NULL);
	}
	outpost_close(db);
	t_standin_stop(&si);
}

/* A bulk import goes expanded, in parts of 4 changes (cut imports go on
 * where they stopped), and the same again sends nothing; or whole, with
 * the entries after it in the same batch. */
void test_neo4j_sink_store_import(struct t *t)
{
	outpost *db;
	outpost_sync_result r;
	outpost_sink_status s;
	char *row, *body = NULL;

	CHECK(t_neo4j_start(t) == 0 && t_neo4j_wipe(t) == 0);
	CHECK((db = si_store(t, "dev")) != NULL);
	CHECK_EQ(si_import(t, db), OUTPOST_OK);
	CHECK_EQ(remote(t, db, t_neo4j_url()), 0);
	CHECK_OK(db, sync_once(db, 4, &r));
	/* the Person made before, and the import's 19 emitted changes */
	CHECK_EQ(r.neo4j_pushed, 1 + NEMITTED);
	CHECK_EQ(t_neo4j_int(t, "MATCH (n:Person) RETURN count(n)"), 6);
	CHECK_EQ(t_neo4j_int(t, "MATCH (n:City) RETURN count(n)"), 2);
	CHECK_EQ(t_neo4j_int(t, "MATCH (n:Event) RETURN count(n)"), 1);
	CHECK_EQ(t_neo4j_int(t, "MATCH (n) WHERE n:Region OR n:Scratch "
			     "RETURN count(n)"), 0);
	CHECK_EQ(t_neo4j_int(t, "MATCH ()-[e:KNOWS]->() RETURN count(e)"), 5);
	CHECK_EQ(t_neo4j_int(t, "MATCH ()-[e:LIVES]->() RETURN count(e)"), 4);
	CHECK_EQ(t_neo4j_cypher(t, &body, "MATCH (n:Person {uuid: '" U("004")
				"'}) RETURN n.age", NULL), 0);
	CHECK_HAS(body, "[9223372036854775807]");
	free(body);
	row = t_n4_row(t, "MATCH (:Person {uuid: '" U("001") "'})-[e:LIVES]->"
		       "(:City) RETURN e.valid_from, e.valid_to");
	CHECK_STR(row, "[\"2020-01-01T00:00:00.000Z\","
		       "\"2021-06-30T12:00:00.000Z\"]");
	free(row);
	CHECK_OK(db, status(db, &s));
	CHECK_EQ(s.pending, 0);
	CHECK_OK(db, sync_once(db, 4, &r));
	CHECK_EQ(r.neo4j_pushed, 0);
	outpost_close(db);
	/* whole, in one batch with the entries after it */
	CHECK(t_neo4j_wipe(t) == 0);
	CHECK((db = si_store(t, "dev2")) != NULL);
	CHECK_EQ(si_import(t, db), OUTPOST_OK);
	CHECK_OK(db, outpost_sql(db, "INSERT INTO City(id, name) VALUES ('"
			     U("103") "', 'Rome'); UPDATE Person SET name = "
			     "'Ann B' WHERE id = '" U("001") "'", NULL, 0,
			     NULL, NULL));
	CHECK_EQ(remote(t, db, t_neo4j_url()), 0);
	CHECK_OK(db, sync_once(db, 0, &r));
	CHECK_EQ(r.neo4j_pushed, 1 + NEMITTED + 2);
	CHECK_EQ(t_neo4j_int(t, "MATCH (n:City) RETURN count(n)"), 3);
	row = t_n4_row(t, "MATCH (n:Person {uuid: '" U("001") "'}) RETURN "
		       "n.name");
	CHECK_STR(row, "[\"Ann B\"]");
	free(row);
	outpost_close(db);
}

/* The CLI: remote set, sync, status, schema check --neo4j and its drift,
 * sync --watch; the password is in no output. */
void test_neo4j_sink_store_cli(struct t *t)
{
	char dir[512], schema[512], pw[512], *out = NULL;
	int rc;

	CHECK(t_neo4j_start(t) == 0 && t_neo4j_wipe(t) == 0);
	t_path(dir, t, "store");
	t_path(schema, t, "mirror.json");
	t_path(pw, t, "pw");
	CHECK_EQ(t_write(schema, t_n4_schema), 0);
	CHECK_EQ(t_write(pw, t_neo4j_password()), 0);
	CHECK_EQ(chmod(pw, 0600), 0);
	CHECK_EQ(t_sh(NULL, "%s -d %s init --schema %s", t_bin(), dir, schema),
		 0);
	CHECK_EQ(t_sh(&out, "%s -d %s remote set --neo4j %s --database neo4j "
		      "--user neo4j --password-file %s", t_bin(), dir,
		      t_neo4j_url(), pw), 0);
	CHECK_HAS(out, "remote set: neo4j http://127.0.0.1:");
	free(out);
	CHECK_EQ(t_sh(&out, "%s -d %s remote set --neo4j %s --pg x", t_bin(),
		      dir, t_neo4j_url()), 2);
	free(out);
	CHECK_EQ(t_sh(NULL, "%s -d %s sql \"INSERT INTO Topic(id, name) "
		      "VALUES ('" W("01") "', 'a')\"", t_bin(), dir), 0);
	CHECK_EQ(t_sh(&out, "%s -d %s status", t_bin(), dir), 0);
	CHECK_HAS(out, "sink neo4j   http://127.0.0.1:");
	CHECK_HAS(out, "pending    1 change to push");
	free(out);
	CHECK_EQ(t_sh(&out, "%s -d %s sync", t_bin(), dir), 0);
	CHECK_HAS(out, "neo4j: pushed 1");
	CHECK(strstr(out, t_neo4j_password()) == NULL);
	free(out);
	CHECK_EQ(t_sh(&out, "%s -d %s status --json", t_bin(), dir), 0);
	CHECK_HAS(out, "{\"name\": \"neo4j\", \"remote\": \"http://");
	CHECK_HAS(out, "\"pending\": 0");
	CHECK(strstr(out, t_neo4j_password()) == NULL);
	free(out);
	CHECK_EQ(t_sh(&out, "%s -d %s schema check --neo4j", t_bin(), dir), 0);
	CHECK_HAS(out, "no drift: Neo4j matches the schema");
	free(out);
	CHECK_EQ(t_neo4j_cypher(t, NULL, "DROP CONSTRAINT ON (n:Word) ASSERT "
				"n.word IS UNIQUE", NULL), 0);
	CHECK_EQ(t_neo4j_cypher(t, NULL, "CREATE CONSTRAINT ON (n:Topic) "
				"ASSERT n.name IS UNIQUE", NULL), 0);
	CHECK_EQ(t_sh(&out, "%s -d %s schema check --neo4j", t_bin(), dir), 1);
	CHECK_HAS(out, "neo4j: missing: uniqueness of Word.word");
	CHECK_HAS(out, "neo4j: not in the schema: uniqueness of Topic.name");
	free(out);
	/* --watch pushes what comes, until it is stopped */
	CHECK_EQ(t_sh(NULL, "%s -d %s sql \"INSERT INTO Topic(id, name) "
		      "VALUES ('" W("02") "', 'b')\"", t_bin(), dir), 0);
	rc = t_sh(&out, "timeout -s INT 5 %s -d %s sync --watch --interval 1",
		  t_bin(), dir);
	CHECK_HAS(out, "neo4j: pushed 1");
	CHECK_HAS(out, "sync --watch stopped");
	free(out);
	(void)rc;
	CHECK_EQ(t_neo4j_int(t, "MATCH (n:Topic) RETURN count(n)"), 2);
}

/* With central set too: central's round first; the mirror is pushed
 * even when central cannot be reached, and both failures are told. */
void test_neo4j_sink_store_with_pg(struct t *t)
{
	outpost *db;
	outpost_sync_result r;
	outpost_sink_status s;

	CHECK(t_neo4j_start(t) == 0 && t_neo4j_wipe(t) == 0);
	CHECK((db = store(t)) != NULL);
	CHECK_OK(db, outpost_sql(db, "INSERT INTO Topic(id, name) VALUES ('"
			     W("01") "', 'a')", NULL, 0, NULL, NULL));
	/* nothing listens on port 1 */
	CHECK_OK(db, outpost_remote_set_pg(db, "host=127.0.0.1 port=1 "
				       "dbname=x user=y connect_timeout=5",
				       NULL));
	CHECK_EQ(remote(t, db, t_neo4j_url()), 0);
	CHECK_RC(sync_once(db, 0, &r), OUTPOST_ENET);
	CHECK_EQ(r.transient, 1);
	CHECK_EQ(r.neo4j_pushed, 1);
	CHECK(strstr(outpost_errmsg(db), "; and ") == NULL);
	CHECK_OK(db, status(db, &s));
	CHECK_EQ(s.pending, 0);
	CHECK_STR(s.last_error, "");
	s.version = OUTPOST_SINK_STATUS_VERSION;
	CHECK_OK(db, outpost_sink_status_get(&s, db, "pg"));
	CHECK(s.last_error[0] != '\0');
	/* both fail: both are said */
	CHECK_OK(db, outpost_sql(db, "INSERT INTO Topic(id, name) VALUES ('"
			     W("02") "', 'b')", NULL, 0, NULL, NULL));
	setenv("OUTPOST_NEO4J_PASSWORD", "wrong", 1);
	CHECK_RC(sync_once(db, 0, &r), OUTPOST_ENET);
	unsetenv("OUTPOST_NEO4J_PASSWORD");
	CHECK_HAS(outpost_errmsg(db), "; and hello: neo4j: ");
	CHECK_EQ(r.neo4j_pushed, 0);
	outpost_close(db);
}

/* What Neo4j records decides: a newer version or another schema stops
 * the round before anything moves; an older one is brought up. */
void test_neo4j_sink_store_schema_versions(struct t *t)
{
	outpost *db;
	outpost_sync_result r;
	outpost_sink_status s;
	char *row;

	CHECK(t_neo4j_start(t) == 0 && t_neo4j_wipe(t) == 0);
	CHECK((db = store(t)) != NULL);
	CHECK_OK(db, outpost_sql(db, "INSERT INTO Topic(id, name) VALUES ('"
			     W("01") "', 'a')", NULL, 0, NULL, NULL));
	CHECK_EQ(remote(t, db, t_neo4j_url()), 0);
	CHECK_EQ(t_neo4j_cypher(t, NULL, "CREATE (:_outpost_meta {key: "
				"'schema', name: 'mirror', version: 2})", NULL),
		 0);
	CHECK_RC(sync_once(db, 0, &r), OUTPOST_ESCHEMA);
	CHECK_HAS(outpost_errmsg(db), "the mirror has mirror version 2, this "
		  "store version 1: apply the newer schema here first");
	CHECK_EQ(t_neo4j_int(t, "MATCH (n:Topic) RETURN count(n)"), 0);
	CHECK_OK(db, status(db, &s));
	CHECK_EQ(s.push_seq, 0);
	CHECK_EQ(t_neo4j_cypher(t, NULL, "MATCH (m:_outpost_meta) SET m.name "
				"= 'other'", NULL), 0);
	CHECK_RC(sync_once(db, 0, &r), OUTPOST_ESCHEMA);
	CHECK_HAS(outpost_errmsg(db), "holds schema \"other\"");
	CHECK_EQ(t_neo4j_cypher(t, NULL, "MATCH (m:_outpost_meta) SET m.name "
				"= 'mirror', m.version = 0", NULL), 0);
	CHECK_OK(db, sync_once(db, 0, &r));
	CHECK_EQ(r.neo4j_pushed, 1);
	row = t_n4_row(t, "MATCH (m:_outpost_meta) RETURN m.name, m.version");
	CHECK_STR(row, "[\"mirror\",1]");
	free(row);
	outpost_close(db);
}
