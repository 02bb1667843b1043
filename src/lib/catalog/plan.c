/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Plans: for each built-in rule a policy uses, which of the allowed
 * mechanisms carry it. Also the run-mode override of a rule's action.
 */
#include <errno.h>
#include <stdlib.h>

#include "plastron/plan.h"
#include "shared/macro.h"

PL_EXPORT enum pl_action pl_effective_action(enum pl_action written, const struct pl_gen_opts *o)
{
	if (!o)
		return written;
	switch (o->run_mode) {
	case PL_RUN_ENFORCE:
		return PL_ACTION_DENY_LOG;
	case PL_RUN_AUDIT:
	case PL_RUN_OBSERVE:
		return PL_ACTION_ALLOW_LOG;
	case PL_RUN_AS_WRITTEN:
	default:
		if (written == PL_ACTION_DENY && o->force_log)
			return PL_ACTION_DENY_LOG;
		return written;
	}
}

/*
 * A use carries a rule through every allowed mechanism that has a
 * translation, with two exceptions:
 *  - attackProtectionRules with `targets` confine single executables, which
 *    only AppArmor (child profiles) can do; any other mechanism would apply
 *    the rule to the whole container, so it is not used for them.
 *  - rules resolved from the Kubernetes API (PL_RULE_NEEDS_K8S) have no
 *    concrete data until plastrond resolves them, so no mechanism carries
 *    them yet and they count as unenforced.
 * Built-in rules only exist in EnhanceProtect mode: in any other mode the
 * parser warns that enhanceProtect is ignored, and the plan is empty.
 */
PL_EXPORT int pl_plan_build(const struct pl_policy *p, uint32_t mechs, struct pl_plan **ret,
			    struct pl_diag *d)
{
	struct pl_plan *plan;
	size_t n;

	if (!p || !ret)
		return pl_error(d, -EINVAL, NULL, NULL, "pl_plan_build: invalid argument");
	plan = calloc(1, sizeof(*plan));
	if (!plan)
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	n = p->mode == PL_MODE_ENHANCE_PROTECT ? p->enhance.n_rules : 0;
	if (n) {
		plan->items = calloc(n, sizeof(*plan->items));
		if (!plan->items) {
			free(plan);
			return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
		}
	}
	plan->n = n;
	for (size_t i = 0; i < n; i++) {
		const struct pl_rule_use *use = &p->enhance.rules[i];
		struct pl_plan_item *it = &plan->items[i];

		it->use = use;
		if (!use->rule || (use->rule->flags & PL_RULE_NEEDS_K8S)) {
			plan->n_unenforced++;
			continue;
		}
		for (int m = 0; m < PL_MECH__MAX; m++) {
			if (!(mechs & (1u << m)))
				continue;
			if (use->targets.n && m != PL_MECH_APPARMOR)
				continue;
			it->by[m] = pl_rule_translation(use->rule, (enum pl_mech)m);
			if (it->by[m])
				it->enforced = true;
		}
		if (!it->enforced)
			plan->n_unenforced++;
	}
	*ret = plan;
	return 0;
}

PL_EXPORT void pl_plan_free(struct pl_plan *plan)
{
	if (!plan)
		return;
	free(plan->items);
	free(plan);
}
