/* t_sync_refuse.c - what a pulled batch may hold: every portable type
 * decoded exactly from the wire form, and a batch refused whole, naming
 * the change, when one of its changes is malformed, breaks a policy or
 * carries a clock too far ahead. */
#include "sync_batch.h"
#include "util.h"

#define LEX "lexicraft.json"
#define U1 "0190a000-0000-7000-8000-000000000001"
#define C1 "0190a000-0000-7000-8000-0000000000c1"
#define X1 "0190a000-0000-7000-8000-0000000000e1"
#define HASH "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"

static const char types_schema[] =
	"{\"schema\": \"types\", \"version\": 1, \"tables\": {"
	"\"things\": {\"columns\": {"
	"\"id\": {\"type\": \"uuid\", \"primary_key\": true},"
	"\"u\": {\"type\": \"uuid\"}, \"s\": {\"type\": \"text\"},"
	"\"i\": {\"type\": \"integer\"}, \"r\": {\"type\": \"real\"},"
	"\"b\": {\"type\": \"boolean\"}, \"ts\": {\"type\": \"timestamp\"},"
	"\"d\": {\"type\": \"date\"}, \"j\": {\"type\": \"json\"},"
	"\"bl\": {\"type\": \"blob\"}, \"arr\": {\"type\": \"text[]\"},"
	"\"pw\": {\"type\": \"password\"}}},"
	"\"notes\": {\"columns\": {"
	"\"id\": {\"type\": \"uuid\", \"primary_key\": true},"
	"\"s\": {\"type\": \"text\"}}, \"sync\": {\"local_only\": true}}}}";

static outpost *types_store(struct t *t, const char *name)
{
	char path[512];

	t_path(path, t, "types.json");
	if (t_write(path, types_schema) != 0)
		return NULL;
	return ts_store(t, name, path);
}

/* Each type made on a and received by b holds the very same value. */
void test_sync_refuse_types_round_trip(struct t *t)
{
	outpost *a = types_store(t, "a"), *b = types_store(t, "b");
	struct op_change c;
	char sa[33], buf[T_TEXT_MAX];
	long long la = 0;

	CHECK(a && b);
	ts_site(a, sa);
	CHECK_OK(a, ts_sql(a, "INSERT INTO things VALUES ('" X1 "', '" C1
			   "', 'it''s \"text\"', 9223372036854775807, 0.1, 1, "
			   "'2026-01-31T12:00:00Z', '2024-02-29', "
			   "'{\"a\": [1, 2.5]}', x'00ff10', '[\"x\", \"y\"]', "
			   "'" HASH "'); INSERT INTO things(id, i, r) VALUES "
			   "('" U1 "', -9223372036854775808, -1e-300)"));
	CHECK_OK(b, ts_ship(a, b, la, &la));
	CHECK_SAME(a, b);
	/* What others may send in other case: both are taken. */
	c = ts_change(7, 1, sa, "things", 'U', U1, "{\"bl\": \"DEADbeef\", "
		      "\"u\": \"0190A000-0000-7000-8000-0000000000C1\"}");
	c.hlc = (unsigned long long)t_int(b, "SELECT max(hlc) FROM "
					  "_outpost_changes") + 1;
	CHECK_OK(b, ts_apply(b, &c, 1, NULL, 0));
	CHECK_STR(t_text(b, "SELECT hex(bl) || ' ' || u FROM things WHERE id "
			 "= '" U1 "'", buf), "DEADBEEF " C1);
	outpost_close(a);
	outpost_close(b);
}

struct bad {
	const char *table, *row, *values, *why;
	char op;
};

static const struct bad lex_cases[] = {
	{"nosuch", C1, "{}", "no table, label or relationship type of that "
	 "name in this store's schema (version 1)", 'I'},
	{"children", C1, "{}", "op 'X' is not I, U or D", 'X'},
	{"children", "not-a-uuid", "{}", "the row id is not a uuid", 'U'},
	{"children", C1, "[1]", "its values are not a JSON object", 'U'},
	{"children", C1, "{\"nick\": \"x\"}", "column \"nick\": children has no "
	 "such column", 'U'},
	{"children", C1, "{\"id\": \"" C1 "\"}", "column \"id\": the primary "
	 "key travels as the row id, not as a value", 'U'},
	{"children", C1, "{\"birth_year\": 5}", "column \"birth_year\": not a "
	 "JSON string or null (the wire form of every value)", 'U'},
	{"children", C1, "{\"name\": \"a\", \"name\": \"b\"}", "column \"name\" "
	 "is given twice", 'U'},
	{"children", C1, "{\"name\": null}", "column \"name\": null, but the "
	 "column is not_null", 'U'},
	{"children", C1, "{\"parent_id\": \"xyz\"}", "column \"parent_id\": "
	 "\"xyz\" is not a uuid", 'U'},
	{"children", C1, "{\"birth_year\": \"99999999999999999999\"}", "column "
	 "\"birth_year\": \"99999999999999999999\" is not a 64-bit integer",
	 'U'},
	{"children", C1, "{\"created_at\": \"yesterday\"}", "column "
	 "\"created_at\": \"yesterday\" is not a timestamp "
	 "(YYYY-MM-DDTHH:MM:SS[.fff]Z)", 'U'},
	{"verification_schedule", C1, "{\"completed\": \"yes\"}", "column "
	 "\"completed\": \"yes\" is not a boolean (\"0\" or \"1\")", 'U'},
	{"verification_schedule", C1, "{\"scheduled_date\": \"2026-02-30\"}",
	 "column \"scheduled_date\": \"2026-02-30\" is not a date "
	 "(YYYY-MM-DD)", 'U'},
	{"verification_schedule", C1, "{\"question\": \"{bad\"}", "column "
	 "\"question\": \"{bad\" is not JSON", 'U'},
	{"users", U1, "{\"password_hash\": \"secret\"}", "column "
	 "\"password_hash\": not an Argon2id hash (a password travels only "
	 "hashed)", 'U'},
	{"children", C1, "{\"name\": \"x\"}", "a delete carries no values",
	 'D'},
};

static const struct bad type_cases[] = {
	{"things", X1, "{\"r\": \"abc\"}", "column \"r\": \"abc\" is not a real "
	 "number", 'U'},
	{"things", X1, "{\"r\": \"nan\"}", "column \"r\": \"nan\" is not a real "
	 "number", 'U'},
	{"things", X1, "{\"bl\": \"zz\"}", "column \"bl\": \"zz\" is not hex",
	 'U'},
	{"things", X1, "{\"bl\": \"abc\"}", "column \"bl\": \"abc\" is not hex",
	 'U'},
	{"things", X1, "{\"arr\": \"[\\\"a\\\", 1]\"}", "column \"arr\": "
	 "\"[?a?, 1]\" is not a JSON array of strings", 'U'},
	{"things", X1, "{\"i\": \"1.5\"}", "column \"i\": \"1.5\" is not an "
	 "integer", 'U'},
	{"notes", X1, "{\"s\": \"x\"}", "notes is local_only: its changes never "
	 "travel", 'I'},
};

/* Each case alone in a batch: refused with its message, nothing done. */
static int run_cases(struct t *t, outpost *db, const struct bad *cases,
		     size_t n, const char *site)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct op_change c = ts_change(
			(long long)i + 1, 1, site, cases[i].table, cases[i].op,
			cases[i].row, cases[i].values);
		char want[1024];
		int rc = ts_apply(db, &c, 1, "pg_pull", 9);

		snprintf(want, sizeof(want), "change %zu (%s row %s): %s; "
			 "nothing of the batch was applied", i + 1,
			 cases[i].table, cases[i].row, cases[i].why);
		if (rc == OUTPOST_OK || strcmp(outpost_errmsg(db), want) != 0) {
			t_fail(t, __FILE__, __LINE__, "case %zu: %s\n  got  %s"
			       "\n  want %s", i, outpost_errstr(rc),
			       outpost_errmsg(db), want);
			return -1;
		}
	}
	return 0;
}

void test_sync_refuse_malformed(struct t *t)
{
	outpost *a = ts_store(t, "a", LEX), *x = types_store(t, "x");
	char site[33];
	long long n;

	CHECK(a && x);
	ts_site(a, site);
	n = ts_log_count(a);
	CHECK(run_cases(t, a, lex_cases,
			sizeof(lex_cases) / sizeof(lex_cases[0]), site) == 0);
	CHECK(run_cases(t, x, type_cases,
			sizeof(type_cases) / sizeof(type_cases[0]), site) == 0);
	CHECK_EQ(ts_log_count(a), n);
	CHECK_EQ(t_int(a, "SELECT count(*) FROM _outpost_cursors WHERE "
		       "consumer = 'pg_pull'"), 0);
	outpost_close(a);
	outpost_close(x);
}

/* A bad value in the middle of a batch: the changes before it are not
 * applied either, and the cursor stays. */
void test_sync_refuse_malformed_mid_batch(struct t *t)
{
	outpost *a = ts_store(t, "a", LEX), *b = ts_store(t, "b", LEX);
	struct ts_batch batch = {0};
	struct op_change bad;
	char sa[33], want[512];
	long long n;

	CHECK(a && b);
	ts_site(a, sa);
	CHECK_OK(a, ts_sql(a, "INSERT INTO users(id, email, password_hash) "
			   "VALUES ('" U1 "', 'p@example.org', '" HASH "')"));
	CHECK_OK(a, ts_collect(&batch, a, 0, sa, NULL));
	bad = ts_change(1003, batch.c[0].hlc + 1, sa, "children", 'I', C1,
			"{\"parent_id\": \"" U1 "\", \"name\": \"Ann\", "
			"\"birth_year\": \"12x\"}");
	ts_push(&batch, &bad);
	CHECK_OK(a, ts_sql(a, "UPDATE users SET display_name = 'P'"));
	CHECK_OK(a, ts_collect(&batch, a, batch.c[0].seq, sa, NULL));
	CHECK_EQ(batch.n, 3);
	n = ts_log_count(b);
	CHECK_RC(ts_apply(b, batch.c, batch.n, "pg_pull", 3), OUTPOST_EPROTO);
	snprintf(want, sizeof(want), "change 1003 (children row " C1 "): "
		 "column \"birth_year\": \"12x\" is not an integer; nothing of "
		 "the batch was applied");
	CHECK_STR(outpost_errmsg(b), want);
	CHECK_EQ(t_int(b, "SELECT count(*) FROM users"), 0);
	CHECK_EQ(ts_log_count(b), n);
	CHECK_EQ(t_int(b, "SELECT count(*) FROM _outpost_cursors WHERE "
		       "consumer = 'pg_pull'"), 0);
	ts_batch_free(&batch);
	outpost_close(a);
	outpost_close(b);
}

static void drift_message(char *out, size_t n, long long seq,
			  const char *site, unsigned long long hlc,
			  unsigned long long ahead_s, unsigned long long bound_s)
{
	char when[48];

	op_hlc_format(when, sizeof(when), hlc);
	snprintf(out, n, "change %lld (users row " U1 "): site %s: remote "
		 "clock %s is %llu s ahead of this device (bound %llu s): fix "
		 "the sender's clock or this device's; nothing of the batch "
		 "was applied", seq, site, when, ahead_s, bound_s);
}

/* The message names the seconds ahead, counted when the batch is
 * checked: one of two values. */
#define CHECK_DRIFT(db, seq, site, hlc, ahead, bound)                        \
	do {                                                                 \
		char w1_[1024], w2_[1024];                                   \
		drift_message(w1_, sizeof(w1_), seq, site, hlc, ahead, bound); \
		drift_message(w2_, sizeof(w2_), seq, site, hlc, (ahead) - 1, \
			      bound);                                        \
		if (strcmp(outpost_errmsg(db), w1_) != 0)                    \
			CHECK_STR(outpost_errmsg(db), w2_);                  \
	} while (0)

void test_sync_refuse_drift(struct t *t)
{
	outpost *a = ts_store(t, "a", LEX), *b = ts_store(t, "b", LEX);
	struct ts_batch batch = {0};
	char sa[33];
	unsigned long long ahead;
	long long n;

	CHECK(a && b);
	ts_site(a, sa);
	CHECK_OK(a, ts_sql(a, "INSERT INTO users(id, email, password_hash) "
			   "VALUES ('" U1 "', 'p@example.org', '" HASH "')"));
	CHECK_OK(a, ts_collect(&batch, a, 0, sa, NULL));
	CHECK_EQ(batch.n, 1);
	n = ts_log_count(b);
	/* 25 hours ahead, against the default bound of 24. */
	ahead = (op_hlc_wall_ms() + 25ull * 3600 * 1000) << 16;
	batch.c[0].hlc = ahead;
	CHECK_RC(ts_apply(b, batch.c, 1, "pg_pull", 1), OUTPOST_ECLOCK);
	CHECK_DRIFT(b, batch.c[0].seq, sa, ahead, 90000ull, 86400ull);
	CHECK_EQ(t_int(b, "SELECT count(*) FROM users"), 0);
	CHECK_EQ(ts_log_count(b), n);
	CHECK_EQ(t_int(b, "SELECT count(*) FROM _outpost_cursors WHERE "
		       "consumer = 'pg_pull'"), 0);
	CHECK_EQ(t_int(b, "SELECT floor FROM _outpost_clock"), 0);
	/* The bound is the store's to set: 10 s here, 60 s ahead. */
	CHECK_OK(b, outpost_sql_central(b, "INSERT INTO _outpost_meta VALUES "
					"('hlc_bound_ms', '10000')",
					NULL, 0, NULL, NULL));
	ahead = (op_hlc_wall_ms() + 60000) << 16;
	batch.c[0].hlc = ahead;
	CHECK_RC(ts_apply(b, batch.c, 1, NULL, 0), OUTPOST_ECLOCK);
	CHECK_DRIFT(b, batch.c[0].seq, sa, ahead, 60ull, 10ull);
	/* Within the bound: applied, and the floor is past it. */
	ahead = (op_hlc_wall_ms() + 5000) << 16;
	batch.c[0].hlc = ahead;
	CHECK_OK(b, ts_apply(b, batch.c, 1, NULL, 0));
	CHECK_EQ(t_int(b, "SELECT count(*) FROM users"), 1);
	CHECK(t_int(b, "SELECT floor FROM _outpost_clock") >= (long long)ahead);
	CHECK_OK(b, ts_sql(b, "UPDATE users SET display_name = 'later'"));
	CHECK(t_int(b, "SELECT max(hlc) FROM _outpost_changes WHERE site IS "
		    "NULL") > (long long)ahead);
	ts_batch_free(&batch);
	outpost_close(a);
	outpost_close(b);
}

/* Two sites insert one unique value: the later batch is refused, naming
 * the change and the constraint (a person has to decide). */
void test_sync_refuse_unique_clash(struct t *t)
{
	outpost *a = ts_store(t, "a", LEX), *b = ts_store(t, "b", LEX);
	char want[512];

	CHECK(a && b);
	CHECK_OK(a, ts_sql(a, "INSERT INTO users(id, email, password_hash) "
			   "VALUES ('" U1 "', 'p@example.org', '" HASH "')"));
	CHECK_OK(b, ts_sql(b, "INSERT INTO users(id, email, password_hash) "
			   "VALUES ('" C1 "', 'p@example.org', '" HASH "')"));
	CHECK_RC(ts_ship(a, b, 0, NULL), OUTPOST_ESQL);
	snprintf(want, sizeof(want), "change 1 (users row " U1 "): UNIQUE "
		 "constraint failed: users.email; nothing of the batch was "
		 "applied");
	CHECK_STR(outpost_errmsg(b), want);
	CHECK_EQ(t_int(b, "SELECT count(*) FROM users"), 1);
	outpost_close(a);
	outpost_close(b);
}
