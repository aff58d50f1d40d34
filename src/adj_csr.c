/* adj_csr.c - the read-optimised snapshot of the adjacency: per (type,
 * dir), a CSR (offsets u32[N + 1], neighbours u32[E]) stored as single
 * large LMDB values, which LMDB keeps in contiguous overflow pages. A
 * traversal indexes them in place, as an in-memory CSR would, with no
 * b-tree search per node and no copy.
 *
 * The DUPSORT adjacency stays the source of truth. The snapshot is valid
 * while meta "csr_edges" equals the adjacency's entry count; a write that
 * changes the adjacency makes it stale, and traversals then read the
 * DUPSORT adjacency until the snapshot is rebuilt. */
#include <errno.h>
#include <string.h>

#include "adj_int.h"

struct seg_build {
	uint16_t type;
	int dir;
	uint32_t *off; /* N + 1 */
	uint32_t *nbr;
	size_t fill;
};

static void csr_key(uint8_t key[4], uint16_t type, int dir, char part)
{
	key[0] = (uint8_t)(type >> 8);
	key[1] = (uint8_t)type;
	key[2] = (uint8_t)dir;
	key[3] = (uint8_t)part;
}

static struct seg_build *seg_for(struct seg_build *segs, size_t *nsegs,
				 uint16_t type, int dir, uint32_t nodes)
{
	size_t i;

	for (i = 0; i < *nsegs; i++)
		if (segs[i].type == type && segs[i].dir == dir)
			return &segs[i];
	if (*nsegs == OP_ADJ_MAX_SEGS)
		return NULL;
	segs[*nsegs].type = type;
	segs[*nsegs].dir = dir;
	segs[*nsegs].off = op_calloc((size_t)nodes + 1, sizeof(uint32_t));
	segs[*nsegs].nbr = NULL;
	segs[*nsegs].fill = 0;
	return segs[*nsegs].off ? &segs[(*nsegs)++] : NULL;
}

/* Pass over the adjacency: count (pass 0) or fill (pass 1). */
static int walk(struct op_adj_txn *t, struct seg_build *segs, size_t *nsegs,
		uint32_t nodes, int pass, size_t *entries)
{
	MDB_cursor *c = NULL;
	MDB_val k, v;
	int rc = mdb_cursor_open(t->txn, t->adj->adj, &c);

	*entries = 0;
	if (rc == 0)
		rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
	while (rc == 0) {
		uint64_t key;
		struct seg_build *sg;
		uint32_t nid;
		size_t n = 0, i;

		memcpy(&key, k.mv_data, sizeof(key));
		nid = (uint32_t)(key >> 32);
		sg = seg_for(segs, nsegs, (uint16_t)(key >> 16),
			     (int)(key >> 8 & 0xff), nodes);
		if (!sg || nid >= nodes)
			break;
		rc = mdb_cursor_count(c, &n);
		if (rc == 0 && n == 1)
			rc = mdb_cursor_get(c, &k, &v, MDB_GET_CURRENT);
		else if (rc == 0)
			rc = mdb_cursor_get(c, &k, &v, MDB_GET_MULTIPLE);
		while (rc == 0) {
			const uint64_t *e = v.mv_data;
			size_t m = v.mv_size / sizeof(uint64_t);

			*entries += m;
			if (pass == 0)
				sg->off[nid + 1] += (uint32_t)m;
			else
				for (i = 0; i < m; i++)
					sg->nbr[sg->off[nid] + sg->fill++] =
						(uint32_t)(e[i] >> 32);
			if (n == 1)
				break;
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_MULTIPLE);
		}
		if (rc == MDB_NOTFOUND || rc == 0) {
			sg->fill = 0;
			rc = mdb_cursor_get(c, &k, &v, MDB_NEXT_NODUP);
		}
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : (rc ? rc : MDB_CORRUPTED);
}

static int put_array(struct op_adj_txn *t, uint16_t type, int dir, char part,
		     const uint32_t *a, size_t n)
{
	uint8_t key[4];
	MDB_val k = {4, key}, v = {n * sizeof(uint32_t), NULL};
	int rc;

	csr_key(key, type, dir, part);
	rc = mdb_put(t->txn, t->adj->csr, &k, &v, MDB_RESERVE);
	if (rc == 0 && n && a && v.mv_data)
		memcpy(v.mv_data, a, n * sizeof(uint32_t));
	return rc;
}

static int put_meta(struct op_adj_txn *t, const char *name, uint64_t val)
{
	MDB_val k = {strlen(name), (void *)name}, v = {sizeof(val), &val};

	return mdb_put(t->txn, t->adj->meta, &k, &v, 0);
}

int op_adj_csr_build(struct op_adj_txn *t, struct op_err *err)
{
	struct seg_build segs[OP_ADJ_MAX_SEGS];
	size_t nsegs = 0, entries = 0, i, j;
	uint32_t nodes = 0;
	int rc = op_adj_counter(t, "nid", 0, &nodes, err);

	if (rc != OUTPOST_OK)
		return rc;
	rc = mdb_drop(t->txn, t->adj->csr, 0);
	if (rc == 0)
		rc = walk(t, segs, &nsegs, nodes, 0, &entries);
	for (i = 0; rc == 0 && i < nsegs; i++) {
		for (j = 1; j <= nodes; j++)
			segs[i].off[j] += segs[i].off[j - 1];
		segs[i].nbr = op_malloc((size_t)segs[i].off[nodes] * 4 + 4);
		if (!segs[i].nbr)
			rc = ENOMEM;
	}
	if (rc == 0)
		rc = walk(t, segs, &nsegs, nodes, 1, &entries);
	for (i = 0; rc == 0 && i < nsegs; i++) {
		rc = put_array(t, segs[i].type, segs[i].dir, 'O', segs[i].off,
			       (size_t)nodes + 1);
		if (rc == 0)
			rc = put_array(t, segs[i].type, segs[i].dir, 'N',
				       segs[i].nbr, segs[i].off[nodes]);
	}
	if (rc == 0)
		rc = put_meta(t, "csr_nodes", nodes);
	if (rc == 0)
		rc = put_meta(t, "csr_edges", entries);
	for (i = 0; i < nsegs; i++) {
		op_free(segs[i].off);
		op_free(segs[i].nbr);
	}
	return rc == 0 ? OUTPOST_OK : op_adj_error(rc, "csr build", err);
}

static int get_meta(struct op_adj_txn *t, const char *name, uint64_t *out)
{
	MDB_val k = {strlen(name), (void *)name}, v;
	int rc = mdb_get(t->txn, t->adj->meta, &k, &v);

	if (rc == 0 && v.mv_size == sizeof(*out))
		memcpy(out, v.mv_data, sizeof(*out));
	return rc == 0 && v.mv_size == sizeof(*out) ? 0 : -1;
}

int op_adj_csr_open(struct op_adj_scan *s, struct op_adj_txn *t)
{
	uint64_t nodes, edges;
	MDB_stat st;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	int rc;

	s->nseg = 0;
	s->csr_nodes = 0;
	/* Current only while the adjacency has exactly the entries it was
	 * built from (every adjacency write adds or removes entries). */
	if (get_meta(t, "csr_nodes", &nodes) || get_meta(t, "csr_edges",
							 &edges) ||
	    mdb_stat(t->txn, t->adj->adj, &st) || st.ms_entries != edges)
		return OUTPOST_OK;
	rc = mdb_cursor_open(t->txn, t->adj->csr, &c);
	for (rc = rc ? rc : mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		const uint8_t *p = k.mv_data;
		uint16_t type;
		int dir;
		MDB_val nk = {4, NULL}, nv;
		uint8_t key[4];

		if (k.mv_size != 4 || p[3] != 'O')
			continue;
		type = (uint16_t)(p[0] << 8 | p[1]);
		dir = p[2];
		if (!(s->dirs & dir) ||
		    (s->types && (type >= s->ntypes || !s->types[type])))
			continue;
		csr_key(key, type, dir, 'N');
		nk.mv_data = key;
		if (s->nseg == OP_ADJ_MAX_SEGS ||
		    v.mv_size != (nodes + 1) * sizeof(uint32_t) ||
		    mdb_get(t->txn, t->adj->csr, &nk, &nv) != 0)
			break;
		s->seg[s->nseg].off = v.mv_data;
		s->seg[s->nseg].nbr = nv.mv_data;
		s->seg[s->nseg].type = type;
		s->seg[s->nseg].dir = dir;
		s->nseg++;
	}
	mdb_cursor_close(c);
	if (rc == MDB_NOTFOUND)
		s->csr_nodes = (uint32_t)nodes;
	else
		s->nseg = 0; /* damaged or too many segments: use the b-tree */
	return OUTPOST_OK;
}
