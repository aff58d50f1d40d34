/* t_import.c - outpost_import() end to end: neo4j-admin CSV files into a
 * store. Every refused import names file, line and reason exactly and
 * leaves the store as it was (label tables, change log, graph, and the
 * names of the failed files' nodes); typed properties land in the label's
 * SQLite row; uuid:ID files keep their uuids and other ids derive the same
 * uuids on every store; edges may name nodes already in the store. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

static const char imp_schema[] =
	"{\"schema\": \"imp\", \"version\": 1,\n"
	" \"tables\": {\"users\": {\"columns\": {\n"
	"   \"id\": {\"type\": \"uuid\", \"primary_key\": true},\n"
	"   \"email\": {\"type\": \"text\"}}}},\n"
	" \"nodes\": {\n"
	"  \"Point\": {\"columns\": {\n"
	"   \"id\": {\"type\": \"uuid\", \"primary_key\": true},\n"
	"   \"name\": {\"type\": \"text\"},\n"
	"   \"n\": {\"type\": \"integer\"},\n"
	"   \"r\": {\"type\": \"real\"},\n"
	"   \"ok\": {\"type\": \"boolean\"},\n"
	"   \"tags\": {\"type\": \"text[]\"},\n"
	"   \"born\": {\"type\": \"date\"},\n"
	"   \"code\": {\"type\": \"text\", \"unique\": true}}},\n"
	"  \"City\": {\"columns\": {\n"
	"   \"id\": {\"type\": \"uuid\", \"primary_key\": true},\n"
	"   \"name\": {\"type\": \"text\", \"not_null\": true}}}},\n"
	" \"relationships\": {\n"
	"  \"LINK\": {\"from\": \"Point\", \"to\": \"Point\"},\n"
	"  \"NEAR\": {\"from\": \"Point\", \"to\": \"Point\", "
	"\"properties\": {\"w\": {\"type\": \"real\"}, \"tags\": "
	"{\"type\": \"text[]\"}}},\n"
	"  \"WHEN\": {\"from\": \"Point\", \"to\": \"Point\", "
	"\"validity\": true},\n"
	"  \"IN\": {\"from\": \"Point\", \"to\": \"City\"},\n"
	"  \"PRE\": {\"from\": \"Point\", \"to\": \"Point\", "
	"\"acyclic\": true}}}\n";

/* The graph every store starts with. */
static const char base_points[] = "id:ID,name,code,:LABEL\n"
				  "b1,Base one,base,Point\n"
				  "b2,Base two,,Point\n"
				  "b3,Base three,,Point\n";
static const char base_cities[] = "id:ID,name,:LABEL\nc1,Paris,City\n";
static const char base_edges[] = ":START_ID,:END_ID,:TYPE\n"
				 "b1,b2,LINK\nb2,b3,LINK\nb3,b1,NEAR\n"
				 "b1,c1,IN\n";

/* Write name in the test's directory; path gets its path. */
static int put(char path[512], struct t *t, const char *name,
	       const char *text)
{
	t_path(path, t, name);
	return t_write(path, text);
}

/* A store in t->dir/<dir> with the schema applied and, if base, the
 * base graph imported. */
static outpost *imp_store(struct t *t, const char *dir, int base)
{
	char d[512], schema[512], p[512], c[512], e[512];
	const char *nf[2] = {p, c}, *ef[1] = {e};
	outpost *db = NULL;

	t_path(d, t, dir);
	if (put(schema, t, "imp.json", imp_schema) != 0 ||
	    put(p, t, "base_points.csv", base_points) != 0 ||
	    put(c, t, "base_cities.csv", base_cities) != 0 ||
	    put(e, t, "base_edges.csv", base_edges) != 0 ||
	    outpost_init(&db, d, NULL) != OUTPOST_OK ||
	    outpost_schema_apply(db, schema) != OUTPOST_OK ||
	    (base && outpost_import(db, nf, 2, ef, 1, NULL) != OUTPOST_OK)) {
		fprintf(stderr, "setup: %s\n", outpost_errmsg(db));
		outpost_close(db);
		return NULL;
	}
	return db;
}

/* uuids a traversal gave, sorted, with their depths. */
#define MAX_LISTED 64
struct listed {
	char uuid[MAX_LISTED][40];
	size_t n;
};

static int listed_add(void *ctx, const char *uuid, int depth)
{
	struct listed *l = ctx;

	if (l->n < MAX_LISTED)
		snprintf(l->uuid[l->n++], 40, "%.36s:%d", uuid, depth);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Append to out what traversal tr lists from start, sorted. */
static void add_listing(char *out, size_t n, outpost *db,
			const outpost_traversal *tr, const char *start)
{
	struct listed l;
	long long count = -1;
	size_t i, len = strlen(out);
	int rc;

	l.n = 0;
	rc = outpost_graph_neighbours(db, tr, start, listed_add, &l, &count);
	qsort(l.uuid, l.n, sizeof(l.uuid[0]), cmp_str);
	len += (size_t)snprintf(out + len, len < n ? n - len : 0,
				" %s(%s %lld):", start, outpost_errstr(rc),
				count);
	for (i = 0; i < l.n && len < n; i++)
		len += (size_t)snprintf(out + len, n - len, " %s", l.uuid[i]);
}

/* Everything an import could change, as text: the rows of both labels,
 * the change log's length, the capture switch, and the base graph seen
 * from each base node. */
static void snapshot(char *out, size_t n, outpost *db)
{
	static const char *const names[] = {"b1", "b2", "b3", "c1"};
	static const char *const link[] = {"LINK"};
	outpost_traversal any = OUTPOST_TRAVERSAL_INIT;
	outpost_traversal lnk = OUTPOST_TRAVERSAL_INIT;
	char rows[T_TEXT_MAX];
	size_t i;

	t_text(db, "SELECT (SELECT count(*) FROM Point) || ' points, ' || "
		   "(SELECT count(*) FROM City) || ' cities, log ' || "
		   "(SELECT count(*) FROM _outpost_changes) || ', applying ' "
		   "|| (SELECT max(applying) FROM _outpost_clock) || ': ' || "
		   "(SELECT group_concat(r, ' ') FROM (SELECT json_array(id, "
		   "name, n, r, ok, tags, born, code) AS r FROM Point UNION "
		   "ALL SELECT json_array(id, name) FROM City ORDER BY 1))",
	       rows);
	snprintf(out, n, "%s", rows);
	any.direction = OUTPOST_BOTH;
	any.max_depth = 0;
	lnk.types = link;
	lnk.ntypes = 1;
	lnk.max_depth = 2;
	for (i = 0; i < 4; i++) {
		add_listing(out, n, db, &any, names[i]);
		add_listing(out, n, db, &lnk, names[i]);
	}
}

/* tmpl with '@' replaced by a, '$' by b and '#' by e. */
static void expand3(char *out, size_t n, const char *tmpl, const char *a,
		    const char *b, const char *e)
{
	size_t len = 0;

	for (; *tmpl && len + 1 < n; tmpl++) {
		const char *s = *tmpl == '@'   ? a
				: *tmpl == '$' ? b
				: *tmpl == '#' ? e
					       : NULL;

		if (s)
			len += (size_t)snprintf(out + len, n - len, "%s", s);
		else
			out[len++] = *tmpl;
		if (len >= n)
			len = n - 1;
	}
	out[len] = '\0';
}

#define NO_FILE "-" /* pass the path, write no file */
/* Nodes named by uuid, and rows between them. */
#define U1 "0190a000-0000-7000-8000-000000000001"
#define U2 "0190a000-0000-7000-8000-000000000002"
#define U9 "0190a000-0000-7000-8000-000000000009"
#define UHDR "uuid:ID,name,:LABEL\n"
#define UNODES U1 ",a,Point\n" U2 ",b,Point\n"
#define UREL U1 "," U2 ",LINK\n"
#define UREL4 UREL UREL UREL UREL
#define HDR	"id:ID,name,:LABEL\n"
#define RHDR	":START_ID,:END_ID,:TYPE\n"

/* Imports that must be refused: up to two node files and one
 * relationships file (NULL: not passed). In msg, '@' is the first node
 * file's path, '$' the second's, '#' the relationships file's; a msg
 * ending in '*' is a prefix. The files' nodes are x1..x4. */
static const struct {
	const char *what;
	const char *nodes, *nodes2, *rels;
	int rc;
	const char *msg;
} refused[] = {
    {"unknown label", HDR "x1,a,Point\nx2,b,Nowhere\n", NULL, NULL,
     OUTPOST_ESCHEMA,
     "@:3: label \"Nowhere\" is not a node label of the schema"},
    {"a table, not a node label", HDR "x1,a,users\n", NULL, NULL,
     OUTPOST_ESCHEMA,
     "@:2: label \"users\" is not a node label of the schema"},
    {"a relationship type as label", HDR "x1,a,LINK\n", NULL, NULL,
     OUTPOST_ESCHEMA,
     "@:2: label \"LINK\" is not a node label of the schema"},
    {"two labels", HDR "x1,a,Point;City\n", NULL, NULL, OUTPOST_ECORRUPT,
     "@:2: more than one label; a node has one"},
    {"empty label", HDR "x1,a,Point\nx2,b,\n", NULL, NULL, OUTPOST_ECORRUPT,
     "@:3: the node has no label"},
    {"no :LABEL column", "id:ID,name\nx1,a\n", NULL, NULL, OUTPOST_ECORRUPT,
     "@:1: no :LABEL column; every node needs its label"},
    {"no ID column", "name,:LABEL\na,Point\n", NULL, NULL, OUTPOST_ECORRUPT,
     "@:1: no ID column (a nodes file needs one, such as \"uuid:ID\" or "
     "\":ID\")"},
    {"duplicate id", HDR "x1,a,Point\nx2,b,Point\nx1,c,Point\n", NULL, NULL,
     OUTPOST_ECORRUPT, "@:4: id \"x1\" appears twice"},
    {"duplicate id under two labels", HDR "x1,a,Point\nx1,b,City\n", NULL,
     NULL, OUTPOST_ECORRUPT, "@:3: id \"x1\" appears twice"},
    {"duplicate id in the second file", HDR "x1,a,Point\n",
     HDR "x2,b,Point\nx1,c,Point\n", NULL, OUTPOST_ECORRUPT,
     "$:3: id \"x1\" appears twice"},
    {"the same uuid in two cases",
     "uuid:ID,name,:LABEL\n0b7c2c4e-1111-4222-8333-444455556666,a,Point\n"
     "0B7C2C4E-1111-4222-8333-444455556666,b,Point\n",
     NULL, NULL, OUTPOST_ECORRUPT, "@:3: *"},
    {"bad uuid",
     "uuid:ID,name,:LABEL\n0b7c2c4e-1111-4222-8333-444455556666,a,Point\n"
     "not-a-uuid,b,Point\n",
     NULL, NULL, OUTPOST_ECORRUPT, "@:3: \"not-a-uuid\" is not a uuid"},
    {"property not a column", "id:ID,colour,:LABEL\nx1,red,Point\n", NULL,
     NULL, OUTPOST_ESCHEMA,
     "@:1: column 2 \"colour\": colour is not a column of label Point in "
     "the schema"},
    {"property of another label", "id:ID,name,n:int,:LABEL\nx1,a,5,City\n",
     NULL, NULL, OUTPOST_ESCHEMA,
     "@:1: column 3 \"n:int\": n is not a column of label City in the "
     "schema"},
    {"property is the primary key",
     "uuid:ID,id,:LABEL\n0b7c2c4e-1111-4222-8333-444455556666,"
     "0b7c2c4e-1111-4222-8333-444455556666,Point\n",
     NULL, NULL, OUTPOST_ESCHEMA,
     "@:1: column 2 \"id\": id is the primary key of label Point in the "
     "schema"},
    {"bad int", "id:ID,name,n:int,:LABEL\nx1,a,7,Point\nx2,b,12x,Point\n",
     NULL, NULL, OUTPOST_ECORRUPT,
     "@:3: column 3 \"n:int\": \"12x\" is not an integer"},
    {"int out of range",
     "id:ID,name,n:long,:LABEL\nx1,a,99999999999999999999,Point\n", NULL,
     NULL, OUTPOST_ECORRUPT,
     "@:2: column 3 \"n:long\": \"99999999999999999999\" is out of range "
     "for a 64-bit integer"},
    {"bad float", "id:ID,name,r:float,:LABEL\nx1,a,1.5.2,Point\n", NULL,
     NULL, OUTPOST_ECORRUPT,
     "@:2: column 3 \"r:float\": \"1.5.2\" is not a number"},
    {"bad boolean", "id:ID,name,ok:boolean,:LABEL\nx1,a,yes,Point\n", NULL,
     NULL, OUTPOST_ECORRUPT,
     "@:2: column 3 \"ok:boolean\": \"yes\" is not true or false"},
    {"bad int element", "id:ID,name,tags:int[],:LABEL\nx1,a,1;x,Point\n",
     NULL, NULL, OUTPOST_ECORRUPT,
     "@:2: column 3 \"tags:int[]\" element 2: \"x\" is not an integer"},
    {"text into an integer column",
     "id:ID,name,n,:LABEL\nx1,a,abc,Point\n", NULL, NULL, OUTPOST_ESQL,
     "@:2: cannot store TEXT value in INTEGER column Point.n"},
    {"float into an integer column",
     "id:ID,name,n:float,:LABEL\nx1,a,7.5,Point\n", NULL, NULL,
     OUTPOST_ESQL, "@:2: cannot store REAL value in INTEGER column Point.n"},
    {"ints into a text[] column",
     "id:ID,name,tags:int[],:LABEL\nx1,a,1;2,Point\n", NULL, NULL,
     OUTPOST_EREFUSED,
     "@:2: Point.tags is text[]: every element must be a string"},
    {"a plain string into a text[] column",
     "id:ID,name,tags,:LABEL\nx1,a,abc,Point\n", NULL, NULL, OUTPOST_ESQL,
     "@:2: CHECK constraint failed: tags"},
    {"5 into a boolean column", "id:ID,name,ok:int,:LABEL\nx1,a,5,Point\n",
     NULL, NULL, OUTPOST_ESQL, "@:2: CHECK constraint failed: ok"},
    {"no such date", "id:ID,name,born:date,:LABEL\nx1,a,2024-13-45,Point\n",
     NULL, NULL, OUTPOST_ESQL, "@:2: CHECK constraint failed: born"},
    {"a not_null column left empty", "id:ID,:LABEL\nx1,City\n", NULL, NULL,
     OUTPOST_ESQL, "@:2: NOT NULL constraint failed: City.name"},
    {"a unique value twice in the file",
     "id:ID,name,code,:LABEL\nx1,a,k,Point\nx2,b,k,Point\n", NULL, NULL,
     OUTPOST_ESQL, "@:3: UNIQUE constraint failed: Point.code"},
    {"a unique value already in the store",
     "id:ID,name,code,:LABEL\nx1,a,base,Point\n", NULL, NULL, OUTPOST_ESQL,
     "@:2: UNIQUE constraint failed: Point.code"},
    {"too many fields", HDR "x1,a,Point\nx2,b,Point,extra\n", NULL, NULL,
     OUTPOST_ECORRUPT, "@:3: 4 fields, the header has 3"},
    {"no such node file", NO_FILE, NULL, NULL, OUTPOST_ENOTFOUND,
     "@: cannot open: No such file or directory"},
    {"the second node file bad", HDR "x1,a,Point\n", HDR "x2,b,Nowhere\n",
     NULL, OUTPOST_ESCHEMA,
     "$:2: label \"Nowhere\" is not a node label of the schema"},
    {"unknown relationship type", HDR "x1,a,Point\nx2,b,Point\n", NULL,
     RHDR "x1,x2,LINK\nx2,x1,KNOWS\n", OUTPOST_ESCHEMA,
     "#:3: relationship type \"KNOWS\" is not in the schema"},
    {"a label as relationship type", HDR "x1,a,Point\nx2,b,Point\n", NULL,
     RHDR "x1,x2,Point\n", OUTPOST_ESCHEMA,
     "#:2: relationship type \"Point\" is not in the schema"},
    {"empty relationship type", HDR "x1,a,Point\nx2,b,Point\n", NULL,
     RHDR "x1,x2,\n", OUTPOST_ESCHEMA,
     "#:2: relationship type \"\" is not in the schema"},
    {"no :TYPE column", HDR "x1,a,Point\nx2,b,Point\n", NULL,
     ":START_ID,:END_ID\nx1,x2\n", OUTPOST_ECORRUPT,
     "#:1: no :TYPE column; every relationship needs its type"},
    {"no :END_ID column", HDR "x1,a,Point\n", NULL,
     ":START_ID,:TYPE\nx1,LINK\n", OUTPOST_ECORRUPT,
     "#:1: no END_ID column (a relationships file needs :START_ID and "
     ":END_ID)"},
    {"an :ID column in a relationships file", HDR "x1,a,Point\n", NULL,
     ":ID,:START_ID,:END_ID,:TYPE\nq,x1,b1,LINK\n", OUTPOST_ECORRUPT,
     "#:1: column 1 \":ID\": :ID belongs in a nodes file, not a "
     "relationships file"},
    {"empty START_ID", HDR "x1,a,Point\n", NULL, RHDR ",x1,LINK\n",
     OUTPOST_ECORRUPT, "#:2: column 1 \":START_ID\": empty id"},
    {"START_ID names no node", HDR "x1,a,Point\n", NULL,
     RHDR "x1,b1,LINK\nx9,b2,LINK\n", OUTPOST_ENOTFOUND,
     "#:3: :START_ID \"x9\": no such node (not in the node files nor in the "
     "store)"},
    {"END_ID names no node", HDR "x1,a,Point\n", NULL,
     RHDR "x1,b1,LINK\nx1,x9,NEAR\n", OUTPOST_ENOTFOUND,
     "#:3: :END_ID \"x9\": no such node (not in the node files nor in the "
     "store)"},
    {"END_ID of the wrong label", HDR "x1,a,Point\nx2,b,Point\n", NULL,
     RHDR "x1,x2,IN\n", OUTPOST_ESCHEMA,
     "#:2: :END_ID \"x2\" is not a City node, as the type requires"},
    {"START_ID of the wrong label", HDR "x1,a,City\nx2,b,Point\n", NULL,
     RHDR "x2,x2,LINK\nx1,x2,LINK\n", OUTPOST_ESCHEMA,
     "#:3: :START_ID \"x1\" is not a Point node, as the type requires"},
    {"END_ID a store node of the wrong label", HDR "x1,a,Point\n", NULL,
     RHDR "x1,b2,IN\n", OUTPOST_ESCHEMA,
     "#:2: :END_ID \"b2\" is not a City node, as the type requires"},
    /* uuid ends wait a few rows for their lookup (api_import_ends.c):
     * the first bad row in the file is still the one reported. */
    {"END_ID uuid names no node, a bad type after it", UHDR UNODES, NULL,
     RHDR UREL UREL U1 "," U9 ",LINK\n" UREL UREL U1 "," U2 ",NOPE\n",
     OUTPOST_ENOTFOUND,
     "#:4: :END_ID \"" U9 "\": no such node (not in the node files nor in "
     "the store)"},
    {"END_ID uuid names no node after 20 good rows", UHDR UNODES, NULL,
     RHDR UREL4 UREL4 UREL4 UREL4 UREL4 U1 "," U9 ",LINK\n" UREL,
     OUTPOST_ENOTFOUND,
     "#:22: :END_ID \"" U9 "\": no such node (not in the node files nor "
     "in the store)"},
    {"END_ID uuid of the wrong label", UHDR UNODES, NULL,
     RHDR UREL U1 "," U2 ",IN\n", OUTPOST_ESCHEMA,
     "#:3: :END_ID \"" U2 "\" is not a City node, as the type requires"},
    {"END_ID uuid unknown, the last row", UHDR UNODES, NULL,
     RHDR UREL4 U2 "," U9 ",LINK\n", OUTPOST_ENOTFOUND,
     "#:6: :END_ID \"" U9 "\": no such node (not in the node files nor in "
     "the store)"},
};

/* Case i against db: refused as it says, and nothing changed. Returns 0
 * if so, 1 if it failed, 2 if it also changed the store. */
static int refused_case(struct t *t, outpost *db, size_t i)
{
	static const char *const xs[] = {"x1", "x2", "x3", "x4"};
	char n1[512], n2[512], e[512], want[1024], before[8192], after[8192];
	const char *nf[2] = {n1, n2}, *ef[1] = {e}, *got;
	outpost_traversal tr = OUTPOST_TRAVERSAL_INIT;
	long long counts[4];
	size_t wl;
	int rc;

	t_path(n1, t, "case_n1.csv");
	t_path(n2, t, "case_n2.csv");
	t_path(e, t, "case_e.csv");
	remove(n1);
	if ((strcmp(refused[i].nodes, NO_FILE) != 0 &&
	     t_write(n1, refused[i].nodes) != 0) ||
	    (refused[i].nodes2 && t_write(n2, refused[i].nodes2) != 0) ||
	    (refused[i].rels && t_write(e, refused[i].rels) != 0)) {
		t_fail(t, __FILE__, __LINE__, "case %zu: cannot write", i);
		return 1;
	}
	snapshot(before, sizeof(before), db);
	rc = outpost_import(db, nf, refused[i].nodes2 ? 2 : 1, ef,
			    refused[i].rels ? 1 : 0, NULL);
	got = outpost_errmsg(db);
	expand3(want, sizeof(want), refused[i].msg, n1, n2, e);
	wl = strlen(want);
	if (wl && want[wl - 1] == '*')
		want[--wl] = '\0';
	else
		wl = (size_t)-1;
	if (rc != refused[i].rc ||
	    (wl == (size_t)-1 ? strcmp(got, want) : strncmp(got, want, wl))) {
		t_fail(t, __FILE__, __LINE__,
		       "case %zu (%s): %s, want %s\n    got  \"%s\"\n    "
		       "want \"%s%s\"",
		       i, refused[i].what, outpost_errstr(rc),
		       outpost_errstr(refused[i].rc), got, want,
		       wl == (size_t)-1 ? "" : "...");
		if (rc == OUTPOST_OK)
			return 2;
	}
	snapshot(after, sizeof(after), db);
	if (strcmp(before, after) != 0) {
		t_fail(t, __FILE__, __LINE__,
		       "case %zu (%s): the store changed\n    before: %s\n    "
		       "after:  %s",
		       i, refused[i].what, before, after);
		return 2;
	}
	tr.direction = OUTPOST_BOTH;
	tr.max_depth = 0;
	if (outpost_graph_count_many(db, &tr, xs, 4, counts) != OUTPOST_OK ||
	    counts[0] != -1 || counts[1] != -1 || counts[2] != -1 ||
	    counts[3] != -1) {
		t_fail(t, __FILE__, __LINE__,
		       "case %zu (%s): a node of the refused files is there: "
		       "counts %lld %lld %lld %lld (%s)",
		       i, refused[i].what, counts[0], counts[1], counts[2],
		       counts[3], outpost_errmsg(db));
		return 2;
	}
	return rc == refused[i].rc ? 0 : 1;
}

void test_import_refusals_leave_store_unchanged(struct t *t)
{
	outpost *db = imp_store(t, "store", 1);
	char path[512], p[512], before[8192], after[8192], buf[T_TEXT_MAX];
	const char *nf[1] = {p};
	size_t i;
	int failed = 0;

	CHECK(db);
	CHECK(sizeof(refused) / sizeof(refused[0]) >= 20);
	/* The base graph is there: b1 -> b2 -> b3 -> b1, b1 in c1. */
	snapshot(before, sizeof(before), db);
	CHECK_HAS(before, "3 points, 1 cities");
	CHECK_HAS(before, "b1(OUTPOST_OK 3):");
	CHECK_HAS(before, "c1(OUTPOST_OK 3):");
	for (i = 0; db && i < sizeof(refused) / sizeof(refused[0]); i++) {
		int r = refused_case(t, db, i);

		failed += r != 0;
		if (r == 2) { /* go on with a store like the one before */
			char dir[32];

			outpost_close(db);
			snprintf(dir, sizeof(dir), "store%zu", i);
			db = imp_store(t, dir, 1);
		}
	}
	CHECK(db);
	CHECK_EQ(failed, 0);
	/* After all that, an import and a captured write still work. */
	CHECK(put(p, t, "good.csv", HDR "x1,fine,Point\n") == 0);
	CHECK_OK(db, outpost_import(db, nf, 1, NULL, 0, NULL));
	CHECK_EQ(t_int(db, "SELECT count(*) FROM Point WHERE name = 'fine'"),
		 1);
	CHECK_EQ(t_int(db, "SELECT max(applying) FROM _outpost_clock"), 0);
	CHECK_OK(db, outpost_sql(db, "UPDATE Point SET n = 1 WHERE name = "
				 "'fine'", NULL, 0, NULL, NULL));
	CHECK_STR(t_text(db, "SELECT vals FROM _outpost_changes ORDER BY seq "
			     "DESC LIMIT 1", buf),
		  "{\"n\":\"1\"}");
	snapshot(after, sizeof(after), db);
	CHECK(strcmp(before, after) != 0);
	/* No schema yet: refused, saying what to do. */
	t_path(path, t, "empty");
	outpost_close(db);
	db = NULL;
	CHECK_OK(db, outpost_init(&db, path, NULL));
	CHECK_RC(outpost_import(db, nf, 1, NULL, 0, NULL), OUTPOST_ESCHEMA);
	CHECK_STR(outpost_errmsg(db), "apply a schema before importing "
				      "(outpost schema apply FILE)");
	CHECK_RC(outpost_import(NULL, nf, 1, NULL, 0, NULL), OUTPOST_EMISUSE);
	CHECK_RC(outpost_import(db, NULL, 1, NULL, 0, NULL), OUTPOST_EMISUSE);
	outpost_close(db);
}

/* Edges naming nodes an earlier import made: by original id and by
 * uuid, and the type's labels hold for them too. */
void test_import_edges_to_nodes_in_store(struct t *t)
{
	static const char *const near[] = {"NEAR"};
	outpost *db = imp_store(t, "store", 1);
	outpost_traversal tr = OUTPOST_TRAVERSAL_INIT;
	char e[512], rel[512], b2[T_TEXT_MAX], c1[T_TEXT_MAX],
		before[8192], after[8192];
	const char *ef[1] = {e};
	long long n = -1;

	CHECK(db);
	t_text(db, "SELECT id FROM Point WHERE name = 'Base two'", b2);
	t_text(db, "SELECT id FROM City WHERE name = 'Paris'", c1);
	CHECK_EQ(strlen(b2), 36);
	/* b3 -> b2 by original id, b3 -> b1... by uuid. */
	snprintf(rel, sizeof(rel), RHDR "b3,b2,NEAR\nb1,%.40s,NEAR\n", b2);
	CHECK(put(e, t, "more.csv", rel) == 0);
	tr.types = near;
	tr.ntypes = 1;
	CHECK_OK(db, outpost_graph_neighbours(db, &tr, "b3", NULL, NULL, &n));
	CHECK_EQ(n, 1);
	CHECK_OK(db, outpost_import(db, NULL, 0, ef, 1, NULL));
	CHECK_OK(db, outpost_graph_neighbours(db, &tr, "b3", NULL, NULL, &n));
	CHECK_EQ(n, 2);
	CHECK_OK(db, outpost_graph_neighbours(db, &tr, "b1", NULL, NULL, &n));
	CHECK_EQ(n, 1);
	/* IN goes from a Point to a City: b2, named by its uuid, is a
	 * Point; so is the start named by c1's uuid a City. */
	snapshot(before, sizeof(before), db);
	snprintf(rel, sizeof(rel), RHDR "b1,%.40s,IN\n", b2);
	CHECK(put(e, t, "wrong_end.csv", rel) == 0);
	CHECK_RC(outpost_import(db, NULL, 0, ef, 1, NULL), OUTPOST_ESCHEMA);
	CHECK_HAS(outpost_errmsg(db), "wrong_end.csv:2: :END_ID \"");
	CHECK_HAS(outpost_errmsg(db), "\" is not a City node, as the type "
				      "requires");
	snprintf(rel, sizeof(rel), RHDR "%.40s,b2,LINK\n", c1);
	CHECK(put(e, t, "wrong_start.csv", rel) == 0);
	CHECK_RC(outpost_import(db, NULL, 0, ef, 1, NULL), OUTPOST_ESCHEMA);
	CHECK_HAS(outpost_errmsg(db), "wrong_start.csv:2: :START_ID \"");
	CHECK_HAS(outpost_errmsg(db), "\" is not a Point node, as the type "
				      "requires");
	snapshot(after, sizeof(after), db);
	CHECK_STR(after, before);
	outpost_close(db);
}

void test_import_typed_properties(struct t *t)
{
	outpost *db = imp_store(t, "store", 0);
	char p[512], buf[T_TEXT_MAX];
	const char *nf[1] = {p};

	CHECK(db);
	CHECK(put(p, t, "typed.csv",
		  "id:ID,name,n:int,r:float,ok:boolean,tags:string[],"
		  "born:date,code:string,:LABEL\n"
		  "t1,\"Alice, \"\"A\"\"\",42,2.5,true,\"a;b c;\"\"q\"\"\","
		  "2024-01-02,k1,Point\n"
		  "t2,Bob,-7, 1e-3 ,FALSE,solo,,,Point\n"
		  "t3,,,,,,,,Point\n") == 0);
	CHECK_OK(db, outpost_import(db, nf, 1, NULL, 0, NULL));
	CHECK_STR(t_text(db, "SELECT json_array(name, n, typeof(n), r, "
			     "typeof(r), ok, typeof(ok), born, code) FROM "
			     "Point WHERE name LIKE 'Alice%'", buf),
		  "[\"Alice, \\\"A\\\"\",42,\"integer\",2.5,\"real\",1,"
		  "\"integer\",\"2024-01-02\",\"k1\"]");
	CHECK_STR(t_text(db, "SELECT tags FROM Point WHERE name LIKE "
			     "'Alice%'", buf),
		  "[\"a\",\"b c\",\"\\\"q\\\"\"]");
	CHECK_STR(t_text(db, "SELECT json_array(name, n, r, ok, tags, born, "
			     "code) FROM Point WHERE name = 'Bob'", buf),
		  "[\"Bob\",-7,0.001,0,\"[\\\"solo\\\"]\",null,null]");
	/* Empty fields are absent properties: NULL. */
	CHECK_STR(t_text(db, "SELECT json_array(name, n, r, ok, tags, born, "
			     "code) FROM Point WHERE name IS NULL", buf),
		  "[null,null,null,null,null,null,null]");
	/* long and double are int and float; an int in a real column is a
	 * real; extremes survive. */
	CHECK(put(p, t, "wide.csv",
		  "id:ID,name,n:long,r:double,:LABEL\n"
		  "t4,wide,-9223372036854775808,7,Point\n"
		  "t5,wide2,9223372036854775807,-0.5,Point\n") == 0);
	CHECK_OK(db, outpost_import(db, nf, 1, NULL, 0, NULL));
	CHECK_STR(t_text(db, "SELECT n || ' ' || typeof(r) || ' ' || r FROM "
			     "Point WHERE name = 'wide'", buf),
		  "-9223372036854775808 real 7.0");
	CHECK_STR(t_text(db, "SELECT n || ' ' || r FROM Point WHERE name = "
			     "'wide2'", buf),
		  "9223372036854775807 -0.5");
	/* The rows are the nodes: one per node, under the node's uuid. */
	CHECK_EQ(t_int(db, "SELECT count(*) FROM Point"), 5);
	outpost_close(db);
}

/* The uuid of the node named name (original id or uuid). */
static int uuid_of(outpost *db, const char *name, char out[40])
{
	outpost_traversal tr = OUTPOST_TRAVERSAL_INIT;
	struct listed l;
	long long len = -2;
	int rc;

	l.n = 0;
	tr.max_depth = 0;
	rc = outpost_graph_path(db, &tr, name, name, listed_add, &l, &len);
	if (rc != OUTPOST_OK || len != 0 || l.n != 1)
		return -1;
	snprintf(out, 40, "%.36s", l.uuid[0]);
	return 0;
}

void test_import_uuid_ids_kept(struct t *t)
{
	static const char *const u1 = "0b7c2c4e-1111-4222-8333-444455556666";
	static const char *const u2 = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f00000002";
	outpost *db = imp_store(t, "store", 0);
	outpost_traversal tr = OUTPOST_TRAVERSAL_INIT;
	char p[512], e[512], got[40], buf[T_TEXT_MAX];
	const char *nf[1] = {p}, *ef[1] = {e}, *names[3];
	long long counts[3], n = -1;

	CHECK(db);
	/* uuids in either case; stored canonical (lower case). */
	CHECK(put(p, t, "u.csv", "uuid:ID,name,:LABEL\n"
				 "0b7c2c4e-1111-4222-8333-444455556666,one,"
				 "Point\n"
				 "9A8B7C6D-5E4F-4A3B-9C2D-1E0F00000002,two,"
				 "Point\n") == 0);
	CHECK(put(e, t, "ue.csv", RHDR "0b7c2c4e-1111-4222-8333-444455556666,"
				       "9A8B7C6D-5E4F-4A3B-9C2D-1E0F00000002,"
				       "LINK\n") == 0);
	CHECK_OK(db, outpost_import(db, nf, 1, ef, 1, NULL));
	CHECK_STR(t_text(db, "SELECT id FROM Point WHERE name = 'one'", buf),
		  u1);
	CHECK_STR(t_text(db, "SELECT id FROM Point WHERE name = 'two'", buf),
		  u2);
	CHECK(uuid_of(db, u1, got) == 0);
	CHECK_STR(got, u1);
	CHECK(uuid_of(db, "9A8B7C6D-5E4F-4A3B-9C2D-1E0F00000002", got) == 0);
	CHECK_STR(got, u2);
	names[0] = u1;
	names[1] = "9a8b7c6d-5e4f-4a3b-9c2d-1e0f00000002";
	names[2] = "0b7c2c4e-1111-4222-8333-000000000000";
	tr.direction = OUTPOST_BOTH;
	CHECK_OK(db, outpost_graph_count_many(db, &tr, names, 3, counts));
	CHECK_EQ(counts[0], 1);
	CHECK_EQ(counts[1], 1);
	CHECK_EQ(counts[2], -1);
	/* A later file names them by uuid. */
	CHECK(put(p, t, "u2.csv", HDR "k1,three,Point\n") == 0);
	CHECK(put(e, t, "ue2.csv", RHDR "k1,0b7c2c4e-1111-4222-8333-"
					"444455556666,NEAR\n") == 0);
	CHECK_OK(db, outpost_import(db, nf, 1, ef, 1, NULL));
	CHECK_OK(db, outpost_graph_neighbours(db, &tr, u1, NULL, NULL, &n));
	CHECK_EQ(n, 2);
	/* An id:ID that looks like a uuid is still an import id: it
	 * derives the node's uuid, and names the node. */
	CHECK(put(p, t, "u3.csv", HDR "0b7c2c4e-aaaa-4222-8333-444455556666,"
				      "looks,Point\n") == 0);
	CHECK_OK(db, outpost_import(db, nf, 1, NULL, 0, NULL));
	CHECK_EQ(t_int(db, "SELECT id <> '0b7c2c4e-aaaa-4222-8333-"
			   "444455556666' FROM Point WHERE name = 'looks'"),
		 1);
	CHECK(uuid_of(db, "0b7c2c4e-aaaa-4222-8333-444455556666", got) == 0);
	CHECK_STR(got, t_text(db, "SELECT id FROM Point WHERE name = 'looks'",
			      buf));
	outpost_close(db);
}

/* Every node's uuid and neighbours, as text. */
static void graph_text(char *out, size_t n, outpost *db)
{
	static const char *const names[] = {"d1", "d2", "d3", "d4", "c1"};
	outpost_traversal tr = OUTPOST_TRAVERSAL_INIT;
	size_t i;

	out[0] = '\0';
	t_text(db, "SELECT group_concat(id || '=' || name, ' ') FROM (SELECT "
		   "id, name FROM Point UNION ALL SELECT id, name FROM City "
		   "ORDER BY name)",
	       out);
	tr.direction = OUTPOST_BOTH;
	for (i = 0; i < 5; i++)
		add_listing(out, n, db, &tr, names[i]);
}

void test_import_deterministic_uuids(struct t *t)
{
	outpost *a = imp_store(t, "a", 0), *b = imp_store(t, "b", 0);
	char p[512], c[512], e[512], ga[8192], gb[8192], ua[40], ub[40];
	const char *nf[2] = {p, c}, *ef[1] = {e};

	CHECK(a && b);
	CHECK(put(p, t, "d.csv", HDR "d1,one,Point\nd2,two,Point\n"
				     "d3,three,Point\nd4,four,Point\n") == 0);
	CHECK(put(c, t, "dc.csv", HDR "c1,Rome,City\n") == 0);
	/* A repeated edge, both types between one pair, a self loop. */
	CHECK(put(e, t, "de.csv", RHDR "d1,d2,LINK\nd1,d2,LINK\nd1,d2,NEAR\n"
				       "d2,d3,LINK\nd3,d3,NEAR\nd4,c1,IN\n") ==
	      0);
	CHECK_OK(a, outpost_import(a, nf, 2, ef, 1, NULL));
	CHECK_OK(b, outpost_import(b, nf, 2, ef, 1, NULL));
	graph_text(ga, sizeof(ga), a);
	graph_text(gb, sizeof(gb), b);
	CHECK_HAS(ga, "d1(OUTPOST_OK 1):");
	CHECK_STR(ga, gb);
	/* A derived uuid is a UUID v8. */
	CHECK(uuid_of(a, "d1", ua) == 0);
	CHECK(uuid_of(b, "d1", ub) == 0);
	CHECK_STR(ua, ub);
	CHECK_EQ(ua[14], '8'); /* version 8 */
	CHECK(strchr("89ab", ua[19]) != NULL);
	/* Importing the same files again changes nothing. */
	CHECK_OK(a, outpost_import(a, nf, 2, ef, 1, NULL));
	graph_text(ga, sizeof(ga), a);
	CHECK_STR(ga, gb);
	outpost_close(a);
	outpost_close(b);
}

/* neo4j id spaces: the same id in two spaces is two nodes, and each
 * relationship file's ids are looked up in the space its header names. */
void test_import_id_spaces(struct t *t)
{
	static const char *const link[] = {"LINK"};
	outpost *db = imp_store(t, "store", 0);
	outpost_traversal tr = OUTPOST_TRAVERSAL_INIT;
	char a[512], b[512], e[512], ua[T_TEXT_MAX], ub[T_TEXT_MAX];
	const char *nf[2] = {a, b}, *ef[1] = {e};
	struct listed l;
	long long n = -1;

	CHECK(db);
	CHECK(put(a, t, "a.csv", "id:ID(A),name,:LABEL\n1,one-A,Point\n") ==
	      0);
	CHECK(put(b, t, "b.csv", "id:ID(B),name,:LABEL\n1,one-B,Point\n"
				 "2,two-B,Point\n") == 0);
	CHECK(put(e, t, "ab.csv", ":START_ID(A),:END_ID(B),:TYPE\n1,2,LINK\n"
				  "1,1,LINK\n") == 0);
	CHECK_OK(db, outpost_import(db, nf, 2, ef, 1, NULL));
	CHECK_EQ(t_int(db, "SELECT count(DISTINCT id) FROM Point"), 3);
	t_text(db, "SELECT id FROM Point WHERE name = 'one-A'", ua);
	t_text(db, "SELECT id FROM Point WHERE name = 'one-B'", ub);
	tr.types = link;
	tr.ntypes = 1;
	l.n = 0;
	CHECK_OK(db, outpost_graph_neighbours(db, &tr, ua, listed_add, &l,
					      &n));
	CHECK_EQ(n, 2);
	tr.direction = OUTPOST_IN;
	CHECK_OK(db, outpost_graph_neighbours(db, &tr, ub, NULL, NULL, &n));
	CHECK_EQ(n, 1);
	outpost_close(db);
}

/* A map far too small for the import is grown, not reported: the import
 * succeeds, every edge is there, and the store reopens with the bigger
 * map. */
void test_import_full_map_grows(struct t *t)
{
	outpost_open_opts o = OUTPOST_OPEN_OPTS_INIT;
	outpost_traversal tr = OUTPOST_TRAVERSAL_INIT;
	char d[512], schema[512], p[512], e[512];
	const char *nf[1] = {p}, *ef[1] = {e}, *start[1] = {"p0"};
	long long count = 0;
	outpost *db = NULL;
	FILE *f;
	int i;

	o.graph_map_bytes = 64 * 1024; /* a few pages */
	t_path(d, t, "small");
	CHECK(put(schema, t, "imp.json", imp_schema) == 0);
	t_path(p, t, "many_points.csv");
	t_path(e, t, "many_edges.csv");
	f = fopen(p, "w");
	CHECK(f != NULL);
	fputs("id:ID,name,:LABEL\n", f);
	for (i = 0; i < 3000; i++)
		fprintf(f, "p%d,Point %d,Point\n", i, i);
	CHECK(fclose(f) == 0);
	f = fopen(e, "w");
	CHECK(f != NULL);
	fputs(":START_ID,:END_ID,:TYPE\n", f);
	for (i = 1; i < 3000; i++) /* a star around p0, and a chain */
		fprintf(f, "p0,p%d,LINK\np%d,p%d,NEAR\n", i, i - 1, i);
	CHECK(fclose(f) == 0);
	CHECK_OK(db, outpost_init(&db, d, &o));
	CHECK_OK(db, outpost_schema_apply(db, schema));
	CHECK_OK(db, outpost_import(db, nf, 1, ef, 1, NULL));
	CHECK_OK(db, outpost_graph_count_many(db, &tr, start, 1, &count));
	CHECK_EQ(count, 2999); /* p1..p2999 by LINK (p1 also by NEAR) */
	outpost_close(db);
	db = NULL;
	CHECK_OK(db, outpost_open(&db, d, &o));
	tr.max_depth = 0; /* reachability: everything from p0 */
	CHECK_OK(db, outpost_graph_count_many(db, &tr, start, 1, &count));
	CHECK_EQ(count, 2999);
	outpost_close(db);
}

/* An acyclic type: an import whose edges close a cycle, alone or with
 * edges already in the store, is refused naming the cycle by import ids,
 * and nothing of it stays. */
void test_import_acyclic_cycle_refused(struct t *t)
{
	outpost *db = imp_store(t, "store", 1);
	char e1[512], e2[512], before[4096], after[4096];
	const char *ef1[1] = {e1}, *ef2[1] = {e2};

	CHECK(db);
	CHECK(put(e1, t, "pre1.csv", ":START_ID,:END_ID,:TYPE\n"
				     "b1,b2,PRE\nb2,b3,PRE\n") == 0);
	CHECK_OK(db, outpost_import(db, NULL, 0, ef1, 1, NULL));
	snapshot(before, sizeof(before), db);
	CHECK_EQ(t_edges(db, NULL), 6);
	CHECK(put(e2, t, "pre2.csv", ":START_ID,:END_ID,:TYPE\n"
				     "b1,b3,PRE\nb3,b1,PRE\n") == 0);
	CHECK_RC(outpost_import(db, NULL, 0, ef2, 1, NULL), OUTPOST_EREFUSED);
	CHECK_HAS(outpost_errmsg(db), "PRE is acyclic, and the relationships "
				      "close the cycle ");
	/* The cycle: b1 -> b2 -> b3 -> b1 or b1 -> b3 -> b1, by uuid,
	 * since the nodes come from an earlier import. */
	CHECK_HAS(outpost_errmsg(db), " -> ");
	snapshot(after, sizeof(after), db);
	CHECK_STR(after, before);
	CHECK_EQ(t_edges(db, NULL), 6);
	{
		char *report = NULL;

		CHECK_OK(db, outpost_graph_verify(&report, db));
		CHECK(report == NULL);
	}
	outpost_close(db);
}

/* A cycle inside one import names its nodes by their import ids. */
void test_import_acyclic_cycle_named_by_ids(struct t *t)
{
	outpost *db = imp_store(t, "store", 0);
	char n[512], e[512];
	const char *nf[1] = {n}, *ef[1] = {e};

	CHECK(db);
	CHECK(put(n, t, "p.csv", "id:ID,:LABEL\nx,Point\ny,Point\nz,Point\n"
				 "w,Point\n") == 0);
	CHECK(put(e, t, "e.csv", ":START_ID,:END_ID,:TYPE\nw,x,PRE\n"
				 "x,y,PRE\ny,z,PRE\nz,x,PRE\n") == 0);
	CHECK_RC(outpost_import(db, nf, 1, ef, 1, NULL), OUTPOST_EREFUSED);
	CHECK_STR(outpost_errmsg(db), "PRE is acyclic, and the relationships "
				      "close the cycle x -> y -> z -> x");
	CHECK_EQ(t_int(db, "SELECT count(*) FROM Point"), 0);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes"), 0);
	CHECK_EQ(t_edges(db, NULL), 0);
	CHECK(put(e, t, "e.csv", ":START_ID,:END_ID,:TYPE\nx,x,PRE\n") == 0);
	CHECK_RC(outpost_import(db, nf, 1, ef, 1, NULL), OUTPOST_EREFUSED);
	CHECK_STR(outpost_errmsg(db), "PRE is acyclic, and the relationships "
				      "close the cycle x -> x");
	outpost_close(db);
}

/* The same files imported again change nothing, and one log entry per
 * import records what it made. */
void test_import_again_is_idempotent(struct t *t)
{
	outpost *db = imp_store(t, "store", 1);
	char p[512], c[512], e[512], before[4096], after[4096];
	const char *nf[2] = {p, c}, *ef[1] = {e};

	CHECK(db);
	snapshot(before, sizeof(before), db);
	CHECK_EQ(t_edges(db, NULL), 4);
	t_path(p, t, "base_points.csv");
	t_path(c, t, "base_cities.csv");
	t_path(e, t, "base_edges.csv");
	CHECK_OK(db, outpost_import(db, nf, 2, ef, 1, NULL));
	CHECK_EQ(t_edges(db, NULL), 4);
	snapshot(after, sizeof(after), db);
	/* Only the log grew: one more import entry. */
	CHECK_HAS(before, "log 1,");
	CHECK_HAS(after, "log 2,");
	CHECK_STR(strstr(after, ", applying"), strstr(before, ", applying"));
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes WHERE tbl = "
			   "'_outpost_import' AND json_extract(vals, '$.nodes') "
			   "= 4 AND json_extract(vals, '$.edges') = 4"), 2);
	CHECK_EQ(t_int(db, "SELECT json_extract(vals, '$.new_eids[1]') - "
			   "json_extract(vals, '$.new_eids[0]') FROM "
			   "_outpost_changes ORDER BY seq DESC LIMIT 1"), 0);
	outpost_close(db);
}

struct props_seen {
	char s[1024];
};

static int props_add(void *ctx, const outpost_edge_info *e)
{
	struct props_seen *p = ctx;
	size_t n = strlen(p->s);

	snprintf(p->s + n, sizeof(p->s) - n, "%s %s %s %s|", e->type,
		 e->properties ? e->properties : "-",
		 e->valid_from ? e->valid_from : "-",
		 e->valid_to ? e->valid_to : "-");
	return 0;
}

/* Relationship property columns become the edge's properties, typed by
 * the header; valid_from / valid_to set a validity type's range; a
 * value for an undeclared property is refused with file, line, column. */
void test_import_edge_properties(struct t *t)
{
	outpost *db = imp_store(t, "store", 1);
	char e[512], want[600];
	const char *ef[1] = {e};
	struct props_seen p = {{0}};
	outpost_traversal tr = OUTPOST_TRAVERSAL_INIT;
	long long n = -1;

	CHECK(db);
	CHECK(put(e, t, "props.csv", ":START_ID,:END_ID,:TYPE,w:float,"
				     "tags:string[],valid_from,valid_to\n"
				     "b2,b1,NEAR,0.25,\"a;b\"\"c\",,\n"
				     "b3,b2,NEAR,,,,\n"
				     "b1,b3,WHEN,,,2026-01-01T00:00:00Z,"
				     "2026-02-01\n") == 0);
	CHECK_OK(db, outpost_import(db, NULL, 0, ef, 1, NULL));
	CHECK_OK(db, outpost_graph_edges_each(db, "NEAR", props_add, &p));
	CHECK_HAS(p.s, "NEAR {\"w\":0.25,\"tags\":[\"a\",\"b\\\"c\"]} - -|");
	CHECK_HAS(p.s, "NEAR - - -|");
	p.s[0] = 0;
	CHECK_OK(db, outpost_graph_edges_each(db, "WHEN", props_add, &p));
	CHECK_STR(p.s, "WHEN - 2026-01-01T00:00:00.000Z "
		       "2026-02-01T00:00:00.000Z|");
	tr.as_of = "2026-03-01T00:00:00Z";
	CHECK_OK(db, outpost_graph_neighbours(db, &tr, "b1", NULL, NULL, &n));
	CHECK_EQ(n, 2); /* b2 (LINK) and c1 (IN); WHEN has expired */
	tr.as_of = "2026-01-15T00:00:00Z";
	CHECK_OK(db, outpost_graph_neighbours(db, &tr, "b1", NULL, NULL, &n));
	CHECK_EQ(n, 3);
	CHECK(put(e, t, "bad.csv", ":START_ID,:END_ID,:TYPE,w:float\n"
				   "b1,b2,NEAR,1\nb1,b2,LINK,2\n") == 0);
	CHECK_RC(outpost_import(db, NULL, 0, ef, 1, NULL), OUTPOST_ESCHEMA);
	t_expand(want, sizeof(want), "@:3: column 4 \"w:float\": w is not a "
		 "property of type LINK in the schema", e);
	CHECK_STR(outpost_errmsg(db), want);
	CHECK(put(e, t, "bad.csv", ":START_ID,:END_ID,:TYPE,valid_to\n"
				   "b1,b2,WHEN,soon\n") == 0);
	CHECK_RC(outpost_import(db, NULL, 0, ef, 1, NULL), OUTPOST_ECORRUPT);
	t_expand(want, sizeof(want), "@:2: column 4 \"valid_to\": \"soon\" "
		 "is not a timestamp (2026-01-31T12:00:00Z)", e);
	CHECK_STR(outpost_errmsg(db), want);
	outpost_close(db);
}

/* Asked for progress, an import reports on stderr (the CLI asks when
 * stderr is a terminal); the last report is the total. */
void test_import_progress_on_stderr(struct t *t)
{
	outpost *db = imp_store(t, "store", 0);
	outpost_import_opts opts = OUTPOST_IMPORT_OPTS_INIT;
	char p[512], c[512], e[512], log[512], buf[T_TEXT_MAX];
	const char *nf[2] = {p, c}, *ef[1] = {e};
	int fd, saved, rc;
	ssize_t n;

	CHECK(db);
	t_path(p, t, "base_points.csv");
	t_path(c, t, "base_cities.csv");
	t_path(e, t, "base_edges.csv");
	t_path(log, t, "stderr.txt");
	opts.progress = 1;
	fd = open(log, O_CREAT | O_RDWR | O_TRUNC, 0600);
	CHECK(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	rc = outpost_import(db, nf, 2, ef, 1, &opts);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	CHECK_OK(db, rc);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	CHECK(n > 0);
	buf[n] = 0;
	CHECK_STR(buf, "\rimport: 4 nodes, 4 relationships\n");
	outpost_close(db);
}

/* Every trigger's name and text, in name order. */
struct trig_text {
	char s[65536];
	size_t len;
};

static int trig_row(void *ctx, int n, const char *const *names,
		    const outpost_value *v)
{
	struct trig_text *tt = ctx;
	int w;

	(void)names;
	if (n < 2 || v[0].type != OUTPOST_TEXT || v[1].type != OUTPOST_TEXT)
		return 1;
	w = snprintf(tt->s + tt->len, sizeof(tt->s) - tt->len, "%s\n%s\n",
		     v[0].s, v[1].s);
	if (w < 0 || (size_t)w >= sizeof(tt->s) - tt->len)
		return 1;
	tt->len += (size_t)w;
	return 0;
}

static void triggers_text(outpost *db, struct trig_text *tt)
{
	tt->len = 0;
	tt->s[0] = '\0';
	outpost_sql(db, "SELECT name, sql FROM sqlite_master WHERE type = "
		    "'trigger' ORDER BY name", NULL, 0, trig_row, tt);
}

/* The import sets the node tables' inert AFTER triggers aside while it
 * loads (api_import_triggers.c): they come back byte for byte whether it
 * commits or fails, and they capture writes again afterwards. */
void test_import_triggers_restored(struct t *t)
{
	static struct trig_text before, after;
	outpost *db = imp_store(t, "store", 0);
	char p[512], c[512], e[512], bad[512];
	const char *nf[2] = {p, c}, *ef[1] = {e}, *badf[1] = {bad};

	CHECK(db);
	triggers_text(db, &before);
	CHECK_HAS(before.s, "_outpost_ai_Point");
	CHECK_HAS(before.s, "_outpost_gi_City");
	t_path(p, t, "base_points.csv");
	t_path(c, t, "base_cities.csv");
	t_path(e, t, "base_edges.csv");
	CHECK_OK(db, outpost_import(db, nf, 2, ef, 1, NULL));
	triggers_text(db, &after);
	CHECK_STR(after.s, before.s);
	/* A failure after the node load: rolled back with them in place. */
	CHECK(put(bad, t, "bad_nodes.csv",
		  "id:ID,name,:LABEL\nz1,a,Point\nz2,b,Nowhere\n") == 0);
	CHECK(outpost_import(db, badf, 1, NULL, 0, NULL) == OUTPOST_ESCHEMA);
	CHECK(put(bad, t, "bad_edges.csv", ":START_ID,:END_ID,:TYPE\n"
					   "b1,b2,LINK\nb1,zz,LINK\n") == 0);
	CHECK(outpost_import(db, NULL, 0, badf, 1, NULL) == OUTPOST_ENOTFOUND);
	triggers_text(db, &after);
	CHECK_STR(after.s, before.s);
	/* And they work: a local insert is captured for sync. */
	CHECK_OK(db, outpost_sql(db, "INSERT INTO Point(id, name) VALUES "
				 "('0190a000-0000-7000-8000-0000000000aa', "
				 "'local')", NULL, 0, NULL, NULL));
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes WHERE tbl = "
			   "'Point' AND op = 'I' AND row_id = "
			   "'0190a000-0000-7000-8000-0000000000aa'"), 1);
	outpost_close(db);
}
