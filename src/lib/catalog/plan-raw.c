/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Planning for `plastron run` (the mechanisms PL_RUN_MECHS: seccomp,
 * capabilities, Landlock): which rules of a policy it leaves unenforced,
 * built-in rules (from the plan, plan.c) and raw rules (appArmorRawRules,
 * bpfRawRules, networkProxyRawRules, defenseInDepth's AppArmor and proxy),
 * each named with the mechanisms that could carry it. syscallRawRules are
 * carried by seccomp and are not listed.
 */
#include <stdio.h>
#include <string.h>

#include "plastron/catalog.h"
#include "plastron/plan.h"
#include "shared/macro.h"

/* The mechanisms a rule could use when `plastron run` cannot carry it. */
static void other_mechs(const struct pl_rule *r, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; r && i < r->n_tr; i++) {
		const char *what;
		switch (r->tr[i].mech) {
		case PL_MECH_APPARMOR:
			what = "AppArmor";
			break;
		case PL_MECH_CGROUP_BPF:
			what = "cgroup-BPF (plastrond)";
			break;
		case PL_MECH_BPF_LSM:
			what = "BPF-LSM";
			break;
		default:
			continue;
		}
		if (strstr(buf, what))
			continue;
		int n = snprintf(buf + o, len - o, "%s%s", o ? ", " : "", what);
		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
	if (!o)
		snprintf(buf, len, "%s",
			 r && (r->flags & PL_RULE_NEEDS_K8S)
			     ? "plastrond (resolved from the Kubernetes API)"
			     : "no mechanism yet");
}

static void unenforced(size_t *n, struct pl_diag *d, const struct pl_pos *pos, const char *field,
		       const char *what, const char *needs)
{
	(*n)++;
	pl_warning(d, pos, field,
		   "%s is not enforced by seccomp, capabilities or Landlock (needs %s)", what,
		   needs);
}

/* Parts of a policy that are not built-in rules and that `plastron run`
 * cannot carry. */
static void check_raw(const struct pl_policy *p, size_t *n, struct pl_diag *d)
{
	const struct pl_enhance *e = &p->enhance;
	const struct pl_bpf_raw *b = &e->bpf;
	char what[160];

	for (size_t i = 0; i < e->n_apparmor_raw; i++)
		unenforced(n, d, &e->apparmor_raw[i].pos,
			   "spec.policy.enhanceProtect.appArmorRawRules", "appArmorRawRules entry",
			   "AppArmor");
	for (size_t i = 0; i < b->n_files; i++) {
		snprintf(what, sizeof(what), "bpfRawRules %s rule '%s'",
			 b->files[i].from_processes ? "processes" : "files", b->files[i].pattern);
		unenforced(n, d, &b->files[i].pos, "spec.policy.enhanceProtect.bpfRawRules", what,
			   "BPF-LSM");
	}
	for (size_t i = 0; i < b->n_sockets; i++)
		unenforced(n, d, &b->sockets[i].pos,
			   "spec.policy.enhanceProtect.bpfRawRules.network.sockets",
			   "bpfRawRules network.sockets rule", "cgroup-BPF (plastrond)");
	for (size_t i = 0; i < b->n_egress; i++) {
		snprintf(what, sizeof(what), "bpfRawRules network.egress rule '%s'",
			 b->egress[i].text ? b->egress[i].text : "?");
		unenforced(n, d, &b->egress[i].pos,
			   "spec.policy.enhanceProtect.bpfRawRules.network.egress", what,
			   "cgroup-BPF (plastrond)");
	}
	for (size_t i = 0; i < b->n_services; i++)
		unenforced(n, d, &b->services[i].pos,
			   "spec.policy.enhanceProtect.bpfRawRules.network.egress.toServices",
			   "bpfRawRules egress toServices rule", "plastrond (Kubernetes API)");
	for (size_t i = 0; i < b->n_pods; i++)
		unenforced(n, d, &b->pods[i].pos,
			   "spec.policy.enhanceProtect.bpfRawRules.network.egress.toPods",
			   "bpfRawRules egress toPods rule", "plastrond (Kubernetes API)");
	if (b->ptrace.present)
		unenforced(n, d, &b->ptrace.pos, "spec.policy.enhanceProtect.bpfRawRules.ptrace",
			   "bpfRawRules ptrace rule", "BPF-LSM or AppArmor");
	for (size_t i = 0; i < b->n_mounts; i++)
		unenforced(n, d, &b->mounts[i].pos, "spec.policy.enhanceProtect.bpfRawRules.mounts",
			   "bpfRawRules mount rule", "BPF-LSM");
	if (e->has_network_proxy_raw)
		unenforced(n, d, &p->pos, "spec.policy.enhanceProtect.networkProxyRawRules",
			   "networkProxyRawRules", "a network proxy (not part of plastron)");
	if (p->has_network_proxy_config)
		unenforced(n, d, &p->network_proxy_config_pos, "spec.policy.networkProxyConfig",
			   "networkProxyConfig", "a network proxy (not part of plastron)");
	if (p->mode == PL_MODE_DEFENSE_IN_DEPTH && p->dind.present) {
		if (p->dind.apparmor_type != PL_PROFILE_NONE || p->dind.n_apparmor_raw)
			unenforced(n, d, &p->pos, "spec.policy.defenseInDepth.appArmor",
				   "defenseInDepth AppArmor profile", "AppArmor");
		if (p->dind.has_network_proxy)
			unenforced(n, d, &p->pos, "spec.policy.defenseInDepth.networkProxy",
				   "defenseInDepth networkProxy",
				   "a network proxy (not part of plastron)");
	}
}

PL_EXPORT size_t pl_plan_run_unenforced(const struct pl_policy *p, const struct pl_plan *plan,
					const struct pl_gen_opts *o, struct pl_diag *d)
{
	size_t n = 0;

	for (size_t i = 0; i < plan->n; i++) {
		const struct pl_plan_item *it = &plan->items[i];
		const struct pl_rule_use *use = it->use;
		char what[160], needs[160];
		bool only_caps;

		if (!it->enforced) {
			snprintf(what, sizeof(what), "rule '%s'",
				 use->rule ? use->rule->id : use->written);
			other_mechs(use->rule, needs, sizeof(needs));
			unenforced(&n, d, &use->pos, "spec.policy.enhanceProtect", what, needs);
			continue;
		}
		only_caps =
		    it->by[PL_MECH_CAPS] && !it->by[PL_MECH_SECCOMP] && !it->by[PL_MECH_LANDLOCK];
		if (only_caps && pl_effective_action(use->action, o) == PL_ACTION_ALLOW_LOG)
			pl_note(d, &use->pos, "spec.policy.enhanceProtect",
				"rule '%s' is carried by the capability bounding set only, which "
				"cannot audit: with allow+log it is neither blocked nor reported",
				use->rule->id);
	}
	check_raw(p, &n, d);
	return n;
}
