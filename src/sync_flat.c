/* sync_flat.c - the values of a row change read without cJSON when
 * they are in the form every capture writes (sync/PROTOCOL.md "Wire
 * form"): one flat JSON object of strings and nulls. A pull decodes
 * every change it gets, and cJSON builds a tree of small allocations
 * for each; for text of this form it gives the same members in the same
 * order, so anything else is left to it (sync_decode.c). */
#include <string.h>

#include "sync_int.h"

static char *skip_ws(char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* A string without escapes at p ("..."): past its closing quote, or
 * NULL if it is not one. */
static char *plain_string(char *p)
{
	if (*p++ != '"')
		return NULL;
	p += strcspn(p, "\"\\");
	return *p == '"' ? p + 1 : NULL;
}

/* Room for pair n (key, value) in x->kv. */
static int kv_room(struct sync_ctx *x, size_t n)
{
	const char **g;
	size_t cap;

	if (2 * n + 2 <= x->kv_cap)
		return 0;
	cap = x->kv_cap ? 2 * x->kv_cap : 32;
	if (!(g = op_realloc(x->kv, cap * sizeof(*g))))
		return -1;
	x->kv = g;
	x->kv_cap = cap;
	return 0;
}

long op_sync_flat_scan(struct sync_ctx *x, char *text)
{
	char *p = skip_ws(text), *q;
	long n = 0;

	if (*p++ != '{')
		return -1;
	p = skip_ws(p);
	if (*p == '}')
		return *skip_ws(p + 1) ? -1 : 0;
	for (;;) {
		if (!(q = plain_string(p)))
			return -1;
		if (kv_room(x, (size_t)n) != 0)
			return -2;
		x->kv[2 * n] = p + 1;
		q[-1] = '\0';
		p = skip_ws(q);
		if (*p++ != ':')
			return -1;
		p = skip_ws(p);
		if (p[0] == 'n' && p[1] == 'u' && p[2] == 'l' && p[3] == 'l') {
			q = p + 4;
			x->kv[2 * n + 1] = NULL;
		} else if ((q = plain_string(p)) != NULL) {
			x->kv[2 * n + 1] = p + 1;
			q[-1] = '\0';
		} else {
			return -1;
		}
		n++;
		p = skip_ws(q);
		if (*p == '}')
			return *skip_ws(p + 1) ? -1 : n;
		if (*p++ != ',')
			return -1;
		p = skip_ws(p);
	}
}
