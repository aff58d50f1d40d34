/* fault_proxy.c - see fault_proxy.h. One child process, poll() over the
 * listening socket and every open pair; no threads. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "fault_proxy.h"

#define PROXY_PAIRS 32

struct pair {
	int a, b;   /* client, server; -1 when free */
	long left;  /* bytes until the cut; < 0: never */
};

static int connect_unix(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void drop(struct pair *p)
{
	close(p->a);
	close(p->b);
	p->a = p->b = -1;
}

/* Move what is there from `from` to `to`; cut the pair when its budget
 * runs out (half a message sent is the point). */
static void pump(struct pair *p, int from, int to)
{
	char buf[4096];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0) {
		drop(p);
		return;
	}
	if (p->left >= 0 && n > p->left)
		n = (ssize_t)p->left;
	if (n > 0 && write(to, buf, (size_t)n) != n) {
		drop(p);
		return;
	}
	if (p->left >= 0 && (p->left -= n) <= 0)
		drop(p);
}

static void serve(int lfd, const char *unix_path, uint64_t seed,
		  long min_cut, long max_cut, int deadline_s)
{
	struct pair pairs[PROXY_PAIRS];
	time_t end = time(NULL) + deadline_s;
	int i;

	for (i = 0; i < PROXY_PAIRS; i++)
		pairs[i].a = pairs[i].b = -1;
	while (time(NULL) < end) {
		struct pollfd fds[1 + 2 * PROXY_PAIRS];
		int n = 1;

		fds[0].fd = lfd;
		fds[0].events = POLLIN;
		for (i = 0; i < PROXY_PAIRS; i++) {
			fds[n].fd = pairs[i].a;
			fds[n++].events = POLLIN;
			fds[n].fd = pairs[i].b;
			fds[n++].events = POLLIN;
		}
		if (poll(fds, (nfds_t)n, 200) <= 0)
			continue;
		if (fds[0].revents & POLLIN) {
			int c = accept(lfd, NULL, NULL), s;

			for (i = 0; i < PROXY_PAIRS && pairs[i].a >= 0; i++)
				;
			s = c >= 0 && i < PROXY_PAIRS ? connect_unix(unix_path)
						      : -1;
			if (s < 0) {
				if (c >= 0)
					close(c);
				continue;
			}
			pairs[i].a = c;
			pairs[i].b = s;
			pairs[i].left = max_cut <= 0 ? -1
				: min_cut + (long)t_rng_below(
					&seed, (unsigned)(max_cut - min_cut + 1));
		}
		for (i = 0; i < PROXY_PAIRS; i++) {
			struct pollfd *fa = &fds[1 + 2 * i], *fb = fa + 1;

			if (pairs[i].a >= 0 && (fa->revents & (POLLIN | POLLHUP)))
				pump(&pairs[i], pairs[i].a, pairs[i].b);
			if (pairs[i].a >= 0 && (fb->revents & (POLLIN | POLLHUP)))
				pump(&pairs[i], pairs[i].b, pairs[i].a);
		}
	}
}

int fault_proxy_start(struct fault_proxy *p, const char *unix_path,
		      uint64_t seed, long min_cut, long max_cut,
		      int deadline_s)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0; /* any free port */
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(lfd, 16) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len) != 0) {
		if (lfd >= 0)
			close(lfd);
		return -1;
	}
	p->port = ntohs(sa.sin_port);
	p->pid = fork();
	if (p->pid < 0) {
		close(lfd);
		return -1;
	}
	if (p->pid == 0) {
		signal(SIGPIPE, SIG_IGN);
		serve(lfd, unix_path, seed, min_cut, max_cut, deadline_s);
		_exit(0);
	}
	close(lfd);
	return 0;
}

void fault_proxy_stop(struct fault_proxy *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGTERM);
		waitpid(p->pid, NULL, 0);
	}
	p->pid = 0;
}
