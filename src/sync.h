/* sync.h - applying changes from other sites to the store's tables: the
 * device side of a pull (sync/PROTOCOL.md "Pull" and "LWW merge"). It
 * runs inside the caller's SQLite write transaction and touches only
 * SQLite; the graph, a layer above, is reached through a callback that
 * decides relationship-type entries. All or nothing: on any error the
 * caller rolls the transaction back. */
#ifndef OP_SYNC_H
#define OP_SYNC_H

#include "log.h"
#include "schema.h"
#include "sink.h"

/* Decide relationship-type entry c (type r, row_id canonical) for the
 * graph by last-writer-wins and apply it there: *took says whether any
 * of it took effect, *eff (op_free) the JSON text of the values that did
 * (NULL for a delete or when nothing did). */
typedef int (*op_sync_edge_fn)(void *ctx, const struct op_reltype *r,
			       const struct op_change *c, const char *row_id,
			       int *took, char **eff, struct op_err *err);

struct op_sync_args {
	struct op_rel *rel;
	const struct op_schema *s; /* the store's schema */
	const uint8_t *site;	   /* this store's site id (16 bytes) */
	op_sync_edge_fn edge;	   /* NULL: relationship entries refused */
	void *edge_ctx;
	const char *cursor; /* _outpost_cursors row to set, or NULL */
	int64_t cursor_value;
};

/* Apply changes c[0..n) in order inside the caller's write transaction:
 * check the whole batch first (tables, ops, ids, every value; clocks
 * against the drift bound), then merge each into its table and clock
 * table, log each change that took effect (with its own clock and
 * site), raise the HLC floor past every clock seen, and set the cursor.
 * Returns OUTPOST_OK; OUTPOST_EPROTO (malformed), OUTPOST_EREFUSED
 * (policy), OUTPOST_ECLOCK (drift) or another code, err naming the
 * change's seq, table and row. */
int op_sync_apply(const struct op_sync_args *a, const struct op_change *c,
		  size_t n, struct op_err *err);

/* The drift bound in force: _outpost_meta "hlc_bound_ms", else 24 h. */
int op_sync_drift_bound(struct op_rel *rel, uint64_t *out,
			struct op_err *err);

#endif
