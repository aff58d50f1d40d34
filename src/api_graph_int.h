/* api_graph_int.h - the graph applier and the graph's change-log entries,
 * shared by the api_graph_*.c files.
 *
 * An edge's change-log entry: tbl = its type, row_id = its uuid, op
 * 'I' (vals: {"from": uuid, "to": uuid, "valid_from": ts|null,
 * "valid_to": ts|null, "props": {...}}), 'U' (vals: the fields that
 * changed; "props" holds only the changed properties, null for a removed
 * one) or 'D' (vals NULL). A node's entries are its table's rows (tbl =
 * label, row_id = uuid). */
#ifndef OP_API_GRAPH_INT_H
#define OP_API_GRAPH_INT_H

#include "api_int.h"

/* Bring the graph up to the change log: take the write lock, apply every
 * node and edge entry after applied_seq, and commit applied_seq with
 * them; also settles an import that a crash interrupted. A no-op when
 * nothing is pending or the store is read-only. */
int op_api_graph_catch_up(outpost *db);

/* The same inside the caller's write lock and LMDB write txn: apply the
 * pending entries to t (s: the schema in force). *last gets the newest
 * seq looked at (applied_seq afterwards). */
int op_api_graph_apply(outpost *db, struct op_adj_txn *t,
		       const struct op_schema *s, int64_t *last);

/* Apply one edge entry with clock (hlc, site) to t by last-writer-wins
 * (api_graph_lww.c); an entry that loses changes nothing. *took (may be
 * NULL) says whether any of it took effect, and *eff (may be NULL) gets
 * the JSON text of the values that did (op_free; NULL for a delete or
 * when nothing did). */
int op_api_graph_apply_edge(outpost *db, struct op_adj_txn *t,
			    const struct op_reltype *r, char op,
			    const char *row_id, const char *vals,
			    uint64_t hlc, const uint8_t site[16], int *took,
			    char **eff);

struct cJSON;
/* A new object of an edge's properties in the order the graph keeps
 * them: the type's declared ones as declared, any others after, so the
 * text never depends on the order writes arrived in. NULL out of
 * memory. */
struct cJSON *op_api_graph_props_ordered(const struct op_reltype *r,
					 const struct cJSON *props);

/* A node by uuid or import id (under label, or any node label if NULL):
 * its nid. OUTPOST_ENOTFOUND with a message naming it. */
int op_api_graph_resolve(outpost *db, struct op_adj_txn *t,
			 const struct op_schema *s, const char *label,
			 const char *name, uint32_t *nid);

#endif
