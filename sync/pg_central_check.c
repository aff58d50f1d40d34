/* pg_central_check.c - `schema check --pg`: every difference between a
 * schema and what central really holds (the recorded version, tables,
 * columns and their types, row-level security, capture triggers,
 * outpost's own tables), each reported by name, read from PostgreSQL's
 * own catalog rather than from what outpost recorded. */
#include <string.h>

#include "pg_central_int.h"

struct drift {
	struct op_pg_central *c;
	struct op_buf *out;
	int n;
	struct op_err *err;
};

static void report(struct drift *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void report(struct drift *d, const char *fmt, ...)
{
	va_list ap;

	op_buf_adds(d->out, "central: ");
	va_start(ap, fmt);
	op_buf_vaddf(d->out, fmt, ap);
	va_end(ap);
	op_buf_adds(d->out, "\n");
	d->n++;
}

static const char *const own_tables[] = {
	"meta", "catalog", "changes", "clocks", "edges", "devices",
	"device_scopes", "batches", "hlc_state"};

static int check_own(struct drift *d)
{
	PGresult *r = NULL;
	size_t i;
	int rc = OUTPOST_OK;

	for (i = 0; rc == OUTPOST_OK && i < 9; i++) {
		char name[64];
		const char *p[1] = {name};

		snprintf(name, sizeof(name), "outpost.%s", own_tables[i]);
		rc = op_pg_central_query(
			&r, d->c, "SELECT c.relrowsecurity, EXISTS (SELECT 1 "
			"FROM pg_trigger t WHERE t.tgrelid = c.oid AND "
			"t.tgname = 'outpost_capture' AND t.tgenabled <> 'D') "
			"FROM pg_class c WHERE c.oid = to_regclass($1)", 1, p,
			"reading outpost's tables", d->err);
		if (rc == OUTPOST_OK && PQntuples(r) == 0)
			report(d, "table %s: missing", name);
		else if (rc == OUTPOST_OK && !strcmp(own_tables[i], "changes") &&
			 strcmp(PQgetvalue(r, 0, 0), "t"))
			report(d, "table %s: row-level security is off (every "
			       "device reads every scope's changes)", name);
		else if (rc == OUTPOST_OK && !strcmp(own_tables[i], "edges") &&
			 strcmp(PQgetvalue(r, 0, 1), "t"))
			report(d, "table %s: capture trigger outpost_capture "
			       "missing or disabled", name);
		PQclear(r);
	}
	return rc;
}

static int check_columns(struct drift *d, const struct op_table *t,
			 const char *qname)
{
	const char *p[1] = {qname};
	PGresult *r = NULL;
	size_t i;
	int j, rc = op_pg_central_query(
		&r, d->c, "SELECT a.attname, format_type(a.atttypid, "
		"a.atttypmod), a.attnotnull FROM pg_attribute a WHERE "
		"a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT "
		"a.attisdropped ORDER BY a.attnum", 1, p, "reading the columns "
		"of a central table", d->err);

	for (j = 0; rc == OUTPOST_OK && j < PQntuples(r); j++) {
		const char *name = PQgetvalue(r, j, 0);
		const struct op_column *c = op_schema_column(t, name);
		const char *want = c ? op_pg_central_type(c->type) : NULL;
		int nn = !strcmp(PQgetvalue(r, j, 2), "t");

		if (!c)
			report(d, "column %s.%s: in central, not in the schema",
			       t->name, name);
		else if (strcmp(PQgetvalue(r, j, 1), want))
			report(d, "column %s.%s: type %s in central, %s (%s) "
			       "in the schema", t->name, name,
			       PQgetvalue(r, j, 1), want,
			       op_schema_type_name(c->type));
		else if (nn != (c->not_null || c->primary_key))
			report(d, "column %s.%s: %s in central, %s in the "
			       "schema", t->name, name,
			       nn ? "NOT NULL" : "nullable",
			       nn ? "nullable" : "NOT NULL");
	}
	for (i = 0; rc == OUTPOST_OK && i < t->ncols; i++) {
		for (j = 0; j < PQntuples(r); j++)
			if (!strcmp(PQgetvalue(r, j, 0), t->cols[i].name))
				break;
		if (j == PQntuples(r))
			report(d, "column %s.%s: missing from central",
			       t->name, t->cols[i].name);
	}
	PQclear(r);
	return rc;
}

static int check_table(struct drift *d, const struct op_table *t)
{
	struct op_buf q = {0};
	const char *p[1];
	PGresult *r = NULL;
	int rc;

	op_buf_adds(&q, "public.");
	op_pg_central_ident(&q, t->name);
	p[0] = op_buf_str(&q);
	rc = op_pg_central_query(
		&r, d->c, "SELECT c.relrowsecurity, EXISTS (SELECT 1 FROM "
		"pg_policy p WHERE p.polrelid = c.oid AND p.polname = "
		"'outpost_scope'), EXISTS (SELECT 1 FROM pg_trigger t WHERE "
		"t.tgrelid = c.oid AND t.tgname = 'outpost_capture' AND "
		"t.tgenabled <> 'D'), EXISTS (SELECT 1 FROM pg_trigger t WHERE "
		"t.tgrelid = c.oid AND t.tgname = 'outpost_node_delete' AND "
		"t.tgenabled <> 'D') FROM pg_class c WHERE c.oid = "
		"to_regclass($1)", 1, p, "reading a central table", d->err);
	if (rc == OUTPOST_OK && PQntuples(r) == 0) {
		report(d, "%s %s: missing from central",
		       t->is_node ? "node label" : "table", t->name);
	} else if (rc == OUTPOST_OK) {
		if (t->scope_name && strcmp(PQgetvalue(r, 0, 0), "t"))
			report(d, "table %s: row-level security is off (its "
			       "scope %s is not enforced)", t->name,
			       t->scope_name);
		else if (t->scope_name && strcmp(PQgetvalue(r, 0, 1), "t"))
			report(d, "table %s: policy outpost_scope missing (its "
			       "scope %s is not enforced)", t->name,
			       t->scope_name);
		if (strcmp(PQgetvalue(r, 0, 2), "t"))
			report(d, "table %s: capture trigger outpost_capture "
			       "missing or disabled (direct writes are not "
			       "captured)", t->name);
		if (t->is_node && strcmp(PQgetvalue(r, 0, 3), "t"))
			report(d, "node label %s: trigger outpost_node_delete "
			       "missing or disabled (deleting a node leaves "
			       "its edges)", t->name);
		rc = check_columns(d, t, p[0]);
	}
	PQclear(r);
	op_buf_free(&q);
	return rc;
}

static int check_extra(struct drift *d, const struct op_schema *s)
{
	PGresult *r = NULL;
	int j, rc = op_pg_central_query(
		&r, d->c, "SELECT c.relname FROM pg_class c JOIN pg_namespace "
		"n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND "
		"c.relkind IN ('r', 'p') ORDER BY 1", 0, NULL, "listing the "
		"central tables", d->err);

	for (j = 0; rc == OUTPOST_OK && j < PQntuples(r); j++) {
		const struct op_table *t = op_schema_table(s,
							   PQgetvalue(r, j, 0));

		if (!t || !op_pg_central_synced(t->policy))
			report(d, "table %s: in central, not in the schema",
			       PQgetvalue(r, j, 0));
	}
	PQclear(r);
	return rc;
}

static int check_version(struct drift *d, const struct op_schema *s)
{
	char *name = NULL;
	int64_t version = 0;
	int rc = op_pg_central_meta(&name, &version, NULL, d->c, d->err);

	if (rc == OUTPOST_OK &&
	    (strcmp(name, s->name) || version != s->version))
		report(d, "schema version: central is at %s version %lld, the "
		       "schema is %s version %lld", name, (long long)version,
		       s->name, (long long)s->version);
	op_free(name);
	return rc;
}

int op_pg_central_check(struct op_buf *report_out, int *n,
			struct op_pg_central *c, const struct op_schema *s,
			struct op_err *err)
{
	struct drift d = {c, report_out, 0, err};
	size_t i;
	int rc, have = 0;

	*n = 0;
	rc = op_pg_central_installed(&have, c, err);
	if (rc == OUTPOST_OK && !have) {
		report(&d, "no outpost objects (run outpost central init)");
		*n = d.n;
		return OUTPOST_OK;
	}
	if (rc == OUTPOST_OK)
		rc = check_version(&d, s);
	if (rc == OUTPOST_OK)
		rc = check_own(&d);
	for (i = 0; rc == OUTPOST_OK && i < s->ntables; i++)
		if (op_pg_central_synced(s->tables[i].policy))
			rc = check_table(&d, &s->tables[i]);
	if (rc == OUTPOST_OK)
		rc = check_extra(&d, s);
	*n = d.n;
	return rc;
}
