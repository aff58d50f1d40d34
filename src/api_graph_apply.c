/* api_graph_apply.c - the graph applier (DESIGN sections 1 and 2): LMDB
 * follows the change log. Every node row and edge change is a log entry
 * first; the applier puts entries after applied_seq into an LMDB write
 * txn that commits applied_seq with them. Applying is idempotent, so a
 * crash anywhere is repaired by applying again from applied_seq: on
 * open, before a traversal, after an SQL script that wrote node rows. */
#include <stdio.h>
#include <string.h>

#include "api_graph_int.h"
#include "api_import_int.h"

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

/* An edge entry of the log: its clock is (hlc, site), and site NULL is
 * this store's own (schema_trigger.c). */
static int apply_edge(outpost *db, struct op_adj_txn *t,
		      const struct op_reltype *r, struct op_stmt *st, char op,
		      const char *row_id)
{
	const uint8_t *site = db->site;
	outpost_value v;

	op_rel_col(st, 6, &v);
	if (v.type == OUTPOST_BLOB && v.n == 16)
		site = (const uint8_t *)v.s;
	else if (v.type != OUTPOST_NULL)
		return op_err_set(&db->err, OUTPOST_ECORRUPT, "change-log "
				  "entry %lld has a malformed site id",
				  (long long)op_rel_col_int(st, 0));
	return op_api_graph_apply_edge(db, t, r, op, row_id,
				       op_rel_col_text(st, 5),
				       (uint64_t)op_rel_col_int(st, 1), site,
				       NULL, NULL);
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
				    "row_id, vals, site FROM _outpost_changes "
				    "WHERE seq > ?1 ORDER BY seq", NULL,
				    &db->err);
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
			rc = apply_edge(db, t, r, st, op[0], row_id);
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
