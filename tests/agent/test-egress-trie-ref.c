/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test-egress-trie, part 2 of 3: the growing entry tables the cases build,
 * the naive longest-prefix reference, the leaf comparison, the shape check
 * of a relocated trie and the fewest nodes a table needs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "egress-trie.h"
#include "plastron/bpf.h"
#include "tap.h"
#include "trie-test.h"

#include "test-egress-trie.h"

const char *fmt_entry(const struct pl_bpf_egress_entry *e, char *buf, size_t sz)
{
	char a[INET6_ADDRSTRLEN];

	if (!e) {
		snprintf(buf, sz, "(none)");
		return buf;
	}
	snprintf(buf, sz, "%s/%u (n=%zu, first rule %u)",
		 fmt_addr(e->family, e->addr, a, sizeof(a)), e->prefix_len, e->n,
		 e->n ? e->r[0].rule : 0);
	return buf;
}

struct pl_bpf_egress_entry *tab_add(struct tab *t)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		struct pl_bpf_egress_entry *e = realloc(t->e, cap * sizeof(*e));

		if (!e) {
			perror("realloc");
			exit(2);
		}
		t->e = e;
		t->cap = cap;
	}
	memset(&t->e[t->n], 0, sizeof(t->e[t->n]));
	return &t->e[t->n++];
}

struct pl_bpf_tables tables_of(const struct tab *t)
{
	return (struct pl_bpf_tables){ .egress = t->e, .n_egress = t->n };
}

/* Hand entries: ranges derived from `rule` so every entry's are distinct. */
struct pl_bpf_egress_entry *add_cidr(struct tab *t, const char *cidr, uint32_t rule, size_t n)
{
	struct pl_bpf_egress_entry *e = tab_add(t);
	unsigned len;

	if (!parse_cidr(cidr, &e->family, e->addr, &len)) {
		fprintf(stderr, "bad cidr %s\n", cidr);
		exit(2);
	}
	mask_from(e->addr, len);
	e->prefix_len = (uint8_t)len;
	e->n = n;
	for (size_t k = 0; k < n && k < PL_BPF_MAX_PORT_RANGES; k++)
		e->r[k] = (struct pl_bpf_port_range){ .lo = (uint16_t)(100 * k),
						      .hi = (uint16_t)(k ? 100 * k + 50 : 65535),
						      .action = (uint8_t)((rule + k) % 4),
						      .rule = 100 * rule + (uint32_t)k };
	return e;
}

const struct pl_bpf_egress_entry *tab_find_cidr(const struct tab *t, const char *cidr)
{
	uint8_t a[16];
	unsigned len;
	int family;

	if (!parse_cidr(cidr, &family, a, &len)) {
		fprintf(stderr, "bad cidr %s\n", cidr);
		exit(2);
	}
	for (size_t i = 0; i < t->n; i++)
		if (t->e[i].family == family && t->e[i].prefix_len == len &&
		    !memcmp(t->e[i].addr, a, 16))
			return &t->e[i];
	fprintf(stderr, "no entry %s\n", cidr);
	exit(2);
}

/* The reference: the longest prefix with ranges that contains `a`. */
const struct pl_bpf_egress_entry *ref_find(const struct tab *t, int family, const uint8_t *a)
{
	const struct pl_bpf_egress_entry *best = NULL;

	for (size_t i = 0; i < t->n; i++) {
		const struct pl_bpf_egress_entry *e = &t->e[i];

		if (e->family != family || e->n == 0 || !prefix_match(e->addr, a, e->prefix_len))
			continue;
		if (!best || e->prefix_len > best->prefix_len)
			best = e;
	}
	return best;
}

/* Whether leaf `v` of relocated `x` carries exactly the ranges of `e` (as a
 * set of (lo, hi, rule, action)); e == NULL wants v == 0. */
bool leaf_is(const struct pl_egress_trie *x, uint32_t v, const struct pl_bpf_egress_entry *e,
	     char *why, size_t sz)
{
	bool used[PL_CG_MAX_PORT_RANGES] = { false };
	uint32_t first, count;

	if (!e) {
		if (v)
			snprintf(why, sz, "want no leaf, got 0x%08x (%u ranges)", v,
				 PL_CG_LEAF_COUNT(v));
		return v == 0;
	}
	if (!(v & PL_CG_LEAF)) {
		snprintf(why, sz, "want a leaf, got 0x%08x", v);
		return false;
	}
	first = PL_CG_LEAF_FIRST(v);
	count = PL_CG_LEAF_COUNT(v);
	if (count != e->n) {
		snprintf(why, sz, "want %zu ranges, leaf has %u", e->n, count);
		return false;
	}
	if (first < x->range_base || first - x->range_base + count > x->n_ranges) {
		snprintf(why, sz, "leaf ranges [%u, %u) outside the run [%u, %zu)", first,
			 first + count, x->range_base, x->range_base + x->n_ranges);
		return false;
	}
	for (size_t k = 0; k < e->n; k++) {
		bool found = false;

		for (uint32_t j = 0; j < count && !found; j++) {
			const struct pl_cg_port_range *p = &x->ranges[first - x->range_base + j];

			if (!used[j] && p->lo == e->r[k].lo && p->hi == e->r[k].hi &&
			    p->rule == e->r[k].rule && p->action == e->r[k].action)
				used[j] = found = true;
		}
		if (!found) {
			snprintf(why, sz, "range %u-%u rule %u action %u missing from the leaf",
				 e->r[k].lo, e->r[k].hi, e->r[k].rule, e->r[k].action);
			return false;
		}
	}
	return true;
}

/* A child or skip reference within the node run, of the right kind. */
static bool valid_child(const struct pl_egress_trie *x, uint32_t v)
{
	uint32_t i = v & PL_CG_INDEX;

	return i >= x->node_base && i - x->node_base < x->n_nodes &&
	       !(v & PL_CG_SKIP) == !x->is_skip[i - x->node_base];
}

static bool valid_leaf(const struct pl_egress_trie *x, uint32_t v)
{
	uint32_t first = PL_CG_LEAF_FIRST(v), count = PL_CG_LEAF_COUNT(v);

	return count >= 1 && count <= PL_CG_MAX_PORT_RANGES && first >= x->range_base &&
	       first - x->range_base + count <= x->n_ranges;
}

/* An entry value: 0, a valid leaf or a valid reference. */
static bool valid_entry(const struct pl_egress_trie *x, uint32_t v, const char *where, char *why,
			size_t sz)
{
	if (!v || ((v & PL_CG_LEAF) ? valid_leaf(x, v) : valid_child(x, v)))
		return true;
	snprintf(why, sz, "%s: entry 0x%08x invalid (nodes [%u, %zu), ranges [%u, %zu))", where, v,
		 x->node_base, x->node_base + x->n_nodes, x->range_base,
		 x->range_base + x->n_ranges);
	return false;
}

/* Walk from reference v at nibble depth `depth`: every node reached once,
 * skips within one 64-bit half, nothing below the last level. */
static bool visit(const struct pl_egress_trie *x, uint32_t v, unsigned depth, unsigned levels,
		  bool *seen, char *why, size_t sz)
{
	uint32_t i = (v & PL_CG_INDEX) - x->node_base;
	const struct pl_cg_node *node = &x->nodes[i];

	if (depth >= levels) {
		snprintf(why, sz, "node %u below the last level", v & PL_CG_INDEX);
		return false;
	}
	if (seen[i]) {
		snprintf(why, sz, "node %u reached twice", v & PL_CG_INDEX);
		return false;
	}
	seen[i] = true;
	if (x->is_skip[i]) {
		const struct pl_cg_skip *sk = (const struct pl_cg_skip *)node;

		if (sk->nibbles < 2 || sk->nibbles > 16 || depth % 16 + sk->nibbles > 16 ||
		    depth + sk->nibbles > levels || (sk->miss && !(sk->miss & PL_CG_LEAF))) {
			snprintf(why, sz, "skip %u at depth %u: %u nibbles, miss 0x%08x", v, depth,
				 sk->nibbles, sk->miss);
			return false;
		}
		if (sk->next && !(sk->next & PL_CG_LEAF))
			return visit(x, sk->next, depth + sk->nibbles, levels, seen, why, sz);
		return true;
	}
	for (unsigned k = 0; k < PL_CG_FANOUT; k++) {
		uint32_t c = node->e[k];

		if (!c || (c & PL_CG_LEAF))
			continue;
		if (!visit(x, c, depth + 1, levels, seen, why, sz))
			return false;
	}
	return true;
}

/* The shape of a relocated trie: roots and children within the node run,
 * leaves' ranges within the range run, a tree reaching every node once. */
bool check_shape(const struct pl_egress_trie *x, char *why, size_t sz)
{
	bool *seen;
	bool ok = true;

	if ((x->root4 && !valid_child(x, x->root4)) || (x->root6 && !valid_child(x, x->root6))) {
		snprintf(why, sz, "roots %u, %u outside the node run [%u, %zu)", x->root4, x->root6,
			 x->node_base, x->node_base + x->n_nodes);
		return false;
	}
	if (!x->root4 && !x->root6 && x->n_nodes) {
		snprintf(why, sz, "%zu nodes but no root", x->n_nodes);
		return false;
	}
	for (size_t i = 0; i < x->n_nodes; i++) {
		char where[64];

		snprintf(where, sizeof(where), "node %zu", x->node_base + i);
		if (x->is_skip[i]) {
			const struct pl_cg_skip *sk = (const struct pl_cg_skip *)&x->nodes[i];

			if (!valid_entry(x, sk->next, where, why, sz) ||
			    !valid_entry(x, sk->miss, where, why, sz))
				return false;
			continue;
		}
		for (unsigned k = 0; k < PL_CG_FANOUT; k++)
			if (!valid_entry(x, x->nodes[i].e[k], where, why, sz))
				return false;
	}
	seen = calloc(x->n_nodes + 1, sizeof(*seen));
	if (!seen) {
		perror("calloc");
		exit(2);
	}
	if (x->root4)
		ok = visit(x, x->root4, 0, family_levels(AF_INET), seen, why, sz);
	if (ok && x->root6)
		ok = visit(x, x->root6, 0, family_levels(AF_INET6), seen, why, sz);
	for (size_t i = 0; ok && i < x->n_nodes; i++)
		if (!seen[i]) {
			snprintf(why, sz, "node %zu not reachable from a root", x->node_base + i);
			ok = false;
		}
	free(seen);
	return ok;
}

/* The fewest stride-4 nodes that can hold `t`: a root per family with
 * entries, plus one node per distinct path of 1 .. (len - 1) / 4 nibbles. */
struct path {
	uint8_t family, nibbles;
	uint8_t a[16];
};

static int cmp_path(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct path));
}

size_t min_nodes(const struct tab *t)
{
	struct path *p = calloc(t->n * 32 + 1, sizeof(*p));
	size_t n = 0, count = 0;
	bool has4 = false, has6 = false;

	if (!p) {
		perror("calloc");
		exit(2);
	}
	for (size_t i = 0; i < t->n; i++) {
		const struct pl_bpf_egress_entry *e = &t->e[i];
		unsigned depth = e->prefix_len ? (e->prefix_len - 1u) / PL_CG_STRIDE : 0;

		if (e->n == 0)
			continue;
		if (e->family == AF_INET6)
			has6 = true;
		else
			has4 = true;
		for (unsigned k = 1; k <= depth; k++) {
			memset(&p[n], 0, sizeof(p[n]));
			p[n].family = (uint8_t)e->family;
			p[n].nibbles = (uint8_t)k;
			memcpy(p[n].a, e->addr, 16);
			mask_from(p[n].a, PL_CG_STRIDE * k);
			n++;
		}
	}
	qsort(p, n, sizeof(*p), cmp_path);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || cmp_path(&p[i - 1], &p[i]))
			count++;
	free(p);
	return count + has4 + has6;
}
