/* header_test.c - outpost.h must compile on its own; tools/static-checks
 * also builds this file with -std=c99 -pedantic -Werror. */
#include "outpost.h"

/* A use of the types, so the translation unit is not empty. */
typedef outpost_value header_test_value;
