/* t_verify.c - outpost_graph_verify(): a store is clean after every kind
 * of write (an import, which builds the CSR snapshot; single edges; node
 * rows from SQL), and each kind of damage is found and named: a node row
 * deleted or inserted behind capture's back, one direction of an edge's
 * adjacency or its uuid index entry lost, the CSR snapshot disagreeing
 * with the adjacency. A long report is cut at 100 lines. The damage is
 * done with sqlite3 and LMDB directly while the store is closed (LMDB
 * must not be open twice in one process). */
#include <errno.h>
#include <lmdb.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

static const char v_schema[] =
	"{\"schema\": \"verify\", \"version\": 1,\n"
	" \"nodes\": {\n"
	"  \"Person\": {\"columns\": {\n"
	"   \"id\": {\"type\": \"uuid\", \"primary_key\": true},\n"
	"   \"name\": {\"type\": \"text\"}}},\n"
	"  \"City\": {\"columns\": {\n"
	"   \"id\": {\"type\": \"uuid\", \"primary_key\": true},\n"
	"   \"name\": {\"type\": \"text\"}}}},\n"
	" \"relationships\": {\n"
	"  \"KNOWS\": {\"from\": \"Person\", \"to\": \"Person\"},\n"
	"  \"LIVES\": {\"from\": \"Person\", \"to\": \"City\"}}}\n";

#define P(n) "00000000-0000-7000-8000-00000000000" #n
#define CITY "00000000-0000-7000-8000-0000000000c1"

static const char people[] = "uuid:ID,name,:LABEL\n"
			     P(1) ",p1,Person\n"
			     P(2) ",p2,Person\n"
			     P(3) ",p3,Person\n"
			     P(4) ",p4,Person\n";
static const char cities[] = "uuid:ID,name,:LABEL\n" CITY ",Paris,City\n";
static const char links[] = ":START_ID,:END_ID,:TYPE\n"
			    P(1) "," P(2) ",KNOWS\n"
			    P(2) "," P(3) ",KNOWS\n"
			    P(3) "," P(1) ",KNOWS\n"
			    P(1) "," CITY ",LIVES\n"
			    P(4) "," CITY ",LIVES\n";

static int put(char path[512], struct t *t, const char *name,
	       const char *text)
{
	t_path(path, t, name);
	return t_write(path, text);
}

/* A store in t->dir/store with the small graph imported. */
static outpost *v_store(struct t *t)
{
	char d[512], s[512], p[512], c[512], e[512];
	const char *nf[2] = {p, c}, *ef[1] = {e};
	outpost *db = NULL;

	t_path(d, t, "store");
	if (put(s, t, "verify.json", v_schema) != 0 ||
	    put(p, t, "people.csv", people) != 0 ||
	    put(c, t, "cities.csv", cities) != 0 ||
	    put(e, t, "links.csv", links) != 0 ||
	    outpost_init(&db, d, NULL) != OUTPOST_OK ||
	    outpost_schema_apply(db, s) != OUTPOST_OK ||
	    outpost_import(db, nf, 2, ef, 1, NULL) != OUTPOST_OK) {
		fprintf(stderr, "setup: %s\n", outpost_errmsg(db));
		outpost_close(db);
		return NULL;
	}
	return db;
}

static outpost *reopen(struct t *t)
{
	char d[512];
	outpost *db = NULL;

	t_path(d, t, "store");
	if (outpost_open(&db, d, NULL) != OUTPOST_OK) {
		fprintf(stderr, "open: %s\n", outpost_errmsg(db));
		outpost_close(db);
		return NULL;
	}
	return db;
}

/* sql on the store's SQLite file from another client: with capture
 * (logged, but not yet applied to the graph) or with capture off
 * (applying = 2), as a client that bypasses the change log would. */
static int sql_from_outside(struct t *t, const char *sql, int capture)
{
	char path[512], script[2048], *err = NULL;
	sqlite3 *s = NULL;
	int rc;

	t_path(path, t, "store/store.db");
	snprintf(script, sizeof(script), "UPDATE _outpost_clock SET applying "
		 "= %d; %s; UPDATE _outpost_clock SET applying = 0;",
		 capture ? 0 : 2, sql);
	rc = sqlite3_open(path, &s);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s, script, NULL, NULL, &err);
	if (rc != SQLITE_OK)
		fprintf(stderr, "sql: %s\n", err ? err : sqlite3_errmsg(s));
	sqlite3_free(err);
	sqlite3_close(s);
	return rc;
}

static int raw_sql(struct t *t, const char *sql)
{
	return sql_from_outside(t, sql, 0);
}

/* The store's LMDB environment opened as adj_env.c opens it, in a write
 * txn, with the named database db (its flags as adj_env.c gives them). */
struct raw {
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
};

static int raw_open(struct raw *r, struct t *t, const char *db,
		    unsigned flags)
{
	char dir[512];
	int rc;

	t_path(dir, t, "store/graph");
	r->env = NULL;
	r->txn = NULL;
	rc = mdb_env_create(&r->env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(r->env, 16);
	if (rc == 0)
		rc = mdb_env_set_maxreaders(r->env, 256);
	if (rc == 0)
		rc = mdb_env_open(r->env, dir, MDB_NOTLS, 0600);
	if (rc == 0)
		rc = mdb_txn_begin(r->env, NULL, 0, &r->txn);
	if (rc == 0)
		rc = mdb_dbi_open(r->txn, db, flags, &r->dbi);
	if (rc != 0)
		fprintf(stderr, "lmdb %s: %s\n", db, mdb_strerror(rc));
	return rc;
}

/* Commit (if rc is 0) and close. */
static int raw_close(struct raw *r, int rc)
{
	if (r->txn && rc == 0)
		rc = mdb_txn_commit(r->txn);
	else if (r->txn)
		mdb_txn_abort(r->txn);
	mdb_env_close(r->env);
	if (rc != 0)
		fprintf(stderr, "lmdb: %s\n", mdb_strerror(rc));
	return rc;
}

static void uuid_bytes(uint8_t out[16], const char *text)
{
	size_t i = 0;

	for (; *text && i < 16; text++) {
		char hex[3] = {0};

		if (*text == '-')
			continue;
		hex[0] = text[0];
		hex[1] = text[1];
		out[i++] = (uint8_t)strtoul(hex, NULL, 16);
		text++;
	}
}

/* The eid of the edge with uuid, from the edge uuid index (eid in the
 * first 4 bytes of the value). */
static int eid_of(struct t *t, const char *uuid, uint32_t *eid)
{
	struct raw r;
	uint8_t u[16];
	MDB_val k = {16, u}, v;
	int rc = raw_open(&r, t, "euuid", 0);

	uuid_bytes(u, uuid);
	if (rc == 0)
		rc = mdb_get(r.txn, r.dbi, &k, &v);
	if (rc == 0 && v.mv_size >= 4)
		memcpy(eid, v.mv_data, 4);
	return raw_close(&r, rc);
}

/* The uuid of one KNOWS edge from p1 to p2. */
static int find_edge(void *ctx, const outpost_edge_info *e)
{
	if (strcmp(e->from, P(1)) != 0 || strcmp(e->to, P(2)) != 0)
		return 0;
	snprintf(ctx, 37, "%s", e->uuid);
	return 1;
}

static int edge_p1_p2(outpost *db, char uuid[37])
{
	uuid[0] = '\0';
	return outpost_graph_edges_each(db, "KNOWS", find_edge, uuid) ||
	       !uuid[0];
}

void test_verify_clean_after_every_write(struct t *t)
{
	outpost *db = v_store(t);
	outpost_edge e = OUTPOST_EDGE_INIT;
	char *rep = (char *)"unset", id[37], p[512];
	const char *ef[1] = {p};

	CHECK(db);
	/* Right after the import: the CSR snapshot is current. */
	CHECK_OK(db, outpost_graph_verify(&rep, db));
	CHECK(rep == NULL);
	e.type = "KNOWS";
	e.from = P(4);
	e.to = P(1);
	CHECK_OK(db, outpost_graph_edge_add(db, &e, id));
	e.type = "LIVES";
	e.from = P(2);
	e.to = CITY;
	CHECK_OK(db, outpost_graph_edge_add(db, &e, NULL));
	CHECK_OK(db, outpost_graph_edge_delete(db, id, 0));
	CHECK_OK(db, outpost_graph_verify(&rep, db));
	CHECK(rep == NULL);
	/* Node rows from SQL: a delete takes the node's edges along. */
	CHECK_OK(db, outpost_sql(db,
				 "DELETE FROM Person WHERE id = '" P(3) "';"
				 "INSERT INTO Person(id, name) "
				 "VALUES ('" P(5) "', 'p5')",
				 NULL, 0, NULL, NULL));
	CHECK_OK(db, outpost_graph_verify(&rep, db));
	CHECK(rep == NULL);
	/* A second import rebuilds the CSR over nids with a hole (p3). */
	CHECK(put(p, t, "more.csv", ":START_ID,:END_ID,:TYPE\n"
				    P(5) "," P(1) ",KNOWS\n"
				    P(5) "," CITY ",LIVES\n") == 0);
	CHECK_OK(db, outpost_import(db, NULL, 0, ef, 1, NULL));
	CHECK_OK(db, outpost_graph_verify(&rep, db));
	CHECK(rep == NULL);
	CHECK_RC(outpost_graph_verify(NULL, db), OUTPOST_EMISUSE);
	CHECK_RC(outpost_graph_verify(&rep, NULL), OUTPOST_EMISUSE);
	outpost_close(db);
	/* A store with no schema yet has an empty graph. */
	t_path(p, t, "bare");
	CHECK_OK(db, outpost_init(&db, p, NULL));
	CHECK_OK(db, outpost_graph_verify(&rep, db));
	CHECK(rep == NULL);
	outpost_close(db);
}

void test_verify_node_row_deleted_behind_capture(struct t *t)
{
	outpost *db = v_store(t);
	char *rep = NULL;

	CHECK(db);
	outpost_close(db);
	CHECK(raw_sql(t, "DELETE FROM Person WHERE id = '" P(2) "'") == 0);
	db = reopen(t);
	CHECK(db);
	CHECK_RC(outpost_graph_verify(&rep, db), OUTPOST_ECORRUPT);
	CHECK_HAS(rep, "node " P(2) " (nid ");
	CHECK_HAS(rep, "): in the graph, but no row in Person");
	CHECK(!strchr(rep, '\n')); /* that one finding, nothing else */
	CHECK_HAS(outpost_errmsg(db), "1 mismatch");
	outpost_free(rep);
	outpost_close(db);
}

void test_verify_node_row_inserted_behind_capture(struct t *t)
{
	outpost *db = v_store(t);
	char *rep = NULL;

	CHECK(db);
	outpost_close(db);
	CHECK(raw_sql(t, "INSERT INTO Person(id, name) VALUES ('" P(9) "', "
			 "'ghost')") == 0);
	db = reopen(t);
	CHECK(db);
	CHECK_RC(outpost_graph_verify(&rep, db), OUTPOST_ECORRUPT);
	CHECK_STR(rep, "node " P(9) ": a row in Person, but not in the graph");
	outpost_free(rep);
	outpost_close(db);
}

/* A row logged by another client and not yet applied: a read-only
 * handle cannot bring the graph up to date and says so; a read-write
 * one applies the entry first and finds the store clean. */
void test_verify_graph_behind_the_log(struct t *t)
{
	outpost_open_opts ro = OUTPOST_OPEN_OPTS_INIT;
	outpost *db = v_store(t);
	char d[512], *rep = NULL;

	CHECK(db);
	outpost_close(db);
	CHECK(sql_from_outside(t, "INSERT INTO Person(id, name) "
				  "VALUES ('" P(8) "', 'late')", 1) == 0);
	t_path(d, t, "store");
	ro.read_only = 1;
	CHECK_OK(db, outpost_open(&db, d, &ro));
	CHECK_RC(outpost_graph_verify(&rep, db), OUTPOST_EBUSY);
	CHECK(rep == NULL);
	CHECK_HAS(outpost_errmsg(db), "behind the change log");
	outpost_close(db);
	db = reopen(t);
	CHECK(db);
	CHECK_OK(db, outpost_graph_verify(&rep, db));
	CHECK(rep == NULL);
	outpost_close(db);
}

/* Delete the outgoing adjacency entry of edge eid; want gets the line
 * verify should report. */
static int lose_out_entry(struct t *t, const char *uuid, uint32_t eid,
			  char want[256])
{
	struct raw r;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	int rc = raw_open(&r, t, "adj",
			  MDB_INTEGERKEY | MDB_DUPSORT | MDB_DUPFIXED |
				  MDB_INTEGERDUP);

	if (rc == 0)
		rc = mdb_cursor_open(r.txn, r.dbi, &c);
	for (rc = rc ? rc : mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		uint64_t key, val;

		memcpy(&key, k.mv_data, 8);
		memcpy(&val, v.mv_data, 8);
		if ((uint32_t)val != eid || (key >> 8 & 0xff) != 1)
			continue;
		snprintf(want, 256, "edge %s (eid %u): no outgoing adjacency "
			 "entry nid %u -[KNOWS]-> nid %u", uuid, eid,
			 (unsigned)(key >> 32), (unsigned)(val >> 32));
		rc = mdb_cursor_del(c, 0);
		break;
	}
	if (c)
		mdb_cursor_close(c);
	return raw_close(&r, rc);
}

void test_verify_adjacency_entry_lost(struct t *t)
{
	outpost *db = v_store(t);
	char *rep = NULL, uuid[37], want[256] = "";
	uint32_t eid = 0;

	CHECK(db);
	CHECK(edge_p1_p2(db, uuid) == 0);
	outpost_close(db);
	CHECK(eid_of(t, uuid, &eid) == 0);
	CHECK(lose_out_entry(t, uuid, eid, want) == 0);
	db = reopen(t);
	CHECK(db);
	CHECK_RC(outpost_graph_verify(&rep, db), OUTPOST_ECORRUPT);
	CHECK_STR(rep, want);
	outpost_free(rep);
	outpost_close(db);
}

static int lose_uuid_index(struct t *t, const char *uuid)
{
	struct raw r;
	uint8_t u[16];
	MDB_val k = {16, u};
	int rc = raw_open(&r, t, "euuid", 0);

	uuid_bytes(u, uuid);
	if (rc == 0)
		rc = mdb_del(r.txn, r.dbi, &k, NULL);
	return raw_close(&r, rc);
}

void test_verify_edge_uuid_index_entry_lost(struct t *t)
{
	outpost *db = v_store(t);
	char *rep = NULL, uuid[37], want[256];
	uint32_t eid = 0;

	CHECK(db);
	CHECK(edge_p1_p2(db, uuid) == 0);
	outpost_close(db);
	CHECK(eid_of(t, uuid, &eid) == 0);
	CHECK(lose_uuid_index(t, uuid) == 0);
	db = reopen(t);
	CHECK(db);
	CHECK_RC(outpost_graph_verify(&rep, db), OUTPOST_ECORRUPT);
	snprintf(want, sizeof(want), "edge %s (eid %u): not in the edge uuid "
		 "index", uuid, eid);
	CHECK_STR(rep, want);
	outpost_free(rep);
	outpost_close(db);
}

static int lose_node_index(struct t *t, const char *uuid)
{
	struct raw r;
	uint8_t u[16];
	MDB_val k = {16, u};
	int rc = raw_open(&r, t, "nodes", 0);

	uuid_bytes(u, uuid);
	if (rc == 0)
		rc = mdb_del(r.txn, r.dbi, &k, NULL);
	return raw_close(&r, rc);
}

/* One loss seen from both sides: LMDB's nid record has no index entry,
 * and the node table's row finds no node. */
void test_verify_node_index_entry_lost(struct t *t)
{
	outpost *db = v_store(t);
	char *rep = NULL;

	CHECK(db);
	outpost_close(db);
	CHECK(lose_node_index(t, P(4)) == 0);
	db = reopen(t);
	CHECK(db);
	CHECK_RC(outpost_graph_verify(&rep, db), OUTPOST_ECORRUPT);
	CHECK_STR(rep, "node " P(4) " (nid 3): not in the node index\n"
		       "node " P(4) ": a row in Person, but not in the graph");
	outpost_free(rep);
	outpost_close(db);
}

/* Change the first neighbour of the first CSR neighbour array in place:
 * the snapshot stays current (same entry count) but is wrong. */
static int bend_csr(struct t *t)
{
	struct raw r;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	int rc = raw_open(&r, t, "csr", 0);

	if (rc == 0)
		rc = mdb_cursor_open(r.txn, r.dbi, &c);
	for (rc = rc ? rc : mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		uint8_t *copy;
		uint32_t x;
		MDB_val key = k, nv;

		if (k.mv_size != 4 || ((uint8_t *)k.mv_data)[3] != 'N' ||
		    v.mv_size < 4)
			continue;
		copy = malloc(v.mv_size);
		if (!copy)
			return raw_close(&r, ENOMEM);
		memcpy(copy, v.mv_data, v.mv_size);
		memcpy(&x, copy, 4);
		x += 1;
		memcpy(copy, &x, 4);
		nv.mv_size = v.mv_size;
		nv.mv_data = copy;
		mdb_cursor_close(c);
		c = NULL;
		rc = mdb_put(r.txn, r.dbi, &key, &nv, 0);
		free(copy);
		break;
	}
	if (c)
		mdb_cursor_close(c);
	return raw_close(&r, rc);
}

void test_verify_csr_disagrees_with_adjacency(struct t *t)
{
	outpost *db = v_store(t);
	char *rep = NULL;

	CHECK(db);
	outpost_close(db);
	CHECK(bend_csr(t) == 0);
	db = reopen(t);
	CHECK(db);
	CHECK_RC(outpost_graph_verify(&rep, db), OUTPOST_ECORRUPT);
	CHECK_HAS(rep, "csr ");
	CHECK_HAS(rep, ", node 00000000-0000-7000-8000-0000000000");
	CHECK_HAS(rep, ": neighbours differ from the adjacency (1 in the "
		       "snapshot, 1 in the adjacency)");
	CHECK(!strchr(rep, '\n'));
	outpost_free(rep);
	outpost_close(db);
}

void test_verify_report_capped(struct t *t)
{
	outpost *db = v_store(t);
	char *rep = NULL;
	const char *last;
	size_t lines = 0, i;

	CHECK(db);
	outpost_close(db);
	CHECK(raw_sql(t, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT "
			 "i + 1 FROM n WHERE i < 150) INSERT INTO Person(id, "
			 "name) SELECT printf('00000000-0000-7000-9000-%012d', "
			 "i), 'ghost' FROM n") == 0);
	db = reopen(t);
	CHECK(db);
	CHECK_RC(outpost_graph_verify(&rep, db), OUTPOST_ECORRUPT);
	CHECK(rep);
	for (i = 0; rep[i]; i++)
		lines += rep[i] == '\n';
	CHECK_EQ(lines, 100);
	last = strrchr(rep, '\n') + 1;
	CHECK_STR(last, "... and 50 more");
	CHECK_HAS(rep, "node 00000000-0000-7000-9000-000000000001: a row in "
		       "Person, but not in the graph\n");
	CHECK_HAS(outpost_errmsg(db), "150 mismatches");
	outpost_free(rep);
	outpost_close(db);
}
