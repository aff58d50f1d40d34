/* outpost.h - the whole public C API of outpost, an embedded local-first
 * store with sync: relational rows in SQLite, graph adjacency in LMDB, and a
 * change log that every write lands in.
 *
 * Conventions (see STYLE.md): functions that can fail return OUTPOST_OK (0)
 * or a negative OUTPOST_E* code; out-parameters come first; the message for
 * the last failure on a handle is outpost_errmsg(db). A handle is used by one
 * thread at a time; separate handles (also in separate processes) may use one
 * store at once. */
#ifndef OUTPOST_H
#define OUTPOST_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define OUTPOST_API __attribute__((visibility("default")))
#else
#define OUTPOST_API
#endif

/* Return codes. Append-only: a code's value never changes. */
#define OUTPOST_OK	   0
#define OUTPOST_ERROR	   (-1)	 /* failure not covered below */
#define OUTPOST_EMISUSE	   (-2)	 /* bad argument from the caller */
#define OUTPOST_ENOMEM	   (-3)	 /* out of memory */
#define OUTPOST_ENOTFOUND  (-4)	 /* no such store, row, node, ... */
#define OUTPOST_EIO	   (-5)	 /* file system or disk failure */
#define OUTPOST_ECORRUPT   (-6)	 /* bad bytes on disk */
#define OUTPOST_EPROTO	   (-7)	 /* bad bytes from the network */
#define OUTPOST_ESCHEMA	   (-8)	 /* invalid schema or refused migration */
#define OUTPOST_ESQL	   (-9)	 /* SQL error (the message is SQLite's) */
#define OUTPOST_EREFUSED   (-10) /* refused by a sync policy or constraint */
#define OUTPOST_EBUSY	   (-11) /* store locked for longer than the timeout */
#define OUTPOST_EEXIST	   (-12) /* already exists */
#define OUTPOST_EDRIFT	   (-13) /* store and schema file disagree */
#define OUTPOST_EDENIED	   (-14) /* password does not match */
#define OUTPOST_ECLOCK	   (-15) /* remote clock past the drift bound */
#define OUTPOST_ENET	   (-16) /* the remote cannot be reached now */

/* A store: a directory holding the SQLite file, the LMDB environment and the
 * site's keys. Opaque. */
typedef struct outpost outpost;

/* Options for outpost_open() and outpost_init(). Start from
 * OUTPOST_OPEN_OPTS_INIT; fields may be added at the end. */
typedef struct outpost_open_opts {
	unsigned version;     /* OUTPOST_OPEN_OPTS_VERSION */
	unsigned busy_ms;     /* how long to wait for another writer; 0 = 30 s */
	int read_only;	      /* open without taking the write path */
	/* Version 2: address space first reserved for the graph's map, in
	 * bytes (0 = 1 GiB). It grows by itself when full. */
	size_t graph_map_bytes;
} outpost_open_opts;
#define OUTPOST_OPEN_OPTS_VERSION 2u
#define OUTPOST_OPEN_OPTS_INIT {OUTPOST_OPEN_OPTS_VERSION, 0u, 0, 0}

/* Create a new store in directory dir (created if missing; it must not
 * already hold a store): SQLite file, LMDB environment, a random site id, an
 * Ed25519 key pair and a data key (key files mode 0600). opts may be NULL.
 * *out is set even on failure (unless out of memory) so outpost_errmsg()
 * can be read; close it with outpost_close(). Returns OUTPOST_OK,
 * OUTPOST_EEXIST, OUTPOST_EIO, ... */
OUTPOST_API int outpost_init(outpost **out, const char *dir,
			     const outpost_open_opts *opts);

/* Open an existing store. Same contract as outpost_init(); OUTPOST_ENOTFOUND
 * if dir holds no store. */
OUTPOST_API int outpost_open(outpost **out, const char *dir,
			     const outpost_open_opts *opts);

/* Close a store and free the handle. NULL does nothing. */
OUTPOST_API void outpost_close(outpost *db);

/* The message of the last failure on db: one line a person can act on.
 * Borrowed; valid until the next call on db. Never NULL. */
OUTPOST_API const char *outpost_errmsg(const outpost *db);

/* The name of a return code ("OUTPOST_ESQL"); static storage. */
OUTPOST_API const char *outpost_errstr(int rc);

/* ---- schema ---------------------------------------------------------- */

/* Apply the schema file at path (see schema/FORMAT.md): the first schema of
 * a store, or a newer version (additive changes apply by themselves,
 * destructive ones need the file's explicit migration steps). Everything is
 * one transaction: on failure the store is unchanged. OUTPOST_ESCHEMA names
 * file, JSON path and reason. */
OUTPOST_API int outpost_schema_apply(outpost *db, const char *path);

/* Compare the schema file at path (or, if path is NULL, the schema recorded
 * in the store) with the store's actual tables, indexes and triggers.
 * *out receives a newline-separated list of drifts (each names the object
 * and the difference), or NULL when there is none; free it with
 * outpost_free(). Returns OUTPOST_OK when there is no drift, OUTPOST_EDRIFT
 * when there is. */
OUTPOST_API int outpost_schema_check(char **out, outpost *db,
				     const char *path);

/* The schema recorded in the store, as JSON text. *out is yours: free it
 * with outpost_free(). OUTPOST_ENOTFOUND if no schema was applied. */
OUTPOST_API int outpost_schema_show(char **out, outpost *db);

/* ---- SQL ------------------------------------------------------------- */

/* Value types, as SQLite's. */
#define OUTPOST_INTEGER 1
#define OUTPOST_REAL	2
#define OUTPOST_TEXT	3
#define OUTPOST_BLOB	4
#define OUTPOST_NULL	5

/* One value. For TEXT, s is NUL-terminated and n its length; for BLOB, s
 * points at n bytes. Values handed to a callback are borrowed for the
 * duration of the call. */
typedef struct outpost_value {
	int type;
	long long i;
	double r;
	const char *s;
	size_t n;
} outpost_value;

/* Called once per result row: ncols columns, their names and values.
 * Return 0 to go on, anything else to stop (outpost_sql then returns
 * OUTPOST_OK, the writes done so far are committed). */
typedef int (*outpost_row_fn)(void *ctx, int ncols,
			      const char *const *names,
			      const outpost_value *vals);

/* Run a script of one or more SQL statements as one transaction: writes to
 * synced tables are captured in the change log by the store's triggers, and
 * if any statement fails nothing of the script is kept. params (nparams
 * values, may be NULL) are bound to ?1.. of every statement that uses them.
 * row is called for each row of each statement that returns rows (may be
 * NULL). Explicit BEGIN/COMMIT/ROLLBACK are refused: the script already is
 * a transaction. OUTPOST_ESQL carries SQLite's message; OUTPOST_EREFUSED a
 * sync policy's. */
OUTPOST_API int outpost_sql(outpost *db, const char *sql,
			    const outpost_value *params, int nparams,
			    outpost_row_fn row, void *ctx);

/* outpost_sql() as the central authority: central_wins tables accept the
 * writes, and nothing is captured for sync (like changes pulled from
 * central, they are not this device's to push); node rows are logged
 * under the central site (all zeros) so the graph gets its nodes. For loading curriculum into a store that
 * has no server yet, e.g. a kiosk or a laptop prototype. The whole script
 * holds the write lock. */
OUTPOST_API int outpost_sql_central(outpost *db, const char *sql,
				    const outpost_value *params, int nparams,
				    outpost_row_fn row, void *ctx);

/* ---- change log ------------------------------------------------------ */

/* One change-log entry, as handed to outpost_log_each(). Strings are
 * borrowed for the duration of the callback. */
typedef struct outpost_change {
	long long seq;	     /* position in the log, increasing */
	unsigned long long hlc;	/* hybrid logical clock: ms << 16 | counter */
	const char *site;    /* site id, 32 hex digits */
	const char *table;   /* table, node label or relationship type */
	char op;	     /* 'I' insert, 'U' update, 'D' delete */
	const char *row_id;  /* uuid of the row */
	const char *values;  /* JSON object of changed columns, or NULL */
} outpost_change;

/* Which entries outpost_log_each() visits. Start from
 * OUTPOST_LOG_FILTER_INIT. */
typedef struct outpost_log_filter {
	unsigned version;
	long long after_seq;   /* only seq > after_seq */
	const char *table;     /* only this table, or NULL */
	const char *row_id;    /* only this row, or NULL */
	char op;	       /* 'I', 'U', 'D', or 0 for any */
	long long limit;       /* at most this many; 0 = no limit */
	int newest_first;      /* visit in descending seq */
} outpost_log_filter;
#define OUTPOST_LOG_FILTER_VERSION 1u
#define OUTPOST_LOG_FILTER_INIT {OUTPOST_LOG_FILTER_VERSION, 0, 0, 0, 0, 0, 0}

typedef int (*outpost_change_fn)(void *ctx, const outpost_change *c);

/* Visit change-log entries matching f (NULL = all), in one read
 * transaction. fn returns 0 to go on. */
OUTPOST_API int outpost_log_each(outpost *db, const outpost_log_filter *f,
				 outpost_change_fn fn, void *ctx);

/* ---- status ---------------------------------------------------------- */

typedef struct outpost_status {
	unsigned version;
	char site_id[33];	   /* hex */
	char schema_name[64];	   /* "" if none applied */
	long long schema_version;  /* 0 if none applied */
	long long log_entries;	   /* rows in the change log */
	long long last_seq;	   /* highest seq, 0 if empty */
	unsigned long long last_hlc;
	long long graph_applied_seq; /* graph applier's cursor */
	int tables;		   /* tables + node labels in the schema */
} outpost_status;
#define OUTPOST_STATUS_VERSION 1u

/* Fill *out (caller's struct; set out->version = OUTPOST_STATUS_VERSION). */
OUTPOST_API int outpost_status_get(outpost_status *out, outpost *db);

/* ---- sync with a central PostgreSQL ---------------------------------- */

/* Point the store at central PostgreSQL (sync/PROTOCOL.md). conninfo is
 * libpq's ("host=... port=... dbname=... user=..." or a postgresql://
 * URI) and must not hold a password: that is read from password_file
 * (NULL: none), which must be a regular file only its owner can read
 * (0600), and is kept in the store's keys directory, mode 0600; or it is
 * given at sync time in OUTPOST_PG_PASSWORD. Nothing is contacted yet. */
OUTPOST_API int outpost_remote_set_pg(outpost *db, const char *conninfo,
				      const char *password_file);

/* A batch ends at `batch` changes or once its values reach about
 * `batch_bytes`, whichever comes first (a single larger change still
 * travels, alone). Version 1 callers (no batch_bytes) are accepted. */
typedef struct outpost_sync_opts {
	unsigned version;
	long long batch;       /* changes per batch; 0 = 10,000 */
	long long batch_bytes; /* bytes of values per batch; 0 = 8 MiB */
} outpost_sync_opts;
#define OUTPOST_SYNC_OPTS_VERSION 2u
#define OUTPOST_SYNC_OPTS_INIT {OUTPOST_SYNC_OPTS_VERSION, 0, 0}

/* Version 1 (no batches) and 2 (no neo4j_pushed) callers are accepted. */
typedef struct outpost_sync_result {
	unsigned version;
	long long pushed;  /* this store's changes central took */
	long long pulled;  /* central's changes received */
	int transient;	   /* the failure may pass by itself: try again */
	long long batches; /* push and pull batches */
	long long neo4j_pushed; /* changes sent to the Neo4j mirror (v3) */
} outpost_sync_result;
#define OUTPOST_SYNC_RESULT_VERSION 3u

/* One round with central: push this store's changes after the push
 * cursor, then pull the others' after the pull cursor; every batch is
 * all or nothing on both sides, so an interrupted sync loses nothing and
 * applies nothing twice. Then, if a Neo4j mirror is set
 * (outpost_remote_set_neo4j), push to it (also when central is not set,
 * or failed: the mirror is independent). out (may be NULL; set
 * out->version) gets the counts. OUTPOST_ENOTFOUND if no remote is set;
 * OUTPOST_ENET when central or Neo4j cannot be reached (out->transient);
 * OUTPOST_ESCHEMA when the schema versions differ (the message says what
 * to run). When both fail, the message names both. */
OUTPOST_API int outpost_sync(outpost *db, const outpost_sync_opts *opts,
			     outpost_sync_result *out);

/* Called by outpost_sync_watch after each round: rc and its result (the
 * message is outpost_errmsg(db)); and how long it will wait. Return
 * non-zero to stop. */
typedef int (*outpost_watch_fn)(void *ctx, int rc,
				const outpost_sync_result *r,
				unsigned wait_ms);

/* outpost_sync again and again: every interval_ms after a success, and
 * backing off (doubling up to 5 minutes) after a failure, until fn or
 * should_stop (polled about ten times a second; may be NULL) says stop.
 * Returns OUTPOST_OK when stopped. */
OUTPOST_API int outpost_sync_watch(outpost *db, const outpost_sync_opts *opts,
				   unsigned interval_ms, outpost_watch_fn fn,
				   int (*should_stop)(void *ctx), void *ctx);

/* One remote's state, for `outpost status`. */
typedef struct outpost_sink_status {
	unsigned version;
	int configured;		/* a remote is set */
	char remote[512];	/* where (conninfo; never a password) */
	long long pending;	/* this store's changes not yet pushed */
	long long push_seq;	/* push cursor (the log's seq) */
	long long pull_seq;	/* pull cursor (central's sseq) */
	char last_ok[40];	/* time of the last successful round, or "" */
	char last_error[512];	/* the last round's error, "" after a success */
} outpost_sink_status;
#define OUTPOST_SINK_STATUS_VERSION 1u

/* The state of sink "pg" or "neo4j"; set out->version. For "neo4j",
 * remote is "URL (database NAME)", pending counts the node and
 * relationship changes of the whole log (this store's and those pulled
 * from central) not yet pushed, and pull_seq is 0. */
OUTPOST_API int outpost_sink_status_get(outpost_sink_status *out,
					outpost *db, const char *sink);

/* ---- the Neo4j graph mirror ------------------------------------------ */

/* Where the store mirrors its node labels and relationship types
 * (sync/PROTOCOL.md "Neo4j"). Start from OUTPOST_NEO4J_REMOTE_INIT. */
typedef struct outpost_neo4j_remote {
	unsigned version;
	const char *url;	   /* http(s)://host:port[/prefix]: no user,
				      password, query or fragment */
	const char *database;	   /* NULL: "neo4j" */
	const char *user;	   /* Basic auth user; NULL: "neo4j". At sync
				      time OUTPOST_NEO4J_USER overrides it */
	const char *password_file; /* or NULL: read now, kept 0600 */
	const char *token_file;	   /* a Bearer token instead; or NULL */
	const char *ca_file;	   /* PEM CAs to trust instead of the
				      system's; or NULL */
} outpost_neo4j_remote;
#define OUTPOST_NEO4J_REMOTE_VERSION 1u
#define OUTPOST_NEO4J_REMOTE_INIT                                             \
	{OUTPOST_NEO4J_REMOTE_VERSION, NULL, NULL, NULL, NULL, NULL, NULL}

/* Point the store at a Neo4j mirror; outpost_sync() then pushes to it.
 * password_file or token_file (at most one) must be a regular file only
 * its owner can read (0600); its content is kept in the store's keys
 * directory (neo4j.pass or neo4j.token, 0600) and replaces the other.
 * At sync time OUTPOST_NEO4J_TOKEN or OUTPOST_NEO4J_PASSWORD, when set,
 * is used instead. No secret is ever on a command line, in the store's
 * tables or in a message. Nothing is contacted yet. OUTPOST_EMISUSE for
 * a bad URL, database name or combination. */
OUTPOST_API int outpost_remote_set_neo4j(outpost *db,
					 const outpost_neo4j_remote *r);

/* Compare the Neo4j mirror's uniqueness constraints and recorded schema
 * with the store's schema. *out (NULL when there is no drift; free with
 * outpost_free) lists each difference on a line. OUTPOST_OK when there
 * is none, OUTPOST_EDRIFT when there is, OUTPOST_ENOTFOUND if no mirror
 * or no schema is set, OUTPOST_ENET if Neo4j cannot be reached. */
OUTPOST_API int outpost_neo4j_check(char **out, outpost *db);

/* What outpost_neo4j_pull() takes from the mirror: node labels and
 * relationship types of the schema (a name outside it is refused).
 * Start from OUTPOST_NEO4J_PULL_OPTS_INIT. */
typedef struct outpost_neo4j_pull_opts {
	unsigned version;
	const char *const *labels;
	size_t nlabels;
	const char *const *types;
	size_t ntypes;
	long long page; /* rows per request; 0 = 1000 */
} outpost_neo4j_pull_opts;
#define OUTPOST_NEO4J_PULL_OPTS_VERSION 1u
#define OUTPOST_NEO4J_PULL_OPTS_INIT                                          \
	{OUTPOST_NEO4J_PULL_OPTS_VERSION, NULL, 0, NULL, 0, 0}

/* What a pull did. Set version = OUTPOST_NEO4J_PULL_RESULT_VERSION;
 * version 1 callers (no kept) are accepted. */
typedef struct outpost_neo4j_pull_result {
	unsigned version;
	long long nodes, nodes_new, nodes_changed, nodes_removed;
	long long rels, rels_new, rels_changed, rels_removed;
	long long uuids_assigned; /* written back to Neo4j */
	long long skipped;	  /* undeclared properties not taken */
	char skipped_first[160];  /* "Label uuid: property" of the first */
	/* nodes and relationships where a local change not yet pushed to
	 * Neo4j was kept over the snapshot (v2) */
	long long kept;
} outpost_neo4j_pull_result;
#define OUTPOST_NEO4J_PULL_RESULT_VERSION 2u

/* Pull a snapshot of the mirror's nodes of opts->labels and
 * relationships of opts->types (sync/PROTOCOL.md "Neo4j", "Pull") and
 * make the local graph match it through the store's own writes, so
 * every change is in the change log: new nodes and relationships are
 * inserted, changed values updated, and those of these labels and types
 * that Neo4j no longer has deleted. A local change not yet pushed to
 * Neo4j (in the change log after the mirror's push cursor, and not a
 * pull's own write) is kept where the next push would take it into
 * Neo4j: column by column (relationship property by property), an
 * update or insert newer than the clock Neo4j holds for that value
 * (none, for a value authored by hand), an insert of what Neo4j lacks
 * unless a newer delete left a tombstone there, a delete newer than the
 * node's or relationship's clock there; Neo4j's value wins everywhere
 * else (counted in out->kept). A node or relationship without a
 * uuid gets a deterministic one, written back to Neo4j first. Only
 * declared properties are taken (others are counted in out->skipped).
 * The local writes are one transaction: all or nothing. out (may be
 * NULL) gets the counts. OUTPOST_EMISUSE for a name outside the schema;
 * OUTPOST_EREFUSED for a central_wins label or type, or a value that
 * does not fit its column (the message names label, uuid and
 * property); OUTPOST_ENOTFOUND if no mirror is set; OUTPOST_ENET if
 * Neo4j cannot be reached. */
OUTPOST_API int outpost_neo4j_pull(outpost_neo4j_pull_result *out,
				   outpost *db,
				   const outpost_neo4j_pull_opts *opts);

/* ---- central PostgreSQL: administration --------------------------- */

/* A connection to central PostgreSQL as its administrator. Opaque. */
typedef struct outpost_central outpost_central;

/* Connect to central. conninfo is libpq's and should hold no password:
 * libpq reads PGPASSWORD or ~/.pgpass, and outpost the file named by
 * $OUTPOST_PG_PASSWORD_FILE (mode 0600; a file group or others can read
 * is refused). *out is set even on failure (unless out of memory) so
 * outpost_central_errmsg() can be read; close it with
 * outpost_central_close(). OUTPOST_ENET if central cannot be reached
 * (the message is PostgreSQL's). A handle is used by one thread at a
 * time. */
OUTPOST_API int outpost_central_open(outpost_central **out,
				     const char *conninfo);

/* Close the connection and free the handle. NULL does nothing. */
OUTPOST_API void outpost_central_close(outpost_central *c);

/* The message of the last failure on c, PostgreSQL's own words after
 * what outpost was doing. Borrowed; valid until the next call on c. */
OUTPOST_API const char *outpost_central_errmsg(const outpost_central *c);

#define OUTPOST_CENTRAL_UNCHANGED 0 /* already so: nothing changed */
#define OUTPOST_CENTRAL_INSTALLED 1
#define OUTPOST_CENTRAL_MIGRATED  2

/* Install central for the schema file at path (sync/PROTOCOL.md
 * "Central"): the tables, outpost's log, registry, clocks, capture
 * triggers and scope policies, in one transaction. *out (may be NULL)
 * says what happened: INSTALLED, or UNCHANGED when central already holds
 * this schema version. OUTPOST_ESCHEMA when central holds another version
 * (the message says to run central migrate); OUTPOST_EREFUSED when it
 * holds another schema. */
OUTPOST_API int outpost_central_init(int *out, outpost_central *c,
				     const char *path);

/* Move central to the newer schema version in the file at path, in one
 * transaction: additive changes, and drops the file's migrations name
 * (anything else is refused with OUTPOST_ESCHEMA, nothing changed);
 * catalog, triggers, policies and every device's grants follow. *out:
 * MIGRATED, or UNCHANGED at the same version. */
OUTPOST_API int outpost_central_migrate(int *out, outpost_central *c,
					const char *path);

/* Options for outpost_central_add_device(). Start from
 * OUTPOST_DEVICE_OPTS_INIT. */
typedef struct outpost_device_opts {
	unsigned version;	   /* OUTPOST_DEVICE_OPTS_VERSION */
	const char *const *scopes; /* "KEY=VALUE" each; KEY a schema scope */
	size_t nscopes;		   /* 0 for a known device: keep its scopes */
	const char *password_file; /* NULL: ./NAME.pgpass */
	int new_password;	   /* a known device gets a new password */
} outpost_device_opts;
#define OUTPOST_DEVICE_OPTS_VERSION 1u
#define OUTPOST_DEVICE_OPTS_INIT {OUTPOST_DEVICE_OPTS_VERSION, NULL, 0, NULL, 0}

/* Register device name (letters, digits, _ and -, at most 40): the LOGIN
 * role outpost_dev_NAME with a random password written to a new file of
 * mode 0600 (never printed), its scopes and grants. For a known device:
 * its scopes are replaced by the ones given, and its password changes
 * only with new_password. *out (yours: outpost_free()) says what was
 * done and the command to run on the device. OUTPOST_EEXIST if the
 * password file exists or the role belongs to no device here;
 * OUTPOST_EMISUSE for a bad name or scope. */
OUTPOST_API int outpost_central_add_device(char **out, outpost_central *c,
					   const char *name,
					   const outpost_device_opts *opts);

/* Compare a schema with central: the version central records, and what
 * PostgreSQL really holds (tables, columns, types, row-level security,
 * capture triggers, outpost's tables). The schema is the file at path,
 * or if path is NULL the one recorded in store db. *out (yours:
 * outpost_free()) lists each drift by name, one per line, or is NULL.
 * OUTPOST_OK when there is none, OUTPOST_EDRIFT when there is. Errors go
 * to c. */
OUTPOST_API int outpost_central_check(char **out, outpost_central *c,
				      outpost *db, const char *path);

/* ---- graph ------------------------------------------------------------ */

#define OUTPOST_OUT  1
#define OUTPOST_IN   2
#define OUTPOST_BOTH 3

/* What a traversal follows. Start from OUTPOST_TRAVERSAL_INIT (out, any
 * type, depth exactly 1). Version 1 callers (no as_of) still work. */
typedef struct outpost_traversal {
	unsigned version;
	const char *const *types; /* relationship types; NULL = any */
	int ntypes;
	int direction;		  /* OUTPOST_OUT, OUTPOST_IN, OUTPOST_BOTH */
	int min_depth;		  /* count nodes at distance >= min_depth */
	int max_depth;		  /* ... and <= max_depth; 0 = unbounded */
	long long limit;	  /* stop after this many nodes; 0 = no limit */
	/* Version 2: a timestamp ("2026-01-31T12:00:00Z"): follow only
	 * edges valid then (valid_from <= as_of < valid_to; types without
	 * validity are always valid). NULL = every edge. */
	const char *as_of;
} outpost_traversal;
#define OUTPOST_TRAVERSAL_VERSION 2u
#define OUTPOST_TRAVERSAL_INIT                                               \
	{OUTPOST_TRAVERSAL_VERSION, NULL, 0, OUTPOST_OUT, 1, 1, 0, NULL}

/* Called per node a traversal yields: its uuid (borrowed for the call)
 * and its distance from the start. Return non-zero to stop. */
typedef int (*outpost_node_fn)(void *ctx, const char *uuid, int depth);

/* The distinct nodes reachable from start as tr says (start excluded),
 * breadth first, each once, in one consistent snapshot. A node is named
 * by its uuid or by its original import id. fn may be NULL; *count (may
 * be NULL) gets how many. OUTPOST_ENOTFOUND if start is no node. */
OUTPOST_API int outpost_graph_neighbours(outpost *db,
					 const outpost_traversal *tr,
					 const char *start, outpost_node_fn fn,
					 void *ctx, long long *count);

/* The same count for n start nodes in one snapshot: counts[i] for
 * starts[i], -1 where starts[i] names no node. */
OUTPOST_API int outpost_graph_count_many(outpost *db,
					 const outpost_traversal *tr,
					 const char *const *starts, size_t n,
					 long long *counts);

/* A shortest path from a to b following tr's types and direction
 * (depths are ignored; max_depth, if set, bounds the length). fn gets
 * the path's nodes in order (a first); *length (may be NULL) gets its
 * length, -1 when there is no path (then OUTPOST_OK too). */
OUTPOST_API int outpost_graph_path(outpost *db, const outpost_traversal *tr,
				   const char *a, const char *b,
				   outpost_node_fn fn, void *ctx,
				   long long *length);

/* Path lengths for n pairs in one snapshot: lengths[i] for (a[i], b[i]),
 * -1 when there is no path or either names no node. */
OUTPOST_API int outpost_graph_path_many(outpost *db,
					const outpost_traversal *tr,
					const char *const *a,
					const char *const *b, size_t n,
					long long *lengths);

/* The ancestors of node by type (every node with a path to it along
 * type's edges), in topological order: each after all its ancestors
 * (what to learn first). Equal ranks are ordered by uuid, so the order
 * is the same on every store. The node itself is not listed. fn (may be
 * NULL) gets each with its depth 0 (non-zero stops; *count then counts
 * those handed out); *count (may be NULL) how many. OUTPOST_ENOTFOUND
 * for an unknown node or type; OUTPOST_EREFUSED, naming it, if a cycle
 * runs among the ancestors or through the node. */
OUTPOST_API int outpost_graph_topo(outpost *db, const char *type,
				   const char *node, outpost_node_fn fn,
				   void *ctx, long long *count);

/* ---- graph writes ----------------------------------------------------- */

/* An edge to add. Start from OUTPOST_EDGE_INIT. */
typedef struct outpost_edge {
	unsigned version;
	const char *type;	/* a relationship type of the schema */
	const char *from;	/* node uuid or import id */
	const char *to;
	const char *properties; /* JSON object of the type's properties, or
				   NULL */
	const char *valid_from; /* timestamp, or NULL = unbounded; only for
				   types declared with validity */
	const char *valid_to;	/* exclusive; NULL = unbounded */
	int central;		/* write as the central authority: see
				   outpost_sql_central() */
} outpost_edge;
#define OUTPOST_EDGE_VERSION 1u
#define OUTPOST_EDGE_INIT                                                    \
	{OUTPOST_EDGE_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, 0}

/* Add an edge: one change-log entry and the adjacency, committed together
 * (DESIGN section 2). uuid (37 bytes, may be NULL) gets the new edge's
 * uuid. OUTPOST_ENOTFOUND if an end names no node; OUTPOST_EREFUSED if
 * the ends' labels are not the type's, the type is central_wins (unless
 * e->central), or the type is acyclic and the edge would close a cycle
 * (the message names the cycle). */
OUTPOST_API int outpost_graph_edge_add(outpost *db, const outpost_edge *e,
				       char *uuid);

/* Change an edge's properties (the keys given replace theirs; a null
 * value removes one) and validity (e->valid_from/valid_to, NULL = keep);
 * e->from and e->to must be NULL (an edge's ends do not move) and
 * e->type may be NULL. */
OUTPOST_API int outpost_graph_edge_update(outpost *db, const char *uuid,
					  const outpost_edge *e);

/* Delete an edge by uuid (central: as in outpost_edge). OUTPOST_ENOTFOUND
 * if there is none. Deleting a node row deletes its edges. */
OUTPOST_API int outpost_graph_edge_delete(outpost *db, const char *uuid,
					  int central);

/* An edge as outpost_graph_edges_each() hands it out; borrowed for the
 * callback. Timestamps NULL when unbounded. */
typedef struct outpost_edge_info {
	const char *uuid;
	const char *type;
	const char *from; /* node uuids */
	const char *to;
	const char *properties; /* JSON object, or NULL */
	const char *valid_from;
	const char *valid_to;
} outpost_edge_info;
typedef int (*outpost_edge_fn)(void *ctx, const outpost_edge_info *e);

/* Every edge (of type, or of any type when NULL) in one snapshot. fn
 * returns 0 to go on. */
OUTPOST_API int outpost_graph_edges_each(outpost *db, const char *type,
					 outpost_edge_fn fn, void *ctx);

/* Check the graph: both adjacency directions against the edge records,
 * the node index against the node tables, and the read snapshot against
 * the adjacency. OUTPOST_OK when clean; OUTPOST_ECORRUPT when not, with
 * *report (yours: outpost_free()) listing the mismatches, one per line
 * (the first 100, then how many more). OUTPOST_EBUSY if the graph could
 * not be brought up to the change log (a read-only handle). */
OUTPOST_API int outpost_graph_verify(char **report, outpost *db);

/* Import neo4j-admin CSV files: node files (uuid:ID or id:ID, :LABEL,
 * typed properties) and relationship files (:START_ID, :END_ID, :TYPE).
 * Labels, types and property columns must be in the schema, unless
 * add_to_schema is set: then new labels become node tables, new types
 * go from the label of their first edge's start to that of its end,
 * missing columns and properties are added (nullable, typed by their
 * headers), and the schema's version goes up by one, all in the import's
 * transaction. Non-uuid ids get a deterministic UUID v8 from (label,
 * id), so two stores importing the same files agree. All or nothing: on
 * failure the store (and its schema) is as it was and outpost_errmsg()
 * names file, line and reason. */
typedef struct outpost_import_opts {
	unsigned version;
	int progress;	   /* report progress on stderr */
	int add_to_schema; /* add what the files need to the schema (v2) */
} outpost_import_opts;
/* Version 1 (no add_to_schema) is still accepted from older callers. */
#define OUTPOST_IMPORT_OPTS_VERSION 2u
#define OUTPOST_IMPORT_OPTS_INIT {OUTPOST_IMPORT_OPTS_VERSION, 0, 0}

OUTPOST_API int outpost_import(outpost *db, const char *const *node_files,
			       size_t nnode_files,
			       const char *const *rel_files, size_t nrel_files,
			       const outpost_import_opts *opts);

/* ---- ids, clocks, passwords ------------------------------------------ */

/* A new UUID v7 in canonical text form; out has room for 37 bytes. */
OUTPOST_API int outpost_uuid_v7(char out[37]);

/* A fresh hybrid logical clock value for this store, greater than every
 * clock it has issued or seen. */
OUTPOST_API int outpost_hlc_now(unsigned long long *out, outpost *db);

/* Hash a password with Argon2id. *out is yours: free with outpost_free().
 * In SQL the same is outpost_password('plain'). */
OUTPOST_API int outpost_password_hash(char **out, const char *plain);

/* OUTPOST_OK if plain matches hash, OUTPOST_EDENIED if not. In SQL:
 * outpost_verify(hash, 'plain') gives 1 or 0. */
OUTPOST_API int outpost_password_verify(const char *hash, const char *plain);

/* Free memory the library handed out. NULL does nothing. */
OUTPOST_API void outpost_free(void *p);

#ifdef __cplusplus
}
#endif
#endif /* OUTPOST_H */
