/* api_graph_apply.c - the graph applier (DESIGN sections 1 and 2): LMDB
 * follows the change log. Every node row and edge change is a log entry
 * first; the applier puts entries after applied_seq into an LMDB write
 * txn that commits applied_seq with them. Applying is idempotent, so a
 * crash anywhere is repaired by applying again from applied_seq: on
 * open, before a traversal, after an SQL script that wrote node rows. */
#include <stdio.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "api_graph_int.h"
#include "api_import_int.h"

static int bad_entry(outpost *db, const char *row_id, const char *why)
{
	char shown[64];

	op_show(shown, sizeof(shown), row_id);
	return op_err_set(&db->err, OUTPOST_ECORRUPT, "change log: edge "
			  "\"%s\": %s", shown, why);
}

/* A timestamp field: absent leaves *ms, null is unbounded (dflt). */
static int time_field(const cJSON *o, const char *name, int64_t dflt,
		      int64_t *ms)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!v)
		return 0;
	if (cJSON_IsNull(v)) {
		*ms = dflt;
		return 0;
	}
	return cJSON_IsString(v) ? op_time_parse(ms, v->valuestring) : -1;
}

static int end_nid(struct op_adj_txn *t, const cJSON *o, const char *name,
		   uint32_t *nid)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	uint8_t u[16];

	if (!cJSON_IsString(v) || op_uuid_parse(u, v->valuestring) != 0)
		return -1;
	return op_adj_node_nid(t, u, nid) == OUTPOST_OK ? 0 : 1;
}

/* props (an object) merged into the edge's stored properties: keys
 * replace, nulls remove. *out is a new JSON text or NULL for none. */
static int merge_props(struct op_adj_txn *t, uint32_t eid, int have_old,
		       const cJSON *props, char **out)
{
	const char *old = NULL;
	size_t n = 0;
	cJSON *m = NULL;
	const cJSON *p;

	*out = NULL;
	if (have_old && op_adj_edge_props(t, eid, &old, &n) == OUTPOST_OK &&
	    old)
		m = cJSON_ParseWithLength(old, n);
	if (!m && !(m = cJSON_CreateObject()))
		return OUTPOST_ENOMEM;
	cJSON_ArrayForEach(p, props)
	{
		cJSON *copy;

		cJSON_DeleteItemFromObjectCaseSensitive(m, p->string);
		if (cJSON_IsNull(p))
			continue;
		if (!(copy = cJSON_Duplicate(p, 1)) ||
		    !cJSON_AddItemToObject(m, p->string, copy)) {
			cJSON_Delete(copy);
			cJSON_Delete(m);
			return OUTPOST_ENOMEM;
		}
	}
	if (m->child && !(*out = cJSON_PrintUnformatted(m))) {
		cJSON_Delete(m);
		return OUTPOST_ENOMEM;
	}
	cJSON_Delete(m);
	return OUTPOST_OK;
}

int op_api_graph_apply_edge(outpost *db, struct op_adj_txn *t,
			    const struct op_reltype *r, char op,
			    const char *row_id, const char *vals,
			    uint64_t hlc)
{
	struct op_adj_edge e;
	uint8_t u[16];
	uint32_t eid = 0;
	cJSON *o = NULL;
	const cJSON *props;
	char *text = NULL;
	int rc, have;

	memset(&e, 0, sizeof(e)); /* padding too: the record goes to disk */
	if (op_uuid_parse(u, row_id) != 0)
		return bad_entry(db, row_id, "not a uuid");
	if (op == 'D')
		return op_adj_edge_del(t, u, &db->err);
	if (!vals || !(o = cJSON_Parse(vals)) || !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return bad_entry(db, row_id, "its values are not a JSON "
				 "object");
	}
	have = op_adj_edge_find(t, u, &eid) == OUTPOST_OK &&
	       op_adj_edge_get(t, eid, &e) == OUTPOST_OK;
	rc = OUTPOST_OK;
	if (op == 'I') {
		int a = end_nid(t, o, "from", &e.from),
		    b = end_nid(t, o, "to", &e.to);

		if (a < 0 || b < 0)
			rc = bad_entry(db, row_id, "\"from\" or \"to\" is not "
				       "a uuid");
		else if (a > 0 || b > 0)
			rc = 1; /* an end was deleted: the edge went with it */
		else
			rc = op_adj_name_id(t, "type", r->name, 1, &e.type,
					    &db->err);
		if (rc == OUTPOST_OK) {
			memcpy(e.uuid, u, 16);
			e.flags = 0;
			e.valid_from = INT64_MIN;
			e.valid_to = INT64_MAX;
		}
		have = 0; /* an insert's properties are the whole set */
	} else if (!have)
		rc = 1; /* an update of an edge deleted since */
	if (rc == OUTPOST_OK &&
	    (time_field(o, "valid_from", INT64_MIN, &e.valid_from) ||
	     time_field(o, "valid_to", INT64_MAX, &e.valid_to)))
		rc = bad_entry(db, row_id, "a validity bound is not a "
			       "timestamp");
	props = cJSON_GetObjectItemCaseSensitive(o, "props");
	if (rc == OUTPOST_OK && props && !cJSON_IsObject(props))
		rc = bad_entry(db, row_id, "\"props\" is not an object");
	/* No "props" in an update: the stored ones, merged with nothing. */
	if (rc == OUTPOST_OK &&
	    merge_props(t, eid, have, props, &text) != OUTPOST_OK)
		rc = OUTPOST_ENOMEM;
	if (rc == OUTPOST_ENOMEM)
		op_err_set(&db->err, rc, "out of memory");
	if (rc == OUTPOST_OK) {
		e.hlc = hlc;
		rc = op_adj_edge_put(t, &e, text, text ? strlen(text) : 0,
				     NULL, &db->err);
	}
	cJSON_free(text);
	cJSON_Delete(o);
	return rc == 1 ? OUTPOST_OK : rc;
}

static int apply_node(outpost *db, struct op_adj_txn *t,
		      const struct op_table *tab, char op, const char *row_id)
{
	uint8_t u[16];
	uint16_t label;
	uint32_t nid;
	int rc;

	if (op_uuid_parse(u, row_id) != 0) {
		char shown[64];

		op_show(shown, sizeof(shown), row_id);
		return op_err_set(&db->err, OUTPOST_ECORRUPT, "change log: "
				  "node \"%s\" of %s: not a uuid", shown,
				  tab->name);
	}
	if (op == 'D')
		return op_adj_node_del(t, u, &db->err);
	rc = op_adj_name_id(t, "label", tab->name, 1, &label, &db->err);
	return rc ? rc : op_adj_node_put(t, u, label, &nid, &db->err);
}

int op_api_graph_apply(outpost *db, struct op_adj_txn *t,
		       const struct op_schema *s, int64_t *last)
{
	struct op_stmt *st = NULL;
	int64_t after = 0;
	int rc = op_adj_applied_seq_txn(t, &after, &db->err);

	*last = after;
	if (rc == OUTPOST_OK)
		rc = op_rel_prepare(&st, db->rel, "SELECT seq, hlc, tbl, op, "
				    "row_id, vals FROM _outpost_changes WHERE "
				    "seq > ?1 ORDER BY seq", NULL, &db->err);
	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_int(st, 1, after);
	while ((rc = op_rel_step(st, &db->err)) == OP_ROW) {
		const char *tbl = op_rel_col_text(st, 2),
			   *op = op_rel_col_text(st, 3),
			   *row_id = op_rel_col_text(st, 4);
		const struct op_table *tab = s ? op_schema_table(s, tbl) : NULL;
		const struct op_reltype *r =
			s && !tab ? op_schema_reltype(s, tbl) : NULL;

		*last = op_rel_col_int(st, 0);
		rc = OUTPOST_OK; /* an entry of a plain table: nothing to do */
		if (!op || !row_id)
			continue;
		if (tab && tab->is_node)
			rc = apply_node(db, t, tab, op[0], row_id);
		else if (r)
			rc = op_api_graph_apply_edge(
				db, t, r, op[0], row_id, op_rel_col_text(st, 5),
				(uint64_t)op_rel_col_int(st, 1));
		if (rc != OUTPOST_OK)
			break;
	}
	op_rel_finalize(st);
	if (rc == OUTPOST_OK && *last > after)
		rc = op_adj_set_applied_seq(t, *last, &db->err);
	return rc;
}

/* Is any node or edge entry after applied_seq? A read, no lock, one
 * query (the names are recorded with the schema, api_schema.c). */
static int pending(outpost *db, int *yes)
{
	struct op_stmt *st = NULL;
	int64_t after = 0, top = 0;
	int rc = op_adj_applied_seq(db->adj, &after, &db->err);

	*yes = 0;
	if (db->graph_checked > after)
		after = db->graph_checked;
	if (rc == OUTPOST_OK)
		rc = op_rel_get_int(db->rel, &top, "SELECT max(seq) FROM "
				    "_outpost_changes", &db->err);
	if (rc != OUTPOST_OK || top <= after)
		return rc;
	rc = op_rel_prepare(&st, db->rel, "SELECT 1 FROM _outpost_changes "
			    "WHERE seq > ?1 AND seq <= ?2 AND tbl IN (SELECT "
			    "value FROM json_each((SELECT value FROM "
			    "_outpost_meta WHERE key = 'graph_tables'))) "
			    "LIMIT 1", NULL, &db->err);
	if (rc == OUTPOST_OK) {
		op_rel_bind_int(st, 1, after);
		op_rel_bind_int(st, 2, top);
		rc = op_rel_step(st, &db->err);
		*yes = rc == OP_ROW;
		rc = rc == OP_ROW ? OUTPOST_OK : rc;
	}
	if (rc == OUTPOST_OK && !*yes)
		db->graph_checked = top;
	op_rel_finalize(st);
	return rc;
}

static int catch_up_once(outpost *db, const struct op_schema *s)
{
	struct op_adj_txn *t = NULL;
	int64_t last;
	int rc = op_rel_begin_write(db->rel, &db->err);

	if (rc == OUTPOST_OK)
		rc = op_adj_begin(&t, db->adj, 1, &db->err);
	if (rc == OUTPOST_OK)
		rc = op_api_import_settle(db, t);
	if (rc == OUTPOST_OK)
		rc = op_api_graph_apply(db, t, s, &last);
	if (rc == OUTPOST_OK) {
		rc = op_adj_commit(t, &db->err);
		t = NULL;
	}
	op_adj_abort(t);
	op_rel_rollback(db->rel); /* only read, under the lock */
	return rc;
}

int op_api_graph_catch_up(outpost *db)
{
	struct op_schema *s = NULL;
	int rc, yes = 0, tries = 0;

	if (db->read_only)
		return OUTPOST_OK;
	rc = pending(db, &yes);
	if (rc == OUTPOST_OK && !yes)
		rc = op_api_import_pending(db, &yes);
	if (rc == OUTPOST_OK && yes)
		rc = op_api_schema_current(db, &s);
	while (rc == OUTPOST_OK && yes &&
	       (rc = catch_up_once(db, s)) == OP_ADJ_EFULL && tries++ < 16)
		rc = op_adj_grow(db->adj, &db->err);
	op_schema_free(s);
	return rc;
}

int op_api_graph_resolve(outpost *db, struct op_adj_txn *t,
			 const struct op_schema *s, const char *label,
			 const char *name, uint32_t *nid)
{
	char shown[96];
	uint8_t u[16];
	size_t i;

	/* A uuid; an import id may look like one, so on a miss go on to
	 * the ids derived from (label, id). */
	op_show(shown, sizeof(shown), name);
	if (op_uuid_parse(u, name) == 0 &&
	    op_adj_node_nid(t, u, nid) == OUTPOST_OK) {
		uint16_t have, want;

		if (!label || op_adj_node_uuid(t, *nid, u, &have) != OUTPOST_OK ||
		    op_adj_name_id(t, "label", label, 0, &want, NULL) !=
			    OUTPOST_OK ||
		    have == want)
			return OUTPOST_OK;
		return op_err_set(&db->err, OUTPOST_EREFUSED, "node \"%s\" is "
				  "not a %s node, as the relationship type "
				  "requires", shown, label);
	}
	for (i = 0; s && i < s->ntables; i++) {
		const char *parts[2];

		if (!s->tables[i].is_node ||
		    (label && strcmp(label, s->tables[i].name) != 0))
			continue;
		parts[0] = s->tables[i].name;
		parts[1] = name;
		op_uuid_v8(u, parts, 2);
		if (op_adj_node_nid(t, u, nid) == OUTPOST_OK)
			return OUTPOST_OK;
	}
	return op_err_set(&db->err, OUTPOST_ENOTFOUND, "no node \"%s\" (name "
			  "a node by its uuid or its import id)", shown);
}
