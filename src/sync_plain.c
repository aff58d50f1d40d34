/* sync_plain.c - changes to tables without clocks (sync/PROTOCOL.md
 * "LWW merge"):
 * - append_only: inserts only, and a row is written once, so an insert of
 *   a row that is there is the same insert again (or, if the row went by
 *   a cascade, it stays gone: see sync_fk.c).
 * - central_wins: only the central authority writes them, and its log
 *   hands changes out in commit order, so each one simply applies.
 * A change took effect, and is logged, only if it changed something: a
 * batch applied twice logs nothing the second time. */
#include <string.h>

#include "sync_int.h"

static int append_only(struct sync_ctx *x, const struct sync_entry *e,
		       const struct sync_val **w, const struct sync_clock *c)
{
	size_t i;
	int yes = 0, rc = op_sync_row_exists(x, e->t, e->id, &yes);

	if (rc != OUTPOST_OK || yes)
		return rc;
	for (i = 0; i < e->nvals; i++)
		w[i] = &e->vals[i];
	rc = op_sync_row_insert(x, e->t, e->id, w, e->nvals);
	if (rc == OUTPOST_OK)
		rc = op_sync_log(x, e, 'I', w, e->nvals, c);
	return rc;
}

/* Set the values that differ from the row's; *n gets how many. */
static int set_changed(struct sync_ctx *x, const struct sync_entry *e,
		       const struct sync_val **w, size_t *n)
{
	size_t i;
	int rc = OUTPOST_OK;

	*n = 0;
	for (i = 0; rc == OUTPOST_OK && i < e->nvals; i++) {
		int differs = 0;

		rc = op_sync_row_differs(x, e->t, e->id, &e->vals[i], &differs);
		if (rc == OUTPOST_OK && differs) {
			w[(*n)++] = &e->vals[i];
			rc = op_sync_row_set(x, e->t, e->id, &e->vals[i]);
		}
	}
	return rc;
}

static int central_wins(struct sync_ctx *x, const struct sync_entry *e,
			const struct sync_val **w, const struct sync_clock *c)
{
	size_t n = 0, i;
	int yes = 0, rc = op_sync_row_exists(x, e->t, e->id, &yes);

	if (rc != OUTPOST_OK)
		return rc;
	if (e->c->op == 'D') {
		if (yes)
			rc = op_sync_park_cascade(x, e->t, e->id, c);
		if (yes && rc == OUTPOST_OK)
			rc = op_sync_row_delete(x, e->t, e->id);
		return yes && rc == OUTPOST_OK
			       ? op_sync_log(x, e, 'D', NULL, 0, c)
			       : rc;
	}
	if (!yes && e->c->op == 'U')
		return OUTPOST_OK; /* deleted since */
	if (!yes) {
		for (i = 0; i < e->nvals; i++)
			w[i] = &e->vals[i];
		n = e->nvals;
		rc = op_sync_row_insert(x, e->t, e->id, w, n);
	} else {
		rc = set_changed(x, e, w, &n);
	}
	if (rc == OUTPOST_OK && (n || !yes))
		rc = op_sync_log(x, e, e->c->op, w, n, c);
	return rc;
}

int op_sync_plain(struct sync_ctx *x, const struct sync_entry *e)
{
	const struct sync_val **w = op_calloc(e->nvals + 1, sizeof(void *));
	struct sync_clock c;
	int rc;

	if (!w)
		return op_err_set(x->err, OUTPOST_ENOMEM, "out of memory");
	op_sync_clock_of(&c, e->c);
	if (e->t->policy == OP_SYNC_APPEND_ONLY)
		rc = append_only(x, e, w, &c);
	else
		rc = central_wins(x, e, w, &c);
	op_free(w);
	return rc;
}
