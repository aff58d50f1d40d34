/* t_store.c - creating and opening stores. */
#include <sys/stat.h>

#include "check.h"

static int mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

void test_store_init_layout_and_key_modes(struct t *t)
{
	char dir[512], p[700];
	outpost *db = NULL;
	outpost_status st;
	outpost_status st2;
	const char *keys[] = {"site.key", "site.pub", "data.key"};
	size_t i;

	st.version = st2.version = OUTPOST_STATUS_VERSION;
	t_path(dir, t, "new/nested/store");
	CHECK_OK(db, outpost_init(&db, dir, NULL));
	CHECK_OK(db, outpost_status_get(&st, db));
	outpost_close(db);
	db = NULL;
	snprintf(p, sizeof(p), "%s/store.db", dir);
	CHECK(mode_of(p) >= 0);
	snprintf(p, sizeof(p), "%s/graph/data.mdb", dir);
	CHECK(mode_of(p) >= 0);
	CHECK_EQ(mode_of(dir), 0700);
	for (i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/keys/%s", dir, keys[i]);
		CHECK_EQ(mode_of(p), 0600);
	}
	CHECK_EQ(strlen(st.site_id), 32);
	CHECK_EQ(st.schema_version, 0);
	/* The site id survives a reopen. */
	CHECK_OK(db, outpost_open(&db, dir, NULL));
	CHECK_OK(db, outpost_status_get(&st2, db));
	CHECK_STR(st2.site_id, st.site_id);
	outpost_close(db);
}

void test_store_open_missing_and_reinit(struct t *t)
{
	char dir[512], want[1200];
	outpost *db = NULL;

	t_path(dir, t, "nothing");
	CHECK_RC(outpost_open(&db, dir, NULL), OUTPOST_ENOTFOUND);
	snprintf(want, sizeof(want), "no outpost store in %s (create one "
		 "with: outpost -d %s init)", dir, dir);
	CHECK_STR(outpost_errmsg(db), want);
	outpost_close(db);
	db = NULL;
	CHECK_OK(db, outpost_init(&db, dir, NULL));
	outpost_close(db);
	db = NULL;
	CHECK_RC(outpost_init(&db, dir, NULL), OUTPOST_EEXIST);
	snprintf(want, sizeof(want), "%s already holds an outpost store", dir);
	CHECK_STR(outpost_errmsg(db), want);
	outpost_close(db);
	outpost_close(NULL);
	CHECK_RC(outpost_open(NULL, dir, NULL), OUTPOST_EMISUSE);
}
