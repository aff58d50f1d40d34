/* neo4j_sink_fix.c - see neo4j_sink_fix.h. */
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "neo4j_sink_fix.h"

const char t_n4_schema[] =
	"{\"schema\": \"mirror\", \"version\": 1,"
	" \"tables\": {\"notes\": {\"columns\": {"
	"   \"id\": {\"type\": \"uuid\", \"primary_key\": true},"
	"   \"body\": {\"type\": \"text\"}}}},"
	" \"nodes\": {"
	"  \"Word\": {\"columns\": {"
	"   \"id\": {\"type\": \"uuid\", \"primary_key\": true},"
	"   \"word\": {\"type\": \"text\", \"unique\": true},"
	"   \"rank\": {\"type\": \"integer\"},"
	"   \"score\": {\"type\": \"real\"},"
	"   \"ok\": {\"type\": \"boolean\"},"
	"   \"tags\": {\"type\": \"text[]\"},"
	"   \"extra\": {\"type\": \"json\"},"
	"   \"pw\": {\"type\": \"password\"}}},"
	"  \"Topic\": {\"columns\": {"
	"   \"id\": {\"type\": \"uuid\", \"primary_key\": true},"
	"   \"name\": {\"type\": \"text\"}}},"
	"  \"Secret\": {\"columns\": {"
	"   \"id\": {\"type\": \"uuid\", \"primary_key\": true},"
	"   \"name\": {\"type\": \"text\"}},"
	"   \"sync\": {\"local_only\": true}}},"
	" \"relationships\": {"
	"  \"ABOUT\": {\"from\": \"Word\", \"to\": \"Topic\","
	"   \"properties\": {\"weight\": {\"type\": \"real\"},"
	"    \"note\": {\"type\": \"text\"}}},"
	"  \"NEXT\": {\"from\": \"Word\", \"to\": \"Word\", \"validity\": true}}}";

struct op_sink *t_n4_open(struct t *t, struct t_standin *s, size_t rows)
{
	struct op_neo4j_sink_opts o;
	struct op_sink *k = NULL;
	char why[512] = "";

	if (t_neo4j_start(t) != 0 || t_neo4j_wipe(t) != 0)
		return NULL;
	memset(&o, 0, sizeof(o));
	o.url = s ? s->url : t_neo4j_url();
	o.database = "neo4j";
	o.user = t_neo4j_user();
	o.secret = t_neo4j_password();
	o.schema_json = t_n4_schema;
	o.rows = rows;
	if (op_neo4j_sink_open(&k, &o, why, sizeof(why)) != OUTPOST_OK) {
		t_fail(t, __FILE__, __LINE__, "open: %s", why);
		return NULL;
	}
	return k;
}

void t_n4_change(struct op_change *c, int64_t seq, const char *table,
		 char op, const char *id, uint64_t hlc, const char *vals)
{
	memset(c, 0, sizeof(*c));
	c->seq = seq;
	c->hlc = hlc;
	memset(c->site, 0xab, sizeof(c->site));
	c->table = table;
	c->op = op;
	c->row_id = id;
	c->values = vals;
}

int t_n4_push(struct t *t, struct op_sink *k, const struct op_change *c,
	      size_t n)
{
	int64_t acked = -1;
	int rc = k->ops->push(k, c, n, &acked);

	if (rc != OUTPOST_OK) {
		t_fail(t, __FILE__, __LINE__, "push: %s: %s",
		       outpost_errstr(rc), k->errmsg);
		return -1;
	}
	if (n && acked != c[n - 1].seq) {
		t_fail(t, __FILE__, __LINE__, "acked %lld", (long long)acked);
		return -1;
	}
	return 0;
}

/* results[0].data of a transactional answer */
static cJSON *data_of(cJSON *j)
{
	return cJSON_GetObjectItem(
		cJSON_GetArrayItem(cJSON_GetObjectItem(j, "results"), 0),
		"data");
}

char *t_n4_row(struct t *t, const char *statement)
{
	char *body = NULL, *out = NULL;
	cJSON *j, *row;

	if (t_neo4j_cypher(t, &body, statement, NULL) != 0) {
		free(body);
		return NULL;
	}
	j = cJSON_Parse(body);
	row = cJSON_GetObjectItem(cJSON_GetArrayItem(data_of(j), 0), "row");
	out = row ? cJSON_PrintUnformatted(row) : strdup("");
	cJSON_Delete(j);
	free(body);
	return out;
}

char *t_n4_dump(struct t *t)
{
	static const char *const q[] = {
		"MATCH (n) WHERE NOT n:_outpost_meta RETURN labels(n), "
		"properties(n) ORDER BY n.uuid",
		"MATCH (a)-[e]->(b) RETURN a.uuid, type(e), b.uuid, "
		"properties(e) ORDER BY e.uuid"};
	size_t i;
	char *out = strdup(""), *body = NULL;

	for (i = 0; out && i < 2; i++) {
		cJSON *j, *r;

		if (t_neo4j_cypher(t, &body, q[i], NULL) != 0) {
			free(body);
			free(out);
			return NULL;
		}
		j = cJSON_Parse(body);
		cJSON_ArrayForEach(r, data_of(j)) {
			char *line = cJSON_PrintUnformatted(
				cJSON_GetObjectItem(r, "row"));
			size_t n = strlen(out) + strlen(line) + 2;
			char *grown = malloc(n);

			snprintf(grown, n, "%s%s\n", out, line);
			free(out);
			free(line);
			out = grown;
		}
		cJSON_Delete(j);
		free(body);
		body = NULL;
	}
	return out;
}
