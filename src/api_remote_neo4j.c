/* api_remote_neo4j.c - where the Neo4j mirror is, and how it is going:
 * outpost_remote_set_neo4j(), its credentials, its `status` row and
 * outpost_neo4j_check(). The URL, database, user and CA file are kept in
 * meta "remote_neo4j" (JSON); a password or token in keys/neo4j.pass or
 * keys/neo4j.token (0600), never in meta, the log or any message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sodium.h>

#include "api_neo4j.h"

#define META_KEY "remote_neo4j"
#define PASS_FILE "neo4j.pass"
#define TOKEN_FILE "neo4j.token"
#define SECRET_MAX 8192

static void wipe_free(char *s)
{
	if (s)
		sodium_memzero(s, strlen(s));
	op_free(s);
}

/* A secret file, whole, without a trailing newline. */
static int read_secret(outpost *db, const char *path, char **out)
{
	size_t len = 0;
	int rc = op_fs_read_secret(out, &len, path, SECRET_MAX, &db->err);

	if (rc != OUTPOST_OK)
		return rc;
	while (len > 0 && ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r'))
		(*out)[--len] = '\0';
	if (len == 0 || memchr(*out, '\0', len) || strchr(*out, '\n')) {
		wipe_free(*out);
		*out = NULL;
		return op_err_set(&db->err, OUTPOST_EMISUSE, "%s: empty, or "
				  "not one line of text", path);
	}
	return OUTPOST_OK;
}

/* keys/NAME: its path (op_free). */
static char *key_path(outpost *db, const char *name)
{
	char *keys = op_fs_join(db->dir, OP_KEYS_DIR);
	char *p = keys ? op_fs_join(keys, name) : NULL;

	op_free(keys);
	return p;
}

/* Keep secret in keys/name (a new file, then a rename: a crash leaves
 * the old one or the new one) and remove keys/other. */
static int keep_secret(outpost *db, const char *name, const char *other,
		       const char *secret)
{
	char *dst = key_path(db, name), *old = key_path(db, other);
	char tmp_name[64];
	char *tmp;
	int rc = OUTPOST_OK;

	snprintf(tmp_name, sizeof(tmp_name), "%s.new", name);
	tmp = key_path(db, tmp_name);
	if (!dst || !old || !tmp) {
		rc = op_err_set(&db->err, OUTPOST_ENOMEM, "out of memory");
	} else {
		unlink(tmp);
		rc = op_fs_write_secret(tmp, secret, strlen(secret), &db->err);
		if (rc == OUTPOST_OK && rename(tmp, dst) != 0) {
			unlink(tmp);
			rc = op_err_set(&db->err, OUTPOST_EIO, "cannot "
					"replace %s", dst);
		}
		if (rc == OUTPOST_OK)
			unlink(old);
	}
	op_free(dst);
	op_free(old);
	op_free(tmp);
	return rc;
}

static int config_json(outpost *db, const outpost_neo4j_remote *r,
		       char **out)
{
	cJSON *o = cJSON_CreateObject();
	int ok = o && cJSON_AddStringToObject(o, "url", r->url) &&
		 cJSON_AddStringToObject(o, "database", r->database
							  ? r->database
							  : "neo4j") &&
		 (!r->user || cJSON_AddStringToObject(o, "user", r->user)) &&
		 (!r->ca_file ||
		  cJSON_AddStringToObject(o, "ca_file", r->ca_file));
	char *text = ok ? cJSON_PrintUnformatted(o) : NULL;

	*out = text ? op_strdup(text) : NULL;
	cJSON_free(text);
	cJSON_Delete(o);
	return *out ? OUTPOST_OK
		    : op_err_set(&db->err, OUTPOST_ENOMEM, "out of memory");
}

int outpost_remote_set_neo4j(outpost *db, const outpost_neo4j_remote *r)
{
	char why[512], *secret = NULL, *json = NULL;
	const char *file;
	int rc;

	if (!db || !r || r->version != OUTPOST_NEO4J_REMOTE_VERSION || !r->url)
		return OUTPOST_EMISUSE;
	if (db->read_only)
		return op_err_set(&db->err, OUTPOST_EMISUSE, "the store is "
				  "open read-only");
	if (r->password_file && r->token_file)
		return op_err_set(&db->err, OUTPOST_EMISUSE, "--neo4j: a "
				  "password file or a token file, not both");
	if (op_neo4j_url_check(r->url, r->database ? r->database : "neo4j",
			       r->ca_file, why, sizeof(why)) != OUTPOST_OK)
		return op_err_set(&db->err, OUTPOST_EMISUSE, "--neo4j: %s",
				  why);
	file = r->password_file ? r->password_file : r->token_file;
	rc = file ? read_secret(db, file, &secret) : OUTPOST_OK;
	if (rc == OUTPOST_OK && secret)
		rc = r->token_file
			     ? keep_secret(db, TOKEN_FILE, PASS_FILE, secret)
			     : keep_secret(db, PASS_FILE, TOKEN_FILE, secret);
	wipe_free(secret);
	if (rc == OUTPOST_OK)
		rc = config_json(db, r, &json);
	if (rc == OUTPOST_OK)
		rc = op_rel_begin_write(db->rel, &db->err);
	if (rc == OUTPOST_OK) {
		rc = op_log_meta_set(db->rel, META_KEY, json, &db->err);
		rc = rc == OUTPOST_OK ? op_rel_commit(db->rel, &db->err) : rc;
		op_rel_rollback(db->rel);
	}
	op_free(json);
	return rc;
}

int op_api_neo4j_is_set(outpost *db)
{
	char *v = NULL;
	int set = op_log_meta_get(db->rel, META_KEY, &v, NULL) == OUTPOST_OK &&
		  v != NULL;

	op_free(v);
	return set;
}

static char *json_dup(const cJSON *o, const char *key)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));

	return s ? op_strdup(s) : NULL;
}

/* The secret: the environment first, then the keys directory. */
static int credentials(outpost *db, struct op_api_neo4j_config *c)
{
	const char *token = getenv("OUTPOST_NEO4J_TOKEN");
	const char *pw = getenv("OUTPOST_NEO4J_PASSWORD");
	const char *user = getenv("OUTPOST_NEO4J_USER");
	char *path = NULL;
	int rc = OUTPOST_OK;

	if (user && user[0]) {
		op_free(c->user);
		c->user = op_strdup(user);
	} else if (!c->user) {
		c->user = op_strdup("neo4j");
	}
	if (!c->user)
		return OUTPOST_ENOMEM;
	c->bearer = token && token[0];
	if ((token && token[0]) || (pw && pw[0]))
		return (c->secret = op_strdup(c->bearer ? token : pw))
			       ? OUTPOST_OK
			       : OUTPOST_ENOMEM;
	if ((path = key_path(db, TOKEN_FILE)) && op_fs_exists(path)) {
		c->bearer = 1;
		rc = read_secret(db, path, &c->secret);
	} else if (path) {
		op_free(path);
		if ((path = key_path(db, PASS_FILE)) && op_fs_exists(path))
			rc = read_secret(db, path, &c->secret);
	}
	if (!path)
		rc = OUTPOST_ENOMEM;
	op_free(path);
	return rc;
}

int op_api_neo4j_config(outpost *db, struct op_api_neo4j_config *c)
{
	char *text = NULL;
	cJSON *o = NULL;
	struct op_schema *s = NULL;
	int rc = op_log_meta_get(db->rel, META_KEY, &text, &db->err);

	memset(c, 0, sizeof(*c));
	if (rc == OUTPOST_OK && !text)
		rc = op_err_set(&db->err, OUTPOST_ENOTFOUND, "no Neo4j mirror "
				"is set (outpost remote set --neo4j URL)");
	if (rc == OUTPOST_OK && !cJSON_IsObject(o = cJSON_Parse(text)))
		rc = op_err_set(&db->err, OUTPOST_ECORRUPT, "meta %s is not "
				"a JSON object", META_KEY);
	if (rc == OUTPOST_OK) {
		c->url = json_dup(o, "url");
		c->database = json_dup(o, "database");
		c->user = json_dup(o, "user");
		c->ca_file = json_dup(o, "ca_file");
		if (!c->url || !c->database)
			rc = op_err_set(&db->err, OUTPOST_ECORRUPT, "meta %s "
					"has no url or database", META_KEY);
	}
	if (rc == OUTPOST_OK)
		rc = credentials(db, c);
	if (rc == OUTPOST_OK)
		rc = op_api_schema_current(db, &s);
	if (rc == OUTPOST_OK && !s)
		rc = op_err_set(&db->err, OUTPOST_ENOTFOUND, "the store has no "
				"schema: nothing to mirror");
	else if (rc == OUTPOST_OK && !(c->schema_json = op_strdup(s->json)))
		rc = OUTPOST_ENOMEM;
	if (rc == OUTPOST_ENOMEM)
		op_err_set(&db->err, rc, "out of memory");
	op_schema_free(s);
	cJSON_Delete(o);
	op_free(text);
	if (rc != OUTPOST_OK)
		op_api_neo4j_config_free(c);
	return rc;
}

void op_api_neo4j_config_free(struct op_api_neo4j_config *c)
{
	op_free(c->url);
	op_free(c->database);
	op_free(c->user);
	wipe_free(c->secret);
	op_free(c->ca_file);
	op_free(c->schema_json);
	memset(c, 0, sizeof(*c));
}

void op_api_neo4j_sink_opts(struct op_neo4j_sink_opts *o,
			    const struct op_api_neo4j_config *c, size_t rows)
{
	memset(o, 0, sizeof(*o));
	o->url = c->url;
	o->database = c->database;
	o->user = c->user;
	o->secret = c->secret;
	o->bearer = c->bearer;
	o->ca_file = c->ca_file;
	o->schema_json = c->schema_json;
	o->rows = rows;
}

int op_api_neo4j_open(outpost *db, const struct op_api_neo4j_config *c,
		      size_t rows, struct op_sink **out)
{
	struct op_neo4j_sink_opts o;
	char why[512] = "";
	int rc;

	op_api_neo4j_sink_opts(&o, c, rows);
	rc = op_neo4j_sink_open(out, &o, why, sizeof(why));
	return rc == OUTPOST_OK ? rc : op_err_set(&db->err, rc, "%s", why);
}

int op_api_neo4j_status(outpost_sink_status *out, outpost *db)
{
	struct op_stmt *st = NULL;
	char *text = NULL;
	cJSON *o = NULL;
	int64_t pending = 0;
	int rc = op_log_meta_get(db->rel, META_KEY, &text, &db->err);

	memset(out, 0, sizeof(*out));
	out->version = OUTPOST_SINK_STATUS_VERSION;
	if (rc != OUTPOST_OK || !text)
		return rc;
	out->configured = 1;
	o = cJSON_Parse(text);
	snprintf(out->remote, sizeof(out->remote), "%s (database %s)",
		 cJSON_GetStringValue(cJSON_GetObjectItem(o, "url"))
			 ? cJSON_GetStringValue(cJSON_GetObjectItem(o, "url"))
			 : "?",
		 cJSON_GetStringValue(cJSON_GetObjectItem(o, "database"))
			 ? cJSON_GetStringValue(
				   cJSON_GetObjectItem(o, "database"))
			 : "?");
	cJSON_Delete(o);
	op_free(text);
	rc = op_rel_prepare(&st, db->rel, "SELECT seq, last_ok, last_error "
			    "FROM _outpost_cursors WHERE consumer = ?1", NULL,
			    &db->err);
	if (rc == OUTPOST_OK)
		rc = op_rel_bind_text(st, 1, OP_NEO4J_CURSOR);
	if (rc == OUTPOST_OK && (rc = op_rel_step(st, &db->err)) == OP_ROW) {
		const char *ok = op_rel_col_text(st, 1);
		const char *e = op_rel_col_text(st, 2);

		out->push_seq = op_rel_col_int(st, 0);
		snprintf(out->last_ok, sizeof(out->last_ok), "%s", ok ? ok : "");
		snprintf(out->last_error, sizeof(out->last_error), "%s",
			 e ? e : "");
		rc = OUTPOST_OK;
	}
	op_rel_finalize(st);
	if (rc == OUTPOST_OK)
		rc = op_api_neo4j_pending(db, out->push_seq, &pending);
	out->pending = pending;
	return rc;
}

int outpost_neo4j_check(char **out, outpost *db)
{
	struct op_api_neo4j_config c;
	struct op_sink *k = NULL;
	char *report = NULL;
	int rc;

	if (!out || !db)
		return OUTPOST_EMISUSE;
	*out = NULL;
	rc = op_api_neo4j_config(db, &c);
	if (rc == OUTPOST_OK)
		rc = op_api_neo4j_open(db, &c, 0, &k);
	if (rc == OUTPOST_OK) {
		rc = op_neo4j_sink_check(k, &report);
		if (rc == OUTPOST_EDRIFT) {
			size_t n = strlen(report);

			if (n && report[n - 1] == '\n')
				report[n - 1] = '\0';
			*out = report;
			report = NULL;
			op_err_set(&db->err, rc, "Neo4j's constraints or "
				   "schema differ from the store's");
		} else if (rc != OUTPOST_OK) {
			op_err_set(&db->err, rc, "%s", k->errmsg);
		}
		k->ops->close(k);
	}
	op_free(report);
	op_api_neo4j_config_free(&c);
	return rc;
}
