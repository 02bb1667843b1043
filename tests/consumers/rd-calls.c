/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rd-calls: calls each syscall RuntimeDefault allows since it follows
 * Docker's default profile (issue 9, item 8), with harmless or invalid
 * arguments, and prints one line per call:
 *
 *   NAME: ok | NAME: ERRNAME | NAME: killed
 *
 * (`killed`: the kernel ran the call and killed the caller, as uretprobe
 * does outside a uretprobe trampoline; it runs in a child). Then two calls
 * RuntimeDefault denies (io_uring_setup on purpose, mbind without
 * CAP_SYS_NICE), which show that a filter is there at all. Static (it runs
 * in a busybox root filesystem): tests/consumers/runc-rd.sh.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void report(const char *name, long r)
{
	if (r >= 0)
		printf("%s: ok\n", name);
	else
		printf("%s: %s\n", name, strerrorname_np(errno) ? strerrorname_np(errno) : "E?");
}

/* uretprobe(2) outside a trampoline: the kernel sends SIGILL/SIGSEGV. */
static void uretprobe(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		long r = syscall(335);
		report("uretprobe", r);
		fflush(stdout);
		_exit(0);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		printf("uretprobe: fork failed\n");
	else if (WIFSIGNALED(st))
		printf("uretprobe: killed (signal %d)\n", WTERMSIG(st));
}

int main(void)
{
	report("add_key", syscall(SYS_add_key, NULL, NULL, NULL, 0, 0));
	report("request_key", syscall(SYS_request_key, NULL, NULL, NULL, 0));
	report("keyctl", syscall(SYS_keyctl, -1, 0, 0, 0, 0));
	report("vmsplice", syscall(SYS_vmsplice, -1, NULL, 0, 0));
	report("chroot", syscall(SYS_chroot, NULL));
	/* newer than libseccomp 2.5.4 (or than the glibc headers): numbers */
	report("cachestat", syscall(451, -1, NULL, NULL, 0));
	report("statmount", syscall(457, NULL, NULL, 0, 0));
	report("listmount", syscall(458, NULL, NULL, 0, 0));
	report("setxattrat", syscall(463, -1, NULL, 0, NULL, NULL, 0));
	report("getxattrat", syscall(464, -1, NULL, 0, NULL, NULL, 0));
	report("listxattrat", syscall(465, -1, NULL, 0, NULL, 0));
	report("removexattrat", syscall(466, -1, NULL, 0, NULL));
	uretprobe();
	/* denied by RuntimeDefault */
	report("io_uring_setup", syscall(SYS_io_uring_setup, 0, NULL));
	report("mbind", syscall(SYS_mbind, NULL, 0, 0, NULL, 0, 0));
	return 0;
}
