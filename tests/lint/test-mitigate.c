/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every entry of lint's mitigation table (src/lib/lint/mitigate.c) names a
 * check lint has and built-in rules the catalog has, and never the rule
 * that would take the setting away.
 */
#include <stdbool.h>
#include <string.h>

#include "plastron/catalog.h"
#include "plastron/lint.h"
#include "tap.h"

int main(void)
{
	size_t n_checks, n_entries = 0;
	const struct pl_lint_check *checks = pl_lint_checks(&n_checks);
	bool checks_ok = true, rules_ok = true, no_removal = true;
	const char *check, *detail;
	const char *const *rules;
	for (size_t i = 0; (rules = pl_lint_mitigation_entry(i, &check, &detail)); i++) {
		n_entries++;
		bool found = false;
		for (size_t k = 0; k < n_checks; k++)
			found |= !strcmp(checks[k].id, check);
		if (!found) {
			checks_ok = false;
			tap_diag("entry %zu: no check '%s'", i, check);
		}
		for (size_t k = 0; rules[k]; k++) {
			if (!pl_catalog_find(rules[k])) {
				rules_ok = false;
				tap_diag("entry %zu (%s): no rule '%s'", i, check, rules[k]);
			}
			/* a capability's own disable-cap rule is the setting's removal */
			if (!strncmp(rules[k], "disable-cap-", 12)) {
				no_removal = false;
				tap_diag("entry %zu (%s): names %s", i, check, rules[k]);
			}
		}
	}
	TAP_OK(n_entries > 10, "the table has %zu entries", n_entries);
	TAP_OK(checks_ok, "every entry names a check lint has");
	TAP_OK(rules_ok, "every rule it names is in the catalog");
	TAP_OK(no_removal, "no entry names a rule that drops the capability itself");
	return tap_done();
}
