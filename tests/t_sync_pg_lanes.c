/* t_sync_pg_lanes.c - push over two connections (sync/pg_sink_push.c),
 * on the run's real PostgreSQL: a push of several batches takes a second
 * session for the batch after the one being applied, and a device whose
 * role may hold one connection only still pushes everything, on one. */
#include <stdlib.h>
#include <string.h>

#include "t_sync_pg.h"

/* The sessions central's database has had, once every session of the
 * device's role has ended (a backend leaves pg_stat_activity a moment
 * before its session is counted: read until two reads agree). */
static long sessions_after(const struct central *c, const struct device *d)
{
	char sql[256], *out = NULL;
	long last = -1, now;
	int i;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_stat_activity "
		 "WHERE usename = 'outpost_dev_%s'", d->name);
	for (i = 0; i < 100; i++) {
		int idle = t_pg_psql(&out, "postgres", T_PG_ADMIN, NULL, sql) ==
				   0 &&
			   out && strcmp(out, "0\n") == 0;

		free(out);
		out = NULL;
		if (idle)
			break;
		t_sleep_ms(20);
	}
	snprintf(sql, sizeof(sql), "SELECT sessions FROM pg_stat_database "
		 "WHERE datname = '%s'", c->db);
	for (i = 0; i < 50; i++) {
		if (t_pg_psql(&out, "postgres", T_PG_ADMIN, NULL, sql) != 0 ||
		    !out) {
			free(out);
			return -1;
		}
		now = strtol(out, NULL, 10);
		free(out);
		out = NULL;
		if (now == last)
			return now;
		last = now;
		t_sleep_ms(100);
	}
	return last;
}

static int add_points(const struct device *d, int n)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "sql \"WITH RECURSIVE k(i) AS (SELECT 1 "
		 "UNION ALL SELECT i + 1 FROM k WHERE i < %d) INSERT INTO "
		 "points(fam, amount) SELECT 'smith', i FROM k\"", n);
	return on(NULL, d, sql);
}

void test_sync_pg_lanes_two_sessions_then_one(struct t *t)
{
	struct central c;
	struct device a;
	char *out = NULL, sql[160];
	long s0, s1, s2;

	if (central_up(t, &c) != 0 ||
	    device_up(t, &c, &a, "a", "--scope family=smith") != 0)
		return;
	CHECK_EQ(add_points(&a, 25), 0);
	s0 = sessions_after(&c, &a);
	CHECK_EQ(on(&out, &a, "sync --batch 10"), 0);
	CHECK_STR(out, "synced: pushed 25, pulled 0 (3 batches)\n");
	free(out);
	s1 = sessions_after(&c, &a);
	/* The second and third batches went on a second session. */
	CHECK_EQ(s1 - s0, 2);

	/* Central allows the device's role one connection: the second is
	 * refused, and the push goes on, one batch after the other. */
	snprintf(sql, sizeof(sql), "ALTER ROLE outpost_dev_%s CONNECTION "
		 "LIMIT 1", a.name);
	/* (from another database: a session here would be counted) */
	CHECK_EQ(t_pg_psql(NULL, "postgres", T_PG_ADMIN, NULL, sql), 0);
	CHECK_EQ(add_points(&a, 25), 0);
	CHECK_EQ(on(&out, &a, "sync --batch 10"), 0);
	CHECK_STR(out, "synced: pushed 25, pulled 0 (3 batches)\n");
	free(out);
	s2 = sessions_after(&c, &a);
	CHECK_EQ(s2 - s1, 1);

	/* Every change once, in the device's order. */
	CHECK_EQ(t_pg_psql(&out, c.db, T_PG_ADMIN, NULL,
			   "SELECT count(*), sum(amount) FROM points"), 0);
	CHECK_STR(out, "50|650\n");
	free(out);
	CHECK_EQ(t_pg_psql(&out, c.db, T_PG_ADMIN, NULL,
			   "SELECT count(*), bool_and(ok) FROM (SELECT hlc > "
			   "lag(hlc, 1, 0::bigint) OVER (ORDER BY sseq) AS ok "
			   "FROM outpost.changes) x"), 0);
	CHECK_STR(out, "50|t\n");
	free(out);
	CHECK_EQ(t_pg_psql(&out, c.db, T_PG_ADMIN, NULL,
			   "SELECT count(*), sum(n) FROM outpost.batches"), 0);
	CHECK_STR(out, "6|50\n");
	free(out);
	CHECK_EQ(on(&out, &a, "status"), 0);
	CHECK_HAS(out, "pending    0 changes to push");
	CHECK_HAS(out, "last error none");
	free(out);
}

/* Central's default isolation is serializable: batch k+1's transaction
 * begins before batch k commits, and must still see that commit. */
void test_sync_pg_lanes_serializable_default(struct t *t)
{
	struct central c;
	struct device a;
	char *out = NULL, sql[200];

	if (central_up(t, &c) != 0 ||
	    device_up(t, &c, &a, "a", "--scope family=smith") != 0)
		return;
	snprintf(sql, sizeof(sql), "ALTER ROLE outpost_dev_%s SET "
		 "default_transaction_isolation = 'serializable'", a.name);
	CHECK_EQ(t_pg_psql(NULL, "postgres", T_PG_ADMIN, NULL, sql), 0);
	CHECK_EQ(add_points(&a, 45), 0);
	CHECK_EQ(on(&out, &a, "sync --batch 10"), 0);
	CHECK_STR(out, "synced: pushed 45, pulled 0 (5 batches)\n");
	free(out);
	CHECK_EQ(t_pg_psql(&out, c.db, T_PG_ADMIN, NULL,
			   "SELECT count(*), sum(amount) FROM points"), 0);
	CHECK_STR(out, "45|1035\n");
	free(out);
}
