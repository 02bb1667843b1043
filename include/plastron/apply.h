/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The apply layer (src/lib/apply/): the profiles the generators build
 * (include/plastron/gen.h) put into the kernel for the calling process:
 * seccomp, capabilities and Landlock. The generators never touch the
 * kernel; everything that does is here, including the probe of what it
 * offers (pl_landlock_abi), which the generators take as an argument.
 * (A confinement bundle is applied by pl_bundle_apply(), with its format in
 * include/plastron/bundle.h.)
 *
 * plastron run's confinement (pl_confinement_*), applied between fork and
 * exec. Everything is prepared in the parent, before fork: the seccomp profile,
 * the capabilities to drop, and a fully built Landlock ruleset fd. The child
 * only applies, in this order:
 *
 *   1. prctl(PR_SET_NO_NEW_PRIVS)
 *   2. drop capabilities from the bounding set, and from the ambient and
 *      inheritable sets (so they cannot come back through exec)
 *   3. landlock_restrict_self() on the prepared ruleset (logging denials
 *      after exec on ABI >= 7)
 *   4. the seccomp filter, last, so the steps above need no syscall it
 *      might deny
 *
 * The child must exec nothing if any step fails: pl_confinement_apply()
 * returns a negative errno and the caller exits with PL_EXIT_APPLY_FAILED.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "plastron/error.h"
#include "plastron/gen.h"
#include "plastron/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Exit status of a child that could not be confined (nothing was exec'd). */
#define PL_EXIT_APPLY_FAILED 127

struct pl_confinement {
	struct pl_gen_opts opts;
	struct pl_sc_profile *seccomp;  /* NULL: no filter (AlwaysAllow with nothing to do) */
	uint64_t cap_drop;              /* bit per CAP_* */
	struct pl_ll_ruleset *landlock; /* NULL or empty: no Landlock */
	int landlock_fd;                /* prepared ruleset, -1 when none */
	struct pl_plan *plan;           /* which rule each mechanism carries */
	size_t n_unenforced;            /* rules no mechanism of PL_RUN_MECHS carries */
	size_t n_degraded;              /* Landlock features the kernel ABI lacks */
};

/*
 * Build everything for `p` (seccomp profile, caps, Landlock ruleset fd, the
 * plan). Unenforced rules and Landlock features dropped for this kernel are
 * counted in *ret and reported as warnings in `d` (one per rule/feature);
 * the caller decides whether to refuse. Never applies anything.
 */
int pl_confinement_prepare(const struct pl_policy *p, const struct pl_gen_opts *o,
			   struct pl_confinement **ret, struct pl_diag *d);
void pl_confinement_free(struct pl_confinement *c); /* NULL-safe; closes the fd */
static inline void
pl_confinement_freep(struct pl_confinement **p) /* for _cleanup_ (shared/macro.h) */
{
	pl_confinement_free(*p);
	*p = NULL;
}

/*
 * Confine the calling process (single-threaded, typically a forked child).
 * On failure returns a negative errno and writes a one-line reason into
 * `err` (no allocation, async-signal-safe enough for a forked child). On
 * failure part of the confinement may already be in place: the caller must
 * not exec.
 */
int pl_confinement_apply(const struct pl_confinement *c, char *err, size_t errlen);

/* ---- seccomp ------------------------------------------------------------ */
/* Build a libseccomp filter (x86_64, x32 and ia32) and load it into the
 * calling thread. Needs no_new_privs or CAP_SYS_ADMIN. */
int pl_sc_profile_load(const struct pl_sc_profile *prof, struct pl_diag *d);

/* ---- Landlock ----------------------------------------------------------- */
/* The ABI the running kernel offers (0 when Landlock is absent). */
int pl_landlock_abi(void);
/* Create the ruleset and add every rule; returns the ruleset fd. */
int pl_ll_ruleset_create_fd(const struct pl_ll_ruleset *rs, struct pl_diag *d);
/* landlock_restrict_self() with LOG_NEW_EXEC_ON when abi >= 7. Needs
 * no_new_privs. Returns 0 or negative errno. */
int pl_ll_restrict_self(int ruleset_fd, int abi);
/* Create the ruleset and restrict the calling thread (no_new_privs must be
 * set). Logs denials after exec (ABI >= 7). */
int pl_ll_ruleset_apply(const struct pl_ll_ruleset *rs, struct pl_diag *d);

#ifdef __cplusplus
}
#endif
