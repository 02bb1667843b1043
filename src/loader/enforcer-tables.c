/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup-BPF enforcer loader: policies' rule-table slots. Key sets of the
 * rule maps, the node/range run allocator, the egress trie writer, the RCU
 * grace period before a slot is reused, writing, retiring and releasing
 * slots, and pl_enforcer_set_policy/release/sync. See enforcer-internal.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <dirent.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "egress-trie.h"
#include "enforcer-internal.h"

/* ---- rule tables -------------------------------------------------------- */

static int keyset_add(struct keyset *k, const uint8_t *key, uint32_t ks)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 64;
		uint8_t *v = realloc(k->v, cap * ks);
		if (!v)
			return -ENOMEM;
		k->v = v;
		k->cap = cap;
	}
	memcpy(k->v + k->n++ * ks, key, ks);
	return 0;
}

/* Keys of map `m` of table slot `table` (every key with `all`). */
static int scan_keys(struct pl_cg_enforcer *e, int m, bool all, uint32_t table, struct keyset *k)
{
	uint32_t ks = map_desc[m].key, off = map_desc[m].table_off;
	uint32_t want = map_desc[m].table_be ? htonl(table) : table;
	_cleanup_free_ uint8_t *cur = calloc(2, ks);
	uint8_t *next;
	int fd = e->map_fd[m];

	if (!cur)
		return -ENOMEM;
	next = cur + ks;
	for (void *prev = NULL; bpf_map_get_next_key(fd, prev, next) == 0; prev = cur) {
		uint32_t t;

		memcpy(cur, next, ks);
		memcpy(&t, cur + off, sizeof(t));
		if (!all && t != want)
			continue;
		if (keyset_add(k, cur, ks) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int table_keys(struct pl_cg_enforcer *e, int m, uint32_t table, struct keyset *k)
{
	struct pl_enforcer_txn *x = e->txn;
	uint32_t ks = map_desc[m].key, off = map_desc[m].table_off;
	uint32_t want = map_desc[m].table_be ? htonl(table) : table;

	if (!x || !x->use_snap)
		return scan_keys(e, m, false, table, k);
	if (!x->have_snap) {
		static const int rule_maps[] = { M_SOCK, M_SYSCTL, M_DEV, M_NAMES };
		for (size_t i = 0; i < PL_ARRAY_SIZE(rule_maps); i++) {
			int r = scan_keys(e, rule_maps[i], true, 0, &x->snap[rule_maps[i]]);
			if (r < 0)
				return r;
		}
		x->have_snap = true;
	}
	for (size_t i = 0; i < x->snap[m].n; i++) {
		const uint8_t *key = x->snap[m].v + i * ks;
		uint32_t t;

		memcpy(&t, key + off, sizeof(t));
		if (t == want && keyset_add(k, key, ks) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Forget the runs of table slot `table` (its nodes and ranges are free). */
static void runs_release(struct pl_cg_enforcer *e, uint32_t table)
{
	for (size_t i = 0; i < e->n_runs;) {
		if (e->run_table[i] == table) {
			e->n_runs--;
			e->node_runs[i] = e->node_runs[e->n_runs];
			e->range_runs[i] = e->range_runs[e->n_runs];
			e->run_table[i] = e->run_table[e->n_runs];
		} else {
			i++;
		}
	}
}

static int runs_add(struct pl_cg_enforcer *e, uint32_t table, struct run n, struct run rg)
{
	if (e->n_runs == e->cap_runs) {
		size_t cap = e->cap_runs ? 2 * e->cap_runs : 64;
		struct run *a = realloc(e->node_runs, cap * sizeof(*a));
		struct run *b = a ? realloc(e->range_runs, cap * sizeof(*b)) : NULL;
		uint32_t *t = b ? realloc(e->run_table, cap * sizeof(*t)) : NULL;

		if (a)
			e->node_runs = a;
		if (b)
			e->range_runs = b;
		if (!t)
			return -ENOMEM;
		e->run_table = t;
		e->cap_runs = cap;
	}
	e->node_runs[e->n_runs] = n;
	e->range_runs[e->n_runs] = rg;
	e->run_table[e->n_runs++] = table;
	return 0;
}

/* The runs in use: those of both table slots of every present policy (the
 * inactive one holds a replaced rule set until it is released), read afresh (the policies array in
 * batches): another process may have written since. */
int pl_enf_runs_load(struct pl_cg_enforcer *e)
{
	enum { BATCH = 4096 };
	struct pl_cg_policy *pol = calloc(BATCH, sizeof(*pol));
	uint32_t *keys = calloc(BATCH, sizeof(*keys)), in = 0, out = 0;
	bool first = true, done = false;
	int r = 0;

	if (!pol || !keys) {
		r = -ENOMEM;
		goto out;
	}
	e->n_runs = 0;
	while (!done && r == 0) {
		__u32 n = BATCH;

		if (bpf_map_lookup_batch(e->map_fd[M_POLICIES], first ? NULL : &in, &out, keys, pol,
					 &n, NULL) < 0) {
			if (errno != ENOENT) {
				r = -errno;
				break;
			}
			done = true;
		}
		first = false;
		in = out;
		for (__u32 i = 0; i < n && r == 0; i++) {
			if (!pol[i].present || keys[i] == 0)
				continue;
			for (uint32_t slot = 2 * keys[i]; slot <= 2 * keys[i] + 1 && r == 0;
			     slot++) {
				struct pl_cg_table t;

				if (bpf_map_lookup_elem(e->map_fd[M_TABLES], &slot, &t) < 0)
					r = -errno;
				else if (t.node_count || t.range_count)
					r = runs_add(e, slot,
						     (struct run){ t.node_first, t.node_count },
						     (struct run){ t.range_first, t.range_count });
			}
		}
	}
	/* Slots staged by the open transaction (those of policies not present
	 * yet are not counted above). */
	for (size_t i = 0; r == 0 && e->txn && i < e->txn->n; i++) {
		uint32_t slot = e->txn->v[i].table;
		struct pl_cg_table t;
		bool have = false;

		for (size_t j = 0; j < e->n_runs && !have; j++)
			have = e->run_table[j] == slot;
		if (have)
			continue;
		if (bpf_map_lookup_elem(e->map_fd[M_TABLES], &slot, &t) < 0)
			r = -errno;
		else if (t.node_count || t.range_count)
			r = runs_add(e, slot, (struct run){ t.node_first, t.node_count },
				     (struct run){ t.range_first, t.range_count });
	}
out:
	free(pol);
	free(keys);
	return r;
}

static int cmp_run(const void *a, const void *b)
{
	const struct run *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/* First fit for `need` entries in 1..max-1 among the used runs `used`. */
static int run_alloc(const struct run *used, size_t n, uint32_t need, uint32_t max, uint32_t *first)
{
	struct run *v;
	uint64_t at = 1;

	*first = 0;
	if (need == 0)
		return 0;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (n) {
		memcpy(v, used, n * sizeof(*v));
		qsort(v, n, sizeof(*v), cmp_run);
	}
	for (size_t i = 0; i < n; i++) {
		if (!v[i].count)
			continue;
		if (v[i].first >= at + need)
			break;
		if ((uint64_t)v[i].first + v[i].count > at)
			at = (uint64_t)v[i].first + v[i].count;
	}
	free(v);
	if (at + need > max)
		return -ENOSPC;
	*first = (uint32_t)at;
	return 0;
}

/* Write the egress tries of `t` into free runs; the table record (roots
 * and runs) into `tab`. Nothing points at the runs until the table slot
 * is activated. */
static int write_egress(struct pl_cg_enforcer *e, uint32_t table, const struct pl_bpf_tables *t,
			struct pl_cg_table *tab, struct pl_diag *d)
{
	struct pl_egress_trie x;
	uint32_t nf = 0, rf = 0;
	int r = pl_egress_trie_build(t, &x);

	memset(tab, 0, sizeof(*tab));
	if (r < 0)
		return pl_enf_sys_error(d, r, "build the egress trie");
	r = run_alloc(e->node_runs, e->n_runs, (uint32_t)x.n_nodes, PL_CG_MAX_NODES, &nf);
	if (r == 0)
		r = run_alloc(e->range_runs, e->n_runs, (uint32_t)x.n_ranges, PL_CG_MAX_RANGES,
			      &rf);
	if (r < 0) {
		r = pl_error(d, r, NULL, NULL,
			     "egress rules need %zu trie nodes and %zu port ranges: no room left "
			     "(%u nodes, %u ranges for every policy together)",
			     x.n_nodes, x.n_ranges, PL_CG_MAX_NODES, PL_CG_MAX_RANGES);
		goto out;
	}
	pl_egress_trie_relocate(&x, nf, rf);
	for (size_t i = 0; i < x.n_nodes && r == 0; i++) {
		uint32_t k = nf + (uint32_t)i;

		if (bpf_map_update_elem(e->map_fd[M_NODES], &k, &x.nodes[i], BPF_ANY) < 0)
			r = pl_enf_sys_error(d, errno, "write trie node %u", k);
	}
	for (size_t i = 0; i < x.n_ranges && r == 0; i++) {
		uint32_t k = rf + (uint32_t)i;

		if (bpf_map_update_elem(e->map_fd[M_RANGES], &k, &x.ranges[i], BPF_ANY) < 0)
			r = pl_enf_sys_error(d, errno, "write port range %u", k);
	}
	if (r == 0) {
		*tab = (struct pl_cg_table){ .root4 = x.root4,
					     .root6 = x.root6,
					     .node_first = nf,
					     .node_count = (uint32_t)x.n_nodes,
					     .range_first = rf,
					     .range_count = (uint32_t)x.n_ranges };
		r = runs_add(e, table, (struct run){ nf, tab->node_count },
			     (struct run){ rf, tab->range_count });
		if (r < 0)
			r = pl_error(d, r, NULL, NULL, "out of memory");
	}
out:
	pl_egress_trie_free(&x);
	return r;
}

/* The two small maps grace_period updates (this process's own). */
int pl_enf_grace_ready(struct pl_cg_enforcer *e)
{
	if (e->grace_inner < 0) {
		e->grace_inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "pl_grace_in", 4, 4, 1, NULL);
		if (e->grace_inner < 0)
			return -errno;
	}
	if (e->grace_fd < 0) {
		LIBBPF_OPTS(bpf_map_create_opts, o, .inner_map_fd = e->grace_inner);
		e->grace_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "pl_grace", 4, 4, 1, &o);
		if (e->grace_fd < 0)
			return -errno;
	}
	return 0;
}

/*
 * Wait until every program run that started before the call has finished.
 * Updating an element of a map-in-map makes the kernel wait for an RCU
 * grace period (synchronize_rcu() in maybe_wait_bpf_programs(), so that user
 * space knows no program still uses the old value), and cgroup programs run
 * inside rcu_read_lock(). After it, no program holds a policy, table id or
 * trie node it read before.
 */
int pl_enf_grace_period(struct pl_cg_enforcer *e)
{
	uint32_t k = 0;
	int r = pl_enf_grace_ready(e);

	if (r < 0)
		return r;
	if (bpf_map_update_elem(e->grace_fd, &k, &e->grace_inner, BPF_ANY) < 0)
		return -errno;
	return 0;
}

int pl_enforcer_sync(struct pl_cg_enforcer *e, struct pl_diag *d)
{
	int r = pl_enf_grace_period(e);

	return r < 0 ? pl_enf_sys_error(d, r, "wait for running programs (map-in-map update)") : 0;
}

/*
 * Empty table slot `table`: its hash-map entries (freed by the kernel after
 * every program using them is done), its record and its trie runs. With
 * `wait_if_used`, a slot that holds anything is emptied only after a grace
 * period: for a slot that another process may have replaced and not
 * released yet.
 */
int pl_enf_purge_all(struct pl_cg_enforcer *e, uint32_t table, bool wait_if_used)
{
	static const int rule_maps[] = { M_SOCK, M_SYSCTL, M_DEV, M_NAMES };
	struct keyset k[PL_ARRAY_SIZE(rule_maps)] = {};
	struct pl_cg_table none = { 0 }, cur = { 0 };
	bool used = false;
	int r = 0;

	for (size_t i = 0; i < PL_ARRAY_SIZE(rule_maps) && r == 0; i++) {
		r = table_keys(e, rule_maps[i], table, &k[i]);
		used = used || k[i].n;
	}
	if (r == 0 && bpf_map_lookup_elem(e->map_fd[M_TABLES], &table, &cur) == 0 &&
	    memcmp(&cur, &none, sizeof(cur)))
		used = true;
	if (r == 0 && wait_if_used && used)
		r = pl_enf_grace_period(e);
	for (size_t i = 0; i < PL_ARRAY_SIZE(rule_maps) && r == 0; i++) {
		uint32_t ks = map_desc[rule_maps[i]].key;

		for (size_t j = 0; j < k[i].n; j++)
			if (bpf_map_delete_elem(e->map_fd[rule_maps[i]], k[i].v + j * ks) < 0 &&
			    errno != ENOENT && r == 0)
				r = -errno;
	}
	if (r == 0 && bpf_map_update_elem(e->map_fd[M_TABLES], &table, &none, BPF_ANY) < 0)
		r = -errno;
	if (r == 0)
		runs_release(e, table);
	for (size_t i = 0; i < PL_ARRAY_SIZE(rule_maps); i++)
		free(k[i].v);
	return r;
}

static int write_table(struct pl_cg_enforcer *e, uint32_t table, const struct pl_bpf_tables *t,
		       uint16_t *hooks, struct pl_diag *d)
{
	struct pl_cg_table tab;
	int r;

	*hooks = 0;
	for (size_t i = 0; i < t->n_rules; i++) {
		struct pl_cg_name_key k = { table, (uint32_t)i };
		struct pl_cg_rule_name v = {};

		snprintf(v.name, sizeof(v.name), "%s", t->rules[i]);
		if (bpf_map_update_elem(e->map_fd[M_NAMES], &k, &v, BPF_ANY) < 0)
			return pl_enf_sys_error(d, errno, "write rule name %zu", i);
	}
	for (size_t i = 0; i < t->n_sock; i++) {
		const struct pl_bpf_sock_entry *s = &t->sock[i];
		struct pl_cg_sock_key k = {
			.table = table,
			.family = s->family,
			.type = s->type == PL_BPF_ANY ? PL_CG_ANY16 : (uint16_t)s->type,
			.protocol = s->protocol,
		};
		struct pl_cg_verdict v = { .rule = s->rule, .action = s->action };

		if (bpf_map_update_elem(e->map_fd[M_SOCK], &k, &v, BPF_ANY) < 0)
			return pl_enf_sys_error(d, errno, "write socket rule %zu", i);
		*hooks |= PL_CG_HAS_SOCK;
	}
	r = write_egress(e, table, t, &tab, d);
	if (r < 0)
		return r;
	if (bpf_map_update_elem(e->map_fd[M_TABLES], &table, &tab, BPF_ANY) < 0)
		return pl_enf_sys_error(d, errno, "write table %u", table);
	if (tab.root4)
		*hooks |= PL_CG_HAS_EGRESS4;
	if (tab.root6)
		*hooks |= PL_CG_HAS_EGRESS6;
	for (size_t i = 0; i < t->n_sysctl; i++) {
		struct pl_cg_sysctl_key k = { .table = table };
		struct pl_cg_verdict v = { .rule = t->sysctl[i].rule,
					   .action = t->sysctl[i].action };

		snprintf(k.name, sizeof(k.name), "%s", t->sysctl[i].name);
		if (bpf_map_update_elem(e->map_fd[M_SYSCTL], &k, &v, BPF_ANY) < 0)
			return pl_enf_sys_error(d, errno, "write sysctl rule %zu", i);
		*hooks |= PL_CG_HAS_SYSCTL;
	}
	for (size_t i = 0; i < t->n_dev; i++) {
		const struct pl_bpf_dev_entry *x = &t->dev[i];
		struct pl_cg_dev_key k = {
			.table = table,
			.type = x->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR,
			.major = x->major,
			.minor = x->minor,
		};
		struct pl_cg_dev_val v = {};

		for (int a = 0; a < 3; a++) {
			v.action[a] = x->action[a];
			v.rule[a] = x->rule[a];
		}
		if (bpf_map_update_elem(e->map_fd[M_DEV], &k, &v, BPF_ANY) < 0)
			return pl_enf_sys_error(d, errno, "write device rule %zu", i);
		*hooks |= PL_CG_HAS_DEV;
	}
	return 0;
}

int pl_enf_read_policy(struct pl_cg_enforcer *e, uint32_t policy, struct pl_cg_policy *ret)
{
	if (bpf_map_lookup_elem(e->map_fd[M_POLICIES], &policy, ret) < 0)
		return -errno;
	return 0;
}

/* Is table slot `table` one this process retired and has not released? */
bool pl_enf_is_retired(const struct pl_cg_enforcer *e, uint32_t table)
{
	for (size_t i = 0; i < e->n_retired; i++)
		if (e->retired[i] == table)
			return true;
	return false;
}

/*
 * Release the rule sets this process replaced: one grace period for all of
 * them (so loading many policies costs one, not one each), then each slot
 * that is still inactive is purged, trie runs included. Under the lock.
 */
int pl_enf_release_retired(struct pl_cg_enforcer *e, struct pl_diag *d)
{
	int r;

	if (!e->n_retired)
		return 0;
	r = pl_enf_grace_period(e);
	if (r < 0)
		return pl_enf_sys_error(d, r,
					"wait for running programs before releasing %zu replaced "
					"rule set(s)",
					e->n_retired);
	/* Every slot's keys from one scan of the rule maps (the open
	 * transaction's snapshot, or one of its own): a scan per slot made
	 * releasing 1,000 replaced rule sets quadratic in syscalls (11 s of
	 * the main thread). No retired slot was written since a snapshot was
	 * taken: a stage that writes one releases the list first. */
	struct pl_enforcer_txn own = { .e = e }, *x = e->txn ? e->txn : &own;
	bool use = x->use_snap;
	e->txn = x;
	x->use_snap = true;
	for (size_t i = 0; i < e->n_retired; i++) {
		uint32_t table = e->retired[i];
		struct pl_cg_policy cur;

		/* written again since (by another process)? then it is live */
		if (pl_enf_read_policy(e, table / 2, &cur) == 0 && cur.present &&
		    cur.table == table)
			continue;
		r = pl_enf_purge_all(e, table, false); /* the wait was just done */
		if (r < 0)
			pl_warning(d, NULL, NULL, "clearing replaced rule set %u: %s", table,
				   strerror(-r));
	}
	x->use_snap = use;
	if (x == &own) {
		e->txn = NULL;
		for (size_t i = 0; i < M__MAX; i++)
			free(own.snap[i].v);
	}
	e->n_retired = 0;
	return 0;
}

int pl_enf_retire(struct pl_cg_enforcer *e, uint32_t table)
{
	if (pl_enf_is_retired(e, table))
		return 0;
	if (e->n_retired == e->cap_retired) {
		size_t cap = e->cap_retired ? 2 * e->cap_retired : 16;
		uint32_t *v = realloc(e->retired, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		e->retired = v;
		e->cap_retired = cap;
	}
	e->retired[e->n_retired++] = table;
	return 0;
}

/* Write `t` into table slot `table` (cleared first). */
int pl_enf_fill_table(struct pl_cg_enforcer *e, uint32_t table, const struct pl_bpf_tables *t,
		      uint16_t *hooks, struct pl_diag *d)
{
	int r = e->txn && e->txn->runs_loaded ? 0 : pl_enf_runs_load(e);

	if (r < 0)
		return pl_enf_sys_error(d, r, "read the tables in use");
	if (e->txn)
		e->txn->runs_loaded = true; /* maintained from here on (see the txn) */
	/* Empty when this process released it. Otherwise it may hold a rule
	 * set that another process replaced and has not released yet, or
	 * leftovers of an interrupted update: emptied after a grace period. */
	if (e->txn)
		e->txn->use_snap = true; /* `table` is not written in this transaction yet */
	r = pl_enf_purge_all(e, table, true);
	if (e->txn)
		e->txn->use_snap = false;
	if (r < 0)
		return pl_enf_sys_error(d, r, "clear table %u", table);
	r = write_table(e, table, t, hooks, d);
	if (r < 0)
		pl_enf_purge_all(e, table, false); /* never in force */
	return r;
}

static int set_policy(struct pl_cg_enforcer *e, uint32_t policy, const struct pl_bpf_tables *t,
		      struct pl_diag *d)
{
	struct pl_cg_policy cur, next = {};
	struct pl_diag first = { 0 };
	uint32_t table;
	int r;

	r = pl_enf_read_policy(e, policy, &cur);
	if (r < 0)
		return pl_enf_sys_error(d, r, "read policy %u", policy);
	table = 2 * policy;
	if (cur.present && cur.table == 2 * policy)
		table = 2 * policy + 1;
	if (pl_enf_is_retired(e, table)) {
		r = pl_enf_release_retired(e, d);
		if (r < 0)
			return r;
	}
	r = pl_enf_fill_table(e, table, t, &next.hooks, &first);
	if ((r == -ENOSPC || r == -E2BIG) && e->n_retired) {
		/* Full (trie runs: ENOSPC; a hash map: E2BIG): the rule sets
		 * replaced earlier go first. */
		pl_diag_clear(&first);
		r = pl_enf_release_retired(e, d);
		if (r == 0)
			r = pl_enf_fill_table(e, table, t, &next.hooks, &first);
	}
	pl_diag_move(d, &first);
	if (r < 0)
		return r;
	next.table = table;
	next.present = 1;
	next.mode = cur.present ? cur.mode : PL_CG_MODE_AS_WRITTEN;
	if (bpf_map_update_elem(e->map_fd[M_POLICIES], &policy, &next, BPF_ANY) < 0) {
		r = -errno;
		pl_enf_purge_all(e, table, false); /* never in force */
		return pl_enf_sys_error(d, r, "activate policy %u", policy);
	}
	/* The new rules are in force. The previous rule set may still be read
	 * by a program run that began before the switch: it is released by
	 * pl_enforcer_release (or close, or the next update that needs its
	 * slot or its space), after a grace period. Until then it keeps its
	 * runs. (Should the list fail to grow, the slot stays as it is until
	 * it is written next, after a grace period.) */
	if (cur.present && cur.table != table)
		(void)pl_enf_retire(e, cur.table);
	return 0;
}

int pl_enforcer_release(struct pl_cg_enforcer *e, struct pl_diag *d)
{
	int r;

	pl_enf_lock(e);
	r = pl_enf_release_retired(e, d);
	pl_enf_unlock(e);
	return r;
}

int pl_enforcer_set_policy(struct pl_cg_enforcer *e, uint32_t policy, const struct pl_bpf_tables *t,
			   struct pl_diag *d)
{
	int r = pl_enf_check_policy(policy, d);

	if (r < 0)
		return r;
	/* The programs first, so that a container can be registered at once. */
	if (!pl_enf_load_progs(e, policy, d, &r))
		return r;
	pl_enf_lock(e);
	r = set_policy(e, policy, t, d);
	pl_enf_unlock(e);
	return r;
}
