/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>

#include "cli.h"
#include "plastron/policy.h"

void cli_print_diag(const struct pl_diag *d)
{
	for (const struct pl_diag_entry *e = d->head; e; e = e->next) {
		char *s = pl_diag_format(e);
		if (s) {
			fprintf(stderr, "%s\n", s);
			free(s);
		}
	}
}

struct pl_policy_set *cli_load_policies(const char *path)
{
	struct pl_diag d = { 0 };
	struct pl_policy_set *set = NULL;
	int r = pl_policy_set_load(path, &set, &d);
	cli_print_diag(&d);
	pl_diag_clear(&d);
	return r < 0 ? NULL : set;
}
