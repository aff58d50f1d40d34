/* t_sync_apply_fast.c - the short ways of a pull's merge give what the
 * long ways gave: values read without cJSON where their text allows it
 * (sync_decode.c), the log's values written without it (sync_log.c),
 * and an insert tried before its row is looked at (sync_lww.c). */
#include <cjson/cJSON.h>

#include "sync_batch.h"
#include "sync_int.h"

#define LEX "lexicraft.json"
#define HASH "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
#define U1 "0190a000-0000-7000-8000-000000000001"
#define C1 "0190a000-0000-7000-8000-0000000000c1"
#define C2 "0190a000-0000-7000-8000-0000000000c2"
#define SITE "0190a0000000700080000000000000ee"

/* Byte for byte what cJSON printed for the same object, for names and
 * values with every byte that may need an escape. */
void test_sync_apply_fast_json_text(struct t *t)
{
	static const char *const texts[] = {
		"", "plain", "a\"b", "back\\slash", "\b\f\n\r\t", "\x01\x1f",
		"\x7f", "caf\xc3\xa9 \xe2\x82\xac", "/slash/", "\xff\xfe",
	};
	struct op_column cols[2];
	struct sync_val v[2];
	const struct sync_val *pv[2] = {&v[0], &v[1]};
	char *buf = NULL, all[256];
	size_t cap = 0, len, i, j;

	memset(cols, 0, sizeof(cols));
	memset(v, 0, sizeof(v));
	for (i = 0; i < 255; i++)
		all[i] = (char)(i + 1);
	all[255] = '\0';
	for (i = 0; i <= sizeof(texts) / sizeof(*texts); i++) {
		const char *s = i < sizeof(texts) / sizeof(*texts) ? texts[i]
								   : all;

		for (j = 0; j < 3; j++) {
			cJSON *o = cJSON_CreateObject();
			char *want;
			size_t at;

			cols[0].name = (char *)(j == 1 ? s : "k");
			cols[1].name = (char *)"other";
			v[0].col = &cols[0];
			v[1].col = &cols[1];
			v[0].wire = j == 2 ? NULL : s;
			v[1].wire = s;
			CHECK(o);
			if (v[0].wire)
				cJSON_AddStringToObject(o, cols[0].name, s);
			else
				cJSON_AddNullToObject(o, cols[0].name);
			cJSON_AddStringToObject(o, cols[1].name, s);
			want = cJSON_PrintUnformatted(o);
			len = j; /* appended after what is there */
			at = op_sync_json_values(&buf, &len, &cap, pv, 2);
			CHECK(at == j);
			CHECK_EQ(len, j + strlen(want) + 1);
			CHECK_STR(buf + at, want);
			cJSON_free(want);
			cJSON_Delete(o);
		}
	}
	len = 0;
	CHECK(op_sync_json_values(&buf, &len, &cap, pv, 0) == 0);
	CHECK_STR(buf, "{}");
	op_free(buf);
}

struct form {
	const char *vals;  /* as it travels */
	const char *name;  /* children.name stored, or NULL: refused */
	const char *log;   /* the values logged, or what the error says */
};

/* Values in every form a remote may send, read the fast way or by
 * cJSON: the same rows, the same log text, the same refusals. */
void test_sync_apply_fast_values(struct t *t)
{
	static const struct form forms[] = {
		{"{\"parent_id\": \"" U1 "\", \"name\": \"Ann\", "
		 "\"birth_year\": \"2016\"}",
		 "Ann",
		 "{\"parent_id\":\"" U1 "\",\"name\":\"Ann\","
		 "\"birth_year\":\"2016\"}"},
		{" \n\t{ \"name\" : \"Bo\" ,\"parent_id\":\"" U1 "\" ,"
		 "\"birth_year\" : null } \r\n",
		 "Bo",
		 "{\"name\":\"Bo\",\"parent_id\":\"" U1 "\","
		 "\"birth_year\":null}"},
		{"{\"parent_id\":\"0190A000-0000-7000-8000-000000000001\","
		 "\"NAME\":\"Cy\"}",
		 "Cy", "{\"parent_id\":\"" U1 "\",\"name\":\"Cy\"}"},
		{"{\"parent_id\":\"" U1 "\",\"name\":\"t\tab\x7f\xc3\xa9\"}",
		 "t\tab\x7f\xc3\xa9",
		 "{\"parent_id\":\"" U1 "\",\"name\":\"t\\tab\x7f\xc3\xa9\"}"},
		{"{\"parent_id\":\"" U1 "\",\"name\":\"q\\\"\\\\\\/\\u0001"
		 "\\u00e9\"}",
		 "q\"\\/\x01\xc3\xa9",
		 "{\"parent_id\":\"" U1 "\",\"name\":\"q\\\"\\\\/\\u0001"
		 "\xc3\xa9\"}"},
		{"{\"parent_id\":\"" U1 "\",\"name\":\"Di\"} and more", "Di",
		 "{\"parent_id\":\"" U1 "\",\"name\":\"Di\"}"},
		{"{\"parent_id\":\"" U1 "\",\"name\":\"Ed\",}", NULL,
		 "its values are not a JSON object"},
		{"{\"parent_id\":\"" U1 "\",\"name\" \"Ed\"}", NULL,
		 "its values are not a JSON object"},
		{"{\"parent_id\":\"" U1 "\",\"name\":nul}", NULL,
		 "its values are not a JSON object"},
		{"{\"parent_id\":\"" U1 "\",\"name\":\"Ed\"", NULL,
		 "its values are not a JSON object"},
		{"[\"Ed\"]", NULL, "its values are not a JSON object"},
		{"{\"parent_id\":\"" U1 "\",\"name\":\"Ed\",\"birth_year\":"
		 "2016}",
		 NULL, "column \"birth_year\": not a JSON string or null"},
		{"{\"parent_id\":\"" U1 "\",\"name\":\"Ed\",\"name\":\"Ed\"}",
		 NULL, "column \"name\" is given twice"},
		{"{\"parent_id\":\"" U1 "\",\"nam\":\"Ed\"}", NULL,
		 "column \"nam\": children has no such column"},
		{"{\"parent_id\":\"" U1 "\",\"name\":null}", NULL,
		 "column \"name\": null, but the column is not_null"},
	};
	outpost *b = ts_store(t, "b", LEX);
	char buf[T_TEXT_MAX], id[64], sql[256];
	long long hlc;
	size_t i;

	CHECK(b);
	CHECK_OK(b, ts_sql(b, "INSERT INTO users(id, email, password_hash) "
			   "VALUES ('" U1 "', 'p@example.org', '" HASH "')"));
	hlc = t_int(b, "SELECT hlc FROM _outpost_changes");
	for (i = 0; i < sizeof(forms) / sizeof(*forms); i++) {
		const struct form *f = &forms[i];
		struct op_change c;
		long long n = ts_log_count(b);

		snprintf(id, sizeof(id), "0190a000-0000-7000-8000-%012zx",
			 i + 0x100);
		c = ts_change((long long)i + 1, (unsigned long long)hlc + i + 1,
			      SITE, "children", 'I', id, f->vals);
		if (!f->name) {
			CHECK_RC(ts_apply(b, &c, 1, NULL, 0), OUTPOST_EPROTO);
			CHECK_HAS(outpost_errmsg(b), f->log);
			CHECK_EQ(ts_log_count(b), n);
			continue;
		}
		CHECK_OK(b, ts_apply(b, &c, 1, NULL, 0));
		snprintf(sql, sizeof(sql), "SELECT name FROM children WHERE "
			 "id = '%s'", id);
		CHECK_STR(t_text(b, sql, buf), f->name);
		snprintf(sql, sizeof(sql), "SELECT vals FROM _outpost_changes "
			 "WHERE row_id = '%s'", id);
		CHECK_STR(t_text(b, sql, buf), f->log);
	}
	outpost_close(b);
}

/* An insert of a row that is there, whose values the table would refuse
 * (23:59:60 is a time the clock allows, SQLite's time() not): the row is
 * there, so it is compared, not inserted, and nothing fails; as before
 * the insert was tried first. A row that is not there fails as a plain
 * insert did. */
void test_sync_apply_fast_insert_there(struct t *t)
{
	outpost *a = ts_store(t, "a", LEX), *b = ts_store(t, "b", LEX);
	char buf[T_TEXT_MAX], *before, *after, sa[33], want[128];
	struct op_change c;
	long long la = 0, n, hlc;

	ts_site(a, sa);
	CHECK(a && b);
	CHECK_OK(a, ts_sql(a, "INSERT INTO users(id, email, password_hash) "
			   "VALUES ('" U1 "', 'p@example.org', '" HASH "'); "
			   "INSERT INTO children(id, parent_id, name) VALUES "
			   "('" C1 "', '" U1 "', 'Ann')"));
	CHECK_OK(b, ts_ship(a, b, la, &la));
	hlc = t_int(b, "SELECT hlc FROM _outpost_changes WHERE tbl = "
		    "'children'");
	n = ts_log_count(b);
	before = ts_dump(b, "SELECT * FROM children");
	/* Older than the row's insert: the row stays as it is, and its
	 * clock becomes the winner's, its insert's (sync_lww.c). */
	c = ts_change(1, (unsigned long long)hlc - 1, SITE, "children", 'I',
		      C1, "{\"parent_id\":\"" U1 "\",\"name\":\"Old\","
		      "\"created_at\":\"2024-01-01T23:59:60Z\"}");
	CHECK_OK(b, ts_apply(b, &c, 1, NULL, 0));
	after = ts_dump(b, "SELECT * FROM children");
	CHECK(before && after);
	CHECK_STR(after, before);
	free(before);
	free(after);
	CHECK_EQ(ts_log_count(b), n);
	snprintf(want, sizeof(want), "%lld %s", hlc, sa);
	CHECK_STR(t_text(b, "SELECT hlc || ' ' || lower(hex(site)) FROM "
			 "_outpost_clk_children WHERE col = ''", buf), want);
	/* Newer: its values win, the refused one refuses the batch as
	 * when it is set on the row. */
	c.hlc = (unsigned long long)hlc + 1;
	CHECK_RC(ts_apply(b, &c, 1, NULL, 0), OUTPOST_ESQL);
	CHECK_HAS(outpost_errmsg(b), "CHECK constraint failed");
	c.values = "{\"parent_id\":\"" U1 "\",\"name\":\"New\"}";
	CHECK_OK(b, ts_apply(b, &c, 1, NULL, 0));
	CHECK_STR(t_text(b, "SELECT name FROM children", buf), "New");
	CHECK_EQ(t_int(b, "SELECT count(*) FROM _outpost_clk_children WHERE "
		       "col = ''"), 1);
	/* A row that is not there: the table's refusal. */
	c.row_id = C2;
	c.values = "{\"parent_id\":\"" U1 "\",\"name\":\"Two\","
		   "\"created_at\":\"2024-01-01T23:59:60Z\"}";
	CHECK_RC(ts_apply(b, &c, 1, NULL, 0), OUTPOST_ESQL);
	CHECK_HAS(outpost_errmsg(b), "CHECK constraint failed");
	CHECK_EQ(t_int(b, "SELECT count(*) FROM children"), 1);
	outpost_close(a);
	outpost_close(b);
}
