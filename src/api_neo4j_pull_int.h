/* api_neo4j_pull_int.h - what the files of outpost_neo4j_pull() share:
 * api_neo4j_pull.c (checks, the snapshot, the transaction),
 * api_neo4j_pull_nodes.c (label rows by SQL, so the capture triggers log
 * them), api_neo4j_pull_edges.c (relationships, logged and applied as
 * single edge writes are), api_neo4j_pull_pending.c (the local changes
 * not yet pushed to Neo4j), api_neo4j_pull_ranges.c (which log entries
 * earlier pulls wrote) and api_neo4j_pull_rule.c (who wins: a local
 * change not yet pushed, or the snapshot). */
#ifndef OP_API_NEO4J_PULL_INT_H
#define OP_API_NEO4J_PULL_INT_H

#include <cjson/cJSON.h>

#include "api_graph_int.h"
#include "sink_neo4j_pull.h"

/* A column of a label, or a field of a type (valid_from, valid_to, a
 * property), changed locally and not yet pushed: that change's clock
 * text, or "" when a later pull took Neo4j's value (it overrides the
 * clock of an insert not yet pushed). */
struct pend_col {
	char *name;
	char clk[OP_NEO4J_PULL_CLOCK + 1];
};

/* A node or relationship with local changes not yet pushed to Neo4j. */
struct pend {
	const char *tbl; /* the schema's name of its label or type */
	uint8_t uuid[16];
	/* its last insert ('I') or delete ('D') is not pushed (clk: its
	 * clock); 0: it is, or a pull made it */
	char op;
	char clk[OP_NEO4J_PULL_CLOCK + 1];
	struct pend_col *cols; /* updates not pushed since */
	size_t ncols;
};

struct pull {
	outpost *db;
	struct op_schema *s;
	const struct op_table **labels;
	size_t nlabels;
	const struct op_reltype **types;
	size_t ntypes;
	struct op_neo4j_pull_set *nsets; /* per label, sorted by uuid */
	struct op_neo4j_pull_set *esets; /* per type, sorted by uuid */
	struct op_neo4j_pull_set tombs;	 /* Neo4j's, sorted by uuid */
	struct op_adj_txn *t;		 /* the write txn, while it runs */
	struct pend *pend;		 /* sorted by (tbl, uuid) */
	size_t npend;
	int64_t seq_before; /* the log's last seq before the pull wrote */
	outpost_neo4j_pull_result *res;
};

/* Count an undeclared property of an item (the first is named). */
void op_api_neo4j_pull_skip(struct pull *p, const char *kind,
			    const char *uuid, const char *prop);
/* The item of set with uuid (lower case), or NULL. */
const struct op_neo4j_pull_item *
op_api_neo4j_pull_find(const struct op_neo4j_pull_set *set, const char *uuid);

/* Label i's rows made like its snapshot, inside the write txn (SQL: the
 * triggers log each change). */
int op_api_neo4j_pull_nodes(struct pull *p, size_t i);
/* Type i's relationships: deletes first (before the nodes change:
 * phase 0), then inserts and updates (after the node entries reached
 * the graph: phase 1). */
int op_api_neo4j_pull_edges(struct pull *p, size_t i, int phase);

/* ---- local changes not yet pushed (api_neo4j_pull_pending.c) ---- */

/* p->pend from the log after the cursor neo4j_push (inside an import
 * cut there, from neo4j_push_sub on), for p's labels and types and the
 * labels of the types' ends; a pull's own entries undo what they carry.
 * One read of the log; inside the write transaction (nothing changes
 * under it), before the LMDB write txn begins (an import's expansion
 * reads the graph). Replaces what p->pend held. */
int op_api_neo4j_pull_pending(struct pull *p);
void op_api_neo4j_pull_pending_free(struct pull *p);
/* The pending changes of row uuid of label or type tbl, or NULL. */
const struct pend *op_api_neo4j_pull_pend(const struct pull *p,
					  const char *tbl, const char *uuid);
/* Clock text at or before every insert not yet pushed of p's names
 * ("" if there is none): tombstones older than it cannot matter. */
int op_api_neo4j_pull_oldest(struct pull *p,
			     char out[OP_NEO4J_PULL_CLOCK + 1]);

/* ---- which entries were a pull's (api_neo4j_pull_ranges.c) ---- */

/* A cursor row's seq; 0 when there is none (never pushed). */
int op_api_neo4j_pull_cursor(struct pull *p, const char *name, int64_t *out);
/* The ranges of seqs earlier pulls wrote, in seq order: a JSON array
 * (cJSON_Delete), NULL when there is none or it cannot be read (then
 * every entry counts as a local change: data is kept, not lost). */
int op_api_neo4j_pull_ranges(struct pull *p, cJSON **out);
/* Whether entry seq of tbl was written by a pull that reconciled tbl.
 * *at starts at the ranges' first element; entries come in seq order
 * and it walks on with them. */
int op_api_neo4j_pull_was_pulled(const cJSON **at, int64_t seq,
				 const char *tbl);
/* Before the pull writes: note the log's last seq. After: record the
 * seqs written since, with p's names, in the same transaction. */
int op_api_neo4j_pull_mark_begin(struct pull *p);
int op_api_neo4j_pull_mark_end(struct pull *p);

/* ---- who wins (api_neo4j_pull_rule.c) ---- */

/* 1 if the local value of column (relationship field) col, pending in
 * d (may be NULL), stays over snapshot item it's. */
int op_api_neo4j_pull_local_col(const struct pend *d,
				const struct op_neo4j_pull_item *it,
				const char *col);
/* 1 if local row uuid, which the snapshot lacks, stays: d holds its
 * insert not yet pushed and no tombstone in Neo4j is as new. */
int op_api_neo4j_pull_local_insert(const struct pull *p,
				   const struct pend *d, const char *uuid);
/* 1 if a row the store deleted, which the snapshot has as it, stays
 * deleted: d holds the delete, not yet pushed and newer than its row
 * clock in Neo4j. */
int op_api_neo4j_pull_local_delete(const struct pend *d,
				   const struct op_neo4j_pull_item *it);

#endif
