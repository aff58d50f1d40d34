/* api_central.c - outpost_central_*: central PostgreSQL administration
 * (init, migrate, add-device, drift check) on top of sync/pg_central.
 * A central handle holds the administrator's connection and the last
 * message; no store is needed, except to check central against the
 * store's own schema. */
#include <string.h>

#include "api_int.h"
#include "pg_central.h"

struct outpost_central {
	struct op_err err;
	struct op_pg_central *pg;
};

int outpost_central_open(outpost_central **out, const char *conninfo)
{
	outpost_central *c;

	if (!out)
		return OUTPOST_EMISUSE;
	*out = c = op_calloc(1, sizeof(*c));
	if (!c)
		return OUTPOST_ENOMEM;
	if (!conninfo)
		return op_err_set(&c->err, OUTPOST_EMISUSE, "no connection "
				  "string for central PostgreSQL (--pg)");
	return op_pg_central_connect(&c->pg, conninfo, &c->err);
}

void outpost_central_close(outpost_central *c)
{
	if (!c)
		return;
	op_pg_central_close(c->pg);
	op_free(c);
}

const char *outpost_central_errmsg(const outpost_central *c)
{
	return c ? c->err.msg : "out of memory";
}

static int ready(outpost_central *c)
{
	if (!c)
		return OUTPOST_EMISUSE;
	if (!c->pg)
		return op_err_set(&c->err, OUTPOST_EMISUSE, "not connected to "
				  "central (outpost_central_open failed)");
	return OUTPOST_OK;
}

/* init and migrate: the same shape, another action. */
static int with_schema(int *out, outpost_central *c, const char *path,
		       int (*act)(int *, struct op_pg_central *,
				  const struct op_schema *, struct op_err *))
{
	struct op_schema *s = NULL;
	int done = OP_PG_UNCHANGED;
	int rc = ready(c);

	if (rc != OUTPOST_OK)
		return rc;
	if (!path)
		return op_err_set(&c->err, OUTPOST_EMISUSE, "no schema file "
				  "(--schema FILE)");
	rc = op_schema_load(&s, path, &c->err);
	if (rc == OUTPOST_OK)
		rc = act(&done, c->pg, s, &c->err);
	op_schema_free(s);
	if (out)
		*out = done == OP_PG_INSTALLED	  ? OUTPOST_CENTRAL_INSTALLED
		       : done == OP_PG_MIGRATED ? OUTPOST_CENTRAL_MIGRATED
						: OUTPOST_CENTRAL_UNCHANGED;
	return rc;
}

int outpost_central_init(int *out, outpost_central *c, const char *path)
{
	return with_schema(out, c, path, op_pg_central_init);
}

int outpost_central_migrate(int *out, outpost_central *c, const char *path)
{
	return with_schema(out, c, path, op_pg_central_migrate);
}

int outpost_central_add_device(char **out, outpost_central *c,
			       const char *name,
			       const outpost_device_opts *opts)
{
	struct op_pg_device d = {0};
	struct op_buf report = {0};
	int rc = ready(c);

	if (rc != OUTPOST_OK)
		return rc;
	if (!out || !name || !opts || opts->version < 1 ||
	    (opts->nscopes && !opts->scopes))
		return op_err_set(&c->err, OUTPOST_EMISUSE, "add-device: bad "
				  "arguments");
	*out = NULL;
	d.name = name;
	d.scopes = opts->scopes;
	d.nscopes = opts->nscopes;
	d.password_file = opts->password_file;
	d.new_password = opts->new_password;
	rc = op_pg_central_add_device(&report, c->pg, &d, &c->err);
	if (rc == OUTPOST_OK && report.oom)
		rc = op_err_set(&c->err, OUTPOST_ENOMEM, "out of memory");
	if (rc == OUTPOST_OK)
		*out = op_buf_take(&report);
	op_buf_free(&report);
	return rc;
}

/* The schema to compare with: the file, else the store's. */
static int schema_of(struct op_schema **s, outpost_central *c, outpost *db,
		     const char *path)
{
	int rc;

	if (path)
		return op_schema_load(s, path, &c->err);
	if (!db)
		return op_err_set(&c->err, OUTPOST_EMISUSE, "schema check: "
				  "name a schema file or a store");
	rc = op_api_schema_current(db, s);
	if (rc != OUTPOST_OK)
		return op_err_set(&c->err, rc, "%s", outpost_errmsg(db));
	if (!*s)
		return op_err_set(&c->err, OUTPOST_ENOTFOUND, "no schema has "
				  "been applied to this store; name a schema "
				  "file");
	return OUTPOST_OK;
}

int outpost_central_check(char **out, outpost_central *c, outpost *db,
			  const char *path)
{
	struct op_schema *s = NULL;
	struct op_buf report = {0};
	int n = 0, rc = ready(c);

	if (rc != OUTPOST_OK)
		return rc;
	if (!out)
		return op_err_set(&c->err, OUTPOST_EMISUSE, "schema check: "
				  "out is NULL");
	*out = NULL;
	rc = schema_of(&s, c, db, path);
	if (rc == OUTPOST_OK)
		rc = op_pg_central_check(&report, &n, c->pg, s, &c->err);
	if (rc == OUTPOST_OK && report.oom)
		rc = op_err_set(&c->err, OUTPOST_ENOMEM, "out of memory");
	if (rc == OUTPOST_OK && n > 0) {
		if (report.len && report.p[report.len - 1] == '\n')
			report.p[--report.len] = '\0';
		*out = op_buf_take(&report);
		rc = op_err_set(&c->err, OUTPOST_EDRIFT, "%d difference%s "
				"between the schema and central", n,
				n == 1 ? "" : "s");
	}
	op_buf_free(&report);
	op_schema_free(s);
	return rc;
}
