/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pl_enforcer_sync waits for program runs in flight: what lets set_policy
 * and remove_policy reuse a replaced rule set's trie nodes and hash entries
 * without a program still reading them.
 *
 * A test program (spin.bpf.c) on a test cgroup's sysctl hook records the
 * start and end of each run and spins 2 ms; a child in that cgroup reads a
 * sysctl in a loop, so a run is almost always in flight. Each round reads
 * the run counter, calls pl_enforcer_sync, and then requires every run
 * numbered before the call to have ended, before the call returned. The
 * same rounds with a plain array-map update in place of the sync must see
 * runs still going (the control: the check can fail).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "egress-trie.h"
#include "enforcer.h"
#include "cg-live.h"
#include "plastron/bpf.h"
#include "spin.h"
#include "spin.skel.h"
#include "tap.h"

#define ROUNDS 40
#define FOREIGN_ROUNDS 12
#define FOREIGN_SPIN_NS 60000000ULL /* 60 ms */

static char cg2[512], cg[600], pin[200];
static pid_t child = -1;

static void stop_child(void)
{
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = -1;
	}
}

static void cleanup(void)
{
	stop_child();
	remove_pins(pin);
	if (cg[0])
		rmdir_retry(cg);
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct tally {
	int in_flight;             /* runs going when the call was made */
	int late;                  /* runs begun before the call, not ended before it returned */
	uint64_t total_ns, max_ns; /* how long the calls took */
};

/*
 * One round: runs numbered below the counter read before `wait` began
 * before it; each must have ended by the time `wait` returned.
 */
static int round_once(struct spin_bpf *skel, int (*prep)(void *), int (*wait)(void *), void *arg,
		      struct tally *t)
{
	int runs = bpf_map__fd(skel->maps.runs), next = bpf_map__fd(skel->maps.next);
	uint32_t zero = 0;
	uint64_t n0 = 0, called, returned;
	int r;

	if (prep && (r = prep(arg)) < 0)
		return r;
	/* Call while a run is going (the child may be slow to get a CPU on
	 * a loaded machine): its start is seen, its end not yet. */
	for (int tries = 0;; tries++) {
		struct spin_run run = { 0 };
		uint32_t slot;

		if (tries == 30000)
			return -ETIMEDOUT; /* 3 s without a run seen going */
		if (bpf_map_lookup_elem(next, &zero, &n0) < 0)
			return -errno;
		slot = (uint32_t)((n0 - 1) % SPIN_RUNS);
		if (n0 && bpf_map_lookup_elem(runs, &slot, &run) == 0 && run.seq == n0 - 1 &&
		    run.start && !run.end)
			break;
		usleep(100);
	}
	called = mono_ns();
	r = wait(arg);
	returned = mono_ns();
	if (r < 0)
		return r;
	t->total_ns += returned - called;
	if (returned - called > t->max_ns)
		t->max_ns = returned - called;
	for (uint64_t seq = n0 > 4 ? n0 - 4 : 0; seq < n0; seq++) {
		uint32_t slot = (uint32_t)(seq % SPIN_RUNS);
		struct spin_run run;

		if (bpf_map_lookup_elem(runs, &slot, &run) < 0)
			return -errno;
		if (run.seq != seq || run.end == 0 || run.end > returned)
			t->late++;
		else if (run.end > called)
			t->in_flight++;
	}
	return 0;
}

static int do_sync(void *e)
{
	struct pl_diag d = { 0 };
	int r = pl_enforcer_sync(e, &d);

	pl_diag_clear(&d);
	return r;
}

/* e writes policy 5 (its previous rule set is retired, not released),
 * then e2's update of policy 5 is the measured call: it needs that slot. */
struct foreign {
	struct pl_cg_enforcer *e, *e2;
	struct pl_bpf_tables *small;
	int done;
};

static int foreign_prepare(void *arg)
{
	struct foreign *f = arg;
	struct pl_diag d = { 0 };
	int r = pl_enforcer_set_policy(f->e, 5, f->small, &d);

	pl_diag_clear(&d);
	return r;
}

static int do_foreign_update(void *arg)
{
	struct foreign *f = arg;
	struct pl_diag d = { 0 };
	int r = pl_enforcer_set_policy(f->e2, 5, f->small, &d);

	pl_diag_clear(&d);
	if (r == 0)
		f->done++;
	return r;
}

static int do_plain_update(void *fd)
{
	uint32_t k = 0, v = 1;

	return bpf_map_update_elem(*(int *)fd, &k, &v, BPF_ANY) < 0 ? -errno : 0;
}

/* A rule set of `n` IPv4 /32 deny rules, spread over the address space. */
static struct pl_bpf_tables *big_tables(size_t n)
{
	struct pl_bpf_tables *t = calloc(1, sizeof(*t));

	if (!t || !(t->rules = calloc(1, sizeof(*t->rules))) ||
	    !(t->rules[0] = strdup("bpfRawRules.network.egress[0]")) ||
	    !(t->egress = calloc(n, sizeof(*t->egress)))) {
		pl_bpf_tables_free(t);
		return NULL;
	}
	t->n_rules = 1;
	for (size_t i = 0; i < n; i++) {
		struct pl_bpf_egress_entry *x = &t->egress[i];
		uint32_t a = htonl((uint32_t)(i + 1) * 2654435761u); /* a bijection */

		x->family = AF_INET;
		memcpy(x->addr, &a, 4);
		x->prefix_len = 32;
		x->n = 1;
		x->r[0] = (struct pl_bpf_port_range){ 0, 65535, PL_BPF_ACT_DENY_LOG, 0 };
	}
	t->n_egress = n;
	return t;
}

/* A rule set of `n` sysctl deny rules (hash-map entries, no trie). */
static struct pl_bpf_tables *sysctl_tables(size_t n)
{
	struct pl_bpf_tables *t = calloc(1, sizeof(*t));

	if (!t || !(t->rules = calloc(1, sizeof(*t->rules))) ||
	    !(t->rules[0] = strdup("test-sysctl")) ||
	    !(t->sysctl = calloc(n, sizeof(*t->sysctl)))) {
		pl_bpf_tables_free(t);
		return NULL;
	}
	t->n_rules = 1;
	for (size_t i = 0; i < n; i++) {
		snprintf(t->sysctl[i].name, sizeof(t->sysctl[i].name), "kernel/test%06zu", i);
		t->sysctl[i].action = PL_BPF_ACT_DENY;
	}
	t->n_sysctl = n;
	return t;
}

static size_t nodes_of(const struct pl_bpf_tables *t)
{
	struct pl_egress_trie x;
	size_t n = 0;

	if (pl_egress_trie_build(t, &x) == 0) {
		n = x.n_nodes;
		pl_egress_trie_free(&x);
	}
	return n;
}

static struct pl_cg_table slot_of(uint32_t slot)
{
	return pinned_slot(pin, slot);
}

/*
 * A replaced rule set keeps its nodes until pl_enforcer_release, and no
 * longer: with policy 1 written twice (its rule set in force and the one it
 * replaced, each over a third of the node pool), policy 2 of the same size
 * still fits, because the update releases the replaced rule set when space
 * runs out. (An update needs room for the rule set in force and the new
 * one at once, so one policy can take at most half of the pool.)
 */
static void release_checks(struct pl_cg_enforcer *e)
{
	struct pl_bpf_tables *big = NULL;
	struct pl_diag d = { 0 };
	struct pl_cg_table a, b, c;
	size_t n = 4096, nodes = 0;
	int r;

	while (n < (1u << 20)) {
		pl_bpf_tables_free(big);
		big = big_tables(n);
		nodes = big ? nodes_of(big) : 0;
		if (!big || nodes > PL_CG_MAX_NODES * 35 / 100)
			break;
		n += n / 8;
	}
	if (!TAP_OK(big && nodes > PL_CG_MAX_NODES / 3 && nodes < PL_CG_MAX_NODES / 2,
		    "a rule set of %zu /32s takes %zu of the %u trie nodes", n, nodes,
		    PL_CG_MAX_NODES)) {
		pl_bpf_tables_free(big);
		return;
	}
	r = pl_enforcer_set_policy(e, 1, big, &d);
	if (r == 0)
		r = pl_enforcer_set_policy(e, 1, big, &d);
	a = slot_of(2);
	b = slot_of(3);
	TAP_OK(r == 0 && a.node_count == nodes && b.node_count == nodes,
	       "policy 1 written twice: the rule set in force and the replaced one both hold "
	       "their nodes");
	r = pl_enforcer_set_policy(e, 2, big, &d);
	a = slot_of(2);
	b = slot_of(3);
	c = slot_of(4);
	TAP_OK(r == 0 && c.node_count == nodes && !a.node_count && b.node_count == nodes,
	       "policy 2 of the same size fits: the update released policy 1's replaced rule "
	       "set to make room (%s)",
	       d.head ? d.head->message : "no error");
	pl_diag_clear(&d);
	r = pl_enforcer_remove_policy(e, 1, &d);
	TAP_OK(r == 0 && !slot_of(2).node_count && !slot_of(3).node_count,
	       "removing policy 1 frees both its slots");
	pl_diag_clear(&d);

	pl_bpf_tables_free(big);
	big = big_tables(8);
	r = big ? pl_enforcer_set_policy(e, 2, big, &d) : -ENOMEM;
	a = slot_of(4);
	TAP_OK(r == 0 && a.node_count && slot_of(5).node_count,
	       "policy 2 replaced by a small rule set: the replaced one keeps its nodes");
	r = pl_enforcer_release(e, &d);
	TAP_OK(r == 0 && !slot_of(4).node_count && slot_of(5).node_count,
	       "pl_enforcer_release frees them; the rule set in force stays");
	r = pl_enforcer_remove_policy(e, 2, &d);
	TAP_OK(r == 0 && !slot_of(4).node_count && !slot_of(5).node_count,
	       "removing policy 2 frees both its slots");
	pl_diag_clear(&d);

	/* The same for a hash map: policy 1 with 40 % of the sysctl map
	 * written twice, then policy 2 with 30 %. */
	pl_bpf_tables_free(big);
	big = sysctl_tables(PL_CG_MAX_SYSCTL * 2 / 5);
	r = big ? pl_enforcer_set_policy(e, 1, big, &d) : -ENOMEM;
	if (r == 0)
		r = pl_enforcer_set_policy(e, 1, big, &d);
	pl_bpf_tables_free(big);
	big = sysctl_tables(PL_CG_MAX_SYSCTL * 3 / 10);
	if (r == 0)
		r = big ? pl_enforcer_set_policy(e, 2, big, &d) : -ENOMEM;
	TAP_OK(r == 0,
	       "sysctl map: policy 2 fits once policy 1's replaced rule set is released "
	       "(%s)",
	       d.head ? d.head->message : "no error");
	pl_diag_clear(&d);
	pl_enforcer_remove_policy(e, 1, &d);
	pl_enforcer_remove_policy(e, 2, &d);
	pl_diag_clear(&d);
	pl_bpf_tables_free(big);
}

int main(void)
{
	struct pl_enforcer_opts o = { .pin_dir = pin, .ringbuf_size = 4096 };
	struct pl_cg_enforcer *e = NULL;
	struct spin_bpf *skel = NULL;
	struct bpf_link *link = NULL;
	struct tally ts = { 0 }, tp = { 0 }, tf = { 0 };
	struct pl_diag d = { 0 };
	int cg_fd = -1, plain = -1, r = 0;

	if (geteuid() != 0) {
		TAP_SKIP("needs root (cgroup-BPF, cgroup v2, bpffs)", "pl_enforcer_sync, live");
		return tap_done();
	}
	if (pld_cgroup_mount(cg2, sizeof(cg2)) < 0) {
		TAP_SKIP("no cgroup v2 mount in /proc/self/mountinfo", "pl_enforcer_sync, live");
		return tap_done();
	}
	atexit(cleanup);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	snprintf(pin, sizeof(pin), "/sys/fs/bpf/plastron-synctest-%d", (int)getpid());
	snprintf(cg, sizeof(cg), "%s/plastron-synctest-%d", cg2, (int)getpid());
	if (!TAP_OK(mkdir(cg, 0755) == 0, "test cgroup %s", cg))
		return tap_done();

	r = pl_enforcer_install(&o, &e, &d);
	if (!TAP_OK(r == 0, "install an enforcer pinned in %s (%s)", pin,
		    d.head ? d.head->message : "ok"))
		return tap_done();
	pl_diag_clear(&d);

	skel = spin_bpf__open_and_load();
	cg_fd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (skel && cg_fd >= 0)
		link = bpf_program__attach_cgroup(skel->progs.pl_spin, cg_fd);
	if (!TAP_OK(skel && link, "spin program loaded and attached to the test cgroup%s%s",
		    skel && link ? "" : ": ", skel && link ? "" : strerror(errno)))
		goto out;

	{
		uint64_t t0 = mono_ns(), worst = 0;
		for (int i = 0; i < 20 && r == 0; i++) {
			uint64_t t1 = mono_ns();
			r = do_sync(e);
			if (mono_ns() - t1 > worst)
				worst = mono_ns() - t1;
		}
		TAP_OK(r == 0,
		       "pl_enforcer_sync with nothing running: %.2f ms on average, %.2f "
		       "ms at most",
		       (mono_ns() - t0) / 1e6 / 20, worst / 1e6);
	}

	child = fork();
	if (child == 0) {
		char buf[64];
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (join_cgroup(cg) < 0)
			_exit(1);
		for (;;) {
			int fd = open("/proc/sys/kernel/ostype", O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				(void)!read(fd, buf, sizeof(buf));
				close(fd);
			}
		}
	}
	usleep(50000);

	for (int i = 0; i < ROUNDS && r == 0; i++)
		r = round_once(skel, NULL, do_sync, e, &ts);
	if (r < 0)
		tap_diag("a round failed: %s", strerror(-r));
	TAP_OK(r == 0 && ts.late == 0,
	       "pl_enforcer_sync: every run begun before the call ended before it returned "
	       "(%d late, %d rounds)",
	       ts.late, ROUNDS);
	tap_diag("pl_enforcer_sync took %.2f ms on average, %.2f ms at most (a run spins %.0f ms)",
		 ts.total_ns / 1e6 / ROUNDS, ts.max_ns / 1e6, SPIN_NS / 1e6);
	TAP_OK(ts.in_flight >= ROUNDS / 4,
	       "runs were in flight at the calls, so the waits were real (%d of %d rounds)",
	       ts.in_flight, ROUNDS);

	/* Another writer updates a policy whose inactive slot this one
	 * replaced and has not released: it waits before emptying it. */
	{
		struct pl_cg_enforcer *e2 = NULL;
		struct pl_bpf_tables *small = big_tables(8);
		struct foreign f = { .small = small };

		uint32_t zero = 0;
		uint64_t spin = FOREIGN_SPIN_NS, dflt = 0;

		/* runs longer than an update that does not wait */
		bpf_map_update_elem(bpf_map__fd(skel->maps.config), &zero, &spin, BPF_ANY);
		r = pl_enforcer_open(&(struct pl_enforcer_opts){ .pin_dir = pin }, &e2, &d);
		f.e2 = e2;
		f.e = e;
		if (r == 0 && small)
			r = pl_enforcer_set_policy(e, 5, small, &d);
		for (int i = 0; i < FOREIGN_ROUNDS && r == 0 && small; i++)
			r = round_once(skel, foreign_prepare, do_foreign_update, &f, &tf);
		if (r < 0)
			tap_diag("a round failed: %s", strerror(-r));
		TAP_OK(r == 0 && small && tf.late == 0 && f.done == FOREIGN_ROUNDS &&
			   tf.in_flight >= FOREIGN_ROUNDS / 4,
		       "a second writer re-using a slot the first replaced and did not release "
		       "waits for runs in flight (%d late, %d in flight, %d rounds; %s)",
		       tf.late, tf.in_flight, f.done, d.head ? d.head->message : "ok");
		tap_diag("the second writer's updates took %.2f ms on average, %.2f ms at most "
			 "(a run spins %.0f ms)",
			 tf.total_ns / 1e6 / FOREIGN_ROUNDS, tf.max_ns / 1e6, spin / 1e6);
		bpf_map_update_elem(bpf_map__fd(skel->maps.config), &zero, &dflt, BPF_ANY);
		pl_diag_clear(&d);
		pl_enforcer_remove_policy(e, 5, &d);
		pl_diag_clear(&d);
		pl_enforcer_close(e2);
		pl_bpf_tables_free(small);
	}

	plain = bpf_map_create(BPF_MAP_TYPE_ARRAY, "pl_plain", 4, 4, 1, NULL);
	for (int i = 0; i < ROUNDS && r == 0 && plain >= 0; i++)
		r = round_once(skel, NULL, do_plain_update, &plain, &tp);
	if (r < 0)
		tap_diag("a round failed: %s", strerror(-r));
	TAP_OK(r == 0 && plain >= 0 && tp.late >= ROUNDS / 4,
	       "control: a plain map update returns with runs still going (%d late of %d "
	       "rounds), so the check above can fail",
	       tp.late, ROUNDS);
	if (plain >= 0)
		close(plain);

	release_checks(e);

out:
	stop_child();
	bpf_link__destroy(link);
	spin_bpf__destroy(skel);
	if (cg_fd >= 0)
		close(cg_fd);
	r = pl_enforcer_uninstall(e, &d);
	TAP_OK(r == 0, "uninstall the enforcer");
	pl_diag_clear(&d);
	return tap_done();
}
