/* adj_bulk.c - bulk loading: nodes and edges sorted in key order and
 * appended, so LMDB fills each page once. An empty graph takes the
 * MDB_APPEND path; a non-empty one gets ordinary puts in sorted order. */
#include <stdlib.h>
#include <string.h>

#include "adj_int.h"

struct adj_entry {
	uint64_t key; /* op_adj_key() */
	uint64_t val; /* nbr << 32 | eid */
};

static int cmp_entry(const void *a, const void *b)
{
	const struct adj_entry *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->val > y->val) - (x->val < y->val);
}

struct uuid_ix {
	uint8_t uuid[16];
	uint32_t id;
};

static int cmp_uuid_ix(const void *a, const void *b)
{
	return memcmp(((const struct uuid_ix *)a)->uuid,
		      ((const struct uuid_ix *)b)->uuid, 16);
}

static int is_empty(struct op_adj_txn *t, MDB_dbi dbi)
{
	MDB_stat st;

	return mdb_stat(t->txn, dbi, &st) == 0 && st.ms_entries == 0;
}

/* Write sorted (uuid -> id) pairs into dbi. */
static int put_uuid_index(struct op_adj_txn *t, MDB_dbi dbi,
			  struct uuid_ix *ix, size_t n, struct op_err *err)
{
	unsigned flags = is_empty(t, dbi) ? MDB_APPEND : 0;
	MDB_cursor *c = NULL;
	size_t i;
	int rc;

	qsort(ix, n, sizeof(*ix), cmp_uuid_ix);
	rc = mdb_cursor_open(t->txn, dbi, &c);
	for (i = 0; rc == 0 && i < n; i++) {
		uint8_t val[8] = {0};
		MDB_val k = {16, ix[i].uuid}, v = {sizeof(val), val};

		memcpy(val, &ix[i].id, 4);
		if (i > 0 && memcmp(ix[i].uuid, ix[i - 1].uuid, 16) == 0)
			return op_err_set(err, OUTPOST_EEXIST, "graph store: "
					  "the same uuid twice in one load");
		rc = mdb_cursor_put(c, &k, &v, flags);
	}
	mdb_cursor_close(c);
	return rc == 0 ? OUTPOST_OK : op_adj_error(rc, "bulk index", err);
}

int op_adj_bulk_nodes(struct op_adj_txn *t, const uint8_t (*uuids)[16],
		      const uint16_t *labels, size_t n, uint32_t *nids_out,
		      struct op_err *err)
{
	struct uuid_ix *fresh = op_malloc(n * sizeof(*fresh) + 1);
	size_t i, nfresh = 0;
	uint32_t base;
	int rc;

	if (!fresh)
		return op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	/* Known uuids keep their nid; the rest get new ones in order. */
	for (i = 0; i < n; i++)
		if (op_adj_node_nid(t, uuids[i], &nids_out[i]) != OUTPOST_OK) {
			memcpy(fresh[nfresh].uuid, uuids[i], 16);
			fresh[nfresh].id = (uint32_t)i; /* index, for now */
			nfresh++;
		}
	rc = op_adj_counter(t, "nid", (uint32_t)nfresh, &base, err);
	for (i = 0; rc == OUTPOST_OK && i < nfresh; i++) {
		uint32_t nid = base + (uint32_t)i;
		uint8_t rec[20] = {0};
		MDB_val k = {sizeof(nid), &nid}, v = {sizeof(rec), rec};
		size_t at = fresh[i].id;

		memcpy(rec, uuids[at], 16);
		memcpy(rec + 16, &labels[at], 2);
		nids_out[at] = nid;
		fresh[i].id = nid;
		rc = mdb_put(t->txn, t->adj->nids, &k, &v, MDB_APPEND);
		if (rc != 0)
			rc = op_adj_error(rc, "bulk nodes", err);
	}
	if (rc == OUTPOST_OK)
		rc = put_uuid_index(t, t->adj->nodes, fresh, nfresh, err);
	op_free(fresh);
	return rc;
}

/* Group entries by node with a counting sort (linear; nids are dense),
 * then order each node's few entries by (key, value). */
static int sort_entries(struct adj_entry **pe, size_t n)
{
	struct adj_entry *e = *pe, *out;
	uint32_t max = 0;
	size_t *start, i;

	for (i = 0; i < n; i++)
		if ((uint32_t)(e[i].key >> 32) > max)
			max = (uint32_t)(e[i].key >> 32);
	start = op_calloc((size_t)max + 2, sizeof(*start));
	out = op_malloc(n * sizeof(*out) + 1);
	if (!start || !out) {
		op_free(start);
		op_free(out);
		return OUTPOST_ENOMEM;
	}
	for (i = 0; i < n; i++)
		start[(e[i].key >> 32) + 1]++;
	for (i = 1; i <= (size_t)max + 1; i++)
		start[i] += start[i - 1];
	for (i = 0; i < n; i++)
		out[start[e[i].key >> 32]++] = e[i];
	/* start[nid] is now the end of nid's run; sort each run. */
	for (i = 0; i <= max; i++) {
		size_t from = i ? start[i - 1] : 0;

		if (start[i] - from > 1)
			qsort(out + from, start[i] - from, sizeof(*out),
			      cmp_entry);
	}
	op_free(start);
	op_free(e);
	*pe = out;
	return OUTPOST_OK;
}

static int put_adjacency(struct op_adj_txn *t, struct adj_entry **pe,
			 size_t n, struct op_err *err)
{
	MDB_cursor *c = NULL;
	uint64_t *vals = NULL;
	size_t i, j;
	int rc = sort_entries(pe, n);

	if (rc != OUTPOST_OK)
		return op_err_set(err, rc, "out of memory");
	if (!(vals = op_malloc(n * sizeof(*vals) + 1)))
		return op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	rc = mdb_cursor_open(t->txn, t->adj->adj, &c);
	/* One put per key with all its values (MDB_MULTIPLE). */
	for (i = 0; rc == 0 && i < n; i = j) {
		const struct adj_entry *e = *pe;
		MDB_val k = {8, (void *)&e[i].key}, v[2];

		for (j = i; j < n && e[j].key == e[i].key; j++)
			vals[j - i] = e[j].val;
		v[0].mv_size = sizeof(uint64_t);
		v[0].mv_data = vals;
		v[1].mv_size = j - i;
		v[1].mv_data = NULL;
		rc = mdb_cursor_put(c, &k, v, MDB_MULTIPLE);
	}
	mdb_cursor_close(c);
	op_free(vals);
	return rc == 0 ? OUTPOST_OK : op_adj_error(rc, "bulk adjacency", err);
}

int op_adj_bulk_edges(struct op_adj_txn *t, const struct op_adj_edge *edges,
		      size_t n, struct op_err *err)
{
	struct adj_entry *e = op_malloc(2 * n * sizeof(*e) + 1);
	struct uuid_ix *ix = op_malloc(n * sizeof(*ix) + 1);
	MDB_cursor *c = NULL;
	uint32_t base = 0;
	size_t i;
	int rc;

	if (!e || !ix) {
		op_free(e);
		op_free(ix);
		return op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	}
	rc = op_adj_counter(t, "eid", (uint32_t)n, &base, err);
	if (rc == OUTPOST_OK && mdb_cursor_open(t->txn, t->adj->edges, &c))
		rc = op_err_set(err, OUTPOST_EIO, "graph store: cursor");
	for (i = 0; rc == OUTPOST_OK && i < n; i++) {
		const struct op_adj_edge *ed = &edges[i];
		uint32_t eid = base + (uint32_t)i;
		MDB_val k = {sizeof(eid), &eid}, v = {sizeof(*ed), (void *)ed};
		int put = mdb_cursor_put(c, &k, &v, MDB_APPEND);

		if (put != 0)
			rc = op_adj_error(put, "bulk edges", err);
		e[2 * i].key = op_adj_key(ed->from, ed->type, OP_ADJ_OUT);
		e[2 * i].val = (uint64_t)ed->to << 32 | eid;
		e[2 * i + 1].key = op_adj_key(ed->to, ed->type, OP_ADJ_IN);
		e[2 * i + 1].val = (uint64_t)ed->from << 32 | eid;
		memcpy(ix[i].uuid, ed->uuid, 16);
		ix[i].id = eid;
	}
	if (c)
		mdb_cursor_close(c);
	if (rc == OUTPOST_OK)
		rc = put_adjacency(t, &e, 2 * n, err);
	if (rc == OUTPOST_OK)
		rc = put_uuid_index(t, t->adj->euuid, ix, n, err);
	if (rc == OUTPOST_OK)
		rc = op_adj_csr_build(t, err);
	op_free(e);
	op_free(ix);
	return rc;
}
