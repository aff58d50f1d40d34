/* log.h - the change log at the centre of the store (_outpost_changes):
 * its tables, reading it, cursors of its consumers, and the store's clock.
 * Rows are written by the capture triggers (schema_trigger.c). */
#ifndef OP_LOG_H
#define OP_LOG_H

#include "rel.h"

/* Create the log, clock, cursor and meta tables in a new store; site is
 * the 16-byte site id. Runs inside the caller's transaction. */
int op_log_create(struct op_rel *rel, const uint8_t site[16],
		  struct op_err *err);

/* Visit entries matching f (NULL = all) in one read transaction. Entries
 * logged with site NULL are this store's: they get local_site. */
int op_log_each(struct op_rel *rel, const uint8_t local_site[16],
		const outpost_log_filter *f, outpost_change_fn fn, void *ctx,
		struct op_err *err);

/* The next clock: past every clock in the log and the floor; the floor is
 * raised to it so later trigger ticks come after. Takes the write lock. */
int op_log_hlc_next(struct op_rel *rel, uint64_t *out, struct op_err *err);

/* Append one entry, inside the caller's write transaction: a change the
 * triggers cannot see (graph edges). central logs it with the central
 * authority's site (all zeros; never pushed), else as this store's
 * (site NULL). *seq and *hlc get the entry's. */
int op_log_append(struct op_rel *rel, int central, const char *tbl, char op,
		  const char *row_id, const char *vals, int64_t *seq,
		  uint64_t *hlc, struct op_err *err);

/* Append an entry that another site made (a change applied from a
 * remote), with that site's clock and id, inside the caller's write
 * transaction. *st keeps the prepared statement between calls (NULL at
 * first; the caller op_rel_finalize()s it). tbl, row_id, vals and site
 * are bound without copies: *st points at them until the next call
 * resets it (or its finalize), so nothing else steps or reads *st in
 * between. *seq (if seq is not NULL) gets the entry's. */
int op_log_append_remote(struct op_rel *rel, struct op_stmt **st,
			 const char *tbl, char op, const char *row_id,
			 const char *vals, uint64_t hlc,
			 const uint8_t site[16], int64_t *seq,
			 struct op_err *err);

/* One entry for op_log_append_many, as op_log_append_remote takes it. */
struct op_log_entry {
	const char *tbl;
	char op;
	const char *row_id;
	const char *vals; /* NULL: none */
	uint64_t hlc;
	const uint8_t *site; /* 16 bytes */
};

/* Append e[0..n) at once, in order, as op_log_append_remote would one
 * by one (the same seqs), with one statement of n rows: *st keeps it
 * for this n (NULL at first; the caller op_rel_finalize()s it; one *st
 * per n). The same rules for what is bound without copies. */
int op_log_append_many(struct op_rel *rel, struct op_stmt **st,
		       const struct op_log_entry *e, size_t n,
		       struct op_err *err);

/* A meta value (text) by key; *out is NULL when absent. Free with
 * op_free. */
int op_log_meta_get(struct op_rel *rel, const char *key, char **out,
		    struct op_err *err);
int op_log_meta_set(struct op_rel *rel, const char *key, const char *value,
		    struct op_err *err);

#endif
