/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Multibit egress tries with leaf pushing (see egress-trie.h).
 *
 * Entries are inserted shortest prefix first. A prefix of length L lands in
 * the node at depth (L - 1) / 4 and fills the 2^(4 - r) entries its last r
 * bits select (r = L - 4 * depth; /0 fills the whole root). Descending, an
 * entry that holds a leaf of a shorter prefix becomes a child node whose 16
 * entries inherit that leaf, so the walk stops at the longest match without
 * backtracking. Since the generator folds every enclosing prefix's ranges
 * into each entry, that leaf carries everything that applies.
 *
 * While building, a child reference is its node index + 1 (0 stays
 * "empty") and a leaf's range index is relative; relocation makes both
 * absolute.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "egress-trie.h"

static int new_node(struct pl_egress_trie *x, uint32_t fill, uint32_t *ret)
{
	if (x->n_nodes == x->cap_nodes) {
		size_t cap = x->cap_nodes ? 2 * x->cap_nodes : 64;
		struct pl_cg_node *n = realloc(x->nodes, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		x->nodes = n;
		x->cap_nodes = cap;
	}
	for (unsigned i = 0; i < PL_CG_FANOUT; i++)
		x->nodes[x->n_nodes].e[i] = fill;
	*ret = (uint32_t)x->n_nodes++;
	return 0;
}

static unsigned nibble(const uint8_t *addr, unsigned d)
{
	return (addr[d / 2] >> (d % 2 ? 0 : 4)) & 0xf;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct pl_bpf_egress_entry *const *x = a, *const *y = b;

	return (int)(*x)->prefix_len - (int)(*y)->prefix_len;
}

static int insert(struct pl_egress_trie *x, uint32_t root, const struct pl_bpf_egress_entry *en)
{
	unsigned len = en->prefix_len, depth = len ? (len - 1) / PL_CG_STRIDE : 0;
	unsigned r = len - PL_CG_STRIDE * depth, span = 1u << (PL_CG_STRIDE - r), first;
	uint32_t node = root, leaf;

	if (en->n == 0)
		return 0;
	if (en->n > PL_CG_MAX_PORT_RANGES)
		return -E2BIG;
	if (len > (en->family == AF_INET6 ? 128u : 32u))
		return -EINVAL;
	if (x->n_ranges + en->n > x->cap_ranges) {
		size_t cap = x->cap_ranges ? 2 * x->cap_ranges : 64;
		struct pl_cg_port_range *p;

		while (cap < x->n_ranges + en->n)
			cap *= 2;
		p = realloc(x->ranges, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		x->ranges = p;
		x->cap_ranges = cap;
	}
	leaf = PL_CG_LEAF | (uint32_t)en->n << 24 | (uint32_t)x->n_ranges;
	for (size_t k = 0; k < en->n; k++)
		x->ranges[x->n_ranges++] = (struct pl_cg_port_range){ .lo = en->r[k].lo,
								      .hi = en->r[k].hi,
								      .rule = en->r[k].rule,
								      .action = en->r[k].action };
	for (unsigned d = 0; d < depth; d++) {
		unsigned nib = nibble(en->addr, d);
		uint32_t v = x->nodes[node].e[nib], child;

		if (v && !(v & PL_CG_LEAF)) {
			node = v - 1;
			continue;
		}
		if (new_node(x, v, &child) < 0)
			return -ENOMEM;
		x->nodes[node].e[nib] = child + 1;
		node = child;
	}
	first = nibble(en->addr, depth) & ~(span - 1);
	/* Shorter prefixes came first, so no child hangs below these entries. */
	for (unsigned s = first; s < first + span; s++)
		x->nodes[node].e[s] = leaf;
	return 0;
}

int pl_egress_trie_build(const struct pl_bpf_tables *t, struct pl_egress_trie *ret)
{
	const struct pl_bpf_egress_entry **v;
	struct pl_egress_trie x = { 0 };
	int r = 0;

	*ret = x;
	if (!t->n_egress)
		return 0;
	v = calloc(t->n_egress, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_egress; i++)
		v[i] = &t->egress[i];
	qsort(v, t->n_egress, sizeof(*v), cmp_entry);
	for (int fam = 0; fam < 2 && r == 0; fam++) {
		int want = fam ? AF_INET6 : AF_INET;
		uint32_t root = 0;
		bool any = false;

		for (size_t i = 0; i < t->n_egress && r == 0; i++) {
			if (v[i]->family != want || v[i]->n == 0)
				continue;
			if (!any) {
				r = new_node(&x, 0, &root);
				any = true;
			}
			if (r == 0)
				r = insert(&x, root, v[i]);
		}
		if (any && r == 0) {
			if (fam)
				x.root6 = root + 1;
			else
				x.root4 = root + 1;
		}
	}
	free(v);
	if (r < 0) {
		pl_egress_trie_free(&x);
		return r;
	}
	*ret = x;
	return 0;
}

void pl_egress_trie_relocate(struct pl_egress_trie *x, uint32_t node_base, uint32_t range_base)
{
	for (size_t i = 0; i < x->n_nodes; i++)
		for (unsigned k = 0; k < PL_CG_FANOUT; k++) {
			uint32_t v = x->nodes[i].e[k];

			if (v & PL_CG_LEAF)
				x->nodes[i].e[k] =
				    (v & ~0xffffffu) | (PL_CG_LEAF_FIRST(v) + range_base);
			else if (v)
				x->nodes[i].e[k] = v - 1 + node_base;
		}
	if (x->root4)
		x->root4 = x->root4 - 1 + node_base;
	if (x->root6)
		x->root6 = x->root6 - 1 + node_base;
	x->node_base = node_base;
	x->range_base = range_base;
}

uint32_t pl_egress_trie_find(const struct pl_egress_trie *x, int family, const uint8_t *addr)
{
	unsigned levels = family == AF_INET6 ? 32 : 8;
	uint32_t v = family == AF_INET6 ? x->root6 : x->root4;

	for (unsigned d = 0; d < levels && v && !(v & PL_CG_LEAF); d++) {
		if (v < x->node_base || v - x->node_base >= x->n_nodes)
			return 0;
		v = x->nodes[v - x->node_base].e[nibble(addr, d)];
	}
	return v & PL_CG_LEAF ? v : 0;
}

void pl_egress_trie_free(struct pl_egress_trie *x)
{
	free(x->nodes);
	free(x->ranges);
	memset(x, 0, sizeof(*x));
}
