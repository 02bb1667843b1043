/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy → seccomp profile (struct pl_sc_profile), for every mode.
 *
 * The profile is first built as a flat list of one-name entries ("ents"):
 * the base (RuntimeDefault allow-list, AlwaysAllow, a DefenseInDepth custom
 * profile) and the rules (built-in translations, syscallRawRules). Then, per
 * syscall, the rules are merged into the base (see merge_syscall()) so that
 * the result means the same thing whichever order libseccomp (ours, or
 * runc's, which adds OCI entries one by one) sees the entries in. Finally
 * entries with the same action, arguments and origin are grouped again.
 *
 * libseccomp 2.5.4 facts this relies on (tests/seccomp/test-libseccomp.c):
 *  - an unconditional rule for a syscall wins over every conditional rule for
 *    it, whatever the order they were added in and whatever their actions;
 *  - two conditional rules with different actions that both match resolve
 *    in libseccomp's tree order, not by action severity;
 *  - one rule cannot hold two conditions on the same argument (EINVAL).
 * So a conditional rule on a syscall the base allows unconditionally would
 * be silently dropped. Instead the base entry is replaced by its
 * complement: "allowed where no rule matches", written with conditions that
 * never overlap the rules' own (and never two on one argument).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "plastron/gen.h"
#include "seccomp-internal.h"
#include "shared/macro.h"

/*
 * RuntimeDefault: what a normal, unprivileged container may call, with the
 * semantics of the container runtimes' default profiles (no CAP_SYS_ADMIN:
 * no mount, unshare, setns, pivot_root, keyctl, bpf, ...). io_uring is
 * denied on top. Sorted.
 */
static const char *const rd_allow[] = {
	"_llseek",
	"_newselect",
	"accept",
	"accept4",
	"access",
	"adjtimex",
	"alarm",
	"arch_prctl",
	"bind",
	"brk",
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
	"get_mempolicy",
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
	"listxattr",
	"llistxattr",
	"lremovexattr",
	"lseek",
	"lsetxattr",
	"lstat",
	"lstat64",
	"madvise",
	"map_shadow_stack",
	"mbind",
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
	"pidfd_getfd",
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
	"rename",
	"renameat",
	"renameat2",
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
	"set_mempolicy",
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
	"utime",
	"utimensat",
	"utimensat_time64",
	"utimes",
	"vfork",
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

/* Never allowed by RuntimeDefault on top of the runtimes' defaults. */
static const char *const rd_extra_deny[] = { "io_uring_enter", "io_uring_register",
					     "io_uring_setup", NULL };

static const char *const modeling_allow[] = { "close", "open",  "openat", "openat2",
					      "read",  "write", NULL };

struct ent {
	const char *name;
	enum pl_sc_action act;
	bool has_errno;
	uint32_t errno_ret;
	uint8_t n_args;
	struct pl_sc_arg args[6];
	const char *origin;
	const char *comment;
	const struct pl_sc_syscall *src; /* includes/excludes come from here */
	struct pl_pos pos;
	bool rule; /* a rule (vs. the base) */
	bool dead;
};

struct gen {
	struct pl_sc_profile *p;
	struct pl_diag *d;
	struct ent *ents;
	size_t n, cap;
	bool log_flag;
	int r;
};

static struct ent *push(struct gen *g, const struct ent *e)
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

static bool name_relevant(const char *name)
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

static void add_simple(struct gen *g, const char *name, enum pl_sc_action act, int err,
		       const char *origin, const char *comment)
{
	struct ent e = { .name = name, .act = act, .origin = origin, .comment = comment };
	if (err) {
		e.has_errno = true;
		e.errno_ret = (uint32_t)err;
	}
	push(g, &e);
}

/* Every syscall name libseccomp (or plastron) knows on x86_64, ia32 and x32,
 * sorted; computed once per process (again after a failed allocation). */
static char **known_v;
static size_t known_n;
static pthread_mutex_t known_lock = PTHREAD_MUTEX_INITIALIZER;

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

static void base_runtime_default(struct gen *g)
{
	const char *o = "runtime-default";
	g->p->default_action = PL_SC_ACT_ERRNO;
	g->p->has_default_errno_ret = true;
	g->p->default_errno_ret = ENOSYS;
	for (size_t i = 0; i < PL_ARRAY_SIZE(rd_allow); i++)
		if (name_relevant(rd_allow[i]))
			add_simple(g, rd_allow[i], PL_SC_ACT_ALLOW, 0, o, NULL);
	for (size_t i = 0; i < PL_ARRAY_SIZE(rd_personality); i++) {
		struct ent e = {
			.name = "personality", .act = PL_SC_ACT_ALLOW, .origin = o, .n_args = 1
		};
		e.args[0] =
		    (struct pl_sc_arg){ .index = 0, .value = rd_personality[i], .op = PL_SC_OP_EQ };
		push(g, &e);
	}
	struct ent c = { .name = "clone", .act = PL_SC_ACT_ALLOW, .origin = o, .n_args = 1 };
	c.args[0] = (struct pl_sc_arg){
		.index = 0, .value = RD_CLONE_NS_MASK, .value_two = 0, .op = PL_SC_OP_MASKED_EQ
	};
	push(g, &c);
	/* clone3 passes its flags in memory: ENOSYS makes glibc fall back to clone. */
	add_simple(g, "clone3", PL_SC_ACT_ERRNO, ENOSYS, o, NULL);
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
		if (rd_allowed(s) || !strcmp(s, "clone") || !strcmp(s, "clone3") ||
		    !strcmp(s, "personality"))
			continue;
		add_simple(g, s, PL_SC_ACT_ERRNO, EPERM, o, NULL);
	}
	for (size_t i = 0; rd_extra_deny[i]; i++)
		if (rd_allowed(rd_extra_deny[i]))
			g->r = pl_error(g->d, -EINVAL, NULL, NULL, "internal: %s in allow-list",
					rd_extra_deny[i]);
}

static void set_arches(struct gen *g)
{
	struct pl_sc_profile *p = g->p;
	p->n_architectures = SC_ARCH__MAX;
	p->architectures = pl_arena_alloc(p->arena, SC_ARCH__MAX * sizeof(char *));
	for (int a = 0; a < SC_ARCH__MAX; a++)
		p->architectures[a] = pl_arena_strdup(p->arena, sc_arch_oci_name((enum sc_arch)a));
}

/* ---- rules ------------------------------------------------------------------ */

/* Push one rule entry; conditions on the same index are split into OR-ed
 * entries (cross product), so no entry holds two conditions on one index. */
static void push_split(struct gen *g, struct ent *e, const struct pl_sc_arg *args, size_t n)
{
	/* group conditions by index */
	size_t cnt[6] = { 0 };
	for (size_t i = 0; i < n; i++)
		cnt[args[i].index]++;
	size_t combos = 1;
	for (int i = 0; i < 6; i++)
		if (cnt[i])
			combos *= cnt[i];
	for (size_t c = 0; c < combos; c++) {
		size_t rest = c;
		e->n_args = 0;
		for (uint32_t idx = 0; idx < 6; idx++) {
			if (!cnt[idx])
				continue;
			size_t pick = rest % cnt[idx], seen = 0;
			rest /= cnt[idx];
			for (size_t i = 0; i < n; i++)
				if (args[i].index == idx && seen++ == pick)
					e->args[e->n_args++] = args[i];
		}
		push(g, e);
	}
}

/* runc's reading of an OCI entry: several conditions on one index make every
 * condition a rule of its own. */
static void push_oci(struct gen *g, struct ent *e, const struct pl_sc_arg *args, size_t n)
{
	unsigned seen = 0;
	bool multi = false;
	for (size_t i = 0; i < n; i++) {
		if (seen & (1u << args[i].index))
			multi = true;
		seen |= 1u << args[i].index;
	}
	if (!multi) {
		e->n_args = (uint8_t)n;
		if (n)
			memcpy(e->args, args, n * sizeof(*args));
		push(g, e);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		e->n_args = 1;
		e->args[0] = args[i];
		push(g, e);
	}
}

/* ia32 reaches the socket calls through socketcall(2) too, whose arguments
 * sit in memory. A rule on one of them also gets an unconditional rule on
 * socketcall (broader on ia32, as the catalog's own translations do; 32-bit
 * libcs use the direct socket syscalls since Linux 4.3). The filter adds
 * socketcall entries first so libseccomp's derived socketcall(a0 == SYS_*)
 * rules give way to them. */
static const char *const socket_calls[] = {
	NULL,          "socket",     "bind",    "connect", "listen",  "accept",   "getsockname",
	"getpeername", "socketpair", "send",    "recv",    "sendto",  "recvfrom", "shutdown",
	"setsockopt",  "getsockopt", "sendmsg", "recvmsg", "accept4", "recvmmsg", "sendmmsg",
};

static void socketcall_twin(struct gen *g, const struct ent *e)
{
	for (size_t i = 1; i < PL_ARRAY_SIZE(socket_calls); i++) {
		if (strcmp(socket_calls[i], e->name))
			continue;
		struct ent t = *e;
		t.name = "socketcall";
		t.n_args = 0;
		push(g, &t);
	}
}

static void action_for(struct gen *g, enum pl_action eff, int err, struct ent *e)
{
	switch (eff) {
	case PL_ACTION_DENY_LOG:
		g->log_flag = true;
		/* fall through */
	case PL_ACTION_DENY:
		e->act = PL_SC_ACT_ERRNO;
		e->has_errno = true;
		e->errno_ret = err ? (uint32_t)err : EPERM;
		break;
	case PL_ACTION_ALLOW_LOG:
		e->act = PL_SC_ACT_LOG;
		break;
	}
}

static void add_builtin(struct gen *g, const struct pl_policy *p, const struct pl_gen_opts *o)
{
	struct pl_plan *plan = NULL;
	int r = pl_plan_build(p, 1u << PL_MECH_SECCOMP, &plan, g->d);
	if (r < 0) {
		g->r = r;
		return;
	}
	for (size_t i = 0; i < plan->n; i++) {
		const struct pl_translation *tr = plan->items[i].by[PL_MECH_SECCOMP];
		const struct pl_rule_use *use = plan->items[i].use;
		if (!tr)
			continue;
		enum pl_action eff = pl_effective_action(use->action, o);
		for (size_t j = 0; j < tr->u.seccomp.n; j++) {
			const struct pl_tr_sc_rule *sr = &tr->u.seccomp.rules[j];
			struct ent e = { .name = sr->syscall,
					 .origin = use->rule->id,
					 .pos = use->pos,
					 .rule = true };
			/* An ENOSYS translation (clone3) keeps its errno: it must look
			 * unimplemented whatever the run mode says, except that audit
			 * modes log instead. */
			action_for(g, eff, sr->errno_ret, &e);
			if (!name_relevant(sr->syscall))
				continue;
			push_split(g, &e, sr->args, sr->n_args);
			socketcall_twin(g, &e);
		}
	}
	pl_plan_free(plan);
}

/*
 * seccomp compares all 64 bits of an argument register; for an int argument
 * the kernel uses only the low 32. A denying rule that tests an int argument
 * with SCMP_CMP_EQ (or LT/LE, or a mask with upper bits) is bypassed by
 * setting upper bits: socket(0x100000026, ...) is AF_ALG to the kernel.
 * plastron keeps what syscallRawRules say (widening EQ v to
 * (a & 0xffffffff) == v would also deny v + k * 2^32 for arguments that are
 * really 64 bits: pointers, sizes, unsigned long flags, and plastron has no
 * per-syscall argument types) and warns instead.
 */
static void warn_upper_bits(struct gen *g, const struct pl_sc_syscall *sc, const char *field,
			    size_t i)
{
	if (!sc_action_denies(sc->action))
		return;
	for (size_t a = 0; a < sc->n_args; a++) {
		const struct pl_sc_arg *x = &sc->args[a];
		bool weak =
		    ((x->op == PL_SC_OP_EQ || x->op == PL_SC_OP_LE || x->op == PL_SC_OP_LT) &&
		     x->value <= 0xffffffffull) ||
		    (x->op == PL_SC_OP_MASKED_EQ && (x->value >> 32) && !(x->value_two >> 32));
		if (!weak)
			continue;
		char f[128];
		snprintf(f, sizeof(f), "%s[%zu].args[%zu]", field, i, a);
		pl_warning(
		    g->d, &sc->pos, f,
		    "%s on argument %u of '%s': if that argument is an int, the kernel "
		    "reads only its low 32 bits while seccomp compares all 64, so setting "
		    "upper bits bypasses this rule; use SCMP_CMP_MASKED_EQ with value "
		    "0xffffffff (4294967295) and valueTwo %llu",
		    sc_op_name(x->op), x->index, sc->n_names ? sc->names[0] : "?",
		    (unsigned long long)(x->op == PL_SC_OP_MASKED_EQ ? x->value_two : x->value));
	}
}

static void add_raw(struct gen *g, const struct pl_sc_syscall *raw, size_t n, const char *origin,
		    const char *field, const struct pl_gen_opts *o)
{
	for (size_t i = 0; i < n; i++) {
		const struct pl_sc_syscall *sc = &raw[i];
		enum pl_sc_action act = sc->action;
		if (sc_action_denies(act)) {
			if (o && (o->run_mode == PL_RUN_AUDIT || o->run_mode == PL_RUN_OBSERVE))
				act = PL_SC_ACT_LOG;
			else if (o && (o->run_mode == PL_RUN_ENFORCE || o->force_log))
				g->log_flag = true;
		}
		for (size_t j = 0; j < sc->n_names; j++) {
			char f[128];
			snprintf(f, sizeof(f), "%s[%zu].names[%zu]", field, i, j);
			if (sc_action_denies(act) && sc_is_never_deny(sc->names[j])) {
				g->r = pl_error(g->d, -EINVAL, &sc->pos, f,
						"'%s' can never be denied (the process could not "
						"exit or return from a signal)",
						sc->names[j]);
				continue;
			}
			int nr = sc_resolve(sc->names[j], SC_ARCH_X86_64);
			if (nr == -2) {
				g->r = pl_error(g->d, -EINVAL, &sc->pos, f, "unknown syscall '%s'",
						sc->names[j]);
				continue;
			}
			struct ent e = { .name = sc->names[j],
					 .act = act,
					 .has_errno = sc->has_errno_ret,
					 .errno_ret = sc->errno_ret,
					 .origin = origin,
					 .comment = sc->comment,
					 .pos = sc->pos,
					 .rule = true };
			if (act == PL_SC_ACT_ERRNO && !e.has_errno) {
				e.has_errno = true;
				e.errno_ret = EPERM;
			}
			push_oci(g, &e, sc->args, sc->n_args);
			socketcall_twin(g, &e);
		}
		warn_upper_bits(g, sc, field, i);
	}
}

static void base_custom(struct gen *g, const struct pl_sc_profile *c, bool allow_violations)
{
	struct pl_sc_profile *p = g->p;
	struct pl_arena *a = p->arena;
	p->default_action = allow_violations ? PL_SC_ACT_LOG : PL_SC_ACT_ERRNO;
	if (!allow_violations && c->default_action == PL_SC_ACT_ERRNO) {
		int en = pl_errno_from_name(c->default_errno_name);
		if (c->has_default_errno_ret) {
			p->has_default_errno_ret = true;
			p->default_errno_ret = c->default_errno_ret;
		} else if (en > 0) {
			p->has_default_errno_ret = true;
			p->default_errno_ret = (uint32_t)en;
		}
	}
	if (c->n_architectures) {
		p->n_architectures = c->n_architectures;
		p->architectures = pl_arena_alloc(a, c->n_architectures * sizeof(char *));
		for (size_t i = 0; i < c->n_architectures; i++)
			p->architectures[i] = pl_arena_strdup(a, c->architectures[i]);
	} else {
		set_arches(g);
	}
	p->n_arch_map = c->n_arch_map;
	p->arch_map =
	    c->n_arch_map ? pl_arena_alloc(a, c->n_arch_map * sizeof(*p->arch_map)) : NULL;
	for (size_t i = 0; i < c->n_arch_map; i++) {
		p->arch_map[i].arch = pl_arena_strdup(a, c->arch_map[i].arch);
		p->arch_map[i].n_sub_arches = c->arch_map[i].n_sub_arches;
		p->arch_map[i].sub_arches =
		    pl_arena_alloc(a, (c->arch_map[i].n_sub_arches + 1) * sizeof(char *));
		for (size_t j = 0; j < c->arch_map[i].n_sub_arches; j++)
			p->arch_map[i].sub_arches[j] =
			    pl_arena_strdup(a, c->arch_map[i].sub_arches[j]);
	}
	p->n_flags = c->n_flags;
	p->flags = c->n_flags ? pl_arena_alloc(a, c->n_flags * sizeof(char *)) : NULL;
	for (size_t i = 0; i < c->n_flags; i++)
		p->flags[i] = pl_arena_strdup(a, c->flags[i]);
	p->listener_path = pl_arena_strdup(a, c->listener_path);
	p->listener_metadata = pl_arena_strdup(a, c->listener_metadata);
	for (size_t i = 0; i < c->n_syscalls; i++) {
		const struct pl_sc_syscall *sc = &c->syscalls[i];
		for (size_t j = 0; j < sc->n_names; j++) {
			if (sc_action_denies(sc->action) && sc_is_never_deny(sc->names[j])) {
				pl_warning(
				    g->d, &sc->pos, "spec.policy.defenseInDepth.seccomp",
				    "customProfile denies '%s', which plastron always allows",
				    sc->names[j]);
				continue;
			}
			if (sc_resolve(sc->names[j], SC_ARCH_X86_64) == -2) {
				char f[96];
				snprintf(f, sizeof(f), "customProfile.syscalls[%zu].names[%zu]", i,
					 j);
				g->r = pl_error(g->d, -EINVAL, &sc->pos, f, "unknown syscall '%s'",
						sc->names[j]);
				continue;
			}
			struct ent e = { .name = sc->names[j],
					 .act = sc->action,
					 .has_errno = sc->has_errno_ret,
					 .errno_ret = sc->errno_ret,
					 .origin = "defenseInDepth",
					 .comment = sc->comment,
					 .src = (sc->has_includes || sc->has_excludes) ? sc : NULL,
					 .pos = sc->pos };
			if (!e.has_errno && pl_errno_from_name(sc->errno_name) > 0) {
				e.has_errno = true;
				e.errno_ret = (uint32_t)pl_errno_from_name(sc->errno_name);
			}
			push_oci(g, &e, sc->args, sc->n_args);
		}
	}
}

/* ---- merging ------------------------------------------------------------------ */

static int arg_cmp(const void *x, const void *y)
{
	const struct pl_sc_arg *a = x, *b = y;
	if (a->index != b->index)
		return a->index < b->index ? -1 : 1;
	if (a->op != b->op)
		return a->op < b->op ? -1 : 1;
	if (a->value != b->value)
		return a->value < b->value ? -1 : 1;
	if (a->value_two != b->value_two)
		return a->value_two < b->value_two ? -1 : 1;
	return 0;
}

static int act_rank(enum pl_sc_action a)
{
	switch (a) {
	case PL_SC_ACT_KILL_PROCESS:
		return 9;
	case PL_SC_ACT_KILL:
	case PL_SC_ACT_KILL_THREAD:
		return 8;
	case PL_SC_ACT_TRAP:
		return 7;
	case PL_SC_ACT_ERRNO:
		return 6;
	case PL_SC_ACT_NOTIFY:
		return 5;
	case PL_SC_ACT_TRACE:
		return 4;
	case PL_SC_ACT_LOG:
		return 3;
	default:
		return 1;
	}
}

/*
 * The entries for one syscall are compiled into a decision tree over the
 * argument indices, emitted as flat OCI entries whose conditions at each
 * index are pairwise disjoint between entries that continue differently.
 * libseccomp 2.5.4 needs that: it does not backtrack, so with overlapping
 * first-level conditions (say "a0 != 10 && a2 != 1" next to
 * "a0 == 2 && a2 == 1") a call can end in the wrong branch
 * (tests/seccomp/test-libseccomp.c). Entries that are leaves with the
 * winning action may overlap (the result is the same either way).
 *
 * Priorities: a rule beats the base; among equals the stronger action
 * (kernel precedence) wins; an unconditional rule takes the whole syscall.
 */
struct item {
	struct pl_sc_arg c[6];
	bool has[6];
	int key; /* prio * 16 + action rank */
	size_t order;
	const struct ent *src;
};

struct cctx {
	struct gen *g;
	const char *name;
	struct ent *out;
	size_t n_out, cap_out;
	bool failed;
};

#define MAX_OUT 4096
#define MAX_SPLIT 64

static void fail_code(struct cctx *c, int code, const char *why)
{
	if (c->failed)
		return;
	c->failed = true;
	if (code == -ENOMEM) {
		c->g->r = pl_error(c->g->d, -ENOMEM, NULL, NULL, "%s: out of memory", c->name);
		return;
	}
	c->g->r =
	    pl_error(c->g->d, code, NULL, NULL,
		     "%s: the rules for this syscall cannot be written as OCI seccomp entries "
		     "that libseccomp evaluates correctly (%s)",
		     c->name, why);
}

static void fail(struct cctx *c, const char *why)
{
	fail_code(c, -EINVAL, why);
}

static void leaf(struct cctx *c, const struct pl_sc_arg *pre, const bool *has,
		 const struct item *it)
{
	if (c->failed)
		return;
	if (c->n_out >= MAX_OUT)
		return fail(c, "too many entries");
	if (c->n_out == c->cap_out) {
		size_t cap = c->cap_out ? c->cap_out * 2 : 32;
		struct ent *v = realloc(c->out, cap * sizeof(*v));
		if (!v)
			return fail_code(c, -ENOMEM, NULL);
		c->out = v;
		c->cap_out = cap;
	}
	struct ent e = *it->src;
	e.dead = false;
	e.n_args = 0;
	for (int i = 0; i < 6; i++)
		if (has[i])
			e.args[e.n_args++] = pre[i];
	c->out[c->n_out++] = e;
}

struct ivl {
	uint64_t lo, hi;
};

/* The values where an interval-type condition holds (up to two intervals). */
static size_t cond_ivls(const struct pl_sc_arg *a, struct ivl *o)
{
	uint64_t x = a->value;
	switch (a->op) {
	case PL_SC_OP_EQ:
		o[0] = (struct ivl){ x, x };
		return 1;
	case PL_SC_OP_NE: {
		size_t n = 0;
		if (x > 0)
			o[n++] = (struct ivl){ 0, x - 1 };
		if (x < UINT64_MAX)
			o[n++] = (struct ivl){ x + 1, UINT64_MAX };
		return n;
	}
	case PL_SC_OP_LT:
		if (x == 0)
			return 0;
		o[0] = (struct ivl){ 0, x - 1 };
		return 1;
	case PL_SC_OP_LE:
		o[0] = (struct ivl){ 0, x };
		return 1;
	case PL_SC_OP_GT:
		if (x == UINT64_MAX)
			return 0;
		o[0] = (struct ivl){ x + 1, UINT64_MAX };
		return 1;
	case PL_SC_OP_GE:
		o[0] = (struct ivl){ x, UINT64_MAX };
		return 1;
	default:
		return 0;
	}
}

static bool ivl_covers(const struct pl_sc_arg *a, struct ivl e)
{
	struct ivl v[2];
	size_t n = cond_ivls(a, v);
	for (size_t i = 0; i < n; i++)
		if (v[i].lo <= e.lo && e.hi <= v[i].hi)
			return true;
	return false;
}

/* masked-eq a ∧ b: false when contradictory */
static bool mask_merge(const struct pl_sc_arg *a, const struct pl_sc_arg *b, struct pl_sc_arg *o)
{
	if ((a->value_two & ~a->value) || (b->value_two & ~b->value))
		return false;
	if ((a->value_two ^ b->value_two) & a->value & b->value)
		return false;
	*o = (struct pl_sc_arg){ .index = a->index,
				 .value = a->value | b->value,
				 .value_two = a->value_two | b->value_two,
				 .op = PL_SC_OP_MASKED_EQ };
	return true;
}

static void compile(struct cctx *c, const struct pl_sc_arg *pre, const bool *has,
		    struct item *items, size_t n);

/* Recurse into region `r` on index i: items whose condition on i holds on
 * all of r lose it, items whose condition misses r are dropped, the others
 * keep theirs (narrowed). */
static void region(struct cctx *c, const struct pl_sc_arg *pre, const bool *has, uint32_t i,
		   const struct pl_sc_arg *r, bool r_none, struct item *items, size_t n, bool ivl,
		   struct ivl span)
{
	struct pl_sc_arg p2[6];
	bool h2[6];
	memcpy(p2, pre, sizeof(p2));
	memcpy(h2, has, sizeof(h2));
	if (r_none) {
		h2[i] = false;
	} else {
		p2[i] = *r;
		h2[i] = true;
	}
	struct item *sub = malloc((n ? n : 1) * sizeof(*sub));
	if (!sub)
		return fail_code(c, -ENOMEM, NULL);
	size_t m = 0;
	for (size_t k = 0; k < n; k++) {
		struct item it = items[k];
		if (it.has[i]) {
			if (ivl) {
				if (ivl_covers(&it.c[i], span))
					it.has[i] = false;
				else
					continue; /* partition: disjoint */
			} else {
				struct pl_sc_arg mg;
				if (!mask_merge(&it.c[i], r, &mg))
					continue;
				if (mg.value == r->value && mg.value_two == r->value_two)
					it.has[i] = false; /* holds on all of r */
				else
					it.c[i] = mg;
			}
		}
		sub[m++] = it;
	}
	if (m)
		compile(c, p2, h2, sub, m);
	free(sub);
}

/* (a & 0xffffffff) == v: an int argument equals v, whatever the upper 32 bits
 * of the register hold (the catalog's INT_EQ). */
#define INT_MASK 0xffffffffull

static bool is_int_eq(const struct pl_sc_arg *a)
{
	return a->op == PL_SC_OP_MASKED_EQ && a->value == INT_MASK && !(a->value_two & ~INT_MASK);
}

/* Regions covering [lo, lo + 2^k) of the low 32 bits minus the values in v
 * (sorted): the largest aligned blocks that hold none of them, each written
 * as (a & mask) == lo with mask = 0xffffffff & ~(2^k - 1). */
static void int_eq_gaps(struct cctx *c, const struct pl_sc_arg *pre, const bool *has, uint32_t i,
			struct item *items, size_t n, const uint64_t *v, size_t nv, uint64_t lo,
			int k)
{
	if (c->failed)
		return;
	uint64_t hi = lo + (1ull << k) - 1;
	size_t first = 0;
	while (first < nv && v[first] < lo)
		first++;
	bool any = first < nv && v[first] <= hi;
	if (!any) {
		struct pl_sc_arg r = { .index = i,
				       .value = INT_MASK & ~((1ull << k) - 1),
				       .value_two = lo,
				       .op = PL_SC_OP_MASKED_EQ };
		region(c, pre, has, i, &r, false, items, n, false, (struct ivl){ 0, 0 });
		return;
	}
	if (k == 0)
		return; /* one of the values: its own region */
	int_eq_gaps(c, pre, has, i, items, n, v, nv, lo, k - 1);
	int_eq_gaps(c, pre, has, i, items, n, v, nv, lo + (1ull << (k - 1)), k - 1);
}

/*
 * Every condition on index i is an int equality (a & 0xffffffff) == v, and
 * some items have no condition on i: one region per value, and the rest of
 * the low-32-bit space as aligned blocks holding none of the values (about
 * 32 - log2(max v) blocks plus a few per value). The regions are disjoint
 * whatever the upper 32 bits hold. Returns false when not applicable.
 */
static bool int_eq_partition(struct cctx *c, const struct pl_sc_arg *pre, const bool *has,
			     uint32_t i, struct item *items, size_t n)
{
	uint64_t v[MAX_SPLIT];
	size_t nv = 0;
	for (size_t k = 0; k < n; k++) {
		if (!items[k].has[i])
			continue;
		if (!is_int_eq(&items[k].c[i]))
			return false;
		bool seen = false;
		for (size_t l = 0; l < nv && !seen; l++)
			seen = v[l] == items[k].c[i].value_two;
		if (seen)
			continue;
		if (nv == MAX_SPLIT) {
			fail(c, "too many values");
			return true;
		}
		v[nv++] = items[k].c[i].value_two;
	}
	if (!nv)
		return false;
	for (size_t a = 1; a < nv; a++)
		for (size_t b = a; b > 0 && v[b - 1] > v[b]; b--) {
			uint64_t t = v[b];
			v[b] = v[b - 1];
			v[b - 1] = t;
		}
	for (size_t a = 0; a < nv; a++) {
		struct pl_sc_arg r = {
			.index = i, .value = INT_MASK, .value_two = v[a], .op = PL_SC_OP_MASKED_EQ
		};
		region(c, pre, has, i, &r, false, items, n, false, (struct ivl){ 0, 0 });
	}
	int_eq_gaps(c, pre, has, i, items, n, v, nv, 0, 32);
	return true;
}

static void compile(struct cctx *c, const struct pl_sc_arg *pre, const bool *has,
		    struct item *items, size_t n)
{
	if (c->failed || !n)
		return;
	/* 1. an item without conditions left wins the whole region */
	const struct item *best = NULL;
	int maxkey = 0;
	for (size_t k = 0; k < n; k++) {
		bool any = false;
		for (int i = 0; i < 6; i++)
			any |= items[k].has[i];
		if (items[k].key > maxkey)
			maxkey = items[k].key;
		if (!any && (!best || items[k].key > best->key ||
			     (items[k].key == best->key && items[k].order < best->order)))
			best = &items[k];
	}
	/* an unconditional item only decides when nothing stronger remains */
	if (best && best->key == maxkey)
		return leaf(c, pre, has, best);
	/* 2. the lowest index with a condition, preferring one whose conditions
	 * are all int equalities: its complement (about 30 aligned blocks) is
	 * then written once, not once per region of another index. */
	uint32_t i = 6;
	for (size_t k = 0; k < n; k++)
		for (uint32_t x = 0; x < 6; x++)
			if (items[k].has[x] && x < i)
				i = x;
	for (uint32_t x = 0; x < 6; x++) {
		bool any = false, all = !has[x];
		for (size_t k = 0; k < n && all; k++)
			if (items[k].has[x]) {
				any = true;
				all = is_int_eq(&items[k].c[x]);
			}
		if (any && all) {
			i = x;
			break;
		}
	}
	bool mask = false, cmp = false;
	for (size_t k = 0; k < n; k++)
		if (items[k].has[i]) {
			if (items[k].c[i].op == PL_SC_OP_MASKED_EQ)
				mask = true;
			else
				cmp = true;
		}
	if (has[i]) {
		if (pre[i].op == PL_SC_OP_MASKED_EQ)
			mask = true;
		else
			cmp = true;
	}
	if (mask && cmp)
		return fail(c, "masked and plain comparisons on one argument; the built-in rules "
			       "test int arguments as SCMP_CMP_MASKED_EQ 0xffffffff: write "
			       "syscallRawRules' tests of the same argument that way too");

	/* 3. masks: single-bit leaves with the winning key are emitted as they
	 * are (they may overlap: same key), the rest gets "none of those bits". */
	bool simple_ok = mask;
	size_t n_top = 0;
	for (size_t k = 0; k < n; k++) {
		const struct item *it = &items[k];
		if (!it->has[i] || it->key != maxkey)
			continue;
		bool only = true;
		for (int x = 0; x < 6; x++)
			if (x != (int)i && it->has[x])
				only = false;
		const struct pl_sc_arg *a = &it->c[i];
		bool simple =
		    only && a->value == a->value_two && __builtin_popcountll(a->value) == 1;
		if (simple)
			n_top++;
		else if (only)
			simple_ok = false;
	}
	if (n_top && simple_ok) {
		uint64_t M = 0;
		struct item *rest = malloc(n * sizeof(*rest));
		if (!rest)
			return fail_code(c, -ENOMEM, NULL);
		size_t nr = 0;
		for (size_t k = 0; k < n; k++) {
			const struct item *it = &items[k];
			bool only = true;
			for (int x = 0; x < 6; x++)
				if (x != (int)i && it->has[x])
					only = false;
			if (it->has[i] && it->key == maxkey && only) {
				struct pl_sc_arg p2[6];
				bool h2[6];
				memcpy(p2, pre, sizeof(p2));
				memcpy(h2, has, sizeof(h2));
				p2[i] = it->c[i];
				if (mask && has[i] && !mask_merge(&pre[i], &it->c[i], &p2[i]))
					continue;
				h2[i] = true;
				leaf(c, p2, h2, it);
				M |= it->c[i].value;
				continue;
			}
			rest[nr++] = *it;
		}
		{
			struct pl_sc_arg r = { .index = i, .value = M, .op = PL_SC_OP_MASKED_EQ };
			if (nr && (!has[i] || mask_merge(&pre[i], &r, &r))) {
				/* items keep their own (merged) conditions on i */
				struct pl_sc_arg p2[6];
				bool h2[6];
				memcpy(p2, pre, sizeof(p2));
				memcpy(h2, has, sizeof(h2));
				p2[i] = r;
				h2[i] = true;
				size_t m = 0;
				for (size_t k = 0; k < nr; k++) {
					if (rest[k].has[i]) {
						struct pl_sc_arg mg;
						if (!mask_merge(&rest[k].c[i], &r, &mg))
							continue;
						if (mg.value == r.value &&
						    mg.value_two == r.value_two)
							rest[k].has[i] = false;
						else
							rest[k].c[i] = mg;
					}
					rest[m++] = rest[k];
				}
				compile(c, p2, h2, rest, m);
			}
		}
		free(rest);
		return;
	}

	/* 4. general partition of index i */
	if (mask) {
		/* pairwise disjoint (or equal) conditions and nothing without one:
		 * each condition is its own region */
		bool wild = false, disjoint = true;
		for (size_t k = 0; k < n; k++)
			wild |= !items[k].has[i];
		for (size_t k = 0; k < n && !wild && disjoint; k++)
			for (size_t l = k + 1; l < n && disjoint; l++) {
				struct pl_sc_arg mg;
				const struct pl_sc_arg *a = &items[k].c[i], *b = &items[l].c[i];
				if (a->value == b->value && a->value_two == b->value_two)
					continue;
				if (mask_merge(a, b, &mg))
					disjoint = false;
			}
		if (!wild && disjoint) {
			for (size_t k = 0; k < n; k++) {
				bool seen = false;
				for (size_t l = 0; l < k && !seen; l++)
					seen = items[l].c[i].value == items[k].c[i].value &&
					       items[l].c[i].value_two == items[k].c[i].value_two;
				if (seen)
					continue;
				struct pl_sc_arg r = items[k].c[i];
				if (has[i] && !mask_merge(&pre[i], &r, &r))
					continue;
				region(c, pre, has, i, &r, false, items, n, false,
				       (struct ivl){ 0, 0 });
			}
			return;
		}
		if (!has[i] && int_eq_partition(c, pre, has, i, items, n))
			return;
		uint64_t M = 0;
		for (size_t k = 0; k < n; k++)
			if (items[k].has[i])
				M |= items[k].c[i].value;
		if (has[i])
			M |= pre[i].value;
		if (__builtin_popcountll(M) > 6)
			return fail(c, "too many mask bits to enumerate");
		uint64_t bits[6];
		int nb = 0;
		for (int b = 0; b < 64; b++)
			if (M & (1ull << b))
				bits[nb++] = 1ull << b;
		for (uint64_t p = 0; p < (1ull << nb); p++) {
			uint64_t v = 0;
			for (int b = 0; b < nb; b++)
				if (p & (1ull << b))
					v |= bits[b];
			struct pl_sc_arg r = {
				.index = i, .value = M, .value_two = v, .op = PL_SC_OP_MASKED_EQ
			};
			if (has[i] && ((pre[i].value_two ^ v) & pre[i].value))
				continue;
			/* skip regions where nothing applies */
			bool any = false;
			for (size_t k = 0; k < n && !any; k++)
				any = !items[k].has[i] ||
				      !((items[k].c[i].value_two ^ v) & items[k].c[i].value);
			if (any)
				region(c, pre, has, i, &r, false, items, n, false,
				       (struct ivl){ 0, 0 });
		}
		return;
	}
	/* interval partition */
	struct ivl span = { 0, UINT64_MAX };
	if (has[i]) {
		struct ivl v[2];
		if (cond_ivls(&pre[i], v) != 1)
			return fail(c, "split range");
		span = v[0];
	}
	uint64_t cuts[4 * MAX_SPLIT];
	size_t nc = 0;
	cuts[nc++] = span.lo;
	for (size_t k = 0; k < n; k++) {
		if (!items[k].has[i])
			continue;
		struct ivl v[2];
		size_t m = cond_ivls(&items[k].c[i], v);
		for (size_t j = 0; j < m; j++) {
			if (nc + 2 > PL_ARRAY_SIZE(cuts))
				return fail(c, "too many values");
			if (v[j].lo > span.lo && v[j].lo <= span.hi)
				cuts[nc++] = v[j].lo;
			if (v[j].hi < span.hi && v[j].hi >= span.lo)
				cuts[nc++] = v[j].hi + 1;
		}
	}
	for (size_t a = 1; a < nc; a++)
		for (size_t b = a; b > 0 && cuts[b - 1] > cuts[b]; b--) {
			uint64_t t = cuts[b];
			cuts[b] = cuts[b - 1];
			cuts[b - 1] = t;
		}
	for (size_t a = 0; a < nc; a++) {
		if (a + 1 < nc && cuts[a] == cuts[a + 1])
			continue;
		struct ivl e = { cuts[a], a + 1 < nc ? cuts[a + 1] - 1 : span.hi };
		bool any = false;
		for (size_t k = 0; k < n && !any; k++)
			any = !items[k].has[i] || ivl_covers(&items[k].c[i], e);
		if (!any)
			continue;
		if (e.lo == e.hi) {
			struct pl_sc_arg r = { .index = i, .value = e.lo, .op = PL_SC_OP_EQ };
			region(c, pre, has, i, &r, false, items, n, true, e);
		} else if (e.lo == 0 && e.hi == UINT64_MAX) {
			region(c, pre, has, i, NULL, true, items, n, true, e);
		} else if (e.lo == 0 || e.hi == UINT64_MAX) {
			struct pl_sc_arg r = { .index = i,
					       .value = e.lo == 0 ? e.hi : e.lo,
					       .op = e.lo == 0 ? PL_SC_OP_LE : PL_SC_OP_GE };
			region(c, pre, has, i, &r, false, items, n, true, e);
		} else if (e.hi - e.lo < 8) {
			for (uint64_t x = e.lo;; x++) {
				struct pl_sc_arg r = { .index = i, .value = x, .op = PL_SC_OP_EQ };
				region(c, pre, has, i, &r, false, items, n, true,
				       (struct ivl){ x, x });
				if (x == e.hi)
					break;
			}
		} else if (e.hi < (1ull << 63)) {
			/*
			 * A bounded range is one condition per aligned block:
			 * (a & M) == lo with M = ~(size - 1). Bit 63 stays out of M
			 * so that the mask fits the OCI JSON integer (int64): a value
			 * with bit 63 set can then also match a block; it is never a
			 * value a rule here denies (those are below 2^63), and the
			 * kernel truncates int arguments to their low 32 bits anyway.
			 */
			uint64_t lo = e.lo;
			for (;;) {
				int k = lo ? __builtin_ctzll(lo) : 63;
				while (k > 0 && lo + ((1ull << k) - 1) > e.hi)
					k--;
				uint64_t size_m1 = (1ull << k) - 1;
				struct pl_sc_arg r = { .index = i,
						       .value = 0x7fffffffffffffffull & ~size_m1,
						       .value_two = lo,
						       .op = PL_SC_OP_MASKED_EQ };
				if (k == 0)
					r = (struct pl_sc_arg){ .index = i,
								.value = lo,
								.op = PL_SC_OP_EQ };
				region(c, pre, has, i, &r, false, items, n, true,
				       (struct ivl){ lo, lo + size_m1 });
				if (lo + size_m1 >= e.hi)
					break;
				lo += size_m1 + 1;
			}
		} else {
			return fail(c, "a range above 2^63 between values");
		}
	}
}

/* Compile all entries of one syscall (see above). */
static void merge_syscall(struct gen *g, const char *name, struct ent **ents, size_t n,
			  struct ent **out, size_t *n_out)
{
	if (n < 2)
		return;
	/* Base entries alone stay as written (a DefenseInDepth custom profile's
	 * includes/excludes pairs keep their meaning for runc). */
	bool any_rule = false;
	for (size_t k = 0; k < n; k++)
		any_rule |= ents[k]->rule;
	if (!any_rule)
		return;
	/* Every entry does the same and one of them has no condition (say bpf:
	 * the base denies it with EPERM and a rule denies one command with
	 * EPERM): one unconditional entry, named
	 * after the strongest rule, instead of a tree whose leaves all agree. */
	bool same = true, whole = false;
	const struct ent *top = NULL;
	for (size_t k = 0; k < n; k++) {
		const struct ent *e = ents[k];
		same &= e->act == ents[0]->act && e->has_errno == ents[0]->has_errno &&
			e->errno_ret == ents[0]->errno_ret && !e->src;
		whole |= e->n_args == 0; /* the union covers every call */
		if (e->rule && (!top || !top->rule))
			top = e;
	}
	if (same && whole && top) {
		struct ent *o = malloc(sizeof(*o));
		if (!o) {
			g->r = pl_error(g->d, -ENOMEM, NULL, NULL, "out of memory");
			return;
		}
		*o = *top;
		o->n_args = 0;
		o->dead = false;
		for (size_t k = 0; k < n; k++)
			ents[k]->dead = true;
		*out = o;
		*n_out = 1;
		return;
	}
	struct item *items = calloc(n, sizeof(*items));
	if (!items) {
		g->r = pl_error(g->d, -ENOMEM, NULL, NULL, "out of memory");
		return;
	}
	for (size_t k = 0; k < n; k++) {
		items[k].src = ents[k];
		items[k].order = k;
		items[k].key = (ents[k]->rule ? 2 : 1) * 16 + act_rank(ents[k]->act);
		for (size_t a = 0; a < ents[k]->n_args; a++) {
			uint32_t x = ents[k]->args[a].index;
			items[k].c[x] = ents[k]->args[a];
			items[k].has[x] = true;
		}
	}
	struct cctx c = { .g = g, .name = name };
	struct pl_sc_arg pre[6] = { { 0 } };
	bool has[6] = { false };
	compile(&c, pre, has, items, n);
	free(items);
	if (c.failed) {
		free(c.out);
		return;
	}
	for (size_t k = 0; k < n; k++)
		ents[k]->dead = true;
	*out = c.out;
	*n_out = c.n_out;
}

static int ent_name_cmp(const void *a, const void *b)
{
	const struct ent *x = *(const struct ent *const *)a, *y = *(const struct ent *const *)b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x < y ? -1 : x > y;
}

static void merge_all(struct gen *g)
{
	size_t n = g->n;
	struct ent **by = malloc((n ? n : 1) * sizeof(*by));
	if (!by) {
		g->r = pl_error(g->d, -ENOMEM, NULL, NULL, "out of memory");
		return;
	}
	/* Pointers into g->ents move when push() grows it: work on indices. */
	size_t *idx = malloc((n ? n : 1) * sizeof(*idx));
	if (!idx) {
		free(by);
		g->r = pl_error(g->d, -ENOMEM, NULL, NULL, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++)
		by[i] = &g->ents[i];
	qsort(by, n, sizeof(*by), ent_name_cmp);
	for (size_t i = 0; i < n; i++)
		idx[i] = (size_t)(by[i] - g->ents);
	for (size_t i = 0; i < n && g->r >= 0;) {
		size_t j = i;
		while (j < n && !strcmp(g->ents[idx[j]].name, g->ents[idx[i]].name))
			j++;
		struct ent **grp = malloc((j - i) * sizeof(*grp));
		if (!grp) {
			g->r = pl_error(g->d, -ENOMEM, NULL, NULL, "out of memory");
			break;
		}
		for (size_t k = i; k < j; k++)
			grp[k - i] = &g->ents[idx[k]];
		/* New entries are pushed only after the group is done: pushing may
		 * move g->ents. */
		struct ent *out = NULL;
		size_t n_out = 0;
		merge_syscall(g, g->ents[idx[i]].name, grp, j - i, &out, &n_out);
		free(grp);
		for (size_t k = 0; k < n_out && g->r >= 0; k++)
			push(g, &out[k]);
		free(out);
		i = j;
	}
	free(idx);
	free(by);
}

/* ---- output ------------------------------------------------------------------- */

static bool same_args(const struct ent *a, const struct ent *b)
{
	if (a->n_args != b->n_args)
		return false;
	for (size_t i = 0; i < a->n_args; i++)
		if (arg_cmp(&a->args[i], &b->args[i]))
			return false;
	return true;
}

static bool same_group(const struct ent *a, const struct ent *b)
{
	return a->act == b->act && a->has_errno == b->has_errno &&
	       (!a->has_errno || a->errno_ret == b->errno_ret) && same_args(a, b) &&
	       a->src == b->src &&
	       (a->origin == b->origin ||
		!strcmp(a->origin ? a->origin : "", b->origin ? b->origin : "")) &&
	       (a->comment == b->comment ||
		!strcmp(a->comment ? a->comment : "", b->comment ? b->comment : ""));
}

static void copy_filter(struct pl_arena *a, struct pl_sc_filter *dst,
			const struct pl_sc_filter *src)
{
	dst->n_caps = src->n_caps;
	dst->caps = src->n_caps ? pl_arena_alloc(a, src->n_caps * sizeof(char *)) : NULL;
	for (size_t i = 0; dst->caps && i < src->n_caps; i++)
		dst->caps[i] = pl_arena_strdup(a, src->caps[i]);
	dst->n_arches = src->n_arches;
	dst->arches = src->n_arches ? pl_arena_alloc(a, src->n_arches * sizeof(char *)) : NULL;
	for (size_t i = 0; dst->arches && i < src->n_arches; i++)
		dst->arches[i] = pl_arena_strdup(a, src->arches[i]);
	dst->min_kernel = pl_arena_strdup(a, src->min_kernel);
}

static int emit(struct gen *g)
{
	struct pl_sc_profile *p = g->p;
	struct pl_arena *a = p->arena;
	/* Never-deny syscalls are allowed in every profile that does not
	 * allow by default; drop any entry that would deny them. */
	bool def_allows =
	    p->default_action == PL_SC_ACT_ALLOW || p->default_action == PL_SC_ACT_LOG;
	for (size_t i = 0; i < g->n; i++)
		if (!g->ents[i].dead && sc_is_never_deny(g->ents[i].name) &&
		    g->ents[i].act != PL_SC_ACT_ALLOW)
			g->ents[i].dead = true;
	for (size_t k = 0; sc_never_deny[k]; k++) {
		bool have = false;
		for (size_t i = 0; i < g->n && !have; i++)
			have = !g->ents[i].dead && !strcmp(g->ents[i].name, sc_never_deny[k]) &&
			       g->ents[i].n_args == 0;
		if (!have && (!def_allows || p->default_action == PL_SC_ACT_LOG)) {
			/* drop conditional allows for it, add an unconditional one */
			for (size_t i = 0; i < g->n; i++)
				if (!strcmp(g->ents[i].name, sc_never_deny[k]))
					g->ents[i].dead = true;
			if (name_relevant(sc_never_deny[k]))
				add_simple(g, sc_never_deny[k], PL_SC_ACT_ALLOW, 0, "never-deny",
					   NULL);
		}
	}
	if (g->r < 0)
		return g->r;
	/*
	 * Group: first occurrence order, names in order of appearance. Entries
	 * naming socketcall come first: runc (and libseccomp for ia32) derives
	 * socketcall(a0 == SYS_*) rules from socket-call entries, and two such
	 * derived rules with different actions make libseccomp fail with
	 * EEXIST ("error adding seccomp rule for syscall socket: file exists")
	 * unless an unconditional socketcall rule is already there, which makes
	 * libseccomp drop them.
	 */
	bool *done = calloc(g->n ? g->n : 1, sizeof(bool));
	if (!done)
		return pl_error(g->d, -ENOMEM, NULL, NULL, "out of memory");
	for (size_t pass_i = 0; pass_i < 2 * g->n; pass_i++) {
		size_t i = pass_i % g->n;
		bool first_pass = pass_i < g->n;
		if (done[i] || g->ents[i].dead ||
		    first_pass != !strcmp(g->ents[i].name, "socketcall"))
			continue;
		const struct ent *e = &g->ents[i];
		struct pl_sc_syscall *sc =
		    pl_arena_push(a, (void **)&p->syscalls, &p->n_syscalls, sizeof(*p->syscalls));
		if (!sc) {
			free(done);
			return pl_error(g->d, -ENOMEM, NULL, NULL, "out of memory");
		}
		sc->action = e->act;
		sc->has_errno_ret = e->has_errno;
		sc->errno_ret = e->errno_ret;
		sc->n_args = e->n_args;
		sc->args = e->n_args ? pl_arena_alloc(a, e->n_args * sizeof(*sc->args)) : NULL;
		if (e->n_args && !sc->args) {
			free(done);
			return pl_error(g->d, -ENOMEM, NULL, NULL, "out of memory");
		}
		if (e->n_args)
			memcpy(sc->args, e->args, e->n_args * sizeof(*sc->args));
		sc->origin = pl_arena_strdup(a, e->origin);
		sc->comment = e->comment ? pl_arena_strdup(a, e->comment)
					 : pl_arena_printf(a, "plastron: %s", e->origin);
		sc->pos = e->pos;
		if (e->src) {
			sc->has_includes = e->src->has_includes;
			sc->has_excludes = e->src->has_excludes;
			copy_filter(a, &sc->includes, &e->src->includes);
			copy_filter(a, &sc->excludes, &e->src->excludes);
		}
		for (size_t j = i; j < g->n; j++) {
			if (done[j] || g->ents[j].dead || !same_group(e, &g->ents[j]))
				continue;
			bool dup = false;
			for (size_t k = 0; k < sc->n_names && !dup; k++)
				dup = !strcmp(sc->names[k], g->ents[j].name);
			done[j] = true;
			if (dup)
				continue;
			char **slot =
			    pl_arena_push(a, (void **)&sc->names, &sc->n_names, sizeof(char *));
			if (slot)
				*slot = pl_arena_strdup(a, g->ents[j].name);
			if (!slot || !*slot) {
				if (slot)
					sc->n_names--;
				free(done);
				return pl_error(g->d, -ENOMEM, NULL, NULL, "out of memory");
			}
		}
	}
	free(done);
	if (g->log_flag) {
		bool have = false;
		for (size_t i = 0; i < p->n_flags; i++)
			have |= !strcmp(p->flags[i], "SECCOMP_FILTER_FLAG_LOG");
		if (!have) {
			/* p->flags may be an exact-size copy: reallocate */
			char **nf = pl_arena_alloc(a, (p->n_flags + 1) * sizeof(char *));
			if (!nf)
				return pl_error(g->d, -ENOMEM, NULL, NULL, "out of memory");
			if (p->n_flags)
				memcpy(nf, p->flags, p->n_flags * sizeof(char *));
			nf[p->n_flags++] = pl_arena_strdup(a, "SECCOMP_FILTER_FLAG_LOG");
			p->flags = nf;
		}
	}
	return 0;
}

/*
 * Observe mode records behaviour: every entry that allows becomes
 * SCMP_ACT_LOG (the rules' own denials already became LOG through
 * pl_effective_action / add_raw: the policy is observed, not enforced).
 *
 * Left allowed without a record: the never-deny set, and the few calls a
 * workload makes in every loop iteration, whose records would drown the
 * audit log (and the kernel's audit rate limit) without saying anything a
 * policy could use: plain reads and writes on descriptors the workload
 * already holds, close, and futex. vArmor's BehaviorModeling leaves
 * open/openat/openat2/close/read/write alone because AppArmor records the
 * opens; plastron run has no AppArmor, so the opens are recorded here.
 *
 * The base's own denials stay: RuntimeDefault's EPERM for known syscalls
 * outside its allow-list and ENOSYS for unknown ones (a DefenseInDepth
 * custom profile's likewise). Every container gets that base whatever the
 * rules say, so the workload sees the same environment it will be
 * enforced in, and observing never runs it with less than the runtime
 * default.
 */
static const char *const observe_quiet[] = {
	"close", "futex", "futex_time64", "pread64", "pwrite64",
	"read",  "readv", "write",        "writev",  NULL,
};

/* A base that logs by default (AlwaysAllow, or privileged, in observe) lets
 * the quiet set through without a record too, unless the base itself has
 * an entry for the call. */
static void observe_quiet_base(struct gen *g)
{
	for (size_t k = 0; observe_quiet[k]; k++) {
		bool have = false;
		for (size_t i = 0; i < g->n && !have; i++)
			have = !g->ents[i].rule && !strcmp(g->ents[i].name, observe_quiet[k]);
		if (!have && name_relevant(observe_quiet[k]))
			add_simple(g, observe_quiet[k], PL_SC_ACT_ALLOW, 0, "observe", NULL);
	}
}

static void observe_allowed(struct gen *g)
{
	for (size_t i = 0; i < g->n; i++) {
		struct ent *e = &g->ents[i];
		if (e->dead || e->act != PL_SC_ACT_ALLOW || sc_is_never_deny(e->name))
			continue;
		bool quiet = false;
		for (size_t k = 0; observe_quiet[k] && !quiet; k++)
			quiet = !strcmp(observe_quiet[k], e->name);
		if (!quiet)
			e->act = PL_SC_ACT_LOG;
	}
}

PL_EXPORT int pl_gen_seccomp(const struct pl_policy *pol, const struct pl_gen_opts *o,
			     struct pl_sc_profile **ret, struct pl_diag *d)
{
	if (!pol || !ret)
		return pl_error(d, -EINVAL, NULL, NULL, "pl_gen_seccomp: invalid argument");
	struct gen g = { .p = sc_profile_new(), .d = d };
	if (!g.p)
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	bool observe = o && o->run_mode == PL_RUN_OBSERVE;

	switch (pol->mode) {
	case PL_MODE_ALWAYS_ALLOW:
		g.p->default_action = PL_SC_ACT_ALLOW;
		set_arches(&g);
		break;
	case PL_MODE_RUNTIME_DEFAULT:
		base_runtime_default(&g);
		set_arches(&g);
		break;
	case PL_MODE_ENHANCE_PROTECT:
		if (pol->enhance.privileged)
			g.p->default_action = PL_SC_ACT_ALLOW;
		else
			base_runtime_default(&g);
		set_arches(&g);
		add_builtin(&g, pol, o);
		add_raw(&g, pol->enhance.syscall_raw, pol->enhance.n_syscall_raw, "syscallRawRules",
			"spec.policy.enhanceProtect.syscallRawRules", o);
		break;
	case PL_MODE_BEHAVIOR_MODELING:
		g.p->default_action = PL_SC_ACT_LOG;
		set_arches(&g);
		for (size_t i = 0; modeling_allow[i]; i++)
			add_simple(&g, modeling_allow[i], PL_SC_ACT_ALLOW, 0, "behavior-modeling",
				   NULL);
		break;
	case PL_MODE_DEFENSE_IN_DEPTH:
		if (pol->dind.seccomp_type == PL_PROFILE_CUSTOM && pol->dind.seccomp_custom) {
			base_custom(&g, pol->dind.seccomp_custom, pol->dind.allow_violations);
		} else if (pol->dind.seccomp_type == PL_PROFILE_BEHAVIOR_MODEL) {
			g.r = pl_error(
			    d, -ENOENT, &pol->pos, "spec.policy.defenseInDepth.seccomp.profileType",
			    "profileType BehaviorModel needs a behavior model, and plastron "
			    "has none for policy '%s' (use profileType Custom)",
			    pol->name ? pol->name : "?");
		} else {
			g.r =
			    pl_error(d, -EINVAL, &pol->pos, "spec.policy.defenseInDepth.seccomp",
				     "DefenseInDepth with the seccomp enforcer needs "
				     "defenseInDepth.seccomp (profileType Custom + customProfile)");
		}
		add_raw(&g, pol->dind.syscall_raw, pol->dind.n_syscall_raw, "syscallRawRules",
			"spec.policy.defenseInDepth.seccomp.syscallRawRules", o);
		break;
	default:
		g.r = pl_error(d, -EINVAL, &pol->pos, "spec.policy.mode", "unknown mode");
	}
	if (observe && g.p->default_action == PL_SC_ACT_ALLOW)
		g.p->default_action = PL_SC_ACT_LOG;
	if (observe && g.p->default_action == PL_SC_ACT_LOG && g.r >= 0)
		observe_quiet_base(&g);
	if (g.r >= 0)
		merge_all(&g);
	if (observe) {
		observe_allowed(&g);
		/* the base's denials are part of the recorded behaviour */
		g.log_flag = true;
	}
	if (g.r >= 0)
		g.r = emit(&g);
	/* an allocation the builders did not check leaves the profile short */
	if (g.r >= 0 && pl_arena_failed(g.p->arena))
		g.r = pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	free(g.ents);
	if (g.r < 0) {
		pl_sc_profile_free(g.p);
		return g.r;
	}
	*ret = g.p;
	return 0;
}
