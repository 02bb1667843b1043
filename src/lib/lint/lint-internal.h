/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plastron lint's shared state: the check ids (indexes into checks.c's
 * table), the workload being checked, and the helpers the check files use
 * to read the positioned tree and to add findings.
 */
#pragma once

#include "lib/policy/tree.h"
#include "plastron/lint.h"

enum lint_id {
	/* PSS baseline */
	L_HOST_PROCESS,
	L_HOST_NAMESPACES,
	L_PRIVILEGED,
	L_CAPABILITIES,
	L_HOST_PATH,
	L_HOST_PORTS,
	L_HOST_PROBES,
	L_APPARMOR,
	L_SELINUX,
	L_PROC_MOUNT,
	L_SECCOMP,
	L_SYSCTLS,
	/* PSS restricted */
	L_VOLUME_TYPES,
	L_PRIV_ESC,
	L_RUN_AS_NON_ROOT,
	L_RUN_AS_USER,
	L_SECCOMP_RESTRICTED,
	L_CAPABILITIES_RESTRICTED,
	L_PROC_MOUNT_RESTRICTED,
	/* plastron */
	L_RUNTIME_SOCKET,
	L_SENSITIVE_HOST_PATH,
	L_DANGEROUS_CAP,
	L_WRITABLE_ROOT_FS,
	L_NO_LIMITS,
	L_SA_TOKEN,
	L_MUTABLE_IMAGE,
	L__COUNT,
};

extern const struct pl_lint_check lint_check_table[L__COUNT];

/* One container of the pod spec (containers, initContainers, ephemeralContainers). */
struct lint_container {
	const struct pl_node *node; /* the container's mapping */
	const char *path;           /* spec.containers[0] */
	const char *name;           /* its name, or "?" */
	const char *kind;           /* "container", "init container", "ephemeral container" */
	bool ephemeral;
};

struct lint_ctx {
	struct pl_arena *a;
	struct pl_lint_report *r;
	enum pl_lint_set set;
	bool failed; /* out of memory */
	/* the workload */
	const struct pl_node *meta; /* metadata of the pod (template), may be NULL */
	const char *meta_path;      /* "metadata", "spec.template.metadata" */
	const struct pl_node *spec; /* the pod spec */
	const char *spec_path;      /* "spec", "spec.template.spec", ... */
	struct lint_container *ctrs;
	size_t n_ctrs;
	bool user_ns; /* spec.hostUsers: false (relaxes some controls) */
};

/* A mapping's value (NULL when absent, null, or `map` is not a mapping). */
const struct pl_node *lint_get(const struct pl_node *map, const char *key);
/* A scalar's text, NULL for anything else. */
const char *lint_str(const struct pl_node *n);
/* A plain `true` / `false` (JSON booleans too). */
bool lint_is_true(const struct pl_node *n);
bool lint_is_false(const struct pl_node *n);
/* A sequence's items; 0 for anything else. */
size_t lint_n_items(const struct pl_node *n);
/* "base.key", "base[i]" in the arena. */
const char *lint_path(struct lint_ctx *c, const char *base, const char *key);
const char *lint_index(struct lint_ctx *c, const char *base, size_t i);

/*
 * Add a finding of check `id` (dropped when the check does not run under the
 * set) at node `at` with field path `field`; `hint` is the exact change.
 */
void lint_add(struct lint_ctx *c, enum lint_id id, const struct pl_node *at, const char *field,
	      const char *hint, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* The capability or host path the finding just added is about (arena). */
void lint_detail(struct lint_ctx *c, enum lint_id id, const char *detail);
bool lint_enabled(const struct lint_ctx *c, enum lint_id id);
char *lint_printf(struct lint_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The checks of one pod spec. */
void lint_pss_baseline(struct lint_ctx *c);
void lint_pss_restricted(struct lint_ctx *c);
void lint_plastron(struct lint_ctx *c);

/* "container 'app'", "init container 'setup'", ... (arena). */
const char *lint_who(struct lint_ctx *c, const struct lint_container *k);
/* Call `fn` with the pod's securityContext (when `pod` is set; who = "the
 * pod") and then each container's: `sc` may be NULL (absent), `at` is the
 * node a finding about a missing field points at, `path` the securityContext's
 * dotted path. */
typedef void (*lint_sc_fn)(struct lint_ctx *c, const struct pl_node *sc, const struct pl_node *at,
			   const char *path, const char *who, const struct lint_container *k);
void lint_each_sc(struct lint_ctx *c, bool pod, lint_sc_fn fn);
/* Whether `s` is one of the NULL-terminated `v`. */
bool lint_in(const char *s, const char *const *v);
