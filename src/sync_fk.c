/* sync_fk.c - references once a batch is merged.
 *
 * Two sites can each do something the other did not see: one deletes a
 * child's parent while the other inserts a child for it. The store that
 * gets the delete second cascades it to the child (on_delete), silently;
 * the store that gets the insert second has a child without a parent,
 * which its deferred foreign keys would refuse at commit, and the pull
 * would stop there for good. So before the commit such a child is given
 * what the cascade gave it elsewhere: its reference set to null (SET
 * NULL, on a nullable column), or it goes (CASCADE, and RESTRICT and NO
 * ACTION too, since the delete cannot be undone), together with this
 * batch's log entries for it, as if it had never arrived. Every store
 * ends the same whatever the order.
 *
 * Rows that went without a change of their own (a cascade, or the above)
 * leave column clocks that no row owns; they are dropped, as a local
 * delete's triggers would have dropped them. */
#include <string.h>

#include "sync_int.h"

#define FK_ROUNDS 64 /* each round settles what the last one orphaned */

struct orphan {
	const struct op_table *t;
	int64_t rowid;
	int64_t fkid;
};

/* One round's violations: *out (op_free). */
static int orphans(struct sync_ctx *x, struct orphan **out, size_t *n)
{
	struct op_buf b = {0};
	struct op_stmt *st;
	size_t cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	op_buf_adds(&b, "SELECT \"table\", rowid, fkid FROM "
			"pragma_foreign_key_check");
	rc = op_sync_prep(x, &st, &b);
	if (rc != OUTPOST_OK)
		return rc;
	while ((rc = op_rel_step(st, x->err)) == OP_ROW) {
		const struct op_table *t = op_schema_table(
			x->a->s, op_rel_col_text(st, 0));

		if (!t)
			return op_err_set(x->err, OUTPOST_ESQL, "a foreign key "
					  "of a table outside the schema is "
					  "broken");
		if (*n == cap) {
			void *g = op_realloc(*out, (cap = cap ? 2 * cap : 16) *
							   sizeof(**out));

			if (!g)
				return op_err_set(x->err, OUTPOST_ENOMEM,
						  "out of memory");
			*out = g;
		}
		(*out)[*n].t = t;
		(*out)[*n].rowid = op_rel_col_int(st, 1);
		(*out)[(*n)++].fkid = op_rel_col_int(st, 2);
	}
	return rc;
}

/* The referencing column of foreign key fkid of t, and its on_delete. */
static int reference(struct sync_ctx *x, const struct orphan *o,
		     const struct op_column **col, int *set_null)
{
	struct op_buf b = {0};
	struct op_stmt *st;
	int rc;

	op_buf_adds(&b, "SELECT \"from\", on_delete FROM "
			"pragma_foreign_key_list(?1) WHERE id = ?2");
	*col = NULL;
	*set_null = 0;
	rc = op_sync_prep(x, &st, &b);
	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_text(st, 1, o->t->name);
	op_rel_bind_int(st, 2, o->fkid);
	rc = op_rel_step(st, x->err);
	if (rc != OP_ROW)
		return rc;
	*col = op_schema_column(o->t, op_rel_col_text(st, 0));
	*set_null = op_rel_col_text(st, 1) &&
		    strcmp(op_rel_col_text(st, 1), "SET NULL") == 0;
	return OUTPOST_OK;
}

/* Run "<verb> "t" ... WHERE rowid = ?1" for the orphan's row. */
static int on_row(struct sync_ctx *x, const struct orphan *o,
		  const char *head, const struct op_column *col)
{
	struct op_buf b = {0};
	struct op_stmt *st;
	int rc;

	op_buf_adds(&b, head);
	op_rel_quote_ident(&b, o->t->name);
	if (col) {
		op_buf_adds(&b, " SET ");
		op_rel_quote_ident(&b, col->name);
		op_buf_adds(&b, " = NULL");
	}
	op_buf_adds(&b, " WHERE rowid = ?1");
	rc = op_sync_prep(x, &st, &b);
	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_int(st, 1, o->rowid);
	rc = op_rel_step(st, x->err);
	return rc == OP_ROW ? OUTPOST_OK : rc;
}

/* The orphan goes, and so do this batch's entries for it. */
static int drop_orphan(struct sync_ctx *x, const struct orphan *o)
{
	struct op_buf b = {0};
	struct op_stmt *st;
	char *id = NULL;
	int rc;

	op_buf_adds(&b, "SELECT ");
	op_rel_quote_ident(&b, o->t->cols[o->t->pk].name);
	op_buf_adds(&b, " FROM ");
	op_rel_quote_ident(&b, o->t->name);
	op_buf_adds(&b, " WHERE rowid = ?1");
	rc = op_sync_prep(x, &st, &b);
	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_int(st, 1, o->rowid);
	rc = op_rel_step(st, x->err);
	if (rc != OP_ROW)
		return rc; /* gone already, by an earlier one's cascade */
	if (!op_rel_col_text(st, 0) || !(id = op_strdup(op_rel_col_text(st, 0))))
		return op_err_set(x->err, OUTPOST_ENOMEM, "out of memory");
	x->deleted = 1;
	rc = on_row(x, o, "DELETE FROM ", NULL);
	op_buf_adds(&b, "DELETE FROM _outpost_changes WHERE seq > ?1 AND "
			"tbl = ?2 AND row_id = ?3");
	if (rc == OUTPOST_OK)
		rc = op_sync_prep(x, &st, &b);
	if (rc == OUTPOST_OK) {
		op_rel_bind_int(st, 1, x->first_seq);
		op_rel_bind_text(st, 2, o->t->name);
		op_rel_bind_text(st, 3, id);
		rc = op_rel_step(st, x->err);
		rc = rc == OP_ROW ? OUTPOST_OK : rc;
	} else {
		op_buf_free(&b);
	}
	op_free(id);
	return rc;
}

static int settle(struct sync_ctx *x, const struct orphan *o)
{
	const struct op_column *col;
	int set_null, rc = reference(x, o, &col, &set_null);

	if (rc != OUTPOST_OK)
		return rc;
	if (set_null && col && !col->not_null)
		return on_row(x, o, "UPDATE ", col);
	return drop_orphan(x, o);
}

/* Column clocks of lww rows that are gone without a delete of theirs. */
static int drop_stray_clocks(struct sync_ctx *x)
{
	const struct op_schema *s = x->a->s;
	size_t i, j;
	int rc = OUTPOST_OK;

	for (i = 0; rc == OUTPOST_OK && i < s->ntables; i++) {
		const struct op_table *t = &s->tables[i];
		struct op_buf b = {0}, clk = {0};
		struct op_stmt *st;

		for (j = 0; j < t->ncols && !t->cols[j].ref_table; j++)
			;
		if (t->policy != OP_SYNC_LWW || j == t->ncols)
			continue; /* no parent: nothing cascades to it */
		op_buf_addf(&clk, "_outpost_clk_%s", t->name);
		op_buf_adds(&b, "DELETE FROM ");
		op_rel_quote_ident(&b, op_buf_str(&clk));
		op_buf_adds(&b, " AS k WHERE col <> '' AND NOT EXISTS (SELECT 1 "
				"FROM ");
		op_rel_quote_ident(&b, t->name);
		op_buf_adds(&b, " WHERE ");
		op_rel_quote_ident(&b, t->cols[t->pk].name);
		op_buf_adds(&b, " = k.id)");
		op_buf_free(&clk);
		rc = op_sync_prep(x, &st, &b);
		if (rc == OUTPOST_OK) {
			rc = op_rel_step(st, x->err);
			rc = rc == OP_ROW ? OUTPOST_OK : rc;
		}
	}
	return rc;
}

int op_sync_fk_settle(struct sync_ctx *x)
{
	int round, rc = OUTPOST_OK;

	for (round = 0; rc == OUTPOST_OK && op_rel_fk_pending(x->a->rel);
	     round++) {
		struct orphan *o = NULL;
		size_t n = 0, i;

		if (round == FK_ROUNDS)
			return op_err_set(x->err, OUTPOST_ERROR, "the batch "
					  "leaves references that cannot be "
					  "settled");
		rc = orphans(x, &o, &n);
		for (i = 0; rc == OUTPOST_OK && i < n; i++)
			rc = settle(x, &o[i]);
		op_free(o);
		if (rc == OUTPOST_OK && n == 0)
			break; /* the counter knows of none the check sees */
	}
	if (rc == OUTPOST_OK && x->deleted)
		rc = drop_stray_clocks(x);
	return rc;
}
