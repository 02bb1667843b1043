/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test-cgroup-trie-live, part 3 of 3: a round's queries and their naive
 * reference verdicts, the connects in a child (in a cgroup and a private
 * network namespace), the user-space model's check and the report of a
 * mismatching query.
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

/* ---- queries and the reference ---------------------------------------------------- */

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

void make_queries(const struct round *rd, struct query *qs)
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
const char *connect_all(const char *cg, const struct query *qs, int32_t *res)
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
void show_query(const struct round *rd, const struct query *q, const char *what)
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

void check_model(int round, const struct round *rd, const struct query *qs)
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
