/* neo4j_sink_int.h - inside the Neo4j sink (sink.h, op_neo4j_sink_open):
 * what its files share. neo4j_cypher.c writes the statement templates,
 * neo4j_rows.c turns changes into their parameter rows, neo4j_batch.c
 * makes a request's statements, neo4j_schema.c keeps the bookkeeping
 * node and the constraints, neo4j_sink.c is the sink itself (requests,
 * adaptive size). The design is sync/PROTOCOL.md's
 * "Neo4j" section. Tests include it to lint every template. */
#ifndef OP_NEO4J_SINK_INT_H
#define OP_NEO4J_SINK_INT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "neo4j_http.h"
#include "schema.h"
#include "sink.h"

/* Labels outpost keeps for itself in Neo4j. */
#define NEO4J_META_LABEL "_outpost_meta"
#define NEO4J_TOMB_LABEL "_outpost_tomb"
/* A node's or relationship's row clock, and prefix of a property's. */
#define NEO4J_CLK "_outpost_clk"
/* A clock as text: 20 decimal digits of hlc, 32 hex digits of site; so
 * text order is (hlc, site) order. */
#define NEO4J_CLOCK_LEN 52

/* One label or relationship type the sink writes, with its statements
 * for 'I', 'U' and 'D' (cypher[0..2]). */
struct neo4j_kind {
	const char *name;
	const struct op_table *t;     /* a label, or NULL */
	const struct op_reltype *r;   /* a type, or NULL */
	int ordered; /* a label with unique properties: its writes keep
			their order (a freed value may be taken next) */
	char *cypher[3];
};

/* The index of op in cypher[]: 0, 1, 2; -1 for anything else. */
int op_neo4j_op_index(char op);

/* 0 if name may be written into Cypher as a backtick-quoted label,
 * type or property name and a string literal: letters, digits and '_'
 * (schema names are; a backtick never is). Else -1 and why. */
int op_neo4j_name_check(char *why, size_t n, const char *name,
			const char *what);

/* The HTTP client's options for a sink's (or a pull's) options: auth
 * none without a secret, Bearer with bearer, else Basic. */
void op_neo4j_sink_http_opts(struct op_neo4j_opts *ho,
			     const struct op_neo4j_sink_opts *o);

/* The statement for op ('I', 'U', 'D') of a label (t) or a type (r,
 * with the labels its ends have). Appends to b (b->oom on failure). */
void op_neo4j_cypher_node(struct op_buf *b, const struct op_table *t,
			  char op);
void op_neo4j_cypher_edge(struct op_buf *b, const struct op_reltype *r,
			  char op);

/* `pull --neo4j` (neo4j_pull.c): what finds the nodes of label name
 * (relationships of type name, when is_type) without a uuid ($limit of
 * them, by id), what writes the uuids back ($rows: {id, uuid}), and one
 * page of a snapshot by uuid ($after, $limit; a type's with the labels
 * of its ends, from and to; NULL for a label). */
void op_neo4j_cypher_pull_find(struct op_buf *b, int is_type,
			       const char *name);
void op_neo4j_cypher_pull_set(struct op_buf *b, int is_type,
			      const char *name);
void op_neo4j_cypher_pull_page(struct op_buf *b, const char *name,
			       const char *from, const char *to);
/* One page of the tombstones whose clock is at least $min, by uuid
 * ($after, $limit): [uuid, clk]. */
extern const char op_neo4j_cypher_pull_tombs[];

/* Uniqueness of label.prop in the server's syntax (major version: 3, 4
 * use ON ... ASSERT; 5 and later, and 4.4, FOR ... REQUIRE with IF NOT
 * EXISTS and a name). */
void op_neo4j_cypher_unique(struct op_buf *b, int major, int minor,
			    const char *label, const char *prop);
/* An index on a relationship type's uuid (4.3 and later; "" before). */
void op_neo4j_cypher_rel_index(struct op_buf *b, int major, int minor,
			       const char *type);
/* fn(ctx, label, prop) for every uniqueness the sink keeps: its own
 * labels' keys, and per label its uuid and its unique properties. Stops
 * at the first rc that is not OUTPOST_OK and returns it. */
int op_neo4j_unique_each(const struct op_schema *s,
			 int (*fn)(void *ctx, const char *label,
				   const char *prop),
			 void *ctx);
/* The bookkeeping node: read the schema it records; record one. */
extern const char op_neo4j_cypher_meta_get[];
extern const char op_neo4j_cypher_meta_set[];
/* The constraints there are: 3.x procedure, or SHOW CONSTRAINTS. */
extern const char op_neo4j_cypher_constraints_3[];
extern const char op_neo4j_cypher_constraints_5[];

/* Whether the sink writes column c of a label (the key and passwords
 * are not written as properties). */
int op_neo4j_column_kept(const struct op_table *t, size_t i);
/* Whether a label or type goes to Neo4j at all (not local_only; a type
 * only between labels that go). */
int op_neo4j_table_kept(const struct op_table *t);
int op_neo4j_type_kept(const struct op_schema *s, const struct op_reltype *r);

/* Every statement the sink can send for schema s to a server of that
 * version, in *out (n of them; free with op_neo4j_cypher_all_free).
 * For the linter in the tests, and `schema check --neo4j`. */
int op_neo4j_cypher_all(char ***out, size_t *n, const struct op_schema *s,
			int major, int minor);
void op_neo4j_cypher_all_free(char **v, size_t n);

/* The clock text of (hlc, site): NEO4J_CLOCK_LEN characters and NUL. */
void op_neo4j_clock(char out[NEO4J_CLOCK_LEN + 1], uint64_t hlc,
		    const uint8_t site[16]);

/* The parameter row of change c for kind k (see neo4j_rows.c), added to
 * the array rows. OUTPOST_OK; OUTPOST_EPROTO with why for a change that
 * does not parse (the log is ours: a bug or a damaged store);
 * OUTPOST_ENOMEM. */
int op_neo4j_row_add(cJSON *rows, const struct neo4j_kind *k,
		     const struct op_change *c, char *why, size_t n);

/* The statements of one request (neo4j_batch.c): st[0..n) for
 * op_neo4j_run, their parameters owned here. */
struct neo4j_stmts {
	struct op_neo4j_stmt *st;
	struct neo4j_owned {
		cJSON *p; /* st[i].params */
	} *params;
	size_t n, cap;
};
/* The statements for c[0..n) with the sink's kinds (a change of a table
 * that is no kind is left out). OUTPOST_OK; OUTPOST_EPROTO with why
 * naming the change that does not parse; OUTPOST_ENOMEM. Free q with
 * op_neo4j_batch_free either way. */
int op_neo4j_batch_make(struct neo4j_stmts *q, const struct neo4j_kind *kinds,
			size_t nkinds, const struct op_change *c, size_t n,
			char *why, size_t whylen);
void op_neo4j_batch_free(struct neo4j_stmts *q);

/* The bookkeeping and constraints (neo4j_schema.c). */
struct neo4j_schema_ctx {
	struct op_neo4j *h;
	const struct op_schema *s;
	struct op_sink *base; /* errmsg and transient are set on failure */
};
/* Say on base why h failed ("what: message"), and whether it may pass;
 * returns the client's rc, but OUTPOST_EREFUSED for its
 * OUTPOST_ENOTFOUND (no such database or endpoint), which the store
 * takes for "no mirror is set". */
int op_neo4j_sink_fail(struct op_sink *base, const struct op_neo4j *h,
		       const char *what);
/* The server's major and minor version after discovery (a 3.x server
 * that did not say counts as 3.0). */
void op_neo4j_sink_version(const struct op_neo4j *h, int *major, int *minor);
/* Read the recorded schema into out; when Neo4j records none, or an
 * older version of the same schema, make the constraints of s and
 * record s. */
int op_neo4j_schema_hello(struct neo4j_schema_ctx *c,
			  struct op_sink_hello *out);
/* Compare the uniqueness constraints there are with those s asks for:
 * *report (op_free) says what is missing and what is there unasked
 * for; OUTPOST_EDRIFT when anything is, OUTPOST_OK when nothing. */
int op_neo4j_schema_check(struct neo4j_schema_ctx *c, char **report);

#endif
