/* schema_reltype.c - parse relationship types and migrations. */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "schema_int.h"

static char *get_name(struct op_parse *p, const cJSON *obj, const char *key,
		      const char *path, const char *what)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	char kp[OP_PATH_MAX];
	char *s;

	op_schema_path_key(kp, path, key);
	if (!v) {
		op_schema_perr(p, path, "missing \"%s\"", key);
		return NULL;
	}
	if (!cJSON_IsString(v)) {
		op_schema_perr(p, kp, "must be a string");
		return NULL;
	}
	if (!op_schema_check_name(p, v->valuestring, kp, what))
		return NULL;
	if (!(s = op_strdup(v->valuestring)))
		p->oom = 1;
	return s;
}

static void parse_reltype(struct op_parse *p, struct op_reltype *r,
			  const cJSON *v, const char *path)
{
	static const char *const keys[] = {"from",	 "to",
					   "acyclic",	 "validity",
					   "properties", "sync", NULL};
	const cJSON *props;
	char kp[OP_PATH_MAX];
	size_t i;

	if (!cJSON_IsObject(v)) {
		op_schema_perr(p, path, "must be an object {\"from\": ..., "
			       "\"to\": ...}");
		return;
	}
	op_schema_check_keys(p, v, path, keys);
	r->from = get_name(p, v, "from", path, "label");
	r->to = get_name(p, v, "to", path, "label");
	op_schema_get_bool(p, v, "acyclic", path, &r->acyclic);
	op_schema_get_bool(p, v, "validity", path, &r->validity);
	props = cJSON_GetObjectItemCaseSensitive(v, "properties");
	op_schema_path_key(kp, path, "properties");
	if (props)
		op_schema_parse_columns(p, props, kp, 1, &r->props,
					&r->nprops);
	for (i = 0; i < r->nprops; i++)
		if (r->props[i].name &&
		    (strcmp(r->props[i].name, "uuid") == 0 ||
		     (r->validity &&
		      (strcmp(r->props[i].name, "valid_from") == 0 ||
		       strcmp(r->props[i].name, "valid_to") == 0)))) {
			char pp[OP_PATH_MAX];

			op_schema_path_key(pp, kp, r->props[i].name);
			op_schema_perr(p, pp, "\"%s\" is a property every "
				       "edge of this type already has",
				       r->props[i].name);
		}
	op_schema_path_key(kp, path, "sync");
	op_schema_parse_sync(p, cJSON_GetObjectItemCaseSensitive(v, "sync"),
			     kp, 0, &r->policy, NULL, NULL);
}

int op_schema_parse_relationships(struct op_parse *p, const cJSON *rels,
				  const char *path)
{
	const cJSON *v;
	size_t n = 0, i;

	if (!rels)
		return 1;
	if (!cJSON_IsObject(rels)) {
		op_schema_perr(p, path, "must be an object, type to "
			       "definition");
		return 0;
	}
	op_schema_check_keys(p, rels, path, NULL);
	cJSON_ArrayForEach(v, rels) n++;
	p->s->rels = op_calloc(n, sizeof(*p->s->rels));
	if (!p->s->rels) {
		p->oom = 1;
		return 0;
	}
	cJSON_ArrayForEach(v, rels)
	{
		struct op_reltype *r = &p->s->rels[p->s->nrels];
		char kp[OP_PATH_MAX];

		op_schema_path_key(kp, path, v->string);
		if (!(r->name = op_strdup(v->string))) {
			p->oom = 1;
			break;
		}
		p->s->nrels++;
		if (op_schema_check_name(p, r->name, kp, "relationship type"))
			for (i = 0; i < p->s->ntables; i++)
				if (strcasecmp(p->s->tables[i].name,
					       r->name) == 0)
					op_schema_perr(p, kp, "\"%s\" is "
						       "already the name of "
						       "a %s", r->name,
						       p->s->tables[i].is_node
							       ? "node label"
							       : "table");
		parse_reltype(p, r, v, kp);
	}
	return 1;
}

/* {"drop_column": {"table": T, "column": C}} and friends. */
static void parse_step(struct op_parse *p, struct op_step *st,
		       const cJSON *v, const char *path)
{
	static const char *const kinds[] = {
		"drop_table",	 "drop_column",	  "rename_table",
		"rename_column", "change_column", "drop_relationship", NULL};
	static const char *const tc[] = {"table", "column", NULL};
	static const char *const ft[] = {"from", "to", NULL};
	static const char *const tft[] = {"table", "from", "to", NULL};
	const cJSON *body;
	char kp[OP_PATH_MAX];
	size_t k;

	if (!cJSON_IsObject(v) || cJSON_GetArraySize(v) != 1) {
		op_schema_perr(p, path, "a step must be an object with one "
			       "key, such as {\"drop_table\": \"t\"}");
		return;
	}
	op_schema_check_keys(p, v, path, kinds);
	body = v->child;
	for (k = 0; kinds[k] && strcmp(kinds[k], body->string); k++)
		;
	if (!kinds[k])
		return;
	st->kind = (enum op_step_kind)k;
	if (!(st->path = op_strdup(path)))
		p->oom = 1;
	op_schema_path_key(kp, path, body->string);
	switch (st->kind) {
	case OP_STEP_DROP_TABLE:
	case OP_STEP_DROP_RELATIONSHIP:
		if (!cJSON_IsString(body))
			op_schema_perr(p, kp, "must be a name (a string)");
		else if (!(st->table = op_strdup(body->valuestring)))
			p->oom = 1;
		return;
	case OP_STEP_DROP_COLUMN:
	case OP_STEP_CHANGE_COLUMN:
		if (!cJSON_IsObject(body))
			break;
		op_schema_check_keys(p, body, kp, tc);
		st->table = get_name(p, body, "table", kp, "table");
		st->column = get_name(p, body, "column", kp, "column");
		return;
	case OP_STEP_RENAME_TABLE:
	case OP_STEP_RENAME_COLUMN:
		if (!cJSON_IsObject(body))
			break;
		op_schema_check_keys(p, body, kp,
				     st->kind == OP_STEP_RENAME_TABLE ? ft
								      : tft);
		if (st->kind == OP_STEP_RENAME_COLUMN)
			st->table = get_name(p, body, "table", kp, "table");
		st->from = get_name(p, body, "from", kp, "old");
		st->to = get_name(p, body, "to", kp, "new");
		return;
	}
	op_schema_perr(p, kp, "must be an object");
}

int op_schema_parse_migrations(struct op_parse *p, const cJSON *migs,
			       const char *path)
{
	static const char *const keys[] = {"version", "steps", NULL};
	const cJSON *m;
	size_t i = 0;

	if (!migs)
		return 1;
	if (!cJSON_IsArray(migs)) {
		op_schema_perr(p, path, "must be an array of migrations");
		return 0;
	}
	p->s->nmigs = (size_t)cJSON_GetArraySize(migs);
	p->s->migs = op_calloc(p->s->nmigs, sizeof(*p->s->migs));
	if (!p->s->migs) {
		p->oom = 1;
		p->s->nmigs = 0;
		return 0;
	}
	cJSON_ArrayForEach(m, migs)
	{
		struct op_migration *mg = &p->s->migs[i];
		const cJSON *v, *steps, *st;
		char mp[OP_PATH_MAX], kp[OP_PATH_MAX];
		size_t j = 0;

		op_schema_path_idx(mp, path, i++);
		if (!cJSON_IsObject(m)) {
			op_schema_perr(p, mp, "a migration must be an object "
				       "{\"version\": N, \"steps\": [...]}");
			continue;
		}
		op_schema_check_keys(p, m, mp, keys);
		v = cJSON_GetObjectItemCaseSensitive(m, "version");
		op_schema_path_key(kp, mp, "version");
		if (!cJSON_IsNumber(v) || v->valuedouble < 2 ||
		    v->valuedouble != floor(v->valuedouble) ||
		    v->valuedouble > 2147483647.0)
			op_schema_perr(p, v ? kp : mp, "%s",
				       v ? "must be an integer >= 2 (the "
					   "version the steps lead to)"
					 : "missing \"version\"");
		else if (p->s->version && v->valuedouble > (double)p->s->version)
			op_schema_perr(p, kp, "migration to version %lld is "
				       "past the schema's version %lld",
				       (long long)v->valuedouble,
				       (long long)p->s->version);
		else
			mg->version = (int64_t)v->valuedouble;
		if (i > 1 && mg->version && p->s->migs[i - 2].version >= mg->version)
			op_schema_perr(p, kp, "migrations must be in "
				       "increasing version order");
		steps = cJSON_GetObjectItemCaseSensitive(m, "steps");
		op_schema_path_key(kp, mp, "steps");
		if (!cJSON_IsArray(steps) || cJSON_GetArraySize(steps) == 0) {
			op_schema_perr(p, steps ? kp : mp, "%s",
				       steps ? "must be a non-empty array"
					     : "missing \"steps\"");
			continue;
		}
		mg->nsteps = (size_t)cJSON_GetArraySize(steps);
		if (!(mg->steps = op_calloc(mg->nsteps, sizeof(*mg->steps)))) {
			p->oom = 1;
			mg->nsteps = 0;
			continue;
		}
		cJSON_ArrayForEach(st, steps)
		{
			char sp[OP_PATH_MAX];

			op_schema_path_idx(sp, kp, j);
			parse_step(p, &mg->steps[j++], st, sp);
		}
	}
	return 1;
}
