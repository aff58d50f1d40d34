/* neo4j_http.c - the Neo4j client's transport (neo4j_http.h): one curl
 * easy handle set up for the handle's life (so its connection is kept
 * alive), requests sent, failures classified, transient ones retried
 * with backoff. The secret reaches curl through CURLOPT_PASSWORD or
 * CURLOPT_XOAUTH2_BEARER (no header text of ours to leak) and is
 * scrubbed from every message. Redirects are never followed, only http
 * and https are spoken, TLS is always verified. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "neo4j_int.h"

_Static_assert(NEO4J_CURL_ERR >= CURL_ERROR_SIZE, "curl error buffer");

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* splitmix64: jitter only, so any seed will do. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct op_neo4j *h = ctx;
	size_t len = size * n;

	/* Invariant: resp.len <= max_body. Returning less than len makes
	 * curl stop with CURLE_WRITE_ERROR. */
	if (len > h->o.max_body - h->resp.len) {
		h->overflow = 1;
		return 0;
	}
	op_buf_add(&h->resp, p, len);
	return h->resp.oom ? 0 : len;
}

/* A curl failure, classified: the network may come back; TLS trust,
 * a refused option or our own limits will not. */
static int transport_fail(struct op_neo4j *h, CURLcode c)
{
	const char *why = h->curl_err[0] ? h->curl_err : curl_easy_strerror(c);

	if (h->overflow || c == CURLE_FILESIZE_EXCEEDED)
		return op_neo4j_fail(&h->err, OUTPOST_EREFUSED,
				     OP_NEO4J_FAIL_TOO_BIG, "the answer is "
				     "longer than max_body (%zu bytes): ask "
				     "for less at once", h->o.max_body);
	if (h->resp.oom)
		return op_neo4j_fail(&h->err, OUTPOST_ENOMEM,
				     OP_NEO4J_FAIL_PERMANENT, "out of memory");
	switch (c) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_HTTP2:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_AGAIN:
	case CURLE_HTTP2_STREAM:
		return op_neo4j_fail(&h->err, OUTPOST_ENET,
				     OP_NEO4J_FAIL_TRANSIENT, "%s", why);
	case CURLE_PEER_FAILED_VERIFICATION:
		return op_neo4j_fail(&h->err, OUTPOST_EREFUSED,
				     OP_NEO4J_FAIL_PERMANENT,
				     "TLS: %s (the server's certificate is not "
				     "trusted, or is for another host name: "
				     "use the name it was made for, or give "
				     "the CA that signed it as ca_file)", why);
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		return op_neo4j_fail(&h->err, OUTPOST_EREFUSED,
				     OP_NEO4J_FAIL_PERMANENT,
				     "TLS: %s (ca_file must hold PEM CA "
				     "certificates)", why);
	default:
		return op_neo4j_fail(&h->err, OUTPOST_ERROR,
				     OP_NEO4J_FAIL_PERMANENT, "%s", why);
	}
}

/* One exchange: *status is the answer's HTTP status (0 if none). */
static CURLcode perform(struct op_neo4j *h, const char *path,
			const char *body, long *status)
{
	struct op_buf url = {0};
	CURLcode c;

	*status = 0;
	h->resp.len = 0;
	if (h->resp.p)
		h->resp.p[0] = '\0';
	h->resp.oom = 0;
	h->overflow = 0;
	h->curl_err[0] = '\0';
	op_buf_adds(&url, h->base);
	op_buf_adds(&url, path);
	if (url.oom) {
		h->resp.oom = 1;
		return CURLE_OUT_OF_MEMORY;
	}
	c = curl_easy_setopt(h->curl, CURLOPT_URL, url.p);
	if (c == CURLE_OK && body) {
		c = curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE,
				     (curl_off_t)strlen(body));
		if (c == CURLE_OK)
			c = curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
		if (c == CURLE_OK)
			c = curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER,
					     h->hdr_post);
	} else if (c == CURLE_OK) {
		c = curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
		if (c == CURLE_OK)
			c = curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER,
					     h->hdr_get);
	}
	if (c == CURLE_OK)
		c = curl_easy_perform(h->curl);
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, status);
	op_buf_free(&url);
	return c;
}

/* The message made whole: what was asked of whom, how often. */
static void describe(struct op_neo4j *h, const char *path, const char *body,
		     unsigned tries, uint64_t ms)
{
	size_t l;

	op_neo4j_prefix(&h->err, "neo4j %s %s%s: ", body ? "POST" : "GET",
			h->base, path);
	l = strlen(h->err.msg);
	if (tries > 1)
		snprintf(h->err.msg + l, sizeof(h->err.msg) - l,
			 " (gave up after %u tries in %llu ms)", tries,
			 (unsigned long long)ms);
	op_neo4j_scrub(h->err.msg, h->secret);
}

int op_neo4j_request(cJSON **out, struct op_neo4j *h, enum neo4j_reply kind,
		     const char *path, const char *body, size_t nstmts,
		     unsigned max_tries)
{
	uint64_t t0 = now_ms();
	long pause = h->o.backoff_ms;
	unsigned tries = 0;
	int rc;

	*out = NULL;
	if (max_tries == 0)
		max_tries = h->o.max_tries;
	for (;;) {
		long status, wait;
		CURLcode c;

		tries++;
		h->err.code[0] = '\0';
		c = perform(h, path, body, &status);
		if (c == CURLE_OK)
			rc = op_neo4j_reply(out, kind, status,
					    h->resp.p ? h->resp.p : "",
					    h->resp.len, nstmts, h->secret,
					    &h->err);
		else
			rc = transport_fail(h, c);
		h->err.http_status = status;
		if (rc == OUTPOST_OK || h->err.fail != OP_NEO4J_FAIL_TRANSIENT ||
		    tries >= max_tries)
			break;
		/* Exponential, with "equal jitter": between half the pause
		 * and all of it, so clients that failed together spread
		 * out. No retry that would end past the budget. */
		wait = pause / 2 +
		       (long)(rng_next(&h->rng) % (uint64_t)(pause / 2 + 1));
		if (now_ms() - t0 + (uint64_t)wait > (uint64_t)h->o.retry_budget_ms)
			break;
		sleep_ms(wait);
		pause = pause > h->o.backoff_max_ms / 2 ? h->o.backoff_max_ms
							: pause * 2;
	}
	h->err.tries = tries;
	if (rc != OUTPOST_OK)
		describe(h, path, body, tries, now_ms() - t0);
	return rc;
}

/* curl_slist_append, freeing the list when it fails. */
static struct curl_slist *add(struct curl_slist *l, const char *s)
{
	struct curl_slist *n = curl_slist_append(l, s);

	if (!n)
		curl_slist_free_all(l);
	return n;
}

#define SET(opt, val)                                                        \
	do {                                                                 \
		if (c == CURLE_OK)                                           \
			c = curl_easy_setopt(h->curl, opt, val);             \
	} while (0)

int op_neo4j_curl_setup(struct op_neo4j *h, const char *user,
			const char *ca_file)
{
	CURLcode c = CURLE_OK;
	curl_off_t max = h->o.max_body > (size_t)INT64_MAX
				 ? (curl_off_t)INT64_MAX
				 : (curl_off_t)h->o.max_body;

	h->curl = curl_easy_init();
	h->hdr_post = add(NULL, "Content-Type: application/json");
	if (h->hdr_post)
		h->hdr_post = add(h->hdr_post, "Accept: application/json");
	/* No "Expect: 100-continue" pause before a large body. */
	if (h->hdr_post)
		h->hdr_post = add(h->hdr_post, "Expect:");
	h->hdr_get = add(NULL, "Accept: application/json");
	if (!h->curl || !h->hdr_post || !h->hdr_get)
		return op_neo4j_fail(&h->err, OUTPOST_ENOMEM,
				     OP_NEO4J_FAIL_PERMANENT,
				     "out of memory (libcurl)");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	SET(CURLOPT_TCP_KEEPIDLE, 60L);
	SET(CURLOPT_TCP_KEEPINTVL, 30L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, h->o.connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, h->o.timeout_ms);
	/* TLS: the peer's chain and its name are always checked (no option
	 * turns that off; a proxy's too), TLS 1.2 at least. A ca_file
	 * replaces the system's CAs, bundle and directory both: libcurl
	 * would otherwise still read its built-in CA directory. */
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_PROXY_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_PROXY_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (ca_file) {
		SET(CURLOPT_CAINFO, ca_file);
		SET(CURLOPT_CAPATH, (char *)NULL);
	}
	SET(CURLOPT_USERAGENT, OP_NEO4J_USER_AGENT);
	SET(CURLOPT_ERRORBUFFER, h->curl_err);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, h);
	SET(CURLOPT_MAXFILESIZE_LARGE, max);
	SET(CURLOPT_ACCEPT_ENCODING, "");
	if (h->o.auth == OP_NEO4J_AUTH_BASIC) {
		SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		SET(CURLOPT_USERNAME, user);
		SET(CURLOPT_PASSWORD, h->secret);
	} else if (h->o.auth == OP_NEO4J_AUTH_BEARER) {
		SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		SET(CURLOPT_XOAUTH2_BEARER, h->secret);
	}
	if (c != CURLE_OK)
		return op_neo4j_fail(&h->err, OUTPOST_ERROR,
				     OP_NEO4J_FAIL_PERMANENT, "libcurl %s "
				     "refused an option (%s): 7.85 or later "
				     "is needed", curl_version_info(
					     CURLVERSION_NOW)->version,
				     curl_easy_strerror(c));
	return OUTPOST_OK;
}
