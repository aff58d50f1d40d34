/* adj_read.c - reading the graph: node ids and neighbour chunks. A
 * neighbour list comes back as packed uint64 arrays pointing into the map
 * (MDB_GET_MULTIPLE), a page at a time, with no copy and no allocation. */
#include <string.h>

#include "adj_int.h"

void op_adj_key(uint8_t key[8], uint32_t nid, uint16_t type, int dir)
{
	/* Big-endian, so LMDB's byte order sorts by (nid, type, dir) and a
	 * node's keys are adjacent. */
	key[0] = (uint8_t)(nid >> 24);
	key[1] = (uint8_t)(nid >> 16);
	key[2] = (uint8_t)(nid >> 8);
	key[3] = (uint8_t)nid;
	key[4] = (uint8_t)(type >> 8);
	key[5] = (uint8_t)type;
	key[6] = (uint8_t)dir;
	key[7] = 0;
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

	memset(s, 0, sizeof(*s));
	s->cursor = c;
	s->types = types;
	s->ntypes = ntypes;
	s->dirs = dirs;
	return rc == 0 ? OUTPOST_OK : op_adj_error(rc, "cursor", NULL);
}

void op_adj_scan_close(struct op_adj_scan *s)
{
	if (s->cursor)
		mdb_cursor_close(s->cursor);
	s->cursor = NULL;
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
		const uint8_t *p = k->mv_data;
		uint32_t got;
		uint16_t type;

		if (k->mv_size != 8)
			return OUTPOST_ECORRUPT;
		got = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		      (uint32_t)p[2] << 8 | p[3];
		if (got != s->nid)
			return 0;
		type = (uint16_t)(p[4] << 8 | p[5]);
		if (wanted(s, type, p[6])) {
			rc = mdb_cursor_get(s->cursor, k, &v,
					    MDB_GET_MULTIPLE);
			if (rc != 0 || v.mv_size % sizeof(uint64_t))
				return OUTPOST_ECORRUPT;
			s->v = v.mv_data;
			s->n = v.mv_size / sizeof(uint64_t);
			s->type = type;
			s->dir = p[6];
			return 1;
		}
		rc = mdb_cursor_get(s->cursor, k, &v, MDB_NEXT_NODUP);
	}
	return rc == MDB_NOTFOUND ? 0 : OUTPOST_ECORRUPT;
}

int op_adj_scan_first(struct op_adj_scan *s, uint32_t nid)
{
	uint8_t key[8];
	MDB_val k = {8, key}, v;
	size_t i, one = SIZE_MAX;

	s->nid = nid;
	s->n = 0;
	/* One type, one direction: seek straight to its key. */
	if (s->types && (s->dirs == OP_ADJ_OUT || s->dirs == OP_ADJ_IN)) {
		for (i = 0; i < s->ntypes; i++)
			if (s->types[i])
				one = one == SIZE_MAX ? i : SIZE_MAX - 1;
	}
	if (one < SIZE_MAX - 1) {
		op_adj_key(key, nid, (uint16_t)one, s->dirs);
		if (mdb_cursor_get(s->cursor, &k, &v, MDB_SET) != 0)
			return 0;
		return settle(s, &k, 0);
	}
	op_adj_key(key, nid, 0, 0);
	return settle(s, &k, mdb_cursor_get(s->cursor, &k, &v,
					    MDB_SET_RANGE));
}

int op_adj_scan_next(struct op_adj_scan *s)
{
	MDB_val k, v;
	int rc = mdb_cursor_get(s->cursor, &k, &v, MDB_NEXT_MULTIPLE);

	if (rc == 0) {
		if (v.mv_size % sizeof(uint64_t))
			return OUTPOST_ECORRUPT;
		s->v = v.mv_data;
		s->n = v.mv_size / sizeof(uint64_t);
		return 1;
	}
	if (rc != MDB_NOTFOUND)
		return OUTPOST_ECORRUPT;
	rc = mdb_cursor_get(s->cursor, &k, &v, MDB_NEXT_NODUP);
	return settle(s, &k, rc);
}
