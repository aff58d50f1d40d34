/* pg_sink_push.c - the PostgreSQL sink's push (sync/PROTOCOL.md "Push").
 * A batch is COPYed into the session's staging table and applied by
 * outpost.push() in the same transaction, so it is all or nothing.
 *
 * Two connections (lanes) take batches in turn: while central applies
 * one, the next is read from the store, sent and parsed on the other
 * (about a third of a batch's time, done by a second backend). The next
 * batch's outpost.push() is sent only once the one before it is
 * committed, so batches commit in the device's order and none is ever
 * applied behind one that failed. When the second connection cannot be
 * had (central at max_connections), one lane does it all, as before. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pg_sink_int.h"

#define PUSH_SQL                                                             \
	"SELECT outpost.push($1::uuid, $2::bytea, $3::bigint, $4::bigint, "  \
	"$5::bigint)"

/* BEGIN, the staging table, and its COPY, in one round trip. READ
 * COMMITTED whatever the server's default: batch k+1's transaction
 * begins before batch k commits, and its outpost.push() must see k's
 * commit (a snapshot from before it fails to lock the device's row). */
#define STAGE_SQL                                                            \
	"BEGIN ISOLATION LEVEL READ COMMITTED; SELECT outpost.push_stage(); " \
	"COPY pg_temp.outpost_in (seq, h, tbl, op, uid, vals, sub) FROM "    \
	"STDIN"

/* A field of COPY's text format: backslash, tab, newline and carriage
 * return escaped, so no value can end its field or row early. */
static void copy_field(struct op_buf *b, const char *s)
{
	const char *run = s;

	for (; *s; s++) {
		const char *esc = *s == '\\' ? "\\\\"
				  : *s == '\t' ? "\\t"
				  : *s == '\n' ? "\\n"
				  : *s == '\r' ? "\\r"
						 : NULL;

		if (!esc)
			continue;
		op_buf_add(b, run, (size_t)(s - run));
		op_buf_adds(b, esc);
		run = s + 1;
	}
	op_buf_add(b, run, (size_t)(s - run));
}

/* The batch as rows of pg_temp.outpost_in. A change's values come from
 * the store's log and are checked to be one JSON object: central casts
 * them, and a bad one should be refused here, naming the entry. */
static int batch_rows(struct pg_sink *p, const struct op_change *c, size_t n,
		      struct op_buf *b)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (c[i].values) {
			cJSON *v = cJSON_Parse(c[i].values);
			int ok = v && cJSON_IsObject(v);

			cJSON_Delete(v);
			if (!ok) {
				snprintf(p->base.errmsg, sizeof(p->base.errmsg),
					 "entry %lld (%s %s): its values are "
					 "not a JSON object", (long long)c[i].seq,
					 c[i].table, c[i].row_id);
				p->base.transient = 0;
				return OUTPOST_ECORRUPT;
			}
		}
		op_buf_addf(b, "%lld\t%llu\t", (long long)c[i].seq,
			    (unsigned long long)c[i].hlc);
		copy_field(b, c[i].table);
		op_buf_addf(b, "\t%c\t", c[i].op);
		copy_field(b, c[i].row_id);
		op_buf_adds(b, "\t");
		if (c[i].values)
			copy_field(b, c[i].values);
		else
			op_buf_adds(b, "\\N");
		op_buf_addf(b, "\t%lu\n", (unsigned long)c[i].sub);
	}
	if (b->oom) {
		snprintf(p->base.errmsg, sizeof(p->base.errmsg),
			 "push: out of memory");
		p->base.transient = 0;
		return OUTPOST_ENOMEM;
	}
	return OUTPOST_OK;
}

/* Whatever the lane's transaction holds is let go. A batch still being
 * applied is cancelled first, so this never waits for central's work. */
static void lane_abort(struct pg_lane *l)
{
	PGresult *res;

	if (l->state == PG_LANE_APPLYING) {
		PGcancel *cancel = PQgetCancel(l->conn);
		char why[256];

		if (cancel) {
			(void)PQcancel(cancel, why, sizeof(why));
			PQfreeCancel(cancel);
		}
		while ((res = PQgetResult(l->conn)) != NULL)
			PQclear(res);
	}
	if (l->conn && PQstatus(l->conn) == CONNECTION_OK &&
	    PQtransactionStatus(l->conn) != PQTRANS_IDLE)
		PQclear(PQexec(l->conn, "ROLLBACK"));
	l->state = PG_LANE_IDLE;
}

/* The rows into the lane's staging table, in a new transaction. */
static int lane_stage(struct pg_sink *p, struct pg_lane *l,
		      const struct op_buf *rows)
{
	PGresult *res = PQexec(l->conn, STAGE_SQL);
	size_t at = 0;
	int rc = OUTPOST_OK;

	if (PQresultStatus(res) != PGRES_COPY_IN) {
		rc = op_pg_fail(p, l->conn, res, "push");
		lane_abort(l);
		return rc;
	}
	PQclear(res);
	while (at < rows->len) {
		size_t n = rows->len - at < 65536 ? rows->len - at : 65536;

		if (PQputCopyData(l->conn, rows->p + at, (int)n) != 1)
			break;
		at += n;
	}
	/* A write that failed ends the COPY as failed, so the connection
	 * leaves its COPY state either way. */
	if (at < rows->len) {
		rc = op_pg_fail(p, l->conn, NULL, "push");
		(void)PQputCopyEnd(l->conn, "the device could not send the "
					    "batch");
	} else if (PQputCopyEnd(l->conn, NULL) != 1)
		rc = op_pg_fail(p, l->conn, NULL, "push");
	if (rc == OUTPOST_OK) {
		res = PQgetResult(l->conn);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			rc = op_pg_fail(p, l->conn, res, "push");
		else
			PQclear(res);
	}
	while ((res = PQgetResult(l->conn)) != NULL) {
		ExecStatusType st = PQresultStatus(res);

		PQclear(res);
		if (st == PGRES_COPY_IN) /* it could not leave it: give up */
			break;
	}
	if (rc == OUTPOST_OK)
		l->state = PG_LANE_STAGED;
	else
		lane_abort(l);
	return rc;
}

/* The staged batch's outpost.push(), sent without waiting. */
static int lane_apply(struct pg_sink *p, struct pg_lane *l)
{
	const char *params[5] = {l->batch, p->site_param, l->from, l->to,
				 l->to_sub};
	int rc;

	if (PQsendQueryParams(l->conn, PUSH_SQL, 5, NULL, params, NULL, NULL,
			      0)) {
		l->state = PG_LANE_APPLYING;
		return OUTPOST_OK;
	}
	rc = op_pg_fail(p, l->conn, NULL, "push");
	lane_abort(l);
	return rc;
}

/* The answer to the lane's outpost.push(), then COMMIT: acknowledged
 * only once the commit is. */
static int lane_finish(struct pg_sink *p, struct pg_lane *l, int64_t *acked)
{
	PGresult *res = PQgetResult(l->conn), *rest;
	int rc = OUTPOST_OK;

	while ((rest = PQgetResult(l->conn)) != NULL)
		PQclear(rest);
	l->state = PG_LANE_STAGED; /* in its transaction, nothing running */
	*acked = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1 ||
	    PQnfields(res) != 1)
		rc = op_pg_fail(p, l->conn, res, "push");
	else {
		*acked = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
		rc = op_pg_exec(p, l->conn, "COMMIT", "push");
	}
	if (rc != OUTPOST_OK) {
		*acked = 0;
		lane_abort(l);
	}
	l->state = PG_LANE_IDLE;
	return rc;
}

/* A batch's outcome (the sink's message, if it failed), kept for its
 * push_wait. */
static void settle(struct pg_sink *p, int rc, int64_t acked)
{
	struct pg_settled *o = &p->settled;

	o->rc = rc;
	o->acked = acked;
	o->transient = rc != OUTPOST_OK && p->base.transient;
	snprintf(o->errmsg, sizeof(o->errmsg), "%s",
		 rc != OUTPOST_OK ? p->base.errmsg : "");
	p->has_settled = 1;
}

/* The outcome of the oldest batch, waited for now and kept for
 * push_wait (one lane: the next batch needs its connection). */
static void settle_oldest(struct pg_sink *p)
{
	int64_t acked = 0;
	int rc = lane_finish(p, &p->lanes[0], &acked);

	settle(p, rc, acked);
}

/* The lane for the next batch, its connection made if it is the second
 * one's first use; NULL if the batch cannot go now (p's errmsg says). */
static struct pg_lane *free_lane(struct pg_sink *p, int *rc)
{
	struct pg_lane *l;

	*rc = OUTPOST_OK;
	if (p->busy >= 2) {
		snprintf(p->base.errmsg, sizeof(p->base.errmsg),
			 "push: two batches are on their way already");
		p->base.transient = 0;
		*rc = OUTPOST_EMISUSE;
		return NULL;
	}
	if (p->has_settled && p->settled.rc != OUTPOST_OK) {
		/* Nothing goes behind a batch that is not in. */
		*rc = p->settled.rc;
		return NULL;
	}
	if (p->busy == 0 || p->has_settled)
		return &p->lanes[0]; /* nothing is running */
	l = &p->lanes[(p->head + 1) % 2];
	if (l == &p->lanes[1] && l->conn &&
	    PQstatus(l->conn) != CONNECTION_OK) {
		PQfinish(l->conn); /* cut since its last batch: anew */
		l->conn = NULL;
	}
	if (!l->conn && l == &p->lanes[1] && !p->one_lane) {
		char why[sizeof(p->base.errmsg)];
		int why_rc;

		l->conn = op_pg_connect(p->conninfo, p->password, why,
					sizeof(why), &why_rc);
		p->one_lane = !l->conn;
	}
	if (l->conn)
		return l;
	/* One lane: the batch before is waited for first. */
	settle_oldest(p);
	if (p->settled.rc != OUTPOST_OK) {
		*rc = p->settled.rc;
		return NULL;
	}
	return &p->lanes[0];
}

int op_pg_push_send(struct op_sink *s, const struct op_change *c, size_t n)
{
	struct pg_sink *p = (struct pg_sink *)s;
	struct op_buf rows = {0};
	char from[48], count[24];
	const char *parts[5] = {p->site_param, from, NULL, NULL, count};
	uint8_t id[16];
	struct pg_lane *l;
	int rc;

	if (n == 0)
		return OUTPOST_EMISUSE;
	if (!(l = free_lane(p, &rc)))
		return rc;
	if (l == &p->lanes[0] &&
	    (rc = op_pg_not_pulling(p, "push")) != OUTPOST_OK)
		return rc;
	/* The same entries make the same batch id: a retry after a lost
	 * answer is recognised by central's ledger. From and to as changes:
	 * one import entry spans many batches. */
	snprintf(l->to, sizeof(l->to), "%lld", (long long)c[n - 1].seq);
	snprintf(l->to_sub, sizeof(l->to_sub), "%lu",
		 (unsigned long)c[n - 1].sub);
	snprintf(count, sizeof(count), "%zu", n);
	snprintf(from, sizeof(from), "%lld.%lu", (long long)c[0].seq,
		 (unsigned long)c[0].sub);
	parts[2] = l->to;
	parts[3] = l->to_sub;
	op_uuid_v8(id, parts, 5);
	op_uuid_format(l->batch, id);
	snprintf(l->from, sizeof(l->from), "%lld", (long long)c[0].seq);
	rc = batch_rows(p, c, n, &rows);
	if (rc == OUTPOST_OK)
		rc = lane_stage(p, l, &rows);
	op_buf_free(&rows);
	if (rc != OUTPOST_OK)
		return rc;
	/* Applied now if nothing is before it; else once that is in. */
	if (p->busy == 0 || p->has_settled)
		rc = lane_apply(p, l);
	if (rc != OUTPOST_OK)
		return rc;
	if (p->busy == 0)
		p->head = (int)(l - p->lanes);
	p->busy++;
	return OUTPOST_OK;
}

int op_pg_push_wait(struct op_sink *s, int64_t *acked)
{
	struct pg_sink *p = (struct pg_sink *)s;
	struct pg_lane *next;
	int rc;

	*acked = 0;
	if (p->busy == 0) {
		snprintf(s->errmsg, sizeof(s->errmsg),
			 "push: no batch is on its way");
		return OUTPOST_EMISUSE;
	}
	if (p->has_settled) {
		/* One lane: the oldest is known; the next is lanes[0]'s. */
		p->has_settled = 0;
		rc = p->settled.rc;
		*acked = p->settled.acked;
		if (rc != OUTPOST_OK) {
			s->transient = p->settled.transient;
			snprintf(s->errmsg, sizeof(s->errmsg), "%s",
				 p->settled.errmsg);
		}
		p->head = 0;
	} else {
		rc = lane_finish(p, &p->lanes[p->head], acked);
		p->head = (p->head + 1) % 2;
	}
	p->busy--;
	if (p->busy == 0) {
		/* The push is over: the second connection is not kept for
		 * the pull. */
		if (p->lanes[1].conn)
			PQfinish(p->lanes[1].conn);
		p->lanes[1].conn = NULL;
		return rc;
	}
	next = &p->lanes[p->head];
	if (rc != OUTPOST_OK) {
		/* Nothing goes behind a batch that is not in. */
		lane_abort(next);
		p->busy = 0;
		return rc;
	}
	if (next->state == PG_LANE_STAGED &&
	    (rc = lane_apply(p, next)) != OUTPOST_OK) {
		/* That batch failed before it began: its wait says so. */
		settle(p, rc, 0);
		return OUTPOST_OK;
	}
	return OUTPOST_OK;
}

int op_pg_push(struct op_sink *s, const struct op_change *c, size_t n,
	       int64_t *acked)
{
	int rc;

	*acked = 0;
	if (n == 0)
		return OUTPOST_OK;
	rc = op_pg_push_send(s, c, n);
	return rc == OUTPOST_OK ? op_pg_push_wait(s, acked) : rc;
}

void op_pg_push_close(struct pg_sink *p)
{
	lane_abort(&p->lanes[0]);
	lane_abort(&p->lanes[1]);
	p->busy = 0;
	p->has_settled = 0;
	if (p->lanes[1].conn)
		PQfinish(p->lanes[1].conn);
	p->lanes[1].conn = NULL;
}
