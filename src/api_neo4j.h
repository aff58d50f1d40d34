/* api_neo4j.h - the store's side of the Neo4j mirror, shared by
 * api_remote_neo4j.c (configuration, credentials, status, drift) and
 * api_sync_neo4j.c (the push round of outpost_sync). */
#ifndef OP_API_NEO4J_H
#define OP_API_NEO4J_H

#include "api_int.h"
#include "sink.h"

/* Cursor rows in _outpost_cursors: the log's seq pushed, and the sub of
 * a bulk import cut in the middle (see api_sync_neo4j.c). */
#define OP_NEO4J_CURSOR "neo4j_push"
#define OP_NEO4J_CURSOR_SUB "neo4j_push_sub"

/* The configured mirror with its credentials, as the sink takes them.
 * Filled by op_api_neo4j_config; freed (secret wiped) by
 * op_api_neo4j_config_free. */
struct op_api_neo4j_config {
	char *url, *database, *user, *secret, *ca_file;
	int bearer;
	char *schema_json; /* the store's schema */
};

/* 1 if a mirror is set, else 0. */
int op_api_neo4j_is_set(outpost *db);
/* OUTPOST_ENOTFOUND (with a message) when no mirror or no schema is set. */
int op_api_neo4j_config(outpost *db, struct op_api_neo4j_config *c);
void op_api_neo4j_config_free(struct op_api_neo4j_config *c);
/* The sink for c: rows per request (0: the sink's default). */
/* The sink's (and a pull's) options from the remote's config, rows per
 * request (0: the default); o borrows c's strings. */
void op_api_neo4j_sink_opts(struct op_neo4j_sink_opts *o,
			    const struct op_api_neo4j_config *c, size_t rows);
int op_api_neo4j_open(outpost *db, const struct op_api_neo4j_config *c,
		      size_t rows, struct op_sink **out);

/* One push round (api_sync_neo4j.c): every node and relationship change
 * of the log after the cursor, in batches of `batch` entries and
 * requests of `rows` changes (0: the sink's default). *pushed counts
 * changes sent; *transient says a failure may pass. The outcome is
 * noted for `status`. */
int op_api_neo4j_push(outpost *db, size_t batch, size_t rows,
		      size_t batch_bytes, long long *pushed, int *transient);
/* The mirror's part of outpost_sync(), after central's round ended with
 * rc (its message in db's): push, add to *res, and return the round's
 * outcome: central's failure first; when both failed the message names
 * both. batch: the caller's --batch, or 0: batches of 10,000 entries and
 * requests of the sink's default size (given, it bounds both). */
int op_api_sync_neo4j_round(outpost *db, int rc, size_t batch,
			    size_t batch_bytes, outpost_sync_result *res);
/* 1 if a central PostgreSQL remote is set. */
int op_api_remote_pg_is_set(outpost *db);
/* How many log entries after seq `after` a push would look at (a bulk
 * import counts once). */
int op_api_neo4j_pending(outpost *db, int64_t after, int64_t *out);
/* outpost_sink_status_get for "neo4j". */
int op_api_neo4j_status(outpost_sink_status *out, outpost *db);

#endif
