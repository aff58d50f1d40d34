/* schema_value.c - does a JSON value fit a portable type: how an edge's
 * properties are checked, in a local edge write (api_graph_write.c) and
 * in a pulled one (sync_edge.c) alike. */
#include <cjson/cJSON.h>
#include <stdint.h>

#include "schema.h"

int op_schema_json_fits(const struct cJSON *v, enum op_type type)
{
	const cJSON *x;
	int64_t ms;

	if (cJSON_IsNull(v))
		return 1;
	switch (type) {
	case OP_T_INTEGER:
		return cJSON_IsNumber(v) &&
		       v->valuedouble == (double)(int64_t)v->valuedouble;
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
