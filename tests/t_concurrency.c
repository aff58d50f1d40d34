/* t_concurrency.c - several processes on one store at once: outpost
 * writers take turns on SQLite's write lock instead of failing with
 * "database is locked", a reader beside a writer never fails and never
 * sees the count go back, and the sqlite3 shell writing beside outpost is
 * captured like any other client. Each actor is a forked process with its
 * own handle; they start together at a barrier. */
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define WRITER_TXNS  300
#define ACTOR_MAX_S  120 /* an actor still running then is stuck */
#define SHELL_ROUNDS 4   /* sqlite3 runs while the outpost writer writes */
#define SHELL_ROWS   60  /* rows each sqlite3 run inserts */

/* What actors report; shared with the test process. */
struct conc_shared {
	volatile int stop;      /* set by the test: writers finish up */
	volatile long txns[2];  /* per actor: transactions committed */
	volatile long reads;    /* reader: queries done */
	volatile long distinct; /* reader: times the count changed */
	char err[2][600];       /* per actor: why it failed */
};

struct actor {
	const char *dir;
	const char *parent; /* users.id for children.parent_id */
	int who;            /* 0 or 1: slot in conc_shared */
	long txns;          /* transactions to write; 0 = until stop */
	unsigned pause_us;  /* between transactions */
	struct conc_shared *sh;
};

static int first_int(void *ctx, int n, const char *const *names,
                     const outpost_value *v)
{
	(void)names;
	if (n > 0 && v[0].type == OUTPOST_INTEGER)
		*(long long *)ctx = v[0].i;
	return 1;
}


/* Open a handle for an actor and wait at the barrier (the pipe's write end
 * closing). Exits the process on failure. */
static outpost *actor_start(const struct actor *a, int barrier)
{
	outpost *db = NULL;
	char c;
	int rc;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(ACTOR_MAX_S);
	rc = outpost_open(&db, a->dir, NULL);
	if (rc != OUTPOST_OK) {
		snprintf(a->sh->err[a->who], sizeof(a->sh->err[0]),
		         "open: %s: %s", outpost_errstr(rc),
		         outpost_errmsg(db));
		_exit(1);
	}
	while (read(barrier, &c, 1) > 0)
		;
	return db;
}

static void writer(const struct actor *a, int barrier)
{
	outpost *db = actor_start(a, barrier);
	outpost_value v[2];
	char name[64];
	long i;
	int rc;

	for (i = 0; a->txns ? i < a->txns : !a->sh->stop; i++) {
		snprintf(name, sizeof(name), "w%d-%ld", a->who, i);
		v[0].type = v[1].type = OUTPOST_TEXT;
		v[0].s = a->parent;
		v[0].n = strlen(a->parent);
		v[1].s = name;
		v[1].n = strlen(name);
		rc = outpost_sql(db,
		                 "INSERT INTO children(parent_id, name) "
		                 "VALUES (?1, ?2)",
		                 v, 2, NULL, NULL);
		if (rc != OUTPOST_OK) {
			snprintf(a->sh->err[a->who], sizeof(a->sh->err[0]),
			         "writer %d, txn %ld: %s: %s", a->who, i,
			         outpost_errstr(rc), outpost_errmsg(db));
			_exit(1);
		}
		a->sh->txns[a->who]++;
		if (a->pause_us)
			usleep(a->pause_us);
	}
	outpost_close(db);
	_exit(0);
}

/* Counts children until told to stop, then once more. */
static void reader(const struct actor *a, int barrier)
{
	outpost *db = actor_start(a, barrier);
	long long prev = 0, n;
	int last = 0, rc;

	while (!last) {
		last = a->sh->stop;
		n = -1;
		rc = outpost_sql(db, "SELECT count(*) FROM children", NULL, 0,
		                 first_int, &n);
		if (rc != OUTPOST_OK || n < prev) {
			snprintf(a->sh->err[a->who], sizeof(a->sh->err[0]),
			         "reader, query %ld: %s: %s (count %lld, "
			         "before %lld)",
			         a->sh->reads, outpost_errstr(rc),
			         outpost_errmsg(db), n, prev);
			_exit(1);
		}
		a->sh->distinct += n != prev;
		a->sh->reads++;
		prev = n;
	}
	outpost_close(db);
	_exit(0);
}

static pid_t spawn(void (*fn)(const struct actor *, int), const struct actor *a,
                   int pipefd[2])
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(pipefd[1]);
		fn(a, pipefd[0]);
		_exit(1);
	}
	return pid;
}

/* Wait for an actor; 0 if it exited cleanly, else say why. */
static int reap(struct t *t, pid_t pid, const struct conc_shared *sh, int who)
{
	int status = 0;

	if (waitpid(pid, &status, 0) != pid)
		status = -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	t_fail(t, __FILE__, __LINE__, "actor %d: status %d: %s", who, status,
	       sh->err[who][0] ? sh->err[who] : "(no message)");
	return -1;
}

/* A store with one user (every child's parent) and shared memory. */
static void conc_setup(struct t *t, char dir[512], char parent[T_TEXT_MAX],
                       struct conc_shared **sh)
{
	outpost *db = t_store(t, "lexicraft.json");

	CHECK(db);
	CHECK_OK(db, outpost_sql(db,
	                         "INSERT INTO users(email, password_hash)"
	                         " VALUES ('p@example.org', "
	                         "outpost_password('x'))",
	                         NULL, 0, NULL, NULL));
	CHECK_OK(db, outpost_sql(db, "SELECT id FROM users", NULL, 0,
	                         t_first_text, parent));
	outpost_close(db);
	t_path(dir, t, "store");
	*sh = mmap(NULL, sizeof(**sh), PROT_READ | PROT_WRITE,
	           MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(*sh != MAP_FAILED);
	memset(*sh, 0, sizeof(**sh));
}

/* Checks every test ends with: each child logged once as inserted, and
 * clocks strictly increasing with seq. */
static void check_log(struct t *t, outpost *db, long long rows)
{
	CHECK_EQ(t_int(db, "SELECT count(*) FROM children"), rows);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes WHERE tbl = "
	                   "'children'"),
	         rows);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM children WHERE id NOT IN "
	                   "(SELECT row_id FROM _outpost_changes WHERE tbl = "
	                   "'children' AND op = 'I')"),
	         0);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes AS a JOIN "
	                   "_outpost_changes AS b ON b.seq = a.seq + 1 WHERE "
	                   "b.hlc <= a.hlc"),
	         0);
	CHECK_EQ(t_int(db, "SELECT max(seq) - count(*) FROM _outpost_changes"),
	         0);
}

void test_concurrency_two_writers_take_turns(struct t *t)
{
	char dir[512], parent[T_TEXT_MAX] = "";
	struct conc_shared *sh = NULL;
	struct actor a[2];
	int fd[2], i, bad = 0;
	pid_t pid[2];
	outpost *db = NULL;

	conc_setup(t, dir, parent, &sh);
	if (t->failed)
		return;
	CHECK(pipe(fd) == 0);
	for (i = 0; i < 2; i++) {
		a[i] = (struct actor){dir, parent, i, WRITER_TXNS, 0, sh};
		pid[i] = spawn(writer, &a[i], fd);
		CHECK(pid[i] > 0);
	}
	close(fd[0]);
	close(fd[1]); /* go */
	for (i = 0; i < 2; i++)
		bad |= reap(t, pid[i], sh, i);
	if (bad)
		return;
	CHECK_EQ(sh->txns[0], WRITER_TXNS);
	CHECK_EQ(sh->txns[1], WRITER_TXNS);
	CHECK_OK(db, outpost_open(&db, dir, NULL));
	check_log(t, db, 2 * WRITER_TXNS);
	outpost_close(db);
}

void test_concurrency_reader_beside_writer(struct t *t)
{
	char dir[512], parent[T_TEXT_MAX] = "";
	struct conc_shared *sh = NULL;
	struct actor a[2];
	int fd[2], bad;
	pid_t pid[2];
	outpost *db = NULL;

	conc_setup(t, dir, parent, &sh);
	if (t->failed)
		return;
	CHECK(pipe(fd) == 0);
	a[0] = (struct actor){dir, parent, 0, WRITER_TXNS, 0, sh};
	a[1] = (struct actor){dir, parent, 1, 0, 0, sh};
	pid[0] = spawn(writer, &a[0], fd);
	CHECK(pid[0] > 0);
	pid[1] = spawn(reader, &a[1], fd);
	CHECK(pid[1] > 0);
	close(fd[0]);
	close(fd[1]);
	bad = reap(t, pid[0], sh, 0);
	sh->stop = 1;
	bad |= reap(t, pid[1], sh, 1);
	if (bad)
		return;
	/* It read while the writer wrote and saw it progress. */
	CHECK(sh->reads > 10);
	CHECK(sh->distinct > 2);
	CHECK_OK(db, outpost_open(&db, dir, NULL));
	check_log(t, db, WRITER_TXNS);
	outpost_close(db);
}

/* sqlite3 with a 5 s busy timeout: autocommit inserts, and as many again
 * in explicit write transactions of five. */
static int write_shell_script(const char *path, const char *parent, int round)
{
	char buf[SHELL_ROWS * 200];
	size_t len = 0;
	int j, n;

	n = snprintf(buf, sizeof(buf), ".timeout 5000\n");
	len = (size_t)n;
	for (j = 0; j < SHELL_ROWS && len < sizeof(buf); j++) {
		int half = j >= SHELL_ROWS / 2;

		n = snprintf(buf + len, sizeof(buf) - len,
		             "%sINSERT INTO children(parent_id, name) VALUES "
		             "('%s', 'shell-%d-%d');\n%s",
		             half && j % 5 == 0 ? "BEGIN IMMEDIATE;\n" : "",
		             parent, round, j,
		             half && j % 5 == 4 ? "COMMIT;\n" : "");
		len += (size_t)n;
	}
	return len < sizeof(buf) ? t_write(path, buf) : -1;
}

void test_concurrency_sqlite3_shell_beside_outpost(struct t *t)
{
	char dir[512], parent[T_TEXT_MAX] = "", script[512];
	struct conc_shared *sh = NULL;
	struct actor a;
	int fd[2], round, rc, i;
	pid_t pid;
	outpost *db = NULL;
	char *out = NULL;

	conc_setup(t, dir, parent, &sh);
	if (t->failed)
		return;
	CHECK(pipe(fd) == 0);
	/* SQLite's busy wait is not fair: a writer that takes the lock
	 * again at once can starve sqlite3 past its 5 s. An app pauses
	 * between writes; so does this one. */
	a = (struct actor){dir, parent, 0, 0, 1000, sh};
	pid = spawn(writer, &a, fd);
	CHECK(pid > 0);
	close(fd[0]);
	close(fd[1]);
	t_path(script, t, "shell.sql");
	/* sqlite3 starts once the outpost writer is in full swing. */
	for (i = 0; i < 20000 && sh->txns[0] < 10; i++)
		usleep(1000);
	CHECK(sh->txns[0] >= 10);
	for (round = 0; round < SHELL_ROUNDS; round++) {
		CHECK(write_shell_script(script, parent, round) == 0);
		rc = t_sh(&out, "sqlite3 -bail '%s/store.db' < '%s'", dir,
		          script);
		if (rc != 0) {
			t_fail(t, __FILE__, __LINE__,
			       "sqlite3 round %d: exit %d: %s", round, rc,
			       out ? out : "");
			free(out);
			return;
		}
		free(out);
	}
	/* The writer ran all along; whether its commits fell between
	 * sqlite3's is up to SQLite's busy wait, which is not fair: one
	 * run of sqlite3 may hold the lock from its first insert to its
	 * last, so that is not asserted. */
	sh->stop = 1;
	if (reap(t, pid, sh, 0) != 0)
		return;
	CHECK_OK(db, outpost_open(&db, dir, NULL));
	check_log(t, db, sh->txns[0] + SHELL_ROUNDS * SHELL_ROWS);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM children WHERE name LIKE "
	                   "'shell-%'"),
	         SHELL_ROUNDS * SHELL_ROWS);
	outpost_close(db);
}
