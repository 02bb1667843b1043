/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ctest: run inside containers by the runtime tests. Each argument names
 * one action; for each it prints "ACTION: ok" or "ACTION: ERRNAME".
 *   ctest [--loop N] ACTION...   (--loop: repeat every 50 ms, N times; 0 = forever)
 * Actions: getpid, icmp-raw, core-pattern (writes the CURRENT value back),
 * metadata (connect 169.254.169.254:80), metadata-raw (a UDP datagram to
 * 169.254.169.254:80 sent from a raw socket: the cgroup_skb egress path),
 * alg (socket(AF_ALG)), unix,
 * write-shm (create a file in /dev/shm), cap-sys-module ("ok" when
 * CAP_SYS_MODULE is in the bounding set, "absent" when not), cap-eff-sys-module
 * (the same for the effective set), seccomp (prints "seccomp: modeN" and
 * "seccomp-filters: nK", the Seccomp and Seccomp_filters fields of
 * /proc/self/status), write-ll-only (create a file in
 * /plastron-ll-only).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef AF_ALG
#define AF_ALG 38
#endif

static int sock(int domain, int type, int proto)
{
	int fd = socket(domain, type, proto);
	if (fd < 0)
		return -1;
	return close(fd);
}

static int core_pattern(void)
{
	char buf[512];
	int fd = open("/proc/sys/kernel/core_pattern", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0)
		return -1;
	fd = open("/proc/sys/kernel/core_pattern", O_WRONLY);
	if (fd < 0)
		return -1;
	if (write(fd, buf, (size_t)n) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return close(fd);
}

static int metadata(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(80) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), r;

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, "169.254.169.254", &sa.sin_addr);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	close(fd);
	errno = e;
	return r;
}

static int metadata_raw(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	/* a UDP header written by hand: source port 4242, destination 80, length 8 */
	unsigned char udp[8] = { 0x10, 0x92, 0x00, 80, 0x00, 8, 0x00, 0x00 };
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
	ssize_t r;

	if (fd < 0)
		return -1;
	inet_pton(AF_INET, "169.254.169.254", &sa.sin_addr);
	r = sendto(fd, udp, sizeof(udp), 0, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	close(fd);
	errno = e;
	return r < 0 ? -1 : 0;
}

/* CAP_SYS_MODULE (16) in the CapEff line of /proc/self/status. */
static int cap_eff_sys_module(void)
{
	char line[256];
	unsigned long long v = 0;
	FILE *f = fopen("/proc/self/status", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &v) == 1)
			break;
	fclose(f);
	return v & (1ull << 16) ? 0 : -3;
}

/* The Seccomp and Seccomp_filters fields of /proc/self/status. */
static void seccomp_status(int *mode, int *filters)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "re");
	*mode = *filters = -1;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "Seccomp: %d", mode);
		sscanf(line, "Seccomp_filters: %d", filters);
	}
	fclose(f);
}

static int act(const char *a)
{
	if (!strcmp(a, "getpid"))
		return syscall(SYS_getpid) > 0 ? 0 : -1;
	if (!strcmp(a, "icmp-raw"))
		return sock(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (!strcmp(a, "core-pattern"))
		return core_pattern();
	if (!strcmp(a, "metadata"))
		return metadata();
	if (!strcmp(a, "metadata-raw"))
		return metadata_raw();
	if (!strcmp(a, "alg"))
		return sock(AF_ALG, SOCK_SEQPACKET, 0);
	if (!strcmp(a, "unix"))
		return sock(AF_UNIX, SOCK_STREAM, 0);
	if (!strcmp(a, "write-shm")) {
		int fd = open("/dev/shm/plastron-ctest", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		return fd < 0 ? -1 : close(fd);
	}
	if (!strcmp(a, "write-ll-only")) {
		int fd = open("/plastron-ll-only/ctest", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		return fd < 0 ? -1 : close(fd);
	}
	if (!strcmp(a, "cap-eff-sys-module"))
		return cap_eff_sys_module();
	if (!strcmp(a, "cap-sys-module"))
		return prctl(PR_CAPBSET_READ, 16 /* CAP_SYS_MODULE */, 0, 0, 0) == 1 ? 0 : -3;
	errno = EINVAL;
	return -2;
}

int main(int argc, char **argv)
{
	int bad = 0, first = 1;
	long loops = 1;

	if (argc > 2 && !strcmp(argv[1], "--loop")) {
		loops = strtol(argv[2], NULL, 10);
		first = 3;
	}
	for (long k = 0; loops == 0 || k < loops; k++) {
		for (int i = first; i < argc; i++) {
			errno = 0;
			if (!strcmp(argv[i], "seccomp")) {
				int mode, filters;
				seccomp_status(&mode, &filters);
				printf("seccomp: mode%d\nseccomp-filters: n%d\n", mode, filters);
				continue;
			}
			int r = act(argv[i]);
			if (r == -3) {
				printf("%s: absent\n", argv[i]);
			} else if (r == -2) {
				printf("%s: unknown action\n", argv[i]);
				bad = 1;
			} else if (r < 0) {
				printf("%s: %s\n", argv[i], strerrorname_np(errno));
			} else {
				printf("%s: ok\n", argv[i]);
			}
		}
		fflush(stdout);
		if (loops != 1)
			usleep(50000);
	}
	return bad ? 2 : 0;
}
