/* api_import_triggers.c - the node tables' AFTER INSERT / UPDATE triggers
 * set aside while an import writes their rows.
 *
 * Those triggers log writes for sync (capture: WHEN applying = 0) and for
 * the graph (WHEN applying = 1, or < 2 for local_only). The import runs
 * with applying = 2, where every one of them is inert, yet SQLite still
 * evaluates each WHEN for each row: a fifth of the node load. So the
 * import drops them inside its own write transaction and creates them
 * again from their stored text before it commits; a failed or killed
 * import rolls back with them in place. The BEFORE triggers stay: their
 * value guards (text[] elements, password hashes) hold for imports too. */
#include <string.h>

#include "api_import_int.h"

/* Only triggers whose WHEN is false while applying = 2 (schema_trigger.c). */
static const char *const inert[] = {"ai", "au", "gi"};

static int drop_one(struct imp *m, const char *name)
{
	struct op_stmt *st = NULL;
	struct op_buf b = {0};
	int rc = op_rel_prepare(&st, m->db->rel,
				"SELECT sql FROM sqlite_master WHERE type = "
				"'trigger' AND name = ?1",
				NULL, &m->db->err);

	if (rc == OUTPOST_OK)
		rc = op_rel_bind_text(st, 1, name);
	if (rc == OUTPOST_OK)
		rc = op_rel_step(st, &m->db->err);
	if (rc == OP_ROW && op_rel_col_text(st, 0)) {
		char *sql = op_strdup(op_rel_col_text(st, 0));
		char **a = op_realloc(m->triggers, (m->ntriggers + 1) *
							   sizeof(*a));

		if (a)
			m->triggers = a;
		if (!sql || !a) {
			op_free(sql);
			rc = op_err_set(&m->db->err, OUTPOST_ENOMEM,
					"out of memory");
		} else {
			m->triggers[m->ntriggers++] = sql;
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
	rc = b.oom ? op_err_set(&m->db->err, OUTPOST_ENOMEM, "out of memory")
		   : op_rel_exec(m->db->rel, op_buf_str(&b), &m->db->err);
	op_buf_free(&b);
	return rc;
}

int op_api_import_triggers_off(struct imp *m)
{
	size_t i, k;
	int rc = OUTPOST_OK;

	for (i = 0; rc == OUTPOST_OK && i < m->s->ntables; i++) {
		if (!m->s->tables[i].is_node)
			continue;
		for (k = 0; rc == OUTPOST_OK && k < sizeof(inert) /
							    sizeof(*inert);
		     k++) {
			struct op_buf n = {0};

			op_buf_addf(&n, "_outpost_%s_%s", inert[k],
				    m->s->tables[i].name);
			rc = n.oom ? op_err_set(&m->db->err, OUTPOST_ENOMEM,
						"out of memory")
				   : drop_one(m, op_buf_str(&n));
			op_buf_free(&n);
		}
	}
	return rc;
}

int op_api_import_triggers_on(struct imp *m)
{
	int rc = OUTPOST_OK;

	/* In the order they were dropped, which was table then kind: the
	 * kinds never fire for the same write (their WHENs exclude each
	 * other), so their order among themselves does not matter. */
	for (; rc == OUTPOST_OK && m->ntriggers_on < m->ntriggers;
	     m->ntriggers_on++)
		rc = op_rel_exec(m->db->rel, m->triggers[m->ntriggers_on],
				 &m->db->err);
	return rc;
}

void op_api_import_triggers_free(struct imp *m)
{
	size_t i;

	for (i = 0; i < m->ntriggers; i++)
		op_free(m->triggers[i]);
	op_free(m->triggers);
	m->triggers = NULL;
	m->ntriggers = 0;
	m->ntriggers_on = 0;
}
