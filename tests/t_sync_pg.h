/* t_sync_pg.h - the fixture of the end-to-end sync tests (t_sync_pg.c,
 * t_sync_fault.c): a central on the run's own PostgreSQL, devices set up
 * as a person would (add-device, then the printed `remote set`). */
#ifndef OP_T_SYNC_PG_H
#define OP_T_SYNC_PG_H

#include <stddef.h>

#include "pg_harness.h"

/* Schema "sy": notes (lww, scope family), points (append_only, scope
 * family), Word (central_wins label) and BEFORE (central_wins type). */
extern const char sy_schema[];

struct central {
	char db[64];
	char pg[512]; /* the administrator's conninfo */
	char schema[512];
};

struct device {
	char dir[512]; /* its store */
	char name[32];
};

/* The run's server, this test's database, `central init`. 0 ok. */
int central_up(struct t *t, struct central *c);
/* The same with another schema: json, written to the test's file name. */
int central_up_schema(struct t *t, struct central *c, const char *name,
		      const char *json);
/* `central add-device` (name made unique per test) with scopes ("--scope
 * family=smith"), a store with the schema, and the `outpost remote set`
 * line add-device printed, run as printed. 0 ok. */
int device_up(struct t *t, const struct central *c, struct device *d,
	      const char *name, const char *scopes);
/* The number a query at central (as its administrator) answers, or
 * -1. */
long long central_count(const struct central *c, const char *sql);
/* `outpost -d DEVICE ARGS`; its exit status, *out its output. */
int on(char **out, const struct device *d, const char *args);
/* A query's result on a device as `sql --csv` prints it, into buf. */
const char *rows(char *buf, size_t n, const struct device *d,
		 const char *sql);

#endif
