/* pg_central_device.c - `central add-device`: a device's own LOGIN role
 * (outpost_dev_NAME) with a random password that only the password file
 * ever holds (the server gets its SCRAM verifier, made here), its
 * registration and scopes, and its grants. Running it again for a known
 * device updates its scopes; the password changes only when asked. */
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include "pg_central_int.h"

#define NAME_MAX_LEN 40
#define ROLE_PREFIX "outpost_dev_"

struct dev {
	struct op_pg_central *c;
	const struct op_pg_device *d;
	char role[64];
	char path[4096];
	int exists;	    /* registered already */
	int scopes_changed; /* the scope set is not what it was */
	struct op_err *err;
};

static int check_name(const char *name, struct op_err *err)
{
	size_t i, n = strlen(name);

	for (i = 0; i < n; i++)
		if (!(name[i] >= 'a' && name[i] <= 'z') &&
		    !(name[i] >= 'A' && name[i] <= 'Z') &&
		    !(name[i] >= '0' && name[i] <= '9') && name[i] != '_' &&
		    name[i] != '-')
			break;
	if (n == 0 || n > NAME_MAX_LEN || i < n) {
		char shown[64];

		op_show(shown, sizeof(shown), name);
		return op_err_set(err, OUTPOST_EMISUSE, "device name \"%s\": "
				  "use 1 to %d letters, digits, _ and -",
				  shown, NAME_MAX_LEN);
	}
	return OUTPOST_OK;
}

/* KEY must be a scope the schema declares; the value is checked and
 * stored in the text form of that scope's column (as policies and the
 * central log compare it). */
static int add_scope(struct dev *v, const char *kv)
{
	const char *eq = strchr(kv, '=');
	char key[128], sql[256];
	const char *p[3], *cast = "";
	PGresult *r = NULL;
	int rc;

	if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof(key))
		return op_err_set(v->err, OUTPOST_EMISUSE, "--scope %s: write "
				  "KEY=VALUE", kv);
	snprintf(key, sizeof(key), "%.*s", (int)(eq - kv), kv);
	p[0] = key;
	rc = op_pg_central_query(&r, v->c, "SELECT cols->>scope_col FROM "
				 "outpost.catalog WHERE scope_name = $1 ORDER "
				 "BY name LIMIT 1", 1, p, "looking up the "
				 "scope", v->err);
	if (rc == OUTPOST_OK && PQntuples(r) == 0)
		rc = op_err_set(v->err, OUTPOST_EMISUSE, "--scope %s: the "
				"schema declares no scope named %s", kv, key);
	else if (rc == OUTPOST_OK && !strcmp(PQgetvalue(r, 0, 0), "uuid"))
		cast = "::uuid::text";
	else if (rc == OUTPOST_OK && !strcmp(PQgetvalue(r, 0, 0), "integer"))
		cast = "::bigint::text";
	PQclear(r);
	if (rc != OUTPOST_OK)
		return rc;
	p[0] = v->d->name;
	p[1] = key;
	p[2] = eq + 1;
	/* The cast checks the value against the scope column's type. */
	snprintf(sql, sizeof(sql), "INSERT INTO outpost.device_scopes "
		 "(device, name, value) VALUES ($1, $2, $3::text%s) ON "
		 "CONFLICT DO NOTHING", cast);
	return op_pg_central_query(NULL, v->c, sql, 3, p, "registering the "
				   "device's scope (is the value of the scope "
				   "column's type?)", v->err);
}

/* Replace the device's scopes when some are given; note a change. */
static int set_scopes(struct dev *v)
{
	const char *p[1] = {v->d->name};
	const char *snap = "SELECT coalesce(string_agg(name || '=' || value, "
			   "', ' ORDER BY name, value), '') FROM "
			   "outpost.device_scopes WHERE device = $1";
	PGresult *before = NULL, *after = NULL;
	size_t i;
	int rc;

	if (v->d->nscopes == 0)
		return OUTPOST_OK; /* keep what it has */
	rc = op_pg_central_query(&before, v->c, snap, 1, p, "reading the "
				 "device's scopes", v->err);
	if (rc == OUTPOST_OK)
		rc = op_pg_central_query(NULL, v->c, "DELETE FROM "
					 "outpost.device_scopes WHERE device "
					 "= $1", 1, p, "replacing the device's "
					 "scopes", v->err);
	for (i = 0; rc == OUTPOST_OK && i < v->d->nscopes; i++)
		rc = add_scope(v, v->d->scopes[i]);
	if (rc == OUTPOST_OK)
		rc = op_pg_central_query(&after, v->c, snap, 1, p, "reading "
					 "the device's scopes", v->err);
	if (rc == OUTPOST_OK)
		v->scopes_changed = strcmp(PQgetvalue(before, 0, 0),
					   PQgetvalue(after, 0, 0)) != 0;
	PQclear(before);
	PQclear(after);
	return rc;
}

/* A fresh password: 32 random bytes, base64url. The server is given
 * only its SCRAM verifier, so the password is in no statement or log. */
static int set_password(struct dev *v, char pw[64])
{
	unsigned char raw[32];
	struct op_buf sql = {0};
	char *verifier;
	int rc;

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(pw, 64, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	verifier = PQencryptPasswordConn(v->c->conn, pw, v->role,
					 "scram-sha-256");
	if (!verifier)
		return op_err_set(v->err, OUTPOST_ESQL, "making the password "
				  "verifier: %s", PQerrorMessage(v->c->conn));
	op_buf_addf(&sql, "%s ROLE ", v->exists ? "ALTER" : "CREATE");
	op_pg_central_ident(&sql, v->role);
	op_buf_adds(&sql, " LOGIN PASSWORD ");
	op_pg_central_literal(&sql, verifier);
	PQfreemem(verifier);
	rc = op_pg_central_exec_buf(v->c, &sql, v->exists ? "changing the "
				    "device role's password" : "creating the "
				    "device role", v->err);
	op_buf_free(&sql);
	return rc;
}

/* Known device, or a new one whose role name is free. */
static int lookup(struct dev *v)
{
	const char *p[2] = {v->d->name, v->role};
	PGresult *r = NULL;
	int rc = op_pg_central_query(
		&r, v->c, "SELECT EXISTS (SELECT 1 FROM outpost.devices WHERE "
		"name = $1), EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
		"$2)", 2, p, "looking up the device", v->err);

	if (rc != OUTPOST_OK)
		return rc;
	v->exists = !strcmp(PQgetvalue(r, 0, 0), "t");
	if (!v->exists && !strcmp(PQgetvalue(r, 0, 1), "t"))
		rc = op_err_set(v->err, OUTPOST_EEXIST, "role %s exists but is "
				"not a device of this central database; "
				"choose another device name", v->role);
	if (rc == OUTPOST_OK && !v->exists && v->d->nscopes == 0)
		rc = op_err_set(v->err, OUTPOST_EMISUSE, "a new device needs "
				"its scopes: --scope KEY=VALUE ...");
	PQclear(r);
	return rc;
}

static int registered(struct dev *v)
{
	const char *p[2] = {v->d->name, v->role};
	int rc = OUTPOST_OK;

	if (!v->exists)
		rc = op_pg_central_query(NULL, v->c, "INSERT INTO "
					 "outpost.devices (name, role) VALUES "
					 "($1, $2)", 2, p, "registering the "
					 "device", v->err);
	if (rc == OUTPOST_OK)
		rc = set_scopes(v);
	if (rc == OUTPOST_OK)
		rc = op_pg_central_query(NULL, v->c, "SELECT "
					 "outpost.grant_device($1)", 1, p + 1,
					 "granting the device its privileges",
					 v->err);
	return rc;
}

/* What to run on the device: host, port and database as the
 * administrator reached them, the device's role, its password file. */
static void instructions(struct op_buf *b, const struct dev *v, int wrote)
{
	const char *file = strrchr(v->path, '/') ? strrchr(v->path, '/') + 1
						 : v->path;
	struct op_buf ci = {0};

	op_buf_addf(&ci, "host=%s port=%s dbname=%s user=%s",
		    PQhost(v->c->conn), PQport(v->c->conn),
		    PQdb(v->c->conn), v->role);
	op_buf_addf(b, "device %s %s (role %s)\n", v->d->name,
		    v->exists ? "updated" : "registered", v->role);
	if (v->exists && v->d->nscopes)
		op_buf_addf(b, "scopes %s\n", v->scopes_changed
						      ? "updated"
						      : "unchanged");
	if (wrote)
		op_buf_addf(b, "password written to %s (mode 0600); copy it "
			    "to the device\n", v->path);
	else
		op_buf_adds(b, "password unchanged (--new-password makes a "
			       "new one)\n");
	op_buf_adds(b, "on the device, run:\n  outpost remote set --pg '");
	/* Shell quoting: ' becomes '\'' inside '...'. */
	for (const char *s = op_buf_str(&ci); *s; s++)
		op_buf_add(b, *s == '\'' ? "'\\''" : s, *s == '\'' ? 4 : 1);
	op_buf_addf(b, "' --password-file %s\n", file);
	op_buf_free(&ci);
}

static int run(struct dev *v, struct op_buf *report)
{
	char pw[64] = "";
	int rc, have = 0, fresh;

	rc = op_pg_central_installed(&have, v->c, v->err);
	if (rc == OUTPOST_OK && !have)
		rc = op_err_set(v->err, OUTPOST_ENOTFOUND, "central has no "
				"outpost objects yet: run outpost central init "
				"first");
	if (rc == OUTPOST_OK)
		rc = lookup(v);
	fresh = !v->exists || v->d->new_password;
	if (rc == OUTPOST_OK && fresh && access(v->path, F_OK) == 0)
		rc = op_err_set(v->err, OUTPOST_EEXIST, "%s exists: move it "
				"away or name another file with "
				"--password-file", v->path);
	if (rc == OUTPOST_OK && fresh)
		rc = set_password(v, pw);
	if (rc == OUTPOST_OK)
		rc = registered(v);
	/* The file is made before the commit and removed if the commit
	 * fails: a password is never lost, nor left for a role that is
	 * not there. */
	if (rc == OUTPOST_OK && fresh) {
		rc = op_fs_write_secret(v->path, pw, strlen(pw), v->err);
	}
	sodium_memzero(pw, sizeof(pw));
	if (rc == OUTPOST_OK &&
	    (rc = op_pg_central_exec(v->c, "COMMIT", "committing add-device",
				     v->err)) != OUTPOST_OK && fresh)
		unlink(v->path);
	if (rc == OUTPOST_OK)
		instructions(report, v, fresh);
	return rc;
}

int op_pg_central_add_device(struct op_buf *report, struct op_pg_central *c,
			     const struct op_pg_device *d, struct op_err *err)
{
	struct dev v;
	int rc;

	memset(&v, 0, sizeof(v));
	v.c = c;
	v.d = d;
	v.err = err;
	rc = check_name(d->name, err);
	if (rc != OUTPOST_OK)
		return rc;
	snprintf(v.role, sizeof(v.role), ROLE_PREFIX "%s", d->name);
	if (d->password_file)
		snprintf(v.path, sizeof(v.path), "%s", d->password_file);
	else
		snprintf(v.path, sizeof(v.path), "%s.pgpass", d->name);
	rc = op_pg_central_begin(c, err);
	if (rc == OUTPOST_OK)
		rc = run(&v, report);
	if (rc != OUTPOST_OK)
		op_pg_central_rollback(c);
	return rc;
}
