/* sync_int.h - shared inside the sync module (sync_*.c): a batch's
 * decoded changes, the clocks of the merge, and the statements it keeps
 * prepared for the batch. */
#ifndef OP_SYNC_INT_H
#define OP_SYNC_INT_H

#include <cjson/cJSON.h>

#include "sync.h"

/* One value of a change, decoded into what SQLite stores. */
struct sync_val {
	const struct op_column *col;
	outpost_value v;  /* v.s points into the JSON, own or blob */
	const char *wire; /* the value in wire form (logged); NULL = null */
	char *own;	  /* canonical text (uuid, integer, hex) or NULL */
	uint8_t *blob;	  /* a blob's bytes, or NULL */
};

/* One change of the batch, checked and decoded. */
struct sync_entry {
	const struct op_change *c;
	const struct op_table *t;    /* its table or node label, or */
	const struct op_reltype *r;  /* its relationship type */
	char id[OP_UUID_TEXT];	     /* the row id, canonical */
	struct sync_val *vals;	     /* I, U: the values, in wire order */
	size_t nvals;
	cJSON *json; /* the parsed values (owns their text) */
};

/* A clock (hlc, site); for a row clock, dead marks a tombstone. */
struct sync_clock {
	uint64_t hlc;
	uint8_t site[16];
	int dead;
};

#define SYNC_CACHE_MAX 96

struct sync_ctx {
	const struct op_sync_args *a;
	struct op_err *err;
	struct {
		char *sql;
		struct op_stmt *st;
	} cache[SYNC_CACHE_MAX];
	size_t ncache;
	struct op_stmt *log_st; /* op_log_append_remote's */
	int64_t first_seq;	/* this batch's log entries come after it */
	int deleted;		/* rows were deleted: cascades may have run */
};

/* ---- sync_decode.c ---- */
/* Check change c and decode it into e (sync_entry_free it, also on
 * failure). The message names the change's seq, table, row and field. */
int op_sync_decode(struct sync_ctx *x, struct sync_entry *e,
		   const struct op_change *c);
void op_sync_entry_free(struct sync_entry *e);
/* Decode wire text (NULL = null) for column col into v (op_sync_val_free
 * it); -1 with *why (static text or a reason in buf) when it does not
 * fit the column's type. */
int op_sync_decode_value(struct sync_val *v, const struct op_column *col,
			 const char *wire, char *buf, size_t n);
void op_sync_val_free(struct sync_val *v);
/* Set err to "change SEQ (TABLE row ID): " + the formatted reason. */
int op_sync_fail(struct sync_ctx *x, const struct op_change *c, int rc,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ---- sync_edge.c ---- */
/* Check the values of relationship-type entry e (decode's part). */
int op_sync_edge_check(struct sync_ctx *x, struct sync_entry *e);
/* Decide it through the caller's callback; log what took effect. */
int op_sync_edge_merge(struct sync_ctx *x, const struct sync_entry *e);

/* ---- sync_stmt.c: statements and the rows they touch ---- */
/* A prepared statement for the SQL in sql (emptied), reset and unbound;
 * kept for the batch. */
int op_sync_prep(struct sync_ctx *x, struct op_stmt **out,
		 struct op_buf *sql);
void op_sync_cache_free(struct sync_ctx *x);
int op_sync_clock_cmp(const struct sync_clock *a, const struct sync_clock *b);
/* The change's own clock. */
void op_sync_clock_of(struct sync_clock *out, const struct op_change *c);
/* Is row id of t in the table? */
int op_sync_row_exists(struct sync_ctx *x, const struct op_table *t,
		       const char *id, int *yes);
/* Clock of column col ("" = the row's) from _outpost_clk_<t>. */
int op_sync_clock_get(struct sync_ctx *x, const struct op_table *t,
		      const char *id, const char *col, struct sync_clock *out,
		      int *have);
int op_sync_clock_put(struct sync_ctx *x, const struct op_table *t,
		      const char *id, const char *col,
		      const struct sync_clock *c);
/* Drop the row's column clocks older than c (all of them if c NULL). */
int op_sync_clock_drop(struct sync_ctx *x, const struct op_table *t,
		       const char *id, const struct sync_clock *c);
int op_sync_row_insert(struct sync_ctx *x, const struct op_table *t,
		       const char *id, const struct sync_val *const *v,
		       size_t n);
int op_sync_row_set(struct sync_ctx *x, const struct op_table *t,
		    const char *id, const struct sync_val *v);
int op_sync_row_delete(struct sync_ctx *x, const struct op_table *t,
		       const char *id);
/* Does column v->col of the row hold something else than v? */
int op_sync_row_differs(struct sync_ctx *x, const struct op_table *t,
			const char *id, const struct sync_val *v, int *yes);
/* Log entry e as op with the values v[0..n) (NULL: no values) and
 * clock c. */
int op_sync_log(struct sync_ctx *x, const struct sync_entry *e, char op,
		const struct sync_val *const *v, size_t n,
		const struct sync_clock *c);
/* Log a relationship-type or other entry with vals text as given. */
int op_sync_log_text(struct sync_ctx *x, const struct sync_entry *e,
		     char op, const char *vals);

/* ---- sync_park.c: values newer than a delete (PROTOCOL.md) ---- */
int op_sync_park_init(struct sync_ctx *x);
/* The parked clock of the row's column, if any. */
int op_sync_park_get(struct sync_ctx *x, const struct op_table *t,
		     const char *id, const char *col, struct sync_clock *out,
		     int *have);
int op_sync_park_put(struct sync_ctx *x, const struct op_table *t,
		     const char *id, const char *col,
		     const struct sync_clock *c, const char *wire);
/* Drop the row's parked values not newer than c (all if c is NULL). */
int op_sync_park_drop(struct sync_ctx *x, const struct op_table *t,
		      const char *id, const struct sync_clock *c);
/* Park the live row's columns whose clocks are newer than c (a delete),
 * with their current values. */
int op_sync_park_row(struct sync_ctx *x, const struct op_table *t,
		     const char *id, const struct sync_clock *c);
/* Parked values newer than c, decoded: *out (op_sync_park_free). */
struct sync_parked {
	struct sync_val val;
	struct sync_clock clock;
};
int op_sync_park_take(struct sync_ctx *x, const struct op_table *t,
		      const char *id, const struct sync_clock *c,
		      struct sync_parked **out, size_t *n);
void op_sync_park_free(struct sync_parked *p, size_t n);
/* Drop parked values of rows that are in their tables again. */
int op_sync_park_gc(struct sync_ctx *x);

/* ---- sync_lww.c, sync_plain.c: the merge of one row change ---- */
int op_sync_lww(struct sync_ctx *x, const struct sync_entry *e);
int op_sync_plain(struct sync_ctx *x, const struct sync_entry *e);

/* ---- sync_fk.c ---- */
/* Rows whose parent is gone once the batch is merged lose the
 * reference as their on_delete says (SET NULL) or go, as a cascade would
 * have taken them; then clocks of rows gone that way are dropped. */
int op_sync_fk_settle(struct sync_ctx *x);

#endif
