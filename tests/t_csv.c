/* t_csv.c - the neo4j-admin CSV reader (src/graph_csv_*.c): valid files
 * read back exactly (quotes, line breaks, CRLF, BOM, arrays, id spaces,
 * the bench generator's headers), every malformed header and record is
 * refused with its exact message, typed values, and a 200,000-line file
 * streams through a small fixed buffer. */
#include <stdint.h>
#include <sys/resource.h>

#include "check.h"
#include "graph_csv.h"

#define NODES OP_GRAPH_CSV_NODES
#define RELS  OP_GRAPH_CSV_RELATIONSHIPS

/* Write len bytes (strlen(data) when len is 0); 0 on success. */
static int write_bytes(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	size_t n = len ? len : strlen(data);
	int rc;

	if (!f)
		return -1;
	rc = fwrite(data, 1, n, f) != n;
	return fclose(f) != 0 || rc ? -1 : 0;
}


static const char *const type_names[] = {"string", "int",  "float",
					 "boolean", "date", "datetime"};
static const char *const role_names[] = {"P",	     "ID",     "LABEL",
					 "START_ID", "END_ID", "TYPE",
					 "IGNORE"};

/* The columns as "role=name:type[](space)" words, e.g. "ID=uuid
 * P=name:string LABEL[]". */
static void render_cols(struct op_buf *b, const struct op_graph_csv *r)
{
	size_t k;

	for (k = 0; k < op_graph_csv_ncols(r); k++) {
		const struct op_graph_csv_col *c = op_graph_csv_col(r, k);

		op_buf_addf(b, "%s%s", k ? " " : "", role_names[c->role]);
		if (c->name)
			op_buf_addf(b, "=%s", c->name);
		if (c->role == OP_GRAPH_CSV_PROPERTY)
			op_buf_addf(b, ":%s", type_names[c->type]);
		else if (c->type != OP_GRAPH_CSV_STRING)
			op_buf_adds(b, ":?"); /* special columns are text */
		if (c->is_array)
			op_buf_adds(b, "[]");
		if (c->id_space)
			op_buf_addf(b, "(%s)", c->id_space);
	}
}

/* Read every row as "f1|f2|...\n", each prefixed by "LINE:". */
static int render_rows(struct op_buf *b, struct op_graph_csv *r,
		       struct op_err *err)
{
	size_t k;
	int rc;

	while ((rc = op_graph_csv_next(r, err)) == OP_GRAPH_CSV_ROW) {
		op_buf_addf(b, "%zu:", op_graph_csv_line(r));
		for (k = 0; k < op_graph_csv_ncols(r); k++)
			op_buf_addf(b, "%s%s", k ? "|" : "",
				    op_graph_csv_field(r, k));
		op_buf_adds(b, "\n");
	}
	return rc;
}

static const struct {
	enum op_graph_csv_kind kind;
	const char *text;
	const char *cols; /* render_cols() */
	const char *rows; /* render_rows() */
} good[] = {
    /* the exact headers of /work/shared/bench/gen_curriculum.py */
    {NODES,
     "uuid:ID,name,:LABEL,subject,difficulty:int\n"
     "01900000-0000-7000-8000-000000000001,Fractions,LearningPoint,math,3\n"
     "01900000-0000-7000-8000-000000000002,\"Verbs, irregular\","
     "LearningPoint,english,10\n",
     "ID=uuid P=name:string LABEL[] P=subject:string P=difficulty:int",
     "2:01900000-0000-7000-8000-000000000001|Fractions|LearningPoint|math|3\n"
     "3:01900000-0000-7000-8000-000000000002|Verbs, irregular|"
     "LearningPoint|english|10\n"},
    {RELS,
     ":START_ID,:END_ID,:TYPE\na,b,PREREQUISITE_OF\nb,c,RELATED_TO\n",
     "START_ID END_ID TYPE",
     "2:a|b|PREREQUISITE_OF\n3:b|c|RELATED_TO\n"},
    /* quotes: "" inside, commas, line breaks, empty quoted field */
    {NODES,
     "id:ID,note\n1,\"say \"\"hi\"\", then go\"\n2,\"two\nlines\"\n"
     "3,\"\"\n4,\"\"\"\"\n",
     "ID=id P=note:string",
     "2:1|say \"hi\", then go\n3:2|two\nlines\n5:3|\n6:4|\"\n"},
    /* CRLF, with a CRLF kept inside a quoted field */
    {NODES, "id:ID,a\r\n1,x\r\n2,\"y\r\nz\"\r\n3,\r\n", "ID=id P=a:string",
     "2:1|x\n3:2|y\r\nz\n5:3|\n"},
    /* byte order mark */
    {NODES, "\xEF\xBB\xBF:ID,name\n1,A\n", "ID P=name:string", "2:1|A\n"},
    /* no final line break; a quote inside an unquoted field is a quote */
    {NODES, ":ID,a\n1,5\"6\n2,x", "ID P=a:string", "2:1|5\"6\n3:2|x\n"},
    /* empty lines anywhere are skipped, at the end too */
    {NODES, ":ID,a\n\n1,x\n\n\r\n2,y\n\n\r\n\n", "ID P=a:string",
     "3:1|x\n6:2|y\n"},
    /* empty fields, a final empty field, header only */
    {NODES, ":ID,a,b\n1,,\n2,x,\n", "ID P=a:string P=b:string",
     "2:1||\n3:2|x|\n"},
    {NODES, ":ID,a\n", "ID P=a:string", ""},
    /* id spaces */
    {NODES, "person:ID(Person),name\np1,Ann\n", "ID=person(Person) "
     "P=name:string", "2:p1|Ann\n"},
    {RELS, ":START_ID(Person),:END_ID(Movie),:TYPE,role\np1,m1,ACTED_IN,"
     "Neo\n", "START_ID(Person) END_ID(Movie) TYPE P=role:string",
     "2:p1|m1|ACTED_IN|Neo\n"},
    /* every type, arrays, IGNORE, case-insensitive type names */
    {NODES,
     "id:ID,tags:string[],scores:int[],w:double,ok:boolean,born:date,"
     "at:datetime,n:long,f:float,skip:IGNORE,:IGNORE,:LABEL,big:INT,"
     "x:Float[]\n"
     "1,a;b,1;2,0.5,true,2020-01-02,2020-01-02T03:04:05Z,7,1.5,s,t,A;B,"
     "9,1.5;2\n",
     "ID=id P=tags:string[] P=scores:int[] P=w:float P=ok:boolean "
     "P=born:date P=at:datetime P=n:int P=f:float IGNORE IGNORE LABEL[] "
     "P=big:int P=x:float[]",
     "2:1|a;b|1;2|0.5|true|2020-01-02|2020-01-02T03:04:05Z|7|1.5|s|t|A;B|"
     "9|1.5;2\n"},
    /* the type is after the last ':'; no ':' means a string property */
    {NODES, ":ID,a:b:int,count(x),\"q,r\"\n1,2,3,4\n",
     "ID P=a:b:int P=count(x):string P=q,r:string", "2:1|2|3|4\n"},
    /* names on START_ID, END_ID, TYPE and LABEL are not properties */
    {RELS, "from:START_ID,to:END_ID,kind:TYPE,since:date\n1,2,KNOWS,\n",
     "START_ID END_ID TYPE P=since:date", "2:1|2|KNOWS|\n"},
    {NODES, "id:ID,kind:LABEL,name\n1,A,n\n", "ID=id LABEL[] P=name:string",
     "2:1|A|n\n"},
    /* no TYPE column is allowed; UTF-8 text passes */
    {RELS, ":START_ID,:END_ID\n\xC3\xA9,\xF0\x9F\x98\x80\n", "START_ID END_ID",
     "2:\xC3\xA9|\xF0\x9F\x98\x80\n"},
};

void test_csv_valid_files(struct t *t)
{
	char path[512];
	size_t i;

	t_path(path, t, "good.csv");
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct op_graph_csv *r = NULL;
		struct op_buf cols = {0}, rows = {0};
		struct op_err err = {{0}};
		int rc;

		CHECK_EQ(write_bytes(path, good[i].text, 0), 0);
		rc = op_graph_csv_open(&r, path, good[i].kind, &err);
		if (rc != OUTPOST_OK)
			t_fail(t, __FILE__, __LINE__, "case %zu: %s", i,
			       err.msg);
		CHECK_RC(rc, OUTPOST_OK);
		CHECK_EQ(op_graph_csv_line(r), 1);
		render_cols(&cols, r);
		rc = render_rows(&rows, r, &err);
		if (rc != 0)
			t_fail(t, __FILE__, __LINE__, "case %zu: %s", i,
			       err.msg);
		CHECK_EQ(rc, 0);
		CHECK_EQ(op_graph_csv_next(r, &err), 0); /* stays at the end */
		op_graph_csv_close(r);
		if (strcmp(op_buf_str(&cols), good[i].cols) != 0 ||
		    strcmp(op_buf_str(&rows), good[i].rows) != 0)
			t_fail(t, __FILE__, __LINE__,
			       "case %zu:\n    got  %s\n%s    want %s\n%s", i,
			       op_buf_str(&cols), op_buf_str(&rows),
			       good[i].cols, good[i].rows);
		op_buf_free(&cols);
		op_buf_free(&rows);
		if (t->failed)
			return;
	}
}

/* The type lists of unknown-type messages. */
#define NODE_TYPES                                                             \
	"(expected one of: string, int, long, float, double, boolean, date, "  \
	"datetime, each optionally followed by [], or ID, LABEL, IGNORE)"
#define REL_TYPES                                                              \
	"(expected one of: string, int, long, float, double, boolean, date, "  \
	"datetime, each optionally followed by [], or START_ID, END_ID, "      \
	"TYPE, IGNORE)"
#define AFTER_QUOTE "after the closing quote (write a quote inside a quoted "\
	"field as \"\")"

/* Each file, and the whole message; "@" stands for the file's path. len
 * is the text's length when it holds a NUL (else 0). */
static const struct {
	enum op_graph_csv_kind kind;
	const char *text;
	size_t len;
	const char *want;
} bad[] = {
    /* no header */
    {NODES, "", 0,
     "@:1: empty file (expected a header such as \"uuid:ID,name,:LABEL\")"},
    {RELS, "\xEF\xBB\xBF", 0,
     "@:1: empty file (expected a header such as "
     "\":START_ID,:END_ID,:TYPE\")"},
    /* header entries */
    {NODES, "uuid:ID,name,difficulty:integer\n", 0,
     "@:1: column 3 \"difficulty:integer\": unknown type \"integer\" "
     NODE_TYPES},
    {NODES, ":ID,p:point\n", 0,
     "@:1: column 2 \"p:point\": unknown type \"point\" " NODE_TYPES},
    {RELS, ":START_ID,:END_ID,w:short[]\n", 0,
     "@:1: column 3 \"w:short[]\": unknown type \"short[]\" " REL_TYPES},
    {NODES, ":ID,a:\n", 0,
     "@:1: column 2 \"a:\": missing type after ':' " NODE_TYPES},
    {NODES, ":ID,a,,b\n", 0,
     "@:1: column 3 is empty (a property needs a name; write :IGNORE to "
     "skip a column)"},
    {NODES, ":ID,:int\n", 0,
     "@:1: column 2 \":int\": a property needs a name before the ':'"},
    {NODES, ":ID,name,age:int,name\n", 0,
     "@:1: column 4 \"name\": property \"name\" is also column 2"},
    {NODES, "uuid:ID,uuid:int\n", 0,
     "@:1: column 2 \"uuid:int\": property \"uuid\" is also column 1"},
    {NODES, ":ID,a:int(x)\n", 0,
     "@:1: column 2 \"a:int(x)\": only ID, START_ID and END_ID take an id "
     "space in parentheses"},
    {NODES, ":ID()\n", 0,
     "@:1: column 1 \":ID()\": empty id space in parentheses"},
    {NODES, ":ID,:LABEL[]\n", 0,
     "@:1: column 2 \":LABEL[]\": only property types can be arrays ([])"},
    {NODES, "\":ID,a\n", 0,
     "@:1: column 1: the quote opened on line 1 is never closed"},
    {NODES, ":ID,caf\xE9\n", 0, "@:1: column 2: invalid UTF-8"},
    /* the columns a kind of file needs */
    {NODES, "name,age:int\n", 0,
     "@:1: no ID column (a nodes file needs one, such as \"uuid:ID\" or "
     "\":ID\")"},
    {NODES, "a:ID,b:ID\n", 0,
     "@:1: column 2 \"b:ID\": a second ID column (the first is column 1)"},
    {NODES, ":ID,:START_ID\n", 0,
     "@:1: column 2 \":START_ID\": :START_ID belongs in a relationships "
     "file, not a nodes file"},
    {NODES, ":ID,:TYPE\n", 0,
     "@:1: column 2 \":TYPE\": :TYPE belongs in a relationships file, not "
     "a nodes file"},
    {RELS, ":START_ID,:END_ID,:ID\n", 0,
     "@:1: column 3 \":ID\": :ID belongs in a nodes file, not a "
     "relationships file"},
    {RELS, ":START_ID,:END_ID,:LABEL\n", 0,
     "@:1: column 3 \":LABEL\": :LABEL belongs in a nodes file, not a "
     "relationships file"},
    {RELS, ":END_ID,:TYPE\n", 0,
     "@:1: no START_ID column (a relationships file needs :START_ID and "
     ":END_ID)"},
    {RELS, ":START_ID,:TYPE\n", 0,
     "@:1: no END_ID column (a relationships file needs :START_ID and "
     ":END_ID)"},
    {RELS, ":START_ID,:START_ID(P),:END_ID\n", 0,
     "@:1: column 2 \":START_ID(P)\": a second START_ID column (the first "
     "is column 1)"},
    {RELS, ":START_ID,:END_ID,:TYPE,kind:TYPE\n", 0,
     "@:1: column 4 \"kind:TYPE\": a second TYPE column (the first is "
     "column 3)"},
    /* records */
    {NODES, ":ID,a,b\n1,2,3\n1,2,3,4\n", 0,
     "@:3: 4 fields, the header has 3"},
    {NODES, ":ID,a,b\n1\n", 0, "@:2: 1 field, the header has 3"},
    {NODES, ":ID,a\n1,\"x\ny\nz\"\n2,b,c\n", 0,
     "@:5: 3 fields, the header has 2"},
    {NODES, ":ID,a\n\n\n1\n", 0, "@:4: 1 field, the header has 2"},
    {NODES, ":ID,a\r\n1,x\r\n2\r\n", 0, "@:3: 1 field, the header has 2"},
    {NODES, ":ID,a\n1,x\n2,\"abc\ndef\n", 0,
     "@:3: column 2 \"a\": the quote opened on line 3 is never closed"},
    {NODES, ":ID,a,b\n1,\"x\ny\",\"z\n", 0,
     "@:2: column 3 \"b\": the quote opened on line 3 is never closed"},
    {NODES, ":ID,a\n1,\"ab\"c\n", 0,
     "@:2: column 2 \"a\": 'c' " AFTER_QUOTE},
    {NODES, ":ID,a\n1,\"ab\" \n", 0,
     "@:2: column 2 \"a\": byte 0x20 " AFTER_QUOTE},
    {NODES, ":ID,a\n1,x\0y\n", 12,
     "@:2: column 2 \"a\": NUL byte (this is not a text file)"},
    {NODES, ":ID,a\n1,\"x\0y\"\n", 14,
     "@:2: column 2 \"a\": NUL byte (this is not a text file)"},
    {NODES, ":ID,a\n1,x\ry\n", 0,
     "@:2: column 2 \"a\": carriage return not followed by a line feed"},
    {NODES, ":ID,a\n1,\xFF\n", 0, "@:2: column 2 \"a\": invalid UTF-8"},
    {NODES, ":ID,a,b\n1,ok,\xC0\xAF\n", 0,
     "@:2: column 3 \"b\": invalid UTF-8"},
    {NODES, ":ID,a\n1,\xED\xA0\x80\n", 0,
     "@:2: column 2 \"a\": invalid UTF-8"},
    {NODES, ":ID,a\n1,\xF4\x90\x80\x80\n", 0,
     "@:2: column 2 \"a\": invalid UTF-8"},
    {NODES, ":ID,a\n1,\xE2\x82\n", 0, "@:2: column 2 \"a\": invalid UTF-8"},
    {NODES, "uuid:ID,a\n,x\n", 0, "@:2: column 1 \"uuid:ID\": empty id"},
    {RELS, ":START_ID,:END_ID\na,\n", 0,
     "@:2: column 2 \":END_ID\": empty id"},
};

/* 0 if case i gives its exact message. */
static int bad_case(struct t *t, const char *path, size_t i)
{
	struct op_graph_csv *r = NULL;
	struct op_err err = {{0}};
	char want[1024];
	int rc;

	if (write_bytes(path, bad[i].text, bad[i].len) != 0) {
		t_fail(t, __FILE__, __LINE__, "case %zu: cannot write", i);
		return 1;
	}
	t_expand(want, sizeof(want), bad[i].want, path);
	rc = op_graph_csv_open(&r, path, bad[i].kind, &err);
	while (rc >= 0 && (rc = op_graph_csv_next(r, &err)) > 0)
		;
	if (rc != OUTPOST_ECORRUPT || strcmp(err.msg, want) != 0) {
		t_fail(t, __FILE__, __LINE__,
		       "case %zu: %s\n    got  \"%s\"\n    want \"%s\"", i,
		       outpost_errstr(rc), err.msg, want);
		op_graph_csv_close(r);
		return 1;
	}
	/* a failed reader stays failed */
	rc = r ? op_graph_csv_next(r, &err) : OUTPOST_ECORRUPT;
	op_graph_csv_close(r);
	if (rc != OUTPOST_ECORRUPT) {
		t_fail(t, __FILE__, __LINE__, "case %zu: next after an "
		       "error: %s", i, outpost_errstr(rc));
		return 1;
	}
	return 0;
}

void test_csv_malformed_cases(struct t *t)
{
	struct op_graph_csv *r = (struct op_graph_csv *)&r;
	struct op_err err = {{0}};
	char path[512], want[1024];
	size_t i;
	int failed = 0;

	CHECK(sizeof(bad) / sizeof(bad[0]) >= 25);
	t_path(path, t, "bad.csv");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		failed += bad_case(t, path, i);
	CHECK_EQ(failed, 0);
	/* no such file: ENOTFOUND, and *out is NULL */
	t_path(path, t, "missing.csv");
	CHECK_RC(op_graph_csv_open(&r, path, NODES, &err), OUTPOST_ENOTFOUND);
	CHECK(r == NULL);
	t_expand(want, sizeof(want), "@: cannot open: No such file or directory",
	       path);
	CHECK_STR(err.msg, want);
	CHECK_RC(op_graph_csv_open(&r, path, (enum op_graph_csv_kind)7, &err),
		 OUTPOST_EMISUSE);
	op_graph_csv_close(NULL);
}

/* One value in a file "id:ID,v:<type>": what the accessor for type gives.
 * want is the value as text ("%lld", "%.17g", "1"/"0") or the message. */
static const struct {
	const char *type;
	const char *text;
	int ok;
	const char *want;
} values[] = {
    {"int", "42", 1, "42"},
    {"int", " -7\t", 1, "-7"},
    {"int", "+0", 1, "0"},
    {"long", "9223372036854775807", 1, "9223372036854775807"},
    {"long", "-9223372036854775808", 1, "-9223372036854775808"},
    {"int", "abc", 0, "@:2: column 2 \"v:int\": \"abc\" is not an integer"},
    {"int", "1.5", 0, "@:2: column 2 \"v:int\": \"1.5\" is not an integer"},
    {"int", "-", 0, "@:2: column 2 \"v:int\": \"-\" is not an integer"},
    {"int", "1 2", 0, "@:2: column 2 \"v:int\": \"1 2\" is not an integer"},
    {"long", "9223372036854775808", 0,
     "@:2: column 2 \"v:long\": \"9223372036854775808\" is out of range "
     "for a 64-bit integer"},
    {"int", "-9223372036854775809", 0,
     "@:2: column 2 \"v:int\": \"-9223372036854775809\" is out of range "
     "for a 64-bit integer"},
    {"int", "", 0, "@:2: column 2 \"v:int\": empty, expected an integer"},
    {"double", "0.5", 1, "0.5"},
    {"double", "-2.5e3", 1, "-2500"},
    {"float", " 7 ", 1, "7"},
    {"double", ".25", 1, "0.25"},
    {"double", "5.", 1, "5"},
    {"double", "1e-400", 1, "0"},
    {"double", "nan", 0,
     "@:2: column 2 \"v:double\": \"nan\" is not a number"},
    {"double", "inf", 0,
     "@:2: column 2 \"v:double\": \"inf\" is not a number"},
    {"double", "0x10", 0,
     "@:2: column 2 \"v:double\": \"0x10\" is not a number"},
    {"double", "1.5.2", 0,
     "@:2: column 2 \"v:double\": \"1.5.2\" is not a number"},
    {"double", "1e", 0, "@:2: column 2 \"v:double\": \"1e\" is not a number"},
    {"double", ".", 0, "@:2: column 2 \"v:double\": \".\" is not a number"},
    {"double", "1e999", 0,
     "@:2: column 2 \"v:double\": \"1e999\" is out of range for a double"},
    {"boolean", "true", 1, "1"},
    {"boolean", "FALSE", 1, "0"},
    {"boolean", " True ", 1, "1"},
    {"boolean", "yes", 0,
     "@:2: column 2 \"v:boolean\": \"yes\" is not true or false"},
    {"boolean", "1", 0,
     "@:2: column 2 \"v:boolean\": \"1\" is not true or false"},
    {"boolean", "", 0,
     "@:2: column 2 \"v:boolean\": empty, expected true or false"},
};

/* The accessor for type applied to field 1, as text in got. */
static int get_value(struct op_graph_csv *r, const char *type, char *got,
		     size_t n, struct op_err *err)
{
	int64_t i = 0;
	double d = 0;
	int b = 0, rc;

	if (strcmp(type, "double") == 0 || strcmp(type, "float") == 0) {
		rc = op_graph_csv_double(r, 1, &d, err);
		snprintf(got, n, "%.17g", d);
	} else if (strcmp(type, "boolean") == 0) {
		rc = op_graph_csv_bool(r, 1, &b, err);
		snprintf(got, n, "%d", b);
	} else {
		rc = op_graph_csv_int(r, 1, &i, err);
		snprintf(got, n, "%lld", (long long)i);
	}
	return rc;
}

void test_csv_typed_values(struct t *t)
{
	char path[512], text[256], got[64], want[1024];
	size_t i;

	t_path(path, t, "v.csv");
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		struct op_graph_csv *r = NULL;
		struct op_err err = {{0}};
		int rc;

		snprintf(text, sizeof(text), "id:ID,v:%s\n1,%s\n",
			 values[i].type, values[i].text);
		CHECK_EQ(write_bytes(path, text, 0), 0);
		CHECK_RC(op_graph_csv_open(&r, path, NODES, &err), OUTPOST_OK);
		CHECK_EQ(op_graph_csv_next(r, &err), OP_GRAPH_CSV_ROW);
		CHECK_EQ(op_graph_csv_is_empty(r, 1), values[i].text[0] == 0);
		rc = get_value(r, values[i].type, got, sizeof(got), &err);
		op_graph_csv_close(r);
		t_expand(want, sizeof(want), values[i].want, path);
		if (values[i].ok ? rc != OUTPOST_OK || strcmp(got, want) != 0
				 : rc != OUTPOST_ECORRUPT ||
					   strcmp(err.msg, want) != 0)
			t_fail(t, __FILE__, __LINE__,
			       "case %zu (%s \"%s\"): %s\n    got  \"%s\"\n"
			       "    want \"%s\"", i, values[i].type,
			       values[i].text, outpost_errstr(rc),
			       values[i].ok ? got : err.msg, want);
		if (t->failed)
			return;
	}
}

/* Field col's elements joined by '/'. */
static int join_elems(struct op_graph_csv *r, size_t col, char *out,
		      size_t n)
{
	struct op_graph_csv_elem e = OP_GRAPH_CSV_ELEM_INIT(col);
	size_t len = 0;
	int rc;

	out[0] = '\0';
	while ((rc = op_graph_csv_array_next(r, &e, NULL)) == 1) {
		if (e.index != 0 && len + 1 < n)
			out[len++] = '/';
		len += (size_t)snprintf(out + len, n - len, "%s", e.text);
	}
	return rc;
}

static const char arrays_csv[] =
    "id:ID,tags:string[],n:int[],f:double[],b:boolean[],:LABEL\n"
    "1,\"a,b;c\",1; -2;3,0.5;1e2,true;FALSE,A;B\n"
    "2,,,x;,,\n"
    "3,;,1;;2,1;y,maybe,A\n";

/* The arrays file, opened and at its row `row` (1-based); NULL on
 * failure (reported). */
static struct op_graph_csv *open_arrays(struct t *t, const char *path,
					int row)
{
	struct op_graph_csv *r = NULL;
	struct op_err err = {{0}};

	if (write_bytes(path, arrays_csv, 0) != 0 ||
	    op_graph_csv_open(&r, path, NODES, &err) != OUTPOST_OK) {
		t_fail(t, __FILE__, __LINE__, "open: %s", err.msg);
		return NULL;
	}
	while (row-- > 0)
		if (op_graph_csv_next(r, &err) != OP_GRAPH_CSV_ROW) {
			t_fail(t, __FILE__, __LINE__, "next: %s", err.msg);
			op_graph_csv_close(r);
			return NULL;
		}
	return r;
}

/* Elements as text and as values; empty fields and trailing ';'. */
void test_csv_arrays(struct t *t)
{
	struct op_graph_csv_elem ei = OP_GRAPH_CSV_ELEM_INIT(2);
	struct op_graph_csv_elem ed = OP_GRAPH_CSV_ELEM_INIT(3);
	struct op_graph_csv_elem eb = OP_GRAPH_CSV_ELEM_INIT(4);
	struct op_err err = {{0}};
	struct op_graph_csv *r;
	char path[512], got[256];
	int64_t iv = 0, sum = 0;
	double dv = 0;
	int bv = 0;

	t_path(path, t, "a.csv");
	r = open_arrays(t, path, 1);
	CHECK(r != NULL);
	CHECK_EQ(op_graph_csv_col(r, 1)->is_array, 1);
	CHECK_EQ(op_graph_csv_col(r, 5)->is_array, 1);
	CHECK_EQ(op_graph_csv_find(r, OP_GRAPH_CSV_LABEL), 5);
	CHECK_EQ(op_graph_csv_find(r, OP_GRAPH_CSV_TYPE), SIZE_MAX);
	CHECK(op_graph_csv_col(r, 6) == NULL);
	CHECK_EQ(join_elems(r, 1, got, sizeof(got)), 0);
	CHECK_STR(got, "a,b/c");
	CHECK_EQ(join_elems(r, 5, got, sizeof(got)), 0);
	CHECK_STR(got, "A/B");
	while (op_graph_csv_array_next(r, &ei, &err) == 1) {
		CHECK_RC(op_graph_csv_elem_int(r, &ei, &iv, &err), OUTPOST_OK);
		sum += iv;
	}
	CHECK_EQ(ei.index, 2);
	CHECK_EQ(sum, 2);
	CHECK_EQ(op_graph_csv_array_next(r, &ed, &err), 1);
	CHECK_RC(op_graph_csv_elem_double(r, &ed, &dv, &err), OUTPOST_OK);
	CHECK(dv == 0.5);
	CHECK_EQ(op_graph_csv_array_next(r, &ed, &err), 1);
	CHECK_RC(op_graph_csv_elem_double(r, &ed, &dv, &err), OUTPOST_OK);
	CHECK(dv == 100.0);
	CHECK_EQ(op_graph_csv_array_next(r, &ed, &err), 0);
	CHECK_EQ(op_graph_csv_array_next(r, &ed, &err), 0);
	CHECK_EQ(op_graph_csv_array_next(r, &eb, &err), 1);
	CHECK_RC(op_graph_csv_elem_bool(r, &eb, &bv, &err), OUTPOST_OK);
	CHECK_EQ(bv, 1);
	CHECK_EQ(op_graph_csv_array_next(r, &eb, &err), 1);
	CHECK_RC(op_graph_csv_elem_bool(r, &eb, &bv, &err), OUTPOST_OK);
	CHECK_EQ(bv, 0);
	/* row 2: empty fields have no elements; "x;" has two */
	CHECK_EQ(op_graph_csv_next(r, &err), OP_GRAPH_CSV_ROW);
	CHECK_EQ(join_elems(r, 1, got, sizeof(got)), 0);
	CHECK_STR(got, "");
	CHECK_EQ(join_elems(r, 3, got, sizeof(got)), 0);
	CHECK_STR(got, "x/");
	op_graph_csv_close(r);
}

/* The second element of column col of the current row as kind 'i', 'd'
 * or 'b' (the first for 'b'): its rc; the message in err. */
static int bad_elem(struct op_graph_csv *r, size_t col, char kind,
		    struct op_err *err)
{
	struct op_graph_csv_elem e = OP_GRAPH_CSV_ELEM_INIT(col);
	int64_t iv;
	double dv;
	int bv;

	if (op_graph_csv_array_next(r, &e, err) != 1 ||
	    (kind != 'b' && op_graph_csv_array_next(r, &e, err) != 1))
		return OUTPOST_ERROR;
	if (kind == 'i')
		return op_graph_csv_elem_int(r, &e, &iv, err);
	if (kind == 'd')
		return op_graph_csv_elem_double(r, &e, &dv, err);
	return op_graph_csv_elem_bool(r, &e, &bv, err);
}

/* Bad elements name their column and position; misuse is refused. */
void test_csv_array_errors(struct t *t)
{
	struct op_graph_csv_elem e = OP_GRAPH_CSV_ELEM_INIT(9);
	struct op_err err = {{0}};
	struct op_graph_csv *r;
	char path[512], got[256], want[1024];
	int64_t iv = 0;

	t_path(path, t, "a.csv");
	r = open_arrays(t, path, 3);
	CHECK(r != NULL);
	CHECK_EQ(join_elems(r, 1, got, sizeof(got)), 0);
	CHECK_STR(got, "/"); /* ";" is two empty elements */
	CHECK_RC(bad_elem(r, 2, 'i', &err), OUTPOST_ECORRUPT);
	t_expand(want, sizeof(want), "@:4: column 3 \"n:int[]\" element 2: "
	       "empty, expected an integer", path);
	CHECK_STR(err.msg, want);
	CHECK_RC(bad_elem(r, 3, 'd', &err), OUTPOST_ECORRUPT);
	t_expand(want, sizeof(want), "@:4: column 4 \"f:double[]\" element 2: "
	       "\"y\" is not a number", path);
	CHECK_STR(err.msg, want);
	CHECK_RC(bad_elem(r, 4, 'b', &err), OUTPOST_ECORRUPT);
	t_expand(want, sizeof(want), "@:4: column 5 \"b:boolean[]\" element 1: "
	       "\"maybe\" is not true or false", path);
	CHECK_STR(err.msg, want);
	/* misuse: a column past the end, an element not started */
	CHECK_RC(op_graph_csv_array_next(r, &e, &err), OUTPOST_EMISUSE);
	CHECK_RC(op_graph_csv_elem_int(r, &e, &iv, &err), OUTPOST_EMISUSE);
	CHECK_RC(op_graph_csv_int(r, 9, &iv, &err), OUTPOST_EMISUSE);
	CHECK(op_graph_csv_field(r, 6) == NULL);
	CHECK_EQ(op_graph_csv_next(r, &err), 0);
	CHECK(op_graph_csv_field(r, 0) == NULL);
	op_graph_csv_close(r);
}

static long max_rss_kb(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

#define BIG_LINES 200000

/* A nodes file as gen_curriculum.py writes it, some names quoted with a
 * comma or a line break: BIG_LINES physical lines. */
static int write_big(const char *path, size_t *rows, long long *sum)
{
	FILE *f = fopen(path, "w");
	size_t line = 1;
	int rc;

	if (!f)
		return -1;
	fputs("uuid:ID,name,:LABEL,subject,difficulty:int\n", f);
	*rows = 0;
	*sum = 0;
	while (line < BIG_LINES) {
		int d = (int)(*rows % 10) + 1;

		fprintf(f, "01900000-0000-7000-8000-%012zx,", *rows);
		if (*rows % 100 == 7 && line + 2 <= BIG_LINES) {
			fputs("\"Point, with\nbreak\"", f);
			line++;
		} else {
			fprintf(f, "Point %zu", *rows);
		}
		fprintf(f, ",LearningPoint,subject%zu,%d\n", *rows % 13, d);
		line++;
		(*rows)++;
		*sum += d;
	}
	rc = ferror(f);
	return fclose(f) != 0 || rc ? -1 : 0;
}

void test_csv_streams_large_file(struct t *t)
{
	struct op_graph_csv *r = NULL;
	struct op_err err = {{0}};
	char path[512];
	size_t rows = 0, want_rows, max_buf = 0;
	long long sum = 0, want_sum;
	long rss_before, rss_after;
	int64_t d;
	int rc;

	t_path(path, t, "big.csv");
	CHECK_EQ(write_big(path, &want_rows, &want_sum), 0);
	rss_before = max_rss_kb();
	CHECK_RC(op_graph_csv_open(&r, path, NODES, &err), OUTPOST_OK);
	while ((rc = op_graph_csv_next(r, &err)) == OP_GRAPH_CSV_ROW) {
		size_t b = op_graph_csv_buffer_size(r);

		if (b > max_buf)
			max_buf = b;
		rc = op_graph_csv_int(r, 4, &d, &err);
		if (rc != OUTPOST_OK)
			break;
		sum += d;
		rows++;
	}
	if (rc != 0)
		t_fail(t, __FILE__, __LINE__, "%s", err.msg);
	CHECK_EQ(rc, 0);
	CHECK_EQ(op_graph_csv_line(r), BIG_LINES);
	op_graph_csv_close(r);
	rss_after = max_rss_kb();
	CHECK_EQ(rows, want_rows);
	CHECK_EQ(sum, want_sum);
	/* the file is about 16 MB; the reader holds a chunk and a record */
	CHECK(max_buf <= (size_t)128 * 1024);
	CHECK(rss_after - rss_before < 4L * 1024);
}

/* head, then n bytes of the alphabet (or of 'y' when same), then tail. */
static int write_long(const char *path, const char *head, size_t n,
		      int same, const char *tail)
{
	FILE *f = fopen(path, "w");
	size_t i;
	int rc;

	if (!f)
		return -1;
	fputs(head, f);
	for (i = 0; i < n; i++)
		putc(same ? 'y' : 'a' + (int)(i % 26), f);
	fputs(tail, f);
	rc = ferror(f);
	return fclose(f) != 0 || rc ? -1 : 0;
}

/* A record may be long (the buffer grows), but not past the cap. */
void test_csv_long_records(struct t *t)
{
	struct op_graph_csv *r = NULL;
	struct op_err err = {{0}};
	char path[512], want[1024];
	size_t big = (size_t)OP_GRAPH_CSV_MAX_RECORD + 16, i;
	int rc;

	t_path(path, t, "long.csv");
	/* 1 MiB in a quoted field is fine */
	CHECK_EQ(write_long(path, ":ID,a\n1,\"", 1u << 20, 0, "\"\n2,x\n"),
		 0);
	CHECK_RC(op_graph_csv_open(&r, path, NODES, &err), OUTPOST_OK);
	CHECK_EQ(op_graph_csv_next(r, &err), OP_GRAPH_CSV_ROW);
	CHECK_EQ(strlen(op_graph_csv_field(r, 1)), 1u << 20);
	CHECK_EQ(op_graph_csv_field(r, 1)[27], 'b');
	CHECK(op_graph_csv_buffer_size(r) > (1u << 20));
	CHECK_EQ(op_graph_csv_next(r, &err), OP_GRAPH_CSV_ROW);
	CHECK_STR(op_graph_csv_field(r, 1), "x");
	op_graph_csv_close(r);
	/* past the cap: unquoted, then a quote that never closes */
	for (i = 0; i < 2; i++) {
		CHECK_EQ(write_long(path, i ? ":ID,a\n1,\"" : ":ID,a\n1,", big,
				    1, "\n"),
			 0);
		CHECK_RC(op_graph_csv_open(&r, path, NODES, &err), OUTPOST_OK);
		rc = op_graph_csv_next(r, &err);
		op_graph_csv_close(r);
		CHECK_RC(rc, OUTPOST_ECORRUPT);
		t_expand(want, sizeof(want),
		       i ? "@:2: record longer than 16 MiB (the quote of "
			   "column 2 \"a\" opened on line 2 may never close)"
			 : "@:2: record longer than 16 MiB",
		       path);
		CHECK_STR(err.msg, want);
	}
}

/* OP_GRAPH_CSV_MAX_COLS columns are fine; one more is refused. */
void test_csv_header_column_limit(struct t *t)
{
	struct op_graph_csv *r = NULL;
	struct op_err err = {{0}};
	struct op_buf b = {0};
	char path[512], want[1024];
	size_t k;

	t_path(path, t, "wide.csv");
	op_buf_adds(&b, ":ID");
	for (k = 1; k < OP_GRAPH_CSV_MAX_COLS; k++)
		op_buf_addf(&b, ",p%zu", k);
	op_buf_adds(&b, "\n");
	CHECK_EQ(write_bytes(path, op_buf_str(&b), 0), 0);
	CHECK_RC(op_graph_csv_open(&r, path, NODES, &err), OUTPOST_OK);
	CHECK_EQ(op_graph_csv_ncols(r), OP_GRAPH_CSV_MAX_COLS);
	CHECK_STR(op_graph_csv_col(r, 4095)->name, "p4095");
	op_graph_csv_close(r);
	b.len--; /* drop the line break: one more column */
	op_buf_adds(&b, ",extra\n");
	CHECK_EQ(write_bytes(path, op_buf_str(&b), 0), 0);
	op_buf_free(&b);
	CHECK_RC(op_graph_csv_open(&r, path, NODES, &err), OUTPOST_ECORRUPT);
	t_expand(want, sizeof(want), "@:1: the header has 4097 columns, more "
	       "than 4096", path);
	CHECK_STR(err.msg, want);
}
