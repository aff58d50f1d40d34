/* neo4j_graph.c - the graph of central and of the Neo4j mirror as
 * sorted lines to compare (neo4j_graph.h). */
#include <stdlib.h>

#include "neo4j_graph.h"

cJSON *ng_query(struct t *t, const char *statement, const char *params)
{
	char *body = NULL;
	cJSON *j = NULL;

	if (t_neo4j_cypher(t, &body, statement, params) == 0 &&
	    !(j = cJSON_Parse(body)))
		t_fail(t, __FILE__, __LINE__, "neo4j answered: %.300s", body);
	free(body);
	return j;
}

cJSON *ng_rows(cJSON *j)
{
	return cJSON_GetObjectItemCaseSensitive(
		cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j,
								    "results"),
				   0),
		"data");
}

cJSON *ng_catalog(struct sim *s)
{
	char *out = NULL;
	cJSON *c = NULL;

	if (t_pg_psql(&out, s->c.db, T_PG_ADMIN, NULL, "SELECT "
		      "json_object_agg(name, json_build_object('kind', kind, "
		      "'pk', pk, 'cols', cols)) FROM outpost.catalog WHERE "
		      "kind <> 'table'") != 0 ||
	    !(c = cJSON_Parse(out)))
		t_fail(s->t, __FILE__, __LINE__, "catalog: %s", out);
	free(out);
	return c;
}

/* A copy of v that Neo4j holds for a property of type `type` (NULL: not
 * in the schema), or of central's wire text of it, in one form: numbers
 * as numbers, booleans, text[] as a list, json parsed, other values as
 * text. What does not fit its type is marked with a '!'. */
static cJSON *canon(const char *type, const cJSON *v, int central)
{
	const char *x = cJSON_GetStringValue(v);
	int num = type && (!strcmp(type, "integer") || !strcmp(type, "real"));
	int parse = type && (!strcmp(type, "json") ||
			     (central && !strcmp(type, "text[]")));
	char mark[600], *text;
	cJSON *p;

	if (cJSON_IsNull(v))
		return cJSON_CreateNull();
	if (central && x && num)
		return cJSON_CreateNumber(strtod(x, NULL));
	if (central && x && type && !strcmp(type, "boolean"))
		return cJSON_CreateBool(strcmp(x, "0") != 0);
	if (x && parse && (p = cJSON_Parse(x)) != NULL)
		return p;
	if (!type || central ||
	    (num ? cJSON_IsNumber(v)
	     : !strcmp(type, "boolean") ? cJSON_IsBool(v)
	     : !strcmp(type, "text[]")	? cJSON_IsArray(v)
					: cJSON_IsString(v)))
		return cJSON_Duplicate(v, 1);
	text = cJSON_PrintUnformatted(v);
	snprintf(mark, sizeof(mark), "!%s", text ? text : "?");
	free(text);
	return cJSON_CreateString(mark);
}

/* Leave the property out of the comparison: the key, bookkeeping. */
static int skip(const char *name, int central)
{
	return !central && (!strcmp(name, "uuid") ||
			    !strncmp(name, "_outpost", 8));
}

/* "label uuid {name=value,...}" of props (a JSON object) by the types
 * of cols; a property not in cols is named "?name". */
static void line(struct sim_text *b, const char *label, const char *uuid,
		 const cJSON *cols, const cJSON *props, int central)
{
	cJSON *o = cJSON_CreateObject(), *p;
	char name[256], head[512], *text;

	cJSON_ArrayForEach(p, props)
	{
		const char *type = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(cols, p->string));

		if (skip(p->string, central))
			continue;
		snprintf(name, sizeof(name), "%s%s", type ? "" : "?",
			 p->string);
		cJSON_AddItemToObject(o, name, canon(type, p, central));
	}
	snprintf(head, sizeof(head), "%s %s", label, uuid);
	text = cJSON_PrintUnformatted(o);
	sim_edge_line(b, head, text);
	free(text);
	cJSON_Delete(o);
}

/* The columns of label or type `name` in cat: {name: type}. */
static const cJSON *cols_of(const cJSON *cat, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(cat, name), "cols");
}

char *ng_central_nodes(struct sim *s, const cJSON *cat)
{
	struct sim_text b = {0};
	char *out = NULL, *p, *nl, *sp, *r;

	sim_addf(&b, "%s", "");
	if (t_pg_psql(&out, s->c.db, T_PG_ADMIN, NULL,
		      "CREATE FUNCTION pg_temp.nodes() RETURNS SETOF text "
		      "LANGUAGE plpgsql AS $f$ DECLARE t record; e text; BEGIN "
		      "FOR t IN SELECT name, pk, cols FROM outpost.catalog "
		      "WHERE kind = 'node' LOOP "
		      "SELECT string_agg(format('%L, %s', k, outpost.enc_expr("
		      "v, format('x.%I', k))), ', ') INTO e FROM "
		      "jsonb_each_text(t.cols) AS c(k, v) WHERE k <> t.pk AND "
		      "v <> 'password'; "
		      "RETURN QUERY EXECUTE format('SELECT %L || '' '' || "
		      "x.%I::text || '' '' || jsonb_build_object(%s)::text "
		      "FROM public.%I x', t.name, t.pk, coalesce(e, ''), "
		      "t.name); END LOOP; END $f$; "
		      "SELECT * FROM pg_temp.nodes()") != 0)
		t_fail(s->t, __FILE__, __LINE__, "central nodes: %s", out);
	for (p = out; p && (nl = strchr(p, '\n')); p = nl + 1) {
		cJSON *props;

		*nl = '\0';
		if (!(sp = strchr(p, ' ')) || !(sp = strchr(sp + 1, ' ')))
			break;
		*sp = '\0';
		props = cJSON_Parse(sp + 1);
		*strchr(p, ' ') = '\0';
		line(&b, p, p + strlen(p) + 1, cols_of(cat, p), props, 1);
		cJSON_Delete(props);
	}
	free(out);
	r = sim_sorted(b.p);
	free(b.p);
	return r;
}

char *ng_nodes(struct t *t, const cJSON *cat)
{
	struct sim_text b = {0};
	cJSON *j = ng_query(t, "MATCH (n) WHERE NOT n:_outpost_tomb AND NOT "
			 "n:_outpost_meta RETURN labels(n), properties(n)",
			 NULL),
	      *r;
	char *out;

	sim_addf(&b, "%s", "");
	cJSON_ArrayForEach(r, ng_rows(j))
	{
		cJSON *row = cJSON_GetObjectItemCaseSensitive(r, "row");
		cJSON *labels = cJSON_GetArrayItem(row, 0);
		cJSON *props = cJSON_GetArrayItem(row, 1);
		const char *l = cJSON_GetStringValue(
			cJSON_GetArrayItem(labels, 0));
		const char *u = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(props, "uuid"));
		char *all = cJSON_PrintUnformatted(labels);

		if (cJSON_GetArraySize(labels) != 1 || !cols_of(cat, l))
			l = all;
		line(&b, l ? l : "?", u ? u : "(no uuid)", cols_of(cat, l),
		     props, 0);
		free(all);
	}
	cJSON_Delete(j);
	out = sim_sorted(b.p);
	free(b.p);
	return out;
}

char *ng_edges(struct t *t, const cJSON *cat)
{
	struct sim_text b = {0};
	cJSON *j = ng_query(t, "MATCH (a)-[e]->(z) RETURN type(e), a.uuid, "
			 "z.uuid, properties(e)", NULL),
	      *r, *p;
	char *out;

	sim_addf(&b, "%s", "");
	cJSON_ArrayForEach(r, ng_rows(j))
	{
		cJSON *row = cJSON_GetObjectItemCaseSensitive(r, "row");
		const char *type = cJSON_GetStringValue(
			cJSON_GetArrayItem(row, 0));
		const cJSON *cols = cols_of(cat, type);
		cJSON *props = cJSON_GetArrayItem(row, 3), *o;
		const char *u = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(props, "uuid"));
		const char *vf = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(props, "valid_from"));
		const char *vt = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(props, "valid_to"));
		const char *from = cJSON_GetStringValue(
			cJSON_GetArrayItem(row, 1));
		const char *to = cJSON_GetStringValue(
			cJSON_GetArrayItem(row, 2));
		char head[512], *text;

		snprintf(head, sizeof(head), "%s %s %s %s %s %s",
			 u ? u : "(no-uuid)", type ? type : "?",
			 from ? from : "(no-uuid)", to ? to : "(no-uuid)",
			 vf ? vf : "-", vt ? vt : "-");
		o = cJSON_CreateObject();
		cJSON_ArrayForEach(p, props)
		{
			const char *ty = cJSON_GetStringValue(
				cJSON_GetObjectItemCaseSensitive(cols,
								 p->string));

			if (!skip(p->string, 0) &&
			    strcmp(p->string, "valid_from") != 0 &&
			    strcmp(p->string, "valid_to") != 0)
				cJSON_AddItemToObject(o, p->string,
						      canon(ty, p, 0));
		}
		text = cJSON_PrintUnformatted(o);
		sim_edge_line(&b, head, text);
		free(text);
		cJSON_Delete(o);
	}
	cJSON_Delete(j);
	out = sim_sorted(b.p);
	free(b.p);
	return out;
}
