/* adj_read.c - reading the graph: node ids and neighbour chunks. A
 * neighbour list comes back as packed uint64 arrays pointing into the map
 * (MDB_GET_MULTIPLE), a page at a time, with no copy and no allocation. */
#include <string.h>

#include "adj_int.h"

uint64_t op_adj_key(uint32_t nid, uint16_t type, int dir)
{
	/* An integer key (MDB_INTEGERKEY): sorts by (nid, type, dir), so a
	 * node's keys are adjacent, and compares without memcmp. */
	return (uint64_t)nid << 32 | (uint64_t)type << 16 |
	       (uint64_t)(dir & 0xff) << 8;
}

int op_adj_node_nid(struct op_adj_txn *t, const uint8_t uuid[16],
		    uint32_t *nid)
{
	MDB_val k = {16, (void *)uuid}, v;
	int rc = mdb_get(t->txn, t->adj->nodes, &k, &v);

	if (rc == MDB_NOTFOUND)
		return OUTPOST_ENOTFOUND;
	if (rc != 0 || v.mv_size < 4)
		return OUTPOST_ECORRUPT;
	memcpy(nid, v.mv_data, 4);
	return OUTPOST_OK;
}

int op_adj_node_uuid(struct op_adj_txn *t, uint32_t nid, uint8_t uuid[16],
		     uint16_t *label)
{
	MDB_val k = {sizeof(nid), &nid}, v;
	int rc = mdb_get(t->txn, t->adj->nids, &k, &v);

	if (rc == MDB_NOTFOUND)
		return OUTPOST_ENOTFOUND;
	if (rc != 0 || v.mv_size < 18)
		return OUTPOST_ECORRUPT;
	memcpy(uuid, v.mv_data, 16);
	if (label)
		memcpy(label, (const uint8_t *)v.mv_data + 16, 2);
	return OUTPOST_OK;
}

int op_adj_node_count(struct op_adj_txn *t, uint32_t *out)
{
	MDB_stat st;
	int rc = mdb_stat(t->txn, t->adj->nids, &st);

	*out = rc == 0 ? (uint32_t)st.ms_entries : 0;
	return rc == 0 ? OUTPOST_OK : OUTPOST_ECORRUPT;
}

int op_adj_edge_get(struct op_adj_txn *t, uint32_t eid,
		    struct op_adj_edge *out)
{
	MDB_val k = {sizeof(eid), &eid}, v;
	int rc = mdb_get(t->txn, t->adj->edges, &k, &v);

	if (rc == MDB_NOTFOUND)
		return OUTPOST_ENOTFOUND;
	if (rc != 0 || v.mv_size < sizeof(*out))
		return OUTPOST_ECORRUPT;
	memcpy(out, v.mv_data, sizeof(*out));
	return OUTPOST_OK;
}

int op_adj_scan_open(struct op_adj_scan *s, struct op_adj_txn *t,
		     const uint8_t *types, size_t ntypes, int dirs)
{
	MDB_cursor *c = NULL;
	int rc = mdb_cursor_open(t->txn, t->adj->adj, &c);
	size_t i;

	memset(s, 0, sizeof(*s));
	s->cursor = c;
	s->types = types;
	s->ntypes = ntypes;
	s->dirs = dirs;
	s->one = -1;
	s->edge_dbi = t->adj->edges;
	/* One type in one direction: each node is a single seek. */
	for (i = 0; types && (dirs == OP_ADJ_OUT || dirs == OP_ADJ_IN) &&
		    i < ntypes;
	     i++)
		if (types[i])
			s->one = s->one == -1 ? (int)i : -2;
	if (s->one == -2)
		s->one = -1;
	if (rc == 0)
		op_adj_csr_open(s, t);
	return rc == 0 ? OUTPOST_OK : op_adj_error(rc, "cursor", NULL);
}

void op_adj_scan_close(struct op_adj_scan *s)
{
	if (s->cursor)
		mdb_cursor_close(s->cursor);
	s->cursor = NULL;
}

/* The cursor is on a key: its first chunk of values. A key with a
 * single value has no duplicate page, and GET_MULTIPLE would then hand
 * back the page of a key visited before (LMDB keeps its sub-cursor), so
 * such a key is read with GET_CURRENT. */
static int first_chunk(MDB_cursor *c, MDB_val *k, MDB_val *v)
{
	size_t n = 0;
	int rc = mdb_cursor_count(c, &n);

	if (rc == 0)
		rc = mdb_cursor_get(c, k, v,
				    n == 1 ? MDB_GET_CURRENT : MDB_GET_MULTIPLE);
	if (rc != 0 || v->mv_size == 0 || v->mv_size % sizeof(uint64_t))
		return OUTPOST_ECORRUPT;
	return OUTPOST_OK;
}

static int wanted(const struct op_adj_scan *s, uint16_t type, int dir)
{
	if (!(s->dirs & dir))
		return 0;
	return !s->types || (type < s->ntypes && s->types[type]);
}

/* The cursor is on some key: walk forward to the first wanted key of
 * s->nid and read its first chunk. */
static int settle(struct op_adj_scan *s, MDB_val *k, int rc)
{
	MDB_val v;

	while (rc == 0) {
		uint64_t key;
		uint16_t type;
		int dir;

		if (k->mv_size != sizeof(key))
			return OUTPOST_ECORRUPT;
		memcpy(&key, k->mv_data, sizeof(key));
		if ((uint32_t)(key >> 32) != s->nid)
			return 0;
		type = (uint16_t)(key >> 16);
		dir = (int)(key >> 8 & 0xff);
		if (wanted(s, type, dir)) {
			rc = first_chunk(s->cursor, k, &v);
			if (rc != OUTPOST_OK)
				return rc;
			s->v = v.mv_data;
			s->n = v.mv_size / sizeof(uint64_t);
			s->type = type;
			s->dir = dir;
			return 1;
		}
		rc = mdb_cursor_get(s->cursor, k, &v, MDB_NEXT_NODUP);
	}
	return rc == MDB_NOTFOUND ? 0 : OUTPOST_ECORRUPT;
}

/* The next non-empty CSR slice of s->nid, from segment s->at_seg. */
static int csr_next(struct op_adj_scan *s)
{
	while (s->at_seg < s->nseg) {
		const struct op_adj_seg *g = &s->seg[s->at_seg++];
		uint32_t a = g->off[s->nid], b = g->off[s->nid + 1];

		if (b > a) {
			s->v32 = g->nbr + a;
			s->n = b - a;
			s->type = g->type;
			s->dir = g->dir;
			return 1;
		}
	}
	return 0;
}

int op_adj_scan_first(struct op_adj_scan *s, uint32_t nid)
{
	uint64_t key;
	MDB_val k = {sizeof(key), &key}, v;

	s->nid = nid;
	s->n = 0;
	s->v = NULL;
	s->v32 = NULL;
	s->in_csr = nid < s->csr_nodes;
	if (s->in_csr) {
		s->at_seg = 0;
		return csr_next(s);
	}
	if (s->one >= 0) {
		/* MDB_SET gives the first value; GET_MULTIPLE replaces it
		 * with the page of values when the key has several. */
		key = op_adj_key(nid, (uint16_t)s->one, s->dirs);
		if (mdb_cursor_get(s->cursor, &k, &v, MDB_SET) != 0)
			return 0;
		if (first_chunk(s->cursor, &k, &v) != OUTPOST_OK)
			return OUTPOST_ECORRUPT;
		s->v = v.mv_data;
		s->n = v.mv_size / sizeof(uint64_t);
		s->type = (uint16_t)s->one;
		s->dir = s->dirs;
		return 1;
	}
	key = op_adj_key(nid, 0, 0);
	return settle(s, &k, mdb_cursor_get(s->cursor, &k, &v,
					    MDB_SET_RANGE));
}

int op_adj_scan_next(struct op_adj_scan *s)
{
	MDB_val k, v;
	int rc;

	if (s->in_csr)
		return csr_next(s);
	rc = mdb_cursor_get(s->cursor, &k, &v, MDB_NEXT_MULTIPLE);

	if (rc == 0) {
		if (v.mv_size % sizeof(uint64_t))
			return OUTPOST_ECORRUPT;
		s->v = v.mv_data;
		s->n = v.mv_size / sizeof(uint64_t);
		return 1;
	}
	if (rc != MDB_NOTFOUND)
		return OUTPOST_ECORRUPT;
	if (s->one >= 0)
		return 0; /* the one key is done */
	rc = mdb_cursor_get(s->cursor, &k, &v, MDB_NEXT_NODUP);
	return settle(s, &k, rc);
}

void op_adj_scan_as_of(struct op_adj_scan *s, int64_t ms,
		       const uint8_t *validity, size_t nvalidity)
{
	s->use_as_of = 1;
	s->as_of = ms;
	s->validity = validity;
	s->nvalidity = nvalidity;
	s->nseg = 0;
	s->csr_nodes = 0; /* the CSR has no edge ids */
}

int op_adj_scan_keep(const struct op_adj_scan *s, size_t i)
{
	uint32_t eid;
	MDB_val k = {sizeof(eid), &eid}, v;
	struct op_adj_edge e;

	if (!s->use_as_of || s->type >= s->nvalidity || !s->validity[s->type])
		return 1;
	eid = (uint32_t)s->v[i];
	if (mdb_get(mdb_cursor_txn(s->cursor), s->edge_dbi, &k, &v) != 0 ||
	    v.mv_size < sizeof(e))
		return 0;
	memcpy(&e, v.mv_data, sizeof(e));
	return e.valid_from <= s->as_of && s->as_of < e.valid_to;
}
