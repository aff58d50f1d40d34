/* api_import_props.c - the property columns of a relationship file: each
 * row's non-empty values, typed by the header, become the edge's
 * properties (a JSON object, as single edge writes store them); for a
 * type declared with validity, valid_from / valid_to set the edge's
 * validity. A value for a property the row's type does not declare is
 * refused with file, line and column. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "api_import_int.h"

static void json_text(struct op_buf *j, const char *s)
{
	op_buf_adds(j, "\"");
	for (; *s; s++)
		if (*s == '"' || *s == '\\')
			op_buf_addf(j, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			op_buf_addf(j, "\\u%04x", *s);
		else
			op_buf_add(j, s, 1);
	op_buf_adds(j, "\"");
}

static int json_number(struct op_buf *j, double d)
{
	if (!isfinite(d))
		return -1; /* JSON has no NaN or infinity */
	op_buf_addf(j, "%.17g", d);
	return 0;
}

/* One element or scalar of type t, from text or the field accessors. */
static int json_elem(struct imp *m, struct op_graph_csv *r, size_t i,
		     const struct op_graph_csv_elem *e, struct op_buf *j)
{
	const struct op_graph_csv_col *c = op_graph_csv_col(r, i);
	int64_t iv;
	double dv;
	int bv, rc;

	switch (c->type) {
	case OP_GRAPH_CSV_INT:
		rc = e ? op_graph_csv_elem_int(r, e, &iv, &m->db->err)
		       : op_graph_csv_int(r, i, &iv, &m->db->err);
		if (rc == 0)
			op_buf_addf(j, "%lld", (long long)iv);
		return rc;
	case OP_GRAPH_CSV_FLOAT:
		rc = e ? op_graph_csv_elem_double(r, e, &dv, &m->db->err)
		       : op_graph_csv_double(r, i, &dv, &m->db->err);
		if (rc == 0 && json_number(j, dv) != 0)
			rc = op_err_set(&m->db->err, OUTPOST_ECORRUPT, "%s:%zu: "
					"column %zu \"%s\": not a finite number",
					op_graph_csv_path(r),
					op_graph_csv_line(r), i + 1, c->header);
		return rc;
	case OP_GRAPH_CSV_BOOLEAN:
		rc = e ? op_graph_csv_elem_bool(r, e, &bv, &m->db->err)
		       : op_graph_csv_bool(r, i, &bv, &m->db->err);
		if (rc == 0)
			op_buf_adds(j, bv ? "true" : "false");
		return rc;
	default:
		json_text(j, e ? e->text : op_graph_csv_field(r, i));
		return 0;
	}
}

static int json_value(struct imp *m, struct op_graph_csv *r, size_t i,
		      struct op_buf *j)
{
	struct op_graph_csv_elem e = OP_GRAPH_CSV_ELEM_INIT(i);
	int rc;

	if (!op_graph_csv_col(r, i)->is_array)
		return json_elem(m, r, i, NULL, j);
	op_buf_adds(j, "[");
	while ((rc = op_graph_csv_array_next(r, &e, &m->db->err)) == 1) {
		op_buf_adds(j, e.index ? "," : "");
		if ((rc = json_elem(m, r, i, &e, j)) != 0)
			return rc;
	}
	op_buf_adds(j, "]");
	return rc;
}

static int bound(struct imp *m, struct op_graph_csv *r, size_t i,
		 int64_t *out)
{
	const struct op_graph_csv_col *c = op_graph_csv_col(r, i);
	char shown[64];

	if (op_time_parse(out, op_graph_csv_field(r, i)) == 0)
		return OUTPOST_OK;
	op_show(shown, sizeof(shown), op_graph_csv_field(r, i));
	return op_err_set(&m->db->err, OUTPOST_ECORRUPT, "%s:%zu: column %zu "
			  "\"%s\": \"%s\" is not a timestamp "
			  "(2026-01-31T12:00:00Z)", op_graph_csv_path(r),
			  op_graph_csv_line(r), i + 1, c->header, shown);
}

static int declared(const struct op_reltype *rt, const char *name)
{
	size_t k;

	for (k = 0; k < rt->nprops; k++)
		if (strcmp(rt->props[k].name, name) == 0)
			return 1;
	return 0;
}

int op_api_import_edge_props(struct imp *m, struct op_graph_csv *r,
			     const struct op_reltype *rt,
			     struct op_adj_edge *e, char **props)
{
	struct op_buf j = {0};
	size_t i;
	int rc = OUTPOST_OK, n = 0;

	*props = NULL;
	for (i = 0; rc == OUTPOST_OK && i < op_graph_csv_ncols(r); i++) {
		const struct op_graph_csv_col *c = op_graph_csv_col(r, i);

		if (c->role != OP_GRAPH_CSV_PROPERTY || !c->name ||
		    op_graph_csv_is_empty(r, i))
			continue;
		if (rt->validity && strcmp(c->name, "valid_from") == 0)
			rc = bound(m, r, i, &e->valid_from);
		else if (rt->validity && strcmp(c->name, "valid_to") == 0)
			rc = bound(m, r, i, &e->valid_to);
		else if (!declared(rt, c->name))
			rc = op_err_set(&m->db->err, OUTPOST_ESCHEMA, "%s:%zu: "
					"column %zu \"%s\": %s is not a property "
					"of type %s in the schema",
					op_graph_csv_path(r),
					op_graph_csv_line(r), i + 1, c->header,
					c->name, rt->name);
		else {
			op_buf_adds(&j, n++ ? "," : "{");
			json_text(&j, c->name);
			op_buf_adds(&j, ":");
			rc = json_value(m, r, i, &j);
		}
	}
	if (rc == OUTPOST_OK && n) {
		op_buf_adds(&j, "}");
		if (!(*props = op_buf_take(&j)))
			rc = op_err_set(&m->db->err, OUTPOST_ENOMEM,
					"out of memory");
	}
	op_buf_free(&j);
	return rc;
}
