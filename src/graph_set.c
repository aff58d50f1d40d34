/* graph_set.c - the visited set of a traversal: an open-addressing hash
 * of nids that starts small and doubles, so a traversal allocates in
 * proportion to what it visits, not to the size of the graph. */
#include <string.h>

#include "graph.h"

#define SET_INITIAL 64 /* slots; grows at 50% load */

void op_graph_set_init(struct op_graph_set *s)
{
	memset(s, 0, sizeof(*s));
}

void op_graph_set_free(struct op_graph_set *s)
{
	uint32_t dense_n = s->dense_n;

	op_free(s->slot);
	op_free(s->bits);
	memset(s, 0, sizeof(*s));
	s->dense_n = dense_n;
}

void op_graph_set_reset(struct op_graph_set *s)
{
	if (s->cap > 4096 || s->bits)
		op_graph_set_free(s);
	else if (s->n)
		memset(s->slot, 0, s->cap * sizeof(*s->slot));
	s->n = 0;
}

static size_t hash(uint32_t nid, size_t mask)
{
	/* Fibonacci hashing: nids are dense, spread them. */
	return (size_t)((nid * 0x9E3779B97F4A7C15ull) >> 29) & mask;
}

static int grow(struct op_graph_set *s)
{
	size_t cap = s->cap ? s->cap * 2 : SET_INITIAL, i;
	uint64_t *slot = op_calloc(cap, sizeof(*slot));

	if (!slot)
		return OUTPOST_ENOMEM;
	for (i = 0; i < s->cap; i++) {
		uint64_t e = s->slot[i];
		size_t j;

		if (!e)
			continue;
		for (j = hash((uint32_t)(e >> 32) - 1, cap - 1); slot[j];
		     j = (j + 1) & (cap - 1))
			;
		slot[j] = e;
	}
	op_free(s->slot);
	s->slot = slot;
	s->cap = cap;
	return OUTPOST_OK;
}

/* Move every nid into a bitmap of dense_n bits. */
static int densify(struct op_graph_set *s)
{
	size_t i;

	s->bits = op_calloc(((size_t)s->dense_n + 63) / 64, sizeof(uint64_t));
	if (!s->bits)
		return OUTPOST_ENOMEM;
	for (i = 0; i < s->cap; i++)
		if (s->slot[i]) {
			uint32_t nid = (uint32_t)(s->slot[i] >> 32) - 1;

			s->bits[nid / 64] |= 1ull << (nid % 64);
		}
	op_free(s->slot);
	s->slot = NULL;
	s->cap = 0;
	return OUTPOST_OK;
}

int op_graph_set_add(struct op_graph_set *s, uint32_t nid, uint32_t value)
{
	uint64_t key = (uint64_t)nid + 1;
	size_t j;

	if (s->bits && nid < s->dense_n) {
		uint64_t bit = 1ull << (nid % 64);

		if (s->bits[nid / 64] & bit)
			return 0;
		s->bits[nid / 64] |= bit;
		s->n++;
		return 1;
	}
	if (s->dense_n && !s->bits && s->n >= s->dense_n / 128 &&
	    s->n >= 64 && nid < s->dense_n && densify(s) != OUTPOST_OK)
		return OUTPOST_ENOMEM;
	if (s->bits) /* densified just now */
		return op_graph_set_add(s, nid, value);

	if (2 * (s->n + 1) > s->cap && grow(s) != OUTPOST_OK)
		return OUTPOST_ENOMEM;
	for (j = hash(nid, s->cap - 1); s->slot[j]; j = (j + 1) & (s->cap - 1))
		if (s->slot[j] >> 32 == key)
			return 0;
	s->slot[j] = key << 32 | value;
	s->n++;
	return 1;
}

int op_graph_set_get(const struct op_graph_set *s, uint32_t nid,
		     uint32_t *value)
{
	uint64_t key = (uint64_t)nid + 1;
	size_t j;

	if (s->bits && nid < s->dense_n) {
		*value = 0;
		return (s->bits[nid / 64] >> (nid % 64)) & 1;
	}
	if (!s->cap)
		return 0;
	for (j = hash(nid, s->cap - 1); s->slot[j]; j = (j + 1) & (s->cap - 1))
		if (s->slot[j] >> 32 == key) {
			*value = (uint32_t)s->slot[j];
			return 1;
		}
	return 0;
}
