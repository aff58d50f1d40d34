/* graph.h - the graph engine on top of adj: traversals over internal node
 * ids (BFS with a visited set that grows with what it visits, never with
 * the graph), and import. Every traversal runs inside one LMDB read txn,
 * so it sees one consistent snapshot. */
#ifndef OP_GRAPH_H
#define OP_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "adj.h"

/* What to follow. types[t] != 0 selects type id t (NULL = any type). */
struct op_graph_query {
	const uint8_t *types;
	size_t ntypes;
	int dirs;	/* OP_ADJ_OUT, OP_ADJ_IN or both */
	int min_depth;	/* nodes at distance >= min_depth count */
	int max_depth;	/* 0 = unbounded */
	uint64_t limit; /* stop after this many nodes; 0 = no limit */
	/* As of a time: follow only edges valid at as_of, for the types
	 * with validity[t] != 0 (the others are always valid). */
	int use_as_of;
	int64_t as_of;
	const uint8_t *validity;
	size_t nvalidity;
};

/* Called per node found, with its distance from the start. Return non-zero
 * to stop. */
typedef int (*op_graph_visit_fn)(void *ctx, uint32_t nid, int depth);

/* ---- the visited set: nid -> 32-bit value, open addressing ---- */
struct op_graph_set {
	uint64_t *slot; /* (nid + 1) << 32 | value; 0 = empty */
	size_t cap;	/* a power of two */
	size_t n;
	/* A set of nids below dense_n may turn into a bitmap once it holds
	 * dense_n / 128 of them: from there the bitmap is smaller than the
	 * hash table, so memory still follows what was visited. Values are
	 * then not kept (BFS needs none). dense_n 0 = never. */
	uint32_t dense_n;
	uint64_t *bits;
};

struct op_graph_list {
	uint32_t *v;
	size_t n;
	size_t cap;
};

/* What a batch of traversals keeps from one to the next, in one LMDB
 * read txn: the cursors (forward, and reversed for the far side of a
 * shortest path) and the scratch sets and lists, emptied between
 * traversals instead of allocated again. */
struct op_graph_ctx {
	struct op_adj_txn *txn;
	struct op_adj_scan fwd;
	struct op_adj_scan rev;
	struct op_graph_set set[4];  /* shortest paths: parents, depths */
	struct op_graph_list list[4];
	struct op_graph_set visited; /* BFS: may turn into a bitmap */
};

int op_graph_ctx_open(struct op_graph_ctx *c, struct op_adj_txn *t,
		      const struct op_graph_query *q, struct op_err *err);
void op_graph_ctx_close(struct op_graph_ctx *c);

/* Nodes within the query's depth range from start (start excluded),
 * breadth first; *count gets how many. fn may be NULL. */
int op_graph_bfs(struct op_graph_ctx *c, const struct op_graph_query *q,
		 uint32_t start, op_graph_visit_fn fn, void *ctx,
		 uint64_t *count, struct op_err *err);

/* Length of a shortest path from a to b (bidirectional BFS), or -1 when
 * there is none. With path non-NULL, *path gets its nids (a first, b last;
 * free with op_free) and *npath their number. */
int op_graph_shortest(struct op_graph_ctx *c, const struct op_graph_query *q,
		      uint32_t a, uint32_t b, int64_t *length,
		      uint32_t **path, size_t *npath, struct op_err *err);

void op_graph_set_init(struct op_graph_set *s);
void op_graph_set_free(struct op_graph_set *s);
/* Empty the set for the next traversal; a large one is freed, so one big
 * traversal does not make every later one pay for clearing it. */
void op_graph_set_reset(struct op_graph_set *s);
/* 1 if nid was added (with value), 0 if present, <0 out of memory. */
int op_graph_set_add(struct op_graph_set *s, uint32_t nid, uint32_t value);
/* 1 and *value if present, else 0 (a dense set keeps no values). */
int op_graph_set_get(const struct op_graph_set *s, uint32_t nid,
		     uint32_t *value);

/* ---- cycles after a bulk load (graph_cycle.c) ---- */
/* Whether type's edges hold a cycle anywhere in the graph: *cycle (free
 * with op_free) gets one, its *ncycle nids in edge order, or NULL when
 * there is none. Memory: two arrays over all nids (for bulk loads). */
int op_graph_find_cycle(struct op_adj_txn *t, uint16_t type, uint32_t **cycle,
			size_t *ncycle, struct op_err *err);

/* ---- topological order (graph_topo.c) ---- */
struct op_graph_topo_node {
	uint8_t uuid[16];
	uint32_t nid;
};

/* The ancestors of start (c opened with dirs OP_ADJ_IN over the types to
 * follow: every node with a path to start), start excluded, each after
 * all of its ancestors, ties by uuid bytes (memcmp) smallest first. *out
 * (free with op_free) gets them, *n how many. OUTPOST_EREFUSED, with no
 * message (the caller names the cycle), if they and start hold a cycle
 * (a self loop too): *cycle (free with op_free) gets one, its *ncycle
 * nids in edge order. Memory follows the ancestors, not the graph. */
int op_graph_topo(struct op_graph_ctx *c, uint32_t start,
		  struct op_graph_topo_node **out, size_t *n,
		  uint32_t **cycle, size_t *ncycle, struct op_err *err);

#endif
