/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The egress matcher, live: the connect4/connect6 programs' trie walk and
 * port match (src/bpf/cgroup.bpf.c: trie_walk, match_ports) against the
 * user-space model (pl_egress_trie_find) and a naive longest-prefix
 * reference, on this kernel (root).
 *
 * Each round builds a random policy by hand: unique IPv4 and IPv6 prefixes
 * (mostly long ones, a few long single paths such as ::1/128 and
 * fd00:1:2:3:4:5:6:7/128, some address-only), each with its own port
 * ranges, folded like the generator folds them (every entry also carries
 * the ranges of every entry enclosing it, so the longest match alone
 * decides; a prefix that would need more than PL_BPF_MAX_PORT_RANGES is
 * dropped). The policy is installed in an enforcer with its own pins and
 * registered on a fresh cgroup. A child joins that cgroup, enters a private
 * network namespace (no routes, nothing leaves) and UDP-connects to every
 * query: the connect4/6 hook runs before the route lookup, so EPERM means
 * the program denied and anything else (ENETUNREACH, EADDRNOTAVAIL) that
 * it allowed.
 * Queries are near the entries (host bits random, sometimes just outside)
 * or anywhere, some v4-mapped (::ffff:a.b.c.d, which the programs look up
 * as IPv4), with ports biased towards the edges of the matching ranges.
 * The same connects in an unregistered sibling cgroup must see no EPERM.
 *
 * PLASTRON_TRIE_SEED (a number) changes the random inputs; a mismatch is
 * reported with the query and every entry enclosing it.
 *
 * This file: main, the test's cgroups and pins and their cleanup, and one
 * round (policy written, connects checked against the reference). The
 * random policy of a round is made in test-cgroup-trie-live-policy.c; the
 * queries, the connects in a child, the user-space model and the mismatch
 * reports in test-cgroup-trie-live-probe.c; what they share in
 * test-cgroup-trie-live.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "egress-trie.h"
#include "enforcer.h"
#include "plastron/bpf.h"
#include "cg-live.h"
#include "tap.h"
#include "trie-test.h"

#include "test-cgroup-trie-live.h"

#define ROUNDS 2

static char cg2[512], cg_parent[600], cg_in[700], cg_ctl[700], pin[256];
pid_t child = -1; /* killed by cleanup() */
static pid_t self_pid;

/* ---- cleanup ---------------------------------------------------------------- */

static void cleanup(void)
{
	if (getpid() != self_pid)
		return;
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = -1;
	}
	remove_pins(pin);
	if (cg_in[0])
		rmdir_retry(cg_in);
	if (cg_ctl[0])
		rmdir_retry(cg_ctl);
	if (cg_parent[0])
		rmdir_retry(cg_parent);
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void show_diag(struct pl_diag *d)
{
	for (const struct pl_diag_entry *x = d->head; x; x = x->next)
		tap_diag("%s", x->message);
	pl_diag_clear(d);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- one round ------------------------------------------------------------------- */

static bool run_round(int round, struct pl_cg_enforcer *e, uint64_t id_in, struct query *qs,
		      int32_t *res)
{
	struct round rd;
	struct pl_diag d = { 0 };
	size_t differ = 0, denied = 0, ctl_eperm = 0, ctl_bad = 0;
	size_t fam_denied[2] = { 0 }, fam_allowed[2] = { 0 }, mapped = 0, matched = 0;
	const char *fail;
	double t0, t1;
	int r;

	if (make_round(round, &rd) < 0) {
		TAP_OK(false, "round %d: out of memory", round);
		return false;
	}
	r = pl_enforcer_set_policy(e, 1, &rd.t, &d);
	if (r == 0 && round == 0)
		r = pl_enforcer_register(e, id_in, 1, &d);
	if (!TAP_OK(
		r == 0,
		"round %d: policy of %zu entries (%zu IPv4, %zu IPv6; %zu ranges after folding, "
		"%zu prefixes dropped for more than %d) written%s",
		round, rd.n_eg, rd.n_v4, rd.n_v6, rd.n_ranges, rd.dropped, PL_BPF_MAX_PORT_RANGES,
		round == 0 ? " and the cgroup registered" : "")) {
		show_diag(&d);
		round_free(&rd);
		return false;
	}
	pl_diag_clear(&d);
	make_queries(&rd, qs);
	for (size_t i = 0; i < QUERIES; i++) {
		mapped += qs[i].family != qs[i].lfam;
		matched += qs[i].ref != NULL;
	}
	check_model(round, &rd, qs);

	t0 = now();
	fail = connect_all(cg_in, qs, res);
	t1 = now();
	if (!TAP_OK(!fail, "round %d: %d connects in the registered cgroup ran (%.3f s)", round,
		    QUERIES, t1 - t0)) {
		tap_diag("%s", fail);
		round_free(&rd);
		return false;
	}
	for (size_t i = 0; i < QUERIES; i++) {
		const struct query *q = &qs[i];
		bool got = res[i] == EPERM;

		if (res[i] < 0 || got != q->want) {
			if (differ++ < SHOW_MISMATCHES) {
				char what[160];

				snprintf(what, sizeof(what), "round %d query %zu: kernel %s (%s)",
					 round, i,
					 res[i] < 0 ? "no socket"
					 : got      ? "denies"
						    : "allows",
					 strerror(res[i] < 0 ? -res[i] : res[i]));
				show_query(&rd, q, what);
			}
			continue;
		}
		denied += got;
		if (got)
			fam_denied[q->family == AF_INET6]++;
		else
			fam_allowed[q->family == AF_INET6]++;
	}
	TAP_OK(differ == 0,
	       "round %d: %d connects: kernel verdicts = reference (%zu differ; %zu denied; "
	       "%zu matched an entry, %zu v4-mapped)",
	       round, QUERIES, differ, denied, matched, mapped);
	TAP_OK(fam_denied[0] >= 50 && fam_allowed[0] >= 50,
	       "round %d: IPv4 sockets: %zu connects denied, %zu allowed, as expected", round,
	       fam_denied[0], fam_allowed[0]);
	TAP_OK(fam_denied[1] >= 50 && fam_allowed[1] >= 50,
	       "round %d: IPv6 sockets: %zu connects denied, %zu allowed, as expected", round,
	       fam_denied[1], fam_allowed[1]);

	/* The same connects where no program runs: EPERM never comes from
	 * anything but the programs. */
	fail = connect_all(cg_ctl, qs, res);
	for (size_t i = 0; !fail && i < QUERIES; i++) {
		ctl_eperm += res[i] == EPERM;
		ctl_bad += res[i] < 0;
	}
	TAP_OK(!fail && ctl_eperm == 0 && ctl_bad == 0,
	       "round %d: control: the same connects in an unregistered sibling cgroup: %zu EPERM",
	       round, ctl_eperm);
	if (fail)
		tap_diag("%s", fail);
	round_free(&rd);
	return true;
}

int main(void)
{
	struct pl_enforcer_opts o = { .pin_dir = pin, .ringbuf_size = 4096 };
	struct pl_cg_enforcer *e = NULL;
	struct pl_diag d = { 0 };
	struct query *qs;
	int32_t *res;
	uint64_t id_in = 0;
	const char *seed = getenv("PLASTRON_TRIE_SEED");
	double t0 = now();
	int r;

	self_pid = getpid();
	if (seed && *seed)
		rng_state = strtoull(seed, NULL, 0) | 1;
	if (geteuid() != 0) {
		TAP_SKIP("needs root (cgroup-BPF, cgroup v2, bpffs)",
			 "cgroup-BPF egress trie, live");
		return tap_done();
	}
	if (pld_cgroup_mount(cg2, sizeof(cg2)) < 0) {
		TAP_SKIP("no cgroup v2 mount in /proc/self/mountinfo",
			 "cgroup-BPF egress trie, live");
		return tap_done();
	}
	tap_diag("seed %#llx (PLASTRON_TRIE_SEED), cgroup v2 at %s", (unsigned long long)rng_state,
		 cg2);
	atexit(cleanup);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	snprintf(pin, sizeof(pin), "/sys/fs/bpf/plastron-trietest-%d", (int)self_pid);
	snprintf(cg_parent, sizeof(cg_parent), "%s/plastron-trietest-%d", cg2, (int)self_pid);
	snprintf(cg_in, sizeof(cg_in), "%s/c", cg_parent);
	snprintf(cg_ctl, sizeof(cg_ctl), "%s/ctl", cg_parent);
	if (mkdir(cg_parent, 0755) < 0 || mkdir(cg_in, 0755) < 0 || mkdir(cg_ctl, 0755) < 0 ||
	    pld_cgroup_id(cg_in, &id_in) < 0) {
		TAP_OK(false, "create test cgroups under %s: %s", cg2, strerror(errno));
		return tap_done();
	}

	r = pl_enforcer_install(&o, &e, &d);
	if (r == -EPERM || r == -EACCES || r == -ENOSYS || r == -EOPNOTSUPP) {
		TAP_SKIP(strerror(-r), "cgroup-BPF egress trie, live: install the enforcer");
		show_diag(&d);
		return tap_done();
	}
	if (!TAP_OK(r == 0, "install an enforcer pinned in %s", pin)) {
		show_diag(&d);
		return tap_done();
	}

	/* Before fork: the child writes its results where the parent reads. */
	qs = calloc(QUERIES, sizeof(*qs));
	res = mmap(NULL, QUERIES * sizeof(*res), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		   -1, 0);
	if (!qs || res == MAP_FAILED) {
		TAP_OK(false, "allocate the queries");
		free(qs);
		pl_enforcer_close(e);
		return tap_done();
	}
	for (int round = 0; round < ROUNDS; round++)
		if (!run_round(round, e, id_in, qs, res))
			break;
	free(qs);
	munmap(res, QUERIES * sizeof(*res));

	r = pl_enforcer_unregister(e, id_in, &d);
	TAP_OK(r == 0 && pl_enforcer_attached(e, id_in, NULL) == -ENOENT,
	       "unregister the cgroup (%d)", r);
	r = pl_enforcer_uninstall(e, &d);
	TAP_OK(r == 0 && access(pin, F_OK) < 0, "uninstall: %s is gone (%d)", pin, r);
	show_diag(&d);
	rmdir_retry(cg_in);
	rmdir_retry(cg_ctl);
	rmdir_retry(cg_parent);
	TAP_OK(access(cg_parent, F_OK) < 0, "test cgroups removed");
	cg_in[0] = cg_ctl[0] = cg_parent[0] = 0;
	tap_diag("%.2f s in all", now() - t0);
	return tap_done();
}
