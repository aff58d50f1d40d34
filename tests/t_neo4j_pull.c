/* t_neo4j_pull.c - `outpost pull --neo4j` (src/api_neo4j_pull*.c,
 * sync/neo4j_pull.c) on the real Neo4j 3.1.1: nodes and relationships
 * authored by hand with Cypher (some without a uuid) come into the
 * store through its change log, their uuids are written back, a second
 * pull changes nothing, a change and a removal in Neo4j are followed,
 * and a name outside the schema is refused. */
#include <stdlib.h>
#include <sys/stat.h>

#include "neo4j_sink_fix.h"

#define P(x) "0190c000-0000-7000-8000-0000000000" x

/* A store made by the CLI in the test's directory, its mirror set. */
static int cli_store(struct t *t, char dir[512])
{
	char schema[512], pw[512];

	t_path(dir, t, "store");
	t_path(schema, t, "mirror.json");
	t_path(pw, t, "pw");
	if (t_write(schema, t_n4_schema) != 0 ||
	    t_write(pw, t_neo4j_password()) != 0 || chmod(pw, 0600) != 0)
		return -1;
	if (t_sh(NULL, "%s -d %s init --schema %s", t_bin(), dir, schema) != 0)
		return -1;
	return t_sh(NULL, "%s -d %s remote set --neo4j %s --database neo4j "
		    "--user neo4j --password-file %s", t_bin(), dir,
		    t_neo4j_url(), pw);
}

static int count_change(void *ctx, const outpost_change *c)
{
	(void)c;
	(*(long long *)ctx)++;
	return 0;
}

static long long logged(outpost *db, const char *table, char op)
{
	outpost_log_filter f = OUTPOST_LOG_FILTER_INIT;
	long long n = 0;

	f.table = table;
	f.op = op;
	return outpost_log_each(db, &f, count_change, &n) == OUTPOST_OK ? n
									: -1;
}

#define PULL "%s -d %s pull --neo4j --labels Word Topic --types ABOUT"

void test_neo4j_pull_cli(struct t *t)
{
	char dir[512], *out = NULL, *row, q[256], text[T_TEXT_MAX];
	outpost *db = NULL;

	CHECK(t_neo4j_start(t) == 0 && t_neo4j_wipe(t) == 0);
	CHECK_EQ(cli_store(t, dir), 0);
	/* authored by hand: two nodes and a relationship without uuids, an
	 * undeclared property, a value in upper case */
	CHECK_EQ(t_neo4j_cypher(t, NULL, "CREATE (a:Topic {uuid: $a, name: "
				"'animals'}), (p:Topic {name: 'plants'}), "
				"(c:Word {uuid: $c, word: 'cat', rank: 7, ok: "
				"true, tags: ['x', 'y'], color: 'red'}), "
				"(d:Word {word: 'dog', rank: 8}), "
				"(c)-[:ABOUT {uuid: $e, weight: 0.5, note: "
				"'n'}]->(a), (d)-[:ABOUT {weight: 1.5}]->(p)",
				"{\"a\": \"" P("01") "\", \"c\": \"" P("02")
				"\", \"e\": \"" P("03") "\"}"), 0);
	CHECK_EQ(t_sh(&out, PULL, t_bin(), dir), 0);
	CHECK_HAS(out, "pulled from neo4j: 4 nodes (4 new, 0 changed, 0 "
		  "removed), 2 relationships (2 new, 0 changed, 0 removed)");
	CHECK_HAS(out, "uuids given in neo4j: 3");
	CHECK_HAS(out, "1 undeclared properties skipped (first: Word "
		  P("02") ": color)");
	free(out);
	/* uuids written back, deterministic and the same in the store */
	CHECK_EQ(t_neo4j_int(t, "MATCH (n) WHERE n.uuid IS NULL RETURN "
			     "count(n)"), 0);
	CHECK_EQ(t_neo4j_int(t, "MATCH ()-[e]->() WHERE e.uuid IS NULL "
			     "RETURN count(e)"), 0);
	CHECK((row = t_n4_row(t, "MATCH (n:Word {word: 'dog'}) RETURN "
			      "n.uuid")) != NULL);
	CHECK_EQ(strlen(row), 40u);
	CHECK_EQ(outpost_open(&db, dir, NULL), OUTPOST_OK);
	snprintf(q, sizeof(q), "SELECT word || ':' || rank FROM Word WHERE "
		 "id = '%.36s'", row + 2);
	free(row);
	CHECK_STR(t_text(db, q, text), "dog:8");
	CHECK_STR(t_text(db, "SELECT word || rank || ok || tags FROM Word "
			 "WHERE id = '" P("02") "'", text),
		  "cat71[\"x\",\"y\"]");
	CHECK_EQ(t_int(db, "SELECT count(*) FROM Topic"), 2);
	CHECK_EQ(t_edges(db, "ABOUT"), 2);
	/* through the change log */
	CHECK_EQ(logged(db, "Word", 'I'), 2);
	CHECK_EQ(logged(db, "ABOUT", 'I'), 2);
	outpost_close(db);
	db = NULL;

	/* a second pull changes nothing */
	CHECK_EQ(t_sh(&out, PULL, t_bin(), dir), 0);
	CHECK_HAS(out, "4 nodes (0 new, 0 changed, 0 removed), 2 "
		  "relationships (0 new, 0 changed, 0 removed)");
	CHECK(strstr(out, "uuids given") == NULL);
	free(out);

	/* a change and a removal in Neo4j */
	CHECK_EQ(t_neo4j_cypher(t, NULL, "MATCH (c:Word {word: 'cat'})-[e]->() "
				"SET c.rank = 9, c.ok = false, e.note = 'm'",
				NULL), 0);
	CHECK_EQ(t_neo4j_cypher(t, NULL, "MATCH (d:Word {word: 'dog'}) "
				"DETACH DELETE d", NULL), 0);
	CHECK_EQ(t_sh(&out, PULL, t_bin(), dir), 0);
	CHECK_HAS(out, "3 nodes (0 new, 1 changed, 1 removed), 1 "
		  "relationships (0 new, 1 changed, 1 removed)");
	free(out);
	CHECK_EQ(outpost_open(&db, dir, NULL), OUTPOST_OK);
	CHECK_STR(t_text(db, "SELECT group_concat(word || rank || ok) FROM "
			 "Word", text), "cat90");
	CHECK_EQ(t_edges(db, "ABOUT"), 1);
	CHECK_EQ(logged(db, "Word", 'U'), 1);
	CHECK_EQ(logged(db, "Word", 'D'), 1);
	CHECK_EQ(logged(db, "ABOUT", 'U'), 1);
	CHECK_EQ(logged(db, "ABOUT", 'D'), 1);
	{
		char *report = NULL;

		CHECK_OK(db, outpost_graph_verify(&report, db));
		outpost_free(report);
	}
	outpost_close(db);
	db = NULL;
	CHECK_EQ(t_sh(&out, PULL, t_bin(), dir), 0);
	CHECK_HAS(out, "3 nodes (0 new, 0 changed, 0 removed), 1 "
		  "relationships (0 new, 0 changed, 0 removed)");
	free(out);
}

/* Names outside the schema (or of the wrong kind) are refused before
 * anything is contacted or written. */
void test_neo4j_pull_refuse(struct t *t)
{
	char dir[512], *out = NULL;

	CHECK(t_neo4j_start(t) == 0 && t_neo4j_wipe(t) == 0);
	CHECK_EQ(cli_store(t, dir), 0);
	CHECK_EQ(t_sh(&out, "%s -d %s pull --neo4j --labels Nope", t_bin(),
		      dir), 1);
	CHECK_HAS(out, "\"Nope\" is not a node label of the schema");
	free(out);
	CHECK_EQ(t_sh(&out, "%s -d %s pull --neo4j --labels notes", t_bin(),
		      dir), 1);
	CHECK_HAS(out, "\"notes\" is not a node label of the schema");
	free(out);
	CHECK_EQ(t_sh(&out, "%s -d %s pull --neo4j --types Word", t_bin(),
		      dir), 1);
	CHECK_HAS(out, "\"Word\" is not a relationship type of the schema");
	free(out);
	CHECK_EQ(t_sh(&out, "%s -d %s pull --neo4j --labels 'W`ord'",
		      t_bin(), dir), 1);
	CHECK_HAS(out, "is not a node label of the schema");
	free(out);
	CHECK_EQ(t_sh(&out, "%s -d %s pull --labels Word", t_bin(), dir), 2);
	free(out);
}

/* The same through the Query API v2 stand-in: uuids written back, the
 * snapshot taken, a second pull changes nothing. */
void test_neo4j_pull_v2(struct t *t)
{
	struct t_standin s;
	char dir[512], *out = NULL;

	memset(&s, 0, sizeof(s));
	CHECK(t_neo4j_start(t) == 0 && t_neo4j_wipe(t) == 0);
	CHECK_EQ(t_standin_start(t, &s, NULL), 0);
	CHECK_EQ(cli_store(t, dir), 0);
	CHECK_EQ(t_sh(NULL, "%s -d %s remote set --neo4j %s --database neo4j "
		      "--user neo4j", t_bin(), dir, s.url), 0);
	setenv("OUTPOST_NEO4J_PASSWORD", t_neo4j_password(), 1);
	CHECK_EQ(t_neo4j_cypher(t, NULL, "CREATE (a:Topic {name: 'animals'})"
				"<-[:ABOUT {note: 'n'}]-(c:Word {word: 'cat', "
				"rank: 7})", NULL), 0);
	CHECK_EQ(t_sh(&out, PULL, t_bin(), dir), 0);
	CHECK_HAS(out, "2 nodes (2 new, 0 changed, 0 removed), 1 "
		  "relationships (1 new, 0 changed, 0 removed)");
	CHECK_HAS(out, "uuids given in neo4j: 3");
	free(out);
	CHECK_EQ(t_neo4j_int(t, "MATCH (n) WHERE n.uuid IS NULL RETURN "
			     "count(n)"), 0);
	CHECK_EQ(t_sh(&out, PULL, t_bin(), dir), 0);
	CHECK_HAS(out, "2 nodes (0 new, 0 changed, 0 removed), 1 "
		  "relationships (0 new, 0 changed, 0 removed)");
	free(out);
	unsetenv("OUTPOST_NEO4J_PASSWORD");
	t_standin_stop(&s);
}
