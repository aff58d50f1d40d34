/* api_sql.c - outpost_sql(): run a script of SQL statements as one
 * transaction. Reads before the first write run without the write lock;
 * the first writing statement takes it (BEGIN IMMEDIATE, waiting up to the
 * busy timeout), so two writers take turns instead of failing with
 * "database is locked". Capture is the triggers' job, so nothing here
 * knows about the log. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api_graph_int.h"

#define MAX_COLS 2000

static const char *skip_space_and_comments(const char *p)
{
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (p[0] == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*/");

			p = e ? e + 2 : p + strlen(p);
		} else {
			return p;
		}
	}
}

static int is_txn_control(const char *sql)
{
	static const char *const words[] = {"BEGIN", "COMMIT", "END",
					    "ROLLBACK", "SAVEPOINT",
					    "RELEASE", NULL};
	const char *p = skip_space_and_comments(sql);
	size_t i;

	for (i = 0; words[i]; i++) {
		size_t n = strlen(words[i]);

		if (strncasecmp(p, words[i], n) == 0 &&
		    !isalnum((unsigned char)p[n]) && p[n] != '_')
			return 1;
	}
	return 0;
}

static int run_rows(outpost *db, struct op_stmt *st, outpost_row_fn row,
		    void *ctx, int *stop)
{
	int ncols = op_rel_ncols(st), i, rc;
	const char **names = NULL;
	outpost_value *vals = NULL;

	if (ncols > MAX_COLS)
		return op_err_set(&db->err, OUTPOST_ESQL, "more than %d "
				  "result columns", MAX_COLS);
	if (row && ncols > 0) {
		names = op_calloc((size_t)ncols, sizeof(*names));
		vals = op_calloc((size_t)ncols, sizeof(*vals));
		if (!names || !vals) {
			op_free(names);
			op_free(vals);
			return op_err_set(&db->err, OUTPOST_ENOMEM,
					  "out of memory");
		}
		for (i = 0; i < ncols; i++)
			names[i] = op_rel_col_name(st, i);
	}
	while ((rc = op_rel_step(st, &db->err)) == OP_ROW) {
		if (!row || *stop)
			continue;
		for (i = 0; i < ncols; i++)
			op_rel_col(st, i, &vals[i]);
		if (row(ctx, ncols, names, vals) != 0)
			*stop = 1;
	}
	op_free(names);
	op_free(vals);
	return rc;
}

/* As central, the script runs with _outpost_clock.applying = 1 inside its
 * own write transaction, the same switch the sync engine uses; it is reset
 * before the commit, and a crash rolls it back with everything else. */
static int run_script(outpost *db, const char *sql,
		      const outpost_value *params, int nparams,
		      outpost_row_fn row, void *ctx, int central)
{
	const char *next = sql;
	int rc = OUTPOST_OK, stop = 0, i;

	if (!db || !sql || nparams < 0 || (nparams > 0 && !params))
		return OUTPOST_EMISUSE;
	if (op_rel_in_txn(db->rel))
		return op_err_set(&db->err, OUTPOST_EMISUSE, "outpost_sql "
				  "called inside another transaction");
	if (central) {
		rc = op_rel_begin_write(db->rel, &db->err);
		if (rc == OUTPOST_OK)
			rc = op_rel_exec(db->rel, "UPDATE _outpost_clock SET "
					 "applying = 1", &db->err);
	}
	while (rc == OUTPOST_OK && !stop && *next) {
		struct op_stmt *st = NULL;
		const char *here = next;

		rc = op_rel_prepare(&st, db->rel, here, &next, &db->err);
		if (rc != OUTPOST_OK || !st)
			break;
		if (is_txn_control(here)) {
			rc = op_err_set(&db->err, OUTPOST_EMISUSE, "explicit "
					"BEGIN/COMMIT/ROLLBACK/SAVEPOINT is "
					"not allowed: the whole script is "
					"already one transaction");
		} else if (!op_rel_readonly(st) && !op_rel_in_txn(db->rel)) {
			rc = op_rel_begin_write(db->rel, &db->err);
		}
		for (i = 1; rc == OUTPOST_OK && i <= op_rel_nparams(st); i++)
			if (i <= nparams)
				rc = op_rel_bind(st, i, &params[i - 1]);
			else
				rc = op_err_set(&db->err, OUTPOST_EMISUSE,
						"the SQL uses parameter ?%d "
						"but only %d value%s given",
						i, nparams,
						nparams == 1 ? " was" : "s were");
		if (rc == OUTPOST_OK)
			rc = run_rows(db, st, row, ctx, &stop);
		op_rel_finalize(st);
	}
	if (rc == OUTPOST_OK && central)
		rc = op_rel_exec(db->rel, "UPDATE _outpost_clock SET applying "
				 "= 0", &db->err);
	if (rc == OUTPOST_OK && op_rel_in_txn(db->rel))
		rc = op_rel_commit(db->rel, &db->err);
	else if (rc != OUTPOST_OK)
		op_rel_rollback(db->rel);
	/* Node rows written: the graph follows the log right away. */
	if (rc == OUTPOST_OK && (rc = op_api_graph_catch_up(db)) != OUTPOST_OK) {
		char why[3900];

		snprintf(why, sizeof(why), "%.3800s", db->err.msg);
		op_err_set(&db->err, rc, "the SQL is committed, but the graph "
			   "could not follow it yet (it will on the next "
			   "open): %s", why);
	}
	return rc;
}

int outpost_sql(outpost *db, const char *sql, const outpost_value *params,
		int nparams, outpost_row_fn row, void *ctx)
{
	return run_script(db, sql, params, nparams, row, ctx, 0);
}

int outpost_sql_central(outpost *db, const char *sql,
			const outpost_value *params, int nparams,
			outpost_row_fn row, void *ctx)
{
	return run_script(db, sql, params, nparams, row, ctx, 1);
}
