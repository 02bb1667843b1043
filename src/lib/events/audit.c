/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The audit netlink socket: status queries, the task,never rule, and the
 * read-only AUDIT_NLGRP_READLOG multicast group that carries every record
 * the kernel emits (seccomp 1326, Landlock 1423/1424, ...).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/netlink.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plastron/events.h"
#include "shared/macro.h"

struct pl_audit {
	int fd;
};

#define NL_BUF 16384

static int nl_open(struct pl_diag *d)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);

	if (fd < 0)
		return pl_error(d, -errno, NULL, NULL, "audit netlink socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;
		close(fd);
		return pl_error(d, r, NULL, NULL, "audit netlink bind: %s", strerror(-r));
	}
	return fd;
}

static int nl_send(int fd, uint16_t type, const void *payload, size_t len, struct pl_diag *d)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	size_t total = NLMSG_SPACE(len);
	_cleanup_free_ struct nlmsghdr *h = calloc(1, total);

	if (!h)
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	h->nlmsg_len = NLMSG_LENGTH(len);
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	h->nlmsg_seq = 1;
	if (len)
		memcpy(NLMSG_DATA(h), payload, len);
	if (sendto(fd, h, h->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return pl_error(d, -errno, NULL, NULL, "audit netlink request %u: %s", type,
				strerror(errno));
	return 0;
}

/*
 * Receive replies until the ACK (and, when `want` is not 0, one message of
 * type `want`; for multipart replies until NLMSG_DONE). `cb` sees every
 * message of type `want`.
 */
static int nl_recv(int fd, uint16_t want, bool multi,
		   int (*cb)(const struct nlmsghdr *h, void *userdata), void *userdata,
		   struct pl_diag *d)
{
	_cleanup_free_ char *buf = malloc(NL_BUF);
	bool acked = false, got = want == 0, done = !multi;

	if (!buf)
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	while (!(acked && got && done)) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;
		int r = poll(&pfd, 1, 2000);

		if (r == 0) {
			/* Multipart replies (AUDIT_LIST_RULES) end with DONE and may not be ACKed.
			 */
			if (got && done)
				return 0;
			return pl_error(d, -ETIMEDOUT, NULL, NULL, "audit netlink: no reply");
		}
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return pl_error(d, -errno, NULL, NULL, "audit netlink poll: %s",
					strerror(errno));
		}
		n = recv(fd, buf, NL_BUF, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return pl_error(d, -errno, NULL, NULL, "audit netlink recv: %s",
					strerror(errno));
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				if (e->error)
					return e->error;
				acked = true;
			} else if (h->nlmsg_type == NLMSG_DONE) {
				done = true;
				got = true;
			} else if (want && h->nlmsg_type == want) {
				got = true;
				if (cb) {
					r = cb(h, userdata);
					if (r < 0)
						return r;
				}
			}
		}
	}
	return 0;
}

static int status_cb(const struct nlmsghdr *h, void *userdata)
{
	struct audit_status st = { 0 };
	struct pl_audit_status *ret = userdata;
	size_t len = h->nlmsg_len - NLMSG_HDRLEN;

	memcpy(&st, NLMSG_DATA(h), len < sizeof(st) ? len : sizeof(st));
	ret->enabled = st.enabled;
	ret->failure = st.failure;
	ret->pid = st.pid;
	ret->lost = st.lost;
	ret->backlog = st.backlog;
	return 0;
}

PL_EXPORT int pl_audit_get_status(struct pl_audit_status *ret, struct pl_diag *d)
{
	_cleanup_close_ int fd = nl_open(d);
	int r;

	if (fd < 0)
		return fd;
	r = nl_send(fd, AUDIT_GET, NULL, 0, d);
	if (r < 0)
		return r;
	*ret = (struct pl_audit_status){ 0 };
	r = nl_recv(fd, AUDIT_GET, false, status_cb, ret, d);
	if (r < 0)
		return pl_error(d, r, NULL, NULL, "audit status (AUDIT_GET): %s", strerror(-r));
	return 0;
}

PL_EXPORT int pl_audit_set_enabled(uint32_t enabled, struct pl_diag *d)
{
	struct audit_status st = { .mask = AUDIT_STATUS_ENABLED, .enabled = enabled };
	_cleanup_close_ int fd = nl_open(d);
	int r;

	if (fd < 0)
		return fd;
	r = nl_send(fd, AUDIT_SET, &st, sizeof(st), d);
	if (r < 0)
		return r;
	r = nl_recv(fd, 0, false, NULL, NULL, d);
	if (r < 0)
		return pl_error(d, r, NULL, NULL, "audit enable=%u (AUDIT_SET): %s", enabled,
				strerror(-r));
	return 0;
}

static void task_never_rule(struct audit_rule_data *rule)
{
	memset(rule, 0, sizeof(*rule));
	rule->flags = AUDIT_FILTER_TASK;
	rule->action = AUDIT_NEVER;
	for (size_t i = 0; i < AUDIT_BITMASK_SIZE; i++)
		rule->mask[i] = ~0u;
}

PL_EXPORT int pl_audit_add_task_never(struct pl_diag *d)
{
	struct audit_rule_data rule;
	_cleanup_close_ int fd = nl_open(d);
	int r;

	if (fd < 0)
		return fd;
	task_never_rule(&rule);
	r = nl_send(fd, AUDIT_ADD_RULE, &rule, sizeof(rule), d);
	if (r < 0)
		return r;
	r = nl_recv(fd, 0, false, NULL, NULL, d);
	if (r == -EEXIST)
		return 0;
	if (r < 0)
		return pl_error(d, r, NULL, NULL, "audit task,never rule (AUDIT_ADD_RULE): %s",
				strerror(-r));
	return 1;
}

static int list_cb(const struct nlmsghdr *h, void *userdata)
{
	const struct audit_rule_data *rule = NLMSG_DATA(h);
	bool *found = userdata;

	if (h->nlmsg_len - NLMSG_HDRLEN < sizeof(*rule))
		return 0;
	if ((rule->flags & ~AUDIT_FILTER_PREPEND) == AUDIT_FILTER_TASK &&
	    rule->action == AUDIT_NEVER && rule->field_count == 0)
		*found = true;
	return 0;
}

PL_EXPORT int pl_audit_has_task_never(struct pl_diag *d)
{
	_cleanup_close_ int fd = nl_open(d);
	bool found = false;
	int r;

	if (fd < 0)
		return fd;
	r = nl_send(fd, AUDIT_LIST_RULES, NULL, 0, d);
	if (r < 0)
		return r;
	r = nl_recv(fd, AUDIT_LIST_RULES, true, list_cb, &found, d);
	if (r < 0)
		return pl_error(d, r, NULL, NULL, "audit rules (AUDIT_LIST_RULES): %s",
				strerror(-r));
	return found;
}

PL_EXPORT int pl_audit_prepare(bool *ret_changed, struct pl_diag *d)
{
	struct pl_audit_status st;
	int r;

	*ret_changed = false;
	r = pl_audit_get_status(&st, d);
	if (r < 0)
		return r;
	if (st.enabled || st.pid)
		return 0; /* configured by the administrator: leave it alone */
	/* Never enable audit without the rule: every task forked afterwards
	 * would carry an audit context and pay for it on every syscall. */
	r = pl_audit_add_task_never(d);
	if (r < 0)
		return r;
	r = pl_audit_has_task_never(d);
	if (r < 0)
		return r;
	if (r == 0)
		return pl_error(d, -EIO, NULL, NULL,
				"audit task,never rule was added but is not listed; not "
				"enabling audit");
	r = pl_audit_set_enabled(1, d);
	if (r < 0)
		return r;
	*ret_changed = true;
	return 0;
}

PL_EXPORT int pl_audit_open(struct pl_audit **ret, struct pl_diag *d)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1),
	};
	int size = 4 << 20;
	struct pl_audit *a;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);

	if (fd < 0)
		return pl_error(d, -errno, NULL, NULL, "audit netlink socket: %s", strerror(errno));
	/* A burst of denials must not overflow the queue; the forced size
	 * needs CAP_NET_ADMIN, the plain one is capped by rmem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;
		close(fd);
		return pl_error(d, r, NULL, NULL,
				"audit netlink: cannot join the read-only log group "
				"(AUDIT_NLGRP_READLOG, needs CAP_AUDIT_READ): %s",
				strerror(-r));
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		close(fd);
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	}
	a->fd = fd;
	*ret = a;
	return 0;
}

PL_EXPORT void pl_audit_close(struct pl_audit *a)
{
	if (!a)
		return;
	if (a->fd >= 0)
		close(a->fd);
	free(a);
}

PL_EXPORT int pl_audit_fd(const struct pl_audit *a)
{
	return a ? a->fd : -EBADF;
}

PL_EXPORT int pl_audit_read(struct pl_audit *a, struct pl_audit_record *rec, int timeout_ms)
{
	char buf[NLMSG_SPACE(sizeof(rec->text))];

	for (;;) {
		struct pollfd pfd = { .fd = a->fd, .events = POLLIN };
		const struct nlmsghdr *h = (const struct nlmsghdr *)buf;
		ssize_t n;
		size_t len;
		int r = poll(&pfd, 1, timeout_ms);

		if (r == 0)
			return 0;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		n = recv(a->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		/* The multicast group delivers one record per datagram. */
		if ((size_t)n < NLMSG_HDRLEN || !NLMSG_OK(h, (size_t)n))
			continue;
		if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_DONE)
			continue;
		len = h->nlmsg_len - NLMSG_HDRLEN;
		if (len >= sizeof(rec->text))
			len = sizeof(rec->text) - 1;
		memcpy(rec->text, NLMSG_DATA(h), len);
		rec->text[len] = '\0';
		while (len && (rec->text[len - 1] == '\n' || rec->text[len - 1] == '\0'))
			rec->text[--len] = '\0';
		rec->len = len;
		rec->type = h->nlmsg_type;
		return 1;
	}
}

/* Is `word` one of the space-separated words of `list`? */
static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
	return false;
}

/* The filter as BPF, exported by libseccomp into `*ret` (caller frees). */
static int barrier_filter(struct sock_fprog *ret, struct pl_diag *d)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	_cleanup_close_ int fd = -EBADF;
	off_t size;
	int r;

	if (!ctx)
		return pl_error(d, -ENOMEM, NULL, NULL, "seccomp_init failed");
	r = seccomp_rule_add(ctx, SCMP_ACT_LOG, SCMP_SYS(getppid), 0);
	if (r == 0) {
		fd = memfd_create("plastron-barrier", MFD_CLOEXEC);
		r = fd < 0 ? -errno : seccomp_export_bpf(ctx, fd);
	}
	seccomp_release(ctx);
	if (r < 0)
		return pl_error(d, r, NULL, NULL, "audit barrier filter: %s", strerror(-r));
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % sizeof(struct sock_filter) || size > 4096)
		return pl_error(d, -EIO, NULL, NULL, "audit barrier filter: unexpected size %lld",
				(long long)size);
	ret->filter = malloc(size);
	if (!ret->filter)
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	errno = 0;
	if (pread(fd, ret->filter, size, 0) != size) {
		r = errno ? -errno : -EIO;
		free(ret->filter);
		ret->filter = NULL;
		return pl_error(d, r, NULL, NULL, "audit barrier filter: read back: %s",
				strerror(-r));
	}
	ret->len = (unsigned short)(size / sizeof(struct sock_filter));
	return 0;
}

PL_EXPORT int pl_audit_barrier(struct pl_audit_barrier *ret, struct pl_diag *d)
{
	struct sock_fprog prog = { 0 };
	struct pl_audit_barrier b = { 0 };
	char logged[256] = { 0 };
	uint64_t nonce;
	int status, r;
	pid_t pid;

	ret->comm[0] = '\0';
	{
		_cleanup_close_ int fd =
		    open("/proc/sys/kernel/seccomp/actions_logged", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || read(fd, logged, sizeof(logged) - 1) < 0)
			return pl_error(d, -errno, NULL, NULL,
					"/proc/sys/kernel/seccomp/actions_logged: %s",
					strerror(errno));
	}
	if (!has_word(logged, "log"))
		return pl_error(d, -EOPNOTSUPP, NULL, NULL,
				"seccomp 'log' actions are not logged "
				"(kernel.seccomp.actions_logged is '%.*s')",
				(int)strcspn(logged, "\n"), logged);
	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
		return pl_error(d, -errno, NULL, NULL, "getrandom: %s", strerror(errno));
	snprintf(b.comm, sizeof(b.comm), "plb-%011llx",
		 (unsigned long long)(nonce & 0xfffffffffffULL));
	r = barrier_filter(&prog, d);
	if (r < 0)
		return r;
	pid = fork();
	if (pid == 0) {
		/* Raw syscalls only: the parent may have other threads. */
		if (prctl(PR_SET_NAME, b.comm, 0, 0, 0) < 0 ||
		    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
			_exit(1);
		(void)syscall(SYS_getppid);
		_exit(0);
	}
	r = -errno;
	free(prog.filter);
	if (pid < 0)
		return pl_error(d, r, NULL, NULL, "audit barrier: fork: %s", strerror(-r));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return pl_error(d, -errno, NULL, NULL, "audit barrier: waitpid: %s",
					strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return pl_error(d, -EIO, NULL, NULL,
				"audit barrier: the child could not load its filter");
	*ret = b;
	return 0;
}

PL_EXPORT bool pl_audit_is_barrier(const struct pl_audit_record *rec,
				   const struct pl_audit_barrier *b)
{
	struct pl_event ev;

	return b->comm[0] && rec->type == PL_AUDIT_SECCOMP &&
	       pl_event_parse(rec->type, rec->text, &ev) > 0 && !strcmp(ev.comm, b->comm) &&
	       ev.action == PL_EVENT_AUDIT && !strcmp(ev.syscall, "getppid");
}
