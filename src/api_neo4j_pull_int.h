/* api_neo4j_pull_int.h - what the files of outpost_neo4j_pull() share:
 * api_neo4j_pull.c (checks, the snapshot, the transaction),
 * api_neo4j_pull_nodes.c (label rows by SQL, so the capture triggers log
 * them) and api_neo4j_pull_edges.c (relationships, logged and applied as
 * single edge writes are). */
#ifndef OP_API_NEO4J_PULL_INT_H
#define OP_API_NEO4J_PULL_INT_H

#include <cjson/cJSON.h>

#include "api_graph_int.h"
#include "sink_neo4j_pull.h"

struct pull {
	outpost *db;
	struct op_schema *s;
	const struct op_table **labels;
	size_t nlabels;
	const struct op_reltype **types;
	size_t ntypes;
	struct op_neo4j_pull_set *nsets; /* per label, sorted by uuid */
	struct op_neo4j_pull_set *esets; /* per type, sorted by uuid */
	struct op_adj_txn *t;		 /* the write txn, while it runs */
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

#endif
