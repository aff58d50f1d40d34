/* api_int.h - the store handle, shared by the api_*.c files that implement
 * outpost.h on top of rel, adj, log and schema. */
#ifndef OP_API_INT_H
#define OP_API_INT_H

#include "adj.h"
#include "log.h"
#include "rel.h"
#include "schema.h"

#define OP_STORE_FILE "store.db"
#define OP_GRAPH_DIR "graph"
#define OP_KEYS_DIR "keys"
#define OP_STORE_FORMAT "1"
#define OP_DEFAULT_BUSY_MS 30000u

struct outpost {
	struct op_err err;
	char *dir;
	struct op_rel *rel;
	struct op_adj *adj;
	uint8_t site[16];
	unsigned busy_ms;
	int read_only;
	size_t map_bytes;
	/* The log was looked at up to here and held no node or edge entry
	 * past applied_seq (api_graph_apply.c): the next look starts here,
	 * so relational writes cost the graph nothing but one query. */
	int64_t graph_checked;
};

/* Apply a parsed schema to the store inside one write transaction. */
int op_api_schema_install(outpost *db, const struct op_schema *s);
/* Move the store from schema `old` to `s` (a newer version). */
int op_api_schema_migrate(outpost *db, const struct op_schema *old,
			  const struct op_schema *s);
/* Record s as the store's schema (JSON, name, version). */
int op_api_schema_record(outpost *db, const struct op_schema *s);
/* The schema recorded in the store, or *out = NULL if none. */
int op_api_schema_current(outpost *db, struct op_schema **out);
/* CREATE TABLE and indexes of t. */
int op_api_create_table(outpost *db, const struct op_table *t);
/* Make t's indexes exactly the declared ones. */
int op_api_sync_indexes(outpost *db, const struct op_table *t);
/* Drop and recreate t's capture triggers (and clock table). */
int op_api_capture_install(outpost *db, const struct op_table *t);
/* *out = the one integer of sql (a count over the log), with ?1 = after
 * and ?2 = text (api_log.c): how many entries a sink would send. */
int op_api_log_count(outpost *db, const char *sql, int64_t after,
		     const char *text, int64_t *out);

#endif
