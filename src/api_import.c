/* api_import.c - outpost_import(): neo4j-admin CSV files into the store.
 * Node rows go to their label's SQLite table, nodes and edges to LMDB in
 * one bulk load; both are written inside SQLite's write lock and
 * committed together at the end, or not at all. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api_graph_int.h"
#include "api_import_int.h"


void op_api_import_progress(struct imp *m, int done)
{
	/* Every 2^17 rows: often enough to see it move, never a cost. */
	if (!m->progress ||
	    (!done && ((m->nnodes + m->nedges) & 0x1ffff) != 0))
		return;
	fprintf(stderr, "\rimport: %zu nodes, %zu relationships%s", m->nnodes,
		m->nedges, done ? "\n" : "");
}

int op_api_import_other_label(struct imp *m, const char *label,
			      const char *id)
{
	size_t i;
	uint32_t nid;

	for (i = 0; i < m->s->ntables; i++)
		if (m->s->tables[i].is_node &&
		    strcasecmp(m->s->tables[i].name, label) != 0 &&
		    op_api_import_existing(m, m->s->tables[i].name, id, &nid) ==
			    OUTPOST_OK)
			return 1;
	return 0;
}

int op_api_import_existing(struct imp *m, const char *label, const char *id,
			   uint32_t *nid)
{
	uint8_t u[16];
	const char *parts[2] = {label, id};

	if (op_uuid_parse(u, id) == 0 &&
	    op_adj_node_nid(m->txn, u, nid) == OUTPOST_OK)
		return OUTPOST_OK;
	op_uuid_v8(u, parts, 2);
	return op_adj_node_nid(m->txn, u, nid);
}

static void imp_free(struct imp *m)
{
	size_t i;

	op_api_import_map_free(m);
	op_free(m->uuids);
	op_free(m->labels);
	op_free(m->nids);
	for (i = 0; m->eprops && i < m->nedges; i++)
		op_free(m->eprops[i]);
	op_free(m->eprops);
	op_free(m->edges);
	op_free(m->label_ids);
	op_free(m->type_ids);
	op_api_triggers_free(&m->triggers);
	op_schema_free(m->s);
}

static int push_node(struct imp *m, const uint8_t u[16], uint16_t label)
{
	if (m->nnodes == m->capnodes) {
		size_t cap = m->capnodes ? m->capnodes * 2 : 4096;
		void *a = op_realloc(m->uuids, cap * 16);

		if (!a)
			return OUTPOST_ENOMEM;
		m->uuids = a;
		a = op_realloc(m->labels, cap * sizeof(*m->labels));
		if (!a)
			return OUTPOST_ENOMEM;
		m->labels = a;
		m->capnodes = cap;
	}
	memcpy(m->uuids[m->nnodes], u, 16);
	m->labels[m->nnodes++] = label;
	return OUTPOST_OK;
}

/* INSERT ... ON CONFLICT DO UPDATE for the columns this file has. */
static int prepare_insert(struct imp *m, struct op_graph_csv *r,
			  const struct op_table *t, struct op_stmt **st,
			  int *colmap)
{
	struct op_buf sql = {0}, vals = {0}, upd = {0};
	size_t i, n = op_graph_csv_ncols(r);
	int k = 1, rc;

	op_buf_adds(&sql, "INSERT INTO ");
	op_rel_quote_ident(&sql, t->name);
	op_buf_adds(&sql, " (");
	op_rel_quote_ident(&sql, t->cols[t->pk].name);
	op_buf_adds(&vals, "?1");
	for (i = 0; i < n; i++) {
		const struct op_graph_csv_col *c = op_graph_csv_col(r, i);
		const struct op_column *tc;

		colmap[i] = 0;
		if (!c->name || (c->role != OP_GRAPH_CSV_PROPERTY &&
				 c->role != OP_GRAPH_CSV_ID))
			continue;
		tc = op_schema_column(t, c->name);
		if (c->role == OP_GRAPH_CSV_ID && (!tc || tc->primary_key))
			continue; /* the id is the uuid, or derives it */
		if (!tc || tc->primary_key) {
			op_buf_free(&sql);
			op_buf_free(&vals);
			op_buf_free(&upd);
			return op_err_set(&m->db->err, OUTPOST_ESCHEMA,
					  "%s:1: column %zu \"%s\": %s is %s "
					  "of label %s in the schema",
					  op_graph_csv_path(r), i + 1,
					  c->header, c->name,
					  tc ? "the primary key" : "not a column",
					  t->name);
		}
		colmap[i] = ++k;
		op_buf_adds(&sql, ", ");
		op_rel_quote_ident(&sql, tc->name);
		op_buf_addf(&vals, ", ?%d", k);
		op_buf_adds(&upd, upd.len ? ", " : "");
		op_rel_quote_ident(&upd, tc->name);
		op_buf_adds(&upd, " = excluded.");
		op_rel_quote_ident(&upd, tc->name);
	}
	/* The target is the primary key only: a clash on a unique column
	 * is an error, never a merge into another node's row. */
	op_buf_addf(&sql, ") VALUES (%s) ON CONFLICT(", op_buf_str(&vals));
	op_rel_quote_ident(&sql, t->cols[t->pk].name);
	op_buf_addf(&sql, ") DO %s%s", upd.len ? "UPDATE SET " : "NOTHING",
		    op_buf_str(&upd));
	rc = sql.oom ? op_err_set(&m->db->err, OUTPOST_ENOMEM, "out of memory")
		     : op_rel_prepare(st, m->db->rel, op_buf_str(&sql), NULL,
				      &m->db->err);
	op_buf_free(&sql);
	op_buf_free(&vals);
	op_buf_free(&upd);
	return rc;
}

/* Bind field i as the type its header declares. */
static int bind_field(struct imp *m, struct op_graph_csv *r, size_t i,
		      struct op_stmt *st, int k)
{
	const struct op_graph_csv_col *c = op_graph_csv_col(r, i);
	int64_t iv;
	double dv;
	int bv, rc = OUTPOST_OK;

	if (op_graph_csv_is_empty(r, i))
		return op_rel_bind_null(st, k);
	if (c->is_array) {
		struct op_graph_csv_elem e = OP_GRAPH_CSV_ELEM_INIT(i);
		struct op_buf j = {0};

		op_buf_adds(&j, "[");
		while ((rc = op_graph_csv_array_next(r, &e, &m->db->err)) == 1) {
			op_buf_adds(&j, e.index ? "," : "");
			if (c->type == OP_GRAPH_CSV_INT &&
			    op_graph_csv_elem_int(r, &e, &iv, &m->db->err) == 0)
				op_buf_addf(&j, "%lld", (long long)iv);
			else if (c->type == OP_GRAPH_CSV_INT)
				rc = OUTPOST_ECORRUPT;
			else {
				const char *p;

				op_buf_adds(&j, "\"");
				for (p = e.text; *p; p++)
					if (*p == '"' || *p == '\\')
						op_buf_addf(&j, "\\%c", *p);
					else if ((unsigned char)*p < 0x20)
						op_buf_addf(&j, "\\u%04x", *p);
					else
						op_buf_add(&j, p, 1);
				op_buf_adds(&j, "\"");
			}
			if (rc < 0)
				break;
		}
		op_buf_adds(&j, "]");
		if (rc == 0)
			rc = op_rel_bind_text(st, k, op_buf_str(&j));
		op_buf_free(&j);
		return rc;
	}
	switch (c->type) {
	case OP_GRAPH_CSV_INT:
		rc = op_graph_csv_int(r, i, &iv, &m->db->err);
		return rc ? rc : op_rel_bind_int(st, k, iv);
	case OP_GRAPH_CSV_FLOAT: {
		outpost_value v = {OUTPOST_REAL, 0, 0, NULL, 0};

		rc = op_graph_csv_double(r, i, &dv, &m->db->err);
		v.r = dv;
		return rc ? rc : op_rel_bind(st, k, &v);
	}
	case OP_GRAPH_CSV_BOOLEAN:
		rc = op_graph_csv_bool(r, i, &bv, &m->db->err);
		return rc ? rc : op_rel_bind_int(st, k, bv);
	default:
		return op_rel_bind_text(st, k, op_graph_csv_field(r, i));
	}
}

/* One node row: its label, uuid, map entry, and its table row. */
static int node_row(struct imp *m, struct op_graph_csv *r, size_t idcol,
		    size_t labcol, struct op_stmt **stmts, int *colmaps)
{
	const struct op_graph_csv_col *ic = op_graph_csv_col(r, idcol);
	const char *id = op_graph_csv_field(r, idcol), *file =
							     op_graph_csv_path(r);
	struct op_graph_csv_elem e = OP_GRAPH_CSV_ELEM_INIT(labcol);
	const struct op_table *t;
	uint8_t u[16];
	char text[OP_UUID_TEXT];
	uint16_t lab;
	size_t ti, i, line = op_graph_csv_line(r);
	int rc = op_graph_csv_array_next(r, &e, &m->db->err);

	if (rc != 1 || !e.text[0])
		return rc < 0 ? rc : op_err_set(&m->db->err, OUTPOST_ECORRUPT,
						"%s:%zu: the node has no "
						"label", file, line);
	t = op_schema_table(m->s, e.text);
	if (!t || !t->is_node)
		return op_err_set(&m->db->err, OUTPOST_ESCHEMA, "%s:%zu: label "
				  "\"%.80s\" is not a node label of the schema",
				  file, line, e.text);
	ti = (size_t)(t - m->s->tables);
	if (op_graph_csv_array_next(r, &e, &m->db->err) == 1)
		return op_err_set(&m->db->err, OUTPOST_ECORRUPT, "%s:%zu: more "
				  "than one label; a node has one", file, line);
	if (ic->name && strcmp(ic->name, "uuid") == 0) {
		if (op_uuid_parse(u, id) != 0)
			return op_err_set(&m->db->err, OUTPOST_ECORRUPT,
					  "%s:%zu: \"%.80s\" is not a uuid",
					  file, line, id);
		/* One uuid in either case is one node: key it canonically. */
		op_uuid_format(text, u);
		id = text;
	} else {
		/* (label, id), or (label, space, id) in a neo4j id space, so
		 * equal ids in two spaces are two nodes. */
		const char *parts[3] = {t->name, ic->id_space, id};

		if (ic->id_space)
			op_uuid_v8(u, parts, 3);
		else {
			parts[1] = id;
			op_uuid_v8(u, parts, 2);
		}
	}
	rc = op_api_import_map_add(m, ic->id_space, id, u, id == text);
	if (rc == 1)
		return op_err_set(&m->db->err, OUTPOST_ECORRUPT, "%s:%zu: id "
				  "\"%.80s\" appears twice", file, line, id);
	if (rc == OUTPOST_OK)
		rc = op_api_import_name(m, 0, ti, &lab);
	if (rc == OUTPOST_OK)
		rc = push_node(m, u, lab);
	if (rc == OUTPOST_OK && !stmts[ti])
		rc = prepare_insert(m, r, t, &stmts[ti],
				    colmaps + ti * op_graph_csv_ncols(r));
	if (rc != OUTPOST_OK)
		return rc == OUTPOST_ENOMEM ? op_err_set(&m->db->err, rc,
							 "out of memory")
					    : rc;
	op_uuid_format(text, u);
	op_rel_reset(stmts[ti]);
	rc = op_rel_bind_text(stmts[ti], 1, text);
	for (i = 0; rc == OUTPOST_OK && i < op_graph_csv_ncols(r); i++) {
		int k = colmaps[ti * op_graph_csv_ncols(r) + i];

		if (k)
			rc = bind_field(m, r, i, stmts[ti], k);
	}
	if (rc == OUTPOST_OK)
		rc = op_rel_step(stmts[ti], &m->db->err);
	if (rc != OUTPOST_OK && rc != OUTPOST_ECORRUPT && rc != OUTPOST_ENOMEM) {
		char why[600];

		snprintf(why, sizeof(why), "%.590s", m->db->err.msg);
		rc = op_err_set(&m->db->err, rc, "%s:%zu: %s", file, line,
				why);
	}
	return rc;
}

static int import_nodes(struct imp *m, const char *path)
{
	struct op_graph_csv *r = NULL;
	struct op_stmt **stmts = NULL;
	int *colmaps = NULL, rc;
	size_t idcol, labcol, i, nc;

	rc = op_graph_csv_open(&r, path, OP_GRAPH_CSV_NODES, &m->db->err);
	if (rc != OUTPOST_OK)
		return rc;
	nc = op_graph_csv_ncols(r);
	idcol = op_graph_csv_find(r, OP_GRAPH_CSV_ID);
	labcol = op_graph_csv_find(r, OP_GRAPH_CSV_LABEL);
	stmts = op_calloc(m->s->ntables + 1, sizeof(struct op_stmt *));
	colmaps = op_calloc((m->s->ntables + 1) * nc, sizeof(*colmaps));
	if (!stmts || !colmaps) {
		op_free(stmts);
		op_free(colmaps);
		op_graph_csv_close(r);
		return op_err_set(&m->db->err, OUTPOST_ENOMEM, "out of memory");
	}
	if (labcol == SIZE_MAX)
		rc = op_err_set(&m->db->err, OUTPOST_ECORRUPT, "%s:1: no "
				":LABEL column; every node needs its label",
				path);
	while (rc == OUTPOST_OK &&
	       (rc = op_graph_csv_next(r, &m->db->err)) == OP_GRAPH_CSV_ROW) {
		rc = node_row(m, r, idcol, labcol, stmts, colmaps);
		op_api_import_progress(m, 0);
	}
	for (i = 0; i < m->s->ntables; i++)
		op_rel_finalize(stmts[i]);
	op_free(stmts);
	op_free(colmaps);
	op_graph_csv_close(r);
	return rc;
}

static int run(struct imp *m, const char *const *nf, size_t nn,
	       const char *const *rf, size_t nr)
{
	size_t i;
	int rc = op_api_schema_current(m->db, &m->s);

	if (rc != OUTPOST_OK)
		return rc;
	if (!m->s)
		return op_err_set(&m->db->err, OUTPOST_ESCHEMA, "apply a "
				  "schema before importing (outpost schema "
				  "apply FILE)");
	/* --add-to-schema: labels and columns before anything is made
	 * for the schema (the caches below fit the one the load uses). */
	if (m->add_to_schema &&
	    (rc = op_api_import_schema_labels(m, nf, nn)) != OUTPOST_OK)
		return rc;
	/* Name-id caches, -1 (all bits set) until looked up. */
	m->label_ids = op_malloc((m->s->ntables + 1) * 4);
	m->type_ids = op_malloc((m->s->nrels + 1) * 4);
	if (!m->label_ids || !m->type_ids)
		return op_err_set(&m->db->err, OUTPOST_ENOMEM, "out of memory");
	memset(m->label_ids, 0xff, (m->s->ntables + 1) * 4);
	memset(m->type_ids, 0xff, (m->s->nrels + 1) * 4);
	/* Central-wins labels accept the rows as from central; no per-row
	 * capture for a bulk load. */
	if (rc == OUTPOST_OK)
		rc = op_rel_exec(m->db->rel, "UPDATE _outpost_clock SET "
				 "applying = 2", &m->db->err);
	if (rc == OUTPOST_OK)
		rc = op_api_triggers_off(m->db, m->s, 1, &m->triggers);
	for (i = 0; rc == OUTPOST_OK && i < nn; i++)
		rc = import_nodes(m, nf[i]);
	if (rc == OUTPOST_OK)
		rc = op_api_triggers_on(m->db, &m->triggers);
	if (rc == OUTPOST_OK && !(m->nids = op_malloc(m->nnodes * 4 + 4)))
		rc = op_err_set(&m->db->err, OUTPOST_ENOMEM, "out of memory");
	if (rc == OUTPOST_OK)
		rc = op_adj_bulk_nodes(m->txn, (const uint8_t(*)[16])m->uuids,
				       m->labels, m->nnodes, m->nids,
				       &m->db->err);
	if (rc == OUTPOST_OK)
		op_api_import_map_loaded(m);
	/* Types once every node the edges name has its label. */
	if (rc == OUTPOST_OK && m->add_to_schema)
		rc = op_api_import_schema_types(m, rf, nr);
	for (i = 0; rc == OUTPOST_OK && i < nr; i++)
		rc = op_api_import_edges(m, rf[i]);
	if (rc == OUTPOST_OK)
		rc = op_adj_bulk_edges(m->txn, m->edges,
				       (const char *const *)m->eprops,
				       m->nedges, &m->db->err);
	if (rc == OUTPOST_OK)
		rc = op_api_import_check_acyclic(m);
	op_api_import_progress(m, 1);
	if (rc == OUTPOST_OK)
		rc = op_rel_exec(m->db->rel, "UPDATE _outpost_clock SET "
				 "applying = 0", &m->db->err);
	return rc;
}

static int attempt(outpost *db, const char *const *node_files,
		   size_t nnode_files, const char *const *rel_files,
		   size_t nrel_files, const outpost_import_opts *opts)
{
	struct imp m;
	int rc, committed = 0;

	memset(&m, 0, sizeof(m));
	m.db = db;
	m.progress = opts && opts->progress;
	/* A version 1 caller's struct ends before add_to_schema. */
	m.add_to_schema = opts && opts->version >= 2 && opts->add_to_schema;
	/* SQLite's write lock first, then LMDB's (DESIGN section 2); the
	 * graph is brought up to the log before the load starts. */
	rc = op_api_graph_catch_up(db);
	if (rc == OUTPOST_OK)
		rc = op_rel_begin_write(db->rel, &db->err);
	if (rc == OUTPOST_OK)
		rc = op_adj_begin(&m.txn, db->adj, 1, &db->err);
	if (rc == OUTPOST_OK)
		rc = op_api_import_begin(&m);
	if (rc == OUTPOST_OK)
		rc = run(&m, node_files, nnode_files, rel_files, nrel_files);
	if (rc == OUTPOST_OK)
		rc = op_api_import_log(&m);
	/* LMDB first, then SQLite: see api_import_log.c. */
	if (rc == OUTPOST_OK) {
		rc = op_adj_commit(m.txn, &db->err);
		m.txn = NULL;
		committed = rc == OUTPOST_OK;
	}
	if (rc == OUTPOST_OK) {
		op_fault_point("import_between_commits");
		rc = op_rel_commit(db->rel, &db->err);
	}
	op_adj_abort(m.txn);
	op_rel_rollback(db->rel);
	imp_free(&m);
	if (committed) {
		/* Settle the marker: drop it, or take the load back if the
		 * SQLite commit failed. */
		int settled = op_api_import_finish(db);

		if (rc == OUTPOST_OK)
			rc = settled;
	}
	return rc;
}

int outpost_import(outpost *db, const char *const *node_files,
		   size_t nnode_files, const char *const *rel_files,
		   size_t nrel_files, const outpost_import_opts *opts)
{
	int rc, tries = 0;

	if (!db || (nnode_files && !node_files) || (nrel_files && !rel_files) ||
	    (opts && (opts->version < 1 ||
		      opts->version > OUTPOST_IMPORT_OPTS_VERSION)))
		return OUTPOST_EMISUSE;
	/* A full map is grown, not reported: everything was rolled back,
	 * so the import simply runs again in the bigger map. */
	while ((rc = attempt(db, node_files, nnode_files, rel_files,
			     nrel_files, opts)) ==
		       OP_ADJ_EFULL &&
	       tries++ < 16)
		if ((rc = op_adj_grow(db->adj, &db->err)) != OUTPOST_OK)
			break;
	if (rc == OP_ADJ_EFULL)
		rc = op_err_set(&db->err, OUTPOST_EIO, "graph store: the map "
				"is still full after growing it 16 times");
	return rc;
}
