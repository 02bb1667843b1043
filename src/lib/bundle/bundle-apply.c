/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Applying a parsed confinement bundle to the calling process (plastron-init,
 * inside the container, for the first process and for every exec):
 *
 *   1. prctl(PR_SET_NO_NEW_PRIVS): exec can then gain no capability the
 *      process does not hold (file capabilities and setuid are ignored and
 *      the permitted set after exec is a subset of the one before)
 *   2. the dropped capabilities: out of the bounding set (where
 *      CAP_SETPCAP allows; with 1 and 3 a capability left there cannot come
 *      back), the ambient set, and the effective, permitted and inheritable
 *      sets (capset)
 *   3. Landlock (paths opened here, in the container's root filesystem)
 *   4. the seccomp program, last, so that nothing above needs a syscall it
 *      denies
 *
 * Everything it needs is already in memory (pl_bundle_parse read it): no
 * file is opened after the process restricts itself, except the Landlock
 * paths, before landlock_restrict_self().
 */
#include <errno.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "plastron/apply.h"
#include "plastron/bundle.h"
#include "shared/macro.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_LOWER 3
#endif

static int drop_caps(uint64_t drop, char *err, size_t errlen)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct c[2];

	for (int cap = 0; cap < 64; cap++) {
		if (!(drop & (1ull << cap)))
			continue;
		/* EINVAL: a capability this kernel does not know (nothing to drop). */
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1 &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EPERM) {
			snprintf(err, errlen, "dropping capability %d from the bounding set: %s",
				 cap, strerror(errno));
			return -errno;
		}
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, cap, 0, 0) < 0 && errno != EINVAL) {
			snprintf(err, errlen, "lowering ambient capability %d: %s", cap,
				 strerror(errno));
			return -errno;
		}
	}
	if (syscall(SYS_capget, &h, c) < 0) {
		snprintf(err, errlen, "capget: %s", strerror(errno));
		return -errno;
	}
	for (int k = 0; k < 2; k++) {
		uint32_t keep = ~(uint32_t)(drop >> (32 * k));
		c[k].effective &= keep;
		c[k].permitted &= keep;
		c[k].inheritable &= keep;
	}
	if (syscall(SYS_capset, &h, c) < 0) {
		snprintf(err, errlen, "capset: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

PL_EXPORT int pl_bundle_apply(const struct pl_bundle *b, char *err, size_t errlen)
{
	struct pl_diag d = { 0 };
	int r;

	if (!b) {
		snprintf(err, errlen, "no bundle");
		return -EINVAL;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "no_new_privs: %s", strerror(errno));
		return -errno;
	}
	r = drop_caps(b->cap_drop, err, errlen);
	if (r < 0)
		return r;
	if (b->landlock && !b->landlock->empty) {
		r = pl_ll_ruleset_apply(b->landlock, &d);
		if (r < 0) {
			const struct pl_diag_entry *e = d.head;
			snprintf(err, errlen, "Landlock: %s", e ? e->message : strerror(-r));
			pl_diag_clear(&d);
			return r;
		}
	}
	if (b->sc_bpf) {
		struct sock_fprog prog = {
			.len = (unsigned short)(b->sc_bpf_len / sizeof(struct sock_filter)),
			.filter = (struct sock_filter *)b->sc_bpf,
		};
		if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, b->sc_flags, &prog) != 0) {
			snprintf(err, errlen, "seccomp: %s", strerror(errno));
			return -errno;
		}
	}
	return 0;
}
