/* graph_cycle.c - is one relationship type still acyclic after a bulk
 * load? Kahn's algorithm over the whole type (a load may close a cycle
 * anywhere), then, if nodes remain, a walk back through them to name one
 * cycle. Arrays are indexed by nid: a load's memory already follows the
 * graph, and this reads the CSR snapshot the load has just built. */
#include <string.h>

#include "graph_int.h"

struct kahn {
	struct op_adj_scan out;
	struct op_adj_scan in;
	uint32_t *indeg; /* per nid: predecessors not yet ordered */
	uint32_t *queue;
	uint32_t n;
};

static int count_in(struct kahn *k)
{
	uint32_t u;
	int got;

	for (u = 0; u < k->n; u++) {
		for (got = op_adj_scan_first(&k->out, u); got == 1;
		     got = op_adj_scan_next(&k->out)) {
			size_t i;

			for (i = 0; i < k->out.n; i++) {
				uint32_t v = op_adj_scan_nbr(&k->out, i);

				if (v >= k->n)
					return OUTPOST_ECORRUPT;
				k->indeg[v]++;
			}
		}
		if (got < 0)
			return OUTPOST_ECORRUPT;
	}
	return OUTPOST_OK;
}

/* Order what can be ordered; 1 if some node is left (on or after a
 * cycle), with *left one of them. */
static int order(struct kahn *k, uint32_t *left)
{
	size_t head = 0, tail = 0;
	uint32_t u;

	for (u = 0; u < k->n; u++)
		if (!k->indeg[u])
			k->queue[tail++] = u;
	while (head < tail) {
		int got;

		u = k->queue[head++];
		for (got = op_adj_scan_first(&k->out, u); got == 1;
		     got = op_adj_scan_next(&k->out)) {
			size_t i;

			for (i = 0; i < k->out.n; i++) {
				uint32_t v = op_adj_scan_nbr(&k->out, i);

				if (--k->indeg[v] == 0)
					k->queue[tail++] = v;
			}
		}
	}
	for (u = 0; u < k->n; u++)
		if (k->indeg[u]) {
			*left = u;
			return 1;
		}
	return 0;
}

/* Start the cycle at its smallest nid (the node loaded first), so it
 * is named the same way whichever node the walk began at. */
static void reverse(uint32_t *c, size_t a, size_t b) /* [a, b) */
{
	while (a + 1 < b) {
		uint32_t x = c[a];

		c[a++] = c[--b];
		c[b] = x;
	}
}

static void rotate_to_smallest(uint32_t *c, size_t n)
{
	size_t i, at = 0;

	for (i = 1; i < n; i++)
		if (c[i] < c[at])
			at = i;
	/* Rotate left by at, in place: three reversals. */
	reverse(c, 0, at);
	reverse(c, at, n);
	reverse(c, 0, n);
}

/* A node left by Kahn has a predecessor left too: walk back until a node
 * repeats; the nodes from its first visit on are a cycle (reversed). */
static int name_cycle(struct kahn *k, uint32_t u, uint32_t **cycle,
		      size_t *ncycle)
{
	uint32_t *pos = k->queue; /* reused: 0 = not visited, else step+1 */
	struct op_graph_list walk = {0};
	size_t i, from;

	memset(pos, 0, (size_t)k->n * sizeof(*pos));
	while (!pos[u]) {
		uint32_t next = UINT32_MAX;
		int got;

		if (op_graph_list_push(&walk, u) != OUTPOST_OK) {
			op_graph_list_free(&walk);
			return OUTPOST_ENOMEM;
		}
		pos[u] = (uint32_t)walk.n;
		for (got = op_adj_scan_first(&k->in, u);
		     got == 1 && next == UINT32_MAX;
		     got = op_adj_scan_next(&k->in))
			for (i = 0; i < k->in.n; i++)
				if (k->indeg[op_adj_scan_nbr(&k->in, i)]) {
					next = op_adj_scan_nbr(&k->in, i);
					break;
				}
		if (next == UINT32_MAX)
			break; /* cannot happen: u has a predecessor left */
		u = next;
	}
	if (!walk.n || !walk.v)
		return OUTPOST_ECORRUPT;
	from = pos[u] ? pos[u] - 1 : 0;
	*ncycle = walk.n - from;
	*cycle = op_malloc(*ncycle * sizeof(**cycle) + 1);
	if (!*cycle) {
		op_graph_list_free(&walk);
		return OUTPOST_ENOMEM;
	}
	for (i = 0; i < *ncycle; i++) /* back in edge order */
		(*cycle)[i] = walk.v[walk.n - 1 - i];
	op_graph_list_free(&walk);
	rotate_to_smallest(*cycle, *ncycle);
	return OUTPOST_OK;
}

int op_graph_find_cycle(struct op_adj_txn *t, uint16_t type, uint32_t **cycle,
			size_t *ncycle, struct op_err *err)
{
	uint8_t types[OP_ADJ_MAX_TYPES] = {0};
	struct kahn k;
	uint32_t left = 0;
	int rc;

	*cycle = NULL;
	*ncycle = 0;
	memset(&k, 0, sizeof(k));
	types[type] = 1;
	rc = op_adj_count(t, "nid", &k.n, err);
	if (rc != OUTPOST_OK)
		return rc;
	k.indeg = op_calloc((size_t)k.n + 1, sizeof(*k.indeg));
	k.queue = op_malloc(((size_t)k.n + 1) * sizeof(*k.queue));
	rc = k.indeg && k.queue ? OUTPOST_OK : OUTPOST_ENOMEM;
	if (rc == OUTPOST_OK)
		rc = op_adj_scan_open(&k.out, t, types, (size_t)type + 1,
				      OP_ADJ_OUT);
	if (rc == OUTPOST_OK)
		rc = op_adj_scan_open(&k.in, t, types, (size_t)type + 1,
				      OP_ADJ_IN);
	if (rc == OUTPOST_OK)
		rc = count_in(&k);
	if (rc == OUTPOST_OK && order(&k, &left))
		rc = name_cycle(&k, left, cycle, ncycle);
	op_adj_scan_close(&k.out);
	op_adj_scan_close(&k.in);
	op_free(k.indeg);
	op_free(k.queue);
	if (rc == OUTPOST_ENOMEM)
		return op_err_set(err, rc, "out of memory checking for cycles");
	if (rc != OUTPOST_OK)
		return op_err_set(err, rc, "graph store: damaged adjacency");
	return OUTPOST_OK;
}
