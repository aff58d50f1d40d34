/* cli_graph.c - `outpost graph`: option parsing and printing for the
 * traversals (neighbours, reach, path, topo), their --from-file batch
 * forms, verify, and the edge writes. Built on outpost.h alone; every
 * answer comes from the library. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_TYPES 64
#define BATCH 4096	   /* lines answered per library call */
#define LINE_BYTES 4096 /* longest line a --from-file file may hold */

const char cli_graph_help[] =
	"usage: outpost [-d DIR] graph neighbours NODE [--type T]... "
	"[--dir out|in|both]\n"
	"           [--min N] [--max N] [--limit N] [--count] [--as-of TS] "
	"[--json]\n"
	"       outpost [-d DIR] graph reach NODE [--type T]... [--dir D] "
	"[--count]\n"
	"           [--as-of TS] [--json]\n"
	"       outpost [-d DIR] graph path A B [--type T]... [--dir D] "
	"[--length]\n"
	"           [--as-of TS]\n"
	"       outpost [-d DIR] graph neighbours|reach|path --from-file FILE "
	"[OPTIONS]\n"
	"       outpost [-d DIR] graph topo NODE --type T [--count] [--json]\n"
	"       outpost [-d DIR] graph verify\n"
	"       outpost [-d DIR] graph edge add TYPE FROM TO [--props JSON]\n"
	"           [--valid-from TS] [--valid-to TS] [--central]\n"
	"       outpost [-d DIR] graph edge update UUID [--props JSON]\n"
	"           [--valid-from TS] [--valid-to TS] [--central]\n"
	"       outpost [-d DIR] graph edge delete UUID [--central]\n"
	"       outpost [-d DIR] graph edges [--type T] [--json]\n"
	"\n"
	"A node is named by its uuid or its import id. Traversals follow the "
	"given\n"
	"relationship types (default: all) in direction --dir (default: "
	"out).\n"
	"neighbours  nodes at depth 1, or from --min (default 1) to --max "
	"(default 1,\n"
	"            or unbounded when only --min is given; 0 = unbounded)\n"
	"reach       every reachable node (--dir in: ancestors, out: "
	"descendants)\n"
	"path        a shortest path, one node per line; exit 1 if there is "
	"none\n"
	"            (with --length: its length, -1 if none)\n"
	"--as-of TS  follow only edges valid at timestamp TS\n"
	"--from-file one NODE per line (path: A B, separated by blanks); "
	"prints\n"
	"            NODE<TAB>count (path: A<TAB>B<TAB>length), -1 for an "
	"unknown\n"
	"            node or no path; blank lines are skipped\n"
	"topo        the ancestors of NODE along T, each after its own "
	"ancestors\n"
	"verify      check the graph store: \"graph ok\", or every mismatch "
	"(exit 1)\n"
	"edge add    prints the new edge's uuid; --central writes as the "
	"central\n"
	"            authority (central_wins types)\n"
	"edges       uuid, type, from, to and properties, tab-separated\n";

/* Options, as bits: each subcommand allows a set of them. */
enum {
	O_TYPE = 1 << 0,
	O_DIR = 1 << 1,
	O_MIN = 1 << 2,
	O_MAX = 1 << 3,
	O_LIMIT = 1 << 4,
	O_COUNT = 1 << 5,
	O_ASOF = 1 << 6,
	O_JSON = 1 << 7,
	O_LENGTH = 1 << 8,
	O_FILE = 1 << 9,
	O_PROPS = 1 << 10,
	O_VFROM = 1 << 11,
	O_VTO = 1 << 12,
	O_CENTRAL = 1 << 13,
};

static const struct flag {
	const char *name;
	unsigned bit;
	int takes_value;
} flags[] = {
	{"--type", O_TYPE, 1},	   {"--dir", O_DIR, 1},
	{"--min", O_MIN, 1},	   {"--max", O_MAX, 1},
	{"--limit", O_LIMIT, 1},   {"--count", O_COUNT, 0},
	{"--as-of", O_ASOF, 1},	   {"--json", O_JSON, 0},
	{"--length", O_LENGTH, 0}, {"--from-file", O_FILE, 1},
	{"--props", O_PROPS, 1},   {"--valid-from", O_VFROM, 1},
	{"--valid-to", O_VTO, 1},  {"--central", O_CENTRAL, 0},
};

struct gopts {
	const char *cmd; /* "graph neighbours", for messages */
	char cmd_buf[64];
	outpost_traversal tr;
	const char *types[MAX_TYPES];
	const char *pos[3]; /* operands */
	int npos;
	unsigned given; /* O_* bits seen */
	const char *file, *props, *valid_from, *valid_to;
};

/* A non-negative decimal number, nothing else ("3x", "-1", " 3" and
 * "+3" are refused). */
static int parse_num(const char *s, long long max, long long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno || *end || *out > max ? -1 : 0;
}

static int set_value(struct gopts *o, unsigned bit, const char *v)
{
	long long n = 0;

	if (bit == O_TYPE) {
		if (o->tr.ntypes == MAX_TYPES)
			return cli_usage("%s: at most %d --type options",
					 o->cmd, MAX_TYPES);
		o->types[o->tr.ntypes++] = v;
	} else if (bit == O_DIR) {
		if (!strcmp(v, "out"))
			o->tr.direction = OUTPOST_OUT;
		else if (!strcmp(v, "in"))
			o->tr.direction = OUTPOST_IN;
		else if (!strcmp(v, "both"))
			o->tr.direction = OUTPOST_BOTH;
		else
			return cli_usage("%s: --dir takes out, in or both, "
					 "not \"%s\"", o->cmd, v);
	} else if (bit == O_MIN || bit == O_MAX || bit == O_LIMIT) {
		if (parse_num(v, bit == O_LIMIT ? LLONG_MAX : INT_MAX, &n))
			return cli_usage("%s: bad number \"%s\"", o->cmd, v);
		if (bit == O_MIN)
			o->tr.min_depth = (int)n;
		else if (bit == O_MAX)
			o->tr.max_depth = (int)n;
		else
			o->tr.limit = n;
	} else if (bit == O_ASOF) {
		o->tr.as_of = v;
	} else if (bit == O_FILE) {
		o->file = v;
	} else if (bit == O_PROPS) {
		o->props = v;
	} else if (bit == O_VFROM) {
		o->valid_from = v;
	} else {
		o->valid_to = v;
	}
	return CLI_OK;
}

/* Options (those in allowed) and operands from argv[first..]. */
static int parse(struct gopts *o, unsigned allowed, int argc, char **argv,
		 int first)
{
	int i, rc, operands_only = 0;
	size_t k;

	for (i = first; i < argc; i++) {
		const char *a = argv[i];
		const struct flag *f = NULL;

		if (!operands_only && !strcmp(a, "--")) {
			operands_only = 1;
			continue;
		}
		if (operands_only || a[0] != '-' || !a[1]) {
			if (o->npos < 3) /* more: refused by the caller */
				o->pos[o->npos] = a;
			o->npos++;
			continue;
		}
		for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
			if (!strcmp(a, flags[k].name))
				f = &flags[k];
		if (!f)
			return cli_usage("%s: unknown option %s", o->cmd, a);
		if (!(f->bit & allowed))
			return cli_usage("%s: %s does not apply here", o->cmd,
					 a);
		o->given |= f->bit;
		if (!f->takes_value)
			continue;
		if (i + 1 == argc)
			return cli_usage("%s: %s needs a value", o->cmd, a);
		rc = set_value(o, f->bit, argv[++i]);
		if (rc != CLI_OK)
			return rc;
	}
	return CLI_OK;
}

/* ---- traversals ------------------------------------------------------ */

struct printer {
	int json;
	long long n;
};

static int print_node(void *ctx, const char *uuid, int depth)
{
	struct printer *p = ctx;

	if (p->json)
		printf("%s{\"uuid\": \"%s\", \"depth\": %d}",
		       p->n ? ",\n  " : "[\n  ", uuid, depth);
	else
		printf("%s\n", uuid);
	p->n++;
	return 0;
}

/* JSON arrays open with their first element, so a failure before it
 * prints nothing. */
static void json_close(const struct printer *p)
{
	if (p->json)
		fputs(p->n ? "\n]\n" : "[]\n", stdout);
}

static int batch_run(outpost *db, const struct gopts *o, int pairs);

static int run_neighbours(outpost *db, struct gopts *o)
{
	struct printer p = {(o->given & O_JSON) != 0, 0};
	long long n = 0;
	int rc;

	if (o->file)
		return batch_run(db, o, 0);
	if (o->given & O_COUNT) {
		rc = outpost_graph_neighbours(db, &o->tr, o->pos[0], NULL,
					      NULL, &n);
		if (rc == OUTPOST_OK)
			printf("%lld\n", n);
	} else {
		rc = outpost_graph_neighbours(db, &o->tr, o->pos[0],
					      print_node, &p, NULL);
		if (rc == OUTPOST_OK)
			json_close(&p);
	}
	return rc == OUTPOST_OK ? CLI_OK : cli_fail(outpost_errmsg(db));
}

static int run_path(outpost *db, struct gopts *o)
{
	struct printer p = {0, 0};
	char msg[512];
	long long len = -1;
	int length = (o->given & O_LENGTH) != 0;
	int rc;

	if (o->file)
		return batch_run(db, o, 1);
	rc = outpost_graph_path(db, &o->tr, o->pos[0], o->pos[1],
				length ? NULL : print_node, &p, &len);
	if (rc != OUTPOST_OK)
		return cli_fail(outpost_errmsg(db));
	if (length) {
		printf("%lld\n", len);
		return CLI_OK;
	}
	if (len >= 0)
		return CLI_OK;
	snprintf(msg, sizeof(msg), "no path from %.200s to %.200s",
		 o->pos[0], o->pos[1]);
	return cli_fail(msg);
}

static int run_topo(outpost *db, struct gopts *o)
{
	struct printer p = {(o->given & O_JSON) != 0, 0};
	long long n = 0;
	int count = (o->given & O_COUNT) != 0;
	int rc;

	if (o->tr.ntypes != 1)
		return cli_usage("%s: needs one --type T", o->cmd);
	rc = outpost_graph_topo(db, o->types[0], o->pos[0],
				count ? NULL : print_node, &p, &n);
	if (rc != OUTPOST_OK)
		return cli_fail(outpost_errmsg(db));
	if (count)
		printf("%lld\n", n);
	else
		json_close(&p);
	return CLI_OK;
}

static int run_verify(outpost *db, struct gopts *o)
{
	char *report = NULL;
	int rc = outpost_graph_verify(&report, db);

	(void)o;
	if (report)
		printf("%s%s", report,
		       *report && report[strlen(report) - 1] != '\n' ? "\n"
								     : "");
	outpost_free(report);
	if (rc != OUTPOST_OK)
		return cli_fail(outpost_errmsg(db));
	printf("graph ok\n");
	return CLI_OK;
}

/* ---- --from-file ------------------------------------------------------ */

struct batch {
	const struct gopts *o;
	outpost *db;
	FILE *f;
	long line;
	size_t n;
	char *a[BATCH], *b[BATCH];
	long long answer[BATCH];
	char buf[LINE_BYTES + 1];
};

/* The next line into bt->buf, without its newline: 1, or 0 at the end of
 * the file, or -1 with *why set. */
static int next_line(struct batch *bt, const char **why)
{
	size_t len = 0;
	int c;

	bt->line++;
	while ((c = getc(bt->f)) != EOF && c != '\n') {
		if (c == '\0')
			*why = "a NUL byte in the line";
		else if (len == LINE_BYTES)
			*why = "line longer than 4096 bytes";
		else {
			bt->buf[len++] = (char)c;
			continue;
		}
		return -1;
	}
	if (c == EOF && ferror(bt->f)) {
		*why = strerror(errno);
		return -1;
	}
	bt->buf[len] = '\0';
	return c != EOF || len > 0;
}

/* Split s on blanks: field[0..2] get the first three fields, NULL where
 * there are fewer. */
static void split(char *s, char *field[3])
{
	int n;

	for (n = 0; n < 3; n++) {
		s += strspn(s, " \t\r\v\f");
		field[n] = *s ? s : NULL;
		s += strcspn(s, " \t\r\v\f");
		if (*s)
			*s++ = '\0';
	}
}

static void drop(struct batch *bt)
{
	size_t i;

	for (i = 0; i < bt->n; i++) {
		free(bt->a[i]);
		free(bt->b[i]);
		bt->a[i] = bt->b[i] = NULL;
	}
	bt->n = 0;
}

/* Answer and print the lines held, then drop them. */
static int flush(struct batch *bt, int pairs)
{
	size_t i;
	int rc = OUTPOST_OK;

	if (bt->n && pairs)
		rc = outpost_graph_path_many(
			bt->db, &bt->o->tr, (const char *const *)bt->a,
			(const char *const *)bt->b, bt->n, bt->answer);
	else if (bt->n)
		rc = outpost_graph_count_many(bt->db, &bt->o->tr,
					      (const char *const *)bt->a,
					      bt->n, bt->answer);
	for (i = 0; rc == OUTPOST_OK && i < bt->n; i++) {
		if (pairs)
			printf("%s\t%s\t%lld\n", bt->a[i], bt->b[i],
			       bt->answer[i]);
		else
			printf("%s\t%lld\n", bt->a[i], bt->answer[i]);
	}
	drop(bt);
	return rc == OUTPOST_OK ? CLI_OK : cli_fail(outpost_errmsg(bt->db));
}

static int bad_line(const struct batch *bt, const char *why)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%.300s:%ld: %s", bt->o->file, bt->line,
		 why);
	return cli_fail(msg);
}

/* Read every line, BATCH at a time: the answers for the lines before a
 * malformed one are printed before it is reported. */
static int batch_lines(struct batch *bt, int pairs)
{
	const char *why = NULL;
	char *field[3];
	int r, rc;

	while ((r = next_line(bt, &why)) == 1) {
		split(bt->buf, field);
		if (!field[0])
			continue; /* blank */
		if (!field[pairs] || field[pairs + 1]) {
			why = pairs ? "expected two nodes (A B) per line"
				    : "expected one node per line";
			r = -1;
			break;
		}
		bt->a[bt->n] = strdup(field[0]);
		bt->b[bt->n] = pairs ? strdup(field[1]) : NULL;
		if (!bt->a[bt->n++] || (pairs && !bt->b[bt->n - 1])) {
			drop(bt);
			return cli_fail("out of memory");
		}
		if (bt->n == BATCH && (rc = flush(bt, pairs)) != CLI_OK)
			return rc;
	}
	rc = flush(bt, pairs);
	if (rc == CLI_OK && r < 0)
		rc = bad_line(bt, why);
	return rc;
}

static int batch_run(outpost *db, const struct gopts *o, int pairs)
{
	struct batch *bt;
	char msg[512];
	int rc;

	if (o->given & O_JSON)
		return cli_usage("%s: --from-file prints tab-separated "
				 "answers, not --json", o->cmd);
	bt = calloc(1, sizeof(*bt));
	if (!bt)
		return cli_fail("out of memory");
	bt->o = o;
	bt->db = db;
	bt->f = strcmp(o->file, "-") ? fopen(o->file, "r") : stdin;
	if (!bt->f) {
		snprintf(msg, sizeof(msg), "cannot open %.300s: %s", o->file,
			 strerror(errno));
		free(bt);
		return cli_fail(msg);
	}
	rc = batch_lines(bt, pairs);
	if (bt->f != stdin)
		fclose(bt->f);
	free(bt);
	return rc;
}

/* ---- edges ------------------------------------------------------------- */

static int print_edge(void *ctx, const outpost_edge_info *e)
{
	struct printer *p = ctx;
	const char *props = e->properties ? e->properties : "{}";

	if (!p->json) {
		printf("%s\t%s\t%s\t%s\t%s\n", e->uuid, e->type, e->from,
		       e->to, props);
		p->n++;
		return 0;
	}
	printf("%s{\"uuid\": \"%s\", \"type\": ", p->n ? ",\n  " : "[\n  ",
	       e->uuid);
	cli_json_string(stdout, e->type);
	printf(", \"from\": \"%s\", \"to\": \"%s\", \"properties\": %s, "
	       "\"valid_from\": ", e->from, e->to, props);
	if (e->valid_from)
		cli_json_string(stdout, e->valid_from);
	else
		fputs("null", stdout);
	fputs(", \"valid_to\": ", stdout);
	if (e->valid_to)
		cli_json_string(stdout, e->valid_to);
	else
		fputs("null", stdout);
	fputs("}", stdout);
	p->n++;
	return 0;
}

static int run_edges(outpost *db, struct gopts *o)
{
	struct printer p = {(o->given & O_JSON) != 0, 0};
	int rc;

	if (o->tr.ntypes > 1)
		return cli_usage("%s: takes one --type at most", o->cmd);
	rc = outpost_graph_edges_each(db, o->tr.ntypes ? o->types[0] : NULL,
				      print_edge, &p);
	if (rc != OUTPOST_OK)
		return cli_fail(outpost_errmsg(db));
	json_close(&p);
	return CLI_OK;
}

static void edge_fields(outpost_edge *e, const struct gopts *o)
{
	e->properties = o->props;
	e->valid_from = o->valid_from;
	e->valid_to = o->valid_to;
	e->central = (o->given & O_CENTRAL) != 0;
}

static int run_edge_add(outpost *db, struct gopts *o)
{
	outpost_edge e = OUTPOST_EDGE_INIT;
	char uuid[37];

	edge_fields(&e, o);
	e.type = o->pos[0];
	e.from = o->pos[1];
	e.to = o->pos[2];
	if (outpost_graph_edge_add(db, &e, uuid) != OUTPOST_OK)
		return cli_fail(outpost_errmsg(db));
	printf("%s\n", uuid);
	return CLI_OK;
}

static int run_edge_update(outpost *db, struct gopts *o)
{
	outpost_edge e = OUTPOST_EDGE_INIT;

	if (!(o->given & (O_PROPS | O_VFROM | O_VTO)))
		return cli_usage("%s: nothing to change (give --props, "
				 "--valid-from or --valid-to)", o->cmd);
	edge_fields(&e, o);
	if (outpost_graph_edge_update(db, o->pos[0], &e) != OUTPOST_OK)
		return cli_fail(outpost_errmsg(db));
	printf("edge %s updated\n", o->pos[0]);
	return CLI_OK;
}

static int run_edge_delete(outpost *db, struct gopts *o)
{
	if (outpost_graph_edge_delete(db, o->pos[0],
				      (o->given & O_CENTRAL) != 0) !=
	    OUTPOST_OK)
		return cli_fail(outpost_errmsg(db));
	printf("edge %s deleted\n", o->pos[0]);
	return CLI_OK;
}

/* ---- dispatch ---------------------------------------------------------- */

#define O_TRAVERSE (O_TYPE | O_DIR | O_ASOF)
#define O_EDGE (O_PROPS | O_VFROM | O_VTO | O_CENTRAL)

static const struct sub {
	const char *name;  /* after "graph" */
	unsigned allowed;  /* O_* */
	int npos;	   /* operands, exactly */
	int max_depth;	   /* default; min_depth defaults to 1 */
	const char *usage; /* the operands, for a usage error */
	int (*run)(outpost *db, struct gopts *o);
} subs[] = {
	{"neighbours", O_TRAVERSE | O_MIN | O_MAX | O_LIMIT | O_COUNT |
			       O_JSON | O_FILE,
	 1, 1, "expected NODE", run_neighbours},
	{"reach", O_TRAVERSE | O_COUNT | O_JSON | O_FILE, 1, 0,
	 "expected NODE", run_neighbours},
	{"path", O_TRAVERSE | O_LENGTH | O_FILE, 2, 0, "expected A B",
	 run_path},
	{"topo", O_TYPE | O_COUNT | O_JSON, 1, 0, "expected NODE", run_topo},
	{"verify", 0, 0, 0, "takes no operands", run_verify},
	{"edges", O_TYPE | O_JSON, 0, 0, "takes no operands", run_edges},
	{"edge add", O_EDGE, 3, 0, "expected TYPE FROM TO",
	 run_edge_add},
	{"edge update", O_EDGE, 1, 0, "expected UUID", run_edge_update},
	{"edge delete", O_CENTRAL, 1, 0, "expected UUID", run_edge_delete},
};

int cli_graph(outpost *db, int argc, char **argv)
{
	outpost_traversal init = OUTPOST_TRAVERSAL_INIT;
	const struct sub *s = NULL;
	struct gopts o;
	char name[64];
	int edge = argc > 2 && !strcmp(argv[1], "edge"), rc;
	size_t k;

	if (argc < 2)
		return cli_usage("graph needs a subcommand: neighbours, "
				 "reach, path, topo, verify, edges or edge");
	if (!strcmp(argv[1], "edge") && argc < 3)
		return cli_usage("graph edge needs add, update or delete");
	snprintf(name, sizeof(name), "%.20s%s%.20s", argv[1], edge ? " " : "",
		 edge ? argv[2] : "");
	for (k = 0; k < sizeof(subs) / sizeof(subs[0]); k++)
		if (!strcmp(name, subs[k].name))
			s = &subs[k];
	if (!s)
		return cli_usage("unknown graph subcommand \"%s\"", name);
	memset(&o, 0, sizeof(o));
	snprintf(o.cmd_buf, sizeof(o.cmd_buf), "graph %s", s->name);
	o.cmd = o.cmd_buf;
	o.tr = init;
	o.tr.types = o.types;
	o.tr.max_depth = s->max_depth;
	rc = parse(&o, s->allowed, argc, argv, 2 + edge);
	if (rc != CLI_OK)
		return rc;
	if ((o.given & O_MIN) && !(o.given & O_MAX))
		o.tr.max_depth = 0;
	if (o.tr.max_depth && o.tr.min_depth > o.tr.max_depth)
		return cli_usage("%s: --min %d is greater than --max %d",
				 o.cmd, o.tr.min_depth, o.tr.max_depth);
	if (o.file && o.npos)
		return cli_usage("%s: --from-file takes the nodes from the "
				 "file, not as operands", o.cmd);
	if (!o.file && o.npos != s->npos)
		return cli_usage("%s: %s (got %d operand%s)", o.cmd, s->usage,
				 o.npos, o.npos == 1 ? "" : "s");
	return s->run(db, &o);
}
