/* t_cli_graph.c - `outpost graph` and `outpost import` end to end through
 * the binary: exact outputs of the traversals, their --from-file batch
 * forms, edge writes, the acyclic refusal, and usage errors (exit 2).
 *
 * The graph (imported from CSV, named by import id a..f):
 *   REQUIRES (acyclic): a->b, b->c, c->d, a->e
 *   RELATED (validity): d->f, f->a */
#include <stdlib.h>

#include "check.h"

#define OP(out, args)                                                        \
	t_sh(out, "cd '%s' && '%s' -d store " args, t->dir, t_bin())
#define OPF(out, fmt, ...)                                                   \
	t_sh(out, "cd '%s' && '%s' -d store " fmt, t->dir, t_bin(),          \
	     __VA_ARGS__)

static const char g_schema[] =
	"{\"schema\": \"g\", \"version\": 1,\n"
	" \"nodes\": {\"Topic\": {\"columns\": {\n"
	"   \"id\": {\"type\": \"uuid\", \"primary_key\": true},\n"
	"   \"name\": {\"type\": \"text\"}}}},\n"
	" \"relationships\": {\n"
	"  \"REQUIRES\": {\"from\": \"Topic\", \"to\": \"Topic\", "
	"\"acyclic\": true},\n"
	"  \"RELATED\": {\"from\": \"Topic\", \"to\": \"Topic\", "
	"\"validity\": true,\n"
	"   \"properties\": {\"weight\": {\"type\": \"real\"}}}}}\n";

static const char g_nodes[] = "id:ID,name,:LABEL\n"
			      "a,a,Topic\nb,b,Topic\nc,c,Topic\n"
			      "d,d,Topic\ne,e,Topic\nf,f,Topic\n";
static const char g_rels[] = ":START_ID,:END_ID,:TYPE\n"
			     "a,b,REQUIRES\nb,c,REQUIRES\nc,d,REQUIRES\n"
			     "a,e,REQUIRES\nd,f,RELATED\nf,a,RELATED\n";

/* Values for {x} in expected texts: the nodes' uuids by name, and {E}
 * for an edge a test added. */
struct names {
	char v[128][40];
};

static int put(struct t *t, const char *name, const char *text)
{
	char path[512];

	t_path(path, t, name);
	return t_write(path, text);
}

/* tmpl with every {x} replaced by n->v[x]. */
static void expand(char *out, size_t cap, const char *tmpl,
		   const struct names *n)
{
	size_t len = 0;

	for (; *tmpl && len + 40 < cap; tmpl++) {
		unsigned char k = (unsigned char)tmpl[1];

		if (*tmpl == '{' && k < 128 && n->v[k][0] && tmpl[2] == '}') {
			len += (size_t)snprintf(out + len, cap - len, "%s",
						n->v[k]);
			tmpl += 2;
		} else {
			out[len++] = *tmpl;
		}
	}
	out[len] = '\0';
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of s in sorted order (s is changed). */
static void sort_lines(char *s)
{
	char *line[64], *copy = strdup(s), *p = copy;
	size_t n = 0, i, len = 0;

	if (!copy)
		return;
	while (*p && n < 64) {
		line[n++] = p;
		p += strcspn(p, "\n");
		if (*p)
			*p++ = '\0';
	}
	qsort(line, n, sizeof(line[0]), cmp_line);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, strlen(line[i]) + 2, "%s\n",
					line[i]);
	free(copy);
}

/* Output equals tmpl expanded (in order, or as a set of lines). */
#define WANT(out, tmpl)                                                      \
	do {                                                                 \
		char w_[4096];                                               \
		expand(w_, sizeof(w_), tmpl, &nm);                           \
		CHECK_STR(out, w_);                                          \
	} while (0)
#define WANT_SET(out, tmpl)                                                  \
	do {                                                                 \
		char w_[4096];                                               \
		expand(w_, sizeof(w_), tmpl, &nm);                           \
		sort_lines(w_);                                              \
		sort_lines(out);                                             \
		CHECK_STR(out, w_);                                          \
	} while (0)

#define WANT_HAS(out, tmpl)                                                  \
	do {                                                                 \
		char w_[4096];                                               \
		expand(w_, sizeof(w_), tmpl, &nm);                           \
		CHECK_HAS(out, w_);                                          \
	} while (0)

/* A store with the schema, the graph imported through the CLI, and the
 * nodes' uuids in nm. Returns 0 on success. */
static int setup(struct t *t, struct names *nm)
{
	char *out = NULL, *p;
	int rc;

	memset(nm, 0, sizeof(*nm));
	if (put(t, "g.json", g_schema) || put(t, "n.csv", g_nodes) ||
	    put(t, "r.csv", g_rels) ||
	    OP(&out, "init --schema g.json") != 0)
		return -1;
	free(out);
	rc = OP(&out, "import --nodes n.csv --relationships r.csv");
	if (rc != 0 || strcmp(out, "imported: 1 node file, 1 relationship "
				   "file\n") != 0) {
		fprintf(stderr, "import: %s", out ? out : "");
		free(out);
		return -1;
	}
	free(out);
	if (OP(&out, "sql --csv \"SELECT name, id FROM Topic\"") != 0)
		return -1;
	for (p = strchr(out, '\n'); p && p[1] && p[2] == ',';
	     p = strchr(p + 1, '\n'))
		snprintf(nm->v[(unsigned char)p[1]], 40, "%.36s", p + 3);
	free(out);
	return nm->v['f'][0] ? 0 : -1;
}

void test_cli_graph_import_and_neighbours(struct t *t)
{
	struct names nm;
	char *out = NULL;

	CHECK(setup(t, &nm) == 0);
	CHECK_EQ(OP(&out, "graph neighbours a"), 0);
	WANT_SET(out, "{b}\n{e}\n");
	free(out);
	CHECK_EQ(OP(&out, "graph neighbours a --count"), 0);
	CHECK_STR(out, "2\n");
	free(out);
	CHECK_EQ(OP(&out, "graph neighbours a --dir in"), 0);
	WANT(out, "{f}\n");
	free(out);
	/* By uuid as well as by import id. */
	CHECK_EQ(OPF(&out, "graph neighbours %s --dir both --type REQUIRES",
		     nm.v['b']), 0);
	WANT_SET(out, "{a}\n{c}\n");
	free(out);
	CHECK_EQ(OP(&out, "graph neighbours a --type RELATED"), 0);
	CHECK_STR(out, "");
	free(out);
	CHECK_EQ(OP(&out, "graph neighbours a --type RELATED --type REQUIRES "
			  "--dir both --count"), 0);
	CHECK_STR(out, "3\n");
	free(out);
	CHECK_EQ(OP(&out, "graph neighbours a --min 2"), 0);
	WANT_SET(out, "{c}\n{d}\n{f}\n");
	free(out);
	CHECK_EQ(OP(&out, "graph neighbours a --min 2 --max 2"), 0);
	WANT(out, "{c}\n");
	free(out);
	CHECK_EQ(OP(&out, "graph neighbours a --max 0 --count"), 0);
	CHECK_STR(out, "5\n");
	free(out);
	CHECK_EQ(OP(&out, "graph neighbours a --limit 1 --count"), 0);
	CHECK_STR(out, "1\n");
	free(out);
	CHECK_EQ(OP(&out, "graph neighbours d --dir in --max 3 --json"), 0);
	WANT(out, "[\n  {\"uuid\": \"{c}\", \"depth\": 1},\n"
		  "  {\"uuid\": \"{b}\", \"depth\": 2},\n"
		  "  {\"uuid\": \"{a}\", \"depth\": 3}\n]\n");
	free(out);
	CHECK_EQ(OP(&out, "graph neighbours e --json"), 0);
	CHECK_STR(out, "[]\n");
	free(out);
	CHECK_EQ(OP(&out, "graph neighbours zz --json"), 1);
	CHECK_STR(out, "outpost: no node \"zz\" (name a node by its uuid or "
		       "its import id)\n");
	free(out);
	CHECK_EQ(OP(&out, "graph neighbours zz"), 1);
	CHECK_STR(out, "outpost: no node \"zz\" (name a node by its uuid or "
		       "its import id)\n");
	free(out);
	CHECK_EQ(OP(&out, "graph neighbours a --type NOPE"), 1);
	CHECK_STR(out, "outpost: unknown relationship type \"NOPE\" (not in "
		       "the schema)\n");
	free(out);
	/* Several files after one flag; edges to nodes already there. */
	CHECK(put(t, "n2.csv", "id:ID,name,:LABEL\ng,g,Topic\n") == 0);
	CHECK(put(t, "n3.csv", "id:ID,name,:LABEL\nh,h,Topic\n") == 0);
	CHECK(put(t, "r2.csv", ":START_ID,:END_ID,:TYPE\ne,g,REQUIRES\n"
			       "e,h,REQUIRES\n") == 0);
	CHECK_EQ(OP(&out, "import --relationships=r2.csv --nodes n2.csv "
			  "n3.csv"), 0);
	CHECK_STR(out, "imported: 2 node files, 1 relationship file\n");
	free(out);
	CHECK_EQ(OP(&out, "graph neighbours e --count"), 0);
	CHECK_STR(out, "2\n");
	free(out);
}

void test_cli_graph_reach_and_path(struct t *t)
{
	struct names nm;
	char *out = NULL;

	CHECK(setup(t, &nm) == 0);
	CHECK_EQ(OP(&out, "graph reach a"), 0);
	WANT_SET(out, "{b}\n{c}\n{d}\n{e}\n{f}\n");
	free(out);
	CHECK_EQ(OP(&out, "graph reach d --dir in"), 0);
	WANT_SET(out, "{a}\n{b}\n{c}\n{f}\n");
	free(out);
	CHECK_EQ(OP(&out, "graph reach d --dir in --type REQUIRES --count"),
		 0);
	CHECK_STR(out, "3\n");
	free(out);
	CHECK_EQ(OP(&out, "graph reach b --type REQUIRES"), 0);
	WANT(out, "{c}\n{d}\n");
	free(out);
	CHECK_EQ(OP(&out, "graph path a f"), 0);
	WANT(out, "{a}\n{b}\n{c}\n{d}\n{f}\n");
	free(out);
	CHECK_EQ(OP(&out, "graph path a f --length"), 0);
	CHECK_STR(out, "4\n");
	free(out);
	CHECK_EQ(OP(&out, "graph path e c --dir both --type REQUIRES"), 0);
	WANT(out, "{e}\n{a}\n{b}\n{c}\n");
	free(out);
	CHECK_EQ(OP(&out, "graph path f e --type REQUIRES"), 1);
	CHECK_STR(out, "outpost: no path from f to e\n");
	free(out);
	CHECK_EQ(OP(&out, "graph path f e --type REQUIRES --length"), 0);
	CHECK_STR(out, "-1\n");
	free(out);
	CHECK_EQ(OP(&out, "graph path a zz --length"), 1);
	CHECK_STR(out, "outpost: no node \"zz\" (name a node by its uuid or "
		       "its import id)\n");
	free(out);
}

void test_cli_graph_from_file(struct t *t)
{
	struct names nm;
	char *out = NULL;

	CHECK(setup(t, &nm) == 0);
	CHECK(put(t, "q.txt", "a\n\n  b  \r\nzz\n\t\nd") == 0);
	CHECK(put(t, "qbad.txt", "a\n\nb c\nd\n") == 0);
	CHECK(put(t, "p.txt", "a f\nf\te\n\nzz a\n  a   a  \n") == 0);
	CHECK(put(t, "pbad.txt", "a f\nf\n") == 0);
	CHECK_EQ(OP(&out, "graph neighbours --from-file q.txt"), 0);
	CHECK_STR(out, "a\t2\nb\t1\nzz\t-1\nd\t1\n");
	free(out);
	CHECK_EQ(OP(&out, "graph neighbours --from-file q.txt --max 0 "
			  "--type REQUIRES --count"), 0);
	CHECK_STR(out, "a\t4\nb\t2\nzz\t-1\nd\t0\n");
	free(out);
	CHECK_EQ(OP(&out, "graph reach --from-file q.txt --dir in --type "
			  "REQUIRES"), 0);
	CHECK_STR(out, "a\t0\nb\t1\nzz\t-1\nd\t3\n");
	free(out);
	/* The lines before a malformed one are answered first. */
	CHECK_EQ(OP(&out, "graph neighbours --from-file qbad.txt"), 1);
	CHECK_STR(out, "a\t2\noutpost: qbad.txt:3: expected one node per "
		       "line\n");
	free(out);
	CHECK_EQ(OP(&out, "graph reach --from-file qbad.txt"), 1);
	CHECK_STR(out, "a\t5\noutpost: qbad.txt:3: expected one node per "
		       "line\n");
	free(out);
	CHECK_EQ(OP(&out, "graph path --from-file p.txt"), 0);
	CHECK_STR(out, "a\tf\t4\nf\te\t2\nzz\ta\t-1\na\ta\t0\n");
	free(out);
	CHECK_EQ(OP(&out, "graph path --from-file p.txt --type REQUIRES"), 0);
	CHECK_STR(out, "a\tf\t-1\nf\te\t-1\nzz\ta\t-1\na\ta\t0\n");
	free(out);
	CHECK_EQ(OP(&out, "graph path --from-file pbad.txt"), 1);
	CHECK_STR(out, "a\tf\t4\noutpost: pbad.txt:2: expected two nodes "
		       "(A B) per line\n");
	free(out);
	CHECK_EQ(OP(&out, "graph path --from-file nosuch.txt"), 1);
	CHECK_STR(out, "outpost: cannot open nosuch.txt: No such file or "
		       "directory\n");
	free(out);
	/* More lines than one batch: every answer, and the right line
	 * number for a malformed line after the first batch. */
	CHECK_EQ(t_sh(&out, "cd '%s' && yes 'a f' | head -n 9000 > big.txt "
			    "&& echo 'a b c' >> big.txt", t->dir), 0);
	free(out);
	CHECK_EQ(t_sh(&out, "cd '%s' && '%s' -d store graph path --from-file "
			    "big.txt 2>err.txt | sort | uniq -c | tr -s ' '; "
			    "cat err.txt", t->dir, t_bin()), 0);
	CHECK_STR(out, " 9000 a\tf\t4\noutpost: big.txt:9001: expected two "
		       "nodes (A B) per line\n");
	free(out);
	CHECK(put(t, "long.txt", "a\n") == 0);
	CHECK_EQ(t_sh(&out, "cd '%s' && head -c 5000 /dev/zero | tr '\\0' x "
			    ">> long.txt", t->dir), 0);
	free(out);
	CHECK_EQ(OP(&out, "graph reach --from-file long.txt"), 1);
	CHECK_STR(out, "a\t5\noutpost: long.txt:2: line longer than 4096 "
		       "bytes\n");
	free(out);
	/* From stdin. */
	CHECK_EQ(t_sh(&out, "cd '%s' && printf 'b\\n' | '%s' -d store graph "
			    "reach --from-file -", t->dir, t_bin()), 0);
	CHECK_STR(out, "b\t5\n");
	free(out);
	CHECK_EQ(OP(&out, "graph path a b --from-file p.txt"), 2);
	free(out);
	CHECK_EQ(OP(&out, "graph neighbours --from-file q.txt --json"), 2);
	free(out);
}

void test_cli_graph_edges_write(struct t *t)
{
	struct names nm;
	char *out = NULL;

	CHECK(setup(t, &nm) == 0);
	CHECK_EQ(OP(&out, "graph edges --type REQUIRES | cut -f2-"), 0);
	WANT_SET(out, "REQUIRES\t{a}\t{b}\t{}\nREQUIRES\t{b}\t{c}\t{}\n"
		      "REQUIRES\t{c}\t{d}\t{}\nREQUIRES\t{a}\t{e}\t{}\n");
	free(out);
	CHECK_EQ(OP(&out, "graph edge add RELATED b e --props "
			  "'{\"weight\": 0.5}' --valid-from "
			  "2026-01-01T00:00:00Z"), 0);
	CHECK_EQ(strlen(out), 37);
	snprintf(nm.v['E'], 40, "%.36s", out);
	free(out);
	CHECK_EQ(OP(&out, "graph edges --type RELATED --json | grep "
			  "weight"), 0);
	WANT(out, "  {\"uuid\": \"{E}\", \"type\": \"RELATED\", \"from\": "
		  "\"{b}\", \"to\": \"{e}\", \"properties\": "
		  "{\"weight\":0.5}, \"valid_from\": "
		  "\"2026-01-01T00:00:00.000Z\", \"valid_to\": null}\n");
	free(out);
	CHECK_EQ(OPF(&out, "graph edge update %s --props '{\"weight\": 2}' "
			   "--valid-to 2026-06-01T00:00:00Z", nm.v['E']), 0);
	WANT(out, "edge {E} updated\n");
	free(out);
	CHECK_EQ(OP(&out, "graph edges --type RELATED | grep weight"), 0);
	WANT(out, "{E}\tRELATED\t{b}\t{e}\t{\"weight\":2}\n");
	free(out);
	/* As of a time: only the edges valid then. */
	CHECK_EQ(OP(&out, "graph neighbours b --type RELATED --as-of "
			  "2026-03-01T00:00:00Z"), 0);
	WANT(out, "{e}\n");
	free(out);
	CHECK_EQ(OP(&out, "graph neighbours b --type RELATED --count --as-of "
			  "2026-06-01T00:00:00Z"), 0);
	CHECK_STR(out, "0\n");
	free(out);
	CHECK_EQ(OP(&out, "graph path b e --type RELATED --length --as-of "
			  "2025-12-31T23:59:59Z"), 0);
	CHECK_STR(out, "-1\n");
	free(out);
	CHECK_EQ(OPF(&out, "graph edge delete %s", nm.v['E']), 0);
	WANT(out, "edge {E} deleted\n");
	free(out);
	CHECK_EQ(OPF(&out, "graph edge delete %s", nm.v['E']), 1);
	WANT(out, "outpost: no edge \"{E}\"\n");
	free(out);
	CHECK_EQ(OP(&out, "graph neighbours b --type RELATED --count"), 0);
	CHECK_STR(out, "0\n");
	free(out);
	/* REQUIRES is acyclic: d -> a would close a -> b -> c -> d. */
	CHECK_EQ(OP(&out, "graph edge add REQUIRES d a"), 1);
	WANT(out, "outpost: REQUIRES is acyclic: this edge would close the "
		  "cycle {d} -> {a} -> {b} -> {c} -> {d}\n");
	free(out);
	CHECK_EQ(OP(&out, "graph edge add REQUIRES a zz"), 1);
	CHECK_STR(out, "outpost: no node \"zz\" (name a node by its uuid or "
		       "its import id)\n");
	free(out);
	CHECK_EQ(OP(&out, "graph edges --type REQUIRES | wc -l"), 0);
	CHECK_STR(out, "4\n");
	free(out);
}

void test_cli_graph_topo_and_verify(struct t *t)
{
	struct names nm;
	char *out = NULL;

	CHECK(setup(t, &nm) == 0);
	CHECK_EQ(OP(&out, "graph topo d --type REQUIRES"), 0);
	WANT(out, "{a}\n{b}\n{c}\n");
	free(out);
	CHECK_EQ(OP(&out, "graph topo d --type REQUIRES --count"), 0);
	CHECK_STR(out, "3\n");
	free(out);
	CHECK_EQ(OP(&out, "graph verify"), 0);
	CHECK_STR(out, "graph ok\n");
	free(out);
	/* A node row deleted behind the capture triggers' back. */
	CHECK_EQ(t_sh(&out, "sqlite3 '%s/store/store.db' \"UPDATE "
			    "_outpost_clock SET applying = 2; DELETE FROM "
			    "Topic WHERE name = 'e'; UPDATE _outpost_clock SET "
			    "applying = 0\"", t->dir), 0);
	free(out);
	CHECK_EQ(OP(&out, "graph verify"), 1);
	WANT_HAS(out, "node {e} (nid ");
	CHECK_HAS(out, "): in the graph, but no row in Topic\noutpost: the "
		       "graph has 1 mismatch (see the report)\n");
	free(out);
}

void test_cli_graph_usage_errors(struct t *t)
{
	static const struct {
		const char *args, *msg;
	} cases[] = {
		{"graph", "graph needs a subcommand: neighbours, reach, path, "
			  "topo, verify, edges or edge"},
		{"graph frob", "unknown graph subcommand \"frob\""},
		{"graph edge", "graph edge needs add, update or delete"},
		{"graph neighbours", "graph neighbours: expected NODE (got 0 "
				     "operands)"},
		{"graph neighbours a b", "graph neighbours: expected NODE "
					 "(got 2 operands)"},
		{"graph neighbours a --bogus", "graph neighbours: unknown "
					       "option --bogus"},
		{"graph reach a --min 2", "graph reach: --min does not apply "
					  "here"},
		{"graph neighbours a --min 3x", "graph neighbours: bad number "
						"\"3x\""},
		{"graph neighbours a --max -1", "graph neighbours: bad number "
						"\"-1\""},
		{"graph neighbours a --limit ''", "graph neighbours: bad "
						  "number \"\""},
		{"graph neighbours a --min 3 --max 2", "graph neighbours: "
						       "--min 3 is greater "
						       "than --max 2"},
		{"graph neighbours a --dir up", "graph neighbours: --dir takes "
						"out, in or both, not "
						"\"up\""},
		{"graph neighbours a --type", "graph neighbours: --type needs "
					      "a value"},
		{"graph neighbours a b c d", "graph neighbours: expected "
					     "NODE (got 4 operands)"},
		{"graph edge delete x --props {}", "graph edge delete: "
						   "--props does not apply "
						   "here"},
		{"graph path a", "graph path: expected A B (got 1 operand)"},
		{"graph topo a", "graph topo: needs one --type T"},
		{"graph verify x", "graph verify: takes no operands (got 1 "
				   "operand)"},
		{"graph edge update 0", "graph edge update: nothing to change "
					"(give --props, --valid-from or "
					"--valid-to)"},
		{"graph edge add REQUIRES a", "graph edge add: expected TYPE "
					      "FROM TO (got 2 operands)"},
		{"import", "import needs --nodes FILE... and/or "
			   "--relationships FILE..."},
		{"import --nodes", "import: --nodes needs at least one FILE"},
		{"import --nodes --relationships r.csv", "import: --nodes "
							 "needs at least one "
							 "FILE"},
		{"import n.csv", "import: n.csv: name it after --nodes or "
				 "--relationships"},
		{"import --nodes n.csv --bogus", "import: unknown option "
						 "--bogus"},
	};
	struct names nm;
	char *out = NULL, want[512];
	size_t i;

	CHECK(setup(t, &nm) == 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(want, sizeof(want), "outpost: %s (see outpost "
			 "--help)\n", cases[i].msg);
		CHECK_EQ(OPF(&out, "%s", cases[i].args), 2);
		CHECK_STR(out, want);
		free(out);
	}
	CHECK_EQ(t_sh(&out, "'%s' graph --help", t_bin()), 0);
	CHECK_HAS(out, "usage: outpost [-d DIR] graph neighbours NODE");
	free(out);
	CHECK_EQ(t_sh(&out, "'%s' import --help", t_bin()), 0);
	CHECK_HAS(out, "usage: outpost [-d DIR] import");
	free(out);
	/* --nodes=FILE works too; an import error is one line, exit 1. */
	CHECK(put(t, "bad.csv", "id:ID,name,:LABEL\nx,x,Nope\n") == 0);
	CHECK_EQ(OP(&out, "import --nodes=bad.csv"), 1);
	CHECK_STR(out, "outpost: bad.csv:2: label \"Nope\" is not a node "
		       "label of the schema\n");
	free(out);
}
