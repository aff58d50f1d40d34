/* fuzz_schema.c - libFuzzer target for the schema parser and validator:
 * any bytes must give OUTPOST_OK or OUTPOST_ESCHEMA with a message, never
 * a crash, a leak or undefined behaviour. `make fuzz` runs it. */
#include <stdint.h>
#include <string.h>

#include "schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct op_schema *s = NULL;
	struct op_err err;
	char *text = op_malloc(size + 1);
	int rc;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0'; /* the parser's contract: text[len] is NUL */
	rc = op_schema_parse(&s, "fuzz.json", text, size, &err);
	if (rc == OUTPOST_OK) {
		/* A valid schema must also generate its DDL and triggers. */
		struct op_buf b = {0};
		size_t i;

		for (i = 0; i < s->ntables; i++) {
			op_schema_sql_table(&b, &s->tables[i], NULL);
			op_schema_sql_capture(&b, &s->tables[i]);
		}
		op_buf_free(&b);
	} else if (rc == OUTPOST_ESCHEMA && err.msg[0] == '\0') {
		__builtin_trap(); /* a refusal must say why */
	}
	op_schema_free(s);
	op_free(text);
	return 0;
}
