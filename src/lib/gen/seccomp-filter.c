/* SPDX-License-Identifier: Apache-2.0 */
/*
 * struct pl_sc_profile → libseccomp filter for x86_64, x32 and ia32.
 *
 * Three libseccomp contexts are built, one per ABI, and merged.
 * libseccomp takes rule syscall numbers in native numbering and translates
 * them per architecture by name, so syscalls newer than its tables
 * (statmount, mseal, ...) can only be added, by their number from
 * plastron's table below, to the native x86_64 context; libseccomp 2.5.4
 * refuses them (EFAULT) in a context of another architecture. On ia32
 * and x32 those few syscalls therefore get the default action (reported as a
 * warning when the default allows). A name unknown to both tables is an
 * error, never skipped.
 */
#include <errno.h>
#include <linux/audit.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "plastron/gen.h"
#include "seccomp-internal.h"
#include "shared/macro.h"

#define X32_BIT 0x40000000

/* Syscalls newer than libseccomp 2.5.4's tables (checked on this machine
 * with seccomp_syscall_resolve_name_arch). Since 5.1 x86_64 and i386 share
 * numbers from 424 on; x32 is the x86_64 number | 0x40000000. */
static const struct {
	const char *name;
	int nr;
	bool i386; /* also exists on ia32 */
	bool x32;  /* also exists on x32 */
} extra[] = {
	{ "uretprobe", 335, false, true },
	{ "statmount", 457, true, true },
	{ "listmount", 458, true, true },
	{ "lsm_get_self_attr", 459, true, true },
	{ "lsm_set_self_attr", 460, true, true },
	{ "lsm_list_modules", 461, true, true },
	{ "mseal", 462, true, true },
	{ "setxattrat", 463, true, true },
	{ "getxattrat", 464, true, true },
	{ "listxattrat", 465, true, true },
	{ "removexattrat", 466, true, true },
	{ "open_tree_attr", 467, true, true },
	{ "file_getattr", 468, true, true },
	{ "file_setattr", 469, true, true },
};

const char *const sc_never_deny[] = { "exit",      "exit_group",      "rt_sigreturn",
				      "sigreturn", "restart_syscall", NULL };

bool sc_is_never_deny(const char *name)
{
	for (size_t i = 0; sc_never_deny[i]; i++)
		if (!strcmp(sc_never_deny[i], name))
			return true;
	return false;
}

bool sc_action_denies(enum pl_sc_action a)
{
	switch (a) {
	case PL_SC_ACT_ALLOW:
	case PL_SC_ACT_LOG:
	case PL_SC_ACT_NOTIFY:
	case PL_SC_ACT_TRACE:
	case PL_SC_ACT_INVALID:
		return false;
	default:
		return true;
	}
}

uint32_t sc_arch_token(enum sc_arch a)
{
	switch (a) {
	case SC_ARCH_X86_64:
		return SCMP_ARCH_X86_64;
	case SC_ARCH_X86:
		return SCMP_ARCH_X86;
	default:
		return SCMP_ARCH_X32;
	}
}

uint32_t sc_arch_audit(enum sc_arch a)
{
	return a == SC_ARCH_X86 ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64;
}

const char *sc_arch_oci_name(enum sc_arch a)
{
	switch (a) {
	case SC_ARCH_X86_64:
		return "SCMP_ARCH_X86_64";
	case SC_ARCH_X86:
		return "SCMP_ARCH_X86";
	default:
		return "SCMP_ARCH_X32";
	}
}

static int resolve_uncached(const char *name, enum sc_arch arch);

/* sc_resolve is hot (the generator asks for every name of the base
 * profiles, libseccomp's lookup is a linear scan): memoise all three
 * arches per name. */
#define CACHE_SLOTS 4096
static struct {
	char *name;
	int nr[SC_ARCH__MAX];
} cache[CACHE_SLOTS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

PL_MUTEX_FORK_SAFE(cache_lock)

int sc_resolve(const char *name, enum sc_arch arch)
{
	uint32_t h = 2166136261u;
	for (const char *c = name; *c; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	int res = 0;
	bool found = false;
	pthread_mutex_lock(&cache_lock);
	for (uint32_t k = 0; k < CACHE_SLOTS; k++) {
		uint32_t slot = (h + k) % CACHE_SLOTS;
		if (!cache[slot].name) {
			char *copy = strlen(name) < 64 ? strdup(name) : NULL;
			if (!copy)
				break;
			for (int a = 0; a < SC_ARCH__MAX; a++)
				cache[slot].nr[a] = resolve_uncached(name, (enum sc_arch)a);
			cache[slot].name = copy;
		}
		if (!strcmp(cache[slot].name, name)) {
			res = cache[slot].nr[arch];
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&cache_lock);
	return found ? res : resolve_uncached(name, arch);
}

static int resolve_uncached(const char *name, enum sc_arch arch)
{
	int nr = seccomp_syscall_resolve_name_arch(sc_arch_token(arch), name);
	if (nr >= 0)
		return nr;
	for (size_t i = 0; i < PL_ARRAY_SIZE(extra); i++) {
		if (strcmp(extra[i].name, name))
			continue;
		if (arch == SC_ARCH_X86_64)
			return extra[i].nr;
		if (arch == SC_ARCH_X86)
			return extra[i].i386 ? extra[i].nr : -1;
		return extra[i].x32 ? extra[i].nr | X32_BIT : -1;
	}
	/* Known on another of our arches (or as a pseudo-syscall)? */
	for (int a = 0; a < SC_ARCH__MAX; a++)
		if (seccomp_syscall_resolve_name_arch(sc_arch_token((enum sc_arch)a), name) !=
		    __NR_SCMP_ERROR)
			return -1;
	/* Names of other architectures (arm_fadvise64_64, s390_runtime_instr, ...)
	 * are known to libseccomp's generic table. */
	if (seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR)
		return -1;
	for (const char *const *an = sc_arch_names; *an; an++) {
		uint32_t tok = seccomp_arch_resolve_name(*an + strlen("SCMP_ARCH_"));
		if (tok && seccomp_syscall_resolve_name_arch(tok, name) != __NR_SCMP_ERROR)
			return -1;
	}
	return -2;
}

const char *sc_name_of(enum sc_arch arch, int nr)
{
	static __thread char buf[64];
	char *n = seccomp_syscall_resolve_num_arch(sc_arch_token(arch), nr);
	if (n) {
		snprintf(buf, sizeof(buf), "%s", n);
		free(n);
		return buf;
	}
	for (size_t i = 0; i < PL_ARRAY_SIZE(extra); i++)
		if (sc_resolve(extra[i].name, arch) == nr)
			return extra[i].name;
	return NULL;
}

/* ---- building ------------------------------------------------------------- */

static uint32_t to_scmp(enum pl_sc_action a, bool has_errno, uint32_t errno_ret,
			const char *errno_name)
{
	int en = pl_errno_from_name(errno_name);
	uint32_t e = has_errno ? errno_ret : en > 0 ? (uint32_t)en : EPERM;
	switch (a) {
	case PL_SC_ACT_KILL:
	case PL_SC_ACT_KILL_THREAD:
		return SCMP_ACT_KILL_THREAD;
	case PL_SC_ACT_KILL_PROCESS:
		return SCMP_ACT_KILL_PROCESS;
	case PL_SC_ACT_TRAP:
		return SCMP_ACT_TRAP;
	case PL_SC_ACT_ERRNO:
		return SCMP_ACT_ERRNO(e);
	case PL_SC_ACT_TRACE:
		return SCMP_ACT_TRACE(e);
	case PL_SC_ACT_ALLOW:
		return SCMP_ACT_ALLOW;
	case PL_SC_ACT_LOG:
		return SCMP_ACT_LOG;
	case PL_SC_ACT_NOTIFY:
		return SCMP_ACT_NOTIFY;
	default:
		return SCMP_ACT_KILL_PROCESS;
	}
}

static const char *arch_alias(enum sc_arch a)
{
	/* Docker's includes/excludes use Go arch names. */
	switch (a) {
	case SC_ARCH_X86_64:
		return "amd64";
	case SC_ARCH_X86:
		return "x86";
	default:
		return "x32";
	}
}

static bool arch_listed(char **v, size_t n, enum sc_arch a)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], arch_alias(a)) || !strcmp(v[i], sc_arch_oci_name(a)) ||
		    (a == SC_ARCH_X86 && !strcmp(v[i], "386")))
			return true;
	return false;
}

static int kernel_cmp(const char *want)
{
	struct utsname u;
	unsigned a = 0, b = 0, x = 0, y = 0;
	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &a, &b) < 1)
		return 0;
	if (sscanf(want, "%u.%u", &x, &y) < 1)
		return 0;
	if (a != x)
		return a < x ? -1 : 1;
	return b < y ? -1 : b > y ? 1 : 0;
}

/*
 * Docker's includes/excludes. The filter is built for a process whose
 * capabilities plastron does not grant: entries that need extra
 * capabilities (includes.caps) are left out and those for processes without
 * them (excludes.caps) are kept, the conservative reading.
 */
static bool entry_applies(const struct pl_sc_syscall *sc, enum sc_arch a)
{
	if (sc->has_includes) {
		if (sc->includes.n_caps)
			return false;
		if (sc->includes.n_arches &&
		    !arch_listed(sc->includes.arches, sc->includes.n_arches, a))
			return false;
		if (sc->includes.min_kernel && kernel_cmp(sc->includes.min_kernel) < 0)
			return false;
	}
	if (sc->has_excludes) {
		if (sc->excludes.n_arches &&
		    arch_listed(sc->excludes.arches, sc->excludes.n_arches, a))
			return false;
		if (sc->excludes.min_kernel && kernel_cmp(sc->excludes.min_kernel) >= 0)
			return false;
	}
	return true;
}

static bool has_flag(const struct pl_sc_profile *p, const char *f)
{
	for (size_t i = 0; i < p->n_flags; i++)
		if (!strcmp(p->flags[i], f))
			return true;
	return false;
}

/* Several conditions on one argument index cannot be AND-ed by libseccomp;
 * like runc, each condition then becomes a rule of its own (OR). */
static bool multi_index(const struct pl_sc_syscall *sc)
{
	unsigned seen = 0;
	for (size_t i = 0; i < sc->n_args; i++) {
		if (seen & (1u << sc->args[i].index))
			return true;
		seen |= 1u << sc->args[i].index;
	}
	return false;
}

/* (arg & 0) == 0: true for every value. */
static bool always_true(const struct pl_sc_arg *a)
{
	return a->op == PL_SC_OP_MASKED_EQ && a->value == 0 && a->value_two == 0;
}

/* Whether an entry matches every call of its syscalls: no conditions, or
 * conditions that are always true (all of them when AND-ed, any of them when
 * each is a rule of its own). */
static bool unconditional(const struct pl_sc_syscall *sc)
{
	bool any = false, all = true;
	for (size_t i = 0; i < sc->n_args; i++) {
		any |= always_true(&sc->args[i]);
		all &= always_true(&sc->args[i]);
	}
	if (sc->n_args > 6 || (sc->n_args && multi_index(sc)))
		return !sc->n_args || any;
	return all;
}

/*
 * Whether another entry already makes `name` take `act` unconditionally on
 * `arch`: conditional rules with the same action then add nothing (libseccomp
 * would prune them), and are not given to libseccomp at all. libseccomp
 * 2.5.4 leaks the pruned tree nodes of ia32 socket calls (an unconditional
 * rule after two conditional ones on different arguments: the OCI-import
 * fuzzer's leak).
 */
static bool covered(const struct pl_sc_profile *p, size_t self, const char *name, uint32_t act,
		    enum sc_arch arch)
{
	for (size_t i = 0; i < p->n_syscalls; i++) {
		const struct pl_sc_syscall *o = &p->syscalls[i];
		if (i == self || !unconditional(o) || !entry_applies(o, arch) ||
		    to_scmp(o->action, o->has_errno_ret, o->errno_ret, o->errno_name) != act)
			continue;
		for (size_t j = 0; j < o->n_names; j++)
			if (!strcmp(o->names[j], name))
				return true;
	}
	return false;
}

static struct scmp_arg_cmp to_cmp(const struct pl_sc_arg *a)
{
	struct scmp_arg_cmp c = {
		.arg = a->index,
		.op = (enum scmp_compare)a->op,
		.datum_a = a->value,
		.datum_b = a->value_two,
	};
	return c;
}

static int push(struct sc_pend_list *l, int nr, bool multiplexed, uint32_t act, unsigned n,
		const struct scmp_arg_cmp *c, const struct pl_pos *pos, const char *field)
{
	struct sc_pend e = { .nr = nr, .multiplexed = multiplexed, .act = act, .n = n, .pos = pos };
	memcpy(e.c, c, n * sizeof(*c));
	snprintf(e.field, sizeof(e.field), "%s", field);
	return sc_pend_push(l, &e);
}

/*
 * One context per architecture. Rules are added with
 * seccomp_rule_add_exact_array: on ia32 libseccomp would otherwise turn a
 * socket() rule into socketcall(a0 == SYS_SOCKET) too, which collides
 * (EEXIST, and the whole rule is dropped) with the profile's own socketcall
 * entries; the profile carries explicit socketcall entries instead.
 */
static int arch_ctx(const struct pl_sc_profile *p, enum sc_arch arch, uint32_t def,
		    scmp_filter_ctx *ret, struct pl_diag *d)
{
	char field[96];
	int r;
	bool compat = arch != SC_ARCH_X86_64;
	struct sc_pend_list rules = { 0 };
	scmp_filter_ctx ctx = seccomp_init(def);
	if (!ctx)
		return pl_error(d, -ENOMEM, NULL, NULL, "seccomp_init failed");
	if (compat) {
		if ((r = seccomp_arch_add(ctx, sc_arch_token(arch))) < 0 ||
		    (r = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE)) < 0)
			goto fail_sys;
	}
	/* Attributes must match for seccomp_merge(). */
	if (has_flag(p, "SECCOMP_FILTER_FLAG_LOG") &&
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1)) < 0)
		goto fail_sys;
	if (has_flag(p, "SECCOMP_FILTER_FLAG_SPEC_ALLOW") &&
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1)) < 0)
		goto fail_sys;
	if (has_flag(p, "SECCOMP_FILTER_FLAG_TSYNC") &&
	    (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) < 0)
		goto fail_sys;
	if (has_flag(p, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV")) {
		seccomp_release(ctx);
		return pl_error(d, -EOPNOTSUPP, NULL, "flags",
				"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is not supported by "
				"libseccomp %u.%u",
				seccomp_version()->major, seccomp_version()->minor);
	}
	/* A binary search tree of syscalls: big allow-lists stay cheap. */
	seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);

	/* ia32: socketcall entries first, so the socketcall(a0 == SYS_*) rules
	 * libseccomp derives from socket-call rules give way to them (an
	 * unconditional rule wins, the derived conditional one is dropped). */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < p->n_syscalls; i++) {
			const struct pl_sc_syscall *sc = &p->syscalls[i];
			if (sc->action == PL_SC_ACT_NOTIFY && !p->listener_path) {
				snprintf(field, sizeof(field), "syscalls[%zu].action", i);
				free(rules.v);
				seccomp_release(ctx);
				return pl_error(d, -EINVAL, &sc->pos, field,
						"SCMP_ACT_NOTIFY needs a listenerPath");
			}
			uint32_t act =
			    to_scmp(sc->action, sc->has_errno_ret, sc->errno_ret, sc->errno_name);
			/* libseccomp refuses rules whose action is the default one. */
			if (act == def)
				continue;
			if (!entry_applies(sc, arch))
				continue;
			for (size_t j = 0; j < sc->n_names; j++) {
				const char *name = sc->names[j];
				bool multiplexed = false;
				int nr;
				if ((pass == 0) != !strcmp(name, "socketcall"))
					continue;
				snprintf(field, sizeof(field), "syscalls[%zu].names[%zu]", i, j);
				int any = sc_resolve(name, SC_ARCH_X86_64);
				if (any == -2) {
					free(rules.v);
					seccomp_release(ctx);
					return pl_error(d, -EINVAL, &sc->pos, field,
							"unknown syscall '%s'", name);
				}
				if (!compat) {
					nr = any;
					if (nr < 0)
						continue;
				} else {
					/* socket calls are pseudo-syscalls on ia32 in libseccomp's
					 * table: added by name, they become the direct syscall
					 * plus socketcall(a0 == SYS_*) */
					multiplexed = arch == SC_ARCH_X86 &&
						      seccomp_syscall_resolve_name_arch(
							  SCMP_ARCH_X86, name) < 0 &&
						      seccomp_syscall_resolve_name_arch(
							  SCMP_ARCH_X86, name) != __NR_SCMP_ERROR;
					if (!multiplexed && sc_resolve(name, arch) < 0)
						continue; /* not on this arch */
					nr = seccomp_syscall_resolve_name(name);
					if (nr == __NR_SCMP_ERROR) {
						/* newer than libseccomp: see the top of this file
						 */
						if (arch == SC_ARCH_X86 &&
						    (def == SCMP_ACT_ALLOW ||
						     def == SCMP_ACT_LOG) &&
						    sc_action_denies(sc->action))
							pl_warning(d, &sc->pos, field,
								   "'%s' cannot be filtered on "
								   "ia32/x32 by "
								   "libseccomp %u.%u; the default "
								   "action applies "
								   "there",
								   name, seccomp_version()->major,
								   seccomp_version()->minor);
						continue;
					}
				}
				/* libseccomp 2.5 masks the datum of a masked comparison:
				 * one that can never be true would become always true
				 * (and on ia32 socket calls it leaks tree nodes). The
				 * import refuses these with a position; this guards
				 * generated profiles too. */
				for (size_t k = 0; k < sc->n_args; k++)
					if (sc->args[k].op == PL_SC_OP_MASKED_EQ &&
					    (sc->args[k].value_two & ~sc->args[k].value)) {
						free(rules.v);
						seccomp_release(ctx);
						return pl_error(
						    d, -EINVAL, &sc->pos, field,
						    "args[%zu]: SCMP_CMP_MASKED_EQ with "
						    "bits outside the mask can never "
						    "match; libseccomp would apply the "
						    "rule unconditionally",
						    k);
					}
				struct scmp_arg_cmp cmps[6];
				if (unconditional(sc)) {
					if ((r = push(&rules, nr, multiplexed, act, 0, cmps,
						      &sc->pos, field)) < 0)
						goto fail_sys;
					continue;
				}
				if (covered(p, i, name, act, arch))
					continue;
				if (sc->n_args > 6 || (sc->n_args && multi_index(sc))) {
					for (size_t k = 0; k < sc->n_args; k++) {
						cmps[0] = to_cmp(&sc->args[k]);
						if ((r = push(&rules, nr, multiplexed, act, 1, cmps,
							      &sc->pos, field)) < 0)
							goto fail_sys;
					}
					continue;
				}
				for (size_t k = 0; k < sc->n_args; k++)
					cmps[k] = to_cmp(&sc->args[k]);
				if ((r = push(&rules, nr, multiplexed, act, (unsigned)sc->n_args,
					      cmps, &sc->pos, field)) < 0)
					goto fail_sys;
			}
		}
	sc_order_rules(&rules, arch);
	if ((r = sc_check_rules(&rules, arch, d)) < 0) {
		free(rules.v);
		seccomp_release(ctx);
		return r;
	}
	for (size_t k = 0; k < rules.n; k++) {
		const struct sc_pend *e = &rules.v[k];
		r = e->multiplexed ? seccomp_rule_add_array(ctx, e->act, e->nr, e->n, e->c)
				   : seccomp_rule_add_exact_array(ctx, e->act, e->nr, e->n, e->c);
		if (r < 0) {
			snprintf(field, sizeof(field), "%s", e->field);
			goto fail_rule;
		}
	}
	free(rules.v);
	*ret = ctx;
	return 0;
fail_rule:
	free(rules.v);
	seccomp_release(ctx);
	return pl_error(d, r, NULL, field, "libseccomp refused the rule (%s): %s",
			sc_arch_oci_name(arch), strerror(-r));
fail_sys:
	free(rules.v);
	seccomp_release(ctx);
	return pl_error(d, r, NULL, NULL, "libseccomp setup (%s) failed: %s",
			sc_arch_oci_name(arch), strerror(-r));
}

static int build(const struct pl_sc_profile *p, scmp_filter_ctx *ret, struct pl_diag *d)
{
	if (!p)
		return pl_error(d, -EINVAL, NULL, NULL, "no seccomp profile");
	if (seccomp_arch_native() != SCMP_ARCH_X86_64)
		return pl_error(d, -EOPNOTSUPP, NULL, NULL,
				"plastron builds seccomp filters for x86_64 hosts only");
	if (p->default_action == PL_SC_ACT_NOTIFY || p->default_action == PL_SC_ACT_INVALID)
		return pl_error(d, -EINVAL, NULL, "defaultAction",
				"unsupported default action for a filter");
	uint32_t def = to_scmp(p->default_action, p->has_default_errno_ret, p->default_errno_ret,
			       p->default_errno_name);
	scmp_filter_ctx all = NULL;
	for (int a = 0; a < SC_ARCH__MAX; a++) {
		scmp_filter_ctx one = NULL;
		int r = arch_ctx(p, (enum sc_arch)a, def, &one, d);
		if (r < 0) {
			seccomp_release(all);
			return r;
		}
		if (!all) {
			all = one;
			continue;
		}
		r = seccomp_merge(all, one);
		if (r < 0) {
			seccomp_release(one);
			seccomp_release(all);
			return pl_error(d, r, NULL, NULL, "seccomp_merge failed: %s", strerror(-r));
		}
	}
	*ret = all;
	return 0;
}

int sc_filter_build(const struct pl_sc_profile *p, scmp_filter_ctx *ret, struct pl_diag *d)
{
	return build(p, ret, d);
}

PL_EXPORT int pl_sc_profile_export_bpf(const struct pl_sc_profile *prof, int fd, struct pl_diag *d)
{
	scmp_filter_ctx ctx;
	int r = build(prof, &ctx, d);
	if (r < 0)
		return r;
	r = seccomp_export_bpf(ctx, fd);
	seccomp_release(ctx);
	if (r < 0)
		return pl_error(d, r, NULL, NULL, "exporting the seccomp filter failed: %s",
				strerror(-r));
	return 0;
}

PL_EXPORT int pl_sc_profile_export_pfc(const struct pl_sc_profile *prof, int fd, struct pl_diag *d)
{
	scmp_filter_ctx ctx;
	int r = build(prof, &ctx, d);
	if (r < 0)
		return r;
	r = seccomp_export_pfc(ctx, fd);
	seccomp_release(ctx);
	if (r < 0)
		return pl_error(d, r, NULL, NULL, "exporting the seccomp filter failed: %s",
				strerror(-r));
	return 0;
}

PL_EXPORT const char *pl_sc_profile_origin(const struct pl_sc_profile *prof, uint32_t audit_arch,
					   int nr)
{
	enum sc_arch arch;
	if (!prof)
		return NULL;
	if (audit_arch == AUDIT_ARCH_I386)
		arch = SC_ARCH_X86;
	else if (audit_arch == AUDIT_ARCH_X86_64)
		arch = (nr & X32_BIT) ? SC_ARCH_X32 : SC_ARCH_X86_64;
	else
		return NULL;
	for (size_t i = 0; i < prof->n_syscalls; i++) {
		const struct pl_sc_syscall *sc = &prof->syscalls[i];
		/* Only entries that block or log explain an event; the allow-list
		 * does not. */
		if (sc->action == PL_SC_ACT_ALLOW)
			continue;
		/* Observe mode turns the base's allow-list into LOG: those records
		 * are allowed activity, not a rule's. */
		if (sc->action == PL_SC_ACT_LOG && sc->origin &&
		    (!strcmp(sc->origin, "runtime-default") ||
		     !strcmp(sc->origin, "behavior-modeling") || !strcmp(sc->origin, "never-deny")))
			continue;
		for (size_t j = 0; j < sc->n_names; j++)
			if (sc_resolve(sc->names[j], arch) == nr)
				return sc->origin ? sc->origin : sc->comment;
	}
	return NULL;
}
