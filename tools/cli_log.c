/* cli_log.c - `outpost log`: the change log, filterable. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

struct log_out {
	int json;
	long long n;
};

static void hlc_text(char *out, size_t n, unsigned long long hlc)
{
	unsigned long long ms = hlc >> 16;
	time_t secs = (time_t)(ms / 1000u);
	struct tm tm;

	if (!gmtime_r(&secs, &tm)) {
		snprintf(out, n, "%llu", hlc);
		return;
	}
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ+%u",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000u),
		 (unsigned)(hlc & 0xffffu));
}

static int print_change(void *ctx, const outpost_change *c)
{
	struct log_out *o = ctx;
	char when[64];

	hlc_text(when, sizeof(when), c->hlc);
	if (o->json) {
		printf("%s{\"seq\": %lld, \"hlc\": \"%llu\", \"time\": ",
		       o->n ? ",\n  " : "\n  ", c->seq, c->hlc);
		cli_json_string(stdout, when);
		printf(", \"site\": \"%s\", \"table\": ", c->site);
		cli_json_string(stdout, c->table ? c->table : "");
		printf(", \"op\": \"%c\", \"row\": ", c->op);
		cli_json_string(stdout, c->row_id ? c->row_id : "");
		printf(", \"values\": %s}", c->values ? c->values : "null");
	} else {
		printf("%-6lld %-28s %.8s %-24s %c %s %s\n", c->seq, when,
		       c->site, c->table ? c->table : "", c->op,
		       c->row_id ? c->row_id : "",
		       c->values ? c->values : "");
	}
	o->n++;
	return 0;
}

static int parse_op(const char *s, char *out)
{
	if (!strcmp(s, "I") || !strcmp(s, "insert"))
		*out = 'I';
	else if (!strcmp(s, "U") || !strcmp(s, "update"))
		*out = 'U';
	else if (!strcmp(s, "D") || !strcmp(s, "delete"))
		*out = 'D';
	else
		return -1;
	return 0;
}

static int parse_count(const char *s, long long *out)
{
	char *end;

	*out = strtoll(s, &end, 10);
	return *s && !*end && *out >= 0 ? 0 : -1;
}

int cli_log(outpost *db, int argc, char **argv)
{
	outpost_log_filter f = OUTPOST_LOG_FILTER_INIT;
	struct log_out o = {0, 0};
	int i, rc, bad = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--json")) {
			o.json = 1;
			continue;
		}
		if (!strcmp(a, "--newest")) {
			f.newest_first = 1;
			continue;
		}
		if (!v)
			return cli_usage("log: unknown option or missing "
					 "value: %s", a);
		if (!strcmp(a, "--table"))
			f.table = v;
		else if (!strcmp(a, "--row"))
			f.row_id = v;
		else if (!strcmp(a, "--op"))
			bad = parse_op(v, &f.op);
		else if (!strcmp(a, "--after"))
			bad = parse_count(v, &f.after_seq);
		else if (!strcmp(a, "--limit"))
			bad = parse_count(v, &f.limit);
		else
			bad = -1;
		if (bad)
			return cli_usage("log: bad option %s %s", a, v);
		i++;
	}
	if (o.json)
		fputs("[", stdout);
	else
		printf("%-6s %-28s %-8s %-24s %s %s\n", "seq", "hlc", "site",
		       "table", "op", "row / values");
	rc = outpost_log_each(db, &f, print_change, &o);
	if (o.json)
		fputs(o.n ? "\n]\n" : "]\n", stdout);
	if (rc != OUTPOST_OK)
		return cli_fail(outpost_errmsg(db));
	return CLI_OK;
}
