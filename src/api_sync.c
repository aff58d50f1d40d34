/* api_sync.c - outpost_sync() and outpost_sync_watch(): the store's side
 * of the sync engine (sync/sync.c) with the PostgreSQL sink. The engine
 * sees the store through struct op_sync_store; the callbacks here read
 * this store's own log entries, apply pulled ones (api_sync_apply.c) and
 * keep the cursors and the outcome that `status` shows. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "api_neo4j.h"
#include "api_remote_int.h"
#include "api_sync_local.h"
#include "sink.h"

#define SYNC_BATCH_DEFAULT 10000
#define SYNC_LOCK_FILE "sync.lock"
#define WATCH_BACKOFF_MAX_MS (5u * 60u * 1000u)

/* What the callbacks share during one round. */
struct round {
	outpost *db;
	size_t batch_bytes; /* a push batch's values, about */
	char *local_only; /* JSON array of local_only tables: never pushed */
	struct op_sync_local local; /* the last push batch */
};

static int local_only_tables(outpost *db, char **out)
{
	struct op_schema *s = NULL;
	struct op_buf b = {0};
	size_t i, n = 0;
	int rc = op_api_schema_current(db, &s);

	op_buf_adds(&b, "[");
	for (i = 0; rc == OUTPOST_OK && s && i < s->ntables; i++)
		if (s->tables[i].policy == OP_SYNC_LOCAL_ONLY) {
			/* Schema names are identifiers: no quoting needed
			 * inside a JSON string, but be exact anyway. */
			op_buf_addf(&b, "%s\"%s\"", n++ ? "," : "",
				    s->tables[i].name);
		}
	op_buf_adds(&b, "]");
	op_schema_free(s);
	if (rc == OUTPOST_OK && b.oom)
		rc = op_err_set(&db->err, OUTPOST_ENOMEM, "out of memory");
	*out = rc == OUTPOST_OK ? op_buf_take(&b) : NULL;
	op_buf_free(&b);
	return rc;
}

/* This store's own entries (site NULL) after ?1, local_only tables (?2,
 * a JSON array) left out: what a push sends and `status` counts. */
#define OWN_ENTRIES                                                          \
	"FROM _outpost_changes WHERE seq > ?1 AND site IS NULL AND tbl NOT " \
	"IN (SELECT value FROM json_each(?2))"

/* op_sync_store.local_from: this store's own changes, imports expanded
 * (api_sync_local.c). */
static int local_from(void *ctx, int64_t seq, uint32_t sub, size_t max,
		      const struct op_change **out, size_t *n,
		      int64_t *through, char *errmsg, size_t errlen)
{
	struct round *r = ctx;

	r->local.db = r->db;
	r->local.local_only = r->local_only;
	r->local.batch_bytes = r->batch_bytes;
	return op_api_sync_local_from(&r->local, seq, sub, max, out, n,
				      through, errmsg, errlen);
}

static int apply_pulled(void *ctx, const struct op_change *c, size_t n,
			const char *cursor, int64_t value, char *errmsg,
			size_t errlen)
{
	struct round *r = ctx;
	int rc = op_api_sync_apply(r->db, c, n, cursor, value);

	if (rc != OUTPOST_OK)
		snprintf(errmsg, errlen, "pull: %s", r->db->err.msg);
	return rc;
}

static int cursor_get(void *ctx, const char *name, int64_t *out)
{
	struct round *r = ctx;
	struct op_stmt *st = NULL;
	int rc = op_rel_prepare(&st, r->db->rel, "SELECT seq FROM "
				"_outpost_cursors WHERE consumer = ?1",
				NULL, &r->db->err);

	*out = 0;
	if (rc == OUTPOST_OK)
		rc = op_rel_bind_text(st, 1, name);
	if (rc == OUTPOST_OK && (rc = op_rel_step(st, &r->db->err)) == OP_ROW)
		*out = op_rel_col_int(st, 0);
	op_rel_finalize(st);
	return rc == OP_ROW ? OUTPOST_OK : rc;
}

/* One statement in its own write transaction: ?1 name, ?2 v, ?3 text,
 * as far as the statement has them. */
static int write_one(outpost *db, const char *sql, const char *name,
		     int64_t v, const char *text)
{
	struct op_stmt *st = NULL;
	int rc = op_rel_begin_write(db->rel, &db->err);

	if (rc == OUTPOST_OK)
		rc = op_rel_prepare(&st, db->rel, sql, NULL, &db->err);
	if (rc == OUTPOST_OK)
		rc = op_rel_bind_text(st, 1, name);
	if (rc == OUTPOST_OK && op_rel_nparams(st) >= 2)
		rc = op_rel_bind_int(st, 2, v);
	if (rc == OUTPOST_OK && op_rel_nparams(st) >= 3)
		rc = text ? op_rel_bind_text(st, 3, text)
			  : op_rel_bind_null(st, 3);
	if (rc == OUTPOST_OK)
		rc = op_rel_step(st, &db->err);
	op_rel_finalize(st);
	if (rc == OUTPOST_OK)
		rc = op_rel_commit(db->rel, &db->err);
	op_rel_rollback(db->rel);
	return rc;
}

static int cursor_set(void *ctx, const char *name, int64_t value)
{
	struct round *r = ctx;

	return write_one(r->db, "INSERT INTO _outpost_cursors(consumer, seq) "
				"VALUES (?1, ?2) ON CONFLICT(consumer) DO "
				"UPDATE SET seq = excluded.seq",
			 name, value, NULL);
}

static void note(void *ctx, const char *name, const char *error)
{
	struct round *r = ctx;

	/* The time is SQLite's, in UTC; ?2 is not used. */
	write_one(r->db, "INSERT INTO _outpost_cursors(consumer, seq, last_ok, "
			 "last_error) VALUES (?1, 0, iif(?3 IS NULL, "
			 "strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), NULL), ?3) "
			 "ON CONFLICT(consumer) DO UPDATE SET last_ok = "
			 "coalesce(excluded.last_ok, last_ok), last_error = ?3",
		  name, 0, error);
}

int op_api_sync_pending(outpost *db, int64_t after, int64_t *out)
{
	char *local_only = NULL;
	int rc = local_only_tables(db, &local_only);

	*out = 0;
	if (rc == OUTPOST_OK)
		rc = op_api_log_count(db, "SELECT count(*) " OWN_ENTRIES, after,
				      local_only, out);
	op_free(local_only);
	return rc;
}

static int round_run(outpost *db, size_t batch, size_t batch_bytes,
		     outpost_sync_result *res)
{
	struct round r;
	struct op_sync_store st;
	struct op_sync_counts counts = {0, 0, 0};
	struct op_sink *sink = NULL;
	char *conninfo = NULL, *password = NULL, *name = NULL, *ver = NULL;
	char why[1024] = "";
	int transient = 0;
	int rc = op_api_remote_pg(db, &conninfo, &password);

	memset(&r, 0, sizeof(r));
	r.db = db;
	r.batch_bytes = batch_bytes;
	if (rc == OUTPOST_OK)
		rc = local_only_tables(db, &r.local_only);
	if (rc == OUTPOST_OK)
		rc = op_log_meta_get(db->rel, "schema_name", &name, &db->err);
	if (rc == OUTPOST_OK)
		rc = op_log_meta_get(db->rel, "schema_version", &ver, &db->err);
	memset(&st, 0, sizeof(st));
	st.ctx = &r;
	st.site = db->site;
	st.schema_name = name ? name : "";
	st.schema_version = ver ? strtoll(ver, NULL, 10) : 0;
	st.batch_bytes = batch_bytes;
	st.local_from = local_from;
	st.apply = apply_pulled;
	st.cursor_get = cursor_get;
	st.cursor_set = cursor_set;
	st.note = note;
	if (rc == OUTPOST_OK) {
		rc = op_pg_sink_open(&sink, conninfo, password, why,
				     sizeof(why));
		transient = rc == OUTPOST_ENET;
		if (rc != OUTPOST_OK) {
			note(&r, "pg_push", why);
			rc = op_err_set(&db->err, rc, "%s", why);
		}
	}
	if (password)
		sodium_memzero(password, strlen(password));
	if (rc == OUTPOST_OK) {
		rc = op_sync_run(sink, &st, "pg", batch, &counts, why,
				 sizeof(why), &transient);
		if (rc != OUTPOST_OK)
			op_err_set(&db->err, rc, "%s", why);
		sink->ops->close(sink);
	}
	res->pushed = (long long)counts.pushed;
	res->pulled = (long long)counts.pulled;
	res->batches = (long long)counts.batches;
	res->transient = transient;
	op_api_sync_local_clear(&r.local);
	op_free(r.local_only);
	op_free(conninfo);
	op_free(password);
	op_free(name);
	op_free(ver);
	return rc;
}

/* The store's sync lock (DIR/sync.lock), or EBUSY saying who has it. */
static int sync_lock(outpost *db, int *fd)
{
	char *path = op_fs_join(db->dir, SYNC_LOCK_FILE);
	int rc = path ? op_fs_lock(fd, path, &db->err) : OUTPOST_ENOMEM;

	op_free(path);
	if (rc == OUTPOST_EBUSY)
		return op_err_set(&db->err, rc, "another sync of this store is "
				  "running (a `sync --watch`?); this one did "
				  "nothing: try again once it is done");
	if (rc == OUTPOST_ENOMEM)
		return op_err_set(&db->err, rc, "out of memory");
	return rc;
}

int outpost_sync(outpost *db, const outpost_sync_opts *opts,
		 outpost_sync_result *out)
{
	int lock = -1;
	outpost_sync_result res = {OUTPOST_SYNC_RESULT_VERSION, 0, 0, 0, 0, 0};
	long long batch = opts ? opts->batch : 0;
	/* batch_bytes came with version 2: a version 1 struct ends before */
	long long bytes = opts && opts->version >= 2 ? opts->batch_bytes : 0;
	int rc;

	if (!db || (opts && (opts->version < 1 || opts->version >
			     OUTPOST_SYNC_OPTS_VERSION)) ||
	    (out && (out->version < 1 ||
		     out->version > OUTPOST_SYNC_RESULT_VERSION)) ||
	    batch < 0 || bytes < 0)
		return OUTPOST_EMISUSE;
	if (db->read_only)
		return op_err_set(&db->err, OUTPOST_EMISUSE, "the store is "
				  "open read-only");
	/* One sync of a store at a time: two would each push and pull the
	 * same batches (the work done twice, the counts doubled). */
	if ((rc = sync_lock(db, &lock)) != OUTPOST_OK)
		return rc;
	/* Central unless only a Neo4j mirror is set (with neither, central's
	 * round says that no remote is set); then the mirror. */
	if (!op_api_neo4j_is_set(db) || op_api_remote_pg_is_set(db))
		rc = round_run(db, batch ? (size_t)batch : SYNC_BATCH_DEFAULT,
			       bytes ? (size_t)bytes : OP_SYNC_BATCH_BYTES,
			       &res);
	else
		rc = OUTPOST_OK;
	if (op_api_neo4j_is_set(db))
		rc = op_api_sync_neo4j_round(db, rc, (size_t)batch,
					     bytes ? (size_t)bytes
						   : OP_SYNC_BATCH_BYTES,
					     &res);
	if (out) {
		/* A version 1 struct ends before batches, 2 before
		 * neo4j_pushed. */
		res.version = out->version;
		memcpy(out, &res, out->version >= 3 ? sizeof(res)
			      : out->version == 2
				  ? offsetof(outpost_sync_result, neo4j_pushed)
				  : offsetof(outpost_sync_result, batches));
	}
	op_fs_unlock(lock);
	return rc;
}

static void nap_ms(unsigned ms)
{
	struct timespec ts = {(time_t)(ms / 1000u),
			      (long)(ms % 1000u) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		;
}

int outpost_sync_watch(outpost *db, const outpost_sync_opts *opts,
		       unsigned interval_ms, outpost_watch_fn fn,
		       int (*should_stop)(void *ctx), void *ctx)
{
	unsigned backoff = 0;

	if (!db || interval_ms == 0)
		return OUTPOST_EMISUSE;
	for (;;) {
		outpost_sync_result res = {OUTPOST_SYNC_RESULT_VERSION, 0, 0,
					   0, 0, 0};
		int rc = outpost_sync(db, opts, &res);
		unsigned wait, waited;

		if (rc == OUTPOST_EMISUSE)
			return rc;
		/* A failure waits longer each time, up to 5 minutes; a
		 * refusal too (it needs a person, and is retried so the
		 * sync resumes by itself once they fixed it). */
		backoff = rc == OUTPOST_OK ? 0
			  : backoff == 0   ? 1000u
			  : backoff >= WATCH_BACKOFF_MAX_MS / 2
				  ? WATCH_BACKOFF_MAX_MS
				  : backoff * 2;
		wait = rc == OUTPOST_OK ? interval_ms : backoff;
		if (fn && fn(ctx, rc, &res, wait))
			return OUTPOST_OK;
		for (waited = 0; waited < wait; waited += 100) {
			if (should_stop && should_stop(ctx))
				return OUTPOST_OK;
			nap_ms(wait - waited < 100 ? wait - waited : 100);
		}
		if (should_stop && should_stop(ctx))
			return OUTPOST_OK;
	}
}
