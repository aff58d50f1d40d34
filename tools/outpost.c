/* outpost.c - the command-line tool: argument parsing and dispatch. Every
 * piece of logic lives in the library; this prints its results. Exit codes:
 * 0 ok, 1 error, 2 usage. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_SQL_BYTES (64u << 20)

static const char usage_text[] =
	"usage: outpost [-d DIR] COMMAND [ARGS]\n"
	"\n"
	"The store is DIR, else $OUTPOST_DIR, else ./.outpost.\n"
	"\n"
	"commands:\n"
	"  init [--schema FILE]        create a store (and apply a schema)\n"
	"  schema apply FILE           apply or migrate to a schema file\n"
	"  schema check [FILE]         report every drift between file and "
	"store\n"
	"  schema check --pg CONNINFO [FILE]\n"
	"                              the same between schema and central\n"
	"  schema show                 print the schema recorded in the "
	"store\n"
	"  sql [--json|--csv] [SQL|-]  run SQL (from stdin if no SQL or -)\n"
	"  sql --central SQL           load central_wins data (curriculum)\n"
	"  log [OPTIONS]               show the change log (log --help)\n"
	"  graph SUBCOMMAND [ARGS]     traverse and edit the graph "
	"(graph --help)\n"
	"  import --nodes FILE... --relationships FILE...\n"
	"                              import neo4j-admin CSV files\n"
	"  remote set --pg CONNINFO [--password-file FILE]\n"
	"                              where to sync (central PostgreSQL)\n"
	"  remote set --neo4j URL [--database NAME] ...\n"
	"                              where to mirror the graph (Neo4j)\n"
	"  sync [--watch]              push this store's changes, pull "
	"the others'\n"
	"  pull --neo4j --labels L... --types T...\n"
	"                              take a snapshot of the Neo4j mirror\n"
	"  central init|migrate|add-device ...\n"
	"                              set up central PostgreSQL (central "
	"--help)\n"
	"  status [--json]             site, schema, change log, graph, "
	"sinks\n"
	"\n"
	"Run 'outpost COMMAND --help' for a command's options.\n";

static const struct {
	const char *cmd;
	const char *help;
} helps[] = {
	{"init", "usage: outpost [-d DIR] init [--schema FILE]\n"
		 "Create a store in DIR: SQLite file, LMDB graph, site id and "
		 "keys (0600).\nWith --schema, apply FILE too.\n"},
	{"schema", "usage: outpost [-d DIR] schema apply FILE\n"
		   "       outpost [-d DIR] schema check [FILE]\n"
		   "       outpost [-d DIR] schema check --pg CONNINFO [FILE]\n"
		   "       outpost [-d DIR] schema check --neo4j\n"
		   "       outpost [-d DIR] schema show\n"
		   "apply: install the schema, or migrate to its newer "
		   "version in one transaction.\ncheck: list every "
		   "difference between FILE (default: the recorded schema) "
		   "and\nthe store; exit 1 if there is any.\nshow: print the "
		   "recorded schema as JSON.\ncheck --pg: the same between "
		   "the schema (FILE, default the store's) and\ncentral "
		   "PostgreSQL: version, tables, columns, types, row-level "
		   "security,\ntriggers.\ncheck --neo4j: the mirror's "
		   "uniqueness constraints and recorded schema\nagainst the "
		   "store's schema (exit 1 on drift).\n"},
	{"sql", "usage: outpost [-d DIR] sql [--json|--csv] [--central] "
		"[SQL|-]\n"
		"Run SQL statements as one transaction; writes to synced "
		"tables are captured\nin the change log. Without SQL (or "
		"with -) the script is read from stdin.\n--central writes as "
		"the central authority: central_wins tables (curriculum)\n"
		"accept the writes and nothing is captured; for a store with "
		"no server yet.\nIn SQL, "
		"outpost_password('plain') hashes a password and\n"
		"outpost_verify(hash, 'plain') checks one.\n"},
	{"log", "usage: outpost [-d DIR] log [--table T] [--op I|U|D] "
		"[--row UUID]\n                          [--after SEQ] "
		"[--limit N] [--newest] [--json]\nShow change-log entries, "
		"oldest first (--newest: newest first).\n"},
	{"status", "usage: outpost [-d DIR] status [--json]\n"
		   "Show the site id, schema, change log and graph cursor.\n"},
	{"graph", cli_graph_help},
	{"import", cli_import_help},
	{"remote", cli_remote_help},
	{"central", cli_central_help},
	{"sync", cli_sync_help},
	{"pull", "usage: outpost [-d DIR] pull --neo4j [--labels L...] "
		 "[--types T...] [--page N]\n"
		 "Make the store's nodes of labels L and relationships of "
		 "types T what the\nNeo4j mirror (remote set --neo4j) holds: "
		 "new ones inserted, changed values\nupdated, ones Neo4j no "
		 "longer has deleted, each change in the change log.\nA "
		 "local change not yet pushed to Neo4j (sync) is kept where "
		 "it is newer\nthan what Neo4j holds for that property or "
		 "relationship (by the clocks\npushes leave there; a value "
		 "edited by hand has none): an update, a node\nor "
		 "relationship made here, one deleted here. The next sync "
		 "sends it.\nNodes "
		 "and relationships without a uuid get a deterministic one, "
		 "written back\nto Neo4j. Undeclared properties are skipped "
		 "(counted). Names must be the\nschema's. --page: rows per "
		 "request (default 1000).\n"},
};

int cli_fail(const char *msg)
{
	const char *p = msg, *nl;

	fflush(stdout); /* what was printed comes before the error */
	do {
		nl = strchr(p, '\n');
		fprintf(stderr, "outpost: %.*s\n",
			(int)(nl ? (size_t)(nl - p) : strlen(p)), p);
		p = nl ? nl + 1 : NULL;
	} while (p && *p);
	return CLI_ERROR;
}

int cli_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("outpost: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see outpost --help)\n", stderr);
	return CLI_USAGE;
}

static int wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}

static int open_store(outpost **db, const char *dir)
{
	int rc = outpost_open(db, dir, NULL);

	if (rc != OUTPOST_OK) {
		cli_fail(*db ? outpost_errmsg(*db) : "out of memory");
		outpost_close(*db);
		*db = NULL;
	}
	return rc;
}

static int cmd_init(const char *dir, int argc, char **argv)
{
	const char *schema = NULL;
	outpost *db = NULL;
	int rc;

	if (argc == 3 && !strcmp(argv[1], "--schema"))
		schema = argv[2];
	else if (argc != 1)
		return cli_usage("init takes only --schema FILE");
	rc = outpost_init(&db, dir, NULL);
	if (rc == OUTPOST_OK && schema) {
		rc = outpost_schema_apply(db, schema);
		if (rc != OUTPOST_OK) {
			cli_fail(outpost_errmsg(db));
			fprintf(stderr, "outpost: the store %s was created "
				"without a schema; fix the file, then run: "
				"outpost -d %s schema apply %s\n", dir, dir,
				schema);
			outpost_close(db);
			return CLI_ERROR;
		}
	}
	if (rc != OUTPOST_OK)
		cli_fail(db ? outpost_errmsg(db) : "out of memory");
	else
		printf("created store %s%s%s\n", dir,
		       schema ? " with schema " : "", schema ? schema : "");
	outpost_close(db);
	return rc == OUTPOST_OK ? CLI_OK : CLI_ERROR;
}

static int cmd_schema(outpost *db, int argc, char **argv)
{
	char *text = NULL;
	int rc;

	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "check") &&
	    !strcmp(argv[2], "--pg"))
		return cli_schema_check_pg(db, argv[3],
					   argc == 5 ? argv[4] : NULL);
	if (argc == 3 && !strcmp(argv[1], "check") &&
	    !strcmp(argv[2], "--neo4j")) {
		rc = outpost_neo4j_check(&text, db);
		if (text)
			printf("%s\n", text);
		if (rc == OUTPOST_OK)
			printf("no drift: Neo4j matches the schema\n");
	} else if (argc == 3 && !strcmp(argv[1], "apply")) {
		rc = outpost_schema_apply(db, argv[2]);
		if (rc == OUTPOST_OK)
			printf("schema %s applied\n", argv[2]);
	} else if ((argc == 2 || argc == 3) && !strcmp(argv[1], "check")) {
		rc = outpost_schema_check(&text, db, argc == 3 ? argv[2]
							       : NULL);
		if (text)
			printf("%s\n", text);
		if (rc == OUTPOST_OK)
			printf("no drift: the store matches the schema\n");
	} else if (argc == 2 && !strcmp(argv[1], "show")) {
		rc = outpost_schema_show(&text, db);
		if (rc == OUTPOST_OK)
			printf("%s\n", text);
	} else {
		return cli_usage("schema needs apply FILE, check [FILE] or "
				 "show");
	}
	outpost_free(text);
	return rc == OUTPOST_OK ? CLI_OK : cli_fail(outpost_errmsg(db));
}

static char *read_stdin(void)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *grown;
	size_t r;

	while (buf && (r = fread(buf + len, 1, cap - len - 1, stdin)) > 0) {
		len += r;
		if (len + 1 == cap) {
			if (cap >= MAX_SQL_BYTES) {
				free(buf);
				return NULL;
			}
			grown = realloc(buf, cap * 2);
			if (!grown) {
				free(buf);
				return NULL;
			}
			buf = grown;
			cap *= 2;
		}
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

static int cmd_sql(outpost *db, int argc, char **argv)
{
	enum cli_format fmt = CLI_TABLE;
	int central = 0;
	const char *sql = NULL;
	char *input = NULL;
	struct cli_rows *rows;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			fmt = CLI_JSON;
		else if (!strcmp(argv[i], "--csv"))
			fmt = CLI_CSV;
		else if (!strcmp(argv[i], "--central"))
			central = 1;
		else if (!sql)
			sql = argv[i];
		else
			return cli_usage("sql takes one SQL argument (quote "
					 "it)");
	}
	if (!sql || !strcmp(sql, "-")) {
		sql = input = read_stdin();
		if (!input)
			return cli_fail("cannot read SQL from stdin (out of "
					"memory or larger than 64 MiB)");
	}
	rows = cli_rows_new();
	if (!rows) {
		free(input);
		return cli_fail("out of memory");
	}
	rc = central ? outpost_sql_central(db, sql, NULL, 0, cli_rows_add, rows)
		     : outpost_sql(db, sql, NULL, 0, cli_rows_add, rows);
	if (rc == OUTPOST_OK)
		cli_rows_print(stdout, rows, fmt);
	cli_rows_free(rows);
	free(input);
	return rc == OUTPOST_OK ? CLI_OK : cli_fail(outpost_errmsg(db));
}

static int cmd_status(outpost *db, int argc, char **argv)
{
	outpost_status st;
	int json = argc == 2 && !strcmp(argv[1], "--json");

	if (argc > 1 && !json)
		return cli_usage("status takes only --json");
	st.version = OUTPOST_STATUS_VERSION;
	if (outpost_status_get(&st, db) != OUTPOST_OK)
		return cli_fail(outpost_errmsg(db));
	if (json) {
		printf("{\"site\": \"%s\", \"schema\": ", st.site_id);
		cli_json_string(stdout, st.schema_name);
		printf(", \"schema_version\": %lld, \"tables\": %d, "
		       "\"log_entries\": %lld, \"last_seq\": %lld, "
		       "\"last_hlc\": \"%llu\", \"graph_applied_seq\": %lld, ",
		       st.schema_version, st.tables, st.log_entries,
		       st.last_seq, st.last_hlc, st.graph_applied_seq);
		if (cli_status_sinks(db, 1) != CLI_OK)
			return CLI_ERROR;
		printf("}\n");
		return CLI_OK;
	}
	printf("site         %s\n", st.site_id);
	if (st.schema_name[0])
		printf("schema       %s version %lld (%d tables and labels)\n",
		       st.schema_name, st.schema_version, st.tables);
	else
		printf("schema       none (outpost schema apply FILE)\n");
	printf("change log   %lld entries, last seq %lld\n", st.log_entries,
	       st.last_seq);
	printf("graph        applied up to seq %lld\n", st.graph_applied_seq);
	return cli_status_sinks(db, 0);
}

/* `outpost pull --neo4j --labels L... --types T...` */
static int cmd_pull(outpost *db, int argc, char **argv)
{
	outpost_neo4j_pull_opts o = OUTPOST_NEO4J_PULL_OPTS_INIT;
	outpost_neo4j_pull_result r;
	const char **labels = calloc((size_t)argc, sizeof(char *));
	const char **types = calloc((size_t)argc, sizeof(char *));
	int i, neo4j = 0, rc = CLI_OK;
	const char ***list = NULL;
	size_t *n = NULL;

	if (!labels || !types) {
		free(labels);
		free(types);
		return cli_fail("out of memory");
	}
	for (i = 1; rc == CLI_OK && i < argc; i++) {
		if (!strcmp(argv[i], "--neo4j")) {
			neo4j = 1;
			list = NULL;
		} else if (!strcmp(argv[i], "--labels")) {
			list = &labels;
			n = &o.nlabels;
		} else if (!strcmp(argv[i], "--types")) {
			list = &types;
			n = &o.ntypes;
		} else if (!strcmp(argv[i], "--page") && i + 1 < argc) {
			o.page = strtoll(argv[++i], NULL, 10);
			list = NULL;
		} else if (list && argv[i][0] != '-') {
			(*list)[(*n)++] = argv[i];
		} else {
			rc = cli_usage("pull: unknown option %s", argv[i]);
		}
	}
	if (rc == CLI_OK && !neo4j)
		rc = cli_usage("pull needs --neo4j (the only source so far)");
	if (rc == CLI_OK && !o.nlabels && !o.ntypes)
		rc = cli_usage("pull needs --labels L... and/or --types T...");
	o.labels = labels;
	o.types = types;
	memset(&r, 0, sizeof(r));
	r.version = OUTPOST_NEO4J_PULL_RESULT_VERSION;
	if (rc == CLI_OK && outpost_neo4j_pull(&r, db, &o) != OUTPOST_OK)
		rc = cli_fail(outpost_errmsg(db));
	if (rc == CLI_OK) {
		printf("pulled from neo4j: %lld nodes (%lld new, %lld changed, "
		       "%lld removed), %lld relationships (%lld new, %lld "
		       "changed, %lld removed)\n", r.nodes, r.nodes_new,
		       r.nodes_changed, r.nodes_removed, r.rels, r.rels_new,
		       r.rels_changed, r.rels_removed);
		if (r.uuids_assigned)
			printf("uuids given in neo4j: %lld\n",
			       r.uuids_assigned);
		if (r.kept)
			printf("kept local changes not yet pushed to neo4j: "
			       "%lld nodes or relationships (sync sends "
			       "them)\n", r.kept);
		if (r.skipped)
			fprintf(stderr, "warning: %lld undeclared properties "
				"skipped (first: %s)\n", r.skipped,
				r.skipped_first);
	}
	free(labels);
	free(types);
	return rc;
}

static int dispatch(const char *dir, int argc, char **argv)
{
	outpost *db = NULL;
	int rc;
	size_t i;

	for (i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
		if (!strcmp(argv[0], helps[i].cmd) && wants_help(argc, argv)) {
			fputs(helps[i].help, stdout);
			return CLI_OK;
		}
	if (!strcmp(argv[0], "init"))
		return cmd_init(dir, argc, argv);
	if (!strcmp(argv[0], "central")) /* needs no store */
		return cli_central(argc, argv);
	if (strcmp(argv[0], "schema") && strcmp(argv[0], "sql") &&
	    strcmp(argv[0], "log") && strcmp(argv[0], "status") &&
	    strcmp(argv[0], "graph") && strcmp(argv[0], "import") &&
	    strcmp(argv[0], "remote") && strcmp(argv[0], "sync") &&
	    strcmp(argv[0], "pull"))
		return cli_usage("unknown command \"%s\"", argv[0]);
	if (open_store(&db, dir) != OUTPOST_OK)
		return CLI_ERROR;
	if (!strcmp(argv[0], "schema"))
		rc = cmd_schema(db, argc, argv);
	else if (!strcmp(argv[0], "sql"))
		rc = cmd_sql(db, argc, argv);
	else if (!strcmp(argv[0], "log"))
		rc = cli_log(db, argc, argv);
	else if (!strcmp(argv[0], "graph"))
		rc = cli_graph(db, argc, argv);
	else if (!strcmp(argv[0], "import"))
		rc = cli_import(db, argc, argv);
	else if (!strcmp(argv[0], "remote"))
		rc = cli_remote(db, argc, argv);
	else if (!strcmp(argv[0], "sync"))
		rc = cli_sync(db, argc, argv);
	else if (!strcmp(argv[0], "pull"))
		rc = cmd_pull(db, argc, argv);
	else
		rc = cmd_status(db, argc, argv);
	outpost_close(db);
	return rc;
}

int main(int argc, char **argv)
{
	const char *dir = getenv("OUTPOST_DIR");
	int i = 1;

	if (!dir || !*dir)
		dir = ".outpost";
	while (i < argc && argv[i][0] == '-') {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(usage_text, stdout);
			return CLI_OK;
		}
		if (!strcmp(argv[i], "-d") && i + 1 < argc) {
			dir = argv[i + 1];
			i += 2;
			continue;
		}
		return cli_usage("unknown option %s", argv[i]);
	}
	if (i >= argc) {
		fputs(usage_text, stderr);
		return CLI_USAGE;
	}
	return dispatch(dir, argc - i, argv + i);
}
