/* api_sync_import.c - a bulk import's log entry as the changes a device
 * would have logged for its nodes and edges one by one (the rules are in
 * api_sync_import.h). The push sends these in the entry's place.
 *
 * One call reads one snapshot: a SQLite read transaction (node rows,
 * through the capture trigger's own JSON expression, so the values are
 * byte for byte what the trigger logs) and an LMDB read txn (the nid and
 * eid records of the import's ranges, the edges' properties). Memory is
 * that of the changes returned; nothing of the import is materialised. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "api_sync_import_int.h"

#define IMPORT_TABLE "_outpost_import"

/* Set the message, naming the import: "import ID (seq S): ...". */
int op_api_sync_import_fail(struct xp *x, int rc, const char *fmt, ...)
{
	char what[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return op_err_set(&x->db->err, rc, "import %s (seq %lld): %s", x->id,
			  (long long)x->e->seq, what);
}

/* A lower layer's failure, its message kept after the import's name. */
static int failed(struct xp *x, int rc, const char *what)
{
	return op_api_sync_import_fail(x, rc, "%s: %.900s", what,
				       x->db->err.msg);
}

/* Only these policies are pushed (local_only never leaves the device;
 * central_wins rows an import made count as from central). */
static int pushed(enum op_policy p)
{
	return p == OP_SYNC_LWW || p == OP_SYNC_APPEND_ONLY;
}

/* o[key] as [from, to], 0 <= from <= to <= UINT32_MAX, integers. */
static int range(const cJSON *o, const char *key, uint32_t *from, uint32_t *to)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
	const cJSON *f = cJSON_GetArrayItem(a, 0),
		    *l = cJSON_GetArrayItem(a, 1);

	if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 2 ||
	    !cJSON_IsNumber(f) || !cJSON_IsNumber(l) ||
	    !(f->valuedouble >= 0 && f->valuedouble <= l->valuedouble &&
	      l->valuedouble <= (double)UINT32_MAX))
		return -1;
	*from = (uint32_t)f->valuedouble;
	*to = (uint32_t)l->valuedouble;
	return (double)*from == f->valuedouble &&
			       (double)*to == l->valuedouble
		       ? 0
		       : -1;
}

static int parse_entry(struct xp *x)
{
	cJSON *o = cJSON_Parse(x->e->values);
	int bad = !cJSON_IsObject(o) ||
		  range(o, "new_nids", &x->nid_from, &x->nid_to) != 0 ||
		  range(o, "new_eids", &x->eid_from, &x->eid_to) != 0;
	uint64_t total;

	cJSON_Delete(o);
	if (bad)
		return op_api_sync_import_fail(x, OUTPOST_ECORRUPT, "vals is "
					       "not {\"nodes\": N, \"edges\": "
					       "M, \"new_nids\": [a, b], "
					       "\"new_eids\": [c, d]} with a "
					       "<= b and c <= d");
	x->nnodes = x->nid_to - x->nid_from;
	total = (uint64_t)x->nnodes + (x->eid_to - x->eid_from);
	if (total > UINT32_MAX)
		return op_api_sync_import_fail(x, OUTPOST_ECORRUPT, "%u nodes "
					       "and %u edges: more than %u "
					       "subs", x->nnodes,
					       x->eid_to - x->eid_from,
					       UINT32_MAX);
	x->total = (uint32_t)total;
	return OUTPOST_OK;
}

/* The adj ids of the schema's labels and types. A name with no id has
 * nothing in the graph; an id with no name is of a label or type the
 * schema dropped. */
static int map_names(struct xp *x)
{
	size_t i, nt = x->s->ntables, nr = x->s->nrels;
	uint16_t id;
	int rc;

	x->label_table = op_malloc(OP_ADJ_MAX_TYPES * sizeof(int32_t));
	x->type_rel = op_malloc(OP_ADJ_MAX_TYPES * sizeof(int32_t));
	x->rows = op_calloc(nt + 1, sizeof(struct op_stmt *));
	if (!x->label_table || !x->type_rel || !x->rows)
		return op_api_sync_import_fail(x, OUTPOST_ENOMEM,
					       "out of memory");
	memset(x->label_table, 0xff, OP_ADJ_MAX_TYPES * sizeof(int32_t));
	memset(x->type_rel, 0xff, OP_ADJ_MAX_TYPES * sizeof(int32_t));
	for (i = 0; i < nt + nr; i++) {
		int label = i < nt;
		const char *name = label ? x->s->tables[i].name
					 : x->s->rels[i - nt].name;

		if (label && !x->s->tables[i].is_node)
			continue;
		rc = op_adj_name_id(x->t, label ? "label" : "type", name, 0,
				    &id, &x->db->err);
		if (rc == OUTPOST_ENOTFOUND)
			continue;
		if (rc != OUTPOST_OK)
			return failed(x, rc, "graph store names");
		if (id >= OP_ADJ_MAX_TYPES)
			continue;
		if (label)
			x->label_table[id] = (int32_t)i;
		else
			x->type_rel[id] = (int32_t)(i - nt);
	}
	return OUTPOST_OK;
}

static int open_snapshot(struct xp *x)
{
	int64_t applied = 0;
	uint32_t nids = 0, eids = 0;
	int rc = OUTPOST_OK;

	if (!op_rel_in_txn(x->db->rel)) {
		rc = op_rel_begin_read(x->db->rel, &x->db->err);
		x->began = rc == OUTPOST_OK;
	}
	if (rc == OUTPOST_OK)
		rc = op_api_schema_current(x->db, &x->s);
	if (rc == OUTPOST_OK && !x->s)
		return op_api_sync_import_fail(x, OUTPOST_ESCHEMA,
					       "the store has no schema");
	if (rc == OUTPOST_OK)
		rc = op_adj_begin(&x->t, x->db->adj, 0, &x->db->err);
	if (rc == OUTPOST_OK)
		rc = op_adj_applied_seq_txn(x->t, &applied, &x->db->err);
	if (rc == OUTPOST_OK)
		rc = op_adj_count(x->t, "nid", &nids, &x->db->err);
	if (rc == OUTPOST_OK)
		rc = op_adj_count(x->t, "eid", &eids, &x->db->err);
	if (rc != OUTPOST_OK)
		return failed(x, rc, "reading the store");
	/* The import committed LMDB first, applied_seq = its seq. */
	if (applied < x->e->seq)
		return op_api_sync_import_fail(x, OUTPOST_ECORRUPT, "the "
					       "graph store has applied the "
					       "log up to seq %lld only, so it "
					       "does not hold this import's "
					       "nodes and edges",
					       (long long)applied);
	if (x->nid_to > nids || x->eid_to > eids)
		return op_api_sync_import_fail(x, OUTPOST_ECORRUPT, "nids "
					       "[%u, %u) and eids [%u, %u) go "
					       "past the graph store's "
					       "counters (%u nids, %u eids)",
					       x->nid_from, x->nid_to,
					       x->eid_from, x->eid_to, nids,
					       eids);
	return map_names(x);
}

static void close_snapshot(struct xp *x)
{
	size_t i;

	for (i = 0; x->rows && x->s && i < x->s->ntables; i++)
		op_rel_finalize(x->rows[i]);
	op_free(x->rows);
	op_free(x->label_table);
	op_free(x->type_rel);
	op_adj_abort(x->t);
	if (x->began)
		op_rel_rollback(x->db->rel);
	op_schema_free(x->s);
}

/* Row `uuid` of node table ti: *json its insert entry's vals (borrowed
 * until the table's next lookup), or NULL if there is no such row. */
static int row_json(struct xp *x, size_t ti, const char *uuid,
		    const char **json)
{
	const struct op_table *tb = &x->s->tables[ti];
	struct op_buf sql = {0};
	int rc = OUTPOST_OK;

	*json = NULL;
	if (!x->rows[ti]) {
		/* The capture trigger's expression over the stored row
		 * (NEW there, r here): the same text. */
		op_buf_adds(&sql, "SELECT ");
		op_schema_sql_insert_json(&sql, tb, "r");
		op_buf_adds(&sql, " FROM ");
		op_rel_quote_ident(&sql, tb->name);
		op_buf_adds(&sql, " AS r WHERE r.");
		op_rel_quote_ident(&sql, tb->cols[tb->pk].name);
		op_buf_adds(&sql, " = ?1");
		rc = sql.oom ? op_err_set(&x->db->err, OUTPOST_ENOMEM,
					  "out of memory")
			     : op_rel_prepare(&x->rows[ti], x->db->rel,
					      op_buf_str(&sql), NULL,
					      &x->db->err);
		op_buf_free(&sql);
	} else
		op_rel_reset(x->rows[ti]);
	if (rc == OUTPOST_OK)
		rc = op_rel_bind_text(x->rows[ti], 1, uuid);
	if (rc == OUTPOST_OK)
		rc = op_rel_step(x->rows[ti], &x->db->err);
	if (rc == OP_ROW && !(*json = op_rel_col_text(x->rows[ti], 0)))
		return op_api_sync_import_fail(x, OUTPOST_ENOMEM,
					       "out of memory");
	if (rc == OP_ROW || rc == OUTPOST_OK)
		return OUTPOST_OK;
	return op_api_sync_import_fail(x, rc,
				       "node %s: reading its row in %s: %.900s",
				       uuid, tb->name, x->db->err.msg);
}

/* The change: one allocation for its three strings, *block. */
static int make(struct xp *x, uint32_t sub, const char *table,
		const char *row_id, const char *vals, struct op_change *c,
		char **block)
{
	size_t lt = strlen(table) + 1, lr = strlen(row_id) + 1;
	size_t lv = strlen(vals) + 1;
	char *p = op_malloc(op_size_add(op_size_add(lt, lr), lv));

	if (!p)
		return op_api_sync_import_fail(x, OUTPOST_ENOMEM,
					       "out of memory");
	memcpy(p, table, lt);
	memcpy(p + lt, row_id, lr);
	memcpy(p + lt + lr, vals, lv);
	memset(c, 0, sizeof(*c));
	c->seq = x->e->seq;
	c->hlc = x->e->hlc;
	memcpy(c->site, x->e->site, 16);
	c->sub = sub;
	c->op = 'I';
	c->table = p;
	c->row_id = p + lt;
	c->values = p + lt + lr;
	*block = p;
	return OUTPOST_OK;
}

/* Node of nid: its uuid and table index; *ti -1 if the node or its
 * label is gone. */
static int node_of(struct xp *x, uint32_t nid, char uuid[OP_UUID_TEXT],
		   int32_t *ti)
{
	uint8_t u[16];
	uint16_t label = 0;
	int rc = op_adj_node_uuid(x->t, nid, u, &label);

	*ti = -1;
	if (rc == OUTPOST_ENOTFOUND)
		return OUTPOST_OK;
	if (rc != OUTPOST_OK)
		return op_api_sync_import_fail(x, rc, "node nid %u: its "
					       "record in the graph store is "
					       "unreadable", nid);
	op_uuid_format(uuid, u);
	*ti = label < OP_ADJ_MAX_TYPES ? x->label_table[label] : -1;
	return OUTPOST_OK;
}

/* Sub `sub` as a node: *c, and *block set (NULL when it is skipped). */
static int node_change(struct xp *x, uint32_t sub, struct op_change *c,
		       char **block)
{
	char uuid[OP_UUID_TEXT];
	const char *json = NULL;
	int32_t ti = -1;
	int rc = node_of(x, x->nid_from + sub, uuid, &ti);

	*block = NULL;
	if (rc != OUTPOST_OK || ti < 0 || !pushed(x->s->tables[ti].policy))
		return rc;
	rc = row_json(x, (size_t)ti, uuid, &json);
	if (rc != OUTPOST_OK || !json) /* no row: it was deleted */
		return rc;
	return make(x, sub, x->s->tables[ti].name, uuid, json, c, block);
}

/* *alive: the node with nid still exists (record and row); *uuid its
 * uuid. */
static int end_alive(struct xp *x, uint32_t nid, char uuid[OP_UUID_TEXT],
		     int *alive)
{
	const char *json = NULL;
	int32_t ti = -1;
	int rc = node_of(x, nid, uuid, &ti);

	if (rc == OUTPOST_OK && ti >= 0)
		rc = row_json(x, (size_t)ti, uuid, &json);
	*alive = json != NULL;
	return rc;
}

/* Sub `sub` as an edge: *c, and *block set (NULL when it is skipped). */
static int edge_change(struct xp *x, uint32_t sub, struct op_change *c,
		       char **block)
{
	uint32_t eid = x->eid_from + (sub - x->nnodes);
	char uuid[OP_UUID_TEXT], from[OP_UUID_TEXT], to[OP_UUID_TEXT];
	char *json = NULL;
	const struct op_reltype *r;
	struct op_adj_edge ed;
	int32_t ri;
	int rc = op_adj_edge_get(x->t, eid, &ed), a = 0, b = 0;

	*block = NULL;
	if (rc == OUTPOST_ENOTFOUND) /* deleted */
		return OUTPOST_OK;
	if (rc != OUTPOST_OK)
		return op_api_sync_import_fail(x, rc, "edge eid %u (sub %u): "
					       "its record in the graph store "
					       "is unreadable", eid, sub);
	ri = ed.type < OP_ADJ_MAX_TYPES ? x->type_rel[ed.type] : -1;
	if (ri < 0 || !pushed(x->s->rels[ri].policy))
		return OUTPOST_OK;
	r = &x->s->rels[ri];
	op_uuid_format(uuid, ed.uuid);
	/* An end's delete took the edge with it (its delete entry comes
	 * later; devices and central cascade, no edge entry is logged). */
	rc = end_alive(x, ed.from, from, &a);
	if (rc == OUTPOST_OK && a)
		rc = end_alive(x, ed.to, to, &b);
	if (rc != OUTPOST_OK || !a || !b)
		return rc;
	rc = op_api_sync_import_edge_json(x, r, &ed, eid, from, to, uuid,
					  &json);
	if (rc == OUTPOST_OK)
		rc = make(x, sub, r->name, uuid, json, c, block);
	op_free(json);
	return rc;
}

static int append(struct xp *x, struct op_import_part *p,
		  const struct op_change *c, char *block, size_t max_rows)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		struct op_change *nc;
		char **no = NULL;

		cap = cap < max_rows ? cap : max_rows;
		nc = op_realloc(p->changes, cap * sizeof(*nc));
		if (nc) {
			p->changes = nc;
			no = op_realloc(p->owned, cap * sizeof(*no));
		}
		if (no)
			p->owned = no;
		if (!nc || !no) {
			op_free(block);
			return op_api_sync_import_fail(x, OUTPOST_ENOMEM,
						       "out of memory");
		}
		p->cap = cap;
	}
	p->changes[p->n] = *c;
	p->owned[p->n++] = block;
	return OUTPOST_OK;
}

/* Subs from `from` on, within the limits, into out. */
static int expand(struct xp *x, uint32_t from, size_t max_rows,
		  size_t max_bytes, struct op_import_part *out)
{
	size_t bytes = 0, len;
	uint32_t sub;
	int rc = OUTPOST_OK;

	for (sub = from; rc == OUTPOST_OK && sub < x->total &&
			 out->n < max_rows;
	     sub++) {
		struct op_change c;
		char *block = NULL;

		memset(&c, 0, sizeof(c));
		rc = sub < x->nnodes ? node_change(x, sub, &c, &block)
				     : edge_change(x, sub, &c, &block);
		if (rc != OUTPOST_OK)
			return rc;
		if (!block) {
			out->skipped++;
			continue;
		}
		len = strlen(c.values);
		if (max_bytes && out->n > 0 &&
		    op_size_add(bytes, len) > max_bytes) {
			op_free(block); /* the next call starts with it */
			break;
		}
		bytes = op_size_add(bytes, len);
		rc = append(x, out, &c, block, max_rows);
	}
	out->next = sub;
	out->done = sub >= x->total;
	return rc;
}

int op_api_sync_import_part(outpost *db, const struct op_change *e,
			    uint32_t from, size_t max_rows, size_t max_bytes,
			    struct op_import_part *out)
{
	struct xp x;
	int rc;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!db || !e || !out || max_rows == 0)
		return db ? op_err_set(&db->err, OUTPOST_EMISUSE, "expanding "
				       "an import: no entry, no room for the "
				       "result, or max_rows 0")
			  : OUTPOST_EMISUSE;
	if (!e->table || strcmp(e->table, IMPORT_TABLE) != 0 || e->op != 'I' ||
	    !e->values || !e->row_id)
		return op_err_set(&db->err, OUTPOST_EMISUSE, "entry %lld is "
				  "not a bulk import (" IMPORT_TABLE " I with "
				  "values)", (long long)e->seq);
	memset(&x, 0, sizeof(x));
	x.db = db;
	x.e = e;
	op_show(x.id, sizeof(x.id), e->row_id);
	rc = parse_entry(&x);
	if (rc == OUTPOST_OK && from >= x.total) {
		out->next = from;
		out->done = 1;
		return OUTPOST_OK;
	}
	if (rc == OUTPOST_OK)
		rc = open_snapshot(&x);
	if (rc == OUTPOST_OK)
		rc = expand(&x, from, max_rows, max_bytes, out);
	close_snapshot(&x);
	if (rc != OUTPOST_OK)
		op_api_sync_import_part_free(out);
	return rc;
}

void op_api_sync_import_part_free(struct op_import_part *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++)
		op_free(p->owned[i]);
	op_free(p->owned);
	op_free(p->changes);
	memset(p, 0, sizeof(*p));
}
