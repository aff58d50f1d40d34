/* sync_cache.c - the statements a batch's merge runs, kept prepared for
 * the batch: a pull of thousands of changes runs the same few per table
 * again and again. A statement is found by its key (what it does, its
 * table, its columns: sync_stmt.c's, run for every change, whose SQL
 * would cost more to write out than to look up) or by its SQL text. */
#include <string.h>

#include "sync_int.h"

/* Keep st under k (sql: its text for SYNC_SQL, taken), or finalize it. */
static int keep(struct sync_ctx *x, const struct sync_key *k,
		struct op_stmt *st, struct op_buf *sql)
{
	char *text = NULL;

	if (k->what == SYNC_SQL && !(text = op_buf_take(sql))) {
		op_rel_finalize(st);
		return op_err_set(x->err, OUTPOST_ENOMEM, "out of memory");
	}
	x->cache[x->ncache].sql = text;
	x->cache[x->ncache].key = *k;
	x->cache[x->ncache].st = st;
	x->ncache++;
	return OUTPOST_OK;
}

int op_sync_keep(struct sync_ctx *x, const struct sync_key *k,
		 struct op_stmt **out, struct op_buf *sql)
{
	int rc;

	*out = NULL;
	if (sql->oom) {
		op_buf_free(sql);
		return op_err_set(x->err, OUTPOST_ENOMEM, "out of memory");
	}
	if (x->ncache == SYNC_CACHE_MAX)
		op_sync_cache_free(x); /* a batch over very many tables */
	rc = op_rel_prepare(out, x->a->rel, op_buf_str(sql), NULL, x->err);
	if (rc == OUTPOST_OK && !*out)
		rc = op_err_set(x->err, OUTPOST_ERROR, "empty statement");
	if (rc == OUTPOST_OK && (rc = keep(x, k, *out, sql)) != OUTPOST_OK)
		*out = NULL;
	op_buf_free(sql);
	return rc;
}

struct op_stmt *op_sync_kept(struct sync_ctx *x, const struct sync_key *k)
{
	size_t i;

	for (i = 0; i < x->ncache; i++)
		if (x->cache[i].key.what == k->what &&
		    x->cache[i].key.t == k->t &&
		    x->cache[i].key.cols == k->cols) {
			op_rel_reset(x->cache[i].st);
			return x->cache[i].st;
		}
	return NULL;
}

int op_sync_prep(struct sync_ctx *x, struct op_stmt **out,
		 struct op_buf *sql)
{
	static const struct sync_key by_text = {SYNC_SQL, NULL, 0};
	size_t i;

	*out = NULL;
	if (sql->oom) {
		op_buf_free(sql);
		return op_err_set(x->err, OUTPOST_ENOMEM, "out of memory");
	}
	for (i = 0; i < x->ncache; i++)
		if (x->cache[i].sql &&
		    strcmp(x->cache[i].sql, op_buf_str(sql)) == 0) {
			op_buf_free(sql);
			*out = x->cache[i].st;
			op_rel_reset(*out);
			return OUTPOST_OK;
		}
	return op_sync_keep(x, &by_text, out, sql);
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
