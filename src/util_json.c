/* util_json.c - JSON strings written as cJSON writes them (", \ and the
 * control characters escaped, every other byte as it is), by the
 * writers that build JSON text themselves: the pull's log entries
 * (sync_log.c) and exact numbers (schema_value.c). */
#include <stdint.h>
#include <string.h>

#include "util.h"

static int plain(unsigned char c)
{
	return c >= 32 && c != '"' && c != '\\';
}

/* The letter of c's two-character escape, or 0 for \u00xx. */
static char letter(unsigned char c)
{
	switch (c) {
	case '"':
		return '"';
	case '\\':
		return '\\';
	case '\b':
		return 'b';
	case '\f':
		return 'f';
	case '\n':
		return 'n';
	case '\r':
		return 'r';
	case '\t':
		return 't';
	default:
		return 0;
	}
}

/* The most bytes op_json_put_string may write for s: every byte a \u00xx. */
size_t op_json_string_max(const char *s)
{
	size_t n = strlen(s);

	return n > (SIZE_MAX - 2) / 6 ? SIZE_MAX : 6 * n + 2;
}

char *op_json_put_string(char *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	*o++ = '"';
	for (; *p; p++) {
		if (plain(*p)) {
			*o++ = (char)*p;
		} else if (letter(*p)) {
			*o++ = '\\';
			*o++ = letter(*p);
		} else {
			o[0] = '\\';
			o[1] = 'u';
			o[2] = '0';
			o[3] = '0';
			o[4] = hex[*p >> 4];
			o[5] = hex[*p & 15];
			o += 6;
		}
	}
	*o++ = '"';
	return o;
}

