/* neo4j_sink.c - the Neo4j sink (sink.h): pushes node labels and
 * relationship types to Neo4j through the HTTP client (neo4j_http.h),
 * as UNWIND statements (neo4j_cypher.c) over parameter rows
 * (neo4j_rows.c). Neo4j is a mirror: nothing is pulled here (a snapshot
 * pull is its own command), and there is no device ledger: every
 * statement is idempotent under the LWW guard, so the device's cursor
 * alone says what went (sync/PROTOCOL.md "Neo4j").
 *
 * A push is cut into requests of at most `rows` changes, each made into
 * statements by neo4j_batch.c. A request the
 * server finds too big (memory, transaction timeout, 413) is cut in half
 * and sent again, down to one change; after four requests in a row go
 * through, the size grows by a quarter, back up to the maximum. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neo4j_sink_int.h"

#define ROWS_DEFAULT 1000
#define GROW_AFTER 4

struct neo4j_sink {
	struct op_sink base; /* first: a neo4j_sink * is an op_sink * */
	struct op_neo4j *h;
	struct op_schema *s;
	struct neo4j_kind *kinds;
	size_t nkinds;
	size_t rows, rows_max;
	unsigned good; /* requests through since the size last changed */
	struct op_neo4j_sink_stats stats;
};

int op_neo4j_sink_fail(struct op_sink *base, const struct op_neo4j *h,
		       const char *what)
{
	const struct op_neo4j_err *e = op_neo4j_err_get(h);

	/* The client's message is one line; the end of a long one goes. */
	snprintf(base->errmsg, sizeof(base->errmsg), "%.16s: neo4j: %.480s",
		 what, e->msg[0] ? e->msg : "failed");
	base->transient = e->fail == OP_NEO4J_FAIL_TRANSIENT;
	/* The client's OUTPOST_ENOTFOUND (HTTP 404, DatabaseNotFound) is
	 * the server refusing the round. To the store ENOTFOUND means that
	 * no mirror is set, an outcome `status` does not record, so it
	 * must not come out of a sink. */
	if (e->rc == OUTPOST_ENOTFOUND)
		return OUTPOST_EREFUSED;
	return e->rc != OUTPOST_OK ? e->rc : OUTPOST_ERROR;
}

void op_neo4j_sink_version(const struct op_neo4j *h, int *major, int *minor)
{
	const struct op_neo4j_server *sv = op_neo4j_server_get(h);

	*major = sv->major ? sv->major : 3;
	*minor = sv->major ? sv->minor : 0;
}

/* ---- kinds ---------------------------------------------------------- */

/* Names go into Cypher: check them, and that no property takes a name
 * the sink uses itself. */
static int label_check(char *why, size_t n, const struct op_table *t)
{
	size_t i;

	if (op_neo4j_name_check(why, n, t->name, "label"))
		return -1;
	for (i = 0; i < t->ncols; i++) {
		if (!op_neo4j_column_kept(t, i))
			continue;
		if (op_neo4j_name_check(why, n, t->cols[i].name, "property"))
			return -1;
		if (!strcmp(t->cols[i].name, "uuid")) {
			snprintf(why, n, "label %s: its column uuid is not its "
				 "key, and Neo4j nodes are keyed by uuid",
				 t->name);
			return -1;
		}
	}
	return 0;
}

static int type_check(char *why, size_t n, const struct op_reltype *r)
{
	size_t i;

	if (op_neo4j_name_check(why, n, r->name, "relationship type"))
		return -1;
	for (i = 0; i < r->nprops; i++) {
		const char *p = r->props[i].name;

		if (op_neo4j_name_check(why, n, p, "property"))
			return -1;
		if (!strcmp(p, "uuid") || (r->validity && (!strcmp(p,
			"valid_from") || !strcmp(p, "valid_to")))) {
			snprintf(why, n, "type %s: property %s has a name the "
				 "Neo4j mirror uses itself", r->name, p);
			return -1;
		}
	}
	return 0;
}

static int kind_make(struct neo4j_kind *k, const struct op_table *t,
		     const struct op_reltype *r)
{
	static const char ops[] = "IUD";
	size_t i;

	k->name = t ? t->name : r->name;
	k->t = t;
	k->r = r;
	for (i = 0; t && i < t->ncols; i++)
		if (t->cols[i].unique && op_neo4j_column_kept(t, i))
			k->ordered = 1;
	for (i = 0; i < 3; i++) {
		struct op_buf b = {0};

		if (t)
			op_neo4j_cypher_node(&b, t, ops[i]);
		else
			op_neo4j_cypher_edge(&b, r, ops[i]);
		if (!(k->cypher[i] = op_buf_take(&b)))
			return OUTPOST_ENOMEM;
	}
	return OUTPOST_OK;
}

static int kinds_make(struct neo4j_sink *k, char *why, size_t n)
{
	const struct op_schema *s = k->s;
	size_t i;
	int rc = OUTPOST_OK;

	k->kinds = op_calloc(s->ntables + s->nrels + 1, sizeof(*k->kinds));
	if (!k->kinds)
		return OUTPOST_ENOMEM;
	for (i = 0; rc == OUTPOST_OK && i < s->ntables; i++) {
		if (!op_neo4j_table_kept(&s->tables[i]))
			continue;
		if (label_check(why, n, &s->tables[i]))
			return OUTPOST_ESCHEMA;
		rc = kind_make(&k->kinds[k->nkinds++], &s->tables[i], NULL);
	}
	for (i = 0; rc == OUTPOST_OK && i < s->nrels; i++) {
		if (!op_neo4j_type_kept(s, &s->rels[i]))
			continue;
		if (type_check(why, n, &s->rels[i]))
			return OUTPOST_ESCHEMA;
		rc = kind_make(&k->kinds[k->nkinds++], NULL, &s->rels[i]);
	}
	return rc;
}

static int request(struct neo4j_sink *k, const struct op_change *c, size_t n)
{
	struct neo4j_stmts q;
	struct op_neo4j_result *res = NULL;
	char why[256] = "";
	int rc = op_neo4j_batch_make(&q, k->kinds, k->nkinds, c, n, why,
				     sizeof(why));

	if (rc != OUTPOST_OK)
		snprintf(k->base.errmsg, sizeof(k->base.errmsg), "push: %s",
			 rc == OUTPOST_ENOMEM ? "out of memory" : why);
	if (rc == OUTPOST_OK && q.n) {
		k->stats.requests++;
		k->stats.statements += q.n;
		rc = op_neo4j_run(&res, k->h, q.st, q.n);
		if (rc != OUTPOST_OK)
			rc = op_neo4j_sink_fail(&k->base, k->h, "push");
		op_neo4j_result_free(res);
	}
	op_neo4j_batch_free(&q);
	return rc;
}

/* ---- the sink ------------------------------------------------------- */

static int sink_hello(struct op_sink *base, const uint8_t site[16],
		      struct op_sink_hello *out)
{
	struct neo4j_sink *k = (struct neo4j_sink *)base;
	struct neo4j_schema_ctx c = {k->h, k->s, base};

	(void)site;
	memset(out, 0, sizeof(*out));
	base->errmsg[0] = '\0';
	base->transient = 0;
	return op_neo4j_schema_hello(&c, out);
}

static int sink_push(struct op_sink *base, const struct op_change *c,
		     size_t n, int64_t *acked)
{
	struct neo4j_sink *k = (struct neo4j_sink *)base;
	size_t at = 0;

	base->errmsg[0] = '\0';
	base->transient = 0;
	while (at < n) {
		size_t m = n - at < k->rows ? n - at : k->rows;
		int rc = request(k, c + at, m);

		if (rc != OUTPOST_OK && m > 1 &&
		    op_neo4j_err_get(k->h)->fail == OP_NEO4J_FAIL_TOO_BIG) {
			/* What went of it is idempotent: send it again in
			 * halves. */
			k->rows = m / 2;
			k->good = 0;
			k->stats.halvings++;
			continue;
		}
		if (rc != OUTPOST_OK)
			return rc;
		at += m;
		if (k->rows < k->rows_max && ++k->good >= GROW_AFTER) {
			k->rows += k->rows / 4 + 1;
			if (k->rows > k->rows_max)
				k->rows = k->rows_max;
			k->good = 0;
		}
	}
	k->stats.rows_now = k->rows;
	*acked = n ? c[n - 1].seq : 0;
	return OUTPOST_OK;
}

static int sink_pull(struct op_sink *base, uint64_t after, size_t max,
		     size_t max_bytes, struct op_batch *out)
{
	/* A mirror: nothing comes back by the sync round. */
	(void)base;
	(void)max;
	(void)max_bytes;
	memset(out, 0, sizeof(*out));
	out->next = after;
	return OUTPOST_OK;
}

static void sink_close(struct op_sink *base)
{
	struct neo4j_sink *k = (struct neo4j_sink *)base;
	size_t i, j;

	if (!k)
		return;
	op_neo4j_close(k->h);
	for (i = 0; i < k->nkinds; i++)
		for (j = 0; j < 3; j++)
			op_free(k->kinds[i].cypher[j]);
	op_free(k->kinds);
	op_schema_free(k->s);
	op_free(k);
}

static const struct op_sink_ops neo4j_ops = {
	.name = "neo4j",
	.hello = sink_hello,
	.push = sink_push,
	.pull = sink_pull,
	.close = sink_close,
};

void op_neo4j_sink_http_opts(struct op_neo4j_opts *ho,
			     const struct op_neo4j_sink_opts *o)
{
	ho->url = o->url;
	ho->database = o->database;
	ho->auth = !o->secret	? OP_NEO4J_AUTH_NONE
		   : o->bearer	? OP_NEO4J_AUTH_BEARER
				: OP_NEO4J_AUTH_BASIC;
	ho->user = o->bearer ? NULL : o->user;
	ho->secret = o->secret;
	ho->ca_file = o->ca_file;
}

static int sink_make(struct neo4j_sink *k, const struct op_neo4j_sink_opts *o,
		     char *errmsg, size_t errlen)
{
	struct op_neo4j_opts ho = OP_NEO4J_OPTS_INIT;
	struct op_err err;
	char why[256] = "";
	int rc;

	rc = op_schema_parse(&k->s, "the store's schema", o->schema_json,
			     strlen(o->schema_json), &err);
	if (rc != OUTPOST_OK) {
		snprintf(errmsg, errlen, "neo4j: %s", err.msg);
		return rc;
	}
	rc = kinds_make(k, why, sizeof(why));
	if (rc != OUTPOST_OK) {
		snprintf(errmsg, errlen, "neo4j: %s", rc == OUTPOST_ENOMEM
			 ? "out of memory" : why);
		return rc;
	}
	op_neo4j_sink_http_opts(&ho, o);
	rc = op_neo4j_open(&k->h, &ho);
	if (rc != OUTPOST_OK)
		snprintf(errmsg, errlen, "neo4j: %s", k->h ? op_neo4j_errmsg(
				 k->h) : "out of memory");
	return rc;
}

int op_neo4j_sink_open(struct op_sink **out, const struct op_neo4j_sink_opts *o,
		       char *errmsg, size_t errlen)
{
	struct neo4j_sink *k = op_calloc(1, sizeof(*k));
	int rc;

	*out = NULL;
	if (!k) {
		snprintf(errmsg, errlen, "neo4j: out of memory");
		return OUTPOST_ENOMEM;
	}
	k->base.ops = &neo4j_ops;
	k->rows_max = o->rows ? o->rows : ROWS_DEFAULT;
	k->rows = k->rows_max;
	rc = o->schema_json ? sink_make(k, o, errmsg, errlen) : OUTPOST_EMISUSE;
	if (rc != OUTPOST_OK) {
		sink_close(&k->base);
		return rc;
	}
	*out = &k->base;
	return OUTPOST_OK;
}

int op_neo4j_sink_check(struct op_sink *sink, char **report)
{
	struct neo4j_sink *k = (struct neo4j_sink *)sink;
	struct neo4j_schema_ctx c = {k->h, k->s, sink};

	sink->errmsg[0] = '\0';
	return op_neo4j_schema_check(&c, report);
}

void op_neo4j_sink_stats_get(const struct op_sink *sink,
			     struct op_neo4j_sink_stats *out)
{
	const struct neo4j_sink *k = (const struct neo4j_sink *)sink;

	*out = k->stats;
	out->rows_now = k->rows;
}

int op_neo4j_url_check(const char *url, const char *database,
		       const char *ca_file, char *errmsg, size_t errlen)
{
	struct op_neo4j_opts o = OP_NEO4J_OPTS_INIT;
	struct op_neo4j *h = NULL;
	int rc;

	o.url = url;
	o.database = database;
	o.ca_file = ca_file;
	rc = op_neo4j_open(&h, &o);
	if (rc != OUTPOST_OK)
		snprintf(errmsg, errlen, "%s",
			 h ? op_neo4j_errmsg(h) : "out of memory");
	op_neo4j_close(h);
	return rc;
}
