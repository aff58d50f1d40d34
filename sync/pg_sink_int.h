/* pg_sink_int.h - the PostgreSQL sink's parts, shared by its files:
 * pg_sink.c (connect, hello, pull) and pg_sink_push.c (push). */
#ifndef OUTPOST_PG_SINK_INT_H
#define OUTPOST_PG_SINK_INT_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "sink.h"
#include "util.h"

/* A connection that pushes. A batch on it goes: BEGIN and COPY into the
 * session's staging table (staged), outpost.push() sent (applying),
 * COMMIT (idle again). */
enum pg_lane_state { PG_LANE_IDLE, PG_LANE_STAGED, PG_LANE_APPLYING };

struct pg_lane {
	PGconn *conn; /* lanes[0]'s is the sink's own connection */
	enum pg_lane_state state;
	char batch[OP_UUID_TEXT], from[24], to[24], to_sub[24];
};

/* A batch whose outcome is known before the engine asks for it (the
 * second lane could not be had, so it was waited for early). */
struct pg_settled {
	int rc;
	int64_t acked;
	int transient;
	char errmsg[512];
};

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
	/* Central has outpost.log_head(): a pull that read all there was
	 * moves the cursor to the log's head. */
	int log_head;
	/* Push: two lanes, so the next batch travels and is parsed while
	 * central applies this one. head is the oldest batch's lane, busy
	 * how many batches are sent and not yet waited for. */
	struct pg_lane lanes[2];
	int head, busy;
	int one_lane; /* the second connection could not be had */
	struct pg_settled settled;
	int has_settled;
	/* For the second connection: what the first was opened with. */
	char *conninfo, *password;
};

/* s with every run of white space (libpq's newlines and tabs) one space,
 * and none at either end. */
void op_pg_one_line(char *s);
/* The message of a failed result (freed) or of conn, on one line, in the
 * sink's errmsg; the outpost code for it. */
int op_pg_fail(struct pg_sink *p, PGconn *conn, PGresult *res,
	       const char *what);
/* One statement on conn that returns no rows or some; the failure is
 * the sink's. */
int op_pg_exec(struct pg_sink *p, PGconn *conn, const char *sql,
	       const char *what);
/* Before anything but a pull on the sink's connection: no query left on
 * its way, and the pull's planner settings undone. */
int op_pg_not_pulling(struct pg_sink *p, const char *what);
/* A new connection as the sink's was opened (NULL with errmsg set). */
PGconn *op_pg_connect(const char *conninfo, const char *password,
		      char *errmsg, size_t errlen, int *rc);

int op_pg_push(struct op_sink *s, const struct op_change *c, size_t n,
	       int64_t *acked);
int op_pg_push_send(struct op_sink *s, const struct op_change *c, size_t n);
int op_pg_push_wait(struct op_sink *s, int64_t *acked);
/* Every batch not waited for is let go (rolled back); the second
 * connection closed. */
void op_pg_push_close(struct pg_sink *p);

#endif
