/* util_uuid.c - UUID v7 (RFC 9562): 48-bit ms timestamp, version 7, variant
 * 10, the rest from libsodium's random bytes. Time-ordered, so keys made
 * close together land close together in a b-tree. */
#include <sodium.h>
#include <string.h>

#include "util.h"

void op_uuid_v7(uint8_t out[16], uint64_t unix_ms)
{
	int i;

	randombytes_buf(out + 6, 10);
	for (i = 0; i < 6; i++)
		out[i] = (uint8_t)(unix_ms >> (8 * (5 - i)));
	out[6] = (uint8_t)(0x70 | (out[6] & 0x0f));
	out[8] = (uint8_t)(0x80 | (out[8] & 0x3f));
}

/* Fixed for all stores: derived ids must agree across devices. It is a
 * domain separator, not a secret. */
static const unsigned char v8_key[crypto_generichash_KEYBYTES] =
	"outpost import id -> uuid v8 (1)";

void op_uuid_v8(uint8_t out[16], const char *const *parts, size_t nparts)
{
	crypto_generichash_state st;
	size_t i;

	crypto_generichash_init(&st, v8_key, sizeof(v8_key), 16);
	for (i = 0; i < nparts; i++)
		crypto_generichash_update(&st, (const unsigned char *)parts[i],
					  strlen(parts[i]) + 1);
	crypto_generichash_final(&st, out, 16);
	out[6] = (uint8_t)(0x80 | (out[6] & 0x0f));
	out[8] = (uint8_t)(0x80 | (out[8] & 0x3f));
}

static const unsigned char edge_k1[crypto_shorthash_KEYBYTES] =
	"outpost edge k1";
static const unsigned char edge_k2[crypto_shorthash_KEYBYTES] =
	"outpost edge k2";

void op_uuid_v8_fast(uint8_t out[16], const void *data, size_t n)
{
	crypto_shorthash(out, data, n, edge_k1);
	crypto_shorthash(out + 8, data, n, edge_k2);
	out[6] = (uint8_t)(0x80 | (out[6] & 0x0f));
	out[8] = (uint8_t)(0x80 | (out[8] & 0x3f));
}

void op_uuid_format(char out[OP_UUID_TEXT], const uint8_t in[16])
{
	char hex[33];

	op_hex_encode(hex, in, 16);
	memcpy(out, hex, 8);
	out[8] = '-';
	memcpy(out + 9, hex + 8, 4);
	out[13] = '-';
	memcpy(out + 14, hex + 12, 4);
	out[18] = '-';
	memcpy(out + 19, hex + 16, 4);
	out[23] = '-';
	memcpy(out + 24, hex + 20, 12);
	out[36] = '\0';
}

int op_uuid_parse(uint8_t out[16], const char *text)
{
	static const int groups[5] = {8, 4, 4, 4, 12};
	const char *p = text;
	size_t at = 0;
	int g;

	if (!text || strlen(text) != 36)
		return -1;
	for (g = 0; g < 5; g++) {
		if (g > 0 && *p++ != '-')
			return -1;
		if (op_hex_decode(out + at, (size_t)groups[g] / 2, p,
				  (size_t)groups[g]) != 0)
			return -1;
		at += (size_t)groups[g] / 2;
		p += groups[g];
	}
	return 0;
}

int outpost_uuid_v7(char out[37])
{
	uint8_t u[16];

	if (!out)
		return OUTPOST_EMISUSE;
	if (sodium_init() < 0)
		return OUTPOST_ERROR;
	op_uuid_v7(u, op_hlc_wall_ms());
	op_uuid_format(out, u);
	return OUTPOST_OK;
}
