/* t_sync_central_converge.c - convergence through central (issue 4):
 * three device stores and one central PostgreSQL (the run's own server)
 * with the LexiCraft schema, LearningPoint and RELATED_TO made lww as in
 * t_sync_converge.c. The three devices share the same parent and child
 * scopes; a fourth family, written centrally, is in none of them and
 * must reach no device. Each round every device makes a few random
 * inserts, updates (random columns, so devices change different columns
 * of one row), deletes and re-inserts on the LexiCraft tables, the
 * points ledger and the graph; now and then the administrator writes on
 * central with psql (captured there); then a random subset of devices
 * syncs in random order: outpost_sync (sometimes in batches of a few
 * changes), or only its push (as when the pull failed) or only its pull
 * (as when the app wrote between push and pull) through the engine
 * (sync/sync.c) with the other half held back. At the end every device
 * syncs until nothing moves; then all devices hold the same rows,
 * clocks, parked values and edges, central the same rows (in the wire
 * encoding, outpost.enc_expr) and edges, and the points ledger holds
 * every transaction once, logged once.
 *
 * Left out on purpose, as PROTOCOL.md "Not covered" says they cannot
 * converge: two devices inserting one unique value under different ids
 * (progress and discoveries are made by the owner of their point only,
 * a points account has a fixed id per child), and a parent made again
 * after its delete (parents and children are made once each).
 *
 * It found five divergences in central's merge (orphans refused by
 * central's foreign keys, edges to deleted nodes kept, a first insert
 * without a clock losing to an older one, direct edge property updates
 * stamped whole, scope lost on deletes cascaded away centrally) and a
 * sixth (an insert over a live row taking columns updated after it);
 * t_sync_central_merge.c has one test for each of the first five.
 *
 * The seed is printed on failure and OUTPOST_TEST_SEED=n replays its
 * choices (timing, and so clocks, differ from run to run). On a
 * difference the message gives central's log of the row concerned. */
#include <stdarg.h>
#include <stdlib.h>
#include <cjson/cJSON.h>

#include "api_remote_int.h"
#include "sync_batch.h"
#include "t_sync_pg.h"

#define ND 3	   /* devices */
#define ROUNDS 60
#define NU 9	   /* parents: each made once, by device (index % ND) */
#define NK 24	   /* children: the same */
#define POOL 512   /* ids remembered per kind */
#define ID_MAX 112 /* "id child point" */
#define HASH "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"

enum kind { PROGRESS, GONE, VERIF, POINT, EDGE, LEDGER, KINDS };
enum mode { FULL, PUSH_ONLY, PULL_ONLY };

struct sim {
	struct t *t;
	struct central c;
	struct device dev[ND];
	outpost *db[ND];
	char user[NU][37], kid[NK][37], acct[NK][37];
	int user_made[NU], kid_made[NK];
	char out_user[37], out_kid[37]; /* the fourth family */
	char ids[KINDS][POOL][ID_MAX];
	size_t nids[KINDS];
	uint64_t rng;
	unsigned long long seed;
	unsigned serial;
};

/* Random writes often fail here (a row this store lacks): quietly. */
static int qsql(outpost *db, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int qsql(outpost *db, const char *fmt, ...)
{
	char sql[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return outpost_sql(db, sql, NULL, 0, NULL, NULL);
}

static unsigned below(struct sim *s, unsigned n)
{
	return t_rng_below(&s->rng, n);
}

static void remember(struct sim *s, enum kind k, const char *id)
{
	if (s->nids[k] < POOL)
		snprintf(s->ids[k][s->nids[k]++], ID_MAX, "%s", id);
}

/* A remembered id of kind k, or NULL; half the time a recent one, so
 * that devices often change the same rows at once. */
static const char *pick(struct sim *s, enum kind k)
{
	size_t n = s->nids[k], recent = n < 4 ? n : 4;

	if (!n)
		return NULL;
	if (below(s, 2))
		return s->ids[k][n - 1 - below(s, (unsigned)recent)];
	return s->ids[k][below(s, (unsigned)n)];
}

/* A made parent or child (it may be gone by now), or NULL. */
static const char *made(struct sim *s, const int *flag, int n,
			char (*id)[37])
{
	int k, at = (int)below(s, (unsigned)n);

	for (k = 0; k < n; k++, at = (at + 1) % n)
		if (flag[at])
			return id[at];
	return NULL;
}

#define any_user(s) made(s, (s)->user_made, NU, (s)->user)
#define any_kid(s) made(s, (s)->kid_made, NK, (s)->kid)

/* The device that may write rows unique per point (by its last digit). */
static int owner(const char *id)
{
	char d = id[35];

	return (d <= '9' ? d - '0' : d - 'a' + 10) % ND;
}

/* A remembered point that device i owns, or NULL. */
static const char *own_point(struct sim *s, int i)
{
	const char *lp;
	int k;

	for (k = 0; k < 8; k++)
		if ((lp = pick(s, POINT)) && owner(lp) == i)
			return lp;
	return NULL;
}

/* Parents and children are made once each, by one device, and never
 * made again: a row made concurrently with its parent's delete survives
 * a re-insert of the parent only in some orders (PROTOCOL.md "Not
 * covered"). Points accounts are leaves: any device makes one again. */
static void op_family(struct sim *s, outpost *db, int i, unsigned what)
{
	static const char *const acol[] = {"balance", "locked_points",
					   "unlocked_points"};
	unsigned u = (unsigned)i + ND * below(s, NU / ND);
	unsigned k = (unsigned)i + ND * below(s, NK / ND), r = below(s, NK);
	const char *a = any_user(s), *c = any_kid(s);

	switch (what) {
	case 0:
		if (!s->user_made[u] &&
		    qsql(db, "INSERT INTO users(id, email, password_hash) "
			 "VALUES ('%s', 'u%u@example.org', '" HASH "')",
			 s->user[u], ++s->serial) == OUTPOST_OK)
			s->user_made[u] = 1;
		break;
	case 1:
		if (a)
			qsql(db, "UPDATE users SET display_name = 'd%u' WHERE "
			     "id = '%s'", ++s->serial, a);
		break;
	case 2:
		if (a && !s->kid_made[k] &&
		    qsql(db, "INSERT INTO children(id, parent_id, name, "
			 "birth_year) VALUES ('%s', '%s', 'c%u', %u); INSERT "
			 "INTO points_accounts(id, child_id) VALUES ('%s', "
			 "'%s')", s->kid[k], a, ++s->serial,
			 2010 + below(s, 10), s->acct[k],
			 s->kid[k]) == OUTPOST_OK)
			s->kid_made[k] = 1;
		break;
	case 3:
		if (c)
			qsql(db, below(s, 2) ? "UPDATE children SET name = "
					       "'n%u' WHERE id = '%s'"
					     : "UPDATE children SET birth_year "
					       "= 2000 + %u %% 20 WHERE id = "
					       "'%s'",
			     ++s->serial, c);
		break;
	case 4: /* rarer: much goes along */
		if (c && below(s, 4) == 0)
			qsql(db, "DELETE FROM children WHERE id = '%s'", c);
		break;
	case 5:
		if (a && below(s, 8) == 0)
			qsql(db, "DELETE FROM users WHERE id = '%s'", a);
		break;
	case 6:
		qsql(db, "UPDATE points_accounts SET %s = %u WHERE id = '%s'",
		     acol[below(s, 3)], below(s, 500), s->acct[r]);
		break;
	case 7:
		qsql(db, "DELETE FROM points_accounts WHERE id = '%s'",
		     s->acct[r]);
		break;
	case 8:
		qsql(db, "INSERT INTO points_accounts(id, child_id, balance) "
		     "VALUES ('%s', '%s', %u)", s->acct[r], s->kid[r],
		     below(s, 100));
		break;
	}
}

/* "id child point" of row id of table tbl, before it goes. */
static int row_of(outpost *db, const char *tbl, const char *id, char *out)
{
	char sql[256], row[T_TEXT_MAX];

	snprintf(sql, sizeof(sql), "SELECT id || ' ' || child_id || ' ' || "
		 "learning_point_id FROM %s WHERE id = '%s'", tbl, id);
	t_text(db, sql, row);
	if (strlen(row) != 3 * 36 + 2)
		return -1;
	memcpy(out, row, 3 * 36 + 3);
	return 0;
}

static void op_progress(struct sim *s, outpost *db, int i, unsigned what)
{
	static const char *const pset[] = {
		"status = 'started'", "status = 'mastered'",
		"started_at = '2024-05-0%uT10:00:00.000Z'",
		"last_reviewed_at = '2024-06-0%uT08:30:00.250Z'"};
	static const char *const vset[] = {
		"completed = %u %% 2", "result = 'r%u'",
		"answers = '[\"a\",\"b%u\"]'",
		"completed_at = '2024-07-0%uT09:00:00.000Z'"};
	char id[37], child[37], point[37], row[ID_MAX], set[128];
	const char *c = any_kid(s), *lp = pick(s, POINT), *g;
	const char *p = pick(s, PROGRESS), *v = pick(s, VERIF);

	outpost_uuid_v7(id);
	switch (what) {
	case 0: /* (child, point) is unique: the point's owner makes it */
		if (c && (lp = own_point(s, i)) != NULL &&
		    qsql(db, "INSERT INTO learning_progress(id, child_id, "
			 "learning_point_id) VALUES ('%s', '%s', '%s')", id, c,
			 lp) == OUTPOST_OK)
			remember(s, PROGRESS, id);
		break;
	case 1:
		snprintf(set, sizeof(set), pset[below(s, 4)], 1 + below(s, 9));
		if (p)
			qsql(db, "UPDATE learning_progress SET %s WHERE id = "
			     "'%s'", set, p);
		break;
	case 2:
		if (p && row_of(db, "learning_progress", p, row) == 0 &&
		    qsql(db, "DELETE FROM learning_progress WHERE id = '%s'",
			 p) == OUTPOST_OK)
			remember(s, GONE, row);
		break;
	case 3: /* a deleted id made again, by the point's owner */
		if ((g = pick(s, GONE)) != NULL &&
		    sscanf(g, "%36s %36s %36s", id, child, point) == 3 &&
		    owner(point) == i)
			qsql(db, "INSERT INTO learning_progress(id, child_id, "
			     "learning_point_id, status) VALUES ('%s', '%s', "
			     "'%s', 'again%u')", id, child, point, ++s->serial);
		break;
	case 4:
	case 5: /* the ledger, append_only */
		snprintf(row, sizeof(row), "%s %s", id, c ? c : "");
		if (c && qsql(db, "INSERT INTO points_transactions(id, "
			      "child_id, amount, kind) VALUES ('%s', '%s', %u, "
			      "'earn')", id, c, 1 + below(s, 9)) == OUTPOST_OK)
			remember(s, LEDGER, row);
		break;
	case 6:
		snprintf(row, sizeof(row), "%s %s %s", id, c ? c : "",
			 lp ? lp : "");
		if (c && lp && qsql(db, "INSERT INTO verification_schedule(id, "
				    "child_id, learning_point_id, "
				    "scheduled_date, question) VALUES ('%s', "
				    "'%s', '%s', '2024-06-1%u', '{\"q\":"
				    "\"w%u\"}')", id, c, lp, below(s, 10),
				    ++s->serial) == OUTPOST_OK)
			remember(s, VERIF, row);
		break;
	case 7:
		snprintf(set, sizeof(set), vset[below(s, 4)], 1 + below(s, 9));
		if (v)
			qsql(db, "UPDATE verification_schedule SET %s WHERE id "
			     "= '%.36s'", set, v);
		break;
	case 8:
		if (v)
			qsql(db, "DELETE FROM verification_schedule WHERE id = "
			     "'%.36s'", v);
		break;
	case 9: /* a leaf: any device may make it again */
		if (v && sscanf(v, "%36s %36s %36s", id, child, point) == 3)
			qsql(db, "INSERT INTO verification_schedule(id, "
			     "child_id, learning_point_id, scheduled_date, "
			     "result) VALUES ('%s', '%s', '%s', '2024-08-01', "
			     "'again%u')", id, child, point, ++s->serial);
		break;
	case 10:
		if (c)
			qsql(db, "INSERT INTO withdrawal_requests(id, "
			     "child_id, parent_id, amount) SELECT '%s', id, "
			     "parent_id, %u FROM children WHERE id = '%s'; "
			     "UPDATE withdrawal_requests SET status = 's%u' "
			     "WHERE child_id = '%s' AND id <> '%s'", id,
			     1 + below(s, 50), c, ++s->serial, c, id);
		break;
	case 11:
		if (c && (lp = own_point(s, i)) != NULL)
			qsql(db, "INSERT INTO relationship_discoveries(id, "
			     "child_id, from_point_id, to_point_id, "
			     "relationship_type) VALUES ('%s', '%s', '%s', "
			     "'%s', 'RELATED_TO'); UPDATE "
			     "relationship_discoveries SET bonus_awarded = 1 "
			     "WHERE child_id = '%s' AND id <> '%s'", id, c, lp,
			     pick(s, POINT), c, id);
		break;
	}
}

static void op_graph(struct sim *s, outpost *db, unsigned what)
{
	static const char *const lset[] = {
		"difficulty = %u", "definition = 'd%u'",
		"example_sentence = 'e%u'", "frequency_rank = %u",
		"part_of_speech = 'p%u'"};
	outpost_edge e = OUTPOST_EDGE_INIT;
	char id[37], props[128], set[64];
	const char *lp = pick(s, POINT), *ed = pick(s, EDGE);

	switch (what) {
	case 0:
		outpost_uuid_v7(id);
		s->serial++;
		if (qsql(db, "INSERT INTO \"LearningPoint\"(id, "
			 "learning_point_id, word) VALUES ('%s', 'lp%u', "
			 "'w%u')", id, s->serial, s->serial) == OUTPOST_OK)
			remember(s, POINT, id);
		break;
	case 1:
		snprintf(set, sizeof(set), lset[below(s, 5)], ++s->serial);
		if (lp)
			qsql(db, "UPDATE \"LearningPoint\" SET %s WHERE id = "
			     "'%s'", set, lp);
		break;
	case 2:
		if (lp && below(s, 4) == 0) /* rarer: it takes much along */
			qsql(db, "DELETE FROM \"LearningPoint\" WHERE id = "
			     "'%s'", lp);
		break;
	case 3:
	case 4:
		e.type = "RELATED_TO";
		e.from = lp;
		e.to = pick(s, POINT);
		snprintf(props, sizeof(props), "{\"strength\": %u.5}",
			 below(s, 9));
		e.properties = props;
		if (e.from && e.to &&
		    outpost_graph_edge_add(db, &e, id) == OUTPOST_OK)
			remember(s, EDGE, id);
		break;
	case 5:
	case 6:
		snprintf(props, sizeof(props), below(s, 2)
			 ? "{\"strength\": %u.25}" : "{\"note\": \"n%u\"}",
			 ++s->serial);
		e.properties = props;
		if (ed)
			outpost_graph_edge_update(db, ed, &e);
		break;
	case 7:
		if (ed)
			outpost_graph_edge_delete(db, ed, 0);
		break;
	}
}

/* A clock running up to two seconds ahead: within the bound, but its
 * changes win over later ones from the others. */
static void skew(struct sim *s, outpost *db)
{
	qsql(db, "UPDATE _outpost_clock SET floor = max(floor, %llu)",
	     (unsigned long long)(op_hlc_wall_ms() + below(s, 2000)) << 16);
}

static void write_one(struct sim *s, int i)
{
	unsigned r = below(s, 100);

	if (r < 25)
		op_family(s, s->db[i], i, below(s, 9));
	else if (r < 60)
		op_progress(s, s->db[i], i, below(s, 12));
	else if (r < 97)
		op_graph(s, s->db[i], below(s, 8));
	else
		skew(s, s->db[i]);
}

/* The administrator writes on central with psql: captured there, with
 * central's clock and site zeros. RETURNING gives what to remember. */
static int central_write(struct sim *s)
{
	const char *c = any_kid(s), *lp = pick(s, POINT), *lp2 = pick(s, POINT);
	const char *ed = pick(s, EDGE), *v = pick(s, VERIF);
	char sql[1024], *out = NULL;
	enum kind k = KINDS;
	unsigned n = ++s->serial;
	int rc;

	sql[0] = '\0';
	switch (below(s, 10)) {
	case 0:
		if (c)
			snprintf(sql, sizeof(sql), "UPDATE children SET name = "
				 "'adm%u' WHERE id = '%s'", n, c);
		break;
	case 1:
		if (lp)
			snprintf(sql, sizeof(sql), "UPDATE \"LearningPoint\" "
				 "SET definition = 'adm%u', difficulty = %u "
				 "WHERE id = '%s'", n, n % 5, lp);
		break;
	case 2:
		k = POINT;
		snprintf(sql, sizeof(sql), "INSERT INTO \"LearningPoint\"("
			 "learning_point_id, word) VALUES ('clp%u', 'cw%u') "
			 "RETURNING id", n, n);
		break;
	case 3:
		k = LEDGER;
		if (c)
			snprintf(sql, sizeof(sql), "INSERT INTO "
				 "points_transactions(child_id, amount, kind) "
				 "SELECT id, %u, 'bonus' FROM children WHERE "
				 "id = '%s' RETURNING id || ' ' || child_id",
				 n % 7, c);
		break;
	case 4:
	case 5:
		k = EDGE;
		if (lp && lp2)
			snprintf(sql, sizeof(sql), "INSERT INTO outpost.edges("
				 "uuid, type, from_uuid, to_uuid, props) "
				 "SELECT outpost.uuid_v7(), '%s', a.id, b.id, "
				 "%s FROM \"LearningPoint\" a, "
				 "\"LearningPoint\" b WHERE a.id = '%s' AND "
				 "b.id = '%s' RETURNING uuid",
				 strcmp(lp, lp2) < 0 ? "PREREQUISITE_OF"
						     : "RELATED_TO",
				 strcmp(lp, lp2) < 0 ? "NULL"
						     : "'{\"note\": \"adm\"}'",
				 lp, lp2); /* PREREQUISITE_OF is acyclic */
		break;
	case 6:
		if (ed)
			snprintf(sql, sizeof(sql), "UPDATE outpost.edges SET "
				 "props = coalesce(props, '{}') || "
				 "'{\"strength\": %u.75}' WHERE uuid = '%s' "
				 "AND type = 'RELATED_TO'",
				 n % 9, ed);
		break;
	case 7:
		if (v)
			snprintf(sql, sizeof(sql), "DELETE FROM "
				 "verification_schedule WHERE id = '%.36s'", v);
		break;
	case 8:
		if (c)
			snprintf(sql, sizeof(sql), "UPDATE points_accounts SET "
				 "balance = balance + 10 WHERE child_id = '%s'",
				 c);
		break;
	case 9: /* as on a device: not while its ledger holds anything */
		if (c)
			snprintf(sql, sizeof(sql), "DELETE FROM children c "
				 "WHERE id = '%s' AND NOT EXISTS (SELECT 1 "
				 "FROM points_transactions WHERE child_id = "
				 "c.id)",
				 c);
		break;
	}
	if (!sql[0])
		return 0;
	rc = t_pg_psql(&out, s->c.db, T_PG_ADMIN, NULL, sql);
	if (rc != 0)
		t_fail(s->t, __FILE__, __LINE__, "seed %llu: central write "
		       "%s: %s", s->seed, sql, out ? out : "");
	else if (k != KINDS && out && strlen(out) >= 36) {
		out[strcspn(out, "\n")] = '\0';
		remember(s, k, out);
	}
	free(out);
	return rc == 0 ? 0 : -1;
}

/* ---- half a sync: the engine's round (sync/sync.c) on the store's own
 * cursors, with its push (PULL_ONLY) or its pull (PUSH_ONLY) held back.
 * The store side does what api_sync.c's callbacks do. */

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
	if (h->mode != PULL_ONLY)
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

	return qsql(h->db, "INSERT INTO _outpost_cursors(consumer, seq) "
		    "VALUES ('%s', %lld) ON CONFLICT(consumer) DO UPDATE SET "
		    "seq = excluded.seq", name, (long long)value);
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
		     size_t n)
{
	struct half h = {db, mode, "", {0}};
	struct op_sync_store st = {0};
	struct op_sync_counts counts;
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
		if (mode == PUSH_ONLY)
			ops.pull = pull_none;
		sink->ops = &ops;
		rc = op_sync_run(sink, &st, "pg", batch, &counts, why, n,
				 &transient);
		sink->ops = real;
		sink->ops->close(sink);
	}
	ts_batch_free(&h.b);
	op_free(conninfo);
	op_free(password);
	return rc;
}

/* Device i syncs; *moved (may be NULL) gets what went either way. */
static int sync_dev(struct sim *s, int i, int mode, long long batch,
		    long long *moved)
{
	static const char *const name[] = {"sync", "push", "pull"};
	outpost_sync_opts o = OUTPOST_SYNC_OPTS_INIT;
	outpost_sync_result r;
	char why[1024] = "";
	int rc;

	memset(&r, 0, sizeof(r)); /* fields may be added */
	r.version = OUTPOST_SYNC_RESULT_VERSION;
	o.batch = batch;
	if (mode == FULL) {
		rc = outpost_sync(s->db[i], &o, &r);
		snprintf(why, sizeof(why), "%s", outpost_errmsg(s->db[i]));
	} else {
		rc = half_sync(s->db[i], mode, batch ? (size_t)batch : 1000,
			       why, sizeof(why));
	}
	if (moved)
		*moved = r.pushed + r.pulled;
	if (rc != OUTPOST_OK)
		t_fail(s->t, __FILE__, __LINE__, "seed %llu: device %d: %s "
		       "(batch %lld): %s: %s", s->seed, i, name[mode], batch,
		       outpost_errstr(rc), why);
	return rc == OUTPOST_OK ? 0 : -1;
}

/* ---- comparing: text dumps, line by line ---- */

struct text {
	char *p;
	size_t n, cap;
};

static void addf(struct text *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void addf(struct text *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	for (;;) {
		va_start(ap, fmt);
		k = vsnprintf(b->p ? b->p + b->n : NULL,
			      b->p ? b->cap - b->n : 0, fmt, ap);
		va_end(ap);
		if (k < 0)
			abort();
		if (b->p && b->n + (size_t)k < b->cap) {
			b->n += (size_t)k;
			return;
		}
		b->cap = (b->n + (size_t)k + 1) * 2;
		if (!(b->p = realloc(b->p, b->cap)))
			abort();
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* text's lines sorted, as a new string. */
static char *sorted(char *text)
{
	struct text out = {0};
	char **v = NULL, *p, *nl;
	size_t n = 0, i;

	for (p = text; p && *p; p = nl + 1) {
		if (!(nl = strchr(p, '\n')) ||
		    !(v = realloc(v, (n + 1) * sizeof(*v))))
			abort();
		*nl = '\0';
		v[n++] = p;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	addf(&out, "%s", "");
	for (i = 0; i < n; i++)
		addf(&out, "%s\n", v[i]);
	free(v);
	return out.p;
}

static int add_line(void *ctx, int n, const char *const *names,
		    const outpost_value *v)
{
	(void)names;
	addf(ctx, "%s\n", n > 0 && v[0].type == OUTPOST_TEXT ? v[0].s : "~");
	return 0;
}

/* Every row of every table and node label in the wire encoding, one
 * line per row, columns by name: as the capture triggers encode
 * (schema_trigger.c), json minified. catalog: "name|pk|cols" lines. */
static char *device_rows(outpost *db, const char *catalog)
{
	struct text out = {0}, q = {0};
	char line[4096], *bar, *pk, *names[64];
	const char *p, *enc;
	cJSON *cols, *c;
	size_t len;
	int n, k;

	addf(&out, "%s", "");
	for (p = catalog; sscanf(p, "%4095[^\n]", line) == 1; p += len + 1) {
		len = strlen(line);
		if (!(bar = strchr(line, '|')) || !(pk = bar + 1) ||
		    !(bar = strchr(pk, '|')))
			break;
		*strchr(line, '|') = *bar = '\0';
		cols = cJSON_Parse(bar + 1);
		n = 0;
		cJSON_ArrayForEach(c, cols) if (n < 64) names[n++] = c->string;
		qsort(names, (size_t)n, sizeof(*names), cmp_str);
		q.n = 0;
		addf(&q, "SELECT ''");
		for (k = 0; k < n; k++) {
			const char *t = cJSON_GetObjectItem(cols, names[k])
						->valuestring;

			enc = !strcmp(t, "integer") || !strcmp(t, "boolean")
				      ? "CAST(\"%s\" AS TEXT)"
			      : !strcmp(t, "json") ? "json(\"%s\")"
			      : !strcmp(t, "real") ? "printf('%%!.16e', \"%s\")"
						   : "\"%s\"";
			addf(&q, " || ' %s=' || coalesce(", names[k]);
			addf(&q, enc, names[k]);
			addf(&q, ", '~')");
		}
		addf(&q, " FROM \"%s\" ORDER BY \"%s\"", line, pk);
		addf(&out, "== %s\n", line);
		if (outpost_sql(db, q.p, NULL, 0, add_line, &out) != OUTPOST_OK)
			addf(&out, "(error: %s)\n", outpost_errmsg(db));
		cJSON_Delete(cols);
	}
	free(q.p);
	return out.p;
}

/* The same of central, by outpost.enc_expr, without the rows of the
 * fourth family (any row naming its parent or child). */
static char *central_rows(struct sim *s)
{
	char sql[2048], *out = NULL;

	snprintf(sql, sizeof(sql),
		 "CREATE FUNCTION pg_temp.rows() RETURNS SETOF text "
		 "LANGUAGE plpgsql AS $f$ DECLARE t record; e text; BEGIN "
		 "FOR t IN SELECT name, pk, cols FROM outpost.catalog WHERE "
		 "kind <> 'type' ORDER BY name COLLATE \"C\" LOOP "
		 "RETURN NEXT '== ' || t.name; "
		 "SELECT string_agg(format('%%L || coalesce(%%s, ''~'')', "
		 "' ' || k || '=', CASE WHEN v = 'json' THEN format("
		 "'replace((x.%%I)::text, '' '', '''')', k) ELSE "
		 "outpost.enc_expr(v, format('x.%%I', k)) END), ' || ' "
		 "ORDER BY k COLLATE \"C\") INTO e FROM "
		 "jsonb_each_text(t.cols) AS c(k, v); "
		 "RETURN QUERY EXECUTE format('SELECT %%s FROM public.%%I x "
		 "WHERE strpos(to_jsonb(x)::text, %%L) = 0 AND "
		 "strpos(to_jsonb(x)::text, %%L) = 0 ORDER BY x.%%I', e, "
		 "t.name, '%s', '%s', t.pk); END LOOP; END $f$; "
		 "SELECT * FROM pg_temp.rows()", s->out_user, s->out_kid);
	if (t_pg_psql(&out, s->c.db, T_PG_ADMIN, NULL, sql) != 0)
		t_fail(s->t, __FILE__, __LINE__, "central rows: %s", out);
	return out;
}

/* "head props" with props (JSON) as sorted name=value, nulls left out. */
static void edge_line(struct text *b, const char *head, const char *props)
{
	cJSON *o = props ? cJSON_Parse(props) : NULL, *c;
	struct text f = {0};
	char *v, *p;

	addf(&f, "%s", "");
	cJSON_ArrayForEach(c, o)
	{
		if (cJSON_IsNumber(c))
			addf(&f, "%s=%.17g\n", c->string, c->valuedouble);
		else if (!cJSON_IsNull(c) && (v = cJSON_PrintUnformatted(c))) {
			addf(&f, "%s=%s\n", c->string, v);
			free(v);
		}
	}
	v = sorted(f.p);
	for (p = v; (p = strchr(p, '\n')) != NULL;)
		*p = p[1] ? ',' : '\0';
	addf(b, "%s {%s}\n", head, v);
	free(v);
	free(f.p);
	cJSON_Delete(o);
}

static int device_edge(void *ctx, const outpost_edge_info *e)
{
	char head[512];

	snprintf(head, sizeof(head), "%s %s %s %s %s %s", e->uuid, e->type,
		 e->from, e->to, e->valid_from ? e->valid_from : "-",
		 e->valid_to ? e->valid_to : "-");
	edge_line(ctx, head, e->properties);
	return 0;
}

static char *device_edges(outpost *db)
{
	struct text b = {0};
	char *s;

	addf(&b, "%s", "");
	outpost_graph_edges_each(db, NULL, device_edge, &b);
	s = sorted(b.p);
	free(b.p);
	return s;
}

static char *central_edges(struct sim *s)
{
	struct text b = {0};
	char *out = NULL, *p, *nl, *sp, *r;
	int k;

	addf(&b, "%s", "");
	if (t_pg_psql(&out, s->c.db, T_PG_ADMIN, NULL, "SELECT uuid || ' ' || "
		      "type || ' ' || from_uuid || ' ' || to_uuid || ' ' || "
		      "coalesce(outpost.enc_ts(valid_from), '-') || ' ' || "
		      "coalesce(outpost.enc_ts(valid_to), '-') || ' ' || "
		      "coalesce(props::text, '{}') FROM outpost.edges") != 0)
		t_fail(s->t, __FILE__, __LINE__, "central edges: %s", out);
	for (p = out; p && (nl = strchr(p, '\n')); p = nl + 1) {
		*nl = '\0';
		for (sp = p, k = 0; k < 6 && sp; k++)
			sp = strchr(sp + 1, ' ');
		if (!sp)
			break;
		*sp = '\0';
		edge_line(&b, p, sp + 1);
	}
	free(out);
	r = sorted(b.p);
	free(b.p);
	return r;
}

/* Same text, or a failure naming the first line that differs. */
static int same(struct sim *s, const char *what, const char *a,
		const char *b)
{
	if (a && b && !strcmp(a, b))
		return 1;
	t_fail(s->t, __FILE__, __LINE__, "seed %llu: %s differ: %s", s->seed,
	       what, a && b ? ts_first_diff(a, b) : "(no dump)");
	return 0;
}

/* Every transaction of the ledger once: logged centrally once, as an
 * insert; and on every replica exactly when its child is there (a
 * child's delete takes its transactions along, everywhere). */
static void check_ledger(struct sim *s)
{
	char sql[512], *out = NULL, want[32];
	size_t k;
	int bad;

	t_pg_psql(&out, s->c.db, T_PG_ADMIN, NULL, "SELECT row_id || ' ' || "
		  "string_agg(op || ' ' || sseq || ' ' || coalesce(device, "
		  "'central'), ', ' ORDER BY sseq) FROM outpost.changes WHERE "
		  "tbl = 'points_transactions' GROUP BY row_id HAVING count(*) "
		  "<> 1 OR bool_or(op <> 'I')");
	same(s, "ledger entries logged centrally other than once", out, "");
	free(out);
	t_pg_psql(&out, s->c.db, T_PG_ADMIN, NULL, "SELECT count(DISTINCT "
		  "row_id) FROM outpost.changes WHERE tbl = "
		  "'points_transactions'");
	snprintf(want, sizeof(want), "%zu\n", s->nids[LEDGER] + 2);
	same(s, "ledger transactions central logged, and made", out, want);
	free(out);
	for (k = 0, bad = 0; k < s->nids[LEDGER] && !bad; k++) {
		const char *id = s->ids[LEDGER][k];

		snprintf(sql, sizeof(sql), "SELECT (SELECT count(*) FROM "
			 "points_transactions WHERE id = '%.36s') - (SELECT "
			 "count(*) FROM children WHERE id = '%.36s')", id,
			 id + 37);
		if ((bad = t_int(s->db[0], sql) != 0))
			t_fail(s->t, __FILE__, __LINE__, "seed %llu: ledger "
			       "row %s: present %lld times", s->seed, id,
			       t_int(s->db[0], sql));
	}
}

/* The id in the line at p (after key, or at its start), or NULL. */
static const char *line_id(const char *p, const char *key)
{
	const char *nl = strchr(p, '\n'), *x = key ? strstr(p, key) : p;

	if (!x || (nl && x > nl) || strlen(x += key ? strlen(key) : 0) < 36 ||
	    x[8] != '-' || x[23] != '-')
		return NULL;
	return x;
}

/* For the failure message: central's log of the row or edge named by
 * the first line where a and b differ. */
static void explain(struct sim *s, const char *a, const char *b,
		    const char *key)
{
	char sql[512], *out = NULL;
	const char *id, *ia, *ib;
	size_t q = 0;

	while (a[q] && a[q] == b[q])
		q++;
	while (q && a[q - 1] != '\n')
		q--;
	/* Lines go by id: the smaller one is the row only one side has. */
	ia = line_id(a + q, key);
	ib = line_id(b + q, key);
	if (!(id = !ia || (ib && strncmp(ib, ia, 36) < 0) ? ib : ia))
		return;
	snprintf(sql, sizeof(sql), "SELECT sseq || ' ' || hlc || ' ' || "
		 "coalesce(device, 'central') || ' ' || op || ' ' || "
		 "coalesce(scope_value, '-') || ' ' || coalesce(vals::text, "
		 "'') FROM outpost.changes WHERE row_id = '%.36s' ORDER BY "
		 "sseq", id);
	t_pg_psql(&out, s->c.db, T_PG_ADMIN, NULL, sql);
	t_fail(s->t, __FILE__, __LINE__, "seed %llu: central's log of %.36s "
	       "(sseq hlc device op scope vals):\n%s", s->seed, id, out);
	free(out);
}

static void compare(struct sim *s)
{
	char *d[ND] = {NULL}, *cat = NULL, *a, *b;
	char what[64];
	int i;

	for (i = 0; i < ND; i++) {
		d[i] = ts_dump_all(s->db[i]);
		snprintf(what, sizeof(what), "devices 0 and %d", i);
		if (i && !same(s, what, d[0], d[i]))
			explain(s, d[0], d[i], "id=T:");
		if (strstr(d[i], s->out_kid) || strstr(d[i], s->out_user))
			t_fail(s->t, __FILE__, __LINE__, "seed %llu: device %d "
			       "holds the fourth family's rows", s->seed, i);
	}
	for (i = 0; i < ND; i++)
		free(d[i]);
	t_pg_psql(&cat, s->c.db, T_PG_ADMIN, NULL, "SELECT name || '|' || pk "
		  "|| '|' || cols::text FROM outpost.catalog WHERE kind <> "
		  "'type' ORDER BY name COLLATE \"C\"");
	a = device_rows(s->db[0], cat ? cat : "");
	b = central_rows(s);
	if (!same(s, "device 0 and central rows", a, b))
		explain(s, a, b, " id=");
	free(a);
	free(b);
	free(cat);
	a = device_edges(s->db[0]);
	b = central_edges(s);
	if (!same(s, "device 0 and central edges", a, b))
		explain(s, a, b, NULL);
	free(a);
	free(b);
	check_ledger(s);
	t_pg_psql(&a, s->c.db, T_PG_ADMIN, NULL, "SELECT count(*) FROM "
		  "points_transactions x JOIN children c ON c.id = x.child_id "
		  "WHERE c.name = 'outside'");
	same(s, "the fourth family's ledger at central", a, "2\n");
	free(a);
}

/* A uuid drawn from the seed, so a replay makes the same ones. */
static void seeded_id(struct sim *s, char out[37])
{
	uint64_t a = t_rng_next(&s->rng), b = t_rng_next(&s->rng);

	snprintf(out, 37, "%08x-%04x-7%03x-%04x-%012llx", (unsigned)(a >> 32),
		 (unsigned)(a & 0xffff), (unsigned)((a >> 16) & 0xfff),
		 (unsigned)(0x8000 | (b & 0x3fff)),
		 (unsigned long long)(b >> 16) & 0xffffffffffffull);
}

static int setup(struct t *t, struct sim *s)
{
	struct text sc = {0};
	char sql[1024], name[16], *out = NULL;
	int i, rc = 0;

	for (i = 0; i < NU; i++)
		seeded_id(s, s->user[i]);
	for (i = 0; i < NK; i++) {
		seeded_id(s, s->kid[i]);
		seeded_id(s, s->acct[i]);
	}
	seeded_id(s, s->out_user);
	seeded_id(s, s->out_kid);
	if (t_pg_testdb(t, s->c.db) != 0)
		return -1;
	t_pg_conninfo(s->c.pg, s->c.db, T_PG_ADMIN);
	if (ts_lexicraft_lww(t, s->c.schema) != 0 ||
	    t_sh(&out, "'%s' central init --pg '%s' --schema '%s'", t_bin(),
		 s->c.pg, s->c.schema) != 0) {
		t_fail(t, __FILE__, __LINE__, "central init: %s", out);
		free(out);
		return -1;
	}
	free(out);
	addf(&sc, "--scope");
	for (i = 0; i < NU; i++)
		addf(&sc, " parent=%s", s->user[i]);
	for (i = 0; i < NK; i++)
		addf(&sc, " child=%s", s->kid[i]);
	for (i = 0; rc == 0 && i < ND; i++) {
		snprintf(name, sizeof(name), "dev%d", i);
		rc = device_up(t, &s->c, &s->dev[i], name, sc.p);
		if (rc == 0 && outpost_open(&s->db[i], s->dev[i].dir, NULL) !=
				       OUTPOST_OK)
			rc = -1;
	}
	free(sc.p);
	snprintf(sql, sizeof(sql), "INSERT INTO users(id, email, "
		 "password_hash) VALUES ('%s', 'out@example.org', '" HASH "'); "
		 "INSERT INTO children(id, parent_id, name) VALUES ('%s', "
		 "'%s', 'outside'); INSERT INTO points_accounts(child_id) "
		 "VALUES ('%s'); INSERT INTO points_transactions(child_id, "
		 "amount, kind) VALUES ('%s', 5, 'earn'), ('%s', 7, 'earn')",
		 s->out_user, s->out_kid, s->out_user, s->out_kid, s->out_kid,
		 s->out_kid);
	if (rc == 0 && t_pg_psql(&out, s->c.db, T_PG_ADMIN, NULL, sql) != 0) {
		t_fail(t, __FILE__, __LINE__, "the fourth family: %s", out);
		rc = -1;
	}
	free(out);
	return rc;
}

/* Rounds of writes and syncs by a random subset in random order; then
 * full syncs until a round moves nothing. */
static int run(struct sim *s)
{
	int round, i, k, order[ND], pass;
	long long moved, m;

	for (round = 0; round < ROUNDS; round++) {
		for (i = 0; i < ND; i++)
			for (k = 2 + (int)below(s, 7); k > 0; k--)
				write_one(s, i);
		if (below(s, 3) == 0 && central_write(s) != 0)
			return -1;
		for (i = 0; i < ND; i++)
			order[i] = i;
		for (i = ND - 1; i > 0; i--) {
			k = (int)below(s, (unsigned)i + 1);
			m = order[i];
			order[i] = order[k];
			order[k] = (int)m;
		}
		for (i = 0; i < ND; i++) {
			unsigned r = below(s, 100);
			long long batch = below(s, 4) ? 0 : 1 + below(s, 5);

			if (below(s, 3) && sync_dev(s, order[i], r < 70 ? FULL
						    : r < 85 ? PUSH_ONLY
							     : PULL_ONLY,
						    batch, NULL) != 0)
				return -1;
		}
	}
	for (pass = 0; pass < 5; pass++) {
		for (moved = 0, i = 0; i < ND; i++) {
			if (sync_dev(s, i, FULL, 0, &m) != 0)
				return -1;
			moved += m;
		}
		if (!moved)
			return 0;
	}
	t_fail(s->t, __FILE__, __LINE__, "seed %llu: still moving after %d "
	       "full rounds", s->seed, pass);
	return -1;
}

/* Declared here while it is not in tests/list.h (see the top). */
void test_sync_central_converge(struct t *t);

void test_sync_central_converge(struct t *t)
{
	struct sim *s = calloc(1, sizeof(*s));
	const char *env = getenv("OUTPOST_TEST_SEED");
	int i;

	CHECK(s);
	s->t = t;
	s->seed = env ? strtoull(env, NULL, 10) : op_hlc_wall_ms();
	s->rng = s->seed;
	if (setup(t, s) == 0 && run(s) == 0)
		compare(s);
	if (getenv("OUTPOST_SYNC_STATS"))
		fprintf(stderr, "seed %llu: %zu points, %zu edges, %zu ledger "
			"rows, %u writes numbered\n", s->seed, s->nids[POINT],
			s->nids[EDGE], s->nids[LEDGER], s->serial);
	if (t->failed)
		fprintf(stderr, "seed %llu: OUTPOST_TEST_SEED=%llu replays "
			"it\n", s->seed, s->seed);
	for (i = 0; i < ND; i++)
		outpost_close(s->db[i]);
	free(s);
}


