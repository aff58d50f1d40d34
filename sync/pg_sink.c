/* pg_sink.c - the PostgreSQL sink: a device's side of sync/PROTOCOL.md.
 * hello asks central who this device is (outpost.hello()); push sends a
 * batch to outpost.push() as one statement, so it is one transaction;
 * pull reads outpost.changes after the cursor, which row-level security
 * limits to the device's scopes. Every value travels as a parameter.
 * libpq's errors become outpost codes here, the server's text kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "sink.h"
#include "util.h"

/* At most $3 entries after $1, not this site's ($2), and no more of them
 * than fit in $4 bytes of values (the first always comes); avail says
 * how many the row bound alone would give, so a batch the byte bound
 * cut is known to have more behind it. 64 bytes stand for the rest of a
 * row. Each value is rendered as text once (v), measured and sent. */
#define PG_PULL_SQL                                                          \
	"SELECT sseq, hlc::text, encode(site, 'hex'), tbl, op, row_id::text, " \
	"v, avail FROM (SELECT c.*, count(*) OVER () AS avail, "             \
	"sum(coalesce(octet_length(c.v), 0) + 64) OVER (ORDER BY c.sseq) AS " \
	"upto FROM (SELECT sseq, hlc, site, tbl, op, row_id, vals::text AS v " \
	"FROM outpost.changes WHERE sseq > $1 AND site <> $2 ORDER BY sseq "  \
	"LIMIT $3) c) x WHERE upto - coalesce(octet_length(v), 0) - 64 < $4 " \
	"ORDER BY sseq"

struct pg_sink {
	struct op_sink base;
	PGconn *conn;
	char site_param[2 + 32 + 1]; /* "\x" and hex: bytea text input */
	PGresult *pulled;	      /* the last pull's rows, borrowed out */
	struct op_change *changes;
	int planned; /* the pull's planner settings are made */
	/* The next pull's query is on its way (asked for while the last
	 * batch is applied), for these arguments. */
	int ahead;
	uint64_t ahead_after;
	size_t ahead_max, ahead_bytes;
};

/* The connection is gone or never came: worth trying again later. A
 * refusal by the server (bad password, a constraint, a policy) is not. */
static int transient_state(const PGconn *conn, const char *sqlstate)
{
	if (PQstatus(conn) != CONNECTION_OK)
		return 1;
	if (!sqlstate)
		return 0;
	/* 08: connection exception; 57P: operator intervention (shutdown,
	 * crash); 40001/40P01: serialization failure, deadlock. */
	return strncmp(sqlstate, "08", 2) == 0 ||
	       strncmp(sqlstate, "57P", 3) == 0 ||
	       strcmp(sqlstate, "40001") == 0 || strcmp(sqlstate, "40P01") == 0;
}

/* The message of a failed result or connection, on one line. */
static int fail(struct pg_sink *p, PGresult *res, const char *what)
{
	const char *primary =
		res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	char state[6] = "";
	char *nl;

	/* Both live in res: take them before it goes. */
	if (st)
		snprintf(state, sizeof(state), "%s", st);
	snprintf(p->base.errmsg, sizeof(p->base.errmsg), "%s: %s", what,
		 primary ? primary : PQerrorMessage(p->conn));
	while ((nl = strchr(p->base.errmsg, '\n')) != NULL)
		*nl = ' ';
	if (res)
		PQclear(res);
	p->base.transient = transient_state(p->conn, state[0] ? state : NULL);
	/* 42883: undefined function; 3F000: no such schema. */
	if (strcmp(state, "42883") == 0 || strcmp(state, "3F000") == 0)
		snprintf(p->base.errmsg, sizeof(p->base.errmsg), "%s: the "
			 "server has no outpost central (outpost central init "
			 "--pg CONNINFO --schema FILE)", what);
	return p->base.transient		  ? OUTPOST_ENET
	       : strcmp(state, "22008") == 0 ? OUTPOST_ECLOCK
					      : OUTPOST_EREFUSED;
}

/* One statement that returns no rows; the failure is the sink's. */
static int exec_ok(struct pg_sink *p, const char *sql, const char *what)
{
	PGresult *res = PQexec(p->conn, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		return fail(p, res, what);
	PQclear(res);
	return OUTPOST_OK;
}

/* Send the pull's query for these arguments without waiting. */
static int pull_send(struct pg_sink *p, uint64_t after, size_t max,
		     size_t max_bytes)
{
	char from[24], lim[24], bytes[24];
	const char *params[4] = {from, p->site_param, lim, bytes};

	snprintf(from, sizeof(from), "%llu", (unsigned long long)after);
	snprintf(lim, sizeof(lim), "%zu", max);
	snprintf(bytes, sizeof(bytes), "%zu", max_bytes);
	if (!PQsendQueryParams(p->conn, PG_PULL_SQL, 4, NULL, params, NULL,
			       NULL, 0))
		return fail(p, NULL, "pull");
	p->ahead = 1;
	p->ahead_after = after;
	p->ahead_max = max;
	p->ahead_bytes = max_bytes;
	return OUTPOST_OK;
}

/* The answer to the query on its way (NULL if none came). */
static PGresult *pull_take(struct pg_sink *p)
{
	PGresult *res = PQgetResult(p->conn), *rest;

	while ((rest = PQgetResult(p->conn)) != NULL)
		PQclear(rest);
	p->ahead = 0;
	return res;
}

/* Before any other statement: a query asked for ahead is let go. */
static void pull_drop(struct pg_sink *p)
{
	if (p->ahead)
		PQclear(pull_take(p));
}

/* Before anything but a pull: no query left on its way, and the pull's
 * planner settings undone. */
static int not_pulling(struct pg_sink *p, const char *what)
{
	pull_drop(p);
	if (!p->planned)
		return OUTPOST_OK;
	p->planned = 0;
	return exec_ok(p, "RESET enable_seqscan; RESET enable_bitmapscan",
		       what);
}

static int pg_hello(struct op_sink *s, const uint8_t site[16],
		    struct op_sink_hello *out)
{
	struct pg_sink *p = (struct pg_sink *)s;
	PGresult *res;
	int rc = not_pulling(p, "connect");

	if (rc != OUTPOST_OK)
		return rc;
	p->site_param[0] = '\\';
	p->site_param[1] = 'x';
	op_hex_encode(p->site_param + 2, site, 16);
	res = PQexec(p->conn, "SELECT device, pushed_seq, schema_name, "
			      "schema_version, pushed_sub FROM outpost.hello()");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return fail(p, res, "connect");
	if (PQntuples(res) != 1) {
		snprintf(s->errmsg, sizeof(s->errmsg), "hello: role %s is not "
			 "a registered outpost device (outpost central "
			 "add-device NAME)", PQuser(p->conn));
		PQclear(res);
		s->transient = 0;
		return OUTPOST_EREFUSED;
	}
	memset(out, 0, sizeof(*out));
	snprintf(out->device, sizeof(out->device), "%s", PQgetvalue(res, 0, 0));
	out->pushed_seq = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	snprintf(out->schema_name, sizeof(out->schema_name), "%s",
		 PQgetvalue(res, 0, 2));
	out->schema_version = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
	out->pushed_sub = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
	PQclear(res);
	return OUTPOST_OK;
}

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
	return b->oom ? OUTPOST_ENOMEM : OUTPOST_OK;
}


/* COPY the rows into the session's staging table. */
static int copy_in(struct pg_sink *p, const struct op_buf *rows)
{
	PGresult *res = PQexec(p->conn, "COPY pg_temp.outpost_in (seq, h, "
					"tbl, op, uid, vals, sub) FROM STDIN");
	size_t at = 0;

	if (PQresultStatus(res) != PGRES_COPY_IN)
		return fail(p, res, "push");
	PQclear(res);
	while (at < rows->len) {
		size_t n = rows->len - at < 65536 ? rows->len - at : 65536;

		if (PQputCopyData(p->conn, rows->p + at, (int)n) != 1)
			break;
		at += n;
	}
	if (at < rows->len || PQputCopyEnd(p->conn, NULL) != 1)
		return fail(p, NULL, "push");
	res = PQgetResult(p->conn);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		return fail(p, res, "push");
	PQclear(res);
	while ((res = PQgetResult(p->conn)) != NULL)
		PQclear(res);
	return OUTPOST_OK;
}

static int pg_push(struct op_sink *s, const struct op_change *c, size_t n,
		   int64_t *acked)
{
	struct pg_sink *p = (struct pg_sink *)s;
	struct op_buf rows = {0};
	char batch[OP_UUID_TEXT], from[48], to[24], to_sub[24], count[24];
	const char *parts[5] = {p->site_param, from, to, to_sub, count};
	const char *params[5] = {batch, p->site_param, from, to, to_sub};
	uint8_t id[16];
	PGresult *res = NULL;
	int rc;

	*acked = 0;
	if (n == 0)
		return OUTPOST_OK;
	if ((rc = not_pulling(p, "push")) != OUTPOST_OK)
		return rc;
	/* The same entries make the same batch id: a retry after a lost
	 * answer is recognised by central's ledger. */
	snprintf(to, sizeof(to), "%lld", (long long)c[n - 1].seq);
	snprintf(to_sub, sizeof(to_sub), "%lu", (unsigned long)c[n - 1].sub);
	snprintf(count, sizeof(count), "%zu", n);
	/* From and to as changes: one import entry spans many batches. */
	snprintf(from, sizeof(from), "%lld.%lu", (long long)c[0].seq,
		 (unsigned long)c[0].sub);
	op_uuid_v8(id, parts, 5);
	snprintf(from, sizeof(from), "%lld", (long long)c[0].seq);
	op_uuid_format(batch, id);
	rc = batch_rows(p, c, n, &rows);
	if (rc == OUTPOST_ENOMEM)
		snprintf(s->errmsg, sizeof(s->errmsg), "push: out of memory");
	/* One transaction: the staged rows and outpost.push() with them.
	 * The staging table is the session's own; outpost.push() runs as
	 * central's owner, who is let read it. */
	if (rc == OUTPOST_OK)
		rc = exec_ok(p, "BEGIN", "push");
	if (rc == OUTPOST_OK)
		rc = exec_ok(p, "SELECT outpost.push_stage()", "push");
	if (rc == OUTPOST_OK)
		rc = copy_in(p, &rows);
	op_buf_free(&rows);
	if (rc == OUTPOST_OK) {
		res = PQexecParams(p->conn, "SELECT outpost.push($1::uuid, "
					    "$2::bytea, $3::bigint, $4::bigint, "
					    "$5::bigint)",
				   5, NULL, params, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK ||
		    PQntuples(res) != 1) {
			rc = fail(p, res, "push");
			res = NULL;
		}
	}
	if (rc == OUTPOST_OK)
		*acked = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	/* Acknowledged only once the commit is. */
	if (rc == OUTPOST_OK)
		rc = exec_ok(p, "COMMIT", "push");
	if (rc != OUTPOST_OK && PQstatus(p->conn) == CONNECTION_OK &&
	    PQtransactionStatus(p->conn) != PQTRANS_IDLE)
		PQclear(PQexec(p->conn, "ROLLBACK"));
	if (rc != OUTPOST_OK)
		*acked = 0;
	return rc;
}

static int bad_row(struct pg_sink *p, int row, const char *field)
{
	snprintf(p->base.errmsg, sizeof(p->base.errmsg), "central's entry %s: "
		 "%s is malformed", PQgetvalue(p->pulled, row, 0), field);
	p->base.transient = 0;
	return OUTPOST_EPROTO;
}

/* One row of the pull into c, checked: central is a peer like any other,
 * and what it sends is parsed, never trusted. */
static int parse_row(struct pg_sink *p, int row, uint64_t after,
		     struct op_change *c)
{
	PGresult *r = p->pulled;
	char *end;
	const char *op = PQgetvalue(r, row, 4);
	uint8_t u[16];
	unsigned long long seq = strtoull(PQgetvalue(r, row, 0), &end, 10);

	if (*end || seq <= after || (row > 0 && (int64_t)seq <= c[-1].seq))
		return bad_row(p, row, "sseq");
	c->seq = (int64_t)seq;
	c->hlc = strtoull(PQgetvalue(r, row, 1), &end, 10);
	if (*end || PQgetisnull(r, row, 1))
		return bad_row(p, row, "hlc");
	if (PQgetlength(r, row, 2) != 32 ||
	    op_hex_decode(c->site, 16, PQgetvalue(r, row, 2), 32) != 0)
		return bad_row(p, row, "site");
	c->table = PQgetvalue(r, row, 3);
	if (!c->table[0])
		return bad_row(p, row, "tbl");
	if (strlen(op) != 1 || !strchr("IUD", op[0]))
		return bad_row(p, row, "op");
	c->op = op[0];
	c->row_id = PQgetvalue(r, row, 5);
	if (op_uuid_parse(u, c->row_id) != 0)
		return bad_row(p, row, "row_id");
	c->values = PQgetisnull(r, row, 6) ? NULL : PQgetvalue(r, row, 6);
	if ((c->op == 'D') != (c->values == NULL))
		return bad_row(p, row, "vals");
	return OUTPOST_OK;
}

static int pg_pull(struct op_sink *s, uint64_t after, size_t max,
		   size_t max_bytes, struct op_batch *out)
{
	struct pg_sink *p = (struct pg_sink *)s;
	int i, n, rc = OUTPOST_OK;

	PQclear(p->pulled);
	p->pulled = NULL;
	op_free(p->changes);
	p->changes = NULL;
	memset(out, 0, sizeof(*out));
	out->next = after;
	/* The pull walks the log's primary key from the cursor. Right after
	 * a large push the log's statistics are stale, and the planner would
	 * read every row after the cursor, sort them and keep the first
	 * (125 ms instead of 30 for a 10k batch of 100k): it is told not to
	 * for this session, which pulls last (push resets it). */
	if (!p->planned) {
		pull_drop(p);
		rc = exec_ok(p, "SET enable_seqscan = off; SET "
				"enable_bitmapscan = off", "pull");
		if (rc != OUTPOST_OK)
			return rc;
		p->planned = 1;
	}
	if (p->ahead && (p->ahead_after != after || p->ahead_max != max ||
			 p->ahead_bytes != max_bytes))
		pull_drop(p);
	if (!p->ahead && (rc = pull_send(p, after, max, max_bytes)) != OUTPOST_OK)
		return rc;
	p->pulled = pull_take(p);
	if (PQresultStatus(p->pulled) != PGRES_TUPLES_OK) {
		rc = fail(p, p->pulled, "pull");
		p->pulled = NULL;
		return rc;
	}
	n = PQntuples(p->pulled);
	if (PQnfields(p->pulled) != 8) {
		snprintf(s->errmsg, sizeof(s->errmsg), "pull: central answered "
			 "%d columns, not 8", PQnfields(p->pulled));
		return OUTPOST_EPROTO;
	}
	if (n == 0)
		return OUTPOST_OK;
	if (!(p->changes = op_calloc((size_t)n, sizeof(*p->changes)))) {
		snprintf(s->errmsg, sizeof(s->errmsg), "out of memory");
		return OUTPOST_ENOMEM;
	}
	for (i = 0; i < n && rc == OUTPOST_OK; i++)
		rc = parse_row(p, i, after, &p->changes[i]);
	if (rc != OUTPOST_OK)
		return rc;
	out->changes = p->changes;
	out->n = (size_t)n;
	out->next = (uint64_t)p->changes[n - 1].seq;
	out->more = strtoll(PQgetvalue(p->pulled, 0, 7), NULL, 10) > (long long)n;
	/* The engine will ask for the next batch: central finds it while
	 * this one is applied. A failure here shows on that next pull. */
	if ((size_t)n == max || out->more)
		(void)pull_send(p, out->next, max, max_bytes);
	return OUTPOST_OK;
}

static void pg_close(struct op_sink *s)
{
	struct pg_sink *p = (struct pg_sink *)s;

	if (!p)
		return;
	PQclear(p->pulled);
	op_free(p->changes);
	PQfinish(p->conn);
	op_free(p);
}

/* Notices ("already exists, skipping") are not for the user's terminal. */
static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static const struct op_sink_ops pg_ops = {"pg", pg_hello, pg_push, pg_pull,
					  pg_close};

int op_pg_sink_open(struct op_sink **out, const char *conninfo,
		    const char *password, char *errmsg, size_t errlen)
{
	/* In array order, later ones win: outpost's defaults (a connect
	 * timeout, a name in pg_stat_activity), then the caller's conninfo
	 * (expanded in place of "dbname"), then the password, which is
	 * never in the conninfo (that is stored and shown). */
	const char *keys[] = {"connect_timeout", "application_name", "dbname",
			      "password", NULL};
	const char *vals[] = {"10", "outpost", conninfo, password, NULL};
	struct pg_sink *p = op_calloc(1, sizeof(*p));

	*out = NULL;
	if (!p) {
		snprintf(errmsg, errlen, "out of memory");
		return OUTPOST_ENOMEM;
	}
	p->base.ops = &pg_ops;
	if (!password)
		keys[3] = NULL;
	p->conn = PQconnectdbParams(keys, vals, 1);
	if (p->conn)
		PQsetNoticeProcessor(p->conn, quiet, NULL);
	if (!p->conn || PQstatus(p->conn) != CONNECTION_OK) {
		const char *why = p->conn ? PQerrorMessage(p->conn)
					  : "out of memory";
		char *nl;

		snprintf(errmsg, errlen, "cannot connect to PostgreSQL: %s",
			 why);
		while ((nl = strchr(errmsg, '\n')) != NULL)
			*nl = ' ';
		pg_close(&p->base);
		/* A wrong password will not get better by waiting. */
		return strstr(errmsg, "authentication failed") ||
				       strstr(errmsg, "does not exist")
			       ? OUTPOST_EDENIED
			       : OUTPOST_ENET;
	}
	*out = &p->base;
	return OUTPOST_OK;
}

int op_pg_conninfo_check(const char *conninfo, char *errmsg, size_t errlen)
{
	char *why = NULL, *nl;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &why), *o;
	int rc = OUTPOST_OK;

	if (!opts) {
		snprintf(errmsg, errlen, "not a PostgreSQL connection string: "
			 "%s", why ? why : "out of memory");
		while ((nl = strchr(errmsg, '\n')) != NULL)
			*nl = ' ';
		PQfreemem(why);
		return OUTPOST_EMISUSE;
	}
	for (o = opts; o->keyword; o++)
		if (strcmp(o->keyword, "password") == 0 && o->val &&
		    o->val[0]) {
			/* It would be stored in the store and shown by
			 * status: the password goes its own way. */
			snprintf(errmsg, errlen, "the connection string holds "
				 "a password; remove it and give it with "
				 "--password-file FILE (mode 0600) or "
				 "OUTPOST_PG_PASSWORD");
			rc = OUTPOST_EMISUSE;
		}
	PQconninfoFree(opts);
	return rc;
}
