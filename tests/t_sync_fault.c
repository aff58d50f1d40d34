/* t_sync_fault.c - sync through faults: connections cut at random byte
 * counts by a loopback proxy, and PostgreSQL restarted under `sync
 * --watch`. Nothing may be lost and nothing applied twice; the watcher
 * must carry on by itself and stop cleanly on SIGTERM. Bounded in time. */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fault_proxy.h"
#include "t_sync_pg.h"

/* The device's remote, through the proxy instead of the socket. */
static int via_proxy(struct t *t, const struct central *c,
		     const struct device *d, int port)
{
	return t_sh(NULL, "cd '%s' && '%s' -d '%s' remote set --pg "
		    "'host=127.0.0.1 port=%d dbname=%s user=outpost_dev_%s' "
		    "--password-file %s.pgpass", t->dir, t_bin(), d->dir, port,
		    c->db, d->name, d->name);
}

/* 2000 points pushed in batches of 50 through a proxy that cuts every
 * connection at random, until one sync gets through; the device's role
 * may hold one connection only if one_lane (the push then goes on
 * without its second). */
static void cut_until_synced(struct t *t, int one_lane)
{
	struct central c;
	struct device a;
	struct fault_proxy px = {0, 0};
	char sock[600], sql[160], *out = NULL;
	uint64_t seed = (uint64_t)time(NULL);
	int tries, ok = 0;

	if (central_up(t, &c) != 0 ||
	    device_up(t, &c, &a, "a", "--scope family=smith") != 0)
		return;
	snprintf(sql, sizeof(sql), "ALTER ROLE outpost_dev_%s CONNECTION "
		 "LIMIT 1", a.name);
	if (one_lane)
		CHECK_EQ(t_pg_psql(NULL, "postgres", T_PG_ADMIN, NULL, sql), 0);
	CHECK_EQ(on(NULL, &a, "sql \"WITH RECURSIVE n(i) AS (SELECT 1 UNION "
		    "ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO "
		    "points(fam, amount) SELECT 'smith', i FROM n\""), 0);
	snprintf(sock, sizeof(sock), "%s/.s.PGSQL.5432", t_pg_host());
	/* Cut every connection somewhere between the start-up messages and
	 * a few batches in. */
	CHECK(fault_proxy_start(&px, sock, seed, 300, 60000, 120) == 0);
	CHECK_EQ(via_proxy(t, &c, &a, px.port), 0);
	for (tries = 0; tries < 400 && !ok; tries++) {
		ok = on(&out, &a, "sync --batch 50") == 0;
		free(out);
		out = NULL;
	}
	fault_proxy_stop(&px);
	if (!ok)
		t_fail(t, __FILE__, __LINE__, "no sync got through in 400 "
		       "tries (seed %llu)", (unsigned long long)seed);
	CHECK(ok);
	CHECK(tries > 1); /* the cuts did happen */
	/* Everything once: rows, their sum, and the central log. */
	CHECK_EQ(central_count(&c, "SELECT count(*) FROM points"), 2000);
	CHECK_EQ(central_count(&c, "SELECT sum(amount) FROM points"),
		 2000LL * 2001 / 2);
	CHECK_EQ(central_count(&c, "SELECT count(*) FROM outpost.changes"),
		 2000);
	CHECK_EQ(on(&out, &a, "status"), 0);
	CHECK_HAS(out, "pending    0 changes to push");
	free(out);
}

void test_sync_fault_connection_cut(struct t *t)
{
	cut_until_synced(t, 0);
}

void test_sync_fault_connection_cut_one_lane(struct t *t)
{
	cut_until_synced(t, 1);
}

static pid_t watch(const struct device *d)
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execl(t_bin(), "outpost", "-d", d->dir, "sync", "--watch",
		      "--interval", "1", (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Wait up to max_s seconds for central to hold n rows of points. */
static int wait_rows(const struct central *c, long long n, int max_s)
{
	int i;

	for (i = 0; i < max_s * 4; i++) {
		if (central_count(c, "SELECT count(*) FROM points") == n)
			return 1;
		t_sleep_ms(250);
	}
	return 0;
}

void test_sync_fault_server_restart(struct t *t)
{
	struct central c;
	struct device a;
	pid_t w;
	int status = -1;

	if (central_up(t, &c) != 0 ||
	    device_up(t, &c, &a, "a", "--scope family=smith") != 0)
		return;
	w = watch(&a);
	CHECK(w > 0);
	CHECK_EQ(on(NULL, &a, "sql \"INSERT INTO points(fam, amount) VALUES "
		    "('smith', 1)\""), 0);
	CHECK(wait_rows(&c, 1, 20));
	/* Down and up again while the watcher runs: it backs off, then
	 * goes on by itself. */
	CHECK_EQ(t_pg_restart(), 0);
	CHECK_EQ(on(NULL, &a, "sql \"WITH RECURSIVE n(i) AS (SELECT 1 UNION "
		    "ALL SELECT i + 1 FROM n WHERE i < 300) INSERT INTO "
		    "points(fam, amount) SELECT 'smith', i FROM n\""), 0);
	CHECK(wait_rows(&c, 301, 30));
	CHECK_EQ(central_count(&c, "SELECT count(*) FROM outpost.changes"),
		 301);
	/* SIGTERM: it finishes what it does and exits 0. */
	kill(w, SIGTERM);
	CHECK_EQ(waitpid(w, &status, 0), w);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
}

/* Batches are bounded by bytes as well as by count, on push and on pull:
 * 40 changes of about 1 KiB each with --batch-bytes 4096 travel four to
 * a batch, and one change larger than the bound travels alone. */
void test_sync_fault_batch_bytes(struct t *t)
{
	struct central c;
	struct device a, b;
	char *out = NULL, ra[1024], rb[1024];

	if (central_up(t, &c) != 0 ||
	    device_up(t, &c, &a, "a", "--scope family=smith") != 0 ||
	    device_up(t, &c, &b, "b", "--scope family=smith") != 0)
		return;
	CHECK_EQ(on(NULL, &a, "sql \"WITH RECURSIVE n(i) AS (SELECT 1 UNION "
		    "ALL SELECT i + 1 FROM n WHERE i < 40) INSERT INTO "
		    "notes(fam, title, n) SELECT 'smith', printf('%.*c', 1000, "
		    "'x'), i FROM n; INSERT INTO notes(fam, title, n) VALUES "
		    "('smith', printf('%.*c', 10000, 'y'), 41)\""), 0);
	CHECK_EQ(on(&out, &a, "sync --batch-bytes 4096"), 0);
	CHECK_STR(out, "synced: pushed 41, pulled 0 (11 batches)\n");
	free(out);
	CHECK_EQ(t_pg_psql(&out, c.db, T_PG_ADMIN, NULL, "SELECT count(*), "
			   "max(n) FROM outpost.batches"), 0);
	CHECK_STR(out, "11|4\n");
	free(out);
	CHECK_EQ(on(&out, &b, "sync --batch-bytes 4096"), 0);
	CHECK_STR(out, "synced: pushed 0, pulled 41 (11 batches)\n");
	free(out);
	rows(ra, sizeof(ra), &a, "SELECT count(*), sum(length(title)), "
	     "sum(n) FROM notes");
	CHECK_STR(rows(rb, sizeof(rb), &b, "SELECT count(*), "
		       "sum(length(title)), sum(n) FROM notes"), ra);
	CHECK_HAS(ra, "41,50000,861");
	CHECK_EQ(on(&out, &b, "sync --batch-bytes 100"), 2);
	CHECK_HAS(out, "--batch-bytes takes 1024 to 1073741824");
	free(out);
}
