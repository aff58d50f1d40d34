/* pg_central_conn.c - the administrator's connection to central and the
 * statement helpers of the pg_central module. The password never comes
 * from a command line: libpq's own sources, or a 0600 file named by
 * $OUTPOST_PG_PASSWORD_FILE. PostgreSQL's errors keep the server's words,
 * prefixed with what outpost was doing. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pg_central_int.h"

#define PASSWORD_MAX 4096

/* The password in $OUTPOST_PG_PASSWORD_FILE, or *out = NULL if unset. A
 * file others can read is refused: the password would not be secret. */
static int password_from_file(char **out, struct op_err *err)
{
	const char *path = getenv("OUTPOST_PG_PASSWORD_FILE");
	struct stat st;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (!path || !*path)
		return OUTPOST_OK;
	if (stat(path, &st) != 0)
		return op_err_set(err, OUTPOST_ENOTFOUND, "OUTPOST_PG_PASSWORD_"
				  "FILE: cannot read %s", path);
	if (st.st_mode & 077)
		return op_err_set(err, OUTPOST_EREFUSED, "OUTPOST_PG_PASSWORD_"
				  "FILE %s can be read by group or others "
				  "(mode %03o): run chmod 600 %s", path,
				  (unsigned)(st.st_mode & 0777), path);
	rc = op_fs_read(out, &len, path, PASSWORD_MAX, err);
	if (rc != OUTPOST_OK)
		return rc;
	/* One line: a trailing newline is not part of the password. */
	while (len > 0 && ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r'))
		(*out)[--len] = '\0';
	return OUTPOST_OK;
}

/* libpq's message without its trailing newline. */
static void server_text(char *out, size_t n, const char *msg)
{
	size_t len;

	snprintf(out, n, "%s", msg && *msg ? msg : "no message");
	len = strlen(out);
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' '))
		out[--len] = '\0';
}

int op_pg_central_connect(struct op_pg_central **out, const char *conninfo,
			  struct op_err *err)
{
	const char *keys[3] = {"dbname", NULL, NULL};
	const char *vals[3] = {conninfo, NULL, NULL};
	struct op_pg_central *c;
	char *pw = NULL, text[1024];
	int rc;

	*out = NULL;
	rc = password_from_file(&pw, err);
	if (rc != OUTPOST_OK)
		return rc;
	c = op_calloc(1, sizeof(*c));
	if (!c) {
		op_free(pw);
		return op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	}
	if (pw) {
		keys[1] = "password";
		vals[1] = pw;
	}
	/* dbname is expanded as a whole conninfo; password overrides. */
	c->conn = PQconnectdbParams(keys, vals, 1);
	if (pw)
		sodium_memzero(pw, strlen(pw));
	op_free(pw);
	if (!c->conn || PQstatus(c->conn) != CONNECTION_OK) {
		server_text(text, sizeof(text),
			    c->conn ? PQerrorMessage(c->conn) : "out of memory");
		op_pg_central_close(c);
		return op_err_set(err, OUTPOST_ENET, "connecting to central "
				  "PostgreSQL: %s", text);
	}
	*out = c;
	return op_pg_central_exec(c, "SET client_min_messages = warning; "
				  "SET standard_conforming_strings = on",
				  "setting up the session", err);
}

void op_pg_central_close(struct op_pg_central *c)
{
	if (!c)
		return;
	PQfinish(c->conn);
	op_free(c);
}

static int failed(PGresult *r, struct op_pg_central *c, const char *doing,
		  struct op_err *err)
{
	char text[2048];
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	int rc = OUTPOST_ESQL;

	server_text(text, sizeof(text), r ? PQresultErrorMessage(r)
					  : PQerrorMessage(c->conn));
	if (PQstatus(c->conn) != CONNECTION_OK)
		rc = OUTPOST_ENET;
	else if (st && (!strcmp(st, "42501") || !strncmp(st, "23", 2)))
		rc = OUTPOST_EREFUSED; /* privilege, constraint */
	PQclear(r);
	return op_err_set(err, rc, "%s: %s", doing, text);
}

int op_pg_central_exec(struct op_pg_central *c, const char *sql,
		       const char *doing, struct op_err *err)
{
	PGresult *r = PQexec(c->conn, sql);
	ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		return failed(r, c, doing, err);
	PQclear(r);
	return OUTPOST_OK;
}

int op_pg_central_exec_buf(struct op_pg_central *c, const struct op_buf *b,
			   const char *doing, struct op_err *err)
{
	if (b->oom)
		return op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	return op_pg_central_exec(c, op_buf_str(b), doing, err);
}

int op_pg_central_query(PGresult **out, struct op_pg_central *c,
			const char *sql, int n, const char *const *params,
			const char *doing, struct op_err *err)
{
	PGresult *r = PQexecParams(c->conn, sql, n, NULL, params, NULL, NULL,
				   0);
	ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

	if (out)
		*out = NULL;
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		return failed(r, c, doing, err);
	if (out)
		*out = r;
	else
		PQclear(r);
	return OUTPOST_OK;
}

int op_pg_central_begin(struct op_pg_central *c, struct op_err *err)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "BEGIN; SELECT pg_advisory_xact_lock(%lld)",
		 OP_PG_ADMIN_LOCK_KEY);
	return op_pg_central_exec(c, sql, "starting the transaction", err);
}

void op_pg_central_rollback(struct op_pg_central *c)
{
	PQclear(PQexec(c->conn, "ROLLBACK"));
}

int op_pg_central_installed(int *out, struct op_pg_central *c,
			    struct op_err *err)
{
	PGresult *r = NULL;
	int rc = op_pg_central_query(&r, c, "SELECT to_regclass('outpost.meta')"
				     " IS NOT NULL", 0, NULL, "looking for "
				     "outpost's objects", err);

	*out = rc == OUTPOST_OK && !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	return rc;
}

int op_pg_central_meta(char **name, int64_t *version, char **json,
		       struct op_pg_central *c, struct op_err *err)
{
	PGresult *r = NULL;
	int rc = op_pg_central_query(
		&r, c, "SELECT (SELECT value FROM outpost.meta WHERE key = "
		"'format'), (SELECT value FROM outpost.meta WHERE key = "
		"'schema_name'), (SELECT value FROM outpost.meta WHERE key = "
		"'schema_version'), (SELECT value FROM outpost.meta WHERE key "
		"= 'schema_json')", 0, NULL, "reading outpost.meta", err);

	*name = NULL;
	if (json)
		*json = NULL;
	if (rc != OUTPOST_OK)
		return rc;
	if (strtol(PQgetvalue(r, 0, 0), NULL, 10) != OP_PG_CENTRAL_FORMAT)
		rc = op_err_set(err, OUTPOST_ESCHEMA, "central's outpost "
				"objects are in format %s; this outpost knows "
				"format %d (use the matching outpost)",
				PQgetvalue(r, 0, 0), OP_PG_CENTRAL_FORMAT);
	if (rc == OUTPOST_OK) {
		*name = op_strdup(PQgetvalue(r, 0, 1));
		*version = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
		if (json)
			*json = op_strdup(PQgetvalue(r, 0, 3));
		if (!*name || (json && !*json))
			rc = op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	}
	PQclear(r);
	return rc;
}

void op_pg_central_ident(struct op_buf *b, const char *name)
{
	op_buf_adds(b, "\"");
	for (; *name; name++)
		op_buf_add(b, *name == '"' ? "\"\"" : name,
			   *name == '"' ? 2 : 1);
	op_buf_adds(b, "\"");
}

void op_pg_central_literal(struct op_buf *b, const char *s)
{
	op_buf_adds(b, "'");
	for (; *s; s++)
		op_buf_add(b, *s == '\'' ? "''" : s, *s == '\'' ? 2 : 1);
	op_buf_adds(b, "'");
}

const char *op_pg_central_type(enum op_type t)
{
	switch (t) {
	case OP_T_UUID: return "uuid";
	case OP_T_INTEGER: return "bigint";
	case OP_T_REAL: return "double precision";
	case OP_T_BOOLEAN: return "boolean";
	case OP_T_TIMESTAMP: return "timestamp with time zone";
	case OP_T_DATE: return "date";
	case OP_T_JSON: return "jsonb";
	case OP_T_BLOB: return "bytea";
	case OP_T_TEXT_ARRAY: return "text[]";
	default: return "text"; /* text, password */
	}
}

int op_pg_central_synced(enum op_policy p)
{
	return p != OP_SYNC_LOCAL_ONLY;
}
