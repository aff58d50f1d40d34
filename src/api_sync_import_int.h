/* api_sync_import_int.h - shared by the two files of an import's
 * expansion: api_sync_import.c (the entry, the snapshot, nodes, the
 * walk over subs) and api_sync_import_edge.c (an edge's insert JSON). */
#ifndef OP_API_SYNC_IMPORT_INT_H
#define OP_API_SYNC_IMPORT_INT_H

#include "api_sync_import.h"

/* One call's state. */
struct xp {
	outpost *db;
	const struct op_change *e;
	char id[64]; /* the import's id, for messages */
	uint32_t nid_from, nid_to, eid_from, eid_to;
	uint32_t nnodes; /* subs below this are nodes */
	uint32_t total;  /* nodes and edges */
	struct op_schema *s;
	struct op_adj_txn *t;
	int began;             /* this call began the SQLite read txn */
	struct op_stmt **rows; /* per table: row ?1's insert JSON */
	int32_t *label_table;  /* label id -> table index, or -1 */
	int32_t *type_rel;     /* type id -> reltype index, or -1 */
};

/* Set db's message as "import ID (seq S): ..." and return rc. */
int op_api_sync_import_fail(struct xp *x, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* *out (cJSON_free) gets what api_graph_write.c logs for inserting edge
 * ed (eid; its ends' uuids from and to; its own uuid for messages) of
 * type r: {"from", "to", "valid_from"/"valid_to" when bounded and the
 * type has validity, "props" when it has any}. */
int op_api_sync_import_edge_json(struct xp *x, const struct op_reltype *r,
				 const struct op_adj_edge *ed, uint32_t eid,
				 const char *from, const char *to,
				 const char *uuid, char **out);

#endif
