/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pl_enforcer_txn_*: policies staged together move together, or not at all.
 *
 *   - staged policies are not in force before commit (a policy staged for
 *     the first time is absent; one in force keeps its table slot);
 *   - commit switches all of them; abort leaves all on their previous slots
 *     and empties the staged slots;
 *   - the egress trie runs of two policies staged for the first time in one
 *     transaction do not overlap (the run allocator counts staged slots);
 *   - a replaced rule set is released by pl_enforcer_release.
 * The step-by-step failures (each stage, each switch) are driven through
 * plastrond-fault in tests/runtime/lifecycle.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "cg-live.h"
#include "enforcer.h"
#include "plastron/bpf.h"
#include "plastron/policy.h"
#include "tap.h"

static char pin[200];

static void cleanup(void)
{
	remove_pins(pin);
}

static void show_diag(struct pl_diag *d)
{
	for (const struct pl_diag_entry *x = d->head; x; x = x->next) {
		char *s = pl_diag_format(x);
		if (s)
			tap_diag("%s", s);
		free(s);
	}
	pl_diag_clear(d);
}

/* Tables of a policy with egress rules: `n` /32 deny rules from 10.k.0.0 */
static struct pl_bpf_tables *egress_tables(int k, int n)
{
	char buf[8192];
	size_t o = 0;
	struct pl_policy_set *set = NULL;
	struct pl_bpf_tables *t = NULL;
	struct pl_diag d = { 0 };

	o += (size_t)snprintf(buf + o, sizeof(buf) - o,
			      "apiVersion: crd.varmor.org/v1beta1\nkind: VarmorPolicy\n"
			      "metadata: {name: t%d, namespace: default}\n"
			      "spec:\n  target: {kind: Deployment, name: t%d}\n  policy:\n"
			      "    enforcer: BPF\n    mode: EnhanceProtect\n    enhanceProtect:\n"
			      "      bpfRawRules:\n        network:\n          egress:\n"
			      "            toDestinations:\n",
			      k, k);
	for (int i = 0; i < n && o < sizeof(buf) - 100; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "            - ip: 10.%d.%d.%d\n",
				      k, i / 250, i % 250 + 1);
	if (pl_policy_set_load_buffer("txn", buf, o, &set, &d) == 0 && set->n == 1)
		pl_gen_cgroup_bpf(set->policies[0], NULL, NULL, &t, &d);
	show_diag(&d);
	pl_policy_set_free(set);
	return t;
}

static struct pl_cg_policy pinned_policy(uint32_t id)
{
	struct pl_cg_policy p = { 0 };
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/maps/policies", pin);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		bpf_map_lookup_elem(fd, &id, &p);
		close(fd);
	}
	return p;
}

static bool overlap(struct pl_cg_table a, struct pl_cg_table b)
{
	return a.node_count && b.node_count && a.node_first < b.node_first + b.node_count &&
	       b.node_first < a.node_first + a.node_count;
}

int main(void)
{
	struct pl_enforcer_opts o = { .pin_dir = pin };
	struct pl_cg_enforcer *e = NULL;
	struct pl_enforcer_txn *t = NULL;
	struct pl_diag d = { 0 };
	struct pl_bpf_tables *a = egress_tables(1, 20), *b = egress_tables(2, 30),
			     *c = egress_tables(3, 5);
	int r;

	if (geteuid() != 0) {
		TAP_SKIP("needs root (cgroup-BPF, bpffs)", "enforcer transactions, live");
		return tap_done();
	}
	if (!TAP_OK(a && b && c, "tables of three egress policies generated"))
		return tap_done();
	snprintf(pin, sizeof(pin), "/sys/fs/bpf/plastron-txntest-%d", (int)getpid());
	atexit(cleanup);
	r = pl_enforcer_install(&o, &e, &d);
	if (r == -EPERM || r == -EACCES || r == -ENOSYS || r == -EOPNOTSUPP) {
		TAP_SKIP(strerror(-r), "enforcer transactions, live: install the enforcer");
		show_diag(&d);
		return tap_done();
	}
	if (!TAP_OK(r == 0, "install an enforcer pinned in %s", pin)) {
		show_diag(&d);
		return tap_done();
	}

	/* 1. two fresh policies in one transaction */
	r = pl_enforcer_txn_begin(e, &t, &d);
	if (r == 0)
		r = pl_enforcer_txn_stage(t, 1, a, &d);
	if (r == 0)
		r = pl_enforcer_txn_stage(t, 2, b, &d);
	TAP_OK(r == 0, "stage policies 1 and 2 (%d)", r);
	TAP_OK(!pinned_policy(1).present && !pinned_policy(2).present,
	       "staged policies are not in force before commit");
	struct pl_cg_table s1 = pinned_slot(pin, 2), s2 = pinned_slot(pin, 4);
	TAP_OK(s1.node_count && s2.node_count && !overlap(s1, s2),
	       "the trie runs of two policies staged for the first time do not overlap "
	       "(%u+%u, %u+%u)",
	       s1.node_first, s1.node_count, s2.node_first, s2.node_count);
	TAP_OK(pl_enforcer_txn_stage(t, 1, a, &d) == -EEXIST, "a policy cannot be staged twice");
	pl_diag_clear(&d);
	r = pl_enforcer_txn_commit(t, &d);
	TAP_OK(r == 0 && pinned_policy(1).present && pinned_policy(1).table == 2 &&
		   pinned_policy(2).present && pinned_policy(2).table == 4,
	       "commit: both in force on their slots (%d)", r);
	show_diag(&d);

	/* 2. abort: nothing moves, the staged slots are emptied */
	r = pl_enforcer_txn_begin(e, &t, &d);
	if (r == 0)
		r = pl_enforcer_txn_stage(t, 1, b, &d);
	if (r == 0)
		r = pl_enforcer_txn_stage(t, 3, c, &d);
	TAP_OK(r == 0 && pinned_slot(pin, 3).node_count && pinned_slot(pin, 6).node_count,
	       "stage a new version of 1 and a fresh policy 3 (%d)", r);
	pl_enforcer_txn_abort(t);
	TAP_OK(pinned_policy(1).table == 2 && !pinned_policy(3).present,
	       "abort: policy 1 stays on its slot, policy 3 absent");
	TAP_OK(!pinned_slot(pin, 3).node_count && !pinned_slot(pin, 6).node_count,
	       "abort: the staged slots are empty");
	TAP_OK(!overlap(pinned_slot(pin, 2), pinned_slot(pin, 4)) && pinned_slot(pin, 2).node_count,
	       "abort: the rules in force are intact");

	/* 3. commit a new version; the old slot is released afterwards */
	r = pl_enforcer_txn_begin(e, &t, &d);
	if (r == 0)
		r = pl_enforcer_txn_stage(t, 1, c, &d);
	if (r == 0)
		r = pl_enforcer_txn_commit(t, &d);
	TAP_OK(r == 0 && pinned_policy(1).table == 3, "commit a new version of 1 (slot 3)");
	TAP_OK(pinned_slot(pin, 2).node_count, "the replaced rule set stays until release");
	r = pl_enforcer_release(e, &d);
	TAP_OK(r == 0 && !pinned_slot(pin, 2).node_count, "released after pl_enforcer_release");
	show_diag(&d);

	pl_bpf_tables_free(a);
	pl_bpf_tables_free(b);
	pl_bpf_tables_free(c);
	r = pl_enforcer_uninstall(e, &d);
	TAP_OK(r == 0 && access(pin, F_OK) < 0, "uninstall: %s is gone (%d)", pin, r);
	show_diag(&d);
	return tap_done();
}
