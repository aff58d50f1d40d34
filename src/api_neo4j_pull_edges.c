/* api_neo4j_pull_edges.c - one relationship type of a pull from Neo4j:
 * its edges made like the snapshot, each change logged and applied to
 * the graph as a single edge write is (api_graph_write.c), inside the
 * pull's one SQLite transaction and LMDB write txn, except where a
 * local change not yet pushed to Neo4j wins (field by field;
 * api_neo4j_pull_rule.c). An edge keeps the
 * uuid Neo4j has. Deletes go first (phase 0), before the node rows
 * change; inserts and updates after the node entries reached the graph
 * (phase 1). An edge whose ends differ in Neo4j is deleted and
 * inserted again (its ends do not move). Declared properties and, for
 * types with validity, valid_from/valid_to are taken. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_neo4j_pull_int.h"
#include "graph.h"

/* A local edge of the type. */
struct ledge {
	char uuid[OP_UUID_TEXT], from[OP_UUID_TEXT], to[OP_UUID_TEXT];
	int64_t vf, vt;
	cJSON *props;
};

struct lset {
	outpost *db;
	struct op_adj_txn *t;
	int type;
	struct ledge *v;
	size_t n, cap;
};

static int collect(void *ctx, uint32_t eid, const struct op_adj_edge *e)
{
	struct lset *l = ctx;
	struct ledge *x;
	const char *props = NULL;
	uint8_t u[16];
	size_t n = 0;

	if (e->type != l->type)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		void *v = op_realloc(l->v, cap * sizeof(*l->v));

		if (!v)
			return OUTPOST_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	x = &l->v[l->n];
	memset(x, 0, sizeof(*x));
	op_uuid_format(x->uuid, e->uuid);
	if (op_adj_node_uuid(l->t, e->from, u, NULL) != OUTPOST_OK)
		return OUTPOST_ECORRUPT;
	op_uuid_format(x->from, u);
	if (op_adj_node_uuid(l->t, e->to, u, NULL) != OUTPOST_OK)
		return OUTPOST_ECORRUPT;
	op_uuid_format(x->to, u);
	x->vf = e->valid_from;
	x->vt = e->valid_to;
	if (op_adj_edge_props(l->t, eid, &props, &n) == OUTPOST_OK && props)
		x->props = cJSON_ParseWithLength(props, n);
	l->n++;
	return 0;
}

static void lset_free(struct lset *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		cJSON_Delete(l->v[i].props);
	op_free(l->v);
}

static int ledge_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ledge *)a)->uuid,
		      ((const struct ledge *)b)->uuid);
}

/* The local edge of that uuid (l sorted by uuid once collected: a pull
 * of a large graph looks up every relationship of the snapshot). */
static const struct ledge *lfind(const struct lset *l, const char *uuid)
{
	struct ledge key;
	size_t n = strlen(uuid);

	if (n >= sizeof(key.uuid))
		return NULL;
	memcpy(key.uuid, uuid, n + 1);
	return l->n ? bsearch(&key, l->v, l->n, sizeof(*l->v), ledge_cmp)
		    : NULL;
}

/* Log one change of type r and apply it to the graph. */
static int write(struct pull *p, const struct op_reltype *r, char op,
		 const char *uuid, const char *vals)
{
	int64_t seq = 0;
	uint64_t hlc = 0;
	int rc = op_log_append(p->db->rel, 0, r->name, op, uuid, vals, &seq,
			       &hlc, &p->db->err);

	if (rc == OUTPOST_OK)
		rc = op_api_graph_apply_edge(p->db, p->t, r, op, uuid, vals,
					     hlc, p->db->site, NULL, NULL);
	if (rc == OUTPOST_OK)
		rc = op_adj_set_applied_seq(p->t, seq, &p->db->err);
	return rc;
}

static int bad(struct pull *p, const struct op_reltype *r, const char *uuid,
	       const char *prop, const char *why)
{
	return op_err_set(&p->db->err, OUTPOST_EREFUSED, "neo4j: %s %s: "
			  "property %s: %s; nothing was pulled", r->name,
			  uuid, prop, why);
}

/* A validity bound of item it: INT64_MIN/MAX when absent. */
static int bound(struct pull *p, const struct op_reltype *r,
		 const struct op_neo4j_pull_item *it, const char *key,
		 int64_t none, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(it->props, key);

	*out = none;
	if (!r->validity || !v || cJSON_IsNull(v))
		return OUTPOST_OK;
	if (!cJSON_IsString(v) || op_time_parse(out, v->valuestring) != 0)
		return bad(p, r, it->uuid, key, "not a timestamp");
	return OUTPOST_OK;
}

/* The item's declared properties as the graph keeps them (*out: NULL
 * when it has none). */
static int props_of(struct pull *p, const struct op_reltype *r,
		    const struct op_neo4j_pull_item *it, cJSON **out)
{
	cJSON *o = cJSON_CreateObject();
	size_t i;

	*out = NULL;
	for (i = 0; o && i < r->nprops; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(
			it->props, r->props[i].name);
		cJSON *c = NULL;

		if (!v || cJSON_IsNull(v))
			continue;
		if (cJSON_IsString(v) && r->props[i].type == OP_T_INTEGER)
			c = cJSON_CreateRaw(v->valuestring); /* > 2^53 */
		else if (cJSON_IsString(v) && r->props[i].type == OP_T_JSON)
			c = cJSON_Parse(v->valuestring);
		if (!c)
			c = cJSON_Duplicate(v, 1);
		if (c && !cJSON_IsRaw(c) &&
		    !op_schema_json_fits(c, r->props[i].type)) {
			cJSON_Delete(c);
			cJSON_Delete(o);
			return bad(p, r, it->uuid, r->props[i].name,
				   "a value of another type");
		}
		if (!c || !cJSON_AddItemToObject(o, r->props[i].name, c)) {
			cJSON_Delete(c);
			cJSON_Delete(o);
			o = NULL;
		}
	}
	if (!o)
		return op_err_set(&p->db->err, OUTPOST_ENOMEM, "out of memory");
	if (!o->child)
		cJSON_Delete(o);
	else
		*out = o;
	return OUTPOST_OK;
}

static int add_bound(cJSON *vals, const char *key, int64_t ms, int64_t none)
{
	char text[OP_TIME_TEXT];

	if (ms == none)
		return cJSON_AddNullToObject(vals, key) != NULL;
	op_time_format(text, ms);
	return cJSON_AddStringToObject(vals, key, text) != NULL;
}

static int emit(struct pull *p, const struct op_reltype *r, char op,
		const char *uuid, cJSON *vals)
{
	char *json = op_schema_json_print(vals);
	int rc = json ? write(p, r, op, uuid, json)
		      : op_err_set(&p->db->err, OUTPOST_ENOMEM,
				   "out of memory");

	op_free(json);
	return rc;
}

static int insert(struct pull *p, const struct op_reltype *r,
		  const struct op_neo4j_pull_item *it, int64_t vf,
		  int64_t vt, cJSON *props)
{
	cJSON *vals = cJSON_CreateObject();
	uint32_t nid;
	int rc = OUTPOST_OK;

	if (!it->from || !it->to)
		rc = op_err_set(&p->db->err, OUTPOST_EREFUSED, "neo4j: %s %s: "
				"an end node has no uuid (pull its label too)",
				r->name, it->uuid);
	if (rc == OUTPOST_OK)
		rc = op_api_graph_resolve(p->db, p->t, p->s, r->from, it->from,
					  &nid);
	if (rc == OUTPOST_OK)
		rc = op_api_graph_resolve(p->db, p->t, p->s, r->to, it->to,
					  &nid);
	if (rc == OUTPOST_OK &&
	    (!vals || !cJSON_AddStringToObject(vals, "from", it->from) ||
	     !cJSON_AddStringToObject(vals, "to", it->to) ||
	     (r->validity && (!add_bound(vals, "valid_from", vf, INT64_MIN) ||
			      !add_bound(vals, "valid_to", vt, INT64_MAX)))))
		rc = op_err_set(&p->db->err, OUTPOST_ENOMEM, "out of memory");
	if (rc == OUTPOST_OK && props)
		cJSON_AddItemToObject(vals, "props", cJSON_Duplicate(props, 1));
	if (rc == OUTPOST_OK)
		rc = emit(p, r, 'I', it->uuid, vals);
	cJSON_Delete(vals);
	return rc;
}

/* Whether field k differs (differ) and the snapshot's value is taken:
 * not when a local change not yet pushed wins (*kept set). */
static int takes(const struct pend *d, const struct op_neo4j_pull_item *it,
		 const char *k, int differ, int *kept)
{
	if (!differ)
		return 0;
	if (op_api_neo4j_pull_local_col(d, it, k)) {
		*kept = 1;
		return 0;
	}
	return 1;
}

/* The fields of l that it changes, as an update's vals; *changed, and
 * *kept when a local change not yet pushed (d) stays. */
static int update(struct pull *p, const struct op_reltype *r,
		  const struct ledge *l, const struct op_neo4j_pull_item *it,
		  int64_t vf, int64_t vt, const cJSON *props, int *changed,
		  int *kept)
{
	const struct pend *d = op_api_neo4j_pull_pend(p, r->name, it->uuid);
	cJSON *vals = cJSON_CreateObject(), *pv = cJSON_CreateObject();
	size_t i;
	int rc = vals && pv ? OUTPOST_OK : OUTPOST_ENOMEM;

	*changed = 0;
	*kept = 0;
	for (i = 0; rc == OUTPOST_OK && i < r->nprops; i++) {
		const char *k = r->props[i].name;
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(l->props, k);
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(props, k);

		if (a && cJSON_IsNull(a))
			a = NULL;
		if (!takes(d, it, k,
			   !((!a && !b) || (a && b && cJSON_Compare(a, b, 1))),
			   kept))
			continue;
		if (!cJSON_AddItemToObject(pv, k, b ? cJSON_Duplicate(b, 1)
						    : cJSON_CreateNull()))
			rc = OUTPOST_ENOMEM;
	}
	if (rc == OUTPOST_OK && pv->child) {
		cJSON_AddItemToObject(vals, "props", pv);
		pv = NULL;
	}
	if (rc == OUTPOST_OK && takes(d, it, "valid_from", l->vf != vf, kept) &&
	    !add_bound(vals, "valid_from", vf, INT64_MIN))
		rc = OUTPOST_ENOMEM;
	if (rc == OUTPOST_OK && takes(d, it, "valid_to", l->vt != vt, kept) &&
	    !add_bound(vals, "valid_to", vt, INT64_MAX))
		rc = OUTPOST_ENOMEM;
	if (rc == OUTPOST_ENOMEM)
		op_err_set(&p->db->err, rc, "out of memory");
	if (rc == OUTPOST_OK && vals->child) {
		*changed = 1;
		rc = emit(p, r, 'U', it->uuid, vals);
	}
	cJSON_Delete(pv);
	cJSON_Delete(vals);
	return rc;
}

static void undeclared(struct pull *p, const struct op_reltype *r,
		       const struct op_neo4j_pull_item *it)
{
	const cJSON *v;
	size_t i;

	cJSON_ArrayForEach(v, it->props)
	{
		for (i = 0; i < r->nprops; i++)
			if (!strcmp(r->props[i].name, v->string))
				break;
		if (i == r->nprops &&
		    !(r->validity && (!strcmp(v->string, "valid_from") ||
				      !strcmp(v->string, "valid_to"))))
			op_api_neo4j_pull_skip(p, r->name, it->uuid, v->string);
	}
}

static int same_ends(const struct ledge *l, const struct op_neo4j_pull_item *it)
{
	return it->from && it->to && !strcmp(l->from, it->from) &&
	       !strcmp(l->to, it->to);
}

/* Whether end uuid (of label) is not in the store because of a delete
 * not yet pushed: that delete takes the relationship with it in Neo4j
 * too (DETACH DELETE), so it is not brought back here. */
static int end_deleted(struct pull *p, const char *label, const char *uuid)
{
	const struct pend *d;
	uint8_t u[16];
	uint32_t nid;

	if (!uuid || op_uuid_parse(u, uuid) != 0 ||
	    op_adj_node_nid(p->t, u, &nid) == OUTPOST_OK)
		return 0;
	d = op_api_neo4j_pull_pend(p, label, uuid);
	return d && d->op == 'D';
}

/* Whether a relationship the store lacks stays out: deleted here and
 * not yet pushed (newer than Neo4j's), or an end deleted so. */
static int stays_out(struct pull *p, const struct op_reltype *r,
		     const struct op_neo4j_pull_item *it)
{
	return op_api_neo4j_pull_local_delete(
		       op_api_neo4j_pull_pend(p, r->name, it->uuid), it) ||
	       end_deleted(p, r->from, it->from) ||
	       end_deleted(p, r->to, it->to);
}

/* Phase 1 for one item of the snapshot. */
static int take(struct pull *p, const struct op_reltype *r,
		const struct lset *l, const struct op_neo4j_pull_item *it)
{
	const struct ledge *x = lfind(l, it->uuid);
	cJSON *props = NULL;
	int64_t vf, vt;
	int changed = 0, kept = 0;
	int rc = bound(p, r, it, "valid_from", INT64_MIN, &vf);

	if (rc == OUTPOST_OK)
		rc = bound(p, r, it, "valid_to", INT64_MAX, &vt);
	if (rc == OUTPOST_OK)
		rc = props_of(p, r, it, &props);
	if (rc == OUTPOST_OK && x && same_ends(x, it)) {
		rc = update(p, r, x, it, vf, vt, props, &changed, &kept);
		p->res->rels_changed += changed;
		p->res->kept += kept;
	} else if (rc == OUTPOST_OK && !x && stays_out(p, r, it)) {
		p->res->kept++;
	} else if (rc == OUTPOST_OK) {
		uint8_t u[16];
		uint32_t eid;

		op_uuid_parse(u, it->uuid);
		if (!x && op_adj_edge_find(p->t, u, &eid) == OUTPOST_OK)
			rc = op_err_set(&p->db->err, OUTPOST_EREFUSED, "neo4j: "
					"%s %s: the uuid names a local edge of "
					"another type", r->name, it->uuid);
		if (rc == OUTPOST_OK)
			rc = insert(p, r, it, vf, vt, props);
		if (x)
			p->res->rels_changed++;
		else
			p->res->rels_new++;
	}
	if (rc == OUTPOST_OK)
		undeclared(p, r, it);
	cJSON_Delete(props);
	return rc;
}

static int check_acyclic(struct pull *p, const struct op_reltype *r,
			 uint16_t type)
{
	uint32_t *cycle = NULL;
	size_t n = 0;
	int rc = op_graph_find_cycle(p->t, type, &cycle, &n, &p->db->err);

	if (rc == OUTPOST_OK && cycle)
		rc = op_err_set(&p->db->err, OUTPOST_EREFUSED, "neo4j: %s is "
				"acyclic, and the pulled relationships close a "
				"cycle of %zu nodes; nothing was pulled",
				r->name, n);
	op_free(cycle);
	return rc;
}

int op_api_neo4j_pull_edges(struct pull *p, size_t i, int phase)
{
	const struct op_reltype *r = p->types[i];
	const struct op_neo4j_pull_set *set = &p->esets[i];
	struct lset l;
	uint16_t type;
	size_t k;
	int rc;

	memset(&l, 0, sizeof(l));
	l.db = p->db;
	l.t = p->t;
	rc = op_adj_name_id(p->t, "type", r->name, 1, &type, &p->db->err);
	l.type = type;
	if (rc == OUTPOST_OK)
		rc = op_adj_edges_each(p->t, collect, &l, &p->db->err);
	if (rc == OUTPOST_OK && l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), ledge_cmp);
	if (rc == OUTPOST_ECORRUPT)
		op_err_set(&p->db->err, rc, "graph store: an edge names a node "
			   "that is not there (run outpost graph verify)");
	for (k = 0; rc == OUTPOST_OK && phase == 0 && k < l.n; k++) {
		const struct op_neo4j_pull_item *it =
			op_api_neo4j_pull_find(set, l.v[k].uuid);

		if (it && same_ends(&l.v[k], it))
			continue;
		/* inserted here, not yet pushed (an edge's ends never
		 * move: ones that differ in Neo4j are Neo4j's) */
		if (!it && op_api_neo4j_pull_local_insert(
				   p, op_api_neo4j_pull_pend(p, r->name,
							     l.v[k].uuid),
				   l.v[k].uuid)) {
			p->res->kept++;
			continue;
		}
		rc = write(p, r, 'D', l.v[k].uuid, NULL);
		if (!it) {
			p->res->rels_removed++;
		} else { /* inserted again in phase 1, counted new there */
			p->res->rels_changed++;
			p->res->rels_new--;
		}
	}
	for (k = 0; rc == OUTPOST_OK && phase == 1 && k < set->n; k++)
		rc = take(p, r, &l, &set->v[k]);
	if (rc == OUTPOST_OK && phase == 1) {
		p->res->rels += (long long)set->n;
		if (r->acyclic)
			rc = check_acyclic(p, r, type);
	}
	lset_free(&l);
	return rc;
}
