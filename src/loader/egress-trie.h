/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The egress rules of one table as the multibit tries the programs walk
 * (see bpf/cgroup.h): stride 4, leaf pushing, one trie per address family.
 * Built in user space from the generator's folded prefix entries, then
 * relocated to the runs of the `nodes` and `ranges` maps it is written to.
 * Never prints.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/cgroup.h"
#include "plastron/bpf.h"

struct pl_egress_trie {
	struct pl_cg_node *nodes; /* nodes[0 .. n_nodes) */
	size_t n_nodes, cap_nodes;
	bool *is_skip; /* nodes[i] holds a struct pl_cg_skip */
	struct pl_cg_port_range *ranges;
	size_t n_ranges, cap_ranges;
	uint32_t root4, root6; /* after relocation: absolute node index, 0 = none */
	uint32_t node_base, range_base;
};

/* Build from `t->egress` (any order), with chains of single-way nodes
 * compressed into skips (see struct pl_cg_skip). -ENOMEM, -E2BIG when an entry has
 * more than PL_CG_MAX_PORT_RANGES ranges, -EINVAL for a prefix longer than
 * its family's addresses. Indices are relative until
 * pl_egress_trie_relocate. */
int pl_egress_trie_build(const struct pl_bpf_tables *t, struct pl_egress_trie *ret);
/* Point every child and leaf at node run `node_base` (>= 1) and range run
 * `range_base`. Call once. */
void pl_egress_trie_relocate(struct pl_egress_trie *x, uint32_t node_base, uint32_t range_base);
/* What the programs' walk finds for an address (network byte order, 4 or
 * 16 bytes) in a relocated trie: the leaf value or 0. For tests. */
uint32_t pl_egress_trie_find(const struct pl_egress_trie *x, int family, const uint8_t *addr);
void pl_egress_trie_free(struct pl_egress_trie *x);
