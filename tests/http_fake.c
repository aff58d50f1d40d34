/* http_fake.c - see http_fake.h. One thread, poll() over the listening
 * socket, a wake-up pipe and every open connection; each connection
 * gathers bytes until it holds a whole request (head and
 * Content-Length body), then the next step of the script answers it. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_fake.h"

#define FAKE_CONNS 8
#define FAKE_REQS 64
#define FAKE_REQ_MAX (1 << 20)

struct conn {
	int fd;	      /* -1 when free */
	int hung;     /* answered nothing on purpose: ignore its input */
	char *buf;
	size_t len;
};

struct http_fake {
	const struct http_fake_step *steps;
	size_t nsteps, next;
	int lfd, wake[2];
	char url[64];
	pthread_t thread;
	pthread_mutex_t mu;
	struct conn conns[FAKE_CONNS];
	struct http_fake_req reqs[FAKE_REQS];
	size_t nreqs;
	size_t accepts;
};

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->hung = 0;
	free(c->buf);
	c->buf = NULL;
	c->len = 0;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

/* Content-Length of a head, 0 if none. */
static size_t content_length(const char *head, size_t n)
{
	const char *p = head, *end = head + n;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));

		if (!eol)
			break;
		if (strncasecmp(p, "Content-Length:", 15) == 0)
			return (size_t)strtoul(p + 15, NULL, 10);
		p = eol + 1;
	}
	return 0;
}

static void record(struct http_fake *f, const char *buf, size_t head_len,
		   size_t body_len)
{
	struct http_fake_req *r;
	const char *eol = memchr(buf, '\n', head_len);
	size_t line = eol ? (size_t)(eol - buf + 1) : head_len;
	char first[600];

	pthread_mutex_lock(&f->mu);
	if (f->nreqs < FAKE_REQS) {
		r = &f->reqs[f->nreqs];
		snprintf(first, sizeof(first), "%.*s", (int)line, buf);
		if (sscanf(first, "%15s %511s", r->method, r->path) != 2)
			r->method[0] = r->path[0] = '\0';
		r->head = strndup(buf + line, head_len - line);
		r->body = strndup(buf + head_len, body_len);
		f->nreqs++;
	}
	pthread_mutex_unlock(&f->mu);
}

static void answer(struct conn *c, const struct http_fake_step *s)
{
	char head[1024];
	size_t blen = s->body ? strlen(s->body) : 0, total;
	char *all;
	int n;

	if (s->hang) {
		c->hung = 1;
		return;
	}
	if (s->reset) {
		struct linger lg = {1, 0};

		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		conn_close(c);
		return;
	}
	if (s->raw) {
		write_all(c->fd, s->raw, strlen(s->raw));
		conn_close(c);
		return;
	}
	n = snprintf(head, sizeof(head), "HTTP/1.1 %d Scripted\r\nContent-Type: "
		     "application/json\r\nContent-Length: %zu\r\n%s%s\r\n",
		     s->status, blen, s->headers ? s->headers : "",
		     s->close ? "Connection: close\r\n" : "");
	total = (size_t)n + blen;
	all = malloc(total + 1);
	if (!all) {
		conn_close(c);
		return;
	}
	memcpy(all, head, (size_t)n);
	if (blen)
		memcpy(all + n, s->body, blen);
	if (s->cut_after > 0 && (size_t)s->cut_after < total)
		total = (size_t)s->cut_after;
	write_all(c->fd, all, total);
	free(all);
	if (s->cut_after > 0 || s->close)
		conn_close(c);
}

/* Serve every whole request the connection holds. */
static void serve(struct http_fake *f, struct conn *c)
{
	static const struct http_fake_step exhausted = {
		500, "{\"errors\":[{\"code\":\"Test.ScriptExhausted\","
		     "\"message\":\"the fake server's script is used up\"}]}",
		NULL, NULL, 0, 0, 0, 0};

	while (c->fd >= 0 && !c->hung) {
		char *end = c->len ? memmem(c->buf, c->len, "\r\n\r\n", 4) : NULL;
		size_t head_len, body_len, whole;

		if (!end)
			return;
		head_len = (size_t)(end - c->buf) + 4;
		body_len = content_length(c->buf, head_len);
		if (body_len > FAKE_REQ_MAX) {
			conn_close(c);
			return;
		}
		whole = head_len + body_len;
		if (c->len < whole)
			return;
		record(f, c->buf, head_len, body_len);
		memmove(c->buf, c->buf + whole, c->len - whole);
		c->len -= whole;
		answer(c, f->next < f->nsteps ? &f->steps[f->next] : &exhausted);
		f->next++;
	}
}

static void readable(struct http_fake *f, struct conn *c)
{
	char tmp[8192];
	ssize_t n = recv(c->fd, tmp, sizeof(tmp), 0);
	char *p;

	if (n <= 0) {
		conn_close(c);
		return;
	}
	if (c->hung)
		return;
	if (c->len + (size_t)n > 2 * (size_t)FAKE_REQ_MAX ||
	    !(p = realloc(c->buf, c->len + (size_t)n))) {
		conn_close(c);
		return;
	}
	c->buf = p;
	memcpy(c->buf + c->len, tmp, (size_t)n);
	c->len += (size_t)n;
	serve(f, c);
}

static void *loop(void *arg)
{
	struct http_fake *f = arg;

	for (;;) {
		struct pollfd p[2 + FAKE_CONNS];
		int i, n = 2;

		p[0].fd = f->wake[0];
		p[1].fd = f->lfd;
		for (i = 0; i < FAKE_CONNS; i++)
			p[2 + i].fd = f->conns[i].fd;
		for (i = 0; i < 2 + FAKE_CONNS; i++) {
			p[i].events = POLLIN;
			p[i].revents = 0;
		}
		n += FAKE_CONNS;
		if (poll(p, (nfds_t)n, 1000) < 0)
			continue;
		if (p[0].revents)
			return NULL;
		if (p[1].revents & POLLIN) {
			int fd = accept(f->lfd, NULL, NULL);

			if (fd >= 0) {
				pthread_mutex_lock(&f->mu);
				f->accepts++;
				pthread_mutex_unlock(&f->mu);
			}

			for (i = 0; fd >= 0 && i < FAKE_CONNS; i++)
				if (f->conns[i].fd < 0) {
					f->conns[i].fd = fd;
					fd = -1;
				}
			if (fd >= 0)
				close(fd);
		}
		for (i = 0; i < FAKE_CONNS; i++)
			if (f->conns[i].fd >= 0 && p[2 + i].fd >= 0 &&
			    p[2 + i].revents)
				readable(f, &f->conns[i]);
	}
}

struct http_fake *http_fake_start(const struct http_fake_step *steps,
				  size_t n)
{
	struct http_fake *f = calloc(1, sizeof(*f));
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int i, one = 1;

	if (!f)
		return NULL;
	f->steps = steps;
	f->nsteps = n;
	for (i = 0; i < FAKE_CONNS; i++)
		f->conns[i].fd = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (f->lfd < 0 || pipe(f->wake) != 0) {
		free(f);
		return NULL;
	}
	setsockopt(f->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(f->lfd, 16) != 0 ||
	    getsockname(f->lfd, (struct sockaddr *)&sa, &len) != 0 ||
	    pthread_mutex_init(&f->mu, NULL) != 0) {
		close(f->lfd);
		close(f->wake[0]);
		close(f->wake[1]);
		free(f);
		return NULL;
	}
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d",
		 (int)ntohs(sa.sin_port));
	if (pthread_create(&f->thread, NULL, loop, f) != 0) {
		close(f->lfd);
		close(f->wake[0]);
		close(f->wake[1]);
		pthread_mutex_destroy(&f->mu);
		free(f);
		return NULL;
	}
	return f;
}

const char *http_fake_url(const struct http_fake *f)
{
	return f->url;
}

size_t http_fake_count(struct http_fake *f)
{
	size_t n;

	pthread_mutex_lock(&f->mu);
	n = f->nreqs;
	pthread_mutex_unlock(&f->mu);
	return n;
}

size_t http_fake_accepts(struct http_fake *f)
{
	size_t n;

	pthread_mutex_lock(&f->mu);
	n = f->accepts;
	pthread_mutex_unlock(&f->mu);
	return n;
}

const struct http_fake_req *http_fake_req(struct http_fake *f, size_t i)
{
	return i < http_fake_count(f) ? &f->reqs[i] : NULL;
}

const char *http_fake_header(struct http_fake *f, size_t i, const char *name,
			     char *out, size_t n)
{
	const struct http_fake_req *r = http_fake_req(f, i);
	size_t nl = strlen(name);
	const char *p;

	for (p = r ? r->head : NULL; p && *p;) {
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			size_t l;

			v += strspn(v, " \t");
			l = strcspn(v, "\r\n");
			snprintf(out, n, "%.*s", (int)l, v);
			return out;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

void http_fake_stop(struct http_fake *f)
{
	size_t i;

	if (!f)
		return;
	if (write(f->wake[1], "x", 1) == 1)
		pthread_join(f->thread, NULL);
	for (i = 0; i < FAKE_CONNS; i++)
		conn_close(&f->conns[i]);
	for (i = 0; i < f->nreqs; i++) {
		free(f->reqs[i].head);
		free(f->reqs[i].body);
	}
	close(f->lfd);
	close(f->wake[0]);
	close(f->wake[1]);
	pthread_mutex_destroy(&f->mu);
	free(f);
}
