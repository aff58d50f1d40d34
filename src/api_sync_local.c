/* api_sync_local.c - the store's own changes for a push, imports expanded
 * (api_sync_local.h). Entries are read in seq order; an import entry
 * stops the read (its expansion takes its own snapshot, which must not
 * run under an open statement) and is expanded from the sub the batch
 * starts at; the read then goes on after it while the batch has room. */
#include <stdio.h>
#include <string.h>

#include "api_sync_local.h"

#define IMPORT_TABLE "_outpost_import"

/* This store's own entries (site NULL) after ?1, local_only tables (?2,
 * a JSON array) left out, at most ?3. */
#define OWN_SQL                                                              \
	"SELECT seq, hlc, tbl, op, row_id, vals FROM _outpost_changes WHERE " \
	"seq > ?1 AND site IS NULL AND tbl NOT IN (SELECT value FROM "       \
	"json_each(?2)) ORDER BY seq LIMIT ?3"

void op_api_sync_local_clear(struct op_sync_local *l)
{
	size_t i;

	for (i = 0; i < l->nstrings; i++)
		op_free(l->strings[i]);
	for (i = 0; i < l->nparts; i++)
		op_api_sync_import_part_free(&l->parts[i]);
	op_free(l->strings);
	op_free(l->parts);
	op_free(l->changes);
	l->strings = NULL;
	l->parts = NULL;
	l->changes = NULL;
	l->nstrings = 0;
	l->capstrings = 0;
	l->nparts = 0;
}

/* A copy of s in the batch's strings; *oom set when out of memory. */
static const char *keep(struct op_sync_local *l, const char *s, int *oom)
{
	char *copy;

	if (!s)
		return NULL;
	if (l->nstrings == l->capstrings) {
		size_t cap = l->capstrings ? 2 * l->capstrings : 64;
		char **g = op_realloc(l->strings, cap * sizeof(*g));

		if (!g) {
			*oom = 1;
			return NULL;
		}
		l->strings = g;
		l->capstrings = cap;
	}
	if (!(copy = op_strdup(s)))
		*oom = 1;
	else
		l->strings[l->nstrings++] = copy;
	return copy;
}

/* Where a batch stands while it is made. */
struct fill {
	struct op_sync_local *l;
	size_t max, n, bytes;
	int64_t seq;	 /* the next change to look at: entry seq ... */
	uint32_t sub;	 /* ... from this sub */
	int64_t through; /* the last entry held whole */
};

static int full(const struct fill *f)
{
	return f->n >= f->max || (f->n > 0 && f->bytes >= f->l->batch_bytes);
}

/* Read entries from f->seq on into the batch, up to the first import
 * (copied into *imp, its strings kept), the end of the log, or a bound.
 * *more: rows may follow (the LIMIT was reached). */
static int read_entries(struct fill *f, struct op_change *imp, int *found,
			int *more)
{
	struct op_sync_local *l = f->l;
	struct op_stmt *st = NULL;
	size_t limit = f->max - f->n + 1, got = 0;
	int oom = 0, rc;

	*found = 0;
	*more = 0;
	if (!l->changes)
		return op_err_set(&l->db->err, OUTPOST_ENOMEM, "out of memory");
	rc = op_rel_prepare(&st, l->db->rel, OWN_SQL, NULL, &l->db->err);
	if (rc == OUTPOST_OK)
		rc = op_rel_bind_int(st, 1, f->seq - 1);
	if (rc == OUTPOST_OK)
		rc = op_rel_bind_text(st, 2, l->local_only);
	if (rc == OUTPOST_OK)
		rc = op_rel_bind_int(st, 3, (int64_t)limit);
	while (rc == OUTPOST_OK && !full(f) &&
	       (rc = op_rel_step(st, &l->db->err)) == OP_ROW) {
		struct op_change *c = &l->changes[f->n];
		const char *op = op_rel_col_text(st, 3);
		const char *tbl = op_rel_col_text(st, 2);

		rc = OUTPOST_OK;
		got++;
		memset(c, 0, sizeof(*c));
		c->seq = op_rel_col_int(st, 0);
		if (c->seq == f->seq && f->sub > 0 && tbl &&
		    strcmp(tbl, IMPORT_TABLE) != 0) {
			f->through = c->seq; /* sent already */
			continue;
		}
		if (tbl && strcmp(tbl, IMPORT_TABLE) == 0)
			c = imp;
		c->seq = op_rel_col_int(st, 0);
		c->hlc = (uint64_t)op_rel_col_int(st, 1);
		memcpy(c->site, l->db->site, 16);
		c->table = keep(l, tbl, &oom);
		c->op = op ? op[0] : '?';
		c->row_id = keep(l, op_rel_col_text(st, 4), &oom);
		c->values = keep(l, op_rel_col_text(st, 5), &oom);
		if (oom) {
			rc = op_err_set(&l->db->err, OUTPOST_ENOMEM,
					"out of memory");
		} else if (!c->table || !c->row_id) {
			rc = op_err_set(&l->db->err, OUTPOST_ECORRUPT,
					"log entry %lld has no table or row id",
					(long long)c->seq);
		} else if (c == imp) {
			*found = 1;
			break;
		} else {
			f->n++;
			f->bytes += 64 + (c->values ? strlen(c->values) : 0);
			f->through = c->seq;
		}
	}
	if (rc == OUTPOST_OK && !*found && got == limit)
		*more = 1;
	op_rel_finalize(st);
	if (rc == OUTPOST_OK && !*found && !*more && !full(f))
		f->seq = f->through + 1, f->sub = 0;
	return rc;
}

/* Expand import e from the sub the batch stands at into the batch. */
static int expand(struct fill *f, const struct op_change *e)
{
	struct op_sync_local *l = f->l;
	struct op_import_part *parts, *p;
	size_t room = l->batch_bytes > f->bytes ? l->batch_bytes - f->bytes : 1;
	uint32_t from = e->seq == f->seq ? f->sub : 0;
	size_t i;
	int rc;

	parts = op_realloc(l->parts, (l->nparts + 1) * sizeof(*parts));
	if (!parts)
		return op_err_set(&l->db->err, OUTPOST_ENOMEM, "out of memory");
	l->parts = parts;
	p = &l->parts[l->nparts++];
	memset(p, 0, sizeof(*p));
	rc = op_api_sync_import_part(l->db, e, from, f->max - f->n, room, p);
	if (rc != OUTPOST_OK)
		return rc;
	for (i = 0; i < p->n; i++) {
		l->changes[f->n++] = p->changes[i];
		f->bytes += 64 + (p->changes[i].values
					  ? strlen(p->changes[i].values)
					  : 0);
	}
	if (p->done) {
		f->through = e->seq;
		f->seq = e->seq + 1;
		f->sub = 0;
	} else {
		f->seq = e->seq;
		f->sub = p->next;
	}
	return OUTPOST_OK;
}

int op_api_sync_local_from(struct op_sync_local *l, int64_t seq,
			   uint32_t sub, size_t max,
			   const struct op_change **out, size_t *n,
			   int64_t *through, char *errmsg, size_t errlen)
{
	struct fill f = {l, max ? max : 1, 0, 0, seq, sub, seq - 1};
	int rc = OUTPOST_OK;

	op_api_sync_local_clear(l);
	*out = NULL;
	*n = 0;
	if (!l->batch_bytes)
		l->batch_bytes = OP_SYNC_BATCH_BYTES;
	if (!(l->changes = op_calloc(f.max, sizeof(*l->changes))))
		rc = op_err_set(&l->db->err, OUTPOST_ENOMEM, "out of memory");
	while (rc == OUTPOST_OK && !full(&f)) {
		struct op_change imp;
		int found = 0, more = 0;
		int64_t at = f.seq;
		uint32_t at_sub = f.sub;

		rc = read_entries(&f, &imp, &found, &more);
		if (rc == OUTPOST_OK && found)
			rc = expand(&f, &imp);
		else if (rc == OUTPOST_OK && more)
			f.seq = f.through + 1, f.sub = 0;
		else if (rc == OUTPOST_OK)
			break; /* the end of the log */
		if (rc == OUTPOST_OK && f.seq == at && f.sub == at_sub)
			break; /* no progress: nothing more to give now */
	}
	if (rc != OUTPOST_OK) {
		snprintf(errmsg, errlen, "push: %s", l->db->err.msg);
		return rc;
	}
	*out = l->changes;
	*n = f.n;
	*through = f.through;
	return OUTPOST_OK;
}
