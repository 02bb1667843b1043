/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy's mode sections: enhanceProtect (built-in rules by category,
 * attack-protection rules with targets, AppArmor raw rules, and the hand-off
 * to bpfRawRules and syscallRawRules) and defenseInDepth (AppArmor and
 * seccomp profile types, customProfile: an OCI seccomp JSON imported with
 * pl_sc_profile_from_json(), src/lib/policy/seccomp-json.c).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

/* ---- built-in rules ---------------------------------------------------- */

static void add_rule(struct ctx *c, const struct pl_node *n, const char *path, enum pl_category cat,
		     const struct pl_strv *targets)
{
	static const char *const list_of[] = {
		[PL_CAT_HARDENING] = "hardeningRules",
		[PL_CAT_ATTACK_PROTECTION] = "attackProtectionRules",
		[PL_CAT_VUL_MITIGATION] = "vulMitigationRules",
	};
	const char *id = dec_get_str(c, n, path);
	if (!id)
		return;
	const struct pl_rule *r = pl_catalog_find(id);
	if (!r) {
		dec_err(c, n, path, "unknown rule '%s'", id);
		dec_hint_suggest(c, id, c->rule_names, c->n_rule_names);
		return;
	}
	if (r->category != cat) {
		dec_err(c, n, path, "'%s' belongs to the %s category; list it under %s", id,
			pl_category_name(r->category), list_of[r->category]);
		return;
	}
	struct pl_rule_use *u = PUSH(c, c->p->enhance.rules, c->p->enhance.n_rules);
	if (!u)
		return;
	u->rule = r;
	u->written = dec_sdup(c, id);
	u->action = c->p->default_action;
	if (targets && targets->n) {
		u->targets = *targets;
		if (!(r->flags & PL_RULE_APPARMOR_TARGETS))
			dec_warn(
			    c, n, path,
			    "'%s' does not honour targets; it applies to every executable in the "
			    "container",
			    id);
	}
	u->pos = n->pos;
}

static void rule_list(struct ctx *c, const struct pl_node *n, const char *path,
		      enum pl_category cat)
{
	char ip[PATH_LEN];
	if (!dec_is_type(c, n, path, PL_NODE_SEQ))
		return;
	for (size_t i = 0; i < n->n_items; i++)
		add_rule(c, n->items[i], dec_pidx(ip, path, i), cat, NULL);
}

static void attack_rules(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "rules", "targets", NULL };
	char kp[PATH_LEN], rp[PATH_LEN];
	for (struct map_iter mi = dec_maps_of(c, n, path, keys); dec_map_next(&mi);) {
		const struct pl_node *it = mi.item;
		const char *ip = mi.path;
		struct pl_strv targets = { 0 };
		const struct pl_node *t = dec_get(it, "targets");
		if (t) {
			dec_get_targets(c, t, dec_pkey(kp, ip, "targets"), &targets);
			if (targets.n && !(c->p->enforcers & PL_ENF_APPARMOR))
				dec_warn(
				    c, t, kp,
				    "targets are used only by the AppArmor enforcer; with '%s' "
				    "the rules apply to the whole container",
				    c->p->enforcer_text ? c->p->enforcer_text : "");
		}
		const struct pl_node *rules = dec_require(c, it, ip, "rules");
		if (!rules || !dec_is_type(c, rules, dec_pkey(kp, ip, "rules"), PL_NODE_SEQ))
			continue;
		for (size_t j = 0; j < rules->n_items; j++)
			add_rule(c, rules->items[j], dec_pidx(rp, kp, j), PL_CAT_ATTACK_PROTECTION,
				 &targets);
	}
}

static void apparmor_raw(struct ctx *c, const struct pl_node *n, const char *path,
			 struct pl_apparmor_raw **out, size_t *n_out)
{
	static const char *const keys[] = { "rules", "targets", NULL };
	char ip[PATH_LEN], kp[PATH_LEN];
	if (!dec_is_type(c, n, path, PL_NODE_SEQ))
		return;
	for (size_t i = 0; i < n->n_items; i++) {
		const struct pl_node *it = n->items[i];
		dec_pidx(ip, path, i);
		const char *text = NULL;
		struct pl_strv targets = { 0 };
		if (it->type == PL_NODE_SCALAR) {
			/* vArmor ≤ v0.7: a plain list of rule strings */
			text = dec_get_str(c, it, ip);
		} else if (dec_is_type(c, it, ip, PL_NODE_MAP)) {
			dec_check_keys(c, it, ip, keys);
			const struct pl_node *r = dec_require(c, it, ip, "rules");
			if (r)
				text = dec_get_str(c, r, dec_pkey(kp, ip, "rules"));
			const struct pl_node *t = dec_get(it, "targets");
			if (t)
				dec_get_targets(c, t, dec_pkey(kp, ip, "targets"), &targets);
		}
		if (!text)
			continue;
		const char *q = text;
		while (*q && isspace((unsigned char)*q))
			q++;
		if (!*q) {
			dec_err(c, it, ip, "empty AppArmor rule text");
			continue;
		}
		struct pl_apparmor_raw *a = PUSH(c, *out, *n_out);
		if (a) {
			a->rules = dec_sdup(c, text);
			a->targets = targets;
			a->pos = it->pos;
		}
	}
}

/* ---- enhanceProtect ---------------------------------------------------- */

void dec_enhance_protect(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "hardeningRules",
					    "attackProtectionRules",
					    "vulMitigationRules",
					    "appArmorRawRules",
					    "bpfRawRules",
					    "syscallRawRules",
					    "networkProxyRawRules",
					    "privileged",
					    "auditViolations",
					    "allowViolations",
					    NULL };
	char kp[PATH_LEN];
	struct pl_enhance *e = &c->p->enhance;
	if (!dec_is_type(c, n, path, PL_NODE_MAP))
		return;
	dec_check_keys(c, n, path, keys);
	e->present = true;
	const struct pl_node *v;
	if ((v = dec_get(n, "privileged")))
		dec_get_bool(c, v, dec_pkey(kp, path, "privileged"), &e->privileged);
	if ((v = dec_get(n, "auditViolations")))
		dec_get_bool(c, v, dec_pkey(kp, path, "auditViolations"), &e->audit_violations);
	if ((v = dec_get(n, "allowViolations")))
		dec_get_bool(c, v, dec_pkey(kp, path, "allowViolations"), &e->allow_violations);
	if (c->p->mode == PL_MODE_ENHANCE_PROTECT)
		c->p->default_action = e->allow_violations   ? PL_ACTION_ALLOW_LOG
				       : e->audit_violations ? PL_ACTION_DENY_LOG
							     : PL_ACTION_DENY;
	if ((v = dec_get(n, "hardeningRules")))
		rule_list(c, v, dec_pkey(kp, path, "hardeningRules"), PL_CAT_HARDENING);
	if ((v = dec_get(n, "attackProtectionRules")))
		attack_rules(c, v, dec_pkey(kp, path, "attackProtectionRules"));
	if ((v = dec_get(n, "vulMitigationRules")))
		rule_list(c, v, dec_pkey(kp, path, "vulMitigationRules"), PL_CAT_VUL_MITIGATION);
	if ((v = dec_get(n, "appArmorRawRules")))
		apparmor_raw(c, v, dec_pkey(kp, path, "appArmorRawRules"), &e->apparmor_raw,
			     &e->n_apparmor_raw);
	if ((v = dec_get(n, "bpfRawRules")))
		dec_bpf_raw(c, v, dec_pkey(kp, path, "bpfRawRules"));
	if ((v = dec_get(n, "syscallRawRules")))
		dec_syscall_raw(c, v, dec_pkey(kp, path, "syscallRawRules"), "syscallRawRules",
				&e->syscall_raw, &e->n_syscall_raw);
	if ((v = dec_get(n, "networkProxyRawRules"))) {
		e->has_network_proxy_raw = true;
		dec_network_proxy_rules(c, v, dec_pkey(kp, path, "networkProxyRawRules"));
		dec_warn(
		    c, v, kp,
		    "accepted but not enforced by plastron (the NetworkProxy enforcer is out of "
		    "scope)");
	}
}

/* ---- defenseInDepth ---------------------------------------------------- */

static enum pl_profile_type profile_type(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const types[] = { "BehaviorModel", "Custom", NULL };
	const char *s = dec_get_str(c, n, path);
	if (!s)
		return PL_PROFILE_NONE;
	if (!strcmp(s, "BehaviorModel"))
		return PL_PROFILE_BEHAVIOR_MODEL;
	if (!strcmp(s, "Custom"))
		return PL_PROFILE_CUSTOM;
	dec_err(c, n, path, "unknown profileType '%s' (BehaviorModel or Custom)", s);
	dec_hint_suggest(c, s, types, 0);
	return PL_PROFILE_NONE;
}

static void seccomp_custom(struct ctx *c, const struct pl_node *n, const char *path,
			   const char *json)
{
	struct pl_diag sub = { 0 };
	struct pl_sc_profile *prof = NULL;
	int r = pl_sc_profile_from_json(path, json, strlen(json), &prof, &sub);
	for (const struct pl_diag_entry *e = sub.head; e; e = e->next) {
		struct pl_pos pos = n->pos;
		char where[64] = "";
		if (e->line && n->block_col) {
			/* a literal block: point into the file */
			pos.line = n->pos.line + e->line;
			pos.col = n->block_col + (e->col ? e->col - 1 : 0);
		} else if (e->line) {
			snprintf(where, sizeof(where), "line %u col %u of the profile: ", e->line,
				 e->col);
		}
		const char *fld = e->field && strcmp(e->field, path) ? e->field : NULL;
		if (e->severity == PL_SEV_ERROR)
			pl_error(c->d, e->code, &pos, path, "%s%s%s%s", where, fld ? fld : "",
				 fld ? ": " : "", e->message ? e->message : "");
		else
			pl_warning(c->d, &pos, path, "%s%s%s%s", where, fld ? fld : "",
				   fld ? ": " : "", e->message ? e->message : "");
		if (e->hint)
			pl_diag_hint(c->d, "%s", e->hint);
	}
	if (r < 0 && sub.n_errors == 0)
		pl_error(c->d, r, &n->pos, path, "customProfile: invalid seccomp profile (%s)",
			 strerror(-r));
	if (r == -ENOMEM || sub.n_lost)
		c->oom = true;
	pl_diag_clear(&sub);
	if (r < 0 || !prof) {
		if (prof)
			pl_sc_profile_free(prof);
		return;
	}
	struct pl_sc_profile **slot =
	    realloc(c->set->profiles, (c->set->n_profiles + 1) * sizeof(*slot));
	if (!slot) {
		pl_sc_profile_free(prof);
		c->oom = true;
		return;
	}
	c->set->profiles = slot;
	slot[c->set->n_profiles++] = prof;
	c->p->dind.seccomp_custom = prof;
	for (size_t i = 0; i < prof->n_skipped; i++) {
		struct pl_sc_skipped s = prof->skipped[i];
		char f[2 * PATH_LEN + 2];
		snprintf(f, sizeof(f), "%.*s.%.*s", PATH_LEN, path, PATH_LEN,
			 s.field ? s.field : "");
		s.field = f;
		s.pos = n->pos;
		dec_syscall_skipped(c, &s);
	}
}

void dec_defense_in_depth(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "appArmor", "seccomp", "networkProxy",
					    "allowViolations", NULL };
	static const char *const akeys[] = { "profileType", "customProfile", "appArmorRawRules",
					     NULL };
	static const char *const skeys[] = { "profileType", "customProfile", "syscallRawRules",
					     NULL };
	char kp[PATH_LEN], vp[PATH_LEN];
	struct pl_dind *di = &c->p->dind;
	if (!dec_is_type(c, n, path, PL_NODE_MAP))
		return;
	dec_check_keys(c, n, path, keys);
	di->present = true;
	const struct pl_node *v, *w;
	if ((v = dec_get(n, "allowViolations")))
		dec_get_bool(c, v, dec_pkey(kp, path, "allowViolations"), &di->allow_violations);
	if (c->p->mode == PL_MODE_DEFENSE_IN_DEPTH)
		c->p->default_action =
		    di->allow_violations ? PL_ACTION_ALLOW_LOG : PL_ACTION_DENY_LOG;
	if ((v = dec_get(n, "networkProxy"))) {
		di->has_network_proxy = true;
		dec_network_proxy_rules(c, v, dec_pkey(kp, path, "networkProxy"));
		dec_warn(
		    c, v, kp,
		    "accepted but not enforced by plastron (the NetworkProxy enforcer is out of "
		    "scope)");
	}
	if ((v = dec_get(n, "appArmor")) &&
	    dec_is_type(c, v, dec_pkey(kp, path, "appArmor"), PL_NODE_MAP)) {
		dec_check_keys(c, v, kp, akeys);
		if ((w = dec_require(c, v, kp, "profileType")))
			di->apparmor_type = profile_type(c, w, dec_pkey(vp, kp, "profileType"));
		if ((w = dec_get(v, "customProfile"))) {
			const char *s = dec_get_str(c, w, dec_pkey(vp, kp, "customProfile"));
			if (s && di->apparmor_type == PL_PROFILE_BEHAVIOR_MODEL)
				dec_err(c, w, vp,
					"customProfile is used only with profileType: Custom");
			di->apparmor_custom = s ? dec_sdup(c, s) : NULL;
		} else if (di->apparmor_type == PL_PROFILE_CUSTOM) {
			dec_err(c, v, kp, "profileType Custom needs a customProfile");
		}
		if ((w = dec_get(v, "appArmorRawRules")))
			apparmor_raw(c, w, dec_pkey(vp, kp, "appArmorRawRules"), &di->apparmor_raw,
				     &di->n_apparmor_raw);
		if (!(c->p->enforcers & PL_ENF_APPARMOR))
			dec_warn(c, v, kp,
				 "the AppArmor enforcer is not enabled; this section is unused");
	}
	if ((v = dec_get(n, "seccomp")) &&
	    dec_is_type(c, v, dec_pkey(kp, path, "seccomp"), PL_NODE_MAP)) {
		dec_check_keys(c, v, kp, skeys);
		if ((w = dec_require(c, v, kp, "profileType")))
			di->seccomp_type = profile_type(c, w, dec_pkey(vp, kp, "profileType"));
		if ((w = dec_get(v, "customProfile"))) {
			const char *s = dec_get_str(c, w, dec_pkey(vp, kp, "customProfile"));
			if (s && di->seccomp_type == PL_PROFILE_BEHAVIOR_MODEL)
				dec_err(c, w, vp,
					"customProfile is used only with profileType: Custom");
			else if (s)
				seccomp_custom(c, w, vp, s);
		} else if (di->seccomp_type == PL_PROFILE_CUSTOM) {
			dec_err(c, v, kp, "profileType Custom needs a customProfile");
		}
		if ((w = dec_get(v, "syscallRawRules")))
			dec_syscall_raw(c, w, dec_pkey(vp, kp, "syscallRawRules"), "defenseInDepth",
					&di->syscall_raw, &di->n_syscall_raw);
		if (!(c->p->enforcers & PL_ENF_SECCOMP))
			dec_warn(c, v, kp,
				 "the Seccomp enforcer is not enabled; this section is unused");
	}
}
