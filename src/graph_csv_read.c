/* graph_csv_read.c - the record reader of graph_csv.h: a byte-level
 * state machine over a fixed input chunk fills one record buffer (each
 * field's unquoted bytes, then a NUL); open, next and close; the header
 * and row accessors; the column messages the other parts share. Graph
 * layer, depends on util only. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "graph_csv_int.h"

#define CHUNK_BYTES	 (64u << 10)
#define REC_START_BYTES	 (4u << 10)
#define STATUS_DONE	 1 /* r->status after the end of the file */

enum scan_state {
	S_START,  /* at the start of a field */
	S_PLAIN,  /* inside an unquoted field */
	S_QUOTED, /* inside a quoted field */
	S_QUOTE2, /* a quote inside a quoted field: "" or the end of it */
	S_CR	  /* a CR outside quotes: a LF must follow */
};

/* Where op_graph_csv_read_record() is inside the current record. */
struct scan {
	enum scan_state st;
	enum scan_state cr_from; /* the state before S_CR */
	size_t fstart;		 /* where the current field starts in rec */
	size_t qline;		 /* the line its opening quote is on */
};

/* ---- messages ---- */

void op_graph_csv_colref(char *out, size_t n, const struct op_graph_csv *r,
			 size_t k)
{
	char shown[OP_GRAPH_CSV_SHOW_MAX + 1];

	if (k < r->ncols && r->cols[k].header) {
		op_show(shown, sizeof(shown), r->cols[k].header);
		snprintf(out, n, "column %zu \"%s\"", k + 1, shown);
	} else {
		snprintf(out, n, "column %zu", k + 1);
	}
}

int op_graph_csv_col_err(const struct op_graph_csv *r, size_t k,
			 struct op_err *err, const char *reason)
{
	char where[OP_GRAPH_CSV_SHOW_MAX + 32];

	op_graph_csv_colref(where, sizeof(where), r, k);
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
	char where[OP_GRAPH_CSV_SHOW_MAX + 32];

	if (s->st != S_QUOTED)
		return op_err_set(err, OUTPOST_ECORRUPT, "%s:%zu: record "
				  "longer than %u MiB", r->path, r->rec_line,
				  OP_GRAPH_CSV_MAX_RECORD >> 20);
	op_graph_csv_colref(where, sizeof(where), r, r->nfields);
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
	return op_graph_csv_col_err(r, r->nfields, err, reason);
}

/* One byte that is not part of a run of ordinary bytes: 1 when it ends
 * the record, 0 to go on, or an error. */
static int step(struct op_graph_csv *r, struct scan *s, unsigned char c,
		struct op_err *err)
{
	char ch = (char)c;

	if (c == '\0')
		return op_graph_csv_col_err(r, r->nfields, err, "NUL byte "
					    "(this is not a text file)");
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
			return op_graph_csv_col_err(r, r->nfields, err,
						    "carriage return not "
						    "followed by a line feed");
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
		return op_graph_csv_col_err(r, r->nfields, err, reason);
	}
	if (s->st == S_CR)
		s->st = s->cr_from;
	if (s->st == S_START && r->nfields == 0)
		return 0;
	return end_line(r, s, S_PLAIN, err);
}

int op_graph_csv_read_record(struct op_graph_csv *r, struct op_err *err)
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
		rc = op_graph_csv_read_header(r, err);
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
	rc = op_graph_csv_read_record(r, err);
	if (rc == OP_GRAPH_CSV_ROW) {
		rc = op_graph_csv_check_record(r, 0, err);
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
