/* pg_central.h - the central PostgreSQL as its administrator sees it:
 * install the central tables and outpost's own objects from a schema
 * (init), move them to a newer schema version (migrate), register devices
 * with their roles and scopes (add-device), and report drift (check).
 * sync/PROTOCOL.md "Central" is the layout. The api layer calls this;
 * libpq stays behind the opaque struct. */
#ifndef OP_PG_CENTRAL_H
#define OP_PG_CENTRAL_H

#include <stddef.h>

#include "schema.h"
#include "util.h"

/* The layout version of outpost's objects (outpost.meta 'format'). */
#define OP_PG_CENTRAL_FORMAT 2
/* The commit-order lock every writer of outpost.changes takes first
 * (outpost.log_lock_key() returns it). */
#define OP_PG_LOG_LOCK_KEY 7305528937441LL

/* What init / migrate did. */
#define OP_PG_UNCHANGED 0
#define OP_PG_INSTALLED 1
#define OP_PG_MIGRATED 2

struct op_pg_central;

/* Connect as central's administrator. conninfo is libpq's; the password
 * comes from libpq's own sources (PGPASSWORD, ~/.pgpass) or from the 0600
 * file named by $OUTPOST_PG_PASSWORD_FILE (a file readable by group or
 * others is refused). */
int op_pg_central_connect(struct op_pg_central **out, const char *conninfo,
			  struct op_err *err);
void op_pg_central_close(struct op_pg_central *c);

/* Install everything for s in one transaction (*out OP_PG_INSTALLED), or
 * find it there already at the same version (*out OP_PG_UNCHANGED).
 * Another schema name, a newer or older version: refused, saying what to
 * run. */
int op_pg_central_init(int *out, struct op_pg_central *c,
		       const struct op_schema *s, struct op_err *err);
/* Move central to s (a newer version) in one transaction: additive
 * changes, and the destructive ones the file's migrations name. */
int op_pg_central_migrate(int *out, struct op_pg_central *c,
			  const struct op_schema *s, struct op_err *err);

struct op_pg_device {
	const char *name;	    /* letters, digits, _ and -, <= 40 */
	const char *const *scopes; /* "KEY=VALUE" each */
	size_t nscopes;
	const char *password_file; /* NULL: ./NAME.pgpass */
	int new_password;
};
/* Register (or update) a device: its role, password file, scopes and
 * grants. report gets what happened and what to run on the device. */
int op_pg_central_add_device(struct op_buf *report, struct op_pg_central *c,
			     const struct op_pg_device *d, struct op_err *err);

/* Every difference between s and central (recorded version, tables,
 * columns, types, row-level security, triggers, outpost's objects), one
 * line each, appended to report; *n is how many. */
int op_pg_central_check(struct op_buf *report, int *n,
			struct op_pg_central *c, const struct op_schema *s,
			struct op_err *err);

#endif
