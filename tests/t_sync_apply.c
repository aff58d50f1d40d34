/* t_sync_apply.c - changes from one store's log applied to others (the
 * device side of a pull, op_api_sync_apply): rows arrive, per-column
 * last-writer-wins, deletes and re-inserts, append_only, references
 * broken by concurrent deletes, and applying a batch twice. No server:
 * the batches are read from the stores' own logs. */
#include "sync_batch.h"

#define LEX "lexicraft.json"
#define HASH "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
#define U1 "0190a000-0000-7000-8000-000000000001"
#define C1 "0190a000-0000-7000-8000-0000000000c1"
#define P1 "0190a000-0000-7000-8000-0000000000f1"
#define T1 "0190a000-0000-7000-8000-0000000000a1"
#define LP1 "0190a000-0000-7000-8000-0000000000b1"

/* A parent and a child, made on a. */
static int seed(outpost *a)
{
	return ts_sql(a, "INSERT INTO users(id, email, password_hash) VALUES "
		      "('" U1 "', 'p@example.org', '" HASH "'); INSERT INTO "
		      "children(id, parent_id, name, birth_year) VALUES ('" C1
		      "', '" U1 "', 'Ann', 2016)");
}

/* A learning point, loaded as central would (LexiCraft: central_wins). */
static int point(outpost *db)
{
	return outpost_sql_central(db, "INSERT INTO \"LearningPoint\"(id, "
				   "learning_point_id, word, created_at, "
				   "updated_at) VALUES ('" LP1 "', 'lp-1', "
				   "'apple', '2026-01-01T00:00:00.000Z', "
				   "'2026-01-01T00:00:00.000Z')",
				   NULL, 0, NULL, NULL);
}

void test_sync_apply_insert_update_delete(struct t *t)
{
	outpost *a = ts_store(t, "a", LEX), *b = ts_store(t, "b", LEX);
	char buf[T_TEXT_MAX], site[33], sql[256];
	long long la = 0;

	CHECK(a && b);
	CHECK_OK(a, seed(a));
	CHECK_OK(b, ts_ship(a, b, la, &la));
	CHECK_STR(t_text(b, "SELECT name || ' ' || birth_year FROM children "
			 "WHERE id = '" C1 "'", buf), "Ann 2016");
	CHECK_SAME(a, b);
	CHECK_OK(a, ts_sql(a, "UPDATE children SET name = 'Anna' WHERE id = '"
			   C1 "'"));
	CHECK_OK(b, ts_ship(a, b, la, &la));
	CHECK_STR(t_text(b, "SELECT name FROM children", buf), "Anna");
	CHECK_SAME(a, b);
	CHECK_OK(a, ts_sql(a, "DELETE FROM children WHERE id = '" C1 "'"));
	CHECK_OK(b, ts_ship(a, b, la, &la));
	CHECK_EQ(t_int(b, "SELECT count(*) FROM children"), 0);
	CHECK_SAME(a, b); /* the tombstone too */
	/* b logged each change with a's clock and site: the graph and the
	 * Neo4j sink see them, the PostgreSQL push does not (site set). */
	ts_site(a, site);
	snprintf(sql, sizeof(sql), "SELECT group_concat(tbl || op, ' ') FROM "
		 "_outpost_changes WHERE site = x'%s'", site);
	CHECK_STR(t_text(b, sql, buf), "usersI childrenI childrenU childrenD");
	CHECK_EQ(t_int(b, "SELECT count(*) FROM _outpost_changes WHERE site "
		       "IS NULL"), 0);
	outpost_close(a);
	outpost_close(b);
}

/* The winner of two changes by (hlc, site). */
static const struct op_change *later(const struct op_change *x,
				     const struct op_change *y)
{
	if (x->hlc != y->hlc)
		return x->hlc > y->hlc ? x : y;
	return memcmp(x->site, y->site, 16) > 0 ? x : y;
}

void test_sync_apply_column_lww(struct t *t)
{
	outpost *a = ts_store(t, "a", LEX), *b = ts_store(t, "b", LEX);
	struct ts_batch ua = {0}, ub = {0};
	const struct op_change *win;
	char buf[T_TEXT_MAX], want[T_TEXT_MAX], sa[33], sb[33];
	long long la = 0, lb = 0;

	CHECK(a && b);
	ts_site(a, sa);
	ts_site(b, sb);
	CHECK_OK(a, seed(a));
	CHECK_OK(b, ts_ship(a, b, la, &la));
	/* Different columns: both kept. */
	CHECK_OK(a, ts_sql(a, "UPDATE children SET name = 'Anna'"));
	CHECK_OK(b, ts_sql(b, "UPDATE children SET birth_year = 2015"));
	CHECK_OK(b, ts_ship(a, b, la, &la));
	CHECK_OK(a, ts_ship(b, a, lb, &lb));
	CHECK_STR(t_text(a, "SELECT name || ' ' || birth_year FROM children",
			 buf), "Anna 2015");
	CHECK_STR(t_text(b, "SELECT name || ' ' || birth_year FROM children",
			 buf), "Anna 2015");
	CHECK_SAME(a, b);
	/* The same column: the later (hlc, site) on both sides. */
	CHECK_OK(a, ts_sql(a, "UPDATE children SET name = 'from a'"));
	CHECK_OK(b, ts_sql(b, "UPDATE children SET name = 'from b'"));
	CHECK_OK(a, ts_collect(&ua, a, la, sa, NULL));
	CHECK_OK(b, ts_collect(&ub, b, lb, sb, NULL));
	CHECK_EQ(ua.n, 1);
	CHECK_EQ(ub.n, 1);
	win = later(&ua.c[0], &ub.c[0]);
	snprintf(want, sizeof(want), "%s", win == &ua.c[0] ? "from a" : "from b");
	CHECK_OK(b, ts_ship(a, b, la, &la));
	CHECK_OK(a, ts_ship(b, a, lb, &lb));
	CHECK_STR(t_text(a, "SELECT name FROM children", buf), want);
	CHECK_STR(t_text(b, "SELECT name FROM children", buf), want);
	CHECK_SAME(a, b);
	ts_batch_free(&ua);
	ts_batch_free(&ub);
	outpost_close(a);
	outpost_close(b);
}

void test_sync_apply_delete_beats_update(struct t *t)
{
	outpost *a = ts_store(t, "a", LEX), *b = ts_store(t, "b", LEX);
	long long la = 0, lb = 0, n;

	CHECK(a && b);
	CHECK_OK(a, seed(a));
	CHECK_OK(b, ts_ship(a, b, la, &la));
	CHECK_OK(b, ts_sql(b, "UPDATE children SET name = 'late'"));
	t_sleep_ms(3); /* the delete's clock is the later one */
	CHECK_OK(a, ts_sql(a, "DELETE FROM children WHERE id = '" C1 "'"));
	/* The update arrives after the delete: ignored, nothing logged. */
	n = ts_log_count(a);
	CHECK_OK(a, ts_ship(b, a, lb, &lb));
	CHECK_EQ(t_int(a, "SELECT count(*) FROM children"), 0);
	CHECK_EQ(ts_log_count(a), n);
	/* The delete arrives after the update: it wins there too. */
	CHECK_OK(b, ts_ship(a, b, la, &la));
	CHECK_EQ(t_int(b, "SELECT count(*) FROM children"), 0);
	CHECK_SAME(a, b);
	outpost_close(a);
	outpost_close(b);
}

/* a deletes the child; c, having seen that, makes it again; b, having
 * seen neither, updates it after both. b's update is newer than the
 * re-insert, so it counts everywhere, also where it arrived before the
 * delete (b itself: parked with the delete, given back by the insert). */
void test_sync_apply_reinsert_revives(struct t *t)
{
	outpost *a = ts_store(t, "a", LEX), *b = ts_store(t, "b", LEX),
		*c = ts_store(t, "c", LEX);
	long long ab = 0, ac = 0, ba = 0, bc = 0, ca = 0, cb = 0;
	char buf[T_TEXT_MAX];

	CHECK(a && b && c);
	CHECK_OK(a, seed(a));
	CHECK_OK(b, ts_ship(a, b, ab, &ab));
	CHECK_OK(c, ts_ship(a, c, ac, &ac));
	CHECK_OK(a, ts_sql(a, "DELETE FROM children WHERE id = '" C1 "'"));
	CHECK_OK(c, ts_ship(a, c, ac, &ac));
	t_sleep_ms(3);
	CHECK_OK(c, ts_sql(c, "INSERT INTO children(id, parent_id, name, "
			   "birth_year) VALUES ('" C1 "', '" U1 "', 'Back', "
			   "2017)"));
	t_sleep_ms(3);
	CHECK_OK(b, ts_sql(b, "UPDATE children SET birth_year = 2020"));
	/* a: the update on the dead row, parked; then the re-insert. */
	CHECK_OK(a, ts_ship(b, a, ba, &ba));
	CHECK_EQ(t_int(a, "SELECT count(*) FROM children"), 0);
	CHECK_OK(a, ts_ship(c, a, ca, &ca));
	CHECK_STR(t_text(a, "SELECT name || ' ' || birth_year FROM children",
			 buf), "Back 2020");
	/* b: the delete parks its own update; the re-insert gives it back.
	 * c: the update after the re-insert. */
	CHECK_OK(b, ts_ship(a, b, ab, &ab));
	CHECK_EQ(t_int(b, "SELECT count(*) FROM children"), 0);
	CHECK_OK(b, ts_ship(c, b, cb, &cb));
	CHECK_OK(c, ts_ship(b, c, bc, &bc));
	CHECK_OK(c, ts_ship(a, c, ac, &ac));
	CHECK_STR(t_text(b, "SELECT name || ' ' || birth_year FROM children",
			 buf), "Back 2020");
	CHECK_SAME(a, b);
	CHECK_SAME(a, c);
	/* b logged the re-insert without birth_year, then gave the parked
	 * value back as an update with its own clock. */
	CHECK_STR(t_text(b, "SELECT group_concat(op || ':' || vals, ' ') FROM "
			 "(SELECT op, json_extract(vals, '$.birth_year') AS "
			 "vals FROM _outpost_changes WHERE site IS NOT NULL AND "
			 "tbl = 'children' ORDER BY seq DESC LIMIT 2)", buf),
		  "U:2020");
	outpost_close(a);
	outpost_close(b);
	outpost_close(c);
}

void test_sync_apply_append_only(struct t *t)
{
	outpost *a = ts_store(t, "a", LEX), *b = ts_store(t, "b", LEX);
	struct ts_batch batch = {0};
	struct op_change u;
	char sa[33], want[512];
	long long la = 0, n;

	CHECK(a && b);
	ts_site(a, sa);
	CHECK_OK(a, seed(a));
	CHECK_OK(a, ts_sql(a, "INSERT INTO points_transactions(id, child_id, "
			   "amount, kind) VALUES ('" T1 "', '" C1 "', 5, "
			   "'earn')"));
	CHECK_OK(a, ts_collect(&batch, a, la, sa, &la));
	CHECK_OK(b, ts_apply(b, batch.c, batch.n, NULL, 0));
	CHECK_EQ(t_int(b, "SELECT amount FROM points_transactions"), 5);
	n = ts_log_count(b);
	CHECK_OK(b, ts_apply(b, batch.c, batch.n, NULL, 0));
	CHECK_EQ(t_int(b, "SELECT count(*) FROM points_transactions"), 1);
	CHECK_EQ(ts_log_count(b), n);
	/* An update or a delete of one is malformed: it never happens. */
	u = ts_change(99, batch.c[batch.n - 1].hlc + 1, sa,
		      "points_transactions", 'U', T1, "{\"amount\": \"6\"}");
	CHECK_RC(ts_apply(b, &u, 1, NULL, 0), OUTPOST_EPROTO);
	snprintf(want, sizeof(want), "change 99 (points_transactions row " T1
		 "): points_transactions is append_only: only inserts travel, "
		 "not an update; nothing of the batch was applied");
	CHECK_STR(outpost_errmsg(b), want);
	u.op = 'D';
	u.values = NULL;
	CHECK_RC(ts_apply(b, &u, 1, NULL, 0), OUTPOST_EPROTO);
	CHECK_HAS(outpost_errmsg(b), "only inserts travel, not a delete");
	CHECK_EQ(t_int(b, "SELECT amount FROM points_transactions"), 5);
	ts_batch_free(&batch);
	outpost_close(a);
	outpost_close(b);
}

void test_sync_apply_idempotent(struct t *t)
{
	outpost *a = ts_store(t, "a", LEX), *b = ts_store(t, "b", LEX);
	struct ts_batch batch = {0};
	char sa[33], *before, *after;
	long long n;

	CHECK(a && b);
	ts_site(a, sa);
	CHECK_OK(a, seed(a));
	CHECK_OK(a, ts_sql(a, "UPDATE children SET name = 'Anna'; INSERT INTO "
			   "points_transactions(id, child_id, amount, kind) "
			   "VALUES ('" T1 "', '" C1 "', 5, 'earn'); UPDATE "
			   "users SET display_name = 'P'; DELETE FROM "
			   "points_transactions WHERE 0"));
	CHECK_OK(a, ts_collect(&batch, a, 0, sa, NULL));
	CHECK_OK(b, ts_apply(b, batch.c, batch.n, "pg_pull", 41));
	CHECK_EQ(t_int(b, "SELECT seq FROM _outpost_cursors WHERE consumer = "
		       "'pg_pull'"), 41);
	n = ts_log_count(b);
	CHECK_EQ(n, (long long)batch.n);
	before = ts_dump_all(b);
	CHECK_OK(b, ts_apply(b, batch.c, batch.n, "pg_pull", 41));
	after = ts_dump_all(b);
	CHECK_EQ(ts_log_count(b), n);
	CHECK_STR(after, before);
	free(before);
	free(after);
	CHECK_SAME(a, b);
	ts_batch_free(&batch);
	outpost_close(a);
	outpost_close(b);
}

/* a deletes the child while b records progress for it: a gets a
 * progress row without its child, and lets it go as the cascade did on
 * b; it leaves no trace in a's log, and a second time changes nothing. */
void test_sync_apply_orphan_cascades(struct t *t)
{
	outpost *a = ts_store(t, "a", LEX), *b = ts_store(t, "b", LEX);
	struct ts_batch batch = {0};
	long long la = 0, lb = 0, n;
	char sb[33];

	CHECK(a && b);
	ts_site(b, sb);
	CHECK_OK(a, point(a));
	CHECK_OK(b, point(b));
	CHECK_OK(a, seed(a));
	CHECK_OK(b, ts_ship(a, b, la, &la));
	CHECK_OK(a, ts_sql(a, "DELETE FROM children WHERE id = '" C1 "'"));
	CHECK_OK(b, ts_sql(b, "INSERT INTO learning_progress(id, child_id, "
			   "learning_point_id) VALUES ('" P1 "', '" C1 "', '" LP1
			   "'); UPDATE learning_progress SET status = "
			   "'started'"));
	CHECK_OK(b, ts_collect(&batch, b, 0, sb, &lb));
	n = ts_log_count(a);
	CHECK_OK(a, ts_apply(a, batch.c, batch.n, NULL, 0));
	CHECK_EQ(t_int(a, "SELECT count(*) FROM learning_progress"), 0);
	CHECK_EQ(ts_log_count(a), n);
	CHECK_OK(a, ts_apply(a, batch.c, batch.n, NULL, 0));
	CHECK_EQ(ts_log_count(a), n);
	/* A later update of the row that never settled here: ignored. */
	CHECK_OK(b, ts_sql(b, "UPDATE learning_progress SET status = "
			   "'mastered'"));
	ts_batch_free(&batch);
	CHECK_OK(b, ts_collect(&batch, b, lb, sb, &lb));
	CHECK_EQ(batch.n, 1);
	CHECK_OK(a, ts_apply(a, batch.c, batch.n, NULL, 0));
	CHECK_EQ(ts_log_count(a), n);
	CHECK_EQ(t_int(a, "SELECT count(*) FROM _outpost_clk_learning_progress"),
		 0);
	CHECK_OK(b, ts_ship(a, b, la, &la));
	CHECK_EQ(t_int(b, "SELECT count(*) FROM learning_progress"), 0);
	CHECK_SAME(a, b);
	ts_batch_free(&batch);
	outpost_close(a);
	outpost_close(b);
}

/* A reference declared on_delete set_null: the row stays, without it. */
void test_sync_apply_orphan_set_null(struct t *t)
{
	outpost *a = ts_store(t, "a", LEX), *b = ts_store(t, "b", LEX);
	long long la = 0, lb = 0;
	char buf[T_TEXT_MAX];

	CHECK(a && b);
	CHECK_OK(a, point(a));
	CHECK_OK(b, point(b));
	CHECK_OK(a, seed(a));
	CHECK_OK(a, ts_sql(a, "INSERT INTO learning_progress(id, child_id, "
			   "learning_point_id) VALUES ('" P1 "', '" C1 "', '" LP1
			   "')"));
	CHECK_OK(b, ts_ship(a, b, la, &la));
	CHECK_OK(a, ts_sql(a, "DELETE FROM learning_progress"));
	CHECK_OK(b, ts_sql(b, "INSERT INTO points_transactions(id, child_id, "
			   "learning_progress_id, amount, kind) VALUES ('" T1
			   "', '" C1 "', '" P1 "', 3, 'earn')"));
	CHECK_OK(a, ts_ship(b, a, lb, &lb));
	CHECK_OK(b, ts_ship(a, b, la, &la));
	CHECK_STR(t_text(a, "SELECT amount || ' ' || coalesce("
			 "learning_progress_id, 'none') FROM "
			 "points_transactions", buf), "3 none");
	CHECK_STR(t_text(b, "SELECT amount || ' ' || coalesce("
			 "learning_progress_id, 'none') FROM "
			 "points_transactions", buf), "3 none");
	CHECK_SAME(a, b);
	outpost_close(a);
	outpost_close(b);
}

/* a deletes a parent, which takes its child; b, having seen neither,
 * then updates the child. b's update is newer than both deletes, so it
 * is parked everywhere: on c, which gets it after the deletes, on the
 * dead row; on b itself, where the parent's delete (sent first, as
 * central's log has it) cascades to the child: parked before the
 * cascade takes it, and the child's own delete then finds it gone. */
void test_sync_apply_cascade_parks(struct t *t)
{
	outpost *a = ts_store(t, "a", LEX), *b = ts_store(t, "b", LEX),
		*c = ts_store(t, "c", LEX);
	struct ts_batch d = {0};
	struct op_change x;
	long long ab = 0, ac = 0, bc = 0;
	char sa[33];

	CHECK(a && b && c);
	ts_site(a, sa);
	CHECK_OK(a, seed(a));
	CHECK_OK(b, ts_ship(a, b, ab, &ab));
	CHECK_OK(c, ts_ship(a, c, ac, &ac));
	CHECK_OK(a, ts_sql(a, "DELETE FROM users WHERE id = '" U1 "'"));
	CHECK_OK(a, ts_collect(&d, a, ab, sa, &ab));
	CHECK_EQ(d.n, 2);
	if (strcmp(d.c[0].table, "users") != 0) { /* the parent's first */
		x = d.c[0];
		d.c[0] = d.c[1];
		d.c[1] = x;
	}
	CHECK_STR(d.c[0].table, "users");
	t_sleep_ms(3);
	CHECK_OK(b, ts_sql(b, "UPDATE children SET birth_year = 2020"));
	CHECK_OK(b, ts_apply(b, d.c, d.n, NULL, 0));
	CHECK_OK(c, ts_apply(c, d.c, d.n, NULL, 0));
	CHECK_OK(c, ts_ship(b, c, bc, &bc));
	CHECK_EQ(t_int(b, "SELECT count(*) FROM children"), 0);
	CHECK_EQ(t_int(b, "SELECT count(*) FROM _outpost_parked WHERE tbl = "
			  "'children' AND col = 'birth_year' AND val = '2020'"),
		 1);
	CHECK_SAME(b, c);
	ts_batch_free(&d);
	outpost_close(a);
	outpost_close(b);
	outpost_close(c);
}
