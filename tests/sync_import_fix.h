/* sync_import_fix.h - the fixture of the import expansion tests
 * (t_sync_import.c): a schema with every kind of label, type and column
 * the expansion treats differently, and an import of a small graph into
 * it. */
#ifndef OP_TEST_SYNC_IMPORT_FIX_H
#define OP_TEST_SYNC_IMPORT_FIX_H

#include "api_sync_import.h"
#include "sync_batch.h"

/* The fixture's uuids: U("001") .. */
#define U(x) "0190a000-0000-7000-8000-000000000" x
/* The import makes 10 nodes (subs 0-9) and 12 edges (subs 10-21), and
 * NEMITTED of them are pushed: si_emitted_subs. */
#define NSUBS 22
#define NEMITTED 19
extern const unsigned si_emitted_subs[NEMITTED];

/* Store `name` in the test's directory with the schema, and one Person,
 * U("000"), made before the import (an imported edge ends at it). */
outpost *si_store(struct t *t, const char *name);
/* The import: two node files, two relationship files. */
int si_import(struct t *t, outpost *db);
/* The newest import entry of db's log, appended to e; -1 if none. */
int si_entry(outpost *db, struct ts_batch *e);

#endif
