/* sync_stmt.c - the row and clock reads and writes of a batch's merge,
 * on statements kept for the batch (sync_cache.c): the ones run for
 * every change are found by what they do (struct sync_key), and their
 * SQL is written only the first time. Every identifier comes from the
 * schema and is quoted; every value is bound. */
#include <assert.h>
#include <string.h>

#include "sync_int.h"

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

/* Bind row id (an entry's, which outlives the statement's next reset)
 * as ?1, not copied: the hot statements run once or more per change. */
static void bind_id(struct op_stmt *st, const char *id)
{
	outpost_value v;

	memset(&v, 0, sizeof(v));
	v.type = OUTPOST_TEXT;
	v.s = id;
	v.n = strlen(id);
	op_rel_bind_ref(st, 1, &v);
}

/* The index of column col of t, for keys and parameter numbers. */
static size_t col_at(const struct op_table *t, const struct op_column *col)
{
	assert(col >= t->cols && col < t->cols + t->ncols);
	return (size_t)(col - t->cols);
}

/* The statement kept under (what, t, cols), set into k; NULL if there
 * is none yet (the caller then builds it and op_sync_keeps it). */
static struct op_stmt *kept(struct sync_ctx *x, struct sync_key *k,
			    enum sync_what what, const struct op_table *t,
			    uint64_t cols)
{
	k->what = what;
	k->t = t;
	k->cols = cols;
	return op_sync_kept(x, k);
}

int op_sync_row_exists(struct sync_ctx *x, const struct op_table *t,
		       const char *id, int *yes)
{
	struct sync_key k;
	struct op_stmt *st = kept(x, &k, SYNC_EXISTS, t, 0);
	int rc = OUTPOST_OK;

	if (!st) {
		struct op_buf b = {0};

		op_buf_adds(&b, "SELECT 1 FROM ");
		row_where(&b, t);
		rc = op_sync_keep(x, &k, &st, &b);
	}
	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_text(st, 1, id);
	rc = op_rel_step(st, x->err);
	*yes = rc == OP_ROW;
	return rc == OP_ROW ? OUTPOST_OK : rc;
}

static void read_clock(struct op_stmt *st, int at, struct sync_clock *out)
{
	outpost_value site;

	memset(out, 0, sizeof(*out));
	out->hlc = (uint64_t)op_rel_col_int(st, at);
	op_rel_col(st, at + 1, &site);
	if (site.type == OUTPOST_BLOB && site.n == 16)
		memcpy(out->site, site.s, 16);
	out->dead = op_rel_col_int(st, at + 2) != 0;
}

/* Where t's state is kept in x->clk_empty (allocated at first use). */
static unsigned char *clk_state(struct sync_ctx *x, const struct op_table *t)
{
	const struct op_schema *s = x->a->s;

	assert(t >= s->tables && t < s->tables + s->ntables);
	if (!x->clk_empty && !(x->clk_empty = op_calloc(s->ntables, 1)))
		return NULL;
	return &x->clk_empty[t - s->tables];
}

/* Is t's clock table empty (no clock to read for any of its rows)? */
static int clocks_empty(struct sync_ctx *x, const struct op_table *t,
			int *empty)
{
	unsigned char *state = clk_state(x, t);
	struct sync_key k;
	struct op_stmt *st = NULL;
	int rc = OUTPOST_OK;

	if (!state)
		return op_err_set(x->err, OUTPOST_ENOMEM, "out of memory");
	if (!*state && !(st = kept(x, &k, SYNC_CLOCKS_ANY, t, 0))) {
		struct op_buf b = {0};

		op_buf_adds(&b, "SELECT 1 FROM ");
		clock_table(&b, t);
		op_buf_adds(&b, " LIMIT 1");
		rc = op_sync_keep(x, &k, &st, &b);
	}
	if (rc == OUTPOST_OK && !*state) {
		rc = op_rel_step(st, x->err);
		*state = rc == OP_ROW ? 2 : 1;
		rc = rc == OP_ROW ? OUTPOST_OK : rc;
	}
	*empty = *state == 1;
	return rc;
}

/* Column clocks are col > '' (col is text, never NULL: the same rows as
 * col <> '', but a range of the clock table's key). */
int op_sync_row_probe(struct sync_ctx *x, const struct op_table *t,
		      const char *id, int row, struct sync_probe *out)
{
	struct sync_key k;
	struct op_stmt *st;
	int empty = 0, rc = clocks_empty(x, t, &empty);

	memset(out, 0, sizeof(*out));
	if (rc != OUTPOST_OK)
		return rc;
	if (empty)
		return row ? op_sync_row_exists(x, t, id, &out->alive)
			   : OUTPOST_OK;
	st = kept(x, &k, row ? SYNC_PROBE : SYNC_PROBE_CLOCKS, t, 0);
	if (!st) {
		struct op_buf b = {0};

		op_buf_adds(&b, "SELECT k.hlc, k.site, k.dead, EXISTS (SELECT "
				"1 FROM ");
		clock_table(&b, t);
		op_buf_adds(&b, " WHERE id = ?1 AND col > '')");
		if (row) {
			op_buf_adds(&b, ", EXISTS (SELECT 1 FROM ");
			row_where(&b, t);
			op_buf_adds(&b, ")");
		}
		op_buf_adds(&b, " FROM (SELECT 1) LEFT JOIN ");
		clock_table(&b, t);
		op_buf_adds(&b, " AS k ON k.id = ?1 AND k.col = ''");
		rc = op_sync_keep(x, &k, &st, &b);
	}
	if (rc != OUTPOST_OK)
		return rc;
	bind_id(st, id);
	rc = op_rel_step(st, x->err);
	if (rc != OP_ROW)
		return rc == OUTPOST_OK ? op_err_set(x->err, OUTPOST_ERROR,
						     "the row probe returned "
						     "no row")
					: rc;
	out->have_rc = !op_rel_col_is_null(st, 0);
	if (out->have_rc)
		read_clock(st, 0, &out->rc);
	out->col_clocks = op_rel_col_int(st, 3) != 0;
	out->alive = row && op_rel_col_int(st, 4) != 0;
	return OUTPOST_OK;
}

int op_sync_clock_get(struct sync_ctx *x, const struct op_table *t,
		      const char *id, const char *col, struct sync_clock *out,
		      int *have)
{
	struct sync_key k;
	struct op_stmt *st = kept(x, &k, SYNC_CLOCK_GET, t, 0);
	int rc = OUTPOST_OK;

	*have = 0;
	if (!st) {
		struct op_buf b = {0};

		op_buf_adds(&b, "SELECT hlc, site, dead FROM ");
		clock_table(&b, t);
		op_buf_adds(&b, " WHERE id = ?1 AND col = ?2");
		rc = op_sync_keep(x, &k, &st, &b);
	}
	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_text(st, 1, id);
	op_rel_bind_text(st, 2, col);
	rc = op_rel_step(st, x->err);
	if (rc != OP_ROW)
		return rc;
	read_clock(st, 0, out);
	*have = 1;
	return OUTPOST_OK;
}

int op_sync_clock_put(struct sync_ctx *x, const struct op_table *t,
		      const char *id, const char *col,
		      const struct sync_clock *c)
{
	struct sync_key k;
	struct op_stmt *st = kept(x, &k, SYNC_CLOCK_PUT, t, 0);
	int rc = OUTPOST_OK;

	if (!st) {
		struct op_buf b = {0};

		op_buf_adds(&b, "INSERT OR REPLACE INTO ");
		clock_table(&b, t);
		op_buf_adds(&b, "(id, col, hlc, site, dead) VALUES (?1, ?2, "
				"?3, ?4, ?5)");
		rc = op_sync_keep(x, &k, &st, &b);
	}
	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_text(st, 1, id);
	op_rel_bind_text(st, 2, col);
	op_rel_bind_int(st, 3, (int64_t)c->hlc);
	op_rel_bind_blob(st, 4, c->site, 16);
	op_rel_bind_int(st, 5, c->dead ? 1 : 0);
	rc = run(x, st);
	if (x->clk_empty) /* written, or failed half way: not empty now */
		x->clk_empty[t - x->a->s->tables] = 2;
	return rc;
}

int op_sync_clock_drop(struct sync_ctx *x, const struct op_table *t,
		       const char *id, const struct sync_clock *c)
{
	struct sync_key k;
	struct op_stmt *st = kept(x, &k, c ? SYNC_CLOCK_OLDER
					   : SYNC_CLOCK_DROP, t, 0);
	int rc = OUTPOST_OK;

	if (!st) {
		struct op_buf b = {0};

		op_buf_adds(&b, "DELETE FROM ");
		clock_table(&b, t);
		op_buf_adds(&b, " WHERE id = ?1 AND col > ''");
		if (c)
			op_buf_adds(&b, " AND (hlc < ?2 OR (hlc = ?2 AND site "
					"< ?3))");
		rc = op_sync_keep(x, &k, &st, &b);
	}
	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_text(st, 1, id);
	if (c) {
		op_rel_bind_int(st, 2, (int64_t)c->hlc);
		op_rel_bind_blob(st, 3, c->site, 16);
	}
	return run(x, st);
}

/* INSERT INTO "t"("pk", "a", ...) VALUES (?1, ?N, ...): each value's
 * parameter is its column's index + 2, so the statement fits the same
 * set of columns in any order. */
static void insert_sql(struct op_buf *b, const struct op_table *t,
		       const struct sync_val *const *v, size_t n)
{
	size_t i;

	op_buf_adds(b, "INSERT INTO ");
	op_rel_quote_ident(b, t->name);
	op_buf_adds(b, "(");
	op_rel_quote_ident(b, t->cols[t->pk].name);
	for (i = 0; i < n; i++) {
		op_buf_adds(b, ", ");
		op_rel_quote_ident(b, v[i]->col->name);
	}
	op_buf_adds(b, ") VALUES (?1");
	for (i = 0; i < n; i++)
		op_buf_addf(b, ", ?%zu", col_at(t, v[i]->col) + 2);
	op_buf_adds(b, ")");
}

/* Insert the row; with if_absent, not over a row of the same id. */
static int row_insert(struct sync_ctx *x, const struct op_table *t,
		      const char *id, const struct sync_val *const *v,
		      size_t n, int if_absent)
{
	struct sync_key k;
	struct op_stmt *st = NULL;
	uint64_t set = 0;
	size_t i;
	int rc = OUTPOST_OK;

	/* A table of more than 64 columns is found by its SQL text. */
	for (i = 0; t->ncols <= 64 && i < n; i++)
		set |= (uint64_t)1 << col_at(t, v[i]->col);
	if (t->ncols <= 64)
		st = kept(x, &k, if_absent ? SYNC_ADD : SYNC_INSERT, t, set);
	if (!st) {
		struct op_buf b = {0};

		insert_sql(&b, t, v, n);
		if (if_absent) {
			op_buf_adds(&b, " ON CONFLICT(");
			op_rel_quote_ident(&b, t->cols[t->pk].name);
			op_buf_adds(&b, ") DO NOTHING");
		}
		rc = t->ncols <= 64 ? op_sync_keep(x, &k, &st, &b)
				    : op_sync_prep(x, &st, &b);
	}
	if (rc != OUTPOST_OK)
		return rc;
	bind_id(st, id);
	for (i = 0; i < n; i++) /* the values outlive the next reset too */
		op_rel_bind_ref(st, (int)col_at(t, v[i]->col) + 2, &v[i]->v);
	return run(x, st);
}

int op_sync_row_insert(struct sync_ctx *x, const struct op_table *t,
		       const char *id, const struct sync_val *const *v,
		       size_t n)
{
	return row_insert(x, t, id, v, n, 0);
}

/* A value the table refuses (a CHECK, NOT NULL, a guard trigger) fails
 * the insert before its key is compared, whether the row is there or
 * not, and SQLite undoes the statement (nothing was written before the
 * checks). Had the row been there, the plain way would not have tried
 * the insert at all: so the failure counts only for a row that is not
 * there, and is then the plain insert's own, word for word. */
int op_sync_row_add(struct sync_ctx *x, const struct op_table *t,
		    const char *id, const struct sync_val *const *v, size_t n,
		    int *added)
{
	int there = 0, rc = row_insert(x, t, id, v, n, 1), rc2;

	*added = 0;
	if (rc == OUTPOST_OK) {
		*added = op_rel_changes(x->a->rel) > 0;
		return OUTPOST_OK;
	}
	if (rc != OUTPOST_ESQL && rc != OUTPOST_EREFUSED)
		return rc;
	rc2 = op_sync_row_exists(x, t, id, &there);
	return rc2 != OUTPOST_OK ? rc2 : there ? OUTPOST_OK : rc;
}

int op_sync_row_set(struct sync_ctx *x, const struct op_table *t,
		    const char *id, const struct sync_val *v)
{
	struct sync_key k;
	struct op_stmt *st = kept(x, &k, SYNC_SET, t, col_at(t, v->col));
	int rc = OUTPOST_OK;

	if (!st) {
		struct op_buf b = {0};

		op_buf_adds(&b, "UPDATE ");
		op_rel_quote_ident(&b, t->name);
		op_buf_adds(&b, " SET ");
		op_rel_quote_ident(&b, v->col->name);
		op_buf_adds(&b, " = ?2 WHERE ");
		op_rel_quote_ident(&b, t->cols[t->pk].name);
		op_buf_adds(&b, " = ?1");
		rc = op_sync_keep(x, &k, &st, &b);
	}
	if (rc != OUTPOST_OK)
		return rc;
	bind_id(st, id);
	op_rel_bind_ref(st, 2, &v->v);
	return run(x, st);
}

int op_sync_row_delete(struct sync_ctx *x, const struct op_table *t,
		       const char *id)
{
	struct sync_key k;
	struct op_stmt *st = kept(x, &k, SYNC_DELETE, t, 0);
	int rc = OUTPOST_OK;

	if (!st) {
		struct op_buf b = {0};

		op_buf_adds(&b, "DELETE FROM ");
		row_where(&b, t);
		rc = op_sync_keep(x, &k, &st, &b);
	}
	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_text(st, 1, id);
	x->deleted = 1; /* SQLite may have cascaded to other rows */
	return run(x, st);
}

int op_sync_row_differs(struct sync_ctx *x, const struct op_table *t,
			const char *id, const struct sync_val *v, int *yes)
{
	struct sync_key k;
	struct op_stmt *st = kept(x, &k, SYNC_DIFFERS, t, col_at(t, v->col));
	int rc = OUTPOST_OK;

	if (!st) {
		struct op_buf b = {0};

		op_buf_adds(&b, "SELECT ");
		op_rel_quote_ident(&b, v->col->name);
		op_buf_adds(&b, " IS NOT ?2 FROM ");
		row_where(&b, t);
		rc = op_sync_keep(x, &k, &st, &b);
	}
	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_text(st, 1, id);
	op_rel_bind(st, 2, &v->v);
	rc = op_rel_step(st, x->err);
	*yes = rc == OP_ROW && op_rel_col_int(st, 0) != 0;
	return rc == OP_ROW ? OUTPOST_OK : rc;
}
