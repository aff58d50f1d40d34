/* log_store.c - the store's bookkeeping tables and reading the change log.
 *
 * _outpost_changes.seq is an INTEGER PRIMARY KEY: the next seq is the
 * largest + 1. Consumers' cursors are seqs and must only move forward, so
 * compaction must never delete the newest entry (AUTOINCREMENT would
 * guarantee the same at the price of a sqlite_sequence write per
 * captured row).
 *
 * site is NULL for this store's own changes (see schema_trigger.c).
 *
 * Checks avoid `x IN (...)`: inside a trigger SQLite builds an ephemeral
 * table for the list on every row, which made capture twice as costly. */
#include <string.h>

#include "log.h"

static const char *const create_sql =
	"CREATE TABLE _outpost_meta (key TEXT PRIMARY KEY, value ANY) "
	"STRICT;\n"
	"CREATE TABLE _outpost_clock (id INTEGER PRIMARY KEY CHECK (id = 1),"
	" site BLOB NOT NULL, floor INTEGER NOT NULL DEFAULT 0,"
	" applying INTEGER NOT NULL DEFAULT 0) STRICT;\n"
	"CREATE TABLE _outpost_changes (seq INTEGER PRIMARY KEY,"
	" hlc INTEGER NOT NULL, site BLOB, tbl TEXT NOT NULL,"
	" op TEXT NOT NULL CHECK (op = 'I' OR op = 'U' OR op = 'D'),"
	" row_id TEXT NOT NULL, vals TEXT);\n"
	"CREATE TABLE _outpost_cursors (consumer TEXT PRIMARY KEY,"
	" seq INTEGER NOT NULL DEFAULT 0, last_ok TEXT, last_error TEXT) "
	"STRICT;\n"
	"INSERT INTO _outpost_cursors(consumer, seq) VALUES ('graph', 0);\n";

int op_log_create(struct op_rel *rel, const uint8_t site[16],
		  struct op_err *err)
{
	struct op_stmt *st = NULL;
	int rc = op_rel_exec(rel, create_sql, err);

	if (rc == OUTPOST_OK)
		rc = op_rel_prepare(&st, rel, "INSERT INTO _outpost_clock(id, "
				    "site) VALUES (1, ?1)", NULL, err);
	if (rc == OUTPOST_OK) {
		op_rel_bind_blob(st, 1, site, 16);
		rc = op_rel_step(st, err);
	}
	op_rel_finalize(st);
	return rc;
}

int op_log_meta_get(struct op_rel *rel, const char *key, char **out,
		    struct op_err *err)
{
	struct op_stmt *st = NULL;
	int rc = op_rel_prepare(&st, rel, "SELECT value FROM _outpost_meta "
				"WHERE key = ?1", NULL, err);

	*out = NULL;
	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_text(st, 1, key);
	rc = op_rel_step(st, err);
	if (rc == OP_ROW) {
		const char *v = op_rel_col_text(st, 0);

		rc = OUTPOST_OK;
		if (v && !(*out = op_strdup(v)))
			rc = op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	}
	op_rel_finalize(st);
	return rc;
}

int op_log_meta_set(struct op_rel *rel, const char *key, const char *value,
		    struct op_err *err)
{
	struct op_stmt *st = NULL;
	int rc = op_rel_prepare(&st, rel, "INSERT OR REPLACE INTO "
				"_outpost_meta(key, value) VALUES (?1, ?2)",
				NULL, err);

	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_text(st, 1, key);
	op_rel_bind_text(st, 2, value);
	rc = op_rel_step(st, err);
	op_rel_finalize(st);
	return rc;
}

int op_log_hlc_next(struct op_rel *rel, uint64_t *out, struct op_err *err)
{
	int64_t last = 0, floor = 0;
	struct op_stmt *st = NULL;
	int rc = op_rel_begin_write(rel, err);

	if (rc != OUTPOST_OK)
		return rc;
	rc = op_rel_get_int(rel, &last, "SELECT hlc FROM _outpost_changes "
			    "ORDER BY seq DESC LIMIT 1", err);
	if (rc == OUTPOST_OK)
		rc = op_rel_get_int(rel, &floor, "SELECT floor FROM "
				    "_outpost_clock", err);
	if (rc == OUTPOST_OK) {
		uint64_t top = (uint64_t)(last > floor ? last : floor);

		*out = op_hlc_tick(top, op_hlc_wall_ms());
		rc = op_rel_prepare(&st, rel, "UPDATE _outpost_clock SET "
				    "floor = ?1", NULL, err);
	}
	if (rc == OUTPOST_OK) {
		op_rel_bind_int(st, 1, (int64_t)*out);
		rc = op_rel_step(st, err);
	}
	op_rel_finalize(st);
	if (rc == OUTPOST_OK)
		return op_rel_commit(rel, err);
	op_rel_rollback(rel);
	return rc;
}

static int visit(struct op_stmt *st, const uint8_t local[16],
		 outpost_change_fn fn, void *ctx, struct op_err *err)
{
	int rc;

	while ((rc = op_rel_step(st, err)) == OP_ROW) {
		outpost_change c;
		outpost_value site;
		char hex[33];
		const char *op;

		c.seq = op_rel_col_int(st, 0);
		c.hlc = (unsigned long long)op_rel_col_int(st, 1);
		op_rel_col(st, 2, &site);
		if (site.type == OUTPOST_NULL)
			site.s = (const char *)local;
		else if (site.type != OUTPOST_BLOB || site.n != 16)
			return op_err_set(err, OUTPOST_ECORRUPT, "change-log "
					  "entry %lld has a malformed site "
					  "id", c.seq);
		op_hex_encode(hex, (const uint8_t *)site.s, 16);
		c.site = hex;
		c.table = op_rel_col_text(st, 3);
		op = op_rel_col_text(st, 4);
		c.op = op ? op[0] : '?';
		c.row_id = op_rel_col_text(st, 5);
		c.values = op_rel_col_text(st, 6);
		if (fn(ctx, &c) != 0)
			return OUTPOST_OK;
	}
	return rc;
}

int op_log_each(struct op_rel *rel, const uint8_t local_site[16],
		const outpost_log_filter *f, outpost_change_fn fn, void *ctx,
		struct op_err *err)
{
	static const outpost_log_filter all = OUTPOST_LOG_FILTER_INIT;
	struct op_buf sql = {0};
	struct op_stmt *st = NULL;
	char op[2] = {0, 0};
	int rc;

	if (!f)
		f = &all;
	op[0] = f->op;
	op_buf_adds(&sql, "SELECT seq, hlc, site, tbl, op, row_id, vals FROM "
			  "_outpost_changes WHERE seq > ?1"
			  " AND (?2 IS NULL OR tbl = ?2)"
			  " AND (?3 IS NULL OR row_id = ?3)"
			  " AND (?4 IS NULL OR op = ?4)");
	op_buf_addf(&sql, " ORDER BY seq %s LIMIT ?5",
		    f->newest_first ? "DESC" : "ASC");
	if (sql.oom)
		return op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	rc = op_rel_begin_read(rel, err);
	if (rc == OUTPOST_OK)
		rc = op_rel_prepare(&st, rel, op_buf_str(&sql), NULL, err);
	if (rc == OUTPOST_OK) {
		op_rel_bind_int(st, 1, f->after_seq);
		if (f->table)
			op_rel_bind_text(st, 2, f->table);
		if (f->row_id)
			op_rel_bind_text(st, 3, f->row_id);
		if (f->op)
			op_rel_bind_text(st, 4, op);
		op_rel_bind_int(st, 5, f->limit > 0 ? f->limit : -1);
		rc = visit(st, local_site, fn, ctx, err);
	}
	op_rel_finalize(st);
	op_rel_rollback(rel);
	op_buf_free(&sql);
	return rc;
}

int op_log_append(struct op_rel *rel, int central, const char *tbl, char op,
		  const char *row_id, const char *vals, int64_t *seq,
		  uint64_t *hlc, struct op_err *err)
{
	static const uint8_t central_site[16] = {0};
	int64_t last = 0, floor = 0;
	struct op_stmt *st = NULL;
	char ops[2] = {op, 0};
	int rc = op_rel_get_int(rel, &last, "SELECT hlc FROM _outpost_changes "
				"ORDER BY seq DESC LIMIT 1", err);

	if (rc == OUTPOST_OK)
		rc = op_rel_get_int(rel, &floor, "SELECT floor FROM "
				    "_outpost_clock", err);
	if (rc == OUTPOST_OK)
		rc = op_rel_prepare(&st, rel, "INSERT INTO _outpost_changes("
				    "hlc, site, tbl, op, row_id, vals) VALUES "
				    "(?1, ?2, ?3, ?4, ?5, ?6) RETURNING seq",
				    NULL, err);
	if (rc != OUTPOST_OK)
		return rc;
	*hlc = op_hlc_tick((uint64_t)(last > floor ? last : floor),
			   op_hlc_wall_ms());
	op_rel_bind_int(st, 1, (int64_t)*hlc);
	if (central)
		op_rel_bind_blob(st, 2, central_site, 16);
	op_rel_bind_text(st, 3, tbl);
	op_rel_bind_text(st, 4, ops);
	op_rel_bind_text(st, 5, row_id);
	if (vals)
		op_rel_bind_text(st, 6, vals);
	rc = op_rel_step(st, err);
	if (rc == OP_ROW) {
		*seq = op_rel_col_int(st, 0);
		rc = op_rel_step(st, err);
	}
	op_rel_finalize(st);
	return rc;
}

/* Bind text s as parameter idx of st without copying it. */
static void bind_ref(struct op_stmt *st, int idx, const char *s)
{
	outpost_value v;

	memset(&v, 0, sizeof(v));
	v.type = OUTPOST_TEXT;
	v.s = s;
	v.n = strlen(s);
	op_rel_bind_ref(st, idx, &v);
}

/* Bind entry e as parameters at+1 .. at+6. */
static void bind_entry(struct op_stmt *st, int at,
		       const struct op_log_entry *e)
{
	char other[2] = {e->op, 0}; /* refused by the table's CHECK */
	const char *op = e->op == 'I' ? "I" : e->op == 'U' ? "U" : "D";
	outpost_value site;

	memset(&site, 0, sizeof(site));
	site.type = OUTPOST_BLOB;
	site.s = (const char *)e->site;
	site.n = 16;
	op_rel_bind_int(st, at + 1, (int64_t)e->hlc);
	op_rel_bind_ref(st, at + 2, &site);
	bind_ref(st, at + 3, e->tbl);
	if (e->op == 'I' || e->op == 'U' || e->op == 'D')
		bind_ref(st, at + 4, op);
	else
		op_rel_bind_text(st, at + 4, other); /* copied */
	bind_ref(st, at + 5, e->row_id);
	if (e->vals)
		bind_ref(st, at + 6, e->vals);
}

/* No RETURNING: SQLite gathers a RETURNING statement's rows in a table
 * of their own, opened and closed at each run, which cost more than the
 * insert. The log has no triggers, so the last rowid is the entry's.
 * Nothing is copied in (a pull logs every change it applies): the
 * caller keeps it until the next call. */
int op_log_append_remote(struct op_rel *rel, struct op_stmt **st,
			 const char *tbl, char op, const char *row_id,
			 const char *vals, uint64_t hlc,
			 const uint8_t site[16], int64_t *seq,
			 struct op_err *err)
{
	struct op_log_entry e;
	int rc;

	e.tbl = tbl;
	e.op = op;
	e.row_id = row_id;
	e.vals = vals;
	e.hlc = hlc;
	e.site = site;
	rc = op_log_append_many(rel, st, &e, 1, err);
	if (rc == OUTPOST_OK && seq)
		*seq = op_rel_last_rowid(rel);
	return rc;
}

/* One statement of n rows: the per-statement work of SQLite (cursors
 * opened, registers freed at the end) is paid once for all of them. The
 * rows are inserted in the order of the VALUES, so each entry gets the
 * seq it would have got alone. */
int op_log_append_many(struct op_rel *rel, struct op_stmt **st,
		       const struct op_log_entry *e, size_t n,
		       struct op_err *err)
{
	struct op_buf sql = {0};
	size_t i;
	int rc = OUTPOST_OK;

	if (!n)
		return OUTPOST_OK;
	if (!*st) {
		op_buf_adds(&sql, "INSERT INTO _outpost_changes(hlc, site, "
				  "tbl, op, row_id, vals) VALUES ");
		for (i = 0; i < n; i++)
			op_buf_adds(&sql, i ? ", (?, ?, ?, ?, ?, ?)"
					    : "(?, ?, ?, ?, ?, ?)");
		rc = sql.oom ? op_err_set(err, OUTPOST_ENOMEM, "out of memory")
			     : op_rel_prepare(st, rel, op_buf_str(&sql), NULL,
					      err);
		op_buf_free(&sql);
	} else {
		op_rel_reset(*st);
	}
	if (rc != OUTPOST_OK)
		return rc;
	for (i = 0; i < n; i++)
		bind_entry(*st, (int)(6 * i), &e[i]);
	return op_rel_step(*st, err);
}
