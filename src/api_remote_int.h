/* api_remote_int.h - shared by api_remote.c (configuration, status) and
 * api_sync.c (the sync rounds). */
#ifndef OP_API_REMOTE_INT_H
#define OP_API_REMOTE_INT_H

#include "api_int.h"

/* The remote's conninfo (ENOTFOUND if none is set) and its password:
 * OUTPOST_PG_PASSWORD, else keys/pg.pass, else NULL. Both op_free;
 * wipe the password first. */
int op_api_remote_pg(outpost *db, char **conninfo, char **password);
/* How many of this store's entries after seq `after` a push would send. */
int op_api_sync_pending(outpost *db, int64_t after, int64_t *out);

/* Apply changes pulled from a remote and set its cursor, all or nothing
 * (api_sync_apply.c). */
struct op_change;
int op_api_sync_apply(outpost *db, const struct op_change *c, size_t n,
		      const char *cursor, int64_t cursor_value);

#endif
