/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Pod Security Standards' restricted controls: volume types, privilege
 * escalation, running as non-root, non-root user, seccomp (restricted),
 * capabilities (restricted) and /proc mount type (restricted; the check
 * itself is pss-baseline.c's, beside its baseline twin). Pod-level settings are inherited by the
 * containers that leave them unset; a container's own value overrides the
 * pod's. As in the Pod Security admission controller, an explicit bad value
 * is reported where it is written, pod level included, and a pod that sets
 * spec.os.name: windows is exempt from the Linux-only controls, one with
 * hostUsers: false (a user namespace) from the non-root ones.
 */
#include <string.h>

#include "lint-internal.h"

/* ---- volume types ----------------------------------------------------------- */

static void volume_types(struct lint_ctx *c)
{
	static const char *const ok[] = { "name", "configMap", "csi", "downwardAPI", "emptyDir",
					  "ephemeral",
					  /* allowed by the admission controller since
					   * v1.33 (kubernetes#130394), not yet listed
					   * in the standard's page */
					  "image", "persistentVolumeClaim", "projected", "secret",
					  NULL };
	const struct pl_node *vols = lint_get(c->spec, "volumes");
	const char *vp = lint_path(c, c->spec_path, "volumes");
	for (size_t i = 0; i < lint_n_items(vols) && vp; i++) {
		const struct pl_node *v = vols->items[i];
		if (v->type != PL_NODE_MAP)
			continue;
		const char *name = lint_str(lint_get(v, "name"));
		for (size_t j = 0; j < v->n_pairs; j++) {
			const char *key = v->pairs[j].key->str;
			if (lint_in(key, ok) || pl_node_is_null(v->pairs[j].value))
				continue;
			const char *f = lint_path(c, lint_index(c, vp, i), key);
			lint_add(c, L_VOLUME_TYPES, v->pairs[j].value, f,
				 lint_printf(c,
					     "replace %s with a configMap, secret, emptyDir, "
					     "projected or persistentVolumeClaim volume",
					     f),
				 "volume '%s' is of type %s", name ? name : "?", key);
		}
	}
}

/* ---- privilege escalation ---------------------------------------------------- */

static void priv_esc_sc(struct lint_ctx *c, const struct pl_node *sc, const struct pl_node *at,
			const char *path, const char *who, const struct lint_container *k)
{
	const struct pl_node *n = lint_get(sc, "allowPrivilegeEscalation");
	if (lint_is_false(n))
		return;
	const char *f = lint_path(c, path, "allowPrivilegeEscalation");
	const char *s = lint_str(n);
	if (n)
		lint_add(c, L_PRIV_ESC, n, f, lint_printf(c, "set %s: false", f),
			 "%s sets allowPrivilegeEscalation: %s", who, s ? s : "?");
	else
		lint_add(c, L_PRIV_ESC, at, f, lint_printf(c, "set %s: false", f),
			 "%s does not set allowPrivilegeEscalation: false", who);
}

/* ---- a pod-level setting that containers inherit ------------------------------ */

/*
 * One inherited securityContext field: `get` finds it in a securityContext,
 * `good` says whether a value is allowed. The pod-level value, when set and
 * good, covers the containers that leave it unset; an explicit bad value is
 * reported where it is written (pod or container), a container without the
 * field under a pod without a good value where the container is.
 */
struct inherited {
	enum lint_id id;
	const char *key; /* relative to securityContext */
	bool (*good)(const struct pl_node *v);
	const char *want;    /* the value the hint sets */
	const char *missing; /* message tail for a container without it */
};

static const struct pl_node *get_dotted(const struct pl_node *sc, const char *key)
{
	const char *dot = strchr(key, '.');
	if (!dot)
		return lint_get(sc, key);
	char head[64];
	size_t n = (size_t)(dot - key);
	if (n >= sizeof(head))
		return NULL;
	memcpy(head, key, n);
	head[n] = 0;
	return get_dotted(lint_get(sc, head), dot + 1);
}

static void inherited(struct lint_ctx *c, const struct inherited *in)
{
	const struct pl_node *psc = lint_get(c->spec, "securityContext");
	const char *pp = lint_path(c, c->spec_path, "securityContext");
	const struct pl_node *pv = get_dotted(psc, in->key);
	const char *pf = lint_path(c, pp, in->key);
	bool pod_good = pv && in->good(pv);
	if (pv && !pod_good)
		lint_add(c, in->id, pv, pf, lint_printf(c, "set %s: %s", pf, in->want),
			 "the pod sets %s: %s", in->key, lint_str(pv) ? lint_str(pv) : "?");
	for (size_t i = 0; i < c->n_ctrs; i++) {
		const struct lint_container *k = &c->ctrs[i];
		const struct pl_node *sc = lint_get(k->node, "securityContext");
		const char *f = lint_path(c, lint_path(c, k->path, "securityContext"), in->key);
		const struct pl_node *v = get_dotted(sc, in->key);
		if (v && !in->good(v))
			lint_add(c, in->id, v, f, lint_printf(c, "set %s: %s", f, in->want),
				 "%s sets %s: %s", lint_who(c, k), in->key,
				 lint_str(v) ? lint_str(v) : "?");
		else if (!v && !pod_good)
			lint_add(
			    c, in->id, sc ? sc : k->node, f,
			    lint_printf(c, "set %s: %s (or %s: %s)", pf, in->want, f, in->want),
			    "%s %s", lint_who(c, k), in->missing);
	}
}

static bool is_true(const struct pl_node *v)
{
	return lint_is_true(v);
}

static bool seccomp_ok(const struct pl_node *v)
{
	const char *s = lint_str(v);
	return s && (!strcmp(s, "RuntimeDefault") || !strcmp(s, "Localhost"));
}

static const struct inherited run_as_non_root = {
	L_RUN_AS_NON_ROOT, "runAsNonRoot", is_true, "true",
	"does not set runAsNonRoot: true and the pod does not either"
};
static const struct inherited seccomp_restricted = {
	L_SECCOMP_RESTRICTED, "seccompProfile.type", seccomp_ok, "RuntimeDefault",
	"has no seccomp profile and the pod has none either"
};

/* ---- non-root user ---------------------------------------------------------- */

static void run_as_user_sc(struct lint_ctx *c, const struct pl_node *sc, const struct pl_node *at,
			   const char *path, const char *who, const struct lint_container *k)
{
	const struct pl_node *n = lint_get(sc, "runAsUser");
	const char *s = lint_str(n);
	if (!s || strcmp(s, "0"))
		return;
	const char *f = lint_path(c, path, "runAsUser");
	lint_add(c, L_RUN_AS_USER, n, f,
		 lint_printf(c, "set %s to a non-zero UID (or remove it)", f), "%s runs as UID 0",
		 who);
}

/* ---- capabilities (restricted) ---------------------------------------------- */

static void caps_restricted_sc(struct lint_ctx *c, const struct pl_node *sc,
			       const struct pl_node *at, const char *path, const char *who,
			       const struct lint_container *k)
{
	const struct pl_node *caps = lint_get(sc, "capabilities");
	const struct pl_node *drop = lint_get(caps, "drop"), *add = lint_get(caps, "add");
	const char *cp = lint_path(c, path, "capabilities");
	bool all = false;
	for (size_t i = 0; i < lint_n_items(drop); i++) {
		const char *s = lint_str(drop->items[i]);
		if (s && !strcmp(s, "ALL"))
			all = true;
	}
	if (!all) {
		const char *f = lint_path(c, cp, "drop");
		lint_add(c, L_CAPABILITIES_RESTRICTED,
			 drop   ? drop
			 : caps ? caps
				: at,
			 f,
			 drop ? lint_printf(c, "add ALL to %s", f)
			      : lint_printf(c, "set %s: [ALL]", f),
			 "%s does not drop ALL capabilities", who);
	}
	const char *af = lint_path(c, cp, "add");
	for (size_t i = 0; i < lint_n_items(add); i++) {
		const char *s = lint_str(add->items[i]);
		if (s && !strcmp(s, "NET_BIND_SERVICE"))
			continue;
		lint_add(c, L_CAPABILITIES_RESTRICTED, add->items[i], lint_index(c, af, i),
			 lint_printf(c, "remove %s from %s", s ? s : "the entry", af),
			 "%s adds capability %s (only NET_BIND_SERVICE may be added)", who,
			 s ? s : "?");
	}
}

void lint_pss_restricted(struct lint_ctx *c)
{
	/* Privilege Escalation, Seccomp and Capabilities are Linux-only controls
	 * since v1.25: a pod that sets spec.os.name: windows is exempt */
	const char *os = lint_str(lint_get(lint_get(c->spec, "os"), "name"));
	bool on_linux = !os || strcmp(os, "windows");
	volume_types(c);
	if (on_linux)
		lint_each_sc(c, false, priv_esc_sc);
	/* a pod in a user namespace (hostUsers: false) is root only inside it */
	if (!c->user_ns) {
		inherited(c, &run_as_non_root);
		lint_each_sc(c, true, run_as_user_sc);
	}
	if (on_linux) {
		inherited(c, &seccomp_restricted);
		lint_each_sc(c, false, caps_restricted_sc);
	}
}
