/* t_sync_graph.c - pulled changes and the graph: node rows become nodes,
 * relationship entries become edges, and edges merge by last-writer-wins
 * with tombstones (api_graph_lww.c), whatever the order they arrive in.
 * The LexiCraft schema with LearningPoint and RELATED_TO made lww, so
 * devices write them (ts_lexicraft_lww). */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sync_batch.h"

#define LP1 "0190a000-0000-7000-8000-0000000000b1"
#define LP2 "0190a000-0000-7000-8000-0000000000b2"

static outpost *store(struct t *t, const char *name)
{
	char path[512];

	t_path(path, t, "lexicraft-lww.json");
	if (access(path, F_OK) != 0 && ts_lexicraft_lww(t, path) != 0)
		return NULL;
	return ts_store(t, name, path);
}

static int points(outpost *db)
{
	return ts_sql(db, "INSERT INTO \"LearningPoint\"(id, learning_point_id, "
		      "word) VALUES ('" LP1 "', 'lp-1', 'apple'), ('" LP2 "', "
		      "'lp-2', 'apricot')");
}

static int add_edge(outpost *db, const char *props, char uuid[37])
{
	outpost_edge e = OUTPOST_EDGE_INIT;

	e.type = "RELATED_TO";
	e.from = LP1;
	e.to = LP2;
	e.properties = props;
	return outpost_graph_edge_add(db, &e, uuid);
}

static int set_props(outpost *db, const char *uuid, const char *props)
{
	outpost_edge e = OUTPOST_EDGE_INIT;

	e.properties = props;
	return outpost_graph_edge_update(db, uuid, &e);
}

/* How many RELATED_TO neighbours LP1 has. */
static long long related(outpost *db)
{
	outpost_traversal tr = OUTPOST_TRAVERSAL_INIT;
	const char *types[1] = {"RELATED_TO"};
	long long n = -1;

	tr.types = types;
	tr.ntypes = 1;
	if (outpost_graph_neighbours(db, &tr, LP1, NULL, NULL, &n) !=
	    OUTPOST_OK)
		return -1;
	return n;
}

static int edge_props(void *ctx, const outpost_edge_info *e)
{
	snprintf(ctx, T_TEXT_MAX, "%s", e->properties ? e->properties : "-");
	return 1;
}

static const char *props_of(outpost *db, char out[T_TEXT_MAX])
{
	snprintf(out, T_TEXT_MAX, "(no edge)");
	outpost_graph_edges_each(db, "RELATED_TO", edge_props, out);
	return out;
}

void test_sync_graph_nodes_and_edges(struct t *t)
{
	outpost *a = store(t, "a"), *b = store(t, "b");
	char uuid[37], *report = NULL;
	long long la = 0, n;
	struct ts_batch batch = {0};
	char sa[33];

	CHECK(a && b);
	ts_site(a, sa);
	CHECK_OK(a, points(a));
	CHECK_OK(a, add_edge(a, "{\"strength\": 0.5}", uuid));
	CHECK_OK(a, ts_collect(&batch, a, la, sa, &la));
	CHECK_OK(b, ts_apply(b, batch.c, batch.n, NULL, 0));
	CHECK_EQ(related(b), 1);
	CHECK_SAME(a, b);
	CHECK_OK(b, outpost_graph_verify(&report, b));
	/* Again: nothing changes, nothing is logged. */
	n = ts_log_count(b);
	CHECK_OK(b, ts_apply(b, batch.c, batch.n, NULL, 0));
	CHECK_EQ(ts_log_count(b), n);
	CHECK_SAME(a, b);
	/* A node row deleted takes its edges. */
	CHECK_OK(a, ts_sql(a, "DELETE FROM \"LearningPoint\" WHERE id = '" LP2
			   "'"));
	CHECK_OK(b, ts_ship(a, b, la, &la));
	CHECK_EQ(related(b), 0);
	CHECK_EQ(t_int(b, "SELECT count(*) FROM \"LearningPoint\""), 1);
	CHECK_OK(b, outpost_graph_verify(&report, b));
	CHECK_SAME(a, b);
	ts_batch_free(&batch);
	outpost_free(report);
	outpost_close(a);
	outpost_close(b);
}

void test_sync_graph_edge_lww(struct t *t)
{
	outpost *a = store(t, "a"), *b = store(t, "b"), *c = store(t, "c");
	struct ts_batch ba = {0}, bb = {0};
	char uuid[37], buf[T_TEXT_MAX], sa[33], sb[33], want[T_TEXT_MAX];
	long long la = 0, lb = 0, lc = 0;
	int a_wins;

	CHECK(a && b && c);
	ts_site(a, sa);
	ts_site(b, sb);
	CHECK_OK(a, points(a));
	CHECK_OK(a, add_edge(a, "{\"strength\": 0.5, \"note\": \"a\"}", uuid));
	CHECK_OK(b, ts_ship(a, b, la, &la));
	lc = 0;
	CHECK_OK(c, ts_ship(a, c, lc, &lc));
	/* Different properties: both kept. */
	CHECK_OK(a, set_props(a, uuid, "{\"strength\": 0.75}"));
	CHECK_OK(b, set_props(b, uuid, "{\"note\": \"b\"}"));
	CHECK_OK(b, ts_ship(a, b, la, &la));
	CHECK_OK(a, ts_ship(b, a, lb, &lb));
	CHECK_STR(props_of(a, buf), "{\"strength\":0.75,\"note\":\"b\"}");
	CHECK_SAME(a, b);
	/* One property: the later clock, on both sides. */
	CHECK_OK(a, set_props(a, uuid, "{\"strength\": 0.25}"));
	CHECK_OK(b, set_props(b, uuid, "{\"strength\": 0.875}"));
	CHECK_OK(a, ts_collect(&ba, a, la, sa, NULL));
	CHECK_OK(b, ts_collect(&bb, b, lb, sb, NULL));
	CHECK(ba.n == 1 && bb.n == 1);
	a_wins = ba.c[0].hlc != bb.c[0].hlc
			 ? ba.c[0].hlc > bb.c[0].hlc
			 : memcmp(ba.c[0].site, bb.c[0].site, 16) > 0;
	snprintf(want, sizeof(want), "{\"strength\":%s,\"note\":\"b\"}",
		 a_wins ? "0.25" : "0.875");
	CHECK_OK(b, ts_apply(b, ba.c, ba.n, NULL, 0));
	CHECK_OK(a, ts_apply(a, bb.c, bb.n, NULL, 0));
	CHECK_STR(props_of(a, buf), want);
	CHECK_SAME(a, b);
	/* c gets the later update first: the older one does not overwrite
	 * it. */
	CHECK_OK(c, ts_ship(b, c, 0, NULL));
	CHECK_OK(c, ts_apply(c, a_wins ? ba.c : bb.c, 1, NULL, 0));
	CHECK_OK(c, ts_apply(c, a_wins ? bb.c : ba.c, 1, NULL, 0));
	CHECK_OK(c, ts_ship(a, c, lc, &lc));
	CHECK_STR(props_of(c, buf), want);
	CHECK_SAME(a, c);
	ts_batch_free(&ba);
	ts_batch_free(&bb);
	outpost_close(a);
	outpost_close(b);
	outpost_close(c);
}

/* A delete leaves a tombstone: an insert older than it, arriving later,
 * does not bring the edge back; a newer one does, and then the old
 * delete, arriving again, changes nothing. */
void test_sync_graph_edge_tombstone(struct t *t)
{
	outpost *a = store(t, "a"), *b = store(t, "b"), *c = store(t, "c");
	struct ts_batch nodes = {0}, ins = {0}, del = {0};
	struct op_change again;
	char uuid[37], sa[33], buf[T_TEXT_MAX];
	long long la = 0;

	CHECK(a && b && c);
	ts_site(a, sa);
	CHECK_OK(a, points(a));
	CHECK_OK(a, ts_collect(&nodes, a, la, sa, &la));
	CHECK_OK(a, add_edge(a, "{\"strength\": 0.5}", uuid));
	CHECK_OK(a, ts_collect(&ins, a, la, sa, &la));
	CHECK_OK(a, outpost_graph_edge_delete(a, uuid, 0));
	CHECK_OK(a, ts_collect(&del, a, la, sa, &la));
	CHECK(ins.n == 1 && del.n == 1);
	/* b in order, c the delete first. */
	CHECK_OK(b, ts_apply(b, nodes.c, nodes.n, NULL, 0));
	CHECK_OK(b, ts_apply(b, ins.c, ins.n, NULL, 0));
	CHECK_EQ(related(b), 1);
	CHECK_OK(b, ts_apply(b, del.c, del.n, NULL, 0));
	CHECK_OK(c, ts_apply(c, nodes.c, nodes.n, NULL, 0));
	CHECK_OK(c, ts_apply(c, del.c, del.n, NULL, 0));
	CHECK_OK(c, ts_apply(c, ins.c, ins.n, NULL, 0));
	CHECK_EQ(related(b), 0);
	CHECK_EQ(related(c), 0);
	CHECK_SAME(a, b);
	CHECK_SAME(a, c);
	/* The same edge inserted again with a newer clock comes back; the
	 * old delete again, and the old insert, change nothing. */
	again = ins.c[0];
	again.hlc = del.c[0].hlc + 1;
	again.values = "{\"from\": \"" LP1 "\", \"to\": \"" LP2 "\", "
		       "\"props\": {\"note\": \"again\"}}";
	CHECK_OK(c, ts_apply(c, &again, 1, NULL, 0));
	CHECK_OK(c, ts_apply(c, del.c, del.n, NULL, 0));
	CHECK_OK(c, ts_apply(c, ins.c, ins.n, NULL, 0));
	CHECK_EQ(related(c), 1);
	CHECK_STR(props_of(c, buf), "{\"note\":\"again\"}");
	ts_batch_free(&nodes);
	ts_batch_free(&ins);
	ts_batch_free(&del);
	outpost_close(a);
	outpost_close(b);
	outpost_close(c);
}

void test_sync_graph_malformed_edges(struct t *t)
{
	static const struct {
		char op;
		const char *values, *why;
	} cases[] = {
		{'I', "{\"from\": \"x\", \"to\": \"" LP2 "\"}",
		 "\"from\": not a node uuid"},
		{'I', "{\"to\": \"" LP2 "\"}",
		 "an inserted edge needs \"from\" and \"to\""},
		{'U', "{\"to\": \"" LP2 "\"}",
		 "\"to\": an edge's ends do not change"},
		{'U', "{\"props\": {\"colour\": \"red\"}}",
		 "\"props\".\"colour\": RELATED_TO has no such property"},
		{'U', "{\"props\": {\"strength\": \"high\"}}",
		 "\"props\".\"strength\": not a real value"},
		{'U', "{\"props\": [1]}", "\"props\": not a JSON object"},
		{'U', "{\"valid_from\": \"2026-01-01T00:00:00Z\"}",
		 "\"valid_from\": RELATED_TO has no validity"},
		{'U', "{\"weight\": 1}", "\"weight\": not a field of an edge "
		 "(from, to, valid_from, valid_to, props)"},
	};
	outpost *a = store(t, "a");
	char site[33], want[1024];
	size_t i;

	CHECK(a);
	ts_site(a, site);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct op_change c = ts_change(5, 1, site, "RELATED_TO",
					       cases[i].op, LP1,
					       cases[i].values);

		CHECK_RC(ts_apply(a, &c, 1, NULL, 0), OUTPOST_EPROTO);
		snprintf(want, sizeof(want), "change 5 (RELATED_TO row " LP1
			 "): %s; nothing of the batch was applied",
			 cases[i].why);
		CHECK_STR(outpost_errmsg(a), want);
	}
	outpost_close(a);
}

/* Curriculum written centrally (site zeros) into central_wins tables and
 * types: applied like any change, nodes and edges included. */
void test_sync_graph_central_curriculum(struct t *t)
{
	static const char zeros[] = "00000000000000000000000000000000";
	outpost *b = ts_store(t, "b", "lexicraft.json");
	struct op_change c[3];
	const char *types[1] = {"PREREQUISITE_OF"};
	outpost_traversal tr = OUTPOST_TRAVERSAL_INIT;
	char *report = NULL;
	long long n = -1;

	CHECK(b);
	c[0] = ts_change(1, 10, zeros, "LearningPoint", 'I', LP1,
			 "{\"learning_point_id\": \"lp-1\", \"word\": \"apple\"}");
	c[1] = ts_change(2, 11, zeros, "LearningPoint", 'I', LP2,
			 "{\"learning_point_id\": \"lp-2\", \"word\": \"apt\"}");
	c[2] = ts_change(3, 12, zeros, "PREREQUISITE_OF", 'I',
			 "0190a000-0000-7000-8000-0000000000d1",
			 "{\"from\": \"" LP1 "\", \"to\": \"" LP2 "\"}");
	CHECK_OK(b, ts_apply(b, c, 3, "pg_pull", 3));
	tr.types = types;
	tr.ntypes = 1;
	CHECK_OK(b, outpost_graph_neighbours(b, &tr, LP1, NULL, NULL, &n));
	CHECK_EQ(n, 1);
	CHECK_OK(b, outpost_graph_verify(&report, b));
	/* Devices still may not write them. */
	CHECK_RC(ts_sql(b, "UPDATE \"LearningPoint\" SET word = 'x'"),
		 OUTPOST_EREFUSED);
	outpost_free(report);
	outpost_close(b);
}

/* The process ends between the SQLite commit and the graph's: the batch
 * is in, and the graph gets it from the log when the store opens. */
void test_sync_graph_crash_between_commits(struct t *t)
{
	outpost *a = store(t, "a"), *b = store(t, "b");
	struct ts_batch batch = {0};
	char uuid[37], sa[33], dir[512], *report = NULL;
	pid_t pid;
	int status = 0;

	CHECK(a && b);
	ts_site(a, sa);
	CHECK_OK(a, points(a));
	CHECK_OK(a, add_edge(a, "{\"strength\": 0.5}", uuid));
	CHECK_OK(a, ts_collect(&batch, a, 0, sa, NULL));
	outpost_close(b); /* the child opens its own: no handle crosses */
	t_path(dir, t, "b");
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		setenv("OUTPOST_FAULT", "pull_between_commits", 1);
		if (outpost_open(&b, dir, NULL) == OUTPOST_OK)
			ts_apply(b, batch.c, batch.n, "pg_pull", 7);
		_exit(0); /* not reached: the fault point ends it */
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 86);
	CHECK_OK(b, outpost_open(&b, dir, NULL));
	CHECK_EQ(t_int(b, "SELECT seq FROM _outpost_cursors WHERE consumer = "
		       "'pg_pull'"), 7);
	CHECK_EQ(related(b), 1);
	CHECK_OK(b, outpost_graph_verify(&report, b));
	CHECK_SAME(a, b);
	outpost_free(report);
	ts_batch_free(&batch);
	outpost_close(a);
	outpost_close(b);
}
