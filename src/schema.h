/* schema.h - the schema: one JSON declaration (schema/FORMAT.md) parsed
 * and validated into a model, from which SQLite DDL and the capture
 * triggers are generated, and two versions compared for migration. */
#ifndef OP_SCHEMA_H
#define OP_SCHEMA_H

#include <stdint.h>

#include "util.h"

enum op_type {
	OP_T_UUID,
	OP_T_TEXT,
	OP_T_INTEGER,
	OP_T_REAL,
	OP_T_BOOLEAN,
	OP_T_TIMESTAMP,
	OP_T_DATE,
	OP_T_JSON,
	OP_T_BLOB,
	OP_T_TEXT_ARRAY,
	OP_T_PASSWORD
};

enum op_policy {
	OP_SYNC_LWW,
	OP_SYNC_APPEND_ONLY,
	OP_SYNC_CENTRAL_WINS,
	OP_SYNC_LOCAL_ONLY
};

enum op_on_delete {
	OP_DEL_NO_ACTION,
	OP_DEL_CASCADE,
	OP_DEL_SET_NULL,
	OP_DEL_RESTRICT
};

struct op_column {
	char *name;
	enum op_type type;
	int primary_key;
	int not_null;
	int unique;
	int encrypted;
	char *default_sql; /* SQL for DEFAULT: a literal or (expr); or NULL */
	int default_is_expr; /* e.g. "now": SQLite cannot ADD COLUMN it */
	char *ref_table;   /* NULL if no reference */
	char *ref_column;
	enum op_on_delete on_delete;
};

struct op_index {
	char *name;
	int unique;
	size_t ncols;
	char **cols;
	int *desc;
};

struct op_table {
	char *name;
	int is_node;
	struct op_column *cols;
	size_t ncols;
	size_t pk; /* index of the primary key column */
	struct op_index *idx;
	size_t nidx;
	enum op_policy policy;
	char *scope_name; /* NULL if not scoped */
	char *scope_column;
};

struct op_reltype {
	char *name;
	char *from;
	char *to;
	int acyclic;
	int validity;
	struct op_column *props;
	size_t nprops;
	enum op_policy policy;
};

enum op_step_kind {
	OP_STEP_DROP_TABLE,
	OP_STEP_DROP_COLUMN,
	OP_STEP_RENAME_TABLE,
	OP_STEP_RENAME_COLUMN,
	OP_STEP_CHANGE_COLUMN,
	OP_STEP_DROP_RELATIONSHIP
};

struct op_step {
	enum op_step_kind kind;
	char *table;  /* drop_table, drop_column, rename_column, change_col */
	char *column; /* drop_column, change_column */
	char *from;   /* rename_* */
	char *to;
	char *path;   /* JSON path of the step, for messages */
};

struct op_migration {
	int64_t version;
	struct op_step *steps;
	size_t nsteps;
};

struct op_schema {
	char *file; /* for messages */
	char *name;
	int64_t version;
	struct op_table *tables; /* tables first, then node labels */
	size_t ntables;
	struct op_reltype *rels;
	size_t nrels;
	struct op_migration *migs;
	size_t nmigs;
	char *json; /* the declaration, compact, as recorded in a store */
};

/* Parse and validate a schema: len bytes of text, which must be followed
 * by a NUL (text[len] == '\0'). file names the source in messages. On
 * OUTPOST_ESCHEMA err holds every problem found, one per line, each
 * "file: $.json.path: reason". */
int op_schema_parse(struct op_schema **out, const char *file,
		    const char *text, size_t len, struct op_err *err);
int op_schema_load(struct op_schema **out, const char *path,
		   struct op_err *err);
void op_schema_free(struct op_schema *s);

struct op_table *op_schema_table(const struct op_schema *s,
				 const char *name);
struct op_column *op_schema_column(const struct op_table *t,
				   const char *name);
struct op_reltype *op_schema_reltype(const struct op_schema *s,
				     const char *name);
const char *op_schema_type_name(enum op_type t);
/* 1 if JSON value v (a cJSON) fits a property of type `type`; null
 * always does (it removes the property). */
struct cJSON;
int op_schema_json_fits(const struct cJSON *v, enum op_type type);
/* v as compact JSON text, as cJSON_PrintUnformatted prints it but with
 * numbers that read back exactly (whole ones as integers); malloc'd
 * (op_free), NULL when out of memory. */
char *op_schema_json_print(const struct cJSON *v);
/* 0 if name may name a table, label, type or column (what says which,
 * for the message); else -1 and why (n bytes) says why, as the parser
 * words it. For names that come from elsewhere, such as an import's
 * CSV files. */
int op_schema_name_check(char *why, size_t n, const char *name,
			 const char *what);
const char *op_schema_policy_name(enum op_policy p);
const char *op_schema_on_delete_sql(enum op_on_delete d);

/* SQLite DDL. */
/* CREATE TABLE for t under the name `as` (t->name if NULL). */
void op_schema_sql_table(struct op_buf *b, const struct op_table *t,
			 const char *as);
/* One column's definition, as in CREATE TABLE or ADD COLUMN. */
void op_schema_sql_column(struct op_buf *b, const struct op_table *t,
			  const struct op_column *c);
/* The name an index gets: declared, or table_col1_col2_idx. */
void op_schema_index_name(struct op_buf *b, const struct op_table *t,
			  const struct op_index *ix);
/* Name of the index that enforces `unique` on column c. */
void op_schema_unique_index_name(struct op_buf *b, const struct op_table *t,
				 const struct op_column *c);
/* Clock table for an lww table, and the capture and guard triggers. */
void op_schema_sql_capture(struct op_buf *b, const struct op_table *t);
/* The SQL expression the insert trigger logs as vals: a JSON object of
 * every non-key column of row rowvar ("NEW" in the trigger; an alias of
 * t in a SELECT gives the same text for a stored row). */
void op_schema_sql_insert_json(struct op_buf *b, const struct op_table *t,
			       const char *rowvar);
/* DROP TRIGGER statements for every trigger op_schema_sql_capture makes. */
void op_schema_sql_drop_capture(struct op_buf *b, const struct op_table *t);
/* A named DDL object and the statement that makes it, exactly as SQLite
 * records it in sqlite_master (no trailing semicolon). */
struct op_object {
	char *name;
	char *sql;
};
/* The indexes of t: declared ones and one per unique column. */
int op_schema_indexes(struct op_object **out, size_t *n,
		      const struct op_table *t);
/* The triggers op_schema_sql_capture makes for t. */
int op_schema_triggers(struct op_object **out, size_t *n,
		       const struct op_table *t);
void op_schema_objects_free(struct op_object *o, size_t n);

#endif
