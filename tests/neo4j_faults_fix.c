/* neo4j_faults_fix.c - see neo4j_faults_fix.h. */
#include <stdlib.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "neo4j_faults_fix.h"
#include "sync_batch.h"

/* The seed's rows: integers at and beyond 2^53 and int64's ends. */
static const char seed_sql[] =
	"INSERT INTO notes(id, body) VALUES ('" NF_W("99") "', 'not a node');"
	"INSERT INTO Topic(id, name) VALUES ('" NF_W("01") "', 'animals'), ('"
	NF_W("02") "', 'plants'), ('" NF_W("03") "', 'gone');"
	"INSERT INTO Word(id, word, rank, score, ok, tags) VALUES ('"
	NF_W("11") "', 'cat', 9007199254740993, 1.5, 1, '[\"a\",\"b\"]'), ('"
	NF_W("12") "', 'dog', 9223372036854775807, NULL, 0, NULL), ('"
	NF_W("13") "', 'fern', -9223372036854775807 - 1, -0.5, NULL, NULL)";

static int edge(struct t *t, outpost *db, const char *type,
		const char *from, const char *to, const char *props,
		const char *valid_from)
{
	outpost_edge e = OUTPOST_EDGE_INIT;

	e.type = type;
	e.from = from;
	e.to = to;
	e.properties = props;
	e.valid_from = valid_from;
	if (outpost_graph_edge_add(db, &e, NULL) == OUTPOST_OK)
		return 0;
	t_fail(t, __FILE__, __LINE__, "edge: %s", outpost_errmsg(db));
	return -1;
}

static int seed(struct t *t, outpost *db)
{
	if (outpost_sql(db, seed_sql, NULL, 0, NULL, NULL) != OUTPOST_OK) {
		t_fail(t, __FILE__, __LINE__, "seed: %s", outpost_errmsg(db));
		return -1;
	}
	if (edge(t, db, "ABOUT", NF_W("11"), NF_W("01"),
		 "{\"weight\": 0.5, \"note\": \"n\"}", NULL) ||
	    edge(t, db, "ABOUT", NF_W("13"), NF_W("02"),
		 "{\"weight\": 0.25}", NULL) ||
	    edge(t, db, "NEXT", NF_W("11"), NF_W("12"), NULL,
		 "2026-01-01T00:00:00.000Z"))
		return -1;
	if (outpost_sql(db, "UPDATE Word SET score = 2.5 WHERE id = '"
			NF_W("11") "'; DELETE FROM Topic WHERE id = '"
			NF_W("03") "'", NULL, 0, NULL, NULL) != OUTPOST_OK) {
		t_fail(t, __FILE__, __LINE__, "seed: %s", outpost_errmsg(db));
		return -1;
	}
	return 0;
}

int nf_extras(struct t *t, outpost *db)
{
	if (outpost_sql(db, "UPDATE Word SET rank = rank - 1 WHERE id = '"
			NF_W("12") "'; DELETE FROM Word WHERE id = '"
			NF_W("13") "'; INSERT INTO Topic(id, name) VALUES ('"
			NF_W("04") "', 'fungi'); INSERT INTO Word(id, word) "
			"VALUES ('" NF_W("14") "', 'moss')", NULL, 0, NULL,
			NULL) != OUTPOST_OK) {
		t_fail(t, __FILE__, __LINE__, "extras: %s", outpost_errmsg(db));
		return -1;
	}
	return edge(t, db, "ABOUT", NF_W("14"), NF_W("04"),
		    "{\"weight\": 1}", NULL);
}

int nf_stage(struct t *t, const char *url, char **v1, char **v2)
{
	outpost_sync_result r;
	outpost *db;
	int rc = -1;

	*v1 = *v2 = NULL;
	if (nf_template(t, url) != 0 || t_neo4j_wipe(t) != 0 ||
	    !(db = nf_copy(t, "tpl", "tpl2")))
		return -1;
	if (nf_sync(db, 0, &r) == OUTPOST_OK && (*v1 = t_n4_dump(t)) &&
	    nf_extras(t, db) == 0)
		rc = 0;
	outpost_close(db);
	if (rc == 0 && (db = nf_copy(t, "tpl2", "expected"))) {
		if (nf_sync(db, 0, &r) != OUTPOST_OK ||
		    !(*v2 = t_n4_dump(t)))
			rc = -1;
		outpost_close(db);
	}
	if (rc != 0 || !*v2)
		t_fail(t, __FILE__, __LINE__, "stage: %s",
		       *v1 ? "second sync" : "first sync");
	return *v2 ? 0 : -1;
}

int nf_restore(struct t *t)
{
	outpost_sync_result r;
	outpost *db;
	int rc;

	if (t_neo4j_wipe(t) != 0 || !(db = nf_copy(t, "tpl", "first")))
		return -1;
	rc = nf_sync(db, 0, &r);
	if (rc != OUTPOST_OK)
		t_fail(t, __FILE__, __LINE__, "restore: %s",
		       outpost_errmsg(db));
	outpost_close(db);
	return rc == OUTPOST_OK ? 0 : -1;
}

int nf_template(struct t *t, const char *url)
{
	outpost_neo4j_remote r = OUTPOST_NEO4J_REMOTE_INIT;
	char schema[512], pw[512];
	outpost *db;
	int rc = -1;

	t_path(schema, t, "mirror.json");
	t_path(pw, t, "neo4j.pw");
	if (t_write(schema, t_n4_schema) != 0 ||
	    t_write(pw, t_neo4j_password()) != 0 || chmod(pw, 0600) != 0 ||
	    !(db = ts_store(t, "tpl", schema))) {
		t_fail(t, __FILE__, __LINE__, "template store");
		return -1;
	}
	r.url = url;
	r.user = t_neo4j_user();
	r.password_file = pw;
	if (outpost_remote_set_neo4j(db, &r) != OUTPOST_OK)
		t_fail(t, __FILE__, __LINE__, "remote: %s", outpost_errmsg(db));
	else if (seed(t, db) == 0)
		rc = 0;
	outpost_close(db);
	return rc;
}

outpost *nf_open(struct t *t, const char *name)
{
	char dir[512];
	outpost *db = NULL;

	t_path(dir, t, name);
	if (outpost_open(&db, dir, NULL) == OUTPOST_OK)
		return db;
	t_fail(t, __FILE__, __LINE__, "open %s: %s", name, outpost_errmsg(db));
	outpost_close(db);
	return NULL;
}

outpost *nf_copy(struct t *t, const char *from, const char *to)
{
	char a[512], b[512];

	t_path(a, t, from);
	t_path(b, t, to);
	if (t_sh(NULL, "rm -rf '%s' && cp -a '%s' '%s'", b, a, b) != 0) {
		t_fail(t, __FILE__, __LINE__, "cannot copy %s", from);
		return NULL;
	}
	return nf_open(t, to);
}

char *nf_expected(struct t *t, const char *from, struct t_standin *si,
		  long long *queries)
{
	outpost_sync_result r;
	outpost *db;
	long long q0 = si ? nf_stat(si, "queries") : 0;
	char *dump = NULL;

	if (t_neo4j_wipe(t) != 0 || !(db = nf_copy(t, from, "expected")))
		return NULL;
	if (nf_sync(db, 0, &r) != OUTPOST_OK || r.neo4j_pushed != NF_CHANGES)
		t_fail(t, __FILE__, __LINE__, "clean sync: %lld pushed: %s",
		       r.neo4j_pushed, outpost_errmsg(db));
	else
		dump = t_n4_dump(t);
	if (queries)
		*queries = si ? nf_stat(si, "queries") - q0 : 0;
	outpost_close(db);
	if (dump && t_neo4j_wipe(t) != 0) {
		free(dump);
		dump = NULL;
	}
	return dump;
}

int nf_sync(outpost *db, long long batch, outpost_sync_result *r)
{
	outpost_sync_opts o = OUTPOST_SYNC_OPTS_INIT;

	o.batch = batch;
	memset(r, 0, sizeof(*r));
	r->version = OUTPOST_SYNC_RESULT_VERSION;
	return outpost_sync(db, &o, r);
}

int nf_status(outpost *db, outpost_sink_status *s)
{
	s->version = OUTPOST_SINK_STATUS_VERSION;
	return outpost_sink_status_get(s, db, "neo4j");
}

long long nf_nth_seq(outpost *db, int n)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT seq FROM _outpost_changes WHERE "
		 "tbl <> 'notes' ORDER BY seq LIMIT 1 OFFSET %d", n - 1);
	return t_int(db, sql);
}

long long nf_stat(struct t_standin *si, const char *key)
{
	char *body = t_standin_get(si, "state");
	cJSON *j = body ? cJSON_Parse(body) : NULL, *r;
	long long v = -1;

	if (j && strcmp(key, "left") == 0) {
		v = 0;
		cJSON_ArrayForEach(r, cJSON_GetObjectItem(j, "faults"))
			v += (long long)cJSON_GetNumberValue(
				cJSON_GetObjectItem(r, "count_left"));
	} else if (cJSON_IsNumber(cJSON_GetObjectItem(j, key))) {
		v = (long long)cJSON_GetObjectItem(j, key)->valuedouble;
	}
	cJSON_Delete(j);
	free(body);
	return v;
}

int nf_cli(struct t *t, char **out, const char *name, const char *args)
{
	char dir[512];

	t_path(dir, t, name);
	return t_sh(out, "%s -d '%s' %s", t_bin(), dir, args);
}
