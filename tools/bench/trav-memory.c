/* trav-memory.c - peak heap of a traversal against what it visits:
 *	trav-memory STORE_DIR NODES_CSV
 * opens a store the bench engine loaded, and for start nodes taken from
 * the dataset's node file runs traversals of growing reach (1, 2, 3 hops,
 * all descendants, everything reachable both ways). The heap in use
 * (glibc mallinfo2) is sampled at every node a traversal hands out, so
 * the peak includes the visited set and level lists at their largest.
 * Printed per traversal kind: the smallest and the largest visit among
 * the start nodes, each with its peak bytes above the baseline. Memory that follows the graph's size
 * instead of the visit would show as a large constant on 1-hop rows. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outpost.h"

#define STARTS 20

struct probe {
	size_t base;
	size_t peak;
};

static size_t heap_now(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static int sample(void *ctx, const char *uuid, int depth)
{
	struct probe *p = ctx;
	size_t h = heap_now();

	(void)uuid;
	(void)depth;
	if (h > p->peak)
		p->peak = h;
	return 0;
}

static int read_starts(const char *path, char starts[STARTS][40])
{
	FILE *f = fopen(path, "r");
	char line[512];
	int n = 0, row = 0;

	if (!f || !fgets(line, sizeof(line), f)) /* header */
		return 0;
	/* Spread over the file: ids early in a curriculum have few
	 * ancestors, late ones many. */
	while (n < STARTS && fgets(line, sizeof(line), f))
		if (row++ % 9973 == 0 && strlen(line) > 36) {
			memcpy(starts[n], line, 36);
			starts[n++][36] = '\0';
		}
	fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int dir, max;
	} kinds[] = {{"out 1 hop", OUTPOST_OUT, 1},
		     {"out 2 hops", OUTPOST_OUT, 2},
		     {"out 3 hops", OUTPOST_OUT, 3},
		     {"in, all ancestors", OUTPOST_IN, 0},
		     {"both, all reachable", OUTPOST_BOTH, 0}};
	char starts[STARTS][40];
	outpost *db = NULL;
	size_t k;
	int n, i;

	if (argc != 3) {
		fprintf(stderr, "usage: trav-memory STORE_DIR NODES_CSV\n");
		return 2;
	}
	n = read_starts(argv[2], starts);
	if (n == 0 || outpost_open(&db, argv[1], NULL) != OUTPOST_OK) {
		fprintf(stderr, "trav-memory: %s\n",
			db ? outpost_errmsg(db) : "no start nodes");
		return 1;
	}
	printf("traversal peak heap (glibc mallinfo2, sampled per node "
	       "visited), %d start nodes each\n", n);
	printf("%-22s %22s %22s\n", "", "smallest visit", "largest visit");
	printf("%-22s %10s %11s %10s %11s\n", "traversal", "nodes",
	       "peak bytes", "nodes", "peak bytes");
	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		long long lo_n = -1, hi_n = -1;
		size_t lo_b = 0, hi_b = 0;

		for (i = 0; i < n; i++) {
			outpost_traversal tr = OUTPOST_TRAVERSAL_INIT;
			struct probe p;
			long long count = 0;

			tr.direction = kinds[k].dir;
			tr.max_depth = kinds[k].max;
			p.base = heap_now();
			p.peak = p.base;
			if (outpost_graph_neighbours(db, &tr, starts[i], sample,
						     &p, &count) != OUTPOST_OK) {
				fprintf(stderr, "trav-memory: %s\n",
					outpost_errmsg(db));
				return 1;
			}
			if (lo_n < 0 || count < lo_n) {
				lo_n = count;
				lo_b = p.peak - p.base;
			}
			if (count > hi_n) {
				hi_n = count;
				hi_b = p.peak - p.base;
			}
		}
		printf("%-22s %10lld %11zu %10lld %11zu\n", kinds[k].name,
		       lo_n, lo_b, hi_n, hi_b);
	}
	outpost_close(db);
	return 0;
}
