/* util_fs.c - the few file operations the store needs: directories, secret
 * files written durably with mode 0600, whole-file reads. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

char *op_fs_join(const char *dir, const char *name)
{
	struct op_buf b = {0};

	op_buf_adds(&b, dir);
	if (b.len && b.p[b.len - 1] != '/')
		op_buf_adds(&b, "/");
	op_buf_adds(&b, name);
	return op_buf_take(&b);
}

int op_fs_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int op_fs_lock(int *fd, const char *path, struct op_err *err)
{
	int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

	*fd = -1;
	if (f < 0)
		return op_err_set(err, OUTPOST_EIO, "%s: %s", path,
				  strerror(errno));
	/* flock: held by this open file only, gone with the process. */
	if (flock(f, LOCK_EX | LOCK_NB) != 0) {
		int busy = errno == EWOULDBLOCK;
		int e = errno;

		close(f);
		return busy ? OUTPOST_EBUSY
			    : op_err_set(err, OUTPOST_EIO, "%s: %s", path,
					 strerror(e));
	}
	*fd = f;
	return OUTPOST_OK;
}

void op_fs_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* closing the last descriptor lets the lock go */
}

int op_fs_mkdirs(const char *path, struct op_err *err)
{
	char *copy = op_strdup(path);
	char *p;
	int rc = OUTPOST_OK;

	if (!copy)
		return op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	for (p = copy + 1;; p++) {
		int end = *p == '\0';

		if (*p != '/' && !end)
			continue;
		*p = '\0';
		if (mkdir(copy, 0700) != 0 && errno != EEXIST) {
			rc = op_err_set(err, OUTPOST_EIO,
					"cannot create directory %s: %s", copy,
					strerror(errno));
			break;
		}
		if (end)
			break;
		*p = '/';
	}
	op_free(copy);
	return rc;
}

static int fsync_dir_of(const char *path)
{
	char *copy = op_strdup(path);
	int fd, rc = -1;

	if (!copy)
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	op_free(copy);
	return rc;
}

int op_fs_write_secret(const char *path, const void *data, size_t n,
		       struct op_err *err)
{
	const char *p = data;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0)
		return op_err_set(err, errno == EEXIST ? OUTPOST_EEXIST
						       : OUTPOST_EIO,
				  "cannot create %s: %s", path,
				  strerror(errno));
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		p += w;
		n -= (size_t)w;
	}
	if (n > 0 || fsync(fd) != 0) {
		int e = errno;

		close(fd);
		unlink(path);
		return op_err_set(err, OUTPOST_EIO, "cannot write %s: %s",
				  path, strerror(e));
	}
	close(fd);
	if (fsync_dir_of(path) != 0)
		return op_err_set(err, OUTPOST_EIO, "cannot sync the "
				  "directory of %s: %s", path,
				  strerror(errno));
	return OUTPOST_OK;
}

int op_fs_read(char **out, size_t *len, const char *path, size_t max,
	       struct op_err *err)
{
	struct op_buf b = {0};
	char chunk[8192];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc = OUTPOST_OK;

	*out = NULL;
	if (fd < 0)
		return op_err_set(err, errno == ENOENT ? OUTPOST_ENOTFOUND
						       : OUTPOST_EIO,
				  "%s: cannot open: %s", path,
				  strerror(errno));
	for (;;) {
		ssize_t r = read(fd, chunk, sizeof(chunk));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = op_err_set(err, OUTPOST_EIO, "%s: cannot read: "
					"%s", path, strerror(errno));
			break;
		}
		if (r == 0)
			break;
		if (b.len + (size_t)r > max) {
			rc = op_err_set(err, OUTPOST_EMISUSE, "%s: larger "
					"than %zu bytes", path, max);
			break;
		}
		op_buf_add(&b, chunk, (size_t)r);
	}
	close(fd);
	if (rc == OUTPOST_OK) {
		if (len)
			*len = b.len;
		*out = op_buf_take(&b);
		if (!*out)
			rc = op_err_set(err, OUTPOST_ENOMEM, "out of memory");
	}
	op_buf_free(&b);
	return rc;
}

int op_fs_read_secret(char **out, size_t *len, const char *path, size_t max,
		      struct op_err *err)
{
	struct stat st;

	*out = NULL;
	/* A secret others could read is already out: say so rather than
	 * use it (the same rule as ssh and libpq's .pgpass). */
	if (stat(path, &st) != 0)
		return op_err_set(err, errno == ENOENT ? OUTPOST_ENOTFOUND
						       : OUTPOST_EIO,
				  "%s: cannot open: %s", path,
				  strerror(errno));
	if (!S_ISREG(st.st_mode))
		return op_err_set(err, OUTPOST_EMISUSE, "%s: not a regular "
				  "file", path);
	if (st.st_mode & 077)
		return op_err_set(err, OUTPOST_EMISUSE, "%s: readable by "
				  "others (mode %03o); it holds a secret: "
				  "chmod 600 %s", path,
				  (unsigned)(st.st_mode & 0777), path);
	return op_fs_read(out, len, path, max, err);
}
