/* api_migrate.c - moving a store from one schema version to a newer one.
 * Additive changes (new tables, labels, types, nullable or defaulted
 * columns, indexes) apply by themselves; anything that can lose or
 * reinterpret data must be named by a step in the file's migrations, and
 * is refused otherwise. Runs inside apply()'s write transaction with
 * foreign keys off; the caller checks them before committing. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api_int.h"

struct plan {
	outpost *db;
	const struct op_schema *old;
	const struct op_schema *s;
	const struct op_step **steps; /* the steps in force, in order */
	size_t nsteps;
};

static const struct op_step *find_step(const struct plan *p,
				       enum op_step_kind k, const char *table,
				       const char *column)
{
	size_t i;

	for (i = 0; i < p->nsteps; i++) {
		const struct op_step *st = p->steps[i];

		if (st->kind != k)
			continue;
		if (table && (!st->table || strcasecmp(st->table, table)))
			continue;
		if (column && (!st->column || strcasecmp(st->column, column)))
			continue;
		return st;
	}
	return NULL;
}

/* The old table that new table `name` continues, through renames. */
static const struct op_table *old_of(const struct plan *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nsteps; i++)
		if (p->steps[i]->kind == OP_STEP_RENAME_TABLE &&
		    strcasecmp(p->steps[i]->to, name) == 0)
			return op_schema_table(p->old, p->steps[i]->from);
	return op_schema_table(p->old, name);
}

static int exec_fmt(outpost *db, struct op_buf *b)
{
	int rc = b->oom ? op_err_set(&db->err, OUTPOST_ENOMEM, "out of memory")
			: op_rel_exec(db->rel, op_buf_str(b), &db->err);

	op_buf_free(b);
	return rc;
}

static int refuse(const struct plan *p, const char *what, const char *step)
{
	if (p->old->version + 1 == p->s->version)
		return op_err_set(&p->db->err, OUTPOST_ESCHEMA, "%s: %s: this "
				  "can lose data, so it needs an explicit "
				  "step; add %s to the migration with version "
				  "%lld", p->s->file, what, step,
				  (long long)p->s->version);
	return op_err_set(&p->db->err, OUTPOST_ESCHEMA, "%s: %s: this can "
			  "lose data, so it needs an explicit step; add %s "
			  "to a migration with a version from %lld to %lld",
			  p->s->file, what, step,
			  (long long)p->old->version + 1,
			  (long long)p->s->version);
}

/* Renames and table drops, done first so later checks see new names. */
static int run_structural_steps(struct plan *p)
{
	size_t i;
	int rc = OUTPOST_OK;

	for (i = 0; rc == OUTPOST_OK && i < p->nsteps; i++) {
		const struct op_step *st = p->steps[i];
		struct op_buf b = {0}, clk = {0};

		switch (st->kind) {
		case OP_STEP_DROP_TABLE:
			if (!op_schema_table(p->old, st->table) ||
			    op_schema_table(p->s, st->table)) {
				rc = op_err_set(&p->db->err, OUTPOST_ESCHEMA,
						"%s: %s: drop_table \"%s\": "
						"the store has no such table "
						"or the file still declares "
						"it", p->s->file, st->path,
						st->table);
				break;
			}
			op_buf_adds(&b, "DROP TABLE ");
			op_rel_quote_ident(&b, st->table);
			op_buf_addf(&clk, "_outpost_clk_%s", st->table);
			op_buf_adds(&b, "; DROP TABLE IF EXISTS ");
			op_rel_quote_ident(&b, op_buf_str(&clk));
			rc = exec_fmt(p->db, &b);
			break;
		case OP_STEP_RENAME_TABLE:
			if (!op_schema_table(p->old, st->from) ||
			    !op_schema_table(p->s, st->to) ||
			    op_schema_table(p->old, st->to)) {
				rc = op_err_set(&p->db->err, OUTPOST_ESCHEMA,
						"%s: %s: rename_table needs "
						"\"from\" in the store and "
						"\"to\" only in the file",
						p->s->file, st->path);
				break;
			}
			op_buf_adds(&b, "ALTER TABLE ");
			op_rel_quote_ident(&b, st->from);
			op_buf_adds(&b, " RENAME TO ");
			op_rel_quote_ident(&b, st->to);
			rc = exec_fmt(p->db, &b);
			if (rc == OUTPOST_OK && old_of(p, st->to)->policy ==
							OP_SYNC_LWW) {
				op_buf_addf(&clk, "_outpost_clk_%s", st->from);
				op_buf_adds(&b, "ALTER TABLE ");
				op_rel_quote_ident(&b, op_buf_str(&clk));
				op_buf_free(&clk);
				op_buf_addf(&clk, "_outpost_clk_%s", st->to);
				op_buf_adds(&b, " RENAME TO ");
				op_rel_quote_ident(&b, op_buf_str(&clk));
				rc = exec_fmt(p->db, &b);
			}
			break;
		case OP_STEP_RENAME_COLUMN: {
			const struct op_table *o = old_of(p, st->table);
			const struct op_table *n = op_schema_table(p->s,
								   st->table);

			if (!o || !n || !op_schema_column(o, st->from) ||
			    !op_schema_column(n, st->to) ||
			    op_schema_column(o, st->to)) {
				rc = op_err_set(&p->db->err, OUTPOST_ESCHEMA,
						"%s: %s: rename_column needs "
						"\"from\" in the store's "
						"table and \"to\" only in the "
						"file's", p->s->file,
						st->path);
				break;
			}
			op_buf_adds(&b, "ALTER TABLE ");
			op_rel_quote_ident(&b, n->name);
			op_buf_adds(&b, " RENAME COLUMN ");
			op_rel_quote_ident(&b, st->from);
			op_buf_adds(&b, " TO ");
			op_rel_quote_ident(&b, st->to);
			if (o->policy == OP_SYNC_LWW) {
				op_buf_addf(&clk, "_outpost_clk_%s", n->name);
				op_buf_adds(&b, "; UPDATE ");
				op_rel_quote_ident(&b, op_buf_str(&clk));
				op_buf_adds(&b, " SET col = ");
				op_rel_quote_text(&b, st->to);
				op_buf_adds(&b, " WHERE col = ");
				op_rel_quote_text(&b, st->from);
			}
			rc = exec_fmt(p->db, &b);
			break;
		}
		default:
			break;
		}
		op_buf_free(&b);
		op_buf_free(&clk);
	}
	return rc;
}

/* The name column `c` of new table n had in old table o. */
static const struct op_column *old_column(const struct plan *p,
					  const struct op_table *o,
					  const struct op_table *n,
					  const struct op_column *c)
{
	size_t i;

	for (i = 0; i < p->nsteps; i++) {
		const struct op_step *st = p->steps[i];

		if (st->kind == OP_STEP_RENAME_COLUMN &&
		    strcasecmp(st->table, n->name) == 0 &&
		    strcasecmp(st->to, c->name) == 0)
			return op_schema_column(o, st->from);
	}
	return op_schema_column(o, c->name);
}

/* What differs between two definitions of a column, for messages. */
static void describe_change(char *out, size_t n, const struct op_column *a,
			    const struct op_column *b)
{
	if (a->type != b->type)
		snprintf(out, n, "type %s -> %s", op_schema_type_name(a->type),
			 op_schema_type_name(b->type));
	else if (a->not_null != b->not_null)
		snprintf(out, n, "not_null %s -> %s",
			 a->not_null ? "true" : "false",
			 b->not_null ? "true" : "false");
	else if (!!a->default_sql != !!b->default_sql ||
		 (a->default_sql && strcmp(a->default_sql, b->default_sql)))
		snprintf(out, n, "default %s -> %s",
			 a->default_sql ? a->default_sql : "none",
			 b->default_sql ? b->default_sql : "none");
	else if (a->encrypted != b->encrypted)
		snprintf(out, n, "encrypted %s -> %s",
			 a->encrypted ? "true" : "false",
			 b->encrypted ? "true" : "false");
	else
		snprintf(out, n, "references %s -> %s",
			 a->ref_table ? a->ref_table : "none",
			 b->ref_table ? b->ref_table : "none");
}

static int same_definition(const struct op_column *a,
			   const struct op_column *b)
{
	return a->type == b->type && a->not_null == b->not_null &&
	       a->primary_key == b->primary_key &&
	       a->encrypted == b->encrypted &&
	       !!a->default_sql == !!b->default_sql &&
	       (!a->default_sql || !strcmp(a->default_sql, b->default_sql)) &&
	       !!a->ref_table == !!b->ref_table &&
	       (!a->ref_table || (!strcasecmp(a->ref_table, b->ref_table) &&
				  !strcasecmp(a->ref_column, b->ref_column) &&
				  a->on_delete == b->on_delete));
}

/* Copy t into a new table of the file's definition, keeping every column
 * both have; STRICT refuses a value that does not convert losslessly. */
static int rebuild(struct plan *p, const struct op_table *n,
		   const struct op_table *o)
{
	struct op_buf b = {0}, cols = {0};
	size_t i, k = 0;
	int rc;

	for (i = 0; i < n->ncols; i++)
		if (old_column(p, o, n, &n->cols[i])) {
			op_buf_adds(&cols, k++ ? ", " : "");
			op_rel_quote_ident(&cols, n->cols[i].name);
		}
	op_schema_sql_table(&b, n, "_outpost_rebuild");
	op_buf_adds(&b, "INSERT INTO \"_outpost_rebuild\" (");
	op_buf_addf(&b, "%s) SELECT %s FROM ", op_buf_str(&cols),
		    op_buf_str(&cols));
	op_rel_quote_ident(&b, n->name);
	op_buf_adds(&b, ";\nDROP TABLE ");
	op_rel_quote_ident(&b, n->name);
	op_buf_adds(&b, ";\nALTER TABLE \"_outpost_rebuild\" RENAME TO ");
	op_rel_quote_ident(&b, n->name);
	op_buf_free(&cols);
	rc = exec_fmt(p->db, &b);
	if (rc != OUTPOST_OK && rc != OUTPOST_ENOMEM) {
		/* SQLite names the scratch table; the user knows n. */
		char why[512], *at;

		snprintf(why, sizeof(why), "%.500s", p->db->err.msg);
		at = strstr(why, "_outpost_rebuild.");
		if (at)
			memmove(at, at + 17, strlen(at + 17) + 1);
		rc = op_err_set(&p->db->err, OUTPOST_ESCHEMA, "%s: migrating "
				"table %s: %s (a value does not convert to the "
				"new definition); nothing was changed",
				p->s->file, n->name, why);
	}
	return rc;
}

static int add_column(struct plan *p, const struct op_table *n,
		      const struct op_column *c)
{
	struct op_buf b = {0};

	op_buf_adds(&b, "ALTER TABLE ");
	op_rel_quote_ident(&b, n->name);
	op_buf_adds(&b, " ADD COLUMN ");
	op_schema_sql_column(&b, n, c);
	return exec_fmt(p->db, &b);
}

/* Bring one table that exists in both versions to the file's shape. */
static int migrate_table(struct plan *p, const struct op_table *n,
			 const struct op_table *o)
{
	int must_rebuild = 0;
	size_t i;
	int rc = OUTPOST_OK;
	char what[256];

	for (i = 0; i < o->ncols; i++) {
		const struct op_column *c = &o->cols[i];
		size_t j;
		int kept = 0;

		for (j = 0; j < n->ncols; j++)
			kept |= old_column(p, o, n, &n->cols[j]) == c;
		if (kept)
			continue;
		if (!find_step(p, OP_STEP_DROP_COLUMN, n->name, c->name)) {
			snprintf(what, sizeof(what), "column %s.%s is gone "
				 "from the file", n->name, c->name);
			return refuse(p, what, "{\"drop_column\": {\"table\": "
				      "..., \"column\": ...}}");
		}
		must_rebuild = 1;
	}
	for (i = 0; i < n->ncols; i++) {
		const struct op_column *c = &n->cols[i];
		const struct op_column *oc = old_column(p, o, n, c);

		if (!oc) {
			if (c->not_null && !c->default_sql &&
			    !c->primary_key)
				return op_err_set(&p->db->err, OUTPOST_ESCHEMA,
						  "%s: new column %s.%s is "
						  "not_null without a "
						  "default, so existing rows "
						  "would have no value; give "
						  "it a default", p->s->file,
						  n->name, c->name);
			if (c->default_is_expr || c->primary_key)
				must_rebuild = 1;
			continue;
		}
		if (same_definition(oc, c))
			continue;
		if (!find_step(p, OP_STEP_CHANGE_COLUMN, n->name, c->name)) {
			char diff[160];

			describe_change(diff, sizeof(diff), oc, c);
			snprintf(what, sizeof(what), "column %s.%s changes "
				 "(%s)", n->name, c->name, diff);
			return refuse(p, what, "{\"change_column\": "
				      "{\"table\": ..., \"column\": ...}}");
		}
		must_rebuild = 1;
	}
	if (must_rebuild)
		return rebuild(p, n, o);
	for (i = 0; rc == OUTPOST_OK && i < n->ncols; i++)
		if (!old_column(p, o, n, &n->cols[i]))
			rc = add_column(p, n, &n->cols[i]);
	return rc;
}

static int check_dropped(struct plan *p)
{
	size_t i, j;
	char what[256];

	for (i = 0; i < p->old->ntables; i++) {
		const struct op_table *o = &p->old->tables[i];
		int kept = 0;

		for (j = 0; j < p->s->ntables; j++)
			kept |= old_of(p, p->s->tables[j].name) == o;
		if (!kept && !find_step(p, OP_STEP_DROP_TABLE, o->name, NULL)) {
			snprintf(what, sizeof(what), "%s %s is gone from the "
				 "file", o->is_node ? "node label" : "table",
				 o->name);
			return refuse(p, what, "{\"drop_table\": \"...\"} "
				      "(or rename_table)");
		}
	}
	for (i = 0; i < p->old->nrels; i++) {
		const struct op_reltype *r = &p->old->rels[i];

		if (op_schema_reltype(p->s, r->name) ||
		    find_step(p, OP_STEP_DROP_RELATIONSHIP, r->name, NULL))
			continue;
		snprintf(what, sizeof(what), "relationship type %s is gone "
			 "from the file", r->name);
		return refuse(p, what, "{\"drop_relationship\": \"...\"}");
	}
	return OUTPOST_OK;
}

/* drop_column and change_column must name a real change, so a step that
 * does nothing (a typo, a forgotten edit) is not silently accepted. */
static int check_column_steps(const struct plan *p)
{
	size_t i;

	for (i = 0; i < p->nsteps; i++) {
		const struct op_step *st = p->steps[i];
		const struct op_table *n, *o;
		const struct op_column *nc, *oc;

		if (st->kind != OP_STEP_DROP_COLUMN &&
		    st->kind != OP_STEP_CHANGE_COLUMN)
			continue;
		n = op_schema_table(p->s, st->table);
		o = n ? old_of(p, n->name) : NULL;
		nc = n ? op_schema_column(n, st->column) : NULL;
		oc = o ? op_schema_column(o, st->column) : NULL;
		if (st->kind == OP_STEP_DROP_COLUMN && (!oc || nc))
			return op_err_set(&p->db->err, OUTPOST_ESCHEMA,
					  "%s: %s: drop_column %s.%s: the "
					  "store has no such column, or the "
					  "file still declares it", p->s->file,
					  st->path, st->table, st->column);
		if (st->kind == OP_STEP_CHANGE_COLUMN && (!oc || !nc))
			return op_err_set(&p->db->err, OUTPOST_ESCHEMA,
					  "%s: %s: change_column %s.%s: the "
					  "column must exist in the store and "
					  "in the file", p->s->file, st->path,
					  st->table, st->column);
	}
	return OUTPOST_OK;
}

static int collect_steps(struct plan *p)
{
	size_t i, j, n = 0;

	for (i = 0; i < p->s->nmigs; i++)
		if (p->s->migs[i].version > p->old->version)
			n += p->s->migs[i].nsteps;
	p->steps = op_calloc(n, sizeof(const struct op_step *));
	if (!p->steps)
		return op_err_set(&p->db->err, OUTPOST_ENOMEM, "out of memory");
	for (i = 0; i < p->s->nmigs; i++)
		if (p->s->migs[i].version > p->old->version)
			for (j = 0; j < p->s->migs[i].nsteps; j++)
				p->steps[p->nsteps++] = &p->s->migs[i].steps[j];
	return OUTPOST_OK;
}

int op_api_schema_migrate(outpost *db, const struct op_schema *old,
			  const struct op_schema *s)
{
	struct plan p = {db, old, s, NULL, 0};
	struct op_buf b = {0};
	size_t i;
	int rc = collect_steps(&p);

	/* Triggers first: they name tables that steps may rename. */
	for (i = 0; i < old->ntables; i++)
		op_schema_sql_drop_capture(&b, &old->tables[i]);
	if (rc == OUTPOST_OK)
		rc = exec_fmt(db, &b);
	op_buf_free(&b);
	if (rc == OUTPOST_OK)
		rc = check_column_steps(&p);
	if (rc == OUTPOST_OK)
		rc = check_dropped(&p);
	if (rc == OUTPOST_OK)
		rc = run_structural_steps(&p);
	for (i = 0; rc == OUTPOST_OK && i < s->ntables; i++) {
		const struct op_table *n = &s->tables[i];
		const struct op_table *o = old_of(&p, n->name);

		rc = o ? migrate_table(&p, n, o) : op_api_create_table(db, n);
		if (rc == OUTPOST_OK)
			rc = op_api_sync_indexes(db, n);
	}
	for (i = 0; rc == OUTPOST_OK && i < s->ntables; i++)
		rc = op_api_capture_install(db, &s->tables[i]);
	if (rc == OUTPOST_OK)
		rc = op_api_schema_record(db, s);
	op_free(p.steps);
	return rc;
}
