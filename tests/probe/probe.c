/* SPDX-License-Identifier: Apache-2.0 */
/*
 * probe: the one attack-probe program of every test tier: the live tests
 * (tests/live/run.sh under `plastron run`), the runtime tests (inside runc,
 * crun, Docker, ctr and podman containers: it is linked static, so it runs
 * in a busybox root filesystem) and the consumer tests, plus
 * scripts/quickstart and bench/runtime/run.sh. It owns the attacks (and the
 * ordinary actions they are compared with) and the one output convention.
 *
 *   probe [--fail] [--loop N] OP [ARG] [OP [ARG]]...
 *
 * Each operation is tried in order; for each, one line on stdout:
 *   OP: ok                      it worked
 *   OP: ERRNAME (CALL: message) it failed: errno name, the call that failed,
 *                               strerror (e.g. "icmp-raw: EPERM (socket:
 *                               Operation not permitted)")
 *   OP: absent                  a capability check: not in the set
 * except `seccomp`, which prints two lines, "seccomp: modeN" and
 * "seccomp-filters: nK" (the Seccomp and Seccomp_filters fields of
 * /proc/self/status). Scripts read a result as the first word after "OP: "
 * (tests/lib/tap.sh: result, expect).
 *
 * Operations:
 *   getpid              getpid()
 *   uring               io_uring_setup(4)
 *   icmp-raw            socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)
 *   alg                 socket(AF_ALG, SOCK_SEQPACKET)
 *   unix                socket(AF_UNIX, SOCK_STREAM)
 *   metadata            TCP connect to 169.254.169.254:80
 *   metadata-raw        a UDP datagram to 169.254.169.254:80 sent from a raw
 *                       socket (the cgroup_skb egress path)
 *   connect PORT        TCP connect to 127.0.0.1:PORT
 *   listen FILE         listen on 127.0.0.1:<ephemeral>, write the port to
 *                       FILE, accept until killed (never returns: last)
 *   core-pattern        write /proc/sys/kernel/core_pattern's CURRENT value back
 *   chown FILE          chown FILE to 65534:65534
 *   chmod-x             create /dev/shm/plastron-probe, chmod it 0755
 *   chmod-rw            create /dev/shm/plastron-probe, chmod it 0600
 *   write-shm           create /dev/shm/plastron-probe
 *   write-ll-only       create /plastron-ll-only/probe (a path only the
 *                       runtime tests' container has)
 *   unshare-userns      unshare(CLONE_NEWUSER)
 *   uts                 unshare(CLONE_NEWUTS), then sethostname()
 *   init-module         init_module(NULL, 0, "")
 *   finit-module        finit_module(-1, "", 0)
 *   bpf                 BPF_PROG_LOAD of a 2-instruction socket filter
 *   cap-sys-module      "ok" when CAP_SYS_MODULE is in the bounding set,
 *                       "absent" when not
 *   cap-eff-sys-module  the same for the effective set (CapEff)
 *   seccomp             the process's seccomp mode and filter count
 *
 * Options (before the first operation):
 *   --fail    exit 1 when an operation's result is not "ok" (refused, absent)
 *   --loop N  repeat the operations every 50 ms, N times (0: until killed)
 *
 * Exit status: 0 when every operation was tried and its line printed
 * (whatever its result), or with --fail when every result was "ok"; 1 with
 * --fail when some result was not; 2 on a usage error (unknown operation,
 * missing argument: reported on stderr before anything is tried).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef AF_ALG
#define AF_ALG 38
#endif

#define SCRATCH "/dev/shm/plastron-probe"
#define LL_ONLY "/plastron-ll-only/probe"
#define CAP_SYS_MODULE_BIT 16

/* What an operation returns: OK, FAILED (errno and `call` say why) or
 * ABSENT (a capability check came out negative). */
enum { OK = 0, FAILED = -1, ABSENT = 1 };

static const char *call; /* the system call a FAILED operation stopped at */

/* fail CALL: FAILED, naming CALL, errno kept */
static int fail(const char *c)
{
	call = c;
	return FAILED;
}

static int sock(int domain, int type, int proto)
{
	int fd = socket(domain, type, proto);
	if (fd < 0)
		return fail("socket");
	close(fd);
	return OK;
}

static int tcp_connect(const char *addr, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), r, e;

	if (fd < 0)
		return fail("socket");
	inet_pton(AF_INET, addr, &sa.sin_addr);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	close(fd);
	errno = e;
	return r < 0 ? fail("connect") : OK;
}

static int op_getpid(const char *arg)
{
	(void)arg;
	return syscall(SYS_getpid) > 0 ? OK : fail("getpid");
}

static int op_uring(const char *arg)
{
	struct io_uring_params p;
	long fd;

	(void)arg;
	memset(&p, 0, sizeof(p));
	fd = syscall(__NR_io_uring_setup, 4, &p);
	if (fd < 0)
		return fail("io_uring_setup");
	close((int)fd);
	return OK;
}

static int op_icmp_raw(const char *arg)
{
	(void)arg;
	return sock(AF_INET, SOCK_RAW, IPPROTO_ICMP);
}

static int op_alg(const char *arg)
{
	(void)arg;
	return sock(AF_ALG, SOCK_SEQPACKET, 0);
}

static int op_unix(const char *arg)
{
	(void)arg;
	return sock(AF_UNIX, SOCK_STREAM, 0);
}

static int op_metadata(const char *arg)
{
	(void)arg;
	return tcp_connect("169.254.169.254", 80);
}

static int op_metadata_raw(const char *arg)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	/* a UDP header written by hand: source port 4242, destination 80, length 8 */
	unsigned char udp[8] = { 0x10, 0x92, 0x00, 80, 0x00, 8, 0x00, 0x00 };
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_UDP), e;
	ssize_t r;

	(void)arg;
	if (fd < 0)
		return fail("socket");
	inet_pton(AF_INET, "169.254.169.254", &sa.sin_addr);
	r = sendto(fd, udp, sizeof(udp), 0, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	close(fd);
	errno = e;
	return r < 0 ? fail("sendto") : OK;
}

static int op_connect(const char *port)
{
	return tcp_connect("127.0.0.1", (uint16_t)atoi(port));
}

static int op_listen(const char *file)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	FILE *f;

	if (fd < 0)
		return fail("socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return fail("bind");
	if (listen(fd, 16) < 0 || getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return fail("listen");
	f = fopen(file, "w");
	if (!f)
		return fail("fopen");
	fprintf(f, "%u\n", ntohs(sa.sin_port));
	fclose(f);
	for (;;) {
		int c = accept(fd, NULL, NULL);
		if (c >= 0)
			close(c);
	}
}

static int op_core_pattern(const char *arg)
{
	char buf[512];
	int fd = open("/proc/sys/kernel/core_pattern", O_RDONLY), e;
	ssize_t n;

	(void)arg;
	if (fd < 0)
		return fail("open");
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0)
		return fail("read");
	fd = open("/proc/sys/kernel/core_pattern", O_WRONLY);
	if (fd < 0)
		return fail("open");
	if (write(fd, buf, (size_t)n) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return fail("write");
	}
	close(fd);
	return OK;
}

static int op_chown(const char *file)
{
	return chown(file, 65534, 65534) < 0 ? fail("chown") : OK;
}

/* create FILE (truncated, 0644) */
static int create(const char *file)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return fail("open");
	close(fd);
	return OK;
}

static int op_chmod_x(const char *arg)
{
	(void)arg;
	if (create(SCRATCH) < 0)
		return FAILED;
	return chmod(SCRATCH, 0755) < 0 ? fail("chmod") : OK;
}

static int op_chmod_rw(const char *arg)
{
	(void)arg;
	if (create(SCRATCH) < 0)
		return FAILED;
	return chmod(SCRATCH, 0600) < 0 ? fail("chmod") : OK;
}

static int op_write_shm(const char *arg)
{
	(void)arg;
	return create(SCRATCH);
}

static int op_write_ll_only(const char *arg)
{
	(void)arg;
	return create(LL_ONLY);
}

static int op_unshare_userns(const char *arg)
{
	(void)arg;
	return unshare(CLONE_NEWUSER) < 0 ? fail("unshare") : OK;
}

static int op_uts(const char *arg)
{
	(void)arg;
	if (unshare(CLONE_NEWUTS) < 0)
		return fail("unshare");
	return sethostname("probe", 5) < 0 ? fail("sethostname") : OK;
}

static int op_init_module(const char *arg)
{
	(void)arg;
	return syscall(__NR_init_module, NULL, 0, "") < 0 ? fail("init_module") : OK;
}

static int op_finit_module(const char *arg)
{
	(void)arg;
	return syscall(__NR_finit_module, -1, "", 0) < 0 ? fail("finit_module") : OK;
}

static int op_bpf(const char *arg)
{
	struct bpf_insn insn[2] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;
	long fd;

	(void)arg;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (unsigned long)insn;
	attr.insn_cnt = 2;
	attr.license = (unsigned long)"GPL";
	fd = syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd < 0)
		return fail("bpf(BPF_PROG_LOAD)");
	close((int)fd);
	return OK;
}

static int op_cap_sys_module(const char *arg)
{
	(void)arg;
	int r = prctl(PR_CAPBSET_READ, CAP_SYS_MODULE_BIT, 0, 0, 0);
	if (r < 0)
		return fail("prctl(PR_CAPBSET_READ)");
	return r == 1 ? OK : ABSENT;
}

/* CAP_SYS_MODULE in the CapEff line of /proc/self/status */
static int op_cap_eff_sys_module(const char *arg)
{
	char line[256];
	unsigned long long v = 0;
	bool found = false;
	FILE *f = fopen("/proc/self/status", "re");

	(void)arg;
	if (!f)
		return fail("open /proc/self/status");
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "CapEff: %llx", &v) == 1;
	fclose(f);
	return v & (1ull << CAP_SYS_MODULE_BIT) ? OK : ABSENT;
}

/* seccomp: informational, prints its own two lines */
static void seccomp_status(void)
{
	char line[256];
	int mode = -1, filters = -1;
	FILE *f = fopen("/proc/self/status", "re");

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			sscanf(line, "Seccomp: %d", &mode);
			sscanf(line, "Seccomp_filters: %d", &filters);
		}
		fclose(f);
	}
	printf("seccomp: mode%d\nseccomp-filters: n%d\n", mode, filters);
}

static const struct op {
	const char *name;
	const char *arg; /* the argument's name in the usage text, or NULL */
	int (*run)(const char *arg);
} ops[] = {
	{ "getpid", NULL, op_getpid },
	{ "uring", NULL, op_uring },
	{ "icmp-raw", NULL, op_icmp_raw },
	{ "alg", NULL, op_alg },
	{ "unix", NULL, op_unix },
	{ "metadata", NULL, op_metadata },
	{ "metadata-raw", NULL, op_metadata_raw },
	{ "connect", "PORT", op_connect },
	{ "listen", "FILE", op_listen },
	{ "core-pattern", NULL, op_core_pattern },
	{ "chown", "FILE", op_chown },
	{ "chmod-x", NULL, op_chmod_x },
	{ "chmod-rw", NULL, op_chmod_rw },
	{ "write-shm", NULL, op_write_shm },
	{ "write-ll-only", NULL, op_write_ll_only },
	{ "unshare-userns", NULL, op_unshare_userns },
	{ "uts", NULL, op_uts },
	{ "init-module", NULL, op_init_module },
	{ "finit-module", NULL, op_finit_module },
	{ "bpf", NULL, op_bpf },
	{ "cap-sys-module", NULL, op_cap_sys_module },
	{ "cap-eff-sys-module", NULL, op_cap_eff_sys_module },
	{ "seccomp", NULL, NULL },
};
#define N_OPS (sizeof(ops) / sizeof(ops[0]))

static const struct op *find(const char *name)
{
	for (size_t i = 0; i < N_OPS; i++)
		if (!strcmp(ops[i].name, name))
			return &ops[i];
	return NULL;
}

static int usage(const char *why, const char *what)
{
	fprintf(stderr,
		"probe: %s%s%s\nusage: probe [--fail] [--loop N] OP [ARG] [OP [ARG]]...\n"
		"operations:",
		why, what ? ": " : "", what ? what : "");
	for (size_t i = 0; i < N_OPS; i++)
		fprintf(stderr, " %s%s%s", ops[i].name, ops[i].arg ? " " : "",
			ops[i].arg ? ops[i].arg : "");
	fputc('\n', stderr);
	return 2;
}

/* run OP ARG: try one operation and print its line; false when the result
 * is not "ok" (seccomp, informational, is always true). */
static bool run(const struct op *op, const char *arg)
{
	int r, e;

	if (!op->run) {
		seccomp_status();
		return true;
	}
	errno = 0;
	call = "?";
	r = op->run(arg);
	e = errno;
	if (r == OK)
		printf("%s: ok\n", op->name);
	else if (r == ABSENT)
		printf("%s: absent\n", op->name);
	else
		printf("%s: %s (%s: %s)\n", op->name,
		       strerrorname_np(e) ? strerrorname_np(e) : "E?", call, strerror(e));
	fflush(stdout);
	return r == OK;
}

int main(int argc, char **argv)
{
	bool fail_status = false, all_ok = true;
	long loops = 1;
	int first = 1;
	char *end;

	for (; first < argc && !strncmp(argv[first], "--", 2); first++) {
		if (!strcmp(argv[first], "--fail")) {
			fail_status = true;
		} else if (!strcmp(argv[first], "--loop") && first + 1 < argc) {
			loops = strtol(argv[++first], &end, 10);
			if (*end || loops < 0)
				return usage("--loop takes a count (0: forever)", argv[first]);
		} else {
			return usage("unknown option", argv[first]);
		}
	}
	if (first >= argc)
		return usage("no operation", NULL);
	/* the whole command line is checked before anything is tried */
	for (int i = first; i < argc; i++) {
		const struct op *op = find(argv[i]);
		if (!op)
			return usage("unknown operation", argv[i]);
		if (op->arg && ++i >= argc)
			return usage("missing argument", op->name);
	}
	for (long k = 0; loops == 0 || k < loops; k++) {
		for (int i = first; i < argc; i++) {
			const struct op *op = find(argv[i]);
			const char *arg = op->arg ? argv[++i] : NULL;
			all_ok &= run(op, arg);
		}
		if (loops != 1)
			usleep(50000);
	}
	return fail_status && !all_ok ? 1 : 0;
}
