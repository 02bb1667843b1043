/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seccomp generator's bases (seccomp-gen.c has the pipeline): the
 * RuntimeDefault allow-list, its capability-gated part and its argument
 * rules (personality, clone), the BehaviorModeling allow-list, the list of
 * entries being built (scg_push, scg_add_simple) and the architectures every
 * profile covers.
 */
#include <errno.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "plastron/gen.h"
#include "seccomp-gen-internal.h"
#include "seccomp-internal.h"
#include "shared/macro.h"

#include "shared/macro.h"

/*
 * RuntimeDefault: what a normal container may call, with the semantics of
 * Docker's default profile (moby/profiles seccomp/default.json; compared
 * entry by entry in tests/seccomp/test-docker-default.c against
 * tests/seccomp/docker-default.txt): this list is everything Docker allows
 * unconditionally (and the few legacy ia32 calls glibc still makes), the
 * names of libseccomp-unknown syscalls (statmount, mseal, ...) included:
 * the filter adds those by number. What Docker allows only with a
 * capability (mount, unshare, setns, bpf, chroot, ...) is rd_cap_allow
 * below. io_uring is denied on top. Sorted.
 */
static const char *const rd_allow[] = {
	"_llseek",
	"_newselect",
	"accept",
	"accept4",
	"access",
	"add_key",
	"adjtimex",
	"alarm",
	"arch_prctl",
	"bind",
	"brk",
	"cachestat",
	"capget",
	"capset",
	"chdir",
	"chmod",
	"chown",
	"chown32",
	"clock_adjtime",
	"clock_adjtime64",
	"clock_getres",
	"clock_getres_time64",
	"clock_gettime",
	"clock_gettime64",
	"clock_nanosleep",
	"clock_nanosleep_time64",
	"close",
	"close_range",
	"connect",
	"copy_file_range",
	"creat",
	"dup",
	"dup2",
	"dup3",
	"epoll_create",
	"epoll_create1",
	"epoll_ctl",
	"epoll_ctl_old",
	"epoll_pwait",
	"epoll_pwait2",
	"epoll_wait",
	"epoll_wait_old",
	"eventfd",
	"eventfd2",
	"execve",
	"execveat",
	"exit",
	"exit_group",
	"faccessat",
	"faccessat2",
	"fadvise64",
	"fadvise64_64",
	"fallocate",
	"fanotify_mark",
	"fchdir",
	"fchmod",
	"fchmodat",
	"fchmodat2",
	"fchown",
	"fchown32",
	"fchownat",
	"fcntl",
	"fcntl64",
	"fdatasync",
	"fgetxattr",
	"flistxattr",
	"flock",
	"fork",
	"fremovexattr",
	"fsetxattr",
	"fstat",
	"fstat64",
	"fstatat64",
	"fstatfs",
	"fstatfs64",
	"fsync",
	"ftruncate",
	"ftruncate64",
	"futex",
	"futex_requeue",
	"futex_time64",
	"futex_wait",
	"futex_waitv",
	"futex_wake",
	"futimesat",
	"get_robust_list",
	"get_thread_area",
	"getcpu",
	"getcwd",
	"getdents",
	"getdents64",
	"getegid",
	"getegid32",
	"geteuid",
	"geteuid32",
	"getgid",
	"getgid32",
	"getgroups",
	"getgroups32",
	"getitimer",
	"getpeername",
	"getpgid",
	"getpgrp",
	"getpid",
	"getppid",
	"getpriority",
	"getrandom",
	"getresgid",
	"getresgid32",
	"getresuid",
	"getresuid32",
	"getrlimit",
	"getrusage",
	"getsid",
	"getsockname",
	"getsockopt",
	"gettid",
	"gettimeofday",
	"getuid",
	"getuid32",
	"getxattr",
	"getxattrat",
	"inotify_add_watch",
	"inotify_init",
	"inotify_init1",
	"inotify_rm_watch",
	"io_cancel",
	"io_destroy",
	"io_getevents",
	"io_pgetevents",
	"io_pgetevents_time64",
	"io_setup",
	"io_submit",
	"ioctl",
	"ioprio_get",
	"ioprio_set",
	"ipc",
	"keyctl",
	"kill",
	"landlock_add_rule",
	"landlock_create_ruleset",
	"landlock_restrict_self",
	"lchown",
	"lchown32",
	"lgetxattr",
	"link",
	"linkat",
	"listen",
	"listmount",
	"listxattr",
	"listxattrat",
	"llistxattr",
	"lremovexattr",
	"lseek",
	"lsetxattr",
	"lstat",
	"lstat64",
	"madvise",
	"map_shadow_stack",
	"membarrier",
	"memfd_create",
	"memfd_secret",
	"mincore",
	"mkdir",
	"mkdirat",
	"mknod",
	"mknodat",
	"mlock",
	"mlock2",
	"mlockall",
	"mmap",
	"mmap2",
	"modify_ldt",
	"mprotect",
	"mq_getsetattr",
	"mq_notify",
	"mq_open",
	"mq_timedreceive",
	"mq_timedreceive_time64",
	"mq_timedsend",
	"mq_timedsend_time64",
	"mq_unlink",
	"mremap",
	"mseal",
	"msgctl",
	"msgget",
	"msgrcv",
	"msgsnd",
	"msync",
	"munlock",
	"munlockall",
	"munmap",
	"name_to_handle_at",
	"nanosleep",
	"newfstatat",
	"open",
	"openat",
	"openat2",
	"pause",
	"pidfd_open",
	"pidfd_send_signal",
	"pipe",
	"pipe2",
	"pkey_alloc",
	"pkey_free",
	"pkey_mprotect",
	"poll",
	"ppoll",
	"ppoll_time64",
	"prctl",
	"pread64",
	"preadv",
	"preadv2",
	"prlimit64",
	"process_mrelease",
	"process_vm_readv",
	"process_vm_writev",
	"pselect6",
	"pselect6_time64",
	"ptrace",
	"pwrite64",
	"pwritev",
	"pwritev2",
	"read",
	"readahead",
	"readdir",
	"readlink",
	"readlinkat",
	"readv",
	"recv",
	"recvfrom",
	"recvmmsg",
	"recvmmsg_time64",
	"recvmsg",
	"remap_file_pages",
	"removexattr",
	"removexattrat",
	"rename",
	"renameat",
	"renameat2",
	"request_key",
	"restart_syscall",
	"rmdir",
	"rseq",
	"rt_sigaction",
	"rt_sigpending",
	"rt_sigprocmask",
	"rt_sigqueueinfo",
	"rt_sigreturn",
	"rt_sigsuspend",
	"rt_sigtimedwait",
	"rt_sigtimedwait_time64",
	"rt_tgsigqueueinfo",
	"sched_get_priority_max",
	"sched_get_priority_min",
	"sched_getaffinity",
	"sched_getattr",
	"sched_getparam",
	"sched_getscheduler",
	"sched_rr_get_interval",
	"sched_rr_get_interval_time64",
	"sched_setaffinity",
	"sched_setattr",
	"sched_setparam",
	"sched_setscheduler",
	"sched_yield",
	"seccomp",
	"select",
	"semctl",
	"semget",
	"semop",
	"semtimedop",
	"semtimedop_time64",
	"send",
	"sendfile",
	"sendfile64",
	"sendmmsg",
	"sendmsg",
	"sendto",
	"set_robust_list",
	"set_thread_area",
	"set_tid_address",
	"setfsgid",
	"setfsgid32",
	"setfsuid",
	"setfsuid32",
	"setgid",
	"setgid32",
	"setgroups",
	"setgroups32",
	"setitimer",
	"setpgid",
	"setpriority",
	"setregid",
	"setregid32",
	"setresgid",
	"setresgid32",
	"setresuid",
	"setresuid32",
	"setreuid",
	"setreuid32",
	"setrlimit",
	"setsid",
	"setsockopt",
	"setuid",
	"setuid32",
	"setxattr",
	"setxattrat",
	"shmat",
	"shmctl",
	"shmdt",
	"shmget",
	"shutdown",
	"sigaction",
	"sigaltstack",
	"signal",
	"signalfd",
	"signalfd4",
	"sigpending",
	"sigprocmask",
	"sigreturn",
	"sigsuspend",
	"socket",
	"socketcall",
	"socketpair",
	"splice",
	"stat",
	"stat64",
	"statfs",
	"statfs64",
	"statmount",
	"statx",
	"symlink",
	"symlinkat",
	"sync",
	"sync_file_range",
	"syncfs",
	"sysinfo",
	"tee",
	"tgkill",
	"time",
	"timer_create",
	"timer_delete",
	"timer_getoverrun",
	"timer_gettime",
	"timer_gettime64",
	"timer_settime",
	"timer_settime64",
	"timerfd_create",
	"timerfd_gettime",
	"timerfd_gettime64",
	"timerfd_settime",
	"timerfd_settime64",
	"times",
	"tkill",
	"truncate",
	"truncate64",
	"ugetrlimit",
	"umask",
	"uname",
	"unlink",
	"unlinkat",
	"uretprobe",
	"utime",
	"utimensat",
	"utimensat_time64",
	"utimes",
	"vfork",
	"vmsplice",
	"wait4",
	"waitid",
	"waitpid",
	"write",
	"writev",
};

/* personality(2) values the runtimes allow (Linux, UNAME26, PER_LINUX32, both,
 * and the query 0xffffffff). Plain 64-bit EQ is right here although the
 * kernel reads an unsigned int: these allow, so a value with upper bits set
 * matches none of them and falls to the default (denied); upper bits can
 * only narrow what is allowed, never reach another personality. */
static const uint64_t rd_personality[] = { 0x0, 0x8, 0x20000, 0x20008, 0xffffffff };

/* clone(2) flags that create namespaces (CLONE_NEWNS ... CLONE_NEWCGROUP,
 * CLONE_NEWTIME is in the low bits and handled by the runtimes the same way):
 * clone is allowed only without them. The kernel uses the low 32 bits of
 * the flags (lower_32_bits(clone_flags)); the mask tests only low bits, so
 * upper bits change nothing. */
#define RD_CLONE_NS_MASK 0x7E020000ull

/* What Docker's default profile allows only to a container holding a
 * capability ("includes": {"caps": [...]}); a name listed twice is allowed
 * with either. clone and clone3 are handled in scg_base_runtime_default:
 * with CAP_SYS_ADMIN clone is allowed with namespace flags too and clone3
 * is allowed instead of ENOSYS. ptrace and process_vm_{read,write}v, gated
 * on CAP_SYS_PTRACE before Linux 4.8 only, are in rd_allow. */
static const struct {
	const char *name;
	int cap;
} rd_cap_allow[] = {
	{ "open_by_handle_at", CAP_DAC_READ_SEARCH },
	{ "bpf", CAP_SYS_ADMIN },
	{ "fanotify_init", CAP_SYS_ADMIN },
	{ "fsconfig", CAP_SYS_ADMIN },
	{ "fsmount", CAP_SYS_ADMIN },
	{ "fsopen", CAP_SYS_ADMIN },
	{ "fspick", CAP_SYS_ADMIN },
	{ "lookup_dcookie", CAP_SYS_ADMIN },
	{ "lsm_get_self_attr", CAP_SYS_ADMIN },
	{ "lsm_list_modules", CAP_SYS_ADMIN },
	{ "lsm_set_self_attr", CAP_SYS_ADMIN },
	{ "mount", CAP_SYS_ADMIN },
	{ "mount_setattr", CAP_SYS_ADMIN },
	{ "move_mount", CAP_SYS_ADMIN },
	{ "open_tree", CAP_SYS_ADMIN },
	{ "perf_event_open", CAP_SYS_ADMIN },
	{ "quotactl", CAP_SYS_ADMIN },
	{ "quotactl_fd", CAP_SYS_ADMIN },
	{ "setdomainname", CAP_SYS_ADMIN },
	{ "sethostname", CAP_SYS_ADMIN },
	{ "setns", CAP_SYS_ADMIN },
	{ "syslog", CAP_SYS_ADMIN },
	{ "umount", CAP_SYS_ADMIN },
	{ "umount2", CAP_SYS_ADMIN },
	{ "unshare", CAP_SYS_ADMIN },
	{ "reboot", CAP_SYS_BOOT },
	{ "chroot", CAP_SYS_CHROOT },
	{ "delete_module", CAP_SYS_MODULE },
	{ "init_module", CAP_SYS_MODULE },
	{ "finit_module", CAP_SYS_MODULE },
	{ "acct", CAP_SYS_PACCT },
	{ "kcmp", CAP_SYS_PTRACE },
	{ "pidfd_getfd", CAP_SYS_PTRACE },
	{ "process_madvise", CAP_SYS_PTRACE },
	{ "iopl", CAP_SYS_RAWIO },
	{ "ioperm", CAP_SYS_RAWIO },
	{ "settimeofday", CAP_SYS_TIME },
	{ "stime", CAP_SYS_TIME },
	{ "clock_settime", CAP_SYS_TIME },
	{ "clock_settime64", CAP_SYS_TIME },
	{ "vhangup", CAP_SYS_TTY_CONFIG },
	{ "get_mempolicy", CAP_SYS_NICE },
	{ "mbind", CAP_SYS_NICE },
	{ "set_mempolicy", CAP_SYS_NICE },
	{ "set_mempolicy_home_node", CAP_SYS_NICE },
	{ "syslog", CAP_SYSLOG },
	{ "bpf", CAP_BPF },
	{ "perf_event_open", CAP_PERFMON },
};

#define HAS_CAP(caps, c) (((caps) >> (c)) & 1u)

/* `name` is in rd_cap_allow with a capability of `caps`. */
static bool rd_cap_allowed(const char *name, uint64_t caps)
{
	for (size_t i = 0; i < PL_ARRAY_SIZE(rd_cap_allow); i++)
		if (HAS_CAP(caps, rd_cap_allow[i].cap) && !strcmp(rd_cap_allow[i].name, name))
			return true;
	return false;
}

/* Never allowed by RuntimeDefault on top of the runtimes' defaults. */
static const char *const rd_extra_deny[] = { "io_uring_enter", "io_uring_register",
					     "io_uring_setup", NULL };

const char *const scg_modeling_allow[] = { "close", "open",  "openat", "openat2",
					   "read",  "write", NULL };

struct ent *scg_push(struct gen *g, const struct ent *e)
{
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 256;
		struct ent *v = realloc(g->ents, cap * sizeof(*v));
		if (!v) {
			g->r = pl_error(g->d, -ENOMEM, NULL, NULL, "out of memory");
			return NULL;
		}
		g->ents = v;
		g->cap = cap;
	}
	g->ents[g->n] = *e;
	return &g->ents[g->n++];
}

bool scg_name_relevant(const char *name)
{
	for (int a = 0; a < SC_ARCH__MAX; a++)
		if (sc_resolve(name, (enum sc_arch)a) >= 0)
			return true;
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool rd_allowed(const char *name)
{
	return bsearch(&name, rd_allow, PL_ARRAY_SIZE(rd_allow), sizeof(rd_allow[0]), cmp_str) !=
	       NULL;
}

void scg_add_simple(struct gen *g, const char *name, enum pl_sc_action act, int err,
		    const char *origin, const char *comment)
{
	struct ent e = { .name = name, .act = act, .origin = origin, .comment = comment };
	if (err) {
		e.has_errno = true;
		e.errno_ret = (uint32_t)err;
	}
	scg_push(g, &e);
}

/* Every syscall name libseccomp (or plastron) knows on x86_64, ia32 and x32,
 * sorted; computed once per process (again after a failed allocation). */
static char **known_v;
static size_t known_n;
static pthread_mutex_t known_lock = PTHREAD_MUTEX_INITIALIZER;

PL_MUTEX_FORK_SAFE(known_lock)

static void known_init(void)
{
	size_t n = 0, cap = 1024;
	char **v = malloc(cap * sizeof(*v));
	if (!v)
		return;
	for (int a = 0; a < SC_ARCH__MAX; a++) {
		int base = a == SC_ARCH_X32 ? 0x40000000 : 0;
		for (int nr = 0; nr < 1024; nr++) {
			const char *s = sc_name_of((enum sc_arch)a, base + nr);
			if (!s)
				continue;
			if (n == cap) {
				char **nv = realloc(v, (cap *= 2) * sizeof(*v));
				if (!nv)
					goto oom;
				v = nv;
			}
			if (!(v[n] = strdup(s)))
				goto oom;
			n++;
		}
	}
	qsort(v, n, sizeof(*v), cmp_str);
	size_t u = 0;
	for (size_t i = 0; i < n; i++) {
		if (!u || strcmp(v[u - 1], v[i]))
			v[u++] = v[i];
		else
			free(v[i]);
	}
	known_v = v;
	known_n = u;
	return;
oom:
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int known_names(struct gen *g, char ***ret, size_t *n_ret)
{
	(void)g;
	/* not pthread_once: a failed allocation is retried on the next call */
	pthread_mutex_lock(&known_lock);
	if (!known_v)
		known_init();
	pthread_mutex_unlock(&known_lock);
	if (!known_v)
		return -ENOMEM;
	*ret = known_v;
	*n_ret = known_n;
	return 0;
}

void scg_base_runtime_default(struct gen *g, uint64_t caps)
{
	const char *o = "runtime-default";
	bool sys_admin = HAS_CAP(caps, CAP_SYS_ADMIN);
	g->p->default_action = PL_SC_ACT_ERRNO;
	g->p->has_default_errno_ret = true;
	g->p->default_errno_ret = ENOSYS;
	for (size_t i = 0; i < PL_ARRAY_SIZE(rd_allow); i++)
		if (scg_name_relevant(rd_allow[i]))
			scg_add_simple(g, rd_allow[i], PL_SC_ACT_ALLOW, 0, o, NULL);
	for (size_t i = 0; i < PL_ARRAY_SIZE(rd_cap_allow); i++) {
		const char *s = rd_cap_allow[i].name;
		bool first = true; /* the first entry naming it with a held cap */
		for (size_t j = 0; j < i && first; j++)
			first = !(HAS_CAP(caps, rd_cap_allow[j].cap) &&
				  !strcmp(rd_cap_allow[j].name, s));
		if (HAS_CAP(caps, rd_cap_allow[i].cap) && first && scg_name_relevant(s))
			scg_add_simple(g, s, PL_SC_ACT_ALLOW, 0, o, NULL);
		if (rd_allowed(s))
			g->r = pl_error(g->d, -EINVAL, NULL, NULL,
					"internal: %s both allowed and capability-gated", s);
	}
	/* socket(AF_VSOCK) fails with EPERM, as in Docker: vsock reaches the
	 * host's hypervisor transport (CVE-2024-50264 and the like). Merged like
	 * a rule's deny on the allowed base, below the rules (a raw rule's own
	 * errno for AF_VSOCK wins); its comparison follows the rules' of
	 * the same argument (scg_vsock_style). ia32's socketcall passes its
	 * arguments in memory and stays allowed, as in Docker. */
	struct ent vsock = { .name = "socket",
			     .act = PL_SC_ACT_ERRNO,
			     .has_errno = true,
			     .errno_ret = EPERM,
			     .origin = o,
			     .comment = SCG_VSOCK,
			     .base_deny = true,
			     .n_args = 1 };
	vsock.args[0] = (struct pl_sc_arg){
		.index = 0, .value = 0xffffffff, .value_two = AF_VSOCK, .op = PL_SC_OP_MASKED_EQ
	};
	scg_push(g, &vsock);
	for (size_t i = 0; i < PL_ARRAY_SIZE(rd_personality); i++) {
		struct ent e = {
			.name = "personality", .act = PL_SC_ACT_ALLOW, .origin = o, .n_args = 1
		};
		e.args[0] =
		    (struct pl_sc_arg){ .index = 0, .value = rd_personality[i], .op = PL_SC_OP_EQ };
		scg_push(g, &e);
	}
	if (sys_admin) {
		scg_add_simple(g, "clone", PL_SC_ACT_ALLOW, 0, o, NULL);
		scg_add_simple(g, "clone3", PL_SC_ACT_ALLOW, 0, o, NULL);
	} else {
		struct ent c = {
			.name = "clone", .act = PL_SC_ACT_ALLOW, .origin = o, .n_args = 1
		};
		c.args[0] = (struct pl_sc_arg){ .index = 0,
						.value = RD_CLONE_NS_MASK,
						.value_two = 0,
						.op = PL_SC_OP_MASKED_EQ };
		scg_push(g, &c);
		/* clone3 passes its flags in memory: ENOSYS makes glibc fall back to clone. */
		scg_add_simple(g, "clone3", PL_SC_ACT_ERRNO, ENOSYS, o, NULL);
	}
	char **known;
	size_t n_known;
	if (known_names(g, &known, &n_known) < 0) {
		g->r = pl_error(g->d, -ENOMEM, NULL, NULL, "out of memory");
		return;
	}
	/* Known syscalls outside the allow-list fail with EPERM; unknown ones
	 * (newer than this table) with the default ENOSYS. */
	for (size_t i = 0; i < n_known; i++) {
		const char *s = known[i];
		if (rd_allowed(s) || rd_cap_allowed(s, caps) || !strcmp(s, "clone") ||
		    !strcmp(s, "clone3") || !strcmp(s, "personality"))
			continue;
		scg_add_simple(g, s, PL_SC_ACT_ERRNO, EPERM, o, NULL);
	}
	for (size_t i = 0; rd_extra_deny[i]; i++)
		if (rd_allowed(rd_extra_deny[i]) || rd_cap_allowed(rd_extra_deny[i], ~0ull))
			g->r = pl_error(g->d, -EINVAL, NULL, NULL, "internal: %s in allow-list",
					rd_extra_deny[i]);
}

void scg_set_arches(struct gen *g)
{
	struct pl_sc_profile *p = g->p;
	p->n_architectures = SC_ARCH__MAX;
	p->architectures = pl_arena_alloc(p->arena, SC_ARCH__MAX * sizeof(char *));
	for (int a = 0; a < SC_ARCH__MAX; a++)
		p->architectures[a] = pl_arena_strdup(p->arena, sc_arch_oci_name((enum sc_arch)a));
}

/* The AF_VSOCK deny tests socket's family as the built-in rules do
 * (MASKED_EQ 0xffffffff: an int argument); when a syscallRawRules entry tests
 * it with a plain comparison, it does so too, since libseccomp cannot mix
 * the two on one argument (and a raw rule written that way stays valid). */
void scg_vsock_style(struct gen *g)
{
	struct ent *vsock = NULL;
	bool plain = false;
	for (size_t i = 0; i < g->n; i++) {
		struct ent *e = &g->ents[i];
		if (e->dead || strcmp(e->name, "socket"))
			continue;
		if (e->comment && !strcmp(e->comment, SCG_VSOCK)) {
			vsock = e;
			continue;
		}
		for (uint8_t k = 0; k < e->n_args; k++)
			plain |= e->args[k].index == 0 && e->args[k].op != PL_SC_OP_MASKED_EQ;
	}
	if (vsock && plain)
		vsock->args[0] =
		    (struct pl_sc_arg){ .index = 0, .value = AF_VSOCK, .op = PL_SC_OP_EQ };
}
