/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seccomp translations mean what the catalog says: for each rule, a
 * forked child loads a libseccomp filter built from the rule's translation
 * alone and checks that the calls the rule names fail with its errno while
 * neighbouring calls do not. This checks argument indices, values and
 * masks independently of the seccomp generator.
 *
 * PLASTRON_SC_NOFILTER=1 skips loading the filter, to see the test fail.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plastron/catalog.h"
#include "tap.h"

#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif

static char file[] = "/tmp/plastron-sc-XXXXXX";

/* Each op returns 0 on success or the errno of the failure. */
#define RET(x) ((x) < 0 ? errno : 0)
static int sock(int d, int t, int p)
{
	return RET(socket(d, t, p));
}
static int op_unshare_user(void)
{
	return RET(unshare(CLONE_NEWUSER));
}
static int op_unshare_none(void)
{
	return RET(unshare(0));
}
static int op_clone3(void)
{
	return RET(syscall(SYS_clone3, NULL, 0));
}
static int op_bpf_prog_load(void)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	return RET(syscall(SYS_bpf, BPF_PROG_LOAD, &a, sizeof(a)));
}
static int op_bpf_map_create_bad(void)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	return RET(syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof(a)));
}
static int setsockopt_on_udp(int level, int name)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
	struct sock_fprog prog = { 0 };
	if (fd < 0)
		return errno;
	if (name == SO_ATTACH_FILTER || name == SO_ATTACH_REUSEPORT_CBPF)
		return RET(setsockopt(fd, level, name, &prog, sizeof(prog)));
	return RET(setsockopt(fd, level, name, &one, sizeof(one)));
}
static int op_attach_filter(void)
{
	return setsockopt_on_udp(SOL_SOCKET, SO_ATTACH_FILTER);
}
static int op_attach_reuseport_cbpf(void)
{
	return setsockopt_on_udp(SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF);
}
static int op_reuseaddr(void)
{
	return setsockopt_on_udp(SOL_SOCKET, SO_REUSEADDR);
}
static int op_userfaultfd(void)
{
	return RET(syscall(SYS_userfaultfd, O_CLOEXEC));
}
static int op_getpid(void)
{
	return RET(syscall(SYS_getpid));
}
static int op_chmod_755(void)
{
	return RET(chmod(file, 0755));
}
static int op_chmod_644(void)
{
	return RET(chmod(file, 0644));
}
static int op_chmod_601(void)
{
	return RET(fchmodat(AT_FDCWD, file, 0601, 0));
}
static int op_fchmod_710(void)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? errno : RET(fchmod(fd, 0710));
}
static int op_chmod_4644(void)
{
	return RET(chmod(file, 04644));
}
static int op_fchmod_2644(void)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? errno : RET(fchmod(fd, 02644));
}
static int op_splice(void)
{
	return RET(splice(-1, NULL, -1, NULL, 1, 0));
}
static int op_alg(void)
{
	return sock(AF_ALG, SOCK_SEQPACKET, 0);
}
static int op_unix(void)
{
	return sock(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
}
static int op_unix_pair(void)
{
	int sv[2];
	return RET(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
}
static int op_tcp4(void)
{
	return sock(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
}
static int op_tcp6_explicit(void)
{
	return sock(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
}
static int op_udp4(void)
{
	return sock(AF_INET, SOCK_DGRAM, 0);
}
static int op_udp6(void)
{
	return sock(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}
static int op_udp4_explicit(void)
{
	return sock(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
}
static int op_tcp6(void)
{
	return sock(AF_INET6, SOCK_STREAM, 0);
}
static int op_ping4(void)
{
	return sock(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
}
static int op_ping6(void)
{
	return sock(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
}
/* Upper 32 bits set on int arguments (the kernel reads the low 32 only):
 * a plain 64-bit EQ in the translation would let these through. */
#define HI 0x100000000l
static int sock_hi(long d, long t, long p)
{
	long fd = syscall(SYS_socket, HI | d, HI | t, HI | p);
	if (fd >= 0)
		close((int)fd);
	return RET(fd);
}
static int op_alg_hi(void)
{
	return sock_hi(AF_ALG, SOCK_SEQPACKET, 0);
}
static int op_udp4_hi(void)
{
	return sock_hi(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
}
static int op_tcp6_hi(void)
{
	return sock_hi(AF_INET6, SOCK_STREAM, 0);
}
static int op_ping4_hi(void)
{
	return sock_hi(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
}
static int op_unix_hi(void)
{
	return sock_hi(AF_UNIX, SOCK_STREAM, 0);
}
static int op_bpf_prog_load_hi(void)
{
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	return RET(syscall(SYS_bpf, HI | BPF_PROG_LOAD, &a, sizeof(a)));
}
static int op_attach_filter_hi(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sock_fprog prog = { 0 };
	if (fd < 0)
		return errno;
	return RET(syscall(SYS_setsockopt, fd, HI | SOL_SOCKET, HI | SO_ATTACH_FILTER, &prog,
			   sizeof(prog)));
}
static int op_unshare_user_hi(void)
{
	return RET(syscall(SYS_unshare, HI | CLONE_NEWUSER));
}
static int op_mount(void)
{
	return RET(mount("none", "/nonexistent-plastron-test", "tmpfs", 0, NULL));
}
static int op_fsopen(void)
{
	return RET(syscall(SYS_fsopen, "tmpfs", 0));
}
static int op_umount(void)
{
	return RET(umount2("/nonexistent-plastron-test", 0));
}
static int op_init_module(void)
{
	return RET(syscall(SYS_init_module, NULL, 0, ""));
}

struct op {
	const char *what;
	int (*fn)(void);
	int want; /* errno that must come back; -1: anything but the rule's errno */
};

struct scase {
	const char *rule;
	struct op ops[6];
};

#define DENY(f)              \
	{                    \
#f, f, EPERM \
	}
#define PASS(f)           \
	{                 \
#f, f, -1 \
	}

static const struct scase cases[] = {
	{ "disallow-create-user-ns",
	  { DENY(op_unshare_user),
	    { "op_clone3", op_clone3, ENOSYS },
	    PASS(op_unshare_none),
	    DENY(op_unshare_user_hi) } },
	{ "disallow-load-all-bpf-prog",
	  { DENY(op_bpf_prog_load), PASS(op_bpf_map_create_bad), DENY(op_bpf_prog_load_hi) } },
	{ "disallow-load-bpf-via-setsockopt",
	  { DENY(op_attach_filter), DENY(op_attach_reuseport_cbpf), PASS(op_reuseaddr),
	    DENY(op_attach_filter_hi) } },
	{ "disallow-userfaultfd-creation", { DENY(op_userfaultfd), PASS(op_getpid) } },
	{ "disable-chmod-x-bit",
	  { DENY(op_chmod_755), DENY(op_chmod_601), DENY(op_fchmod_710), PASS(op_chmod_644),
	    PASS(op_chmod_4644) } },
	{ "disable-chmod-s-bit",
	  { DENY(op_chmod_4644), DENY(op_fchmod_2644), PASS(op_chmod_755), PASS(op_chmod_644) } },
	{ "dirty-pipe-mitigation", { DENY(op_splice), PASS(op_getpid) } },
	{ "copy-fail-mitigation", { DENY(op_alg), PASS(op_unix), PASS(op_udp4), DENY(op_alg_hi) } },
	{ "disable-unix-domain-socket",
	  { DENY(op_unix), DENY(op_unix_pair), PASS(op_udp4), DENY(op_unix_hi) } },
	{ "disable-network", { DENY(op_unix), DENY(op_tcp6), DENY(op_alg), PASS(op_getpid) } },
	{ "disable-inet",
	  { DENY(op_tcp4), DENY(op_udp4), PASS(op_tcp6), PASS(op_unix), DENY(op_udp4_hi) } },
	{ "disable-inet6",
	  { DENY(op_tcp6), DENY(op_udp6), PASS(op_tcp4), PASS(op_unix), DENY(op_tcp6_hi) } },
	{ "disable-tcp",
	  { DENY(op_tcp4), DENY(op_tcp6), DENY(op_tcp6_explicit), PASS(op_udp4), PASS(op_unix),
	    DENY(op_tcp6_hi) } },
	{ "disable-udp",
	  { DENY(op_udp4), DENY(op_udp6), DENY(op_udp4_explicit), PASS(op_tcp4), PASS(op_ping4),
	    DENY(op_udp4_hi) } },
	{ "disable-icmp",
	  { DENY(op_ping4), DENY(op_ping6), PASS(op_udp4), PASS(op_tcp6), DENY(op_ping4_hi) } },
	{ "disallow-mount", { DENY(op_mount), DENY(op_fsopen), PASS(op_umount) } },
	{ "disallow-umount", { DENY(op_umount), PASS(op_getpid) } },
	{ "disallow-write-core-pattern", { DENY(op_mount), DENY(op_fsopen), DENY(op_umount) } },
	{ "disallow-mount-procfs", { DENY(op_mount), DENY(op_umount), PASS(op_getpid) } },
	{ "disallow-insmod", { DENY(op_init_module), PASS(op_getpid) } },
};

static int load(const struct pl_translation *t)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc = ctx ? 0 : -ENOMEM;

	for (size_t k = 0; !rc && k < t->u.seccomp.n; k++) {
		const struct pl_tr_sc_rule *sr = &t->u.seccomp.rules[k];
		struct scmp_arg_cmp a[3];
		int nr = seccomp_syscall_resolve_name(sr->syscall);

		if (nr == __NR_SCMP_ERROR)
			continue;
		for (size_t j = 0; j < sr->n_args; j++)
			a[j] = (struct scmp_arg_cmp){ sr->args[j].index,
						      (enum scmp_compare)sr->args[j].op,
						      sr->args[j].value, sr->args[j].value_two };
		rc = seccomp_rule_add_array(
		    ctx, SCMP_ACT_ERRNO(sr->errno_ret ? (uint16_t)sr->errno_ret : EPERM), nr,
		    sr->n_args, a);
	}
	if (!rc)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc;
}

/* Runs in a child; the exit status is the index of the first failing op + 1. */
static int child(const struct scase *c, const struct pl_translation *t, bool nofilter)
{
	if (!nofilter && load(t) < 0)
		return 100;
	for (int i = 0; i < 6 && c->ops[i].fn; i++) {
		int e = c->ops[i].fn();
		bool ok = c->ops[i].want < 0 ? (e != EPERM && e != ENOSYS) : e == c->ops[i].want;

		if (!ok)
			return i + 1;
	}
	return 0;
}

int main(void)
{
	bool nofilter = getenv("PLASTRON_SC_NOFILTER") != NULL;
	int fd = mkstemp(file);

	if (fd < 0) {
		TAP_OK(false, "mkstemp: %s", strerror(errno));
		return tap_done();
	}
	close(fd);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct scase *c = &cases[i];
		const struct pl_rule *r = pl_catalog_find(c->rule);
		const struct pl_translation *t = pl_rule_translation(r, PL_MECH_SECCOMP);
		pid_t pid;
		int st;

		if (!TAP_OK(t != NULL, "%s has a seccomp translation", c->rule))
			continue;
		chmod(file, 0600);
		pid = fork();
		if (pid == 0)
			_exit(child(c, t, nofilter));
		if (pid < 0 || waitpid(pid, &st, 0) < 0) {
			TAP_OK(false, "%s: fork/wait: %s", c->rule, strerror(errno));
			continue;
		}
		if (WIFEXITED(st) && WEXITSTATUS(st) == 100) {
			TAP_OK(false, "%s: libseccomp could not load the filter", c->rule);
			continue;
		}
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			int k = WIFEXITED(st) ? WEXITSTATUS(st) - 1 : -1;
			TAP_OK(false, "%s: %s did not behave as the rule says", c->rule,
			       k >= 0 && k < 6 && c->ops[k].what ? c->ops[k].what
								 : "child crashed");
			continue;
		}
		TAP_OK(true, "%s: named calls fail with its errno, neighbours do not", c->rule);
	}
	unlink(file);
	return tap_done();
}
