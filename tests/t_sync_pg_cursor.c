/* t_sync_pg_cursor.c - the pull cursor on the run's real PostgreSQL:
 * a pull that read everything after its cursor moves it to the log's
 * head, past the device's own entries and those its scopes hide, so the
 * next pull does not read them again; and what comes later still
 * arrives. */
#include <stdlib.h>

#include "t_sync_pg.h"

/* The device's pg_pull cursor, or -1. */
static long pull_cursor(const struct device *d)
{
	char buf[256];
	const char *v = rows(buf, sizeof(buf), d, "SELECT seq FROM "
			     "_outpost_cursors WHERE consumer = 'pg_pull'");
	const char *nl = strchr(v, '\n');

	return nl && nl[1] >= '0' && nl[1] <= '9' ? strtol(nl + 1, NULL, 10)
						  : -1;
}

void test_sync_pg_cursor_passes_what_is_not_for_it(struct t *t)
{
	struct central c;
	struct device a, b;
	char buf[256], *out = NULL;

	if (central_up(t, &c) != 0 ||
	    device_up(t, &c, &a, "a", "--scope family=smith") != 0 ||
	    device_up(t, &c, &b, "b", "--scope family=jones") != 0)
		return;
	/* b's 30 entries are outside a's scope; a's 5 are its own. */
	CHECK_EQ(on(NULL, &b, "sql \"WITH RECURSIVE n(i) AS (SELECT 1 UNION "
		    "ALL SELECT i + 1 FROM n WHERE i < 30) INSERT INTO "
		    "points(fam, amount) SELECT 'jones', i FROM n\""), 0);
	CHECK_EQ(on(NULL, &b, "sync"), 0);
	CHECK_EQ(on(NULL, &a, "sql \"WITH RECURSIVE n(i) AS (SELECT 1 UNION "
		    "ALL SELECT i + 1 FROM n WHERE i < 5) INSERT INTO "
		    "points(fam, amount) SELECT 'smith', i FROM n\""), 0);
	CHECK_EQ(on(&out, &a, "sync"), 0);
	CHECK_STR(out, "synced: pushed 5, pulled 0 (1 batch)\n");
	free(out);
	CHECK_EQ(central_count(&c, "SELECT max(sseq) FROM outpost.changes"),
		 35);
	CHECK_EQ(pull_cursor(&a), 35);
	/* Nothing new: the cursor stays, nothing is counted. */
	CHECK_EQ(on(&out, &a, "sync"), 0);
	CHECK_STR(out, "synced: pushed 0, pulled 0 (0 batches)\n");
	free(out);
	/* A smith row central writes itself still arrives. */
	CHECK_EQ(t_pg_psql(NULL, c.db, T_PG_ADMIN, NULL,
			   "INSERT INTO points (fam, amount) VALUES "
			   "('smith', 100)"), 0);
	CHECK_EQ(on(&out, &a, "sync"), 0);
	CHECK_STR(out, "synced: pushed 0, pulled 1 (1 batch)\n");
	free(out);
	CHECK_STR(rows(buf, sizeof(buf), &a, "SELECT count(*) AS n, "
		       "sum(amount) AS s FROM points"), "n,s\n6,115\n");
	CHECK_EQ(pull_cursor(&a), 36);
	/* b took none of a's, and moved past them as well. */
	CHECK_EQ(on(NULL, &b, "sync"), 0);
	CHECK_STR(rows(buf, sizeof(buf), &b, "SELECT count(*) AS n FROM "
		       "points"), "n\n30\n");
	CHECK_EQ(pull_cursor(&b), 36);
}
