/* t_graph_crash.c - the graph's two-engine commits (SQLite, then LMDB for
 * an edge write; LMDB, then SQLite for an import) cut short: a writer
 * killed with SIGKILL at random moments, and a process ended at the
 * named fault points between the two commits (util_fault.c). After each
 * one the store opens again (which replays or settles), the graph
 * verifies clean, the edges are exactly those the change log describes,
 * acyclic types hold no cycle, and an import is all there or not at all.
 * Writers run in forked processes; the test process only opens the store
 * between kills, as t_crash.c does for rows. */
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

#define KILLS	       100
#define SLEEP_MAX_MS   30 /* each kill comes 1..SLEEP_MAX_MS ms after fork */
#define WRITER_LIMIT_S 60 /* a writer nobody kills ends itself */
#define NODES	       50
#define FAULT_EXIT     86 /* what util_fault.c's points exit with */
#define IMP_NODES      5000
#define IMP_EDGES      20000
/* The import kills stop after this long even if fewer than KILLS ran.
 * One import of IMP_NODES and IMP_EDGES takes ~60 ms on a 2-core VM, so
 * all KILLS run in ~5 s; a slower build (ASan: ~250 ms) runs fewer,
 * at least IMP_MIN. */
#define IMP_BUDGET_MS 20000
#define IMP_MIN	      20

static const char gc_schema[] =
	"{\"schema\": \"gcrash\", \"version\": 1,\n"
	" \"nodes\": {\"N\": {\"columns\": {\n"
	"   \"id\": {\"type\": \"uuid\", \"primary_key\": true},\n"
	"   \"name\": {\"type\": \"text\"}}}},\n"
	" \"relationships\": {\n"
	"  \"R\": {\"from\": \"N\", \"to\": \"N\",\n"
	"   \"properties\": {\"w\": {\"type\": \"real\"}}},\n"
	"  \"P\": {\"from\": \"N\", \"to\": \"N\", \"acyclic\": true}}}\n";

#define NODE_PREFIX "00000000-0000-7000-8000-"

/* What a writer leaves behind for the test; it outlives the writer. */
struct gc_shared {
	volatile int opened; /* the writer's outpost_open returned */
	volatile int in_op;  /* inside a write call when killed */
	volatile long ops;   /* write calls that returned */
	volatile int done;   /* an import returned OUTPOST_OK */
	char err[600];	     /* why a writer stopped by itself */
};

/* An edge: as the log describes it, or as the graph lists it. */
struct gc_edge {
	char uuid[40], from[40], to[40];
	char type;
	int has_w;
	double w;
};

struct gc_set {
	struct gc_edge *e;
	size_t n, cap;
	int oom;
};

/* The graph the change log describes, replayed entry by entry. */
struct gc_model {
	struct gc_set s;
	char alive[NODES];
	char why[400]; /* the first entry the log should not hold */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t test_seed(void)
{
	const char *env = getenv("OUTPOST_TEST_SEED");

	return env ? strtoull(env, NULL, 0)
		   : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
}

static void node_uuid(char out[40], int i)
{
	snprintf(out, 40, NODE_PREFIX "%012d", i);
}

/* The index of one of the test's nodes, or -1. */
static int node_index(const char *uuid)
{
	size_t n = strlen(NODE_PREFIX);
	long i;

	if (strlen(uuid) != 36 || strncmp(uuid, NODE_PREFIX, n) != 0)
		return -1;
	i = strtol(uuid + n, NULL, 10);
	return i >= 0 && i < NODES ? (int)i : -1;
}

/* The schema file and a store in t->dir/<name> with it applied. */
static outpost *gc_store(struct t *t, const char *name)
{
	char dir[512], schema[512];
	outpost *db = NULL;

	t_path(dir, t, name);
	t_path(schema, t, "gcrash.json");
	if (t_write(schema, gc_schema) != 0 ||
	    outpost_init(&db, dir, NULL) != OUTPOST_OK ||
	    outpost_schema_apply(db, schema) != OUTPOST_OK) {
		fprintf(stderr, "setup: %s\n", outpost_errmsg(db));
		outpost_close(db);
		return NULL;
	}
	return db;
}

static int insert_nodes(outpost *db)
{
	char sql[NODES * 64 + 64], id[40];
	size_t len;
	int i;

	len = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO N(id, name) "
			       "VALUES ");
	for (i = 0; i < NODES; i++) {
		node_uuid(id, i);
		len += (size_t)snprintf(sql + len, sizeof(sql) - len,
					"%s('%s', 'n%d')", i ? ", " : "", id,
					i);
	}
	return outpost_sql(db, sql, NULL, 0, NULL, NULL);
}

static int open_dir(outpost **db, struct t *t, const char *name, int ro)
{
	outpost_open_opts o = OUTPOST_OPEN_OPTS_INIT;
	char dir[512];

	t_path(dir, t, name);
	o.read_only = ro;
	*db = NULL;
	return outpost_open(db, dir, &o);
}

/* outpost_graph_verify is clean; the report is shown when not. */
static void check_verify(struct t *t, outpost *db)
{
	char *report = NULL;
	int rc = outpost_graph_verify(&report, db);

	if (rc != OUTPOST_OK)
		t_fail(t, __FILE__, __LINE__, "outpost_graph_verify: %s: "
		       "%s\n%s", outpost_errstr(rc), outpost_errmsg(db),
		       report ? report : "(no report)");
	outpost_free(report);
}

/* ---- edge sets --------------------------------------------------------- */

static struct gc_edge *set_push(struct gc_set *s)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		struct gc_edge *a = realloc(s->e, cap * sizeof(*a));

		if (!a) {
			s->oom = 1;
			return NULL;
		}
		s->e = a;
		s->cap = cap;
	}
	memset(&s->e[s->n], 0, sizeof(s->e[0]));
	return &s->e[s->n++];
}

static long set_find(const struct gc_set *s, const char *uuid)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->e[i].uuid, uuid) == 0)
			return (long)i;
	return -1;
}

static void set_remove(struct gc_set *s, size_t i)
{
	s->e[i] = s->e[--s->n];
}

static int by_uuid(const void *a, const void *b)
{
	return strcmp(((const struct gc_edge *)a)->uuid,
		      ((const struct gc_edge *)b)->uuid);
}

/* The string value of "key" in JSON text as cJSON prints it. */
static int json_text(char out[40], const char *json, const char *key)
{
	char pat[32];
	const char *p, *q;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	p = json ? strstr(json, pat) : NULL;
	if (!p)
		return -1;
	p += strlen(pat);
	q = strchr(p, '"');
	if (!q || q - p >= 40)
		return -1;
	memcpy(out, p, (size_t)(q - p));
	out[q - p] = '\0';
	return 0;
}

/* "w" in JSON text: 1 with *w set, 0 for null, -1 when absent. */
static int json_w(const char *json, double *w)
{
	const char *p = json ? strstr(json, "\"w\":") : NULL;

	if (!p)
		return -1;
	p += 4;
	if (strncmp(p, "null", 4) == 0)
		return 0;
	*w = strtod(p, NULL);
	return 1;
}

static int on_graph_edge(void *ctx, const outpost_edge_info *i)
{
	struct gc_set *s = ctx;
	struct gc_edge *e = set_push(s);

	if (!e)
		return 1;
	snprintf(e->uuid, sizeof(e->uuid), "%s", i->uuid);
	snprintf(e->from, sizeof(e->from), "%s", i->from);
	snprintf(e->to, sizeof(e->to), "%s", i->to);
	e->type = i->type[0] && !i->type[1] ? i->type[0] : '?';
	e->has_w = json_w(i->properties, &e->w) == 1;
	return 0;
}

/* ---- the log's graph ---------------------------------------------------- */

static void model_bad(struct gc_model *m, const outpost_change *c,
		      const char *why)
{
	if (!m->why[0])
		snprintf(m->why, sizeof(m->why), "log seq %lld (%s %c %s): %s",
			 c->seq, c->table, c->op, c->row_id, why);
}

static void model_node(struct gc_model *m, const outpost_change *c)
{
	int i = node_index(c->row_id);
	size_t k;

	if (i < 0) {
		model_bad(m, c, "not one of the test's nodes");
		return;
	}
	if (c->op == 'I')
		m->alive[i] = 1;
	if (c->op != 'D')
		return;
	m->alive[i] = 0;
	/* A node's delete takes its edges; they get no entries of their own. */
	for (k = m->s.n; k-- > 0;)
		if (strcmp(m->s.e[k].from, c->row_id) == 0 ||
		    strcmp(m->s.e[k].to, c->row_id) == 0)
			set_remove(&m->s, k);
}

/* An edge entry. Every write checks against a graph brought up to the log
 * under the lock, so an insert names two live nodes and a fresh uuid, and
 * an update or delete names a live edge. */
static void model_edge(struct gc_model *m, const outpost_change *c)
{
	long at = set_find(&m->s, c->row_id);
	struct gc_edge *e;
	int a, b;

	if (c->op != 'I') {
		if (at < 0)
			model_bad(m, c, "no such live edge");
		else if (c->op == 'D')
			set_remove(&m->s, (size_t)at);
		else if (json_w(c->values, &m->s.e[at].w) >= 0)
			m->s.e[at].has_w = json_w(c->values, &m->s.e[at].w);
		return;
	}
	if (at >= 0) {
		model_bad(m, c, "the edge is already live");
		return;
	}
	if (!(e = set_push(&m->s)))
		return;
	snprintf(e->uuid, sizeof(e->uuid), "%s", c->row_id);
	e->type = c->table[0];
	e->has_w = json_w(c->values, &e->w) == 1;
	if (json_text(e->from, c->values, "from") != 0 ||
	    json_text(e->to, c->values, "to") != 0) {
		model_bad(m, c, "no \"from\" or \"to\" in its values");
		return;
	}
	a = node_index(e->from);
	b = node_index(e->to);
	if (a < 0 || b < 0 || !m->alive[a] || !m->alive[b])
		model_bad(m, c, "an end is not a live node");
}

static int on_change(void *ctx, const outpost_change *c)
{
	struct gc_model *m = ctx;

	if (strcmp(c->table, "N") == 0)
		model_node(m, c);
	else if (strcmp(c->table, "R") == 0 || strcmp(c->table, "P") == 0)
		model_edge(m, c);
	return 0;
}

/* Is there a cycle through i among the P edges (adj[a][b]: a -> b)? */
static int cycle_from(unsigned char adj[NODES][NODES], char *colour, int i)
{
	int j;

	colour[i] = 1; /* on the current path */
	for (j = 0; j < NODES; j++) {
		if (!adj[i][j])
			continue;
		if (colour[j] == 1 ||
		    (colour[j] == 0 && cycle_from(adj, colour, j)))
			return 1;
	}
	colour[i] = 2; /* done, no cycle through it */
	return 0;
}

static int has_cycle(const struct gc_set *s)
{
	unsigned char adj[NODES][NODES];
	char colour[NODES] = {0};
	size_t k;
	int i;

	memset(adj, 0, sizeof(adj));
	for (k = 0; k < s->n; k++) {
		int a = node_index(s->e[k].from), b = node_index(s->e[k].to);

		if (s->e[k].type == 'P' && a >= 0 && b >= 0)
			adj[a][b] = 1;
	}
	for (i = 0; i < NODES; i++)
		if (!colour[i] && cycle_from(adj, colour, i))
			return 1;
	return 0;
}

static void show_edge(char *out, size_t n, const struct gc_edge *e)
{
	if (!e)
		snprintf(out, n, "(none)");
	else
		snprintf(out, n, "%s %c %s -> %s w=%s%g", e->uuid, e->type,
			 e->from, e->to, e->has_w ? "" : "none/", e->w);
}

/* The graph's edges are exactly the log's, with the log's w. */
static void check_same(struct t *t, struct gc_set *want, struct gc_set *got)
{
	size_t i = 0, j = 0;

	if (want->n > 1)
		qsort(want->e, want->n, sizeof(want->e[0]), by_uuid);
	if (got->n > 1)
		qsort(got->e, got->n, sizeof(got->e[0]), by_uuid);
	while (i < want->n || j < got->n) {
		const struct gc_edge *w = i < want->n ? &want->e[i] : NULL;
		const struct gc_edge *g = j < got->n ? &got->e[j] : NULL;
		int c = !w ? 1 : !g ? -1 : strcmp(w->uuid, g->uuid);
		char ws[200], gs[200];

		if (c == 0 && w->type == g->type &&
		    strcmp(w->from, g->from) == 0 &&
		    strcmp(w->to, g->to) == 0 && w->has_w == g->has_w &&
		    (!w->has_w || w->w == g->w)) {
			i++;
			j++;
			continue;
		}
		show_edge(ws, sizeof(ws), c <= 0 ? w : NULL);
		show_edge(gs, sizeof(gs), c >= 0 ? g : NULL);
		t_fail(t, __FILE__, __LINE__, "the graph is not the log's "
		       "(%zu edges in the log, %zu in the graph):\n    log   "
		       "%s\n    graph %s", want->n, got->n, ws, gs);
		return;
	}
}

/* Everything that must hold after any kill. */
static void check_graph(struct t *t, outpost *db, size_t *live)
{
	struct gc_model m;
	struct gc_set got = {NULL, 0, 0, 0};

	memset(&m, 0, sizeof(m));
	check_verify(t, db);
	if (t->failed)
		return;
	CHECK_OK(db, outpost_log_each(db, NULL, on_change, &m));
	if (m.why[0])
		t_fail(t, __FILE__, __LINE__, "%s", m.why);
	if (!t->failed)
		CHECK_OK(db, outpost_graph_edges_each(db, NULL, on_graph_edge,
						      &got));
	if (!t->failed && (m.s.oom || got.oom))
		t_fail(t, __FILE__, __LINE__, "out of memory");
	if (!t->failed)
		check_same(t, &m.s, &got);
	if (!t->failed && has_cycle(&got))
		t_fail(t, __FILE__, __LINE__, "the P edges hold a cycle");
	*live = got.n;
	free(m.s.e);
	free(got.e);
}

/* ---- 1. edge writes killed ---------------------------------------------- */

static int add_edge(outpost *db, uint64_t *rng, char type, char uuid[37])
{
	outpost_edge e = OUTPOST_EDGE_INIT;
	char from[40], to[40], props[64];

	node_uuid(from, (int)t_rng_below(rng, NODES));
	node_uuid(to, (int)t_rng_below(rng, NODES));
	snprintf(props, sizeof(props), "{\"w\": %.3f}",
		 t_rng_below(rng, 64) / 8.0);
	e.type = type == 'R' ? "R" : "P";
	e.from = from;
	e.to = to;
	e.properties = type == 'R' ? props : NULL;
	return outpost_graph_edge_add(db, &e, uuid);
}

/* A new w for an R edge; a P edge (no properties) is updated to itself. */
static int update_edge(outpost *db, uint64_t *rng, const struct gc_edge *o)
{
	outpost_edge e = OUTPOST_EDGE_INIT;
	char props[64];

	snprintf(props, sizeof(props), "{\"w\": %.3f}",
		 t_rng_below(rng, 64) / 8.0);
	e.properties = o->type == 'R' ? props : NULL;
	return outpost_graph_edge_update(db, o->uuid, &e);
}

/* A node deleted (taking its edges) and inserted again: in one script,
 * or in two, so a kill may leave it deleted for a while. */
static int renew_node(outpost *db, uint64_t *rng)
{
	char sql[256], id[40];
	int i = (int)t_rng_below(rng, NODES), rc;

	node_uuid(id, i);
	if (t_rng_below(rng, 2))
		return snprintf(sql, sizeof(sql),
				"DELETE FROM N WHERE id = '%s'; INSERT INTO "
				"N(id, name) VALUES ('%s', 'n%d')",
				id, id, i) > 0
			       ? outpost_sql(db, sql, NULL, 0, NULL, NULL)
			       : OUTPOST_ERROR;
	snprintf(sql, sizeof(sql), "DELETE FROM N WHERE id = '%s'", id);
	rc = outpost_sql(db, sql, NULL, 0, NULL, NULL);
	snprintf(sql, sizeof(sql), "INSERT INTO N(id, name) VALUES ('%s', "
		 "'n%d')", id, i);
	return rc ? rc : outpost_sql(db, sql, NULL, 0, NULL, NULL);
}

static int on_own_edge(void *ctx, const outpost_edge_info *i)
{
	struct gc_set *s = ctx;
	struct gc_edge *e = set_push(s);

	if (e) {
		snprintf(e->uuid, sizeof(e->uuid), "%s", i->uuid);
		e->type = i->type[0];
	}
	return !e;
}

/* One random write: OUTPOST_OK if its result is one the store may give,
 * else that result. */
static int one_write(outpost *db, uint64_t *rng, struct gc_set *own)
{
	unsigned r = t_rng_below(rng, 100);
	size_t k = own->n ? t_rng_below(rng, (unsigned)own->n) : 0;
	struct gc_edge *e;
	char uuid[37];
	int rc;

	if (r >= 92)
		return renew_node(db, rng);
	if (r >= 50 && own->n) {
		rc = r < 70 ? update_edge(db, rng, &own->e[k])
			    : outpost_graph_edge_delete(db, own->e[k].uuid, 0);
		/* ENOTFOUND: the edge went with one of its nodes. */
		if (rc == OUTPOST_ENOTFOUND || (rc == OUTPOST_OK && r >= 70))
			set_remove(own, k);
		return rc == OUTPOST_ENOTFOUND ? OUTPOST_OK : rc;
	}
	rc = add_edge(db, rng, r < 30 ? 'R' : 'P', uuid);
	if (rc == OUTPOST_OK && (e = set_push(own))) {
		memcpy(e->uuid, uuid, 37);
		e->type = r < 30 ? 'R' : 'P';
	}
	/* EREFUSED: a P edge closing a cycle; ENOTFOUND: a node a killed
	 * writer left deleted. */
	if (rc == OUTPOST_ENOTFOUND || (rc == OUTPOST_EREFUSED && r >= 30))
		rc = OUTPOST_OK;
	return rc;
}

/* The writer process: random edge and node writes until it is killed.
 * Exits (status 2) only on an error, recorded in sh->err. */
static void edge_writer(const char *dir, uint64_t seed, struct gc_shared *sh)
{
	struct gc_set own = {NULL, 0, 0, 0};
	uint64_t rng = seed;
	outpost *db = NULL;
	int rc;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(WRITER_LIMIT_S);
	rc = outpost_open(&db, dir, NULL);
	if (rc == OUTPOST_OK)
		rc = outpost_graph_edges_each(db, NULL, on_own_edge, &own);
	if (rc != OUTPOST_OK) {
		snprintf(sh->err, sizeof(sh->err), "writer open: %s: %s",
			 outpost_errstr(rc), outpost_errmsg(db));
		_exit(2);
	}
	sh->opened = 1;
	for (;;) {
		sh->in_op = 1;
		rc = one_write(db, &rng, &own);
		if (rc != OUTPOST_OK) {
			snprintf(sh->err, sizeof(sh->err), "writer op %ld: "
				 "%s: %s", sh->ops, outpost_errstr(rc),
				 outpost_errmsg(db));
			_exit(2);
		}
		sh->in_op = 0;
		sh->ops++;
	}
}

/* Wait until the writer has written once (or has died), so that most
 * kills land among its writes, not in process start-up. */
static void wait_started(const struct gc_shared *sh, pid_t pid)
{
	siginfo_t info;
	int i;

	for (i = 0; i < 20000 && sh->ops == 0; i++) {
		info.si_pid = 0;
		if (waitid(P_PID, (id_t)pid, &info,
			   WEXITED | WNOHANG | WNOWAIT) != 0 ||
		    info.si_pid == pid)
			return;
		t_sleep_ms(1);
	}
}

static void *shared_new(void)
{
	void *p = mmap(NULL, sizeof(struct gc_shared), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void edge_kills(struct t *t, uint64_t seed, struct gc_shared *sh)
{
	char dir[512];
	long long prev = 0, now;
	size_t live = 0;
	int i, mid_op = 0, grew = 0;
	uint64_t rng = seed;
	outpost *db = gc_store(t, "store");

	CHECK(db);
	CHECK_OK(db, insert_nodes(db));
	outpost_close(db);
	t_path(dir, t, "store");
	for (i = 0; i < KILLS; i++) {
		unsigned ms;
		int status = 0;
		pid_t pid;

		memset(sh, 0, sizeof(*sh));
		fflush(NULL);
		pid = fork();
		if (pid == 0)
			edge_writer(dir, seed ^ ((uint64_t)i << 40), sh);
		CHECK(pid > 0);
		/* One kill in four may hit start-up (opening, replay). */
		if (i % 4 != 0)
			wait_started(sh, pid);
		ms = 1 + t_rng_below(&rng, SLEEP_MAX_MS);
		t_sleep_ms(ms);
		kill(pid, SIGKILL);
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
			t_fail(t, __FILE__, __LINE__, "kill %d: the writer "
			       "ended by itself (status %d): %s", i, status,
			       sh->err);
			return;
		}
		mid_op += sh->in_op && sh->opened;
		CHECK_OK(db, open_dir(&db, t, "store", 0));
		check_graph(t, db, &live);
		now = t_int(db, "SELECT count(*) FROM _outpost_changes");
		outpost_close(db);
		if (t->failed) {
			fprintf(stderr, "     (after kill %d of %d, %u ms "
				"after fork)\n", i + 1, KILLS, ms);
			return;
		}
		CHECK(now >= prev);
		grew += now > prev;
		prev = now;
	}
	if (getenv("OUTPOST_TEST_VERBOSE"))
		fprintf(stderr, "     %d kills: %d inside a write; log grew "
			"after %d; %lld entries, %zu live edges\n", KILLS,
			mid_op, grew, prev, live);
	/* The kills must have landed in the middle of work. */
	CHECK(mid_op >= KILLS / 2);
	CHECK(grew >= KILLS / 2);
}

void test_graph_crash_edge_writes_killed(struct t *t)
{
	uint64_t seed = test_seed();
	struct gc_shared *sh = shared_new();

	CHECK(sh);
	edge_kills(t, seed, sh);
	munmap(sh, sizeof(*sh));
	if (t->failed)
		fprintf(stderr, "     (seed %llu: rerun with "
			"OUTPOST_TEST_SEED=%llu)\n", (unsigned long long)seed,
			(unsigned long long)seed);
}

/* ---- 2. ended between the two commits ----------------------------------- */

#define FAULT_EDGE 1
#define FAULT_IMPORT 2

/* In a child with OUTPOST_FAULT=fault (in its environment only): open
 * the store and add one edge or run the import. Its exit status. */
static int run_faulted(struct t *t, const char *fault, int what,
		       const char *const *files)
{
	char dir[512];
	int status = 0;
	pid_t pid;

	t_path(dir, t, "store");
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		outpost_edge e = OUTPOST_EDGE_INIT;
		outpost *db = NULL;
		char from[40], to[40];
		int rc;

		alarm(WRITER_LIMIT_S);
		setenv("OUTPOST_FAULT", fault, 1);
		node_uuid(from, 1);
		node_uuid(to, 2);
		e.type = "R";
		e.from = from;
		e.to = to;
		e.properties = "{\"w\": 0.5}";
		rc = outpost_open(&db, dir, NULL);
		if (rc == OUTPOST_OK && what == FAULT_EDGE)
			rc = outpost_graph_edge_add(db, &e, NULL);
		else if (rc == OUTPOST_OK)
			rc = outpost_import(db, files, 1, files + 1, 1, NULL);
		fprintf(stderr, "faulted child: %s: %s\n", outpost_errstr(rc),
			outpost_errmsg(db));
		_exit(3); /* the fault point should have ended it */
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Where LMDB stands against the log: applied_seq - last_seq. */
static long long graph_lead(outpost *db)
{
	outpost_status st;

	memset(&st, 0, sizeof(st));
	st.version = OUTPOST_STATUS_VERSION;
	if (outpost_status_get(&st, db) != OUTPOST_OK)
		return -1000;
	return st.graph_applied_seq - st.last_seq;
}

/* The edge add ended after SQLite's commit, before LMDB's: the entry is
 * in the log, LMDB is one behind until a read-write open replays it. */
static void fault_edge(struct t *t)
{
	struct gc_set got = {NULL, 0, 0, 0};
	char want[T_TEXT_MAX], from[40], to[40];
	outpost *db = gc_store(t, "store");
	int exit_status;

	CHECK(db);
	CHECK_OK(db, insert_nodes(db));
	outpost_close(db);
	exit_status = run_faulted(t, "edge_between_commits", FAULT_EDGE, NULL);
	CHECK_EQ(exit_status, FAULT_EXIT);
	CHECK_OK(db, open_dir(&db, t, "store", 1));
	CHECK_EQ(graph_lead(db), -1);
	t_text(db, "SELECT row_id FROM _outpost_changes WHERE tbl = 'R'", want);
	outpost_close(db);
	CHECK_EQ(strlen(want), 36);
	CHECK_OK(db, open_dir(&db, t, "store", 0));
	CHECK_EQ(graph_lead(db), 0);
	check_verify(t, db);
	if (!t->failed)
		CHECK_OK(db, outpost_graph_edges_each(db, NULL, on_graph_edge,
						      &got));
	outpost_close(db);
	if (t->failed || got.oom) {
		free(got.e);
		CHECK(!got.oom);
		return;
	}
	node_uuid(from, 1);
	node_uuid(to, 2);
	CHECK_EQ(got.n, 1);
	CHECK_STR(got.e[0].uuid, want);
	CHECK_STR(got.e[0].from, from);
	CHECK_STR(got.e[0].to, to);
	CHECK(got.e[0].type == 'R' && got.e[0].has_w && got.e[0].w == 0.5);
	free(got.e);
}

#define FAULT_NODES 20
#define FAULT_EDGES 30 /* R edges; and one P edge, i0 -> i1 */

/* Nodes i0.. and edges among them and to the test's own nodes. */
static int write_small_import(char nodes[512], char rels[512], struct t *t)
{
	char buf[8192];
	size_t len;
	int i, ok;

	t_path(nodes, t, "small_nodes.csv");
	t_path(rels, t, "small_rels.csv");
	len = (size_t)snprintf(buf, sizeof(buf), "id:ID,name,:LABEL\n");
	for (i = 0; i < FAULT_NODES; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					"i%d,imp%d,N\n", i, i);
	ok = t_write(nodes, buf) == 0;
	len = (size_t)snprintf(buf, sizeof(buf), ":START_ID,:END_ID,:TYPE\n"
			       "i0,i1,P\n");
	for (i = 0; i < FAULT_EDGES; i++) {
		char end[40];

		if (i % 5 == 4)
			node_uuid(end, i % NODES);
		else
			snprintf(end, sizeof(end), "i%d", (i * 7 + 3) %
				 FAULT_NODES);
		len += (size_t)snprintf(buf + len, sizeof(buf) - len,
					"i%d,%s,R\n", i % FAULT_NODES, end);
	}
	return ok && t_write(rels, buf) == 0 ? 0 : -1;
}

/* The import ended after LMDB's commit, before SQLite's: the graph held
 * it for a moment; a read-write open takes it back. */
static void fault_import(struct t *t)
{
	char nodes[512], rels[512];
	const char *files[2] = {nodes, rels};
	outpost *db = NULL;
	int exit_status;

	CHECK(write_small_import(nodes, rels, t) == 0);
	exit_status = run_faulted(t, "import_between_commits", FAULT_IMPORT,
				  files);
	CHECK_EQ(exit_status, FAULT_EXIT);
	CHECK_OK(db, open_dir(&db, t, "store", 1));
	CHECK_EQ(graph_lead(db), 1); /* the marker's seq, never logged */
	CHECK_EQ(t_edges(db, NULL), 1 + FAULT_EDGES + 1);
	outpost_close(db);
	CHECK_OK(db, open_dir(&db, t, "store", 0));
	CHECK_EQ(graph_lead(db), 0);
	check_verify(t, db);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM N WHERE name LIKE 'imp%'"), 0);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM N"), NODES);
	CHECK_EQ(t_edges(db, NULL), 1);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes WHERE tbl = "
			   "'_outpost_import'"),
		 0);
	/* The same import again, without the fault: all of it lands. */
	CHECK_OK(db, outpost_import(db, files, 1, files + 1, 1, NULL));
	check_verify(t, db);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM N WHERE name LIKE 'imp%'"),
		 FAULT_NODES);
	CHECK_EQ(t_edges(db, "R"), 1 + FAULT_EDGES);
	CHECK_EQ(t_edges(db, "P"), 1);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes WHERE tbl = "
			   "'_outpost_import'"),
		 1);
	outpost_close(db);
}

void test_graph_crash_fault_between_commits(struct t *t)
{
	fault_edge(t);
	if (!t->failed)
		fault_import(t);
}

/* ---- 3. imports killed -------------------------------------------------- */

static int write_big_import(char nodes[512], char rels[512], struct t *t,
			    uint64_t seed)
{
	FILE *f;
	uint64_t rng = seed;
	int i, bad;

	t_path(nodes, t, "nodes.csv");
	t_path(rels, t, "rels.csv");
	if (!(f = fopen(nodes, "w")))
		return -1;
	bad = fputs("id:ID,name,:LABEL\n", f) < 0;
	for (i = 0; i < IMP_NODES; i++)
		bad |= fprintf(f, "n%d,name %d,N\n", i, i) < 0;
	bad |= fclose(f) != 0;
	if (bad || !(f = fopen(rels, "w")))
		return -1;
	bad = fputs(":START_ID,:END_ID,:TYPE\n", f) < 0;
	for (i = 0; i < IMP_EDGES; i++)
		bad |= fprintf(f, "n%u,n%u,R\n", t_rng_below(&rng, IMP_NODES),
			       t_rng_below(&rng, IMP_NODES)) < 0;
	bad |= fclose(f) != 0;
	return bad ? -1 : 0;
}

/* The importer process: opens the store and imports; waits to be killed
 * if it gets through. Exits (status 2) only on an error. */
static void importer(const char *dir, const char *const *files,
		     struct gc_shared *sh)
{
	outpost *db = NULL;
	int rc;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(WRITER_LIMIT_S);
	rc = outpost_open(&db, dir, NULL);
	sh->opened = rc == OUTPOST_OK;
	sh->in_op = 1;
	if (rc == OUTPOST_OK)
		rc = outpost_import(db, files, 1, files + 1, 1, NULL);
	if (rc != OUTPOST_OK) {
		snprintf(sh->err, sizeof(sh->err), "import: %s: %s",
			 outpost_errstr(rc), outpost_errmsg(db));
		_exit(2);
	}
	sh->in_op = 0;
	sh->done = 1;
	for (;;)
		pause();
}

/* One import in a child, timed from fork to its return: what every
 * killed child goes through, fork costs included (large under ASan). */
static void time_import(struct t *t, const char *const *files,
			struct gc_shared *sh, long long *ms)
{
	char dir[512], *out = NULL;
	outpost *db = NULL;
	long long t0;
	int status = 0, i;
	pid_t pid;

	CHECK_EQ(t_sh(&out, "cp -a '%s/empty' '%s/probe'", t->dir, t->dir), 0);
	free(out);
	t_path(dir, t, "probe");
	memset(sh, 0, sizeof(*sh));
	fflush(NULL);
	t0 = now_ms();
	pid = fork();
	if (pid == 0)
		importer(dir, files, sh);
	CHECK(pid > 0);
	for (i = 0; i < WRITER_LIMIT_S * 1000 && !sh->done && !sh->err[0];
	     i++)
		t_sleep_ms(1);
	*ms = now_ms() - t0;
	kill(pid, SIGKILL);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	if (!sh->done)
		t_fail(t, __FILE__, __LINE__, "the timed import: %s", sh->err);
	if (t->failed)
		return;
	CHECK_OK(db, open_dir(&db, t, "probe", 0));
	CHECK_EQ(t_int(db, "SELECT count(*) FROM N"), IMP_NODES);
	CHECK_EQ(t_edges(db, "R"), IMP_EDGES);
	outpost_close(db);
}

/* All of the import or none of it; *landed says which. */
static void check_import(struct t *t, outpost *db, int *landed)
{
	long long logged, rows, edges;

	check_verify(t, db);
	if (t->failed)
		return;
	logged = t_int(db, "SELECT count(*) FROM _outpost_changes WHERE tbl = "
			   "'_outpost_import'");
	rows = t_int(db, "SELECT count(*) FROM N");
	edges = t_edges(db, NULL);
	*landed = logged == 1;
	if (!(logged == 1 && rows == IMP_NODES && edges == IMP_EDGES) &&
	    !(logged == 0 && rows == 0 && edges == 0))
		t_fail(t, __FILE__, __LINE__, "not all or nothing: %lld import "
		       "entries, %lld node rows, %lld edges", logged, rows,
		       edges);
}

static void import_kills(struct t *t, uint64_t seed, struct gc_shared *sh)
{
	char nodes[512], rels[512], dir[512], *out = NULL;
	const char *files[2] = {nodes, rels};
	long long ms = 0, start;
	int i, landed = 1, nlanded = 0, nnone = 0;
	uint64_t rng = seed;
	outpost *db = gc_store(t, "empty");

	CHECK(db);
	outpost_close(db);
	CHECK(write_big_import(nodes, rels, t, seed) == 0);
	time_import(t, files, sh, &ms);
	if (t->failed)
		return;
	t_path(dir, t, "store");
	start = now_ms();
	for (i = 0; i < KILLS && (i < IMP_MIN ||
				  now_ms() - start < IMP_BUDGET_MS); i++) {
		unsigned at = t_rng_below(&rng, (unsigned)(ms * 6 / 5) + 1);
		int status = 0;
		pid_t pid;

		/* A store the last import landed in starts again empty;
		 * one it did not land in is used again as it is. */
		if (landed) {
			CHECK_EQ(t_sh(&out, "rm -rf '%s' && cp -a '%s/empty' "
				      "'%s'", dir, t->dir, dir), 0);
			free(out);
		}
		memset(sh, 0, sizeof(*sh));
		fflush(NULL);
		pid = fork();
		if (pid == 0)
			importer(dir, files, sh);
		CHECK(pid > 0);
		t_sleep_ms(at);
		kill(pid, SIGKILL);
		CHECK_EQ(waitpid(pid, &status, 0), pid);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
			t_fail(t, __FILE__, __LINE__, "kill %d: the importer "
			       "ended by itself (status %d): %s", i, status,
			       sh->err);
			return;
		}
		CHECK_OK(db, open_dir(&db, t, "store", 0));
		check_import(t, db, &landed);
		outpost_close(db);
		if (!t->failed && sh->done && !landed)
			t_fail(t, __FILE__, __LINE__, "the import returned "
			       "OUTPOST_OK but is not there");
		if (t->failed) {
			fprintf(stderr, "     (after kill %d, %u ms after fork;"
				" one import takes %lld ms)\n", i + 1, at, ms);
			return;
		}
		nlanded += landed;
		nnone += !landed;
	}
	if (getenv("OUTPOST_TEST_VERBOSE"))
		fprintf(stderr, "     %d kills (one import: %lld ms): %d "
			"landed, %d did not\n", i, ms, nlanded, nnone);
	CHECK(nnone > 0);
}

void test_graph_crash_import_killed(struct t *t)
{
	uint64_t seed = test_seed();
	struct gc_shared *sh = shared_new();

	CHECK(sh);
	import_kills(t, seed, sh);
	munmap(sh, sizeof(*sh));
	if (t->failed)
		fprintf(stderr, "     (seed %llu: rerun with "
			"OUTPOST_TEST_SEED=%llu)\n", (unsigned long long)seed,
			(unsigned long long)seed);
}
