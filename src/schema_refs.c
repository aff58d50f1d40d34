/* schema_refs.c - checks across the whole declaration, once every part
 * has parsed: references, indexes, scopes and relationship ends. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "schema_int.h"

static int is_unique_key(const struct op_table *t, const struct op_column *c)
{
	size_t i;

	if (c->primary_key || c->unique)
		return 1;
	for (i = 0; i < t->nidx; i++)
		if (t->idx[i].unique && t->idx[i].ncols == 1 &&
		    strcmp(t->idx[i].cols[0], c->name) == 0)
			return 1;
	return 0;
}

static void check_reference(struct op_parse *p, const struct op_table *t,
			    struct op_column *c, const char *path)
{
	const struct op_table *rt = op_schema_table(p->s, c->ref_table);
	const struct op_column *rc;

	if (!rt) {
		op_schema_perr(p, path, "references unknown table \"%s\"",
			       c->ref_table);
		return;
	}
	if (!c->ref_column &&
	    !(c->ref_column = op_strdup(rt->cols[rt->pk].name))) {
		p->oom = 1;
		return;
	}
	rc = op_schema_column(rt, c->ref_column);
	if (!rc) {
		op_schema_perr(p, path, "references unknown column \"%s.%s\"",
			       rt->name, c->ref_column);
		return;
	}
	if (rc->type != c->type)
		op_schema_perr(p, path, "type %s does not match %s.%s, which "
			       "is %s", op_schema_type_name(c->type),
			       rt->name, rc->name,
			       op_schema_type_name(rc->type));
	else if (!is_unique_key(rt, rc))
		op_schema_perr(p, path, "%s.%s is neither the primary key nor "
			       "unique, so it cannot be referenced",
			       rt->name, rc->name);
	(void)t;
}

static void check_indexes(struct op_parse *p, const struct op_table *t,
			  const char *tpath, char (*names)[128],
			  size_t *nnames)
{
	size_t i, j;

	for (i = 0; i < t->nidx; i++) {
		const struct op_index *ix = &t->idx[i];
		char ip[OP_PATH_MAX], base[OP_PATH_MAX], name[128];

		op_schema_path_key(base, tpath, "indexes");
		op_schema_path_idx(ip, base, i);
		for (j = 0; j < ix->ncols; j++) {
			const struct op_column *c;
			char cp[OP_PATH_MAX], kp[OP_PATH_MAX];

			if (!ix->cols[j])
				continue;
			op_schema_path_key(kp, ip, "columns");
			op_schema_path_idx(cp, kp, j);
			c = op_schema_column(t, ix->cols[j]);
			if (!c) {
				char shown[80];

				op_show(shown, sizeof(shown),
					       ix->cols[j]);
				op_schema_perr(p, cp, "unknown column \"%s\"",
					       shown);
			} else if (c->encrypted) {
				op_schema_perr(p, cp, "encrypted column "
					       "\"%s\" cannot be indexed",
					       c->name);
			}
		}
		{
			struct op_buf nb = {0};

			op_schema_index_name(&nb, t, ix);
			snprintf(name, sizeof(name), "%s", op_buf_str(&nb));
			op_buf_free(&nb);
		}
		if (strlen(name) > OP_NAME_MAX)
			op_schema_perr(p, ip, "the generated index name is "
				       "longer than %d bytes; give the index "
				       "a \"name\"", OP_NAME_MAX);
		for (j = 0; j < *nnames; j++)
			if (strcasecmp(names[j], name) == 0)
				op_schema_perr(p, ip, "index name \"%s\" is "
					       "used twice", name);
		if (*nnames < 1024)
			snprintf(names[(*nnames)++], 128, "%s", name);
	}
}

void op_schema_check_refs(struct op_parse *p)
{
	struct op_schema *s = p->s;
	char (*names)[128] = op_calloc(1024, 128);
	size_t i, j, nnames = 0;

	if (!names) {
		p->oom = 1;
		return;
	}
	for (i = 0; i < s->ntables; i++) {
		struct op_table *t = &s->tables[i];
		char tp[OP_PATH_MAX], cp[OP_PATH_MAX], kp[OP_PATH_MAX];

		op_schema_path_key(kp, "$", t->is_node ? "nodes" : "tables");
		op_schema_path_key(tp, kp, t->name);
		for (j = 0; j < t->ncols; j++) {
			struct op_column *c = &t->cols[j];

			if (!c->ref_table)
				continue;
			op_schema_path_key(kp, tp, "columns");
			op_schema_path_key(cp, kp, c->name);
			op_schema_path_key(kp, cp, "references");
			check_reference(p, t, c, kp);
		}
		check_indexes(p, t, tp, names, &nnames);
		if (t->scope_column && !op_schema_column(t, t->scope_column)) {
			char shown[80];

			op_schema_path_key(kp, tp, "sync");
			op_schema_path_key(cp, kp, "scope");
			op_show(shown, sizeof(shown), t->scope_column);
			op_schema_perr(p, cp, "scope column \"%s\" is not a "
				       "column of %s", shown, t->name);
		}
	}
	for (i = 0; i < s->nrels; i++) {
		const struct op_reltype *r = &s->rels[i];
		const char *ends[2] = {r->from, r->to};
		const char *keys[2] = {"from", "to"};

		for (j = 0; j < 2; j++) {
			const struct op_table *t;
			char rp[OP_PATH_MAX], kp[OP_PATH_MAX];

			if (!ends[j])
				continue;
			op_schema_path_key(kp, "$.relationships", r->name);
			op_schema_path_key(rp, kp, keys[j]);
			t = op_schema_table(s, ends[j]);
			if (!t)
				op_schema_perr(p, rp, "unknown node label "
					       "\"%s\"", ends[j]);
			else if (!t->is_node)
				op_schema_perr(p, rp, "\"%s\" is a table, not "
					       "a node label (declare it "
					       "under \"nodes\")", ends[j]);
		}
	}
	op_free(names);
}
