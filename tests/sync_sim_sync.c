/* sync_sim_sync.c - a device of the convergence simulator syncs with
 * central (sync_sim.h): outpost_sync, or half a round, the engine's
 * (sync/sync.c) on the store's own cursors with its push (pull only) or
 * its pull (push only) held back, or both halves (no Neo4j mirror). The
 * store side does what api_sync.c's callbacks do. */
#include <stdlib.h>

#include "api_remote_int.h"
#include "sync_batch.h"
#include "sync_sim.h"

struct half {
	outpost *db;
	int mode;
	char site[33];
	struct ts_batch b;
};

static int h_local(void *ctx, int64_t after, size_t max,
		   const struct op_change **out, size_t *n, char *errmsg,
		   size_t errlen)
{
	struct half *h = ctx;
	int rc = OUTPOST_OK;

	ts_batch_free(&h->b);
	if (h->mode != SIM_PULL_ONLY)
		rc = ts_collect(&h->b, h->db, after, h->site, NULL);
	if (rc != OUTPOST_OK)
		snprintf(errmsg, errlen, "push: %s", outpost_errmsg(h->db));
	*out = h->b.c;
	*n = h->b.n < max ? h->b.n : max;
	return rc;
}

static int h_apply(void *ctx, const struct op_change *c, size_t n,
		   const char *cursor, int64_t value, char *errmsg,
		   size_t errlen)
{
	struct half *h = ctx;
	int rc = ts_apply(h->db, c, n, cursor, value);

	if (rc != OUTPOST_OK)
		snprintf(errmsg, errlen, "pull: %s", outpost_errmsg(h->db));
	return rc;
}

static int h_cursor_get(void *ctx, const char *name, int64_t *out)
{
	struct half *h = ctx;
	char sql[160];

	snprintf(sql, sizeof(sql), "SELECT coalesce((SELECT seq FROM "
		 "_outpost_cursors WHERE consumer = '%s'), 0)", name);
	*out = t_int(h->db, sql);
	return *out < 0 ? OUTPOST_EIO : OUTPOST_OK;
}

static int h_cursor_set(void *ctx, const char *name, int64_t value)
{
	struct half *h = ctx;

	return sim_qsql(h->db, "INSERT INTO _outpost_cursors(consumer, seq) "
			"VALUES ('%s', %lld) ON CONFLICT(consumer) DO UPDATE "
			"SET seq = excluded.seq", name, (long long)value);
}

static void h_note(void *ctx, const char *cursor, const char *error)
{
	(void)ctx;
	(void)cursor;
	(void)error;
}

static int pull_none(struct op_sink *sink, uint64_t after, size_t max,
		     size_t max_bytes, struct op_batch *out)
{
	(void)sink;
	(void)max;
	(void)max_bytes;
	memset(out, 0, sizeof(*out));
	out->next = after;
	return OUTPOST_OK;
}

static int half_sync(outpost *db, int mode, size_t batch, char *why,
		     size_t n, long long *moved)
{
	struct half h = {db, mode, "", {0}};
	struct op_sync_store st = {0};
	struct op_sync_counts counts = {0, 0, 0};
	struct op_sink *sink = NULL;
	struct op_sink_ops ops;
	const struct op_sink_ops *real;
	outpost_status ss;
	char *conninfo = NULL, *password = NULL;
	int transient = 0, rc;

	memset(&ss, 0, sizeof(ss));
	ss.version = OUTPOST_STATUS_VERSION;
	ts_site(db, h.site);
	rc = outpost_status_get(&ss, db);
	st.ctx = &h;
	st.site = db->site;
	st.schema_name = ss.schema_name;
	st.schema_version = ss.schema_version;
	st.local = h_local;
	st.apply = h_apply;
	st.cursor_get = h_cursor_get;
	st.cursor_set = h_cursor_set;
	st.note = h_note;
	if (rc == OUTPOST_OK)
		rc = op_api_remote_pg(db, &conninfo, &password);
	if (rc != OUTPOST_OK)
		snprintf(why, n, "%s", outpost_errmsg(db));
	else if ((rc = op_pg_sink_open(&sink, conninfo, password, why, n)) ==
		 OUTPOST_OK) {
		real = sink->ops;
		ops = *real;
		if (mode == SIM_PUSH_ONLY)
			ops.pull = pull_none;
		sink->ops = &ops;
		rc = op_sync_run(sink, &st, "pg", batch, &counts, why, n,
				 &transient);
		sink->ops = real;
		sink->ops->close(sink);
	}
	*moved = (long long)(counts.pushed + counts.pulled);
	ts_batch_free(&h.b);
	op_free(conninfo);
	op_free(password);
	return rc;
}

/* Device i syncs; *moved (may be NULL) gets what went either way. */
int sim_sync(struct sim *s, int i, int mode, long long batch,
	     long long *moved)
{
	static const char *const name[] = {"sync", "push", "pull", "pg"};
	outpost_sync_opts o = OUTPOST_SYNC_OPTS_INIT;
	outpost_sync_result r;
	char why[1024] = "";
	long long went = 0;
	int rc;

	memset(&r, 0, sizeof(r)); /* fields may be added */
	r.version = OUTPOST_SYNC_RESULT_VERSION;
	o.batch = batch;
	if (mode == SIM_FULL) {
		rc = outpost_sync(s->db[i], &o, &r);
		snprintf(why, sizeof(why), "%s", outpost_errmsg(s->db[i]));
	} else {
		rc = half_sync(s->db[i], mode, batch ? (size_t)batch : 1000,
			       why, sizeof(why), &went);
	}
	if (moved)
		*moved = mode == SIM_FULL ? r.pushed + r.pulled : went;
	if (rc != OUTPOST_OK)
		t_fail(s->t, __FILE__, __LINE__, "seed %llu: device %d: %s "
		       "(batch %lld): %s: %s", s->seed, i, name[mode], batch,
		       outpost_errstr(rc), why);
	return rc == OUTPOST_OK ? 0 : -1;
}
