/* t_capture.c - every write to a synced table lands in the change log in
 * the same transaction, whatever writes it; policies refuse what they
 * must. */
#include <stdlib.h>

#include "check.h"

static const char cap_schema[] =
	"{\"schema\": \"cap\", \"version\": 1, \"tables\": {\n"
	" \"notes\": {\"columns\": {\n"
	"   \"id\": {\"type\": \"uuid\", \"primary_key\": true},\n"
	"   \"title\": {\"type\": \"text\"},\n"
	"   \"n\": {\"type\": \"integer\"},\n"
	"   \"r\": {\"type\": \"real\"},\n"
	"   \"ok\": {\"type\": \"boolean\", \"default\": false},\n"
	"   \"at\": {\"type\": \"timestamp\"},\n"
	"   \"d\": {\"type\": \"date\"},\n"
	"   \"j\": {\"type\": \"json\"},\n"
	"   \"tags\": {\"type\": \"text[]\"},\n"
	"   \"b\": {\"type\": \"blob\"},\n"
	"   \"pw\": {\"type\": \"password\"}}},\n"
	" \"ledger\": {\"columns\": {\"id\": {\"type\": \"uuid\", "
	"\"primary_key\": true}, \"amount\": {\"type\": \"integer\"}},\n"
	"   \"sync\": {\"conflict\": \"append_only\"}},\n"
	" \"curriculum\": {\"columns\": {\"id\": {\"type\": \"uuid\", "
	"\"primary_key\": true}, \"word\": {\"type\": \"text\"}},\n"
	"   \"sync\": {\"conflict\": \"central_wins\"}},\n"
	" \"scratch\": {\"columns\": {\"id\": {\"type\": \"uuid\", "
	"\"primary_key\": true}, \"x\": {\"type\": \"text\"}},\n"
	"   \"sync\": {\"local_only\": true}}}}\n";

static outpost *cap_store(struct t *t)
{
	char dir[512], file[512];
	outpost *db = NULL;

	t_path(dir, t, "store");
	t_path(file, t, "cap.json");
	if (t_write(file, cap_schema) != 0 ||
	    outpost_init(&db, dir, NULL) != OUTPOST_OK ||
	    outpost_schema_apply(db, file) != OUTPOST_OK) {
		fprintf(stderr, "setup: %s\n", outpost_errmsg(db));
		outpost_close(db);
		return NULL;
	}
	return db;
}


void test_capture_insert_update_delete_logged(struct t *t)
{
	outpost *db = cap_store(t);
	outpost_value title = {OUTPOST_TEXT, 0, 0, "first", 5};
	char buf[T_TEXT_MAX];
	const char *s;

	CHECK(db);
	CHECK_OK(db, outpost_sql(db, "INSERT INTO notes(title, n) VALUES "
				 "(?1, 7)", &title, 1, NULL, NULL));
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes"), 1);
	s = t_text(db, "SELECT op || ' ' || tbl || ' ' || (row_id = (SELECT "
			"id FROM notes)) || ' ' || vals FROM _outpost_changes", buf);
	CHECK_STR(s, "I notes 1 {\"title\":\"first\",\"n\":\"7\",\"r\":null,"
		     "\"ok\":\"0\",\"at\":null,\"d\":null,\"j\":null,"
		     "\"tags\":null,\"b\":null,\"pw\":null}");
	CHECK_OK(db, outpost_sql(db, "UPDATE notes SET title = 'second'",
				 NULL, 0, NULL, NULL));
	/* An update that changes nothing is not a change. */
	CHECK_OK(db, outpost_sql(db, "UPDATE notes SET title = 'second', n "
				 "= 7", NULL, 0, NULL, NULL));
	CHECK_OK(db, outpost_sql(db, "DELETE FROM notes", NULL, 0, NULL,
				 NULL));
	s = t_text(db, "SELECT group_concat(op || ':' || coalesce(vals, "
			"'null'), ' ') FROM (SELECT * FROM _outpost_changes "
			"ORDER BY seq)", buf);
	CHECK_STR(s, "I:{\"title\":\"first\",\"n\":\"7\",\"r\":null,"
		     "\"ok\":\"0\",\"at\":null,\"d\":null,\"j\":null,"
		     "\"tags\":null,\"b\":null,\"pw\":null} "
		     "U:{\"title\":\"second\"} D:null");
	/* Clocks strictly increase with seq; the site is this store's (NULL
	 * in the table, filled in by the log reader). */
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes a JOIN "
			   "_outpost_changes b ON b.seq > a.seq WHERE b.hlc <= "
			   "a.hlc"), 0);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes WHERE site "
			   "IS NULL"), 3);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_clk_notes WHERE site "
			   "= (SELECT site FROM _outpost_clock)"), 1);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes WHERE "
			   "abs((hlc >> 16) - CAST((julianday('now') - "
			   "2440587.5) * 86400000 AS INTEGER)) < 60000"), 3);
	outpost_close(db);
}

void test_capture_lww_column_clocks(struct t *t)
{
	outpost *db = cap_store(t);

	CHECK(db);
	CHECK_OK(db, outpost_sql(db, "INSERT INTO notes(title) VALUES ('a');"
				 "UPDATE notes SET n = 1;", NULL, 0, NULL,
				 NULL));
	/* An insert writes no clock (it is older than any remote change to
	 * the row); the update gives column n its clock. */
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_clk_notes"), 1);
	CHECK_EQ(t_int(db, "SELECT c.hlc = l.hlc FROM _outpost_clk_notes c "
			   "JOIN _outpost_changes l ON l.op = 'U' WHERE c.col "
			   "= 'n'"), 1);
	CHECK_OK(db, outpost_sql(db, "DELETE FROM notes", NULL, 0, NULL,
				 NULL));
	/* The tombstone replaces every clock of the row. */
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_clk_notes"), 1);
	CHECK_EQ(t_int(db, "SELECT dead FROM _outpost_clk_notes WHERE col = "
			   "''"), 1);
	CHECK_EQ(t_int(db, "SELECT c.hlc = l.hlc FROM _outpost_clk_notes c "
			   "JOIN _outpost_changes l ON l.op = 'D'"), 1);
	/* Re-inserting the deleted id takes over the tombstone's clock. */
	CHECK_OK(db, outpost_sql(db, "INSERT INTO notes(id, title) SELECT "
				 "row_id, 'again' FROM _outpost_changes WHERE "
				 "op = 'D'", NULL, 0, NULL, NULL));
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_clk_notes c JOIN "
			   "_outpost_changes l ON l.seq = (SELECT max(seq) "
			   "FROM _outpost_changes) WHERE c.hlc = l.hlc AND "
			   "c.dead = 0 AND l.op = 'I'"), 1);
	outpost_close(db);
}

void test_capture_append_only_refuses_update_delete(struct t *t)
{
	outpost *db = cap_store(t);

	CHECK(db);
	CHECK_OK(db, outpost_sql(db, "INSERT INTO ledger(amount) VALUES (5)",
				 NULL, 0, NULL, NULL));
	CHECK_RC(outpost_sql(db, "UPDATE ledger SET amount = 6", NULL, 0,
			     NULL, NULL),
		 OUTPOST_EREFUSED);
	CHECK_STR(outpost_errmsg(db), "ledger is append_only: local UPDATE "
				      "refused (it is insert-only)");
	CHECK_RC(outpost_sql(db, "DELETE FROM ledger", NULL, 0, NULL, NULL),
		 OUTPOST_EREFUSED);
	CHECK_STR(outpost_errmsg(db), "ledger is append_only: local DELETE "
				      "refused (it is insert-only)");
	CHECK_EQ(t_int(db, "SELECT amount FROM ledger"), 5);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes"), 1);
	/* No clocks for a table that never conflicts. */
	CHECK_EQ(t_int(db, "SELECT count(*) FROM sqlite_master WHERE name = "
			   "'_outpost_clk_ledger'"), 0);
	outpost_close(db);
}

void test_capture_central_wins_refuses_local_writes(struct t *t)
{
	outpost *db = cap_store(t);

	CHECK(db);
	CHECK_RC(outpost_sql(db, "INSERT INTO curriculum(word) VALUES "
			     "('apt')", NULL, 0, NULL, NULL),
		 OUTPOST_EREFUSED);
	CHECK_STR(outpost_errmsg(db), "curriculum is central_wins: local "
				      "INSERT refused (change it centrally, "
				      "then sync)");
	CHECK_EQ(t_int(db, "SELECT count(*) FROM curriculum"), 0);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes"), 0);
	outpost_close(db);
}

void test_capture_local_only_not_captured(struct t *t)
{
	outpost *db = cap_store(t);

	CHECK(db);
	CHECK_OK(db, outpost_sql(db, "INSERT INTO scratch(x) VALUES ('a');"
				 "UPDATE scratch SET x = 'b'; DELETE FROM "
				 "scratch;", NULL, 0, NULL, NULL));
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes"), 0);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM sqlite_master WHERE type = "
			   "'trigger' AND tbl_name = 'scratch'"), 0);
	outpost_close(db);
}

void test_capture_password_column_refuses_plain_text(struct t *t)
{
	outpost *db = cap_store(t);

	CHECK(db);
	CHECK_RC(outpost_sql(db, "INSERT INTO notes(pw) VALUES ('hunter2')",
			     NULL, 0, NULL, NULL),
		 OUTPOST_EREFUSED);
	CHECK_STR(outpost_errmsg(db), "notes.pw is a password column: write "
				      "outpost_password('...') or an Argon2id "
				      "hash; plain text is refused");
	CHECK_EQ(t_int(db, "SELECT count(*) FROM notes"), 0);
	CHECK_OK(db, outpost_sql(db, "INSERT INTO notes(pw) VALUES "
				 "(outpost_password('hunter2'))", NULL, 0,
				 NULL, NULL));
	CHECK_EQ(t_int(db, "SELECT outpost_verify(pw, 'hunter2') FROM "
			   "notes"), 1);
	CHECK_EQ(t_int(db, "SELECT outpost_verify(pw, 'hunter3') FROM "
			   "notes"), 0);
	CHECK_RC(outpost_sql(db, "UPDATE notes SET pw = 'plain'", NULL, 0,
			     NULL, NULL),
		 OUTPOST_EREFUSED);
	/* Plain text never reached the log either. */
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes WHERE vals "
			   "LIKE '%hunter2%' OR vals LIKE '%plain%'"), 0);
	outpost_close(db);
}

void test_capture_sql_error_leaves_store_unchanged(struct t *t)
{
	outpost *db = cap_store(t);

	CHECK(db);
	CHECK_RC(outpost_sql(db, "INSERT INTO notes(title) VALUES ('a'); "
			     "INSERT INTO nosuch VALUES (1);", NULL, 0, NULL,
			     NULL),
		 OUTPOST_ESQL);
	CHECK_STR(outpost_errmsg(db), "no such table: nosuch");
	CHECK_RC(outpost_sql(db, "INSERT INTO notes(title) VALUES ('a'); "
			     "INSERT INTO notes(ok) VALUES (2);", NULL, 0,
			     NULL, NULL),
		 OUTPOST_ESQL);
	CHECK_HAS(outpost_errmsg(db), "CHECK constraint failed");
	CHECK_RC(outpost_sql(db, "INSERT INTO notes(title) VALUES ('a'); "
			     "COMMIT;", NULL, 0, NULL, NULL),
		 OUTPOST_EMISUSE);
	CHECK_HAS(outpost_errmsg(db), "already one transaction");
	CHECK_EQ(t_int(db, "SELECT count(*) FROM notes"), 0);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes"), 0);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_clk_notes"), 0);
	outpost_close(db);
}

void test_capture_primary_key_change_refused(struct t *t)
{
	outpost *db = cap_store(t);

	CHECK(db);
	CHECK_OK(db, outpost_sql(db, "INSERT INTO notes(title) VALUES ('a')",
				 NULL, 0, NULL, NULL));
	CHECK_RC(outpost_sql(db, "UPDATE notes SET id = "
			     "'01a200c8-75ae-72f2-8ead-f5ee03380cb6'",
			     NULL, 0, NULL, NULL),
		 OUTPOST_EREFUSED);
	CHECK_STR(outpost_errmsg(db), "notes.id is the primary key of a "
				      "synced table and cannot change; insert "
				      "a new row instead");
	CHECK_RC(outpost_sql(db, "INSERT INTO notes(id) VALUES ('nope')",
			     NULL, 0, NULL, NULL),
		 OUTPOST_ESQL);
	outpost_close(db);
}

void test_capture_sqlite3_shell_writes_captured(struct t *t)
{
	outpost *db = cap_store(t);
	char *out = NULL;
	int rc;

	CHECK(db);
	rc = t_sh(&out, "sqlite3 '%s/store/store.db' \"INSERT INTO "
		  "notes(title) VALUES ('shell'); UPDATE notes SET n = 3; "
		  "INSERT INTO notes(title) VALUES ('two'); DELETE FROM notes "
		  "WHERE title = 'two';\"", t->dir);
	CHECK_EQ(rc, 0);
	free(out);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM notes"), 1);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes"), 4);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes WHERE op = "
			   "'U' AND vals = '{\"n\":\"3\"}'"), 1);
	/* Refusals reach the shell user as a clear error. */
	rc = t_sh(&out, "sqlite3 '%s/store/store.db' \"UPDATE ledger SET "
		  "amount = 1; INSERT INTO notes(pw) VALUES ('plain');\"",
		  t->dir);
	CHECK(rc != 0);
	free(out);
	rc = t_sh(&out, "sqlite3 '%s/store/store.db' \"INSERT INTO "
		  "notes(pw) VALUES ('plain');\"", t->dir);
	CHECK(rc != 0);
	CHECK_HAS(out, "outpost: notes.pw is a password column");
	free(out);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes"), 4);
	outpost_close(db);
}

void test_capture_values_exact_for_every_type(struct t *t)
{
	outpost *db = cap_store(t);
	char buf[T_TEXT_MAX];
	const char *s;

	CHECK(db);
	CHECK_OK(db, outpost_sql(db, "INSERT INTO notes(title, n, r, ok, at, "
				 "d, j, tags, b) VALUES ('it''s \xc3\xa9', "
				 "9007199254740993, 0.1 + 0.2, 1, "
				 "'2026-11-22T09:30:00.123Z', '2026-02-28', "
				 "'{\"a\": [1, 2]}', '[\"x\", \"y\"]', "
				 "x'00ff10')", NULL, 0, NULL, NULL));
	s = t_text(db, "SELECT vals FROM _outpost_changes", buf);
	CHECK_STR(s, "{\"title\":\"it's \xc3\xa9\",\"n\":\"9007199254740993\","
		     "\"r\":\"3.0000000000000004e-01\",\"ok\":\"1\",\"at\":"
		     "\"2026-11-22T09:30:00.123Z\",\"d\":\"2026-02-28\","
		     "\"j\":\"{\\\"a\\\": [1, 2]}\",\"tags\":\"[\\\"x\\\", "
		     "\\\"y\\\"]\",\"b\":\"00FF10\",\"pw\":null}");
	/* The stored forms are checked. */
	CHECK_RC(outpost_sql(db, "INSERT INTO notes(d) VALUES ('2026-02-30')",
			     NULL, 0, NULL, NULL),
		 OUTPOST_ESQL);
	CHECK_RC(outpost_sql(db, "INSERT INTO notes(at) VALUES "
			     "('yesterday')", NULL, 0, NULL, NULL),
		 OUTPOST_ESQL);
	CHECK_RC(outpost_sql(db, "INSERT INTO notes(tags) VALUES ('[1]')",
			     NULL, 0, NULL, NULL),
		 OUTPOST_EREFUSED);
	CHECK_RC(outpost_sql(db, "INSERT INTO notes(j) VALUES ('{bad')",
			     NULL, 0, NULL, NULL),
		 OUTPOST_ESQL);
	CHECK_RC(outpost_sql(db, "INSERT INTO notes(n) VALUES ('seven')",
			     NULL, 0, NULL, NULL),
		 OUTPOST_ESQL);
	outpost_close(db);
}

/* A table wider than one json_object call (127 arguments): the insert
 * entry still names every column, a NULL as null (json_patch, which
 * joined the parts once, dropped them, and a device pulling the insert
 * then took the column's default instead). */
void test_capture_wide_table_keeps_nulls(struct t *t)
{
	char dir[512], file[512], buf[T_TEXT_MAX], sql[256];
	char schema[8192];
	size_t len;
	outpost *db = NULL;
	int i;

	len = (size_t)snprintf(schema, sizeof(schema),
			       "{\"schema\": \"wide\", \"version\": 1, "
			       "\"tables\": {\"wide\": {\"columns\": {\"id\": "
			       "{\"type\": \"uuid\", \"primary_key\": true}");
	for (i = 1; i <= 130 && len < sizeof(schema); i++)
		len += (size_t)snprintf(schema + len, sizeof(schema) - len,
					", \"c%d\": {\"type\": \"integer\"%s}",
					i, i == 65 ? ", \"default\": 5" : "");
	CHECK(len + 8 < sizeof(schema));
	snprintf(schema + len, sizeof(schema) - len, "}}}}\n");
	t_path(dir, t, "store");
	t_path(file, t, "wide.json");
	CHECK_EQ(t_write(file, schema), 0);
	CHECK_EQ(outpost_init(&db, dir, NULL), OUTPOST_OK);
	CHECK_OK(db, outpost_schema_apply(db, file));
	CHECK_OK(db, outpost_sql(db, "INSERT INTO wide(c1, c64, c65, c121, "
				 "c130) VALUES (1, NULL, NULL, 121, 130)", NULL,
				 0, NULL, NULL));
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes, "
			   "json_each(vals)"), 130);
	CHECK_STR(t_text(db, "SELECT json_extract(vals, '$.c1') || ' ' || "
			     "json_type(vals, '$.c64') || ' ' || json_type(vals, "
			     "'$.c65') || ' ' || json_extract(vals, '$.c121') || "
			     "' ' || json_extract(vals, '$.c130') FROM "
			     "_outpost_changes", buf),
		  "1 null null 121 130");
	/* in column order, as narrow tables have them */
	snprintf(sql, sizeof(sql), "SELECT group_concat(key, ',') FROM "
		 "(SELECT key FROM _outpost_changes, json_each(vals) WHERE "
		 "key IN ('c59', 'c60', 'c61', 'c120', 'c121') ORDER BY id)");
	CHECK_STR(t_text(db, sql, buf), "c59,c60,c61,c120,c121");
	outpost_close(db);
}
