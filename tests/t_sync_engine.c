/* t_sync_engine.c - the sync engine (sync/sync.c) against a fake sink and
 * a fake store: cursors move only with what the remote acknowledged, a
 * failed batch is sent again as the same batch, the remote's high-water
 * mark fast-forwards the push cursor, schema mismatches stop everything
 * with a message saying what to run, pulls are applied with their
 * cursor. */
#include <stdlib.h>

#include "check.h"
#include "sink.h"

#define FAKE_MAX 64

/* A remote in memory. */
struct fake_sink {
	struct op_sink base;
	struct op_sink_hello hello;
	int64_t has;		 /* device entries the remote holds */
	int fail_push_at;	 /* the n-th push call fails (1-based); 0 never */
	int fail_ack;		 /* ...after applying (the answer is lost) */
	int pushes;		 /* push calls */
	int64_t first_seq[FAKE_MAX];
	size_t sizes[FAKE_MAX];
	struct op_change remote[FAKE_MAX]; /* what pull hands out */
	size_t nremote;
	/* Two-step push (fake2_ops): batches sent and not yet waited for,
	 * applied in order at their wait. */
	int64_t q_last[2];
	int nq, max_nq, sends, waits;
	int fail_send_at, fail_wait_at; /* the n-th call fails; 0 never */
	int out_of_order;		/* a send came with two on their way */
};

static int fake_hello(struct op_sink *s, const uint8_t site[16],
		      struct op_sink_hello *out)
{
	struct fake_sink *f = (struct fake_sink *)s;

	(void)site;
	*out = f->hello;
	out->pushed_seq = f->has;
	return OUTPOST_OK;
}

static int fake_push(struct op_sink *s, const struct op_change *c, size_t n,
		     int64_t *acked)
{
	struct fake_sink *f = (struct fake_sink *)s;
	int k = f->pushes++;

	if (k < FAKE_MAX) {
		f->first_seq[k] = c[0].seq;
		f->sizes[k] = n;
	}
	if (f->fail_push_at == k + 1) {
		/* Applied, but the answer never came back. */
		if (f->fail_ack && c[n - 1].seq > f->has)
			f->has = c[n - 1].seq;
		snprintf(s->errmsg, sizeof(s->errmsg), "push: connection reset");
		s->transient = 1;
		return OUTPOST_ENET;
	}
	if (c[n - 1].seq > f->has)
		f->has = c[n - 1].seq;
	*acked = f->has;
	return OUTPOST_OK;
}

static int fake_pull(struct op_sink *s, uint64_t after, size_t max,
		     size_t max_bytes, struct op_batch *out)
{
	struct fake_sink *f = (struct fake_sink *)s;
	size_t i = 0;

	(void)max_bytes;
	while (i < f->nremote && (uint64_t)f->remote[i].seq <= after)
		i++;
	out->changes = f->remote + i;
	out->n = f->nremote - i < max ? f->nremote - i : max;
	out->next = out->n ? (uint64_t)out->changes[out->n - 1].seq : after;
	return OUTPOST_OK;
}

static void fake_close(struct op_sink *s)
{
	(void)s;
}

static const struct op_sink_ops fake_ops = {
	.name = "fake",
	.hello = fake_hello,
	.push = fake_push,
	.pull = fake_pull,
	.close = fake_close,
};

/* push_send/push_wait: the k-th send or wait fails when told to; a
 * failed wait lets go of the batch behind it, as the contract says. */
static int fake2_send(struct op_sink *s, const struct op_change *c, size_t n)
{
	struct fake_sink *f = (struct fake_sink *)s;
	int k = f->sends++;

	if (f->nq >= 2) {
		f->out_of_order++;
		return OUTPOST_EMISUSE;
	}
	if (f->fail_send_at == k + 1) {
		snprintf(s->errmsg, sizeof(s->errmsg), "push: send cut");
		s->transient = 1;
		return OUTPOST_ENET;
	}
	if (f->pushes < FAKE_MAX) {
		f->first_seq[f->pushes] = c[0].seq;
		f->sizes[f->pushes] = n;
	}
	f->pushes++;
	f->q_last[f->nq++] = c[n - 1].seq;
	if (f->nq > f->max_nq)
		f->max_nq = f->nq;
	return OUTPOST_OK;
}

static int fake2_wait(struct op_sink *s, int64_t *acked)
{
	struct fake_sink *f = (struct fake_sink *)s;
	int k = f->waits++;

	*acked = 0;
	if (f->nq == 0) {
		f->out_of_order++;
		return OUTPOST_EMISUSE;
	}
	if (f->fail_wait_at == k + 1) {
		f->nq = 0; /* it and the one behind it are let go */
		snprintf(s->errmsg, sizeof(s->errmsg), "push: wait cut");
		s->transient = 1;
		return OUTPOST_ENET;
	}
	if (f->q_last[0] > f->has)
		f->has = f->q_last[0];
	f->q_last[0] = f->q_last[1];
	f->nq--;
	*acked = f->has;
	return OUTPOST_OK;
}

static const struct op_sink_ops fake2_ops = {
	.name = "fake2",
	.hello = fake_hello,
	.push = fake_push,
	.push_send = fake2_send,
	.push_wait = fake2_wait,
	.pull = fake_pull,
	.close = fake_close,
};

/* A store in memory: `nlocal` entries with seqs 1.., two cursors. */
struct fake_store {
	struct op_change local[FAKE_MAX];
	size_t nlocal;
	int64_t push_cursor, pull_cursor;
	size_t applied;	    /* pulled changes applied */
	int64_t applied_to; /* the pull cursor apply was given */
	char last_error[512];
	int notes_ok;
};

static int fs_local(void *ctx, int64_t after, size_t max,
		    const struct op_change **out, size_t *n, char *errmsg,
		    size_t errlen)
{
	struct fake_store *s = ctx;
	size_t i = 0;

	(void)errmsg;
	(void)errlen;
	while (i < s->nlocal && s->local[i].seq <= after)
		i++;
	*out = s->local + i;
	*n = s->nlocal - i < max ? s->nlocal - i : max;
	return OUTPOST_OK;
}

static int fs_apply(void *ctx, const struct op_change *c, size_t n,
		    const char *cursor, int64_t value, char *errmsg,
		    size_t errlen)
{
	struct fake_store *s = ctx;

	(void)c;
	(void)errmsg;
	(void)errlen;
	if (strcmp(cursor, "pg_pull") != 0)
		return OUTPOST_ERROR;
	s->applied += n;
	s->applied_to = value;
	s->pull_cursor = value;
	return OUTPOST_OK;
}

static int fs_get(void *ctx, const char *name, int64_t *out)
{
	struct fake_store *s = ctx;

	*out = strcmp(name, "pg_push") == 0 ? s->push_cursor : s->pull_cursor;
	return OUTPOST_OK;
}

static int fs_set(void *ctx, const char *name, int64_t v)
{
	struct fake_store *s = ctx;

	if (strcmp(name, "pg_push") == 0)
		s->push_cursor = v;
	else
		s->pull_cursor = v;
	return OUTPOST_OK;
}

static void fs_note(void *ctx, const char *cursor, const char *error)
{
	struct fake_store *s = ctx;

	(void)cursor;
	if (error)
		snprintf(s->last_error, sizeof(s->last_error), "%s", error);
	else
		s->notes_ok++;
}

static const uint8_t site[16] = {1};

static void setup(struct fake_sink *f, struct fake_store *s,
		  struct op_sync_store *st, size_t nlocal)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	memset(s, 0, sizeof(*s));
	memset(st, 0, sizeof(*st));
	f->base.ops = &fake_ops;
	snprintf(f->hello.schema_name, sizeof(f->hello.schema_name), "lexi");
	f->hello.schema_version = 3;
	for (i = 0; i < nlocal; i++) {
		s->local[i].seq = (int64_t)i + 1;
		s->local[i].op = 'I';
		s->local[i].table = "t";
		s->local[i].row_id = "0190a000-0000-7000-8000-000000000001";
	}
	s->nlocal = nlocal;
	st->ctx = s;
	st->site = site;
	st->schema_name = "lexi";
	st->schema_version = 3;
	st->local = fs_local;
	st->apply = fs_apply;
	st->cursor_get = fs_get;
	st->cursor_set = fs_set;
	st->note = fs_note;
}

/* One sync round with batches of 10; why holds 512 bytes. */
static int run(struct fake_sink *f, const struct op_sync_store *st,
	       struct op_sync_counts *c, char *why, int *transient)
{
	return op_sync_run(&f->base, st, "pg", 10, c, why, 512, transient);
}

/* setup(), with the sink taking batches in two steps. */
static void setup2(struct fake_sink *f, struct fake_store *s,
		   struct op_sync_store *st, size_t nlocal)
{
	setup(f, s, st, nlocal);
	f->base.ops = &fake2_ops;
}

void test_sync_engine_push_in_batches(struct t *t)
{
	struct fake_sink f;
	struct fake_store s;
	struct op_sync_store st;
	struct op_sync_counts c;
	char why[512];
	int transient = 0;

	setup(&f, &s, &st, 25);
	CHECK_EQ(run(&f, &st, &c, why, &transient), OUTPOST_OK);
	CHECK_EQ(c.pushed, 25);
	CHECK_EQ(f.pushes, 3);
	CHECK_EQ(f.first_seq[1], 11);
	CHECK_EQ(f.sizes[2], 5);
	CHECK_EQ(s.push_cursor, 25);
	CHECK_EQ(f.has, 25);
	/* Nothing new: nothing sent. */
	CHECK_EQ(run(&f, &st, &c, why, &transient), OUTPOST_OK);
	CHECK_EQ(f.pushes, 3);
	CHECK_EQ(c.pushed, 0);
}

void test_sync_engine_failed_batch_sent_again(struct t *t)
{
	struct fake_sink f;
	struct fake_store s;
	struct op_sync_store st;
	struct op_sync_counts c;
	char why[512];
	int transient = 0;

	setup(&f, &s, &st, 25);
	f.fail_push_at = 2; /* the second batch (11..20) is cut */
	CHECK_EQ(run(&f, &st, &c, why, &transient), OUTPOST_ENET);
	CHECK(transient);
	CHECK_HAS(why, "push: connection reset");
	CHECK_HAS(s.last_error, "connection reset");
	/* The cursor kept what was acknowledged, not what was sent. */
	CHECK_EQ(s.push_cursor, 10);
	f.fail_push_at = 0;
	CHECK_EQ(run(&f, &st, &c, why, &transient), OUTPOST_OK);
	/* The same batch again: same first entry, same size. */
	CHECK_EQ(f.first_seq[2], 11);
	CHECK_EQ(f.sizes[2], 10);
	CHECK_EQ(s.push_cursor, 25);
}

void test_sync_engine_lost_answer_fast_forwards(struct t *t)
{
	struct fake_sink f;
	struct fake_store s;
	struct op_sync_store st;
	struct op_sync_counts c;
	char why[512];
	int transient = 0;

	setup(&f, &s, &st, 20);
	f.fail_push_at = 1;
	f.fail_ack = 1; /* central committed 1..10, the answer was lost */
	CHECK_EQ(run(&f, &st, &c, why, &transient), OUTPOST_ENET);
	CHECK_EQ(s.push_cursor, 0);
	f.fail_push_at = 0;
	CHECK_EQ(run(&f, &st, &c, why, &transient), OUTPOST_OK);
	/* hello said 10 are in: the next batch starts at 11. */
	CHECK_EQ(f.first_seq[1], 11);
	CHECK_EQ(f.pushes, 2);
	CHECK_EQ(s.push_cursor, 20);
}

void test_sync_engine_schema_mismatch(struct t *t)
{
	struct fake_sink f;
	struct fake_store s;
	struct op_sync_store st;
	struct op_sync_counts c;
	char why[512];
	int transient = 0;

	setup(&f, &s, &st, 3);
	f.hello.schema_version = 4;
	CHECK_EQ(run(&f, &st, &c, why, &transient), OUTPOST_ESCHEMA);
	CHECK_STR(why, "the remote has lexi version 4, this store version 3: "
		       "apply the newer schema here first (outpost schema "
		       "apply FILE)");
	CHECK_EQ(f.pushes, 0);
	CHECK(!transient);
	f.hello.schema_version = 2;
	CHECK_EQ(run(&f, &st, &c, why, &transient), OUTPOST_ESCHEMA);
	CHECK_STR(why, "this store has lexi version 3, the remote version 2: "
		       "migrate central first (outpost central migrate --pg "
		       "CONNINFO --schema FILE)");
	snprintf(f.hello.schema_name, sizeof(f.hello.schema_name), "other");
	CHECK_EQ(run(&f, &st, &c, why, &transient), OUTPOST_ESCHEMA);
	CHECK_STR(why, "the remote holds schema \"other\", this store "
		       "\"lexi\": they cannot sync");
	f.hello.schema_name[0] = '\0';
	CHECK_EQ(run(&f, &st, &c, why, &transient), OUTPOST_ESCHEMA);
	CHECK_HAS(why, "outpost central init");
	CHECK_EQ(f.pushes, 0);
	CHECK_EQ(s.applied, 0);
}

void test_sync_engine_pull_with_cursor(struct t *t)
{
	struct fake_sink f;
	struct fake_store s;
	struct op_sync_store st;
	struct op_sync_counts c;
	char why[512];
	int transient = 0;
	size_t i;

	setup(&f, &s, &st, 0);
	for (i = 0; i < 23; i++) {
		f.remote[i].seq = (int64_t)(100 + 2 * i); /* gaps: scopes */
		f.remote[i].op = 'U';
	}
	f.nremote = 23;
	CHECK_EQ(run(&f, &st, &c, why, &transient), OUTPOST_OK);
	CHECK_EQ(c.pulled, 23);
	CHECK_EQ(s.applied, 23);
	CHECK_EQ(s.pull_cursor, 144);
	CHECK_EQ(s.notes_ok, 2);
	/* Again: nothing new arrives. */
	CHECK_EQ(run(&f, &st, &c, why, &transient), OUTPOST_OK);
	CHECK_EQ(c.pulled, 0);
	CHECK_EQ(s.applied, 23);
}

/* A sink that takes the next batch while it applies one: every batch
 * goes, in order, never more than two on their way, and the cursor
 * follows the acknowledgements. */
void test_sync_engine_two_step_push(struct t *t)
{
	struct fake_sink f;
	struct fake_store s;
	struct op_sync_store st;
	struct op_sync_counts c;
	char why[512];
	int transient = 0;

	setup2(&f, &s, &st, 45);
	CHECK_EQ(run(&f, &st, &c, why, &transient), OUTPOST_OK);
	CHECK_EQ(c.pushed, 45);
	CHECK_EQ(c.batches, 5);
	CHECK_EQ(f.pushes, 5);
	CHECK_EQ(f.first_seq[3], 31);
	CHECK_EQ(f.sizes[4], 5);
	CHECK_EQ(f.max_nq, 2);
	CHECK_EQ(f.sends, f.waits);
	CHECK_EQ(f.out_of_order, 0);
	CHECK_EQ(s.push_cursor, 45);
	CHECK_EQ(f.has, 45);
	/* One batch only: sent and waited for. */
	setup2(&f, &s, &st, 7);
	CHECK_EQ(run(&f, &st, &c, why, &transient), OUTPOST_OK);
	CHECK_EQ(f.max_nq, 1);
	CHECK_EQ(s.push_cursor, 7);
}

/* A failed wait: the cursor keeps what was acknowledged, the batch sent
 * behind the failed one is not counted, and the next sync sends both
 * again. A failed send: the batch on its way before it is still waited
 * for and earns its cursor; the send's failure is what is reported. */
void test_sync_engine_two_step_failures(struct t *t)
{
	struct fake_sink f;
	struct fake_store s;
	struct op_sync_store st;
	struct op_sync_counts c;
	char why[512];
	int transient = 0;

	setup2(&f, &s, &st, 45);
	f.fail_wait_at = 2; /* 11..20 fails, 21..30 was sent behind it */
	CHECK_EQ(run(&f, &st, &c, why, &transient), OUTPOST_ENET);
	CHECK(transient);
	CHECK_HAS(why, "push: wait cut");
	CHECK_EQ(f.sends, 3);
	CHECK_EQ(c.pushed, 10);
	CHECK_EQ(s.push_cursor, 10);
	CHECK_EQ(f.has, 10);
	f.fail_wait_at = 0;
	f.pushes = 0;
	CHECK_EQ(run(&f, &st, &c, why, &transient), OUTPOST_OK);
	CHECK_EQ(f.first_seq[0], 11);
	CHECK_EQ(f.first_seq[1], 21);
	CHECK_EQ(s.push_cursor, 45);
	CHECK_EQ(f.out_of_order, 0);

	setup2(&f, &s, &st, 45);
	f.fail_send_at = 3; /* 21..30 cannot go while 11..20 is applied */
	CHECK_EQ(run(&f, &st, &c, why, &transient), OUTPOST_ENET);
	CHECK_HAS(why, "push: send cut");
	CHECK_HAS(s.last_error, "send cut");
	CHECK_EQ(s.push_cursor, 20);
	CHECK_EQ(f.has, 20);
	CHECK_EQ(c.pushed, 20);
	CHECK_EQ(f.out_of_order, 0);
	CHECK_EQ(f.sends - 1, f.waits);
	f.fail_send_at = 0;
	CHECK_EQ(run(&f, &st, &c, why, &transient), OUTPOST_OK);
	CHECK_EQ(s.push_cursor, 45);
	CHECK_EQ(f.has, 45);

	/* Both: 21..30 cannot go, and 11..20 before it fails too. The
	 * older failure is the one that stopped the push. */
	setup2(&f, &s, &st, 45);
	f.fail_send_at = 3;
	f.fail_wait_at = 2;
	CHECK_EQ(run(&f, &st, &c, why, &transient), OUTPOST_ENET);
	CHECK_HAS(why, "push: wait cut");
	CHECK_EQ(s.push_cursor, 10);
	CHECK_EQ(f.out_of_order, 0);
}
