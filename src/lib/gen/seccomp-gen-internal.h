/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the seccomp generator's files (seccomp-gen.c: the entry point and
 * the output; seccomp-base.c: the bases; seccomp-rules.c: the rules;
 * seccomp-merge.c: the per-syscall merge; seccomp-tree.c: its decision
 * tree). Internal. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "plastron/gen.h"
#include "plastron/seccomp.h"

struct ent {
	const char *name;
	enum pl_sc_action act;
	bool has_errno;
	uint32_t errno_ret;
	uint8_t n_args;
	struct pl_sc_arg args[6];
	const char *origin;
	const char *comment;
	const struct pl_sc_syscall *src; /* includes/excludes come from here */
	struct pl_pos pos;
	bool rule;      /* a rule (vs. the base) */
	bool base_deny; /* a base's conditional deny: above the base, below rules */
	bool dead;
};

struct gen {
	struct pl_sc_profile *p;
	struct pl_diag *d;
	struct ent *ents;
	size_t n, cap;
	bool log_flag;
	int r;
};

/* seccomp-base.c */
extern const char *const scg_modeling_allow[];
struct ent *scg_push(struct gen *g, const struct ent *e);
bool scg_name_relevant(const char *name);
void scg_add_simple(struct gen *g, const char *name, enum pl_sc_action act, int err,
		    const char *origin, const char *comment);
/* `caps`: what the container holds (bit 1 << CAP_*) */
void scg_base_runtime_default(struct gen *g, uint64_t caps);
void scg_set_arches(struct gen *g);
/* The comment of RuntimeDefault's socket(AF_VSOCK) deny; its comparison
 * made to match the rules' on that argument (call before the merge). */
#define SCG_VSOCK "AF_VSOCK, as Docker"
void scg_vsock_style(struct gen *g);

/* seccomp-rules.c */
void scg_add_builtin(struct gen *g, const struct pl_policy *p, const struct pl_gen_opts *o);
void scg_add_raw(struct gen *g, const struct pl_sc_syscall *raw, size_t n, const char *origin,
		 const char *field, const struct pl_gen_opts *o);
void scg_base_custom(struct gen *g, const struct pl_sc_profile *c, bool allow_violations);

/* seccomp-tree.c: one syscall's entries (items) as a tree of entries
 * without overlaps, into cctx.out */
struct item {
	struct pl_sc_arg c[6];
	bool has[6];
	int key; /* prio * 16 + action rank */
	size_t order;
	const struct ent *src;
};

struct cctx {
	struct gen *g;
	const char *name;
	struct ent *out;
	size_t n_out, cap_out;
	bool failed;
};
void scg_compile(struct cctx *c, const struct pl_sc_arg *pre, const bool *has, struct item *items,
		 size_t n);

/* seccomp-merge.c */
int scg_arg_cmp(const void *x, const void *y);
void scg_merge_all(struct gen *g);
