/* util_buf.c - growable NUL-terminated buffers for building SQL, JSON and
 * messages. Failure is sticky so call sites check once, at the end. */
#include <stdio.h>
#include <string.h>

#include "util.h"

static int reserve(struct op_buf *b, size_t extra)
{
	size_t need = op_size_add(op_size_add(b->len, extra), 1);
	size_t cap;
	char *p;

	if (b->oom)
		return -1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = op_realloc(b->p, cap);
	if (!p) {
		b->oom = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void op_buf_add(struct op_buf *b, const char *s, size_t n)
{
	if (reserve(b, n) != 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void op_buf_adds(struct op_buf *b, const char *s)
{
	op_buf_add(b, s, strlen(s));
}

void op_buf_vaddf(struct op_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if (reserve(b, (size_t)n) != 0)
		return;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void op_buf_addf(struct op_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	op_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

const char *op_buf_str(const struct op_buf *b)
{
	return b->p ? b->p : "";
}

char *op_buf_take(struct op_buf *b)
{
	char *p;

	if (b->oom) {
		op_buf_free(b);
		return NULL;
	}
	p = b->p ? b->p : op_strdup("");
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void op_buf_free(struct op_buf *b)
{
	op_free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}
