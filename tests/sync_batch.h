/* sync_batch.h - helpers of the sync apply tests (t_sync_apply.c,
 * t_sync_converge.c): batches of changes read from one store's log, as a
 * pull would bring them, applied to another store; and dumps of a
 * store's rows, clocks and edges for comparing stores. */
#ifndef OP_TEST_SYNC_BATCH_H
#define OP_TEST_SYNC_BATCH_H

#include <stdlib.h>

#include "check.h"
#include "sink.h"

/* Changes owning their strings. */
struct ts_batch {
	struct op_change *c;
	size_t n, cap;
};

/* Append db's log entries after seq `after` to b; only those of site
 * `site` (32 hex digits) if it is not NULL. *last (may be NULL) gets the
 * last seq looked at. Returns OUTPOST_OK or the log's error. */
int ts_collect(struct ts_batch *b, outpost *db, long long after,
	       const char *site, long long *last);
/* Append a copy of c. */
void ts_push(struct ts_batch *b, const struct op_change *c);
void ts_batch_free(struct ts_batch *b);
/* Apply c[0..n) to db as a pull does (op_api_sync_apply). */
int ts_apply(outpost *db, const struct op_change *c, size_t n,
	     const char *cursor, long long value);
/* Everything of a's own log entries after `after` applied to b. */
int ts_ship(outpost *a, outpost *b, long long after, long long *last);
/* db's site id in hex. */
void ts_site(outpost *db, char out[33]);
/* A store named name in the test's directory with the schema file at
 * path (a shipped one by name if path has no '/'). */
outpost *ts_store(struct t *t, const char *name, const char *schema);
/* The LexiCraft schema with LearningPoint and RELATED_TO (given a text
 * property "note" too) made lww, so devices write nodes and edges;
 * written into the test's directory; out gets its path. */
int ts_lexicraft_lww(struct t *t, char out[512]);
/* Every row of sql's result, every column with its type, one line per
 * row: for comparing stores. Free with free(). */
char *ts_dump(outpost *db, const char *sql);
/* Every user table, clock table, live parked value and edge of db. */
char *ts_dump_all(outpost *db);
/* outpost_sql of a formatted script; prints the error. */
int ts_sql(outpost *db, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A change made up for a test (strings borrowed). */
struct op_change ts_change(long long seq, unsigned long long hlc,
			   const char *site_hex, const char *table, char op,
			   const char *row_id, const char *values);
/* Fail the test unless stores a and b hold the same rows, clocks,
 * parked values and edges. */
#define CHECK_SAME(a, b)                                                     \
	do {                                                                 \
		char *da_ = ts_dump_all(a), *db_ = ts_dump_all(b);           \
		int same_ = da_ && db_ && strcmp(da_, db_) == 0;             \
		if (!same_)                                                  \
			t_fail(t, __FILE__, __LINE__, "%s and %s differ: %s", \
			       #a, #b,                                       \
			       da_ && db_ ? ts_first_diff(da_, db_) : "");   \
		free(da_);                                                   \
		free(db_);                                                   \
		if (!same_)                                                  \
			return;                                              \
	} while (0)

/* The number of change-log entries. */
long long ts_log_count(outpost *db);
/* A first line where a and b differ, for failure messages (static). */
const char *ts_first_diff(const char *a, const char *b);

#endif
