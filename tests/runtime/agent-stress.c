/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bad clients for the agent tests (stall.sh, lost.sh, cgroup-paths.sh,
 * limits.sh):
 *
 *   agent-stress request SOCK JSON        one request through pld_request (the
 *                                         shim's reader): the answer on stdout
 *   agent-stress request SOCK -           the same, the JSON from stdin
 *   agent-stress request SOCK JSON|- FILE the same; the bytes attached to the
 *                                         answer (op profile: the bundle) to FILE
 *   agent-stress lines SOCK               stdin as it is to the socket, then
 *                                         the answers until the agent closes
 *   agent-stress idle SOCK|PORT N SECONDS N idle connections (unix socket, or TCP
 *                                         to 127.0.0.1:PORT) held up to
 *                                         SECONDS; prints how many the agent
 *                                         closed and when the last was closed
 *   agent-stress unread SOCK SECONDS      send status requests, never read;
 *                                         exit 0 when the agent closed us
 *                                         within SECONDS (prints after how long)
 *   agent-stress flood SOCK PORT SECONDS  until SECONDS pass (or SIGTERM):
 *                                         never-reading clients, 64 idle
 *                                         clients, 30 idle TCP connections to
 *                                         the metrics port, garbage lines, a
 *                                         partial line sent byte by byte; every
 *                                         connection the agent closes reopened
 *   agent-stress auditlog N               N audit records: a seccomp filter
 *                                         that logs getppid(), called N times
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int unix_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EAGAIN) {
		close(fd);
		return -1;
	}
	return fd;
}

static int tcp_connect(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Has the peer closed `fd`? (never reads from it) */
static bool peer_closed(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLRDHUP };
	return poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR | POLLRDHUP));
}

static const char STATUS[] = "{\"op\":\"status\"}\n";

/* Write status requests until the socket takes no more. */
static void stuff(int fd)
{
	char buf[64 * 1024];
	size_t n = 0;

	while (n + sizeof(STATUS) < sizeof(buf)) {
		memcpy(buf + n, STATUS, sizeof(STATUS) - 1);
		n += sizeof(STATUS) - 1;
	}
	for (int i = 0; i < 64; i++)
		if (send(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL) <= 0)
			break;
}

static int cmd_request(const char *sock, const char *json, const char *out)
{
	char *data = NULL;
	size_t len = 0;
	json_error_t je;
	json_t *req = strcmp(json, "-") ? json_loads(json, 0, &je) : json_loadf(stdin, 0, &je);
	json_t *ans = NULL;
	char err[512];
	int r;

	if (!req) {
		fprintf(stderr, "bad JSON: %s\n", je.text);
		return 2;
	}
	r = pld_request_data(sock, req, &ans, &data, &len, 30000, err, sizeof(err));
	json_decref(req);
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (out) {
		FILE *f = fopen(out, "we");
		if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0) {
			fprintf(stderr, "%s: cannot write\n", out);
			return 1;
		}
	}
	free(data);
	char *s = json_dumps(ans, JSON_COMPACT);
	puts(s ? s : "");
	free(s);
	json_decref(ans);
	return 0;
}

static int cmd_unread(const char *sock, int seconds)
{
	int fd = unix_connect(sock);
	int64_t t0 = now_ms();

	if (fd < 0) {
		perror("connect");
		return 2;
	}
	while (now_ms() - t0 < seconds * 1000) {
		stuff(fd);
		if (peer_closed(fd)) {
			printf("closed by the agent after %lld ms\n", (long long)(now_ms() - t0));
			return 0;
		}
		usleep(20000);
	}
	printf("still open after %d s\n", seconds);
	return 1;
}

static int cmd_lines(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	char buf[65536];
	ssize_t n;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("connect");
		return 2;
	}
	while ((n = read(0, buf, sizeof(buf))) > 0)
		if (write(fd, buf, (size_t)n) != n) {
			perror("write");
			return 1;
		}
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return 1;
	return n < 0 ? 1 : 0;
}

static int cmd_idle(const char *where, int n, int seconds)
{
	bool tcp = strspn(where, "0123456789") == strlen(where);
	int fds[1024], closed = 0;
	int64_t t0 = now_ms(), last = 0;

	if (n > 1024)
		n = 1024;
	for (int i = 0; i < n; i++) {
		fds[i] = tcp ? tcp_connect(atoi(where)) : unix_connect(where);
		if (fds[i] < 0) {
			perror("connect");
			return 2;
		}
	}
	printf("%d connections open\n", n);
	fflush(stdout);
	while (closed < n && now_ms() - t0 < seconds * 1000) {
		for (int i = 0; i < n; i++)
			if (fds[i] >= 0 && peer_closed(fds[i])) {
				close(fds[i]);
				fds[i] = -1;
				closed++;
				last = now_ms() - t0;
			}
		usleep(20000);
	}
	printf("%d of %d closed by the agent, the last after %lld ms\n", closed, n,
	       (long long)last);
	return closed == n ? 0 : 1;
}

static volatile sig_atomic_t stop;
static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

enum kind { UNREAD, IDLE, TCP, GARBAGE, SLOW, N_KINDS };
static const int count[N_KINDS] = {
	[UNREAD] = 4, [IDLE] = 64, [TCP] = 30, [GARBAGE] = 2, [SLOW] = 2
};
static const char *kind_name[N_KINDS] = { "never-reading", "idle", "idle-tcp", "garbage",
					  "partial-line" };

static int cmd_flood(const char *sock, int port, int seconds)
{
	int fds[N_KINDS][64];
	unsigned long reopened[N_KINDS] = { 0 }, garbage_answers = 0;
	int64_t t0 = now_ms();

	signal(SIGTERM, on_term);
	signal(SIGPIPE, SIG_IGN);
	for (int k = 0; k < N_KINDS; k++)
		for (int i = 0; i < count[k]; i++)
			fds[k][i] = -1;
	while (!stop && now_ms() - t0 < seconds * 1000) {
		for (int k = 0; k < N_KINDS; k++)
			for (int i = 0; i < count[k]; i++) {
				int *fd = &fds[k][i];
				if (*fd >= 0 && k != GARBAGE && peer_closed(*fd)) {
					close(*fd);
					*fd = -1;
					reopened[k]++;
				}
				if (*fd < 0)
					*fd = k == TCP ? tcp_connect(port) : unix_connect(sock);
				if (*fd < 0)
					continue;
				if (k == UNREAD) {
					stuff(*fd);
				} else if (k == GARBAGE) {
					static const char junk[] =
					    "garbage\n{\"op\":\n\x01\xff\xfe\n[1,2,3]\n{\"op\":"
					    "\"nope\"}\n{\"op\":\"attach\",\"cgroup\":\"//\"}\n";
					char buf[4096];
					ssize_t n;
					if (send(*fd, junk, sizeof(junk) - 1,
						 MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
					    errno != EAGAIN) {
						close(*fd);
						*fd = -1;
						reopened[k]++;
						continue;
					}
					while ((n = recv(*fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
						for (ssize_t j = 0; j < n; j++)
							garbage_answers += buf[j] == '\n';
					if (n == 0) {
						close(*fd);
						*fd = -1;
						reopened[k]++;
					}
				} else if (k == SLOW) {
					/* one byte of a request, never its newline */
					if (send(*fd, "{", 1, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
					    errno != EAGAIN) {
						close(*fd);
						*fd = -1;
						reopened[k]++;
					}
				}
			}
		usleep(20000);
	}
	for (int k = 0; k < N_KINDS; k++)
		printf("%s: %d connections, %lu closed by the agent and reopened\n", kind_name[k],
		       count[k], reopened[k]);
	printf("garbage lines answered: %lu\n", garbage_answers);
	return 0;
}

static int cmd_auditlog(long n)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_LOG),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		perror("seccomp");
		return 2;
	}
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return 0;
}

int main(int argc, char **argv)
{
	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "request"))
		return cmd_request(argv[2], argv[3], argc == 5 ? argv[4] : NULL);
	if (argc == 3 && !strcmp(argv[1], "lines"))
		return cmd_lines(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "idle"))
		return cmd_idle(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "unread"))
		return cmd_unread(argv[2], atoi(argv[3]));
	if (argc == 5 && !strcmp(argv[1], "flood"))
		return cmd_flood(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 3 && !strcmp(argv[1], "auditlog"))
		return cmd_auditlog(atol(argv[2]));
	fprintf(stderr, "usage: agent-stress request SOCK JSON|- [FILE] | lines SOCK | idle "
			"SOCK|PORT N SECONDS | "
			"unread SOCK SECONDS | flood SOCK "
			"PORT SECONDS | auditlog N\n");
	return 2;
}
