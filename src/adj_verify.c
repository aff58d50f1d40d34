/* adj_verify.c - the graph store checked against itself, for
 * outpost_graph_verify(). Every fact the store keeps twice is checked
 * from both sides: an edge record against its two adjacency entries and
 * the edge uuid index, and each of those back against the record; the
 * node index against the nid records. adj_verify_csr.c adds the CSR
 * snapshot. Mismatches become lines for the caller, who builds the
 * report; only a failure to read stops the check. Nothing is written,
 * so any txn will do. Also op_adj_nodes_each(), which the caller needs
 * to check the nodes against their rows. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "adj_verify_int.h"

#define LINE_TEXT 512
#define ARROW_TEXT 128 /* "nid 3 -[KNOWS]-> nid 5" */

void op_adj_verify_say(struct adj_vf *v, const char *fmt, ...)
{
	char line[LINE_TEXT];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	v->fn(v->ctx, line);
}

void op_adj_verify_fail(struct adj_vf *v, int rc, const char *what)
{
	if (v->rc == 0)
		v->rc = op_adj_error(rc, what, v->err);
}

const char *op_adj_verify_type(char out[OP_ADJ_NAME_TEXT],
			       const struct adj_vf *v, uint16_t type)
{
	if (type < OP_ADJ_MAX_TYPES && v->types[type].p)
		snprintf(out, OP_ADJ_NAME_TEXT, "%.*s", v->types[type].n,
			 v->types[type].p);
	else
		snprintf(out, OP_ADJ_NAME_TEXT, "type #%u", type);
	return out;
}

const char *op_adj_verify_node(char out[OP_ADJ_NODE_TEXT],
			       struct adj_vf *v, uint32_t nid)
{
	char u[OP_UUID_TEXT];
	uint8_t b[16];

	if (op_adj_node_uuid(v->t, nid, b, NULL) != OUTPOST_OK) {
		snprintf(out, OP_ADJ_NODE_TEXT, "nid %u", nid);
		return out;
	}
	op_uuid_format(u, b);
	snprintf(out, OP_ADJ_NODE_TEXT, "node %s (nid %u)", u, nid);
	return out;
}

int op_adj_verify_walk(struct adj_vf *v, MDB_dbi dbi, const char *what,
		       op_adj_entry_fn fn, void *ctx)
{
	MDB_cursor *c = NULL;
	MDB_val k, d;
	int rc;

	if (v->rc)
		return v->rc;
	rc = mdb_cursor_open(v->t->txn, dbi, &c);
	for (rc = rc ? rc : mdb_cursor_get(c, &k, &d, MDB_FIRST);
	     rc == 0 && v->rc == 0; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT))
		fn(ctx, &k, &d);
	if (c)
		mdb_cursor_close(c);
	if (rc != 0 && rc != MDB_NOTFOUND)
		op_adj_verify_fail(v, rc, what);
	return v->rc;
}

/* "nid 3 -[KNOWS]-> nid 5", or "<-[KNOWS]-" for an incoming entry. */
static const char *arrow(char out[ARROW_TEXT], const struct adj_vf *v,
			 uint32_t nid, uint16_t type, int dir, uint32_t nbr)
{
	char ty[OP_ADJ_NAME_TEXT];

	snprintf(out, ARROW_TEXT, "nid %u %s[%s]%s nid %u", nid,
		 dir == OP_ADJ_IN ? "<-" : "-", op_adj_verify_type(ty, v, type),
		 dir == OP_ADJ_IN ? "-" : "->", nbr);
	return out;
}

/* Type names by id, for the findings: meta holds "type:<name>" -> id. */
static void load_type_names(struct adj_vf *v)
{
	MDB_cursor *c = NULL;
	MDB_val k = {5, (void *)"type:"}, d;
	int rc = mdb_cursor_open(v->t->txn, v->t->adj->meta, &c);

	for (rc = rc ? rc : mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
	     rc == 0 && k.mv_size > 5 && memcmp(k.mv_data, "type:", 5) == 0;
	     rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		uint16_t id;

		if (d.mv_size != sizeof(id))
			continue;
		memcpy(&id, d.mv_data, sizeof(id));
		if (id < OP_ADJ_MAX_TYPES && k.mv_size - 5 < OP_ADJ_NAME_TEXT) {
			v->types[id].p = (const char *)k.mv_data + 5;
			v->types[id].n = (int)(k.mv_size - 5);
		}
	}
	if (c)
		mdb_cursor_close(c);
}

/* ---- nodes: uuid -> nid and nid -> uuid agree ---- */

static void node_entry(void *ctx, const MDB_val *k, const MDB_val *d)
{
	struct adj_vf *v = ctx;
	char u[OP_UUID_TEXT], w[OP_UUID_TEXT];
	uint8_t other[16];
	uint32_t nid;
	int rc;

	if (k->mv_size != 16) {
		op_adj_verify_say(v, "node index: a key of %zu bytes",
				  k->mv_size);
		return;
	}
	op_uuid_format(u, k->mv_data);
	if (d->mv_size < sizeof(nid)) {
		op_adj_verify_say(v, "node %s: its node index entry has %zu "
				  "bytes", u, d->mv_size);
		return;
	}
	memcpy(&nid, d->mv_data, sizeof(nid));
	rc = op_adj_node_uuid(v->t, nid, other, NULL);
	if (rc == OUTPOST_ENOTFOUND)
		op_adj_verify_say(v, "node %s: the node index names nid %u, "
				  "which has no record", u, nid);
	else if (rc == OUTPOST_OK && memcmp(other, k->mv_data, 16) != 0) {
		op_uuid_format(w, other);
		op_adj_verify_say(v, "node %s: the node index names nid %u, "
				  "which is node %s", u, nid, w);
	}
}

static void nid_entry(void *ctx, const MDB_val *k, const MDB_val *d)
{
	struct adj_vf *v = ctx;
	char u[OP_UUID_TEXT];
	uint32_t nid, ix;
	int rc;

	if (k->mv_size != sizeof(nid)) {
		op_adj_verify_say(v, "nid records: a key of %zu bytes",
				  k->mv_size);
		return;
	}
	memcpy(&nid, k->mv_data, sizeof(nid));
	if (d->mv_size < 18) {
		op_adj_verify_say(v, "nid %u: a record of %zu bytes (want 20)",
				  nid, d->mv_size);
		return;
	}
	op_uuid_format(u, d->mv_data);
	/* A nid at or past the counter would be handed out again. */
	if (nid >= v->next_nid)
		op_adj_verify_say(v, "node %s (nid %u): nid not below the nid "
				  "counter (%u)", u, nid, v->next_nid);
	rc = op_adj_node_nid(v->t, d->mv_data, &ix);
	if (rc == OUTPOST_ENOTFOUND)
		op_adj_verify_say(v, "node %s (nid %u): not in the node index",
				  u, nid);
	else if (rc == OUTPOST_OK && ix != nid)
		op_adj_verify_say(v, "node %s (nid %u): the node index names "
				  "nid %u", u, nid, ix);
}

/* ---- edges: each record against what repeats it ---- */

static int has_node(struct adj_vf *v, uint32_t nid)
{
	uint8_t u[16];

	/* A damaged record is there: the nid walk reports the damage. */
	return op_adj_node_uuid(v->t, nid, u, NULL) != OUTPOST_ENOTFOUND;
}

static int has_entry(struct adj_vf *v, uint32_t nid, uint16_t type, int dir,
		     uint32_t nbr, uint32_t eid)
{
	uint64_t key = op_adj_key(nid, type, dir);
	uint64_t val = (uint64_t)nbr << 32 | eid;
	MDB_val k = {sizeof(key), &key}, d = {sizeof(val), &val};
	int rc = mdb_cursor_get(v->probe, &k, &d, MDB_GET_BOTH);

	if (rc != 0 && rc != MDB_NOTFOUND)
		op_adj_verify_fail(v, rc, "adjacency");
	return rc != MDB_NOTFOUND;
}

static void check_edge(struct adj_vf *v, uint32_t eid,
		       const struct op_adj_edge *e)
{
	char u[OP_UUID_TEXT], a[ARROW_TEXT];
	uint32_t ix = 0;
	int rc;

	op_uuid_format(u, e->uuid);
	if (eid >= v->next_eid)
		op_adj_verify_say(v, "edge %s (eid %u): eid not below the eid "
				  "counter (%u)", u, eid, v->next_eid);
	if (!has_node(v, e->from))
		op_adj_verify_say(v, "edge %s (eid %u): its from node, nid %u, "
				  "does not exist", u, eid, e->from);
	if (!has_node(v, e->to))
		op_adj_verify_say(v, "edge %s (eid %u): its to node, nid %u, "
				  "does not exist", u, eid, e->to);
	if (!has_entry(v, e->from, e->type, OP_ADJ_OUT, e->to, eid))
		op_adj_verify_say(v, "edge %s (eid %u): no outgoing adjacency "
				  "entry %s", u, eid, arrow(a, v, e->from,
				  e->type, OP_ADJ_OUT, e->to));
	if (!has_entry(v, e->to, e->type, OP_ADJ_IN, e->from, eid))
		op_adj_verify_say(v, "edge %s (eid %u): no incoming adjacency "
				  "entry %s", u, eid, arrow(a, v, e->to,
				  e->type, OP_ADJ_IN, e->from));
	rc = op_adj_edge_find(v->t, e->uuid, &ix);
	if (rc == OUTPOST_ENOTFOUND)
		op_adj_verify_say(v, "edge %s (eid %u): not in the edge uuid "
				  "index", u, eid);
	else if (rc == OUTPOST_OK && ix != eid)
		op_adj_verify_say(v, "edge %s (eid %u): the edge uuid index "
				  "names eid %u", u, eid, ix);
}

static void edge_entry(void *ctx, const MDB_val *k, const MDB_val *d)
{
	struct adj_vf *v = ctx;
	struct op_adj_edge e;
	uint32_t eid;

	if (k->mv_size != sizeof(eid)) {
		op_adj_verify_say(v, "edge records: a key of %zu bytes",
				  k->mv_size);
		return;
	}
	memcpy(&eid, k->mv_data, sizeof(eid));
	if (d->mv_size < sizeof(e)) {
		op_adj_verify_say(v, "eid %u: an edge record of %zu bytes "
				  "(want %zu)", eid, d->mv_size, sizeof(e));
		return;
	}
	memcpy(&e, d->mv_data, sizeof(e));
	check_edge(v, eid, &e);
}

/* Does edge record e run from nid to nbr (in dir) with type? */
static int runs(const struct op_adj_edge *e, uint32_t nid, uint16_t type,
		int dir, uint32_t nbr)
{
	if (e->type != type)
		return 0;
	return dir == OP_ADJ_OUT ? e->from == nid && e->to == nbr
				 : e->to == nid && e->from == nbr;
}

/* An adjacency entry: its edge has this type, and these ends in this
 * direction. */
static void adj_entry(void *ctx, const MDB_val *k, const MDB_val *d)
{
	struct adj_vf *v = ctx;
	char a[ARROW_TEXT], b[ARROW_TEXT], u[OP_UUID_TEXT];
	struct op_adj_edge e;
	uint64_t key, val;
	int dir, rc;

	if (k->mv_size != sizeof(key) || d->mv_size != sizeof(val)) {
		op_adj_verify_say(v, "adjacency: an entry of %zu + %zu bytes "
				  "(want 8 + 8)", k->mv_size, d->mv_size);
		return;
	}
	memcpy(&key, k->mv_data, sizeof(key));
	memcpy(&val, d->mv_data, sizeof(val));
	dir = (int)(key >> 8 & 0xff);
	if ((key & 0xff) || (dir != OP_ADJ_OUT && dir != OP_ADJ_IN)) {
		op_adj_verify_say(v, "adjacency of nid %u: a malformed key "
				  "%#llx", (uint32_t)(key >> 32),
				  (unsigned long long)key);
		return;
	}
	arrow(a, v, (uint32_t)(key >> 32), (uint16_t)(key >> 16), dir,
	      (uint32_t)(val >> 32));
	rc = op_adj_edge_get(v->t, (uint32_t)val, &e);
	if (rc != OUTPOST_OK)
		op_adj_verify_say(v, "adjacency entry %s (eid %u): %s", a,
				  (uint32_t)val, rc == OUTPOST_ENOTFOUND
				  ? "no such edge record"
				  : "its edge record is damaged");
	else if (!runs(&e, (uint32_t)(key >> 32), (uint16_t)(key >> 16), dir,
		       (uint32_t)(val >> 32))) {
		op_uuid_format(u, e.uuid);
		op_adj_verify_say(v, "adjacency entry %s (eid %u): edge %s is "
				  "%s", a, (uint32_t)val, u, arrow(b, v,
				  e.from, e.type, OP_ADJ_OUT, e.to));
	}
}

static void euuid_entry(void *ctx, const MDB_val *k, const MDB_val *d)
{
	struct adj_vf *v = ctx;
	char u[OP_UUID_TEXT], w[OP_UUID_TEXT];
	struct op_adj_edge e;
	uint32_t eid;
	int rc;

	if (k->mv_size != 16) {
		op_adj_verify_say(v, "edge uuid index: a key of %zu bytes",
				  k->mv_size);
		return;
	}
	op_uuid_format(u, k->mv_data);
	if (d->mv_size < sizeof(eid)) {
		op_adj_verify_say(v, "edge %s: its edge uuid index entry has "
				  "%zu bytes", u, d->mv_size);
		return;
	}
	memcpy(&eid, d->mv_data, sizeof(eid));
	rc = op_adj_edge_get(v->t, eid, &e);
	if (rc == OUTPOST_ENOTFOUND)
		op_adj_verify_say(v, "edge %s: the edge uuid index names eid "
				  "%u, which has no record", u, eid);
	else if (rc == OUTPOST_OK && memcmp(e.uuid, k->mv_data, 16) != 0) {
		op_uuid_format(w, e.uuid);
		op_adj_verify_say(v, "edge %s: the edge uuid index names eid "
				  "%u, which is edge %s", u, eid, w);
	}
}

static void props_entry(void *ctx, const MDB_val *k, const MDB_val *d)
{
	struct adj_vf *v = ctx;
	struct op_adj_edge e;
	uint32_t eid;

	(void)d;
	if (k->mv_size != sizeof(eid)) {
		op_adj_verify_say(v, "edge properties: a key of %zu bytes",
				  k->mv_size);
		return;
	}
	memcpy(&eid, k->mv_data, sizeof(eid));
	if (op_adj_edge_get(v->t, eid, &e) == OUTPOST_ENOTFOUND)
		op_adj_verify_say(v, "eid %u: properties, but no edge record",
				  eid);
}

/* The record walks, in an order where each names what the next relies
 * on (nodes before the edges that name them). */
static void check_records(struct adj_vf *v)
{
	struct op_adj *a = v->t->adj;

	if (!op_adj_verify_walk(v, a->nodes, "node index", node_entry, v) &&
	    !op_adj_verify_walk(v, a->nids, "nid records", nid_entry, v) &&
	    !op_adj_verify_walk(v, a->edges, "edge records", edge_entry, v) &&
	    !op_adj_verify_walk(v, a->adj, "adjacency", adj_entry, v) &&
	    !op_adj_verify_walk(v, a->euuid, "edge uuid index", euuid_entry,
				v))
		op_adj_verify_walk(v, a->eprops, "edge properties",
				   props_entry, v);
}

int op_adj_verify(struct op_adj_txn *t, op_adj_verify_fn fn, void *ctx,
		  struct op_err *err)
{
	struct adj_vf *v = op_calloc(1, sizeof(*v));
	int rc;

	if (!v)
		return op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	v->t = t;
	v->fn = fn;
	v->ctx = ctx;
	v->err = err;
	rc = op_adj_count(t, "nid", &v->next_nid, err);
	if (rc == OUTPOST_OK)
		rc = op_adj_count(t, "eid", &v->next_eid, err);
	if (rc == OUTPOST_OK && (rc = mdb_cursor_open(t->txn, t->adj->adj,
						      &v->probe)) != 0)
		rc = op_adj_error(rc, "adjacency", err);
	if (rc == OUTPOST_OK) {
		load_type_names(v);
		check_records(v);
		if (v->rc == OUTPOST_OK)
			op_adj_verify_csr(v);
		rc = v->rc;
	}
	if (v->probe)
		mdb_cursor_close(v->probe);
	op_free(v);
	return rc;
}

int op_adj_nodes_each(struct op_adj_txn *t, op_adj_node_fn fn, void *ctx,
		      struct op_err *err)
{
	MDB_cursor *c = NULL;
	MDB_val k, d;
	int rc = mdb_cursor_open(t->txn, t->adj->nids, &c), stop = 0;

	for (rc = rc ? rc : mdb_cursor_get(c, &k, &d, MDB_FIRST);
	     rc == 0 && !stop; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
		uint32_t nid;
		uint16_t label;

		if (k.mv_size != sizeof(nid) || d.mv_size < 18)
			continue;
		memcpy(&nid, k.mv_data, sizeof(nid));
		memcpy(&label, (const uint8_t *)d.mv_data + 16, sizeof(label));
		stop = fn(ctx, nid, d.mv_data, label);
	}
	if (c)
		mdb_cursor_close(c);
	if (stop < 0)
		return stop;
	if (rc == 0 || rc == MDB_NOTFOUND)
		return OUTPOST_OK;
	return op_adj_error(rc, "nid records", err);
}
