/* t_central.c - central PostgreSQL set-up against a real server (the
 * run's own, pg_harness.c), each test in its own database: init creates
 * the mapped tables and outpost's objects and is idempotent, direct
 * writes are captured in the device log's wire form with clocks, the
 * central log hands out entries in commit order, migrate and schema
 * check --pg. */
#include <libpq-fe.h>
#include <stdlib.h>

#include "t_central.h"

/* Every portable type; a scoped lww table, a scoped append_only one
 * referencing it, a central_wins one, a local_only one, a label, a type. */
static const char shop[] =
	"{\"schema\": \"shop\", \"version\": %d, \"tables\": {\n"
	" \"things\": {\"columns\": {\"id\": {\"type\": \"uuid\", "
	"\"primary_key\": true}, \"n\": {\"type\": \"integer\"}, \"r\": "
	"{\"type\": \"real\"}, \"b\": {\"type\": \"boolean\"}, \"ts\": "
	"{\"type\": \"timestamp\"}, \"d\": {\"type\": \"date\"}, \"j\": "
	"{\"type\": \"json\"}, \"bl\": {\"type\": \"blob\"}, \"tags\": "
	"{\"type\": \"text[]\", \"default\": [\"a\", \"b\"]}, \"t\": {\"type\": "
	"\"text\", \"not_null\": true, \"default\": \"it's\"}, \"pw\": "
	"{\"type\": \"password\"}, \"region\": {\"type\": \"text\"}%s},\n"
	"  \"indexes\": [{\"columns\": [\"n\", \"ts DESC\"]}],\n"
	"  \"sync\": {\"conflict\": \"lww\", \"scope\": {\"name\": \"region\", "
	"\"column\": \"region\"}}},\n"
	" \"ledger\": {\"columns\": {\"id\": {\"type\": \"uuid\", "
	"\"primary_key\": true}, \"region\": {\"type\": \"text\", "
	"\"not_null\": true}, \"amount\": {\"type\": \"integer\", "
	"\"not_null\": true}, \"thing_id\": {\"type\": \"uuid\", "
	"\"references\": {\"table\": \"things\", \"on_delete\": "
	"\"cascade\"}}},\n  \"sync\": {\"conflict\": \"append_only\", "
	"\"scope\": {\"name\": \"region\", \"column\": \"region\"}}},\n"
	" \"catalogue\": {\"columns\": {\"id\": {\"type\": \"uuid\", "
	"\"primary_key\": true}, \"title\": {\"type\": \"text\", \"unique\": "
	"true}, \"made\": {\"type\": \"date\", \"default\": \"now\"}, "
	"\"ok\": {\"type\": \"boolean\", \"default\": true}},\n"
	"  \"sync\": {\"conflict\": \"central_wins\"}},\n"
	" \"notes\": {\"columns\": {\"id\": {\"type\": \"uuid\", "
	"\"primary_key\": true}, \"body\": {\"type\": \"text\"}}, \"sync\": "
	"{\"local_only\": true}}%s},\n"
	" \"nodes\": {\"Place\": {\"columns\": {\"id\": {\"type\": \"uuid\", "
	"\"primary_key\": true}, \"name\": {\"type\": \"text\"}}}},\n"
	" \"relationships\": {\"NEAR\": {\"from\": \"Place\", \"to\": "
	"\"Place\", \"properties\": {\"km\": {\"type\": \"real\"}}}}%s}\n";

int tc_schema(struct t *t, char out[512], const char *name, int version)
{
	char text[8192];

	snprintf(
		text, sizeof(text), shop, version,
		version == 2 ? ", \"colour\": {\"type\": \"text\"}" : "",
		version >= 2 ? ",\n \"orders\": {\"columns\": {\"id\": {\"type\": "
			       "\"uuid\", \"primary_key\": true}, \"region\": "
			       "{\"type\": \"text\"}, \"qty\": {\"type\": "
			       "\"integer\", \"not_null\": true, \"default\": "
			       "1}}, \"sync\": {\"scope\": {\"name\": "
			       "\"region\", \"column\": \"region\"}}}"
			     : "",
		version == 4 ? ",\n \"migrations\": [{\"version\": 4, "
			       "\"steps\": [{\"drop_column\": {\"table\": "
			       "\"things\", \"column\": \"colour\"}}]}]"
			     : "");
	t_path(out, t, name);
	return t_write(out, text);
}

int tc_setup(struct t *t, struct tc *c)
{
	if (t_pg_testdb(t, c->db) != 0)
		return -1;
	t_pg_conninfo(c->pg, c->db, T_PG_ADMIN);
	if (tc_schema(t, c->schema, "shop.json", 1) == 0)
		return 0;
	t_fail(t, __FILE__, __LINE__, "cannot write shop.json");
	return -1;
}

int tc_central(struct t *t, char **out, const struct tc *c, const char *args)
{
	return t_sh(out, "cd '%s' && '%s' central %s --pg '%s'", t->dir,
		    t_bin(), args, c->pg);
}

const char *tc_value(char out[4096], const struct tc *c, const char *sql)
{
	char *text = NULL;
	size_t n;

	if (t_pg_psql(&text, c->db, T_PG_ADMIN, NULL, sql) != 0 || !text) {
		snprintf(out, 4096, "(error) %s", text ? text : "");
	} else {
		snprintf(out, 4096, "%s", text);
		n = strlen(out);
		while (n > 0 && out[n - 1] == '\n')
			out[--n] = '\0';
	}
	free(text);
	return out;
}

/* Every table and column with its PostgreSQL type; outpost's tables. */
void test_central_init_creates_tables(struct t *t)
{
	struct tc c;
	char *out = NULL, v[4096];

	if (tc_setup(t, &c) != 0)
		return;
	CHECK_EQ(tc_central(t, &out, &c, "init --schema shop.json"), 0);
	CHECK_HAS(out, "central installed");
	free(out);
	CHECK_STR(tc_value(v, &c, "SELECT string_agg(column_name || ':' || "
			   "CASE data_type WHEN 'ARRAY' THEN udt_name ELSE "
			   "data_type END, ' ' ORDER BY ordinal_position) FROM "
			   "information_schema.columns WHERE table_schema = "
			   "'public' AND table_name = 'things'"),
		  "id:uuid n:bigint r:double precision b:boolean "
		  "ts:timestamp with time zone d:date j:jsonb bl:bytea "
		  "tags:_text t:text pw:text region:text");
	CHECK_STR(tc_value(v, &c, "SELECT string_agg(table_name, ' ' ORDER BY "
			   "table_name) FROM information_schema.tables WHERE "
			   "table_schema IN ('public', 'outpost')"),
		  "Place applying_xact batches catalog catalogue changes clocks "
		  "device_scopes devices edges hlc_state ledger meta parked things");
	/* not null, defaults, the deferred reference, indexes */
	CHECK_STR(tc_value(v, &c, "SELECT is_nullable || ' ' || column_default "
			   "FROM information_schema.columns WHERE table_name = "
			   "'things' AND column_name = 't'"),
		  "NO 'it''s'::text");
	CHECK_STR(tc_value(v, &c, "WITH x AS (INSERT INTO things (region) "
			   "VALUES ('x') RETURNING tags) SELECT tags FROM x"), "{a,b}");
	CHECK_STR(tc_value(v, &c, "SELECT is_deferrable || initially_deferred "
			   "FROM information_schema.table_constraints WHERE "
			   "table_name = 'ledger' AND constraint_type = "
			   "'FOREIGN KEY'"), "YESYES");
	CHECK_STR(tc_value(v, &c, "SELECT string_agg(indexname, ' ' ORDER BY "
			   "indexname) FROM pg_indexes WHERE schemaname = "
			   "'public' AND tablename IN ('things', 'catalogue')"),
		  "catalogue_pkey catalogue_title_key things_n_ts_idx "
		  "things_pkey");
	CHECK_STR(tc_value(v, &c, "SELECT string_agg(name || ':' || kind || ':'"
			   " || policy, ' ' ORDER BY name) FROM outpost.catalog"),
		  "NEAR:type:lww Place:node:lww catalogue:table:central_wins "
		  "ledger:table:append_only things:table:lww");
	CHECK_STR(tc_value(v, &c, "SELECT value FROM outpost.meta WHERE key = "
			   "'format'"), "2");
}

void test_central_init_twice_is_noop(struct t *t)
{
	struct tc c;
	char *out = NULL, before[4096], after[4096];
	const char *snap = "SELECT (SELECT xmin FROM outpost.meta WHERE key = "
			   "'schema_version') || ' ' || (SELECT count(*) FROM "
			   "pg_class WHERE relnamespace = 'outpost'::"
			   "regnamespace) || ' ' || (SELECT count(*) FROM "
			   "outpost.catalog)";

	if (tc_setup(t, &c) != 0)
		return;
	CHECK_EQ(tc_central(t, NULL, &c, "init --schema shop.json"), 0);
	tc_value(before, &c, snap);
	CHECK_EQ(tc_central(t, &out, &c, "init --schema shop.json"), 0);
	CHECK_HAS(out, "nothing changed");
	free(out);
	CHECK_STR(tc_value(after, &c, snap), before);
}

void test_central_init_newer_or_other(struct t *t)
{
	struct tc c;
	char *out = NULL, path[512];

	if (tc_setup(t, &c) != 0)
		return;
	CHECK_EQ(tc_central(t, NULL, &c, "init --schema shop.json"), 0);
	CHECK_EQ(tc_schema(t, path, "shop2.json", 2), 0);
	CHECK_EQ(tc_central(t, &out, &c, "init --schema shop2.json"), 1);
	CHECK_HAS(out, "central is at shop version 1 and shop2.json is "
		       "version 2: run outpost central migrate");
	free(out);
	t_schema(path, "lexicraft.json");
	CHECK_EQ(t_sh(&out, "'%s' central init --schema '%s' --pg '%s'",
		      t_bin(), path, c.pg), 1);
	CHECK_HAS(out, "central holds schema shop (version 1)");
	free(out);
}

/* The same writes locally and centrally log the same text per value. */
void test_central_capture_wire_form(struct t *t)
{
	static const char *const cols[] = {"n", "r", "b", "ts", "d", "bl",
					   "t", "region"};
	static const char row[] =
		"INSERT INTO things (id, n, r, b, ts, d, j, bl, tags, region) "
		"VALUES ('0190a000-0000-7000-8000-0000000000%02d', %s, %s, '1', "
		"'2024-05-06T05:08:09.123Z', '2024-01-02', '{\"a\": [1, 2]}', "
		"%s, %s, 'north')";
	static const char *const reals[] = {"0.1", "1e100", "-2.5e-5",
					    "123456789.125", "0.0",
					    "1.0/3.0"};
	struct tc c;
	outpost *db = NULL;
	char sql[1024], pg[4096], local[T_TEXT_MAX];
	size_t i, k;

	if (tc_setup(t, &c) != 0)
		return;
	CHECK_EQ(tc_central(t, NULL, &c, "init --schema shop.json"), 0);
	CHECK((db = t_store(t, NULL)) != NULL);
	CHECK_OK(db, outpost_schema_apply(db, c.schema));
	for (i = 0; i < 6; i++) {
		snprintf(sql, sizeof(sql), row, (int)i, "9007199254740993",
			 reals[i], "x'0aff'", "'[\"p\", \"q\"]'");
		CHECK_OK(db, outpost_sql(db, sql, NULL, 0, NULL, NULL));
		/* PostgreSQL spells a blob literal another way */
		snprintf(sql, sizeof(sql), row, (int)i, "9007199254740993",
			 reals[i], "'\\x0aff'", "ARRAY['p', 'q']");
		CHECK_STR(tc_value(pg, &c, sql), "");
		for (k = 0; k < 8; k++) {
			snprintf(sql, sizeof(sql), "SELECT vals->>'%s' FROM "
				 "outpost.changes WHERE op = 'I' AND row_id = "
				 "'0190a000-0000-7000-8000-0000000000%02d'",
				 cols[k], (int)i);
			tc_value(pg, &c, sql);
			snprintf(sql, sizeof(sql), "SELECT json_extract(vals, "
				 "'$.%s') FROM _outpost_changes WHERE op = 'I' "
				 "AND row_id = '0190a000-0000-7000-8000-0000000"
				 "000%02d'", cols[k], (int)i);
			CHECK_STR(pg, t_text(db, sql, local));
		}
	}
	outpost_close(db);
	CHECK_STR(tc_value(pg, &c, "SELECT vals->>'j' || ' ' || (vals->>'tags')"
			   " || ' ' || encode(site, 'hex') FROM outpost.changes "
			   "WHERE op = 'I' LIMIT 1"),
		  "{\"a\": [1, 2]} [\"p\", \"q\"] "
		  "00000000000000000000000000000000");
	/* U logs the changed columns only, and their clocks; D the row's */
	CHECK_STR(tc_value(pg, &c, "UPDATE things SET r = 2.5, b = false, n = n "
			   "WHERE n IS NOT NULL AND r = 0.1; SELECT c.vals::text "
			   "|| ' ' || (k.cols->'r'->>0 = c.hlc::text AND k.cols "
			   "? 'b' AND NOT k.cols ? 'n' AND NOT k.dead) FROM "
			   "outpost.changes c JOIN outpost.clocks k ON k.id = "
			   "c.row_id WHERE c.op = 'U'"),
		  "{\"b\": \"0\", \"r\": \"2.5e+00\"} true");
	CHECK_STR(tc_value(pg, &c, "DELETE FROM things WHERE r = 2.5; SELECT "
			   "(c.vals IS NULL AND k.dead AND k.cols = '{}' AND "
			   "k.row_hlc = c.hlc)::text || ' ' || c.scope_value "
			   "FROM outpost.changes c JOIN outpost.clocks k ON k.id "
			   "= c.row_id WHERE c.op = 'D'"), "true north");
	/* HLCs rise with sseq */
	CHECK_STR(tc_value(pg, &c, "SELECT bool_and(d) FROM (SELECT hlc > lag("
			   "hlc) OVER (ORDER BY sseq) AS d FROM outpost.changes)"
			   " x"), "t");
}

/* Edges written directly are captured; a node's delete takes its edges
 * along, unlogged. */
void test_central_capture_edges(struct t *t)
{
	struct tc c;
	char v[4096];

	if (tc_setup(t, &c) != 0)
		return;
	CHECK_EQ(tc_central(t, NULL, &c, "init --schema shop.json"), 0);
	CHECK_STR(tc_value(v, &c, "INSERT INTO \"Place\" (id, name) VALUES "
			   "('0190a000-0000-7000-8000-000000000001', 'a'), "
			   "('0190a000-0000-7000-8000-000000000002', 'b'); "
			   "INSERT INTO outpost.edges (uuid, type, from_uuid, "
			   "to_uuid, props) VALUES ('0190a000-0000-7000-8000-"
			   "0000000000e1', 'NEAR', '0190a000-0000-7000-8000-"
			   "000000000001', '0190a000-0000-7000-8000-"
			   "000000000002', '{\"km\": 2.5}'); UPDATE "
			   "outpost.edges SET props = '{\"km\": 3}'; SELECT "
			   "string_agg(op || vals::text, ' ' ORDER BY sseq) "
			   "FROM outpost.changes WHERE tbl = 'NEAR'"),
		  "I{\"to\": \"0190a000-0000-7000-8000-000000000002\", "
		  "\"from\": \"0190a000-0000-7000-8000-000000000001\", "
		  "\"props\": {\"km\": 2.5}} U{\"props\": {\"km\": 3}}");
	/* Stamped per property, as devices stamp; a removed one logs null. */
	CHECK_STR(tc_value(v, &c, "SELECT string_agg(k, ' ') FROM "
			   "outpost.clocks, jsonb_object_keys(cols) k WHERE tbl "
			   "= 'NEAR'"), "props.km");
	CHECK_STR(tc_value(v, &c, "UPDATE outpost.edges SET props = NULL; "
			   "SELECT vals::text FROM outpost.changes WHERE tbl = "
			   "'NEAR' ORDER BY sseq DESC LIMIT 1"),
		  "{\"props\": {\"km\": null}}");
	/* A property the type does not declare would stop every device's
	 * pull: refused centrally, nothing written. */
	tc_value(v, &c, "UPDATE outpost.edges SET props = '{\"color\": 1}'");
	CHECK(strstr(v, "(error)") && strstr(v, "has no property \"color\""));
	tc_value(v, &c, "UPDATE outpost.edges SET props = '[1]'");
	CHECK(strstr(v, "(error)") && strstr(v, "must be a JSON object"));
	CHECK_STR(tc_value(v, &c, "SELECT count(*) || ' ' || count(props) FROM "
			   "outpost.edges"), "1 0");
	CHECK_STR(tc_value(v, &c, "DELETE FROM \"Place\" WHERE name = 'a'; "
			   "SELECT (SELECT count(*) FROM outpost.edges) || ' ' || "
			   "(SELECT string_agg(tbl || op, ' ' ORDER BY sseq) "
			   "FROM outpost.changes WHERE op = 'D')"), "0 PlaceD");
}

static PGconn *connect_admin(const struct tc *c)
{
	PGconn *conn = PQconnectdb(c->pg);

	if (PQstatus(conn) != CONNECTION_OK) {
		PQfinish(conn);
		return NULL;
	}
	return conn;
}

static int run(PGconn *conn, const char *sql)
{
	PGresult *r = PQexec(conn, sql);
	int ok = PQresultStatus(r) == PGRES_COMMAND_OK ||
		 PQresultStatus(r) == PGRES_TUPLES_OK;

	PQclear(r);
	return ok ? 0 : -1;
}

/* A reader's view of the log: "sseq sseq ...". */
static const char *seen(char out[4096], const struct tc *c)
{
	return tc_value(out, c, "SELECT coalesce(string_agg(sseq::text, ' ' "
			"ORDER BY sseq), '') FROM outpost.changes");
}

/* a writes first; b, started later, tries to write and commit before a
 * commits. b must wait for a, so no entry ever shows up behind what a
 * reader has seen, and sseq order is commit order. */
void test_central_commit_order(struct t *t)
{
	struct tc c;
	PGconn *a = NULL, *b = NULL;
	PGresult *r;
	char first[4096], last[4096];
	int failed = 0;

	if (tc_setup(t, &c) != 0)
		return;
	CHECK_EQ(tc_central(t, NULL, &c, "init --schema shop.json"), 0);
	CHECK((a = connect_admin(&c)) && (b = connect_admin(&c)));
	CHECK_EQ(run(a, "BEGIN; INSERT INTO things (n) VALUES (1)"), 0);
	CHECK_EQ(PQsendQuery(b, "BEGIN; INSERT INTO things (n) VALUES (2); "
				"COMMIT"), 1);
	t_sleep_ms(300);
	CHECK_EQ(PQconsumeInput(b), 1);
	CHECK(PQisBusy(b));
	/* ... on the commit-order lock, the key outpost.push takes too */
	CHECK_STR(tc_value(first, &c, "SELECT string_agg(locktype || ' ' || "
			   "((classid::bigint << 32) | objid::bigint), ', ') "
			   "FROM pg_locks WHERE NOT granted"),
		  "advisory 7305528937441");
	seen(first, &c);
	CHECK_EQ(run(a, "COMMIT"), 0);
	while ((r = PQgetResult(b)) != NULL) {
		failed |= PQresultStatus(r) == PGRES_FATAL_ERROR;
		PQclear(r);
	}
	CHECK_EQ(failed, 0);
	seen(last, &c);
	CHECK_STR(first, ""); /* nothing of b's became visible early */
	CHECK_EQ(strlen(last) > 0, 1);
	CHECK_STR(tc_value(first, &c, "SELECT string_agg(vals->>'n', ' ' ORDER "
			   "BY sseq) FROM outpost.changes"), "1 2");
	PQfinish(a);
	PQfinish(b);
}

void test_central_migrate(struct t *t)
{
	struct tc c;
	char *out = NULL, path[512], v[4096];

	if (tc_setup(t, &c) != 0)
		return;
	CHECK_EQ(tc_central(t, NULL, &c, "init --schema shop.json"), 0);
	CHECK_EQ(tc_schema(t, path, "shop2.json", 2), 0);
	CHECK_EQ(tc_central(t, &out, &c, "migrate --schema shop2.json"), 0);
	CHECK_HAS(out, "central migrated");
	free(out);
	CHECK_STR(tc_value(v, &c, "INSERT INTO things (colour) VALUES ('red'); "
			   "INSERT INTO orders (region) VALUES ('north'); SELECT "
			   "string_agg(concat(tbl, ' ', vals->>'colour', "
			   "vals->>'qty'), ', ' ORDER BY sseq) FROM "
			   "outpost.changes"), "things red, orders 1");
	CHECK_STR(tc_value(v, &c, "SELECT relrowsecurity FROM pg_class WHERE "
			   "oid = 'public.orders'::regclass"), "t");
	CHECK_STR(tc_value(v, &c, "SELECT value FROM outpost.meta WHERE key = "
			   "'schema_version'"), "2");
	CHECK_EQ(tc_central(t, &out, &c, "migrate --schema shop2.json"), 0);
	CHECK_HAS(out, "nothing changed");
	free(out);
	/* dropping a column needs the file's step */
	CHECK_EQ(tc_schema(t, path, "shop3.json", 3), 0);
	CHECK_EQ(tc_central(t, &out, &c, "migrate --schema shop3.json"), 1);
	CHECK_HAS(out, "column things.colour is gone from the schema (its "
		       "values would be lost); add a drop_column step");
	free(out);
	CHECK_EQ(tc_schema(t, path, "shop4.json", 4), 0);
	CHECK_EQ(tc_central(t, NULL, &c, "migrate --schema shop4.json"), 0);
	CHECK_STR(tc_value(v, &c, "SELECT count(*) FROM information_schema."
			   "columns WHERE column_name = 'colour'"), "0");
}

void test_central_schema_check(struct t *t)
{
	struct tc c;
	char *out = NULL;

	if (tc_setup(t, &c) != 0)
		return;
	CHECK_EQ(tc_central(t, NULL, &c, "init --schema shop.json"), 0);
	CHECK_EQ(t_sh(&out, "cd '%s' && '%s' -d store init --schema shop.json "
		      "&& '%s' -d store schema check --pg '%s'", t->dir,
		      t_bin(), t_bin(), c.pg), 0);
	CHECK_HAS(out, "no drift: central matches the schema");
	free(out);
	CHECK_EQ(t_pg_psql(NULL, c.db, T_PG_ADMIN, NULL, "ALTER TABLE things "
			   "DROP COLUMN bl; ALTER TABLE ledger DISABLE ROW "
			   "LEVEL SECURITY; DROP TRIGGER outpost_capture ON "
			   "catalogue; ALTER TABLE things ALTER n TYPE "
			   "integer"), 0);
	CHECK_EQ(t_sh(&out, "cd '%s' && '%s' -d store schema check --pg '%s'",
		      t->dir, t_bin(), c.pg), 1);
	CHECK_HAS(out, "central: column things.bl: missing from central");
	CHECK_HAS(out, "central: column things.n: type integer in central, "
		       "bigint (integer) in the schema");
	CHECK_HAS(out, "central: table ledger: row-level security is off");
	CHECK_HAS(out, "central: table catalogue: capture trigger "
		       "outpost_capture missing");
	CHECK_HAS(out, "4 differences between the schema and central");
	free(out);
}

void test_central_server_errors(struct t *t)
{
	struct tc c;
	char *out = NULL;

	if (tc_setup(t, &c) != 0)
		return;
	snprintf(c.pg, sizeof(c.pg), "host=%s dbname=nosuchdb user="
		 T_PG_ADMIN, t_pg_host());
	CHECK_EQ(tc_central(t, &out, &c, "init --schema shop.json"), 1);
	CHECK_HAS(out, "connecting to central PostgreSQL: ");
	CHECK_HAS(out, "database \"nosuchdb\" does not exist");
	free(out);
}
