/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plastron's own lint checks, beyond the Pod Security Standards: container
 * runtime sockets and sensitive host paths mounted, dangerous capabilities
 * by name, a writable root filesystem, missing resource limits, the
 * service-account token automounted, and images not pinned by digest.
 */
#include <ctype.h>
#include <string.h>

#include "lint-internal.h"

/* ---- host paths ------------------------------------------------------------- */

static bool is_socket(const char *p)
{
	static const char *const socks[] = { "docker.sock", "containerd.sock", "crio.sock", NULL };
	const char *base = strrchr(p, '/');
	return lint_in(base ? base + 1 : p, socks);
}

/* `p` is `dir` or under it (p has no trailing '/'). */
static bool under(const char *p, const char *dir)
{
	size_t n = strlen(dir);
	return !strncmp(p, dir, n) && (p[n] == 0 || p[n] == '/');
}

static void host_paths(struct lint_ctx *c)
{
	static const char *const sensitive[] = { "/etc",     "/proc", "/sys",
						 "/var/run", "/run",  "/var/lib/kubelet",
						 "/root",    NULL };
	const struct pl_node *vols = lint_get(c->spec, "volumes");
	const char *vp = lint_path(c, c->spec_path, "volumes");
	for (size_t i = 0; i < lint_n_items(vols) && vp; i++) {
		const struct pl_node *v = vols->items[i];
		const struct pl_node *pn = lint_get(lint_get(v, "hostPath"), "path");
		const char *s = lint_str(pn);
		if (!s || !*s)
			continue;
		char p[4096];
		size_t n = strlen(s);
		if (n >= sizeof(p))
			continue;
		memcpy(p, s, n + 1);
		while (n > 1 && p[n - 1] == '/')
			p[--n] = 0;
		const char *name = lint_str(lint_get(v, "name"));
		const char *f = lint_path(c, lint_index(c, vp, i), "hostPath.path");
		const char *hint = lint_printf(c, "remove volume '%s' (%s) and its volumeMounts",
					       name ? name : "?", lint_index(c, vp, i));
		if (is_socket(p)) {
			lint_add(c, L_RUNTIME_SOCKET, pn, f, hint,
				 "volume '%s' mounts the container runtime socket %s: control of "
				 "every container on the node",
				 name ? name : "?", s);
			lint_detail(c, L_RUNTIME_SOCKET, p);
			continue;
		}
		bool hit = !strcmp(p, "/");
		for (size_t k = 0; !hit && sensitive[k]; k++)
			hit = under(p, sensitive[k]);
		if (hit) {
			lint_add(c, L_SENSITIVE_HOST_PATH, pn, f, hint,
				 "volume '%s' mounts sensitive host path %s", name ? name : "?", s);
			lint_detail(c, L_SENSITIVE_HOST_PATH, p);
		}
	}
}

/* ---- capabilities ----------------------------------------------------------- */

static void dangerous_caps(struct lint_ctx *c)
{
	static const char *const bad[] = { "SYS_ADMIN",  "SYS_PTRACE",
					   "SYS_MODULE", "DAC_READ_SEARCH",
					   "NET_ADMIN",  "BPF",
					   "ALL",        NULL };
	for (size_t i = 0; i < c->n_ctrs; i++) {
		const struct lint_container *k = &c->ctrs[i];
		const struct pl_node *add =
		    lint_get(lint_get(lint_get(k->node, "securityContext"), "capabilities"), "add");
		const char *af = lint_path(c, k->path, "securityContext.capabilities.add");
		for (size_t j = 0; j < lint_n_items(add) && af; j++) {
			const char *s = lint_str(add->items[j]);
			char up[64];
			size_t n = s ? strlen(s) : 0;
			if (!s || n >= sizeof(up))
				continue;
			for (size_t x = 0; x <= n; x++)
				up[x] = (char)toupper((unsigned char)s[x]);
			const char *name = strncmp(up, "CAP_", 4) ? up : up + 4;
			if (!lint_in(name, bad))
				continue;
			lint_add(c, L_DANGEROUS_CAP, add->items[j], lint_index(c, af, j),
				 lint_printf(c, "remove %s from %s", s, af),
				 strcmp(name, "ALL")
				     ? "%s adds %s, a capability used to escape containers"
				     : "%s adds %s: every capability, SYS_ADMIN included",
				 lint_who(c, k), s);
			lint_detail(c, L_DANGEROUS_CAP, name);
		}
	}
}

/* ---- root filesystem, limits ------------------------------------------------ */

static void containers(struct lint_ctx *c)
{
	for (size_t i = 0; i < c->n_ctrs; i++) {
		const struct lint_container *k = &c->ctrs[i];
		const char *who = lint_who(c, k);
		const struct pl_node *sc = lint_get(k->node, "securityContext");
		const struct pl_node *ro = lint_get(sc, "readOnlyRootFilesystem");
		const char *f = lint_path(c, k->path, "securityContext.readOnlyRootFilesystem");
		if (!lint_is_true(ro))
			lint_add(c, L_WRITABLE_ROOT_FS,
				 ro   ? ro
				 : sc ? sc
				      : k->node,
				 f, lint_printf(c, "set %s: true", f),
				 "%s has a writable root filesystem", who);
		if (k->ephemeral) /* ephemeral containers take no resources */
			continue;
		const struct pl_node *res = lint_get(k->node, "resources");
		const struct pl_node *lim = lint_get(res, "limits");
		bool mem = lint_get(lim, "memory"), cpu = lint_get(lim, "cpu");
		const char *lf = lint_path(c, k->path, "resources.limits");
		if (!mem || !cpu)
			lint_add(c, L_NO_LIMITS,
				 lim   ? lim
				 : res ? res
				       : k->node,
				 lf,
				 lint_printf(c, "set %s%s%s%s", !mem ? lf : "",
					     !mem ? ".memory (e.g. 256Mi)" : "",
					     !mem && !cpu ? " and " : "",
					     !cpu ? lint_printf(c, "%s.cpu (e.g. 500m)", lf) : ""),
				 "%s has no %s limit", who,
				 !mem && !cpu ? "memory or cpu"
				 : !mem       ? "memory"
					      : "cpu");
	}
}

/* ---- service-account token -------------------------------------------------- */

static void sa_token(struct lint_ctx *c)
{
	const struct pl_node *n = lint_get(c->spec, "automountServiceAccountToken");
	if (lint_is_false(n))
		return;
	const char *f = lint_path(c, c->spec_path, "automountServiceAccountToken");
	lint_add(c, L_SA_TOKEN, n ? n : c->spec, f,
		 lint_printf(c, "set %s: false (unless the pod calls the API server)", f),
		 "the pod mounts a service-account token%s", n ? "" : " (the default)");
}

/* ---- images ----------------------------------------------------------------- */

static void images(struct lint_ctx *c)
{
	for (size_t i = 0; i < c->n_ctrs; i++) {
		const struct lint_container *k = &c->ctrs[i];
		const struct pl_node *n = lint_get(k->node, "image");
		const char *s = lint_str(n);
		if (!s || strchr(s, '@'))
			continue;
		const char *slash = strrchr(s, '/');
		const char *colon = strchr(slash ? slash : s, ':');
		const char *f = lint_path(c, k->path, "image");
		const char *hint =
		    lint_printf(c, "set %s: %s%s@sha256:<digest>", f, s, colon ? "" : ":<tag>");
		if (colon)
			lint_add(c, L_MUTABLE_IMAGE, n, f, hint,
				 "%s uses image %s by tag '%s', not by digest", lint_who(c, k), s,
				 colon + 1);
		else
			lint_add(c, L_MUTABLE_IMAGE, n, f, hint,
				 "%s uses image %s without tag or digest (latest)", lint_who(c, k),
				 s);
	}
}

void lint_plastron(struct lint_ctx *c)
{
	host_paths(c);
	dangerous_caps(c);
	containers(c);
	sa_token(c);
	images(c);
}
