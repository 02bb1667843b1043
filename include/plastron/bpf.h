/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup-BPF rule tables: what plastrond writes into the enforcer's maps for
 * one policy. Pure data (no libbpf): the generator turns the policy model
 * into these tables, the loader (src/loader/enforcer.c) copies them into the
 * pinned maps.
 *
 * What is carried here: socket creation for AF_INET/AF_INET6 (family, type,
 * resolved protocol), egress (connect/UDP sendmsg) by address prefix and
 * port range, sysctl writes by name, device access by type/major/minor.
 * Parts of rules that cgroup-BPF cannot see (socket families other than
 * inet/inet6) are listed in `elsewhere`; parts no mechanism here can carry
 * (pod-self, toServices, toPods) are refused with an error.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "plastron/error.h"
#include "plastron/gen.h"
#include "plastron/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Same numbers as the BPF side (src/bpf/cgroup.h): ordered by strength,
 * when several rules match one operation the largest wins. */
enum pl_bpf_act {
	PL_BPF_ACT_NONE = 0,
	PL_BPF_ACT_ALLOW_LOG = 1,
	PL_BPF_ACT_DENY = 2,
	PL_BPF_ACT_DENY_LOG = 3,
};

/* Live per-policy override (a map update, no reload). */
enum pl_bpf_mode {
	PL_BPF_MODE_AS_WRITTEN = 0,
	PL_BPF_MODE_ENFORCE = 1, /* every match deny+log */
	PL_BPF_MODE_AUDIT = 2,   /* every match allow+log */
	PL_BPF_MODE_OFF = 3,     /* rules ignored */
};

#define PL_BPF_ANY UINT32_MAX /* wildcard type / protocol / major / minor */
#define PL_BPF_MAX_PORT_RANGES 16
#define PL_BPF_SYSCTL_NAME_MAX 128 /* including the NUL */
#define PL_BPF_RULE_NAME_MAX 64    /* including the NUL; longer ids are cut */

/* Device access bits (index into pl_bpf_dev_entry.action). */
enum { PL_BPF_DEV_MKNOD = 0, PL_BPF_DEV_READ = 1, PL_BPF_DEV_WRITE = 2 };

struct pl_bpf_sock_entry {
	uint16_t family;   /* AF_INET or AF_INET6 */
	uint32_t type;     /* SOCK_*, PL_BPF_ANY */
	uint32_t protocol; /* IPPROTO_* as resolved by the kernel, PL_BPF_ANY */
	uint8_t action;    /* enum pl_bpf_act */
	uint32_t rule;     /* index into tables->rules */
};

struct pl_bpf_port_range {
	uint16_t lo, hi; /* inclusive; 0-65535 = all ports */
	uint8_t action;
	uint32_t rule;
};

/* One LPM entry: every range of every rule whose prefix contains this one. */
struct pl_bpf_egress_entry {
	int family;       /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network byte order, host bits zero */
	uint8_t prefix_len;
	size_t n;
	struct pl_bpf_port_range r[PL_BPF_MAX_PORT_RANGES];
};

struct pl_bpf_sysctl_entry {
	char name[PL_BPF_SYSCTL_NAME_MAX]; /* "kernel/core_pattern" */
	uint8_t action;
	uint32_t rule;
};

struct pl_bpf_dev_entry {
	char type;             /* 'b' or 'c' */
	uint32_t major, minor; /* PL_BPF_ANY = any */
	uint8_t action[3];     /* per PL_BPF_DEV_*; NONE = not covered */
	uint32_t rule[3];
};

/* A (part of a) rule this mechanism does not carry, and who does. */
struct pl_bpf_note {
	uint32_t rule;
	char *text;
};

struct pl_bpf_tables {
	char **rules; /* rule index -> rule id ("disable-icmp", "bpfRawRules.network.egress[0]") */
	size_t n_rules;
	struct pl_bpf_sock_entry *sock;
	size_t n_sock;
	struct pl_bpf_egress_entry *egress;
	size_t n_egress;
	struct pl_bpf_sysctl_entry *sysctl;
	size_t n_sysctl;
	struct pl_bpf_dev_entry *dev;
	size_t n_dev;
	struct pl_bpf_note *elsewhere;
	size_t n_elsewhere;
};

/*
 * Build the tables for `p` (its built-in rules' PL_MECH_CGROUP_BPF
 * translations and its bpfRawRules network rules), actions after `o`
 * (NULL = as written). `partitions` is the file host_disks device rules
 * expand from (NULL = /proc/partitions). Deterministic. Entries that do not
 * fit (more than PL_BPF_MAX_PORT_RANGES ranges on one prefix after
 * merging, over-long sysctl names) and rules that need Kubernetes data are
 * errors.
 */
int pl_gen_cgroup_bpf(const struct pl_policy *p, const struct pl_gen_opts *o,
		      const char *partitions, struct pl_bpf_tables **ret, struct pl_diag *d);
void pl_bpf_tables_free(struct pl_bpf_tables *t); /* NULL-safe */
static inline void
pl_bpf_tables_freep(struct pl_bpf_tables **p) /* for _cleanup_ (shared/macro.h) */
{
	pl_bpf_tables_free(*p);
	*p = NULL;
}
bool pl_bpf_tables_empty(const struct pl_bpf_tables *t);
/* Readable, deterministic dump (golden tests, `plastron explain`). */
int pl_bpf_tables_dump(const struct pl_bpf_tables *t, FILE *out);

const char *pl_bpf_act_name(enum pl_bpf_act a);   /* "none", "allow+log", "deny", "deny+log" */
const char *pl_bpf_mode_name(enum pl_bpf_mode m); /* "as-written", "enforce", "audit", "off" */
int pl_bpf_mode_from_name(const char *s);         /* -EINVAL when unknown */
enum pl_bpf_act pl_bpf_act_from_action(enum pl_action a);

#ifdef __cplusplus
}
#endif
