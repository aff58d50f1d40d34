/* t_neo4j_http_auth.c - how the Neo4j HTTP client (see t_neo4j_http.c)
 * meets its server: credentials sent right and never shown, bad options
 * refused before any network, and TLS always verified, against a real
 * TLS server on loopback (tls_front.h) with throw-away certificates. */
#include <time.h>

#include "t_neo4j_http.h"
#include "tls_front.h"

void test_neo4j_http_basic_auth(struct t *t)
{
	static const struct http_fake_step s[] = {S(200, TX_ONE)};
	char v[256];
	SCRIPT(s, OP_NEO4J_API_TX, 1);

	CHECK_RC(run1(&r, h, "RETURN 1 AS a"), OUTPOST_OK);
	CHECK_STR(http_fake_header(f, 0, "authorization", v, sizeof(v)),
		  "Basic bmVvNGo6czNjcmV0LVBX"); /* neo4j:s3cret-PW */
	CHECK_STR(http_fake_header(f, 0, "User-Agent", v, sizeof(v)),
		  "outpost/0.1.0");
	CHECK_STR(http_fake_header(f, 0, "Content-Type", v, sizeof(v)),
		  "application/json");
	CHECK_STR(http_fake_header(f, 0, "Accept", v, sizeof(v)),
		  "application/json");
	END();
}

/* The token goes as a Bearer header; echoed back by the server, it is
 * scrubbed from the message (so is a transport error's text). */
void test_neo4j_http_bearer_auth(struct t *t)
{
	static const struct http_fake_step s[] = {
		S(403, ERR("Neo.ClientError.Security.Forbidden",
			  "token tok-ABC.123 may not write"))};
	struct http_fake *f = http_fake_start(s, 1);
	struct op_neo4j_opts o = OP_NEO4J_OPTS_INIT;
	struct op_neo4j *h = NULL;
	struct op_neo4j_result *r = NULL;
	char v[256];

	CHECK(f);
	o.url = http_fake_url(f);
	o.auth = OP_NEO4J_AUTH_BEARER;
	o.secret = "tok-ABC.123";
	o.api = OP_NEO4J_API_QUERY_V2;
	CHECK_RC(op_neo4j_open(&h, &o), OUTPOST_OK);
	CHECK_RC(run1(&r, h, "CREATE ()"), OUTPOST_EDENIED);
	CHECK_HAS(op_neo4j_errmsg(h), "Security.Forbidden: token *********** "
				      "may not write (HTTP 403)");
	CHECK(!strstr(op_neo4j_errmsg(h), "tok-ABC"));
	CHECK_STR(http_fake_header(f, 0, "Authorization", v, sizeof(v)),
		  "Bearer tok-ABC.123");
	END();
}

/* Bad options are refused before any network, without quoting a URL
 * that may hold a password. */
void test_neo4j_http_options_refused(struct t *t)
{
	static const struct {
		const char *url, *db, *user, *secret, *ca;
		enum op_neo4j_auth auth;
		int allow;
		const char *says;
	} c[] = {
		{"http://neo4j:pw9@127.0.0.1:7474", NULL, "neo4j", "x", NULL,
		 OP_NEO4J_AUTH_BASIC, 0, "url holds credentials"},
		{"ftp://127.0.0.1/", NULL, NULL, NULL, NULL, 0, 0, "http://"},
		{"127.0.0.1:7474", NULL, NULL, NULL, NULL, 0, 0, "http://"},
		{"http://127.0.0.1:7474/?a=pw9", NULL, NULL, NULL, NULL, 0, 0,
		 "query"},
		{"http://db.example:7474", NULL, "neo4j", "x", NULL,
		 OP_NEO4J_AUTH_BASIC, 0, "plain http"},
		{"http://127.0.0.1:7474", "bad name", NULL, NULL, NULL, 0, 0,
		 "database names"},
		{"http://127.0.0.1:7474", NULL, NULL, "x", NULL, 0, 0, "Basic"},
		{"http://127.0.0.1:7474", NULL, NULL, "x", NULL,
		 OP_NEO4J_AUTH_BASIC, 0, "Basic"},
		{"http://127.0.0.1:7474", NULL, NULL, "", NULL,
		 OP_NEO4J_AUTH_BEARER, 0, "Bearer"},
		{"http://127.0.0.1:7474", NULL, NULL, "tok\r\nX-Evil: 1", NULL,
		 OP_NEO4J_AUTH_BEARER, 0, "control characters"},
		{"http://127.0.0.1:7474", NULL, "a:b", "x", NULL,
		 OP_NEO4J_AUTH_BASIC, 0, "':' in the user"},
		{"https://127.0.0.1:7473", NULL, NULL, NULL, "/nonexistent.pem",
		 0, 0, "ca_file"},
		{"http://db.example:7474", NULL, "neo4j", "x", NULL,
		 OP_NEO4J_AUTH_BASIC, 1, NULL},
		{"https://db.example:7473/neo4j/", "a-b.c_d", NULL, "tok", NULL,
		 OP_NEO4J_AUTH_BEARER, 0, NULL},
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct op_neo4j_opts o = OP_NEO4J_OPTS_INIT;
		struct op_neo4j *h = NULL;
		int rc;

		o.url = c[i].url;
		o.database = c[i].db;
		o.user = c[i].user;
		o.secret = c[i].secret;
		o.ca_file = c[i].ca;
		o.auth = c[i].auth;
		o.allow_plain_http = c[i].allow;
		rc = op_neo4j_open(&h, &o);
		CHECK(h != NULL);
		if (!c[i].says) {
			CHECK_RC(rc, OUTPOST_OK);
		} else {
			CHECK_RC(rc, OUTPOST_EMISUSE);
			CHECK_HAS(op_neo4j_errmsg(h), c[i].says);
			CHECK(!strstr(op_neo4j_errmsg(h), "pw9"));
			CHECK_RC(op_neo4j_discover(h), OUTPOST_EMISUSE);
		}
		op_neo4j_close(h);
	}
}

/* ---- TLS --------------------------------------------------------------- */

/* A client of url (Basic auth, 3 tries, 5 s bounds) trusting ca_file
 * (NULL: the system's CAs). NULL, said on stderr, if open fails. */
static struct op_neo4j *tls_client(const char *url, const char *ca_file)
{
	struct op_neo4j_opts o = OP_NEO4J_OPTS_INIT;
	struct op_neo4j *h = NULL;

	o.url = url;
	o.auth = OP_NEO4J_AUTH_BASIC;
	o.user = "neo4j";
	o.secret = SECRET;
	o.ca_file = ca_file;
	o.max_tries = 3;
	o.backoff_ms = 1;
	o.connect_timeout_ms = 5000;
	o.timeout_ms = 5000;
	if (op_neo4j_open(&h, &o) != OUTPOST_OK) {
		fprintf(stderr, "open: %s\n", op_neo4j_errmsg(h));
		op_neo4j_close(h);
		return NULL;
	}
	return h;
}

/* Start the fake with these steps and the TLS front before it: f and
 * tls for the test, stopped by TLS_END(). */
#define TLS_SCRIPT(steps)                                                    \
	struct http_fake *f = http_fake_start(steps, sizeof(steps) /         \
							     sizeof(steps[0])); \
	struct t_tls_front tls;                                              \
	CHECK(f);                                                            \
	if (t_tls_front_start(t, &tls, http_fake_url(f)) != 0) {             \
		http_fake_stop(f);                                           \
		return;                                                      \
	}

#define TLS_END()                                                            \
	do {                                                                 \
		t_tls_front_stop(&tls);                                      \
		http_fake_stop(f);                                           \
	} while (0)

/* Discovery fails at once on url trusting ca_file: TLS refused, not
 * retried, saying needle; nothing reached the server behind. */
#define CHECK_TLS_REFUSED(url, ca_file, needle)                              \
	do {                                                                 \
		struct op_neo4j *c_ = tls_client(url, ca_file);              \
		int rc_;                                                     \
		CHECK(c_);                                                   \
		rc_ = op_neo4j_discover(c_);                                 \
		if (rc_ != OUTPOST_EREFUSED)                                 \
			fprintf(stderr, "%s\n", op_neo4j_errmsg(c_));        \
		CHECK_RC(rc_, OUTPOST_EREFUSED);                             \
		CHECK_FAIL(c_, OUTPOST_EREFUSED, OP_NEO4J_FAIL_PERMANENT,    \
			   "TLS: ");                                         \
		CHECK_HAS(op_neo4j_errmsg(c_), needle);                      \
		CHECK_EQ(op_neo4j_err_get(c_)->tries, 1);                    \
		CHECK_EQ(op_neo4j_err_get(c_)->http_status, 0);              \
		op_neo4j_close(c_);                                          \
	} while (0)

/* With the CA that signed the server's certificate as ca_file: discovery
 * and a statement over TLS, one connection, credentials inside. */
void test_neo4j_http_tls_ca_file(struct t *t)
{
	static const struct http_fake_step s[] = {S(200, ROOT_V2),
						  S(202, V2_OK)};
	struct op_neo4j_result *r = NULL;
	struct op_neo4j *h;
	char v[256];
	TLS_SCRIPT(s);

	h = tls_client(tls.url[T_TLS_GOOD], tls.ca);
	CHECK(h);
	CHECK_RC(run1(&r, h, "MATCH (p) RETURN p.name AS name, 42 AS n"),
		 OUTPOST_OK);
	CHECK_EQ(op_neo4j_server_get(h)->api, OP_NEO4J_API_QUERY_V2);
	CHECK_EQ(r->tables[0].nrows, 2);
	CHECK_EQ(http_fake_count(f), 2);
	CHECK_STR(http_fake_req(f, 0)->path, "/");
	CHECK_STR(http_fake_req(f, 1)->path, "/db/neo4j/query/v2");
	CHECK_STR(http_fake_header(f, 1, "Authorization", v, sizeof(v)),
		  "Basic bmVvNGo6czNjcmV0LVBX");
	CHECK_EQ(http_fake_accepts(f), 1);
	op_neo4j_result_free(r);
	op_neo4j_close(h);
	TLS_END();
}

/* Verification is on by default: a certificate the system's CAs do not
 * vouch for is refused, self-signed or signed by an unknown CA, and so
 * is a self-signed one that the given ca_file did not sign; a ca_file
 * that holds no certificate is refused too. Each at once, bounded. */
void test_neo4j_http_tls_untrusted(struct t *t)
{
	static const struct http_fake_step s[] = {S(200, ROOT_V2)};
	struct timespec a, b;
	TLS_SCRIPT(s);

	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_TLS_REFUSED(tls.url[T_TLS_SELF], NULL, "certificate");
	CHECK_TLS_REFUSED(tls.url[T_TLS_GOOD], NULL, "certificate");
	CHECK_TLS_REFUSED(tls.url[T_TLS_SELF], tls.ca, "certificate");
	CHECK_TLS_REFUSED(tls.url[T_TLS_GOOD], tls.junk, "ca_file");
	clock_gettime(CLOCK_MONOTONIC, &b);
	CHECK(b.tv_sec - a.tv_sec < 10);
	CHECK_EQ(http_fake_count(f), 0);
	TLS_END();
}

/* A certificate from the trusted CA, but for another host name: the
 * name is checked too. */
void test_neo4j_http_tls_wrong_host(struct t *t)
{
	static const struct http_fake_step s[] = {S(200, ROOT_V2)};
	TLS_SCRIPT(s);

	CHECK_TLS_REFUSED(tls.url[T_TLS_WRONG], tls.ca, "host name");
	CHECK_EQ(http_fake_count(f), 0);
	TLS_END();
}
