/* neo4j_cypher.c - the Cypher the Neo4j sink sends, written from the
 * schema: one statement per label or type and operation, each an UNWIND
 * over a parameter list of rows (neo4j_rows.c), so every value is a
 * parameter and only names from the schema, backtick-quoted, are part
 * of the text. Each runs on Neo4j 3.1 and is valid Cypher 5 (the tests
 * run all of them on 3.1 and lint them as Cypher 5).
 *
 * The LWW guard (sync/PROTOCOL.md "Neo4j"): a clock is text that sorts
 * as (hlc, site); a node or relationship keeps its row clock in
 * `_outpost_clk` and a property its own in `_outpost_clk_<name>`; a
 * deleted one leaves an (:_outpost_tomb {uuid, clk}) node. A property
 * is written only when its effective clock (the later of its own and
 * the row's) is older than the change's. */
#include <stdio.h>
#include <string.h>

#include "neo4j_sink_int.h"

int op_neo4j_op_index(char op)
{
	return op == 'I' ? 0 : op == 'U' ? 1 : op == 'D' ? 2 : -1;
}

int op_neo4j_name_check(char *why, size_t n, const char *name,
			const char *what)
{
	const char *p;

	if (!name || !name[0] || strlen(name) > 200) {
		snprintf(why, n, "%s name is empty or too long", what);
		return -1;
	}
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_')) {
			snprintf(why, n, "%s \"%.64s\": only letters, digits "
				 "and '_' go into Cypher", what, name);
			return -1;
		}
	return 0;
}

int op_neo4j_column_kept(const struct op_table *t, size_t i)
{
	/* The key is the node's uuid property; a password hash stays on
	 * the devices and central, a graph mirror has no use for it. */
	return i != t->pk && t->cols[i].type != OP_T_PASSWORD;
}

int op_neo4j_table_kept(const struct op_table *t)
{
	return t->is_node && t->policy != OP_SYNC_LOCAL_ONLY;
}

int op_neo4j_type_kept(const struct op_schema *s, const struct op_reltype *r)
{
	const struct op_table *a = op_schema_table(s, r->from);
	const struct op_table *b = op_schema_table(s, r->to);

	return r->policy != OP_SYNC_LOCAL_ONLY && a && b &&
	       op_neo4j_table_kept(a) && op_neo4j_table_kept(b);
}

/* r.v.`name`, as the property's type is stored: integers travel as
 * decimal text (64 bits exact) and become integers here; a real that
 * JSON writes without a fraction ("2") would be read as an integer, and
 * infinities travel as text ("Infinity"). */
static void value_expr(struct op_buf *b, const char *name, enum op_type t)
{
	if (t == OP_T_INTEGER)
		op_buf_addf(b, "toInteger(r.v.`%s`)", name);
	else if (t == OP_T_REAL)
		op_buf_addf(b, "toFloat(r.v.`%s`)", name);
	else
		op_buf_addf(b, "r.v.`%s`", name);
}

/* One property's guarded write on variable x: for an insert (the row
 * clock becomes the change's, so a property that takes the value drops
 * its own clock) or an update (only properties the change names, r.k;
 * the property's clock becomes the change's). */
static void guarded(struct op_buf *b, char x, const char *name,
		    enum op_type t, char op)
{
	op_buf_addf(b, "\nFOREACH (w IN CASE WHEN %s%s%scoalesce(%c.`" NEO4J_CLK
		       "_%s`, '') < r.c THEN [1] ELSE [] END | SET %c.`%s` = ",
		    op == 'U' ? "'" : "", op == 'U' ? name : "",
		    op == 'U' ? "' IN r.k AND " : "", x, name, x, name);
	value_expr(b, name, t);
	op_buf_addf(b, ", %c.`" NEO4J_CLK "_%s` = %s)", x, name,
		    op == 'U' ? "r.c" : "null");
}

/* An insert may not pass a newer tombstone; one it passes goes. */
static const char tomb_gate[] =
	"UNWIND $rows AS r\n"
	"OPTIONAL MATCH (t:`" NEO4J_TOMB_LABEL "` {uuid: r.uuid})\n"
	"WITH r, t WHERE t IS NULL OR t.clk < r.c\n"
	"DELETE t\n";

/* A delete wins over an older row clock and an older tombstone, and
 * leaves (or moves on) the tombstone; the element itself goes (a node
 * with its relationships, as on the devices). */
static void delete_stmt(struct op_buf *b, const char *match, const char *x,
			const char *what, const char *name, const char *del)
{
	op_buf_addf(b, "UNWIND $rows AS r\nOPTIONAL MATCH %s\n"
		       "OPTIONAL MATCH (t:`" NEO4J_TOMB_LABEL "` {uuid: r.uuid})\n"
		       "WITH r, %s, t WHERE coalesce(%s.`" NEO4J_CLK "`, '') < "
		       "r.c AND coalesce(t.clk, '') < r.c\n"
		       "MERGE (d:`" NEO4J_TOMB_LABEL "` {uuid: r.uuid})\n"
		       "SET d.clk = r.c, d.%s = '%s'\n%s %s",
		    match, x, x, what, name, del, x);
}

/* An insert ends by taking the row clock. An update of something with
 * no properties has nothing to write (a statement may not end with
 * MATCH). */
static void finish(struct op_buf *b, char x, char op, size_t fields)
{
	if (op == 'I')
		op_buf_addf(b, "\nSET %c.`" NEO4J_CLK "` = r.c", x);
	else if (!fields)
		op_buf_addf(b, "\nRETURN count(%c) AS n", x);
}

void op_neo4j_cypher_node(struct op_buf *b, const struct op_table *t,
			  char op)
{
	char match[300];
	size_t i, fields = 0;

	if (op == 'D') {
		snprintf(match, sizeof(match), "(n:`%s` {uuid: r.uuid})",
			 t->name);
		delete_stmt(b, match, "n", "label", t->name, "DETACH DELETE");
		return;
	}
	if (op == 'I')
		op_buf_addf(b, "%sMERGE (n:`%s` {uuid: r.uuid})\n"
			       "WITH r, n WHERE coalesce(n.`" NEO4J_CLK "`, '') "
			       "< r.c", tomb_gate, t->name);
	else
		op_buf_addf(b, "UNWIND $rows AS r\nMATCH (n:`%s` {uuid: "
			       "r.uuid})\nWHERE coalesce(n.`" NEO4J_CLK "`, '') "
			       "< r.c", t->name);
	for (i = 0; i < t->ncols; i++)
		if (op_neo4j_column_kept(t, i)) {
			guarded(b, 'n', t->cols[i].name, t->cols[i].type, op);
			fields++;
		}
	finish(b, 'n', op, fields);
}

void op_neo4j_cypher_edge(struct op_buf *b, const struct op_reltype *r,
			  char op)
{
	char match[300];
	size_t i;

	if (op == 'D') {
		snprintf(match, sizeof(match), "()-[e:`%s` {uuid: r.uuid}]->()",
			 r->name);
		delete_stmt(b, match, "e", "type", r->name, "DELETE");
		return;
	}
	if (op == 'I')
		op_buf_addf(b, "%sWITH r\nMATCH (a:`%s` {uuid: r.from})\n"
			       "MATCH (z:`%s` {uuid: r.to})\n"
			       "MERGE (a)-[e:`%s` {uuid: r.uuid}]->(z)\n"
			       "WITH r, e WHERE coalesce(e.`" NEO4J_CLK "`, '') "
			       "< r.c", tomb_gate, r->from, r->to, r->name);
	else
		op_buf_addf(b, "UNWIND $rows AS r\nMATCH ()-[e:`%s` {uuid: "
			       "r.uuid}]->()\nWHERE coalesce(e.`" NEO4J_CLK
			       "`, '') < r.c", r->name);
	if (r->validity) {
		guarded(b, 'e', "valid_from", OP_T_TIMESTAMP, op);
		guarded(b, 'e', "valid_to", OP_T_TIMESTAMP, op);
	}
	for (i = 0; i < r->nprops; i++)
		guarded(b, 'e', r->props[i].name, r->props[i].type, op);
	finish(b, 'e', op, r->nprops + (r->validity ? 2u : 0u));
}

void op_neo4j_cypher_unique(struct op_buf *b, int major, int minor,
			    const char *label, const char *prop)
{
	/* 4.4 brought FOR ... REQUIRE and 5 removed ON ... ASSERT; IF NOT
	 * EXISTS makes it idempotent (3.x is idempotent by itself, 4.0 to
	 * 4.3 answer EquivalentSchemaRuleAlreadyExists, which the caller
	 * takes as done). */
	if (major >= 5 || (major == 4 && minor >= 4))
		op_buf_addf(b, "CREATE CONSTRAINT `outpost_%s_%s` IF NOT "
			       "EXISTS FOR (n:`%s`) REQUIRE n.`%s` IS UNIQUE",
			    label, prop, label, prop);
	else
		op_buf_addf(b, "CREATE CONSTRAINT ON (n:`%s`) ASSERT n.`%s` "
			       "IS UNIQUE", label, prop);
}

void op_neo4j_cypher_rel_index(struct op_buf *b, int major, int minor,
			       const char *type)
{
	/* Relationship property indexes came with 4.3. Before, an update
	 * or delete of a relationship scans its type. */
	if (major >= 5 || (major == 4 && minor >= 3))
		op_buf_addf(b, "CREATE INDEX `outpost_%s_uuid` IF NOT EXISTS "
			       "FOR ()-[e:`%s`]-() ON (e.uuid)", type, type);
}

const char op_neo4j_cypher_meta_get[] =
	"OPTIONAL MATCH (m:`" NEO4J_META_LABEL "` {key: 'schema'})\n"
	"RETURN m.name AS name, m.version AS version";
const char op_neo4j_cypher_meta_set[] =
	"MERGE (m:`" NEO4J_META_LABEL "` {key: 'schema'})\n"
	"SET m.name = $name, m.version = toInteger($version)";
const char op_neo4j_cypher_constraints_3[] =
	"CALL db.constraints() YIELD description RETURN description";
const char op_neo4j_cypher_constraints_5[] =
	"SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties";

void op_neo4j_clock(char out[NEO4J_CLOCK_LEN + 1], uint64_t hlc,
		    const uint8_t site[16])
{
	snprintf(out, 21, "%020llu", (unsigned long long)hlc);
	op_hex_encode(out + 20, site, 16);
}

int op_neo4j_unique_each(const struct op_schema *s,
			 int (*fn)(void *ctx, const char *label,
				   const char *prop),
			 void *ctx)
{
	size_t i, j;
	int rc = fn(ctx, NEO4J_META_LABEL, "key");

	if (rc == OUTPOST_OK)
		rc = fn(ctx, NEO4J_TOMB_LABEL, "uuid");
	for (i = 0; rc == OUTPOST_OK && i < s->ntables; i++) {
		const struct op_table *t = &s->tables[i];

		if (!op_neo4j_table_kept(t))
			continue;
		rc = fn(ctx, t->name, "uuid");
		for (j = 0; rc == OUTPOST_OK && j < t->ncols; j++)
			if (t->cols[j].unique && op_neo4j_column_kept(t, j))
				rc = fn(ctx, t->name, t->cols[j].name);
	}
	return rc;
}

void op_neo4j_cypher_pull_find(struct op_buf *b, int is_type,
			       const char *name)
{
	op_buf_addf(b, is_type ? "MATCH ()-[n:`%s`]->() " : "MATCH (n:`%s`) ",
		    name);
	op_buf_adds(b, "WHERE n.uuid IS NULL RETURN id(n) ORDER BY id(n) "
		       "LIMIT $limit");
}

void op_neo4j_cypher_pull_set(struct op_buf *b, int is_type,
			      const char *name)
{
	op_buf_addf(b, is_type ? "UNWIND $rows AS r MATCH ()-[n:`%s`]->() "
			       : "UNWIND $rows AS r MATCH (n:`%s`) ",
		    name);
	op_buf_adds(b, "WHERE id(n) = toInteger(r.id) AND n.uuid IS NULL "
		       "SET n.uuid = r.uuid");
}

void op_neo4j_cypher_pull_page(struct op_buf *b, const char *name,
			       const char *from, const char *to)
{
	if (from && to)
		op_buf_addf(b, "MATCH (a:`%s`)-[n:`%s`]->(b:`%s`) WHERE "
			       "n.uuid > $after RETURN n.uuid, a.uuid, b.uuid, "
			       "properties(n) ",
			    from, name, to);
	else
		op_buf_addf(b, "MATCH (n:`%s`) WHERE n.uuid > $after RETURN "
			       "n.uuid, properties(n) ",
			    name);
	op_buf_adds(b, "ORDER BY n.uuid LIMIT $limit");
}

const char op_neo4j_cypher_pull_tombs[] =
	"MATCH (t:`" NEO4J_TOMB_LABEL "`) WHERE t.clk >= $min AND t.uuid > "
	"$after RETURN t.uuid, t.clk ORDER BY t.uuid LIMIT $limit";

/* op_neo4j_cypher_all's list while it grows. */
struct all {
	char **v;
	size_t n, cap;
	int major, minor;
};

static int all_take(struct all *a, struct op_buf *b)
{
	char *s = op_buf_take(b);
	char **v;

	op_buf_free(b);
	if (!s)
		return OUTPOST_ENOMEM;
	if (!s[0]) {
		op_free(s);
		return OUTPOST_OK;
	}
	if (a->n == a->cap) {
		v = op_calloc(a->cap ? 2 * a->cap : 16, sizeof(*v));
		if (!v) {
			op_free(s);
			return OUTPOST_ENOMEM;
		}
		if (a->n)
			memcpy(v, a->v, a->n * sizeof(*v));
		op_free(a->v);
		a->v = v;
		a->cap = a->cap ? 2 * a->cap : 16;
	}
	a->v[a->n++] = s;
	return OUTPOST_OK;
}

static int all_unique(void *ctx, const char *label, const char *prop)
{
	struct all *a = ctx;
	struct op_buf b = {0};

	op_neo4j_cypher_unique(&b, a->major, a->minor, label, prop);
	return all_take(a, &b);
}

/* The pull's statements for a label (r NULL) or a type. */
static int all_pull(struct all *a, const char *name,
		    const struct op_reltype *r)
{
	struct op_buf f = {0}, s = {0}, g = {0};
	int rc;

	op_neo4j_cypher_pull_find(&f, r != NULL, name);
	op_neo4j_cypher_pull_set(&s, r != NULL, name);
	op_neo4j_cypher_pull_page(&g, name, r ? r->from : NULL,
				  r ? r->to : NULL);
	rc = all_take(a, &f);
	if (rc == OUTPOST_OK)
		rc = all_take(a, &s);
	else
		op_buf_free(&s);
	if (rc == OUTPOST_OK)
		rc = all_take(a, &g);
	else
		op_buf_free(&g);
	return rc;
}

int op_neo4j_cypher_all(char ***out, size_t *n, const struct op_schema *s,
			int major, int minor)
{
	struct all a = {NULL, 0, 0, major, minor};
	static const char ops[] = "IUD";
	const char *fixed[] = {op_neo4j_cypher_meta_get,
			       op_neo4j_cypher_meta_set,
			       major >= 4 ? op_neo4j_cypher_constraints_5
					  : op_neo4j_cypher_constraints_3,
			       op_neo4j_cypher_pull_tombs};
	size_t i, k;
	int rc = OUTPOST_OK;

	for (i = 0; rc == OUTPOST_OK && i < sizeof(fixed) / sizeof(*fixed);
	     i++) {
		struct op_buf b = {0};

		op_buf_adds(&b, fixed[i]);
		rc = all_take(&a, &b);
	}
	if (rc == OUTPOST_OK)
		rc = op_neo4j_unique_each(s, all_unique, &a);
	for (i = 0; rc == OUTPOST_OK && i < s->ntables; i++)
		for (k = 0; rc == OUTPOST_OK && k < 3 &&
			    op_neo4j_table_kept(&s->tables[i]); k++) {
			struct op_buf b = {0};

			op_neo4j_cypher_node(&b, &s->tables[i], ops[k]);
			rc = all_take(&a, &b);
			if (rc == OUTPOST_OK && k == 2)
				rc = all_pull(&a, s->tables[i].name, NULL);
		}
	for (i = 0; rc == OUTPOST_OK && i < s->nrels; i++) {
		struct op_buf b = {0};

		if (!op_neo4j_type_kept(s, &s->rels[i]))
			continue;
		op_neo4j_cypher_rel_index(&b, major, minor, s->rels[i].name);
		rc = all_take(&a, &b);
		for (k = 0; rc == OUTPOST_OK && k < 3; k++) {
			struct op_buf e = {0};

			op_neo4j_cypher_edge(&e, &s->rels[i], ops[k]);
			rc = all_take(&a, &e);
		}
		if (rc == OUTPOST_OK)
			rc = all_pull(&a, s->rels[i].name, &s->rels[i]);
	}
	if (rc != OUTPOST_OK) {
		op_neo4j_cypher_all_free(a.v, a.n);
		a.v = NULL;
		a.n = 0;
	}
	*out = a.v;
	*n = a.n;
	return rc;
}

void op_neo4j_cypher_all_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		op_free(v[i]);
	op_free(v);
}

char *op_neo4j_sink_names(const struct op_schema *s)
{
	struct op_buf b = {0};
	size_t i, n = 0;

	/* Schema names are identifiers: nothing to escape in JSON. */
	op_buf_adds(&b, "[");
	for (i = 0; i < s->ntables; i++)
		if (op_neo4j_table_kept(&s->tables[i]))
			op_buf_addf(&b, "%s\"%s\"", n++ ? "," : "",
				    s->tables[i].name);
	for (i = 0; i < s->nrels; i++)
		if (op_neo4j_type_kept(s, &s->rels[i]))
			op_buf_addf(&b, "%s\"%s\"", n++ ? "," : "",
				    s->rels[i].name);
	op_buf_adds(&b, "]");
	return op_buf_take(&b);
}
