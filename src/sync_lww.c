/* sync_lww.c - one change merged into an lww table (sync/PROTOCOL.md
 * "LWW merge"): the row clock (col '' of _outpost_clk_<t>: its latest
 * insert or delete, dead for a tombstone), a clock per column changed by
 * an update, and the values parked while the row is dead (sync_park.c).
 * A column's effective clock is the later of its own and the row's.
 *
 * The clock tables end up exactly as the capture triggers would have
 * left them had the change been made here (schema_trigger.c): an insert
 * writes no clock row unless the row had one (a tombstone), an update
 * writes its columns' clocks, a delete drops them and writes a
 * tombstone. So replicas that saw the same changes hold equal clock
 * tables, whatever the order.
 *
 * Clocks equal to the change's mean the change is already in: nothing
 * happens, and a batch applied twice changes nothing the second time. */
#include <string.h>

#include "sync_int.h"

struct row {
	struct sync_clock c;  /* the change's */
	struct sync_clock rc; /* the row's */
	int have_rc;
	int alive;	/* the row is in its table */
	int col_clocks; /* it has column clocks: else none to read or drop */
};

/* A live row without a clock row was made by one insert and nothing
 * else since; its clock is that insert's log entry (site NULL: ours).
 * Only a remote insert of the same id needs it, which is rare (two
 * sites inserting one id, or a re-insert from a site that saw a delete
 * this one has not), so a walk back through the log is fine. */
static int insert_clock(struct sync_ctx *x, const struct sync_entry *e,
			struct sync_clock *out, int *found)
{
	struct op_buf b = {0};
	struct op_stmt *st;
	outpost_value site;
	int rc;

	op_buf_adds(&b, "SELECT hlc, site FROM _outpost_changes WHERE tbl = ?1 "
			"AND row_id = ?2 AND op = 'I' ORDER BY seq DESC LIMIT 1");
	*found = 0;
	rc = op_sync_log_flush(x); /* this batch's entries too */
	if (rc == OUTPOST_OK)
		rc = op_sync_prep(x, &st, &b);
	else
		op_buf_free(&b);
	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_text(st, 1, e->t->name);
	op_rel_bind_text(st, 2, e->id);
	rc = op_rel_step(st, x->err);
	if (rc != OP_ROW)
		return rc;
	memset(out, 0, sizeof(*out));
	out->hlc = (uint64_t)op_rel_col_int(st, 0);
	op_rel_col(st, 1, &site);
	memcpy(out->site, site.type == OUTPOST_BLOB && site.n == 16
				  ? (const uint8_t *)site.s
				  : x->a->site,
	       16);
	*found = 1;
	return OUTPOST_OK;
}

/* The change's values whose column clocks are older than its own. */
static int winners(struct sync_ctx *x, const struct sync_entry *e,
		   const struct row *r, const struct sync_val **w, size_t *n)
{
	size_t i;
	int rc = OUTPOST_OK;

	*n = 0;
	for (i = 0; rc == OUTPOST_OK && i < e->nvals; i++) {
		struct sync_clock cc;
		int have = 0;

		if (r->col_clocks) /* else none has a clock of its own */
			rc = op_sync_clock_get(x, e->t, e->id,
					       e->vals[i].col->name, &cc,
					       &have);
		if (rc == OUTPOST_OK &&
		    (!have || op_sync_clock_cmp(&r->c, &cc) > 0))
			w[(*n)++] = &e->vals[i];
	}
	return rc;
}

/* An insert that wins over a live row (an insert of the same id made
 * elsewhere): its values where they are newer, the row clock its own. */
static int insert_over(struct sync_ctx *x, const struct sync_entry *e,
		       const struct row *r, const struct sync_val **w)
{
	size_t n = 0, i;
	int rc = winners(x, e, r, w, &n);

	for (i = 0; rc == OUTPOST_OK && i < n; i++)
		rc = op_sync_row_set(x, e->t, e->id, w[i]);
	if (rc == OUTPOST_OK && r->col_clocks)
		rc = op_sync_clock_drop(x, e->t, e->id, &r->c);
	if (rc == OUTPOST_OK)
		rc = op_sync_clock_put(x, e->t, e->id, "", &r->c);
	if (rc == OUTPOST_OK)
		rc = op_sync_log(x, e, 'I', w, n, &r->c);
	return rc;
}

/* Log the parked values a re-insert gave back: one update per clock. */
static int log_parked(struct sync_ctx *x, const struct sync_entry *e,
		      const struct sync_parked *p, size_t np,
		      const struct sync_val **w)
{
	size_t i = 0;
	int rc = OUTPOST_OK;

	while (rc == OUTPOST_OK && i < np) {
		size_t j = i, n = 0;

		while (j < np && op_sync_clock_cmp(&p[j].clock, &p[i].clock) ==
					 0)
			w[n++] = &p[j++].val;
		rc = op_sync_log(x, e, 'U', w, n, &p[i].clock);
		i = j;
	}
	return rc;
}

/* An insert of a row that is not in its table: new, or back after a
 * delete; values parked since the delete and newer than the insert win
 * their columns. */
static int insert_fresh(struct sync_ctx *x, const struct sync_entry *e,
			const struct row *r, const struct sync_val **w)
{
	struct sync_parked *p = NULL;
	const struct sync_val **all = NULL;
	size_t np = 0, n = 0, na = 0, i, j;
	int rc = OUTPOST_OK;

	if (r->have_rc)
		rc = op_sync_park_take(x, e->t, e->id, &r->c, &p, &np);
	if (rc == OUTPOST_OK &&
	    !(all = op_calloc(e->nvals + np + 1, sizeof(void *)))) {
		op_sync_park_free(p, np);
		return op_err_set(x->err, OUTPOST_ENOMEM, "out of memory");
	}
	for (i = 0; rc == OUTPOST_OK && i < e->nvals; i++) {
		for (j = 0; j < np && p[j].val.col != e->vals[i].col; j++)
			;
		if (j == np)
			w[n++] = all[na++] = &e->vals[i];
	}
	for (j = 0; rc == OUTPOST_OK && j < np; j++)
		all[na++] = &p[j].val;
	if (rc == OUTPOST_OK)
		rc = op_sync_row_insert(x, e->t, e->id, all, na);
	if (rc == OUTPOST_OK && r->col_clocks)
		rc = op_sync_clock_drop(x, e->t, e->id, NULL);
	for (j = 0; rc == OUTPOST_OK && j < np; j++)
		rc = op_sync_clock_put(x, e->t, e->id, p[j].val.col->name,
				       &p[j].clock);
	if (rc == OUTPOST_OK && r->have_rc)
		rc = op_sync_clock_put(x, e->t, e->id, "", &r->c);
	if (rc == OUTPOST_OK && r->have_rc)
		rc = op_sync_park_drop(x, e->t, e->id, NULL);
	if (rc == OUTPOST_OK)
		rc = op_sync_log(x, e, 'I', w, n, &r->c);
	if (rc == OUTPOST_OK)
		rc = log_parked(x, e, p, np, all);
	op_sync_park_free(p, np);
	op_free(all);
	return rc;
}

/* An insert of a row without a row clock: nothing of it was deleted
 * here, so nothing is parked, and the row is most likely new. It is
 * inserted straight away, as insert_fresh would, unless its id is in
 * the table (*added 0): one look at the table instead of two. */
static int insert_new(struct sync_ctx *x, const struct sync_entry *e,
		      const struct row *r, const struct sync_val **w,
		      int *added)
{
	size_t i;
	int rc;

	for (i = 0; i < e->nvals; i++)
		w[i] = &e->vals[i];
	rc = op_sync_row_add(x, e->t, e->id, w, e->nvals, added);
	if (rc == OUTPOST_OK && *added && r->col_clocks)
		rc = op_sync_clock_drop(x, e->t, e->id, NULL);
	if (rc == OUTPOST_OK && *added)
		rc = op_sync_log(x, e, 'I', w, e->nvals, &r->c);
	return rc;
}

static int lww_insert(struct sync_ctx *x, const struct sync_entry *e,
		      struct row *r, const struct sync_val **w)
{
	struct sync_clock made;
	int found = 0, added = 0, rc;

	if (r->have_rc && op_sync_clock_cmp(&r->rc, &r->c) >= 0)
		return OUTPOST_OK;
	if (r->have_rc)
		rc = op_sync_row_exists(x, e->t, e->id, &r->alive);
	else if ((rc = insert_new(x, e, r, w, &added)) == OUTPOST_OK)
		r->alive = !added;
	if (rc != OUTPOST_OK || added)
		return rc;
	if (!r->alive)
		return insert_fresh(x, e, r, w);
	if (r->have_rc)
		return insert_over(x, e, r, w);
	rc = insert_clock(x, e, &made, &found);
	if (rc != OUTPOST_OK || !found || op_sync_clock_cmp(&made, &r->c) < 0)
		return rc ? rc : insert_over(x, e, r, w);
	/* This insert is in, or an older one of the same id: the row
	 * stays. After a conflict both sides keep the winner's clock. */
	if (op_sync_clock_cmp(&made, &r->c) > 0)
		rc = op_sync_clock_put(x, e->t, e->id, "", &made);
	return rc;
}

/* An update of a dead row, newer than its delete: parked. */
static int park_update(struct sync_ctx *x, const struct sync_entry *e,
		       const struct row *r)
{
	size_t i;
	int rc = OUTPOST_OK;

	for (i = 0; rc == OUTPOST_OK && i < e->nvals; i++) {
		const struct sync_val *v = &e->vals[i];
		struct sync_clock pc;
		int have = 0;

		rc = op_sync_park_get(x, e->t, e->id, v->col->name, &pc, &have);
		if (rc == OUTPOST_OK &&
		    (!have || op_sync_clock_cmp(&r->c, &pc) > 0))
			rc = op_sync_park_put(x, e->t, e->id, v->col->name,
					      &r->c, v->wire);
	}
	return rc;
}

static int lww_update(struct sync_ctx *x, const struct sync_entry *e,
		      const struct row *r, const struct sync_val **w)
{
	size_t n = 0, i;
	int rc;

	if (!r->alive) {
		/* A delete wins over the updates it did not see. */
		if (r->have_rc && r->rc.dead &&
		    op_sync_clock_cmp(&r->c, &r->rc) > 0)
			return park_update(x, e, r);
		return OUTPOST_OK;
	}
	if (r->have_rc && op_sync_clock_cmp(&r->rc, &r->c) >= 0)
		return OUTPOST_OK; /* made before the row's latest insert */
	rc = winners(x, e, r, w, &n);
	for (i = 0; rc == OUTPOST_OK && i < n; i++) {
		rc = op_sync_row_set(x, e->t, e->id, w[i]);
		if (rc == OUTPOST_OK)
			rc = op_sync_clock_put(x, e->t, e->id, w[i]->col->name,
					       &r->c);
	}
	if (rc == OUTPOST_OK && n)
		rc = op_sync_log(x, e, 'U', w, n, &r->c);
	return rc;
}

static int lww_delete(struct sync_ctx *x, const struct sync_entry *e,
		      const struct row *r)
{
	struct sync_clock dead = r->c;
	int rc;

	if (r->have_rc && op_sync_clock_cmp(&r->rc, &r->c) >= 0)
		return OUTPOST_OK;
	if (r->alive) {
		rc = op_sync_park_drop(x, e->t, e->id, NULL);
		if (rc == OUTPOST_OK && r->col_clocks)
			rc = op_sync_park_row(x, e->t, e->id, &r->c);
		if (rc == OUTPOST_OK)
			rc = op_sync_park_cascade(x, e->t, e->id, &r->c);
		if (rc == OUTPOST_OK)
			rc = op_sync_row_delete(x, e->t, e->id);
	} else {
		rc = op_sync_park_drop(x, e->t, e->id, &r->c);
	}
	if (rc == OUTPOST_OK && r->col_clocks)
		rc = op_sync_clock_drop(x, e->t, e->id, NULL);
	dead.dead = 1;
	if (rc == OUTPOST_OK)
		rc = op_sync_clock_put(x, e->t, e->id, "", &dead);
	if (rc == OUTPOST_OK)
		rc = op_sync_log(x, e, 'D', NULL, 0, &r->c);
	return rc;
}

int op_sync_lww(struct sync_ctx *x, const struct sync_entry *e)
{
	const struct sync_val **w = NULL;
	struct sync_probe p;
	struct row r;
	int rc;

	memset(&r, 0, sizeof(r));
	op_sync_clock_of(&r.c, e->c);
	/* Room for the values that win, to log them. */
	if (!(w = op_calloc(e->nvals + 1, sizeof(void *))))
		return op_err_set(x->err, OUTPOST_ENOMEM, "out of memory");
	/* An insert looks at its row only if it has to (lww_insert). */
	rc = op_sync_row_probe(x, e->t, e->id, e->c->op != 'I', &p);
	if (rc == OUTPOST_OK) {
		r.alive = p.alive;
		r.rc = p.rc;
		r.have_rc = p.have_rc;
		r.col_clocks = p.col_clocks;
		if (e->c->op == 'I')
			rc = lww_insert(x, e, &r, w);
		else if (e->c->op == 'U')
			rc = lww_update(x, e, &r, w);
		else
			rc = lww_delete(x, e, &r);
	}
	op_free(w);
	return rc;
}
