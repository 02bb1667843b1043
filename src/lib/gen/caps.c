/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Capability bounding set: the union of the caps translations of every
 * built-in rule whose effective action blocks.
 *
 * Capabilities cannot "audit": dropping one from the bounding set is all
 * or nothing and the kernel reports nothing when a dropped capability is
 * missing. A rule whose effective action is ALLOW_LOG (allowViolations,
 * `--audit`, `--observe`) therefore drops nothing here; mechanisms that can
 * log (AppArmor, BPF-LSM capable hook) report its uses instead.
 *
 * Only EnhanceProtect has built-in rules; other modes drop nothing here.
 */
#include <errno.h>

#include "plastron/gen.h"
#include "shared/macro.h"

PL_EXPORT int pl_gen_caps(const struct pl_policy *p, const struct pl_gen_opts *o,
			  uint64_t *ret_drop, struct pl_diag *d)
{
	uint64_t drop = 0;

	if (!p || !ret_drop)
		return pl_error(d, -EINVAL, NULL, NULL, "pl_gen_caps: invalid argument");
	for (size_t i = 0; p->mode == PL_MODE_ENHANCE_PROTECT && i < p->enhance.n_rules; i++) {
		const struct pl_rule_use *use = &p->enhance.rules[i];
		const struct pl_translation *tr;

		if (!use->rule || use->targets.n) /* targets: per-executable, AppArmor only */
			continue;
		tr = pl_rule_translation(use->rule, PL_MECH_CAPS);
		if (!tr)
			continue;
		if (pl_effective_action(use->action, o) == PL_ACTION_ALLOW_LOG)
			continue;
		drop |= tr->u.caps.drop;
	}
	*ret_drop = drop;
	return 0;
}
