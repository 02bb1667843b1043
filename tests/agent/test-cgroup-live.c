/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup-BPF enforcer, live on this kernel (root). Everything runs in
 * cgroup v2 directories this test creates under the v2 mount, with pins in
 * its own directory under /sys/fs/bpf; connecting children run in network
 * namespaces they create themselves (addresses on their own lo), so no
 * packet leaves. Cleanup (cgroups, pins, links, temp files) also runs on
 * failure and on SIGTERM.
 *
 * Every denial is checked against the same probe outside the registered
 * cgroup, where it must succeed: a test that cannot tell the two apart
 * fails.
 *
 * This file: main (the numbered steps in order), the test's cgroups and
 * pins and their cleanup. The policies, the probes run in children and the
 * event collection are in test-cgroup-live-probes.c; the groups of checks
 * main calls (nesting, allocator, old layout, loader, mode switch) in
 * test-cgroup-live-checks.c; what they share in test-cgroup-live.h.
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

char cg2[512], cg_parent[600], cg_in[700], cg_out[700];
static char cg_rootreg[700];
char pin[256];
static char pin_root[256], tmpdir[64];
pid_t looper = -1, child = -1; /* killed by cleanup() */
static pid_t self_pid;

/* ---- cleanup ---------------------------------------------------------------- */

static void cleanup(void)
{
	char p[800];

	if (getpid() != self_pid)
		return;
	if (looper > 0) {
		kill(looper, SIGKILL);
		waitpid(looper, NULL, 0);
		looper = -1;
	}
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		child = -1;
	}
	remove_pins(pin);
	remove_pins(pin_root);
	if (pin[0]) {
		snprintf(p, sizeof(p), "%s-old", pin);
		remove_pins(p);
	}
	if (cg_in[0])
		rmdir_retry(cg_in);
	if (cg_out[0])
		rmdir_retry(cg_out);
	if (cg_rootreg[0])
		rmdir_retry(cg_rootreg);
	if (cg_parent[0])
		rmdir_retry(cg_parent);
	if (tmpdir[0]) {
		snprintf(p, sizeof(p), "%s/disk", tmpdir);
		unlink(p);
		snprintf(p, sizeof(p), "%s/full", tmpdir);
		unlink(p);
		rmdir(tmpdir);
	}
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* ---- the test -------------------------------------------------------------------- */

const struct sock_arg raw_icmp = { AF_INET, SOCK_RAW, IPPROTO_ICMP };
static const struct sock_arg raw_icmp6 = { AF_INET6, SOCK_RAW, IPPROTO_ICMPV6 };
static const struct sock_arg tcp6 = { AF_INET6, SOCK_STREAM, 0 };
static const struct sock_arg tcp4 = { AF_INET, SOCK_STREAM, 0 };
static const struct sock_arg udp6 = { AF_INET6, SOCK_DGRAM, 0 };

int main(void)
{
	struct pl_cg_enforcer *e = NULL;
	struct pl_diag d = { 0 };
	struct pl_enforcer_counters c0, c1;
	struct pl_bpf_tables *t;
	uint64_t id_in = 0, id_root = 0;
	struct dev_arg disk = { 0 };
	char diskpath[128];
	static char fullpath[128];
	struct dev_arg full = { fullpath, makedev(1, 7) };
	int r, fd;

	self_pid = getpid();

	if (geteuid() != 0) {
		TAP_SKIP("needs root (cgroup-BPF, cgroup v2, bpffs)", "cgroup-BPF live tests");
		return tap_done();
	}
	if (pld_cgroup_mount(cg2, sizeof(cg2)) < 0) {
		TAP_SKIP("no cgroup v2 mount in /proc/self/mountinfo", "cgroup-BPF live tests");
		return tap_done();
	}
	atexit(cleanup);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	snprintf(cg_parent, sizeof(cg_parent), "%s/plastron-test-%d", cg2, (int)self_pid);
	snprintf(cg_in, sizeof(cg_in), "%s/in", cg_parent);
	snprintf(cg_out, sizeof(cg_out), "%s/out", cg_parent);
	snprintf(cg_rootreg, sizeof(cg_rootreg), "%s/plastron-test-%d-root", cg2, (int)self_pid);
	snprintf(pin, sizeof(pin), "/sys/fs/bpf/plastron-test-%d", (int)self_pid);
	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/plastron-test-%d-root", (int)self_pid);
	if (mkdir(cg_parent, 0755) < 0 || mkdir(cg_in, 0755) < 0 || mkdir(cg_out, 0755) < 0 ||
	    mkdir(cg_rootreg, 0755) < 0) {
		TAP_OK(false, "create test cgroups under %s: %s", cg2, strerror(errno));
		return tap_done();
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/plastron-cgtest-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		tmpdir[0] = '\0';
		TAP_OK(false, "mkdtemp");
		return tap_done();
	}
	fd = open("/proc/sys/kernel/core_pattern", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, core_value, sizeof(core_value) - 1) <= 0) {
		TAP_OK(false, "read core_pattern");
		return tap_done();
	}
	close(fd);
	{
		FILE *f = fopen("/proc/partitions", "re");
		char line[256];
		unsigned ma, mi;
		unsigned long long blocks;
		char name[64];

		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "%u %u %llu %63s", &ma, &mi, &blocks, name) == 4) {
				disk.dev = makedev(ma, mi);
				break;
			}
		if (f)
			fclose(f);
		snprintf(diskpath, sizeof(diskpath), "%s/disk", tmpdir);
		disk.path = diskpath;
	}

	t = policy_tables();
	TAP_OK(t != NULL, "generate the live policy's tables");
	if (!t)
		return tap_done();
	if (pld_cgroup_id(cg_in, &id_in) < 0 || pld_cgroup_id(cg_rootreg, &id_root) < 0) {
		TAP_OK(false, "cgroup ids");
		return tap_done();
	}

	/* Sanity: before anything is loaded, the probes succeed everywhere. */
	EXPECT(cg_in, false, p_socket, &raw_icmp, 0, "before install: raw ICMP socket works");

	/* 1. A loader process installs, writes the policy and exits. */
	{
		pid_t pid = fork();
		int st = -1;

		if (pid == 0)
			_exit(loader(t, id_in));
		waitpid(pid, &st, 0);
		TAP_OK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		       "loader process installed, registered and exited");
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			return tap_done();
	}
	EXPECT(cg_in, false, p_socket, &raw_icmp, EPERM,
	       "after the loader exited: raw ICMP socket -> EPERM (pinned links enforce)");
	r = pl_enforcer_open(&(struct pl_enforcer_opts){ .pin_dir = pin }, &e, &d);
	TAP_OK(r == 0 && pl_enforcer_links(e, NULL) == PL_ENFORCER_LINKS_PER_CGROUP + 1,
	       "re-adopt the pinned enforcer (%d links for the cgroup, the device program's at "
	       "the root)",
	       PL_ENFORCER_LINKS_PER_CGROUP);
	if (r < 0)
		return tap_done();
	r = pl_enforcer_install(&(struct pl_enforcer_opts){ .pin_dir = pin },
				&(struct pl_cg_enforcer *){ NULL }, &d);
	TAP_OK(r == -EEXIST, "a second install over the pins is refused (%d)", r);
	pl_diag_clear(&d);
	pl_enforcer_counters(e, &c0);

	/* 2. sock_create */
	EXPECT(cg_out, false, p_socket, &raw_icmp, 0,
	       "unregistered sibling cgroup: raw ICMP works");
	EXPECT(NULL, false, p_socket, &raw_icmp, 0, "test's own cgroup: raw ICMP works");
	EXPECT(cg_in, false, p_socket, &raw_icmp6, EPERM, "inside: raw ICMPv6 socket -> EPERM");
	EXPECT(cg_out, false, p_socket, &raw_icmp6, 0, "outside: raw ICMPv6 socket works");
	EXPECT(cg_in, false, p_socket, &tcp6, EPERM, "inside: inet6 stream (raw rule) -> EPERM");
	EXPECT(cg_in, false, p_socket, &udp6, 0, "inside: inet6 dgram still allowed");
	EXPECT(cg_in, false, p_socket, &tcp4, 0, "inside: inet stream still allowed");

	/* 3. egress, inside private network namespaces */
	{
		struct net_arg meta = { "169.254.169.254", "169.254.169.254", 80, SOCK_STREAM };
		struct net_arg meta2 = { "100.100.100.200", "100.100.100.200", 80, SOCK_STREAM };
		struct net_arg other = { "10.20.0.5", "10.20.0.5", 80, SOCK_STREAM };
		/* inet6 stream sockets are denied by the raw socket rule: UDP here */
		struct net_arg mapped = {
			"169.254.169.254", "::ffff:169.254.169.254", 80, SOCK_DGRAM, 0, true
		};
		struct net_arg mapped_send = { "169.254.169.254", "::ffff:169.254.169.254", 80,
					       SOCK_DGRAM };
		struct net_arg meta6 = { "fd00:ec2::254", "fd00:ec2::254", 80, SOCK_DGRAM };
		struct net_arg udp = { "169.254.169.254", "169.254.169.254", 53, SOCK_DGRAM };
		struct net_arg r8050 = { "10.30.0.5", "10.30.0.5", 8050, SOCK_STREAM };
		struct net_arg r8000 = { "10.30.0.5", "10.30.0.5", 8000, SOCK_STREAM };
		struct net_arg r8100u = { "10.30.0.5", "10.30.0.5", 8100, SOCK_DGRAM };
		struct net_arg r8101 = { "10.30.0.5", "10.30.0.5", 8101, SOCK_STREAM };
		struct net_arg r7999 = { "10.30.0.5", "10.30.0.5", 7999, SOCK_STREAM };
		struct net_arg v6deny = { "2001:db8:7::1", "2001:db8:7::1", 443, SOCK_DGRAM };
		struct net_arg v6ok = { "2001:db8:8::1", "2001:db8:8::1", 443, SOCK_DGRAM };

		EXPECT(cg_out, true, p_net, &meta, 0,
		       "outside: connect 169.254.169.254:80 (netns listener) works");
		EXPECT(cg_in, true, p_net, &meta, EPERM,
		       "inside: connect 169.254.169.254:80 -> EPERM");
		EXPECT(cg_in, true, p_net, &meta2, EPERM,
		       "inside: connect 100.100.100.200:80 -> EPERM");
		EXPECT(cg_in, true, p_net, &other, 0, "inside: connect 10.20.0.5:80 works");
		EXPECT(cg_out, true, p_net, &mapped, 0,
		       "outside: UDP connect ::ffff:169.254.169.254 works");
		EXPECT(cg_in, true, p_net, &mapped, EPERM,
		       "inside: UDP connect6 to v4-mapped ::ffff:169.254.169.254 -> EPERM");
		EXPECT(cg_out, true, p_net, &mapped_send, 0,
		       "outside: UDP sendto ::ffff:169.254.169.254 works");
		EXPECT(cg_in, true, p_net, &mapped_send, EPERM,
		       "inside: UDP sendmsg6 to v4-mapped ::ffff:169.254.169.254 -> EPERM");
		EXPECT(cg_out, true, p_net, &meta6, 0,
		       "outside: UDP sendmsg6 to fd00:ec2::254 works");
		EXPECT(cg_in, true, p_net, &meta6, EPERM,
		       "inside: UDP sendmsg6 to fd00:ec2::254 -> EPERM");
		EXPECT(cg_out, true, p_net, &udp, 0,
		       "outside: UDP sendto 169.254.169.254:53 works");
		EXPECT(cg_in, true, p_net, &udp, EPERM,
		       "inside: UDP sendto 169.254.169.254:53 -> EPERM");
		EXPECT(cg_out, true, p_net, &r8050, 0, "outside: connect 10.30.0.5:8050 works");
		EXPECT(cg_in, true, p_net, &r8050, EPERM,
		       "inside: raw egress 10.30.0.0/16 ports 8000-8100: 8050 -> EPERM");
		EXPECT(cg_in, true, p_net, &r8000, EPERM,
		       "inside: port 8000 (range start) -> EPERM");
		EXPECT(cg_in, true, p_net, &r8100u, EPERM,
		       "inside: UDP port 8100 (range end) -> EPERM");
		EXPECT(cg_in, true, p_net, &r8101, 0, "inside: port 8101 works");
		EXPECT(cg_in, true, p_net, &r7999, 0, "inside: port 7999 works");
		EXPECT(cg_in, true, p_net, &v6deny, EPERM, "inside: 2001:db8:7::/48 -> EPERM");
		EXPECT(cg_in, true, p_net, &v6ok, 0, "inside: 2001:db8:8::1 works");
	}

	/* 3b. port-only egress (vArmor `toDestinations: - ports: [...]` with no
	 * address, decoded from YAML): the port on every address, IPv4, IPv6
	 * and v4-mapped, also where a longer prefix has rules of its own */
	{
		struct net_arg p4 = { "10.20.0.5", "10.20.0.5", 9443, SOCK_STREAM };
		struct net_arg p4u = { "10.20.0.5", "10.20.0.5", 9443, SOCK_DGRAM };
		struct net_arg p4next = { "10.20.0.5", "10.20.0.5", 9444, SOCK_STREAM };
		struct net_arg p4fold = { "10.30.0.5", "10.30.0.5", 9443, SOCK_STREAM };
		struct net_arg p4meta = { "10.40.0.5", "10.40.0.5", 9443, SOCK_STREAM };
		struct net_arg p6 = { "2001:db8:8::1", "2001:db8:8::1", 9443, SOCK_DGRAM };
		struct net_arg p6next = { "2001:db8:8::1", "2001:db8:8::1", 9442, SOCK_DGRAM };
		struct net_arg p6fold = { "2001:db8:7::1", "2001:db8:7::1", 9443, SOCK_DGRAM };
		struct net_arg pmap = {
			"10.20.0.5", "::ffff:10.20.0.5", 9443, SOCK_DGRAM, 0, true
		};
		struct net_arg pmap_send = { "10.20.0.5", "::ffff:10.20.0.5", 9443, SOCK_DGRAM };
		struct net_arg paudit = { "10.20.0.5", "10.20.0.5", 9505, SOCK_STREAM };
		struct net_arg paudit6 = { "2001:db8:8::1", "2001:db8:8::1", 9510, SOCK_DGRAM };

		EXPECT(cg_out, true, p_net, &p4, 0, "outside: connect 10.20.0.5:9443 works");
		EXPECT(cg_in, true, p_net, &p4, EPERM,
		       "inside: port-only 9443: connect 10.20.0.5:9443 -> EPERM");
		EXPECT(cg_in, true, p_net, &p4u, EPERM,
		       "inside: port-only 9443: UDP sendto 10.20.0.5:9443 -> EPERM");
		EXPECT(cg_in, true, p_net, &p4next, 0, "inside: connect 10.20.0.5:9444 works");
		EXPECT(cg_in, true, p_net, &p4fold, EPERM,
		       "inside: port-only 9443 folded into 10.30.0.0/16 (ports 8000-8100) -> "
		       "EPERM");
		EXPECT(cg_in, true, p_net, &p4meta, EPERM,
		       "inside: port-only 9443 stronger than 10.40.0.0/24 [audit] -> EPERM");
		EXPECT(cg_out, true, p_net, &p6, 0,
		       "outside: UDP sendmsg6 [2001:db8:8::1]:9443 works");
		EXPECT(cg_in, true, p_net, &p6, EPERM,
		       "inside: port-only 9443: UDP sendmsg6 [2001:db8:8::1]:9443 -> EPERM");
		EXPECT(cg_in, true, p_net, &p6next, 0,
		       "inside: UDP sendmsg6 [2001:db8:8::1]:9442 works");
		EXPECT(cg_in, true, p_net, &p6fold, EPERM,
		       "inside: port-only 9443 within 2001:db8:7::/48 -> EPERM");
		EXPECT(cg_out, true, p_net, &pmap, 0,
		       "outside: UDP connect6 ::ffff:10.20.0.5:9443 works");
		EXPECT(cg_in, true, p_net, &pmap, EPERM,
		       "inside: port-only 9443: UDP connect6 v4-mapped ::ffff:10.20.0.5 -> EPERM");
		EXPECT(cg_in, true, p_net, &pmap_send, EPERM,
		       "inside: port-only 9443: UDP sendmsg6 v4-mapped ::ffff:10.20.0.5 -> EPERM");
		EXPECT(cg_in, true, p_net, &paudit, 0,
		       "inside: port-only 9500-9510 [audit]: connect 10.20.0.5:9505 allowed");
		EXPECT(cg_in, true, p_net, &paudit6, 0,
		       "inside: port-only 9500-9510 [audit]: UDP [2001:db8:8::1]:9510 allowed");
	}

	/* 3a. raw sockets: their sendto()/send() pass no connect/sendmsg hook;
	 * address-only egress rules reach their packets at cgroup_skb/egress.
	 * (Raw ICMP sockets are refused at creation by disable-icmp: UDP here.) */
	{
		struct raw_arg meta = { AF_INET, SOCK_RAW, IPPROTO_UDP, "169.254.169.254" };
		struct raw_arg meta_c = { AF_INET, SOCK_RAW, IPPROTO_UDP, "169.254.169.254", true };
		struct raw_arg meta6 = { AF_INET6, SOCK_RAW, IPPROTO_UDP, "fd00:ec2::254" };
		struct raw_arg ports = { AF_INET, SOCK_RAW, IPPROTO_UDP, "10.30.0.5" };
		struct raw_arg other = { AF_INET, SOCK_RAW, IPPROTO_UDP, "10.20.0.5" };

		EXPECT(cg_out, true, p_raw_send, &meta, 0,
		       "outside: raw socket sendto 169.254.169.254 works");
		EXPECT(cg_in, true, p_raw_send, &meta, EPERM,
		       "inside: raw socket sendto 169.254.169.254 -> EPERM (cgroup_skb/egress)");
		EXPECT(cg_out, true, p_raw_send, &meta_c, 0,
		       "outside: raw socket connect + send 169.254.169.254 works");
		EXPECT(cg_in, true, p_raw_send, &meta_c, EPERM,
		       "inside: raw socket connect + send 169.254.169.254 -> EPERM");
		EXPECT(cg_out, true, p_raw_send, &meta6, 0,
		       "outside: raw inet6 socket sendto fd00:ec2::254 works");
		EXPECT(cg_in, true, p_raw_send, &meta6, EPERM,
		       "inside: raw inet6 socket sendto fd00:ec2::254 -> EPERM");
		struct raw_arg ports_udp = { AF_INET,     SOCK_RAW, IPPROTO_UDP,
					     "10.30.0.5", false,    8050 };
		struct raw_arg ports_udp_ok = { AF_INET,     SOCK_RAW, IPPROTO_UDP,
						"10.30.0.5", false,    8101 };

		EXPECT(cg_in, true, p_raw_send, &ports, 0,
		       "inside: raw sendto 10.30.0.5, no UDP header: ports 8000-8100 rule not hit");
		EXPECT(cg_out, true, p_raw_send, &ports_udp, 0,
		       "outside: raw sendto 10.30.0.5, hand-written UDP header to 8050 works");
		EXPECT(cg_in, true, p_raw_send, &ports_udp, EPERM,
		       "inside: raw sendto 10.30.0.5, hand-written UDP header to 8050 -> EPERM");
		EXPECT(cg_in, true, p_raw_send, &ports_udp_ok, 0,
		       "inside: raw sendto 10.30.0.5, hand-written UDP header to 8101 works");
		EXPECT(cg_in, true, p_raw_send, &other, 0, "inside: raw sendto 10.20.0.5 works");
	}

	/* 3b. a policy with 1,024 CIDR rules is enforced like a small one */
	{
		struct pl_bpf_tables *big = big_tables();
		struct net_arg last = { "10.20.4.255", "10.20.4.255", 80, SOCK_DGRAM, 0, true };
		struct net_arg other = { "10.20.0.5", "10.20.0.5", 80, SOCK_DGRAM, 0, true };

		r = big ? pl_enforcer_set_policy(e, 1, big, &d) : -ENOMEM;
		TAP_OK(r == 0, "write a policy of 1,024 CIDR rules (%zu egress entries)",
		       big ? big->n_egress : 0);
		EXPECT(cg_in, true, p_net, &last, EPERM,
		       "1,024 CIDR rules: UDP connect 10.20.4.255 (the last rule) -> EPERM");
		EXPECT(cg_out, true, p_net, &last, 0, "1,024 CIDR rules: outside it works");
		EXPECT(cg_in, true, p_net, &other, 0,
		       "1,024 CIDR rules: UDP connect 10.20.0.5 (no rule) works");
		r = pl_enforcer_set_policy(e, 1, t, &d);
		TAP_OK(r == 0, "the live policy written back");
		pl_diag_clear(&d);
		pl_bpf_tables_free(big);
	}

	/* 3c. ICMP ping sockets: sendto() passes no sendmsg hook either (their
	 * connect() does pass connect4/6). A policy without disable-icmp. */
	{
		static struct pl_egress_rule eg[3];
		struct pl_policy p = { .name = "ping" };
		struct pl_bpf_tables *pt = NULL;
		struct raw_arg meta = { AF_INET, SOCK_DGRAM, IPPROTO_ICMP, "169.254.169.254" };
		struct raw_arg meta_c = { AF_INET, SOCK_DGRAM, IPPROTO_ICMP, "169.254.169.254",
					  true };
		struct raw_arg meta6 = { AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6, "fd00:ec2::254" };
		struct raw_arg other = { AF_INET, SOCK_DGRAM, IPPROTO_ICMP, "10.20.0.5" };
		struct raw_arg audit = { AF_INET, SOCK_DGRAM, IPPROTO_ICMP, "10.40.0.5" };
		const struct pl_cg_event *ev;

		eg[0] = (struct pl_egress_rule){ .kind = PL_ADDR_CIDR,
						 .family = AF_INET,
						 .addr = { 169, 254, 169, 254 },
						 .prefix_len = 32,
						 .action = PL_ACTION_DENY };
		eg[1] = (struct pl_egress_rule){ .kind = PL_ADDR_CIDR,
						 .family = AF_INET6,
						 .addr = { 0xfd, 0, 0x0e,
							   0xc2, [15] = 0x54, [14] = 0x02 },
						 .prefix_len = 128,
						 .action = PL_ACTION_DENY };
		eg[2] = (struct pl_egress_rule){ .kind = PL_ADDR_CIDR,
						 .family = AF_INET,
						 .addr = { 10, 40 },
						 .prefix_len = 24,
						 .action = PL_ACTION_ALLOW_LOG };
		p.enhance.bpf.egress = eg;
		p.enhance.bpf.n_egress = 3;
		r = pl_gen_cgroup_bpf(&p, NULL, NULL, &pt, &d);
		if (r == 0)
			r = pl_enforcer_set_policy(e, 1, pt, &d);
		TAP_OK(r == 0, "write a policy without the ICMP socket rule");
		EXPECT(cg_out, true, p_raw_send, &meta, 0,
		       "outside: ping socket sendto 169.254.169.254 works");
		EXPECT(cg_in, true, p_raw_send, &meta, EPERM,
		       "inside: ping socket sendto 169.254.169.254 -> EPERM (cgroup_skb/egress)");
		EXPECT(cg_in, true, p_raw_send, &meta_c, 205,
		       "inside: ping socket connect 169.254.169.254 refused (connect4)");
		EXPECT(cg_out, true, p_raw_send, &meta6, 0,
		       "outside: ICMPv6 ping socket sendto fd00:ec2::254 works");
		pl_enforcer_counters(e, &c0);
		EXPECT(cg_in, true, p_raw_send, &meta6, ETIMEDOUT,
		       "inside: ICMPv6 ping socket sendto fd00:ec2::254: dropped, no echo reply "
		       "(the kernel's ping6 path reports no error)");
		pl_enforcer_counters(e, &c1);
		TAP_OK(c1.denied == c0.denied + 1, "the ICMPv6 ping drop is counted as denied");
		EXPECT(cg_in, true, p_raw_send, &other, 0,
		       "inside: ping socket sendto 10.20.0.5 works");
		drain(e);
		EXPECT(cg_in, true, p_raw_send, &audit, 0,
		       "inside: ping socket sendto 10.40.0.5 [audit] works");
		pl_enforcer_poll(e, collect, NULL, 100);
		ev = find_event(PL_CG_HOOK_RAW_SEND4, "bpfRawRules.network.egress[2]",
				PL_CG_ALLOW_LOG);
		TAP_OK(ev && ev->u.net.protocol == IPPROTO_ICMP && ev->u.net.type == SOCK_DGRAM &&
			   !memcmp(ev->u.net.addr, (uint8_t[]){ 10, 40, 0, 5 }, 4),
		       "AUDIT event: raw_send4 10.40.0.5, ping socket, rule egress[2]");
		drain(e);
		r = pl_enforcer_set_policy(e, 1, t, &d);
		TAP_OK(r == 0, "the live policy written back");
		for (const struct pl_diag_entry *x = d.head; x; x = x->next)
			tap_diag("%s", x->message);
		pl_diag_clear(&d);
		pl_bpf_tables_free(pt);
	}

	/* 4. sysctl write (the current value written back) */
	EXPECT(cg_out, false, p_sysctl, NULL, 0, "outside: write core_pattern (same value) works");
	EXPECT(cg_in, false, p_sysctl, NULL, EPERM, "inside: write core_pattern -> EPERM");

	/* 5. devices */
	{
		const struct pl_cg_event *ev;

		snprintf(fullpath, sizeof(fullpath), "%s/full", tmpdir);
		EXPECT(cg_in, false, p_mknod_chr, &full, 0,
		       "inside: mknod char 1:7 (no mknod rule) works");
		EXPECT(cg_in, false, p_open, &full, EPERM, "inside: open char 1:7 -> EPERM");
		EXPECT(cg_out, false, p_open, &full, 0, "outside: open char 1:7 works");
		if (!disk.dev) {
			TAP_SKIP("no block device in /proc/partitions", "host disk rules");
		} else {
			EXPECT(cg_in, false, p_mknod, &disk, EPERM,
			       "inside: mknod block %u:%u (host disk) -> EPERM", major(disk.dev),
			       minor(disk.dev));
			EXPECT(cg_out, false, p_mknod, &disk, 0, "outside: mknod block %u:%u works",
			       major(disk.dev), minor(disk.dev));
			/* Opening the host disk is refused outside too on this sandbox, so
			 * the event proves who refused it inside. */
			drain(e);
			EXPECT(cg_in, false, p_open, &disk, EPERM,
			       "inside: open the disk node -> EPERM");
			pl_enforcer_poll(e, collect, NULL, 100);
			ev = find_event(PL_CG_HOOK_DEV, "disallow-debug-disk-device",
					PL_CG_DENY_LOG);
			TAP_OK(ev && ev->u.dev.major == major(disk.dev) &&
				   ev->u.dev.minor == minor(disk.dev) &&
				   (ev->u.dev.access & BPF_DEVCG_ACC_READ),
			       "the disk open was denied by disallow-debug-disk-device (event)");
		}
	}

	/* 6. events: deny+log and allow+log carry the rule id */
	drain(e);
	{
		struct net_arg r8050 = { "10.30.0.5", "10.30.0.5", 8050, SOCK_STREAM };
		struct net_arg audit = { "10.40.0.5", "10.40.0.5", 7000, SOCK_STREAM };
		struct net_arg any6 = { "2001:db8:8::1", "2001:db8:8::1", 9507, SOCK_DGRAM };
		const struct pl_cg_event *ev;

		EXPECT(cg_in, true, p_net, &r8050, EPERM, "deny+log rule denies");
		EXPECT(cg_in, true, p_net, &audit, 0,
		       "allow+log rule lets connect 10.40.0.5 through");
		EXPECT(cg_in, true, p_net, &any6, 0,
		       "port-only allow+log rule lets [2001:db8:8::1]:9507 through");
		EXPECT(cg_in, false, p_sysctl, NULL, EPERM, "deny+log sysctl rule denies");
		{
			struct pollfd efd = { .fd = pl_enforcer_events_fd(e, collect, NULL),
					      .events = POLLIN };
			TAP_OK(efd.fd >= 0 && poll(&efd, 1, 1000) == 1,
			       "events fd is readable for an epoll loop");
		}
		pl_enforcer_poll(e, collect, NULL, 200);
		ev = find_event(PL_CG_HOOK_CONNECT4, "bpfRawRules.network.egress[0]",
				PL_CG_DENY_LOG);
		TAP_OK(ev && ev->u.net.port == 8050 && ev->cgroup_id == id_in &&
			   !memcmp(ev->u.net.addr, (uint8_t[]){ 10, 30, 0, 5 }, 4),
		       "DENIED event: connect4 10.30.0.5:8050, rule bpfRawRules.network.egress[0]");
		ev = find_event(PL_CG_HOOK_CONNECT4, "bpfRawRules.network.egress[1]",
				PL_CG_ALLOW_LOG);
		TAP_OK(ev && ev->u.net.port == 7000 && !strcmp(ev->comm, "pl-probe"),
		       "AUDIT event: connect4 10.40.0.5:7000, rule bpfRawRules.network.egress[1]");
		ev = find_event(PL_CG_HOOK_SENDMSG6, "bpfRawRules.network.egress[4]",
				PL_CG_ALLOW_LOG);
		TAP_OK(ev && ev->u.net.port == 9507 &&
			   !memcmp(ev->u.net.addr,
				   (uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, 0, 8, [15] = 1 }, 16),
		       "AUDIT event: sendmsg6 [2001:db8:8::1]:9507, port-only rule "
		       "bpfRawRules.network.egress[4]");
		ev = find_event(PL_CG_HOOK_SYSCTL, "disable-write-core-pattern", PL_CG_DENY_LOG);
		TAP_OK(ev && !strcmp(ev->u.sysctl.name, "kernel/core_pattern"),
		       "DENIED event: sysctl kernel/core_pattern, rule disable-write-core-pattern");
		for (int i = 0; i < n_evs; i++) {
			char buf[512];
			pl_cg_event_format(&evs[i], buf, sizeof(buf));
			tap_diag("event: %s", buf);
		}
		/* A plain deny rule reports nothing. */
		TAP_OK(!find_event(PL_CG_HOOK_SOCK_CREATE, "disable-icmp", PL_CG_DENY),
		       "deny (no log) rules emit no event");
	}

	/* 7. counters: a full ring buffer counts drops */
	drain(e);
	pl_enforcer_counters(e, &c0);
	{
		struct net_arg flood = { "10.40.0.5", "10.40.0.5", 9, SOCK_DGRAM, 200 };

		EXPECT(cg_in, true, p_net, &flood, 0, "200 audited UDP sends without consuming");
		pl_enforcer_counters(e, &c1);
		tap_diag("counters: events +%llu drops +%llu matched +%llu",
			 (unsigned long long)(c1.events - c0.events),
			 (unsigned long long)(c1.drops - c0.drops),
			 (unsigned long long)(c1.matched - c0.matched));
		TAP_OK(c1.drops > c0.drops, "ring buffer full: drops counted");
		TAP_OK((c1.events - c0.events) + (c1.drops - c0.drops) == 200 &&
			   c1.matched - c0.matched == 200,
		       "every audited send is an event or a counted drop (none silent)");
		n_evs = n_seen = 0;
		while (pl_enforcer_poll(e, collect, NULL, 0) > 0)
			;
		TAP_OK(n_seen > 0 && (uint64_t)n_seen == c1.events - c0.events,
		       "consumer receives exactly the submitted events (%d)", n_seen);
	}

	/* 8. live mode switch */
	mode_switch(e);
	drain(e);

	/* 9. mode off, policy replacement */
	r = pl_enforcer_set_mode(e, 1, PL_BPF_MODE_OFF, &d);
	EXPECT(cg_in, false, p_socket, &raw_icmp, 0, "mode off: raw ICMP works");
	pl_enforcer_set_mode(e, 1, PL_BPF_MODE_ENFORCE, &d);
	drain(e);
	EXPECT(cg_in, false, p_socket, &raw_icmp, EPERM, "mode enforce: raw ICMP -> EPERM");
	pl_enforcer_poll(e, collect, NULL, 100);
	TAP_OK(find_event(PL_CG_HOOK_SOCK_CREATE, "disable-icmp", PL_CG_DENY_LOG) != NULL,
	       "mode enforce: the plain deny rule now reports");
	{
		struct pl_bpf_tables empty = { 0 };
		enum pl_bpf_mode m = PL_BPF_MODE_AS_WRITTEN;

		r = pl_enforcer_set_policy(e, 1, &empty, &d);
		EXPECT(cg_in, false, p_socket, &raw_icmp, 0, "policy replaced by an empty one");
		TAP_OK(r == 0 && pl_enforcer_get_mode(e, 1, &m) == 0 && m == PL_BPF_MODE_ENFORCE,
		       "replacing the rules keeps the live mode");
		r = pl_enforcer_set_policy(e, 1, t, &d);
		pl_enforcer_set_mode(e, 1, PL_BPF_MODE_AS_WRITTEN, &d);
		EXPECT(cg_in, false, p_socket, &raw_icmp, EPERM, "policy written again: enforced");
		pl_enforcer_unregister(e, id_in, &d);
		EXPECT(cg_in, false, p_socket, &raw_icmp, 0, "unregistered cgroup: allowed");
		pl_enforcer_register(e, id_in, 1, &d);
		/* A process that moves into a child cgroup stays covered. */
		char nested[800];
		snprintf(nested, sizeof(nested), "%s/nested", cg_in);
		/* cgroup v2: no processes in inner nodes with controllers; none here */
		if (mkdir(nested, 0755) == 0) {
			EXPECT(nested, false, p_socket, &raw_icmp, EPERM,
			       "child cgroup of a registered one: still enforced (ancestor)");
			rmdir(nested);
		} else {
			TAP_OK(false, "mkdir %s", nested);
		}
		nesting_checks(e, id_in);
		allocator_checks(e, t);
		old_layout_checks();
	}
	pl_diag_clear(&d);

	/* 10. a second, independent enforcer (own pins) on a cgroup right
	 * below the cgroup v2 root (hybrid hierarchy here) */
	{
		struct pl_enforcer_opts o = { .pin_dir = pin_root };
		struct pl_cg_enforcer *re = NULL;

		r = pl_enforcer_install(&o, &re, &d);
		TAP_OK(r == 0, "install a second enforcer (pins in %s)", pin_root);
		if (r == 0) {
			pl_enforcer_set_policy(re, 7, t, &d);
			pl_enforcer_register(re, id_root, 7, &d);
			EXPECT(cg_rootreg, false, p_socket, &raw_icmp, EPERM,
			       "second enforcer: raw ICMP in a registered cgroup -> EPERM");
			EXPECT(cg_rootreg, false, p_sysctl, NULL, EPERM,
			       "second enforcer: cgroup/sysctl enforced");
			EXPECT(cg_rootreg, false, p_open, &full, EPERM,
			       "second enforcer: cgroup/dev enforced");
			EXPECT(cg_out, false, p_open, &full, 0,
			       "second enforcer: cgroup/dev, unregistered cgroup unaffected");
			EXPECT(cg_out, false, p_socket, &raw_icmp, 0,
			       "second enforcer: unregistered cgroup unaffected");
			EXPECT(NULL, false, p_sysctl, NULL, 0,
			       "second enforcer: the test's own cgroup unaffected");
			r = pl_enforcer_uninstall(re, &d);
			TAP_OK(r == 0 && access(pin_root, F_OK) < 0, "second enforcer uninstalled");
			EXPECT(cg_rootreg, false, p_socket, &raw_icmp, 0,
			       "after uninstall: raw ICMP works again");
		}
		for (const struct pl_diag_entry *x = d.head; x; x = x->next)
			tap_diag("%s", x->message);
		pl_diag_clear(&d);
	}

	/* 11. uninstall: every link detached, pins gone */
	r = pl_enforcer_uninstall(e, &d);
	TAP_OK(r == 0 && access(pin, F_OK) < 0, "uninstall removes %s", pin);
	EXPECT(cg_in, false, p_socket, &raw_icmp, 0, "after uninstall: raw ICMP works");
	EXPECT(cg_in, false, p_sysctl, NULL, 0, "after uninstall: core_pattern write works");
	pl_diag_clear(&d);
	pl_bpf_tables_free(t);
	return tap_done();
}
