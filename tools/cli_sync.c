/* cli_sync.c - `outpost remote set`, `outpost sync [--watch]` and the
 * sinks part of `outpost status`. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char cli_remote_help[] =
	"usage: outpost [-d DIR] remote set --pg CONNINFO [--password-file "
	"FILE]\n"
	"       outpost [-d DIR] remote set --neo4j URL [--database NAME] "
	"[--user USER]\n"
	"                 [--password-file FILE | --token-file FILE] "
	"[--ca-file FILE]\n"
	"Point the store at central PostgreSQL (what `outpost central "
	"add-device`\nprinted). CONNINFO is libpq's (\"host=... port=... "
	"dbname=... user=...\"\nor postgresql://...) without a password. The "
	"password is read from FILE\n(mode 0600; kept in the store's keys, "
	"0600), or from OUTPOST_PG_PASSWORD\nat sync time. Nothing is "
	"contacted until `outpost sync`.\n"
	"--neo4j: mirror node labels and relationship types to Neo4j "
	"(http(s)://host:port;\ndatabase default neo4j, user default "
	"neo4j). The password or Bearer token is\nread from FILE (0600; kept "
	"in the store's keys, 0600), or at sync time from\n"
	"OUTPOST_NEO4J_PASSWORD or OUTPOST_NEO4J_TOKEN (and OUTPOST_NEO4J_USER)."
	"\n";

static int remote_neo4j(outpost *db, const outpost_neo4j_remote *r)
{
	if (outpost_remote_set_neo4j(db, r) != OUTPOST_OK)
		return cli_fail(outpost_errmsg(db));
	printf("remote set: neo4j %s (database %s)%s\n", r->url,
	       r->database ? r->database : "neo4j",
	       r->password_file || r->token_file
		       ? " (secret kept in the store's keys, 0600)"
		       : "");
	return CLI_OK;
}

const char cli_sync_help[] =
	"usage: outpost [-d DIR] sync [--watch] [--interval SECONDS] "
	"[--batch N]\n                            [--batch-bytes N]\n"
	"Push this store's changes to central PostgreSQL, then pull the "
	"others'.\nEvery batch is all or nothing on both sides: an interrupted "
	"sync loses\nnothing and applies nothing twice. --watch keeps syncing "
	"every --interval\nseconds (default 30), waits longer after each "
	"failure (up to 5 minutes),\nand stops cleanly on SIGINT or SIGTERM. "
	"Exit 1 if a one-off sync failed.\nA batch holds at most --batch "
	"changes (default 10000) and about\n--batch-bytes of values (default "
	"8 MiB; a larger single change goes alone).\n"
	"With a Neo4j mirror set (remote set --neo4j), the store's node and "
	"relationship\nchanges are then pushed to it as well (requests of "
	"--batch changes, default\n1000, halved when Neo4j finds one too "
	"big); with only a mirror set, only that.\n";

int cli_remote(outpost *db, int argc, char **argv)
{
	const char *pg = NULL, *pwfile = NULL;
	outpost_neo4j_remote nr = OUTPOST_NEO4J_REMOTE_INIT;
	int i;

	if (argc < 2 || strcmp(argv[1], "set") != 0)
		return cli_usage("remote needs: set --pg CONNINFO "
				 "[--password-file FILE] or set --neo4j URL");
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--pg") && i + 1 < argc)
			pg = argv[++i];
		else if (!strcmp(argv[i], "--password-file") && i + 1 < argc)
			pwfile = argv[++i];
		else if (!strcmp(argv[i], "--neo4j") && i + 1 < argc)
			nr.url = argv[++i];
		else if (!strcmp(argv[i], "--database") && i + 1 < argc)
			nr.database = argv[++i];
		else if (!strcmp(argv[i], "--user") && i + 1 < argc)
			nr.user = argv[++i];
		else if (!strcmp(argv[i], "--token-file") && i + 1 < argc)
			nr.token_file = argv[++i];
		else if (!strcmp(argv[i], "--ca-file") && i + 1 < argc)
			nr.ca_file = argv[++i];
		else
			return cli_usage("remote set: unknown option %s",
					 argv[i]);
	}
	if (pg && nr.url)
		return cli_usage("remote set: one remote at a time (--pg or "
				 "--neo4j)");
	if (nr.url) {
		nr.password_file = pwfile;
		return remote_neo4j(db, &nr);
	}
	if (nr.database || nr.user || nr.token_file || nr.ca_file)
		return cli_usage("remote set: --database, --user, "
				 "--token-file and --ca-file go with --neo4j");
	if (!pg)
		return cli_usage("remote set needs --pg CONNINFO or --neo4j "
				 "URL");
	if (outpost_remote_set_pg(db, pg, pwfile) != OUTPOST_OK)
		return cli_fail(outpost_errmsg(db));
	printf("remote set: %s%s\n", pg,
	       pwfile ? " (password kept in the store's keys, 0600)"
		      : " (no --password-file: a password kept before stays; "
			"OUTPOST_PG_PASSWORD at sync time goes first)");
	return CLI_OK;
}

static volatile sig_atomic_t stop_asked;

static void on_signal(int sig)
{
	(void)sig;
	stop_asked = 1;
}

static int should_stop(void *ctx)
{
	(void)ctx;
	return stop_asked != 0;
}

static void report(const outpost_sync_result *r)
{
	printf("synced: pushed %lld, pulled %lld (%lld batch%s)", r->pushed,
	       r->pulled, r->batches, r->batches == 1 ? "" : "es");
	if (r->neo4j_pushed)
		printf("; neo4j: pushed %lld", r->neo4j_pushed);
	printf("\n");
	fflush(stdout);
}

static int on_round(void *ctx, int rc, const outpost_sync_result *r,
		    unsigned wait_ms)
{
	outpost *db = ctx;

	if (rc == OUTPOST_OK) {
		if (r->pushed || r->pulled || r->neo4j_pushed)
			report(r);
	} else {
		fprintf(stderr, "outpost: sync: %s (%s; again in %u s)\n",
			outpost_errmsg(db),
			r->transient ? "remote unreachable" : "refused",
			(wait_ms + 999) / 1000);
	}
	return stop_asked != 0;
}

int cli_sync(outpost *db, int argc, char **argv)
{
	outpost_sync_opts opts = OUTPOST_SYNC_OPTS_INIT;
	outpost_sync_result res = {OUTPOST_SYNC_RESULT_VERSION, 0, 0, 0, 0, 0};
	long interval = 30;
	int watch = 0, i;

	for (i = 1; i < argc; i++) {
		char *end = NULL;

		if (!strcmp(argv[i], "--watch"))
			watch = 1;
		else if (!strcmp(argv[i], "--interval") && i + 1 < argc) {
			interval = strtol(argv[++i], &end, 10);
			if (*end || interval < 1 || interval > 86400)
				return cli_usage("--interval takes 1 to 86400 "
						 "seconds");
		} else if (!strcmp(argv[i], "--batch") && i + 1 < argc) {
			opts.batch = strtoll(argv[++i], &end, 10);
			if (*end || opts.batch < 1 || opts.batch > 1000000)
				return cli_usage("--batch takes 1 to 1000000");
		} else if (!strcmp(argv[i], "--batch-bytes") && i + 1 < argc) {
			opts.batch_bytes = strtoll(argv[++i], &end, 10);
			if (*end || opts.batch_bytes < 1024 ||
			    opts.batch_bytes > (1LL << 30))
				return cli_usage("--batch-bytes takes 1024 to "
						 "1073741824");
		} else
			return cli_usage("sync: unknown option %s", argv[i]);
	}
	if (!watch) {
		if (outpost_sync(db, &opts, &res) == OUTPOST_OK) {
			report(&res);
			return CLI_OK;
		}
		/* Central away or gone mid-batch: say that it costs nothing. */
		if (res.transient) {
			char msg[1024];

			snprintf(msg, sizeof(msg), "%s (central could not be "
				 "reached or went away; nothing was lost or "
				 "applied twice: sync again, or keep `sync "
				 "--watch` running)", outpost_errmsg(db));
			return cli_fail(msg);
		}
		return cli_fail(outpost_errmsg(db));
	}
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	if (outpost_sync_watch(db, &opts, (unsigned)interval * 1000u, on_round,
			       should_stop, db) != OUTPOST_OK)
		return cli_fail(outpost_errmsg(db));
	fprintf(stderr, "outpost: sync --watch stopped\n");
	return CLI_OK;
}

int cli_status_sinks(outpost *db, int json)
{
	static const char *const names[] = {"pg", "neo4j"};
	outpost_sink_status s[2];
	int i, n = 0;

	for (i = 0; i < 2; i++) {
		s[i].version = OUTPOST_SINK_STATUS_VERSION;
		if (outpost_sink_status_get(&s[i], db, names[i]) != OUTPOST_OK)
			return cli_fail(outpost_errmsg(db));
	}
	if (json) {
		printf("\"sinks\": [");
		for (i = 0; i < 2; i++) {
			if (!s[i].configured)
				continue;
			printf("%s{\"name\": \"%s\", \"remote\": ",
			       n++ ? ", " : "", names[i]);
			cli_json_string(stdout, s[i].remote);
			printf(", \"pending\": %lld, \"push_seq\": %lld, "
			       "\"pull_seq\": %lld, \"last_ok\": ",
			       s[i].pending, s[i].push_seq, s[i].pull_seq);
			cli_json_string(stdout, s[i].last_ok);
			printf(", \"last_error\": ");
			cli_json_string(stdout, s[i].last_error);
			printf("}");
		}
		printf("]");
		return CLI_OK;
	}
	for (i = 0; i < 2; i++) {
		if (!s[i].configured)
			continue;
		n++;
		printf("sink %-7s %s\n", names[i], s[i].remote);
		printf("  pending    %lld change%s to push\n", s[i].pending,
		       s[i].pending == 1 ? "" : "s");
		printf("  last ok    %s\n",
		       s[i].last_ok[0] ? s[i].last_ok : "never");
		printf("  last error %s\n",
		       s[i].last_error[0] ? s[i].last_error : "none");
	}
	if (!n)
		printf("sinks        none configured (offline; everything is "
		       "local)\n");
	return CLI_OK;
}
