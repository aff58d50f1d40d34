/* rel.h - the relational engine: the only module that includes sqlite3.h.
 * A thin layer over SQLite that turns its errors into outpost codes with
 * SQLite's own message kept, and registers outpost's SQL functions. */
#ifndef OP_REL_H
#define OP_REL_H

#include <stdint.h>

#include "util.h"

struct op_rel;
struct op_stmt;

#define OP_ROW 1 /* op_rel_step: a row is ready */

/* Open (or, with create, create) the SQLite file at path in WAL mode with
 * foreign keys on and a busy timeout of busy_ms. */
int op_rel_open(struct op_rel **out, const char *path, int create,
		int read_only, unsigned busy_ms, struct op_err *err);
void op_rel_close(struct op_rel *rel);

/* Run statements that return no rows we need. */
int op_rel_exec(struct op_rel *rel, const char *sql, struct op_err *err);

/* Prepare the first statement of sql; *tail (may be NULL) receives where
 * the next begins. *out is NULL for an empty statement (only comments or
 * whitespace). */
int op_rel_prepare(struct op_stmt **out, struct op_rel *rel, const char *sql,
		   const char **tail, struct op_err *err);
void op_rel_finalize(struct op_stmt *st);
int op_rel_reset(struct op_stmt *st);
int op_rel_bind(struct op_stmt *st, int idx, const outpost_value *v);
/* As op_rel_bind, but text and blob bytes are not copied: they must stay
 * as they are until the statement is next reset or finalized. */
int op_rel_bind_ref(struct op_stmt *st, int idx, const outpost_value *v);
int op_rel_bind_text(struct op_stmt *st, int idx, const char *s);
int op_rel_bind_int(struct op_stmt *st, int idx, int64_t v);
int op_rel_bind_blob(struct op_stmt *st, int idx, const void *p, size_t n);
int op_rel_bind_null(struct op_stmt *st, int idx);
int op_rel_nparams(struct op_stmt *st);
/* OP_ROW, OUTPOST_OK when done, or an error code with message. */
int op_rel_step(struct op_stmt *st, struct op_err *err);
int op_rel_ncols(struct op_stmt *st);
const char *op_rel_col_name(struct op_stmt *st, int i);
/* Borrowed until the next step, reset or finalize. */
void op_rel_col(struct op_stmt *st, int i, outpost_value *out);
int64_t op_rel_col_int(struct op_stmt *st, int i);
const char *op_rel_col_text(struct op_stmt *st, int i); /* NULL for NULL */
int op_rel_col_is_null(struct op_stmt *st, int i);
/* 1 if the statement does not write the database (SELECT, BEGIN, ...). */
int op_rel_readonly(struct op_stmt *st);
/* The statement's SQL text as written. */
const char *op_rel_sql(struct op_stmt *st);

/* One integer from a query with no parameters; *out unchanged if no row. */
int op_rel_get_int(struct op_rel *rel, int64_t *out, const char *sql,
		   struct op_err *err);

/* Transactions. begin_write takes the store's single-writer lock (BEGIN
 * IMMEDIATE), waiting up to the busy timeout. */
int op_rel_begin_write(struct op_rel *rel, struct op_err *err);
int op_rel_begin_read(struct op_rel *rel, struct op_err *err);
int op_rel_commit(struct op_rel *rel, struct op_err *err);
void op_rel_rollback(struct op_rel *rel);
int op_rel_in_txn(struct op_rel *rel);
/* 1 if the transaction holds foreign-key violations that its commit
 * would refuse (deferred constraints not yet satisfied). */
int op_rel_fk_pending(struct op_rel *rel);
int64_t op_rel_changes(struct op_rel *rel);
/* The rowid of the connection's last successful INSERT. */
int64_t op_rel_last_rowid(struct op_rel *rel);

/* Quote an identifier we validated ("name") into b. */
void op_rel_quote_ident(struct op_buf *b, const char *name);
/* Quote a string literal ('it''s') into b. */
void op_rel_quote_text(struct op_buf *b, const char *s);

#endif
