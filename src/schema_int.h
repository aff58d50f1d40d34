/* schema_int.h - shared inside the schema module: the parser's state and
 * its error list. */
#ifndef OP_SCHEMA_INT_H
#define OP_SCHEMA_INT_H

#include <cjson/cJSON.h>

#include "schema.h"

#define OP_PATH_MAX 400
#define OP_NAME_MAX 63
#define OP_MAX_ERRORS 100

struct op_parse {
	const char *file;
	struct op_buf errs;
	int nerr;
	int oom;
	struct op_schema *s;
};

void op_schema_perr(struct op_parse *p, const char *path, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));
/* path + "." + key (or ["key"] when key is not an identifier). */
void op_schema_path_key(char *out, const char *base, const char *key);
void op_schema_path_idx(char *out, const char *base, size_t i);
/* Refuse keys not in allowed (NULL-terminated) and duplicate keys. */
void op_schema_check_keys(struct op_parse *p, const cJSON *obj,
			  const char *path, const char *const *allowed);
/* 1 if name is a valid identifier; reports why not at path otherwise. */
int op_schema_check_name(struct op_parse *p, const char *name,
			 const char *path, const char *what);
/* Read an optional boolean member; reports a non-boolean. */
int op_schema_get_bool(struct op_parse *p, const cJSON *obj, const char *key,
		       const char *path, int *out);

/* Columns of a table (or properties of a relationship type when
 * is_property), in declaration order. */
int op_schema_parse_columns(struct op_parse *p, const cJSON *cols,
			    const char *path, int is_property,
			    struct op_column **out, size_t *n);
int op_schema_parse_sync(struct op_parse *p, const cJSON *sync,
			 const char *path, int allow_scope,
			 enum op_policy *policy, char **scope_name,
			 char **scope_column);
int op_schema_parse_relationships(struct op_parse *p, const cJSON *rels,
				  const char *path);
int op_schema_parse_migrations(struct op_parse *p, const cJSON *migs,
			       const char *path);
/* Cross-references: references, indexes, scopes, relationship ends. */
void op_schema_check_refs(struct op_parse *p);

/* A growing list of DDL objects. */
struct op_object_list {
	struct op_object *v;
	size_t n;
	int oom;
};
/* Append (name, sql), taking both buffers. */
void op_schema_object_add(struct op_object_list *l, struct op_buf *name,
			  struct op_buf *sql);
/* Hand the list over, or free it and return OUTPOST_ENOMEM. */
int op_schema_object_list_done(struct op_object_list *l,
			       struct op_object **out, size_t *n);

#endif
