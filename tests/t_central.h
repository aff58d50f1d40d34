/* t_central.h - the fixture the central tests share (t_central.c,
 * t_central_device.c): a schema with every portable type, scopes and
 * policies, a database per test, and the CLI pointed at it. */
#ifndef OP_T_CENTRAL_H
#define OP_T_CENTRAL_H

#include "pg_harness.h"

struct tc {
	char db[64];	   /* this test's database */
	char pg[512];	   /* its conninfo, as the superuser */
	char schema[512];  /* shop.json (version 1) in the test dir */
};

/* Start PostgreSQL, make the test's database, write shop.json version
 * `version` (1, 2: + things.colour and table orders, 3: colour gone,
 * 4: colour dropped by a migration step). 0 ok, else the test failed. */
int tc_setup(struct t *t, struct tc *c);
/* shop.json of a given version into the test directory as name. */
int tc_schema(struct t *t, char out[512], const char *name, int version);
/* `outpost central ARGS --pg CONNINFO`, run in the test directory;
 * *out gets the output. Returns the exit status. */
int tc_central(struct t *t, char **out, const struct tc *c, const char *args);
/* One value from SQL run as the superuser in the test's database
 * (trailing newline cut); returns out ("(error)" on failure). */
const char *tc_value(char out[4096], const struct tc *c, const char *sql);

#endif
