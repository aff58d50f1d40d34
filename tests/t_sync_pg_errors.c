/* t_sync_pg_errors.c - what a device is told when its sync with the
 * run's real PostgreSQL fails for a reason a person must fix: each
 * message names the cause and what to run. */
#include <stdlib.h>

#include "t_sync_pg.h"

/* A password file that is not the role's: the sync says so and how to
 * give the right one, and once it is given the sync goes through. */
void test_sync_pg_errors_wrong_password(struct t *t)
{
	struct central c;
	struct device a;
	char pg[512], path[600], role[64], *out = NULL;

	if (central_up(t, &c) != 0 ||
	    device_up(t, &c, &a, "a", "--scope family=smith") != 0)
		return;
	snprintf(role, sizeof(role), "outpost_dev_%s", a.name);
	t_pg_conninfo(pg, c.db, role);
	t_path(path, t, "wrong.pgpass");
	CHECK_EQ(t_write(path, "not-the-password\n"), 0);
	CHECK_EQ(t_sh(NULL, "chmod 600 '%s' && '%s' -d '%s' remote set --pg "
		      "'%s' --password-file '%s'", path, t_bin(), a.dir, pg,
		      path), 0);
	CHECK_EQ(on(NULL, &a, "sql \"INSERT INTO points(fam, amount) VALUES "
		    "('smith', 5)\""), 0);
	CHECK_EQ(on(&out, &a, "sync"), 1);
	CHECK_HAS(out, "password authentication failed");
	CHECK_HAS(out, "(the stored password is not this role's: give the "
		  "file `central add-device` wrote with `outpost remote set "
		  "--pg ... --password-file FILE`; central's administrator "
		  "can make a new one with `central add-device NAME "
		  "--new-password`)\n");
	/* one line: libpq's newlines and tabs are gone */
	CHECK(out && !strchr(out, '\t'));
	free(out);
	t_path(path, t, a.name);
	snprintf(path + strlen(path), sizeof(path) - strlen(path), ".pgpass");
	CHECK_EQ(t_sh(NULL, "'%s' -d '%s' remote set --pg '%s' "
		      "--password-file '%s'", t_bin(), a.dir, pg, path), 0);
	CHECK_EQ(on(&out, &a, "sync"), 0);
	CHECK_STR(out, "synced: pushed 1, pulled 0 (1 batch)\n");
	free(out);
}

/* Central cannot be reached: the sync says nothing was lost and what to
 * do, and status keeps the change pending with the cause. */
void test_sync_pg_errors_central_away(struct t *t)
{
	struct central c;
	struct device a;
	char pg[800], path[600], *out = NULL;

	if (central_up(t, &c) != 0 ||
	    device_up(t, &c, &a, "a", "--scope family=smith") != 0)
		return;
	/* a socket directory with no server in it */
	t_path(path, t, "nowhere");
	snprintf(pg, sizeof(pg), "host=%s dbname=%s user=outpost_dev_%s",
		 path, c.db, a.name);
	CHECK_EQ(t_sh(&out, "mkdir -p '%s' && '%s' -d '%s' remote set --pg "
		      "'%s'", path, t_bin(), a.dir, pg), 0);
	/* no password file: it says which password a sync will give */
	CHECK_HAS(out, " (no --password-file: a password kept before stays; "
		  "OUTPOST_PG_PASSWORD at sync time goes first)\n");
	free(out);
	CHECK_EQ(on(NULL, &a, "sql \"INSERT INTO points(fam, amount) VALUES "
		    "('smith', 5)\""), 0);
	CHECK_EQ(on(&out, &a, "sync"), 1);
	CHECK_HAS(out, "outpost: cannot connect to PostgreSQL: ");
	CHECK_HAS(out, " (central could not be reached or went away; nothing "
		  "was lost or applied twice: sync again, or keep `sync "
		  "--watch` running)\n");
	free(out);
	CHECK_EQ(on(&out, &a, "status"), 0);
	CHECK_HAS(out, "pending    1 change to push");
	CHECK_HAS(out, "last error cannot connect to PostgreSQL");
	free(out);
}

/* One sync of a store at a time: while another holds the store's sync
 * lock (here flock(1), as a `sync --watch` round would), a sync does
 * nothing and says why; once it is free, the sync goes through. */
void test_sync_pg_errors_one_sync_at_a_time(struct t *t)
{
	struct central c;
	struct device a;
	char *out = NULL;

	if (central_up(t, &c) != 0 ||
	    device_up(t, &c, &a, "a", "--scope family=smith") != 0)
		return;
	CHECK_EQ(on(NULL, &a, "sql \"INSERT INTO points(fam, amount) VALUES "
		    "('smith', 5)\""), 0);
	CHECK_EQ(t_sh(&out, "flock '%s/sync.lock' '%s' -d '%s' sync", a.dir,
		      t_bin(), a.dir), 1);
	CHECK_STR(out, "outpost: another sync of this store is running (a "
		  "`sync --watch`?); this one did nothing: try again once it "
		  "is done\n");
	free(out);
	CHECK_EQ(central_count(&c, "SELECT count(*) FROM points"), 0);
	CHECK_EQ(on(&out, &a, "sync"), 0);
	CHECK_STR(out, "synced: pushed 1, pulled 0 (1 batch)\n");
	free(out);
	CHECK_EQ(central_count(&c, "SELECT count(*) FROM points"), 1);
}
