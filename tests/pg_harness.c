/* pg_harness.c - the test run's own PostgreSQL server (see pg_harness.h):
 * initdb into a directory of the run, a Unix socket in that directory and
 * no TCP, fsync off; as root, the server's programs run as `postgres`.
 * Started by the first test that needs it, stopped by the runner at exit
 * (pg_ctl stop on our own data directory; nothing is killed by name). */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pg_harness.h"

#define ENV_DIR "OUTPOST_TEST_PG_DIR"
/* Server settings: no TCP, socket in our directory, speed over safety. */
#define PG_OPTS                                                              \
	"-c listen_addresses='' -c unix_socket_directories='%s' "           \
	"-c fsync=off -c synchronous_commit=off -c full_page_writes=off "    \
	"-c max_connections=60"

void t_pg_setup(void)
{
	const char *tmp = getenv("TMPDIR");
	char d[256];

	/* As root the server runs as postgres, which must reach the
	 * directory: /tmp is world-searchable, a private TMPDIR may not be. */
	if (geteuid() == 0 || !tmp || !*tmp)
		tmp = "/tmp";
	snprintf(d, sizeof(d), "%s/outpost-pg-%ld", tmp, (long)getpid());
	setenv(ENV_DIR, d, 1);
}

const char *t_pg_host(void)
{
	const char *d = getenv(ENV_DIR);

	return d ? d : "/tmp/outpost-pg-unset";
}

/* The newest /usr/lib/postgresql/N/bin, or $OUTPOST_PG_BIN. */
static int bin_dir(char out[256])
{
	const char *env = getenv("OUTPOST_PG_BIN");
	glob_t g;
	long best = -1;
	size_t i;

	if (env && *env) {
		snprintf(out, 256, "%s", env);
		return 0;
	}
	if (glob("/usr/lib/postgresql/*/bin/pg_ctl", 0, NULL, &g) != 0)
		return -1;
	for (i = 0; i < g.gl_pathc; i++) {
		const char *v = g.gl_pathv[i] + strlen("/usr/lib/postgresql/");
		long n = strtol(v, NULL, 10);

		if (n > best) {
			best = n;
			snprintf(out, 256, "%.*s", (int)(strlen(g.gl_pathv[i]) -
							 strlen("/pg_ctl")),
				 g.gl_pathv[i]);
		}
	}
	globfree(&g);
	return best < 0 ? -1 : 0;
}

/* How to run a server program: as postgres when we are root. */
static const char *as_pg(void)
{
	return geteuid() == 0 ? "runuser -u postgres -- " : "";
}

static int pg_ctl(char **out, const char *args)
{
	char bin[256];

	if (bin_dir(bin) != 0)
		return -1;
	return t_sh(out, "%s'%s/pg_ctl' -D '%s/data' %s", as_pg(), bin,
		    t_pg_host(), args);
}

static int running(void)
{
	char pidfile[512];

	snprintf(pidfile, sizeof(pidfile), "%s/data/postmaster.pid",
		 t_pg_host());
	return access(pidfile, F_OK) == 0 && pg_ctl(NULL, "status") == 0;
}

/* The directory, owned by postgres when we are root. */
static int make_dir(char **why)
{
	const char *d = t_pg_host();
	struct passwd *pw;

	if (mkdir(d, 0700) != 0 && errno != EEXIST)
		return t_sh(why, "echo 'cannot create %s'", d), -1;
	if (geteuid() != 0)
		return 0;
	pw = getpwnam("postgres");
	if (!pw || chown(d, pw->pw_uid, pw->pw_gid) != 0)
		return t_sh(why, "echo 'tests run as root, so PostgreSQL runs "
			    "as the postgres account, which is missing or "
			    "cannot own %s (tools/install-deps installs the "
			    "postgresql package, which makes it)'", d),
		       -1;
	return 0;
}

/* initdb, and a pg_hba.conf that asks every role but the superuser for
 * its password. */
static int create_cluster(char **why)
{
	char bin[256], path[512];

	if (bin_dir(bin) != 0)
		return t_sh(why, "echo 'no PostgreSQL server programs under "
			    "/usr/lib/postgresql/*/bin (run tools/install-deps, "
			    "or set OUTPOST_PG_BIN)'"),
		       -1;
	if (make_dir(why) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/data/PG_VERSION", t_pg_host());
	if (access(path, F_OK) == 0)
		return 0;
	free(*why);
	*why = NULL;
	if (t_sh(why, "%s'%s/initdb' -D '%s/data' -U " T_PG_ADMIN " -A trust "
		 "-E UTF8 --locale=C --no-sync", as_pg(), bin,
		 t_pg_host()) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/data/pg_hba.conf", t_pg_host());
	if (t_write(path, "local all " T_PG_ADMIN " trust\n"
			  "local all all scram-sha-256\n") != 0)
		return t_sh(why, "echo 'cannot write %s'", path), -1;
	return 0;
}

int t_pg_start(struct t *t)
{
	char *why = NULL, args[1024], opts[512];

	if (!getenv(ENV_DIR)) /* a runner without t_pg_setup() */
		t_pg_setup();
	if (running())
		return 0;
	if (create_cluster(&why) == 0) {
		free(why);
		why = NULL;
		snprintf(opts, sizeof(opts), PG_OPTS, t_pg_host());
		snprintf(args, sizeof(args), "start -w -t 60 -l '%s/server.log' "
			 "-o \"%s\"", t_pg_host(), opts);
		if (pg_ctl(&why, args) == 0 && running()) {
			free(why);
			return 0;
		}
		free(why);
		t_sh(&why, "tail -n 20 '%s/server.log'", t_pg_host());
	}
	t_fail(t, __FILE__, __LINE__, "PostgreSQL did not start in %s: %s",
	       t_pg_host(), why ? why : "(no output)");
	free(why);
	return -1;
}

int t_pg_stop(void)
{
	return pg_ctl(NULL, "stop -w -t 60 -m fast") == 0 ? 0 : -1;
}

int t_pg_restart(void)
{
	char args[1024], opts[512];

	snprintf(opts, sizeof(opts), PG_OPTS, t_pg_host());
	snprintf(args, sizeof(args), "restart -w -t 60 -m fast -l "
		 "'%s/server.log' -o \"%s\"", t_pg_host(), opts);
	return pg_ctl(NULL, args) == 0 ? 0 : -1;
}

void t_pg_cleanup(void)
{
	const char *d = getenv(ENV_DIR);

	if (!d || access(d, F_OK) != 0)
		return;
	if (running() && t_pg_stop() != 0)
		fprintf(stderr, "warning: the test PostgreSQL in %s did not "
			"stop\n", d);
	if (t_sh(NULL, "rm -rf '%s'", d) != 0)
		fprintf(stderr, "warning: could not remove %s\n", d);
}

const char *t_pg_conninfo(char out[512], const char *dbname,
			  const char *user)
{
	snprintf(out, 512, "host=%s port=5432 dbname=%s user=%s",
		 t_pg_host(), dbname, user);
	return out;
}

static char *read_all(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t r;

	while (buf && (r = read(fd, buf + len, cap - len - 1)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)r;
		if (len + 1 == cap) {
			char *g = realloc(buf, cap *= 2);

			if (!g) {
				free(buf);
				return NULL;
			}
			buf = g;
		}
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

/* The child: psql with the password in its environment only. */
static void exec_psql(int out_fd, const char *dbname, const char *user,
		      const char *password, const char *sql)
{
	char bin[256], psql[300];

	dup2(out_fd, 1);
	dup2(out_fd, 2);
	close(out_fd);
	if (password)
		setenv("PGPASSWORD", password, 1);
	else
		unsetenv("PGPASSWORD");
	/* no ~/.pgpass help (a missing file is silently no file) */
	setenv("PGPASSFILE", "/nonexistent/outpost-test-pgpass", 1);
	if (bin_dir(bin) != 0)
		_exit(127);
	snprintf(psql, sizeof(psql), "%s/psql", bin);
	execl(psql, "psql", "-X", "-q", "-A", "-t", "-w", "-v",
	      "ON_ERROR_STOP=1", "-h", t_pg_host(), "-U", user, "-d", dbname,
	      "-c", sql, (char *)NULL);
	_exit(127);
}

int t_pg_psql(char **out, const char *dbname, const char *user,
	      const char *password, const char *sql)
{
	int fd[2], status = 0;
	pid_t pid;
	char *text;

	if (out)
		*out = NULL;
	if (pipe(fd) != 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(fd[0]);
		exec_psql(fd[1], dbname, user, password, sql);
	}
	close(fd[1]);
	text = pid > 0 ? read_all(fd[0]) : NULL;
	close(fd[0]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		status = -1;
	if (out)
		*out = text;
	else
		free(text);
	return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int t_pg_createdb(const char *name)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS \"%s\"", name);
	if (t_pg_psql(NULL, "postgres", T_PG_ADMIN, NULL, sql) != 0)
		return -1;
	snprintf(sql, sizeof(sql), "CREATE DATABASE \"%s\"", name);
	return t_pg_psql(NULL, "postgres", T_PG_ADMIN, NULL, sql) == 0 ? 0
								       : -1;
}

int t_pg_testdb(struct t *t, char out[64])
{
	size_t i, n = 0;

	if (t_pg_start(t) != 0)
		return -1;
	for (i = 0; t->name[i] && n < 60; i++)
		out[n++] = isalnum((unsigned char)t->name[i])
				   ? (char)tolower((unsigned char)t->name[i])
				   : '_';
	out[n] = '\0';
	if (t_pg_createdb(out) == 0)
		return 0;
	t_fail(t, __FILE__, __LINE__, "CREATE DATABASE %s failed", out);
	return -1;
}
