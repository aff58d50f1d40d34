/* neo4j_rows.c - one change as the parameter row of its statement
 * (neo4j_cypher.c): {uuid, c: clock text, v: {property: value}, k:
 * [properties an update names], from, to}. Values are what the log holds
 * (sync/PROTOCOL.md "Wire form"), typed for Neo4j: booleans as
 * booleans, text[] as lists, integers and reals as decimal text (JSON
 * numbers are doubles, and the client refuses one beyond 2^53: the
 * statements apply toInteger() and toFloat() by the schema's type),
 * everything else as text (Neo4j 3.x has no temporal types; json stays
 * its text). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neo4j_sink_int.h"

/* A node column's logged text as its Neo4j value (a new item). */
static cJSON *node_value(const cJSON *v, enum op_type t)
{
	const char *s = cJSON_GetStringValue(v);

	if (!s)
		return cJSON_IsNull(v) || !v ? cJSON_CreateNull()
					      : cJSON_Duplicate(v, 1);
	if (t == OP_T_REAL) {
		char *end = NULL;
		double d = strtod(s, &end);

		/* Reals travel as text that the statement's toFloat()
		 * reads: a JSON number beyond 2^53 is refused by the client,
		 * and JSON has none for infinities (SQLite's "Inf"). */
		if (end != s && !*end && isinf(d))
			return cJSON_CreateString(d > 0 ? "Infinity"
							: "-Infinity");
	} else if (t == OP_T_BOOLEAN) {
		if (!strcmp(s, "1") || !strcmp(s, "true"))
			return cJSON_CreateTrue();
		if (!strcmp(s, "0") || !strcmp(s, "false"))
			return cJSON_CreateFalse();
	} else if (t == OP_T_TEXT_ARRAY) {
		cJSON *a = cJSON_Parse(s);

		if (cJSON_IsArray(a))
			return a;
		cJSON_Delete(a);
	}
	return cJSON_CreateString(s);
}

/* A relationship property (logged as JSON of its type): a json value
 * that is not text becomes its text (Neo4j properties hold no maps). */
static cJSON *edge_value(const cJSON *v, enum op_type t)
{
	char *text;
	cJSON *out;

	if (!v || cJSON_IsNull(v))
		return cJSON_CreateNull();
	if (cJSON_IsNumber(v) && (t == OP_T_REAL || t == OP_T_INTEGER)) {
		char num[40];

		/* As text for toFloat()/toInteger(), like a node's: a
		 * number beyond 2^53 would not travel. */
		snprintf(num, sizeof(num), t == OP_T_REAL ? "%.17g" : "%.0f",
			 v->valuedouble);
		return cJSON_CreateString(num);
	}
	if (t != OP_T_JSON || cJSON_IsString(v))
		return cJSON_Duplicate(v, 1);
	if (!(text = cJSON_PrintUnformatted(v)))
		return NULL;
	out = cJSON_CreateString(text);
	cJSON_free(text);
	return out;
}

/* Put value (may be NULL: out of memory) as name into v, and name into
 * k when k is not NULL. */
static int put(cJSON *v, cJSON *k, const char *name, cJSON *value)
{
	if (!value)
		return OUTPOST_ENOMEM;
	if (!cJSON_AddItemToObject(v, name, value)) {
		cJSON_Delete(value);
		return OUTPOST_ENOMEM;
	}
	if (k && !cJSON_AddItemToArray(k, cJSON_CreateString(name)))
		return OUTPOST_ENOMEM;
	return OUTPOST_OK;
}

static int node_values(cJSON *v, cJSON *k, const struct op_table *t,
		       const cJSON *vals)
{
	size_t i;
	int rc = OUTPOST_OK;

	/* Columns the schema no longer has are left out, and so is what
	 * the sink does not write (the key, passwords). */
	for (i = 0; rc == OUTPOST_OK && i < t->ncols; i++) {
		const cJSON *x = cJSON_GetObjectItemCaseSensitive(
			vals, t->cols[i].name);

		if (!op_neo4j_column_kept(t, i) || (!x && k))
			continue;
		rc = put(v, k, t->cols[i].name, node_value(x, t->cols[i].type));
	}
	return rc;
}

static int edge_values(cJSON *v, cJSON *k, const struct op_reltype *r,
		       const cJSON *vals)
{
	static const char *const bounds[] = {"valid_from", "valid_to"};
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(vals, "props");
	size_t i;
	int rc = OUTPOST_OK;

	for (i = 0; rc == OUTPOST_OK && r->validity && i < 2; i++) {
		const cJSON *x = cJSON_GetObjectItemCaseSensitive(vals,
								  bounds[i]);

		if (x || !k)
			rc = put(v, k, bounds[i], edge_value(x, OP_T_TEXT));
	}
	for (i = 0; rc == OUTPOST_OK && i < r->nprops; i++) {
		const cJSON *x = cJSON_GetObjectItemCaseSensitive(
			props, r->props[i].name);

		if (x || !k)
			rc = put(v, k, r->props[i].name,
				 edge_value(x, r->props[i].type));
	}
	return rc;
}

/* from and to of an edge insert: uuids, as text. */
static int ends(cJSON *row, const cJSON *vals, char *why, size_t n)
{
	const char *f = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(vals, "from"));
	const char *t = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(vals, "to"));

	if (!f || !t) {
		snprintf(why, n, "a relationship insert without from and to");
		return OUTPOST_EPROTO;
	}
	if (!cJSON_AddStringToObject(row, "from", f) ||
	    !cJSON_AddStringToObject(row, "to", t))
		return OUTPOST_ENOMEM;
	return OUTPOST_OK;
}

static int row_fill(cJSON *row, const struct neo4j_kind *k,
		    const struct op_change *c, char *why, size_t n)
{
	char clock[NEO4J_CLOCK_LEN + 1];
	cJSON *vals = NULL, *v, *names = NULL;
	int rc = OUTPOST_OK;

	op_neo4j_clock(clock, c->hlc, c->site);
	if (!cJSON_AddStringToObject(row, "uuid", c->row_id) ||
	    !cJSON_AddStringToObject(row, "c", clock))
		return OUTPOST_ENOMEM;
	if (c->op == 'D')
		return OUTPOST_OK;
	vals = c->values ? cJSON_Parse(c->values) : NULL;
	if (!cJSON_IsObject(vals)) {
		snprintf(why, n, "its values are not a JSON object");
		cJSON_Delete(vals);
		return OUTPOST_EPROTO;
	}
	if (!(v = cJSON_AddObjectToObject(row, "v")) ||
	    (c->op == 'U' && !(names = cJSON_AddArrayToObject(row, "k"))))
		rc = OUTPOST_ENOMEM;
	if (rc == OUTPOST_OK && k->r && c->op == 'I')
		rc = ends(row, vals, why, n);
	if (rc == OUTPOST_OK && k->t)
		rc = node_values(v, names, k->t, vals);
	else if (rc == OUTPOST_OK && k->r)
		rc = edge_values(v, names, k->r, vals);
	cJSON_Delete(vals);
	return rc;
}

int op_neo4j_row_add(cJSON *rows, const struct neo4j_kind *k,
		     const struct op_change *c, char *why, size_t n)
{
	cJSON *row = cJSON_CreateObject();
	int rc;

	if (!row)
		return OUTPOST_ENOMEM;
	if (!c->row_id || op_neo4j_op_index(c->op) < 0) {
		snprintf(why, n, "no row id, or op '%c'", c->op);
		cJSON_Delete(row);
		return OUTPOST_EPROTO;
	}
	rc = row_fill(row, k, c, why, n);
	if (rc == OUTPOST_OK && !cJSON_AddItemToArray(rows, row))
		rc = OUTPOST_ENOMEM;
	if (rc != OUTPOST_OK)
		cJSON_Delete(row);
	return rc;
}
