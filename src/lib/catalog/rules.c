/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The built-in rule catalog: every vArmor built-in rule, sorted by id.
 * Each rule carries one translation per mechanism that can express it.
 */
#include <errno.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "catalog-internal.h"
#include "shared/macro.h"

#define LIST(T, ...) ((const T[]){ __VA_ARGS__ })
#define N_OF(T, ...) (sizeof((const T[]){ __VA_ARGS__ }) / sizeof(T))

#define TR(mech_, fid_, note_, ...)                                                            \
	{                                                                                      \
		.mech = PL_MECH_##mech_, .fidelity = PL_FID_##fid_, .note = note_, __VA_ARGS__ \
	}
#define SYSCALLS(...)                                           \
	.u.seccomp = { LIST(struct pl_tr_sc_rule, __VA_ARGS__), \
		       N_OF(struct pl_tr_sc_rule, __VA_ARGS__) }
#define DROP(mask) .u.caps.drop = (mask)
#define STRV(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define LINES(...) .u.apparmor.lines = STRV(__VA_ARGS__)
#define PATHS(...)                                           \
	.u.lsm.paths = LIST(struct pl_tr_path, __VA_ARGS__), \
	.u.lsm.n_paths = N_OF(struct pl_tr_path, __VA_ARGS__)
#define MOUNTS(...)                                            \
	.u.lsm.mounts = LIST(struct pl_tr_mount, __VA_ARGS__), \
	.u.lsm.n_mounts = N_OF(struct pl_tr_mount, __VA_ARGS__)
#define LSM_CAPS(mask) .u.lsm.caps = (mask)
#define SOCKETS(...)                                                \
	.u.cgroup.sockets = LIST(struct pl_tr_socket, __VA_ARGS__), \
	.u.cgroup.n_sockets = N_OF(struct pl_tr_socket, __VA_ARGS__)
#define EGRESS(...)                                                \
	.u.cgroup.egress = LIST(struct pl_tr_egress, __VA_ARGS__), \
	.u.cgroup.n_egress = N_OF(struct pl_tr_egress, __VA_ARGS__)
#define SYSCTL(...) .u.cgroup.sysctl_write = STRV(__VA_ARGS__)
#define DEVICES(...)                                                \
	.u.cgroup.devices = LIST(struct pl_tr_device, __VA_ARGS__), \
	.u.cgroup.n_devices = N_OF(struct pl_tr_device, __VA_ARGS__)

/* seccomp entries and argument conditions */
#define SC(name)                \
	{                       \
		.syscall = name \
	}
#define SC_ERR(name, err)                         \
	{                                         \
		.syscall = name, .errno_ret = err \
	}
#define SC1(name, a)                                        \
	{                                                   \
		.syscall = name, .n_args = 1, .args = { a } \
	}
#define SC2(name, a, b)                                        \
	{                                                      \
		.syscall = name, .n_args = 2, .args = { a, b } \
	}
#define SC3(name, a, b, c)                                        \
	{                                                         \
		.syscall = name, .n_args = 3, .args = { a, b, c } \
	}
/*
 * An int argument equals v. The kernel reads only the low 32 bits of an int
 * argument while seccomp sees the whole 64-bit register, so a plain
 * SCMP_CMP_EQ would let socket(0x100000026, ...) pass a deny on AF_ALG (38).
 * (a & 0xffffffff) == v matches whatever the upper bits hold; on ia32
 * arguments are 32 bits anyway. Every deny condition on an int argument
 * uses it.
 */
#define INT_EQ(i, v) MASKED(i, 0xffffffffull, v)
/* (arg & mask) == v; OCI puts the mask in `value` and the datum in `valueTwo`. */
#define MASKED(i, mask, v)                                                              \
	{                                                                               \
		.index = i, .value = (mask), .value_two = (v), .op = PL_SC_OP_MASKED_EQ \
	}

#define CAP(c) (1ull << CAP_##c)

#define RULE_VS(id_, cat_, flags_, vs_, help_, ...)                                   \
	{                                                                             \
		.id = id_, .category = PL_CAT_##cat_, .help = help_, .flags = flags_, \
		.vs_varmor = vs_, .tr = LIST(struct pl_translation, __VA_ARGS__),     \
		.n_tr = N_OF(struct pl_translation, __VA_ARGS__)                      \
	}
#define RULE(id_, cat_, flags_, help_, ...) RULE_VS(id_, cat_, flags_, NULL, help_, __VA_ARGS__)

#ifndef CLONE_NEWUSER
#define CLONE_NEWUSER 0x10000000
#endif
#ifndef SO_ATTACH_FILTER
#define SO_ATTACH_FILTER 26
#endif
#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif
#ifndef AF_ALG
#define AF_ALG 38
#endif
#define PL_BPF_PROG_LOAD 5            /* enum bpf_cmd */
#define PL_OPEN_TREE_CLONE 1          /* open_tree(2) */
#define PL_USERFAULTFD_IOC_NEW 0xaa00 /* _IO(0xAA, 0x00), /dev/userfaultfd */
#define SOCK_TYPE_MASK 0xf            /* strips SOCK_NONBLOCK / SOCK_CLOEXEC */

/* One capability: bounding set, AppArmor and the BPF-LSM capable hook. */
#define CAP_RULE(id_, c, aa_name, what)                               \
	RULE(id_, HARDENING, 0, "Deny CAP_" #c " (" what ").",        \
	     TR(CAPS, EXACT, NULL, DROP(CAP(c))),                     \
	     TR(APPARMOR, EXACT, NULL, LINES("capability " aa_name)), \
	     TR(BPF_LSM, EXACT, NULL, LSM_CAPS(CAP(c))))

#define ALL_CAPS ((1ull << (PL_CAP_LAST + 1)) - 1)
/* Everything outside containerd's default capability set. */
#define PRIVILEGED_CAPS                                                                            \
	(CAP(DAC_READ_SEARCH) | CAP(LINUX_IMMUTABLE) | CAP(NET_BROADCAST) | CAP(NET_ADMIN) |       \
	 CAP(IPC_LOCK) | CAP(IPC_OWNER) | CAP(SYS_MODULE) | CAP(SYS_RAWIO) | CAP(SYS_PTRACE) |     \
	 CAP(SYS_PACCT) | CAP(SYS_ADMIN) | CAP(SYS_BOOT) | CAP(SYS_NICE) | CAP(SYS_RESOURCE) |     \
	 CAP(SYS_TIME) | CAP(SYS_TTY_CONFIG) | CAP(LEASE) | CAP(AUDIT_CONTROL) |                   \
	 CAP(MAC_OVERRIDE) | CAP(MAC_ADMIN) | CAP(SYSLOG) | CAP(WAKE_ALARM) | CAP(BLOCK_SUSPEND) | \
	 CAP(AUDIT_READ) | CAP(PERFMON) | CAP(BPF) | CAP(CHECKPOINT_RESTORE))
#define AA_ALL_CAPS_EXCEPT_NBS                                                                     \
	"capability chown dac_override dac_read_search fowner fsetid kill setgid setuid setpcap "  \
	"linux_immutable net_broadcast net_admin net_raw ipc_lock ipc_owner sys_module sys_rawio " \
	"sys_chroot sys_ptrace sys_pacct sys_admin sys_boot sys_nice sys_resource sys_time "       \
	"sys_tty_config mknod lease audit_write audit_control setfcap mac_override mac_admin "     \
	"syslog wake_alarm block_suspend audit_read perfmon bpf checkpoint_restore"
#define AA_PRIVILEGED_CAPS                                                                       \
	"capability dac_read_search linux_immutable net_broadcast net_admin ipc_lock ipc_owner " \
	"sys_module sys_rawio sys_ptrace sys_pacct sys_admin sys_boot sys_nice sys_resource "    \
	"sys_time sys_tty_config lease audit_control mac_override mac_admin syslog wake_alarm "  \
	"block_suspend audit_read perfmon bpf checkpoint_restore"

/* Every syscall that creates, changes or moves a mount. */
#define MOUNT_FAMILY                                                                              \
	SC("mount"), SC("fsopen"), SC("fspick"), SC("fsconfig"), SC("fsmount"), SC("move_mount"), \
	    SC1("open_tree", MASKED(2, PL_OPEN_TREE_CLONE, PL_OPEN_TREE_CLONE)),                  \
	    SC("mount_setattr")
/* ... and every unmount (ia32 also has the old umount). */
#define UMOUNT_FAMILY SC("umount2"), SC("umount")

#define NOTE_FSTYPE                                                                              \
	"seccomp cannot read the filesystem type or paths (they are behind pointers), so every " \
	"mount, fsopen/fsmount, move_mount, open_tree(OPEN_TREE_CLONE) and mount_setattr is "    \
	"denied"
#define NOTE_SYS_ADMIN_MOUNT                                                                       \
	"mounting needs CAP_SYS_ADMIN, so dropping it blocks every mount in the container's user " \
	"namespace, together with every other CAP_SYS_ADMIN operation; a new user namespace gets " \
	"a full capability set again (combine with disallow-create-user-ns)"
#define NOTE_SOCKETCALL                                                                        \
	"on ia32 the socket calls can also be made through socketcall(), whose arguments are " \
	"behind a pointer, so socketcall is denied outright there (x86_64 and x32 are exact)"
#define NOTE_NO_CGROUP_SOCK "cgroup sock_create only sees AF_INET and AF_INET6 sockets"
#define NOTE_DISK_PATTERN                                                                          \
	"a static list of Linux disk device names (sd, vd, xvd, hd, nvme, mmcblk, dm, md) stands " \
	"for the host's /proc/partitions; block devices with other names are not covered"
#define NOTE_K8S_RESOLVE                                                                       \
	"the addresses come from the Kubernetes API (Service ClusterIPs and EndpointSlices); " \
	"resolution is deferred to plastrond, so until a resolver exists this translation "    \
	"carries "                                                                             \
	"no addresses and the rule is reported as unenforced"

/*
 * Exec rules, as vArmor writes them: AppArmor denies `rx` (reading the
 * binary too, so it cannot be copied to a name the rule does not cover),
 * BPF-LSM denies exec only, as vArmor's BPF enforcer does.
 */
#define NOTE_EXEC_ONLY                                                                      \
	"exec only, as vArmor's BPF enforcer: reading the binary stays allowed, so a copy " \
	"under a name the rule does not cover still runs"
#define EXEC_RULE(id_, help_, aa_lines, lsm_paths)                    \
	RULE(id_, ATTACK_PROTECTION, PL_RULE_APPARMOR_TARGETS, help_, \
	     TR(APPARMOR, EXACT, NULL, aa_lines),                     \
	     TR(BPF_LSM, NARROWER, NOTE_EXEC_ONLY, lsm_paths))
#define X_ (PL_PERM_EXEC)

#define P_RWA (PL_PERM_READ | PL_PERM_WRITE | PL_PERM_APPEND)
#define P_WA (PL_PERM_WRITE | PL_PERM_APPEND)

const struct pl_rule pl_catalog_table[] = {
	RULE("block-access-to-alibaba-metadata-service", ATTACK_PROTECTION, 0,
	     "Block connections to the Alibaba Cloud instance metadata service (100.100.100.200).",
	     TR(CGROUP_BPF, EXACT, NULL, EGRESS({ "100.100.100.200/32", 0, 0 }))),
	RULE("block-access-to-aws-metadata-service", ATTACK_PROTECTION, 0,
	     "Block connections to the AWS/GCP/Azure/OpenStack instance metadata service "
	     "(169.254.169.254 and the IPv6 EC2 endpoint fd00:ec2::254).",
	     TR(CGROUP_BPF, EXACT, NULL,
		EGRESS({ "169.254.169.254/32", 0, 0 }, { "fd00:ec2::254/128", 0, 0 }))),
	RULE("block-access-to-container-runtime", ATTACK_PROTECTION, PL_RULE_APPARMOR_TARGETS,
	     "Deny opening the containerd, Docker and CRI-O API sockets (any path ending in "
	     "containerd.sock, docker.sock or crio.sock).",
	     TR(APPARMOR, EXACT, NULL,
		LINES("/**/containerd.sock rw", "/**/docker.sock rw", "/**/crio.sock rw")),
	     TR(BPF_LSM, EXACT, NULL,
		PATHS({ "/**/containerd.sock", P_RWA }, { "/**/docker.sock", P_RWA },
		      { "/**/crio.sock", P_RWA }))),
	RULE("block-access-to-kube-apiserver", ATTACK_PROTECTION, PL_RULE_NEEDS_K8S,
	     "Block connections to the Kubernetes API server (the ClusterIPs of default/kubernetes "
	     "and its endpoints).",
	     TR(CGROUP_BPF, NARROWER, NOTE_K8S_RESOLVE, .u.cgroup.n_egress = 0)),
	RULE("block-access-to-metadata-service", ATTACK_PROTECTION, 0,
	     "Block connections to the common cloud instance metadata services (169.254.169.254, "
	     "fd00:ec2::254 and 100.96.0.96).",
	     TR(CGROUP_BPF, EXACT, NULL,
		EGRESS({ "169.254.169.254/32", 0, 0 }, { "fd00:ec2::254/128", 0, 0 },
		       { "100.96.0.96/32", 0, 0 }))),
	RULE("block-access-to-oci-metadata-service", ATTACK_PROTECTION, 0,
	     "Block connections to the Oracle Cloud Infrastructure metadata service (192.0.0.192).",
	     TR(CGROUP_BPF, EXACT, NULL, EGRESS({ "192.0.0.192/32", 0, 0 }))),
	RULE("block-access-to-volc-metadata-service", ATTACK_PROTECTION, 0,
	     "Block connections to the Volcano Engine / BytePlus metadata service (100.96.0.96).",
	     TR(CGROUP_BPF, EXACT, NULL, EGRESS({ "100.96.0.96/32", 0, 0 }))),
	RULE("cgroups-lxcfs-escape-mitigation", VUL_MITIGATION, 0,
	     "Mitigate cgroup/lxcfs escapes: deny writes to release_agent anywhere and to "
	     "devices.allow, cgroup.procs and tasks of the devices controller.",
	     TR(APPARMOR, EXACT, NULL,
		LINES("/**/release_agent w", "/**/devices/{,**/}devices.allow w",
		      "/**/devices/{,**/}cgroup.procs w", "/**/devices/{,**/}tasks w")),
	     TR(BPF_LSM, BROADER,
		"a BPF-LSM pattern has one wildcard, so it cannot also require a devices/ "
		"component: cgroup.procs and devices.allow are denied in every cgroup",
		PATHS({ "/**/release_agent", P_WA }, { "/**/devices.allow", P_WA },
		      { "/**/cgroup.procs", P_WA }, { "/**/devices/tasks", P_WA }))),
	RULE("copy-fail-mitigation", VUL_MITIGATION, 0,
	     "Mitigate Copy Fail (CVE-2026-31431): deny creating AF_ALG (kernel crypto API) "
	     "sockets.",
	     TR(SECCOMP, BROADER, NOTE_SOCKETCALL,
		SYSCALLS(SC1("socket", INT_EQ(0, AF_ALG)), SC("socketcall"))),
	     TR(APPARMOR, EXACT, NULL, LINES("network alg"))),
	RULE("dirty-pipe-mitigation", VUL_MITIGATION, 0,
	     "Mitigate Dirty Pipe (CVE-2022-0847): deny splice().",
	     TR(SECCOMP, EXACT, NULL, SYSCALLS(SC("splice")))),
	RULE("disable-access-passwd", ATTACK_PROTECTION, PL_RULE_APPARMOR_TARGETS,
	     "Deny reading and writing /etc/passwd.",
	     TR(APPARMOR, EXACT, NULL, LINES("/etc/passwd rw")),
	     TR(BPF_LSM, EXACT, NULL, PATHS({ "/etc/passwd", P_RWA }))),
	RULE("disable-access-shadow", ATTACK_PROTECTION, PL_RULE_APPARMOR_TARGETS,
	     "Deny reading and writing /etc/shadow.",
	     TR(APPARMOR, EXACT, NULL, LINES("/etc/shadow rw")),
	     TR(BPF_LSM, EXACT, NULL, PATHS({ "/etc/shadow", P_RWA }))),
	RULE_VS("disable-access-ssh-dir", ATTACK_PROTECTION, PL_RULE_APPARMOR_TARGETS,
		"broader than vArmor's BPF enforcer, which covers only /**/.ssh and "
		"/root/.ssh/**: here every .ssh directory and its contents under both "
		"AppArmor and BPF-LSM, as vArmor's AppArmor form does",
		"Deny reading and writing any .ssh directory and its contents.",
		TR(APPARMOR, EXACT, NULL, LINES("/**/.ssh/{,**} rw")),
		TR(BPF_LSM, EXACT, NULL, PATHS({ "/**/.ssh", P_RWA }, { "/**/.ssh/**", P_RWA }))),
	EXEC_RULE("disable-busybox", "Deny executing busybox.", LINES("/**/busybox rx"),
		  PATHS({ "/**/busybox", X_ })),
	RULE("disable-cap-all", HARDENING, 0, "Deny every capability.",
	     TR(CAPS, EXACT, NULL, DROP(ALL_CAPS)), TR(APPARMOR, EXACT, NULL, LINES("capability")),
	     TR(BPF_LSM, EXACT, NULL, LSM_CAPS(ALL_CAPS))),
	RULE("disable-cap-all-except-net-bind-service", HARDENING, 0,
	     "Deny every capability except CAP_NET_BIND_SERVICE.",
	     TR(CAPS, EXACT, NULL, DROP(ALL_CAPS & ~CAP(NET_BIND_SERVICE))),
	     TR(APPARMOR, EXACT, NULL, LINES(AA_ALL_CAPS_EXCEPT_NBS)),
	     TR(BPF_LSM, EXACT, NULL, LSM_CAPS(ALL_CAPS & ~CAP(NET_BIND_SERVICE)))),
	CAP_RULE("disable-cap-audit-control", AUDIT_CONTROL, "audit_control",
		 "configure the audit subsystem"),
	CAP_RULE("disable-cap-audit-read", AUDIT_READ, "audit_read",
		 "read the audit log over multicast netlink"),
	CAP_RULE("disable-cap-audit-write", AUDIT_WRITE, "audit_write",
		 "write records to the kernel audit log"),
	CAP_RULE("disable-cap-block-suspend", BLOCK_SUSPEND, "block_suspend",
		 "block system suspend"),
	CAP_RULE("disable-cap-bpf", BPF, "bpf", "privileged BPF operations"),
	CAP_RULE("disable-cap-checkpoint-restore", CHECKPOINT_RESTORE, "checkpoint_restore",
		 "checkpoint/restore operations"),
	CAP_RULE("disable-cap-chown", CHOWN, "chown", "change file owners"),
	CAP_RULE("disable-cap-dac-override", DAC_OVERRIDE, "dac_override",
		 "bypass file permission checks"),
	CAP_RULE("disable-cap-dac-read-search", DAC_READ_SEARCH, "dac_read_search",
		 "bypass read and search permission checks, open_by_handle_at"),
	CAP_RULE("disable-cap-fowner", FOWNER, "fowner",
		 "bypass checks that need the file owner's uid"),
	CAP_RULE("disable-cap-fsetid", FSETID, "fsetid", "keep set-user/group-ID bits on change"),
	CAP_RULE("disable-cap-ipc-lock", IPC_LOCK, "ipc_lock", "lock memory"),
	CAP_RULE("disable-cap-ipc-owner", IPC_OWNER, "ipc_owner",
		 "bypass System V IPC permission checks"),
	CAP_RULE("disable-cap-kill", KILL, "kill", "signal processes of other users"),
	CAP_RULE("disable-cap-lease", LEASE, "lease", "take leases on files of other users"),
	CAP_RULE("disable-cap-linux-immutable", LINUX_IMMUTABLE, "linux_immutable",
		 "set the immutable and append-only file attributes"),
	CAP_RULE("disable-cap-mac-admin", MAC_ADMIN, "mac_admin",
		 "configure mandatory access control"),
	CAP_RULE("disable-cap-mac-override", MAC_OVERRIDE, "mac_override",
		 "override mandatory access control"),
	CAP_RULE("disable-cap-mknod", MKNOD, "mknod", "create device nodes"),
	CAP_RULE("disable-cap-net-admin", NET_ADMIN, "net_admin",
		 "configure interfaces, routes, firewall"),
	CAP_RULE("disable-cap-net-bind-service", NET_BIND_SERVICE, "net_bind_service",
		 "bind ports below 1024"),
	CAP_RULE("disable-cap-net-broadcast", NET_BROADCAST, "net_broadcast",
		 "broadcast and listen to multicast"),
	CAP_RULE("disable-cap-net-raw", NET_RAW, "net_raw", "raw and packet sockets"),
	CAP_RULE("disable-cap-perfmon", PERFMON, "perfmon", "performance monitoring"),
	RULE("disable-cap-privileged", HARDENING, 0,
	     "Deny every capability outside the container runtimes' default set (chown, "
	     "dac_override, fowner, fsetid, kill, setgid, setuid, setpcap, net_bind_service, "
	     "net_raw, sys_chroot, mknod, audit_write, setfcap stay allowed).",
	     TR(CAPS, EXACT, NULL, DROP(PRIVILEGED_CAPS)),
	     TR(APPARMOR, EXACT, NULL, LINES(AA_PRIVILEGED_CAPS)),
	     TR(BPF_LSM, EXACT, NULL, LSM_CAPS(PRIVILEGED_CAPS))),
	CAP_RULE("disable-cap-setfcap", SETFCAP, "setfcap", "set file capabilities"),
	CAP_RULE("disable-cap-setgid", SETGID, "setgid", "change group IDs"),
	CAP_RULE("disable-cap-setpcap", SETPCAP, "setpcap",
		 "change capability sets and securebits"),
	CAP_RULE("disable-cap-setuid", SETUID, "setuid", "change user IDs"),
	CAP_RULE("disable-cap-sys-admin", SYS_ADMIN, "sys_admin",
		 "mount, namespaces and many other administrative operations"),
	CAP_RULE("disable-cap-sys-boot", SYS_BOOT, "sys_boot", "reboot and kexec_load"),
	CAP_RULE("disable-cap-sys-chroot", SYS_CHROOT, "sys_chroot", "chroot and setns of mount"),
	CAP_RULE("disable-cap-sys-module", SYS_MODULE, "sys_module",
		 "load and unload kernel modules"),
	CAP_RULE("disable-cap-sys-nice", SYS_NICE, "sys_nice",
		 "raise priorities, real-time scheduling"),
	CAP_RULE("disable-cap-sys-pacct", SYS_PACCT, "sys_pacct", "process accounting"),
	CAP_RULE("disable-cap-sys-ptrace", SYS_PTRACE, "sys_ptrace",
		 "trace and inspect any process"),
	CAP_RULE("disable-cap-sys-rawio", SYS_RAWIO, "sys_rawio", "raw I/O ports and /dev/mem"),
	CAP_RULE("disable-cap-sys-resource", SYS_RESOURCE, "sys_resource",
		 "override resource limits"),
	CAP_RULE("disable-cap-sys-time", SYS_TIME, "sys_time", "set the system clock"),
	CAP_RULE("disable-cap-sys-tty-config", SYS_TTY_CONFIG, "sys_tty_config",
		 "configure terminals (vhangup)"),
	CAP_RULE("disable-cap-syslog", SYSLOG, "syslog",
		 "privileged syslog operations, kernel addresses"),
	CAP_RULE("disable-cap-wake-alarm", WAKE_ALARM, "wake_alarm",
		 "set alarms that wake the system"),
	EXEC_RULE("disable-chmod", "Deny executing chmod.", LINES("/**/chmod rx"),
		  PATHS({ "/**/chmod", X_ })),
	RULE("disable-chmod-s-bit", ATTACK_PROTECTION, 0,
	     "Deny chmod/fchmod/fchmodat/fchmodat2 calls whose mode sets the set-user-ID or "
	     "set-group-ID bit.",
	     TR(SECCOMP, EXACT, NULL,
		SYSCALLS(SC1("chmod", MASKED(1, S_ISUID, S_ISUID)),
			 SC1("chmod", MASKED(1, S_ISGID, S_ISGID)),
			 SC1("fchmod", MASKED(1, S_ISUID, S_ISUID)),
			 SC1("fchmod", MASKED(1, S_ISGID, S_ISGID)),
			 SC1("fchmodat", MASKED(2, S_ISUID, S_ISUID)),
			 SC1("fchmodat", MASKED(2, S_ISGID, S_ISGID)),
			 SC1("fchmodat2", MASKED(2, S_ISUID, S_ISUID)),
			 SC1("fchmodat2", MASKED(2, S_ISGID, S_ISGID))))),
	RULE("disable-chmod-x-bit", ATTACK_PROTECTION, 0,
	     "Deny chmod/fchmod/fchmodat/fchmodat2 calls whose mode sets any execute bit.",
	     TR(SECCOMP, EXACT, NULL,
		SYSCALLS(SC1("chmod", MASKED(1, S_IXUSR, S_IXUSR)),
			 SC1("chmod", MASKED(1, S_IXGRP, S_IXGRP)),
			 SC1("chmod", MASKED(1, S_IXOTH, S_IXOTH)),
			 SC1("fchmod", MASKED(1, S_IXUSR, S_IXUSR)),
			 SC1("fchmod", MASKED(1, S_IXGRP, S_IXGRP)),
			 SC1("fchmod", MASKED(1, S_IXOTH, S_IXOTH)),
			 SC1("fchmodat", MASKED(2, S_IXUSR, S_IXUSR)),
			 SC1("fchmodat", MASKED(2, S_IXGRP, S_IXGRP)),
			 SC1("fchmodat", MASKED(2, S_IXOTH, S_IXOTH)),
			 SC1("fchmodat2", MASKED(2, S_IXUSR, S_IXUSR)),
			 SC1("fchmodat2", MASKED(2, S_IXGRP, S_IXGRP)),
			 SC1("fchmodat2", MASKED(2, S_IXOTH, S_IXOTH))))),
	EXEC_RULE("disable-curl", "Deny executing curl.", LINES("/**/curl rx"),
		  PATHS({ "/**/curl", X_ })),
	RULE("disable-icmp", ATTACK_PROTECTION, PL_RULE_APPARMOR_TARGETS,
	     "Deny creating ICMP and ICMPv6 sockets (ping sockets and raw ICMP).",
	     TR(SECCOMP, BROADER, NOTE_SOCKETCALL,
		SYSCALLS(SC2("socket", INT_EQ(0, AF_INET), INT_EQ(2, IPPROTO_ICMP)),
			 SC2("socket", INT_EQ(0, AF_INET6), INT_EQ(2, IPPROTO_ICMPV6)),
			 SC("socketcall"))),
	     TR(APPARMOR, NARROWER,
		"AppArmor has no ICMPv6 protocol keyword: only IPv4 ICMP sockets are denied "
		"(vArmor's AppArmor form is the same; seccomp and cgroup-BPF cover ICMPv6)",
		LINES("network inet icmp")),
	     TR(CGROUP_BPF, EXACT, NULL, SOCKETS({ 0, 0, PL_PROTO_ICMP }))),
	RULE("disable-inet", ATTACK_PROTECTION, PL_RULE_APPARMOR_TARGETS,
	     "Deny creating IPv4 (AF_INET) sockets.",
	     TR(SECCOMP, BROADER, NOTE_SOCKETCALL,
		SYSCALLS(SC1("socket", INT_EQ(0, AF_INET)), SC("socketcall"))),
	     TR(APPARMOR, EXACT, NULL, LINES("network inet")),
	     TR(CGROUP_BPF, EXACT, NULL, SOCKETS({ 1ull << AF_INET, 0, 0 }))),
	RULE("disable-inet6", ATTACK_PROTECTION, PL_RULE_APPARMOR_TARGETS,
	     "Deny creating IPv6 (AF_INET6) sockets.",
	     TR(SECCOMP, BROADER, NOTE_SOCKETCALL,
		SYSCALLS(SC1("socket", INT_EQ(0, AF_INET6)), SC("socketcall"))),
	     TR(APPARMOR, EXACT, NULL, LINES("network inet6")),
	     TR(CGROUP_BPF, EXACT, NULL, SOCKETS({ 1ull << AF_INET6, 0, 0 }))),
	RULE("disable-network", ATTACK_PROTECTION, PL_RULE_APPARMOR_TARGETS,
	     "Deny creating sockets of any address family.",
	     TR(SECCOMP, BROADER, NOTE_SOCKETCALL,
		SYSCALLS(SC("socket"), SC("socketpair"), SC("socketcall"))),
	     TR(APPARMOR, EXACT, NULL, LINES("network")),
	     TR(CGROUP_BPF, NARROWER, NOTE_NO_CGROUP_SOCK ": other families stay allowed",
		SOCKETS({ (1ull << AF_INET) | (1ull << AF_INET6), 0, 0 }))),
	EXEC_RULE("disable-shell", "Deny executing the sh, bash and dash shells.",
		  LINES("/**/sh rx", "/**/bash rx", "/**/dash rx"),
		  PATHS({ "/**/sh", X_ }, { "/**/bash", X_ }, { "/**/dash", X_ })),
	EXEC_RULE("disable-su-sudo", "Deny executing su and sudo.",
		  LINES("/**/su rx", "/**/sudo rx"), PATHS({ "/**/su", X_ }, { "/**/sudo", X_ })),
	RULE("disable-tcp", ATTACK_PROTECTION, PL_RULE_APPARMOR_TARGETS,
	     "Deny creating TCP sockets (IPv4 and IPv6).",
	     TR(SECCOMP, BROADER, NOTE_SOCKETCALL,
		SYSCALLS(SC3("socket", INT_EQ(0, AF_INET), MASKED(1, SOCK_TYPE_MASK, SOCK_STREAM),
			     INT_EQ(2, 0)),
			 SC2("socket", INT_EQ(0, AF_INET), INT_EQ(2, IPPROTO_TCP)),
			 SC3("socket", INT_EQ(0, AF_INET6), MASKED(1, SOCK_TYPE_MASK, SOCK_STREAM),
			     INT_EQ(2, 0)),
			 SC2("socket", INT_EQ(0, AF_INET6), INT_EQ(2, IPPROTO_TCP)),
			 SC("socketcall"))),
	     TR(APPARMOR, BROADER,
		"AppArmor sees the protocol as passed to socket(), usually 0, so the rule denies "
		"every stream socket of inet/inet6 (TCP, and also SCTP/MPTCP stream sockets)",
		LINES("network inet stream", "network inet6 stream")),
	     TR(CGROUP_BPF, EXACT, NULL,
		SOCKETS({ (1ull << AF_INET) | (1ull << AF_INET6), 0, PL_PROTO_TCP }))),
	RULE("disable-udp", ATTACK_PROTECTION, PL_RULE_APPARMOR_TARGETS,
	     "Deny creating UDP sockets (IPv4 and IPv6).",
	     TR(SECCOMP, BROADER, NOTE_SOCKETCALL,
		SYSCALLS(SC3("socket", INT_EQ(0, AF_INET), MASKED(1, SOCK_TYPE_MASK, SOCK_DGRAM),
			     INT_EQ(2, 0)),
			 SC2("socket", INT_EQ(0, AF_INET), INT_EQ(2, IPPROTO_UDP)),
			 SC3("socket", INT_EQ(0, AF_INET6), MASKED(1, SOCK_TYPE_MASK, SOCK_DGRAM),
			     INT_EQ(2, 0)),
			 SC2("socket", INT_EQ(0, AF_INET6), INT_EQ(2, IPPROTO_UDP)),
			 SC("socketcall"))),
	     TR(APPARMOR, BROADER,
		"AppArmor sees the protocol as passed to socket(), usually 0, so the rule denies "
		"every datagram socket of inet/inet6 (UDP, and also ICMP ping sockets)",
		LINES("network inet dgram", "network inet6 dgram")),
	     TR(CGROUP_BPF, EXACT, NULL,
		SOCKETS({ (1ull << AF_INET) | (1ull << AF_INET6), 0, PL_PROTO_UDP }))),
	RULE("disable-unix-domain-socket", ATTACK_PROTECTION, PL_RULE_APPARMOR_TARGETS,
	     "Deny creating Unix domain (AF_UNIX) sockets.",
	     TR(SECCOMP, BROADER, NOTE_SOCKETCALL,
		SYSCALLS(SC1("socket", INT_EQ(0, AF_UNIX)), SC1("socketpair", INT_EQ(0, AF_UNIX)),
			 SC("socketcall"))),
	     TR(APPARMOR, EXACT, NULL, LINES("network unix"))),
	EXEC_RULE("disable-wget", "Deny executing wget.", LINES("/**/wget rx"),
		  PATHS({ "/**/wget", X_ })),
	RULE("disable-write-etc", ATTACK_PROTECTION, PL_RULE_APPARMOR_TARGETS,
	     "Deny writing anything under /etc.", TR(APPARMOR, EXACT, NULL, LINES("/etc/** wl")),
	     TR(BPF_LSM, EXACT, NULL, PATHS({ "/etc/**", P_WA }))),
	RULE("disable-write-skills", ATTACK_PROTECTION, PL_RULE_APPARMOR_TARGETS,
	     "Deny writing anything under a directory named skills (AI agent skill files).",
	     TR(APPARMOR, EXACT, NULL, LINES("/**/skills/** w")),
	     TR(BPF_LSM, EXACT, NULL, PATHS({ "/**/skills/**", P_WA }))),
	RULE("disallow-abuse-user-ns", HARDENING, 0,
	     "Deny CAP_SYS_ADMIN in every user namespace, so a new user namespace cannot be used "
	     "to reach privileged kernel interfaces.",
	     TR(CAPS, NARROWER,
		"the bounding set is reset to full in a new user namespace, so dropping "
		"CAP_SYS_ADMIN only removes it in the container's own namespace; the abuse this "
		"rule "
		"targets needs a capable() hook (AppArmor, BPF-LSM) or disallow-create-user-ns",
		DROP(CAP(SYS_ADMIN))),
	     TR(APPARMOR, EXACT, NULL, LINES("capability sys_admin")),
	     TR(BPF_LSM, EXACT, NULL, LSM_CAPS(CAP(SYS_ADMIN)))),
	RULE_VS("disallow-access-k8s-sensitive-files", ATTACK_PROTECTION,
		PL_RULE_APPARMOR_TARGETS | PL_RULE_EXTENSION,
		"a plastron extension: vArmor's current catalog (82baa15) has no such rule "
		"(older releases had it, with these paths) and ignores the name, so under "
		"vArmor a policy naming it gets no protection from it",
		"Deny reading Kubernetes credentials that may be mounted from the host "
		"(/etc/kubernetes, .kube/config, secret volumes).",
		TR(APPARMOR, EXACT, NULL,
		   LINES("/**/etc/kubernetes/{,**} r", "/**/.kube/config r",
			 "/**/volumes/kubernetes.io~secret/{,**} r")),
		TR(BPF_LSM, EXACT, NULL,
		   PATHS({ "/**/etc/kubernetes/**", PL_PERM_READ },
			 { "/**/.kube/config", PL_PERM_READ },
			 { "/**/volumes/kubernetes.io~secret/**", PL_PERM_READ }))),
	RULE("disallow-access-kallsyms", HARDENING, 0,
	     "Deny reading /proc/kallsyms (kernel symbol addresses).",
	     TR(APPARMOR, EXACT, NULL, LINES("/proc/kallsyms r")),
	     TR(BPF_LSM, EXACT, NULL, PATHS({ "/proc/kallsyms", PL_PERM_READ }))),
	RULE("disallow-access-procfs-root", HARDENING, 0,
	     "Deny reaching other processes' root filesystems through /proc/<pid>/root "
	     "(read-mode ptrace access to tasks outside the container).",
	     TR(APPARMOR, BROADER,
		"AppArmor cannot tell whether the peer is in the same container, so read-mode "
		"ptrace access (needed for /proc/<pid>/root) is denied towards every peer",
		LINES("ptrace (read)"))),
	RULE("disallow-create-user-ns", HARDENING, 0,
	     "Deny creating user namespaces (unshare/clone with CLONE_NEWUSER).",
	     TR(SECCOMP, BROADER,
		"clone3() passes its flags behind a pointer seccomp cannot read, so clone3 fails "
		"with ENOSYS for every caller; glibc and the common runtimes then fall back to "
		"clone(), which is filtered on CLONE_NEWUSER",
		SYSCALLS(SC1("unshare", MASKED(0, CLONE_NEWUSER, CLONE_NEWUSER)),
			 SC1("clone", MASKED(0, CLONE_NEWUSER, CLONE_NEWUSER)),
			 SC_ERR("clone3", ENOSYS)))),
	RULE("disallow-debug-disk-device", HARDENING, 0,
	     "Deny reading and writing the host's disk devices (every device listed in the host's "
	     "/proc/partitions).",
	     TR(APPARMOR, NARROWER, NOTE_DISK_PATTERN,
		LINES("/dev/{sd,vd,xvd,hd}[a-z]* rw", "/dev/nvme[0-9]* rw", "/dev/mmcblk[0-9]* rw",
		      "/dev/dm-[0-9]* rw", "/dev/md[0-9]* rw")),
	     TR(CGROUP_BPF, EXACT, NULL, DEVICES({ 'b', -1, -1, "rw", true })),
	     TR(BPF_LSM, NARROWER, NOTE_DISK_PATTERN,
		PATHS({ "/dev/sd*", P_RWA }, { "/dev/vd*", P_RWA }, { "/dev/xvd*", P_RWA },
		      { "/dev/hd*", P_RWA }, { "/dev/nvme*", P_RWA }, { "/dev/mmcblk*", P_RWA },
		      { "/dev/dm-*", P_RWA }, { "/dev/md*", P_RWA }))),
	RULE("disallow-insmod", HARDENING, 0,
	     "Deny loading kernel modules (CAP_SYS_MODULE, init_module, finit_module).",
	     TR(SECCOMP, EXACT, NULL, SYSCALLS(SC("init_module"), SC("finit_module"))),
	     TR(CAPS, EXACT, NULL, DROP(CAP(SYS_MODULE))),
	     TR(APPARMOR, EXACT, NULL, LINES("capability sys_module")),
	     TR(BPF_LSM, EXACT, NULL, LSM_CAPS(CAP(SYS_MODULE)))),
	RULE("disallow-load-all-bpf-prog", HARDENING, 0,
	     "Deny loading any eBPF program (bpf(BPF_PROG_LOAD)), unprivileged socket filters "
	     "included.",
	     TR(SECCOMP, EXACT, NULL, SYSCALLS(SC1("bpf", INT_EQ(0, PL_BPF_PROG_LOAD))))),
	RULE("disallow-load-bpf-prog", HARDENING, 0,
	     "Deny loading privileged eBPF programs by denying CAP_SYS_ADMIN and CAP_BPF "
	     "(unprivileged socket-filter and cgroup-skb programs stay possible).",
	     TR(CAPS, BROADER, "also removes every other use of CAP_SYS_ADMIN",
		DROP(CAP(SYS_ADMIN) | CAP(BPF))),
	     TR(APPARMOR, BROADER, "also denies every other use of CAP_SYS_ADMIN",
		LINES("capability sys_admin bpf")),
	     TR(BPF_LSM, BROADER, "also denies every other use of CAP_SYS_ADMIN",
		LSM_CAPS(CAP(SYS_ADMIN) | CAP(BPF)))),
	RULE("disallow-load-bpf-via-setsockopt", HARDENING, 0,
	     "Deny attaching classic BPF filters to sockets (setsockopt SO_ATTACH_FILTER and "
	     "SO_ATTACH_REUSEPORT_CBPF).",
	     TR(SECCOMP, BROADER, NOTE_SOCKETCALL,
		SYSCALLS(
		    SC2("setsockopt", INT_EQ(1, SOL_SOCKET), INT_EQ(2, SO_ATTACH_FILTER)),
		    SC2("setsockopt", INT_EQ(1, SOL_SOCKET), INT_EQ(2, SO_ATTACH_REUSEPORT_CBPF)),
		    SC("socketcall")))),
	RULE("disallow-mount", HARDENING, PL_RULE_PRIVILEGED_ONLY,
	     "Deny every mount operation (new mounts, bind, move, remount, propagation changes).",
	     TR(SECCOMP, EXACT, NULL, SYSCALLS(MOUNT_FAMILY)),
	     TR(CAPS, BROADER, NOTE_SYS_ADMIN_MOUNT, DROP(CAP(SYS_ADMIN))),
	     TR(APPARMOR, EXACT, NULL, LINES("mount", "remount")),
	     TR(BPF_LSM, EXACT, NULL, MOUNTS({ NULL, NULL, NULL, 0, false }))),
	RULE("disallow-mount-cgroupfs", HARDENING, 0,
	     "Deny mounting cgroup filesystems and binding, moving or remounting /sys/fs/cgroup.",
	     TR(SECCOMP, BROADER, NOTE_FSTYPE ", and so is every umount",
		SYSCALLS(MOUNT_FAMILY, UMOUNT_FAMILY)),
	     TR(CAPS, BROADER, NOTE_SYS_ADMIN_MOUNT, DROP(CAP(SYS_ADMIN))),
	     TR(APPARMOR, EXACT, NULL,
		LINES("mount fstype=cgroup", "mount fstype=cgroup2",
		      "mount options in (bind, rbind, move) /sys/fs/cgroup/{,**} -> **",
		      "mount options in (rbind) /sys/{,**} -> **",
		      "mount options in (bind, rbind, move) -> /sys/fs/cgroup/{,**}",
		      "remount /sys/fs/cgroup/{,**}", "umount /sys/{,**}")),
	     TR(BPF_LSM, EXACT, NULL,
		MOUNTS({ "cgroup", NULL, NULL, 0, false }, { "cgroup2", NULL, NULL, 0, false },
		       { NULL, "/sys/fs/cgroup**", NULL, MS_BIND | MS_REMOUNT | MS_MOVE, false },
		       { NULL, "/sys**", NULL, MS_BIND | MS_REC, false },
		       { NULL, NULL, "/sys/fs/cgroup**", MS_BIND | MS_REC | MS_MOVE, false },
		       { NULL, NULL, "/sys**", 0, true }))),
	RULE("disallow-mount-disk-device", HARDENING, PL_RULE_PRIVILEGED_ONLY,
	     "Deny mounting the host's disk devices.",
	     TR(SECCOMP, BROADER, NOTE_FSTYPE, SYSCALLS(MOUNT_FAMILY)),
	     TR(CAPS, BROADER, NOTE_SYS_ADMIN_MOUNT, DROP(CAP(SYS_ADMIN))),
	     TR(APPARMOR, NARROWER, NOTE_DISK_PATTERN,
		LINES("mount /dev/{sd,vd,xvd,hd}[a-z]*", "mount /dev/nvme[0-9]*",
		      "mount /dev/mmcblk[0-9]*", "mount /dev/dm-[0-9]*", "mount /dev/md[0-9]*")),
	     TR(CGROUP_BPF, BROADER,
		"mounting a block device needs read access to it through the device cgroup; "
		"denying that also stops reading and writing the devices directly",
		DEVICES({ 'b', -1, -1, "rw", true })),
	     TR(BPF_LSM, NARROWER, NOTE_DISK_PATTERN,
		MOUNTS({ NULL, "/dev/sd*", NULL, 0, false }, { NULL, "/dev/vd*", NULL, 0, false },
		       { NULL, "/dev/xvd*", NULL, 0, false }, { NULL, "/dev/hd*", NULL, 0, false },
		       { NULL, "/dev/nvme*", NULL, 0, false },
		       { NULL, "/dev/mmcblk*", NULL, 0, false },
		       { NULL, "/dev/dm-*", NULL, 0, false },
		       { NULL, "/dev/md*", NULL, 0, false }))),
	RULE("disallow-mount-procfs", HARDENING, 0,
	     "Deny mounting procfs and binding, moving, remounting or unmounting anything under "
	     "/proc.",
	     TR(SECCOMP, BROADER, NOTE_FSTYPE ", and so is every umount",
		SYSCALLS(MOUNT_FAMILY, UMOUNT_FAMILY)),
	     TR(CAPS, BROADER, NOTE_SYS_ADMIN_MOUNT, DROP(CAP(SYS_ADMIN))),
	     TR(APPARMOR, EXACT, NULL,
		LINES("mount fstype=proc", "mount options in (bind, rbind, move) /proc/{,**} -> **",
		      "mount options in (bind, rbind, move) -> /proc/{,**}", "remount /proc/{,**}",
		      "umount /proc/{,**}")),
	     TR(BPF_LSM, EXACT, NULL,
		MOUNTS({ "proc", NULL, NULL, 0, false },
		       { NULL, "/proc**", NULL, MS_BIND | MS_REC | MS_REMOUNT | MS_MOVE, false },
		       { NULL, NULL, "/proc**", MS_BIND | MS_REC | MS_MOVE, false },
		       { NULL, NULL, "/proc**", 0, true }))),
	RULE("disallow-mount-securityfs", HARDENING, PL_RULE_PRIVILEGED_ONLY,
	     "Deny mounting securityfs.", TR(SECCOMP, BROADER, NOTE_FSTYPE, SYSCALLS(MOUNT_FAMILY)),
	     TR(CAPS, BROADER, NOTE_SYS_ADMIN_MOUNT, DROP(CAP(SYS_ADMIN))),
	     TR(APPARMOR, EXACT, NULL, LINES("mount fstype=securityfs")),
	     TR(BPF_LSM, EXACT, NULL, MOUNTS({ "securityfs", NULL, NULL, 0, false }))),
	RULE("disallow-umount", HARDENING, 0, "Deny every unmount.",
	     TR(SECCOMP, EXACT, NULL, SYSCALLS(SC("umount2"), SC("umount"))),
	     TR(CAPS, BROADER, NOTE_SYS_ADMIN_MOUNT, DROP(CAP(SYS_ADMIN))),
	     TR(APPARMOR, EXACT, NULL, LINES("umount")),
	     TR(BPF_LSM, EXACT, NULL, MOUNTS({ NULL, NULL, NULL, 0, true }))),
	RULE("disallow-userfaultfd-creation", HARDENING, 0,
	     "Deny creating userfaultfd objects (userfaultfd() and /dev/userfaultfd).",
	     TR(SECCOMP, BROADER,
		"/dev/userfaultfd is covered by denying its USERFAULTFD_IOC_NEW ioctl number "
		"(0xaa00) on every file descriptor; another driver reusing that number would be "
		"affected too",
		SYSCALLS(SC("userfaultfd"), SC1("ioctl", INT_EQ(1, PL_USERFAULTFD_IOC_NEW))))),
	RULE(
	    "disallow-write-core-pattern", HARDENING, 0,
	    "Deny writing /proc/sys/kernel/core_pattern (a host-wide setting whose pipe handler "
	    "runs as root on the host).",
	    TR(SECCOMP, NARROWER,
	       "seccomp cannot see which file is written; it denies the routes to a writable "
	       "/proc/sys (mounting a new procfs, bind or remount of /proc/sys, unmounting the "
	       "read-only /proc/sys mask: the mount and umount families), while a write through an "
	       "already writable /proc/sys is left to cgroup-BPF or AppArmor",
	       SYSCALLS(MOUNT_FAMILY, UMOUNT_FAMILY)),
	    TR(APPARMOR, EXACT, NULL, LINES("/proc/sys/kernel/core_pattern w")),
	    TR(CGROUP_BPF, EXACT, NULL, SYSCTL("kernel/core_pattern")),
	    TR(BPF_LSM, EXACT, NULL, PATHS({ "/proc/sys/kernel/core_pattern", P_WA }))),
	RULE("disallow-write-release-agent", HARDENING, 0,
	     "Deny writing the cgroup v1 release_agent file.",
	     TR(APPARMOR, EXACT, NULL, LINES("/sys/fs/cgroup/**/release_agent w")),
	     TR(BPF_LSM, EXACT, NULL, PATHS({ "/sys/fs/cgroup/**/release_agent", P_WA }))),
	RULE("ingress-nightmare-mitigation", VUL_MITIGATION, PL_RULE_NEEDS_K8S,
	     "Mitigate IngressNightmare (CVE-2025-1974): block connections to the "
	     "ingress-nginx-controller-admission service in ingress-nginx and kube-system.",
	     TR(CGROUP_BPF, NARROWER, NOTE_K8S_RESOLVE, .u.cgroup.n_egress = 0)),
	RULE("mitigate-disk-device-number-leak", ATTACK_PROTECTION, PL_RULE_APPARMOR_TARGETS,
	     "Hide the host's disk device numbers: deny reading /proc/partitions and "
	     "/proc/<pid>/mountinfo.",
	     TR(APPARMOR, EXACT, NULL, LINES("/proc/partitions r", "/proc/**/mountinfo r")),
	     TR(BPF_LSM, EXACT, NULL,
		PATHS({ "/proc/partitions", PL_PERM_READ },
		      { "/proc/**/mountinfo", PL_PERM_READ }))),
	RULE("mitigate-host-ip-leak", ATTACK_PROTECTION, PL_RULE_APPARMOR_TARGETS,
	     "Hide neighbouring host addresses: deny reading /proc/<pid>/net/arp.",
	     TR(APPARMOR, EXACT, NULL, LINES("/proc/**/net/arp r")),
	     TR(BPF_LSM, EXACT, NULL, PATHS({ "/proc/**/net/arp", PL_PERM_READ }))),
	RULE(
	    "mitigate-overlayfs-leak", ATTACK_PROTECTION, PL_RULE_APPARMOR_TARGETS,
	    "Hide the host's overlayfs paths: deny reading /proc/<pid>/mounts and mountinfo.",
	    TR(APPARMOR, EXACT, NULL, LINES("/proc/**/mounts r", "/proc/**/mountinfo r")),
	    TR(BPF_LSM, EXACT, NULL,
	       PATHS({ "/proc/**/mounts", PL_PERM_READ }, { "/proc/**/mountinfo", PL_PERM_READ }))),
	RULE("mitigate-sa-leak", ATTACK_PROTECTION, PL_RULE_APPARMOR_TARGETS,
	     "Deny reading the mounted Kubernetes service account token and certificates.",
	     TR(APPARMOR, EXACT, NULL,
		LINES("/run/secrets/kubernetes.io/serviceaccount/** r",
		      "/var/run/secrets/kubernetes.io/serviceaccount/** r")),
	     TR(BPF_LSM, EXACT, NULL,
		PATHS({ "/run/secrets/kubernetes.io/serviceaccount/**", PL_PERM_READ },
		      { "/var/run/secrets/kubernetes.io/serviceaccount/**", PL_PERM_READ }))),
	RULE("runc-override-mitigation", VUL_MITIGATION, 0,
	     "Mitigate runc binary overwrite escapes (CVE-2019-5736): deny writing any file named "
	     "runc.",
	     TR(APPARMOR, EXACT, NULL, LINES("/**/runc w")),
	     TR(BPF_LSM, EXACT, NULL, PATHS({ "/**/runc", P_WA }))),
};
const size_t pl_catalog_table_n = PL_ARRAY_SIZE(pl_catalog_table);

/* Alternative names vArmor accepts, sorted by alias. */
const struct pl_rule_alias pl_catalog_alias_table[] = {
	{ "disable-ipv4", "disable-inet" },
	{ "disable-ipv6", "disable-inet6" },
	{ "disallow-load-ebpf", "disallow-load-bpf-prog" },
	{ "disallow-metadata-service", "block-access-to-metadata-service" },
};
const size_t pl_catalog_alias_table_n = PL_ARRAY_SIZE(pl_catalog_alias_table);
