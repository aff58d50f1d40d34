/* sync_edge.c - relationship-type entries of a batch (sync/PROTOCOL.md
 * "Wire form": tbl = the type, id = the edge, vals = {"from", "to",
 * "valid_from", "valid_to", "props"}). They are checked here with the
 * rest of the batch; whether one takes effect is the graph's to say (its
 * clocks live beside the edges, a layer up), through the caller's
 * callback, and what took effect is logged like a row change. */
#include <string.h>

#include "sync_int.h"

static int check_props(struct sync_ctx *x, const struct sync_entry *e,
		       const cJSON *props)
{
	const cJSON *p;
	char name[80];

	if (cJSON_IsNull(props))
		return OUTPOST_OK;
	if (!cJSON_IsObject(props))
		return op_sync_fail(x, e->c, OUTPOST_EPROTO, "\"props\": not a "
				    "JSON object");
	cJSON_ArrayForEach(p, props)
	{
		size_t i;

		for (i = 0; i < e->r->nprops; i++)
			if (strcmp(e->r->props[i].name, p->string) == 0)
				break;
		op_show(name, sizeof(name), p->string);
		if (i == e->r->nprops)
			return op_sync_fail(x, e->c, OUTPOST_EPROTO, "\"props\"."
					    "\"%s\": %s has no such property",
					    name, e->r->name);
		if (!op_schema_json_fits(p, e->r->props[i].type))
			return op_sync_fail(x, e->c, OUTPOST_EPROTO, "\"props\"."
					    "\"%s\": not a %s value", name,
					    op_schema_type_name(
						    e->r->props[i].type));
	}
	return OUTPOST_OK;
}

static int check_field(struct sync_ctx *x, const struct sync_entry *e,
		       const cJSON *f)
{
	char name[80];
	uint8_t u[16];
	int64_t ms;
	int end = strcmp(f->string, "from") == 0 || strcmp(f->string, "to") == 0;

	op_show(name, sizeof(name), f->string);
	if (end && e->c->op == 'U')
		return op_sync_fail(x, e->c, OUTPOST_EPROTO, "\"%s\": an edge's "
				    "ends do not change", name);
	if (end && (!cJSON_IsString(f) || op_uuid_parse(u, f->valuestring)))
		return op_sync_fail(x, e->c, OUTPOST_EPROTO, "\"%s\": not a node "
				    "uuid", name);
	if (end)
		return OUTPOST_OK;
	if (strcmp(f->string, "props") == 0)
		return check_props(x, e, f);
	if (strcmp(f->string, "valid_from") != 0 &&
	    strcmp(f->string, "valid_to") != 0)
		return op_sync_fail(x, e->c, OUTPOST_EPROTO, "\"%s\": not a "
				    "field of an edge (from, to, valid_from, "
				    "valid_to, props)", name);
	if (cJSON_IsNull(f))
		return OUTPOST_OK;
	if (!e->r->validity)
		return op_sync_fail(x, e->c, OUTPOST_EPROTO, "\"%s\": %s has no "
				    "validity", name, e->r->name);
	if (!cJSON_IsString(f) || op_time_parse(&ms, f->valuestring) != 0)
		return op_sync_fail(x, e->c, OUTPOST_EPROTO, "\"%s\": not a "
				    "timestamp", name);
	return OUTPOST_OK;
}

int op_sync_edge_check(struct sync_ctx *x, struct sync_entry *e)
{
	const cJSON *f;
	int rc = OUTPOST_OK;

	if (e->c->op == 'D') {
		if (e->c->values && strcmp(e->c->values, "null") != 0)
			return op_sync_fail(x, e->c, OUTPOST_EPROTO, "a "
					    "delete carries no values");
		return OUTPOST_OK;
	}
	e->json = e->c->values ? cJSON_Parse(e->c->values) : NULL;
	if (!cJSON_IsObject(e->json))
		return op_sync_fail(x, e->c, OUTPOST_EPROTO, "its values are "
				    "not a JSON object");
	cJSON_ArrayForEach(f, e->json)
	{
		if ((rc = check_field(x, e, f)) != OUTPOST_OK)
			return rc;
	}
	if (e->c->op == 'I' &&
	    (!cJSON_GetObjectItemCaseSensitive(e->json, "from") ||
	     !cJSON_GetObjectItemCaseSensitive(e->json, "to")))
		return op_sync_fail(x, e->c, OUTPOST_EPROTO, "an inserted edge "
				    "needs \"from\" and \"to\"");
	return rc;
}

int op_sync_edge_merge(struct sync_ctx *x, const struct sync_entry *e)
{
	char *eff = NULL;
	int took = 0, rc;

	if (!x->a->edge)
		return op_sync_fail(x, e->c, OUTPOST_EREFUSED, "relationship "
				    "changes cannot be applied here");
	/* The graph is kept up with the log: this batch's entries too. */
	rc = op_sync_log_flush(x);
	if (rc == OUTPOST_OK)
		rc = x->a->edge(x->a->edge_ctx, e->r, e->c, e->id, &took,
				&eff, x->err);
	if (rc == OUTPOST_OK && took)
		rc = op_sync_log_text(x, e, e->c->op,
				      e->c->op == 'D' ? NULL : eff);
	op_free(eff);
	return rc;
}
