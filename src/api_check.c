/* api_check.c - `schema check`: every difference between a schema
 * declaration and the store's actual tables, columns, foreign keys,
 * indexes and capture triggers, each reported by name. */
#include <string.h>
#include <strings.h>

#include "api_int.h"

struct drift {
	outpost *db;
	struct op_buf out;
	int n;
};

static void report(struct drift *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void report(struct drift *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	op_buf_vaddf(&d->out, fmt, ap);
	va_end(ap);
	op_buf_adds(&d->out, "\n");
	d->n++;
}

/* "(expr)" and "expr" are the same default. */
static int same_default(const char *want, const char *have)
{
	size_t n;

	if (!want || !have)
		return !want && !have;
	if (strcmp(want, have) == 0)
		return 1;
	n = strlen(want);
	return want[0] == '(' && n >= 2 && strlen(have) == n - 2 &&
	       strncmp(want + 1, have, n - 2) == 0;
}

static const char *sqlite_type_of(enum op_type t)
{
	return t == OP_T_INTEGER || t == OP_T_BOOLEAN ? "INTEGER"
	       : t == OP_T_REAL			      ? "REAL"
	       : t == OP_T_BLOB			      ? "BLOB"
							      : "TEXT";
}

/* *missing = 1 when the whole table is absent. */
static int check_columns(struct drift *d, const struct op_table *t,
			 int *missing)
{
	struct op_stmt *st = NULL;
	size_t i, seen = 0;
	char *found = op_calloc(t->ncols + 1, 1);
	int rc;

	*missing = 0;
	if (!found)
		return op_err_set(&d->db->err, OUTPOST_ENOMEM, "out of memory");
	rc = op_rel_prepare(&st, d->db->rel, "SELECT name, type, \"notnull\", "
			    "dflt_value FROM pragma_table_xinfo(?1)", NULL,
			    &d->db->err);
	if (rc == OUTPOST_OK)
		op_rel_bind_text(st, 1, t->name);
	while (rc == OUTPOST_OK && (rc = op_rel_step(st, &d->db->err)) ==
					   OP_ROW) {
		const char *name = op_rel_col_text(st, 0);
		const char *type = op_rel_col_text(st, 1);
		const struct op_column *c = op_schema_column(t, name);
		int nn = (int)op_rel_col_int(st, 2);
		const char *dflt = op_rel_col_text(st, 3);

		rc = OUTPOST_OK;
		seen++;
		if (!c) {
			report(d, "column %s.%s: in the store, not in the "
			       "schema", t->name, name);
			continue;
		}
		found[c - t->cols] = 1;
		if (strcasecmp(type ? type : "", sqlite_type_of(c->type)))
			report(d, "column %s.%s: type %s in the store, %s (%s) "
			       "in the schema", t->name, c->name, type,
			       sqlite_type_of(c->type),
			       op_schema_type_name(c->type));
		if (nn != c->not_null)
			report(d, "column %s.%s: %s in the store, %s in the "
			       "schema", t->name, c->name,
			       nn ? "NOT NULL" : "nullable",
			       c->not_null ? "NOT NULL" : "nullable");
		if (!c->primary_key && !same_default(c->default_sql, dflt))
			report(d, "column %s.%s: default %s in the store, %s "
			       "in the schema", t->name, c->name,
			       dflt ? dflt : "none",
			       c->default_sql ? c->default_sql : "none");
	}
	op_rel_finalize(st);
	*missing = rc == OUTPOST_OK && seen == 0;
	if (*missing)
		report(d, "%s %s: missing from the store",
		       t->is_node ? "node label" : "table", t->name);
	else if (rc == OUTPOST_OK)
		for (i = 0; i < t->ncols; i++)
			if (!found[i])
				report(d, "column %s.%s: missing from the "
				       "store", t->name, t->cols[i].name);
	op_free(found);
	return rc;
}

static int check_foreign_keys(struct drift *d, const struct op_table *t)
{
	struct op_stmt *st = NULL;
	size_t i;
	int rc = OUTPOST_OK;

	for (i = 0; rc == OUTPOST_OK && i < t->ncols; i++) {
		const struct op_column *c = &t->cols[i];
		int found = 0;

		rc = op_rel_prepare(&st, d->db->rel, "SELECT \"table\", "
				    "\"to\", on_delete FROM "
				    "pragma_foreign_key_list(?1) WHERE "
				    "\"from\" = ?2", NULL, &d->db->err);
		if (rc != OUTPOST_OK)
			break;
		op_rel_bind_text(st, 1, t->name);
		op_rel_bind_text(st, 2, c->name);
		while ((rc = op_rel_step(st, &d->db->err)) == OP_ROW) {
			const char *rt = op_rel_col_text(st, 0);
			const char *rcol = op_rel_col_text(st, 1);
			const char *od = op_rel_col_text(st, 2);

			found = 1;
			if (!c->ref_table)
				report(d, "column %s.%s: references %s in the "
				       "store, nothing in the schema",
				       t->name, c->name, rt);
			else if (strcasecmp(rt, c->ref_table) ||
				 strcasecmp(rcol ? rcol : "", c->ref_column) ||
				 strcasecmp(od, op_schema_on_delete_sql(
							c->on_delete)))
				report(d, "column %s.%s: references %s(%s) on "
				       "delete %s in the store, %s(%s) on "
				       "delete %s in the schema", t->name,
				       c->name, rt, rcol ? rcol : "?", od,
				       c->ref_table, c->ref_column,
				       op_schema_on_delete_sql(c->on_delete));
		}
		if (rc == OUTPOST_OK && !found && c->ref_table)
			report(d, "column %s.%s: the reference to %s is "
			       "missing from the store", t->name, c->name,
			       c->ref_table);
		op_rel_finalize(st);
		st = NULL;
	}
	return rc;
}

/* Compare the store's objects of one kind (index or trigger) on t with
 * the expected ones, by name and by their exact SQL. */
static int check_objects(struct drift *d, const struct op_table *t,
			 const char *kind, const struct op_object *want,
			 size_t n, const char *why)
{
	struct op_stmt *st = NULL;
	char *found = op_calloc(n + 1, 1);
	size_t i;
	int rc;

	if (!found)
		return op_err_set(&d->db->err, OUTPOST_ENOMEM, "out of memory");
	rc = op_rel_prepare(&st, d->db->rel, "SELECT name, sql FROM "
			    "sqlite_master WHERE type = ?1 AND tbl_name = ?2 "
			    "AND sql IS NOT NULL", NULL, &d->db->err);
	if (rc == OUTPOST_OK) {
		op_rel_bind_text(st, 1, kind);
		op_rel_bind_text(st, 2, t->name);
	}
	while (rc == OUTPOST_OK &&
	       (rc = op_rel_step(st, &d->db->err)) == OP_ROW) {
		const char *name = op_rel_col_text(st, 0);
		const char *sql = op_rel_col_text(st, 1);

		rc = OUTPOST_OK;
		for (i = 0; i < n && strcmp(want[i].name, name); i++)
			;
		if (i == n) {
			report(d, "%s %s on %s: in the store, not made by the "
			       "schema", kind, name, t->name);
			continue;
		}
		found[i] = 1;
		if (strcmp(want[i].sql, sql))
			report(d, "%s %s on %s: differs from the schema's "
			       "definition", kind, name, t->name);
	}
	op_rel_finalize(st);
	for (i = 0; rc == OUTPOST_OK && i < n; i++)
		if (!found[i])
			report(d, "%s %s on %s: missing from the store%s",
			       kind, want[i].name, t->name, why);
	op_free(found);
	return rc;
}

static int check_indexes(struct drift *d, const struct op_table *t)
{
	struct op_object *ix = NULL;
	size_t n = 0;
	int rc = op_schema_indexes(&ix, &n, t);

	if (rc != OUTPOST_OK)
		return op_err_set(&d->db->err, rc, "out of memory");
	rc = check_objects(d, t, "index", ix, n, "");
	op_schema_objects_free(ix, n);
	return rc;
}

static int check_triggers(struct drift *d, const struct op_table *t)
{
	struct op_object *tr = NULL;
	size_t n = 0;
	int rc = op_schema_triggers(&tr, &n, t);

	if (rc != OUTPOST_OK)
		return op_err_set(&d->db->err, rc, "out of memory");
	rc = check_objects(d, t, "trigger", tr, n,
			   " (writes to the table are not captured or "
			   "guarded)");
	op_schema_objects_free(tr, n);
	return rc;
}

static int check_extra_tables(struct drift *d, const struct op_schema *s)
{
	struct op_stmt *st = NULL;
	int rc = op_rel_prepare(&st, d->db->rel, "SELECT name FROM "
				"sqlite_master WHERE type = 'table' AND name "
				"NOT LIKE '\\_outpost%' ESCAPE '\\' AND name "
				"NOT LIKE 'sqlite\\_%' ESCAPE '\\'", NULL,
				&d->db->err);

	while (rc == OUTPOST_OK &&
	       (rc = op_rel_step(st, &d->db->err)) == OP_ROW) {
		const char *name = op_rel_col_text(st, 0);

		rc = OUTPOST_OK;
		if (!op_schema_table(s, name))
			report(d, "table %s: in the store, not in the schema "
			       "(not synced)", name);
	}
	op_rel_finalize(st);
	return rc;
}

static int check_all(struct drift *d, const struct op_schema *s)
{
	struct op_schema *rec = NULL;
	size_t i;
	int rc = op_api_schema_current(d->db, &rec);

	if (rc != OUTPOST_OK)
		return rc;
	if (!rec)
		report(d, "schema: none applied to the store; the file "
		       "declares %s version %lld", s->name,
		       (long long)s->version);
	else if (rec->version != s->version || strcmp(rec->name, s->name))
		report(d, "schema version: the store is at %s version %lld, "
		       "the file is %s version %lld", rec->name,
		       (long long)rec->version, s->name,
		       (long long)s->version);
	op_schema_free(rec);
	for (i = 0; rc == OUTPOST_OK && i < s->ntables; i++) {
		const struct op_table *t = &s->tables[i];
		int missing = 0;

		rc = check_columns(d, t, &missing);
		if (missing)
			continue; /* one line says it all */
		if (rc == OUTPOST_OK)
			rc = check_foreign_keys(d, t);
		if (rc == OUTPOST_OK)
			rc = check_indexes(d, t);
		if (rc == OUTPOST_OK)
			rc = check_triggers(d, t);
	}
	if (rc == OUTPOST_OK)
		rc = check_extra_tables(d, s);
	return rc;
}

int outpost_schema_check(char **out, outpost *db, const char *path)
{
	struct drift d = {db, {0}, 0};
	struct op_schema *s = NULL;
	int rc;

	if (!out || !db)
		return OUTPOST_EMISUSE;
	*out = NULL;
	rc = path ? op_schema_load(&s, path, &db->err)
		  : op_api_schema_current(db, &s);
	if (rc != OUTPOST_OK)
		return rc;
	if (!s)
		return op_err_set(&db->err, OUTPOST_ENOTFOUND, "no schema has "
				  "been applied to this store; name a schema "
				  "file");
	rc = op_rel_begin_read(db->rel, &db->err);
	if (rc == OUTPOST_OK) {
		rc = check_all(&d, s);
		op_rel_rollback(db->rel);
	}
	if (rc == OUTPOST_OK && d.out.oom)
		rc = op_err_set(&db->err, OUTPOST_ENOMEM, "out of memory");
	if (rc == OUTPOST_OK && d.n > 0) {
		if (d.out.len && d.out.p[d.out.len - 1] == '\n')
			d.out.p[--d.out.len] = '\0';
		*out = op_buf_take(&d.out);
		rc = op_err_set(&db->err, OUTPOST_EDRIFT, "%d difference%s "
				"between the schema and the store", d.n,
				d.n == 1 ? "" : "s");
	}
	op_buf_free(&d.out);
	op_schema_free(s);
	return rc;
}
