/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cgroup-BPF enforcer's loader (libbpf). Used by plastrond (later), the
 * OCI shim (later) and plastron-bpfctl.
 *
 * Lifecycle:
 *   install   create the shared maps and pin them under <pin_dir>/maps;
 *             load the device program and attach it at the cgroup v2 root
 *             (links/dev): runc detaches every device program it finds on
 *             a container's cgroup when it updates the container, so this
 *             one looks the caller's registration up by cgroup id instead.
 *   set_policy  load the policy's programs once (pl_policy = its id, pinned
 *             under <pin_dir>/progs/<id>/) and write its rules into the
 *             inactive table slot, then switch (one map update).
 *   register  attach the policy's programs to the cgroup through links
 *             pinned under <pin_dir>/links/<cgroup id>/ (re-registering with
 *             another policy swaps the programs on the same links). From
 *             then on enforcement lives in the kernel: it survives the
 *             loader's exit, and processes outside registered cgroups run
 *             none of our programs.
 *   open      re-adopt an installed enforcer (pinned maps; nothing loaded).
 *   set_mode  one map update.
 *   uninstall detach every link, unpin everything.
 *
 * Writers of one pin directory (set_policy, remove_policy, register,
 * unregister) exclude each other with flock() on <pin_dir>/maps, also
 * across processes; set_mode is one map update. Never prints.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf/cgroup.h"
#include "client/cgroup.h" /* cgroup ids: pld_cgroup_id() */
#include "plastron/bpf.h"
#include "plastron/apply.h"
#include "plastron/error.h"

#define PL_ENFORCER_PIN_DIR "/sys/fs/bpf/plastron"

struct pl_cg_enforcer;

struct pl_enforcer_opts {
	const char *pin_dir;   /* NULL: PL_ENFORCER_PIN_DIR */
	uint32_t ringbuf_size; /* install: bytes, a power of two >= page size; 0: default */
};

struct pl_enforcer_counters {
	uint64_t matched, denied, events, drops;
};

/* Create and pin the shared maps. -EEXIST when <pin_dir> already holds an
 * enforcer (use pl_enforcer_open). On failure nothing stays pinned. */
int pl_enforcer_install(const struct pl_enforcer_opts *o, struct pl_cg_enforcer **ret,
			struct pl_diag *d);
/* Re-adopt the enforcer pinned in <pin_dir>; -ENOENT when there is none.
 * Pins of another layout (a map missing or shaped differently: another
 * plastron version) give -EPROTO; pl_enforcer_purge removes them. */
int pl_enforcer_open(const struct pl_enforcer_opts *o, struct pl_cg_enforcer **ret,
		     struct pl_diag *d);
/* Detach and unpin whatever is pinned in <pin_dir>, whatever its layout,
 * without opening it (0 when there is nothing). */
int pl_enforcer_purge(const struct pl_enforcer_opts *o, struct pl_diag *d);
/* Close fds; enforcement stays in place. NULL-safe. */
void pl_enforcer_close(struct pl_cg_enforcer *e);
/* Unpin links and maps and remove <pin_dir>; closes `e`. */
int pl_enforcer_uninstall(struct pl_cg_enforcer *e, struct pl_diag *d);
/* Links pinned: PL_ENFORCER_LINKS_PER_CGROUP per registered cgroup, plus
 * the device program's at the cgroup v2 root; `expected` (may be NULL): how
 * many there should be. */
#define PL_ENFORCER_LINKS_PER_CGROUP 7
int pl_enforcer_links(const struct pl_cg_enforcer *e, int *expected);

/* Attach the programs of `policy` (1..65535; its programs are loaded if
 * set_policy has not done it) to cgroup `cgroup_id`, which must exist.
 * All or nothing: on failure the cgroup keeps what it had. Its
 * descendants (created before or after) are covered too; a descendant
 * registered with another policy runs both policies' programs (every one
 * must allow). Socket rules and egress rules follow the cgroup that
 * created the socket (the kernel's choice for these hooks); sysctl and
 * device rules the calling process's. */
int pl_enforcer_register(struct pl_cg_enforcer *e, uint64_t cgroup_id, uint32_t policy,
			 struct pl_diag *d);
/* Detach and forget; a cgroup that is gone already is cleaned up too. */
int pl_enforcer_unregister(struct pl_cg_enforcer *e, uint64_t cgroup_id, struct pl_diag *d);
/* The links pinned for a registered cgroup (and its policy); -ENOENT when
 * it is not registered. For status and tests. */
/* The bitmask of cgroup-tree levels the device program looks at (bit L:
 * level L), for tests. */
int pl_enforcer_levels(struct pl_cg_enforcer *e, uint32_t *ret);
int pl_enforcer_attached(struct pl_cg_enforcer *e, uint64_t cgroup_id, uint32_t *policy);
/* The cgroups the kernel's containers map binds to `policy` (malloc'd array
 * in *ret, *n entries; the caller frees it): what is in force whatever the
 * agent's state file says. */
int pl_enforcer_policy_cgroups(struct pl_cg_enforcer *e, uint32_t policy, uint64_t **ret,
			       size_t *n);
/* Replace a policy's rules atomically (written to the inactive table slot,
 * then switched with one map update). The live mode is kept. Loads the
 * policy's programs the first time. The replaced rule set stays until
 * pl_enforcer_release. */
int pl_enforcer_set_policy(struct pl_cg_enforcer *e, uint32_t policy, const struct pl_bpf_tables *t,
			   struct pl_diag *d);
int pl_enforcer_remove_policy(struct pl_cg_enforcer *e, uint32_t policy, struct pl_diag *d);
/* Several policies removed at once: one grace period and one read of the
 * rule maps for all of them (removing them one by one costs one of each per
 * policy). A policy whose removal fails stays in force; the others go.
 * Returns 0 or the first error (each one in `d`). */
int pl_enforcer_remove_policies(struct pl_cg_enforcer *e, const uint32_t *ids, size_t n,
				struct pl_diag *d);
/* The programs of `policy` loaded (or re-opened from their pins) ahead of a
 * stage or register, which otherwise do it the first time: loading a new
 * policy's set takes 45-200 ms (the verifier, seven programs), so an agent
 * that loads many does it one policy at a time between other work.
 * has_programs: this handle has them already (nothing to do). Nothing is
 * in force until a stage and commit (or register) uses them. */
int pl_enforcer_load_programs(struct pl_cg_enforcer *e, uint32_t policy, struct pl_diag *d);
bool pl_enforcer_has_programs(const struct pl_cg_enforcer *e, uint32_t policy);

/*
 * Transactions: several policies move to new rule sets together, or none
 * does. begin takes the writers' lock (held until commit or abort: no
 * other writer of this pin directory runs in between, and this handle must
 * not call the other writers meanwhile). stage writes a policy's new rules
 * into its inactive table slot (loading its programs the first time); no
 * program reads that slot yet, so a failed stage changes nothing in force.
 * commit switches every staged policy, one array-map update each (an update
 * of an existing index of an array map allocates nothing); should one fail,
 * the policies switched before it are switched back to their previous slots,
 * which are intact until pl_enforcer_release. abort (also after a failed
 * stage) empties the staged slots. Both end the transaction and free `t`.
 * A policy staged for the first time is absent until commit.
 */
struct pl_enforcer_txn;
int pl_enforcer_txn_begin(struct pl_cg_enforcer *e, struct pl_enforcer_txn **ret,
			  struct pl_diag *d);
int pl_enforcer_txn_stage(struct pl_enforcer_txn *t, uint32_t policy,
			  const struct pl_bpf_tables *tables, struct pl_diag *d);
int pl_enforcer_txn_commit(struct pl_enforcer_txn *t, struct pl_diag *d);
void pl_enforcer_txn_abort(struct pl_enforcer_txn *t);
#ifdef PL_ENFORCER_FAULT_INJECTION
/* Test builds only (-DPL_ENFORCER_FAULT_INJECTION; never in an installed
 * binary): called at each transaction step ("stage <id>", "switch <id>");
 * a negative return fails that step with it. */
extern int (*pl_enforcer_fault_hook)(const char *step);
#endif
/*
 * Programs pinned by another build (an older plastrond) are replaced by
 * this build's: a policy's pinned set whose tags differ from this build's
 * is swapped on the links of every cgroup registered with that policy
 * (BPF_LINK_UPDATE, no gap; links detached with a removed cgroup are
 * skipped), then in its pins and this handle's cache; the device program
 * likewise on its link at the root. Loads this build's programs once to
 * learn their tags (about 45 ms). `*replaced` counts the program sets
 * replaced (the device program counts as one). The maps stay: their layout
 * is checked by open. Another open handle keeps its cached programs.
 */
int pl_enforcer_upgrade(struct pl_cg_enforcer *e, int *replaced, struct pl_diag *d);
/* Release the rule sets that set_policy replaced: after one grace period
 * (pl_enforcer_sync) for all of them, their slots and trie runs are free.
 * Call it after a batch of updates; close calls it, and so does an update
 * that needs a replaced slot or, when the maps are full, its space. */
int pl_enforcer_release(struct pl_cg_enforcer *e, struct pl_diag *d);
/* Wait until every program run that started before the call has finished
 * (an RCU grace period: about 10 ms here). Release and remove_policy call
 * it before memory a program may still read is reused. */
int pl_enforcer_sync(struct pl_cg_enforcer *e, struct pl_diag *d);
int pl_enforcer_set_mode(struct pl_cg_enforcer *e, uint32_t policy, enum pl_bpf_mode mode,
			 struct pl_diag *d);
int pl_enforcer_get_mode(struct pl_cg_enforcer *e, uint32_t policy, enum pl_bpf_mode *ret);

/*
 * The canonical text of rule set `t` as it is written to a table slot
 * (tables-hash.c): one malloc'd line per rule name, socket, sysctl and
 * device entry, egress trie node (indices relative to the node run, from 1)
 * and port range (relative to the range run), and the roots and hooks, in
 * the formats below. pl_enforcer_canon_hash sorts the lines and hashes them
 * (FNV-1a 64 over each line and a '\n': 16 hex digits); tests read the same
 * lines back from the kernel maps (tests/runtime/prop-maps.c).
 */
#define PL_CANON_NAME "name %05u %s"
#define PL_CANON_SOCK "sock %u %u %u rule %u action %u"
#define PL_CANON_SYSCTL "sysctl %s rule %u action %u"
#define PL_CANON_DEV "dev %u %u:%u %u/%u %u/%u %u/%u"
#define PL_CANON_SKIP "node %05u skip %x %x %x %x %x"
#define PL_CANON_NODE "node %05u e %x %x %x %x %x %x %x %x %x %x %x %x %x %x %x %x"
#define PL_CANON_RANGE "range %05u %u-%u rule %u action %u"
#define PL_CANON_ROOTS "roots %x %x hooks %x"
int pl_enforcer_tables_canon(const struct pl_bpf_tables *t, char ***ret, size_t *n);
void pl_enforcer_canon_free(char **lines, size_t n);
void pl_enforcer_canon_hash(char **lines, size_t n, char out[17]);
int pl_enforcer_tables_hash(const struct pl_bpf_tables *t, char out[17]);
int pl_enforcer_counters(struct pl_cg_enforcer *e, struct pl_enforcer_counters *ret);

/* Consume ring-buffer events: calls `cb` per event; when none is there,
 * waits up to `timeout_ms` (0: no wait). Returns the number of events or
 * -errno. A callback returning non-zero stops early. The programs wake a
 * waiting consumer at most once per millisecond (every 50 us while the ring
 * is over a quarter full), so an event of a burst may become visible only at
 * the next call: call this at least every few hundred ms. */
typedef int (*pl_enforcer_event_fn)(void *userdata, const struct pl_cg_event *ev);
int pl_enforcer_poll(struct pl_cg_enforcer *e, pl_enforcer_event_fn cb, void *userdata,
		     int timeout_ms);

/* An fd that becomes readable when events are waiting (for an epoll loop;
 * then call pl_enforcer_poll with timeout 0; the loop must also call it
 * after an epoll timeout, see above). Owned by `e`. */
int pl_enforcer_events_fd(struct pl_cg_enforcer *e, pl_enforcer_event_fn cb, void *userdata);

/* One-line description of an event, for logs and tests. */
int pl_cg_event_format(const struct pl_cg_event *ev, char *buf, size_t len);
