/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test-cgroup-live, part 3 of 3: the groups of checks main calls: nesting
 * (links per registered cgroup, nested and many registrations), the node
 * and range allocator, pins of an older layout, the loader process and the
 * live mode switch of a running process.
 */
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "enforcer.h"
#include "cg-test.h"
#include "plastron/bpf.h"
#include "cg-live.h"
#include "tap.h"

#include "test-cgroup-live.h"

/* Programs of type `type` effective in cgroup `path` (attached there or
 * above; `flags` BPF_F_QUERY_EFFECTIVE) or attached to it (0), -1 on
 * error. */
static int progs_in(const char *path, enum bpf_attach_type type, __u32 flags)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;
	__u32 ids[64], n = 64;

	if (fd < 0)
		return -1;
	r = bpf_prog_query(fd, type, flags, NULL, ids, &n);
	close(fd);
	return r < 0 ? -1 : (int)n;
}

static int effective(const char *path, enum bpf_attach_type type)
{
	return progs_in(path, type, BPF_F_QUERY_EFFECTIVE);
}

static int attached(const char *path, enum bpf_attach_type type)
{
	return progs_in(path, type, 0);
}

/*
 * The programs are attached to each registered cgroup (links pinned per
 * cgroup): its descendants are covered, other cgroups run none of them,
 * re-registration swaps the programs on the same links, and a nested
 * registration adds its policy's programs. `e` has exactly cg_in
 * (policy 1, raw ICMP denied) registered.
 */
void nesting_checks(struct pl_cg_enforcer *e, uint64_t id_in)
{
	char l1[720], l2[740], l3[760], gone[720];
	uint32_t lv_in = 99, lv1 = 99, lv3 = 99, pol = 0;
	uint64_t id1 = 0, id_gone = 0;
	struct pl_bpf_tables empty = { 0 };
	struct pl_diag d = { 0 };
	char p[PATH_MAX];
	int r, n;

	snprintf(l1, sizeof(l1), "%s/lv1", cg_in);
	snprintf(l2, sizeof(l2), "%s/lv2", l1);
	snprintf(l3, sizeof(l3), "%s/lv3", l2);
	snprintf(gone, sizeof(gone), "%s/gone", cg_parent);
	if (mkdir(l1, 0755) < 0 || mkdir(l2, 0755) < 0 || mkdir(l3, 0755) < 0 ||
	    mkdir(gone, 0755) < 0 || pld_cgroup_id(l1, &id1) < 0 ||
	    pld_cgroup_id(gone, &id_gone) < 0) {
		TAP_OK(false, "mkdir %s: %s", l3, strerror(errno));
		goto out;
	}
	r = pld_cgroup_level(id_in, &lv_in);
	if (r == 0)
		r = pld_cgroup_level(id1, &lv1);
	TAP_OK(r == 0 && lv1 == lv_in + 1, "cgroup levels: %s at %u, its child at %u", cg_in, lv_in,
	       lv1);
	TAP_OK(pld_cgroup_level(0x7fffffffffffull, &lv3) == -ENOENT,
	       "the level of a cgroup id that does not exist: -ENOENT");
	TAP_OK(pl_enforcer_register(e, 0x7fffffffffffull, 1, &d) < 0 && d.head,
	       "registering a cgroup id that does not exist is refused");
	pl_diag_clear(&d);
	n = pl_enforcer_attached(e, 0x7fffffffffffull, NULL);
	TAP_OK(n == -ENOENT, "... and leaves nothing registered (%d)", n);
	n = pl_enforcer_attached(e, id_in, &pol);
	TAP_OK(n == PL_ENFORCER_LINKS_PER_CGROUP && pol == 1,
	       "the registered cgroup has its %d links, policy %u", n, pol);
	TAP_OK(effective(cg_in, BPF_CGROUP_INET4_CONNECT) == 1 &&
		   effective(l3, BPF_CGROUP_INET4_CONNECT) == 1,
	       "one connect4 program effective in the registered cgroup and below it");
	TAP_OK(effective(cg_out, BPF_CGROUP_INET4_CONNECT) == 0 &&
		   effective(cg2, BPF_CGROUP_INET_SOCK_CREATE) == 0,
	       "no plastron program effective in an unregistered sibling or the root");
	TAP_OK(attached(cg_in, BPF_CGROUP_DEVICE) == 0 && effective(cg_in, BPF_CGROUP_DEVICE) >= 1,
	       "no device program on the registered cgroup itself (runc update detaches those); "
	       "the one at the root is effective there");
	{
		uint32_t m = 0;

		r = pl_enforcer_levels(e, &m);
		TAP_OK(r == 0 && m == 1u << lv_in,
		       "the device program looks at level %u only (%#x)", lv_in, m);
	}
	EXPECT(l2, false, p_socket, &raw_icmp, EPERM,
	       "registered cgroup at level %u, caller 2 levels deeper: enforced", lv_in);
	EXPECT(l3, false, p_socket, &raw_icmp, EPERM,
	       "caller 3 levels below the registered cgroup: enforced");

	/* Another policy on the same links, and back. */
	r = pl_enforcer_set_policy(e, 2, &empty, &d);
	if (r == 0)
		r = pl_enforcer_register(e, id_in, 2, &d);
	n = pl_enforcer_attached(e, id_in, &pol);
	TAP_OK(r == 0 && n == PL_ENFORCER_LINKS_PER_CGROUP && pol == 2 &&
		   effective(cg_in, BPF_CGROUP_INET4_CONNECT) == 1,
	       "re-registered with policy 2 (no rule): same %d links, programs swapped", n);
	EXPECT(l2, false, p_socket, &raw_icmp, 0, "under policy 2: raw ICMP works");
	r = pl_enforcer_register(e, id_in, 1, &d);
	EXPECT(l2, false, p_socket, &raw_icmp, EPERM, "back to policy 1: enforced again");
	pl_enforcer_remove_policy(e, 2, &d);

	/* A nested registration adds its programs; both must allow. */
	r = pl_enforcer_register(e, id1, 1, &d);
	TAP_OK(r == 0 && effective(l3, BPF_CGROUP_INET4_CONNECT) == 2 &&
		   effective(cg_in, BPF_CGROUP_INET4_CONNECT) == 1,
	       "register a child too: two connect4 programs below it, one above");
	pl_enforcer_unregister(e, id_in, &d);
	n = pl_enforcer_attached(e, id_in, NULL);
	snprintf(p, sizeof(p), "%s/links/%llu", pin, (unsigned long long)id_in);
	TAP_OK(n == -ENOENT && access(p, F_OK) < 0 &&
		   effective(cg_in, BPF_CGROUP_INET4_CONNECT) == 0,
	       "unregister the parent: its links and pins are gone");
	EXPECT(cg_in, false, p_socket, &raw_icmp, 0, "parent no longer registered: allowed");
	EXPECT(l3, false, p_socket, &raw_icmp, EPERM, "below the still registered child: enforced");
	pl_enforcer_unregister(e, id1, &d);
	EXPECT(l3, false, p_socket, &raw_icmp, 0, "nothing registered: allowed");
	r = pl_enforcer_register(e, id_in, 1, &d);
	EXPECT(l2, false, p_socket, &raw_icmp, EPERM, "registered again: enforced");

	/* A registered cgroup that disappears is cleaned up by unregister. */
	r = pl_enforcer_register(e, id_gone, 1, &d);
	TAP_OK(r == 0 && rmdir(gone) == 0, "register a cgroup, then remove the cgroup");
	r = pl_enforcer_unregister(e, id_gone, &d);
	snprintf(p, sizeof(p), "%s/links/%llu", pin, (unsigned long long)id_gone);
	TAP_OK(r == 0 && access(p, F_OK) < 0 && pl_enforcer_attached(e, id_gone, NULL) == -ENOENT,
	       "unregistering the removed cgroup leaves no pin behind (%d)", r);
	{
		int want, links = pl_enforcer_links(e, &want);

		TAP_OK(links == PL_ENFORCER_LINKS_PER_CGROUP + 1 && want == links,
		       "status: %d links pinned of %d expected", links, want);
	}

	/* Many registrations: each cgroup its own links, all removed again. */
	{
		enum { MANY = 1000 };
		static uint64_t ids[MANY];
		int ok_reg = 0, ok_unreg = 0, want = 0, links;
		char path[800];

		for (int i = 0; i < MANY; i++) {
			snprintf(path, sizeof(path), "%s/many-%d", cg_parent, i);
			if (mkdir(path, 0755) == 0 && pld_cgroup_id(path, &ids[i]) == 0 &&
			    pl_enforcer_register(e, ids[i], 1, &d) == 0)
				ok_reg++;
		}
		links = pl_enforcer_links(e, &want);
		TAP_OK(ok_reg == MANY && links == want &&
			   want == (MANY + 1) * PL_ENFORCER_LINKS_PER_CGROUP + 1,
		       "%d more cgroups registered: %d links pinned of %d expected", ok_reg, links,
		       want);
		snprintf(path, sizeof(path), "%s/many-%d", cg_parent, MANY - 1);
		EXPECT(path, false, p_socket, &raw_icmp, EPERM, "the last of them is enforced");
		for (int i = 0; i < MANY; i++) {
			if (ids[i] && pl_enforcer_unregister(e, ids[i], &d) == 0)
				ok_unreg++;
			snprintf(path, sizeof(path), "%s/many-%d", cg_parent, i);
			rmdir(path);
		}
		links = pl_enforcer_links(e, &want);
		TAP_OK(ok_unreg == MANY && links == PL_ENFORCER_LINKS_PER_CGROUP + 1 &&
			   want == links,
		       "all %d unregistered: %d links left (the first registration's)", ok_unreg,
		       links);
	}
out:
	for (const struct pl_diag_entry *x = d.head; x; x = x->next)
		tap_diag("%s", x->message);
	pl_diag_clear(&d);
	rmdir(gone);
	rmdir(l3);
	rmdir(l2);
	rmdir(l1);
}

/* The trie runs of a policy's table slot, read from the pinned maps. */
static struct pl_cg_table slot_of(uint32_t slot)
{
	return pinned_slot(pin, slot);
}

static bool runs_overlap(const struct pl_cg_table *a, const struct pl_cg_table *b)
{
	return (a->node_count && b->node_count && a->node_first < b->node_first + b->node_count &&
		b->node_first < a->node_first + a->node_count) ||
	       (a->range_count && b->range_count &&
		a->range_first < b->range_first + b->range_count &&
		b->range_first < a->range_first + a->range_count);
}

/*
 * The node and range allocator: a new rule set never shares nodes with the
 * one in force while it is written; the replaced one keeps its nodes until
 * it is released after a grace period (see test-sync-live), then they are
 * reused; two loaders writing policies into one pin directory never share
 * nodes (each allocation reads the runs in use afresh, under a lock).
 */
void allocator_checks(struct pl_cg_enforcer *e, const struct pl_bpf_tables *t)
{
	struct pl_cg_enforcer *e2 = NULL;
	struct pl_diag d = { 0 };
	struct pl_cg_table s4, s5, s6, s7, p3, first;
	int r;

	r = pl_enforcer_set_policy(e, 2, t, &d);
	first = slot_of(4);
	if (r == 0)
		r = pl_enforcer_set_policy(e, 2, t, &d);
	s4 = slot_of(4);
	s5 = slot_of(5);
	TAP_OK(r == 0 && first.node_count && first.range_count && s5.node_count &&
		   !runs_overlap(&first, &s5) && s4.node_first == first.node_first &&
		   s4.node_count == first.node_count,
	       "policy 2 written twice: the second rule set got its own nodes (%u+%u, then "
	       "%u+%u), the replaced one keeps its nodes until released",
	       first.node_first, first.node_count, s5.node_first, s5.node_count);
	if (r == 0)
		r = pl_enforcer_set_policy(e, 2, t, &d);
	s4 = slot_of(4);
	s5 = slot_of(5);
	TAP_OK(r == 0 && s4.node_first == first.node_first && s4.node_count == first.node_count &&
		   s4.range_first == first.range_first && s5.node_count,
	       "a third write releases the replaced rule set first and reuses its nodes "
	       "(%u+%u)",
	       s4.node_first, s4.node_count);
	r = pl_enforcer_open(&(struct pl_enforcer_opts){ .pin_dir = pin }, &e2, &d);
	if (r == 0)
		r = pl_enforcer_set_policy(e2, 3, t, &d);
	p3 = slot_of(6);
	TAP_OK(r == 0 && p3.node_count && !runs_overlap(&p3, &s4) && !runs_overlap(&p3, &s5),
	       "two loaders on one pin directory: policy 3, written by the second, shares no "
	       "node or range with policy 2's rule set in force or the one not released yet");
	if (r == 0)
		r = pl_enforcer_set_policy(e, 2, t, &d); /* e has not seen policy 3 */
	p3 = slot_of(6);
	s5 = slot_of(5);
	TAP_OK(r == 0 && s5.node_count && !runs_overlap(&p3, &s5),
	       "... nor with the rule set the first loader writes next (%u+%u against %u+%u)",
	       p3.node_first, p3.node_count, s5.node_first, s5.node_count);
	pl_enforcer_remove_policy(e2, 3, &d);
	s6 = slot_of(6);
	s7 = slot_of(7);
	TAP_OK(!s6.node_count && !s7.node_count, "removing policy 3 releases both of its slots");
	pl_enforcer_remove_policy(e, 2, &d);
	pl_enforcer_close(e2);
	for (const struct pl_diag_entry *x = d.head; x; x = x->next)
		tap_diag("%s", x->message);
	pl_diag_clear(&d);
}

/* Pins of another layout are refused by open (-EPROTO, never taken for
 * "nothing installed") and removed by pl_enforcer_purge. */
void old_layout_checks(void)
{
	char dir[300], p[400];
	struct pl_cg_enforcer *e = NULL;
	struct pl_diag d = { 0 };
	int fd, r, r2;

	snprintf(dir, sizeof(dir), "%s-old", pin);
	snprintf(p, sizeof(p), "%s/maps", dir);
	mkdir(dir, 0700);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/links", dir);
	mkdir(p, 0700);
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, NULL, 8, 8, 16, NULL);
	snprintf(p, sizeof(p), "%s/maps/containers", dir);
	r = fd >= 0 ? bpf_obj_pin(fd, p) : -1;
	snprintf(p, sizeof(p), "%s/links/pl_connect4", dir); /* the old links/<program> */
	if (r == 0)
		r = bpf_obj_pin(fd, p);
	if (fd >= 0)
		close(fd);
	if (!TAP_OK(r == 0, "pins of an older layout made in %s", dir))
		return;
	r = pl_enforcer_open(&(struct pl_enforcer_opts){ .pin_dir = dir }, &e, &d);
	TAP_OK(r == -EPROTO && d.head && strstr(d.head->message, "another plastron version"),
	       "open refuses them: %s", d.head ? d.head->message : "(no message)");
	pl_diag_clear(&d);
	r = pl_enforcer_install(&(struct pl_enforcer_opts){ .pin_dir = dir }, &e, &d);
	pl_diag_clear(&d);
	r2 = pl_enforcer_purge(&(struct pl_enforcer_opts){ .pin_dir = dir }, &d);
	TAP_OK(r == -EEXIST && r2 == 0 && access(dir, F_OK) < 0,
	       "install over them is refused; purge removes them all (%d, %d)", r, r2);
	pl_diag_clear(&d);
}

int loader(struct pl_bpf_tables *t, uint64_t id)
{
	struct pl_enforcer_opts o = { .pin_dir = pin, .ringbuf_size = 4096 };
	struct pl_cg_enforcer *e = NULL;
	struct pl_diag d = { 0 };
	int r = pl_enforcer_install(&o, &e, &d);

	if (r == 0)
		r = pl_enforcer_set_policy(e, 1, t, &d);
	if (r == 0)
		r = pl_enforcer_register(e, id, 1, &d);
	for (const struct pl_diag_entry *x = d.head; x; x = x->next)
		fprintf(stderr, "loader: %s\n", x->message);
	pl_enforcer_close(e); /* the pins keep everything alive */
	return r < 0 ? 1 : 0;
}

/* The live mode switch reaches a process that keeps running: a looping
 * child reports every change of its socket() result. (How fast a switch
 * takes effect is measured by bench/cgroup/bench-mode-switch, not here; the
 * 3 s poll below only keeps a broken switch from hanging the test.) */
void mode_switch(struct pl_cg_enforcer *e)
{
	struct pl_diag d = { 0 };
	int fds[2], rec;
	bool ok = true;
	int n = 0;

	if (pipe(fds) < 0) {
		TAP_OK(false, "mode switch: pipe");
		return;
	}
	looper = fork();
	if (looper == 0) {
		int state = -1;

		close(fds[0]);
		prctl(PR_SET_NAME, "pl-looper");
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (join_cgroup(cg_in) < 0)
			_exit(1);
		for (;;) {
			int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
			int s = fd >= 0;

			if (fd >= 0)
				close(fd);
			if (s != state) {
				state = s;
				if (write(fds[1], &s, sizeof(s)) != sizeof(s))
					_exit(2);
			}
		}
	}
	close(fds[1]);

	struct pollfd pfd = { .fd = fds[0], .events = POLLIN };
#define READ_REC() (poll(&pfd, 1, 3000) == 1 && read(fds[0], &rec, sizeof(rec)) == sizeof(rec))
	if (!READ_REC() || rec) {
		TAP_OK(false, "mode switch: looping child starts denied");
		ok = false;
	}
	for (int i = 0; ok && i < 10; i++) {
		if (pl_enforcer_set_mode(e, 1, PL_BPF_MODE_AUDIT, &d) < 0 || !READ_REC() || !rec ||
		    pl_enforcer_set_mode(e, 1, PL_BPF_MODE_AS_WRITTEN, &d) < 0 || !READ_REC() ||
		    rec) {
			ok = false;
			break;
		}
		n++;
	}
#undef READ_REC
	pl_diag_clear(&d);
	TAP_OK(ok && n == 10,
	       "live mode switch deny -> audit -> deny, 10 times, same child process (pid %d)",
	       (int)looper);
	kill(looper, SIGKILL);
	waitpid(looper, NULL, 0);
	looper = -1;
	close(fds[0]);
}
