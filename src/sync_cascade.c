/* sync_cascade.c - the rows a pulled delete takes with it.
 *
 * A delete that wins over a live row parks its columns newer than the
 * delete (sync_park.c). When the row is a parent, SQLite's cascade then
 * takes its children (references declared on_delete cascade) without a
 * look at their clocks. Each child's own delete entry (logged where the
 * cascade first ran, with a clock after the parent's) comes later and
 * finds the row gone, so a child column updated here after the delete
 * was made would be lost here but parked on every replica that got the
 * update after the deletes. So before the parent goes, each row the
 * cascade will take parks its columns newer than the parent's delete;
 * the child's own delete then drops those not newer than it, as it does
 * for a dead row (sync/PROTOCOL.md "LWW merge"). */
#include <string.h>

#include "sync_int.h"

/* Cascades deeper than this are a cycle of rows; stop there. */
#define CASCADE_DEPTH_MAX 64

struct ids {
	char **v;
	size_t n, cap;
};

static void ids_free(struct ids *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		op_free(l->v[i]);
	op_free(l->v);
}

static int ids_add(struct ids *l, const char *id)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		char **v = op_realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	if (!(l->v[l->n] = op_strdup(id)))
		return -1;
	l->n++;
	return 0;
}

/* The keys of ct's rows whose column ref names row id of t (read whole
 * before anything recurses: the statement is the batch's, kept). */
static int children(struct sync_ctx *x, const struct op_table *t,
		    const char *id, const struct op_table *ct,
		    const struct op_column *ref, struct ids *out)
{
	struct op_buf b = {0};
	struct op_stmt *st;
	int rc;

	op_buf_adds(&b, "SELECT CAST(");
	op_rel_quote_ident(&b, ct->cols[ct->pk].name);
	op_buf_adds(&b, " AS TEXT) FROM ");
	op_rel_quote_ident(&b, ct->name);
	op_buf_adds(&b, " WHERE ");
	op_rel_quote_ident(&b, ref->name);
	op_buf_adds(&b, " = (SELECT ");
	op_rel_quote_ident(&b, ref->ref_column);
	op_buf_adds(&b, " FROM ");
	op_rel_quote_ident(&b, t->name);
	op_buf_adds(&b, " WHERE ");
	op_rel_quote_ident(&b, t->cols[t->pk].name);
	op_buf_adds(&b, " = ?1)");
	rc = op_sync_prep(x, &st, &b);
	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_text(st, 1, id);
	while ((rc = op_rel_step(st, x->err)) == OP_ROW) {
		const char *k = op_rel_col_text(st, 0);

		if (k && ids_add(out, k) != 0)
			return op_err_set(x->err, OUTPOST_ENOMEM,
					  "out of memory");
	}
	return rc;
}

static int cascade(struct sync_ctx *x, const struct op_table *t,
		   const char *id, const struct sync_clock *c, int depth)
{
	const struct op_schema *s = x->a->s;
	size_t i, j, k;
	int rc = OUTPOST_OK;

	if (depth >= CASCADE_DEPTH_MAX)
		return OUTPOST_OK;
	for (i = 0; rc == OUTPOST_OK && i < s->ntables; i++) {
		const struct op_table *ct = &s->tables[i];

		for (j = 0; rc == OUTPOST_OK && j < ct->ncols; j++) {
			const struct op_column *ref = &ct->cols[j];
			struct ids l = {0};

			if (!ref->ref_table || ref->on_delete != OP_DEL_CASCADE ||
			    strcmp(ref->ref_table, t->name) != 0)
				continue;
			rc = children(x, t, id, ct, ref, &l);
			for (k = 0; rc == OUTPOST_OK && k < l.n; k++) {
				if (ct->policy == OP_SYNC_LWW)
					rc = op_sync_park_row(x, ct, l.v[k], c);
				if (rc == OUTPOST_OK)
					rc = cascade(x, ct, l.v[k], c,
						     depth + 1);
			}
			ids_free(&l);
		}
	}
	return rc;
}

int op_sync_park_cascade(struct sync_ctx *x, const struct op_table *t,
			 const char *id, const struct sync_clock *c)
{
	return cascade(x, t, id, c, 0);
}
