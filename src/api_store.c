/* api_store.c - creating, opening and closing a store: the directory
 * layout (store.db, graph/, keys/), the site id and the site's keys. */
#include <sodium.h>
#include <string.h>

#include "api_graph_int.h"

static outpost *handle_new(const char *dir, const outpost_open_opts *opts)
{
	outpost *db = op_calloc(1, sizeof(*db));

	if (!db)
		return NULL;
	db->dir = op_strdup(dir);
	if (!db->dir) {
		op_free(db);
		return NULL;
	}
	db->busy_ms = opts && opts->busy_ms ? opts->busy_ms
					    : OP_DEFAULT_BUSY_MS;
	db->read_only = opts ? opts->read_only : 0;
	db->map_bytes = opts && opts->version >= 2 ? opts->graph_map_bytes : 0;
	return db;
}

const char *outpost_errmsg(const outpost *db)
{
	if (!db)
		return "out of memory";
	return db->err.msg[0] ? db->err.msg : "no error";
}

static int open_parts(outpost *db, int create)
{
	char *file = op_fs_join(db->dir, OP_STORE_FILE);
	char *graph = op_fs_join(db->dir, OP_GRAPH_DIR);
	int rc = OUTPOST_OK;

	if (!file || !graph)
		rc = op_err_set(&db->err, OUTPOST_ENOMEM, "out of memory");
	if (rc == OUTPOST_OK && create)
		rc = op_fs_mkdirs(graph, &db->err);
	if (rc == OUTPOST_OK)
		rc = op_rel_open(&db->rel, file, create, db->read_only,
				 db->busy_ms, &db->err);
	if (rc == OUTPOST_OK)
		rc = op_adj_open(&db->adj, graph, db->map_bytes, &db->err);
	op_free(file);
	op_free(graph);
	return rc;
}

/* hex of n bytes and a newline; out holds 2n + 2 bytes. */
static void line_hex(char *out, const uint8_t *in, size_t n)
{
	op_hex_encode(out, in, n);
	out[2 * n] = '\n';
	out[2 * n + 1] = '\0';
}

/* Keys: the Ed25519 secret key and the data key, each 0600. */
static int write_keys(outpost *db, const uint8_t pk[32], const uint8_t *sk)
{
	char *keys = op_fs_join(db->dir, OP_KEYS_DIR);
	char *skp = keys ? op_fs_join(keys, "site.key") : NULL;
	char *pkp = keys ? op_fs_join(keys, "site.pub") : NULL;
	char *dkp = keys ? op_fs_join(keys, "data.key") : NULL;
	char hex[2 * crypto_sign_SECRETKEYBYTES + 2];
	uint8_t dk[32];
	int rc;

	if (!skp || !pkp || !dkp) {
		rc = op_err_set(&db->err, OUTPOST_ENOMEM, "out of memory");
		goto done;
	}
	rc = op_fs_mkdirs(keys, &db->err);
	line_hex(hex, sk, crypto_sign_SECRETKEYBYTES);
	if (rc == OUTPOST_OK)
		rc = op_fs_write_secret(skp, hex, strlen(hex), &db->err);
	line_hex(hex, pk, 32);
	if (rc == OUTPOST_OK)
		rc = op_fs_write_secret(pkp, hex, strlen(hex), &db->err);
	randombytes_buf(dk, sizeof(dk));
	line_hex(hex, dk, sizeof(dk));
	if (rc == OUTPOST_OK)
		rc = op_fs_write_secret(dkp, hex, strlen(hex), &db->err);
done:
	sodium_memzero(hex, sizeof(hex));
	sodium_memzero(dk, sizeof(dk));
	op_free(keys);
	op_free(skp);
	op_free(pkp);
	op_free(dkp);
	return rc;
}

static int bootstrap(outpost *db)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	char pkhex[2 * sizeof(pk) + 1];
	int rc;

	randombytes_buf(db->site, sizeof(db->site));
	crypto_sign_keypair(pk, sk);
	rc = op_rel_begin_write(db->rel, &db->err);
	if (rc == OUTPOST_OK)
		rc = op_log_create(db->rel, db->site, &db->err);
	op_hex_encode(pkhex, pk, sizeof(pk));
	if (rc == OUTPOST_OK)
		rc = op_log_meta_set(db->rel, "format", OP_STORE_FORMAT,
				     &db->err);
	if (rc == OUTPOST_OK)
		rc = op_log_meta_set(db->rel, "public_key", pkhex, &db->err);
	if (rc == OUTPOST_OK)
		rc = op_rel_commit(db->rel, &db->err);
	else
		op_rel_rollback(db->rel);
	/* Keys after the tables, "initialized" last: an init cut short is
	 * recognised at open instead of half-working. */
	if (rc == OUTPOST_OK)
		rc = write_keys(db, pk, sk);
	if (rc == OUTPOST_OK)
		rc = op_log_meta_set(db->rel, "initialized", "1", &db->err);
	sodium_memzero(sk, sizeof(sk));
	return rc;
}

static int load_site(outpost *db)
{
	struct op_stmt *st = NULL;
	outpost_value v;
	char *fmt = NULL, *done = NULL;
	int rc = op_log_meta_get(db->rel, "format", &fmt, &db->err);

	if (rc == OUTPOST_OK)
		rc = op_log_meta_get(db->rel, "initialized", &done, &db->err);
	if (rc == OUTPOST_ESQL || (rc == OUTPOST_OK && !fmt))
		rc = op_err_set(&db->err, OUTPOST_ECORRUPT, "%s is not an "
				"outpost store (no _outpost_meta)", db->dir);
	else if (rc == OUTPOST_OK && strcmp(fmt, OP_STORE_FORMAT) != 0)
		rc = op_err_set(&db->err, OUTPOST_ECORRUPT, "%s has store "
				"format %s; this outpost reads format %s",
				db->dir, fmt, OP_STORE_FORMAT);
	else if (rc == OUTPOST_OK && !done)
		rc = op_err_set(&db->err, OUTPOST_ECORRUPT, "%s holds an "
				"unfinished init; remove the directory and "
				"run outpost init again", db->dir);
	if (rc == OUTPOST_OK)
		rc = op_rel_prepare(&st, db->rel, "SELECT site FROM "
				    "_outpost_clock", NULL, &db->err);
	if (rc == OUTPOST_OK && op_rel_step(st, &db->err) == OP_ROW) {
		op_rel_col(st, 0, &v);
		if (v.type == OUTPOST_BLOB && v.n == 16)
			memcpy(db->site, v.s, 16);
		else
			rc = op_err_set(&db->err, OUTPOST_ECORRUPT,
					"%s: malformed site id", db->dir);
	} else if (rc == OUTPOST_OK) {
		rc = op_err_set(&db->err, OUTPOST_ECORRUPT, "%s: no site id",
				db->dir);
	}
	op_rel_finalize(st);
	op_free(fmt);
	op_free(done);
	return rc;
}

static int start(outpost **out, const char *dir,
		 const outpost_open_opts *opts, int create)
{
	outpost *db;
	char *file;
	int exists, rc;

	*out = NULL;
	if (!dir || !*dir)
		return OUTPOST_EMISUSE;
	if (opts && opts->version != 1 && opts->version != 2)
		return OUTPOST_EMISUSE;
	if (sodium_init() < 0)
		return OUTPOST_ERROR;
	db = handle_new(dir, opts);
	if (!db)
		return OUTPOST_ENOMEM;
	*out = db;
	file = op_fs_join(dir, OP_STORE_FILE);
	if (!file)
		return op_err_set(&db->err, OUTPOST_ENOMEM, "out of memory");
	exists = op_fs_exists(file);
	op_free(file);
	if (create && exists)
		return op_err_set(&db->err, OUTPOST_EEXIST, "%s already "
				  "holds an outpost store", dir);
	if (!create && !exists)
		return op_err_set(&db->err, OUTPOST_ENOTFOUND, "no outpost "
				  "store in %s (create one with: outpost -d "
				  "%s init)", dir, dir);
	if (create && db->read_only)
		return op_err_set(&db->err, OUTPOST_EMISUSE, "cannot create "
				  "a store read-only");
	if (create)
		rc = op_fs_mkdirs(dir, &db->err);
	else
		rc = OUTPOST_OK;
	if (rc == OUTPOST_OK)
		rc = open_parts(db, create);
	if (rc == OUTPOST_OK)
		rc = create ? bootstrap(db) : load_site(db);
	/* Replay what a crash left between the two engines' commits. */
	if (rc == OUTPOST_OK && !create)
		rc = op_api_graph_catch_up(db);
	return rc;
}

int outpost_init(outpost **out, const char *dir,
		 const outpost_open_opts *opts)
{
	return out ? start(out, dir, opts, 1) : OUTPOST_EMISUSE;
}

int outpost_open(outpost **out, const char *dir,
		 const outpost_open_opts *opts)
{
	return out ? start(out, dir, opts, 0) : OUTPOST_EMISUSE;
}

void outpost_close(outpost *db)
{
	if (!db)
		return;
	op_adj_close(db->adj);
	op_rel_close(db->rel);
	op_free(db->dir);
	op_free(db);
}
