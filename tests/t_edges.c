/* t_edges.c - single graph writes through the change log: edges added,
 * updated and deleted with their log entries; node rows from SQL (and
 * from any SQLite client) reaching the graph; a node delete taking its
 * edges; acyclic types refusing the edge that closes a cycle, naming it;
 * as-of traversals; the two-engine commit repaired by replay after a
 * crash between the SQLite and the LMDB commit. */
#include <stdlib.h>

#include "check.h"

static const char edge_schema[] =
	"{\"schema\": \"edges\", \"version\": 1,\n"
	" \"nodes\": {\n"
	"  \"Concept\": {\"columns\": {\n"
	"   \"id\": {\"type\": \"uuid\", \"primary_key\": true},\n"
	"   \"name\": {\"type\": \"text\"}}},\n"
	"  \"Topic\": {\"columns\": {\n"
	"   \"id\": {\"type\": \"uuid\", \"primary_key\": true}},\n"
	"   \"sync\": {\"conflict\": \"central_wins\"}}},\n"
	" \"relationships\": {\n"
	"  \"REL\": {\"from\": \"Concept\", \"to\": \"Concept\",\n"
	"   \"properties\": {\"weight\": {\"type\": \"real\"},\n"
	"                  \"tags\": {\"type\": \"text[]\"},\n"
	"                  \"n\": {\"type\": \"integer\"}}},\n"
	"  \"PRE\": {\"from\": \"Concept\", \"to\": \"Concept\", "
	"\"acyclic\": true},\n"
	"  \"DURING\": {\"from\": \"Concept\", \"to\": \"Concept\", "
	"\"validity\": true},\n"
	"  \"SUB\": {\"from\": \"Topic\", \"to\": \"Topic\",\n"
	"   \"sync\": {\"conflict\": \"central_wins\"}}}}\n";

#define U(n) "00000000-0000-7000-8000-00000000000" #n

static outpost *edge_store(struct t *t)
{
	char dir[512], schema[512];
	outpost *db = NULL;

	t_path(dir, t, "store");
	t_path(schema, t, "edges.json");
	if (t_write(schema, edge_schema) != 0 ||
	    outpost_init(&db, dir, NULL) != OUTPOST_OK ||
	    outpost_schema_apply(db, schema) != OUTPOST_OK ||
	    outpost_sql(db, "INSERT INTO Concept(id, name) VALUES "
			"('" U(1) "', 'a'), ('" U(2) "', 'b'), "
			"('" U(3) "', 'c'), ('" U(4) "', 'd')",
			NULL, 0, NULL, NULL) != OUTPOST_OK) {
		fprintf(stderr, "setup: %s\n", outpost_errmsg(db));
		outpost_close(db);
		return NULL;
	}
	return db;
}

static int add(outpost *db, const char *type, const char *from,
	       const char *to, char uuid[37])
{
	outpost_edge e = OUTPOST_EDGE_INIT;

	e.type = type;
	e.from = from;
	e.to = to;
	return outpost_graph_edge_add(db, &e, uuid);
}

/* The nodes one hop away, as one sorted-by-visit string. */
struct hop {
	char s[1024];
};

static int on_node(void *ctx, const char *uuid, int depth)
{
	struct hop *h = ctx;
	size_t n = strlen(h->s);

	(void)depth;
	snprintf(h->s + n, sizeof(h->s) - n, "%s%c", uuid + 35, ' ');
	return 0;
}

static const char *hops(outpost *db, const char *type, const char *from,
			int dir, const char *as_of, struct hop *h)
{
	outpost_traversal tr = OUTPOST_TRAVERSAL_INIT;
	const char *types[1] = {type};

	h->s[0] = 0;
	tr.types = type ? types : NULL;
	tr.ntypes = type ? 1 : 0;
	tr.direction = dir;
	tr.max_depth = 0;
	tr.as_of = as_of;
	if (outpost_graph_neighbours(db, &tr, from, on_node, h, NULL) !=
	    OUTPOST_OK)
		snprintf(h->s, sizeof(h->s), "error: %s", outpost_errmsg(db));
	return h->s;
}

struct listed_edges {
	char s[2048];
	int n;
};

static int on_edge(void *ctx, const outpost_edge_info *e)
{
	struct listed_edges *l = ctx;
	size_t n = strlen(l->s);

	snprintf(l->s + n, sizeof(l->s) - n, "%s %s>%s %s|", e->type,
		 e->from + 35, e->to + 35,
		 e->properties ? e->properties : "-");
	l->n++;
	return 0;
}

void test_edges_add_traverse_and_log(struct t *t)
{
	outpost *db = edge_store(t);
	outpost_edge e = OUTPOST_EDGE_INIT;
	struct listed_edges l = {{0}, 0};
	struct hop h;
	char id[37], q[256], buf[T_TEXT_MAX];

	CHECK(db);
	e.type = "REL";
	e.from = U(1);
	e.to = U(2);
	e.properties = "{\"weight\": 0.5, \"tags\": [\"x\"]}";
	CHECK_OK(db, outpost_graph_edge_add(db, &e, id));
	CHECK_OK(db, add(db, "REL", U(2), U(3), NULL));
	CHECK_STR(hops(db, "REL", U(1), OUTPOST_OUT, NULL, &h), "2 3 ");
	CHECK_STR(hops(db, NULL, U(3), OUTPOST_IN, NULL, &h), "2 1 ");
	CHECK_OK(db, outpost_graph_edges_each(db, "REL", on_edge, &l));
	CHECK_EQ(l.n, 2);
	CHECK_STR(l.s, "REL 1>2 {\"weight\":0.5,\"tags\":[\"x\"]}|REL 2>3 -|");
	/* One log entry per edge, in the type's name, with its ends. */
	snprintf(q, sizeof(q), "SELECT op || ' ' || vals FROM "
		 "_outpost_changes WHERE row_id = '%s'", id);
	CHECK_STR(t_text(db, q, buf),
		  "I {\"from\":\"" U(1) "\",\"to\":\"" U(2) "\",\"props\":"
		  "{\"weight\":0.5,\"tags\":[\"x\"]}}");
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes WHERE "
			   "tbl = 'REL' AND site IS NULL"), 2);
	outpost_close(db);
}

void test_edges_update_and_delete(struct t *t)
{
	outpost *db = edge_store(t);
	outpost_edge e = OUTPOST_EDGE_INIT, u = OUTPOST_EDGE_INIT;
	struct listed_edges l = {{0}, 0};
	struct hop h;
	char id[37];

	CHECK(db);
	e.type = "REL";
	e.from = U(1);
	e.to = U(2);
	e.properties = "{\"weight\": 1, \"tags\": [\"x\"]}";
	CHECK_OK(db, outpost_graph_edge_add(db, &e, id));
	u.properties = "{\"weight\": 2.5, \"tags\": null}";
	CHECK_OK(db, outpost_graph_edge_update(db, id, &u));
	CHECK_OK(db, outpost_graph_edges_each(db, NULL, on_edge, &l));
	CHECK_STR(l.s, "REL 1>2 {\"weight\":2.5}|");
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes WHERE "
			   "tbl = 'REL' AND op = 'U'"), 1);
	u.properties = "{\"colour\": 1}";
	CHECK_RC(outpost_graph_edge_update(db, id, &u), OUTPOST_EMISUSE);
	CHECK_STR(outpost_errmsg(db), "edge property \"colour\": not a "
				      "property of the type in the schema");
	CHECK_OK(db, outpost_graph_edge_delete(db, id, 0));
	CHECK_STR(hops(db, "REL", U(1), OUTPOST_OUT, NULL, &h), "");
	CHECK_RC(outpost_graph_edge_delete(db, id, 0), OUTPOST_ENOTFOUND);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes WHERE "
			   "tbl = 'REL' AND op = 'D'"), 1);
	outpost_close(db);
}

void test_edges_node_delete_removes_edges(struct t *t)
{
	outpost *db = edge_store(t);
	struct listed_edges l = {{0}, 0};
	struct hop h;

	CHECK(db);
	CHECK_OK(db, add(db, "REL", U(1), U(2), NULL));
	CHECK_OK(db, add(db, "REL", U(2), U(3), NULL));
	CHECK_OK(db, add(db, "PRE", U(3), U(2), NULL));
	CHECK_OK(db, add(db, "REL", U(2), U(2), NULL)); /* a self-loop */
	CHECK_OK(db, outpost_sql(db, "DELETE FROM Concept WHERE id = '" U(2)
				 "'", NULL, 0, NULL, NULL));
	CHECK_STR(hops(db, NULL, U(1), OUTPOST_BOTH, NULL, &h), "");
	CHECK_STR(hops(db, NULL, U(3), OUTPOST_BOTH, NULL, &h), "");
	CHECK_STR(hops(db, NULL, U(2), OUTPOST_BOTH, NULL, &h),
		  "error: no node \"" U(2) "\" (name a node by its uuid or "
		  "its import id)");
	CHECK_OK(db, outpost_graph_edges_each(db, NULL, on_edge, &l));
	CHECK_EQ(l.n, 0);
	/* A node row inserted again is a node again, with no edges. */
	CHECK_OK(db, outpost_sql(db, "INSERT INTO Concept(id) VALUES ('" U(2)
				 "')", NULL, 0, NULL, NULL));
	CHECK_STR(hops(db, NULL, U(2), OUTPOST_BOTH, NULL, &h), "");
	CHECK_OK(db, add(db, "REL", U(2), U(1), NULL));
	CHECK_STR(hops(db, NULL, U(2), OUTPOST_BOTH, NULL, &h), "1 ");
	outpost_close(db);
}

void test_edges_acyclic_refusal_names_cycle(struct t *t)
{
	outpost *db = edge_store(t);
	long long before;
	struct hop h;

	CHECK(db);
	CHECK_OK(db, add(db, "PRE", U(1), U(2), NULL));
	CHECK_OK(db, add(db, "PRE", U(2), U(3), NULL));
	CHECK_OK(db, add(db, "REL", U(3), U(1), NULL)); /* another type */
	before = t_int(db, "SELECT count(*) FROM _outpost_changes");
	CHECK_RC(add(db, "PRE", U(3), U(1), NULL), OUTPOST_EREFUSED);
	CHECK_STR(outpost_errmsg(db),
		  "PRE is acyclic: this edge would close the cycle " U(3)
		  " -> " U(1) " -> " U(2) " -> " U(3));
	CHECK_RC(add(db, "PRE", U(4), U(4), NULL), OUTPOST_EREFUSED);
	CHECK_STR(outpost_errmsg(db), "PRE is acyclic: this edge would close "
				      "the cycle " U(4) " -> " U(4));
	/* Nothing of a refused edge is kept. */
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes"), before);
	CHECK_STR(hops(db, "PRE", U(3), OUTPOST_OUT, NULL, &h), "");
	/* A parallel edge, or one across, is no cycle. */
	CHECK_OK(db, add(db, "PRE", U(1), U(3), NULL));
	CHECK_OK(db, add(db, "PRE", U(1), U(2), NULL));
	outpost_close(db);
}

void test_edges_as_of_traversal(struct t *t)
{
	outpost *db = edge_store(t);
	outpost_edge e = OUTPOST_EDGE_INIT, u = OUTPOST_EDGE_INIT;
	struct hop h;
	char id[37];

	CHECK(db);
	e.type = "DURING";
	e.from = U(1);
	e.to = U(2);
	e.valid_from = "2026-01-01T00:00:00Z";
	e.valid_to = "2026-07-01";
	CHECK_OK(db, outpost_graph_edge_add(db, &e, id));
	e.to = U(3);
	e.valid_from = "2026-06-01T00:00:00.000Z";
	e.valid_to = NULL;
	CHECK_OK(db, outpost_graph_edge_add(db, &e, NULL));
	CHECK_OK(db, add(db, "REL", U(1), U(4), NULL)); /* no validity */
	CHECK_STR(hops(db, NULL, U(1), OUTPOST_OUT, NULL, &h), "2 3 4 ");
	CHECK_STR(hops(db, NULL, U(1), OUTPOST_OUT, "2025-12-31T23:59:59.999Z",
		       &h), "4 ");
	CHECK_STR(hops(db, NULL, U(1), OUTPOST_OUT, "2026-01-01T00:00:00Z",
		       &h), "2 4 ");
	CHECK_STR(hops(db, "DURING", U(1), OUTPOST_OUT, "2026-06-15T00:00:00Z",
		       &h), "2 3 ");
	/* valid_to is exclusive. */
	CHECK_STR(hops(db, "DURING", U(1), OUTPOST_OUT, "2026-07-01", &h),
		  "3 ");
	CHECK_STR(hops(db, "DURING", U(2), OUTPOST_IN, "2026-08-01", &h), "");
	/* Closing the range later changes what the past looks like. */
	u.valid_to = "2026-03-01T00:00:00Z";
	CHECK_OK(db, outpost_graph_edge_update(db, id, &u));
	CHECK_STR(hops(db, "DURING", U(1), OUTPOST_OUT, "2026-04-01", &h), "");
	CHECK_STR(hops(db, NULL, U(1), OUTPOST_OUT, "yesterday", &h),
		  "error: as of \"yesterday\": not a timestamp "
		  "(2026-01-31T12:00:00Z)");
	e.type = "REL";
	e.to = U(2);
	e.valid_from = "2026-01-01";
	CHECK_RC(outpost_graph_edge_add(db, &e, NULL), OUTPOST_EMISUSE);
	CHECK_STR(outpost_errmsg(db), "valid_from: type REL has no validity "
				      "(declare \"validity\": true in the "
				      "schema)");
	outpost_close(db);
}

void test_edges_refusals(struct t *t)
{
	outpost *db = edge_store(t);
	outpost_edge e = OUTPOST_EDGE_INIT;
	long long before;

	CHECK(db);
	before = t_int(db, "SELECT count(*) FROM _outpost_changes");
	CHECK_RC(add(db, "REL", U(1), "nope", NULL), OUTPOST_ENOTFOUND);
	CHECK_STR(outpost_errmsg(db), "no node \"nope\" (name a node by its "
				      "uuid or its import id)");
	CHECK_RC(add(db, "LIKES", U(1), U(2), NULL), OUTPOST_ENOTFOUND);
	CHECK_STR(outpost_errmsg(db), "unknown relationship type \"LIKES\" "
				      "(not in the schema)");
	e.type = "REL";
	e.from = U(1);
	e.to = U(2);
	e.properties = "{\"weight\": \"heavy\"}";
	CHECK_RC(outpost_graph_edge_add(db, &e, NULL), OUTPOST_EMISUSE);
	CHECK_STR(outpost_errmsg(db), "edge property \"weight\": wrong type "
				      "of value");
	e.properties = "[1]";
	CHECK_RC(outpost_graph_edge_add(db, &e, NULL), OUTPOST_EMISUSE);
	CHECK_STR(outpost_errmsg(db), "edge properties: not a JSON object");
	e.properties = NULL;
	e.valid_from = "2026-01-01";
	e.type = "DURING";
	e.valid_to = "2026-02-30";
	CHECK_RC(outpost_graph_edge_add(db, &e, NULL), OUTPOST_EMISUSE);
	CHECK_STR(outpost_errmsg(db), "valid_to: \"2026-02-30\" is not a "
				      "timestamp (2026-01-31T12:00:00Z)");
	/* Ends of the wrong label: Topic rows are no Concepts. */
	CHECK_OK(db, outpost_sql_central(db, "INSERT INTO Topic(id) VALUES "
					 "('" U(9) "'), ('" U(8) "')",
					 NULL, 0, NULL, NULL));
	before++; /* the graph's entries of the central rows: 2, not pushed */
	before++;
	CHECK_RC(add(db, "REL", U(1), U(9), NULL), OUTPOST_EREFUSED);
	CHECK_STR(outpost_errmsg(db), "node \"" U(9) "\" is not a Concept "
				      "node, as the relationship type "
				      "requires");
	CHECK_RC(add(db, "SUB", U(9), U(8), NULL), OUTPOST_EREFUSED);
	CHECK_STR(outpost_errmsg(db), "SUB is central_wins: local "
				      "writes refused (change it centrally, "
				      "then sync)");
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes"), before);
	e = (outpost_edge)OUTPOST_EDGE_INIT;
	e.type = "SUB";
	e.from = U(9);
	e.to = U(8);
	e.central = 1;
	CHECK_OK(db, outpost_graph_edge_add(db, &e, NULL));
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes WHERE "
			   "tbl = 'SUB' AND site = zeroblob(16)"), 1);
	outpost_close(db);
}

/* A crash after the SQLite commit and before LMDB's: the graph is put
 * back as it was before the write (a copy of its file), and opening the
 * store replays the logged edge. */
void test_edges_replay_after_crash_between_commits(struct t *t)
{
	outpost *db = edge_store(t);
	struct listed_edges l = {{0}, 0};
	struct hop h;
	char *out = NULL;

	CHECK(db);
	CHECK_OK(db, add(db, "REL", U(1), U(2), NULL));
	outpost_close(db);
	CHECK_EQ(t_sh(&out, "cp '%s/store/graph/data.mdb' '%s/before.mdb'",
		      t->dir, t->dir), 0);
	free(out);
	db = NULL;
	{
		char dir[512];

		t_path(dir, t, "store");
		CHECK_OK(db, outpost_open(&db, dir, NULL));
	}
	CHECK_OK(db, add(db, "REL", U(2), U(3), NULL));
	CHECK_OK(db, outpost_sql(db, "DELETE FROM Concept WHERE id = '" U(4)
				 "'", NULL, 0, NULL, NULL));
	outpost_close(db);
	CHECK_EQ(t_sh(&out, "cp '%s/before.mdb' '%s/store/graph/data.mdb'",
		      t->dir, t->dir), 0);
	free(out);
	/* A node row from another SQLite client, too. */
	CHECK_EQ(t_sh(&out, "sqlite3 '%s/store/store.db' \"INSERT INTO "
		      "Concept(id) VALUES ('" U(5) "')\"", t->dir), 0);
	free(out);
	db = NULL;
	{
		char dir[512];

		t_path(dir, t, "store");
		CHECK_OK(db, outpost_open(&db, dir, NULL));
	}
	CHECK_STR(hops(db, "REL", U(1), OUTPOST_OUT, NULL, &h), "2 3 ");
	CHECK_STR(hops(db, NULL, U(5), OUTPOST_BOTH, NULL, &h), "");
	CHECK_STR(hops(db, NULL, U(4), OUTPOST_BOTH, NULL, &h),
		  "error: no node \"" U(4) "\" (name a node by its uuid or "
		  "its import id)");
	CHECK_OK(db, outpost_graph_edges_each(db, NULL, on_edge, &l));
	CHECK_EQ(l.n, 2);
	outpost_close(db);
}

/* Entries of plain tables before and among the graph's: the applier
 * passes over them (a regression: it once stopped at the first). */
void test_edges_applier_skips_plain_tables(struct t *t)
{
	outpost *db = t_store(t, "lexicraft.json");
	char uuid[T_TEXT_MAX];
	struct hop h;

	CHECK(db);
	CHECK_OK(db, outpost_sql(db, "INSERT INTO users(email, password_hash) "
				 "VALUES ('a@b.c', outpost_password('x')); "
				 "DELETE FROM users", NULL, 0, NULL, NULL));
	CHECK_OK(db, outpost_sql_central(db, "INSERT INTO LearningPoint("
					 "learning_point_id, word) VALUES "
					 "('lp1', 'apt'), ('lp2', 'able')",
					 NULL, 0, NULL, NULL));
	t_text(db, "SELECT id FROM LearningPoint WHERE word = 'apt'", uuid);
	CHECK_STR(hops(db, NULL, uuid, OUTPOST_BOTH, NULL, &h), "");
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_changes"), 4);
	outpost_close(db);
}

/* Edge properties keep their numbers exactly, in the store and in the log
 * (cJSON's printer kept 15 digits: 2^53 - 1 became 9.00719925474099e+15
 * and 0.1 + 0.2 became 0.3); an integer property past 2^53, which its
 * JSON number cannot carry exactly, is refused. */
void test_edges_numbers_exact(struct t *t)
{
	outpost *db = edge_store(t);
	outpost_edge e = OUTPOST_EDGE_INIT, u = OUTPOST_EDGE_INIT;
	struct listed_edges l = {{0}, 0};
	char id[37], buf[T_TEXT_MAX];

	CHECK(db);
	e.type = "REL";
	e.from = U(1);
	e.to = U(2);
	e.properties = "{\"weight\": 0.30000000000000004, \"n\": "
		       "9007199254740991}";
	CHECK_OK(db, outpost_graph_edge_add(db, &e, id));
	u.properties = "{\"n\": -9007199254740991, \"weight\": 1e-300}";
	CHECK_OK(db, outpost_graph_edge_update(db, id, &u));
	CHECK_OK(db, outpost_graph_edges_each(db, NULL, on_edge, &l));
	CHECK_STR(l.s, "REL 1>2 {\"weight\":1e-300,"
		       "\"n\":-9007199254740991}|");
	CHECK_STR(t_text(db, "SELECT group_concat(json_extract(vals, "
			     "'$.props'), ' ') FROM (SELECT vals FROM "
			     "_outpost_changes WHERE tbl = 'REL' ORDER BY seq)",
			     buf),
		  "{\"weight\":0.30000000000000004,\"n\":9007199254740991} "
		  "{\"n\":-9007199254740991,\"weight\":1e-300}");
	u.properties = "{\"n\": 9007199254740993}";
	CHECK_RC(outpost_graph_edge_update(db, id, &u), OUTPOST_EMISUSE);
	CHECK_STR(outpost_errmsg(db), "edge property \"n\": an integer "
				      "beyond 2^53 - 1 (9007199254740991) is "
				      "not exact in JSON");
	u.properties = "{\"n\": 9223372036854775808}";
	CHECK_RC(outpost_graph_edge_update(db, id, &u), OUTPOST_EMISUSE);
	u.properties = "{\"n\": -9007199254740992}";
	CHECK_RC(outpost_graph_edge_update(db, id, &u), OUTPOST_EMISUSE);
	u.properties = "{\"n\": 1e300}";
	CHECK_RC(outpost_graph_edge_update(db, id, &u), OUTPOST_EMISUSE);
	outpost_close(db);
}
