/* api_sync_apply.c - changes pulled from a remote applied to the store
 * (sync/PROTOCOL.md "Pull"): the merge of the sync layer (sync_apply.c)
 * in one SQLite write transaction together with the pull cursor, then
 * the graph brought up to the log.
 *
 * Whether an edge entry takes effect depends on the clocks kept beside
 * the edges in LMDB (api_graph_lww.c), so the merge asks the graph: at
 * the batch's first edge entry an LMDB write txn is opened and kept up
 * with the log as the batch goes (so nodes the batch made are there for
 * its edges). It is a scratch pad, aborted before SQLite commits: the
 * graph applier then applies the committed log for real. That is the
 * two-engine commit of DESIGN section 2, the log first: a crash between
 * the two commits is repaired by replaying the log on open. */
#include <stdio.h>

#include "api_graph_int.h"
#include "api_import_int.h"
#include "api_remote_int.h"
#include "api_triggers.h"
#include "sync.h"

/* Batches from this many changes set the inert triggers aside. */
#define SYNC_TRIGGERS_ASIDE 256

struct pull {
	outpost *db;
	struct op_schema *s;
	struct op_adj_txn *t; /* the scratch graph txn, or NULL */
};

static int decide_edge(void *ctx, const struct op_reltype *r,
		       const struct op_change *c, const char *row_id,
		       int *took, char **eff, struct op_err *err)
{
	struct pull *p = ctx;
	int64_t last;
	int rc = OUTPOST_OK;

	(void)err; /* the same as &p->db->err */
	if (!p->t) {
		rc = op_adj_begin(&p->t, p->db->adj, 1, &p->db->err);
		if (rc == OUTPOST_OK)
			rc = op_api_import_settle(p->db, p->t);
	}
	if (rc == OUTPOST_OK)
		rc = op_api_graph_apply(p->db, p->t, p->s, &last);
	if (rc == OUTPOST_OK)
		rc = op_api_graph_apply_edge(p->db, p->t, r, c->op, row_id,
					     c->values, c->hlc, c->site, took,
					     eff);
	return rc;
}

static int apply_once(outpost *db, const struct op_change *c, size_t n,
		      const char *cursor, int64_t value)
{
	struct pull p = {db, NULL, NULL};
	struct op_api_triggers aside = {NULL, 0, 0};
	struct op_sync_args a;
	int rc = op_api_schema_current(db, &p.s);

	if (rc == OUTPOST_OK && !p.s)
		rc = op_err_set(&db->err, OUTPOST_ESCHEMA, "apply a schema "
				"first (outpost schema apply FILE)");
	if (rc == OUTPOST_OK)
		rc = op_rel_begin_write(db->rel, &db->err);
	if (rc == OUTPOST_OK) {
		a.rel = db->rel;
		a.s = p.s;
		a.site = db->site;
		a.edge = decide_edge;
		a.edge_ctx = &p;
		a.cursor = cursor;
		a.cursor_value = value;
		/* A large batch writes many rows: its inert AFTER triggers
		 * are set aside meanwhile (api_triggers.c). A small one is
		 * not worth the schema change other connections notice. */
		if (n >= SYNC_TRIGGERS_ASIDE)
			rc = op_api_triggers_off(db, p.s, 0, &aside);
		if (rc == OUTPOST_OK)
			rc = op_sync_apply(&a, c, n, &db->err);
		if (rc == OUTPOST_OK)
			rc = op_api_triggers_on(db, &aside);
		op_api_triggers_free(&aside);
		op_adj_abort(p.t); /* scratch: the log is what commits */
		if (rc == OUTPOST_OK)
			rc = op_rel_commit(db->rel, &db->err);
		else
			op_rel_rollback(db->rel);
	}
	op_schema_free(p.s);
	return rc;
}

int op_api_sync_apply(outpost *db, const struct op_change *c, size_t n,
		      const char *cursor, int64_t cursor_value)
{
	int rc, tries = 0;

	if (!db || (n && !c))
		return OUTPOST_EMISUSE;
	if (db->read_only)
		return op_err_set(&db->err, OUTPOST_EMISUSE, "the store is "
				  "open read-only");
	/* The graph up to the log first, so the scratch txn starts there. */
	rc = op_api_graph_catch_up(db);
	while (rc == OUTPOST_OK &&
	       (rc = apply_once(db, c, n, cursor, cursor_value)) ==
		       OP_ADJ_EFULL &&
	       tries++ < 16)
		rc = op_adj_grow(db->adj, &db->err);
	if (rc == OUTPOST_OK)
		op_fault_point("pull_between_commits");
	if (rc == OUTPOST_OK && (rc = op_api_graph_catch_up(db)) != OUTPOST_OK) {
		char why[3900];

		snprintf(why, sizeof(why), "%.3800s", db->err.msg);
		op_err_set(&db->err, rc, "the batch is applied, but the graph "
			   "could not follow it yet (it will on the next "
			   "open): %s", why);
	}
	return rc;
}
