/* sync_decode.c - checking a change before anything of its batch is
 * applied: its table, op and row id, and every value decoded from the
 * wire form (sync/PROTOCOL.md "Wire form": each a JSON string or null)
 * into what the column stores. A batch with one bad change is refused
 * whole, so a message names the change (seq, table, row), the field and
 * why. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync_int.h"

int op_sync_fail(struct sync_ctx *x, const struct op_change *c, int rc,
		 const char *fmt, ...)
{
	char tbl[80], row[80], why[2048];
	va_list ap;

	op_show(tbl, sizeof(tbl), c->table ? c->table : "(no table)");
	op_show(row, sizeof(row), c->row_id ? c->row_id : "(no id)");
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return op_err_set(x->err, rc, "change %lld (%s row %s): %s; nothing "
			  "of the batch was applied", (long long)c->seq, tbl,
			  row, why);
}

static int reason(char *buf, size_t n, const char *wire, const char *what)
{
	char shown[64];

	op_show(shown, sizeof(shown), wire);
	snprintf(buf, n, "\"%s\" is not %s", shown, what);
	return -1;
}

/* i in decimal, as "%lld" writes it (out: 21 bytes or more). */
static void decimal(char *out, long long i)
{
	unsigned long long u = i < 0 ? 0 - (unsigned long long)i
				     : (unsigned long long)i;
	char tmp[24];
	size_t n = 0, k = 0;

	do
		tmp[n++] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (i < 0)
		out[k++] = '-';
	while (n)
		out[k++] = tmp[--n];
	out[k] = '\0';
}

static int dec_integer(struct sync_val *v, const char *w, char *buf,
		       size_t n)
{
	char *end = NULL;
	long long i;

	errno = 0;
	i = strtoll(w, &end, 10);
	if (!(*w == '-' || (*w >= '0' && *w <= '9')) || *end || errno)
		return reason(buf, n, w, errno == ERANGE
						 ? "a 64-bit integer"
						 : "an integer");
	v->v.type = OUTPOST_INTEGER;
	v->v.i = i;
	v->own = op_malloc(24);
	if (v->own)
		decimal(v->own, i);
	return 0;
}

static int dec_boolean(struct sync_val *v, const char *w, char *buf,
		       size_t n)
{
	int t = strcmp(w, "1") == 0 || strcmp(w, "true") == 0;

	if (!t && strcmp(w, "0") != 0 && strcmp(w, "false") != 0)
		return reason(buf, n, w, "a boolean (\"0\" or \"1\")");
	v->v.type = OUTPOST_INTEGER;
	v->v.i = t;
	v->own = op_strdup(t ? "1" : "0");
	return 0;
}

static int dec_real(struct sync_val *v, const char *w, char *buf, size_t n)
{
	char *end = NULL;
	double d;

	d = strtod(w, &end);
	if (!*w || isspace((unsigned char)*w) || *end || isnan(d))
		return reason(buf, n, w, "a real number");
	v->v.type = OUTPOST_REAL;
	v->v.r = d;
	return 0;
}

static int dec_blob(struct sync_val *v, const char *w, char *buf, size_t n)
{
	size_t len = strlen(w), i;

	if (len % 2 || !(v->blob = op_malloc(len / 2 + 1)) ||
	    op_hex_decode(v->blob, len / 2, w, len) != 0)
		return reason(buf, n, w, "hex");
	v->v.type = OUTPOST_BLOB;
	v->v.s = (const char *)v->blob;
	v->v.n = len / 2;
	/* As the capture triggers log a blob: hex(), upper case. */
	if ((v->own = op_strdup(w)) != NULL)
		for (i = 0; i < len; i++)
			if (v->own[i] >= 'a' && v->own[i] <= 'f')
				v->own[i] = (char)(v->own[i] - 'a' + 'A');
	return 0;
}

static int json_fits(const char *w, int array_of_text)
{
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithOpts(w, &end, 1), *e;
	int ok = j != NULL;

	if (ok && array_of_text) {
		ok = cJSON_IsArray(j);
		cJSON_ArrayForEach(e, j) if (!cJSON_IsString(e)) ok = 0;
	}
	cJSON_Delete(j);
	return ok;
}

/* Text forms: checked, stored as they came. */
static int dec_text(struct sync_val *v, const struct op_column *col,
		    const char *w, char *buf, size_t n)
{
	uint8_t u[16];
	int64_t ms;
	size_t len = strlen(w);

	switch (col->type) {
	case OP_T_UUID:
		if (op_uuid_parse(u, w) != 0)
			return reason(buf, n, w, "a uuid");
		if ((v->own = op_malloc(OP_UUID_TEXT)) != NULL)
			op_uuid_format(v->own, u);
		break;
	case OP_T_TIMESTAMP:
		if (op_time_parse(&ms, w) != 0 || len < 20 || w[10] != 'T' ||
		    w[len - 1] != 'Z')
			return reason(buf, n, w, "a timestamp "
				      "(YYYY-MM-DDTHH:MM:SS[.fff]Z)");
		break;
	case OP_T_DATE:
		if (len != 10 || op_time_parse(&ms, w) != 0)
			return reason(buf, n, w, "a date (YYYY-MM-DD)");
		break;
	case OP_T_JSON:
		if (!json_fits(w, 0))
			return reason(buf, n, w, "JSON");
		break;
	case OP_T_TEXT_ARRAY:
		if (!json_fits(w, 1))
			return reason(buf, n, w, "a JSON array of strings");
		break;
	case OP_T_PASSWORD:
		if (!op_pw_is_hash(w)) {
			snprintf(buf, n, "not an Argon2id hash (a password "
				 "travels only hashed)");
			return -1;
		}
		break;
	default:
		break;
	}
	v->v.type = OUTPOST_TEXT;
	v->v.s = v->own ? v->own : w;
	v->v.n = strlen(v->v.s);
	return 0;
}

int op_sync_decode_value(struct sync_val *v, const struct op_column *col,
			 const char *wire, char *buf, size_t n)
{
	int rc;

	memset(v, 0, sizeof(*v));
	v->col = col;
	v->v.type = OUTPOST_NULL;
	if (!wire) {
		if (!col->not_null)
			return 0;
		snprintf(buf, n, "null, but the column is not_null");
		return -1;
	}
	switch (col->type) {
	case OP_T_INTEGER:
		rc = dec_integer(v, wire, buf, n);
		break;
	case OP_T_BOOLEAN:
		rc = dec_boolean(v, wire, buf, n);
		break;
	case OP_T_REAL:
		rc = dec_real(v, wire, buf, n);
		break;
	case OP_T_BLOB:
		rc = dec_blob(v, wire, buf, n);
		break;
	default:
		rc = dec_text(v, col, wire, buf, n);
	}
	if (rc == 0 && (col->type == OP_T_INTEGER ||
			col->type == OP_T_BOOLEAN || col->type == OP_T_UUID ||
			col->type == OP_T_BLOB) &&
	    !v->own) {
		snprintf(buf, n, "out of memory");
		return -2;
	}
	v->wire = v->own ? v->own : wire; /* canonical where there is one */
	return rc;
}

void op_sync_val_free(struct sync_val *v)
{
	op_free(v->own);
	op_free(v->blob);
	v->own = NULL;
	v->blob = NULL;
}

void op_sync_entry_free(struct sync_entry *e)
{
	size_t i;

	for (i = 0; i < e->nvals; i++)
		op_sync_val_free(&e->vals[i]);
	op_free(e->vals);
	cJSON_Delete(e->json);
	op_free(e->text);
	e->vals = NULL;
	e->nvals = 0;
	e->json = NULL;
	e->text = NULL;
}

/* The column of t named name, the value at position pos of its change.
 * The capture triggers name columns as the schema does, and a table's
 * changes bring them in the same order, change after change: so first
 * the exact name where the last change had it, then anywhere; then any
 * case, as SQLite compares names. */
static const struct op_column *column_of(struct sync_ctx *x,
					 const struct op_table *t,
					 const char *name, size_t pos)
{
	const struct op_column *col = NULL;
	size_t i;

	if (x->order_t == t && pos < SYNC_ORDER_MAX &&
	    x->order[pos] < t->ncols && t->cols[x->order[pos]].name &&
	    strcmp(t->cols[x->order[pos]].name, name) == 0)
		return &t->cols[x->order[pos]];
	for (i = 0; i < t->ncols && !col; i++)
		if (t->cols[i].name && strcmp(t->cols[i].name, name) == 0)
			col = &t->cols[i];
	if (!col)
		col = op_schema_column(t, name);
	if (col && pos < SYNC_ORDER_MAX) {
		x->order_t = t;
		x->order[pos] = (size_t)(col - t->cols);
	}
	return col;
}

/* One column's value of a row change: wire is its text, NULL for a JSON
 * null; other is set if it was neither a string nor null. */
static int decode_item(struct sync_ctx *x, struct sync_entry *e,
		       const char *key, const char *wire, int other)
{
	const struct op_column *col = column_of(x, e->t, key, e->nvals);
	struct sync_val *v = &e->vals[e->nvals];
	char name[80], why[256];
	size_t i;
	int rc;

	if (!col || col->primary_key || other)
		op_show(name, sizeof(name), key);
	if (!col)
		return op_sync_fail(x, e->c, OUTPOST_EPROTO, "column \"%s\": "
				    "%s has no such column", name, e->t->name);
	if (col->primary_key)
		return op_sync_fail(x, e->c, OUTPOST_EPROTO, "column \"%s\": "
				    "the primary key travels as the row id, "
				    "not as a value", name);
	for (i = 0; i < e->nvals; i++)
		if (e->vals[i].col == col) {
			op_show(name, sizeof(name), key);
			return op_sync_fail(x, e->c, OUTPOST_EPROTO, "column "
					    "\"%s\" is given twice", name);
		}
	if (other)
		return op_sync_fail(x, e->c, OUTPOST_EPROTO, "column \"%s\": "
				    "not a JSON string or null (the wire form "
				    "of every value)", name);
	rc = op_sync_decode_value(v, col, wire, why, sizeof(why));
	e->nvals++; /* freed with the entry, also when it failed */
	if (rc == -2)
		return op_err_set(x->err, OUTPOST_ENOMEM, "out of memory");
	if (rc != 0) {
		op_show(name, sizeof(name), key);
		return op_sync_fail(x, e->c, OUTPOST_EPROTO, "column \"%s\": "
				    "%s", name, why);
	}
	return OUTPOST_OK;
}

/* The values the fast way (sync_flat.c), from a copy of their text
 * that the entry keeps; *done 0 if they are not of its form. */
static int decode_flat(struct sync_ctx *x, struct sync_entry *e, int *done)
{
	long n, i;
	int rc = OUTPOST_OK;

	*done = 0;
	if (!(e->text = op_strdup(e->c->values)))
		return op_err_set(x->err, OUTPOST_ENOMEM, "out of memory");
	n = op_sync_flat_scan(x, e->text);
	if (n == -1) {
		op_free(e->text);
		e->text = NULL;
		return OUTPOST_OK;
	}
	*done = 1;
	if (n == -2 || (n && !(e->vals = op_calloc((size_t)n,
						   sizeof(*e->vals)))))
		return op_err_set(x->err, OUTPOST_ENOMEM, "out of memory");
	for (i = 0; rc == OUTPOST_OK && i < n; i++)
		rc = decode_item(x, e, x->kv[2 * i], x->kv[2 * i + 1], 0);
	return rc;
}

static int decode_values(struct sync_ctx *x, struct sync_entry *e)
{
	const cJSON *item;
	size_t n = 0;
	int done = 0, rc = OUTPOST_OK;

	if (e->c->op == 'D') {
		if (e->c->values && strcmp(e->c->values, "null") != 0)
			return op_sync_fail(x, e->c, OUTPOST_EPROTO, "a "
					    "delete carries no values");
		return OUTPOST_OK;
	}
	if (e->c->values && ((rc = decode_flat(x, e, &done)) != OUTPOST_OK ||
			     done))
		return rc;
	e->json = e->c->values ? cJSON_Parse(e->c->values) : NULL;
	if (!cJSON_IsObject(e->json))
		return op_sync_fail(x, e->c, OUTPOST_EPROTO, "its values are "
				    "not a JSON object");
	cJSON_ArrayForEach(item, e->json) n++;
	if (n && !(e->vals = op_calloc(n, sizeof(*e->vals))))
		return op_err_set(x->err, OUTPOST_ENOMEM, "out of memory");
	cJSON_ArrayForEach(item, e->json)
	{
		int str = cJSON_IsString(item);

		rc = decode_item(x, e, item->string,
				 str ? item->valuestring : NULL,
				 !str && !cJSON_IsNull(item));
		if (rc != OUTPOST_OK)
			break;
	}
	return rc;
}

/* The policy's word on a change that travels. */
static int policy_allows(struct sync_ctx *x, const struct sync_entry *e,
			 enum op_policy p, const char *name)
{
	if (p == OP_SYNC_LOCAL_ONLY)
		return op_sync_fail(x, e->c, OUTPOST_EREFUSED, "%s is "
				    "local_only: its changes never travel",
				    name);
	if (p == OP_SYNC_APPEND_ONLY && e->c->op != 'I')
		return op_sync_fail(x, e->c, OUTPOST_EPROTO, "%s is "
				    "append_only: only inserts travel, not "
				    "%s", name,
				    e->c->op == 'U' ? "an update" : "a delete");
	return OUTPOST_OK;
}

int op_sync_decode(struct sync_ctx *x, struct sync_entry *e,
		   const struct op_change *c)
{
	const struct op_schema *s = x->a->s;
	uint8_t u[16];
	int rc;

	memset(e, 0, sizeof(*e));
	e->c = c;
	if (!c->table || !c->row_id)
		return op_sync_fail(x, c, OUTPOST_EPROTO, "a change names a "
				    "table and a row");
	if (!(e->t = op_schema_table(s, c->table)))
		e->r = op_schema_reltype(s, c->table);
	if (!e->t && !e->r)
		return op_sync_fail(x, c, OUTPOST_EPROTO, "no table, label or "
				    "relationship type of that name in this "
				    "store's schema (version %lld)",
				    (long long)s->version);
	if (c->op != 'I' && c->op != 'U' && c->op != 'D')
		return op_sync_fail(x, c, OUTPOST_EPROTO, "op '%c' is not I, U "
				    "or D", c->op > ' ' && c->op < 127 ? c->op
								     : '?');
	if (op_uuid_parse(u, c->row_id) != 0)
		return op_sync_fail(x, c, OUTPOST_EPROTO, "the row id is not a "
				    "uuid");
	op_uuid_format(e->id, u);
	rc = policy_allows(x, e, e->t ? e->t->policy : e->r->policy,
			   c->table);
	if (rc == OUTPOST_OK)
		rc = e->t ? decode_values(x, e) : op_sync_edge_check(x, e);
	return rc;
}
