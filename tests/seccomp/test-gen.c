/* SPDX-License-Identifier: Apache-2.0 */
/* The seccomp generator on hand-built policies: every mode, merge rules,
 * never-deny guarantees, origins, invariants libseccomp needs. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sc-test.h"
#include "tap.h"

static struct pl_sc_profile *gen(const struct tpol *t, enum pl_run_mode rm, struct pl_diag *d)
{
	struct pl_gen_opts o = { .run_mode = rm };
	struct pl_sc_profile *p = NULL;
	pl_diag_init(d);
	if (pl_gen_seccomp(&t->p, &o, &p, d) < 0) {
		print_diag(d);
		return NULL;
	}
	return p;
}

/* The invariants every generated profile must keep (see seccomp-gen.c):
 *  - no entry has two conditions on one argument index;
 *  - a syscall with an unconditional entry has no other entry (libseccomp
 *    would silently drop the others);
 *  - no entry denies a never-deny syscall, and each of them is allowed
 *    unless the default allows;
 *  - the JSON round trip is stable and the filter builds. */
/* What runc does with an OCI profile (libcontainer/seccomp): one
 * multi-arch context, entries added in order with seccomp_rule_add (which,
 * on ia32, also derives socketcall rules), entries whose action equals the
 * default skipped, several conditions on one index split into one rule
 * each. Any error here is a container that does not start. */
static int runc_style(const struct pl_sc_profile *p)
{
	uint32_t def =
	    p->default_action == PL_SC_ACT_ALLOW ? SCMP_ACT_ALLOW
	    : p->default_action == PL_SC_ACT_LOG
		? SCMP_ACT_LOG
		: SCMP_ACT_ERRNO(p->has_default_errno_ret ? p->default_errno_ret : EPERM);
	scmp_filter_ctx c = seccomp_init(def);
	if (!c)
		return -ENOMEM;
	seccomp_arch_add(c, SCMP_ARCH_X86);
	seccomp_arch_add(c, SCMP_ARCH_X32);
	int r = 0;
	for (size_t i = 0; i < p->n_syscalls && r >= 0; i++) {
		const struct pl_sc_syscall *sc = &p->syscalls[i];
		uint32_t act;
		switch (sc->action) {
		case PL_SC_ACT_ALLOW:
			act = SCMP_ACT_ALLOW;
			break;
		case PL_SC_ACT_LOG:
			act = SCMP_ACT_LOG;
			break;
		case PL_SC_ACT_KILL_PROCESS:
			act = SCMP_ACT_KILL_PROCESS;
			break;
		default:
			act = SCMP_ACT_ERRNO(sc->has_errno_ret ? sc->errno_ret : EPERM);
		}
		if (act == def)
			continue;
		for (size_t j = 0; j < sc->n_names && r >= 0; j++) {
			int nr = seccomp_syscall_resolve_name(sc->names[j]);
			if (nr == __NR_SCMP_ERROR)
				continue; /* runc ignores unknown names */
			struct scmp_arg_cmp cmp[6];
			for (size_t k = 0; k < sc->n_args; k++)
				cmp[k] = (struct scmp_arg_cmp){ sc->args[k].index,
								(enum scmp_compare)sc->args[k].op,
								sc->args[k].value,
								sc->args[k].value_two };
			r = seccomp_rule_add_array(c, act, nr, (unsigned)sc->n_args, cmp);
			if (r < 0)
				tap_diag("runc-style: %s (entry %zu): %s", sc->names[j], i,
					 strerror(-r));
		}
	}
	seccomp_release(c);
	return r;
}

static void invariants(const struct pl_sc_profile *p, const char *what)
{
	bool two_on_one = false, shadowed = false, never = false;
	char bad[256] = "";
	for (size_t i = 0; i < p->n_syscalls; i++) {
		const struct pl_sc_syscall *sc = &p->syscalls[i];
		unsigned seen = 0;
		for (size_t k = 0; k < sc->n_args; k++) {
			if (seen & (1u << sc->args[k].index))
				two_on_one = true;
			seen |= 1u << sc->args[k].index;
		}
		for (size_t j = 0; j < sc->n_names; j++) {
			const char *n = sc->names[j];
			if (sc->action != PL_SC_ACT_ALLOW &&
			    (!strcmp(n, "exit_group") || !strcmp(n, "exit") ||
			     !strcmp(n, "rt_sigreturn")))
				never = true;
			if (sc->n_args)
				continue;
			for (size_t i2 = 0; i2 < p->n_syscalls; i2++)
				for (size_t j2 = 0; j2 < p->syscalls[i2].n_names; j2++)
					if ((i2 != i) && !strcmp(p->syscalls[i2].names[j2], n)) {
						shadowed = true;
						snprintf(bad, sizeof(bad), "%s", n);
					}
		}
	}
	TAP_OK(!two_on_one, "%s: no entry has two conditions on one argument", what);
	TAP_OK(!shadowed, "%s: no unconditional entry shadows another one %s", what, bad);
	TAP_OK(!never, "%s: never-deny syscalls are never denied", what);
	char *j1 = NULL, *j2 = NULL;
	struct pl_diag d = { 0 };
	struct pl_sc_profile *back = NULL;
	int r = pl_sc_profile_to_json(p, &j1, &d);
	if (r >= 0)
		r = pl_sc_profile_from_json("gen", j1, strlen(j1), &back, &d);
	if (r >= 0)
		r = pl_sc_profile_to_json(back, &j2, &d);
	print_diag(&d);
	TAP_OK(r >= 0 && j1 && j2 && !strcmp(j1, j2), "%s: JSON export/import/export is stable",
	       what);
	pl_sc_profile_free(back);
	free(j1);
	free(j2);
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	pl_diag_clear(&d);
	r = pl_sc_profile_export_bpf(p, fd, &d);
	print_diag(&d);
	close(fd);
	TAP_OK(r >= 0, "%s: libseccomp builds the filter (%d)", what, r);
	pl_diag_clear(&d);
	TAP_OK(runc_style(p) >= 0, "%s: runc's way of adding the entries works", what);
}

static void test_always_allow(void)
{
	struct tpol t;
	struct pl_diag d;
	tpol_init(&t, PL_MODE_ALWAYS_ALLOW);
	struct pl_sc_profile *p = gen(&t, PL_RUN_AS_WRITTEN, &d);
	TAP_OK(p && p->default_action == PL_SC_ACT_ALLOW && p->n_architectures == 3,
	       "AlwaysAllow: default ALLOW, three architectures");
	if (p)
		invariants(p, "AlwaysAllow");
	pl_sc_profile_free(p);
	p = gen(&t, PL_RUN_OBSERVE, &d);
	TAP_OK(p && p->default_action == PL_SC_ACT_LOG, "AlwaysAllow observed: default LOG");
	char *s = p ? dump_str(p) : NULL;
	TAP_OK(s && has_line(s, "exit_group() -> ALLOW [never-deny]"),
	       "observe mode still allows exit_group explicitly");
	free(s);
	pl_sc_profile_free(p);
	pl_diag_clear(&d);
}

static void test_runtime_default(void)
{
	struct tpol t;
	struct pl_diag d;
	tpol_init(&t, PL_MODE_RUNTIME_DEFAULT);
	struct pl_sc_profile *p = gen(&t, PL_RUN_AS_WRITTEN, &d);
	TAP_OK(p && p->default_action == PL_SC_ACT_ERRNO && p->has_default_errno_ret &&
		   p->default_errno_ret == ENOSYS,
	       "RuntimeDefault: default ERRNO(ENOSYS)");
	char *s = p ? dump_str(p) : NULL;
	static const char *const lines[] = {
		"getpid() -> ALLOW [runtime-default]",
		"exit_group() -> ALLOW [runtime-default]",
		"rt_sigreturn() -> ALLOW [runtime-default]",
		"io_uring_setup() -> ERRNO(EPERM) [runtime-default]",
		"io_uring_enter() -> ERRNO(EPERM) [runtime-default]",
		"io_uring_register() -> ERRNO(EPERM) [runtime-default]",
		"clone3() -> ERRNO(ENOSYS) [runtime-default]",
		"clone(a0 & 0x7e020000 == 0) -> ALLOW [runtime-default]",
		"personality(a0 == 0xffffffff) -> ALLOW [runtime-default]",
		"mount() -> ERRNO(EPERM) [runtime-default]",
		"unshare() -> ERRNO(EPERM) [runtime-default]",
		"bpf() -> ERRNO(EPERM) [runtime-default]",
		"keyctl() -> ALLOW [runtime-default]", /* Docker allows it */
		"chroot() -> ALLOW [runtime-default]", /* CAP_SYS_CHROOT: the default set */
		"kexec_load() -> ERRNO(EPERM) [runtime-default]",
		"chmod() -> ALLOW [runtime-default]",
		"fchmodat2() -> ALLOW [runtime-default]",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		TAP_OK(s && has_line(s, lines[i]), "RuntimeDefault has '%s'", lines[i]);
	/* every syscall libseccomp knows on x86_64 is either allowed or EPERM */
	size_t missing = 0;
	for (int nr = 0; nr < 460; nr++) {
		char *n = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
		if (!n)
			continue;
		char pat[128];
		snprintf(pat, sizeof(pat), "\n%s(", n);
		if (!strstr(s, pat)) {
			tap_diag("not in RuntimeDefault: %s", n);
			missing++;
		}
		free(n);
	}
	TAP_OK(missing == 0, "every x86_64 syscall libseccomp knows has an entry (%zu missing)",
	       missing);
	free(s);
	if (p)
		invariants(p, "RuntimeDefault");
	pl_sc_profile_free(p);
	pl_diag_clear(&d);
}

static void test_enhance(void)
{
	struct tpol t;
	struct pl_diag d;
	tpol_init(&t, PL_MODE_ENHANCE_PROTECT);
	bool have = tpol_rule(&t, "disallow-create-user-ns", PL_ACTION_DENY) &&
		    tpol_rule(&t, "disable-chmod-x-bit", PL_ACTION_DENY) &&
		    tpol_rule(&t, "disable-chmod-s-bit", PL_ACTION_DENY_LOG) &&
		    tpol_rule(&t, "copy-fail-mitigation", PL_ACTION_DENY) &&
		    tpol_rule(&t, "disallow-load-bpf-via-setsockopt", PL_ACTION_DENY) &&
		    tpol_rule(&t, "dirty-pipe-mitigation", PL_ACTION_ALLOW_LOG);
	TAP_OK(have, "catalog has the seccomp rules used here");
	tpol_seed000(&t);
	struct pl_sc_profile *p = gen(&t, PL_RUN_AS_WRITTEN, &d);
	TAP_OK(p != NULL, "EnhanceProtect generates");
	if (!p)
		return;
	char *s = dump_str(p);
	TAP_OK(p->default_action == PL_SC_ACT_ERRNO && p->default_errno_ret == ENOSYS,
	       "EnhanceProtect (not privileged) keeps the RuntimeDefault base");
	TAP_OK(has_line(s, "fchmodat(a2 & 0x40 == 0x40) -> ERRNO(EPERM) [syscallRawRules]") &&
		   has_line(s, "fchmodat(a2 & 0x1 == 0x1) -> ERRNO(EPERM) [syscallRawRules]"),
	       "seed 000 masks are split into OR-ed entries");
	TAP_OK(!has_line(s, "fchmodat() -> ALLOW [runtime-default]"),
	       "the unconditional base allow of fchmodat is gone");
	TAP_OK(strstr(s, "\nfchmodat(a2 & 0xc49 == 0) -> ALLOW [runtime-default]") != NULL,
	       "fchmodat is allowed exactly when no x/s bit is set (complement)");
	TAP_OK(has_line(s, "splice() -> LOG [dirty-pipe-mitigation]") &&
		   !has_line(s, "splice() -> ALLOW [runtime-default]"),
	       "ALLOW_LOG rule: splice -> LOG replaces the base allow");
	TAP_OK(
	    has_line(s, "socket(a0 & 0xffffffff == 0x26) -> ERRNO(EPERM) [copy-fail-mitigation]") &&
		has_line(s, "socket(a0 & 0xffffffe0 == 0) -> ALLOW [runtime-default]") &&
		has_line(s, "socket(a0 & 0xffffffff == 0x27) -> ALLOW [runtime-default]") &&
		has_line(s, "socket(a0 & 0x80000000 == 0x80000000) -> ALLOW [runtime-default]") &&
		!strstr(s, "\nsocket(a0 == ") && !strstr(s, "\nsocket(a0 >=") &&
		!has_line(s, "socket() -> ALLOW [runtime-default]"),
	    "socket(AF_ALG) denied whatever the upper 32 bits hold, other families allowed");
	TAP_OK(has_line(s, "socketcall() -> ERRNO(EPERM) [copy-fail-mitigation]") &&
		   !strstr(s, "\nsocketcall(a0"),
	       "ia32 socketcall is denied whole (its arguments are in memory)");
	bool log_flag = false;
	for (size_t i = 0; i < p->n_flags; i++)
		log_flag |= !strcmp(p->flags[i], "SECCOMP_FILTER_FLAG_LOG");
	TAP_OK(log_flag, "a deny+log rule sets SECCOMP_FILTER_FLAG_LOG");
	TAP_OK(pl_sc_profile_origin(p, AUDIT_ARCH_X86_64, SYS_unshare) &&
		   !strcmp(pl_sc_profile_origin(p, AUDIT_ARCH_X86_64, SYS_unshare),
			   "disallow-create-user-ns"),
	       "origin of x86_64 unshare");
	TAP_OK(pl_sc_profile_origin(p, AUDIT_ARCH_X86_64, SYS_chmod | 0x40000000) &&
		   !strncmp(pl_sc_profile_origin(p, AUDIT_ARCH_X86_64, SYS_chmod | 0x40000000),
			    "disable-chmod-", 14),
	       "origin of x32 chmod");
	TAP_OK(pl_sc_profile_origin(p, AUDIT_ARCH_I386, 15 /* chmod */) != NULL,
	       "origin of ia32 chmod");
	TAP_OK(pl_sc_profile_origin(p, AUDIT_ARCH_X86_64, SYS_getpid) == NULL,
	       "no origin for an allowed syscall");
	free(s);
	invariants(p, "EnhanceProtect");
	pl_sc_profile_free(p);

	/* privileged: AlwaysAllow base */
	t.p.enhance.privileged = true;
	p = gen(&t, PL_RUN_AS_WRITTEN, &d);
	s = p ? dump_str(p) : NULL;
	TAP_OK(p && p->default_action == PL_SC_ACT_ALLOW && s && !strstr(s, "[runtime-default]") &&
		   has_line(s, "fchmodat(a2 & 0x40 == 0x40) -> ERRNO(EPERM) [syscallRawRules]"),
	       "privileged: default ALLOW, only the rules");
	if (p)
		invariants(p, "EnhanceProtect privileged");
	free(s);
	pl_sc_profile_free(p);

	/* audit run mode: every rule logs instead */
	t.p.enhance.privileged = false;
	p = gen(&t, PL_RUN_AUDIT, &d);
	s = p ? dump_str(p) : NULL;
	TAP_OK(s && has_line(s, "socket(a0 & 0xffffffff == 0x26) -> LOG [copy-fail-mitigation]") &&
		   has_line(s, "fchmodat(a2 & 0x40 == 0x40) -> LOG [syscallRawRules]"),
	       "audit mode: built-in and raw rules log");
	if (p)
		invariants(p, "EnhanceProtect audit");
	free(s);
	pl_sc_profile_free(p);
	pl_diag_clear(&d);
}

static void test_setsockopt_complement(void)
{
	struct tpol t;
	struct pl_diag d;
	tpol_init(&t, PL_MODE_ENHANCE_PROTECT);
	struct pl_sc_syscall *sc = tpol_raw(&t, "setsockopt", PL_SC_ACT_ERRNO);
	raw_arg(sc, 1, 1, 0, PL_SC_OP_EQ);
	raw_arg(sc, 2, 26, 0, PL_SC_OP_EQ);
	sc = tpol_raw(&t, "setsockopt", PL_SC_ACT_ERRNO);
	raw_arg(sc, 1, 1, 0, PL_SC_OP_EQ);
	raw_arg(sc, 2, 51, 0, PL_SC_OP_EQ);
	struct pl_sc_profile *p = gen(&t, PL_RUN_AS_WRITTEN, &d);
	char *s = p ? dump_str(p) : NULL;
	TAP_OK(
	    s && has_line(s, "setsockopt(a1 == 0) -> ALLOW [runtime-default]") &&
		has_line(s, "setsockopt(a1 >= 2) -> ALLOW [runtime-default]") &&
		has_line(s, "setsockopt(a1 == 1 && a2 <= 25) -> ALLOW [runtime-default]") &&
		has_line(s, "setsockopt(a1 == 1 && a2 == 26) -> ERRNO(EPERM) [syscallRawRules]") &&
		has_line(s, "setsockopt(a1 == 1 && a2 == 27) -> ALLOW [runtime-default]") &&
		has_line(s, "setsockopt(a1 == 1 && a2 >= 52) -> ALLOW [runtime-default]") &&
		!strstr(s, "setsockopt(a1 == 1 && a2 == 51) -> ALLOW"),
	    "two two-argument denies: a decision tree on a1 then a2, without a hole");
	if (p)
		invariants(p, "setsockopt complement");
	free(s);
	pl_sc_profile_free(p);
	pl_diag_clear(&d);
}

static void test_never_deny(void)
{
	struct tpol t;
	struct pl_diag d;
	tpol_init(&t, PL_MODE_ENHANCE_PROTECT);
	tpol_raw(&t, "exit_group", PL_SC_ACT_ERRNO);
	struct pl_sc_profile *p = gen(&t, PL_RUN_AS_WRITTEN, &d);
	TAP_OK(p == NULL && d.n_errors == 1 && d.head && strstr(d.head->message, "exit_group"),
	       "a raw rule denying exit_group is refused");
	pl_sc_profile_free(p);
	pl_diag_clear(&d);
	tpol_init(&t, PL_MODE_ENHANCE_PROTECT);
	tpol_raw(&t, "rt_sigreturn", PL_SC_ACT_KILL_PROCESS);
	p = gen(&t, PL_RUN_AS_WRITTEN, &d);
	TAP_OK(p == NULL && d.n_errors == 1, "a raw rule killing on rt_sigreturn is refused");
	pl_sc_profile_free(p);
	pl_diag_clear(&d);
	tpol_init(&t, PL_MODE_ENHANCE_PROTECT);
	tpol_raw(&t, "exit_group", PL_SC_ACT_LOG);
	p = gen(&t, PL_RUN_AS_WRITTEN, &d);
	TAP_OK(p != NULL, "a raw rule logging exit_group is fine");
	pl_sc_profile_free(p);
	pl_diag_clear(&d);
	tpol_init(&t, PL_MODE_ENHANCE_PROTECT);
	tpol_raw(&t, "no_such_syscall", PL_SC_ACT_ERRNO);
	p = gen(&t, PL_RUN_AS_WRITTEN, &d);
	TAP_OK(p == NULL && d.head && strstr(d.head->message, "unknown syscall"),
	       "an unknown syscall name is an error");
	pl_sc_profile_free(p);
	pl_diag_clear(&d);
}

static void test_modeling_and_dind(void)
{
	struct tpol t;
	struct pl_diag d;
	tpol_init(&t, PL_MODE_BEHAVIOR_MODELING);
	struct pl_sc_profile *p = gen(&t, PL_RUN_AS_WRITTEN, &d);
	TAP_OK(p && p->default_action == PL_SC_ACT_LOG, "BehaviorModeling: default LOG");
	if (p)
		invariants(p, "BehaviorModeling");
	pl_sc_profile_free(p);

	static const char custom[] =
	    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\"],"
	    "\"syscalls\":[{\"names\":[\"read\",\"write\",\"exit_group\"],"
	    "\"action\":\"SCMP_ACT_ALLOW\"},"
	    "{\"names\":[\"exit\"],\"action\":\"SCMP_ACT_ERRNO\"}]}";
	struct pl_sc_profile *c = NULL;
	TAP_OK(pl_sc_profile_from_json("custom", custom, strlen(custom), &c, &d) == 0,
	       "custom profile parses");
	tpol_init(&t, PL_MODE_DEFENSE_IN_DEPTH);
	t.p.dind.present = true;
	t.p.dind.seccomp_type = PL_PROFILE_CUSTOM;
	t.p.dind.seccomp_custom = c;
	p = gen(&t, PL_RUN_AS_WRITTEN, &d);
	char *s = p ? dump_str(p) : NULL;
	TAP_OK(p && p->default_action == PL_SC_ACT_ERRNO,
	       "DefenseInDepth: default forced to ERRNO");
	TAP_OK(s && has_line(s, "read() -> ALLOW [defenseInDepth]") &&
		   has_line(s, "exit() -> ALLOW [never-deny]") && d.n_warnings == 1,
	       "custom entries kept; the exit deny is overridden with a warning");
	if (p)
		invariants(p, "DefenseInDepth");
	free(s);
	pl_sc_profile_free(p);
	pl_diag_clear(&d);
	t.p.dind.allow_violations = true;
	p = gen(&t, PL_RUN_AS_WRITTEN, &d);
	TAP_OK(p && p->default_action == PL_SC_ACT_LOG, "DefenseInDepth allowViolations: LOG");
	pl_sc_profile_free(p);
	pl_diag_clear(&d);
	t.p.dind.seccomp_type = PL_PROFILE_BEHAVIOR_MODEL;
	t.p.dind.seccomp_custom = NULL;
	p = gen(&t, PL_RUN_AS_WRITTEN, &d);
	TAP_OK(!p && d.head && d.head->field &&
		   strstr(d.head->field, "defenseInDepth.seccomp.profileType"),
	       "DefenseInDepth BehaviorModel without a model is an error");
	pl_sc_profile_free(p);
	pl_sc_profile_free(c);
	pl_diag_clear(&d);
}

/* Length in BPF instructions of the filter libseccomp builds; -1 on error. */
static long bpf_len(const struct pl_sc_profile *p)
{
	struct pl_diag d = { 0 };
	int fd = memfd_create("bpf", MFD_CLOEXEC);
	long n = -1;
	if (fd >= 0 && pl_sc_profile_export_bpf(p, fd, &d) >= 0)
		n = lseek(fd, 0, SEEK_END) / 8;
	print_diag(&d);
	pl_diag_clear(&d);
	if (fd >= 0)
		close(fd);
	return n;
}

static bool names_socket_call(const struct pl_rule *r)
{
	const struct pl_translation *tr = pl_rule_translation(r, PL_MECH_SECCOMP);
	for (size_t j = 0; tr && j < tr->u.seccomp.n; j++)
		if (!strncmp(tr->u.seccomp.rules[j].syscall, "socket", 6) ||
		    !strcmp(tr->u.seccomp.rules[j].syscall, "setsockopt"))
			return true;
	return false;
}

/* Upper 32 bits of int arguments: the catalog tests them with
 * (a & 0xffffffff) == v, the merge handles every built-in combination, and
 * the filter stays under the kernel's 4096 instructions. */
static void test_upper_bits(void)
{
	size_t n;
	const struct pl_rule *rules = pl_catalog_rules(&n);
	size_t plain = 0;
	for (size_t i = 0; i < n; i++) {
		const struct pl_translation *tr = pl_rule_translation(&rules[i], PL_MECH_SECCOMP);
		for (size_t j = 0; tr && j < tr->u.seccomp.n; j++)
			for (size_t a = 0; a < tr->u.seccomp.rules[j].n_args; a++)
				if (tr->u.seccomp.rules[j].args[a].op != PL_SC_OP_MASKED_EQ) {
					printf("# %s: %s a%u is not a masked test\n", rules[i].id,
					       tr->u.seccomp.rules[j].syscall,
					       tr->u.seccomp.rules[j].args[a].index);
					plain++;
				}
	}
	TAP_OK(plain == 0, "catalog: every argument test is masked (no plain EQ an int's upper "
			   "bits could bypass)");

	/* m: 0 every rule, 1 every rule in observe mode, 2 every rule but those
	 * denying whole socket families (which would hide the argument tests
	 * of the others: the largest socket tree) */
	static const enum pl_run_mode modes[] = { PL_RUN_AS_WRITTEN, PL_RUN_OBSERVE,
						  PL_RUN_AS_WRITTEN };
	static const char *const whole_family[] = { "disable-network", "disable-inet",
						    "disable-inet6", "disable-unix-domain-socket",
						    NULL };
	for (int priv = 0; priv <= 1; priv++)
		for (size_t m = 0; m < 3; m++) {
			struct tpol t;
			struct pl_diag d;
			tpol_init(&t, PL_MODE_ENHANCE_PROTECT);
			t.p.enhance.privileged = priv;
			for (size_t i = 0; i < n; i++) {
				bool skip = false;
				for (size_t k = 0; m == 2 && whole_family[k]; k++)
					skip |= !strcmp(rules[i].id, whole_family[k]);
				if (!skip && pl_rule_translation(&rules[i], PL_MECH_SECCOMP))
					tpol_rule(&t, rules[i].id, PL_ACTION_DENY);
			}
			tpol_seed000(&t);
			struct pl_sc_profile *p = gen(&t, modes[m], &d);
			char what[128];
			snprintf(what, sizeof(what), "every seccomp rule%s on the %s base%s",
				 m == 2 ? " but whole-family socket denials" : "",
				 priv ? "AlwaysAllow" : "RuntimeDefault",
				 m == 1 ? " (observe)" : "");
			long len = p ? bpf_len(p) : -1;
			tap_diag("%s: %ld BPF instructions", what, len);
			TAP_OK(len > 0 && len < 4096,
			       "%s: the filter has %ld < 4096 instructions (the kernel's limit)",
			       what, len);
			if (p && m != 1)
				invariants(p, what);
			pl_sc_profile_free(p);
			pl_diag_clear(&d);
		}

	size_t pairs = 0, bad = 0;
	long worst = 0;
	for (int priv = 0; priv <= 1; priv++)
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++) {
				if (!names_socket_call(&rules[i]) || !names_socket_call(&rules[j]))
					continue;
				struct tpol t;
				struct pl_diag d;
				tpol_init(&t, PL_MODE_ENHANCE_PROTECT);
				t.p.enhance.privileged = priv;
				tpol_rule(&t, rules[i].id, PL_ACTION_DENY);
				tpol_rule(&t, rules[j].id, PL_ACTION_DENY);
				struct pl_sc_profile *p = gen(&t, PL_RUN_AS_WRITTEN, &d);
				long len = p ? bpf_len(p) : -1;
				pairs++;
				if (len < 0 || len >= 4096) {
					bad++;
					printf("# %s + %s (%s): %ld\n", rules[i].id, rules[j].id,
					       priv ? "privileged" : "RuntimeDefault", len);
				}
				if (len > worst)
					worst = len;
				pl_sc_profile_free(p);
				pl_diag_clear(&d);
			}
	TAP_OK(pairs > 20 && bad == 0,
	       "every pair of socket rules on both bases: %zu profiles build (largest %ld "
	       "instructions)",
	       pairs, worst);

	/* syscallRawRules keep SCMP_CMP_EQ as written, with a warning */
	struct tpol t;
	struct pl_diag d;
	tpol_init(&t, PL_MODE_ENHANCE_PROTECT);
	struct pl_sc_syscall *sc = tpol_raw(&t, "socket", PL_SC_ACT_ERRNO);
	raw_arg(sc, 0, 38, 0, PL_SC_OP_EQ);
	struct pl_sc_profile *p = gen(&t, PL_RUN_AS_WRITTEN, &d);
	char *s = p ? dump_str(p) : NULL;
	bool warned = false;
	for (const struct pl_diag_entry *e = d.head; e; e = e->next)
		warned |= e->message && strstr(e->message, "upper bits") &&
			  strstr(e->message, "SCMP_CMP_MASKED_EQ") &&
			  strstr(e->message, "0xffffffff");
	TAP_OK(s && has_line(s, "socket(a0 == 38) -> ERRNO(EPERM) [syscallRawRules]") && warned,
	       "raw deny with SCMP_CMP_EQ: kept as written, warned about upper bits");
	free(s);
	pl_sc_profile_free(p);
	pl_diag_clear(&d);
	tpol_init(&t, PL_MODE_ENHANCE_PROTECT);
	sc = tpol_raw(&t, "socket", PL_SC_ACT_ERRNO);
	raw_arg(sc, 0, 0xffffffff, 38, PL_SC_OP_MASKED_EQ);
	p = gen(&t, PL_RUN_AS_WRITTEN, &d);
	TAP_OK(p && d.n_warnings == 0, "raw deny with MASKED_EQ 0xffffffff: no warning");
	pl_sc_profile_free(p);
	pl_diag_clear(&d);
	/* SCMP_CMP_EQ next to a built-in rule's masked test of the same
	 * argument cannot be merged: refused loudly, with the way out */
	tpol_init(&t, PL_MODE_ENHANCE_PROTECT);
	tpol_rule(&t, "copy-fail-mitigation", PL_ACTION_DENY);
	sc = tpol_raw(&t, "socket", PL_SC_ACT_ERRNO);
	raw_arg(sc, 0, 40, 0, PL_SC_OP_EQ);
	p = gen(&t, PL_RUN_AS_WRITTEN, &d);
	bool hint = false;
	for (const struct pl_diag_entry *e = d.head; e; e = e->next)
		hint |= e->severity == PL_SEV_ERROR && e->message &&
			strstr(e->message, "MASKED_EQ 0xffffffff");
	TAP_OK(!p && hint, "raw SCMP_CMP_EQ on an argument a built-in rule tests masked: refused "
			   "with a hint");
	pl_sc_profile_free(p);
	pl_diag_clear(&d);
	tpol_init(&t, PL_MODE_ENHANCE_PROTECT);
	tpol_rule(&t, "copy-fail-mitigation", PL_ACTION_DENY);
	sc = tpol_raw(&t, "socket", PL_SC_ACT_ERRNO);
	/* AF_KCM (41): not RuntimeDefault's own AF_VSOCK (40) deny */
	raw_arg(sc, 0, 0xffffffff, 41, PL_SC_OP_MASKED_EQ);
	p = gen(&t, PL_RUN_AS_WRITTEN, &d);
	s = p ? dump_str(p) : NULL;
	TAP_OK(
	    s &&
		has_line(
		    s, "socket(a0 & 0xffffffff == 0x26) -> ERRNO(EPERM) [copy-fail-mitigation]") &&
		has_line(s, "socket(a0 & 0xffffffff == 0x29) -> ERRNO(EPERM) [syscallRawRules]"),
	    "…and merged when written as MASKED_EQ 0xffffffff");
	if (p)
		invariants(p, "raw MASKED_EQ next to copy-fail-mitigation");
	free(s);
	pl_sc_profile_free(p);
	pl_diag_clear(&d);
}

/* Observe records behaviour: the allow-list logs, except never-deny and
 * the quiet high-frequency set; the rules log; the base still denies. */
static void test_observe(void)
{
	struct tpol t;
	struct pl_diag d;
	tpol_init(&t, PL_MODE_ENHANCE_PROTECT);
	tpol_rule(&t, "copy-fail-mitigation", PL_ACTION_DENY);
	struct pl_sc_profile *p = gen(&t, PL_RUN_OBSERVE, &d);
	char *s = p ? dump_str(p) : NULL;
	bool log_flag = false;
	for (size_t i = 0; p && i < p->n_flags; i++)
		log_flag |= !strcmp(p->flags[i], "SECCOMP_FILTER_FLAG_LOG");
	TAP_OK(s && p->default_action == PL_SC_ACT_ERRNO && p->default_errno_ret == ENOSYS,
	       "observe on RuntimeDefault: unknown syscalls still ENOSYS");
	TAP_OK(s && strstr(s, "getpid") && !has_line(s, "getpid() -> ALLOW [runtime-default]") &&
		   strstr(s, "openat") && !has_line(s, "openat() -> ALLOW [runtime-default]"),
	       "observe on RuntimeDefault: the allow-list is recorded (LOG)");
	TAP_OK(s && has_line(s, "socket(a0 & 0xffffffff == 0x26) -> LOG [copy-fail-mitigation]") &&
		   !strstr(s, "ERRNO(EPERM) [copy-fail-mitigation]"),
	       "observe: the rule's denial becomes LOG");
	TAP_OK(s && pl_sc_profile_origin(p, AUDIT_ARCH_X86_64, SYS_io_uring_setup) &&
		   !strcmp(pl_sc_profile_origin(p, AUDIT_ARCH_X86_64, SYS_io_uring_setup),
			   "runtime-default") &&
		   log_flag,
	       "observe: the base's denials stay, and are logged");
	TAP_OK(pl_sc_profile_origin(p, AUDIT_ARCH_X86_64, SYS_getpid) == NULL,
	       "observe: a recorded allowed syscall has no rule origin (reported ALLOWED)");
	bool quiet = true;
	for (size_t i = 0; p && i < p->n_syscalls; i++)
		for (size_t j = 0; j < p->syscalls[i].n_names; j++) {
			const char *nm = p->syscalls[i].names[j];
			if ((!strcmp(nm, "read") || !strcmp(nm, "write") || !strcmp(nm, "close") ||
			     !strcmp(nm, "futex") || !strcmp(nm, "exit_group")) &&
			    p->syscalls[i].action != PL_SC_ACT_ALLOW)
				quiet = false;
		}
	TAP_OK(p && quiet, "observe: read, write, close, futex and never-deny stay ALLOW");
	if (p)
		invariants(p, "observe on RuntimeDefault");
	free(s);
	pl_sc_profile_free(p);
	pl_diag_clear(&d);

	/* the AlwaysAllow base logs by default in observe: the quiet set is
	 * let through without a record there too */
	tpol_init(&t, PL_MODE_ENHANCE_PROTECT);
	t.p.enhance.privileged = true;
	tpol_rule(&t, "copy-fail-mitigation", PL_ACTION_DENY);
	p = gen(&t, PL_RUN_OBSERVE, &d);
	s = p ? dump_str(p) : NULL;
	TAP_OK(s && p->default_action == PL_SC_ACT_LOG &&
		   has_line(s, "read() -> ALLOW [observe]") &&
		   has_line(s, "futex() -> ALLOW [observe]") &&
		   has_line(s, "socket(a0 & 0xffffffff == 0x26) -> LOG [copy-fail-mitigation]"),
	       "observe on AlwaysAllow: default LOG, the quiet set ALLOW, the rule LOG");
	if (p)
		invariants(p, "observe on AlwaysAllow");
	free(s);
	pl_sc_profile_free(p);
	pl_diag_clear(&d);
}

int main(void)
{
	test_always_allow();
	test_runtime_default();
	test_enhance();
	test_setsockopt_complement();
	test_never_deny();
	test_modeling_and_dind();
	test_upper_bits();
	test_observe();
	return tap_done();
}
