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
 * Then chains of nodes that each have one way down (one entry differs, the
 * other 15 hold the same 0 or leaf, the same along the chain) become one
 * skip record in the first node's slot: the path to ::1/128 is a root and
 * two skips instead of 32 nodes. Chains stop at the middle of an IPv6
 * address (the programs compare within one 64-bit half). Nodes left
 * unreachable are dropped.
 *
 * While building, a child or skip reference is its node index + 1 (0
 * stays "empty") and a leaf's range index is relative; relocation makes
 * both absolute.
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
		bool *k;

		if (!n)
			return -ENOMEM;
		x->nodes = n;
		k = realloc(x->is_skip, cap * sizeof(*k));
		if (!k)
			return -ENOMEM;
		x->is_skip = k;
		x->cap_nodes = cap;
	}
	for (unsigned i = 0; i < PL_CG_FANOUT; i++)
		x->nodes[x->n_nodes].e[i] = fill;
	x->is_skip[x->n_nodes] = false;
	*ret = (uint32_t)x->n_nodes++;
	return 0;
}

static bool is_ref(uint32_t v)
{
	return v && !(v & PL_CG_LEAF);
}

/* v: a plain child reference whose node has exactly one entry (`slot`,
 * value `way`) unlike the 15 others, which hold `rest`, 0 or a leaf. */
static bool single_way(const struct pl_egress_trie *x, uint32_t v, unsigned *slot, uint32_t *way,
		       uint32_t *rest)
{
	const struct pl_cg_node *n;
	unsigned differ = 0, at = 0;
	uint32_t d;

	if (!is_ref(v) || (v & PL_CG_SKIP))
		return false;
	n = &x->nodes[(v & PL_CG_INDEX) - 1];
	d = n->e[0] == n->e[1] || n->e[0] == n->e[2] ? n->e[0] : n->e[1];
	if (is_ref(d))
		return false;
	for (unsigned k = 0; k < PL_CG_FANOUT; k++)
		if (n->e[k] != d) {
			differ++;
			at = k;
		}
	if (differ != 1)
		return false;
	*slot = at;
	*way = n->e[at];
	*rest = d;
	return true;
}

/* Compress below the entry at *ref, read by the walk at nibble depth p. */
static void compress(struct pl_egress_trie *x, uint32_t *ref, unsigned p, unsigned levels)
{
	uint32_t v = *ref, way, rest;
	unsigned slot, k = 0;
	uint64_t bits = 0;

	if (!is_ref(v) || (v & PL_CG_SKIP))
		return;
	if (single_way(x, v, &slot, &way, &rest)) {
		for (;;) {
			uint32_t nway, nrest;
			unsigned nslot;

			bits |= (uint64_t)slot << (60 - PL_CG_STRIDE * k);
			k++;
			if ((p + k) % 16 == 0 || p + k >= levels ||
			    !single_way(x, way, &nslot, &nway, &nrest) || nrest != rest)
				break;
			slot = nslot;
			way = nway;
		}
		if (k >= 2) {
			struct pl_cg_skip *sk =
			    (struct pl_cg_skip *)&x->nodes[(v & PL_CG_INDEX) - 1];

			memset(sk, 0, sizeof(*sk));
			sk->bits_lo = (uint32_t)bits;
			sk->bits_hi = (uint32_t)(bits >> 32);
			sk->nibbles = k;
			sk->next = way;
			sk->miss = rest;
			x->is_skip[(v & PL_CG_INDEX) - 1] = true;
			*ref = v | PL_CG_SKIP;
			compress(x, &sk->next, p + k, levels);
			return;
		}
	}
	for (unsigned e = 0; e < PL_CG_FANOUT; e++)
		compress(x, &x->nodes[(v & PL_CG_INDEX) - 1].e[e], p + 1, levels);
}

/* Number the nodes reachable from v (map[i]: new index + 1). */
static void mark(const struct pl_egress_trie *x, uint32_t v, uint32_t *map, uint32_t *count)
{
	uint32_t i;

	if (!is_ref(v))
		return;
	i = (v & PL_CG_INDEX) - 1;
	if (map[i])
		return;
	map[i] = ++*count;
	if (x->is_skip[i]) {
		mark(x, ((const struct pl_cg_skip *)&x->nodes[i])->next, map, count);
		return;
	}
	for (unsigned e = 0; e < PL_CG_FANOUT; e++)
		mark(x, x->nodes[i].e[e], map, count);
}

static uint32_t remap(uint32_t v, const uint32_t *map)
{
	return is_ref(v) ? (v & PL_CG_SKIP) | map[(v & PL_CG_INDEX) - 1] : v;
}

/* Drop the nodes no root reaches any more, keeping the order of the rest. */
static int compact(struct pl_egress_trie *x)
{
	uint32_t *map = calloc(x->n_nodes ? x->n_nodes : 1, sizeof(*map)), n = 0;
	struct pl_cg_node *nodes;
	bool *skip;

	if (!map)
		return -ENOMEM;
	mark(x, x->root4, map, &n);
	mark(x, x->root6, map, &n);
	nodes = calloc(n ? n : 1, sizeof(*nodes));
	skip = calloc(n ? n : 1, sizeof(*skip));
	if (!nodes || !skip) {
		free(nodes);
		free(skip);
		free(map);
		return -ENOMEM;
	}
	for (size_t i = 0; i < x->n_nodes; i++) {
		struct pl_cg_node *to;

		if (!map[i])
			continue;
		to = &nodes[map[i] - 1];
		*to = x->nodes[i];
		skip[map[i] - 1] = x->is_skip[i];
		if (x->is_skip[i]) {
			struct pl_cg_skip *sk = (struct pl_cg_skip *)to;

			sk->next = remap(sk->next, map);
		} else {
			for (unsigned e = 0; e < PL_CG_FANOUT; e++)
				to->e[e] = remap(to->e[e], map);
		}
	}
	x->root4 = remap(x->root4, map);
	x->root6 = remap(x->root6, map);
	free(x->nodes);
	free(x->is_skip);
	free(map);
	x->nodes = nodes;
	x->is_skip = skip;
	x->n_nodes = x->cap_nodes = n;
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
	if (r == 0) {
		compress(&x, &x.root4, 0, 8);
		compress(&x, &x.root6, 0, 32);
		r = compact(&x);
	}
	if (r < 0) {
		pl_egress_trie_free(&x);
		return r;
	}
	*ret = x;
	return 0;
}

static uint32_t relocate(uint32_t v, uint32_t node_base, uint32_t range_base)
{
	if (v & PL_CG_LEAF)
		return (v & ~0xffffffu) | (PL_CG_LEAF_FIRST(v) + range_base);
	if (v)
		return (v & PL_CG_SKIP) | ((v & PL_CG_INDEX) - 1 + node_base);
	return 0;
}

void pl_egress_trie_relocate(struct pl_egress_trie *x, uint32_t node_base, uint32_t range_base)
{
	for (size_t i = 0; i < x->n_nodes; i++) {
		if (x->is_skip[i]) {
			struct pl_cg_skip *sk = (struct pl_cg_skip *)&x->nodes[i];

			sk->next = relocate(sk->next, node_base, range_base);
			sk->miss = relocate(sk->miss, node_base, range_base);
			continue;
		}
		for (unsigned k = 0; k < PL_CG_FANOUT; k++)
			x->nodes[i].e[k] = relocate(x->nodes[i].e[k], node_base, range_base);
	}
	x->root4 = relocate(x->root4, node_base, range_base);
	x->root6 = relocate(x->root6, node_base, range_base);
	x->node_base = node_base;
	x->range_base = range_base;
}

uint32_t pl_egress_trie_find(const struct pl_egress_trie *x, int family, const uint8_t *addr)
{
	unsigned levels = family == AF_INET6 ? 32 : 8, p = 0;
	uint32_t v = family == AF_INET6 ? x->root6 : x->root4;

	while (p < levels && is_ref(v)) {
		uint32_t i = v & PL_CG_INDEX;
		const struct pl_cg_skip *sk;
		uint64_t bits;

		if (i < x->node_base || i - x->node_base >= x->n_nodes)
			return 0;
		if (!(v & PL_CG_SKIP)) {
			v = x->nodes[i - x->node_base].e[nibble(addr, p++)];
			continue;
		}
		sk = (const struct pl_cg_skip *)&x->nodes[i - x->node_base];
		bits = (uint64_t)sk->bits_hi << 32 | sk->bits_lo;
		if (sk->nibbles < 1 || sk->nibbles > 16 || p + sk->nibbles > levels)
			return 0;
		for (unsigned k = 0; k < sk->nibbles; k++)
			if (nibble(addr, p + k) != ((bits >> (60 - PL_CG_STRIDE * k)) & 0xf))
				return sk->miss & PL_CG_LEAF ? sk->miss : 0;
		p += sk->nibbles;
		v = sk->next;
	}
	return v & PL_CG_LEAF ? v : 0;
}

void pl_egress_trie_free(struct pl_egress_trie *x)
{
	free(x->nodes);
	free(x->is_skip);
	free(x->ranges);
	memset(x, 0, sizeof(*x));
}
