/* neo4j_graph.h - the graph of central PostgreSQL and of the Neo4j
 * mirror (neo4j_harness.h) as sorted text lines, one per node or
 * relationship, so the two compare line by line (t_neo4j_converge.c).
 *
 * Nodes: "Label uuid {name=value,...}" with every property the mirror
 * keeps (not the key, not passwords; not Neo4j's `uuid` and `_outpost*`
 * bookkeeping), nulls left out, by the schema's type: central's wire
 * text and what Neo4j holds in one form (numbers, booleans, text[] as a
 * list, json parsed, the rest as text); a value that does not fit its
 * type is marked "!", a property the schema does not have "?name".
 * Relationships: as sim_central_edges gives central's. */
#ifndef OP_TEST_NEO4J_GRAPH_H
#define OP_TEST_NEO4J_GRAPH_H

#include <cjson/cJSON.h>

#include "neo4j_harness.h"
#include "sync_sim.h"

/* Central's labels and types: {name: {kind, pk, cols: {name: type}}}
 * from outpost.catalog; free with cJSON_Delete. NULL after failing the
 * test. */
cJSON *ng_catalog(struct sim *s);
/* Every row of every label of central. Free with free(). */
char *ng_central_nodes(struct sim *s, const cJSON *cat);
/* Every node of Neo4j but tombstones and the schema's record; one whose
 * labels are not one of cat's shows them all. Free with free(). */
char *ng_nodes(struct t *t, const cJSON *cat);
/* Every relationship of Neo4j. Free with free(). */
char *ng_edges(struct t *t, const cJSON *cat);

/* A statement's answer (t_neo4j_cypher with params, may be NULL),
 * parsed; free with cJSON_Delete. NULL after failing the test. */
cJSON *ng_query(struct t *t, const char *statement, const char *params);
/* Its rows: an array of {"row": [...]}. */
cJSON *ng_rows(cJSON *answer);

#endif
