/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The multibit egress trie (src/loader/egress-trie.c) in user space, no root
 * or kernel needed: hand-written IPv4 and IPv6 cases (/0, nested prefixes,
 * /1, /31, /127, /128, lengths that are not a multiple of the stride),
 * relocation to non-trivial node and range runs, a randomized differential
 * test against a naive longest-prefix search over the entries, entries
 * without ranges, too many ranges, and the node count of many /28s. Every
 * built trie is also checked for shape: roots, children and leaves within
 * their runs, every node reached exactly once from a root, no child below
 * the last level.
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

static const char *fmt_entry(const struct pl_bpf_egress_entry *e, char *buf, size_t sz)
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

/* A growing array of entries, and the tables that point at it. */
struct tab {
	struct pl_bpf_egress_entry *e;
	size_t n, cap;
};

static struct pl_bpf_egress_entry *tab_add(struct tab *t)
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

static struct pl_bpf_tables tables_of(const struct tab *t)
{
	return (struct pl_bpf_tables){ .egress = t->e, .n_egress = t->n };
}

/* Hand entries: ranges derived from `rule` so every entry's are distinct. */
static struct pl_bpf_egress_entry *add_cidr(struct tab *t, const char *cidr, uint32_t rule,
					    size_t n)
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

static const struct pl_bpf_egress_entry *tab_find_cidr(const struct tab *t, const char *cidr)
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
static const struct pl_bpf_egress_entry *ref_find(const struct tab *t, int family, const uint8_t *a)
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
static bool leaf_is(const struct pl_egress_trie *x, uint32_t v, const struct pl_bpf_egress_entry *e,
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
static bool check_shape(const struct pl_egress_trie *x, char *why, size_t sz)
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

static size_t min_nodes(const struct tab *t)
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

/* --- 1. empty tables ----------------------------------------------------- */

static void test_empty(void)
{
	struct pl_bpf_tables t = { 0 };
	struct pl_egress_trie x;
	uint8_t a[16] = { 10, 1, 2, 3 };
	int r = pl_egress_trie_build(&t, &x);

	TAP_OK(r == 0, "empty tables: build returns 0 (got %d)", r);
	TAP_OK(x.n_nodes == 0 && x.n_ranges == 0, "empty tables: no nodes, no ranges (%zu, %zu)",
	       x.n_nodes, x.n_ranges);
	pl_egress_trie_relocate(&x, 1000, 77);
	TAP_OK(x.root4 == 0 && x.root6 == 0, "empty tables: root4 = root6 = 0 after relocation");
	TAP_OK(pl_egress_trie_find(&x, AF_INET, a) == 0 &&
		   pl_egress_trie_find(&x, AF_INET6, a) == 0,
	       "empty tables: find returns 0 for IPv4 and IPv6");
	pl_egress_trie_free(&x);
}

/* --- 2. hand-written cases ----------------------------------------------- */

struct hand_entry {
	const char *cidr;
	uint32_t rule;
	size_t n;
};

struct hand_query {
	const char *addr;
	const char *want; /* the entry found, NULL: none */
};

static const struct hand_entry nested_entries[] = {
	{ "10.0.0.0/8", 2, 1 },
	{ "10.1.2.0/24", 3, 2 },
	{ "10.1.2.16/28", 4, 1 },
	{ "10.1.2.17/32", 5, 3 },
	{ "10.1.2.18/31", 6, 1 },
	{ "10.1.2.64/26", 7, 2 },
	{ "10.128.0.0/9", 8, 1 },
	{ "128.0.0.0/1", 9, 1 },
	{ "192.168.0.0/31", 10, 2 },
	{ "100.64.0.0/10", 11, 1 },
	{ "100.96.0.0/11", 12, 1 },
	{ "172.16.0.0/13", 13, 1 },
	{ "172.16.0.0/14", 14, 1 },
	{ "172.16.0.0/15", 15, 1 },
	{ "172.16.0.0/16", 16, 1 },
	{ "2001:db8::/32", 20, 1 },
	{ "2001:db8:1::/48", 21, 2 },
	{ "2001:db8:1::/127", 22, 1 },
	{ "2001:db8:1::5/128", 23, 3 },
	{ "2001:db8:8000::/33", 24, 1 },
	{ "8000::/1", 25, 1 },
	{ "fc00::/7", 26, 2 },
	{ "::1/128", 27, 1 },
	{ "fe80::/10", 28, 1 },
	{ "2001:db8:1:2:3:4:5:6/127", 29, 1 },
};

static const struct hand_query nested_queries[] = {
	{ "10.0.0.1", "10.0.0.0/8" },
	{ "10.1.2.1", "10.1.2.0/24" },
	{ "10.1.2.15", "10.1.2.0/24" },
	{ "10.1.2.16", "10.1.2.16/28" },
	{ "10.1.2.17", "10.1.2.17/32" },
	{ "10.1.2.18", "10.1.2.18/31" },
	{ "10.1.2.19", "10.1.2.18/31" },
	{ "10.1.2.20", "10.1.2.16/28" },
	{ "10.1.2.31", "10.1.2.16/28" },
	{ "10.1.2.32", "10.1.2.0/24" },
	{ "10.1.2.63", "10.1.2.0/24" },
	{ "10.1.2.64", "10.1.2.64/26" },
	{ "10.1.2.127", "10.1.2.64/26" },
	{ "10.1.2.128", "10.1.2.0/24" },
	{ "10.1.2.255", "10.1.2.0/24" },
	{ "10.1.3.0", "10.0.0.0/8" },
	{ "10.1.1.255", "10.0.0.0/8" },
	{ "10.127.255.255", "10.0.0.0/8" },
	{ "10.128.0.0", "10.128.0.0/9" },
	{ "10.255.255.255", "10.128.0.0/9" },
	{ "11.0.0.0", NULL },
	{ "9.255.255.255", NULL },
	{ "0.0.0.0", NULL },
	{ "127.255.255.255", NULL },
	{ "128.0.0.0", "128.0.0.0/1" },
	{ "255.255.255.255", "128.0.0.0/1" },
	{ "192.168.0.0", "192.168.0.0/31" },
	{ "192.168.0.1", "192.168.0.0/31" },
	{ "192.168.0.2", "128.0.0.0/1" },
	{ "100.63.255.255", NULL },
	{ "100.64.0.0", "100.64.0.0/10" },
	{ "100.95.255.255", "100.64.0.0/10" },
	{ "100.96.0.0", "100.96.0.0/11" },
	{ "100.127.255.255", "100.96.0.0/11" },
	{ "100.128.0.0", NULL },
	{ "172.16.0.1", "172.16.0.0/16" },
	{ "172.17.0.1", "172.16.0.0/15" },
	{ "172.18.0.1", "172.16.0.0/14" },
	{ "172.20.0.1", "172.16.0.0/13" },
	{ "172.23.255.255", "172.16.0.0/13" },
	{ "172.24.0.0", "128.0.0.0/1" },
	{ "32.1.13.184", NULL }, /* the bytes of 2001:db8:: as IPv4 */
	{ "2001:db8::1", "2001:db8::/32" },
	{ "2001:db8:1::", "2001:db8:1::/127" },
	{ "2001:db8:1::1", "2001:db8:1::/127" },
	{ "2001:db8:1::2", "2001:db8:1::/48" },
	{ "2001:db8:1::4", "2001:db8:1::/48" },
	{ "2001:db8:1::5", "2001:db8:1::5/128" },
	{ "2001:db8:1:ffff:ffff:ffff:ffff:ffff", "2001:db8:1::/48" },
	{ "2001:db8:1:2:3:4:5:6", "2001:db8:1:2:3:4:5:6/127" },
	{ "2001:db8:1:2:3:4:5:7", "2001:db8:1:2:3:4:5:6/127" },
	{ "2001:db8:1:2:3:4:5:8", "2001:db8:1::/48" },
	{ "2001:db8:1:2:3:4:5:5", "2001:db8:1::/48" },
	{ "2001:db8:2::", "2001:db8::/32" },
	{ "2001:db8:7fff:ffff::", "2001:db8::/32" },
	{ "2001:db8:8000::", "2001:db8:8000::/33" },
	{ "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8:8000::/33" },
	{ "2001:db9::", NULL },
	{ "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", NULL },
	{ "::", NULL },
	{ "::1", "::1/128" },
	{ "::2", NULL },
	{ "::a01:211", NULL }, /* the bytes of 10.1.2.17 as IPv6 */
	{ "7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL },
	{ "8000::", "8000::/1" },
	{ "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "8000::/1" },
	{ "fc00::", "fc00::/7" },
	{ "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fc00::/7" },
	{ "fe00::", "8000::/1" },
	{ "fe80::1", "fe80::/10" },
	{ "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe80::/10" },
	{ "fec0::", "8000::/1" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "8000::/1" },
};

static const struct hand_entry default_entries[] = {
	{ "0.0.0.0/0", 1, 2 }, { "10.0.0.0/8", 2, 1 },     { "10.1.2.0/24", 3, 1 },
	{ "::/0", 30, 1 },     { "2001:db8::/32", 31, 2 }, { "2001:db8::/127", 32, 1 },
};

static const struct hand_query default_queries[] = {
	{ "0.0.0.0", "0.0.0.0/0" },
	{ "1.2.3.4", "0.0.0.0/0" },
	{ "9.255.255.255", "0.0.0.0/0" },
	{ "10.9.9.9", "10.0.0.0/8" },
	{ "10.1.2.3", "10.1.2.0/24" },
	{ "10.1.3.3", "10.0.0.0/8" },
	{ "11.0.0.0", "0.0.0.0/0" },
	{ "255.255.255.255", "0.0.0.0/0" },
	{ "::", "::/0" },
	{ "::1", "::/0" },
	{ "2001:db8::1", "2001:db8::/127" },
	{ "2001:db8::2", "2001:db8::/32" },
	{ "2001:db9::", "::/0" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/0" },
};

/* Only IPv6: root4 stays 0 and every IPv4 address finds nothing. */
static const struct hand_entry v6only_entries[] = {
	{ "::/0", 40, 1 },
	{ "fd00::/8", 41, 1 },
};

static const struct hand_query v6only_queries[] = {
	{ "0.0.0.0", NULL },       { "253.0.0.0", NULL }, { "255.255.255.255", NULL },
	{ "fd00::1", "fd00::/8" }, { "fe00::", "::/0" },
};

/* Long single-way paths: compressed into skips (::1/128 alone is two skips,
 * one per 64-bit half); the miss value is the enclosing leaf. */
static const struct hand_entry skip_entries[] = {
	{ "::/0", 50, 1 },
	{ "::1/128", 51, 1 },
	{ "10.1.2.3/32", 52, 1 },
	{ "fd00:1:2:3::/64", 53, 1 },
	{ "fd00:1:2:3:4:5:6:7/128", 54, 1 },
};

static const struct hand_query skip_queries[] = {
	{ "::1", "::1/128" },
	{ "::", "::/0" },
	{ "::2", "::/0" },
	{ "0:0:0:1::1", "::/0" },
	{ "8000::1", "::/0" },
	{ "10.1.2.3", "10.1.2.3/32" },
	{ "10.1.2.2", NULL },
	{ "11.1.2.3", NULL },
	{ "fd00:1:2:3::9", "fd00:1:2:3::/64" },
	{ "fd00:1:2:3:4:5:6:7", "fd00:1:2:3:4:5:6:7/128" },
	{ "fd00:1:2:3:4:5:6:8", "fd00:1:2:3::/64" },
	{ "fd00:1:2:4::", "::/0" },
};

static void hand_case(const char *what, const struct hand_entry *he, size_t n_he,
		      const struct hand_query *q, size_t nq, uint32_t node_base,
		      uint32_t range_base)
{
	struct tab t = { 0 }, rev = { 0 };
	struct pl_bpf_tables tt;
	struct pl_egress_trie x, y;
	char why[256] = "", buf[128];
	size_t bad = 0, ref_bad = 0;
	bool has4 = false, has6 = false;
	int r;

	for (size_t i = 0; i < n_he; i++) {
		const struct pl_bpf_egress_entry *e = add_cidr(&t, he[i].cidr, he[i].rule, he[i].n);

		has4 |= e->family == AF_INET;
		has6 |= e->family == AF_INET6;
	}
	for (size_t i = n_he; i-- > 0;)
		add_cidr(&rev, he[i].cidr, he[i].rule, he[i].n);

	tt = tables_of(&t);
	r = pl_egress_trie_build(&tt, &x);
	TAP_OK(r == 0, "%s: build returns 0 (got %d)", what, r);
	if (r)
		goto out;
	TAP_OK(x.n_nodes <= min_nodes(&t),
	       "%s: %zu nodes, at most the fewest possible without path compression (%zu)", what,
	       x.n_nodes, min_nodes(&t));
	pl_egress_trie_relocate(&x, node_base, range_base);
	TAP_OK(!x.root4 == !has4 && !x.root6 == !has6,
	       "%s: root4 %u, root6 %u: set exactly for the families with entries", what, x.root4,
	       x.root6);
	TAP_OK(x.node_base == node_base && x.range_base == range_base,
	       "%s: relocation records node_base %u, range_base %u", what, node_base, range_base);
	if (!TAP_OK(check_shape(&x, why, sizeof(why)),
		    "%s: relocated to nodes [%u, %zu), ranges [%u, %zu): roots, children and "
		    "leaves within the runs, a tree",
		    what, node_base, node_base + x.n_nodes, range_base, range_base + x.n_ranges))
		tap_diag("%s", why);
	for (size_t i = 0; i < nq; i++) {
		uint8_t a[16];
		unsigned len;
		int family;
		const struct pl_bpf_egress_entry *want;
		uint32_t v;

		if (!parse_cidr(q[i].addr, &family, a, &len)) {
			fprintf(stderr, "bad address %s\n", q[i].addr);
			exit(2);
		}
		want = q[i].want ? tab_find_cidr(&t, q[i].want) : NULL;
		v = pl_egress_trie_find(&x, family, a);
		if (!TAP_OK(leaf_is(&x, v, want, why, sizeof(why)), "%s: %s -> %s", what, q[i].addr,
			    q[i].want ? q[i].want : "nothing"))
			tap_diag("%s", why);
		/* the reference of the randomized test agrees with the hand */
		if (ref_find(&t, family, a) != want && !ref_bad++)
			tap_diag("the reference finds %s for %s",
				 fmt_entry(ref_find(&t, family, a), buf, sizeof(buf)), q[i].addr);
	}
	TAP_OK(ref_bad == 0, "%s: the naive reference gives the same answers (%zu differ)", what,
	       ref_bad);

	tt = tables_of(&rev);
	r = pl_egress_trie_build(&tt, &y);
	if (r == 0) {
		pl_egress_trie_relocate(&y, 1, 0);
		for (size_t i = 0; i < nq; i++) {
			uint8_t a[16];
			unsigned len;
			int family;
			const struct pl_bpf_egress_entry *want;

			parse_cidr(q[i].addr, &family, a, &len);
			want = q[i].want ? tab_find_cidr(&rev, q[i].want) : NULL;
			if (!leaf_is(&y, pl_egress_trie_find(&y, family, a), want, why,
				     sizeof(why))) {
				if (!bad++)
					tap_diag("reversed input, %s: %s", q[i].addr, why);
			}
		}
		if (!check_shape(&y, why, sizeof(why))) {
			tap_diag("reversed input: %s", why);
			bad++;
		}
	}
	TAP_OK(r == 0 && bad == 0 && y.n_nodes == x.n_nodes,
	       "%s: entries in reverse order (bases 1, 0): same %zu nodes, same answers for %zu "
	       "queries (build %d, %zu wrong)",
	       what, r == 0 ? y.n_nodes : 0, nq, r, bad);
	if (r == 0)
		pl_egress_trie_free(&y);
	pl_egress_trie_free(&x);
out:
	free(t.e);
	free(rev.e);
}

/* --- 3. randomized, against the reference -------------------------------- */

#define ROUNDS 8
#define ENTRIES 300
#define LOOKUPS 20000

static void random_round(int round)
{
	/* odd rounds: addresses around a few seeds per family, so prefixes
	 * nest deeply and share long paths; even rounds: anywhere. Rounds 2
	 * and 3 mod 4: no prefix shorter than a quarter of the address, so
	 * that many lookups match nothing (a /0 or /1 is likely otherwise). */
	bool clustered = round % 2, long_only = round % 4 >= 2;
	uint8_t seeds[2][4][16];
	struct tab t = { 0 };
	struct pl_bpf_tables tt;
	struct pl_egress_trie x;
	uint32_t rule = 1, node_base = 1 + rnd_below(100000), range_base = rnd_below(100000);
	size_t n_ranges = 0, mismatches = 0, found = 0, near = 0, empty = 0;
	char why[256] = "";
	int r;

	for (int f = 0; f < 2; f++)
		for (int s = 0; s < 4; s++)
			for (int i = 0; i < 16; i++)
				seeds[f][s][i] = (uint8_t)rnd();
	while (t.n < ENTRIES) {
		int family = rnd_below(2) ? AF_INET6 : AF_INET;
		unsigned bits = family_bits(family), min = long_only ? bits / 4 : 0;
		unsigned len = min + rnd_below(bits - min + 1);
		uint8_t a[16] = { 0 };
		bool dup = false;
		struct pl_bpf_egress_entry *e;

		if (clustered) {
			memcpy(a, seeds[family == AF_INET6][rnd_below(4)], 16);
			randomize_from(a, rnd_below(bits + 1), bits);
		} else {
			randomize_from(a, 0, bits);
		}
		mask_from(a, len);
		for (size_t i = 0; i < t.n && !dup; i++)
			dup = t.e[i].family == family && t.e[i].prefix_len == len &&
			      !memcmp(t.e[i].addr, a, 16);
		if (dup)
			continue;
		e = tab_add(&t);
		e->family = family;
		memcpy(e->addr, a, 16);
		e->prefix_len = (uint8_t)len;
		/* one entry in 16 without ranges: must be ignored */
		e->n = rnd_below(16) ? 1 + rnd_below(3) : 0;
		empty += e->n == 0;
		for (size_t k = 0; k < e->n; k++) {
			uint16_t lo = (uint16_t)rnd(), hi = (uint16_t)rnd();

			e->r[k] = (struct pl_bpf_port_range){ .lo = lo < hi ? lo : hi,
							      .hi = lo < hi ? hi : lo,
							      .action = (uint8_t)rnd_below(4),
							      .rule = rule++ };
		}
		n_ranges += e->n;
	}

	tt = tables_of(&t);
	r = pl_egress_trie_build(&tt, &x);
	if (!TAP_OK(r == 0, "random round %d: build of %d entries returns 0 (got %d)", round,
		    ENTRIES, r)) {
		free(t.e);
		return;
	}
	TAP_OK(x.n_ranges == n_ranges && x.n_nodes <= min_nodes(&t),
	       "random round %d: %zu ranges (want %zu), %zu nodes (uncompressed: %zu)", round,
	       x.n_ranges, n_ranges, x.n_nodes, min_nodes(&t));
	pl_egress_trie_relocate(&x, node_base, range_base);
	if (!TAP_OK(check_shape(&x, why, sizeof(why)),
		    "random round %d: shape after relocation to node_base %u, range_base %u", round,
		    node_base, range_base)) {
		tap_diag("%s", why);
		pl_egress_trie_free(&x);
		free(t.e);
		return;
	}

	for (int i = 0; i < LOOKUPS; i++) {
		uint8_t a[16] = { 0 };
		int family;
		const struct pl_bpf_egress_entry *want;
		uint32_t v;

		if (i % 2) {
			const struct pl_bpf_egress_entry *e = &t.e[rnd_below((unsigned)t.n)];

			family = e->family;
			memcpy(a, e->addr, 16);
			randomize_from(a, e->prefix_len, family_bits(family));
			/* one in four just outside the prefix */
			if (e->prefix_len && rnd_below(4) == 0)
				flip_bit(a, e->prefix_len - 1u);
			near++;
		} else {
			family = rnd_below(2) ? AF_INET6 : AF_INET;
			randomize_from(a, 0, family_bits(family));
		}
		want = ref_find(&t, family, a);
		v = pl_egress_trie_find(&x, family, a);
		found += want != NULL;
		if (!leaf_is(&x, v, want, why, sizeof(why)) && !mismatches++) {
			char s[INET6_ADDRSTRLEN], w[128];

			tap_diag("round %d first mismatch: %s: want %s: %s", round,
				 fmt_addr(family, a, s, sizeof(s)), fmt_entry(want, w, sizeof(w)),
				 why);
		}
	}
	TAP_OK(mismatches == 0,
	       "random round %d (%s, lengths %s): %d entries (%zu without ranges), %zu ranges, %zu "
	       "nodes; "
	       "%d lookups (%zu near an entry, %zu matching): %zu mismatches",
	       round, clustered ? "clustered" : "spread",
	       long_only ? "8..32 / 32..128" : "0..32 / 0..128", ENTRIES, empty, n_ranges,
	       x.n_nodes, LOOKUPS, near, found, mismatches);
	pl_egress_trie_free(&x);
	free(t.e);
}

/* --- 4. entries without ranges, too many ranges -------------------------- */

static void test_counts(void)
{
	struct tab t = { 0 };
	struct pl_bpf_tables tt;
	struct pl_egress_trie x;
	struct pl_bpf_egress_entry *e;
	uint8_t a[16];
	unsigned len;
	int family, r;
	char why[256] = "";

	/* only entries without ranges: nothing at all */
	add_cidr(&t, "10.0.0.0/8", 1, 0);
	add_cidr(&t, "0.0.0.0/0", 2, 0);
	add_cidr(&t, "::/0", 3, 0);
	add_cidr(&t, "2001:db8::/32", 4, 0);
	tt = tables_of(&t);
	r = pl_egress_trie_build(&tt, &x);
	TAP_OK(r == 0 && x.n_nodes == 0 && x.n_ranges == 0 && x.root4 == 0 && x.root6 == 0,
	       "only entries with n = 0: build %d, %zu nodes, %zu ranges, roots %u, %u", r,
	       x.n_nodes, x.n_ranges, x.root4, x.root6);
	pl_egress_trie_relocate(&x, 5, 5);
	parse_cidr("10.1.2.3", &family, a, &len);
	TAP_OK(pl_egress_trie_find(&x, AF_INET, a) == 0, "only entries with n = 0: find is 0");
	pl_egress_trie_free(&x);
	t.n = 0;

	/* entries without ranges between entries with ranges */
	add_cidr(&t, "10.0.0.0/8", 1, 0);
	add_cidr(&t, "10.1.0.0/16", 2, 1);
	add_cidr(&t, "0.0.0.0/0", 3, 2);
	add_cidr(&t, "10.1.2.3/32", 4, 0);
	add_cidr(&t, "::/0", 5, 0);
	add_cidr(&t, "2001:db8::/32", 6, 1);
	add_cidr(&t, "2001:db8::1/128", 7, 0);
	tt = tables_of(&t);
	r = pl_egress_trie_build(&tt, &x);
	TAP_OK(r == 0 && x.n_ranges == 4, "n = 0 mixed in: build %d, %zu ranges (want 4)", r,
	       x.n_ranges);
	if (r == 0) {
		static const struct hand_query q[] = {
			{ "10.1.2.3", "10.1.0.0/16" }, { "10.2.0.0", "0.0.0.0/0" },
			{ "11.0.0.0", "0.0.0.0/0" },   { "2001:db8::1", "2001:db8::/32" },
			{ "2001:db9::", NULL },        { "::", NULL },
		};
		size_t bad = 0;

		pl_egress_trie_relocate(&x, 3, 9);
		for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
			const struct pl_bpf_egress_entry *want =
			    q[i].want ? tab_find_cidr(&t, q[i].want) : NULL;

			parse_cidr(q[i].addr, &family, a, &len);
			if (!leaf_is(&x, pl_egress_trie_find(&x, family, a), want, why,
				     sizeof(why)) &&
			    !bad++)
				tap_diag("%s: %s", q[i].addr, why);
		}
		TAP_OK(bad == 0 && check_shape(&x, why, sizeof(why)),
		       "n = 0 mixed in: they are skipped, lookups fall to the enclosing entry "
		       "(%zu wrong)",
		       bad);
		pl_egress_trie_free(&x);
	}
	t.n = 0;

	/* the most ranges a leaf can hold */
	add_cidr(&t, "192.0.2.0/24", 1, PL_CG_MAX_PORT_RANGES);
	add_cidr(&t, "2001:db8::/64", 2, PL_CG_MAX_PORT_RANGES);
	e = &t.e[0];
	tt = tables_of(&t);
	r = pl_egress_trie_build(&tt, &x);
	if (r == 0) {
		uint32_t v;

		pl_egress_trie_relocate(&x, 1, 1);
		parse_cidr("192.0.2.200", &family, a, &len);
		v = pl_egress_trie_find(&x, family, a);
		TAP_OK(leaf_is(&x, v, e, why, sizeof(why)) &&
			   PL_CG_LEAF_COUNT(v) == PL_CG_MAX_PORT_RANGES,
		       "%d ranges (the maximum): one leaf holds them all (count %u)",
		       PL_CG_MAX_PORT_RANGES, PL_CG_LEAF_COUNT(v));
		pl_egress_trie_free(&x);
	} else {
		TAP_OK(false, "%d ranges (the maximum): build returns 0 (got %d)",
		       PL_CG_MAX_PORT_RANGES, r);
	}
	t.n = 0;

	/* one more: -E2BIG. Only n says so; r[] holds PL_BPF_MAX_PORT_RANGES
	 * entries and the build checks n before reading them. */
	_Static_assert(PL_BPF_MAX_PORT_RANGES == PL_CG_MAX_PORT_RANGES, "range limits differ");
	add_cidr(&t, "10.0.0.0/8", 1, 1);
	e = add_cidr(&t, "192.0.2.0/24", 2, PL_CG_MAX_PORT_RANGES);
	e->n = PL_CG_MAX_PORT_RANGES + 1;
	tt = tables_of(&t);
	memset(&x, 0xa5, sizeof(x));
	r = pl_egress_trie_build(&tt, &x);
	TAP_OK(r == -E2BIG && x.nodes == NULL && x.n_nodes == 0 && x.ranges == NULL &&
		   x.root4 == 0 && x.root6 == 0,
	       "IPv4 entry with %d ranges: -E2BIG (got %d), the result left empty",
	       PL_CG_MAX_PORT_RANGES + 1, r);
	pl_egress_trie_free(&x);
	t.n = 0;

	/* the same in the second family, after a complete IPv4 trie (which
	 * must be freed: the sanitizer build checks for leaks) */
	add_cidr(&t, "10.0.0.0/8", 1, 1);
	add_cidr(&t, "10.1.0.0/16", 2, 3);
	add_cidr(&t, "2001:db8::/32", 3, 2);
	e = add_cidr(&t, "2001:db8:1::/48", 4, PL_CG_MAX_PORT_RANGES);
	e->n = PL_CG_MAX_PORT_RANGES + 1;
	tt = tables_of(&t);
	r = pl_egress_trie_build(&tt, &x);
	TAP_OK(r == -E2BIG && x.nodes == NULL && x.n_nodes == 0 && x.ranges == NULL,
	       "IPv6 entry with %d ranges after IPv4 entries: -E2BIG (got %d), nothing kept",
	       PL_CG_MAX_PORT_RANGES + 1, r);
	pl_egress_trie_free(&x);
	free(t.e);
}

/* --- 5. node count ------------------------------------------------------- */

#define N28 4096

static void test_node_count(void)
{
	struct tab t = { 0 };
	struct pl_bpf_tables tt;
	struct pl_egress_trie x;
	char why[256] = "";
	size_t bad = 0;
	int r;

	for (uint32_t i = 0; i < N28; i++) {
		/* i * odd constant mod 2^24: distinct /24s spread over the space */
		uint32_t net = (i * 0x9e3779u) & 0xffffffu;
		struct pl_bpf_egress_entry *e = tab_add(&t);

		e->family = AF_INET;
		e->addr[0] = (uint8_t)(net >> 16);
		e->addr[1] = (uint8_t)(net >> 8);
		e->addr[2] = (uint8_t)net;
		e->addr[3] = (uint8_t)(rnd_below(16) << 4);
		e->prefix_len = 28;
		e->n = 1;
		e->r[0] =
		    (struct pl_bpf_port_range){ .lo = 443, .hi = 443, .rule = i, .action = 2 };
	}
	tt = tables_of(&t);
	r = pl_egress_trie_build(&tt, &x);
	if (!TAP_OK(r == 0, "%d IPv4 /28s: build returns 0 (got %d)", N28, r)) {
		free(t.e);
		return;
	}
	TAP_OK(x.n_nodes < (size_t)N28 * 7,
	       "%d IPv4 /28s in distinct /24s: %zu nodes (< %d), the fewest possible being %zu",
	       N28, x.n_nodes, N28 * 7, min_nodes(&t));
	pl_egress_trie_relocate(&x, 4242, 123);
	if (!TAP_OK(check_shape(&x, why, sizeof(why)),
		    "%d IPv4 /28s: every node entry is 0, a leaf within the ranges or a valid "
		    "child",
		    N28))
		tap_diag("%s", why);
	for (size_t i = 0; i < t.n; i++) {
		const struct pl_bpf_egress_entry *e = &t.e[i];
		uint8_t a[16];

		memcpy(a, e->addr, 16);
		randomize_from(a, 28, 32);
		if (!leaf_is(&x, pl_egress_trie_find(&x, AF_INET, a), e, why, sizeof(why)) &&
		    !bad++)
			tap_diag("entry %zu inside: %s", i, why);
		/* same /24, another /28: nothing */
		a[3] = (uint8_t)(a[3] ^ (1 + rnd_below(15)) << 4);
		if (!leaf_is(&x, pl_egress_trie_find(&x, AF_INET, a), NULL, why, sizeof(why)) &&
		    !bad++)
			tap_diag("entry %zu, next /28: %s", i, why);
	}
	TAP_OK(bad == 0,
	       "%d IPv4 /28s: each found from inside, nothing in the rest of its /24 "
	       "(%zu wrong)",
	       N28, bad);
	pl_egress_trie_free(&x);
	free(t.e);
}

/* ::1/128 alone: two skip records and nothing else; the walk takes two
 * steps. 10.1.2.3/32 alone: one skip of 8 nibbles. */
static void test_one_path(void)
{
	struct tab t = { 0 };
	struct pl_bpf_tables tt;
	struct pl_egress_trie x;
	uint8_t a[16];
	unsigned len;
	int fam, r;

	add_cidr(&t, "::1/128", 1, 1);
	add_cidr(&t, "10.1.2.3/32", 2, 1);
	tt = tables_of(&t);
	r = pl_egress_trie_build(&tt, &x);
	TAP_OK(r == 0 && x.n_nodes == 3 && x.is_skip[0] && x.is_skip[1] && x.is_skip[2],
	       "::1/128 and 10.1.2.3/32 alone: %zu nodes, all skips (want 3)", x.n_nodes);
	if (r == 0) {
		pl_egress_trie_relocate(&x, 1, 0);
		parse_cidr("::1", &fam, a, &len);
		TAP_OK((x.root6 & PL_CG_SKIP) && pl_egress_trie_find(&x, fam, a) != 0,
		       "the IPv6 root is a skip and ::1 is found");
		parse_cidr("10.1.2.3", &fam, a, &len);
		TAP_OK((x.root4 & PL_CG_SKIP) && pl_egress_trie_find(&x, fam, a) != 0,
		       "the IPv4 root is a skip and 10.1.2.3 is found");
		pl_egress_trie_free(&x);
	}
	free(t.e);
}

int main(void)
{
	test_empty();
	hand_case("nested", nested_entries, sizeof(nested_entries) / sizeof(nested_entries[0]),
		  nested_queries, sizeof(nested_queries) / sizeof(nested_queries[0]), 1000, 77);
	hand_case("defaults", default_entries, sizeof(default_entries) / sizeof(default_entries[0]),
		  default_queries, sizeof(default_queries) / sizeof(default_queries[0]), 1, 0);
	hand_case("IPv6 only", v6only_entries, sizeof(v6only_entries) / sizeof(v6only_entries[0]),
		  v6only_queries, sizeof(v6only_queries) / sizeof(v6only_queries[0]), 65536,
		  200000);
	hand_case("skips", skip_entries, sizeof(skip_entries) / sizeof(skip_entries[0]),
		  skip_queries, sizeof(skip_queries) / sizeof(skip_queries[0]), 5, 9);
	test_one_path();
	for (int round = 0; round < ROUNDS; round++)
		random_round(round);
	test_counts();
	test_node_count();
	return tap_done();
}
