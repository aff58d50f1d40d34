/* schema_trigger.c - the capture and guard triggers. They are the whole of
 * change capture: any SQLite client that writes the file (outpost, the
 * sqlite3 shell, an app) fires them, and the log row lands in the same
 * transaction as the change. They use only SQLite's built-in functions so
 * they work in every client.
 *
 * Per table t (not local_only):
 *   _outpost_bi_t / _bu_t / _bd_t  BEFORE: refusals (policy, password
 *                                   plain text, primary key change, ...)
 *   _outpost_ai_t / _au_t / _ad_t  AFTER: one row in _outpost_changes
 *                                   and, for lww, the column clocks.
 * All capture is skipped while _outpost_clock.applying = 1: the sync
 * engine sets it inside its own write transaction and logs remote changes
 * with their own clocks. */
#include <string.h>

#include "rel.h"
#include "schema_int.h"

/* The next HLC: wall ms << 16, or one past the newest clock issued (the
 * log's tail) or seen (the floor). Same rule as op_hlc_tick(). */
#define HLC_SQL                                                              \
	"max(CAST((julianday('now')-2440587.5)*86400000 AS INTEGER)<<16, "   \
	"coalesce((SELECT hlc FROM _outpost_changes ORDER BY seq DESC "      \
	"LIMIT 1), 0)+1, coalesce((SELECT floor FROM _outpost_clock), 0)+1)"
/* A local change logs site NULL, meaning "this store's site" (the site
 * is in _outpost_clock): one lookup and 17 bytes less per captured row.
 * Changes applied from remotes carry their site. */
#define LOCAL_SITE_SQL "(SELECT site FROM _outpost_clock)"
#define CAPTURING "(SELECT applying FROM _outpost_clock) = 0"
/* json_object takes at most 127 arguments in a default SQLite build. */
#define JSON_PAIRS_MAX 60

static void add_trigger(struct op_object_list *l, const char *prefix,
			const struct op_table *t, struct op_buf *body)
{
	struct op_buf name = {0};

	op_buf_addf(&name, "_outpost_%s_%s", prefix, t->name);
	op_schema_object_add(l, &name, body);
}

/* The log's text form of a value: exact for every type (reals with 17
 * significant digits, blobs as hex), NULL as JSON null. */
static void encode_value(struct op_buf *b, const char *rowvar,
			 const struct op_column *c)
{
	struct op_buf v = {0};

	op_buf_addf(&v, "%s.", rowvar);
	op_rel_quote_ident(&v, c->name);
	switch (c->type) {
	case OP_T_INTEGER:
	case OP_T_BOOLEAN:
		op_buf_addf(b, "CAST(%s AS TEXT)", op_buf_str(&v));
		break;
	case OP_T_REAL:
		op_buf_addf(b, "iif(%s IS NULL, NULL, printf('%%!.16e', %s))",
			    op_buf_str(&v), op_buf_str(&v));
		break;
	case OP_T_BLOB:
		op_buf_addf(b, "iif(%s IS NULL, NULL, hex(%s))",
			    op_buf_str(&v), op_buf_str(&v));
		break;
	default:
		op_buf_adds(b, op_buf_str(&v));
	}
	op_buf_free(&v);
}

static void col_ref(struct op_buf *b, const char *rowvar,
		    const struct op_column *c)
{
	op_buf_addf(b, "%s.", rowvar);
	op_rel_quote_ident(b, c->name);
}

/* NEW.c IS NOT OLD.c */
static void col_changed(struct op_buf *b, const struct op_column *c)
{
	col_ref(b, "NEW", c);
	op_buf_adds(b, " IS NOT ");
	col_ref(b, "OLD", c);
}

/* json_object of every non-key column of row rowvar: the insert entry's
 * vals. Past JSON_PAIRS_MAX columns the rest are added by json_insert
 * (as many per call), which keeps a NULL as JSON null; json_patch would
 * drop it (a merge patch's null removes the key), and an insert entry
 * without a column makes a pulling device take the column's default. */
void op_schema_sql_insert_json(struct op_buf *b, const struct op_table *t,
			       const char *rowvar)
{
	struct op_buf pairs = {0}, w = {0};
	size_t i, in_chunk = 0, chunks = 0;

	for (i = 0; i < t->ncols; i++) {
		const struct op_column *c = &t->cols[i];

		if (c->primary_key)
			continue;
		if (in_chunk == JSON_PAIRS_MAX) {
			op_buf_adds(&pairs, ")");
			in_chunk = 0;
			chunks++;
		}
		if (in_chunk || chunks)
			op_buf_adds(&pairs, ", ");
		/* json_insert's paths: names are identifiers ($.name) */
		if (chunks)
			op_buf_addf(&pairs, "'$.%s'", c->name);
		else
			op_rel_quote_text(&pairs, c->name);
		op_buf_adds(&pairs, ", ");
		encode_value(&pairs, rowvar, c);
		in_chunk++;
	}
	op_buf_adds(&pairs, ")");
	/* json_insert(json_insert(json_object(a), b), c) ... as a prefix */
	for (i = 0; i < chunks; i++)
		op_buf_adds(&w, "json_insert(");
	op_buf_adds(&w, "json_object(");
	op_buf_add(&w, pairs.p, pairs.len);
	op_buf_free(&pairs);
	op_buf_add(b, w.p, w.len);
	op_buf_free(&w);
}

/* SELECT 'a' AS k[, enc(NEW.a) AS v] WHERE NEW.a IS NOT OLD.a UNION ALL */
static void changed_rows(struct op_buf *b, const struct op_table *t,
			 int with_values)
{
	size_t i, n = 0;

	for (i = 0; i < t->ncols; i++) {
		const struct op_column *c = &t->cols[i];

		if (c->primary_key)
			continue;
		op_buf_adds(b, n++ ? " UNION ALL SELECT " : "SELECT ");
		op_rel_quote_text(b, c->name);
		op_buf_adds(b, " AS k");
		if (with_values) {
			op_buf_adds(b, ", ");
			encode_value(b, "NEW", c);
			op_buf_adds(b, " AS v");
		}
		op_buf_adds(b, " WHERE ");
		col_changed(b, c);
	}
}

static void log_insert(struct op_buf *b, const struct op_table *t, char op,
		       const char *rowvar)
{
	/* VALUES, not INSERT ... SELECT: a SELECT that reads the log while
	 * inserting into it makes SQLite stage the row in a temp table. */
	op_buf_adds(b, "INSERT INTO _outpost_changes(hlc, site, tbl, op, "
		       "row_id, vals) VALUES (" HLC_SQL ", NULL, ");
	op_rel_quote_text(b, t->name);
	op_buf_addf(b, ", '%c', ", op);
	col_ref(b, rowvar, &t->cols[t->pk]);
	op_buf_adds(b, ", ");
	if (op == 'I')
		op_schema_sql_insert_json(b, t, rowvar);
	else if (op == 'U') {
		op_buf_adds(b, "(SELECT json_group_object(k, v) FROM (");
		changed_rows(b, t, 1);
		op_buf_adds(b, "))");
	} else
		op_buf_adds(b, "NULL");
	op_buf_adds(b, ");\n");
}

static void clock_table_name(struct op_buf *b, const struct op_table *t)
{
	struct op_buf n = {0};

	op_buf_addf(&n, "_outpost_clk_%s", t->name);
	op_rel_quote_ident(b, op_buf_str(&n));
	op_buf_free(&n);
}

/* The clock rows of the change just logged (last_insert_rowid() is the
 * log row's seq while the trigger runs). */
static void clock_upsert(struct op_buf *b, const struct op_table *t,
			 const char *rowvar, const char *col_from, int dead)
{
	op_buf_adds(b, "INSERT OR REPLACE INTO ");
	clock_table_name(b, t);
	op_buf_adds(b, "(id, col, hlc, site, dead) SELECT ");
	col_ref(b, rowvar, &t->cols[t->pk]);
	op_buf_addf(b, ", %s, c.hlc, coalesce(c.site, " LOCAL_SITE_SQL "), "
		    "%d FROM ", col_from ? "d.k" : "''", dead);
	if (col_from)
		op_buf_addf(b, "(%s) AS d, ", col_from);
	op_buf_adds(b, "_outpost_changes AS c WHERE c.seq = "
		       "last_insert_rowid();\n");
}

static void refuse(struct op_buf *b, const char *msg, const char *when)
{
	op_buf_adds(b, "SELECT RAISE(ABORT, ");
	op_rel_quote_text(b, msg);
	op_buf_addf(b, ") WHERE %s;\n", when);
}

static void trigger_head(struct op_buf *b, const char *prefix,
			 const struct op_table *t, const char *timing,
			 const char *event, const char *when)
{
	struct op_buf n = {0};

	op_buf_addf(&n, "_outpost_%s_%s", prefix, t->name);
	op_buf_adds(b, "CREATE TRIGGER ");
	op_rel_quote_ident(b, op_buf_str(&n));
	op_buf_addf(b, " %s %s ON ", timing, event);
	op_rel_quote_ident(b, t->name);
	if (when)
		op_buf_addf(b, " WHEN %s", when);
	op_buf_adds(b, "\nBEGIN\n");
	op_buf_free(&n);
}

/* Value checks SQLite's CHECK cannot express or say clearly. */
static void value_guards(struct op_buf *b, const struct op_table *t)
{
	size_t i;

	for (i = 0; i < t->ncols; i++) {
		const struct op_column *c = &t->cols[i];
		struct op_buf msg = {0}, when = {0};

		if (c->type == OP_T_PASSWORD) {
			op_buf_addf(&msg, "outpost: %s.%s is a password "
				    "column: write outpost_password('...') "
				    "or an Argon2id hash; plain text is "
				    "refused", t->name, c->name);
			col_ref(&when, "NEW", c);
			op_buf_adds(&when, " IS NOT NULL AND ");
			col_ref(&when, "NEW", c);
			op_buf_adds(&when, " NOT GLOB '$argon2id$v=19$m=*,t=*"
					   ",p=*$*$*'");
		} else if (c->type == OP_T_TEXT_ARRAY) {
			op_buf_addf(&msg, "outpost: %s.%s is text[]: every "
				    "element must be a string", t->name,
				    c->name);
			op_buf_adds(&when, "json_valid(");
			col_ref(&when, "NEW", c);
			op_buf_adds(&when, ") AND EXISTS (SELECT 1 FROM "
					   "json_each(");
			col_ref(&when, "NEW", c);
			op_buf_adds(&when, ") WHERE type <> 'text')");
		}
		if (msg.len)
			refuse(b, op_buf_str(&msg), op_buf_str(&when));
		op_buf_free(&msg);
		op_buf_free(&when);
	}
}

static void guard_triggers(struct op_object_list *l, const struct op_table *t)
{
	const char *pol = op_schema_policy_name(t->policy);
	int synced = t->policy != OP_SYNC_LOCAL_ONLY;
	struct op_buf b = {0}, body = {0}, msg = {0}, when = {0};
	static const char *const ops[3] = {"INSERT", "UPDATE", "DELETE"};
	static const char *const prefix[3] = {"bi", "bu", "bd"};
	int k;

	for (k = 0; k < 3; k++) {
		int refused = t->policy == OP_SYNC_CENTRAL_WINS ||
			      (t->policy == OP_SYNC_APPEND_ONLY && k > 0);

		if (refused) {
			op_buf_addf(&msg, "outpost: %s is %s: local %s "
				    "refused%s", t->name, pol, ops[k],
				    t->policy == OP_SYNC_CENTRAL_WINS
					    ? " (change it centrally, then "
					      "sync)"
					    : " (it is insert-only)");
			refuse(&body, op_buf_str(&msg), CAPTURING);
		}
		if (k == 1 && synced) {
			op_buf_free(&msg);
			op_buf_addf(&msg, "outpost: %s.%s is the primary key "
				    "of a synced table and cannot change; "
				    "insert a new row instead", t->name,
				    t->cols[t->pk].name);
			col_changed(&when, &t->cols[t->pk]);
			refuse(&body, op_buf_str(&msg), op_buf_str(&when));
		}
		if (k < 2)
			value_guards(&body, t);
		if (body.len) {
			trigger_head(&b, prefix[k], t, "BEFORE", ops[k], NULL);
			op_buf_add(&b, body.p, body.len);
			op_buf_adds(&b, "END");
			add_trigger(l, prefix[k], t, &b);
		}
		op_buf_free(&body);
		op_buf_free(&msg);
		op_buf_free(&when);
		op_buf_free(&b);
	}
}

static void capture_triggers(struct op_object_list *l, const struct op_table *t)
{
	int lww = t->policy == OP_SYNC_LWW;
	struct op_buf b = {0}, when = {0}, cols = {0};
	size_t i, n = 0;

	if (t->policy == OP_SYNC_LOCAL_ONLY ||
	    t->policy == OP_SYNC_CENTRAL_WINS)
		return;
	/* An insert writes no clock row: a row's insert clock is older than
	 * any remote change to it, since a remote can only change a row
	 * after receiving its insert (and advancing its HLC past it). A
	 * missing clock row therefore means "older than anything". */
	trigger_head(&b, "ai", t, "AFTER", "INSERT", CAPTURING);
	log_insert(&b, t, 'I', "NEW");
	if (lww) {
		/* Re-inserting a deleted id: the tombstone's clock row must
		 * become this insert's, or an older remote delete would win.
		 * A probe only; nothing is written for a fresh id. */
		op_buf_adds(&b, "UPDATE ");
		clock_table_name(&b, t);
		op_buf_adds(&b, " SET (hlc, site, dead) = (SELECT hlc, coalesce(site, "
			       LOCAL_SITE_SQL "), 0 "
			       "FROM _outpost_changes WHERE seq = "
			       "last_insert_rowid()) WHERE id = ");
		col_ref(&b, "NEW", &t->cols[t->pk]);
		op_buf_adds(&b, " AND col = '';\n");
	}
	op_buf_adds(&b, "END");
	add_trigger(l, "ai", t, &b);
	if (t->policy == OP_SYNC_APPEND_ONLY)
		return;
	for (i = 0; i < t->ncols; i++)
		n += !t->cols[i].primary_key;
	if (n > 0) {
		/* A table with only its key has nothing to update. */
		op_buf_adds(&when, CAPTURING " AND (");
		for (i = 0, n = 0; i < t->ncols; i++)
			if (!t->cols[i].primary_key) {
				op_buf_adds(&when, n++ ? " OR " : "");
				col_changed(&when, &t->cols[i]);
			}
		op_buf_adds(&when, ")");
		trigger_head(&b, "au", t, "AFTER", "UPDATE",
			     op_buf_str(&when));
		log_insert(&b, t, 'U', "NEW");
		if (lww) {
			changed_rows(&cols, t, 0);
			clock_upsert(&b, t, "NEW", op_buf_str(&cols), 0);
		}
		op_buf_adds(&b, "END");
		add_trigger(l, "au", t, &b);
		op_buf_free(&when);
		op_buf_free(&cols);
	}

	trigger_head(&b, "ad", t, "AFTER", "DELETE", CAPTURING);
	log_insert(&b, t, 'D', "OLD");
	/* A delete's clock dominates every column clock of the row. */
	if (lww) {
		op_buf_adds(&b, "DELETE FROM ");
		clock_table_name(&b, t);
		op_buf_adds(&b, " WHERE id = ");
		col_ref(&b, "OLD", &t->cols[t->pk]);
		op_buf_adds(&b, " AND col <> '';\n");
		clock_upsert(&b, t, "OLD", NULL, 1);
	}
	op_buf_adds(&b, "END");
	add_trigger(l, "ad", t, &b);
}

/* A node table's rows are the graph's nodes, so the graph applier must
 * see every insert and delete, also those the capture triggers skip:
 * writes as the central authority (applying = 1: outpost_sql_central),
 * logged with the central site, all zeros, so they are never pushed;
 * and a local_only label's rows, logged as local (its entries are the
 * graph's only; sync skips local_only tables). applying = 2 (the sync
 * engine and bulk import, which write the log and graph themselves) is
 * silent. */
static void graph_triggers(struct op_object_list *l, const struct op_table *t)
{
	static const char *const ev[2] = {"INSERT", "DELETE"};
	static const char *const prefix[2] = {"gi", "gd"};
	int k;

	if (!t->is_node)
		return;
	for (k = 0; k < 2; k++) {
		struct op_buf b = {0};

		trigger_head(&b, prefix[k], t, "AFTER", ev[k],
			     t->policy == OP_SYNC_LOCAL_ONLY
				     ? "(SELECT applying FROM _outpost_clock) "
				       "< 2"
				     : "(SELECT applying FROM _outpost_clock) "
				       "= 1");
		op_buf_adds(&b, "INSERT INTO _outpost_changes(hlc, site, tbl, "
			       "op, row_id, vals) VALUES (" HLC_SQL ", CASE "
			       "(SELECT applying FROM _outpost_clock) WHEN 1 "
			       "THEN zeroblob(16) END, ");
		op_rel_quote_text(&b, t->name);
		op_buf_addf(&b, ", '%c', ", k ? 'D' : 'I');
		col_ref(&b, k ? "OLD" : "NEW", &t->cols[t->pk]);
		op_buf_adds(&b, ", NULL);\nEND");
		add_trigger(l, prefix[k], t, &b);
		op_buf_free(&b);
	}
}

int op_schema_triggers(struct op_object **out, size_t *n,
		       const struct op_table *t)
{
	struct op_object_list l = {0};

	guard_triggers(&l, t);
	capture_triggers(&l, t);
	graph_triggers(&l, t);
	return op_schema_object_list_done(&l, out, n);
}

void op_schema_sql_capture(struct op_buf *b, const struct op_table *t)
{
	struct op_object *tr = NULL;
	size_t i, n = 0;

	if (t->policy == OP_SYNC_LWW) {
		op_buf_adds(b, "CREATE TABLE IF NOT EXISTS ");
		clock_table_name(b, t);
		op_buf_adds(b, " (id TEXT NOT NULL, col TEXT NOT NULL, hlc "
			       "INTEGER NOT NULL, site BLOB NOT NULL, dead "
			       "INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (id, "
			       "col)) WITHOUT ROWID, STRICT;\n");
	}
	if (op_schema_triggers(&tr, &n, t) != OUTPOST_OK) {
		b->oom = 1;
		return;
	}
	for (i = 0; i < n; i++)
		op_buf_addf(b, "%s;\n", tr[i].sql);
	op_schema_objects_free(tr, n);
}

void op_schema_sql_drop_capture(struct op_buf *b, const struct op_table *t)
{
	static const char *const prefixes[] = {"bi", "bu", "bd", "ai",
					       "au", "ad", "gi", "gd"};
	size_t i;

	for (i = 0; i < 8; i++) {
		struct op_buf n = {0};

		op_buf_addf(&n, "_outpost_%s_%s", prefixes[i], t->name);
		op_buf_adds(b, "DROP TRIGGER IF EXISTS ");
		op_rel_quote_ident(b, op_buf_str(&n));
		op_buf_adds(b, ";\n");
		op_buf_free(&n);
	}
}
