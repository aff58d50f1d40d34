/* t_graph.c - graph traversals against networkx: for each kind of graph
 * (a DAG, cycles, a multigraph, self loops, several components, hubs) and
 * two seeds, tests/oracle/graph_oracle.py writes neo4j-admin CSV files and
 * the answers networkx gives; the files are imported into a fresh store
 * and every answer is asked of outpost, in batches (count_many,
 * path_many). Some are asked again one at a time: a listing holds each
 * node once, as many as the count says, each at its true distance; a
 * path is a real path of the expected length. */
#include <stdlib.h>

#include "check.h"

static const char graph_schema[] =
	"{\"schema\": \"points\", \"version\": 1,\n"
	" \"nodes\": {\"Point\": {\"columns\": {\n"
	"   \"id\": {\"type\": \"uuid\", \"primary_key\": true},\n"
	"   \"name\": {\"type\": \"text\"}}}},\n"
	" \"relationships\": {\n"
	"   \"LINK\": {\"from\": \"Point\", \"to\": \"Point\", "
	"\"acyclic\": false},\n"
	"   \"NEAR\": {\"from\": \"Point\", \"to\": \"Point\", "
	"\"acyclic\": false}}}\n";

#define NAME_MAX_ 64
#define MAX_SHOWN 20 /* mismatches printed per graph */

/* One row of expected.csv. */
struct row {
	int line;
	int is_path;
	char start[NAME_MAX_], target[NAME_MAX_], type[8], dir[8];
	int k;
	long long answer;
};

/* One imported graph and its expected answers. */
struct g {
	struct t *t;
	const char *kind;
	int seed;
	outpost *db;
	struct row *rows;
	size_t nrows;
	int bad; /* mismatches so far */
	const char *types[1];
};

/* Nodes a callback was given, in order. */
struct nodes {
	char (*uuid)[37];
	int *depth;
	size_t n, cap;
};

static int collect(void *ctx, const char *uuid, int depth)
{
	struct nodes *s = ctx;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		void *u = realloc(s->uuid, cap * sizeof(*s->uuid));
		void *d;

		if (!u)
			return 1;
		s->uuid = u;
		if (!(d = realloc(s->depth, cap * sizeof(*s->depth))))
			return 1;
		s->depth = d;
		s->cap = cap;
	}
	snprintf(s->uuid[s->n], 37, "%s", uuid);
	s->depth[s->n++] = depth;
	return 0;
}

static void nodes_free(struct nodes *s)
{
	free(s->uuid);
	free(s->depth);
	memset(s, 0, sizeof(*s));
}

static int cmp_uuid(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The repository: OUTPOST_ROOT, else the parent of OUTPOST_SCHEMAS (make
 * test sets it to <repo>/schema), else the working directory. */
static void repo_root(char out[512])
{
	const char *r = getenv("OUTPOST_ROOT"), *s = getenv("OUTPOST_SCHEMAS");

	if (r && *r)
		snprintf(out, 512, "%s", r);
	else if (s && *s)
		snprintf(out, 512, "%s/..", s);
	else
		snprintf(out, 512, ".");
}

/* A traversal of type ("*" = any) and dir ("out", "in", "both") at
 * depths 1..k. */
static outpost_traversal trav(struct g *g, const char *type, const char *dir,
			      int k)
{
	outpost_traversal tr = OUTPOST_TRAVERSAL_INIT;

	if (strcmp(type, "*") != 0) {
		g->types[0] = type;
		tr.types = g->types;
		tr.ntypes = 1;
	}
	tr.direction = strcmp(dir, "in") == 0	   ? OUTPOST_IN
		       : strcmp(dir, "both") == 0 ? OUTPOST_BOTH
						  : OUTPOST_OUT;
	tr.min_depth = 1;
	tr.max_depth = k;
	return tr;
}

static void mismatch(struct g *g, const struct row *r, const char *what,
		     long long got, long long want)
{
	if (g->bad++ >= MAX_SHOWN)
		return;
	t_fail(g->t, __FILE__, __LINE__,
	       "%s seed %d: expected.csv:%d %s %s%s%s type %s dir %s k %d: "
	       "%s %lld, want %lld",
	       g->kind, g->seed, r->line, r->is_path ? "path" : "count",
	       r->start, r->is_path ? " -> " : "", r->is_path ? r->target : "",
	       r->type, r->dir, r->k, what, got, want);
}

/* Copy CSV field i of line (no quoting in expected.csv) into out. */
static int field(char *out, size_t n, const char *line, int i)
{
	const char *p = line, *e;

	while (i-- > 0 && (p = strchr(p, ',')) != NULL)
		p++;
	if (!p)
		return -1;
	e = p + strcspn(p, ",\r\n");
	if ((size_t)(e - p) >= n)
		return -1;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return 0;
}

static int read_expected(struct g *g, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512], q[8], k[16], a[32];
	size_t cap = 0;
	int no = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		struct row *r;

		if (++no == 1)
			continue; /* header */
		if (g->nrows == cap) {
			void *p;

			cap = cap ? cap * 2 : 1024;
			if (!(p = realloc(g->rows, cap * sizeof(*g->rows))))
				break;
			g->rows = p;
		}
		r = &g->rows[g->nrows];
		memset(r, 0, sizeof(*r));
		r->line = no;
		if (field(q, sizeof(q), line, 0) ||
		    field(r->start, NAME_MAX_, line, 1) ||
		    field(r->target, NAME_MAX_, line, 2) ||
		    field(r->type, sizeof(r->type), line, 3) ||
		    field(r->dir, sizeof(r->dir), line, 4) ||
		    field(k, sizeof(k), line, 5) ||
		    field(a, sizeof(a), line, 6))
			break;
		r->is_path = strcmp(q, "path") == 0;
		r->k = (int)strtol(k, NULL, 10);
		r->answer = strtoll(a, NULL, 10);
		g->nrows++;
	}
	if (ferror(f))
		g->nrows = 0;
	fclose(f);
	return g->nrows > 0 ? 0 : -1;
}

/* Generate the graph, read the answers, import it into a new store. */
static int setup(struct g *g, struct t *t, const char *kind, int seed)
{
	char root[512], dir[512], name[64], store[512], file[512], nodes[512],
		edges[512], *out = NULL;
	const char *nf[1], *ef[1];
	int rc;

	memset(g, 0, sizeof(*g));
	g->t = t;
	g->kind = kind;
	g->seed = seed;
	repo_root(root);
	if (t_sh(&out, "python3 -c 'import networkx'") != 0) {
		t_fail(t, __FILE__, __LINE__, "python3 with networkx is needed "
		       "as the graph tests' oracle and is missing (run "
		       "tools/install-deps, or apt-get install python3 "
		       "python3-networkx): %s", out ? out : "");
		free(out);
		return -1;
	}
	free(out);
	snprintf(name, sizeof(name), "%s-%d", kind, seed);
	t_path(dir, t, name);
	rc = t_sh(&out, "python3 '%s/tests/oracle/graph_oracle.py' --kind %s "
		  "--seed %d --out '%s'", root, kind, seed, dir);
	if (rc != 0) {
		t_fail(t, __FILE__, __LINE__, "%s seed %d: graph_oracle.py "
		       "exited %d: %s", kind, seed, rc, out ? out : "");
		free(out);
		return -1;
	}
	free(out);
	snprintf(name, sizeof(name), "%s-%d/expected.csv", kind, seed);
	t_path(file, t, name);
	if (read_expected(g, file) != 0) {
		t_fail(t, __FILE__, __LINE__, "%s: cannot read", file);
		return -1;
	}
	snprintf(name, sizeof(name), "%s-%d/store", kind, seed);
	t_path(store, t, name);
	snprintf(name, sizeof(name), "%s-%d/nodes.csv", kind, seed);
	t_path(nodes, t, name);
	snprintf(name, sizeof(name), "%s-%d/edges.csv", kind, seed);
	t_path(edges, t, name);
	t_path(file, t, "schema.json");
	nf[0] = nodes;
	ef[0] = edges;
	if (t_write(file, graph_schema) != 0 ||
	    outpost_init(&g->db, store, NULL) != OUTPOST_OK ||
	    outpost_schema_apply(g->db, file) != OUTPOST_OK ||
	    outpost_import(g->db, nf, 1, ef, 1, NULL) != OUTPOST_OK) {
		t_fail(t, __FILE__, __LINE__, "%s seed %d: setup: %s", kind,
		       seed, outpost_errmsg(g->db));
		return -1;
	}
	return 0;
}

static void teardown(struct g *g)
{
	outpost_close(g->db);
	free(g->rows);
	if (g->bad > MAX_SHOWN)
		t_fail(g->t, __FILE__, __LINE__, "%s seed %d: ... and %d "
		       "more mismatches", g->kind, g->seed,
		       g->bad - MAX_SHOWN);
}

/* The uuid of the node called name: the one node of the path name ->
 * name. 0 on success. */
static int node_uuid(struct g *g, const char *name, char out[37])
{
	outpost_traversal tr = OUTPOST_TRAVERSAL_INIT;
	struct nodes s = {0};
	long long len = -2;
	int rc;

	tr.max_depth = 0;
	rc = outpost_graph_path(g->db, &tr, name, name, collect, &s, &len);
	if (rc == OUTPOST_OK && len == 0 && s.n == 1)
		snprintf(out, 37, "%s", s.uuid[0]);
	else
		rc = OUTPOST_ERROR;
	nodes_free(&s);
	return rc;
}

static const char *const qtypes[] = {"LINK", "NEAR", "*"};
static const char *const qdirs[] = {"out", "in", "both"};
static const int qdepths[] = {1, 2, 3, 0};

/* Scratch space for one batch of count rows. */
struct batch {
	const char **starts;
	char (*uuids)[37];
	long long *got;
	size_t *idx;
};

/* The count rows of (type, dir, k) in one count_many, with names that
 * are no node mixed in (-1); again by uuid instead of import id, with a
 * limit of 3. */
static int count_group(struct g *g, struct batch *b, const char *type,
		       const char *dir, int k)
{
	outpost_traversal tr = trav(g, type, dir, k);
	size_t i, n = 0;
	int rc;

	for (i = 0; i < g->nrows; i++) {
		const struct row *r = &g->rows[i];

		if (!r->is_path && strcmp(r->type, type) == 0 &&
		    strcmp(r->dir, dir) == 0 && r->k == k) {
			b->idx[n] = i;
			b->starts[n++] = r->start;
		}
	}
	if (n == 0)
		return OUTPOST_OK;
	b->starts[n] = "p-no-such-node";
	b->starts[n + 1] = "00000000-0000-4000-8000-000000000000";
	rc = outpost_graph_count_many(g->db, &tr, b->starts, n + 2, b->got);
	for (i = 0; rc == OUTPOST_OK && i < n; i++)
		if (b->got[i] != g->rows[b->idx[i]].answer)
			mismatch(g, &g->rows[b->idx[i]], "count_many gave",
				 b->got[i], g->rows[b->idx[i]].answer);
	if (rc == OUTPOST_OK && (b->got[n] != -1 || b->got[n + 1] != -1))
		mismatch(g, &g->rows[b->idx[0]], "count_many of no node gave",
			 b->got[n] != -1 ? b->got[n] : b->got[n + 1], -1);
	for (i = 0; rc == OUTPOST_OK && i < n; i++) {
		rc = node_uuid(g, b->starts[i], b->uuids[i]);
		b->starts[i] = b->uuids[i];
	}
	tr.limit = 3;
	if (rc == OUTPOST_OK)
		rc = outpost_graph_count_many(g->db, &tr, b->starts, n, b->got);
	for (i = 0; rc == OUTPOST_OK && i < n; i++) {
		long long w = g->rows[b->idx[i]].answer;

		if (b->got[i] != (w < 3 ? w : 3))
			mismatch(g, &g->rows[b->idx[i]],
				 "count_many by uuid with limit 3 gave",
				 b->got[i], w < 3 ? w : 3);
	}
	return rc;
}

/* Every count row, one batch per (type, dir, k). */
static int check_counts(struct g *g)
{
	struct batch b;
	size_t ti, di, ki;
	int rc = OUTPOST_OK;

	b.starts = calloc(g->nrows + 2, sizeof(*b.starts));
	b.uuids = calloc(g->nrows, sizeof(*b.uuids));
	b.got = calloc(g->nrows + 2, sizeof(*b.got));
	b.idx = calloc(g->nrows, sizeof(*b.idx));
	if (!b.starts || !b.uuids || !b.got || !b.idx)
		rc = OUTPOST_ENOMEM;
	for (ti = 0; rc == OUTPOST_OK && ti < 3; ti++)
		for (di = 0; rc == OUTPOST_OK && di < 3; di++)
			for (ki = 0; rc == OUTPOST_OK && ki < 4; ki++)
				rc = count_group(g, &b, qtypes[ti], qdirs[di],
						 qdepths[ki]);
	free(b.starts);
	free(b.uuids);
	free(b.got);
	free(b.idx);
	return rc;
}

/* Every path row, one path_many per (type, dir). */
static int check_path_lengths(struct g *g)
{
	const char **a = calloc(g->nrows + 1, sizeof(*a));
	const char **b = calloc(g->nrows + 1, sizeof(*b));
	long long *got = calloc(g->nrows + 1, sizeof(*got));
	size_t *idx = calloc(g->nrows, sizeof(*idx));
	static const char *const combos[][2] = {
		{"*", "both"}, {"LINK", "out"}, {"*", "out"}};
	size_t c, i, n;
	int rc = OUTPOST_OK;

	if (!a || !b || !got || !idx)
		rc = OUTPOST_ENOMEM;
	for (c = 0; rc == OUTPOST_OK && c < 3; c++) {
		outpost_traversal tr = trav(g, combos[c][0], combos[c][1], 0);

		for (n = 0, i = 0; i < g->nrows; i++)
			if (g->rows[i].is_path &&
			    strcmp(g->rows[i].type, combos[c][0]) == 0 &&
			    strcmp(g->rows[i].dir, combos[c][1]) == 0) {
				idx[n] = i;
				a[n] = g->rows[i].start;
				b[n++] = g->rows[i].target;
			}
		if (n == 0)
			continue;
		a[n] = g->rows[idx[0]].start;
		b[n] = "p-no-such-node";
		rc = outpost_graph_path_many(g->db, &tr, a, b, n + 1, got);
		for (i = 0; rc == OUTPOST_OK && i < n; i++)
			if (got[i] != g->rows[idx[i]].answer)
				mismatch(g, &g->rows[idx[i]],
					 "path_many gave", got[i],
					 g->rows[idx[i]].answer);
		if (rc == OUTPOST_OK && got[n] != -1)
			mismatch(g, &g->rows[idx[0]],
				 "path_many to no node gave", got[n], -1);
	}
	free(a);
	free(b);
	free(got);
	free(idx);
	return rc;
}

/* Is y a neighbour of x (one step as tr's types and direction)? */
static int adjacent(struct g *g, outpost_traversal tr, const char *x,
		    const char *y)
{
	struct nodes s = {0};
	size_t i;
	int found = 0;

	tr.min_depth = 1;
	tr.max_depth = 1;
	tr.limit = 0;
	if (outpost_graph_neighbours(g->db, &tr, x, collect, &s, NULL) !=
	    OUTPOST_OK)
		return -1;
	for (i = 0; i < s.n; i++)
		found |= strcmp(s.uuid[i], y) == 0;
	nodes_free(&s);
	return found;
}

/* A listing of one count row: as many nodes as the count, each once,
 * never the start, breadth first, each at its true distance. */
static int check_listing(struct g *g, const struct row *r)
{
	outpost_traversal tr = trav(g, r->type, r->dir, r->k);
	struct nodes s = {0};
	char self[37];
	const char **a = NULL, **b = NULL;
	char(*sorted)[37] = NULL;
	long long count = -1, *len = NULL;
	size_t i;
	int rc;

	rc = node_uuid(g, r->start, self);
	if (rc == OUTPOST_OK)
		rc = outpost_graph_neighbours(g->db, &tr, r->start, collect, &s,
					      &count);
	if (rc != OUTPOST_OK)
		return rc;
	if (count != r->answer)
		mismatch(g, r, "neighbours counted", count, r->answer);
	if ((long long)s.n != count)
		mismatch(g, r, "neighbours listed", (long long)s.n, count);
	sorted = calloc(s.n + 1, sizeof(*sorted));
	a = calloc(s.n + 1, sizeof(*a));
	b = calloc(s.n + 1, sizeof(*b));
	len = calloc(s.n + 1, sizeof(*len));
	if (!sorted || !a || !b || !len)
		rc = OUTPOST_ENOMEM;
	for (i = 0; rc == OUTPOST_OK && i < s.n; i++) {
		memcpy(sorted[i], s.uuid[i], 37);
		if (strcmp(s.uuid[i], self) == 0)
			mismatch(g, r, "listing holds the start at depth",
				 s.depth[i], 0);
		if (s.depth[i] < 1 || (r->k > 0 && s.depth[i] > r->k) ||
		    (i > 0 && s.depth[i] < s.depth[i - 1]))
			mismatch(g, r, "listing out of depth order: depth",
				 s.depth[i], r->k);
		a[i] = self;
		b[i] = s.uuid[i];
	}
	if (rc == OUTPOST_OK) {
		qsort(sorted, s.n, sizeof(*sorted), cmp_uuid);
		for (i = 1; i < s.n; i++)
			if (strcmp(sorted[i], sorted[i - 1]) == 0)
				mismatch(g, r, "a node listed twice, listed",
					 (long long)s.n, count);
		/* Each listed node's depth is its distance. */
		tr.max_depth = 0;
		rc = outpost_graph_path_many(g->db, &tr, a, b, s.n, len);
	}
	for (i = 0; rc == OUTPOST_OK && i < s.n; i++)
		if (len[i] != s.depth[i])
			mismatch(g, r, "a listed node's depth differs from its "
				 "path length: depth", s.depth[i], len[i]);
	free(sorted);
	free(a);
	free(b);
	free(len);
	nodes_free(&s);
	return rc;
}

/* One path row: the path's nodes, a first and b last, each step an
 * edge as the traversal follows them; bounded by max_depth. */
static int check_path(struct g *g, const struct row *r)
{
	outpost_traversal tr = trav(g, r->type, r->dir, 0);
	struct nodes s = {0};
	char ua[37], ub[37];
	long long len = -2;
	size_t i;
	int rc;

	rc = node_uuid(g, r->start, ua);
	if (rc == OUTPOST_OK)
		rc = node_uuid(g, r->target, ub);
	if (rc == OUTPOST_OK)
		rc = outpost_graph_path(g->db, &tr, r->start, r->target,
					collect, &s, &len);
	if (rc != OUTPOST_OK)
		return rc;
	if (len != r->answer)
		mismatch(g, r, "graph_path gave", len, r->answer);
	if ((long long)s.n != (r->answer < 0 ? 0 : r->answer + 1))
		mismatch(g, r, "graph_path listed nodes:", (long long)s.n,
			 r->answer < 0 ? 0 : r->answer + 1);
	else if (s.n > 0 && (strcmp(s.uuid[0], ua) != 0 ||
			     strcmp(s.uuid[s.n - 1], ub) != 0))
		mismatch(g, r, "graph_path does not run from a to b: nodes",
			 (long long)s.n, r->answer + 1);
	for (i = 1; i < s.n; i++) {
		int adj = adjacent(g, tr, s.uuid[i - 1], s.uuid[i]);

		if (adj != 1)
			mismatch(g, r, "graph_path step is no edge: step",
				 (long long)i, adj);
		if (s.depth[i] != (int)i)
			mismatch(g, r, "graph_path node index", s.depth[i],
				 (long long)i);
	}
	nodes_free(&s);
	/* max_depth bounds the length (0 means unbounded). */
	if (r->answer >= 2) {
		tr.max_depth = (int)r->answer;
		rc = outpost_graph_path(g->db, &tr, r->start, r->target, NULL,
					NULL, &len);
		if (rc == OUTPOST_OK && len != r->answer)
			mismatch(g, r, "graph_path with max_depth = length "
				 "gave", len, r->answer);
		tr.max_depth = (int)r->answer - 1;
		if (rc == OUTPOST_OK)
			rc = outpost_graph_path(g->db, &tr, r->start,
						r->target, NULL, NULL, &len);
		if (rc == OUTPOST_OK && len != -1)
			mismatch(g, r, "graph_path with max_depth = length - 1 "
				 "gave", len, -1);
	}
	return rc;
}

static void run_kind(struct t *t, const char *kind)
{
	int seed;

	for (seed = 1; seed <= 2; seed++) {
		struct g g;
		size_t i, counts = 0;
		int rc;

		if (setup(&g, t, kind, seed) != 0) {
			teardown(&g);
			return;
		}
		rc = check_counts(&g);
		if (rc == OUTPOST_OK)
			rc = check_path_lengths(&g);
		for (i = 0; rc == OUTPOST_OK && i < g.nrows; i++) {
			if (g.rows[i].is_path)
				rc = check_path(&g, &g.rows[i]);
			else if (counts++ % 11 == 0)
				rc = check_listing(&g, &g.rows[i]);
		}
		if (rc != OUTPOST_OK)
			t_fail(t, __FILE__, __LINE__, "%s seed %d: %s: %s",
			       kind, seed, outpost_errstr(rc),
			       outpost_errmsg(g.db));
		teardown(&g);
		if (t->failed)
			return;
	}
}

void test_graph_dag_matches_networkx(struct t *t)
{
	run_kind(t, "dag");
}

void test_graph_cycles_matches_networkx(struct t *t)
{
	run_kind(t, "cycles");
}

void test_graph_multigraph_matches_networkx(struct t *t)
{
	run_kind(t, "multigraph");
}

void test_graph_selfloops_matches_networkx(struct t *t)
{
	run_kind(t, "selfloops");
}

void test_graph_disconnected_matches_networkx(struct t *t)
{
	run_kind(t, "disconnected");
}

void test_graph_hubs_matches_networkx(struct t *t)
{
	run_kind(t, "hubs");
}

/* A node whose keys are, in order, LINK out (two values), LINK in (two)
 * and NEAR out (one): the single value must not be read from the cursor
 * state the keys with duplicates left behind. */
void test_graph_single_edge_key_after_repeated_ones(struct t *t)
{
	static const char *const near[] = {"NEAR"};
	outpost_traversal tr = OUTPOST_TRAVERSAL_INIT;
	char dir[512], file[512], nodes[512], edges[512];
	const char *nf[1] = {nodes}, *ef[1] = {edges};
	outpost *db = NULL;
	long long n = -1;

	t_path(dir, t, "store");
	t_path(file, t, "schema.json");
	t_path(nodes, t, "nodes.csv");
	t_path(edges, t, "edges.csv");
	CHECK(t_write(file, graph_schema) == 0);
	CHECK(t_write(nodes, "id:ID,:LABEL\na,Point\nb,Point\nc,Point\n"
			     "d,Point\ne,Point\nf,Point\n") == 0);
	CHECK(t_write(edges, ":START_ID,:END_ID,:TYPE\na,b,LINK\na,c,LINK\n"
			     "d,a,LINK\ne,a,LINK\na,f,NEAR\n") == 0);
	CHECK_OK(db, outpost_init(&db, dir, NULL));
	CHECK_OK(db, outpost_schema_apply(db, file));
	CHECK_OK(db, outpost_import(db, nf, 1, ef, 1, NULL));
	/* Any type, out: b, c, f. */
	CHECK_OK(db, outpost_graph_neighbours(db, &tr, "a", NULL, NULL, &n));
	CHECK_EQ(n, 3);
	/* NEAR, both directions: f. */
	tr.types = near;
	tr.ntypes = 1;
	tr.direction = OUTPOST_BOTH;
	CHECK_OK(db, outpost_graph_neighbours(db, &tr, "a", NULL, NULL, &n));
	CHECK_EQ(n, 1);
	/* Any type, in: d, e. */
	tr.types = NULL;
	tr.ntypes = 0;
	tr.direction = OUTPOST_IN;
	CHECK_OK(db, outpost_graph_neighbours(db, &tr, "a", NULL, NULL, &n));
	CHECK_EQ(n, 2);
	outpost_close(db);
}
