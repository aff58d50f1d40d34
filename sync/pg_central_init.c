/* pg_central_init.c - `central init`: everything central needs for a
 * schema, installed in one transaction; versioned (outpost.meta) and
 * idempotent: run again with the same schema it changes nothing, with a
 * newer version it says to migrate, with another schema it refuses. */
#include <string.h>

#include "pg_central_int.h"

int op_pg_central_record_meta(struct op_pg_central *c,
			      const struct op_schema *s, struct op_err *err)
{
	char version[32], format[16];
	const char *p[3] = {format, s->name, version};
	const char *j[1] = {s->json};
	int rc;

	snprintf(version, sizeof(version), "%lld", (long long)s->version);
	snprintf(format, sizeof(format), "%d", OP_PG_CENTRAL_FORMAT);
	rc = op_pg_central_query(
		NULL, c, "INSERT INTO outpost.meta (key, value) VALUES "
		"('format', $1), ('schema_name', $2), ('schema_version', $3), "
		"('hlc_bound_ms', '86400000') ON CONFLICT (key) DO UPDATE SET "
		"value = EXCLUDED.value WHERE outpost.meta.key <> "
		"'hlc_bound_ms'", 3, p, "recording the schema in outpost.meta",
		err);
	if (rc == OUTPOST_OK)
		rc = op_pg_central_query(
			NULL, c, "INSERT INTO outpost.meta (key, value) VALUES "
			"('schema_json', $1) ON CONFLICT (key) DO UPDATE SET "
			"value = EXCLUDED.value", 1, j, "recording the schema "
			"in outpost.meta", err);
	return rc;
}

static int create_tables(struct op_pg_central *c, const struct op_schema *s,
			 struct op_err *err)
{
	struct op_buf b = {0};
	size_t i;
	int rc;

	/* Every table first, then the foreign keys: a reference may point
	 * at a table declared after it, or two tables at each other. */
	for (i = 0; i < s->ntables; i++)
		if (op_pg_central_synced(s->tables[i].policy)) {
			op_pg_central_sql_table(&b, &s->tables[i]);
			op_pg_central_sql_indexes(&b, &s->tables[i]);
		}
	for (i = 0; i < s->ntables; i++)
		if (op_pg_central_synced(s->tables[i].policy))
			op_pg_central_sql_fkeys(&b, &s->tables[i], s);
	rc = op_pg_central_exec_buf(c, &b, "creating the central tables", err);
	op_buf_free(&b);
	return rc;
}

static int install(struct op_pg_central *c, const struct op_schema *s,
		   struct op_err *err)
{
	int rc = op_pg_central_exec(c, op_pg_central_sql_tables,
				    "creating outpost's tables", err);

	if (rc == OUTPOST_OK)
		rc = op_pg_central_exec(c, op_pg_applying_sql, "creating "
					"outpost.applying", err);
	if (rc == OUTPOST_OK)
		rc = op_pg_central_exec(c, op_pg_central_sql_functions,
					"creating outpost's functions", err);
	if (rc == OUTPOST_OK)
		rc = create_tables(c, s, err);
	if (rc == OUTPOST_OK)
		rc = op_pg_central_record_meta(c, s, err);
	if (rc == OUTPOST_OK)
		rc = op_pg_central_refresh(c, s, err);
	return rc;
}

/* Central already holds outpost's objects: the same schema is a no-op,
 * anything else is refused with what to run. */
static int compare(int *out, struct op_pg_central *c,
		   const struct op_schema *s, struct op_err *err)
{
	char *name = NULL, *json = NULL;
	int64_t version = 0;
	int rc = op_pg_central_meta(&name, &version, &json, c, err);

	if (rc != OUTPOST_OK)
		return rc;
	if (strcmp(name, s->name) != 0)
		rc = op_err_set(err, OUTPOST_EREFUSED, "central holds schema "
				"%s (version %lld); %s is schema %s: one central "
				"database serves one schema", name,
				(long long)version, s->file, s->name);
	else if (version < s->version)
		rc = op_err_set(err, OUTPOST_ESCHEMA, "central is at %s "
				"version %lld and %s is version %lld: run "
				"outpost central migrate --pg ... --schema %s",
				name, (long long)version, s->file,
				(long long)s->version, s->file);
	else if (version > s->version)
		rc = op_err_set(err, OUTPOST_ESCHEMA, "central is at %s "
				"version %lld, newer than %s (version %lld): "
				"use the newer schema file", name,
				(long long)version, s->file,
				(long long)s->version);
	else if (strcmp(json, s->json) != 0)
		rc = op_err_set(err, OUTPOST_ESCHEMA, "central has %s version "
				"%lld with another declaration than %s: a "
				"changed schema needs a new version (then "
				"outpost central migrate)", name,
				(long long)version, s->file);
	else
		*out = OP_PG_UNCHANGED;
	op_free(name);
	op_free(json);
	return rc;
}

int op_pg_central_init(int *out, struct op_pg_central *c,
		       const struct op_schema *s, struct op_err *err)
{
	int rc, have = 0;

	*out = OP_PG_UNCHANGED;
	rc = op_pg_central_begin(c, err);
	if (rc == OUTPOST_OK)
		rc = op_pg_central_installed(&have, c, err);
	if (rc == OUTPOST_OK && have) {
		rc = compare(out, c, s, err);
		op_pg_central_rollback(c);
		return rc;
	}
	if (rc == OUTPOST_OK)
		rc = install(c, s, err);
	if (rc == OUTPOST_OK)
		rc = op_pg_central_exec(c, "COMMIT", "committing central init",
					err);
	if (rc == OUTPOST_OK)
		*out = OP_PG_INSTALLED;
	else
		op_pg_central_rollback(c);
	return rc;
}
