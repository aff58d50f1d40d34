/* sync_park.c - column values newer than their row's delete.
 *
 * A delete wins over every update it did not see: the row goes. But an
 * update with a clock newer than the delete (made by a site that had not
 * seen the delete yet) must still count if the row comes back with a
 * re-insert older than that update, or replicas would differ by the
 * order things arrived in: one that applied the update before the delete
 * would have lost it, one that got it after the re-insert would keep it.
 * So such values are parked, with their clocks, while the row is dead,
 * and a re-insert takes, column by column, the newer of its own value
 * and the parked one (sync/PROTOCOL.md "LWW merge").
 *
 * _outpost_parked(tbl, id, col, hlc, site, val): val in wire form. The
 * clock tables keep exactly what the capture triggers would write, so
 * stores compare equal whatever they parked. */
#include <string.h>

#include "sync_int.h"

static const char *const create_sql =
	"CREATE TABLE IF NOT EXISTS _outpost_parked (tbl TEXT NOT NULL, "
	"id TEXT NOT NULL, col TEXT NOT NULL, hlc INTEGER NOT NULL, "
	"site BLOB NOT NULL, val TEXT, PRIMARY KEY (tbl, id, col)) "
	"WITHOUT ROWID, STRICT";

int op_sync_park_init(struct sync_ctx *x)
{
	return op_rel_exec(x->a->rel, create_sql, x->err);
}

static int prep(struct sync_ctx *x, struct op_stmt **st, const char *sql)
{
	struct op_buf b = {0};

	op_buf_adds(&b, sql);
	return op_sync_prep(x, st, &b);
}

static void read_clock(struct op_stmt *st, int at, struct sync_clock *out)
{
	outpost_value site;

	memset(out, 0, sizeof(*out));
	out->hlc = (uint64_t)op_rel_col_int(st, at);
	op_rel_col(st, at + 1, &site);
	if (site.type == OUTPOST_BLOB && site.n == 16)
		memcpy(out->site, site.s, 16);
}

int op_sync_park_get(struct sync_ctx *x, const struct op_table *t,
		     const char *id, const char *col, struct sync_clock *out,
		     int *have)
{
	struct op_stmt *st;
	int rc = prep(x, &st, "SELECT hlc, site FROM _outpost_parked WHERE "
		      "tbl = ?1 AND id = ?2 AND col = ?3");

	*have = 0;
	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_text(st, 1, t->name);
	op_rel_bind_text(st, 2, id);
	op_rel_bind_text(st, 3, col);
	rc = op_rel_step(st, x->err);
	if (rc != OP_ROW)
		return rc;
	read_clock(st, 0, out);
	*have = 1;
	return OUTPOST_OK;
}

int op_sync_park_put(struct sync_ctx *x, const struct op_table *t,
		     const char *id, const char *col,
		     const struct sync_clock *c, const char *wire)
{
	struct op_stmt *st;
	int rc = prep(x, &st, "INSERT OR REPLACE INTO _outpost_parked(tbl, "
		      "id, col, hlc, site, val) VALUES (?1, ?2, ?3, ?4, ?5, "
		      "?6)");

	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_text(st, 1, t->name);
	op_rel_bind_text(st, 2, id);
	op_rel_bind_text(st, 3, col);
	op_rel_bind_int(st, 4, (int64_t)c->hlc);
	op_rel_bind_blob(st, 5, c->site, 16);
	if (wire)
		op_rel_bind_text(st, 6, wire);
	rc = op_rel_step(st, x->err);
	return rc == OP_ROW ? OUTPOST_OK : rc;
}

int op_sync_park_drop(struct sync_ctx *x, const struct op_table *t,
		      const char *id, const struct sync_clock *c)
{
	struct op_stmt *st;
	int rc = prep(x, &st, c ? "DELETE FROM _outpost_parked WHERE tbl = ?1 "
				  "AND id = ?2 AND (hlc < ?3 OR (hlc = ?3 AND "
				  "site <= ?4))"
				: "DELETE FROM _outpost_parked WHERE tbl = ?1 "
				  "AND id = ?2");

	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_text(st, 1, t->name);
	op_rel_bind_text(st, 2, id);
	if (c) {
		op_rel_bind_int(st, 3, (int64_t)c->hlc);
		op_rel_bind_blob(st, 4, c->site, 16);
	}
	rc = op_rel_step(st, x->err);
	return rc == OP_ROW ? OUTPOST_OK : rc;
}

/* The wire form of a stored value, as the capture triggers log it
 * (schema_trigger.c encode_value). */
static void wire_expr(struct op_buf *b, const struct op_column *c)
{
	struct op_buf n = {0};

	op_rel_quote_ident(&n, c->name);
	switch (c->type) {
	case OP_T_INTEGER:
	case OP_T_BOOLEAN:
		op_buf_addf(b, "CAST(%s AS TEXT)", op_buf_str(&n));
		break;
	case OP_T_REAL:
		op_buf_addf(b, "iif(%s IS NULL, NULL, printf('%%!.16e', %s))",
			    op_buf_str(&n), op_buf_str(&n));
		break;
	case OP_T_BLOB:
		op_buf_addf(b, "iif(%s IS NULL, NULL, hex(%s))",
			    op_buf_str(&n), op_buf_str(&n));
		break;
	default:
		op_buf_adds(b, op_buf_str(&n));
	}
	op_buf_free(&n);
}

/* Park one column of a live row at clock c with its current value. */
static int park_column(struct sync_ctx *x, const struct op_table *t,
		       const char *id, const struct op_column *col,
		       const struct sync_clock *c)
{
	struct op_buf b = {0};
	struct op_stmt *st;
	char *wire = NULL;
	int rc;

	op_buf_adds(&b, "SELECT ");
	wire_expr(&b, col);
	op_buf_adds(&b, " FROM ");
	op_rel_quote_ident(&b, t->name);
	op_buf_adds(&b, " WHERE ");
	op_rel_quote_ident(&b, t->cols[t->pk].name);
	op_buf_adds(&b, " = ?1");
	rc = op_sync_prep(x, &st, &b);
	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_text(st, 1, id);
	rc = op_rel_step(st, x->err);
	if (rc != OP_ROW)
		return rc;
	if (op_rel_col_text(st, 0) && !(wire = op_strdup(op_rel_col_text(st,
									    0))))
		return op_err_set(x->err, OUTPOST_ENOMEM, "out of memory");
	rc = op_sync_park_put(x, t, id, col->name, c, wire);
	op_free(wire);
	return rc;
}

int op_sync_park_row(struct sync_ctx *x, const struct op_table *t,
		     const char *id, const struct sync_clock *c)
{
	size_t i;
	int rc = OUTPOST_OK;

	for (i = 0; rc == OUTPOST_OK && i < t->ncols; i++) {
		struct sync_clock cc;
		int have = 0;

		if (t->cols[i].primary_key)
			continue;
		rc = op_sync_clock_get(x, t, id, t->cols[i].name, &cc, &have);
		if (rc == OUTPOST_OK && have && op_sync_clock_cmp(&cc, c) > 0)
			rc = park_column(x, t, id, &t->cols[i], &cc);
	}
	return rc;
}

static int take_one(struct op_stmt *st, const struct op_table *t,
		    struct sync_parked *p)
{
	const struct op_column *col = op_schema_column(t, op_rel_col_text(st,
									    0));
	char why[128];

	const char *text = op_rel_col_text(st, 3);
	char *copy = NULL;
	int rc;

	memset(p, 0, sizeof(*p));
	read_clock(st, 1, &p->clock);
	if (!col)
		return 1; /* a column dropped since: nothing to give back */
	/* The statement's text is gone at its next step, and the value is
	 * used after the last one: the value keeps a copy of its own. */
	if (text && !(copy = op_strdup(text)))
		return -1;
	rc = op_sync_decode_value(&p->val, col, copy, why, sizeof(why));
	if (rc == 0 && copy && !p->val.own) {
		p->val.own = copy; /* wire and v.s point into it */
		copy = NULL;
	}
	op_free(copy);
	return rc == 0 ? 0 : -1;
}

int op_sync_park_take(struct sync_ctx *x, const struct op_table *t,
		      const char *id, const struct sync_clock *c,
		      struct sync_parked **out, size_t *n)
{
	struct op_stmt *st;
	int rc = prep(x, &st, "SELECT col, hlc, site, val FROM _outpost_parked "
		      "WHERE tbl = ?1 AND id = ?2 AND (hlc > ?3 OR (hlc = ?3 "
		      "AND site > ?4)) ORDER BY hlc, site, col");

	*out = NULL;
	*n = 0;
	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_text(st, 1, t->name);
	op_rel_bind_text(st, 2, id);
	op_rel_bind_int(st, 3, (int64_t)c->hlc);
	op_rel_bind_blob(st, 4, c->site, 16);
	while ((rc = op_rel_step(st, x->err)) == OP_ROW) {
		void *grown = op_realloc(*out, (*n + 1) * sizeof(**out));
		int got;

		if (!grown)
			return op_err_set(x->err, OUTPOST_ENOMEM,
					  "out of memory");
		*out = grown;
		got = take_one(st, t, &(*out)[*n]);
		if (got < 0)
			return op_err_set(x->err, OUTPOST_ECORRUPT, "a parked "
					  "value of %s row %s does not fit its "
					  "column", t->name, id);
		*n += got == 0;
	}
	return rc;
}

void op_sync_park_free(struct sync_parked *p, size_t n)
{
	size_t i;

	for (i = 0; p && i < n; i++)
		op_sync_val_free(&p[i].val);
	op_free(p);
}

int op_sync_park_gc(struct sync_ctx *x)
{
	const struct op_schema *s = x->a->s;
	size_t i;
	int rc = OUTPOST_OK;

	for (i = 0; rc == OUTPOST_OK && i < s->ntables; i++) {
		const struct op_table *t = &s->tables[i];
		struct op_buf b = {0};
		struct op_stmt *st;

		if (t->policy != OP_SYNC_LWW)
			continue;
		op_buf_adds(&b, "DELETE FROM _outpost_parked WHERE tbl = ?1 AND "
				"id IN (SELECT p.id FROM _outpost_parked p JOIN ");
		op_rel_quote_ident(&b, t->name);
		op_buf_adds(&b, " r ON r.");
		op_rel_quote_ident(&b, t->cols[t->pk].name);
		op_buf_adds(&b, " = p.id WHERE p.tbl = ?1)");
		rc = op_sync_prep(x, &st, &b);
		if (rc == OUTPOST_OK) {
			op_rel_bind_text(st, 1, t->name);
			rc = op_rel_step(st, x->err);
			rc = rc == OP_ROW ? OUTPOST_OK : rc;
		}
	}
	return rc;
}
