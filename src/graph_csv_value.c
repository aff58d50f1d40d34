/* graph_csv_value.c - the typed accessors of graph_csv.h: a field or an
 * array element (split by ';') read as an int, a double or a bool, with
 * messages naming the column and the element. Graph layer, depends on
 * util only. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "graph_csv_int.h"

/* ---- typed values ---- */

enum value_kind { V_INT, V_DOUBLE, V_BOOL };

static const char *const value_what[] = {"an integer", "a number",
					 "true or false"};

/* s without the spaces and tabs around it: *n bytes from the result. */
static const char *trim(const char *s, size_t *n)
{
	size_t len;

	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	*n = len;
	return s;
}

/* 0, or 1 when s[0..n) is not an integer, 2 when out of range. */
static int parse_int(const char *s, size_t n, int64_t *out)
{
	uint64_t v = 0, limit = (uint64_t)INT64_MAX;
	size_t i = 0;
	int neg = 0;

	if (n > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		limit += neg;
		i++;
	}
	if (i == n)
		return 1;
	for (; i < n; i++) {
		unsigned d = (unsigned)(unsigned char)s[i] - '0';

		if (d > 9)
			return 1;
		if (v > (limit - d) / 10)
			return 2;
		v = v * 10 + d;
	}
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return 0;
}

static size_t digits(const char *s, size_t i, size_t n)
{
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

/* 0, or 1 when s[0..n) is not a decimal number, 2 when out of range.
 * s[n] is a space, a tab or the NUL. */
static int parse_double(const char *s, size_t n, double *out)
{
	size_t i = 0, j;
	char *end;
	double v;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	j = digits(s, i, n);
	if (j < n && s[j] == '.')
		j = digits(s, j + 1, n);
	if (j == i || (j == i + 1 && s[i] == '.'))
		return 1;
	if (j < n && (s[j] == 'e' || s[j] == 'E')) {
		i = j + 1;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		j = digits(s, i, n);
		if (j == i)
			return 1;
	}
	if (j != n)
		return 1;
	errno = 0;
	v = strtod(s, &end);
	if (end != s + n)
		return 1;
	if (errno == ERANGE && isinf(v))
		return 2;
	*out = v;
	return 0;
}

/* Parse text as kind into out (int64_t, double or int); on failure the
 * message names column k and element elem (1-based, 0 for none). */
static int parse_value(const struct op_graph_csv *r, size_t k, size_t elem,
		       const char *text, enum value_kind kind, void *out,
		       struct op_err *err)
{
	char where[OP_GRAPH_CSV_SHOW_MAX + 64], reason[160];
	char shown[OP_GRAPH_CSV_SHOW_MAX + 1];
	size_t n, m;
	const char *s = trim(text, &n);
	int bad = 1;

	if (kind == V_INT)
		bad = parse_int(s, n, out);
	else if (kind == V_DOUBLE)
		bad = parse_double(s, n, out);
	else if (n == 4 && strncasecmp(s, "true", 4) == 0)
		*(int *)out = 1, bad = 0;
	else if (n == 5 && strncasecmp(s, "false", 5) == 0)
		*(int *)out = 0, bad = 0;
	if (!bad)
		return OUTPOST_OK;
	op_graph_csv_colref(where, sizeof(where), r, k);
	m = strlen(where);
	if (elem)
		snprintf(where + m, sizeof(where) - m, " element %zu", elem);
	op_show(shown, sizeof(shown), text);
	if (text[0] == '\0')
		snprintf(reason, sizeof(reason), "empty, expected %s",
			 value_what[kind]);
	else if (bad == 2)
		snprintf(reason, sizeof(reason), "\"%s\" is out of range for "
			 "%s", shown, kind == V_INT ? "a 64-bit integer"
						    : "a double");
	else
		snprintf(reason, sizeof(reason), "\"%s\" is not %s", shown,
			 value_what[kind]);
	return op_err_set(err, OUTPOST_ECORRUPT, "%s:%zu: %s: %s", r->path,
			  r->rec_line, where, reason);
}

static int field_value(const struct op_graph_csv *r, size_t i,
		       enum value_kind kind, void *out, struct op_err *err)
{
	const char *f = op_graph_csv_field(r, i);

	if (!f || !out)
		return op_err_set(err, OUTPOST_EMISUSE, "no column %zu in the "
				  "current row", i + 1);
	return parse_value(r, i, 0, f, kind, out, err);
}

int op_graph_csv_int(const struct op_graph_csv *r, size_t i, int64_t *out,
		     struct op_err *err)
{
	return field_value(r, i, V_INT, out, err);
}

int op_graph_csv_double(const struct op_graph_csv *r, size_t i, double *out,
			struct op_err *err)
{
	return field_value(r, i, V_DOUBLE, out, err);
}

int op_graph_csv_bool(const struct op_graph_csv *r, size_t i, int *out,
		      struct op_err *err)
{
	return field_value(r, i, V_BOOL, out, err);
}

/* ---- arrays ---- */

int op_graph_csv_array_next(struct op_graph_csv *r,
			    struct op_graph_csv_elem *e, struct op_err *err)
{
	const char *f, *semi;
	size_t flen, n;

	f = e ? op_graph_csv_field(r, e->col) : NULL;
	if (!f)
		return op_err_set(err, OUTPOST_EMISUSE, "no such column in the "
				  "current row");
	flen = r->off[e->col + 1] - r->off[e->col] - 1;
	if (flen == 0 || e->pos_ > flen)
		return 0;
	semi = memchr(f + e->pos_, ';', flen - e->pos_);
	n = semi ? (size_t)(semi - f) - e->pos_ : flen - e->pos_;
	if (n >= r->elem_cap) {
		char *g = op_realloc(r->elem, flen + 1);

		if (!g)
			return op_err_set(err, OUTPOST_ENOMEM, "%s:%zu: out of "
					  "memory", r->path, r->rec_line);
		r->elem = g;
		r->elem_cap = flen + 1;
	}
	memcpy(r->elem, f + e->pos_, n);
	r->elem[n] = '\0';
	e->text = r->elem;
	e->index = e->count_++;
	e->pos_ += n + 1;
	return 1;
}

static int elem_value(const struct op_graph_csv *r,
		      const struct op_graph_csv_elem *e, enum value_kind kind,
		      void *out, struct op_err *err)
{
	if (!r || !e || !e->text || !out || !r->have_row ||
	    e->col >= r->ncols)
		return op_err_set(err, OUTPOST_EMISUSE, "no current array "
				  "element");
	return parse_value(r, e->col, e->index + 1, e->text, kind, out, err);
}

int op_graph_csv_elem_int(const struct op_graph_csv *r,
			  const struct op_graph_csv_elem *e, int64_t *out,
			  struct op_err *err)
{
	return elem_value(r, e, V_INT, out, err);
}

int op_graph_csv_elem_double(const struct op_graph_csv *r,
			     const struct op_graph_csv_elem *e, double *out,
			     struct op_err *err)
{
	return elem_value(r, e, V_DOUBLE, out, err);
}

int op_graph_csv_elem_bool(const struct op_graph_csv *r,
			   const struct op_graph_csv_elem *e, int *out,
			   struct op_err *err)
{
	return elem_value(r, e, V_BOOL, out, err);
}
