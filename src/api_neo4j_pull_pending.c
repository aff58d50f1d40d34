/* api_neo4j_pull_pending.c - what of the pulled labels and types the
 * store changed and has not yet pushed to Neo4j (sync/PROTOCOL.md
 * "Neo4j", "Pull", "Local changes not yet pushed"), so that the pull
 * does not overwrite it with the older value the snapshot still shows.
 *
 * Pending is the change log after the cursor neo4j_push (and, inside a
 * bulk import cut there, from neo4j_push_sub on): this store's own
 * entries and those it pulled from central, which the next push sends
 * with their clocks. A pull's own entries are not local changes: they
 * are Neo4j's values, taken. Each pull records the seqs it wrote and the
 * names it reconciled in meta "neo4j_pulled" ([{"lo","hi","names"}],
 * those the push cursor passed dropped); an entry there undoes, for what
 * it carries, what was pending before it.
 *
 * Built once per attempt from one read of the log (and the expansion of
 * its bulk imports): entries are gathered, sorted by (name, uuid, seq,
 * sub) and folded into one record per node or relationship, which the
 * reconcile looks up by binary search. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_neo4j.h"
#include "api_neo4j_pull_int.h"
#include "api_sync_import.h"

/* One log entry (or one change of an import) of a pulled name. */
struct rec {
	const char *tbl; /* the schema's name */
	uint8_t uuid[16];
	int64_t seq;
	uint32_t sub;
	char op;
	char pulled; /* written by a pull that reconciled tbl */
	char is_edge;
	uint64_t hlc;
	uint8_t site[16];
	char *vals; /* a U's, else NULL */
};

struct recs {
	struct rec *v;
	size_t n, cap;
};

static int room(struct pull *p, struct recs *r)
{
	struct rec *v;
	size_t cap;

	if (r->n < r->cap)
		return OUTPOST_OK;
	cap = r->cap ? r->cap * 2 : 256;
	if (cap > SIZE_MAX / sizeof(*v) ||
	    !(v = op_realloc(r->v, cap * sizeof(*v)))) {
		op_err_set(&p->db->err, OUTPOST_ENOMEM, "out of memory");
		return OUTPOST_ENOMEM;
	}
	r->v = v;
	r->cap = cap;
	return OUTPOST_OK;
}

static void recs_free(struct recs *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		op_free(r->v[i].vals);
	op_free(r->v);
	memset(r, 0, sizeof(*r));
}

/* The schema's spelling of a name the pull looks at, or NULL: its
 * labels, its types and the labels of the types' ends (a relationship
 * to a node deleted and not yet pushed is not brought back). */
static const char *known(const struct pull *p, const char *tbl, int *edge)
{
	size_t i;

	*edge = 0;
	for (i = 0; i < p->nlabels; i++)
		if (!strcmp(p->labels[i]->name, tbl))
			return p->labels[i]->name;
	for (i = 0; i < p->ntypes; i++) {
		if (!strcmp(p->types[i]->from, tbl))
			return p->types[i]->from;
		if (!strcmp(p->types[i]->to, tbl))
			return p->types[i]->to;
		if (!strcmp(p->types[i]->name, tbl)) {
			*edge = 1;
			return p->types[i]->name;
		}
	}
	return NULL;
}

/* Those names as a JSON array for json_each (schema names need no
 * escaping); op_free. */
static char *names_json(const struct pull *p)
{
	struct op_buf b = {0};
	size_t i;

	op_buf_adds(&b, "[\"_outpost_import\"");
	for (i = 0; i < p->nlabels; i++)
		op_buf_addf(&b, ",\"%s\"", p->labels[i]->name);
	for (i = 0; i < p->ntypes; i++)
		op_buf_addf(&b, ",\"%s\",\"%s\",\"%s\"", p->types[i]->name,
			    p->types[i]->from, p->types[i]->to);
	op_buf_adds(&b, "]");
	return op_buf_take(&b);
}

/* The inserts of import entry e (from sub `from` on) of pulled names. */
static int add_import(struct pull *p, struct recs *r,
		      const struct op_change *e, uint32_t from)
{
	struct op_import_part part;
	int rc = OUTPOST_OK, done = 0;

	memset(&part, 0, sizeof(part));
	while (rc == OUTPOST_OK && !done) {
		size_t i;

		rc = op_api_sync_import_part(p->db, e, from, 4096, 0, &part);
		for (i = 0; rc == OUTPOST_OK && i < part.n; i++) {
			const struct op_change *c = &part.changes[i];
			struct rec *x;
			int edge;
			const char *tbl = known(p, c->table, &edge);

			if (!tbl || (rc = room(p, r)) != OUTPOST_OK)
				continue;
			x = &r->v[r->n];
			memset(x, 0, sizeof(*x));
			if (op_uuid_parse(x->uuid, c->row_id) != 0)
				continue;
			x->tbl = tbl;
			x->is_edge = (char)edge;
			x->seq = e->seq;
			x->sub = c->sub;
			x->op = 'I';
			x->hlc = e->hlc;
			memcpy(x->site, e->site, 16);
			r->n++;
		}
		done = part.done;
		from = part.next;
		op_api_sync_import_part_free(&part);
	}
	return rc;
}

/* One log entry of the current row of st. */
static int add_entry(struct pull *p, struct recs *r, struct op_stmt *st,
		     const cJSON **at, int64_t after, uint32_t sub)
{
	struct op_change e;
	outpost_value site;
	const char *tbl = op_rel_col_text(st, 3);
	const char *op = op_rel_col_text(st, 4);
	const char *id = op_rel_col_text(st, 5);
	const char *vals = op_rel_col_text(st, 6);
	struct rec *x;
	int edge;

	memset(&e, 0, sizeof(e));
	e.seq = op_rel_col_int(st, 0);
	e.hlc = (uint64_t)op_rel_col_int(st, 1);
	op_rel_col(st, 2, &site);
	/* this store's own entries have no site */
	if (site.type == OUTPOST_BLOB && site.n == 16)
		memcpy(e.site, site.s, 16);
	else
		memcpy(e.site, p->db->site, 16);
	if (!tbl || !op || !id)
		return OUTPOST_OK;
	if (!strcmp(tbl, "_outpost_import")) {
		e.table = tbl;
		e.op = op[0];
		e.row_id = id;
		e.values = vals;
		/* an import cut by the push goes on from its sub */
		return add_import(p, r, &e, e.seq == after + 1 ? sub : 0);
	}
	if (!(tbl = known(p, tbl, &edge)))
		return OUTPOST_OK;
	if (room(p, r) != OUTPOST_OK)
		return OUTPOST_ENOMEM;
	x = &r->v[r->n];
	memset(x, 0, sizeof(*x));
	if (op_uuid_parse(x->uuid, id) != 0)
		return OUTPOST_OK; /* not a node or edge the graph knows */
	x->tbl = tbl;
	x->is_edge = (char)edge;
	x->seq = e.seq;
	x->op = op[0];
	x->pulled = (char)op_api_neo4j_pull_was_pulled(at, e.seq, tbl);
	x->hlc = e.hlc;
	memcpy(x->site, e.site, 16);
	if (x->op == 'U' && vals && !(x->vals = op_strdup(vals)))
		return op_err_set(&p->db->err, OUTPOST_ENOMEM, "out of memory");
	r->n++;
	return OUTPOST_OK;
}

/* Every entry after the cursor of a name the pull looks at, in *r. */
static int gather(struct pull *p, struct recs *r)
{
	struct op_stmt *st = NULL;
	cJSON *ranges = NULL;
	const cJSON *at = NULL;
	char *names = names_json(p);
	int64_t after = 0, sub = 0;
	int rc = names ? OUTPOST_OK : OUTPOST_ENOMEM;

	if (rc == OUTPOST_OK)
		rc = op_api_neo4j_pull_cursor(p, OP_NEO4J_CURSOR, &after);
	if (rc == OUTPOST_OK)
		rc = op_api_neo4j_pull_cursor(p, OP_NEO4J_CURSOR_SUB, &sub);
	if (rc == OUTPOST_OK)
		rc = op_api_neo4j_pull_ranges(p, &ranges);
	at = ranges ? ranges->child : NULL;
	if (rc == OUTPOST_OK)
		rc = op_rel_prepare(&st, p->db->rel, "SELECT seq, hlc, site, "
				    "tbl, op, row_id, vals FROM "
				    "_outpost_changes WHERE seq > ?1 AND tbl "
				    "IN (SELECT value FROM json_each(?2)) "
				    "ORDER BY seq", NULL, &p->db->err);
	if (rc == OUTPOST_OK)
		rc = op_rel_bind_int(st, 1, after);
	if (rc == OUTPOST_OK)
		rc = op_rel_bind_text(st, 2, names);
	while (rc == OUTPOST_OK && (rc = op_rel_step(st, &p->db->err)) == OP_ROW)
		rc = add_entry(p, r, st, &at, after, (uint32_t)sub);
	if (rc == OUTPOST_ENOMEM)
		op_err_set(&p->db->err, rc, "out of memory");
	op_rel_finalize(st);
	cJSON_Delete(ranges);
	op_free(names);
	return rc;
}

static int by_key(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	int c = strcmp(x->tbl, y->tbl);

	if (!c)
		c = memcmp(x->uuid, y->uuid, 16);
	if (!c)
		c = x->seq < y->seq ? -1 : x->seq > y->seq;
	if (!c)
		c = x->sub < y->sub ? -1 : x->sub > y->sub;
	return c;
}

static void cols_free(struct pend *d)
{
	size_t i;

	for (i = 0; i < d->ncols; i++)
		op_free(d->cols[i].name);
	op_free(d->cols);
	d->cols = NULL;
	d->ncols = 0;
}

static int set_col(struct pend *d, const char *name, const char *clk)
{
	struct pend_col *v;
	size_t i;

	for (i = 0; i < d->ncols; i++)
		if (!strcmp(d->cols[i].name, name))
			break;
	if (i == d->ncols) {
		if (!(v = op_realloc(d->cols, (d->ncols + 1) * sizeof(*v))))
			return OUTPOST_ENOMEM;
		d->cols = v;
		if (!(v[i].name = op_strdup(name)))
			return OUTPOST_ENOMEM;
		d->ncols++;
	}
	snprintf(d->cols[i].clk, sizeof(d->cols[i].clk), "%s", clk);
	return OUTPOST_OK;
}

/* The columns (an edge's valid_from, valid_to and properties) update x
 * names get clk. */
static int fold_update(struct pend *d, const struct rec *x, const char *clk)
{
	cJSON *v = x->vals ? cJSON_Parse(x->vals) : NULL;
	const cJSON *f, *g;
	int rc = OUTPOST_OK;

	cJSON_ArrayForEach(f, v)
	{
		if (rc != OUTPOST_OK || !f->string)
			break;
		if (x->is_edge && !strcmp(f->string, "props")) {
			cJSON_ArrayForEach(g, f)
			{
				if (rc == OUTPOST_OK && g->string)
					rc = set_col(d, g->string, clk);
			}
		} else if (!x->is_edge || !strcmp(f->string, "valid_from") ||
			   !strcmp(f->string, "valid_to")) {
			rc = set_col(d, f->string, clk);
		}
	}
	cJSON_Delete(v);
	return rc;
}

/* Entries v[0..n) of one node or relationship, in log order, into *d:
 * an insert or delete starts it over, an update marks its columns; a
 * pull's entry clears what it carries (Neo4j's value was taken). */
static int fold(struct pend *d, const struct rec *v, size_t n)
{
	size_t k, i;
	int rc = OUTPOST_OK;

	memset(d, 0, sizeof(*d));
	d->tbl = v[0].tbl;
	memcpy(d->uuid, v[0].uuid, 16);
	for (k = 0; rc == OUTPOST_OK && k < n; k++) {
		char clk[OP_NEO4J_PULL_CLOCK + 1] = "";

		if (!v[k].pulled)
			op_neo4j_pull_clock(clk, v[k].hlc, v[k].site);
		if (v[k].op == 'U') {
			rc = fold_update(d, &v[k], clk);
			continue;
		}
		cols_free(d);
		d->op = v[k].pulled ? 0 : v[k].op;
		memcpy(d->clk, clk, sizeof(clk));
	}
	/* "" only overrides an insert's clock */
	for (i = k = 0; rc == OUTPOST_OK && d->op != 'I' && i < d->ncols; i++) {
		if (d->cols[i].clk[0])
			d->cols[k++] = d->cols[i];
		else
			op_free(d->cols[i].name);
	}
	if (rc == OUTPOST_OK && d->op != 'I')
		d->ncols = k;
	return rc;
}

void op_api_neo4j_pull_pending_free(struct pull *p)
{
	size_t i;

	for (i = 0; i < p->npend; i++)
		cols_free(&p->pend[i]);
	op_free(p->pend);
	p->pend = NULL;
	p->npend = 0;
}

int op_api_neo4j_pull_pending(struct pull *p)
{
	struct recs r;
	size_t i, j;
	int rc;

	op_api_neo4j_pull_pending_free(p);
	memset(&r, 0, sizeof(r));
	rc = gather(p, &r);
	if (rc == OUTPOST_OK && r.n) {
		qsort(r.v, r.n, sizeof(*r.v), by_key);
		if (!(p->pend = op_calloc(r.n, sizeof(*p->pend))))
			rc = OUTPOST_ENOMEM;
	}
	for (i = 0; rc == OUTPOST_OK && p->pend && i < r.n; i = j) {
		struct pend *d = &p->pend[p->npend];

		for (j = i + 1; j < r.n && !strcmp(r.v[j].tbl, r.v[i].tbl) &&
				!memcmp(r.v[j].uuid, r.v[i].uuid, 16);
		     j++)
			;
		rc = fold(d, &r.v[i], j - i);
		if (rc == OUTPOST_OK && (d->op || d->ncols))
			p->npend++;
		else
			cols_free(d);
	}
	if (rc == OUTPOST_ENOMEM)
		op_err_set(&p->db->err, rc, "out of memory");
	recs_free(&r);
	return rc;
}

static int by_pend(const void *a, const void *b)
{
	const struct pend *x = a, *y = b;
	int c = strcmp(x->tbl, y->tbl);

	return c ? c : memcmp(x->uuid, y->uuid, 16);
}

const struct pend *op_api_neo4j_pull_pend(const struct pull *p,
					  const char *tbl, const char *uuid)
{
	struct pend key;

	memset(&key, 0, sizeof(key));
	key.tbl = tbl;
	if (!p->npend || !uuid || op_uuid_parse(key.uuid, uuid) != 0)
		return NULL;
	return bsearch(&key, p->pend, p->npend, sizeof(key), by_pend);
}

int op_api_neo4j_pull_oldest(struct pull *p, char out[OP_NEO4J_PULL_CLOCK + 1])
{
	static const uint8_t zero[16];
	struct op_stmt *st = NULL;
	char *names = names_json(p);
	int64_t after = 0;
	int rc = names ? OUTPOST_OK : OUTPOST_ENOMEM;

	out[0] = '\0';
	if (rc == OUTPOST_OK)
		rc = op_api_neo4j_pull_cursor(p, OP_NEO4J_CURSOR, &after);
	if (rc == OUTPOST_OK)
		rc = op_rel_prepare(&st, p->db->rel, "SELECT min(hlc) FROM "
				    "_outpost_changes WHERE seq > ?1 AND op = "
				    "'I' AND tbl IN (SELECT value FROM "
				    "json_each(?2))", NULL, &p->db->err);
	if (rc == OUTPOST_OK)
		rc = op_rel_bind_int(st, 1, after);
	if (rc == OUTPOST_OK)
		rc = op_rel_bind_text(st, 2, names);
	if (rc == OUTPOST_OK && (rc = op_rel_step(st, &p->db->err)) == OP_ROW) {
		rc = OUTPOST_OK;
		if (!op_rel_col_is_null(st, 0))
			op_neo4j_pull_clock(out, (uint64_t)op_rel_col_int(st, 0),
					    zero);
	}
	if (rc == OUTPOST_ENOMEM)
		op_err_set(&p->db->err, rc, "out of memory");
	op_rel_finalize(st);
	op_free(names);
	return rc;
}

