/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seccomp profile model: an in-memory form of the OCI runtime-spec
 * `linux.seccomp` object (also Docker's and containers-common's profile
 * files, which add archMap and includes/excludes). Imported profiles, the
 * policy's syscallRawRules and the generator's output all use it, so a
 * profile can be read and written back without loss.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plastron/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Same numbering as libseccomp's enum scmp_compare. */
enum pl_sc_op {
	PL_SC_OP_NE = 1,
	PL_SC_OP_LT = 2,
	PL_SC_OP_LE = 3,
	PL_SC_OP_EQ = 4,
	PL_SC_OP_GE = 5,
	PL_SC_OP_GT = 6,
	PL_SC_OP_MASKED_EQ = 7,
};

enum pl_sc_action {
	PL_SC_ACT_INVALID = 0,
	PL_SC_ACT_KILL,         /* SCMP_ACT_KILL (= kill thread) */
	PL_SC_ACT_KILL_PROCESS, /* SCMP_ACT_KILL_PROCESS */
	PL_SC_ACT_KILL_THREAD,  /* SCMP_ACT_KILL_THREAD */
	PL_SC_ACT_TRAP,
	PL_SC_ACT_ERRNO,
	PL_SC_ACT_TRACE,
	PL_SC_ACT_ALLOW,
	PL_SC_ACT_LOG,
	PL_SC_ACT_NOTIFY,
};

struct pl_arena;

struct pl_sc_arg {
	uint32_t index; /* 0..5 */
	uint64_t value;
	uint64_t value_two;
	enum pl_sc_op op;
};

/* includes/excludes of Docker-style profiles. */
struct pl_sc_filter {
	char **caps;
	size_t n_caps;
	char **arches;
	size_t n_arches;
	char *min_kernel; /* NULL when absent */
};

struct pl_sc_syscall {
	char **names;
	size_t n_names;
	enum pl_sc_action action;
	bool has_errno_ret;
	uint32_t errno_ret;
	struct pl_sc_arg *args; /* AND-ed, except several on one index (see docs) */
	size_t n_args;
	char *comment;
	bool has_includes, has_excludes;
	struct pl_sc_filter includes, excludes;
	/* plastron provenance, not part of OCI JSON: the catalog rule id or
	 * "syscallRawRules" / "runtime-default" / "defenseInDepth". */
	const char *origin;
	struct pl_pos pos;
	/* containers-common's informational "errno": "EPERM" (NULL when absent);
	 * used for the filter when errnoRet is absent. */
	char *errno_name;
};

/* A syscall name this build does not know, skipped from its rule as runc and
 * crun skip it: the rule keeps its other names exactly as written (action,
 * args), and a rule left without names is dropped. */
struct pl_sc_skipped {
	char *name;
	char *field;      /* "syscalls[2].names[0]", "spec.policy...names[1]" */
	char *suggestion; /* the closest known name, NULL when none is close */
	struct pl_pos pos;
	bool rule_dropped; /* every name of its rule was unknown */
};

struct pl_sc_archmap {
	char *arch;
	char **sub_arches;
	size_t n_sub_arches;
};

struct pl_sc_profile {
	enum pl_sc_action default_action;
	bool has_default_errno_ret;
	uint32_t default_errno_ret;
	char **architectures;
	size_t n_architectures;
	struct pl_sc_archmap *arch_map;
	size_t n_arch_map;
	char **flags; /* SECCOMP_FILTER_FLAG_* names */
	size_t n_flags;
	char *listener_path;
	char *listener_metadata;
	struct pl_sc_syscall *syscalls;
	size_t n_syscalls;
	struct pl_arena *arena; /* owns everything above when created by this module */
	/* containers-common's "defaultErrno": "ENOSYS" (NULL when absent). */
	char *default_errno_name;
	/* Not OCI JSON: names the import skipped; for a generated profile, the
	 * policy's (struct pl_policy's skipped_syscalls). Shown by the dump. */
	struct pl_sc_skipped *skipped;
	size_t n_skipped;
};

/* errno number of a name like "EPERM"; -ENOENT when unknown, -EINVAL for
 * NULL. */
int pl_errno_from_name(const char *name);

/* Import any OCI / Docker / containers-common profile. Unknown keys,
 * actions, operators or architectures are errors, never dropped; a syscall
 * name this build does not know is a warning and skipped (the profile's
 * `skipped`), as runc and crun skip it.
 * src/lib/policy/seccomp-json.c; the export, pl_sc_profile_to_json(), is a
 * generator (plastron/gen.h). */
int pl_sc_profile_from_json(const char *name, const char *json, size_t len,
			    struct pl_sc_profile **ret, struct pl_diag *d);
/* Frees a profile made by the import or a generator (NULL is ignored). */
void pl_sc_profile_free(struct pl_sc_profile *prof);
static inline void
pl_sc_profile_freep(struct pl_sc_profile **p) /* for _cleanup_ (shared/macro.h) */
{
	pl_sc_profile_free(*p);
	*p = NULL;
}

#ifdef __cplusplus
}
#endif
