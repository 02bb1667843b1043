/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Structures shared by the cgroup-BPF programs (cgroup.bpf.c, compiled with
 * clang -target bpf) and the loader (src/agent/enforcer.c). Plain C with
 * fixed-size types only; every layout is pinned down by _Static_assert so
 * both sides (and pinned maps left by an older loader) agree.
 *
 * Model:
 *   containers  HASH   cgroup v2 id           -> { policy id, cgroup level }
 *   global      ARRAY  [0]                    -> { bitmask of the levels of registered cgroups }
 *   policies    ARRAY  policy id              -> { live mode, active table, hook mask }
 *   sock_rules  HASH   { table, family, type, protocol }  -> verdict
 *   egress4/6   LPM    { 32 + prefix, table, address }    -> port ranges
 *   sysctl_rules HASH  { table, name }                    -> verdict
 *   dev_rules   HASH   { table, type, major, minor }      -> verdict per access
 *   rule_names  HASH   { table, rule index }              -> rule id string
 *   events      RINGBUF  struct pl_cg_event, reserved only when a rule logs
 *   counters    PERCPU_ARRAY  PL_CG_CNT_*
 *   raw_socks   SK_STORAGE  raw / ICMP ping sockets of registered cgroups
 *               (not pinned; see pl_raw_egress)
 *
 * A "table" is one complete rule set of a policy. Every policy owns two
 * table slots (2 * id and 2 * id + 1): a new rule set is written into the
 * inactive slot and activated by one update of policies[id].table, so an
 * update is never seen half-written.
 */
#ifndef PLASTRON_BPF_CGROUP_H
#define PLASTRON_BPF_CGROUP_H

#include <linux/types.h>

#define PL_CG_MAX_CONTAINERS 65536
#define PL_CG_MAX_POLICIES 65536 /* policy ids 1..65535; 0 is never used */
#define PL_CG_MAX_SOCK 65536
#define PL_CG_MAX_EGRESS 262144 /* per family */
#define PL_CG_MAX_SYSCTL 65536
#define PL_CG_MAX_DEV 65536
#define PL_CG_MAX_RULE_NAMES 262144
#define PL_CG_RINGBUF_SIZE (1u << 20)
#define PL_CG_WAKEUP_NS 1000000ull    /* at most one consumer wake-up per ms (event_end) */
#define PL_CG_WAKEUP_FULL_NS 50000ull /* ... or per 50 us when the ring is 1/4 full */
#define PL_CG_MAX_PORT_RANGES 16
#define PL_CG_SYSCTL_NAME 128
#define PL_CG_RULE_NAME 64
#define PL_CG_MAX_LEVEL 31 /* deepest cgroup level (root = 0) that can be registered */

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
 * The programs look the caller's ancestor up only at those levels (deepest
 * first), so a caller costs one lookup per populated level at most and none
 * when nothing is registered. The loader sets a bit before inserting a
 * container, recomputes the mask from `containers` after a removal and adds
 * any missing bit on re-adoption; a stale extra bit only costs a lookup.
 */
struct pl_cg_global {
	__u32 levels;
	__u32 pad;
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

struct pl_cg_lpm4_key {
	__u32 prefixlen; /* 32 (table) + address prefix */
	__u32 table;     /* big-endian, so the trie orders on it first */
	__u8 addr[4];
};

struct pl_cg_lpm6_key {
	__u32 prefixlen;
	__u32 table;
	__u8 addr[16];
};

struct pl_cg_port_range {
	__u16 lo, hi; /* host byte order, inclusive */
	__u32 rule;
	__u8 action;
	__u8 pad[3];
};

/* All port ranges that apply to an address in this prefix (user space
 * folds every enclosing prefix in, so the longest match suffices). */
struct pl_cg_egress_val {
	__u32 n;
	struct pl_cg_port_range r[PL_CG_MAX_PORT_RANGES];
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
PL_CG_ASSERT(sizeof(struct pl_cg_global) == 8);
PL_CG_ASSERT(sizeof(struct pl_cg_policy) == 8);
PL_CG_ASSERT(sizeof(struct pl_cg_verdict) == 8);
PL_CG_ASSERT(sizeof(struct pl_cg_sock_key) == 12);
PL_CG_ASSERT(sizeof(struct pl_cg_lpm4_key) == 12);
PL_CG_ASSERT(sizeof(struct pl_cg_lpm6_key) == 24);
PL_CG_ASSERT(__builtin_offsetof(struct pl_cg_lpm6_key, addr) == 8);
PL_CG_ASSERT(sizeof(struct pl_cg_port_range) == 12);
PL_CG_ASSERT(sizeof(struct pl_cg_egress_val) == 4 + 12 * PL_CG_MAX_PORT_RANGES);
PL_CG_ASSERT(sizeof(struct pl_cg_sysctl_key) == 4 + PL_CG_SYSCTL_NAME);
PL_CG_ASSERT(sizeof(struct pl_cg_dev_key) == 16);
PL_CG_ASSERT(sizeof(struct pl_cg_dev_val) == 16);
PL_CG_ASSERT(sizeof(struct pl_cg_name_key) == 8);
PL_CG_ASSERT(__builtin_offsetof(struct pl_cg_event, comm) == 36);
PL_CG_ASSERT(__builtin_offsetof(struct pl_cg_event, u) == 116);
PL_CG_ASSERT(sizeof(struct pl_cg_event) == 248); /* 116 + 128, padded to 8 */

#endif
