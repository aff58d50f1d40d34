/* check.h - the test harness: CHECK macros and helpers every test file
 * uses. Each test runs in its own process with a fresh temporary
 * directory (see runner.c). */
#ifndef OP_CHECK_H
#define OP_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "outpost.h"

struct t {
	const char *name;
	char dir[256]; /* fresh, empty, removed after the test */
	int failed;
};

void t_fail(struct t *t, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			t_fail(t, __FILE__, __LINE__, "%s", #cond);          \
			return;                                              \
		}                                                            \
	} while (0)

#define CHECK_EQ(a, b)                                                       \
	do {                                                                 \
		long long a_ = (long long)(a), b_ = (long long)(b);          \
		if (a_ != b_) {                                              \
			t_fail(t, __FILE__, __LINE__, "%s == %s: %lld != %lld", \
			       #a, #b, a_, b_);                              \
			return;                                              \
		}                                                            \
	} while (0)

#define CHECK_STR(a, b)                                                      \
	do {                                                                 \
		const char *a_ = (a), *b_ = (b);                             \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                     \
			t_fail(t, __FILE__, __LINE__,                        \
			       "%s == %s:\n    got  \"%s\"\n    want \"%s\"", \
			       #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
			return;                                              \
		}                                                            \
	} while (0)

/* haystack contains needle */
#define CHECK_HAS(hay, needle)                                               \
	do {                                                                 \
		const char *h_ = (hay), *n_ = (needle);                      \
		if (!h_ || !strstr(h_, n_)) {                                \
			t_fail(t, __FILE__, __LINE__,                        \
			       "%s contains \"%s\":\n    got \"%s\"", #hay,  \
			       n_, h_ ? h_ : "(null)");                      \
			return;                                              \
		}                                                            \
	} while (0)

#define CHECK_RC(rc, want)                                                   \
	do {                                                                 \
		int r_ = (rc), w_ = (want);                                  \
		if (r_ != w_) {                                              \
			t_fail(t, __FILE__, __LINE__, "%s: %s, want %s", #rc, \
			       outpost_errstr(r_), outpost_errstr(w_));      \
			return;                                              \
		}                                                            \
	} while (0)

/* Same, and shows the store's message. */
#define CHECK_OK(db, rc)                                                     \
	do {                                                                 \
		int r_ = (rc);                                               \
		if (r_ != OUTPOST_OK) {                                      \
			t_fail(t, __FILE__, __LINE__, "%s: %s: %s", #rc,     \
			       outpost_errstr(r_), outpost_errmsg(db));      \
			return;                                              \
		}                                                            \
	} while (0)

/* path of `name` inside the test's directory (static per call site is
 * not allowed: out has room for 512 bytes). */
void t_path(char out[512], const struct t *t, const char *name);
/* A shipped schema file by name ("lexicraft.json"). */
void t_schema(char out[512], const char *name);
/* Write a file; returns 0 on success. */
int t_write(const char *path, const char *text);
/* Run a shell command; *out (if not NULL) gets stdout+stderr, malloc'd.
 * Returns the exit status (or -1). */
int t_sh(char **out, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* tmpl with every "@" replaced by path (expected messages name files). */
void t_expand(char *out, size_t n, const char *tmpl, const char *path);
/* The outpost binary under test. */
const char *t_bin(void);
/* A store in the test's directory with a shipped schema applied. */
outpost *t_store(struct t *t, const char *schema_name);
/* An outpost_row_fn: copies the first column of the first row into ctx, a
 * char[T_TEXT_MAX], as text ("(null)" for NULL). */
#define T_TEXT_MAX 1024
int t_first_text(void *ctx, int n, const char *const *names,
		 const outpost_value *v);
/* The first column of the first row of sql as text ("(null)" for NULL,
 * "" if no row), or "(error: ...)"; returns out. */
const char *t_text(outpost *db, const char *sql, char out[T_TEXT_MAX]);
/* One integer from a SQL query, or -1 on error. */
long long t_int(outpost *db, const char *sql);
/* How many edges of type (NULL: any) the graph holds, or -1 on error. */
long long t_edges(outpost *db, const char *type);

/* splitmix64: small, seedable, the same sequence everywhere (the crash
 * tests draw their writes and kill times from it). */
uint64_t t_rng_next(uint64_t *s);
unsigned t_rng_below(uint64_t *s, unsigned n);
void t_sleep_ms(unsigned ms);
/* Stop a child this test started: SIGTERM, SIGKILL after 5 s, reaped;
 * *pid becomes 0. Nothing if *pid <= 0. */
void t_stop_child(pid_t *pid);

/* Every test's prototype, from list.h. */
#define TEST(module, name) void test_##module##_##name(struct t *t);
#include "list.h"
#undef TEST

#endif
