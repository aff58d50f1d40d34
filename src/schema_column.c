/* schema_column.c - parse and validate column declarations and their
 * defaults, turning each default into the SQL literal the DDL uses. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "schema_int.h"

static const struct {
	const char *name;
	enum op_type type;
} types[] = {
	{"uuid", OP_T_UUID},	       {"text", OP_T_TEXT},
	{"integer", OP_T_INTEGER},     {"real", OP_T_REAL},
	{"boolean", OP_T_BOOLEAN},     {"timestamp", OP_T_TIMESTAMP},
	{"date", OP_T_DATE},	       {"json", OP_T_JSON},
	{"blob", OP_T_BLOB},	       {"text[]", OP_T_TEXT_ARRAY},
	{"password", OP_T_PASSWORD},
};

const char *op_schema_type_name(enum op_type t)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == t)
			return types[i].name;
	return "?";
}

static int parse_type(const char *s, enum op_type *out)
{
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, s) == 0) {
			*out = types[i].type;
			return 1;
		}
	return 0;
}

/* The number in exactly n decimal digits at s, or -1. */
static int digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* 1 if s starts with YYYY-MM-DD, a real calendar date. */
static int valid_date(const char *s)
{
	static const int days[] = {31, 29, 31, 30, 31, 30,
				   31, 31, 30, 31, 30, 31};
	int y, m, d;

	if (strlen(s) < 10 || s[4] != '-' || s[7] != '-')
		return 0;
	y = digits(s, 4);
	m = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (y < 0)
		return 0;
	if (m < 1 || m > 12 || d < 1 || d > days[m - 1])
		return 0;
	return !(m == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400)));
}

/* 1 if s is YYYY-MM-DDTHH:MM:SS[.fff]Z. */
static int valid_timestamp(const char *s)
{
	size_t len = strlen(s);
	int h, mi, sec;
	const char *p;

	if (len < 20 || !valid_date(s) || s[10] != 'T' || s[len - 1] != 'Z' ||
	    s[13] != ':' || s[16] != ':')
		return 0;
	h = digits(s + 11, 2);
	mi = digits(s + 14, 2);
	sec = digits(s + 17, 2);
	if (h < 0 || mi < 0 || sec < 0 || h > 23 || mi > 59 || sec > 60)
		return 0;
	p = s + 19;
	if (*p == '.') {
		if (p[1] == 'Z')
			return 0;
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	return p == s + len - 1;
}

static void add_quoted(struct op_buf *b, const char *s)
{
	op_buf_adds(b, "'");
	for (; *s; s++)
		op_buf_add(b, *s == '\'' ? "''" : s, *s == '\'' ? 2 : 1);
	op_buf_adds(b, "'");
}

/* The SQL for a default value of column c from its JSON literal. */
static int parse_default(struct op_parse *p, struct op_column *c,
			 const cJSON *v, const char *path)
{
	struct op_buf b = {0};
	const char *tn = op_schema_type_name(c->type);
	char *printed;

	switch (c->type) {
	case OP_T_INTEGER:
		if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
		    fabs(v->valuedouble) > 9007199254740992.0)
			goto bad;
		op_buf_addf(&b, "%lld", (long long)v->valuedouble);
		break;
	case OP_T_REAL:
		if (!cJSON_IsNumber(v))
			goto bad;
		op_buf_addf(&b, "%.17g", v->valuedouble);
		break;
	case OP_T_BOOLEAN:
		if (!cJSON_IsBool(v))
			goto bad;
		op_buf_adds(&b, cJSON_IsTrue(v) ? "1" : "0");
		break;
	case OP_T_TEXT:
		if (!cJSON_IsString(v))
			goto bad;
		add_quoted(&b, v->valuestring);
		break;
	case OP_T_UUID: {
		uint8_t u[16];
		char text[OP_UUID_TEXT];

		if (!cJSON_IsString(v) || op_uuid_parse(u, v->valuestring))
			goto bad;
		op_uuid_format(text, u);
		op_buf_addf(&b, "'%s'", text);
		break;
	}
	case OP_T_TIMESTAMP:
	case OP_T_DATE:
		if (!cJSON_IsString(v))
			goto bad;
		if (strcmp(v->valuestring, "now") == 0) {
			op_buf_adds(&b, c->type == OP_T_DATE
						? "(date('now'))"
						: "(strftime('%Y-%m-%dT%H:%M:"
						  "%fZ','now'))");
			c->default_is_expr = 1;
		} else if (c->type == OP_T_DATE ? valid_date(v->valuestring) &&
							  strlen(v->valuestring) == 10
						: valid_timestamp(v->valuestring)) {
			op_buf_addf(&b, "'%s'", v->valuestring);
		} else {
			goto bad;
		}
		break;
	case OP_T_JSON:
	case OP_T_TEXT_ARRAY:
		if (c->type == OP_T_TEXT_ARRAY) {
			const cJSON *e;

			if (!cJSON_IsArray(v))
				goto bad;
			cJSON_ArrayForEach(e, v) if (!cJSON_IsString(e)) goto bad;
		}
		printed = cJSON_PrintUnformatted(v);
		if (!printed) {
			p->oom = 1;
			return 0;
		}
		add_quoted(&b, printed);
		cJSON_free(printed);
		break;
	case OP_T_BLOB:
	case OP_T_PASSWORD:
		op_schema_perr(p, path, "a %s column cannot have a default",
			       tn);
		return 0;
	}
	c->default_sql = op_buf_take(&b);
	if (!c->default_sql)
		p->oom = 1;
	return c->default_sql != NULL;
bad:
	op_buf_free(&b);
	if (c->type == OP_T_TIMESTAMP)
		op_schema_perr(p, path, "default of a timestamp column must "
			       "be \"now\" or \"YYYY-MM-DDTHH:MM:SS[.fff]Z\"");
	else if (c->type == OP_T_DATE)
		op_schema_perr(p, path, "default of a date column must be "
			       "\"now\" or \"YYYY-MM-DD\"");
	else if (c->type == OP_T_INTEGER)
		op_schema_perr(p, path, "default of an integer column must be "
			       "a whole number within +-2^53");
	else if (c->type == OP_T_TEXT_ARRAY)
		op_schema_perr(p, path, "default of a text[] column must be "
			       "an array of strings");
	else if (c->type == OP_T_UUID)
		op_schema_perr(p, path, "default of a uuid column must be a "
			       "UUID in its 36-character form");
	else
		op_schema_perr(p, path, "default does not match the column's "
			       "type %s", tn);
	return 0;
}

static int parse_on_delete(const char *s, enum op_on_delete *out)
{
	static const char *const names[] = {"no_action", "cascade",
					    "set_null", "restrict"};
	size_t i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum op_on_delete)i;
			return 1;
		}
	return 0;
}

static void parse_references(struct op_parse *p, struct op_column *c,
			     const cJSON *r, const char *path)
{
	static const char *const keys[] = {"table", "column", "on_delete",
					   NULL};
	const cJSON *t, *col, *od;
	char kp[OP_PATH_MAX];

	if (!cJSON_IsObject(r)) {
		op_schema_perr(p, path, "must be an object {\"table\": ..., "
			       "\"column\": ..., \"on_delete\": ...}");
		return;
	}
	op_schema_check_keys(p, r, path, keys);
	t = cJSON_GetObjectItemCaseSensitive(r, "table");
	col = cJSON_GetObjectItemCaseSensitive(r, "column");
	od = cJSON_GetObjectItemCaseSensitive(r, "on_delete");
	op_schema_path_key(kp, path, "table");
	if (!cJSON_IsString(t))
		op_schema_perr(p, t ? kp : path, "%s", t ? "must be a string"
					   : "missing \"table\"");
	else if (!(c->ref_table = op_strdup(t->valuestring)))
		p->oom = 1;
	op_schema_path_key(kp, path, "column");
	if (col && !cJSON_IsString(col))
		op_schema_perr(p, kp, "must be a string");
	else if (col && !(c->ref_column = op_strdup(col->valuestring)))
		p->oom = 1;
	op_schema_path_key(kp, path, "on_delete");
	if (od && (!cJSON_IsString(od) ||
		   !parse_on_delete(od->valuestring, &c->on_delete)))
		op_schema_perr(p, kp, "must be one of cascade, set_null, "
			       "restrict, no_action");
	if (c->on_delete == OP_DEL_SET_NULL && c->not_null)
		op_schema_perr(p, kp, "set_null on a not_null column");
}

static void parse_column(struct op_parse *p, struct op_column *c,
			 const cJSON *v, const char *path, int is_property)
{
	static const char *const keys[] = {
		"type",	  "primary_key", "not_null",  "unique",
		"default", "references", "encrypted", NULL};
	static const char *const prop_keys[] = {"type", "not_null",
						"default", "encrypted", NULL};
	const cJSON *t, *d, *r;
	char kp[OP_PATH_MAX];

	if (!cJSON_IsObject(v)) {
		op_schema_perr(p, path, "a column must be an object such as "
			       "{\"type\": \"text\"}");
		return;
	}
	op_schema_check_keys(p, v, path, is_property ? prop_keys : keys);
	t = cJSON_GetObjectItemCaseSensitive(v, "type");
	op_schema_path_key(kp, path, "type");
	if (!t) {
		op_schema_perr(p, path, "missing \"type\"");
		return;
	}
	if (!cJSON_IsString(t) || !parse_type(t->valuestring, &c->type)) {
		char shown[80];

		op_show(shown, sizeof(shown),
			       cJSON_IsString(t) ? t->valuestring : "?");
		op_schema_perr(p, kp, "unknown type \"%s\" (expected one of: "
			       "uuid, text, integer, real, boolean, "
			       "timestamp, date, json, blob, text[], "
			       "password)", shown);
		return;
	}
	op_schema_get_bool(p, v, "primary_key", path, &c->primary_key);
	op_schema_get_bool(p, v, "not_null", path, &c->not_null);
	op_schema_get_bool(p, v, "unique", path, &c->unique);
	op_schema_get_bool(p, v, "encrypted", path, &c->encrypted);
	if (c->primary_key && c->type != OP_T_UUID) {
		op_schema_path_key(kp, path, "primary_key");
		op_schema_perr(p, kp, "the primary key must be of type uuid, "
			       "not %s", op_schema_type_name(c->type));
	}
	if (c->primary_key)
		c->not_null = 1;
	d = cJSON_GetObjectItemCaseSensitive(v, "default");
	op_schema_path_key(kp, path, "default");
	if (d && c->primary_key)
		op_schema_perr(p, kp, "the primary key's default is always "
			       "a fresh UUID v7");
	else if (d && !cJSON_IsNull(d))
		parse_default(p, c, d, kp);
	r = cJSON_GetObjectItemCaseSensitive(v, "references");
	op_schema_path_key(kp, path, "references");
	if (r)
		parse_references(p, c, r, kp);
	if (c->encrypted && (c->primary_key || c->unique || c->ref_table ||
			     c->type == OP_T_PASSWORD)) {
		op_schema_path_key(kp, path, "encrypted");
		op_schema_perr(p, kp, "an encrypted column cannot be a "
			       "primary key, unique, a reference or a "
			       "password");
	}
}

int op_schema_parse_columns(struct op_parse *p, const cJSON *cols,
			    const char *path, int is_property,
			    struct op_column **out, size_t *n)
{
	const cJSON *v;
	size_t count = 0, i = 0, j;

	*out = NULL;
	*n = 0;
	if (!cJSON_IsObject(cols)) {
		op_schema_perr(p, path, "must be an object of columns, name "
			       "to definition");
		return 0;
	}
	op_schema_check_keys(p, cols, path, NULL);
	cJSON_ArrayForEach(v, cols) count++;
	if (count == 0 && !is_property) {
		op_schema_perr(p, path, "a table needs at least one column");
		return 0;
	}
	*out = op_calloc(count, sizeof(**out));
	if (!*out) {
		p->oom = 1;
		return 0;
	}
	cJSON_ArrayForEach(v, cols)
	{
		struct op_column *c = &(*out)[i++];
		char kp[OP_PATH_MAX];

		op_schema_path_key(kp, path, v->string);
		if (!(c->name = op_strdup(v->string))) {
			p->oom = 1;
			continue;
		}
		if (op_schema_check_name(p, c->name, kp, "column"))
			for (j = 0; j + 1 < i; j++)
				if ((*out)[j].name &&
				    strcasecmp((*out)[j].name, c->name) == 0 &&
				    strcmp((*out)[j].name, c->name) != 0)
					op_schema_perr(p, kp, "column \"%s\" "
						       "differs from column "
						       "\"%s\" only in case",
						       c->name, (*out)[j].name);
		parse_column(p, c, v, kp, is_property);
	}
	*n = count;
	return 1;
}
