/* api_graph_lww.c - one edge entry of the change log applied to the graph
 * by last-writer-wins (sync/PROTOCOL.md "LWW merge", edges): the edge is
 * the row, and valid_from, valid_to and each property (props.<name>) are
 * its columns, each with the clock of its last update. The clocks live
 * beside the edges (adj_clock.c).
 *
 * - I wins if it is newer than the edge's own clock: the edge is (re)made
 *   from it, except fields updated later than it, which keep their value.
 * - U applies to a live edge, field by field, where it is newer than both
 *   the field's clock and the edge's own (an update made before a newer
 *   insert belongs to the edge as it was).
 * - D wins if it is newer than the edge's own clock, and leaves that clock
 *   behind as a tombstone: an older I arriving later does not resurrect
 *   the edge.
 * A local write carries the newest clock, so it always applies (a single
 * store behaves as before). An equal clock is the same entry: applying
 * an entry twice changes nothing, which replaying the log relies on. */
#include <stdio.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "api_graph_int.h"

struct lww {
	outpost *db;
	struct op_adj_txn *t;
	const struct op_reltype *r;
	const char *row_id;
	uint8_t u[16];
	struct op_adj_clock c;	 /* the entry's */
	struct op_adj_clock row; /* the edge's own */
	int have_row;
	struct op_adj_edge e; /* the record, when alive */
	uint32_t eid;
	int alive;
	cJSON *vals; /* the entry's values (I, U) */
	cJSON *eff;  /* what of them took effect */
	int took;
};

static int bad_entry(outpost *db, const char *row_id, const char *why)
{
	char shown[64];

	op_show(shown, sizeof(shown), row_id);
	return op_err_set(&db->err, OUTPOST_ECORRUPT, "change log: edge "
			  "\"%s\": %s", shown, why);
}

static int no_memory(outpost *db)
{
	return op_err_set(&db->err, OUTPOST_ENOMEM, "out of memory");
}

/* A timestamp field: absent leaves *ms, null is unbounded (dflt). */
static int time_field(const cJSON *o, const char *name, int64_t dflt,
		      int64_t *ms)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!v)
		return 0;
	if (cJSON_IsNull(v)) {
		*ms = dflt;
		return 0;
	}
	return cJSON_IsString(v) ? op_time_parse(ms, v->valuestring) : -1;
}

/* -1: not a uuid; 1: no such node; 0: *nid set. */
static int end_nid(struct op_adj_txn *t, const cJSON *o, const char *name,
		   uint32_t *nid)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	uint8_t u[16];

	if (!cJSON_IsString(v) || op_uuid_parse(u, v->valuestring) != 0)
		return -1;
	return op_adj_node_nid(t, u, nid) == OUTPOST_OK ? 0 : 1;
}

/* 1 if field's clock is not older than the entry's: the entry loses it. */
static int field_newer(struct lww *w, const char *field)
{
	struct op_adj_clock fc;

	return op_adj_clock_get(w->t, w->u, field, &fc) == OUTPOST_OK &&
	       op_adj_clock_cmp(&fc, &w->c) >= 0;
}

static int prop_field(char *out, size_t n, const char *prop)
{
	int len = snprintf(out, n, "props.%s", prop);

	return len > 0 && (size_t)len < n ? 0 : -1;
}

/* The edge's stored properties as an object (empty if none). */
static cJSON *stored_props(struct lww *w)
{
	const char *text = NULL;
	size_t n = 0;
	cJSON *o = NULL;

	if (w->alive && op_adj_edge_props(w->t, w->eid, &text, &n) ==
				OUTPOST_OK &&
	    text)
		o = cJSON_ParseWithLength(text, n);
	if (o && !cJSON_IsObject(o)) {
		cJSON_Delete(o);
		o = NULL;
	}
	return o ? o : cJSON_CreateObject();
}

/* obj[key] = a copy of v, or no key if v is NULL. 0, or -1 (memory). */
static int set_item(cJSON *obj, const char *key, const cJSON *v)
{
	cJSON *copy;

	cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
	if (!v)
		return 0;
	copy = cJSON_Duplicate(v, 1);
	if (!copy || !cJSON_AddItemToObject(obj, key, copy)) {
		cJSON_Delete(copy);
		return -1;
	}
	return 0;
}

static int declared(const struct op_reltype *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nprops; i++)
		if (strcmp(r->props[i].name, name) == 0)
			return 1;
	return 0;
}

struct cJSON *op_api_graph_props_ordered(const struct op_reltype *r,
					 const struct cJSON *props)
{
	cJSON *o = cJSON_CreateObject();
	const cJSON *p;
	size_t i;
	int ok = o != NULL;

	for (i = 0; ok && i < r->nprops; i++)
		ok = set_item(o, r->props[i].name,
			      cJSON_GetObjectItemCaseSensitive(
				      props, r->props[i].name)) == 0;
	cJSON_ArrayForEach(p, props)
	{
		if (ok && !declared(r, p->string))
			ok = set_item(o, p->string, p) == 0;
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

/* The stored text must not depend on the order updates arrived in. */
static char *print_props(const struct op_reltype *r, const cJSON *props)
{
	cJSON *o = op_api_graph_props_ordered(r, props);
	char *text = o ? op_schema_json_print(o) : NULL;

	cJSON_Delete(o);
	return text;
}

static int put_edge(struct lww *w, const struct op_adj_edge *e,
		    const cJSON *props)
{
	char *text = NULL;
	int rc;

	if (props && props->child && !(text = print_props(w->r, props)))
		return no_memory(w->db);
	rc = op_adj_edge_put(w->t, e, text, text ? strlen(text) : 0, NULL,
			     &w->db->err);
	op_free(text);
	return rc;
}

/* An insert over a live edge: fields updated after the insert keep the
 * edge's value (in n and np), and drop out of what took effect. */
static int keep_newer(struct lww *w, struct op_adj_edge *n, cJSON *np)
{
	cJSON *stored, *eff_props;
	char field[OP_ADJ_FIELD_MAX];
	size_t i;
	int rc = 0;

	if (field_newer(w, "valid_from")) {
		n->valid_from = w->e.valid_from;
		cJSON_DeleteItemFromObjectCaseSensitive(w->eff, "valid_from");
	}
	if (field_newer(w, "valid_to")) {
		n->valid_to = w->e.valid_to;
		cJSON_DeleteItemFromObjectCaseSensitive(w->eff, "valid_to");
	}
	if (!(stored = stored_props(w)))
		return -1;
	eff_props = cJSON_GetObjectItemCaseSensitive(w->eff, "props");
	for (i = 0; rc == 0 && i < w->r->nprops; i++) {
		const char *p = w->r->props[i].name;

		if (prop_field(field, sizeof(field), p) != 0 ||
		    !field_newer(w, field))
			continue;
		rc = set_item(np, p, cJSON_GetObjectItemCaseSensitive(stored,
								      p));
		if (cJSON_IsObject(eff_props))
			cJSON_DeleteItemFromObjectCaseSensitive(eff_props, p);
	}
	cJSON_Delete(stored);
	return rc;
}

static int lww_insert(struct lww *w)
{
	struct op_adj_edge n;
	const cJSON *props;
	cJSON *np = NULL;
	int a, b, rc;

	if (w->have_row && op_adj_clock_cmp(&w->row, &w->c) >= 0)
		return OUTPOST_OK;
	memset(&n, 0, sizeof(n)); /* padding too: the record goes to disk */
	a = end_nid(w->t, w->vals, "from", &n.from);
	b = end_nid(w->t, w->vals, "to", &n.to);
	if (a < 0 || b < 0)
		return bad_entry(w->db, w->row_id, "\"from\" or \"to\" is not "
				 "a uuid");
	if (a > 0 || b > 0)
		return OUTPOST_OK; /* an end was deleted: the edge went too */
	memcpy(n.uuid, w->u, 16);
	n.valid_from = INT64_MIN;
	n.valid_to = INT64_MAX;
	if (time_field(w->vals, "valid_from", INT64_MIN, &n.valid_from) ||
	    time_field(w->vals, "valid_to", INT64_MAX, &n.valid_to))
		return bad_entry(w->db, w->row_id, "a validity bound is not a "
				 "timestamp");
	props = cJSON_GetObjectItemCaseSensitive(w->vals, "props");
	if (props && !cJSON_IsObject(props) && !cJSON_IsNull(props))
		return bad_entry(w->db, w->row_id, "\"props\" is not an object");
	rc = op_adj_name_id(w->t, "type", w->r->name, 1, &n.type, &w->db->err);
	if (rc != OUTPOST_OK)
		return rc;
	w->eff = cJSON_Duplicate(w->vals, 1);
	np = cJSON_IsObject(props) ? cJSON_Duplicate(props, 1)
				   : cJSON_CreateObject();
	if (!w->eff || !np || (w->alive && keep_newer(w, &n, np) != 0)) {
		cJSON_Delete(np);
		return no_memory(w->db);
	}
	/* Field clocks older than the insert say nothing any more; on an
	 * edge that was gone, none of them does. */
	rc = op_adj_clock_drop(w->t, w->u, w->alive ? &w->c : NULL,
			       &w->db->err);
	n.hlc = w->c.hlc;
	if (rc == OUTPOST_OK)
		rc = put_edge(w, &n, np);
	if (rc == OUTPOST_OK)
		rc = op_adj_clock_put(w->t, w->u, NULL, &w->c, &w->db->err);
	w->took = rc == OUTPOST_OK;
	cJSON_Delete(np);
	return rc;
}

/* One validity bound of an update, if it wins. */
static int update_bound(struct lww *w, const char *name, int64_t dflt,
			int64_t *ms, int *any)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(w->vals, name);

	if (!v || field_newer(w, name))
		return OUTPOST_OK;
	if (time_field(w->vals, name, dflt, ms))
		return bad_entry(w->db, w->row_id, "a validity bound is not a "
				 "timestamp");
	if (set_item(w->eff, name, v) != 0)
		return no_memory(w->db);
	*any = 1;
	return op_adj_clock_put(w->t, w->u, name, &w->c, &w->db->err);
}

/* The properties of an update that win, merged into stored. */
static int update_props(struct lww *w, cJSON *stored, int *any)
{
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(w->vals, "props");
	const cJSON *p;
	cJSON *eff;
	char field[OP_ADJ_FIELD_MAX];
	int rc = OUTPOST_OK;

	if (!props || cJSON_IsNull(props))
		return OUTPOST_OK;
	if (!cJSON_IsObject(props))
		return bad_entry(w->db, w->row_id, "\"props\" is not an object");
	if (!(eff = cJSON_AddObjectToObject(w->eff, "props")))
		return no_memory(w->db);
	cJSON_ArrayForEach(p, props)
	{
		if (prop_field(field, sizeof(field), p->string) != 0)
			return bad_entry(w->db, w->row_id, "a property name "
					 "is too long");
		if (field_newer(w, field))
			continue;
		if (set_item(stored, p->string, cJSON_IsNull(p) ? NULL : p) ||
		    set_item(eff, p->string, p))
			return no_memory(w->db);
		rc = op_adj_clock_put(w->t, w->u, field, &w->c, &w->db->err);
		if (rc != OUTPOST_OK)
			return rc;
		*any = 1;
	}
	if (!eff->child)
		cJSON_DeleteItemFromObjectCaseSensitive(w->eff, "props");
	return rc;
}

static int lww_update(struct lww *w)
{
	struct op_adj_edge n = w->e;
	cJSON *stored;
	int any = 0, rc;

	if (!w->alive ||
	    (w->have_row && op_adj_clock_cmp(&w->row, &w->c) >= 0))
		return OUTPOST_OK; /* gone, or older than its insert */
	if (!(w->eff = cJSON_CreateObject()) || !(stored = stored_props(w)))
		return no_memory(w->db);
	rc = update_bound(w, "valid_from", INT64_MIN, &n.valid_from, &any);
	if (rc == OUTPOST_OK)
		rc = update_bound(w, "valid_to", INT64_MAX, &n.valid_to, &any);
	if (rc == OUTPOST_OK)
		rc = update_props(w, stored, &any);
	if (rc == OUTPOST_OK && any) {
		if (w->c.hlc > n.hlc)
			n.hlc = w->c.hlc;
		rc = put_edge(w, &n, stored);
		w->took = rc == OUTPOST_OK;
	}
	cJSON_Delete(stored);
	return rc;
}

static int lww_delete(struct lww *w)
{
	struct op_adj_clock dead = w->c;
	int rc = OUTPOST_OK;

	if (w->have_row && op_adj_clock_cmp(&w->row, &w->c) >= 0)
		return OUTPOST_OK;
	if (w->alive)
		rc = op_adj_edge_del(w->t, w->u, &w->db->err);
	if (rc == OUTPOST_OK)
		rc = op_adj_clock_drop(w->t, w->u, NULL, &w->db->err);
	dead.dead = 1;
	if (rc == OUTPOST_OK)
		rc = op_adj_clock_put(w->t, w->u, NULL, &dead, &w->db->err);
	w->took = rc == OUTPOST_OK;
	return rc;
}

/* The edge's state before the entry: record and own clock. */
static int load(struct lww *w)
{
	int rc;

	w->alive = op_adj_edge_find(w->t, w->u, &w->eid) == OUTPOST_OK &&
		   op_adj_edge_get(w->t, w->eid, &w->e) == OUTPOST_OK;
	rc = op_adj_clock_get(w->t, w->u, NULL, &w->row);
	if (rc == OUTPOST_OK) {
		w->have_row = 1;
	} else if (rc == OUTPOST_ENOTFOUND) {
		/* No clock kept (older store, bulk import): the record's. */
		w->have_row = w->alive;
		w->row.hlc = w->e.hlc;
	} else {
		return bad_entry(w->db, w->row_id, "its clock is unreadable");
	}
	return OUTPOST_OK;
}

static int effect(struct lww *w, char op, char **eff)
{
	char *text;

	if (!eff || !w->took || op == 'D' || !w->eff)
		return OUTPOST_OK;
	if (!(text = op_schema_json_print(w->eff)))
		return no_memory(w->db);
	*eff = op_strdup(text);
	op_free(text);
	return *eff ? OUTPOST_OK : no_memory(w->db);
}

int op_api_graph_apply_edge(outpost *db, struct op_adj_txn *t,
			    const struct op_reltype *r, char op,
			    const char *row_id, const char *vals,
			    uint64_t hlc, const uint8_t site[16], int *took,
			    char **eff)
{
	struct lww w;
	int rc;

	memset(&w, 0, sizeof(w));
	w.db = db;
	w.t = t;
	w.r = r;
	w.row_id = row_id;
	w.c.hlc = hlc;
	memcpy(w.c.site, site, 16);
	if (took)
		*took = 0;
	if (eff)
		*eff = NULL;
	if (op_uuid_parse(w.u, row_id) != 0)
		return bad_entry(db, row_id, "not a uuid");
	rc = load(&w);
	if (rc == OUTPOST_OK && op == 'D')
		rc = lww_delete(&w);
	else if (rc == OUTPOST_OK) {
		w.vals = vals ? cJSON_Parse(vals) : NULL;
		if (!cJSON_IsObject(w.vals))
			rc = bad_entry(db, row_id, "its values are not a JSON "
				       "object");
		else if (op == 'I')
			rc = lww_insert(&w);
		else if (op == 'U')
			rc = lww_update(&w);
		else
			rc = bad_entry(db, row_id, "its op is not I, U or D");
	}
	if (rc == OUTPOST_OK)
		rc = effect(&w, op, eff);
	if (rc == OUTPOST_OK && took)
		*took = w.took;
	cJSON_Delete(w.vals);
	cJSON_Delete(w.eff);
	return rc;
}
