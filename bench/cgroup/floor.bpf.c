// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Reference programs for bench-connect: what any connect4 or
 * cgroup_skb/egress program costs (pl_floor_empty, pl_floor_skb) and what
 * finding the caller's cgroup in a hash map costs (pl_floor_lookup: the
 * first step of the enforcer's earlier design, programs attached once at
 * the root; now a policy's programs are attached to its containers' cgroups
 * and know their policy without a lookup).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* The GPL-2.0 half of the SPDX line above (as src/bpf/cgroup.bpf.c): the
 * kernel knows no string for "GPL-2.0 OR Apache-2.0"; "GPL v2" is
 * GPL-compatible (include/linux/license.h). */
char LICENSE[] SEC("license") = "GPL v2";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u64);
} floor_ids SEC(".maps");

SEC("cgroup/connect4")
int pl_floor_empty(struct bpf_sock_addr *ctx)
{
	return 1;
}

SEC("cgroup/connect4")
int pl_floor_lookup(struct bpf_sock_addr *ctx)
{
	__u64 id = bpf_get_current_cgroup_id();

	return bpf_map_lookup_elem(&floor_ids, &id) ? 1 : 1;
}

SEC("cgroup_skb/egress")
int pl_floor_skb(struct __sk_buff *skb)
{
	return 1;
}
