/* util_hlc.c - hybrid logical clocks: the upper 48 bits are wall-clock ms,
 * the lower 16 a counter. A clock never goes backwards, even when the wall
 * clock does; a remote clock too far in the future is refused so one tablet
 * set to 2035 cannot win every conflict forever.
 *
 * The capture triggers compute the same tick in SQL (schema_trigger.c):
 * max(wall_ms << 16, last + 1). Keep the two in step. */
#include <stdio.h>
#include <time.h>

#include "util.h"

uint64_t op_hlc_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t op_hlc_tick(uint64_t last, uint64_t wall_ms)
{
	uint64_t wall = wall_ms << OP_HLC_COUNTER_BITS;

	return wall > last ? wall : last + 1;
}

int op_hlc_receive(uint64_t *out, uint64_t last, uint64_t remote,
		   uint64_t wall_ms, uint64_t max_drift_ms, struct op_err *err)
{
	uint64_t remote_ms = remote >> OP_HLC_COUNTER_BITS;

	if (remote_ms > wall_ms && remote_ms - wall_ms > max_drift_ms) {
		char when[48];

		op_hlc_format(when, sizeof(when), remote);
		return op_err_set(err, OUTPOST_ECLOCK,
				  "remote clock %s is %llu s ahead of this "
				  "device (bound %llu s): fix the sender's "
				  "clock or this device's",
				  when,
				  (unsigned long long)(remote_ms - wall_ms) /
					  1000u,
				  (unsigned long long)max_drift_ms / 1000u);
	}
	*out = remote > last ? remote : last;
	return OUTPOST_OK;
}

void op_hlc_format(char *out, size_t n, uint64_t hlc)
{
	uint64_t ms = hlc >> OP_HLC_COUNTER_BITS;
	time_t secs = (time_t)(ms / 1000u);
	struct tm tm;

	if (!gmtime_r(&secs, &tm)) {
		snprintf(out, n, "%llu", (unsigned long long)hlc);
		return;
	}
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ+%u",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000u),
		 (unsigned)(hlc & 0xffffu));
}
