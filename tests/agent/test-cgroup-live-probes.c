/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test-cgroup-live, part 2 of 3: the policies under test (the live policy,
 * 1,024 CIDR rules), the probes main runs in children (each in a cgroup
 * and, for network probes, a private network namespace with the test's
 * addresses on its own lo) and the collection of the enforcer's events.
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
#include "plastron/policy.h"
#include "cg-live.h"
#include "tap.h"

#include "test-cgroup-live.h"

#define AF(x) (1ull << (x))
#define TY(x) (1u << (x))

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

/* Port-only egress rules (issue 9, item 2), decoded from the YAML a user
 * writes: port 9443 on every address, IPv4 and IPv6 [deny]; ports
 * 9500-9510 likewise [audit]. They follow the struct rules above, as
 * bpfRawRules.network.egress[3] and [4]. */
static const char port_only_yaml[] = "apiVersion: crd.varmor.org/v1beta1\n"
				     "kind: VarmorPolicy\n"
				     "metadata: {name: port-only, namespace: live}\n"
				     "spec:\n"
				     "  target: {kind: Deployment, name: web}\n"
				     "  policy:\n"
				     "    enforcer: BPF\n"
				     "    mode: EnhanceProtect\n"
				     "    enhanceProtect:\n"
				     "      bpfRawRules:\n"
				     "        network:\n"
				     "          egress:\n"
				     "            toDestinations:\n"
				     "            - ports: [{port: 9443}]\n"
				     "            - ports: [{port: 9500, endPort: 9510}]\n"
				     "              qualifiers: [audit]\n";

struct pl_bpf_tables *policy_tables(void)
{
	static struct pl_rule_use uses[4];
	static struct pl_socket_rule socks[1];
	static struct pl_egress_rule eg[5];
	static struct pl_policy_set *yaml_set;
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
	if (!yaml_set && (pl_policy_set_load_buffer("port-only.yaml", port_only_yaml,
						    strlen(port_only_yaml), &yaml_set, &d) < 0 ||
			  yaml_set->n != 1 || yaml_set->policies[0]->enhance.bpf.n_egress != 2)) {
		for (const struct pl_diag_entry *e = d.head; e; e = e->next)
			tap_diag("port-only.yaml: %s", e->message);
		pl_diag_clear(&d);
		return NULL;
	}
	eg[3] = yaml_set->policies[0]->enhance.bpf.egress[0];
	eg[4] = yaml_set->policies[0]->enhance.bpf.egress[1];
	p.enhance.bpf.egress = eg;
	p.enhance.bpf.n_egress = 5;
	if (pl_gen_cgroup_bpf(&p, NULL, NULL, &t, &d) < 0) {
		for (const struct pl_diag_entry *e = d.head; e; e = e->next)
			tap_diag("%s", e->message);
		t = NULL;
	}
	pl_diag_clear(&d);
	return t;
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

/* Run `fn` in a child inside `cg` (NULL: stay here) and optionally a fresh
 * netns. Returns 0 or the errno the probe saw; >= 200 for setup failures. */
int run(const char *cg, bool netns, probe_fn fn, const void *arg)
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

int p_socket(const void *a)
{
	const struct sock_arg *s = a;
	int fd = socket(s->family, s->type, s->protocol);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

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

int p_net(const void *a)
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

int p_raw_send(const void *a)
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

char core_value[4096];

int p_sysctl(const void *a)
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

int p_mknod(const void *a)
{
	const struct dev_arg *x = a;

	unlink(x->path);
	return mknod(x->path, S_IFBLK | 0600, x->dev) < 0 ? errno : 0;
}

int p_mknod_chr(const void *a)
{
	const struct dev_arg *x = a;

	unlink(x->path);
	return mknod(x->path, S_IFCHR | 0600, x->dev) < 0 ? errno : 0;
}

int p_open(const void *a)
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
struct pl_bpf_tables *big_tables(void)
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

struct pl_cg_event evs[MAX_EV];
int n_evs, n_seen;

int collect(void *u, const struct pl_cg_event *ev)
{
	(void)u;
	if (n_evs < MAX_EV)
		evs[n_evs++] = *ev;
	n_seen++;
	return 0;
}

void drain(struct pl_cg_enforcer *e)
{
	while (pl_enforcer_poll(e, collect, NULL, 0) > 0)
		;
	n_evs = n_seen = 0;
}

const struct pl_cg_event *find_event(uint8_t hook, const char *rule_name, uint8_t action)
{
	for (int i = 0; i < n_evs; i++)
		if (evs[i].hook == hook && evs[i].action == action &&
		    !strncmp(evs[i].rule_name, rule_name, sizeof(evs[i].rule_name)))
			return &evs[i];
	return NULL;
}
