/* outpost-engine.c - outpost's engine adapter for ../shared/bench/run.sh:
 *	outpost-engine DATASET_DIR QUERIES_CSV ANSWERS_CSV WORK_DIR
 * loads the dataset with outpost_import into a fresh store, runs the query
 * batches through the public graph API (one snapshot per batch) and prints
 * BENCH lines timed inside this process. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "outpost.h"

static const char bench_schema[] =
	"{\"schema\": \"curriculum\", \"version\": 1,\n"
	" \"nodes\": {\"LearningPoint\": {\"columns\": {\n"
	"   \"uuid\": {\"type\": \"uuid\", \"primary_key\": true},\n"
	"   \"name\": {\"type\": \"text\"},\n"
	"   \"subject\": {\"type\": \"text\"},\n"
	"   \"difficulty\": {\"type\": \"integer\"}},\n"
	"   \"sync\": {\"conflict\": \"central_wins\"}}},\n"
	" \"relationships\": {\n"
	"   \"PREREQUISITE_OF\": {\"from\": \"LearningPoint\", \"to\": "
	"\"LearningPoint\", \"acyclic\": true},\n"
	"   \"RELATED_TO\": {\"from\": \"LearningPoint\", \"to\": "
	"\"LearningPoint\"}}}\n";

struct query {
	long long qid;
	char kind[4];
	char seed[40];
	char target[40];
	char type[64];
	char dir[8];
	int k;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, outpost *db)
{
	fprintf(stderr, "outpost-engine: %s: %s\n", what,
		db ? outpost_errmsg(db) : "failed");
	exit(1);
}

/* Split a plain CSV line (the queries file has no quotes) into f[7]. */
static int split(char *line, char **f, int max)
{
	int n = 0;

	f[n++] = line;
	for (; *line && n < max; line++)
		if (*line == ',') {
			*line = '\0';
			f[n++] = line + 1;
		}
	line[strcspn(line, "\r\n")] = '\0';
	return n;
}

static struct query *read_queries(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	char line[512], *fl[7];
	struct query *q = NULL;
	size_t cap = 0;

	*n = 0;
	if (!f || !fgets(line, sizeof(line), f)) /* header */
		die(path, NULL);
	while (fgets(line, sizeof(line), f)) {
		if (split(line, fl, 7) != 7)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 1024;
			q = realloc(q, cap * sizeof(*q));
			if (!q)
				die("out of memory", NULL);
		}
		q[*n].qid = strtoll(fl[0], NULL, 10);
		snprintf(q[*n].kind, sizeof(q[*n].kind), "%s", fl[1]);
		snprintf(q[*n].seed, sizeof(q[*n].seed), "%s", fl[2]);
		snprintf(q[*n].target, sizeof(q[*n].target), "%s", fl[3]);
		snprintf(q[*n].type, sizeof(q[*n].type), "%s", fl[4]);
		snprintf(q[*n].dir, sizeof(q[*n].dir), "%s", fl[5]);
		q[*n].k = (int)strtol(fl[6], NULL, 10);
		(*n)++;
	}
	fclose(f);
	return q;
}

static int same_batch(const struct query *a, const struct query *b)
{
	return !strcmp(a->kind, b->kind) && !strcmp(a->type, b->type) &&
	       !strcmp(a->dir, b->dir) && a->k == b->k;
}

/* Run queries [from, to) as one batch; answers into ans[]. */
static double run_batch(outpost *db, const struct query *q, size_t from,
			size_t to, long long *ans)
{
	outpost_traversal tr = OUTPOST_TRAVERSAL_INIT;
	const char *types[1] = {q[from].type};
	const char **a = malloc((to - from) * sizeof(*a));
	const char **b = malloc((to - from) * sizeof(*b));
	double t0;
	size_t i;
	int rc;

	if (!a || !b)
		die("out of memory", NULL);
	for (i = from; i < to; i++) {
		a[i - from] = q[i].seed;
		b[i - from] = q[i].target;
	}
	tr.direction = !strcmp(q[from].dir, "out")  ? OUTPOST_OUT
		       : !strcmp(q[from].dir, "in") ? OUTPOST_IN
						    : OUTPOST_BOTH;
	if (strcmp(q[from].type, "*")) {
		tr.types = types;
		tr.ntypes = 1;
	}
	t0 = now_s();
	if (!strcmp(q[from].kind, "Q3")) {
		tr.max_depth = 0;
		rc = outpost_graph_path_many(db, &tr, a, b, to - from,
					     ans + from);
	} else {
		tr.min_depth = 1;
		tr.max_depth = q[from].k; /* 0 for Q2: unbounded */
		rc = outpost_graph_count_many(db, &tr, a, to - from,
					      ans + from);
	}
	t0 = now_s() - t0;
	if (rc != OUTPOST_OK)
		die(q[from].kind, db);
	free(a);
	free(b);
	return t0;
}

static long long dir_bytes(const char *dir)
{
	const char *files[] = {"store.db", "store.db-wal", "graph/data.mdb"};
	char p[1200];
	long long total = 0;
	struct stat st;
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
		if (stat(p, &st) == 0)
			total += (long long)st.st_blocks * 512;
	}
	return total;
}

int main(int argc, char **argv)
{
	char store[1024], schema[1024], nodes[1024], edges[1024];
	const char *nf[1] = {nodes}, *ef[1] = {edges};
	double t0, totals[4] = {0};
	struct query *q;
	long long *ans;
	size_t n, i, j, done[4] = {0};
	outpost *db = NULL;
	FILE *f, *out;

	if (argc != 5) {
		fprintf(stderr, "usage: outpost-engine DATASET_DIR QUERIES_CSV "
			"ANSWERS_CSV WORK_DIR\n");
		return 2;
	}
	mkdir(argv[4], 0700);
	snprintf(store, sizeof(store), "%s/store", argv[4]);
	snprintf(schema, sizeof(schema), "%s/schema.json", argv[4]);
	snprintf(nodes, sizeof(nodes), "%s/nodes.csv", argv[1]);
	snprintf(edges, sizeof(edges), "%s/edges.csv", argv[1]);
	f = fopen(schema, "w");
	if (!f || fputs(bench_schema, f) < 0 || fclose(f))
		die(schema, NULL);
	if (outpost_init(&db, store, NULL) != OUTPOST_OK ||
	    outpost_schema_apply(db, schema) != OUTPOST_OK)
		die("init", db);
	printf("BENCH engine outpost 0.1\n");
	t0 = now_s();
	if (outpost_import(db, nf, 1, ef, 1, NULL) != OUTPOST_OK)
		die("import", db);
	printf("BENCH load %.3f\n", now_s() - t0);
	fflush(stdout);
	q = read_queries(argv[2], &n);
	ans = malloc((n + 1) * sizeof(*ans));
	if (!ans)
		die("out of memory", NULL);
	for (i = 0; i < n; i = j) {
		int kind = q[i].kind[1] - '0';
		double t;

		for (j = i + 1; j < n && same_batch(&q[i], &q[j]); j++)
			;
		t = run_batch(db, q, i, j, ans);
		printf("BENCH batch %s %s %s k=%d n=%zu %.6f\n", q[i].kind,
		       q[i].type, q[i].dir, q[i].k, j - i, t);
		if (kind >= 1 && kind <= 3) {
			totals[kind] += t;
			done[kind] += j - i;
		}
	}
	for (i = 1; i <= 3; i++)
		printf("BENCH Q%zu %.6f n=%zu\n", i, totals[i], done[i]);
	printf("BENCH store_bytes %lld\n", dir_bytes(store));
	out = fopen(argv[3], "w");
	if (!out)
		die(argv[3], NULL);
	fprintf(out, "qid,answer\n");
	for (i = 0; i < n; i++)
		fprintf(out, "%lld,%lld\n", q[i].qid, ans[i]);
	fclose(out);
	free(q);
	free(ans);
	outpost_close(db);
	return 0;
}
