/* api_sync_apply.c - PLACEHOLDER (lead engineer, temporary): the real
 * op_api_sync_apply() (LWW merge of pulled changes, PROTOCOL.md) is being
 * written by the helper working on the local apply engine; this file is
 * theirs to replace. Until then pulling refuses clearly. */
#include "api_remote_int.h"

int op_api_sync_apply(outpost *db, const struct op_change *c, size_t n,
		      const char *cursor, int64_t cursor_value)
{
	(void)c;
	(void)cursor;
	(void)cursor_value;
	if (n == 0)
		return OUTPOST_OK;
	return op_err_set(&db->err, OUTPOST_ERROR, "applying pulled changes "
			  "is not built yet");
}
