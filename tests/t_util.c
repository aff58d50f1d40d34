/* t_util.c - ids, clocks and passwords. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "util.h"

void test_util_uuid_v7_layout_and_order(struct t *t)
{
	uint8_t a[16], b[16], back[16];
	char ta[OP_UUID_TEXT], tb[OP_UUID_TEXT];

	op_uuid_v7(a, 1795309213710ull);
	op_uuid_v7(b, 1795309213711ull);
	op_uuid_format(ta, a);
	op_uuid_format(tb, b);
	CHECK_EQ(strlen(ta), 36);
	CHECK_EQ(ta[14], '7');			  /* version */
	CHECK(strchr("89ab", ta[19]) != NULL);	  /* variant 10 */
	CHECK(strncmp(ta, "01a200c4-980e-", 14) == 0); /* 48-bit ms */
	CHECK(strcmp(ta, tb) < 0);		  /* time-ordered */
	CHECK_EQ(op_uuid_parse(back, ta), 0);
	CHECK(memcmp(back, a, 16) == 0);
	CHECK_EQ(op_uuid_parse(back, "01a200c8-75ae-7000-8000-00000000000"), -1);
	CHECK_EQ(op_uuid_parse(back, "01a200c8x75ae-7000-8000-000000000000"), -1);
	CHECK_EQ(op_uuid_parse(back, "01a200c8-75ae-7000-8000-00000000000g"), -1);
}

void test_util_hlc_monotonic_and_drift_bound(struct t *t)
{
	struct op_err err = {{0}};
	uint64_t h = 0, next, got = 0;
	uint64_t wall = 1795309213710ull;
	int i;

	/* Wall clock ahead: the clock is the wall clock. */
	next = op_hlc_tick(0, wall);
	CHECK_EQ(next, wall << 16);
	/* Same ms, or the wall clock going back: counter goes up. */
	for (i = 0; i < 1000; i++) {
		h = op_hlc_tick(next, wall - (uint64_t)(i % 3));
		CHECK(h > next);
		next = h;
	}
	CHECK_EQ(next >> 16, wall);
	CHECK_EQ(next & 0xffff, 1000);
	/* A remote clock an hour ahead is taken in. */
	CHECK_RC(op_hlc_receive(&got, next, (wall + 3600000) << 16, wall,
				OP_DEFAULT_MAX_DRIFT_MS, &err),
		 OUTPOST_OK);
	CHECK_EQ(got, (wall + 3600000) << 16);
	/* Two days ahead is refused, and the message says why. */
	CHECK_RC(op_hlc_receive(&got, next, (wall + 2 * 86400000ull) << 16,
				wall, OP_DEFAULT_MAX_DRIFT_MS, &err),
		 OUTPOST_ECLOCK);
	CHECK_HAS(err.msg, "172800 s ahead of this device (bound 86400 s)");
	/* An older remote clock keeps ours. */
	CHECK_RC(op_hlc_receive(&got, next, 5, wall, OP_DEFAULT_MAX_DRIFT_MS,
				&err),
		 OUTPOST_OK);
	CHECK_EQ(got, next);
}

void test_util_password_hash_and_verify(struct t *t)
{
	char *hash = NULL;

	CHECK_RC(outpost_password_hash(&hash, "correct horse"), OUTPOST_OK);
	CHECK(strncmp(hash, "$argon2id$v=19$m=", 17) == 0);
	CHECK(strstr(hash, "correct") == NULL);
	CHECK_RC(outpost_password_verify(hash, "correct horse"), OUTPOST_OK);
	CHECK_RC(outpost_password_verify(hash, "correct horsE"),
		 OUTPOST_EDENIED);
	CHECK_RC(outpost_password_verify("plain", "plain"), OUTPOST_EDENIED);
	CHECK_RC(outpost_password_hash(NULL, "x"), OUTPOST_EMISUSE);
	outpost_free(hash);
}
