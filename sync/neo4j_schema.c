/* neo4j_schema.c - what the Neo4j sink keeps about the schema in Neo4j:
 * the bookkeeping node (:_outpost_meta {key: 'schema', name, version}),
 * which stands in for central's meta table, and the uniqueness
 * constraints (uuid of every label and of the tombstones, and each
 * unique property), made idempotently in the server's syntax; and the
 * comparison of the constraints there are with those (`outpost schema
 * check --neo4j`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neo4j_sink_int.h"

/* Run one statement with no parameters but those given; *out (if not
 * NULL) gets the result. */
static int run1(struct neo4j_schema_ctx *c, struct op_neo4j_result **out,
		const char *cypher, const cJSON *params, const char *what)
{
	struct op_neo4j_stmt st = {cypher, params};
	struct op_neo4j_result *r = NULL;
	int rc = op_neo4j_run(&r, c->h, &st, 1);

	if (rc != OUTPOST_OK || !r)
		return op_neo4j_sink_fail(c->base, c->h, what);
	if (out)
		*out = r;
	else
		op_neo4j_result_free(r);
	return rc;
}

static int make_unique(void *ctx, const char *label, const char *prop)
{
	struct neo4j_schema_ctx *c = ctx;
	struct op_buf b = {0};
	int major, minor, rc;

	op_neo4j_sink_version(c->h, &major, &minor);
	op_neo4j_cypher_unique(&b, major, minor, label, prop);
	if (b.oom) {
		op_buf_free(&b);
		return OUTPOST_ENOMEM;
	}
	rc = run1(c, NULL, op_buf_str(&b), NULL, "constraints");
	/* 4.0 to 4.3 refuse to make an existing constraint again. */
	if (rc != OUTPOST_OK &&
	    strstr(op_neo4j_err_get(c->h)->code,
		   "EquivalentSchemaRuleAlreadyExists")) {
		c->base->errmsg[0] = '\0';
		rc = OUTPOST_OK;
	}
	op_buf_free(&b);
	return rc;
}

/* Indexes on relationship uuids make updates and deletes of
 * relationships fast; a server that refuses one still works. */
static void make_rel_indexes(struct neo4j_schema_ctx *c)
{
	int major, minor;
	size_t i;

	op_neo4j_sink_version(c->h, &major, &minor);
	for (i = 0; i < c->s->nrels; i++) {
		struct op_buf b = {0};
		struct op_neo4j_stmt st;
		struct op_neo4j_result *r = NULL;

		if (!op_neo4j_type_kept(c->s, &c->s->rels[i]))
			continue;
		op_neo4j_cypher_rel_index(&b, major, minor, c->s->rels[i].name);
		st.cypher = op_buf_str(&b);
		st.params = NULL;
		if (b.len && !b.oom && op_neo4j_run(&r, c->h, &st, 1) ==
					       OUTPOST_OK)
			op_neo4j_result_free(r);
		op_buf_free(&b);
	}
}

static int record(struct neo4j_schema_ctx *c)
{
	cJSON *p = cJSON_CreateObject();
	int rc = OUTPOST_ENOMEM;

	if (p && cJSON_AddStringToObject(p, "name", c->s->name) &&
	    op_neo4j_param_int64(p, "version", c->s->version) == OUTPOST_OK)
		rc = run1(c, NULL, op_neo4j_cypher_meta_set, p, "hello");
	cJSON_Delete(p);
	return rc;
}

/* What the bookkeeping node says: name ("" if none) and version. */
static int recorded(struct neo4j_schema_ctx *c, char *name, size_t n,
		    int64_t *version)
{
	struct op_neo4j_result *r = NULL;
	const char *nm = NULL;
	const cJSON *ver = NULL;
	int rc = run1(c, &r, op_neo4j_cypher_meta_get, NULL, "hello");

	name[0] = '\0';
	*version = 0;
	if (rc != OUTPOST_OK || !r)
		return rc;
	if (r->n) {
		nm = cJSON_GetStringValue(op_neo4j_cell(&r->tables[0], 0, 0));
		ver = op_neo4j_cell(&r->tables[0], 0, 1);
	}
	if (nm) {
		snprintf(name, n, "%s", nm);
		if (op_neo4j_int64(version, ver) != OUTPOST_OK) {
			snprintf(c->base->errmsg, sizeof(c->base->errmsg),
				 "hello: Neo4j's (:" NEO4J_META_LABEL ") node "
				 "holds no schema version");
			rc = OUTPOST_EPROTO;
		}
	}
	op_neo4j_result_free(r);
	return rc;
}

int op_neo4j_schema_hello(struct neo4j_schema_ctx *c,
			  struct op_sink_hello *out)
{
	int64_t version = 0;
	int rc = recorded(c, out->schema_name, sizeof(out->schema_name),
			  &version);

	out->pushed_seq = 0;
	out->schema_version = version;
	if (rc != OUTPOST_OK)
		return rc;
	/* A fresh Neo4j, or one an older version of the schema went to:
	 * (re)make the constraints, then say which version is there. A
	 * newer version or another schema is left alone: the caller says
	 * what to do. */
	if (out->schema_name[0] && (strcmp(out->schema_name, c->s->name) ||
				    version >= c->s->version))
		return OUTPOST_OK;
	rc = op_neo4j_unique_each(c->s, make_unique, c);
	if (rc == OUTPOST_OK)
		make_rel_indexes(c);
	if (rc == OUTPOST_OK)
		rc = record(c);
	if (rc == OUTPOST_OK) {
		snprintf(out->schema_name, sizeof(out->schema_name), "%s",
			 c->s->name);
		out->schema_version = c->s->version;
	}
	return rc;
}

/* ---- drift ---------------------------------------------------------- */

/* "label.prop" of one constraint of 3.x's db.constraints():
 * "CONSTRAINT ON ( l:Label ) ASSERT l.prop IS UNIQUE". 0 if it is one. */
static int parse_3(char *out, size_t n, const char *d)
{
	const char *a = strstr(d, "ON ( "), *colon, *close, *dot, *is;

	if (!a || !(colon = strchr(a, ':')) || !(close = strstr(colon, " )")) ||
	    !(dot = strstr(close, "ASSERT ")) || !(dot = strchr(dot, '.')) ||
	    !(is = strstr(dot, " IS UNIQUE")))
		return -1;
	colon++;
	if (*colon == '`' && close[-1] == '`') {
		colon++;
		close--;
	}
	dot++;
	if (*dot == '`' && is[-1] == '`') {
		dot++;
		is--;
	}
	snprintf(out, n, "%.*s.%.*s", (int)(close - colon), colon,
		 (int)(is - dot), dot);
	return 0;
}

/* One constraint of SHOW CONSTRAINTS (name, type, labelsOrTypes,
 * properties): a uniqueness on one label and property. */
static int parse_5(char *out, size_t n, const cJSON *row)
{
	const char *type = cJSON_GetStringValue(cJSON_GetArrayItem(row, 1));
	const cJSON *l = cJSON_GetArrayItem(row, 2);
	const cJSON *p = cJSON_GetArrayItem(row, 3);

	if (!type || !strstr(type, "UNIQUE") || strstr(type, "RELATIONSHIP") ||
	    cJSON_GetArraySize(l) != 1 || cJSON_GetArraySize(p) != 1 ||
	    !cJSON_IsString(cJSON_GetArrayItem(l, 0)) ||
	    !cJSON_IsString(cJSON_GetArrayItem(p, 0)))
		return -1;
	snprintf(out, n, "%s.%s", cJSON_GetArrayItem(l, 0)->valuestring,
		 cJSON_GetArrayItem(p, 0)->valuestring);
	return 0;
}

/* The expected "label.prop" strings, as a cJSON array. */
static int expect(void *ctx, const char *label, const char *prop)
{
	char s[512];

	snprintf(s, sizeof(s), "%s.%s", label, prop);
	return cJSON_AddItemToArray(ctx, cJSON_CreateString(s))
		       ? OUTPOST_OK
		       : OUTPOST_ENOMEM;
}

static int in(const cJSON *list, const char *s)
{
	const cJSON *x;

	cJSON_ArrayForEach(x, list)
		if (cJSON_IsString(x) && !strcmp(x->valuestring, s))
			return 1;
	return 0;
}

/* Whether a constraint on this "label.prop" is outpost's business: on a
 * label it writes. */
static int ours(const struct op_schema *s, const char *lp)
{
	const char *dot = strrchr(lp, '.');
	char label[256];
	const struct op_table *t;

	snprintf(label, sizeof(label), "%.*s", dot ? (int)(dot - lp) : 0, lp);
	if (!strcmp(label, NEO4J_META_LABEL) || !strcmp(label, NEO4J_TOMB_LABEL))
		return 1;
	t = op_schema_table(s, label);
	return t && op_neo4j_table_kept(t);
}

/* The constraints there are, as "label.prop" strings in have. */
static int present(struct neo4j_schema_ctx *c, cJSON *have)
{
	struct op_neo4j_result *r = NULL;
	const cJSON *row;
	int major, minor, rc, five;

	rc = op_neo4j_discover(c->h);
	if (rc != OUTPOST_OK)
		return op_neo4j_sink_fail(c->base, c->h, "connect");
	op_neo4j_sink_version(c->h, &major, &minor);
	five = major >= 5 || (major == 4 && minor >= 2) ||
	       op_neo4j_server_get(c->h)->api == OP_NEO4J_API_QUERY_V2;
	rc = run1(c, &r, five ? op_neo4j_cypher_constraints_5
			      : op_neo4j_cypher_constraints_3, NULL, "check");
	if (rc != OUTPOST_OK || !r || !r->n)
		return rc;
	cJSON_ArrayForEach(row, r->tables[0].rows) {
		char lp[512];
		const char *d = cJSON_GetStringValue(cJSON_GetArrayItem(row, 0));

		if ((five ? parse_5(lp, sizeof(lp), row)
			  : d ? parse_3(lp, sizeof(lp), d) : -1) == 0 &&
		    !cJSON_AddItemToArray(have, cJSON_CreateString(lp))) {
			rc = OUTPOST_ENOMEM;
			break;
		}
	}
	op_neo4j_result_free(r);
	return rc;
}

int op_neo4j_schema_check(struct neo4j_schema_ctx *c, char **report)
{
	cJSON *want = cJSON_CreateArray(), *have = cJSON_CreateArray();
	const cJSON *x;
	struct op_buf b = {0};
	char name[64];
	int64_t version = 0;
	int rc = want && have ? OUTPOST_OK : OUTPOST_ENOMEM, drift = 0;

	*report = NULL;
	if (rc == OUTPOST_OK)
		rc = op_neo4j_unique_each(c->s, expect, want);
	if (rc == OUTPOST_OK)
		rc = present(c, have);
	if (rc == OUTPOST_OK)
		rc = recorded(c, name, sizeof(name), &version);
	if (rc == OUTPOST_OK && (strcmp(name, c->s->name) ||
				 version != c->s->version)) {
		op_buf_addf(&b, "neo4j: records schema %s version %lld; the "
			       "store has %s version %lld\n",
			    name[0] ? name : "(none)", (long long)version,
			    c->s->name, (long long)c->s->version);
		drift = 1;
	}
	cJSON_ArrayForEach(x, want)
		if (rc == OUTPOST_OK && !in(have, x->valuestring)) {
			op_buf_addf(&b, "neo4j: missing: uniqueness of %s\n",
				    x->valuestring);
			drift = 1;
		}
	cJSON_ArrayForEach(x, have)
		if (rc == OUTPOST_OK && ours(c->s, x->valuestring) &&
		    !in(want, x->valuestring)) {
			op_buf_addf(&b, "neo4j: not in the schema: uniqueness "
				       "of %s\n", x->valuestring);
			drift = 1;
		}
	if (rc == OUTPOST_OK && b.oom)
		rc = OUTPOST_ENOMEM;
	if (rc == OUTPOST_OK) {
		if (!b.len)
			op_buf_adds(&b, "");
		*report = op_buf_take(&b);
		rc = !*report ? OUTPOST_ENOMEM
		     : drift ? OUTPOST_EDRIFT
			     : OUTPOST_OK;
	}
	op_buf_free(&b);
	cJSON_Delete(want);
	cJSON_Delete(have);
	return rc;
}
