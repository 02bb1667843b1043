/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plastron run's confinement of the calling process: prepared before fork,
 * applied between fork and exec (see include/plastron/apply.h for the order
 * and why).
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "plastron/apply.h"
#include "plastron/catalog.h"
#include "shared/macro.h"

PL_EXPORT int pl_confinement_prepare(const struct pl_policy *p, const struct pl_gen_opts *o,
				     struct pl_confinement **ret, struct pl_diag *d)
{
	struct pl_confinement *c;
	int r, abi;

	if (!p || !ret)
		return pl_error(d, -EINVAL, NULL, NULL, "pl_confinement_prepare: invalid argument");
	c = calloc(1, sizeof(*c));
	if (!c)
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	c->landlock_fd = -1;
	if (o)
		c->opts = *o;

	r = pl_plan_build(p, PL_RUN_MECHS, &c->plan, d);
	if (r < 0)
		goto fail;
	c->n_unenforced = pl_plan_run_unenforced(p, c->plan, &c->opts, d);

	r = pl_gen_seccomp(p, &c->opts, &c->seccomp, d);
	if (r < 0)
		goto fail;
	r = pl_gen_caps(p, &c->opts, &c->cap_drop, d);
	if (r < 0)
		goto fail;

	abi = pl_landlock_abi();
	if (p->landlock.present &&
	    (c->opts.run_mode == PL_RUN_AUDIT || c->opts.run_mode == PL_RUN_OBSERVE)) {
		/* Landlock has no allow-and-report mode: in audit and observe
		 * runs its allow-lists would still block, so they are left out
		 * (said once, not silently). */
		struct pl_policy none = { 0 };
		pl_note(d, &p->landlock.pos, "spec.plastron.landlock",
			"Landlock cannot report without denying: its allow-lists are not "
			"applied in %s mode",
			c->opts.run_mode == PL_RUN_AUDIT ? "audit" : "observe");
		r = pl_gen_landlock(&none, abi, &c->landlock, d);
		if (r < 0)
			goto fail;
		*ret = c;
		return 0;
	}
	r = pl_gen_landlock(p, abi, &c->landlock, d);
	if (r < 0)
		goto fail;
	/* counted by the generator, never read from the diagnostics (which may
	 * be NULL, or short of entries under memory pressure) */
	c->n_degraded = c->landlock->n_degraded;
	if (!c->landlock->empty) {
		r = pl_ll_ruleset_create_fd(c->landlock, d);
		if (r < 0)
			goto fail;
		c->landlock_fd = r;
	}
	*ret = c;
	return 0;
fail:
	pl_confinement_free(c);
	return r;
}

PL_EXPORT void pl_confinement_free(struct pl_confinement *c)
{
	if (!c)
		return;
	if (c->landlock_fd >= 0)
		close(c->landlock_fd);
	pl_sc_profile_free(c->seccomp);
	pl_ll_ruleset_free(c->landlock);
	pl_plan_free(c->plan);
	free(c);
}

static __attribute__((format(printf, 4, 5))) int fail(char *err, size_t errlen, int r,
						      const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		int n;
		va_start(ap, fmt);
		n = vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < errlen)
			snprintf(err + n, errlen - (size_t)n, ": %s", strerror(-r));
	}
	return r;
}

static int drop_caps(uint64_t drop, char *err, size_t errlen)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct cd[2] = { 0 };

	if (!drop)
		return 0;
	if (syscall(SYS_capget, &h, cd) < 0)
		return fail(err, errlen, -errno, "%s", "capget");
	for (int cap = 0; cap <= PL_CAP_LAST; cap++) {
		bool permitted;
		if (!(drop & (1ULL << cap)))
			continue;
		permitted = cd[cap / 32].permitted & (1u << (cap % 32));
		/* Lower from ambient and inheritable, so exec cannot bring it back. */
		(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, cap, 0, 0);
		cd[cap / 32].inheritable &= ~(1u << (cap % 32));
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1)
			continue; /* not in the bounding set, or unknown to this kernel */
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
			/* Without CAP_SETPCAP the bounding set cannot shrink. When the
			 * capability is not permitted either, no_new_privs already
			 * keeps exec from granting it (no setuid, no file caps). */
			if (errno == EPERM && !permitted)
				continue;
			return fail(err, errlen, -errno, "dropping %s from the bounding set",
				    pl_cap_name(cap));
		}
	}
	if (syscall(SYS_capset, &h, cd) < 0)
		return fail(err, errlen, -errno, "%s",
			    "capset (clearing inheritable capabilities)");
	return 0;
}

PL_EXPORT int pl_confinement_apply(const struct pl_confinement *c, char *err, size_t errlen)
{
	int r;

	if (err && errlen)
		err[0] = '\0';
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail(err, errlen, -errno, "%s", "prctl(PR_SET_NO_NEW_PRIVS)");
	r = drop_caps(c->cap_drop, err, errlen);
	if (r < 0)
		return r;
	if (c->landlock_fd >= 0) {
		r = pl_ll_restrict_self(c->landlock_fd, c->landlock->abi);
		if (r < 0)
			return fail(err, errlen, r, "%s", "landlock_restrict_self");
	}
	if (c->seccomp) {
		struct pl_diag d = { 0 };
		r = pl_sc_profile_load(c->seccomp, &d);
		if (r < 0) {
			char *s = d.head ? pl_diag_format(d.head) : NULL;
			fail(err, errlen, r, "loading the seccomp filter (%s)", s ? s : "?");
			free(s);
			pl_diag_clear(&d);
			return r;
		}
		pl_diag_clear(&d);
	}
	return 0;
}
