/* t_neo4j_sink_faults.c - issue 5's error matrix for the Neo4j mirror,
 * end to end: a store's `outpost sync` through the sink (sync/
 * neo4j_sink.c) to the run's real Neo4j 3.1.1 behind the Query API v2
 * stand-in and its fault switches (tests/neo4j/faults.mjs); the errors
 * the real server makes itself are in t_neo4j_sink_real.c. Each case
 * asserts what a user sees: the return code and message (or the CLI's
 * exit status and text), the neo4j_push cursor, `status`'s last error,
 * what Neo4j holds (t_n4_dump against a clean push of a copy of the
 * same store), how often a statement was sent, and that the next sync
 * after the cause is gone converges. Helpers: neo4j_faults_fix.c. */
#include <stdlib.h>
#include <unistd.h>

#include "neo4j_faults_fix.h"

/* Retried inside one sync: the push completes, Neo4j holds exactly
 * what a clean push gives, nothing doubled by a retried write that had
 * run (execute: true), and every rule was used. */
void test_neo4j_sink_faults_transient(struct t *t)
{
	static const struct {
		const char *name, *rules;
	} cases[] = {
		/* what the client retries: 5xx, Neo.TransientError.*, 202
		 * with a transient error (rolled back), a 500 that is not
		 * Neo4j's (no code: a proxy's), a connection reset before or
		 * after the statement ran, an answer cut or truncated after
		 * it ran; on statements of every kind, and hello's */
		{"503 twice", "{\"fault\": \"status\", \"status\": 503, "
		 "\"count\": 2, \"match\": \"UNWIND\"}"},
		{"TransientError", "{\"fault\": \"status\", \"status\": 503, "
		 "\"code\": \"Neo.TransientError.Transaction."
		 "DeadlockDetected\", \"match\": \"MERGE (n:`Word`\"}"},
		{"202 transient", "{\"fault\": \"error202\", \"partial\": true,"
		 " \"code\": \"Neo.TransientError.Transaction.Outdated\", "
		 "\"match\": \"MERGE (a)-[e:`ABOUT`\"}"},
		{"proxy 500", "{\"fault\": \"status\", \"status\": 500, "
		 "\"code\": \"\", \"message\": \"Bad gateway\", \"match\": "
		 "\"UNWIND\"}"},
		{"reset", "{\"fault\": \"reset\", \"execute\": false, "
		 "\"match\": \"MERGE (n:`Word`\"}"},
		{"reset ran", "{\"fault\": \"reset\", \"match\": "
		 "\"MERGE (a)-[e:`NEXT`\"}"},
		{"cut ran", "{\"fault\": \"cut\", \"after_bytes\": 5, "
		 "\"match\": \"MERGE (n:`Topic`\"}"},
		{"truncate ran", "{\"fault\": \"truncate\", \"count\": 2, "
		 "\"match\": \"DETACH DELETE\"}"},
		{"all at once", "{\"fault\": \"cut\", \"match\": "
		 "\"MERGE (a)-[e:`ABOUT`\"}, {\"fault\": \"truncate\", \"match\": "
		 "\"MERGE (n:`Word`\"}, {\"fault\": \"reset\", \"match\": "
		 "\"SET m.name\"}"},
	};
	struct t_standin si;
	char *want = NULL;
	long long clean = 0;
	size_t i;

	alarm(240);
	CHECK(t_neo4j_start(t) == 0);
	CHECK_EQ(t_standin_start(t, &si, NULL), 0);
	CHECK_EQ(nf_template(t, si.url), 0);
	CHECK((want = nf_expected(t, "tpl", &si, &clean)) != NULL);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char rules[1024], *got;
		outpost_sync_result r;
		outpost_sink_status s;
		long long q0 = nf_stat(&si, "queries");
		outpost *db;

		fprintf(stderr, "  case %s\n", cases[i].name);
		CHECK_EQ(t_neo4j_wipe(t), 0);
		CHECK((db = nf_copy(t, "tpl", "case")) != NULL);
		snprintf(rules, sizeof(rules), "{\"rules\": [%s]}",
			 cases[i].rules);
		CHECK_EQ(t_standin_faults(&si, rules), 0);
		CHECK_OK(db, nf_sync(db, 0, &r));
		CHECK_EQ(r.neo4j_pushed, NF_CHANGES);
		CHECK_EQ(nf_stat(&si, "left"), 0); /* every fault happened */
		CHECK(nf_stat(&si, "queries") - q0 > clean);
		CHECK_OK(db, nf_status(db, &s));
		CHECK_EQ(s.pending, 0);
		CHECK_EQ(s.push_seq, nf_nth_seq(db, NF_CHANGES));
		CHECK_STR(s.last_error, "");
		got = t_n4_dump(t);
		if (!got || strcmp(got, want) != 0)
			t_fail(t, __FILE__, __LINE__, "%s: Neo4j holds\n%s\n"
			       "want\n%s", cases[i].name, got ? got : "",
			       want);
		free(got);
		outpost_close(db);
		if (t->failed)
			break;
	}
	free(want);
	t_standin_stop(&si);
}

/* A transient fault that does not pass: retried a bounded number of
 * times, then the sync fails as transient, the cursor stays before the
 * batch that failed, status says why; the next sync converges. With
 * execute: true every retry ran: still nothing doubled. */
static void exhausted(struct t *t, const char *fault, const char *why,
		      int ran)
{
	struct t_standin si;
	outpost_sync_result r;
	outpost_sink_status s;
	char rules[512], *want = NULL, *got, *out = NULL;
	outpost *db;
	long long q0;

	alarm(180);
	CHECK(t_neo4j_start(t) == 0);
	CHECK_EQ(t_standin_start(t, &si, NULL), 0);
	CHECK_EQ(nf_template(t, si.url), 0);
	CHECK((want = nf_expected(t, "tpl", NULL, NULL)) != NULL);
	CHECK((db = nf_copy(t, "tpl", "case")) != NULL);
	snprintf(rules, sizeof(rules), "{\"rules\": [{%s, \"count\": 100, "
		 "\"match\": \"MERGE (a)-[e:`ABOUT`\"}]}", fault);
	CHECK_EQ(t_standin_faults(&si, rules), 0);
	q0 = nf_stat(&si, "queries");
	/* batches of 3: topics, words go; edges fail */
	CHECK_RC(nf_sync(db, 3, &r), OUTPOST_ENET);
	CHECK_EQ(r.transient, 1);
	CHECK_HAS(outpost_errmsg(db), why);
	CHECK_HAS(outpost_errmsg(db), "gave up after 5 tries");
	/* bounded: max_tries (5); libcurl itself sends a request once more
	 * when a kept-alive connection died before any answer */
	CHECK(100 - nf_stat(&si, "left") >= 5);
	CHECK(100 - nf_stat(&si, "left") <= 6);
	CHECK(nf_stat(&si, "queries") - q0 < 20);
	CHECK_EQ(r.neo4j_pushed, 6);
	CHECK_OK(db, nf_status(db, &s));
	CHECK_EQ(s.push_seq, nf_nth_seq(db, 6));
	CHECK_EQ(s.pending, NF_CHANGES - 6);
	CHECK_HAS(s.last_error, why);
	CHECK_EQ(t_neo4j_int(t, "MATCH (n) WHERE n:Word OR n:Topic RETURN "
			     "count(n)"), 6);
	/* what ran, ran once, and is sent again all the same */
	CHECK_EQ(t_neo4j_int(t, "MATCH ()-[e:ABOUT]->() RETURN count(e)"),
		 ran ? 2 : 0);
	outpost_close(db);
	/* the CLI says so too, and exits 1 */
	CHECK_EQ(nf_cli(t, &out, "case", "status"), 0);
	CHECK_HAS(out, "last error push: neo4j: ");
	CHECK_HAS(out, why);
	free(out);
	CHECK_EQ(nf_cli(t, &out, "case", "sync --batch 3"), 1);
	CHECK_HAS(out, why);
	free(out);
	/* the cause goes: the next sync converges */
	CHECK_EQ(t_standin_faults(&si, "{\"rules\": []}"), 0);
	CHECK_EQ(nf_cli(t, &out, "case", "sync --batch 3"), 0);
	CHECK_HAS(out, "neo4j: pushed 5");
	free(out);
	CHECK((db = nf_open(t, "case")) != NULL);
	CHECK_OK(db, nf_status(db, &s));
	CHECK_EQ(s.pending, 0);
	CHECK_STR(s.last_error, "");
	outpost_close(db);
	got = t_n4_dump(t);
	CHECK_STR(got, want);
	free(got);
	free(want);
	t_standin_stop(&si);
}

void test_neo4j_sink_faults_exhausted_503(struct t *t)
{
	exhausted(t, "\"fault\": \"status\", \"status\": 503",
		  "DatabaseUnavailable", 0);
}

void test_neo4j_sink_faults_exhausted_reset(struct t *t)
{
	exhausted(t, "\"fault\": \"reset\"", "reset by peer", 1);
}

/* Refused: not retried (the rule is used once), the sync fails as not
 * transient with the server's code in the message, the cursor stays,
 * status says why, and Neo4j holds what it held before (a 202 with
 * errors is a failure even with the data of the rows so far; its
 * statement ran and was rolled back). Once the cause is gone the next
 * sync converges. */
void test_neo4j_sink_faults_refused(struct t *t)
{
	static const struct {
		const char *name, *rule, *code;
		int first; /* the first statement of the sync: nothing ran */
	} cases[] = {
		{"400 syntax", "\"fault\": \"status\", \"status\": 400, "
		 "\"match\": \"UNWIND\"", "Neo.ClientError.Statement."
		 "SyntaxError", 1},
		{"500 DatabaseError", "\"fault\": \"status\", \"status\": 500, "
		 "\"match\": \"UNWIND\"", "Neo.DatabaseError.General."
		 "UnknownError", 1},
		{"202 errors and data", "\"fault\": \"error202\", \"partial\": "
		 "true, \"match\": \"RETURN m.name\"", "Neo.ClientError."
		 "Statement.ArithmeticError", 1},
		{"202 errors alone", "\"fault\": \"error202\", \"partial\": "
		 "false, \"match\": \"UNWIND\"", "Neo.ClientError.Statement."
		 "ArithmeticError", 1},
		{"202 rolled back", "\"fault\": \"error202\", \"partial\": "
		 "true, \"match\": \"MERGE (n:`Topic`\"", "Neo.ClientError."
		 "Schema.ConstraintValidationFailed", 0},
	};
	struct t_standin si;
	char *v1 = NULL, *v2 = NULL;
	size_t i;

	alarm(240);
	CHECK(t_neo4j_start(t) == 0);
	CHECK_EQ(t_standin_start(t, &si, NULL), 0);
	CHECK_EQ(nf_stage(t, si.url, &v1, &v2), 0);
	for (i = 0; !t->failed && i < sizeof(cases) / sizeof(cases[0]); i++) {
		char rules[512], *got = NULL;
		outpost_sync_result r;
		outpost_sink_status s, s0;
		outpost *db;

		fprintf(stderr, "  case %s\n", cases[i].name);
		CHECK_EQ(t_standin_faults(&si, "{\"rules\": []}"), 0);
		CHECK_EQ(nf_restore(t), 0);
		CHECK((db = nf_copy(t, "tpl2", "case")) != NULL);
		CHECK_OK(db, nf_status(db, &s0));
		snprintf(rules, sizeof(rules), "{\"rules\": [{%s, \"count\": "
			 "100, \"code\": \"%s\"}]}", cases[i].rule,
			 cases[i].code);
		CHECK_EQ(t_standin_faults(&si, rules), 0);
		CHECK_RC(nf_sync(db, 0, &r), OUTPOST_EREFUSED);
		CHECK_EQ(r.transient, 0);
		CHECK_EQ(r.neo4j_pushed, 0);
		CHECK_HAS(outpost_errmsg(db), cases[i].code);
		CHECK_EQ(nf_stat(&si, "left"), 99); /* sent once */
		CHECK_OK(db, nf_status(db, &s));
		CHECK_EQ(s.push_seq, s0.push_seq);
		CHECK_EQ(s.pending, s0.pending);
		CHECK_HAS(s.last_error, cases[i].code);
		/* the failing statement left nothing, nor what comes after
		 * it; on the Query API each statement before it committed
		 * (its own transaction: PROTOCOL.md "Neo4j", Batches) */
		CHECK_EQ(t_neo4j_int(t, "MATCH (n {uuid: '" NF_W("04") "'}) "
				     "RETURN count(n)"), 0);
		CHECK_EQ(t_neo4j_int(t, "MATCH (n:Word {word: 'moss'}) RETURN "
				     "count(n)"), cases[i].first ? 0 : 1);
		got = t_n4_dump(t);
		if (cases[i].first)
			CHECK_STR(got, v1);
		free(got);
		/* again: refused again, sent once more, nothing moves */
		CHECK_RC(nf_sync(db, 0, &r), OUTPOST_EREFUSED);
		CHECK_EQ(nf_stat(&si, "left"), 98);
		CHECK_EQ(t_standin_faults(&si, "{\"rules\": []}"), 0);
		CHECK_OK(db, nf_sync(db, 0, &r));
		CHECK_EQ(r.neo4j_pushed, s0.pending);
		CHECK_OK(db, nf_status(db, &s));
		CHECK_EQ(s.pending, 0);
		CHECK_STR(s.last_error, "");
		got = t_n4_dump(t);
		CHECK_STR(got, v2);
		free(got);
		outpost_close(db);
	}
	free(v1);
	free(v2);
	t_standin_stop(&si);
}

/* The CLI's sync, failing: exit 1, the cause named, sent once (the
 * stand-in got discovery and one query request), nothing in Neo4j;
 * status shows the error. */
static void cli_refused(struct t *t, struct t_standin *si, const char *cause)
{
	char *out = NULL;
	long long q0 = nf_stat(si, "requests");

	CHECK_EQ(nf_cli(t, &out, "case", "sync"), 1);
	CHECK_HAS(out, cause);
	CHECK(strstr(out, "pushed") == NULL);
	CHECK(strstr(out, "s3cret-but-wrong") == NULL);
	free(out);
	/* GET /, one POST, and this look at the state */
	CHECK_EQ(nf_stat(si, "requests") - q0, 3);
	CHECK_EQ(t_neo4j_int(t, "MATCH (n) RETURN count(n)"), 0);
	CHECK_EQ(nf_cli(t, &out, "case", "status"), 0);
	CHECK_HAS(out, "pending    11 changes to push");
	CHECK_HAS(out, "last error hello: neo4j: ");
	CHECK_HAS(out, cause);
	free(out);
}

/* The cause gone, the next sync pushes it all; status is clean. */
static void cli_converges(struct t *t, const char *want)
{
	char *out = NULL, *got;

	CHECK_EQ(nf_cli(t, &out, "case", "sync"), 0);
	CHECK_HAS(out, "neo4j: pushed 11");
	free(out);
	CHECK_EQ(nf_cli(t, &out, "case", "status"), 0);
	CHECK_HAS(out, "pending    0 changes to push");
	CHECK_HAS(out, "last error none");
	free(out);
	got = t_n4_dump(t);
	CHECK_STR(got, want);
	free(got);
}

/* 401 (a wrong password) and 404 (no such database) through the Query
 * API, with the CLI. */
void test_neo4j_sink_faults_auth_database(struct t *t)
{
	struct t_standin si;
	char *want = NULL, *out = NULL, pw[512], args[1024];
	outpost *db;

	alarm(120);
	CHECK(t_neo4j_start(t) == 0);
	CHECK_EQ(t_standin_start(t, &si, NULL), 0);
	CHECK_EQ(nf_template(t, si.url), 0);
	CHECK((want = nf_expected(t, "tpl", NULL, NULL)) != NULL);
	CHECK((db = nf_copy(t, "tpl", "case")) != NULL);
	outpost_close(db);
	setenv("OUTPOST_NEO4J_PASSWORD", "s3cret-but-wrong", 1);
	cli_refused(t, &si, "Neo.ClientError.Security.Unauthorized");
	if (t->failed)
		goto done;
	cli_refused(t, &si, "HTTP 401");
	unsetenv("OUTPOST_NEO4J_PASSWORD");
	cli_converges(t, want);
	if (t->failed)
		goto done;
	/* a database the server does not have */
	CHECK_EQ(t_neo4j_wipe(t), 0);
	CHECK((db = nf_copy(t, "tpl", "case")) != NULL);
	outpost_close(db);
	t_path(pw, t, "neo4j.pw");
	snprintf(args, sizeof(args), "remote set --neo4j %s --database nosuch "
		 "--password-file %s", si.url, pw);
	CHECK_EQ(nf_cli(t, &out, "case", args), 0);
	free(out);
	cli_refused(t, &si, "Neo.ClientError.Database.DatabaseNotFound");
	snprintf(args, sizeof(args), "remote set --neo4j %s --password-file "
		 "%s", si.url, pw);
	CHECK_EQ(nf_cli(t, &out, "case", args), 0);
	free(out);
	cli_converges(t, want);
done:
	free(want);
	t_standin_stop(&si);
}
