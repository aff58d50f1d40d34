/* t_sync_pg.c - devices syncing through a real central PostgreSQL (the
 * run's own server, pg_harness.c), end to end through the binary as a
 * person would: central init, add-device, remote set with the printed
 * line, sync, status. */
#include <stdint.h>
#include <stdlib.h>

#include "t_sync_pg.h"

const char sy_schema[] =
	"{\"schema\": \"sy\", \"version\": 1,\n"
	" \"tables\": {\n"
	"  \"notes\": {\"columns\": {\n"
	"   \"id\": {\"type\": \"uuid\", \"primary_key\": true},\n"
	"   \"fam\": {\"type\": \"text\", \"not_null\": true},\n"
	"   \"title\": {\"type\": \"text\"},\n"
	"   \"n\": {\"type\": \"integer\"},\n"
	"   \"w\": {\"type\": \"real\"},\n"
	"   \"tags\": {\"type\": \"text[]\"}},\n"
	"   \"sync\": {\"conflict\": \"lww\", \"scope\": {\"name\": \"family\", "
	"\"column\": \"fam\"}}},\n"
	"  \"fams\": {\"columns\": {\n"
	"   \"id\": {\"type\": \"uuid\", \"primary_key\": true},\n"
	"   \"name\": {\"type\": \"text\"}},\n"
	"   \"sync\": {\"conflict\": \"lww\", \"scope\": {\"name\": \"fam_id\", "
	"\"column\": \"id\"}}},\n"
	"  \"points\": {\"columns\": {\n"
	"   \"id\": {\"type\": \"uuid\", \"primary_key\": true},\n"
	"   \"fam\": {\"type\": \"text\", \"not_null\": true},\n"
	"   \"amount\": {\"type\": \"integer\"}},\n"
	"   \"sync\": {\"conflict\": \"append_only\", \"scope\": {\"name\": "
	"\"family\", \"column\": \"fam\"}}}},\n"
	" \"nodes\": {\n"
	"  \"Word\": {\"columns\": {\n"
	"   \"id\": {\"type\": \"uuid\", \"primary_key\": true},\n"
	"   \"word\": {\"type\": \"text\"}},\n"
	"   \"sync\": {\"conflict\": \"central_wins\"}}},\n"
	" \"relationships\": {\n"
	"  \"BEFORE\": {\"from\": \"Word\", \"to\": \"Word\", \"sync\": "
	"{\"conflict\": \"central_wins\"}},\n"
	"  \"LINKS\": {\"from\": \"Word\", \"to\": \"Word\", \"properties\": "
	"{\"strength\": {\"type\": \"real\"}, \"note\": {\"type\": "
	"\"text\"}}}}}\n";

int central_up(struct t *t, struct central *c)
{
	return central_up_schema(t, c, "sy.json", sy_schema);
}

int central_up_schema(struct t *t, struct central *c, const char *name,
		      const char *json)
{
	char *out = NULL;
	int rc;

	if (t_pg_testdb(t, c->db) != 0)
		return -1;
	t_pg_conninfo(c->pg, c->db, T_PG_ADMIN);
	t_path(c->schema, t, name);
	if (t_write(c->schema, json) != 0)
		return -1;
	rc = t_sh(&out, "'%s' central init --pg '%s' --schema '%s'", t_bin(),
		  c->pg, c->schema);
	if (rc != 0)
		t_fail(t, __FILE__, __LINE__, "central init: %s", out);
	free(out);
	return rc == 0 ? 0 : -1;
}

int device_up(struct t *t, const struct central *c, struct device *d,
		     const char *name, const char *scopes)
{
	char *out = NULL, *line, *end;
	int rc;
	/* Roles are server-wide: a hash of the test's database name keeps
	 * each test's devices apart. */
	uint32_t h = 2166136261u;
	const char *p;

	for (p = c->db; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	snprintf(d->name, sizeof(d->name), "d%08x%s", (unsigned)h, name);
	t_path(d->dir, t, d->name);
	rc = t_sh(&out, "cd '%s' && '%s' central add-device %s %s --pg '%s'",
		  t->dir, t_bin(), d->name, scopes, c->pg);
	line = rc == 0 && out ? strstr(out, "outpost remote set") : NULL;
	if (!line) {
		t_fail(t, __FILE__, __LINE__, "add-device: %s", out);
		free(out);
		return -1;
	}
	if ((end = strchr(line, '\n')) != NULL)
		*end = '\0';
	rc = t_sh(NULL, "'%s' -d '%s' init --schema '%s'", t_bin(), d->dir,
		  c->schema);
	if (rc == 0)
		rc = t_sh(NULL, "cd '%s' && '%s' -d '%s' %s", t->dir, t_bin(),
			  d->dir, line + strlen("outpost "));
	if (rc != 0)
		t_fail(t, __FILE__, __LINE__, "device %s: set-up failed", name);
	free(out);
	return rc == 0 ? 0 : -1;
}

long long central_count(const struct central *c, const char *sql)
{
	char *out = NULL;
	long long n = -1;

	if (t_pg_psql(&out, c->db, T_PG_ADMIN, NULL, sql) == 0 && out)
		n = strtoll(out, NULL, 10);
	free(out);
	return n;
}

int on(char **out, const struct device *d, const char *args)
{
	return t_sh(out, "'%s' -d '%s' %s", t_bin(), d->dir, args);
}

const char *rows(char *buf, size_t n, const struct device *d,
			const char *sql)
{
	char *out = NULL;

	if (t_sh(&out, "'%s' -d '%s' sql --csv \"%s\"", t_bin(), d->dir,
		 sql) != 0)
		snprintf(buf, n, "(error) %s", out ? out : "");
	else
		snprintf(buf, n, "%s", out ? out : "");
	free(out);
	return buf;
}

void test_sync_pg_round_trip(struct t *t)
{
	struct central c;
	struct device a, b;
	char *out = NULL, ra[4096], rb[4096];

	if (central_up(t, &c) != 0 ||
	    device_up(t, &c, &a, "a", "--scope family=smith") != 0 ||
	    device_up(t, &c, &b, "b", "--scope family=smith") != 0)
		return;
	CHECK_EQ(on(NULL, &a, "sql \"INSERT INTO notes(id, fam, title, n, w, "
		    "tags) VALUES ('0190a000-0000-7000-8000-000000000001', "
		    "'smith', 'milk', 2, 0.1, '[\\\"x\\\",\\\"y\\\"]'), "
		    "('0190a000-0000-7000-8000-000000000002', 'smith', 'eggs', "
		    "12, 2.5, NULL); INSERT INTO points(fam, amount) VALUES "
		    "('smith', 5)\""), 0);
	CHECK_EQ(on(&out, &a, "sync"), 0);
	CHECK_STR(out, "synced: pushed 3, pulled 0 (1 batch)\n");
	free(out);
	CHECK_EQ(on(&out, &b, "sync"), 0);
	CHECK_STR(out, "synced: pushed 0, pulled 3 (1 batch)\n");
	free(out);
	rows(ra, sizeof(ra), &a, "SELECT id, fam, title, n, w, tags FROM "
	     "notes ORDER BY id");
	CHECK_STR(rows(rb, sizeof(rb), &b, "SELECT id, fam, title, n, w, tags "
		       "FROM notes ORDER BY id"), ra);
	CHECK_HAS(rb, "milk");
	/* B changes one column, A another: both changes stay everywhere. */
	CHECK_EQ(on(NULL, &b, "sql \"UPDATE notes SET title = 'oat milk' "
		    "WHERE n = 2\""), 0);
	CHECK_EQ(on(NULL, &a, "sql \"UPDATE notes SET n = 3 WHERE n = 2; "
		    "DELETE FROM notes WHERE n = 12\""), 0);
	CHECK_EQ(on(NULL, &b, "sync"), 0);
	CHECK_EQ(on(NULL, &a, "sync"), 0);
	CHECK_EQ(on(NULL, &b, "sync"), 0);
	rows(ra, sizeof(ra), &a, "SELECT id, fam, title, n, w, tags FROM "
	     "notes ORDER BY id");
	CHECK_STR(rows(rb, sizeof(rb), &b, "SELECT id, fam, title, n, w, tags "
		       "FROM notes ORDER BY id"), ra);
	CHECK_HAS(ra, "oat milk,3,");
	CHECK(strstr(ra, "eggs") == NULL);
	CHECK_EQ(on(&out, &a, "status"), 0);
	CHECK_HAS(out, "pending    0 changes to push");
	CHECK_HAS(out, "last error none");
	free(out);
}

void test_sync_pg_scope_refused(struct t *t)
{
	struct central c;
	struct device a, j;
	char *out = NULL, rj[4096];

	if (central_up(t, &c) != 0 ||
	    device_up(t, &c, &a, "a", "--scope family=smith") != 0 ||
	    device_up(t, &c, &j, "j", "--scope family=jones") != 0)
		return;
	CHECK_EQ(on(NULL, &a, "sql \"INSERT INTO notes(fam, title) VALUES "
		    "('smith', 'ours')\""), 0);
	CHECK_EQ(on(NULL, &a, "sync"), 0);
	CHECK_EQ(on(NULL, &j, "sync"), 0);
	CHECK_STR(rows(rj, sizeof(rj), &j, "SELECT count(*) AS n FROM notes"),
		  "n\n0\n");
	/* A writes into another family's scope: central refuses the batch,
	 * the change stays pending, and status says why. */
	CHECK_EQ(on(NULL, &a, "sql \"INSERT INTO notes(fam, title) VALUES "
		    "('jones', 'theirs')\""), 0);
	CHECK_EQ(on(&out, &a, "sync"), 1);
	CHECK_HAS(out, "outpost: push: notes row ");
	CHECK_HAS(out, "is in scope family=jones, outside device");
	/* ... and says what lets it in */
	CHECK_HAS(out, "(nothing of the batch was applied, and it is sent "
		  "again at every sync; to let it in, central's administrator "
		  "adds the scope: outpost central add-device ");
	CHECK_HAS(out, " --scope family=jones, with the device's other "
		  "scopes)\n");
	free(out);
	CHECK_EQ(on(&out, &a, "status"), 0);
	CHECK_HAS(out, "pending    1 change to push");
	CHECK_HAS(out, "outside device");
	free(out);
	CHECK_EQ(on(NULL, &j, "sync"), 0);
	CHECK_STR(rows(rj, sizeof(rj), &j, "SELECT count(*) AS n FROM notes"),
		  "n\n0\n");
}

void test_sync_pg_central_writes_reach_devices(struct t *t)
{
	struct central c;
	struct device a;
	char *out = NULL, ra[4096];

	if (central_up(t, &c) != 0 ||
	    device_up(t, &c, &a, "a", "--scope family=smith") != 0)
		return;
	/* Curriculum authored centrally, and a note a backend wrote. */
	CHECK_EQ(t_pg_psql(&out, c.db, T_PG_ADMIN, NULL,
			   "INSERT INTO \"Word\"(id, word) VALUES "
			   "('0190a000-0000-7000-8000-00000000a001', 'act'), "
			   "('0190a000-0000-7000-8000-00000000a002', 'action');"
			   "INSERT INTO outpost.edges(uuid, type, from_uuid, "
			   "to_uuid) VALUES ('0190a000-0000-7000-8000-"
			   "00000000e001', 'BEFORE', '0190a000-0000-7000-8000-"
			   "00000000a001', '0190a000-0000-7000-8000-"
			   "00000000a002');"
			   "INSERT INTO notes(fam, title) VALUES ('smith', "
			   "'from the web'), ('jones', 'not yours')"), 0);
	free(out);
	CHECK_EQ(on(&out, &a, "sync"), 0);
	CHECK_STR(out, "synced: pushed 0, pulled 4 (1 batch)\n");
	free(out);
	CHECK_STR(rows(ra, sizeof(ra), &a, "SELECT word FROM Word ORDER BY "
		       "word"), "word\nact\naction\n");
	CHECK_STR(rows(ra, sizeof(ra), &a, "SELECT title FROM notes"),
		  "title\nfrom the web\n");
	CHECK_EQ(on(&out, &a, "graph neighbours "
		    "0190a000-0000-7000-8000-00000000a001 --type BEFORE"), 0);
	CHECK_STR(out, "0190a000-0000-7000-8000-00000000a002\n");
	free(out);
	/* central_wins: the device reads it and cannot change it. */
	CHECK_EQ(on(&out, &a, "sql \"UPDATE Word SET word = 'x'\""), 1);
	CHECK_HAS(out, "central_wins");
	free(out);
}

void test_sync_pg_schema_versions(struct t *t)
{
	struct central c;
	struct device a;
	char *out = NULL, v2[512];
	char text[sizeof(sy_schema) + 256];
	const char *at;

	if (central_up(t, &c) != 0 ||
	    device_up(t, &c, &a, "a", "--scope family=smith") != 0)
		return;
	/* Version 2 adds a nullable column; central migrates first. */
	at = strstr(sy_schema, "\"version\": 1");
	CHECK(at != NULL);
	snprintf(text, sizeof(text), "%.*s\"version\": 2%s",
		 (int)(at - sy_schema), sy_schema,
		 at + strlen("\"version\": 1"));
	at = strstr(text, "\"tags\": {\"type\": \"text[]\"}");
	CHECK(at != NULL);
	{
		char tmp[sizeof(text)];
		size_t k = (size_t)(at - text) +
			   strlen("\"tags\": {\"type\": \"text[]\"}");

		snprintf(tmp, sizeof(tmp), "%.*s, \"done\": {\"type\": "
			 "\"boolean\"}%s", (int)k, text, text + k);
		memcpy(text, tmp, sizeof(text));
	}
	t_path(v2, t, "sy2.json");
	CHECK(t_write(v2, text) == 0);
	CHECK_EQ(t_sh(NULL, "'%s' central migrate --pg '%s' --schema '%s'",
		       t_bin(), c.pg, v2), 0);
	CHECK_EQ(on(&out, &a, "sync"), 1);
	CHECK_HAS(out, "the remote has sy version 2, this store version 1: "
		       "apply the newer schema here first");
	free(out);
	CHECK_EQ(t_sh(NULL, "'%s' -d '%s' schema apply '%s'", t_bin(), a.dir,
		       v2), 0);
	CHECK_EQ(on(&out, &a, "sync"), 0);
	free(out);
}

void test_sync_pg_retry_applies_once(struct t *t)
{
	struct central c;
	struct device a;
	char *out = NULL;
	int i;

	if (central_up(t, &c) != 0 ||
	    device_up(t, &c, &a, "a", "--scope family=smith") != 0)
		return;
	for (i = 0; i < 3; i++)
		CHECK_EQ(on(NULL, &a, "sql \"INSERT INTO points(fam, amount) "
			    "VALUES ('smith', 1)\""), 0);
	CHECK_EQ(on(NULL, &a, "sync --batch 2"), 0);
	/* As if the acknowledgement had been lost: the cursor goes back. */
	CHECK_EQ(t_sh(NULL, "sqlite3 '%s/store.db' \"UPDATE _outpost_cursors "
		      "SET seq = 0 WHERE consumer = 'pg_push'\"", a.dir), 0);
	CHECK_EQ(on(&out, &a, "sync --batch 2"), 0);
	CHECK_STR(out, "synced: pushed 0, pulled 0 (0 batches)\n");
	free(out);
	CHECK_EQ(t_pg_psql(&out, c.db, T_PG_ADMIN, NULL,
			   "SELECT count(*), sum(amount) FROM points"), 0);
	CHECK_STR(out, "3|3\n");
	free(out);
	CHECK_EQ(t_pg_psql(&out, c.db, T_PG_ADMIN, NULL,
			   "SELECT count(*) FROM outpost.changes"), 0);
	CHECK_STR(out, "3\n");
	free(out);
}

/* A large pulled batch sets the inert triggers aside while it writes
 * (api_triggers.c): afterwards they are all there, as they were, and a
 * local write is captured again. */
void test_sync_pg_large_pull_keeps_triggers(struct t *t)
{
	struct central c;
	struct device a, b;
	char before[8192], after[8192], *out = NULL;

	if (central_up(t, &c) != 0 ||
	    device_up(t, &c, &a, "a", "--scope family=smith") != 0 ||
	    device_up(t, &c, &b, "b", "--scope family=smith") != 0)
		return;
	rows(before, sizeof(before), &b, "SELECT name, sql FROM sqlite_master "
	     "WHERE type = 'trigger' ORDER BY name");
	CHECK_HAS(before, "_outpost_ai_notes");
	CHECK_EQ(on(NULL, &a, "sql \"WITH RECURSIVE n(i) AS (SELECT 1 UNION "
		    "ALL SELECT i + 1 FROM n WHERE i < 600) INSERT INTO "
		    "notes(fam, title, n) SELECT 'smith', 'note', i FROM n\""),
		 0);
	CHECK_EQ(on(NULL, &a, "sync"), 0);
	CHECK_EQ(on(&out, &b, "sync"), 0);
	CHECK_STR(out, "synced: pushed 0, pulled 600 (1 batch)\n");
	free(out);
	CHECK_STR(rows(after, sizeof(after), &b, "SELECT name, sql FROM "
		       "sqlite_master WHERE type = 'trigger' ORDER BY name"),
		  before);
	CHECK_EQ(on(NULL, &b, "sql \"UPDATE notes SET title = 'mine' WHERE "
		    "n = 7\""), 0);
	CHECK_EQ(on(&out, &b, "status"), 0);
	CHECK_HAS(out, "pending    1 change to push");
	free(out);
}

/* A table scoped by its own key (a family row by its id): its id is the
 * scope value, at central's push as in row-level security. */
void test_sync_pg_scope_by_key(struct t *t)
{
	struct central c;
	struct device a;
	char *out = NULL;

	if (central_up(t, &c) != 0 ||
	    device_up(t, &c, &a, "a", "--scope family=smith --scope "
		      "fam_id=0190a000-0000-7000-8000-0000000000f1") != 0)
		return;
	CHECK_EQ(on(NULL, &a, "sql \"INSERT INTO fams(id, name) VALUES "
		    "('0190a000-0000-7000-8000-0000000000f1', 'ours')\""), 0);
	CHECK_EQ(on(&out, &a, "sync"), 0);
	free(out);
	CHECK_EQ(on(NULL, &a, "sql \"INSERT INTO fams(id, name) VALUES "
		    "('0190a000-0000-7000-8000-0000000000f2', 'theirs')\""), 0);
	CHECK_EQ(on(&out, &a, "sync"), 1);
	CHECK_HAS(out, "fams row 0190a000-0000-7000-8000-0000000000f2 is in "
		       "scope fam_id=0190a000-0000-7000-8000-0000000000f2, "
		       "outside device");
	free(out);
	CHECK_EQ(t_pg_psql(&out, c.db, T_PG_ADMIN, NULL,
			   "SELECT string_agg(name, ',') FROM fams"), 0);
	CHECK_STR(out, "ours\n");
	free(out);
}

/* Two devices change different properties of one edge at the same time:
 * central and both devices keep both, property by property. */
void test_sync_pg_edge_properties_merge(struct t *t)
{
	struct central c;
	struct device a, b;
	char *out = NULL, *uuid = NULL, cmd[256], ea[4096], eb[4096];

	if (central_up(t, &c) != 0 ||
	    device_up(t, &c, &a, "a", "--scope family=smith") != 0 ||
	    device_up(t, &c, &b, "b", "--scope family=smith") != 0)
		return;
	CHECK_EQ(t_pg_psql(&out, c.db, T_PG_ADMIN, NULL,
			   "INSERT INTO \"Word\"(id, word) VALUES "
			   "('0190a000-0000-7000-8000-00000000a001', 'act'), "
			   "('0190a000-0000-7000-8000-00000000a002', 'action')"),
		 0);
	free(out);
	CHECK_EQ(on(NULL, &a, "sync"), 0);
	CHECK_EQ(on(&uuid, &a, "graph edge add LINKS "
		    "0190a000-0000-7000-8000-00000000a001 "
		    "0190a000-0000-7000-8000-00000000a002 --props "
		    "'{\"strength\": 0.5, \"note\": \"x\"}'"), 0);
	CHECK(uuid && strlen(uuid) >= 36);
	uuid[36] = '\0';
	CHECK_EQ(on(NULL, &a, "sync"), 0);
	CHECK_EQ(on(NULL, &b, "sync"), 0);
	snprintf(cmd, sizeof(cmd), "graph edge update %s --props "
		 "'{\"strength\": 0.9}'", uuid);
	CHECK_EQ(on(NULL, &a, cmd), 0);
	snprintf(cmd, sizeof(cmd), "graph edge update %s --props "
		 "'{\"note\": \"y\"}'", uuid);
	CHECK_EQ(on(NULL, &b, cmd), 0);
	free(uuid);
	CHECK_EQ(on(NULL, &a, "sync"), 0);
	CHECK_EQ(on(NULL, &b, "sync"), 0);
	CHECK_EQ(on(NULL, &a, "sync"), 0);
	CHECK_EQ(t_pg_psql(&out, c.db, T_PG_ADMIN, NULL,
			   "SELECT props->>'strength', props->>'note' FROM "
			   "outpost.edges WHERE type = 'LINKS'"), 0);
	CHECK_STR(out, "0.9|y\n");
	free(out);
	CHECK_EQ(on(&out, &a, "graph edges --type LINKS"), 0);
	snprintf(ea, sizeof(ea), "%s", out);
	free(out);
	CHECK_EQ(on(&out, &b, "graph edges --type LINKS"), 0);
	snprintf(eb, sizeof(eb), "%s", out);
	free(out);
	CHECK_STR(ea, eb);
	CHECK_HAS(ea, "\"strength\":0.9");
	CHECK_HAS(ea, "\"note\":\"y\"");
}

/* PROTOCOL.md "Parked values": an update made concurrently with a delete
 * reaches central while the row is dead, and a re-insert made after the
 * delete (but before the update) comes later. Central keeps the update's
 * value aside and gives it back to the re-inserted row, as devices do:
 * every replica ends with the update's value, whatever the order. */
void test_sync_pg_parked_value_survives_reinsert(struct t *t)
{
	struct central c;
	struct device a, b, d;
	char *out = NULL, ra[4096], rb[4096], rd[4096];

	if (central_up(t, &c) != 0 ||
	    device_up(t, &c, &a, "a", "--scope family=smith") != 0 ||
	    device_up(t, &c, &b, "b", "--scope family=smith") != 0 ||
	    device_up(t, &c, &d, "d", "--scope family=smith") != 0)
		return;
	CHECK_EQ(on(NULL, &a, "sql \"INSERT INTO notes(id, fam, title, n) "
		    "VALUES ('0190a000-0000-7000-8000-0000000000d1', 'smith', "
		    "'first', 1)\""), 0);
	CHECK_EQ(on(NULL, &a, "sync"), 0);
	CHECK_EQ(on(NULL, &b, "sync"), 0);
	CHECK_EQ(on(NULL, &d, "sync"), 0);
	/* a deletes (clock d); d sees it and re-inserts the id (e > d); b,
	 * which saw neither, updates the title (u > e). */
	CHECK_EQ(on(NULL, &a, "sql \"DELETE FROM notes\""), 0);
	CHECK_EQ(on(NULL, &a, "sync"), 0);
	CHECK_EQ(on(NULL, &d, "sync"), 0);
	CHECK_EQ(on(NULL, &d, "sql \"INSERT INTO notes(id, fam, title, n) "
		    "VALUES ('0190a000-0000-7000-8000-0000000000d1', 'smith', "
		    "'again', 2)\""), 0);
	t_sleep_ms(5);
	CHECK_EQ(on(NULL, &b, "sql \"UPDATE notes SET title = 'late'\""), 0);
	/* The update reaches central on the dead row first, then the
	 * re-insert. */
	CHECK_EQ(on(NULL, &b, "sync"), 0);
	CHECK_EQ(on(NULL, &d, "sync"), 0);
	CHECK_EQ(on(NULL, &a, "sync"), 0);
	CHECK_EQ(on(NULL, &b, "sync"), 0);
	CHECK_EQ(t_pg_psql(&out, c.db, T_PG_ADMIN, NULL,
			   "SELECT title || '|' || n FROM notes"), 0);
	CHECK_STR(out, "late|2\n");
	free(out);
	rows(ra, sizeof(ra), &a, "SELECT id, title, n FROM notes");
	rows(rb, sizeof(rb), &b, "SELECT id, title, n FROM notes");
	rows(rd, sizeof(rd), &d, "SELECT id, title, n FROM notes");
	CHECK_HAS(ra, "late,2");
	CHECK_STR(rb, ra);
	CHECK_STR(rd, ra);
}
