/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prop-maps: the cgroup-BPF rules of a container, as a canonical text and
 * its hash, for tests/runtime/lifecycle-prop.py. Two sides that must agree:
 *
 *   prop-maps [-v] expect FILE          every policy of FILE: "NAME WEIGHT HASH"
 *     (pl_gen_cgroup_bpf, then the entries the loader writes: rule names,
 *     socket, sysctl and device keys, the egress trie with relative indices)
 *   prop-maps [-v] kernel PIN CGID...   each registered cgroup: "CGID ID HASH",
 *     (an argument p:ID names a policy id instead: "p:ID ID HASH"; the one
 *     argument "present" lists the ids present in the policies map)
 *     "CGID none" (not in the containers map) or "CGID ID absent"
 *     (read from the pinned maps: containers, policies, the active table
 *     slot's entries, its trie run with the indices made relative again)
 *
 * -v prints the canonical text too (lines "# NAME|CGID: ..."). Hashes are
 * FNV-1a 64 over the sorted lines. Exit 0, 1 on any error (on stderr).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>

#include "bpf/cgroup.h"
#include "egress-trie.h"
#include "plastron/bpf.h"
#include "plastron/gen.h"
#include "plastron/policy.h"
#include "shared/macro.h"

/* ---- canonical lines ----------------------------------------------------- */

struct lines {
	char **v;
	size_t n;
};

static void add(struct lines *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct lines *l, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		exit(1);
	va_end(ap);
	l->v = realloc(l->v, (l->n + 1) * sizeof(*l->v));
	if (!l->v)
		exit(1);
	l->v[l->n++] = s;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort, hash, print ("KEY HASH"), free. */
static void finish(struct lines *l, const char *key, bool verbose)
{
	uint64_t h = 1469598103934665603ull;

	qsort(l->v, l->n, sizeof(*l->v), cmp);
	for (size_t i = 0; i < l->n; i++) {
		for (const char *p = l->v[i]; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ull;
		h = (h ^ '\n') * 1099511628211ull;
		if (verbose)
			printf("# %s: %s\n", key, l->v[i]);
		free(l->v[i]);
	}
	free(l->v);
	*l = (struct lines){ 0 };
	printf("%s %016llx\n", key, (unsigned long long)h);
}

static void add_node(struct lines *l, uint32_t i, const struct pl_cg_node *n, bool skip)
{
	char buf[16 * 12] = "";
	size_t o = 0;

	for (unsigned k = 0; k < (skip ? 5 : PL_CG_FANOUT); k++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, " %x", n->e[k]);
	add(l, "node %05u %s%s", i, skip ? "skip" : "e", buf);
}

static void add_range(struct lines *l, uint32_t i, const struct pl_cg_port_range *r)
{
	add(l, "range %05u %u-%u rule %u action %u", i, r->lo, r->hi, r->rule, r->action);
}

static void add_sock(struct lines *l, const struct pl_cg_sock_key *k, const struct pl_cg_verdict *v)
{
	add(l, "sock %u %u %u rule %u action %u", k->family, k->type, k->protocol, v->rule,
	    v->action);
}

static void add_sysctl(struct lines *l, const char *name, const struct pl_cg_verdict *v)
{
	add(l, "sysctl %s rule %u action %u", name, v->rule, v->action);
}

static void add_dev(struct lines *l, const struct pl_cg_dev_key *k, const struct pl_cg_dev_val *v)
{
	add(l, "dev %u %u:%u %u/%u %u/%u %u/%u", k->type, k->major, k->minor, v->action[0],
	    v->rule[0], v->action[1], v->rule[1], v->action[2], v->rule[2]);
}

/* ---- expected: what the loader writes for a generated table ------------- */

static int expect(const char *path, bool verbose)
{
	struct pl_policy_set *set = NULL;
	struct pl_diag d = { 0 };
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 1;
	}
	FILE *m = open_memstream(&buf, &len);
	char chunk[8192];
	size_t k;
	while (m && (k = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, k, m);
	if (m)
		fclose(m);
	fclose(f);
	if (pl_policy_set_load_buffer(path, buf, len, &set, &d) < 0) {
		fprintf(stderr, "%s: does not load\n", path);
		free(buf);
		pl_diag_clear(&d);
		return 1;
	}
	for (size_t i = 0; i < set->n; i++) {
		struct pl_bpf_tables *t = NULL;
		struct pl_egress_trie x = { 0 };
		struct lines l = { 0 };
		uint16_t hooks = 0;

		if (pl_gen_cgroup_bpf(set->policies[i], NULL, NULL, &t, &d) < 0 ||
		    pl_egress_trie_build(t, &x) < 0) {
			fprintf(stderr, "%s: %s: no tables\n", path, set->policies[i]->name);
			return 1;
		}
		for (size_t j = 0; j < t->n_rules; j++) {
			char name[PL_CG_RULE_NAME];
			snprintf(name, sizeof(name), "%s", t->rules[j]);
			add(&l, "name %05zu %s", j, name);
		}
		for (size_t j = 0; j < t->n_sock; j++) {
			const struct pl_bpf_sock_entry *s = &t->sock[j];
			struct pl_cg_sock_key sk = {
				.family = s->family,
				.type = s->type == PL_BPF_ANY ? PL_CG_ANY16 : (uint16_t)s->type,
				.protocol = s->protocol,
			};
			add_sock(&l, &sk, &(struct pl_cg_verdict){ s->rule, s->action, { 0 } });
			hooks |= PL_CG_HAS_SOCK;
		}
		for (size_t j = 0; j < t->n_sysctl; j++) {
			char name[PL_CG_SYSCTL_NAME];
			snprintf(name, sizeof(name), "%s", t->sysctl[j].name);
			add_sysctl(&l, name,
				   &(struct pl_cg_verdict){
				       t->sysctl[j].rule, t->sysctl[j].action, { 0 } });
			hooks |= PL_CG_HAS_SYSCTL;
		}
		for (size_t j = 0; j < t->n_dev; j++) {
			const struct pl_bpf_dev_entry *e = &t->dev[j];
			struct pl_cg_dev_key dk = { .type = e->type == 'b' ? BPF_DEVCG_DEV_BLOCK
									   : BPF_DEVCG_DEV_CHAR,
						    .major = e->major,
						    .minor = e->minor };
			struct pl_cg_dev_val dv = { 0 };
			for (int a = 0; a < 3; a++) {
				dv.action[a] = e->action[a];
				dv.rule[a] = e->rule[a];
			}
			add_dev(&l, &dk, &dv);
			hooks |= PL_CG_HAS_DEV;
		}
		for (size_t j = 0; j < x.n_nodes; j++)
			add_node(&l, (uint32_t)j + 1, &x.nodes[j], x.is_skip[j]);
		for (size_t j = 0; j < x.n_ranges; j++)
			add_range(&l, (uint32_t)j, &x.ranges[j]);
		hooks |= (x.root4 ? PL_CG_HAS_EGRESS4 : 0) | (x.root6 ? PL_CG_HAS_EGRESS6 : 0);
		add(&l, "roots %x %x hooks %x", x.root4, x.root6, hooks);
		/* the agent's rule_weight (an in-place write must not lower it) */
		struct pl_sc_profile *prof = NULL;
		const struct pl_policy *p = set->policies[i];
		if (pl_gen_seccomp(p, NULL, &prof, &d) < 0) {
			fprintf(stderr, "%s: %s: no seccomp profile\n", path, p->name);
			return 1;
		}
		char key[256];
		snprintf(key, sizeof(key), "%s %zu", p->name,
			 p->enhance.n_rules + p->landlock.n_paths + prof->n_syscalls + t->n_sock +
			     t->n_egress + t->n_sysctl + t->n_dev);
		pl_sc_profile_free(prof);
		finish(&l, key, verbose);
		pl_egress_trie_free(&x);
		pl_bpf_tables_free(t);
	}
	pl_policy_set_free(set);
	pl_diag_clear(&d);
	free(buf);
	return 0;
}

/* ---- the kernel: one cgroup's active table ------------------------------- */

enum { K_CONTAINERS, K_POLICIES, K_TABLES, K_SOCK, K_NODES, K_RANGES, K_SYSCTL, K_DEV, K_NAMES };
static const char *const kmap[] = { "containers",   "policies",  "tables",
				    "sock_rules",   "nodes",     "ranges",
				    "sysctl_rules", "dev_rules", "rule_names" };
static int kfd[PL_ARRAY_SIZE(kmap)];

/* A relocated trie entry made relative (as pl_egress_trie_build leaves it). */
static uint32_t unreloc(uint32_t v, const struct pl_cg_table *t)
{
	if (v & PL_CG_LEAF)
		return (v & ~0xffffffu) | (PL_CG_LEAF_FIRST(v) - t->range_first);
	if (v)
		return (v & PL_CG_SKIP) | ((v & PL_CG_INDEX) - t->node_first + 1);
	return 0;
}

/* Every key of hash map `m` whose leading u32 (the table id) is `table`. */
static void scan(int m, uint32_t table, size_t ks,
		 void (*fn)(struct lines *, const void *, const void *), struct lines *l)
{
	unsigned char key[256], next[256], val[256];
	void *prev = NULL;

	while (bpf_map_get_next_key(kfd[m], prev, next) == 0) {
		memcpy(key, next, ks);
		prev = key;
		uint32_t t;
		memcpy(&t, key, 4);
		if (t == table && bpf_map_lookup_elem(kfd[m], key, val) == 0)
			fn(l, key, val);
	}
}

static void f_sock(struct lines *l, const void *k, const void *v)
{
	add_sock(l, k, v);
}
static void f_sysctl(struct lines *l, const void *k, const void *v)
{
	add_sysctl(l, ((const struct pl_cg_sysctl_key *)k)->name, v);
}
static void f_dev(struct lines *l, const void *k, const void *v)
{
	add_dev(l, k, v);
}
static void f_name(struct lines *l, const void *k, const void *v)
{
	add(l, "name %05u %s", ((const struct pl_cg_name_key *)k)->rule,
	    ((const struct pl_cg_rule_name *)v)->name);
}

/* The trie run, walked from the roots (a skip node is one reached by a
 * pointer with PL_CG_SKIP). */
static void trie(struct lines *l, const struct pl_cg_table *t)
{
	uint32_t n = t->node_count;
	signed char *kind = calloc(n + 1, 1); /* 0 unseen, 1 node, 2 skip */
	uint32_t *todo = calloc(2 * (size_t)n + 2, sizeof(*todo));
	size_t nt = 0;

	if (!kind || !todo)
		exit(1);
	if (t->root4)
		todo[nt++] = t->root4;
	if (t->root6)
		todo[nt++] = t->root6;
	while (nt) {
		uint32_t v = todo[--nt], i;
		struct pl_cg_node nd;

		if (!v || (v & PL_CG_LEAF))
			continue;
		i = v & PL_CG_INDEX;
		if (i < t->node_first || i - t->node_first >= n) {
			add(l, "bad pointer %x", v);
			continue;
		}
		if (kind[i - t->node_first])
			continue;
		kind[i - t->node_first] = (v & PL_CG_SKIP) ? 2 : 1;
		if (bpf_map_lookup_elem(kfd[K_NODES], &i, &nd) < 0)
			exit(1);
		for (unsigned k = 0; k < PL_CG_FANOUT; k++)
			if (!(v & PL_CG_SKIP) || k == 3 || k == 4)
				if (nd.e[k] && !(nd.e[k] & PL_CG_LEAF) && nt < 2 * (size_t)n + 2)
					todo[nt++] = nd.e[k];
	}
	for (uint32_t j = 0; j < n; j++) {
		uint32_t i = t->node_first + j;
		struct pl_cg_node nd;

		if (bpf_map_lookup_elem(kfd[K_NODES], &i, &nd) < 0)
			exit(1);
		if (kind[j] == 2) {
			nd.e[3] = unreloc(nd.e[3], t); /* next */
			nd.e[4] = unreloc(nd.e[4], t); /* miss */
		} else
			for (unsigned k = 0; k < PL_CG_FANOUT; k++)
				nd.e[k] = unreloc(nd.e[k], t);
		add_node(l, j + 1, &nd, kind[j] == 2);
	}
	for (uint32_t j = 0; j < t->range_count; j++) {
		uint32_t i = t->range_first + j;
		struct pl_cg_port_range r;

		if (bpf_map_lookup_elem(kfd[K_RANGES], &i, &r) < 0)
			exit(1);
		add_range(l, j, &r);
	}
	free(kind);
	free(todo);
}

static int kernel(const char *pin, char **cg, int n, bool verbose)
{
	char p[4096];

	for (size_t i = 0; i < PL_ARRAY_SIZE(kmap); i++) {
		snprintf(p, sizeof(p), "%s/maps/%s", pin, kmap[i]);
		kfd[i] = bpf_obj_get(p);
		if (kfd[i] < 0) {
			fprintf(stderr, "%s: %s\n", p, strerror(errno));
			return 1;
		}
	}
	if (n == 1 && !strcmp(cg[0], "present")) {
		for (uint32_t id = 1; id < PL_CG_MAX_POLICIES; id++) {
			struct pl_cg_policy pol;
			if (bpf_map_lookup_elem(kfd[K_POLICIES], &id, &pol) == 0 && pol.present)
				printf("%u\n", id);
		}
		return 0;
	}
	for (int c = 0; c < n; c++) {
		uint64_t cgid = strtoull(cg[c], NULL, 10);
		struct pl_cg_container ct;
		struct pl_cg_policy pol;
		struct pl_cg_table tab = { 0 };
		struct lines l = { 0 };
		char key[64];

		if (!strncmp(cg[c], "p:", 2))
			ct.policy = (uint32_t)strtoul(cg[c] + 2, NULL, 10);
		else if (bpf_map_lookup_elem(kfd[K_CONTAINERS], &cgid, &ct) < 0) {
			printf("%s none\n", cg[c]);
			continue;
		}
		if (bpf_map_lookup_elem(kfd[K_POLICIES], &ct.policy, &pol) < 0 || !pol.present) {
			printf("%s %u absent\n", cg[c], ct.policy);
			continue;
		}
		if (bpf_map_lookup_elem(kfd[K_TABLES], &pol.table, &tab) < 0)
			return 1;
		scan(K_NAMES, pol.table, sizeof(struct pl_cg_name_key), f_name, &l);
		scan(K_SOCK, pol.table, sizeof(struct pl_cg_sock_key), f_sock, &l);
		scan(K_SYSCTL, pol.table, sizeof(struct pl_cg_sysctl_key), f_sysctl, &l);
		scan(K_DEV, pol.table, sizeof(struct pl_cg_dev_key), f_dev, &l);
		trie(&l, &tab);
		add(&l, "roots %x %x hooks %x", unreloc(tab.root4, &tab), unreloc(tab.root6, &tab),
		    pol.hooks);
		snprintf(key, sizeof(key), "%s %u", cg[c], ct.policy);
		finish(&l, key, verbose);
	}
	return 0;
}

int main(int argc, char **argv)
{
	bool verbose = argc > 1 && !strcmp(argv[1], "-v");

	argv += verbose;
	argc -= verbose;
	if (argc == 3 && !strcmp(argv[1], "expect"))
		return expect(argv[2], verbose);
	if (argc >= 3 && !strcmp(argv[1], "kernel"))
		return kernel(argv[2], argv + 3, argc - 3, verbose);
	fprintf(stderr, "usage: prop-maps [-v] expect FILE | kernel PIN CGID...\n");
	return 2;
}
