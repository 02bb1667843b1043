/* SPDX-License-Identifier: Apache-2.0 */
/* Name tables of the policy model: modes, actions, kinds, socket domains and
 * types, permission words, the syscall names this build knows. */
#include "names.h"

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>

#include "plastron/policy.h"
#include "shared/macro.h"

PL_EXPORT const char *pl_mode_name(enum pl_mode m)
{
	switch (m) {
	case PL_MODE_ALWAYS_ALLOW:
		return "AlwaysAllow";
	case PL_MODE_RUNTIME_DEFAULT:
		return "RuntimeDefault";
	case PL_MODE_ENHANCE_PROTECT:
		return "EnhanceProtect";
	case PL_MODE_BEHAVIOR_MODELING:
		return "BehaviorModeling";
	case PL_MODE_DEFENSE_IN_DEPTH:
		return "DefenseInDepth";
	}
	return "unknown";
}

PL_EXPORT const char *pl_action_name(enum pl_action a)
{
	switch (a) {
	case PL_ACTION_DENY:
		return "deny";
	case PL_ACTION_DENY_LOG:
		return "deny+log";
	case PL_ACTION_ALLOW_LOG:
		return "allow+log";
	}
	return "unknown";
}

PL_EXPORT const char *pl_policy_kind_name(enum pl_policy_kind k)
{
	switch (k) {
	case PL_KIND_VARMOR_POLICY:
		return "VarmorPolicy";
	case PL_KIND_VARMOR_CLUSTER_POLICY:
		return "VarmorClusterPolicy";
	}
	return "unknown";
}

/* vArmor's 44 socket domains: lower-case AF_* names, indexed by number. */
static const char *const af_names[] = {
	[AF_UNIX] = "unix",
	[AF_INET] = "inet",
	[AF_AX25] = "ax25",
	[AF_IPX] = "ipx",
	[AF_APPLETALK] = "appletalk",
	[AF_NETROM] = "netrom",
	[AF_BRIDGE] = "bridge",
	[AF_ATMPVC] = "atmpvc",
	[AF_X25] = "x25",
	[AF_INET6] = "inet6",
	[AF_ROSE] = "rose",
	[AF_NETBEUI] = "netbeui",
	[AF_SECURITY] = "security",
	[AF_KEY] = "key",
	[AF_NETLINK] = "netlink",
	[AF_PACKET] = "packet",
	[AF_ASH] = "ash",
	[AF_ECONET] = "econet",
	[AF_ATMSVC] = "atmsvc",
	[AF_RDS] = "rds",
	[AF_SNA] = "sna",
	[AF_IRDA] = "irda",
	[AF_PPPOX] = "pppox",
	[AF_WANPIPE] = "wanpipe",
	[AF_LLC] = "llc",
	[AF_IB] = "ib",
	[AF_MPLS] = "mpls",
	[AF_CAN] = "can",
	[AF_TIPC] = "tipc",
	[AF_BLUETOOTH] = "bluetooth",
	[AF_IUCV] = "iucv",
	[AF_RXRPC] = "rxrpc",
	[AF_ISDN] = "isdn",
	[AF_PHONET] = "phonet",
	[AF_IEEE802154] = "ieee802154",
	[AF_CAIF] = "caif",
	[AF_ALG] = "alg",
	[AF_NFC] = "nfc",
	[AF_VSOCK] = "vsock",
	[AF_KCM] = "kcm",
	[AF_QIPCRTR] = "qipcrtr",
	[AF_SMC] = "smc",
	[44] = "xdp",  /* AF_XDP */
	[45] = "mctp", /* AF_MCTP */
};

PL_EXPORT const char *pl_af_name(int af)
{
	if (af < 0 || (size_t)af >= PL_ARRAY_SIZE(af_names))
		return NULL;
	return af_names[af];
}

PL_EXPORT int pl_af_from_name(const char *name)
{
	for (size_t i = 0; i < PL_ARRAY_SIZE(af_names); i++)
		if (af_names[i] && !strcmp(af_names[i], name))
			return (int)i;
	return -ENOENT;
}

size_t pl_af_names(const char **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < PL_ARRAY_SIZE(af_names) && n < max; i++)
		if (af_names[i])
			out[n++] = af_names[i];
	return n;
}

static const char *const sock_names[] = {
	[SOCK_STREAM] = "stream", [SOCK_DGRAM] = "dgram",         [SOCK_RAW] = "raw",
	[SOCK_RDM] = "rdm",       [SOCK_SEQPACKET] = "seqpacket", [SOCK_DCCP] = "dccp",
	[SOCK_PACKET] = "packet",
};

PL_EXPORT const char *pl_sock_type_name(int type)
{
	if (type < 0 || (size_t)type >= PL_ARRAY_SIZE(sock_names))
		return NULL;
	return sock_names[type];
}

PL_EXPORT int pl_sock_type_from_name(const char *name)
{
	for (size_t i = 0; i < PL_ARRAY_SIZE(sock_names); i++)
		if (sock_names[i] && !strcmp(sock_names[i], name))
			return (int)i;
	return -ENOENT;
}

size_t pl_sock_type_names(const char **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < PL_ARRAY_SIZE(sock_names) && n < max; i++)
		if (sock_names[i])
			out[n++] = sock_names[i];
	return n;
}

const struct pl_word pl_proto_words[] = {
	{ "all", 0, 0 },
	{ "*", 0, 0 },
	{ "icmp", PL_PROTO_ICMP, 0 },
	{ "tcp", PL_PROTO_TCP, 0 },
	{ "udp", PL_PROTO_UDP, 0 },
	{ NULL, 0, 0 },
};

const struct pl_word pl_file_perm_words[] = {
	{ "all", PL_PERM_READ | PL_PERM_WRITE | PL_PERM_APPEND | PL_PERM_EXEC, 0 },
	{ "*", PL_PERM_READ | PL_PERM_WRITE | PL_PERM_APPEND | PL_PERM_EXEC, 0 },
	{ "read", PL_PERM_READ, 0 },
	{ "r", PL_PERM_READ, 0 },
	{ "write", PL_PERM_WRITE | PL_PERM_APPEND, 0 }, /* write implies append (vArmor) */
	{ "w", PL_PERM_WRITE | PL_PERM_APPEND, 0 },
	{ "append", PL_PERM_APPEND, 0 },
	{ "a", PL_PERM_APPEND, 0 },
	{ "exec", PL_PERM_EXEC, 0 },
	{ "x", PL_PERM_EXEC, 0 },
	{ NULL, 0, 0 },
};

const struct pl_word pl_ptrace_perm_words[] = {
	{ "all", PL_PTRACE_TRACE | PL_PTRACE_READ | PL_PTRACE_TRACEBY | PL_PTRACE_READBY, 0 },
	{ "*", PL_PTRACE_TRACE | PL_PTRACE_READ | PL_PTRACE_TRACEBY | PL_PTRACE_READBY, 0 },
	{ "trace", PL_PTRACE_TRACE, 0 },
	{ "read", PL_PTRACE_READ, 0 },
	{ "traceby", PL_PTRACE_TRACEBY, 0 },
	{ "readby", PL_PTRACE_READBY, 0 },
	{ NULL, 0, 0 },
};

/* AppArmor's mount flag vocabulary. `bits` match when set in the mount flags;
 * `reverse` when absent ("rw" = MS_RDONLY absent). */
const struct pl_word pl_mount_flag_words[] = {
	{ "all", 0xffffffffu, 0 },
	{ "*", 0xffffffffu, 0 },
	{ "ro", MS_RDONLY, 0 },
	{ "r", MS_RDONLY, 0 },
	{ "read-only", MS_RDONLY, 0 },
	{ "rw", 0, MS_RDONLY },
	{ "w", 0, MS_RDONLY },
	{ "suid", 0, MS_NOSUID },
	{ "nosuid", MS_NOSUID, 0 },
	{ "dev", 0, MS_NODEV },
	{ "nodev", MS_NODEV, 0 },
	{ "exec", 0, MS_NOEXEC },
	{ "noexec", MS_NOEXEC, 0 },
	{ "sync", MS_SYNCHRONOUS, 0 },
	{ "async", 0, MS_SYNCHRONOUS },
	{ "mand", MS_MANDLOCK, 0 },
	{ "nomand", 0, MS_MANDLOCK },
	{ "dirsync", MS_DIRSYNC, 0 },
	{ "atime", 0, MS_NOATIME },
	{ "noatime", MS_NOATIME, 0 },
	{ "diratime", 0, MS_NODIRATIME },
	{ "nodiratime", MS_NODIRATIME, 0 },
	{ "silent", MS_SILENT, 0 },
	{ "loud", 0, MS_SILENT },
	{ "relatime", MS_RELATIME, 0 },
	{ "norelatime", 0, MS_RELATIME },
	{ "iversion", MS_I_VERSION, 0 },
	{ "noiversion", 0, MS_I_VERSION },
	{ "strictatime", MS_STRICTATIME, 0 },
	{ "nostrictatime", 0, MS_STRICTATIME },
	{ "remount", MS_REMOUNT, 0 },
	{ "bind", MS_BIND, 0 },
	{ "B", MS_BIND, 0 },
	{ "move", MS_MOVE, 0 },
	{ "M", MS_MOVE, 0 },
	{ "rbind", MS_BIND | MS_REC, 0 },
	{ "R", MS_BIND | MS_REC, 0 },
	{ "make-unbindable", MS_UNBINDABLE, 0 },
	{ "unbindable", MS_UNBINDABLE, 0 },
	{ "make-private", MS_PRIVATE, 0 },
	{ "private", MS_PRIVATE, 0 },
	{ "make-slave", MS_SLAVE, 0 },
	{ "slave", MS_SLAVE, 0 },
	{ "make-shared", MS_SHARED, 0 },
	{ "shared", MS_SHARED, 0 },
	{ "make-runbindable", MS_UNBINDABLE | MS_REC, 0 },
	{ "make-rprivate", MS_PRIVATE | MS_REC, 0 },
	{ "make-rslave", MS_SLAVE | MS_REC, 0 },
	{ "make-rshared", MS_SHARED | MS_REC, 0 },
	{ "umount", 0, 0 }, /* sets pl_mount_rule.umount */
	{ NULL, 0, 0 },
};

#define LL_READ (PL_LL_READ_FILE | PL_LL_READ_DIR)
#define LL_WRITE                                                                    \
	(PL_LL_WRITE_FILE | PL_LL_REMOVE_DIR | PL_LL_REMOVE_FILE | PL_LL_MAKE_DIR | \
	 PL_LL_MAKE_REG | PL_LL_MAKE_SOCK | PL_LL_MAKE_FIFO | PL_LL_MAKE_SYM | PL_LL_TRUNCATE)

const struct pl_word pl_ll_access_words[] = {
	{ "execute", PL_LL_EXECUTE, 0 },
	{ "write_file", PL_LL_WRITE_FILE, 0 },
	{ "read_file", PL_LL_READ_FILE, 0 },
	{ "read_dir", PL_LL_READ_DIR, 0 },
	{ "remove_dir", PL_LL_REMOVE_DIR, 0 },
	{ "remove_file", PL_LL_REMOVE_FILE, 0 },
	{ "make_char", PL_LL_MAKE_CHAR, 0 },
	{ "make_dir", PL_LL_MAKE_DIR, 0 },
	{ "make_reg", PL_LL_MAKE_REG, 0 },
	{ "make_sock", PL_LL_MAKE_SOCK, 0 },
	{ "make_fifo", PL_LL_MAKE_FIFO, 0 },
	{ "make_block", PL_LL_MAKE_BLOCK, 0 },
	{ "make_sym", PL_LL_MAKE_SYM, 0 },
	{ "refer", PL_LL_REFER, 0 },
	{ "truncate", PL_LL_TRUNCATE, 0 },
	{ "ioctl_dev", PL_LL_IOCTL_DEV, 0 },
	/* shorthands */
	{ "read", LL_READ, 0 },
	{ "write", LL_WRITE, 0 },
	{ "exec", PL_LL_EXECUTE, 0 },
	{ NULL, 0, 0 },
};

bool pl_name_in(const char *const *list, const char *s)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

const struct pl_word *pl_word_find(const struct pl_word *table, const char *s)
{
	for (const struct pl_word *w = table; w->name; w++)
		if (!strcmp(w->name, s))
			return w;
	return NULL;
}

const char *pl_word_suggest(const struct pl_word *table, const char *s)
{
	const char *cand[128];
	size_t n = 0;
	for (const struct pl_word *w = table; w->name && n < PL_ARRAY_SIZE(cand); w++)
		cand[n++] = w->name;
	return n ? pl_suggest(s, cand, n) : NULL;
}

/* Syscalls newer than libseccomp 2.5.4's tables, with their x86_64 numbers.
 * Accepted in syscallRawRules when libseccomp cannot resolve them. */
static const struct {
	const char *name;
	int nr;
} extra_syscalls[] = {
	{ "uretprobe", 335 },
	{ "cachestat", 451 },
	{ "fchmodat2", 452 },
	{ "map_shadow_stack", 453 },
	{ "futex_wake", 454 },
	{ "futex_wait", 455 },
	{ "futex_requeue", 456 },
	{ "statmount", 457 },
	{ "listmount", 458 },
	{ "lsm_get_self_attr", 459 },
	{ "lsm_set_self_attr", 460 },
	{ "lsm_list_modules", 461 },
	{ "mseal", 462 },
	{ "setxattrat", 463 },
	{ "getxattrat", 464 },
	{ "listxattrat", 465 },
	{ "removexattrat", 466 },
	{ "open_tree_attr", 467 },
	{ "file_getattr", 468 },
	{ "file_setattr", 469 },
};

PL_EXPORT int pl_syscall_extra_nr(const char *name)
{
	for (size_t i = 0; i < PL_ARRAY_SIZE(extra_syscalls); i++)
		if (!strcmp(extra_syscalls[i].name, name))
			return extra_syscalls[i].nr;
	return -ENOENT;
}

/* ---- syscall names this build knows ------------------------------------ */

bool pl_syscall_known(const char *name)
{
	/* libseccomp's table covers every architecture: a name of another one
	 * (arm_fadvise64_64) resolves to a negative pseudo-number, not to
	 * __NR_SCMP_ERROR */
	return name && *name &&
	       (seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR ||
		pl_syscall_extra_nr(name) >= 0);
}

bool pl_syscall_suggest(const char *name, char *buf, size_t len)
{
	enum { MAX_NR = 512 };
	char *lib[MAX_NR];
	const char *cand[MAX_NR + PL_ARRAY_SIZE(extra_syscalls)];
	size_t n_lib = 0, n = 0;
	for (int nr = 0; nr < MAX_NR; nr++) {
		char *s = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		if (s)
			cand[n++] = lib[n_lib++] = s;
	}
	for (size_t i = 0; i < PL_ARRAY_SIZE(extra_syscalls); i++)
		cand[n++] = extra_syscalls[i].name;
	const char *s = name ? pl_suggest(name, cand, n) : NULL;
	bool found = s && len && snprintf(buf, len, "%s", s) < (int)len;
	for (size_t i = 0; i < n_lib; i++)
		free(lib[i]);
	return found;
}
