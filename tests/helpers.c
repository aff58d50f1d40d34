/* helpers.c - shared test helpers: paths, files, shell commands, stores. */
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "check.h"

void t_path(char out[512], const struct t *t, const char *name)
{
	snprintf(out, 512, "%s/%s", t->dir, name);
}

void t_schema(char out[512], const char *name)
{
	const char *dir = getenv("OUTPOST_SCHEMAS");

	snprintf(out, 512, "%s/%s", dir ? dir : "schema", name);
}

void t_expand(char *out, size_t n, const char *tmpl, const char *path)
{
	size_t len = 0, pl = strlen(path);

	for (; *tmpl && len + pl + 1 < n; tmpl++) {
		if (*tmpl == '@') {
			memcpy(out + len, path, pl);
			len += pl;
		} else {
			out[len++] = *tmpl;
		}
	}
	out[len] = '\0';
}

const char *t_bin(void)
{
	const char *b = getenv("OUTPOST_BIN");

	return b ? b : "./outpost";
}

int t_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return -1;
	rc = fputs(text, f) < 0;
	return fclose(f) != 0 || rc ? -1 : 0;
}

int t_sh(char **out, const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	FILE *p;
	size_t len = 0, cap = 4096, r;
	char *buf;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - 8, fmt, ap);
	va_end(ap);
	memcpy(cmd + strlen(cmd), " 2>&1", 6); /* vsnprintf left room */
	p = popen(cmd, "r");
	if (!p)
		return -1;
	buf = malloc(cap);
	while (buf && (r = fread(buf + len, 1, cap - len - 1, p)) > 0) {
		len += r;
		if (len + 1 == cap) {
			char *g = realloc(buf, cap *= 2);

			if (!g) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = g;
		}
	}
	if (buf)
		buf[len] = '\0';
	status = pclose(p);
	if (out)
		*out = buf;
	else
		free(buf);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

outpost *t_store(struct t *t, const char *schema_name)
{
	char dir[512], schema[512];
	outpost *db = NULL;

	t_path(dir, t, "store");
	if (outpost_init(&db, dir, NULL) != OUTPOST_OK) {
		fprintf(stderr, "init: %s\n", outpost_errmsg(db));
		outpost_close(db);
		return NULL;
	}
	if (schema_name) {
		t_schema(schema, schema_name);
		if (outpost_schema_apply(db, schema) != OUTPOST_OK) {
			fprintf(stderr, "apply: %s\n", outpost_errmsg(db));
			outpost_close(db);
			return NULL;
		}
	}
	return db;
}

static int first_int(void *ctx, int n, const char *const *names,
		     const outpost_value *v)
{
	(void)names;
	if (n > 0 && v[0].type == OUTPOST_INTEGER)
		*(long long *)ctx = v[0].i;
	return 1;
}

int t_first_text(void *ctx, int n, const char *const *names,
		 const outpost_value *v)
{
	(void)names;
	if (n > 0 && v[0].type == OUTPOST_TEXT)
		snprintf(ctx, T_TEXT_MAX, "%s", v[0].s);
	else if (n > 0 && v[0].type == OUTPOST_NULL)
		snprintf(ctx, T_TEXT_MAX, "(null)");
	return 1;
}

const char *t_text(outpost *db, const char *sql, char out[T_TEXT_MAX])
{
	out[0] = '\0';
	if (outpost_sql(db, sql, NULL, 0, t_first_text, out) != OUTPOST_OK)
		snprintf(out, T_TEXT_MAX, "(error: %s)", outpost_errmsg(db));
	return out;
}

long long t_int(outpost *db, const char *sql)
{
	long long v = -1;

	if (outpost_sql(db, sql, NULL, 0, first_int, &v) != OUTPOST_OK)
		return -1;
	return v;
}

static int count_edge(void *ctx, const outpost_edge_info *e)
{
	(void)e;
	(*(long long *)ctx)++;
	return 0;
}

long long t_edges(outpost *db, const char *type)
{
	long long n = 0;

	return outpost_graph_edges_each(db, type, count_edge, &n) ==
			       OUTPOST_OK
		       ? n
		       : -1;
}

uint64_t t_rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

unsigned t_rng_below(uint64_t *s, unsigned n)
{
	return (unsigned)(t_rng_next(s) % n);
}

void t_sleep_ms(unsigned ms)
{
	struct timespec ts = {(time_t)(ms / 1000u),
			      (long)(ms % 1000u) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		;
}

void t_stop_child(pid_t *pid)
{
	int i, status;

	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	for (i = 0; i < 50; i++) {
		if (waitpid(*pid, &status, WNOHANG) != 0)
			break;
		t_sleep_ms(100);
	}
	if (i == 50) {
		kill(*pid, SIGKILL);
		waitpid(*pid, &status, 0);
	}
	*pid = 0;
}
