/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Live seccomp tests, the bases (live-lib.c runs each attack in a forked
 * child under a generated filter): what RuntimeDefault denies, and benign
 * workloads every base must let run.
 */
#include "live.h"

static void runtime_default_cases(void)
{
	struct tpol t;
	struct pl_diag d;
	tpol_init(&t, PL_MODE_RUNTIME_DEFAULT);
	struct pl_sc_profile *p = profile(&t, &d);
	TAP_OK(p != NULL, "RuntimeDefault: profile generated");
	if (!p)
		return;
	static const struct attack atk[] = {
		ATK(a_io_uring_setup, EPERM),
		ATK(a_clone3_user, ENOSYS),
		ATK(a_unshare_user, EPERM),
		ATK(a_mount_proc, EPERM),
		ATK(a_bpf_map_create, EPERM),
		ATK(a_personality_hi, ENOSYS),
		ATK(a_clone_user_hi, ENOSYS), /* clone outside the allow condition: the default */
		ATK(a_personality_query, 0),
		ATK(a_fork, 0),
		END,
	};
	for (size_t k = 0; atk[k].name; k++)
		check("RuntimeDefault", p, &atk[k]);
	long r = run(p, a_nr_1000);
	TAP_OK(r == -ENOSYS, "RuntimeDefault: unknown syscall 1000 -> %s (want ENOSYS, not EPERM)",
	       res_str(r));
	pl_sc_profile_free(p);
}

static void benign_cases(void)
{
	/* DefenseInDepth's custom profile is an allow-list (its default is
	 * forced to ERRNO): use the RuntimeDefault profile, through JSON. */
	struct pl_sc_profile *custom = NULL, *rd;
	struct pl_diag d = { 0 };
	struct tpol rt;
	char *cj = NULL;
	tpol_init(&rt, PL_MODE_RUNTIME_DEFAULT);
	rd = profile(&rt, &d);
	if (rd && pl_sc_profile_to_json(rd, &cj, &d) == 0)
		pl_sc_profile_from_json("custom", cj, strlen(cj), &custom, &d);
	TAP_OK(custom != NULL, "DefenseInDepth custom profile from RuntimeDefault JSON");
	free(cj);
	pl_sc_profile_free(rd);
	pl_diag_clear(&d);
	static const struct {
		const char *name;
		enum pl_mode mode;
		bool priv, all_rules;
	} modes[] = {
		{ "AlwaysAllow", PL_MODE_ALWAYS_ALLOW, false, false },
		{ "RuntimeDefault", PL_MODE_RUNTIME_DEFAULT, false, false },
		{ "EnhanceProtect (all seccomp rules but network)", PL_MODE_ENHANCE_PROTECT, false,
		  true },
		{ "EnhanceProtect privileged (same rules)", PL_MODE_ENHANCE_PROTECT, true, true },
		{ "BehaviorModeling", PL_MODE_BEHAVIOR_MODELING, false, false },
		{ "DefenseInDepth (custom profile)", PL_MODE_DEFENSE_IN_DEPTH, false, false },
	};
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		struct tpol t;
		tpol_init(&t, modes[m].mode);
		t.p.enhance.privileged = modes[m].priv;
		if (modes[m].all_rules) {
			size_t n;
			const struct pl_rule *rules = pl_catalog_rules(&n);
			for (size_t i = 0; i < n; i++)
				if (pl_rule_translation(&rules[i], PL_MECH_SECCOMP) &&
				    strncmp(rules[i].id, "disable-network", 15) &&
				    strcmp(rules[i].id, "disable-unix-domain-socket"))
					tpol_rule(&t, rules[i].id, PL_ACTION_DENY);
			tpol_seed000(&t);
		}
		if (modes[m].mode == PL_MODE_DEFENSE_IN_DEPTH) {
			t.p.dind.present = true;
			t.p.dind.seccomp_type = PL_PROFILE_CUSTOM;
			t.p.dind.seccomp_custom = custom;
		}
		struct pl_sc_profile *p = profile(&t, &d);
		TAP_OK(p != NULL, "%s: profile generated", modes[m].name);
		if (!p)
			continue;
		long r = run(p, a_exec_true);
		TAP_OK(r == 0, "%s: exec /bin/true -> %s", modes[m].name, res_str(r));
		r = run(p, a_workload);
		TAP_OK(r == 0, "%s: open/read/write/stat/getpid + sh -c 'echo ok' -> %s",
		       modes[m].name, res_str(r));
		pl_sc_profile_free(p);
	}
	pl_sc_profile_free(custom);
}

int main(void)
{
	if (live_setup() < 0)
		return tap_done();
	runtime_default_cases();
	benign_cases();
	live_teardown();
	return tap_done();
}
