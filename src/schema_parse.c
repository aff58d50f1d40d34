/* schema_parse.c - read a schema file: JSON syntax, the top level, tables
 * and node labels, sync blocks and indexes. Relationship types and
 * migrations are in schema_reltype.c, cross-references in schema_refs.c. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "schema_int.h"

#define OP_SCHEMA_MAX_BYTES (16u << 20)

const char *op_schema_policy_name(enum op_policy p)
{
	switch (p) {
	case OP_SYNC_LWW: return "lww";
	case OP_SYNC_APPEND_ONLY: return "append_only";
	case OP_SYNC_CENTRAL_WINS: return "central_wins";
	case OP_SYNC_LOCAL_ONLY: return "local_only";
	}
	return "?";
}

int op_schema_parse_sync(struct op_parse *p, const cJSON *sync,
			 const char *path, int allow_scope,
			 enum op_policy *policy, char **scope_name,
			 char **scope_column)
{
	static const char *const keys[] = {"conflict", "scope", "local_only",
					   NULL};
	static const char *const rel_keys[] = {"conflict", NULL};
	static const char *const scope_keys[] = {"name", "column", NULL};
	const cJSON *c, *sc;
	char kp[OP_PATH_MAX];
	int local_only = 0;

	*policy = OP_SYNC_LWW;
	if (!sync)
		return 1;
	if (!cJSON_IsObject(sync)) {
		op_schema_perr(p, path, "must be an object such as "
			       "{\"conflict\": \"lww\"}");
		return 0;
	}
	op_schema_check_keys(p, sync, path, allow_scope ? keys : rel_keys);
	c = cJSON_GetObjectItemCaseSensitive(sync, "conflict");
	op_schema_path_key(kp, path, "conflict");
	if (c) {
		if (cJSON_IsString(c) && strcmp(c->valuestring, "lww") == 0)
			*policy = OP_SYNC_LWW;
		else if (cJSON_IsString(c) &&
			 strcmp(c->valuestring, "append_only") == 0)
			*policy = OP_SYNC_APPEND_ONLY;
		else if (cJSON_IsString(c) &&
			 strcmp(c->valuestring, "central_wins") == 0)
			*policy = OP_SYNC_CENTRAL_WINS;
		else
			op_schema_perr(p, kp, "must be one of lww, "
				       "append_only, central_wins");
	}
	if (!allow_scope)
		return 1;
	op_schema_get_bool(p, sync, "local_only", path, &local_only);
	sc = cJSON_GetObjectItemCaseSensitive(sync, "scope");
	if (local_only) {
		op_schema_path_key(kp, path, "local_only");
		if (c || sc)
			op_schema_perr(p, kp, "a local_only table is never "
				       "synced: it takes no conflict or "
				       "scope");
		*policy = OP_SYNC_LOCAL_ONLY;
		return 1;
	}
	if (!sc)
		return 1;
	op_schema_path_key(kp, path, "scope");
	if (!cJSON_IsObject(sc)) {
		op_schema_perr(p, kp, "must be an object {\"name\": ..., "
			       "\"column\": ...}");
		return 0;
	}
	op_schema_check_keys(p, sc, kp, scope_keys);
	c = cJSON_GetObjectItemCaseSensitive(sc, "name");
	if (!cJSON_IsString(c))
		op_schema_perr(p, kp, "scope needs a \"name\" (a string)");
	else if (op_schema_check_name(p, c->valuestring, kp, "scope") &&
		 !(*scope_name = op_strdup(c->valuestring)))
		p->oom = 1;
	c = cJSON_GetObjectItemCaseSensitive(sc, "column");
	if (!cJSON_IsString(c))
		op_schema_perr(p, kp, "scope needs a \"column\" (a string)");
	else if (!(*scope_column = op_strdup(c->valuestring)))
		p->oom = 1;
	return 1;
}

/* "col" or "col ASC" / "col DESC". */
static void parse_index_column(struct op_parse *p, struct op_index *ix,
			       size_t i, const cJSON *v, const char *path)
{
	const char *s, *sp;

	if (!cJSON_IsString(v)) {
		op_schema_perr(p, path, "an index column must be a string "
			       "such as \"created_at DESC\"");
		return;
	}
	s = v->valuestring;
	sp = strchr(s, ' ');
	if (sp && strcasecmp(sp + 1, "DESC") == 0)
		ix->desc[i] = 1;
	else if (sp && strcasecmp(sp + 1, "ASC") != 0) {
		char shown[80];

		op_show(shown, sizeof(shown), sp + 1);
		op_schema_perr(p, path, "unknown order \"%s\" (expected ASC "
			       "or DESC)", shown);
	}
	ix->cols[i] = sp ? op_strndup(s, (size_t)(sp - s)) : op_strdup(s);
	if (!ix->cols[i])
		p->oom = 1;
}

static void parse_index(struct op_parse *p, struct op_index *ix,
			const cJSON *v, const char *path)
{
	static const char *const keys[] = {"name", "columns", "unique", NULL};
	const cJSON *n, *cols, *c;
	char kp[OP_PATH_MAX];
	size_t i = 0;

	if (!cJSON_IsObject(v)) {
		op_schema_perr(p, path, "an index must be an object "
			       "{\"columns\": [...]}");
		return;
	}
	op_schema_check_keys(p, v, path, keys);
	op_schema_get_bool(p, v, "unique", path, &ix->unique);
	n = cJSON_GetObjectItemCaseSensitive(v, "name");
	op_schema_path_key(kp, path, "name");
	if (n && !cJSON_IsString(n))
		op_schema_perr(p, kp, "must be a string");
	else if (n && op_schema_check_name(p, n->valuestring, kp, "index") &&
		 !(ix->name = op_strdup(n->valuestring)))
		p->oom = 1;
	cols = cJSON_GetObjectItemCaseSensitive(v, "columns");
	op_schema_path_key(kp, path, "columns");
	if (!cJSON_IsArray(cols) || cJSON_GetArraySize(cols) == 0) {
		op_schema_perr(p, cols ? kp : path, "%s",
			       cols ? "must be a non-empty array of column "
				      "names"
				    : "missing \"columns\"");
		return;
	}
	ix->ncols = (size_t)cJSON_GetArraySize(cols);
	ix->cols = op_calloc(ix->ncols, sizeof(*ix->cols));
	ix->desc = op_calloc(ix->ncols, sizeof(*ix->desc));
	if (!ix->cols || !ix->desc) {
		p->oom = 1;
		ix->ncols = 0;
		return;
	}
	cJSON_ArrayForEach(c, cols)
	{
		char cp[OP_PATH_MAX];

		op_schema_path_idx(cp, kp, i);
		parse_index_column(p, ix, i++, c, cp);
	}
}

static void parse_table(struct op_parse *p, struct op_table *t,
			const cJSON *v, const char *path)
{
	static const char *const keys[] = {"columns", "indexes", "sync",
					   NULL};
	const cJSON *cols, *idx, *ix;
	char kp[OP_PATH_MAX];
	size_t i, npk = 0;

	if (!cJSON_IsObject(v)) {
		op_schema_perr(p, path, "must be an object {\"columns\": "
			       "...}");
		return;
	}
	op_schema_check_keys(p, v, path, keys);
	cols = cJSON_GetObjectItemCaseSensitive(v, "columns");
	op_schema_path_key(kp, path, "columns");
	if (!cols)
		op_schema_perr(p, path, "missing \"columns\"");
	else
		op_schema_parse_columns(p, cols, kp, 0, &t->cols, &t->ncols);
	for (i = 0; i < t->ncols; i++)
		if (t->cols[i].primary_key) {
			if (npk++ == 0)
				t->pk = i;
			else {
				char cp[OP_PATH_MAX];

				op_schema_path_key(cp, kp, t->cols[i].name);
				op_schema_perr(p, cp, "a second primary key "
					       "(the first is \"%s\")",
					       t->cols[t->pk].name);
			}
		}
	if (cols && t->ncols > 0 && npk == 0)
		op_schema_perr(p, kp, "no column has \"primary_key\": true "
			       "(every table needs a uuid primary key)");
	idx = cJSON_GetObjectItemCaseSensitive(v, "indexes");
	op_schema_path_key(kp, path, "indexes");
	if (idx && !cJSON_IsArray(idx))
		op_schema_perr(p, kp, "must be an array of indexes");
	else if (idx && cJSON_GetArraySize(idx) > 0) {
		t->nidx = (size_t)cJSON_GetArraySize(idx);
		if (!(t->idx = op_calloc(t->nidx, sizeof(*t->idx)))) {
			p->oom = 1;
			t->nidx = 0;
		}
		i = 0;
		cJSON_ArrayForEach(ix, idx)
		{
			char ip[OP_PATH_MAX];

			if (i >= t->nidx)
				break;
			op_schema_path_idx(ip, kp, i);
			parse_index(p, &t->idx[i++], ix, ip);
		}
	}
	op_schema_path_key(kp, path, "sync");
	op_schema_parse_sync(p, cJSON_GetObjectItemCaseSensitive(v, "sync"),
			     kp, 1, &t->policy, &t->scope_name,
			     &t->scope_column);
}

/* Names of tables and labels share one case-insensitive namespace. */
static void check_clash(struct op_parse *p, const struct op_table *t,
			const char *path)
{
	size_t i;

	for (i = 0; i + 1 < p->s->ntables; i++) {
		const struct op_table *o = &p->s->tables[i];

		if (strcasecmp(o->name, t->name) != 0)
			continue;
		if (strcmp(o->name, t->name) != 0)
			op_schema_perr(p, path, "\"%s\" clashes with \"%s\" "
				       "(names are compared without case)",
				       t->name, o->name);
		else if (o->is_node != t->is_node)
			op_schema_perr(p, path, "\"%s\" is declared both as "
				       "a table and as a node label", t->name);
	}
}

static void parse_tables(struct op_parse *p, const cJSON *obj,
			 const char *key, int is_node)
{
	const cJSON *v;
	char path[OP_PATH_MAX];
	size_t n = 0;
	struct op_table *grown;

	if (!obj)
		return;
	op_schema_path_key(path, "$", key);
	if (!cJSON_IsObject(obj)) {
		op_schema_perr(p, path, "must be an object, name to "
			       "definition");
		return;
	}
	op_schema_check_keys(p, obj, path, NULL);
	cJSON_ArrayForEach(v, obj) n++;
	grown = op_realloc(p->s->tables,
			   (p->s->ntables + n) * sizeof(*grown) + 1);
	if (!grown) {
		p->oom = 1;
		return;
	}
	p->s->tables = grown;
	cJSON_ArrayForEach(v, obj)
	{
		struct op_table *t = &p->s->tables[p->s->ntables];
		char tp[OP_PATH_MAX];

		memset(t, 0, sizeof(*t));
		op_schema_path_key(tp, path, v->string);
		if (!(t->name = op_strdup(v->string))) {
			p->oom = 1;
			break;
		}
		t->is_node = is_node;
		p->s->ntables++;
		if (op_schema_check_name(p, t->name, tp,
					 is_node ? "label" : "table"))
			check_clash(p, t, tp);
		parse_table(p, t, v, tp);
	}
}

static void parse_top(struct op_parse *p, const cJSON *root)
{
	static const char *const keys[] = {"schema", "version", "tables",
					   "nodes", "relationships",
					   "migrations", NULL};
	const cJSON *v;

	if (!cJSON_IsObject(root)) {
		op_schema_perr(p, "$", "a schema must be a JSON object");
		return;
	}
	op_schema_check_keys(p, root, "$", keys);
	v = cJSON_GetObjectItemCaseSensitive(root, "schema");
	if (!v)
		op_schema_perr(p, "$", "missing \"schema\" (the schema's "
			       "name)");
	else if (!cJSON_IsString(v))
		op_schema_perr(p, "$.schema", "must be a string");
	else if (op_schema_check_name(p, v->valuestring, "$.schema",
				      "schema") &&
		 !(p->s->name = op_strdup(v->valuestring)))
		p->oom = 1;
	v = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (!v)
		op_schema_perr(p, "$", "missing \"version\" (an integer >= "
			       "1)");
	else if (!cJSON_IsNumber(v) || v->valuedouble < 1 ||
		 v->valuedouble != floor(v->valuedouble) ||
		 v->valuedouble > 2147483647.0)
		op_schema_perr(p, "$.version", "must be an integer from 1 to "
			       "2147483647");
	else
		p->s->version = (int64_t)v->valuedouble;
	parse_tables(p, cJSON_GetObjectItemCaseSensitive(root, "tables"),
		     "tables", 0);
	parse_tables(p, cJSON_GetObjectItemCaseSensitive(root, "nodes"),
		     "nodes", 1);
	op_schema_parse_relationships(
		p, cJSON_GetObjectItemCaseSensitive(root, "relationships"),
		"$.relationships");
	op_schema_parse_migrations(
		p, cJSON_GetObjectItemCaseSensitive(root, "migrations"),
		"$.migrations");
	if (p->nerr == 0 && !p->oom)
		op_schema_check_refs(p);
}

/* Line and column of byte offset `at`, for JSON syntax errors. */
static void line_col(const char *text, size_t at, int *line, int *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < at; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

int op_schema_parse(struct op_schema **out, const char *file,
		    const char *text, size_t len, struct op_err *err)
{
	struct op_parse p = {0};
	const char *end = NULL;
	cJSON *root;
	int rc = OUTPOST_OK;

	*out = NULL;
	p.file = file;
	if (len > OP_SCHEMA_MAX_BYTES)
		return op_err_set(err, OUTPOST_ESCHEMA, "%s: larger than %u "
				  "bytes", file, OP_SCHEMA_MAX_BYTES);
	if (memchr(text, '\0', len))
		return op_err_set(err, OUTPOST_ESCHEMA, "%s: contains a NUL "
				  "byte; not a JSON text file", file);
	/* The terminating NUL is handed to cJSON too: it clamps an error
	 * past the end to the last byte, so without it a truncated file
	 * would blame its last character instead of its end. */
	root = cJSON_ParseWithLengthOpts(text, len + 1, &end, 0);
	if (root && end) {
		/* Only whitespace may follow the value. */
		while (end < text + len && (*end == ' ' || *end == '\n' ||
					    *end == '\r' || *end == '\t'))
			end++;
		if (end < text + len) {
			cJSON_Delete(root);
			root = NULL;
		}
	}
	if (!root) {
		int line, col;
		size_t at = end && end >= text ? (size_t)(end - text) : 0;

		if (at > len)
			at = len;
		line_col(text, at, &line, &col);
		return op_err_set(err, OUTPOST_ESCHEMA, "%s:%d:%d: invalid "
				  "JSON (%s)", file, line, col,
				  at >= len ? "unexpected end of file"
					    : "unexpected character");
	}
	p.s = op_calloc(1, sizeof(*p.s));
	if (!p.s) {
		cJSON_Delete(root);
		return op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	}
	p.s->file = op_strdup(file);
	p.s->json = cJSON_PrintUnformatted(root);
	if (!p.s->file || !p.s->json)
		p.oom = 1;
	else
		parse_top(&p, root);
	cJSON_Delete(root);
	if (p.oom || p.errs.oom)
		rc = op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	else if (p.nerr) {
		/* Drop the trailing newline: the message is lines. */
		if (p.errs.len && p.errs.p[p.errs.len - 1] == '\n')
			p.errs.p[--p.errs.len] = '\0';
		rc = op_err_set(err, OUTPOST_ESCHEMA, "%s",
				op_buf_str(&p.errs));
	}
	op_buf_free(&p.errs);
	if (rc != OUTPOST_OK) {
		op_schema_free(p.s);
		return rc;
	}
	*out = p.s;
	return OUTPOST_OK;
}

int op_schema_load(struct op_schema **out, const char *path,
		   struct op_err *err)
{
	char *text = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	rc = op_fs_read(&text, &len, path, OP_SCHEMA_MAX_BYTES, err);
	if (rc == OUTPOST_OK)
		rc = op_schema_parse(out, path, text, len, err);
	op_free(text);
	return rc;
}
