/* t_neo4j_sink.c - the Neo4j sink (sync/neo4j_sink.c) end to end, each
 * scenario on the run's real Neo4j 3.1.1 (transactional endpoint) and
 * through the Query API v2 stand-in in front of it: push, re-push, stale
 * changes, deletes and tombstones, relationships, adaptive request size,
 * drift, and the Cypher linter over every statement the sink can send. */
#include <stdlib.h>

#include "neo4j_sink_fix.h"
#include "neo4j_sink_int.h"

#define H0 117658152449081344ull /* a clock of 2026, above 2^53 */

/* Values of the first Word */
#define W1 "{\"word\": \"cat\", \"rank\": \"9007199254740993\", \"score\": " \
	   "\"1.5\", \"ok\": \"1\", \"tags\": \"[\\\"a\\\",\\\"b\\\"]\", "    \
	   "\"extra\": \"{\\\"k\\\":1}\", \"pw\": \"$argon2id$v=19$x\"}"

/* The first changes: a topic, two words, two relationships, and a row
 * of a local_only label (never written). */
static size_t first(struct op_change *c)
{
	t_n4_change(&c[0], 1, "Topic", 'I', "t1", H0 + 1,
		    "{\"name\": \"animals\"}");
	t_n4_change(&c[1], 2, "Word", 'I', "w1", H0 + 2, W1);
	t_n4_change(&c[2], 3, "Word", 'I', "w2", H0 + 3,
		    "{\"word\": \"dog\", \"rank\": \"2\", \"score\": null, "
		    "\"ok\": \"0\", \"tags\": null, \"extra\": null}");
	t_n4_change(&c[3], 4, "ABOUT", 'I', "e1", H0 + 4,
		    "{\"from\": \"w1\", \"to\": \"t1\", \"props\": "
		    "{\"weight\": 0.5, \"note\": \"n\"}}");
	t_n4_change(&c[4], 5, "NEXT", 'I', "e2", H0 + 5,
		    "{\"from\": \"w1\", \"to\": \"w2\", \"valid_from\": "
		    "\"2026-01-01T00:00:00.000Z\"}");
	t_n4_change(&c[5], 6, "Secret", 'I', "s1", H0 + 6,
		    "{\"name\": \"x\"}");
	return 6;
}

#define ROW(t, stmt, want)                                                   \
	do {                                                                 \
		char *r_ = t_n4_row(t, stmt);                                \
		CHECK(r_ != NULL);                                           \
		if (strcmp(r_, want) != 0) {                                 \
			t_fail(t, __FILE__, __LINE__, "%s:\n    got  %s\n"   \
			       "    want %s", stmt, r_, want);               \
			free(r_);                                            \
			return;                                              \
		}                                                            \
		free(r_);                                                    \
	} while (0)

static void push(struct t *t, struct t_standin *s)
{
	struct op_change c[6];
	struct op_sink_hello h;
	struct op_sink *k = t_n4_open(t, s, 0);
	char *body = NULL, *report = NULL;
	uint8_t site[16] = {0};

	CHECK(k != NULL);
	CHECK_RC(k->ops->hello(k, site, &h), OUTPOST_OK);
	CHECK_STR(h.schema_name, "mirror");
	CHECK_EQ(h.schema_version, 1);
	CHECK_EQ(t_n4_push(t, k, c, first(c)), 0);
	ROW(t, "MATCH (n:Word {uuid: 'w1'}) RETURN n.word, toString(n.rank), "
	    "n.score, n.ok, n.tags, n.extra, n.pw, n.id",
	    "[\"cat\",\"9007199254740993\",1.5,true,[\"a\",\"b\"],"
	    "\"{\\\"k\\\":1}\",null,null]");
	/* the exact integer, not its double */
	CHECK_EQ(t_neo4j_cypher(t, &body, "MATCH (n:Word {uuid: 'w1'}) "
				"RETURN n.rank", NULL), 0);
	CHECK_HAS(body, "[9007199254740993]");
	free(body);
	ROW(t, "MATCH (n:Word {uuid: 'w1'}) RETURN n._outpost_clk",
	    "[\"00117658152449081346abababababababababababababababab\"]");
	ROW(t, "MATCH (n:Word {uuid: 'w2'}) RETURN n.word, n.rank, n.ok, "
	    "n.score", "[\"dog\",2,false,null]");
	ROW(t, "MATCH (:Word {uuid: 'w1'})-[e:ABOUT]->(:Topic {uuid: 't1'}) "
	    "RETURN e.uuid, e.weight, e.note", "[\"e1\",0.5,\"n\"]");
	ROW(t, "MATCH (:Word {uuid: 'w1'})-[e:NEXT]->(:Word {uuid: 'w2'}) "
	    "RETURN e.valid_from, e.valid_to",
	    "[\"2026-01-01T00:00:00.000Z\",null]");
	CHECK_EQ(t_neo4j_int(t, "MATCH (n:Secret) RETURN count(n)"), 0);
	ROW(t, "MATCH (m:_outpost_meta) RETURN m.key, m.name, m.version",
	    "[\"schema\",\"mirror\",1]");
	/* the constraints are there, and asking again changes nothing */
	CHECK_RC(op_neo4j_sink_check(k, &report), OUTPOST_OK);
	CHECK_STR(report, "");
	op_free(report);
	CHECK_RC(k->ops->hello(k, site, &h), OUTPOST_OK);
	k->ops->close(k);
}

void test_neo4j_sink_push(struct t *t)
{
	push(t, NULL);
}

void test_neo4j_sink_push_v2(struct t *t)
{
	struct t_standin s;

	CHECK_EQ(t_standin_start(t, &s, NULL), 0);
	push(t, &s);
	t_standin_stop(&s);
}

/* The same changes again, and stale ones: nothing changes. */
static void repush(struct t *t, struct t_standin *s)
{
	struct op_change c[6], d[5];
	struct op_sink *k = t_n4_open(t, s, 0);
	char *before, *after;
	size_t n;

	CHECK(k != NULL);
	n = first(c);
	CHECK_EQ(t_n4_push(t, k, c, n), 0);
	before = t_n4_dump(t);
	CHECK(before != NULL);
	CHECK_EQ(t_n4_push(t, k, c, n), 0);
	/* older than the insert: an update, an insert, a relationship's */
	t_n4_change(&d[0], 7, "Word", 'U', "w1", H0 + 1,
		    "{\"word\": \"old\"}");
	t_n4_change(&d[1], 8, "Word", 'I', "w2", H0 + 2,
		    "{\"word\": \"older\", \"rank\": \"1\"}");
	t_n4_change(&d[2], 9, "ABOUT", 'U', "e1", H0 + 3,
		    "{\"props\": {\"note\": \"old\"}}");
	t_n4_change(&d[3], 10, "Topic", 'D', "t1", H0, NULL);
	t_n4_change(&d[4], 11, "NEXT", 'D', "e2", H0 + 4, NULL);
	CHECK_EQ(t_n4_push(t, k, d, 5), 0);
	after = t_n4_dump(t);
	CHECK_STR(after, before);
	CHECK_EQ(t_neo4j_int(t, "MATCH (n:_outpost_tomb) RETURN count(n)"),
		 0);
	free(before);
	free(after);
	k->ops->close(k);
}

void test_neo4j_sink_repush(struct t *t)
{
	repush(t, NULL);
}

void test_neo4j_sink_repush_v2(struct t *t)
{
	struct t_standin s;

	CHECK_EQ(t_standin_start(t, &s, NULL), 0);
	repush(t, &s);
	t_standin_stop(&s);
}

/* Per property: each keeps the newest value it was given. */
static void lww(struct t *t, struct t_standin *s)
{
	struct op_change c[6], d[4];
	struct op_sink *k = t_n4_open(t, s, 0);

	CHECK(k != NULL);
	CHECK_EQ(t_n4_push(t, k, c, first(c)), 0);
	t_n4_change(&d[0], 7, "Word", 'U', "w1", H0 + 10,
		    "{\"rank\": \"5\"}");
	/* newer than the row, older than rank's own clock */
	t_n4_change(&d[1], 8, "Word", 'U', "w1", H0 + 8,
		    "{\"rank\": \"4\", \"score\": \"2.5\"}");
	t_n4_change(&d[2], 9, "ABOUT", 'U', "e1", H0 + 12,
		    "{\"props\": {\"weight\": 0.75}}");
	t_n4_change(&d[3], 10, "ABOUT", 'U', "e1", H0 + 11,
		    "{\"props\": {\"weight\": 0.1, \"note\": null}}");
	CHECK_EQ(t_n4_push(t, k, d, 4), 0);
	ROW(t, "MATCH (n:Word {uuid: 'w1'}) RETURN n.word, n.rank, n.score",
	    "[\"cat\",5,2.5]");
	ROW(t, "MATCH ()-[e:ABOUT]->() RETURN e.weight, e.note",
	    "[0.75,null]");
	k->ops->close(k);
}

void test_neo4j_sink_lww(struct t *t)
{
	lww(t, NULL);
}

void test_neo4j_sink_lww_v2(struct t *t)
{
	struct t_standin s;

	CHECK_EQ(t_standin_start(t, &s, NULL), 0);
	lww(t, &s);
	t_standin_stop(&s);
}

/* A delete leaves a tombstone: older inserts and updates do not bring
 * the node back, a newer insert does. */
static void tombstones(struct t *t, struct t_standin *s)
{
	struct op_change c[6], d[6];
	struct op_sink *k = t_n4_open(t, s, 0);

	CHECK(k != NULL);
	CHECK_EQ(t_n4_push(t, k, c, first(c)), 0);
	t_n4_change(&d[0], 7, "Word", 'D', "w2", H0 + 20, NULL);
	t_n4_change(&d[1], 8, "Word", 'I', "w2", H0 + 15,
		    "{\"word\": \"stale\"}");
	t_n4_change(&d[2], 9, "Word", 'U', "w2", H0 + 30,
		    "{\"word\": \"late\"}");
	CHECK_EQ(t_n4_push(t, k, d, 3), 0);
	CHECK_EQ(t_neo4j_int(t, "MATCH (n:Word {uuid: 'w2'}) RETURN "
			     "count(n)"), 0);
	/* its relationship went with it */
	CHECK_EQ(t_neo4j_int(t, "MATCH ()-[e:NEXT]->() RETURN count(e)"), 0);
	ROW(t, "MATCH (n:_outpost_tomb {uuid: 'w2'}) RETURN n.clk, n.label",
	    "[\"00117658152449081364abababababababababababababababab\","
	    "\"Word\"]");
	/* a newer insert brings it back, and the tombstone goes; within one
	 * request, a delete after an insert of the same node still wins,
	 * and the freed unique word can be taken */
	t_n4_change(&d[0], 10, "Word", 'I', "w2", H0 + 40,
		    "{\"word\": \"dog\", \"rank\": \"3\"}");
	t_n4_change(&d[1], 11, "Word", 'D', "w1", H0 + 50, NULL);
	t_n4_change(&d[2], 12, "Word", 'I', "w3", H0 + 51,
		    "{\"word\": \"cat\"}");
	t_n4_change(&d[3], 13, "Word", 'I', "w1", H0 + 45, W1);
	t_n4_change(&d[4], 14, "ABOUT", 'I', "e1", H0 + 4,
		    "{\"from\": \"w1\", \"to\": \"t1\"}");
	t_n4_change(&d[5], 15, "Topic", 'U', "t1", H0 + 52,
		    "{\"name\": \"pets\"}");
	CHECK_EQ(t_n4_push(t, k, d, 6), 0);
	ROW(t, "MATCH (n:Word) WITH n ORDER BY n.uuid RETURN collect(n.uuid + ':' + n.word)",
	    "[[\"w2:dog\",\"w3:cat\"]]");
	ROW(t, "MATCH (n:_outpost_tomb) RETURN collect(n.uuid)", "[[\"w1\"]]");
	CHECK_EQ(t_neo4j_int(t, "MATCH ()-[e]->() RETURN count(e)"), 0);
	ROW(t, "MATCH (n:Topic) RETURN n.name", "[\"pets\"]");
	k->ops->close(k);
}

void test_neo4j_sink_tombstones(struct t *t)
{
	tombstones(t, NULL);
}

void test_neo4j_sink_tombstones_v2(struct t *t)
{
	struct t_standin s;

	CHECK_EQ(t_standin_start(t, &s, NULL), 0);
	tombstones(t, &s);
	t_standin_stop(&s);
}

/* Relationships: update, delete with a tombstone, a stale insert. */
static void relationships(struct t *t, struct t_standin *s)
{
	struct op_change c[6], d[4];
	struct op_sink *k = t_n4_open(t, s, 0);

	CHECK(k != NULL);
	CHECK_EQ(t_n4_push(t, k, c, first(c)), 0);
	t_n4_change(&d[0], 7, "NEXT", 'U', "e2", H0 + 60,
		    "{\"valid_to\": \"2027-01-01T00:00:00.000Z\"}");
	t_n4_change(&d[1], 8, "ABOUT", 'D', "e1", H0 + 70, NULL);
	t_n4_change(&d[2], 9, "ABOUT", 'I', "e1", H0 + 65,
		    "{\"from\": \"w1\", \"to\": \"t1\"}");
	t_n4_change(&d[3], 10, "ABOUT", 'I', "e3", H0 + 66,
		    "{\"from\": \"w2\", \"to\": \"t1\", \"props\": "
		    "{\"weight\": 2}}");
	CHECK_EQ(t_n4_push(t, k, d, 4), 0);
	ROW(t, "MATCH ()-[e:NEXT]->() RETURN e.valid_from, e.valid_to",
	    "[\"2026-01-01T00:00:00.000Z\",\"2027-01-01T00:00:00.000Z\"]");
	ROW(t, "MATCH ()-[e:ABOUT]->() RETURN collect(e.uuid)",
	    "[[\"e3\"]]");
	ROW(t, "MATCH (n:_outpost_tomb) RETURN collect(n.uuid + ':' + n.type)",
	    "[[\"e1:ABOUT\"]]");
	/* a newer insert brings it back */
	t_n4_change(&d[0], 11, "ABOUT", 'I', "e1", H0 + 80,
		    "{\"from\": \"w1\", \"to\": \"t1\"}");
	CHECK_EQ(t_n4_push(t, k, d, 1), 0);
	CHECK_EQ(t_neo4j_int(t, "MATCH ()-[e:ABOUT]->() RETURN count(e)"), 2);
	CHECK_EQ(t_neo4j_int(t, "MATCH (n:_outpost_tomb) RETURN count(n)"),
		 0);
	k->ops->close(k);
}

void test_neo4j_sink_relationships(struct t *t)
{
	relationships(t, NULL);
}

void test_neo4j_sink_relationships_v2(struct t *t)
{
	struct t_standin s;

	CHECK_EQ(t_standin_start(t, &s, NULL), 0);
	relationships(t, &s);
	t_standin_stop(&s);
}

/* Too big: the request is cut in half and sent again, then grows. */
void test_neo4j_sink_halving(struct t *t)
{
	struct t_standin s;
	struct op_change c[16];
	struct op_neo4j_sink_stats st;
	struct op_sink *k;
	char ids[16][8];
	size_t i;

	/* Neo4j 5's answer when a transaction passes its memory limit */
	CHECK_EQ(t_standin_start(t, &s, "{\"rules\": [{\"fault\": \"status\", "
				 "\"status\": 400, \"count\": 2, \"match\": "
				 "\"UNWIND\", \"code\": \"Neo.TransientError."
				 "General.MemoryPoolOutOfMemoryError\"}]}"), 0);
	k = t_n4_open(t, &s, 8);
	CHECK(k != NULL);
	for (i = 0; i < 16; i++) {
		snprintf(ids[i], sizeof(ids[i]), "t%zu", i);
		t_n4_change(&c[i], (int64_t)i + 1, "Topic", 'I', ids[i],
			    H0 + i, "{\"name\": \"x\"}");
	}
	CHECK_EQ(t_n4_push(t, k, c, 16), 0);
	op_neo4j_sink_stats_get(k, &st);
	CHECK_EQ(st.halvings, 2);
	CHECK_EQ(st.rows_now, 3); /* 2, and after four good ones 3 */
	CHECK_EQ(t_neo4j_int(t, "MATCH (n:Topic) RETURN count(n)"), 16);
	/* too big even alone: refused, nothing acknowledged */
	CHECK_EQ(t_standin_faults(&s, "{\"rules\": [{\"fault\": \"status\", "
				  "\"status\": 503, \"count\": 100, \"code\": "
				  "\"Neo.TransientError.General."
				  "MemoryPoolOutOfMemoryError\"}]}"), 0);
	{
		int64_t acked = -1;

		CHECK_RC(k->ops->push(k, c, 4, &acked), OUTPOST_EREFUSED);
		CHECK_EQ(acked, -1);
		CHECK_HAS(k->errmsg, "push: neo4j: ");
		CHECK_HAS(k->errmsg, "MemoryPoolOutOfMemoryError");
		CHECK_EQ(k->transient, 0);
	}
	k->ops->close(k);
	t_standin_stop(&s);
}

/* A transient failure says so; a refused statement does not. */
void test_neo4j_sink_failures(struct t *t)
{
	struct t_standin s;
	struct op_change c[6];
	struct op_sink *k;
	int64_t acked = -1;

	CHECK_EQ(t_standin_start(t, &s, NULL), 0);
	k = t_n4_open(t, &s, 0);
	CHECK(k != NULL);
	CHECK_EQ(t_standin_faults(&s, "{\"rules\": [{\"fault\": \"status\", "
				  "\"status\": 503, \"count\": 100, \"code\": "
				  "\"Neo.TransientError.General."
				  "DatabaseUnavailable\"}]}"), 0);
	CHECK(k->ops->push(k, c, first(c), &acked) != OUTPOST_OK);
	CHECK_EQ(k->transient, 1);
	CHECK_EQ(acked, -1);
	CHECK_EQ(t_standin_faults(&s, "{\"rules\": [{\"fault\": \"status\", "
				  "\"status\": 400, \"match\": \"UNWIND\", "
				  "\"code\": \"Neo.ClientError.Statement."
				  "SyntaxError\"}]}"), 0);
	CHECK(k->ops->push(k, c, first(c), &acked) != OUTPOST_OK);
	CHECK_EQ(k->transient, 0);
	CHECK_HAS(k->errmsg, "SyntaxError");
	k->ops->close(k);
	t_standin_stop(&s);
}

/* Every statement the sink can send, for this schema and LexiCraft, as
 * Cypher 5 (and the 3.x forms ran on 3.1 in the tests above). */
void test_neo4j_sink_lint(struct t *t)
{
	static const char *const files[] = {NULL, "lexicraft.json",
					    "twodotsoneline.json"};
	size_t f;

	for (f = 0; f < 3; f++) {
		struct op_schema *s = NULL;
		struct op_err err;
		char path[512], **v = NULL;
		size_t n = 0;
		int rc;

		if (files[f]) {
			t_schema(path, files[f]);
			rc = op_schema_load(&s, path, &err);
		} else
			rc = op_schema_parse(&s, "mirror", t_n4_schema,
					     strlen(t_n4_schema), &err);
		CHECK_RC(rc, OUTPOST_OK);
		CHECK_RC(op_neo4j_cypher_all(&v, &n, s, 5, 26), OUTPOST_OK);
		CHECK(n > 10);
		rc = t_cypher_lint(t, (const char *const *)v, n);
		op_neo4j_cypher_all_free(v, n);
		op_schema_free(s);
		CHECK_EQ(rc, 0);
	}
}

/* Names that would not be safe in Cypher never reach it. */
void test_neo4j_sink_names(struct t *t)
{
	char why[256];

	CHECK_EQ(op_neo4j_name_check(why, sizeof(why), "Word_2", "label"), 0);
	CHECK_EQ(op_neo4j_name_check(why, sizeof(why), "a`b", "label"), -1);
	CHECK_HAS(why, "only letters");
	CHECK_EQ(op_neo4j_name_check(why, sizeof(why), "a b", "type"), -1);
	CHECK_EQ(op_neo4j_name_check(why, sizeof(why), "", "property"), -1);
}
