/* schema_value.c - does a JSON value fit a portable type: how an edge's
 * properties are checked, in a local edge write (api_graph_write.c) and
 * in a pulled one (sync_edge.c) alike; and JSON text with exact numbers,
 * how edge properties are written. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "schema.h"

int op_schema_json_fits(const struct cJSON *v, enum op_type type)
{
	const cJSON *x;
	int64_t ms;

	if (cJSON_IsNull(v))
		return 1;
	switch (type) {
	case OP_T_INTEGER:
		/* (the range first: converting a double past int64 is
		 * undefined) */
		return cJSON_IsNumber(v) && isfinite(v->valuedouble) &&
		       fabs(v->valuedouble) < 9223372036854775808.0 &&
		       v->valuedouble == floor(v->valuedouble);
	case OP_T_REAL:
		return cJSON_IsNumber(v);
	case OP_T_BOOLEAN:
		return cJSON_IsBool(v);
	case OP_T_JSON:
		return 1;
	case OP_T_TEXT_ARRAY:
		if (!cJSON_IsArray(v))
			return 0;
		cJSON_ArrayForEach(x, v) if (!cJSON_IsString(x)) return 0;
		return 1;
	case OP_T_TIMESTAMP:
	case OP_T_DATE:
		return cJSON_IsString(v) &&
		       op_time_parse(&ms, v->valuestring) == 0;
	default:
		return cJSON_IsString(v);
	}
}

/* A number as the shortest text that reads back as the same double: a
 * whole one within int64 as an integer, any other with 15, 16 or 17
 * digits. (cJSON's own printer keeps 15 digits whenever they read back
 * within an epsilon: 9007199254740991 became 9.00719925474099e+15,
 * 0.1 + 0.2 became 0.3.) */
static void put_number(struct op_buf *b, double d)
{
	char text[40];
	int digits;

	if (!isfinite(d)) {
		op_buf_adds(b, "null"); /* as cJSON */
		return;
	}
	if (d == floor(d) && fabs(d) < 9223372036854775808.0) {
		op_buf_addf(b, "%.0f", d);
		return;
	}
	for (digits = 15; digits < 17; digits++) {
		snprintf(text, sizeof(text), "%.*g", digits, d);
		if (strtod(text, NULL) == d)
			break;
	}
	op_buf_addf(b, "%.*g", digits, d);
}

static void put_string(struct op_buf *b, const char *s)
{
	size_t max = op_json_string_max(s);
	char *t = max == SIZE_MAX ? NULL : op_malloc(max);

	if (!t) {
		b->oom = 1;
		return;
	}
	op_buf_add(b, t, (size_t)(op_json_put_string(t, s) - t));
	op_free(t);
}

static void put_value(struct op_buf *b, const cJSON *v)
{
	const cJSON *x;

	switch (v->type & 0xFF) {
	case cJSON_False:
		op_buf_adds(b, "false");
		break;
	case cJSON_True:
		op_buf_adds(b, "true");
		break;
	case cJSON_Number:
		put_number(b, v->valuedouble);
		break;
	case cJSON_Raw:
		op_buf_adds(b, v->valuestring ? v->valuestring : "null");
		break;
	case cJSON_String:
		put_string(b, v->valuestring ? v->valuestring : "");
		break;
	case cJSON_Array:
	case cJSON_Object:
		op_buf_adds(b, cJSON_IsArray(v) ? "[" : "{");
		for (x = v->child; x; x = x->next) {
			if (x != v->child)
				op_buf_adds(b, ",");
			if (cJSON_IsObject(v)) {
				put_string(b, x->string ? x->string : "");
				op_buf_adds(b, ":");
			}
			put_value(b, x);
		}
		op_buf_adds(b, cJSON_IsArray(v) ? "]" : "}");
		break;
	default:
		op_buf_adds(b, "null");
	}
}

char *op_schema_json_print(const struct cJSON *v)
{
	struct op_buf b = {0};

	put_value(&b, v);
	if (b.oom) {
		op_buf_free(&b);
		return NULL;
	}
	return op_buf_take(&b);
}
