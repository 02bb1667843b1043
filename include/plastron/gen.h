/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Generators: one validated policy model in, one profile per mechanism out.
 * Pure: nothing here touches the kernel (what the kernel offers, such as
 * the Landlock ABI, is an argument; loading and applying the profiles is
 * include/plastron/apply.h). Every generator has a deterministic text dump
 * used by `plastron explain`, `plastron compile` and the golden tests.
 *
 * The plan (which mechanism carries which rule) and the run modes the
 * generators take are in plastron/plan.h (built by the catalog layer).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "plastron/catalog.h"
#include "plastron/error.h"
#include "plastron/glob.h"
#include "plastron/plan.h"
#include "plastron/policy.h"
#include "plastron/seccomp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- file and exec patterns (BPF-LSM, fanotify) --------------------------- */
/* The policy's file and exec patterns with their deny and audit bits
 * (PL_PERM_*) under the effective action, compiled into one path automaton
 * (NULL when there are none); rule i of the automaton is names[i] (a
 * built-in rule's id or "bpfRawRules.files[N]"). src/lib/gen/files.c */
struct pl_file_patterns {
	struct pl_glob_rule *rules; /* patterns point into the policy or the catalog */
	char **names;
	size_t n;
	struct pl_glob_dfa *dfa;
};
int pl_gen_file_patterns(const struct pl_policy *p, const struct pl_gen_opts *o,
			 const struct pl_glob_opts *go, struct pl_file_patterns **ret,
			 struct pl_diag *d);
void pl_file_patterns_free(struct pl_file_patterns *fp); /* NULL-safe */

/* ---- seccomp ------------------------------------------------------------ */
/* Build the profile for a policy in any mode (AlwaysAllow, RuntimeDefault,
 * EnhanceProtect, BehaviorModeling, DefenseInDepth). */
int pl_gen_seccomp(const struct pl_policy *p, const struct pl_gen_opts *o,
		   struct pl_sc_profile **ret, struct pl_diag *d);
/* (The profile model, its import from OCI JSON and pl_sc_profile_free()
 * are in plastron/seccomp.h: the policy layer reads them too.) */
/* OCI JSON (runc, crun, containerd, Docker, kubelet Localhost). Malloc'd,
 * deterministic, ends with a newline. */
int pl_sc_profile_to_json(const struct pl_sc_profile *prof, char **ret_json, struct pl_diag *d);
int pl_sc_profile_dump(const struct pl_sc_profile *prof, FILE *out);
/* The libseccomp filter (x86_64, x32 and ia32) that pl_sc_profile_load()
 * loads, exported as BPF (for tests, the benchmark and the bundle). */
int pl_sc_profile_export_bpf(const struct pl_sc_profile *prof, int fd, struct pl_diag *d);
/* The same filter as libseccomp's pseudo filter code (readable). */
int pl_sc_profile_export_pfc(const struct pl_sc_profile *prof, int fd, struct pl_diag *d);
/* Map a syscall number (as the kernel reports it in audit records, with
 * AUDIT_ARCH_*) back to the rule that denied it; NULL when none. */
const char *pl_sc_profile_origin(const struct pl_sc_profile *prof, uint32_t audit_arch, int nr);

/* ---- capabilities ------------------------------------------------------- */
/* Capabilities to drop from the bounding set (bit per CAP_*). */
int pl_gen_caps(const struct pl_policy *p, const struct pl_gen_opts *o, uint64_t *ret_drop,
		struct pl_diag *d);

/* ---- Landlock ----------------------------------------------------------- */
struct pl_ll_rule {
	char *path;
	uint64_t access; /* kernel LANDLOCK_ACCESS_FS_* bits */
};

struct pl_ll_ruleset {
	int abi;             /* the ABI generated for */
	uint64_t handled_fs; /* kernel bits */
	uint64_t handled_net;
	uint64_t scoped;
	struct pl_ll_rule *rules;
	size_t n_rules;
	uint16_t *bind_tcp, *connect_tcp;
	size_t n_bind_tcp, n_connect_tcp;
	bool empty;        /* nothing to restrict */
	size_t n_degraded; /* features the ABI lacks, dropped (each with a warning) */
};

/* Build for `abi` (pl_landlock_abi() for the running kernel); features
 * the ABI lacks are dropped with a warning in `d` naming each of them
 * (never silently). */
int pl_gen_landlock(const struct pl_policy *p, int abi, struct pl_ll_ruleset **ret,
		    struct pl_diag *d);
/* The same without looking at the paths (they belong to a container's root
 * filesystem): rules keep every listed right; pl_ll_ruleset_create_fd()
 * masks directory-only rights by the type of what it opens, and a missing
 * path fails there. */
int pl_gen_landlock_deferred(const struct pl_policy *p, int abi, struct pl_ll_ruleset **ret,
			     struct pl_diag *d);
void pl_ll_ruleset_free(struct pl_ll_ruleset *rs);
static inline void
pl_ll_ruleset_freep(struct pl_ll_ruleset **p) /* for _cleanup_ (shared/macro.h) */
{
	pl_ll_ruleset_free(*p);
	*p = NULL;
}
int pl_ll_ruleset_dump(const struct pl_ll_ruleset *rs, FILE *out);
/* Names of Landlock rights ("read_file"), for dumps and messages. */
const char *pl_ll_fs_right_name(unsigned bit);

/* ---- AppArmor ----------------------------------------------------------- */
/* Profile text in vArmor's structure; `name` is the profile name. */
int pl_gen_apparmor(const struct pl_policy *p, const struct pl_gen_opts *o, const char *name,
		    char **ret_text, struct pl_diag *d);

#ifdef __cplusplus
}
#endif
