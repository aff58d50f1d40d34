/* sync.c - the sync engine: one round with a sink (push, then pull), with
 * the cursors that make it resumable. It knows the store only through
 * struct op_sync_store and the remote only through struct op_sink.
 *
 * Push: the store's own entries after the push cursor, in batches; the
 * cursor moves only to what the remote acknowledged, so a cut connection
 * loses nothing and a retried batch applies once (the remote keeps a
 * ledger and a high-water mark; sync/PROTOCOL.md). Pull: the remote's
 * entries after the pull cursor, each batch applied with its cursor in
 * one store transaction. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sink.h"

static void say(char *errmsg, size_t errlen, const char *what,
		const char *why)
{
	snprintf(errmsg, errlen, "%s: %s", what, why);
}

/* The remote's schema must be the store's: otherwise nothing moves, and
 * the message says which side to bring up to date. */
static int check_schema(const struct op_sync_store *st,
			const struct op_sink_hello *h, char *errmsg,
			size_t errlen)
{
	if (!h->schema_name[0]) {
		snprintf(errmsg, errlen, "the remote has no outpost schema "
			 "installed (outpost central init --pg CONNINFO "
			 "--schema FILE)");
		return OUTPOST_ESCHEMA;
	}
	if (strcmp(h->schema_name, st->schema_name) != 0) {
		snprintf(errmsg, errlen, "the remote holds schema \"%s\", this "
			 "store \"%s\": they cannot sync", h->schema_name,
			 st->schema_name[0] ? st->schema_name : "(none)");
		return OUTPOST_ESCHEMA;
	}
	if (h->schema_version > st->schema_version) {
		snprintf(errmsg, errlen, "the remote has %s version %lld, this "
			 "store version %lld: apply the newer schema here "
			 "first (outpost schema apply FILE)", h->schema_name,
			 (long long)h->schema_version,
			 (long long)st->schema_version);
		return OUTPOST_ESCHEMA;
	}
	if (h->schema_version < st->schema_version) {
		snprintf(errmsg, errlen, "this store has %s version %lld, the "
			 "remote version %lld: migrate central first (outpost "
			 "central migrate --pg CONNINFO --schema FILE)",
			 h->schema_name, (long long)st->schema_version,
			 (long long)h->schema_version);
		return OUTPOST_ESCHEMA;
	}
	return OUTPOST_OK;
}

/* The next batch of the store's changes from change (seq, sub) on, and
 * the last entry it holds all of. A store without local_from has no
 * imports to expand: its entries are whole. */
static int next_batch(const struct op_sync_store *st, int64_t seq,
		      uint32_t sub, size_t batch, const struct op_change **c,
		      size_t *n, int64_t *through, char *errmsg,
		      size_t errlen)
{
	int rc;

	if (st->local_from)
		return st->local_from(st->ctx, seq, sub, batch, c, n, through,
				      errmsg, errlen);
	rc = st->local(st->ctx, seq - 1, batch, c, n, errmsg, errlen);
	*through = rc == OUTPOST_OK && *n ? (*c)[*n - 1].seq : seq - 1;
	return rc;
}

/* A batch handed to the sink and not yet acknowledged: where it ends,
 * and the cursor it earns then. */
struct in_flight {
	int64_t last;
	size_t n;
	int64_t through;
	int rc; /* a sink without push_send pushed it at once: its outcome */
	int64_t acked;
};

/* Hand a batch over: in two steps where the sink has them, so the next
 * batch is read and sent while the remote applies this one. */
static int batch_send(struct op_sink *sink, const struct op_change *c,
		      size_t n, int64_t through, struct in_flight *f)
{
	f->last = c[n - 1].seq;
	f->n = n;
	f->through = through;
	f->acked = 0;
	if (sink->ops->push_send)
		return sink->ops->push_send(sink, c, n);
	f->rc = sink->ops->push(sink, c, n, &f->acked);
	return OUTPOST_OK;
}

/* The oldest batch's acknowledgement, and the cursor it earns. */
static int batch_done(struct op_sink *sink, const struct op_sync_store *st,
		      const char *cursor, const struct in_flight *f,
		      int64_t *at, struct op_sync_counts *out, char *errmsg,
		      size_t errlen)
{
	int64_t acked = f->acked;
	int rc = sink->ops->push_send ? sink->ops->push_wait(sink, &acked)
				      : f->rc;

	if (rc != OUTPOST_OK) {
		snprintf(errmsg, errlen, "%s", sink->errmsg);
		return rc;
	}
	if (acked < f->last) {
		snprintf(errmsg, errlen, "push: the remote acknowledged up to "
			 "entry %lld of a batch ending at %lld",
			 (long long)acked, (long long)f->last);
		return OUTPOST_EPROTO;
	}
	out->pushed += f->n;
	out->batches++;
	if (f->through > *at) {
		*at = f->through;
		rc = st->cursor_set(st->ctx, cursor, *at);
		if (rc != OUTPOST_OK)
			say(errmsg, errlen, "push", "cannot move the cursor");
	}
	return rc;
}

static int push_all(struct op_sink *sink, const struct op_sync_store *st,
		    const char *cursor, const struct op_sink_hello *h,
		    size_t batch, struct op_sync_counts *out, char *errmsg,
		    size_t errlen)
{
	struct in_flight q[2] = {{0}};
	size_t nq = 0, window = sink->ops->push_send ? 2 : 1;
	int64_t at = 0, seq, through = 0, tail = 0;
	uint32_t sub = 0;
	int more = 1;
	int rc = st->cursor_get(st->ctx, cursor, &at);

	if (rc != OUTPOST_OK) {
		say(errmsg, errlen, "push", "cannot read the push cursor");
		return rc;
	}
	/* The cursor holds the last entry the remote has all of. The
	 * remote may hold more: a crash after its commit and before ours,
	 * or a bulk import sent in part. Its high-water mark (entry, and
	 * change in an import) is the truth. */
	seq = at + 1;
	if (h->pushed_seq > at && st->local_from) {
		seq = h->pushed_seq;
		sub = h->pushed_sub >= 0 && h->pushed_sub < UINT32_MAX
			      ? (uint32_t)h->pushed_sub + 1
			      : UINT32_MAX;
	} else if (h->pushed_seq > at) {
		at = h->pushed_seq;
		seq = at + 1;
		if ((rc = st->cursor_set(st->ctx, cursor, at)) != OUTPOST_OK)
			return rc;
	}
	while (more || nq > 0) {
		const struct op_change *c = NULL;
		size_t n = 0;

		if (more && nq < window) {
			rc = next_batch(st, seq, sub, batch, &c, &n, &through,
					errmsg, errlen);
			if (rc == OUTPOST_OK && n == 0) {
				more = 0;
				tail = through;
				continue;
			}
			if (rc == OUTPOST_OK &&
			    (rc = batch_send(sink, c, n, through, &q[nq])) !=
				    OUTPOST_OK)
				snprintf(errmsg, errlen, "%s", sink->errmsg);
			if (rc != OUTPOST_OK)
				break;
			nq++;
			/* Imports go on from the next change, others from
			 * the next entry. */
			seq = st->local_from ? c[n - 1].seq : c[n - 1].seq + 1;
			sub = st->local_from ? c[n - 1].sub + 1 : 0;
			continue;
		}
		rc = batch_done(sink, st, cursor, &q[0], &at, out, errmsg,
				errlen);
		if (rc != OUTPOST_OK)
			return rc; /* the sink let go of any after it */
		q[0] = q[1];
		nq--;
	}
	if (rc != OUTPOST_OK) {
		/* What was sent before the failure still earns its cursor;
		 * the failure is what is reported, unless one of those
		 * failed too: the older one is what stopped the push. */
		size_t i;

		for (i = 0; i < nq; i++) {
			char why[512];
			int rc2 = batch_done(sink, st, cursor, &q[i], &at, out,
					     why, sizeof(why));

			if (rc2 != OUTPOST_OK) {
				snprintf(errmsg, errlen, "%s", why);
				return rc2;
			}
		}
		return rc;
	}
	if (tail > at) {
		at = tail;
		if ((rc = st->cursor_set(st->ctx, cursor, at)) != OUTPOST_OK)
			say(errmsg, errlen, "push", "cannot move the cursor");
	}
	return rc;
}

static int pull_all(struct op_sink *sink, const struct op_sync_store *st,
		    const char *cursor, size_t batch,
		    struct op_sync_counts *out, char *errmsg, size_t errlen)
{
	int64_t at = 0;
	int rc = st->cursor_get(st->ctx, cursor, &at);

	if (rc != OUTPOST_OK) {
		say(errmsg, errlen, "pull", "cannot read the pull cursor");
		return rc;
	}
	for (;;) {
		struct op_batch b = {NULL, 0, 0, 0};

		rc = sink->ops->pull(sink, (uint64_t)at, batch,
				     st->batch_bytes ? st->batch_bytes
						     : OP_SYNC_BATCH_BYTES, &b);
		if (rc != OUTPOST_OK) {
			snprintf(errmsg, errlen, "%s", sink->errmsg);
			return rc;
		}
		if (b.n == 0 && b.next <= (uint64_t)at)
			return OUTPOST_OK;
		rc = st->apply(st->ctx, b.changes, b.n, cursor,
			       (int64_t)b.next, errmsg, errlen);
		if (rc != OUTPOST_OK)
			return rc;
		at = (int64_t)b.next;
		out->pulled += b.n;
		if (b.n)
			out->batches++; /* not a move of the cursor alone */
		if (b.n < batch && !b.more)
			return OUTPOST_OK;
	}
}

int op_sync_run(struct op_sink *sink, const struct op_sync_store *st,
		const char *cursor_prefix, size_t batch,
		struct op_sync_counts *out, char *errmsg, size_t errlen,
		int *transient)
{
	struct op_sink_hello h;
	char push_cursor[64], pull_cursor[64];
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&h, 0, sizeof(h));
	*transient = 0;
	errmsg[0] = '\0';
	snprintf(push_cursor, sizeof(push_cursor), "%s_push", cursor_prefix);
	snprintf(pull_cursor, sizeof(pull_cursor), "%s_pull", cursor_prefix);
	rc = sink->ops->hello(sink, st->site, &h);
	if (rc != OUTPOST_OK)
		snprintf(errmsg, errlen, "%s", sink->errmsg);
	if (rc == OUTPOST_OK)
		rc = check_schema(st, &h, errmsg, errlen);
	if (rc == OUTPOST_OK)
		rc = push_all(sink, st, push_cursor, &h, batch, out, errmsg,
			      errlen);
	st->note(st->ctx, push_cursor, rc == OUTPOST_OK ? NULL : errmsg);
	if (rc == OUTPOST_OK) {
		rc = pull_all(sink, st, pull_cursor, batch, out, errmsg,
			      errlen);
		st->note(st->ctx, pull_cursor,
			 rc == OUTPOST_OK ? NULL : errmsg);
	}
	*transient = rc != OUTPOST_OK && sink->transient;
	return rc;
}
