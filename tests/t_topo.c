/* t_topo.c - outpost_graph_topo() against networkx: for each kind of
 * graph (random DAGs, a chain, stacked diamonds, wide layers of uuids
 * alike but for their last bytes, disconnected parts, a multigraph, DAGs
 * with cycles added) and several seeds, tests/oracle/topo_oracle.py
 * writes neo4j-admin CSV files and, per start node, the order
 * nx.lexicographical_topological_sort gives its ancestors (or that they
 * hold a cycle); the files are imported into a fresh store and outpost
 * must give exactly that order, or refuse naming a node on a cycle. By
 * hand: edges added one at a time (read from the b-tree, not the CSR
 * snapshot of an import), unknown names, and the refusal's message. */
#include <stdlib.h>

#include "check.h"

static const char topo_schema[] =
	"{\"schema\": \"topo\", \"version\": 1,\n"
	" \"nodes\": {\"Point\": {\"columns\": {\n"
	"   \"id\": {\"type\": \"uuid\", \"primary_key\": true},\n"
	"   \"name\": {\"type\": \"text\"}}}},\n"
	" \"relationships\": {\n"
	"   \"PREREQ\": {\"from\": \"Point\", \"to\": \"Point\", "
	"\"acyclic\": true},\n"
	"   \"LINK\": {\"from\": \"Point\", \"to\": \"Point\", "
	"\"acyclic\": false},\n"
	"   \"NEAR\": {\"from\": \"Point\", \"to\": \"Point\", "
	"\"acyclic\": false}}}\n";

#define MAX_SHOWN 20 /* mismatches printed per graph */
#define UUID_LEN 36

/* Nodes a callback was given, in order; stop_after > 0 stops it there. */
struct nodes {
	char (*uuid)[37];
	size_t n, cap;
	size_t stop_after;
	int bad_depth;
};

static int collect(void *ctx, const char *uuid, int depth)
{
	struct nodes *s = ctx;

	if (depth != 0)
		s->bad_depth = 1;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		void *u = realloc(s->uuid, cap * sizeof(*s->uuid));

		if (!u)
			return 1;
		s->uuid = u;
		s->cap = cap;
	}
	snprintf(s->uuid[s->n++], 37, "%s", uuid);
	return s->stop_after && s->n >= s->stop_after;
}

static void nodes_free(struct nodes *s)
{
	free(s->uuid);
	memset(s, 0, sizeof(*s));
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

static int is_uuid(const char *p)
{
	int i;

	for (i = 0; i < UUID_LEN; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? p[i] != '-' : !strchr("0123456789abcdef", p[i]) ||
						 !p[i])
			return 0;
	}
	return 1;
}

/* The uuids a refusal names as its cycle (after the last ": "), each
 * copied into out[]; how many, or -1 when there is no listing. */
static int cycle_uuids(const char *msg, char out[][37], int max)
{
	const char *p = msg ? strstr(msg, "order: ") : NULL;
	int n = 0;

	if (!p)
		return -1;
	for (p += 7; *p; p++)
		if (is_uuid(p) && n < max) {
			memcpy(out[n], p, UUID_LEN);
			out[n++][UUID_LEN] = '\0';
			p += UUID_LEN - 1;
		}
	return n;
}

/* One row of expected.csv. */
struct row {
	int line;
	char type[16], start[37], status[8];
	long long count;
	char *nodes; /* uuids separated by spaces */
};

/* One imported graph. */
struct g {
	struct t *t;
	const char *kind;
	int seed;
	outpost *db;
	int bad; /* mismatches so far */
};

static void mismatch(struct g *g, const struct row *r, const char *fmt,
		     long long got, long long want)
{
	char what[256];

	if (g->bad++ >= MAX_SHOWN)
		return;
	snprintf(what, sizeof(what), fmt, got, want);
	t_fail(g->t, __FILE__, __LINE__,
	       "%s seed %d: expected.csv:%d %s of %s (%s, %lld): %s", g->kind,
	       g->seed, r->line, r->type, r->start, r->status, r->count, what);
}

/* Split a line "type,start,status,count,nodes" in place. */
static int parse_row(struct row *r, char *line, int no)
{
	char *f[5], *p = line;
	int i;

	for (i = 0; i < 5; i++) {
		f[i] = p;
		p += strcspn(p, i < 4 ? "," : "\r\n");
		if (i < 4 && *p != ',')
			return -1;
		*p++ = '\0';
	}
	if (strlen(f[0]) >= sizeof(r->type) || strlen(f[1]) != UUID_LEN ||
	    strlen(f[2]) >= sizeof(r->status))
		return -1;
	r->line = no;
	snprintf(r->type, sizeof(r->type), "%s", f[0]);
	snprintf(r->start, sizeof(r->start), "%s", f[1]);
	snprintf(r->status, sizeof(r->status), "%s", f[2]);
	r->count = strtoll(f[3], NULL, 10);
	r->nodes = f[4];
	return 0;
}

/* An ordered row: exactly the oracle's order, the start never in it,
 * the count without fn, and a listing fn stops after two. */
static void check_order(struct g *g, const struct row *r)
{
	struct nodes s = {0};
	long long count = -1;
	size_t i;
	int rc;

	rc = outpost_graph_topo(g->db, r->type, r->start, collect, &s, &count);
	if (rc != OUTPOST_OK) {
		mismatch(g, r, "rc %lld, want %lld", rc, OUTPOST_OK);
		t_fail(g->t, __FILE__, __LINE__, "    %s",
		       outpost_errmsg(g->db));
		goto done;
	}
	if (count != r->count || (long long)s.n != r->count)
		mismatch(g, r, "counted %lld, want %lld",
			 count != r->count ? count : (long long)s.n, r->count);
	for (i = 0; i < s.n && i < (size_t)r->count; i++) {
		const char *want = r->nodes + i * (UUID_LEN + 1);

		if (strcmp(s.uuid[i], r->start) == 0)
			mismatch(g, r, "the start listed at %lld (of %lld)",
				 (long long)i, r->count);
		if (strncmp(s.uuid[i], want, UUID_LEN) != 0) {
			mismatch(g, r, "order differs at %lld (of %lld)",
				 (long long)i, r->count);
			break;
		}
	}
	if (s.bad_depth)
		mismatch(g, r, "a depth not 0 (%lld, %lld)", 1, 0);
	rc = outpost_graph_topo(g->db, r->type, r->start, NULL, NULL, &count);
	if (rc != OUTPOST_OK || count != r->count)
		mismatch(g, r, "without fn: counted %lld, want %lld", count,
			 r->count);
	if (r->count >= 3) {
		nodes_free(&s);
		s.stop_after = 2;
		rc = outpost_graph_topo(g->db, r->type, r->start, collect, &s,
					&count);
		if (rc != OUTPOST_OK || s.n != 2 || count != 2 ||
		    strncmp(s.uuid[1], r->nodes + UUID_LEN + 1, UUID_LEN) != 0)
			mismatch(g, r, "fn stopping at 2 (the first two?): "
				 "listed %lld, counted %lld", (long long)s.n,
				 count);
	}
done:
	nodes_free(&s);
}

/* A refused row: OUTPOST_EREFUSED, nothing listed, the message names
 * the type and a cycle of nodes that lie on one. */
static void check_refusal(struct g *g, const struct row *r)
{
	struct nodes s = {0};
	char named[16][37];
	const char *msg;
	long long count = -1;
	int rc, n, i, before = g->bad;

	rc = outpost_graph_topo(g->db, r->type, r->start, collect, &s, &count);
	msg = outpost_errmsg(g->db);
	if (rc != OUTPOST_EREFUSED)
		mismatch(g, r, "rc %lld, want %lld", rc, OUTPOST_EREFUSED);
	else if (count != 0 || s.n != 0)
		mismatch(g, r, "refused yet listed %lld, counted %lld",
			 (long long)s.n, count);
	else if (!strstr(msg, r->type) || !strstr(msg, "cycle"))
		mismatch(g, r, "message names neither type nor cycle (%lld, "
			 "%lld)", 0, 1);
	nodes_free(&s);
	if (rc != OUTPOST_EREFUSED)
		return;
	n = cycle_uuids(msg, named, 16);
	if (n < 2 || strcmp(named[0], named[n - 1]) != 0)
		mismatch(g, r, "the cycle named is not closed: %lld uuids "
			 "(want >= %lld)", n, 2);
	for (i = 0; i < n; i++)
		if (!strstr(r->nodes, named[i]))
			mismatch(g, r, "the message names node %lld (of %lld) "
				 "which is on no cycle", i, n);
	if (g->bad > before && before < MAX_SHOWN)
		t_fail(g->t, __FILE__, __LINE__, "    message: %s", msg);
}

static int check_rows(struct g *g, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	int no = 0, rows = 0;

	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0) {
		struct row r;

		if (++no == 1)
			continue; /* header */
		if (parse_row(&r, line, no) != 0) {
			t_fail(g->t, __FILE__, __LINE__, "%s:%d: bad row",
			       path, no);
			rows = -1;
			break;
		}
		if (strcmp(r.status, "ok") == 0)
			check_order(g, &r);
		else
			check_refusal(g, &r);
		rows++;
	}
	free(line);
	fclose(f);
	return rows;
}

/* Generate the graph, import it into a new store, ask every row. */
static void run_one(struct t *t, const char *kind, int seed)
{
	char root[512], name[64], dir[512], store[512], schema[512],
		nodes[512], edges[512], expected[512], *out = NULL;
	const char *nf[1] = {nodes}, *ef[1] = {edges};
	struct g g = {t, kind, seed, NULL, 0};
	int rc;

	repo_root(root);
	snprintf(name, sizeof(name), "%s-%d", kind, seed);
	t_path(dir, t, name);
	rc = t_sh(&out, "python3 '%s/tests/oracle/topo_oracle.py' --kind %s "
		  "--seed %d --out '%s'", root, kind, seed, dir);
	if (rc != 0) {
		t_fail(t, __FILE__, __LINE__, "%s seed %d: topo_oracle.py "
		       "exited %d (it needs python3 with networkx: "
		       "tools/install-deps): %s", kind, seed, rc,
		       out ? out : "");
		free(out);
		return;
	}
	free(out);
	snprintf(name, sizeof(name), "%s-%d/store", kind, seed);
	t_path(store, t, name);
	snprintf(name, sizeof(name), "%s-%d/nodes.csv", kind, seed);
	t_path(nodes, t, name);
	snprintf(name, sizeof(name), "%s-%d/edges.csv", kind, seed);
	t_path(edges, t, name);
	snprintf(name, sizeof(name), "%s-%d/expected.csv", kind, seed);
	t_path(expected, t, name);
	t_path(schema, t, "schema.json");
	if (t_write(schema, topo_schema) != 0 ||
	    outpost_init(&g.db, store, NULL) != OUTPOST_OK ||
	    outpost_schema_apply(g.db, schema) != OUTPOST_OK ||
	    outpost_import(g.db, nf, 1, ef, 1, NULL) != OUTPOST_OK)
		t_fail(t, __FILE__, __LINE__, "%s seed %d: setup: %s", kind,
		       seed, outpost_errmsg(g.db));
	else if (check_rows(&g, expected) <= 0)
		t_fail(t, __FILE__, __LINE__, "%s: no rows read", expected);
	if (g.bad > MAX_SHOWN)
		t_fail(t, __FILE__, __LINE__, "%s seed %d: ... and %d more "
		       "mismatches", kind, seed, g.bad - MAX_SHOWN);
	outpost_close(g.db);
}

void test_topo_dag_matches_networkx(struct t *t)
{
	int seed;

	for (seed = 1; seed <= 4 && !t->failed; seed++)
		run_one(t, "dag", seed);
}

void test_topo_shapes_match_networkx(struct t *t)
{
	static const char *const kinds[] = {"chain", "diamond", "wide",
					    "disconnected", "multigraph"};
	size_t k;
	int seed;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		for (seed = 1; seed <= 2 && !t->failed; seed++)
			run_one(t, kinds[k], seed);
}

void test_topo_cycles_refused_like_networkx(struct t *t)
{
	int seed;

	for (seed = 1; seed <= 3 && !t->failed; seed++)
		run_one(t, "cyclic", seed);
}

/* ---- by hand: nodes with known uuids, edges added one at a time ---- */

#define U(n) "00000000-0000-7000-8000-0000000000" #n

static outpost *hand_store(struct t *t)
{
	char dir[512], schema[512];
	outpost *db = NULL;

	t_path(dir, t, "store");
	t_path(schema, t, "topo.json");
	if (t_write(schema, topo_schema) != 0 ||
	    outpost_init(&db, dir, NULL) != OUTPOST_OK ||
	    outpost_schema_apply(db, schema) != OUTPOST_OK ||
	    outpost_sql(db, "INSERT INTO Point(id, name) VALUES "
			"('" U(10) "', 'a'), ('" U(11) "', 'b'), "
			"('" U(12) "', 'c'), ('" U(13) "', 'd'), "
			"('" U(14) "', 'e'), ('" U(15) "', 'f'), "
			"('" U(16) "', 'g'), ('" U(17) "', 'h')",
			NULL, 0, NULL, NULL) != OUTPOST_OK) {
		fprintf(stderr, "setup: %s\n", outpost_errmsg(db));
		outpost_close(db);
		return NULL;
	}
	return db;
}

static int add(outpost *db, const char *type, const char *from,
	       const char *to)
{
	outpost_edge e = OUTPOST_EDGE_INIT;

	e.type = type;
	e.from = from;
	e.to = to;
	return outpost_graph_edge_add(db, &e, NULL);
}

/* The listing of topo(type, node) as "u u u" (uuids' last 2 digits). */
static int listing(outpost *db, const char *type, const char *node,
		   char *out, size_t n, long long *count)
{
	struct nodes s = {0};
	size_t i, len = 0;
	int rc = outpost_graph_topo(db, type, node, collect, &s, count);

	out[0] = '\0';
	for (i = 0; i < s.n && len + 4 < n; i++)
		len += (size_t)snprintf(out + len, n - len, "%s%s",
					i ? " " : "", s.uuid[i] + 34);
	nodes_free(&s);
	return rc;
}

/* A diamond and more, each edge added alone: the order, ties by uuid,
 * never the start; fn may stop it; a node with no ancestors. */
void test_topo_edges_added_one_by_one(struct t *t)
{
	outpost *db = hand_store(t);
	struct nodes s = {0};
	char got[256];
	long long n = -1;

	CHECK(db);
	/* h -> {c, b} -> a: b before c, uuid order. */
	CHECK_OK(db, add(db, "PREREQ", U(17), U(12)));
	CHECK_OK(db, add(db, "PREREQ", U(17), U(11)));
	CHECK_OK(db, add(db, "PREREQ", U(12), U(10)));
	CHECK_OK(db, add(db, "PREREQ", U(11), U(10)));
	CHECK_OK(db, listing(db, "PREREQ", U(10), got, sizeof(got), &n));
	CHECK_STR(got, "17 11 12");
	CHECK_EQ(n, 3);
	/* A source has none. */
	CHECK_OK(db, listing(db, "PREREQ", U(17), got, sizeof(got), &n));
	CHECK_STR(got, "");
	CHECK_EQ(n, 0);
	/* e -> b (a second source, smaller than h, but it waits for
	 * nothing: it comes first); f -> h, and g -> c twice. */
	CHECK_OK(db, add(db, "PREREQ", U(14), U(11)));
	CHECK_OK(db, add(db, "PREREQ", U(15), U(17)));
	CHECK_OK(db, add(db, "PREREQ", U(16), U(12)));
	CHECK_OK(db, add(db, "PREREQ", U(16), U(12)));
	/* Ready at first: e, f, g, taken by uuid; f releases h, which is
	 * still larger than g; h releases b and c (e and g are taken). */
	CHECK_OK(db, listing(db, "PREREQ", U(10), got, sizeof(got), &n));
	CHECK_STR(got, "14 15 16 17 11 12");
	CHECK_EQ(n, 6);
	/* Other types do not count, and d is nobody's. */
	CHECK_OK(db, add(db, "LINK", U(13), U(10)));
	CHECK_OK(db, add(db, "NEAR", U(10), U(10)));
	CHECK_OK(db, listing(db, "PREREQ", U(10), got, sizeof(got), &n));
	CHECK_STR(got, "14 15 16 17 11 12");
	CHECK_OK(db, listing(db, "LINK", U(10), got, sizeof(got), &n));
	CHECK_STR(got, "13");
	/* fn stops after 2; fn NULL still counts. */
	s.stop_after = 2;
	CHECK_OK(db, outpost_graph_topo(db, "PREREQ", U(10), collect, &s, &n));
	CHECK_EQ(s.n, 2);
	CHECK_EQ(n, 2);
	CHECK_STR(s.uuid[1], U(15));
	nodes_free(&s);
	CHECK_OK(db, outpost_graph_topo(db, "PREREQ", U(10), NULL, NULL, &n));
	CHECK_EQ(n, 6);
	CHECK_OK(db, outpost_graph_topo(db, "PREREQ", U(10), NULL, NULL, NULL));
	outpost_close(db);
}

/* No such node, no such type, a type with no edge yet, bad arguments. */
void test_topo_unknown_node_and_type(struct t *t)
{
	outpost *db = hand_store(t);
	long long n = -1;

	CHECK(db);
	CHECK_OK(db, add(db, "PREREQ", U(11), U(10)));
	CHECK_RC(outpost_graph_topo(db, "PREREQ", "nobody", NULL, NULL, &n),
		 OUTPOST_ENOTFOUND);
	CHECK_HAS(outpost_errmsg(db), "no node \"nobody\"");
	CHECK_EQ(n, 0);
	CHECK_RC(outpost_graph_topo(db, "PREREQ", U(99), NULL, NULL, &n),
		 OUTPOST_ENOTFOUND);
	CHECK_HAS(outpost_errmsg(db), U(99));
	n = -1;
	CHECK_RC(outpost_graph_topo(db, "NOPE", U(10), NULL, NULL, &n),
		 OUTPOST_ENOTFOUND);
	CHECK_HAS(outpost_errmsg(db), "unknown relationship type \"NOPE\"");
	CHECK_EQ(n, 0);
	/* In the schema, but no edge of it yet: no ancestors; a node that
	 * is none is still not found. */
	CHECK_OK(db, outpost_graph_topo(db, "NEAR", U(10), NULL, NULL, &n));
	CHECK_EQ(n, 0);
	CHECK_RC(outpost_graph_topo(db, "NEAR", "nobody", NULL, NULL, &n),
		 OUTPOST_ENOTFOUND);
	CHECK_RC(outpost_graph_topo(NULL, "PREREQ", U(10), NULL, NULL, &n),
		 OUTPOST_EMISUSE);
	CHECK_RC(outpost_graph_topo(db, NULL, U(10), NULL, NULL, &n),
		 OUTPOST_EMISUSE);
	CHECK_RC(outpost_graph_topo(db, "PREREQ", NULL, NULL, NULL, &n),
		 OUTPOST_EMISUSE);
	outpost_close(db);
}

/* LINK is not acyclic: a cycle among the ancestors, through the start,
 * or a self loop is refused, naming the type and the cycle; nodes
 * upstream of it are not refused. */
void test_topo_cycle_refusal_names_it(struct t *t)
{
	outpost *db = hand_store(t);
	struct nodes s = {0};
	char got[256];
	long long n = -1;

	CHECK(db);
	/* h -> a -> b -> c -> a, c -> d */
	CHECK_OK(db, add(db, "LINK", U(17), U(10)));
	CHECK_OK(db, add(db, "LINK", U(10), U(11)));
	CHECK_OK(db, add(db, "LINK", U(11), U(12)));
	CHECK_OK(db, add(db, "LINK", U(12), U(10)));
	CHECK_OK(db, add(db, "LINK", U(12), U(13)));
	CHECK_RC(outpost_graph_topo(db, "LINK", U(13), collect, &s, &n),
		 OUTPOST_EREFUSED);
	CHECK_EQ(s.n, 0);
	CHECK_EQ(n, 0);
	CHECK_HAS(outpost_errmsg(db), "relationship type \"LINK\"");
	CHECK_HAS(outpost_errmsg(db), "hold a cycle");
	CHECK_HAS(outpost_errmsg(db), U(10));
	CHECK_HAS(outpost_errmsg(db), U(11));
	CHECK_HAS(outpost_errmsg(db), U(12));
	CHECK(!strstr(outpost_errmsg(db), U(17)));
	/* Through the start. */
	CHECK_RC(outpost_graph_topo(db, "LINK", U(11), NULL, NULL, &n),
		 OUTPOST_EREFUSED);
	/* Upstream of the cycle: fine. */
	CHECK_OK(db, listing(db, "LINK", U(17), got, sizeof(got), &n));
	CHECK_STR(got, "");
	/* A self loop on the start, and on an ancestor. */
	CHECK_OK(db, add(db, "LINK", U(14), U(15)));
	CHECK_OK(db, listing(db, "LINK", U(15), got, sizeof(got), &n));
	CHECK_STR(got, "14");
	CHECK_OK(db, add(db, "LINK", U(15), U(15)));
	CHECK_RC(outpost_graph_topo(db, "LINK", U(15), NULL, NULL, &n),
		 OUTPOST_EREFUSED);
	CHECK_HAS(outpost_errmsg(db), U(15) " -> " U(15));
	CHECK_OK(db, add(db, "LINK", U(15), U(16)));
	CHECK_RC(outpost_graph_topo(db, "LINK", U(16), NULL, NULL, &n),
		 OUTPOST_EREFUSED);
	CHECK_HAS(outpost_errmsg(db), U(15) " -> " U(15));
	/* PREREQ is acyclic and unaffected. */
	CHECK_OK(db, listing(db, "PREREQ", U(13), got, sizeof(got), &n));
	CHECK_STR(got, "");
	outpost_close(db);
}

/* A long cycle is named shortened in the middle. */
void test_topo_long_cycle_shortened(struct t *t)
{
	outpost *db = hand_store(t);
	char dir[512], nodes[512], edges[512], line[128];
	const char *nf[1] = {nodes}, *ef[1] = {edges};
	FILE *fn, *fe;
	int i;

	CHECK(db);
	t_path(dir, t, "ring");
	t_path(nodes, t, "ring-nodes.csv");
	t_path(edges, t, "ring-edges.csv");
	fn = fopen(nodes, "w");
	fe = fopen(edges, "w");
	CHECK(fn && fe);
	fputs("id:ID,:LABEL\n", fn);
	fputs(":START_ID,:END_ID,:TYPE\n", fe);
	for (i = 0; i < 30; i++) {
		fprintf(fn, "r%d,Point\n", i);
		snprintf(line, sizeof(line), "r%d,r%d,LINK\n", i, (i + 1) % 30);
		fputs(line, fe);
	}
	fputs("r0,tail,LINK\n", fe);
	fputs("tail,Point\n", fn);
	CHECK(fclose(fn) == 0);
	CHECK(fclose(fe) == 0);
	CHECK_OK(db, outpost_import(db, nf, 1, ef, 1, NULL));
	CHECK_RC(outpost_graph_topo(db, "LINK", "tail", NULL, NULL, NULL),
		 OUTPOST_EREFUSED);
	CHECK_HAS(outpost_errmsg(db), "the ancestors of \"tail\" hold a "
				      "cycle");
	CHECK_HAS(outpost_errmsg(db), " -> ... (18 more) -> ");
	outpost_close(db);
}
