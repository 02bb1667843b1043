/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The built-in rule catalog: every vArmor built-in rule and alias, as static
 * tables. Each rule carries help text and one translation per mechanism
 * that can express it, with a fidelity saying how close that translation
 * is to the rule's intent.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plastron/seccomp.h"

#ifdef __cplusplus
extern "C" {
#endif

enum pl_category {
	PL_CAT_HARDENING,
	PL_CAT_ATTACK_PROTECTION,
	PL_CAT_VUL_MITIGATION,
	PL_CAT__MAX,
};

/* The concrete kernel mechanisms plastron generates for. */
enum pl_mech {
	PL_MECH_SECCOMP,    /* seccomp filter / OCI linux.seccomp */
	PL_MECH_CAPS,       /* capability bounding set (and OCI process.capabilities) */
	PL_MECH_LANDLOCK,   /* Landlock ruleset */
	PL_MECH_APPARMOR,   /* AppArmor profile text */
	PL_MECH_CGROUP_BPF, /* cgroup-BPF: sock_create, connect/sendmsg, sysctl, dev (plastrond) */
	PL_MECH_BPF_LSM,    /* BPF-LSM file/exec/mount/ptrace hooks (plastrond, later) */
	PL_MECH__MAX,
};

enum pl_fidelity {
	PL_FID_EXACT,    /* denies what the rule means, no more, no less */
	PL_FID_BROADER,  /* also denies things the rule does not name (see note) */
	PL_FID_NARROWER, /* covers only part of the rule's intent (see note) */
};

/* --- seccomp ------------------------------------------------------------ */
/* One seccomp rule: `syscall` with up to 3 AND-ed argument conditions.
 * Several entries for one rule are OR-ed. errno_ret 0 means EPERM. */
struct pl_tr_sc_rule {
	const char *syscall;
	int errno_ret;
	uint8_t n_args;
	struct pl_sc_arg args[3];
};

/* --- AppArmor ----------------------------------------------------------- */
/* Lines without the audit/deny prefix and without the trailing comma,
 * e.g. "/proc/sys/kernel/core_pattern w". NULL-terminated. */
struct pl_tr_apparmor {
	const char *const *lines;
};

/* --- file / exec patterns (BPF-LSM, fanotify) -------------------------- */
enum pl_perm {
	PL_PERM_READ = 1u << 0,
	PL_PERM_WRITE = 1u << 1,
	PL_PERM_APPEND = 1u << 2,
	PL_PERM_EXEC = 1u << 3,
};
struct pl_tr_path {
	const char *pattern; /* glob: * within a component, ** across, ? */
	uint32_t perms;
};

/* --- cgroup-BPF --------------------------------------------------------- */
struct pl_tr_socket {
	uint64_t domains;   /* bit per AF_* number; 0 = any */
	uint32_t types;     /* bit per SOCK_* number; 0 = any */
	uint32_t protocols; /* PL_PROTO_* bits; 0 = any */
};
enum { PL_PROTO_ICMP = 1u << 0, PL_PROTO_TCP = 1u << 1, PL_PROTO_UDP = 1u << 2 };

struct pl_tr_egress {
	const char *cidr;        /* "169.254.169.254/32", "fd00:ec2::254/128" */
	uint16_t port, end_port; /* 0,0 = all ports */
};

struct pl_tr_device {
	char type;          /* 'b', 'c' or 'a' */
	int32_t major;      /* -1 = any */
	int32_t minor;      /* -1 = any */
	const char *access; /* "rwm" subset */
	bool host_disks;    /* expand to each device in the host's /proc/partitions */
};

struct pl_tr_mount {
	const char *fstype; /* NULL = any; seccomp cannot see it */
	const char *source; /* glob or NULL */
	const char *target; /* glob or NULL */
	uint32_t flags;     /* MS_* that must be set, 0 = any */
	bool umount;
};

struct pl_translation {
	enum pl_mech mech;
	enum pl_fidelity fidelity;
	const char *note; /* why broader/narrower; NULL when exact */
	union {
		struct {
			const struct pl_tr_sc_rule *rules;
			size_t n;
		} seccomp;
		struct {
			uint64_t drop; /* bit per CAP_* number */
		} caps;
		struct pl_tr_apparmor apparmor;
		struct {
			/* cgroup-BPF: any of these may be set */
			const struct pl_tr_socket *sockets;
			size_t n_sockets;
			const struct pl_tr_egress *egress;
			size_t n_egress;
			/* names like "kernel/core_pattern", NULL-terminated */
			const char *const *sysctl_write;
			const struct pl_tr_device *devices;
			size_t n_devices;
		} cgroup;
		struct {
			const struct pl_tr_path *paths;
			size_t n_paths;
			const struct pl_tr_mount *mounts;
			size_t n_mounts;
			uint64_t caps; /* capable() hook */
		} lsm;
	} u;
};

enum pl_rule_flags {
	PL_RULE_APPARMOR_TARGETS = 1u << 0, /* honours attackProtectionRules targets */
	PL_RULE_PRIVILEGED_ONLY = 1u << 1,  /* meaningful only with privileged: true */
	PL_RULE_NEEDS_K8S = 1u << 2,        /* resolved from the Kubernetes API (service IPs) */
	PL_RULE_EXTENSION = 1u << 3,        /* plastron's own: vArmor has no such rule */
};

struct pl_rule {
	const char *id;
	enum pl_category category;
	const char *help;
	uint32_t flags;
	/* How the rule's meaning differs from vArmor's rule of the same id, on
	 * purpose; NULL when it means the same (explain and `rules` show it). */
	const char *vs_varmor;
	const struct pl_translation *tr;
	size_t n_tr;
};

struct pl_rule_alias {
	const char *alias;
	const char *id;
};

/* The whole catalog, sorted by id. */
const struct pl_rule *pl_catalog_rules(size_t *n);
const struct pl_rule_alias *pl_catalog_aliases(size_t *n);
/* Find by id or alias; the id is normalised first (lower case, '_' → '-').
 * Returns NULL when unknown. */
const struct pl_rule *pl_catalog_find(const char *id_or_alias);
/* Translation of `r` for `mech`, or NULL. */
const struct pl_translation *pl_rule_translation(const struct pl_rule *r, enum pl_mech mech);

const char *pl_category_name(enum pl_category c); /* "hardening", ... */
const char *pl_mech_name(enum pl_mech m);         /* "seccomp", "caps", ... */
const char *pl_fidelity_name(enum pl_fidelity f); /* "exact", "broader", "narrower" */

/* Capabilities: "chown" / "CAP_CHOWN" / "sys-admin" → number; -ENOENT
 * unknown, -EINVAL for NULL. */
int pl_cap_from_name(const char *name);
const char *pl_cap_name(int cap); /* "CAP_SYS_ADMIN" */
#define PL_CAP_LAST 40            /* CAP_CHECKPOINT_RESTORE */

#ifdef __cplusplus
}
#endif
