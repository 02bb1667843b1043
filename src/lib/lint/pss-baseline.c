/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Pod Security Standards' baseline controls (as Kubernetes v1.37 applies them,
 * https://kubernetes.io/docs/concepts/security/pod-security-standards/):
 * HostProcess, host namespaces, privileged, capabilities, hostPath volumes,
 * host ports, host probes and lifecycle hooks, AppArmor, SELinux, /proc
 * mount type, seccomp and sysctls. Each control reads the fields the
 * standard names, at pod and container level (init and ephemeral
 * containers included), and allows exactly the values it allows.
 */
#include <string.h>

#include "lint-internal.h"

#define ADD(c, id, at, field, hint, ...) lint_add(c, id, at, field, hint, __VA_ARGS__)

/* ---- HostProcess ------------------------------------------------------------ */

static void host_process_sc(struct lint_ctx *c, const struct pl_node *sc, const struct pl_node *at,
			    const char *path, const char *who, const struct lint_container *k)
{
	const struct pl_node *hp = lint_get(lint_get(sc, "windowsOptions"), "hostProcess");
	if (!lint_is_true(hp))
		return;
	const char *f = lint_path(c, path, "windowsOptions.hostProcess");
	ADD(c, L_HOST_PROCESS, hp, f, lint_printf(c, "set %s: false (or remove it)", f),
	    "%s runs as a Windows HostProcess container", who);
}

/* ---- host namespaces --------------------------------------------------------- */

static void host_namespaces(struct lint_ctx *c)
{
	static const struct {
		const char *key, *what;
	} ns[] = { { "hostNetwork", "network" }, { "hostPID", "PID" }, { "hostIPC", "IPC" } };
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		const struct pl_node *n = lint_get(c->spec, ns[i].key);
		if (!lint_is_true(n))
			continue;
		const char *f = lint_path(c, c->spec_path, ns[i].key);
		ADD(c, L_HOST_NAMESPACES, n, f, lint_printf(c, "set %s: false (or remove it)", f),
		    "the pod shares the node's %s namespace", ns[i].what);
		lint_detail(c, L_HOST_NAMESPACES, ns[i].key);
	}
}

/* ---- privileged ------------------------------------------------------------- */

static void privileged_sc(struct lint_ctx *c, const struct pl_node *sc, const struct pl_node *at,
			  const char *path, const char *who, const struct lint_container *k)
{
	const struct pl_node *p = lint_get(sc, "privileged");
	if (!lint_is_true(p))
		return;
	const char *f = lint_path(c, path, "privileged");
	ADD(c, L_PRIVILEGED, p, f, lint_printf(c, "set %s: false (or remove it)", f),
	    "%s is privileged", who);
}

/* ---- capabilities ----------------------------------------------------------- */

static const char *const baseline_caps[] = {
	"AUDIT_WRITE",      "CHOWN",   "DAC_OVERRIDE", "FOWNER",  "FSETID", "KILL",       "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID",       "SETPCAP", "SETUID", "SYS_CHROOT", NULL
};

static void capabilities_sc(struct lint_ctx *c, const struct pl_node *sc, const struct pl_node *at,
			    const char *path, const char *who, const struct lint_container *k)
{
	const struct pl_node *add = lint_get(lint_get(sc, "capabilities"), "add");
	const char *f = lint_path(c, path, "capabilities.add");
	for (size_t i = 0; i < lint_n_items(add) && f; i++) {
		const struct pl_node *it = add->items[i];
		const char *s = lint_str(it);
		if (lint_in(s, baseline_caps))
			continue;
		ADD(c, L_CAPABILITIES, it, lint_index(c, f, i),
		    lint_printf(c, "remove %s from %s", s ? s : "the entry", f),
		    "%s adds capability %s, beyond the default set", who, s ? s : "(not a name)");
	}
}

/* ---- hostPath volumes ------------------------------------------------------- */

static void host_path(struct lint_ctx *c)
{
	const struct pl_node *vols = lint_get(c->spec, "volumes");
	const char *vp = lint_path(c, c->spec_path, "volumes");
	for (size_t i = 0; i < lint_n_items(vols) && vp; i++) {
		const struct pl_node *v = vols->items[i], *hp = lint_get(v, "hostPath");
		if (!hp)
			continue;
		const char *name = lint_str(lint_get(v, "name"));
		const char *path = lint_str(lint_get(hp, "path"));
		const char *f = lint_path(c, lint_index(c, vp, i), "hostPath");
		ADD(c, L_HOST_PATH, hp, f,
		    lint_printf(c,
				"replace %s with an emptyDir, configMap, secret or "
				"persistentVolumeClaim volume",
				f),
		    "volume '%s' mounts host path %s", name ? name : "?", path ? path : "(none)");
	}
}

/* ---- host ports ------------------------------------------------------------- */

static void host_ports(struct lint_ctx *c)
{
	for (size_t i = 0; i < c->n_ctrs; i++) {
		const struct lint_container *k = &c->ctrs[i];
		const struct pl_node *ports = lint_get(k->node, "ports");
		const char *pp = lint_path(c, k->path, "ports");
		for (size_t j = 0; j < lint_n_items(ports) && pp; j++) {
			const struct pl_node *hp = lint_get(ports->items[j], "hostPort");
			const char *s = lint_str(hp);
			if (!hp || (s && !strcmp(s, "0")))
				continue;
			const char *f = lint_path(c, lint_index(c, pp, j), "hostPort");
			ADD(c, L_HOST_PORTS, hp, f,
			    lint_printf(c, "remove %s (expose the port with a Service)", f),
			    "%s binds host port %s", lint_who(c, k), s ? s : "?");
		}
	}
}

/* ---- host probes and lifecycle hooks ----------------------------------------- */

static void host_field(struct lint_ctx *c, const struct lint_container *k, const struct pl_node *h,
		       const char *hpath, const char *what)
{
	for (int t = 0; t < 2; t++) {
		const char *handler = t ? "tcpSocket" : "httpGet";
		const struct pl_node *host = lint_get(lint_get(h, handler), "host");
		const char *s = lint_str(host);
		if (!host || (s && !*s))
			continue;
		const char *f = lint_path(c, hpath, t ? "tcpSocket.host" : "httpGet.host");
		ADD(c, L_HOST_PROBES, host, f,
		    lint_printf(c, "remove %s (the kubelet then uses the pod's IP)", f),
		    "the %s of %s targets host '%s'", what, lint_who(c, k), s ? s : "?");
	}
}

static void host_probes(struct lint_ctx *c)
{
	static const char *const probes[] = { "livenessProbe", "readinessProbe", "startupProbe" };
	static const char *const hooks[] = { "postStart", "preStop" };
	static const char *const hook_names[] = { "postStart hook", "preStop hook" };
	for (size_t i = 0; i < c->n_ctrs; i++) {
		const struct lint_container *k = &c->ctrs[i];
		for (size_t p = 0; p < 3; p++)
			host_field(c, k, lint_get(k->node, probes[p]),
				   lint_path(c, k->path, probes[p]), probes[p]);
		const struct pl_node *lc = lint_get(k->node, "lifecycle");
		for (size_t p = 0; p < 2; p++) {
			const char *lp = lint_path(c, k->path, "lifecycle");
			host_field(c, k, lint_get(lc, hooks[p]),
				   lp ? lint_path(c, lp, hooks[p]) : NULL, hook_names[p]);
		}
	}
}

/* ---- AppArmor --------------------------------------------------------------- */

static const char *const apparmor_types[] = { "RuntimeDefault", "Localhost", NULL };

static void apparmor_sc(struct lint_ctx *c, const struct pl_node *sc, const struct pl_node *at,
			const char *path, const char *who, const struct lint_container *k)
{
	const struct pl_node *t = lint_get(lint_get(sc, "appArmorProfile"), "type");
	const char *s = lint_str(t);
	if (!t || lint_in(s, apparmor_types))
		return;
	const char *f = lint_path(c, path, "appArmorProfile.type");
	ADD(c, L_APPARMOR, t, f, lint_printf(c, "set %s: RuntimeDefault", f),
	    "%s sets AppArmor profile type %s", who, s ? s : "?");
}

static void apparmor_annotations(struct lint_ctx *c)
{
	static const char prefix[] = "container.apparmor.security.beta.kubernetes.io/";
	const struct pl_node *an = lint_get(c->meta, "annotations");
	if (!an || an->type != PL_NODE_MAP || !c->meta_path)
		return;
	for (size_t i = 0; i < an->n_pairs; i++) {
		const char *key = an->pairs[i].key->str;
		const struct pl_node *v = an->pairs[i].value;
		const char *s = lint_str(v);
		if (strncmp(key, prefix, sizeof(prefix) - 1))
			continue;
		if (s && (!*s || !strcmp(s, "runtime/default") || !strncmp(s, "localhost/", 10)))
			continue;
		const char *f = lint_printf(c, "%s.annotations['%s']", c->meta_path, key);
		ADD(c, L_APPARMOR, v, f, lint_printf(c, "set %s to runtime/default", f),
		    "container '%s' has AppArmor profile '%s'", key + sizeof(prefix) - 1,
		    s ? s : "?");
	}
}

/* ---- SELinux ---------------------------------------------------------------- */

static const char *const selinux_types[] = { "container_t", "container_init_t", "container_kvm_t",
					     "container_engine_t", NULL };

static void selinux_sc(struct lint_ctx *c, const struct pl_node *sc, const struct pl_node *at,
		       const char *path, const char *who, const struct lint_container *k)
{
	const struct pl_node *o = lint_get(sc, "seLinuxOptions");
	const char *op = lint_path(c, path, "seLinuxOptions");
	if (!o || !op)
		return;
	const struct pl_node *t = lint_get(o, "type");
	const char *ts = lint_str(t);
	if (t && !(ts && (!*ts || lint_in(ts, selinux_types)))) {
		const char *f = lint_path(c, op, "type");
		ADD(c, L_SELINUX, t, f, lint_printf(c, "set %s: container_t (or remove it)", f),
		    "%s sets SELinux type %s", who, ts ? ts : "?");
	}
	static const char *const keys[] = { "user", "role" };
	for (size_t i = 0; i < 2; i++) {
		const struct pl_node *n = lint_get(o, keys[i]);
		const char *s = lint_str(n);
		if (!n || (s && !*s))
			continue;
		const char *f = lint_path(c, op, keys[i]);
		ADD(c, L_SELINUX, n, f, lint_printf(c, "remove %s", f), "%s sets SELinux %s %s",
		    who, keys[i], s ? s : "?");
	}
}

/* ---- /proc mount type ------------------------------------------------------- */

static void proc_mount_sc(struct lint_ctx *c, const struct pl_node *sc, const struct pl_node *at,
			  const char *path, const char *who, const struct lint_container *k)
{
	const struct pl_node *p = lint_get(sc, "procMount");
	const char *s = lint_str(p);
	if (!p || (s && !strcmp(s, "Default")))
		return;
	const char *f = lint_path(c, path, "procMount");
	/* baseline allows any type in a user namespace; restricted does not */
	if (!c->user_ns)
		ADD(c, L_PROC_MOUNT, p, f, lint_printf(c, "remove %s (or set it to Default)", f),
		    "%s mounts /proc %s", who, s ? s : "?");
	ADD(c, L_PROC_MOUNT_RESTRICTED, p, f, lint_printf(c, "remove %s (or set it to Default)", f),
	    "%s mounts /proc %s", who, s ? s : "?");
}

/* ---- seccomp ---------------------------------------------------------------- */

static void seccomp_sc(struct lint_ctx *c, const struct pl_node *sc, const struct pl_node *at,
		       const char *path, const char *who, const struct lint_container *k)
{
	static const char *const ok[] = { "RuntimeDefault", "Localhost", NULL };
	const struct pl_node *t = lint_get(lint_get(sc, "seccompProfile"), "type");
	const char *s = lint_str(t);
	if (!t || lint_in(s, ok))
		return;
	const char *f = lint_path(c, path, "seccompProfile.type");
	ADD(c, L_SECCOMP, t, f, lint_printf(c, "set %s: RuntimeDefault", f),
	    "%s sets seccomp profile type %s", who, s ? s : "?");
}

/* ---- sysctls ---------------------------------------------------------------- */

static void sysctls(struct lint_ctx *c)
{
	static const char *const safe[] = { "kernel.shm_rmid_forced",
					    "net.ipv4.ip_local_port_range",
					    "net.ipv4.ip_unprivileged_port_start",
					    "net.ipv4.tcp_syncookies",
					    "net.ipv4.ping_group_range",
					    "net.ipv4.ip_local_reserved_ports",
					    "net.ipv4.tcp_keepalive_time",
					    "net.ipv4.tcp_fin_timeout",
					    "net.ipv4.tcp_keepalive_intvl",
					    "net.ipv4.tcp_keepalive_probes",
					    "net.ipv4.tcp_rmem",
					    "net.ipv4.tcp_wmem",
					    "net.ipv4.tcp_slow_start_after_idle",
					    "net.ipv4.tcp_notsent_lowat",
					    NULL };
	const struct pl_node *v = lint_get(lint_get(c->spec, "securityContext"), "sysctls");
	const char *sp = lint_path(c, c->spec_path, "securityContext.sysctls");
	for (size_t i = 0; i < lint_n_items(v) && sp; i++) {
		const struct pl_node *n = lint_get(v->items[i], "name");
		const char *s = lint_str(n);
		if (lint_in(s, safe))
			continue;
		const char *f = lint_index(c, sp, i);
		ADD(c, L_SYSCTLS, n ? n : v->items[i], lint_path(c, f, "name"),
		    lint_printf(c, "remove %s", f), "the pod sets sysctl %s, which is not safe",
		    s ? s : "?");
	}
}

void lint_pss_baseline(struct lint_ctx *c)
{
	lint_each_sc(c, true, host_process_sc);
	host_namespaces(c);
	lint_each_sc(c, false, privileged_sc);
	lint_each_sc(c, false, capabilities_sc);
	host_path(c);
	host_ports(c);
	host_probes(c);
	lint_each_sc(c, true, apparmor_sc);
	apparmor_annotations(c);
	lint_each_sc(c, true, selinux_sc);
	lint_each_sc(c, false, proc_mount_sc);
	lint_each_sc(c, true, seccomp_sc);
	sysctls(c);
}
