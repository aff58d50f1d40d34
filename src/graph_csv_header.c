/* graph_csv_header.c - the header of a neo4j-admin CSV file: each entry
 * ("name:type(space)") becomes a column with a role and a type, checked
 * against the kind of file; and the checks every record gets against it
 * (UTF-8, the number of fields, non-empty ids). Graph layer, depends on
 * util only. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "graph_csv_int.h"

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
	char reason[512], shown[OP_GRAPH_CSV_SHOW_MAX + 1], *tt;
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
			return op_graph_csv_col_err(r, k, err, "only property "
						    "types can be arrays ([])");
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
	return op_graph_csv_col_err(r, k, err, reason);
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
	return op_graph_csv_col_err(r, k, err, reason);
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
		return op_graph_csv_col_err(r, k, err, "only ID, START_ID "
					    "and END_ID take an id space in "
					    "parentheses");
	if (lp && lp + 2 == h + len)
		return op_graph_csv_col_err(r, k, err, "empty id space in "
					    "parentheses");
	if (c->role == OP_GRAPH_CSV_PROPERTY && colon == 0)
		return op_graph_csv_col_err(r, k, err, "a property needs a "
					    "name before the ':'");
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
	char reason[160], shown[OP_GRAPH_CSV_SHOW_MAX + 1];
	size_t j;

	for (j = 0; j < k; j++) {
		const struct op_graph_csv_col *d = &r->cols[j];

		if (d->role == c->role &&
		    (is_id_role(c->role) || c->role == OP_GRAPH_CSV_TYPE)) {
			snprintf(reason, sizeof(reason), "a second %s column "
				 "(the first is column %zu)",
				 role_name(c->role), j + 1);
			return op_graph_csv_col_err(r, k, err, reason);
		}
		if (c->name && d->name && strcmp(c->name, d->name) == 0) {
			op_show(shown, sizeof(shown), c->name);
			snprintf(reason, sizeof(reason), "property \"%s\" is "
				 "also column %zu", shown, j + 1);
			return op_graph_csv_col_err(r, k, err, reason);
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

int op_graph_csv_read_header(struct op_graph_csv *r, struct op_err *err)
{
	size_t k;
	int rc;

	r->off_max = OP_GRAPH_CSV_MAX_COLS;
	rc = op_graph_csv_read_record(r, err);
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
	rc = op_graph_csv_check_record(r, 1, err);
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

/* ---- records ---- */

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

int op_graph_csv_check_record(struct op_graph_csv *r, int is_header,
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
		return op_graph_csv_col_err(r, k, err, "invalid UTF-8");
	}
	for (k = 0; !is_header && k < r->ncols; k++) {
		enum op_graph_csv_role role = r->cols[k].role;

		if ((role == OP_GRAPH_CSV_ID || role == OP_GRAPH_CSV_START_ID ||
		     role == OP_GRAPH_CSV_END_ID) &&
		    r->rec[r->off[k]] == '\0')
			return op_graph_csv_col_err(r, k, err, "empty id");
	}
	return 0;
}
