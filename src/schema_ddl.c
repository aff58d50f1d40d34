/* schema_ddl.c - SQLite DDL from the schema model: STRICT tables whose
 * CHECKs hold each portable type to its stored form, foreign keys, and
 * indexes (unique columns get a named unique index, so a unique column can
 * be added later without rebuilding the table). */
#include <string.h>

#include "rel.h"
#include "schema_int.h"

/* A UUID v7 made by SQLite itself, so rows inserted by any SQLite client
 * get a time-ordered id: ms timestamp, version 7, variant 10, random. */
#define UUID_V7_SQL                                                          \
	"(lower(printf('%08x-%04x-7%03x-%x%03x-%012x',"                      \
	"CAST((julianday('now')-2440587.5)*86400000 AS INTEGER)>>16,"        \
	"CAST((julianday('now')-2440587.5)*86400000 AS INTEGER)&65535,"      \
	"random()&4095,8+(random()&3),random()&4095,"                        \
	"random()&281474976710655)))"

#define HEX "[0-9a-f]"
#define HEX4 HEX HEX HEX HEX
#define UUID_GLOB HEX4 HEX4 "-" HEX4 "-" HEX4 "-" HEX4 "-" HEX4 HEX4 HEX4

static const char *sqlite_type(enum op_type t)
{
	switch (t) {
	case OP_T_INTEGER:
	case OP_T_BOOLEAN:
		return "INTEGER";
	case OP_T_REAL:
		return "REAL";
	case OP_T_BLOB:
		return "BLOB";
	default:
		return "TEXT";
	}
}

const char *op_schema_on_delete_sql(enum op_on_delete d)
{
	switch (d) {
	case OP_DEL_CASCADE: return "CASCADE";
	case OP_DEL_SET_NULL: return "SET NULL";
	case OP_DEL_RESTRICT: return "RESTRICT";
	default: return "NO ACTION";
	}
}

/* CHECK holding the column to its type's stored form; NULL passes. */
static void type_check(struct op_buf *b, const struct op_column *c)
{
	struct op_buf q = {0};
	const char *n;

	op_rel_quote_ident(&q, c->name);
	n = op_buf_str(&q);
	switch (c->type) {
	case OP_T_UUID:
		op_buf_addf(b, " CHECK (%s GLOB '%s')", n, UUID_GLOB);
		break;
	case OP_T_BOOLEAN:
		/* Not IN (0, 1): that builds an ephemeral table per row. */
		op_buf_addf(b, " CHECK (%s = 0 OR %s = 1)", n, n);
		break;
	case OP_T_TIMESTAMP:
		/* IS, not =: date() of garbage is NULL, and a CHECK that
		 * is NULL passes. */
		op_buf_addf(b, " CHECK (%s IS NULL OR (%s GLOB '[0-9][0-9][0-9]"
			    "[0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]"
			    ":[0-6][0-9]*Z' AND date(%s, '+0 days') IS "
			    "substr(%s, 1, 10) AND time(%s) IS NOT NULL))",
			    n, n, n, n, n);
		break;
	case OP_T_DATE:
		op_buf_addf(b, " CHECK (%s IS NULL OR date(%s, '+0 days') IS "
			    "%s)", n, n, n);
		break;
	case OP_T_JSON:
		op_buf_addf(b, " CHECK (%s IS NULL OR json_valid(%s))", n, n);
		break;
	case OP_T_TEXT_ARRAY:
		op_buf_addf(b, " CHECK (%s IS NULL OR (json_valid(%s) AND "
			    "json_type(%s) = 'array'))", n, n, n);
		break;
	default:
		break;
	}
	op_buf_free(&q);
}

void op_schema_sql_column(struct op_buf *b, const struct op_table *t,
			  const struct op_column *c)
{
	(void)t;
	op_rel_quote_ident(b, c->name);
	op_buf_addf(b, " %s", sqlite_type(c->type));
	if (c->not_null)
		op_buf_adds(b, " NOT NULL");
	if (c->primary_key)
		op_buf_adds(b, " PRIMARY KEY DEFAULT " UUID_V7_SQL);
	else if (c->default_sql)
		op_buf_addf(b, " DEFAULT %s", c->default_sql);
	if (c->ref_table) {
		op_buf_adds(b, " REFERENCES ");
		op_rel_quote_ident(b, c->ref_table);
		op_buf_adds(b, "(");
		op_rel_quote_ident(b, c->ref_column);
		/* Deferred: a sync batch or a script may insert a child
		 * before its parent; the check runs at commit. */
		op_buf_addf(b, ") ON DELETE %s DEFERRABLE INITIALLY DEFERRED",
			    op_schema_on_delete_sql(c->on_delete));
	}
	type_check(b, c);
}

void op_schema_sql_table(struct op_buf *b, const struct op_table *t,
			 const char *as)
{
	size_t i;

	op_buf_adds(b, "CREATE TABLE ");
	op_rel_quote_ident(b, as ? as : t->name);
	op_buf_adds(b, " (\n");
	for (i = 0; i < t->ncols; i++) {
		op_buf_adds(b, "  ");
		op_schema_sql_column(b, t, &t->cols[i]);
		op_buf_adds(b, i + 1 < t->ncols ? ",\n" : "\n");
	}
	op_buf_adds(b, ") STRICT;\n");
}

void op_schema_index_name(struct op_buf *b, const struct op_table *t,
			  const struct op_index *ix)
{
	size_t i;

	if (ix->name) {
		op_buf_adds(b, ix->name);
		return;
	}
	op_buf_adds(b, t->name);
	for (i = 0; i < ix->ncols; i++)
		op_buf_addf(b, "_%s", ix->cols[i] ? ix->cols[i] : "");
	op_buf_adds(b, "_idx");
}

void op_schema_unique_index_name(struct op_buf *b, const struct op_table *t,
				 const struct op_column *c)
{
	op_buf_addf(b, "%s_%s_key", t->name, c->name);
}

void op_schema_object_add(struct op_object_list *l, struct op_buf *name,
			  struct op_buf *sql)
{
	struct op_object *grown;

	grown = op_realloc(l->v, (l->n + 1) * sizeof(*grown));
	if (!grown || sql->oom || name->oom) {
		l->oom = 1;
		op_buf_free(name);
		op_buf_free(sql);
		return;
	}
	l->v = grown;
	l->v[l->n].name = op_buf_take(name);
	l->v[l->n].sql = op_buf_take(sql);
	if (!l->v[l->n].name || !l->v[l->n].sql)
		l->oom = 1;
	l->n++;
}

int op_schema_object_list_done(struct op_object_list *l,
			       struct op_object **out, size_t *n)
{
	if (l->oom) {
		op_schema_objects_free(l->v, l->n);
		*out = NULL;
		*n = 0;
		return OUTPOST_ENOMEM;
	}
	*out = l->v;
	*n = l->n;
	return OUTPOST_OK;
}

void op_schema_objects_free(struct op_object *o, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		op_free(o[i].name);
		op_free(o[i].sql);
	}
	op_free(o);
}

static void index_sql(struct op_buf *sql, const struct op_table *t,
		      const char *name, int unique, char *const *cols,
		      const int *desc, size_t ncols)
{
	size_t j;

	op_buf_addf(sql, "CREATE %sINDEX ", unique ? "UNIQUE " : "");
	op_rel_quote_ident(sql, name);
	op_buf_adds(sql, " ON ");
	op_rel_quote_ident(sql, t->name);
	op_buf_adds(sql, " (");
	for (j = 0; j < ncols; j++) {
		op_buf_adds(sql, j ? ", " : "");
		op_rel_quote_ident(sql, cols[j]);
		if (desc && desc[j])
			op_buf_adds(sql, " DESC");
	}
	op_buf_adds(sql, ")");
}

int op_schema_indexes(struct op_object **out, size_t *n,
		      const struct op_table *t)
{
	struct op_object_list l = {0};
	size_t i;

	for (i = 0; i < t->ncols; i++) {
		struct op_buf name = {0}, sql = {0};

		if (!t->cols[i].unique || t->cols[i].primary_key)
			continue;
		op_schema_unique_index_name(&name, t, &t->cols[i]);
		index_sql(&sql, t, op_buf_str(&name), 1, &t->cols[i].name,
			  NULL, 1);
		op_schema_object_add(&l, &name, &sql);
	}
	for (i = 0; i < t->nidx; i++) {
		struct op_buf name = {0}, sql = {0};

		op_schema_index_name(&name, t, &t->idx[i]);
		index_sql(&sql, t, op_buf_str(&name), t->idx[i].unique,
			  t->idx[i].cols, t->idx[i].desc, t->idx[i].ncols);
		op_schema_object_add(&l, &name, &sql);
	}
	return op_schema_object_list_done(&l, out, n);
}
