/* SPDX-License-Identifier: Apache-2.0 */
/*
 * From a finding the workload cannot drop to the built-in rules that limit
 * it (issue 13, item 4): a capability the workload needs, a host path or
 * privileged, a host namespace, root. Each entry names the rules that take
 * away the known abuses of the setting while leaving the setting itself,
 * and says why. A rule that would take the setting away (disable-cap-sys-
 * admin for a workload that adds SYS_ADMIN, block-access-to-container-
 * runtime for one that mounts the socket, mitigate-sa-leak for one that
 * mounts its token) is never named: that is the setting's removal, which
 * the hint says. Nothing is named where no rule limits the setting itself:
 * the runtime socket (a container started through it is not this one), the
 * token (any use of it goes to the API server), SYS_MODULE and BPF (the
 * only rules, disallow-insmod and the BPF ones, take away what the
 * capability is for).
 */
#include <string.h>

#include "lint-internal.h"
#include "shared/macro.h"

struct mitigation {
	const char *check; /* check id */
	const char
	    *detail; /* the finding's detail (capability, host path, namespace), or NULL: any */
	const char *why;
	const char *const *rules;
};

#define RULES(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* The escapes seed 000 lists, open to a privileged or SYS_ADMIN container. */
#define ESCAPES                                                                                   \
	"disallow-write-core-pattern", "disallow-write-release-agent", "disallow-mount-cgroupfs", \
	    "disallow-mount-procfs", "disallow-mount-securityfs", "disallow-mount-disk-device",   \
	    "runc-override-mitigation", "cgroups-lxcfs-escape-mitigation"

static const struct mitigation table[] = {
	{ "pss-privileged", NULL,
	  "a privileged container reaches the host through core_pattern, release_agent, "
	  "procfs, cgroupfs and securityfs mounts, disk devices, modules and runc: these rules "
	  "close each",
	  RULES(ESCAPES, "disallow-debug-disk-device", "disallow-insmod",
		"disallow-access-procfs-root") },
	{ "dangerous-capability", "SYS_ADMIN",
	  "SYS_ADMIN's mount and cgroup escapes (seed 000) are closed by these rules",
	  RULES(ESCAPES, "disallow-umount") },
	{ "dangerous-capability", "ALL",
	  "every capability: the escapes open to SYS_ADMIN, module loading and raw disks",
	  RULES(ESCAPES, "disallow-insmod", "disallow-debug-disk-device") },
	{ "dangerous-capability", "SYS_PTRACE",
	  "tracing reaches other processes' memory; these rules close /proc/*/root and the "
	  "runc binary",
	  RULES("disallow-access-procfs-root", "runc-override-mitigation") },
	{ "dangerous-capability", "DAC_READ_SEARCH",
	  "bypassing read permission exposes these files first",
	  RULES("disable-access-shadow", "disallow-access-k8s-sensitive-files") },
	{ "dangerous-capability", "NET_ADMIN",
	  "network control reaches the cloud's metadata endpoint",
	  RULES("block-access-to-metadata-service") },
	{ "sensitive-host-path", "/proc",
	  "a host /proc mount reaches the node's core_pattern and its processes' roots",
	  RULES("disallow-write-core-pattern", "disallow-access-procfs-root") },
	{ "sensitive-host-path", "/sys", "a host /sys mount reaches cgroup release_agent files",
	  RULES("disallow-write-release-agent", "cgroups-lxcfs-escape-mitigation") },
	{ "sensitive-host-path", "/etc", "the node's credentials and configuration",
	  RULES("disable-access-shadow", "disable-write-etc",
		"disallow-access-k8s-sensitive-files") },
	{ "sensitive-host-path", "/var/lib/kubelet", "the node's pod credentials",
	  RULES("disallow-access-k8s-sensitive-files", "mitigate-sa-leak") },
	{ "sensitive-host-path", "/root", "the node's root keys", RULES("disable-access-ssh-dir") },
	{ "sensitive-host-path", "/",
	  "the whole node: its credentials, core_pattern, release_agent and runc",
	  RULES("disable-access-shadow", "disable-access-ssh-dir",
		"disallow-access-k8s-sensitive-files", "disallow-write-core-pattern",
		"disallow-write-release-agent", "runc-override-mitigation") },
	{ "pss-host-namespaces", "hostNetwork",
	  "the node's network: the cloud's metadata service and the node's addresses",
	  RULES("block-access-to-metadata-service", "mitigate-host-ip-leak") },
	{ "pss-host-namespaces", "hostPID", "the node's processes and their roots",
	  RULES("disallow-access-procfs-root", "runc-override-mitigation") },
	{ "pss-run-as-non-root", NULL,
	  "root in the container: setuid tricks, the runc overwrite and writes under /etc",
	  RULES("runc-override-mitigation", "disable-chmod-s-bit", "disable-write-etc") },
};

PL_EXPORT const char *const *pl_lint_mitigation_entry(size_t i, const char **check,
						      const char **detail)
{
	if (i >= sizeof(table) / sizeof(table[0]))
		return NULL;
	*check = table[i].check;
	*detail = table[i].detail;
	return table[i].rules;
}

PL_EXPORT const char *const *pl_lint_mitigations(const struct pl_lint_finding *f, const char **why)
{
	if (why)
		*why = NULL;
	if (!f || !f->check)
		return NULL;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		const struct mitigation *m = &table[i];
		if (strcmp(m->check, f->check->id))
			continue;
		if (m->detail && (!f->detail || strcmp(m->detail, f->detail)))
			continue;
		if (why)
			*why = m->why;
		return m->rules;
	}
	/* a sensitive path under one of the table's (/proc/sys, /etc/kubernetes) */
	if (f->detail && !strcmp(f->check->id, "sensitive-host-path"))
		for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
			const struct mitigation *m = &table[i];
			size_t n = m->detail ? strlen(m->detail) : 0;
			if (strcmp(m->check, f->check->id) || n < 2 ||
			    strncmp(f->detail, m->detail, n) || f->detail[n] != '/')
				continue;
			if (why)
				*why = m->why;
			return m->rules;
		}
	return NULL;
}
