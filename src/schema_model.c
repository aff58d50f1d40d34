/* schema_model.c - lookups in a parsed schema, and freeing it. */
#include <string.h>
#include <strings.h>

#include "schema.h"

struct op_table *op_schema_table(const struct op_schema *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->ntables; i++)
		if (s->tables[i].name && strcasecmp(s->tables[i].name, name) == 0)
			return &s->tables[i];
	return NULL;
}

struct op_column *op_schema_column(const struct op_table *t,
				   const char *name)
{
	size_t i;

	for (i = 0; i < t->ncols; i++)
		if (t->cols[i].name && strcasecmp(t->cols[i].name, name) == 0)
			return &t->cols[i];
	return NULL;
}

struct op_reltype *op_schema_reltype(const struct op_schema *s,
				     const char *name)
{
	size_t i;

	for (i = 0; i < s->nrels; i++)
		if (s->rels[i].name && strcasecmp(s->rels[i].name, name) == 0)
			return &s->rels[i];
	return NULL;
}

static void free_columns(struct op_column *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		op_free(c[i].name);
		op_free(c[i].default_sql);
		op_free(c[i].ref_table);
		op_free(c[i].ref_column);
	}
	op_free(c);
}

static void free_table(struct op_table *t)
{
	size_t i, j;

	op_free(t->name);
	free_columns(t->cols, t->ncols);
	for (i = 0; i < t->nidx; i++) {
		op_free(t->idx[i].name);
		for (j = 0; j < t->idx[i].ncols; j++)
			op_free(t->idx[i].cols[j]);
		op_free(t->idx[i].cols);
		op_free(t->idx[i].desc);
	}
	op_free(t->idx);
	op_free(t->scope_name);
	op_free(t->scope_column);
}

void op_schema_free(struct op_schema *s)
{
	size_t i, j;

	if (!s)
		return;
	for (i = 0; i < s->ntables; i++)
		free_table(&s->tables[i]);
	op_free(s->tables);
	for (i = 0; i < s->nrels; i++) {
		op_free(s->rels[i].name);
		op_free(s->rels[i].from);
		op_free(s->rels[i].to);
		free_columns(s->rels[i].props, s->rels[i].nprops);
	}
	op_free(s->rels);
	for (i = 0; i < s->nmigs; i++) {
		for (j = 0; j < s->migs[i].nsteps; j++) {
			struct op_step *st = &s->migs[i].steps[j];

			op_free(st->table);
			op_free(st->column);
			op_free(st->from);
			op_free(st->to);
			op_free(st->path);
		}
		op_free(s->migs[i].steps);
	}
	op_free(s->migs);
	op_free(s->file);
	op_free(s->name);
	op_free(s->json);
	op_free(s);
}
