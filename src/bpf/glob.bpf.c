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

char LICENSE[] SEC("license") = "GPL v2";

#include "glob-walk.bpf.h"

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
