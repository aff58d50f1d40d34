/* sync_apply.c - a batch of changes from other sites applied to the
 * store's tables (sync/PROTOCOL.md "Pull"), inside the caller's write
 * transaction, all or nothing:
 *   1. every change checked and decoded, every clock checked against the
 *      drift bound: one bad change refuses the batch, naming it;
 *   2. capture triggers silenced (applying = 2: the merge logs itself,
 *      with the changes' own clocks and sites), foreign keys deferred to
 *      the end of the batch whatever their on_delete;
 *   3. each change merged in order (sync_lww.c, sync_plain.c, edges
 *      through the caller, sync_edge.c), logged if it took effect;
 *   4. references settled (sync_fk.c), the HLC floor raised past every
 *      clock seen, the cursor set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync_int.h"

int op_sync_drift_bound(struct op_rel *rel, uint64_t *out, struct op_err *err)
{
	char *v = NULL, *end = NULL;
	int rc = op_log_meta_get(rel, "hlc_bound_ms", &v, err);
	unsigned long long ms;

	*out = OP_DEFAULT_MAX_DRIFT_MS;
	if (rc != OUTPOST_OK || !v)
		return rc;
	ms = strtoull(v, &end, 10);
	if (end != v && !*end)
		*out = ms;
	op_free(v);
	return OUTPOST_OK;
}

/* The clock every later local tick must pass: the floor, the log's tail
 * (a remote entry logged with an old clock becomes the tail), and every
 * remote clock, each checked against the drift bound first. */
static int check_clocks(struct sync_ctx *x, const struct op_change *c,
			size_t n, uint64_t *last)
{
	int64_t floor = 0, tail = 0;
	uint64_t bound, wall = op_hlc_wall_ms();
	size_t i;
	int rc = op_sync_drift_bound(x->a->rel, &bound, x->err);

	if (rc == OUTPOST_OK)
		rc = op_rel_get_int(x->a->rel, &floor, "SELECT floor FROM "
				    "_outpost_clock", x->err);
	if (rc == OUTPOST_OK)
		rc = op_rel_get_int(x->a->rel, &tail, "SELECT hlc FROM "
				    "_outpost_changes ORDER BY seq DESC LIMIT "
				    "1", x->err);
	*last = (uint64_t)(floor > tail ? floor : tail);
	for (i = 0; rc == OUTPOST_OK && i < n; i++) {
		struct op_err why;
		char site[33];

		if (op_hlc_receive(last, *last, c[i].hlc, wall, bound, &why) ==
		    OUTPOST_OK)
			continue;
		op_hex_encode(site, c[i].site, 16);
		rc = op_sync_fail(x, &c[i], OUTPOST_ECLOCK, "site %s: %s", site,
				  why.msg);
	}
	return rc;
}

static int run_sql(struct sync_ctx *x, const char *sql, int64_t v,
		   const char *text)
{
	struct op_buf b = {0};
	struct op_stmt *st;
	int rc;

	op_buf_adds(&b, sql);
	rc = op_sync_prep(x, &st, &b);
	if (rc != OUTPOST_OK)
		return rc;
	if (text)
		op_rel_bind_text(st, 1, text);
	op_rel_bind_int(st, 2, v);
	rc = op_rel_step(st, x->err);
	return rc == OP_ROW ? OUTPOST_OK : rc;
}

/* Merge one checked change; a failure names it. */
static int merge(struct sync_ctx *x, const struct sync_entry *e)
{
	char why[sizeof(x->err->msg)], named[48];
	int rc;

	if (e->r)
		rc = op_sync_edge_merge(x, e);
	else if (e->t->policy == OP_SYNC_LWW)
		rc = op_sync_lww(x, e);
	else
		rc = op_sync_plain(x, e);
	snprintf(named, sizeof(named), "change %lld (", (long long)e->c->seq);
	if (rc == OUTPOST_OK ||
	    strncmp(x->err->msg, named, strlen(named)) == 0)
		return rc; /* or already says which change */
	snprintf(why, sizeof(why), "%.3000s", x->err->msg);
	return op_sync_fail(x, e->c, rc, "%s", why);
}

static int merge_all(struct sync_ctx *x, struct sync_entry *e, size_t n,
		     uint64_t last)
{
	size_t i;
	int rc = op_rel_exec(x->a->rel, "UPDATE _outpost_clock SET applying = "
			     "2; PRAGMA defer_foreign_keys = ON", x->err);

	if (rc == OUTPOST_OK)
		rc = op_sync_park_init(x);
	if (rc == OUTPOST_OK)
		rc = op_rel_get_int(x->a->rel, &x->first_seq, "SELECT "
				    "coalesce(max(seq), 0) FROM "
				    "_outpost_changes", x->err);
	for (i = 0; rc == OUTPOST_OK && i < n; i++)
		rc = merge(x, &e[i]);
	if (rc == OUTPOST_OK)
		rc = op_sync_log_flush(x);
	if (rc == OUTPOST_OK)
		rc = op_sync_fk_settle(x);
	if (rc == OUTPOST_OK)
		rc = op_sync_park_gc(x);
	if (rc == OUTPOST_OK)
		rc = run_sql(x, "UPDATE _outpost_clock SET floor = ?2 WHERE "
			     "floor < ?2", (int64_t)last, NULL);
	if (rc == OUTPOST_OK && x->a->cursor)
		rc = run_sql(x, "INSERT INTO _outpost_cursors(consumer, seq) "
			     "VALUES (?1, ?2) ON CONFLICT(consumer) DO UPDATE "
			     "SET seq = excluded.seq", x->a->cursor_value,
			     x->a->cursor);
	if (rc == OUTPOST_OK)
		rc = op_rel_exec(x->a->rel, "UPDATE _outpost_clock SET "
				 "applying = 0", x->err);
	return rc;
}

int op_sync_apply(const struct op_sync_args *a, const struct op_change *c,
		  size_t n, struct op_err *err)
{
	struct sync_ctx x;
	struct sync_entry *e = n ? op_calloc(n, sizeof(*e)) : NULL;
	uint64_t last = 0;
	size_t i;
	int rc = OUTPOST_OK;

	memset(&x, 0, sizeof(x));
	x.a = a;
	x.err = err;
	if (n && !e)
		return op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	for (i = 0; rc == OUTPOST_OK && i < n; i++)
		rc = op_sync_decode(&x, &e[i], &c[i]);
	if (rc == OUTPOST_OK)
		rc = check_clocks(&x, c, n, &last);
	if (rc == OUTPOST_OK)
		rc = merge_all(&x, e, n, last);
	/* The statements first: they may still point into the entries. */
	op_sync_cache_free(&x);
	op_rel_finalize(x.log_st);
	op_rel_finalize(x.log_many);
	op_free(x.text);
	op_free(x.clk_empty);
	op_free(x.kv);
	for (i = 0; i < n; i++) /* the ones not reached are zeros */
		op_sync_entry_free(&e[i]);
	op_free(e);
	return rc;
}
