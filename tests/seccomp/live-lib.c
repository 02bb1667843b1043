/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The live seccomp tests' attacks and harness (see live.h): each case forks
 * a child that enters its own mount namespace (so nothing leaks if a bug
 * lets a mount through), loads a generated filter and runs one attack; the
 * parent checks the exact errno. Every attack also runs once without a
 * filter (the baseline), which must NOT give the expected errno, so each
 * case can fail.
 */
#include "live.h"

static char dir[] = "/tmp/plastron-live-XXXXXX";
static char file[256], mnt[256], tmpfs_dir[256], out_file[256];
static char *low; /* memory below 4 GiB for int $0x80 pointers */
static bool have_ia32;

/* ---- syscalls by hand ------------------------------------------------------ */

static long int80(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

/* Whether int $0x80 reaches the ia32 syscall table: probed in a child,
 * since a kernel built without ia32 emulation (or booted with
 * ia32_emulation=false) answers it with SIGSEGV. */
static bool ia32_works(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(int80(20 /* getpid */, 0, 0, 0) == getpid() ? 0 : 1);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return false;
	if (WIFSIGNALED(st))
		tap_diag("int $0x80 killed the probe with signal %d", WTERMSIG(st));
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static long sys(long r)
{
	return r < 0 ? -errno : r;
}

/* ---- attacks: return >= 0 on success, -errno on failure --------------------- */

long a_unshare_user(void)
{
	return sys(unshare(CLONE_NEWUSER));
}

static long a_unshare_user_x32(void)
{
	return sys(syscall(SYS_unshare | X32, CLONE_NEWUSER));
}

static long a_unshare_user_ia32(void)
{
	return int80(310, CLONE_NEWUSER, 0, 0);
}

static long reap(long r)
{
	if (r == 0)
		_exit(0);
	if (r > 0) {
		waitpid((pid_t)r, NULL, __WALL);
		return 0;
	}
	return -errno;
}

static long a_clone_user(void)
{
	return reap(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL));
}

long a_clone3_user(void)
{
	struct clone_args ca = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
	return reap(syscall(SYS_clone3, &ca, sizeof(ca)));
}

/* The RuntimeDefault base's own allow conditions with upper bits set:
 * personality is allowed only for exact 64-bit values (upper bits make it
 * fail, never widen it); clone's namespace test is a mask on low bits. */
long a_personality_hi(void)
{
	return sys(syscall(SYS_personality, HI | 0 /* PER_LINUX */));
}
long a_personality_query(void)
{
	return sys(syscall(SYS_personality, 0xffffffffl));
}
long a_clone_user_hi(void)
{
	return reap(syscall(SYS_clone, HI | CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL));
}

long a_fork(void)
{
	pid_t p = fork();
	if (p == 0)
		_exit(0);
	if (p < 0)
		return -errno;
	int st;
	waitpid(p, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -ECHILD;
}

long a_chmod_x(void)
{
	return sys(chmod(file, 0755));
}
static long a_chmod_plain(void)
{
	return sys(chmod(file, 0644));
}
static long a_chmod_suid(void)
{
	return sys(chmod(file, 04644));
}
static long a_chmod_sgid(void)
{
	return sys(chmod(file, 02644));
}
static long a_fchmod_x(void)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	long r = sys(fchmod(fd, 0700));
	close(fd);
	return r;
}
static long a_fchmod_suid(void)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	long r = sys(fchmod(fd, 04600));
	close(fd);
	return r;
}
long a_fchmodat_x(void)
{
	return sys(fchmodat(AT_FDCWD, file, 0711, 0));
}
long a_fchmodat_xoth(void)
{
	return sys(syscall(SYS_fchmodat, AT_FDCWD, file, 0601));
}
long a_fchmodat_xgrp(void)
{
	return sys(syscall(SYS_fchmodat, AT_FDCWD, file, 0610));
}
long a_fchmodat_plain(void)
{
	return sys(syscall(SYS_fchmodat, AT_FDCWD, file, 0640));
}
static long a_fchmodat2_x(void)
{
	return sys(syscall(452, AT_FDCWD, file, 0755, 0));
}
static long a_fchmodat2_sgid(void)
{
	return sys(syscall(452, AT_FDCWD, file, 02644, 0));
}
static long a_chmod_x_x32(void)
{
	return sys(syscall(SYS_chmod | X32, file, 0755));
}
static long a_chmod_x_ia32(void)
{
	return int80(15, (long)(uintptr_t)low, 0755, 0);
}
static long a_chmod_plain_ia32(void)
{
	return int80(15, (long)(uintptr_t)low, 0644, 0);
}

static long a_splice(void)
{
	int p[2], fd = open(file, O_RDONLY | O_CLOEXEC);
	if (pipe(p) < 0 || fd < 0)
		return -EBADF;
	long r = sys(splice(fd, NULL, p[1], NULL, 1, 0));
	close(fd);
	close(p[0]);
	close(p[1]);
	return r;
}

static long sock(int dom, int type, int proto)
{
	int fd = socket(dom, type, proto);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}
long a_sock_alg(void)
{
	return sock(38 /* AF_ALG */, SOCK_SEQPACKET, 0);
}
/* Upper 32 bits set on int arguments: the kernel reads only the low 32
 * bits, seccomp sees all 64. Raw syscall(2) so the bits reach the kernel. */
long a_sock_alg_hi(void)
{
	long fd = syscall(SYS_socket, HI | 38 /* AF_ALG */, HI | SOCK_SEQPACKET, HI);
	if (fd < 0)
		return -errno;
	close((int)fd);
	return 0;
}
static long a_unshare_user_hi(void)
{
	return sys(syscall(SYS_unshare, HI | CLONE_NEWUSER));
}
long a_sock_inet_dgram_hi(void)
{
	long fd = syscall(SYS_socket, HI | AF_INET, HI | SOCK_DGRAM, HI);
	if (fd < 0)
		return -errno;
	close((int)fd);
	return 0;
}
static long a_sock_alg_ia32(void)
{
	return int80(359, 38, SOCK_SEQPACKET, 0);
}
static long a_socketcall_alg_ia32(void)
{
	uint32_t *args = (uint32_t *)(low + 256);
	args[0] = 38;
	args[1] = SOCK_SEQPACKET;
	args[2] = 0;
	return int80(102, 1 /* SYS_SOCKET */, (long)(uintptr_t)args, 0);
}
long a_sock_inet_dgram(void)
{
	return sock(AF_INET, SOCK_DGRAM, 0);
}
static long a_sock_inet_stream(void)
{
	return sock(AF_INET, SOCK_STREAM, 0);
}
static long a_sock_inet_tcp(void)
{
	return sock(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
}
static long a_sock_inet6_stream(void)
{
	return sock(AF_INET6, SOCK_STREAM, 0);
}
static long a_sock_inet6_dgram(void)
{
	return sock(AF_INET6, SOCK_DGRAM, 0);
}
static long a_sock_icmp(void)
{
	return sock(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
}
static long a_sock_icmp6(void)
{
	return sock(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
}
static long a_sock_unix(void)
{
	return sock(AF_UNIX, SOCK_STREAM, 0);
}
static long a_socketpair_unix(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -errno;
	close(sv[0]);
	close(sv[1]);
	return 0;
}

static long a_userfaultfd(void)
{
	long fd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close((int)fd);
	return 0;
}

/* A two-instruction socket filter loaded with `hi` in the upper 32 bits
 * of bpf()'s int arguments (the kernel reads only the low ones). */
static long bpf_prog_load_with(long hi)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (uintptr_t)insns;
	attr.insn_cnt = 2;
	attr.license = (uintptr_t) "GPL";
	long fd = syscall(SYS_bpf, hi | BPF_PROG_LOAD, &attr, hi | sizeof(attr));
	if (fd < 0)
		return -errno;
	close((int)fd);
	return 0;
}

long a_bpf_prog_load(void)
{
	return bpf_prog_load_with(0);
}

long a_bpf_prog_load_hi(void)
{
	return bpf_prog_load_with(HI);
}

long a_bpf_map_create(void)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	long fd = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
	if (fd < 0)
		return -errno;
	close((int)fd);
	return 0;
}

static long sockopt(int opt)
{
	struct sock_filter code[] = { { BPF_RET | BPF_K, 0, 0, 0xffff } };
	struct sock_fprog prog = { .len = 1, .filter = code };
	int one = 1;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	long r = opt == SO_REUSEADDR ? setsockopt(fd, SOL_SOCKET, opt, &one, sizeof(one))
				     : setsockopt(fd, SOL_SOCKET, opt, &prog, sizeof(prog));
	r = r < 0 ? -errno : 0;
	close(fd);
	return r;
}
long a_so_attach_filter_hi(void)
{
	struct sock_filter code[] = { { BPF_RET | BPF_K, 0, 0, 0xffff } };
	struct sock_fprog prog = { .len = 1, .filter = code };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	long r = syscall(SYS_setsockopt, HI | fd, HI | SOL_SOCKET, HI | SO_ATTACH_FILTER, &prog,
			 HI | sizeof(prog));
	r = r < 0 ? -errno : 0;
	close(fd);
	return r;
}
long a_so_attach_reuseport_cbpf_hi(void)
{
	struct sock_filter code[] = { { BPF_RET | BPF_K, 0, 0, 0xffff } };
	struct sock_fprog prog = { .len = 1, .filter = code };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	long r = syscall(SYS_setsockopt, fd, 0xffffffff00000000l | SOL_SOCKET,
			 0xdead00000000l | SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog));
	r = r < 0 ? -errno : 0;
	close(fd);
	return r;
}
long a_so_attach_filter(void)
{
	return sockopt(SO_ATTACH_FILTER);
}
long a_so_attach_reuseport_cbpf(void)
{
	return sockopt(SO_ATTACH_REUSEPORT_CBPF);
}
static long a_so_reuseaddr(void)
{
	return sockopt(SO_REUSEADDR);
}

static long a_init_module(void)
{
	return sys(syscall(SYS_init_module, NULL, 0, ""));
}
static long a_finit_module(void)
{
	return sys(syscall(SYS_finit_module, -1, "", 0));
}

/* seed 000: mount a new procfs and reach core_pattern. The value written
 * is the current one, read first: a success is harmless but detectable. */
static long write_back_core_pattern(const char *root)
{
	char path[512], cur[512];
	snprintf(path, sizeof(path), "%s/sys/kernel/core_pattern", root);
	int fd = open("/proc/sys/kernel/core_pattern", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, cur, sizeof(cur) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -EIO;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	long r = write(fd, cur, (size_t)n) == n ? 0 : -errno;
	close(fd);
	return r;
}

long a_mount_proc(void)
{
	if (mount("tmpproc", mnt, "proc", 0, NULL) < 0)
		return -errno;
	long r = write_back_core_pattern(mnt);
	umount2(mnt, MNT_DETACH);
	return r < 0 ? r : 0;
}

static long a_bind_proc_sys_rw(void)
{
	if (mount("/proc/sys", mnt, NULL, MS_BIND, NULL) < 0)
		return -errno;
	long r = sys(mount(NULL, mnt, NULL, MS_REMOUNT | MS_BIND, NULL));
	umount2(mnt, MNT_DETACH);
	return r;
}

static long a_remount(void)
{
	return sys(mount(NULL, tmpfs_dir, NULL, MS_REMOUNT | MS_RDONLY, NULL));
}

static long a_fsopen_proc(void)
{
	long fd = syscall(SYS_fsopen, "proc", 0);
	if (fd < 0)
		return -errno;
	close((int)fd);
	return 0;
}

static long a_open_tree_clone(void)
{
	long fd = syscall(SYS_open_tree, AT_FDCWD, "/proc/sys", 1 /* OPEN_TREE_CLONE */);
	if (fd < 0)
		return -errno;
	close((int)fd);
	return 0;
}

static long a_umount(void)
{
	return sys(umount2(tmpfs_dir, 0));
}

static long pipe_ioctl(unsigned long cmd)
{
	int p[2], n = 0;
	if (pipe(p) < 0)
		return -errno;
	long r = sys(ioctl(p[0], cmd, &n));
	close(p[0]);
	close(p[1]);
	return r;
}
long a_ioctl_tiocsti(void)
{
	return pipe_ioctl(TIOCSTI);
}
long a_ioctl_fionread(void)
{
	return pipe_ioctl(FIONREAD);
}

long a_io_uring_setup(void)
{
	char params[120] = { 0 };
	long fd = syscall(425, 1, params);
	if (fd < 0)
		return -errno;
	close((int)fd);
	return 0;
}

long a_nr_1000(void)
{
	return sys(syscall(1000, 0, 0, 0));
}

long a_exec_true(void)
{
	pid_t p = fork();
	if (p == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	int st;
	if (p < 0 || waitpid(p, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -ECHILD;
}

/* open/read/write/stat/getpid, then fork + exec /bin/sh -c 'echo ok > out' */
long a_workload(void)
{
	char buf[16] = "";
	struct stat st;
	int fd = open(file, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "hello", 5) != 5 || pread(fd, buf, 5, 0) != 5 || fstat(fd, &st) < 0 ||
	    stat(file, &st) < 0 || getpid() <= 0) {
		close(fd);
		return -EIO;
	}
	close(fd);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "echo ok > %s", out_file);
	pid_t p = fork();
	if (p == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	int ws;
	if (p < 0 || waitpid(p, &ws, 0) < 0)
		return -errno;
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
		return -ECHILD;
	fd = open(out_file, O_RDONLY | O_CLOEXEC);
	memset(buf, 0, sizeof(buf));
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	return n == 3 && !strcmp(buf, "ok\n") ? 0 : -EIO;
}

/* ---- the harness ------------------------------------------------------------- */

/* Run `fn` in a forked child under `prof` (NULL: no filter). Returns the
 * child's result, or INT32_MIN when the child died. */
long run(const struct pl_sc_profile *prof, long (*fn)(void))
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return INT32_MIN;
	pid_t pid = fork();
	if (pid == 0) {
		long res;
		close(pfd[0]);
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount("tmpfs", tmpfs_dir, "tmpfs", 0, "size=64k") < 0) {
			res = INT32_MIN + 1;
		} else {
			struct pl_diag d = { 0 };
			prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
			if (prof && pl_sc_profile_load(prof, &d) < 0) {
				print_diag(&d);
				res = INT32_MIN + 2;
			} else {
				res = fn();
			}
		}
		if (write(pfd[1], &res, sizeof(res)) != sizeof(res))
			_exit(3);
		_exit(0);
	}
	close(pfd[1]);
	long res = INT32_MIN;
	if (read(pfd[0], &res, sizeof(res)) != sizeof(res))
		res = INT32_MIN;
	close(pfd[0]);
	int st;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st))
		res = INT32_MIN;
	/* restore the test file */
	chmod(file, 0644);
	return res;
}

const char *res_str(long r)
{
	static char bufs[4][64];
	static int next;
	char *buf = bufs[next++ % 4];
	if (r == INT32_MIN)
		return "child died";
	if (r == INT32_MIN + 1)
		return "setup failed";
	if (r == INT32_MIN + 2)
		return "filter load failed";
	if (r >= 0)
		return "success";
	const char *n = strerrorname_np((int)-r);
	snprintf(buf, sizeof(bufs[0]), "%s", n ? n : "?");
	return buf;
}

const struct attack mount_attacks[] = {
	ATK(a_mount_proc, EPERM),  ATK(a_bind_proc_sys_rw, EPERM), ATK(a_remount, EPERM),
	ATK(a_fsopen_proc, EPERM), ATK(a_open_tree_clone, EPERM),  END,
};

const struct rule_attacks table[] = {
	{ "disallow-create-user-ns",
	  { ATK(a_unshare_user, EPERM), ATK(a_unshare_user_hi, EPERM), ATK(a_clone_user, EPERM),
	    ATK(a_clone3_user, ENOSYS), ATK(a_unshare_user_x32, EPERM),
	    ATK32(a_unshare_user_ia32, EPERM), ATK(a_fork, 0), END } },
	{ "disable-chmod-x-bit",
	  { ATK(a_chmod_x, EPERM), ATK(a_fchmod_x, EPERM), ATK(a_fchmodat_x, EPERM),
	    ATK(a_fchmodat2_x, EPERM), ATK(a_chmod_x_x32, EPERM), ATK32(a_chmod_x_ia32, EPERM),
	    ATK(a_chmod_plain, 0), ATK(a_fchmodat_plain, 0), ATK32(a_chmod_plain_ia32, 0), END } },
	{ "disable-chmod-s-bit",
	  { ATK(a_chmod_suid, EPERM), ATK(a_chmod_sgid, EPERM), ATK(a_fchmod_suid, EPERM),
	    ATK(a_fchmodat2_sgid, EPERM), ATK(a_chmod_plain, 0), END } },
	{ "dirty-pipe-mitigation", { ATK(a_splice, EPERM), END } },
	{ "copy-fail-mitigation",
	  { ATK(a_sock_alg, EPERM), ATK(a_sock_alg_hi, EPERM), ATK32(a_sock_alg_ia32, EPERM),
	    ATK32(a_socketcall_alg_ia32, EPERM), ATK(a_sock_inet_dgram, 0), END } },
	{ "disallow-userfaultfd-creation", { ATK(a_userfaultfd, EPERM), END } },
	{ "disallow-load-all-bpf-prog",
	  { ATK(a_bpf_prog_load, EPERM), ATK(a_bpf_prog_load_hi, EPERM), END } },
	{ "disallow-load-bpf-via-setsockopt",
	  { ATK(a_so_attach_filter, EPERM), ATK(a_so_attach_reuseport_cbpf, EPERM),
	    ATK(a_so_attach_filter_hi, EPERM), ATK(a_so_attach_reuseport_cbpf_hi, EPERM),
	    ATK(a_so_reuseaddr, 0), END } },
	{ "disallow-insmod", { ATK(a_init_module, EPERM), ATK(a_finit_module, EPERM), END } },
	{ "disallow-umount", { ATK(a_umount, EPERM), END } },
	{ "disable-network",
	  { ATK(a_sock_inet_dgram, EPERM), ATK(a_sock_unix, EPERM), ATK(a_socketpair_unix, EPERM),
	    END } },
	{ "disable-inet",
	  { ATK(a_sock_inet_dgram, EPERM), ATK(a_sock_inet_dgram_hi, EPERM),
	    ATK(a_sock_inet6_dgram, 0), END } },
	{ "disable-inet6", { ATK(a_sock_inet6_stream, EPERM), ATK(a_sock_inet_stream, 0), END } },
	{ "disable-unix-domain-socket",
	  { ATK(a_sock_unix, EPERM), ATK(a_socketpair_unix, EPERM), ATK(a_sock_inet_dgram, 0),
	    END } },
	{ "disable-tcp",
	  { ATK(a_sock_inet_stream, EPERM), ATK(a_sock_inet_tcp, EPERM),
	    ATK(a_sock_inet6_stream, EPERM), ATK(a_sock_inet_dgram, 0), END } },
	{ "disable-udp",
	  { ATK(a_sock_inet_dgram, EPERM), ATK(a_sock_inet6_dgram, EPERM),
	    ATK(a_sock_inet_stream, 0), END } },
	{ "disable-icmp",
	  { ATK(a_sock_icmp, EPERM), ATK(a_sock_icmp6, EPERM), ATK(a_sock_inet_dgram, 0), END } },
};
const size_t table_len = sizeof(table) / sizeof(table[0]);

bool is_mount_rule(const struct pl_rule *r)
{
	const struct pl_translation *t = pl_rule_translation(r, PL_MECH_SECCOMP);
	for (size_t i = 0; t && i < t->u.seccomp.n; i++)
		if (!strcmp(t->u.seccomp.rules[i].syscall, "mount"))
			return true;
	return false;
}

static struct base bases[64];
static size_t n_bases;

long baseline(long (*fn)(void))
{
	for (size_t i = 0; i < n_bases; i++)
		if (bases[i].fn == fn)
			return bases[i].r;
	long r = run(NO_FILTER, fn);
	if (n_bases < 64)
		bases[n_bases++] = (struct base){ fn, r };
	return r;
}

void check(const char *what, const struct pl_sc_profile *prof, const struct attack *a)
{
	if (a->ia32 && !have_ia32) {
		TAP_SKIP("the kernel has no ia32 emulation", "%s: %s", what, a->name);
		return;
	}
	long b = baseline(a->fn);
	long r = run(prof, a->fn);
	if (a->expect) {
		bool base_ok = b != -a->expect && b > INT32_MIN + 2;
		TAP_OK(r == -a->expect && base_ok, "%s: %s -> %s (without filter: %s)", what,
		       a->name, res_str(r), res_str(b));
	} else {
		TAP_OK(r >= 0 && b >= 0, "%s: %s still works (%s)", what, a->name, res_str(r));
	}
}

struct pl_sc_profile *profile(struct tpol *t, struct pl_diag *d)
{
	struct pl_gen_opts o = { 0 };
	struct pl_sc_profile *p = NULL;
	pl_diag_init(d);
	if (pl_gen_seccomp(&t->p, &o, &p, d) < 0)
		print_diag(d);
	pl_diag_clear(d);
	return p;
}

int live_setup(void)
{
	if (geteuid() != 0) {
		TAP_SKIP("needs root (mount namespaces, the attacks' baselines)", "live seccomp");
		return -1;
	}
	if (!mkdtemp(dir)) {
		TAP_OK(0, "mkdtemp");
		return -1;
	}
	snprintf(file, sizeof(file), "%s/f", dir);
	snprintf(mnt, sizeof(mnt), "%s/mnt", dir);
	snprintf(tmpfs_dir, sizeof(tmpfs_dir), "%s/tmpfs", dir);
	snprintf(out_file, sizeof(out_file), "%s/out", dir);
	int fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
	mkdir(mnt, 0755);
	mkdir(tmpfs_dir, 0755);
	low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1,
		   0);
	if (low == MAP_FAILED) {
		TAP_OK(0, "mmap MAP_32BIT");
		return -1;
	}
	snprintf(low, 256, "%s", file);
	have_ia32 = ia32_works();
	tap_diag("ia32 emulation: %s", have_ia32 ? "yes" : "no");

	return 0;
}

void live_teardown(void)
{
	unlink(out_file);
	unlink(file);
	rmdir(mnt);
	rmdir(tmpfs_dir);
	rmdir(dir);
}
