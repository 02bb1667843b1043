// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Test program (see spin.h): on every sysctl access of its cgroup, take
 * the next run number and its runs[] slot, write the number and the start
 * time, spin about SPIN_NS (or config[0] ns) with bpf_loop, write the end
 * time, allow.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "spin.h"

/* The GPL-2.0 half of the SPDX line above (as src/bpf/cgroup.bpf.c): the
 * kernel knows no string for "GPL-2.0 OR Apache-2.0"; "GPL v2" is
 * GPL-compatible (include/linux/license.h). */
char LICENSE[] SEC("license") = "GPL v2";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SPIN_RUNS);
	__type(key, __u32);
	__type(value, struct spin_run);
} runs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} next SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} config SEC(".maps"); /* [0]: ns per run, 0 = SPIN_NS */

static long spin_step(__u64 i, void *deadline)
{
	return bpf_ktime_get_ns() >= *(__u64 *)deadline; /* 1 stops the loop */
}

SEC("cgroup/sysctl")
int pl_spin(struct bpf_sysctl *ctx)
{
	__u32 zero = 0, slot;
	__u64 *n = bpf_map_lookup_elem(&next, &zero), *ns = bpf_map_lookup_elem(&config, &zero);
	__u64 deadline, seq;
	struct spin_run *r;

	if (!n)
		return 1;
	seq = __sync_fetch_and_add(n, 1);
	slot = (__u32)(seq % SPIN_RUNS);
	r = bpf_map_lookup_elem(&runs, &slot);
	if (!r)
		return 1;
	r->end = 0;
	r->seq = seq;
	r->start = bpf_ktime_get_ns();
	deadline = r->start + (ns && *ns ? *ns : SPIN_NS);
	bpf_loop(SPIN_MAX_LOOPS, spin_step, &deadline, 0);
	r->end = bpf_ktime_get_ns();
	return 1;
}
