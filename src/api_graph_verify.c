/* api_graph_verify.c - outpost_graph_verify(): the graph store checked
 * against itself (op_adj_verify) and its nodes against the node tables,
 * both ways, with the findings gathered into one report.
 *
 * The two engines commit one after the other (SQLite first for a write,
 * LMDB first for an import), so a reader can catch them at different
 * points of the change log and would see mismatches no one made. The
 * check therefore reads an SQLite txn and an LMDB snapshot that stand at
 * the same point: LMDB has applied every node and edge entry the txn
 * sees, and nothing past it. If a writer got between the two, both are
 * taken again after catching up. */
#include <stdio.h>
#include <string.h>

#include "api_graph_int.h"

#define VERIFY_MAX_LINES 100 /* findings in the report; the rest counted */
#define VERIFY_TRIES 8	     /* snapshot pairs tried while writers move */
#define VERIFY_LINE 512

struct vr {
	outpost *db;
	const struct op_schema *s;
	struct op_adj_txn *t;
	struct op_buf out;
	size_t n;		   /* findings, shown or not */
	int32_t *label_table;	   /* label id -> node table index, or -1 */
	int32_t *table_label;	   /* table index -> label id, or -1 */
	struct op_stmt **has_row; /* per node table: its row with pk ?1 */
};

static void finding(void *ctx, const char *line)
{
	struct vr *r = ctx;

	if (r->n++ < VERIFY_MAX_LINES) {
		op_buf_adds(&r->out, line);
		op_buf_adds(&r->out, "\n");
	}
}

static void say(struct vr *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(struct vr *r, const char *fmt, ...)
{
	char line[VERIFY_LINE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	finding(r, line);
}

/* Does t stand where the SQLite txn (begun, not yet read) stands? The
 * first read fixes the txn's snapshot, so it comes before t begins. */
static int in_step(struct vr *r, int *yes)
{
	outpost *db = r->db;
	struct op_stmt *st = NULL;
	int64_t last = 0, applied = 0;
	int rc = op_rel_get_int(db->rel, &last, "SELECT coalesce(max(seq), "
				"0) FROM _outpost_changes", &db->err);

	*yes = 0;
	if (rc == OUTPOST_OK)
		rc = op_adj_begin(&r->t, db->adj, 0, &db->err);
	if (rc == OUTPOST_OK)
		rc = op_adj_applied_seq_txn(r->t, &applied, &db->err);
	if (rc != OUTPOST_OK || applied > last)
		return rc; /* LMDB is ahead: a commit under way */
	rc = op_rel_prepare(&st, db->rel, "SELECT tbl FROM _outpost_changes "
			    "WHERE seq > ?1 GROUP BY tbl", NULL, &db->err);
	if (rc != OUTPOST_OK)
		return rc;
	op_rel_bind_int(st, 1, applied);
	*yes = 1;
	while (*yes && (rc = op_rel_step(st, &db->err)) == OP_ROW) {
		const char *tbl = op_rel_col_text(st, 0);
		const struct op_table *tab = r->s ? op_schema_table(r->s, tbl)
						  : NULL;

		/* Entries of plain tables never reach the graph. */
		*yes = !(tab && tab->is_node) &&
		       !(r->s && op_schema_reltype(r->s, tbl));
	}
	op_rel_finalize(st);
	return rc == OP_ROW ? OUTPOST_OK : rc;
}

static void close_snapshots(struct vr *r)
{
	size_t i;

	for (i = 0; r->has_row && r->s && i < r->s->ntables; i++) {
		op_rel_finalize(r->has_row[i]);
		r->has_row[i] = NULL;
	}
	op_adj_abort(r->t);
	r->t = NULL;
	op_rel_rollback(r->db->rel);
}

static int open_snapshots(struct vr *r)
{
	int rc = OUTPOST_OK, yes = 0, tries;

	for (tries = 0; rc == OUTPOST_OK && !yes && tries < VERIFY_TRIES;
	     tries++) {
		close_snapshots(r);
		rc = op_api_graph_catch_up(r->db);
		if (rc == OUTPOST_OK)
			rc = op_rel_begin_read(r->db->rel, &r->db->err);
		if (rc == OUTPOST_OK)
			rc = in_step(r, &yes);
	}
	if (rc == OUTPOST_OK && !yes && r->db->read_only)
		rc = op_err_set(&r->db->err, OUTPOST_EBUSY, "the graph store "
				"is behind the change log (verify on a "
				"read-write handle, which brings it up to "
				"date)");
	else if (rc == OUTPOST_OK && !yes)
		rc = op_err_set(&r->db->err, OUTPOST_EBUSY, "the store kept "
				"changing while it was being verified; try "
				"again");
	return rc;
}

/* Label ids of the schema's node tables, both ways. A label with no id
 * has never had a node. */
static int map_labels(struct vr *r)
{
	size_t i, n = r->s ? r->s->ntables : 0;

	r->label_table = op_malloc(OP_ADJ_MAX_TYPES * sizeof(int32_t));
	r->table_label = op_malloc((n + 1) * sizeof(int32_t));
	r->has_row = op_calloc(n + 1, sizeof(struct op_stmt *));
	if (!r->label_table || !r->table_label || !r->has_row)
		return op_err_set(&r->db->err, OUTPOST_ENOMEM, "out of memory");
	for (i = 0; i < OP_ADJ_MAX_TYPES; i++)
		r->label_table[i] = -1;
	for (i = 0; i < n; i++) {
		uint16_t id;
		int rc = OUTPOST_ENOTFOUND;

		r->table_label[i] = -1;
		if (r->s->tables[i].is_node)
			rc = op_adj_name_id(r->t, "label", r->s->tables[i].name,
					    0, &id, &r->db->err);
		if (rc == OUTPOST_ENOTFOUND)
			continue;
		if (rc != OUTPOST_OK)
			return rc;
		if (id < OP_ADJ_MAX_TYPES)
			r->label_table[id] = (int32_t)i;
		r->table_label[i] = id;
	}
	return OUTPOST_OK;
}

static const char *label_text(char out[96], const struct vr *r,
			      uint16_t label)
{
	int32_t i = label < OP_ADJ_MAX_TYPES ? r->label_table[label] : -1;

	if (i >= 0)
		snprintf(out, 96, "%s", r->s->tables[i].name);
	else
		snprintf(out, 96, "label #%u (not a node label of the schema)",
			 label);
	return out;
}

/* "SELECT <what> FROM <table>[ WHERE <pk> = ?1]", prepared. */
static int table_query(struct vr *r, const struct op_table *tab, int by_pk,
		       struct op_stmt **out)
{
	const char *pk = tab->cols[tab->pk].name;
	struct op_buf sql = {0};
	int rc;

	op_buf_adds(&sql, "SELECT ");
	if (by_pk)
		op_buf_adds(&sql, "1");
	else
		op_rel_quote_ident(&sql, pk);
	op_buf_adds(&sql, " FROM ");
	op_rel_quote_ident(&sql, tab->name);
	if (by_pk) {
		op_buf_adds(&sql, " WHERE ");
		op_rel_quote_ident(&sql, pk);
		op_buf_adds(&sql, " = ?1");
	}
	rc = sql.oom ? op_err_set(&r->db->err, OUTPOST_ENOMEM, "out of memory")
		     : op_rel_prepare(out, r->db->rel, op_buf_str(&sql), NULL,
				      &r->db->err);
	op_buf_free(&sql);
	return rc;
}

/* A node of the graph: a row in its label's table. */
static int node_has_row(void *ctx, uint32_t nid, const uint8_t uuid[16],
			uint16_t label)
{
	struct vr *r = ctx;
	int32_t i = label < OP_ADJ_MAX_TYPES ? r->label_table[label] : -1;
	char u[OP_UUID_TEXT], name[96];
	int rc = OUTPOST_OK;

	op_uuid_format(u, uuid);
	if (i < 0) {
		say(r, "node %s (nid %u): its label is %s", u, nid,
		    label_text(name, r, label));
		return 0;
	}
	if (!r->has_row[i])
		rc = table_query(r, &r->s->tables[i], 1, &r->has_row[i]);
	if (rc == OUTPOST_OK) {
		op_rel_reset(r->has_row[i]);
		op_rel_bind_text(r->has_row[i], 1, u);
		rc = op_rel_step(r->has_row[i], &r->db->err);
	}
	if (rc == OUTPOST_OK)
		say(r, "node %s (nid %u): in the graph, but no row in %s", u,
		    nid, r->s->tables[i].name);
	return rc == OP_ROW || rc == OUTPOST_OK ? 0 : rc;
}

/* A row of node table i: a node of the graph with i's label. */
static void row_has_node(struct vr *r, size_t i, const char *id)
{
	const char *table = r->s->tables[i].name;
	char u[OP_UUID_TEXT], name[96];
	uint8_t b[16], back[16];
	uint32_t nid;
	uint16_t label;
	int rc;

	if (!id || op_uuid_parse(b, id) != 0) {
		op_show(name, sizeof(name), id ? id : "NULL");
		say(r, "%s row \"%s\": its primary key is not a uuid", table,
		    name);
		return;
	}
	op_uuid_format(u, b);
	rc = op_adj_node_nid(r->t, b, &nid);
	if (rc == OUTPOST_ENOTFOUND)
		say(r, "node %s: a row in %s, but not in the graph", u, table);
	/* A damaged node entry is op_adj_verify's finding already. */
	if (rc != OUTPOST_OK ||
	    op_adj_node_uuid(r->t, nid, back, &label) != OUTPOST_OK ||
	    label == r->table_label[i])
		return;
	say(r, "node %s (nid %u): a row in %s, but the graph has it as %s", u,
	    nid, table, label_text(name, r, label));
}

static int rows_have_nodes(struct vr *r, size_t i)
{
	struct op_stmt *st = NULL;
	int rc = table_query(r, &r->s->tables[i], 0, &st);

	while (rc == OUTPOST_OK &&
	       (rc = op_rel_step(st, &r->db->err)) == OP_ROW) {
		row_has_node(r, i, op_rel_col_text(st, 0));
		rc = OUTPOST_OK;
	}
	op_rel_finalize(st);
	return rc;
}

static int check_all(struct vr *r)
{
	size_t i;
	int rc = op_adj_verify(r->t, finding, r, &r->db->err);

	if (rc == OUTPOST_ECORRUPT) {
		/* The b-tree itself is damaged: that is the finding. */
		finding(r, r->db->err.msg);
		return OUTPOST_OK;
	}
	if (rc == OUTPOST_OK)
		rc = map_labels(r);
	if (rc == OUTPOST_OK)
		rc = op_adj_nodes_each(r->t, node_has_row, r, &r->db->err);
	for (i = 0; rc == OUTPOST_OK && r->s && i < r->s->ntables; i++)
		if (r->s->tables[i].is_node)
			rc = rows_have_nodes(r, i);
	return rc;
}

/* The findings as the report, if there are any. */
static int finish(struct vr *r, char **report, int rc)
{
	if (rc == OUTPOST_OK && r->n > VERIFY_MAX_LINES)
		op_buf_addf(&r->out, "... and %zu more\n",
			    r->n - VERIFY_MAX_LINES);
	if (rc == OUTPOST_OK && r->out.oom)
		rc = op_err_set(&r->db->err, OUTPOST_ENOMEM, "out of memory");
	if (rc != OUTPOST_OK || r->n == 0)
		return rc;
	r->out.p[--r->out.len] = '\0'; /* the last newline */
	*report = op_buf_take(&r->out);
	return op_err_set(&r->db->err, OUTPOST_ECORRUPT, "the graph has %zu "
			  "mismatch%s (see the report)", r->n,
			  r->n == 1 ? "" : "es");
}

int outpost_graph_verify(char **report, outpost *db)
{
	struct op_schema *s = NULL;
	struct vr r;
	int rc;

	if (!report || !db)
		return OUTPOST_EMISUSE;
	*report = NULL;
	memset(&r, 0, sizeof(r));
	r.db = db;
	rc = op_api_schema_current(db, &s);
	r.s = s;
	if (rc == OUTPOST_OK)
		rc = open_snapshots(&r);
	if (rc == OUTPOST_OK)
		rc = check_all(&r);
	close_snapshots(&r);
	rc = finish(&r, report, rc);
	op_buf_free(&r.out);
	op_free(r.label_table);
	op_free(r.table_label);
	op_free(r.has_row);
	op_schema_free(s);
	return rc;
}
