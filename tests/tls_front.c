/* tls_front.c - see tls_front.h. The certificates come from one shell
 * script run in the test's directory; the front is tls_front.mjs, found
 * beside tests/neo4j/ (OUTPOST_NEO4J_TOOLS, which the Makefile sets), or
 * in tests/ from the source tree's top. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tls_front.h"

#define FRONT_DEADLINE_S "60"
#define START_WAIT_MS 15000u

/* EC P-256 keys (quick to make, taken by every TLS stack); two days of
 * validity. The CA is a real CA (basicConstraints, keyCertSign); the
 * leaves say what a server certificate says. leaf NAME SAN signs one. */
static const char certs_sh[] =
	"set -e\n"
	"K='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2'\n"
	"openssl req -x509 $K -subj /CN=outpost-test-CA -keyout ca.key "
	"-out ca.pem -addext basicConstraints=critical,CA:TRUE "
	"-addext keyUsage=critical,keyCertSign,cRLSign\n"
	"openssl req -x509 $K -subj /CN=127.0.0.1 -keyout self.key "
	"-out self.pem -addext subjectAltName=IP:127.0.0.1,DNS:localhost\n"
	"leaf() {\n"
	"	printf '%s\\n' basicConstraints=CA:FALSE "
	"keyUsage=critical,digitalSignature extendedKeyUsage=serverAuth "
	"authorityKeyIdentifier=keyid,issuer \"subjectAltName=$2\" >$1.ext\n"
	"	openssl req -new -newkey ec -pkeyopt "
	"ec_paramgen_curve:prime256v1 -nodes -subj /CN=$1 -keyout $1.key "
	"-out $1.csr\n"
	"	openssl x509 -req -in $1.csr -CA ca.pem -CAkey ca.key "
	"-CAcreateserial -days 2 -extfile $1.ext -out $1.pem\n"
	"}\n"
	"leaf good IP:127.0.0.1,DNS:localhost\n"
	"leaf wrong DNS:wrong.example\n"
	"echo 'not a certificate' >junk.pem\n";

static const char *const names[T_TLS_N] = {"good", "self", "wrong"};

static void script_path(char out[512])
{
	const char *d = getenv("OUTPOST_NEO4J_TOOLS");
	const char *slash = d ? strrchr(d, '/') : NULL;

	if (slash && slash > d)
		snprintf(out, 512, "%.*s/tls_front.mjs", (int)(slash - d), d);
	else
		snprintf(out, 512, "tests/tls_front.mjs");
}

static int make_certs(struct t *t)
{
	char path[512], *out = NULL;
	int rc;

	t_path(path, t, "certs.sh");
	if (t_write(path, certs_sh) != 0) {
		t_fail(t, __FILE__, __LINE__, "cannot write %s", path);
		return -1;
	}
	rc = t_sh(&out, "cd '%s' && sh certs.sh", t->dir);
	if (rc != 0)
		t_fail(t, __FILE__, __LINE__, "making test certificates with "
		       "openssl failed (tools/install-deps installs it): %s",
		       out ? out : "(no output)");
	free(out);
	return rc == 0 ? 0 : -1;
}

/* In the child: become node tls_front.mjs, output to tls_front.log. */
static void exec_front(struct t *t, const char *upstream_port)
{
	char script[512], port_file[512], log[512], pem[T_TLS_N][512],
		key[T_TLS_N][512];
	const char *argv[8 + 2 * T_TLS_N + 1];
	int fd, i, n = 0;

	script_path(script);
	t_path(port_file, t, "tls_front.port");
	t_path(log, t, "tls_front.log");
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		_exit(126);
	dup2(fd, 1);
	dup2(fd, 2);
	close(fd);
	argv[n++] = "node";
	argv[n++] = script;
	argv[n++] = "--upstream";
	argv[n++] = upstream_port;
	argv[n++] = "--port-file";
	argv[n++] = port_file;
	argv[n++] = "--deadline";
	argv[n++] = FRONT_DEADLINE_S;
	for (i = 0; i < T_TLS_N; i++) {
		char name[32];

		snprintf(name, sizeof(name), "%s.pem", names[i]);
		t_path(pem[i], t, name);
		snprintf(name, sizeof(name), "%s.key", names[i]);
		t_path(key[i], t, name);
		argv[n++] = pem[i];
		argv[n++] = key[i];
	}
	argv[n] = NULL;
	execvp("node", (char *const *)argv);
	fprintf(stderr, "cannot run node (tools/install-deps installs "
		"nodejs): %s\n", strerror(errno));
	_exit(127);
}

/* The ports it wrote once all listen; 0 if it exited or took too long. */
static int wait_ports(struct t *t, struct t_tls_front *s)
{
	char path[512];
	int port[T_TLS_N], status, i;
	unsigned waited;

	t_path(path, t, "tls_front.port");
	for (waited = 0; waited < START_WAIT_MS; waited += 50) {
		FILE *f = fopen(path, "r");
		int got = 0;

		if (f) {
			got = fscanf(f, "%d %d %d", &port[0], &port[1],
				     &port[2]) == T_TLS_N;
			fclose(f);
		}
		if (got)
			break;
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			return 0;
		}
		t_sleep_ms(50);
	}
	if (waited >= START_WAIT_MS)
		return 0;
	for (i = 0; i < T_TLS_N; i++)
		snprintf(s->url[i], sizeof(s->url[i]), "https://127.0.0.1:%d",
			 port[i]);
	return 1;
}

int t_tls_front_start(struct t *t, struct t_tls_front *s,
		      const char *upstream)
{
	const char *colon = strrchr(upstream, ':');
	char log[512], *why = NULL;

	_Static_assert(T_TLS_N == 3, "wait_ports reads three ports");
	memset(s, 0, sizeof(*s));
	t_path(s->ca, t, "ca.pem");
	t_path(s->junk, t, "junk.pem");
	if (!colon) {
		t_fail(t, __FILE__, __LINE__, "upstream %s has no port",
		       upstream);
		return -1;
	}
	if (make_certs(t) != 0)
		return -1;
	fflush(NULL);
	s->pid = fork();
	if (s->pid == 0)
		exec_front(t, colon + 1);
	if (s->pid > 0 && wait_ports(t, s))
		return 0;
	t_path(log, t, "tls_front.log");
	t_sh(&why, "cat '%s'", log);
	t_fail(t, __FILE__, __LINE__, "the TLS front did not start: %s",
	       why ? why : "(no output)");
	free(why);
	t_tls_front_stop(s);
	return -1;
}

void t_tls_front_stop(struct t_tls_front *s)
{
	t_stop_child(&s->pid);
}
