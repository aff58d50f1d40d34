/* runner.c - runs every test in list.h (or those whose module matches
 * argv[1]), each in a forked process with a fresh temporary directory, and
 * ends with one line "N passed, N failed". Exits 1 if anything failed. */
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "neo4j_harness.h"
#include "pg_harness.h"

static const struct {
	const char *module;
	const char *name;
	void (*fn)(struct t *);
} tests[] = {
#define TEST(module, name) {#module, #name, test_##module##_##name},
#include "list.h"
#undef TEST
};

#define TEST_TIMEOUT_S 300

void t_fail(struct t *t, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "FAIL %s: %s:%d: ", t->name, file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	t->failed = 1;
}

static int run_one(size_t i)
{
	struct t t = {0};
	char full[128];
	pid_t pid;
	int status = 0;

	snprintf(full, sizeof(full), "%s_%s", tests[i].module, tests[i].name);
	snprintf(t.dir, sizeof(t.dir), "%s/outpost-test-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(t.dir)) {
		perror("mkdtemp");
		return 0;
	}
	t.name = full;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		alarm(TEST_TIMEOUT_S);
		tests[i].fn(&t);
		fflush(NULL);
		_exit(t.failed ? 1 : 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		status = -1;
	if (WIFSIGNALED(status))
		fprintf(stderr, "FAIL %s: killed by signal %d\n", full,
			WTERMSIG(status));
	if (status == 0) {
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t.dir);
		if (system(cmd) != 0)
			fprintf(stderr, "warning: could not remove %s\n", t.dir);
	} else {
		fprintf(stderr, "     (its directory is kept: %s)\n", t.dir);
	}
	printf("%s %s\n", status == 0 ? "ok  " : "FAIL", full);
	return status == 0;
}

int main(int argc, char **argv)
{
	size_t i, passed = 0, failed = 0;

	t_pg_setup(); /* a PostgreSQL server only if a test asks for it */
	t_neo4j_setup(); /* so is Neo4j */
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (argc > 1 && argv[1][0] &&
		    strcmp(argv[1], tests[i].module) != 0)
			continue;
		if (run_one(i))
			passed++;
		else
			failed++;
	}
	t_pg_cleanup();
	t_neo4j_cleanup();
	printf("%zu passed, %zu failed\n", passed, failed);
	return failed ? 1 : 0;
}
