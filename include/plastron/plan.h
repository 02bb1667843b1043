/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The plan: which mechanism carries which rule of a policy, and the run
 * modes (how a runner overrides the policy's own actions) that the plan and
 * the generators (plastron/gen.h) take. Built by the catalog layer
 * (src/lib/catalog/plan.c, plan-raw.c); read by the policy dump, the
 * generators and the apply layer.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plastron/catalog.h"
#include "plastron/error.h"
#include "plastron/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a runner overrides the policy's own actions. */
enum pl_run_mode {
	PL_RUN_AS_WRITTEN, /* each rule's action as the policy says */
	PL_RUN_ENFORCE,    /* every rule blocks and reports (deny+log) */
	PL_RUN_AUDIT,      /* every rule allows and reports (allow+log) */
	PL_RUN_OBSERVE,    /* audit, and record everything allowed too (modeling) */
};

/* The capability set a container of the runtimes' default holds (Docker's,
 * containerd's: CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, SETGID, SETUID,
 * SETPCAP, NET_BIND_SERVICE, NET_RAW, SYS_CHROOT, MKNOD, AUDIT_WRITE,
 * SETFCAP), bit 1 << CAP_*. */
#define PL_CAPS_RUNTIME_DEFAULT                                                                  \
	((1ull << 0) | (1ull << 1) | (1ull << 3) | (1ull << 4) | (1ull << 5) | (1ull << 6) |     \
	 (1ull << 7) | (1ull << 8) | (1ull << 10) | (1ull << 13) | (1ull << 18) | (1ull << 27) | \
	 (1ull << 29) | (1ull << 31))

struct pl_gen_opts {
	enum pl_run_mode run_mode;
	bool force_log; /* report every denial even where the policy is silent */
	/* The capabilities the container holds (bit 1 << CAP_*): RuntimeDefault
	 * allows the syscalls Docker's default profile gates on a capability
	 * (mount with CAP_SYS_ADMIN, chroot with CAP_SYS_CHROOT, ...) only when
	 * the set has it, minus what the policy's rules drop (pl_gen_caps).
	 * caps_known false (and no opts at all): PL_CAPS_RUNTIME_DEFAULT. */
	bool caps_known;
	uint64_t caps;
};

/* The action a rule use gets after the run mode is applied. */
enum pl_action pl_effective_action(enum pl_action written, const struct pl_gen_opts *o);

/* ---- plan: which mechanism carries which rule --------------------------- */
struct pl_plan_item {
	const struct pl_rule_use *use;
	const struct pl_translation *by[PL_MECH__MAX]; /* NULL where not used */
	bool enforced;                                 /* at least one mechanism carries it */
};

struct pl_plan {
	struct pl_plan_item *items;
	size_t n;
	size_t n_unenforced;
};

/* The mechanisms `plastron run` applies (include/plastron/apply.h). */
#define PL_RUN_MECHS ((1u << PL_MECH_SECCOMP) | (1u << PL_MECH_CAPS) | (1u << PL_MECH_LANDLOCK))

/* `mechs` is a bitmask of 1u << PL_MECH_*. */
int pl_plan_build(const struct pl_policy *p, uint32_t mechs, struct pl_plan **ret,
		  struct pl_diag *d);
void pl_plan_free(struct pl_plan *plan);
/* What `plastron run` (PL_RUN_MECHS) leaves unenforced: the rules of
 * `plan` (built with PL_RUN_MECHS) no mechanism carries, and the raw rules
 * only other mechanisms could carry, one warning each naming them; and a
 * note for each rule carried by the capability bounding set alone with an
 * effective action of allow+log. Returns how many are unenforced (counted
 * here, never read from `d`, which may be NULL). src/lib/catalog/plan-raw.c */
size_t pl_plan_run_unenforced(const struct pl_policy *p, const struct pl_plan *plan,
			      const struct pl_gen_opts *o, struct pl_diag *d);
static inline void pl_plan_freep(struct pl_plan **p) /* for _cleanup_ (shared/macro.h) */
{
	pl_plan_free(*p);
	*p = NULL;
}

#ifdef __cplusplus
}
#endif
