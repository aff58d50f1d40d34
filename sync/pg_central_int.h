/* pg_central_int.h - shared inside the pg_central module: the
 * connection, statement helpers that keep the server's words in the
 * message, and the SQL generators for the central DDL. */
#ifndef OP_PG_CENTRAL_INT_H
#define OP_PG_CENTRAL_INT_H

#include <libpq-fe.h>

#include "pg_central.h"

struct op_pg_central {
	PGconn *conn;
};

/* Install, migrate and add-device take this first: they take turns. */
#define OP_PG_ADMIN_LOCK_KEY 7305528937442LL

/* The capture triggers: a row trigger that logs direct writes, skipped
 * while outpost.applying is 'on' (a per-row test that costs next to
 * nothing, so a push's merge is not slowed by it), and a statement
 * trigger that fires only then and refuses the statement unless it is
 * one of outpost's own merges (outpost.applying_guard, pg_applying.sql):
 * setting outpost.applying by hand does not silence capture. TABLE is
 * the quoted table name. */
#define OP_PG_CAPTURE_TRIGGERS(TABLE, FN)                                    \
	"DROP TRIGGER IF EXISTS outpost_capture ON " TABLE ";\n"             \
	"DROP TRIGGER IF EXISTS outpost_guard ON " TABLE ";\n"               \
	"CREATE TRIGGER outpost_capture AFTER INSERT OR UPDATE OR DELETE ON " \
	TABLE " FOR EACH ROW WHEN (current_setting('outpost.applying', true) " \
	"IS DISTINCT FROM 'on') EXECUTE FUNCTION " FN "();\n"                \
	"CREATE TRIGGER outpost_guard AFTER INSERT OR UPDATE OR DELETE ON "   \
	TABLE " FOR EACH STATEMENT WHEN (current_setting('outpost.applying', " \
	"true) = 'on') EXECUTE FUNCTION outpost.applying_guard();\n"

/* Run sql (one or more statements, no parameters). On failure err is
 * "doing: <the server's message>". */
int op_pg_central_exec(struct op_pg_central *c, const char *sql,
		       const char *doing, struct op_err *err);
/* The same for a buffer that may have run out of memory. */
int op_pg_central_exec_buf(struct op_pg_central *c, const struct op_buf *b,
			   const char *doing, struct op_err *err);
/* One statement with text parameters; *out (if not NULL) gets the result
 * (PQclear it). */
int op_pg_central_query(PGresult **out, struct op_pg_central *c,
			const char *sql, int n, const char *const *params,
			const char *doing, struct op_err *err);
/* BEGIN and the administrators' lock; ROLLBACK (errors ignored). */
int op_pg_central_begin(struct op_pg_central *c, struct op_err *err);
void op_pg_central_rollback(struct op_pg_central *c);
/* 1 if outpost's objects are installed; their recorded schema name and
 * version and JSON (each malloc'd, free with op_free) when asked. */
int op_pg_central_installed(int *out, struct op_pg_central *c,
			    struct op_err *err);
int op_pg_central_meta(char **name, int64_t *version, char **json,
		       struct op_pg_central *c, struct op_err *err);

/* Record s in outpost.meta (format, name, version, JSON). */
int op_pg_central_record_meta(struct op_pg_central *c,
			      const struct op_schema *s, struct op_err *err);

/* "name" with embedded quotes doubled, and 'text' the same way. */
void op_pg_central_ident(struct op_buf *b, const char *name);
void op_pg_central_literal(struct op_buf *b, const char *s);
/* The PostgreSQL type of a portable type. */
const char *op_pg_central_type(enum op_type t);
/* Tables, labels and relationship types that central holds. */
int op_pg_central_synced(enum op_policy p);

/* ---- DDL (pg_central_ddl.c) ---- */
/* CREATE TABLE without foreign keys (added after all tables exist). */
void op_pg_central_sql_table(struct op_buf *b, const struct op_table *t);
/* ADD COLUMN c to t, with its foreign key. */
void op_pg_central_sql_add_column(struct op_buf *b, const struct op_table *t,
				  const struct op_column *c,
				  const struct op_schema *s);
/* The foreign keys of t. */
void op_pg_central_sql_fkeys(struct op_buf *b, const struct op_table *t,
			     const struct op_schema *s);
/* The indexes of t (declared, and one per unique column), and the
 * statements that drop them. */
void op_pg_central_sql_indexes(struct op_buf *b, const struct op_table *t);
void op_pg_central_sql_drop_indexes(struct op_buf *b,
				    const struct op_table *t);

/* ---- outpost's own objects (pg_central_objects.c) ---- */
/* The tables of schema outpost (once, at init). */
extern const char op_pg_central_sql_tables[];
/* Its functions and the edges trigger (CREATE OR REPLACE: every init and
 * migrate). */
extern const char op_pg_central_sql_functions[];
/* sync/pg_push.sql, built into the library by the Makefile: push, hello
 * and the "applying" guard of the capture triggers. */
extern const char op_pg_push_sql[];
/* sync/pg_applying.sql: outpost.applying() and set_applying(), which the
 * capture triggers' WHEN clauses call; installed before them. */
extern const char op_pg_applying_sql[];

/* ---- per table: capture, scopes, catalog (pg_central_capture.c) ---- */
/* Capture trigger function and triggers of t. */
void op_pg_central_sql_capture(struct op_buf *b, const struct op_table *t);
/* Row-level security of t (on for a scoped table, off otherwise). */
void op_pg_central_sql_policy(struct op_buf *b, const struct op_table *t);
/* Rewrite outpost.catalog, every capture trigger and policy, and every
 * device's grants for s. */
int op_pg_central_refresh(struct op_pg_central *c, const struct op_schema *s,
			  struct op_err *err);

#endif
