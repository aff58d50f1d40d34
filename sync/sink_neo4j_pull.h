/* sink_neo4j_pull.h - the Neo4j side of `outpost pull --neo4j`
 * (neo4j_pull.c; sync/PROTOCOL.md "Neo4j", "Pull"): a snapshot of one
 * node label or relationship type, read in pages ordered by uuid, after
 * every node or relationship of it that has no uuid (authored by hand in
 * Neo4j) got a deterministic one, written back. The store's side
 * (src/api_neo4j_pull*.c) reconciles the snapshot with the local graph.
 * Named sink_* so the store's layer may include it (STYLE.md section 2:
 * it sits with sink.h); only neo4j_pull.c sees the HTTP client. */
#ifndef OP_SINK_NEO4J_PULL_H
#define OP_SINK_NEO4J_PULL_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "sink.h"

/* How a uuid is made for a node or relationship without one: UUID v8
 * (op_uuid_v8) of ("neo4j", "node" or "rel", label or type, Neo4j's
 * internal id in decimal). Deterministic, so a write-back lost on the
 * way and done again gives the same uuid. */
#define OP_NEO4J_PULL_NS "neo4j"

/* One node or relationship of a snapshot. uuid as Neo4j holds it
 * (checked and normalised by the store); from and to: the uuids of a
 * relationship's ends ("" for a node, NULL when the end has none);
 * props: every property but uuid and outpost's own (_outpost*), as
 * Neo4j answered them, except that an integer beyond 2^53 is a string
 * of its decimal digits. */
struct op_neo4j_pull_item {
	char *uuid;
	char *from, *to;
	cJSON *props;
};

/* A snapshot of one label or type, items in the order Neo4j sorted the
 * uuids. assigned: how many got a uuid written back. */
struct op_neo4j_pull_set {
	struct op_neo4j_pull_item *v;
	size_t n, cap;
	size_t assigned;
};
void op_neo4j_pull_set_free(struct op_neo4j_pull_set *s);

struct op_neo4j_pull;

/* A connection for a pull (nothing is contacted yet); opts as for the
 * sink (schema_json and rows unused; rows is the page size, 0: 1000).
 * On failure *out is NULL and errmsg says why. */
int op_neo4j_pull_open(struct op_neo4j_pull **out,
		       const struct op_neo4j_sink_opts *o, char *errmsg,
		       size_t errlen);
void op_neo4j_pull_close(struct op_neo4j_pull *p);

/* Give every node of label (relationship of type, when is_type) without
 * a uuid property its uuid, in Neo4j (SET ... WHERE uuid IS NULL).
 * *assigned (added to) counts them. */
int op_neo4j_pull_assign(struct op_neo4j_pull *p, int is_type,
			 const char *name, size_t *assigned);

/* The snapshot of label (is_type 0) or of type between the labels from
 * and to (is_type 1), paged by uuid, into *out (emptied first; free
 * with op_neo4j_pull_set_free either way). Call op_neo4j_pull_assign
 * first: items without a string uuid are not in it. */
int op_neo4j_pull_read(struct op_neo4j_pull *p, int is_type,
		       const char *name, const char *from, const char *to,
		       struct op_neo4j_pull_set *out);

/* The last failure's message, and whether it may pass by itself (the
 * network, the server's load). Borrowed until the next call. */
const char *op_neo4j_pull_errmsg(const struct op_neo4j_pull *p);
int op_neo4j_pull_transient(const struct op_neo4j_pull *p);

#endif
