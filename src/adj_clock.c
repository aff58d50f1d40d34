/* adj_clock.c - edge clocks for sync's last-writer-wins (sync/PROTOCOL.md
 * "LWW merge"), in the named db "eclock":
 *   uuid (16 bytes)          -> the edge's own clock (insert or delete;
 *                               dead = tombstone)
 *   uuid + field name bytes  -> the clock of the field's last update
 * One edge's keys are adjacent (the uuid is their prefix, and a prefix
 * sorts first), so dropping its field clocks is one cursor range. The
 * graph applier (api_graph_lww.c) reads and writes them; an edge with no
 * clock of its own (made before clocks were kept, or by a bulk import)
 * counts as its record's hlc with the site all zeros. */
#include <errno.h>
#include <string.h>

#include "adj_int.h"

int op_adj_clock_cmp(const struct op_adj_clock *a,
		     const struct op_adj_clock *b)
{
	if (a->hlc != b->hlc)
		return a->hlc < b->hlc ? -1 : 1;
	return memcmp(a->site, b->site, 16);
}

/* The key: uuid, then the field's bytes (no NUL). -1 if too long. */
static int clock_key(uint8_t *key, size_t *n, const uint8_t uuid[16],
		     const char *field)
{
	size_t len = field ? strlen(field) : 0, i;

	if (len > OP_ADJ_FIELD_MAX)
		return -1;
	memcpy(key, uuid, 16);
	for (i = 0; i < len; i++) /* the name's bytes, no NUL */
		key[16 + i] = (uint8_t)field[i];
	*n = 16 + len;
	return 0;
}

int op_adj_clock_get(struct op_adj_txn *t, const uint8_t uuid[16],
		     const char *field, struct op_adj_clock *out)
{
	uint8_t key[16 + OP_ADJ_FIELD_MAX];
	MDB_val k, v;
	int rc;

	if (clock_key(key, &k.mv_size, uuid, field) != 0)
		return OUTPOST_ENOTFOUND;
	k.mv_data = key;
	rc = mdb_get(t->txn, t->adj->eclock, &k, &v);
	if (rc == MDB_NOTFOUND)
		return OUTPOST_ENOTFOUND;
	if (rc != 0 || v.mv_size != sizeof(*out))
		return OUTPOST_ECORRUPT;
	memcpy(out, v.mv_data, sizeof(*out));
	return OUTPOST_OK;
}

int op_adj_clock_put(struct op_adj_txn *t, const uint8_t uuid[16],
		     const char *field, const struct op_adj_clock *c,
		     struct op_err *err)
{
	uint8_t key[16 + OP_ADJ_FIELD_MAX];
	struct op_adj_clock rec;
	MDB_val k, v = {sizeof(rec), &rec};
	int rc;

	if (clock_key(key, &k.mv_size, uuid, field) != 0)
		return op_err_set(err, OUTPOST_ERROR, "graph store: edge field "
				  "name longer than %d bytes",
				  OP_ADJ_FIELD_MAX);
	k.mv_data = key;
	memset(&rec, 0, sizeof(rec));
	rec.hlc = c->hlc;
	memcpy(rec.site, c->site, 16);
	rec.dead = c->dead ? 1 : 0;
	rc = mdb_put(t->txn, t->adj->eclock, &k, &v, 0);
	return rc == 0 ? OUTPOST_OK : op_adj_error(rc, "edge clock", err);
}

/* The field keys of uuid to drop, copied out (deleting while a cursor
 * walks them would move it). */
static int collect(struct op_adj_txn *t, const uint8_t uuid[16],
		   const struct op_adj_clock *upto, struct op_buf *keys)
{
	MDB_cursor *c = NULL;
	MDB_val k = {16, (void *)uuid}, v;
	int rc = mdb_cursor_open(t->txn, t->adj->eclock, &c);

	for (rc = rc ? rc : mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		struct op_adj_clock have;
		uint16_t len;

		if (k.mv_size < 16 || memcmp(k.mv_data, uuid, 16) != 0)
			break;
		if (k.mv_size == 16)
			continue; /* the edge's own clock */
		if (v.mv_size != sizeof(have) ||
		    k.mv_size > 16 + OP_ADJ_FIELD_MAX) {
			rc = MDB_CORRUPTED;
			break;
		}
		memcpy(&have, v.mv_data, sizeof(have));
		if (upto && op_adj_clock_cmp(&have, upto) > 0)
			continue;
		len = (uint16_t)k.mv_size;
		op_buf_add(keys, (const char *)&len, sizeof(len));
		op_buf_add(keys, k.mv_data, k.mv_size);
	}
	if (c)
		mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int op_adj_clock_drop(struct op_adj_txn *t, const uint8_t uuid[16],
		      const struct op_adj_clock *upto, struct op_err *err)
{
	struct op_buf keys = {0};
	size_t at = 0;
	int rc = collect(t, uuid, upto, &keys);

	if (rc == 0 && keys.oom)
		rc = ENOMEM;
	while (rc == 0 && at + sizeof(uint16_t) <= keys.len) {
		uint16_t len;
		MDB_val k;

		memcpy(&len, keys.p + at, sizeof(len));
		k.mv_size = len;
		k.mv_data = keys.p + at + sizeof(len);
		at += sizeof(len) + len;
		rc = mdb_del(t->txn, t->adj->eclock, &k, NULL);
		if (rc == MDB_NOTFOUND)
			rc = 0;
	}
	op_buf_free(&keys);
	return rc == 0 ? OUTPOST_OK : op_adj_error(rc, "edge clocks", err);
}
