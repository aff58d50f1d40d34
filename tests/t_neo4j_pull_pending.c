/* t_neo4j_pull_pending.c - `outpost pull --neo4j` meeting local changes
 * not yet pushed to Neo4j (src/api_neo4j_pull_rule.c, sync/PROTOCOL.md
 * "Neo4j", "Pull", "Local changes not yet pushed"), on the real Neo4j
 * 3.1.1: a node or relationship made here is not deleted, one deleted
 * here is not brought back, an update here stays over Neo4j's older value
 * of the same property while Neo4j's edit of another one is taken, and
 * Neo4j wins where its clock is newer (pushed by another device: a newer
 * value, tombstone or row). Each time the store's rows, edges and change
 * log after the pull are checked, and then that `outpost sync` leaves
 * Neo4j with the local value. Also: a store that never pushed, and a
 * bulk import whose push stopped inside it (neo4j_push_sub). */
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "neo4j_sink_fix.h"
#include "sync_import_fix.h"
#include "util.h"

#define W(x) "0190d000-0000-7000-8000-0000000000" x

static outpost *store(struct t *t, const char *name)
{
	char path[512];

	t_path(path, t, "mirror.json");
	if (t_write(path, t_n4_schema) != 0)
		return NULL;
	return ts_store(t, name, path);
}

/* Point db at the run's Neo4j, the password in a 0600 file. */
static int remote(struct t *t, outpost *db)
{
	outpost_neo4j_remote r = OUTPOST_NEO4J_REMOTE_INIT;
	char pw[512];

	t_path(pw, t, "neo4j.pw");
	if (t_write(pw, t_neo4j_password()) != 0 || chmod(pw, 0600) != 0)
		return -1;
	r.url = t_neo4j_url();
	r.user = t_neo4j_user();
	r.password_file = pw;
	if (outpost_remote_set_neo4j(db, &r) != OUTPOST_OK) {
		t_fail(t, __FILE__, __LINE__, "remote: %s", outpost_errmsg(db));
		return -1;
	}
	return 0;
}

static int sync_once(outpost *db, outpost_sync_result *r)
{
	outpost_sync_opts o = OUTPOST_SYNC_OPTS_INIT;

	memset(r, 0, sizeof(*r));
	r->version = OUTPOST_SYNC_RESULT_VERSION;
	return outpost_sync(db, &o, r);
}

/* outpost_neo4j_pull of labels and types (NULL-terminated lists). */
static int pull(outpost *db, const char *const *labels,
		const char *const *types, outpost_neo4j_pull_result *r)
{
	outpost_neo4j_pull_opts o = OUTPOST_NEO4J_PULL_OPTS_INIT;

	o.labels = labels;
	o.types = types;
	while (labels && labels[o.nlabels])
		o.nlabels++;
	while (types && types[o.ntypes])
		o.ntypes++;
	memset(r, 0, sizeof(*r));
	r->version = OUTPOST_NEO4J_PULL_RESULT_VERSION;
	return outpost_neo4j_pull(r, db, &o);
}

/* Another device's sink on the run's Neo4j (not wiped). */
static struct op_sink *other(struct t *t)
{
	struct op_neo4j_sink_opts o;
	struct op_sink *k = NULL;
	char why[512] = "";

	memset(&o, 0, sizeof(o));
	o.url = t_neo4j_url();
	o.database = "neo4j";
	o.user = t_neo4j_user();
	o.secret = t_neo4j_password();
	o.schema_json = t_n4_schema;
	if (op_neo4j_sink_open(&k, &o, why, sizeof(why)) != OUTPOST_OK) {
		t_fail(t, __FILE__, __LINE__, "open: %s", why);
		return NULL;
	}
	return k;
}

/* Push one change with clock (hlc, site; NULL: ab..ab, another
 * device's) through a sink of its own. */
static int push_as(struct t *t, const char *site, const char *table,
		   char op, const char *id, unsigned long long hlc,
		   const char *vals)
{
	struct op_sink *k = other(t);
	struct op_change c;
	int rc;

	if (!k)
		return -1;
	t_n4_change(&c, 1, table, op, id, hlc, vals);
	if (site)
		op_hex_decode(c.site, 16, site, 32);
	rc = t_n4_push(t, k, &c, 1);
	k->ops->close(k);
	return rc;
}

static int other_push(struct t *t, const char *table, char op,
		      const char *id, unsigned long long hlc, const char *vals)
{
	return push_as(t, NULL, table, op, id, hlc, vals);
}

struct found {
	unsigned long long hlc;
	long long seq, n;
	char vals[512];
};

static int see(void *ctx, const outpost_change *c)
{
	struct found *f = ctx;

	if (f->n++ == 0) {
		f->hlc = c->hlc;
		f->seq = c->seq;
		snprintf(f->vals, sizeof(f->vals), "%s",
			 c->values ? c->values : "");
	}
	return 0;
}

/* Log entries after seq of table (NULL: any), row (NULL: any) and op
 * (0: any): how many, and the newest one's clock, seq and values. */
static struct found logged(outpost *db, long long after, const char *table,
			   const char *row, char op)
{
	outpost_log_filter f = OUTPOST_LOG_FILTER_INIT;
	struct found x;

	memset(&x, 0, sizeof(x));
	f.after_seq = after;
	f.table = table;
	f.row_id = row;
	f.op = op;
	f.newest_first = 1;
	if (outpost_log_each(db, &f, see, &x) != OUTPOST_OK)
		x.n = -1;
	return x;
}

static long long last_seq(outpost *db)
{
	return t_int(db, "SELECT coalesce(max(seq), 0) FROM _outpost_changes");
}

/* An edge's properties and validity as text, "" if there is no such
 * edge. */
struct edge_q {
	const char *uuid;
	char text[512];
};

static int edge_see(void *ctx, const outpost_edge_info *e)
{
	struct edge_q *q = ctx;

	if (!strcmp(e->uuid, q->uuid))
		snprintf(q->text, sizeof(q->text), "%s %s..%s",
			 e->properties ? e->properties : "{}",
			 e->valid_from ? e->valid_from : "",
			 e->valid_to ? e->valid_to : "");
	return 0;
}

static const char *edge(outpost *db, const char *type, const char *uuid,
			struct edge_q *q)
{
	memset(q, 0, sizeof(*q));
	q->uuid = uuid;
	if (outpost_graph_edges_each(db, type, edge_see, q) != OUTPOST_OK)
		snprintf(q->text, sizeof(q->text), "(error)");
	return q->text;
}

/* A statement for Neo4j from a format (uuids into string literals). */
static void stmt(char out[1024], const char *fmt, va_list ap)
{
	vsnprintf(out, 1024, fmt, ap);
}

/* Run it; 0, or -1 after failing the test. */
static int n4(struct t *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int n4(struct t *t, const char *fmt, ...)
{
	char q[1024];
	va_list ap;

	va_start(ap, fmt);
	stmt(q, fmt, ap);
	va_end(ap);
	return t_neo4j_cypher(t, NULL, q, NULL);
}

/* Its first row as compact JSON (t_n4_row), malloc'd. */
static char *n4_row(struct t *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static char *n4_row(struct t *t, const char *fmt, ...)
{
	char q[1024];
	va_list ap;

	va_start(ap, fmt);
	stmt(q, fmt, ap);
	va_end(ap);
	return t_n4_row(t, q);
}

static const char *const word_topic[] = {"Word", "Topic", NULL};
static const char *const about_next[] = {"ABOUT", "NEXT", NULL};

#define CHECK_ROW(row, want)                                                 \
	do {                                                                 \
		char *r_ = (row);                                            \
		int same_ = r_ && !strcmp(r_, want);                         \
		if (!same_)                                                  \
			t_fail(t, __FILE__, __LINE__, "%s:\n    got  %s\n"   \
			       "    want %s", #row, r_ ? r_ : "(null)", want);  \
		free(r_);                                                    \
		if (!same_)                                                  \
			return;                                              \
	} while (0)

/* Nodes: a local insert, delete and updates not yet pushed against hand
 * edits in Neo4j and a newer value pushed by another device. */
void test_neo4j_pull_pending_nodes(struct t *t)
{
	outpost *db;
	outpost_sync_result s;
	outpost_neo4j_pull_result r;
	struct found f;
	char text[T_TEXT_MAX];
	long long seq;

	CHECK(t_neo4j_start(t) == 0 && t_neo4j_wipe(t) == 0);
	CHECK((db = store(t, "dev")) != NULL);
	CHECK_EQ(remote(t, db), 0);
	CHECK_OK(db, ts_sql(db, "INSERT INTO Word(id, word, rank, score) "
			    "VALUES ('" W("0a") "', 'a', 1, 1.5), ('" W("0b")
			    "', 'b', 2, 2.5), ('" W("0c") "', 'c', 3, 3.5), "
			    "('" W("0d") "', 'd', 4, 4.5); INSERT INTO "
			    "Topic(id, name) VALUES ('" W("1a") "', 't')"));
	CHECK_OK(db, sync_once(db, &s));
	CHECK_EQ(s.neo4j_pushed, 5);
	/* here, not yet pushed: a new word, a delete, three updates */
	CHECK_OK(db, ts_sql(db, "INSERT INTO Word(id, word, rank) VALUES ('"
			    W("0e") "', 'e', 5); DELETE FROM Word WHERE id = '"
			    W("0b") "'; UPDATE Word SET rank = 10 WHERE id = '"
			    W("0a") "'; UPDATE Word SET rank = 30 WHERE id = '"
			    W("0c") "'; UPDATE Word SET rank = 40 WHERE id = '"
			    W("0d") "'"));
	/* in Neo4j: by hand another property of a, the same one of c, and
	 * a topic nobody changed here; another device's newer rank of d */
	CHECK_EQ(n4(t, "MATCH (n:Word {uuid: '%s'}) SET n.score = 9.5",
		    W("0a")), 0);
	CHECK_EQ(n4(t, "MATCH (n:Word {uuid: '%s'}) SET n.rank = 300",
		    W("0c")), 0);
	CHECK_EQ(n4(t, "MATCH (n:Topic {uuid: '%s'}) SET n.name = 'T'",
		    W("1a")), 0);
	f = logged(db, 0, "Word", W("0d"), 'U');
	CHECK_EQ(f.n, 1);
	CHECK_EQ(other_push(t, "Word", 'U', W("0d"), f.hlc + 1,
			    "{\"rank\": \"400\"}"), 0);

	seq = last_seq(db);
	CHECK_OK(db, pull(db, word_topic, NULL, &r));
	CHECK_EQ(r.kept, 4);	      /* e, b, a's rank, c's rank */
	CHECK_EQ(r.nodes_changed, 3); /* a's score, d's rank, the topic */
	CHECK_EQ(r.nodes_new, 0);
	CHECK_EQ(r.nodes_removed, 0);
	CHECK_STR(t_text(db, "SELECT group_concat(word || ':' || rank || ':' "
			 "|| coalesce(score, '-'), ' ') FROM (SELECT * FROM "
			 "Word ORDER BY word)", text),
		  "a:10:9.5 c:30:3.5 d:400:4.5 e:5:-");
	CHECK_STR(t_text(db, "SELECT name FROM Topic", text), "T");
	/* logged: a's score, d's rank, the topic's name; nothing else */
	CHECK_EQ(logged(db, seq, NULL, NULL, 0).n, 3);
	f = logged(db, seq, "Word", W("0a"), 'U');
	CHECK_EQ(f.n, 1);
	CHECK_STR(f.vals, "{\"score\":\"9.5e+00\"}");
	f = logged(db, seq, "Word", W("0d"), 'U');
	CHECK_EQ(f.n, 1);
	CHECK_STR(f.vals, "{\"rank\":\"400\"}");
	CHECK_EQ(logged(db, seq, "Topic", W("1a"), 'U').n, 1);

	/* the next sync makes Neo4j the same */
	CHECK_OK(db, sync_once(db, &s));
	CHECK_ROW(n4_row(t, "MATCH (n:Word) WITH n ORDER BY n.word RETURN "
			 "collect(n.word + ':' + toString(n.rank) + ':' + "
			 "coalesce(toString(n.score), '-'))"),
		  "[[\"a:10:9.5\",\"c:30:3.5\",\"d:400:4.5\",\"e:5:-\"]]");
	CHECK_EQ(t_neo4j_int(t, "MATCH (n:_outpost_tomb {uuid: '" W("0b")
			     "'}) RETURN count(n)"), 1);
	CHECK_ROW(n4_row(t, "MATCH (n:Topic) RETURN n.name"), "[\"T\"]");
	/* and a pull now changes nothing */
	seq = last_seq(db);
	CHECK_OK(db, pull(db, word_topic, NULL, &r));
	CHECK_EQ(r.nodes, 5);
	CHECK_EQ(r.kept + r.nodes_changed + r.nodes_new + r.nodes_removed, 0);
	CHECK_EQ(last_seq(db), seq);
	outpost_close(db);
}

/* Add an edge; its uuid into out. */
static int add(outpost *db, const char *type, const char *from,
	       const char *to, const char *props, const char *vf,
	       const char *vt, char out[37])
{
	outpost_edge e = OUTPOST_EDGE_INIT;

	e.type = type;
	e.from = from;
	e.to = to;
	e.properties = props;
	e.valid_from = vf;
	e.valid_to = vt;
	return outpost_graph_edge_add(db, &e, out);
}

static int change(outpost *db, const char *uuid, const char *props,
		  const char *vt)
{
	outpost_edge e = OUTPOST_EDGE_INIT;

	e.properties = props;
	e.valid_to = vt;
	return outpost_graph_edge_update(db, uuid, &e);
}

#define T2031 "2031-01-01T00:00:00.000Z"
#define T2032 "2032-01-01T00:00:00.000Z"

/* Relationships: field by field as nodes are column by column; a
 * relationship made here stays, one deleted here (or whose end was) is
 * not brought back. */
void test_neo4j_pull_pending_edges(struct t *t)
{
	outpost *db;
	outpost_sync_result s;
	outpost_neo4j_pull_result r;
	struct edge_q q;
	struct found f;
	char e1[37], e2[37], e3[37], e4[37], e5[37], e6[37], n1[37];
	long long seq;

	CHECK(t_neo4j_start(t) == 0 && t_neo4j_wipe(t) == 0);
	CHECK((db = store(t, "dev")) != NULL);
	CHECK_EQ(remote(t, db), 0);
	CHECK_OK(db, ts_sql(db, "INSERT INTO Word(id, word) VALUES ('" W("21")
			    "', 'w1'), ('" W("22") "', 'w2'), ('" W("23")
			    "', 'w3'); INSERT INTO Topic(id, name) VALUES ('"
			    W("31") "', 't1'), ('" W("32") "', 't2')"));
	CHECK_OK(db, add(db, "ABOUT", W("21"), W("31"), "{\"weight\": 0.5, "
			 "\"note\": \"a\"}", NULL, NULL, e1));
	CHECK_OK(db, add(db, "ABOUT", W("21"), W("32"), "{\"weight\": 1}",
			 NULL, NULL, e2));
	CHECK_OK(db, add(db, "ABOUT", W("23"), W("32"), "{\"weight\": 2, "
			 "\"note\": \"c\"}", NULL, NULL, e3));
	CHECK_OK(db, add(db, "ABOUT", W("22"), W("32"), "{\"weight\": 5}",
			 NULL, NULL, e5));
	CHECK_OK(db, add(db, "ABOUT", W("23"), W("31"), "{\"weight\": 3}",
			 NULL, NULL, e6));
	CHECK_OK(db, add(db, "NEXT", W("21"), W("23"), NULL,
			 "2020-01-01T00:00:00.000Z", "2030-01-01T00:00:00.000Z",
			 n1));
	CHECK_OK(db, sync_once(db, &s));
	CHECK_EQ(s.neo4j_pushed, 11);
	/* here, not yet pushed */
	CHECK_OK(db, change(db, e1, "{\"weight\": 0.75}", NULL));
	CHECK_OK(db, outpost_graph_edge_delete(db, e2, 0));
	CHECK_OK(db, change(db, e3, "{\"note\": \"here\"}", NULL));
	CHECK_OK(db, ts_sql(db, "DELETE FROM Word WHERE id = '" W("22") "'"));
	CHECK_OK(db, change(db, e6, "{\"weight\": 3.5}", NULL));
	CHECK_OK(db, change(db, n1, NULL, T2031));
	CHECK_OK(db, add(db, "ABOUT", W("23"), W("31"), "{\"weight\": 4}",
			 NULL, NULL, e4));
	CHECK_EQ(t_edges(db, "ABOUT"), 4);
	/* in Neo4j: by hand another property of e1, the same of e3 and
	 * n1's valid_to; another device's newer weight of e6 */
	CHECK_EQ(n4(t, "MATCH ()-[e:ABOUT {uuid: '%s'}]->() SET e.note = "
		    "'b'", e1), 0);
	CHECK_EQ(n4(t, "MATCH ()-[e:ABOUT {uuid: '%s'}]->() SET e.note = "
		    "'hand'", e3), 0);
	CHECK_EQ(n4(t, "MATCH ()-[e:NEXT {uuid: '%s'}]->() SET e.valid_to = "
		    "'" T2032 "'", n1), 0);
	f = logged(db, 0, "ABOUT", e6, 'U');
	CHECK_EQ(f.n, 1);
	CHECK_EQ(other_push(t, "ABOUT", 'U', e6, f.hlc + 1,
			    "{\"props\": {\"weight\": 9}}"), 0);

	seq = last_seq(db);
	CHECK_OK(db, pull(db, word_topic, about_next, &r));
	/* w2 deleted; e1's weight, e2, e3's note, e5 (with w2), n1, e4 */
	CHECK_EQ(r.kept, 7);
	CHECK_EQ(r.rels_changed, 2); /* e1's note, e6's weight */
	CHECK_EQ(r.rels_new + r.rels_removed, 0);
	CHECK_EQ(r.nodes_new + r.nodes_changed + r.nodes_removed, 0);
	CHECK_EQ(t_edges(db, "ABOUT"), 4);
	CHECK_STR(edge(db, "ABOUT", e1, &q), "{\"weight\":0.75,\"note\":\"b\"} ..");
	CHECK_STR(edge(db, "ABOUT", e2, &q), "");
	CHECK_STR(edge(db, "ABOUT", e3, &q), "{\"weight\":2,\"note\":\"here\"} ..");
	CHECK_STR(edge(db, "ABOUT", e4, &q), "{\"weight\":4} ..");
	CHECK_STR(edge(db, "ABOUT", e5, &q), "");
	CHECK_STR(edge(db, "ABOUT", e6, &q), "{\"weight\":9} ..");
	CHECK_STR(edge(db, "NEXT", n1, &q), "{} 2020-01-01T00:00:00.000Z.."
		  T2031);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM Word WHERE id = '" W("22")
		       "'"), 0);
	/* logged: e1's note and e6's weight, nothing else */
	CHECK_EQ(logged(db, seq, NULL, NULL, 0).n, 2);
	f = logged(db, seq, "ABOUT", e1, 'U');
	CHECK_STR(f.vals, "{\"props\":{\"note\":\"b\"}}");
	f = logged(db, seq, "ABOUT", e6, 'U');
	CHECK_STR(f.vals, "{\"props\":{\"weight\":9}}");

	CHECK_OK(db, sync_once(db, &s));
	CHECK_ROW(n4_row(t, "MATCH ()-[e:ABOUT]->() WITH e ORDER BY "
			 "e.weight RETURN collect(toString(e.weight) + ':' + "
			 "coalesce(e.note, '-'))"),
		  "[[\"0.75:b\",\"2.0:here\",\"4.0:-\",\"9.0:-\"]]");
	CHECK_ROW(n4_row(t, "MATCH ()-[e:ABOUT {uuid: '%s'}]->() RETURN "
			 "count(e)", e4), "[1]");
	CHECK_ROW(n4_row(t, "MATCH ()-[e:NEXT]->() RETURN e.valid_to"),
		  "[\"" T2031 "\"]");
	CHECK_EQ(t_neo4j_int(t, "MATCH (n:Word {uuid: '" W("22") "'}) RETURN "
			     "count(n)"), 0);
	seq = last_seq(db);
	CHECK_OK(db, pull(db, word_topic, about_next, &r));
	CHECK_EQ(r.rels, 5);
	CHECK_EQ(r.kept + r.rels_changed + r.rels_new + r.rels_removed, 0);
	CHECK_EQ(last_seq(db), seq);
	outpost_close(db);
}

/* Neo4j newer than the local change: another device's tombstone over an
 * insert made here, and its insert over a delete made here (nodes and
 * relationships); and the local change itself already in Neo4j (the same
 * clock: another device pushed it, from central) with a hand edit over
 * it. Then Neo4j's wins, here and after the next sync. An older
 * tombstone (this store's own delete, pushed, before the node was made
 * again here) does not. */
void test_neo4j_pull_pending_clocks(struct t *t)
{
	outpost *db;
	outpost_sync_result s;
	outpost_neo4j_pull_result r;
	const char *const about[] = {"ABOUT", NULL};
	struct edge_q q;
	struct found f;
	char e8[37], e9[37], vals[256], text[T_TEXT_MAX], site[33];
	long long seq;

	CHECK(t_neo4j_start(t) == 0 && t_neo4j_wipe(t) == 0);
	CHECK((db = store(t, "dev")) != NULL);
	CHECK_EQ(remote(t, db), 0);
	CHECK_OK(db, ts_sql(db, "INSERT INTO Word(id, word, rank) VALUES ('"
			    W("41") "', 'e', 1), ('" W("42") "', 'f', 2); "
			    "INSERT INTO Topic(id, name) VALUES ('" W("51")
			    "', 't')"));
	CHECK_OK(db, add(db, "ABOUT", W("41"), W("51"), "{\"weight\": 1}",
			 NULL, NULL, e9));
	CHECK_OK(db, ts_sql(db, "INSERT INTO Word(id, word, rank) VALUES ('"
			    W("44") "', 'k', 4)"));
	CHECK_OK(db, sync_once(db, &s));
	CHECK_EQ(s.neo4j_pushed, 5);
	CHECK_OK(db, ts_sql(db, "DELETE FROM Word WHERE id = '" W("44") "'"));
	CHECK_OK(db, sync_once(db, &s));
	CHECK_EQ(t_neo4j_int(t, "MATCH (n:_outpost_tomb {uuid: '" W("44")
			     "'}) RETURN count(n)"), 1);
	/* here, not yet pushed: nodes and an edge made, one of each
	 * deleted */
	CHECK_OK(db, ts_sql(db, "INSERT INTO Word(id, word, rank) VALUES ('"
			    W("43") "', 'g', 3), ('" W("44") "', 'k', 4); "
			    "DELETE FROM Word WHERE id = '" W("42") "'"));
	CHECK_OK(db, add(db, "ABOUT", W("41"), W("51"), "{\"weight\": 8}",
			 NULL, NULL, e8));
	CHECK_OK(db, outpost_graph_edge_delete(db, e9, 0));
	CHECK_OK(db, ts_sql(db, "UPDATE Word SET rank = 2 WHERE id = '"
			    W("41") "'"));
	/* that update, as another device that had it from central pushed
	 * it, then edited by hand */
	ts_site(db, site);
	f = logged(db, 0, "Word", W("41"), 'U');
	CHECK_EQ(push_as(t, site, "Word", 'U', W("41"), f.hlc,
			 "{\"rank\": \"2\"}"), 0);
	CHECK_EQ(n4(t, "MATCH (n:Word {uuid: '%s'}) SET n.rank = 20",
		    W("41")), 0);
	/* another device, later: deletes what was made, makes again what
	 * was deleted */
	f = logged(db, 0, "Word", W("43"), 'I');
	CHECK_EQ(other_push(t, "Word", 'D', W("43"), f.hlc + 1, NULL), 0);
	f = logged(db, 0, "Word", W("42"), 'D');
	CHECK_EQ(other_push(t, "Word", 'I', W("42"), f.hlc + 1,
			    "{\"word\": \"f2\", \"rank\": \"7\"}"), 0);
	f = logged(db, 0, "ABOUT", e8, 'I');
	CHECK_EQ(other_push(t, "ABOUT", 'D', e8, f.hlc + 1, NULL), 0);
	f = logged(db, 0, "ABOUT", e9, 'D');
	snprintf(vals, sizeof(vals), "{\"from\": \"%s\", \"to\": \"%s\", "
		 "\"props\": {\"weight\": 6}}", W("41"), W("51"));
	CHECK_EQ(other_push(t, "ABOUT", 'I', e9, f.hlc + 1, vals), 0);

	seq = last_seq(db);
	CHECK_OK(db, pull(db, word_topic, about, &r));
	CHECK_EQ(r.kept, 1); /* k */
	CHECK_EQ(r.nodes_changed, 1); /* e's rank */
	CHECK_EQ(r.nodes_new, 1);
	CHECK_EQ(r.nodes_removed, 1);
	CHECK_EQ(r.rels_new, 1);
	CHECK_EQ(r.rels_removed, 1);
	CHECK_STR(t_text(db, "SELECT group_concat(word || ':' || rank, ' ') "
			 "FROM (SELECT * FROM Word ORDER BY word)", text),
		  "e:20 f2:7 k:4");
	CHECK_STR(edge(db, "ABOUT", e8, &q), "");
	CHECK_STR(edge(db, "ABOUT", e9, &q), "{\"weight\":6} ..");
	CHECK_EQ(logged(db, seq, NULL, NULL, 0).n, 5);
	CHECK_EQ(logged(db, seq, "Word", W("41"), 'U').n, 1);
	CHECK_EQ(logged(db, seq, "Word", W("43"), 'D').n, 1);
	CHECK_EQ(logged(db, seq, "Word", W("42"), 'I').n, 1);
	CHECK_EQ(logged(db, seq, "ABOUT", e8, 'D').n, 1);
	CHECK_EQ(logged(db, seq, "ABOUT", e9, 'I').n, 1);

	CHECK_OK(db, sync_once(db, &s));
	CHECK_ROW(n4_row(t, "MATCH (n:Word) WITH n ORDER BY n.word RETURN "
			 "collect(n.word + ':' + toString(n.rank))"),
		  "[[\"e:20\",\"f2:7\",\"k:4\"]]");
	snprintf(vals, sizeof(vals), "[[\"%s:6.0\"]]", e9);
	CHECK_ROW(n4_row(t, "MATCH ()-[e:ABOUT]->() RETURN collect(e.uuid + "
			 "':' + toString(e.weight))"), vals);
	seq = last_seq(db);
	CHECK_OK(db, pull(db, word_topic, about, &r));
	CHECK_EQ(r.kept + r.nodes_changed + r.nodes_new + r.nodes_removed +
			 r.rels_changed + r.rels_new + r.rels_removed,
		 0);
	CHECK_EQ(last_seq(db), seq);
	outpost_close(db);
}

/* A store that never pushed to Neo4j (no neo4j_push cursor): its own
 * rows are local changes not yet pushed and stay, while what it pulled
 * is Neo4j's (a hand edit there is taken by the next pull) until it is
 * changed here. A fresh store that pulls first takes Neo4j's data. */
void test_neo4j_pull_pending_first(struct t *t)
{
	outpost *db, *db2;
	outpost_sync_result s;
	outpost_neo4j_pull_result r;
	outpost_neo4j_pull_opts o = OUTPOST_NEO4J_PULL_OPTS_INIT;
	char text[T_TEXT_MAX], dir[512], *out = NULL;

	CHECK(t_neo4j_start(t) == 0 && t_neo4j_wipe(t) == 0);
	CHECK_EQ(t_neo4j_cypher(t, NULL, "CREATE (:Word {uuid: '" W("61")
				"', word: 'h', rank: 1}), (:Topic {uuid: '"
				W("71") "', name: 't'})", NULL), 0);
	CHECK((db = store(t, "dev")) != NULL);
	CHECK_EQ(remote(t, db), 0);
	CHECK_OK(db, ts_sql(db, "INSERT INTO Word(id, word, rank) VALUES ('"
			    W("62") "', 'l', 2)"));
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_cursors WHERE "
		       "consumer = 'neo4j_push'"), 0);
	CHECK_OK(db, pull(db, word_topic, NULL, &r));
	CHECK_EQ(r.kept, 1); /* l, made here */
	CHECK_EQ(r.nodes_new, 2);
	CHECK_EQ(r.nodes_removed, 0);
	CHECK_STR(t_text(db, "SELECT group_concat(word || ':' || rank, ' ') "
			 "FROM (SELECT * FROM Word ORDER BY word)", text),
		  "h:1 l:2");
	/* what the pull wrote is Neo4j's: a hand edit there is taken */
	CHECK_EQ(t_neo4j_cypher(t, NULL, "MATCH (n:Word {word: 'h'}) SET "
				"n.rank = 11", NULL), 0);
	CHECK_OK(db, pull(db, word_topic, NULL, &r));
	CHECK_EQ(r.nodes_changed, 1);
	CHECK_EQ(r.kept, 1);
	CHECK_EQ(t_int(db, "SELECT rank FROM Word WHERE word = 'h'"), 11);
	/* until it is changed here */
	CHECK_OK(db, ts_sql(db, "UPDATE Word SET rank = 50 WHERE word = "
			    "'h'"));
	CHECK_EQ(t_neo4j_cypher(t, NULL, "MATCH (n:Word {word: 'h'}) SET "
				"n.rank = 60", NULL), 0);
	outpost_close(db);
	t_path(dir, t, "dev");
	CHECK_EQ(t_sh(&out, "%s -d %s pull --neo4j --labels Word Topic",
		      t_bin(), dir), 0);
	CHECK_HAS(out, "2 nodes (0 new, 0 changed, 0 removed)");
	CHECK_HAS(out, "kept local changes not yet pushed to neo4j: 2 nodes "
		  "or relationships (sync sends them)");
	free(out);
	CHECK_EQ(outpost_open(&db, dir, NULL), OUTPOST_OK);
	CHECK_STR(t_text(db, "SELECT group_concat(word || ':' || rank, ' ') "
			 "FROM (SELECT * FROM Word ORDER BY word)", text),
		  "h:50 l:2");
	CHECK_OK(db, sync_once(db, &s));
	CHECK_ROW(n4_row(t, "MATCH (n:Word) WITH n ORDER BY n.word RETURN "
			 "collect(n.word + ':' + toString(n.rank))"),
		  "[[\"h:50\",\"l:2\"]]");
	outpost_close(db);

	/* a fresh store takes what Neo4j has (a version 1 result: it ends
	 * before kept, which is not written) */
	CHECK((db2 = store(t, "dev2")) != NULL);
	CHECK_EQ(remote(t, db2), 0);
	CHECK_OK(db2, pull(db2, word_topic, NULL, &r));
	CHECK_EQ(r.kept, 0);
	CHECK_EQ(r.nodes_new, 3);
	memset(&r, 0, sizeof(r));
	r.version = 1;
	r.kept = -7;
	o.labels = word_topic;
	o.nlabels = 2;
	CHECK_OK(db2, outpost_neo4j_pull(&r, db2, &o));
	CHECK_EQ(r.version, 1);
	CHECK_EQ(r.nodes, 3);
	CHECK_EQ(r.kept, -7);
	CHECK_STR(t_text(db2, "SELECT group_concat(word || ':' || rank, ' ') "
			 "FROM (SELECT * FROM Word ORDER BY word)", text),
		  "h:50 l:2");
	outpost_close(db2);
}

/* A bulk import whose push stopped inside it: the changes after
 * neo4j_push_sub are not yet pushed (kept), those before are (Neo4j's
 * hand delete is taken). */
void test_neo4j_pull_pending_import(struct t *t)
{
	outpost *db;
	outpost_sync_result s;
	outpost_neo4j_pull_result r;
	const char *const person[] = {"Person", NULL};
	long long seq;

	CHECK(t_neo4j_start(t) == 0 && t_neo4j_wipe(t) == 0);
	CHECK((db = si_store(t, "dev")) != NULL);
	CHECK_EQ(si_import(t, db), OUTPOST_OK);
	CHECK_EQ(remote(t, db), 0);
	CHECK_OK(db, sync_once(db, &s));
	CHECK_EQ(s.neo4j_pushed, 1 + NEMITTED);
	CHECK_EQ(t_neo4j_int(t, "MATCH (n:Person) RETURN count(n)"), 6);
	/* as if the push had stopped before the import's sub 3 (Person
	 * U004; U002 is sub 1) */
	seq = t_int(db, "SELECT seq FROM _outpost_changes WHERE tbl = "
		    "'_outpost_import'");
	CHECK(seq > 0);
	CHECK_OK(db, ts_sql(db, "UPDATE _outpost_cursors SET seq = %lld "
			    "WHERE consumer = 'neo4j_push'; UPDATE "
			    "_outpost_cursors SET seq = 3 WHERE consumer = "
			    "'neo4j_push_sub'", seq - 1));
	CHECK_EQ(t_int(db, "SELECT count(*) FROM _outpost_cursors WHERE "
		       "consumer = 'neo4j_push_sub' AND seq = 3"), 1);
	CHECK_EQ(t_neo4j_cypher(t, NULL, "MATCH (n:Person) WHERE n.uuid IN "
				"['" U("002") "', '" U("004") "'] DETACH "
				"DELETE n", NULL), 0);
	seq = last_seq(db);
	CHECK_OK(db, pull(db, person, NULL, &r));
	CHECK_EQ(r.kept, 1);
	CHECK_EQ(r.nodes_removed, 1);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM Person WHERE id = '" U("002")
		       "'"), 0);
	CHECK_EQ(t_int(db, "SELECT count(*) FROM Person WHERE id = '" U("004")
		       "'"), 1);
	CHECK_EQ(logged(db, seq, NULL, NULL, 0).n, 1);
	CHECK_EQ(logged(db, seq, "Person", U("002"), 'D').n, 1);
	CHECK_OK(db, sync_once(db, &s));
	CHECK_EQ(t_neo4j_int(t, "MATCH (n:Person) RETURN count(n)"), 5);
	CHECK_EQ(t_neo4j_int(t, "MATCH (n:Person {uuid: '" U("004") "'}) "
			     "RETURN count(n)"), 1);
	outpost_close(db);
}
