/* neo4j_batch.c - one request of the Neo4j sink made into statements
 * (neo4j_sink_int.h): the changes are cut into generations in which no
 * uuid appears twice (so no statement sees a row twice, and the order of
 * rows inside an UNWIND never matters); in each, labels before types (a
 * relationship needs its ends), one statement per kind and op, each with
 * its rows (neo4j_rows.c). sync/PROTOCOL.md "Neo4j", Batches. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "neo4j_sink_int.h"

/* What the batch is made from and where a failure is told. */
struct make {
	const struct neo4j_kind *kinds;
	size_t nkinds;
	char *why;
	size_t whylen;
};

/* The index of table's kind; SIZE_MAX when the sink does not write it
 * (the caller filters; a schema changed since is possible). */
static size_t kind_of(const struct make *m, const char *table)
{
	size_t i;

	for (i = 0; table && i < m->nkinds; i++)
		if (!strcmp(m->kinds[i].name, table))
			return i;
	return SIZE_MAX;
}

/* A new statement for kind k's op; its rows array in *rows. */
static int req_add(struct neo4j_stmts *q, const struct neo4j_kind *k, char op,
		   cJSON **rows)
{
	cJSON *p;

	if (q->n == q->cap)
		return OUTPOST_ENOMEM; /* sized by the caller: a bug */
	p = cJSON_CreateObject();
	if (!p || !(*rows = cJSON_AddArrayToObject(p, "rows"))) {
		cJSON_Delete(p);
		return OUTPOST_ENOMEM;
	}
	q->params[q->n].p = p;
	q->st[q->n].cypher = k->cypher[op_neo4j_op_index(op)];
	q->st[q->n].params = p;
	q->n++;
	return OUTPOST_OK;
}

static int row_add(struct make *m, cJSON *rows, const struct neo4j_kind *kind,
		   const struct op_change *c)
{
	char why[256] = "";
	int rc = op_neo4j_row_add(rows, kind, c, why, sizeof(why));

	if (rc == OUTPOST_EPROTO)
		snprintf(m->why, m->whylen, "change %lld (%s row %.40s): %s",
			 (long long)c->seq, c->table,
			 c->row_id ? c->row_id : "?", why);
	return rc;
}

/* The statements of kind k->kinds[ki] for changes c[0..n) (a
 * generation: no uuid twice), whose kinds are kinds[0..n). A label with
 * unique properties keeps its writes in order (a run per op); otherwise
 * inserts, then updates, then deletes: with each uuid once, their order
 * does not matter. */
static int kind_stmts(struct make *m, struct neo4j_stmts *q, size_t ki,
		      const size_t *kinds, const struct op_change *c, size_t n)
{
	const struct neo4j_kind *kind = &m->kinds[ki];
	static const char ops[] = "IUD";
	size_t o, i;
	int rc = OUTPOST_OK;

	for (o = 0; rc == OUTPOST_OK && o < (kind->ordered ? 1u : 3u); o++) {
		cJSON *rows = NULL;
		char last = 0;

		for (i = 0; rc == OUTPOST_OK && i < n; i++) {
			if (kinds[i] != ki ||
			    (!kind->ordered && c[i].op != ops[o]))
				continue;
			if (!rows || (kind->ordered && c[i].op != last))
				rc = req_add(q, kind, c[i].op, &rows);
			last = c[i].op;
			if (rc == OUTPOST_OK)
				rc = row_add(m, rows, kind, &c[i]);
		}
	}
	return rc;
}

/* The end of the generation that starts at c[0]: the first change whose
 * uuid came before in it. A small open-addressing set of row ids. */
static size_t generation(const struct op_change *c, size_t n,
			 const char **set, size_t cap)
{
	size_t i;

	memset(set, 0, cap * sizeof(*set));
	for (i = 0; i < n; i++) {
		const char *id = c[i].row_id ? c[i].row_id : "";
		uint64_t h = 1469598103934665603ull;
		const char *p;
		size_t j;

		for (p = id; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ull;
		for (j = (size_t)h & (cap - 1); set[j];
		     j = (j + 1) & (cap - 1))
			if (!strcmp(set[j], id))
				return i;
		set[j] = id;
	}
	return n;
}

/* Every statement for c[0..n), generation by generation, labels before
 * types in each (a relationship needs its ends). */
static int stmts_make(struct make *m, struct neo4j_stmts *q,
		      const struct op_change *c, size_t n)
{
	size_t *kinds = op_calloc(n, sizeof(*kinds));
	size_t cap = 16, i, at = 0;
	const char **set;
	int rc = OUTPOST_OK;

	while (cap < 2 * n)
		cap *= 2;
	set = op_calloc(cap, sizeof(*set));
	/* At most one statement per change. */
	q->st = op_calloc(n, sizeof(*q->st));
	q->params = op_calloc(n, sizeof(*q->params));
	q->cap = n;
	if (!kinds || !set || !q->st || !q->params)
		rc = OUTPOST_ENOMEM;
	for (i = 0; rc == OUTPOST_OK && i < n; i++)
		kinds[i] = kind_of(m, c[i].table);
	while (rc == OUTPOST_OK && at < n) {
		size_t end = at + generation(c + at, n - at, set, cap);
		int pass;

		for (pass = 0; pass < 2; pass++)
			for (i = 0; rc == OUTPOST_OK && i < m->nkinds; i++)
				if ((pass == 0) == (m->kinds[i].t != NULL))
					rc = kind_stmts(m, q, i, kinds + at,
							c + at, end - at);
		at = end;
	}
	op_free(kinds);
	op_free(set);
	return rc;
}

int op_neo4j_batch_make(struct neo4j_stmts *q, const struct neo4j_kind *kinds,
			size_t nkinds, const struct op_change *c, size_t n,
			char *why, size_t whylen)
{
	struct make m = {kinds, nkinds, why, whylen};

	memset(q, 0, sizeof(*q));
	return n ? stmts_make(&m, q, c, n) : OUTPOST_OK;
}

void op_neo4j_batch_free(struct neo4j_stmts *q)
{
	size_t i;

	for (i = 0; i < q->n; i++)
		cJSON_Delete(q->params[i].p);
	op_free(q->st);
	op_free(q->params);
	memset(q, 0, sizeof(*q));
}
