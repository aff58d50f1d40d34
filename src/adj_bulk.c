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

/* Sort by uuid: LSD radix on the first 8 bytes (uuids are random or
 * time-ordered, so those decide), then an insertion pass for the rare
 * equal prefixes. Linear; qsort of millions of ids was seconds. */
static int sort_uuid_ix(struct uuid_ix *ix, size_t n)
{
	struct uuid_ix *tmp = op_malloc(n * sizeof(*tmp) + 1), *src = ix,
		       *dst = tmp;
	size_t count[257], i;
	int pass;

	if (!tmp)
		return OUTPOST_ENOMEM;
	for (pass = 7; pass >= 0; pass--) {
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[src[i].uuid[pass] + 1]++;
		for (i = 1; i < 257; i++)
			count[i] += count[i - 1];
		for (i = 0; i < n; i++)
			dst[count[src[i].uuid[pass]]++] = src[i];
		src = dst;
		dst = src == ix ? tmp : ix;
	}
	/* Eight passes: the sorted data is back in ix. */
	for (i = 1; i < n; i++) {
		struct uuid_ix x = ix[i];
		size_t j = i;

		while (j > 0 && memcmp(&ix[j - 1].uuid, x.uuid, 16) > 0) {
			ix[j] = ix[j - 1];
			j--;
		}
		ix[j] = x;
	}
	op_free(tmp);
	return OUTPOST_OK;
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

	for (i = 1; i < n && memcmp(ix[i - 1].uuid, ix[i].uuid, 16) <= 0; i++)
		;
	if (i < n && sort_uuid_ix(ix, n) != OUTPOST_OK)
		return op_err_set(err, OUTPOST_ENOMEM, "out of memory");
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
	/* start[nid] is now the end of nid's run; sort each run (most are
	 * a handful of entries: insertion sort, qsort for hubs). */
	for (i = 0; i <= max; i++) {
		size_t from = i ? start[i - 1] : 0, len = start[i] - from, a;

		if (len > 32) {
			qsort(out + from, len, sizeof(*out), cmp_entry);
			continue;
		}
		for (a = from + 1; a < start[i]; a++) {
			struct adj_entry x = out[a];
			size_t b = a;

			for (; b > from && cmp_entry(&out[b - 1], &x) > 0; b--)
				out[b] = out[b - 1];
			out[b] = x;
		}
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
	unsigned flags = MDB_MULTIPLE;
	size_t i, j;
	int rc = sort_entries(pe, n);

	if (rc != OUTPOST_OK)
		return op_err_set(err, rc, "out of memory");
	if (!(vals = op_malloc(n * sizeof(*vals) + 1)))
		return op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	/* Into an empty adjacency, in the comparators' order (integer keys
	 * and values): every key and every value is appended. */
	if (is_empty(t, t->adj->adj))
		flags |= MDB_APPEND | MDB_APPENDDUP;
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
		rc = mdb_cursor_put(c, &k, v, flags);
	}
	mdb_cursor_close(c);
	op_free(vals);
	return rc == 0 ? OUTPOST_OK : op_adj_error(rc, "bulk adjacency", err);
}

/* Equal uuids are the same (type, from, to) loaded more than once (a
 * multigraph): the k-th repeat gets the uuid of (uuid, k), so every edge
 * has its own and the result does not depend on the order of repeats. */
static int dedupe(struct op_adj_edge *edges, struct uuid_ix *ix, size_t n)
{
	size_t i, k = 0, changed = 0;
	int rc = sort_uuid_ix(ix, n);

	for (i = 1; rc == OUTPOST_OK && i < n; i++) {
		uint8_t key[16 + 8];
		int b;

		if (memcmp(ix[i].uuid, ix[i - 1 - k].uuid, 16)) {
			k = 0;
			continue;
		}
		k++;
		memcpy(key, ix[i].uuid, 16);
		for (b = 0; b < 8; b++) /* little-endian on every machine */
			key[16 + b] = (uint8_t)((uint64_t)k >> (8 * b));
		op_uuid_v8_fast(ix[i].uuid, key, sizeof(key));
		memcpy(edges[ix[i].id].uuid, ix[i].uuid, 16);
		changed++;
	}
	return rc == OUTPOST_OK && changed ? sort_uuid_ix(ix, n) : rc;
}

/* Drop the edges the store already has (an import run again): their
 * records and adjacency are there. Keeps the order of the rest; ix is
 * rebuilt when any went. */
static size_t drop_known(struct op_adj_txn *t, struct op_adj_edge *edges,
			 uint32_t *order, struct uuid_ix *ix, size_t n)
{
	size_t i, k = 0;
	uint32_t eid;

	if (is_empty(t, t->adj->euuid))
		return n;
	for (i = 0; i < n; i++)
		if (op_adj_edge_find(t, edges[i].uuid, &eid) != OUTPOST_OK) {
			order[k] = (uint32_t)i;
			edges[k++] = edges[i];
		}
	if (k == n)
		return n;
	for (i = 0; i < k; i++) {
		memcpy(ix[i].uuid, edges[i].uuid, 16);
		ix[i].id = (uint32_t)i;
	}
	return k;
}

/* Edge i's properties go under its eid (edge i kept the index order[i]
 * of the caller's arrays). */
static int put_props(struct op_adj_txn *t, const char *const *props,
		     const uint32_t *order, size_t n, uint32_t base)
{
	size_t i;
	int rc = 0;

	for (i = 0; props && rc == 0 && i < n; i++) {
		const char *p = props[order[i]];
		uint32_t eid = base + (uint32_t)i;
		MDB_val k = {sizeof(eid), &eid}, v;

		if (!p)
			continue;
		v.mv_size = strlen(p);
		v.mv_data = (void *)p;
		rc = mdb_put(t->txn, t->adj->eprops, &k, &v, 0);
	}
	return rc;
}

int op_adj_bulk_edges(struct op_adj_txn *t, struct op_adj_edge *edges,
		      const char *const *props, size_t n, struct op_err *err)
{
	struct adj_entry *e = op_malloc(2 * n * sizeof(*e) + 1);
	struct uuid_ix *ix = op_malloc(n * sizeof(*ix) + 1);
	uint32_t *order = op_malloc(n * sizeof(*order) + 1);
	MDB_cursor *c = NULL;
	uint32_t base = 0;
	size_t i;
	int rc = OUTPOST_OK;

	if (!e || !ix || !order) {
		op_free(e);
		op_free(ix);
		op_free(order);
		return op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		memcpy(ix[i].uuid, edges[i].uuid, 16);
		ix[i].id = (uint32_t)i;
		order[i] = (uint32_t)i;
	}
	if (dedupe(edges, ix, n) != OUTPOST_OK)
		rc = op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	if (rc == OUTPOST_OK)
		n = drop_known(t, edges, order, ix, n);
	if (rc == OUTPOST_OK)
		rc = op_adj_counter(t, "eid", (uint32_t)n, &base, err);
	for (i = 0; rc == OUTPOST_OK && i < n; i++)
		ix[i].id += base;
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
	}
	if (c)
		mdb_cursor_close(c);
	if (rc == OUTPOST_OK && (i = (size_t)put_props(t, props, order, n,
						       base)) != 0)
		rc = op_adj_error((int)i, "bulk edge properties", err);
	if (rc == OUTPOST_OK)
		rc = put_adjacency(t, &e, 2 * n, err);
	if (rc == OUTPOST_OK)
		rc = put_uuid_index(t, t->adj->euuid, ix, n, err);
	if (rc == OUTPOST_OK)
		rc = op_adj_csr_build(t, err);
	op_free(e);
	op_free(ix);
	op_free(order);
	return rc;
}
