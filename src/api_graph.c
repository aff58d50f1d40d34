/* api_graph.c - the graph traversals of outpost.h: name resolution (uuid
 * or original import id), type names to type ids, one LMDB read txn per
 * call, and the batch forms used for many start nodes. */
#include <string.h>

#include "api_graph_int.h"
#include "graph.h"

struct gq {
	outpost *db;
	struct op_adj_txn *txn;
	struct op_graph_ctx ctx;
	int ctx_open;
	struct op_schema *schema;
	struct op_graph_query q;
	uint8_t types[OP_ADJ_MAX_TYPES];
	uint8_t validity[OP_ADJ_MAX_TYPES];
};

static int resolve(struct gq *g, const char *name, uint32_t *nid)
{
	return op_api_graph_resolve(g->db, g->txn, g->schema, NULL, name, nid);
}

/* Traverse as of a time: the types declared with validity are read
 * edge by edge against it. */
static int as_of(struct gq *g, const char *ts)
{
	size_t i;

	if (op_time_parse(&g->q.as_of, ts) != 0) {
		char shown[64];

		op_show(shown, sizeof(shown), ts);
		return op_err_set(&g->db->err, OUTPOST_EMISUSE, "as of \"%s\": "
				  "not a timestamp (2026-01-31T12:00:00Z)",
				  shown);
	}
	g->q.use_as_of = 1;
	g->q.validity = g->validity;
	for (i = 0; g->schema && i < g->schema->nrels; i++) {
		uint16_t id;

		if (g->schema->rels[i].validity &&
		    op_adj_name_id(g->txn, "type", g->schema->rels[i].name, 0,
				   &id, NULL) == OUTPOST_OK) {
			g->validity[id] = 1;
			if (id + 1u > g->q.nvalidity)
				g->q.nvalidity = id + 1u;
		}
	}
	return OUTPOST_OK;
}

static int start(struct gq *g, outpost *db, const outpost_traversal *tr)
{
	int rc, i;

	memset(g, 0, sizeof(*g));
	g->db = db;
	if (!tr || tr->version < 1 || tr->version > OUTPOST_TRAVERSAL_VERSION ||
	    tr->direction < OUTPOST_OUT || tr->direction > OUTPOST_BOTH ||
	    tr->min_depth < 0 || tr->max_depth < 0 || tr->ntypes < 0 ||
	    (tr->ntypes > 0 && !tr->types))
		return op_err_set(&db->err, OUTPOST_EMISUSE, "bad traversal "
				  "options");
	rc = op_api_graph_catch_up(db);
	if (rc == OUTPOST_OK)
		rc = op_api_schema_current(db, &g->schema);
	if (rc != OUTPOST_OK)
		return rc;
	rc = op_adj_begin(&g->txn, db->adj, 0, &db->err);
	if (rc != OUTPOST_OK)
		return rc;
	g->q.dirs = tr->direction;
	g->q.min_depth = tr->min_depth;
	g->q.max_depth = tr->max_depth;
	g->q.limit = tr->limit > 0 ? (uint64_t)tr->limit : 0;
	if (tr->version >= 2 && tr->as_of && (rc = as_of(g, tr->as_of)) != 0)
		return rc;
	if (tr->ntypes == 0)
		return OUTPOST_OK;
	g->q.types = g->types; /* ntypes: one past the largest id used */
	for (i = 0; i < tr->ntypes; i++) {
		uint16_t id;

		if (!g->schema || !op_schema_reltype(g->schema, tr->types[i]))
			return op_err_set(&db->err, OUTPOST_ENOTFOUND,
					  "unknown relationship type \"%s\" "
					  "(not in the schema)",
					  tr->types[i]);
		rc = op_adj_name_id(g->txn, "type", tr->types[i], 0, &id,
				    &db->err);
		if (rc == OUTPOST_OK) {
			g->types[id] = 1;
			if (id + 1u > g->q.ntypes)
				g->q.ntypes = id + 1u;
		}
		else if (rc != OUTPOST_ENOTFOUND) /* no edge of it yet */
			return rc;
	}
	return OUTPOST_OK;
}

/* The traversal context, opened once per call (after the types). */
static int ready(struct gq *g)
{
	int rc;

	if (g->ctx_open)
		return OUTPOST_OK;
	rc = op_graph_ctx_open(&g->ctx, g->txn, &g->q, &g->db->err);
	g->ctx_open = rc == OUTPOST_OK;
	return rc;
}

static void finish(struct gq *g)
{
	if (g->ctx_open)
		op_graph_ctx_close(&g->ctx);
	op_adj_abort(g->txn);
	op_schema_free(g->schema);
}

struct emit {
	struct gq *g;
	outpost_node_fn fn;
	void *ctx;
	int failed;
};

static int emit_node(void *ctx, uint32_t nid, int depth)
{
	struct emit *e = ctx;
	uint8_t u[16];
	char text[OP_UUID_TEXT];

	if (op_adj_node_uuid(e->g->txn, nid, u, NULL) != OUTPOST_OK) {
		e->failed = 1;
		return 1;
	}
	op_uuid_format(text, u);
	return e->fn(e->ctx, text, depth);
}

int outpost_graph_neighbours(outpost *db, const outpost_traversal *tr,
			     const char *start_node, outpost_node_fn fn,
			     void *ctx, long long *count)
{
	struct gq g;
	struct emit e;
	uint64_t n = 0;
	uint32_t nid;
	int rc;

	if (!db || !start_node)
		return OUTPOST_EMISUSE;
	rc = start(&g, db, tr);
	if (rc == OUTPOST_OK)
		rc = resolve(&g, start_node, &nid);
	e.g = &g;
	e.fn = fn;
	e.ctx = ctx;
	e.failed = 0;
	if (rc == OUTPOST_OK)
		rc = ready(&g);
	if (rc == OUTPOST_OK)
		rc = op_graph_bfs(&g.ctx, &g.q, nid, fn ? emit_node : NULL, &e,
				  &n, &db->err);
	if (rc == OUTPOST_OK && e.failed)
		rc = op_err_set(&db->err, OUTPOST_ECORRUPT, "graph store: a "
				"node id without its uuid");
	finish(&g);
	if (count)
		*count = rc == OUTPOST_OK ? (long long)n : 0;
	return rc;
}

int outpost_graph_count_many(outpost *db, const outpost_traversal *tr,
			     const char *const *starts, size_t n,
			     long long *counts)
{
	struct gq g;
	size_t i;
	int rc;

	if (!db || (n && (!starts || !counts)))
		return OUTPOST_EMISUSE;
	rc = start(&g, db, tr);
	if (rc == OUTPOST_OK)
		rc = ready(&g);
	for (i = 0; rc == OUTPOST_OK && i < n; i++) {
		uint32_t nid;
		uint64_t c = 0;

		counts[i] = -1;
		if (!starts[i] || resolve(&g, starts[i], &nid) != OUTPOST_OK)
			continue;
		rc = op_graph_bfs(&g.ctx, &g.q, nid, NULL, NULL, &c, &db->err);
		counts[i] = (long long)c;
	}
	finish(&g);
	return rc;
}

int outpost_graph_path(outpost *db, const outpost_traversal *tr,
		       const char *a, const char *b, outpost_node_fn fn,
		       void *ctx, long long *length)
{
	struct gq g;
	uint32_t na, nb, *path = NULL;
	size_t npath = 0, i;
	int64_t len = -1;
	int rc;

	if (!db || !a || !b)
		return OUTPOST_EMISUSE;
	rc = start(&g, db, tr);
	if (rc == OUTPOST_OK)
		rc = resolve(&g, a, &na);
	if (rc == OUTPOST_OK)
		rc = resolve(&g, b, &nb);
	if (rc == OUTPOST_OK)
		rc = ready(&g);
	if (rc == OUTPOST_OK)
		rc = op_graph_shortest(&g.ctx, &g.q, na, nb, &len,
				       fn ? &path : NULL, &npath, &db->err);
	for (i = 0; rc == OUTPOST_OK && fn && i < npath; i++) {
		struct emit e = {&g, fn, ctx, 0};

		if (emit_node(&e, path[i], (int)i) || e.failed)
			break;
	}
	op_free(path);
	finish(&g);
	if (length)
		*length = len;
	return rc;
}

int outpost_graph_path_many(outpost *db, const outpost_traversal *tr,
			    const char *const *a, const char *const *b,
			    size_t n, long long *lengths)
{
	struct gq g;
	size_t i;
	int rc;

	if (!db || (n && (!a || !b || !lengths)))
		return OUTPOST_EMISUSE;
	rc = start(&g, db, tr);
	if (rc == OUTPOST_OK)
		rc = ready(&g);
	for (i = 0; rc == OUTPOST_OK && i < n; i++) {
		uint32_t na, nb;
		int64_t len = -1;

		lengths[i] = -1;
		if (!a[i] || !b[i] || resolve(&g, a[i], &na) != OUTPOST_OK ||
		    resolve(&g, b[i], &nb) != OUTPOST_OK)
			continue;
		rc = op_graph_shortest(&g.ctx, &g.q, na, nb, &len, NULL, NULL,
				       &db->err);
		lengths[i] = len;
	}
	finish(&g);
	return rc;
}
