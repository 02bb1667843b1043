/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals of the cgroup-BPF enforcer loader, shared by its files (not
 * installed, not for callers: they use enforcer.h). Owns the map and
 * program tables, struct pl_cg_enforcer and struct pl_enforcer_txn, and the
 * prototypes of the helpers one file of the loader calls in another:
 *   enforcer.c          locking, errors, pin paths, cgroup ids, bpffs,
 *                       install/open, uninstall/close/purge, link counts
 *   enforcer-progs.c    per-policy program instances, upgrade of programs
 *                       pinned by an older build
 *   enforcer-register.c registered cgroup levels, register/unregister
 *   enforcer-tables.c   rule-table slots: key sets, node/range runs, the
 *                       RCU grace period, writing and releasing slots,
 *                       set_policy
 *   enforcer-txn.c      transactions, remove_policy, set/get mode
 *   enforcer-events.c   counters, the events ring buffer, event text
 */
#ifndef PL_AGENT_ENFORCER_INTERNAL_H
#define PL_AGENT_ENFORCER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "cgroup.skel.h"
#include "enforcer.h"
#include "plastron/apply.h"
#include "shared/macro.h"

_Static_assert(PL_BPF_MAX_PORT_RANGES == PL_CG_MAX_PORT_RANGES, "port range count");
_Static_assert(PL_BPF_SYSCTL_NAME_MAX == PL_CG_SYSCTL_NAME, "sysctl name length");
_Static_assert(PL_BPF_RULE_NAME_MAX == PL_CG_RULE_NAME, "rule name length");
_Static_assert((int)PL_BPF_ACT_DENY_LOG == (int)PL_CG_DENY_LOG &&
		   (int)PL_BPF_ACT_ALLOW_LOG == (int)PL_CG_ALLOW_LOG &&
		   (int)PL_BPF_ACT_DENY == (int)PL_CG_DENY,
	       "action numbers");
_Static_assert((int)PL_BPF_MODE_AUDIT == (int)PL_CG_MODE_AUDIT &&
		   (int)PL_BPF_MODE_OFF == (int)PL_CG_MODE_OFF &&
		   (int)PL_BPF_MODE_ENFORCE == (int)PL_CG_MODE_ENFORCE,
	       "mode numbers");

enum {
	M_CONTAINERS,
	M_POLICIES,
	M_TABLES,
	M_SOCK,
	M_NODES,
	M_RANGES,
	M_SYSCTL,
	M_DEV,
	M_NAMES,
	M_EVENTS,
	M_COUNTERS,
	M_GLOBAL,
	M_RAW_SOCKS,
	M__MAX,
};

/* A map's (or program's) name, and where the skeleton keeps its pointer:
 * the name is the skeleton's member, so a map renamed in the object is a
 * compile error here, not a lookup failing at run time. */
#define SKEL_MAP(x) #x, offsetof(struct pl_cgroup, maps.x)
#define SKEL_PROG(x) #x, offsetof(struct pl_cgroup, progs.x)

static const struct {
	const char *name;
	size_t skel; /* offset of the struct bpf_map * in struct pl_cgroup */
	enum bpf_map_type type;
	uint32_t key, value;
	uint32_t table_off; /* offset of the table id in the key (rule maps) */
	bool table_be;      /* table id stored big-endian */
} map_desc[M__MAX] = {
	[M_CONTAINERS] = { SKEL_MAP(containers), BPF_MAP_TYPE_HASH, 8,
			   sizeof(struct pl_cg_container) },
	[M_POLICIES] = { SKEL_MAP(policies), BPF_MAP_TYPE_ARRAY, 4, sizeof(struct pl_cg_policy) },
	[M_SOCK] = { SKEL_MAP(sock_rules), BPF_MAP_TYPE_HASH, sizeof(struct pl_cg_sock_key),
		     sizeof(struct pl_cg_verdict), 0, false },
	[M_TABLES] = { SKEL_MAP(tables), BPF_MAP_TYPE_ARRAY, 4, sizeof(struct pl_cg_table) },
	[M_NODES] = { SKEL_MAP(nodes), BPF_MAP_TYPE_ARRAY, 4, sizeof(struct pl_cg_node) },
	[M_RANGES] = { SKEL_MAP(ranges), BPF_MAP_TYPE_ARRAY, 4, sizeof(struct pl_cg_port_range) },
	[M_SYSCTL] = { SKEL_MAP(sysctl_rules), BPF_MAP_TYPE_HASH, sizeof(struct pl_cg_sysctl_key),
		       sizeof(struct pl_cg_verdict), 0, false },
	[M_DEV] = { SKEL_MAP(dev_rules), BPF_MAP_TYPE_HASH, sizeof(struct pl_cg_dev_key),
		    sizeof(struct pl_cg_dev_val), 0, false },
	[M_NAMES] = { SKEL_MAP(rule_names), BPF_MAP_TYPE_HASH, sizeof(struct pl_cg_name_key),
		      sizeof(struct pl_cg_rule_name), 0, false },
	[M_EVENTS] = { SKEL_MAP(events), BPF_MAP_TYPE_RINGBUF, 0, 0 },
	[M_COUNTERS] = { SKEL_MAP(counters), BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8 },
	[M_GLOBAL] = { SKEL_MAP(global), BPF_MAP_TYPE_ARRAY, 4, sizeof(struct pl_cg_global) },
	[M_RAW_SOCKS] = { SKEL_MAP(raw_socks), BPF_MAP_TYPE_SK_STORAGE, 4, 4 },
};

static const struct {
	const char *name;
	size_t skel; /* offset of the struct bpf_program * in struct pl_cgroup */
	enum bpf_attach_type type;
} progs[] = {
	{ SKEL_PROG(pl_sock_create), BPF_CGROUP_INET_SOCK_CREATE },
	{ SKEL_PROG(pl_connect4), BPF_CGROUP_INET4_CONNECT },
	{ SKEL_PROG(pl_connect6), BPF_CGROUP_INET6_CONNECT },
	{ SKEL_PROG(pl_sendmsg4), BPF_CGROUP_UDP4_SENDMSG },
	{ SKEL_PROG(pl_sendmsg6), BPF_CGROUP_UDP6_SENDMSG },
	{ SKEL_PROG(pl_sysctl), BPF_CGROUP_SYSCTL },
	{ SKEL_PROG(pl_raw_egress), BPF_CGROUP_INET_EGRESS },
};
#define N_PROGS PL_ARRAY_SIZE(progs)
/* The device program (skel->progs.pl_dev): one instance, attached at the
 * cgroup v2 root (see bpf/cgroup.h), pinned as progs/dev and links/dev. */
_Static_assert(N_PROGS == PL_ENFORCER_LINKS_PER_CGROUP, "one link per program");

/* A policy's loaded programs (fds of the pinned instances). */
struct prog_set {
	uint32_t policy;
	int fd[N_PROGS];
};

/* A run of `nodes` or `ranges` owned by a live table. */
struct run {
	uint32_t first, count;
};

struct pl_cg_enforcer {
	char *pin_dir;
	int map_fd[M__MAX];
	struct prog_set *sets;
	size_t n_sets;
	/* The allocator of node and range runs: the runs of both table slots
	 * of every present policy, read from the maps (under the lock) before
	 * each allocation. */
	struct run *node_runs, *range_runs;
	size_t n_runs, cap_runs;   /* node_runs[i] and range_runs[i] belong to one table */
	uint32_t *run_table;       /* ... namely this table slot */
	int lock_fd;               /* <pin_dir>/maps, flock()ed by every writer */
	int grace_fd, grace_inner; /* see pl_enf_grace_period() */
	uint32_t *retired;         /* table slots replaced, not released yet */
	size_t n_retired, cap_retired;
	struct ring_buffer *rb;
	pl_enforcer_event_fn cb;
	void *userdata;
	int stop;
	struct pl_enforcer_txn *txn; /* open transaction (its staged slots are in use) */
};

/* A policy's rules written into its inactive slot, not in force yet. */
struct staged {
	uint32_t policy, table;
	struct pl_cg_policy next, old;
	bool stuck; /* the switch back failed: `table` is in force, keep it */
};

/* Keys of map `m` (one of the rule hash maps) that belong to table slot
 * `table`. */
struct keyset {
	uint8_t *v;
	size_t n, cap;
};

struct pl_enforcer_txn {
	struct pl_cg_enforcer *e;
	struct staged *v;
	size_t n, cap;
	/* Every key of the rule maps, read once per transaction: emptying each
	 * staged slot then needs no scan of the maps (a scan per policy made a
	 * reload of 1,000 policies quadratic in syscalls). Valid for the slots
	 * not written in this transaction (a key deleted since is ENOENT,
	 * ignored), which are the slots a stage empties; see table_keys. */
	struct keyset snap[M__MAX];
	bool have_snap, use_snap;
	/* The run allocator's runs, read once per transaction (the lock is
	 * held throughout, so no other process writes) and kept up to date by
	 * runs_add/runs_release: reading them again for each staged policy
	 * (every present policy's two table records) made a reload of 1,000
	 * policies quadratic in syscalls. */
	bool runs_loaded;
};

/* The skeleton's map map_desc[i] and program progs[i]. */
static inline struct bpf_map *pl_enf_skel_map(const struct pl_cgroup *skel, int i)
{
	return *(struct bpf_map *const *)((const char *)skel + map_desc[i].skel);
}

static inline struct bpf_program *pl_enf_skel_prog(const struct pl_cgroup *skel, size_t i)
{
	return *(struct bpf_program *const *)((const char *)skel + progs[i].skel);
}

/* enforcer.c */
void pl_enf_lock(struct pl_cg_enforcer *e);
void pl_enf_unlock(struct pl_cg_enforcer *e);
int pl_enf_sys_error(struct pl_diag *d, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void pl_enf_link_path(char *buf, size_t len, const char *dir, uint64_t cgroup_id, size_t prog);
int pl_enf_unlink_cgroup(const char *dir, uint64_t cgroup_id);
int pl_enf_count_links(const char *dir, uint64_t cgroup_id);

/* enforcer-progs.c */
int pl_enf_check_policy(uint32_t policy, struct pl_diag *d);
const int *pl_enf_load_progs(struct pl_cg_enforcer *e, uint32_t policy, struct pl_diag *d,
			     int *err);

/* enforcer-register.c */
int pl_enf_rebuild_levels(struct pl_cg_enforcer *e, bool keep);

/* enforcer-tables.c */
int pl_enf_runs_load(struct pl_cg_enforcer *e);
int pl_enf_grace_ready(struct pl_cg_enforcer *e);
int pl_enf_grace_period(struct pl_cg_enforcer *e);
int pl_enf_purge_all(struct pl_cg_enforcer *e, uint32_t table, bool wait_if_used);
int pl_enf_read_policy(struct pl_cg_enforcer *e, uint32_t policy, struct pl_cg_policy *ret);
bool pl_enf_is_retired(const struct pl_cg_enforcer *e, uint32_t table);
int pl_enf_release_retired(struct pl_cg_enforcer *e, struct pl_diag *d);
int pl_enf_retire(struct pl_cg_enforcer *e, uint32_t table);
int pl_enf_fill_table(struct pl_cg_enforcer *e, uint32_t table, const struct pl_bpf_tables *t,
		      uint16_t *hooks, struct pl_diag *d);

#endif
