/* t_neo4j_converge.c - the Neo4j mirror converges with central (issue 5):
 * the simulator of t_sync_central_converge.c (sync_sim.h: three devices
 * and central PostgreSQL with LexiCraft, random inserts, updates of
 * random columns and deletes by every device and the administrator,
 * learning points and RELATED_TO and PREREQUISITE_OF relationships among
 * them) with every device also mirroring to the run's real Neo4j 3.1.1,
 * device 2 through the Query API v2 stand-in, so both client paths
 * write the same graph.
 *
 * Each round the devices write; then each, in a random order, syncs with
 * central in a random mode (outpost_sync, which pushes to Neo4j after
 * central's round; both halves through the engine without the mirror;
 * only the push; only the pull) and, before or after that, pushes to
 * Neo4j alone (op_api_neo4j_push, what outpost_sync's mirror round
 * runs), in small batches and requests, now and then from a cursor set
 * back (as after a crash between Neo4j's answer and the cursor's move).
 * So Neo4j often gets a device's old entries after another device
 * pushed newer ones, and entries again. At the end every device syncs
 * with central until nothing moves (without the mirror), then all push
 * to Neo4j in a random order.
 *
 * That alone would hide a broken LWW guard or tombstone: a device's log
 * ends with what it holds, so its last push leaves Neo4j right whatever
 * the guard did before. So each device's store is also copied at two
 * random rounds, and the copies push last, from a random earlier entry
 * or from the start: old inserts of deleted nodes and relationships, old
 * values of properties changed since. The guard (`_outpost_clk*`) and
 * the tombstones must make all of it change nothing (a copy's entries
 * are all in its device's log, so central has them).
 *
 * Neo4j must then hold exactly central's graph: the nodes of every label
 * with uuid and every property the mirror keeps (the key and passwords
 * are not kept; `_outpost_*` bookkeeping and tombstones are not the
 * graph), the relationships of every type with uuid, ends and
 * properties; and no tombstone may share its uuid with a live node or
 * relationship.
 *
 * Values are compared by the schema's type (central's wire text against
 * what Neo4j holds: numbers as numbers, booleans, lists, json parsed).
 * On a difference the message lists the lines of one side only
 * ("- central", "+ Neo4j"), then central's log, each device's log and
 * Neo4j's state (bookkeeping included) of the first uuid concerned.
 *
 * Not in it, as sync/PROTOCOL.md "Neo4j" says the mirror cannot follow
 * there (parked values): a node made again after its delete (the
 * simulator makes learning points and relationships once each).
 *
 * The seed is printed on failure; OUTPOST_TEST_SEED=n replays its choices
 * (not its clocks). OUTPOST_SYNC_STATS=1 prints what the run made. */
#include <ctype.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <cjson/cJSON.h>

#include "api_neo4j.h"
#include "neo4j_graph.h"

#define ROUNDS 40
#define V2_DEVICE 2 /* the device that goes through the stand-in */
#define COPIES 2    /* copies of each device's store, pushed at the end */

struct run {
	struct sim *s;
	struct t_standin si;
	char stale[SIM_ND * COPIES][512]; /* copies of devices' stores */
	long long pushes, set_backs; /* pushes to Neo4j alone */
	long long nodes, edges;	     /* central's, at the end */
	time_t started, ran; /* the test's start, and its rounds' */
};

/* Device i mirrors to url with the run's password (in a 0600 file). */
static int mirror(struct sim *s, int i, const char *url)
{
	outpost_neo4j_remote r = OUTPOST_NEO4J_REMOTE_INIT;
	char pw[512];

	t_path(pw, s->t, "neo4j.pw");
	r.url = url;
	r.user = t_neo4j_user();
	r.password_file = pw;
	if (t_write(pw, t_neo4j_password()) == 0 && chmod(pw, 0600) == 0 &&
	    outpost_remote_set_neo4j(s->db[i], &r) == OUTPOST_OK)
		return 0;
	t_fail(s->t, __FILE__, __LINE__, "device %d: remote set --neo4j: %s",
	       i, outpost_errmsg(s->db[i]));
	return -1;
}

/* A store pushes its log to Neo4j alone (what outpost_sync's mirror
 * round runs): `batch` entries a batch and `rows` changes a request (0:
 * the defaults). who names it in a failure. */
static int push(struct run *r, outpost *db, const char *who, size_t batch,
		size_t rows)
{
	long long pushed = 0;
	int transient = 0;
	int rc = op_api_neo4j_push(db, batch ? batch : 10000, rows,
				   OP_SYNC_BATCH_BYTES, &pushed, &transient);

	r->pushes++;
	if (rc == OUTPOST_OK)
		return 0;
	t_fail(r->s->t, __FILE__, __LINE__, "seed %llu: %s: neo4j push "
	       "(batch %zu, rows %zu): %s: %s", r->s->seed, who, batch, rows,
	       outpost_errstr(rc), outpost_errmsg(db));
	return -1;
}

static int push_dev(struct run *r, int i, size_t batch, size_t rows)
{
	char who[32];

	snprintf(who, sizeof(who), "device %d", i);
	return push(r, r->s->db[i], who, batch, rows);
}

/* As if the store had crashed after Neo4j acknowledged batches and
 * before its cursor moved: the cursor goes back to a random earlier
 * entry, or to the start. */
static void set_back(struct run *r, outpost *db, int to_start)
{
	long long at = t_int(db, "SELECT coalesce((SELECT seq FROM "
			     "_outpost_cursors WHERE consumer = '"
			     OP_NEO4J_CURSOR "'), 0)");

	if (at > 0 && sim_qsql(db, "UPDATE _outpost_cursors SET seq = %u "
			       "WHERE consumer = '" OP_NEO4J_CURSOR "'",
			       to_start ? 0 : sim_below(r->s, (unsigned)at)) ==
			      OUTPOST_OK)
		r->set_backs++;
}

/* Copy k of device i's store, as it is now (closed around the copy),
 * pushed after everything else: a device that comes back from a backup,
 * or a late retry of old requests. All it sends is older than what
 * Neo4j then holds, and must change nothing. */
static int snapshot(struct run *r, int i, int k)
{
	struct sim *s = r->s;
	char name[32], *out = NULL, *to = r->stale[i * COPIES + k];
	int rc;

	snprintf(name, sizeof(name), "stale%d.%d", i, k);
	t_path(to, s->t, name);
	outpost_close(s->db[i]);
	rc = t_sh(&out, "cp -a '%s' '%s'", s->dev[i].dir, to);
	if (outpost_open(&s->db[i], s->dev[i].dir, NULL) != OUTPOST_OK)
		rc = -1;
	if (rc != 0)
		t_fail(s->t, __FILE__, __LINE__, "device %d: copy: %s", i,
		       out ? out : outpost_errmsg(s->db[i]));
	free(out);
	return rc == 0 ? 0 : -1;
}

/* The copies push, in random order, from further back than their
 * cursor: from a random entry, or from the start. */
static int push_stale(struct run *r)
{
	struct sim *s = r->s;
	int order[SIM_ND * COPIES], i, j, k, rc = 0;

	for (i = 0; i < SIM_ND * COPIES; i++)
		order[i] = i;
	for (i = SIM_ND * COPIES - 1; i > 0; i--) {
		j = (int)sim_below(s, (unsigned)i + 1);
		k = order[i];
		order[i] = order[j];
		order[j] = k;
	}
	for (i = 0; rc == 0 && i < SIM_ND * COPIES; i++) {
		size_t nb = sim_below(s, 2) ? 0 : 1 + sim_below(s, 8);
		outpost *db = NULL;
		char who[48];

		k = order[i];
		if (!r->stale[k][0])
			continue;
		snprintf(who, sizeof(who), "copy %d of device %d", k % COPIES,
			 k / COPIES);
		if (outpost_open(&db, r->stale[k], NULL) != OUTPOST_OK) {
			t_fail(s->t, __FILE__, __LINE__, "%s: %s", who,
			       outpost_errmsg(db));
			rc = -1;
		}
		if (rc == 0)
			set_back(r, db, (int)sim_below(s, 2));
		if (rc == 0)
			rc = push(r, db, who, nb, 0);
		outpost_close(db);
	}
	return rc;
}

/* Device i's turn in a round: perhaps a sync with central, perhaps a
 * push to Neo4j alone, before or after it. */
static int turn(struct run *run, int i)
{
	struct sim *s = run->s;
	unsigned r = sim_below(s, 100);
	long long batch = sim_below(s, 4) ? 0 : 1 + sim_below(s, 5);
	int pg = sim_below(s, 3) != 0, n4 = sim_below(s, 3) == 0;
	int n4_first = (int)sim_below(s, 2);
	size_t nb = sim_below(s, 3) ? 0 : 1 + sim_below(s, 8);
	size_t rows = sim_below(s, 2) ? 0 : 1 + sim_below(s, 4);
	int mode = r < 50   ? SIM_FULL
		   : r < 65 ? SIM_PG_ONLY
		   : r < 80 ? SIM_PUSH_ONLY
			    : SIM_PULL_ONLY;

	if (n4 && sim_below(s, 5) == 0)
		set_back(run, s->db[i], 0);
	if (n4 && n4_first && push_dev(run, i, nb, rows) != 0)
		return -1;
	if (pg && sim_sync(s, i, mode, batch, NULL) != 0)
		return -1;
	if (n4 && !n4_first && push_dev(run, i, nb, rows) != 0)
		return -1;
	return 0;
}

/* Rounds of writes (the simulator's mix, and some more on the graph)
 * and turns in random order, each device copied at two of them; then
 * syncs with central until nothing moves, every device's push to Neo4j,
 * and the copies'. */
static int run(struct run *r)
{
	struct sim *s = r->s;
	int round, i, k, order[SIM_ND], pass, copy_at[SIM_ND * COPIES];
	long long moved, m;

	for (i = 0; i < SIM_ND * COPIES; i++)
		copy_at[i] = 1 + (int)sim_below(s, ROUNDS - 2);
	for (round = 0; round < ROUNDS; round++) {
		for (i = 0; i < SIM_ND * COPIES; i++)
			if (copy_at[i] == round &&
			    snapshot(r, i / COPIES, i % COPIES) != 0)
				return -1;
		for (i = 0; i < SIM_ND; i++) {
			for (k = 2 + (int)sim_below(s, 7); k > 0; k--)
				sim_write(s, i);
			for (k = 1 + (int)sim_below(s, 3); k > 0; k--)
				sim_write_graph(s, i);
		}
		if (sim_below(s, 3) == 0 && sim_central_write(s) != 0)
			return -1;
		sim_shuffle(s, order);
		for (i = 0; i < SIM_ND; i++)
			if (turn(r, order[i]) != 0)
				return -1;
	}
	for (pass = 0, moved = 1; moved && pass < 5; pass++)
		for (moved = 0, i = 0; i < SIM_ND; i++) {
			if (sim_sync(s, i, SIM_PG_ONLY, 0, &m) != 0)
				return -1;
			moved += m;
		}
	if (moved) {
		t_fail(s->t, __FILE__, __LINE__, "seed %llu: still moving "
		       "after %d rounds with central", s->seed, pass);
		return -1;
	}
	sim_shuffle(s, order);
	for (i = 0; i < SIM_ND; i++)
		if (push_dev(r, order[i], 0, 0) != 0)
			return -1;
	return push_stale(r);
}

/* ---- comparing ---- */

/* The first uuid in text, or NULL. */
static const char *first_uuid(const char *p)
{
	size_t k;

	for (; p && *p; p++) {
		for (k = 0; k < 36 && p[k]; k++)
			if (k == 8 || k == 13 || k == 18 || k == 23
				    ? p[k] != '-'
				    : !isxdigit((unsigned char)p[k]))
				break;
		if (k == 36)
			return p;
	}
	return NULL;
}

/* For the failure message: the first uuid of diff in central's log, in
 * every device's log and in Neo4j, bookkeeping and tombstone included. */
static void explain(struct run *r, const char *diff)
{
	struct sim *s = r->s;
	const char *u = first_uuid(diff);
	char id[37], sql[512], params[64], text[T_TEXT_MAX], *out = NULL;
	cJSON *j, *row;
	int i;

	if (!u)
		return;
	snprintf(id, sizeof(id), "%.36s", u);
	snprintf(sql, sizeof(sql), "SELECT sseq || ' ' || hlc || ' ' || "
		 "coalesce(device, 'central') || ' ' || op || ' ' || "
		 "coalesce(vals::text, '') FROM outpost.changes WHERE row_id "
		 "= '%s' ORDER BY sseq", id);
	t_pg_psql(&out, s->c.db, T_PG_ADMIN, NULL, sql);
	fprintf(stderr, "central's log of %s (sseq hlc device op vals):\n%s",
		id, out ? out : "");
	free(out);
	for (i = 0; i < SIM_ND; i++) {
		snprintf(sql, sizeof(sql), "SELECT group_concat(x, char(10)) "
			 "FROM (SELECT seq || ' ' || hlc || ' ' || coalesce("
			 "nullif(hex(site), ''), 'own') || ' ' || op || ' ' || "
			 "coalesce(vals, '') AS x FROM _outpost_changes WHERE "
			 "row_id = '%s' ORDER BY seq)", id);
		fprintf(stderr, "device %d's log (seq hlc site op vals):\n%s\n",
			i, t_text(s->db[i], sql, text));
	}
	snprintf(params, sizeof(params), "{\"u\": \"%s\"}", id);
	j = ng_query(s->t, "MATCH (n) WHERE n.uuid = $u RETURN labels(n) AS "
		     "l, properties(n) AS p UNION ALL MATCH ()-[e]->() WHERE "
		     "e.uuid = $u RETURN [type(e)] AS l, properties(e) AS p",
		     params);
	fprintf(stderr, "in Neo4j:\n");
	cJSON_ArrayForEach(row, ng_rows(j))
	{
		char *p = cJSON_PrintUnformatted(
			cJSON_GetObjectItemCaseSensitive(row, "row"));

		fprintf(stderr, "  %s\n", p ? p : "?");
		free(p);
	}
	cJSON_Delete(j);
}

/* Same lines (1), or the test failed with the lines of each side only
 * and the first of them explained (0). */
static int same(struct run *r, const char *what, const char *central,
		const char *neo4j)
{
	char *d;

	if (central && neo4j && !strcmp(central, neo4j))
		return 1;
	d = central && neo4j ? sim_diff(central, neo4j, 40) : NULL;
	t_fail(r->s->t, __FILE__, __LINE__, "seed %llu: %s differ (- only "
	       "central's, + only Neo4j's):\n%s", r->s->seed, what,
	       d ? d : "(no dump)");
	if (d)
		explain(r, d);
	free(d);
	return 0;
}

static size_t lines(const char *text)
{
	size_t n = 0;

	for (; text && *text; text++)
		n += *text == '\n';
	return n;
}

static void compare(struct run *r)
{
	struct sim *s = r->s;
	cJSON *cat = ng_catalog(s);
	char *a, *b;

	if (!cat)
		return;
	a = ng_central_nodes(s, cat);
	b = ng_nodes(s->t, cat);
	r->nodes = (long long)lines(a);
	same(r, "nodes", a, b);
	free(a);
	free(b);
	a = sim_central_edges(s);
	b = ng_edges(s->t, cat);
	r->edges = (long long)lines(a);
	same(r, "relationships", a, b);
	free(a);
	free(b);
	cJSON_Delete(cat);
	/* A tombstone stands for a node or relationship that is gone. */
	if (t_neo4j_int(s->t, "MATCH (d:_outpost_tomb), (n) WHERE n.uuid = "
			"d.uuid AND NOT n:_outpost_tomb RETURN count(*)") +
		    t_neo4j_int(s->t, "MATCH (d:_outpost_tomb), ()-[e]->() "
				"WHERE e.uuid = d.uuid RETURN count(*)") !=
	    0)
		t_fail(s->t, __FILE__, __LINE__, "seed %llu: a tombstone's "
		       "uuid is live in Neo4j", s->seed);
	/* Not an empty graph: there was something to converge. */
	if (!s->t->failed && (r->nodes < 10 || r->edges < 5))
		t_fail(s->t, __FILE__, __LINE__, "seed %llu: only %lld nodes "
		       "and %lld relationships", s->seed, r->nodes, r->edges);
}

static void stats(struct run *r)
{
	struct sim *s = r->s;

	fprintf(stderr, "seed %llu: %lld nodes, %lld relationships, %lld "
		"tombstones, %lld property clocks in Neo4j; %lld pushes to "
		"Neo4j alone, %lld from a cursor set back; %lld s (%lld s "
		"setting up)\n", s->seed,
		r->nodes, r->edges,
		t_neo4j_int(s->t, "MATCH (d:_outpost_tomb) RETURN count(d)"),
		t_neo4j_int(s->t, "MATCH (n) RETURN sum(size([k IN keys(n) "
			    "WHERE k STARTS WITH '_outpost_clk_']))") +
			t_neo4j_int(s->t, "MATCH ()-[e]->() RETURN sum(size([k "
				    "IN keys(e) WHERE k STARTS WITH "
				    "'_outpost_clk_']))"),
		r->pushes, r->set_backs, (long long)(time(NULL) - r->started),
		(long long)(r->ran - r->started));
}

void test_neo4j_converge_with_central(struct t *t)
{
	struct sim *s = calloc(1, sizeof(*s));
	struct run r;
	int i, ok;

	CHECK(s);
	memset(&r, 0, sizeof(r));
	r.s = s;
	r.started = time(NULL);
	sim_seed(s, t);
	ok = t_neo4j_start(t) == 0 && t_neo4j_wipe(t) == 0 &&
	     t_standin_start(t, &r.si, NULL) == 0 && sim_setup(t, s) == 0;
	for (i = 0; ok && i < SIM_ND; i++)
		ok = mirror(s, i, i == V2_DEVICE ? r.si.url : t_neo4j_url()) ==
		     0;
	r.ran = time(NULL);
	if (ok && run(&r) == 0)
		compare(&r);
	if (getenv("OUTPOST_SYNC_STATS"))
		stats(&r);
	if (t->failed)
		fprintf(stderr, "seed %llu: OUTPOST_TEST_SEED=%llu replays "
			"it\n", s->seed, s->seed);
	for (i = 0; i < SIM_ND; i++)
		outpost_close(s->db[i]);
	t_standin_stop(&r.si);
	free(s);
}
