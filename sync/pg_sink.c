/* pg_sink.c - the PostgreSQL sink: a device's side of sync/PROTOCOL.md.
 * hello asks central who this device is (outpost.hello()); push is in
 * pg_sink_push.c; pull reads outpost.changes after the cursor, which
 * row-level security limits to the device's scopes. Every value travels
 * as a parameter. libpq's errors become outpost codes here, the server's
 * text kept. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "pg_sink_int.h"

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

/* The same rows, each with the log's head in the same snapshot (a
 * central with outpost.log_head(); hello says): one row of NULLs and the
 * head when there are none. */
#define PG_PULL_HEAD_SQL                                                     \
	"SELECT x.sseq, x.hlc::text, encode(x.site, 'hex'), x.tbl, x.op, "   \
	"x.row_id::text, x.v, x.avail, h.head FROM (SELECT "                 \
	"outpost.log_head() AS head) h LEFT JOIN (SELECT c.*, count(*) OVER " \
	"() AS avail, sum(coalesce(octet_length(c.v), 0) + 64) OVER (ORDER "  \
	"BY c.sseq) AS upto FROM (SELECT sseq, hlc, site, tbl, op, row_id, "  \
	"vals::text AS v FROM outpost.changes WHERE sseq > $1 AND site <> $2 " \
	"ORDER BY sseq LIMIT $3) c) x ON x.upto - "                          \
	"coalesce(octet_length(x.v), 0) - 64 < $4 ORDER BY x.sseq"


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

void op_pg_one_line(char *s)
{
	char *w = s;
	const char *r;
	int space = 0;

	/* libpq's messages end in a newline and go on with a tab. */
	for (r = s; *r; r++) {
		if (*r == '\n' || *r == '\t' || *r == '\r' || *r == ' ') {
			space = w > s;
			continue;
		}
		if (space)
			*w++ = ' ';
		space = 0;
		*w++ = *r;
	}
	*w = '\0';
}

int op_pg_fail(struct pg_sink *p, PGconn *conn, PGresult *res,
	       const char *what)
{
	const char *primary =
		res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *hint =
		res ? PQresultErrorField(res, PG_DIAG_MESSAGE_HINT) : NULL;
	const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	char state[6] = "";

	/* All live in res: take them before it goes. Central's own
	 * messages begin "outpost: ", as the CLI's do: said once. */
	if (st)
		snprintf(state, sizeof(state), "%s", st);
	if (primary && strncmp(primary, "outpost: ", 9) == 0)
		primary += 9;
	snprintf(p->base.errmsg, sizeof(p->base.errmsg), "%s: %s%s%s%s", what,
		 primary ? primary : PQerrorMessage(conn), hint ? " (" : "",
		 hint ? hint : "", hint ? ")" : "");
	op_pg_one_line(p->base.errmsg);
	if (res)
		PQclear(res);
	p->base.transient = transient_state(conn, state[0] ? state : NULL);
	/* 42883: undefined function; 3F000: no such schema. */
	if (strcmp(state, "42883") == 0 || strcmp(state, "3F000") == 0)
		snprintf(p->base.errmsg, sizeof(p->base.errmsg), "%s: the "
			 "server has no outpost central (outpost central init "
			 "--pg CONNINFO --schema FILE)", what);
	return p->base.transient		  ? OUTPOST_ENET
	       : strcmp(state, "22008") == 0 ? OUTPOST_ECLOCK
					      : OUTPOST_EREFUSED;
}

int op_pg_exec(struct pg_sink *p, PGconn *conn, const char *sql,
	       const char *what)
{
	PGresult *res = PQexec(conn, sql);

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		return op_pg_fail(p, conn, res, what);
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
	if (!PQsendQueryParams(p->conn, p->log_head ? PG_PULL_HEAD_SQL
						    : PG_PULL_SQL,
			       4, NULL, params, NULL, NULL, 0))
		return op_pg_fail(p, p->conn, NULL, "pull");
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

int op_pg_not_pulling(struct pg_sink *p, const char *what)
{
	pull_drop(p);
	if (!p->planned)
		return OUTPOST_OK;
	p->planned = 0;
	return op_pg_exec(p, p->conn,
			  "RESET enable_seqscan; RESET enable_bitmapscan", what);
}

static int pg_hello(struct op_sink *s, const uint8_t site[16],
		    struct op_sink_hello *out)
{
	struct pg_sink *p = (struct pg_sink *)s;
	PGresult *res;
	int rc = op_pg_not_pulling(p, "connect");

	if (rc != OUTPOST_OK)
		return rc;
	p->site_param[0] = '\\';
	p->site_param[1] = 'x';
	op_hex_encode(p->site_param + 2, site, 16);
	res = PQexec(p->conn, "SELECT device, pushed_seq, schema_name, "
			      "schema_version, pushed_sub, to_regprocedure("
			      "'outpost.log_head()') IS NOT NULL FROM "
			      "outpost.hello()");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return op_pg_fail(p, p->conn, res, "connect");
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
	p->log_head = strcmp(PQgetvalue(res, 0, 5), "t") == 0;
	PQclear(res);
	return OUTPOST_OK;
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

/* The head the pull's rows carry (9th column, the same on each), and
 * the rows that are changes: none when the only row is the NULLs that
 * carry it. */
static int read_head(struct pg_sink *p, int *n, uint64_t *head)
{
	char *end;
	unsigned long long h;

	*head = 0;
	if (*n == 0)
		return OUTPOST_OK; /* not from this query: no head */
	h = strtoull(PQgetvalue(p->pulled, 0, 8), &end, 10);
	if (PQgetisnull(p->pulled, 0, 8) || *end)
		return bad_row(p, 0, "head");
	*head = (uint64_t)h;
	if (*n == 1 && PQgetisnull(p->pulled, 0, 0))
		*n = 0;
	return OUTPOST_OK;
}

static int pg_pull(struct op_sink *s, uint64_t after, size_t max,
		   size_t max_bytes, struct op_batch *out)
{
	struct pg_sink *p = (struct pg_sink *)s;
	int i, n, rc = OUTPOST_OK;
	uint64_t head = 0;

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
		rc = op_pg_exec(p, p->conn, "SET enable_seqscan = off; SET "
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
		rc = op_pg_fail(p, p->conn, p->pulled, "pull");
		p->pulled = NULL;
		return rc;
	}
	n = PQntuples(p->pulled);
	if (PQnfields(p->pulled) != (p->log_head ? 9 : 8)) {
		snprintf(s->errmsg, sizeof(s->errmsg), "pull: central answered "
			 "%d columns, not %d", PQnfields(p->pulled),
			 p->log_head ? 9 : 8);
		return OUTPOST_EPROTO;
	}
	if (p->log_head && (rc = read_head(p, &n, &head)) != OUTPOST_OK)
		return rc;
	if (n == 0) {
		/* Nothing after the cursor is this device's to take: it
		 * moves on to the head, past what it need not read again. */
		if (head > after)
			out->next = head;
		return OUTPOST_OK;
	}
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
	/* All there was after the cursor came: nothing hides between the
	 * last of it and the head. */
	if ((size_t)n < max && !out->more && head > out->next)
		out->next = head;
	/* The engine will ask for the next batch: central finds it while
	 * this one is applied. A failure here shows on that next pull. */
	if ((size_t)n == max || out->more)
		(void)pull_send(p, out->next, max, max_bytes);
	return OUTPOST_OK;
}

/* A secret's copy is wiped before it goes. */
static void free_secret(char *s)
{
	if (s) {
		sodium_memzero(s, strlen(s));
		op_free(s);
	}
}

static void pg_close(struct op_sink *s)
{
	struct pg_sink *p = (struct pg_sink *)s;

	if (!p)
		return;
	op_pg_push_close(p);
	PQclear(p->pulled);
	op_free(p->changes);
	PQfinish(p->conn);
	op_free(p->conninfo);
	free_secret(p->password);
	op_free(p);
}

/* Notices ("already exists, skipping") are not for the user's terminal. */
static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static const struct op_sink_ops pg_ops = {
	.name = "pg",
	.hello = pg_hello,
	.push = op_pg_push,
	.push_send = op_pg_push_send,
	.push_wait = op_pg_push_wait,
	.pull = pg_pull,
	.close = pg_close,
};

PGconn *op_pg_connect(const char *conninfo, const char *password,
		      char *errmsg, size_t errlen, int *rc)
{
	/* In array order, later ones win: outpost's defaults (a connect
	 * timeout, a name in pg_stat_activity), then the caller's conninfo
	 * (expanded in place of "dbname"), then the password, which is
	 * never in the conninfo (that is stored and shown). */
	const char *keys[] = {"connect_timeout", "application_name", "dbname",
			      "password", NULL};
	const char *vals[] = {"10", "outpost", conninfo, password, NULL};
	PGconn *conn;
	const char *why;

	if (!password)
		keys[3] = NULL;
	conn = PQconnectdbParams(keys, vals, 1);
	if (conn && PQstatus(conn) == CONNECTION_OK) {
		PQsetNoticeProcessor(conn, quiet, NULL);
		*rc = OUTPOST_OK;
		return conn;
	}
	why = conn ? PQerrorMessage(conn) : "out of memory";
	snprintf(errmsg, errlen, "cannot connect to PostgreSQL: %s", why);
	op_pg_one_line(errmsg);
	PQfinish(conn);
	/* A wrong password will not get better by waiting. */
	*rc = strstr(errmsg, "authentication failed") ||
			      strstr(errmsg, "does not exist")
		      ? OUTPOST_EDENIED
		      : OUTPOST_ENET;
	if (strstr(errmsg, "password authentication failed"))
		snprintf(errmsg + strlen(errmsg), errlen - strlen(errmsg),
			 " (the stored password is not this role's: give "
			 "the file `central add-device` wrote with `outpost "
			 "remote set --pg ... --password-file FILE`; central's "
			 "administrator can make a new one with `central "
			 "add-device NAME --new-password`)");
	return NULL;
}

int op_pg_sink_open(struct op_sink **out, const char *conninfo,
		    const char *password, char *errmsg, size_t errlen)
{
	struct pg_sink *p = op_calloc(1, sizeof(*p));
	int rc;

	*out = NULL;
	if (p && (p->conninfo = op_strdup(conninfo)) != NULL &&
	    (!password || (p->password = op_strdup(password)) != NULL))
		p->base.ops = &pg_ops;
	else {
		snprintf(errmsg, errlen, "out of memory");
		if (p)
			pg_close(&p->base);
		return OUTPOST_ENOMEM;
	}
	if (!(p->conn = op_pg_connect(conninfo, password, errmsg, errlen,
				      &rc))) {
		pg_close(&p->base);
		return rc;
	}
	p->lanes[0].conn = p->conn;
	*out = &p->base;
	return OUTPOST_OK;
}

int op_pg_conninfo_check(const char *conninfo, char *errmsg, size_t errlen)
{
	char *why = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &why), *o;
	int rc = OUTPOST_OK;

	if (!opts) {
		snprintf(errmsg, errlen, "not a PostgreSQL connection string: "
			 "%s", why ? why : "out of memory");
		op_pg_one_line(errmsg);
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
