/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The egress matcher, live: the connect4/connect6 programs' trie walk and
 * port match (src/bpf/cgroup.bpf.c: trie_walk, match_ports) against the
 * user-space model (pl_egress_trie_find) and a naive longest-prefix
 * reference, on this kernel (root).
 *
 * Each round builds a random policy by hand: unique IPv4 and IPv6 prefixes
 * (mostly long ones, a few long single paths such as ::1/128 and
 * fd00:1:2:3:4:5:6:7/128, some address-only), each with its own port
 * ranges, folded like the generator folds them (every entry also carries
 * the ranges of every entry enclosing it, so the longest match alone
 * decides; a prefix that would need more than PL_BPF_MAX_PORT_RANGES is
 * dropped). The policy is installed in an enforcer with its own pins and
 * registered on a fresh cgroup. A child joins that cgroup, enters a private
 * network namespace (no routes, nothing leaves) and UDP-connects to every
 * query: the connect4/6 hook runs before the route lookup, so EPERM means
 * the program denied and anything else (ENETUNREACH, EADDRNOTAVAIL) that
 * it allowed.
 * Queries are near the entries (host bits random, sometimes just outside)
 * or anywhere, some v4-mapped (::ffff:a.b.c.d, which the programs look up
 * as IPv4), with ports biased towards the edges of the matching ranges.
 * The same connects in an unregistered sibling cgroup must see no EPERM.
 *
 * PLASTRON_TRIE_SEED (a number) changes the random inputs; a mismatch is
 * reported with the query and every entry enclosing it.
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

#define ROUNDS 2
#define QUERIES 4000
#define CANDIDATES 420 /* prefixes per round before folding drops some */
#define MAX_OWN 3      /* port ranges of one prefix itself */
#define SHOW_MISMATCHES 5
#define SEEDS 8 /* round 1: prefixes around this many addresses per family */

static char cg2[512], cg_parent[600], cg_in[700], cg_ctl[700], pin[256];
static pid_t child = -1; /* killed by cleanup() */
static pid_t self_pid;

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

/* Queried as they are, among the random queries. */
static const char *const special_queries[] = {
	"::1",
	"::",
	"::2",
	"::3",
	"::4",
	"10.1.2.3",
	"10.1.2.2",
	"10.1.2.4",
	"0.0.0.0",
	"255.255.255.255",
	"127.0.0.1",
	"fd00:1:2:3:4:5:6:7",
	"fd00:1:2:3:4:5:6:6",
	"fd00:1:2:3:4:5:6:8",
	"fd00:1:2:3:ffff::",
	"2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff",
	"2001:db8:aaaa:bbbb:cccc:dddd:eeee:fffe",
	"fe80::1",
	"192.168.1.128",
	"192.168.1.127",
	"::ffff:10.1.2.3",
	"::ffff:10.1.2.2",
	"::ffff:0.0.0.0",
};

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

struct round {
	struct pl_bpf_egress_entry *eg;
	size_t n_eg, n_v4, n_v6, n_ranges, dropped;
	size_t *own; /* own[i]: how many of eg[i].r are its own (the rest folded in) */
	char **names;
	char (*name_buf)[16];
	struct pl_bpf_tables t;
};

static void round_free(struct round *rd)
{
	free(rd->eg);
	free(rd->own);
	free(rd->names);
	free(rd->name_buf);
	memset(rd, 0, sizeof(*rd));
}

/* Round 0: prefixes anywhere. Round 1: around a few seeds per family (deep
 * nesting, long shared paths), plus a /0 per family. */
static int make_round(int round, struct round *rd)
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

/* ---- queries and the reference ---------------------------------------------------- */

struct query {
	int family; /* of the socket and address */
	uint8_t addr[16];
	uint16_t port;
	int lfam; /* what the programs look up: v4-mapped addresses as IPv4 */
	uint8_t key[16];
	const struct pl_bpf_egress_entry *ref; /* longest enclosing entry, or NULL */
	bool want;                             /* the reference denies */
};

static bool is_v4_mapped(const uint8_t *a)
{
	static const uint8_t pre[12] = { [10] = 0xff, [11] = 0xff };

	return !memcmp(a, pre, 12);
}

static void lookup_key(struct query *q)
{
	memset(q->key, 0, 16);
	if (q->family == AF_INET6 && is_v4_mapped(q->addr)) {
		q->lfam = AF_INET;
		memcpy(q->key, q->addr + 12, 4);
	} else {
		q->lfam = q->family;
		memcpy(q->key, q->addr, 16);
	}
}

static const struct pl_bpf_egress_entry *ref_find(const struct round *rd, int family,
						  const uint8_t *a)
{
	const struct pl_bpf_egress_entry *best = NULL;

	for (size_t i = 0; i < rd->n_eg; i++) {
		const struct pl_bpf_egress_entry *e = &rd->eg[i];

		if (e->family == family && (!best || e->prefix_len > best->prefix_len) &&
		    prefix_match(e->addr, a, e->prefix_len))
			best = e;
	}
	return best;
}

/* What match_ports decides: the strongest action among the ranges that
 * contain the port; denied from PL_BPF_ACT_DENY up. */
static bool denies(const struct pl_bpf_port_range *r, size_t n, uint16_t port)
{
	uint8_t best = PL_BPF_ACT_NONE;

	for (size_t k = 0; k < n; k++)
		if (port >= r[k].lo && port <= r[k].hi && r[k].action > best)
			best = r[k].action;
	return best >= PL_BPF_ACT_DENY;
}

static uint16_t pick_port(const struct pl_bpf_egress_entry *e)
{
	long p;

	if (!e || rnd_below(10) >= 6)
		return (uint16_t)(1 + rnd_below(65535));
	{
		const struct pl_bpf_port_range *r = &e->r[rnd_below((unsigned)e->n)];

		switch (rnd_below(5)) {
		case 0:
			p = (long)r->lo - 1;
			break;
		case 1:
			p = r->lo;
			break;
		case 2:
			p = r->hi;
			break;
		case 3:
			p = (long)r->hi + 1;
			break;
		default:
			p = ((long)r->lo + r->hi) / 2;
			break;
		}
	}
	return (uint16_t)(p < 1 ? 1 : p > 65535 ? 65535 : p);
}

static void make_mapped(struct query *q, const uint8_t *v4)
{
	memset(q->addr, 0, 16);
	q->addr[10] = q->addr[11] = 0xff;
	memcpy(q->addr + 12, v4, 4);
	q->family = AF_INET6;
}

static void make_queries(const struct round *rd, struct query *qs)
{
	size_t n_sq = sizeof(special_queries) / sizeof(special_queries[0]);

	for (size_t i = 0; i < QUERIES; i++) {
		struct query *q = &qs[i];

		memset(q, 0, sizeof(*q));
		if (i % 2 == 0) {
			const struct pl_bpf_egress_entry *e =
			    &rd->eg[rnd_below((unsigned)rd->n_eg)];

			q->family = e->family;
			memcpy(q->addr, e->addr, 16);
			randomize_from(q->addr, e->prefix_len, family_bits(e->family));
			/* one in four just outside the prefix */
			if (e->prefix_len && rnd_below(4) == 0)
				flip_bit(q->addr, e->prefix_len - 1u);
			if (e->family == AF_INET && rnd_below(10) == 0) {
				uint8_t v4[4];

				memcpy(v4, q->addr, 4);
				make_mapped(q, v4);
			}
		} else if (rnd_below(100) < 8) {
			unsigned len;

			parse_cidr(special_queries[rnd_below((unsigned)n_sq)], &q->family, q->addr,
				   &len);
		} else {
			q->family = rnd_below(2) ? AF_INET6 : AF_INET;
			randomize_from(q->addr, 0, family_bits(q->family));
			if (q->family == AF_INET6 && rnd_below(20) == 0) {
				uint8_t v4[4];

				memcpy(v4, q->addr, 4);
				make_mapped(q, v4);
			}
		}
		lookup_key(q);
		q->ref = ref_find(rd, q->lfam, q->key);
		q->port = pick_port(q->ref);
		q->want = q->ref && denies(q->ref->r, q->ref->n, q->port);
	}
}

/* ---- the connects, in a child in cgroup `cg` and a private netns ---------------- */

/* res[i]: the errno of query i's connect() (0: it succeeded), -errno when
 * its socket could not be created, INT32_MIN when not run. Returns 0 or a
 * description of what failed. */
static const char *connect_all(const char *cg, const struct query *qs, int32_t *res)
{
	pid_t pid;
	int st;

	for (size_t i = 0; i < QUERIES; i++)
		res[i] = INT32_MIN;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return "fork";
	if (pid == 0) {
		prctl(PR_SET_NAME, "pl-trie-probe");
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (join_cgroup(cg) < 0)
			_exit(10);
		if (unshare(CLONE_NEWNET) < 0)
			_exit(11);
		for (size_t i = 0; i < QUERIES; i++) {
			const struct query *q = &qs[i];
			struct sockaddr_storage ss;
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
			socklen_t len;
			int fd = socket(q->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

			if (fd < 0) {
				res[i] = -errno;
				continue;
			}
			memset(&ss, 0, sizeof(ss));
			if (q->family == AF_INET) {
				s4->sin_family = AF_INET;
				s4->sin_port = htons(q->port);
				memcpy(&s4->sin_addr, q->addr, 4);
				len = sizeof(*s4);
			} else {
				s6->sin6_family = AF_INET6;
				s6->sin6_port = htons(q->port);
				memcpy(&s6->sin6_addr, q->addr, 16);
				len = sizeof(*s6);
			}
			res[i] = connect(fd, (struct sockaddr *)&ss, len) < 0 ? errno : 0;
			close(fd);
		}
		_exit(0);
	}
	child = pid;
	if (waitpid(pid, &st, 0) < 0) {
		child = -1;
		return "waitpid";
	}
	child = -1;
	if (!WIFEXITED(st))
		return "the probe child was killed";
	switch (WEXITSTATUS(st)) {
	case 0:
		return NULL;
	case 10:
		return "the probe child could not join the cgroup";
	case 11:
		return "the probe child could not unshare(CLONE_NEWNET)";
	default:
		return "the probe child failed";
	}
}

/* ---- reporting ------------------------------------------------------------------ */

static void fmt_ranges(const struct pl_bpf_port_range *r, size_t n, char *buf, size_t sz)
{
	size_t off = 0;

	buf[0] = 0;
	for (size_t k = 0; k < n && off < sz; k++) {
		int w = snprintf(buf + off, sz - off, "%s%u-%u %s r%u", k ? ", " : "", r[k].lo,
				 r[k].hi, pl_bpf_act_name(r[k].action), r[k].rule);

		if (w < 0)
			break;
		off += (size_t)w;
	}
}

/* The query and every entry that encloses it (all a verdict depends on). */
static void show_query(const struct round *rd, const struct query *q, const char *what)
{
	char a[INET6_ADDRSTRLEN], p[INET6_ADDRSTRLEN], rs[1024];

	tap_diag("%s: %s port %u (looked up as %s %s): reference %s", what,
		 fmt_addr(q->family, q->addr, a, sizeof(a)), q->port,
		 q->lfam == AF_INET ? "IPv4" : "IPv6", fmt_addr(q->lfam, q->key, p, sizeof(p)),
		 q->want ? "denies" : "allows");
	for (size_t i = 0; i < rd->n_eg; i++) {
		const struct pl_bpf_egress_entry *e = &rd->eg[i];

		if (e->family != q->lfam || !prefix_match(e->addr, q->key, e->prefix_len))
			continue;
		fmt_ranges(e->r, e->n, rs, sizeof(rs));
		tap_diag("  %s entry r%zu %s/%u: %s", e == q->ref ? "longest" : "enclosing", i,
			 fmt_addr(e->family, e->addr, a, sizeof(a)), e->prefix_len, rs);
	}
	if (!q->ref)
		tap_diag("  (no entry encloses it)");
}

/* ---- the user-space model ---------------------------------------------------------- */

static void check_model(int round, const struct round *rd, const struct query *qs)
{
	struct pl_egress_trie x;
	size_t differ = 0, found = 0, skips = 0;
	int r = pl_egress_trie_build(&rd->t, &x);

	if (!TAP_OK(r == 0, "round %d: pl_egress_trie_build returns 0 (%d)", round, r))
		return;
	pl_egress_trie_relocate(&x, 1, 0);
	for (size_t i = 0; i < QUERIES; i++) {
		const struct query *q = &qs[i];
		uint32_t v = pl_egress_trie_find(&x, q->lfam, q->key);
		const struct pl_cg_port_range *xr = NULL;
		size_t n = 0, first;
		bool same, denied = false;

		if (v) {
			first = PL_CG_LEAF_FIRST(v);
			n = PL_CG_LEAF_COUNT(v);
			if (first + n <= x.n_ranges)
				xr = &x.ranges[first];
			else
				n = 0;
			found++;
		}
		same = (q->ref ? q->ref->n : 0) == n && (!v || xr);
		for (size_t k = 0; same && k < n; k++)
			same = xr[k].lo == q->ref->r[k].lo && xr[k].hi == q->ref->r[k].hi &&
			       xr[k].action == q->ref->r[k].action &&
			       xr[k].rule == q->ref->r[k].rule;
		{
			uint8_t best = PL_BPF_ACT_NONE;

			for (size_t k = 0; k < n; k++)
				if (q->port >= xr[k].lo && q->port <= xr[k].hi &&
				    xr[k].action > best)
					best = xr[k].action;
			denied = best >= PL_BPF_ACT_DENY;
		}
		if (!same || denied != q->want) {
			if (differ++ < SHOW_MISMATCHES) {
				char what[160];

				snprintf(what, sizeof(what),
					 "round %d query %zu: model leaf %#x (%zu ranges), %s",
					 round, i, v, n, denied ? "denies" : "allows");
				show_query(rd, q, what);
			}
		}
	}
	for (size_t i = 0; i < x.n_nodes; i++)
		skips += x.is_skip[i];
	TAP_OK(differ == 0,
	       "round %d: user-space model = reference for %d lookups (leaf ranges and verdict; "
	       "%zu differ, %zu matched an entry; %zu trie nodes, %zu of them skips)",
	       round, QUERIES, differ, found, x.n_nodes, skips);
	pl_egress_trie_free(&x);
}

/* ---- cleanup ---------------------------------------------------------------- */

static void cleanup(void)
{
	if (getpid() != self_pid)
		return;
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = -1;
	}
	remove_pins(pin);
	if (cg_in[0])
		rmdir_retry(cg_in);
	if (cg_ctl[0])
		rmdir_retry(cg_ctl);
	if (cg_parent[0])
		rmdir_retry(cg_parent);
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void show_diag(struct pl_diag *d)
{
	for (const struct pl_diag_entry *x = d->head; x; x = x->next)
		tap_diag("%s", x->message);
	pl_diag_clear(d);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- one round ------------------------------------------------------------------- */

static bool run_round(int round, struct pl_cg_enforcer *e, uint64_t id_in, struct query *qs,
		      int32_t *res)
{
	struct round rd;
	struct pl_diag d = { 0 };
	size_t differ = 0, denied = 0, ctl_eperm = 0, ctl_bad = 0;
	size_t fam_denied[2] = { 0 }, fam_allowed[2] = { 0 }, mapped = 0, matched = 0;
	const char *fail;
	double t0, t1;
	int r;

	if (make_round(round, &rd) < 0) {
		TAP_OK(false, "round %d: out of memory", round);
		return false;
	}
	r = pl_enforcer_set_policy(e, 1, &rd.t, &d);
	if (r == 0 && round == 0)
		r = pl_enforcer_register(e, id_in, 1, &d);
	if (!TAP_OK(
		r == 0,
		"round %d: policy of %zu entries (%zu IPv4, %zu IPv6; %zu ranges after folding, "
		"%zu prefixes dropped for more than %d) written%s",
		round, rd.n_eg, rd.n_v4, rd.n_v6, rd.n_ranges, rd.dropped, PL_BPF_MAX_PORT_RANGES,
		round == 0 ? " and the cgroup registered" : "")) {
		show_diag(&d);
		round_free(&rd);
		return false;
	}
	pl_diag_clear(&d);
	make_queries(&rd, qs);
	for (size_t i = 0; i < QUERIES; i++) {
		mapped += qs[i].family != qs[i].lfam;
		matched += qs[i].ref != NULL;
	}
	check_model(round, &rd, qs);

	t0 = now();
	fail = connect_all(cg_in, qs, res);
	t1 = now();
	if (!TAP_OK(!fail, "round %d: %d connects in the registered cgroup ran (%.3f s)", round,
		    QUERIES, t1 - t0)) {
		tap_diag("%s", fail);
		round_free(&rd);
		return false;
	}
	for (size_t i = 0; i < QUERIES; i++) {
		const struct query *q = &qs[i];
		bool got = res[i] == EPERM;

		if (res[i] < 0 || got != q->want) {
			if (differ++ < SHOW_MISMATCHES) {
				char what[160];

				snprintf(what, sizeof(what), "round %d query %zu: kernel %s (%s)",
					 round, i,
					 res[i] < 0 ? "no socket"
					 : got      ? "denies"
						    : "allows",
					 strerror(res[i] < 0 ? -res[i] : res[i]));
				show_query(&rd, q, what);
			}
			continue;
		}
		denied += got;
		if (got)
			fam_denied[q->family == AF_INET6]++;
		else
			fam_allowed[q->family == AF_INET6]++;
	}
	TAP_OK(differ == 0,
	       "round %d: %d connects: kernel verdicts = reference (%zu differ; %zu denied; "
	       "%zu matched an entry, %zu v4-mapped)",
	       round, QUERIES, differ, denied, matched, mapped);
	TAP_OK(fam_denied[0] >= 50 && fam_allowed[0] >= 50,
	       "round %d: IPv4 sockets: %zu connects denied, %zu allowed, as expected", round,
	       fam_denied[0], fam_allowed[0]);
	TAP_OK(fam_denied[1] >= 50 && fam_allowed[1] >= 50,
	       "round %d: IPv6 sockets: %zu connects denied, %zu allowed, as expected", round,
	       fam_denied[1], fam_allowed[1]);

	/* The same connects where no program runs: EPERM never comes from
	 * anything but the programs. */
	fail = connect_all(cg_ctl, qs, res);
	for (size_t i = 0; !fail && i < QUERIES; i++) {
		ctl_eperm += res[i] == EPERM;
		ctl_bad += res[i] < 0;
	}
	TAP_OK(!fail && ctl_eperm == 0 && ctl_bad == 0,
	       "round %d: control: the same connects in an unregistered sibling cgroup: %zu EPERM",
	       round, ctl_eperm);
	if (fail)
		tap_diag("%s", fail);
	round_free(&rd);
	return true;
}

int main(void)
{
	struct pl_enforcer_opts o = { .pin_dir = pin, .ringbuf_size = 4096 };
	struct pl_cg_enforcer *e = NULL;
	struct pl_diag d = { 0 };
	struct query *qs;
	int32_t *res;
	uint64_t id_in = 0;
	const char *seed = getenv("PLASTRON_TRIE_SEED");
	double t0 = now();
	int r;

	self_pid = getpid();
	if (seed && *seed)
		rng_state = strtoull(seed, NULL, 0) | 1;
	if (geteuid() != 0) {
		TAP_SKIP("needs root (cgroup-BPF, cgroup v2, bpffs)",
			 "cgroup-BPF egress trie, live");
		return tap_done();
	}
	if (pld_cgroup_mount(cg2, sizeof(cg2)) < 0) {
		TAP_SKIP("no cgroup v2 mount in /proc/self/mountinfo",
			 "cgroup-BPF egress trie, live");
		return tap_done();
	}
	tap_diag("seed %#llx (PLASTRON_TRIE_SEED), cgroup v2 at %s", (unsigned long long)rng_state,
		 cg2);
	atexit(cleanup);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	snprintf(pin, sizeof(pin), "/sys/fs/bpf/plastron-trietest-%d", (int)self_pid);
	snprintf(cg_parent, sizeof(cg_parent), "%s/plastron-trietest-%d", cg2, (int)self_pid);
	snprintf(cg_in, sizeof(cg_in), "%s/c", cg_parent);
	snprintf(cg_ctl, sizeof(cg_ctl), "%s/ctl", cg_parent);
	if (mkdir(cg_parent, 0755) < 0 || mkdir(cg_in, 0755) < 0 || mkdir(cg_ctl, 0755) < 0 ||
	    pld_cgroup_id(cg_in, &id_in) < 0) {
		TAP_OK(false, "create test cgroups under %s: %s", cg2, strerror(errno));
		return tap_done();
	}

	r = pl_enforcer_install(&o, &e, &d);
	if (r == -EPERM || r == -EACCES || r == -ENOSYS || r == -EOPNOTSUPP) {
		TAP_SKIP(strerror(-r), "cgroup-BPF egress trie, live: install the enforcer");
		show_diag(&d);
		return tap_done();
	}
	if (!TAP_OK(r == 0, "install an enforcer pinned in %s", pin)) {
		show_diag(&d);
		return tap_done();
	}

	/* Before fork: the child writes its results where the parent reads. */
	qs = calloc(QUERIES, sizeof(*qs));
	res = mmap(NULL, QUERIES * sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		   -1, 0);
	if (!qs || res == MAP_FAILED) {
		TAP_OK(false, "allocate the queries");
		free(qs);
		pl_enforcer_close(e);
		return tap_done();
	}
	for (int round = 0; round < ROUNDS; round++)
		if (!run_round(round, e, id_in, qs, res))
			break;
	free(qs);
	munmap(res, QUERIES * sizeof(*res));

	r = pl_enforcer_unregister(e, id_in, &d);
	TAP_OK(r == 0 && pl_enforcer_attached(e, id_in, NULL) == -ENOENT,
	       "unregister the cgroup (%d)", r);
	r = pl_enforcer_uninstall(e, &d);
	TAP_OK(r == 0 && access(pin, F_OK) < 0, "uninstall: %s is gone (%d)", pin, r);
	show_diag(&d);
	rmdir_retry(cg_in);
	rmdir_retry(cg_ctl);
	rmdir_retry(cg_parent);
	TAP_OK(access(cg_parent, F_OK) < 0, "test cgroups removed");
	cg_in[0] = cg_ctl[0] = cg_parent[0] = 0;
	tap_diag("%.2f s in all", now() - t0);
	return tap_done();
}
