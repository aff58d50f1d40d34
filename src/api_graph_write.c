/* api_graph_write.c - edge writes (outpost_graph_edge_add/update/delete),
 * each the two-engine commit of DESIGN section 2:
 *   1. BEGIN IMMEDIATE (the store's writer lock, always before LMDB's),
 *   2. the LMDB write txn, brought up to the log; checks; the log entry
 *      in SQLite and the same change in LMDB,
 *   3. COMMIT SQLite, then LMDB with applied_seq = the entry's seq.
 * A crash between the commits leaves the entry in the log and LMDB one
 * behind: replay (api_graph_apply.c) redoes it. A full map is grown and
 * the write tried again; if only LMDB's commit fails, the change is
 * already durable and the next catch-up applies it. */
#include <stdio.h>
#include <math.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "api_graph_int.h"
#include "graph.h"

#define CYCLE_SHOWN 12 /* nodes of a cycle named in a refusal */

struct ew {
	outpost *db;
	struct op_schema *s;
	const struct op_reltype *r;
	struct op_adj_txn *t;
	int central;
};

/* props: a JSON object of the type's declared properties. *out (may be
 * NULL) gets it parsed. */
static int check_props(struct ew *w, const char *props, cJSON **out)
{
	cJSON *o;
	const cJSON *p;
	char shown[64];

	*out = NULL;
	if (!props)
		return OUTPOST_OK;
	o = cJSON_Parse(props);
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return op_err_set(&w->db->err, OUTPOST_EMISUSE, "edge "
				  "properties: not a JSON object");
	}
	cJSON_ArrayForEach(p, o)
	{
		size_t i;

		for (i = 0; i < w->r->nprops; i++)
			if (strcmp(w->r->props[i].name, p->string) == 0)
				break;
		op_show(shown, sizeof(shown), p->string);
		/* From 2^53 on the parsed double may not be the integer
		 * written (2^53 + 1 reads as 2^53): refused rather than
		 * stored rounded. */
		if (i < w->r->nprops && w->r->props[i].type == OP_T_INTEGER &&
		    cJSON_IsNumber(p) &&
		    fabs(p->valuedouble) >= 9007199254740992.0) {
			cJSON_Delete(o);
			return op_err_set(&w->db->err, OUTPOST_EMISUSE,
					  "edge property \"%s\": an integer "
					  "beyond 2^53 - 1 (9007199254740991) "
					  "is not exact in JSON", shown);
		}
		if (i == w->r->nprops || !op_schema_json_fits(p, w->r->props[i].type)) {
			int rc = op_err_set(&w->db->err, OUTPOST_EMISUSE,
					    "edge property \"%s\": %s", shown,
					    i == w->r->nprops
						    ? "not a property of the "
						      "type in the schema"
						    : "wrong type of value");

			cJSON_Delete(o);
			return rc;
		}
	}
	*out = o;
	return OUTPOST_OK;
}

/* A validity bound into json as "key": "ts" (normalised). */
static int add_bound(struct ew *w, cJSON *json, const char *key,
		     const char *ts)
{
	char text[OP_TIME_TEXT];
	int64_t ms;

	if (!ts)
		return OUTPOST_OK;
	if (!w->r->validity)
		return op_err_set(&w->db->err, OUTPOST_EMISUSE, "%s: type %s "
				  "has no validity (declare \"validity\": true "
				  "in the schema)", key, w->r->name);
	if (op_time_parse(&ms, ts) != 0) {
		char shown[64];

		op_show(shown, sizeof(shown), ts);
		return op_err_set(&w->db->err, OUTPOST_EMISUSE, "%s: \"%s\" is "
				  "not a timestamp (2026-01-31T12:00:00Z)",
				  key, shown);
	}
	op_time_format(text, ms);
	return cJSON_AddStringToObject(json, key, text) ? OUTPOST_OK
							: OUTPOST_ENOMEM;
}

static int node_text(struct op_adj_txn *t, uint32_t nid, char *out)
{
	uint8_t u[16];
	int rc = op_adj_node_uuid(t, nid, u, NULL);

	if (rc == OUTPOST_OK)
		op_uuid_format(out, u);
	return rc;
}

/* Refuse from -> to if to already reaches from along the type: the
 * message names the cycle the edge would close. */
static int check_acyclic(struct ew *w, uint16_t type, uint32_t from,
			 uint32_t to)
{
	uint8_t types[OP_ADJ_MAX_TYPES] = {0};
	struct op_graph_query q;
	struct op_graph_ctx c;
	struct op_buf msg = {0};
	uint32_t *path = NULL;
	size_t npath = 0, i;
	int64_t len = -1;
	char text[OP_UUID_TEXT];
	int rc;

	memset(&q, 0, sizeof(q));
	q.types = types;
	q.ntypes = (size_t)type + 1;
	q.dirs = OP_ADJ_OUT;
	q.min_depth = 1;
	types[type] = 1;
	if (from != to) {
		rc = op_graph_ctx_open(&c, w->t, &q, &w->db->err);
		if (rc != OUTPOST_OK)
			return rc;
		rc = op_graph_shortest(&c, &q, to, from, &len, &path, &npath,
				       &w->db->err);
		op_graph_ctx_close(&c);
		if (rc != OUTPOST_OK || len < 0) {
			op_free(path);
			return rc;
		}
	}
	op_buf_addf(&msg, "%s is acyclic: this edge would close the cycle ",
		    w->r->name);
	if (node_text(w->t, from, text) == OUTPOST_OK)
		op_buf_addf(&msg, "%s", text);
	for (i = 0; i < npath; i++) {
		if (i == CYCLE_SHOWN / 2 && npath > CYCLE_SHOWN) {
			op_buf_addf(&msg, " -> ... (%zu more)",
				    npath - CYCLE_SHOWN);
			i = npath - CYCLE_SHOWN / 2;
		}
		if (node_text(w->t, path[i], text) == OUTPOST_OK)
			op_buf_addf(&msg, " -> %s", text);
	}
	if (from == to && node_text(w->t, from, text) == OUTPOST_OK)
		op_buf_addf(&msg, " -> %s", text);
	op_free(path);
	rc = op_err_set(&w->db->err, OUTPOST_EREFUSED, "%s", op_buf_str(&msg));
	op_buf_free(&msg);
	return rc;
}

/* A central_wins type takes writes only as the central authority. */
static int writable(const struct ew *w)
{
	if (w->r->policy != OP_SYNC_CENTRAL_WINS || w->central)
		return OUTPOST_OK;
	return op_err_set(&w->db->err, OUTPOST_EREFUSED, "%s is central_wins: "
			  "local writes refused (change it centrally, then "
			  "sync)", w->r->name);
}

/* Both locks, the schema, the type, and the graph up to the log. */
static int begin(struct ew *w, outpost *db, const char *type, int central)
{
	int64_t last;
	int rc;

	memset(w, 0, sizeof(*w));
	w->db = db;
	w->central = central;
	if (db->read_only)
		return op_err_set(&db->err, OUTPOST_EMISUSE, "the store is "
				  "open read-only");
	rc = op_api_schema_current(db, &w->s);
	if (rc != OUTPOST_OK)
		return rc;
	if (!w->s)
		return op_err_set(&db->err, OUTPOST_ESCHEMA, "apply a schema "
				  "first (outpost schema apply FILE)");
	if (type && !(w->r = op_schema_reltype(w->s, type))) {
		char shown[64];

		op_show(shown, sizeof(shown), type);
		return op_err_set(&db->err, OUTPOST_ENOTFOUND, "unknown "
				  "relationship type \"%s\" (not in the "
				  "schema)", shown);
	}
	if (w->r && (rc = writable(w)) != OUTPOST_OK)
		return rc;
	rc = op_rel_begin_write(db->rel, &db->err);
	if (rc == OUTPOST_OK)
		rc = op_adj_begin(&w->t, db->adj, 1, &db->err);
	if (rc == OUTPOST_OK)
		rc = op_api_graph_apply(db, w->t, w->s, &last);
	return rc;
}

/* Log the entry, apply it to LMDB, commit both (SQLite first). */
static int commit(struct ew *w, char op, const char *uuid, const char *vals)
{
	static const uint8_t central[16] = {0}; /* the central authority */
	int64_t seq = 0;
	uint64_t hlc = 0;
	int rc;

	if (!w->r) /* begin() or edge_type() found the type */
		return OUTPOST_EMISUSE;
	rc = op_log_append(w->db->rel, w->central, w->r->name, op, uuid, vals,
			   &seq, &hlc, &w->db->err);
	if (rc == OUTPOST_OK)
		rc = op_api_graph_apply_edge(w->db, w->t, w->r, op, uuid, vals,
					     hlc, w->central ? central : w->db->site,
					     NULL, NULL);
	if (rc == OUTPOST_OK)
		rc = op_adj_set_applied_seq(w->t, seq, &w->db->err);
	if (rc == OUTPOST_OK)
		rc = op_rel_commit(w->db->rel, &w->db->err);
	if (rc != OUTPOST_OK)
		return rc;
	op_fault_point("edge_between_commits");
	rc = op_adj_commit(w->t, &w->db->err);
	w->t = NULL;
	/* The entry is durable: a failed LMDB commit is repaired by the
	 * next catch-up (a full map grows there). */
	return rc == OUTPOST_OK ? rc : op_api_graph_catch_up(w->db);
}

static void end(struct ew *w)
{
	op_adj_abort(w->t);
	op_rel_rollback(w->db->rel);
	op_schema_free(w->s);
}

static int add_once(outpost *db, const outpost_edge *e, char *uuid_out)
{
	struct ew w;
	cJSON *vals = cJSON_CreateObject(), *props = NULL;
	uint32_t from, to;
	uint16_t type;
	uint8_t u[16];
	char id[OP_UUID_TEXT], text[OP_UUID_TEXT], *json = NULL;
	int rc = begin(&w, db, e->type, e->central);

	if (rc == OUTPOST_OK && !vals)
		rc = op_err_set(&db->err, OUTPOST_ENOMEM, "out of memory");
	if (rc == OUTPOST_OK)
		rc = check_props(&w, e->properties, &props);
	if (rc == OUTPOST_OK)
		rc = op_api_graph_resolve(db, w.t, w.s, w.r->from, e->from,
					  &from);
	if (rc == OUTPOST_OK)
		rc = op_api_graph_resolve(db, w.t, w.s, w.r->to, e->to, &to);
	if (rc == OUTPOST_OK)
		rc = op_adj_name_id(w.t, "type", w.r->name, 1, &type,
				    &db->err);
	if (rc == OUTPOST_OK && w.r->acyclic)
		rc = check_acyclic(&w, type, from, to);
	if (rc == OUTPOST_OK && node_text(w.t, from, text) == OUTPOST_OK &&
	    !cJSON_AddStringToObject(vals, "from", text))
		rc = OUTPOST_ENOMEM;
	if (rc == OUTPOST_OK && node_text(w.t, to, text) == OUTPOST_OK &&
	    !cJSON_AddStringToObject(vals, "to", text))
		rc = OUTPOST_ENOMEM;
	if (rc == OUTPOST_OK)
		rc = add_bound(&w, vals, "valid_from", e->valid_from);
	if (rc == OUTPOST_OK)
		rc = add_bound(&w, vals, "valid_to", e->valid_to);
	if (rc == OUTPOST_OK && props) {
		cJSON_AddItemToObject(vals, "props", props);
		props = NULL;
	}
	if (rc == OUTPOST_OK && !(json = op_schema_json_print(vals)))
		rc = OUTPOST_ENOMEM;
	if (rc == OUTPOST_ENOMEM)
		op_err_set(&db->err, rc, "out of memory");
	if (rc == OUTPOST_OK) {
		op_uuid_v7(u, op_hlc_wall_ms());
		op_uuid_format(id, u);
		rc = commit(&w, 'I', id, json);
	}
	if (rc == OUTPOST_OK && uuid_out)
		memcpy(uuid_out, id, OP_UUID_TEXT);
	op_free(json);
	cJSON_Delete(vals);
	cJSON_Delete(props);
	end(&w);
	return rc;
}

/* The type of edge uuid, found in the LMDB txn of w. */
static int edge_type(struct ew *w, const char *uuid)
{
	struct op_adj_edge e;
	uint8_t u[16];
	uint32_t eid;
	char shown[64];
	size_t i;

	op_show(shown, sizeof(shown), uuid);
	if (op_uuid_parse(u, uuid) != 0)
		return op_err_set(&w->db->err, OUTPOST_EMISUSE, "\"%s\" is not "
				  "an edge uuid", shown);
	if (op_adj_edge_find(w->t, u, &eid) != OUTPOST_OK ||
	    op_adj_edge_get(w->t, eid, &e) != OUTPOST_OK)
		return op_err_set(&w->db->err, OUTPOST_ENOTFOUND, "no edge "
				  "\"%s\"", shown);
	for (i = 0; w->s && i < w->s->nrels; i++) {
		uint16_t id;

		if (op_adj_name_id(w->t, "type", w->s->rels[i].name, 0, &id,
				   NULL) == OUTPOST_OK &&
		    id == e.type) {
			w->r = &w->s->rels[i];
			break;
		}
	}
	if (!w->r) {
		op_err_set(&w->db->err, OUTPOST_ESCHEMA, "edge \"%s\": its type "
			   "is no longer in the schema", shown);
		return OUTPOST_ESCHEMA;
	}
	return writable(w);
}

static int update_once(outpost *db, const char *uuid, const outpost_edge *e)
{
	struct ew w;
	cJSON *vals = cJSON_CreateObject(), *props = NULL;
	char *json = NULL;
	int rc = begin(&w, db, NULL, e->central);

	if (rc == OUTPOST_OK && !vals)
		rc = op_err_set(&db->err, OUTPOST_ENOMEM, "out of memory");
	if (rc == OUTPOST_OK)
		rc = edge_type(&w, uuid);
	if (rc == OUTPOST_OK && e->type && strcmp(e->type, w.r->name) != 0)
		rc = op_err_set(&db->err, OUTPOST_EMISUSE, "the edge is %s, "
				"not %.64s; a type does not change",
				w.r->name, e->type);
	if (rc == OUTPOST_OK)
		rc = check_props(&w, e->properties, &props);
	if (rc == OUTPOST_OK)
		rc = add_bound(&w, vals, "valid_from", e->valid_from);
	if (rc == OUTPOST_OK)
		rc = add_bound(&w, vals, "valid_to", e->valid_to);
	if (rc == OUTPOST_OK && props) {
		cJSON_AddItemToObject(vals, "props", props);
		props = NULL;
	}
	if (rc == OUTPOST_OK && !(json = op_schema_json_print(vals)))
		rc = op_err_set(&db->err, OUTPOST_ENOMEM, "out of memory");
	if (rc == OUTPOST_OK) {
		char id[OP_UUID_TEXT];
		uint8_t u[16];

		op_uuid_parse(u, uuid);
		op_uuid_format(id, u); /* the canonical form is logged */
		rc = commit(&w, 'U', id, json);
	}
	op_free(json);
	cJSON_Delete(vals);
	cJSON_Delete(props);
	end(&w);
	return rc;
}

static int delete_once(outpost *db, const char *uuid, int central)
{
	struct ew w;
	int rc = begin(&w, db, NULL, central);

	if (rc == OUTPOST_OK)
		rc = edge_type(&w, uuid);
	if (rc == OUTPOST_OK) {
		char id[OP_UUID_TEXT];
		uint8_t u[16];

		op_uuid_parse(u, uuid);
		op_uuid_format(id, u);
		rc = commit(&w, 'D', id, NULL);
	}
	end(&w);
	return rc;
}

/* A full map: everything was rolled back; grow it and go again. */
#define RETRY_FULL(db, call)                                                 \
	do {                                                                 \
		int tries_ = 0;                                              \
		while ((rc = (call)) == OP_ADJ_EFULL && tries_++ < 16)       \
			if ((rc = op_adj_grow((db)->adj, &(db)->err)) != 0)  \
				break;                                       \
	} while (0)

int outpost_graph_edge_add(outpost *db, const outpost_edge *e, char *uuid)
{
	int rc;

	if (!db || !e || e->version != OUTPOST_EDGE_VERSION || !e->type ||
	    !e->from || !e->to)
		return db ? op_err_set(&db->err, OUTPOST_EMISUSE, "an edge "
				       "needs a type, from and to")
			  : OUTPOST_EMISUSE;
	RETRY_FULL(db, add_once(db, e, uuid));
	return rc;
}

int outpost_graph_edge_update(outpost *db, const char *uuid,
			      const outpost_edge *e)
{
	int rc;

	if (!db || !uuid || !e || e->version != OUTPOST_EDGE_VERSION ||
	    e->from || e->to)
		return db ? op_err_set(&db->err, OUTPOST_EMISUSE, "an update "
				       "names the edge by uuid and changes "
				       "only properties and validity")
			  : OUTPOST_EMISUSE;
	RETRY_FULL(db, update_once(db, uuid, e));
	return rc;
}

int outpost_graph_edge_delete(outpost *db, const char *uuid, int central)
{
	int rc;

	if (!db || !uuid)
		return OUTPOST_EMISUSE;
	RETRY_FULL(db, delete_once(db, uuid, central));
	return rc;
}
