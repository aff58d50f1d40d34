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
	cJSON *json; /* the parsed values (owns their text), or */
	char *text;  /* their text, cut into keys and values in place */
};

/* A clock (hlc, site); for a row clock, dead marks a tombstone. */
struct sync_clock {
	uint64_t hlc;
	uint8_t site[16];
	int dead;
};

#define SYNC_CACHE_MAX 128 /* statements kept for a batch */
#define SYNC_ORDER_MAX 64
#define SYNC_LOG_BATCH 32

/* What a kept statement does. The ones run for every change are found by
 * it (what, table, columns) rather than by their SQL text, which would
 * have to be written out for each change only to be looked up. */
enum sync_what {
	SYNC_SQL,	  /* found by its SQL text */
	SYNC_PROBE,	  /* op_sync_row_probe, with the row */
	SYNC_PROBE_CLOCKS, /* op_sync_row_probe, clocks only */
	SYNC_CLOCKS_ANY,   /* does the table have any clock row? */
	SYNC_EXISTS,	  /* op_sync_row_exists */
	SYNC_CLOCK_GET,	  /* op_sync_clock_get */
	SYNC_CLOCK_PUT,	  /* op_sync_clock_put */
	SYNC_CLOCK_DROP,  /* op_sync_clock_drop, every column clock */
	SYNC_CLOCK_OLDER, /* op_sync_clock_drop, the older ones */
	SYNC_INSERT,	  /* op_sync_row_insert: cols is the column set */
	SYNC_ADD,	  /* op_sync_row_add: cols is the column set */
	SYNC_SET,	  /* op_sync_row_set: cols is the column's index */
	SYNC_DELETE,	  /* op_sync_row_delete */
	SYNC_DIFFERS	  /* op_sync_row_differs: cols is the column's index */
};

struct sync_key {
	enum sync_what what;
	const struct op_table *t;
	uint64_t cols;
};

struct sync_ctx {
	const struct op_sync_args *a;
	struct op_err *err;
	struct {
		char *sql; /* SYNC_SQL's text, else NULL */
		struct sync_key key;
		struct op_stmt *st;
	} cache[SYNC_CACHE_MAX];
	size_t ncache;
	/* Log entries made and not written yet (sync_log.c), and the text
	 * of their values, one after the other (offsets; SIZE_MAX: none). */
	struct op_log_entry pend[SYNC_LOG_BATCH];
	uint8_t pend_site[SYNC_LOG_BATCH][16];
	size_t pend_vals[SYNC_LOG_BATCH];
	size_t npend;
	char *text;
	size_t text_len, text_cap;
	struct op_stmt *log_st;	  /* one entry */
	struct op_stmt *log_many; /* SYNC_LOG_BATCH entries */
	/* Per table of the schema (by index): 1 if its clock table is
	 * empty, 2 if it may not be, 0 not looked at yet. Only
	 * op_sync_clock_put writes clock rows while a batch merges (the
	 * capture triggers are silent), so an empty one stays empty until
	 * then, and its rows need no look at their clocks. */
	unsigned char *clk_empty;
	/* sync_decode.c: the column of each value, by position, in the
	 * last change of table order_t (a guess for the next one). */
	const struct op_table *order_t;
	size_t order[SYNC_ORDER_MAX];
	const char **kv; /* sync_decode.c: a change's keys and values */
	size_t kv_cap;
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

/* ---- sync_flat.c ---- */
/* The values as every capture writes them: one flat object of strings
 * without escapes and nulls ({"a": "x", "b": null}, white space
 * anywhere, nothing after it), for which cJSON gives the same members
 * in the same order (a string's bytes as they are). text is a copy of
 * the values: each key and string gets a NUL in place of its closing
 * quote, and x->kv[2i], x->kv[2i + 1] (NULL for null) point at member
 * i. How many members there are; -1 if text is anything else (cJSON
 * reads it then), -2 when out of memory. */
long op_sync_flat_scan(struct sync_ctx *x, char *text);

/* ---- sync_edge.c ---- */
/* Check the values of relationship-type entry e (decode's part). */
int op_sync_edge_check(struct sync_ctx *x, struct sync_entry *e);
/* Decide it through the caller's callback; log what took effect. */
int op_sync_edge_merge(struct sync_ctx *x, const struct sync_entry *e);

/* ---- sync_cache.c: statements kept for the batch ---- */
/* A prepared statement for the SQL in sql (emptied), reset and unbound;
 * kept for the batch. */
int op_sync_prep(struct sync_ctx *x, struct op_stmt **out,
		 struct op_buf *sql);
/* The statement kept under k, reset and unbound, or NULL: then
 * op_sync_keep its SQL. */
struct op_stmt *op_sync_kept(struct sync_ctx *x, const struct sync_key *k);
/* Prepare the SQL in sql (emptied) and keep it under k for the batch. */
int op_sync_keep(struct sync_ctx *x, const struct sync_key *k,
		 struct op_stmt **out, struct op_buf *sql);
void op_sync_cache_free(struct sync_ctx *x);

/* ---- sync_stmt.c: the rows and clocks a merge reads and writes ---- */
int op_sync_clock_cmp(const struct sync_clock *a, const struct sync_clock *b);
/* The change's own clock. */
void op_sync_clock_of(struct sync_clock *out, const struct op_change *c);
/* Is row id of t in the table? */
int op_sync_row_exists(struct sync_ctx *x, const struct op_table *t,
		       const char *id, int *yes);
/* What an lww change needs to know of its row, in one look: */
struct sync_probe {
	int alive;	      /* the row is in its table (if asked) */
	struct sync_clock rc; /* its row clock, if have_rc */
	int have_rc;
	int col_clocks; /* it has column clocks (else none to read or drop) */
};
/* The row's clocks, and with row whether it is in its table. */
int op_sync_row_probe(struct sync_ctx *x, const struct op_table *t,
		      const char *id, int row, struct sync_probe *out);
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
/* Insert the row unless one of that id is in its table: *added says
 * which. Fails exactly where op_sync_row_insert would for a row that is
 * not there; a row that is there is left as it is. */
int op_sync_row_add(struct sync_ctx *x, const struct op_table *t,
		    const char *id, const struct sync_val *const *v, size_t n,
		    int *added);
int op_sync_row_set(struct sync_ctx *x, const struct op_table *t,
		    const char *id, const struct sync_val *v);
int op_sync_row_delete(struct sync_ctx *x, const struct op_table *t,
		       const char *id);
/* Does column v->col of the row hold something else than v? */
int op_sync_row_differs(struct sync_ctx *x, const struct op_table *t,
			const char *id, const struct sync_val *v, int *yes);
/* ---- sync_log.c ---- */
/* The JSON object {"col": "wire" or null, ...} of v[0..n), as
 * cJSON_PrintUnformatted prints it, and its NUL, appended to *buf at
 * *len (grown as needed; *cap is its size; op_free it); *len moves past
 * it. Where it starts, or SIZE_MAX when out of memory. */
size_t op_sync_json_values(char **buf, size_t *len, size_t *cap,
			   const struct sync_val *const *v, size_t n);
/* Log entry e as op with the values v[0..n) (NULL: no values) and
 * clock c. The entries are written SYNC_LOG_BATCH at a time, in order:
 * op_sync_log_flush before anything reads or changes the log. */
int op_sync_log(struct sync_ctx *x, const struct sync_entry *e, char op,
		const struct sync_val *const *v, size_t n,
		const struct sync_clock *c);
/* Log a relationship-type or other entry with vals text as given. */
int op_sync_log_text(struct sync_ctx *x, const struct sync_entry *e,
		     char op, const char *vals);
/* Write the entries logged so far. */
int op_sync_log_flush(struct sync_ctx *x);

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
/* Before row id of t goes at clock c (sync_cascade.c): the rows the
 * delete will cascade to park their columns newer than c. */
int op_sync_park_cascade(struct sync_ctx *x, const struct op_table *t,
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
