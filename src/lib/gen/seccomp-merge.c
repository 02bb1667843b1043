/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seccomp generator's merge (seccomp-gen.c has the pipeline): per
 * syscall, the base and the rules become a decision tree of entries whose
 * conditions never overlap (built by seccomp-tree.c), so that libseccomp
 * 2.5.4 and runc mean the same by them (docs/design.md, decision 13).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "plastron/gen.h"
#include "seccomp-gen-internal.h"
#include "seccomp-internal.h"
#include "shared/macro.h"

int scg_arg_cmp(const void *x, const void *y)
{
	const struct pl_sc_arg *a = x, *b = y;
	if (a->index != b->index)
		return a->index < b->index ? -1 : 1;
	if (a->op != b->op)
		return a->op < b->op ? -1 : 1;
	if (a->value != b->value)
		return a->value < b->value ? -1 : 1;
	if (a->value_two != b->value_two)
		return a->value_two < b->value_two ? -1 : 1;
	return 0;
}

static int act_rank(enum pl_sc_action a)
{
	switch (a) {
	case PL_SC_ACT_KILL_PROCESS:
		return 9;
	case PL_SC_ACT_KILL:
	case PL_SC_ACT_KILL_THREAD:
		return 8;
	case PL_SC_ACT_TRAP:
		return 7;
	case PL_SC_ACT_ERRNO:
		return 6;
	case PL_SC_ACT_NOTIFY:
		return 5;
	case PL_SC_ACT_TRACE:
		return 4;
	case PL_SC_ACT_LOG:
		return 3;
	default:
		return 1;
	}
}

/*
 * The entries for one syscall are compiled into a decision tree over the
 * argument indices, emitted as flat OCI entries whose conditions at each
 * index are pairwise disjoint between entries that continue differently.
 * libseccomp 2.5.4 needs that: it does not backtrack, so with overlapping
 * first-level conditions (say "a0 != 10 && a2 != 1" next to
 * "a0 == 2 && a2 == 1") a call can end in the wrong branch
 * (tests/seccomp/test-libseccomp.c). Entries that are leaves with the
 * winning action may overlap (the result is the same either way).
 *
 * Priorities: a rule beats the base; among equals the stronger action
 * (kernel precedence) wins; an unconditional rule takes the whole syscall.
 */

static void merge_syscall(struct gen *g, const char *name, struct ent **ents, size_t n,
			  struct ent **out, size_t *n_out)
{
	if (n < 2)
		return;
	/* Base entries alone stay as written (a DefenseInDepth custom profile's
	 * includes/excludes pairs keep their meaning for runc). */
	bool any_rule = false;
	for (size_t k = 0; k < n; k++)
		any_rule |= ents[k]->rule || ents[k]->base_deny;
	if (!any_rule)
		return;
	/* Every entry does the same and one of them has no condition (say bpf:
	 * the base denies it with EPERM and a rule denies one command with
	 * EPERM): one unconditional entry, named
	 * after the strongest rule, instead of a tree whose leaves all agree. */
	bool same = true, whole = false;
	const struct ent *top = NULL;
	for (size_t k = 0; k < n; k++) {
		const struct ent *e = ents[k];
		same &= e->act == ents[0]->act && e->has_errno == ents[0]->has_errno &&
			e->errno_ret == ents[0]->errno_ret && !e->src;
		whole |= e->n_args == 0; /* the union covers every call */
		if (e->rule && (!top || !top->rule))
			top = e;
	}
	if (same && whole && top) {
		struct ent *o = malloc(sizeof(*o));
		if (!o) {
			g->r = pl_error(g->d, -ENOMEM, NULL, NULL, "out of memory");
			return;
		}
		*o = *top;
		o->n_args = 0;
		o->dead = false;
		for (size_t k = 0; k < n; k++)
			ents[k]->dead = true;
		*out = o;
		*n_out = 1;
		return;
	}
	struct item *items = calloc(n, sizeof(*items));
	if (!items) {
		g->r = pl_error(g->d, -ENOMEM, NULL, NULL, "out of memory");
		return;
	}
	for (size_t k = 0; k < n; k++) {
		items[k].src = ents[k];
		items[k].order = k;
		items[k].key = (ents[k]->rule        ? 3
				: ents[k]->base_deny ? 2
						     : 1) *
				   16 +
			       act_rank(ents[k]->act);
		for (size_t a = 0; a < ents[k]->n_args; a++) {
			uint32_t x = ents[k]->args[a].index;
			items[k].c[x] = ents[k]->args[a];
			items[k].has[x] = true;
		}
	}
	struct cctx c = { .g = g, .name = name };
	struct pl_sc_arg pre[6] = { { 0 } };
	bool has[6] = { false };
	scg_compile(&c, pre, has, items, n);
	free(items);
	if (c.failed) {
		free(c.out);
		return;
	}
	for (size_t k = 0; k < n; k++)
		ents[k]->dead = true;
	*out = c.out;
	*n_out = c.n_out;
}

static int ent_name_cmp(const void *a, const void *b)
{
	const struct ent *x = *(const struct ent *const *)a, *y = *(const struct ent *const *)b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x < y ? -1 : x > y;
}

void scg_merge_all(struct gen *g)
{
	size_t n = g->n;
	struct ent **by = malloc((n ? n : 1) * sizeof(*by));
	if (!by) {
		g->r = pl_error(g->d, -ENOMEM, NULL, NULL, "out of memory");
		return;
	}
	/* Pointers into g->ents move when scg_push() grows it: work on indices. */
	size_t *idx = malloc((n ? n : 1) * sizeof(*idx));
	if (!idx) {
		free(by);
		g->r = pl_error(g->d, -ENOMEM, NULL, NULL, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++)
		by[i] = &g->ents[i];
	qsort(by, n, sizeof(*by), ent_name_cmp);
	for (size_t i = 0; i < n; i++)
		idx[i] = (size_t)(by[i] - g->ents);
	for (size_t i = 0; i < n && g->r >= 0;) {
		size_t j = i;
		while (j < n && !strcmp(g->ents[idx[j]].name, g->ents[idx[i]].name))
			j++;
		struct ent **grp = malloc((j - i) * sizeof(*grp));
		if (!grp) {
			g->r = pl_error(g->d, -ENOMEM, NULL, NULL, "out of memory");
			break;
		}
		for (size_t k = i; k < j; k++)
			grp[k - i] = &g->ents[idx[k]];
		/* New entries are pushed only after the group is done: pushing may
		 * move g->ents. */
		struct ent *out = NULL;
		size_t n_out = 0;
		merge_syscall(g, g->ents[idx[i]].name, grp, j - i, &out, &n_out);
		free(grp);
		for (size_t k = 0; k < n_out && g->r >= 0; k++)
			scg_push(g, &out[k]);
		free(out);
		i = j;
	}
	free(idx);
	free(by);
}
