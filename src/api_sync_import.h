/* api_sync_import.h - a bulk import's change-log entry expanded into the
 * changes a device would have logged had it written the import's nodes
 * and edges one by one (sync/PROTOCOL.md: "_outpost_import entries never
 * travel"). The push (api_sync.c) sends these in place of the entry.
 *
 * The entry (api_import_log.c): tbl "_outpost_import", op 'I', row_id the
 * import's id, vals {"nodes":N,"edges":M,"new_nids":[a,b],
 * "new_eids":[c,d]}. N and M count every row of the import's files,
 * including rows merged into nodes the store already had and
 * relationships it already had; [a, b) and [c, d) are only what the
 * import made. The merged rows are not part of the expansion.
 *
 * Subs: 0 .. (b-a)-1 are the nodes with nids a .. b-1, in nid order; then
 * (b-a) .. (b-a)+(d-c)-1 the edges with eids c .. d-1, in eid order. A
 * node or edge keeps its sub when it is skipped, so the numbering never
 * depends on the store's later state. Skipped (and counted):
 *   - nodes whose label and edges whose type is central_wins or
 *     local_only (never pushed), or is no longer in the schema;
 *   - nodes and edges that no longer exist (no nid or eid record in the
 *     graph store, or no row in the label's table): their deletes are
 *     later log entries, sent after this one;
 *   - edges with an end whose node no longer exists (the node's delete
 *     took the edge with it, as it does centrally).
 * Each change: seq, hlc, site of the entry; its sub; op 'I'; table the
 * label or type; row_id the node's or edge's uuid; values the JSON the
 * capture trigger (schema_trigger.c, the same SQL expression) or the
 * edge writer (api_graph_write.c: from, to, valid_from/valid_to when set
 * and the type has validity, props in the schema's order) would have
 * logged for inserting it, read as of now: a row updated after the
 * import comes with its new values, and its update entry follows later
 * with a newer clock. */
#ifndef OP_API_SYNC_IMPORT_H
#define OP_API_SYNC_IMPORT_H

#include "api_int.h"
#include "sink.h"

struct op_import_part {
	struct op_change *changes;
	size_t n;
	uint32_t next;	  /* the sub to continue from */
	int done;	  /* 1: nothing of this import after these */
	uint32_t skipped; /* subs in [from, next) not emitted */
	/* owned[i]: the one allocation changes[i]'s strings live in. */
	char **owned;
	size_t cap;
};

/* The changes of import entry e (table "_outpost_import", e->values its
 * JSON) with sub >= from, in sub order: at most max_rows (>= 1) of them,
 * and no more than max_bytes of values (0: no limit) unless the first
 * alone is larger: at least one is returned whenever the import has an
 * emittable sub at or after from. out->next is the sub after the last
 * one looked at; out->done is 1 when that is past the import's last sub
 * (it may be 0 when only skipped subs are left: the next call then
 * returns none, done). Reads one snapshot of SQLite (a read transaction,
 * or the caller's transaction if one is open) and of the graph store.
 * Costs memory in the rows returned; time also in the subs skipped.
 *
 * Returns OUTPOST_OK; OUTPOST_EMISUSE for bad arguments or an entry that
 * is not an import; OUTPOST_ECORRUPT when the entry or the graph store
 * does not hold what it should (a bad vals, a range past the graph's
 * counters, a graph store behind the entry, an unreadable record);
 * OUTPOST_ENOMEM; or the engines' errors. outpost_errmsg(db) names the
 * import, its seq, and what failed. On OUTPOST_OK *out is the caller's:
 * free it with op_api_sync_import_part_free() (also safe after a
 * failure, which leaves *out empty). The thread rules are db's. */
int op_api_sync_import_part(outpost *db, const struct op_change *e,
			    uint32_t from, size_t max_rows, size_t max_bytes,
			    struct op_import_part *out);
/* Free p's changes and strings; p is left empty. p may be NULL. */
void op_api_sync_import_part_free(struct op_import_part *p);

#endif
