/* util_pw.c - password columns: Argon2id hashes via libsodium's
 * crypto_pwhash_str, so plain text never reaches the disk. */
#include <sodium.h>
#include <string.h>

#include "util.h"

int op_pw_hash(char **out, const char *plain, struct op_err *err)
{
	char hash[crypto_pwhash_STRBYTES];

	*out = NULL;
	if (sodium_init() < 0)
		return op_err_set(err, OUTPOST_ERROR, "libsodium failed to "
				  "initialise");
	if (crypto_pwhash_str(hash, plain, strlen(plain),
			      crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return op_err_set(err, OUTPOST_ENOMEM,
				  "password hashing ran out of memory");
	*out = op_strdup(hash);
	if (!*out)
		return op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	return OUTPOST_OK;
}

int op_pw_verify(const char *hash, const char *plain)
{
	if (!hash || !plain || !op_pw_is_hash(hash) || sodium_init() < 0)
		return OUTPOST_EDENIED;
	return crypto_pwhash_str_verify(hash, plain, strlen(plain)) == 0
		       ? OUTPOST_OK
		       : OUTPOST_EDENIED;
}

int op_pw_is_hash(const char *s)
{
	return s && strncmp(s, "$argon2id$v=19$m=", 17) == 0 &&
	       strlen(s) < crypto_pwhash_STRBYTES;
}

int outpost_password_hash(char **out, const char *plain)
{
	if (!out || !plain)
		return OUTPOST_EMISUSE;
	return op_pw_hash(out, plain, NULL);
}

int outpost_password_verify(const char *hash, const char *plain)
{
	if (!hash || !plain)
		return OUTPOST_EMISUSE;
	return op_pw_verify(hash, plain);
}
