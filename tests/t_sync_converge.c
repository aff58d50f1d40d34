/* t_sync_converge.c - the convergence property (DESIGN section 3): three
 * stores with the LexiCraft schema (LearningPoint and RELATED_TO made
 * lww so devices write nodes and edges) make random concurrent inserts,
 * updates, deletes, re-inserts and edge writes, some with clocks running
 * ahead, and exchange their changes in random interleavings and random
 * batch splits over several rounds. Delivery is causal, as through the
 * hub: a change arrives only after every change its site had seen when it
 * made it (a vector of counts per change), in its site's order; beyond
 * that, each store gets the others' changes in its own random order. At
 * the end every store holds the same rows, clock tables, parked values
 * and edges. The seed is printed on failure; OUTPOST_SEED=n replays one. */
#include <stdarg.h>
#include <stdlib.h>

#include "sync_batch.h"
#include "util.h"

#define NS 3	    /* stores */
#define POOL 1024   /* ids remembered per kind */
#define SEEDS 8     /* runs, each with a seed of its own */
#define ROUNDS 6    /* of STEPS writes and partial exchanges each */
#define STEPS 150
#define ID_MAX 112 /* an id, or for GONE: "id child point" */
#define HASH "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"

enum kind { USER, CHILD, PROGRESS, POINT, EDGE, GONE, KINDS };

struct sim {
	outpost *db[NS];
	char site[NS][33];
	long long own[NS];	    /* last own log seq collected */
	struct ts_batch out[NS];    /* each site's changes, in order */
	unsigned *vc[NS];	    /* NS counts per change of out[o] */
	size_t seen[NS][NS];	    /* seen[r][o]: o's changes r applied */
	char ids[KINDS][POOL][ID_MAX];
	size_t nids[KINDS];
	uint64_t rng;
	unsigned long long seed;
	unsigned serial;
};

/* Random writes fail often here, by design: quietly. */
static int qsql(outpost *db, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int qsql(outpost *db, const char *fmt, ...)
{
	char sql[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return outpost_sql(db, sql, NULL, 0, NULL, NULL);
}

static unsigned below(struct sim *s, unsigned n)
{
	return t_rng_below(&s->rng, n);
}

static void remember(struct sim *s, enum kind k, const char *id)
{
	if (s->nids[k] < POOL) /* id may be another pool's slot */
		memmove(s->ids[k][s->nids[k]++], id, strlen(id) + 1);
}

/* A remembered id of kind k, or NULL; half the time one of the last
 * few, so that stores often change the same rows at once. */
static const char *pick(struct sim *s, enum kind k)
{
	size_t n = s->nids[k], recent = n < 4 ? n : 4;

	if (!n)
		return NULL;
	if (below(s, 2))
		return s->ids[k][n - 1 - below(s, (unsigned)recent)];
	return s->ids[k][below(s, (unsigned)n)];
}

static void new_id(char out[37])
{
	outpost_uuid_v7(out);
}

/* Collect store i's new changes into its stream, each with what i had
 * seen of every site when it made it. */
static int record(struct sim *s, int i)
{
	size_t before = s->out[i].n, k;
	int rc = ts_collect(&s->out[i], s->db[i], s->own[i], s->site[i],
			    &s->own[i]);

	if (rc != OUTPOST_OK)
		return rc;
	s->vc[i] = realloc(s->vc[i], (s->out[i].n + 1) * NS * sizeof(unsigned));
	if (!s->vc[i])
		abort();
	for (k = before; k < s->out[i].n; k++) {
		int o;

		for (o = 0; o < NS; o++)
			s->vc[i][k * NS + o] = (unsigned)s->seen[i][o];
	}
	s->seen[i][i] = s->out[i].n;
	return OUTPOST_OK;
}

/* ---- the random writes; a write that does not apply here (a row this
 * store does not have, a parent it lacks) just fails ---- */

static void op_rows(struct sim *s, outpost *db, int i, unsigned what)
{
	char id[37];
	const char *a = pick(s, USER), *c = pick(s, CHILD);

	switch (what) {
	case 0:
		new_id(id);
		if (qsql(db, "INSERT INTO users(id, email, password_hash) "
			   "VALUES ('%s', 'u%u@example.org', '" HASH "')", id,
			   ++s->serial) == OUTPOST_OK)
			remember(s, USER, id);
		break;
	case 1:
		if (a)
			qsql(db, "UPDATE users SET display_name = 'd%u' "
			       "WHERE id = '%s'", ++s->serial, a);
		break;
	case 2:
		new_id(id);
		if (a && qsql(db, "INSERT INTO children(id, parent_id, name, "
				"birth_year) VALUES ('%s', '%s', 'c%u', %u); "
				"INSERT INTO points_accounts(child_id) VALUES "
				"('%s')", id, a, ++s->serial,
				2010 + below(s, 10), id) == OUTPOST_OK)
			remember(s, CHILD, id);
		break;
	case 3:
		if (c)
			qsql(db, below(s, 2) ? "UPDATE children SET name = "
						 "'n%u' WHERE id = '%s'"
					       : "UPDATE children SET "
						 "birth_year = 2000 + %u %% 20 "
						 "WHERE id = '%s'",
			       ++s->serial, c);
		break;
	case 4:
	case 5:
		if (c)
			qsql(db, "DELETE FROM children WHERE id = '%s'", c);
		break;
	}
	(void)i;
}

/* The store that may record progress on point lp (by its last digit). */
static int owner(const char *lp)
{
	char d = lp[35];

	return (d <= '9' ? d - '0' : d - 'a' + 10) % NS;
}

/* "id child point" of progress row id, before it is deleted. */
static int gone(outpost *db, const char *id, char *out, size_t n)
{
	char sql[256], row[T_TEXT_MAX];

	snprintf(sql, sizeof(sql), "SELECT id || ' ' || child_id || ' ' || "
		 "learning_point_id FROM learning_progress WHERE id = '%s'", id);
	t_text(db, sql, row);
	if (strlen(row) != 3 * 36 + 2 || n < 3 * 36 + 3)
		return -1;
	memcpy(out, row, 3 * 36 + 3);
	return 0;
}

static void op_progress(struct sim *s, outpost *db, int i, unsigned what)
{
	char id[37], child[37], point[37], gone_row[ID_MAX];
	const char *g;
	const char *c = pick(s, CHILD), *p = pick(s, PROGRESS);
	const char *lp = pick(s, POINT);

	switch (what) {
	case 0: /* (child, point) is unique: each store its own points */
		new_id(id);
		if (c && lp && owner(lp) == i &&
		    qsql(db, "INSERT INTO learning_progress(id, child_id, "
			   "learning_point_id) VALUES ('%s', '%s', '%s')", id,
			   c, lp) == OUTPOST_OK)
			remember(s, PROGRESS, id);
		break;
	case 1:
		if (p)
			qsql(db, "UPDATE learning_progress SET status = '%s' "
			       "WHERE id = '%s'", below(s, 2) ? "started"
							      : "mastered", p);
		break;
	case 2:
		if (p && gone(db, p, gone_row, sizeof(gone_row)) == 0 &&
		    qsql(db, "DELETE FROM learning_progress WHERE id = '%s'",
			 p) == OUTPOST_OK)
			remember(s, GONE, gone_row);
		break;
	case 3: /* the points ledger, append_only */
		new_id(id);
		if (c)
			qsql(db, "INSERT INTO points_transactions(id, "
			       "child_id, amount, kind) VALUES ('%s', '%s', "
			       "%u, 'earn')", id, c, 1 + below(s, 9));
		break;
	case 4: /* a deleted id made again, by the point's owner */
	case 5:
		if ((g = pick(s, GONE)) != NULL &&
		    sscanf(g, "%36s %36s %36s", id, child, point) == 3 &&
		    owner(point) == i)
			qsql(db, "INSERT INTO learning_progress(id, child_id, "
			       "learning_point_id, status) VALUES ('%s', '%s', "
			       "'%s', 'again%u')", id, child, point,
			       ++s->serial);
		break;
	}
}

static void op_graph(struct sim *s, outpost *db, unsigned what)
{
	outpost_edge e = OUTPOST_EDGE_INIT;
	char id[37], props[128];
	const char *lp = pick(s, POINT), *ed = pick(s, EDGE);

	switch (what) {
	case 0:
		new_id(id);
		if (qsql(db, "INSERT INTO \"LearningPoint\"(id, "
			   "learning_point_id, word) VALUES ('%s', 'lp%u', "
			   "'w%u')", id, s->serial + 1, s->serial + 1) ==
		    OUTPOST_OK)
			remember(s, POINT, id);
		s->serial++;
		break;
	case 1:
		if (lp)
			qsql(db, "UPDATE \"LearningPoint\" SET difficulty = "
			       "%u, definition = 'd%u' WHERE id = '%s'",
			       below(s, 5), ++s->serial, lp);
		break;
	case 2:
		if (lp && below(s, 3) == 0) /* rarer: it takes much along */
			qsql(db, "DELETE FROM \"LearningPoint\" WHERE id = "
			       "'%s'", lp);
		break;
	case 3:
	case 4:
		e.type = "RELATED_TO";
		e.from = lp;
		e.to = pick(s, POINT);
		snprintf(props, sizeof(props), "{\"strength\": %u.5}",
			 below(s, 9));
		e.properties = props;
		if (e.from && e.to &&
		    outpost_graph_edge_add(db, &e, id) == OUTPOST_OK)
			remember(s, EDGE, id);
		break;
	case 5:
	case 6:
		snprintf(props, sizeof(props), below(s, 2)
			 ? "{\"strength\": %u.25}" : "{\"note\": \"n%u\"}",
			 ++s->serial);
		e.properties = props;
		if (ed)
			outpost_graph_edge_update(db, ed, &e);
		break;
	case 7:
		if (ed)
			outpost_graph_edge_delete(db, ed, 0);
		break;
	}
}

/* A clock running up to two seconds ahead: within the bound, but its
 * changes win over later ones from the others. */
static void skew(struct sim *s, outpost *db)
{
	unsigned long long to = (op_hlc_wall_ms() + below(s, 2000)) << 16;
	char sql[160];

	snprintf(sql, sizeof(sql), "UPDATE _outpost_clock SET floor = max("
		 "floor, %llu)", to);
	outpost_sql(db, sql, NULL, 0, NULL, NULL);
}

static int write_one(struct sim *s, int i)
{
	outpost *db = s->db[i];
	unsigned r = below(s, 100);

	if (r < 30)
		op_rows(s, db, i, below(s, 6));
	else if (r < 60)
		op_progress(s, db, i, below(s, 6));
	else if (r < 95)
		op_graph(s, db, below(s, 8));
	else
		skew(s, db);
	return record(s, i);
}

/* Can o's change number k go to r, given what r has and what the batch
 * being built already holds (in[])? */
static int deliverable(struct sim *s, int r, int o, const size_t *in)
{
	size_t k = s->seen[r][o] + in[o];
	int p;

	if (o == r || k >= s->out[o].n)
		return 0;
	for (p = 0; p < NS; p++)
		if (p != o && s->vc[o][k * NS + p] > s->seen[r][p] + in[p])
			return 0;
	return 1;
}

/* A random batch of what r may receive, up to max changes, in random
 * order across sites; applied as one pull. */
static int deliver(struct t *t, struct sim *s, int r, unsigned max)
{
	struct ts_batch b = {0};
	size_t in[NS] = {0};
	unsigned n;
	int o, rc = OUTPOST_OK;

	for (n = 0; n < max; n++) {
		int cand[NS], nc = 0;

		for (o = 0; o < NS; o++)
			if (deliverable(s, r, o, in))
				cand[nc++] = o;
		if (!nc)
			break;
		o = cand[below(s, (unsigned)nc)];
		ts_push(&b, &s->out[o].c[s->seen[r][o] + in[o]]);
		in[o]++;
	}
	if (b.n)
		rc = ts_apply(s->db[r], b.c, b.n, "peers", (long long)b.n);
	if (rc != OUTPOST_OK)
		t_fail(t, __FILE__, __LINE__, "seed %llu: store %d: %s",
		       s->seed, r, outpost_errmsg(s->db[r]));
	for (o = 0; rc == OUTPOST_OK && o < NS; o++)
		s->seen[r][o] += in[o];
	ts_batch_free(&b);
	return rc == OUTPOST_OK ? (int)n : -1;
}

static int setup(struct t *t, struct sim *s, unsigned long long seed)
{
	char schema[512], name[64];
	int i;

	memset(s, 0, sizeof(*s));
	s->seed = seed;
	s->rng = seed;
	t_path(schema, t, "lexicraft-lww.json");
	if (ts_lexicraft_lww(t, schema) != 0)
		return -1;
	for (i = 0; i < NS; i++) {
		snprintf(name, sizeof(name), "s%llu-%d", seed, i);
		if (!(s->db[i] = ts_store(t, name, schema)))
			return -1;
		ts_site(s->db[i], s->site[i]);
	}
	return 0;
}

static void teardown(struct sim *s)
{
	int i;

	for (i = 0; i < NS; i++) {
		outpost_close(s->db[i]);
		ts_batch_free(&s->out[i]);
		free(s->vc[i]);
	}
}

/* Rounds of writes and partial exchanges, then everything to everyone. */
static int run(struct t *t, struct sim *s, int rounds, int steps)
{
	int round, step, i, moved;

	for (round = 0; round < rounds; round++)
		for (step = 0; step < steps; step++) {
			i = (int)below(s, NS);
			if (below(s, 100) < 60) {
				if (write_one(s, i) != OUTPOST_OK)
					return -1;
			} else if (deliver(t, s, i, 1 + below(s, 12)) < 0) {
				return -1;
			}
		}
	do {
		moved = 0;
		for (i = 0; i < NS; i++) {
			int n = deliver(t, s, i, 1 + below(s, 40));

			if (n < 0)
				return -1;
			moved += n;
		}
	} while (moved);
	return 0;
}

/* What the run amounted to, on store 0 (OUTPOST_SYNC_STATS=1). */
static void stats(struct sim *s)
{
	static const char *const q[] = {
		"SELECT count(*) FROM children",
		"SELECT count(*) FROM _outpost_clk_children WHERE dead = 1",
		"SELECT count(*) FROM _outpost_clk_children WHERE col = '' AND "
		"dead = 0",
		"SELECT count(*) FROM learning_progress",
		"SELECT count(*) FROM _outpost_clk_learning_progress WHERE "
		"col = '' AND dead = 0",
		"SELECT count(*) FROM _outpost_changes WHERE tbl = "
		"'learning_progress' AND op = 'I' AND vals LIKE '%again%'",
		"SELECT count(*) FROM points_transactions",
		"SELECT count(*) FROM \"LearningPoint\"",
		"SELECT count(*) FROM _outpost_parked",
		"SELECT count(*) FROM _outpost_changes",
		"SELECT count(*) FROM _outpost_changes WHERE tbl = 'RELATED_TO'",
	};
	size_t i;

	for (i = 0; i < sizeof(q) / sizeof(q[0]); i++)
		fprintf(stderr, "%lld  %s\n", t_int(s->db[0], q[i]), q[i]);
	fprintf(stderr, "changes made: %zu %zu %zu\n", s->out[0].n,
		s->out[1].n, s->out[2].n);
}

static void one_seed(struct t *t, unsigned long long seed)
{
	struct sim *s = calloc(1, sizeof(*s));
	char *d0 = NULL, *d;
	int i;

	CHECK(s);
	if (setup(t, s, seed) != 0 || run(t, s, ROUNDS, STEPS) != 0) {
		if (!t->failed)
			t_fail(t, __FILE__, __LINE__, "seed %llu: set-up or a "
			       "write failed", seed);
		teardown(s);
		free(s);
		return;
	}
	if (getenv("OUTPOST_SYNC_STATS"))
		stats(s);
	for (i = 0; i < NS && !t->failed; i++) {
		d = ts_dump_all(s->db[i]);
		if (!d0)
			d0 = d;
		else if (strcmp(d0, d) != 0)
			t_fail(t, __FILE__, __LINE__, "seed %llu: stores 0 and "
			       "%d differ: %s", seed, i, ts_first_diff(d0, d));
		if (d != d0)
			free(d);
	}
	free(d0);
	teardown(s);
	free(s);
}

void test_sync_converge_random(struct t *t)
{
	const char *env = getenv("OUTPOST_SEED");
	unsigned long long seed;
	int k;

	if (env) {
		one_seed(t, strtoull(env, NULL, 10));
		return;
	}
	seed = op_hlc_wall_ms();
	for (k = 0; k < SEEDS && !t->failed; k++)
		one_seed(t, seed + (unsigned long long)k);
}
