/* adj_env.c - the LMDB environment of a store: opened beside the SQLite
 * file, one named database "meta" holding applied_seq. */
#include <lmdb.h>
#include <string.h>

#include "adj.h"

#define ADJ_INITIAL_MAP (64u << 20) /* grown on MDB_MAP_FULL */
#define ADJ_MAX_DBS 16

struct op_adj {
	MDB_env *env;
	MDB_dbi meta;
};

static int lmdb_error(int rc, const char *what, struct op_err *err)
{
	return op_err_set(err, rc == MDB_CORRUPTED || rc == MDB_INVALID
				       ? OUTPOST_ECORRUPT
				       : OUTPOST_EIO,
			  "graph store: %s: %s", what, mdb_strerror(rc));
}

int op_adj_open(struct op_adj **out, const char *dir, int create,
		struct op_err *err)
{
	struct op_adj *adj = op_calloc(1, sizeof(*adj));
	MDB_txn *txn = NULL;
	int rc;

	*out = NULL;
	if (!adj)
		return op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	rc = mdb_env_create(&adj->env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(adj->env, ADJ_MAX_DBS);
	if (rc == 0 && create)
		rc = mdb_env_set_mapsize(adj->env, ADJ_INITIAL_MAP);
	if (rc == 0)
		rc = mdb_env_open(adj->env, dir, MDB_NOTLS, 0600);
	if (rc == 0)
		rc = mdb_txn_begin(adj->env, NULL, 0, &txn);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &adj->meta);
	if (rc == 0) {
		rc = mdb_txn_commit(txn);
		txn = NULL;
	}
	if (rc != 0) {
		int code = lmdb_error(rc, dir, err);

		mdb_txn_abort(txn);
		op_adj_close(adj);
		return code;
	}
	*out = adj;
	return OUTPOST_OK;
}

void op_adj_close(struct op_adj *adj)
{
	if (!adj)
		return;
	if (adj->env)
		mdb_env_close(adj->env);
	op_free(adj);
}

int op_adj_applied_seq(struct op_adj *adj, int64_t *out, struct op_err *err)
{
	MDB_txn *txn = NULL;
	MDB_val k = {11, "applied_seq"}, v;
	int rc = mdb_txn_begin(adj->env, NULL, MDB_RDONLY, &txn);

	*out = 0;
	if (rc != 0)
		return lmdb_error(rc, "read", err);
	rc = mdb_get(txn, adj->meta, &k, &v);
	if (rc == 0 && v.mv_size == sizeof(*out))
		memcpy(out, v.mv_data, sizeof(*out));
	else if (rc == 0)
		rc = MDB_CORRUPTED;
	mdb_txn_abort(txn);
	if (rc == MDB_NOTFOUND)
		return OUTPOST_OK;
	return rc == 0 ? OUTPOST_OK : lmdb_error(rc, "applied_seq", err);
}
