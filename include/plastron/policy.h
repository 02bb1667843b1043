/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy model: VarmorPolicy / VarmorClusterPolicy (crd.varmor.org/v1beta1)
 * as read from YAML or JSON, validated and resolved against the catalog.
 *
 * Parsing never half-succeeds: pl_policy_set_load() either returns a
 * complete, validated set or an error with every problem found in `diag`.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "plastron/catalog.h"
#include "plastron/error.h"
#include "plastron/seccomp.h"

#ifdef __cplusplus
extern "C" {
#endif

enum pl_policy_kind {
	PL_KIND_VARMOR_POLICY,
	PL_KIND_VARMOR_CLUSTER_POLICY,
};

enum pl_mode {
	PL_MODE_ALWAYS_ALLOW,
	PL_MODE_RUNTIME_DEFAULT,
	PL_MODE_ENHANCE_PROTECT,
	PL_MODE_BEHAVIOR_MODELING,
	PL_MODE_DEFENSE_IN_DEPTH,
};

/* vArmor's enforcer names, matched as vArmor does (case-insensitive). */
enum pl_enforcer {
	PL_ENF_APPARMOR = 1u << 0,
	PL_ENF_BPF = 1u << 1,
	PL_ENF_SECCOMP = 1u << 2,
	PL_ENF_NETWORK_PROXY = 1u << 3,
};

/* What happens when a rule matches. Every rule, built-in or raw, ends up
 * with one of these. */
enum pl_action {
	PL_ACTION_DENY,      /* block; no event unless the runner forces logging */
	PL_ACTION_DENY_LOG,  /* block and report DENIED */
	PL_ACTION_ALLOW_LOG, /* allow and report AUDIT */
};

struct pl_strv {
	char **v;
	size_t n;
};

struct pl_kv {
	char *key, *value;
};

struct pl_label_expr {
	char *key;
	char *op; /* In, NotIn, Exists, DoesNotExist */
	struct pl_strv values;
};

struct pl_selector {
	struct pl_kv *match_labels;
	size_t n_match_labels;
	struct pl_label_expr *exprs;
	size_t n_exprs;
};

enum pl_target_kind {
	PL_TARGET_DEPLOYMENT,
	PL_TARGET_STATEFULSET,
	PL_TARGET_DAEMONSET,
	PL_TARGET_POD,
};

struct pl_target {
	enum pl_target_kind kind;
	char *name; /* exactly one of name / selector */
	struct pl_selector *selector;
	struct pl_strv containers;
	struct pl_pos pos;
};

/* A built-in rule as used by a policy. */
struct pl_rule_use {
	const struct pl_rule *rule; /* catalog entry */
	const char *written;        /* the id or alias as written */
	enum pl_action action;
	struct pl_strv targets; /* attackProtectionRules targets (AppArmor only) */
	struct pl_pos pos;
};

struct pl_apparmor_raw {
	char *rules; /* raw text; several lines allowed */
	struct pl_strv targets;
	struct pl_pos pos;
};

struct pl_file_rule {
	char *pattern;
	uint32_t perms; /* PL_PERM_* */
	enum pl_action action;
	bool from_processes; /* written under bpfRawRules.processes */
	struct pl_pos pos;
};

struct pl_socket_rule {
	uint64_t domains;   /* bit per AF_* (0 = all) */
	uint32_t types;     /* bit per SOCK_* (0 = all) */
	uint32_t protocols; /* PL_PROTO_* (0 = all) */
	enum pl_action action;
	struct pl_pos pos;
};

struct pl_port_range {
	uint16_t port, end_port; /* end_port == port for a single port */
};

enum pl_addr_kind {
	PL_ADDR_CIDR, /* addr/prefix (a plain IP is a full-length prefix) */
	PL_ADDR_POD_SELF,
	PL_ADDR_UNSPECIFIED, /* 0.0.0.0 and :: */
	PL_ADDR_LOCALHOST,   /* 127.0.0.1 and ::1 */
	PL_ADDR_ANY,         /* every address, IPv4 and IPv6 (a port-only rule) */
};

struct pl_egress_rule {
	enum pl_addr_kind kind;
	int family;       /* AF_INET / AF_INET6 for CIDR */
	uint8_t addr[16]; /* network byte order, host bits cleared */
	uint8_t prefix_len;
	char *text;                  /* as written */
	struct pl_port_range *ports; /* none = all ports */
	size_t n_ports;
	enum pl_action action;
	struct pl_pos pos;
};

struct pl_egress_service {
	char *namespace_;
	char *name;
	struct pl_selector *selector;
	enum pl_action action;
	struct pl_pos pos;
};

struct pl_egress_pod {
	char *namespace_;
	struct pl_selector *selector;
	struct pl_port_range *ports;
	size_t n_ports;
	enum pl_action action;
	struct pl_pos pos;
};

enum pl_ptrace_perm {
	PL_PTRACE_TRACE = 1u << 0,
	PL_PTRACE_READ = 1u << 1,
	PL_PTRACE_TRACEBY = 1u << 2,
	PL_PTRACE_READBY = 1u << 3,
};

struct pl_ptrace_rule {
	bool present;
	bool strict;
	uint32_t perms;
	enum pl_action action;
	struct pl_pos pos;
};

struct pl_mount_rule {
	char *source_pattern;
	char *fstype;           /* "*" = any */
	uint32_t flags;         /* MS_* bits that match when set */
	uint32_t reverse_flags; /* MS_* bits that match when absent */
	bool umount;
	enum pl_action action;
	struct pl_pos pos;
};

struct pl_bpf_raw {
	struct pl_file_rule *files; /* files and processes, in order */
	size_t n_files;
	struct pl_socket_rule *sockets;
	size_t n_sockets;
	struct pl_egress_rule *egress;
	size_t n_egress;
	struct pl_egress_service *services;
	size_t n_services;
	struct pl_egress_pod *pods;
	size_t n_pods;
	struct pl_ptrace_rule ptrace;
	struct pl_mount_rule *mounts;
	size_t n_mounts;
};

struct pl_enhance {
	bool present;
	struct pl_rule_use *rules; /* hardening, attack protection, vul mitigation, in order */
	size_t n_rules;
	struct pl_apparmor_raw *apparmor_raw;
	size_t n_apparmor_raw;
	struct pl_bpf_raw bpf;
	struct pl_sc_syscall *syscall_raw; /* origin = "syscallRawRules" */
	size_t n_syscall_raw;
	bool has_network_proxy_raw; /* accepted, not enforced by plastron (reported) */
	bool privileged;
	bool audit_violations;
	bool allow_violations;
};

enum pl_profile_type {
	PL_PROFILE_NONE,
	PL_PROFILE_BEHAVIOR_MODEL,
	PL_PROFILE_CUSTOM,
};

struct pl_dind {
	bool present;
	enum pl_profile_type apparmor_type;
	char *apparmor_custom;
	struct pl_apparmor_raw *apparmor_raw;
	size_t n_apparmor_raw;
	enum pl_profile_type seccomp_type;
	struct pl_sc_profile *seccomp_custom; /* parsed customProfile */
	struct pl_sc_syscall *syscall_raw;
	size_t n_syscall_raw;
	bool has_network_proxy;
	bool allow_violations;
};

/* plastron extension (spec.plastron.landlock): explicit allow-lists. */
enum pl_ll_access {
	PL_LL_EXECUTE = 1u << 0,
	PL_LL_WRITE_FILE = 1u << 1,
	PL_LL_READ_FILE = 1u << 2,
	PL_LL_READ_DIR = 1u << 3,
	PL_LL_REMOVE_DIR = 1u << 4,
	PL_LL_REMOVE_FILE = 1u << 5,
	PL_LL_MAKE_CHAR = 1u << 6,
	PL_LL_MAKE_DIR = 1u << 7,
	PL_LL_MAKE_REG = 1u << 8,
	PL_LL_MAKE_SOCK = 1u << 9,
	PL_LL_MAKE_FIFO = 1u << 10,
	PL_LL_MAKE_BLOCK = 1u << 11,
	PL_LL_MAKE_SYM = 1u << 12,
	PL_LL_REFER = 1u << 13,     /* ABI 2 */
	PL_LL_TRUNCATE = 1u << 14,  /* ABI 3 */
	PL_LL_IOCTL_DEV = 1u << 15, /* ABI 5 */
};

struct pl_ll_path {
	char *path;
	uint32_t access; /* PL_LL_* */
	struct pl_pos pos;
};

struct pl_landlock {
	bool present;
	struct pl_ll_path *paths;
	size_t n_paths;
	bool restrict_net; /* any network list given: deny the rest */
	uint16_t *bind_tcp;
	size_t n_bind_tcp;
	uint16_t *connect_tcp;
	size_t n_connect_tcp;
	bool scope_abstract_unix; /* ABI 6 */
	bool scope_signal;        /* ABI 6 */
	struct pl_pos pos;
};

struct pl_policy {
	enum pl_policy_kind kind;
	char *name;
	char *namespace_;
	struct pl_pos pos; /* of the document */
	struct pl_target target;
	bool update_existing_workloads;
	uint32_t enforcers; /* PL_ENF_* */
	char *enforcer_text;
	enum pl_mode mode;
	struct pl_enhance enhance;
	uint32_t modeling_duration; /* minutes; 0 when absent */
	struct pl_dind dind;
	struct pl_landlock landlock;
	/* Policy-wide default action for built-in rules (from the two flags). */
	enum pl_action default_action;
	/* spec.plastron.allowUnenforced: plastrond loads the policy even when
	 * some rules have no active mechanism (status lists them). */
	bool allow_unenforced;
	/* spec.policy.networkProxyConfig: validated, not enforced by plastron */
	bool has_network_proxy_config;
	struct pl_pos network_proxy_config_pos;
	/* Syscall names this build does not know, skipped (each with a warning)
	 * from syscallRawRules and the seccomp customProfile, in file order;
	 * `plastron explain` and `plastron compile` list them. */
	struct pl_sc_skipped *skipped_syscalls;
	size_t n_skipped_syscalls;
};

struct pl_policy_set {
	struct pl_policy **policies;
	size_t n;
	struct pl_arena *arena;
};

/*
 * Load policies from a file ("-" = stdin). YAML or JSON is chosen from the
 * content. Several documents per file. On failure returns a negative errno,
 * fills `diag` with every error found, and leaves *ret untouched.
 */
int pl_policy_set_load(const char *path, struct pl_policy_set **ret, struct pl_diag *diag);
/* Same, from memory; `name` is used in diagnostics. */
int pl_policy_set_load_buffer(const char *name, const char *buf, size_t len,
			      struct pl_policy_set **ret, struct pl_diag *diag);
void pl_policy_set_free(struct pl_policy_set *s); /* NULL-safe */
static inline void
pl_policy_set_freep(struct pl_policy_set **p) /* for _cleanup_ (shared/macro.h) */
{
	pl_policy_set_free(*p);
	*p = NULL;
}

/* Readable dump of the compiled model (used by `plastron explain` and the
 * golden tests). Deterministic. */
int pl_policy_dump(const struct pl_policy *p, FILE *out);

const char *pl_mode_name(enum pl_mode m);     /* "EnhanceProtect" */
const char *pl_action_name(enum pl_action a); /* "deny", "deny+log", "allow+log" */
const char *pl_policy_kind_name(enum pl_policy_kind k);

/* Socket domain names as vArmor writes them (lower-case AF_* without the
 * prefix: "unix", "inet6", ...; 44 of them) and socket type names ("stream",
 * "dgram", ...). NULL / -ENOENT when unknown. */
const char *pl_af_name(int af);
int pl_af_from_name(const char *name);
const char *pl_sock_type_name(int type);
int pl_sock_type_from_name(const char *name);

/* Syscalls newer than libseccomp 2.5.4's tables that syscallRawRules accept
 * anyway: the x86_64 number, or -ENOENT when `name` is not one of them. Callers
 * that build filters use it when seccomp_syscall_resolve_name() fails. */
int pl_syscall_extra_nr(const char *name);

#ifdef __cplusplus
}
#endif
