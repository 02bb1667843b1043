/* SPDX-License-Identifier: Apache-2.0 */
/*
 * enhanceProtect.bpfRawRules: file and process rules, network rules
 * (socket domains and types, egress by CIDR, port, service and pod
 * selector, vArmor 0.7's egresses), ptrace and mount rules.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "decode.h"
#include "plastron/glob.h"

/* ---- bpfRawRules ------------------------------------------------------- */

static void check_pattern(struct ctx *c, const struct pl_node *n, const char *path, const char *s)
{
	if (!*s) {
		dec_err(c, n, path, "empty pattern");
		return;
	}
	if (s[0] != '/' && s[0] != '*') {
		dec_err(c, n, path,
			"pattern '%s' must be an absolute path or start with '*' or '**'", s);
		return;
	}
	if (strstr(s, "***")) {
		dec_err(c, n, path,
			"pattern '%s' has '***'; use '*' (one component) or '**' (any depth)", s);
		return;
	}
	if (strstr(s, "//")) {
		dec_err(c, n, path, "pattern '%s' has an empty path component ('//')", s);
		return;
	}
	if (strlen(s) >= 4096) {
		dec_err(c, n, path, "pattern is longer than 4095 bytes");
		return;
	}
	/* the rest of the language, as the automaton reads it (plastron/glob.h) */
	size_t at = 0;
	const char *why = NULL;
	if (pl_glob_check(s, &at, &why) < 0)
		dec_err(c, n, path, "pattern '%s', byte %zu: %s", s, at, why ? why : "invalid");
}

static void file_rules(struct ctx *c, const struct pl_node *n, const char *path, bool processes)
{
	static const char *const keys[] = { "pattern", "permissions", "qualifiers", NULL };
	char kp[PATH_LEN];
	struct pl_bpf_raw *b = &c->p->enhance.bpf;
	for (struct map_iter mi = dec_maps_of(c, n, path, keys); dec_map_next(&mi);) {
		const struct pl_node *it = mi.item;
		const char *ip = mi.path;
		enum pl_action act = dec_get_qualifiers(c, it, ip);
		const struct pl_node *pn = dec_require(c, it, ip, "pattern");
		const struct pl_node *pe = dec_require(c, it, ip, "permissions");
		const char *pat = pn ? dec_get_str(c, pn, dec_pkey(kp, ip, "pattern")) : NULL;
		if (pat)
			check_pattern(c, pn, kp, pat);
		uint32_t perms = 0;
		if (pe) {
			dec_get_words(c, pe, dec_pkey(kp, ip, "permissions"), pl_file_perm_words,
				      "permission", &perms, NULL);
			if (pe->type == PL_NODE_SEQ && pe->n_items == 0)
				dec_err(c, pe, kp, "no permissions given");
		}
		if (!pat || !perms)
			continue;
		struct pl_file_rule *f = PUSH(c, b->files, b->n_files);
		if (f) {
			f->pattern = dec_sdup(c, pat);
			f->perms = perms;
			f->action = act;
			f->from_processes = processes;
			f->pos = it->pos;
		}
	}
}

/* "did you mean" for an unknown socket domain S (AF_INET → inet, else the nearest name) */
static void af_hint(struct ctx *c, const char *s)
{
	const char *afs[64];
	size_t n_afs = pl_af_names(afs, 64);
	if (!strncasecmp(s, "af_", 3) && pl_af_from_name(s + 3) < 0) {
		char low[64];
		snprintf(low, sizeof(low), "%s", s + 3);
		for (char *q = low; *q; q++)
			*q = (char)tolower((unsigned char)*q);
		if (pl_af_from_name(low) >= 0)
			pl_diag_hint(c->d, "did you mean '%s'?", low);
	} else {
		dec_hint_suggest(c, s, afs, n_afs);
	}
}

/* "did you mean" for an unknown socket type S */
static void sock_type_hint(struct ctx *c, const char *s)
{
	const char *socks[16];
	size_t n_socks = pl_sock_type_names(socks, 16);
	dec_hint_suggest(c, s, socks, n_socks);
}

/*
 * The names in the sequence N at PATH as bits (1 << LOOKUP(name)) in *BITS;
 * 'all' or '*' sets *ALL. A name LOOKUP does not know is an "unknown socket
 * WHAT" error with HINT's suggestion. False when anything was wrong.
 */
static bool name_bits(struct ctx *c, const struct pl_node *n, const char *path,
		      int (*lookup)(const char *), const char *what,
		      void (*hint)(struct ctx *, const char *), uint64_t *bits, bool *all)
{
	char vp[PATH_LEN];
	bool ok = true;
	if (!dec_is_type(c, n, path, PL_NODE_SEQ))
		return false;
	for (size_t j = 0; j < n->n_items; j++) {
		const char *s = dec_get_str(c, n->items[j], dec_pidx(vp, path, j));
		if (!s) {
			ok = false;
			continue;
		}
		if (!strcmp(s, "all") || !strcmp(s, "*")) {
			*all = true;
			continue;
		}
		int v = lookup(s);
		if (v < 0) {
			dec_err(c, n->items[j], vp, "unknown socket %s '%s'", what, s);
			hint(c, s);
			ok = false;
			continue;
		}
		*bits |= 1ull << v;
	}
	return ok;
}

static void socket_rules(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "domains", "types", "protocols", "qualifiers", NULL };
	char kp[PATH_LEN];
	struct pl_bpf_raw *b = &c->p->enhance.bpf;
	for (struct map_iter mi = dec_maps_of(c, n, path, keys); dec_map_next(&mi);) {
		const struct pl_node *it = mi.item;
		const char *ip = mi.path;
		enum pl_action act = dec_get_qualifiers(c, it, ip);
		const struct pl_node *dn = dec_get(it, "domains"), *tn = dec_get(it, "types"),
				     *pn = dec_get(it, "protocols");
		bool ok = true;
		uint64_t domains = 0;
		uint32_t types = 0, protos = 0;
		bool all_domains = false, all_types = false;
		if (!dn && !tn && !pn) {
			dec_err(c, it, ip, "a socket rule needs domains, types or protocols");
			continue;
		}
		if (tn && pn) {
			dec_err(c, pn, dec_pkey(kp, ip, "protocols"),
				"'types' and 'protocols' are mutually exclusive");
			ok = false;
		}
		if (dn && !name_bits(c, dn, dec_pkey(kp, ip, "domains"), pl_af_from_name, "domain",
				     af_hint, &domains, &all_domains))
			ok = false;
		uint64_t type_bits = 0;
		if (tn && !name_bits(c, tn, dec_pkey(kp, ip, "types"), pl_sock_type_from_name,
				     "type", sock_type_hint, &type_bits, &all_types))
			ok = false;
		types = (uint32_t)type_bits;
		if (pn) {
			uint32_t dummy = 0;
			bool all = false;
			if (pn->type == PL_NODE_SEQ)
				for (size_t j = 0; j < pn->n_items; j++)
					if (pn->items[j]->type == PL_NODE_SCALAR &&
					    (!strcmp(pn->items[j]->str, "all") ||
					     !strcmp(pn->items[j]->str, "*")))
						all = true;
			if (!dec_get_words(c, pn, dec_pkey(kp, ip, "protocols"), pl_proto_words,
					   "protocol", &protos, &dummy))
				ok = false;
			if (all)
				protos = 0;
		}
		if (!ok)
			continue;
		if (all_domains)
			domains = 0;
		if (all_types)
			types = 0;
		struct pl_socket_rule *s = PUSH(c, b->sockets, b->n_sockets);
		if (s) {
			s->domains = domains;
			s->types = types;
			s->protocols = protos;
			s->action = act;
			s->pos = it->pos;
		}
	}
}

/* Parse an address or CIDR. Returns false (with an error) when invalid. */
static bool parse_cidr(struct ctx *c, const struct pl_node *n, const char *path, const char *s,
		       bool allow_prefix, struct pl_egress_rule *e)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	if (slash && !allow_prefix) {
		dec_err(c, n, path, "'%s' is a network block; use 'cidr' (or 'ipBlock') for it", s);
		return false;
	}
	if (alen == 0 || alen >= sizeof(buf)) {
		dec_err(c, n, path, "'%s' is not an IP address", s);
		return false;
	}
	memcpy(buf, s, alen);
	buf[alen] = 0;
	memset(e->addr, 0, sizeof(e->addr));
	if (inet_pton(AF_INET, buf, e->addr) == 1)
		e->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, e->addr) == 1)
		e->family = AF_INET6;
	else {
		dec_err(c, n, path, "'%s' is not an IPv4 or IPv6 address", buf);
		return false;
	}
	unsigned max = e->family == AF_INET ? 32 : 128;
	unsigned prefix = max;
	if (slash) {
		const char *q = slash + 1;
		if (!*q || strlen(q) > 3) {
			dec_err(c, n, path, "bad prefix length in '%s'", s);
			return false;
		}
		prefix = 0;
		for (; *q; q++) {
			if (*q < '0' || *q > '9') {
				dec_err(c, n, path, "bad prefix length in '%s'", s);
				return false;
			}
			prefix = prefix * 10 + (unsigned)(*q - '0');
		}
		if (prefix > max) {
			dec_err(c, n, path, "prefix length /%u is out of range for %s (0..%u)",
				prefix, e->family == AF_INET ? "IPv4" : "IPv6", max);
			return false;
		}
	}
	e->kind = PL_ADDR_CIDR;
	e->prefix_len = (uint8_t)prefix;
	/* clear host bits */
	bool host_bits = false;
	unsigned bytes = max / 8;
	for (unsigned i = 0; i < bytes; i++) {
		unsigned keep = prefix >= (i + 1) * 8 ? 8 : (prefix > i * 8 ? prefix - i * 8 : 0);
		uint8_t mask = keep == 8 ? 0xff : (uint8_t)(0xff << (8 - keep));
		if (e->addr[i] & ~mask)
			host_bits = true;
		e->addr[i] &= mask;
	}
	if (host_bits) {
		char out[INET6_ADDRSTRLEN];
		inet_ntop(e->family, e->addr, out, sizeof(out));
		dec_warn(c, n, path, "'%s' has host bits set; using %s/%u", s, out, prefix);
	}
	return true;
}

static void egress_ip(struct ctx *c, const struct pl_node *n, const char *path, const char *s,
		      struct pl_egress_rule *e)
{
	if (!strcmp(s, "pod-self"))
		e->kind = PL_ADDR_POD_SELF;
	else if (!strcmp(s, "unspecified"))
		e->kind = PL_ADDR_UNSPECIFIED;
	else if (!strcmp(s, "localhost"))
		e->kind = PL_ADDR_LOCALHOST;
	else
		parse_cidr(c, n, path, s, false, e);
}

/* How a port-only rule's address reads in the model (explain, events). */
#define ANY_TEXT "any address"

static void to_destinations(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "ip", "cidr", "ports", "qualifiers", NULL };
	char kp[PATH_LEN];
	struct pl_bpf_raw *b = &c->p->enhance.bpf;
	for (struct map_iter mi = dec_maps_of(c, n, path, keys); dec_map_next(&mi);) {
		const struct pl_node *it = mi.item;
		const char *ip = mi.path;
		size_t errs = c->d->n_errors;
		struct pl_egress_rule e = { .action = dec_get_qualifiers(c, it, ip),
					    .pos = it->pos };
		bool is_ip;
		const struct pl_node *pn = dec_get(it, "ports");
		if (pn && !dec_get(it, "ip") && !dec_get(it, "cidr")) {
			/* vArmor: ports and no address = those ports on every
			 * address, IPv4 and IPv6 */
			dec_get_ports(c, pn, dec_pkey(kp, ip, "ports"), &e.ports, &e.n_ports);
			if (!e.n_ports && c->d->n_errors == errs)
				dec_err(c, pn, kp,
					"no ports given: a destination without 'ip' or 'cidr' "
					"needs at least one port");
			e.kind = PL_ADDR_ANY;
			e.text = dec_sdup(c, ANY_TEXT);
			KEEP(c, errs, b->egress, b->n_egress, e);
			continue;
		}
		if (!pn && !dec_get(it, "ip") && !dec_get(it, "cidr")) {
			dec_err(
			    c, it, ip,
			    "a destination needs 'ip', 'cidr' or 'ports' (ports alone: on every "
			    "address)");
			continue;
		}
		const struct pl_node *an =
		    dec_one_of(c, it, ip, "ip", "cidr", "a destination", &is_ip);
		if (!an)
			continue;
		const char *s = dec_get_str(c, an, dec_pkey(kp, ip, is_ip ? "ip" : "cidr"));
		if (!s)
			continue;
		if (is_ip)
			egress_ip(c, an, kp, s, &e);
		else {
			if (!strchr(s, '/')) {
				dec_err(
				    c, an, kp,
				    "'%s' has no prefix length; write it as a CIDR (a.b.c.d/n) or "
				    "use 'ip'",
				    s);
				continue;
			}
			parse_cidr(c, an, kp, s, true, &e);
		}
		if (pn)
			dec_get_ports(c, pn, dec_pkey(kp, ip, "ports"), &e.ports, &e.n_ports);
		e.text = dec_sdup(c, s);
		KEEP(c, errs, b->egress, b->n_egress, e);
	}
}

/* vArmor ≤ v0.7: network.egresses [{ip | ipBlock, port}] */
static void egresses_v07(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "ip", "ipBlock", "port", NULL };
	char kp[PATH_LEN];
	struct pl_bpf_raw *b = &c->p->enhance.bpf;
	for (struct map_iter mi = dec_maps_of(c, n, path, keys); dec_map_next(&mi);) {
		const struct pl_node *it = mi.item;
		const char *ip = mi.path;
		size_t errs = c->d->n_errors;
		struct pl_egress_rule e = { .action = c->p->default_action, .pos = it->pos };
		bool is_ip;
		const struct pl_node *pn = dec_get(it, "port");
		const char *s = ANY_TEXT;
		if (pn && !dec_get(it, "ip") && !dec_get(it, "ipBlock")) {
			/* vArmor: a port and no address = that port on every
			 * address, IPv4 and IPv6 */
			e.kind = PL_ADDR_ANY;
		} else if (!pn && !dec_get(it, "ip") && !dec_get(it, "ipBlock")) {
			dec_err(c, it, ip,
				"an egress rule needs 'ip', 'ipBlock' or 'port' (a port alone: on "
				"every address)");
			continue;
		} else {
			const struct pl_node *an =
			    dec_one_of(c, it, ip, "ip", "ipBlock", "an egress rule", &is_ip);
			if (!an)
				continue;
			s = dec_get_str(c, an, dec_pkey(kp, ip, is_ip ? "ip" : "ipBlock"));
			if (!s)
				continue;
			if (is_ip)
				egress_ip(c, an, kp, s, &e);
			else
				parse_cidr(c, an, kp, s, true, &e);
		}
		uint32_t port = 0;
		if (pn && dec_get_u32_range(c, pn, dec_pkey(kp, ip, "port"), 1, 65535, &port)) {
			e.ports = pl_arena_alloc(c->a, sizeof(*e.ports));
			if (!e.ports) {
				c->oom = true;
				continue;
			}
			e.ports[0] = (struct pl_port_range){ (uint16_t)port, (uint16_t)port };
			e.n_ports = 1;
		}
		e.text = dec_sdup(c, s);
		KEEP(c, errs, b->egress, b->n_egress, e);
	}
}

static void to_services(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "namespace", "name", "serviceSelector", "qualifiers",
					    NULL };
	char kp[PATH_LEN];
	struct pl_bpf_raw *b = &c->p->enhance.bpf;
	for (struct map_iter mi = dec_maps_of(c, n, path, keys); dec_map_next(&mi);) {
		const struct pl_node *it = mi.item;
		const char *ip = mi.path;
		size_t errs = c->d->n_errors;
		struct pl_egress_service s = { .action = dec_get_qualifiers(c, it, ip),
					       .pos = it->pos };
		s.namespace_ = dec_str_field(c, it, ip, "namespace");
		bool is_name;
		const struct pl_node *by =
		    dec_one_of(c, it, ip, "name", "serviceSelector", "a service rule", &is_name);
		if (by && is_name)
			s.name = dec_str_field(c, it, ip, "name");
		else if (by)
			s.selector = dec_get_selector(c, by, dec_pkey(kp, ip, "serviceSelector"));
		KEEP(c, errs, b->services, b->n_services, s);
	}
}

static void to_pods(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "namespace", "podSelector", "ports", "qualifiers",
					    NULL };
	char kp[PATH_LEN];
	struct pl_bpf_raw *b = &c->p->enhance.bpf;
	for (struct map_iter mi = dec_maps_of(c, n, path, keys); dec_map_next(&mi);) {
		const struct pl_node *it = mi.item;
		const char *ip = mi.path;
		size_t errs = c->d->n_errors;
		struct pl_egress_pod p = { .action = dec_get_qualifiers(c, it, ip),
					   .pos = it->pos };
		p.namespace_ = dec_str_field(c, it, ip, "namespace");
		const struct pl_node *sel = dec_require(c, it, ip, "podSelector");
		if (sel)
			p.selector = dec_get_selector(c, sel, dec_pkey(kp, ip, "podSelector"));
		const struct pl_node *pn = dec_get(it, "ports");
		if (pn)
			dec_get_ports(c, pn, dec_pkey(kp, ip, "ports"), &p.ports, &p.n_ports);
		KEEP(c, errs, b->pods, b->n_pods, p);
	}
}

static void network(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "sockets", "egress", "egresses", NULL };
	static const char *const ekeys[] = { "toDestinations", "toServices", "toPods", NULL };
	char kp[PATH_LEN], ep[PATH_LEN];
	if (!dec_is_type(c, n, path, PL_NODE_MAP))
		return;
	dec_check_keys(c, n, path, keys);
	const struct pl_node *v;
	if ((v = dec_get(n, "sockets")))
		socket_rules(c, v, dec_pkey(kp, path, "sockets"));
	if ((v = dec_get(n, "egresses")))
		egresses_v07(c, v, dec_pkey(kp, path, "egresses"));
	if ((v = dec_get(n, "egress")) &&
	    dec_is_type(c, v, dec_pkey(kp, path, "egress"), PL_NODE_MAP)) {
		dec_check_keys(c, v, kp, ekeys);
		const struct pl_node *w;
		if ((w = dec_get(v, "toDestinations")))
			to_destinations(c, w, dec_pkey(ep, kp, "toDestinations"));
		if ((w = dec_get(v, "toServices")))
			to_services(c, w, dec_pkey(ep, kp, "toServices"));
		if ((w = dec_get(v, "toPods")))
			to_pods(c, w, dec_pkey(ep, kp, "toPods"));
	}
}

static void ptrace_rule(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "strictMode", "permissions", "qualifiers", NULL };
	char kp[PATH_LEN];
	struct pl_ptrace_rule *pt = &c->p->enhance.bpf.ptrace;
	if (!dec_is_type(c, n, path, PL_NODE_MAP))
		return;
	dec_check_keys(c, n, path, keys);
	pt->action = dec_get_qualifiers(c, n, path);
	pt->pos = n->pos;
	const struct pl_node *v;
	if ((v = dec_get(n, "strictMode")))
		dec_get_bool(c, v, dec_pkey(kp, path, "strictMode"), &pt->strict);
	if ((v = dec_require(c, n, path, "permissions"))) {
		dec_get_words(c, v, dec_pkey(kp, path, "permissions"), pl_ptrace_perm_words,
			      "ptrace permission", &pt->perms, NULL);
		if (v->type == PL_NODE_SEQ && v->n_items == 0)
			dec_err(c, v, kp, "no permissions given");
	}
	pt->present = pt->perms != 0;
}

static void mount_rules(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "sourcePattern", "fstype", "flags", "qualifiers",
					    NULL };
	char kp[PATH_LEN];
	struct pl_bpf_raw *b = &c->p->enhance.bpf;
	for (struct map_iter mi = dec_maps_of(c, n, path, keys); dec_map_next(&mi);) {
		const struct pl_node *it = mi.item;
		const char *ip = mi.path;
		size_t errs = c->d->n_errors;
		struct pl_mount_rule m = { .action = dec_get_qualifiers(c, it, ip),
					   .pos = it->pos };
		const struct pl_node *sp = dec_require(c, it, ip, "sourcePattern");
		const struct pl_node *ft = dec_require(c, it, ip, "fstype");
		const struct pl_node *fl = dec_require(c, it, ip, "flags");
		const char *s;
		if (sp && (s = dec_get_str(c, sp, dec_pkey(kp, ip, "sourcePattern")))) {
			check_pattern(c, sp, kp, s);
			m.source_pattern = dec_sdup(c, s);
		}
		if (ft && (s = dec_get_str(c, ft, dec_pkey(kp, ip, "fstype")))) {
			if (!*s || strlen(s) >= 16)
				dec_err(c, ft, kp, "fstype '%s' must be 1 to 15 bytes long", s);
			m.fstype = dec_sdup(c, s);
		}
		if (fl && dec_is_type(c, fl, dec_pkey(kp, ip, "flags"), PL_NODE_SEQ)) {
			if (fl->n_items == 0)
				dec_err(c, fl, kp, "no flags given");
			dec_get_words(c, fl, kp, pl_mount_flag_words, "mount flag", &m.flags,
				      &m.reverse_flags);
			for (size_t j = 0; j < fl->n_items; j++) {
				const struct pl_node *w = fl->items[j];
				if (w->type != PL_NODE_SCALAR)
					continue;
				if (!strcmp(w->str, "umount") || !strcmp(w->str, "all") ||
				    !strcmp(w->str, "*"))
					m.umount = true;
			}
		}
		KEEP(c, errs, b->mounts, b->n_mounts, m);
	}
}

void dec_bpf_raw(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "files",  "processes", "network",
					    "ptrace", "mounts",    NULL };
	char kp[PATH_LEN];
	if (!dec_is_type(c, n, path, PL_NODE_MAP))
		return;
	dec_check_keys(c, n, path, keys);
	const struct pl_node *v;
	if ((v = dec_get(n, "files")))
		file_rules(c, v, dec_pkey(kp, path, "files"), false);
	if ((v = dec_get(n, "processes")))
		file_rules(c, v, dec_pkey(kp, path, "processes"), true);
	if ((v = dec_get(n, "network")))
		network(c, v, dec_pkey(kp, path, "network"));
	if ((v = dec_get(n, "ptrace")))
		ptrace_rule(c, v, dec_pkey(kp, path, "ptrace"));
	if ((v = dec_get(n, "mounts")))
		mount_rules(c, v, dec_pkey(kp, path, "mounts"));
}
