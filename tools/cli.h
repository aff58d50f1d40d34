/* cli.h - the outpost command-line tool, built on outpost.h alone. */
#ifndef OP_CLI_H
#define OP_CLI_H

#include <stdio.h>

#include "outpost.h"

#define CLI_OK 0
#define CLI_ERROR 1
#define CLI_USAGE 2

enum cli_format { CLI_TABLE, CLI_JSON, CLI_CSV };

/* A table of result rows, printed once complete (aligned columns need
 * every width). */
struct cli_rows;
struct cli_rows *cli_rows_new(void);
void cli_rows_free(struct cli_rows *r);
/* An outpost_row_fn: ctx is a struct cli_rows. */
int cli_rows_add(void *ctx, int ncols, const char *const *names,
		 const outpost_value *vals);
void cli_rows_print(FILE *f, const struct cli_rows *r, enum cli_format fmt);
/* Write s as a JSON string literal. */
void cli_json_string(FILE *f, const char *s);

/* Print "outpost: msg" (each line of msg) to stderr; returns CLI_ERROR. */
int cli_fail(const char *msg);
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int cli_log(outpost *db, int argc, char **argv);

/* `outpost graph ...` and `outpost import ...` (argv[0] is the command);
 * each returns CLI_OK, CLI_ERROR or CLI_USAGE. Their --help texts: */
int cli_graph(outpost *db, int argc, char **argv);
int cli_import(outpost *db, int argc, char **argv);
extern const char cli_graph_help[];
extern const char cli_import_help[];

/* `outpost remote ...` and `outpost sync ...` (cli_sync.c), and the
 * sinks part of `status` (json: the "sinks": [...] member). */
int cli_remote(outpost *db, int argc, char **argv);
int cli_sync(outpost *db, int argc, char **argv);
int cli_status_sinks(outpost *db, int json);
extern const char cli_remote_help[];
extern const char cli_sync_help[];

/* `outpost central ...` (cli_central.c; needs no store) and `schema
 * check --pg CONNINFO [FILE]`. */
int cli_central(int argc, char **argv);
int cli_schema_check_pg(outpost *db, const char *conninfo, const char *file);
extern const char cli_central_help[];

#endif
