/* api_sync_import_edge.c - an imported edge's insert entry as the edge
 * writer (api_graph_write.c) logs it: {"from","to"}, the validity bounds
 * the edge has, and its properties, read from the graph store. Part of
 * the expansion of an import (api_sync_import.c). */
#include <cjson/cJSON.h>

#include "api_graph_int.h"
#include "api_sync_import_int.h"

/* Stored properties (text, n bytes) into v["props"], in the order the
 * graph keeps them (api_graph_lww.c): declared ones as the schema
 * declares them, any others after. Nothing if there are none. */
static int add_props(struct xp *x, const struct op_reltype *r, cJSON *v,
		     const char *text, size_t n, const char *uuid)
{
	cJSON *in = cJSON_ParseWithLength(text, n), *o = NULL;
	int rc = OUTPOST_OK;

	if (!cJSON_IsObject(in))
		rc = op_api_sync_import_fail(x, OUTPOST_ECORRUPT, "edge %s: "
					     "its properties in the graph "
					     "store are not a JSON object",
					     uuid);
	else if (!(o = op_api_graph_props_ordered(r, in)) ||
		 (o->child && !cJSON_AddItemToObject(v, "props", o)))
		rc = op_api_sync_import_fail(x, OUTPOST_ENOMEM,
					     "out of memory");
	else if (o->child)
		o = NULL; /* v owns it now */
	cJSON_Delete(in);
	cJSON_Delete(o);
	return rc;
}

int op_api_sync_import_edge_json(struct xp *x, const struct op_reltype *r,
				 const struct op_adj_edge *ed, uint32_t eid,
				 const char *from, const char *to,
				 const char *uuid, char **out)
{
	cJSON *v = cJSON_CreateObject();
	const char *text = NULL;
	char ts[OP_TIME_TEXT];
	size_t n = 0;
	int ok = v && cJSON_AddStringToObject(v, "from", from) &&
		 cJSON_AddStringToObject(v, "to", to);
	int rc = op_adj_edge_props(x->t, eid, &text, &n);

	if (rc != OUTPOST_OK)
		rc = op_api_sync_import_fail(x, rc, "edge %s: its properties "
					     "in the graph store are "
					     "unreadable", uuid);
	/* Unbounded ends are absent, as when add was given none. */
	if (rc == OUTPOST_OK && ok && r->validity &&
	    ed->valid_from != INT64_MIN) {
		op_time_format(ts, ed->valid_from);
		ok = cJSON_AddStringToObject(v, "valid_from", ts) != NULL;
	}
	if (rc == OUTPOST_OK && ok && r->validity &&
	    ed->valid_to != INT64_MAX) {
		op_time_format(ts, ed->valid_to);
		ok = cJSON_AddStringToObject(v, "valid_to", ts) != NULL;
	}
	if (rc == OUTPOST_OK && ok && text)
		rc = add_props(x, r, v, text, n, uuid);
	if (rc == OUTPOST_OK && ok && !(*out = op_schema_json_print(v)))
		ok = 0;
	if (rc == OUTPOST_OK && !ok)
		rc = op_api_sync_import_fail(x, OUTPOST_ENOMEM,
					     "out of memory");
	cJSON_Delete(v);
	return rc;
}
