/* t_neo4j_sink_real.c - issue 5's error matrix where the real
 * Neo4j 3.1.1 makes the error itself (its transactional endpoint, one
 * transaction per request): a constraint it enforces, a wrong password,
 * a URL it has nothing at, the server gone; and integers beyond 2^53
 * and at int64's ends through push to Neo4j (directly and through the
 * Query API stand-in) and back by `pull --neo4j`. Each through a
 * store's sync, as t_neo4j_sink_faults.c (fixture neo4j_faults_fix.c). */
#include <stdlib.h>
#include <unistd.h>

#include "neo4j_faults_fix.h"
#include "sync_batch.h"

/* A sync of tpl2's copy "case" that the server refuses: rc, not
 * transient, cause in the message and in status, the cursor where it
 * was, Neo4j as it was (before). */
static void refused(struct t *t, int want_rc, const char *cause,
		    const char *before)
{
	outpost_sync_result r;
	outpost_sink_status s0, s;
	outpost *db = nf_open(t, "case");
	char *got;

	CHECK(db != NULL);
	CHECK_OK(db, nf_status(db, &s0));
	CHECK_RC(nf_sync(db, 0, &r), want_rc);
	CHECK_EQ(r.transient, 0);
	CHECK_EQ(r.neo4j_pushed, 0);
	CHECK_HAS(outpost_errmsg(db), cause);
	CHECK(strstr(outpost_errmsg(db), "s3cret") == NULL);
	CHECK_OK(db, nf_status(db, &s));
	CHECK_EQ(s.push_seq, s0.push_seq);
	CHECK_EQ(s.pending, s0.pending);
	CHECK(s.pending > 0);
	CHECK_HAS(s.last_error, cause);
	outpost_close(db);
	got = t_n4_dump(t);
	CHECK_STR(got, before);
	free(got);
}

/* The next sync of "case" converges to want, status clean. */
static void converges(struct t *t, const char *want)
{
	outpost_sync_result r;
	outpost_sink_status s;
	outpost *db = nf_open(t, "case");
	char *got;

	CHECK(db != NULL);
	CHECK_OK(db, nf_sync(db, 0, &r));
	CHECK(r.neo4j_pushed > 0);
	CHECK_OK(db, nf_status(db, &s));
	CHECK_EQ(s.pending, 0);
	CHECK_STR(s.last_error, "");
	outpost_close(db);
	got = t_n4_dump(t);
	CHECK_STR(got, want);
	free(got);
}

static int set_url(struct t *t, const char *url)
{
	outpost_neo4j_remote nr = OUTPOST_NEO4J_REMOTE_INIT;
	outpost *db = nf_open(t, "case");
	int rc;

	if (!db)
		return -1;
	nr.url = url;
	rc = outpost_remote_set_neo4j(db, &nr);
	if (rc != OUTPOST_OK)
		t_fail(t, __FILE__, __LINE__, "remote: %s", outpost_errmsg(db));
	outpost_close(db);
	return rc == OUTPOST_OK ? 0 : -1;
}

/* What 3.1 refuses: a write its uniqueness constraint forbids (in the
 * middle of a request: the whole transaction goes, nothing of the
 * request stays), a wrong password, a URL it has nothing at. None is
 * retried by the next sync alone; each converges once its cause is
 * gone. */
void test_neo4j_sink_real_refused(struct t *t)
{
	char *v1 = NULL, *v2 = NULL, *before = NULL, url[600];
	outpost *db;

	alarm(180);
	CHECK(t_neo4j_start(t) == 0);
	CHECK_EQ(nf_stage(t, t_neo4j_url(), &v1, &v2), 0);
	CHECK_EQ(nf_restore(t), 0);
	CHECK((db = nf_copy(t, "tpl2", "case")) != NULL);
	outpost_close(db);
	/* a hand-made node holds the word the store's new one takes */
	CHECK_EQ(t_neo4j_cypher(t, NULL, "CREATE (:Word {uuid: 'hand-made', "
				"word: 'moss'})", NULL), 0);
	CHECK((before = t_n4_dump(t)) != NULL);
	refused(t, OUTPOST_EREFUSED, "Neo.ClientError.Schema."
		"ConstraintValidationFailed", before);
	/* and the next sync the same way */
	refused(t, OUTPOST_EREFUSED, "already exists with label", before);
	CHECK_EQ(t_neo4j_cypher(t, NULL, "MATCH (n:Word {uuid: 'hand-made'}) "
				"DELETE n", NULL), 0);
	converges(t, v2);
	/* a wrong password: refused at discovery, nothing sent */
	CHECK_EQ(nf_restore(t), 0);
	CHECK((db = nf_copy(t, "tpl2", "case")) != NULL);
	outpost_close(db);
	setenv("OUTPOST_NEO4J_PASSWORD", "s3cret-but-wrong", 1);
	refused(t, OUTPOST_EDENIED, "Neo.ClientError.Security.Unauthorized",
		v1);
	unsetenv("OUTPOST_NEO4J_PASSWORD");
	converges(t, v2);
	/* a URL with nothing there: 404 from the server itself */
	CHECK_EQ(nf_restore(t), 0);
	CHECK((db = nf_copy(t, "tpl2", "case")) != NULL);
	outpost_close(db);
	snprintf(url, sizeof(url), "%s/nothing", t_neo4j_url());
	CHECK_EQ(set_url(t, url), 0);
	refused(t, OUTPOST_EREFUSED, "HTTP 404", v1);
	CHECK_EQ(set_url(t, t_neo4j_url()), 0);
	converges(t, v2);
	free(before);
	free(v1);
	free(v2);
}

/* The server gone: transient, retried a few times, the cursor stays;
 * back, the next sync converges. */
void test_neo4j_sink_real_down(struct t *t)
{
	outpost_sync_result r;
	outpost_sink_status s;
	char *v1 = NULL, *v2 = NULL;
	outpost *db;

	alarm(240);
	CHECK(t_neo4j_start(t) == 0);
	CHECK_EQ(nf_stage(t, t_neo4j_url(), &v1, &v2), 0);
	CHECK_EQ(nf_restore(t), 0);
	CHECK((db = nf_copy(t, "tpl2", "case")) != NULL);
	CHECK_EQ(t_neo4j_stop(), 0);
	CHECK_RC(nf_sync(db, 0, &r), OUTPOST_ENET);
	CHECK_EQ(r.transient, 1);
	CHECK_HAS(outpost_errmsg(db), "gave up after 5 tries");
	CHECK_OK(db, nf_status(db, &s));
	CHECK_EQ(s.push_seq, nf_nth_seq(db, NF_CHANGES));
	CHECK(s.pending > 0);
	CHECK_HAS(s.last_error, "neo4j GET ");
	outpost_close(db);
	CHECK_EQ(t_neo4j_start(t), 0);
	converges(t, v2);
	free(v1);
	free(v2);
}

#define RANKS_SQL                                                            \
	"SELECT group_concat(word || '=' || rank, ',') FROM (SELECT word, "  \
	"rank FROM Word ORDER BY word)"
#define RANKS "cat=-9007199254740993,dog=9223372036854775807," \
	      "fern=-9223372036854775808"

/* A new store with the mirror at url pulls the words back: the same
 * integers, to the last digit. */
static void pulled(struct t *t, const char *name, const char *url)
{
	static const char *const labels[] = {"Word"};
	outpost_neo4j_pull_opts o = OUTPOST_NEO4J_PULL_OPTS_INIT;
	outpost_neo4j_pull_result r;
	outpost_neo4j_remote nr = OUTPOST_NEO4J_REMOTE_INIT;
	char schema[512], text[T_TEXT_MAX];
	outpost *db;

	t_path(schema, t, "mirror.json");
	CHECK((db = ts_store(t, name, schema)) != NULL);
	nr.url = url;
	CHECK_OK(db, outpost_remote_set_neo4j(db, &nr));
	setenv("OUTPOST_NEO4J_PASSWORD", t_neo4j_password(), 1);
	o.labels = labels;
	o.nlabels = 1;
	memset(&r, 0, sizeof(r));
	r.version = OUTPOST_NEO4J_PULL_RESULT_VERSION;
	CHECK_OK(db, outpost_neo4j_pull(&r, db, &o));
	unsetenv("OUTPOST_NEO4J_PASSWORD");
	CHECK_EQ(r.nodes_new, 3);
	CHECK_STR(t_text(db, RANKS_SQL, text), RANKS);
	CHECK_STR(t_text(db, "SELECT typeof(rank) FROM Word WHERE word = "
			 "'dog'", text), "integer");
	outpost_close(db);
}

/* Integers beyond 2^53 and int64's ends, inserted and updated, through
 * the Query API stand-in: exact in Neo4j (toString, its plain JSON, the
 * stand-in's Typed JSON) and back in a store by `pull --neo4j`, from the
 * server directly and through the stand-in. */
void test_neo4j_sink_real_big_ints(struct t *t)
{
	static const char *const typed[] = {
		"{\"$type\":\"Integer\",\"_value\":\"-9007199254740993\"}",
		"{\"$type\":\"Integer\",\"_value\":\"9223372036854775807\"}",
		"{\"$type\":\"Integer\",\"_value\":\"-9223372036854775808\"}"};
	struct t_standin si;
	struct t_http h;
	outpost_sync_result r;
	outpost *db;
	char auth[256], text[T_TEXT_MAX], *body = NULL, *row;
	size_t i;

	alarm(120);
	CHECK(t_neo4j_start(t) == 0 && t_neo4j_wipe(t) == 0);
	CHECK_EQ(t_standin_start(t, &si, NULL), 0);
	CHECK_EQ(nf_template(t, si.url), 0);
	CHECK((db = nf_open(t, "tpl")) != NULL);
	CHECK_OK(db, nf_sync(db, 0, &r));
	CHECK_OK(db, outpost_sql(db, "UPDATE Word SET rank = -9007199254740993"
			     " WHERE word = 'cat'", NULL, 0, NULL, NULL));
	CHECK_OK(db, nf_sync(db, 0, &r));
	CHECK_EQ(r.neo4j_pushed, 1);
	CHECK_STR(t_text(db, RANKS_SQL, text), RANKS);
	outpost_close(db);
	row = t_n4_row(t, "MATCH (n:Word) WITH n ORDER BY n.word RETURN "
		       "collect(n.word + '=' + toString(n.rank))");
	CHECK_STR(row, "[[\"cat=-9007199254740993\",\"dog=9223372036854775807"
		       "\",\"fern=-9223372036854775808\"]]");
	free(row);
	CHECK_EQ(t_neo4j_cypher(t, &body, "MATCH (n:Word) RETURN n.rank ORDER "
				"BY n.word", NULL), 0);
	CHECK_HAS(body, "[-9007199254740993]");
	CHECK_HAS(body, "[9223372036854775807]");
	CHECK_HAS(body, "[-9223372036854775808]");
	free(body);
	snprintf(text, sizeof(text), "%s/db/neo4j/query/v2", si.url);
	t_neo4j_basic(auth, t_neo4j_user(), t_neo4j_password());
	CHECK_EQ(t_http(&h, "POST", text, auth, "application/json",
			"application/vnd.neo4j.query", "{\"statement\": "
			"\"MATCH (n:Word) RETURN n.rank ORDER BY n.word\"}"),
		 0);
	for (i = 0; i < 3 && h.status == 202; i++)
		if (!strstr(h.body, typed[i]))
			break;
	if (i < 3)
		t_fail(t, __FILE__, __LINE__, "HTTP %ld, no %s in %s",
		       h.status, i < 3 ? typed[i] : "", h.body);
	t_http_free(&h);
	CHECK(!t->failed);
	pulled(t, "back_v2", si.url);
	pulled(t, "back_tx", t_neo4j_url());
	t_standin_stop(&si);
}
