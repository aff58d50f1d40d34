/* cli_print.c - printing SQL results: aligned table, JSON or CSV. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct cli_set {
	int ncols;
	char **names;
	char **cells;  /* nrows * ncols; NULL for SQL NULL */
	int *is_text;  /* per cell: 1 quote in JSON, 0 number/null */
	size_t nrows;
	size_t cap;
};

struct cli_rows {
	struct cli_set *sets;
	size_t nsets;
	int oom;
};

struct cli_rows *cli_rows_new(void)
{
	return calloc(1, sizeof(struct cli_rows));
}

void cli_rows_free(struct cli_rows *r)
{
	size_t i, k;
	int j;

	if (!r)
		return;
	for (i = 0; i < r->nsets; i++) {
		struct cli_set *s = &r->sets[i];

		for (j = 0; j < s->ncols; j++)
			free(s->names[j]);
		for (k = 0; k < s->nrows * (size_t)s->ncols; k++)
			free(s->cells[k]);
		free(s->names);
		free(s->cells);
		free(s->is_text);
	}
	free(r->sets);
	free(r);
}

static char *cell_text(const outpost_value *v, int *is_text)
{
	char *s = NULL;
	size_t i;

	*is_text = 0;
	switch (v->type) {
	case OUTPOST_INTEGER:
		s = malloc(24);
		if (s)
			snprintf(s, 24, "%lld", v->i);
		break;
	case OUTPOST_REAL:
		s = malloc(32);
		if (s)
			snprintf(s, 32, "%.17g", v->r);
		break;
	case OUTPOST_TEXT:
		*is_text = 1;
		s = malloc(v->n + 1);
		if (s) {
			memcpy(s, v->s, v->n);
			s[v->n] = '\0';
		}
		break;
	case OUTPOST_BLOB:
		*is_text = 1;
		s = malloc(2 * v->n + 4);
		if (s) {
			s[0] = 'x';
			s[1] = '\'';
			for (i = 0; i < v->n; i++)
				snprintf(s + 2 + 2 * i, 3, "%02x",
					 (unsigned char)v->s[i]);
			s[2 + 2 * v->n] = '\'';
			s[3 + 2 * v->n] = '\0';
		}
		break;
	default:
		break;
	}
	return s;
}

static struct cli_set *current_set(struct cli_rows *r, int ncols,
				   const char *const *names)
{
	struct cli_set *s = r->nsets ? &r->sets[r->nsets - 1] : NULL, *grown;
	int j, same = s && s->ncols == ncols;

	for (j = 0; same && j < ncols; j++)
		same = strcmp(s->names[j], names[j]) == 0;
	if (same)
		return s;
	grown = realloc(r->sets, (r->nsets + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	r->sets = grown;
	s = &r->sets[r->nsets++];
	memset(s, 0, sizeof(*s));
	s->ncols = ncols;
	s->names = calloc((size_t)ncols + 1, sizeof(char *));
	if (!s->names)
		return NULL;
	for (j = 0; j < ncols; j++)
		if (!(s->names[j] = strdup(names[j])))
			return NULL;
	return s;
}

int cli_rows_add(void *ctx, int ncols, const char *const *names,
		 const outpost_value *vals)
{
	struct cli_rows *r = ctx;
	struct cli_set *s = current_set(r, ncols, names);
	size_t base;
	int j;

	if (!s) {
		r->oom = 1;
		return 1;
	}
	if (s->nrows == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		char **c = realloc(s->cells, cap * (size_t)ncols * sizeof(*c));
		int *t;

		if (!c) {
			r->oom = 1;
			return 1;
		}
		s->cells = c;
		t = realloc(s->is_text, cap * (size_t)ncols * sizeof(*t));
		if (!t) {
			r->oom = 1;
			return 1;
		}
		s->is_text = t;
		s->cap = cap;
	}
	base = s->nrows * (size_t)ncols;
	for (j = 0; j < ncols; j++)
		s->cells[base + (size_t)j] =
			cell_text(&vals[j], &s->is_text[base + (size_t)j]);
	s->nrows++;
	return 0;
}

void cli_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void csv_field(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* Display width of UTF-8 text: one column per code point. */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void print_table(FILE *f, const struct cli_set *s)
{
	size_t *w = calloc((size_t)s->ncols + 1, sizeof(*w)), i;
	int j;

	if (!w)
		return;
	for (j = 0; j < s->ncols; j++)
		w[j] = width(s->names[j]);
	for (i = 0; i < s->nrows; i++)
		for (j = 0; j < s->ncols; j++) {
			const char *c = s->cells[i * (size_t)s->ncols + (size_t)j];
			size_t cw = c ? width(c) : 0;

			if (cw > w[j])
				w[j] = cw;
		}
	for (j = 0; j < s->ncols; j++)
		fprintf(f, "%s%s%*s", j ? "  " : "", s->names[j],
			(int)(w[j] - width(s->names[j])), "");
	fputc('\n', f);
	for (j = 0; j < s->ncols; j++) {
		size_t k;

		fputs(j ? "  " : "", f);
		for (k = 0; k < w[j]; k++)
			fputc('-', f);
	}
	fputc('\n', f);
	for (i = 0; i < s->nrows; i++) {
		for (j = 0; j < s->ncols; j++) {
			const char *c = s->cells[i * (size_t)s->ncols + (size_t)j];

			fprintf(f, "%s%s%*s", j ? "  " : "", c ? c : "",
				(int)(w[j] - (c ? width(c) : 0)), "");
		}
		fputc('\n', f);
	}
	fprintf(f, "(%zu row%s)\n", s->nrows, s->nrows == 1 ? "" : "s");
	free(w);
}

void cli_rows_print(FILE *f, const struct cli_rows *r, enum cli_format fmt)
{
	size_t i, k, first = 1;
	int j;

	if (fmt == CLI_JSON)
		fputc('[', f);
	for (i = 0; i < r->nsets; i++) {
		const struct cli_set *s = &r->sets[i];

		if (fmt == CLI_TABLE) {
			if (i)
				fputc('\n', f);
			print_table(f, s);
			continue;
		}
		if (fmt == CLI_CSV) {
			for (j = 0; j < s->ncols; j++) {
				fputs(j ? "," : "", f);
				csv_field(f, s->names[j]);
			}
			fputc('\n', f);
		}
		for (k = 0; k < s->nrows; k++) {
			char *const *row = &s->cells[k * (size_t)s->ncols];
			const int *txt = &s->is_text[k * (size_t)s->ncols];

			if (fmt == CLI_JSON)
				fputs(first ? "\n  {" : ",\n  {", f);
			first = 0;
			for (j = 0; j < s->ncols; j++) {
				if (fmt == CLI_CSV) {
					fputs(j ? "," : "", f);
					csv_field(f, row[j] ? row[j] : "");
					continue;
				}
				fputs(j ? ", " : "", f);
				cli_json_string(f, s->names[j]);
				fputs(": ", f);
				if (!row[j])
					fputs("null", f);
				else if (txt[j])
					cli_json_string(f, row[j]);
				else
					fputs(row[j], f);
			}
			fputs(fmt == CLI_JSON ? "}" : "\n", f);
		}
	}
	if (fmt == CLI_JSON)
		fputs(first ? "]\n" : "\n]\n", f);
	if (r->oom)
		fputs("outpost: out of memory: output is incomplete\n", stderr);
}
