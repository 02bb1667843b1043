/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The order in which the filter builder (seccomp-filter.c) gives one
 * architecture context's rules to libseccomp 2.5.4, and the rule sets it must
 * not give it at all (docs/design.md, decision 29).
 *
 * libseccomp keeps the rules of one syscall in a tree of comparison nodes.
 * On a 64-bit arch (x86_64 here) each comparison is a high-word node, then
 * one or two more: EQ and MASKED_EQ have one exit (the low-word node's true
 * branch), NE, GT, GE, LT and LE have two (NE: both nodes' false branches;
 * GT/GE: the high node's true branch and the low node's; LT/LE: the high
 * EQ node's and the low node's false branches), and both exits point to the
 * same next level. Adding a rule walks that level once per exit, but
 * updates a level's head through one exit pointer only:
 *  - a later rule sharing such a comparison whose next node sorts in front
 *    of the level's head is linked in twice: a cycle, and seccomp_rule_add
 *    never returns (the fuzzer's `chmod {a1>2, a2<=8}`, `{a1>2, a3!=4}`);
 *  - a later rule whose comparison shares only the high node (same argument,
 *    GT/GE, LT/LE or NE both, the same high word, different otherwise) puts
 *    its continuation in the level both exits of the earlier rule see: the
 *    filter matches calls neither rule matches (`{a1>2, a2==8}`,
 *    `{a1>3, a3==4}` matches a1=3, a3=4), in either order;
 *  - given first a rule ending at such a comparison, a later rule of that
 *    shape that goes on loses its low-word path (`{a1>2}`, then
 *    `{a1>1, a3==4}` misses a1=2, a3=4).
 * 32-bit arches (ia32, x32) compare one word per comparison: no level has
 * two parents there (checked: none of the shapes misbehaves on them).
 *
 * So on x86_64 the rules of one syscall are checked against a model of
 * that tree (the order of its level lists rebuilt as _db_tree_add walks
 * them), and a rule that would become a shared level's head, or lose its
 * low-word path, moves in front of the rule it would displace, if that rule
 * has the same action and no rule of the syscall with another action lies
 * in between (their order means something to libseccomp). What moving
 * cannot fix is refused, naming both rules. The rules of a syscall with one
 * action match the same calls in any order (the model and
 * tests/seccomp/test-hang.c check every two-rule shape against a reference
 * evaluator; the OCI fuzzer's shape is tests/fuzz/corpus/oci-seccomp/hang-*).
 *
 * The model works per libseccomp tree (a syscall's rules; on ia32 the
 * socketcall rules with the socket calls libseccomp derives socketcall
 * rules from), computes each rule's chain once, resumes its scan at a moved
 * rule and caps its work (a policy must not stall the agent's reload): past
 * the cap a syscall's rules are refused as too complex to check. It is of
 * libseccomp 2.5 only; with another version rules go in the profile's order
 * (tests/seccomp/test-cost.c fails there, to force a look).
 */
#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "seccomp-internal.h"
#include "shared/macro.h"

int sc_pend_push(struct sc_pend_list *l, const struct sc_pend *r)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct sc_pend *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *r;
	return 0;
}

static bool cmp_eq(const struct scmp_arg_cmp *a, const struct scmp_arg_cmp *b)
{
	return a->arg == b->arg && a->op == b->op && a->datum_a == b->datum_a &&
	       (a->op != SCMP_CMP_MASKED_EQ || a->datum_b == b->datum_b);
}

/* The comparison chain libseccomp builds for a rule: one comparison per
 * argument, in argument order. `sock` gives the chain of the socketcall
 * rule libseccomp derives from an ia32 socket call: its argument 0 is the
 * call number (the rule's own a0 comparison is replaced). */
static unsigned chain_of(const struct sc_pend *r, bool sock, struct scmp_arg_cmp out[7])
{
	unsigned k = 0;
	if (sock)
		out[k++] = (struct scmp_arg_cmp){ .arg = 0, .op = SCMP_CMP_EQ, .datum_a = ~0ull };
	for (unsigned a = 0; a < 6; a++)
		for (unsigned i = 0; i < r->n; i++)
			if (r->c[i].arg == a && !(sock && a == 0))
				out[k++] = r->c[i];
	return k;
}

/* Whether chain a is a strict part of chain b: each of a's comparisons is
 * one of b's (both in argument order), and b has more. A prefix is one case,
 * a suffix (`{a5<=2}` of `{a0>2, a5<=2}`) or a middle part another. */
static bool chain_strict_part(const struct scmp_arg_cmp *a, unsigned na,
			      const struct scmp_arg_cmp *b, unsigned nb)
{
	if (na >= nb)
		return false;
	unsigned k = 0;
	for (unsigned i = 0; i < nb && k < na; i++)
		if (cmp_eq(&a[k], &b[i]))
			k++;
	return k == na;
}

/* On a 32-bit arch (ia32, x32) libseccomp keeps only the low words of a
 * comparison's datum and mask (`a1 > 4294967299` is `a1 > 3` there). */
static void narrow(struct scmp_arg_cmp *c, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		c[i].datum_a &= UINT32_MAX;
		c[i].datum_b &= UINT32_MAX;
	}
}

/* Whether r's chain is a strict part of s's as libseccomp builds them for
 * the arch (on the direct syscall, or on the derived socketcall rule): r
 * matches every call s matches. */
static bool rule_part_of(const struct sc_pend *r, const struct sc_pend *s, bool w32)
{
	struct scmp_arg_cmp a[7], b[7];
	for (int sock = 0; sock <= r->multiplexed; sock++) {
		unsigned na = chain_of(r, sock, a), nb = chain_of(s, sock, b);
		if (w32) {
			narrow(a, na);
			narrow(b, nb);
		}
		if (chain_strict_part(a, na, b, nb))
			return true;
	}
	return false;
}

/* Whether libseccomp puts r into the ia32 socketcall tree: an explicit
 * socketcall rule, or a socket call whose socketcall(a0 == SYS_*) rule it
 * derives. Those rules order like one syscall's. */
static bool in_socketcall(const struct sc_pend *r)
{
	return r->multiplexed || r->nr == __PNR_socketcall;
}

static bool same_tree(const struct sc_pend *a, const struct sc_pend *b)
{
	return a->nr == b->nr || (in_socketcall(a) && in_socketcall(b));
}

/* Debug knob for the equivalence test (tests/seccomp/test-order.c): keep the
 * profile's order. */
bool sc_filter_keep_order;
/* Debug knob for the agent's compile-deadline test (plastrond-fault,
 * tests/runtime/compile.sh): as with a libseccomp this model does not know,
 * the rules go to libseccomp in the profile's order, neither reordered nor
 * checked. */
bool sc_filter_model_off;

/*
 * libseccomp 2.5.4 leaks tree nodes when a rule arrives whose comparison
 * chain is a strict part (a prefix, a suffix, a middle part) of the chains of
 * earlier rules of the same syscall and action: its prune pass
 * (_db_tree_prune) replaces the longer chains by the shorter one and frees
 * only part of the branched level: 96 bytes per comparison node, 192 or 384
 * bytes for the fuzzer's cases (`chmod {a0>2, a5<=2}`, `{a0>3, a2&12==0,
 * a5<=2}`, then `{a5<=2}` on ia32; `{a0==3, a1==5}`, `{a0==3, a2==6}`, then
 * `{a0==3}` on every arch; on ia32, where only low words are compared,
 * `{a0<=2, a1>4294967299}`, `{a1<=2}`, then `{a1>3}`). Given the shorter rule first, libseccomp
 * drops the longer ones as redundant, without a leak, and builds the same filter (the shorter rule
 * matches every call the longer ones match, so they add nothing in either order). So a rule moves
 * in front of the first earlier rule of the same syscall and action whose chain contains its own,
 * unless a rule of the same syscall with another action lies in between (the order of different
 * actions means something to libseccomp: tests/seccomp/test-libseccomp.c).
 */
static void order_prefixes_first(struct sc_pend_list *l, enum sc_arch arch)
{
	for (size_t j = 1; j < l->n; j++) {
		size_t to = j;
		for (size_t i = j; i-- > 0;) {
			const struct sc_pend *o = &l->v[i];
			if (!same_tree(o, &l->v[j]))
				continue;
			if (o->act != l->v[j].act)
				break;
			if (o->nr == l->v[j].nr &&
			    rule_part_of(&l->v[j], o, arch != SC_ARCH_X86_64))
				to = i;
		}
		if (to == j)
			continue;
		struct sc_pend r = l->v[j];
		memmove(&l->v[to + 1], &l->v[to], (j - to) * sizeof(r));
		l->v[to] = r;
	}
}

/* ---- libseccomp's tree on a 64-bit arch ---------------------------------- */

/* The chain as libseccomp builds nodes for it: argument order, without the
 * comparisons it generates no node for (MASKED_EQ with a zero mask). */
static unsigned model_chain(const struct sc_pend *r, struct scmp_arg_cmp out[7])
{
	struct scmp_arg_cmp all[7];
	unsigned n = chain_of(r, false, all), k = 0;
	for (unsigned i = 0; i < n; i++)
		if (all[i].op != SCMP_CMP_MASKED_EQ || all[i].datum_a)
			out[k++] = all[i];
	return k;
}

/* The high-word node libseccomp makes first for a comparison. */
struct hinode {
	unsigned arg;
	enum scmp_compare op, orig; /* the node's test; the rule's operator */
	uint32_t datum, mask;
};

static struct hinode hinode_of(const struct scmp_arg_cmp *c)
{
	bool masked = c->op == SCMP_CMP_MASKED_EQ;
	uint64_t mask = masked ? c->datum_a : ~0ull, datum = masked ? c->datum_b : c->datum_a;
	struct hinode h = { .arg = c->arg, .orig = c->op };
	h.op = masked                                         ? SCMP_CMP_MASKED_EQ
	       : c->op == SCMP_CMP_EQ || c->op == SCMP_CMP_NE ? SCMP_CMP_EQ
							      : SCMP_CMP_GT;
	h.mask = (uint32_t)(mask >> 32);
	h.datum = (uint32_t)(datum >> 32) & h.mask;
	return h;
}

/* libseccomp's _db_chain_eq for two high nodes: merged into one. */
static bool hinode_eq(const struct hinode *a, const struct hinode *b)
{
	return a->arg == b->arg && a->op == b->op && a->datum == b->datum && a->mask == b->mask;
}

static unsigned op_priority(enum scmp_compare op)
{
	switch (op) {
	case SCMP_CMP_MASKED_EQ:
	case SCMP_CMP_EQ:
	case SCMP_CMP_NE:
		return 3;
	case SCMP_CMP_LE:
	case SCMP_CMP_LT:
		return 2;
	default:
		return 1;
	}
}

/* libseccomp's _db_chain_lt(a, b): b goes in front of a in a level. */
static bool hinode_lt(const struct hinode *a, const struct hinode *b)
{
	if (a->arg != b->arg)
		return a->arg < b->arg;
	if (op_priority(a->orig) != op_priority(b->orig))
		return op_priority(a->orig) < op_priority(b->orig);
	if (a->orig == SCMP_CMP_LE || a->orig == SCMP_CMP_LT)
		return a->datum > b->datum;
	return a->datum < b->datum;
}

/* A comparison with two exits to the next level. */
static bool two_exits(enum scmp_compare op)
{
	return op != SCMP_CMP_EQ && op != SCMP_CMP_MASKED_EQ;
}

/* Two different comparisons whose shared high node passes one exit of
 * each to the same next level. */
static bool share_exit(const struct scmp_arg_cmp *a, const struct scmp_arg_cmp *b)
{
	struct hinode ha = hinode_of(a), hb = hinode_of(b);
	if (!hinode_eq(&ha, &hb) || cmp_eq(a, b))
		return false;
	bool gt_a = a->op == SCMP_CMP_GT || a->op == SCMP_CMP_GE;
	bool gt_b = b->op == SCMP_CMP_GT || b->op == SCMP_CMP_GE;
	bool lt_a = a->op == SCMP_CMP_LT || a->op == SCMP_CMP_LE;
	bool lt_b = b->op == SCMP_CMP_LT || b->op == SCMP_CMP_LE;
	return (gt_a && gt_b) || (lt_a && lt_b) || (a->op == SCMP_CMP_NE && b->op == SCMP_CMP_NE);
}

/* The least value `a > v` / `a >= v` admits (2^64 when none). */
static unsigned __int128 least(const struct scmp_arg_cmp *c)
{
	return (unsigned __int128)c->datum_a + (c->op == SCMP_CMP_GT);
}

/* Whether libseccomp, given rule r stopping at comparison a and then a rule
 * going on after comparison b (sharing a's high node), drops calls of b's
 * low-word path that a does not match: GT/GE only (NE and LT/LE go down
 * that path before the early return in _db_tree_add). */
static bool low_path_lost(const struct scmp_arg_cmp *a, const struct scmp_arg_cmp *b)
{
	bool ge_a = a->op == SCMP_CMP_GT || a->op == SCMP_CMP_GE;
	bool ge_b = b->op == SCMP_CMP_GT || b->op == SCMP_CMP_GE;
	return ge_a && ge_b && least(b) < least(a);
}

/* The first position where two chains differ. */
static unsigned first_diff(const struct scmp_arg_cmp *a, unsigned na, const struct scmp_arg_cmp *b,
			   unsigned nb)
{
	unsigned k = 0;
	while (k < na && k < nb && cmp_eq(&a[k], &b[k]))
		k++;
	return k;
}

/* A rule of one syscall and its model chain (model_chain), computed once. */
struct ment {
	const struct sc_pend *r;
	unsigned n;
	struct scmp_arg_cmp c[7];
};

/*
 * Whether libseccomp links rule j's node at position k (after a shared
 * two-exit comparison at k - 1) in as the head of that level: the cycle.
 * The level is rebuilt the way _db_tree_add builds it from the earlier
 * rules with the same first k comparisons: walking from the head, a node
 * merges into an equal one, goes in front of the first one it sorts before,
 * else further on (its order and its equality do not agree: `a1 > 1<<32`
 * sorts before `a1 > 3`, which equals `a1 <= 3`, which sorts before
 * `a1 > 1<<32`, so no sort of the rules can stand in for this walk). Only
 * the head matters, and a node becomes the head exactly when it sorts
 * before the current head without equalling it (elsewhere it merges or goes
 * further on), so the walk keeps the head alone: any level size, O(j).
 */
static bool new_head(const struct ment *m, size_t j, unsigned k, size_t *with)
{
	struct hinode head = { 0 };
	size_t rule = 0;
	bool have = false;
	for (size_t i = 0; i < j; i++) {
		if (m[i].n <= k || first_diff(m[i].c, m[i].n, m[j].c, m[j].n) < k)
			continue;
		struct hinode h = hinode_of(&m[i].c[k]);
		if (!have || (!hinode_eq(&head, &h) && hinode_lt(&head, &h))) {
			head = h;
			rule = i;
			have = true;
		}
	}
	struct hinode hs = hinode_of(&m[j].c[k]);
	if (!have || hinode_eq(&head, &hs) || !hinode_lt(&head, &hs))
		return false;
	*with = rule;
	return true;
}

/* What libseccomp would do wrong with the rules in this order. */
enum hazard {
	HZ_NONE,
	HZ_CYCLE,     /* rule `j` in front of rule `i` avoids it */
	HZ_LOST,      /* likewise */
	HZ_OVERMATCH, /* in any order */
	HZ_BUDGET,    /* the work budget ran out at rule `j` */
};

/* The first hazard among one syscall's rules m[0..n), looking at the rules
 * from `from` on (the earlier ones are known to be clear). Each rule costs
 * the rules in front of it, once per pair and once per level head, from
 * *work. */
static enum hazard find_hazard(const struct ment *m, size_t n, size_t from, size_t *ri, size_t *rj,
			       uint64_t *work)
{
	for (size_t j = from ? from : 1; j < n; j++) {
		const struct scmp_arg_cmp *cs = m[j].c;
		unsigned ns = m[j].n;
		signed char head[7] = { -1, -1, -1, -1, -1, -1, -1 };
		size_t with[7];
		*ri = 0;
		*rj = j;
		if (!ns)
			continue;
		if (*work < 8 * j)
			return HZ_BUDGET;
		*work -= j;
		for (size_t i = 0; i < j; i++) {
			const struct scmp_arg_cmp *cr = m[i].c;
			unsigned nr = m[i].n;
			unsigned k = first_diff(cr, nr, cs, ns);
			*ri = i;
			if (k == nr || k == ns)
				continue;
			if (share_exit(&cr[k], &cs[k])) {
				/* the earlier one stops at the shared GT/GE node: the
				 * later one's low-word path is dropped (the other order
				 * is right), which matters where the earlier one does
				 * not match those calls itself */
				if (nr == k + 1) {
					if (ns > k + 1 && low_path_lost(&cr[k], &cs[k]))
						return HZ_LOST;
					continue;
				}
				/* the later one's rest joins the level both exits of
				 * the earlier one see, unless it adds nothing there
				 * (the earlier one's rest is a prefix of it) */
				if (ns > k + 1 &&
				    (ns < nr || first_diff(cr + k + 1, nr - k - 1, cs + k + 1,
							   ns - k - 1) < nr - k - 1))
					return HZ_OVERMATCH;
				continue;
			}
			if (k < 1 || !two_exits(cs[k - 1].op))
				continue;
			if (head[k] < 0) { /* at most 6 per rule: within the 8 j */
				*work -= j;
				head[k] = new_head(m, j, k, &with[k]);
			}
			if (head[k]) {
				*ri = with[k];
				return HZ_CYCLE;
			}
		}
	}
	return HZ_NONE;
}

/* Whether rule j can move in front of rule i < j of the same syscall: the
 * same action, and no rule of the syscall with another action in between. */
static bool movable(const struct ment *m, size_t i, size_t j)
{
	for (size_t k = i; k < j; k++)
		if (m[k].r->act != m[j].r->act)
			return false;
	return true;
}

/* The model is that of libseccomp 2.5 (db.c's _db_tree_add); another
 * version gets the rules in the profile's order, unchecked
 * (tests/seccomp/test-order.c fails on one, to force a look). */
static bool model_applies(void)
{
	const struct scmp_version *v = seccomp_version();
	return !sc_filter_model_off && v->major == 2 && v->minor == 5;
}

/* The work one architecture's ordering, and then its check, may spend in
 * the model (units of find_hazard: a pair of rules compared, or a rule
 * walked for a level's head; some tens of ns each): about 0.2 s. A syscall
 * with 1,000 rules and no hazard costs about 4 million. */
#define MODEL_WORK (UINT64_C(12) << 20)

struct slot {
	int tree;
	size_t at;
};

static int cmp_slot(const void *a, const void *b)
{
	const struct slot *x = a, *y = b;
	if (x->tree != y->tree)
		return x->tree < y->tree ? -1 : 1;
	return x->at < y->at ? -1 : x->at > y->at;
}

/* The rules of l by tree (syscall number; ia32 socket calls with
 * socketcall), each tree's in list order. NULL when out of memory. */
static struct slot *slots_of(const struct sc_pend_list *l)
{
	struct slot *s = malloc((l->n ? l->n : 1) * sizeof(*s));
	if (!s)
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		s[i] = (struct slot){ in_socketcall(&l->v[i]) ? __PNR_socketcall : l->v[i].nr, i };
	qsort(s, l->n, sizeof(*s), cmp_slot);
	return s;
}

/* The tree starting at s[b]: its rules and model chains into m; its end. */
static size_t tree_of(const struct sc_pend_list *l, const struct slot *s, size_t b, struct ment *m)
{
	size_t e = b;
	for (; e < l->n && s[e].tree == s[b].tree; e++) {
		m[e - b].r = &l->v[s[e].at];
		m[e - b].n = model_chain(m[e - b].r, m[e - b].c);
	}
	return e;
}

void sc_order_rules(struct sc_pend_list *l, enum sc_arch arch)
{
	if (sc_filter_keep_order || !model_applies())
		return;
	order_prefixes_first(l, arch);
	if (arch != SC_ARCH_X86_64 || l->n < 2)
		return;
	/* Out of memory: unordered; sc_check_rules reports it. */
	_cleanup_free_ struct slot *s = slots_of(l);
	_cleanup_free_ struct ment *m = malloc(l->n * sizeof(*m));
	_cleanup_free_ struct sc_pend *tmp = malloc(l->n * sizeof(*tmp));
	if (!s || !m || !tmp)
		return;
	uint64_t work = MODEL_WORK;
	for (size_t b = 0, e; b < l->n; b = e) {
		e = tree_of(l, s, b, m);
		size_t n = e - b, from = 1;
		/* Each move puts a rule in front of one it would otherwise
		 * displace or lose, and the scan resumes there (the rules in
		 * front are unchanged); bounded in moves and in work, and
		 * sc_check_rules refuses what is left. */
		for (size_t budget = 4 * n + 16; budget--;) {
			size_t i, j;
			enum hazard h = find_hazard(m, n, from, &i, &j, &work);
			if ((h != HZ_CYCLE && h != HZ_LOST) || !movable(m, i, j))
				break;
			struct ment r = m[j];
			memmove(&m[i + 1], &m[i], (j - i) * sizeof(r));
			m[i] = r;
			from = i;
		}
		for (size_t k = 0; k < n; k++)
			tmp[k] = *m[k].r;
		for (size_t k = 0; k < n; k++)
			l->v[s[b + k].at] = tmp[k];
	}
}

static int refuse(const struct sc_pend *r, const struct sc_pend *s, struct pl_diag *d,
		  const char *what)
{
	const char *name = sc_name_of(SC_ARCH_X86_64, s->nr);
	return pl_error(d, -EINVAL, s->pos, s->field,
			"%s and %s (%s on x86_64): %s; libseccomp %u.%u cannot take these "
			"two rules (docs/design.md, decision 29)",
			r->field, s->field, name ? name : "?", what, seccomp_version()->major,
			seccomp_version()->minor);
}

/* The model's work budget (or its moves) ran out at rules r and s of one
 * syscall, of n. */
static int refuse_complex(const struct sc_pend *r, const struct sc_pend *s, size_t n,
			  struct pl_diag *d)
{
	const char *name = sc_name_of(SC_ARCH_X86_64, s->nr);
	return pl_error(d, -EINVAL, s->pos, s->field,
			"%s and %s (%s on x86_64): too complex to check against libseccomp "
			"%u.%u.%u's faults: %zu rules on %s (docs/design.md, decision 29)",
			r->field, s->field, name ? name : "?", seccomp_version()->major,
			seccomp_version()->minor, seccomp_version()->micro, n, name ? name : "?");
}

int sc_check_rules(const struct sc_pend_list *l, enum sc_arch arch, struct pl_diag *d)
{
	if (arch != SC_ARCH_X86_64 || !model_applies() || l->n < 2)
		return 0;
	_cleanup_free_ struct slot *s = slots_of(l);
	_cleanup_free_ struct ment *m = malloc(l->n * sizeof(*m));
	if (!s || !m)
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	uint64_t work = MODEL_WORK;
	for (size_t b = 0, e; b < l->n; b = e) {
		e = tree_of(l, s, b, m);
		size_t i, j, n = e - b;
		enum hazard h = find_hazard(m, n, 1, &i, &j, &work);
		if (h == HZ_NONE)
			continue;
		/* a hazard sc_order_rules could have moved away: it gave up */
		if (h == HZ_BUDGET || (h != HZ_OVERMATCH && movable(m, i, j)))
			return refuse_complex(m[i].r, m[j].r, n, d);
		if (h == HZ_CYCLE)
			return refuse(m[i].r, m[j].r, d,
				      "seccomp_rule_add would never return (a cycle in its "
				      "argument tree), and rules of another action lie between "
				      "them");
		if (h == HZ_LOST)
			return refuse(m[i].r, m[j].r, d,
				      "the later rule would lose the calls its low-word "
				      "comparison matches, and rules of another action lie "
				      "between them");
		return refuse(m[i].r, m[j].r, d,
			      "the filter would match calls neither rule matches (the same "
			      "high word in both comparisons, different rules after them)");
	}
	return 0;
}
