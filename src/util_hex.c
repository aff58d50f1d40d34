/* util_hex.c - lower-case hex encoding of byte strings. */
#include "util.h"

static const char digits[] = "0123456789abcdef";

void op_hex_encode(char *out, const uint8_t *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Each hex digit's value plus one; 0 for every other byte. A table, not
 * branches: imports decode two uuids per relationship row. */
#define NIB(c, v) [(unsigned char)(c)] = (v) + 1
static const unsigned char nibble_plus1[256] = {
	NIB('0', 0),  NIB('1', 1),  NIB('2', 2),  NIB('3', 3),	NIB('4', 4),
	NIB('5', 5),  NIB('6', 6),  NIB('7', 7),  NIB('8', 8),	NIB('9', 9),
	NIB('a', 10), NIB('b', 11), NIB('c', 12), NIB('d', 13), NIB('e', 14),
	NIB('f', 15), NIB('A', 10), NIB('B', 11), NIB('C', 12), NIB('D', 13),
	NIB('E', 14), NIB('F', 15),
};
#undef NIB

int op_hex_decode(uint8_t *out, size_t n, const char *hex, size_t hexlen)
{
	size_t i;

	if (hexlen != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		int hi = nibble_plus1[(unsigned char)hex[2 * i]],
		    lo = nibble_plus1[(unsigned char)hex[2 * i + 1]];

		if (!hi || !lo)
			return -1;
		out[i] = (uint8_t)((hi - 1) << 4 | (lo - 1));
	}
	return 0;
}
