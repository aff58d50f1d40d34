/* schema_names.c - the parser's shared helpers: JSON paths, error lists,
 * identifier rules and key checks. Every message names file, JSON path and
 * reason. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "schema_int.h"

void op_schema_perr(struct op_parse *p, const char *path, const char *fmt,
		    ...)
{
	va_list ap;

	p->nerr++;
	if (p->nerr > OP_MAX_ERRORS)
		return;
	if (p->nerr == OP_MAX_ERRORS) {
		op_buf_addf(&p->errs, "%s: too many errors; stopping\n",
			    p->file);
		return;
	}
	op_buf_addf(&p->errs, "%s: %s: ", p->file, path);
	va_start(ap, fmt);
	op_buf_vaddf(&p->errs, fmt, ap);
	va_end(ap);
	op_buf_adds(&p->errs, "\n");
}

static int is_ident(const char *s)
{
	size_t i;

	if (!s[0] || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return 0;
	for (i = 1; s[i]; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
			return 0;
	return 1;
}

void op_schema_path_key(char *out, const char *base, const char *key)
{
	char shown[80];

	op_show(shown, sizeof(shown), key);
	if (is_ident(key))
		snprintf(out, OP_PATH_MAX, "%s.%s", base, shown);
	else
		snprintf(out, OP_PATH_MAX, "%s[\"%s\"]", base, shown);
}

void op_schema_path_idx(char *out, const char *base, size_t i)
{
	snprintf(out, OP_PATH_MAX, "%s[%zu]", base, i);
}

int op_schema_name_check(char *why, size_t n, const char *name,
			 const char *what)
{
	char shown[80];

	op_show(shown, sizeof(shown), name);
	if (!is_ident(name))
		snprintf(why, n, "%s name \"%s\" is not an identifier "
			 "(letters, digits and _, not starting with a digit)",
			 what, shown);
	else if (strlen(name) > OP_NAME_MAX)
		snprintf(why, n, "%s name \"%s\" is longer than %d bytes",
			 what, shown, OP_NAME_MAX);
	else if (strncasecmp(name, "_outpost", 8) == 0 ||
		 strncasecmp(name, "sqlite_", 7) == 0)
		snprintf(why, n, "%s name \"%s\" is reserved (names starting "
			 "with _outpost or sqlite_ belong to the store)", what,
			 shown);
	else
		return 0;
	return -1;
}

int op_schema_check_name(struct op_parse *p, const char *name,
			 const char *path, const char *what)
{
	char why[256];

	if (op_schema_name_check(why, sizeof(why), name, what) == 0)
		return 1;
	op_schema_perr(p, path, "%s", why);
	return 0;
}

static int allowed_key(const char *k, const char *const *allowed)
{
	for (; *allowed; allowed++)
		if (strcmp(k, *allowed) == 0)
			return 1;
	return 0;
}

void op_schema_check_keys(struct op_parse *p, const cJSON *obj,
			  const char *path, const char *const *allowed)
{
	const cJSON *a, *b;

	for (a = obj->child; a; a = a->next) {
		char kp[OP_PATH_MAX], shown[80];

		op_schema_path_key(kp, path, a->string);
		op_show(shown, sizeof(shown), a->string);
		for (b = obj->child; b != a; b = b->next)
			if (strcmp(a->string, b->string) == 0)
				break;
		if (b != a) {
			op_schema_perr(p, kp, "duplicate key \"%s\"", shown);
			continue;
		}
		if (allowed && !allowed_key(a->string, allowed)) {
			struct op_buf list = {0};
			const char *const *k;

			for (k = allowed; *k; k++)
				op_buf_addf(&list, "%s%s", k == allowed ? ""
								      : ", ",
					    *k);
			op_schema_perr(p, kp, "unknown key \"%s\" (expected "
				       "one of: %s)", shown,
				       op_buf_str(&list));
			op_buf_free(&list);
		}
	}
}

int op_schema_get_bool(struct op_parse *p, const cJSON *obj, const char *key,
		       const char *path, int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	char kp[OP_PATH_MAX];

	*out = 0;
	if (!v)
		return 1;
	if (!cJSON_IsBool(v)) {
		op_schema_path_key(kp, path, key);
		op_schema_perr(p, kp, "must be true or false");
		return 0;
	}
	*out = cJSON_IsTrue(v);
	return 1;
}
