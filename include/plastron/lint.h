/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plastron lint: risky settings in Kubernetes manifests (Pod, Deployment,
 * StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, PodTemplate), found
 * before deploy. The checks are every control of the Pod Security
 * Standards (baseline and restricted) and plastron's own; each has an id, a
 * severity, help text and a fix. Findings carry file:line:col and the
 * dotted field path. The library never prints (docs/lint.md).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "plastron/error.h"

struct pl_arena;

/* Which checks run. */
enum pl_lint_set {
	PL_LINT_SET_DEFAULT,    /* PSS restricted (with baseline) and plastron's checks */
	PL_LINT_SET_BASELINE,   /* exactly the PSS baseline controls */
	PL_LINT_SET_RESTRICTED, /* exactly the PSS restricted level (baseline included) */
	PL_LINT_SET_ALL,        /* every check, a restricted control's baseline twin too */
};

/* Where a check comes from. */
enum pl_lint_group {
	PL_LINT_GROUP_BASELINE,   /* a PSS baseline control */
	PL_LINT_GROUP_RESTRICTED, /* a PSS restricted control */
	PL_LINT_GROUP_PLASTRON,   /* plastron's own */
};

struct pl_lint_check {
	const char *id; /* e.g. "pss-privileged" */
	enum pl_lint_group group;
	enum pl_severity severity; /* PL_SEV_ERROR or PL_SEV_WARNING */
	const char *title;         /* the PSS control's name, or a short title */
	const char *help;          /* what it catches and why it matters */
	const char *fix;           /* the change that clears it */
	const char *replaces;      /* restricted: the baseline check it supersedes, or NULL */
};

/* The check table, in documentation order; *n gets its length. */
const struct pl_lint_check *pl_lint_checks(size_t *n);
/* Whether check `c` runs under `set`. */
bool pl_lint_check_enabled(const struct pl_lint_check *c, enum pl_lint_set set);
/* Parse "baseline" / "restricted"; -EINVAL otherwise. */
int pl_lint_set_from_name(const char *name, enum pl_lint_set *ret);

struct pl_lint_finding {
	const struct pl_lint_check *check;
	struct pl_pos pos; /* the offending node, or the object that lacks a field */
	const char *field; /* dotted path from the document's root */
	const char *message;
	const char *hint;   /* the exact change */
	const char *detail; /* the capability or host path it is about, or NULL */
	size_t seq;         /* order found (ties in the sort) */
	size_t workload;    /* index into the report's workloads */
};

/* A workload object that was checked. */
struct pl_lint_workload {
	const char *kind, *name, *namespace_; /* namespace_ NULL: none given */
	struct pl_pos pos;
};

/*
 * A setting the workload may not be able to drop (a capability it needs, a
 * host mount, privileged, a host namespace, root)
 * is limited by plastron's built-in rules: the ids of those rules
 * (NULL-terminated; NULL when the finding has none) and why they help.
 * src/lib/lint/mitigate.c
 */
const char *const *pl_lint_mitigations(const struct pl_lint_finding *f, const char **why);
/* Entry i of the table (its check id and detail), NULL past the end: for
 * the tests, which check every rule it names against the catalog. */
const char *const *pl_lint_mitigation_entry(size_t i, const char **check, const char **detail);

/* One linted input. Everything lives in `arena`. */
struct pl_lint_report {
	struct pl_arena *arena;
	const char *file;
	struct pl_lint_finding *findings; /* sorted by position */
	size_t n;
	struct pl_lint_workload *workloads; /* objects of a workload kind that were checked */
	size_t n_workloads;
};

/*
 * The EnhanceProtect VarmorPolicy lint suggests for workload `w` of `r`
 * (issue 13, item 4): its target; a base of built-in rules that close known
 * escapes without taking anything a workload declares; the rules that limit
 * what its findings say it keeps (pl_lint_mitigations); none that conflicts
 * with a capability it adds. YAML text, one document, each rule with the
 * reason it is there; malloc'd in *ret. src/lib/lint/suggest.c
 */
int pl_lint_suggest_policy(const struct pl_lint_report *r, size_t w, char **ret);

/*
 * Lint one file ('-' is stdin) or buffer. Several documents, `kind: List`
 * and JSON arrays are read; objects of other kinds are skipped with a note
 * in `d`. Returns 0 with *ret set (findings are not errors), or a negative
 * errno with errors in `d` (unreadable file, YAML syntax error).
 */
int pl_lint_file(const char *path, enum pl_lint_set set, struct pl_lint_report **ret,
		 struct pl_diag *d);
int pl_lint_buffer(const char *name, const char *buf, size_t len, enum pl_lint_set set,
		   struct pl_lint_report **ret, struct pl_diag *d);
void pl_lint_report_free(struct pl_lint_report *r); /* NULL-safe */
static inline void pl_lint_report_freep(struct pl_lint_report **r)
{
	pl_lint_report_free(*r);
}
