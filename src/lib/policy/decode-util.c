/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The strict decoder's helpers, shared by every decode*.c file: field paths
 * ("spec.policy.enhanceProtect"), errors, warnings and "did you mean" hints,
 * typed access to the positioned tree (strings, booleans, integers, lists,
 * maps, required and exclusive fields), rule qualifiers, and the pieces
 * several sections use (absolute paths, targets, label selectors, ports).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

/* ---- paths and diagnostics --------------------------------------------- */

/* Append to a path buffer, truncating (a truncated path is still useful). */
static void pcat(char *buf, size_t *len, const char *s)
{
	size_t n = strlen(s);
	if (n > PATH_LEN - 1 - *len)
		n = PATH_LEN - 1 - *len;
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = 0;
}

const char *dec_pkey(char *buf, const char *base, const char *key)
{
	size_t len = 0;
	buf[0] = 0;
	if (base && *base) {
		pcat(buf, &len, base);
		pcat(buf, &len, ".");
	}
	pcat(buf, &len, key);
	return buf;
}

const char *dec_pidx(char *buf, const char *base, size_t i)
{
	char num[32];
	size_t len = 0;
	buf[0] = 0;
	pcat(buf, &len, base);
	snprintf(num, sizeof(num), "[%zu]", i);
	pcat(buf, &len, num);
	return buf;
}

__attribute__((format(printf, 4, 5))) void dec_err(struct ctx *c, const struct pl_node *n,
						   const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pl_verror(c->d, -EINVAL, n ? &n->pos : NULL, path && *path ? path : NULL, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 4, 5))) void dec_warn(struct ctx *c, const struct pl_node *n,
						    const char *path, const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	pl_warning(c->d, n ? &n->pos : NULL, path && *path ? path : NULL, "%s",
		   msg ? msg : "(no message)");
	free(msg);
}

void dec_hint_suggest(struct ctx *c, const char *word, const char *const *cands, size_t n)
{
	if (c->n_suggested >= PL_MAX_SUGGESTIONS)
		return;
	c->n_suggested++;
	const char *s = pl_suggest(word, cands, n);
	if (s)
		pl_diag_hint(c->d, "did you mean '%s'?", s);
}

char *dec_sdup(struct ctx *c, const char *s)
{
	char *r = pl_arena_strdup(c->a, s);
	if (!r)
		c->oom = true;
	return r;
}

/* ---- typed access ------------------------------------------------------ */

bool dec_is_type(struct ctx *c, const struct pl_node *n, const char *path, enum pl_node_type t)
{
	static const char *const want[] = { "a string", "a list", "a mapping" };
	if (n->type == t)
		return true;
	dec_err(c, n, path, "expected %s, got %s", want[t], pl_node_type_name(n));
	return false;
}

/* Report keys of `map` that are not in `known` (NULL-terminated). */
void dec_check_keys(struct ctx *c, const struct pl_node *map, const char *path,
		    const char *const *known)
{
	for (size_t i = 0; i < map->n_pairs; i++) {
		const struct pl_node *k = map->pairs[i].key;
		if (pl_name_in(known, k->str))
			continue;
		dec_err(c, k, path, "unknown field '%s'", k->str);
		dec_hint_suggest(c, k->str, known, 0);
	}
}

/* Value of `key`, or NULL when absent or null. */
const struct pl_node *dec_get(const struct pl_node *map, const char *key)
{
	const struct pl_node *v = pl_node_get(map, key);
	return pl_node_is_null(v) ? NULL : v;
}

const struct pl_node *dec_require(struct ctx *c, const struct pl_node *map, const char *path,
				  const char *key)
{
	const struct pl_node *v = dec_get(map, key);
	if (!v) {
		const struct pl_node *at = pl_node_get(map, key);
		dec_err(c, at ? at : map, path, "missing required field '%s'", key);
	}
	return v;
}

/* The maps in the sequence N at PATH, to check against KEYS. Adds the error when N is no
 * sequence (then there are none). */
struct map_iter dec_maps_of(struct ctx *c, const struct pl_node *n, const char *path,
			    const char *const *keys)
{
	return (struct map_iter){ .c = c,
				  .seq = n,
				  .seq_path = path,
				  .keys = keys,
				  .n = dec_is_type(c, n, path, PL_NODE_SEQ) ? n->n_items : 0 };
}

/*
 * Moves to the next item that is a map (m->item, its path m->path) and checks
 * its keys; an item that is not a map adds its error and is skipped. False at
 * the end.
 */
bool dec_map_next(struct map_iter *m)
{
	while (m->i < m->n) {
		m->item = m->seq->items[m->i];
		dec_pidx(m->path, m->seq_path, m->i++);
		if (!dec_is_type(m->c, m->item, m->path, PL_NODE_MAP))
			continue;
		dec_check_keys(m->c, m->item, m->path, m->keys);
		return true;
	}
	return false;
}

/* A string: quoted, or plain that YAML does not read as null/bool/number. */
const char *dec_get_str(struct ctx *c, const struct pl_node *n, const char *path)
{
	if (!dec_is_type(c, n, path, PL_NODE_SCALAR))
		return NULL;
	if (!n->quoted) {
		const char *t = pl_node_type_name(n);
		if (strcmp(t, "a string") != 0) {
			dec_err(c, n, path, "expected a string, got %s (quote it: \"%s\")", t,
				n->str);
			return NULL;
		}
	}
	return n->str;
}

/* The optional string field KEY of MAP (at PATH), copied; NULL when absent or not a string. */
char *dec_str_field(struct ctx *c, const struct pl_node *map, const char *path, const char *key)
{
	char kp[PATH_LEN];
	const struct pl_node *v = dec_get(map, key);
	const char *s = v ? dec_get_str(c, v, dec_pkey(kp, path, key)) : NULL;
	return s ? dec_sdup(c, s) : NULL;
}

/*
 * Exactly one of the fields A and B of MAP (at PATH): its node, *IS_A telling
 * which. NULL, with the error added, when both or neither are given (WHAT
 * names the item in the second message).
 */
const struct pl_node *dec_one_of(struct ctx *c, const struct pl_node *map, const char *path,
				 const char *a, const char *b, const char *what, bool *is_a)
{
	char kp[PATH_LEN];
	const struct pl_node *an = dec_get(map, a), *bn = dec_get(map, b);
	if (an && bn) {
		dec_err(c, bn, dec_pkey(kp, path, b), "'%s' and '%s' are mutually exclusive", a, b);
		return NULL;
	}
	if (!an && !bn) {
		dec_err(c, map, path, "%s needs '%s' or '%s'", what, a, b);
		return NULL;
	}
	*is_a = an != NULL;
	return an ? an : bn;
}

bool dec_get_bool(struct ctx *c, const struct pl_node *n, const char *path, bool *out)
{
	if (!dec_is_type(c, n, path, PL_NODE_SCALAR))
		return false;
	if (!n->quoted) {
		const char *s = n->str;
		if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
			*out = true;
			return true;
		}
		if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
			*out = false;
			return true;
		}
	}
	if (!n->quoted && !strcmp(pl_node_type_name(n), "a boolean")) {
		dec_err(c, n, path, "expected true or false, got '%s'", n->str);
		pl_diag_hint(c->d, "write true or false ('%s' is a boolean only in YAML 1.1)",
			     n->str);
	} else {
		dec_err(c, n, path, "expected true or false, got %s '%s'", pl_node_type_name(n),
			n->str);
	}
	return false;
}

/* Decimal, 0x hex, 0o or leading-0 octal. */
bool dec_get_u64(struct ctx *c, const struct pl_node *n, const char *path, uint64_t *out)
{
	if (!dec_is_type(c, n, path, PL_NODE_SCALAR))
		return false;
	const char *s = n->str;
	int base = 10;
	if (n->quoted || !*s)
		goto bad;
	if (s[0] == '+')
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (s[0] == '0' && s[1] == 'o') {
		base = 8;
		s += 2;
	} else if (s[0] == '0' && s[1]) {
		base = 8;
		s += 1;
	}
	if (!*s)
		goto bad;
	uint64_t v = 0;
	for (; *s; s++) {
		int dgt;
		if (*s >= '0' && *s <= '9')
			dgt = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			dgt = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			dgt = *s - 'A' + 10;
		else
			goto bad;
		if (dgt >= base)
			goto bad;
		if (v > (UINT64_MAX - (uint64_t)dgt) / (uint64_t)base) {
			dec_err(c, n, path, "number '%s' is too large", n->str);
			return false;
		}
		v = v * (uint64_t)base + (uint64_t)dgt;
	}
	*out = v;
	return true;
bad:
	dec_err(c, n, path, "expected a non-negative integer, got %s '%s'", pl_node_type_name(n),
		n->str);
	return false;
}

bool dec_get_u32_range(struct ctx *c, const struct pl_node *n, const char *path, uint64_t lo,
		       uint64_t hi, uint32_t *out)
{
	uint64_t v;
	if (!dec_get_u64(c, n, path, &v))
		return false;
	if (v < lo || v > hi) {
		dec_err(c, n, path, "%s is out of range (%llu..%llu)", n->str,
			(unsigned long long)lo, (unsigned long long)hi);
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

/* A list of strings. Returns false on a type error (elements with errors are
 * skipped but reported). */
bool dec_get_strv(struct ctx *c, const struct pl_node *n, const char *path, struct pl_strv *out)
{
	char ip[PATH_LEN];
	if (!dec_is_type(c, n, path, PL_NODE_SEQ))
		return false;
	for (size_t i = 0; i < n->n_items; i++) {
		const char *s = dec_get_str(c, n->items[i], dec_pidx(ip, path, i));
		if (!s)
			continue;
		char **slot = PUSH(c, out->v, out->n);
		if (slot)
			*slot = dec_sdup(c, s);
	}
	return true;
}

/* Map words of a string list through `table`, OR-ing bits. */
bool dec_get_words(struct ctx *c, const struct pl_node *n, const char *path,
		   const struct pl_word *table, const char *what, uint32_t *bits, uint32_t *reverse)
{
	char ip[PATH_LEN];
	bool ok = true;
	if (!dec_is_type(c, n, path, PL_NODE_SEQ))
		return false;
	for (size_t i = 0; i < n->n_items; i++) {
		const struct pl_node *it = n->items[i];
		const char *s = dec_get_str(c, it, dec_pidx(ip, path, i));
		if (!s) {
			ok = false;
			continue;
		}
		const struct pl_word *w = pl_word_find(table, s);
		if (!w) {
			dec_err(c, it, ip, "unknown %s '%s'", what, s);
			const char *sg = pl_word_suggest(table, s);
			if (sg)
				pl_diag_hint(c->d, "did you mean '%s'?", sg);
			ok = false;
			continue;
		}
		*bits |= w->bits;
		if (reverse)
			*reverse |= w->reverse;
	}
	return ok;
}

/* ---- qualifiers and actions -------------------------------------------- */

enum pl_action dec_get_qualifiers(struct ctx *c, const struct pl_node *rule, const char *path)
{
	char kp[PATH_LEN], ip[PATH_LEN];
	const struct pl_node *q = dec_get(rule, "qualifiers");
	if (!q)
		return c->p->default_action;
	if (!dec_is_type(c, q, dec_pkey(kp, path, "qualifiers"), PL_NODE_SEQ))
		return c->p->default_action;
	bool deny = false, audit = false;
	static const char *const words[] = { "deny", "audit", NULL };
	for (size_t i = 0; i < q->n_items; i++) {
		const char *s = dec_get_str(c, q->items[i], dec_pidx(ip, kp, i));
		if (!s)
			continue;
		if (!strcmp(s, "deny"))
			deny = true;
		else if (!strcmp(s, "audit"))
			audit = true;
		else {
			dec_err(c, q->items[i], ip,
				"unknown qualifier '%s' (use deny and/or audit)", s);
			dec_hint_suggest(c, s, words, 0);
		}
	}
	if (deny && audit)
		return PL_ACTION_DENY_LOG;
	if (deny)
		return PL_ACTION_DENY;
	if (audit)
		return PL_ACTION_ALLOW_LOG;
	return c->p->default_action;
}

/* ---- common pieces ----------------------------------------------------- */

bool dec_check_abs_path(struct ctx *c, const struct pl_node *n, const char *path, const char *s,
			const char *what)
{
	if (s[0] != '/') {
		dec_err(c, n, path, "%s '%s' must be an absolute path", what, s);
		return false;
	}
	return true;
}

void dec_get_targets(struct ctx *c, const struct pl_node *n, const char *path, struct pl_strv *out)
{
	char ip[PATH_LEN];
	if (!dec_is_type(c, n, path, PL_NODE_SEQ))
		return;
	for (size_t i = 0; i < n->n_items; i++) {
		const char *s = dec_get_str(c, n->items[i], dec_pidx(ip, path, i));
		if (!s || !dec_check_abs_path(c, n->items[i], ip, s, "target"))
			continue;
		char **slot = PUSH(c, out->v, out->n);
		if (slot)
			*slot = dec_sdup(c, s);
	}
}

struct pl_selector *dec_get_selector(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "matchLabels", "matchExpressions", NULL };
	static const char *const ekeys[] = { "key", "operator", "values", NULL };
	static const char *const ops[] = { "In", "NotIn", "Exists", "DoesNotExist", NULL };
	char kp[PATH_LEN], ip[PATH_LEN], vp[PATH_LEN];
	if (!dec_is_type(c, n, path, PL_NODE_MAP))
		return NULL;
	dec_check_keys(c, n, path, keys);
	struct pl_selector *sel = pl_arena_alloc(c->a, sizeof(*sel));
	if (!sel) {
		c->oom = true;
		return NULL;
	}
	const struct pl_node *ml = dec_get(n, "matchLabels");
	if (ml && dec_is_type(c, ml, dec_pkey(kp, path, "matchLabels"), PL_NODE_MAP)) {
		for (size_t i = 0; i < ml->n_pairs; i++) {
			const char *v = dec_get_str(c, ml->pairs[i].value,
						    dec_pkey(vp, kp, ml->pairs[i].key->str));
			if (!v)
				continue;
			struct pl_kv *kv = PUSH(c, sel->match_labels, sel->n_match_labels);
			if (kv) {
				kv->key = dec_sdup(c, ml->pairs[i].key->str);
				kv->value = dec_sdup(c, v);
			}
		}
	}
	const struct pl_node *me = dec_get(n, "matchExpressions");
	if (me && dec_is_type(c, me, dec_pkey(kp, path, "matchExpressions"), PL_NODE_SEQ)) {
		for (size_t i = 0; i < me->n_items; i++) {
			const struct pl_node *e = me->items[i];
			dec_pidx(ip, kp, i);
			if (!dec_is_type(c, e, ip, PL_NODE_MAP))
				continue;
			dec_check_keys(c, e, ip, ekeys);
			struct pl_label_expr *x = PUSH(c, sel->exprs, sel->n_exprs);
			if (!x)
				continue;
			const struct pl_node *k = dec_require(c, e, ip, "key");
			const struct pl_node *o = dec_require(c, e, ip, "operator");
			const struct pl_node *v = dec_get(e, "values");
			if (k)
				x->key =
				    dec_sdup(c, dec_get_str(c, k, dec_pkey(vp, ip, "key")) ?: "");
			if (v)
				dec_get_strv(c, v, dec_pkey(vp, ip, "values"), &x->values);
			if (o) {
				const char *os = dec_get_str(c, o, dec_pkey(vp, ip, "operator"));
				if (!os)
					continue;
				size_t j;
				for (j = 0; ops[j]; j++)
					if (!strcmp(ops[j], os))
						break;
				if (!ops[j]) {
					dec_err(c, o, vp,
						"unknown operator '%s' (In, NotIn, Exists, "
						"DoesNotExist)",
						os);
					dec_hint_suggest(c, os, ops, 0);
					continue;
				}
				x->op = dec_sdup(c, os);
				bool needs_values = j < 2;
				if (needs_values && x->values.n == 0)
					dec_err(c, o, vp,
						"operator %s needs a non-empty 'values' list", os);
				if (!needs_values && x->values.n > 0)
					dec_err(c, v, dec_pkey(vp, ip, "values"),
						"operator %s takes no values", os);
			}
		}
	}
	return sel;
}

void dec_get_ports(struct ctx *c, const struct pl_node *n, const char *path,
		   struct pl_port_range **out, size_t *n_out)
{
	static const char *const keys[] = { "port", "endPort", NULL };
	char kp[PATH_LEN];
	for (struct map_iter mi = dec_maps_of(c, n, path, keys); dec_map_next(&mi);) {
		const struct pl_node *it = mi.item;
		const char *ip = mi.path;
		const struct pl_node *pn = dec_require(c, it, ip, "port");
		const struct pl_node *en = dec_get(it, "endPort");
		uint32_t port = 0, end = 0;
		if (!pn || !dec_get_u32_range(c, pn, dec_pkey(kp, ip, "port"), 1, 65535, &port))
			continue;
		end = port;
		if (en) {
			if (!dec_get_u32_range(c, en, dec_pkey(kp, ip, "endPort"), 1, 65535, &end))
				continue;
			if (end < port) {
				dec_err(c, en, kp, "endPort %u is below port %u", end, port);
				continue;
			}
		}
		struct pl_port_range *r = PUSH(c, *out, *n_out);
		if (r) {
			r->port = (uint16_t)port;
			r->end_port = (uint16_t)end;
		}
	}
}
