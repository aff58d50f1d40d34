/* neo4j_open.c - making and ending a Neo4j client handle (neo4j_http.h):
 * the options checked before anything touches the network, defaults
 * filled in, the secret copied (and zeroed when the handle goes), and
 * the handle's error and server information handed out. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "neo4j_int.h"

#define DEF_CONNECT_MS 10000L
#define DEF_TIMEOUT_MS 60000L
#define DEF_TRIES 5u
#define DEF_BUDGET_MS 60000L
#define DEF_BACKOFF_MS 200L
#define DEF_BACKOFF_MAX_MS 5000L
#define DEF_MAX_BODY ((size_t)64 << 20)

static int bad_opt(struct op_neo4j *h, const char *what)
{
	return op_neo4j_fail(&h->err, OUTPOST_EMISUSE, OP_NEO4J_FAIL_PERMANENT,
			     "neo4j options: %s", what);
}

static int is_loopback(const char *host)
{
	return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
	       strcmp(host, "[::1]") == 0;
}

/* The URL: http or https, a host, nothing secret or extra in it. The
 * URL itself is never quoted back: it may hold what it should not. */
static int check_url(struct op_neo4j *h, const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *part = NULL;
	int rc = OUTPOST_OK, plain;

	if (!u)
		return op_neo4j_fail(&h->err, OUTPOST_ENOMEM,
				     OP_NEO4J_FAIL_PERMANENT, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    !scheme || !host ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
		rc = bad_opt(h, "url is not an http:// or https:// URL");
	if (rc == OUTPOST_OK &&
	    (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK ||
	     curl_url_get(u, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK))
		rc = bad_opt(h, "url holds credentials: give them as user "
				"and secret");
	curl_free(part);
	part = NULL;
	if (rc == OUTPOST_OK &&
	    (curl_url_get(u, CURLUPART_QUERY, &part, 0) == CURLUE_OK ||
	     curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK))
		rc = bad_opt(h, "url has a query or fragment");
	plain = rc == OUTPOST_OK && scheme && host &&
		strcmp(scheme, "http") == 0;
	if (plain && h->o.auth != OP_NEO4J_AUTH_NONE && !is_loopback(host) &&
	    !h->o.allow_plain_http)
		rc = bad_opt(h, "credentials over plain http:// to another "
				"machine: use https:// (or set "
				"allow_plain_http)");
	curl_free(part);
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

/* s has a byte below 0x20 or DEL, or (when colon) a ':'. Such a user
 * or secret would break the Authorization header (or inject another). */
static int unsafe(const char *s, int colon)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || (colon && *s == ':'))
			return 1;
	return 0;
}

static int check_opts(struct op_neo4j *h, const struct op_neo4j_opts *o)
{
	const char *db = o->database ? o->database : "neo4j";
	size_t i, n = strlen(db);

	if (o->version != OP_NEO4J_OPTS_VERSION || !o->url)
		return bad_opt(h, "no url (or opts not from OP_NEO4J_OPTS_INIT)");
	for (i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789._-", db[i]))
			break;
	if (n == 0 || n > NEO4J_DB_MAX || i < n)
		return bad_opt(h, "database names are 1 to 63 letters, digits, "
				  "'.', '_' or '-'");
	snprintf(h->db, sizeof(h->db), "%s", db);
	if ((o->auth == OP_NEO4J_AUTH_BASIC && (!o->user || !o->secret)) ||
	    (o->auth == OP_NEO4J_AUTH_BEARER && (!o->secret || !*o->secret)) ||
	    (o->auth == OP_NEO4J_AUTH_NONE && (o->user || o->secret)) ||
	    o->auth > OP_NEO4J_AUTH_BEARER)
		return bad_opt(h, "Basic takes user and secret, Bearer a secret "
				  "(the token), none neither");
	if (unsafe(o->user, 1) || unsafe(o->secret, 0))
		return bad_opt(h, "control characters in the secret, or control "
				  "characters or ':' in the user");
	if (o->api > OP_NEO4J_API_TX_LEGACY || o->connect_timeout_ms < 0 ||
	    o->timeout_ms < 0 || o->retry_budget_ms < 0 ||
	    o->backoff_ms < 0 || o->backoff_max_ms < 0)
		return bad_opt(h, "a negative time or an unknown api");
	if (o->ca_file && access(o->ca_file, R_OK) != 0)
		return bad_opt(h, "ca_file cannot be read");
	return check_url(h, o->url);
}

static void fill_defaults(struct op_neo4j_opts *o)
{
	o->connect_timeout_ms = o->connect_timeout_ms ? o->connect_timeout_ms
						      : DEF_CONNECT_MS;
	o->timeout_ms = o->timeout_ms ? o->timeout_ms : DEF_TIMEOUT_MS;
	o->max_tries = o->max_tries ? o->max_tries : DEF_TRIES;
	o->retry_budget_ms = o->retry_budget_ms ? o->retry_budget_ms
						: DEF_BUDGET_MS;
	o->backoff_ms = o->backoff_ms ? o->backoff_ms : DEF_BACKOFF_MS;
	o->backoff_max_ms = o->backoff_max_ms ? o->backoff_max_ms
					      : DEF_BACKOFF_MAX_MS;
	if (o->backoff_max_ms < o->backoff_ms)
		o->backoff_max_ms = o->backoff_ms;
	o->max_body = o->max_body ? o->max_body : DEF_MAX_BODY;
}

int op_neo4j_open(struct op_neo4j **out, const struct op_neo4j_opts *o)
{
	struct op_neo4j *h;
	char *base;
	size_t n;
	int rc;

	if (!out)
		return OUTPOST_EMISUSE;
	*out = h = op_calloc(1, sizeof(*h));
	if (!h)
		return OUTPOST_ENOMEM;
	if (!o)
		return bad_opt(h, "no options");
	h->o = *o;
	rc = check_opts(h, o);
	if (rc != OUTPOST_OK)
		return rc;
	fill_defaults(&h->o);
	h->base = base = op_strdup(o->url);
	h->secret = op_strdup(o->secret); /* NULL stays NULL */
	if (!base || (o->secret && !h->secret))
		return op_neo4j_fail(&h->err, OUTPOST_ENOMEM,
				     OP_NEO4J_FAIL_PERMANENT, "out of memory");
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		base[--n] = '\0';
	/* Only the copies are kept; the caller's strings may go. */
	h->o.url = h->o.database = h->o.user = h->o.secret = NULL;
	h->o.ca_file = NULL;
	h->server.api = OP_NEO4J_API_AUTO;
	h->rng = (uint64_t)(uintptr_t)h ^ ((uint64_t)getpid() << 32) ^
		 (uint64_t)time(NULL);
	rc = op_neo4j_curl_setup(h, o->user, o->ca_file);
	h->ready = rc == OUTPOST_OK;
	return rc;
}

void op_neo4j_close(struct op_neo4j *h)
{
	if (!h)
		return;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	curl_slist_free_all(h->hdr_post);
	curl_slist_free_all(h->hdr_get);
	if (h->secret) {
		explicit_bzero(h->secret, strlen(h->secret));
		op_free(h->secret);
	}
	cJSON_Delete(h->bookmarks);
	op_buf_free(&h->resp);
	op_free(h->base);
	op_free(h);
}

const struct op_neo4j_err *op_neo4j_err_get(const struct op_neo4j *h)
{
	return &h->err;
}

const char *op_neo4j_errmsg(const struct op_neo4j *h)
{
	return h ? h->err.msg : "out of memory";
}

const struct op_neo4j_server *op_neo4j_server_get(const struct op_neo4j *h)
{
	return &h->server;
}
