/* t_crash.c - a writer killed with SIGKILL at random moments: the store
 * always opens again, SQLite's integrity check passes, and rows and change
 * log never come apart, because a write and its capture are one SQLite
 * transaction. The writer runs in a forked process; the test process only
 * opens the store between kills. */
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define KILLS          100
#define SLEEP_MAX_MS   30 /* each kill comes 1..SLEEP_MAX_MS ms after fork */
#define TXN_MAX        50 /* statements per transaction: 1..TXN_MAX */
#define WRITER_LIMIT_S 60 /* a writer nobody kills ends itself */

/* What a writer leaves behind for the test; it outlives the writer. */
struct crash_shared {
	volatile int opened; /* the writer's outpost_open returned */
	volatile int in_sql; /* inside outpost_sql when killed */
	volatile long txns;  /* transactions outpost_sql committed */
	char err[600];       /* why a writer stopped by itself */
};

static void append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len += (size_t)n < cap - *len ? (size_t)n : cap - *len - 1;
}

/* One transaction: an INSERT first (so it always leaves a tag), then a
 * random mix of INSERT, UPDATE and DELETE. Every INSERT and UPDATE writes
 * the name "iter.txn/N/j", N being how many of them the transaction holds,
 * so the log shows whether a transaction landed whole. The UPDATE always
 * hits one row (the setup child is never deleted); a DELETE may hit none. */
static void make_txn(char *sql, size_t cap, uint64_t *rng, int iter, long txn,
                     const char *parent, const char *keep)
{
	static const char pick[] =
	    "(SELECT id FROM children WHERE rowid >= (SELECT (random() "
	    "& 1073741823) % max(rowid) FROM children)";
	int n = 1 + (int)t_rng_below(rng, TXN_MAX), kind[TXN_MAX];
	int named = 0, j;
	size_t len = 0;

	for (j = 0; j < n; j++) {
		unsigned r = t_rng_below(rng, 10);

		kind[j] = j == 0 || r < 5 ? 'I' : r < 8 ? 'U' : 'D';
		named += kind[j] != 'D';
	}
	sql[0] = '\0';
	for (j = 0; j < n; j++) {
		if (kind[j] == 'I')
			append(sql, cap, &len,
			       "INSERT INTO children(parent_id, name) "
			       "VALUES ('%s', '%d.%ld/%d/%d');\n",
			       parent, iter, txn, named, j);
		else if (kind[j] == 'U')
			append(sql, cap, &len,
			       "UPDATE children SET name = '%d.%ld/%d/%d' "
			       "WHERE id = %s ORDER BY rowid LIMIT 1);\n",
			       iter, txn, named, j, pick);
		else
			append(sql, cap, &len,
			       "DELETE FROM children WHERE id = %s AND id "
			       "<> '%s' ORDER BY rowid LIMIT 1);\n",
			       pick, keep);
	}
}

/* The writer process: opens the store and commits transactions until it
 * is killed. Exits (status 2) only on an error, recorded in sh->err. */
static void writer(const char *dir, int iter, uint64_t seed, const char *parent,
                   const char *keep, struct crash_shared *sh)
{
	char sql[TXN_MAX * 400];
	uint64_t rng = seed ^ ((uint64_t)iter * 0x2545f4914f6cdd1dull);
	outpost *db = NULL;
	long txn;
	int rc;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(WRITER_LIMIT_S);
	rc = outpost_open(&db, dir, NULL);
	if (rc != OUTPOST_OK) {
		snprintf(sh->err, sizeof(sh->err), "writer open: %s: %s",
		         outpost_errstr(rc), outpost_errmsg(db));
		_exit(2);
	}
	sh->opened = 1;
	for (txn = 0;; txn++) {
		make_txn(sql, sizeof(sql), &rng, iter, txn, parent, keep);
		sh->in_sql = 1;
		rc = outpost_sql(db, sql, NULL, 0, NULL, NULL);
		if (rc != OUTPOST_OK) {
			snprintf(sh->err, sizeof(sh->err),
			         "writer txn %ld: %s: %s", txn,
			         outpost_errstr(rc), outpost_errmsg(db));
			_exit(2);
		}
		sh->in_sql = 0;
		sh->txns++;
	}
}

/* Wait until the writer has committed once (or has died), so that most
 * kills land among its transactions, not in process start-up, however
 * loaded the machine is. */
static void wait_started(const struct crash_shared *sh, pid_t pid)
{
	siginfo_t info;
	int i;

	for (i = 0; i < 20000 && sh->txns == 0; i++) {
		info.si_pid = 0;
		if (waitid(P_PID, (id_t)pid, &info,
		           WEXITED | WNOHANG | WNOWAIT) != 0 ||
		    info.si_pid == pid)
			return;
		t_sleep_ms(1);
	}
}


/* Everything that must hold after any kill. */
static void verify(struct t *t, outpost *db, long long setup_seq)
{
	char ok[T_TEXT_MAX] = "", sql[1024];

	CHECK_OK(db, outpost_sql(db, "PRAGMA integrity_check", NULL, 0,
	                         t_first_text, ok));
	CHECK_STR(ok, "ok");
	/* Every row was logged as inserted. */
	CHECK_EQ(t_int(db, "SELECT count(*) FROM children WHERE id NOT IN "
	                   "(SELECT row_id FROM _outpost_changes WHERE tbl = "
	                   "'children' AND op = 'I')"),
	         0);
	/* A row exists exactly when its last entry is not a delete. (A bare
	 * column beside max() comes from the row holding the max.) */
	CHECK_EQ(t_int(db, "SELECT count(*) FROM (SELECT row_id, op, max(seq) "
	                   "FROM _outpost_changes WHERE tbl = 'children' GROUP "
	                   "BY row_id) AS l WHERE (l.op = 'D') = EXISTS "
	                   "(SELECT 1 FROM children AS c WHERE c.id = "
	                   "l.row_id)"),
	         0);
	/* The newest logged name is the row's name; the insert's parent is
	 * the row's parent. */
	CHECK_EQ(t_int(db, "SELECT count(*) FROM children AS c LEFT JOIN "
	                   "(SELECT row_id, json_extract(vals, '$.name') AS "
	                   "name, max(seq) FROM _outpost_changes WHERE tbl = "
	                   "'children' AND op IN ('I', 'U') GROUP BY row_id) "
	                   "AS l ON l.row_id = c.id WHERE l.name IS NOT "
	                   "c.name"),
	         0);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes AS l JOIN "
	                   "children AS c ON c.id = l.row_id WHERE l.tbl = "
	                   "'children' AND l.op = 'I' AND json_extract(l.vals,"
	                   " '$.parent_id') IS NOT c.parent_id"),
	         0);
	/* Whole transactions only: each tag has exactly the N named
	 * entries its transaction wrote. */
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM (SELECT substr(n, 1, instr(n, '/') - 1)"
	         " AS tag, max(CAST(substr(n, instr(n, '/') + 1) AS INTEGER)) "
	         "AS want, count(*) AS got FROM (SELECT json_extract(vals, "
	         "'$.name') AS n FROM _outpost_changes WHERE tbl = 'children' "
	         "AND op IN ('I', 'U') AND seq > %lld) GROUP BY tag) WHERE got "
	         "<> want",
	         setup_seq);
	CHECK_EQ(t_int(db, sql), 0);
	/* No seq lost, and clocks strictly increase with seq. */
	CHECK_EQ(t_int(db, "SELECT max(seq) - count(*) FROM _outpost_changes"),
	         0);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes AS a JOIN "
	                   "_outpost_changes AS b ON b.seq = a.seq + 1 WHERE "
	                   "b.hlc <= a.hlc"),
	         0);
}

static void crash_setup(struct t *t, char parent[T_TEXT_MAX], char keep[T_TEXT_MAX],
                        long long *setup_seq)
{
	outpost *db = t_store(t, "lexicraft.json");

	CHECK(db);
	CHECK_OK(db, outpost_sql(db,
	                         "INSERT INTO users(email, password_hash)"
	                         " VALUES ('p@example.org', "
	                         "outpost_password('x'));"
	                         "INSERT INTO children(parent_id, name) SELECT"
	                         " id, 'setup' FROM users",
	                         NULL, 0, NULL, NULL));
	CHECK_OK(db, outpost_sql(db, "SELECT id FROM users", NULL, 0,
	                         t_first_text, parent));
	CHECK_OK(db, outpost_sql(db, "SELECT id FROM children", NULL, 0,
	                         t_first_text, keep));
	*setup_seq = t_int(db, "SELECT max(seq) FROM _outpost_changes");
	outpost_close(db);
	CHECK_EQ(strlen(parent), 36);
	CHECK_EQ(strlen(keep), 36);
	CHECK(*setup_seq > 0);
}

static void kill_loop(struct t *t, uint64_t seed)
{
	char dir[512], parent[T_TEXT_MAX] = "", keep[T_TEXT_MAX] = "";
	struct crash_shared *sh;
	long long setup_seq = 0, prev, now;
	int i, mid_sql = 0, unopened = 0, grew = 0;
	unsigned ms;
	uint64_t rng = seed;
	outpost *db = NULL;

	crash_setup(t, parent, keep, &setup_seq);
	if (t->failed)
		return;
	t_path(dir, t, "store");
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(sh != MAP_FAILED);
	prev = setup_seq;
	for (i = 0; i < KILLS; i++) {
		int status = 0;
		pid_t pid;

		memset(sh, 0, sizeof(*sh));
		fflush(NULL);
		pid = fork();
		if (pid == 0)
			writer(dir, i, seed, parent, keep, sh);
		CHECK(pid > 0);
		/* One kill in four may hit start-up (opening, recovery). */
		if (i % 4 != 0)
			wait_started(sh, pid);
		ms = 1 + t_rng_below(&rng, SLEEP_MAX_MS);
		t_sleep_ms(ms);
		kill(pid, SIGKILL);
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
			t_fail(t, __FILE__, __LINE__,
			       "kill %d: the writer ended by itself "
			       "(status %d): %s",
			       i, status, sh->err);
			return;
		}
		mid_sql += sh->in_sql;
		unopened += !sh->opened;
		db = NULL;
		CHECK_OK(db, outpost_open(&db, dir, NULL));
		verify(t, db, setup_seq);
		now = t_int(db, "SELECT count(*) FROM _outpost_changes");
		outpost_close(db);
		if (t->failed) {
			fprintf(
			    stderr,
			    "     (after kill %d of %d, %u ms after fork)\n",
			    i + 1, KILLS, ms);
			return;
		}
		CHECK(now >= prev);
		grew += now > prev;
		prev = now;
	}
	munmap(sh, sizeof(*sh));
	if (getenv("OUTPOST_TEST_VERBOSE"))
		fprintf(stderr,
		        "     %d kills: %d inside outpost_sql, %d before "
		        "open; log grew after %d; %lld entries\n",
		        KILLS, mid_sql, unopened, grew, prev);
	/* The kills must have landed in the middle of work, not only
	 * between transactions or before the store was open. */
	CHECK(mid_sql >= KILLS / 2);
	CHECK(grew >= KILLS / 2);
}

void test_crash_sigkill_during_writes(struct t *t)
{
	const char *env = getenv("OUTPOST_TEST_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0)
	                    : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);

	kill_loop(t, seed);
	if (t->failed)
		fprintf(stderr,
		        "     (seed %llu: rerun with OUTPOST_TEST_SEED=%llu)\n",
		        (unsigned long long)seed, (unsigned long long)seed);
}
