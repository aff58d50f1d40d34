/* capture.c - `make bench`: the cost of change capture. Inserts into a
 * synced lww table (capture on: triggers, change log, column clocks) and
 * into the same table declared local_only (capture off), in 1-row and in
 * 1,000-row transactions, alternating, and prints medians and ratios. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "outpost.h"

#define RUNS 11
#define SMALL_TXNS 200
#define BIG_TXNS 30
#define BIG_ROWS 1000

static const char schema_fmt[] =
	"{\"schema\": \"bench\", \"version\": 1, \"tables\": {%s}}";
static const char table_fmt[] =
	"\"%s\": {\"columns\": {"
	"\"id\": {\"type\": \"uuid\", \"primary_key\": true},"
	"\"child_id\": {\"type\": \"uuid\", \"not_null\": true},"
	"\"learning_point_id\": {\"type\": \"uuid\", \"not_null\": true},"
	"\"status\": {\"type\": \"text\", \"not_null\": true},"
	"\"score\": {\"type\": \"integer\"},"
	"\"ease\": {\"type\": \"real\"},"
	"\"updated_at\": {\"type\": \"timestamp\", \"default\": \"now\"}},"
	"\"indexes\": [{\"columns\": [\"child_id\", \"status\"]}],"
	"\"sync\": %s}";

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One measurement: wall seconds and this process's CPU seconds. */
struct cost {
	double wall;
	double cpu;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* Cost of `txns` transactions of `rows` rows each into table. */
static struct cost run(outpost *db, const char *table, int txns, int rows)
{
	char sql[1024];
	double w0, c0;
	struct cost c;
	int i;

	snprintf(sql, sizeof(sql),
		 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
		 "FROM n WHERE i < %d) INSERT INTO %s(child_id, "
		 "learning_point_id, status, score, ease) SELECT "
		 "outpost_uuid(), outpost_uuid(), 'learning', i, i / 7.0 "
		 "FROM n",
		 rows, table);
	w0 = clock_s(CLOCK_MONOTONIC);
	c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	for (i = 0; i < txns; i++)
		if (outpost_sql(db, sql, NULL, 0, NULL, NULL) != OUTPOST_OK) {
			fprintf(stderr, "bench: %s\n", outpost_errmsg(db));
			exit(1);
		}
	c.wall = (clock_s(CLOCK_MONOTONIC) - w0) / (txns * (double)rows);
	c.cpu = (clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0) / (txns * (double)rows);
	return c;
}

/* Medians of off, on and of the per-run ratio on/off (runs are paired:
 * adjacent in time, so a slow moment of the disk hits both). */
static void report(const char *what, struct cost off[], struct cost on[],
		   double scale, const char *unit)
{
	double w_off[RUNS], w_on[RUNS], w_r[RUNS], c_off[RUNS], c_on[RUNS],
		c_r[RUNS];
	int r;

	for (r = 0; r < RUNS; r++) {
		w_off[r] = off[r].wall;
		w_on[r] = on[r].wall;
		w_r[r] = on[r].wall / off[r].wall;
		c_off[r] = off[r].cpu;
		c_on[r] = on[r].cpu;
		c_r[r] = on[r].cpu / off[r].cpu;
	}
	printf("%-24s wall %9.2f %s %9.2f %s %6.2fx   cpu %9.2f %s %9.2f %s "
	       "%6.2fx\n",
	       what, median(w_off, RUNS) * scale, unit,
	       median(w_on, RUNS) * scale, unit, median(w_r, RUNS),
	       median(c_off, RUNS) * scale, unit, median(c_on, RUNS) * scale,
	       unit, median(c_r, RUNS));
}

static outpost *setup(const char *dir)
{
	char tables[2100], on[1024], off[1024], schema[2200], path[1024];
	outpost *db = NULL;
	FILE *f;

	snprintf(on, sizeof(on), table_fmt, "captured",
		 "{\"conflict\": \"lww\"}");
	snprintf(off, sizeof(off), table_fmt, "uncaptured",
		 "{\"local_only\": true}");
	snprintf(tables, sizeof(tables), "%s, %s", on, off);
	snprintf(schema, sizeof(schema), schema_fmt, tables);
	snprintf(path, sizeof(path), "%s.schema.json", dir);
	f = fopen(path, "w");
	if (!f || fputs(schema, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	if (outpost_init(&db, dir, NULL) != OUTPOST_OK ||
	    outpost_schema_apply(db, path) != OUTPOST_OK) {
		fprintf(stderr, "bench: %s\n", outpost_errmsg(db));
		exit(1);
	}
	return db;
}

int main(int argc, char **argv)
{
	struct cost small[2][RUNS], big[2][RUNS];
	const char *tables[2] = {"uncaptured", "captured"};
	char cmd[1100];
	outpost *db;
	int r, k;

	if (argc != 2) {
		fprintf(stderr, "usage: bench-capture SCRATCH_DIR\n");
		return 2;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s.schema.json'", argv[1],
		 argv[1]);
	if (system(cmd) != 0)
		return 1;
	db = setup(argv[1]);
	run(db, "captured", 5, BIG_ROWS); /* warm the page cache */
	run(db, "uncaptured", 5, BIG_ROWS);
	for (r = 0; r < RUNS; r++)
		for (k = 0; k < 2; k++) {
			/* Alternate which goes first, so drift hits both. */
			int which = (r + k) % 2;

			small[which][r] = run(db, tables[which], SMALL_TXNS, 1);
			big[which][r] = run(db, tables[which], BIG_TXNS,
					    BIG_ROWS);
		}
	printf("capture overhead: an lww table with capture on vs the same "
	       "table local_only\n(WAL, synchronous=FULL; medians of %d "
	       "paired runs; ratio = median of per-run on/off)\n\n", RUNS);
	printf("%-24s      %12s %12s %7s       %12s %12s %7s\n", "",
	       "off", "on", "ratio", "off", "on", "ratio");
	report("1-row txns, per txn", small[0], small[1], 1e6, "us");
	report("1,000-row txns, per row", big[0], big[1], 1e6, "us");
	printf("\ntarget: <= 1.50x for 1,000-row transactions "
	       "(cr-sqlite reports about 2.5x)\n");
	outpost_close(db);
	return 0;
}
