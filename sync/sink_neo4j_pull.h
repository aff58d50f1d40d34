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
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sink.h"

/* How a uuid is made for a node or relationship without one: UUID v8
 * (op_uuid_v8) of ("neo4j", "node" or "rel", label or type, Neo4j's
 * internal id in decimal). Deterministic, so a write-back lost on the
 * way and done again gives the same uuid. */
#define OP_NEO4J_PULL_NS "neo4j"

/* A clock as the mirror keeps it (sync/PROTOCOL.md "Neo4j", "Clocks"):
 * 20 decimal digits of hlc and 32 hex digits of site, so text order
 * (strcmp) is clock order. */
#define OP_NEO4J_PULL_CLOCK 52
void op_neo4j_pull_clock(char out[OP_NEO4J_PULL_CLOCK + 1], uint64_t hlc,
			 const uint8_t site[16]);

/* One node or relationship of a snapshot. uuid as Neo4j holds it
 * (checked and normalised by the store); from and to: the uuids of a
 * relationship's ends ("" for a node, NULL when the end has none);
 * props: every property but uuid and outpost's own (_outpost*), as
 * Neo4j answered them, except that an integer beyond 2^53 is a string
 * of its decimal digits. The clocks a push left: clk the row clock
 * (_outpost_clk; NULL when none, e.g. authored by hand), clocks an
 * object of property name -> its own clock (_outpost_clk_<name>) for
 * those that have one. In a set of tombstones (op_neo4j_pull_tombs):
 * uuid and clk only. */
struct op_neo4j_pull_item {
	char *uuid;
	char *from, *to;
	cJSON *props;
	char *clk;
	cJSON *clocks;
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

/* The tombstones (:_outpost_tomb {uuid, clk}) whose clock is at least
 * min (clock text), whatever their label or type, paged by uuid, into
 * *out (emptied first; free with op_neo4j_pull_set_free either way):
 * what a push of a delete left, so an insert older than it is not
 * sent again. */
int op_neo4j_pull_tombs(struct op_neo4j_pull *p, const char *min,
			struct op_neo4j_pull_set *out);

/* The last failure's message, and whether it may pass by itself (the
 * network, the server's load). Borrowed until the next call. */
const char *op_neo4j_pull_errmsg(const struct op_neo4j_pull *p);
int op_neo4j_pull_transient(const struct op_neo4j_pull *p);

#endif
