/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prop-maps: the cgroup-BPF rules of a container, as a canonical text and
 * its hash, for tests/runtime/lifecycle-prop.py. Two sides that must agree:
 *
 *   prop-maps [-v] expect FILE          every policy of FILE: "NAME WEIGHT HASH"
 *     (pl_gen_cgroup_bpf, then the entries the loader writes: rule names,
 *     socket, sysctl and device keys, the egress trie with relative indices;
 *     WEIGHT: the agent's rule_weight, which an in-place write must not lower)
 *   prop-maps [-v] kernel PIN CGID...   each registered cgroup: "CGID ID HASH",
 *     (an argument p:ID names a policy id instead: "p:ID ID HASH"; the one
 *     argument "present" lists the ids present in the policies map)
 *     "CGID none" (not in the containers map) or "CGID ID absent"
 *     (read from the pinned maps: containers, policies, the active table
 *     slot's entries, its trie run with the indices made relative again)
 *
 * -v prints the canonical text too (lines "# NAME|CGID: ..."). The expected
 * side is the loader's pl_enforcer_tables_canon (what status reports as
 * cgroup_bpf_hash); the kernel side is read here, in the same line formats
 * (PL_CANON_*), and hashed alike. Exit 0, 1 on any error (on stderr).
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
#include "enforcer.h"
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

/* Sort, hash, print ("KEY HASH"), free. */
static void finish(struct lines *l, const char *key, bool verbose)
{
	char h[17];

	pl_enforcer_canon_hash(l->v, l->n, h);
	for (size_t i = 0; i < l->n; i++)
		if (verbose)
			printf("# %s: %s\n", key, l->v[i]);
	pl_enforcer_canon_free(l->v, l->n);
	*l = (struct lines){ 0 };
	printf("%s %s\n", key, h);
}

static void add_node(struct lines *l, uint32_t i, const struct pl_cg_node *n, bool skip)
{
	const uint32_t *e = n->e;

	if (skip)
		add(l, PL_CANON_SKIP, i, e[0], e[1], e[2], e[3], e[4]);
	else
		add(l, PL_CANON_NODE, i, e[0], e[1], e[2], e[3], e[4], e[5], e[6], e[7], e[8], e[9],
		    e[10], e[11], e[12], e[13], e[14], e[15]);
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
		struct lines l = { 0 };

		if (pl_gen_cgroup_bpf(set->policies[i], NULL, NULL, &t, &d) < 0 ||
		    pl_enforcer_tables_canon(t, &l.v, &l.n) < 0) {
			fprintf(stderr, "%s: %s: no tables\n", path, set->policies[i]->name);
			return 1;
		}
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

static void f_sock(struct lines *l, const void *key, const void *val)
{
	const struct pl_cg_sock_key *k = key;
	const struct pl_cg_verdict *v = val;

	add(l, PL_CANON_SOCK, k->family, k->type, k->protocol, v->rule, v->action);
}
static void f_sysctl(struct lines *l, const void *key, const void *val)
{
	const struct pl_cg_verdict *v = val;

	add(l, PL_CANON_SYSCTL, ((const struct pl_cg_sysctl_key *)key)->name, v->rule, v->action);
}
static void f_dev(struct lines *l, const void *key, const void *val)
{
	const struct pl_cg_dev_key *k = key;
	const struct pl_cg_dev_val *v = val;

	add(l, PL_CANON_DEV, k->type, k->major, k->minor, v->action[0], v->rule[0], v->action[1],
	    v->rule[1], v->action[2], v->rule[2]);
}
static void f_name(struct lines *l, const void *k, const void *v)
{
	add(l, PL_CANON_NAME, ((const struct pl_cg_name_key *)k)->rule,
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
		add(l, PL_CANON_RANGE, j, r.lo, r.hi, r.rule, r.action);
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
		add(&l, PL_CANON_ROOTS, unreloc(tab.root4, &tab), unreloc(tab.root6, &tab),
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
