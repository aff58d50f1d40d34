/* t_import_schema.c - outpost_import() with add_to_schema (`outpost import
 * --add-to-schema`): new labels become node tables and new types join
 * the labels of their first edge, missing columns and properties are
 * added typed by their headers, the version goes up by exactly one and
 * the recorded schema re-applies as a no-op. Without the flag the old
 * refusals stand; with it, every refused import (a bad name, a type that
 * does not fit, a bad row at the end of a file, a cycle) leaves the
 * schema byte for byte, the tables and the graph as they were. */
#include <stdlib.h>

#include "check.h"

/* The schema, written compact so the expected texts can be built from
 * its parts: `schema show` prints the declaration compact. */
#define PK	"{\"type\":\"uuid\",\"primary_key\":true}"
#define TYPE(t) "{\"type\":\"" t "\"}"
#define USERS	"\"tables\":{\"users\":{\"columns\":{\"id\":" PK "}}}"
/* Point's and the types' declarations, left open for additions. */
#define POINT                                                                \
	"\"Point\":{\"columns\":{\"id\":" PK ",\"name\":" TYPE("text")      \
	",\"n\":" TYPE("integer")
#define LINK "\"LINK\":{\"from\":\"Point\",\"to\":\"Point\""
#define PRE  "\"PRE\":{\"from\":\"Point\",\"to\":\"Point\",\"acyclic\":true}"
#define NEAR                                                                 \
	"\"NEAR\":{\"from\":\"Point\",\"to\":\"Point\",\"properties\":{\"w\":" \
	TYPE("real")
/* The whole schema at version v, with extra text inside Point's
 * columns (pc), after Point (nodes), inside LINK (lk), inside NEAR's
 * properties (np) and after the types (rels). */
#define SCHEMA(v, pc, nodes, lk, np, rels)                                   \
	"{\"schema\":\"xs\",\"version\":" v "," USERS ",\"nodes\":{" POINT pc \
	"}}" nodes "},\"relationships\":{" LINK lk "}," PRE "," NEAR np "}}" \
	rels "}}"
#define BASE SCHEMA("1", "", "", "", "", "")

#define NHDR "id:ID,name,:LABEL\n"
#define RHDR ":START_ID,:END_ID,:TYPE\n"

/* A store with the schema and two Point nodes, b1 -> b2 (LINK). */
static outpost *xs_store(struct t *t)
{
	char s[512], n[512], r[512];
	const char *nf[1] = {n}, *rf[1] = {r};
	outpost *db = t_store(t, NULL);

	t_path(s, t, "xs.json");
	t_path(n, t, "base_n.csv");
	t_path(r, t, "base_r.csv");
	if (!db || t_write(s, BASE "\n") != 0 ||
	    t_write(n, NHDR "b1,one,Point\nb2,two,Point\n") != 0 ||
	    t_write(r, RHDR "b1,b2,LINK\n") != 0 ||
	    outpost_schema_apply(db, s) != OUTPOST_OK ||
	    outpost_import(db, nf, 1, rf, 1, NULL) != OUTPOST_OK) {
		fprintf(stderr, "setup: %s\n", db ? outpost_errmsg(db) : "");
		outpost_close(db);
		return NULL;
	}
	return db;
}

/* Import up to two node files and one relationships file (NULL: not
 * passed), written as n1.csv, n2.csv and r.csv in the test's directory. */
static int imp(struct t *t, outpost *db, const char *n1, const char *n2,
	       const char *r, int add)
{
	char p1[512], p2[512], pr[512];
	const char *nf[2] = {p1, p2}, *rf[1] = {pr};
	outpost_import_opts o = OUTPOST_IMPORT_OPTS_INIT;

	t_path(p1, t, "n1.csv");
	t_path(p2, t, "n2.csv");
	t_path(pr, t, "r.csv");
	if ((n1 && t_write(p1, n1) != 0) || (n2 && t_write(p2, n2) != 0) ||
	    (r && t_write(pr, r) != 0))
		return -1000;
	o.add_to_schema = add;
	return outpost_import(db, n2 ? nf : n1 ? nf : NULL,
			      n2 ? 2 : n1 ? 1 : 0, r ? rf : NULL, r ? 1 : 0,
			      &o);
}

/* The recorded schema into out ("(error)" if none). */
static const char *shown(outpost *db, char *out, size_t n)
{
	char *s = NULL;

	if (outpost_schema_show(&s, db) == OUTPOST_OK)
		snprintf(out, n, "%s", s);
	else
		snprintf(out, n, "(error: %s)", outpost_errmsg(db));
	outpost_free(s);
	return out;
}

/* Everything a refused import must leave: the schema, the tables and
 * their columns, Point's rows, and the graph around b1. */
static void state(outpost *db, char *out, size_t n)
{
	static const char *const starts[] = {"b1", "b2", "p1", "z1"};
	outpost_traversal tr = OUTPOST_TRAVERSAL_INIT;
	long long c[4] = {0, 0, 0, 0};
	char s[4096], cols[T_TEXT_MAX], rows[T_TEXT_MAX];

	tr.direction = OUTPOST_BOTH;
	tr.max_depth = 0;
	outpost_graph_count_many(db, &tr, starts, 4, c);
	t_text(db, "SELECT group_concat(m.name || '(' || p.name || ' ' || "
		   "p.type || ')', ' ') FROM sqlite_master m, "
		   "pragma_table_info(m.name) p WHERE m.type = 'table'",
	       cols);
	t_text(db, "SELECT group_concat(name, ' ') FROM (SELECT name FROM "
		   "Point ORDER BY name)", rows);
	snprintf(out, n, "%s\n%s\n%s\n%lld %lld %lld %lld",
		 shown(db, s, sizeof(s)), cols, rows, c[0], c[1], c[2], c[3]);
}

static int count_fn(void *ctx, const char *uuid, int depth)
{
	(void)uuid;
	(void)depth;
	++*(int *)ctx;
	return 0;
}

/* Appends each edge's properties ("-" for none) to ctx, a
 * char[T_TEXT_MAX], one per line. */
static int edge_props(void *ctx, const outpost_edge_info *e)
{
	size_t len = strlen(ctx);

	snprintf((char *)ctx + len, T_TEXT_MAX - len, "%s\n",
		 e->properties ? e->properties : "-");
	return 0;
}

/* tmpl with '@', '$' and '#' replaced by a, b and c. */
static void expand3(char *out, size_t n, const char *tmpl, const char *a,
		    const char *b, const char *c)
{
	size_t len = 0;

	for (; *tmpl && len + 1 < n; tmpl++) {
		const char *s = *tmpl == '@'   ? a
				: *tmpl == '$' ? b
				: *tmpl == '#' ? c
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

void test_import_schema_new_label_and_type(struct t *t)
{
	static const char *const knows[] = {"KNOWS"};
	static const char *const both[] = {"KNOWS", "VISITS"};
	outpost_traversal tr = OUTPOST_TRAVERSAL_INIT;
	outpost *db = xs_store(t);
	char s[4096], got[T_TEXT_MAX], want[T_TEXT_MAX];
	long long count = -1;
	int n = 0;

	CHECK(db);
	CHECK_OK(db, imp(t, db,
			 "id:ID,name,age:int,:LABEL\np1,Ann,31,Person\n"
			 "p2,Bob,,Person\n",
			 NULL,
			 ":START_ID,:END_ID,:TYPE,since:date\n"
			 "p1,p2,KNOWS,2020-01-02\np2,b1,VISITS,\n",
			 1));
	CHECK_STR(shown(db, s, sizeof(s)),
		  SCHEMA("2", "", ",\"Person\":{\"columns\":{\"uuid\":" PK
			 ",\"id\":" TYPE("text") ",\"name\":" TYPE("text")
			 ",\"age\":" TYPE("integer") "}}",
			 "", "",
			 ",\"KNOWS\":{\"from\":\"Person\",\"to\":\"Person\","
			 "\"properties\":{\"since\":" TYPE("date") "}},"
			 "\"VISITS\":{\"from\":\"Person\",\"to\":\"Point\"}"));
	/* The rows, by SQL. */
	CHECK_STR(t_text(db, "SELECT group_concat(r, ' ') FROM (SELECT id || "
			     "':' || name || ':' || coalesce(age, '-') AS r "
			     "FROM Person ORDER BY id)", got),
		  "p1:Ann:31 p2:Bob:-");
	/* The graph: p1 -KNOWS-> p2 -VISITS-> b1. */
	tr.types = knows;
	tr.ntypes = 1;
	CHECK_OK(db, outpost_graph_neighbours(db, &tr, "p1", count_fn, &n,
					      &count));
	CHECK_EQ(count, 1);
	CHECK_EQ(n, 1);
	tr.types = both;
	tr.ntypes = 2;
	tr.max_depth = 0;
	CHECK_OK(db, outpost_graph_neighbours(db, &tr, "p1", NULL, NULL,
					      &count));
	CHECK_EQ(count, 2);
	t_text(db, "SELECT uuid FROM Person WHERE id = 'p2'", want);
	CHECK_EQ(strlen(want), 36);
	got[0] = '\0';
	CHECK_OK(db, outpost_graph_edges_each(db, "KNOWS", edge_props, got));
	CHECK_STR(got, "{\"since\":\"2020-01-02\"}\n");
	{
		char *report = NULL;

		CHECK_OK(db, outpost_graph_verify(&report, db));
		CHECK(report == NULL);
	}
	outpost_close(db);
}

void test_import_schema_new_columns(struct t *t)
{
	outpost *db = xs_store(t);
	char s[4096], got[T_TEXT_MAX];

	CHECK(db);
	CHECK_OK(db, imp(t, db,
			 "id:ID,name,score:float,:LABEL\nq1,q,2.5,Point\n",
			 NULL,
			 ":START_ID,:END_ID,:TYPE,hops:int,w\n"
			 "q1,b1,LINK,3,\nb2,q1,LINK,,\n",
			 1));
	/* Point gets score; LINK gets hops (a row gave it a value) but
	 * not w (no LINK row did: nothing to refuse). */
	CHECK_STR(shown(db, s, sizeof(s)),
		  SCHEMA("2", ",\"score\":" TYPE("real"), "",
			 ",\"properties\":{\"hops\":" TYPE("integer") "}", "",
			 ""));
	CHECK_STR(t_text(db, "SELECT group_concat(name || '=' || "
			     "coalesce(score, 'null'), ' ') FROM (SELECT * "
			     "FROM Point ORDER BY name)", got),
		  "one=null q=2.5 two=null");
	CHECK_STR(t_text(db, "SELECT type FROM pragma_table_info('Point') "
			     "WHERE name = 'score'", got),
		  "REAL");
	got[0] = '\0';
	CHECK_OK(db, outpost_graph_edges_each(db, "LINK", edge_props, got));
	/* b1 -> b2 from the base import, and the two new ones. */
	CHECK_HAS(got, "{\"hops\":3}\n");
	CHECK_EQ(strlen(got), strlen("{\"hops\":3}\n-\n-\n"));
	CHECK_EQ(t_int(db, "SELECT count(*) FROM Point"), 3);
	outpost_close(db);
}

/* Every CSV header type and what it becomes. */
void test_import_schema_type_mapping(struct t *t)
{
	outpost *db = xs_store(t);
	char s[4096], got[T_TEXT_MAX];

	CHECK(db);
	CHECK_OK(db, imp(t, db,
			 "id:ID,s:string,i:int,l:long,f:float,d:double,"
			 "b:boolean,dt:date,ts:datetime,a:string[],:LABEL\n"
			 "x1,hi,1,2,1.5,2.5,true,2024-02-29,"
			 "2024-01-02T03:04:05Z,u;v,Typed\n",
			 NULL,
			 ":START_ID,:END_ID,:TYPE,i:int,f:double,b:boolean,"
			 "a:date[]\n"
			 "x1,b1,TO,7,0.5,false,2024-01-01;2024-01-02\n",
			 1));
	CHECK_STR(shown(db, s, sizeof(s)),
		  SCHEMA("2", "",
			 ",\"Typed\":{\"columns\":{\"uuid\":" PK ",\"id\":"
			 TYPE("text") ",\"s\":" TYPE("text") ",\"i\":"
			 TYPE("integer") ",\"l\":" TYPE("integer") ",\"f\":"
			 TYPE("real") ",\"d\":" TYPE("real") ",\"b\":"
			 TYPE("boolean") ",\"dt\":" TYPE("date") ",\"ts\":"
			 TYPE("timestamp") ",\"a\":" TYPE("text[]") "}}",
			 "", "",
			 ",\"TO\":{\"from\":\"Typed\",\"to\":\"Point\","
			 "\"properties\":{\"i\":" TYPE("integer") ",\"f\":"
			 TYPE("real") ",\"b\":" TYPE("boolean") ",\"a\":"
			 TYPE("text[]") "}}"));
	CHECK_STR(t_text(db, "SELECT json_array(s, i, l, f, d, b, dt, ts, "
			     "json(a)) FROM Typed", got),
		  "[\"hi\",1,2,1.5,2.5,1,\"2024-02-29\","
		  "\"2024-01-02T03:04:05Z\",[\"u\",\"v\"]]");
	outpost_close(db);
}

/* Names are compared without case, as the schema compares them: the
 * schema's spelling wins, a new name keeps its first spelling. */
void test_import_schema_names_without_case(struct t *t)
{
	outpost *db = xs_store(t);
	char s[4096];

	CHECK(db);
	CHECK_OK(db, imp(t, db, "id:ID,NAME,:LABEL\nx,a,point\ny,b,POINT\n",
			 NULL, RHDR "x,y,link\nx,y,Knows\ny,x,KNOWS\n", 1));
	CHECK_STR(shown(db, s, sizeof(s)),
		  SCHEMA("2", "", "", "", "",
			 ",\"Knows\":{\"from\":\"Point\",\"to\":\"Point\"}"));
	CHECK_EQ(t_int(db, "SELECT count(*) FROM Point WHERE name IN ('a', "
			   "'b')"),
		 2);
	outpost_close(db);
}

/* The version goes up by one per import that changes the schema, even
 * when both passes change it, and not at all when nothing is new. */
void test_import_schema_version_once(struct t *t)
{
	outpost *db = xs_store(t);
	char s[4096], before[4096];

	CHECK(db);
	CHECK_OK(db, imp(t, db, NHDR "a1,a,A\n", NULL, RHDR "a1,b1,AB\n", 1));
	CHECK_HAS(shown(db, s, sizeof(s)), "\"version\":2,");
	CHECK_OK(db, imp(t, db, NHDR "c1,c,C\n", NULL, NULL, 1));
	CHECK_HAS(shown(db, s, sizeof(s)), "\"version\":3,");
	CHECK_OK(db, imp(t, db, NULL, NULL, RHDR "c1,a1,CA\n", 1));
	CHECK_HAS(shown(db, s, sizeof(s)), "\"version\":4,");
	shown(db, before, sizeof(before));
	CHECK_OK(db, imp(t, db, NHDR "c2,c,C\n", NULL, RHDR "c2,a1,CA\n", 1));
	CHECK_STR(shown(db, s, sizeof(s)), before);
	outpost_close(db);
}

/* What `schema show` prints is a schema file: applied again it changes
 * nothing, it matches the store, and a fresh store with it takes the
 * same files without the flag. */
void test_import_schema_shown_reapplies(struct t *t)
{
	const char *n = "id:ID,name,age:int,:LABEL\np1,Ann,31,Person\n"
			"q1,q,,Point\n";
	const char *r = ":START_ID,:END_ID,:TYPE,w:float\np1,q1,LIKES,0.5\n"
			"q1,q1,NEAR,1\n";
	outpost *db = xs_store(t), *db2 = NULL;
	char s[4096], again[4096], file[512], dir[512];
	char *drift = NULL;

	CHECK(db);
	CHECK_RC(imp(t, db, "id:ID,name,age:int,:LABEL\np1,Ann,31,Person\n"
			    "q1,q,7,Point\n",
		     NULL, NULL, 0),
		 OUTPOST_ESCHEMA);
	CHECK_OK(db, imp(t, db, n, NULL, r, 1));
	shown(db, s, sizeof(s));
	t_path(file, t, "shown.json");
	CHECK_EQ(t_write(file, s), 0);
	CHECK_OK(db, outpost_schema_apply(db, file));
	CHECK_STR(shown(db, again, sizeof(again)), s);
	CHECK_OK(db, outpost_schema_check(&drift, db, NULL));
	CHECK(drift == NULL);
	CHECK_OK(db, outpost_schema_check(&drift, db, file));
	CHECK(drift == NULL);
	outpost_close(db);
	t_path(dir, t, "second");
	CHECK_OK(db2, outpost_init(&db2, dir, NULL));
	CHECK_OK(db2, outpost_schema_apply(db2, file));
	CHECK_OK(db2, imp(t, db2, n, NULL, r, 0));
	CHECK_STR(shown(db2, again, sizeof(again)), s);
	CHECK_EQ(t_int(db2, "SELECT count(*) FROM Person"), 1);
	outpost_close(db2);
}

/* Refused imports: up to two node files and one relationships file; in
 * msg '@' is the first node file, '$' the second, '#' the relationships
 * file. */
static const struct {
	const char *what;
	int add;
	const char *nodes, *nodes2, *rels;
	int rc;
	const char *msg;
} refused[] = {
    /* Without the flag, what was refused still is. */
    {"unknown label", 0, NHDR "z1,a,Point\nz2,b,Person\n", NULL, NULL,
     OUTPOST_ESCHEMA,
     "@:3: label \"Person\" is not a node label of the schema"},
    {"unknown type", 0, NHDR "z1,a,Point\n", NULL, RHDR "z1,b1,KNOWS\n",
     OUTPOST_ESCHEMA, "#:2: relationship type \"KNOWS\" is not in the schema"},
    {"a column the label lacks", 0, "id:ID,age:int,:LABEL\nz1,3,Point\n",
     NULL, NULL, OUTPOST_ESCHEMA,
     "@:1: column 2 \"age:int\": age is not a column of label Point in the "
     "schema"},
    {"a property the type lacks", 0, NHDR "z1,a,Point\n", NULL,
     ":START_ID,:END_ID,:TYPE,hops:int\nz1,b1,LINK,2\n", OUTPOST_ESCHEMA,
     "#:2: column 4 \"hops:int\": hops is not a property of type LINK in "
     "the schema"},
    /* With it: what cannot be added, or does not fit. */
    {"a header type that does not fit a column", 1,
     "id:ID,n:float,:LABEL\nz1,1.5,Point\n", NULL, NULL, OUTPOST_ESCHEMA,
     "@:1: column 2 \"n:float\": the header's type float does not fit "
     "column Point.n, which is integer"},
    {"a header type that does not fit a property", 1, NHDR "z1,a,Point\n",
     NULL, ":START_ID,:END_ID,:TYPE,w:boolean\nz1,b1,NEAR,true\n",
     OUTPOST_ESCHEMA,
     "#:1: column 4 \"w:boolean\": the header's type boolean does not fit "
     "property NEAR.w, which is real"},
    {"two files type a new column apart", 1,
     "id:ID,k:int,:LABEL\nz1,1,Zed\n", "id:ID,k:boolean,:LABEL\nz2,true,Zed\n",
     NULL, OUTPOST_ESCHEMA,
     "$:1: column 2 \"k:boolean\": the header's type boolean does not fit "
     "column Zed.k, which is integer"},
    {"an int array", 1, "id:ID,k:int[],:LABEL\nz1,1;2,Zed\n", NULL, NULL,
     OUTPOST_ESCHEMA,
     "@:1: column 2 \"k:int[]\": the schema has no type for int[] (its one "
     "array type, text[], holds strings); declare the column yourself, as "
     "json"},
    {"a label that is not an identifier", 1,
     NHDR "z1,a,Zed\nz2,b,Zed\nz3,c,two words\n", NULL, NULL,
     OUTPOST_ESCHEMA,
     "@:4: label name \"two words\" is not an identifier (letters, digits "
     "and _, not starting with a digit)"},
    {"a reserved label", 1, NHDR "z1,a,sqlite_x\n", NULL, NULL,
     OUTPOST_ESCHEMA,
     "@:2: label name \"sqlite_x\" is reserved (names starting with "
     "_outpost or sqlite_ belong to the store)"},
    {"a label 64 bytes long", 1,
     NHDR "z1,a,L123456789012345678901234567890123456789012345678901234567"
          "890123\n",
     NULL, NULL, OUTPOST_ESCHEMA,
     "@:2: label name \"L1234567890123456789012345678901234567890123456789"
     "01234567890123\" is longer than 63 bytes"},
    {"a label that is a table", 1, NHDR "z1,a,USERS\n", NULL, NULL,
     OUTPOST_ESCHEMA,
     "@:2: label \"USERS\" cannot be added to the schema: it is the name of "
     "a table"},
    {"a label that is a type", 1, NHDR "z1,a,Link\n", NULL, NULL,
     OUTPOST_ESCHEMA,
     "@:2: label \"Link\" cannot be added to the schema: it is the name of "
     "a relationship type"},
    {"a type that is a new label", 1, NHDR "z1,a,Zed\n", NULL,
     RHDR "z1,z1,zed\n", OUTPOST_ESCHEMA,
     "#:2: relationship type \"zed\" cannot be added to the schema: it is "
     "the name of a node label"},
    {"an empty type", 1, NHDR "z1,a,Zed\n", NULL, RHDR "z1,z1,\n",
     OUTPOST_ESCHEMA,
     "#:2: relationship type name \"\" is not an identifier (letters, "
     "digits and _, not starting with a digit)"},
    {"a column name that is not an identifier", 1,
     "id:ID,my col,:LABEL\nz1,a,Zed\n", NULL, NULL, OUTPOST_ESCHEMA,
     "@:1: column 2 \"my col\": column name \"my col\" is not an "
     "identifier (letters, digits and _, not starting with a digit)"},
    {"uuid as a property", 1, NHDR "z1,a,Point\n", NULL,
     ":START_ID,:END_ID,:TYPE,uuid\nz1,b1,LINK,x\n", OUTPOST_ESCHEMA,
     "#:1: column 4 \"uuid\": uuid cannot be a property (every edge has its "
     "own)"},
    {"a new type between two label pairs", 1, NHDR "z1,a,Zed\n", NULL,
     RHDR "z1,b1,ZP\nz1,b2,ZP\nb1,z1,ZP\n", OUTPOST_ESCHEMA,
     "#:4: new relationship type ZP goes from Point to Zed here, but from "
     "Zed to Point at its first edge (#:2)"},
    /* Bad rows after the additions: the load refuses them, and the
     * schema goes back with everything else. */
    {"a bad row at the end of the relationships file", 1,
     "id:ID,name,age:int,:LABEL\nz1,a,3,Zed\nz2,b,4,Point\n", NULL,
     ":START_ID,:END_ID,:TYPE,w:float\nz1,z2,ZP,1\nz2,b1,NEAR,2\n"
     "z2,nobody,LINK,\n",
     OUTPOST_ENOTFOUND,
     "#:4: :END_ID \"nobody\": no such node (not in the node files nor in "
     "the store)"},
    {"a bad row at the end of a node file", 1,
     "id:ID,name,age:int,:LABEL\nz1,a,3,Zed\nz2,b,x,Zed\n", NULL, NULL,
     OUTPOST_ECORRUPT, "@:3: column 3 \"age:int\": \"x\" is not an integer"},
    {"a cycle in an acyclic type", 1, "id:ID,name,age:int,:LABEL\nz1,a,3,Zed\n",
     NULL, RHDR "z1,b1,ZP\nb1,b2,PRE\nb2,b1,PRE\n", OUTPOST_EREFUSED,
     "PRE is acyclic, and the relationships close the cycle *"},
};

static int refused_case(struct t *t, outpost *db, size_t i)
{
	char n1[512], n2[512], r[512], want[1024], before[8192], after[8192];
	const char *got;
	size_t wl;
	int rc;

	t_path(n1, t, "n1.csv");
	t_path(n2, t, "n2.csv");
	t_path(r, t, "r.csv");
	state(db, before, sizeof(before));
	rc = imp(t, db, refused[i].nodes, refused[i].nodes2, refused[i].rels,
		 refused[i].add);
	got = outpost_errmsg(db);
	expand3(want, sizeof(want), refused[i].msg, n1, n2, r);
	wl = strlen(want);
	wl = wl && want[wl - 1] == '*' ? wl - 1 : (size_t)-1;
	if (rc != refused[i].rc ||
	    (wl == (size_t)-1 ? strcmp(got, want) : strncmp(got, want, wl))) {
		t_fail(t, __FILE__, __LINE__,
		       "case %zu (%s): %s, want %s\n    got  \"%s\"\n    "
		       "want \"%s\"",
		       i, refused[i].what, outpost_errstr(rc),
		       outpost_errstr(refused[i].rc), got, want);
		return 1;
	}
	state(db, after, sizeof(after));
	if (strcmp(before, after) != 0) {
		t_fail(t, __FILE__, __LINE__,
		       "case %zu (%s): the store changed\n    before: %s\n    "
		       "after:  %s",
		       i, refused[i].what, before, after);
		return 1;
	}
	return 0;
}

void test_import_schema_refusals_leave_schema(struct t *t)
{
	outpost *db = xs_store(t);
	char s[4096];
	size_t i;

	CHECK(db);
	CHECK_STR(shown(db, s, sizeof(s)), BASE);
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (refused_case(t, db, i) != 0)
			break;
	CHECK_STR(shown(db, s, sizeof(s)), BASE);
	/* Each refused import rolled its version back: the next one that
	 * succeeds is version 2. */
	CHECK_OK(db, imp(t, db, NHDR "z1,a,Zed\n", NULL, NULL, 1));
	CHECK_HAS(shown(db, s, sizeof(s)), "\"version\":2,");
	outpost_close(db);
}

#define OP(out, fmt, ...)                                                    \
	t_sh(out, "cd '%s' && '%s' -d store " fmt, t->dir, t_bin(),          \
	     __VA_ARGS__)

void test_import_schema_cli(struct t *t)
{
	char p[512], uuid[T_TEXT_MAX], want[T_TEXT_MAX];
	char *out = NULL;
	outpost *db;

	t_path(p, t, "xs.json");
	CHECK_EQ(t_write(p, BASE), 0);
	t_path(p, t, "n.csv");
	CHECK_EQ(t_write(p, "id:ID,name,:LABEL\np1,Ann,Person\np2,Bob,"
			    "Person\n"), 0);
	t_path(p, t, "r.csv");
	CHECK_EQ(t_write(p, RHDR "p1,p2,KNOWS\n"), 0);
	CHECK_EQ(OP(&out, "init && '%s' -d store schema apply xs.json",
		    t_bin()), 0);
	free(out);
	CHECK_EQ(OP(&out, "import --help%s", ""), 0);
	CHECK_HAS(out, "[--add-to-schema]");
	free(out);
	CHECK_EQ(OP(&out, "import --nodes n.csv --relationships r.csv%s", ""),
		 1);
	CHECK_STR(out, "outpost: n.csv:2: label \"Person\" is not a node "
		       "label of the schema\n");
	free(out);
	CHECK_EQ(OP(&out, "import --nodes n.csv --add-to-schema "
		    "--relationships r.csv%s", ""), 0);
	CHECK_STR(out, "imported: 1 node file, 1 relationship file\n");
	free(out);
	CHECK_EQ(OP(&out, "schema show%s", ""), 0);
	CHECK_STR(out, SCHEMA("2", "", ",\"Person\":{\"columns\":{\"uuid\":"
			      PK ",\"id\":" TYPE("text") ",\"name\":"
			      TYPE("text") "}}", "", "",
			      ",\"KNOWS\":{\"from\":\"Person\",\"to\":"
			      "\"Person\"}") "\n");
	free(out);
	CHECK_EQ(OP(&out, "schema show > shown.json && '%s' -d store schema "
		    "apply shown.json && '%s' -d store schema check", t_bin(),
		    t_bin()), 0);
	CHECK_STR(out, "schema shown.json applied\nno drift: the store "
		       "matches the schema\n");
	free(out);
	CHECK_EQ(OP(&out, "sql \"SELECT name FROM Person ORDER BY name\"%s",
		    ""), 0);
	CHECK_HAS(out, "Ann");
	CHECK_HAS(out, "Bob");
	free(out);
	CHECK_EQ(OP(&out, "graph neighbours p1 --type KNOWS%s", ""), 0);
	t_path(p, t, "store");
	CHECK_EQ(outpost_open(&db, p, NULL), OUTPOST_OK);
	t_text(db, "SELECT uuid FROM Person WHERE id = 'p2'", uuid);
	outpost_close(db);
	snprintf(want, sizeof(want), "%.40s\n", uuid);
	CHECK_STR(out, want);
	free(out);
}

/* A caller built against version 1 of outpost_import_opts has no
 * add_to_schema: what lies past its struct is never read as the flag. */
void test_import_schema_opts_version_1(struct t *t)
{
	outpost *db = xs_store(t);
	/* Version 1, with a 1 where its struct ended (stack garbage). */
	outpost_import_opts v1 = {1u, 0, 1};
	outpost_import_opts bad = {3u, 0, 0};
	char p[512], s[4096], before[4096];
	const char *nf[1] = {p};

	CHECK(db);
	shown(db, before, sizeof(before));
	t_path(p, t, "n1.csv");
	CHECK(t_write(p, NHDR "q1,q,Quux\n") == 0);
	CHECK(outpost_import(db, nf, 1, NULL, 0, &v1) == OUTPOST_ESCHEMA);
	CHECK_HAS(outpost_errmsg(db), "label \"Quux\" is not a node label");
	CHECK_STR(shown(db, s, sizeof(s)), before);
	CHECK(outpost_import(db, nf, 1, NULL, 0, &bad) == OUTPOST_EMISUSE);
	outpost_close(db);
}
