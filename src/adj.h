/* adj.h - the graph's adjacency store: the only module that includes
 * lmdb.h (DESIGN section 5). It maps node uuids to compact internal ids
 * (nids, never visible in the API), keeps edge records, and keeps the
 * adjacency of every node in both directions as MDB_DUPSORT|MDB_DUPFIXED
 * entries under one key per (node, type, direction), so one cursor
 * position yields a node's neighbours by type as packed arrays read
 * straight from the map. The graph applier's cursor, applied_seq, lives in
 * the same environment and commits with the edges it covers. */
#ifndef OP_ADJ_H
#define OP_ADJ_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct op_adj;
struct op_adj_txn;

#define OP_ADJ_OUT 1
#define OP_ADJ_IN 2
/* Relationship types and labels get small ids, stored in the env. */
#define OP_ADJ_MAX_TYPES 4096

/* An edge record. */
struct op_adj_edge {
	uint8_t uuid[16];
	uint32_t from;
	uint32_t to;
	uint16_t type;
	uint16_t flags;
	int64_t valid_from; /* ms since the epoch; INT64_MIN if unbounded */
	int64_t valid_to;   /* INT64_MAX if unbounded */
	uint64_t hlc;
};

/* Open (creating if missing) the LMDB environment in dir, reserving at
 * least map_bytes (0 = the default) of address space for its map. */
int op_adj_open(struct op_adj **out, const char *dir, size_t map_bytes,
		struct op_err *err);
/* The code a write gets when the map is full: the caller aborts its
 * transactions, calls op_adj_grow() and tries again. Never returned by
 * the public API. */
#define OP_ADJ_EFULL (-1000)
/* Double the map; only with no transaction open in this process. */
int op_adj_grow(struct op_adj *adj, struct op_err *err);
void op_adj_close(struct op_adj *adj);
/* The change-log seq up to which the graph has applied. */
int op_adj_applied_seq(struct op_adj *adj, int64_t *out, struct op_err *err);

/* Transactions. A read txn is a consistent snapshot; readers never block.
 * One write txn at a time per environment (callers hold SQLite's write
 * lock first, DESIGN section 2). */
int op_adj_begin(struct op_adj_txn **out, struct op_adj *adj, int write,
		 struct op_err *err);
int op_adj_commit(struct op_adj_txn *t, struct op_err *err);
void op_adj_abort(struct op_adj_txn *t);
int op_adj_set_applied_seq(struct op_adj_txn *t, int64_t seq,
			   struct op_err *err);
int op_adj_applied_seq_txn(struct op_adj_txn *t, int64_t *out,
			   struct op_err *err);
/* A small fixed-size value of the env's own (n bytes exactly), e.g. an
 * import in flight; OUTPOST_ENOTFOUND if absent. put with buf NULL
 * deletes it. */
int op_adj_meta_get(struct op_adj_txn *t, const char *key, void *buf,
		    size_t n);
int op_adj_meta_put(struct op_adj_txn *t, const char *key, const void *buf,
		    size_t n, struct op_err *err);
/* A counter of the env ("nid", "eid"): its value, before adding add. */
int op_adj_count(struct op_adj_txn *t, const char *name, uint32_t *out,
		 struct op_err *err);
/* Take back a bulk load that did not commit on the SQLite side: nodes
 * with nids in [nid_from, nid_to) and edges with eids in [eid_from,
 * eid_to), which the load made, and their adjacency; the counters go
 * back, and the CSR is rebuilt. */
int op_adj_bulk_undo(struct op_adj_txn *t, uint32_t nid_from,
		     uint32_t nid_to, uint32_t eid_from, uint32_t eid_to,
		     struct op_err *err);

/* Ids for names (relationship types, labels); created in a write txn. */
int op_adj_name_id(struct op_adj_txn *t, const char *kind, const char *name,
		   int create, uint16_t *out, struct op_err *err);

/* Nodes: uuid <-> nid. */
int op_adj_node_nid(struct op_adj_txn *t, const uint8_t uuid[16],
		    uint32_t *nid);
int op_adj_node_uuid(struct op_adj_txn *t, uint32_t nid, uint8_t uuid[16],
		     uint16_t *label);
int op_adj_node_count(struct op_adj_txn *t, uint32_t *out);

/* Neighbours of a node over a set of types and directions, in chunks read
 * straight from the map: first, then next until 0. Chunks stay valid
 * until the txn ends. One cursor; a node's keys are adjacent, so "any
 * type, both directions" is one seek and a forward walk. */
#define OP_ADJ_MAX_SEGS 64 /* (type, dir) pairs read from the CSR */

/* One (type, dir) of the CSR snapshot: node i's neighbours are
 * nbr[off[i] .. off[i + 1]). Both arrays are in the map. */
struct op_adj_seg {
	const uint32_t *off;
	const uint32_t *nbr;
	uint16_t type;
	int dir;
};

struct op_adj_scan {
	void *cursor;
	const uint8_t *types; /* types[t] != 0: follow type t; NULL = any */
	size_t ntypes;	      /* length of types[] */
	int dirs;	      /* OP_ADJ_OUT | OP_ADJ_IN */
	int one;	      /* the only type followed, or -1 */
	uint32_t nid;
	/* The chunk: either v (adjacency entries) or v32 (CSR nids). */
	const uint64_t *v;
	const uint32_t *v32;
	size_t n;
	uint16_t type; /* type and direction of the chunk */
	int dir;
	/* The CSR snapshot, when it is current: nodes below csr_nodes are
	 * read from it with no b-tree search. */
	struct op_adj_seg seg[OP_ADJ_MAX_SEGS];
	size_t nseg;
	uint32_t csr_nodes;
	size_t at_seg; /* next segment to look at, in CSR mode */
	int in_csr;
	/* As of a time: only edges valid then (op_adj_scan_keep). Types
	 * with validity[t] set are checked against their edge records,
	 * which the CSR does not hold, so such a scan reads the b-tree. */
	int use_as_of;
	int64_t as_of;
	unsigned edge_dbi;
	const uint8_t *validity;
	size_t nvalidity;
};

/* Edge id of neighbour i of the current chunk; only when the chunk came
 * from the b-tree (v != NULL), which a scan opened with no_csr ensures. */
static inline uint32_t op_adj_scan_eid(const struct op_adj_scan *s, size_t i)
{
	return (uint32_t)s->v[i];
}

/* Neighbour i of the current chunk. */
static inline uint32_t op_adj_scan_nbr(const struct op_adj_scan *s, size_t i)
{
	return s->v32 ? s->v32[i] : (uint32_t)(s->v[i] >> 32);
}

/* Build the CSR snapshot of the whole adjacency (after a bulk load or as
 * compaction). Memory: the arrays of one snapshot, while it runs. */
int op_adj_csr_build(struct op_adj_txn *t, struct op_err *err);
int op_adj_scan_open(struct op_adj_scan *s, struct op_adj_txn *t,
		     const uint8_t *types, size_t ntypes, int dirs);
/* 1 with s->v/s->n set, 0 when the node has no more, <0 on error. */
int op_adj_scan_first(struct op_adj_scan *s, uint32_t nid);
int op_adj_scan_next(struct op_adj_scan *s);
void op_adj_scan_close(struct op_adj_scan *s);
/* Follow only edges valid at ms (valid_from <= ms < valid_to) of the
 * types with validity[t] != 0; call after op_adj_scan_open. */
void op_adj_scan_as_of(struct op_adj_scan *s, int64_t ms,
		       const uint8_t *validity, size_t nvalidity);
/* 1 if neighbour i of the current chunk is followed as of the scan's
 * time (always 1 without one); 0 if not, or its edge is unreadable. */
int op_adj_scan_keep(const struct op_adj_scan *s, size_t i);

int op_adj_edge_get(struct op_adj_txn *t, uint32_t eid,
		    struct op_adj_edge *out);

/* Single writes (a write txn), each idempotent so the change log can be
 * replayed: a node by uuid (get or create its nid); an edge by uuid
 * (insert, or replace its record, ends and properties); deletes of what
 * is not there are no error. Deleting a node deletes its edges. props is
 * the edge's JSON object text (nprops bytes, 0 for none). */
int op_adj_node_put(struct op_adj_txn *t, const uint8_t uuid[16],
		    uint16_t label, uint32_t *nid, struct op_err *err);
int op_adj_node_del(struct op_adj_txn *t, const uint8_t uuid[16],
		    struct op_err *err);
int op_adj_edge_find(struct op_adj_txn *t, const uint8_t uuid[16],
		     uint32_t *eid);
int op_adj_edge_put(struct op_adj_txn *t, const struct op_adj_edge *e,
		    const char *props, size_t nprops, uint32_t *eid,
		    struct op_err *err);
int op_adj_edge_del(struct op_adj_txn *t, const uint8_t uuid[16],
		    struct op_err *err);
/* An edge's properties, borrowed from the map until the txn ends;
 * *out = NULL when it has none. */
int op_adj_edge_props(struct op_adj_txn *t, uint32_t eid, const char **out,
		      size_t *n);
/* Every edge record in eid order; fn returns 0 to go on, >0 to stop,
 * <0 to fail with that code. */
typedef int (*op_adj_edge_fn)(void *ctx, uint32_t eid,
			      const struct op_adj_edge *e);
int op_adj_edges_each(struct op_adj_txn *t, op_adj_edge_fn fn, void *ctx,
		      struct op_err *err);

/* ---- edge clocks for sync's last-writer-wins (adj_clock.c) ---- */

/* A clock (hlc, site), compared as a pair with the site's bytes
 * unsigned. An edge's own clock is that of its latest insert or delete
 * (dead: a tombstone, kept after the edge is gone so that an older insert
 * arriving later cannot bring it back); a field's clock is that of its
 * latest update ("valid_from", "valid_to", "props.<name>"). */
struct op_adj_clock {
	uint64_t hlc;
	uint8_t site[16];
	uint32_t dead;
	uint32_t pad; /* zero: the record goes to disk */
};
#define OP_ADJ_FIELD_MAX 256 /* bytes of a field name */

/* <0, 0, >0 as a is older than, the same as, newer than b. */
int op_adj_clock_cmp(const struct op_adj_clock *a,
		     const struct op_adj_clock *b);
/* The clock of edge uuid (field NULL) or of one of its fields;
 * OUTPOST_ENOTFOUND if it has none, OUTPOST_ECORRUPT if unreadable. */
int op_adj_clock_get(struct op_adj_txn *t, const uint8_t uuid[16],
		     const char *field, struct op_adj_clock *out);
int op_adj_clock_put(struct op_adj_txn *t, const uint8_t uuid[16],
		     const char *field, const struct op_adj_clock *c,
		     struct op_err *err);
/* Delete the field clocks of edge uuid that are not newer than upto
 * (every one if upto is NULL); the edge's own clock stays. */
int op_adj_clock_drop(struct op_adj_txn *t, const uint8_t uuid[16],
		      const struct op_adj_clock *upto, struct op_err *err);

/* Bulk load: nodes (sorted or not) and edges (from/to as nids), appended
 * in key order so LMDB writes pages once. Works on any store; it is fast
 * (MDB_APPEND) when the graph is empty. Assigned nids are written to
 * nids_out[i] for uuids[i]. */
int op_adj_bulk_nodes(struct op_adj_txn *t, const uint8_t (*uuids)[16],
		      const uint16_t *labels, size_t n, uint32_t *nids_out,
		      struct op_err *err);
/* Edges whose uuids repeat (a multigraph) get distinct derived uuids,
 * written back into edges[]; edges the store already has are skipped.
 * props (NULL, or per edge JSON text or NULL) are their properties. */
int op_adj_bulk_edges(struct op_adj_txn *t, struct op_adj_edge *edges,
		      const char *const *props, size_t n, struct op_err *err);

/* ---- verification (adj_verify.c, adj_verify_csr.c) ---- */

/* One finding of op_adj_verify(): a line (no newline) naming the object
 * (edge uuid, node uuid, nid or eid) and what is wrong; borrowed for the
 * call. */
typedef void (*op_adj_verify_fn)(void *ctx, const char *line);
/* Check the graph store against itself in t (a read txn is enough):
 * every edge record against its ends, both adjacency entries and the
 * edge uuid index; every adjacency entry, edge uuid index entry and
 * property record against the edge record it names; the node index
 * against the nid records both ways; and, while the CSR snapshot is
 * current, every (type, dir) segment against the adjacency. Each
 * mismatch goes to fn; the return is OUTPOST_OK unless the check could
 * not finish (an LMDB error, OUTPOST_ECORRUPT for a damaged b-tree, or
 * OUTPOST_ENOMEM), with err set. */
int op_adj_verify(struct op_adj_txn *t, op_adj_verify_fn fn, void *ctx,
		  struct op_err *err);
/* Every node in nid order with its uuid and label id; fn as for
 * op_adj_edges_each(). Records too damaged to read are skipped (verify
 * reports them). */
typedef int (*op_adj_node_fn)(void *ctx, uint32_t nid,
			      const uint8_t uuid[16], uint16_t label);
int op_adj_nodes_each(struct op_adj_txn *t, op_adj_node_fn fn, void *ctx,
		      struct op_err *err);

#endif
