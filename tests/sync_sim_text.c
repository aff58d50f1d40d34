/* sync_sim_text.c - dumps as text, one line per row or edge, sorted,
 * compared line by line (sync_sim.h); and central's edges as one. */
#include <stdarg.h>
#include <stdlib.h>
#include <cjson/cJSON.h>

#include "sync_batch.h"
#include "sync_sim.h"

void sim_addf(struct sim_text *b, const char *fmt, ...)
{
	va_list ap;
	int k;

	for (;;) {
		va_start(ap, fmt);
		k = vsnprintf(b->p ? b->p + b->n : NULL,
			      b->p ? b->cap - b->n : 0, fmt, ap);
		va_end(ap);
		if (k < 0)
			abort();
		if (b->p && b->n + (size_t)k < b->cap) {
			b->n += (size_t)k;
			return;
		}
		b->cap = (b->n + (size_t)k + 1) * 2;
		if (!(b->p = realloc(b->p, b->cap)))
			abort();
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *sim_sorted(char *text)
{
	struct sim_text out = {0};
	char **v = NULL, *p, *nl;
	size_t n = 0, i;

	for (p = text; p && *p; p = nl + 1) {
		if (!(nl = strchr(p, '\n')) ||
		    !(v = realloc(v, (n + 1) * sizeof(*v))))
			abort();
		*nl = '\0';
		v[n++] = p;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	sim_addf(&out, "%s", "");
	for (i = 0; i < n; i++)
		sim_addf(&out, "%s\n", v[i]);
	free(v);
	return out.p;
}

void sim_edge_line(struct sim_text *b, const char *head, const char *props)
{
	cJSON *o = props ? cJSON_Parse(props) : NULL, *c;
	struct sim_text f = {0};
	char *v, *p;

	sim_addf(&f, "%s", "");
	cJSON_ArrayForEach(c, o)
	{
		if (cJSON_IsNumber(c))
			sim_addf(&f, "%s=%.17g\n", c->string, c->valuedouble);
		else if (!cJSON_IsNull(c) && (v = cJSON_PrintUnformatted(c))) {
			sim_addf(&f, "%s=%s\n", c->string, v);
			free(v);
		}
	}
	v = sim_sorted(f.p);
	for (p = v; (p = strchr(p, '\n')) != NULL;)
		*p = p[1] ? ',' : '\0';
	sim_addf(b, "%s {%s}\n", head, v);
	free(v);
	free(f.p);
	cJSON_Delete(o);
}

char *sim_central_edges(struct sim *s)
{
	struct sim_text b = {0};
	char *out = NULL, *p, *nl, *sp, *r;
	int k;

	sim_addf(&b, "%s", "");
	if (t_pg_psql(&out, s->c.db, T_PG_ADMIN, NULL, "SELECT uuid || ' ' || "
		      "type || ' ' || from_uuid || ' ' || to_uuid || ' ' || "
		      "coalesce(outpost.enc_ts(valid_from), '-') || ' ' || "
		      "coalesce(outpost.enc_ts(valid_to), '-') || ' ' || "
		      "coalesce(props::text, '{}') FROM outpost.edges") != 0)
		t_fail(s->t, __FILE__, __LINE__, "central edges: %s", out);
	for (p = out; p && (nl = strchr(p, '\n')); p = nl + 1) {
		*nl = '\0';
		for (sp = p, k = 0; k < 6 && sp; k++)
			sp = strchr(sp + 1, ' ');
		if (!sp)
			break;
		*sp = '\0';
		sim_edge_line(&b, p, sp + 1);
	}
	free(out);
	r = sim_sorted(b.p);
	free(b.p);
	return r;
}

int sim_same(struct sim *s, const char *what, const char *a,
	     const char *b)
{
	if (a && b && !strcmp(a, b))
		return 1;
	t_fail(s->t, __FILE__, __LINE__, "seed %llu: %s differ: %s", s->seed,
	       what, a && b ? ts_first_diff(a, b) : "(no dump)");
	return 0;
}

/* The line at *p: its start in *line, its length (without '\n')
 * returned; *p moves past it. *line is NULL at the end. */
static size_t next_line(const char **p, const char **line)
{
	const char *nl = strchr(*p, '\n');
	size_t n = nl ? (size_t)(nl - *p) : strlen(*p);

	*line = **p ? *p : NULL;
	*p += nl ? n + 1 : n;
	return n;
}

static int line_cmp(const char *a, size_t na, const char *b, size_t nb)
{
	int c = memcmp(a, b, na < nb ? na : nb);

	return c ? c : na < nb ? -1 : na > nb ? 1 : 0;
}

char *sim_diff(const char *a, const char *b, int max)
{
	struct sim_text d = {0};
	const char *la, *lb;
	size_t na = next_line(&a, &la), nb = next_line(&b, &lb);
	int shown = 0, c;

	sim_addf(&d, "%s", "");
	/* A merge of the two sorted lists: the lines of one only. */
	while (la || lb) {
		c = !la ? 1 : !lb ? -1 : line_cmp(la, na, lb, nb);
		if (c && shown++ < max)
			sim_addf(&d, "%c %.*s\n", c < 0 ? '-' : '+',
				 (int)(c < 0 ? na : nb), c < 0 ? la : lb);
		if (c <= 0)
			na = next_line(&a, &la);
		if (c >= 0)
			nb = next_line(&b, &lb);
	}
	if (shown > max)
		sim_addf(&d, "(and %d more)\n", shown - max);
	return d.p;
}
