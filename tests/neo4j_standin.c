/* neo4j_standin.c - the per-test Query API v2 stand-in and the Cypher
 * linter (neo4j_harness.h): both are Node scripts in tests/neo4j/
 * (standin.mjs, lint.mjs), found through OUTPOST_NEO4J_TOOLS, which the
 * Makefile sets. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "neo4j_harness.h"

static const char *tools(void)
{
	const char *d = getenv("OUTPOST_NEO4J_TOOLS");

	return d && *d ? d : "tests/neo4j";
}

static void exec_standin(struct t *t, const struct t_standin *s,
			 const char *faults_json)
{
	char script[512], port_file[512], log[512];
	int fd;

	t_path(log, t, "standin.log");
	t_path(port_file, t, "standin.port");
	snprintf(script, sizeof(script), "%s/standin.mjs", tools());
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		_exit(126);
	dup2(fd, 1);
	dup2(fd, 2);
	close(fd);
	/* secrets go by the environment, never the command line */
	setenv("NEO4J_STANDIN_UPSTREAM_PASSWORD", t_neo4j_password(), 1);
	setenv("NEO4J_STANDIN_PASSWORD", t_neo4j_password(), 1);
	setenv("NEO4J_STANDIN_TOKEN", s->token, 1);
	if (faults_json)
		setenv("NEO4J_STANDIN_FAULTS", faults_json, 1);
	else
		unsetenv("NEO4J_STANDIN_FAULTS");
	execlp("node", "node", script, "--upstream", t_neo4j_url(), "--user",
	       T_NEO4J_USER, "--port-file", port_file, "--deadline", "900",
	       (char *)NULL);
	fprintf(stderr, "cannot run node (tools/install-deps installs "
		"nodejs): %s\n", strerror(errno));
	_exit(127);
}

/* The port it wrote, once it listens; 0 if it exited or took too long. */
static int wait_port(struct t *t, pid_t pid)
{
	char path[512];
	int i, status, port = 0;
	FILE *f;

	t_path(path, t, "standin.port");
	for (i = 0; i < 300 && !port; i++) {
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%d", &port) != 1)
				port = 0;
			fclose(f);
		}
		if (!port && waitpid(pid, &status, WNOHANG) == pid)
			return 0;
		if (!port)
			t_sleep_ms(100);
	}
	return port;
}

int t_standin_start(struct t *t, struct t_standin *s,
		    const char *faults_json)
{
	char log[512], *why = NULL;
	unsigned char r[12];
	size_t i;
	int fd;

	memset(s, 0, sizeof(*s));
	if (t_neo4j_start(t) != 0)
		return -1;
	fd = open("/dev/urandom", O_RDONLY);
	if (fd < 0 || read(fd, r, sizeof(r)) != (ssize_t)sizeof(r))
		memset(r, 7, sizeof(r));
	if (fd >= 0)
		close(fd);
	for (i = 0; i < sizeof(r); i++)
		snprintf(s->token + 2 * i, 3, "%02x", r[i]);
	fflush(NULL);
	s->pid = fork();
	if (s->pid == 0)
		exec_standin(t, s, faults_json);
	s->port = s->pid > 0 ? wait_port(t, s->pid) : 0;
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
	if (s->port > 0)
		return 0;
	t_path(log, t, "standin.log");
	t_sh(&why, "cat '%s'", log);
	t_fail(t, __FILE__, __LINE__, "the Query API stand-in did not start: "
	       "%s", why ? why : "(no output)");
	free(why);
	t_standin_stop(s);
	return -1;
}

int t_standin_faults(struct t_standin *s, const char *rules_json)
{
	char url[128];
	struct t_http r;
	int ok;

	snprintf(url, sizeof(url), "%s/_standin/faults", s->url);
	ok = t_http(&r, "POST", url, NULL, "application/json", NULL,
		    rules_json) == 0 &&
	     r.status == 200;
	t_http_free(&r);
	return ok ? 0 : -1;
}

char *t_standin_get(struct t_standin *s, const char *what)
{
	char url[128];
	struct t_http r;

	snprintf(url, sizeof(url), "%s/_standin/%s", s->url, what);
	if (t_http(&r, "GET", url, NULL, NULL, NULL, NULL) == 0 &&
	    r.status == 200)
		return r.body;
	t_http_free(&r);
	return NULL;
}

void t_standin_stop(struct t_standin *s)
{
	t_stop_child(&s->pid);
}

int t_cypher_lint_run(char **out, const char *dir, const char *const *stmts,
		      size_t n)
{
	cJSON *a = cJSON_CreateArray();
	char path[512], *text = NULL;
	size_t i;
	int rc = -1;

	*out = NULL;
	for (i = 0; a && i < n; i++)
		if (!cJSON_AddItemToArray(a, cJSON_CreateString(stmts[i])))
			break;
	if (i == n)
		text = cJSON_PrintUnformatted(a);
	cJSON_Delete(a);
	snprintf(path, sizeof(path), "%s/cypher-lint.json", dir);
	if (text && t_write(path, text) == 0)
		rc = t_sh(out, "node '%s/lint.mjs' --json '%s'", tools(), path);
	free(text);
	return rc;
}

int t_cypher_lint(struct t *t, const char *const *stmts, size_t n)
{
	char *out = NULL;
	int rc = t_cypher_lint_run(&out, t->dir, stmts, n);

	if (rc != 0)
		t_fail(t, __FILE__, __LINE__, "%s:\n%s",
		       rc == 1 ? "Cypher lint found errors"
			       : "the Cypher linter did not run",
		       out ? out : "(no output)");
	free(out);
	return rc == 0 ? 0 : -1;
}
