/* api_graph_edges.c - outpost_graph_edges_each(): every edge record in
 * one LMDB snapshot, with its type's name, its ends' uuids, properties
 * and validity as text. */
#include <string.h>

#include "api_graph_int.h"

struct each {
	outpost *db;
	struct op_adj_txn *t;
	const struct op_schema *s;
	const char **type_names; /* by type id */
	int want;		 /* type id wanted, or -1 for any */
	outpost_edge_fn fn;
	void *ctx;
};

static int visit(void *ctx, uint32_t eid, const struct op_adj_edge *e)
{
	struct each *x = ctx;
	outpost_edge_info info;
	char uuid[OP_UUID_TEXT], from[OP_UUID_TEXT], to[OP_UUID_TEXT];
	char vf[OP_TIME_TEXT], vt[OP_TIME_TEXT], *props = NULL;
	const char *p = NULL;
	uint8_t u[16];
	size_t n = 0;
	int rc;

	if (x->want >= 0 && e->type != x->want)
		return 0;
	memset(&info, 0, sizeof(info));
	op_uuid_format(uuid, e->uuid);
	info.uuid = uuid;
	info.type = x->type_names[e->type] ? x->type_names[e->type] : "?";
	if (op_adj_node_uuid(x->t, e->from, u, NULL) != OUTPOST_OK)
		return OUTPOST_ECORRUPT;
	op_uuid_format(from, u);
	if (op_adj_node_uuid(x->t, e->to, u, NULL) != OUTPOST_OK)
		return OUTPOST_ECORRUPT;
	op_uuid_format(to, u);
	info.from = from;
	info.to = to;
	if (e->valid_from != INT64_MIN) {
		op_time_format(vf, e->valid_from);
		info.valid_from = vf;
	}
	if (e->valid_to != INT64_MAX) {
		op_time_format(vt, e->valid_to);
		info.valid_to = vt;
	}
	if (op_adj_edge_props(x->t, eid, &p, &n) == OUTPOST_OK && p &&
	    !(props = op_strndup(p, n)))
		return OUTPOST_ENOMEM;
	info.properties = props;
	rc = x->fn(x->ctx, &info);
	op_free(props);
	return rc != 0;
}

int outpost_graph_edges_each(outpost *db, const char *type,
			     outpost_edge_fn fn, void *ctx)
{
	struct op_schema *s = NULL;
	struct each x;
	size_t i;
	int rc;

	if (!db || !fn)
		return OUTPOST_EMISUSE;
	memset(&x, 0, sizeof(x));
	x.db = db;
	x.fn = fn;
	x.ctx = ctx;
	x.want = -1;
	rc = op_api_graph_catch_up(db);
	if (rc == OUTPOST_OK)
		rc = op_api_schema_current(db, &s);
	if (rc == OUTPOST_OK && type && (!s || !op_schema_reltype(s, type)))
		rc = op_err_set(&db->err, OUTPOST_ENOTFOUND, "unknown "
				"relationship type \"%.64s\" (not in the "
				"schema)", type);
	if (rc == OUTPOST_OK &&
	    !(x.type_names = op_calloc(OP_ADJ_MAX_TYPES, sizeof(char *))))
		rc = op_err_set(&db->err, OUTPOST_ENOMEM, "out of memory");
	if (rc == OUTPOST_OK)
		rc = op_adj_begin(&x.t, db->adj, 0, &db->err);
	for (i = 0; rc == OUTPOST_OK && s && i < s->nrels; i++) {
		uint16_t id;

		if (op_adj_name_id(x.t, "type", s->rels[i].name, 0, &id,
				   NULL) != OUTPOST_OK)
			continue;
		x.type_names[id] = s->rels[i].name;
		if (type && strcmp(type, s->rels[i].name) == 0)
			x.want = id;
	}
	if (rc == OUTPOST_OK && (!type || x.want >= 0))
		rc = op_adj_edges_each(x.t, visit, &x, &db->err);
	if (rc == OUTPOST_ECORRUPT)
		op_err_set(&db->err, rc, "graph store: an edge names a node "
			   "that is not there (run outpost graph verify)");
	else if (rc == OUTPOST_ENOMEM)
		op_err_set(&db->err, rc, "out of memory");
	op_adj_abort(x.t);
	op_free(x.type_names);
	op_schema_free(s);
	return rc;
}
