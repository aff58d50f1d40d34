/* api_import_ends.c - the two ends of each relationship row.
 *
 * The start node mostly repeats from row to row (files grouped by start
 * node, as exports write them): the last one resolved is remembered. The
 * end node is anywhere in the map of millions of nodes, a memory miss per
 * row; so its slot is prefetched and the row finished IMP_AHEAD rows
 * later, and the misses of many rows overlap instead of stalling one by
 * one. Errors still come in file order: before a row reports its own
 * error, the rows waiting before it are finished (op_api_import_ends_flush)
 * and the first of theirs wins. */
#include <string.h>

#include "api_import_int.h"

/* Where an end was named, for messages and for the slow lookups. */
struct end_name {
	const char *path;
	size_t line;
	const char *header;
	const char *space; /* neo4j id space, or NULL */
	const char *id;
};

static int want_label(struct imp *m, const char *label, uint16_t *want)
{
	const struct op_table *wt = op_schema_table(m->s, label);

	if (!wt || op_api_import_name(m, 0, (size_t)(wt - m->s->tables),
				      want) != OUTPOST_OK)
		return op_err_set(&m->db->err, OUTPOST_ESCHEMA, "label %s of "
				  "the type is not in the schema", label);
	return OUTPOST_OK;
}

/* One end, checked against the label the type wants. The node is this
 * import's, or already in the store. */
static int resolve(struct imp *m, const struct end_name *n,
		   const char *label, struct imp_end *end)
{
	uint16_t want = 0;
	int found, rc = want_label(m, label, &want);

	if (rc != OUTPOST_OK)
		return rc;
	found = op_api_import_lookup(m, n->space, n->id, end);
	if (!found)
		found = op_api_import_existing(m, label, n->id, &end->nid) ==
				OUTPOST_OK &&
			op_adj_node_uuid(m->txn, end->nid, end->uuid,
					 &end->label) == OUTPOST_OK;
	if (found && end->label == want)
		return OUTPOST_OK;
	if (found || op_api_import_other_label(m, label, n->id))
		return op_err_set(&m->db->err, OUTPOST_ESCHEMA, "%s:%zu: %s "
				  "\"%.80s\" is not a %s node, as the type "
				  "requires", n->path, n->line, n->header,
				  n->id, label);
	return op_err_set(&m->db->err, OUTPOST_ENOTFOUND, "%s:%zu: %s "
			  "\"%.80s\": no such node (not in the node files "
			  "nor in the store)", n->path, n->line, n->header,
			  n->id);
}

static void name_of(struct end_name *n, struct op_graph_csv *r, size_t col)
{
	const struct op_graph_csv_col *c = op_graph_csv_col(r, col);

	n->path = op_graph_csv_path(r);
	n->line = op_graph_csv_line(r);
	n->header = c->header;
	n->space = c->id_space;
	n->id = op_graph_csv_field(r, col);
}

/* resolve, unless the column named the same node for the same label on
 * the row before. */
static int resolve_cached(struct imp *m, struct op_graph_csv *r, size_t col,
			  int which, const char *label, struct imp_end *out)
{
	struct imp_end_cache *last = &m->last_end[which];
	struct end_name n;
	size_t len;
	int rc = OUTPOST_OK;

	name_of(&n, r, col);
	len = strlen(n.id);
	if (len == 0 || len >= IMP_END_ID || last->want_label != label ||
	    strcmp(last->id, n.id) != 0) {
		last->id[0] = '\0';
		rc = resolve(m, &n, label, &last->end);
		if (rc == OUTPOST_OK && len < IMP_END_ID) {
			memcpy(last->id, n.id, len + 1);
			last->want_label = label;
		}
	}
	if (rc == OUTPOST_OK)
		*out = last->end;
	return rc;
}

/* Deterministic: the same files give the same edge ids on every store
 * (repeats of one (type, from, to) are told apart by the bulk load). */
static void edge_uuid(struct op_adj_edge *e, const uint8_t to[16],
		      const char *type)
{
	uint8_t key[32 + 64];
	size_t tl = strnlen(type, 64);

	memcpy(key, e->uuid, 16); /* the start node's, until now */
	memcpy(key + 16, to, 16);
	memcpy(key + 32, type, tl);
	op_uuid_v8_fast(e->uuid, key, 32 + tl);
}

int op_api_import_end_from(struct imp *m, struct op_graph_csv *r, size_t col,
			   const struct op_reltype *rt, struct op_adj_edge *e)
{
	struct imp_end end;
	int rc = resolve_cached(m, r, col, 0, rt->from, &end);

	if (rc == OUTPOST_OK) {
		e->from = end.nid;
		memcpy(e->uuid, end.uuid, 16);
	}
	return rc;
}

/* Finish the oldest waiting row. */
static int settle_oldest(struct imp *m)
{
	struct imp_ahead *a = &m->ahead;
	struct imp_pending *p = &a->row[a->head];
	struct op_adj_edge *e = &m->edges[p->edge];
	struct imp_end end;
	uint16_t want = 0;
	int rc = want_label(m, p->rt->to, &want);

	a->head = (a->head + 1) % IMP_AHEAD;
	a->n--;
	if (rc != OUTPOST_OK)
		return rc;
	if (!op_api_import_find(m, p->uuid, p->home, &end) ||
	    end.label != want) {
		/* Not this import's, or the wrong label: the slow path
		 * finds it in the store or says what is wrong. */
		struct end_name n = {a->path, p->line, a->header, a->space,
				     p->id};

		rc = resolve(m, &n, p->rt->to, &end);
		if (rc != OUTPOST_OK)
			return rc;
	}
	e->to = end.nid;
	edge_uuid(e, end.uuid, p->rt->name);
	return OUTPOST_OK;
}

int op_api_import_ends_flush(struct imp *m)
{
	int rc = OUTPOST_OK, one;

	/* Every waiting row is finished even after a failure (the reader
	 * is about to go); the first failure is the one reported. */
	while (m->ahead.n) {
		struct op_err keep = m->db->err;

		one = settle_oldest(m);
		if (rc == OUTPOST_OK)
			rc = one;
		else
			m->db->err = keep;
	}
	return rc;
}

int op_api_import_end_to(struct imp *m, struct op_graph_csv *r, size_t col,
			 const struct op_reltype *rt, size_t edge)
{
	struct imp_ahead *a = &m->ahead;
	struct imp_pending *p;
	struct end_name n;
	size_t len;
	int rc;

	/* A free place first: the next row's uuid is parsed into it. */
	if (a->n == IMP_AHEAD && (rc = settle_oldest(m)) != OUTPOST_OK)
		return rc;
	name_of(&n, r, col);
	len = strlen(n.id);
	if (!m->uuids_map.cap || len >= IMP_END_ID ||
	    op_uuid_parse(a->row[(a->head + a->n) % IMP_AHEAD].uuid, n.id)) {
		/* Not a uuid: the id map, now. */
		struct imp_end end;

		rc = op_api_import_ends_flush(m);
		if (rc == OUTPOST_OK)
			rc = resolve_cached(m, r, col, 1, rt->to, &end);
		if (rc == OUTPOST_OK) {
			m->edges[edge].to = end.nid;
			edge_uuid(&m->edges[edge], end.uuid, rt->name);
		}
		return rc;
	}
	/* The reader's path and header live until the file is closed,
	 * and the file is flushed before that. */
	a->path = n.path;
	a->header = n.header;
	a->space = n.space;
	p = &a->row[(a->head + a->n) % IMP_AHEAD];
	p->edge = edge;
	p->rt = rt;
	p->line = n.line;
	memcpy(p->id, n.id, len + 1);
	p->home = op_api_import_probe(m, p->uuid);
	a->n++;
	return OUTPOST_OK;
}
