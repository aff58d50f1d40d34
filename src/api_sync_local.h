/* api_sync_local.h - what a push sends: this store's own change-log
 * entries from a change on, with bulk import entries expanded into their
 * per-node and per-edge changes (api_sync_import.h), in batches bounded
 * by count and bytes. The engine (sync/sync.c) calls it through
 * op_sync_store.local_from; a batch may end inside an import, and the
 * next one goes on from the change after its last. */
#ifndef OP_API_SYNC_LOCAL_H
#define OP_API_SYNC_LOCAL_H

#include "api_sync_import.h"

struct op_sync_local {
	outpost *db;
	const char *local_only; /* JSON array of tables never pushed */
	size_t batch_bytes;	/* a batch's values, about */
	/* The last batch, valid until the next call or clear. */
	struct op_change *changes;
	char **strings; /* what the entries' changes point into */
	size_t nstrings, capstrings;
	struct op_import_part *parts; /* what the imports' changes do */
	size_t nparts;
};

/* The changes from change (seq, sub) on: an ordinary entry is one change
 * (sub 0), an import entry as many as it expands to. At most max, and
 * values of about l->batch_bytes at most (at least one change whenever
 * there is one). *through is the last entry the batch holds all of
 * (seq - 1 if none); it passes the last change over entries that expand
 * to nothing. Returns OUTPOST_OK or an error with errmsg ("push: why"). */
int op_api_sync_local_from(struct op_sync_local *l, int64_t seq,
			   uint32_t sub, size_t max,
			   const struct op_change **out, size_t *n,
			   int64_t *through, char *errmsg, size_t errlen);
/* Free the last batch. */
void op_api_sync_local_clear(struct op_sync_local *l);

#endif
