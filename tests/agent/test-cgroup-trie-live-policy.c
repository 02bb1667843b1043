/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test-cgroup-trie-live, part 2 of 3: the random policy of one round:
 * candidate prefixes (the special long paths, random ones, clustered
 * around seeds in round 1) with their own port ranges, folded like the
 * generator folds them into the tables the enforcer is given.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "egress-trie.h"
#include "enforcer.h"
#include "plastron/bpf.h"
#include "cg-live.h"
#include "tap.h"
#include "trie-test.h"

#include "test-cgroup-trie-live.h"

#define CANDIDATES 420 /* prefixes per round before folding drops some */
#define MAX_OWN 3      /* port ranges of one prefix itself */
#define SEEDS 8        /* round 1: prefixes around this many addresses per family */

/* ---- the policy of one round ---------------------------------------------------- */

struct cand {
	int family;
	uint8_t addr[16];
	unsigned len;
	size_t n;
	struct pl_bpf_port_range r[MAX_OWN];
};

/* Always there: long single paths, and prefixes enclosing them so that
 * the compressed paths end in a leaf rather than nothing. */
static const char *const special_entries[] = {
	"::1/128",
	"::2/127",
	"::/128",
	"::/112",
	"fd00:1:2:3:4:5:6:7/128",
	"fd00:1:2:3::/64",
	"2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff/128",
	"2001:db8::/32",
	"fe80::1/128",
	"10.1.2.3/32",
	"10.1.2.0/24",
	"0.0.0.0/32",
	"255.255.255.255/32",
	"192.168.1.128/25",
};

/* Round 1 also has a /0 in each family (everything matches something). */
static const char *const special_defaults[] = { "::/0", "0.0.0.0/0" };

static unsigned random_len(int family)
{
	unsigned u = rnd_below(100);

	if (family == AF_INET)
		return u < 35   ? 32
		       : u < 60 ? 24 + rnd_below(8)
		       : u < 85 ? 12 + rnd_below(12)
				: 1 + rnd_below(11);
	return u < 30   ? 128
	       : u < 55 ? 96 + rnd_below(32)
	       : u < 80 ? 32 + rnd_below(64)
			: 1 + rnd_below(31);
}

/* few: mostly one range (deeply nested prefixes fold many in). Short
 * prefixes (under a quarter of the address) get only narrow ranges and
 * are never address-only, or everything below them would be denied. */
static void random_ranges(struct cand *c, bool few)
{
	bool is_short = 4 * c->len < family_bits(c->family);

	/* one in twelve address-only: every port */
	if (!is_short && rnd_below(12) == 0) {
		c->n = 1;
		c->r[0] =
		    (struct pl_bpf_port_range){ .lo = 0, .hi = 65535, .action = PL_BPF_ACT_DENY };
		return;
	}
	c->n = few && rnd_below(4) ? 1 : 1 + rnd_below(MAX_OWN);
	for (size_t k = 0; k < c->n; k++) {
		uint16_t a = (uint16_t)rnd(), b = (uint16_t)rnd(), lo = a < b ? a : b,
			 hi = a < b ? b : a;
		unsigned act = rnd_below(8), w;

		switch (rnd_below(is_short ? 6 : 8)) {
		case 0: /* one port */
			lo = hi = (uint16_t)(1 + rnd_below(65535));
			break;
		case 1: /* from 0 */
			lo = 0;
			hi = (uint16_t)rnd_below(4096);
			break;
		case 2: /* up to 65535 */
			lo = (uint16_t)(65535 - rnd_below(4096));
			hi = 65535;
			break;
		case 3:
		case 4:
		case 5: /* narrow */
			w = lo + rnd_below(2048);
			hi = (uint16_t)(w > 65535 ? 65535 : w);
			break;
		default: /* anywhere */
			break;
		}
		/* mostly deny; some deny+log, some allow+log (never denies) */
		c->r[k] = (struct pl_bpf_port_range){
			.lo = lo,
			.hi = hi,
			.action = act == 0   ? PL_BPF_ACT_ALLOW_LOG
				  : act == 1 ? PL_BPF_ACT_DENY_LOG
					     : PL_BPF_ACT_DENY,
		};
	}
}

static bool cand_add(struct cand *v, size_t *n, int family, const uint8_t *addr, unsigned len,
		     bool few)
{
	struct cand *c = &v[*n];

	for (size_t i = 0; i < *n; i++)
		if (v[i].family == family && v[i].len == len && !memcmp(v[i].addr, addr, 16))
			return false;
	memset(c, 0, sizeof(*c));
	c->family = family;
	memcpy(c->addr, addr, 16);
	mask_from(c->addr, len);
	c->len = len;
	random_ranges(c, few);
	(*n)++;
	return true;
}

static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->addr, y->addr, 16);
}

static bool encloses(const struct pl_bpf_egress_entry *a, const struct cand *c)
{
	return a->family == c->family && a->prefix_len < c->len &&
	       prefix_match(a->addr, c->addr, a->prefix_len);
}

void round_free(struct round *rd)
{
	free(rd->eg);
	free(rd->own);
	free(rd->names);
	free(rd->name_buf);
	memset(rd, 0, sizeof(*rd));
}

/* Round 0: prefixes anywhere. Round 1: around a few seeds per family (deep
 * nesting, long shared paths), plus a /0 per family. */
int make_round(int round, struct round *rd)
{
	struct cand *v = calloc(CANDIDATES, sizeof(*v));
	size_t n = 0, n_special = sizeof(special_entries) / sizeof(special_entries[0]);
	uint8_t seeds[2][SEEDS][16];
	bool clustered = round == 1;

	memset(rd, 0, sizeof(*rd));
	if (!v)
		return -ENOMEM;
	for (int f = 0; f < 2; f++)
		for (int s = 0; s < SEEDS; s++)
			for (int i = 0; i < 16; i++)
				seeds[f][s][i] = (uint8_t)rnd();
	for (size_t i = 0; i < n_special + (clustered ? 2 : 0); i++) {
		const char *s =
		    i < n_special ? special_entries[i] : special_defaults[i - n_special];
		uint8_t a[16];
		unsigned len;
		int family;

		if (!parse_cidr(s, &family, a, &len)) {
			fprintf(stderr, "bad cidr %s\n", s);
			exit(2);
		}
		cand_add(v, &n, family, a, len, clustered);
	}
	while (n < CANDIDATES) {
		int family = rnd_below(2) ? AF_INET6 : AF_INET;
		unsigned bits = family_bits(family), len = random_len(family);
		uint8_t a[16] = { 0 };

		if (clustered) {
			memcpy(a, seeds[family == AF_INET6][rnd_below(SEEDS)], 16);
			randomize_from(a, rnd_below(bits + 1), bits);
		} else {
			randomize_from(a, 0, bits);
		}
		mask_from(a, len);
		cand_add(v, &n, family, a, len, clustered);
	}

	/* Fold, shortest first: every enclosing entry is decided before. */
	qsort(v, n, sizeof(*v), cmp_cand);
	rd->eg = calloc(n, sizeof(*rd->eg));
	rd->own = calloc(n, sizeof(*rd->own));
	rd->names = calloc(n, sizeof(*rd->names));
	rd->name_buf = calloc(n, sizeof(*rd->name_buf));
	if (!rd->eg || !rd->own || !rd->names || !rd->name_buf) {
		free(v);
		round_free(rd);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct cand *c = &v[i];
		struct pl_bpf_egress_entry *e = &rd->eg[rd->n_eg];
		uint32_t id = (uint32_t)rd->n_eg;
		size_t total = c->n;

		for (size_t j = 0; j < rd->n_eg; j++)
			if (encloses(&rd->eg[j], c))
				total += rd->own[j];
		if (total > PL_BPF_MAX_PORT_RANGES) {
			rd->dropped++;
			continue;
		}
		memset(e, 0, sizeof(*e));
		e->family = c->family;
		memcpy(e->addr, c->addr, 16);
		e->prefix_len = (uint8_t)c->len;
		for (size_t k = 0; k < c->n; k++) {
			e->r[e->n] = c->r[k];
			e->r[e->n++].rule = id;
		}
		for (size_t j = 0; j < rd->n_eg; j++)
			if (encloses(&rd->eg[j], c))
				for (size_t k = 0; k < rd->own[j]; k++)
					e->r[e->n++] = rd->eg[j].r[k];
		rd->own[rd->n_eg] = c->n;
		snprintf(rd->name_buf[id], sizeof(rd->name_buf[id]), "r%u", id);
		rd->names[id] = rd->name_buf[id];
		rd->n_ranges += e->n;
		if (e->family == AF_INET)
			rd->n_v4++;
		else
			rd->n_v6++;
		rd->n_eg++;
	}
	free(v);
	rd->t = (struct pl_bpf_tables){
		.rules = rd->names, .n_rules = rd->n_eg, .egress = rd->eg, .n_egress = rd->n_eg
	};
	return 0;
}
