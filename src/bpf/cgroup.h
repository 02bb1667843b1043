/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Structures shared by the cgroup-BPF programs (cgroup.bpf.c, compiled with
 * clang -target bpf) and the loader (src/loader/enforcer.c). Plain C with
 * fixed-size types only; every layout is pinned down by _Static_assert so
 * both sides (and pinned maps left by an older loader) agree.
 *
 * Model:
 *   The programs are loaded once per policy id, with the id as a read-only
 *   constant (pl_policy), and attached through links to each registered
 *   container's cgroup: a process outside every registered cgroup runs no
 *   plastron program at all, and a confined one needs no lookup to find its
 *   policy. Every instance shares the maps below.
 *
 *   The device program is the exception: runc detaches every device program
 *   it finds on a container's cgroup when it updates the container (cgroup
 *   v2), so a single instance is attached once at the cgroup v2 root and
 *   finds the caller's registration by cgroup id (device access is not a
 *   hot path).
 *
 *   containers  HASH   cgroup v2 id -> { policy id, cgroup level } (the
 *                      registrations; read by the device program)
 *   global      ARRAY  [0] -> { levels of registered cgroups, last consumer wake-up }
 *   policies    ARRAY  policy id              -> { live mode, active table, hook mask }
 *   tables      ARRAY  table slot             -> { egress trie roots, node and range runs }
 *   sock_rules  HASH   { table, family, type, protocol }  -> verdict
 *   nodes       ARRAY  egress trie nodes (4-bit stride) of every table
 *   ranges      ARRAY  port ranges the trie leaves point at
 *   sysctl_rules HASH  { table, name }                    -> verdict
 *   dev_rules   HASH   { table, type, major, minor }      -> verdict per access
 *   rule_names  HASH   { table, rule index }              -> rule id string
 *   events      RINGBUF  struct pl_cg_event, reserved only when a rule logs
 *   counters    PERCPU_ARRAY  PL_CG_CNT_*
 *   raw_socks   SK_STORAGE  raw / ICMP ping sockets of registered cgroups
 *
 * Egress rules are a multibit trie (stride 4: 8 levels for IPv4, 32 for
 * IPv6) built by the loader with leaf pushing, so one walk of at most that
 * many array loads (inlined by the verifier: no helper call) finds the
 * longest matching prefix whatever the number of rules. An entry is 0 (no
 * rule), a child node index, PL_CG_LEAF | count << 24 | first range, or
 * PL_CG_SKIP | index of a struct pl_cg_skip kept in a node slot: a chain of
 * nodes with one way down each (the path to a long prefix, ::1/128) taken
 * in one step.
 *
 * A "table" is one complete rule set of a policy. Every policy owns two
 * table slots (2 * id and 2 * id + 1): a new rule set is written into the
 * inactive slot (its trie into free node and range runs) and activated by
 * one update of policies[id].table, so an update is never seen half-written.
 */
#ifndef PLASTRON_BPF_CGROUP_H
#define PLASTRON_BPF_CGROUP_H

#include <linux/types.h>

#define PL_CG_MAX_CONTAINERS 65536
#define PL_CG_MAX_POLICIES 65536 /* policy ids 1..65535; 0 is never used */
#define PL_CG_MAX_SOCK 65536
#define PL_CG_MAX_TABLES (2 * PL_CG_MAX_POLICIES)
#define PL_CG_MAX_NODES 131072  /* 64-byte trie nodes, every table together (8 MiB) */
#define PL_CG_MAX_RANGES 262144 /* 12-byte port ranges, every table together (3 MiB) */
#define PL_CG_STRIDE 4          /* address bits per trie level */
#define PL_CG_FANOUT (1u << PL_CG_STRIDE)
#define PL_CG_LEAF 0x80000000u
#define PL_CG_SKIP 0x40000000u
#define PL_CG_INDEX 0x3fffffffu
#define PL_CG_LEAF_COUNT(x) (((x) >> 24) & 0x7fu)
#define PL_CG_LEAF_FIRST(x) ((x)&0xffffffu)
#define PL_CG_MAX_SYSCTL 65536
#define PL_CG_MAX_DEV 65536
#define PL_CG_MAX_RULE_NAMES 262144
#define PL_CG_RINGBUF_SIZE (1u << 20)
#define PL_CG_WAKEUP_NS 1000000ull    /* at most one consumer wake-up per ms (event_end) */
#define PL_CG_WAKEUP_FULL_NS 50000ull /* ... or per 50 us when the ring is 1/4 full */
#define PL_CG_MAX_LEVEL 31            /* deepest cgroup level (root = 0) that can be registered */
#define PL_CG_MAX_PORT_RANGES 16
#define PL_CG_SYSCTL_NAME 128
#define PL_CG_RULE_NAME 64

#define PL_CG_ANY16 0xffffu
#define PL_CG_ANY32 0xffffffffu

/* Ordered by strength: when several rules match, the largest wins. */
enum pl_cg_action {
	PL_CG_NONE = 0,
	PL_CG_ALLOW_LOG = 1,
	PL_CG_DENY = 2,
	PL_CG_DENY_LOG = 3,
};

/* Live override of every rule of a policy (policies[id].mode). */
enum pl_cg_mode {
	PL_CG_MODE_AS_WRITTEN = 0,
	PL_CG_MODE_ENFORCE = 1, /* every match: deny+log */
	PL_CG_MODE_AUDIT = 2,   /* every match: allow+log */
	PL_CG_MODE_OFF = 3,     /* rules ignored, no events */
};

enum pl_cg_hook {
	PL_CG_HOOK_SOCK_CREATE = 1,
	PL_CG_HOOK_CONNECT4 = 2,
	PL_CG_HOOK_CONNECT6 = 3,
	PL_CG_HOOK_SENDMSG4 = 4,
	PL_CG_HOOK_SENDMSG6 = 5,
	PL_CG_HOOK_SYSCTL = 6,
	PL_CG_HOOK_DEV = 7,
	PL_CG_HOOK_RAW_SEND4 = 8, /* raw / ICMP ping socket packet (cgroup_skb/egress) */
	PL_CG_HOOK_RAW_SEND6 = 9,
};

/* policies[id].hooks: which tables have entries (others are not looked up). */
enum {
	PL_CG_HAS_SOCK = 1u << 0,
	PL_CG_HAS_EGRESS4 = 1u << 1,
	PL_CG_HAS_EGRESS6 = 1u << 2,
	PL_CG_HAS_SYSCTL = 1u << 3,
	PL_CG_HAS_DEV = 1u << 4,
};

enum pl_cg_counter {
	PL_CG_CNT_MATCHED = 0, /* a rule matched (any action) */
	PL_CG_CNT_DENIED = 1,  /* the operation was refused */
	PL_CG_CNT_EVENTS = 2,  /* events submitted to the ring buffer */
	PL_CG_CNT_DROPS = 3,   /* events lost: ring buffer full */
	PL_CG_CNT__MAX = 4,
};

struct pl_cg_container {
	__u32 policy;
	__u32 level; /* the cgroup's level in the v2 tree (root = 0), set by the loader */
};

/*
 * global[0].levels: bit L set when a registered cgroup may sit at level L.
 * The device program looks the caller's ancestor up only at those levels
 * (deepest first). The loader sets a bit before inserting a container,
 * recomputes the mask after a removal and adds any missing bit on
 * re-adoption; a stale extra bit only costs a lookup.
 */
struct pl_cg_global {
	__u32 levels;
	__u32 pad;
	__u64 last_wakeup; /* when the consumer was last woken (any CPU; races are harmless) */
};

struct pl_cg_policy {
	__u32 table; /* active table slot: 2 * id or 2 * id + 1 */
	__u8 mode;   /* enum pl_cg_mode */
	__u8 present;
	__u16 hooks; /* PL_CG_HAS_* of the active table */
};

struct pl_cg_verdict {
	__u32 rule; /* index into rule_names */
	__u8 action;
	__u8 pad[3];
};

struct pl_cg_sock_key {
	__u32 table;
	__u16 family;
	__u16 type;     /* PL_CG_ANY16 = any */
	__u32 protocol; /* PL_CG_ANY32 = any */
};

/* One table slot's egress tries: roots (0: no rule of that family) and the
 * runs of `nodes` and `ranges` it owns (the loader's allocator state). */
struct pl_cg_table {
	__u32 root4, root6;
	__u32 node_first, node_count;
	__u32 range_first, range_count;
};

struct pl_cg_node {
	__u32 e[PL_CG_FANOUT];
};

/* Path compression, in a node slot: when the next `nibbles` nibbles of the
 * address (1..16, never across the middle of an IPv6 address) equal
 * `bits` (left-aligned), the walk goes on with entry `next` that many levels
 * deeper, else it ends with entry `miss` (0 or a leaf). */
struct pl_cg_skip {
	__u32 bits_lo, bits_hi;
	__u32 nibbles;
	__u32 next;
	__u32 miss;
	__u32 pad[PL_CG_FANOUT - 5];
};

/* A leaf points at every port range that applies to its addresses (the
 * generator folds enclosing prefixes in, so the longest match suffices). */
struct pl_cg_port_range {
	__u16 lo, hi; /* host byte order, inclusive */
	__u32 rule;
	__u8 action;
	__u8 pad[3];
};

struct pl_cg_sysctl_key {
	__u32 table;
	char name[PL_CG_SYSCTL_NAME]; /* "kernel/core_pattern", zero padded */
};

struct pl_cg_dev_key {
	__u32 table;
	__u32 type;  /* BPF_DEVCG_DEV_BLOCK / _CHAR */
	__u32 major; /* PL_CG_ANY32 = any */
	__u32 minor; /* PL_CG_ANY32 = any */
};

/* Index 0: mknod, 1: read, 2: write (bit order of BPF_DEVCG_ACC_*). */
struct pl_cg_dev_val {
	__u8 action[3];
	__u8 pad;
	__u32 rule[3];
};

struct pl_cg_name_key {
	__u32 table;
	__u32 rule;
};

struct pl_cg_rule_name {
	char name[PL_CG_RULE_NAME];
};

struct pl_cg_event {
	__u64 ts_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns) */
	__u64 cgroup_id;
	__u32 pid, tid;
	__u32 policy;
	__u32 rule;
	__u8 hook;   /* enum pl_cg_hook */
	__u8 action; /* effective action (after the live mode) */
	__u8 mode;   /* live mode when it happened */
	__u8 pad;
	char comm[16];
	char rule_name[PL_CG_RULE_NAME];
	union {
		struct {
			__u32 family, type, protocol;
		} sock;
		struct {
			__u32 family, type, protocol;
			__u16 port; /* host byte order */
			__u16 pad;
			__u8 addr[16]; /* network byte order; IPv4 in the first 4 bytes */
		} net;
		struct {
			char name[PL_CG_SYSCTL_NAME];
		} sysctl;
		struct {
			__u32 type, access, major, minor;
		} dev;
	} u;
};

#define PL_CG_ASSERT(c) _Static_assert(c, #c)
PL_CG_ASSERT(sizeof(struct pl_cg_container) == 8);
PL_CG_ASSERT(sizeof(struct pl_cg_global) == 16);
PL_CG_ASSERT(sizeof(struct pl_cg_policy) == 8);
PL_CG_ASSERT(sizeof(struct pl_cg_verdict) == 8);
PL_CG_ASSERT(sizeof(struct pl_cg_sock_key) == 12);
PL_CG_ASSERT(sizeof(struct pl_cg_table) == 24);
PL_CG_ASSERT(sizeof(struct pl_cg_node) == 64);
PL_CG_ASSERT(sizeof(struct pl_cg_skip) == sizeof(struct pl_cg_node));
PL_CG_ASSERT(PL_CG_MAX_NODES <= PL_CG_INDEX);
PL_CG_ASSERT(sizeof(struct pl_cg_port_range) == 12);
PL_CG_ASSERT(PL_CG_MAX_PORT_RANGES <= 0x7f && PL_CG_MAX_RANGES <= 0x1000000);
PL_CG_ASSERT(sizeof(struct pl_cg_sysctl_key) == 4 + PL_CG_SYSCTL_NAME);
PL_CG_ASSERT(sizeof(struct pl_cg_dev_key) == 16);
PL_CG_ASSERT(sizeof(struct pl_cg_dev_val) == 16);
PL_CG_ASSERT(sizeof(struct pl_cg_name_key) == 8);
PL_CG_ASSERT(__builtin_offsetof(struct pl_cg_event, comm) == 36);
PL_CG_ASSERT(__builtin_offsetof(struct pl_cg_event, u) == 116);
PL_CG_ASSERT(sizeof(struct pl_cg_event) == 248); /* 116 + 128, padded to 8 */

#endif
