/* api_schema.c - applying a schema file to a store: the first install, or
 * a migration to a newer version, always in one write transaction; and
 * showing the recorded schema. */
#include <stdio.h>
#include <string.h>

#include "api_int.h"

/* Make t's indexes exactly the declared ones: drop any that is not
 * declared or differs, create the missing. */
static int sync_indexes(outpost *db, const struct op_table *t)
{
	struct op_object *want = NULL;
	struct op_stmt *st = NULL;
	struct op_buf ddl = {0};
	char *have = NULL;
	size_t n = 0, i;
	int rc = op_schema_indexes(&want, &n, t);

	if (rc == OUTPOST_OK && !(have = op_calloc(n + 1, 1)))
		rc = OUTPOST_ENOMEM;
	if (rc != OUTPOST_OK) {
		op_schema_objects_free(want, n);
		return op_err_set(&db->err, rc, "out of memory");
	}
	rc = op_rel_prepare(&st, db->rel, "SELECT name, sql FROM "
			    "sqlite_master WHERE type = 'index' AND "
			    "tbl_name = ?1 AND sql IS NOT NULL", NULL,
			    &db->err);
	if (rc == OUTPOST_OK)
		op_rel_bind_text(st, 1, t->name);
	while (rc == OUTPOST_OK && (rc = op_rel_step(st, &db->err)) == OP_ROW) {
		const char *name = op_rel_col_text(st, 0);
		const char *sql = op_rel_col_text(st, 1);

		rc = OUTPOST_OK;
		for (i = 0; i < n; i++)
			if (!strcmp(want[i].name, name) &&
			    !strcmp(want[i].sql, sql))
				break;
		if (i < n) {
			have[i] = 1;
			continue;
		}
		op_buf_adds(&ddl, "DROP INDEX ");
		op_rel_quote_ident(&ddl, name);
		op_buf_adds(&ddl, ";\n");
	}
	op_rel_finalize(st);
	for (i = 0; i < n; i++)
		if (!have[i])
			op_buf_addf(&ddl, "%s;\n", want[i].sql);
	if (rc == OUTPOST_OK && ddl.oom)
		rc = op_err_set(&db->err, OUTPOST_ENOMEM, "out of memory");
	if (rc == OUTPOST_OK && ddl.len)
		rc = op_rel_exec(db->rel, op_buf_str(&ddl), &db->err);
	op_buf_free(&ddl);
	op_free(have);
	op_schema_objects_free(want, n);
	return rc;
}

/* Drop and recreate t's triggers (and its clock table if missing). */
int op_api_capture_install(outpost *db, const struct op_table *t)
{
	struct op_buf b = {0};
	int rc;

	op_schema_sql_drop_capture(&b, t);
	op_schema_sql_capture(&b, t);
	rc = b.oom ? op_err_set(&db->err, OUTPOST_ENOMEM, "out of memory")
		   : op_rel_exec(db->rel, op_buf_str(&b), &db->err);
	op_buf_free(&b);
	return rc;
}

int op_api_create_table(outpost *db, const struct op_table *t)
{
	struct op_buf b = {0};
	int rc;

	op_schema_sql_table(&b, t, NULL);
	rc = b.oom ? op_err_set(&db->err, OUTPOST_ENOMEM, "out of memory")
		   : op_rel_exec(db->rel, op_buf_str(&b), &db->err);
	op_buf_free(&b);
	if (rc == OUTPOST_OK)
		rc = sync_indexes(db, t);
	return rc;
}

int op_api_sync_indexes(outpost *db, const struct op_table *t)
{
	return sync_indexes(db, t);
}

/* The names whose log entries the graph applier takes (node labels and
 * relationship types), as a JSON array: the applier's "anything for
 * me?" is then one query, with no schema to parse (api_graph_apply.c). */
static int record_graph_tables(outpost *db, const struct op_schema *s)
{
	struct op_buf b = {0};
	size_t i;
	int rc, n = 0;

	op_buf_adds(&b, "[");
	for (i = 0; i < s->ntables; i++)
		if (s->tables[i].is_node)
			op_buf_addf(&b, "%s\"%s\"", n++ ? "," : "",
				    s->tables[i].name);
	for (i = 0; i < s->nrels; i++)
		op_buf_addf(&b, "%s\"%s\"", n++ ? "," : "", s->rels[i].name);
	op_buf_adds(&b, "]");
	rc = b.oom ? op_err_set(&db->err, OUTPOST_ENOMEM, "out of memory")
		   : op_log_meta_set(db->rel, "graph_tables", op_buf_str(&b),
				     &db->err);
	op_buf_free(&b);
	return rc;
}

int op_api_schema_record(outpost *db, const struct op_schema *s)
{
	char ver[24];
	int rc = op_log_meta_set(db->rel, "schema_json", s->json, &db->err);

	snprintf(ver, sizeof(ver), "%lld", (long long)s->version);
	if (rc == OUTPOST_OK)
		rc = op_log_meta_set(db->rel, "schema_name", s->name,
				     &db->err);
	if (rc == OUTPOST_OK)
		rc = op_log_meta_set(db->rel, "schema_version", ver, &db->err);
	if (rc == OUTPOST_OK)
		rc = record_graph_tables(db, s);
	return rc;
}

int op_api_schema_install(outpost *db, const struct op_schema *s)
{
	size_t i;
	int rc = OUTPOST_OK;

	for (i = 0; rc == OUTPOST_OK && i < s->ntables; i++)
		rc = op_api_create_table(db, &s->tables[i]);
	for (i = 0; rc == OUTPOST_OK && i < s->ntables; i++)
		rc = op_api_capture_install(db, &s->tables[i]);
	if (rc == OUTPOST_OK)
		rc = op_api_schema_record(db, s);
	return rc;
}

int op_api_schema_current(outpost *db, struct op_schema **out)
{
	char *json = NULL;
	int rc = op_log_meta_get(db->rel, "schema_json", &json, &db->err);

	*out = NULL;
	if (rc == OUTPOST_OK && json) {
		rc = op_schema_parse(out, "(schema recorded in the store)",
				     json, strlen(json), &db->err);
		if (rc == OUTPOST_ESCHEMA)
			rc = OUTPOST_ECORRUPT;
	}
	op_free(json);
	return rc;
}

/* Foreign keys stay off while a migration rebuilds tables (dropping a
 * referenced table would otherwise cascade); they are checked before the
 * commit instead. */
static int check_foreign_keys(outpost *db)
{
	struct op_stmt *st = NULL;
	int rc = op_rel_prepare(&st, db->rel, "SELECT \"table\", rowid, "
				"parent FROM pragma_foreign_key_check LIMIT 1",
				NULL, &db->err);

	if (rc == OUTPOST_OK && (rc = op_rel_step(st, &db->err)) == OP_ROW)
		rc = op_err_set(&db->err, OUTPOST_ESCHEMA, "after the "
				"migration, a row of %s (rowid %lld) refers "
				"to a missing row of %s; nothing was changed",
				op_rel_col_text(st, 0),
				(long long)op_rel_col_int(st, 1),
				op_rel_col_text(st, 2));
	op_rel_finalize(st);
	return rc;
}

static int apply(outpost *db, const struct op_schema *s)
{
	struct op_schema *old = NULL;
	int rc = op_rel_begin_write(db->rel, &db->err);

	if (rc == OUTPOST_OK)
		rc = op_api_schema_current(db, &old);
	if (rc != OUTPOST_OK)
		goto done;
	if (!old) {
		rc = op_api_schema_install(db, s);
	} else if (strcmp(old->name, s->name) != 0) {
		rc = op_err_set(&db->err, OUTPOST_ESCHEMA, "%s: the store "
				"holds schema \"%s\", the file declares "
				"\"%s\"", s->file, old->name, s->name);
	} else if (s->version < old->version) {
		rc = op_err_set(&db->err, OUTPOST_ESCHEMA, "%s: version %lld "
				"is older than the store's version %lld",
				s->file, (long long)s->version,
				(long long)old->version);
	} else if (s->version == old->version) {
		if (strcmp(old->json, s->json) != 0)
			rc = op_err_set(&db->err, OUTPOST_ESCHEMA, "%s: the "
					"file differs from the store's schema "
					"but both say version %lld; raise "
					"\"version\"", s->file,
					(long long)s->version);
	} else {
		rc = op_api_schema_migrate(db, old, s);
	}
	if (rc == OUTPOST_OK)
		rc = check_foreign_keys(db);
done:
	if (rc == OUTPOST_OK)
		rc = op_rel_commit(db->rel, &db->err);
	else
		op_rel_rollback(db->rel);
	op_schema_free(old);
	return rc;
}

int outpost_schema_apply(outpost *db, const char *path)
{
	struct op_schema *s = NULL;
	int rc;

	if (!db || !path)
		return OUTPOST_EMISUSE;
	rc = op_schema_load(&s, path, &db->err);
	if (rc != OUTPOST_OK)
		return rc;
	rc = op_rel_exec(db->rel, "PRAGMA foreign_keys=OFF", &db->err);
	if (rc == OUTPOST_OK)
		rc = apply(db, s);
	if (op_rel_exec(db->rel, "PRAGMA foreign_keys=ON", NULL) !=
		    OUTPOST_OK &&
	    rc == OUTPOST_OK)
		rc = op_err_set(&db->err, OUTPOST_ERROR, "cannot turn "
				"foreign keys back on");
	op_schema_free(s);
	return rc;
}

int outpost_schema_show(char **out, outpost *db)
{
	int rc;

	if (!out || !db)
		return OUTPOST_EMISUSE;
	rc = op_log_meta_get(db->rel, "schema_json", out, &db->err);
	if (rc == OUTPOST_OK && !*out)
		rc = op_err_set(&db->err, OUTPOST_ENOTFOUND, "no schema has "
				"been applied to this store (outpost schema "
				"apply FILE)");
	return rc;
}
