/* util_err.c - error messages. A message is set once, where the failure is
 * first seen, and travels up beside the unchanged return code. */
#include <stdio.h>
#include <string.h>

#include "util.h"

int op_err_set(struct op_err *err, int rc, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return rc;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return rc;
}

void op_show(char *out, size_t n, const char *s)
{
	size_t i, len = strlen(s);
	size_t keep = len < n - 1 ? len : n - 4;

	for (i = 0; i < keep; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ||
					 s[i] == '"' || s[i] == '\\'
				 ? '?'
				 : s[i];
	if (keep < len)
		memcpy(out + keep, "...", 4);
	else
		out[keep] = '\0';
}

const char *outpost_errstr(int rc)
{
	switch (rc) {
	case OUTPOST_OK: return "OUTPOST_OK";
	case OUTPOST_ERROR: return "OUTPOST_ERROR";
	case OUTPOST_EMISUSE: return "OUTPOST_EMISUSE";
	case OUTPOST_ENOMEM: return "OUTPOST_ENOMEM";
	case OUTPOST_ENOTFOUND: return "OUTPOST_ENOTFOUND";
	case OUTPOST_EIO: return "OUTPOST_EIO";
	case OUTPOST_ECORRUPT: return "OUTPOST_ECORRUPT";
	case OUTPOST_EPROTO: return "OUTPOST_EPROTO";
	case OUTPOST_ESCHEMA: return "OUTPOST_ESCHEMA";
	case OUTPOST_ESQL: return "OUTPOST_ESQL";
	case OUTPOST_EREFUSED: return "OUTPOST_EREFUSED";
	case OUTPOST_EBUSY: return "OUTPOST_EBUSY";
	case OUTPOST_EEXIST: return "OUTPOST_EEXIST";
	case OUTPOST_EDRIFT: return "OUTPOST_EDRIFT";
	case OUTPOST_EDENIED: return "OUTPOST_EDENIED";
	case OUTPOST_ECLOCK: return "OUTPOST_ECLOCK";
	case OUTPOST_ENET: return "OUTPOST_ENET";
	default: return "OUTPOST_E?";
	}
}
