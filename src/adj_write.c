/* adj_write.c - single writes to the graph: a node, an edge, a delete.
 * The graph applier calls these for change-log records, so each is
 * idempotent: putting what is there, or deleting what is not, is no
 * error. Every write makes the CSR snapshot stale (it is a picture of
 * the adjacency as it was when built; a delete and an add would keep the
 * entry count that guards it, so the guard is removed outright). */
#include <errno.h>
#include <string.h>

#include "adj_int.h"

static int csr_stale(struct op_adj_txn *t, struct op_err *err)
{
	MDB_val k = {9, "csr_edges"};
	int rc = mdb_del(t->txn, t->adj->meta, &k, NULL);

	return rc == 0 || rc == MDB_NOTFOUND ? OUTPOST_OK
					     : op_adj_error(rc, "csr", err);
}

int op_adj_node_put(struct op_adj_txn *t, const uint8_t uuid[16],
		    uint16_t label, uint32_t *nid, struct op_err *err)
{
	uint8_t rec[20] = {0}, val[8] = {0};
	MDB_val k = {16, (void *)uuid}, v = {sizeof(val), val};
	MDB_val nk = {sizeof(*nid), nid}, nv = {sizeof(rec), rec};
	int rc = op_adj_node_nid(t, uuid, nid);

	if (rc != OUTPOST_ENOTFOUND)
		return rc == OUTPOST_OK ? OUTPOST_OK
					: op_err_set(err, rc, "graph store: "
						     "bad node entry");
	rc = op_adj_counter(t, "nid", 1, nid, err);
	if (rc != OUTPOST_OK)
		return rc;
	memcpy(rec, uuid, 16);
	memcpy(rec + 16, &label, 2);
	memcpy(val, nid, 4);
	rc = mdb_put(t->txn, t->adj->nids, &nk, &nv, 0);
	if (rc == 0)
		rc = mdb_put(t->txn, t->adj->nodes, &k, &v, 0);
	if (rc != 0)
		return op_adj_error(rc, "node", err);
	return csr_stale(t, err);
}

int op_adj_edge_find(struct op_adj_txn *t, const uint8_t uuid[16],
		     uint32_t *eid)
{
	MDB_val k = {16, (void *)uuid}, v;
	int rc = mdb_get(t->txn, t->adj->euuid, &k, &v);

	if (rc == MDB_NOTFOUND)
		return OUTPOST_ENOTFOUND;
	if (rc != 0 || v.mv_size < 4)
		return OUTPOST_ECORRUPT;
	memcpy(eid, v.mv_data, 4);
	return OUTPOST_OK;
}

/* Delete one adjacency entry; a missing one is no error. */
static int del_entry(struct op_adj_txn *t, uint32_t nid, uint16_t type,
		     int dir, uint32_t nbr, uint32_t eid)
{
	uint64_t key = op_adj_key(nid, type, dir);
	uint64_t val = (uint64_t)nbr << 32 | eid;
	MDB_val k = {sizeof(key), &key}, v = {sizeof(val), &val};
	int rc = mdb_del(t->txn, t->adj->adj, &k, &v);

	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int put_entry(struct op_adj_txn *t, uint32_t nid, uint16_t type,
		     int dir, uint32_t nbr, uint32_t eid)
{
	uint64_t key = op_adj_key(nid, type, dir);
	uint64_t val = (uint64_t)nbr << 32 | eid;
	MDB_val k = {sizeof(key), &key}, v = {sizeof(val), &val};
	int rc = mdb_put(t->txn, t->adj->adj, &k, &v, MDB_NODUPDATA);

	return rc == MDB_KEYEXIST ? 0 : rc;
}

/* Remove edge eid (record e) with its adjacency, index and properties. */
static int drop_edge(struct op_adj_txn *t, uint32_t eid,
		     const struct op_adj_edge *e)
{
	MDB_val ek = {sizeof(eid), &eid}, uk = {16, (void *)e->uuid};
	int rc = del_entry(t, e->from, e->type, OP_ADJ_OUT, e->to, eid);

	if (rc == 0)
		rc = del_entry(t, e->to, e->type, OP_ADJ_IN, e->from, eid);
	if (rc == 0 && (rc = mdb_del(t->txn, t->adj->edges, &ek, NULL)) ==
			       MDB_NOTFOUND)
		rc = 0;
	if (rc == 0 && (rc = mdb_del(t->txn, t->adj->eprops, &ek, NULL)) ==
			       MDB_NOTFOUND)
		rc = 0;
	if (rc == 0 && (rc = mdb_del(t->txn, t->adj->euuid, &uk, NULL)) ==
			       MDB_NOTFOUND)
		rc = 0;
	return rc;
}

int op_adj_edge_put(struct op_adj_txn *t, const struct op_adj_edge *e,
		    const char *props, size_t nprops, uint32_t *eid_out,
		    struct op_err *err)
{
	struct op_adj_edge old;
	uint32_t eid;
	MDB_val ek = {sizeof(eid), &eid}, ev = {sizeof(*e), (void *)e};
	MDB_val uk = {16, (void *)e->uuid}, uv = {sizeof(eid), &eid};
	MDB_val pv = {nprops, (void *)props};
	int rc = op_adj_edge_find(t, e->uuid, &eid);

	if (rc == OUTPOST_OK && op_adj_edge_get(t, eid, &old) == OUTPOST_OK) {
		/* A record again: its ends and type, if they moved, too. */
		if ((old.from != e->from || old.to != e->to ||
		     old.type != e->type) &&
		    (rc = drop_edge(t, eid, &old)) != 0)
			return op_adj_error(rc, "edge", err);
	} else if (rc == OUTPOST_OK || rc == OUTPOST_ENOTFOUND) {
		rc = op_adj_counter(t, "eid", 1, &eid, err);
		if (rc != OUTPOST_OK)
			return rc;
	} else
		return op_err_set(err, rc, "graph store: bad edge index");
	rc = mdb_put(t->txn, t->adj->edges, &ek, &ev, 0);
	if (rc == 0)
		rc = mdb_put(t->txn, t->adj->euuid, &uk, &uv, 0);
	if (rc == 0)
		rc = put_entry(t, e->from, e->type, OP_ADJ_OUT, e->to, eid);
	if (rc == 0)
		rc = put_entry(t, e->to, e->type, OP_ADJ_IN, e->from, eid);
	if (rc == 0 && nprops)
		rc = mdb_put(t->txn, t->adj->eprops, &ek, &pv, 0);
	else if (rc == 0 && (rc = mdb_del(t->txn, t->adj->eprops, &ek,
					  NULL)) == MDB_NOTFOUND)
		rc = 0;
	if (rc != 0)
		return op_adj_error(rc, "edge", err);
	if (eid_out)
		*eid_out = eid;
	return csr_stale(t, err);
}

int op_adj_edge_del(struct op_adj_txn *t, const uint8_t uuid[16],
		    struct op_err *err)
{
	struct op_adj_edge e;
	uint32_t eid;
	int rc = op_adj_edge_find(t, uuid, &eid);

	if (rc == OUTPOST_ENOTFOUND)
		return OUTPOST_OK;
	if (rc == OUTPOST_OK)
		rc = op_adj_edge_get(t, eid, &e);
	if (rc != OUTPOST_OK)
		return op_err_set(err, OUTPOST_ECORRUPT, "graph store: bad "
				  "edge index");
	rc = drop_edge(t, eid, &e);
	if (rc != 0)
		return op_adj_error(rc, "edge", err);
	return csr_stale(t, err);
}

int op_adj_edge_props(struct op_adj_txn *t, uint32_t eid, const char **out,
		      size_t *n)
{
	MDB_val k = {sizeof(eid), &eid}, v;
	int rc = mdb_get(t->txn, t->adj->eprops, &k, &v);

	*out = NULL;
	*n = 0;
	if (rc == MDB_NOTFOUND)
		return OUTPOST_OK;
	if (rc != 0)
		return OUTPOST_ECORRUPT;
	*out = v.mv_data;
	*n = v.mv_size;
	return OUTPOST_OK;
}

/* The node's adjacency entries, copied out (deleting while walking a
 * cursor over them would move it). */
static int node_entries(struct op_adj_txn *t, uint32_t nid, uint64_t **keys,
			uint64_t **vals, size_t *n)
{
	MDB_cursor *c = NULL;
	uint64_t key = op_adj_key(nid, 0, 0);
	MDB_val k = {sizeof(key), &key}, v;
	size_t cap = 0;
	int rc = mdb_cursor_open(t->txn, t->adj->adj, &c);

	*n = 0;
	for (rc = rc ? rc : mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		uint64_t kk, vv;

		if (k.mv_size != 8 || v.mv_size != 8) {
			rc = MDB_CORRUPTED;
			break;
		}
		memcpy(&kk, k.mv_data, 8);
		memcpy(&vv, v.mv_data, 8);
		if ((uint32_t)(kk >> 32) != nid)
			break;
		if (*n == cap) {
			void *a, *b;

			cap = cap ? cap * 2 : 16;
			a = op_realloc(*keys, cap * 8);
			if (a)
				*keys = a;
			b = a ? op_realloc(*vals, cap * 8) : NULL;
			if (!b) {
				rc = ENOMEM;
				break;
			}
			*vals = b;
		}
		(*keys)[*n] = kk;
		(*vals)[(*n)++] = vv;
	}
	if (c)
		mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int op_adj_node_del(struct op_adj_txn *t, const uint8_t uuid[16],
		    struct op_err *err)
{
	uint64_t *keys = NULL, *vals = NULL;
	uint32_t nid;
	size_t n = 0, i;
	int rc = op_adj_node_nid(t, uuid, &nid);

	if (rc == OUTPOST_ENOTFOUND)
		return OUTPOST_OK;
	if (rc != OUTPOST_OK)
		return op_err_set(err, rc, "graph store: bad node entry");
	rc = node_entries(t, nid, &keys, &vals, &n);
	for (i = 0; rc == 0 && i < n; i++) {
		uint32_t eid = (uint32_t)vals[i];
		struct op_adj_edge e;

		/* Each edge is seen once per end; the second finds it gone. */
		if (op_adj_edge_get(t, eid, &e) == OUTPOST_OK)
			rc = drop_edge(t, eid, &e);
	}
	op_free(keys);
	op_free(vals);
	if (rc == 0) {
		MDB_val nk = {sizeof(nid), &nid}, k = {16, (void *)uuid};

		rc = mdb_del(t->txn, t->adj->nids, &nk, NULL);
		if (rc == 0 || rc == MDB_NOTFOUND)
			rc = mdb_del(t->txn, t->adj->nodes, &k, NULL);
		if (rc == MDB_NOTFOUND)
			rc = 0;
	}
	if (rc != 0)
		return op_adj_error(rc, "node delete", err);
	return csr_stale(t, err);
}

int op_adj_edges_each(struct op_adj_txn *t, op_adj_edge_fn fn, void *ctx,
		      struct op_err *err)
{
	MDB_cursor *c = NULL;
	MDB_val k, v;
	int rc = mdb_cursor_open(t->txn, t->adj->edges, &c), stop = 0;

	for (rc = rc ? rc : mdb_cursor_get(c, &k, &v, MDB_FIRST);
	     rc == 0 && !stop; rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		struct op_adj_edge e;
		uint32_t eid;

		if (k.mv_size != 4 || v.mv_size < sizeof(e)) {
			rc = MDB_CORRUPTED;
			break;
		}
		memcpy(&eid, k.mv_data, 4);
		memcpy(&e, v.mv_data, sizeof(e));
		stop = fn(ctx, eid, &e);
		if (stop < 0) {
			if (c)
				mdb_cursor_close(c);
			return stop;
		}
	}
	if (c)
		mdb_cursor_close(c);
	if (rc == 0 || rc == MDB_NOTFOUND)
		return OUTPOST_OK;
	return op_adj_error(rc, "edges", err);
}

static int set_counter(struct op_adj_txn *t, const char *name, uint32_t v)
{
	MDB_val k = {strlen(name), (void *)name}, val = {sizeof(v), &v};

	return mdb_put(t->txn, t->adj->meta, &k, &val, 0);
}

int op_adj_count(struct op_adj_txn *t, const char *name, uint32_t *out,
		 struct op_err *err)
{
	return op_adj_counter(t, name, 0, out, err);
}

int op_adj_bulk_undo(struct op_adj_txn *t, uint32_t nid_from,
		     uint32_t nid_to, uint32_t eid_from, uint32_t eid_to,
		     struct op_err *err)
{
	uint32_t id;
	int rc = 0;

	for (id = eid_from; rc == 0 && id < eid_to; id++) {
		struct op_adj_edge e;

		if (op_adj_edge_get(t, id, &e) == OUTPOST_OK)
			rc = drop_edge(t, id, &e);
	}
	for (id = nid_from; rc == 0 && id < nid_to; id++) {
		uint8_t u[16];
		MDB_val nk = {sizeof(id), &id}, k = {16, u};

		if (op_adj_node_uuid(t, id, u, NULL) != OUTPOST_OK)
			continue;
		rc = mdb_del(t->txn, t->adj->nids, &nk, NULL);
		if (rc == 0)
			rc = mdb_del(t->txn, t->adj->nodes, &k, NULL);
		if (rc == MDB_NOTFOUND)
			rc = 0;
	}
	if (rc == 0)
		rc = set_counter(t, "nid", nid_from);
	if (rc == 0)
		rc = set_counter(t, "eid", eid_from);
	if (rc != 0)
		return op_adj_error(rc, "undoing a bulk load", err);
	return op_adj_csr_build(t, err);
}
