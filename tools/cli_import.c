/* cli_import.c - `outpost import`: neo4j-admin CSV files into the store
 * through outpost_import(); progress on stderr when it is a terminal. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

const char cli_import_help[] =
	"usage: outpost [-d DIR] import [--add-to-schema] [--nodes FILE...] "
	"[--relationships FILE...]\n"
	"Import neo4j-admin CSV files: node files (uuid:ID or id:ID, :LABEL, "
	"typed\nproperties) and relationship files (:START_ID, :END_ID, "
	":TYPE). Each flag is\nfollowed by one or more files (or is written "
	"--nodes=FILE). Labels, types and\nproperty columns must be in the "
	"schema, unless --add-to-schema is given: then\nnew labels become "
	"node tables, a new type goes between the labels of its first\n"
	"edge's ends, missing columns and properties are added (nullable, "
	"typed by\ntheir headers), and the schema's version goes up by one. "
	"All or nothing: a bad\nline names file, line and reason, and leaves "
	"the store and its schema as they\nwere.\n";

struct files {
	const char **nodes, **rels;
	size_t nnodes, nrels;
	int add_to_schema;
};

/* Sort argv[1..] into node and relationship files. */
static int collect(struct files *fs, int argc, char **argv)
{
	const char ***list = NULL;
	size_t *n = NULL, before = 0;
	const char *flag = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;

		if (!strncmp(a, "--nodes", 7) || !strncmp(a, "--relationships",
							  15)) {
			size_t len = a[2] == 'n' ? 7 : 15;

			if (a[len] == '=')
				v = a + len + 1;
			else if (a[len])
				return cli_usage("import: unknown option %s",
						 a);
			if (flag && *n == before)
				return cli_usage("import: %s needs at least "
						 "one FILE", flag);
			list = a[2] == 'n' ? &fs->nodes : &fs->rels;
			n = a[2] == 'n' ? &fs->nnodes : &fs->nrels;
			flag = a[2] == 'n' ? "--nodes" : "--relationships";
			before = *n;
			if (!v)
				continue;
			if (!*v)
				return cli_usage("import: %s= needs a FILE",
						 flag);
		} else if (!strcmp(a, "--add-to-schema")) {
			fs->add_to_schema = 1;
			continue;
		} else if (a[0] == '-' && a[1]) {
			return cli_usage("import: unknown option %s", a);
		} else if (!list) {
			return cli_usage("import: %s: name it after --nodes "
					 "or --relationships", a);
		}
		(*list)[(*n)++] = v ? v : a;
	}
	if (flag && *n == before)
		return cli_usage("import: %s needs at least one FILE", flag);
	if (fs->nnodes + fs->nrels == 0)
		return cli_usage("import needs --nodes FILE... and/or "
				 "--relationships FILE...");
	return CLI_OK;
}

int cli_import(outpost *db, int argc, char **argv)
{
	outpost_import_opts opts = OUTPOST_IMPORT_OPTS_INIT;
	struct files fs = {NULL, NULL, 0, 0, 0};
	int rc;

	fs.nodes = calloc((size_t)argc, sizeof(*fs.nodes));
	fs.rels = calloc((size_t)argc, sizeof(*fs.rels));
	if (!fs.nodes || !fs.rels) {
		rc = cli_fail("out of memory");
		goto done;
	}
	rc = collect(&fs, argc, argv);
	if (rc != CLI_OK)
		goto done;
	opts.progress = isatty(2);
	opts.add_to_schema = fs.add_to_schema;
	if (outpost_import(db, fs.nodes, fs.nnodes, fs.rels, fs.nrels,
			   &opts) != OUTPOST_OK) {
		rc = cli_fail(outpost_errmsg(db));
		goto done;
	}
	printf("imported: %zu node file%s, %zu relationship file%s\n",
	       fs.nnodes, fs.nnodes == 1 ? "" : "s", fs.nrels,
	       fs.nrels == 1 ? "" : "s");
done:
	free(fs.nodes);
	free(fs.rels);
	return rc;
}
