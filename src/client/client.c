/* SPDX-License-Identifier: Apache-2.0 */
/* The control-socket client: one JSON line each way, with a deadline (the
 * host checks are in doctor.c, the cgroup v2 utilities in cgroup.c). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "lib/policy/tree.h"
#include "shared/macro.h"

_Static_assert(PLD_POLICY_MAX == PL_TREE_MAX_INPUT,
	       "the agent must be able to serve the largest policy the parser accepts");

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void pld_linebuf_free(struct pld_linebuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int pld_read_line(int fd, struct pld_linebuf *b, char **ret, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;

	for (;;) {
		char *nl = b->len ? memchr(b->data, '\n', b->len) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - b->data);
			char *s = strndup(b->data, n);
			if (!s)
				return -ENOMEM;
			memmove(b->data, nl + 1, b->len - n - 1);
			b->len -= n + 1;
			*ret = s;
			return 1;
		}
		if (b->len >= PLD_LINE_MAX)
			return -E2BIG;
		if (b->cap - b->len < 4096) {
			size_t cap = b->cap ? b->cap * 2 : 8192;
			char *p = realloc(b->data, cap);
			if (!p)
				return -ENOMEM;
			b->data = p;
			b->cap = cap;
		}
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int wait = -1;
		if (deadline >= 0) {
			int64_t left = deadline - now_ms();
			if (left < 0)
				return -ETIMEDOUT;
			wait = (int)left;
		}
		int r = poll(&pfd, 1, wait);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -ETIMEDOUT;
		ssize_t k = read(fd, b->data + b->len, b->cap - b->len);
		if (k < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (k == 0)
			return 0;
		b->len += (size_t)k;
	}
}

int pld_write_line(int fd, const char *s)
{
	size_t n = strlen(s);
	size_t total = n + 1, done = 0;

	/* sendmsg with MSG_NOSIGNAL: a peer that already closed (plastrond
	 * refusing a client answers, then closes) is EPIPE, never SIGPIPE. */
	while (done < total) {
		struct iovec w[2] = { { (char *)s + done, done < n ? n - done : 0 }, { "\n", 1 } };
		struct msghdr m = { .msg_iov = done < n ? w : w + 1,
				    .msg_iovlen = done < n ? 2 : 1 };
		ssize_t k = sendmsg(fd, &m, MSG_NOSIGNAL);
		if (k < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		done += (size_t)k;
	}
	return 0;
}

/* Read exactly `want` bytes: what `b` holds past the line, then the socket. */
static int read_attached(int fd, struct pld_linebuf *b, size_t want, char **ret, int timeout_ms)
{
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	size_t have = b->len < want ? b->len : want;
	char *buf = malloc(want + 1);

	if (!buf)
		return -ENOMEM;
	memcpy(buf, b->data, have);
	while (have < want) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int wait = -1;
		if (deadline >= 0) {
			int64_t left = deadline - now_ms();
			if (left < 0) {
				free(buf);
				return -ETIMEDOUT;
			}
			wait = (int)left;
		}
		int r = poll(&pfd, 1, wait);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			free(buf);
			return r == 0 ? -ETIMEDOUT : -errno;
		}
		ssize_t k = read(fd, buf + have, want - have);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0) {
			free(buf);
			return k == 0 ? -ECONNRESET : -errno;
		}
		have += (size_t)k;
	}
	buf[want] = 0;
	*ret = buf;
	return 0;
}

int pld_request(const char *socket_path, json_t *req, json_t **ret, int timeout_ms, char *err,
		size_t errlen)
{
	char *data = NULL;
	size_t len = 0;
	int r = pld_request_data(socket_path, req, ret, &data, &len, timeout_ms, err, errlen);

	free(data);
	return r;
}

int pld_request_data(const char *socket_path, json_t *req, json_t **ret, char **data,
		     size_t *data_len, int timeout_ms, char *err, size_t errlen)
{
	_cleanup_close_ int fd = -1;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_free_ char *line = NULL;
	_cleanup_free_ char *answer = NULL;
	struct pld_linebuf b = { 0 };
	json_error_t je;
	int r;

	if (strlen(socket_path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", socket_path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "socket: %s", strerror(-r));
		return r;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot reach plastrond at %s: %s", socket_path,
			 strerror(-r));
		return r;
	}
	line = json_dumps(req, JSON_COMPACT);
	if (!line)
		return -ENOMEM;
	int wr = pld_write_line(fd, line);
	if (wr < 0 && wr != -EPIPE && wr != -ECONNRESET) {
		snprintf(err, errlen, "writing to plastrond: %s", strerror(-wr));
		return wr;
	}
	/* Even when the agent closed before reading the request, the answer it
	 * sent first (a refusal) is still there to read. */
	*data = NULL;
	*data_len = 0;
	r = pld_read_line(fd, &b, &answer, timeout_ms);
	if (r <= 0 && wr < 0) {
		pld_linebuf_free(&b);
		snprintf(err, errlen, "writing to plastrond: %s", strerror(-wr));
		return wr;
	}
	if (r <= 0) {
		pld_linebuf_free(&b);
		if (r == 0)
			r = -ECONNRESET;
		snprintf(err, errlen, "no answer from plastrond at %s: %s", socket_path,
			 r == -ECONNRESET ? "connection closed" : strerror(-r));
		return r;
	}
	json_t *j = json_loads(answer, 0, &je);
	if (!j || !json_is_object(j)) {
		pld_linebuf_free(&b);
		json_decref(j);
		snprintf(err, errlen, "malformed answer from plastrond: %s", je.text);
		return -EBADMSG;
	}
	json_t *n = json_object_get(j, "attached_bytes");
	if (n) {
		json_int_t want = json_integer_value(n);
		if (!json_is_integer(n) || want < 0 || want > PLD_LINE_MAX) {
			r = -EBADMSG;
			snprintf(err, errlen,
				 "malformed answer from plastrond: bad attached_bytes");
		} else {
			r = read_attached(fd, &b, (size_t)want, data, timeout_ms);
			if (r < 0)
				snprintf(err, errlen, "incomplete answer from plastrond at %s: %s",
					 socket_path, strerror(-r));
			else
				*data_len = (size_t)want;
		}
		if (r < 0) {
			pld_linebuf_free(&b);
			json_decref(j);
			return r;
		}
	}
	pld_linebuf_free(&b);
	*ret = j;
	return 0;
}
