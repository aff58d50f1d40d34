/* api_sync_import_edge.c - an imported edge's insert entry as the edge
 * writer (api_graph_write.c) logs it: {"from","to"}, the validity bounds
 * the edge has, and its properties, read from the graph store. Part of
 * the expansion of an import (api_sync_import.c). */
#include <string.h>
#include <cjson/cJSON.h>

#include "api_sync_import_int.h"

/* obj[key] = a copy of v. 0, or -1 out of memory. */
static int put_copy(cJSON *obj, const char *key, const cJSON *v)
{
	cJSON *copy = cJSON_Duplicate(v, 1);

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

/* Stored properties (text, n bytes) into v["props"], in the order the
 * graph keeps them (api_graph_lww.c): declared ones as the schema
 * declares them, any others after. Nothing if there are none. */
static int add_props(struct xp *x, const struct op_reltype *r, cJSON *v,
		     const char *text, size_t n, const char *uuid)
{
	cJSON *in = cJSON_ParseWithLength(text, n), *o = cJSON_CreateObject();
	const cJSON *p;
	size_t i;
	int ok = o != NULL, rc = OUTPOST_OK;

	if (!cJSON_IsObject(in))
		rc = op_api_sync_import_fail(x, OUTPOST_ECORRUPT, "edge %s: "
					     "its properties in the graph "
					     "store are not a JSON object",
					     uuid);
	for (i = 0; rc == OUTPOST_OK && ok && i < r->nprops; i++)
		if ((p = cJSON_GetObjectItemCaseSensitive(in,
							  r->props[i].name)))
			ok = put_copy(o, r->props[i].name, p) == 0;
	for (p = in ? in->child : NULL; rc == OUTPOST_OK && ok && p;
	     p = p->next)
		if (!declared(r, p->string))
			ok = put_copy(o, p->string, p) == 0;
	if (rc == OUTPOST_OK && ok && o->child) {
		ok = cJSON_AddItemToObject(v, "props", o) != 0;
		o = ok ? NULL : o;
	}
	if (rc == OUTPOST_OK && !ok)
		rc = op_api_sync_import_fail(x, OUTPOST_ENOMEM,
					     "out of memory");
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
	if (rc == OUTPOST_OK && ok && !(*out = cJSON_PrintUnformatted(v)))
		ok = 0;
	if (rc == OUTPOST_OK && !ok)
		rc = op_api_sync_import_fail(x, OUTPOST_ENOMEM,
					     "out of memory");
	cJSON_Delete(v);
	return rc;
}
