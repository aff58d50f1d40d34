/* api_graph_topo.c - outpost_graph_topo(): a node's ancestors by one
 * relationship type in topological order, in one LMDB read txn. The
 * order comes from graph_topo.c; here names become ids and nids become
 * uuid text, and a cycle among the ancestors becomes the refusal that
 * names it. */
#include <string.h>

#include "api_graph_int.h"
#include "graph.h"

#define CYCLE_SHOWN 12 /* nodes of a cycle named in a refusal */

struct topo_call {
	outpost *db;
	struct op_schema *schema;
	struct op_adj_txn *txn;
	struct op_graph_topo_node *order;
	size_t n;
	uint32_t *cycle;
	size_t ncycle;
};

/* The refusal: the type, the node, and the cycle (first node again at
 * the end), shortened in the middle when it is long. */
static int refuse(struct topo_call *tc, const char *type, const char *node)
{
	struct op_buf msg = {0};
	char shown_type[96], shown_node[96], text[OP_UUID_TEXT];
	uint8_t u[16];
	size_t i;
	int rc;

	op_show(shown_type, sizeof(shown_type), type);
	op_show(shown_node, sizeof(shown_node), node);
	op_buf_addf(&msg, "relationship type \"%s\": the ancestors of \"%s\" "
		    "hold a cycle, so they have no topological order: ",
		    shown_type, shown_node);
	for (i = 0; tc->ncycle && i <= tc->ncycle; i++) {
		if (i == CYCLE_SHOWN / 2 && tc->ncycle > CYCLE_SHOWN) {
			op_buf_addf(&msg, " -> ... (%zu more)",
				    tc->ncycle - CYCLE_SHOWN);
			i = tc->ncycle - CYCLE_SHOWN / 2;
		}
		if (op_adj_node_uuid(tc->txn, tc->cycle[i % tc->ncycle], u,
				     NULL) != OUTPOST_OK)
			continue;
		op_uuid_format(text, u);
		op_buf_addf(&msg, "%s%s", i ? " -> " : "", text);
	}
	rc = op_err_set(&tc->db->err, OUTPOST_EREFUSED, "%s",
			msg.oom ? "the ancestors hold a cycle"
				: op_buf_str(&msg));
	op_buf_free(&msg);
	return rc;
}

/* The order of nid's ancestors along type id into tc. */
static int run(struct topo_call *tc, uint16_t id, uint32_t nid,
	       const char *type, const char *node)
{
	uint8_t types[OP_ADJ_MAX_TYPES] = {0};
	struct op_graph_query q;
	struct op_graph_ctx c;
	int rc;

	memset(&q, 0, sizeof(q));
	types[id] = 1;
	q.types = types;
	q.ntypes = (size_t)id + 1;
	q.dirs = OP_ADJ_IN;
	rc = op_graph_ctx_open(&c, tc->txn, &q, &tc->db->err);
	if (rc != OUTPOST_OK)
		return rc;
	rc = op_graph_topo(&c, nid, &tc->order, &tc->n, &tc->cycle,
			   &tc->ncycle, &tc->db->err);
	op_graph_ctx_close(&c);
	if (rc == OUTPOST_EREFUSED)
		rc = refuse(tc, type, node);
	return rc;
}

int outpost_graph_topo(outpost *db, const char *type, const char *node,
		       outpost_node_fn fn, void *ctx, long long *count)
{
	struct topo_call tc;
	char shown[96], text[OP_UUID_TEXT];
	uint32_t nid;
	uint16_t id;
	size_t i, listed = 0;
	int rc;

	if (count)
		*count = 0;
	if (!db || !type || !node)
		return OUTPOST_EMISUSE;
	memset(&tc, 0, sizeof(tc));
	tc.db = db;
	rc = op_api_graph_catch_up(db);
	if (rc == OUTPOST_OK)
		rc = op_api_schema_current(db, &tc.schema);
	if (rc == OUTPOST_OK)
		rc = op_adj_begin(&tc.txn, db->adj, 0, &db->err);
	if (rc == OUTPOST_OK &&
	    (!tc.schema || !op_schema_reltype(tc.schema, type))) {
		op_show(shown, sizeof(shown), type);
		rc = op_err_set(&db->err, OUTPOST_ENOTFOUND, "unknown "
				"relationship type \"%s\" (not in the schema)",
				shown);
	}
	if (rc == OUTPOST_OK)
		rc = op_api_graph_resolve(db, tc.txn, tc.schema, NULL, node,
					  &nid);
	if (rc == OUTPOST_OK) {
		rc = op_adj_name_id(tc.txn, "type", type, 0, &id, &db->err);
		if (rc == OUTPOST_OK)
			rc = run(&tc, id, nid, type, node);
		else if (rc == OUTPOST_ENOTFOUND)
			rc = OUTPOST_OK; /* no edge of the type yet */
	}
	/* The whole order is known before fn sees any of it, so a refusal
	 * never follows a partial listing. */
	for (i = 0; rc == OUTPOST_OK && i < tc.n; i++) {
		listed++;
		if (!fn)
			continue;
		op_uuid_format(text, tc.order[i].uuid);
		if (fn(ctx, text, 0))
			break;
	}
	op_free(tc.order);
	op_free(tc.cycle);
	op_adj_abort(tc.txn);
	op_schema_free(tc.schema);
	if (count && rc == OUTPOST_OK)
		*count = (long long)listed;
	return rc;
}
