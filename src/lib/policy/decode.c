/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The strict decoder: positioned tree → validated struct pl_policy.
 * Every problem is reported (not just the first) with its position and
 * dotted field path; unknown fields and values are errors, never dropped.
 * This file owns the document level: Lists and arrays of policies, the
 * kind, metadata, spec, spec.target and spec.policy (enforcer, mode, the
 * modes' sections and their combinations), and duplicate objects. The
 * sections are decoded in decode-rules.c (enhanceProtect, defenseInDepth),
 * decode-bpf.c, decode-syscall.c and decode-landlock.c (spec.plastron);
 * helpers in decode-util.c; shared state in decode.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "decode.h"

/* ---- the document ------------------------------------------------------ */

static const char *const enforcer_values[] = { "AppArmor",
					       "BPF",
					       "Seccomp",
					       "NetworkProxy",
					       "AppArmorBPF",
					       "AppArmorSeccomp",
					       "BPFSeccomp",
					       "AppArmorBPFSeccomp",
					       "NetworkProxyBPFSeccomp",
					       NULL };

static void enforcer(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const struct {
		const char *word;
		uint32_t bit;
	} words[] = { { "networkproxy", PL_ENF_NETWORK_PROXY },
		      { "apparmor", PL_ENF_APPARMOR },
		      { "seccomp", PL_ENF_SECCOMP },
		      { "bpf", PL_ENF_BPF } };
	const char *s = dec_get_str(c, n, path);
	if (!s)
		return;
	c->p->enforcer_text = dec_sdup(c, s);
	char low[128];
	if (strlen(s) >= sizeof(low)) {
		dec_err(c, n, path, "unknown enforcer '%.40s...'", s);
		return;
	}
	for (size_t i = 0;; i++) {
		low[i] = (char)tolower((unsigned char)s[i]);
		if (!s[i])
			break;
	}
	uint32_t mask = 0;
	for (size_t i = 0; i < PL_ARRAY_SIZE(words); i++) {
		size_t wl = strlen(words[i].word);
		char *hit;
		while ((hit = strstr(low, words[i].word))) {
			mask |= words[i].bit;
			memmove(hit, hit + wl, strlen(hit + wl) + 1);
		}
	}
	if (!mask || low[0]) {
		if (mask)
			dec_err(c, n, path,
				"unknown enforcer '%s' ('%s' is not AppArmor, BPF, Seccomp or "
				"NetworkProxy)",
				s, low);
		else
			dec_err(c, n, path, "unknown enforcer '%s'", s);
		dec_hint_suggest(c, s, enforcer_values, 0);
		return;
	}
	c->p->enforcers = mask;
}

static const char *const mode_names[] = { "AlwaysAllow",      "RuntimeDefault", "EnhanceProtect",
					  "BehaviorModeling", "DefenseInDepth", NULL };

static void policy(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = {
		"enforcer",           "mode", "enhanceProtect", "modelingOptions", "defenseInDepth",
		"networkProxyConfig", NULL
	};
	char kp[PATH_LEN], vp[PATH_LEN];
	struct pl_policy *p = c->p;
	if (!dec_is_type(c, n, path, PL_NODE_MAP))
		return;
	size_t errs = c->d->n_errors;
	dec_check_keys(c, n, path, keys);
	/* a misspelt section name already explains a missing section */
	bool bad_keys = c->d->n_errors != errs;
	const struct pl_node *en = dec_require(c, n, path, "enforcer");
	if (en)
		enforcer(c, en, dec_pkey(kp, path, "enforcer"));
	const struct pl_node *mn = dec_require(c, n, path, "mode");
	bool mode_ok = false;
	if (mn) {
		const char *s = dec_get_str(c, mn, dec_pkey(kp, path, "mode"));
		for (size_t i = 0; s && mode_names[i]; i++)
			if (!strcmp(mode_names[i], s)) {
				p->mode = (enum pl_mode)i;
				mode_ok = true;
			}
		if (s && !mode_ok) {
			dec_err(c, mn, kp, "unknown mode '%s'", s);
			dec_hint_suggest(c, s, mode_names, 0);
		}
	}
	p->default_action = PL_ACTION_DENY;

	const struct pl_node *ep = dec_get(n, "enhanceProtect");
	const struct pl_node *mo = dec_get(n, "modelingOptions");
	const struct pl_node *di = dec_get(n, "defenseInDepth");
	const struct pl_node *np = dec_get(n, "networkProxyConfig");
	if (ep)
		dec_enhance_protect(c, ep, dec_pkey(kp, path, "enhanceProtect"));
	if (mo && dec_is_type(c, mo, dec_pkey(kp, path, "modelingOptions"), PL_NODE_MAP)) {
		static const char *const mkeys[] = { "duration", NULL };
		dec_check_keys(c, mo, kp, mkeys);
		const struct pl_node *d = dec_require(c, mo, kp, "duration");
		uint64_t dur;
		if (d && dec_get_u64(c, d, dec_pkey(vp, kp, "duration"), &dur)) {
			if (dur == 0 || dur > UINT32_MAX)
				dec_err(c, d, vp,
					"duration must be a number of minutes > 0, got %s", d->str);
			else
				p->modeling_duration = (uint32_t)dur;
		}
	}
	if (di)
		dec_defense_in_depth(c, di, dec_pkey(kp, path, "defenseInDepth"));
	if (np) {
		p->has_network_proxy_config = true;
		p->network_proxy_config_pos = np->pos;
		dec_network_proxy_config(c, np, dec_pkey(kp, path, "networkProxyConfig"));
		dec_warn(
		    c, np, kp,
		    "accepted but not enforced by plastron (the NetworkProxy enforcer is out of "
		    "scope)");
	}

	if (!mode_ok || !p->enforcers)
		return;
	/* impossible or pointless combinations */
	const char *mode = pl_mode_name(p->mode);
	if (p->mode == PL_MODE_DEFENSE_IN_DEPTH && (p->enforcers & PL_ENF_BPF))
		dec_err(c, mn, dec_pkey(kp, path, "mode"),
			"DefenseInDepth cannot be used with the BPF enforcer");
	if (p->mode == PL_MODE_BEHAVIOR_MODELING && (p->enforcers & PL_ENF_NETWORK_PROXY))
		dec_err(c, mn, dec_pkey(kp, path, "mode"),
			"BehaviorModeling cannot be used with the NetworkProxy enforcer");
	if (p->mode == PL_MODE_BEHAVIOR_MODELING && !mo && !bad_keys)
		dec_err(c, mn, dec_pkey(kp, path, "mode"),
			"BehaviorModeling needs modelingOptions.duration (minutes, > 0)");
	if (p->mode == PL_MODE_ENHANCE_PROTECT && !ep && !bad_keys)
		dec_err(c, mn, dec_pkey(kp, path, "mode"),
			"EnhanceProtect needs an enhanceProtect section");
	if (p->mode == PL_MODE_DEFENSE_IN_DEPTH && !di && !bad_keys)
		dec_err(c, mn, dec_pkey(kp, path, "mode"),
			"DefenseInDepth needs a defenseInDepth section");
	if (ep && p->mode != PL_MODE_ENHANCE_PROTECT)
		dec_warn(c, ep, dec_pkey(kp, path, "enhanceProtect"), "ignored in mode %s", mode);
	if (mo && p->mode != PL_MODE_BEHAVIOR_MODELING)
		dec_warn(c, mo, dec_pkey(kp, path, "modelingOptions"), "ignored in mode %s", mode);
	if (di && p->mode != PL_MODE_DEFENSE_IN_DEPTH)
		dec_warn(c, di, dec_pkey(kp, path, "defenseInDepth"), "ignored in mode %s", mode);
}

static void target(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "kind", "name", "selector", "containers", NULL };
	static const char *const kinds[] = { "Deployment", "StatefulSet", "DaemonSet", "Pod",
					     NULL };
	char kp[PATH_LEN];
	struct pl_target *t = &c->p->target;
	if (!dec_is_type(c, n, path, PL_NODE_MAP))
		return;
	dec_check_keys(c, n, path, keys);
	t->pos = n->pos;
	const struct pl_node *k = dec_require(c, n, path, "kind");
	if (k) {
		const char *s = dec_get_str(c, k, dec_pkey(kp, path, "kind"));
		size_t i;
		for (i = 0; s && kinds[i]; i++)
			if (!strcmp(kinds[i], s))
				break;
		if (s && kinds[i])
			t->kind = (enum pl_target_kind)i;
		else if (s) {
			dec_err(
			    c, k, kp,
			    "unknown target kind '%s' (Deployment, StatefulSet, DaemonSet, Pod)",
			    s);
			dec_hint_suggest(c, s, kinds, 0);
		}
	}
	const struct pl_node *nm = dec_get(n, "name"), *sel = dec_get(n, "selector");
	if (nm && sel)
		dec_err(c, sel, dec_pkey(kp, path, "selector"),
			"'name' and 'selector' are mutually exclusive");
	else if (!nm && !sel)
		dec_err(c, n, path, "give exactly one of 'name' or 'selector'");
	else if (nm) {
		const char *s = dec_get_str(c, nm, dec_pkey(kp, path, "name"));
		if (s && !*s)
			dec_err(c, nm, kp, "empty name");
		t->name = s ? dec_sdup(c, s) : NULL;
	} else
		t->selector = dec_get_selector(c, sel, dec_pkey(kp, path, "selector"));
	const struct pl_node *ct = dec_get(n, "containers");
	if (ct)
		dec_get_strv(c, ct, dec_pkey(kp, path, "containers"), &t->containers);
}

static void string_map(struct ctx *c, const struct pl_node *n, const char *path)
{
	char kp[PATH_LEN];
	if (!dec_is_type(c, n, path, PL_NODE_MAP))
		return;
	for (size_t i = 0; i < n->n_pairs; i++)
		dec_get_str(c, n->pairs[i].value, dec_pkey(kp, path, n->pairs[i].key->str));
}

/* Kubernetes object names: a DNS-1123 subdomain (names) or label (namespaces). */
static bool dns_name_ok(const char *s, size_t max, bool dots)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
		if (alnum)
			continue;
		if ((ch == '-' || (dots && ch == '.')) && i > 0 && i + 1 < n)
			continue;
		return false;
	}
	return true;
}

static void metadata(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = {
		"name", "namespace", "labels", "annotations",
		/* set by the API server in exported objects: accepted, ignored */
		"uid", "resourceVersion", "creationTimestamp", "generation", "managedFields",
		"finalizers", "ownerReferences", "selfLink", "generateName", "deletionTimestamp",
		"deletionGracePeriodSeconds", NULL
	};
	char kp[PATH_LEN];
	if (!dec_is_type(c, n, path, PL_NODE_MAP))
		return;
	dec_check_keys(c, n, path, keys);
	const struct pl_node *v;
	if ((v = dec_require(c, n, path, "name"))) {
		const char *s = dec_get_str(c, v, dec_pkey(kp, path, "name"));
		if (s && !dns_name_ok(s, 253, true))
			dec_err(
			    c, v, kp,
			    "'%s' is not a valid Kubernetes name (lower-case letters, digits, '-' "
			    "and '.', starting and ending with a letter or digit, at most 253)",
			    s);
		c->p->name = s ? dec_sdup(c, s) : NULL;
	}
	if ((v = dec_get(n, "namespace"))) {
		const char *s = dec_get_str(c, v, dec_pkey(kp, path, "namespace"));
		if (s && !dns_name_ok(s, 63, false)) {
			dec_err(
			    c, v, kp,
			    "'%s' is not a valid namespace (lower-case letters, digits and '-', at "
			    "most 63)",
			    s);
			s = NULL;
		}
		if (s && c->p->kind == PL_KIND_VARMOR_CLUSTER_POLICY)
			dec_warn(c, v, kp,
				 "a VarmorClusterPolicy is cluster-scoped; namespace is ignored");
		else if (s)
			c->p->namespace_ = dec_sdup(c, s);
	}
	if ((v = dec_get(n, "labels")))
		string_map(c, v, dec_pkey(kp, path, "labels"));
	if ((v = dec_get(n, "annotations")))
		string_map(c, v, dec_pkey(kp, path, "annotations"));
}

static void spec(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "target", "policy", "updateExistingWorkloads",
					    "plastron", NULL };
	static const char *const pkeys[] = { "landlock", "allowUnenforced", NULL };
	char kp[PATH_LEN], vp[PATH_LEN];
	if (!dec_is_type(c, n, path, PL_NODE_MAP))
		return;
	dec_check_keys(c, n, path, keys);
	const struct pl_node *v;
	if ((v = dec_require(c, n, path, "target")))
		target(c, v, dec_pkey(kp, path, "target"));
	/* policy first: it sets the enforcers and default action used below */
	if ((v = dec_require(c, n, path, "policy")))
		policy(c, v, dec_pkey(kp, path, "policy"));
	if ((v = dec_get(n, "updateExistingWorkloads")))
		dec_get_bool(c, v, dec_pkey(kp, path, "updateExistingWorkloads"),
			     &c->p->update_existing_workloads);
	if ((v = dec_get(n, "plastron")) &&
	    dec_is_type(c, v, dec_pkey(kp, path, "plastron"), PL_NODE_MAP)) {
		dec_check_keys(c, v, kp, pkeys);
		const struct pl_node *w = dec_get(v, "landlock");
		if (w)
			dec_landlock(c, w, dec_pkey(vp, kp, "landlock"));
		/* plastrond: accept rules no active mechanism carries (listed) */
		if ((w = dec_get(v, "allowUnenforced")))
			dec_get_bool(c, w, dec_pkey(vp, kp, "allowUnenforced"),
				     &c->p->allow_unenforced);
	}
}

/*
 * Manifests hold policies beside other Kubernetes objects (a Deployment, a
 * Secret, ...). An object is skipped, with a note, when it has a string
 * apiVersion and kind and its kind is neither a policy kind nor close to one
 * (a misspelt "VarmorPolcy" stays an error). In vArmor's own group
 * (crd.varmor.org) only its other known kinds are skipped. Objects without
 * apiVersion or kind, and policy kinds with a wrong apiVersion, are decoded
 * as policies and so reported as errors.
 */
static bool skip_other_object(struct ctx *c, const struct pl_node *doc)
{
	static const char *const kinds[] = { "VarmorPolicy", "VarmorClusterPolicy", NULL };
	static const char *const varmor_other[] = { "ArmorProfile", "ArmorProfileModel", NULL };
	if (doc->type != PL_NODE_MAP)
		return false;
	const struct pl_node *k = pl_node_get(doc, "kind"), *a = pl_node_get(doc, "apiVersion");
	if (!k || !a || k->type != PL_NODE_SCALAR || a->type != PL_NODE_SCALAR || !*k->str ||
	    !*a->str)
		return false;
	if (pl_name_in(kinds, k->str) || pl_suggest(k->str, kinds, 0))
		return false;
	/* in vArmor's group only its other known kinds are skipped; elsewhere
	 * anything that names vArmor is decoded, so a typo in both apiVersion
	 * and kind is an error, not a note */
	if (!strncmp(a->str, "crd.varmor.org/", 15)
		? !pl_name_in(varmor_other, k->str)
		: strcasestr(k->str, "varmor") || strcasestr(a->str, "varmor"))
		return false;
	const struct pl_node *m = pl_node_get(doc, "metadata");
	const struct pl_node *nm = m && m->type == PL_NODE_MAP ? pl_node_get(m, "name") : NULL;
	bool named = nm && nm->type == PL_NODE_SCALAR;
	pl_note(c->d, &doc->pos, NULL, "skipping %s%s%s%s (%s): not a vArmor policy", k->str,
		named ? " '" : "", named ? nm->str : "", named ? "'" : "", a->str);
	if (!c->n_skipped++)
		c->first_skipped = doc->pos;
	return true;
}

static void document(struct ctx *c, const struct pl_node *doc)
{
	static const char *const keys[] = {
		"apiVersion", "kind", "metadata", "spec", "status", NULL
	};
	static const char *const kinds[] = { "VarmorPolicy", "VarmorClusterPolicy", NULL };
	if (skip_other_object(c, doc))
		return;
	if (!dec_is_type(c, doc, "", PL_NODE_MAP))
		return;
	struct pl_policy *p = pl_arena_alloc(c->a, sizeof(*p));
	if (!p) {
		c->oom = true;
		return;
	}
	c->p = p;
	p->pos = doc->pos;
	dec_check_keys(c, doc, "", keys);
	const struct pl_node *v;
	if ((v = dec_require(c, doc, "", "apiVersion"))) {
		const char *s = dec_get_str(c, v, "apiVersion");
		if (s && strcmp(s, "crd.varmor.org/v1beta1") != 0) {
			dec_err(c, v, "apiVersion", "unsupported apiVersion '%s'", s);
			pl_diag_hint(c->d, "use 'crd.varmor.org/v1beta1'");
		}
	}
	if ((v = dec_require(c, doc, "", "kind"))) {
		const char *s = dec_get_str(c, v, "kind");
		if (s && !strcmp(s, "VarmorPolicy"))
			p->kind = PL_KIND_VARMOR_POLICY;
		else if (s && !strcmp(s, "VarmorClusterPolicy"))
			p->kind = PL_KIND_VARMOR_CLUSTER_POLICY;
		else if (s) {
			dec_err(c, v, "kind",
				"unknown kind '%s' (VarmorPolicy or VarmorClusterPolicy)", s);
			dec_hint_suggest(c, s, kinds, 0);
		}
	}
	if ((v = dec_require(c, doc, "", "metadata")))
		metadata(c, v, "metadata");
	if ((v = dec_require(c, doc, "", "spec")))
		spec(c, v, "spec");
	/* status is output-only: accepted and ignored */

	struct pl_policy **slot = PUSH(c, c->set->pub.policies, c->set->pub.n);
	if (slot)
		*slot = p;
}

static void build_rule_names(struct ctx *c)
{
	size_t nr = 0, na = 0;
	const struct pl_rule *rules = pl_catalog_rules(&nr);
	const struct pl_rule_alias *aliases = pl_catalog_aliases(&na);
	if (!rules)
		nr = 0;
	if (!aliases)
		na = 0;
	const char **v = pl_arena_alloc(c->a, (nr + na + 1) * sizeof(*v));
	if (!v) {
		c->oom = true;
		return;
	}
	for (size_t i = 0; i < nr; i++)
		v[i] = rules[i].id;
	for (size_t i = 0; i < na; i++)
		v[nr + i] = aliases[i].alias;
	c->rule_names = v;
	c->n_rule_names = nr + na;
}

int pl_policy_decode_docs(struct pl_policy_set_priv *s, struct pl_node **docs, size_t n_docs,
			  struct pl_diag *d)
{
	struct ctx c = { .a = s->pub.arena, .d = d, .set = s };
	size_t errs = d->n_errors;
	build_rule_names(&c);
	for (size_t i = 0; i < n_docs && !c.oom; i++) {
		const struct pl_node *doc = docs[i];
		/* a JSON array of policies, or a Kubernetes List */
		const struct pl_node *items = NULL;
		if (doc->type == PL_NODE_SEQ)
			items = doc;
		else if (doc->type == PL_NODE_MAP) {
			const struct pl_node *k = pl_node_get(doc, "kind");
			if (k && k->type == PL_NODE_SCALAR && !strcmp(k->str, "List")) {
				static const char *const lkeys[] = { "apiVersion", "kind", "items",
								     "metadata", NULL };
				dec_check_keys(&c, doc, "", lkeys);
				items = dec_require(&c, doc, "", "items");
				if (items && !dec_is_type(&c, items, "items", PL_NODE_SEQ))
					items = NULL;
				if (!items)
					continue;
			}
		}
		if (items) {
			for (size_t j = 0; j < items->n_items && !c.oom; j++)
				document(&c, items->items[j]);
		} else
			document(&c, doc);
	}
	if (c.oom)
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	/* the same object twice: Kubernetes would keep only the last one */
	for (size_t j = 1; j < s->pub.n; j++) {
		const struct pl_policy *b = s->pub.policies[j];
		for (size_t i = 0; i < j; i++) {
			const struct pl_policy *a = s->pub.policies[i];
			if (!a->name || !b->name || a->kind != b->kind ||
			    strcmp(a->name, b->name) ||
			    strcmp(a->namespace_ ? a->namespace_ : "",
				   b->namespace_ ? b->namespace_ : ""))
				continue;
			pl_warning(d, &b->pos, "metadata.name",
				   "%s '%s' is defined twice (also at line %u); Kubernetes keeps "
				   "only the last",
				   pl_policy_kind_name(b->kind), b->name, a->pos.line);
			break;
		}
	}
	if (s->pub.n == 0 && d->n_errors == errs && c.n_skipped) {
		pl_error(d, -EINVAL, &c.first_skipped, NULL,
			 "no VarmorPolicy or VarmorClusterPolicy found (%u other object%s "
			 "skipped)",
			 c.n_skipped, c.n_skipped == 1 ? "" : "s");
	} else if (s->pub.n == 0 && d->n_errors == errs) {
		struct pl_pos pos = { .file = s->file };
		pl_error(d, -EINVAL, &pos, NULL, "no policy found");
	}
	return d->n_errors > errs ? -EINVAL : 0;
}
