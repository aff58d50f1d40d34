/* util.h - the bottom layer: memory, growable buffers, errors, hex, UUIDs,
 * hybrid logical clocks, files and password hashing. Depends on libc and
 * libsodium only; every other module may use it. */
#ifndef OP_UTIL_H
#define OP_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "outpost.h"

/* ---- memory: every allocation of the library goes through these ---- */
void *op_malloc(size_t n);
void *op_calloc(size_t count, size_t size);
void *op_realloc(void *p, size_t n);
void op_free(void *p);
char *op_strdup(const char *s);
char *op_strndup(const char *s, size_t n);
/* a + b, or SIZE_MAX when it would overflow (op_malloc(SIZE_MAX) fails). */
size_t op_size_add(size_t a, size_t b);

/* ---- errors: one message per failure, set where it is first seen ---- */
struct op_err {
	char msg[4096];
};
/* Set the message (printf format); returns rc so callers can write
 * `return op_err_set(err, OUTPOST_EIO, "...")`. err may be NULL. */
int op_err_set(struct op_err *err, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Text from outside made safe to quote in a message: control bytes,
 * quotes and backslashes become '?', and a long text is cut with "...".
 * out has n bytes (n >= 4). */
void op_show(char *out, size_t n, const char *s);

/* ---- JSON text: a string as cJSON prints one (util_json.c) ---- */
/* The most bytes op_json_put_string may write for s (SIZE_MAX if that
 * overflows). */
size_t op_json_string_max(const char *s);
/* Write s quoted and escaped at o (room for op_json_string_max(s));
 * returns the end. */
char *op_json_put_string(char *o, const char *s);

/* ---- growable byte buffer, always NUL-terminated ---- */
struct op_buf {
	char *p;
	size_t len;
	size_t cap;
	int oom; /* sticky: an append failed; the contents are incomplete */
};
void op_buf_add(struct op_buf *b, const char *s, size_t n);
void op_buf_adds(struct op_buf *b, const char *s);
void op_buf_addf(struct op_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void op_buf_vaddf(struct op_buf *b, const char *fmt, va_list ap);
/* The contents as a string (never NULL); borrowed from b. */
const char *op_buf_str(const struct op_buf *b);
/* Hand the contents to the caller (free with op_free); b is emptied.
 * NULL if an append failed. */
char *op_buf_take(struct op_buf *b);
void op_buf_free(struct op_buf *b);

/* ---- hex ---- */
void op_hex_encode(char *out, const uint8_t *in, size_t n); /* 2n+1 bytes */
/* Decode exactly 2n hex digits into out; -1 on a bad digit or length. */
int op_hex_decode(uint8_t *out, size_t n, const char *hex, size_t hexlen);

/* ---- UUIDs ---- */
#define OP_UUID_TEXT 37 /* 36 characters and the NUL */
/* A UUID v7: 48 bits of ms since the epoch, version, random bits. */
void op_uuid_v7(uint8_t out[16], uint64_t unix_ms);
void op_uuid_format(char out[OP_UUID_TEXT], const uint8_t in[16]);
/* A deterministic UUID v8 from parts (each NUL-separated in the hash):
 * keyed BLAKE2b, the same on every store, so two stores deriving an id
 * from the same (label, original id) agree. */
void op_uuid_v8(uint8_t out[16], const char *const *parts, size_t nparts);
/* A deterministic UUID v8 for an edge from binary parts (SipHash-2-4
 * under two fixed keys: ~10x cheaper than BLAKE2b, for the millions of
 * edges of a bulk import). */
void op_uuid_v8_fast(uint8_t out[16], const void *data, size_t n);
/* Parse the canonical 36-character form (either case); -1 if malformed. */
int op_uuid_parse(uint8_t out[16], const char *text);

/* ---- hybrid logical clocks: 48 bits of ms, 16 bits of counter ---- */
#define OP_HLC_COUNTER_BITS 16
#define OP_DEFAULT_MAX_DRIFT_MS (24ull * 3600 * 1000)
uint64_t op_hlc_wall_ms(void);
/* The next local clock after last (the greatest issued or seen). */
uint64_t op_hlc_tick(uint64_t last, uint64_t wall_ms);
/* Take in a remote clock: OUTPOST_ECLOCK (with message) if it is more than
 * max_drift_ms ahead of wall_ms; else *out = the new greatest clock. */
int op_hlc_receive(uint64_t *out, uint64_t last, uint64_t remote,
		   uint64_t wall_ms, uint64_t max_drift_ms, struct op_err *err);
/* "2026-11-22T09:30:00.123Z+5" style text of a clock; out >= 40 bytes. */
void op_hlc_format(char *out, size_t n, uint64_t hlc);

/* ---- timestamps: "YYYY-MM-DD[THH:MM:SS[.fff]Z]", UTC ---- */
#define OP_TIME_TEXT 96
/* ms since the epoch; -1 if s is not such a timestamp (0 on success). */
int op_time_parse(int64_t *out, const char *s);
/* Always with milliseconds: "2026-01-31T12:00:00.000Z". */
void op_time_format(char out[OP_TIME_TEXT], int64_t ms);

/* ---- crash points for tests (OUTPOST_FAULT=name ends the process) ---- */
#define OP_FAULT_EXIT 86
void op_fault_point(const char *name);

/* ---- files ---- */
/* mkdir -p with mode 0700 for new directories. */
int op_fs_mkdirs(const char *path, struct op_err *err);
int op_fs_exists(const char *path);
/* An exclusive lock on the file at path (made, mode 0600, if missing),
 * held in *fd until op_fs_unlock or the process ends: OUTPOST_EBUSY at
 * once if another process holds it. */
int op_fs_lock(int *fd, const char *path, struct op_err *err);
void op_fs_unlock(int fd);
/* Write a new file holding a secret: mode 0600, O_EXCL, fsync'd, then its
 * directory fsync'd. */
int op_fs_write_secret(const char *path, const void *data, size_t n,
		       struct op_err *err);
/* Read a whole file of at most max bytes; *out is NUL-terminated, free
 * with op_free. */
int op_fs_read(char **out, size_t *len, const char *path, size_t max,
	       struct op_err *err);
/* op_fs_read of a file holding a secret: refused unless it is a regular
 * file that only its owner can read or write. */
int op_fs_read_secret(char **out, size_t *len, const char *path, size_t max,
		      struct op_err *err);
/* path joined: dir + "/" + name, or NULL when out of memory. */
char *op_fs_join(const char *dir, const char *name);

/* ---- passwords (Argon2id) ---- */
int op_pw_hash(char **out, const char *plain, struct op_err *err);
int op_pw_verify(const char *hash, const char *plain);
/* 1 if s looks like an Argon2id hash string. */
int op_pw_is_hash(const char *s);

#endif
