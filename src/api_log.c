/* api_log.c - the change log, the store's clock and its status, as the
 * public API shows them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

int outpost_log_each(outpost *db, const outpost_log_filter *f,
		     outpost_change_fn fn, void *ctx)
{
	if (!db || !fn || (f && f->version != OUTPOST_LOG_FILTER_VERSION))
		return OUTPOST_EMISUSE;
	return op_log_each(db->rel, db->site, f, fn, ctx, &db->err);
}

int outpost_hlc_now(unsigned long long *out, outpost *db)
{
	uint64_t h = 0;
	int rc;

	if (!out || !db)
		return OUTPOST_EMISUSE;
	rc = op_log_hlc_next(db->rel, &h, &db->err);
	*out = h;
	return rc;
}

static int read_schema_info(outpost *db, outpost_status *out)
{
	char *name = NULL, *ver = NULL;
	struct op_schema *s = NULL;
	int rc = op_log_meta_get(db->rel, "schema_name", &name, &db->err);

	if (rc == OUTPOST_OK)
		rc = op_log_meta_get(db->rel, "schema_version", &ver,
				     &db->err);
	if (rc == OUTPOST_OK && name) {
		snprintf(out->schema_name, sizeof(out->schema_name), "%s",
			 name);
		out->schema_version = ver ? strtoll(ver, NULL, 10) : 0;
		rc = op_api_schema_current(db, &s);
		if (rc == OUTPOST_OK && s)
			out->tables = (int)s->ntables;
	}
	op_schema_free(s);
	op_free(name);
	op_free(ver);
	return rc;
}

int outpost_status_get(outpost_status *out, outpost *db)
{
	int64_t n = 0, seq = 0, hlc = 0, graph = 0;
	int rc;

	if (!out || !db || out->version != OUTPOST_STATUS_VERSION)
		return OUTPOST_EMISUSE;
	memset(out, 0, sizeof(*out));
	out->version = OUTPOST_STATUS_VERSION;
	op_hex_encode(out->site_id, db->site, sizeof(db->site));
	rc = op_rel_begin_read(db->rel, &db->err);
	if (rc == OUTPOST_OK)
		rc = read_schema_info(db, out);
	if (rc == OUTPOST_OK)
		rc = op_rel_get_int(db->rel, &n, "SELECT count(*) FROM "
				    "_outpost_changes", &db->err);
	if (rc == OUTPOST_OK)
		rc = op_rel_get_int(db->rel, &seq, "SELECT seq FROM "
				    "_outpost_changes ORDER BY seq DESC LIMIT "
				    "1", &db->err);
	if (rc == OUTPOST_OK)
		rc = op_rel_get_int(db->rel, &hlc, "SELECT hlc FROM "
				    "_outpost_changes ORDER BY seq DESC LIMIT "
				    "1", &db->err);
	op_rel_rollback(db->rel);
	if (rc == OUTPOST_OK)
		rc = op_adj_applied_seq(db->adj, &graph, &db->err);
	out->log_entries = n;
	out->last_seq = seq;
	out->last_hlc = (unsigned long long)hlc;
	out->graph_applied_seq = graph;
	return rc;
}

int op_api_log_count(outpost *db, const char *sql, int64_t after,
		     const char *text, int64_t *out)
{
	struct op_stmt *st = NULL;
	int rc = op_rel_prepare(&st, db->rel, sql, NULL, &db->err);

	*out = 0;
	if (rc == OUTPOST_OK)
		rc = op_rel_bind_int(st, 1, after);
	if (rc == OUTPOST_OK)
		rc = op_rel_bind_text(st, 2, text);
	if (rc == OUTPOST_OK && (rc = op_rel_step(st, &db->err)) == OP_ROW)
		*out = op_rel_col_int(st, 0);
	op_rel_finalize(st);
	return rc == OP_ROW ? OUTPOST_OK : rc;
}
