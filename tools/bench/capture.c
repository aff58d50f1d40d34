/* capture.c - `make bench`: the cost of change capture. Inserts into a
 * synced lww table (capture on: triggers, change log, column clocks) and
 * into the same table declared local_only (capture off), in 1-row and in
 * 1,000-row transactions, alternating, and prints medians and ratios. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "outpost.h"

#define RUNS 7
#define SMALL_TXNS 300
#define BIG_TXNS 20
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

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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

/* Seconds for `txns` transactions of `rows` rows each into table. */
static double run(outpost *db, const char *table, int txns, int rows)
{
	char sql[1024];
	double t0;
	int i;

	snprintf(sql, sizeof(sql),
		 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
		 "FROM n WHERE i < %d) INSERT INTO %s(child_id, "
		 "learning_point_id, status, score, ease) SELECT "
		 "outpost_uuid(), outpost_uuid(), 'learning', i, i / 7.0 "
		 "FROM n",
		 rows, table);
	t0 = now_s();
	for (i = 0; i < txns; i++)
		if (outpost_sql(db, sql, NULL, 0, NULL, NULL) != OUTPOST_OK) {
			fprintf(stderr, "bench: %s\n", outpost_errmsg(db));
			exit(1);
		}
	return now_s() - t0;
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
	double small[2][RUNS], big[2][RUNS];
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

			small[which][r] = run(db, tables[which], SMALL_TXNS,
					      1) / SMALL_TXNS;
			big[which][r] = run(db, tables[which], BIG_TXNS,
					    BIG_ROWS) / (BIG_TXNS * BIG_ROWS);
		}
	{
		double s_off = median(small[0], RUNS), s_on = median(small[1], RUNS);
		double b_off = median(big[0], RUNS), b_on = median(big[1], RUNS);

		printf("capture overhead: lww table with capture on vs the "
		       "same table local_only\n(medians of %d runs; "
		       "synchronous=FULL, WAL)\n\n", RUNS);
		printf("%-26s %14s %14s %8s\n", "", "capture off", "capture on",
		       "ratio");
		printf("%-26s %11.1f us %11.1f us %7.2fx\n",
		       "1-row txn (per txn)", s_off * 1e6, s_on * 1e6,
		       s_on / s_off);
		printf("%-26s %11.2f us %11.2f us %7.2fx\n",
		       "1,000-row txn (per row)", b_off * 1e6, b_on * 1e6,
		       b_on / b_off);
		printf("%-26s %11.0f/s  %11.0f/s  \n", "1,000-row txn rows/s",
		       1 / b_off, 1 / b_on);
		printf("\ntarget: <= 1.50x for 1,000-row transactions\n");
	}
	outpost_close(db);
	return 0;
}
