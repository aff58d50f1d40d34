/* api_import_log.c - how a bulk import commits in two engines without a
 * log row per node and edge.
 *
 * A single-edge write logs first and lets replay redo LMDB. An import of
 * millions of edges cannot be redone from one log row, so it goes the
 * other way round: LMDB commits first, with a marker saying "import <id>
 * at seq S made nids [a, b) and eids [c, d); applied_seq was A", then
 * SQLite commits the node rows and one log entry (tbl _outpost_import,
 * row_id <id>, vals: what it made). Whoever next takes the write lock
 * settles the marker: if the entry at S is there, the import is whole
 * and the marker goes; if not (a crash or a failed SQLite commit), the
 * LMDB half is taken back (the ranges are exactly what the load added)
 * and applied_seq returns to A. Readers may see the imported graph for
 * the moment between the two commits. */
#include <stdio.h>
#include <string.h>

#include "api_import_int.h"

#define MARKER_KEY "import_pending"

struct marker {
	int64_t seq;
	int64_t prev_applied;
	uint8_t id[16];
	uint32_t nid_from, nid_to, eid_from, eid_to;
};

int op_api_import_pending(outpost *db, int *yes)
{
	struct op_adj_txn *t = NULL;
	struct marker mk;
	int rc = op_adj_begin(&t, db->adj, 0, &db->err);

	*yes = 0;
	if (rc == OUTPOST_OK) {
		rc = op_adj_meta_get(t, MARKER_KEY, &mk, sizeof(mk));
		*yes = rc != OUTPOST_ENOTFOUND;
		rc = OUTPOST_OK;
	}
	op_adj_abort(t);
	return rc;
}

static int undo(outpost *db, struct op_adj_txn *t, const struct marker *mk)
{
	int rc = op_adj_bulk_undo(t, mk->nid_from, mk->nid_to, mk->eid_from,
				  mk->eid_to, &db->err);

	if (rc == OUTPOST_OK)
		rc = op_adj_set_applied_seq(t, mk->prev_applied, &db->err);
	return rc;
}

int op_api_import_settle(outpost *db, struct op_adj_txn *t)
{
	struct op_stmt *st = NULL;
	struct marker mk;
	char id[OP_UUID_TEXT];
	int rc = op_adj_meta_get(t, MARKER_KEY, &mk, sizeof(mk)), found = 0;

	if (rc == OUTPOST_ENOTFOUND)
		return OUTPOST_OK;
	if (rc != OUTPOST_OK)
		return op_err_set(&db->err, rc, "graph store: bad import "
				  "marker");
	op_uuid_format(id, mk.id);
	rc = op_rel_prepare(&st, db->rel, "SELECT 1 FROM _outpost_changes "
			    "WHERE seq = ?1 AND row_id = ?2", NULL, &db->err);
	if (rc == OUTPOST_OK) {
		op_rel_bind_int(st, 1, mk.seq);
		op_rel_bind_text(st, 2, id);
		rc = op_rel_step(st, &db->err);
		found = rc == OP_ROW;
		rc = found ? OUTPOST_OK : rc;
	}
	op_rel_finalize(st);
	if (rc == OUTPOST_OK && !found)
		rc = undo(db, t, &mk);
	return rc ? rc : op_adj_meta_put(t, MARKER_KEY, NULL, 0, &db->err);
}

int op_api_import_begin(struct imp *m)
{
	int rc = op_adj_count(m->txn, "nid", &m->nid_from, &m->db->err);

	if (rc == OUTPOST_OK)
		rc = op_adj_count(m->txn, "eid", &m->eid_from, &m->db->err);
	if (rc == OUTPOST_OK)
		rc = op_adj_applied_seq_txn(m->txn, &m->prev_applied,
					    &m->db->err);
	return rc;
}

int op_api_import_log(struct imp *m)
{
	struct marker mk;
	struct op_buf vals = {0};
	char id[OP_UUID_TEXT];
	uint64_t hlc;
	int rc;

	memset(&mk, 0, sizeof(mk));
	mk.prev_applied = m->prev_applied;
	mk.nid_from = m->nid_from;
	mk.eid_from = m->eid_from;
	rc = op_adj_count(m->txn, "nid", &mk.nid_to, &m->db->err);
	if (rc == OUTPOST_OK)
		rc = op_adj_count(m->txn, "eid", &mk.eid_to, &m->db->err);
	if (rc != OUTPOST_OK)
		return rc;
	op_uuid_v7(mk.id, op_hlc_wall_ms());
	op_uuid_format(id, mk.id);
	/* What the sync sinks need to find the import's records: the nids
	 * and eids it made (rows it merged into are not listed). */
	op_buf_addf(&vals, "{\"nodes\":%zu,\"edges\":%zu,\"new_nids\":[%u,%u],"
		    "\"new_eids\":[%u,%u]}", m->nnodes, m->nedges,
		    mk.nid_from, mk.nid_to, mk.eid_from, mk.eid_to);
	if (vals.oom)
		return op_err_set(&m->db->err, OUTPOST_ENOMEM, "out of memory");
	rc = op_log_append(m->db->rel, 0, "_outpost_import", 'I', id,
			   op_buf_str(&vals), &mk.seq, &hlc, &m->db->err);
	op_buf_free(&vals);
	if (rc == OUTPOST_OK)
		rc = op_adj_set_applied_seq(m->txn, mk.seq, &m->db->err);
	if (rc == OUTPOST_OK)
		rc = op_adj_meta_put(m->txn, MARKER_KEY, &mk, sizeof(mk),
				     &m->db->err);
	return rc;
}

int op_api_import_finish(outpost *db)
{
	struct op_adj_txn *t = NULL;
	int rc = op_rel_begin_write(db->rel, &db->err);

	if (rc == OUTPOST_OK)
		rc = op_adj_begin(&t, db->adj, 1, &db->err);
	if (rc == OUTPOST_OK)
		rc = op_api_import_settle(db, t);
	if (rc == OUTPOST_OK) {
		rc = op_adj_commit(t, &db->err);
		t = NULL;
	}
	op_adj_abort(t);
	op_rel_rollback(db->rel);
	return rc;
}
