/* api_neo4j_pull_ranges.c - which entries of the change log a pull
 * from Neo4j wrote (sync/PROTOCOL.md "Neo4j", "Pull", "Local changes
 * not yet pushed"). A pull's writes are Neo4j's values, taken: they are
 * not local changes that must win over the next snapshot (else a value
 * pulled once would hide every later edit made in Neo4j until a push).
 * The log has no mark for them, so each pull that wrote something keeps
 * its seqs and the names it reconciled in meta "neo4j_pulled":
 * [{"lo": first, "hi": last, "names": [...]}, ...] in seq order, the
 * ranges the push cursor has passed dropped as a pull adds its own. All
 * of a pull's writes are one transaction under the write lock, so they
 * are one run of seqs; the range is written in that transaction. Only
 * its names count: a cascade into another label is a local change. */
#include <string.h>

#include "api_neo4j.h"
#include "api_neo4j_pull_int.h"

#define PULLED_KEY "neo4j_pulled"

/* One range of seqs a pull wrote, and the names it reconciled. */
struct range {
	int64_t lo, hi;
	const cJSON *names;
};

int op_api_neo4j_pull_cursor(struct pull *p, const char *name, int64_t *out)
{
	struct op_stmt *st = NULL;
	int rc = op_rel_prepare(&st, p->db->rel, "SELECT seq FROM "
				"_outpost_cursors WHERE consumer = ?1", NULL,
				&p->db->err);

	*out = 0;
	if (rc == OUTPOST_OK)
		rc = op_rel_bind_text(st, 1, name);
	if (rc == OUTPOST_OK && (rc = op_rel_step(st, &p->db->err)) == OP_ROW)
		*out = op_rel_col_int(st, 0);
	op_rel_finalize(st);
	return rc == OP_ROW ? OUTPOST_OK : rc;
}

int op_api_neo4j_pull_ranges(struct pull *p, cJSON **out)
{
	char *v = NULL;
	int rc = op_log_meta_get(p->db->rel, PULLED_KEY, &v, &p->db->err);

	*out = NULL;
	if (rc == OUTPOST_OK && v) {
		*out = cJSON_Parse(v);
		if (*out && !cJSON_IsArray(*out)) {
			cJSON_Delete(*out);
			*out = NULL;
		}
	}
	op_free(v);
	return rc;
}

static void range_of(const cJSON *o, struct range *r)
{
	const cJSON *lo = cJSON_GetObjectItemCaseSensitive(o, "lo");
	const cJSON *hi = cJSON_GetObjectItemCaseSensitive(o, "hi");

	r->lo = cJSON_IsNumber(lo) ? (int64_t)lo->valuedouble : 0;
	r->hi = cJSON_IsNumber(hi) ? (int64_t)hi->valuedouble : -1;
	r->names = cJSON_GetObjectItemCaseSensitive(o, "names");
}

int op_api_neo4j_pull_was_pulled(const cJSON **at, int64_t seq,
				 const char *tbl)
{
	const cJSON *n;
	struct range r;

	for (; *at; *at = (*at)->next) {
		range_of(*at, &r);
		if (r.hi >= seq)
			break;
	}
	if (!*at || r.lo > seq)
		return 0;
	cJSON_ArrayForEach(n, r.names)
	{
		if (cJSON_IsString(n) && !strcmp(n->valuestring, tbl))
			return 1;
	}
	return 0;
}

int op_api_neo4j_pull_mark_begin(struct pull *p)
{
	p->seq_before = 0;
	return op_rel_get_int(p->db->rel, &p->seq_before, "SELECT "
			      "coalesce(max(seq), 0) FROM _outpost_changes",
			      &p->db->err);
}

/* The range this pull wrote, with the names it reconciled. */
static cJSON *range_new(const struct pull *p, int64_t hi)
{
	cJSON *o = cJSON_CreateObject(), *names = NULL;
	size_t i;
	int ok = o && cJSON_AddNumberToObject(o, "lo",
					      (double)(p->seq_before + 1)) &&
		 cJSON_AddNumberToObject(o, "hi", (double)hi) &&
		 (names = cJSON_AddArrayToObject(o, "names")) != NULL;

	for (i = 0; ok && i < p->nlabels; i++)
		ok = cJSON_AddItemToArray(names, cJSON_CreateString(
							 p->labels[i]->name));
	for (i = 0; ok && i < p->ntypes; i++)
		ok = cJSON_AddItemToArray(names, cJSON_CreateString(
							 p->types[i]->name));
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int op_api_neo4j_pull_mark_end(struct pull *p)
{
	cJSON *ranges = NULL, *keep = NULL, *o, *next;
	char *text = NULL;
	int64_t hi = 0, pushed = 0;
	int rc = op_rel_get_int(p->db->rel, &hi, "SELECT coalesce(max(seq), "
				"0) FROM _outpost_changes", &p->db->err);

	if (rc != OUTPOST_OK || hi <= p->seq_before)
		return rc; /* nothing written */
	rc = op_api_neo4j_pull_cursor(p, OP_NEO4J_CURSOR, &pushed);
	if (rc == OUTPOST_OK)
		rc = op_api_neo4j_pull_ranges(p, &ranges);
	/* what the push passed is no longer looked at */
	if (rc == OUTPOST_OK && !(keep = cJSON_CreateArray()))
		rc = OUTPOST_ENOMEM;
	for (o = ranges ? ranges->child : NULL; rc == OUTPOST_OK && o; o = next) {
		struct range r;

		next = o->next;
		range_of(o, &r);
		if (r.hi > pushed)
			cJSON_AddItemToArray(keep,
					     cJSON_DetachItemViaPointer(ranges, o));
	}
	if (rc == OUTPOST_OK && (!(o = range_new(p, hi)) ||
				 !cJSON_AddItemToArray(keep, o)))
		rc = OUTPOST_ENOMEM;
	if (rc == OUTPOST_OK && !(text = cJSON_PrintUnformatted(keep)))
		rc = OUTPOST_ENOMEM;
	if (rc == OUTPOST_OK)
		rc = op_log_meta_set(p->db->rel, PULLED_KEY, text, &p->db->err);
	if (rc == OUTPOST_ENOMEM)
		op_err_set(&p->db->err, rc, "out of memory");
	cJSON_free(text);
	cJSON_Delete(keep);
	cJSON_Delete(ranges);
	return rc;
}

