/* neo4j_reply.c - reading Neo4j's answers (neo4j_int.h). An answer is
 * hostile input: any bytes up to max_body. Every entry is looked up by
 * name and its type checked before use; big integers are kept exact
 * (neo4j_http.h); a failure is classified from the server's error code
 * first and the HTTP status second, since a non-empty "errors" array is a
 * failure at any status. The server's text is kept in the message, made
 * printable, cut short and stripped of the secret. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "neo4j_int.h"

#define TEXT_SHOWN 320 /* of a server message in ours */
#define BOOKMARK_MAX 4096

int op_neo4j_fail(struct op_neo4j_err *e, int rc, enum op_neo4j_fail f,
		  const char *fmt, ...)
{
	va_list ap;

	e->rc = rc;
	e->fail = f;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return rc;
}

void op_neo4j_prefix(struct op_neo4j_err *e, const char *fmt, ...)
{
	char pre[sizeof(e->msg)], all[2 * sizeof(e->msg)];
	size_t l;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	snprintf(all, sizeof(all), "%s%s", pre, e->msg);
	l = strlen(all);
	if (l >= sizeof(e->msg))
		l = sizeof(e->msg) - 1;
	memcpy(e->msg, all, l);
	e->msg[l] = '\0';
}

void op_neo4j_scrub(char *s, const char *secret)
{
	size_t n = secret ? strlen(secret) : 0;
	char *p = s;

	if (n == 0)
		return;
	while ((p = strstr(p, secret)) != NULL) {
		memset(p, '*', n);
		p += n;
	}
}

/* The whole text as one JSON value, or NULL (not JSON, cut short,
 * trailing bytes, a NUL inside, or no memory: *oom says which). */
static cJSON *parse_all(const char *body, size_t len, int *oom)
{
	char *fixed = NULL;
	size_t flen = 0;
	const char *text = body, *end = NULL;
	cJSON *doc;

	*oom = 0;
	if (len == 0 || memchr(body, '\0', len))
		return NULL;
	if (op_neo4j_exact_ints(&fixed, &flen, body, len) != OUTPOST_OK) {
		*oom = 1;
		return NULL;
	}
	if (fixed) {
		text = fixed;
		len = flen;
	}
	doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	while (doc && end < text + len &&
	       (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
		end++;
	if (doc && end != text + len) {
		cJSON_Delete(doc);
		doc = NULL;
	}
	op_free(fixed);
	return doc;
}

static int starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A failure by HTTP status alone. */
static int by_status(struct op_neo4j_err *e, long status, const char *why)
{
	if (status == 401 || status == 403)
		return op_neo4j_fail(e, OUTPOST_EDENIED, OP_NEO4J_FAIL_PERMANENT,
				     "HTTP %ld: authentication failed or not "
				     "allowed%s", status, why);
	if (status == 404)
		return op_neo4j_fail(e, OUTPOST_ENOTFOUND,
				     OP_NEO4J_FAIL_PERMANENT, "HTTP 404: no "
				     "such database or endpoint%s", why);
	if (status == 413)
		return op_neo4j_fail(e, OUTPOST_EREFUSED, OP_NEO4J_FAIL_TOO_BIG,
				     "HTTP 413: the request is too large%s",
				     why);
	if (status == 408 || status == 429 || (status >= 500 && status < 600))
		return op_neo4j_fail(e, OUTPOST_ENET, OP_NEO4J_FAIL_TRANSIENT,
				     "HTTP %ld%s", status, why);
	if (status >= 300 && status < 400)
		return op_neo4j_fail(e, OUTPOST_EREFUSED,
				     OP_NEO4J_FAIL_PERMANENT, "HTTP %ld: "
				     "redirects are not followed (is the URL "
				     "right?)%s", status, why);
	if (status >= 400 && status < 500)
		return op_neo4j_fail(e, OUTPOST_EREFUSED,
				     OP_NEO4J_FAIL_PERMANENT, "HTTP %ld%s",
				     status, why);
	return op_neo4j_fail(e, OUTPOST_EPROTO, OP_NEO4J_FAIL_PERMANENT,
			     "HTTP %ld: not an answer Neo4j gives%s", status,
			     why);
}

/* A failure by the server's error code (already in e->code). */
static int by_code(struct op_neo4j_err *e, long status, const char *text)
{
	const char *c = e->code, *shown = c[0] ? c : "(no code)";
	enum op_neo4j_fail f = OP_NEO4J_FAIL_PERMANENT;
	int rc = OUTPOST_EREFUSED;
	char why[sizeof(e->msg)];

	if (strstr(c, "OutOfMemory") || strstr(c, "MemoryLimit") ||
	    starts(c, "Neo.ClientError.Transaction.TransactionTimedOut")) {
		f = OP_NEO4J_FAIL_TOO_BIG;
	} else if (starts(c, "Neo.TransientError.")) {
		rc = OUTPOST_ENET;
		f = OP_NEO4J_FAIL_TRANSIENT;
	} else if (starts(c, "Neo.ClientError.Security.")) {
		rc = OUTPOST_EDENIED;
	} else if (strcmp(c, "Neo.ClientError.Database.DatabaseNotFound") ==
		   0) {
		rc = OUTPOST_ENOTFOUND;
	} else if (!starts(c, "Neo.") && status / 100 != 2) {
		/* No code we know: the status decides, the text is kept. */
		snprintf(why, sizeof(why), ": %s: %s", shown, text);
		return by_status(e, status, why);
	}
	return op_neo4j_fail(e, rc, f, "%s: %s (HTTP %ld)", shown, text,
			     status);
}

/* A non-empty "errors" array: 1, with e filled; 0 if none; -1 if it is
 * there and not an array. */
static int read_errors(struct op_neo4j_err *e, const cJSON *doc,
		       long status, const char *secret)
{
	const cJSON *errs = cJSON_GetObjectItemCaseSensitive(doc, "errors");
	const cJSON *first, *code, *msg;
	char raw[1024], text[TEXT_SHOWN + 32];
	int n;

	if (!errs)
		return 0;
	if (!cJSON_IsArray(errs))
		return -1;
	n = cJSON_GetArraySize(errs);
	if (n == 0)
		return 0;
	first = cJSON_GetArrayItem(errs, 0);
	code = cJSON_GetObjectItemCaseSensitive(first, "code");
	msg = cJSON_GetObjectItemCaseSensitive(first, "message");
	snprintf(raw, sizeof(raw), "%s",
		 cJSON_IsString(code) ? code->valuestring : "");
	op_neo4j_scrub(raw, secret);
	op_show(e->code, sizeof(e->code), raw);
	snprintf(raw, sizeof(raw), "%s",
		 cJSON_IsString(msg) ? msg->valuestring : "(no message)");
	op_neo4j_scrub(raw, secret);
	op_show(text, TEXT_SHOWN, raw);
	if (n > 1) {
		size_t l = strlen(text);

		snprintf(text + l, sizeof(text) - l, " (and %d more)", n - 1);
	}
	by_code(e, status, text);
	return 1;
}

static int bad(struct op_neo4j_err *e, const char *what)
{
	return op_neo4j_fail(e, OUTPOST_EPROTO, OP_NEO4J_FAIL_PERMANENT,
			     "the answer is not Neo4j's: %s", what);
}

/* An array of at most max strings (any count when max is 0). */
static int strings(const cJSON *a, int max)
{
	const cJSON *s;

	if (!cJSON_IsArray(a) || (max && cJSON_GetArraySize(a) > max))
		return 0;
	cJSON_ArrayForEach(s, a)
		if (!cJSON_IsString(s) ||
		    (max && strlen(s->valuestring) > BOOKMARK_MAX))
			return 0;
	return 1;
}

/* {"fields": fields, "rows": rows} appended to results; takes both. */
static int add_table(cJSON *results, cJSON *fields, cJSON *rows)
{
	cJSON *t = cJSON_CreateObject();

	if (!t || !cJSON_AddItemToArray(results, t)) {
		cJSON_Delete(t);
		cJSON_Delete(fields);
		cJSON_Delete(rows);
		return OUTPOST_ENOMEM;
	}
	if (!cJSON_AddItemToObject(t, "fields", fields)) {
		cJSON_Delete(fields);
		cJSON_Delete(rows);
		return OUTPOST_ENOMEM;
	}
	if (!cJSON_AddItemToObject(t, "rows", rows)) {
		cJSON_Delete(rows);
		return OUTPOST_ENOMEM;
	}
	return OUTPOST_OK;
}

/* data: {"fields": [names], "values": [[row], ...]} */
static int read_v2(cJSON *out, cJSON *doc, struct op_neo4j_err *e)
{
	cJSON *data = cJSON_GetObjectItemCaseSensitive(doc, "data");
	const cJSON *fields = cJSON_GetObjectItemCaseSensitive(data, "fields");
	const cJSON *values = cJSON_GetObjectItemCaseSensitive(data, "values");
	const cJSON *row;
	int nf;

	if (!cJSON_IsObject(data) || !strings(fields, 0) ||
	    !cJSON_IsArray(values))
		return bad(e, "no data.fields (strings) and data.values");
	nf = cJSON_GetArraySize(fields);
	cJSON_ArrayForEach(row, values)
		if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != nf)
			return bad(e, "a row of data.values does not match "
				      "data.fields");
	if (add_table(cJSON_GetObjectItemCaseSensitive(out, "results"),
		      cJSON_DetachItemFromObjectCaseSensitive(data, "fields"),
		      cJSON_DetachItemFromObjectCaseSensitive(data, "values")))
		return op_neo4j_fail(e, OUTPOST_ENOMEM, OP_NEO4J_FAIL_PERMANENT,
				     "out of memory");
	return OUTPOST_OK;
}

/* One of results: {"columns": [names], "data": [{"row": [...]}, ...]} */
static int read_tx_result(cJSON *results, cJSON *r, struct op_neo4j_err *e)
{
	const cJSON *cols = cJSON_GetObjectItemCaseSensitive(r, "columns");
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(r, "data");
	cJSON *rows, *item;
	int nc;

	if (!strings(cols, 0) || !cJSON_IsArray(data))
		return bad(e, "a result without columns (strings) and data");
	nc = cJSON_GetArraySize(cols);
	cJSON_ArrayForEach(item, data) {
		const cJSON *row = cJSON_GetObjectItemCaseSensitive(item, "row");

		if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != nc)
			return bad(e, "a data[].row does not match columns");
	}
	if (!(rows = cJSON_CreateArray()))
		return op_neo4j_fail(e, OUTPOST_ENOMEM, OP_NEO4J_FAIL_PERMANENT,
				     "out of memory");
	cJSON_ArrayForEach(item, data)
		cJSON_AddItemToArray(rows, cJSON_DetachItemFromObjectCaseSensitive(
						   item, "row"));
	if (add_table(results, cJSON_DetachItemFromObjectCaseSensitive(
				       r, "columns"), rows))
		return op_neo4j_fail(e, OUTPOST_ENOMEM, OP_NEO4J_FAIL_PERMANENT,
				     "out of memory");
	return OUTPOST_OK;
}

static int read_tx(cJSON *out, cJSON *doc, size_t nstmts,
		   struct op_neo4j_err *e)
{
	cJSON *results = cJSON_GetObjectItemCaseSensitive(doc, "results");
	cJSON *r;
	int rc = OUTPOST_OK;

	if (!cJSON_IsArray(results) ||
	    (size_t)cJSON_GetArraySize(results) != nstmts)
		return bad(e, "no results, one per statement");
	cJSON_ArrayForEach(r, results) {
		if (rc == OUTPOST_OK)
			rc = read_tx_result(
				cJSON_GetObjectItemCaseSensitive(out, "results"),
				r, e);
	}
	return rc;
}

/* The shape of a successful answer, moved into out. */
static int read_ok(cJSON *out, cJSON *doc, enum neo4j_reply kind,
		   size_t nstmts, struct op_neo4j_err *e)
{
	const char *bkey = kind == NEO4J_REPLY_V2 ? "bookmarks"
						  : "lastBookmarks";
	cJSON *bm = cJSON_GetObjectItemCaseSensitive(doc, bkey);
	int rc;

	if (!cJSON_IsObject(doc))
		return bad(e, "not a JSON object");
	/* The Query API's are sent back with the next request: only what
	 * Neo4j would give, so a hostile answer cannot grow every request
	 * after it (nor a result's, from either interface). */
	if (bm && !strings(bm, NEO4J_BOOKMARKS_MAX))
		return op_neo4j_fail(e, OUTPOST_EPROTO, OP_NEO4J_FAIL_PERMANENT,
				     "the answer is not Neo4j's: \"%s\" is not "
				     "a list of at most %d strings of at most "
				     "%d bytes", bkey, NEO4J_BOOKMARKS_MAX,
				     BOOKMARK_MAX);
	if (kind == NEO4J_REPLY_V2 && nstmts != 1)
		return bad(e, "one statement per Query API request");
	rc = kind == NEO4J_REPLY_V2 ? read_v2(out, doc, e)
				    : read_tx(out, doc, nstmts, e);
	if (rc != OUTPOST_OK)
		return rc;
	bm = bm ? cJSON_DetachItemViaPointer(doc, bm) : cJSON_CreateArray();
	if (!bm || !cJSON_AddItemToObject(out, "bookmarks", bm)) {
		cJSON_Delete(bm);
		return op_neo4j_fail(e, OUTPOST_ENOMEM, OP_NEO4J_FAIL_PERMANENT,
				     "out of memory");
	}
	return OUTPOST_OK;
}

/* A parsed answer judged: errors first, then the status, then the
 * shape. On OUTPOST_OK *out is doc itself (ROOT) or a new document. */
static int judge(cJSON **out, cJSON *doc, enum neo4j_reply kind,
		 long status, size_t nstmts, const char *secret,
		 struct op_neo4j_err *e)
{
	int errs = cJSON_IsObject(doc) ? read_errors(e, doc, status, secret)
				       : 0;
	cJSON *norm;
	int rc;

	if (errs > 0)
		return e->rc;
	if (errs < 0)
		return bad(e, "\"errors\" is not an array");
	if (status / 100 != 2)
		return by_status(e, status, "");
	if (!cJSON_IsObject(doc))
		return bad(e, "not a JSON object");
	if (kind == NEO4J_REPLY_ROOT) {
		*out = doc;
		return OUTPOST_OK;
	}
	norm = cJSON_CreateObject();
	if (!norm || !cJSON_AddArrayToObject(norm, "results"))
		rc = op_neo4j_fail(e, OUTPOST_ENOMEM, OP_NEO4J_FAIL_PERMANENT,
				   "out of memory");
	else
		rc = read_ok(norm, doc, kind, nstmts, e);
	if (rc != OUTPOST_OK) {
		cJSON_Delete(norm);
		return rc;
	}
	*out = norm;
	return OUTPOST_OK;
}

int op_neo4j_reply(cJSON **out, enum neo4j_reply kind, long status,
		   const char *body, size_t len, size_t nstmts,
		   const char *secret, struct op_neo4j_err *e)
{
	int oom, rc;
	cJSON *doc = parse_all(body, len, &oom);

	*out = NULL;
	e->rc = OUTPOST_OK;
	e->fail = OP_NEO4J_FAIL_NONE;
	e->code[0] = '\0';
	e->msg[0] = '\0';
	e->http_status = status;
	if (oom)
		return op_neo4j_fail(e, OUTPOST_ENOMEM, OP_NEO4J_FAIL_PERMANENT,
				     "out of memory");
	/* Unparsable: a 2xx answer was cut short (retry); otherwise the
	 * status says enough (an HTML 401 page, a proxy's 503). */
	if (!doc && status / 100 == 2)
		return op_neo4j_fail(e, OUTPOST_EPROTO, OP_NEO4J_FAIL_TRANSIENT,
				     "HTTP %ld with %s (%zu bytes): cut short?",
				     status, len ? "a body that is not "
						   "complete JSON"
						 : "no body", len);
	if (!doc)
		return by_status(e, status, "");
	rc = judge(out, doc, kind, status, nstmts, secret, e);
	if (*out != doc)
		cJSON_Delete(doc);
	return rc;
}
