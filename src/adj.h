/* adj.h - the graph's adjacency store: the only module that includes
 * lmdb.h. It holds edges and adjacency indexes (DESIGN section 5) and the
 * graph applier's cursor, applied_seq, committed in the same LMDB
 * transaction as the edges it covers. */
#ifndef OP_ADJ_H
#define OP_ADJ_H

#include <stdint.h>

#include "util.h"

struct op_adj;

/* Open (creating if missing, with create) the LMDB environment in dir. */
int op_adj_open(struct op_adj **out, const char *dir, int create,
		struct op_err *err);
void op_adj_close(struct op_adj *adj);
/* The change-log seq up to which the graph has applied. */
int op_adj_applied_seq(struct op_adj *adj, int64_t *out, struct op_err *err);

#endif
