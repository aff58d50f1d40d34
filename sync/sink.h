/* sink.h - the one interface between the sync engine and a remote: the
 * engine (sync.c) owns cursors, batching, retry and backoff; a sink only
 * moves changes. PostgreSQL (pg_sink.c) and Neo4j (neo4j_sink.c) implement
 * it; tests add a fake one. Only sink implementations include libpq or
 * curl. */
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
};

/* Changes pulled from a remote, and the remote's position after them. */
struct op_batch {
	struct op_change *changes;
	size_t n;
	uint64_t next; /* remote cursor to ask from next time */
};

struct op_sink;

struct op_sink_ops {
	const char *name;
	/* Apply n changes remotely, all or none; idempotent per change. */
	int (*push)(struct op_sink *, const struct op_change *, size_t n);
	/* Remote changes after `after`, not this site's own. */
	int (*pull)(struct op_sink *, uint64_t after, struct op_batch *out);
	void (*close)(struct op_sink *); /* frees the sink */
};

/* Implementations put this first, so a pg_sink * is also an op_sink *. */
struct op_sink {
	const struct op_sink_ops *ops;
	char errmsg[256];
};

#endif
