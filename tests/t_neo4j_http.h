/* t_neo4j_http.h - the fixture the Neo4j HTTP client's tests share
 * (t_neo4j_http.c: discovery, statements, bookmarks, integers;
 * t_neo4j_http_errors.c: failures, retries, the answer parser;
 * t_neo4j_http_auth.c: credentials, options, TLS): the servers' canned
 * answers, a client on a scripted fake server (http_fake.h), and checks
 * of a failure. */
#ifndef OP_T_NEO4J_HTTP_H
#define OP_T_NEO4J_HTTP_H

#include "check.h"
#include "http_fake.h"
#include "neo4j_int.h"

#define SECRET "s3cret-PW"
#define ROOT_V2                                                              \
	"{\"bolt_routing\":\"neo4j://localhost:7687\",\"query\":\"http://"    \
	"localhost:7474/db/{databaseName}/query/v2\",\"transaction\":\"http:" \
	"//localhost:7474/db/{databaseName}/tx\",\"neo4j_version\":\"5.26.0\"" \
	",\"neo4j_edition\":\"enterprise\"}"
#define ROOT_TX                                                              \
	"{\"bolt_direct\":\"bolt://localhost:7687\",\"transaction\":\"http://" \
	"localhost:7474/db/{databaseName}/tx\",\"neo4j_version\":\"4.4.0\","  \
	"\"neo4j_edition\":\"community\"}"
#define ROOT_3 "{\"management\":\"http://localhost:7474/db/manage/\",\"data\":" \
	       "\"http://localhost:7474/db/data/\"}"
#define DATA_3 "{\"extensions\":{},\"transaction\":\"http://localhost:7474/" \
	       "db/data/transaction\",\"neo4j_version\":\"3.1.1\"}"
#define V2_OK "{\"data\":{\"fields\":[\"name\",\"n\"],\"values\":[[\"Alice\"," \
	      "42],[\"Bob\",7]]},\"bookmarks\":[\"FB:kcwQ1\"]}"
#define V2_OK2 "{\"data\":{\"fields\":[],\"values\":[]},\"bookmarks\":[\"FB:2\"]}"
#define TX_OK                                                                \
	"{\"results\":[{\"columns\":[\"a\"],\"data\":[{\"row\":[1],\"meta\":" \
	"[null]}]},{\"columns\":[\"b\",\"c\"],\"data\":[{\"row\":[\"x\",true]" \
	",\"meta\":[null,null]},{\"row\":[\"y\",null],\"meta\":[null,null]}]}]" \
	",\"errors\":[]}"
#define TX_ONE "{\"results\":[{\"columns\":[\"a\"],\"data\":[]}],\"errors\":[]}"
#define S(st, b) {.status = (st), .body = (b)}
#define ERR(code, msg) "{\"errors\":[{\"code\":\"" code "\",\"message\":\"" msg "\"}]}"

/* A client on f: Basic auth (neo4j, SECRET), the given api, tries and
 * timeout, backoff of a few ms. NULL (with the reason on stderr) if it
 * cannot be opened. */
struct op_neo4j *t_neo4j_http_client(struct http_fake *f,
				     enum op_neo4j_api api, unsigned tries,
				     long timeout_ms);

/* Run one statement without parameters. */
static inline int run1(struct op_neo4j_result **r, struct op_neo4j *h,
		       const char *cypher)
{
	struct op_neo4j_stmt s = {cypher, NULL};

	return op_neo4j_run(r, h, &s, 1);
}

/* The last failure is rc, of class f, says needle, never the secret. */
#define CHECK_FAIL(h, rc_, f_, needle)                                       \
	do {                                                                 \
		const struct op_neo4j_err *e_ = op_neo4j_err_get(h);         \
		CHECK_RC(e_->rc, rc_);                                       \
		CHECK_EQ(e_->fail, f_);                                      \
		CHECK_HAS(e_->msg, needle);                                  \
		CHECK(!strstr(e_->msg, SECRET));                             \
	} while (0)

/* Start a fake with these steps and a client on it (Basic auth, fast
 * backoff): f, h and r for the test, freed by END(). */
#define SCRIPT(steps, api, tries)                                            \
	struct http_fake *f = http_fake_start(steps, sizeof(steps) /         \
							     sizeof(steps[0])); \
	struct op_neo4j *h =                                                 \
		f ? t_neo4j_http_client(f, api, tries, 5000) : NULL;         \
	struct op_neo4j_result *r = NULL;                                    \
	CHECK(f && h)

#define END()                                                                \
	do {                                                                 \
		op_neo4j_result_free(r);                                     \
		op_neo4j_close(h);                                           \
		http_fake_stop(f);                                           \
	} while (0)

#endif
