/* util_time.c - the timestamps of the schema's `timestamp` type
 * ("2026-01-31T12:00:00Z", optional fraction) as ms since the epoch, for
 * edge validity and as-of traversals. UTC only, proleptic Gregorian. */
#include <stdio.h>
#include <string.h>

#include "util.h"

static int digits(const char *s, int n)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Days from 1970-01-01 to y-m-d (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int op_time_parse(int64_t *out, const char *s)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31};
	int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0, scale = 100;
	const char *p;

	if (!s || strlen(s) < 10 || s[4] != '-' || s[7] != '-')
		return -1;
	y = digits(s, 4);
	mo = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (y < 0 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap(y)))
		return -1;
	p = s + 10;
	if (*p == 'T') {
		if (strlen(p) < 10 || p[3] != ':' || p[6] != ':')
			return -1;
		h = digits(p + 1, 2);
		mi = digits(p + 4, 2);
		sec = digits(p + 7, 2);
		if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 ||
		    sec > 60)
			return -1;
		p += 9;
		if (*p == '.') {
			if (p[1] < '0' || p[1] > '9')
				return -1;
			for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
				ms += (*p - '0') * scale;
		}
		if (*p++ != 'Z')
			return -1;
	}
	if (*p)
		return -1;
	*out = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 +
	       (int64_t)sec * 1000 + ms;
	return 0;
}

void op_time_format(char out[OP_TIME_TEXT], int64_t ms)
{
	int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
	int64_t rem = ms - days * 86400000, z = days + 719468, era, doe, yoe,
		y, doy, mp, d, m;

	/* civil_from_days, the inverse of days_from_civil. */
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp + (mp < 10 ? 3 : -9);
	y += m <= 2;
	snprintf(out, OP_TIME_TEXT, "%04lld-%02lld-%02lldT%02lld:%02lld:"
		 "%02lld.%03lldZ", (long long)y, (long long)m, (long long)d,
		 (long long)(rem / 3600000), (long long)(rem / 60000 % 60),
		 (long long)(rem / 1000 % 60), (long long)(rem % 1000));
}
