/* neo4j_pull.c - the Neo4j side of a snapshot pull (sink_neo4j_pull.h):
 * give uuids to what was authored by hand, then read a label's nodes or
 * a type's relationships in pages keyed on uuid, with the clocks pushes
 * left on them, and the tombstones recent enough to matter to the local
 * inserts not yet pushed. Every value is a
 * parameter; a label or type is checked ([A-Za-z0-9_], op_neo4j_name_
 * check) and backtick-quoted. Reads and the uuid write-back are
 * idempotent (SET only WHERE uuid IS NULL), so the client's retries are
 * safe. */
#include <stdio.h>
#include <string.h>

#include "neo4j_sink_int.h"
#include "sink_neo4j_pull.h"

#define PAGE_DEFAULT 1000

struct op_neo4j_pull {
	struct op_neo4j *h;
	size_t page;
	char errmsg[512];
	int transient;
};

void op_neo4j_pull_set_free(struct op_neo4j_pull_set *s)
{
	size_t i;

	for (i = 0; s && i < s->n; i++) {
		op_free(s->v[i].uuid);
		op_free(s->v[i].from);
		op_free(s->v[i].to);
		cJSON_Delete(s->v[i].props);
		op_free(s->v[i].clk);
		cJSON_Delete(s->v[i].clocks);
	}
	if (s) {
		op_free(s->v);
		memset(s, 0, sizeof(*s));
	}
}

int op_neo4j_pull_open(struct op_neo4j_pull **out,
		       const struct op_neo4j_sink_opts *o, char *errmsg,
		       size_t errlen)
{
	struct op_neo4j_opts ho = OP_NEO4J_OPTS_INIT;
	struct op_neo4j_pull *p = op_calloc(1, sizeof(*p));
	int rc;

	*out = NULL;
	if (!p) {
		snprintf(errmsg, errlen, "neo4j: out of memory");
		return OUTPOST_ENOMEM;
	}
	op_neo4j_sink_http_opts(&ho, o);
	p->page = o->rows ? o->rows : PAGE_DEFAULT;
	rc = op_neo4j_open(&p->h, &ho);
	if (rc != OUTPOST_OK) {
		snprintf(errmsg, errlen, "neo4j: %s",
			 p->h ? op_neo4j_errmsg(p->h) : "out of memory");
		op_neo4j_pull_close(p);
		return rc;
	}
	*out = p;
	return OUTPOST_OK;
}

void op_neo4j_pull_close(struct op_neo4j_pull *p)
{
	if (!p)
		return;
	op_neo4j_close(p->h);
	op_free(p);
}

const char *op_neo4j_pull_errmsg(const struct op_neo4j_pull *p)
{
	return p->errmsg;
}

int op_neo4j_pull_transient(const struct op_neo4j_pull *p)
{
	return p->transient;
}

static int fail(struct op_neo4j_pull *p, int rc, const char *what)
{
	const struct op_neo4j_err *e = op_neo4j_err_get(p->h);

	if (rc == OUTPOST_ENOMEM) {
		snprintf(p->errmsg, sizeof(p->errmsg), "neo4j: out of memory");
		return rc;
	}
	p->transient = e->fail == OP_NEO4J_FAIL_TRANSIENT;
	snprintf(p->errmsg, sizeof(p->errmsg), "neo4j: %s: %s", what,
		 op_neo4j_errmsg(p->h));
	return rc;
}

/* One statement, its single table in *t (from *res: free it). */
static int run1(struct op_neo4j_pull *p, const char *cypher,
		const cJSON *params, struct op_neo4j_result **res,
		const struct op_neo4j_table **t, const char *what)
{
	struct op_neo4j_stmt st;
	int rc;

	st.cypher = cypher;
	st.params = params;
	rc = op_neo4j_run(res, p->h, &st, 1);
	if (rc != OUTPOST_OK)
		return fail(p, rc, what);
	if ((*res)->n != 1) {
		snprintf(p->errmsg, sizeof(p->errmsg), "neo4j: %s: %zu "
			 "results for one statement", what, (*res)->n);
		return OUTPOST_EPROTO;
	}
	*t = &(*res)->tables[0];
	return OUTPOST_OK;
}

static int name_ok(struct op_neo4j_pull *p, const char *name, int is_type)
{
	char why[256];

	if (op_neo4j_name_check(why, sizeof(why), name,
				is_type ? "relationship type" : "label") == 0)
		return OUTPOST_OK;
	snprintf(p->errmsg, sizeof(p->errmsg), "neo4j: %s", why);
	return OUTPOST_EMISUSE;
}

/* The uuid of Neo4j internal id `id` of kind (node/rel) name. */
static void made_uuid(char out[OP_UUID_TEXT], int is_type, const char *name,
		      int64_t id)
{
	char num[32];
	const char *parts[4];
	uint8_t u[16];

	snprintf(num, sizeof(num), "%lld", (long long)id);
	parts[0] = OP_NEO4J_PULL_NS;
	parts[1] = is_type ? "rel" : "node";
	parts[2] = name;
	parts[3] = num;
	op_uuid_v8(u, parts, 4);
	op_uuid_format(out, u);
}

/* One round: up to a page of ids without uuid, then their uuids set.
 * *n gets how many were found. */
static int assign_page(struct op_neo4j_pull *p, int is_type,
		       const char *name, size_t *n)
{
	struct op_buf find = {0}, set = {0};
	struct op_neo4j_result *res = NULL;
	const struct op_neo4j_table *t = NULL;
	cJSON *params = cJSON_CreateObject(), *rows = NULL;
	const cJSON *row;
	int rc = OUTPOST_OK;

	*n = 0;
	op_neo4j_cypher_pull_find(&find, is_type, name);
	op_neo4j_cypher_pull_set(&set, is_type, name);
	if (find.oom || set.oom || !params ||
	    !cJSON_AddNumberToObject(params, "limit", (double)p->page))
		rc = OUTPOST_ENOMEM;
	if (rc == OUTPOST_OK)
		rc = run1(p, op_buf_str(&find), params, &res, &t, "find what "
			  "has no uuid");
	cJSON_Delete(params);
	params = NULL;
	if (rc == OUTPOST_OK && t->nrows > 0 &&
	    (!(params = cJSON_CreateObject()) ||
	     !(rows = cJSON_AddArrayToObject(params, "rows"))))
		rc = OUTPOST_ENOMEM;
	if (rc == OUTPOST_OK && t->nrows > 0) {
		cJSON_ArrayForEach(row, t->rows)
		{
			char uuid[OP_UUID_TEXT], num[32];
			int64_t id;
			cJSON *r;

			if (op_neo4j_int64(&id, cJSON_GetArrayItem(row, 0)) !=
			    OUTPOST_OK) {
				snprintf(p->errmsg, sizeof(p->errmsg), "neo4j: "
					 "an id that is not an integer");
				rc = OUTPOST_EPROTO;
				break;
			}
			made_uuid(uuid, is_type, name, id);
			snprintf(num, sizeof(num), "%lld", (long long)id);
			if (!(r = cJSON_CreateObject()) ||
			    !cJSON_AddItemToArray(rows, r) ||
			    !cJSON_AddStringToObject(r, "id", num) ||
			    !cJSON_AddStringToObject(r, "uuid", uuid)) {
				rc = OUTPOST_ENOMEM;
				break;
			}
			(*n)++;
		}
	}
	op_neo4j_result_free(res);
	res = NULL;
	if (rc == OUTPOST_OK && *n > 0)
		rc = run1(p, op_buf_str(&set), params, &res, &t, "write "
			  "uuids back");
	if (rc == OUTPOST_ENOMEM)
		fail(p, rc, "");
	op_neo4j_result_free(res);
	cJSON_Delete(params);
	op_buf_free(&find);
	op_buf_free(&set);
	return rc;
}

int op_neo4j_pull_assign(struct op_neo4j_pull *p, int is_type,
			 const char *name, size_t *assigned)
{
	size_t n = 0;
	int rc = name_ok(p, name, is_type);

	/* Each round sets what it found, so the next finds the rest; a
	 * round that found nothing ends it. */
	do {
		if (rc == OUTPOST_OK)
			rc = assign_page(p, is_type, name, &n);
		if (rc == OUTPOST_OK)
			*assigned += n;
	} while (rc == OUTPOST_OK && n == p->page);
	return rc;
}

void op_neo4j_pull_clock(char out[OP_NEO4J_PULL_CLOCK + 1], uint64_t hlc,
			 const uint8_t site[16])
{
	op_neo4j_clock(out, hlc, site);
}

static char *dup_str(const cJSON *v)
{
	const char *s = cJSON_GetStringValue(v);

	return s ? op_strdup(s) : NULL;
}

/* in's properties into it: the user's (not uuid, not outpost's own; big
 * integers as digit text) in props, the row clock in clk, the
 * properties' clocks in clocks. OUTPOST_ENOMEM. */
static int split_props(struct op_neo4j_pull_item *it, const cJSON *in)
{
	static const char clk[] = NEO4J_CLK;
	const size_t n = sizeof(clk) - 1;
	const cJSON *v;

	if (!(it->props = cJSON_CreateObject()) ||
	    !(it->clocks = cJSON_CreateObject()))
		return OUTPOST_ENOMEM;
	cJSON_ArrayForEach(v, in)
	{
		const char *typ = cJSON_GetStringValue(
			cJSON_GetObjectItemCaseSensitive(v, "$type"));
		cJSON *copy;

		if (!v->string || !strcmp(v->string, "uuid"))
			continue;
		if (!strcmp(v->string, clk)) {
			if (cJSON_IsString(v) && !it->clk &&
			    !(it->clk = dup_str(v)))
				return OUTPOST_ENOMEM;
			continue;
		}
		if (!strncmp(v->string, clk, n) && v->string[n] == '_') {
			if (cJSON_IsString(v) &&
			    !cJSON_AddStringToObject(it->clocks,
						     v->string + n + 1,
						     v->valuestring))
				return OUTPOST_ENOMEM;
			continue;
		}
		if (!strncmp(v->string, "_outpost", 8))
			continue;
		if (typ && !strcmp(typ, "Integer"))
			copy = cJSON_CreateString(cJSON_GetStringValue(
				cJSON_GetObjectItemCaseSensitive(v, "_value")));
		else
			copy = cJSON_Duplicate(v, 1);
		if (!copy || !cJSON_AddItemToObject(it->props, v->string,
						    copy)) {
			cJSON_Delete(copy);
			return OUTPOST_ENOMEM;
		}
	}
	return OUTPOST_OK;
}

/* What an answer row is: [uuid, props] (a node), [uuid, from, to,
 * props] (a relationship), [uuid, clk] (a tombstone). */
enum row_kind { ROW_NODE, ROW_REL, ROW_TOMB };

/* Append one answer row of kind k. */
static int add_item(struct op_neo4j_pull_set *s, const cJSON *row,
		    enum row_kind k)
{
	struct op_neo4j_pull_item *it;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		void *v = op_realloc(s->v, cap * sizeof(*s->v));

		if (!v)
			return OUTPOST_ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	it = &s->v[s->n];
	memset(it, 0, sizeof(*it));
	s->n++; /* freed with the set, whole or not */
	if (!(it->uuid = dup_str(cJSON_GetArrayItem(row, 0))))
		return OUTPOST_ENOMEM;
	if (k == ROW_TOMB) {
		const cJSON *c = cJSON_GetArrayItem(row, 1);

		if (cJSON_IsString(c) && !(it->clk = dup_str(c)))
			return OUTPOST_ENOMEM;
		return OUTPOST_OK;
	}
	if (k == ROW_REL) {
		it->from = dup_str(cJSON_GetArrayItem(row, 1));
		it->to = dup_str(cJSON_GetArrayItem(row, 2));
	}
	return split_props(it, cJSON_GetArrayItem(row, k == ROW_REL ? 3 : 1));
}

/* Every page of query (parameters $after, $limit and, when min is not
 * NULL, $min) into *out. */
static int read_pages(struct op_neo4j_pull *p, const char *query,
		      const char *min, enum row_kind k, const char *what,
		      struct op_neo4j_pull_set *out)
{
	char *after = op_strdup("");
	size_t got;
	int rc = after ? OUTPOST_OK : OUTPOST_ENOMEM;

	do {
		struct op_neo4j_result *res = NULL;
		const struct op_neo4j_table *t = NULL;
		cJSON *params = cJSON_CreateObject();
		const cJSON *row;

		got = 0;
		if (rc == OUTPOST_OK &&
		    (!params ||
		     !cJSON_AddStringToObject(params, "after", after) ||
		     !cJSON_AddNumberToObject(params, "limit",
					      (double)p->page) ||
		     (min && !cJSON_AddStringToObject(params, "min", min))))
			rc = OUTPOST_ENOMEM;
		if (rc == OUTPOST_OK)
			rc = run1(p, query, params, &res, &t, what);
		if (rc == OUTPOST_OK)
			cJSON_ArrayForEach(row, t->rows)
			{
				if ((rc = add_item(out, row, k)) != 0)
					break;
				got++;
			}
		if (rc == OUTPOST_OK && got) {
			op_free(after);
			if (!(after = op_strdup(out->v[out->n - 1].uuid)))
				rc = OUTPOST_ENOMEM;
		}
		op_neo4j_result_free(res);
		cJSON_Delete(params);
	} while (rc == OUTPOST_OK && got == p->page);
	if (rc == OUTPOST_ENOMEM)
		fail(p, rc, "");
	op_free(after);
	return rc;
}

int op_neo4j_pull_read(struct op_neo4j_pull *p, int is_type,
		       const char *name, const char *from, const char *to,
		       struct op_neo4j_pull_set *out)
{
	struct op_buf q = {0};
	int rc = name_ok(p, name, is_type);

	op_neo4j_pull_set_free(out);
	if (rc == OUTPOST_OK && is_type &&
	    ((rc = name_ok(p, from, 0)) != OUTPOST_OK ||
	     (rc = name_ok(p, to, 0)) != OUTPOST_OK))
		return rc;
	op_neo4j_cypher_pull_page(&q, name, is_type ? from : NULL,
				  is_type ? to : NULL);
	if (rc == OUTPOST_OK && q.oom)
		rc = fail(p, OUTPOST_ENOMEM, "");
	if (rc == OUTPOST_OK)
		rc = read_pages(p, op_buf_str(&q), NULL,
				is_type ? ROW_REL : ROW_NODE,
				is_type ? "read relationships" : "read nodes",
				out);
	op_buf_free(&q);
	return rc;
}

int op_neo4j_pull_tombs(struct op_neo4j_pull *p, const char *min,
			struct op_neo4j_pull_set *out)
{
	op_neo4j_pull_set_free(out);
	return read_pages(p, op_neo4j_cypher_pull_tombs, min, ROW_TOMB,
			  "read tombstones", out);
}
