/* t_schema.c - schema validation: the shipped schemas load cleanly, and
 * every kind of malformed declaration is refused with its exact message
 * (file, JSON path, reason) while the store stays untouched. */
#include <stdlib.h>

#include "check.h"

/* User tables in the store: everything but outpost's own and SQLite's. */
#define USER_TABLES                                                            \
	"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name "    \
	"NOT LIKE '\\_outpost%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' "   \
	"ESCAPE '\\'"

static void shipped_one(struct t *t, const char *file, int want_tables)
{
	char schema[512], *drift = NULL;
	outpost_status st;
	outpost *db = t_store(t, NULL);
	int rc;

	CHECK(db != NULL);
	t_schema(schema, file);
	CHECK_OK(db, outpost_schema_apply(db, schema));
	rc = outpost_schema_check(&drift, db, schema);
	if (rc != OUTPOST_OK)
		t_fail(t, __FILE__, __LINE__, "%s drifts: %s", file,
		       drift ? drift : outpost_errmsg(db));
	CHECK_RC(rc, OUTPOST_OK);
	CHECK(drift == NULL);
	CHECK_OK(db, outpost_schema_check(&drift, db, NULL));
	CHECK_EQ(t_int(db, USER_TABLES), want_tables);
	memset(&st, 0, sizeof(st));
	st.version = OUTPOST_STATUS_VERSION;
	CHECK_OK(db, outpost_status_get(&st, db));
	CHECK_EQ(st.tables, want_tables);
	CHECK_EQ(st.schema_version, 1);
	/* Applying the same file again is a no-op, not an error. */
	CHECK_OK(db, outpost_schema_apply(db, schema));
	outpost_close(db);
}

void test_schema_shipped_schemas_load(struct t *t)
{
	shipped_one(t, "lexicraft.json", 8 + 1);
	if (t->failed)
		return;
	CHECK_EQ(t_sh(NULL, "rm -rf '%s/store'", t->dir), 0);
	shipped_one(t, "twodotsoneline.json", 15 + 3);
}

/* Pieces of the malformed schemas below. */
#define HEAD  "{\"schema\": \"s\", \"version\": 1, "
#define HEAD2 "{\"schema\": \"s\", \"version\": 2, "
#define PK    "\"id\": {\"type\": \"uuid\", \"primary_key\": true}"
/* One table t: its primary key, then the given columns. */
#define TCOLS(cols)                                                            \
	HEAD "\"tables\": {\"t\": {\"columns\": {" PK ", " cols "}}}}"
/* One table t with primary key and one text column a, plus more keys. */
#define TMORE(more)                                                            \
	HEAD "\"tables\": {\"t\": {\"columns\": {" PK ", \"a\": {\"type\": "   \
	     "\"text\"}}, " more "}}}"
/* Table t, node label N, and the given relationship types. */
#define RELS(rels)                                                             \
	HEAD "\"tables\": {\"t\": {\"columns\": {" PK "}}}, \"nodes\": "       \
	     "{\"N\": {\"columns\": {" PK "}}}, \"relationships\": {" rels     \
	     "}}"
#define A_KEYS                                                                 \
	"(expected one of: type, primary_key, not_null, unique, default, "     \
	"references, encrypted)"
#define TYPES                                                                  \
	"(expected one of: uuid, text, integer, real, boolean, timestamp, "    \
	"date, json, blob, text[], password)"
#define LONG64                                                                 \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define COL_A "$.tables.t.columns.a"

/* Each schema text and the whole message it must give; "@" stands for the
 * schema file's path, which starts every line. */
static const struct {
	const char *text;
	const char *want;
} bad[] = {
    /* JSON itself */
    {"{\"schema\": \"s\"\n \"version\": 1}",
     "@:2:2: invalid JSON (unexpected character)"},
    {"{\"schema\": \"s\",\n \"version\": 1",
     "@:2:14: invalid JSON (unexpected end of file)"},
    {"{\"schema\": \"s\", \"version\": 1} x",
     "@:1:31: invalid JSON (unexpected character)"},
    {"", "@:1:1: invalid JSON (unexpected end of file)"},
    {"\n  \n", "@:3:1: invalid JSON (unexpected end of file)"},
    {"[1, 2]", "@: $: a schema must be a JSON object"},
    /* top level */
    {"{\"version\": 1}", "@: $: missing \"schema\" (the schema's name)"},
    {"{\"schema\": \"s\"}", "@: $: missing \"version\" (an integer >= 1)"},
    {"{\"schema\": \"s\", \"version\": 0}",
     "@: $.version: must be an integer from 1 to 2147483647"},
    {"{\"schema\": \"s\", \"version\": 1.5}",
     "@: $.version: must be an integer from 1 to 2147483647"},
    {"{\"schema\": \"s\", \"version\": \"1\"}",
     "@: $.version: must be an integer from 1 to 2147483647"},
    {HEAD "\"table\": {}}",
     "@: $.table: unknown key \"table\" (expected one of: schema, "
     "version, tables, nodes, relationships, migrations)"},
    {HEAD "\"version\": 2}", "@: $.version: duplicate key \"version\""},
    {"{\"schema\": \"my schema\", \"version\": 1}",
     "@: $.schema: schema name \"my schema\" is not an identifier "
     "(letters, digits and _, not starting with a digit)"},
    /* columns */
    {TCOLS("\"a\": {\"type\": \"text\", \"not_nul\": true}"),
     "@: " COL_A ".not_nul: unknown key \"not_nul\" " A_KEYS},
    {TCOLS("\"a\": {\"type\": \"string\"}"),
     "@: " COL_A ".type: unknown type \"string\" " TYPES},
    {TCOLS("\"a\": {\"not_null\": true}"), "@: " COL_A ": missing \"type\""},
    {TCOLS("\"a\": {\"type\": \"text\", \"not_null\": \"yes\"}"),
     "@: " COL_A ".not_null: must be true or false"},
    {TCOLS("\"a\": {\"type\": \"text\"}, \"a\": {\"type\": \"text\"}"),
     "@: $.tables.t.columns.a: duplicate key \"a\""},
    {TCOLS("\"a\": {\"type\": \"text\"}, \"A\": {\"type\": \"text\"}"),
     "@: $.tables.t.columns.A: column \"A\" differs from column \"a\" "
     "only in case"},
    {TCOLS("\"2x\": {\"type\": \"text\"}"),
     "@: $.tables.t.columns[\"2x\"]: column name \"2x\" is not an "
     "identifier (letters, digits and _, not starting with a digit)"},
    {TCOLS("\"" LONG64 "\": {\"type\": \"text\"}"),
     "@: $.tables.t.columns." LONG64 ": column name \"" LONG64 "\" is "
     "longer than 63 bytes"},
    /* primary keys */
    {HEAD "\"tables\": {\"t\": {\"columns\": {\"a\": {\"type\": "
          "\"text\"}}}}}",
     "@: $.tables.t.columns: no column has \"primary_key\": true (every "
     "table needs a uuid primary key)"},
    {TCOLS("\"id2\": {\"type\": \"uuid\", \"primary_key\": true}"),
     "@: $.tables.t.columns.id2: a second primary key (the first is "
     "\"id\")"},
    {HEAD "\"tables\": {\"t\": {\"columns\": {\"id\": {\"type\": "
          "\"integer\", \"primary_key\": true}}}}}",
     "@: $.tables.t.columns.id.primary_key: the primary key must be of "
     "type uuid, not integer"},
    {HEAD "\"tables\": {\"t\": {\"columns\": {\"id\": {\"type\": "
          "\"uuid\", \"primary_key\": true, \"encrypted\": true}}}}}",
     "@: $.tables.t.columns.id.encrypted: an encrypted column cannot be "
     "a primary key, unique, a reference or a password"},
    {HEAD "\"tables\": {\"t\": {\"columns\": {}}}}",
     "@: $.tables.t.columns: a table needs at least one column"},
    /* names */
    {HEAD "\"tables\": {\"Users\": {\"columns\": {" PK "}}, \"users\": "
          "{\"columns\": {" PK "}}}}",
     "@: $.tables.users: \"users\" clashes with \"Users\" (names are "
     "compared without case)"},
    {HEAD "\"tables\": {\"N\": {\"columns\": {" PK "}}}, \"nodes\": "
          "{\"N\": {\"columns\": {" PK "}}}}",
     "@: $.nodes.N: \"N\" is declared both as a table and as a node "
     "label"},
    {RELS("\"t\": {\"from\": \"N\", \"to\": \"N\"}"),
     "@: $.relationships.t: \"t\" is already the name of a table"},
    {HEAD "\"tables\": {\"_outpost_x\": {\"columns\": {" PK "}}}}",
     "@: $.tables._outpost_x: table name \"_outpost_x\" is reserved "
     "(names starting with _outpost or sqlite_ belong to the store)"},
    {HEAD "\"tables\": {\"a-b\": {\"columns\": {" PK "}}}}",
     "@: $.tables[\"a-b\"]: table name \"a-b\" is not an identifier "
     "(letters, digits and _, not starting with a digit)"},
    /* defaults */
    {TCOLS("\"a\": {\"type\": \"integer\", \"default\": 1.5}"),
     "@: " COL_A ".default: default of an integer column must be a "
     "whole number within +-2^53"},
    {TCOLS("\"a\": {\"type\": \"timestamp\", \"default\": \"yesterday\"}"),
     "@: " COL_A ".default: default of a timestamp column must be "
     "\"now\" or \"YYYY-MM-DDTHH:MM:SS[.fff]Z\""},
    {TCOLS("\"a\": {\"type\": \"date\", \"default\": \"2026-02-30\"}"),
     "@: " COL_A ".default: default of a date column must be \"now\" or "
     "\"YYYY-MM-DD\""},
    {TCOLS("\"a\": {\"type\": \"text[]\", \"default\": [\"x\", 1]}"),
     "@: " COL_A ".default: default of a text[] column must be an array "
     "of strings"},
    {TCOLS("\"a\": {\"type\": \"uuid\", \"default\": \"not-a-uuid\"}"),
     "@: " COL_A ".default: default of a uuid column must be a UUID in "
     "its 36-character form"},
    {TCOLS("\"a\": {\"type\": \"boolean\", \"default\": 1}"),
     "@: " COL_A ".default: default does not match the column's type "
     "boolean"},
    {TCOLS("\"a\": {\"type\": \"blob\", \"default\": \"00\"}"),
     "@: " COL_A ".default: a blob column cannot have a default"},
    {TCOLS("\"a\": {\"type\": \"password\", \"default\": \"x\"}"),
     "@: " COL_A ".default: a password column cannot have a default"},
    /* references */
    {TCOLS("\"a\": {\"type\": \"uuid\", \"references\": {\"table\": "
           "\"nope\"}}"),
     "@: " COL_A ".references: references unknown table \"nope\""},
    {TCOLS("\"a\": {\"type\": \"uuid\", \"references\": {\"table\": "
           "\"t\", \"column\": \"zz\"}}"),
     "@: " COL_A ".references: references unknown column \"t.zz\""},
    {TCOLS("\"a\": {\"type\": \"text\", \"references\": {\"table\": "
           "\"t\"}}"),
     "@: " COL_A ".references: type text does not match t.id, which is "
     "uuid"},
    {TCOLS("\"b\": {\"type\": \"text\"}, \"a\": {\"type\": \"text\", "
           "\"references\": {\"table\": \"t\", \"column\": \"b\"}}"),
     "@: " COL_A ".references: t.b is neither the primary key nor "
     "unique, so it cannot be referenced"},
    {TCOLS("\"a\": {\"type\": \"uuid\", \"references\": {\"table\": "
           "\"t\", \"on_delete\": \"delete\"}}"),
     "@: " COL_A ".references.on_delete: must be one of cascade, "
     "set_null, restrict, no_action"},
    {TCOLS("\"a\": {\"type\": \"uuid\", \"not_null\": true, "
           "\"references\": {\"table\": \"t\", \"on_delete\": "
           "\"set_null\"}}"),
     "@: " COL_A ".references.on_delete: set_null on a not_null column"},
    /* indexes */
    {TMORE("\"indexes\": [{\"columns\": [\"zz\"]}]"),
     "@: $.tables.t.indexes[0].columns[0]: unknown column \"zz\""},
    {TMORE("\"indexes\": [{\"columns\": [\"a UP\"]}]"),
     "@: $.tables.t.indexes[0].columns[0]: unknown order \"UP\" "
     "(expected ASC or DESC)"},
    {TMORE("\"indexes\": [{\"columns\": []}]"),
     "@: $.tables.t.indexes[0].columns: must be a non-empty array of "
     "column names"},
    {TMORE("\"indexes\": [{\"name\": \"ix\", \"columns\": [\"a\"]}, "
           "{\"name\": \"ix\", \"columns\": [\"id\"]}]"),
     "@: $.tables.t.indexes[1]: index name \"ix\" is used twice"},
    /* sync */
    {TMORE("\"sync\": {\"conflict\": \"first_wins\"}"),
     "@: $.tables.t.sync.conflict: must be one of lww, append_only, "
     "central_wins"},
    {TMORE("\"sync\": {\"local_only\": true, \"conflict\": \"lww\"}"),
     "@: $.tables.t.sync.local_only: a local_only table is never "
     "synced: it takes no conflict or scope"},
    {TMORE("\"sync\": {\"scope\": {\"name\": \"p\", \"column\": "
           "\"zz\"}}"),
     "@: $.tables.t.sync.scope: scope column \"zz\" is not a column of "
     "t"},
    {TMORE("\"sync\": {\"scope\": {\"column\": \"a\"}}"),
     "@: $.tables.t.sync.scope: scope needs a \"name\" (a string)"},
    /* relationships */
    {RELS("\"R\": {\"from\": \"M\", \"to\": \"N\"}"),
     "@: $.relationships.R.from: unknown node label \"M\""},
    {RELS("\"R\": {\"from\": \"t\", \"to\": \"N\"}"),
     "@: $.relationships.R.from: \"t\" is a table, not a node label "
     "(declare it under \"nodes\")"},
    {RELS("\"R\": {\"from\": \"N\", \"to\": \"N\", \"properties\": "
          "{\"uuid\": {\"type\": \"text\"}}}"),
     "@: $.relationships.R.properties.uuid: \"uuid\" is a property "
     "every edge of this type already has"},
    {RELS("\"R\": {\"from\": \"N\", \"to\": \"N\", \"sync\": "
          "{\"conflict\": \"lww\", \"scope\": {}}}"),
     "@: $.relationships.R.sync.scope: unknown key \"scope\" (expected "
     "one of: conflict)"},
    /* migrations */
    {HEAD "\"migrations\": [{\"version\": 2, \"steps\": [{\"drop_table\": "
          "\"x\"}]}]}",
     "@: $.migrations[0].version: migration to version 2 is past the "
     "schema's version 1"},
    {HEAD2 "\"migrations\": [{\"version\": 2, \"steps\": "
           "[{\"drop_index\": \"x\"}]}]}",
     "@: $.migrations[0].steps[0].drop_index: unknown key "
     "\"drop_index\" (expected one of: drop_table, drop_column, "
     "rename_table, rename_column, change_column, drop_relationship)"},
    /* every problem is reported, one per line */
    {"{\"schema\": \"s\", \"version\": 0, \"tables\": {\"t\": "
     "{\"columns\": {" PK ", \"a\": {\"type\": \"text\", \"not_nul\": "
     "true}}}}}",
     "@: $.version: must be an integer from 1 to 2147483647\n"
     "@: " COL_A ".not_nul: unknown key \"not_nul\" " A_KEYS},
};


/* 0 if case i is refused with its exact message and leaves no table. */
static int bad_case(struct t *t, outpost *db, const char *path, size_t i)
{
	char want[4096];
	int rc;

	if (t_write(path, bad[i].text) != 0) {
		t_fail(t, __FILE__, __LINE__, "case %zu: cannot write %s", i,
		       path);
		return 1;
	}
	t_expand(want, sizeof(want), bad[i].want, path);
	rc = outpost_schema_apply(db, path);
	if (rc != OUTPOST_ESCHEMA || strcmp(outpost_errmsg(db), want) != 0) {
		t_fail(t, __FILE__, __LINE__,
		       "case %zu: %s\n    schema %s\n"
		       "    got  \"%s\"\n    want \"%s\"",
		       i, outpost_errstr(rc), bad[i].text, outpost_errmsg(db),
		       want);
		return 1;
	}
	if (t_int(db, USER_TABLES) != 0) {
		t_fail(t, __FILE__, __LINE__,
		       "case %zu: the store has user "
		       "tables after a refused schema",
		       i);
		return 1;
	}
	return 0;
}

/* Apply text in a fresh store dir/name; the message on failure. */
static int apply_fresh(struct t *t, const char *name, const char *text)
{
	char dir[512], path[512];
	outpost *db = NULL;
	int rc;

	t_path(dir, t, name);
	t_path(path, t, "good.json");
	if (t_write(path, text) != 0)
		return OUTPOST_EIO;
	rc = outpost_init(&db, dir, NULL);
	if (rc == OUTPOST_OK)
		rc = outpost_schema_apply(db, path);
	if (rc != OUTPOST_OK)
		fprintf(stderr, "%s: %s\n", name, outpost_errmsg(db));
	outpost_close(db);
	return rc;
}

void test_schema_malformed_cases(struct t *t)
{
	outpost_status st;
	char path[512];
	outpost *db = t_store(t, NULL);
	size_t i, nbad = 0, n = sizeof(bad) / sizeof(bad[0]);

	CHECK(db != NULL);
	CHECK(n >= 35);
	t_path(path, t, "bad.json");
	for (i = 0; i < n; i++)
		nbad += (size_t)bad_case(t, db, path, i);
	CHECK_EQ(nbad, 0);
	memset(&st, 0, sizeof(st));
	st.version = OUTPOST_STATUS_VERSION;
	CHECK_OK(db, outpost_status_get(&st, db));
	CHECK_EQ(st.schema_version, 0);
	CHECK_STR(st.schema_name, "");
	outpost_close(db);
	/* The base pieces are valid: the cases fail for their own reason. */
	CHECK_RC(apply_fresh(t, "ok1",
	                     TMORE("\"sync\": {\"scope\": "
	                           "{\"name\": \"p\", \"column\": "
	                           "\"a\"}}")),
	         OUTPOST_OK);
	CHECK_RC(apply_fresh(t, "ok2",
	                     TCOLS("\"a\": {\"type\": \"uuid\", "
	                           "\"references\": {\"table\": "
	                           "\"t\", \"on_delete\": "
	                           "\"set_null\"}}")),
	         OUTPOST_OK);
	CHECK_RC(apply_fresh(t, "ok3",
	                     RELS("\"R\": {\"from\": \"N\", "
	                          "\"to\": \"N\", \"properties\": "
	                          "{\"w\": {\"type\": \"real\"}}}")),
	         OUTPOST_OK);
	CHECK_RC(apply_fresh(t, "ok4",
	                     HEAD2
	                     "\"migrations\": [{\"version\": "
	                     "2, \"steps\": [{\"drop_table\": \"x\"}]}]}"),
	         OUTPOST_OK);
}
