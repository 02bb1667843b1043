/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * The path automaton's maps and walk, for BPF programs only (included by
 * glob.bpf.c and lsm-file.bpf.c; the layouts are glob.h's): every part of
 * the profile over one path in glob_buf, one glob_next element per byte,
 * the parts' decisions combined as pl_glob_match combines them in user
 * space (src/lib/match/glob.c).
 */
#ifndef PLASTRON_BPF_GLOB_WALK_H
#define PLASTRON_BPF_GLOB_WALK_H

#include "glob.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pl_glob_bpf_parts);
} glob_parts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PL_GLOB_BPF_PARTS);
	__type(key, __u32);
	__type(value, struct pl_glob_bpf_cls);
} glob_cls SEC(".maps");

/* sized by the loader before load (bpf_map__set_max_entries) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pl_glob_bpf_next);
} glob_next SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pl_glob_bpf_accept);
} glob_accept SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pl_glob_bpf_buf);
} glob_buf SEC(".maps");

struct walk {
	const struct pl_glob_bpf_buf *buf;
	__u32 len;
	const struct pl_glob_bpf_part *part;
	const struct pl_glob_bpf_cls *cls;
	__u32 state;
	__u32 wide;
};

static long walk_step(__u32 i, void *data)
{
	struct walk *w = data;
	__u32 at = w->part->backward ? w->len - 1 - i : i;
	if (at >= PL_GLOB_BPF_PATH_MAX)
		return 1;
	__u32 idx = pl_glob_bpf_index(w->part, w->state, w->cls->c[w->buf->b[at]]);
	__u32 el = w->wide ? idx / 2 : idx / 4;
	struct pl_glob_bpf_next *next = bpf_map_lookup_elem(&glob_next, &el);
	if (!next)
		w->state = 0;
	else if (w->wide)
		w->state = next->w[idx & 1];
	else
		w->state = next->h[idx & 3];
	return w->state == 0; /* the dead state: stop */
}

struct all {
	const struct pl_glob_bpf_parts *ps;
	const struct pl_glob_bpf_buf *buf;
	__u32 len;
	struct pl_glob_bpf_accept best;
};

/* One part over the path (k constant after inlining: its header at a
 * constant offset), its decision folded into al->best: the lowest rule
 * among those that deny, else among those that audit, else among the
 * matches. */
static __always_inline void walk_part(struct all *al, __u32 k, __u32 *rank)
{
	/* the header's address first: k, whose address the lookup takes,
	 * comes back from the stack without its bounds */
	const struct pl_glob_bpf_part *part = &al->ps->part[k];
	__u32 key = k;
	if (k >= al->ps->n_parts)
		return;
	struct pl_glob_bpf_cls *cls = bpf_map_lookup_elem(&glob_cls, &key);
	if (!cls)
		return;
	struct walk w = { al->buf, al->len, part, cls, 1, al->ps->wide };
	bpf_loop(al->len, walk_step, &w, 0);
	__u32 ai = part->accept_base + w.state;
	struct pl_glob_bpf_accept *a = bpf_map_lookup_elem(&glob_accept, &ai);
	if (!a || a->rule == 0xffffffff)
		return;
	__u32 rk = a->deny ? 0 : a->audit ? 1 : 2;
	if (rk < *rank || (rk == *rank && a->rule < al->best.rule)) {
		al->best.rule = a->rule;
		*rank = rk;
	}
	al->best.deny |= a->deny;
	al->best.audit |= a->audit;
}

static long walk_all(__u32 i, void *data)
{
	struct all *al = data;
	__u32 rank = 3;
	al->best = (struct pl_glob_bpf_accept){ 0, 0, 0xffffffff, 0 };
	walk_part(al, 0, &rank);
	walk_part(al, 1, &rank);
	walk_part(al, 2, &rank);
	return 0;
}

_Static_assert(PL_GLOB_BPF_PARTS == 3, "walk_all walks each part");

/* The decision for the first len bytes of buf (at most PL_GLOB_BPF_PATH_MAX). */
static __always_inline struct pl_glob_bpf_accept pl_glob_walk(const struct pl_glob_bpf_buf *buf,
							      __u32 len)
{
	__u32 zero = 0;
	struct pl_glob_bpf_parts *ps = bpf_map_lookup_elem(&glob_parts, &zero);
	struct all al = { ps, buf, len };
	if (!ps) {
		al.best = (struct pl_glob_bpf_accept){ 0, 0, 0xffffffff, 0 };
		return al.best;
	}
	walk_all(0, &al);
	return al.best;
}

#endif
