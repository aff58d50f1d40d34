/* api_remote.c - where the store syncs to, and how that is going:
 * outpost_remote_set_pg() and outpost_sink_status_get(). The conninfo is
 * kept in meta "remote_pg"; the password, if any, in keys/pg.pass (0600),
 * never in the conninfo, the log or any message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "api_int.h"
#include "api_neo4j.h"
#include "api_remote_int.h"
#include "sink.h"

#define PG_PASS_FILE "pg.pass"
#define PG_PASS_MAX 1024

/* The password file, whole, without a trailing newline. */
static int read_password(outpost *db, const char *path, char **out)
{
	size_t len = 0;
	int rc = op_fs_read_secret(out, &len, path, PG_PASS_MAX, &db->err);

	if (rc != OUTPOST_OK)
		return rc;
	while (len > 0 && ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r'))
		(*out)[--len] = '\0';
	if (len == 0 || memchr(*out, '\0', len)) {
		op_free(*out);
		*out = NULL;
		return op_err_set(&db->err, OUTPOST_EMISUSE, "%s: empty, or "
				  "not one line of text", path);
	}
	return OUTPOST_OK;
}

/* Replace keys/pg.pass: a new file beside it, then a rename, so a crash
 * leaves the old password or the new one, never half of one. */
static int keep_password(outpost *db, const char *password)
{
	char *keys = op_fs_join(db->dir, OP_KEYS_DIR);
	char *dst = keys ? op_fs_join(keys, PG_PASS_FILE) : NULL;
	char *tmp = keys ? op_fs_join(keys, PG_PASS_FILE ".new") : NULL;
	int rc = OUTPOST_OK;

	if (!dst || !tmp) {
		rc = op_err_set(&db->err, OUTPOST_ENOMEM, "out of memory");
	} else {
		unlink(tmp);
		rc = op_fs_write_secret(tmp, password, strlen(password),
					&db->err);
		if (rc == OUTPOST_OK && rename(tmp, dst) != 0) {
			unlink(tmp);
			rc = op_err_set(&db->err, OUTPOST_EIO, "cannot "
					"replace %s", dst);
		}
	}
	op_free(keys);
	op_free(dst);
	op_free(tmp);
	return rc;
}

int outpost_remote_set_pg(outpost *db, const char *conninfo,
			  const char *password_file)
{
	char why[512];
	char *password = NULL;
	int rc;

	if (!db || !conninfo)
		return OUTPOST_EMISUSE;
	if (db->read_only)
		return op_err_set(&db->err, OUTPOST_EMISUSE, "the store is "
				  "open read-only");
	if (op_pg_conninfo_check(conninfo, why, sizeof(why)) != OUTPOST_OK)
		return op_err_set(&db->err, OUTPOST_EMISUSE, "--pg: %s", why);
	rc = password_file ? read_password(db, password_file, &password)
			   : OUTPOST_OK;
	if (rc == OUTPOST_OK && password)
		rc = keep_password(db, password);
	if (password)
		sodium_memzero(password, strlen(password));
	op_free(password);
	if (rc == OUTPOST_OK)
		rc = op_rel_begin_write(db->rel, &db->err);
	if (rc == OUTPOST_OK) {
		rc = op_log_meta_set(db->rel, "remote_pg", conninfo, &db->err);
		rc = rc == OUTPOST_OK ? op_rel_commit(db->rel, &db->err) : rc;
		op_rel_rollback(db->rel);
	}
	return rc;
}

int op_api_remote_pg(outpost *db, char **conninfo, char **password)
{
	char *keys = NULL, *path = NULL;
	const char *env = getenv("OUTPOST_PG_PASSWORD");
	int rc = op_log_meta_get(db->rel, "remote_pg", conninfo, &db->err);

	*password = NULL;
	if (rc != OUTPOST_OK)
		return rc;
	if (!*conninfo)
		return op_err_set(&db->err, OUTPOST_ENOTFOUND, "no remote is "
				  "set (outpost remote set --pg CONNINFO)");
	if (env && env[0])
		return (*password = op_strdup(env)) ? OUTPOST_OK
						    : OUTPOST_ENOMEM;
	keys = op_fs_join(db->dir, OP_KEYS_DIR);
	path = keys ? op_fs_join(keys, PG_PASS_FILE) : NULL;
	if (path && op_fs_exists(path))
		rc = read_password(db, path, password);
	op_free(keys);
	op_free(path);
	return rc;
}

static void cursor_row(outpost *db, const char *name, long long *seq,
		       char *last_ok, size_t nok, char *last_error,
		       size_t nerr)
{
	struct op_stmt *st = NULL;

	if (op_rel_prepare(&st, db->rel, "SELECT seq, last_ok, last_error "
					 "FROM _outpost_cursors WHERE "
					 "consumer = ?1", NULL,
			   &db->err) != OUTPOST_OK)
		return;
	if (op_rel_bind_text(st, 1, name) == OUTPOST_OK &&
	    op_rel_step(st, &db->err) == OP_ROW) {
		const char *ok = op_rel_col_text(st, 1);
		const char *e = op_rel_col_text(st, 2);

		*seq = op_rel_col_int(st, 0);
		/* The later of push's and pull's successes. */
		if (ok && last_ok && strcmp(ok, last_ok) > 0)
			snprintf(last_ok, nok, "%s", ok);
		if (e && last_error && !last_error[0])
			snprintf(last_error, nerr, "%s", e);
	}
	op_rel_finalize(st);
}

int outpost_sink_status_get(outpost_sink_status *out, outpost *db,
			    const char *sink)
{
	char *conninfo = NULL;
	int64_t pending = 0;
	int rc;

	if (!out || !db || !sink ||
	    out->version != OUTPOST_SINK_STATUS_VERSION)
		return OUTPOST_EMISUSE;
	if (strcmp(sink, "neo4j") == 0)
		return op_api_neo4j_status(out, db);
	if (strcmp(sink, "pg") != 0)
		return op_err_set(&db->err, OUTPOST_ENOTFOUND, "no sink "
				  "\"%s\" (there are \"pg\" and \"neo4j\")",
				  sink);
	memset(out, 0, sizeof(*out));
	out->version = OUTPOST_SINK_STATUS_VERSION;
	rc = op_log_meta_get(db->rel, "remote_pg", &conninfo, &db->err);
	if (rc != OUTPOST_OK || !conninfo)
		return rc;
	out->configured = 1;
	snprintf(out->remote, sizeof(out->remote), "%s", conninfo);
	op_free(conninfo);
	cursor_row(db, "pg_push", &out->push_seq, out->last_ok,
		   sizeof(out->last_ok), out->last_error,
		   sizeof(out->last_error));
	cursor_row(db, "pg_pull", &out->pull_seq, out->last_ok,
		   sizeof(out->last_ok), out->last_error,
		   sizeof(out->last_error));
	rc = op_api_sync_pending(db, out->push_seq, &pending);
	out->pending = pending;
	return rc;
}
