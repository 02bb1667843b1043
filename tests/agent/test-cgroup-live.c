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

#define AF(x) (1ull << (x))
#define TY(x) (1u << (x))

static char cg2[512], cg_parent[600], cg_in[700], cg_out[700], cg_rootreg[700];
static char pin[256], pin_root[256], tmpdir[64];
static pid_t looper = -1, child = -1; /* killed by cleanup() */
static pid_t self_pid;

/* ---- the policy under test ------------------------------------------------ */

static const struct pl_tr_socket icmp_sockets[] = {
	{ .domains = AF(AF_INET) | AF(AF_INET6), .protocols = PL_PROTO_ICMP },
};
static const struct pl_tr_egress metadata_egress[] = {
	{ .cidr = "169.254.169.254/32" },
	{ .cidr = "100.100.100.200/32" },
	{ .cidr = "fd00:ec2::254/128" },
};
static const char *const core_pattern[] = { "kernel/core_pattern", NULL };
static const struct pl_tr_device disk_devices[] = {
	{ .type = 'b', .major = -1, .minor = -1, .access = "rwm", .host_disks = true },
	/* /dev/full: a node the sandbox lets the test open outside the cgroup */
	{ .type = 'c', .major = 1, .minor = 7, .access = "rw" },
};
static const struct pl_rule r_icmp = { .id = "disable-icmp",
				       .tr = TR_CG(.sockets = icmp_sockets, .n_sockets = 1),
				       .n_tr = 1 };
static const struct pl_rule r_meta = { .id = "block-access-to-metadata-service",
				       .tr = TR_CG(.egress = metadata_egress, .n_egress = 3),
				       .n_tr = 1 };
static const struct pl_rule r_core = { .id = "disable-write-core-pattern",
				       .tr = TR_CG(.sysctl_write = core_pattern),
				       .n_tr = 1 };
static const struct pl_rule r_disk = { .id = "disallow-debug-disk-device",
				       .tr = TR_CG(.devices = disk_devices, .n_devices = 2),
				       .n_tr = 1 };

static struct pl_bpf_tables *policy_tables(void)
{
	static struct pl_rule_use uses[4];
	static struct pl_socket_rule socks[1];
	static struct pl_egress_rule eg[3];
	static struct pl_port_range range = { 8000, 8100 };
	struct pl_policy p = { .name = "live" };
	struct pl_bpf_tables *t = NULL;
	struct pl_diag d = { 0 };

	uses[0] = (struct pl_rule_use){ .rule = &r_icmp, .action = PL_ACTION_DENY };
	uses[1] = (struct pl_rule_use){ .rule = &r_meta, .action = PL_ACTION_DENY };
	uses[2] = (struct pl_rule_use){ .rule = &r_core, .action = PL_ACTION_DENY_LOG };
	uses[3] = (struct pl_rule_use){ .rule = &r_disk, .action = PL_ACTION_DENY_LOG };
	/* disable inet6 stream sockets */
	socks[0] = (struct pl_socket_rule){ .domains = AF(AF_INET6),
					    .types = TY(SOCK_STREAM),
					    .action = PL_ACTION_DENY };
	/* 10.30.0.0/16 ports 8000-8100 [audit, deny] */
	eg[0] = (struct pl_egress_rule){ .kind = PL_ADDR_CIDR,
					 .family = AF_INET,
					 .addr = { 10, 30 },
					 .prefix_len = 16,
					 .ports = &range,
					 .n_ports = 1,
					 .action = PL_ACTION_DENY_LOG };
	/* 10.40.0.0/24 [audit]: allowed and reported */
	eg[1] = (struct pl_egress_rule){ .kind = PL_ADDR_CIDR,
					 .family = AF_INET,
					 .addr = { 10, 40 },
					 .prefix_len = 24,
					 .action = PL_ACTION_ALLOW_LOG };
	/* 2001:db8:7::/48 [deny] */
	eg[2] = (struct pl_egress_rule){ .kind = PL_ADDR_CIDR,
					 .family = AF_INET6,
					 .addr = { 0x20, 0x01, 0x0d, 0xb8, 0, 7 },
					 .prefix_len = 48,
					 .action = PL_ACTION_DENY };
	p.enhance.rules = uses;
	p.enhance.n_rules = 4;
	p.enhance.bpf.sockets = socks;
	p.enhance.bpf.n_sockets = 1;
	p.enhance.bpf.egress = eg;
	p.enhance.bpf.n_egress = 3;
	if (pl_gen_cgroup_bpf(&p, NULL, NULL, &t, &d) < 0) {
		for (const struct pl_diag_entry *e = d.head; e; e = e->next)
			tap_diag("%s", e->message);
		t = NULL;
	}
	pl_diag_clear(&d);
	return t;
}

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

/* ---- running probes in children ---------------------------------------------- */

/* A private network namespace with the test's addresses on lo. */
static int setup_netns(void)
{
	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	if (system("ip link set lo up && "
		   "ip addr add 169.254.169.254/32 dev lo && "
		   "ip addr add 100.100.100.200/32 dev lo && "
		   "ip addr add 10.20.0.5/32 dev lo && "
		   "ip addr add 10.30.0.5/32 dev lo && "
		   "ip addr add 10.40.0.5/32 dev lo && "
		   "ip addr add 10.20.4.255/32 dev lo && "
		   "ip -6 addr add fd00:ec2::254/128 dev lo nodad && "
		   "ip -6 addr add 2001:db8:7::1/128 dev lo nodad && "
		   "ip -6 addr add 2001:db8:8::1/128 dev lo nodad && "
		   /* ICMP ping sockets for root, in this namespace only */
		   "echo '0 0' > /proc/sys/net/ipv4/ping_group_range") != 0)
		return -EIO;
	return 0;
}

typedef int (*probe_fn)(const void *arg);

/* Run `fn` in a child inside `cg` (NULL: stay here) and optionally a fresh
 * netns. Returns 0 or the errno the probe saw; >= 200 for setup failures. */
static int run(const char *cg, bool netns, probe_fn fn, const void *arg)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return 250;
	if (pid == 0) {
		prctl(PR_SET_NAME, "pl-probe");
		if (cg && join_cgroup(cg) < 0)
			_exit(201);
		if (netns && setup_netns() < 0)
			_exit(202);
		_exit(fn(arg) & 0xff);
	}
	child = pid;
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st)) {
		child = -1;
		return 251;
	}
	child = -1;
	return WEXITSTATUS(st);
}

struct sock_arg {
	int family, type, protocol;
};

static int p_socket(const void *a)
{
	const struct sock_arg *s = a;
	int fd = socket(s->family, s->type, s->protocol);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

struct net_arg {
	const char *listen;  /* address the listener binds */
	const char *connect; /* address the client uses (may be v4-mapped) */
	uint16_t port;
	int type; /* SOCK_STREAM: connect; SOCK_DGRAM: sendto */
	int repeat;
	bool udp_connect; /* SOCK_DGRAM: connect() instead of sendto() */
};

static int sockaddr_of(const char *a, uint16_t port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, a, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, a, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		return AF_INET6;
	}
	return -1;
}

static int p_net(const void *a)
{
	const struct net_arg *n = a;
	struct sockaddr_storage ls, cs;
	socklen_t ll, cl;
	int lf = sockaddr_of(n->listen, n->port, &ls, &ll);
	int cf = sockaddr_of(n->connect, n->port, &cs, &cl);
	int l, c, one = 1, r = 0;

	if (lf < 0 || cf < 0)
		return 203;
	l = socket(lf, n->type, 0);
	if (l < 0)
		return 204;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&ls, ll) < 0 ||
	    (n->type == SOCK_STREAM && listen(l, 16) < 0))
		return 205;
	for (int i = 0; i < (n->repeat ? n->repeat : 1) && r == 0; i++) {
		c = socket(cf, n->type, 0);
		if (c < 0)
			return errno;
		if (n->type == SOCK_STREAM || n->udp_connect)
			r = connect(c, (struct sockaddr *)&cs, cl) < 0 ? errno : 0;
		else
			r = sendto(c, "x", 1, 0, (struct sockaddr *)&cs, cl) < 0 ? errno : 0;
		close(c);
	}
	close(l);
	return r;
}

/* A raw or ICMP ping socket sends one packet: sendto(), or connect() then
 * send(). No listener: the packet only has to leave (or be refused). */
struct raw_arg {
	int family, type, protocol;
	const char *to;
	bool connect_first;
	uint16_t udp_port; /* SOCK_RAW, IPPROTO_UDP: the UDP header written by hand */
};

static int p_raw_send(const void *a)
{
	const struct raw_arg *x = a;
	struct sockaddr_storage ss;
	socklen_t len;
	/* an ICMP(v6) echo request header; other protocols: 8 bytes payload */
	uint8_t msg[8] = { x->family == AF_INET6 ? 128 : 8 };
	int fd, r;

	if (x->udp_port) { /* source port 4000, destination, length 8, checksum 0 */
		msg[0] = 4000 >> 8, msg[1] = 4000 & 0xff;
		msg[2] = (uint8_t)(x->udp_port >> 8), msg[3] = (uint8_t)x->udp_port;
		msg[4] = 0, msg[5] = 8;
	}

	if (sockaddr_of(x->to, 0, &ss, &len) != x->family)
		return 203;
	fd = socket(x->family, x->type, x->protocol);
	if (fd < 0)
		return 204;
	if (x->connect_first) {
		if (connect(fd, (struct sockaddr *)&ss, len) < 0)
			r = 205;
		else
			r = send(fd, msg, sizeof(msg), 0) < 0 ? errno : 0;
	} else {
		r = sendto(fd, msg, sizeof(msg), 0, (struct sockaddr *)&ss, len) < 0 ? errno : 0;
	}
	/* A ping socket receives the echo reply: proof the request left. (The
	 * ICMPv6 ping path drops a refused packet without an error.) */
	if (r == 0 && x->type == SOCK_DGRAM) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		r = poll(&p, 1, 1000) == 1 ? 0 : ETIMEDOUT;
	}
	close(fd);
	return r;
}

static char core_value[4096];

static int p_sysctl(const void *a)
{
	int fd = open("/proc/sys/kernel/core_pattern", O_WRONLY | O_CLOEXEC);
	size_t len = strlen(core_value);
	int r = 0;

	(void)a;
	if (fd < 0)
		return errno;
	/* The current value, written back: harmless when it succeeds. */
	if (write(fd, core_value, len) != (ssize_t)len)
		r = errno ? errno : EIO;
	close(fd);
	return r;
}

struct dev_arg {
	const char *path;
	dev_t dev;
};

static int p_mknod(const void *a)
{
	const struct dev_arg *x = a;

	unlink(x->path);
	return mknod(x->path, S_IFBLK | 0600, x->dev) < 0 ? errno : 0;
}

static int p_mknod_chr(const void *a)
{
	const struct dev_arg *x = a;

	unlink(x->path);
	return mknod(x->path, S_IFCHR | 0600, x->dev) < 0 ? errno : 0;
}

static int p_open(const void *a)
{
	const struct dev_arg *x = a;
	int fd = open(x->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* 1,024 CIDR rules (/32 and /30) over 10.20.1.0 - 10.20.4.255. (What they
 * cost per connect() is measured by bench/cgroup, not here.) */
static struct pl_bpf_tables *big_tables(void)
{
	static struct pl_egress_rule eg[1024];
	struct pl_policy p = { .name = "big" };
	struct pl_bpf_tables *t = NULL;
	struct pl_diag d = { 0 };

	for (int i = 0; i < 1024; i++)
		eg[i] = (struct pl_egress_rule){ .kind = PL_ADDR_CIDR,
						 .family = AF_INET,
						 .addr = { 10, 20, (uint8_t)(1 + i / 256),
							   (uint8_t)(i % 256) },
						 .prefix_len = (uint8_t)(i % 3 ? 32 : 30),
						 .action = PL_ACTION_DENY };
	p.enhance.bpf.egress = eg;
	p.enhance.bpf.n_egress = 1024;
	if (pl_gen_cgroup_bpf(&p, NULL, NULL, &t, &d) < 0)
		t = NULL;
	pl_diag_clear(&d);
	return t;
}

/* ---- events -------------------------------------------------------------------- */

#define MAX_EV 64
static struct pl_cg_event evs[MAX_EV];
static int n_evs, n_seen;

static int collect(void *u, const struct pl_cg_event *ev)
{
	(void)u;
	if (n_evs < MAX_EV)
		evs[n_evs++] = *ev;
	n_seen++;
	return 0;
}

static void drain(struct pl_cg_enforcer *e)
{
	while (pl_enforcer_poll(e, collect, NULL, 0) > 0)
		;
	n_evs = n_seen = 0;
}

static const struct pl_cg_event *find_event(uint8_t hook, const char *rule_name, uint8_t action)
{
	for (int i = 0; i < n_evs; i++)
		if (evs[i].hook == hook && evs[i].action == action &&
		    !strncmp(evs[i].rule_name, rule_name, sizeof(evs[i].rule_name)))
			return &evs[i];
	return NULL;
}

/* ---- the test -------------------------------------------------------------------- */

static const struct sock_arg raw_icmp = { AF_INET, SOCK_RAW, IPPROTO_ICMP };
static const struct sock_arg raw_icmp6 = { AF_INET6, SOCK_RAW, IPPROTO_ICMPV6 };
static const struct sock_arg tcp6 = { AF_INET6, SOCK_STREAM, 0 };
static const struct sock_arg tcp4 = { AF_INET, SOCK_STREAM, 0 };
static const struct sock_arg udp6 = { AF_INET6, SOCK_DGRAM, 0 };

#define EXPECT(cg, netns, fn, arg, want, ...)                                                   \
	do {                                                                                    \
		int _r = run((cg), (netns), (fn), (arg));                                       \
		TAP_OK(_r == (want), __VA_ARGS__);                                              \
		if (_r != (want))                                                               \
			tap_diag("got %d (%s), want %d", _r, _r < 200 ? strerror(_r) : "setup", \
				 (want));                                                       \
	} while (0)

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
static void nesting_checks(struct pl_cg_enforcer *e, uint64_t id_in)
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
static void allocator_checks(struct pl_cg_enforcer *e, const struct pl_bpf_tables *t)
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
static void old_layout_checks(void)
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

static int loader(struct pl_bpf_tables *t, uint64_t id)
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
static void mode_switch(struct pl_cg_enforcer *e)
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
		const struct pl_cg_event *ev;

		EXPECT(cg_in, true, p_net, &r8050, EPERM, "deny+log rule denies");
		EXPECT(cg_in, true, p_net, &audit, 0,
		       "allow+log rule lets connect 10.40.0.5 through");
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
