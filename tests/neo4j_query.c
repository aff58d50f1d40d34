/* neo4j_query.c - talking to the test Neo4j from tests (neo4j_harness.h):
 * plain HTTP exchanges with libcurl, one Cypher statement on the
 * transactional endpoint for a test's setup or inspection, and wiping the
 * database between tests. Test code only; outpost's own client is in
 * sync/. */
#include <stdlib.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "neo4j_harness.h"

struct buf {
	char *p;
	size_t len, cap;
};

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;
	size_t add = size * n;

	if (b->len + add + 1 > b->cap) {
		size_t cap = (b->len + add + 1) * 2;
		char *g = realloc(b->p, cap);

		if (!g)
			return 0;
		b->p = g;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, add);
	b->len += add;
	b->p[b->len] = '\0';
	return add;
}

static void add_header(struct curl_slist **h, const char *name,
		       const char *value)
{
	char line[1024];

	if (!value)
		return;
	snprintf(line, sizeof(line), "%s: %s", name, value);
	*h = curl_slist_append(*h, line);
}

int t_http(struct t_http *r, const char *method, const char *url,
	   const char *auth, const char *content_type, const char *accept,
	   const char *body)
{
	struct buf b = {calloc(1, 1), 0, 1};
	struct curl_slist *h = NULL;
	CURL *c = curl_easy_init();
	char *ct = NULL;

	memset(r, 0, sizeof(*r));
	r->curl_rc = -1;
	if (c && b.p) {
		add_header(&h, "Authorization", auth);
		add_header(&h, "Content-Type", content_type);
		add_header(&h, "Accept", accept);
		h = curl_slist_append(h, "Expect:");
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		if (body)
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
		curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
		curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		r->curl_rc = (int)curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
		if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) ==
			    CURLE_OK &&
		    ct)
			snprintf(r->content_type, sizeof(r->content_type),
				 "%s", ct);
	}
	r->body = b.p;
	curl_slist_free_all(h);
	if (c)
		curl_easy_cleanup(c);
	return r->status > 0 ? 0 : -1;
}

void t_http_free(struct t_http *r)
{
	free(r->body);
	r->body = NULL;
}

const char *t_neo4j_basic(char out[256], const char *user,
			  const char *password)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char plain[180];
	size_t n, i, o = strlen("Basic ");

	snprintf(plain, sizeof(plain), "%s:%s", user, password);
	n = strlen(plain);
	memcpy(out, "Basic ", o);
	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)plain[i] << 16;

		v |= i + 1 < n ? (unsigned char)plain[i + 1] << 8 : 0;
		v |= i + 2 < n ? (unsigned char)plain[i + 2] : 0;
		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

/* {"statements": [{"statement": s, "parameters": p}]}, malloc'd. The
 * parameters go in as written: cJSON would turn integers above 2^53 into
 * doubles. */
static char *request_body(const char *statement, const char *params_json)
{
	cJSON *s = cJSON_CreateString(statement);
	char *q = s ? cJSON_PrintUnformatted(s) : NULL, *out = NULL;
	const char *p = params_json ? params_json : "{}";
	size_t n;

	if (q) {
		n = strlen(q) + strlen(p) + 64;
		out = malloc(n);
		if (out)
			snprintf(out, n, "{\"statements\":[{\"statement\":%s,"
				 "\"parameters\":%s}]}", q, p);
	}
	free(q);
	cJSON_Delete(s);
	return out;
}

int t_neo4j_cypher(struct t *t, char **out, const char *statement,
		   const char *params_json)
{
	char url[128], auth[256], *body = request_body(statement, params_json);
	struct t_http r = {0};
	cJSON *j = NULL, *errors;
	int ok;

	snprintf(url, sizeof(url), "%s/db/data/transaction/commit",
		 t_neo4j_url());
	t_neo4j_basic(auth, t_neo4j_user(), t_neo4j_password());
	ok = body && t_http(&r, "POST", url, auth, "application/json",
			    "application/json", body) == 0 &&
	     r.status == 200 && (j = cJSON_Parse(r.body)) != NULL &&
	     cJSON_IsArray(errors = cJSON_GetObjectItem(j, "errors")) &&
	     cJSON_GetArraySize(errors) == 0;
	if (!ok)
		t_fail(t, __FILE__, __LINE__, "Cypher failed (HTTP %ld): %s\n"
		       "    %s", r.status, r.body && *r.body ? r.body
		       : "(no answer)", statement);
	cJSON_Delete(j);
	free(body);
	if (out)
		*out = r.body;
	else
		t_http_free(&r);
	return ok ? 0 : -1;
}

/* results[0].data[row].row[col] of a transactional answer. */
static cJSON *cell(cJSON *j, int row, int col)
{
	cJSON *res = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "results"), 0);
	cJSON *data = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "data"), row);

	return cJSON_GetArrayItem(cJSON_GetObjectItem(data, "row"), col);
}

long long t_neo4j_int(struct t *t, const char *statement)
{
	char *body = NULL;
	long long v = -1;
	cJSON *j, *c;

	if (t_neo4j_cypher(t, &body, statement, NULL) != 0) {
		free(body);
		return -1;
	}
	j = cJSON_Parse(body);
	c = cell(j, 0, 0);
	if (cJSON_IsNumber(c))
		v = (long long)c->valuedouble;
	else
		t_fail(t, __FILE__, __LINE__, "no integer from %s: %s",
		       statement, body);
	cJSON_Delete(j);
	free(body);
	return v;
}

/* DROP each schema rule a procedure lists ("CONSTRAINT ON ..." /
 * "INDEX ON ..."); constraint-owned indexes go with their constraint. */
static int drop_all(struct t *t, const char *procedure)
{
	char *body = NULL, stmt[1200];
	cJSON *j;
	int i, rc = 0;

	if (t_neo4j_cypher(t, &body, procedure, NULL) != 0) {
		free(body);
		return -1;
	}
	j = cJSON_Parse(body);
	for (i = 0; rc == 0 && cell(j, i, 0); i++) {
		const char *d = cJSON_GetStringValue(cell(j, i, 0));
		const char *type = cJSON_GetStringValue(cell(j, i, 2));

		if (!d || (type && strcmp(type, "node_label_property") != 0))
			continue;
		snprintf(stmt, sizeof(stmt), "DROP %s", d);
		rc = t_neo4j_cypher(t, NULL, stmt, NULL);
	}
	cJSON_Delete(j);
	free(body);
	return rc;
}

int t_neo4j_wipe(struct t *t)
{
	long long n;

	if (t_neo4j_start(t) != 0)
		return -1;
	do /* in slices: one transaction for a large graph needs much heap */
		n = t_neo4j_int(t, "MATCH (n) WITH n LIMIT 20000 "
				   "DETACH DELETE n RETURN count(*)");
	while (n > 0);
	if (n < 0)
		return -1;
	return drop_all(t, "CALL db.constraints()") == 0 &&
			       drop_all(t, "CALL db.indexes()") == 0
		       ? 0
		       : -1;
}
