/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The filter builder in a forked child while another thread of the parent
 * resolves syscall names (as plastrond does: src/daemon/compile.c forks the
 * compile on its worker while the main thread names seccomp events through
 * pl_sc_profile_origin): the name cache's lock must not be inherited held,
 * or the child blocks in sc_resolve for good. Each child gets 2 s.
 */
#include <linux/audit.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plastron/gen.h"
#include "tap.h"

static struct pl_sc_profile *prof;
static volatile bool stop;

static void *namer(void *arg)
{
	(void)arg;
	while (!stop)
		pl_sc_profile_origin(prof, AUDIT_ARCH_X86_64, 99999);
	return NULL;
}

int main(void)
{
	static const char json[] =
	    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\"],"
	    "\"syscalls\":[{\"names\":[\"chmod\",\"fchmod\",\"mount\",\"umount2\",\"ptrace\","
	    "\"kexec_load\"],\"action\":\"SCMP_ACT_ERRNO\",\"comment\":\"x\"}]}";
	struct pl_diag d = { 0 };
	int n = 300, done = 0, hung = 0;
	pthread_t t;

	if (!TAP_OK(pl_sc_profile_from_json("t", json, strlen(json), &prof, &d) == 0,
		    "the profile parses"))
		return tap_done();
	pthread_create(&t, NULL, namer, NULL);
	for (; done < n && !hung; done++) {
		int fd = memfd_create("fork-test", MFD_CLOEXEC);
		pid_t pid = fork();
		if (pid == 0)
			_exit(pl_sc_profile_export_bpf(prof, fd, NULL) < 0 ? 1 : 0);
		int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
		struct pollfd p = { .fd = pfd, .events = POLLIN };
		if (pfd < 0 || poll(&p, 1, 2000) == 0) {
			hung++;
			kill(pid, SIGKILL);
		}
		waitpid(pid, NULL, 0);
		if (pfd >= 0)
			close(pfd);
		close(fd);
	}
	stop = true;
	pthread_join(t, NULL);
	TAP_OK(!hung, "%d forked filter builds while another thread resolves names: none hangs",
	       done);
	pl_sc_profile_free(prof);
	pl_diag_clear(&d);
	return tap_done();
}
