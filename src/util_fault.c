/* util_fault.c - named crash points for the crash tests: when the
 * environment variable OUTPOST_FAULT names the point, the process ends
 * there at once, as a power cut would end it (no atexit, no flush). The
 * points sit in the windows a random SIGKILL rarely hits: between the
 * two engines' commits. One getenv per pass; never set in production. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

void op_fault_point(const char *name)
{
	const char *want = getenv("OUTPOST_FAULT");

	if (want && strcmp(want, name) == 0)
		_exit(OP_FAULT_EXIT);
}
