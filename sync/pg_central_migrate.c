/* pg_central_migrate.c - `central migrate`: central moves from the
 * schema version it records to a newer one, in one transaction. As on
 * the device (src/api_migrate.c): additive changes (table, label, type,
 * property, nullable or defaulted column, index) apply by themselves;
 * dropping a table, column or relationship type needs the file's
 * migration step, and is refused otherwise. Renames and column changes
 * are refused centrally for now, with a message saying so. Afterwards
 * the catalog, capture triggers, policies and every device's grants are
 * rewritten (op_pg_central_refresh). */
#include <string.h>
#include <strings.h>

#include "pg_central_int.h"

struct plan {
	const struct op_schema *old;
	const struct op_schema *s;
	struct op_buf ddl;
	struct op_buf fkeys; /* after every new table exists */
	struct op_err *err;
};

/* A step of a migration between the two versions. */
static const struct op_step *find_step(const struct plan *p,
				       enum op_step_kind k, const char *table,
				       const char *column)
{
	size_t i, j;

	for (i = 0; i < p->s->nmigs; i++) {
		const struct op_migration *m = &p->s->migs[i];

		if (m->version <= p->old->version || m->version > p->s->version)
			continue;
		for (j = 0; j < m->nsteps; j++) {
			const struct op_step *st = &m->steps[j];

			if (st->kind == k &&
			    (!table || (st->table && !strcasecmp(st->table,
								 table))) &&
			    (!column || (st->column && !strcasecmp(st->column,
								   column))))
				return st;
		}
	}
	return NULL;
}

static int refuse(struct plan *p, const char *what, const char *step)
{
	return op_err_set(p->err, OUTPOST_ESCHEMA, "central migrate to %s "
			  "version %lld: %s; %s", p->s->name,
			  (long long)p->s->version, what, step);
}

static int unsupported(struct plan *p)
{
	static const enum op_step_kind kinds[] = {OP_STEP_RENAME_TABLE,
						  OP_STEP_RENAME_COLUMN,
						  OP_STEP_CHANGE_COLUMN};
	size_t i;

	for (i = 0; i < 3; i++) {
		const struct op_step *st = find_step(p, kinds[i], NULL, NULL);

		if (st)
			return op_err_set(p->err, OUTPOST_ESCHEMA, "central "
					  "migrate: %s: %s: renaming tables "
					  "and columns and changing columns "
					  "are not supported centrally yet; "
					  "nothing was changed", p->s->file,
					  st->path);
	}
	return OUTPOST_OK;
}

static int same_column(const struct op_column *a, const struct op_column *b)
{
	return a->type == b->type && a->not_null == b->not_null &&
	       !strcmp(a->default_sql ? a->default_sql : "",
		       b->default_sql ? b->default_sql : "") &&
	       !strcasecmp(a->ref_table ? a->ref_table : "",
			   b->ref_table ? b->ref_table : "") &&
	       (!a->ref_table || (a->on_delete == b->on_delete &&
				  !strcasecmp(a->ref_column, b->ref_column)));
}

static int drop_table(struct plan *p, const struct op_table *ot)
{
	char what[256];

	if (!find_step(p, OP_STEP_DROP_TABLE, ot->name, NULL)) {
		snprintf(what, sizeof(what), "%s %s is gone from the schema "
			 "(its rows would be lost)", ot->is_node ? "label"
								  : "table",
			 ot->name);
		return refuse(p, what, "add {\"drop_table\": \"NAME\"} to a "
				       "migration of the new version");
	}
	op_buf_adds(&p->ddl, "DROP TABLE public.");
	op_pg_central_ident(&p->ddl, ot->name);
	op_buf_adds(&p->ddl, " CASCADE;\nDROP FUNCTION IF EXISTS "
			     "outpost_capture.");
	op_pg_central_ident(&p->ddl, ot->name);
	op_buf_adds(&p->ddl, "();\nDELETE FROM outpost.clocks WHERE tbl = ");
	op_pg_central_literal(&p->ddl, ot->name);
	op_buf_adds(&p->ddl, ";\n");
	return OUTPOST_OK;
}

static int columns(struct plan *p, const struct op_table *ot,
		   const struct op_table *nt)
{
	char what[512];
	size_t i;

	for (i = 0; i < ot->ncols; i++) {
		const struct op_column *oc = &ot->cols[i];
		const struct op_column *nc = op_schema_column(nt, oc->name);

		if (!nc && !find_step(p, OP_STEP_DROP_COLUMN, ot->name,
				      oc->name)) {
			snprintf(what, sizeof(what), "column %s.%s is gone "
				 "from the schema (its values would be lost)",
				 ot->name, oc->name);
			return refuse(p, what, "add a drop_column step");
		}
		if (!nc) {
			op_buf_adds(&p->ddl, "ALTER TABLE public.");
			op_pg_central_ident(&p->ddl, ot->name);
			op_buf_adds(&p->ddl, " DROP COLUMN ");
			op_pg_central_ident(&p->ddl, oc->name);
			op_buf_adds(&p->ddl, ";\n");
		} else if (!same_column(oc, nc)) {
			snprintf(what, sizeof(what), "column %s.%s changed "
				 "(type, not_null, default or references)",
				 ot->name, oc->name);
			return refuse(p, what, "changing a column is not "
					       "supported centrally yet");
		}
	}
	for (i = 0; i < nt->ncols; i++) {
		const struct op_column *nc = &nt->cols[i];

		if (op_schema_column(ot, nc->name))
			continue;
		if (nc->not_null && !nc->default_sql) {
			snprintf(what, sizeof(what), "new column %s.%s is "
				 "not_null without a default (the rows "
				 "central holds have no value for it)",
				 nt->name, nc->name);
			return refuse(p, what, "give it a default or make it "
					       "nullable");
		}
		op_pg_central_sql_add_column(&p->ddl, nt, nc, p->s);
	}
	return OUTPOST_OK;
}

/* Indexes follow the declaration: when anything about them changed,
 * the old set goes and the new set comes. */
static void indexes(struct plan *p, const struct op_table *ot,
		    const struct op_table *nt)
{
	struct op_buf a = {0}, b = {0};

	op_pg_central_sql_indexes(&a, ot);
	op_pg_central_sql_indexes(&b, nt);
	if (a.oom || b.oom || strcmp(op_buf_str(&a), op_buf_str(&b))) {
		op_pg_central_sql_drop_indexes(&p->ddl, ot);
		op_buf_add(&p->ddl, b.p, b.len);
	}
	op_buf_free(&a);
	op_buf_free(&b);
}

static int tables(struct plan *p)
{
	size_t i;
	int rc = OUTPOST_OK;

	for (i = 0; rc == OUTPOST_OK && i < p->old->ntables; i++) {
		const struct op_table *ot = &p->old->tables[i];
		const struct op_table *nt = op_schema_table(p->s, ot->name);

		if (op_pg_central_synced(ot->policy) &&
		    (!nt || !op_pg_central_synced(nt->policy)))
			rc = drop_table(p, ot);
	}
	for (i = 0; rc == OUTPOST_OK && i < p->s->ntables; i++) {
		const struct op_table *nt = &p->s->tables[i];
		const struct op_table *ot = op_schema_table(p->old, nt->name);

		if (!op_pg_central_synced(nt->policy))
			continue;
		if (!ot || !op_pg_central_synced(ot->policy)) {
			op_pg_central_sql_table(&p->ddl, nt);
			op_pg_central_sql_indexes(&p->ddl, nt);
			op_pg_central_sql_fkeys(&p->fkeys, nt, p->s);
			continue;
		}
		rc = columns(p, ot, nt);
		if (rc == OUTPOST_OK)
			indexes(p, ot, nt);
	}
	return rc;
}

/* A relationship type that is gone takes its edges, unlogged (the
 * devices drop them by the same step). */
static int types(struct plan *p)
{
	size_t i;
	char what[256];

	for (i = 0; i < p->old->nrels; i++) {
		const struct op_reltype *r = &p->old->rels[i];
		const struct op_reltype *n = op_schema_reltype(p->s, r->name);

		if (!op_pg_central_synced(r->policy) ||
		    (n && op_pg_central_synced(n->policy)))
			continue;
		if (!find_step(p, OP_STEP_DROP_RELATIONSHIP, r->name, NULL)) {
			snprintf(what, sizeof(what), "relationship type %s is "
				 "gone from the schema (its edges would be "
				 "lost)", r->name);
			return refuse(p, what, "add a drop_relationship step");
		}
		op_buf_adds(&p->ddl, "SELECT outpost.set_applying(true);\n"
				     "DELETE FROM outpost.edges WHERE type = ");
		op_pg_central_literal(&p->ddl, r->name);
		op_buf_adds(&p->ddl, ";\nDELETE FROM outpost.clocks WHERE tbl "
				     "= ");
		op_pg_central_literal(&p->ddl, r->name);
		op_buf_adds(&p->ddl, ";\nSELECT outpost.set_applying(false);\n");
	}
	return OUTPOST_OK;
}

static int apply(struct op_pg_central *c, const struct op_schema *old,
		 const struct op_schema *s, struct op_err *err)
{
	struct plan p = {old, s, {0}, {0}, err};
	int rc;

	if (!old) /* central_schema() parsed it */
		return op_err_set(err, OUTPOST_ERROR, "central's schema is "
				  "missing");
	rc = unsupported(&p);
	if (rc == OUTPOST_OK)
		rc = tables(&p);
	if (rc == OUTPOST_OK)
		rc = types(&p);
	op_buf_add(&p.ddl, p.fkeys.p ? p.fkeys.p : "", p.fkeys.len);
	if (rc == OUTPOST_OK && p.ddl.len)
		rc = op_pg_central_exec_buf(c, &p.ddl, "migrating the central "
					    "tables", err);
	if (rc == OUTPOST_OK)
		rc = op_pg_central_record_meta(c, s, err);
	if (rc == OUTPOST_OK)
		rc = op_pg_central_refresh(c, s, err);
	op_buf_free(&p.ddl);
	op_buf_free(&p.fkeys);
	return rc;
}

/* Central's recorded schema: the same version is a no-op; a newer one
 * or another schema is refused. *old is central's, when older. */
static int central_schema(int *same, struct op_schema **old,
			  struct op_pg_central *c, const struct op_schema *s,
			  struct op_err *err)
{
	char *name = NULL, *json = NULL;
	int64_t version = 0;
	int rc = op_pg_central_meta(&name, &version, &json, c, err);

	*same = 0;
	*old = NULL;
	if (rc == OUTPOST_OK && strcmp(name, s->name))
		rc = op_err_set(err, OUTPOST_EREFUSED, "central holds schema "
				"%s; %s is schema %s: refused", name, s->file,
				s->name);
	else if (rc == OUTPOST_OK && version > s->version)
		rc = op_err_set(err, OUTPOST_ESCHEMA, "central is at version "
				"%lld, newer than %s (version %lld)",
				(long long)version, s->file,
				(long long)s->version);
	else if (rc == OUTPOST_OK && version == s->version &&
		 strcmp(json, s->json))
		rc = op_err_set(err, OUTPOST_ESCHEMA, "central has %s version "
				"%lld with another declaration than %s: a "
				"changed schema needs a new version", name,
				(long long)version, s->file);
	else if (rc == OUTPOST_OK && version == s->version)
		*same = 1;
	else if (rc == OUTPOST_OK)
		rc = op_schema_parse(old, "central's recorded schema", json,
				     strlen(json), err);
	op_free(name);
	op_free(json);
	return rc;
}

int op_pg_central_migrate(int *out, struct op_pg_central *c,
			  const struct op_schema *s, struct op_err *err)
{
	struct op_schema *old = NULL;
	int rc, have = 0, same = 0;

	*out = OP_PG_UNCHANGED;
	rc = op_pg_central_begin(c, err);
	if (rc == OUTPOST_OK)
		rc = op_pg_central_installed(&have, c, err);
	if (rc == OUTPOST_OK && !have)
		rc = op_err_set(err, OUTPOST_ENOTFOUND, "central has no outpost "
				"objects yet: run outpost central init first");
	if (rc == OUTPOST_OK)
		rc = central_schema(&same, &old, c, s, err);
	if (rc == OUTPOST_OK && !same)
		rc = apply(c, old, s, err);
	if (rc == OUTPOST_OK && !same)
		rc = op_pg_central_exec(c, "COMMIT", "committing central "
					"migrate", err);
	if (rc == OUTPOST_OK && !same)
		*out = OP_PG_MIGRATED;
	else
		op_pg_central_rollback(c);
	op_schema_free(old);
	return rc;
}
