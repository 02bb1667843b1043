/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup-BPF generator: policy model -> rule tables, checked through the
 * deterministic dump. Policies are built in C with test-local catalog rules
 * so the expectations do not depend on the catalog's current contents.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cg-test.h"
#include "plastron/bpf.h"
#include "tap.h"

#define AF(x) (1ull << (x))
#define TY(x) (1u << (x))

static const struct pl_tr_socket icmp_sockets[] = {
	{ .domains = AF(AF_INET) | AF(AF_INET6), .protocols = PL_PROTO_ICMP },
};
static const struct pl_tr_egress metadata_egress[] = {
	{ .cidr = "169.254.169.254/32" },
	{ .cidr = "100.100.100.200" },
	{ .cidr = "fd00:ec2::254/128" },
};
static const char *const core_pattern[] = { "kernel/core_pattern", "/proc/sys/kernel/modprobe",
					    NULL };
static const struct pl_tr_device disk_devices[] = {
	{ .type = 'b', .major = -1, .minor = -1, .access = "rw", .host_disks = true },
	{ .type = 'a', .major = 10, .minor = 234, .access = "m" },
};

static const struct pl_rule r_icmp = {
	.id = "disable-icmp",
	.tr = TR_CG(.sockets = icmp_sockets, .n_sockets = 1),
	.n_tr = 1,
};
static const struct pl_rule r_meta = {
	.id = "block-access-to-metadata-service",
	.tr = TR_CG(.egress = metadata_egress, .n_egress = 3),
	.n_tr = 1,
};
static const struct pl_rule r_core = {
	.id = "disable-write-core-pattern",
	.tr = TR_CG(.sysctl_write = core_pattern),
	.n_tr = 1,
};
static const struct pl_rule r_disk = {
	.id = "disallow-debug-disk-device",
	.tr = TR_CG(.devices = disk_devices, .n_devices = 2),
	.n_tr = 1,
};

static char *dump(const struct pl_bpf_tables *t)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	pl_bpf_tables_dump(t, f);
	fclose(f);
	return buf;
}

static void show_diag(struct pl_diag *d)
{
	for (const struct pl_diag_entry *e = d->head; e; e = e->next) {
		char *s = pl_diag_format(e);
		tap_diag("%s", s ? s : "?");
		free(s);
	}
}

/* Generate and compare with `want`; returns the error code. */
static int check(const char *name, const struct pl_policy *p, const struct pl_gen_opts *o,
		 const char *partitions, const char *want, struct pl_diag *d)
{
	struct pl_bpf_tables *t = NULL;
	int r = pl_gen_cgroup_bpf(p, o, partitions, &t, d);
	char *got;

	if (r < 0) {
		if (want) {
			TAP_OK(false, "%s: generated (r=%d)", name, r);
			show_diag(d);
		}
		return r;
	}
	got = dump(t);
	if (want) {
		bool same = !strcmp(got, want);
		TAP_OK(same, "%s: dump", name);
		if (!same)
			tap_diag("got:\n%s\nwant:\n%s", got, want);
	}
	free(got);
	pl_bpf_tables_free(t);
	return r;
}

static struct pl_egress_rule cidr(const char *text, uint16_t lo, uint16_t hi, enum pl_action action,
				  struct pl_port_range *storage)
{
	struct pl_egress_rule e = { .kind = PL_ADDR_CIDR, .text = (char *)text, .action = action };
	char buf[64];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", text);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, e.addr) == 1) {
		e.family = AF_INET;
		e.prefix_len = slash ? (uint8_t)atoi(slash) : 32;
	} else {
		inet_pton(AF_INET6, buf, e.addr);
		e.family = AF_INET6;
		e.prefix_len = slash ? (uint8_t)atoi(slash) : 128;
	}
	if (lo || hi) {
		storage->port = lo;
		storage->end_port = hi;
		e.ports = storage;
		e.n_ports = 1;
	}
	return e;
}

int main(void)
{
	struct pl_diag d = { 0 };
	struct pl_port_range ports[16];
	char partitions[] = "/tmp/plastron-test-partitions-XXXXXX";
	int fd, r;

	/* 1. built-in rules: sockets, egress, sysctl, devices */
	fd = mkstemp(partitions);
	if (fd < 0 ||
	    dprintf(fd, "major minor  #blocks  name\n\n   8        0   1000 sda\n"
			"   8        1    500 sda1\n 259        0   2000 nvme0n1\n") < 0) {
		TAP_OK(false, "temporary partitions file");
		return tap_done();
	}
	close(fd);
	{
		struct pl_rule_use uses[] = {
			{ .rule = &r_icmp, .action = PL_ACTION_DENY },
			{ .rule = &r_meta, .action = PL_ACTION_DENY_LOG },
			{ .rule = &r_core, .action = PL_ACTION_DENY },
			{ .rule = &r_disk, .action = PL_ACTION_ALLOW_LOG },
		};
		struct pl_policy p = { .name = "builtin" };

		p.enhance.rules = uses;
		p.enhance.n_rules = 4;
		check("built-in rules", &p, NULL, partitions,
		      "rules:\n"
		      "  #0 disable-icmp\n"
		      "  #1 block-access-to-metadata-service\n"
		      "  #2 disable-write-core-pattern\n"
		      "  #3 disallow-debug-disk-device\n"
		      "sock_create:\n"
		      "  inet any icmp -> deny #0\n"
		      "  inet6 any icmpv6 -> deny #0\n"
		      "egress:\n"
		      "  100.100.100.200/32 -> all:deny+log #1\n"
		      "  169.254.169.254/32 -> all:deny+log #1\n"
		      "  fd00:ec2::254/128 -> all:deny+log #1\n"
		      "sysctl (write):\n"
		      "  kernel/core_pattern -> deny #2\n"
		      "  kernel/modprobe -> deny #2\n"
		      "dev:\n"
		      "  b 8:0 -> read:allow+log #3 write:allow+log #3\n"
		      "  b 8:1 -> read:allow+log #3 write:allow+log #3\n"
		      "  b 10:234 -> mknod:allow+log #3\n"
		      "  b 259:0 -> read:allow+log #3 write:allow+log #3\n"
		      "  c 10:234 -> mknod:allow+log #3\n"
		      "elsewhere:\n",
		      &d);

		/* run mode: audit turns every action into allow+log */
		struct pl_gen_opts audit = { .run_mode = PL_RUN_AUDIT };
		p.enhance.n_rules = 1;
		check("run mode audit", &p, &audit, partitions,
		      "rules:\n  #0 disable-icmp\nsock_create:\n"
		      "  inet any icmp -> allow+log #0\n  inet6 any icmpv6 -> allow+log #0\n"
		      "egress:\nsysctl (write):\ndev:\nelsewhere:\n",
		      &d);
		/* a missing partitions file is an error, not an empty rule */
		p.enhance.rules = &uses[3];
		p.enhance.n_rules = 1;
		r = check("host_disks without partitions", &p, NULL, "/nonexistent/partitions",
			  NULL, &d);
		TAP_OK(r == -ENOENT && d.n_errors == 1, "host_disks: unreadable partitions -> %d",
		       r);
		pl_diag_clear(&d);
	}
	unlink(partitions);

	/* 2. raw sockets: inet parts in the table, others carried by seccomp */
	{
		struct pl_socket_rule socks[] = {
			{ .domains = AF(AF_INET6) | AF(AF_UNIX) | AF(AF_NETLINK),
			  .types = TY(SOCK_STREAM) | TY(SOCK_RAW),
			  .action = PL_ACTION_DENY_LOG },
			{ .domains = AF(AF_INET),
			  .protocols = PL_PROTO_TCP | PL_PROTO_UDP,
			  .action = PL_ACTION_ALLOW_LOG },
			{ .domains = 0, .types = TY(SOCK_RAW), .action = PL_ACTION_DENY },
			{ .domains = AF(AF_INET6),
			  .types = TY(SOCK_STREAM),
			  .action = PL_ACTION_DENY },
		};
		struct pl_policy p = { .name = "sockets" };

		p.enhance.bpf.sockets = socks;
		p.enhance.bpf.n_sockets = 4;
		check("raw sockets", &p, NULL, NULL,
		      "rules:\n"
		      "  #0 bpfRawRules.network.sockets[0]\n"
		      "  #1 bpfRawRules.network.sockets[1]\n"
		      "  #2 bpfRawRules.network.sockets[2]\n"
		      "  #3 bpfRawRules.network.sockets[3]\n"
		      "sock_create:\n"
		      "  inet raw any -> deny #2\n"
		      "  inet any tcp -> allow+log #1\n"
		      "  inet any udp -> allow+log #1\n"
		      "  inet6 stream any -> deny+log #0\n"
		      "  inet6 raw any -> deny+log #0\n"
		      "egress:\nsysctl (write):\ndev:\n"
		      "elsewhere:\n"
		      "  #0 socket families unix, netlink: not visible to cgroup/sock_create; "
		      "carried by seccomp (socket() domain filter)\n"
		      "  #2 socket families other than inet/inet6: not visible to "
		      "cgroup/sock_create; carried by seccomp (socket() domain filter)\n",
		      &d);
	}

	/* 3. egress: CIDR, IPv6, ports and ranges, overlap merging, special kinds */
	{
		struct pl_egress_rule eg[] = {
			cidr("10.0.0.0/8", 6379, 6379, PL_ACTION_DENY, &ports[0]),
			cidr("10.1.0.0/16", 8000, 8100, PL_ACTION_ALLOW_LOG, &ports[1]),
			cidr("10.1.2.3", 0, 0, PL_ACTION_DENY_LOG, NULL),
			cidr("10.2.0.0/16", 80, 80, PL_ACTION_DENY, &ports[2]),
			cidr("10.2.0.0/16", 0, 0, PL_ACTION_DENY_LOG, NULL),
			cidr("2001:db8::/32", 443, 443, PL_ACTION_DENY, &ports[3]),
			cidr("2001:db8:1::/48", 1000, 2000, PL_ACTION_DENY_LOG, &ports[4]),
			cidr("10.3.0.0/16", 0, 0, PL_ACTION_DENY, NULL),
			cidr("10.3.0.0/16", 22, 22, PL_ACTION_ALLOW_LOG, &ports[5]),
			cidr("10.3.5.0/24", 22, 22, PL_ACTION_DENY_LOG, &ports[6]),
			{ .kind = PL_ADDR_LOCALHOST, .action = PL_ACTION_DENY },
			{ .kind = PL_ADDR_UNSPECIFIED, .action = PL_ACTION_ALLOW_LOG },
		};
		struct pl_policy p = { .name = "egress" };

		p.enhance.bpf.egress = eg;
		p.enhance.bpf.n_egress = sizeof(eg) / sizeof(eg[0]);
		check("raw egress", &p, NULL, NULL,
		      "rules:\n"
		      "  #0 bpfRawRules.network.egress[0]\n"
		      "  #1 bpfRawRules.network.egress[1]\n"
		      "  #2 bpfRawRules.network.egress[2]\n"
		      "  #3 bpfRawRules.network.egress[3]\n"
		      "  #4 bpfRawRules.network.egress[4]\n"
		      "  #5 bpfRawRules.network.egress[5]\n"
		      "  #6 bpfRawRules.network.egress[6]\n"
		      "  #7 bpfRawRules.network.egress[7]\n"
		      "  #8 bpfRawRules.network.egress[8]\n"
		      "  #9 bpfRawRules.network.egress[9]\n"
		      "  #10 bpfRawRules.network.egress[10]\n"
		      "  #11 bpfRawRules.network.egress[11]\n"
		      "sock_create:\n"
		      "egress:\n"
		      "  0.0.0.0/32 -> all:allow+log #11\n"
		      "  10.0.0.0/8 -> 6379:deny #0\n"
		      "  10.1.0.0/16 -> 6379:deny #0 8000-8100:allow+log #1\n"
		      "  10.1.2.3/32 -> all:deny+log #2\n"
		      "  10.2.0.0/16 -> all:deny+log #4\n"
		      "  10.3.0.0/16 -> all:deny #7\n"
		      "  10.3.5.0/24 -> all:deny #7 22:deny+log #9\n"
		      "  127.0.0.1/32 -> all:deny #10\n"
		      "  ::/128 -> all:allow+log #11\n"
		      "  ::1/128 -> all:deny #10\n"
		      "  2001:db8::/32 -> 443:deny #5\n"
		      "  2001:db8:1::/48 -> 443:deny #5 1000-2000:deny+log #6\n"
		      "sysctl (write):\ndev:\nelsewhere:\n",
		      &d);

		/* more distinct ranges than fit one entry: refused, with the prefix */
		struct pl_egress_rule many[PL_BPF_MAX_PORT_RANGES + 1];
		struct pl_port_range mp[PL_BPF_MAX_PORT_RANGES + 1];
		for (int i = 0; i <= PL_BPF_MAX_PORT_RANGES; i++)
			many[i] = cidr("192.0.2.0/24", (uint16_t)(100 + 2 * i),
				       (uint16_t)(100 + 2 * i), PL_ACTION_DENY, &mp[i]);
		p.enhance.bpf.egress = many;
		p.enhance.bpf.n_egress = PL_BPF_MAX_PORT_RANGES + 1;
		r = check("too many port ranges", &p, NULL, NULL, NULL, &d);
		TAP_OK(r == -E2BIG && d.head && strstr(d.head->message, "192.0.2.0/24"),
		       "too many port ranges on one prefix: refused (%d)", r);
		show_diag(&d);
		pl_diag_clear(&d);

		/* exactly the maximum fits */
		p.enhance.bpf.n_egress = PL_BPF_MAX_PORT_RANGES;
		r = check("max port ranges", &p, NULL, NULL, NULL, &d);
		TAP_OK(r == 0, "%d port ranges on one prefix fit (%d)", PL_BPF_MAX_PORT_RANGES, r);
		pl_diag_clear(&d);

		/* port-only (vArmor `egresses: - port: N`): those ports on every
		 * address of both families, folded into every longer prefix so
		 * that the one longest-prefix lookup still finds them */
		struct pl_port_range any_p[] = { { 443, 443 }, { 6443, 6443 } };
		struct pl_egress_rule any[] = {
			{ .kind = PL_ADDR_ANY,
			  .action = PL_ACTION_DENY_LOG,
			  .ports = any_p,
			  .n_ports = 2 },
			cidr("10.0.0.0/8", 80, 80, PL_ACTION_DENY, &ports[2]),
			cidr("2001:db8::/32", 0, 0, PL_ACTION_ALLOW_LOG, NULL),
		};
		p.enhance.bpf.egress = any;
		p.enhance.bpf.n_egress = 3;
		check("port-only egress", &p, NULL, NULL,
		      "rules:\n"
		      "  #0 bpfRawRules.network.egress[0]\n"
		      "  #1 bpfRawRules.network.egress[1]\n"
		      "  #2 bpfRawRules.network.egress[2]\n"
		      "sock_create:\n"
		      "egress:\n"
		      "  0.0.0.0/0 -> 443:deny+log #0 6443:deny+log #0\n"
		      "  10.0.0.0/8 -> 80:deny #1 443:deny+log #0 6443:deny+log #0\n"
		      "  ::/0 -> 443:deny+log #0 6443:deny+log #0\n"
		      "  2001:db8::/32 -> all:allow+log #2 443:deny+log #0 6443:deny+log #0\n"
		      "sysctl (write):\ndev:\nelsewhere:\n",
		      &d);

		/* pod-self needs Kubernetes: refused loudly */
		struct pl_egress_rule self = { .kind = PL_ADDR_POD_SELF,
					       .action = PL_ACTION_DENY,
					       .pos = { "p.yaml", 12, 9 } };
		p.enhance.bpf.egress = &self;
		p.enhance.bpf.n_egress = 1;
		r = check("pod-self", &p, NULL, NULL, NULL, &d);
		TAP_OK(r == -EOPNOTSUPP && d.n_errors == 1 && d.head->line == 12,
		       "pod-self refused with its position (%d)", r);
		pl_diag_clear(&d);
	}

	/* 4. a protocol-only rule (any family) covers inet/inet6 only, no note */
	{
		struct pl_socket_rule socks[] = { { .protocols = PL_PROTO_ICMP,
						    .action = PL_ACTION_DENY_LOG } };
		struct pl_policy p = { .name = "icmp-any-family" };

		p.enhance.bpf.sockets = socks;
		p.enhance.bpf.n_sockets = 1;
		check("protocol-only socket rule", &p, NULL, NULL,
		      "rules:\n  #0 bpfRawRules.network.sockets[0]\nsock_create:\n"
		      "  inet any icmp -> deny+log #0\n  inet6 any icmpv6 -> deny+log #0\n"
		      "egress:\nsysctl (write):\ndev:\nelsewhere:\n",
		      &d);
	}

	/* 5. scale: 65,536 CIDR rules (nested /16, /24, /32); speed: bench/cgroup */
	{
		size_t n = 65536;
		struct pl_egress_rule *eg = calloc(n, sizeof(*eg));
		struct pl_policy p = { .name = "scale" };
		struct pl_bpf_tables *t = NULL;
		bool nested_ok = false;

		for (size_t i = 0; eg && i < n; i++) {
			eg[i].kind = PL_ADDR_CIDR;
			eg[i].family = AF_INET;
			eg[i].addr[0] = 10;
			eg[i].addr[1] = (uint8_t)(i >> 12);
			eg[i].addr[2] = (uint8_t)(i >> 4);
			eg[i].addr[3] = (uint8_t)(i << 4);
			eg[i].prefix_len = i % 4096 == 0 ? 16 : i % 16 == 0 ? 24 : 32;
			eg[i].action = i % 2 ? PL_ACTION_DENY : PL_ACTION_DENY_LOG;
		}
		p.enhance.bpf.egress = eg;
		p.enhance.bpf.n_egress = eg ? n : 0;
		r = pl_gen_cgroup_bpf(&p, NULL, NULL, &t, &d);
		/* 10.0.0.16/32 (deny) lies in 10.0.0.0/24 and 10.0.0.0/16 (deny+log): the
		 * stronger all-ports action of the enclosing prefixes wins. */
		for (size_t i = 0; r == 0 && i < t->n_egress; i++)
			if (!memcmp(t->egress[i].addr, (uint8_t[]){ 10, 0, 0, 16 }, 4) &&
			    t->egress[i].prefix_len == 32)
				nested_ok = t->egress[i].n == 1 &&
					    t->egress[i].r[0].action == PL_BPF_ACT_DENY_LOG &&
					    t->egress[i].r[0].rule == 0;
		TAP_OK(r == 0 && t->n_egress == n && nested_ok,
		       "65536 egress rules: %zu entries, nesting folded", t ? t->n_egress : 0);
		pl_bpf_tables_free(t);
		free(eg);
		pl_diag_clear(&d);
	}

	/* 6. empty policy -> empty tables */
	{
		struct pl_policy p = { .name = "empty" };
		struct pl_bpf_tables *t = NULL;

		r = pl_gen_cgroup_bpf(&p, NULL, NULL, &t, &d);
		TAP_OK(r == 0 && pl_bpf_tables_empty(t), "empty policy gives empty tables");
		pl_bpf_tables_free(t);
	}
	TAP_OK(pl_bpf_mode_from_name("audit") == PL_BPF_MODE_AUDIT &&
		   pl_bpf_mode_from_name("bogus") == -EINVAL &&
		   !strcmp(pl_bpf_mode_name(PL_BPF_MODE_OFF), "off"),
	       "mode names");
	return tap_done();
}
