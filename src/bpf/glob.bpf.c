// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The path automaton in BPF: the walk of a profile's DFA parts (glob.h)
 * over one path, one array load per byte, the parts' decisions combined as
 * pl_glob_match combines them in user space (src/lib/match/glob.c). Here
 * as a BPF_PROG_TYPE_SYSCALL program run with BPF_PROG_TEST_RUN (tests
 * check it against user space; bench/match measures it); the LSM and
 * fanotify enforcers call the same walk.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "glob.h"

char LICENSE[] SEC("license") = "GPL v2";

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

SEC("syscall")
int pl_glob_test(struct pl_glob_bpf_ctx *ctx)
{
	__u32 zero = 0;
	struct pl_glob_bpf_parts *ps = bpf_map_lookup_elem(&glob_parts, &zero);
	struct pl_glob_bpf_buf *buf = bpf_map_lookup_elem(&glob_buf, &zero);
	__u32 len = ctx->len, repeat = ctx->repeat ? ctx->repeat : 1;

	if (!ps || !buf || len > PL_GLOB_BPF_PATH_MAX)
		return -1;
	if (bpf_copy_from_user(buf->b, len, (const void *)ctx->path))
		return -1;
	struct all al = { ps, buf, len };
	__u64 t0 = bpf_ktime_get_ns();
	bpf_loop(repeat, walk_all, &al, 0);
	ctx->ns = bpf_ktime_get_ns() - t0;
	ctx->out = al.best;
	return 0;
}
