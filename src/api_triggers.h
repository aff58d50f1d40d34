/* api_triggers.h - inert AFTER triggers set aside during outpost's own
 * bulk writes (api_triggers.c): imports and pulled batches. */
#ifndef OP_API_TRIGGERS_H
#define OP_API_TRIGGERS_H

#include "api_int.h"

/* The CREATE text of what was dropped, and how many are back. */
struct op_api_triggers {
	char **sql;
	size_t n;
	size_t on;
};

/* Inside the caller's write transaction: drop the triggers of s's tables
 * (node tables only if nodes_only) that are inert while applying = 2,
 * keeping their text in *t (start it zeroed). */
int op_api_triggers_off(outpost *db, const struct op_schema *s,
			int nodes_only, struct op_api_triggers *t);
/* Create them again, in the order they were dropped. */
int op_api_triggers_on(outpost *db, struct op_api_triggers *t);
void op_api_triggers_free(struct op_api_triggers *t);

#endif
