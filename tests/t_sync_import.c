/* t_sync_import.c - a bulk import's log entry expanded into per-node and
 * per-edge changes (src/api_sync_import.c): the same changes in one call
 * and in many small ones; byte for byte what a second store logs when it
 * writes the same nodes and edges one by one (the oracle); deleted nodes
 * and edges skipped, numbering kept; continuing from any sub. */
#include <stdlib.h>

#include "sync_import_fix.h"

/* Every change from sub `from` on, in calls of (rows, bytes), appended
 * to out; *skipped (may be NULL) counts the skipped subs. Each call is
 * checked against its limits. Returns the first failure's code. */
static int expand(outpost *db, const struct op_change *e, uint32_t from,
		  size_t rows, size_t bytes, struct ts_batch *out,
		  uint32_t *skipped, int *bad_call)
{
	struct op_import_part p;
	uint32_t sub = from;
	int rc, calls = 0, done;

	*bad_call = 0;
	do {
		size_t i, used = 0;

		rc = op_api_sync_import_part(db, e, sub, rows, bytes, &p);
		if (rc != OUTPOST_OK)
			return rc;
		for (i = 0; i < p.n; i++) {
			used += strlen(p.changes[i].values);
			ts_push(out, &p.changes[i]);
		}
		/* Within the limits; progress unless done. */
		if (p.n > rows || (bytes && p.n > 1 && used > bytes) ||
		    (!p.done && p.n == 0 && p.next == sub) || p.next < sub)
			*bad_call = 1;
		if (skipped)
			*skipped += p.skipped;
		sub = p.next;
		done = p.done;
		op_api_sync_import_part_free(&p);
	} while (!done && !*bad_call && ++calls < 1000);
	*bad_call |= !done; /* no end in sight */
	return rc;
}

/* One line per change: "sub table op row_id values"; an edge's row_id
 * only with edge_ids (the fixture's types are upper case, its labels
 * not). */
static char *lines(const struct ts_batch *b, int with_sub, int edge_ids)
{
	size_t i, n = 1;
	char *s, *at;

	for (i = 0; i < b->n; i++)
		n += 64 + strlen(b->c[i].table) + strlen(b->c[i].row_id) +
		     (b->c[i].values ? strlen(b->c[i].values) : 4);
	if (!(s = calloc(1, n)))
		return NULL;
	for (i = 0, at = s; i < b->n; i++) {
		const struct op_change *c = &b->c[i];
		int edge = c->table[0] >= 'A' && c->table[0] <= 'Z' &&
			   c->table[1] >= 'A' && c->table[1] <= 'Z';

		if (with_sub)
			at += snprintf(at, n - (size_t)(at - s), "%u ", c->sub);
		at += snprintf(at, n - (size_t)(at - s), "%s %c %s %s\n",
			       c->table, c->op,
			       edge && !edge_ids ? "(edge)" : c->row_id,
			       c->values ? c->values : "null");
	}
	return s;
}

#define CHECK_LINES(a, b, sub, ids)                                          \
	do {                                                                 \
		char *la_ = lines(a, sub, ids), *lb_ = lines(b, sub, ids);   \
		int same_ = la_ && lb_ && strcmp(la_, lb_) == 0;             \
		if (!same_)                                                  \
			t_fail(t, __FILE__, __LINE__, "%s != %s:\n%s\n---\n%s", \
			       #a, #b, la_ ? la_ : "", lb_ ? lb_ : "");      \
		free(la_);                                                   \
		free(lb_);                                                   \
		if (!same_)                                                  \
			return;                                              \
	} while (0)

/* The changes of full with sub >= from and not in drop[0..ndrop). */
static void tail(struct ts_batch *out, const struct ts_batch *full,
		 uint32_t from, const unsigned *drop, size_t ndrop)
{
	size_t i, k;

	for (i = 0; i < full->n; i++) {
		for (k = 0; k < ndrop && drop[k] != full->c[i].sub; k++)
			;
		if (full->c[i].sub >= from && k == ndrop)
			ts_push(out, &full->c[i]);
	}
}

void test_sync_import_chunks(struct t *t)
{
	static const size_t bytes[] = {0, 1, 60, 150, 400};
	outpost *db = si_store(t, "a");
	struct ts_batch e = {0}, full = {0};
	uint32_t skipped = 0;
	size_t i, rows, k;
	int bad = 0;

	CHECK(db);
	CHECK_OK(db, si_import(t, db));
	CHECK(si_entry(db, &e) == 0);
	CHECK_HAS(e.c[0].values, "{\"nodes\":10,\"edges\":12,\"new_nids\":[");
	CHECK_OK(db, expand(db, &e.c[0], 0, 1000, 0, &full, &skipped, &bad));
	CHECK(!bad);
	CHECK_EQ(full.n, NEMITTED);
	CHECK_EQ(skipped, NSUBS - NEMITTED);
	for (i = 0; i < full.n; i++) {
		CHECK_EQ(full.c[i].sub, si_emitted_subs[i]);
		CHECK_EQ(full.c[i].seq, e.c[0].seq);
		CHECK_EQ(full.c[i].hlc, e.c[0].hlc);
		CHECK(memcmp(full.c[i].site, e.c[0].site, 16) == 0);
		CHECK_EQ(full.c[i].op, 'I');
	}
	/* Nodes in nid (file) order, then edges in eid (file) order. */
	CHECK_STR(full.c[0].row_id, U("001"));
	CHECK_STR(full.c[5].table, "City");
	CHECK_STR(full.c[6].table, "Event");
	CHECK_STR(full.c[7].row_id, U("102"));
	CHECK_STR(full.c[8].table, "KNOWS");
	CHECK_STR(full.c[13].table, "NOTE"); /* to a local_only node */
	CHECK_STR(full.c[17].table, "IN_REGION");
	for (rows = 1; rows <= 7; rows++)
		for (k = 0; k < sizeof(bytes) / sizeof(bytes[0]); k++) {
			struct ts_batch part = {0};

			skipped = 0;
			CHECK_OK(db, expand(db, &e.c[0], 0, rows, bytes[k],
					    &part, &skipped, &bad));
			CHECK(!bad);
			CHECK_EQ(skipped + part.n, NSUBS);
			CHECK_LINES(&part, &full, 1, 1);
			ts_batch_free(&part);
		}
	ts_batch_free(&full);
	ts_batch_free(&e);
	outpost_close(db);
}

/* The oracle's writes: the import's nodes and edges one by one, as an
 * app writes them (the central_wins type's edge is not the device's). */
static int oracle_writes(outpost *db)
{
	static const char *const knows[][3] = {
		{U("001"), U("002"),
		 "{\"w\":0.1,\"since\":2019,\"tags\":[\"x\",\"y\"],"
		 "\"note\":\"hi, \\\"there\\\"\"}"},
		{U("002"), U("003"), NULL},
		{U("001"), U("002"), "{\"w\":1.5,\"note\":\"again\"}"},
		{U("003"), U("000"), "{\"since\":7}"},
		{U("005"), U("001"), "{\"w\":2}"}};
	static const char *const lives[][5] = {
		{"LIVES", U("001"), U("101"), "2020-01-01T00:00:00.000Z",
		 "2021-06-30T12:00:00.000Z"},
		{"LIVES", U("002"), U("102"), "2021-01-01T00:00:00Z", NULL},
		{"LIVES", U("004"), U("101"), NULL, NULL},
		{"IN_REGION", U("101"), U("301"), NULL, NULL},
		{"LIVES", U("005"), U("102"), NULL, NULL}};
	/* Reals bound as doubles, as the import binds them: a literal
	 * would go through SQLite's own text-to-double parser. */
	outpost_value r[4] = {{OUTPOST_REAL, 0, 2.5, NULL, 0},
			      {OUTPOST_REAL, 0, 0.1, NULL, 0},
			      {OUTPOST_REAL, 0, 1e300, NULL, 0},
			      {OUTPOST_REAL, 0, -0.125, NULL, 0}};
	outpost_edge ed = OUTPOST_EDGE_INIT;
	size_t i;
	int rc = outpost_sql(
		db, "INSERT INTO Person (id, name, age, score, ok, born, day, "
		    "tags, meta) VALUES ('" U("001") "', 'Ann', 42, ?1, 1, "
		    "'2024-05-06T07:08:09.010Z', '2024-01-02', '[\"a\",\"b "
		    "c\"]', '{\"k\":[1,2]}'), ('" U("002") "', 'Bob \"B\", jr', "
		    "-7, ?2, 0, NULL, NULL, '[\"solo\"]', NULL), ('" U("003")
		    "', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), ('"
		    U("004") "', 'Dee', 9223372036854775807, ?3, 1, NULL, "
		    "NULL, NULL, NULL), ('" U("005") "', 'Eve', 5, ?4, 0, "
		    "'2023-01-01T00:00:00.000Z', NULL, NULL, NULL);\n"
		    "INSERT INTO City VALUES ('" U("101") "', 'Paris');\n"
		    "INSERT INTO Event VALUES ('" U("201") "', 'launch');\n"
		    "INSERT INTO Scratch VALUES ('" U("401") "', 'tmp');\n"
		    "INSERT INTO City VALUES ('" U("102") "', 'Oslo');",
		r, 4, NULL, NULL);

	if (rc == OUTPOST_OK)
		rc = outpost_sql_central(db, "INSERT INTO Region VALUES ('"
					 U("301") "', 'North')", NULL, 0,
					 NULL, NULL);
	ed.type = "KNOWS";
	for (i = 0; rc == OUTPOST_OK && i < 6; i++) {
		ed.from = i < 5 ? knows[i][0] : U("001");
		ed.to = i < 5 ? knows[i][1] : U("401");
		ed.properties = i < 5 ? knows[i][2] : NULL;
		ed.type = i < 5 ? "KNOWS" : "NOTE";
		rc = outpost_graph_edge_add(db, &ed, NULL);
	}
	ed.properties = NULL;
	for (i = 0; rc == OUTPOST_OK && i < 5; i++) {
		ed.type = lives[i][0];
		ed.from = lives[i][1];
		ed.to = lives[i][2];
		ed.valid_from = lives[i][3];
		ed.valid_to = lives[i][4];
		rc = outpost_graph_edge_add(db, &ed, NULL);
	}
	return rc;
}

/* Entries of the types and labels a push sends, with values. */
static void pushable(struct ts_batch *out, const struct ts_batch *log)
{
	static const char *const names[] = {"Person",	 "City", "Event",
					    "KNOWS",	 "LIVES", "NOTE",
					    "IN_REGION", NULL};
	size_t i, k;

	for (i = 0; i < log->n; i++) {
		for (k = 0; names[k] && strcmp(names[k], log->c[i].table); k++)
			;
		if (names[k] && log->c[i].values)
			ts_push(out, &log->c[i]);
	}
}

static int note_edge(void *ctx, const outpost_edge_info *e)
{
	char *s = ctx;
	size_t n = strlen(s);

	snprintf(s + n, 8192 - n, "%s %s\n", e->uuid, e->type);
	return 0;
}

void test_sync_import_oracle(struct t *t)
{
	outpost *db = si_store(t, "imported"), *o = si_store(t, "oracle");
	struct ts_batch e = {0}, full = {0}, log = {0}, want = {0};
	char site[33], edges[8192] = "", line[128];
	long long mark = 0;
	size_t i;
	int bad = 0;

	CHECK(db && o);
	CHECK_OK(db, si_import(t, db));
	CHECK(si_entry(db, &e) == 0);
	CHECK_OK(db, expand(db, &e.c[0], 0, 5, 0, &full, NULL, &bad));
	CHECK(!bad);
	mark = ts_log_count(o);
	CHECK_OK(o, oracle_writes(o));
	ts_site(o, site);
	CHECK_OK(o, ts_collect(&log, o, mark, site, NULL));
	pushable(&want, &log);
	/* Same tables, ops, node ids and values, in the same order; edge
	 * uuids are the writer's own (v7) there and derived here. */
	CHECK_LINES(&full, &want, 0, 0);
	/* And the edges are the imported store's edges. */
	CHECK_OK(db, outpost_graph_edges_each(db, NULL, note_edge, edges));
	for (i = 0; i < full.n; i++)
		if (full.c[i].sub >= 10) {
			snprintf(line, sizeof(line), "%s %s\n", full.c[i].row_id,
				 full.c[i].table);
			CHECK_HAS(edges, line);
		}
	ts_batch_free(&e);
	ts_batch_free(&full);
	ts_batch_free(&log);
	ts_batch_free(&want);
	outpost_close(db);
	outpost_close(o);
}

/* want: full without the subs in gone[0..n), sub 0's values replaced. */
static void without(struct ts_batch *want, struct ts_batch *full,
		    const unsigned *gone, size_t n, const char *vals0)
{
	const char *keep = full->c[0].values;

	full->c[0].values = vals0; /* ts_push copies */
	tail(want, full, 0, gone, n);
	full->c[0].values = keep;
}

void test_sync_import_deleted(struct t *t)
{
	static const unsigned gone[] = {4, 15, 21, 19};
	outpost *db = si_store(t, "a");
	struct ts_batch e = {0}, full = {0}, now = {0}, want = {0};
	uint32_t skipped = 0;
	size_t i;
	int bad = 0;

	CHECK(db);
	CHECK_OK(db, si_import(t, db));
	CHECK(si_entry(db, &e) == 0);
	CHECK_OK(db, expand(db, &e.c[0], 0, 1000, 0, &full, NULL, &bad));
	/* Eve and her two edges go: the graph has not caught up with the
	 * delete yet, so her record and edges are still in LMDB and only
	 * her row is gone. An update shows in the values. */
	CHECK_OK(db, ts_sql(db, "DELETE FROM Person WHERE id = '" U("005")
			    "'; UPDATE Person SET name = 'Ann B' WHERE id = '"
			    U("001") "'"));
	CHECK_OK(db, expand(db, &e.c[0], 0, 3, 0, &now, &skipped, &bad));
	CHECK(!bad);
	CHECK_EQ(skipped, NSUBS - NEMITTED + 3);
	CHECK_HAS(now.c[0].values, "\"name\":\"Ann B\"");
	without(&want, &full, gone, 3, now.c[0].values);
	CHECK_LINES(&now, &want, 1, 1);
	/* An edge deleted through the API; the graph catches up first, so
	 * now Eve's record and edges are gone from LMDB too. */
	for (i = 0; i < full.n && full.c[i].sub != 19; i++)
		;
	CHECK(i < full.n);
	CHECK_OK(db, outpost_graph_edge_delete(db, full.c[i].row_id, 0));
	ts_batch_free(&now);
	ts_batch_free(&want);
	CHECK_OK(db, expand(db, &e.c[0], 0, 2, 100, &now, NULL, &bad));
	CHECK(!bad);
	without(&want, &full, gone, 4, now.c[0].values);
	CHECK_LINES(&now, &want, 1, 1);
	ts_batch_free(&e);
	ts_batch_free(&full);
	ts_batch_free(&now);
	ts_batch_free(&want);
	outpost_close(db);
}

void test_sync_import_tail(struct t *t)
{
	outpost *db = si_store(t, "a");
	struct ts_batch e = {0}, full = {0};
	uint32_t from;
	int bad = 0;

	CHECK(db);
	CHECK_OK(db, si_import(t, db));
	CHECK(si_entry(db, &e) == 0);
	CHECK_OK(db, expand(db, &e.c[0], 0, 1000, 0, &full, NULL, &bad));
	for (from = 0; from <= NSUBS + 1; from++) {
		struct ts_batch got = {0}, small = {0}, want = {0};

		tail(&want, &full, from, NULL, 0);
		CHECK_OK(db, expand(db, &e.c[0], from, 1000, 0, &got, NULL,
				    &bad));
		CHECK(!bad);
		CHECK_OK(db, expand(db, &e.c[0], from, 2, 80, &small, NULL,
				    &bad));
		CHECK(!bad);
		CHECK_LINES(&got, &want, 1, 1);
		CHECK_LINES(&small, &want, 1, 1);
		ts_batch_free(&got);
		ts_batch_free(&small);
		ts_batch_free(&want);
	}
	ts_batch_free(&e);
	ts_batch_free(&full);
	outpost_close(db);
}

/* An import run again over nodes and edges the store has: "nodes" and
 * "edges" count every row, the ranges only what it made, and only that
 * is expanded (the merged row's new values are in no change). */
void test_sync_import_reimport(struct t *t)
{
	outpost *db = si_store(t, "a");
	struct ts_batch e = {0}, got = {0};
	char n[512], r[512];
	const char *nf[1] = {n}, *rf[1] = {r};
	int bad = 0;

	CHECK(db);
	CHECK_OK(db, si_import(t, db));
	t_path(n, t, "again.csv");
	t_path(r, t, "again_rel.csv");
	CHECK(t_write(n, "uuid:ID,name,:LABEL\n" U("001") ",Ann Two,Person\n"
		      U("006") ",Fay,Person\n") == 0);
	CHECK(t_write(r, ":START_ID,:END_ID,:TYPE\n" U("002") "," U("003")
		      ",KNOWS\n" U("006") "," U("001") ",KNOWS\n") == 0);
	CHECK_OK(db, outpost_import(db, nf, 1, rf, 1, NULL));
	CHECK(si_entry(db, &e) == 0);
	CHECK_HAS(e.c[0].values, "{\"nodes\":2,\"edges\":2,");
	CHECK_OK(db, expand(db, &e.c[0], 0, 10, 0, &got, NULL, &bad));
	CHECK(!bad);
	CHECK_EQ(got.n, 2);
	CHECK_EQ(got.c[0].sub, 0);
	CHECK_STR(got.c[0].row_id, U("006"));
	CHECK_EQ(got.c[1].sub, 1);
	CHECK_STR(got.c[1].values, "{\"from\":\"" U("006") "\",\"to\":\""
		  U("001") "\"}");
	CHECK(!strstr(got.c[0].values, "Ann Two"));
	ts_batch_free(&e);
	ts_batch_free(&got);
	outpost_close(db);
}

void test_sync_import_errors(struct t *t)
{
	outpost *db = si_store(t, "a");
	struct ts_batch e = {0};
	struct op_import_part p;
	struct op_change c;
	char want[128];

	CHECK(db);
	CHECK_OK(db, si_import(t, db));
	CHECK(si_entry(db, &e) == 0);
	c = e.c[0];
	snprintf(want, sizeof(want), "import %s (seq %lld): ", c.row_id,
		 (long long)c.seq);
	CHECK_RC(op_api_sync_import_part(db, &c, 0, 0, 0, &p), OUTPOST_EMISUSE);
	CHECK_RC(op_api_sync_import_part(NULL, &c, 0, 1, 0, &p),
		 OUTPOST_EMISUSE);
	c.table = "Person";
	CHECK_RC(op_api_sync_import_part(db, &c, 0, 1, 0, &p), OUTPOST_EMISUSE);
	CHECK_HAS(outpost_errmsg(db), "is not a bulk import");
	c.table = "_outpost_import";
	/* Past the last sub: nothing, done. */
	CHECK_OK(db, op_api_sync_import_part(db, &c, NSUBS, 1, 0, &p));
	CHECK(p.n == 0 && p.done && p.next == NSUBS);
	op_api_sync_import_part_free(&p);
	c.values = "{\"nodes\":1}";
	CHECK_RC(op_api_sync_import_part(db, &c, 0, 1, 0, &p),
		 OUTPOST_ECORRUPT);
	CHECK_HAS(outpost_errmsg(db), want);
	CHECK_HAS(outpost_errmsg(db), "vals is not");
	c.values = "{\"new_nids\":[5,2],\"new_eids\":[0,0]}";
	CHECK_RC(op_api_sync_import_part(db, &c, 0, 1, 0, &p),
		 OUTPOST_ECORRUPT);
	c.values = "{\"new_nids\":[1,11],\"new_eids\":[0,4000]}";
	CHECK_RC(op_api_sync_import_part(db, &c, 0, 1, 0, &p),
		 OUTPOST_ECORRUPT);
	CHECK_HAS(outpost_errmsg(db), want);
	CHECK_HAS(outpost_errmsg(db), "past the graph store's counters");
	/* An entry newer than what the graph store has applied. */
	c.values = e.c[0].values;
	c.seq = e.c[0].seq + 1000;
	CHECK_RC(op_api_sync_import_part(db, &c, 0, 1, 0, &p),
		 OUTPOST_ECORRUPT);
	CHECK_HAS(outpost_errmsg(db), "does not hold this import");
	CHECK(p.n == 0 && !p.changes);
	ts_batch_free(&e);
	outpost_close(db);
}
