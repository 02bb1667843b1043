/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to test-egress-trie (one executable of three files): the entry
 * tables the cases build, the hand-written cases' types and the prototypes
 * of what each file offers.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "egress-trie.h"
#include "plastron/bpf.h"

/* ---- test-egress-trie-ref.c: tables, the reference, shape checks -------- */

const char *fmt_entry(const struct pl_bpf_egress_entry *e, char *buf, size_t sz);

/* A growing array of entries, and the tables that point at it. */
struct tab {
	struct pl_bpf_egress_entry *e;
	size_t n, cap;
};

struct pl_bpf_egress_entry *tab_add(struct tab *t);
struct pl_bpf_tables tables_of(const struct tab *t);
/* Hand entries: ranges derived from `rule` so every entry's are distinct. */
struct pl_bpf_egress_entry *add_cidr(struct tab *t, const char *cidr, uint32_t rule, size_t n);
const struct pl_bpf_egress_entry *tab_find_cidr(const struct tab *t, const char *cidr);
/* The reference: the longest prefix with ranges that contains `a`. */
const struct pl_bpf_egress_entry *ref_find(const struct tab *t, int family, const uint8_t *a);
/* Whether leaf `v` of relocated `x` carries exactly the ranges of `e`. */
bool leaf_is(const struct pl_egress_trie *x, uint32_t v, const struct pl_bpf_egress_entry *e,
	     char *why, size_t sz);
/* The shape of a relocated trie (roots, children, leaves, a tree). */
bool check_shape(const struct pl_egress_trie *x, char *why, size_t sz);
/* The fewest stride-4 nodes that can hold `t` (no path compression). */
size_t min_nodes(const struct tab *t);

/* ---- test-egress-trie.c: the hand-written cases ------------------------- */

struct hand_entry {
	const char *cidr;
	uint32_t rule;
	size_t n;
};

struct hand_query {
	const char *addr;
	const char *want; /* the entry found, NULL: none */
};

/* ---- test-egress-trie-random.c: randomized rounds, counts, node count --- */

#define ROUNDS 8
void random_round(int round);
void test_counts(void);
void test_node_count(void);
