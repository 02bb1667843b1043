// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * plastron's cgroup-BPF enforcer: socket creation, IPv4/IPv6 connect and
 * UDP sendmsg, raw/ping socket egress packets, sysctl writes and device
 * access.
 *
 * The loader loads these programs once per policy, with the policy id in
 * the read-only constant pl_policy (the verifier folds it in), and attaches
 * them through links to the cgroup of every container registered with that
 * policy (BPF_F_ALLOW_MULTI semantics: programs attached below still run,
 * ours cannot be overridden from inside). Processes outside registered
 * cgroups run none of them; a confined process's program needs no lookup
 * to know its policy. The device program is the exception: one instance at
 * the cgroup v2 root that every process runs on device access, finding the
 * caller by cgroup id (see cgroup.h).
 *
 * The fast path makes no helper call: the policy, its table and the egress
 * trie are array-map lookups, which the verifier inlines, and the trie walk
 * is at most 8 (IPv4) or 32 (IPv6) of them whatever the number of rules.
 * Ring-buffer space is reserved only when a rule with a logging action
 * matched; when it is full the event is counted in PL_CG_CNT_DROPS, never
 * lost silently.
 */
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "cgroup.h"

/* The GPL-2.0 half of the SPDX line above: the kernel knows no string for
 * "GPL-2.0 OR Apache-2.0"; "GPL v2" is GPL-compatible (include/linux/
 * license.h), as the "Dual BSD/GPL" before it was, so the programs keep
 * every helper. */
char LICENSE[] SEC("license") = "GPL v2";

#define AF_INET 2
#define AF_INET6 10
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define IPPROTO_ICMP 1
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_ICMPV6 58
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PL_CG_MAX_CONTAINERS);
	__type(key, __u64);
	__type(value, struct pl_cg_container);
} containers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PL_CG_MAX_POLICIES);
	__type(key, __u32);
	__type(value, struct pl_cg_policy);
} policies SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PL_CG_MAX_SOCK);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pl_cg_sock_key);
	__type(value, struct pl_cg_verdict);
} sock_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PL_CG_MAX_TABLES);
	__type(key, __u32);
	__type(value, struct pl_cg_table);
} tables SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PL_CG_MAX_NODES);
	__type(key, __u32);
	__type(value, struct pl_cg_node);
} nodes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PL_CG_MAX_RANGES);
	__type(key, __u32);
	__type(value, struct pl_cg_port_range);
} ranges SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PL_CG_MAX_SYSCTL);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pl_cg_sysctl_key);
	__type(value, struct pl_cg_verdict);
} sysctl_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PL_CG_MAX_DEV);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pl_cg_dev_key);
	__type(value, struct pl_cg_dev_val);
} dev_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PL_CG_MAX_RULE_NAMES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct pl_cg_name_key);
	__type(value, struct pl_cg_rule_name);
} rule_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, PL_CG_RINGBUF_SIZE);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PL_CG_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Raw and ICMP ping sockets created by a process of a registered cgroup
 * (marked at creation; kernel sockets never pass the sock_create hook). See
 * pl_raw_egress. Shared by every policy's programs. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} raw_socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pl_cg_global);
} global SEC(".maps");

/* The policy these programs were loaded for (set by the loader before
 * loading; read-only, so the verifier treats it as a constant). Keep it
 * the only read-only data: pl_enforcer_upgrade tells builds apart by
 * program tags, which hash the instructions but not .rodata, so a constant
 * table here could change between builds unnoticed. */
const volatile __u32 pl_policy = 0;

struct caller {
	__u32 policy;
	struct pl_cg_policy *pol;
};

/* Policy `policy` into `c`, when it is loaded, not off, and has rules for
 * the hook (`need`, PL_CG_HAS_*). */
static __always_inline int caller_policy(struct caller *c, __u32 policy, __u16 need)
{
	c->policy = policy;
	c->pol = bpf_map_lookup_elem(&policies, &c->policy);
	if (!c->pol || !c->pol->present || c->pol->mode == PL_CG_MODE_OFF)
		return 0;
	if (!(c->pol->hooks & need))
		return 0;
	return 1;
}

/* The policy these programs were loaded for. */
static __always_inline int find_caller(struct caller *c, __u16 need)
{
	return caller_policy(c, pl_policy, need);
}

/* The highest set bit of m (m != 0), without a branch: one verifier path
 * per call, whatever the mask (branches on an unknown value would
 * multiply the states the verifier explores per loop iteration). */
static __always_inline int high_bit(__u32 m)
{
	__u64 v = m, s, b;

	asm volatile("" : "+r"(v)); /* keep clang from turning the steps into branches */
	s = ((0xffffull - v) >> 63) << 4;
	v >>= s;
	b = s;
	s = ((0xffull - v) >> 63) << 3;
	v >>= s;
	b += s;
	s = ((0xfull - v) >> 63) << 2;
	v >>= s;
	b += s;
	s = ((0x3ull - v) >> 63) << 1;
	v >>= s;
	b += s;
	b += (0x1ull - v) >> 63;
	return (int)(b & 31);
}

/*
 * The device program's caller: the registered container of the caller's
 * cgroup or of its deepest registered ancestor, or NULL. Only the levels
 * at which registered cgroups exist (global[0].levels) are looked at,
 * deepest first. An ancestor level deeper than the caller's own gives 0
 * and is skipped.
 */
static __always_inline struct pl_cg_container *find_container(void)
{
	__u32 zero = 0, m;
	struct pl_cg_global *g = bpf_map_lookup_elem(&global, &zero);

	if (!g)
		return NULL;
	m = g->levels;
	for (int i = 0; i <= PL_CG_MAX_LEVEL && m; i++) {
		int level = high_bit(m);
		struct pl_cg_container *x;
		__u64 a;

		m &= ~(1u << level);
		a = bpf_get_current_ancestor_cgroup_id(level);
		if (!a)
			continue;
		x = bpf_map_lookup_elem(&containers, &a);
		if (x)
			return x;
	}
	return NULL;
}

/* find_caller for the device program: the policy comes from the lookup. */
static __always_inline int find_caller_by_cgroup(struct caller *c, __u16 need)
{
	struct pl_cg_container *ct = find_container();

	return ct ? caller_policy(c, ct->policy, need) : 0;
}

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		*v += 1;
}

static __always_inline __u8 apply_mode(__u8 mode, __u8 action)
{
	if (action == PL_CG_NONE)
		return PL_CG_NONE;
	if (mode == PL_CG_MODE_ENFORCE)
		return PL_CG_DENY_LOG;
	if (mode == PL_CG_MODE_AUDIT)
		return PL_CG_ALLOW_LOG;
	return action;
}

static __always_inline void pick(__u8 *best, __u32 *rule, const struct pl_cg_verdict *v)
{
	if (v && v->action > *best) {
		*best = v->action;
		*rule = v->rule;
	}
}

/* Reserve and fill the common part of an event; NULL (counted) when full. */
static __always_inline struct pl_cg_event *event_begin(const struct caller *c, __u8 hook,
						       __u8 action, __u32 rule)
{
	struct pl_cg_name_key nk = { .table = c->pol->table, .rule = rule };
	struct pl_cg_rule_name *name;
	struct pl_cg_event *e;
	__u64 pt;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count(PL_CG_CNT_DROPS);
		return NULL;
	}
	__builtin_memset(e, 0, sizeof(*e));
	pt = bpf_get_current_pid_tgid();
	e->ts_ns = bpf_ktime_get_ns();
	e->cgroup_id = bpf_get_current_cgroup_id(); /* the caller's own, maybe a child */
	e->pid = pt >> 32;
	e->tid = (__u32)pt;
	e->policy = c->policy;
	e->rule = rule;
	e->hook = hook;
	e->action = action;
	e->mode = c->pol->mode;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	name = bpf_map_lookup_elem(&rule_names, &nk);
	if (name)
		__builtin_memcpy(e->rule_name, name->name, sizeof(e->rule_name));
	return e;
}

/*
 * Wake the consumer at most once per PL_CG_WAKEUP_NS, or per
 * PL_CG_WAKEUP_FULL_NS while the ring is over a quarter full. A wake-up per event (the default when
 * the consumer keeps up) costs the producing task an irq_work and the consumer a context switch per
 * event: measured by bench/cgroup/bench-events, it tripled the cost of an audited connect() here.
 * An event after a quiet millisecond still wakes a waiting consumer at once; events in a burst are
 * picked up by the wake-up of the burst, the quarter-full one or the consumer's poll timeout
 * (pl_enforcer_poll always consumes before and after waiting).
 */
static __always_inline void event_end(struct pl_cg_event *e)
{
	__u64 now = e->ts_ns, flags = BPF_RB_NO_WAKEUP;
	__u32 zero = 0;
	struct pl_cg_global *g = bpf_map_lookup_elem(&global, &zero);

	if (!g || now - g->last_wakeup >= PL_CG_WAKEUP_NS ||
	    (now - g->last_wakeup >= PL_CG_WAKEUP_FULL_NS &&
	     bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >=
		 bpf_ringbuf_query(&events, BPF_RB_RING_SIZE) / 4)) {
		if (g)
			g->last_wakeup = now;
		flags = BPF_RB_FORCE_WAKEUP;
	}
	bpf_ringbuf_submit(e, flags);
	count(PL_CG_CNT_EVENTS);
}

/* 1 = allow, 0 = deny; counts the match. */
static __always_inline int verdict(__u8 action)
{
	count(PL_CG_CNT_MATCHED);
	if (action >= PL_CG_DENY) {
		count(PL_CG_CNT_DENIED);
		return 0;
	}
	return 1;
}

/* ---- socket creation (inet / inet6 only) ---------------------------- */

/* Sockets whose sendmsg() passes no connect4/6 or sendmsg4/6 hook on this
 * kernel (6.18, checked by tests/agent test-cgroup-live): raw sockets
 * (sendto and send after connect) and ICMP ping sockets (sendto; their
 * connect() does pass connect4/6). */
static __always_inline int raw_or_ping(__u32 type, __u32 protocol)
{
	return type == SOCK_RAW ||
	       (type == SOCK_DGRAM && (protocol == IPPROTO_ICMP || protocol == IPPROTO_ICMPV6));
}

SEC("cgroup/sock_create")
int pl_sock_create(struct bpf_sock *sk)
{
	struct caller c;
	struct pl_cg_sock_key k = {};
	__u8 best = PL_CG_NONE, action;
	__u32 rule = 0;
	struct pl_cg_event *e;

	if (raw_or_ping(sk->type, sk->protocol))
		bpf_sk_storage_get(&raw_socks, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!find_caller(&c, PL_CG_HAS_SOCK))
		return 1;
	k.table = c.pol->table;
	k.family = sk->family;
	k.type = sk->type;
	k.protocol = sk->protocol;
	pick(&best, &rule, bpf_map_lookup_elem(&sock_rules, &k));
	k.protocol = PL_CG_ANY32;
	pick(&best, &rule, bpf_map_lookup_elem(&sock_rules, &k));
	k.type = PL_CG_ANY16;
	pick(&best, &rule, bpf_map_lookup_elem(&sock_rules, &k));
	k.protocol = sk->protocol;
	pick(&best, &rule, bpf_map_lookup_elem(&sock_rules, &k));

	action = apply_mode(c.pol->mode, best);
	if (action == PL_CG_NONE)
		return 1;
	if (action != PL_CG_DENY) {
		e = event_begin(&c, PL_CG_HOOK_SOCK_CREATE, action, rule);
		if (e) {
			e->u.sock.family = sk->family;
			e->u.sock.type = sk->type;
			e->u.sock.protocol = sk->protocol;
			event_end(e);
		}
	}
	return verdict(action);
}

/* ---- egress: connect4/6, sendmsg4/6 --------------------------------- */

/*
 * The leaf of the longest prefix enclosing the address hi:lo (host byte
 * order, IPv4 in the top 32 bits of hi) in the trie at `root`, or 0.
 * `levels`: 8 for IPv4, 32 for IPv6. Each step is an inlined array lookup:
 * a node consumes one nibble, a skip (struct pl_cg_skip) up to 16.
 */
static __always_inline __u32 trie_walk(__u32 root, __u64 hi, __u64 lo, __u32 levels)
{
	__u32 x = root, p = 0;

	for (int i = 0; i < 32; i++) {
		struct pl_cg_node *n;
		__u32 idx = x & PL_CG_INDEX;
		__u64 w;

		if (p >= levels || x == 0 || (x & PL_CG_LEAF))
			break;
		n = bpf_map_lookup_elem(&nodes, &idx);
		if (!n)
			return 0;
		/* The address from nibble p on, at the top of w. */
		w = (p & 16 ? lo : hi) << (4 * (p & 15));
		if (x & PL_CG_SKIP) {
			struct pl_cg_skip *s = (struct pl_cg_skip *)n;
			__u32 k = s->nibbles;
			__u64 bits = (__u64)s->bits_hi << 32 | s->bits_lo;

			if (k < 1 || k > 16 || p + k > levels)
				return 0;
			if (w >> (64 - 4 * k) != bits >> (64 - 4 * k)) {
				x = s->miss;
				break;
			}
			x = s->next;
			p += k;
		} else {
			x = n->e[w >> 60];
			p++;
		}
	}
	return x & PL_CG_LEAF ? x : 0;
}

/* any_port: raw and ping packets have no port; only ranges covering every
 * port (address-only rules) apply to them. */
static __always_inline void match_ports(__u32 leaf, __u16 port, int any_port, __u8 *best,
					__u32 *rule)
{
	__u32 first = PL_CG_LEAF_FIRST(leaf), n = PL_CG_LEAF_COUNT(leaf);

	for (__u32 i = 0; i < PL_CG_MAX_PORT_RANGES; i++) {
		struct pl_cg_port_range *r;
		__u32 k = first + i;

		if (i >= n)
			break;
		r = bpf_map_lookup_elem(&ranges, &k);
		if (!r)
			break;
		if (any_port ? r->lo != 0 || r->hi != 0xffff : port < r->lo || port > r->hi)
			continue;
		if (r->action > *best) {
			*best = r->action;
			*rule = r->rule;
		}
	}
}

/* The strongest rule for address `a` (network byte order; IPv4 in a[0]). */
static __always_inline void egress_lookup(const struct caller *c, const __u32 *a, int v4,
					  __u16 port, int any_port, __u8 *best, __u32 *rule)
{
	struct pl_cg_table *t = bpf_map_lookup_elem(&tables, &c->pol->table);
	__u32 leaf;

	if (!t)
		return;
	if (v4) {
		if (!t->root4)
			return;
		leaf = trie_walk(t->root4, (__u64)bpf_ntohl(a[0]) << 32, 0, 8);
	} else {
		if (!t->root6)
			return;
		leaf = trie_walk(t->root6, (__u64)bpf_ntohl(a[0]) << 32 | bpf_ntohl(a[1]),
				 (__u64)bpf_ntohl(a[2]) << 32 | bpf_ntohl(a[3]), 32);
	}
	if (leaf)
		match_ports(leaf, port, any_port, best, rule);
}

static __always_inline int egress(struct bpf_sock_addr *ctx, int v6, __u8 hook)
{
	struct caller c;
	__u8 best = PL_CG_NONE, action;
	__u32 rule = 0;
	__u16 port = bpf_ntohs((__u16)ctx->user_port);
	struct pl_cg_event *e;
	__u32 a[4];
	int mapped = 0;

	if (!find_caller(&c, PL_CG_HAS_EGRESS4 | PL_CG_HAS_EGRESS6))
		return 1;
	if (v6) {
		a[0] = ctx->user_ip6[0];
		a[1] = ctx->user_ip6[1];
		a[2] = ctx->user_ip6[2];
		a[3] = ctx->user_ip6[3];
		/* ::ffff:a.b.c.d reaches an IPv4 address without connect4. */
		mapped = a[0] == 0 && a[1] == 0 && a[2] == bpf_htonl(0xffff);
	} else {
		a[0] = ctx->user_ip4;
	}
	egress_lookup(&c, mapped ? &a[3] : a, !v6 || mapped, port, 0, &best, &rule);

	action = apply_mode(c.pol->mode, best);
	if (action == PL_CG_NONE)
		return 1;
	if (action != PL_CG_DENY) {
		e = event_begin(&c, hook, action, rule);
		if (e) {
			e->u.net.family = v6 ? AF_INET6 : AF_INET;
			e->u.net.type = ctx->type;
			e->u.net.protocol = ctx->protocol;
			e->u.net.port = port;
			__builtin_memcpy(e->u.net.addr, a, v6 ? 16 : 4);
			event_end(e);
		}
	}
	return verdict(action);
}

SEC("cgroup/connect4")
int pl_connect4(struct bpf_sock_addr *ctx)
{
	return egress(ctx, 0, PL_CG_HOOK_CONNECT4);
}

SEC("cgroup/connect6")
int pl_connect6(struct bpf_sock_addr *ctx)
{
	return egress(ctx, 1, PL_CG_HOOK_CONNECT6);
}

SEC("cgroup/sendmsg4")
int pl_sendmsg4(struct bpf_sock_addr *ctx)
{
	return egress(ctx, 0, PL_CG_HOOK_SENDMSG4);
}

SEC("cgroup/sendmsg6")
int pl_sendmsg6(struct bpf_sock_addr *ctx)
{
	return egress(ctx, 1, PL_CG_HOOK_SENDMSG6);
}

/* ---- raw and ICMP ping sockets: egress packets ---------------------- */

/*
 * A raw socket's sendto()/send() and an ICMP ping socket's sendto() pass no
 * connect/sendmsg hook, so the address-only egress rules (every port) are
 * applied to their packets here, at cgroup_skb/egress (dropped packet:
 * sendmsg() fails with EPERM). Only sockets marked at creation in a
 * registered cgroup are looked at: TCP and UDP are decided at
 * connect/sendmsg, and kernel sockets (ICMP errors, TCP resets sent for a
 * namespace) never are. For those user sockets transmission happens inside
 * sendmsg(), so the current task is the sender. Packets are judged by the
 * destination in their IP header (also when built with IP_HDRINCL). Rules
 * with port ranges apply to ICMP and other port-less packets only when they
 * cover every port; a TCP/UDP header written on a raw socket is judged by
 * its destination port (IPv6: only right after the fixed header — behind
 * extension headers, which only an IPPROTO_RAW socket can write, the packet
 * counts as port-less).
 *
 * Limits: a raw/ping socket created before its cgroup was registered, or
 * outside it and passed in, is not marked (cgroups must be registered before
 * their processes start). The ICMPv6 ping path drops a refused
 * packet without returning an error to sendto() (the kernel ignores the
 * result of icmpv6_push_pending_frames); IPv4 ping and raw sockets get EPERM.
 */
SEC("cgroup_skb/egress")
int pl_raw_egress(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	struct caller c;
	__u8 best = PL_CG_NONE, action;
	__u32 rule = 0, a[4] = {};
	struct pl_cg_event *e;
	__u16 port = 0;
	__u8 l4 = 0;
	int v6, any_port = 1;

	if (!sk)
		return 1;
	sk = bpf_sk_fullsock(sk);
	if (!sk || !raw_or_ping(sk->type, sk->protocol))
		return 1;
	if (!bpf_sk_storage_get(&raw_socks, sk, 0, 0))
		return 1;
	if (!find_caller(&c, PL_CG_HAS_EGRESS4 | PL_CG_HAS_EGRESS6))
		return 1;
	if (skb->protocol == bpf_htons(ETH_P_IP))
		v6 = 0;
	else if (skb->protocol == bpf_htons(ETH_P_IPV6))
		v6 = 1;
	else
		return 1;
	/* The header is there (built by the kernel or checked by raw_send_hdrinc);
	 * a packet whose destination cannot be read is refused. */
	if (bpf_skb_load_bytes(skb, v6 ? 24 : 16, a, v6 ? 16 : 4) < 0 ||
	    bpf_skb_load_bytes(skb, v6 ? 6 : 9, &l4, 1) < 0)
		return verdict(PL_CG_DENY);
	/* A TCP or UDP header written by hand on a raw socket: its destination
	 * port is judged like connect()'s (IPv4 header length from the packet;
	 * IPv6 only without extension headers). */
	if (sk->type == SOCK_RAW && (l4 == IPPROTO_TCP || l4 == IPPROTO_UDP)) {
		__u32 off = 40;
		__u8 vihl;

		if (!v6) {
			if (bpf_skb_load_bytes(skb, 0, &vihl, 1) < 0)
				return verdict(PL_CG_DENY);
			off = (vihl & 0xf) * 4;
		}
		if (bpf_skb_load_bytes(skb, off + 2, &port, 2) < 0)
			return verdict(PL_CG_DENY);
		port = bpf_ntohs(port);
		any_port = 0;
	}
	egress_lookup(&c, a, !v6, port, any_port, &best, &rule);

	action = apply_mode(c.pol->mode, best);
	if (action == PL_CG_NONE)
		return 1;
	if (action != PL_CG_DENY) {
		e = event_begin(&c, v6 ? PL_CG_HOOK_RAW_SEND6 : PL_CG_HOOK_RAW_SEND4, action, rule);
		if (e) {
			e->u.net.family = v6 ? AF_INET6 : AF_INET;
			e->u.net.type = sk->type;
			e->u.net.protocol = sk->protocol;
			e->u.net.port = port;
			__builtin_memcpy(e->u.net.addr, a, 16); /* IPv4: the rest is 0 */
			event_end(e);
		}
	}
	return verdict(action);
}

/* ---- sysctl writes -------------------------------------------------- */

SEC("cgroup/sysctl")
int pl_sysctl(struct bpf_sysctl *ctx)
{
	struct caller c;
	struct pl_cg_sysctl_key k;
	struct pl_cg_verdict *v;
	struct pl_cg_event *e;
	__u8 action;

	if (!ctx->write)
		return 1;
	if (!find_caller(&c, PL_CG_HAS_SYSCTL))
		return 1;
	__builtin_memset(&k, 0, sizeof(k));
	k.table = c.pol->table;
	/* Names longer than the key cannot be in the table (E2BIG). */
	if (bpf_sysctl_get_name(ctx, k.name, sizeof(k.name), 0) < 0)
		return 1;
	v = bpf_map_lookup_elem(&sysctl_rules, &k);
	if (!v)
		return 1;
	action = apply_mode(c.pol->mode, v->action);
	if (action == PL_CG_NONE)
		return 1;
	if (action != PL_CG_DENY) {
		e = event_begin(&c, PL_CG_HOOK_SYSCTL, action, v->rule);
		if (e) {
			__builtin_memcpy(e->u.sysctl.name, k.name, sizeof(e->u.sysctl.name));
			event_end(e);
		}
	}
	return verdict(action);
}

/* ---- devices -------------------------------------------------------- */

static __always_inline void pick_dev(const struct pl_cg_dev_val *v, __u32 access, __u8 *best,
				     __u32 *rule)
{
	if (!v)
		return;
	for (int i = 0; i < 3; i++) {
		if ((access & (1u << i)) && v->action[i] > *best) {
			*best = v->action[i];
			*rule = v->rule[i];
		}
	}
}

/* Attached once, at the cgroup v2 root (see cgroup.h). */
SEC("cgroup/dev")
int pl_dev(struct bpf_cgroup_dev_ctx *ctx)
{
	struct caller c;
	struct pl_cg_dev_key k = {};
	__u32 access = ctx->access_type >> 16;
	__u8 best = PL_CG_NONE, action;
	__u32 rule = 0;
	struct pl_cg_event *e;

	if (!find_caller_by_cgroup(&c, PL_CG_HAS_DEV))
		return 1;
	k.table = c.pol->table;
	k.type = ctx->access_type & 0xffff;
	k.major = ctx->major;
	k.minor = ctx->minor;
	pick_dev(bpf_map_lookup_elem(&dev_rules, &k), access, &best, &rule);
	k.minor = PL_CG_ANY32;
	pick_dev(bpf_map_lookup_elem(&dev_rules, &k), access, &best, &rule);
	k.major = PL_CG_ANY32;
	pick_dev(bpf_map_lookup_elem(&dev_rules, &k), access, &best, &rule);
	k.minor = ctx->minor;
	pick_dev(bpf_map_lookup_elem(&dev_rules, &k), access, &best, &rule);

	action = apply_mode(c.pol->mode, best);
	if (action == PL_CG_NONE)
		return 1;
	if (action != PL_CG_DENY) {
		e = event_begin(&c, PL_CG_HOOK_DEV, action, rule);
		if (e) {
			e->u.dev.type = ctx->access_type & 0xffff;
			e->u.dev.access = access;
			e->u.dev.major = ctx->major;
			e->u.dev.minor = ctx->minor;
			event_end(e);
		}
	}
	return verdict(action);
}
