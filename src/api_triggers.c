/* api_triggers.c - the AFTER triggers set aside while a bulk writer of
 * outpost's own (an import, a pulled batch) writes rows.
 *
 * Those triggers log writes for sync (capture: WHEN applying = 0) and for
 * the graph (WHEN applying = 1, or < 2 for local_only). Bulk writers run
 * with applying = 2 and log what they write themselves, so every one of
 * them is inert, yet SQLite still evaluates each WHEN for each row: a
 * fifth of an import's node load, a quarter of a pull. So the writer
 * drops them inside its own write transaction and creates them again
 * from their stored text before it commits; a failed or killed writer
 * rolls back with them in place. The BEFORE triggers stay: their value
 * guards (text[] elements, password hashes) hold for everyone. */
#include <string.h>

#include "api_triggers.h"

/* Only triggers whose WHEN is false while applying = 2 (schema_trigger.c). */
static const char *const inert[] = {"ai", "au", "ad", "gi", "gd"};

static int drop_one(outpost *db, struct op_api_triggers *m, const char *name)
{
	struct op_stmt *st = NULL;
	struct op_buf b = {0};
	int rc = op_rel_prepare(&st, db->rel,
				"SELECT sql FROM sqlite_master WHERE type = "
				"'trigger' AND name = ?1",
				NULL, &db->err);

	if (rc == OUTPOST_OK)
		rc = op_rel_bind_text(st, 1, name);
	if (rc == OUTPOST_OK)
		rc = op_rel_step(st, &db->err);
	if (rc == OP_ROW && op_rel_col_text(st, 0)) {
		char *sql = op_strdup(op_rel_col_text(st, 0));
		char **a = op_realloc(m->sql, (m->n + 1) *
							   sizeof(*a));

		if (a)
			m->sql = a;
		if (!sql || !a) {
			op_free(sql);
			rc = op_err_set(&db->err, OUTPOST_ENOMEM,
					"out of memory");
		} else {
			m->sql[m->n++] = sql;
			rc = OUTPOST_OK;
		}
	} else if (rc == OP_ROW || rc == OUTPOST_OK) {
		op_rel_finalize(st);
		return OUTPOST_OK; /* this table has no such trigger */
	}
	op_rel_finalize(st);
	if (rc != OUTPOST_OK)
		return rc;
	op_buf_adds(&b, "DROP TRIGGER ");
	op_rel_quote_ident(&b, name);
	rc = b.oom ? op_err_set(&db->err, OUTPOST_ENOMEM, "out of memory")
		   : op_rel_exec(db->rel, op_buf_str(&b), &db->err);
	op_buf_free(&b);
	return rc;
}

int op_api_triggers_off(outpost *db, const struct op_schema *s,
			int nodes_only, struct op_api_triggers *m)
{
	size_t i, k;
	int rc = OUTPOST_OK;

	for (i = 0; rc == OUTPOST_OK && i < s->ntables; i++) {
		if (nodes_only && !s->tables[i].is_node)
			continue;
		for (k = 0; rc == OUTPOST_OK && k < sizeof(inert) /
							    sizeof(*inert);
		     k++) {
			struct op_buf n = {0};

			op_buf_addf(&n, "_outpost_%s_%s", inert[k],
				    s->tables[i].name);
			rc = n.oom ? op_err_set(&db->err, OUTPOST_ENOMEM,
						"out of memory")
				   : drop_one(db, m, op_buf_str(&n));
			op_buf_free(&n);
		}
	}
	return rc;
}

int op_api_triggers_on(outpost *db, struct op_api_triggers *m)
{
	int rc = OUTPOST_OK;

	/* In the order they were dropped, which was table then kind: the
	 * kinds never fire for the same write (their WHENs exclude each
	 * other), so their order among themselves does not matter. */
	for (; rc == OUTPOST_OK && m->on < m->n;
	     m->on++)
		rc = op_rel_exec(db->rel, m->sql[m->on],
				 &db->err);
	return rc;
}

void op_api_triggers_free(struct op_api_triggers *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		op_free(m->sql[i]);
	op_free(m->sql);
	m->sql = NULL;
	m->n = 0;
	m->on = 0;
}
