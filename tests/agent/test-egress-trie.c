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
 *
 * This file: main, the empty tables and the hand-written cases. The entry
 * tables, the naive reference and the shape checks are in
 * test-egress-trie-ref.c; the randomized rounds, the range counts and the
 * node count in test-egress-trie-random.c; what they share in
 * test-egress-trie.h.
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
