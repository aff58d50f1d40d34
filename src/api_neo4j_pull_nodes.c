/* api_neo4j_pull_nodes.c - one label of a pull from Neo4j: its rows made
 * like the snapshot with INSERT, UPDATE and DELETE on the label's table,
 * so the capture triggers log each change as any local write, except
 * where a local change not yet pushed to Neo4j wins (column by column;
 * api_neo4j_pull_rule.c). Values
 * come from Neo4j's JSON by the column's type (sync/PROTOCOL.md "Neo4j",
 * "Pull"); a value that does not fit is refused, naming label, uuid and
 * property. Password and encrypted columns are not mirrored, so not
 * pulled: they keep their local values. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_neo4j_pull_int.h"

/* A pulled value, and what it owns. */
struct nval {
	outpost_value v;
	char *own;
};

static int pulled_col(const struct op_table *t, size_t i)
{
	return i != t->pk && t->cols[i].type != OP_T_PASSWORD &&
	       !t->cols[i].encrypted;
}

static int bad(struct pull *p, const struct op_table *t, const char *uuid,
	       const struct op_column *c, const char *why)
{
	return op_err_set(&p->db->err, OUTPOST_EREFUSED, "neo4j: %s %s: "
			  "property %s: %s (column type %s); nothing was "
			  "pulled", t->name, uuid, c->name, why,
			  op_schema_type_name(c->type));
}

static int int_of(const cJSON *v, long long *out)
{
	const char *s = cJSON_GetStringValue(v);
	char *end = NULL;

	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		if (d != floor(d) || fabs(d) > 9007199254740992.0)
			return -1;
		*out = (long long)d;
		return 0;
	}
	if (!s || !*s)
		return -1;
	*out = strtoll(s, &end, 10);
	return *end ? -1 : 0;
}

/* v (NULL: absent) as column c's value. */
static int to_value(struct pull *p, const struct op_table *t,
		    const char *uuid, const struct op_column *c,
		    const cJSON *v, struct nval *out)
{
	const char *s = cJSON_GetStringValue(v);

	memset(out, 0, sizeof(*out));
	out->v.type = OUTPOST_NULL;
	if (!v || cJSON_IsNull(v))
		return OUTPOST_OK;
	switch (c->type) {
	case OP_T_INTEGER:
		if (int_of(v, &out->v.i) != 0)
			return bad(p, t, uuid, c, "not an integer");
		out->v.type = OUTPOST_INTEGER;
		return OUTPOST_OK;
	case OP_T_REAL:
		if (!cJSON_IsNumber(v))
			return bad(p, t, uuid, c, "not a number");
		out->v.type = OUTPOST_REAL;
		out->v.r = v->valuedouble;
		return OUTPOST_OK;
	case OP_T_BOOLEAN:
		if (!cJSON_IsBool(v))
			return bad(p, t, uuid, c, "not a boolean");
		out->v.type = OUTPOST_INTEGER;
		out->v.i = cJSON_IsTrue(v);
		return OUTPOST_OK;
	case OP_T_TEXT_ARRAY: {
		const cJSON *e;

		if (!cJSON_IsArray(v))
			return bad(p, t, uuid, c, "not a list");
		cJSON_ArrayForEach(e, v)
		{
			if (!cJSON_IsString(e))
				return bad(p, t, uuid, c,
					   "not a list of strings");
		}
		char *text = cJSON_PrintUnformatted(v);

		out->own = text ? op_strdup(text) : NULL;
		cJSON_free(text);
		if (!out->own)
			return op_err_set(&p->db->err, OUTPOST_ENOMEM,
					  "out of memory");
		s = out->own;
		break;
	}
	case OP_T_BLOB: {
		size_t n = s ? strlen(s) : 0;

		if (!s || n % 2 || !(out->own = op_malloc(n / 2 + 1)) ||
		    op_hex_decode((uint8_t *)out->own, n / 2, s, n) != 0)
			return bad(p, t, uuid, c, "not hex text");
		out->v.type = OUTPOST_BLOB;
		out->v.s = out->own;
		out->v.n = n / 2;
		return OUTPOST_OK;
	}
	default:
		if (!s)
			return bad(p, t, uuid, c, "not text");
		if (c->type == OP_T_UUID) {
			uint8_t u[16];

			if (op_uuid_parse(u, s) != 0 ||
			    !(out->own = op_malloc(OP_UUID_TEXT)))
				return bad(p, t, uuid, c, "not a uuid");
			op_uuid_format(out->own, u);
			s = out->own;
		}
		break;
	}
	out->v.type = OUTPOST_TEXT;
	out->v.s = s;
	out->v.n = strlen(s);
	return OUTPOST_OK;
}

static int json_same(const char *a, const char *b)
{
	cJSON *x = cJSON_Parse(a), *y = cJSON_Parse(b);
	int same = x && y ? cJSON_Compare(x, y, 1) : strcmp(a, b) == 0;

	cJSON_Delete(x);
	cJSON_Delete(y);
	return same;
}

/* Whether the stored value a equals the pulled b for column c. */
static int same(const outpost_value *a, const outpost_value *b,
		const struct op_column *c)
{
	int an = a->type == OUTPOST_INTEGER || a->type == OUTPOST_REAL;
	int bn = b->type == OUTPOST_INTEGER || b->type == OUTPOST_REAL;

	if (a->type == OUTPOST_NULL || b->type == OUTPOST_NULL)
		return a->type == b->type;
	if (an && bn) {
		if (a->type == OUTPOST_INTEGER && b->type == OUTPOST_INTEGER)
			return a->i == b->i;
		return (a->type == OUTPOST_REAL ? a->r : (double)a->i) ==
		       (b->type == OUTPOST_REAL ? b->r : (double)b->i);
	}
	if (a->type != b->type)
		return 0;
	if (a->type == OUTPOST_BLOB)
		return a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
	if (c->type == OP_T_JSON || c->type == OP_T_TEXT_ARRAY)
		return json_same(a->s, b->s);
	return strcmp(a->s, b->s) == 0;
}

/* What happens to a local row: its snapshot item, or NULL (delete), and
 * which pulled columns differ. */
struct todo {
	char uuid[OP_UUID_TEXT];
	const struct op_neo4j_pull_item *it;
	unsigned char *diff; /* per column; NULL: insert or delete */
};

/* Run `sql` with uuid as ?1 and the item's values of the columns marked
 * in cols (all pulled ones if cols is NULL) as ?2... */
static int write_row(struct pull *p, const struct op_table *t,
		     const char *sql, const char *uuid,
		     const struct op_neo4j_pull_item *it,
		     const unsigned char *cols)
{
	struct op_stmt *st = NULL;
	size_t i;
	int rc = op_rel_prepare(&st, p->db->rel, sql, NULL, &p->db->err), k = 2;

	if (rc == OUTPOST_OK)
		rc = op_rel_bind_text(st, 1, uuid);
	for (i = 0; rc == OUTPOST_OK && it && i < t->ncols; i++) {
		const cJSON *v;
		struct nval nv;

		if (!pulled_col(t, i) || (cols && !cols[i]))
			continue;
		v = cJSON_GetObjectItemCaseSensitive(it->props,
						     t->cols[i].name);
		if (!cols && (!v || cJSON_IsNull(v)))
			continue; /* an insert leaves defaults alone */
		rc = to_value(p, t, uuid, &t->cols[i], v, &nv);
		if (rc == OUTPOST_OK)
			rc = op_rel_bind(st, k++, &nv.v);
		op_free(nv.own);
	}
	if (rc == OUTPOST_OK && (rc = op_rel_step(st, &p->db->err)) == OP_ROW)
		rc = OUTPOST_OK;
	op_rel_finalize(st);
	return rc;
}

static int insert(struct pull *p, const struct op_table *t,
		  const struct op_neo4j_pull_item *it)
{
	struct op_buf sql = {0}, vals = {0};
	size_t i;
	int k = 1, rc;

	op_buf_adds(&sql, "INSERT INTO ");
	op_rel_quote_ident(&sql, t->name);
	op_buf_adds(&sql, " (");
	op_rel_quote_ident(&sql, t->cols[t->pk].name);
	op_buf_adds(&vals, "?1");
	for (i = 0; i < t->ncols; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(
			it->props, t->cols[i].name);

		if (!pulled_col(t, i) || !v || cJSON_IsNull(v))
			continue;
		op_buf_adds(&sql, ", ");
		op_rel_quote_ident(&sql, t->cols[i].name);
		op_buf_addf(&vals, ", ?%d", ++k);
	}
	op_buf_addf(&sql, ") VALUES (%s)", op_buf_str(&vals));
	rc = sql.oom || vals.oom ? op_err_set(&p->db->err, OUTPOST_ENOMEM,
					      "out of memory")
				 : write_row(p, t, op_buf_str(&sql), it->uuid,
					     it, NULL);
	op_buf_free(&sql);
	op_buf_free(&vals);
	return rc;
}

static int update(struct pull *p, const struct op_table *t,
		  const struct todo *d)
{
	struct op_buf sql = {0};
	size_t i;
	int k = 1, rc;

	op_buf_adds(&sql, "UPDATE ");
	op_rel_quote_ident(&sql, t->name);
	op_buf_adds(&sql, " SET ");
	for (i = 0; i < t->ncols; i++) {
		if (!d->diff[i])
			continue;
		op_buf_adds(&sql, k > 1 ? ", " : "");
		op_rel_quote_ident(&sql, t->cols[i].name);
		op_buf_addf(&sql, " = ?%d", ++k);
	}
	op_buf_adds(&sql, " WHERE ");
	op_rel_quote_ident(&sql, t->cols[t->pk].name);
	op_buf_adds(&sql, " = ?1");
	rc = sql.oom ? op_err_set(&p->db->err, OUTPOST_ENOMEM, "out of memory")
		     : write_row(p, t, op_buf_str(&sql), d->uuid, d->it,
				 d->diff);
	op_buf_free(&sql);
	return rc;
}

static int delete_row(struct pull *p, const struct op_table *t,
		      const char *uuid)
{
	struct op_buf sql = {0};
	int rc;

	op_buf_adds(&sql, "DELETE FROM ");
	op_rel_quote_ident(&sql, t->name);
	op_buf_adds(&sql, " WHERE ");
	op_rel_quote_ident(&sql, t->cols[t->pk].name);
	op_buf_adds(&sql, " = ?1");
	rc = sql.oom ? op_err_set(&p->db->err, OUTPOST_ENOMEM, "out of memory")
		     : write_row(p, t, op_buf_str(&sql), uuid, NULL, NULL);
	op_buf_free(&sql);
	return rc;
}

/* Compare the current row of st (pk, then every column) with item it:
 * *diff (op_free) marks the columns that differ, NULL if none. */
static int compare(struct pull *p, const struct op_table *t,
		   struct op_stmt *st, const struct op_neo4j_pull_item *it,
		   unsigned char **diff)
{
	size_t i;
	int rc = OUTPOST_OK;

	*diff = NULL;
	for (i = 0; rc == OUTPOST_OK && i < t->ncols; i++) {
		outpost_value a;
		struct nval b;

		if (!pulled_col(t, i))
			continue;
		op_rel_col(st, (int)i, &a);
		rc = to_value(p, t, it->uuid, &t->cols[i],
			      cJSON_GetObjectItemCaseSensitive(
				      it->props, t->cols[i].name),
			      &b);
		if (rc == OUTPOST_OK && !same(&a, &b.v, &t->cols[i])) {
			if (!*diff && !(*diff = op_calloc(t->ncols, 1)))
				rc = op_err_set(&p->db->err, OUTPOST_ENOMEM,
						"out of memory");
			else
				(*diff)[i] = 1;
		}
		op_free(b.own);
	}
	return rc;
}

/* Clear from diff the columns whose local change not yet pushed wins
 * over item it (sync/PROTOCOL.md "Pull"): 1 if one did. */
static int keep_local(const struct op_table *t, const struct pend *d,
		      const struct op_neo4j_pull_item *it, unsigned char *diff)
{
	size_t i;
	int kept = 0;

	for (i = 0; d && i < t->ncols; i++)
		if (diff[i] &&
		    op_api_neo4j_pull_local_col(d, it, t->cols[i].name)) {
			diff[i] = 0;
			kept = 1;
		}
	return kept;
}

static int any(const unsigned char *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i])
			return 1;
	return 0;
}

/* The local rows against the snapshot: what to update or delete in
 * *out (n of them), and seen[k] for each snapshot item found. A local
 * change not yet pushed that wins is left alone (counted kept). */
static int survey(struct pull *p, const struct op_table *t,
		  const struct op_neo4j_pull_set *set, unsigned char *seen,
		  struct todo **out, size_t *n)
{
	struct op_buf sql = {0};
	struct op_stmt *st = NULL;
	size_t i, cap = 0;
	int rc;

	op_buf_adds(&sql, "SELECT ");
	for (i = 0; i < t->ncols; i++) {
		op_buf_adds(&sql, i ? ", " : "");
		op_rel_quote_ident(&sql, t->cols[i].name);
	}
	op_buf_adds(&sql, " FROM ");
	op_rel_quote_ident(&sql, t->name);
	rc = sql.oom ? op_err_set(&p->db->err, OUTPOST_ENOMEM, "out of memory")
		     : op_rel_prepare(&st, p->db->rel, op_buf_str(&sql), NULL,
				      &p->db->err);
	while (rc == OUTPOST_OK && (rc = op_rel_step(st, &p->db->err)) == OP_ROW) {
		const char *id = op_rel_col_text(st, (int)t->pk);
		const struct op_neo4j_pull_item *it;
		const struct pend *pd;
		struct todo d;
		uint8_t u[16];

		rc = OUTPOST_OK;
		if (!id || op_uuid_parse(u, id) != 0)
			continue; /* not a node the graph knows */
		memset(&d, 0, sizeof(d));
		op_uuid_format(d.uuid, u);
		it = op_api_neo4j_pull_find(set, d.uuid);
		pd = op_api_neo4j_pull_pend(p, t->name, d.uuid);
		if (it) {
			seen[it - set->v] = 1;
			rc = compare(p, t, st, it, &d.diff);
			if (rc == OUTPOST_OK && d.diff &&
			    keep_local(t, pd, it, d.diff)) {
				p->res->kept++;
				if (!any(d.diff, t->ncols)) {
					op_free(d.diff);
					d.diff = NULL;
				}
			}
			if (rc != OUTPOST_OK || !d.diff)
				continue;
			d.it = it;
		} else if (op_api_neo4j_pull_local_insert(p, pd, d.uuid)) {
			p->res->kept++; /* inserted here, not yet pushed */
			continue;
		}
		if (*n == cap) {
			struct todo *v;

			cap = cap ? cap * 2 : 64;
			if (!(v = op_realloc(*out, cap * sizeof(*v)))) {
				op_free(d.diff);
				rc = op_err_set(&p->db->err, OUTPOST_ENOMEM,
						"out of memory");
				break;
			}
			*out = v;
		}
		(*out)[(*n)++] = d;
	}
	op_rel_finalize(st);
	op_buf_free(&sql);
	return rc;
}

/* Count the snapshot's properties the label does not declare. */
static void undeclared(struct pull *p, const struct op_table *t,
		       const struct op_neo4j_pull_set *set)
{
	size_t k;

	for (k = 0; k < set->n; k++) {
		const cJSON *v;

		cJSON_ArrayForEach(v, set->v[k].props)
		{
			const struct op_column *c =
				op_schema_column(t, v->string);

			if (!c || c->primary_key)
				op_api_neo4j_pull_skip(p, t->name,
						       set->v[k].uuid,
						       v->string);
		}
	}
}

int op_api_neo4j_pull_nodes(struct pull *p, size_t i)
{
	const struct op_table *t = p->labels[i];
	const struct op_neo4j_pull_set *set = &p->nsets[i];
	unsigned char *seen = op_calloc(set->n + 1, 1);
	struct todo *todo = NULL;
	size_t n = 0, k;
	int rc;

	if (!seen)
		return op_err_set(&p->db->err, OUTPOST_ENOMEM, "out of memory");
	rc = survey(p, t, set, seen, &todo, &n);
	for (k = 0; rc == OUTPOST_OK && k < n; k++) {
		if (todo[k].it) {
			rc = update(p, t, &todo[k]);
			p->res->nodes_changed++;
		} else {
			rc = delete_row(p, t, todo[k].uuid);
			p->res->nodes_removed++;
		}
	}
	for (k = 0; rc == OUTPOST_OK && k < set->n; k++) {
		if (seen[k])
			continue;
		/* deleted here, not yet pushed, newer than Neo4j's row */
		if (op_api_neo4j_pull_local_delete(
			    op_api_neo4j_pull_pend(p, t->name, set->v[k].uuid),
			    &set->v[k])) {
			p->res->kept++;
			continue;
		}
		rc = insert(p, t, &set->v[k]);
		p->res->nodes_new++;
	}
	if (rc == OUTPOST_OK) {
		undeclared(p, t, set);
		p->res->nodes += (long long)set->n;
	}
	for (k = 0; k < n; k++)
		op_free(todo[k].diff);
	op_free(todo);
	op_free(seen);
	return rc;
}
