/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cgroup-BPF generator's table entries (see cgroup-bpf-internal.h):
 * socket creation (inet/inet6 only, other families noted as carried by
 * seccomp), egress prefixes with their port ranges (merged so that one
 * longest-prefix lookup finds every rule that applies), sysctl writes and
 * devices (with the host's disks from /proc/partitions). Overlapping rules:
 * the strongest action wins.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cgroup-bpf-internal.h"
#include "shared/macro.h"

/* ---- sockets ------------------------------------------------------------ */

static int add_sock(struct gen *g, uint16_t family, uint32_t type, uint32_t protocol,
		    uint8_t action, uint32_t rule)
{
	struct pl_bpf_tables *t = g->t;
	struct pl_bpf_sock_entry *e;

	for (size_t i = 0; i < t->n_sock; i++) {
		e = &t->sock[i];
		if (e->family == family && e->type == type && e->protocol == protocol) {
			if (action > e->action) {
				e->action = action;
				e->rule = rule;
			}
			return 0;
		}
	}
	e = PUSH(g, t->sock, t->n_sock);
	if (!e)
		return pl_cgb_oom(g);
	*e = (struct pl_bpf_sock_entry){ family, type, protocol, action, rule };
	return 0;
}

const char *pl_cgb_family_name(int af)
{
	static const struct {
		int af;
		const char *name;
	} names[] = {
		{ AF_UNIX, "unix" },
		{ AF_INET, "inet" },
		{ AF_AX25, "ax25" },
		{ AF_IPX, "ipx" },
		{ AF_APPLETALK, "appletalk" },
		{ AF_NETROM, "netrom" },
		{ AF_BRIDGE, "bridge" },
		{ AF_ATMPVC, "atmpvc" },
		{ AF_X25, "x25" },
		{ AF_INET6, "inet6" },
		{ AF_ROSE, "rose" },
		{ AF_DECnet, "decnet" },
		{ AF_NETBEUI, "netbeui" },
		{ AF_SECURITY, "security" },
		{ AF_KEY, "key" },
		{ AF_NETLINK, "netlink" },
		{ AF_PACKET, "packet" },
		{ AF_ASH, "ash" },
		{ AF_ECONET, "econet" },
		{ AF_ATMSVC, "atmsvc" },
		{ AF_RDS, "rds" },
		{ AF_SNA, "sna" },
		{ AF_IRDA, "irda" },
		{ AF_PPPOX, "pppox" },
		{ AF_WANPIPE, "wanpipe" },
		{ AF_LLC, "llc" },
		{ AF_IB, "ib" },
		{ AF_MPLS, "mpls" },
		{ AF_CAN, "can" },
		{ AF_TIPC, "tipc" },
		{ AF_BLUETOOTH, "bluetooth" },
		{ AF_IUCV, "iucv" },
		{ AF_RXRPC, "rxrpc" },
		{ AF_ISDN, "isdn" },
		{ AF_PHONET, "phonet" },
		{ AF_IEEE802154, "ieee802154" },
		{ AF_CAIF, "caif" },
		{ AF_ALG, "alg" },
		{ AF_NFC, "nfc" },
		{ AF_VSOCK, "vsock" },
		{ AF_KCM, "kcm" },
		{ AF_QIPCRTR, "qipcrtr" },
		{ AF_SMC, "smc" },
		{ AF_XDP, "xdp" },
	};
	for (size_t i = 0; i < PL_ARRAY_SIZE(names); i++)
		if (names[i].af == af)
			return names[i].name;
	return NULL;
}

const char *pl_cgb_type_name(uint32_t type)
{
	switch (type) {
	case SOCK_STREAM:
		return "stream";
	case SOCK_DGRAM:
		return "dgram";
	case SOCK_RAW:
		return "raw";
	case SOCK_RDM:
		return "rdm";
	case SOCK_SEQPACKET:
		return "seqpacket";
	case SOCK_DCCP:
		return "dccp";
	case SOCK_PACKET:
		return "packet";
	case PL_BPF_ANY:
		return "any";
	}
	return NULL;
}

const char *pl_cgb_proto_name(uint32_t p)
{
	switch (p) {
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case PL_BPF_ANY:
		return "any";
	}
	return NULL;
}

int pl_cgb_socket(struct gen *g, uint64_t domains, uint32_t types, uint32_t protocols,
		  uint8_t action, uint32_t rule)
{
	static const int inet[] = { AF_INET, AF_INET6 };
	uint64_t other = domains & ~((1ull << AF_INET) | (1ull << AF_INET6));
	int r;

	for (size_t f = 0; f < PL_ARRAY_SIZE(inet); f++) {
		int af = inet[f];

		if (domains && !(domains & (1ull << af)))
			continue;
		for (uint32_t ty = 0; ty < 32; ty++) {
			uint32_t type = types ? ty : PL_BPF_ANY;

			if (types && !(types & (1u << ty)))
				continue;
			if (!protocols) {
				r = add_sock(g, (uint16_t)af, type, PL_BPF_ANY, action, rule);
				if (r < 0)
					return r;
			}
			if (protocols & PL_PROTO_ICMP) {
				r = add_sock(g, (uint16_t)af, type,
					     af == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6, action,
					     rule);
				if (r < 0)
					return r;
			}
			if (protocols & PL_PROTO_TCP) {
				r = add_sock(g, (uint16_t)af, type, IPPROTO_TCP, action, rule);
				if (r < 0)
					return r;
			}
			if (protocols & PL_PROTO_UDP) {
				r = add_sock(g, (uint16_t)af, type, IPPROTO_UDP, action, rule);
				if (r < 0)
					return r;
			}
			if (!types)
				break;
		}
	}

	/* ICMP, TCP and UDP exist only in inet/inet6: nothing else to carry. */
	if (!domains && protocols)
		return 0;
	if (!domains)
		return pl_cgb_note(
		    g, rule,
		    "socket families other than inet/inet6: not visible to "
		    "cgroup/sock_create; carried by seccomp (socket() domain filter)");
	if (other) {
		char buf[512] = "";
		size_t len = 0;

		for (int af = 0; af < 64 && len < sizeof(buf); af++) {
			const char *n = pl_cgb_family_name(af);
			char num[16];

			if (!(other & (1ull << af)))
				continue;
			if (!n) {
				snprintf(num, sizeof(num), "%d", af);
				n = num;
			}
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s",
						len ? ", " : "", n);
		}
		return pl_cgb_note(
		    g, rule,
		    "socket families %s: not visible to cgroup/sock_create; carried by "
		    "seccomp (socket() domain filter)",
		    buf);
	}
	return 0;
}

/* ---- egress ------------------------------------------------------------- */

int pl_cgb_add_egress(struct gen *g, int family, const uint8_t *addr, uint8_t prefix_len,
		      uint16_t lo, uint16_t hi, uint8_t action, uint32_t rule,
		      const struct pl_pos *pos)
{
	struct raw_egress *e = PUSH(g, g->raw, g->n_raw);
	size_t len = family == AF_INET ? 4 : 16;

	if (!e)
		return pl_cgb_oom(g);
	e->family = family;
	memcpy(e->addr, addr, len);
	/* Clear host bits so equal prefixes compare equal. */
	for (size_t bit = prefix_len; bit < len * 8; bit++)
		e->addr[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
	e->prefix_len = prefix_len;
	e->range = (struct pl_bpf_port_range){ lo, hi, action, rule };
	e->pos = pos;
	e->seq = g->n_raw - 1;
	return 0;
}

int pl_cgb_parse_cidr(const char *text, int *family, uint8_t addr[16], uint8_t *prefix_len)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash, *end;
	long n;
	int max;

	if (strlen(text) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1) {
		*family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, addr) == 1) {
		*family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	if (!slash) {
		*prefix_len = (uint8_t)max;
		return 0;
	}
	errno = 0;
	n = strtol(slash, &end, 10);
	if (errno || end == slash || *end || n < 0 || n > max)
		return -EINVAL;
	*prefix_len = (uint8_t)n;
	return 0;
}

static int cmp_raw(const void *a, const void *b)
{
	const struct raw_egress *x = a, *y = b;
	int c;

	if (x->family != y->family)
		return x->family == AF_INET ? -1 : 1;
	c = memcmp(x->addr, y->addr, 16);
	if (c)
		return c;
	if (x->prefix_len != y->prefix_len)
		return x->prefix_len - y->prefix_len;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_range(const void *a, const void *b)
{
	const struct pl_bpf_port_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	if (x->action != y->action)
		return x->action > y->action ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static int cmp_egress(const void *a, const void *b)
{
	const struct pl_bpf_egress_entry *x = a, *y = b;
	int c;

	if (x->family != y->family)
		return x->family == AF_INET ? -1 : 1;
	c = memcmp(x->addr, y->addr, 16);
	if (c)
		return c;
	return x->prefix_len - y->prefix_len;
}

/* Add `r` to `e` unless a range already there covers it with an action at
 * least as strong; drop ranges `r` covers likewise. */
static int merge_range(struct pl_bpf_egress_entry *e, struct pl_bpf_port_range *extra,
		       size_t *n_extra, const struct pl_bpf_port_range *r)
{
	size_t n = e->n + *n_extra;

	for (size_t i = 0; i < n; i++) {
		const struct pl_bpf_port_range *x = i < e->n ? &e->r[i] : &extra[i - e->n];
		if (x->lo <= r->lo && x->hi >= r->hi && x->action >= r->action)
			return 0;
	}
	for (size_t i = 0; i < e->n;) {
		struct pl_bpf_port_range *x = &e->r[i];
		if (r->lo <= x->lo && r->hi >= x->hi && r->action >= x->action) {
			e->r[i] = e->r[--e->n];
			continue;
		}
		i++;
	}
	if (e->n < PL_BPF_MAX_PORT_RANGES)
		e->r[e->n++] = *r;
	else
		extra[(*n_extra)++] = *r; /* counted for the error message */
	return 0;
}

/*
 * One entry per distinct prefix, holding the ranges of every rule whose
 * prefix contains it. Containing prefixes are found by masking the entry's
 * address to each shorter length and looking that prefix up (binary
 * search), so the cost is O(n log n * address bits), not O(n^2).
 */
int pl_cgb_finish_egress(struct gen *g)
{
	struct pl_bpf_tables *t = g->t;
	struct pl_bpf_port_range *extra = NULL;
	size_t *start = NULL; /* raw index of each entry's first rule; start[n] = n_raw */
	int r = 0;

	if (!g->n_raw)
		return 0;
	qsort(g->raw, g->n_raw, sizeof(g->raw[0]), cmp_raw);
	start = calloc(g->n_raw + 1, sizeof(*start));
	extra = calloc(g->n_raw, sizeof(*extra));
	if (!start || !extra) {
		r = pl_cgb_oom(g);
		goto out;
	}
	for (size_t i = 0; i < g->n_raw; i++) {
		const struct raw_egress *x = &g->raw[i];
		struct pl_bpf_egress_entry *e;

		if (i && x->family == g->raw[i - 1].family &&
		    x->prefix_len == g->raw[i - 1].prefix_len &&
		    !memcmp(x->addr, g->raw[i - 1].addr, 16))
			continue;
		e = PUSH(g, t->egress, t->n_egress);
		if (!e) {
			r = pl_cgb_oom(g);
			goto out;
		}
		e->family = x->family;
		memcpy(e->addr, x->addr, 16);
		e->prefix_len = x->prefix_len;
		start[t->n_egress - 1] = i;
	}
	start[t->n_egress] = g->n_raw;

	for (size_t j = 0; j < t->n_egress && r == 0; j++) {
		struct pl_bpf_egress_entry *e = &t->egress[j];
		size_t n_extra = 0;
		const struct pl_pos *pos = NULL;

		for (unsigned len = 0; len <= e->prefix_len; len++) {
			struct pl_bpf_egress_entry key = { .family = e->family,
							   .prefix_len = (uint8_t)len };
			const struct pl_bpf_egress_entry *q;

			memcpy(key.addr, e->addr, 16);
			for (unsigned bit = len; bit < e->prefix_len; bit++)
				key.addr[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
			q = bsearch(&key, t->egress, t->n_egress, sizeof(key), cmp_egress);
			if (!q)
				continue;
			for (size_t i = start[q - t->egress]; i < start[q - t->egress + 1]; i++) {
				if (!pos)
					pos = g->raw[i].pos;
				merge_range(e, extra, &n_extra, &g->raw[i].range);
			}
		}
		if (n_extra) {
			char a[INET6_ADDRSTRLEN];

			inet_ntop(e->family, e->addr, a, sizeof(a));
			r = pl_error(g->d, -E2BIG, pos, FIELD_EGRESS,
				     "%s/%u: %zu distinct port ranges apply to this prefix after "
				     "merging overlapping rules; at most %d fit one entry",
				     a, e->prefix_len, e->n + n_extra, PL_BPF_MAX_PORT_RANGES);
			break;
		}
		qsort(e->r, e->n, sizeof(e->r[0]), cmp_range);
	}
out:
	free(start);
	free(extra);
	return r;
}

/* ---- sysctl ------------------------------------------------------------- */

int pl_cgb_add_sysctl(struct gen *g, const char *name, uint8_t action, uint32_t rule)
{
	struct pl_bpf_tables *t = g->t;
	struct pl_bpf_sysctl_entry *e;

	if (!strncmp(name, "/proc/sys/", 10))
		name += 10;
	if (!*name || strlen(name) >= PL_BPF_SYSCTL_NAME_MAX)
		return pl_error(g->d, -EINVAL, NULL, NULL,
				"sysctl name '%s' is empty or longer than %d characters", name,
				PL_BPF_SYSCTL_NAME_MAX - 1);
	for (size_t i = 0; i < t->n_sysctl; i++) {
		e = &t->sysctl[i];
		if (!strcmp(e->name, name)) {
			if (action > e->action) {
				e->action = action;
				e->rule = rule;
			}
			return 0;
		}
	}
	e = PUSH(g, t->sysctl, t->n_sysctl);
	if (!e)
		return pl_cgb_oom(g);
	strcpy(e->name, name);
	e->action = action;
	e->rule = rule;
	return 0;
}

/* ---- devices ------------------------------------------------------------ */

int pl_cgb_add_dev(struct gen *g, char type, uint32_t major, uint32_t minor, const char *access,
		   uint8_t action, uint32_t rule)
{
	struct pl_bpf_tables *t = g->t;
	struct pl_bpf_dev_entry *e = NULL;
	bool acc[3] = { false, false, false };

	for (const char *c = access ? access : "rwm"; *c; c++) {
		if (*c == 'm')
			acc[PL_BPF_DEV_MKNOD] = true;
		else if (*c == 'r')
			acc[PL_BPF_DEV_READ] = true;
		else if (*c == 'w')
			acc[PL_BPF_DEV_WRITE] = true;
		else
			return pl_error(g->d, -EINVAL, NULL, NULL,
					"device access '%s': only r, w and m are known", access);
	}
	for (size_t i = 0; i < t->n_dev && !e; i++)
		if (t->dev[i].type == type && t->dev[i].major == major && t->dev[i].minor == minor)
			e = &t->dev[i];
	if (!e) {
		e = PUSH(g, t->dev, t->n_dev);
		if (!e)
			return pl_cgb_oom(g);
		e->type = type;
		e->major = major;
		e->minor = minor;
	}
	for (int i = 0; i < 3; i++)
		if (acc[i] && action > e->action[i]) {
			e->action[i] = action;
			e->rule[i] = rule;
		}
	return 0;
}

int pl_cgb_add_host_disks(struct gen *g, const char *access, uint8_t action, uint32_t rule,
			  const char *rule_id)
{
	const char *path = g->partitions ? g->partitions : "/proc/partitions";
	FILE *f = fopen(path, "re");
	char line[256];
	int r = 0, n = 0;

	if (!f)
		return pl_error(g->d, -errno, NULL, NULL,
				"%s: cannot read %s to expand the host's disks: %s", rule_id, path,
				strerror(errno));
	while (r == 0 && fgets(line, sizeof(line), f)) {
		unsigned major, minor;
		unsigned long long blocks;
		char name[64];

		if (sscanf(line, "%u %u %llu %63s", &major, &minor, &blocks, name) != 4)
			continue; /* header and blank lines */
		r = pl_cgb_add_dev(g, 'b', major, minor, access, action, rule);
		n++;
	}
	fclose(f);
	if (r == 0 && n == 0)
		return pl_cgb_note(g, rule, "%s lists no disks: nothing to deny for host_disks",
				   path);
	return r;
}
