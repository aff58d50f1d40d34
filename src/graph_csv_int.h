/* graph_csv_int.h - shared inside the CSV reader of graph_csv.h: the
 * reader's state and the calls between its parts (graph_csv_read.c:
 * records, open, next, close and the column messages; graph_csv_header.c:
 * the header and the checks on a record; graph_csv_value.c: typed values
 * and arrays). */
#ifndef OP_GRAPH_CSV_INT_H
#define OP_GRAPH_CSV_INT_H

#include <stddef.h>

#include "graph_csv.h"
#include "util.h"

#define OP_GRAPH_CSV_SHOW_MAX 64 /* bytes of a header or value shown */

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

/* "column K \"header\"" for column k (0-based), or "column K" before
 * the header is known or past its end. */
void op_graph_csv_colref(char *out, size_t n, const struct op_graph_csv *r,
			 size_t k);

/* "FILE:LINE: column K \"header\": <reason>" for the current record. */
int op_graph_csv_col_err(const struct op_graph_csv *r, size_t k,
			 struct op_err *err, const char *reason);

/* Read one record into rec/off: 1, 0 at the end of the file, or an
 * error. */
int op_graph_csv_read_record(struct op_graph_csv *r, struct op_err *err);

/* The checks on a complete record: UTF-8, and for rows the number of
 * fields and non-empty ids. */
int op_graph_csv_check_record(struct op_graph_csv *r, int is_header,
			      struct op_err *err);

/* Read the header record of a freshly opened r into its columns, and
 * check it for r's kind of file. */
int op_graph_csv_read_header(struct op_graph_csv *r, struct op_err *err);

#endif
