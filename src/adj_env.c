/* adj_env.c - the LMDB environment of a store: opened beside the SQLite
 * file, with its named databases (see adj_int.h). */
#include <errno.h>
#include <string.h>

#include "adj_int.h"

/* Address space reserved for the map; the file grows only as written.
 * A full map is grown (doubled) instead of failing the user. */
#define ADJ_INITIAL_MAP (1ull << 30)
#define ADJ_MAX_DBS 16
#define ADJ_MAX_READERS 256

int op_adj_error(int rc, const char *what, struct op_err *err)
{
	if (rc == MDB_MAP_FULL)
		return op_err_set(err, OP_ADJ_EFULL, "graph store: %s: the map "
				  "is full", what);
	return op_err_set(err, rc == MDB_CORRUPTED || rc == MDB_INVALID ||
					       rc == MDB_PAGE_NOTFOUND
				       ? OUTPOST_ECORRUPT
			       : rc == ENOMEM ? OUTPOST_ENOMEM
					      : OUTPOST_EIO,
			  "graph store: %s: %s", what, mdb_strerror(rc));
}

static int open_dbis(struct op_adj *adj)
{
	MDB_txn *txn = NULL;
	int rc = mdb_txn_begin(adj->env, NULL, 0, &txn);

	if (rc == 0)
		rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &adj->meta);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "nodes", MDB_CREATE, &adj->nodes);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "nids", MDB_CREATE | MDB_INTEGERKEY,
				  &adj->nids);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "adj",
				  MDB_CREATE | MDB_INTEGERKEY | MDB_DUPSORT |
					  MDB_DUPFIXED | MDB_INTEGERDUP,
				  &adj->adj);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "edges", MDB_CREATE | MDB_INTEGERKEY,
				  &adj->edges);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "euuid", MDB_CREATE, &adj->euuid);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "csr", MDB_CREATE, &adj->csr);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "eprops", MDB_CREATE | MDB_INTEGERKEY,
				  &adj->eprops);
	if (rc == 0)
		rc = mdb_dbi_open(txn, "eclock", MDB_CREATE, &adj->eclock);
	if (rc == 0)
		return mdb_txn_commit(txn);
	mdb_txn_abort(txn);
	return rc;
}

int op_adj_open(struct op_adj **out, const char *dir, size_t map_bytes,
		struct op_err *err)
{
	struct op_adj *adj = op_calloc(1, sizeof(*adj));
	MDB_envinfo info;
	int rc;

	*out = NULL;
	if (!map_bytes)
		map_bytes = ADJ_INITIAL_MAP;
	if (!adj)
		return op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	rc = mdb_env_create(&adj->env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(adj->env, ADJ_MAX_DBS);
	if (rc == 0)
		rc = mdb_env_set_maxreaders(adj->env, ADJ_MAX_READERS);
	if (rc == 0)
		rc = mdb_env_open(adj->env, dir, MDB_NOTLS, 0600);
	/* Reserve at least the initial map; keep a larger one made by
	 * another process (set_mapsize(0) adopts the file's size). */
	if (rc == 0 && mdb_env_info(adj->env, &info) == 0 &&
	    info.me_mapsize < map_bytes)
		rc = mdb_env_set_mapsize(adj->env, map_bytes);
	if (rc == 0)
		rc = open_dbis(adj);
	if (rc != 0) {
		int code = op_adj_error(rc, dir, err);

		op_adj_close(adj);
		return code;
	}
	*out = adj;
	return OUTPOST_OK;
}

int op_adj_grow(struct op_adj *adj, struct op_err *err)
{
	MDB_envinfo info;
	int rc = mdb_env_info(adj->env, &info);

	if (rc == 0)
		rc = mdb_env_set_mapsize(adj->env, info.me_mapsize * 2);
	return rc == 0 ? OUTPOST_OK : op_adj_error(rc, "growing the map", err);
}

void op_adj_close(struct op_adj *adj)
{
	if (!adj)
		return;
	if (adj->env)
		mdb_env_close(adj->env);
	op_free(adj);
}
