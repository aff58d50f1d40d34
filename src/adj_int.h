/* adj_int.h - shared inside the adj module. */
#ifndef OP_ADJ_INT_H
#define OP_ADJ_INT_H

#include <lmdb.h>

#include "adj.h"

struct op_adj {
	MDB_env *env;
	MDB_dbi meta;  /* names, counters, applied_seq */
	MDB_dbi nodes; /* uuid(16) -> nid u32, label u16 */
	MDB_dbi nids;  /* nid (integer key) -> uuid(16), label u16 */
	MDB_dbi adj;   /* op_adj_key() -> dup u64 (nbr << 32 | eid) */
	MDB_dbi edges; /* eid (integer key) -> struct op_adj_edge */
	MDB_dbi euuid; /* uuid(16) -> eid u32 */
	MDB_dbi csr;   /* (type u16, dir u8, part u8) -> u32 array */
	MDB_dbi eprops; /* eid (integer key) -> properties, JSON text */
	MDB_dbi eclock; /* uuid(16)[+field] -> struct op_adj_clock (LWW) */
};

struct op_adj_txn {
	struct op_adj *adj;
	MDB_txn *txn;
	int write;
};

int op_adj_error(int rc, const char *what, struct op_err *err);
uint64_t op_adj_key(uint32_t nid, uint16_t type, int dir);
/* The CSR segments for the scan's types and directions, if current. */
int op_adj_csr_open(struct op_adj_scan *s, struct op_adj_txn *t);
int op_adj_counter(struct op_adj_txn *t, const char *name, uint32_t add,
		   uint32_t *before, struct op_err *err);

#endif
