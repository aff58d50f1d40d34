/* neo4j_ints.c - 64-bit integers across JSON, whose numbers cJSON holds
 * as doubles (neo4j_http.h, "Integers"): big integer literals in an
 * answer are rewritten into Typed JSON before parsing, read back exactly
 * by op_neo4j_int64(), and sent as decimal strings. */
#include <stdio.h>
#include <string.h>

#include "neo4j_int.h"

#define TYPED_INT_OPEN "{\"$type\":\"Integer\",\"_value\":\""
#define TWO_53 9007199254740992.0

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* n digits (leading zeros allowed) name a magnitude above 2^53. */
static int beyond_2_53(const char *d, size_t n)
{
	while (n > 1 && *d == '0') {
		d++;
		n--;
	}
	return n > 16 || (n == 16 && memcmp(d, "9007199254740992", 16) > 0);
}

/* Index just past the string opening at s[i], or n if it never closes. */
static size_t skip_string(const char *s, size_t n, size_t i)
{
	for (i++; i < n; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			return i + 1;
	}
	return n;
}

/* Outside strings JSON has only punctuation, literals and numbers, so a
 * '-' or a digit there starts a number; an integer is one without '.'
 * or exponent. Validity is cJSON's to judge afterwards. */
int op_neo4j_exact_ints(char **out, size_t *outlen, const char *s, size_t n)
{
	struct op_buf b = {0};
	size_t i = 0, done = 0;
	int changed = 0;

	*out = NULL;
	*outlen = 0;
	while (i < n) {
		size_t start = i, digits;

		if (s[i] == '"') {
			i = skip_string(s, n, i);
			continue;
		}
		if (s[i] != '-' && !is_digit(s[i])) {
			i++;
			continue;
		}
		if (s[i] == '-')
			i++;
		digits = i;
		while (i < n && is_digit(s[i]))
			i++;
		if (i < n && (s[i] == '.' || s[i] == 'e' || s[i] == 'E')) {
			while (i < n && (is_digit(s[i]) || s[i] == '.' ||
					 s[i] == 'e' || s[i] == 'E' ||
					 s[i] == '+' || s[i] == '-'))
				i++;
			continue;
		}
		if (!beyond_2_53(s + digits, i - digits))
			continue;
		op_buf_add(&b, s + done, start - done);
		op_buf_adds(&b, TYPED_INT_OPEN);
		op_buf_add(&b, s + start, i - start);
		op_buf_adds(&b, "\"}");
		done = i;
		changed = 1;
	}
	if (!changed)
		return OUTPOST_OK;
	op_buf_add(&b, s + done, n - done);
	*outlen = b.len;
	*out = op_buf_take(&b);
	return *out ? OUTPOST_OK : OUTPOST_ENOMEM;
}

/* A canonical decimal integer within int64: an optional '-', digits,
 * no leading zero. */
static int parse_dec(int64_t *out, const char *s)
{
	int neg = *s == '-';
	const char *d = s + neg;
	uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1u : INT64_MAX;

	if (!is_digit(*d) || (d[0] == '0' && d[1]))
		return OUTPOST_EPROTO;
	for (; *d; d++) {
		unsigned dig = (unsigned)(*d - '0');

		if (!is_digit(*d) || v > (lim - dig) / 10)
			return OUTPOST_EPROTO;
		v = v * 10 + dig;
	}
	if (!neg)
		*out = (int64_t)v;
	else if (v == (uint64_t)INT64_MAX + 1u)
		*out = INT64_MIN;
	else
		*out = -(int64_t)v;
	return OUTPOST_OK;
}

int op_neo4j_int64(int64_t *out, const cJSON *v)
{
	const cJSON *type, *val;

	if (!out || !v)
		return OUTPOST_EMISUSE;
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		int64_t i;

		/* NaN fails both comparisons. */
		if (!(d >= -TWO_53 && d <= TWO_53))
			return OUTPOST_EPROTO;
		i = (int64_t)d;
		if ((double)i != d)
			return OUTPOST_EPROTO;
		*out = i;
		return OUTPOST_OK;
	}
	if (cJSON_IsString(v))
		return parse_dec(out, v->valuestring);
	type = cJSON_GetObjectItemCaseSensitive(v, "$type");
	val = cJSON_GetObjectItemCaseSensitive(v, "_value");
	if (cJSON_IsObject(v) && cJSON_IsString(type) &&
	    strcmp(type->valuestring, "Integer") == 0 && cJSON_IsString(val))
		return parse_dec(out, val->valuestring);
	return OUTPOST_EPROTO;
}

int op_neo4j_param_int64(cJSON *params, const char *name, int64_t v)
{
	char text[24];

	if (!cJSON_IsObject(params) || !name)
		return OUTPOST_EMISUSE;
	snprintf(text, sizeof(text), "%lld", (long long)v);
	return cJSON_AddStringToObject(params, name, text) ? OUTPOST_OK
							   : OUTPOST_ENOMEM;
}
