/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Events: what the kernel reports about confined processes.
 *
 * seccomp (audit type 1326) and Landlock (1423 access denied, 1424 domain
 * status) write audit records. They are read from the audit netlink socket's
 * read-only multicast group AUDIT_NLGRP_READLOG (CAP_AUDIT_READ), so no
 * audit daemon is needed and an existing one is not disturbed.
 *
 * Measured on the project kernel (6.18): seccomp records are emitted with
 * audit disabled; Landlock records only when audit is enabled (the kernel
 * checks audit_enabled). pl_audit_prepare() enables audit when needed, and
 * installs an AUDIT_FILTER_TASK/AUDIT_NEVER rule first, so that no task ever
 * gets a per-syscall audit context (which would cost every syscall ~35 ns).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "plastron/error.h"
#include "plastron/seccomp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- audit netlink ------------------------------------------------------ */
#define PL_AUDIT_SECCOMP 1326
#define PL_AUDIT_LANDLOCK_ACCESS 1423
#define PL_AUDIT_LANDLOCK_DOMAIN 1424

struct pl_audit_status {
	uint32_t enabled; /* 0, 1, or 2 (locked) */
	uint32_t failure;
	uint32_t pid; /* audit daemon pid, 0 when none */
	uint32_t lost;
	uint32_t backlog;
};

/* AUDIT_GET over a short-lived netlink socket (needs CAP_AUDIT_CONTROL). */
int pl_audit_get_status(struct pl_audit_status *ret, struct pl_diag *d);
/* AUDIT_SET enabled (0 or 1). */
int pl_audit_set_enabled(uint32_t enabled, struct pl_diag *d);
/* Install the `task,never` rule (AUDIT_ADD_RULE, AUDIT_FILTER_TASK,
 * AUDIT_NEVER, no fields). Returns 1 when added, 0 when it was already
 * there. */
int pl_audit_add_task_never(struct pl_diag *d);
/* Whether the `task,never` rule is installed (AUDIT_LIST_RULES). */
int pl_audit_has_task_never(struct pl_diag *d);

/*
 * Make sure Landlock denials will be reported, without slowing the machine:
 * when audit is disabled and no audit daemon runs, install the task,never
 * rule, then enable audit. Audit is left enabled afterwards (with the rule
 * in place that costs nothing per syscall; turning it off again would race
 * with other runs). When an audit daemon runs or audit is already enabled,
 * nothing is changed. `*ret_changed` says whether anything was changed.
 */
int pl_audit_prepare(bool *ret_changed, struct pl_diag *d);

/* A read-only socket on AUDIT_NLGRP_READLOG. */
struct pl_audit;
int pl_audit_open(struct pl_audit **ret, struct pl_diag *d);
void pl_audit_close(struct pl_audit *a); /* NULL-safe */
int pl_audit_fd(const struct pl_audit *a);

struct pl_audit_record {
	int type;        /* AUDIT_* message type */
	char text[8192]; /* "audit(1795462351.197:2): key=value ..." NUL-terminated */
	size_t len;
};
/* Wait up to `timeout_ms` (-1 = forever) for one record. Returns 1 with a
 * record, 0 on timeout, negative errno on failure (-ENOBUFS: records were
 * lost because the socket buffer overflowed; the socket stays usable). */
int pl_audit_read(struct pl_audit *a, struct pl_audit_record *rec, int timeout_ms);

/*
 * A barrier in the audit stream. The kernel puts every record on one queue
 * (kauditd), which delivers them in order, but late: on a loaded machine a
 * record can reach the group long after the syscall that caused it. This
 * forks a short-lived child that names itself with a random comm
 * ("plb-" and 11 hex digits), logs exactly one seccomp record (a libseccomp
 * filter with SCMP_ACT_LOG on getppid) and exits; it is reaped before the
 * call returns (so the caller must not ignore SIGCHLD or reap children it
 * did not create). Once the record has been read, every record emitted
 * before the call has been read too. It is matched by comm, which holds in
 * a pid namespace, where the record's pid is not the one fork returned.
 * The record takes the path of seccomp events, so it is written wherever
 * they are; the call fails with -EOPNOTSUPP when "log" is not in
 * /proc/sys/kernel/seccomp/actions_logged. Safe in a multithreaded process
 * (the child makes raw syscalls only).
 */
struct pl_audit_barrier {
	char comm[16]; /* "" = none */
};
int pl_audit_barrier(struct pl_audit_barrier *ret, struct pl_diag *d);
/* Whether `rec` is the record of barrier `b` (its logged getppid). */
bool pl_audit_is_barrier(const struct pl_audit_record *rec, const struct pl_audit_barrier *b);

/* ---- events ------------------------------------------------------------- */
/*
 * One event type for every enforcer and every program: `plastron run` and
 * plastrond turn audit records (seccomp, Landlock) and cgroup-BPF ring-buffer
 * records into a struct pl_event, and write it with pl_event_json() (the one
 * JSON schema, docs/agent.md "Events").
 */
enum pl_event_action {
	PL_EVENT_DENIED,  /* blocked */
	PL_EVENT_AUDIT,   /* a rule matched but allowed (audit mode, allowViolations) */
	PL_EVENT_ALLOWED, /* allowed activity recorded in observe mode */
};

enum pl_enforcer_kind {
	PL_EVENT_SECCOMP,
	PL_EVENT_LANDLOCK,
	PL_EVENT_CGROUP_BPF,
};

#define PL_EVENT_STR 256
/* The rule of every Landlock denial: the ruleset is the policy's
 * spec.plastron.landlock as a whole. */
#define PL_EVENT_RULE_LANDLOCK "spec.plastron.landlock"

struct pl_event {
	int64_t time_ms; /* when it happened, milliseconds since the epoch (UTC) */
	uint64_t serial; /* audit serial (seccomp, Landlock) */
	int type;        /* audit record type; 0 for cgroup-BPF */
	int64_t pid;     /* 0 when the record does not say (Landlock denials) */
	uint32_t ses;    /* audit session id (seccomp), AUDIT_SID_UNSET when none */
	char comm[64];
	char exe[PL_EVENT_STR];
	enum pl_enforcer_kind enforcer;
	enum pl_event_action action;
	char rule[128];      /* catalog rule id or "syscallRawRules", ...; empty when unknown */
	bool rule_ambiguous; /* `rule` names every candidate, joined by '|' */
	char mode[16];       /* the live mode ("enforce", "audit", "observe", ...); "": unknown */
	/* seccomp; syscall also for cgroup-BPF (the hook's syscall: "connect") */
	uint32_t arch; /* AUDIT_ARCH_* */
	int syscall_nr;
	char syscall[64];
	uint32_t sc_action; /* SECCOMP_RET_* action bits of code= */
	int sig;
	/* Landlock; path also for cgroup-BPF (sysctl "/proc/sys/...", device "c 1:3") */
	uint64_t domain;
	char blockers[PL_EVENT_STR]; /* "fs.write_file,fs.read_file" */
	char path[PL_EVENT_STR];
	char
	    object[PL_EVENT_STR]; /* other object fields (daddr, dest port, opid, ...) as written */
	/* Landlock 1424 (domain status) */
	char status[32]; /* "allocated", "deallocated" */
	int domain_pid;  /* pid that created the domain */
	/* cgroup-BPF */
	uint64_t cgroup_id; /* of the process (cgroup-BPF), or of its container (agent) */
	char address[64];   /* egress: "169.254.169.254:80", "[fd00::1]:53" */
	char socket[64];    /* socket creation: "inet6 raw protocol 58" */
	/* socket creation, as numbers (AF_*, SOCK_*, IPPROTO_*) */
	int sock_family, sock_type, sock_protocol;
	/* the mount namespace inode of the process; 0 when unknown */
	uint32_t mnt_ns;
	/* Attribution, filled by the agent (NULL: not known, key absent); not
	 * owned: they point into the agent's records and are read only while
	 * the event is written. A NULL container_id means "no container": none
	 * of cgroup, container, container_name, namespace, pod is written. */
	const char *container_id, *container_name, *container, *pod, *namespace_, *cgroup;
	const char *pod_uid, *image; /* attributed, when the CRI annotations give them */
	/* The policy (NULL: unknown, key absent): its name, its kind
	 * ("VarmorPolicy", "VarmorClusterPolicy", pl_policy_kind_name) and
	 * namespace (a VarmorPolicy's; NULL for a cluster policy). */
	const char *policy, *policy_hash, *policy_kind, *policy_namespace;
	const char *node; /* the host's name, for the vArmor format; NULL: "" */
};

/*
 * Parse one audit record of type 1326, 1423 or 1424 into `ev` (zeroed
 * first). Returns 1 when parsed, 0 when the type is not one of these,
 * -EINVAL when the text is malformed. The rule is not set here (see
 * pl_event_set_rule_from_profile) and action is DENIED for Landlock, and
 * from the seccomp return action for seccomp (LOG → AUDIT).
 */
int pl_event_parse(int type, const char *text, struct pl_event *ev);
/* seccomp events: resolve the rule with pl_sc_profile_origin(); a LOG
 * record that no rule explains is recorded activity (ALLOWED, observe). */
void pl_event_set_rule_from_profile(struct pl_event *ev, const struct pl_sc_profile *prof);

/* One record of the cgroup-BPF ring buffer (src/bpf/cgroup.h) as an event
 * (`ev` zeroed first): enforcer cgroup-bpf, action AUDIT for allow+log and
 * DENIED otherwise, the hook's syscall, the address, socket or path, the
 * rule name, mode, pid, comm, cgroup id; `time_ms` is the caller's
 * conversion of the record's CLOCK_MONOTONIC time. */
struct pl_cg_event;
void pl_event_from_cg(struct pl_event *ev, const struct pl_cg_event *cg, int64_t time_ms);
/* What a cgroup-BPF hook (enum pl_cg_hook) is in the event's "syscall". */
const char *pl_cg_hook_syscall(unsigned hook);

const char *pl_event_action_name(enum pl_event_action a); /* "DENIED", "AUDIT", "ALLOWED" */
const char *
pl_enforcer_kind_name(enum pl_enforcer_kind k); /* "seccomp", "landlock", "cgroup-bpf" */

/*
 * The event as one JSON line (the schema of docs/agent.md "Events"), with
 * its '\n', NUL-terminated, into buf[len]. Returns the line's length
 * without the NUL, like snprintf: a result >= len means it did not fit (buf
 * then holds a NUL-terminated prefix; call again with a larger buffer).
 * Keys are sorted (the bytes jansson's json_dumps(JSON_COMPACT |
 * JSON_SORT_KEYS) writes for the same object); strings are escaped like
 * jansson without JSON_ENSURE_ASCII, except that a byte that is not valid
 * UTF-8 becomes U+FFFD (jansson would refuse the string). No allocation.
 * `cache` (may be NULL) keeps the formatted second between calls.
 */
struct pl_event_json_cache {
	int64_t sec;
	char prefix[24]; /* "2026-12-02T07:50:00" */
};
size_t pl_event_json(const struct pl_event *ev, struct pl_event_json_cache *cache, char *buf,
		     size_t len);
/* The same line in a malloc'd string (*ret); 0 or -ENOMEM. */
int pl_event_to_json(const struct pl_event *ev, char **ret);

/*
 * The event in vArmor's violation-event schema (what vArmor's agent writes
 * to /var/log/varmor/violations.log, pkg/auditor; docs/agent.md "The vArmor
 * format"): one compact JSON object in zerolog's key order, with its '\n',
 * in a malloc'd string (*ret). What plastron does not know is written as
 * vArmor writes a field it does not know: "" or 0. 0 or -ENOMEM.
 */
int pl_event_to_varmor_json(const struct pl_event *ev, char **ret);
/* vArmor's ArmorProfile name of a policy: varmor-<ns>-<name> or
 * varmor-cluster-varmor-<name>, lower case, at most 63 characters
 * (NUL-terminated into buf[len]; len >= 64). */
void pl_varmor_profile_name(bool cluster, const char *ns, const char *name, char *buf, size_t len);

/* The event formats `plastron run --event-format` and plastrond's
 * --log-format choose from. */
enum pl_event_format {
	PL_EVENT_FORMAT_PLASTRON, /* pl_event_json: the one plastron schema */
	PL_EVENT_FORMAT_VARMOR,   /* pl_event_to_varmor_json */
};
/* "plastron" or "varmor" → 0 and *ret; -EINVAL otherwise. */
int pl_event_format_from_name(const char *name, enum pl_event_format *ret);

/* One human line: "DENIED seccomp: mount() by sh[123] (rule disallow-mount)". */
int pl_event_format_human(const struct pl_event *ev, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
