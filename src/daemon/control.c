/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plastrond's control socket server: accepts uid-0 clients (SO_PEERCRED),
 * reads request lines into a per-client buffer, hands each complete line
 * to the agent's handler and queues the answer, written without blocking.
 *
 * Limits (docs/agent.md, "Control protocol"):
 * - A request line longer than PLD_REQUEST_MAX is read to its end but not
 *   kept, and answered with an error (partial lines are not activity: the
 *   idle timeout bounds how long a client may send one).
 * - Answers are sent in order, one at a time: while an answer is pending
 *   the client's next requests are not read, so the queue of one client
 *   never holds more than one answer (at most PLD_LINE_MAX bytes). A client
 *   that never reads stops being served; when its answer makes no progress
 *   for CTL_IDLE_MS it is dropped.
 * - A connection without a request in progress for CTL_IDLE_MS is closed.
 * - At most CTL_MAX_CLIENTS connections: when all slots are taken, the one
 *   that was active least recently is evicted for the new one, so idle
 *   connections cannot lock out a container start.
 * - At most CTL_BATCH requests of one client per wake-up.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "io.h"

struct ctl_client {
	struct pld_io io;
	int fd;
	char *in;
	size_t in_len, in_cap;
	char *out; /* one answer with its '\n' */
	size_t out_len, out_off;
	int64_t last_active; /* accept, a complete request, write progress */
	bool eof;            /* the peer shut its side: answer, then close */
	bool want_out;       /* EPOLLOUT registered */
	bool discard;        /* in a line longer than PLD_REQUEST_MAX */
	bool dead;           /* closed; freed by ctl_tick (an event may still name it) */
	struct ctl_client *next_dead;
};

static struct {
	int epfd, listen_fd;
	json_t *(*handle)(const char *line);
	void (*log)(const char *fmt, ...);
	struct ctl_client *c[CTL_MAX_CLIENTS];
	struct ctl_counters n;
	struct ctl_client *dead;
	const void *attach; /* ctl_attach, for the answer being queued */
	size_t attach_len;
} C = { .epfd = -1, .listen_fd = -1 };

void ctl_attach(const void *data, size_t len)
{
	C.attach = data;
	C.attach_len = len;
}

int64_t pld_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_client(struct pld_io *io, uint32_t events);

static void client_close(struct ctl_client *c)
{
	epoll_ctl(C.epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	for (size_t i = 0; i < CTL_MAX_CLIENTS; i++)
		if (C.c[i] == c)
			C.c[i] = NULL;
	free(c->in);
	free(c->out);
	c->in = c->out = NULL;
	c->dead = true;
	c->next_dead = C.dead;
	C.dead = c;
	C.n.active--;
}

static void reap(void)
{
	while (C.dead) {
		struct ctl_client *c = C.dead;
		C.dead = c->next_dead;
		free(c);
	}
}

static void set_events(struct ctl_client *c)
{
	bool pending = c->out_len > c->out_off;
	/* No reading while an answer is pending, or after the peer's EOF. */
	uint32_t ev = (pending ? EPOLLOUT : 0) | (!pending && !c->eof ? EPOLLIN : 0);
	struct epoll_event e = { .events = ev, .data.ptr = &c->io };

	epoll_ctl(C.epfd, EPOLL_CTL_MOD, c->fd, &e);
	c->want_out = pending;
}

/* Write what the socket takes now. Returns 0, or -1 when the client is gone
 * (closed here). */
static int flush(struct ctl_client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t k = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			client_close(c);
			return -1;
		}
		c->out_off += (size_t)k;
		c->last_active = pld_now_ms();
	}
	free(c->out);
	c->out = NULL;
	c->out_len = c->out_off = 0;
	return 0;
}

/* Queue `ans` (consumed) as the client's answer. */
static void queue_answer(struct ctl_client *c, json_t *ans)
{
	const void *attach = C.attach;
	size_t n, attach_len = C.attach_len;
	char *s;

	C.attach = NULL;
	C.attach_len = 0;
	if (ans && attach && attach_len <= PLD_LINE_MAX)
		json_object_set_new(ans, "attached_bytes", json_integer((json_int_t)attach_len));
	else
		attach = NULL;
	s = ans ? json_dumps(ans, JSON_COMPACT) : NULL;
	json_decref(ans);
	if (s && strlen(s) > PLD_LINE_MAX) {
		size_t big = strlen(s);
		free(s);
		attach = NULL;
		json_t *e = json_pack("{s:b,s:s}", "ok", 0, "error", "");
		char msg[256];
		snprintf(msg, sizeof(msg),
			 "the answer (%zu bytes) is longer than the protocol's limit of %u bytes",
			 big, (unsigned)PLD_LINE_MAX);
		json_object_set_new(e, "error", json_string(msg));
		s = json_dumps(e, JSON_COMPACT);
		json_decref(e);
		C.log("%s", msg);
	}
	if (!s) {
		s = strdup("{\"ok\":false,\"error\":\"out of memory\"}");
		attach = NULL;
	}
	if (!s)
		return;
	n = strlen(s);
	if (attach) {
		char *t = realloc(s, n + 1 + attach_len);
		if (!t) {
			free(s);
			return;
		}
		s = t;
		memcpy(s + n + 1, attach, attach_len);
	} else {
		attach_len = 0;
	}
	s[n] = '\n'; /* replaces the NUL: the buffer is written by length */
	c->out = s;
	c->out_len = n + 1 + attach_len;
	c->out_off = 0;
}

/* Read what is there; handle up to CTL_BATCH complete lines while no answer
 * is pending. Returns -1 when the client was closed. */
static int serve(struct ctl_client *c)
{
	int handled = 0;

	for (;;) {
		if (c->out_len > c->out_off)
			return 0; /* one answer at a time: the rest waits */
		char *nl = c->in_len ? memchr(c->in, '\n', c->in_len) : NULL;
		if (nl && c->discard) {
			char msg[160];
			size_t used = (size_t)(nl - c->in) + 1;
			snprintf(msg, sizeof(msg), "request longer than %u bytes",
				 (unsigned)PLD_REQUEST_MAX);
			memmove(c->in, c->in + used, c->in_len - used);
			c->in_len -= used;
			c->discard = false;
			queue_answer(c, json_pack("{s:b,s:s}", "ok", 0, "error", msg));
			handled++;
			if (flush(c) < 0)
				return -1;
			continue;
		}
		if (nl) {
			if (handled >= CTL_BATCH)
				return 0; /* fairness: ctl_tick serves the rest */
			*nl = 0;
			size_t used = (size_t)(nl - c->in) + 1;
			queue_answer(c, C.handle(c->in));
			memmove(c->in, c->in + used, c->in_len - used);
			c->in_len -= used;
			c->last_active = pld_now_ms();
			handled++;
			if (flush(c) < 0)
				return -1;
			continue;
		}
		if (c->eof)
			return 0;
		if (c->in_len >= PLD_REQUEST_MAX) {
			/* Dropped up to its newline (still read, so that the client
			 * sees the answer), then answered with an error. */
			if (!c->discard)
				C.n.oversize++;
			c->discard = true;
			c->in_len = 0;
		}
		if (c->in_cap - c->in_len < 4096) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 8192;
			if (cap > PLD_REQUEST_MAX + 4096)
				cap = PLD_REQUEST_MAX + 4096;
			char *p = realloc(c->in, cap);
			if (!p) {
				client_close(c);
				return -1;
			}
			c->in = p;
			c->in_cap = cap;
		}
		ssize_t k = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			client_close(c);
			return -1;
		}
		if (k == 0) {
			c->eof = true;
			c->in_len = 0; /* a partial last line is not a request */
			return 0;
		}
		c->in_len += (size_t)k;
	}
}

static void on_client(struct pld_io *io, uint32_t events)
{
	struct ctl_client *c = (struct ctl_client *)io;

	if (c->dead)
		return;
	if (events & EPOLLOUT) {
		if (flush(c) < 0)
			return;
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || c->out_len == c->out_off) {
		if (serve(c) < 0)
			return;
	}
	if (events & EPOLLERR) {
		client_close(c);
		return;
	}
	if (c->eof && c->out_len == c->out_off) {
		client_close(c);
		return;
	}
	set_events(c);
}

/* A refusal to a connection that gets no slot: one try, never blocking. */
static void refuse(int fd, const char *msg)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "{\"ok\":false,\"error\":\"%s\"}\n", msg);
	if (send(fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* nothing to do: the peer is gone or not reading */
	}
	close(fd);
}

static void accept_one(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	size_t slot, oldest = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || cr.uid != 0) {
		C.n.refused_uid++;
		refuse(fd, "permission denied: only uid 0 may talk to plastrond");
		return;
	}
	for (slot = 0; slot < CTL_MAX_CLIENTS && C.c[slot]; slot++)
		if (C.c[slot]->last_active < C.c[oldest]->last_active)
			oldest = slot;
	if (slot == CTL_MAX_CLIENTS) {
		/* Full: the connection active least recently makes room. */
		C.n.evicted++;
		if (C.n.evicted == 1 || C.n.evicted % 1000 == 0)
			C.log("control socket: all %d slots taken; evicting the connection "
			      "active least recently (%llu evicted so far)",
			      CTL_MAX_CLIENTS, (unsigned long long)C.n.evicted);
		client_close(C.c[oldest]);
		slot = oldest;
	}
	struct ctl_client *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->io.on = on_client;
	c->fd = fd;
	c->last_active = pld_now_ms();
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &c->io };
	if (epoll_ctl(C.epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		free(c);
		return;
	}
	C.c[slot] = c;
	C.n.active++;
	C.n.accepted++;
	/* The request is usually there already: answer it now. */
	on_client(&c->io, EPOLLIN);
}

void ctl_on_listen(void)
{
	/* Bounded: the listen backlog is 64; the rest waits for the next turn. */
	for (int i = 0; i < 2 * CTL_MAX_CLIENTS; i++) {
		int fd = accept4(C.listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return;
		accept_one(fd);
	}
}

/* Complete request lines buffered, none answered yet (the batch limit). */
static bool has_work(const struct ctl_client *c)
{
	return c->out_len == c->out_off && !c->eof && c->in_len && memchr(c->in, '\n', c->in_len);
}

bool ctl_busy(void)
{
	for (size_t i = 0; i < CTL_MAX_CLIENTS; i++)
		if (C.c[i] && has_work(C.c[i]))
			return true;
	return false;
}

void ctl_tick(int64_t now)
{
	reap(); /* no event of the last batch is left to name them */
	for (size_t i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = C.c[i];
		if (c && has_work(c)) {
			on_client(&c->io, 0);
			continue;
		}
		if (!c || now - c->last_active < CTL_IDLE_MS)
			continue;
		if (c->out_len > c->out_off)
			C.n.stalled_closed++;
		else
			C.n.idle_closed++;
		client_close(c);
	}
}

void ctl_counters(struct ctl_counters *ret)
{
	*ret = C.n;
}

int ctl_init(int epfd, int listen_fd, json_t *(*handle)(const char *line),
	     void (*log)(const char *fmt, ...))
{
	C.epfd = epfd;
	C.listen_fd = listen_fd;
	C.handle = handle;
	C.log = log;
	return 0;
}

void ctl_shutdown(void)
{
	for (size_t i = 0; i < CTL_MAX_CLIENTS; i++)
		if (C.c[i])
			client_close(C.c[i]);
	reap();
}
