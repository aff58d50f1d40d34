/* adj_verify_int.h - shared by the two halves of op_adj_verify():
 * adj_verify.c (records and indexes) and adj_verify_csr.c (the CSR
 * snapshot against the adjacency). */
#ifndef OP_ADJ_VERIFY_INT_H
#define OP_ADJ_VERIFY_INT_H

#include "adj_int.h"

#define OP_ADJ_NAME_TEXT 80 /* a type's name, or "type #id" */
#define OP_ADJ_NODE_TEXT 64 /* "node <uuid> (nid 3)" */

struct adj_vf {
	struct op_adj_txn *t;
	op_adj_verify_fn fn;
	void *ctx;
	struct op_err *err;
	int rc;		   /* the first failure to read; stops every walk */
	MDB_cursor *probe; /* adjacency lookups (MDB_GET_BOTH) */
	uint32_t next_nid; /* the counters: every id is below its own */
	uint32_t next_eid;
	struct {
		const char *p; /* in the map, not NUL-terminated */
		int n;
	} types[OP_ADJ_MAX_TYPES];
};

/* A finding: one line to the caller's callback. */
void op_adj_verify_say(struct adj_vf *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A failure to read (LMDB code rc): the first one is kept and stops
 * every walk. */
void op_adj_verify_fail(struct adj_vf *v, int rc, const char *what);
/* Names for findings: a type's name, and "node <uuid> (nid N)" (or
 * "nid N" for a nid with no record). */
const char *op_adj_verify_type(char out[OP_ADJ_NAME_TEXT],
			       const struct adj_vf *v, uint16_t type);
const char *op_adj_verify_node(char out[OP_ADJ_NODE_TEXT],
			       struct adj_vf *v, uint32_t nid);
/* Every entry of dbi to fn(ctx, ...), in key order, until the first
 * failure to read; returns v->rc. */
typedef void (*op_adj_entry_fn)(void *ctx, const MDB_val *k,
				const MDB_val *d);
int op_adj_verify_walk(struct adj_vf *v, MDB_dbi dbi, const char *what,
		       op_adj_entry_fn fn, void *ctx);
/* The CSR snapshot against the adjacency, if the snapshot is current. */
void op_adj_verify_csr(struct adj_vf *v);

#endif
