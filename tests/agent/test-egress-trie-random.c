/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test-egress-trie, part 3 of 3: the randomized rounds against the naive
 * reference, entries without ranges and too many ranges, and the node
 * count of many /28s.
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

/* --- 3. randomized, against the reference -------------------------------- */

#define ENTRIES 300
#define LOOKUPS 20000

void random_round(int round)
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

void test_counts(void)
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

void test_node_count(void)
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
