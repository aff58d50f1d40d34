/* sync_log.c - a change that took effect, written into the store's own
 * log (sync/PROTOCOL.md "Applying on the device": with the columns that
 * won, the change's own hlc and site).
 *
 * A pull logs every change it applies, so this is done cheaply: the
 * values are written as JSON text straight into one buffer kept for the
 * batch, byte for byte what cJSON_PrintUnformatted printed for the same
 * object ({"col":"wire",...}, the same escapes), and the entries go
 * into the log SYNC_LOG_BATCH at a time, in one statement, in order (so
 * with the seqs they would have had one by one). Whatever reads or
 * changes the log while a batch merges flushes them first: the insert
 * clock of sync_lww.c, the graph's callback of sync_edge.c, the
 * reference settling of sync_fk.c. */
#include <stdint.h>
#include <string.h>

#include "sync_int.h"

size_t op_sync_json_values(char **buf, size_t *len, size_t *cap,
			   const struct sync_val *const *v, size_t n)
{
	size_t need = 3, i; /* {, } and the NUL */
	char *o;

	for (i = 0; i < n; i++) {
		need = op_size_add(need, op_json_string_max(v[i]->col->name));
		need = op_size_add(need, 2); /* : and , */
		need = op_size_add(need, v[i]->wire ? op_json_string_max(v[i]->wire)
						    : 4);
	}
	need = op_size_add(need, *len);
	if (need == SIZE_MAX)
		return SIZE_MAX;
	if (need > *cap) {
		size_t grow = *cap > SIZE_MAX / 2 ? need : *cap * 2;

		grow = grow > need ? grow : need;
		if (!(o = op_realloc(*buf, grow)))
			return SIZE_MAX;
		*buf = o;
		*cap = grow;
	}
	o = *buf + *len;
	*o++ = '{';
	for (i = 0; i < n; i++) {
		if (i)
			*o++ = ',';
		o = op_json_put_string(o, v[i]->col->name);
		*o++ = ':';
		if (v[i]->wire) {
			o = op_json_put_string(o, v[i]->wire);
		} else {
			o[0] = 'n';
			o[1] = 'u';
			o[2] = 'l';
			o[3] = 'l';
			o += 4;
		}
	}
	*o++ = '}';
	*o++ = '\0';
	i = *len;
	*len = (size_t)(o - *buf);
	return i;
}

/* A new pending entry of e, as op with clock (hlc, site), its values at
 * vals (an offset in x->text, or SIZE_MAX); written once there are
 * SYNC_LOG_BATCH. */
static int pend(struct sync_ctx *x, const struct sync_entry *e, char op,
		size_t vals, uint64_t hlc, const uint8_t site[16])
{
	struct op_log_entry *p = &x->pend[x->npend];

	p->tbl = e->c->table; /* the batch's, as e->id: they outlive it */
	p->op = op;
	p->row_id = e->id;
	p->vals = NULL;
	p->hlc = hlc;
	memcpy(x->pend_site[x->npend], site, 16);
	p->site = x->pend_site[x->npend];
	x->pend_vals[x->npend++] = vals;
	return x->npend == SYNC_LOG_BATCH ? op_sync_log_flush(x) : OUTPOST_OK;
}

int op_sync_log_flush(struct sync_ctx *x)
{
	size_t i;
	int rc = OUTPOST_OK;

	/* The text may have moved since: point into it now. */
	for (i = 0; i < x->npend; i++)
		x->pend[i].vals = x->pend_vals[i] == SIZE_MAX
					  ? NULL
					  : x->text + x->pend_vals[i];
	if (x->npend == SYNC_LOG_BATCH)
		rc = op_log_append_many(x->a->rel, &x->log_many, x->pend,
					x->npend, x->err);
	for (i = 0; x->npend < SYNC_LOG_BATCH && rc == OUTPOST_OK &&
		    i < x->npend;
	     i++)
		rc = op_log_append_many(x->a->rel, &x->log_st, &x->pend[i], 1,
					x->err);
	x->npend = 0;
	x->text_len = 0;
	return rc;
}

int op_sync_log_text(struct sync_ctx *x, const struct sync_entry *e,
		     char op, const char *vals)
{
	size_t at = SIZE_MAX, n;

	if (vals) {
		n = strlen(vals) + 1;
		if (op_size_add(x->text_len, n) > x->text_cap) {
			size_t grow = op_size_add(x->text_len, n);
			char *t;

			grow = grow > 2 * x->text_cap ? grow : 2 * x->text_cap;
			if (!(t = op_realloc(x->text, grow)))
				return op_err_set(x->err, OUTPOST_ENOMEM,
						  "out of memory");
			x->text = t;
			x->text_cap = grow;
		}
		memcpy(x->text + x->text_len, vals, n);
		at = x->text_len;
		x->text_len += n;
	}
	return pend(x, e, op, at, e->c->hlc, e->c->site);
}

int op_sync_log(struct sync_ctx *x, const struct sync_entry *e, char op,
		const struct sync_val *const *v, size_t n,
		const struct sync_clock *c)
{
	size_t at = SIZE_MAX;

	if (v && (at = op_sync_json_values(&x->text, &x->text_len,
					   &x->text_cap, v, n)) == SIZE_MAX)
		return op_err_set(x->err, OUTPOST_ENOMEM, "out of memory");
	return pend(x, e, op, at, c->hlc, c->site);
}
