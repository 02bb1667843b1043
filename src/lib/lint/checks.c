/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The lint check table (data): id, group, severity, title, help and fix of
 * every check, in documentation order (docs/lint.md lists the same ids), and
 * which checks run under each set.
 */
#include <errno.h>
#include <string.h>

#include "lint-internal.h"
#include "shared/macro.h"

#define B PL_LINT_GROUP_BASELINE
#define R PL_LINT_GROUP_RESTRICTED
#define P PL_LINT_GROUP_PLASTRON
#define E PL_SEV_ERROR
#define W PL_SEV_WARNING

const struct pl_lint_check lint_check_table[L__COUNT] = {
	[L_HOST_PROCESS] = { "pss-host-process", B, E, "HostProcess",
			     "Windows HostProcess containers have privileged access to the node.",
			     "remove windowsOptions.hostProcess or set it to false", NULL },
	[L_HOST_NAMESPACES] = { "pss-host-namespaces", B, E, "Host Namespaces",
				"hostNetwork, hostPID and hostIPC share the node's namespaces with "
				"the pod.",
				"set hostNetwork, hostPID and hostIPC to false (or remove them)",
				NULL },
	[L_PRIVILEGED] = { "pss-privileged", B, E, "Privileged Containers",
			   "A privileged container has every capability and every device and "
			   "disables most isolation.",
			   "set securityContext.privileged: false (or remove it)", NULL },
	[L_CAPABILITIES] = { "pss-capabilities", B, E, "Capabilities",
			     "Only the runtimes' default capabilities may be added: AUDIT_WRITE, "
			     "CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, "
			     "SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT.",
			     "remove the capability from securityContext.capabilities.add", NULL },
	[L_HOST_PATH] = { "pss-host-path-volumes", B, E, "HostPath Volumes",
			  "A hostPath volume exposes the node's filesystem to the pod.",
			  "use emptyDir, configMap, secret or a persistentVolumeClaim instead",
			  NULL },
	[L_HOST_PORTS] = { "pss-host-ports", B, E, "Host Ports",
			   "A hostPort binds a port on the node's own addresses.",
			   "remove hostPort (or set it to 0) and expose the port with a Service",
			   NULL },
	[L_HOST_PROBES] = { "pss-host-probes", B, E, "Host Probes / Lifecycle Hooks",
			    "A probe or lifecycle hook with a host field makes the kubelet "
			    "connect to any address on the pod's behalf.",
			    "remove host (the probe then targets the pod's own IP)", NULL },
	[L_APPARMOR] = { "pss-apparmor", B, E, "AppArmor",
			 "Overriding or disabling the default AppArmor profile is not allowed "
			 "(RuntimeDefault or Localhost only).",
			 "set appArmorProfile.type: RuntimeDefault (or Localhost)", NULL },
	[L_SELINUX] = { "pss-selinux", B, E, "SELinux",
			"Custom SELinux users and roles, and types other than container_t, "
			"container_init_t, container_kvm_t and container_engine_t, are not "
			"allowed.",
			"remove seLinuxOptions.user and .role; use an allowed type", NULL },
	[L_PROC_MOUNT] = { "pss-proc-mount", B, E, "/proc Mount Type",
			   "An Unmasked /proc exposes the host's /proc paths the runtime masks "
			   "(allowed for a pod with hostUsers: false).",
			   "remove securityContext.procMount (or set it to Default)", NULL },
	[L_SECCOMP] = { "pss-seccomp", B, E, "Seccomp",
			"The seccomp profile must not be explicitly Unconfined.",
			"set seccompProfile.type: RuntimeDefault (or Localhost)", NULL },
	[L_SYSCTLS] = { "pss-sysctls", B, E, "Sysctls",
			"Only namespaced, isolated sysctls are allowed.",
			"remove the sysctl from securityContext.sysctls", NULL },
	[L_VOLUME_TYPES] = { "pss-volume-types", R, E, "Volume Types",
			     "Only configMap, csi, downwardAPI, emptyDir, ephemeral, image, "
			     "persistentVolumeClaim, projected and secret volumes are allowed.",
			     "use one of the allowed volume types (a persistentVolumeClaim for "
			     "storage)",
			     "pss-host-path-volumes" },
	[L_PRIV_ESC] = { "pss-privilege-escalation", R, E, "Privilege Escalation",
			 "Every container must set allowPrivilegeEscalation: false (setuid "
			 "binaries and file capabilities cannot raise privileges then).",
			 "set securityContext.allowPrivilegeEscalation: false", NULL },
	[L_RUN_AS_NON_ROOT] = { "pss-run-as-non-root", R, E, "Running as Non-root",
				"runAsNonRoot must be true, at pod level or in every container; "
				"an explicit false is refused at either level (not checked for a "
				"pod with hostUsers: false).",
				"set spec.securityContext.runAsNonRoot: true", NULL },
	[L_RUN_AS_USER] = { "pss-run-as-user", R, E, "Running as Non-root user",
			    "runAsUser must not be 0, at pod or container level (not checked "
			    "for a pod with hostUsers: false).",
			    "set runAsUser to a non-zero UID (or remove it)", NULL },
	[L_SECCOMP_RESTRICTED] = { "pss-seccomp-restricted", R, E, "Seccomp (restricted)",
				   "seccompProfile.type must be RuntimeDefault or Localhost, at "
				   "pod level or in every container.",
				   "set spec.securityContext.seccompProfile.type: RuntimeDefault",
				   "pss-seccomp" },
	[L_CAPABILITIES_RESTRICTED] = { "pss-capabilities-restricted", R, E,
					"Capabilities (restricted)",
					"Every container must drop ALL capabilities and may add "
					"back only NET_BIND_SERVICE.",
					"set securityContext.capabilities.drop: [ALL]",
					"pss-capabilities" },
	[L_PROC_MOUNT_RESTRICTED] = { "pss-proc-mount-restricted", R, E,
				      "/proc Mount Type (restricted)",
				      "procMount must be Default, in a user namespace too.",
				      "remove securityContext.procMount (or set it to Default)",
				      "pss-proc-mount" },
	[L_RUNTIME_SOCKET] = { "runtime-socket", P, E, "Container runtime socket mounted",
			       "A docker.sock, containerd.sock or crio.sock hostPath gives the pod "
			       "control of the node's container runtime: a root shell on the node.",
			       "remove the volume; talk to the runtime through a narrower API",
			       NULL },
	[L_SENSITIVE_HOST_PATH] = { "sensitive-host-path", P, E, "Sensitive host path mounted",
				    "hostPath /, /etc, /proc, /sys, /var/run, /var/lib/kubelet or "
				    "/root (or a path under them) exposes node credentials and "
				    "kernel interfaces.",
				    "mount only the file the workload needs, readOnly, or drop the "
				    "volume",
				    NULL },
	[L_DANGEROUS_CAP] = { "dangerous-capability", P, E, "Dangerous capability added",
			      "SYS_ADMIN, SYS_PTRACE, SYS_MODULE, DAC_READ_SEARCH, NET_ADMIN, "
			      "BPF and ALL are used to escape containers.",
			      "remove the capability from securityContext.capabilities.add", NULL },
	[L_WRITABLE_ROOT_FS] = { "writable-root-fs", P, W, "Writable root filesystem",
				 "A writable root filesystem lets an intruder replace binaries "
				 "and drop tools.",
				 "set securityContext.readOnlyRootFilesystem: true (mount an "
				 "emptyDir where the program writes)",
				 NULL },
	[L_NO_LIMITS] = { "resource-limits", P, W, "Missing resource limits",
			  "Without memory and cpu limits one container can starve the node.",
			  "set resources.limits.memory and resources.limits.cpu", NULL },
	[L_SA_TOKEN] = { "sa-token-automount", P, W, "Service-account token mounted",
			 "The pod gets an API token it may not need (unless its ServiceAccount "
			 "sets automountServiceAccountToken: false).",
			 "set spec.automountServiceAccountToken: false", NULL },
	[L_MUTABLE_IMAGE] = { "mutable-image", P, W, "Image not pinned by digest",
			      "An image by tag (or without one: latest) can change under the same "
			      "name.",
			      "pin the image by digest: name:tag@sha256:<digest>", NULL },
};

PL_EXPORT const struct pl_lint_check *pl_lint_checks(size_t *n)
{
	*n = L__COUNT;
	return lint_check_table;
}

PL_EXPORT bool pl_lint_check_enabled(const struct pl_lint_check *c, enum pl_lint_set set)
{
	switch (set) {
	case PL_LINT_SET_ALL:
		return true;
	case PL_LINT_SET_BASELINE:
		return c->group == PL_LINT_GROUP_BASELINE;
	case PL_LINT_SET_RESTRICTED:
	case PL_LINT_SET_DEFAULT:
		if (c->group == PL_LINT_GROUP_PLASTRON)
			return set == PL_LINT_SET_DEFAULT;
		/* a restricted control supersedes its baseline twin */
		for (size_t i = 0; i < L__COUNT; i++)
			if (lint_check_table[i].replaces &&
			    !strcmp(lint_check_table[i].replaces, c->id))
				return false;
		return true;
	}
	return false;
}

PL_EXPORT int pl_lint_set_from_name(const char *name, enum pl_lint_set *ret)
{
	if (!name)
		return -EINVAL;
	if (!strcmp(name, "baseline"))
		*ret = PL_LINT_SET_BASELINE;
	else if (!strcmp(name, "restricted"))
		*ret = PL_LINT_SET_RESTRICTED;
	else
		return -EINVAL;
	return 0;
}
