/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The strict decoder: positioned tree → validated struct pl_policy.
 * Every problem is reported (not just the first) with its position and
 * dotted field path; unknown fields and values are errors, never dropped.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"
#include "names.h"
#include "plastron/seccomp.h"
#include "shared/arena.h"
#include "shared/macro.h"

#define PATH_LEN 384

struct ctx {
	struct pl_arena *a;
	struct pl_diag *d;
	struct pl_policy_set_priv *set;
	struct pl_policy *p;
	const char *const *rule_names; /* ids and aliases, for "did you mean" */
	size_t n_rule_names;
	unsigned n_suggested; /* "did you mean" hints given in this load */
	bool oom;
};

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

static const char *pkey(char *buf, const char *base, const char *key)
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

static const char *pidx(char *buf, const char *base, size_t i)
{
	char num[32];
	size_t len = 0;
	buf[0] = 0;
	pcat(buf, &len, base);
	snprintf(num, sizeof(num), "[%zu]", i);
	pcat(buf, &len, num);
	return buf;
}

__attribute__((format(printf, 4, 5))) static void err(struct ctx *c, const struct pl_node *n,
						      const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pl_verror(c->d, -EINVAL, n ? &n->pos : NULL, path && *path ? path : NULL, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 4, 5))) static void warn(struct ctx *c, const struct pl_node *n,
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

/* At most this many "did you mean" hints per load: each one is a search of
 * the candidates, and a file of thousands of misspelt names must not cost
 * thousands of searches (the errors themselves are still all reported). */
#define MAX_SUGGESTIONS 32

static void hint_suggest(struct ctx *c, const char *word, const char *const *cands, size_t n)
{
	if (c->n_suggested >= MAX_SUGGESTIONS)
		return;
	c->n_suggested++;
	const char *s = pl_suggest(word, cands, n);
	if (s)
		pl_diag_hint(c->d, "did you mean '%s'?", s);
}

static char *sdup(struct ctx *c, const char *s)
{
	char *r = pl_arena_strdup(c->a, s);
	if (!r)
		c->oom = true;
	return r;
}

#define PUSH(c, arr, n)                                             \
	({                                                          \
		__typeof__(arr) _e = PL_ARENA_PUSH((c)->a, arr, n); \
		if (!_e)                                            \
			(c)->oom = true;                            \
		_e;                                                 \
	})

/* Append V to ARR (N items) unless errors were added since ERRS was taken. */
#define KEEP(c, errs, arr, n, v)                                 \
	do {                                                     \
		if ((c)->d->n_errors == (errs)) {                \
			__typeof__(arr) _slot = PUSH(c, arr, n); \
			if (_slot)                               \
				*_slot = (v);                    \
		}                                                \
	} while (0)

/* ---- typed access ------------------------------------------------------ */

static bool is_type(struct ctx *c, const struct pl_node *n, const char *path, enum pl_node_type t)
{
	static const char *const want[] = { "a string", "a list", "a mapping" };
	if (n->type == t)
		return true;
	err(c, n, path, "expected %s, got %s", want[t], pl_node_type_name(n));
	return false;
}

/* Report keys of `map` that are not in `known` (NULL-terminated). */
static void check_keys(struct ctx *c, const struct pl_node *map, const char *path,
		       const char *const *known)
{
	for (size_t i = 0; i < map->n_pairs; i++) {
		const struct pl_node *k = map->pairs[i].key;
		bool found = false;
		for (size_t j = 0; known[j]; j++)
			if (!strcmp(known[j], k->str)) {
				found = true;
				break;
			}
		if (found)
			continue;
		err(c, k, path, "unknown field '%s'", k->str);
		hint_suggest(c, k->str, known, 0);
	}
}

/* Value of `key`, or NULL when absent or null. */
static const struct pl_node *get(const struct pl_node *map, const char *key)
{
	const struct pl_node *v = pl_node_get(map, key);
	return pl_node_is_null(v) ? NULL : v;
}

static const struct pl_node *require(struct ctx *c, const struct pl_node *map, const char *path,
				     const char *key)
{
	const struct pl_node *v = get(map, key);
	if (!v) {
		const struct pl_node *at = pl_node_get(map, key);
		err(c, at ? at : map, path, "missing required field '%s'", key);
	}
	return v;
}

/* Walks over the items of a sequence that are maps: see maps_of(), map_next(). */
struct map_iter {
	struct ctx *c;
	const struct pl_node *seq, *item;
	const char *seq_path;
	const char *const *keys;
	size_t i, n;
	char path[PATH_LEN];
};

/* The maps in the sequence N at PATH, to check against KEYS. Adds the error when N is no
 * sequence (then there are none). */
static struct map_iter maps_of(struct ctx *c, const struct pl_node *n, const char *path,
			       const char *const *keys)
{
	return (struct map_iter){ .c = c,
				  .seq = n,
				  .seq_path = path,
				  .keys = keys,
				  .n = is_type(c, n, path, PL_NODE_SEQ) ? n->n_items : 0 };
}

/*
 * Moves to the next item that is a map (m->item, its path m->path) and checks
 * its keys; an item that is not a map adds its error and is skipped. False at
 * the end.
 */
static bool map_next(struct map_iter *m)
{
	while (m->i < m->n) {
		m->item = m->seq->items[m->i];
		pidx(m->path, m->seq_path, m->i++);
		if (!is_type(m->c, m->item, m->path, PL_NODE_MAP))
			continue;
		check_keys(m->c, m->item, m->path, m->keys);
		return true;
	}
	return false;
}

/* A string: quoted, or plain that YAML does not read as null/bool/number. */
static const char *get_str(struct ctx *c, const struct pl_node *n, const char *path)
{
	if (!is_type(c, n, path, PL_NODE_SCALAR))
		return NULL;
	if (!n->quoted) {
		const char *t = pl_node_type_name(n);
		if (strcmp(t, "a string") != 0) {
			err(c, n, path, "expected a string, got %s (quote it: \"%s\")", t, n->str);
			return NULL;
		}
	}
	return n->str;
}

/* The optional string field KEY of MAP (at PATH), copied; NULL when absent or not a string. */
static char *str_field(struct ctx *c, const struct pl_node *map, const char *path, const char *key)
{
	char kp[PATH_LEN];
	const struct pl_node *v = get(map, key);
	const char *s = v ? get_str(c, v, pkey(kp, path, key)) : NULL;
	return s ? sdup(c, s) : NULL;
}

/*
 * Exactly one of the fields A and B of MAP (at PATH): its node, *IS_A telling
 * which. NULL, with the error added, when both or neither are given (WHAT
 * names the item in the second message).
 */
static const struct pl_node *one_of(struct ctx *c, const struct pl_node *map, const char *path,
				    const char *a, const char *b, const char *what, bool *is_a)
{
	char kp[PATH_LEN];
	const struct pl_node *an = get(map, a), *bn = get(map, b);
	if (an && bn) {
		err(c, bn, pkey(kp, path, b), "'%s' and '%s' are mutually exclusive", a, b);
		return NULL;
	}
	if (!an && !bn) {
		err(c, map, path, "%s needs '%s' or '%s'", what, a, b);
		return NULL;
	}
	*is_a = an != NULL;
	return an ? an : bn;
}

static bool get_bool(struct ctx *c, const struct pl_node *n, const char *path, bool *out)
{
	if (!is_type(c, n, path, PL_NODE_SCALAR))
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
		err(c, n, path, "expected true or false, got '%s'", n->str);
		pl_diag_hint(c->d, "write true or false ('%s' is a boolean only in YAML 1.1)",
			     n->str);
	} else {
		err(c, n, path, "expected true or false, got %s '%s'", pl_node_type_name(n),
		    n->str);
	}
	return false;
}

/* Decimal, 0x hex, 0o or leading-0 octal. */
static bool get_u64(struct ctx *c, const struct pl_node *n, const char *path, uint64_t *out)
{
	if (!is_type(c, n, path, PL_NODE_SCALAR))
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
			err(c, n, path, "number '%s' is too large", n->str);
			return false;
		}
		v = v * (uint64_t)base + (uint64_t)dgt;
	}
	*out = v;
	return true;
bad:
	err(c, n, path, "expected a non-negative integer, got %s '%s'", pl_node_type_name(n),
	    n->str);
	return false;
}

static bool get_u32_range(struct ctx *c, const struct pl_node *n, const char *path, uint64_t lo,
			  uint64_t hi, uint32_t *out)
{
	uint64_t v;
	if (!get_u64(c, n, path, &v))
		return false;
	if (v < lo || v > hi) {
		err(c, n, path, "%s is out of range (%llu..%llu)", n->str, (unsigned long long)lo,
		    (unsigned long long)hi);
		return false;
	}
	*out = (uint32_t)v;
	return true;
}

/* A list of strings. Returns false on a type error (elements with errors are
 * skipped but reported). */
static bool get_strv(struct ctx *c, const struct pl_node *n, const char *path, struct pl_strv *out)
{
	char ip[PATH_LEN];
	if (!is_type(c, n, path, PL_NODE_SEQ))
		return false;
	for (size_t i = 0; i < n->n_items; i++) {
		const char *s = get_str(c, n->items[i], pidx(ip, path, i));
		if (!s)
			continue;
		char **slot = PUSH(c, out->v, out->n);
		if (slot)
			*slot = sdup(c, s);
	}
	return true;
}

/* Map words of a string list through `table`, OR-ing bits. */
static bool get_words(struct ctx *c, const struct pl_node *n, const char *path,
		      const struct pl_word *table, const char *what, uint32_t *bits,
		      uint32_t *reverse)
{
	char ip[PATH_LEN];
	bool ok = true;
	if (!is_type(c, n, path, PL_NODE_SEQ))
		return false;
	for (size_t i = 0; i < n->n_items; i++) {
		const struct pl_node *it = n->items[i];
		const char *s = get_str(c, it, pidx(ip, path, i));
		if (!s) {
			ok = false;
			continue;
		}
		const struct pl_word *w = pl_word_find(table, s);
		if (!w) {
			err(c, it, ip, "unknown %s '%s'", what, s);
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

static enum pl_action get_qualifiers(struct ctx *c, const struct pl_node *rule, const char *path)
{
	char kp[PATH_LEN], ip[PATH_LEN];
	const struct pl_node *q = get(rule, "qualifiers");
	if (!q)
		return c->p->default_action;
	if (!is_type(c, q, pkey(kp, path, "qualifiers"), PL_NODE_SEQ))
		return c->p->default_action;
	bool deny = false, audit = false;
	static const char *const words[] = { "deny", "audit", NULL };
	for (size_t i = 0; i < q->n_items; i++) {
		const char *s = get_str(c, q->items[i], pidx(ip, kp, i));
		if (!s)
			continue;
		if (!strcmp(s, "deny"))
			deny = true;
		else if (!strcmp(s, "audit"))
			audit = true;
		else {
			err(c, q->items[i], ip, "unknown qualifier '%s' (use deny and/or audit)",
			    s);
			hint_suggest(c, s, words, 0);
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

static bool check_abs_path(struct ctx *c, const struct pl_node *n, const char *path, const char *s,
			   const char *what)
{
	if (s[0] != '/') {
		err(c, n, path, "%s '%s' must be an absolute path", what, s);
		return false;
	}
	return true;
}

static void get_targets(struct ctx *c, const struct pl_node *n, const char *path,
			struct pl_strv *out)
{
	char ip[PATH_LEN];
	if (!is_type(c, n, path, PL_NODE_SEQ))
		return;
	for (size_t i = 0; i < n->n_items; i++) {
		const char *s = get_str(c, n->items[i], pidx(ip, path, i));
		if (!s || !check_abs_path(c, n->items[i], ip, s, "target"))
			continue;
		char **slot = PUSH(c, out->v, out->n);
		if (slot)
			*slot = sdup(c, s);
	}
}

static struct pl_selector *get_selector(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "matchLabels", "matchExpressions", NULL };
	static const char *const ekeys[] = { "key", "operator", "values", NULL };
	static const char *const ops[] = { "In", "NotIn", "Exists", "DoesNotExist", NULL };
	char kp[PATH_LEN], ip[PATH_LEN], vp[PATH_LEN];
	if (!is_type(c, n, path, PL_NODE_MAP))
		return NULL;
	check_keys(c, n, path, keys);
	struct pl_selector *sel = pl_arena_alloc(c->a, sizeof(*sel));
	if (!sel) {
		c->oom = true;
		return NULL;
	}
	const struct pl_node *ml = get(n, "matchLabels");
	if (ml && is_type(c, ml, pkey(kp, path, "matchLabels"), PL_NODE_MAP)) {
		for (size_t i = 0; i < ml->n_pairs; i++) {
			const char *v =
			    get_str(c, ml->pairs[i].value, pkey(vp, kp, ml->pairs[i].key->str));
			if (!v)
				continue;
			struct pl_kv *kv = PUSH(c, sel->match_labels, sel->n_match_labels);
			if (kv) {
				kv->key = sdup(c, ml->pairs[i].key->str);
				kv->value = sdup(c, v);
			}
		}
	}
	const struct pl_node *me = get(n, "matchExpressions");
	if (me && is_type(c, me, pkey(kp, path, "matchExpressions"), PL_NODE_SEQ)) {
		for (size_t i = 0; i < me->n_items; i++) {
			const struct pl_node *e = me->items[i];
			pidx(ip, kp, i);
			if (!is_type(c, e, ip, PL_NODE_MAP))
				continue;
			check_keys(c, e, ip, ekeys);
			struct pl_label_expr *x = PUSH(c, sel->exprs, sel->n_exprs);
			if (!x)
				continue;
			const struct pl_node *k = require(c, e, ip, "key");
			const struct pl_node *o = require(c, e, ip, "operator");
			const struct pl_node *v = get(e, "values");
			if (k)
				x->key = sdup(c, get_str(c, k, pkey(vp, ip, "key")) ?: "");
			if (v)
				get_strv(c, v, pkey(vp, ip, "values"), &x->values);
			if (o) {
				const char *os = get_str(c, o, pkey(vp, ip, "operator"));
				if (!os)
					continue;
				size_t j;
				for (j = 0; ops[j]; j++)
					if (!strcmp(ops[j], os))
						break;
				if (!ops[j]) {
					err(c, o, vp,
					    "unknown operator '%s' (In, NotIn, Exists, "
					    "DoesNotExist)",
					    os);
					hint_suggest(c, os, ops, 0);
					continue;
				}
				x->op = sdup(c, os);
				bool needs_values = j < 2;
				if (needs_values && x->values.n == 0)
					err(c, o, vp, "operator %s needs a non-empty 'values' list",
					    os);
				if (!needs_values && x->values.n > 0)
					err(c, v, pkey(vp, ip, "values"),
					    "operator %s takes no values", os);
			}
		}
	}
	return sel;
}

static void get_ports(struct ctx *c, const struct pl_node *n, const char *path,
		      struct pl_port_range **out, size_t *n_out)
{
	static const char *const keys[] = { "port", "endPort", NULL };
	char kp[PATH_LEN];
	for (struct map_iter mi = maps_of(c, n, path, keys); map_next(&mi);) {
		const struct pl_node *it = mi.item;
		const char *ip = mi.path;
		const struct pl_node *pn = require(c, it, ip, "port");
		const struct pl_node *en = get(it, "endPort");
		uint32_t port = 0, end = 0;
		if (!pn || !get_u32_range(c, pn, pkey(kp, ip, "port"), 1, 65535, &port))
			continue;
		end = port;
		if (en) {
			if (!get_u32_range(c, en, pkey(kp, ip, "endPort"), 1, 65535, &end))
				continue;
			if (end < port) {
				err(c, en, kp, "endPort %u is below port %u", end, port);
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

/* ---- built-in rules ---------------------------------------------------- */

static void add_rule(struct ctx *c, const struct pl_node *n, const char *path, enum pl_category cat,
		     const struct pl_strv *targets)
{
	static const char *const list_of[] = {
		[PL_CAT_HARDENING] = "hardeningRules",
		[PL_CAT_ATTACK_PROTECTION] = "attackProtectionRules",
		[PL_CAT_VUL_MITIGATION] = "vulMitigationRules",
	};
	const char *id = get_str(c, n, path);
	if (!id)
		return;
	const struct pl_rule *r = pl_catalog_find(id);
	if (!r) {
		err(c, n, path, "unknown rule '%s'", id);
		hint_suggest(c, id, c->rule_names, c->n_rule_names);
		return;
	}
	if (r->category != cat) {
		err(c, n, path, "'%s' belongs to the %s category; list it under %s", id,
		    pl_category_name(r->category), list_of[r->category]);
		return;
	}
	struct pl_rule_use *u = PUSH(c, c->p->enhance.rules, c->p->enhance.n_rules);
	if (!u)
		return;
	u->rule = r;
	u->written = sdup(c, id);
	u->action = c->p->default_action;
	if (targets && targets->n) {
		u->targets = *targets;
		if (!(r->flags & PL_RULE_APPARMOR_TARGETS))
			warn(c, n, path,
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
	if (!is_type(c, n, path, PL_NODE_SEQ))
		return;
	for (size_t i = 0; i < n->n_items; i++)
		add_rule(c, n->items[i], pidx(ip, path, i), cat, NULL);
}

static void attack_rules(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "rules", "targets", NULL };
	char kp[PATH_LEN], rp[PATH_LEN];
	for (struct map_iter mi = maps_of(c, n, path, keys); map_next(&mi);) {
		const struct pl_node *it = mi.item;
		const char *ip = mi.path;
		struct pl_strv targets = { 0 };
		const struct pl_node *t = get(it, "targets");
		if (t) {
			get_targets(c, t, pkey(kp, ip, "targets"), &targets);
			if (targets.n && !(c->p->enforcers & PL_ENF_APPARMOR))
				warn(c, t, kp,
				     "targets are used only by the AppArmor enforcer; with '%s' "
				     "the rules apply to the whole container",
				     c->p->enforcer_text ? c->p->enforcer_text : "");
		}
		const struct pl_node *rules = require(c, it, ip, "rules");
		if (!rules || !is_type(c, rules, pkey(kp, ip, "rules"), PL_NODE_SEQ))
			continue;
		for (size_t j = 0; j < rules->n_items; j++)
			add_rule(c, rules->items[j], pidx(rp, kp, j), PL_CAT_ATTACK_PROTECTION,
				 &targets);
	}
}

static void apparmor_raw(struct ctx *c, const struct pl_node *n, const char *path,
			 struct pl_apparmor_raw **out, size_t *n_out)
{
	static const char *const keys[] = { "rules", "targets", NULL };
	char ip[PATH_LEN], kp[PATH_LEN];
	if (!is_type(c, n, path, PL_NODE_SEQ))
		return;
	for (size_t i = 0; i < n->n_items; i++) {
		const struct pl_node *it = n->items[i];
		pidx(ip, path, i);
		const char *text = NULL;
		struct pl_strv targets = { 0 };
		if (it->type == PL_NODE_SCALAR) {
			/* vArmor ≤ v0.7: a plain list of rule strings */
			text = get_str(c, it, ip);
		} else if (is_type(c, it, ip, PL_NODE_MAP)) {
			check_keys(c, it, ip, keys);
			const struct pl_node *r = require(c, it, ip, "rules");
			if (r)
				text = get_str(c, r, pkey(kp, ip, "rules"));
			const struct pl_node *t = get(it, "targets");
			if (t)
				get_targets(c, t, pkey(kp, ip, "targets"), &targets);
		}
		if (!text)
			continue;
		const char *q = text;
		while (*q && isspace((unsigned char)*q))
			q++;
		if (!*q) {
			err(c, it, ip, "empty AppArmor rule text");
			continue;
		}
		struct pl_apparmor_raw *a = PUSH(c, *out, *n_out);
		if (a) {
			a->rules = sdup(c, text);
			a->targets = targets;
			a->pos = it->pos;
		}
	}
}

/* ---- bpfRawRules ------------------------------------------------------- */

static void check_pattern(struct ctx *c, const struct pl_node *n, const char *path, const char *s)
{
	if (!*s) {
		err(c, n, path, "empty pattern");
		return;
	}
	if (s[0] != '/' && s[0] != '*') {
		err(c, n, path, "pattern '%s' must be an absolute path or start with '*' or '**'",
		    s);
		return;
	}
	if (strstr(s, "***")) {
		err(c, n, path,
		    "pattern '%s' has '***'; use '*' (one component) or '**' (any depth)", s);
		return;
	}
	if (strstr(s, "//")) {
		err(c, n, path, "pattern '%s' has an empty path component ('//')", s);
		return;
	}
	if (strlen(s) >= 4096)
		err(c, n, path, "pattern is longer than 4095 bytes");
}

static void file_rules(struct ctx *c, const struct pl_node *n, const char *path, bool processes)
{
	static const char *const keys[] = { "pattern", "permissions", "qualifiers", NULL };
	char kp[PATH_LEN];
	struct pl_bpf_raw *b = &c->p->enhance.bpf;
	for (struct map_iter mi = maps_of(c, n, path, keys); map_next(&mi);) {
		const struct pl_node *it = mi.item;
		const char *ip = mi.path;
		enum pl_action act = get_qualifiers(c, it, ip);
		const struct pl_node *pn = require(c, it, ip, "pattern");
		const struct pl_node *pe = require(c, it, ip, "permissions");
		const char *pat = pn ? get_str(c, pn, pkey(kp, ip, "pattern")) : NULL;
		if (pat)
			check_pattern(c, pn, kp, pat);
		uint32_t perms = 0;
		if (pe) {
			get_words(c, pe, pkey(kp, ip, "permissions"), pl_file_perm_words,
				  "permission", &perms, NULL);
			if (pe->type == PL_NODE_SEQ && pe->n_items == 0)
				err(c, pe, kp, "no permissions given");
		}
		if (!pat || !perms)
			continue;
		struct pl_file_rule *f = PUSH(c, b->files, b->n_files);
		if (f) {
			f->pattern = sdup(c, pat);
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
		hint_suggest(c, s, afs, n_afs);
	}
}

/* "did you mean" for an unknown socket type S */
static void sock_type_hint(struct ctx *c, const char *s)
{
	const char *socks[16];
	size_t n_socks = pl_sock_type_names(socks, 16);
	hint_suggest(c, s, socks, n_socks);
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
	if (!is_type(c, n, path, PL_NODE_SEQ))
		return false;
	for (size_t j = 0; j < n->n_items; j++) {
		const char *s = get_str(c, n->items[j], pidx(vp, path, j));
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
			err(c, n->items[j], vp, "unknown socket %s '%s'", what, s);
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
	for (struct map_iter mi = maps_of(c, n, path, keys); map_next(&mi);) {
		const struct pl_node *it = mi.item;
		const char *ip = mi.path;
		enum pl_action act = get_qualifiers(c, it, ip);
		const struct pl_node *dn = get(it, "domains"), *tn = get(it, "types"),
				     *pn = get(it, "protocols");
		bool ok = true;
		uint64_t domains = 0;
		uint32_t types = 0, protos = 0;
		bool all_domains = false, all_types = false;
		if (!dn && !tn && !pn) {
			err(c, it, ip, "a socket rule needs domains, types or protocols");
			continue;
		}
		if (tn && pn) {
			err(c, pn, pkey(kp, ip, "protocols"),
			    "'types' and 'protocols' are mutually exclusive");
			ok = false;
		}
		if (dn && !name_bits(c, dn, pkey(kp, ip, "domains"), pl_af_from_name, "domain",
				     af_hint, &domains, &all_domains))
			ok = false;
		uint64_t type_bits = 0;
		if (tn && !name_bits(c, tn, pkey(kp, ip, "types"), pl_sock_type_from_name, "type",
				     sock_type_hint, &type_bits, &all_types))
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
			if (!get_words(c, pn, pkey(kp, ip, "protocols"), pl_proto_words, "protocol",
				       &protos, &dummy))
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
		err(c, n, path, "'%s' is a network block; use 'cidr' (or 'ipBlock') for it", s);
		return false;
	}
	if (alen == 0 || alen >= sizeof(buf)) {
		err(c, n, path, "'%s' is not an IP address", s);
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
		err(c, n, path, "'%s' is not an IPv4 or IPv6 address", buf);
		return false;
	}
	unsigned max = e->family == AF_INET ? 32 : 128;
	unsigned prefix = max;
	if (slash) {
		const char *q = slash + 1;
		if (!*q || strlen(q) > 3) {
			err(c, n, path, "bad prefix length in '%s'", s);
			return false;
		}
		prefix = 0;
		for (; *q; q++) {
			if (*q < '0' || *q > '9') {
				err(c, n, path, "bad prefix length in '%s'", s);
				return false;
			}
			prefix = prefix * 10 + (unsigned)(*q - '0');
		}
		if (prefix > max) {
			err(c, n, path, "prefix length /%u is out of range for %s (0..%u)", prefix,
			    e->family == AF_INET ? "IPv4" : "IPv6", max);
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
		warn(c, n, path, "'%s' has host bits set; using %s/%u", s, out, prefix);
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

static void to_destinations(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "ip", "cidr", "ports", "qualifiers", NULL };
	char kp[PATH_LEN];
	struct pl_bpf_raw *b = &c->p->enhance.bpf;
	for (struct map_iter mi = maps_of(c, n, path, keys); map_next(&mi);) {
		const struct pl_node *it = mi.item;
		const char *ip = mi.path;
		size_t errs = c->d->n_errors;
		struct pl_egress_rule e = { .action = get_qualifiers(c, it, ip), .pos = it->pos };
		bool is_ip;
		const struct pl_node *an = one_of(c, it, ip, "ip", "cidr", "a destination", &is_ip);
		if (!an)
			continue;
		const char *s = get_str(c, an, pkey(kp, ip, is_ip ? "ip" : "cidr"));
		if (!s)
			continue;
		if (is_ip)
			egress_ip(c, an, kp, s, &e);
		else {
			if (!strchr(s, '/')) {
				err(c, an, kp,
				    "'%s' has no prefix length; write it as a CIDR (a.b.c.d/n) or "
				    "use 'ip'",
				    s);
				continue;
			}
			parse_cidr(c, an, kp, s, true, &e);
		}
		const struct pl_node *pn = get(it, "ports");
		if (pn)
			get_ports(c, pn, pkey(kp, ip, "ports"), &e.ports, &e.n_ports);
		e.text = sdup(c, s);
		KEEP(c, errs, b->egress, b->n_egress, e);
	}
}

/* vArmor ≤ v0.7: network.egresses [{ip | ipBlock, port}] */
static void egresses_v07(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "ip", "ipBlock", "port", NULL };
	char kp[PATH_LEN];
	struct pl_bpf_raw *b = &c->p->enhance.bpf;
	for (struct map_iter mi = maps_of(c, n, path, keys); map_next(&mi);) {
		const struct pl_node *it = mi.item;
		const char *ip = mi.path;
		size_t errs = c->d->n_errors;
		struct pl_egress_rule e = { .action = c->p->default_action, .pos = it->pos };
		bool is_ip;
		const struct pl_node *an =
		    one_of(c, it, ip, "ip", "ipBlock", "an egress rule", &is_ip);
		if (!an)
			continue;
		const char *s = get_str(c, an, pkey(kp, ip, is_ip ? "ip" : "ipBlock"));
		if (!s)
			continue;
		if (is_ip)
			egress_ip(c, an, kp, s, &e);
		else
			parse_cidr(c, an, kp, s, true, &e);
		const struct pl_node *pn = get(it, "port");
		uint32_t port = 0;
		if (pn && get_u32_range(c, pn, pkey(kp, ip, "port"), 1, 65535, &port)) {
			e.ports = pl_arena_alloc(c->a, sizeof(*e.ports));
			if (!e.ports) {
				c->oom = true;
				continue;
			}
			e.ports[0] = (struct pl_port_range){ (uint16_t)port, (uint16_t)port };
			e.n_ports = 1;
		}
		e.text = sdup(c, s);
		KEEP(c, errs, b->egress, b->n_egress, e);
	}
}

static void to_services(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "namespace", "name", "serviceSelector", "qualifiers",
					    NULL };
	char kp[PATH_LEN];
	struct pl_bpf_raw *b = &c->p->enhance.bpf;
	for (struct map_iter mi = maps_of(c, n, path, keys); map_next(&mi);) {
		const struct pl_node *it = mi.item;
		const char *ip = mi.path;
		size_t errs = c->d->n_errors;
		struct pl_egress_service s = { .action = get_qualifiers(c, it, ip),
					       .pos = it->pos };
		s.namespace_ = str_field(c, it, ip, "namespace");
		bool is_name;
		const struct pl_node *by =
		    one_of(c, it, ip, "name", "serviceSelector", "a service rule", &is_name);
		if (by && is_name)
			s.name = str_field(c, it, ip, "name");
		else if (by)
			s.selector = get_selector(c, by, pkey(kp, ip, "serviceSelector"));
		KEEP(c, errs, b->services, b->n_services, s);
	}
}

static void to_pods(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "namespace", "podSelector", "ports", "qualifiers",
					    NULL };
	char kp[PATH_LEN];
	struct pl_bpf_raw *b = &c->p->enhance.bpf;
	for (struct map_iter mi = maps_of(c, n, path, keys); map_next(&mi);) {
		const struct pl_node *it = mi.item;
		const char *ip = mi.path;
		size_t errs = c->d->n_errors;
		struct pl_egress_pod p = { .action = get_qualifiers(c, it, ip), .pos = it->pos };
		p.namespace_ = str_field(c, it, ip, "namespace");
		const struct pl_node *sel = require(c, it, ip, "podSelector");
		if (sel)
			p.selector = get_selector(c, sel, pkey(kp, ip, "podSelector"));
		const struct pl_node *pn = get(it, "ports");
		if (pn)
			get_ports(c, pn, pkey(kp, ip, "ports"), &p.ports, &p.n_ports);
		KEEP(c, errs, b->pods, b->n_pods, p);
	}
}

static void network(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "sockets", "egress", "egresses", NULL };
	static const char *const ekeys[] = { "toDestinations", "toServices", "toPods", NULL };
	char kp[PATH_LEN], ep[PATH_LEN];
	if (!is_type(c, n, path, PL_NODE_MAP))
		return;
	check_keys(c, n, path, keys);
	const struct pl_node *v;
	if ((v = get(n, "sockets")))
		socket_rules(c, v, pkey(kp, path, "sockets"));
	if ((v = get(n, "egresses")))
		egresses_v07(c, v, pkey(kp, path, "egresses"));
	if ((v = get(n, "egress")) && is_type(c, v, pkey(kp, path, "egress"), PL_NODE_MAP)) {
		check_keys(c, v, kp, ekeys);
		const struct pl_node *w;
		if ((w = get(v, "toDestinations")))
			to_destinations(c, w, pkey(ep, kp, "toDestinations"));
		if ((w = get(v, "toServices")))
			to_services(c, w, pkey(ep, kp, "toServices"));
		if ((w = get(v, "toPods")))
			to_pods(c, w, pkey(ep, kp, "toPods"));
	}
}

static void ptrace_rule(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "strictMode", "permissions", "qualifiers", NULL };
	char kp[PATH_LEN];
	struct pl_ptrace_rule *pt = &c->p->enhance.bpf.ptrace;
	if (!is_type(c, n, path, PL_NODE_MAP))
		return;
	check_keys(c, n, path, keys);
	pt->action = get_qualifiers(c, n, path);
	pt->pos = n->pos;
	const struct pl_node *v;
	if ((v = get(n, "strictMode")))
		get_bool(c, v, pkey(kp, path, "strictMode"), &pt->strict);
	if ((v = require(c, n, path, "permissions"))) {
		get_words(c, v, pkey(kp, path, "permissions"), pl_ptrace_perm_words,
			  "ptrace permission", &pt->perms, NULL);
		if (v->type == PL_NODE_SEQ && v->n_items == 0)
			err(c, v, kp, "no permissions given");
	}
	pt->present = pt->perms != 0;
}

static void mount_rules(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "sourcePattern", "fstype", "flags", "qualifiers",
					    NULL };
	char kp[PATH_LEN];
	struct pl_bpf_raw *b = &c->p->enhance.bpf;
	for (struct map_iter mi = maps_of(c, n, path, keys); map_next(&mi);) {
		const struct pl_node *it = mi.item;
		const char *ip = mi.path;
		size_t errs = c->d->n_errors;
		struct pl_mount_rule m = { .action = get_qualifiers(c, it, ip), .pos = it->pos };
		const struct pl_node *sp = require(c, it, ip, "sourcePattern");
		const struct pl_node *ft = require(c, it, ip, "fstype");
		const struct pl_node *fl = require(c, it, ip, "flags");
		const char *s;
		if (sp && (s = get_str(c, sp, pkey(kp, ip, "sourcePattern")))) {
			check_pattern(c, sp, kp, s);
			m.source_pattern = sdup(c, s);
		}
		if (ft && (s = get_str(c, ft, pkey(kp, ip, "fstype")))) {
			if (!*s || strlen(s) >= 16)
				err(c, ft, kp, "fstype '%s' must be 1 to 15 bytes long", s);
			m.fstype = sdup(c, s);
		}
		if (fl && is_type(c, fl, pkey(kp, ip, "flags"), PL_NODE_SEQ)) {
			if (fl->n_items == 0)
				err(c, fl, kp, "no flags given");
			get_words(c, fl, kp, pl_mount_flag_words, "mount flag", &m.flags,
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

static void bpf_raw(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "files",  "processes", "network",
					    "ptrace", "mounts",    NULL };
	char kp[PATH_LEN];
	if (!is_type(c, n, path, PL_NODE_MAP))
		return;
	check_keys(c, n, path, keys);
	const struct pl_node *v;
	if ((v = get(n, "files")))
		file_rules(c, v, pkey(kp, path, "files"), false);
	if ((v = get(n, "processes")))
		file_rules(c, v, pkey(kp, path, "processes"), true);
	if ((v = get(n, "network")))
		network(c, v, pkey(kp, path, "network"));
	if ((v = get(n, "ptrace")))
		ptrace_rule(c, v, pkey(kp, path, "ptrace"));
	if ((v = get(n, "mounts")))
		mount_rules(c, v, pkey(kp, path, "mounts"));
}

/* ---- syscallRawRules (OCI LinuxSyscall) --------------------------------- */

static const struct {
	const char *name;
	enum pl_sc_action act;
} sc_actions[] = {
	{ "SCMP_ACT_KILL", PL_SC_ACT_KILL },
	{ "SCMP_ACT_KILL_PROCESS", PL_SC_ACT_KILL_PROCESS },
	{ "SCMP_ACT_KILL_THREAD", PL_SC_ACT_KILL_THREAD },
	{ "SCMP_ACT_TRAP", PL_SC_ACT_TRAP },
	{ "SCMP_ACT_ERRNO", PL_SC_ACT_ERRNO },
	{ "SCMP_ACT_TRACE", PL_SC_ACT_TRACE },
	{ "SCMP_ACT_ALLOW", PL_SC_ACT_ALLOW },
	{ "SCMP_ACT_LOG", PL_SC_ACT_LOG },
	{ "SCMP_ACT_NOTIFY", PL_SC_ACT_NOTIFY },
};

static const struct {
	const char *name;
	enum pl_sc_op op;
} sc_ops[] = {
	{ "SCMP_CMP_NE", PL_SC_OP_NE },
	{ "SCMP_CMP_LT", PL_SC_OP_LT },
	{ "SCMP_CMP_LE", PL_SC_OP_LE },
	{ "SCMP_CMP_EQ", PL_SC_OP_EQ },
	{ "SCMP_CMP_GE", PL_SC_OP_GE },
	{ "SCMP_CMP_GT", PL_SC_OP_GT },
	{ "SCMP_CMP_MASKED_EQ", PL_SC_OP_MASKED_EQ },
};

static const char *const never_deny[] = { "exit",      "exit_group",      "rt_sigreturn",
					  "sigreturn", "restart_syscall", NULL };

static void syscall_raw(struct ctx *c, const struct pl_node *n, const char *path,
			const char *origin, struct pl_sc_syscall **out, size_t *n_out)
{
	static const char *const keys[] = { "names", "action", "errnoRet", "args", NULL };
	static const char *const akeys[] = { "index", "value", "valueTwo", "op", NULL };
	char kp[PATH_LEN], ap[PATH_LEN], vp[PATH_LEN];
	const char *act_names[PL_ARRAY_SIZE(sc_actions)], *op_names[PL_ARRAY_SIZE(sc_ops)];
	for (size_t i = 0; i < PL_ARRAY_SIZE(sc_actions); i++)
		act_names[i] = sc_actions[i].name;
	for (size_t i = 0; i < PL_ARRAY_SIZE(sc_ops); i++)
		op_names[i] = sc_ops[i].name;
	for (struct map_iter mi = maps_of(c, n, path, keys); map_next(&mi);) {
		const struct pl_node *it = mi.item;
		const char *ip = mi.path;
		size_t errs = c->d->n_errors;
		struct pl_sc_syscall sc = { .origin = origin, .pos = it->pos };
		const struct pl_node *names = require(c, it, ip, "names");
		const struct pl_node *act = require(c, it, ip, "action");
		if (act) {
			const char *s = get_str(c, act, pkey(kp, ip, "action"));
			if (s) {
				for (size_t j = 0; j < PL_ARRAY_SIZE(sc_actions); j++)
					if (!strcmp(sc_actions[j].name, s))
						sc.action = sc_actions[j].act;
				if (sc.action == PL_SC_ACT_INVALID) {
					err(c, act, kp, "unknown seccomp action '%s'", s);
					hint_suggest(c, s, act_names, PL_ARRAY_SIZE(act_names));
				}
			}
		}
		bool denies = sc.action != PL_SC_ACT_ALLOW && sc.action != PL_SC_ACT_LOG &&
			      sc.action != PL_SC_ACT_INVALID;
		if (names && is_type(c, names, pkey(kp, ip, "names"), PL_NODE_SEQ)) {
			if (names->n_items == 0)
				err(c, names, kp, "no syscall names given");
			for (size_t j = 0; j < names->n_items; j++) {
				const struct pl_node *nn = names->items[j];
				const char *nm = get_str(c, nn, pidx(vp, kp, j));
				if (!nm)
					continue;
				if (seccomp_syscall_resolve_name(nm) == __NR_SCMP_ERROR &&
				    pl_syscall_extra_nr(nm) < 0) {
					err(c, nn, vp, "unknown syscall '%s'", nm);
					continue;
				}
				if (denies)
					for (size_t k = 0; never_deny[k]; k++)
						if (!strcmp(never_deny[k], nm))
							err(c, nn, vp,
							    "'%s' can never be denied (the process "
							    "could not exit or return from a "
							    "signal)",
							    nm);
				char **slot = PUSH(c, sc.names, sc.n_names);
				if (slot)
					*slot = sdup(c, nm);
			}
		}
		const struct pl_node *en = get(it, "errnoRet");
		if (en) {
			uint32_t e = 0;
			if (get_u32_range(c, en, pkey(kp, ip, "errnoRet"), 0, 4095, &e)) {
				if (sc.action != PL_SC_ACT_ERRNO && sc.action != PL_SC_ACT_TRACE &&
				    sc.action != PL_SC_ACT_INVALID)
					err(c, en, kp,
					    "errnoRet applies only to SCMP_ACT_ERRNO and "
					    "SCMP_ACT_TRACE");
				sc.has_errno_ret = true;
				sc.errno_ret = e;
			}
		}
		const struct pl_node *args = get(it, "args");
		if (args && is_type(c, args, pkey(kp, ip, "args"), PL_NODE_SEQ)) {
			for (size_t j = 0; j < args->n_items; j++) {
				const struct pl_node *a = args->items[j];
				pidx(ap, kp, j);
				if (!is_type(c, a, ap, PL_NODE_MAP))
					continue;
				check_keys(c, a, ap, akeys);
				struct pl_sc_arg arg = { 0 };
				const struct pl_node *x;
				if ((x = require(c, a, ap, "index")))
					get_u32_range(c, x, pkey(vp, ap, "index"), 0, 5,
						      &arg.index);
				if ((x = get(a, "value")))
					get_u64(c, x, pkey(vp, ap, "value"), &arg.value);
				if ((x = get(a, "valueTwo")))
					get_u64(c, x, pkey(vp, ap, "valueTwo"), &arg.value_two);
				if ((x = require(c, a, ap, "op"))) {
					const char *s = get_str(c, x, pkey(vp, ap, "op"));
					if (s) {
						for (size_t k = 0; k < PL_ARRAY_SIZE(sc_ops); k++)
							if (!strcmp(sc_ops[k].name, s))
								arg.op = sc_ops[k].op;
						if (!arg.op) {
							err(c, x, vp, "unknown comparison '%s'", s);
							hint_suggest(c, s, op_names,
								     PL_ARRAY_SIZE(op_names));
						}
					}
				}
				struct pl_sc_arg *slot = PUSH(c, sc.args, sc.n_args);
				if (slot)
					*slot = arg;
			}
		}
		KEEP(c, errs, *out, *n_out, sc);
	}
}

/* ---- enhanceProtect ---------------------------------------------------- */

static void enhance_protect(struct ctx *c, const struct pl_node *n, const char *path)
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
	if (!is_type(c, n, path, PL_NODE_MAP))
		return;
	check_keys(c, n, path, keys);
	e->present = true;
	const struct pl_node *v;
	if ((v = get(n, "privileged")))
		get_bool(c, v, pkey(kp, path, "privileged"), &e->privileged);
	if ((v = get(n, "auditViolations")))
		get_bool(c, v, pkey(kp, path, "auditViolations"), &e->audit_violations);
	if ((v = get(n, "allowViolations")))
		get_bool(c, v, pkey(kp, path, "allowViolations"), &e->allow_violations);
	if (c->p->mode == PL_MODE_ENHANCE_PROTECT)
		c->p->default_action = e->allow_violations   ? PL_ACTION_ALLOW_LOG
				       : e->audit_violations ? PL_ACTION_DENY_LOG
							     : PL_ACTION_DENY;
	if ((v = get(n, "hardeningRules")))
		rule_list(c, v, pkey(kp, path, "hardeningRules"), PL_CAT_HARDENING);
	if ((v = get(n, "attackProtectionRules")))
		attack_rules(c, v, pkey(kp, path, "attackProtectionRules"));
	if ((v = get(n, "vulMitigationRules")))
		rule_list(c, v, pkey(kp, path, "vulMitigationRules"), PL_CAT_VUL_MITIGATION);
	if ((v = get(n, "appArmorRawRules")))
		apparmor_raw(c, v, pkey(kp, path, "appArmorRawRules"), &e->apparmor_raw,
			     &e->n_apparmor_raw);
	if ((v = get(n, "bpfRawRules")))
		bpf_raw(c, v, pkey(kp, path, "bpfRawRules"));
	if ((v = get(n, "syscallRawRules")))
		syscall_raw(c, v, pkey(kp, path, "syscallRawRules"), "syscallRawRules",
			    &e->syscall_raw, &e->n_syscall_raw);
	if ((v = get(n, "networkProxyRawRules"))) {
		e->has_network_proxy_raw = true;
		warn(c, v, pkey(kp, path, "networkProxyRawRules"),
		     "accepted but not enforced by plastron (the NetworkProxy enforcer is out of "
		     "scope)");
	}
}

/* ---- defenseInDepth ---------------------------------------------------- */

static enum pl_profile_type profile_type(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const types[] = { "BehaviorModel", "Custom", NULL };
	const char *s = get_str(c, n, path);
	if (!s)
		return PL_PROFILE_NONE;
	if (!strcmp(s, "BehaviorModel"))
		return PL_PROFILE_BEHAVIOR_MODEL;
	if (!strcmp(s, "Custom"))
		return PL_PROFILE_CUSTOM;
	err(c, n, path, "unknown profileType '%s' (BehaviorModel or Custom)", s);
	hint_suggest(c, s, types, 0);
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
}

static void defense_in_depth(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "appArmor", "seccomp", "networkProxy",
					    "allowViolations", NULL };
	static const char *const akeys[] = { "profileType", "customProfile", "appArmorRawRules",
					     NULL };
	static const char *const skeys[] = { "profileType", "customProfile", "syscallRawRules",
					     NULL };
	char kp[PATH_LEN], vp[PATH_LEN];
	struct pl_dind *di = &c->p->dind;
	if (!is_type(c, n, path, PL_NODE_MAP))
		return;
	check_keys(c, n, path, keys);
	di->present = true;
	const struct pl_node *v, *w;
	if ((v = get(n, "allowViolations")))
		get_bool(c, v, pkey(kp, path, "allowViolations"), &di->allow_violations);
	if (c->p->mode == PL_MODE_DEFENSE_IN_DEPTH)
		c->p->default_action =
		    di->allow_violations ? PL_ACTION_ALLOW_LOG : PL_ACTION_DENY_LOG;
	if ((v = get(n, "networkProxy"))) {
		di->has_network_proxy = true;
		warn(c, v, pkey(kp, path, "networkProxy"),
		     "accepted but not enforced by plastron (the NetworkProxy enforcer is out of "
		     "scope)");
	}
	if ((v = get(n, "appArmor")) && is_type(c, v, pkey(kp, path, "appArmor"), PL_NODE_MAP)) {
		check_keys(c, v, kp, akeys);
		if ((w = require(c, v, kp, "profileType")))
			di->apparmor_type = profile_type(c, w, pkey(vp, kp, "profileType"));
		if ((w = get(v, "customProfile"))) {
			const char *s = get_str(c, w, pkey(vp, kp, "customProfile"));
			if (s && di->apparmor_type == PL_PROFILE_BEHAVIOR_MODEL)
				err(c, w, vp,
				    "customProfile is used only with profileType: Custom");
			di->apparmor_custom = s ? sdup(c, s) : NULL;
		} else if (di->apparmor_type == PL_PROFILE_CUSTOM) {
			err(c, v, kp, "profileType Custom needs a customProfile");
		}
		if ((w = get(v, "appArmorRawRules")))
			apparmor_raw(c, w, pkey(vp, kp, "appArmorRawRules"), &di->apparmor_raw,
				     &di->n_apparmor_raw);
		if (!(c->p->enforcers & PL_ENF_APPARMOR))
			warn(c, v, kp,
			     "the AppArmor enforcer is not enabled; this section is unused");
	}
	if ((v = get(n, "seccomp")) && is_type(c, v, pkey(kp, path, "seccomp"), PL_NODE_MAP)) {
		check_keys(c, v, kp, skeys);
		if ((w = require(c, v, kp, "profileType")))
			di->seccomp_type = profile_type(c, w, pkey(vp, kp, "profileType"));
		if ((w = get(v, "customProfile"))) {
			const char *s = get_str(c, w, pkey(vp, kp, "customProfile"));
			if (s && di->seccomp_type == PL_PROFILE_BEHAVIOR_MODEL)
				err(c, w, vp,
				    "customProfile is used only with profileType: Custom");
			else if (s)
				seccomp_custom(c, w, vp, s);
		} else if (di->seccomp_type == PL_PROFILE_CUSTOM) {
			err(c, v, kp, "profileType Custom needs a customProfile");
		}
		if ((w = get(v, "syscallRawRules")))
			syscall_raw(c, w, pkey(vp, kp, "syscallRawRules"), "defenseInDepth",
				    &di->syscall_raw, &di->n_syscall_raw);
		if (!(c->p->enforcers & PL_ENF_SECCOMP))
			warn(c, v, kp,
			     "the Seccomp enforcer is not enabled; this section is unused");
	}
}

/* ---- spec.plastron.landlock -------------------------------------------- */

static void ll_ports(struct ctx *c, const struct pl_node *n, const char *path, uint32_t lo,
		     uint16_t **out, size_t *n_out)
{
	char ip[PATH_LEN];
	if (!is_type(c, n, path, PL_NODE_SEQ))
		return;
	for (size_t i = 0; i < n->n_items; i++) {
		uint32_t port;
		if (!get_u32_range(c, n->items[i], pidx(ip, path, i), lo, 65535, &port))
			continue;
		uint16_t *slot = PUSH(c, *out, *n_out);
		if (slot)
			*slot = (uint16_t)port;
	}
}

static void landlock(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "filesystem", "network", "scopes", NULL };
	static const char *const fkeys[] = { "path", "access", NULL };
	static const char *const nkeys[] = { "bindTCP", "connectTCP", NULL };
	static const char *const scopes[] = { "abstractUnixSocket", "signal", NULL };
	char kp[PATH_LEN], ip[PATH_LEN], vp[PATH_LEN];
	struct pl_landlock *ll = &c->p->landlock;
	if (!is_type(c, n, path, PL_NODE_MAP))
		return;
	check_keys(c, n, path, keys);
	ll->present = true;
	ll->pos = n->pos;
	const struct pl_node *v;
	if ((v = get(n, "filesystem")) &&
	    is_type(c, v, pkey(kp, path, "filesystem"), PL_NODE_SEQ)) {
		for (size_t i = 0; i < v->n_items; i++) {
			const struct pl_node *it = v->items[i];
			pidx(ip, kp, i);
			if (!is_type(c, it, ip, PL_NODE_MAP))
				continue;
			check_keys(c, it, ip, fkeys);
			const struct pl_node *pn = require(c, it, ip, "path");
			const struct pl_node *an = require(c, it, ip, "access");
			const char *p = pn ? get_str(c, pn, pkey(vp, ip, "path")) : NULL;
			if (p && !check_abs_path(c, pn, vp, p, "path"))
				p = NULL;
			uint32_t access = 0;
			if (an) {
				get_words(c, an, pkey(vp, ip, "access"), pl_ll_access_words,
					  "Landlock access right", &access, NULL);
				if (an->type == PL_NODE_SEQ && an->n_items == 0)
					err(c, an, vp, "no access rights given");
			}
			if (!p || !access)
				continue;
			struct pl_ll_path *lp = PUSH(c, ll->paths, ll->n_paths);
			if (lp) {
				lp->path = sdup(c, p);
				lp->access = access;
				lp->pos = it->pos;
			}
		}
	}
	if ((v = get(n, "network")) && is_type(c, v, pkey(kp, path, "network"), PL_NODE_MAP)) {
		check_keys(c, v, kp, nkeys);
		const struct pl_node *w;
		ll->restrict_net = true;
		/* port 0 is meaningful for bind (an ephemeral port) */
		if ((w = get(v, "bindTCP")))
			ll_ports(c, w, pkey(vp, kp, "bindTCP"), 0, &ll->bind_tcp, &ll->n_bind_tcp);
		if ((w = get(v, "connectTCP")))
			ll_ports(c, w, pkey(vp, kp, "connectTCP"), 1, &ll->connect_tcp,
				 &ll->n_connect_tcp);
	}
	if ((v = get(n, "scopes")) && is_type(c, v, pkey(kp, path, "scopes"), PL_NODE_SEQ)) {
		for (size_t i = 0; i < v->n_items; i++) {
			const char *s = get_str(c, v->items[i], pidx(ip, kp, i));
			if (!s)
				continue;
			if (!strcmp(s, "abstractUnixSocket"))
				ll->scope_abstract_unix = true;
			else if (!strcmp(s, "signal"))
				ll->scope_signal = true;
			else {
				err(c, v->items[i], ip, "unknown Landlock scope '%s'", s);
				hint_suggest(c, s, scopes, 0);
			}
		}
	}
}

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
	const char *s = get_str(c, n, path);
	if (!s)
		return;
	c->p->enforcer_text = sdup(c, s);
	char low[128];
	if (strlen(s) >= sizeof(low)) {
		err(c, n, path, "unknown enforcer '%.40s...'", s);
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
			err(c, n, path,
			    "unknown enforcer '%s' ('%s' is not AppArmor, BPF, Seccomp or "
			    "NetworkProxy)",
			    s, low);
		else
			err(c, n, path, "unknown enforcer '%s'", s);
		hint_suggest(c, s, enforcer_values, 0);
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
	if (!is_type(c, n, path, PL_NODE_MAP))
		return;
	size_t errs = c->d->n_errors;
	check_keys(c, n, path, keys);
	/* a misspelt section name already explains a missing section */
	bool bad_keys = c->d->n_errors != errs;
	const struct pl_node *en = require(c, n, path, "enforcer");
	if (en)
		enforcer(c, en, pkey(kp, path, "enforcer"));
	const struct pl_node *mn = require(c, n, path, "mode");
	bool mode_ok = false;
	if (mn) {
		const char *s = get_str(c, mn, pkey(kp, path, "mode"));
		for (size_t i = 0; s && mode_names[i]; i++)
			if (!strcmp(mode_names[i], s)) {
				p->mode = (enum pl_mode)i;
				mode_ok = true;
			}
		if (s && !mode_ok) {
			err(c, mn, kp, "unknown mode '%s'", s);
			hint_suggest(c, s, mode_names, 0);
		}
	}
	p->default_action = PL_ACTION_DENY;

	const struct pl_node *ep = get(n, "enhanceProtect");
	const struct pl_node *mo = get(n, "modelingOptions");
	const struct pl_node *di = get(n, "defenseInDepth");
	const struct pl_node *np = get(n, "networkProxyConfig");
	if (ep)
		enhance_protect(c, ep, pkey(kp, path, "enhanceProtect"));
	if (mo && is_type(c, mo, pkey(kp, path, "modelingOptions"), PL_NODE_MAP)) {
		static const char *const mkeys[] = { "duration", NULL };
		check_keys(c, mo, kp, mkeys);
		const struct pl_node *d = require(c, mo, kp, "duration");
		uint64_t dur;
		if (d && get_u64(c, d, pkey(vp, kp, "duration"), &dur)) {
			if (dur == 0 || dur > UINT32_MAX)
				err(c, d, vp, "duration must be a number of minutes > 0, got %s",
				    d->str);
			else
				p->modeling_duration = (uint32_t)dur;
		}
	}
	if (di)
		defense_in_depth(c, di, pkey(kp, path, "defenseInDepth"));
	if (np)
		warn(c, np, pkey(kp, path, "networkProxyConfig"),
		     "accepted but not enforced by plastron (the NetworkProxy enforcer is out of "
		     "scope)");

	if (!mode_ok || !p->enforcers)
		return;
	/* impossible or pointless combinations */
	const char *mode = pl_mode_name(p->mode);
	if (p->mode == PL_MODE_DEFENSE_IN_DEPTH && (p->enforcers & PL_ENF_BPF))
		err(c, mn, pkey(kp, path, "mode"),
		    "DefenseInDepth cannot be used with the BPF enforcer");
	if (p->mode == PL_MODE_BEHAVIOR_MODELING && (p->enforcers & PL_ENF_NETWORK_PROXY))
		err(c, mn, pkey(kp, path, "mode"),
		    "BehaviorModeling cannot be used with the NetworkProxy enforcer");
	if (p->mode == PL_MODE_BEHAVIOR_MODELING && !mo && !bad_keys)
		err(c, mn, pkey(kp, path, "mode"),
		    "BehaviorModeling needs modelingOptions.duration (minutes, > 0)");
	if (p->mode == PL_MODE_ENHANCE_PROTECT && !ep && !bad_keys)
		err(c, mn, pkey(kp, path, "mode"),
		    "EnhanceProtect needs an enhanceProtect section");
	if (p->mode == PL_MODE_DEFENSE_IN_DEPTH && !di && !bad_keys)
		err(c, mn, pkey(kp, path, "mode"), "DefenseInDepth needs a defenseInDepth section");
	if (ep && p->mode != PL_MODE_ENHANCE_PROTECT)
		warn(c, ep, pkey(kp, path, "enhanceProtect"), "ignored in mode %s", mode);
	if (mo && p->mode != PL_MODE_BEHAVIOR_MODELING)
		warn(c, mo, pkey(kp, path, "modelingOptions"), "ignored in mode %s", mode);
	if (di && p->mode != PL_MODE_DEFENSE_IN_DEPTH)
		warn(c, di, pkey(kp, path, "defenseInDepth"), "ignored in mode %s", mode);
}

static void target(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "kind", "name", "selector", "containers", NULL };
	static const char *const kinds[] = { "Deployment", "StatefulSet", "DaemonSet", "Pod",
					     NULL };
	char kp[PATH_LEN];
	struct pl_target *t = &c->p->target;
	if (!is_type(c, n, path, PL_NODE_MAP))
		return;
	check_keys(c, n, path, keys);
	t->pos = n->pos;
	const struct pl_node *k = require(c, n, path, "kind");
	if (k) {
		const char *s = get_str(c, k, pkey(kp, path, "kind"));
		size_t i;
		for (i = 0; s && kinds[i]; i++)
			if (!strcmp(kinds[i], s))
				break;
		if (s && kinds[i])
			t->kind = (enum pl_target_kind)i;
		else if (s) {
			err(c, k, kp,
			    "unknown target kind '%s' (Deployment, StatefulSet, DaemonSet, Pod)",
			    s);
			hint_suggest(c, s, kinds, 0);
		}
	}
	const struct pl_node *nm = get(n, "name"), *sel = get(n, "selector");
	if (nm && sel)
		err(c, sel, pkey(kp, path, "selector"),
		    "'name' and 'selector' are mutually exclusive");
	else if (!nm && !sel)
		err(c, n, path, "give exactly one of 'name' or 'selector'");
	else if (nm) {
		const char *s = get_str(c, nm, pkey(kp, path, "name"));
		if (s && !*s)
			err(c, nm, kp, "empty name");
		t->name = s ? sdup(c, s) : NULL;
	} else
		t->selector = get_selector(c, sel, pkey(kp, path, "selector"));
	const struct pl_node *ct = get(n, "containers");
	if (ct)
		get_strv(c, ct, pkey(kp, path, "containers"), &t->containers);
}

static void string_map(struct ctx *c, const struct pl_node *n, const char *path)
{
	char kp[PATH_LEN];
	if (!is_type(c, n, path, PL_NODE_MAP))
		return;
	for (size_t i = 0; i < n->n_pairs; i++)
		get_str(c, n->pairs[i].value, pkey(kp, path, n->pairs[i].key->str));
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
	if (!is_type(c, n, path, PL_NODE_MAP))
		return;
	check_keys(c, n, path, keys);
	const struct pl_node *v;
	if ((v = require(c, n, path, "name"))) {
		const char *s = get_str(c, v, pkey(kp, path, "name"));
		if (s && !dns_name_ok(s, 253, true))
			err(c, v, kp,
			    "'%s' is not a valid Kubernetes name (lower-case letters, digits, '-' "
			    "and '.', starting and ending with a letter or digit, at most 253)",
			    s);
		c->p->name = s ? sdup(c, s) : NULL;
	}
	if ((v = get(n, "namespace"))) {
		const char *s = get_str(c, v, pkey(kp, path, "namespace"));
		if (s && !dns_name_ok(s, 63, false)) {
			err(c, v, kp,
			    "'%s' is not a valid namespace (lower-case letters, digits and '-', at "
			    "most 63)",
			    s);
			s = NULL;
		}
		if (s && c->p->kind == PL_KIND_VARMOR_CLUSTER_POLICY)
			warn(c, v, kp,
			     "a VarmorClusterPolicy is cluster-scoped; namespace is ignored");
		else if (s)
			c->p->namespace_ = sdup(c, s);
	}
	if ((v = get(n, "labels")))
		string_map(c, v, pkey(kp, path, "labels"));
	if ((v = get(n, "annotations")))
		string_map(c, v, pkey(kp, path, "annotations"));
}

static void spec(struct ctx *c, const struct pl_node *n, const char *path)
{
	static const char *const keys[] = { "target", "policy", "updateExistingWorkloads",
					    "plastron", NULL };
	static const char *const pkeys[] = { "landlock", "allowUnenforced", NULL };
	char kp[PATH_LEN], vp[PATH_LEN];
	if (!is_type(c, n, path, PL_NODE_MAP))
		return;
	check_keys(c, n, path, keys);
	const struct pl_node *v;
	if ((v = require(c, n, path, "target")))
		target(c, v, pkey(kp, path, "target"));
	/* policy first: it sets the enforcers and default action used below */
	if ((v = require(c, n, path, "policy")))
		policy(c, v, pkey(kp, path, "policy"));
	if ((v = get(n, "updateExistingWorkloads")))
		get_bool(c, v, pkey(kp, path, "updateExistingWorkloads"),
			 &c->p->update_existing_workloads);
	if ((v = get(n, "plastron")) && is_type(c, v, pkey(kp, path, "plastron"), PL_NODE_MAP)) {
		check_keys(c, v, kp, pkeys);
		const struct pl_node *w = get(v, "landlock");
		if (w)
			landlock(c, w, pkey(vp, kp, "landlock"));
		/* plastrond: accept rules no active mechanism carries (listed) */
		if ((w = get(v, "allowUnenforced")))
			get_bool(c, w, pkey(vp, kp, "allowUnenforced"), &c->p->allow_unenforced);
	}
}

static void document(struct ctx *c, const struct pl_node *doc)
{
	static const char *const keys[] = {
		"apiVersion", "kind", "metadata", "spec", "status", NULL
	};
	static const char *const kinds[] = { "VarmorPolicy", "VarmorClusterPolicy", NULL };
	if (!is_type(c, doc, "", PL_NODE_MAP))
		return;
	struct pl_policy *p = pl_arena_alloc(c->a, sizeof(*p));
	if (!p) {
		c->oom = true;
		return;
	}
	c->p = p;
	p->pos = doc->pos;
	check_keys(c, doc, "", keys);
	const struct pl_node *v;
	if ((v = require(c, doc, "", "apiVersion"))) {
		const char *s = get_str(c, v, "apiVersion");
		if (s && strcmp(s, "crd.varmor.org/v1beta1") != 0) {
			err(c, v, "apiVersion", "unsupported apiVersion '%s'", s);
			pl_diag_hint(c->d, "use 'crd.varmor.org/v1beta1'");
		}
	}
	if ((v = require(c, doc, "", "kind"))) {
		const char *s = get_str(c, v, "kind");
		if (s && !strcmp(s, "VarmorPolicy"))
			p->kind = PL_KIND_VARMOR_POLICY;
		else if (s && !strcmp(s, "VarmorClusterPolicy"))
			p->kind = PL_KIND_VARMOR_CLUSTER_POLICY;
		else if (s) {
			err(c, v, "kind", "unknown kind '%s' (VarmorPolicy or VarmorClusterPolicy)",
			    s);
			hint_suggest(c, s, kinds, 0);
		}
	}
	if ((v = require(c, doc, "", "metadata")))
		metadata(c, v, "metadata");
	if ((v = require(c, doc, "", "spec")))
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
				check_keys(&c, doc, "", lkeys);
				items = require(&c, doc, "", "items");
				if (items && !is_type(&c, items, "items", PL_NODE_SEQ))
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
	if (s->pub.n == 0 && d->n_errors == errs) {
		struct pl_pos pos = { .file = s->file };
		pl_error(d, -EINVAL, &pos, NULL, "no policy found");
	}
	return d->n_errors > errs ? -EINVAL : 0;
}
