/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plastrond's metrics endpoint (--metrics 127.0.0.1:PORT): a minimal
 * HTTP/1.0 server on the agent's epoll loop. Each connection is a small
 * non-blocking state machine: read the request head (up to MX_REQUEST_MAX
 * bytes, until the blank line), answer with the Prometheus text of any path,
 * write it as the socket takes it, close. A connection is closed
 * MX_TIMEOUT_MS after it was accepted, answered or not; at most
 * MX_MAX_CONNS are open, the oldest is evicted for a new one. Nothing here
 * waits, so idle or slow HTTP clients (any local user may connect) cannot
 * delay the control socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io.h"

struct mx_conn {
	struct pld_io io;
	int fd;
	char req[MX_REQUEST_MAX];
	size_t req_len;
	char *out;
	size_t out_len, out_off;
	int64_t since;
	bool dead; /* closed; freed by mx_tick (an event may still name it) */
	struct mx_conn *next_dead;
};

static struct {
	int epfd, listen_fd;
	char *(*render)(size_t *len);
	struct mx_conn *c[MX_MAX_CONNS];
	struct mx_conn *dead;
} M = { .epfd = -1, .listen_fd = -1 };

int mx_listen(const char *spec)
{
	char host[64];
	const char *colon = strrchr(spec, ':');
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd, one = 1;
	long port;

	if (!colon || (size_t)(colon - spec) >= sizeof(host))
		return -EINVAL;
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = 0;
	if (strcmp(host, "127.0.0.1") && strcmp(host, "localhost"))
		return -EADDRNOTAVAIL; /* 127.0.0.1 only */
	port = strtol(colon + 1, NULL, 10);
	if (port <= 0 || port > 65535)
		return -EINVAL;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static void conn_close(struct mx_conn *c)
{
	epoll_ctl(M.epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	for (size_t i = 0; i < MX_MAX_CONNS; i++)
		if (M.c[i] == c)
			M.c[i] = NULL;
	free(c->out);
	c->out = NULL;
	c->dead = true;
	c->next_dead = M.dead;
	M.dead = c;
}

static void reap(void)
{
	while (M.dead) {
		struct mx_conn *c = M.dead;
		M.dead = c->next_dead;
		free(c);
	}
}

static void answer(struct mx_conn *c)
{
	size_t len = 0;
	char *body = M.render(&len), *out = NULL;
	size_t out_len = 0;
	FILE *f;

	if (!body) {
		conn_close(c);
		return;
	}
	f = open_memstream(&out, &out_len);
	if (!f) {
		free(body);
		conn_close(c);
		return;
	}
	fprintf(f,
		"HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
		"Content-Length: %zu\r\nConnection: close\r\n\r\n",
		len);
	fwrite(body, 1, len, f);
	free(body);
	if (fclose(f) != 0) {
		free(out);
		conn_close(c);
		return;
	}
	c->out = out;
	c->out_len = out_len;
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = &c->io };
	epoll_ctl(M.epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void on_conn(struct pld_io *io, uint32_t events)
{
	struct mx_conn *c = (struct mx_conn *)io;

	if (c->dead)
		return;
	if (!c->out) {
		for (;;) {
			ssize_t k = recv(c->fd, c->req + c->req_len,
					 sizeof(c->req) - 1 - c->req_len, MSG_DONTWAIT);
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0 && errno == EAGAIN) {
				if (events & (EPOLLHUP | EPOLLERR)) {
					conn_close(c);
					return;
				}
				return; /* the head is not complete yet */
			}
			if (k <= 0) {
				conn_close(c); /* closed before asking */
				return;
			}
			c->req_len += (size_t)k;
			c->req[c->req_len] = 0;
			/* The head is complete, or as long as we read: answer. */
			if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n") ||
			    c->req_len == sizeof(c->req) - 1)
				break;
		}
		answer(c);
		return; /* written when the socket is writable */
	}
	while (c->out_off < c->out_len) {
		ssize_t k = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno == EAGAIN)
			return;
		if (k < 0) {
			conn_close(c);
			return;
		}
		c->out_off += (size_t)k;
	}
	shutdown(c->fd, SHUT_WR);
	conn_close(c);
}

void mx_on_listen(void)
{
	for (int i = 0; i < 4 * MX_MAX_CONNS; i++) {
		int fd = accept4(M.listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		size_t slot, oldest = 0;

		if (fd < 0)
			return;
		for (slot = 0; slot < MX_MAX_CONNS && M.c[slot]; slot++)
			if (M.c[slot]->since < M.c[oldest]->since)
				oldest = slot;
		if (slot == MX_MAX_CONNS) {
			conn_close(M.c[oldest]);
			slot = oldest;
		}
		struct mx_conn *c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			return;
		}
		c->io.on = on_conn;
		c->fd = fd;
		c->since = pld_now_ms();
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &c->io };
		if (epoll_ctl(M.epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			close(fd);
			free(c);
			continue;
		}
		M.c[slot] = c;
	}
}

void mx_tick(int64_t now)
{
	reap();
	for (size_t i = 0; i < MX_MAX_CONNS; i++)
		if (M.c[i] && now - M.c[i]->since >= MX_TIMEOUT_MS)
			conn_close(M.c[i]);
}

int mx_init(int epfd, int listen_fd, char *(*render)(size_t *len))
{
	M.epfd = epfd;
	M.listen_fd = listen_fd;
	M.render = render;
	return 0;
}

void mx_shutdown(void)
{
	for (size_t i = 0; i < MX_MAX_CONNS; i++)
		if (M.c[i])
			conn_close(M.c[i]);
	reap();
}
