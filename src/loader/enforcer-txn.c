/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup-BPF enforcer loader: transactions (pl_enforcer_txn_*: stage every
 * policy into its inactive slot, then switch them all), with their
 * fault-injection points, and remove_policy(ies), set_mode, get_mode.
 * See enforcer-internal.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <dirent.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "enforcer-internal.h"

#ifdef PL_ENFORCER_FAULT_INJECTION
int (*pl_enforcer_fault_hook)(const char *step);
#define FAULT(what, id)                                                     \
	({                                                                  \
		char step_[48];                                             \
		snprintf(step_, sizeof(step_), "%s %u", (what), (id));      \
		pl_enforcer_fault_hook ? pl_enforcer_fault_hook(step_) : 0; \
	})
#else
#define FAULT(what, id) 0
#endif

/* ---- transactions ------------------------------------------------------- */

int pl_enforcer_txn_begin(struct pl_cg_enforcer *e, struct pl_enforcer_txn **ret, struct pl_diag *d)
{
	struct pl_enforcer_txn *t;

	if (e->txn)
		return pl_error(d, -EBUSY, NULL, NULL, "a transaction is already open");
	t = calloc(1, sizeof(*t));
	if (!t)
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	t->e = e;
	pl_enf_lock(e);
	e->txn = t;
	*ret = t;
	return 0;
}

/* Room for `n` more retired slots, so that retiring at commit cannot fail. */
static int retired_reserve(struct pl_cg_enforcer *e, size_t n)
{
	if (e->n_retired + n <= e->cap_retired)
		return 0;
	size_t cap = e->cap_retired ? e->cap_retired : 16;
	while (cap < e->n_retired + n)
		cap *= 2;
	uint32_t *v = realloc(e->retired, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	e->retired = v;
	e->cap_retired = cap;
	return 0;
}

int pl_enforcer_txn_stage(struct pl_enforcer_txn *t, uint32_t policy,
			  const struct pl_bpf_tables *tables, struct pl_diag *d)
{
	struct pl_cg_enforcer *e = t->e;
	struct pl_cg_policy cur;
	struct pl_diag first = { 0 };
	struct staged s = { .policy = policy };
	int r = pl_enf_check_policy(policy, d);

	if (r < 0)
		return r;
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].policy == policy)
			return pl_error(d, -EEXIST, NULL, NULL, "policy %u is staged twice",
					policy);
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct staged *v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
		t->v = v;
		t->cap = cap;
	}
	if (retired_reserve(e, t->n + 1) < 0)
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	if (!pl_enf_load_progs(e, policy, d, &r))
		return r;
	r = pl_enf_read_policy(e, policy, &cur);
	if (r < 0)
		return pl_enf_sys_error(d, r, "read policy %u", policy);
	s.table = 2 * policy;
	if (cur.present && cur.table == 2 * policy)
		s.table = 2 * policy + 1;
	if (pl_enf_is_retired(e, s.table)) {
		r = pl_enf_release_retired(e, d);
		if (r < 0)
			return r;
	}
	r = pl_enf_fill_table(e, s.table, tables, &s.next.hooks, &first);
	if ((r == -ENOSPC || r == -E2BIG) && e->n_retired) {
		pl_diag_clear(&first);
		/* the maps changed under the snapshot: read it again */
		for (size_t i = 0; i < M__MAX; i++)
			t->snap[i].n = 0;
		t->have_snap = false;
		r = pl_enf_release_retired(e, d);
		if (r == 0)
			r = pl_enf_fill_table(e, s.table, tables, &s.next.hooks, &first);
	}
	pl_diag_move(d, &first);
	if (r < 0)
		return r;
	r = FAULT("stage", policy);
	if (r < 0) {
		pl_enf_purge_all(e, s.table, false); /* never in force */
		return pl_enf_sys_error(d, r, "stage policy %u (injected)", policy);
	}
	s.next.table = s.table;
	s.next.present = 1;
	t->v[t->n++] = s;
	return 0;
}

static void txn_end(struct pl_enforcer_txn *t)
{
	t->e->txn = NULL;
	pl_enf_unlock(t->e);
	for (size_t i = 0; i < M__MAX; i++)
		free(t->snap[i].v);
	free(t->v);
	free(t);
}

void pl_enforcer_txn_abort(struct pl_enforcer_txn *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		(void)pl_enf_purge_all(t->e, t->v[i].table, false); /* never in force */
	txn_end(t);
}

int pl_enforcer_txn_commit(struct pl_enforcer_txn *t, struct pl_diag *d)
{
	struct pl_cg_enforcer *e = t->e;
	size_t i;
	int r = 0;

	for (i = 0; i < t->n && r == 0; i++) {
		struct staged *s = &t->v[i];

		r = FAULT("switch", s->policy);
		if (r == 0)
			r = pl_enf_read_policy(e, s->policy, &s->old);
		if (r < 0)
			break;
		s->next.mode = s->old.present ? s->old.mode : PL_CG_MODE_AS_WRITTEN;
		if (bpf_map_update_elem(e->map_fd[M_POLICIES], &s->policy, &s->next, BPF_ANY) < 0)
			r = -errno;
	}
	if (r < 0) {
		struct staged *s = &t->v[i];
		struct pl_diag x = { 0 };

		pl_enf_sys_error(d, r, "activate policy %u", s->policy);
		/* Back to the previous slots, intact until released. */
		while (i-- > 0) {
			struct pl_cg_policy none = { 0 };
			s = &t->v[i];
			if (bpf_map_update_elem(e->map_fd[M_POLICIES], &s->policy,
						s->old.present ? &s->old : &none, BPF_ANY) < 0) {
				pl_enf_sys_error(d, errno,
						 "policy %u stays on its new rules: switching back",
						 s->policy);
				s->stuck = true;
			}
		}
		/* A program run may have read a staged slot meanwhile. A slot
		 * still in force (its switch back failed) keeps its rules: an
		 * emptied one would leave the policy with none. */
		for (i = 0; i < t->n; i++)
			if (!t->v[i].stuck && pl_enf_purge_all(e, t->v[i].table, true) < 0)
				pl_warning(&x, NULL, NULL, "clearing staged rule set %u",
					   t->v[i].table);
		pl_diag_move(d, &x);
		txn_end(t);
		return r;
	}
	for (i = 0; i < t->n; i++)
		if (t->v[i].old.present && t->v[i].old.table != t->v[i].table)
			(void)pl_enf_retire(e, t->v[i].old.table); /* room reserved at stage */
	txn_end(t);
	return 0;
}

/*
 * Remove policies `ids[0..n)`: each marked absent (one array update), then
 * one grace period for all of them, then their table slots emptied from
 * one read of the rule maps (a grace period and a scan of the maps per
 * policy made removing 1,000 policies take about 10 s). A policy whose
 * update fails stays as it was (its rules in force); the others are
 * removed. Returns 0 or the first error.
 */
int pl_enforcer_remove_policies(struct pl_cg_enforcer *e, const uint32_t *ids, size_t n,
				struct pl_diag *d)
{
	struct pl_cg_policy none = {};
	_cleanup_free_ uint8_t *gone = calloc(PL_CG_MAX_POLICIES / 8, 1);
	int r = 0, first = 0;

	if (!gone)
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		r = pl_enf_check_policy(ids[i], d);
		if (r < 0)
			return r;
	}
	if (!n)
		return 0;
	pl_enf_lock(e);
	r = pl_enf_runs_load(e);
	if (r < 0) {
		pl_enf_unlock(e);
		return pl_enf_sys_error(d, r, "read the tables in use");
	}
	/* Able to wait before anything changes (see below). */
	r = pl_enf_grace_ready(e);
	if (r < 0) {
		pl_enf_unlock(e);
		return pl_enf_sys_error(d, r, "create the maps that wait for running programs");
	}
	for (size_t i = 0; i < n; i++) {
		if (bpf_map_update_elem(e->map_fd[M_POLICIES], &ids[i], &none, BPF_ANY) < 0) {
			r = pl_enf_sys_error(d, errno, "remove policy %u", ids[i]);
			first = first ? first : r;
			continue;
		}
		gone[ids[i] / 8] |= (uint8_t)(1u << (ids[i] % 8));
	}
	/* Their runs count as free from now on (runs_load skips absent
	 * policies): wait, still under the lock, for programs that read them
	 * before anyone reuses them. */
	r = pl_enf_grace_period(e);
	if (r < 0) {
		pl_enf_unlock(e);
		return pl_enf_sys_error(d, r,
					"wait for running programs after removing %zu "
					"polic%s",
					n, n == 1 ? "y" : "ies");
	}
	/* Every slot's keys from one scan of the rule maps (as release does:
	 * no open transaction on this handle, the lock held). */
	struct pl_enforcer_txn own = { .e = e, .use_snap = true };
	e->txn = &own;
	for (size_t i = 0; i < n; i++) {
		uint32_t p = ids[i];
		if (!(gone[p / 8] & (1u << (p % 8))))
			continue;
		r = pl_enf_purge_all(e, 2 * p, false); /* the wait was just done */
		if (r == 0)
			r = pl_enf_purge_all(e, 2 * p + 1, false);
		if (r < 0) {
			r = pl_enf_sys_error(d, r, "remove the rules of policy %u", p);
			first = first ? first : r;
		}
	}
	e->txn = NULL;
	for (size_t i = 0; i < M__MAX; i++)
		free(own.snap[i].v);
	for (size_t i = 0; i < e->n_retired;) {
		uint32_t p = e->retired[i] / 2;
		if (gone[p / 8] & (1u << (p % 8)))
			e->retired[i] = e->retired[--e->n_retired];
		else
			i++;
	}
	pl_enf_unlock(e);
	return first;
}

int pl_enforcer_remove_policy(struct pl_cg_enforcer *e, uint32_t policy, struct pl_diag *d)
{
	return pl_enforcer_remove_policies(e, &policy, 1, d);
}

int pl_enforcer_set_mode(struct pl_cg_enforcer *e, uint32_t policy, enum pl_bpf_mode mode,
			 struct pl_diag *d)
{
	struct pl_cg_policy cur;
	int r = pl_enf_check_policy(policy, d);

	if (r < 0)
		return r;
	if ((unsigned)mode > PL_BPF_MODE_OFF)
		return pl_error(d, -EINVAL, NULL, NULL, "unknown mode %d", (int)mode);
	r = pl_enf_read_policy(e, policy, &cur);
	if (r < 0)
		return pl_enf_sys_error(d, r, "read policy %u", policy);
	if (!cur.present)
		return pl_error(d, -ENOENT, NULL, NULL, "policy %u has no rules loaded", policy);
	cur.mode = (uint8_t)mode;
	if (bpf_map_update_elem(e->map_fd[M_POLICIES], &policy, &cur, BPF_EXIST) < 0)
		return pl_enf_sys_error(d, errno, "set the mode of policy %u", policy);
	return 0;
}

int pl_enforcer_get_mode(struct pl_cg_enforcer *e, uint32_t policy, enum pl_bpf_mode *ret)
{
	struct pl_cg_policy cur;
	int r;

	if (policy == 0 || policy >= PL_CG_MAX_POLICIES)
		return -ERANGE;
	r = pl_enf_read_policy(e, policy, &cur);
	if (r < 0)
		return r;
	if (!cur.present)
		return -ENOENT;
	*ret = (enum pl_bpf_mode)cur.mode;
	return 0;
}
