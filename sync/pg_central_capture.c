/* pg_central_capture.c - what each central table gets besides its DDL:
 * the capture trigger that logs direct writes (a backend, psql) into
 * outpost.changes exactly in the device log's wire form, the row-level
 * security policy of a scoped table, its outpost.catalog row, and the
 * devices' grants. All of it is rewritten by every init and migrate
 * (op_pg_central_refresh), so it always matches the schema in force. */
#include <cjson/cJSON.h>
#include <string.h>

#include "pg_central_int.h"

/* jsonb_build_object takes at most 100 arguments: 50 pairs a call. */
#define PAIRS_MAX 50

static void col_ref(struct op_buf *b, const char *rowvar,
		    const struct op_column *c)
{
	op_buf_addf(b, "%s.", rowvar);
	op_pg_central_ident(b, c->name);
}

/* The wire form of a value (PROTOCOL.md "Wire form"), the same text the
 * device's triggers log (schema_trigger.c encode_value). */
static void encode_value(struct op_buf *b, const char *rowvar,
			 const struct op_column *c)
{
	struct op_buf v = {0};
	const char *s;

	col_ref(&v, rowvar, c);
	s = op_buf_str(&v);
	switch (c->type) {
	case OP_T_INTEGER:
	case OP_T_UUID:
	case OP_T_JSON:
		op_buf_addf(b, "%s::text", s);
		break;
	case OP_T_BOOLEAN:
		op_buf_addf(b, "CASE WHEN %s THEN '1' WHEN NOT %s THEN '0' END",
			    s, s);
		break;
	case OP_T_REAL:
		op_buf_addf(b, "outpost.enc_real(%s)", s);
		break;
	case OP_T_TIMESTAMP:
		op_buf_addf(b, "outpost.enc_ts(%s)", s);
		break;
	case OP_T_DATE:
		op_buf_addf(b, "to_char(%s, 'YYYY-MM-DD')", s);
		break;
	case OP_T_BLOB: /* SQLite's hex() is upper case */
		op_buf_addf(b, "upper(encode(%s, 'hex'))", s);
		break;
	case OP_T_TEXT_ARRAY:
		op_buf_addf(b, "to_jsonb(%s)::text", s);
		break;
	default:
		op_buf_adds(b, s);
	}
	op_buf_free(&v);
}

/* jsonb of every non-key column of NEW, 50 pairs a call. */
static void all_values(struct op_buf *b, const struct op_table *t)
{
	size_t i, n = 0;

	op_buf_adds(b, "jsonb_build_object(");
	for (i = 0; i < t->ncols; i++) {
		if (t->cols[i].primary_key)
			continue;
		if (n == PAIRS_MAX) {
			op_buf_adds(b, ") || jsonb_build_object(");
			n = 0;
		}
		op_buf_adds(b, n++ ? ", " : "");
		op_pg_central_literal(b, t->cols[i].name);
		op_buf_adds(b, ", ");
		encode_value(b, "NEW", &t->cols[i]);
	}
	op_buf_adds(b, ")");
}

/* PERFORM outpost.log_change('t', 'op', ROW.pk, v, scope...); */
static void log_call(struct op_buf *b, const struct op_table *t, char op,
		     const char *rowvar)
{
	op_buf_adds(b, "PERFORM outpost.log_change(");
	op_pg_central_literal(b, t->name);
	op_buf_addf(b, ", '%c', ", op);
	col_ref(b, rowvar, &t->cols[t->pk]);
	op_buf_adds(b, op == 'D' ? ", NULL, " : ", v, ");
	if (t->scope_name) {
		const struct op_column *sc = op_schema_column(t,
							      t->scope_column);

		op_pg_central_literal(b, t->scope_name);
		op_buf_adds(b, ", ");
		col_ref(b, rowvar, sc);
		op_buf_adds(b, "::text, ");
	} else {
		op_buf_adds(b, "NULL, NULL, ");
	}
	op_buf_addf(b, "%s);\n", t->policy == OP_SYNC_LWW ? "true" : "false");
}

static void refuse(struct op_buf *b, const char *msg)
{
	op_buf_adds(b, "    RAISE EXCEPTION '%', ");
	op_pg_central_literal(b, msg);
	op_buf_adds(b, " USING ERRCODE = '23514';\n");
}

static void update_body(struct op_buf *b, const struct op_table *t)
{
	struct op_buf msg = {0};
	size_t i;

	op_buf_adds(b, "  ELSIF TG_OP = 'UPDATE' THEN\n    IF ");
	col_ref(b, "NEW", &t->cols[t->pk]);
	op_buf_adds(b, " <> ");
	col_ref(b, "OLD", &t->cols[t->pk]);
	op_buf_adds(b, " THEN\n");
	op_buf_addf(&msg, "outpost: %s.%s is the primary key of a synced table "
		    "and cannot change; insert a new row instead", t->name,
		    t->cols[t->pk].name);
	refuse(b, op_buf_str(&msg));
	op_buf_adds(b, "    END IF;\n    v := '{}';\n");
	for (i = 0; i < t->ncols; i++) {
		const struct op_column *c = &t->cols[i];

		if (c->primary_key)
			continue;
		op_buf_adds(b, "    IF ");
		col_ref(b, "NEW", c);
		op_buf_adds(b, " IS DISTINCT FROM ");
		col_ref(b, "OLD", c);
		op_buf_adds(b, " THEN v := v || jsonb_build_object(");
		op_pg_central_literal(b, c->name);
		op_buf_adds(b, ", ");
		encode_value(b, "NEW", c);
		op_buf_adds(b, "); END IF;\n");
	}
	op_buf_adds(b, "    IF v <> '{}' THEN ");
	log_call(b, t, 'U', "NEW");
	op_buf_adds(b, "    END IF;\n");
	op_buf_free(&msg);
}

void op_pg_central_sql_capture(struct op_buf *b, const struct op_table *t)
{
	struct op_buf fn = {0}, msg = {0}, tn = {0};

	op_buf_adds(&fn, "outpost_capture.");
	op_pg_central_ident(&fn, t->name);
	op_buf_addf(b, "CREATE OR REPLACE FUNCTION %s() RETURNS trigger "
		    "LANGUAGE plpgsql SECURITY DEFINER SET search_path = "
		    "pg_catalog, pg_temp AS $outpost$\nDECLARE v jsonb;\n"
		    "BEGIN\n  IF TG_OP = 'INSERT' THEN\n    v := ",
		    op_buf_str(&fn));
	all_values(b, t);
	op_buf_adds(b, ";\n    ");
	log_call(b, t, 'I', "NEW");
	if (t->policy == OP_SYNC_APPEND_ONLY) {
		/* As on the device: the log of such a table has inserts
		 * only, so central refuses the rest too. */
		op_buf_adds(b, "  ELSE\n");
		op_buf_addf(&msg, "outpost: %s is append_only: update and "
			    "delete refused (it is insert-only)", t->name);
		refuse(b, op_buf_str(&msg));
	} else {
		update_body(b, t);
		op_buf_adds(b, "  ELSE\n    ");
		log_call(b, t, 'D', "OLD");
	}
	op_buf_adds(b, "  END IF;\n  RETURN NULL;\nEND\n$outpost$;\n");
	op_buf_adds(&tn, "public.");
	op_pg_central_ident(&tn, t->name);
	op_buf_addf(b, OP_PG_CAPTURE_TRIGGERS("%s", "%s"), op_buf_str(&tn),
		    op_buf_str(&tn), op_buf_str(&tn), op_buf_str(&fn),
		    op_buf_str(&tn));
	/* A scoped row that a merge removes without an entry of its own (a
	 * foreign key's cascade, an orphan) keeps its scope in its clock
	 * row: a later update or delete of it is still logged in its scope,
	 * for its scope's devices. */
	op_buf_adds(b, "DROP TRIGGER IF EXISTS outpost_keep_scope ON public.");
	op_pg_central_ident(b, t->name);
	op_buf_adds(b, ";\n");
	if (t->scope_column && strcmp(t->scope_column,
				      t->cols[t->pk].name) != 0) {
		op_buf_adds(b, "CREATE TRIGGER outpost_keep_scope AFTER DELETE "
			       "ON public.");
		op_pg_central_ident(b, t->name);
		op_buf_adds(b, " FOR EACH ROW WHEN (current_setting("
			       "'outpost.applying', true) = 'on') EXECUTE "
			       "FUNCTION outpost.keep_scope(");
		op_pg_central_literal(b, t->cols[t->pk].name);
		op_buf_adds(b, ", ");
		op_pg_central_literal(b, t->scope_column);
		op_buf_adds(b, ");\n");
	}
	op_buf_adds(b, "DROP TRIGGER IF EXISTS outpost_node_delete ON public.");
	op_pg_central_ident(b, t->name);
	op_buf_adds(b, ";\n");
	if (t->is_node) {
		op_buf_adds(b, "CREATE TRIGGER outpost_node_delete AFTER DELETE "
			       "ON public.");
		op_pg_central_ident(b, t->name);
		op_buf_adds(b, " FOR EACH ROW EXECUTE FUNCTION "
			       "outpost.node_deleted(");
		op_pg_central_literal(b, t->cols[t->pk].name);
		op_buf_adds(b, ");\n");
	}
	op_buf_free(&fn);
	op_buf_free(&msg);
	op_buf_free(&tn);
}

/* "col" = ANY ((SELECT outpost.my_scope('name'))::type[]): the scalar
 * subquery runs once per statement (not once per row), and comparing in
 * the column's own type keeps its indexes usable. */
static void scope_check(struct op_buf *b, const struct op_table *t)
{
	const struct op_column *sc = op_schema_column(t, t->scope_column);

	op_buf_adds(b, "(NOT (SELECT outpost.is_device()) OR ");
	op_pg_central_ident(b, sc->name);
	op_buf_adds(b, " = ANY ((SELECT outpost.my_scope(");
	op_pg_central_literal(b, t->scope_name);
	op_buf_addf(b, "))::%s[]))", op_pg_central_type(sc->type));
}

void op_pg_central_sql_policy(struct op_buf *b, const struct op_table *t)
{
	struct op_buf tn = {0};

	op_buf_adds(&tn, "public.");
	op_pg_central_ident(&tn, t->name);
	op_buf_addf(b, "DROP POLICY IF EXISTS outpost_scope ON %s;\n",
		    op_buf_str(&tn));
	if (!t->scope_name) {
		/* Readable by every device: no row-level security. */
		op_buf_addf(b, "ALTER TABLE %s DISABLE ROW LEVEL SECURITY;\n",
			    op_buf_str(&tn));
	} else {
		op_buf_addf(b, "ALTER TABLE %s ENABLE ROW LEVEL SECURITY;\n"
			    "CREATE POLICY outpost_scope ON %s USING ",
			    op_buf_str(&tn), op_buf_str(&tn));
		scope_check(b, t);
		op_buf_adds(b, " WITH CHECK ");
		scope_check(b, t);
		op_buf_adds(b, ";\n");
	}
	op_buf_free(&tn);
}

/* {column: portable type} of columns (or a type's properties). */
static char *cols_json(const struct op_column *cols, size_t n)
{
	cJSON *o = cJSON_CreateObject();
	char *text = NULL;
	size_t i;

	for (i = 0; o && i < n; i++)
		if (!cJSON_AddStringToObject(o, cols[i].name,
					     op_schema_type_name(cols[i].type)))
			break;
	if (o && i == n)
		text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

#define CATALOG_SQL                                                          \
	"INSERT INTO outpost.catalog (name, kind, policy, pk, scope_name, "  \
	"scope_col, cols, from_label, to_label, acyclic, validity) VALUES "  \
	"($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10::boolean, "         \
	"$11::boolean)"

static int catalog_table(struct op_pg_central *c, const struct op_table *t,
			 struct op_err *err)
{
	char *cols = cols_json(t->cols, t->ncols);
	const char *p[11] = {t->name, t->is_node ? "node" : "table",
			     op_schema_policy_name(t->policy),
			     t->cols[t->pk].name, t->scope_name,
			     t->scope_column, cols, NULL, NULL, "false",
			     "false"};
	int rc = cols ? op_pg_central_query(NULL, c, CATALOG_SQL, 11, p,
					    "writing outpost.catalog", err)
		      : op_err_set(err, OUTPOST_ENOMEM, "out of memory");

	cJSON_free(cols);
	return rc;
}

static int catalog_type(struct op_pg_central *c, const struct op_reltype *r,
			struct op_err *err)
{
	char *cols = cols_json(r->props, r->nprops);
	const char *p[11] = {r->name, "type", op_schema_policy_name(r->policy),
			     NULL, NULL, NULL, cols, r->from, r->to,
			     r->acyclic ? "true" : "false",
			     r->validity ? "true" : "false"};
	int rc = cols ? op_pg_central_query(NULL, c, CATALOG_SQL, 11, p,
					    "writing outpost.catalog", err)
		      : op_err_set(err, OUTPOST_ENOMEM, "out of memory");

	cJSON_free(cols);
	return rc;
}

static int refresh_table(struct op_pg_central *c, const struct op_table *t,
			 struct op_err *err)
{
	struct op_buf b = {0};
	char doing[160];
	int rc;

	op_pg_central_sql_capture(&b, t);
	op_pg_central_sql_policy(&b, t);
	snprintf(doing, sizeof(doing), "installing the capture trigger and "
		 "policy of %s", t->name);
	rc = op_pg_central_exec_buf(c, &b, doing, err);
	if (rc == OUTPOST_OK)
		rc = catalog_table(c, t, err);
	op_buf_free(&b);
	return rc;
}

int op_pg_central_refresh(struct op_pg_central *c, const struct op_schema *s,
			  struct op_err *err)
{
	size_t i;
	int rc = op_pg_central_exec(c, op_pg_applying_sql, "installing "
				    "outpost.applying", err);

	if (rc == OUTPOST_OK)
		rc = op_pg_central_exec(c, op_pg_central_sql_functions,
					"installing outpost's functions", err);

	/* push, hello and outpost.applying() (sync/pg_push.sql), which the
	 * capture triggers below call. */
	if (rc == OUTPOST_OK)
		rc = op_pg_central_exec(c, op_pg_push_sql, "installing "
					"outpost.push", err);

	if (rc == OUTPOST_OK)
		rc = op_pg_central_exec(c, "DELETE FROM outpost.catalog",
					"clearing outpost.catalog", err);
	for (i = 0; rc == OUTPOST_OK && i < s->ntables; i++)
		if (op_pg_central_synced(s->tables[i].policy))
			rc = refresh_table(c, &s->tables[i], err);
	for (i = 0; rc == OUTPOST_OK && i < s->nrels; i++)
		if (op_pg_central_synced(s->rels[i].policy))
			rc = catalog_type(c, &s->rels[i], err);
	if (rc == OUTPOST_OK)
		rc = op_pg_central_exec(c, "SELECT outpost.grant_device(role) "
					"FROM outpost.devices", "granting the "
					"devices their privileges", err);
	return rc;
}
