/* rel_func.c - SQL functions outpost adds to its own connections:
 * outpost_password(plain) -> Argon2id hash, outpost_verify(hash, plain) ->
 * 1/0, outpost_uuid() -> a UUID v7. Other SQLite clients do not have them;
 * the capture triggers never call them, so those clients still work. */
#include <string.h>

#include "rel_int.h"

static void fn_password(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *plain = (const char *)sqlite3_value_text(argv[0]);
	struct op_err err;
	char *hash = NULL;

	(void)argc;
	if (!plain) {
		sqlite3_result_null(ctx);
		return;
	}
	if (op_pw_hash(&hash, plain, &err) != OUTPOST_OK) {
		sqlite3_result_error(ctx, err.msg, -1);
		return;
	}
	sqlite3_result_text(ctx, hash, -1, op_free);
}

static void fn_verify(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const char *hash = (const char *)sqlite3_value_text(argv[0]);
	const char *plain = (const char *)sqlite3_value_text(argv[1]);

	(void)argc;
	sqlite3_result_int(ctx, op_pw_verify(hash, plain) == OUTPOST_OK);
}

static void fn_uuid(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	uint8_t u[16];
	char text[OP_UUID_TEXT];

	(void)argc;
	(void)argv;
	op_uuid_v7(u, op_hlc_wall_ms());
	op_uuid_format(text, u);
	sqlite3_result_text(ctx, text, 36, SQLITE_TRANSIENT);
}

int op_rel_register_functions(struct op_rel *rel, struct op_err *err)
{
	int rc = sqlite3_create_function_v2(rel->db, "outpost_password", 1,
					    SQLITE_UTF8 | SQLITE_DIRECTONLY,
					    NULL, fn_password, NULL, NULL,
					    NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_create_function_v2(
			rel->db, "outpost_verify", 2,
			SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fn_verify,
			NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function_v2(rel->db, "outpost_uuid", 0,
						SQLITE_UTF8, NULL, fn_uuid,
						NULL, NULL, NULL);
	return rc == SQLITE_OK ? OUTPOST_OK : op_rel_error(rel, rc, err);
}
