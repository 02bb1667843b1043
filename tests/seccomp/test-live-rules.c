/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Live seccomp tests, the rules (live-lib.c runs each attack in a forked
 * child under a generated filter): every built-in rule with a seccomp
 * translation must have attacks here (checked), run both on the AlwaysAllow
 * base (privileged: only the rule denies) and on the RuntimeDefault base
 * (the merge must keep the rule); seed000; a wide ioctl gap; and the
 * kernel's truncation of int arguments without a filter.
 */
#include "live.h"

static void trunc_cases(void)
{
	/* The kernel truncates: with upper bits set, each call does what the
	 * plain one does (without a filter), so a 64-bit EQ would be bypassed.
	 * (unshare takes an unsigned long and rejects upper bits with EINVAL;
	 * its rule is a single-bit mask anyway.) */
	static const struct {
		const char *name;
		long (*plain)(void), (*hi)(void);
	} trunc[] = {
		{ "socket(AF_ALG)", a_sock_alg, a_sock_alg_hi },
		{ "socket(AF_INET, SOCK_DGRAM)", a_sock_inet_dgram, a_sock_inet_dgram_hi },
		{ "bpf(BPF_PROG_LOAD)", a_bpf_prog_load, a_bpf_prog_load_hi },
		{ "setsockopt(SO_ATTACH_FILTER)", a_so_attach_filter, a_so_attach_filter_hi },
		{ "setsockopt(SO_ATTACH_REUSEPORT_CBPF)", a_so_attach_reuseport_cbpf,
		  a_so_attach_reuseport_cbpf_hi },
	};
	for (size_t i = 0; i < sizeof(trunc) / sizeof(trunc[0]); i++) {
		long a = baseline(trunc[i].plain), b = baseline(trunc[i].hi);
		TAP_OK(
		    a == b && a > INT32_MIN + 2,
		    "without a filter, %s with upper bits set does the same as without (%s / %s)",
		    trunc[i].name, res_str(b), res_str(a));
	}
}

static void rule_cases(void)
{
	size_t n;
	const struct pl_rule *rules = pl_catalog_rules(&n);
	for (size_t i = 0; i < n; i++) {
		const struct pl_rule *r = &rules[i];
		if (!pl_rule_translation(r, PL_MECH_SECCOMP))
			continue;
		const struct attack *atk = NULL;
		for (size_t j = 0; j < table_len; j++)
			if (!strcmp(table[j].id, r->id))
				atk = table[j].atk;
		if (!atk && is_mount_rule(r))
			atk = mount_attacks;
		TAP_OK(atk != NULL, "%s: attacks are written for this seccomp rule", r->id);
		if (!atk)
			continue;
		for (int priv = 1; priv >= 0; priv--) {
			struct tpol t;
			struct pl_diag d;
			tpol_init(&t, PL_MODE_ENHANCE_PROTECT);
			t.p.enhance.privileged = priv;
			tpol_rule(&t, r->id, PL_ACTION_DENY);
			struct pl_sc_profile *p = profile(&t, &d);
			char what[160];
			snprintf(what, sizeof(what), "%s (%s)", r->id,
				 priv ? "privileged" : "RuntimeDefault base");
			TAP_OK(p != NULL, "%s: profile generated", what);
			for (size_t k = 0; p && atk[k].name; k++)
				check(what, p, &atk[k]);
			pl_sc_profile_free(p);
		}
	}
}

static void seed000_case(void)
{
	static const struct attack atk[] = {
		ATK(a_fchmodat_x, EPERM), ATK(a_fchmodat_xoth, EPERM), ATK(a_fchmodat_xgrp, EPERM),
		ATK(a_fchmodat_plain, 0), ATK(a_chmod_x, 0),           END,
	};
	for (int priv = 1; priv >= 0; priv--) {
		struct tpol t;
		struct pl_diag d;
		tpol_init(&t, PL_MODE_ENHANCE_PROTECT);
		t.p.enhance.privileged = priv;
		tpol_seed000(&t);
		struct pl_sc_profile *p = profile(&t, &d);
		const char *what = priv ? "seed 000 syscallRawRules (privileged)"
					: "seed 000 syscallRawRules (RuntimeDefault base)";
		TAP_OK(p != NULL, "%s: profile generated", what);
		for (size_t k = 0; p && atk[k].name; k++)
			check(what, p, &atk[k]);
		pl_sc_profile_free(p);
	}
	/* deny+log: SECCOMP_FILTER_FLAG_LOG loads and still denies */
	struct tpol t;
	struct pl_diag d;
	tpol_init(&t, PL_MODE_ENHANCE_PROTECT);
	tpol_rule(&t, "disable-chmod-x-bit", PL_ACTION_DENY_LOG);
	struct pl_sc_profile *p = profile(&t, &d);
	static const struct attack x = ATK(a_chmod_x, EPERM);
	if (p)
		check("disable-chmod-x-bit deny+log", p, &x);
	pl_sc_profile_free(p);
}

/* Two far-apart denied ioctl commands on the RuntimeDefault base: the
 * commands between them are allowed through aligned-block conditions. */
static void wide_gap_case(void)
{
	struct tpol t;
	struct pl_diag d;
	tpol_init(&t, PL_MODE_ENHANCE_PROTECT);
	tpol_rule(&t, "disallow-userfaultfd-creation", PL_ACTION_DENY);
	struct pl_sc_syscall *sc = tpol_raw(&t, "ioctl", PL_SC_ACT_ERRNO);
	/* as the upper-bits warning says: an int argument is tested masked */
	raw_arg(sc, 1, 0xffffffff, TIOCSTI, PL_SC_OP_MASKED_EQ);
	struct pl_sc_profile *p = profile(&t, &d);
	TAP_OK(p != NULL, "ioctl TIOCSTI + USERFAULTFD_IOC_NEW: profile generated");
	static const struct attack atk[] = {
		ATK(a_ioctl_tiocsti, EPERM),
		ATK(a_ioctl_fionread, 0),
		END,
	};
	for (size_t k = 0; p && atk[k].name; k++)
		check("ioctl wide gap (RuntimeDefault base)", p, &atk[k]);
	pl_sc_profile_free(p);
}

int main(void)
{
	if (live_setup() < 0)
		return tap_done();
	trunc_cases();
	rule_cases();
	seed000_case();
	wide_gap_case();
	live_teardown();
	return tap_done();
}
