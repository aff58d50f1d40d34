/* t_migrate.c - moving a store to a newer schema version: additive changes
 * apply by themselves, destructive ones need explicit steps and are refused
 * otherwise (leaving the store unchanged), and `schema check` names every
 * drift someone makes behind outpost's back. */
#include <stdlib.h>

#include "check.h"

#define PK   "\"id\": {\"type\": \"uuid\", \"primary_key\": true}"
#define V(n) "{\"schema\": \"m\", \"version\": " #n ", "
#define ID1  "'00000000-0000-7000-8000-000000000001'"
#define ID2  "'00000000-0000-7000-8000-000000000002'"
#define ID3  "'00000000-0000-7000-8000-000000000003'"

/* Write text to DIR/file and apply it; *path (if not NULL) gets the
 * file's path. */
static int apply_text(struct t *t, outpost *db, const char *file,
                      const char *text, char path[512])
{
	char p[512];

	t_path(p, t, file);
	if (path)
		snprintf(path, 512, "%s", p);
	if (t_write(p, text) != 0)
		return OUTPOST_EIO;
	return outpost_schema_apply(db, p);
}

/* A fresh store with text applied as its first schema, or NULL. */
static outpost *store_with(struct t *t, const char *text)
{
	outpost *db = t_store(t, NULL);

	if (db && apply_text(t, db, "v1.json", text, NULL) != OUTPOST_OK) {
		fprintf(stderr, "v1: %s\n", outpost_errmsg(db));
		outpost_close(db);
		return NULL;
	}
	return db;
}

static long long schema_version(outpost *db)
{
	outpost_status st;

	memset(&st, 0, sizeof(st));
	st.version = OUTPOST_STATUS_VERSION;
	if (outpost_status_get(&st, db) != OUTPOST_OK)
		return -1;
	return st.schema_version;
}


/* No drift between the store and its recorded schema. */
static int no_drift(struct t *t, outpost *db)
{
	char *drift = NULL;
	int rc = outpost_schema_check(&drift, db, NULL);

	if (rc != OUTPOST_OK)
		t_fail(t, __FILE__, __LINE__, "drift: %s: %s",
		       outpost_errmsg(db), drift ? drift : "");
	outpost_free(drift);
	return rc == OUTPOST_OK;
}

/* ---- additive ---------------------------------------------------------- */

#define ADD_V1                                                                 \
	V(1)                                                                   \
	"\"tables\": {\"t\": {\"columns\": {" PK ", \"name\": "                \
	"{\"type\": \"text\"}}}}}"
#define ADD_V2                                                                 \
	V(2)                                                                   \
	"\"tables\": {\"t\": {\"columns\": {" PK ", \"name\": {\"type\": "     \
	"\"text\"}, \"note\": {\"type\": \"text\"}, \"seen_at\": "             \
	"{\"type\": \"timestamp\", \"not_null\": true, \"default\": "          \
	"\"now\"}}, \"indexes\": [{\"columns\": [\"name\"]}]}, \"u\": "        \
	"{\"columns\": {" PK "}}}}"

void test_migrate_additive_applies(struct t *t)
{
	char buf[T_TEXT_MAX];
	outpost *db = store_with(t, ADD_V1);

	CHECK(db != NULL);
	CHECK_OK(db, outpost_sql(db,
	                         "INSERT INTO t(id, name) VALUES (" ID1
	                         ", 'ann'), (" ID2 ", 'bob')",
	                         NULL, 0, NULL, NULL));
	CHECK_OK(db, apply_text(t, db, "v2.json", ADD_V2, NULL));
	CHECK_EQ(schema_version(db), 2);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM t"), 2);
	CHECK_STR(t_text(db, "SELECT name FROM t WHERE id = " ID2, buf), "bob");
	CHECK_STR(t_text(db, "SELECT note FROM t WHERE id = " ID1, buf),
	          "(null)");
	/* The rebuild filled "now" into the existing rows. */
	CHECK_EQ(t_int(db, "SELECT count(*) FROM t WHERE seen_at GLOB "
	                   "'2[0-9][0-9][0-9]-*T*Z'"),
	         2);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM sqlite_master WHERE type = "
	                   "'index' AND name = 't_name_idx'"),
	         1);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM sqlite_master WHERE type = "
	                   "'table' AND name = 'u'"),
	         1);
	CHECK(no_drift(t, db));
	/* Capture works on the new column, and on the new table. */
	CHECK_OK(db, outpost_sql(db, "UPDATE t SET note = 'x' WHERE id = " ID1,
	                         NULL, 0, NULL, NULL));
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes WHERE tbl = "
	                   "'t' AND op = 'U' AND row_id = " ID1 " AND "
	                   "json_extract(vals, '$.note') = 'x'"),
	         1);
	CHECK_OK(db, outpost_sql(db, "INSERT INTO u(id) VALUES (" ID3 ")", NULL,
	                         0, NULL, NULL));
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes WHERE tbl = "
	                   "'u' AND op = 'I'"),
	         1);
	outpost_close(db);
}

/* ---- destructive without a step ----------------------------------------- */

#define DES_V1                                                                 \
	V(1)                                                                   \
	"\"tables\": {\"t\": {\"columns\": {" PK ", \"a\": {\"type\": "        \
	"\"text\"}, \"b\": {\"type\": \"integer\"}}}, \"u\": "                 \
	"{\"columns\": {" PK "}}}}"
#define DES_T(cols)                                                            \
	"\"t\": {\"columns\": {" PK ", \"a\": {\"type\": \"text\"}" cols "}}"
#define DES_U     "\"u\": {\"columns\": {" PK "}}"
#define DES_B(ty) ", \"b\": {\"type\": \"" ty "\"}"
#define DROP_A                                                                 \
	"\"migrations\": [{\"version\": 2, \"steps\": [{\"drop_column\": "     \
	"{\"table\": \"t\", \"column\": \"a\"}}]}]"
#define STEP_HINT " to the migration with version 2"

static const struct {
	const char *text;
	const char *want; /* after "PATH: " */
} refused[] = {
    {V(2) "\"tables\": {" DES_T("") ", " DES_U "}}",
     "column t.b is gone from the file: this can lose data, so it needs "
     "an explicit step; add {\"drop_column\": {\"table\": ..., "
     "\"column\": ...}}" STEP_HINT},
    {V(2) "\"tables\": {" DES_T(DES_B("text")) ", " DES_U "}}",
     "column t.b changes (type integer -> text): this can lose data, so it needs an "
     "explicit step; add {\"change_column\": {\"table\": ..., \"column\": "
     "...}}" STEP_HINT},
    {V(2) "\"tables\": {" DES_T(DES_B("integer")) "}}",
     "table u is gone from the file: this can lose data, so it needs an "
     "explicit step; add {\"drop_table\": \"...\"} (or "
     "rename_table)" STEP_HINT},
    /* A step that changes nothing (a still-declared column) is refused,
     * and it does not cover the column that really went. */
    {V(2) "\"tables\": {" DES_T("") ", " DES_U "}, " DROP_A "}",
     "$.migrations[0].steps[0]: drop_column t.a: the store has no such "
     "column, or the file still declares it"},
};

void test_migrate_destructive_refused_without_step(struct t *t)
{
	char path[512], want[1024], buf[T_TEXT_MAX];
	outpost *db = store_with(t, DES_V1);
	size_t i;

	CHECK(db != NULL);
	CHECK_OK(db,
	         outpost_sql(db,
	                     "INSERT INTO t(id, a, b) VALUES (" ID1
	                     ", 'x', 7); INSERT INTO u(id) VALUES (" ID2 ")",
	                     NULL, 0, NULL, NULL));
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		int rc = apply_text(t, db, "v2.json", refused[i].text, path);

		snprintf(want, sizeof(want), "%s: %s", path, refused[i].want);
		if (rc != OUTPOST_ESCHEMA || strcmp(outpost_errmsg(db), want))
			t_fail(t, __FILE__, __LINE__,
			       "case %zu: %s\n    got  "
			       "\"%s\"\n    want \"%s\"",
			       i, outpost_errstr(rc), outpost_errmsg(db), want);
		CHECK_RC(rc, OUTPOST_ESCHEMA);
		CHECK_STR(outpost_errmsg(db), want);
		CHECK_EQ(schema_version(db), 1);
		CHECK_EQ(t_int(db, "SELECT b FROM t WHERE id = " ID1), 7);
		CHECK_STR(t_text(db, "SELECT a FROM t", buf), "x");
		CHECK_EQ(t_int(db, "SELECT count(*) FROM u"), 1);
		CHECK(no_drift(t, db));
	}
	outpost_close(db);
}

/* ---- explicit steps ------------------------------------------------------ */

#define STEPS_V1                                                               \
	V(1)                                                                   \
	"\"tables\": {\"kids\": {\"columns\": {" PK ", \"name\": "             \
	"{\"type\": \"text\"}, \"nick\": {\"type\": \"text\"}, \"age\": "      \
	"{\"type\": \"integer\"}}}, \"old\": {\"columns\": {" PK "}}}}"
#define STEPS_V2                                                               \
	V(2)                                                                   \
	"\"tables\": {\"children\": {\"columns\": {" PK ", "                   \
	"\"full_name\": {\"type\": \"text\"}, \"age\": {\"type\": "            \
	"\"text\"}}}}, \"migrations\": [{\"version\": 2, \"steps\": ["         \
	"{\"rename_table\": {\"from\": \"kids\", \"to\": \"children\"}}, "     \
	"{\"rename_column\": {\"table\": \"children\", \"from\": "             \
	"\"name\", \"to\": \"full_name\"}}, {\"drop_column\": "                \
	"{\"table\": \"children\", \"column\": \"nick\"}}, "                   \
	"{\"change_column\": {\"table\": \"children\", \"column\": "           \
	"\"age\"}}, {\"drop_table\": \"old\"}]}]}"

void test_migrate_explicit_steps_apply(struct t *t)
{
	char buf[T_TEXT_MAX];
	outpost *db = store_with(t, STEPS_V1);

	CHECK(db != NULL);
	CHECK_OK(db, outpost_sql(db,
	                         "INSERT INTO kids(id, name, nick, age) "
	                         "VALUES (" ID1 ", 'Ann', 'a', 7), (" ID2
	                         ", 'Bob', NULL, 9); INSERT INTO old(id) "
	                         "VALUES (" ID3 ")",
	                         NULL, 0, NULL, NULL));
	CHECK_OK(db, apply_text(t, db, "v2.json", STEPS_V2, NULL));
	CHECK_EQ(schema_version(db), 2);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM sqlite_master WHERE type = "
	                   "'table' AND name IN ('kids', 'old')"),
	         0);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM children"), 2);
	CHECK_STR(
	    t_text(db, "SELECT full_name FROM children WHERE id = " ID1, buf),
	    "Ann");
	CHECK_STR(t_text(db,
	                 "SELECT age || ':' || typeof(age) FROM children "
	                 "WHERE id = " ID2,
	                 buf),
	          "9:text");
	CHECK_EQ(t_int(db, "SELECT count(*) FROM pragma_table_info('children') "
	                   "WHERE name = 'nick'"),
	         0);
	CHECK(no_drift(t, db));
	/* The renamed table is captured under its new name. */
	CHECK_OK(db, outpost_sql(db,
	                         "UPDATE children SET age = '10' WHERE id "
	                         "= " ID2,
	                         NULL, 0, NULL, NULL));
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes WHERE tbl = "
	                   "'children' AND op = 'U' AND row_id = " ID2),
	         1);
	outpost_close(db);
}

#define LOSSY_V1                                                               \
	V(1)                                                                   \
	"\"tables\": {\"t\": {\"columns\": {" PK ", \"v\": {\"type\": "        \
	"\"text\"}}}}}"
#define LOSSY_V2                                                               \
	V(2)                                                                   \
	"\"tables\": {\"t\": {\"columns\": {" PK ", \"v\": {\"type\": "        \
	"\"integer\"}}}}, \"migrations\": [{\"version\": 2, \"steps\": "       \
	"[{\"change_column\": {\"table\": \"t\", \"column\": \"v\"}}]}]}"

void test_migrate_lossy_change_refused(struct t *t)
{
	char path[512], want[1024], buf[T_TEXT_MAX];
	outpost *db = store_with(t, LOSSY_V1);
	int rc;

	CHECK(db != NULL);
	CHECK_OK(db, outpost_sql(db,
	                         "INSERT INTO t(id, v) VALUES (" ID1
	                         ", '12'), (" ID2 ", 'abc')",
	                         NULL, 0, NULL, NULL));
	rc = apply_text(t, db, "v2.json", LOSSY_V2, path);
	CHECK_RC(rc, OUTPOST_ESCHEMA);
	snprintf(want, sizeof(want), "%s: migrating table t: cannot store "
		 "TEXT value in INTEGER column v (a value does not convert to "
		 "the new definition); nothing was changed", path);
	CHECK_STR(outpost_errmsg(db), want);
	CHECK_EQ(schema_version(db), 1);
	CHECK_STR(t_text(db,
	                 "SELECT v || ':' || typeof(v) FROM t WHERE id = " ID1,
	                 buf),
	          "12:text");
	CHECK_STR(t_text(db, "SELECT v FROM t WHERE id = " ID2, buf), "abc");
	CHECK(no_drift(t, db));
	/* Once the bad value is fixed, the same file applies. */
	CHECK_OK(db, outpost_sql(db, "UPDATE t SET v = '3' WHERE id = " ID2,
	                         NULL, 0, NULL, NULL));
	CHECK_OK(db, outpost_schema_apply(db, path));
	CHECK_STR(t_text(db,
	                 "SELECT v || ':' || typeof(v) FROM t WHERE id = " ID1,
	                 buf),
	          "12:integer");
	outpost_close(db);
}

/* ---- versions ------------------------------------------------------------ */

void test_migrate_same_version_different_content_refused(struct t *t)
{
	char path[512], want[1024];
	outpost *db = store_with(t, ADD_V1);

	CHECK(db != NULL);
	/* The same content again (even spaced differently) is a no-op. */
	CHECK_OK(db, apply_text(t, db, "again.json",
	                        "{\n  \"schema\": \"m\",\n  \"version\": 1,\n"
	                        "  \"tables\": {\"t\": {\"columns\": {" PK
	                        ", \"name\": {\"type\": \"text\"}}}}\n}\n",
	                        NULL));
	CHECK_RC(apply_text(t, db, "v1b.json",
	                    V(1) "\"tables\": {\"t\": {\"columns\": {" PK
	                         ", \"name\": {\"type\": \"text\"}, \"x\": "
	                         "{\"type\": \"text\"}}}}}",
	                    path),
	         OUTPOST_ESCHEMA);
	snprintf(want, sizeof(want),
	         "%s: the file differs from the store's "
	         "schema but both say version 1; raise \"version\"",
	         path);
	CHECK_STR(outpost_errmsg(db), want);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM pragma_table_info('t') WHERE "
	                   "name = 'x'"),
	         0);
	CHECK(no_drift(t, db));
	outpost_close(db);
}

void test_migrate_older_version_refused(struct t *t)
{
	char path[512], want[1024];
	outpost *db = store_with(t, ADD_V2);

	CHECK(db != NULL);
	CHECK_RC(apply_text(t, db, "old.json", ADD_V1, path), OUTPOST_ESCHEMA);
	snprintf(want, sizeof(want),
	         "%s: version 1 is older than the store's "
	         "version 2",
	         path);
	CHECK_STR(outpost_errmsg(db), want);
	CHECK_EQ(schema_version(db), 2);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM sqlite_master WHERE name = "
	                   "'u'"),
	         1);
	CHECK(no_drift(t, db));
	outpost_close(db);
}

/* ---- drift --------------------------------------------------------------- */

#define DRIFT_V1                                                               \
	V(1)                                                                   \
	"\"tables\": {\"t\": {\"columns\": {" PK ", \"a\": {\"type\": "        \
	"\"text\"}}, \"indexes\": [{\"columns\": [\"a\"]}]}}}"

void test_migrate_check_reports_drift_by_name(struct t *t)
{
	char *out = NULL, *sh = NULL, v1[512];
	outpost *db = store_with(t, DRIFT_V1);
	int st;

	CHECK(db != NULL);
	CHECK(no_drift(t, db));
	st = t_sh(&sh,
	          "sqlite3 '%s/store/store.db' \"DROP TRIGGER "
	          "_outpost_au_t; DROP INDEX t_a_idx; ALTER TABLE t ADD COLUMN "
	          "extra TEXT;\"",
	          t->dir);
	if (st != 0)
		t_fail(t, __FILE__, __LINE__, "sqlite3: %s", sh ? sh : "");
	free(sh);
	CHECK_EQ(st, 0);
	CHECK_RC(outpost_schema_check(&out, db, NULL), OUTPOST_EDRIFT);
	CHECK_STR(out, "column t.extra: in the store, not in the schema\n"
	               "index t_a_idx on t: missing from the store\n"
	               "trigger _outpost_au_t on t: missing from the store "
	               "(writes to the table are not captured or guarded)");
	CHECK_STR(outpost_errmsg(db), "3 differences between the schema and "
	                              "the store");
	outpost_free(out);
	out = NULL;
	/* Checking against the file gives the same lines. */
	t_path(v1, t, "v1.json");
	CHECK_RC(outpost_schema_check(&out, db, v1), OUTPOST_EDRIFT);
	CHECK_HAS(out, "trigger _outpost_au_t on t: missing from the store");
	CHECK_HAS(out, "index t_a_idx on t: missing from the store");
	CHECK_HAS(out, "column t.extra: in the store, not in the schema");
	outpost_free(out);
}

/* ---- foreign keys across a rebuild --------------------------------------- */

#define FK_CHILD                                                               \
	"\"child\": {\"columns\": {" PK ", \"parent_id\": {\"type\": "         \
	"\"uuid\", \"not_null\": true, \"references\": {\"table\": "           \
	"\"parent\", \"on_delete\": \"cascade\"}}}}"
#define FK_V1                                                                  \
	V(1)                                                                   \
	"\"tables\": {\"parent\": {\"columns\": {" PK ", \"name\": "           \
	"{\"type\": \"text\"}}}, " FK_CHILD "}}"
/* parent gets a column defaulting to "now": SQLite must rebuild it. */
#define FK_V2                                                                  \
	V(2)                                                                   \
	"\"tables\": {\"parent\": {\"columns\": {" PK ", \"name\": "           \
	"{\"type\": \"text\"}, \"born\": {\"type\": \"date\", "                \
	"\"not_null\": true, \"default\": \"now\"}}}, " FK_CHILD "}}"

void test_migrate_foreign_keys_survive_rebuild(struct t *t)
{
	outpost *db = store_with(t, FK_V1);

	CHECK(db != NULL);
	CHECK_OK(db, outpost_sql(db,
	                         "INSERT INTO parent(id, name) VALUES (" ID1
	                         ", 'p1'), (" ID2 ", 'p2'); INSERT INTO "
	                         "child(parent_id) VALUES (" ID1 "), (" ID1
	                         "), (" ID2 ")",
	                         NULL, 0, NULL, NULL));
	CHECK_OK(db, apply_text(t, db, "v2.json", FK_V2, NULL));
	CHECK_EQ(schema_version(db), 2);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM parent WHERE born IS NOT "
	                   "NULL"),
	         2);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM child"), 3);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
	CHECK(no_drift(t, db));
	/* The reference still holds and still cascades. */
	CHECK_RC(outpost_sql(db,
	                     "INSERT INTO child(parent_id) VALUES (" ID3 ")",
	                     NULL, 0, NULL, NULL),
	         OUTPOST_ESQL);
	CHECK_OK(db, outpost_sql(db, "DELETE FROM parent WHERE id = " ID1, NULL,
	                         0, NULL, NULL));
	CHECK_EQ(t_int(db, "SELECT count(*) FROM child"), 1);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM child WHERE parent_id = " ID2),
	         1);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes WHERE tbl = "
	                   "'child' AND op = 'D'"),
	         2);
	outpost_close(db);
}
