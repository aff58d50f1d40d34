/* graph_csv.c - the neo4j-admin CSV reader of graph_csv.h: a byte-level
 * state machine over a fixed input chunk fills one record buffer (each
 * field's unquoted bytes, then a NUL); the header's entries become
 * columns; typed accessors parse fields and array elements. Graph layer,
 * depends on util only. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "graph_csv.h"

#define CHUNK_BYTES	 (64u << 10)
#define REC_START_BYTES	 (4u << 10)
#define SHOW_MAX	 64
#define STATUS_DONE	 1 /* r->status after the end of the file */

enum scan_state {
	S_START,  /* at the start of a field */
	S_PLAIN,  /* inside an unquoted field */
	S_QUOTED, /* inside a quoted field */
	S_QUOTE2, /* a quote inside a quoted field: "" or the end of it */
	S_CR	  /* a CR outside quotes: a LF must follow */
};

/* Where read_record() is inside the current record. */
struct scan {
	enum scan_state st;
	enum scan_state cr_from; /* the state before S_CR */
	size_t fstart;		 /* where the current field starts in rec */
	size_t qline;		 /* the line its opening quote is on */
};

struct op_graph_csv {
	char *path;
	int fd;
	enum op_graph_csv_kind kind;
	struct op_graph_csv_col *cols;
	size_t ncols;
	char *in; /* CHUNK_BYTES of input; in[in_pos..in_len) is unread */
	size_t in_pos, in_len;
	int eof;
	/* The current record: each field's bytes then a NUL. Invariant:
	 * rec_len < rec_cap <= OP_GRAPH_CSV_MAX_RECORD + 1. */
	char *rec;
	size_t rec_len, rec_cap;
	/* off[k]: where field k starts, for k < min(nfields, off_max);
	 * off[nfields] = rec_len once the record is complete. */
	size_t *off;
	size_t off_alloc, off_max;
	size_t nfields; /* counted even past off_max */
	size_t line;	/* the physical line of in[in_pos] */
	size_t rec_line;
	char *elem; /* the current array element */
	size_t elem_cap;
	int have_row;
	int status; /* 0, STATUS_DONE or the first error */
};

/* ---- messages ---- */


/* "column K \"header\"" for column k (0-based), or "column K" before
 * the header is known or past its end. */
static void colref(char *out, size_t n, const struct op_graph_csv *r,
		   size_t k)
{
	char shown[SHOW_MAX + 1];

	if (k < r->ncols && r->cols[k].header) {
		op_show(shown, sizeof(shown), r->cols[k].header);
		snprintf(out, n, "column %zu \"%s\"", k + 1, shown);
	} else {
		snprintf(out, n, "column %zu", k + 1);
	}
}

/* "FILE:LINE: column K \"header\": <reason>" for the current record. */
static int col_err(const struct op_graph_csv *r, size_t k, struct op_err *err,
		   const char *reason)
{
	char where[SHOW_MAX + 32];

	colref(where, sizeof(where), r, k);
	return op_err_set(err, OUTPOST_ECORRUPT, "%s:%zu: %s: %s", r->path,
			  r->rec_line, where, reason);
}

/* ---- input ---- */

/* Refill the input chunk: 1, 0 at the end of the file, or OUTPOST_EIO. */
static int fill(struct op_graph_csv *r, struct op_err *err)
{
	ssize_t n;

	if (r->eof)
		return 0;
	do
		n = read(r->fd, r->in, CHUNK_BYTES);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return op_err_set(err, OUTPOST_EIO, "%s:%zu: cannot read: %s",
				  r->path, r->line, strerror(errno));
	r->in_pos = 0;
	r->in_len = (size_t)n;
	if (n == 0)
		r->eof = 1;
	return n > 0;
}

/* Skip a UTF-8 byte order mark. Reads until 3 bytes are there (a pipe
 * may give fewer) so that the check never sees half of one. */
static int skip_bom(struct op_graph_csv *r, struct op_err *err)
{
	while (r->in_len < 3) {
		ssize_t n = read(r->fd, r->in + r->in_len, 3 - r->in_len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return op_err_set(err, OUTPOST_EIO, "%s: cannot read: "
					  "%s", r->path, strerror(errno));
		if (n == 0) {
			r->eof = 1;
			break;
		}
		r->in_len += (size_t)n;
	}
	if (r->in_len == 3 && memcmp(r->in, "\xEF\xBB\xBF", 3) == 0)
		r->in_pos = 3;
	return OUTPOST_OK;
}

/* ---- records ---- */

static int too_long(const struct op_graph_csv *r, const struct scan *s,
		    struct op_err *err)
{
	char where[SHOW_MAX + 32];

	if (s->st != S_QUOTED)
		return op_err_set(err, OUTPOST_ECORRUPT, "%s:%zu: record "
				  "longer than %u MiB", r->path, r->rec_line,
				  OP_GRAPH_CSV_MAX_RECORD >> 20);
	colref(where, sizeof(where), r, r->nfields);
	return op_err_set(err, OUTPOST_ECORRUPT, "%s:%zu: record longer "
			  "than %u MiB (the quote of %s opened on line %zu "
			  "may never close)", r->path, r->rec_line,
			  OP_GRAPH_CSV_MAX_RECORD >> 20, where, s->qline);
}

/* Append n bytes to the record, growing it up to the cap. */
static int append(struct op_graph_csv *r, const struct scan *s,
		  const char *p, size_t n, struct op_err *err)
{
	if (n >= r->rec_cap - r->rec_len) {
		size_t need = r->rec_len + n + 1, cap = r->rec_cap;
		char *g;

		if (n > OP_GRAPH_CSV_MAX_RECORD ||
		    need > (size_t)OP_GRAPH_CSV_MAX_RECORD + 1)
			return too_long(r, s, err);
		while (cap < need)
			cap *= 2;
		if (cap > (size_t)OP_GRAPH_CSV_MAX_RECORD + 1)
			cap = (size_t)OP_GRAPH_CSV_MAX_RECORD + 1;
		g = op_realloc(r->rec, cap);
		if (!g)
			return op_err_set(err, OUTPOST_ENOMEM, "%s:%zu: out of "
					  "memory", r->path, r->rec_line);
		r->rec = g;
		r->rec_cap = cap;
	}
	memcpy(r->rec + r->rec_len, p, n);
	r->rec_len += n;
	return 0;
}

/* Close the current field: its NUL, its offset (if kept). */
static int end_field(struct op_graph_csv *r, struct scan *s,
		     struct op_err *err)
{
	int rc = append(r, s, "", 1, err);

	if (rc < 0)
		return rc;
	if (r->nfields < r->off_max) {
		if (r->nfields + 1 >= r->off_alloc) {
			size_t n = r->off_alloc * 2;
			size_t *g;

			if (n > r->off_max + 1)
				n = r->off_max + 1;
			g = op_realloc(r->off, n * sizeof(*g));
			if (!g)
				return op_err_set(err, OUTPOST_ENOMEM, "%s:%zu: "
						  "out of memory", r->path,
						  r->rec_line);
			r->off = g;
			r->off_alloc = n;
		}
		r->off[r->nfields] = s->fstart;
	}
	r->nfields++;
	s->fstart = r->rec_len;
	s->st = S_START;
	return 0;
}

/* A line end outside quotes, seen in state from: 1 when it ends a record,
 * 0 when the line was empty (skipped). */
static int end_line(struct op_graph_csv *r, struct scan *s,
		    enum scan_state from, struct op_err *err)
{
	int rc;

	r->line++;
	if (from == S_START && r->nfields == 0) {
		r->rec_line = r->line;
		s->st = S_START;
		return 0;
	}
	rc = end_field(r, s, err);
	if (rc < 0)
		return rc;
	if (r->nfields <= r->off_max)
		r->off[r->nfields] = r->rec_len;
	return 1;
}

static int after_quote(const struct op_graph_csv *r, unsigned char c,
		       struct op_err *err)
{
	char reason[160];

	if (c > 0x20 && c < 0x7f && c != '\'')
		snprintf(reason, sizeof(reason), "'%c' after the closing "
			 "quote (write a quote inside a quoted field as \"\")",
			 c);
	else
		snprintf(reason, sizeof(reason), "byte 0x%02x after the "
			 "closing quote (write a quote inside a quoted field "
			 "as \"\")", c);
	return col_err(r, r->nfields, err, reason);
}

/* One byte that is not part of a run of ordinary bytes: 1 when it ends
 * the record, 0 to go on, or an error. */
static int step(struct op_graph_csv *r, struct scan *s, unsigned char c,
		struct op_err *err)
{
	char ch = (char)c;

	if (c == '\0')
		return col_err(r, r->nfields, err,
			       "NUL byte (this is not a text file)");
	if (s->st == S_QUOTED) {
		if (c == '"') {
			s->st = S_QUOTE2;
			return 0;
		}
		if (c == '\n')
			r->line++;
		return append(r, s, &ch, 1, err);
	}
	if (s->st == S_CR) {
		if (c != '\n')
			return col_err(r, r->nfields, err, "carriage return "
				       "not followed by a line feed");
		return end_line(r, s, s->cr_from, err);
	}
	if (c == ',')
		return end_field(r, s, err);
	if (c == '\n')
		return end_line(r, s, s->st, err);
	if (c == '\r') {
		s->cr_from = s->st;
		s->st = S_CR;
		return 0;
	}
	if (s->st == S_QUOTE2 && c != '"')
		return after_quote(r, c, err);
	if (s->st == S_START && c == '"') {
		s->st = S_QUOTED;
		s->qline = r->line;
		return 0;
	}
	s->st = s->st == S_QUOTE2 ? S_QUOTED : S_PLAIN;
	return append(r, s, &ch, 1, err);
}

/* Append the run of ordinary bytes at in[in_pos] (the fast path). */
static int take_run(struct op_graph_csv *r, const struct scan *s,
		    struct op_err *err)
{
	const char *p = r->in + r->in_pos, *end = r->in + r->in_len, *q = p;
	int rc;

	if (s->st == S_PLAIN)
		while (q < end && *q != ',' && *q != '\n' && *q != '\r' &&
		       *q != '\0')
			q++;
	else if (s->st == S_QUOTED)
		while (q < end && *q != '"' && *q != '\n' && *q != '\0')
			q++;
	rc = append(r, s, p, (size_t)(q - p), err);
	r->in_pos += (size_t)(q - p);
	return rc;
}

static int at_eof(struct op_graph_csv *r, struct scan *s, struct op_err *err)
{
	char reason[96];

	if (s->st == S_QUOTED) {
		snprintf(reason, sizeof(reason), "the quote opened on line "
			 "%zu is never closed", s->qline);
		return col_err(r, r->nfields, err, reason);
	}
	if (s->st == S_CR)
		s->st = s->cr_from;
	if (s->st == S_START && r->nfields == 0)
		return 0;
	return end_line(r, s, S_PLAIN, err);
}

/* Read one record into rec/off: 1, 0 at the end of the file, or an
 * error. */
static int read_record(struct op_graph_csv *r, struct op_err *err)
{
	struct scan s = {S_START, S_START, 0, 0};
	size_t rec_line = r->rec_line; /* kept when there is no record */
	int rc;

	r->rec_len = 0;
	r->nfields = 0;
	r->rec_line = r->line;
	for (;;) {
		if (r->in_pos == r->in_len) {
			rc = fill(r, err);
			if (rc < 0)
				return rc;
			if (rc == 0) {
				rc = at_eof(r, &s, err);
				if (rc == 0)
					r->rec_line = rec_line;
				return rc;
			}
		}
		if (s.st == S_PLAIN || s.st == S_QUOTED) {
			rc = take_run(r, &s, err);
			if (rc < 0)
				return rc;
			if (r->in_pos == r->in_len)
				continue;
		}
		rc = step(r, &s, (unsigned char)r->in[r->in_pos++], err);
		if (rc != 0)
			return rc;
	}
}

/* Offset of the first byte of s[0..n) that is not valid UTF-8 (overlong
 * forms, surrogates and code points past U+10FFFF are invalid), or n. */
static size_t utf8_bad(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], need, min, cp, k;
		uint64_t w;

		/* Eight ASCII bytes at a time: most CSV text is ASCII. */
		if (n - i >= 8) {
			memcpy(&w, s + i, 8);
			if (!(w & 0x8080808080808080ull)) {
				i += 8;
				continue;
			}
		}
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			need = 1, min = 0x80, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			need = 2, min = 0x800, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			need = 3, min = 0x10000, cp = c & 0x07;
		else
			return i;
		if (need >= n - i)
			return i;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return i;
			cp = cp << 6 | (s[i + k] & 0x3Fu);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return i;
		i += need + 1;
	}
	return n;
}

/* The checks on a complete record: UTF-8, and for rows the number of
 * fields and non-empty ids. */
static int check_record(struct op_graph_csv *r, int is_header,
			struct op_err *err)
{
	size_t bad, k, n = r->nfields < r->off_max ? r->nfields : r->off_max;

	if (!is_header && r->nfields != r->ncols)
		return op_err_set(err, OUTPOST_ECORRUPT, "%s:%zu: %zu field%s, "
				  "the header has %zu", r->path, r->rec_line,
				  r->nfields, r->nfields == 1 ? "" : "s",
				  r->ncols);
	bad = utf8_bad((const unsigned char *)r->rec, r->rec_len);
	if (bad < r->rec_len) {
		for (k = 0; k + 1 < n && r->off[k + 1] <= bad; k++)
			;
		return col_err(r, k, err, "invalid UTF-8");
	}
	for (k = 0; !is_header && k < r->ncols; k++) {
		enum op_graph_csv_role role = r->cols[k].role;

		if ((role == OP_GRAPH_CSV_ID || role == OP_GRAPH_CSV_START_ID ||
		     role == OP_GRAPH_CSV_END_ID) &&
		    r->rec[r->off[k]] == '\0')
			return col_err(r, k, err, "empty id");
	}
	return 0;
}

/* ---- the header ---- */

static const struct {
	const char *name;
	enum op_graph_csv_role role;
	enum op_graph_csv_type type;
} header_types[] = {
	{"string", OP_GRAPH_CSV_PROPERTY, OP_GRAPH_CSV_STRING},
	{"int", OP_GRAPH_CSV_PROPERTY, OP_GRAPH_CSV_INT},
	{"long", OP_GRAPH_CSV_PROPERTY, OP_GRAPH_CSV_INT},
	{"float", OP_GRAPH_CSV_PROPERTY, OP_GRAPH_CSV_FLOAT},
	{"double", OP_GRAPH_CSV_PROPERTY, OP_GRAPH_CSV_FLOAT},
	{"boolean", OP_GRAPH_CSV_PROPERTY, OP_GRAPH_CSV_BOOLEAN},
	{"date", OP_GRAPH_CSV_PROPERTY, OP_GRAPH_CSV_DATE},
	{"datetime", OP_GRAPH_CSV_PROPERTY, OP_GRAPH_CSV_DATETIME},
	{"ID", OP_GRAPH_CSV_ID, OP_GRAPH_CSV_STRING},
	{"LABEL", OP_GRAPH_CSV_LABEL, OP_GRAPH_CSV_STRING},
	{"START_ID", OP_GRAPH_CSV_START_ID, OP_GRAPH_CSV_STRING},
	{"END_ID", OP_GRAPH_CSV_END_ID, OP_GRAPH_CSV_STRING},
	{"TYPE", OP_GRAPH_CSV_TYPE, OP_GRAPH_CSV_STRING},
	{"IGNORE", OP_GRAPH_CSV_IGNORE, OP_GRAPH_CSV_STRING},
};

#define N_HEADER_TYPES (sizeof(header_types) / sizeof(header_types[0]))

static const char *role_name(enum op_graph_csv_role role)
{
	size_t i;

	for (i = 0; i < N_HEADER_TYPES; i++)
		if (header_types[i].role == role && role != OP_GRAPH_CSV_PROPERTY)
			return header_types[i].name;
	return "property";
}

static const char *known_types(enum op_graph_csv_kind kind)
{
	return kind == OP_GRAPH_CSV_NODES
		       ? "(expected one of: string, int, long, float, double, "
			 "boolean, date, datetime, each optionally followed by "
			 "[], or ID, LABEL, IGNORE)"
		       : "(expected one of: string, int, long, float, double, "
			 "boolean, date, datetime, each optionally followed by "
			 "[], or START_ID, END_ID, TYPE, IGNORE)";
}

static int is_id_role(enum op_graph_csv_role role)
{
	return role == OP_GRAPH_CSV_ID || role == OP_GRAPH_CSV_START_ID ||
	       role == OP_GRAPH_CSV_END_ID;
}

/* Set c's role, type and is_array from the type text t[0..n). */
static int set_type(struct op_graph_csv *r, size_t k, const char *t,
		    size_t n, struct op_err *err)
{
	struct op_graph_csv_col *c = &r->cols[k];
	char reason[512], shown[SHOW_MAX + 1], *tt;
	size_t i;

	if (n >= 2 && t[n - 2] == '[' && t[n - 1] == ']') {
		c->is_array = 1;
		n -= 2;
	}
	for (i = 0; i < N_HEADER_TYPES; i++)
		if (strlen(header_types[i].name) == n &&
		    strncasecmp(header_types[i].name, t, n) == 0)
			break;
	if (i < N_HEADER_TYPES) {
		c->role = header_types[i].role;
		c->type = header_types[i].type;
		if (c->role != OP_GRAPH_CSV_PROPERTY && c->is_array)
			return col_err(r, k, err, "only property types can be "
				       "arrays ([])");
		if (c->role == OP_GRAPH_CSV_LABEL)
			c->is_array = 1;
		return 0;
	}
	tt = op_strndup(t, c->is_array ? n + 2 : n);
	if (!tt)
		return op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	op_show(shown, sizeof(shown), tt);
	op_free(tt);
	if (n == 0 && !c->is_array)
		snprintf(reason, sizeof(reason), "missing type after ':' %s",
			 known_types(r->kind));
	else
		snprintf(reason, sizeof(reason), "unknown type \"%s\" %s",
			 shown, known_types(r->kind));
	return col_err(r, k, err, reason);
}

/* Is this role allowed in this kind of file? */
static int check_kind(struct op_graph_csv *r, size_t k, struct op_err *err)
{
	enum op_graph_csv_role role = r->cols[k].role;
	char reason[160];

	if (r->kind == OP_GRAPH_CSV_NODES &&
	    (role == OP_GRAPH_CSV_START_ID || role == OP_GRAPH_CSV_END_ID ||
	     role == OP_GRAPH_CSV_TYPE))
		snprintf(reason, sizeof(reason), ":%s belongs in a "
			 "relationships file, not a nodes file",
			 role_name(role));
	else if (r->kind == OP_GRAPH_CSV_RELATIONSHIPS &&
		 (role == OP_GRAPH_CSV_ID || role == OP_GRAPH_CSV_LABEL))
		snprintf(reason, sizeof(reason), ":%s belongs in a nodes "
			 "file, not a relationships file", role_name(role));
	else
		return 0;
	return col_err(r, k, err, reason);
}

/* Split header entry h of column k: "name:type(space)". The type is after
 * the last ':' (before a final "(...)"); without a ':' the whole entry is
 * a string property's name. */
static int parse_entry(struct op_graph_csv *r, size_t k, const char *h,
		       struct op_err *err)
{
	struct op_graph_csv_col *c = &r->cols[k];
	size_t len = strlen(h), base = len, colon, i;
	const char *lp = NULL;
	int rc;

	c->header = op_strdup(h);
	if (!c->header)
		return op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	if (len == 0)
		return op_err_set(err, OUTPOST_ECORRUPT, "%s:%zu: column %zu "
				  "is empty (a property needs a name; write "
				  ":IGNORE to skip a column)", r->path,
				  r->rec_line, k + 1);
	if (h[len - 1] == ')' && (lp = strrchr(h, '(')) != NULL &&
	    memchr(h, ':', (size_t)(lp - h)) != NULL)
		base = (size_t)(lp - h);
	else
		lp = NULL;
	for (colon = SIZE_MAX, i = 0; i < base; i++)
		if (h[i] == ':')
			colon = i;
	if (colon == SIZE_MAX) {
		c->role = OP_GRAPH_CSV_PROPERTY;
		c->type = OP_GRAPH_CSV_STRING;
		c->name = c->header;
		return 0;
	}
	rc = set_type(r, k, h + colon + 1, base - colon - 1, err);
	if (rc == 0)
		rc = check_kind(r, k, err);
	if (rc < 0)
		return rc;
	if (lp && !is_id_role(c->role))
		return col_err(r, k, err, "only ID, START_ID and END_ID take "
			       "an id space in parentheses");
	if (lp && lp + 2 == h + len)
		return col_err(r, k, err, "empty id space in parentheses");
	if (c->role == OP_GRAPH_CSV_PROPERTY && colon == 0)
		return col_err(r, k, err, "a property needs a name before "
			       "the ':'");
	if ((c->role == OP_GRAPH_CSV_PROPERTY || c->role == OP_GRAPH_CSV_ID) &&
	    colon > 0 && !(c->name = op_strndup(h, colon)))
		return op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	if (lp && !(c->id_space = op_strndup(lp + 1, len - base - 2)))
		return op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	return 0;
}

/* Column k against the columns before it: one of each special id or type
 * column, property names unique. */
static int check_unique(struct op_graph_csv *r, size_t k, struct op_err *err)
{
	const struct op_graph_csv_col *c = &r->cols[k];
	char reason[160], shown[SHOW_MAX + 1];
	size_t j;

	for (j = 0; j < k; j++) {
		const struct op_graph_csv_col *d = &r->cols[j];

		if (d->role == c->role &&
		    (is_id_role(c->role) || c->role == OP_GRAPH_CSV_TYPE)) {
			snprintf(reason, sizeof(reason), "a second %s column "
				 "(the first is column %zu)",
				 role_name(c->role), j + 1);
			return col_err(r, k, err, reason);
		}
		if (c->name && d->name && strcmp(c->name, d->name) == 0) {
			op_show(shown, sizeof(shown), c->name);
			snprintf(reason, sizeof(reason), "property \"%s\" is "
				 "also column %zu", shown, j + 1);
			return col_err(r, k, err, reason);
		}
	}
	return 0;
}

static int missing(const struct op_graph_csv *r, struct op_err *err)
{
	const char *need = NULL;

	if (r->kind == OP_GRAPH_CSV_NODES &&
	    op_graph_csv_find(r, OP_GRAPH_CSV_ID) == SIZE_MAX)
		need = "no ID column (a nodes file needs one, such as "
		       "\"uuid:ID\" or \":ID\")";
	else if (r->kind == OP_GRAPH_CSV_RELATIONSHIPS &&
		 op_graph_csv_find(r, OP_GRAPH_CSV_START_ID) == SIZE_MAX)
		need = "no START_ID column (a relationships file needs "
		       ":START_ID and :END_ID)";
	else if (r->kind == OP_GRAPH_CSV_RELATIONSHIPS &&
		 op_graph_csv_find(r, OP_GRAPH_CSV_END_ID) == SIZE_MAX)
		need = "no END_ID column (a relationships file needs "
		       ":START_ID and :END_ID)";
	if (!need)
		return 0;
	return op_err_set(err, OUTPOST_ECORRUPT, "%s:%zu: %s", r->path,
			  r->rec_line, need);
}

static int read_header(struct op_graph_csv *r, struct op_err *err)
{
	size_t k;
	int rc;

	r->off_max = OP_GRAPH_CSV_MAX_COLS;
	rc = read_record(r, err);
	if (rc == 0)
		return op_err_set(err, OUTPOST_ECORRUPT, "%s:1: empty file "
				  "(expected a header such as %s)", r->path,
				  r->kind == OP_GRAPH_CSV_NODES
					  ? "\"uuid:ID,name,:LABEL\""
					  : "\":START_ID,:END_ID,:TYPE\"");
	if (rc < 0)
		return rc;
	if (r->nfields > OP_GRAPH_CSV_MAX_COLS)
		return op_err_set(err, OUTPOST_ECORRUPT, "%s:%zu: the header "
				  "has %zu columns, more than %u", r->path,
				  r->rec_line, r->nfields,
				  OP_GRAPH_CSV_MAX_COLS);
	rc = check_record(r, 1, err);
	if (rc < 0)
		return rc;
	r->cols = op_calloc(r->nfields, sizeof(*r->cols));
	if (!r->cols)
		return op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	r->ncols = r->nfields;
	for (k = 0; k < r->ncols && rc == 0; k++) {
		rc = parse_entry(r, k, r->rec + r->off[k], err);
		if (rc == 0)
			rc = check_unique(r, k, err);
	}
	if (rc == 0)
		rc = missing(r, err);
	r->off_max = r->ncols;
	return rc;
}

/* ---- open, next, close ---- */

int op_graph_csv_open(struct op_graph_csv **out, const char *path,
		      enum op_graph_csv_kind kind, struct op_err *err)
{
	struct op_graph_csv *r = NULL;
	int rc;

	if (!out || !path || (kind != OP_GRAPH_CSV_NODES &&
			      kind != OP_GRAPH_CSV_RELATIONSHIPS)) {
		rc = op_err_set(err, OUTPOST_EMISUSE, "op_graph_csv_open: "
				"NULL argument or unknown kind");
		goto done;
	}
	r = op_calloc(1, sizeof(*r));
	if (r) {
		r->fd = -1;
		r->kind = kind;
		r->line = 1;
		r->path = op_strdup(path);
		r->in = op_malloc(CHUNK_BYTES);
		r->rec = op_malloc(REC_START_BYTES);
		r->rec_cap = REC_START_BYTES;
		r->off = op_malloc(16 * sizeof(*r->off));
		r->off_alloc = 16;
	}
	if (!r || !r->path || !r->in || !r->rec || !r->off) {
		rc = op_err_set(err, OUTPOST_ENOMEM, "out of memory");
		goto done;
	}
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		rc = op_err_set(err, errno == ENOENT ? OUTPOST_ENOTFOUND
						     : OUTPOST_EIO,
				"%s: cannot open: %s", path, strerror(errno));
		goto done;
	}
	rc = skip_bom(r, err);
	if (rc == OUTPOST_OK)
		rc = read_header(r, err);
done:
	if (rc != OUTPOST_OK) {
		op_graph_csv_close(r);
		r = NULL;
	}
	if (out)
		*out = r;
	return rc;
}

void op_graph_csv_close(struct op_graph_csv *r)
{
	size_t k;

	if (!r)
		return;
	for (k = 0; r->cols && k < r->ncols; k++) {
		if (r->cols[k].name != r->cols[k].header)
			op_free((char *)r->cols[k].name);
		op_free((char *)r->cols[k].header);
		op_free((char *)r->cols[k].id_space);
	}
	if (r->fd >= 0)
		close(r->fd);
	op_free(r->cols);
	op_free(r->path);
	op_free(r->in);
	op_free(r->rec);
	op_free(r->off);
	op_free(r->elem);
	op_free(r);
}

int op_graph_csv_next(struct op_graph_csv *r, struct op_err *err)
{
	int rc;

	if (!r)
		return op_err_set(err, OUTPOST_EMISUSE, "op_graph_csv_next: "
				  "NULL reader");
	if (r->status == STATUS_DONE)
		return 0;
	if (r->status < 0)
		return op_err_set(err, r->status, "%s:%zu: the reader stopped "
				  "at an earlier error", r->path, r->rec_line);
	r->have_row = 0;
	rc = read_record(r, err);
	if (rc == OP_GRAPH_CSV_ROW) {
		rc = check_record(r, 0, err);
		if (rc == 0)
			rc = OP_GRAPH_CSV_ROW;
	}
	if (rc < 0)
		r->status = rc;
	else if (rc == 0)
		r->status = STATUS_DONE;
	r->have_row = rc == OP_GRAPH_CSV_ROW;
	return rc;
}

/* ---- the header and the row ---- */

size_t op_graph_csv_ncols(const struct op_graph_csv *r)
{
	return r ? r->ncols : 0;
}

const struct op_graph_csv_col *op_graph_csv_col(const struct op_graph_csv *r,
						size_t i)
{
	return r && i < r->ncols ? &r->cols[i] : NULL;
}

size_t op_graph_csv_find(const struct op_graph_csv *r,
			 enum op_graph_csv_role role)
{
	size_t k;

	for (k = 0; r && k < r->ncols; k++)
		if (r->cols[k].role == role)
			return k;
	return SIZE_MAX;
}

const char *op_graph_csv_path(const struct op_graph_csv *r)
{
	return r ? r->path : NULL;
}

size_t op_graph_csv_line(const struct op_graph_csv *r)
{
	return r ? r->rec_line : 0;
}

const char *op_graph_csv_field(const struct op_graph_csv *r, size_t i)
{
	return r && r->have_row && i < r->ncols ? r->rec + r->off[i] : NULL;
}

int op_graph_csv_is_empty(const struct op_graph_csv *r, size_t i)
{
	const char *f = op_graph_csv_field(r, i);

	return !f || f[0] == '\0';
}

size_t op_graph_csv_buffer_size(const struct op_graph_csv *r)
{
	if (!r)
		return 0;
	return CHUNK_BYTES + r->rec_cap + r->off_alloc * sizeof(*r->off) +
	       r->elem_cap;
}

/* ---- typed values ---- */

enum value_kind { V_INT, V_DOUBLE, V_BOOL };

static const char *const value_what[] = {"an integer", "a number",
					 "true or false"};

/* s without the spaces and tabs around it: *n bytes from the result. */
static const char *trim(const char *s, size_t *n)
{
	size_t len;

	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	*n = len;
	return s;
}

/* 0, or 1 when s[0..n) is not an integer, 2 when out of range. */
static int parse_int(const char *s, size_t n, int64_t *out)
{
	uint64_t v = 0, limit = (uint64_t)INT64_MAX;
	size_t i = 0;
	int neg = 0;

	if (n > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		limit += neg;
		i++;
	}
	if (i == n)
		return 1;
	for (; i < n; i++) {
		unsigned d = (unsigned)(unsigned char)s[i] - '0';

		if (d > 9)
			return 1;
		if (v > (limit - d) / 10)
			return 2;
		v = v * 10 + d;
	}
	if (neg)
		*out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return 0;
}

static size_t digits(const char *s, size_t i, size_t n)
{
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i;
}

/* 0, or 1 when s[0..n) is not a decimal number, 2 when out of range.
 * s[n] is a space, a tab or the NUL. */
static int parse_double(const char *s, size_t n, double *out)
{
	size_t i = 0, j;
	char *end;
	double v;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		i++;
	j = digits(s, i, n);
	if (j < n && s[j] == '.')
		j = digits(s, j + 1, n);
	if (j == i || (j == i + 1 && s[i] == '.'))
		return 1;
	if (j < n && (s[j] == 'e' || s[j] == 'E')) {
		i = j + 1;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			i++;
		j = digits(s, i, n);
		if (j == i)
			return 1;
	}
	if (j != n)
		return 1;
	errno = 0;
	v = strtod(s, &end);
	if (end != s + n)
		return 1;
	if (errno == ERANGE && isinf(v))
		return 2;
	*out = v;
	return 0;
}

/* Parse text as kind into out (int64_t, double or int); on failure the
 * message names column k and element elem (1-based, 0 for none). */
static int parse_value(const struct op_graph_csv *r, size_t k, size_t elem,
		       const char *text, enum value_kind kind, void *out,
		       struct op_err *err)
{
	char where[SHOW_MAX + 64], shown[SHOW_MAX + 1], reason[160];
	size_t n, m;
	const char *s = trim(text, &n);
	int bad = 1;

	if (kind == V_INT)
		bad = parse_int(s, n, out);
	else if (kind == V_DOUBLE)
		bad = parse_double(s, n, out);
	else if (n == 4 && strncasecmp(s, "true", 4) == 0)
		*(int *)out = 1, bad = 0;
	else if (n == 5 && strncasecmp(s, "false", 5) == 0)
		*(int *)out = 0, bad = 0;
	if (!bad)
		return OUTPOST_OK;
	colref(where, sizeof(where), r, k);
	m = strlen(where);
	if (elem)
		snprintf(where + m, sizeof(where) - m, " element %zu", elem);
	op_show(shown, sizeof(shown), text);
	if (text[0] == '\0')
		snprintf(reason, sizeof(reason), "empty, expected %s",
			 value_what[kind]);
	else if (bad == 2)
		snprintf(reason, sizeof(reason), "\"%s\" is out of range for "
			 "%s", shown, kind == V_INT ? "a 64-bit integer"
						    : "a double");
	else
		snprintf(reason, sizeof(reason), "\"%s\" is not %s", shown,
			 value_what[kind]);
	return op_err_set(err, OUTPOST_ECORRUPT, "%s:%zu: %s: %s", r->path,
			  r->rec_line, where, reason);
}

static int field_value(const struct op_graph_csv *r, size_t i,
		       enum value_kind kind, void *out, struct op_err *err)
{
	const char *f = op_graph_csv_field(r, i);

	if (!f || !out)
		return op_err_set(err, OUTPOST_EMISUSE, "no column %zu in the "
				  "current row", i + 1);
	return parse_value(r, i, 0, f, kind, out, err);
}

int op_graph_csv_int(const struct op_graph_csv *r, size_t i, int64_t *out,
		     struct op_err *err)
{
	return field_value(r, i, V_INT, out, err);
}

int op_graph_csv_double(const struct op_graph_csv *r, size_t i, double *out,
			struct op_err *err)
{
	return field_value(r, i, V_DOUBLE, out, err);
}

int op_graph_csv_bool(const struct op_graph_csv *r, size_t i, int *out,
		      struct op_err *err)
{
	return field_value(r, i, V_BOOL, out, err);
}

/* ---- arrays ---- */

int op_graph_csv_array_next(struct op_graph_csv *r,
			    struct op_graph_csv_elem *e, struct op_err *err)
{
	const char *f, *semi;
	size_t flen, n;

	f = e ? op_graph_csv_field(r, e->col) : NULL;
	if (!f)
		return op_err_set(err, OUTPOST_EMISUSE, "no such column in the "
				  "current row");
	flen = r->off[e->col + 1] - r->off[e->col] - 1;
	if (flen == 0 || e->pos_ > flen)
		return 0;
	semi = memchr(f + e->pos_, ';', flen - e->pos_);
	n = semi ? (size_t)(semi - f) - e->pos_ : flen - e->pos_;
	if (n >= r->elem_cap) {
		char *g = op_realloc(r->elem, flen + 1);

		if (!g)
			return op_err_set(err, OUTPOST_ENOMEM, "%s:%zu: out of "
					  "memory", r->path, r->rec_line);
		r->elem = g;
		r->elem_cap = flen + 1;
	}
	memcpy(r->elem, f + e->pos_, n);
	r->elem[n] = '\0';
	e->text = r->elem;
	e->index = e->count_++;
	e->pos_ += n + 1;
	return 1;
}

static int elem_value(const struct op_graph_csv *r,
		      const struct op_graph_csv_elem *e, enum value_kind kind,
		      void *out, struct op_err *err)
{
	if (!r || !e || !e->text || !out || !r->have_row ||
	    e->col >= r->ncols)
		return op_err_set(err, OUTPOST_EMISUSE, "no current array "
				  "element");
	return parse_value(r, e->col, e->index + 1, e->text, kind, out, err);
}

int op_graph_csv_elem_int(const struct op_graph_csv *r,
			  const struct op_graph_csv_elem *e, int64_t *out,
			  struct op_err *err)
{
	return elem_value(r, e, V_INT, out, err);
}

int op_graph_csv_elem_double(const struct op_graph_csv *r,
			     const struct op_graph_csv_elem *e, double *out,
			     struct op_err *err)
{
	return elem_value(r, e, V_DOUBLE, out, err);
}

int op_graph_csv_elem_bool(const struct op_graph_csv *r,
			   const struct op_graph_csv_elem *e, int *out,
			   struct op_err *err)
{
	return elem_value(r, e, V_BOOL, out, err);
}
