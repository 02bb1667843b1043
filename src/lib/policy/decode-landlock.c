/* SPDX-License-Identifier: Apache-2.0 */
/*
 * spec.plastron.landlock, plastron's extension: filesystem paths with
 * Landlock access rights, TCP bind/connect ports, and scopes.
 */
#include <string.h>

#include "decode.h"

/* ---- spec.plastron.landlock -------------------------------------------- */

static void ll_ports(struct ctx *c, const struct pl_node *n, const char *path, uint32_t lo,
		     uint16_t **out, size_t *n_out)
{
	char ip[PATH_LEN];
	if (!dec_is_type(c, n, path, PL_NODE_SEQ))
		return;
	for (size_t i = 0; i < n->n_items; i++) {
		uint32_t port;
		if (!dec_get_u32_range(c, n->items[i], dec_pidx(ip, path, i), lo, 65535, &port))
			continue;
		uint16_t *slot = PUSH(c, *out, *n_out);
		if (slot)
			*slot = (uint16_t)port;
	}
}

void dec_landlock(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "filesystem", "network", "scopes", NULL };
	static const char *const fkeys[] = { "path", "access", NULL };
	static const char *const nkeys[] = { "bindTCP", "connectTCP", NULL };
	static const char *const scopes[] = { "abstractUnixSocket", "signal", NULL };
	char kp[PATH_LEN], ip[PATH_LEN], vp[PATH_LEN];
	struct pl_landlock *ll = &c->p->landlock;
	if (!dec_is_type(c, n, path, PL_NODE_MAP))
		return;
	dec_check_keys(c, n, path, keys);
	ll->present = true;
	ll->pos = n->pos;
	const struct pl_node *v;
	if ((v = dec_get(n, "filesystem")) &&
	    dec_is_type(c, v, dec_pkey(kp, path, "filesystem"), PL_NODE_SEQ)) {
		for (size_t i = 0; i < v->n_items; i++) {
			const struct pl_node *it = v->items[i];
			dec_pidx(ip, kp, i);
			if (!dec_is_type(c, it, ip, PL_NODE_MAP))
				continue;
			dec_check_keys(c, it, ip, fkeys);
			const struct pl_node *pn = dec_require(c, it, ip, "path");
			const struct pl_node *an = dec_require(c, it, ip, "access");
			const char *p = pn ? dec_get_str(c, pn, dec_pkey(vp, ip, "path")) : NULL;
			if (p && !dec_check_abs_path(c, pn, vp, p, "path"))
				p = NULL;
			uint32_t access = 0;
			if (an) {
				dec_get_words(c, an, dec_pkey(vp, ip, "access"), pl_ll_access_words,
					      "Landlock access right", &access, NULL);
				if (an->type == PL_NODE_SEQ && an->n_items == 0)
					dec_err(c, an, vp, "no access rights given");
			}
			if (!p || !access)
				continue;
			struct pl_ll_path *lp = PUSH(c, ll->paths, ll->n_paths);
			if (lp) {
				lp->path = dec_sdup(c, p);
				lp->access = access;
				lp->pos = it->pos;
			}
		}
	}
	if ((v = dec_get(n, "network")) &&
	    dec_is_type(c, v, dec_pkey(kp, path, "network"), PL_NODE_MAP)) {
		dec_check_keys(c, v, kp, nkeys);
		const struct pl_node *w;
		ll->restrict_net = true;
		/* port 0 is meaningful for bind (an ephemeral port) */
		if ((w = dec_get(v, "bindTCP")))
			ll_ports(c, w, dec_pkey(vp, kp, "bindTCP"), 0, &ll->bind_tcp,
				 &ll->n_bind_tcp);
		if ((w = dec_get(v, "connectTCP")))
			ll_ports(c, w, dec_pkey(vp, kp, "connectTCP"), 1, &ll->connect_tcp,
				 &ll->n_connect_tcp);
	}
	if ((v = dec_get(n, "scopes")) &&
	    dec_is_type(c, v, dec_pkey(kp, path, "scopes"), PL_NODE_SEQ)) {
		for (size_t i = 0; i < v->n_items; i++) {
			const char *s = dec_get_str(c, v->items[i], dec_pidx(ip, kp, i));
			if (!s)
				continue;
			if (!strcmp(s, "abstractUnixSocket"))
				ll->scope_abstract_unix = true;
			else if (!strcmp(s, "signal"))
				ll->scope_signal = true;
			else {
				dec_err(c, v->items[i], ip, "unknown Landlock scope '%s'", s);
				dec_hint_suggest(c, s, scopes, 0);
			}
		}
	}
}
