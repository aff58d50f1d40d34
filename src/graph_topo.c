/* graph_topo.c - the ancestors of a node in topological order: Kahn's
 * algorithm over the nodes that reach it, the ready ones taken smallest
 * uuid first from a binary heap, so the order is the same on every store.
 * Memory follows the ancestors found, never the graph: a set of them,
 * their in-degrees, the heap and the order. */
#include <string.h>

#include "graph_int.h"

/* Ready nodes, smallest uuid on top. */
struct heap {
	struct op_graph_topo_node *v;
	size_t n;
	size_t cap;
};

/* The ancestors, as Kahn's algorithm consumes them: members.v[i] is the
 * i-th found (start first), deg.v[i] its in-edges from members not yet
 * taken, and index maps a nid to its i. */
struct topo {
	struct op_graph_ctx *c;
	struct op_graph_set *index;
	struct op_graph_list *members;
	struct op_graph_list *deg;
};

static int grow(struct op_graph_topo_node **v, size_t *cap, size_t n)
{
	size_t want = *cap ? *cap * 2 : 64;
	struct op_graph_topo_node *p;

	if (n < *cap)
		return OUTPOST_OK;
	if (want > SIZE_MAX / sizeof(*p))
		return OUTPOST_ENOMEM;
	p = op_realloc(*v, want * sizeof(*p));
	if (!p)
		return OUTPOST_ENOMEM;
	*v = p;
	*cap = want;
	return OUTPOST_OK;
}

static int less(const struct op_graph_topo_node *a,
		const struct op_graph_topo_node *b)
{
	return memcmp(a->uuid, b->uuid, sizeof(a->uuid)) < 0;
}

static void swap(struct op_graph_topo_node *a, struct op_graph_topo_node *b)
{
	struct op_graph_topo_node tmp = *a;

	*a = *b;
	*b = tmp;
}

/* Add nid with its uuid, read here once per node. */
static int heap_push(struct heap *h, struct op_adj_txn *txn, uint32_t nid)
{
	size_t i;

	if (grow(&h->v, &h->cap, h->n) != OUTPOST_OK)
		return OUTPOST_ENOMEM;
	if (op_adj_node_uuid(txn, nid, h->v[h->n].uuid, NULL) != OUTPOST_OK)
		return OUTPOST_ECORRUPT;
	h->v[h->n].nid = nid;
	for (i = h->n++; i > 0 && less(&h->v[i], &h->v[(i - 1) / 2]);
	     i = (i - 1) / 2)
		swap(&h->v[i], &h->v[(i - 1) / 2]);
	return OUTPOST_OK;
}

static struct op_graph_topo_node heap_pop(struct heap *h)
{
	struct op_graph_topo_node top = h->v[0];
	size_t i = 0;

	h->v[0] = h->v[--h->n];
	for (;;) {
		size_t l = 2 * i + 1, m = i;

		if (l < h->n && less(&h->v[l], &h->v[m]))
			m = l;
		if (l + 1 < h->n && less(&h->v[l + 1], &h->v[m]))
			m = l + 1;
		if (m == i)
			break;
		swap(&h->v[i], &h->v[m]);
		i = m;
	}
	return top;
}

/* Every node that reaches start (start too), each with its number of
 * in-edges: all of them come from members, since whatever has an edge
 * into a node that reaches start reaches start as well. */
static int collect(struct topo *tp, uint32_t start)
{
	struct op_adj_scan *sc = &tp->c->fwd;
	size_t i;

	if (op_graph_set_add(tp->index, start, 0) < 0 ||
	    op_graph_list_push(tp->members, start) != OUTPOST_OK ||
	    op_graph_list_push(tp->deg, 0) != OUTPOST_OK)
		return OUTPOST_ENOMEM;
	for (i = 0; i < tp->members->n; i++) {
		int got = op_adj_scan_first(sc, tp->members->v[i]);

		for (; got == 1; got = op_adj_scan_next(sc)) {
			size_t j;

			tp->deg->v[i] += (uint32_t)sc->n;
			for (j = 0; j < sc->n; j++) {
				uint32_t w = op_adj_scan_nbr(sc, j);
				int added = op_graph_set_add(
					tp->index, w, (uint32_t)tp->members->n);

				if (added < 0 ||
				    (added &&
				     (op_graph_list_push(tp->members, w) ||
				      op_graph_list_push(tp->deg, 0))))
					return OUTPOST_ENOMEM;
			}
		}
		if (got < 0)
			return OUTPOST_ECORRUPT;
	}
	return OUTPOST_OK;
}

/* u is taken: each member it has an edge to loses that in-edge, and is
 * ready once it has none left. */
static int release(struct topo *tp, struct heap *h, uint32_t u)
{
	struct op_adj_scan *sc = &tp->c->rev;
	int got = op_adj_scan_first(sc, u);

	for (; got == 1; got = op_adj_scan_next(sc)) {
		size_t j;

		for (j = 0; j < sc->n; j++) {
			uint32_t w = op_adj_scan_nbr(sc, j), i;
			int rc;

			if (!op_graph_set_get(tp->index, w, &i))
				continue; /* does not reach start */
			if (tp->deg->v[i] == 0)
				return OUTPOST_ECORRUPT; /* one side lacks it */
			if (--tp->deg->v[i] > 0)
				continue;
			rc = heap_push(h, tp->c->txn, w);
			if (rc != OUTPOST_OK)
				return rc;
		}
	}
	return got < 0 ? OUTPOST_ECORRUPT : OUTPOST_OK;
}

/* Kahn's algorithm; *taken gets how many members it could order. */
static int order(struct topo *tp, uint32_t start,
		 struct op_graph_topo_node **out, size_t *n, size_t *taken)
{
	struct heap h = {NULL, 0, 0};
	size_t cap = 0, i;
	int rc = OUTPOST_OK;

	*taken = 0;
	for (i = 0; rc == OUTPOST_OK && i < tp->members->n; i++)
		if (tp->deg->v[i] == 0)
			rc = heap_push(&h, tp->c->txn, tp->members->v[i]);
	while (rc == OUTPOST_OK && h.n) {
		struct op_graph_topo_node u = heap_pop(&h);

		++*taken;
		if (u.nid != start) {
			rc = grow(out, &cap, *n);
			if (rc == OUTPOST_OK)
				(*out)[(*n)++] = u;
		}
		if (rc == OUTPOST_OK)
			rc = release(tp, &h, u.nid);
	}
	op_free(h.v);
	return rc;
}

/* A member left over has an in-edge from another left over (its count
 * says so); going back along such edges must come round, and after as
 * many steps as there are members it is on a cycle. */
static int back(struct topo *tp, uint32_t *i)
{
	struct op_adj_scan *sc = &tp->c->fwd;
	int got = op_adj_scan_first(sc, tp->members->v[*i]);

	for (; got == 1; got = op_adj_scan_next(sc)) {
		size_t j;

		for (j = 0; j < sc->n; j++) {
			uint32_t k;

			if (op_graph_set_get(tp->index, op_adj_scan_nbr(sc, j),
					     &k) &&
			    tp->deg->v[k] > 0) {
				*i = k;
				return OUTPOST_OK;
			}
		}
	}
	return OUTPOST_ECORRUPT;
}

/* The cycle through the left-over members, in edge order. */
static int find_cycle(struct topo *tp, uint32_t **cycle, size_t *ncycle)
{
	struct op_graph_list l = {NULL, 0, 0};
	uint32_t at = 0, i;
	size_t k;
	int rc = OUTPOST_OK;

	while (at < tp->members->n && tp->deg->v[at] == 0)
		at++;
	if (at == tp->members->n)
		return OUTPOST_ECORRUPT; /* the caller saw some left over */
	for (k = 0; rc == OUTPOST_OK && k < tp->members->n; k++)
		rc = back(tp, &at);
	i = at;
	do {
		if (rc == OUTPOST_OK &&
		    op_graph_list_push(&l, tp->members->v[i]) != OUTPOST_OK)
			rc = OUTPOST_ENOMEM;
		if (rc == OUTPOST_OK)
			rc = back(tp, &i);
	} while (rc == OUTPOST_OK && i != at);
	if (rc != OUTPOST_OK) {
		op_graph_list_free(&l);
		return rc;
	}
	for (k = 0; k < l.n / 2; k++) { /* found walking back */
		uint32_t tmp = l.v[k];

		l.v[k] = l.v[l.n - 1 - k];
		l.v[l.n - 1 - k] = tmp;
	}
	*cycle = l.v;
	*ncycle = l.n;
	return OUTPOST_OK;
}

int op_graph_topo(struct op_graph_ctx *c, uint32_t start,
		  struct op_graph_topo_node **out, size_t *n,
		  uint32_t **cycle, size_t *ncycle, struct op_err *err)
{
	struct topo tp = {c, &c->set[0], &c->list[0], &c->list[1]};
	size_t taken = 0;
	int rc;

	*out = NULL;
	*n = 0;
	*cycle = NULL;
	*ncycle = 0;
	op_graph_set_reset(tp.index);
	tp.members->n = 0;
	tp.deg->n = 0;
	rc = collect(&tp, start);
	if (rc == OUTPOST_OK)
		rc = order(&tp, start, out, n, &taken);
	if (rc == OUTPOST_OK && taken < tp.members->n) {
		rc = find_cycle(&tp, cycle, ncycle);
		if (rc == OUTPOST_OK)
			rc = OUTPOST_EREFUSED;
	}
	if (rc != OUTPOST_OK) {
		op_free(*out);
		*out = NULL;
		*n = 0;
	}
	if (rc == OUTPOST_ENOMEM)
		return op_err_set(err, rc, "out of memory during a traversal");
	if (rc == OUTPOST_ECORRUPT)
		return op_err_set(err, rc, "graph store: damaged adjacency");
	return rc;
}
