/* rel_int.h - structs shared inside the rel module only. */
#ifndef OP_REL_INT_H
#define OP_REL_INT_H

#include <sqlite3.h>

#include "rel.h"

struct op_rel {
	sqlite3 *db;
	unsigned busy_ms;
};

struct op_stmt {
	sqlite3_stmt *st;
	struct op_rel *rel;
};

/* Turn the connection's last SQLite error into an outpost code + message. */
int op_rel_error(struct op_rel *rel, int src, struct op_err *err);
int op_rel_register_functions(struct op_rel *rel, struct op_err *err);

#endif
