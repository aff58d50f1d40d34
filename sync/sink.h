/* sink.h - the one interface between the sync engine and a remote: the
 * engine (sync.c) owns cursors, batching, retry and backoff; a sink only
 * moves changes. PostgreSQL (pg_sink.c) and Neo4j (neo4j_sink.c) implement
 * it; tests add a fake one. Only sink implementations include libpq or
 * curl. The wire form of a change is sync/PROTOCOL.md's. */
#ifndef OP_SINK_H
#define OP_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "outpost.h"

/* One change as it travels: a change-log entry (outpost_change) plus the
 * site id in binary. */
struct op_change {
	int64_t seq;
	uint64_t hlc;
	uint8_t site[16];
	const char *table;
	char op;	    /* 'I', 'U', 'D' */
	const char *row_id;
	const char *values; /* JSON object of changed columns, or NULL */
	/* A bulk import is one log entry (seq) for many rows and edges; it
	 * travels as one change per row and edge, numbered 0.. by sub. 0
	 * for every other entry. */
	uint32_t sub;
};

/* Changes pulled from a remote, and the remote's position after them.
 * The sink owns the memory until its next pull or close. */
struct op_batch {
	struct op_change *changes;
	size_t n;
	uint64_t next; /* remote cursor to ask from next time */
	int more;      /* cut short by the byte bound: there is more */
};

/* What the remote says about itself and this device before a sync. */
struct op_sink_hello {
	int64_t pushed_seq;	 /* the device's entries the remote has */
	/* and of entry pushed_seq, when it is a bulk import, the changes up
	 * to this sub (0 for other entries and remotes without subs) */
	int64_t pushed_sub;
	char schema_name[64];	 /* "" if the remote has none */
	int64_t schema_version;
	char device[64];	 /* the name the remote knows the device by */
};

struct op_sink;

struct op_sink_ops {
	const char *name;
	/* Who the device is to the remote, and the remote's schema. */
	int (*hello)(struct op_sink *, const uint8_t site[16],
		     struct op_sink_hello *out);
	/* Apply n changes remotely, all or none; idempotent per change.
	 * *acked is the device's high-water mark the remote now holds. */
	int (*push)(struct op_sink *, const struct op_change *, size_t n,
		    int64_t *acked);
	/* Optional: push in two steps, so the next batch can travel while
	 * the remote applies one. push_send hands n changes over (all or
	 * none will apply) and returns before they are applied; at most
	 * two are sent and not yet waited for. push_wait waits for the
	 * oldest and gives its *acked. Batches apply in the order sent, and
	 * one is applied only once the one before it is acknowledged. A
	 * failed push_send sent nothing (those before it still need their
	 * wait); a failed push_wait let go of every batch after it. */
	int (*push_send)(struct op_sink *, const struct op_change *,
			 size_t n);
	int (*push_wait)(struct op_sink *, int64_t *acked);
	/* Remote changes after `after`, not this site's own, at most max,
	 * and values of about max_bytes at most (at least one change). */
	int (*pull)(struct op_sink *, uint64_t after, size_t max,
		    size_t max_bytes, struct op_batch *out);
	void (*close)(struct op_sink *); /* frees the sink */
};

/* Implementations put this first, so a pg_sink * is also an op_sink *. */
struct op_sink {
	const struct op_sink_ops *ops;
	char errmsg[512]; /* "push: why", "pull: why", "connect: why" */
	/* The failure was the network or the server going away (retry
	 * later), not a refusal (which needs a person). */
	int transient;
};

/* The PostgreSQL sink (pg_sink.c): connects with conninfo and, if not
 * NULL, password (never logged). */
int op_pg_sink_open(struct op_sink **out, const char *conninfo,
		    const char *password, char *errmsg, size_t errlen);

/* OUTPOST_OK if conninfo parses and holds no password; else why. */
int op_pg_conninfo_check(const char *conninfo, char *errmsg, size_t errlen);

/* The Neo4j sink (neo4j_sink.c; sync/PROTOCOL.md "Neo4j"): a mirror of
 * the schema's node labels and relationship types. Nothing is contacted
 * until hello. The strings stay the caller's; secret is copied, never
 * logged or in a message. */
struct op_neo4j_sink_opts {
	const char *url;	 /* http(s)://host:port[/prefix] */
	const char *database;	 /* "neo4j" */
	const char *user;	 /* Basic auth, with secret as password */
	const char *secret;	 /* password, or token when bearer; NULL:
				    no auth */
	int bearer;
	const char *ca_file;	 /* PEM CAs instead of the system's, or NULL */
	const char *schema_json; /* the store's schema (op_schema.json) */
	size_t rows;		 /* changes per request at most; 0: 1000 */
};
int op_neo4j_sink_open(struct op_sink **out,
		       const struct op_neo4j_sink_opts *o, char *errmsg,
		       size_t errlen);
/* Constraint drift: *report (op_free; lines "neo4j: ...") says what is
 * missing or not asked for. OUTPOST_EDRIFT when anything is, OUTPOST_OK
 * when nothing; otherwise the sink's errmsg says why. */
int op_neo4j_sink_check(struct op_sink *sink, char **report);
/* OUTPOST_OK if the URL, database and CA file would do for a sink (no
 * credentials in the URL, a name Neo4j takes); else why. No network. */
int op_neo4j_url_check(const char *url, const char *database,
		       const char *ca_file, char *errmsg, size_t errlen);
/* The labels and relationship types the Neo4j sink writes for schema s,
 * as a JSON array of strings (op_free), or NULL when out of memory. */
struct op_schema;
char *op_neo4j_sink_names(const struct op_schema *s);
struct op_neo4j_sink_stats {
	size_t requests;   /* requests sent (retries inside one not counted) */
	size_t statements;
	size_t halvings;   /* requests cut in half for being too big */
	size_t rows_now;   /* the request size now */
};
void op_neo4j_sink_stats_get(const struct op_sink *sink,
			     struct op_neo4j_sink_stats *out);

/* ---- the engine (sync.c) ------------------------------------------- */

/* The default byte bound of a batch: what a batch's values may take,
 * about, so a batch of long rows stays within a device's memory. */
#define OP_SYNC_BATCH_BYTES (8u << 20)

/* What the engine needs from the store. local hands out this store's own
 * entries after seq `after` (at most max, and values of about
 * batch_bytes at most, at least one; *out stays valid until the next
 * call); apply applies pulled changes and moves the pull cursor in
 * one transaction; the cursors are the store's consumer rows. Each
 * returns OUTPOST_OK or an OUTPOST_E* code with *errmsg set. */
struct op_sync_store {
	void *ctx;
	const uint8_t *site;
	const char *schema_name; /* "" if none */
	int64_t schema_version;
	size_t batch_bytes; /* a batch's values, about; 0: OP_SYNC_BATCH_BYTES */
	int (*local)(void *ctx, int64_t after, size_t max,
		     const struct op_change **out, size_t *n, char *errmsg,
		     size_t errlen);
	/* If set, used instead of local: the changes from change (seq,
	 * sub) on, bulk imports expanded (a change per row and edge, by
	 * sub). *through is the last entry the batch holds all of (a batch
	 * may end inside an import); it may pass the last change when only
	 * entries with nothing to send followed. */
	int (*local_from)(void *ctx, int64_t seq, uint32_t sub, size_t max,
			  const struct op_change **out, size_t *n,
			  int64_t *through, char *errmsg, size_t errlen);
	int (*apply)(void *ctx, const struct op_change *c, size_t n,
		     const char *cursor, int64_t value, char *errmsg,
		     size_t errlen);
	int (*cursor_get)(void *ctx, const char *name, int64_t *out);
	int (*cursor_set)(void *ctx, const char *name, int64_t value);
	/* Record the outcome for `status`: error NULL is a success. */
	void (*note)(void *ctx, const char *cursor, const char *error);
};

struct op_sync_counts {
	size_t pushed;	  /* entries the remote took */
	size_t pulled;	  /* entries received */
	size_t batches;	  /* push and pull batches */
};

/* One sync with sink: push everything after the push cursor, then pull
 * everything after the pull cursor. cursor_prefix names the cursors
 * ("pg" -> "pg_push", "pg_pull"). On failure errmsg says what and
 * *transient whether trying again later may help. */
int op_sync_run(struct op_sink *sink, const struct op_sync_store *st,
		const char *cursor_prefix, size_t batch,
		struct op_sync_counts *out, char *errmsg, size_t errlen,
		int *transient);

#endif
