/* t_central_device.c - devices at central: add-device's role, password
 * file and instructions, and what a device role may do when it connects
 * with psql itself (row-level security and grants are the server's, not
 * the client's). */
#include <stdlib.h>
#include <sys/stat.h>

#include "t_central.h"

#define DEV_ROLE "outpost_dev_tab-1"

/* Roles are the whole server's, not one database's: each test that
 * registers a device gives it a name of its own. */
static char role[64];

/* init, two regions of things, a catalogue row, device `name` in north. */
static int device_setup(struct t *t, struct tc *c, const char *name,
			char pw[128])
{
	char path[512], args[128], *out = NULL;
	FILE *f;
	int ok;

	if (tc_setup(t, c) != 0)
		return -1;
	ok = tc_central(t, NULL, c, "init --schema shop.json") == 0 &&
	     t_pg_psql(NULL, c->db, T_PG_ADMIN, NULL,
		       "INSERT INTO things (id, n, region) VALUES "
		       "('0190a000-0000-7000-8000-000000000001', 1, 'north'), "
		       "('0190a000-0000-7000-8000-000000000002', 2, 'south'); "
		       "INSERT INTO catalogue (title) VALUES ('cat')") == 0 &&
	     snprintf(args, sizeof(args), "add-device %s --scope region=north",
		      name) > 0 &&
	     tc_central(t, &out, c, args) == 0;
	free(out);
	snprintf(role, sizeof(role), "outpost_dev_%s", name);
	snprintf(args, sizeof(args), "%s.pgpass", name);
	t_path(path, t, args);
	f = ok ? fopen(path, "r") : NULL;
	ok = f && fgets(pw, 128, f) != NULL;
	if (f)
		fclose(f);
	if (!ok)
		t_fail(t, __FILE__, __LINE__, "device set-up failed");
	return ok ? 0 : -1;
}

/* psql as the device, with its password in psql's environment. */
static int dev(char **out, const struct tc *c, const char *pw,
	       const char *sql)
{
	return t_pg_psql(out, c->db, role[0] ? role : DEV_ROLE, pw, sql);
}

void test_central_device_add(struct t *t)
{
	struct tc c;
	struct stat st;
	char *out = NULL, path[512], want[1024], v[4096];
	size_t i;
	FILE *f;
	char pw[128] = "";

	if (tc_setup(t, &c) != 0)
		return;
	CHECK_EQ(tc_central(t, NULL, &c, "init --schema shop.json"), 0);
	/* umask 0: the file must be created 0600, not chmod'ed after */
	CHECK_EQ(t_sh(&out, "cd '%s' && umask 000 && '%s' central add-device "
		      "tab-1 --scope region=north --pg '%s'", t->dir, t_bin(),
		      c.pg), 0);
	snprintf(want, sizeof(want), "on the device, run:\n  outpost remote "
		 "set --pg 'host=%s port=5432 dbname=%s user=" DEV_ROLE "' "
		 "--password-file tab-1.pgpass\n", t_pg_host(), c.db);
	CHECK_HAS(out, want);
	CHECK_HAS(out, "password written to tab-1.pgpass (mode 0600)");
	free(out);
	t_path(path, t, "tab-1.pgpass");
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_mode & 0777, 0600);
	CHECK((f = fopen(path, "r")) != NULL);
	CHECK(fgets(pw, sizeof(pw), f) != NULL);
	fclose(f);
	CHECK_EQ(strlen(pw), 43); /* 32 bytes, base64url, no padding */
	for (i = 0; i < 43; i++)
		CHECK(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx"
			     "yz0123456789-_", pw[i]) != NULL);
	CHECK_EQ(dev(&out, &c, pw, "SELECT current_user"), 0);
	CHECK_STR(out, DEV_ROLE "\n");
	free(out);
	/* again with other scopes: scopes change, the password does not */
	CHECK_EQ(tc_central(t, &out, &c, "add-device tab-1 --scope "
			    "region=south region=east"), 0);
	CHECK_HAS(out, "scopes updated");
	CHECK_HAS(out, "password unchanged");
	free(out);
	CHECK_STR(tc_value(v, &c, "SELECT string_agg(name || '=' || value, ' ' "
			   "ORDER BY value) FROM outpost.device_scopes"),
		  "region=east region=south");
	CHECK_EQ(dev(NULL, &c, pw, "SELECT 1"), 0);
	/* a new password needs a new file; the old one stops working */
	CHECK_EQ(tc_central(t, &out, &c, "add-device tab-1 --new-password"), 1);
	CHECK_HAS(out, "tab-1.pgpass exists");
	free(out);
	CHECK_EQ(tc_central(t, NULL, &c, "add-device tab-1 --new-password "
			    "--password-file new.pgpass"), 0);
	CHECK_EQ(dev(&out, &c, pw, "SELECT 1"), 2);
	CHECK_HAS(out, "password authentication failed");
	free(out);
}

void test_central_device_refusals(struct t *t)
{
	struct tc c;
	char *out = NULL;

	if (tc_setup(t, &c) != 0)
		return;
	CHECK_EQ(tc_central(t, NULL, &c, "init --schema shop.json"), 0);
	CHECK_EQ(tc_central(t, &out, &c, "add-device 'bad name' --scope "
			    "region=x"), 1);
	CHECK_HAS(out, "device name \"bad name\": use 1 to 40 letters");
	free(out);
	CHECK_EQ(tc_central(t, &out, &c, "add-device t2 --scope colour=x"), 1);
	CHECK_HAS(out, "the schema declares no scope named colour");
	free(out);
	CHECK_EQ(tc_central(t, &out, &c, "add-device t3"), 1);
	CHECK_HAS(out, "a new device needs its scopes");
	free(out);
	CHECK_EQ(t_sh(&out, "cd '%s' && ls", t->dir), 0);
	CHECK(strstr(out, ".pgpass") == NULL); /* nothing left behind */
	free(out);
}

/* As the device role, through psql: only its scope, only its grants. */
void test_central_device_scopes(struct t *t)
{
	struct tc c;
	char pw[128], *out = NULL, v[4096];

	if (device_setup(t, &c, "tab-s", pw) != 0)
		return;
	CHECK_EQ(dev(&out, &c, pw, "SELECT string_agg(n::text, ' ') FROM "
		     "things"), 0);
	CHECK_STR(out, "1\n");
	free(out);
	CHECK_EQ(dev(&out, &c, pw, "INSERT INTO things (n, region) VALUES "
		     "(3, 'south')"), 1);
	CHECK_HAS(out, "violates row-level security policy");
	free(out);
	CHECK_EQ(dev(&out, &c, pw, "UPDATE things SET n = 9 WHERE region = "
		     "'south' RETURNING n"), 0);
	CHECK_STR(out, "");
	free(out);
	CHECK_EQ(dev(&out, &c, pw, "DELETE FROM things WHERE region = 'south'"
		     " RETURNING n"), 0);
	CHECK_STR(out, "");
	free(out);
	/* moving a row of its own into another scope is writing there */
	CHECK_EQ(dev(NULL, &c, pw, "UPDATE things SET region = 'south' WHERE "
		     "n = 1"), 1);
	CHECK_STR(tc_value(v, &c, "SELECT string_agg(n || region, ' ' ORDER BY "
			   "n) FROM things"), "1north 2south");
	/* its own scope: all of it, captured with the device's name */
	CHECK_EQ(dev(&out, &c, pw, "INSERT INTO things (n, region) VALUES (4, "
		     "'north'); UPDATE things SET n = 5 WHERE n = 4; INSERT "
		     "INTO ledger (region, amount) VALUES ('north', 7); DELETE "
		     "FROM things WHERE n = 5"), 0);
	free(out);
	CHECK_STR(tc_value(v, &c, "SELECT string_agg(tbl || op, ' ' ORDER BY "
			   "sseq) FROM outpost.changes WHERE device = 'tab-s'"),
		  "thingsI thingsU ledgerI thingsD");
	CHECK_EQ(dev(&out, &c, pw, "UPDATE ledger SET amount = 8"), 1);
	CHECK_HAS(out, "permission denied for table ledger");
	free(out);
	CHECK_EQ(dev(&out, &c, pw, "INSERT INTO catalogue (title) VALUES "
		     "('x')"), 1);
	CHECK_HAS(out, "permission denied for table catalogue");
	free(out);
	CHECK_EQ(dev(&out, &c, pw, "SELECT title FROM catalogue"), 0);
	CHECK_STR(out, "cat\n");
	free(out);
}

/* The central log and outpost's own tables, as the device sees them. */
void test_central_device_outpost_tables(struct t *t)
{
	static const char *const hidden[] = {
		"devices", "device_scopes", "clocks", "batches", "meta",
		"hlc_state", "catalog"};
	struct tc c;
	char pw[128], *out = NULL, sql[128], v[4096];
	size_t i;

	if (device_setup(t, &c, "tab-o", pw) != 0)
		return;
	CHECK_STR(tc_value(v, &c, "SELECT string_agg(DISTINCT coalesce("
			   "scope_value, '-'), ' ') FROM outpost.changes"),
		  "- north south");
	CHECK_EQ(dev(&out, &c, pw, "SELECT string_agg(DISTINCT coalesce("
		     "scope_value, '-'), ' ') FROM outpost.changes"), 0);
	CHECK_STR(out, "- north\n");
	free(out);
	CHECK_EQ(dev(&out, &c, pw, "SELECT count(*) FROM outpost.edges"), 0);
	free(out);
	for (i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
		snprintf(sql, sizeof(sql), "SELECT * FROM outpost.%s",
			 hidden[i]);
		CHECK_EQ(dev(&out, &c, pw, sql), 1);
		CHECK_HAS(out, "permission denied");
		free(out);
	}
	CHECK_EQ(dev(&out, &c, pw, "INSERT INTO outpost.changes (hlc, site, "
		     "tbl, op, row_id) VALUES (1, '\\x00', 'things', 'D', "
		     "'0190a000-0000-7000-8000-000000000002')"), 1);
	CHECK_HAS(out, "permission denied");
	free(out);
	CHECK_EQ(dev(&out, &c, pw, "SELECT outpost.grant_device('x')"), 1);
	CHECK_HAS(out, "permission denied");
	free(out);
}

/* A device cannot switch capture off for itself: a direct write with
 * outpost.applying set is refused (only outpost's own merges, marked by
 * central's owner, are silent), nothing of it stays, and it cannot mark
 * its transaction. */
void test_central_device_cannot_skip_capture(struct t *t)
{
	struct tc c;
	char pw[128], *out = NULL, v[4096];

	if (device_setup(t, &c, "tab-c", pw) != 0)
		return;
	CHECK_EQ(dev(&out, &c, pw, "BEGIN; SET LOCAL outpost.applying = 'on'; "
		     "INSERT INTO things (id, n, region) VALUES "
		     "('0190a000-0000-7000-8000-0000000000c1', 9, 'north'); "
		     "COMMIT"), 1);
	CHECK_HAS(out, "outpost.applying is set only inside outpost's own "
		  "merges; writing public.things with it set is refused");
	free(out);
	CHECK_STR(tc_value(v, &c, "SELECT count(*) FROM things WHERE id = "
			   "'0190a000-0000-7000-8000-0000000000c1'"), "0");
	/* Without it, the same write is captured. */
	CHECK_EQ(dev(&out, &c, pw, "INSERT INTO things (id, n, region) VALUES "
		     "('0190a000-0000-7000-8000-0000000000c1', 9, 'north')"), 0);
	free(out);
	CHECK_STR(tc_value(v, &c, "SELECT count(*) FROM outpost.changes WHERE "
			   "row_id = '0190a000-0000-7000-8000-0000000000c1' "
			   "AND op = 'I'"), "1");
	CHECK_EQ(dev(&out, &c, pw, "SELECT outpost.set_applying(true)"), 1);
	CHECK_HAS(out, "permission denied");
	free(out);
	CHECK_EQ(dev(&out, &c, pw, "INSERT INTO outpost.applying_xact VALUES "
		     "(pg_current_xact_id())"), 1);
	CHECK_HAS(out, "permission denied");
	free(out);
}

/* OUTPOST_PG_PASSWORD_FILE: used when 0600, refused when others can
 * read it. */
void test_central_device_admin_password_file(struct t *t)
{
	struct tc c;
	char *out = NULL, path[512];

	if (tc_setup(t, &c) != 0)
		return;
	CHECK_EQ(t_pg_psql(NULL, c.db, T_PG_ADMIN, NULL, "DROP ROLE IF EXISTS "
			   "admin2; CREATE ROLE admin2 SUPERUSER LOGIN "
			   "PASSWORD 'sesame'"), 0);
	t_pg_conninfo(c.pg, c.db, "admin2");
	t_path(path, t, "admin.pw");
	CHECK_EQ(t_write(path, "sesame\n"), 0);
	CHECK_EQ(chmod(path, 0644), 0);
	CHECK_EQ(t_sh(&out, "cd '%s' && OUTPOST_PG_PASSWORD_FILE=admin.pw "
		      "'%s' central init --schema shop.json --pg '%s'", t->dir,
		      t_bin(), c.pg), 1);
	CHECK_HAS(out, "OUTPOST_PG_PASSWORD_FILE admin.pw can be read by group "
		       "or others (mode 644): run chmod 600 admin.pw");
	free(out);
	CHECK_EQ(chmod(path, 0600), 0);
	CHECK_EQ(t_sh(&out, "cd '%s' && OUTPOST_PG_PASSWORD_FILE=admin.pw "
		      "PGPASSFILE=/nonexistent/pgpass '%s' central init --schema "
		      "shop.json --pg '%s'", t->dir, t_bin(), c.pg), 0);
	CHECK_HAS(out, "central installed");
	free(out);
	CHECK_EQ(t_sh(&out, "cd '%s' && PGPASSFILE=/nonexistent/pgpass '%s' central init "
		      "--schema shop.json --pg '%s'", t->dir, t_bin(), c.pg),
		 1);
	CHECK_HAS(out, "connecting to central PostgreSQL: ");
	free(out);
}

/* push reads the batch from pg_temp.outpost_in as central's owner, so the
 * table must be the one outpost.push_stage() made: a device's own table
 * or view of that name (a view could call the device's functions with
 * the owner's rights) is refused before anything is read, and the
 * device cannot drop or change the staged one. */
void test_central_device_staging_is_owners(struct t *t)
{
	struct tc c;
	char pw[128], *out = NULL, v[4096];

	if (device_setup(t, &c, "tab-t", pw) != 0)
		return;
	CHECK_EQ(dev(&out, &c, pw, "CREATE TEMP VIEW outpost_in AS SELECT "
		     "1::bigint AS seq, 1::bigint AS h, 'things'::text AS tbl, "
		     "'D'::text AS op, '0190a000-0000-7000-8000-000000000001'"
		     "::uuid AS uid, NULL::jsonb AS vals; SELECT outpost.push("
		     "gen_random_uuid(), '\\x0102030405060708090a0b0c0d0e0f10', "
		     "1, 1, 0)"), 1);
	CHECK_HAS(out, "the batch is not in outpost.push_stage()'s table "
		  "pg_temp.outpost_in");
	free(out);
	CHECK_STR(tc_value(v, &c, "SELECT count(*) FROM things"), "2");
	CHECK_EQ(dev(&out, &c, pw, "SELECT outpost.push_stage(); DROP TABLE "
		     "pg_temp.outpost_in"), 1);
	CHECK_HAS(out, "must be owner of table outpost_in");
	free(out);
	CHECK_EQ(dev(&out, &c, pw, "SELECT outpost.push_stage(); CREATE "
		     "TRIGGER x AFTER INSERT ON pg_temp.outpost_in EXECUTE "
		     "FUNCTION outpost.applying_guard()"), 1);
	CHECK_HAS(out, "permission denied");
	free(out);
}

/* A pushed value for a column the table does not have refuses the whole
 * batch, whether the row is new (merged by push_fresh's fast path) or
 * not, and nothing of it is kept. */
void test_central_device_push_unknown_column(struct t *t)
{
	struct tc c;
	char pw[128], *out = NULL, v[4096];

	if (device_setup(t, &c, "tab-u", pw) != 0)
		return;
	CHECK_EQ(dev(&out, &c, pw, "BEGIN; SELECT outpost.push_stage(); "
		     "INSERT INTO pg_temp.outpost_in (seq, h, tbl, op, uid, "
		     "vals) VALUES (1, 1, 'Place', 'I', '0190a000-0000-7000-"
		     "8000-0000000000f1', '{\"name\": \"a\"}'), (2, 1, 'Place', "
		     "'I', '0190a000-0000-7000-8000-0000000000f2', '{\"name\": "
		     "\"b\", \"nope\": 1}'); SELECT outpost.push("
		     "gen_random_uuid(), '\\x0102030405060708090a0b0c0d0e0f10', "
		     "1, 2, 0); COMMIT"), 1);
	CHECK_HAS(out, "Place.nope (row 0190a000-0000-7000-8000-0000000000f2)"
		  ": no such column");
	free(out);
	CHECK_STR(tc_value(v, &c, "SELECT count(*) || ' ' || (SELECT count(*) "
			   "FROM outpost.batches) FROM \"Place\""), "0 0");
}

/* One raw batch as the device: entries "(seq, h, tbl, op, uid, vals), ..."
 * staged and pushed as batch `to` of site 0x01..10. */
static int dev_push(char **out, const struct tc *c, const char *pw,
		    const char *entries, int to)
{
	char sql[2048];

	snprintf(sql, sizeof(sql), "BEGIN; SELECT outpost.push_stage(); "
		 "INSERT INTO pg_temp.outpost_in (seq, h, tbl, op, uid, vals) "
		 "VALUES %s; SELECT outpost.push(gen_random_uuid(), "
		 "'\\x0102030405060708090a0b0c0d0e0f10', 1, %d, 0); COMMIT",
		 entries, to);
	return dev(out, c, pw, sql);
}

#define F(x) "'0190a000-0000-7000-8000-0000000000f" x "'"
/* now + 1 s as a clock: newer than anything central logged */
#define SOON "(((extract(epoch FROM clock_timestamp()) * 1000)::bigint " \
	     "+ 1000) << 16)"

/* Batches of only inserts go in with one plain INSERT per table
 * (push_inserts); whatever that cannot take whole (a row that is there,
 * an id twice in the batch) is merged as before, a row outside the
 * device's scopes refuses the batch, and the rows are logged in their
 * scope even though they were never folded. */
void test_central_device_push_first_inserts(struct t *t)
{
	struct tc c;
	char pw[128], *out = NULL, v[4096];

	if (device_setup(t, &c, "tab-f", pw) != 0)
		return;
	CHECK_EQ(dev_push(NULL, &c, pw, "(1, 1, 'things', 'I', " F("1") ", "
			  "'{\"n\": \"10\", \"region\": \"north\", \"t\": \"x\"}'), (2, 1, "
			  "'things', 'I', " F("2") ", '{\"n\": \"11\", "
			  "\"region\": \"north\", \"t\": \"x\"}')", 2), 0);
	CHECK_STR(tc_value(v, &c, "SELECT string_agg(n || region, ' ' ORDER BY "
			   "n) FROM things"), "1north 2south 10north 11north");
	CHECK_STR(tc_value(v, &c, "SELECT string_agg(op || scope_value, ' ' "
			   "ORDER BY sseq) || ' ' || (SELECT count(*) FROM "
			   "outpost.clocks WHERE id IN (" F("1") ", " F("2") ")) FROM "
			   "outpost.changes WHERE device = 'tab-f'"),
		  "Inorth Inorth 0");

	/* 0001 is there (central made it): the batch is merged whole, and
	 * this later insert of it wins */
	CHECK_EQ(dev_push(NULL, &c, pw, "(3, 1, 'things', 'I', " F("3") ", "
			  "'{\"n\": \"12\", \"region\": \"north\", \"t\": \"x\"}'), (4, "
			  SOON ", 'things', 'I', '0190a000-0000-7000-8000-"
			  "000000000001', '{\"n\": \"99\", \"region\": "
			  "\"north\"}')", 4), 0);
	CHECK_STR(tc_value(v, &c, "SELECT string_agg(n || region, ' ' ORDER BY "
			   "n) FROM things"),
		  "2south 10north 11north 12north 99north");
	CHECK_STR(tc_value(v, &c, "SELECT string_agg(op || scope_value, ' ' "
			   "ORDER BY sseq) FROM outpost.changes WHERE device = "
			   "'tab-f'"), "Inorth Inorth Inorth Inorth");

	/* one of them is south: nothing of the batch is kept */
	CHECK_EQ(dev_push(&out, &c, pw, "(5, 1, 'things', 'I', " F("4") ", "
			  "'{\"n\": \"13\", \"region\": \"north\", \"t\": \"x\"}'), (6, 1, "
			  "'things', 'I', " F("5") ", '{\"n\": \"14\", "
			  "\"region\": \"south\", \"t\": \"x\"}')", 6), 1);
	CHECK_HAS(out, "things row 0190a000-0000-7000-8000-0000000000f5 is in "
		  "scope region=south, outside device tab-f's scopes");
	free(out);
	CHECK_STR(tc_value(v, &c, "SELECT count(*) || ' ' || (SELECT count(*) "
			   "FROM outpost.batches WHERE device = 'tab-f') FROM "
			   "things WHERE n IN (13, 14)"), "0 2");

	/* an id twice in one batch: folded, the later insert's values */
	CHECK_EQ(dev_push(NULL, &c, pw, "(7, 1, 'things', 'I', " F("6") ", "
			  "'{\"n\": \"20\", \"region\": \"north\", \"t\": \"x\"}'), (8, 2, "
			  "'things', 'I', " F("6") ", '{\"n\": \"21\", "
			  "\"region\": \"north\", \"t\": \"x\"}')", 8), 0);
	CHECK_STR(tc_value(v, &c, "SELECT string_agg(n::text, ' ') || ' ' || "
			   "(SELECT count(*) FROM outpost.changes WHERE row_id = "
			   F("6") ") FROM things WHERE id = " F("6")), "21 2");

	/* a ledger row naming a thing central does not have: in, then gone
	 * with its parent (cascade), its entry kept in its scope */
	CHECK_EQ(dev_push(NULL, &c, pw, "(9, 1, 'ledger', 'I', " F("7") ", "
			  "'{\"region\": \"north\", \"amount\": \"5\", "
			  "\"thing_id\": \"0190a000-0000-7000-8000-"
			  "0000000000ee\"}')", 9), 0);
	CHECK_STR(tc_value(v, &c, "SELECT (SELECT count(*) FROM ledger) || ' ' "
			   "|| string_agg(op || scope_value, ' ') FROM "
			   "outpost.changes WHERE row_id = " F("7")), "0 Inorth");
}
/* A batch cut again after a crash (another batch id) overlaps what
 * central holds: the entries at or below the device's high-water mark
 * are skipped, the rest applied and logged once. */
void test_central_device_push_overlap_skipped(struct t *t)
{
	struct tc c;
	char pw[128], v[4096];

	if (device_setup(t, &c, "tab-v", pw) != 0)
		return;
	CHECK_EQ(dev_push(NULL, &c, pw, "(1, 1, 'things', 'I', " F("1") ", "
			  "'{\"n\": \"30\", \"region\": \"north\", \"t\": \"x\"}'), (2, 1, "
			  "'things', 'I', " F("2") ", '{\"n\": \"31\", "
			  "\"region\": \"north\", \"t\": \"x\"}')", 2), 0);
	CHECK_EQ(dev_push(NULL, &c, pw, "(1, 1, 'things', 'I', " F("1") ", "
			  "'{\"n\": \"30\", \"region\": \"north\", \"t\": \"x\"}'), (2, 1, "
			  "'things', 'I', " F("2") ", '{\"n\": \"31\", "
			  "\"region\": \"north\", \"t\": \"x\"}'), (3, 2, 'things', 'U', "
			  F("1") ", '{\"n\": \"32\"}')", 3), 0);
	CHECK_STR(tc_value(v, &c, "SELECT string_agg(n::text, ' ' ORDER BY n) "
			   "FROM things WHERE id IN (" F("1") ", " F("2") ")"),
		  "31 32");
	CHECK_STR(tc_value(v, &c, "SELECT string_agg(op, ' ' ORDER BY sseq) "
			   "FROM outpost.changes WHERE device = 'tab-v'"),
		  "I I U");
	CHECK_STR(tc_value(v, &c, "SELECT pushed_seq FROM outpost.devices "
			   "WHERE name = 'tab-v'"), "3");
}
#undef F
#undef SOON

/* A row that something of central's own changes as it goes in (here a
 * BEFORE INSERT trigger an administrator added) is checked and logged
 * with its stored scope, not the one its entry names. */
void test_central_device_push_rewritten_scope(struct t *t)
{
	struct tc c;
	char pw[128], *out = NULL, v[4096];

	if (device_setup(t, &c, "tab-w", pw) != 0)
		return;
	CHECK_EQ(t_pg_psql(NULL, c.db, T_PG_ADMIN, NULL,
			   "CREATE FUNCTION public.to_south() RETURNS trigger "
			   "LANGUAGE plpgsql AS $$BEGIN NEW.region := 'south'; "
			   "RETURN NEW; END$$; CREATE TRIGGER to_south BEFORE "
			   "INSERT ON ledger FOR EACH ROW EXECUTE FUNCTION "
			   "public.to_south()"), 0);
	CHECK_EQ(dev_push(&out, &c, pw, "(1, 1, 'ledger', 'I', "
			  "'0190a000-0000-7000-8000-0000000000e1', "
			  "'{\"region\": \"north\", \"amount\": \"7\"}')", 1), 1);
	CHECK_HAS(out, "ledger row 0190a000-0000-7000-8000-0000000000e1 is in "
		  "scope region=south, outside device tab-w's scopes");
	free(out);
	CHECK_STR(tc_value(v, &c, "SELECT count(*) FROM ledger"), "0");
}
