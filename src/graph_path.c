/* graph_path.c - unweighted shortest path by bidirectional BFS: expand
 * whole levels from the smaller side until the two searches meet, so a
 * path of length d visits about 2*b^(d/2) nodes instead of b^d. */
#include <string.h>

#include "graph_int.h"

struct side {
	struct op_graph_set *seen; /* nid -> parent nid (self for root) */
	struct op_graph_set *dist; /* nid -> depth */
	struct op_graph_list *cur;
	struct op_graph_list *next;
	struct op_adj_scan *scan;
	int depth;
};

/* A side borrows two sets and two lists of the context. */
static int side_start(struct side *s, struct op_graph_ctx *c, int first,
		      struct op_adj_scan *scan, uint32_t root)
{
	s->seen = &c->set[first];
	s->dist = &c->set[first + 1];
	s->cur = &c->list[first];
	s->next = &c->list[first + 1];
	s->scan = scan;
	s->depth = 0;
	op_graph_set_reset(s->seen);
	op_graph_set_reset(s->dist);
	s->cur->n = 0;
	s->next->n = 0;
	if (op_graph_set_add(s->seen, root, root) < 0 ||
	    op_graph_set_add(s->dist, root, 0) < 0 ||
	    op_graph_list_push(s->cur, root) != OUTPOST_OK)
		return OUTPOST_ENOMEM;
	return OUTPOST_OK;
}

struct meet {
	int64_t best; /* shortest length found, -1 none */
	uint32_t at;  /* the node where the sides meet on it */
};

/* Expand one whole level of s; record meetings with other. */
static int level(struct side *s, const struct side *other, struct meet *m)
{
	struct op_adj_scan *sc = s->scan;
	size_t i;
	int rc = OUTPOST_OK;

	s->next->n = 0;
	s->depth++;
	op_graph_list_sort(s->cur, sc);
	for (i = 0; rc == OUTPOST_OK && i < s->cur->n; i++) {
		uint32_t u = s->cur->v[i];
		int got = op_adj_scan_first(sc, u);

		for (; got == 1; got = op_adj_scan_next(sc)) {
			size_t j;

			for (j = 0; j < sc->n; j++) {
				uint32_t v = op_adj_scan_nbr(sc, j), od;
				int added;

				if (sc->use_as_of && !op_adj_scan_keep(sc, j))
					continue;
				added = op_graph_set_add(s->seen, v, u);
				if (added < 0)
					return OUTPOST_ENOMEM;
				if (!added)
					continue;
				if (op_graph_set_add(s->dist, v,
						     (uint32_t)s->depth) < 0 ||
				    op_graph_list_push(s->next, v))
					return OUTPOST_ENOMEM;
				if (op_graph_set_get(other->dist, v, &od) &&
				    (m->best < 0 ||
				     s->depth + (int64_t)od < m->best)) {
					m->best = s->depth + (int64_t)od;
					m->at = v;
				}
			}
		}
		if (got < 0)
			rc = OUTPOST_ECORRUPT;
	}
	{
		struct op_graph_list *swap = s->cur;

		s->cur = s->next;
		s->next = swap;
	}
	return rc;
}

/* a ... at ... b from the two parent maps. */
static int build_path(const struct side *f, const struct side *b,
		      uint32_t at, int64_t len, uint32_t **path,
		      size_t *npath)
{
	uint32_t *p = op_malloc(((size_t)len + 1) * sizeof(*p)), x, parent;
	size_t i, k = 0;

	if (!p)
		return OUTPOST_ENOMEM;
	for (x = at;; x = parent) { /* at back to a */
		p[k++] = x;
		if (!op_graph_set_get(f->seen, x, &parent) || parent == x)
			break;
	}
	for (i = 0; i < k / 2; i++) { /* now a .. at */
		uint32_t tmp = p[i];

		p[i] = p[k - 1 - i];
		p[k - 1 - i] = tmp;
	}
	for (x = at; op_graph_set_get(b->seen, x, &parent) && parent != x;
	     x = parent)
		p[k++] = parent; /* at .. b */
	*path = p;
	*npath = k;
	return OUTPOST_OK;
}

int op_graph_shortest(struct op_graph_ctx *c, const struct op_graph_query *q,
		      uint32_t a, uint32_t b, int64_t *length,
		      uint32_t **path, size_t *npath, struct op_err *err)
{
	struct side f, r;
	struct meet m = {-1, a};
	int rc;

	*length = -1;
	if (path) {
		*path = NULL;
		*npath = 0;
	}
	rc = side_start(&f, c, 0, &c->fwd, a);
	if (rc == OUTPOST_OK)
		rc = side_start(&r, c, 2, &c->rev, b);
	if (a == b)
		m.best = 0;
	/* Until they meet: a level of the smaller frontier. A meeting found
	 * during a level is final once that level is complete, because
	 * every node of the other side is at most its depth away. */
	while (rc == OUTPOST_OK && m.best < 0 && f.cur->n && r.cur->n &&
	       (q->max_depth == 0 || f.depth + r.depth < q->max_depth)) {
		if (f.cur->n <= r.cur->n)
			rc = level(&f, &r, &m);
		else
			rc = level(&r, &f, &m);
	}
	if (rc == OUTPOST_OK && m.best >= 0) {
		*length = m.best;
		if (path)
			rc = build_path(&f, &r, m.at, m.best, path, npath);
	}
	if (rc == OUTPOST_ENOMEM)
		return op_err_set(err, rc, "out of memory during a traversal");
	if (rc != OUTPOST_OK)
		return op_err_set(err, rc, "graph store: damaged adjacency");
	return OUTPOST_OK;
}
