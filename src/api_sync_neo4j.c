/* api_sync_neo4j.c - the Neo4j round of outpost_sync(): the store's
 * whole change log after the cursor "neo4j_push" (its own entries and
 * those pulled from central, so Neo4j converges to what central holds),
 * only node labels and relationship types the mirror writes, in batches
 * through the Neo4j sink (sync/neo4j_sink.c). The cursor moves only
 * after Neo4j acknowledged a batch; every statement is idempotent, so a
 * batch sent again after a failure changes nothing twice.
 *
 * A bulk import is one log entry for many nodes and relationships; it
 * travels expanded (op_api_sync_import_part), in parts when it is larger
 * than a batch. The cursor then says where inside it the push stands:
 * "neo4j_push" = the import's seq - 1 and "neo4j_push_sub" = the first
 * sub not yet pushed (0 when no import is cut), both written in one
 * transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_neo4j.h"
#include "api_sync_import.h"

#define NEO4J_BATCH_DEFAULT 10000

#define ENTRIES_SQL                                                          \
	"FROM _outpost_changes WHERE seq > ?1 AND (tbl IN (SELECT value FROM " \
	"json_each(?2)) OR tbl = '_outpost_import')"

/* One batch while it is read: the changes, the strings they point into,
 * and the import parts they came from. */
struct nbatch {
	struct op_change *c;
	size_t n, cap;
	char **strings;
	size_t nstrings;
	struct op_import_part *parts;
	size_t nparts;
	size_t bytes;
	/* where the cursor goes once the batch is acknowledged */
	int64_t end_seq;
	uint32_t end_sub;
};

static void nbatch_clear(struct nbatch *b)
{
	size_t i;

	for (i = 0; i < b->nstrings; i++)
		op_free(b->strings[i]);
	for (i = 0; i < b->nparts; i++)
		op_api_sync_import_part_free(&b->parts[i]);
	op_free(b->strings);
	op_free(b->parts);
	op_free(b->c);
	memset(b, 0, sizeof(*b));
}

static int nbatch_room(struct nbatch *b, size_t more)
{
	struct op_change *c;
	size_t cap = b->cap ? b->cap : 64;

	if (b->n + more <= b->cap)
		return OUTPOST_OK;
	while (cap < b->n + more)
		cap *= 2;
	if (!(c = op_calloc(cap, sizeof(*c))))
		return OUTPOST_ENOMEM;
	if (b->n)
		memcpy(c, b->c, b->n * sizeof(*c));
	op_free(b->c);
	b->c = c;
	b->cap = cap;
	return OUTPOST_OK;
}

/* A log entry's strings, kept for the batch's life (4 per entry: room
 * is made for the batch's max before reading). */
static const char *keep(struct nbatch *b, const char *s)
{
	char *copy = s ? op_strdup(s) : NULL;

	if (copy)
		b->strings[b->nstrings++] = copy;
	return copy;
}

/* Expand import entry e from sub `from` into the batch. */
static int add_import(outpost *db, struct nbatch *b,
		      const struct op_change *e, uint32_t from, size_t max,
		      size_t max_bytes, int *cut)
{
	struct op_import_part *p = &b->parts[b->nparts];
	size_t room = max > b->n ? max - b->n : 1;
	size_t bytes = max_bytes > b->bytes ? max_bytes - b->bytes : 1;
	size_t i;
	int rc = op_api_sync_import_part(db, e, from, room, bytes, p);

	if (rc != OUTPOST_OK)
		return rc;
	b->nparts++;
	if ((rc = nbatch_room(b, p->n)) != OUTPOST_OK)
		return rc;
	for (i = 0; i < p->n; i++) {
		b->c[b->n++] = p->changes[i];
		b->bytes += 64 + (p->changes[i].values
					  ? strlen(p->changes[i].values)
					  : 0);
	}
	*cut = !p->done;
	if (*cut) {
		b->end_seq = e->seq - 1;
		b->end_sub = p->next;
	} else {
		b->end_seq = e->seq;
		b->end_sub = 0;
	}
	return OUTPOST_OK;
}

/* The next batch after (at, sub): at most max changes and about
 * max_bytes of values (at least one change when there is one). */
static int read_batch(outpost *db, const char *names, int64_t at,
		      uint32_t sub, size_t max, size_t max_bytes,
		      struct nbatch *b)
{
	struct op_stmt *st = NULL;
	int rc, cut = 0;

	if (!(b->strings = op_calloc(4 * max, sizeof(char *))) ||
	    !(b->parts = op_calloc(max, sizeof(*b->parts))))
		return op_err_set(&db->err, OUTPOST_ENOMEM, "out of memory");
	b->end_seq = at;
	/* One snapshot for the batch: an import's expansion reads in it
	 * (it would begin and end its own otherwise, which must not happen
	 * under this open statement). */
	rc = op_rel_begin_read(db->rel, &db->err);
	if (rc == OUTPOST_OK)
		rc = op_rel_prepare(&st, db->rel, "SELECT seq, hlc, hex(site), "
				    "tbl, "
				    "op, row_id, vals " ENTRIES_SQL " ORDER BY "
				    "seq LIMIT ?3", NULL, &db->err);
	if (rc == OUTPOST_OK)
		rc = op_rel_bind_int(st, 1, at);
	if (rc == OUTPOST_OK)
		rc = op_rel_bind_text(st, 2, names);
	if (rc == OUTPOST_OK)
		rc = op_rel_bind_int(st, 3, (int64_t)max);
	while (rc == OUTPOST_OK && !cut && b->n < max &&
	       (b->n == 0 || b->bytes < max_bytes) &&
	       (rc = op_rel_step(st, &db->err)) == OP_ROW) {
		struct op_change e;
		const char *site = op_rel_col_text(st, 2);
		const char *op = op_rel_col_text(st, 4);

		rc = OUTPOST_OK;
		memset(&e, 0, sizeof(e));
		e.seq = op_rel_col_int(st, 0);
		e.hlc = (uint64_t)op_rel_col_int(st, 1);
		/* this store's own entries have no site */
		if (!site || !site[0])
			memcpy(e.site, db->site, 16);
		else if (op_hex_decode(e.site, 16, site, strlen(site)) != 0)
			rc = op_err_set(&db->err, OUTPOST_ECORRUPT, "log entry "
					"%lld: a site of %zu hex digits",
					(long long)e.seq, strlen(site));
		e.table = keep(b, op_rel_col_text(st, 3));
		e.op = op ? op[0] : '?';
		e.row_id = keep(b, op_rel_col_text(st, 5));
		e.values = keep(b, op_rel_col_text(st, 6));
		if (rc == OUTPOST_OK &&
		    (!e.table || !e.row_id ||
		     (!e.values && !op_rel_col_is_null(st, 6))))
			rc = op_err_set(&db->err, OUTPOST_ENOMEM, "out of "
					"memory");
		if (rc == OUTPOST_OK && !strcmp(e.table, "_outpost_import")) {
			/* A cut import goes on where it stopped. */
			uint32_t from = e.seq == at + 1 ? sub : 0;

			rc = add_import(db, b, &e, from, max, max_bytes, &cut);
		} else if (rc == OUTPOST_OK &&
			   (rc = nbatch_room(b, 1)) == OUTPOST_OK) {
			b->c[b->n++] = e;
			b->bytes += 64 + (e.values ? strlen(e.values) : 0);
			b->end_seq = e.seq;
			b->end_sub = 0;
		}
		if (rc == OUTPOST_ENOMEM)
			op_err_set(&db->err, rc, "out of memory");
	}
	op_rel_finalize(st);
	op_rel_rollback(db->rel);
	return rc;
}

static int cursor_get(outpost *db, const char *name, int64_t *out)
{
	struct op_stmt *st = NULL;
	int rc = op_rel_prepare(&st, db->rel, "SELECT seq FROM "
				"_outpost_cursors WHERE consumer = ?1", NULL,
				&db->err);

	*out = 0;
	if (rc == OUTPOST_OK)
		rc = op_rel_bind_text(st, 1, name);
	if (rc == OUTPOST_OK && (rc = op_rel_step(st, &db->err)) == OP_ROW)
		*out = op_rel_col_int(st, 0);
	op_rel_finalize(st);
	return rc == OP_ROW ? OUTPOST_OK : rc;
}

/* ?1 consumer, ?2 seq, ?3 error text (NULL: a success) */
#define CURSOR_SQL                                                           \
	"INSERT INTO _outpost_cursors(consumer, seq) VALUES (?1, ?2) "       \
	"ON CONFLICT(consumer) DO UPDATE SET seq = excluded.seq"
#define NOTE_SQL                                                             \
	"INSERT INTO _outpost_cursors(consumer, seq, last_ok, last_error) "  \
	"VALUES (?1, 0, iif(?3 IS NULL, strftime('%Y-%m-%dT%H:%M:%SZ', "     \
	"'now'), NULL), ?3) ON CONFLICT(consumer) DO UPDATE SET last_ok = "  \
	"coalesce(excluded.last_ok, last_ok), last_error = ?3"

static int exec3(outpost *db, const char *sql, const char *name, int64_t v,
		 const char *text)
{
	struct op_stmt *st = NULL;
	int rc = op_rel_prepare(&st, db->rel, sql, NULL, &db->err);

	if (rc == OUTPOST_OK)
		rc = op_rel_bind_text(st, 1, name);
	if (rc == OUTPOST_OK && op_rel_nparams(st) >= 2)
		rc = op_rel_bind_int(st, 2, v);
	if (rc == OUTPOST_OK && op_rel_nparams(st) >= 3)
		rc = text ? op_rel_bind_text(st, 3, text)
			  : op_rel_bind_null(st, 3);
	if (rc == OUTPOST_OK)
		rc = op_rel_step(st, &db->err);
	op_rel_finalize(st);
	return rc;
}

/* Both cursor rows in one transaction. */
static int cursor_set(outpost *db, int64_t seq, uint32_t sub)
{
	int rc = op_rel_begin_write(db->rel, &db->err);

	if (rc == OUTPOST_OK)
		rc = exec3(db, CURSOR_SQL, OP_NEO4J_CURSOR, seq, NULL);
	if (rc == OUTPOST_OK)
		rc = exec3(db, CURSOR_SQL, OP_NEO4J_CURSOR_SUB, sub, NULL);
	if (rc == OUTPOST_OK)
		rc = op_rel_commit(db->rel, &db->err);
	op_rel_rollback(db->rel);
	return rc;
}

static void note(outpost *db, const char *error)
{
	if (op_rel_begin_write(db->rel, &db->err) == OUTPOST_OK &&
	    exec3(db, NOTE_SQL, OP_NEO4J_CURSOR, 0, error) == OUTPOST_OK)
		op_rel_commit(db->rel, &db->err);
	op_rel_rollback(db->rel);
}

/* The schema Neo4j records must be the store's (hello has brought an
 * older version of it up to this one). */
static int check_hello(outpost *db, const struct op_sink_hello *h,
		       const struct op_schema *s)
{
	if (strcmp(h->schema_name, s->name) != 0)
		return op_err_set(&db->err, OUTPOST_ESCHEMA, "neo4j: the "
				  "mirror holds schema \"%s\", this store "
				  "\"%s\": they cannot sync", h->schema_name,
				  s->name);
	if (h->schema_version > s->version)
		return op_err_set(&db->err, OUTPOST_ESCHEMA, "neo4j: the "
				  "mirror has %s version %lld, this store "
				  "version %lld: apply the newer schema here "
				  "first (outpost schema apply FILE)", s->name,
				  (long long)h->schema_version,
				  (long long)s->version);
	return OUTPOST_OK;
}

/* Batches until the log is exhausted. */
static int push_all(outpost *db, struct op_sink *k, const char *names,
		    size_t batch, size_t batch_bytes, long long *pushed)
{
	int64_t at = 0, sub = 0;
	int rc = cursor_get(db, OP_NEO4J_CURSOR, &at);

	if (rc == OUTPOST_OK)
		rc = cursor_get(db, OP_NEO4J_CURSOR_SUB, &sub);
	while (rc == OUTPOST_OK) {
		struct nbatch b;
		int64_t acked = 0;

		memset(&b, 0, sizeof(b));
		rc = read_batch(db, names, at, (uint32_t)sub, batch,
				batch_bytes, &b);
		if (rc == OUTPOST_OK && b.end_seq == at &&
		    b.end_sub == (uint32_t)sub && b.n == 0) {
			nbatch_clear(&b);
			break; /* nothing after the cursor */
		}
		if (rc == OUTPOST_OK && b.n) {
			rc = k->ops->push(k, b.c, b.n, &acked);
			if (rc != OUTPOST_OK)
				op_err_set(&db->err, rc, "%s", k->errmsg);
		}
		/* Only what Neo4j acknowledged moves the cursor. */
		if (rc == OUTPOST_OK)
			rc = cursor_set(db, b.end_seq, b.end_sub);
		if (rc == OUTPOST_OK) {
			*pushed += (long long)b.n;
			at = b.end_seq;
			sub = b.end_sub;
		}
		nbatch_clear(&b);
	}
	return rc;
}

int op_api_neo4j_push(outpost *db, size_t batch, size_t rows,
		      size_t batch_bytes, long long *pushed, int *transient)
{
	struct op_api_neo4j_config c;
	struct op_sink *k = NULL;
	struct op_schema *s = NULL;
	struct op_sink_hello h;
	char *names = NULL;
	int rc = op_api_neo4j_config(db, &c);

	*pushed = 0;
	*transient = 0;
	if (rc == OUTPOST_OK)
		rc = op_api_schema_current(db, &s);
	if (rc == OUTPOST_OK && !(names = op_neo4j_sink_names(s)))
		rc = op_err_set(&db->err, OUTPOST_ENOMEM, "out of memory");
	if (rc == OUTPOST_OK)
		rc = op_api_neo4j_open(db, &c, rows, &k);
	if (rc == OUTPOST_OK && (rc = k->ops->hello(k, db->site, &h)) !=
					OUTPOST_OK)
		op_err_set(&db->err, rc, "%s", k->errmsg);
	if (rc == OUTPOST_OK)
		rc = check_hello(db, &h, s);
	if (rc == OUTPOST_OK)
		rc = push_all(db, k, names, batch, batch_bytes, pushed);
	*transient = rc != OUTPOST_OK && k && k->transient;
	/* `status` shows the outcome; a missing remote is not an outcome */
	if (rc != OUTPOST_ENOTFOUND)
		note(db, rc == OUTPOST_OK ? NULL : db->err.msg);
	if (k)
		k->ops->close(k);
	op_free(names);
	op_schema_free(s);
	op_api_neo4j_config_free(&c);
	return rc;
}

int op_api_neo4j_pending(outpost *db, int64_t after, int64_t *out)
{
	struct op_schema *s = NULL;
	char *names = NULL;
	int rc = op_api_schema_current(db, &s);

	*out = 0;
	if (rc != OUTPOST_OK || !s)
		return rc;
	if (!(names = op_neo4j_sink_names(s)))
		rc = op_err_set(&db->err, OUTPOST_ENOMEM, "out of memory");
	if (rc == OUTPOST_OK)
		rc = op_api_log_count(db, "SELECT count(*) " ENTRIES_SQL, after,
				      names, out);
	op_free(names);
	op_schema_free(s);
	return rc;
}

int op_api_remote_pg_is_set(outpost *db)
{
	char *v = NULL;
	int set = op_log_meta_get(db->rel, "remote_pg", &v, NULL) ==
			  OUTPOST_OK &&
		  v != NULL;

	op_free(v);
	return set;
}

int op_api_sync_neo4j_round(outpost *db, int rc, size_t batch,
			    size_t batch_bytes, outpost_sync_result *res)
{
	char first[sizeof(db->err.msg)];
	long long pushed = 0;
	int transient = 0, rc2;

	/* Central's message survives the mirror's round. */
	snprintf(first, sizeof(first), "%s", rc != OUTPOST_OK ? db->err.msg
							      : "");
	rc2 = op_api_neo4j_push(db, batch ? batch : NEO4J_BATCH_DEFAULT, batch,
				batch_bytes, &pushed, &transient);
	res->neo4j_pushed = pushed;
	if (rc == OUTPOST_OK) {
		res->transient = transient;
		return rc2;
	}
	if (rc2 != OUTPOST_OK) {
		char second[sizeof(db->err.msg)];

		snprintf(second, sizeof(second), "%s", db->err.msg);
		op_err_set(&db->err, rc, "%.2000s; and %.2000s", first,
			   second);
	} else
		op_err_set(&db->err, rc, "%s", first);
	return rc;
}
