/* cli_central.c - `outpost central ...` (init, migrate, add-device) and
 * `outpost schema check --pg`: central PostgreSQL administration through
 * outpost.h's outpost_central_* calls. Needs no store. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char cli_central_help[] =
	"usage: outpost central init --pg CONNINFO --schema FILE\n"
	"       outpost central migrate --pg CONNINFO --schema FILE\n"
	"       outpost central add-device NAME --scope KEY=VALUE... --pg "
	"CONNINFO\n"
	"                    [--password-file FILE] [--new-password]\n"
	"Set up central PostgreSQL, the hub devices sync with.\n"
	"init: install the central tables, change log, device registry, "
	"capture\n  triggers and scope policies for FILE in one transaction; "
	"run again with\n  the same schema it changes nothing.\n"
	"migrate: move central to FILE's newer schema version (additive "
	"changes, and\n  drops the file's migrations name), in one "
	"transaction.\n"
	"add-device: give device NAME its PostgreSQL role outpost_dev_NAME, "
	"its scopes\n  (KEY is a scope the schema declares) and a random "
	"password, written to\n  FILE (default ./NAME.pgpass, mode 0600), "
	"and print what to run on the\n  device. Again for a known device: "
	"its scopes become the ones given;\n  --new-password makes a new "
	"password.\n"
	"CONNINFO is libpq's (\"host=... dbname=... user=...\"). The "
	"password is never\ngiven on the command line: libpq reads "
	"PGPASSWORD or ~/.pgpass, and outpost\nthe 0600 file named by "
	"OUTPOST_PG_PASSWORD_FILE.\n";

struct args {
	const char *pg;
	const char *schema;
	const char *name;
	const char *password_file;
	int new_password;
	const char **scopes;
	size_t nscopes;
};

/* --scope takes one or more KEY=VALUE words. */
static int take_scopes(struct args *a, int argc, char **argv, int *i)
{
	int n = 0;

	while (*i + 1 < argc && strncmp(argv[*i + 1], "--", 2) &&
	       strchr(argv[*i + 1], '=')) {
		a->scopes[a->nscopes++] = argv[++*i];
		n++;
	}
	return n ? CLI_OK : cli_usage("--scope needs KEY=VALUE");
}

static int parse(struct args *a, int argc, char **argv)
{
	int i, rc = CLI_OK;

	for (i = 2; rc == CLI_OK && i < argc; i++) {
		const char *o = argv[i];
		int has = i + 1 < argc;

		if (!strcmp(o, "--pg") && has)
			a->pg = argv[++i];
		else if (!strcmp(o, "--schema") && has)
			a->schema = argv[++i];
		else if (!strcmp(o, "--password-file") && has)
			a->password_file = argv[++i];
		else if (!strcmp(o, "--new-password"))
			a->new_password = 1;
		else if (!strcmp(o, "--scope"))
			rc = take_scopes(a, argc, argv, &i);
		else if (o[0] != '-' && !a->name)
			a->name = o;
		else
			rc = cli_usage("central: unexpected %s", o);
	}
	if (rc == CLI_OK && !a->pg)
		rc = cli_usage("central %s needs --pg CONNINFO", argv[1]);
	return rc;
}

static int schema_cmd(outpost_central *c, const struct args *a, int init)
{
	int done = 0, rc;

	if (!a->schema || a->name)
		return cli_usage("central %s takes --pg CONNINFO --schema FILE",
				 init ? "init" : "migrate");
	rc = init ? outpost_central_init(&done, c, a->schema)
		  : outpost_central_migrate(&done, c, a->schema);
	if (rc != OUTPOST_OK)
		return cli_fail(outpost_central_errmsg(c));
	if (done == OUTPOST_CENTRAL_UNCHANGED)
		printf("central already has %s at this version: nothing "
		       "changed\n", a->schema);
	else
		printf("central %s for %s\n",
		       done == OUTPOST_CENTRAL_INSTALLED ? "installed"
							 : "migrated",
		       a->schema);
	return CLI_OK;
}

static int add_device(outpost_central *c, const struct args *a)
{
	outpost_device_opts o = OUTPOST_DEVICE_OPTS_INIT;
	char *text = NULL;

	if (!a->name || a->schema)
		return cli_usage("central add-device NAME --scope KEY=VALUE... "
				 "--pg CONNINFO");
	o.scopes = a->scopes;
	o.nscopes = a->nscopes;
	o.password_file = a->password_file;
	o.new_password = a->new_password;
	if (outpost_central_add_device(&text, c, a->name, &o) != OUTPOST_OK)
		return cli_fail(outpost_central_errmsg(c));
	fputs(text, stdout);
	outpost_free(text);
	return CLI_OK;
}

int cli_central(int argc, char **argv)
{
	struct args a = {0};
	outpost_central *c = NULL;
	int rc;

	if (argc < 2 || (strcmp(argv[1], "init") &&
			 strcmp(argv[1], "migrate") &&
			 strcmp(argv[1], "add-device")))
		return cli_usage("central needs init, migrate or add-device");
	a.scopes = calloc((size_t)argc, sizeof(*a.scopes));
	if (!a.scopes)
		return cli_fail("out of memory");
	rc = parse(&a, argc, argv);
	if (rc == CLI_OK && outpost_central_open(&c, a.pg) != OUTPOST_OK)
		rc = cli_fail(outpost_central_errmsg(c));
	else if (rc == CLI_OK && !strcmp(argv[1], "add-device"))
		rc = add_device(c, &a);
	else if (rc == CLI_OK)
		rc = schema_cmd(c, &a, !strcmp(argv[1], "init"));
	outpost_central_close(c);
	free(a.scopes);
	return rc;
}

int cli_schema_check_pg(outpost *db, const char *conninfo, const char *file)
{
	outpost_central *c = NULL;
	char *text = NULL;
	int rc;

	if (outpost_central_open(&c, conninfo) != OUTPOST_OK) {
		rc = cli_fail(outpost_central_errmsg(c));
		outpost_central_close(c);
		return rc;
	}
	rc = outpost_central_check(&text, c, db, file);
	if (text)
		printf("%s\n", text);
	if (rc == OUTPOST_OK)
		printf("no drift: central matches the schema\n");
	rc = rc == OUTPOST_OK ? CLI_OK : cli_fail(outpost_central_errmsg(c));
	outpost_free(text);
	outpost_central_close(c);
	return rc;
}
