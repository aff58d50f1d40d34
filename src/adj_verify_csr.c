/* adj_verify_csr.c - the CSR snapshot checked against the adjacency it
 * was built from, for op_adj_verify(). Only a current snapshot is
 * checked (a stale one is never read). Its segments are checked whole
 * first (a traversal would index them in place); then one walk over the
 * adjacency, which comes in nid order, compares each node's neighbours
 * with its slice in every segment, as a multiset. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adj_verify_int.h"

#define SEG_TEXT 96 /* "KNOWS out" */

/* A segment, compared node by node as far as the walk has come. */
struct vseg {
	uint16_t type;
	int dir;
	const void *off; /* u32[nodes + 1] in the map; maybe unaligned */
	const void *nbr; /* u32[off[nodes]] */
	uint32_t next;	 /* nodes below this are compared */
};

struct csr_check {
	struct adj_vf *v;
	struct vseg seg[OP_ADJ_MAX_SEGS];
	size_t nseg;
	uint32_t nodes; /* the snapshot covers nids below this */
	uint64_t key;	/* the adjacency key being gathered */
	uint32_t *got;	/* its neighbours */
	size_t ngot, capgot;
	uint32_t *slice; /* a CSR slice, copied to be sorted */
	size_t capslice;
};

/* CSR arrays are read in place, and a small LMDB value is only 2-byte
 * aligned. */
static uint32_t u32_at(const void *p, size_t i)
{
	uint32_t x;

	memcpy(&x, (const uint8_t *)p + i * sizeof(x), sizeof(x));
	return x;
}

/* The test op_adj_csr_open() makes: the snapshot is current while the
 * adjacency has exactly the entries it was built from. */
static int csr_current(struct csr_check *c)
{
	struct op_adj_txn *t = c->v->t;
	uint64_t nodes, edges;
	MDB_stat st;

	if (op_adj_meta_get(t, "csr_nodes", &nodes, sizeof(nodes)) ||
	    op_adj_meta_get(t, "csr_edges", &edges, sizeof(edges)) ||
	    mdb_stat(t->txn, t->adj->adj, &st) || st.ms_entries != edges)
		return 0;
	if (nodes > UINT32_MAX) {
		op_adj_verify_say(c->v, "csr: a snapshot of %llu nodes",
				  (unsigned long long)nodes);
		return 0;
	}
	c->nodes = (uint32_t)nodes;
	return 1;
}

static const char *seg_text(char out[SEG_TEXT], const struct adj_vf *v,
			    uint16_t type, int dir)
{
	char ty[OP_ADJ_NAME_TEXT];

	snprintf(out, SEG_TEXT, "%s %s", op_adj_verify_type(ty, v, type),
		 dir == OP_ADJ_OUT ? "out" : dir == OP_ADJ_IN ? "in" : "?");
	return out;
}

/* A segment is compared only if whole: offsets from 0 that never fall
 * and end at its neighbour count. */
static int seg_sound(struct csr_check *c, const char *name,
		     const MDB_val *off, const MDB_val *nbr)
{
	size_t want = ((size_t)c->nodes + 1) * sizeof(uint32_t);
	uint32_t i, prev = 0;

	if (off->mv_size != want) {
		op_adj_verify_say(c->v, "csr %s: offsets of %zu bytes, want "
				  "%zu", name, off->mv_size, want);
		return 0;
	}
	for (i = 0; i <= c->nodes; i++) {
		uint32_t o = u32_at(off->mv_data, i);

		if (o < prev || (i == 0 && o != 0)) {
			op_adj_verify_say(c->v, "csr %s: offset %u of nid %u "
					  "after %u", name, o, i, prev);
			return 0;
		}
		prev = o;
	}
	if (nbr->mv_size != (size_t)prev * sizeof(uint32_t)) {
		op_adj_verify_say(c->v, "csr %s: %zu bytes of neighbours, the "
				  "offsets need %zu", name, nbr->mv_size,
				  (size_t)prev * sizeof(uint32_t));
		return 0;
	}
	return 1;
}

/* The other half of a segment: 'N' for part 'O' and the reverse. */
static int seg_half(struct csr_check *c, const uint8_t key[4], char part,
		    MDB_val *out)
{
	uint8_t other[4];
	MDB_val k = {sizeof(other), other};

	memcpy(other, key, 3);
	other[3] = (uint8_t)part;
	return mdb_get(c->v->t->txn, c->v->t->adj->csr, &k, out);
}

static void seg_entry(void *ctx, const MDB_val *k, const MDB_val *d)
{
	struct csr_check *c = ctx;
	const uint8_t *p = k->mv_data;
	char name[SEG_TEXT];
	MDB_val nbr;

	if (k->mv_size != 4 || (p[3] != 'O' && p[3] != 'N')) {
		op_adj_verify_say(c->v, "csr: a key of %zu bytes that is no "
				  "segment's", k->mv_size);
		return;
	}
	seg_text(name, c->v, (uint16_t)(p[0] << 8 | p[1]), p[2]);
	if (seg_half(c, p, p[3] == 'O' ? 'N' : 'O', &nbr) != 0) {
		op_adj_verify_say(c->v, "csr %s: %s but no %s", name,
				  p[3] == 'O' ? "offsets" : "neighbours",
				  p[3] == 'O' ? "neighbours" : "offsets");
		return;
	}
	if (p[3] != 'O' || !seg_sound(c, name, d, &nbr))
		return;
	if (c->nseg == OP_ADJ_MAX_SEGS) {
		op_adj_verify_say(c->v, "csr %s: more than %d segments", name,
				  OP_ADJ_MAX_SEGS);
		return;
	}
	c->seg[c->nseg].type = (uint16_t)(p[0] << 8 | p[1]);
	c->seg[c->nseg].dir = p[2];
	c->seg[c->nseg].off = d->mv_data;
	c->seg[c->nseg].nbr = nbr.mv_data;
	c->seg[c->nseg].next = 0;
	c->nseg++;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static int grow(uint32_t **a, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 64;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = op_realloc(*a, n * sizeof(**a));
	if (!p)
		return -1;
	*a = p;
	*cap = n;
	return 0;
}

/* Nodes from g->next up to end have no adjacency of g's kind. */
static void empty_until(struct csr_check *c, struct vseg *g, uint32_t end)
{
	char name[SEG_TEXT], node[OP_ADJ_NODE_TEXT];

	for (; g->next < end; g->next++) {
		uint32_t a = u32_at(g->off, g->next),
			 b = u32_at(g->off, g->next + 1);

		if (b > a)
			op_adj_verify_say(c->v, "csr %s, %s: %u neighbours in "
					  "the snapshot, none in the "
					  "adjacency", seg_text(name, c->v,
					  g->type, g->dir), op_adj_verify_node(
					  node, c->v, g->next), b - a);
	}
}

/* The gathered neighbours of nid against its slice of g. */
static void compare(struct csr_check *c, struct vseg *g, uint32_t nid)
{
	char name[SEG_TEXT], node[OP_ADJ_NODE_TEXT];
	uint32_t a = u32_at(g->off, nid), b = u32_at(g->off, nid + 1), i;

	/* Both sides are in (nbr, eid) order as built; sorting the copies
	 * makes the test one of multisets all the same. */
	if (b - a == c->ngot) {
		if (grow(&c->slice, &c->capslice, c->ngot) != 0) {
			op_adj_verify_fail(c->v, ENOMEM, "csr");
			return;
		}
		for (i = a; i < b; i++)
			c->slice[i - a] = u32_at(g->nbr, i);
		qsort(c->slice, c->ngot, sizeof(*c->slice), cmp_u32);
		qsort(c->got, c->ngot, sizeof(*c->got), cmp_u32);
		if (memcmp(c->slice, c->got, c->ngot * sizeof(*c->got)) == 0)
			return;
	}
	op_adj_verify_say(c->v, "csr %s, %s: neighbours differ from the "
			  "adjacency (%u in the snapshot, %zu in the "
			  "adjacency)", seg_text(name, c->v, g->type, g->dir),
			  op_adj_verify_node(node, c->v, nid), b - a, c->ngot);
}

/* The gathered key is complete: compare it, and the nodes before it. */
static void key_done(struct csr_check *c)
{
	uint32_t nid = (uint32_t)(c->key >> 32);
	uint16_t type = (uint16_t)(c->key >> 16);
	int dir = (int)(c->key >> 8 & 0xff);
	char name[SEG_TEXT], node[OP_ADJ_NODE_TEXT];
	size_t i;

	/* Nodes past the snapshot are read from the b-tree; a malformed
	 * key is the adjacency walk's finding. */
	if (!c->ngot || nid >= c->nodes ||
	    (dir != OP_ADJ_OUT && dir != OP_ADJ_IN))
		return;
	for (i = 0; i < c->nseg; i++)
		if (c->seg[i].type == type && c->seg[i].dir == dir)
			break;
	if (i == c->nseg) {
		op_adj_verify_say(c->v, "csr %s, %s: %zu adjacency entries, no "
				  "such segment", seg_text(name, c->v, type,
				  dir), op_adj_verify_node(node, c->v, nid),
				  c->ngot);
		return;
	}
	empty_until(c, &c->seg[i], nid);
	compare(c, &c->seg[i], nid);
	c->seg[i].next = nid + 1;
}

/* Gather each adjacency key's neighbours (the walk gives a key's values
 * one after the other). */
static void adj_entry(void *ctx, const MDB_val *k, const MDB_val *d)
{
	struct csr_check *c = ctx;
	uint64_t key, val;

	if (k->mv_size != sizeof(key) || d->mv_size != sizeof(val))
		return; /* the adjacency walk's finding */
	memcpy(&key, k->mv_data, sizeof(key));
	memcpy(&val, d->mv_data, sizeof(val));
	if (key != c->key) {
		key_done(c);
		c->key = key;
		c->ngot = 0;
	}
	if (grow(&c->got, &c->capgot, c->ngot + 1) != 0) {
		op_adj_verify_fail(c->v, ENOMEM, "csr");
		return;
	}
	c->got[c->ngot++] = (uint32_t)(val >> 32);
}

void op_adj_verify_csr(struct adj_vf *v)
{
	struct op_adj *a = v->t->adj;
	struct csr_check c;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.v = v;
	if (csr_current(&c) &&
	    !op_adj_verify_walk(v, a->csr, "csr", seg_entry, &c) &&
	    !op_adj_verify_walk(v, a->adj, "adjacency", adj_entry, &c)) {
		key_done(&c);
		for (i = 0; i < c.nseg; i++)
			empty_until(&c, &c.seg[i], c.nodes);
	}
	op_free(c.got);
	op_free(c.slice);
}
