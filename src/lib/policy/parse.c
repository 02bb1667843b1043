/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>

#include "plastron/policy.h"
#include "shared/macro.h"

/* Placeholder until the parser lands. */
PL_EXPORT int pl_policy_set_load(const char *path, struct pl_policy_set **ret, struct pl_diag *diag)
{
	(void)ret;
	return pl_error(diag, -ENOSYS, &(struct pl_pos){.file = path}, NULL, "parser not built yet");
}
