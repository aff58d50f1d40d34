/* util_mem.c - the library's allocator: one place to count, fail or replace
 * allocations. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void *op_malloc(size_t n)
{
	return malloc(n ? n : 1);
}

void *op_calloc(size_t count, size_t size)
{
	return calloc(count ? count : 1, size ? size : 1);
}

void *op_realloc(void *p, size_t n)
{
	return realloc(p, n ? n : 1);
}

void op_free(void *p)
{
	free(p);
}

size_t op_size_add(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

char *op_strndup(const char *s, size_t n)
{
	char *p = op_malloc(op_size_add(n, 1));

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

char *op_strdup(const char *s)
{
	return s ? op_strndup(s, strlen(s)) : NULL;
}

void outpost_free(void *p)
{
	op_free(p);
}
