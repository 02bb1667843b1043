/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sctest: a tiny static program run inside containers by the consumer
 * tests. Each argument names one action; for each it prints one line
 *   ACTION: ok
 *   ACTION: ERRNAME (message)
 * so the shell test can see exactly which calls a seccomp profile denied.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef AF_ALG
#define AF_ALG 38
#endif

#define SCRATCH "/dev/shm/sctest-file"

static int scratch(void)
{
	int fd = open(SCRATCH, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	return close(fd);
}

static int sock(int domain, int type)
{
	int fd = socket(domain, type, 0);
	if (fd < 0)
		return -1;
	return close(fd);
}

static int act(const char *a)
{
	if (!strcmp(a, "getpid"))
		return syscall(SYS_getpid) > 0 ? 0 : -1;
	if (!strcmp(a, "unshare-userns"))
		return unshare(CLONE_NEWUSER);
	if (!strcmp(a, "chmod-x"))
		return scratch() < 0 ? -1 : chmod(SCRATCH, 0755);
	if (!strcmp(a, "chmod-rw"))
		return scratch() < 0 ? -1 : chmod(SCRATCH, 0600);
	if (!strcmp(a, "socket-alg"))
		return sock(AF_ALG, SOCK_SEQPACKET);
	if (!strcmp(a, "socket-unix"))
		return sock(AF_UNIX, SOCK_STREAM);
	errno = EINVAL;
	return -2;
}

int main(int argc, char **argv)
{
	int bad = 0;
	for (int i = 1; i < argc; i++) {
		errno = 0;
		int r = act(argv[i]);
		if (r == -2) {
			printf("%s: unknown action\n", argv[i]);
			bad = 1;
		} else if (r < 0) {
			printf("%s: %s (%s)\n", argv[i], strerrorname_np(errno), strerror(errno));
		} else {
			printf("%s: ok\n", argv[i]);
		}
	}
	return bad ? 2 : 0;
}
