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
	e.valid_from = INT64_MIN;
	e.valid_to = INT64_MAX;
	rc = op_api_import_name(m, 1, (size_t)(rt - m->s->rels), &e.type);
	if (rc == OUTPOST_OK)
		rc = op_api_import_end_from(m, r, sc, rt, &e);
	if (rc == OUTPOST_OK)
		rc = op_api_import_edge_props(m, r, rt, &e, &props);
	if (rc == OUTPOST_OK && (rc = push_edge(m, &e, props)) != OUTPOST_OK)
		op_free(props);
	/* The end node last: it may be settled a few rows later. */
	if (rc == OUTPOST_OK)
		rc = op_api_import_end_to(m, r, ec, rt, m->nedges - 1);
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
	/* Rows before the one that failed (or all, at the end) are
	 * finished; an earlier row's error is the one reported. */
	if (rc == OUTPOST_OK) {
		rc = op_api_import_ends_flush(m);
	} else {
		struct op_err keep = m->db->err;
		int first = op_api_import_ends_flush(m);

		if (first != OUTPOST_OK)
			rc = first;
		else
			m->db->err = keep;
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
