/* api_import_edges.c - the relationship files of an import: resolve both
 * ends (this import's ids, or nodes already in the store), check the
 * schema's type and its from/to labels, and collect edge records for the
 * bulk load with deterministic uuids. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_import_int.h"
#include "graph.h"

/* The edge and its properties (NULL for none; the import owns them). The
 * property list is made only once some edge has properties. */
static int push_edge(struct imp *m, const struct op_adj_edge *e, char *props)
{
	if (m->nedges == m->capedges) {
		size_t cap = m->capedges ? m->capedges * 2 : 16384;
		struct op_adj_edge *a = op_realloc(m->edges, cap * sizeof(*a));

		if (!a)
			return OUTPOST_ENOMEM;
		m->edges = a;
		if (m->eprops) {
			char **p = op_realloc(m->eprops, cap * sizeof(*p));

			if (!p)
				return OUTPOST_ENOMEM;
			memset(p + m->capedges, 0,
			       (cap - m->capedges) * sizeof(*p));
			m->eprops = p;
		}
		m->capedges = cap;
	}
	if (props && !m->eprops &&
	    !(m->eprops = op_calloc(m->capedges, sizeof(*m->eprops))))
		return OUTPOST_ENOMEM;
	if (m->eprops)
		m->eprops[m->nedges] = props;
	m->edges[m->nedges++] = *e;
	return OUTPOST_OK;
}

/* One end of an edge, checked against the label the type wants. The
 * node is this import's, or already in the store. */
static int resolve_end(struct imp *m, struct op_graph_csv *r, size_t col,
		       const char *want_label, struct imp_end *end)
{
	const struct op_graph_csv_col *c = op_graph_csv_col(r, col);
	const char *id = op_graph_csv_field(r, col);
	const struct op_table *wt = op_schema_table(m->s, want_label);
	size_t line = op_graph_csv_line(r);
	uint16_t want;
	int found;

	if (!wt || op_api_import_name(m, 0, (size_t)(wt - m->s->tables),
				      &want) != OUTPOST_OK)
		return op_err_set(&m->db->err, OUTPOST_ESCHEMA, "label %s of "
				  "the type is not in the schema", want_label);
	found = op_api_import_lookup(m, c->id_space, id, end);
	if (!found)
		found = op_api_import_existing(m, want_label, id, &end->nid) ==
				OUTPOST_OK &&
			op_adj_node_uuid(m->txn, end->nid, end->uuid,
					 &end->label) == OUTPOST_OK;
	if (found && end->label == want)
		return OUTPOST_OK;
	if (found || op_api_import_other_label(m, want_label, id))
		return op_err_set(&m->db->err, OUTPOST_ESCHEMA, "%s:%zu: %s "
				  "\"%.80s\" is not a %s node, as the type "
				  "requires", op_graph_csv_path(r), line,
				  c->header, id, want_label);
	return op_err_set(&m->db->err, OUTPOST_ENOTFOUND, "%s:%zu: %s "
			  "\"%.80s\": no such node (not in the node files "
			  "nor in the store)", op_graph_csv_path(r), line,
			  c->header, id);
}

/* resolve_end, unless the column named the same node for the same label
 * on the row before. */
static int end_nid(struct imp *m, struct op_graph_csv *r, size_t col,
		   int which, const char *want_label, uint32_t *nid,
		   uint8_t uuid[16])
{
	struct imp_end_cache *last = &m->last_end[which];
	const char *id = op_graph_csv_field(r, col);
	size_t len = strlen(id);
	int rc = OUTPOST_OK;

	if (len == 0 || len >= IMP_END_ID || last->want_label != want_label ||
	    strcmp(last->id, id) != 0) {
		last->id[0] = '\0';
		rc = resolve_end(m, r, col, want_label, &last->end);
		if (rc == OUTPOST_OK && len < IMP_END_ID) {
			memcpy(last->id, id, len + 1);
			last->want_label = want_label;
		}
	}
	if (rc == OUTPOST_OK) {
		*nid = last->end.nid;
		memcpy(uuid, last->end.uuid, 16);
	}
	return rc;
}

static int edge_row(struct imp *m, struct op_graph_csv *r, size_t sc,
		    size_t ec, size_t tc)
{
	const char *tname = tc == SIZE_MAX ? "" : op_graph_csv_field(r, tc);
	const struct op_reltype *rt = op_schema_reltype(m->s, tname);
	struct op_adj_edge e;
	char *props = NULL;
	int rc;

	if (!rt)
		return op_err_set(&m->db->err, OUTPOST_ESCHEMA, "%s:%zu: "
				  "relationship type \"%.80s\" is not in the "
				  "schema", op_graph_csv_path(r),
				  op_graph_csv_line(r), tname);
	memset(&e, 0, sizeof(e));
	rc = op_api_import_name(m, 1, (size_t)(rt - m->s->rels), &e.type);
	if (rc == OUTPOST_OK)
		rc = end_nid(m, r, sc, 0, rt->from, &e.from, e.uuid);
	if (rc == OUTPOST_OK) {
		uint8_t key[32 + 64];
		size_t tl = strlen(rt->name);

		/* Deterministic: the same files give the same edge ids on
		 * every store (repeats are told apart by the bulk load). */
		memcpy(key, e.uuid, 16);
		rc = end_nid(m, r, ec, 1, rt->to, &e.to, key + 16);
		memcpy(key + 32, rt->name, tl < 64 ? tl : 64);
		op_uuid_v8_fast(e.uuid, key, 32 + (tl < 64 ? tl : 64));
	}
	e.valid_from = INT64_MIN;
	e.valid_to = INT64_MAX;
	if (rc == OUTPOST_OK)
		rc = op_api_import_edge_props(m, r, rt, &e, &props);
	if (rc == OUTPOST_OK && (rc = push_edge(m, &e, props)) != OUTPOST_OK)
		op_free(props);
	return rc == OUTPOST_ENOMEM ? op_err_set(&m->db->err, rc,
						 "out of memory")
				    : rc;
}

int op_api_import_edges(struct imp *m, const char *path)
{
	struct op_graph_csv *r = NULL;
	size_t sc, ec, tc;
	int rc = op_graph_csv_open(&r, path, OP_GRAPH_CSV_RELATIONSHIPS,
				   &m->db->err);

	if (rc != OUTPOST_OK)
		return rc;
	sc = op_graph_csv_find(r, OP_GRAPH_CSV_START_ID);
	ec = op_graph_csv_find(r, OP_GRAPH_CSV_END_ID);
	tc = op_graph_csv_find(r, OP_GRAPH_CSV_TYPE);
	if (tc == SIZE_MAX)
		rc = op_err_set(&m->db->err, OUTPOST_ECORRUPT, "%s:1: no "
				":TYPE column; every relationship needs its "
				"type", path);
	while (rc == OUTPOST_OK &&
	       (rc = op_graph_csv_next(r, &m->db->err)) == OP_GRAPH_CSV_ROW) {
		rc = edge_row(m, r, sc, ec, tc);
		op_api_import_progress(m, 0);
	}
	op_graph_csv_close(r);
	return rc;
}

/* A type declared acyclic must stay so: the whole type is checked after
 * the load (the new edges may close a cycle through old ones). */
int op_api_import_check_acyclic(struct imp *m)
{
	size_t i, j, n = 0;
	int rc = OUTPOST_OK;

	for (i = 0; rc == OUTPOST_OK && i < m->s->nrels; i++) {
		uint32_t *cycle = NULL;
		struct op_buf msg = {0};
		char name[OP_IMPORT_NAME];

		if (!m->s->rels[i].acyclic || m->type_ids[i] < 0)
			continue; /* not acyclic, or no edge of it loaded */
		rc = op_graph_find_cycle(m->txn, (uint16_t)m->type_ids[i],
					 &cycle, &n, &m->db->err);
		if (rc != OUTPOST_OK || !cycle)
			continue;
		op_buf_addf(&msg, "%s is acyclic, and the relationships close "
			    "the cycle ", m->s->rels[i].name);
		for (j = 0; j <= n && j <= 12; j++) {
			op_api_import_node_name(m, cycle[j % n], name);
			op_buf_addf(&msg, "%s%s", j ? " -> " : "", name);
		}
		if (n > 12)
			op_buf_addf(&msg, " -> ... (%zu in all)", n);
		rc = op_err_set(&m->db->err, OUTPOST_EREFUSED, "%s",
				op_buf_str(&msg));
		op_buf_free(&msg);
		op_free(cycle);
	}
	return rc;
}
