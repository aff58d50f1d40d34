/* adj_txn.c - LMDB transactions, counters, names and applied_seq. */
#include <stdio.h>
#include <string.h>

#include "adj_int.h"

int op_adj_begin(struct op_adj_txn **out, struct op_adj *adj, int write,
		 struct op_err *err)
{
	struct op_adj_txn *t = op_calloc(1, sizeof(*t));
	int rc;

	*out = NULL;
	if (!t)
		return op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	t->adj = adj;
	t->write = write;
	rc = mdb_txn_begin(adj->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
	if (rc == MDB_MAP_RESIZED) {
		/* Another process grew the map: adopt its size. */
		rc = mdb_env_set_mapsize(adj->env, 0);
		if (rc == 0)
			rc = mdb_txn_begin(adj->env, NULL,
					   write ? 0 : MDB_RDONLY, &t->txn);
	}
	if (rc != 0) {
		op_free(t);
		return op_adj_error(rc, "begin", err);
	}
	*out = t;
	return OUTPOST_OK;
}

int op_adj_commit(struct op_adj_txn *t, struct op_err *err)
{
	int rc = mdb_txn_commit(t->txn);

	op_free(t);
	return rc == 0 ? OUTPOST_OK : op_adj_error(rc, "commit", err);
}

void op_adj_abort(struct op_adj_txn *t)
{
	if (!t)
		return;
	mdb_txn_abort(t->txn);
	op_free(t);
}

int op_adj_counter(struct op_adj_txn *t, const char *name, uint32_t add,
		   uint32_t *before, struct op_err *err)
{
	MDB_val k = {strlen(name), (void *)name}, v;
	uint32_t cur = 0, next;
	int rc = mdb_get(t->txn, t->adj->meta, &k, &v);

	if (rc == 0 && v.mv_size == sizeof(cur))
		memcpy(&cur, v.mv_data, sizeof(cur));
	else if (rc != MDB_NOTFOUND)
		return op_adj_error(rc ? rc : MDB_CORRUPTED, name, err);
	if (add > UINT32_MAX - cur)
		return op_err_set(err, OUTPOST_ERROR, "graph store: more than "
				  "%u %s", UINT32_MAX, name);
	*before = cur;
	if (add == 0)
		return OUTPOST_OK;
	next = cur + add;
	v.mv_size = sizeof(next);
	v.mv_data = &next;
	rc = mdb_put(t->txn, t->adj->meta, &k, &v, 0);
	return rc == 0 ? OUTPOST_OK : op_adj_error(rc, name, err);
}

int op_adj_name_id(struct op_adj_txn *t, const char *kind, const char *name,
		   int create, uint16_t *out, struct op_err *err)
{
	char key[128], counter[32];
	MDB_val k, v;
	uint32_t id = 0;
	uint16_t small;
	int rc;

	snprintf(key, sizeof(key), "%s:%s", kind, name);
	snprintf(counter, sizeof(counter), "next_%s", kind);
	k.mv_size = strlen(key);
	k.mv_data = key;
	rc = mdb_get(t->txn, t->adj->meta, &k, &v);
	if (rc == 0 && v.mv_size == sizeof(small)) {
		memcpy(out, v.mv_data, sizeof(small));
		return OUTPOST_OK;
	}
	if (rc != MDB_NOTFOUND)
		return op_adj_error(rc ? rc : MDB_CORRUPTED, key, err);
	if (!create)
		return OUTPOST_ENOTFOUND;
	rc = op_adj_counter(t, counter, 1, &id, err);
	if (rc != OUTPOST_OK)
		return rc;
	if (id >= OP_ADJ_MAX_TYPES)
		return op_err_set(err, OUTPOST_ERROR, "graph store: more than "
				  "%d %s names", OP_ADJ_MAX_TYPES, kind);
	small = (uint16_t)id;
	v.mv_size = sizeof(small);
	v.mv_data = &small;
	rc = mdb_put(t->txn, t->adj->meta, &k, &v, 0);
	if (rc != 0)
		return op_adj_error(rc, key, err);
	*out = small;
	return OUTPOST_OK;
}

int op_adj_set_applied_seq(struct op_adj_txn *t, int64_t seq,
			   struct op_err *err)
{
	MDB_val k = {11, "applied_seq"}, v = {sizeof(seq), &seq};
	int rc = mdb_put(t->txn, t->adj->meta, &k, &v, 0);

	return rc == 0 ? OUTPOST_OK : op_adj_error(rc, "applied_seq", err);
}

int op_adj_applied_seq_txn(struct op_adj_txn *t, int64_t *out,
			   struct op_err *err)
{
	MDB_val k = {11, "applied_seq"}, v;
	int rc = mdb_get(t->txn, t->adj->meta, &k, &v);

	*out = 0;
	if (rc == 0 && v.mv_size == sizeof(*out))
		memcpy(out, v.mv_data, sizeof(*out));
	else if (rc == 0)
		rc = MDB_CORRUPTED;
	if (rc == MDB_NOTFOUND)
		return OUTPOST_OK;
	return rc == 0 ? OUTPOST_OK : op_adj_error(rc, "applied_seq", err);
}

int op_adj_applied_seq(struct op_adj *adj, int64_t *out, struct op_err *err)
{
	struct op_adj_txn *t = NULL;
	int rc = op_adj_begin(&t, adj, 0, err);

	*out = 0;
	if (rc == OUTPOST_OK && t)
		rc = op_adj_applied_seq_txn(t, out, err);
	op_adj_abort(t);
	return rc;
}

int op_adj_meta_get(struct op_adj_txn *t, const char *key, void *buf,
		    size_t n)
{
	MDB_val k = {strlen(key), (void *)key}, v;
	int rc = mdb_get(t->txn, t->adj->meta, &k, &v);

	if (rc == MDB_NOTFOUND)
		return OUTPOST_ENOTFOUND;
	if (rc != 0 || v.mv_size != n)
		return OUTPOST_ECORRUPT;
	memcpy(buf, v.mv_data, n);
	return OUTPOST_OK;
}

int op_adj_meta_put(struct op_adj_txn *t, const char *key, const void *buf,
		    size_t n, struct op_err *err)
{
	MDB_val k = {strlen(key), (void *)key}, v = {n, (void *)buf};
	int rc = buf ? mdb_put(t->txn, t->adj->meta, &k, &v, 0)
		     : mdb_del(t->txn, t->adj->meta, &k, NULL);

	if (rc == MDB_NOTFOUND)
		rc = 0;
	return rc == 0 ? OUTPOST_OK : op_adj_error(rc, key, err);
}
