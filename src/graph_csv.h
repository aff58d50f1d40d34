/* graph_csv.h - a streaming reader for the CSV files of `neo4j-admin
 * database import`: a nodes file ("uuid:ID,name,:LABEL,age:int") or a
 * relationships file (":START_ID,:END_ID,:TYPE,since:date"). Part of the
 * graph layer's import; depends on util only.
 *
 * The reader holds one input chunk and one record, never the file: memory
 * stays at about 100 KiB however big the file is, and grows only for a
 * long record (at most OP_GRAPH_CSV_MAX_RECORD bytes).
 *
 * Syntax is RFC 4180 as neo4j-admin reads it: ',' between fields, '"'
 * quotes with "" for a quote inside, quoted fields may hold commas and
 * line breaks, LF or CRLF line ends, a UTF-8 byte order mark at the start
 * is skipped, empty lines are skipped. A quote after the start of an
 * unquoted field is an ordinary character. Stricter than neo4j: NUL bytes,
 * invalid UTF-8, a lone CR and text after a closing quote are errors.
 *
 * Every error message starts "FILE:LINE: ", LINE being the physical line
 * (1-based; the header is line 1) where the record starts, and names the
 * column (1-based) when there is one. Malformed input gives
 * OUTPOST_ECORRUPT.
 *
 * A reader is used by one thread at a time. */
#ifndef OP_GRAPH_CSV_H
#define OP_GRAPH_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define OP_GRAPH_CSV_MAX_RECORD (16u << 20) /* bytes, quotes unescaped */
#define OP_GRAPH_CSV_MAX_COLS	4096

enum op_graph_csv_kind { OP_GRAPH_CSV_NODES, OP_GRAPH_CSV_RELATIONSHIPS };

/* What a column holds: a property or one of neo4j's special columns. */
enum op_graph_csv_role {
	OP_GRAPH_CSV_PROPERTY,
	OP_GRAPH_CSV_ID,       /* nodes: the id relationships refer to */
	OP_GRAPH_CSV_LABEL,    /* nodes: labels, ';'-separated */
	OP_GRAPH_CSV_START_ID, /* relationships */
	OP_GRAPH_CSV_END_ID,
	OP_GRAPH_CSV_TYPE,
	OP_GRAPH_CSV_IGNORE /* ":IGNORE" or "name:IGNORE": skipped */
};

/* A property's type. neo4j's int and long are both INT (64-bit), float and
 * double both FLOAT (64-bit). DATE and DATETIME are kept as text. */
enum op_graph_csv_type {
	OP_GRAPH_CSV_STRING,
	OP_GRAPH_CSV_INT,
	OP_GRAPH_CSV_FLOAT,
	OP_GRAPH_CSV_BOOLEAN,
	OP_GRAPH_CSV_DATE,
	OP_GRAPH_CSV_DATETIME
};

/* One header entry, e.g. "uuid:ID(Person)" or "scores:int[]". */
struct op_graph_csv_col {
	const char *header; /* the entry as written */
	/* PROPERTY: the property name. ID: the property the id is stored
	 * as ("uuid:ID" -> "uuid"), NULL for ":ID". Otherwise NULL. */
	const char *name;
	/* ID, START_ID, END_ID: the id space in parentheses, or NULL for
	 * the global space. Otherwise NULL. */
	const char *id_space;
	enum op_graph_csv_role role;
	enum op_graph_csv_type type; /* STRING for special columns */
	int is_array; /* "type[]" properties and LABEL: split by ';' */
};

struct op_graph_csv;

/* Open path and read and check its header for a file of this kind.
 * On OUTPOST_OK, *out is yours: close it with op_graph_csv_close().
 * On failure *out is NULL and err says why: OUTPOST_ENOTFOUND (no such
 * file), OUTPOST_EIO, OUTPOST_ECORRUPT (bad header, naming the column),
 * OUTPOST_ENOMEM, OUTPOST_EMISUSE (a NULL argument or an unknown kind). */
int op_graph_csv_open(struct op_graph_csv **out, const char *path,
		      enum op_graph_csv_kind kind, struct op_err *err);

/* Close r and free everything it holds. r may be NULL. */
void op_graph_csv_close(struct op_graph_csv *r);

/* The header: its number of columns, and column i (NULL if i is out of
 * range). Borrowed until op_graph_csv_close(). */
size_t op_graph_csv_ncols(const struct op_graph_csv *r);
const struct op_graph_csv_col *op_graph_csv_col(const struct op_graph_csv *r,
						size_t i);
/* The index of the first column with this role, or SIZE_MAX. */
size_t op_graph_csv_find(const struct op_graph_csv *r,
			 enum op_graph_csv_role role);
/* The path r was opened with; borrowed until op_graph_csv_close(). */
const char *op_graph_csv_path(const struct op_graph_csv *r);

/* Read the next record. Returns 1 (OP_GRAPH_CSV_ROW) when a row is ready,
 * 0 at the end of the file (and again on later calls), or a negative code:
 * OUTPOST_ECORRUPT (bad syntax, a wrong number of fields, an empty ID,
 * START_ID or END_ID, a record over OP_GRAPH_CSV_MAX_RECORD), OUTPOST_EIO,
 * OUTPOST_ENOMEM. After an error r only gives that error again: close
 * it. */
#define OP_GRAPH_CSV_ROW 1
int op_graph_csv_next(struct op_graph_csv *r, struct op_err *err);

/* The physical line where the current record starts (the header's after
 * open, 0 if the header was never read). */
size_t op_graph_csv_line(const struct op_graph_csv *r);

/* Field i of the current row, unquoted and NUL-terminated; "" when empty.
 * NULL if there is no current row or i >= ncols. Borrowed until the next
 * op_graph_csv_next() or op_graph_csv_close(). */
const char *op_graph_csv_field(const struct op_graph_csv *r, size_t i);
/* 1 if field i is empty (neo4j: the property is absent), else 0. */
int op_graph_csv_is_empty(const struct op_graph_csv *r, size_t i);

/* Field i as a value, whatever the column's declared type. Spaces and
 * tabs around the value are allowed. OUTPOST_OK, or OUTPOST_ECORRUPT with
 * "FILE:LINE: column N \"header\": ..." when the text is empty or not such
 * a value, or OUTPOST_EMISUSE (no current row, i out of range):
 * - int: a decimal integer within int64_t;
 * - double: a finite decimal number ("1", "-2.5", "1e-3"; no NaN, no
 *   infinities, no hex);
 * - bool: "true" or "false" in any case (neo4j reads anything else as
 *   false; we refuse it). */
int op_graph_csv_int(const struct op_graph_csv *r, size_t i, int64_t *out,
		     struct op_err *err);
int op_graph_csv_double(const struct op_graph_csv *r, size_t i, double *out,
			struct op_err *err);
int op_graph_csv_bool(const struct op_graph_csv *r, size_t i, int *out,
		      struct op_err *err);

/* The elements of an array field (a "type[]" property or :LABEL), split
 * by ';' (neo4j's default array delimiter). An empty field has no
 * elements; "a;;b" has three, the second empty. Start with
 *	struct op_graph_csv_elem e = OP_GRAPH_CSV_ELEM_INIT(i);
 * then call op_graph_csv_array_next(r, &e, err) until it returns 0. */
struct op_graph_csv_elem {
	const char *text; /* NUL-terminated; borrowed until the next call */
	size_t col;	  /* the column */
	size_t index;	  /* 0-based position of text in the array */
	size_t pos_;	  /* private: where the next element starts */
	size_t count_;	  /* private: elements returned so far */
};
#define OP_GRAPH_CSV_ELEM_INIT(i) {NULL, (i), 0, 0, 0}

/* 1 and e->text is the next element, 0 when there are no more, or
 * OUTPOST_ENOMEM / OUTPOST_EMISUSE. e->text stays valid until the next
 * call on r. */
int op_graph_csv_array_next(struct op_graph_csv *r,
			    struct op_graph_csv_elem *e, struct op_err *err);
/* The current element as a value; same rules and codes as the field
 * accessors, with "column N \"header\": element K ..." in messages. */
int op_graph_csv_elem_int(const struct op_graph_csv *r,
			  const struct op_graph_csv_elem *e, int64_t *out,
			  struct op_err *err);
int op_graph_csv_elem_double(const struct op_graph_csv *r,
			     const struct op_graph_csv_elem *e, double *out,
			     struct op_err *err);
int op_graph_csv_elem_bool(const struct op_graph_csv *r,
			   const struct op_graph_csv_elem *e, int *out,
			   struct op_err *err);

/* Bytes of buffer r holds now (for tests and diagnostics). */
size_t op_graph_csv_buffer_size(const struct op_graph_csv *r);

#endif
