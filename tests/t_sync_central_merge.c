/* t_sync_central_merge.c - central's merge where two devices did things
 * the other did not see (issue 4; each case was a divergence the
 * convergence test found): a child made for a parent deleted elsewhere,
 * an edge to a node deleted elsewhere, one id inserted on two devices,
 * and a delete central had already cascaded away. Devices and central
 * must end the same, and no push may be refused for good. */
#include <stdlib.h>
#include <string.h>

#include "t_sync_pg.h"

/* homes <- kids (cascade) <- toys (set null), all scoped by family; a
 * lww label and type. Names sort so homes merge before kids. */
static const char mg_schema[] =
	"{\"schema\": \"mg\", \"version\": 1,\n"
	" \"tables\": {\n"
	"  \"homes\": {\"columns\": {\n"
	"   \"id\": {\"type\": \"uuid\", \"primary_key\": true},\n"
	"   \"fam\": {\"type\": \"text\", \"not_null\": true},\n"
	"   \"title\": {\"type\": \"text\"}},\n"
	"   \"sync\": {\"conflict\": \"lww\", \"scope\": {\"name\": \"family\", "
	"\"column\": \"fam\"}}},\n"
	"  \"kids\": {\"columns\": {\n"
	"   \"id\": {\"type\": \"uuid\", \"primary_key\": true},\n"
	"   \"fam\": {\"type\": \"text\", \"not_null\": true},\n"
	"   \"home_id\": {\"type\": \"uuid\", \"references\": {\"table\": "
	"\"homes\", \"on_delete\": \"cascade\"}}},\n"
	"   \"sync\": {\"conflict\": \"lww\", \"scope\": {\"name\": \"family\", "
	"\"column\": \"fam\"}}},\n"
	"  \"toys\": {\"columns\": {\n"
	"   \"id\": {\"type\": \"uuid\", \"primary_key\": true},\n"
	"   \"fam\": {\"type\": \"text\", \"not_null\": true},\n"
	"   \"kid_id\": {\"type\": \"uuid\", \"references\": {\"table\": "
	"\"kids\", \"on_delete\": \"set_null\"}}},\n"
	"   \"sync\": {\"conflict\": \"lww\", \"scope\": {\"name\": \"family\", "
	"\"column\": \"fam\"}}}},\n"
	" \"nodes\": {\"Place\": {\"columns\": {\n"
	"   \"id\": {\"type\": \"uuid\", \"primary_key\": true},\n"
	"   \"name\": {\"type\": \"text\"}}}},\n"
	" \"relationships\": {\"NEAR\": {\"from\": \"Place\", \"to\": "
	"\"Place\", \"properties\": {\"km\": {\"type\": \"real\"}}}}}\n";

#define H1 "0190b000-0000-7000-8000-0000000000a1"
#define K1 "0190b000-0000-7000-8000-0000000000b1"
#define K2 "0190b000-0000-7000-8000-0000000000b2"
#define T1 "0190b000-0000-7000-8000-0000000000c1"
#define P1 "0190b000-0000-7000-8000-0000000000d1"
#define P2 "0190b000-0000-7000-8000-0000000000d2"

static int setup(struct t *t, struct central *c, struct device *a,
		 struct device *b)
{
	if (central_up_schema(t, c, "mg.json", mg_schema) != 0 ||
	    device_up(t, c, a, "a", "--scope family=smith") != 0 ||
	    device_up(t, c, b, "b", "--scope family=smith") != 0)
		return -1;
	return 0;
}

/* One row of central's answer to sql, or "(error) ...". */
static const char *central(char out[4096], const struct central *c,
			   const char *sql)
{
	char *text = NULL;

	if (t_pg_psql(&text, c->db, T_PG_ADMIN, NULL, sql) != 0 || !text)
		snprintf(out, 4096, "(error) %s", text ? text : "");
	else
		snprintf(out, 4096, "%s", text);
	free(text);
	return out;
}

static void sync_ok(struct t *t, const struct device *d)
{
	char *out = NULL;

	if (on(&out, d, "sync") != 0)
		t_fail(t, __FILE__, __LINE__, "%s: sync: %s", d->name, out);
	free(out);
}

/* B makes a kid and a toy for what A deletes meanwhile. Central had A's
 * delete first: its foreign keys would refuse B's push for good.
 * Instead the kid goes (cascade) and the toy's reference is set null,
 * as on every device; B's entries stay in central's log. */
void test_sync_central_merge_orphans(struct t *t)
{
	struct central c;
	struct device a, b;
	char ra[4096], rb[4096], v[4096];

	if (setup(t, &c, &a, &b) != 0)
		return;
	CHECK_EQ(on(NULL, &a, "sql \"INSERT INTO homes VALUES ('" H1 "', "
		    "'smith', 'h'); INSERT INTO kids VALUES ('" K1 "', 'smith', "
		    "'" H1 "')\""), 0);
	sync_ok(t, &a);
	sync_ok(t, &b);
	CHECK_EQ(on(NULL, &a, "sql \"DELETE FROM homes WHERE id = '" H1 "'\""),
		 0);
	sync_ok(t, &a);
	CHECK_EQ(on(NULL, &b, "sql \"INSERT INTO kids VALUES ('" K2 "', "
		    "'smith', '" H1 "'); INSERT INTO toys VALUES ('" T1 "', "
		    "'smith', '" K1 "')\""), 0);
	sync_ok(t, &b);
	CHECK_STR(central(v, &c, "SELECT (SELECT count(*) FROM kids) || ' ' || "
			  "(SELECT count(*) || ':' || count(kid_id) FROM toys) "
			  "|| ' ' || (SELECT string_agg(tbl || op, ' ' ORDER BY "
			  "sseq) FROM outpost.changes WHERE device LIKE '%b')"),
		  "0 1:0 kidsI toysI\n");
	sync_ok(t, &a);
	sync_ok(t, &b);
	rows(ra, sizeof(ra), &a, "SELECT (SELECT count(*) FROM kids) AS k, "
	     "id, kid_id FROM toys");
	CHECK_STR(rows(rb, sizeof(rb), &b, "SELECT (SELECT count(*) FROM kids) "
		       "AS k, id, kid_id FROM toys"), ra);
	CHECK_STR(ra, "k,id,kid_id\n0," T1 ",\n");
	CHECK_EQ(on(NULL, &b, "sql \"INSERT INTO toys VALUES ("
		    "'0190b000-0000-7000-8000-0000000000c2', 'smith', NULL)\""),
		 0);
	sync_ok(t, &b); /* the next push goes through */
}

/* B links to a place A deleted: central does not keep the edge, as no
 * device does. */
void test_sync_central_merge_edge_end_gone(struct t *t)
{
	struct central c;
	struct device a, b;
	char v[4096], *out = NULL;

	if (setup(t, &c, &a, &b) != 0)
		return;
	CHECK_EQ(on(NULL, &a, "sql \"INSERT INTO Place VALUES ('" P1 "', "
		    "'x'), ('" P2 "', 'y')\""), 0);
	sync_ok(t, &a);
	sync_ok(t, &b);
	CHECK_EQ(on(NULL, &a, "sql \"DELETE FROM Place WHERE id = '" P2 "'\""),
		 0);
	sync_ok(t, &a);
	CHECK_EQ(on(&out, &b, "graph edge add NEAR " P1 " " P2), 0);
	free(out);
	sync_ok(t, &b);
	CHECK_STR(central(v, &c, "SELECT (SELECT count(*) FROM outpost.edges) "
			  "|| ' ' || (SELECT count(*) FROM outpost.changes "
			  "WHERE tbl = 'NEAR')"), "0 1\n");
	sync_ok(t, &a);
	sync_ok(t, &b);
	CHECK_EQ(on(&out, &b, "graph edges"), 0);
	CHECK(out && !strstr(out, "NEAR"));
	free(out);
}

/* One id inserted on both devices, B first: A's later insert wins
 * everywhere, whichever reached central first. */
void test_sync_central_merge_same_id(struct t *t)
{
	struct central c;
	struct device a, b;
	char ra[4096], rb[4096], v[4096];

	if (setup(t, &c, &a, &b) != 0)
		return;
	CHECK_EQ(on(NULL, &b, "sql \"INSERT INTO homes VALUES ('" H1 "', "
		    "'smith', 'older')\""), 0);
	CHECK_EQ(on(NULL, &a, "sql \"INSERT INTO homes VALUES ('" H1 "', "
		    "'smith', 'newer')\""), 0);
	sync_ok(t, &a);
	sync_ok(t, &b);
	CHECK_STR(central(v, &c, "SELECT title FROM homes"), "newer\n");
	sync_ok(t, &a);
	rows(ra, sizeof(ra), &a, "SELECT title FROM homes");
	CHECK_STR(rows(rb, sizeof(rb), &b, "SELECT title FROM homes"), ra);
	CHECK_STR(ra, "title\nnewer\n");
}

/* A deletes a kid and its home in one batch. Central merges homes first,
 * whose delete cascades the kid away before the kid's own delete is
 * merged: that delete is still logged in the family's scope (with none,
 * no device would see it). */
void test_sync_central_merge_cascaded_scope(struct t *t)
{
	struct central c;
	struct device a, b;
	char v[4096];

	if (setup(t, &c, &a, &b) != 0)
		return;
	CHECK_EQ(on(NULL, &a, "sql \"INSERT INTO homes VALUES ('" H1 "', "
		    "'smith', 'h'); INSERT INTO kids VALUES ('" K1 "', 'smith', "
		    "'" H1 "')\""), 0);
	sync_ok(t, &a);
	CHECK_EQ(on(NULL, &a, "sql \"DELETE FROM kids WHERE id = '" K1 "'; "
		    "DELETE FROM homes WHERE id = '" H1 "'\""), 0);
	sync_ok(t, &a);
	CHECK_STR(central(v, &c, "SELECT string_agg(tbl || op || ' ' || "
			  "coalesce(scope_value, '-'), ', ' ORDER BY sseq) FROM "
			  "outpost.changes WHERE op = 'D'"),
		  "kidsD smith, homesD smith\n");
}

static int lines(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return s ? n : -1;
}

/* Places p0..p29 in a ring of NEAR edges, and ten chords. */
static int write_graph(struct t *t, char *nodes, char *rels)
{
	char text[4096];
	size_t len = 0;
	int i;

	t_path(nodes, t, "places.csv");
	t_path(rels, t, "near.csv");
	len += (size_t)snprintf(text, sizeof(text), "id:ID,name,:LABEL\n");
	for (i = 0; i < 30; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"p%d,place %d,Place\n", i, i);
	if (t_write(nodes, text) != 0)
		return -1;
	len = (size_t)snprintf(text, sizeof(text),
			       ":START_ID,:END_ID,:TYPE,km:float\n");
	for (i = 0; i < 40; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"p%d,p%d,NEAR,%d.5\n", i % 30,
					i < 30 ? (i + 1) % 30 : (i * 7) % 30,
					i);
	return t_write(rels, text);
}

/* A bulk import is one log entry; its push is a change per node and
 * edge, over as many batches as the bound makes, resumed from the change
 * where a failure stopped it, each change applied and logged once. */
void test_sync_central_merge_import(struct t *t)
{
	struct central c;
	struct device a, b;
	char v[4096], nodes[512], rels[512], args[1200], *out = NULL;

	if (setup(t, &c, &a, &b) != 0 || write_graph(t, nodes, rels) != 0)
		return;
	snprintf(args, sizeof(args), "import --nodes '%s' --relationships "
		 "'%s'", nodes, rels);
	CHECK_EQ(on(&out, &a, args), 0);
	free(out);
	/* Central refuses the 15th place: the push stops inside the
	 * import, after two batches of 7. */
	CHECK_STR(central(v, &c, "CREATE FUNCTION stop15() RETURNS trigger "
			  "LANGUAGE plpgsql AS $$ BEGIN IF (SELECT count(*) "
			  "FROM public.\"Place\") >= 14 THEN RAISE EXCEPTION 'full'; "
			  "END IF; RETURN NEW; END $$; CREATE TRIGGER stop15 "
			  "BEFORE INSERT ON \"Place\" FOR EACH ROW EXECUTE "
			  "FUNCTION stop15(); SELECT 1"), "1\n");
	CHECK_EQ(on(&out, &a, "sync --batch 7"), 1);
	CHECK_HAS(out, "full");
	free(out);
	CHECK_STR(central(v, &c, "DROP TRIGGER stop15 ON \"Place\"; SELECT "
			  "count(*) || ' ' || (SELECT pushed_sub FROM "
			  "outpost.devices WHERE name LIKE '%a') FROM "
			  "\"Place\""), "14 13\n");
	CHECK_EQ(on(&out, &a, "sync --batch 7"), 0);
	CHECK_STR(out, "synced: pushed 56, pulled 0 (8 batches)\n");
	free(out);
	CHECK_STR(central(v, &c, "SELECT (SELECT count(*) FROM \"Place\") || "
			  "' ' || (SELECT count(*) FROM outpost.edges) || ' ' || "
			  "(SELECT count(*) || ' ' || count(DISTINCT row_id) "
			  "FROM outpost.changes) || ' ' || (SELECT sum((props->>"
			  "'km')::numeric) FROM outpost.edges)"),
		  "30 40 70 70 800.0\n");
	/* A device that lost its cursor sends nothing again. */
	CHECK_EQ(on(NULL, &a, "sql \"UPDATE _outpost_cursors SET seq = 0 "
		    "WHERE consumer = 'pg_push'\""), 0);
	CHECK_EQ(on(&out, &a, "sync"), 0);
	CHECK_STR(out, "synced: pushed 0, pulled 0 (0 batches)\n");
	free(out);
	CHECK_EQ(on(&out, &b, "sync"), 0);
	CHECK_STR(out, "synced: pushed 0, pulled 70 (1 batch)\n");
	free(out);
	CHECK_STR(rows(v, sizeof(v), &b, "SELECT count(*) AS n FROM Place"),
		  "n\n30\n");
	CHECK_EQ(on(&out, &b, "graph edges --type NEAR"), 0);
	CHECK_EQ(lines(out), 40);
	free(out);
}

/* A row central removed without an entry of its own (here an orphan)
 * keeps its scope: B's later delete of it, in a batch of its own, is
 * logged in B's family, so that family's devices see it. */
void test_sync_central_merge_removed_scope(struct t *t)
{
	struct central c;
	struct device a, b;
	char v[4096], *out = NULL;

	if (setup(t, &c, &a, &b) != 0)
		return;
	CHECK_EQ(on(NULL, &a, "sql \"INSERT INTO homes VALUES ('" H1 "', "
		    "'smith', 'h')\""), 0);
	sync_ok(t, &a);
	sync_ok(t, &b);
	CHECK_EQ(on(NULL, &a, "sql \"DELETE FROM homes WHERE id = '" H1 "'\""),
		 0);
	sync_ok(t, &a);
	CHECK_EQ(on(NULL, &b, "sql \"INSERT INTO kids VALUES ('" K2 "', "
		    "'smith', '" H1 "'); DELETE FROM kids WHERE id = '" K2 "'\""),
		 0);
	CHECK_EQ(on(&out, &b, "sync --batch 1"), 0);
	free(out);
	CHECK_STR(central(v, &c, "SELECT string_agg(op || ' ' || coalesce("
			  "scope_value, '-'), ', ' ORDER BY sseq) FROM "
			  "outpost.changes WHERE row_id = '" K2 "'"),
		  "I smith, D smith\n");
}
