/* t_cli.c - the outpost binary end to end: commands, formats, exit codes
 * (0 ok, 1 error, 2 usage), -d and OUTPOST_DIR. */
#include <stdlib.h>

#include "check.h"

/* Run `outpost ARGS` with the store in the test's directory. */
#define OP(out, args) t_sh(out, "cd '%s' && '%s' -d store " args, t->dir, t_bin())

void test_cli_help_and_usage_exit_codes(struct t *t)
{
	char *out = NULL;

	CHECK_EQ(t_sh(&out, "'%s' --help", t_bin()), 0);
	CHECK_HAS(out, "usage: outpost [-d DIR] COMMAND");
	free(out);
	CHECK_EQ(t_sh(&out, "'%s' sql --help", t_bin()), 0);
	CHECK_HAS(out, "usage: outpost [-d DIR] sql");
	free(out);
	CHECK_EQ(t_sh(&out, "'%s' log --help", t_bin()), 0);
	free(out);
	CHECK_EQ(t_sh(&out, "'%s' frobnicate", t_bin()), 2);
	CHECK_STR(out, "outpost: unknown command \"frobnicate\" (see outpost "
		       "--help)\n");
	free(out);
	CHECK_EQ(t_sh(&out, "'%s'", t_bin()), 2);
	free(out);
	CHECK_EQ(OP(&out, "status"), 1);
	CHECK_HAS(out, "outpost: no outpost store in store (create one with: "
		       "outpost -d store init)\n");
	free(out);
}

void test_cli_init_sql_formats(struct t *t)
{
	char schema[512], *out = NULL;

	t_schema(schema, "lexicraft.json");
	CHECK_EQ(t_sh(&out, "cd '%s' && '%s' -d store init --schema '%s'",
		      t->dir, t_bin(), schema), 0);
	free(out);
	CHECK_EQ(OP(&out, "sql \"INSERT INTO users(id, email, password_hash) "
			  "VALUES ('01a200c8-75ae-72f2-8ead-f5ee03380cb6', "
			  "'a@b.c', outpost_password('pw'))\""), 0);
	free(out);
	CHECK_EQ(OP(&out, "sql --json \"SELECT id, email, 1.5 AS x, NULL AS "
			  "n FROM users\""), 0);
	CHECK_STR(out, "[\n  {\"id\": \"01a200c8-75ae-72f2-8ead-f5ee03380cb6\", "
		       "\"email\": \"a@b.c\", \"x\": 1.5, \"n\": null}\n]\n");
	free(out);
	CHECK_EQ(OP(&out, "sql --csv \"SELECT email, 'x,y' AS t FROM "
			  "users\""), 0);
	CHECK_STR(out, "email,t\na@b.c,\"x,y\"\n");
	free(out);
	CHECK_EQ(OP(&out, "sql \"SELECT email, 'x' AS t FROM users\""), 0);
	CHECK_STR(out, "email  t\n-----  -\na@b.c  x\n(1 row)\n");
	free(out);
	/* SQL from stdin. */
	CHECK_EQ(t_sh(&out, "cd '%s' && echo \"SELECT count(*) AS n FROM "
			    "users;\" | '%s' -d store sql --csv", t->dir,
		      t_bin()), 0);
	CHECK_STR(out, "n\n1\n");
	free(out);
	/* SQLite's own message, one line, exit 1. */
	CHECK_EQ(OP(&out, "sql \"SELECT * FROM nosuch\""), 1);
	CHECK_STR(out, "outpost: no such table: nosuch\n");
	free(out);
}

void test_cli_log_status_and_env(struct t *t)
{
	char schema[512], *out = NULL;

	t_schema(schema, "lexicraft.json");
	CHECK_EQ(t_sh(&out, "cd '%s' && OUTPOST_DIR=envstore '%s' init "
			    "--schema '%s'", t->dir, t_bin(), schema), 0);
	free(out);
	CHECK_EQ(t_sh(&out, "cd '%s' && OUTPOST_DIR=envstore '%s' sql "
			    "\"INSERT INTO users(email, password_hash) VALUES "
			    "('a@b.c', outpost_password('pw')); UPDATE users "
			    "SET display_name = 'A'\"", t->dir, t_bin()), 0);
	free(out);
	CHECK_EQ(t_sh(&out, "cd '%s' && '%s' -d envstore log --op U --json",
		      t->dir, t_bin()), 0);
	CHECK_HAS(out, "\"table\": \"users\", \"op\": \"U\"");
	CHECK_HAS(out, "\"values\": {\"display_name\":\"A\"}}\n]\n");
	CHECK(strstr(out, "\"op\": \"I\"") == NULL);
	free(out);
	CHECK_EQ(t_sh(&out, "cd '%s' && '%s' -d envstore log --table users "
			    "--newest --limit 1", t->dir, t_bin()), 0);
	CHECK_HAS(out, " users ");
	CHECK_HAS(out, " U ");
	free(out);
	CHECK_EQ(t_sh(&out, "cd '%s' && '%s' -d envstore log --op X", t->dir,
		      t_bin()), 2);
	free(out);
	CHECK_EQ(t_sh(&out, "cd '%s' && '%s' -d envstore status --json",
		      t->dir, t_bin()), 0);
	CHECK_HAS(out, "\"schema\": \"lexicraft\", \"schema_version\": 1, "
		       "\"tables\": 9, \"log_entries\": 2, \"last_seq\": 2");
	free(out);
}

void test_cli_schema_check_and_bad_schema(struct t *t)
{
	char schema[512], bad[512], *out = NULL;

	t_schema(schema, "lexicraft.json");
	t_path(bad, t, "bad.json");
	CHECK_EQ(t_write(bad, "{\"schema\": \"x\", \"version\": 1,\n "
			      "\"tables\": {\"t\": {\"columns\": {\"id\": "
			      "{\"type\": \"uuid\", \"primary_key\": true}, "
			      "\"a\": {\"type\": \"txt\"}}}}}\n"), 0);
	CHECK_EQ(OP(&out, "init"), 0);
	free(out);
	CHECK_EQ(t_sh(&out, "cd '%s' && '%s' -d store schema apply '%s'",
		      t->dir, t_bin(), bad), 1);
	CHECK_HAS(out, "bad.json: $.tables.t.columns.a.type: unknown type "
		       "\"txt\" (expected one of: uuid, text, integer, real, "
		       "boolean, timestamp, date, json, blob, text[], "
		       "password)\n");
	free(out);
	CHECK_EQ(t_sh(&out, "cd '%s' && '%s' -d store schema apply '%s'",
		      t->dir, t_bin(), schema), 0);
	free(out);
	CHECK_EQ(OP(&out, "schema check"), 0);
	CHECK_STR(out, "no drift: the store matches the schema\n");
	free(out);
	CHECK_EQ(t_sh(&out, "sqlite3 '%s/store/store.db' \"DROP TRIGGER "
			    "_outpost_ai_children\"", t->dir), 0);
	free(out);
	CHECK_EQ(OP(&out, "schema check"), 1);
	CHECK_STR(out, "trigger _outpost_ai_children on children: missing "
		       "from the store (writes to the table are not captured "
		       "or guarded)\noutpost: 1 difference between the schema "
		       "and the store\n");
	free(out);
	CHECK_EQ(OP(&out, "schema show"), 0);
	CHECK_HAS(out, "\"schema\":\"lexicraft\"");
	free(out);
}

void test_cli_central_loads_curriculum(struct t *t)
{
	char schema[512], *out = NULL;

	t_schema(schema, "lexicraft.json");
	CHECK_EQ(t_sh(&out, "cd '%s' && '%s' -d store init --schema '%s'",
		      t->dir, t_bin(), schema), 0);
	free(out);
	CHECK_EQ(OP(&out, "sql \"INSERT INTO LearningPoint(learning_point_id, "
			  "word) VALUES ('lp1', 'apt')\""), 1);
	CHECK_STR(out, "outpost: LearningPoint is central_wins: local INSERT "
		       "refused (change it centrally, then sync)\n");
	free(out);
	CHECK_EQ(OP(&out, "sql --central \"INSERT INTO LearningPoint("
			  "learning_point_id, word) VALUES ('lp1', 'apt')\""),
		 0);
	free(out);
	CHECK_EQ(OP(&out, "sql --csv \"SELECT (SELECT count(*) FROM "
			  "LearningPoint) AS lp, (SELECT count(*) FROM "
			  "_outpost_changes) AS logged, (SELECT applying FROM "
			  "_outpost_clock) AS applying, (SELECT hex(site) || "
			  "op FROM _outpost_changes) AS entry\""), 0);
	/* A node row as central: one entry, for the graph, under the
	 * central site (all zeros), so it is never pushed. */
	CHECK_STR(out, "lp,logged,applying,entry\n1,1,0,"
		       "00000000000000000000000000000000I\n");
	free(out);
}
