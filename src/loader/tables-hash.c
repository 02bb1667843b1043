/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup-BPF enforcer loader: the canonical text of a rule set as it is
 * written to a table slot (rule names, socket, sysctl and device keys with
 * their verdicts, the egress trie with indices relative to its runs, roots
 * and hooks), and its hash: what `plastron status` reports as a policy's
 * cgroup_bpf_hash. tests/runtime/prop-maps.c reads the same lines back from
 * the kernel maps. Never prints.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>

#include "egress-trie.h"
#include "enforcer.h"

struct canon {
	char **v;
	size_t n;
	int r;
};

static void add(struct canon *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct canon *l, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	char **v;

	if (l->r < 0)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	v = s ? realloc(l->v, (l->n + 1) * sizeof(*v)) : NULL;
	if (!v) {
		free(s);
		l->r = -ENOMEM;
		return;
	}
	l->v = v;
	l->v[l->n++] = s;
}

void pl_enforcer_canon_free(char **lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

int pl_enforcer_tables_canon(const struct pl_bpf_tables *t, char ***ret, size_t *ret_n)
{
	struct pl_egress_trie x = { 0 };
	struct canon l = { 0 };
	uint16_t hooks = 0;
	int r = pl_egress_trie_build(t, &x);

	if (r < 0)
		return r;
	for (size_t j = 0; j < t->n_rules; j++) {
		char name[PL_CG_RULE_NAME];
		snprintf(name, sizeof(name), "%s", t->rules[j]);
		add(&l, PL_CANON_NAME, (uint32_t)j, name);
	}
	for (size_t j = 0; j < t->n_sock; j++) {
		const struct pl_bpf_sock_entry *s = &t->sock[j];
		add(&l, PL_CANON_SOCK, s->family,
		    s->type == PL_BPF_ANY ? PL_CG_ANY16 : (uint16_t)s->type, s->protocol, s->rule,
		    s->action);
		hooks |= PL_CG_HAS_SOCK;
	}
	for (size_t j = 0; j < t->n_sysctl; j++) {
		char name[PL_CG_SYSCTL_NAME];
		snprintf(name, sizeof(name), "%s", t->sysctl[j].name);
		add(&l, PL_CANON_SYSCTL, name, t->sysctl[j].rule, t->sysctl[j].action);
		hooks |= PL_CG_HAS_SYSCTL;
	}
	for (size_t j = 0; j < t->n_dev; j++) {
		const struct pl_bpf_dev_entry *e = &t->dev[j];
		add(&l, PL_CANON_DEV, e->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR,
		    e->major, e->minor, e->action[0], e->rule[0], e->action[1], e->rule[1],
		    e->action[2], e->rule[2]);
		hooks |= PL_CG_HAS_DEV;
	}
	for (size_t j = 0; j < x.n_nodes; j++) {
		const uint32_t *e = x.nodes[j].e;
		if (x.is_skip[j])
			add(&l, PL_CANON_SKIP, (uint32_t)j + 1, e[0], e[1], e[2], e[3], e[4]);
		else
			add(&l, PL_CANON_NODE, (uint32_t)j + 1, e[0], e[1], e[2], e[3], e[4], e[5],
			    e[6], e[7], e[8], e[9], e[10], e[11], e[12], e[13], e[14], e[15]);
	}
	for (size_t j = 0; j < x.n_ranges; j++) {
		const struct pl_cg_port_range *g = &x.ranges[j];
		add(&l, PL_CANON_RANGE, (uint32_t)j, g->lo, g->hi, g->rule, g->action);
	}
	hooks |= (x.root4 ? PL_CG_HAS_EGRESS4 : 0) | (x.root6 ? PL_CG_HAS_EGRESS6 : 0);
	add(&l, PL_CANON_ROOTS, x.root4, x.root6, hooks);
	pl_egress_trie_free(&x);
	if (l.r < 0) {
		pl_enforcer_canon_free(l.v, l.n);
		return l.r;
	}
	*ret = l.v;
	*ret_n = l.n;
	return 0;
}

static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void pl_enforcer_canon_hash(char **lines, size_t n, char out[17])
{
	uint64_t h = 1469598103934665603ull;

	qsort(lines, n, sizeof(*lines), cmp_line);
	for (size_t i = 0; i < n; i++) {
		for (const char *p = lines[i]; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ull;
		h = (h ^ '\n') * 1099511628211ull;
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

int pl_enforcer_tables_hash(const struct pl_bpf_tables *t, char out[17])
{
	char **v = NULL;
	size_t n = 0;
	int r = pl_enforcer_tables_canon(t, &v, &n);

	if (r < 0)
		return r;
	pl_enforcer_canon_hash(v, n, out);
	pl_enforcer_canon_free(v, n);
	return 0;
}
