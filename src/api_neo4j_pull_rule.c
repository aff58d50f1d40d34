/* api_neo4j_pull_rule.c - who wins when a pull from Neo4j meets a local
 * change not yet pushed there (sync/PROTOCOL.md "Neo4j", "Pull", "Local
 * changes not yet pushed"). The pending changes are found by
 * api_neo4j_pull_pending.c; the reconcile (api_neo4j_pull_nodes.c,
 * api_neo4j_pull_edges.c) asks here, per column, relationship field and
 * row.
 *
 * The rule: the local change wins exactly when the next push would take
 * it into Neo4j, that is when it passes the sink's LWW guard against the
 * clocks the snapshot shows (sync/neo4j_cypher.c); else Neo4j's value
 * wins, as for any value Neo4j has and the store lacks. Then the store
 * after the pull and Neo4j after the next push agree, whichever won:
 *   - a column: the change's clock against the property's effective
 *     clock in Neo4j (the later of _outpost_clk_<name> and the row's
 *     _outpost_clk). None there (authored or edited by hand, never
 *     pushed over): the local change is newer. An equal clock is the
 *     same change, already in Neo4j (another store pushed it): what
 *     Neo4j shows now is newer than it (a hand edit since), so Neo4j's;
 *   - a row the snapshot lacks, inserted locally: kept unless a
 *     tombstone in Neo4j is as new (a newer delete pushed by another
 *     store: the insert would not pass it);
 *   - a row the store deleted, which the snapshot has: stays deleted
 *     when the delete is newer than the row's clock in Neo4j (the
 *     sink's delete guard compares the row clock only), else Neo4j's
 *     row comes back (a newer insert there).
 * A row the snapshot lacks with only a local update pending is deleted:
 * an update never brings a row back in Neo4j (a delete wins over the
 * updates it did not see). */
#include <string.h>

#include "api_neo4j_pull_int.h"

/* The clock of d's change to column col not yet pushed, or NULL. */
static const char *col_clock(const struct pend *d, const char *col)
{
	size_t i;

	if (!d)
		return NULL;
	for (i = 0; i < d->ncols; i++)
		if (!strcmp(d->cols[i].name, col))
			return d->cols[i].clk[0] ? d->cols[i].clk : NULL;
	return d->op == 'I' ? d->clk : NULL;
}

int op_api_neo4j_pull_local_col(const struct pend *d,
				const struct op_neo4j_pull_item *it,
				const char *col)
{
	const char *l = col_clock(d, col);
	const char *row = it->clk ? it->clk : "";
	const char *own = cJSON_GetStringValue(
		cJSON_GetObjectItemCaseSensitive(it->clocks, col));

	if (!l)
		return 0;
	if (!own || strcmp(row, own) > 0)
		own = row; /* the effective clock: the later of the two */
	return strcmp(l, own) > 0;
}

int op_api_neo4j_pull_local_insert(const struct pull *p,
				   const struct pend *d, const char *uuid)
{
	const struct op_neo4j_pull_item *tomb;

	if (!d || d->op != 'I')
		return 0;
	tomb = op_api_neo4j_pull_find(&p->tombs, uuid);
	return !tomb || strcmp(d->clk, tomb->clk ? tomb->clk : "") > 0;
}

int op_api_neo4j_pull_local_delete(const struct pend *d,
				   const struct op_neo4j_pull_item *it)
{
	return d && d->op == 'D' && strcmp(d->clk, it->clk ? it->clk : "") > 0;
}
