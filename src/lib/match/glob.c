/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The path-pattern automaton (include/plastron/glob.h): patterns parsed into
 * one position automaton (an NFA whose states are positions in the
 * patterns), the bytes partitioned into the classes the patterns can tell
 * apart, and the subset construction of the DFA, under a state budget.
 * Lookup is pl_glob_step (glob-lookup.h), shared with BPF.
 */
#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "plastron/glob.h"
#include "glob-lookup.h"
#include "shared/macro.h"

/* ---- patterns ------------------------------------------------------------- */

enum el_kind {
	EL_LIT,    /* one given byte */
	EL_ANY1,   /* ?: one byte, not '/' */
	EL_CLASS,  /* [...]: one byte of a set (never '/') */
	EL_STAR,   /* *: zero or more bytes, not '/' */
	EL_DSTAR,  /* **: zero or more bytes */
	EL_ACCEPT, /* the end of a pattern */
};

struct el {
	uint8_t kind;
	uint8_t lit;
	uint32_t arg; /* EL_CLASS: index into sets; EL_ACCEPT: index of the rule */
};

struct byteset {
	uint64_t w[4];
};

static bool bs_has(const struct byteset *s, unsigned b)
{
	return s->w[b >> 6] >> (b & 63) & 1;
}

static void bs_add(struct byteset *s, unsigned b)
{
	s->w[b >> 6] |= 1ull << (b & 63);
}

struct nfa {
	struct el *el;
	size_t n, cap;
	struct byteset *sets;
	size_t n_sets, cap_sets;
};

static int push_el(struct nfa *a, struct el e)
{
	if (a->n == a->cap) {
		size_t nc = a->cap ? 2 * a->cap : 256;
		struct el *ne = realloc(a->el, nc * sizeof(*ne));
		if (!ne)
			return -ENOMEM;
		a->el = ne;
		a->cap = nc;
	}
	a->el[a->n++] = e;
	return 0;
}

static int push_set(struct nfa *a, const struct byteset *s, uint32_t *idx)
{
	if (a->n_sets == a->cap_sets) {
		size_t nc = a->cap_sets ? 2 * a->cap_sets : 16;
		struct byteset *ns = realloc(a->sets, nc * sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		a->sets = ns;
		a->cap_sets = nc;
	}
	*idx = (uint32_t)a->n_sets;
	a->sets[a->n_sets++] = *s;
	return 0;
}

/* Parse a class starting after its '[' at p[*i]; *i ends after its ']'. */
static int parse_class(const char *p, size_t len, size_t *i, struct byteset *out, size_t *at,
		       const char **why)
{
	size_t start = *i - 1;
	bool neg = false, first = true;
	struct byteset s = { { 0 } };
	if (*i < len && (p[*i] == '!' || p[*i] == '^')) {
		neg = true;
		(*i)++;
	}
	for (;;) {
		if (*i >= len) {
			*at = start;
			*why = "a '[' class is not closed with ']'";
			return -EINVAL;
		}
		unsigned char c = (unsigned char)p[*i];
		if (c == ']' && !first) {
			(*i)++;
			break;
		}
		first = false;
		if (c == '\\') {
			if (++*i >= len) {
				*at = *i - 1;
				*why = "a trailing '\\' escapes nothing";
				return -EINVAL;
			}
			c = (unsigned char)p[*i];
		}
		(*i)++;
		unsigned hi = c;
		if (*i + 1 < len && p[*i] == '-' && p[*i + 1] != ']') {
			unsigned char h = (unsigned char)p[*i + 1];
			size_t hat = *i + 1;
			*i += 2;
			if (h == '\\') {
				if (*i >= len) {
					*at = *i - 1;
					*why = "a trailing '\\' escapes nothing";
					return -EINVAL;
				}
				h = (unsigned char)p[(*i)++];
			}
			if (h < c) {
				*at = hat;
				*why = "a class range ends below its start";
				return -EINVAL;
			}
			hi = h;
		}
		for (unsigned b = c; b <= hi; b++)
			bs_add(&s, b);
	}
	if (neg)
		for (unsigned k = 0; k < 4; k++)
			s.w[k] = ~s.w[k];
	s.w['/' >> 6] &= ~(1ull << ('/' & 63)); /* a class never matches '/' */
	s.w[0] &= ~1ull;                        /* nor NUL: paths have none */
	if (!(s.w[0] | s.w[1] | s.w[2] | s.w[3])) {
		*at = start;
		*why = "the class matches no byte of a path ('/' never matches a class)";
		return -EINVAL;
	}
	*out = s;
	return 0;
}

/* Parse one pattern; with a NULL automaton, only check it. */
static int parse(struct nfa *a, const char *p, uint32_t rule_idx, size_t *at, const char **why)
{
	size_t len = strlen(p);
	int r = 0;
	if (len == 0 || len > PL_GLOB_MAX_PATTERN) {
		*at = 0;
		*why = len ? "longer than 4095 bytes" : "empty pattern";
		return -EINVAL;
	}
	for (size_t i = 0; i < len && r == 0;) {
		struct el e = { .kind = EL_LIT };
		unsigned char c = (unsigned char)p[i];
		if (c == '*') {
			/* stars are adjacent only as "***", refused: '*' and '**'
			 * never follow one another in the automaton */
			if (i + 2 < len && p[i + 1] == '*' && p[i + 2] == '*') {
				*at = i;
				*why = "'***': use '*' (within one component) or '**' (any depth)";
				return -EINVAL;
			}
			e.kind = i + 1 < len && p[i + 1] == '*' ? EL_DSTAR : EL_STAR;
			i += e.kind == EL_DSTAR ? 2 : 1;
		} else if (c == '?') {
			e.kind = EL_ANY1;
			i++;
		} else if (c == '[') {
			struct byteset s;
			i++;
			r = parse_class(p, len, &i, &s, at, why);
			if (r < 0)
				return r;
			e.kind = EL_CLASS;
			if (a && (r = push_set(a, &s, &e.arg)) < 0)
				return r;
		} else if (c == '{' || c == '}') {
			/* AppArmor's alternation: not in this language; read as a
			 * literal it would match nothing and deny nothing */
			*at = i;
			*why = "'{...}' alternation is not supported: write one pattern per "
			       "alternative (or '\\{' for the character)";
			return -EINVAL;
		} else if (c == '\\') {
			if (i + 1 >= len) {
				*at = i;
				*why = "a trailing '\\' escapes nothing";
				return -EINVAL;
			}
			e.lit = (unsigned char)p[i + 1];
			i += 2;
		} else {
			e.lit = c;
			i++;
		}
		if (a)
			r = push_el(a, e);
	}
	if (a && r == 0)
		r = push_el(a, (struct el){ .kind = EL_ACCEPT, .arg = rule_idx });
	return r;
}

PL_EXPORT int pl_glob_check(const char *pattern, size_t *at, const char **why)
{
	size_t a0 = 0;
	const char *w0 = NULL;
	if (!pattern)
		return -EINVAL;
	return parse(NULL, pattern, 0, at ? at : &a0, why ? why : &w0);
}

/* ---- byte classes ------------------------------------------------------------ */

/* Split the byte partition `id` by the set `s`. */
static void refine(uint8_t id[256], unsigned *n, const struct byteset *s)
{
	int16_t map[256][2];
	uint8_t nid[256];
	unsigned nn = 0;
	memset(map, 0xff, sizeof(map));
	for (unsigned b = 0; b < 256; b++) {
		int k = bs_has(s, b);
		if (map[id[b]][k] < 0)
			map[id[b]][k] = (int16_t)nn++;
		nid[b] = (uint8_t)map[id[b]][k];
	}
	memcpy(id, nid, sizeof(nid));
	*n = nn;
}

static void byte_classes(const struct nfa *a, uint8_t cls[256], unsigned *n_cls)
{
	struct byteset one = { { 0 } }, lits = { { 0 } };
	memset(cls, 0, 256);
	*n_cls = 1;
	bs_add(&one, '/');
	refine(cls, n_cls, &one);
	/* NUL is in no path: a class of its own, so every class's bytes
	 * behave alike (the representative of a class may be any of them) */
	one = (struct byteset){ { 0 } };
	bs_add(&one, 0);
	refine(cls, n_cls, &one);
	for (size_t i = 0; i < a->n; i++)
		if (a->el[i].kind == EL_LIT && !bs_has(&lits, a->el[i].lit)) {
			bs_add(&lits, a->el[i].lit);
			one = (struct byteset){ { 0 } };
			bs_add(&one, a->el[i].lit);
			refine(cls, n_cls, &one);
		}
	for (size_t i = 0; i < a->n_sets; i++)
		refine(cls, n_cls, &a->sets[i]);
}

/* ---- subset construction ------------------------------------------------------ */

struct build {
	const struct nfa *a;
	const struct pl_glob_rule *rules;
	uint32_t max_states;   /* of this part */
	uint32_t total_budget; /* of the profile, for the message */
	/* the DFA states' NFA position sets, in one pool */
	uint32_t *pool;
	size_t n_pool, cap_pool;
	size_t *set_off;
	uint32_t *set_len;
	uint32_t n_states, cap_states;
	/* hash of the sets → state */
	uint32_t *slots;
	size_t n_slots;
	/* the set being built */
	uint32_t *cur;
	size_t n_cur;
	uint32_t *mark, gen;
	struct pl_glob_part *dfa;
};

/* Positions kept for all states of a part: 64 MiB. */
#define POOL_MAX (16u << 20)

static int budget_error(struct pl_diag *d, uint32_t budget)
{
	return pl_error(d, -E2BIG, NULL, NULL,
			"the patterns need more than %u automaton states (the budget): split the "
			"profile, or use fewer '*'/'**' patterns that can match the same paths",
			budget);
}

static uint64_t hash_set(const uint32_t *v, size_t n)
{
	uint64_t h = 1469598103934665603ull ^ n;
	for (size_t i = 0; i < n; i++) {
		h ^= v[i];
		h *= 1099511628211ull;
	}
	return h ^ (h >> 29);
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

/* Add position p and what it reaches without reading a byte. */
static void add_closure(struct build *b, uint32_t p)
{
	for (;;) {
		if (b->mark[p] != b->gen) {
			b->mark[p] = b->gen;
			b->cur[b->n_cur++] = p;
		}
		uint8_t k = b->a->el[p].kind;
		if (k != EL_STAR && k != EL_DSTAR)
			return;
		p++;
	}
}

static int grow_slots(struct build *b)
{
	size_t n = b->n_slots ? 2 * b->n_slots : 1024;
	uint32_t *s = calloc(n, sizeof(*s));
	if (!s)
		return -ENOMEM;
	for (uint32_t st = 1; st < b->n_states; st++) {
		size_t h = hash_set(b->pool + b->set_off[st], b->set_len[st]) & (n - 1);
		while (s[h])
			h = (h + 1) & (n - 1);
		s[h] = st;
	}
	free(b->slots);
	b->slots = s;
	b->n_slots = n;
	return 0;
}

static void accept_of(struct build *b, const uint32_t *v, size_t n, struct pl_glob_accept *acc)
{
	uint32_t rd = UINT32_MAX, ra = UINT32_MAX, rany = UINT32_MAX;
	*acc = (struct pl_glob_accept){ 0, 0, UINT32_MAX };
	for (size_t i = 0; i < n; i++) {
		const struct el *e = &b->a->el[v[i]];
		if (e->kind != EL_ACCEPT)
			continue;
		const struct pl_glob_rule *r = &b->rules[e->arg];
		acc->deny |= r->deny;
		acc->audit |= r->audit;
		if (r->deny && r->rule < rd)
			rd = r->rule;
		if (r->audit && r->rule < ra)
			ra = r->rule;
		if (r->rule < rany)
			rany = r->rule;
	}
	acc->rule = rd != UINT32_MAX ? rd : ra != UINT32_MAX ? ra : rany;
}

/* The state of the set in b->cur (sorted here), created if new. */
static int intern(struct build *b, uint32_t *state, struct pl_diag *d)
{
	if (b->n_cur == 0) {
		*state = PL_GLOB_DEAD;
		return 0;
	}
	qsort(b->cur, b->n_cur, sizeof(*b->cur), cmp_u32);
	uint64_t h = hash_set(b->cur, b->n_cur);
	size_t mask = b->n_slots - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		uint32_t st = b->slots[i];
		if (!st)
			break;
		if (b->set_len[st] == b->n_cur &&
		    !memcmp(b->pool + b->set_off[st], b->cur, b->n_cur * sizeof(*b->cur))) {
			*state = st;
			return 0;
		}
	}
	if (b->n_states >= b->max_states)
		return budget_error(d, b->total_budget);
	if (b->n_states == b->cap_states) {
		uint32_t nc = b->cap_states * 2;
		struct pl_glob_part *f = b->dfa;
		size_t *no = realloc(b->set_off, nc * sizeof(*no));
		if (no)
			b->set_off = no;
		uint32_t *nl = no ? realloc(b->set_len, nc * sizeof(*nl)) : NULL;
		if (nl)
			b->set_len = nl;
		uint32_t *nn =
		    nl ? realloc(f->next, (size_t)nc * f->n_classes * sizeof(*nn)) : NULL;
		if (nn)
			f->next = nn;
		struct pl_glob_accept *na = nn ? realloc(f->accept, nc * sizeof(*na)) : NULL;
		if (!na)
			return -ENOMEM;
		f->accept = na;
		b->cap_states = nc;
	}
	/* the states' position sets are the construction's memory (and most
	 * of its time): bounded too, under the same error */
	if (b->n_pool + b->n_cur > POOL_MAX)
		return budget_error(d, b->total_budget);
	if (b->n_pool + b->n_cur > b->cap_pool) {
		size_t nc = b->cap_pool * 2;
		while (nc < b->n_pool + b->n_cur)
			nc *= 2;
		uint32_t *np = realloc(b->pool, nc * sizeof(*np));
		if (!np)
			return -ENOMEM;
		b->pool = np;
		b->cap_pool = nc;
	}
	uint32_t st = b->n_states++;
	b->set_off[st] = b->n_pool;
	b->set_len[st] = (uint32_t)b->n_cur;
	memcpy(b->pool + b->n_pool, b->cur, b->n_cur * sizeof(*b->cur));
	b->n_pool += b->n_cur;
	accept_of(b, b->cur, b->n_cur, &b->dfa->accept[st]);
	if (2 * b->n_states > b->n_slots) {
		int r = grow_slots(b);
		if (r < 0)
			return r;
	} else {
		size_t i = h & mask;
		while (b->slots[i])
			i = (i + 1) & mask;
		b->slots[i] = st;
	}
	*state = st;
	return 0;
}

/* The set reached from state `st` by reading byte `c`, into b->cur. */
static void step_set(struct build *b, uint32_t st, unsigned c)
{
	b->n_cur = 0;
	if (++b->gen == 0) {
		memset(b->mark, 0, b->a->n * sizeof(*b->mark));
		b->gen = 1;
	}
	const uint32_t *v = b->pool + b->set_off[st];
	uint32_t n = b->set_len[st];
	for (uint32_t i = 0; i < n; i++) {
		uint32_t p = v[i];
		const struct el *e = &b->a->el[p];
		bool slash = c == '/';
		switch (e->kind) {
		case EL_LIT:
			if (e->lit == c)
				add_closure(b, p + 1);
			break;
		case EL_ANY1:
			if (!slash && c)
				add_closure(b, p + 1);
			break;
		case EL_CLASS:
			if (bs_has(&b->a->sets[e->arg], c))
				add_closure(b, p + 1);
			break;
		case EL_STAR:
			if (!slash && c)
				add_closure(b, p);
			break;
		case EL_DSTAR:
			if (c)
				add_closure(b, p);
			break;
		default:
			break;
		}
	}
}

/* ---- entry points ---------------------------------------------------------------- */

PL_EXPORT void pl_glob_free(struct pl_glob_dfa *dfa)
{
	if (!dfa)
		return;
	for (uint32_t i = 0; i < dfa->n_parts; i++) {
		free(dfa->part[i].next);
		free(dfa->part[i].accept);
	}
	free(dfa);
}

static int build_dfa(struct build *b, struct pl_diag *d)
{
	const struct nfa *a = b->a;
	struct pl_glob_part *f = b->dfa;
	unsigned rep[256], n_cls;
	int r;

	byte_classes(a, f->cls, &n_cls);
	f->n_classes = n_cls;
	for (unsigned c = 256; c-- > 0;)
		rep[f->cls[c]] = c; /* the lowest byte of each class */
	b->cap_states = 64;
	b->cap_pool = 1024;
	b->set_off = malloc(b->cap_states * sizeof(*b->set_off));
	b->set_len = malloc(b->cap_states * sizeof(*b->set_len));
	b->pool = malloc(b->cap_pool * sizeof(*b->pool));
	b->cur = malloc((a->n ? a->n : 1) * sizeof(*b->cur));
	b->mark = calloc(a->n ? a->n : 1, sizeof(*b->mark));
	f->next = malloc((size_t)b->cap_states * n_cls * sizeof(*f->next));
	f->accept = malloc(b->cap_states * sizeof(*f->accept));
	if (!b->set_off || !b->set_len || !b->pool || !b->cur || !b->mark || !f->next || !f->accept)
		return -ENOMEM;
	if ((r = grow_slots(b)) < 0)
		return r;
	/* state 0: dead (the empty set), loops on itself */
	b->n_states = 1;
	b->set_off[0] = 0;
	b->set_len[0] = 0;
	f->accept[0] = (struct pl_glob_accept){ 0, 0, UINT32_MAX };
	/* state 1: the start, every pattern at its first position */
	b->n_cur = 0;
	b->gen = 1;
	for (size_t p = 0; p < a->n; p++)
		if (p == 0 || a->el[p - 1].kind == EL_ACCEPT)
			add_closure(b, (uint32_t)p);
	uint32_t start;
	if ((r = intern(b, &start, d)) < 0)
		return r;
	if (start != PL_GLOB_START) {
		/* no pattern at all: a start state that accepts nothing */
		b->n_states = 2;
		b->set_len[1] = 0;
		b->set_off[1] = 0;
		f->accept[1] = f->accept[0];
	}
	for (uint32_t st = 0; st < b->n_states; st++) {
		for (unsigned c = 0; c < n_cls; c++) {
			uint32_t to = PL_GLOB_DEAD;
			if (b->set_len[st]) {
				step_set(b, st, rep[c]);
				if ((r = intern(b, &to, d)) < 0)
					return r;
			}
			f->next[(size_t)st * n_cls + c] = to;
		}
	}
	f->n_states = b->n_states;
	return 0;
}

/* ---- parts ---------------------------------------------------------------------- */

enum { PART_FORWARD, PART_BACKWARD, PART_FREE };

/* Which part a parsed pattern (els[0..n), without its accept) goes to: by
 * the literal bytes that anchor it at its start (lp) and at its end (rs). */
static int part_of(const struct el *els, size_t n)
{
	size_t lp = 0, rs = 0;
	bool dstar = false;
	for (size_t i = 0; i < n; i++)
		dstar |= els[i].kind == EL_DSTAR;
	while (lp < n && els[lp].kind == EL_LIT)
		lp++;
	while (rs < n && els[n - 1 - rs].kind == EL_LIT)
		rs++;
	if (!dstar)
		return PART_FORWARD; /* '*' stops at '/': no state lives long */
	if (rs > lp)
		return PART_BACKWARD;
	return lp > 1 ? PART_FORWARD : PART_FREE;
}

/* Append pattern `i`, parsed in `tmp`, to part automaton `a`, reversed for
 * the backward part. */
static int append(struct nfa *a, const struct nfa *tmp, bool reverse, uint32_t i)
{
	size_t n = tmp->n - 1; /* without its accept */
	int r = 0;
	for (size_t k = 0; k < n && r == 0; k++) {
		struct el e = tmp->el[reverse ? n - 1 - k : k];
		if (e.kind == EL_CLASS)
			r = push_set(a, &tmp->sets[e.arg], &e.arg);
		if (r == 0)
			r = push_el(a, e);
	}
	return r ? r : push_el(a, (struct el){ .kind = EL_ACCEPT, .arg = i });
}

static int build_part(struct pl_glob_part *part, const struct nfa *a,
		      const struct pl_glob_rule *rules, uint32_t budget, uint32_t total,
		      struct pl_diag *d)
{
	struct build b = {
		.a = a, .rules = rules, .max_states = budget, .total_budget = total, .dfa = part
	};
	int r = build_dfa(&b, d);
	free(b.pool);
	free(b.set_off);
	free(b.set_len);
	free(b.slots);
	free(b.cur);
	free(b.mark);
	return r;
}

PL_EXPORT int pl_glob_compile(const struct pl_glob_rule *rules, size_t n,
			      const struct pl_glob_opts *o, struct pl_glob_dfa **ret,
			      struct pl_diag *d)
{
	struct nfa parts[PL_GLOB_MAX_PARTS] = { { 0 } }, tmp = { 0 };
	uint32_t n_in[PL_GLOB_MAX_PARTS] = { 0 };
	struct pl_glob_dfa *dfa = NULL;
	int r = 0;

	if ((!rules && n) || !ret)
		return pl_error(d, -EINVAL, NULL, NULL, "pl_glob_compile: invalid argument");
	*ret = NULL;
	if (n > UINT32_MAX / 2)
		return pl_error(d, -E2BIG, NULL, NULL, "too many patterns (%zu)", n);
	for (size_t i = 0; i < n && r == 0; i++) {
		size_t at = 0;
		const char *why = NULL;
		if (!rules[i].pattern) {
			r = pl_error(d, -EINVAL, NULL, NULL, "patterns[%zu]: no pattern", i);
			break;
		}
		tmp.n = tmp.n_sets = 0;
		r = parse(&tmp, rules[i].pattern, (uint32_t)i, &at, &why);
		if (r == -EINVAL) {
			char field[32];
			snprintf(field, sizeof(field), "patterns[%zu]", i);
			r = pl_error(d, r, NULL, field, "pattern '%s', byte %zu: %s",
				     rules[i].pattern, at, why ? why : "invalid");
		}
		if (r == 0) {
			int k = part_of(tmp.el, tmp.n - 1);
			r = append(&parts[k], &tmp, k == PART_BACKWARD, (uint32_t)i);
			n_in[k]++;
		}
	}
	if (r == 0 && !(dfa = calloc(1, sizeof(*dfa))))
		r = -ENOMEM;
	uint32_t budget = o && o->max_states ? o->max_states : PL_GLOB_DEFAULT_MAX_STATES;
	for (int k = 0; k < PL_GLOB_MAX_PARTS && r == 0; k++) {
		if (!n_in[k])
			continue;
		struct pl_glob_part *part = &dfa->part[dfa->n_parts++];
		part->backward = k == PART_BACKWARD;
		part->n_patterns = n_in[k];
		if (budget < dfa->n_states + 2) {
			r = budget_error(d, budget);
			break;
		}
		r = build_part(part, &parts[k], rules, budget - dfa->n_states, budget, d);
		dfa->n_states += part->n_states;
		dfa->n_nfa += parts[k].n;
	}
	if (r == -ENOMEM)
		pl_error(d, r, NULL, NULL, "out of memory");
	for (int k = 0; k < PL_GLOB_MAX_PARTS; k++) {
		free(parts[k].el);
		free(parts[k].sets);
	}
	free(tmp.el);
	free(tmp.sets);
	if (r < 0) {
		pl_glob_free(dfa);
		return r;
	}
	*ret = dfa;
	return 0;
}

PL_EXPORT struct pl_glob_accept pl_glob_match(const struct pl_glob_dfa *dfa, const char *path,
					      size_t len)
{
	struct pl_glob_accept best = { 0, 0, UINT32_MAX };
	uint32_t rank = 3; /* of best.rule: 0 a deny rule, 1 audit, 2 any */
	for (uint32_t k = 0; k < dfa->n_parts; k++) {
		const struct pl_glob_part *p = &dfa->part[k];
		uint32_t s = PL_GLOB_START;
		for (size_t i = 0; i < len && s != PL_GLOB_DEAD; i++) {
			uint8_t c = (uint8_t)path[p->backward ? len - 1 - i : i];
			s = pl_glob_step(p->next, p->cls, p->n_classes, s, c);
		}
		const struct pl_glob_accept *a = &p->accept[s];
		if (a->rule == UINT32_MAX)
			continue;
		uint32_t rk = a->deny ? 0 : a->audit ? 1 : 2;
		if (rk < rank || (rk == rank && a->rule < best.rule)) {
			best.rule = a->rule;
			rank = rk;
		}
		best.deny |= a->deny;
		best.audit |= a->audit;
	}
	return best;
}
