/* api_neo4j_pull.c - outpost_neo4j_pull(): a snapshot of some node
 * labels and relationship types of the Neo4j mirror made the local
 * graph's (sync/PROTOCOL.md "Neo4j", "Pull"). First, over the network
 * (sync/neo4j_pull.c): uuids for what has none, written back, then the
 * snapshot with its clocks (and the tombstones that matter to local
 * inserts not yet pushed). Then, locally, one two-engine commit (DESIGN
 * section 2): under the write lock, the local changes not yet pushed
 * found (api_neo4j_pull_pending.c), then in one LMDB write txn the
 * types' removed edges, the labels' rows (by SQL: the capture triggers
 * log them), the node entries brought into the graph, the types' new
 * and changed edges (logged and applied as single edge writes) - each
 * but where a pending change wins (api_neo4j_pull_rule.c) - the seqs the
 * pull wrote recorded (api_neo4j_pull_ranges.c), SQLite committed, then
 * LMDB. All or nothing; a crash between the commits is replayed from
 * the log like any edge write. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_neo4j.h"
#include "api_neo4j_pull_int.h"

void op_api_neo4j_pull_skip(struct pull *p, const char *kind,
			    const char *uuid, const char *prop)
{
	if (p->res->skipped++ == 0)
		snprintf(p->res->skipped_first, sizeof(p->res->skipped_first),
			 "%.40s %s: %.64s", kind, uuid, prop);
}

static int by_uuid(const void *a, const void *b)
{
	return strcmp(((const struct op_neo4j_pull_item *)a)->uuid,
		      ((const struct op_neo4j_pull_item *)b)->uuid);
}

const struct op_neo4j_pull_item *
op_api_neo4j_pull_find(const struct op_neo4j_pull_set *set, const char *uuid)
{
	struct op_neo4j_pull_item key;

	memset(&key, 0, sizeof(key));
	key.uuid = (char *)uuid;
	return set->n ? bsearch(&key, set->v, set->n, sizeof(key), by_uuid)
		      : NULL;
}

/* A uuid from Neo4j in the store's form (lower case) in place; *ok 0
 * when it is none. */
static int norm(char **s)
{
	uint8_t u[16];

	if (!*s)
		return 1;
	if (op_uuid_parse(u, *s) != 0 || strlen(*s) + 1 < OP_UUID_TEXT)
		return 0;
	op_uuid_format(*s, u);
	return 1;
}

/* Every uuid of a set checked and normalised, the set sorted, no uuid
 * twice. */
static int settle(struct pull *p, const char *name,
		  struct op_neo4j_pull_set *set)
{
	size_t k;

	for (k = 0; k < set->n; k++) {
		char shown[64];

		op_show(shown, sizeof(shown), set->v[k].uuid);
		if (!norm(&set->v[k].uuid) || !norm(&set->v[k].from) ||
		    !norm(&set->v[k].to))
			return op_err_set(&p->db->err, OUTPOST_EREFUSED, "neo4j:"
					  " %s \"%s\": a uuid (or an end's) "
					  "that is not a UUID; nothing was "
					  "pulled", name, shown);
	}
	if (set->n)
		qsort(set->v, set->n, sizeof(*set->v), by_uuid);
	for (k = 1; k < set->n; k++)
		if (!strcmp(set->v[k - 1].uuid, set->v[k].uuid))
			return op_err_set(&p->db->err, OUTPOST_EREFUSED, "neo4j:"
					  " %s: uuid %s is on two nodes or "
					  "relationships; nothing was pulled",
					  name, set->v[k].uuid);
	return OUTPOST_OK;
}

/* The names asked for, found in the schema (anything else refused). */
static int names(struct pull *p, const outpost_neo4j_pull_opts *o)
{
	size_t i;

	if (!(p->labels = op_calloc(o->nlabels + 1, sizeof(const struct op_table *))) ||
	    !(p->types = op_calloc(o->ntypes + 1, sizeof(const struct op_reltype *))) ||
	    !(p->nsets = op_calloc(o->nlabels + 1, sizeof(*p->nsets))) ||
	    !(p->esets = op_calloc(o->ntypes + 1, sizeof(*p->esets))))
		return op_err_set(&p->db->err, OUTPOST_ENOMEM, "out of memory");
	for (i = 0; i < o->nlabels; i++) {
		const struct op_table *t = o->labels[i]
			? op_schema_table(p->s, o->labels[i]) : NULL;

		if (!t || !t->is_node || strcmp(t->name, o->labels[i]))
			return op_err_set(&p->db->err, OUTPOST_EMISUSE, "pull: "
					  "\"%.64s\" is not a node label of "
					  "the schema", o->labels[i]
					  ? o->labels[i] : "");
		if (t->policy == OP_SYNC_CENTRAL_WINS)
			return op_err_set(&p->db->err, OUTPOST_EREFUSED, "pull: "
					  "%s is central_wins: local writes "
					  "are refused (load it centrally)",
					  t->name);
		p->labels[p->nlabels++] = t;
	}
	for (i = 0; i < o->ntypes; i++) {
		const struct op_reltype *r = o->types[i]
			? op_schema_reltype(p->s, o->types[i]) : NULL;

		if (!r || strcmp(r->name, o->types[i]))
			return op_err_set(&p->db->err, OUTPOST_EMISUSE, "pull: "
					  "\"%.64s\" is not a relationship "
					  "type of the schema", o->types[i]
					  ? o->types[i] : "");
		if (r->policy == OP_SYNC_CENTRAL_WINS)
			return op_err_set(&p->db->err, OUTPOST_EREFUSED, "pull: "
					  "%s is central_wins: local writes "
					  "are refused (load it centrally)",
					  r->name);
		p->types[p->ntypes++] = r;
	}
	return OUTPOST_OK;
}

static int net(struct pull *p, struct op_neo4j_pull *h, int rc)
{
	if (rc == OUTPOST_OK)
		return rc;
	return op_err_set(&p->db->err, rc, "%s", op_neo4j_pull_errmsg(h));
}

/* uuids for what has none (the labels, the types and their ends), then
 * the snapshot, and the tombstones as new as the oldest insert not yet
 * pushed (oldest; "" when there is none: none are read). */
static int fetch(struct pull *p, const struct op_api_neo4j_config *c,
		 size_t page, const char *oldest)
{
	struct op_neo4j_sink_opts o;
	struct op_neo4j_pull *h = NULL;
	char why[512] = "";
	size_t i, got = 0;
	int rc;

	op_api_neo4j_sink_opts(&o, c, page);
	rc = op_neo4j_pull_open(&h, &o, why, sizeof(why));
	if (rc != OUTPOST_OK)
		return op_err_set(&p->db->err, rc, "%s", why);
	for (i = 0; rc == OUTPOST_OK && i < p->nlabels; i++)
		rc = net(p, h, op_neo4j_pull_assign(h, 0, p->labels[i]->name,
						    &got));
	for (i = 0; rc == OUTPOST_OK && i < p->ntypes; i++) {
		rc = net(p, h, op_neo4j_pull_assign(h, 0, p->types[i]->from,
						    &got));
		if (rc == OUTPOST_OK)
			rc = net(p, h, op_neo4j_pull_assign(
					       h, 0, p->types[i]->to, &got));
		if (rc == OUTPOST_OK)
			rc = net(p, h, op_neo4j_pull_assign(
					       h, 1, p->types[i]->name, &got));
	}
	p->res->uuids_assigned = (long long)got;
	for (i = 0; rc == OUTPOST_OK && i < p->nlabels; i++) {
		rc = net(p, h, op_neo4j_pull_read(h, 0, p->labels[i]->name,
						  NULL, NULL, &p->nsets[i]));
		if (rc == OUTPOST_OK)
			rc = settle(p, p->labels[i]->name, &p->nsets[i]);
	}
	for (i = 0; rc == OUTPOST_OK && i < p->ntypes; i++) {
		const struct op_reltype *r = p->types[i];

		rc = net(p, h, op_neo4j_pull_read(h, 1, r->name, r->from,
						  r->to, &p->esets[i]));
		if (rc == OUTPOST_OK)
			rc = settle(p, r->name, &p->esets[i]);
	}
	if (rc == OUTPOST_OK && oldest[0])
		rc = net(p, h, op_neo4j_pull_tombs(h, oldest, &p->tombs));
	if (rc == OUTPOST_OK)
		rc = settle(p, "tombstones", &p->tombs);
	op_neo4j_pull_close(h);
	return rc;
}

/* The local half, once; OP_ADJ_EFULL asks for a bigger map. */
static int apply_once(struct pull *p)
{
	outpost_neo4j_pull_result keep = *p->res;
	int64_t last = 0;
	size_t i;
	int rc = op_rel_begin_write(p->db->rel, &p->db->err);

	/* What is pending is read under the write lock, so no local write
	 * comes between it and the reconcile. */
	if (rc == OUTPOST_OK)
		rc = op_api_neo4j_pull_pending(p);
	if (rc == OUTPOST_OK)
		rc = op_api_neo4j_pull_mark_begin(p);
	if (rc == OUTPOST_OK)
		rc = op_adj_begin(&p->t, p->db->adj, 1, &p->db->err);
	if (rc == OUTPOST_OK)
		rc = op_api_graph_apply(p->db, p->t, p->s, &last);
	for (i = 0; rc == OUTPOST_OK && i < p->ntypes; i++)
		rc = op_api_neo4j_pull_edges(p, i, 0);
	for (i = 0; rc == OUTPOST_OK && i < p->nlabels; i++)
		rc = op_api_neo4j_pull_nodes(p, i);
	/* The node entries just logged reach the graph before the edges
	 * that end at them. */
	if (rc == OUTPOST_OK)
		rc = op_api_graph_apply(p->db, p->t, p->s, &last);
	if (rc == OUTPOST_OK)
		rc = op_adj_set_applied_seq(p->t, last, &p->db->err);
	for (i = 0; rc == OUTPOST_OK && i < p->ntypes; i++)
		rc = op_api_neo4j_pull_edges(p, i, 1);
	if (rc == OUTPOST_OK)
		rc = op_api_neo4j_pull_mark_end(p);
	if (rc == OUTPOST_OK)
		rc = op_rel_commit(p->db->rel, &p->db->err);
	if (rc == OUTPOST_OK) {
		rc = op_adj_commit(p->t, &p->db->err);
		p->t = NULL;
		/* The log is durable: the next catch-up repairs LMDB. */
		if (rc != OUTPOST_OK)
			rc = op_api_graph_catch_up(p->db);
	}
	op_adj_abort(p->t);
	p->t = NULL;
	op_rel_rollback(p->db->rel);
	if (rc != OUTPOST_OK) { /* nothing happened: counts as before */
		char first[sizeof(keep.skipped_first)];

		memcpy(first, keep.skipped_first, sizeof(first));
		*p->res = keep;
		memcpy(p->res->skipped_first, first, sizeof(first));
	}
	return rc;
}

static void pull_free(struct pull *p)
{
	size_t i;

	for (i = 0; p->nsets && i < p->nlabels; i++)
		op_neo4j_pull_set_free(&p->nsets[i]);
	for (i = 0; p->esets && i < p->ntypes; i++)
		op_neo4j_pull_set_free(&p->esets[i]);
	op_neo4j_pull_set_free(&p->tombs);
	op_api_neo4j_pull_pending_free(p);
	op_free(p->nsets);
	op_free(p->esets);
	op_free(p->labels);
	op_free(p->types);
	op_schema_free(p->s);
}

int outpost_neo4j_pull(outpost_neo4j_pull_result *out, outpost *db,
		       const outpost_neo4j_pull_opts *opts)
{
	struct op_api_neo4j_config c;
	outpost_neo4j_pull_result res;
	char oldest[OP_NEO4J_PULL_CLOCK + 1] = "";
	struct pull p;
	int rc, tries = 0;

	if (!db || !opts || opts->version != OUTPOST_NEO4J_PULL_OPTS_VERSION ||
	    (opts->nlabels && !opts->labels) || (opts->ntypes && !opts->types) ||
	    opts->page < 0 ||
	    (out && (out->version < 1 ||
		     out->version > OUTPOST_NEO4J_PULL_RESULT_VERSION)))
		return OUTPOST_EMISUSE;
	if (db->read_only)
		return op_err_set(&db->err, OUTPOST_EMISUSE, "the store is "
				  "open read-only");
	if (!opts->nlabels && !opts->ntypes)
		return op_err_set(&db->err, OUTPOST_EMISUSE, "pull: name at "
				  "least one label or relationship type");
	memset(&p, 0, sizeof(p));
	memset(&res, 0, sizeof(res));
	memset(&c, 0, sizeof(c));
	res.version = OUTPOST_NEO4J_PULL_RESULT_VERSION;
	p.db = db;
	p.res = &res;
	rc = op_api_schema_current(db, &p.s);
	if (rc == OUTPOST_OK && !p.s)
		rc = op_err_set(&db->err, OUTPOST_ESCHEMA, "apply a schema "
				"first (outpost schema apply FILE)");
	if (rc == OUTPOST_OK)
		rc = names(&p, opts);
	if (rc == OUTPOST_OK)
		rc = op_api_neo4j_config(db, &c);
	if (rc == OUTPOST_OK)
		rc = op_api_neo4j_pull_oldest(&p, oldest);
	if (rc == OUTPOST_OK)
		rc = fetch(&p, &c, (size_t)opts->page, oldest);
	while (rc == OUTPOST_OK &&
	       (rc = apply_once(&p)) == OP_ADJ_EFULL && tries++ < 16)
		if ((rc = op_adj_grow(db->adj, &db->err)) != OUTPOST_OK)
			break;
	if (out) {
		/* a version 1 struct ends before kept */
		res.version = out->version;
		memcpy(out, &res, out->version >= 2
					  ? sizeof(res)
					  : offsetof(outpost_neo4j_pull_result,
						     kept));
	}
	op_api_neo4j_config_free(&c);
	pull_free(&p);
	return rc;
}
