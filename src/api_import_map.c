/* api_import_map.c - the ids of an import's nodes, so relationship rows
 * can name them: a binary map uuid -> node (every node; uuids inline in
 * the slots, no pointer chasing) and a string map (space, id) -> node for
 * ids that are not uuids. */
#include <stdio.h>
#include <string.h>

#include "api_import_int.h"

#define IMP_SEP "\x1f" /* between id space and id in string keys */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static int map_grow(struct imp_idmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 1024, i;
	char **keys = op_calloc(cap, sizeof(*keys));
	uint32_t *vals = op_calloc(cap, sizeof(*vals));

	if (!keys || !vals) {
		op_free(keys);
		op_free(vals);
		return OUTPOST_ENOMEM;
	}
	for (i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->keys[i])
			continue;
		for (j = hash_str(m->keys[i]) & (cap - 1); keys[j];
		     j = (j + 1) & (cap - 1))
			;
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
	}
	op_free(m->keys);
	op_free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = cap;
	return OUTPOST_OK;
}

/* Add key -> val; 0 if added, 1 if the key was there (*old its value). */
static int map_add(struct imp_idmap *m, const char *key, uint32_t val,
		   uint32_t *old)
{
	size_t j;

	if (2 * (m->n + 1) > m->cap && map_grow(m) != OUTPOST_OK)
		return OUTPOST_ENOMEM;
	for (j = hash_str(key) & (m->cap - 1); m->keys[j];
	     j = (j + 1) & (m->cap - 1))
		if (strcmp(m->keys[j], key) == 0) {
			*old = m->vals[j];
			return 1;
		}
	if (!(m->keys[j] = op_strdup(key)))
		return OUTPOST_ENOMEM;
	m->vals[j] = val;
	m->n++;
	return 0;
}

static long lookup_str(const struct imp *m, const char *space,
		       const char *id)
{
	char small[256], *key = small;
	size_t ls = strlen(space ? space : ""), li = strlen(id), j;
	long found = -1;

	if (!m->ids.cap)
		return -1;
	if (ls + li + 2 > sizeof(small) && !(key = op_malloc(ls + li + 2)))
		return -1;
	/* The same key map_add was given: "space" IMP_SEP "id". */
	memcpy(key, space ? space : "", ls);
	key[ls] = IMP_SEP[0];
	memcpy(key + ls + 1, id, li + 1);
	for (j = hash_str(key) & (m->ids.cap - 1); m->ids.keys[j];
	     j = (j + 1) & (m->ids.cap - 1))
		if (strcmp(m->ids.keys[j], key) == 0) {
			found = (long)m->ids.vals[j];
			break;
		}
	if (key != small)
		op_free(key);
	return found;
}

int op_api_import_name(struct imp *m, int is_type, size_t index,
		       uint16_t *out)
{
	int32_t *cache = is_type ? m->type_ids : m->label_ids;
	int rc;

	if (cache[index] >= 0) {
		*out = (uint16_t)cache[index];
		return OUTPOST_OK;
	}
	rc = op_adj_name_id(m->txn, is_type ? "type" : "label",
			    is_type ? m->s->rels[index].name
				    : m->s->tables[index].name,
			    1, out, &m->db->err);
	if (rc == OUTPOST_OK)
		cache[index] = *out;
	return rc;
}


static uint64_t hash_uuid(const uint8_t u[16])
{
	uint64_t h;

	/* uuids are random or time-ordered: mix the low (random) bytes. */
	memcpy(&h, u + 8, sizeof(h));
	return h * 0x9E3779B97F4A7C15ull;
}

static int umap_grow(struct imp_umap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 4096, i;
	struct imp_uslot *slot = op_calloc(cap, sizeof(*slot));

	if (!slot)
		return OUTPOST_ENOMEM;
	for (i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->slot[i].used)
			continue;
		for (j = hash_uuid(m->slot[i].uuid) & (cap - 1); slot[j].used;
		     j = (j + 1) & (cap - 1))
			;
		slot[j] = m->slot[i];
	}
	op_free(m->slot);
	m->slot = slot;
	m->cap = cap;
	return OUTPOST_OK;
}

int op_api_import_map_add(struct imp *m, const char *space, const char *id,
			  const uint8_t uuid[16], int id_is_uuid)
{
	struct imp_umap *u = &m->uuids_map;
	uint32_t old;
	size_t j;
	int rc;

	if (2 * (u->n + 1) > u->cap && umap_grow(u) != OUTPOST_OK)
		return OUTPOST_ENOMEM;
	for (j = hash_uuid(uuid) & (u->cap - 1); u->slot[j].used;
	     j = (j + 1) & (u->cap - 1))
		if (memcmp(u->slot[j].uuid, uuid, 16) == 0)
			return 1;
	memcpy(u->slot[j].uuid, uuid, 16);
	u->slot[j].val = (uint32_t)m->nnodes;
	u->slot[j].used = 1;
	u->n++;
	if (id_is_uuid)
		return OUTPOST_OK;
	{
		struct op_buf k = {0};

		op_buf_addf(&k, "%s" IMP_SEP "%s", space ? space : "", id);
		rc = k.oom ? OUTPOST_ENOMEM
			   : map_add(&m->ids, op_buf_str(&k),
				     (uint32_t)m->nnodes, &old);
		op_buf_free(&k);
	}
	return rc;
}

void op_api_import_map_loaded(struct imp *m)
{
	struct imp_umap *u = &m->uuids_map;
	size_t j;

	for (j = 0; j < u->cap; j++)
		if (u->slot[j].used) {
			u->slot[j].nid = m->nids[u->slot[j].val];
			u->slot[j].label = m->labels[u->slot[j].val];
		}
}

size_t op_api_import_probe(const struct imp *m, const uint8_t uuid[16])
{
	const struct imp_umap *u = &m->uuids_map;
	size_t j;

	if (!u->cap)
		return 0;
	j = hash_uuid(uuid) & (u->cap - 1);
	/* A slot may straddle two cache lines: ask for both. */
	__builtin_prefetch(&u->slot[j]);
	__builtin_prefetch((const char *)&u->slot[j] + sizeof(u->slot[j]) - 1);
	return j;
}

int op_api_import_find(const struct imp *m, const uint8_t uuid[16],
		       size_t home, struct imp_end *out)
{
	const struct imp_umap *u = &m->uuids_map;
	size_t j;

	for (j = home; u->cap && u->slot[j].used; j = (j + 1) & (u->cap - 1))
		if (memcmp(u->slot[j].uuid, uuid, 16) == 0) {
			out->nid = u->slot[j].nid;
			out->label = u->slot[j].label;
			memcpy(out->uuid, uuid, 16);
			return 1;
		}
	return 0;
}

int op_api_import_lookup(const struct imp *m, const char *space,
			 const char *id, struct imp_end *out)
{
	uint8_t uuid[16];
	long at;

	if (m->uuids_map.cap && op_uuid_parse(uuid, id) == 0 &&
	    op_api_import_find(m, uuid, op_api_import_probe(m, uuid), out))
		return 1;
	if ((at = lookup_str(m, space, id)) < 0)
		return 0;
	out->nid = m->nids[at];
	out->label = m->labels[at];
	memcpy(out->uuid, m->uuids[at], 16);
	return 1;
}

void op_api_import_map_free(struct imp *m)
{
	size_t i;

	for (i = 0; i < m->ids.cap; i++)
		op_free(m->ids.keys[i]);
	op_free(m->ids.keys);
	op_free(m->ids.vals);
	op_free(m->uuids_map.slot);
}

/* The import id of the node with nid, for messages: its original id if
 * this import gave it one, else its uuid. */
void op_api_import_node_name(const struct imp *m, uint32_t nid,
			     char out[OP_IMPORT_NAME])
{
	size_t i, j;
	uint8_t u[16];

	for (i = 0; i < m->nnodes; i++) {
		if (m->nids[i] != nid)
			continue;
		for (j = 0; j < m->ids.cap; j++)
			if (m->ids.keys[j] && m->ids.vals[j] == i) {
				const char *sep = strchr(m->ids.keys[j], IMP_SEP[0]);

				op_show(out, OP_IMPORT_NAME,
					sep ? sep + 1 : m->ids.keys[j]);
				return;
			}
		op_uuid_format(out, m->uuids[i]);
		return;
	}
	if (op_adj_node_uuid(m->txn, nid, u, NULL) == OUTPOST_OK)
		op_uuid_format(out, u);
	else
		snprintf(out, OP_IMPORT_NAME, "node #%u", nid);
}
