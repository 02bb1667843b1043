/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What libseccomp (2.5.4 here) does with the rule combinations the
 * generator must avoid or rely on. If one of these changes with a new
 * libseccomp, the merge rules in src/lib/gen/seccomp-merge.c and seccomp-tree.c must be revisited.
 * Each case runs in a forked child that loads a filter and calls chmod or
 * socket; the parent checks the result.
 */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

static char path[] = "/tmp/plastron-lsc-XXXXXX";

enum kind { UNCOND_THEN_COND, COND_THEN_UNCOND, OVERLAP_ALLOW_A0, OVERLAP_ALLOW_A1 };

/* Returns the errno of chmod(path, 0755) in the child (0 on success). */
static int run(enum kind k)
{
	int pfd[2];
	if (pipe(pfd) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		int res = 0;
		scmp_filter_ctx c = seccomp_init(SCMP_ACT_ERRNO(ENOSYS));
		struct scmp_arg_cmp x = SCMP_A1(SCMP_CMP_MASKED_EQ, 0100, 0100);
		seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(write), 0);
		seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(exit_group), 0);
		switch (k) {
		case UNCOND_THEN_COND:
			seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(chmod), 0);
			seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(chmod), 1, x);
			break;
		case COND_THEN_UNCOND:
			seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(chmod), 1, x);
			seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(chmod), 0);
			break;
		case OVERLAP_ALLOW_A0:
			/* deny on a1 bit, allow on a0 != 0: both match chmod(path, 0755) */
			seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(chmod), 1, x);
			seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(chmod), 1,
					 SCMP_A0(SCMP_CMP_NE, 0));
			break;
		case OVERLAP_ALLOW_A1:
			/* deny on a0 != 0, allow on the a1 bit: both match */
			seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(chmod), 1,
					 SCMP_A0(SCMP_CMP_NE, 0));
			seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(chmod), 1, x);
			break;
		}
		if (seccomp_load(c) < 0)
			res = -1;
		else if (chmod(path, 0755) < 0)
			res = errno;
		if (write(pfd[1], &res, sizeof(res)) < 0)
			_exit(2);
		_exit(0);
	}
	close(pfd[1]);
	int res = -2;
	if (read(pfd[0], &res, sizeof(res)) != sizeof(res))
		res = -2;
	close(pfd[0]);
	waitpid(pid, NULL, 0);
	return res;
}

int main(void)
{
	int fd = mkstemp(path);
	if (fd < 0) {
		TAP_OK(0, "mkstemp");
		return tap_done();
	}
	close(fd);
	const struct scmp_version *v = seccomp_version();
	tap_diag("libseccomp %u.%u.%u", v->major, v->minor, v->micro);

	TAP_OK(run(UNCOND_THEN_COND) == 0,
	       "unconditional ALLOW then conditional ERRNO: the conditional rule is dropped");
	TAP_OK(run(COND_THEN_UNCOND) == 0,
	       "conditional ERRNO then unconditional ALLOW: the conditional rule is dropped");
	int o0 = run(OVERLAP_ALLOW_A0), o1 = run(OVERLAP_ALLOW_A1);
	tap_diag("overlapping ALLOW(a0)/ERRNO(a1): %s; ERRNO(a0)/ALLOW(a1): %s",
		 o0 ? strerror(o0) : "allowed", o1 ? strerror(o1) : "allowed");
	TAP_OK((o0 == 0) != (o1 == 0),
	       "overlapping conditional rules resolve by argument order, not by severity");

	scmp_filter_ctx c = seccomp_init(SCMP_ACT_ALLOW);
	int r = seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 2,
				 SCMP_A0(SCMP_CMP_GE, 3), SCMP_A0(SCMP_CMP_LE, 37));
	TAP_OK(r == -EINVAL, "two conditions on one argument in one rule: EINVAL (%d)", r);
	r = seccomp_arch_add(c, SCMP_ARCH_X86);
	r = r < 0 ? r : seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), 457, 0);
	TAP_OK(r == -EFAULT, "an unknown syscall number with a second arch: EFAULT (%d)", r);
	seccomp_release(c);
	c = seccomp_init(SCMP_ACT_ALLOW);
	r = seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), 457, 0);
	TAP_OK(r == 0, "the same number in a native-only context: accepted (%d)", r);
	seccomp_release(c);

	/* ia32: a conditional socket() rule also becomes socketcall(a0 == SYS_SOCKET) */
	c = seccomp_init(SCMP_ACT_ALLOW);
	seccomp_arch_add(c, SCMP_ARCH_X86);
	seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, 38));
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	fflush(stdout);
	int saved = dup(1);
	char tmpl[] = "/tmp/plastron-pfc-XXXXXX";
	int tfd = mkstemp(tmpl);
	seccomp_export_pfc(c, tfd);
	lseek(tfd, 0, SEEK_SET);
	char pfc[8192] = "";
	ssize_t n = read(tfd, pfc, sizeof(pfc) - 1);
	pfc[n > 0 ? n : 0] = 0;
	close(tfd);
	unlink(tmpl);
	close(saved);
	fclose(m);
	free(buf);
	TAP_OK(strstr(pfc, "\"socketcall\"") != NULL,
	       "libseccomp derives an ia32 socketcall rule from a socket rule");
	seccomp_release(c);
	unlink(path);
	return tap_done();
}
