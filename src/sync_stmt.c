/* sync_stmt.c - the statements a batch's merge runs, kept prepared for
 * the batch (a pull of thousands of changes runs the same few per table
 * again and again), and the row and clock reads and writes built on
 * them. Every identifier comes from the schema and is quoted; every
 * value is bound. */
#include <string.h>

#include "sync_int.h"

int op_sync_prep(struct sync_ctx *x, struct op_stmt **out,
		 struct op_buf *sql)
{
	size_t i;
	int rc;

	*out = NULL;
	if (sql->oom) {
		op_buf_free(sql);
		return op_err_set(x->err, OUTPOST_ENOMEM, "out of memory");
	}
	for (i = 0; i < x->ncache; i++)
		if (strcmp(x->cache[i].sql, op_buf_str(sql)) == 0) {
			op_buf_free(sql);
			*out = x->cache[i].st;
			op_rel_reset(*out);
			return OUTPOST_OK;
		}
	if (x->ncache == SYNC_CACHE_MAX)
		op_sync_cache_free(x); /* a batch over very many tables */
	rc = op_rel_prepare(out, x->a->rel, op_buf_str(sql), NULL, x->err);
	if (rc == OUTPOST_OK && !*out)
		rc = op_err_set(x->err, OUTPOST_ERROR, "empty statement");
	if (rc == OUTPOST_OK) {
		x->cache[x->ncache].sql = op_buf_take(sql);
		x->cache[x->ncache].st = *out;
		if (!x->cache[x->ncache].sql) {
			op_rel_finalize(*out);
			*out = NULL;
			rc = op_err_set(x->err, OUTPOST_ENOMEM, "out of memory");
		} else {
			x->ncache++;
		}
	}
	op_buf_free(sql);
	return rc;
}

void op_sync_cache_free(struct sync_ctx *x)
{
	size_t i;

	for (i = 0; i < x->ncache; i++) {
		op_free(x->cache[i].sql);
		op_rel_finalize(x->cache[i].st);
	}
	x->ncache = 0;
}

int op_sync_clock_cmp(const struct sync_clock *a, const struct sync_clock *b)
{
	if (a->hlc != b->hlc)
		return a->hlc < b->hlc ? -1 : 1;
	return memcmp(a->site, b->site, 16);
}

void op_sync_clock_of(struct sync_clock *out, const struct op_change *c)
{
	out->hlc = c->hlc;
	memcpy(out->site, c->site, 16);
	out->dead = 0;
}

static void clock_table(struct op_buf *b, const struct op_table *t)
{
	struct op_buf n = {0};

	op_buf_addf(&n, "_outpost_clk_%s", t->name);
	op_rel_quote_ident(b, op_buf_str(&n));
	op_buf_free(&n);
}

/* "t" WHERE "pk" = ?1 */
static void row_where(struct op_buf *b, const struct op_table *t)
{
	op_rel_quote_ident(b, t->name);
	op_buf_adds(b, " WHERE ");
	op_rel_quote_ident(b, t->cols[t->pk].name);
	op_buf_adds(b, " = ?1");
}

/* Step a statement that returns no rows. */
static int run(struct sync_ctx *x, struct op_stmt *st)
{
	int rc = op_rel_step(st, x->err);

	return rc == OP_ROW ? OUTPOST_OK : rc;
}

int op_sync_row_exists(struct sync_ctx *x, const struct op_table *t,
		       const char *id, int *yes)
{
	struct op_buf b = {0};
	struct op_stmt *st;
	int rc;

	op_buf_adds(&b, "SELECT 1 FROM ");
	row_where(&b, t);
	rc = op_sync_prep(x, &st, &b);
	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_text(st, 1, id);
	rc = op_rel_step(st, x->err);
	*yes = rc == OP_ROW;
	return rc == OP_ROW ? OUTPOST_OK : rc;
}

int op_sync_clock_get(struct sync_ctx *x, const struct op_table *t,
		      const char *id, const char *col, struct sync_clock *out,
		      int *have)
{
	struct op_buf b = {0};
	struct op_stmt *st;
	outpost_value site;
	int rc;

	op_buf_adds(&b, "SELECT hlc, site, dead FROM ");
	clock_table(&b, t);
	op_buf_adds(&b, " WHERE id = ?1 AND col = ?2");
	*have = 0;
	rc = op_sync_prep(x, &st, &b);
	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_text(st, 1, id);
	op_rel_bind_text(st, 2, col);
	rc = op_rel_step(st, x->err);
	if (rc != OP_ROW)
		return rc;
	memset(out, 0, sizeof(*out));
	out->hlc = (uint64_t)op_rel_col_int(st, 0);
	op_rel_col(st, 1, &site);
	if (site.type == OUTPOST_BLOB && site.n == 16)
		memcpy(out->site, site.s, 16);
	out->dead = op_rel_col_int(st, 2) != 0;
	*have = 1;
	return OUTPOST_OK;
}

int op_sync_clock_put(struct sync_ctx *x, const struct op_table *t,
		      const char *id, const char *col,
		      const struct sync_clock *c)
{
	struct op_buf b = {0};
	struct op_stmt *st;
	int rc;

	op_buf_adds(&b, "INSERT OR REPLACE INTO ");
	clock_table(&b, t);
	op_buf_adds(&b, "(id, col, hlc, site, dead) VALUES (?1, ?2, ?3, ?4, "
			"?5)");
	rc = op_sync_prep(x, &st, &b);
	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_text(st, 1, id);
	op_rel_bind_text(st, 2, col);
	op_rel_bind_int(st, 3, (int64_t)c->hlc);
	op_rel_bind_blob(st, 4, c->site, 16);
	op_rel_bind_int(st, 5, c->dead ? 1 : 0);
	return run(x, st);
}

int op_sync_clock_drop(struct sync_ctx *x, const struct op_table *t,
		       const char *id, const struct sync_clock *c)
{
	struct op_buf b = {0};
	struct op_stmt *st;
	int rc;

	op_buf_adds(&b, "DELETE FROM ");
	clock_table(&b, t);
	op_buf_adds(&b, " WHERE id = ?1 AND col <> ''");
	if (c)
		op_buf_adds(&b, " AND (hlc < ?2 OR (hlc = ?2 AND site < ?3))");
	rc = op_sync_prep(x, &st, &b);
	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_text(st, 1, id);
	if (c) {
		op_rel_bind_int(st, 2, (int64_t)c->hlc);
		op_rel_bind_blob(st, 3, c->site, 16);
	}
	return run(x, st);
}

int op_sync_row_insert(struct sync_ctx *x, const struct op_table *t,
		       const char *id, const struct sync_val *const *v,
		       size_t n)
{
	struct op_buf b = {0};
	struct op_stmt *st;
	size_t i;
	int rc;

	op_buf_adds(&b, "INSERT INTO ");
	op_rel_quote_ident(&b, t->name);
	op_buf_adds(&b, "(");
	op_rel_quote_ident(&b, t->cols[t->pk].name);
	for (i = 0; i < n; i++) {
		op_buf_adds(&b, ", ");
		op_rel_quote_ident(&b, v[i]->col->name);
	}
	op_buf_adds(&b, ") VALUES (?1");
	for (i = 0; i < n; i++)
		op_buf_addf(&b, ", ?%zu", i + 2);
	op_buf_adds(&b, ")");
	rc = op_sync_prep(x, &st, &b);
	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_text(st, 1, id);
	for (i = 0; i < n; i++)
		op_rel_bind(st, (int)i + 2, &v[i]->v);
	return run(x, st);
}

int op_sync_row_set(struct sync_ctx *x, const struct op_table *t,
		    const char *id, const struct sync_val *v)
{
	struct op_buf b = {0};
	struct op_stmt *st;
	int rc;

	op_buf_adds(&b, "UPDATE ");
	op_rel_quote_ident(&b, t->name);
	op_buf_adds(&b, " SET ");
	op_rel_quote_ident(&b, v->col->name);
	op_buf_adds(&b, " = ?2 WHERE ");
	op_rel_quote_ident(&b, t->cols[t->pk].name);
	op_buf_adds(&b, " = ?1");
	rc = op_sync_prep(x, &st, &b);
	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_text(st, 1, id);
	op_rel_bind(st, 2, &v->v);
	return run(x, st);
}

int op_sync_row_delete(struct sync_ctx *x, const struct op_table *t,
		       const char *id)
{
	struct op_buf b = {0};
	struct op_stmt *st;
	int rc;

	op_buf_adds(&b, "DELETE FROM ");
	row_where(&b, t);
	rc = op_sync_prep(x, &st, &b);
	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_text(st, 1, id);
	x->deleted = 1; /* SQLite may have cascaded to other rows */
	return run(x, st);
}

int op_sync_row_differs(struct sync_ctx *x, const struct op_table *t,
			const char *id, const struct sync_val *v, int *yes)
{
	struct op_buf b = {0};
	struct op_stmt *st;
	int rc;

	op_buf_adds(&b, "SELECT ");
	op_rel_quote_ident(&b, v->col->name);
	op_buf_adds(&b, " IS NOT ?2 FROM ");
	row_where(&b, t);
	rc = op_sync_prep(x, &st, &b);
	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_text(st, 1, id);
	op_rel_bind(st, 2, &v->v);
	rc = op_rel_step(st, x->err);
	*yes = rc == OP_ROW && op_rel_col_int(st, 0) != 0;
	return rc == OP_ROW ? OUTPOST_OK : rc;
}

int op_sync_log_text(struct sync_ctx *x, const struct sync_entry *e,
		     char op, const char *vals)
{
	int64_t seq;

	return op_log_append_remote(x->a->rel, &x->log_st, e->c->table, op,
				    e->id, vals, e->c->hlc, e->c->site, &seq,
				    x->err);
}

int op_sync_log(struct sync_ctx *x, const struct sync_entry *e, char op,
		const struct sync_val *const *v, size_t n,
		const struct sync_clock *c)
{
	cJSON *o = NULL;
	char *text = NULL;
	int64_t seq;
	size_t i;
	int rc = OUTPOST_OK;

	if (v) {
		o = cJSON_CreateObject();
		for (i = 0; o && i < n; i++)
			if (!(v[i]->wire ? cJSON_AddStringToObject(
						   o, v[i]->col->name,
						   v[i]->wire)
					 : cJSON_AddNullToObject(
						   o, v[i]->col->name)))
				break;
		if (!o || i < n || !(text = cJSON_PrintUnformatted(o)))
			rc = op_err_set(x->err, OUTPOST_ENOMEM,
					"out of memory");
	}
	if (rc == OUTPOST_OK)
		rc = op_log_append_remote(x->a->rel, &x->log_st, e->c->table,
					  op, e->id, text, c->hlc, c->site,
					  &seq, x->err);
	cJSON_free(text);
	cJSON_Delete(o);
	return rc;
}
