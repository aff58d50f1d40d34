/* rel_stmt.c - prepared statements: bind, step, read columns, and what
 * the last one wrote. */
#include "rel_int.h"

int op_rel_prepare(struct op_stmt **out, struct op_rel *rel, const char *sql,
		   const char **tail, struct op_err *err)
{
	sqlite3_stmt *raw = NULL;
	int rc;

	*out = NULL;
	rc = sqlite3_prepare_v2(rel->db, sql, -1, &raw, tail);
	if (rc != SQLITE_OK)
		return op_rel_error(rel, rc, err);
	if (!raw)
		return OUTPOST_OK;
	*out = op_malloc(sizeof(**out));
	if (!*out) {
		sqlite3_finalize(raw);
		return op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	}
	(*out)->st = raw;
	(*out)->rel = rel;
	return OUTPOST_OK;
}

void op_rel_finalize(struct op_stmt *st)
{
	if (!st)
		return;
	sqlite3_finalize(st->st);
	op_free(st);
}

int op_rel_reset(struct op_stmt *st)
{
	sqlite3_reset(st->st);
	sqlite3_clear_bindings(st->st);
	return OUTPOST_OK;
}

int op_rel_bind(struct op_stmt *st, int idx, const outpost_value *v)
{
	int rc;

	switch (v->type) {
	case OUTPOST_INTEGER:
		rc = sqlite3_bind_int64(st->st, idx, v->i);
		break;
	case OUTPOST_REAL:
		rc = sqlite3_bind_double(st->st, idx, v->r);
		break;
	case OUTPOST_TEXT:
		rc = sqlite3_bind_text64(st->st, idx, v->s, v->n,
					 SQLITE_TRANSIENT, SQLITE_UTF8);
		break;
	case OUTPOST_BLOB:
		rc = sqlite3_bind_blob64(st->st, idx, v->s, v->n,
					 SQLITE_TRANSIENT);
		break;
	case OUTPOST_NULL:
		rc = sqlite3_bind_null(st->st, idx);
		break;
	default:
		return OUTPOST_EMISUSE;
	}
	return rc == SQLITE_OK ? OUTPOST_OK : OUTPOST_EMISUSE;
}

int op_rel_bind_ref(struct op_stmt *st, int idx, const outpost_value *v)
{
	int rc;

	if (v->type == OUTPOST_TEXT)
		rc = sqlite3_bind_text64(st->st, idx, v->s, v->n, SQLITE_STATIC,
					 SQLITE_UTF8);
	else if (v->type == OUTPOST_BLOB)
		rc = sqlite3_bind_blob64(st->st, idx, v->s, v->n,
					 SQLITE_STATIC);
	else
		return op_rel_bind(st, idx, v);
	return rc == SQLITE_OK ? OUTPOST_OK : OUTPOST_EMISUSE;
}

int op_rel_bind_text(struct op_stmt *st, int idx, const char *s)
{
	return sqlite3_bind_text(st->st, idx, s, -1, SQLITE_TRANSIENT) ==
			       SQLITE_OK
		       ? OUTPOST_OK
		       : OUTPOST_EMISUSE;
}

int op_rel_bind_int(struct op_stmt *st, int idx, int64_t v)
{
	return sqlite3_bind_int64(st->st, idx, v) == SQLITE_OK
		       ? OUTPOST_OK
		       : OUTPOST_EMISUSE;
}

int op_rel_bind_blob(struct op_stmt *st, int idx, const void *p, size_t n)
{
	return sqlite3_bind_blob64(st->st, idx, p, n, SQLITE_TRANSIENT) ==
			       SQLITE_OK
		       ? OUTPOST_OK
		       : OUTPOST_EMISUSE;
}

int op_rel_bind_null(struct op_stmt *st, int idx)
{
	return sqlite3_bind_null(st->st, idx) == SQLITE_OK ? OUTPOST_OK
							   : OUTPOST_EMISUSE;
}

int op_rel_nparams(struct op_stmt *st)
{
	return sqlite3_bind_parameter_count(st->st);
}

int op_rel_step(struct op_stmt *st, struct op_err *err)
{
	int rc = sqlite3_step(st->st);

	if (rc == SQLITE_ROW)
		return OP_ROW;
	if (rc == SQLITE_DONE)
		return OUTPOST_OK;
	rc = op_rel_error(st->rel, rc, err);
	sqlite3_reset(st->st);
	return rc;
}

int op_rel_ncols(struct op_stmt *st)
{
	return sqlite3_column_count(st->st);
}

const char *op_rel_col_name(struct op_stmt *st, int i)
{
	const char *n = sqlite3_column_name(st->st, i);

	return n ? n : "?";
}

void op_rel_col(struct op_stmt *st, int i, outpost_value *out)
{
	out->type = sqlite3_column_type(st->st, i);
	out->i = 0;
	out->r = 0;
	out->s = NULL;
	out->n = 0;
	switch (out->type) {
	case SQLITE_INTEGER:
		out->i = sqlite3_column_int64(st->st, i);
		break;
	case SQLITE_FLOAT:
		out->r = sqlite3_column_double(st->st, i);
		break;
	case SQLITE_TEXT:
		out->s = (const char *)sqlite3_column_text(st->st, i);
		out->n = (size_t)sqlite3_column_bytes(st->st, i);
		break;
	case SQLITE_BLOB:
		out->s = sqlite3_column_blob(st->st, i);
		out->n = (size_t)sqlite3_column_bytes(st->st, i);
		break;
	default:
		out->type = OUTPOST_NULL;
	}
}

int64_t op_rel_col_int(struct op_stmt *st, int i)
{
	return sqlite3_column_int64(st->st, i);
}

const char *op_rel_col_text(struct op_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st->st, i);
}

int op_rel_col_is_null(struct op_stmt *st, int i)
{
	return sqlite3_column_type(st->st, i) == SQLITE_NULL;
}

int op_rel_readonly(struct op_stmt *st)
{
	return sqlite3_stmt_readonly(st->st);
}

const char *op_rel_sql(struct op_stmt *st)
{
	return sqlite3_sql(st->st);
}

int64_t op_rel_last_rowid(struct op_rel *rel)
{
	return sqlite3_last_insert_rowid(rel->db);
}
