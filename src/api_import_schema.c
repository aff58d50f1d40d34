/* api_import_schema.c - `outpost import --add-to-schema`: what the files
 * name and the schema lacks is added to it, inside the import's own write
 * transaction, so an import that fails leaves the schema as it was.
 *
 * Two passes read the files before their rows are loaded:
 * - before the node load, the node files' :LABEL values and headers: a
 *   new label becomes a node table (a uuid primary key and a column per
 *   property header), a label that exists gets the columns it lacks;
 * - after it, when every node the relationship rows can name has its
 *   label, the relationship files' :TYPE values: a new type goes from the
 *   label of its first edge's start to that of its end (a later edge of
 *   it between other labels is refused), and a type gets the properties
 *   its rows give a value for (what the load would refuse otherwise).
 * Each pass writes the extended declaration as JSON and parses it, so the
 * result is exactly what a user could have written, then migrates the
 * store to it. The changes are additive (new tables, nullable columns,
 * types), so foreign keys may stay on, as they must: a pragma cannot
 * change them inside the import's transaction. The version goes up by one
 * for the whole import, whichever passes changed the schema. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "api_import_int.h"

/* Hostile files could name a label per row; a schema is not a log. */
#define MAX_NEW 1000

struct ext {
	struct imp *m;
	int is_type; /* which pass */
	struct imp_xent *e;
	size_t n;
	size_t last;	  /* the entry the row before named */
	int32_t *lab_ids; /* second pass: each table's adj label id, or -1 */
};

static void ext_free(struct ext *x)
{
	size_t i, j;

	for (i = 0; i < x->n; i++) {
		for (j = 0; j < x->e[i].ncols; j++)
			op_free(x->e[i].cols[j].name);
		op_free(x->e[i].cols);
		op_free(x->e[i].name);
		op_free(x->e[i].seen);
		op_free(x->e[i].first);
	}
	op_free(x->e);
	op_free(x->lab_ids);
}

static int oom(struct ext *x)
{
	return op_err_set(&x->m->db->err, OUTPOST_ENOMEM, "out of memory");
}

/* The schema type a header's values get: the natural one, and text[] for
 * arrays of strings (dates are strings too), the schema's only array
 * type. -1 for other arrays. A named id is text, as the load binds it. */
static int column_type(const struct op_graph_csv_col *c, enum op_type *out)
{
	static const enum op_type scalar[] = {
		[OP_GRAPH_CSV_STRING] = OP_T_TEXT,
		[OP_GRAPH_CSV_INT] = OP_T_INTEGER,
		[OP_GRAPH_CSV_FLOAT] = OP_T_REAL,
		[OP_GRAPH_CSV_BOOLEAN] = OP_T_BOOLEAN,
		[OP_GRAPH_CSV_DATE] = OP_T_DATE,
		[OP_GRAPH_CSV_DATETIME] = OP_T_TIMESTAMP,
	};

	if (c->role == OP_GRAPH_CSV_ID || !c->is_array) {
		*out = c->role == OP_GRAPH_CSV_ID ? OP_T_TEXT : scalar[c->type];
		return 0;
	}
	*out = OP_T_TEXT_ARRAY;
	return c->type == OP_GRAPH_CSV_STRING || c->type == OP_GRAPH_CSV_DATE ||
			       c->type == OP_GRAPH_CSV_DATETIME
		       ? 0
		       : -1;
}

static void header_type(char out[16], const struct op_graph_csv_col *c)
{
	static const char *const names[] = {"string", "int",  "float",
					    "boolean", "date", "datetime"};

	snprintf(out, 16, "%s%s", names[c->type], c->is_array ? "[]" : "");
}

/* Can a column of type have take this header's values? Its own type; or
 * what the load already binds without the flag: untyped text into any
 * column stored as text (whose checks then judge each value), dates into
 * text, integers into real, any array into json. */
static int fits(const struct op_graph_csv_col *c, enum op_type have)
{
	enum op_type t;

	if (column_type(c, &t) == 0 && t == have)
		return 1;
	if (c->is_array)
		return have == OP_T_JSON;
	switch (c->type) {
	case OP_GRAPH_CSV_STRING:
		return have != OP_T_INTEGER && have != OP_T_REAL &&
		       have != OP_T_BOOLEAN && have != OP_T_BLOB;
	case OP_GRAPH_CSV_DATE:
	case OP_GRAPH_CSV_DATETIME:
		return have == OP_T_TEXT;
	case OP_GRAPH_CSV_INT:
		return have == OP_T_REAL;
	default:
		return 0;
	}
}

/* The entry for name (case-insensitively, as the schema compares). */
static struct imp_xent *find(struct ext *x, const char *name)
{
	size_t i;

	if (x->last < x->n && strcasecmp(x->e[x->last].name, name) == 0)
		return &x->e[x->last];
	for (i = 0; i < x->n; i++)
		if (strcasecmp(x->e[i].name, name) == 0) {
			x->last = i;
			return &x->e[i];
		}
	return NULL;
}

/* A name the schema does not have yet: one it would accept. */
static int check_new(struct ext *x, struct op_graph_csv *r, const char *name)
{
	const struct op_schema *s = x->m->s;
	const struct op_table *t = op_schema_table(s, name);
	const char *what = x->is_type ? "relationship type" : "label";
	char why[256], shown[80];
	size_t i, nnew = 0;

	for (i = 0; i < x->n; i++)
		nnew += x->e[i].is_new;
	op_show(shown, sizeof(shown), name);
	if (op_schema_name_check(why, sizeof(why), name, what) != 0)
		return op_err_set(&x->m->db->err, OUTPOST_ESCHEMA, "%s:%zu: %s",
				  op_graph_csv_path(r), op_graph_csv_line(r),
				  why);
	if (t || (!x->is_type && op_schema_reltype(s, name)))
		return op_err_set(&x->m->db->err, OUTPOST_ESCHEMA, "%s:%zu: %s "
				  "\"%s\" cannot be added to the schema: it is "
				  "the name of a %s", op_graph_csv_path(r),
				  op_graph_csv_line(r), what, shown,
				  !t ? "relationship type"
				  : t->is_node ? "node label" : "table");
	if (nnew >= MAX_NEW)
		return op_err_set(&x->m->db->err, OUTPOST_ESCHEMA, "%s:%zu: "
				  "more than %d new labels or types in one "
				  "import; declare them in the schema file",
				  op_graph_csv_path(r), op_graph_csv_line(r),
				  MAX_NEW);
	return OUTPOST_OK;
}

/* The entry for the label or type a row names, made on first sight. */
static int entry(struct ext *x, struct op_graph_csv *r, const char *name,
		 struct imp_xent **out)
{
	const struct op_table *t = NULL;
	const struct op_reltype *rt = NULL;
	const char *have;
	struct imp_xent *e;
	int rc;

	if ((*out = find(x, name)) != NULL)
		return OUTPOST_OK;
	if (x->is_type)
		rt = op_schema_reltype(x->m->s, name);
	else
		t = op_schema_table(x->m->s, name);
	have = rt ? rt->name : t && t->is_node ? t->name : NULL;
	if (!have && (rc = check_new(x, r, name)) != OUTPOST_OK)
		return rc;
	e = op_realloc(x->e, (x->n + 1) * sizeof(*e));
	if (!e)
		return oom(x);
	x->e = e;
	e = &x->e[x->n];
	memset(e, 0, sizeof(*e));
	if (!(e->name = op_strdup(have ? have : name)))
		return oom(x);
	e->is_new = !have;
	x->last = x->n++;
	*out = e;
	return OUTPOST_OK;
}

/* What e has under name already: in the schema, or added by this import
 * (NULL if nothing); *type its type. */
static const char *has(struct ext *x, const struct imp_xent *e,
		       const char *name, enum op_type *type)
{
	const struct op_table *t;
	const struct op_reltype *rt;
	size_t i;

	for (i = 0; i < e->ncols; i++)
		if (strcasecmp(e->cols[i].name, name) == 0) {
			*type = e->cols[i].type;
			return e->cols[i].name;
		}
	if (e->is_new) {
		*type = OP_T_UUID; /* a new label's primary key */
		return !x->is_type && strcasecmp(name, "uuid") == 0 ? "uuid"
								    : NULL;
	}
	if (!x->is_type) {
		const struct op_column *c;

		t = op_schema_table(x->m->s, e->name);
		c = op_schema_column(t, name);
		*type = c ? c->type : OP_T_TEXT;
		return c ? c->name : NULL;
	}
	rt = op_schema_reltype(x->m->s, e->name);
	for (i = 0; i < rt->nprops; i++)
		if (strcasecmp(rt->props[i].name, name) == 0) {
			*type = rt->props[i].type;
			return rt->props[i].name;
		}
	return NULL;
}

/* Column k of r for e: there already, of a type that fits; or added. */
static int take_column(struct ext *x, struct imp_xent *e,
		       struct op_graph_csv *r, size_t k)
{
	const struct op_graph_csv_col *c = op_graph_csv_col(r, k);
	const char *path = op_graph_csv_path(r), *what, *have;
	struct op_err *err = &x->m->db->err;
	enum op_type t;
	struct imp_xcol *cols;
	char why[256], ht[16];

	/* Specials and ignored columns; "uuid:ID" is the node's uuid. */
	if (!c->name || (c->role != OP_GRAPH_CSV_PROPERTY &&
			 c->role != OP_GRAPH_CSV_ID) ||
	    (c->role == OP_GRAPH_CSV_ID && strcmp(c->name, "uuid") == 0))
		return OUTPOST_OK;
	what = x->is_type ? "property" : "column";
	header_type(ht, c);
	if ((have = has(x, e, c->name, &t)) != NULL) {
		/* Edge properties are matched exactly (a case twin would
		 * be refused by the schema); ids bind as text, as ever. */
		if (x->is_type && strcmp(have, c->name) != 0)
			return op_err_set(err, OUTPOST_ESCHEMA, "%s:1: column "
					  "%zu \"%s\": %s differs from "
					  "property %s.%s only in case", path,
					  k + 1, c->header, c->name, e->name,
					  have);
		if (c->role == OP_GRAPH_CSV_ID || fits(c, t))
			return OUTPOST_OK;
		return op_err_set(err, OUTPOST_ESCHEMA, "%s:1: column %zu "
				  "\"%s\": the header's type %s does not fit "
				  "%s %s.%s, which is %s", path, k + 1,
				  c->header, ht, what, e->name, have,
				  op_schema_type_name(t));
	}
	if (op_schema_name_check(why, sizeof(why), c->name, what) != 0)
		return op_err_set(err, OUTPOST_ESCHEMA, "%s:1: column %zu "
				  "\"%s\": %s", path, k + 1, c->header, why);
	if (x->is_type && strcmp(c->name, "uuid") == 0)
		return op_err_set(err, OUTPOST_ESCHEMA, "%s:1: column %zu "
				  "\"%s\": uuid cannot be a property (every "
				  "edge has its own)", path, k + 1, c->header);
	if (column_type(c, &t) != 0)
		return op_err_set(err, OUTPOST_ESCHEMA, "%s:1: column %zu "
				  "\"%s\": the schema has no type for %s (its "
				  "one array type, text[], holds strings); "
				  "declare the %s yourself, as json", path,
				  k + 1, c->header, ht, what);
	cols = op_realloc(e->cols, (e->ncols + 1) * sizeof(*cols));
	if (!cols)
		return oom(x);
	e->cols = cols;
	if (!(cols[e->ncols].name = op_strdup(c->name)))
		return oom(x);
	cols[e->ncols++].type = t;
	return OUTPOST_OK;
}

/* ---- first pass: node files ---- */

/* A row's label: its entry, and the file's columns once per file. */
static int label_row(struct ext *x, struct op_graph_csv *r, size_t file,
		     const char *label)
{
	struct imp_xent *e = NULL;
	size_t k;
	int rc = entry(x, r, label, &e);

	if (rc != OUTPOST_OK || e->file == file + 1)
		return rc;
	e->file = file + 1; /* every row of the file has these columns */
	for (k = 0; rc == OUTPOST_OK && k < op_graph_csv_ncols(r); k++)
		rc = take_column(x, e, r, k);
	return rc;
}

/* A row without one label stops the pass (*stop): the load refuses it
 * at its line, as it would without the flag. */
static int scan_nodes(struct ext *x, const char *path, size_t file,
		      int *stop)
{
	struct op_graph_csv *r = NULL;
	struct op_err *err = &x->m->db->err;
	size_t labcol;
	int rc = op_graph_csv_open(&r, path, OP_GRAPH_CSV_NODES, err);

	if (rc != OUTPOST_OK)
		return rc;
	labcol = op_graph_csv_find(r, OP_GRAPH_CSV_LABEL);
	*stop = labcol == SIZE_MAX;
	while (rc == OUTPOST_OK && !*stop &&
	       (rc = op_graph_csv_next(r, err)) == OP_GRAPH_CSV_ROW) {
		struct op_graph_csv_elem e = OP_GRAPH_CSV_ELEM_INIT(labcol);

		rc = op_graph_csv_array_next(r, &e, err);
		if (rc == 1 && e.text[0])
			rc = label_row(x, r, file, e.text);
		else if (rc >= 0)
			*stop = 1;
	}
	op_graph_csv_close(r);
	return rc < 0 ? rc : OUTPOST_OK;
}

int op_api_import_schema_labels(struct imp *m, const char *const *files,
				size_t n)
{
	struct ext x;
	size_t i;
	int rc = OUTPOST_OK, stop = 0;

	memset(&x, 0, sizeof(x));
	x.m = m;
	for (i = 0; rc == OUTPOST_OK && !stop && i < n; i++)
		rc = scan_nodes(&x, files[i], i, &stop);
	if (rc == OUTPOST_OK)
		rc = op_api_import_schema_apply(m, 0, x.e, x.n);
	ext_free(&x);
	return rc;
}

/* ---- second pass: relationship files ---- */

/* The label (table index) of the node an end column names: one of this
 * import's, or one already in the store. */
static int end_label(struct ext *x, struct op_graph_csv *r, size_t col,
		     size_t *label)
{
	struct imp *m = x->m;
	const struct op_graph_csv_col *c = op_graph_csv_col(r, col);
	const char *id = op_graph_csv_field(r, col);
	struct imp_end end;
	uint32_t nid;
	size_t i;
	int found = op_api_import_lookup(m, c->id_space, id, &end);

	for (i = 0; !found && i < m->s->ntables; i++)
		found = m->s->tables[i].is_node &&
			op_api_import_existing(m, m->s->tables[i].name, id,
					       &nid) == OUTPOST_OK &&
			op_adj_node_uuid(m->txn, nid, end.uuid, &end.label) ==
				OUTPOST_OK;
	if (!found)
		return op_err_set(&m->db->err, OUTPOST_ENOTFOUND, "%s:%zu: %s "
				  "\"%.80s\": no such node (not in the node "
				  "files nor in the store)",
				  op_graph_csv_path(r), op_graph_csv_line(r),
				  c->header, id);
	for (i = 0; i < m->s->ntables; i++)
		if (x->lab_ids[i] == (int32_t)end.label) {
			*label = i;
			return OUTPOST_OK;
		}
	return op_err_set(&m->db->err, OUTPOST_ECORRUPT, "%s:%zu: %s "
			  "\"%.80s\": the node's label is not in the schema",
			  op_graph_csv_path(r), op_graph_csv_line(r),
			  c->header, id);
}

/* A new type joins the labels of its first edge's ends; every later edge
 * of it must join the same. */
static int type_ends(struct ext *x, struct imp_xent *e,
		     struct op_graph_csv *r, size_t sc, size_t ec)
{
	const struct op_table *tb = x->m->s->tables;
	size_t from = 0, to = 0;
	int rc = end_label(x, r, sc, &from);

	if (rc == OUTPOST_OK)
		rc = end_label(x, r, ec, &to);
	if (rc != OUTPOST_OK)
		return rc;
	if (!e->first) {
		struct op_buf b = {0};

		op_buf_addf(&b, "%s:%zu", op_graph_csv_path(r),
			    op_graph_csv_line(r));
		if (!(e->first = op_buf_take(&b)))
			return oom(x);
		e->from = from;
		e->to = to;
		return OUTPOST_OK;
	}
	if (from == e->from && to == e->to)
		return OUTPOST_OK;
	return op_err_set(&x->m->db->err, OUTPOST_ESCHEMA, "%s:%zu: new "
			  "relationship type %s goes from %s to %s here, but "
			  "from %s to %s at its first edge (%s)",
			  op_graph_csv_path(r), op_graph_csv_line(r), e->name,
			  tb[from].name, tb[to].name, tb[e->from].name,
			  tb[e->to].name, e->first);
}

/* A row's type: its entry, its ends' labels if new, and the property
 * columns it gives a value for, once per file. */
static int type_row(struct ext *x, struct op_graph_csv *r, size_t file,
		    size_t sc, size_t ec, size_t tc)
{
	const struct op_reltype *rt;
	struct imp_xent *e = NULL;
	size_t k, n = op_graph_csv_ncols(r);
	int rc = entry(x, r, op_graph_csv_field(r, tc), &e);

	if (rc == OUTPOST_OK && e->is_new)
		rc = type_ends(x, e, r, sc, ec);
	if (rc != OUTPOST_OK)
		return rc;
	if (e->file != file + 1) {
		unsigned char *seen = op_realloc(e->seen, n);

		if (!seen)
			return oom(x);
		memset(seen, 0, n);
		e->seen = seen;
		e->file = file + 1;
	}
	rt = e->is_new ? NULL : op_schema_reltype(x->m->s, e->name);
	for (k = 0; rc == OUTPOST_OK && k < n; k++) {
		const struct op_graph_csv_col *c = op_graph_csv_col(r, k);

		if (e->seen[k] || c->role != OP_GRAPH_CSV_PROPERTY ||
		    op_graph_csv_is_empty(r, k))
			continue;
		e->seen[k] = 1;
		/* A validity type's bounds are not properties. */
		if (rt && rt->validity && (strcmp(c->name, "valid_from") == 0 ||
					   strcmp(c->name, "valid_to") == 0))
			continue;
		rc = take_column(x, e, r, k);
	}
	return rc;
}

static int scan_rels(struct ext *x, const char *path, size_t file,
		     int *stop)
{
	struct op_graph_csv *r = NULL;
	struct op_err *err = &x->m->db->err;
	size_t sc, ec, tc;
	int rc = op_graph_csv_open(&r, path, OP_GRAPH_CSV_RELATIONSHIPS, err);

	if (rc != OUTPOST_OK)
		return rc;
	sc = op_graph_csv_find(r, OP_GRAPH_CSV_START_ID);
	ec = op_graph_csv_find(r, OP_GRAPH_CSV_END_ID);
	tc = op_graph_csv_find(r, OP_GRAPH_CSV_TYPE);
	*stop = tc == SIZE_MAX; /* the load refuses the file */
	while (rc == OUTPOST_OK && !*stop &&
	       (rc = op_graph_csv_next(r, err)) == OP_GRAPH_CSV_ROW)
		rc = type_row(x, r, file, sc, ec, tc);
	op_graph_csv_close(r);
	return rc < 0 ? rc : OUTPOST_OK;
}

int op_api_import_schema_types(struct imp *m, const char *const *files,
			       size_t n)
{
	struct ext x;
	size_t i;
	int rc = OUTPOST_OK, stop = 0;

	memset(&x, 0, sizeof(x));
	x.m = m;
	x.is_type = 1;
	/* Nodes carry their label's adj id; learn each label's once. */
	if (!(x.lab_ids = op_malloc((m->s->ntables + 1) * sizeof(int32_t))))
		return oom(&x);
	for (i = 0; i < m->s->ntables; i++) {
		const struct op_table *tb = &m->s->tables[i];
		uint16_t id;

		x.lab_ids[i] = -1;
		if (tb->is_node && op_adj_name_id(m->txn, "label", tb->name, 0,
						  &id, NULL) == OUTPOST_OK)
			x.lab_ids[i] = id;
	}
	for (i = 0; rc == OUTPOST_OK && !stop && i < n; i++)
		rc = scan_rels(&x, files[i], i, &stop);
	if (rc == OUTPOST_OK)
		rc = op_api_import_schema_apply(m, 1, x.e, x.n);
	ext_free(&x);
	return rc;
}
