/* neo4j_body.c - the JSON of requests (neo4j_int.h): the Query API's
 * {"statement", "parameters", "bookmarks"} and the transactional
 * endpoint's {"statements": [{"statement", "parameters"}, ...]}. The
 * Cypher text is escaped here; parameters are the caller's cJSON,
 * checked first so nothing is sent that would arrive changed: no number
 * a double cannot hold exactly as an integer (beyond 2^53), no NaN or
 * infinity (cJSON would print null), no raw JSON text. */
#include <stdio.h>
#include <string.h>

#include "neo4j_int.h"

#define TWO_53 9007199254740992.0
#define PARAM_DEPTH_MAX 100

/* s as a JSON string. */
static void json_string(struct op_buf *b, const char *s)
{
	const char *run = s;

	op_buf_adds(b, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		op_buf_add(b, run, (size_t)(s - run));
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c == '\n')
			snprintf(esc, sizeof(esc), "\\n");
		else if (c == '\t')
			snprintf(esc, sizeof(esc), "\\t");
		else
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		op_buf_adds(b, esc);
		run = s + 1;
	}
	op_buf_add(b, run, (size_t)(s - run));
	op_buf_adds(b, "\"");
}

/* NULL when v and everything in it can be sent; else why not. */
static const char *unsendable(const cJSON *v, int depth)
{
	const cJSON *c;

	if (depth > PARAM_DEPTH_MAX)
		return "nested too deeply";
	if (cJSON_IsNumber(v))
		return v->valuedouble >= -TWO_53 && v->valuedouble <= TWO_53
			       ? NULL
			       : "a number beyond 2^53 (or NaN or infinite) "
				 "cannot travel exactly; send a 64-bit integer "
				 "as a decimal string and use toInteger() in "
				 "Cypher";
	if (cJSON_IsRaw(v) || cJSON_IsInvalid(v))
		return "raw or invalid cJSON item";
	if (cJSON_IsArray(v) || cJSON_IsObject(v))
		cJSON_ArrayForEach(c, v) {
			const char *why = unsendable(c, depth + 1);

			if (why)
				return why;
		}
	return NULL;
}

/* The parameters object as JSON ("{}" for NULL). */
static int params_json(struct op_buf *b, const cJSON *params,
		       struct op_neo4j_err *e)
{
	const cJSON *p;
	char *text;

	if (!params) {
		op_buf_adds(b, "{}");
		return OUTPOST_OK;
	}
	if (!cJSON_IsObject(params))
		return op_neo4j_fail(e, OUTPOST_EMISUSE, OP_NEO4J_FAIL_PERMANENT,
				     "parameters are not a JSON object");
	cJSON_ArrayForEach(p, params) {
		const char *why = unsendable(p, 0);
		char name[64];

		if (!why)
			continue;
		op_show(name, sizeof(name), p->string ? p->string : "?");
		return op_neo4j_fail(e, OUTPOST_EMISUSE, OP_NEO4J_FAIL_PERMANENT,
				     "parameter $%s: %s", name, why);
	}
	if (!(text = cJSON_PrintUnformatted(params)))
		return op_neo4j_fail(e, OUTPOST_ENOMEM, OP_NEO4J_FAIL_PERMANENT,
				     "out of memory");
	op_buf_adds(b, text);
	cJSON_free(text);
	return OUTPOST_OK;
}

/* "statement": ..., "parameters": ... of one statement. */
static int stmt_json(struct op_buf *b, const struct op_neo4j_stmt *s,
		     struct op_neo4j_err *e)
{
	if (!s->cypher)
		return op_neo4j_fail(e, OUTPOST_EMISUSE, OP_NEO4J_FAIL_PERMANENT,
				     "no Cypher text");
	op_buf_adds(b, "\"statement\":");
	json_string(b, s->cypher);
	op_buf_adds(b, ",\"parameters\":");
	return params_json(b, s->params, e);
}

static int done(struct op_buf *b, struct op_neo4j_err *e)
{
	return b->oom ? op_neo4j_fail(e, OUTPOST_ENOMEM,
				      OP_NEO4J_FAIL_PERMANENT, "out of memory")
		      : OUTPOST_OK;
}

int op_neo4j_body_v2(struct op_buf *b, const struct op_neo4j_stmt *s,
		     const cJSON *bookmarks, struct op_neo4j_err *e)
{
	int rc;

	op_buf_adds(b, "{");
	rc = stmt_json(b, s, e);
	if (rc != OUTPOST_OK)
		return rc;
	/* Only when there are some: an empty list says nothing. */
	if (cJSON_GetArraySize(bookmarks) > 0) {
		char *text = cJSON_PrintUnformatted(bookmarks);

		if (!text)
			return op_neo4j_fail(e, OUTPOST_ENOMEM,
					     OP_NEO4J_FAIL_PERMANENT,
					     "out of memory");
		op_buf_adds(b, ",\"bookmarks\":");
		op_buf_adds(b, text);
		cJSON_free(text);
	}
	op_buf_adds(b, "}");
	return done(b, e);
}

int op_neo4j_body_tx(struct op_buf *b, const struct op_neo4j_stmt *s,
		     size_t n, struct op_neo4j_err *e)
{
	size_t i;

	op_buf_adds(b, "{\"statements\":[");
	for (i = 0; i < n; i++) {
		int rc;

		op_buf_adds(b, i ? ",{" : "{");
		rc = stmt_json(b, &s[i], e);
		if (rc != OUTPOST_OK) {
			op_neo4j_prefix(e, "statement %zu: ", i + 1);
			return rc;
		}
		op_buf_adds(b, "}");
	}
	op_buf_adds(b, "]}");
	return done(b, e);
}
