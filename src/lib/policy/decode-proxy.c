/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NetworkProxy sections, checked field by field against vArmor's schema
 * (apis/varmor/v1beta1/networkproxy.go): spec.policy.networkProxyConfig and
 * the NetworkProxyRules of enhanceProtect.networkProxyRawRules and
 * defenseInDepth.networkProxy. Nothing here is enforced by plastron: the
 * sections are validated and recorded, and run and the agent refuse them
 * unless unenforced rules are allowed.
 */
#include <string.h>
#include <strings.h>

#include "decode.h"

static void str_list(struct ctx *c, const struct pl_node *n, const char *path)
{
	struct pl_strv v = { 0 };
	dec_get_strv(c, n, path, &v);
}

static void opt_str(struct ctx *c, const struct pl_node *map, const char *path, const char *key)
{
	char kp[PATH_LEN];
	const struct pl_node *v = dec_get(map, key);
	if (v)
		dec_get_str(c, v, dec_pkey(kp, path, key));
}

static void req_str(struct ctx *c, const struct pl_node *map, const char *path, const char *key)
{
	char kp[PATH_LEN];
	const struct pl_node *v = dec_require(c, map, path, key);
	const char *s = v ? dec_get_str(c, v, dec_pkey(kp, path, key)) : NULL;
	if (s && !*s)
		dec_err(c, v, kp, "must not be empty");
}

/* qualifiers: allow, deny, audit (allow and deny are mutually exclusive) */
static void proxy_qualifiers(struct ctx *c, const struct pl_node *rule, const char *path)
{
	static const char *const words[] = { "allow", "deny", "audit", NULL };
	char kp[PATH_LEN], ip[PATH_LEN];
	const struct pl_node *q = dec_require(c, rule, path, "qualifiers");
	if (!q || !dec_is_type(c, q, dec_pkey(kp, path, "qualifiers"), PL_NODE_SEQ))
		return;
	bool allow = false, deny = false;
	for (size_t i = 0; i < q->n_items; i++) {
		const char *s = dec_get_str(c, q->items[i], dec_pidx(ip, kp, i));
		if (!s)
			continue;
		if (!strcmp(s, "allow"))
			allow = true;
		else if (!strcmp(s, "deny"))
			deny = true;
		else if (strcmp(s, "audit") != 0) {
			dec_err(c, q->items[i], ip,
				"unknown qualifier '%s' (allow, deny and/or audit)", s);
			dec_hint_suggest(c, s, words, 0);
		}
	}
	if (allow && deny)
		dec_err(c, q, kp, "'allow' and 'deny' are mutually exclusive");
}

static void ports(struct ctx *c, const struct pl_node *map, const char *path)
{
	char kp[PATH_LEN];
	const struct pl_node *v = dec_get(map, "ports");
	struct pl_port_range *r = NULL;
	size_t n = 0;
	if (v)
		dec_get_ports(c, v, dec_pkey(kp, path, "ports"), &r, &n);
}

static void l4_rules(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = {
		"qualifiers", "description", "ip", "cidr", "ports", NULL
	};
	for (struct map_iter mi = dec_maps_of(c, n, path, keys); dec_map_next(&mi);) {
		proxy_qualifiers(c, mi.item, mi.path);
		opt_str(c, mi.item, mi.path, "description");
		opt_str(c, mi.item, mi.path, "ip");
		opt_str(c, mi.item, mi.path, "cidr");
		const struct pl_node *ip = dec_get(mi.item, "ip"), *cidr = dec_get(mi.item, "cidr");
		char kp[PATH_LEN];
		if (ip && cidr)
			dec_err(c, cidr, dec_pkey(kp, mi.path, "cidr"),
				"'ip' and 'cidr' are mutually exclusive");
		ports(c, mi.item, mi.path);
	}
}

static void http_rules(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "qualifiers", "description", "match", NULL };
	static const char *const mkeys[] = { "hosts", "ports", "paths", "methods", NULL };
	static const char *const pkeys[] = { "exact", "prefix", NULL };
	char kp[PATH_LEN], vp[PATH_LEN];
	for (struct map_iter mi = dec_maps_of(c, n, path, keys); dec_map_next(&mi);) {
		proxy_qualifiers(c, mi.item, mi.path);
		opt_str(c, mi.item, mi.path, "description");
		const struct pl_node *m = dec_require(c, mi.item, mi.path, "match");
		if (!m || !dec_is_type(c, m, dec_pkey(kp, mi.path, "match"), PL_NODE_MAP))
			continue;
		dec_check_keys(c, m, kp, mkeys);
		const struct pl_node *v;
		if ((v = dec_get(m, "hosts")))
			str_list(c, v, dec_pkey(vp, kp, "hosts"));
		if ((v = dec_get(m, "methods")))
			str_list(c, v, dec_pkey(vp, kp, "methods"));
		ports(c, m, kp);
		if ((v = dec_get(m, "paths")))
			for (struct map_iter pi =
				 dec_maps_of(c, v, dec_pkey(vp, kp, "paths"), pkeys);
			     dec_map_next(&pi);) {
				opt_str(c, pi.item, pi.path, "exact");
				opt_str(c, pi.item, pi.path, "prefix");
			}
	}
}

void dec_network_proxy_rules(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "egress", NULL };
	static const char *const ekeys[] = { "defaultAction", "rules", "httpRules", NULL };
	static const char *const actions[] = { "deny", "allow", NULL };
	char kp[PATH_LEN], vp[PATH_LEN];
	if (!dec_is_type(c, n, path, PL_NODE_MAP))
		return;
	dec_check_keys(c, n, path, keys);
	const struct pl_node *e = dec_get(n, "egress"), *v;
	if (!e || !dec_is_type(c, e, dec_pkey(kp, path, "egress"), PL_NODE_MAP))
		return;
	dec_check_keys(c, e, kp, ekeys);
	if ((v = dec_require(c, e, kp, "defaultAction"))) {
		/* vArmor compares without case; anything else would silently allow */
		const char *s = dec_get_str(c, v, dec_pkey(vp, kp, "defaultAction"));
		if (s && strcasecmp(s, "deny") && strcasecmp(s, "allow")) {
			dec_err(c, v, vp, "illegal defaultAction '%s' (deny or allow)", s);
			dec_hint_suggest(c, s, actions, 0);
		}
	}
	if ((v = dec_get(e, "rules")))
		l4_rules(c, v, dec_pkey(vp, kp, "rules"));
	if ((v = dec_get(e, "httpRules")))
		http_rules(c, v, dec_pkey(vp, kp, "httpRules"));
}

static void mitm(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "domains", "headerMutations", NULL };
	static const char *const hmkeys[] = { "domain", "headers", NULL };
	static const char *const hkeys[] = { "name", "value", "secretRef", NULL };
	static const char *const skeys[] = { "name", "key", NULL };
	char kp[PATH_LEN], vp[PATH_LEN];
	if (!dec_is_type(c, n, path, PL_NODE_MAP))
		return;
	dec_check_keys(c, n, path, keys);
	const struct pl_node *v = dec_require(c, n, path, "domains");
	struct pl_strv doms = { 0 };
	if (v && dec_get_strv(c, v, dec_pkey(kp, path, "domains"), &doms) && !doms.n)
		dec_err(c, v, kp, "must contain at least one domain");
	if (!(v = dec_get(n, "headerMutations")))
		return;
	for (struct map_iter mi = dec_maps_of(c, v, dec_pkey(kp, path, "headerMutations"), hmkeys);
	     dec_map_next(&mi);) {
		req_str(c, mi.item, mi.path, "domain");
		const struct pl_node *hs = dec_require(c, mi.item, mi.path, "headers");
		if (!hs)
			continue;
		const char *hp = dec_pkey(vp, mi.path, "headers");
		if (hs->type == PL_NODE_SEQ && !hs->n_items)
			dec_err(c, hs, hp, "must not be empty");
		for (struct map_iter hi = dec_maps_of(c, hs, hp, hkeys); dec_map_next(&hi);) {
			char sp[PATH_LEN];
			req_str(c, hi.item, hi.path, "name");
			opt_str(c, hi.item, hi.path, "value");
			const struct pl_node *val = dec_get(hi.item, "value");
			const struct pl_node *ref = dec_get(hi.item, "secretRef");
			if (val && ref)
				dec_err(c, ref, dec_pkey(sp, hi.path, "secretRef"),
					"'value' and 'secretRef' are mutually exclusive");
			else if (!val && !ref)
				dec_err(c, hi.item, hi.path, "give one of 'value' or 'secretRef'");
			if (ref &&
			    dec_is_type(c, ref, dec_pkey(sp, hi.path, "secretRef"), PL_NODE_MAP)) {
				dec_check_keys(c, ref, sp, skeys);
				req_str(c, ref, sp, "name");
				req_str(c, ref, sp, "key");
			}
		}
	}
}

/* resources: {requests, limits}, each a map of resource name → quantity */
static void resources(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "requests", "limits", NULL };
	static const char *const names[] = { "requests", "limits" };
	char kp[PATH_LEN], vp[PATH_LEN];
	if (!dec_is_type(c, n, path, PL_NODE_MAP))
		return;
	dec_check_keys(c, n, path, keys);
	for (size_t i = 0; i < 2; i++) {
		const struct pl_node *m = dec_get(n, names[i]);
		if (!m || !dec_is_type(c, m, dec_pkey(kp, path, names[i]), PL_NODE_MAP))
			continue;
		for (size_t j = 0; j < m->n_pairs; j++)
			dec_get_str(c, m->pairs[j].value, dec_pkey(vp, kp, m->pairs[j].key->str));
	}
}

void dec_network_proxy_config(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "mitm",           "proxyUID",  "proxyPort",
					    "proxyAdminPort", "resources", NULL };
	char kp[PATH_LEN];
	if (!dec_is_type(c, n, path, PL_NODE_MAP))
		return;
	dec_check_keys(c, n, path, keys);
	const struct pl_node *v;
	uint32_t uid, port = 15001, admin = 15000;
	if ((v = dec_get(n, "mitm")))
		mitm(c, v, dec_pkey(kp, path, "mitm"));
	if ((v = dec_get(n, "proxyUID")))
		dec_get_u32_range(c, v, dec_pkey(kp, path, "proxyUID"), 0, UINT32_MAX - 1, &uid);
	const struct pl_node *pn = dec_get(n, "proxyPort"), *an = dec_get(n, "proxyAdminPort");
	if (pn)
		dec_get_u32_range(c, pn, dec_pkey(kp, path, "proxyPort"), 1, 65535, &port);
	if (an)
		dec_get_u32_range(c, an, dec_pkey(kp, path, "proxyAdminPort"), 1, 65535, &admin);
	if (port == admin)
		dec_err(c, an ? an : pn, dec_pkey(kp, path, an ? "proxyAdminPort" : "proxyPort"),
			"proxyPort and proxyAdminPort must be different (both %u)", port);
	if ((v = dec_get(n, "resources")))
		resources(c, v, dec_pkey(kp, path, "resources"));
}
