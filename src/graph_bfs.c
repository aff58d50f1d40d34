/* graph_bfs.c - breadth-first traversals: k-hop neighbourhoods (min/max
 * depth, limit) and full reachability, level by level so a node's depth
 * is its shortest distance. */
#include <stdlib.h>
#include <string.h>

#include "graph_int.h"

int op_graph_list_push(struct op_graph_list *l, uint32_t nid)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		uint32_t *v = op_realloc(l->v, cap * sizeof(*v));

		if (!v)
			return OUTPOST_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = nid;
	return OUTPOST_OK;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

void op_graph_list_sort(struct op_graph_list *l, const struct op_adj_scan *sc)
{
	/* Keys are (nid, type, dir): visiting a level in nid order walks
	 * the adjacency b-tree forwards, and LMDB finds most keys on the
	 * leaf page its cursor is already on instead of descending from the
	 * root for each. The CSR is indexed directly: no order helps it. */
	if (l->n > 64 && !sc->csr_nodes) /* small levels: not worth it */
		qsort(l->v, l->n, sizeof(*l->v), cmp_u32);
}

void op_graph_list_free(struct op_graph_list *l)
{
	op_free(l->v);
	memset(l, 0, sizeof(*l));
}

struct level {
	struct op_graph_set *seen;
	struct op_graph_list *cur;
	struct op_graph_list *next;
	uint64_t count;
	int stop;
};

static int reverse_dirs(int dirs)
{
	return (dirs & OP_ADJ_OUT ? OP_ADJ_IN : 0) |
	       (dirs & OP_ADJ_IN ? OP_ADJ_OUT : 0);
}

int op_graph_ctx_open(struct op_graph_ctx *c, struct op_adj_txn *t,
		      const struct op_graph_query *q, struct op_err *err)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->txn = t;
	rc = op_adj_scan_open(&c->fwd, t, q->types, q->ntypes, q->dirs);
	if (rc == OUTPOST_OK)
		rc = op_adj_scan_open(&c->rev, t, q->types, q->ntypes,
				      reverse_dirs(q->dirs));
	if (rc != OUTPOST_OK) {
		op_graph_ctx_close(c);
		return op_err_set(err, rc, "graph store: cannot open a cursor");
	}
	if (q->use_as_of) {
		op_adj_scan_as_of(&c->fwd, q->as_of, q->validity, q->nvalidity);
		op_adj_scan_as_of(&c->rev, q->as_of, q->validity, q->nvalidity);
	}
	/* The BFS visited set keeps no values, so it may become a bitmap
	 * over the graph's nids once it is large enough to be worth it. */
	if (op_adj_node_count(t, &c->visited.dense_n) != OUTPOST_OK)
		c->visited.dense_n = 0;
	return OUTPOST_OK;
}

void op_graph_ctx_close(struct op_graph_ctx *c)
{
	size_t i;

	op_adj_scan_close(&c->fwd);
	op_adj_scan_close(&c->rev);
	for (i = 0; i < 4; i++) {
		op_graph_set_free(&c->set[i]);
		op_graph_list_free(&c->list[i]);
	}
	op_graph_set_free(&c->visited);
}

/* Visit every neighbour of u; new ones go to the next level. */
static int expand(struct op_adj_scan *sc, struct level *lv,
		  const struct op_graph_query *q, uint32_t u, int depth,
		  op_graph_visit_fn fn, void *ctx)
{
	int rc = op_adj_scan_first(sc, u);

	for (; rc == 1 && !lv->stop; rc = op_adj_scan_next(sc)) {
		size_t i;

		for (i = 0; i < sc->n; i++) {
			uint32_t v = op_adj_scan_nbr(sc, i);
			int added;

			if (sc->use_as_of && !op_adj_scan_keep(sc, i))
				continue;
			added = op_graph_set_add(lv->seen, v, (uint32_t)depth);

			if (added < 0 ||
			    (added && op_graph_list_push(lv->next, v)))
				return OUTPOST_ENOMEM;
			if (!added || depth < q->min_depth)
				continue;
			lv->count++;
			if ((fn && fn(ctx, v, depth)) ||
			    (q->limit && lv->count >= q->limit)) {
				lv->stop = 1;
				break;
			}
		}
	}
	return rc < 0 ? OUTPOST_ECORRUPT : OUTPOST_OK;
}

int op_graph_bfs(struct op_graph_ctx *c, const struct op_graph_query *q,
		 uint32_t start, op_graph_visit_fn fn, void *ctx,
		 uint64_t *count, struct op_err *err)
{
	struct level lv = {&c->visited, &c->list[0], &c->list[1], 0, 0};
	int depth, rc = OUTPOST_OK;

	*count = 0;
	op_graph_set_reset(lv.seen);
	lv.cur->n = 0;
	if (op_graph_set_add(lv.seen, start, 0) < 0 ||
	    op_graph_list_push(lv.cur, start) != OUTPOST_OK)
		rc = OUTPOST_ENOMEM;
	for (depth = 1; rc == OUTPOST_OK && lv.cur->n && !lv.stop &&
			(q->max_depth == 0 || depth <= q->max_depth);
	     depth++) {
		struct op_graph_list *swap;
		size_t i;

		lv.next->n = 0;
		op_graph_list_sort(lv.cur, &c->fwd);
		for (i = 0; rc == OUTPOST_OK && i < lv.cur->n && !lv.stop; i++)
			rc = expand(&c->fwd, &lv, q, lv.cur->v[i], depth, fn,
				    ctx);
		swap = lv.cur;
		lv.cur = lv.next;
		lv.next = swap;
	}
	*count = lv.count;
	if (rc == OUTPOST_ENOMEM)
		return op_err_set(err, rc, "out of memory during a traversal");
	if (rc != OUTPOST_OK)
		return op_err_set(err, rc, "graph store: damaged adjacency");
	return OUTPOST_OK;
}
