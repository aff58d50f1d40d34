/* pg_central_ddl.c - the central tables from the schema: one PostgreSQL
 * table per table and node label in schema public, with the portable
 * types mapped as sync/PROTOCOL.md "Central" lists, primary key, NOT NULL,
 * defaults, foreign keys (deferred to commit, as on the device, so a push
 * batch may insert a child before its parent) and indexes named as the
 * device names them. Identifiers always quoted; they come from the
 * schema only. */
#include <string.h>

#include "pg_central_int.h"

static void table_name(struct op_buf *b, const char *name)
{
	op_buf_adds(b, "public.");
	op_pg_central_ident(b, name);
}

/* The device's defaults, in PostgreSQL's words. The device's SQLite
 * literals are standard SQL literals; only booleans, text[] and "now"
 * need another spelling. */
static void sql_default(struct op_buf *b, const struct op_column *c)
{
	if (!c->default_sql)
		return;
	op_buf_adds(b, " DEFAULT ");
	switch (c->type) {
	case OP_T_BOOLEAN:
		op_buf_adds(b, strcmp(c->default_sql, "1") ? "false" : "true");
		break;
	case OP_T_TIMESTAMP:
		/* SQLite's 'now' is the statement's time, and so is this
		 * (now() would be the transaction's). */
		op_buf_adds(b, c->default_is_expr ? "statement_timestamp()"
						  : c->default_sql);
		break;
	case OP_T_DATE:
		/* date('now') is the UTC date on the device. */
		op_buf_adds(b, c->default_is_expr
				       ? "((statement_timestamp() AT TIME ZONE "
					 "'UTC')::date)"
				       : c->default_sql);
		break;
	case OP_T_TEXT_ARRAY:
		/* The device keeps a JSON array; a DEFAULT cannot hold the
		 * subquery that unpacks it, the helper can. */
		op_buf_addf(b, "outpost.text_array(%s)", c->default_sql);
		break;
	default:
		op_buf_adds(b, c->default_sql);
	}
}

static void sql_column(struct op_buf *b, const struct op_column *c)
{
	op_pg_central_ident(b, c->name);
	op_buf_addf(b, " %s", op_pg_central_type(c->type));
	if (c->not_null && !c->primary_key)
		op_buf_adds(b, " NOT NULL");
	if (c->primary_key)
		op_buf_adds(b, " PRIMARY KEY DEFAULT outpost.uuid_v7()");
	else
		sql_default(b, c);
	if (c->type == OP_T_PASSWORD) {
		/* The device's triggers refuse plain text; so does central,
		 * for writes that do not come through a device. */
		op_buf_adds(b, " CHECK (");
		op_pg_central_ident(b, c->name);
		op_buf_adds(b, " LIKE '$argon2id$v=19$m=%,t=%,p=%$%$%')");
	}
}

void op_pg_central_sql_table(struct op_buf *b, const struct op_table *t)
{
	size_t i;

	op_buf_adds(b, "CREATE TABLE ");
	table_name(b, t->name);
	op_buf_adds(b, " (\n");
	for (i = 0; i < t->ncols; i++) {
		op_buf_adds(b, "  ");
		sql_column(b, &t->cols[i]);
		op_buf_adds(b, i + 1 < t->ncols ? ",\n" : "\n");
	}
	op_buf_adds(b, ");\n");
}

static void sql_fkey(struct op_buf *b, const struct op_table *t,
		     const struct op_column *c, const struct op_schema *s)
{
	const struct op_table *rt = op_schema_table(s, c->ref_table);

	/* A reference to a local_only table has no central table to
	 * point at; the device enforces it. */
	if (!rt || !op_pg_central_synced(rt->policy))
		return;
	op_buf_adds(b, "ALTER TABLE ");
	table_name(b, t->name);
	op_buf_adds(b, " ADD FOREIGN KEY (");
	op_pg_central_ident(b, c->name);
	op_buf_adds(b, ") REFERENCES ");
	table_name(b, rt->name);
	op_buf_adds(b, " (");
	op_pg_central_ident(b, c->ref_column ? c->ref_column
					     : rt->cols[rt->pk].name);
	/* restrict becomes NO ACTION: PostgreSQL checks RESTRICT at once,
	 * even deferred, so a push that deletes a parent another device
	 * gave a child would fail before its orphan pass (outpost.
	 * push_orphans) could remove the child as devices do. A direct
	 * delete is still refused, at commit. */
	op_buf_addf(b, ") ON DELETE %s DEFERRABLE INITIALLY DEFERRED;\n",
		    c->on_delete == OP_DEL_RESTRICT
			    ? "NO ACTION"
			    : op_schema_on_delete_sql(c->on_delete));
}

void op_pg_central_sql_fkeys(struct op_buf *b, const struct op_table *t,
			     const struct op_schema *s)
{
	size_t i;

	for (i = 0; i < t->ncols; i++)
		if (t->cols[i].ref_table)
			sql_fkey(b, t, &t->cols[i], s);
}

void op_pg_central_sql_add_column(struct op_buf *b, const struct op_table *t,
				  const struct op_column *c,
				  const struct op_schema *s)
{
	op_buf_adds(b, "ALTER TABLE ");
	table_name(b, t->name);
	op_buf_adds(b, " ADD COLUMN ");
	sql_column(b, c);
	op_buf_adds(b, ";\n");
	if (c->ref_table)
		sql_fkey(b, t, c, s);
}

static void index_sql(struct op_buf *b, const struct op_table *t,
		      const char *name, int unique, char *const *cols,
		      const int *desc, size_t ncols)
{
	size_t j;

	op_buf_addf(b, "CREATE %sINDEX ", unique ? "UNIQUE " : "");
	op_pg_central_ident(b, name);
	op_buf_adds(b, " ON ");
	table_name(b, t->name);
	op_buf_adds(b, " (");
	for (j = 0; j < ncols; j++) {
		op_buf_adds(b, j ? ", " : "");
		op_pg_central_ident(b, cols[j]);
		if (desc && desc[j])
			op_buf_adds(b, " DESC");
	}
	op_buf_adds(b, ");\n");
}

void op_pg_central_sql_indexes(struct op_buf *b, const struct op_table *t)
{
	size_t i;

	for (i = 0; i < t->ncols; i++) {
		struct op_buf name = {0};

		if (!t->cols[i].unique || t->cols[i].primary_key)
			continue;
		/* A unique index, not a constraint: as on the device,
		 * turning `unique` on or off is an index change. */
		op_schema_unique_index_name(&name, t, &t->cols[i]);
		index_sql(b, t, op_buf_str(&name), 1, &t->cols[i].name, NULL,
			  1);
		op_buf_free(&name);
	}
	for (i = 0; i < t->nidx; i++) {
		struct op_buf name = {0};

		op_schema_index_name(&name, t, &t->idx[i]);
		index_sql(b, t, op_buf_str(&name), t->idx[i].unique,
			  t->idx[i].cols, t->idx[i].desc, t->idx[i].ncols);
		op_buf_free(&name);
	}
}

static void drop_index(struct op_buf *b, const struct op_buf *name)
{
	op_buf_adds(b, "DROP INDEX IF EXISTS public.");
	op_pg_central_ident(b, op_buf_str(name));
	op_buf_adds(b, ";\n");
}

void op_pg_central_sql_drop_indexes(struct op_buf *b,
				    const struct op_table *t)
{
	size_t i;

	for (i = 0; i < t->ncols; i++) {
		struct op_buf name = {0};

		if (!t->cols[i].unique || t->cols[i].primary_key)
			continue;
		op_schema_unique_index_name(&name, t, &t->cols[i]);
		drop_index(b, &name);
		op_buf_free(&name);
	}
	for (i = 0; i < t->nidx; i++) {
		struct op_buf name = {0};

		op_schema_index_name(&name, t, &t->idx[i]);
		drop_index(b, &name);
		op_buf_free(&name);
	}
}
