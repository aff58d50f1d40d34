/* rel_conn.c - SQLite connections: open with the store's settings, map
 * errors, transactions. */
#include <string.h>

#include "rel_int.h"

int op_rel_error(struct op_rel *rel, int src, struct op_err *err)
{
	const char *msg = rel && rel->db ? sqlite3_errmsg(rel->db)
					  : sqlite3_errstr(src);
	int prim = src & 0xff;

	if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
		return op_err_set(err, OUTPOST_EBUSY,
				  "the store is busy: another process held "
				  "its write lock for more than %u ms; try "
				  "again (%s)",
				  rel ? rel->busy_ms : 0, msg);
	if (prim == SQLITE_NOMEM)
		return op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	if (prim == SQLITE_CORRUPT || prim == SQLITE_NOTADB)
		return op_err_set(err, OUTPOST_ECORRUPT,
				  "the store's SQLite file is damaged: %s",
				  msg);
	if (prim == SQLITE_IOERR || prim == SQLITE_FULL ||
	    prim == SQLITE_CANTOPEN || prim == SQLITE_READONLY)
		return op_err_set(err, OUTPOST_EIO, "%s", msg);
	/* Our triggers' refusals all start with "outpost: ". */
	if (prim == SQLITE_CONSTRAINT && strncmp(msg, "outpost: ", 9) == 0)
		return op_err_set(err, OUTPOST_EREFUSED, "%s", msg + 9);
	return op_err_set(err, OUTPOST_ESQL, "%s", msg);
}

int op_rel_open(struct op_rel **out, const char *path, int create,
		int read_only, unsigned busy_ms, struct op_err *err)
{
	struct op_rel *rel = op_calloc(1, sizeof(*rel));
	int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	int rc;

	*out = NULL;
	if (!rel)
		return op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	rel->busy_ms = busy_ms;
	flags |= read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
	if (create)
		flags |= SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &rel->db, flags, NULL);
	if (rc != SQLITE_OK) {
		rc = op_err_set(err, rc == SQLITE_NOMEM ? OUTPOST_ENOMEM
							: OUTPOST_EIO,
				"cannot open %s: %s", path,
				rel->db ? sqlite3_errmsg(rel->db)
					: sqlite3_errstr(rc));
		op_rel_close(rel);
		return rc;
	}
	sqlite3_busy_timeout(rel->db, (int)busy_ms);
	/* FULL: a kiosk must not lose a committed write on power loss.
	 * cache_size: a writer's transaction (a pulled batch, an import)
	 * touches pages all over random-uuid indexes; SQLite's default 2 MiB
	 * cache spills them to the WAL and reads them back many times over.
	 * 32 MiB is an upper bound, taken only as pages are used. */
	rc = op_rel_exec(rel,
			 read_only ? "PRAGMA foreign_keys=ON;"
				   : "PRAGMA journal_mode=WAL;"
				     "PRAGMA synchronous=FULL;"
				     "PRAGMA cache_size=-32768;"
				     "PRAGMA foreign_keys=ON;",
			 err);
	if (rc == OUTPOST_OK)
		rc = op_rel_register_functions(rel, err);
	if (rc != OUTPOST_OK) {
		op_rel_close(rel);
		return rc;
	}
	*out = rel;
	return OUTPOST_OK;
}

void op_rel_close(struct op_rel *rel)
{
	if (!rel)
		return;
	sqlite3_close_v2(rel->db);
	op_free(rel);
}

int op_rel_exec(struct op_rel *rel, const char *sql, struct op_err *err)
{
	int rc = sqlite3_exec(rel->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? OUTPOST_OK : op_rel_error(rel, rc, err);
}

int op_rel_get_int(struct op_rel *rel, int64_t *out, const char *sql,
		   struct op_err *err)
{
	struct op_stmt *st = NULL;
	int rc = op_rel_prepare(&st, rel, sql, NULL, err);

	if (rc != OUTPOST_OK)
		return rc;
	rc = op_rel_step(st, err);
	if (rc == OP_ROW) {
		*out = op_rel_col_int(st, 0);
		rc = OUTPOST_OK;
	}
	op_rel_finalize(st);
	return rc;
}

int op_rel_begin_write(struct op_rel *rel, struct op_err *err)
{
	return op_rel_exec(rel, "BEGIN IMMEDIATE", err);
}

int op_rel_begin_read(struct op_rel *rel, struct op_err *err)
{
	return op_rel_exec(rel, "BEGIN DEFERRED", err);
}

int op_rel_commit(struct op_rel *rel, struct op_err *err)
{
	int rc = op_rel_exec(rel, "COMMIT", err);

	if (rc != OUTPOST_OK)
		op_rel_rollback(rel);
	return rc;
}

void op_rel_rollback(struct op_rel *rel)
{
	if (!sqlite3_get_autocommit(rel->db))
		sqlite3_exec(rel->db, "ROLLBACK", NULL, NULL, NULL);
}

int op_rel_in_txn(struct op_rel *rel)
{
	return !sqlite3_get_autocommit(rel->db);
}

int op_rel_fk_pending(struct op_rel *rel)
{
	int cur = 0, hi = 0;

	if (sqlite3_db_status(rel->db, SQLITE_DBSTATUS_DEFERRED_FKS, &cur, &hi,
			      0) != SQLITE_OK)
		return 1; /* unknown: let the caller look */
	return cur != 0;
}

int64_t op_rel_changes(struct op_rel *rel)
{
	return sqlite3_changes64(rel->db);
}

void op_rel_quote_ident(struct op_buf *b, const char *name)
{
	op_buf_adds(b, "\"");
	for (; *name; name++)
		op_buf_add(b, *name == '"' ? "\"\"" : name, *name == '"' ? 2
									 : 1);
	op_buf_adds(b, "\"");
}

void op_rel_quote_text(struct op_buf *b, const char *s)
{
	op_buf_adds(b, "'");
	for (; *s; s++)
		op_buf_add(b, *s == '\'' ? "''" : s, *s == '\'' ? 2 : 1);
	op_buf_adds(b, "'");
}
