/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seccomp generator's decision tree (seccomp-merge.c merges one
 * syscall's entries with it): the complement of the rules as entries whose
 * conditions never overlap and never put two conditions on one argument,
 * split by argument regions (intervals, masks, int-argument equalities).
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

#define MAX_OUT 4096
#define MAX_SPLIT 64

static void fail_code(struct cctx *c, int code, const char *why)
{
	if (c->failed)
		return;
	c->failed = true;
	if (code == -ENOMEM) {
		c->g->r = pl_error(c->g->d, -ENOMEM, NULL, NULL, "%s: out of memory", c->name);
		return;
	}
	c->g->r =
	    pl_error(c->g->d, code, NULL, NULL,
		     "%s: the rules for this syscall cannot be written as OCI seccomp entries "
		     "that libseccomp evaluates correctly (%s)",
		     c->name, why);
}

static void fail(struct cctx *c, const char *why)
{
	fail_code(c, -EINVAL, why);
}

static void leaf(struct cctx *c, const struct pl_sc_arg *pre, const bool *has,
		 const struct item *it)
{
	if (c->failed)
		return;
	if (c->n_out >= MAX_OUT)
		return fail(c, "too many entries");
	if (c->n_out == c->cap_out) {
		size_t cap = c->cap_out ? c->cap_out * 2 : 32;
		struct ent *v = realloc(c->out, cap * sizeof(*v));
		if (!v)
			return fail_code(c, -ENOMEM, NULL);
		c->out = v;
		c->cap_out = cap;
	}
	struct ent e = *it->src;
	e.dead = false;
	e.n_args = 0;
	for (int i = 0; i < 6; i++)
		if (has[i])
			e.args[e.n_args++] = pre[i];
	c->out[c->n_out++] = e;
}

struct ivl {
	uint64_t lo, hi;
};

/* The values where an interval-type condition holds (up to two intervals). */
static size_t cond_ivls(const struct pl_sc_arg *a, struct ivl *o)
{
	uint64_t x = a->value;
	switch (a->op) {
	case PL_SC_OP_EQ:
		o[0] = (struct ivl){ x, x };
		return 1;
	case PL_SC_OP_NE: {
		size_t n = 0;
		if (x > 0)
			o[n++] = (struct ivl){ 0, x - 1 };
		if (x < UINT64_MAX)
			o[n++] = (struct ivl){ x + 1, UINT64_MAX };
		return n;
	}
	case PL_SC_OP_LT:
		if (x == 0)
			return 0;
		o[0] = (struct ivl){ 0, x - 1 };
		return 1;
	case PL_SC_OP_LE:
		o[0] = (struct ivl){ 0, x };
		return 1;
	case PL_SC_OP_GT:
		if (x == UINT64_MAX)
			return 0;
		o[0] = (struct ivl){ x + 1, UINT64_MAX };
		return 1;
	case PL_SC_OP_GE:
		o[0] = (struct ivl){ x, UINT64_MAX };
		return 1;
	default:
		return 0;
	}
}

static bool ivl_covers(const struct pl_sc_arg *a, struct ivl e)
{
	struct ivl v[2];
	size_t n = cond_ivls(a, v);
	for (size_t i = 0; i < n; i++)
		if (v[i].lo <= e.lo && e.hi <= v[i].hi)
			return true;
	return false;
}

/* masked-eq a ∧ b: false when contradictory */
static bool mask_merge(const struct pl_sc_arg *a, const struct pl_sc_arg *b, struct pl_sc_arg *o)
{
	if ((a->value_two & ~a->value) || (b->value_two & ~b->value))
		return false;
	if ((a->value_two ^ b->value_two) & a->value & b->value)
		return false;
	*o = (struct pl_sc_arg){ .index = a->index,
				 .value = a->value | b->value,
				 .value_two = a->value_two | b->value_two,
				 .op = PL_SC_OP_MASKED_EQ };
	return true;
}

/* Recurse into region `r` on index i: items whose condition on i holds on
 * all of r lose it, items whose condition misses r are dropped, the others
 * keep theirs (narrowed). */
static void region(struct cctx *c, const struct pl_sc_arg *pre, const bool *has, uint32_t i,
		   const struct pl_sc_arg *r, bool r_none, struct item *items, size_t n, bool ivl,
		   struct ivl span)
{
	struct pl_sc_arg p2[6];
	bool h2[6];
	memcpy(p2, pre, sizeof(p2));
	memcpy(h2, has, sizeof(h2));
	if (r_none) {
		h2[i] = false;
	} else {
		p2[i] = *r;
		h2[i] = true;
	}
	struct item *sub = malloc((n ? n : 1) * sizeof(*sub));
	if (!sub)
		return fail_code(c, -ENOMEM, NULL);
	size_t m = 0;
	for (size_t k = 0; k < n; k++) {
		struct item it = items[k];
		if (it.has[i]) {
			if (ivl) {
				if (ivl_covers(&it.c[i], span))
					it.has[i] = false;
				else
					continue; /* partition: disjoint */
			} else {
				struct pl_sc_arg mg;
				if (!mask_merge(&it.c[i], r, &mg))
					continue;
				if (mg.value == r->value && mg.value_two == r->value_two)
					it.has[i] = false; /* holds on all of r */
				else
					it.c[i] = mg;
			}
		}
		sub[m++] = it;
	}
	if (m)
		scg_compile(c, p2, h2, sub, m);
	free(sub);
}

/* (a & 0xffffffff) == v: an int argument equals v, whatever the upper 32 bits
 * of the register hold (the catalog's INT_EQ). */
#define INT_MASK 0xffffffffull

static bool is_int_eq(const struct pl_sc_arg *a)
{
	return a->op == PL_SC_OP_MASKED_EQ && a->value == INT_MASK && !(a->value_two & ~INT_MASK);
}

/* Regions covering [lo, lo + 2^k) of the low 32 bits minus the values in v
 * (sorted): the largest aligned blocks that hold none of them, each written
 * as (a & mask) == lo with mask = 0xffffffff & ~(2^k - 1). */
static void int_eq_gaps(struct cctx *c, const struct pl_sc_arg *pre, const bool *has, uint32_t i,
			struct item *items, size_t n, const uint64_t *v, size_t nv, uint64_t lo,
			int k)
{
	if (c->failed)
		return;
	uint64_t hi = lo + (1ull << k) - 1;
	size_t first = 0;
	while (first < nv && v[first] < lo)
		first++;
	bool any = first < nv && v[first] <= hi;
	if (!any) {
		struct pl_sc_arg r = { .index = i,
				       .value = INT_MASK & ~((1ull << k) - 1),
				       .value_two = lo,
				       .op = PL_SC_OP_MASKED_EQ };
		region(c, pre, has, i, &r, false, items, n, false, (struct ivl){ 0, 0 });
		return;
	}
	if (k == 0)
		return; /* one of the values: its own region */
	int_eq_gaps(c, pre, has, i, items, n, v, nv, lo, k - 1);
	int_eq_gaps(c, pre, has, i, items, n, v, nv, lo + (1ull << (k - 1)), k - 1);
}

/*
 * Every condition on index i is an int equality (a & 0xffffffff) == v, and
 * some items have no condition on i: one region per value, and the rest of
 * the low-32-bit space as aligned blocks holding none of the values (about
 * 32 - log2(max v) blocks plus a few per value). The regions are disjoint
 * whatever the upper 32 bits hold. Returns false when not applicable.
 */
static bool int_eq_partition(struct cctx *c, const struct pl_sc_arg *pre, const bool *has,
			     uint32_t i, struct item *items, size_t n)
{
	uint64_t v[MAX_SPLIT];
	size_t nv = 0;
	for (size_t k = 0; k < n; k++) {
		if (!items[k].has[i])
			continue;
		if (!is_int_eq(&items[k].c[i]))
			return false;
		bool seen = false;
		for (size_t l = 0; l < nv && !seen; l++)
			seen = v[l] == items[k].c[i].value_two;
		if (seen)
			continue;
		if (nv == MAX_SPLIT) {
			fail(c, "too many values");
			return true;
		}
		v[nv++] = items[k].c[i].value_two;
	}
	if (!nv)
		return false;
	for (size_t a = 1; a < nv; a++)
		for (size_t b = a; b > 0 && v[b - 1] > v[b]; b--) {
			uint64_t t = v[b];
			v[b] = v[b - 1];
			v[b - 1] = t;
		}
	for (size_t a = 0; a < nv; a++) {
		struct pl_sc_arg r = {
			.index = i, .value = INT_MASK, .value_two = v[a], .op = PL_SC_OP_MASKED_EQ
		};
		region(c, pre, has, i, &r, false, items, n, false, (struct ivl){ 0, 0 });
	}
	int_eq_gaps(c, pre, has, i, items, n, v, nv, 0, 32);
	return true;
}

void scg_compile(struct cctx *c, const struct pl_sc_arg *pre, const bool *has, struct item *items,
		 size_t n)
{
	if (c->failed || !n)
		return;
	/* 1. an item without conditions left wins the whole region */
	const struct item *best = NULL;
	int maxkey = 0;
	for (size_t k = 0; k < n; k++) {
		bool any = false;
		for (int i = 0; i < 6; i++)
			any |= items[k].has[i];
		if (items[k].key > maxkey)
			maxkey = items[k].key;
		if (!any && (!best || items[k].key > best->key ||
			     (items[k].key == best->key && items[k].order < best->order)))
			best = &items[k];
	}
	/* an unconditional item only decides when nothing stronger remains */
	if (best && best->key == maxkey)
		return leaf(c, pre, has, best);
	/* 2. the lowest index with a condition, preferring one whose conditions
	 * are all int equalities: its complement (about 30 aligned blocks) is
	 * then written once, not once per region of another index. */
	uint32_t i = 6;
	for (size_t k = 0; k < n; k++)
		for (uint32_t x = 0; x < 6; x++)
			if (items[k].has[x] && x < i)
				i = x;
	for (uint32_t x = 0; x < 6; x++) {
		bool any = false, all = !has[x];
		for (size_t k = 0; k < n && all; k++)
			if (items[k].has[x]) {
				any = true;
				all = is_int_eq(&items[k].c[x]);
			}
		if (any && all) {
			i = x;
			break;
		}
	}
	bool mask = false, cmp = false;
	for (size_t k = 0; k < n; k++)
		if (items[k].has[i]) {
			if (items[k].c[i].op == PL_SC_OP_MASKED_EQ)
				mask = true;
			else
				cmp = true;
		}
	if (has[i]) {
		if (pre[i].op == PL_SC_OP_MASKED_EQ)
			mask = true;
		else
			cmp = true;
	}
	if (mask && cmp)
		return fail(c, "masked and plain comparisons on one argument; the built-in rules "
			       "test int arguments as SCMP_CMP_MASKED_EQ 0xffffffff: write "
			       "syscallRawRules' tests of the same argument that way too");

	/* 3. masks: single-bit leaves with the winning key are emitted as they
	 * are (they may overlap: same key), the rest gets "none of those bits". */
	bool simple_ok = mask;
	size_t n_top = 0;
	for (size_t k = 0; k < n; k++) {
		const struct item *it = &items[k];
		if (!it->has[i] || it->key != maxkey)
			continue;
		bool only = true;
		for (int x = 0; x < 6; x++)
			if (x != (int)i && it->has[x])
				only = false;
		const struct pl_sc_arg *a = &it->c[i];
		bool simple =
		    only && a->value == a->value_two && __builtin_popcountll(a->value) == 1;
		if (simple)
			n_top++;
		else if (only)
			simple_ok = false;
	}
	if (n_top && simple_ok) {
		uint64_t M = 0;
		struct item *rest = malloc(n * sizeof(*rest));
		if (!rest)
			return fail_code(c, -ENOMEM, NULL);
		size_t nr = 0;
		for (size_t k = 0; k < n; k++) {
			const struct item *it = &items[k];
			bool only = true;
			for (int x = 0; x < 6; x++)
				if (x != (int)i && it->has[x])
					only = false;
			if (it->has[i] && it->key == maxkey && only) {
				struct pl_sc_arg p2[6];
				bool h2[6];
				memcpy(p2, pre, sizeof(p2));
				memcpy(h2, has, sizeof(h2));
				p2[i] = it->c[i];
				if (mask && has[i] && !mask_merge(&pre[i], &it->c[i], &p2[i]))
					continue;
				h2[i] = true;
				leaf(c, p2, h2, it);
				M |= it->c[i].value;
				continue;
			}
			rest[nr++] = *it;
		}
		{
			struct pl_sc_arg r = { .index = i, .value = M, .op = PL_SC_OP_MASKED_EQ };
			if (nr && (!has[i] || mask_merge(&pre[i], &r, &r))) {
				/* items keep their own (merged) conditions on i */
				struct pl_sc_arg p2[6];
				bool h2[6];
				memcpy(p2, pre, sizeof(p2));
				memcpy(h2, has, sizeof(h2));
				p2[i] = r;
				h2[i] = true;
				size_t m = 0;
				for (size_t k = 0; k < nr; k++) {
					if (rest[k].has[i]) {
						struct pl_sc_arg mg;
						if (!mask_merge(&rest[k].c[i], &r, &mg))
							continue;
						if (mg.value == r.value &&
						    mg.value_two == r.value_two)
							rest[k].has[i] = false;
						else
							rest[k].c[i] = mg;
					}
					rest[m++] = rest[k];
				}
				scg_compile(c, p2, h2, rest, m);
			}
		}
		free(rest);
		return;
	}

	/* 4. general partition of index i */
	if (mask) {
		/* pairwise disjoint (or equal) conditions and nothing without one:
		 * each condition is its own region */
		bool wild = false, disjoint = true;
		for (size_t k = 0; k < n; k++)
			wild |= !items[k].has[i];
		for (size_t k = 0; k < n && !wild && disjoint; k++)
			for (size_t l = k + 1; l < n && disjoint; l++) {
				struct pl_sc_arg mg;
				const struct pl_sc_arg *a = &items[k].c[i], *b = &items[l].c[i];
				if (a->value == b->value && a->value_two == b->value_two)
					continue;
				if (mask_merge(a, b, &mg))
					disjoint = false;
			}
		if (!wild && disjoint) {
			for (size_t k = 0; k < n; k++) {
				bool seen = false;
				for (size_t l = 0; l < k && !seen; l++)
					seen = items[l].c[i].value == items[k].c[i].value &&
					       items[l].c[i].value_two == items[k].c[i].value_two;
				if (seen)
					continue;
				struct pl_sc_arg r = items[k].c[i];
				if (has[i] && !mask_merge(&pre[i], &r, &r))
					continue;
				region(c, pre, has, i, &r, false, items, n, false,
				       (struct ivl){ 0, 0 });
			}
			return;
		}
		if (!has[i] && int_eq_partition(c, pre, has, i, items, n))
			return;
		uint64_t M = 0;
		for (size_t k = 0; k < n; k++)
			if (items[k].has[i])
				M |= items[k].c[i].value;
		if (has[i])
			M |= pre[i].value;
		if (__builtin_popcountll(M) > 6)
			return fail(c, "too many mask bits to enumerate");
		uint64_t bits[6];
		int nb = 0;
		for (int b = 0; b < 64; b++)
			if (M & (1ull << b))
				bits[nb++] = 1ull << b;
		for (uint64_t p = 0; p < (1ull << nb); p++) {
			uint64_t v = 0;
			for (int b = 0; b < nb; b++)
				if (p & (1ull << b))
					v |= bits[b];
			struct pl_sc_arg r = {
				.index = i, .value = M, .value_two = v, .op = PL_SC_OP_MASKED_EQ
			};
			if (has[i] && ((pre[i].value_two ^ v) & pre[i].value))
				continue;
			/* skip regions where nothing applies */
			bool any = false;
			for (size_t k = 0; k < n && !any; k++)
				any = !items[k].has[i] ||
				      !((items[k].c[i].value_two ^ v) & items[k].c[i].value);
			if (any)
				region(c, pre, has, i, &r, false, items, n, false,
				       (struct ivl){ 0, 0 });
		}
		return;
	}
	/* interval partition */
	struct ivl span = { 0, UINT64_MAX };
	if (has[i]) {
		struct ivl v[2];
		if (cond_ivls(&pre[i], v) != 1)
			return fail(c, "split range");
		span = v[0];
	}
	uint64_t cuts[4 * MAX_SPLIT];
	size_t nc = 0;
	cuts[nc++] = span.lo;
	for (size_t k = 0; k < n; k++) {
		if (!items[k].has[i])
			continue;
		struct ivl v[2];
		size_t m = cond_ivls(&items[k].c[i], v);
		for (size_t j = 0; j < m; j++) {
			if (nc + 2 > PL_ARRAY_SIZE(cuts))
				return fail(c, "too many values");
			if (v[j].lo > span.lo && v[j].lo <= span.hi)
				cuts[nc++] = v[j].lo;
			if (v[j].hi < span.hi && v[j].hi >= span.lo)
				cuts[nc++] = v[j].hi + 1;
		}
	}
	for (size_t a = 1; a < nc; a++)
		for (size_t b = a; b > 0 && cuts[b - 1] > cuts[b]; b--) {
			uint64_t t = cuts[b];
			cuts[b] = cuts[b - 1];
			cuts[b - 1] = t;
		}
	for (size_t a = 0; a < nc; a++) {
		if (a + 1 < nc && cuts[a] == cuts[a + 1])
			continue;
		struct ivl e = { cuts[a], a + 1 < nc ? cuts[a + 1] - 1 : span.hi };
		bool any = false;
		for (size_t k = 0; k < n && !any; k++)
			any = !items[k].has[i] || ivl_covers(&items[k].c[i], e);
		if (!any)
			continue;
		if (e.lo == e.hi) {
			struct pl_sc_arg r = { .index = i, .value = e.lo, .op = PL_SC_OP_EQ };
			region(c, pre, has, i, &r, false, items, n, true, e);
		} else if (e.lo == 0 && e.hi == UINT64_MAX) {
			region(c, pre, has, i, NULL, true, items, n, true, e);
		} else if (e.lo == 0 || e.hi == UINT64_MAX) {
			struct pl_sc_arg r = { .index = i,
					       .value = e.lo == 0 ? e.hi : e.lo,
					       .op = e.lo == 0 ? PL_SC_OP_LE : PL_SC_OP_GE };
			region(c, pre, has, i, &r, false, items, n, true, e);
		} else if (e.hi - e.lo < 8) {
			for (uint64_t x = e.lo;; x++) {
				struct pl_sc_arg r = { .index = i, .value = x, .op = PL_SC_OP_EQ };
				region(c, pre, has, i, &r, false, items, n, true,
				       (struct ivl){ x, x });
				if (x == e.hi)
					break;
			}
		} else if (e.hi < (1ull << 63)) {
			/*
			 * A bounded range is one condition per aligned block:
			 * (a & M) == lo with M = ~(size - 1). Bit 63 stays out of M
			 * so that the mask fits the OCI JSON integer (int64): a value
			 * with bit 63 set can then also match a block; it is never a
			 * value a rule here denies (those are below 2^63), and the
			 * kernel truncates int arguments to their low 32 bits anyway.
			 */
			uint64_t lo = e.lo;
			for (;;) {
				int k = lo ? __builtin_ctzll(lo) : 63;
				while (k > 0 && lo + ((1ull << k) - 1) > e.hi)
					k--;
				uint64_t size_m1 = (1ull << k) - 1;
				struct pl_sc_arg r = { .index = i,
						       .value = 0x7fffffffffffffffull & ~size_m1,
						       .value_two = lo,
						       .op = PL_SC_OP_MASKED_EQ };
				if (k == 0)
					r = (struct pl_sc_arg){ .index = i,
								.value = lo,
								.op = PL_SC_OP_EQ };
				region(c, pre, has, i, &r, false, items, n, true,
				       (struct ivl){ lo, lo + size_m1 });
				if (lo + size_m1 >= e.hi)
					break;
				lo += size_m1 + 1;
			}
		} else {
			return fail(c, "a range above 2^63 between values");
		}
	}
}

/* Compile all entries of one syscall (see above). */
