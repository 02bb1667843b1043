/* SPDX-License-Identifier: Apache-2.0 */
/*
 * seccomp into the kernel: a profile's libseccomp filter (built by the
 * generator's filter code, src/lib/gen/seccomp-filter.c) loaded into the
 * calling thread.
 */
#include <seccomp.h>
#include <string.h>

#include "lib/gen/seccomp-internal.h"
#include "plastron/apply.h"
#include "shared/macro.h"

PL_EXPORT int pl_sc_profile_load(const struct pl_sc_profile *prof, struct pl_diag *d)
{
	scmp_filter_ctx ctx;
	int r = sc_filter_build(prof, &ctx, d);
	if (r < 0)
		return r;
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0)
		return pl_error(d, r, NULL, NULL, "loading the seccomp filter failed: %s",
				strerror(-r));
	return 0;
}
