/* neo4j_run.c - discovery and statements (neo4j_http.h). Discovery reads
 * GET / and chooses the interface by which entries the document has;
 * run sends statements through it (all in one transactional request, or
 * one Query API request each, chaining bookmarks) and hands back one
 * table per statement. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neo4j_int.h"

static void err_reset(struct op_neo4j *h)
{
	memset(&h->err, 0, sizeof(h->err));
}

/* Keep only characters of versions and names ("5.26.0", "4.4.0-drop"). */
static void keep_plain(char *out, size_t n, const char *s)
{
	size_t i = 0;

	for (; *s && i + 1 < n; s++)
		if ((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= 'A' && *s <= 'Z') || *s == '.' || *s == '-' ||
		    *s == '+')
			out[i++] = *s;
	out[i] = '\0';
}

void op_neo4j_version_read(struct op_neo4j_server *out, const cJSON *doc)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, "neo4j_version");
	const cJSON *ed = cJSON_GetObjectItemCaseSensitive(doc,
							   "neo4j_edition");
	char *end;
	long major, minor = 0;

	if (cJSON_IsString(ed))
		keep_plain(out->edition, sizeof(out->edition), ed->valuestring);
	if (!cJSON_IsString(v))
		return;
	keep_plain(out->version, sizeof(out->version), v->valuestring);
	major = strtol(out->version, &end, 10);
	if (end != out->version && *end == '.')
		minor = strtol(end + 1, NULL, 10);
	if (major > 0 && major < 100000 && minor >= 0 && minor < 100000) {
		out->major = (int)major;
		out->minor = (int)minor;
	}
}

int op_neo4j_root_read(struct op_neo4j_server *out, const cJSON *doc,
		       struct op_neo4j_err *e)
{
	memset(out, 0, sizeof(*out));
	/* Newest first: a 5.19+ server names both query and transaction. */
	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(doc, "query")))
		out->api = OP_NEO4J_API_QUERY_V2;
	else if (cJSON_IsString(
			 cJSON_GetObjectItemCaseSensitive(doc, "transaction")))
		out->api = OP_NEO4J_API_TX;
	else if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(doc, "data")))
		out->api = OP_NEO4J_API_TX_LEGACY;
	else
		return op_neo4j_fail(e, OUTPOST_EPROTO, OP_NEO4J_FAIL_PERMANENT,
				     "the discovery document names no Neo4j "
				     "HTTP interface (no \"query\", "
				     "\"transaction\" or \"data\"): is this "
				     "Neo4j?");
	op_neo4j_version_read(out, doc);
	return OUTPOST_OK;
}

/* A 3.x server gives its version at /db/data/ (which needs the
 * credentials): asked once, no retry. Only a refusal of the credentials
 * fails discovery; anything else leaves the version unknown. */
static int legacy_version(struct op_neo4j *h)
{
	cJSON *doc = NULL;
	int rc = op_neo4j_request(&doc, h, NEO4J_REPLY_ROOT, "/db/data/", NULL,
				  0, 1);

	if (rc == OUTPOST_OK)
		op_neo4j_version_read(&h->server, doc);
	cJSON_Delete(doc);
	if (rc == OUTPOST_EDENIED)
		return rc;
	err_reset(h);
	return OUTPOST_OK;
}

int op_neo4j_discover(struct op_neo4j *h)
{
	cJSON *doc = NULL;
	int rc;

	if (!h || !h->ready)
		return OUTPOST_EMISUSE; /* h's message says why it failed */
	err_reset(h);
	if (h->discovered)
		return OUTPOST_OK;
	if (h->o.api != OP_NEO4J_API_AUTO) {
		h->server.api = h->o.api;
		h->discovered = 1;
		return OUTPOST_OK;
	}
	rc = op_neo4j_request(&doc, h, NEO4J_REPLY_ROOT, "/", NULL, 0, 0);
	if (rc == OUTPOST_OK) {
		rc = op_neo4j_root_read(&h->server, doc, &h->err);
		if (rc != OUTPOST_OK)
			op_neo4j_prefix(&h->err, "neo4j GET %s/: ", h->base);
	}
	cJSON_Delete(doc);
	if (rc == OUTPOST_OK && h->server.api == OP_NEO4J_API_TX_LEGACY &&
	    !h->server.version[0])
		rc = legacy_version(h);
	if (rc == OUTPOST_OK)
		h->discovered = 1;
	else
		memset(&h->server, 0, sizeof(h->server));
	return rc;
}

/* Move src's only table to the end of dst's results. */
static int take_table(cJSON *dst, cJSON *src)
{
	cJSON *from = cJSON_GetObjectItemCaseSensitive(src, "results");
	cJSON *to = cJSON_GetObjectItemCaseSensitive(dst, "results");
	cJSON *t = cJSON_DetachItemFromArray(from, 0);

	return t && cJSON_AddItemToArray(to, t) ? OUTPOST_OK : OUTPOST_ENOMEM;
}

/* Keep the answer's bookmarks for the next request, if it gave some. */
static void keep_bookmarks(struct op_neo4j *h, cJSON *doc)
{
	cJSON *bm = cJSON_GetObjectItemCaseSensitive(doc, "bookmarks");

	if (cJSON_GetArraySize(bm) == 0)
		return;
	cJSON_Delete(h->bookmarks);
	h->bookmarks = cJSON_DetachItemViaPointer(doc, bm);
}

/* One request per statement, each its own transaction (see
 * op_neo4j_run). */
static int run_v2(cJSON *root, struct op_neo4j *h,
		  const struct op_neo4j_stmt *s, size_t n)
{
	char path[sizeof(h->db) + 32];
	cJSON *bm;
	size_t i;
	int rc = OUTPOST_OK;

	snprintf(path, sizeof(path), "/db/%s/query/v2", h->db);
	for (i = 0; i < n && rc == OUTPOST_OK; i++) {
		struct op_buf body = {0};
		cJSON *doc = NULL;

		rc = op_neo4j_body_v2(&body, &s[i], h->bookmarks, &h->err);
		if (rc == OUTPOST_OK)
			rc = op_neo4j_request(&doc, h, NEO4J_REPLY_V2, path,
					      body.p, 1, 0);
		if (rc == OUTPOST_OK) {
			rc = take_table(root, doc);
			keep_bookmarks(h, doc);
		}
		if (rc != OUTPOST_OK) {
			h->err.done = i;
			if (n > 1 && h->err.rc != OUTPOST_OK)
				op_neo4j_prefix(&h->err, "statement %zu of %zu "
						"(the %zu before it committed): ",
						i + 1, n, i);
		}
		cJSON_Delete(doc);
		op_buf_free(&body);
	}
	if (rc == OUTPOST_ENOMEM && h->err.rc == OUTPOST_OK)
		op_neo4j_fail(&h->err, rc, OP_NEO4J_FAIL_PERMANENT,
			      "out of memory");
	if (rc != OUTPOST_OK)
		return rc;
	bm = h->bookmarks ? cJSON_Duplicate(h->bookmarks, 1)
			  : cJSON_CreateArray();
	if (!bm || !cJSON_AddItemToObject(root, "bookmarks", bm)) {
		cJSON_Delete(bm);
		return op_neo4j_fail(&h->err, OUTPOST_ENOMEM,
				     OP_NEO4J_FAIL_PERMANENT, "out of memory");
	}
	return OUTPOST_OK;
}

/* All statements in one request: one transaction. */
static int run_tx(cJSON **root, struct op_neo4j *h,
		  const struct op_neo4j_stmt *s, size_t n)
{
	char path[sizeof(h->db) + 32];
	struct op_buf body = {0};
	int rc;

	if (h->server.api == OP_NEO4J_API_TX)
		snprintf(path, sizeof(path), "/db/%s/tx/commit", h->db);
	else
		snprintf(path, sizeof(path), "/db/data/transaction/commit");
	rc = op_neo4j_body_tx(&body, s, n, &h->err);
	if (rc == OUTPOST_OK)
		rc = op_neo4j_request(root, h, NEO4J_REPLY_TX, path, body.p, n,
				      0);
	op_buf_free(&body);
	return rc;
}

/* The tables of root, which r then owns. */
static int make_result(struct op_neo4j_result **out, cJSON *root)
{
	const cJSON *results = cJSON_GetObjectItemCaseSensitive(root, "results");
	struct op_neo4j_result *r = op_calloc(1, sizeof(*r));
	const cJSON *t;
	size_t i = 0, n = (size_t)cJSON_GetArraySize(results);

	if (!r || !(r->tables = op_calloc(n, sizeof(*r->tables)))) {
		op_free(r);
		return OUTPOST_ENOMEM;
	}
	cJSON_ArrayForEach(t, results) {
		struct op_neo4j_table *tb = &r->tables[i++];

		tb->fields = cJSON_GetObjectItemCaseSensitive(t, "fields");
		tb->rows = cJSON_GetObjectItemCaseSensitive(t, "rows");
		tb->nfields = (size_t)cJSON_GetArraySize(tb->fields);
		tb->nrows = (size_t)cJSON_GetArraySize(tb->rows);
	}
	r->n = n;
	r->bookmarks = cJSON_GetObjectItemCaseSensitive(root, "bookmarks");
	r->root = root;
	*out = r;
	return OUTPOST_OK;
}

int op_neo4j_run(struct op_neo4j_result **out, struct op_neo4j *h,
		 const struct op_neo4j_stmt *stmts, size_t n)
{
	cJSON *root = NULL;
	size_t i;
	int rc;

	if (!out || !h || !h->ready)
		return OUTPOST_EMISUSE; /* h's message says why it failed */
	*out = NULL;
	err_reset(h);
	for (i = 0; stmts && i < n; i++)
		if (!stmts[i].cypher)
			break;
	if (!stmts || n == 0 || i < n)
		return op_neo4j_fail(&h->err, OUTPOST_EMISUSE,
				     OP_NEO4J_FAIL_PERMANENT, "neo4j run: no "
				     "statements, or one without Cypher");
	rc = op_neo4j_discover(h);
	if (rc != OUTPOST_OK)
		return rc;
	if (h->server.api == OP_NEO4J_API_QUERY_V2) {
		root = cJSON_CreateObject();
		if (!root || !cJSON_AddArrayToObject(root, "results"))
			rc = op_neo4j_fail(&h->err, OUTPOST_ENOMEM,
					   OP_NEO4J_FAIL_PERMANENT,
					   "out of memory");
		else
			rc = run_v2(root, h, stmts, n);
	} else {
		rc = run_tx(&root, h, stmts, n);
	}
	if (rc == OUTPOST_OK && make_result(out, root) != OUTPOST_OK)
		rc = op_neo4j_fail(&h->err, OUTPOST_ENOMEM,
				   OP_NEO4J_FAIL_PERMANENT, "out of memory");
	if (rc != OUTPOST_OK)
		cJSON_Delete(root);
	return rc;
}

void op_neo4j_result_free(struct op_neo4j_result *r)
{
	if (!r)
		return;
	cJSON_Delete(r->root);
	op_free(r->tables);
	op_free(r);
}

const cJSON *op_neo4j_cell(const struct op_neo4j_table *t, size_t row,
			   size_t col)
{
	if (!t || row >= t->nrows || col >= t->nfields)
		return NULL;
	return cJSON_GetArrayItem(cJSON_GetArrayItem(t->rows, (int)row),
				  (int)col);
}
