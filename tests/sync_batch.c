/* sync_batch.c - helpers of the sync apply tests: see sync_batch.h. */
#include <stdarg.h>
#include <stdlib.h>
#include <cjson/cJSON.h>

#include "api_remote_int.h"
#include "sync_batch.h"

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

void ts_push(struct ts_batch *b, const struct op_change *c)
{
	struct op_change *d;

	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 64;
		b->c = realloc(b->c, b->cap * sizeof(*b->c));
		if (!b->c)
			abort();
	}
	d = &b->c[b->n++];
	*d = *c;
	d->table = dup_or_null(c->table);
	d->row_id = dup_or_null(c->row_id);
	d->values = dup_or_null(c->values);
}

void ts_batch_free(struct ts_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free((char *)b->c[i].table);
		free((char *)b->c[i].row_id);
		free((char *)b->c[i].values);
	}
	free(b->c);
	memset(b, 0, sizeof(*b));
}

struct collect {
	struct ts_batch *b;
	const char *site;
	long long last;
};

static int hexval(char c)
{
	return c <= '9' ? c - '0' : (c | 32) - 'a' + 10;
}

static int on_change(void *ctx, const outpost_change *oc)
{
	struct collect *k = ctx;
	struct op_change c;
	int i;

	k->last = oc->seq;
	if (k->site && strcmp(k->site, oc->site) != 0)
		return 0;
	memset(&c, 0, sizeof(c));
	c.seq = oc->seq;
	c.hlc = oc->hlc;
	for (i = 0; i < 16; i++)
		c.site[i] = (uint8_t)(hexval(oc->site[2 * i]) << 4 |
				      hexval(oc->site[2 * i + 1]));
	c.table = oc->table;
	c.op = oc->op;
	c.row_id = oc->row_id;
	c.values = oc->values;
	ts_push(k->b, &c);
	return 0;
}

int ts_collect(struct ts_batch *b, outpost *db, long long after,
	       const char *site, long long *last)
{
	outpost_log_filter f = OUTPOST_LOG_FILTER_INIT;
	struct collect k = {b, site, after};
	int rc;

	f.after_seq = after;
	rc = outpost_log_each(db, &f, on_change, &k);
	if (last)
		*last = k.last;
	return rc;
}

int ts_apply(outpost *db, const struct op_change *c, size_t n,
	     const char *cursor, long long value)
{
	return op_api_sync_apply(db, c, n, cursor, value);
}

void ts_site(outpost *db, char out[33])
{
	outpost_status st;

	memset(&st, 0, sizeof(st));
	st.version = OUTPOST_STATUS_VERSION;
	out[0] = '\0';
	if (outpost_status_get(&st, db) == OUTPOST_OK)
		memcpy(out, st.site_id, 33);
}

int ts_ship(outpost *a, outpost *b, long long after, long long *last)
{
	struct ts_batch batch = {0};
	char site[33];
	int rc;

	ts_site(a, site);
	rc = ts_collect(&batch, a, after, site, last);
	if (rc == OUTPOST_OK)
		rc = ts_apply(b, batch.c, batch.n, NULL, 0);
	ts_batch_free(&batch);
	return rc;
}

outpost *ts_store(struct t *t, const char *name, const char *schema)
{
	char dir[512], path[512];
	outpost *db = NULL;

	t_path(dir, t, name);
	if (strchr(schema, '/'))
		snprintf(path, sizeof(path), "%s", schema);
	else
		t_schema(path, schema);
	if (outpost_init(&db, dir, NULL) != OUTPOST_OK ||
	    outpost_schema_apply(db, path) != OUTPOST_OK) {
		fprintf(stderr, "store %s: %s\n", name, outpost_errmsg(db));
		outpost_close(db);
		return NULL;
	}
	return db;
}

static void set_policy(cJSON *o, const char *lww)
{
	cJSON *sync = cJSON_GetObjectItem(o, "sync");

	if (sync)
		cJSON_ReplaceItemInObject(sync, "conflict",
					  cJSON_CreateString(lww));
}

int ts_lexicraft_lww(struct t *t, char out[512])
{
	char src[512], *text = NULL;
	cJSON *s, *rel, *props, *note;
	FILE *f;
	long n;
	int rc = -1;

	t_schema(src, "lexicraft.json");
	f = fopen(src, "rb");
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc(1, (size_t)n + 1);
	if (text && fread(text, 1, (size_t)n, f) == (size_t)n &&
	    (s = cJSON_Parse(text)) != NULL) {
		set_policy(cJSON_GetObjectItem(cJSON_GetObjectItem(s, "nodes"),
					       "LearningPoint"),
			   "lww");
		rel = cJSON_GetObjectItem(cJSON_GetObjectItem(s,
							      "relationships"),
					  "RELATED_TO");
		set_policy(rel, "lww");
		props = cJSON_GetObjectItem(rel, "properties");
		note = cJSON_CreateObject();
		cJSON_AddStringToObject(note, "type", "text");
		cJSON_AddItemToObject(props, "note", note);
		free(text);
		text = cJSON_Print(s);
		cJSON_Delete(s);
		t_path(out, t, "lexicraft-lww.json");
		rc = text ? t_write(out, text) : -1;
	}
	fclose(f);
	free(text);
	return rc;
}

struct dump {
	char *p;
	size_t len, cap;
};

static void add(struct dump *d, const char *s)
{
	size_t n = strlen(s);

	if (d->len + n + 1 > d->cap) {
		d->cap = (d->len + n + 1) * 2;
		d->p = realloc(d->p, d->cap);
		if (!d->p)
			abort();
	}
	memcpy(d->p + d->len, s, n + 1);
	d->len += n;
}

static int dump_row(void *ctx, int n, const char *const *names,
		    const outpost_value *v)
{
	struct dump *d = ctx;
	char cell[1024];
	int i;

	for (i = 0; i < n; i++) {
		switch (v[i].type) {
		case OUTPOST_INTEGER:
			snprintf(cell, sizeof(cell), "%s=I:%lld ", names[i],
				 v[i].i);
			break;
		case OUTPOST_REAL:
			snprintf(cell, sizeof(cell), "%s=R:%.17g ", names[i],
				 v[i].r);
			break;
		case OUTPOST_TEXT:
			snprintf(cell, sizeof(cell), "%s=T:%.900s ", names[i],
				 v[i].s);
			break;
		case OUTPOST_BLOB: {
			size_t k, at;

			at = (size_t)snprintf(cell, sizeof(cell), "%s=B:",
					      names[i]);
			for (k = 0; k < v[i].n && at + 3 < sizeof(cell); k++)
				at += (size_t)snprintf(
					cell + at, sizeof(cell) - at, "%02x",
					(unsigned char)v[i].s[k]);
			snprintf(cell + at, sizeof(cell) - at, " ");
			break;
		}
		default:
			snprintf(cell, sizeof(cell), "%s=N ", names[i]);
		}
		add(d, cell);
	}
	add(d, "\n");
	return 0;
}

char *ts_dump(outpost *db, const char *sql)
{
	struct dump d = {0};

	add(&d, "");
	if (outpost_sql(db, sql, NULL, 0, dump_row, &d) != OUTPOST_OK) {
		add(&d, "(error: ");
		add(&d, outpost_errmsg(db));
		add(&d, ")\n");
	}
	return d.p;
}

static void dump_into(struct dump *d, outpost *db, const char *head,
		      const char *sql)
{
	char *part = ts_dump(db, sql);

	add(d, head);
	add(d, part);
	free(part);
}

static int add_name(void *ctx, int n, const char *const *names,
		    const outpost_value *v)
{
	struct dump *d = ctx;

	(void)names;
	if (n >= 2 && v[0].type == OUTPOST_TEXT && v[1].type == OUTPOST_TEXT) {
		add(d, v[0].s);
		add(d, "\t");
		add(d, v[1].s);
		add(d, "\n");
	}
	return 0;
}

/* The user tables and their primary keys, "name\tpk" per line. */
static char *tables(outpost *db)
{
	struct dump d = {0};

	add(&d, "");
	outpost_sql(db, "SELECT m.name, (SELECT name FROM pragma_table_info("
		    "m.name) WHERE pk = 1) FROM sqlite_master m WHERE type = "
		    "'table' AND substr(m.name, 1, 1) <> '_' ORDER BY 1",
		    NULL, 0, add_name, &d);
	return d.p;
}

static int edge_line(void *ctx, const outpost_edge_info *e)
{
	struct dump *d = ctx;
	char line[2048];

	snprintf(line, sizeof(line), "%s %s %s->%s props=%.1500s from=%s "
		 "to=%s\n", e->uuid, e->type, e->from, e->to,
		 e->properties ? e->properties : "-",
		 e->valid_from ? e->valid_from : "-",
		 e->valid_to ? e->valid_to : "-");
	add(d, line);
	return 0;
}

static void one_table(struct dump *d, outpost *db, const char *name,
		      const char *pk)
{
	char sql[1024], head[256];

	snprintf(head, sizeof(head), "== %s\n", name);
	snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\" ORDER BY \"%s\"", name,
		 pk);
	dump_into(d, db, head, sql);
	snprintf(head, sizeof(head), "== clocks of %s\n", name);
	snprintf(sql, sizeof(sql), "SELECT id, col, hlc, hex(site), dead FROM "
		 "\"_outpost_clk_%s\" ORDER BY id, col", name);
	{
		char probe[512]; /* only lww tables have clocks */

		snprintf(probe, sizeof(probe), "SELECT count(*) FROM "
			 "sqlite_master WHERE name = '_outpost_clk_%s'", name);
		if (t_int(db, probe) != 1)
			return;
		dump_into(d, db, head, sql);
	}
	snprintf(head, sizeof(head), "== parked of %s\n", name);
	if (t_int(db, "SELECT count(*) FROM sqlite_master WHERE name = "
		  "'_outpost_parked'") != 1) {
		add(d, head); /* none parked yet */
		return;
	}
	snprintf(sql, sizeof(sql), "SELECT p.id, p.col, p.hlc, hex(p.site), "
		 "p.val FROM _outpost_parked p JOIN \"_outpost_clk_%s\" k ON "
		 "k.id = p.id AND k.col = '' WHERE p.tbl = '%s' AND NOT EXISTS "
		 "(SELECT 1 FROM \"%s\" WHERE \"%s\" = p.id) AND (p.hlc > "
		 "k.hlc OR (p.hlc = k.hlc AND p.site > k.site)) ORDER BY 1, 2",
		 name, name, name, pk);
	dump_into(d, db, head, sql);
}

static int cmp_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The edges, sorted (edges_each goes by internal id, which differs). */
static void edges(struct dump *d, outpost *db)
{
	struct dump e = {0};
	char **lines = NULL, *p;
	size_t n = 0, i;

	add(&e, "");
	outpost_graph_edges_each(db, NULL, edge_line, &e);
	for (p = e.p; *p;) {
		char *nl = strchr(p, '\n');

		lines = realloc(lines, (n + 1) * sizeof(*lines));
		if (!lines || !nl)
			abort();
		lines[n++] = p;
		*nl = '\0';
		p = nl + 1;
	}
	if (n)
		qsort(lines, n, sizeof(*lines), cmp_lines);
	add(d, "== edges\n");
	for (i = 0; i < n; i++) {
		add(d, lines[i]);
		add(d, "\n");
	}
	free(lines);
	free(e.p);
}

char *ts_dump_all(outpost *db)
{
	struct dump d = {0};
	char *list = tables(db), *line, *next;

	add(&d, "");
	for (line = list; line && *line; line = next) {
		char *tab = strchr(line, '\t');

		next = strchr(line, '\n');
		*next++ = '\0';
		if (tab) {
			*tab = '\0';
			one_table(&d, db, line, tab + 1);
		}
	}
	free(list);
	edges(&d, db);
	return d.p;
}

long long ts_log_count(outpost *db)
{
	return t_int(db, "SELECT count(*) FROM _outpost_changes");
}

const char *ts_first_diff(const char *a, const char *b)
{
	static char out[1200];
	size_t i = 0, line = 0;

	while (a[i] && a[i] == b[i])
		i++;
	while (line < i && a[i - line - 1] != '\n')
		line++;
	snprintf(out, sizeof(out), "first difference:\n  a: %.500s\n  b: %.500s",
		 a + i - line, b + i - line);
	return out;
}

int ts_sql(outpost *db, const char *fmt, ...)
{
	char sql[8192];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	rc = outpost_sql(db, sql, NULL, 0, NULL, NULL);
	if (rc != OUTPOST_OK)
		fprintf(stderr, "sql: %s\n  %s\n", outpost_errmsg(db), sql);
	return rc;
}

struct op_change ts_change(long long seq, unsigned long long hlc,
			   const char *site_hex, const char *table, char op,
			   const char *row_id, const char *values)
{
	struct op_change c;
	int i;

	memset(&c, 0, sizeof(c));
	c.seq = seq;
	c.hlc = hlc;
	for (i = 0; site_hex && i < 16; i++)
		c.site[i] = (uint8_t)(hexval(site_hex[2 * i]) << 4 |
				      hexval(site_hex[2 * i + 1]));
	c.table = table;
	c.op = op;
	c.row_id = row_id;
	c.values = values;
	return c;
}
