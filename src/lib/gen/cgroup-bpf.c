/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy model -> cgroup-BPF rule tables (include/plastron/bpf.h).
 *
 * Sources: the PL_MECH_CGROUP_BPF translation of every built-in rule the
 * policy uses (sockets, egress, sysctl writes, devices) and the policy's
 * bpfRawRules network.sockets / network.egress.toDestinations.
 *
 * Decisions:
 *  - cgroup/sock_create runs only for AF_INET/AF_INET6 sockets; other
 *    families of a socket rule are reported in `elsewhere` as carried by
 *    seccomp (socket() domain filter), never dropped silently.
 *  - The socket protocol is the one the kernel resolved (socket(AF_INET,
 *    SOCK_STREAM, 0) is TCP); vArmor compares the literal argument.
 *  - Overlapping rules: the strongest action wins (deny+log > deny >
 *    allow+log), independent of rule order.
 *  - Egress: each distinct prefix gets the ranges of every rule whose
 *    prefix contains it, so one longest-prefix lookup finds all of them.
 *  - pod-self, toServices and toPods need Kubernetes data: errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "plastron/bpf.h"
#include "shared/macro.h"

#define FIELD_SOCKETS "spec.policy.enhanceProtect.bpfRawRules.network.sockets"
#define FIELD_EGRESS "spec.policy.enhanceProtect.bpfRawRules.network.egress"

struct raw_egress {
	int family;
	uint8_t addr[16];
	uint8_t prefix_len;
	struct pl_bpf_port_range range;
	const struct pl_pos *pos;
	size_t seq; /* order of appearance, for a stable sort */
};

struct gen {
	struct pl_bpf_tables *t;
	const struct pl_gen_opts *o;
	const char *partitions;
	struct pl_diag *d;
	struct raw_egress *raw;
	size_t n_raw;
};

static int grow(void **arr, size_t n, size_t elem)
{
	void *p;

	/* Capacity doubles at powers of two. */
	if (n && (n & (n - 1)))
		return 0;
	p = realloc(*arr, (n ? 2 * n : 4) * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	return 0;
}
#define PUSH(g, arr, n)                                                \
	({                                                             \
		__typeof__(arr) _e = NULL;                             \
		if (grow((void **)&(arr), (n), sizeof(*(arr))) == 0) { \
			_e = &(arr)[(n)++];                            \
			memset(_e, 0, sizeof(*_e));                    \
		}                                                      \
		_e;                                                    \
	})

static int oom(struct gen *g)
{
	return pl_error(g->d, -ENOMEM, NULL, NULL, "out of memory");
}

PL_EXPORT enum pl_bpf_act pl_bpf_act_from_action(enum pl_action a)
{
	switch (a) {
	case PL_ACTION_DENY:
		return PL_BPF_ACT_DENY;
	case PL_ACTION_DENY_LOG:
		return PL_BPF_ACT_DENY_LOG;
	case PL_ACTION_ALLOW_LOG:
		return PL_BPF_ACT_ALLOW_LOG;
	}
	return PL_BPF_ACT_DENY;
}

PL_EXPORT const char *pl_bpf_act_name(enum pl_bpf_act a)
{
	switch (a) {
	case PL_BPF_ACT_NONE:
		return "none";
	case PL_BPF_ACT_ALLOW_LOG:
		return "allow+log";
	case PL_BPF_ACT_DENY:
		return "deny";
	case PL_BPF_ACT_DENY_LOG:
		return "deny+log";
	}
	return "?";
}

static const char *const mode_names[] = { "as-written", "enforce", "audit", "off" };

PL_EXPORT const char *pl_bpf_mode_name(enum pl_bpf_mode m)
{
	return (unsigned)m < PL_ARRAY_SIZE(mode_names) ? mode_names[m] : "?";
}

PL_EXPORT int pl_bpf_mode_from_name(const char *s)
{
	for (size_t i = 0; s && i < PL_ARRAY_SIZE(mode_names); i++)
		if (!strcmp(s, mode_names[i]))
			return (int)i;
	return -EINVAL;
}

/* Index of a rule id in the table, added on first use. `fresh`: the name
 * is known to be new (raw rules are named by their position). */
static int rule_add(struct gen *g, const char *name, bool fresh, uint32_t *ret)
{
	struct pl_bpf_tables *t = g->t;
	char **slot;

	for (size_t i = 0; !fresh && i < t->n_rules; i++)
		if (!strcmp(t->rules[i], name)) {
			*ret = (uint32_t)i;
			return 0;
		}
	slot = PUSH(g, t->rules, t->n_rules);
	if (!slot || !(*slot = strdup(name))) {
		if (slot)
			t->n_rules--;
		return oom(g);
	}
	*ret = (uint32_t)(t->n_rules - 1);
	return 0;
}

static int note(struct gen *g, uint32_t rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int note(struct gen *g, uint32_t rule, const char *fmt, ...)
{
	struct pl_bpf_note *n = PUSH(g, g->t->elsewhere, g->t->n_elsewhere);
	va_list ap;
	int r;

	if (!n)
		return oom(g);
	n->rule = rule;
	va_start(ap, fmt);
	r = vasprintf(&n->text, fmt, ap);
	va_end(ap);
	if (r < 0) {
		n->text = NULL;
		g->t->n_elsewhere--;
		return oom(g);
	}
	return 0;
}

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
		return oom(g);
	*e = (struct pl_bpf_sock_entry){ family, type, protocol, action, rule };
	return 0;
}

static const char *family_name(int af)
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

static const char *type_name(uint32_t type)
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

static const char *proto_name(uint32_t p)
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

static int gen_socket(struct gen *g, uint64_t domains, uint32_t types, uint32_t protocols,
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
		return note(g, rule,
			    "socket families other than inet/inet6: not visible to "
			    "cgroup/sock_create; carried by seccomp (socket() domain filter)");
	if (other) {
		char buf[512] = "";
		size_t len = 0;

		for (int af = 0; af < 64 && len < sizeof(buf); af++) {
			const char *n = family_name(af);
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
		return note(g, rule,
			    "socket families %s: not visible to cgroup/sock_create; carried by "
			    "seccomp (socket() domain filter)",
			    buf);
	}
	return 0;
}

/* ---- egress ------------------------------------------------------------- */

static int add_raw_egress(struct gen *g, int family, const uint8_t *addr, uint8_t prefix_len,
			  uint16_t lo, uint16_t hi, uint8_t action, uint32_t rule,
			  const struct pl_pos *pos)
{
	struct raw_egress *e = PUSH(g, g->raw, g->n_raw);
	size_t len = family == AF_INET ? 4 : 16;

	if (!e)
		return oom(g);
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

static int parse_cidr(const char *text, int *family, uint8_t addr[16], uint8_t *prefix_len)
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
static int finish_egress(struct gen *g)
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
		r = oom(g);
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
			r = oom(g);
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

static int add_sysctl(struct gen *g, const char *name, uint8_t action, uint32_t rule)
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
		return oom(g);
	strcpy(e->name, name);
	e->action = action;
	e->rule = rule;
	return 0;
}

/* ---- devices ------------------------------------------------------------ */

static int add_dev(struct gen *g, char type, uint32_t major, uint32_t minor, const char *access,
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
			return oom(g);
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

static int add_host_disks(struct gen *g, const char *access, uint8_t action, uint32_t rule,
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
		r = add_dev(g, 'b', major, minor, access, action, rule);
		n++;
	}
	fclose(f);
	if (r == 0 && n == 0)
		return note(g, rule, "%s lists no disks: nothing to deny for host_disks", path);
	return r;
}

/* ---- the generator ------------------------------------------------------ */

static int gen_builtin(struct gen *g, const struct pl_rule_use *use)
{
	const struct pl_translation *tr = pl_rule_translation(use->rule, PL_MECH_CGROUP_BPF);
	uint8_t action = pl_bpf_act_from_action(pl_effective_action(use->action, g->o));
	const char *id = use->rule->id;
	uint32_t rule;
	int r;

	if (!tr)
		return 0;
	r = rule_add(g, id, false, &rule);
	if (r < 0)
		return r;
	for (size_t i = 0; i < tr->u.cgroup.n_sockets; i++) {
		const struct pl_tr_socket *s = &tr->u.cgroup.sockets[i];
		r = gen_socket(g, s->domains, s->types, s->protocols, action, rule);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < tr->u.cgroup.n_egress; i++) {
		const struct pl_tr_egress *e = &tr->u.cgroup.egress[i];
		uint8_t addr[16];
		uint8_t plen;
		int family;

		if (parse_cidr(e->cidr, &family, addr, &plen) < 0)
			return pl_error(g->d, -EINVAL, &use->pos, NULL,
					"%s: catalog egress '%s' is not an address or CIDR", id,
					e->cidr);
		r = add_raw_egress(g, family, addr, plen, e->port ? e->port : 0,
				   e->port ? (e->end_port ? e->end_port : e->port) : 65535, action,
				   rule, &use->pos);
		if (r < 0)
			return r;
	}
	for (const char *const *s = tr->u.cgroup.sysctl_write; s && *s; s++) {
		r = add_sysctl(g, *s, action, rule);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < tr->u.cgroup.n_devices; i++) {
		const struct pl_tr_device *dv = &tr->u.cgroup.devices[i];
		uint32_t major = dv->major < 0 ? PL_BPF_ANY : (uint32_t)dv->major;
		uint32_t minor = dv->minor < 0 ? PL_BPF_ANY : (uint32_t)dv->minor;

		if (dv->host_disks) {
			r = add_host_disks(g, dv->access, action, rule, id);
		} else if (dv->type == 'a') {
			r = add_dev(g, 'b', major, minor, dv->access, action, rule);
			if (r == 0)
				r = add_dev(g, 'c', major, minor, dv->access, action, rule);
		} else if (dv->type == 'b' || dv->type == 'c') {
			r = add_dev(g, dv->type, major, minor, dv->access, action, rule);
		} else {
			r = pl_error(g->d, -EINVAL, &use->pos, NULL,
				     "%s: catalog device type '%c' is not b, c or a", id, dv->type);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int gen_raw_sockets(struct gen *g, const struct pl_bpf_raw *raw)
{
	for (size_t i = 0; i < raw->n_sockets; i++) {
		const struct pl_socket_rule *s = &raw->sockets[i];
		char name[64];
		uint32_t rule;
		int r;

		snprintf(name, sizeof(name), "bpfRawRules.network.sockets[%zu]", i);
		r = rule_add(g, name, true, &rule);
		if (r < 0)
			return r;
		r = gen_socket(g, s->domains, s->types, s->protocols,
			       pl_bpf_act_from_action(pl_effective_action(s->action, g->o)), rule);
		if (r < 0)
			return r;
	}
	return 0;
}

static int egress_ports(struct gen *g, int family, const uint8_t *addr, uint8_t plen,
			const struct pl_egress_rule *e, uint8_t action, uint32_t rule)
{
	int r = 0;

	if (!e->n_ports)
		return add_raw_egress(g, family, addr, plen, 0, 65535, action, rule, &e->pos);
	for (size_t k = 0; k < e->n_ports && r == 0; k++) {
		uint16_t lo = e->ports[k].port;
		uint16_t hi = e->ports[k].end_port >= lo ? e->ports[k].end_port : lo;
		r = add_raw_egress(g, family, addr, plen, lo, hi, action, rule, &e->pos);
	}
	return r;
}

static int gen_raw_egress(struct gen *g, const struct pl_bpf_raw *raw)
{
	static const uint8_t zero[16], lo4[4] = { 127, 0, 0, 1 }, lo6[16] = { [15] = 1 };
	int r;

	for (size_t i = 0; i < raw->n_egress; i++) {
		const struct pl_egress_rule *e = &raw->egress[i];
		uint8_t action = pl_bpf_act_from_action(pl_effective_action(e->action, g->o));
		char name[64];
		uint32_t rule;

		snprintf(name, sizeof(name), "bpfRawRules.network.egress[%zu]", i);
		switch (e->kind) {
		case PL_ADDR_CIDR:
			if (e->family != AF_INET && e->family != AF_INET6)
				return pl_error(g->d, -EINVAL, &e->pos, FIELD_EGRESS,
						"'%s': address family %d is neither IPv4 nor IPv6",
						e->text ? e->text : "?", e->family);
			if (e->prefix_len > (e->family == AF_INET ? 32 : 128))
				return pl_error(g->d, -EINVAL, &e->pos, FIELD_EGRESS,
						"'%s': prefix length %u is too long",
						e->text ? e->text : "?", e->prefix_len);
			r = rule_add(g, name, true, &rule);
			if (r == 0)
				r = egress_ports(g, e->family, e->addr, e->prefix_len, e, action,
						 rule);
			break;
		case PL_ADDR_UNSPECIFIED:
			r = rule_add(g, name, true, &rule);
			if (r == 0)
				r = egress_ports(g, AF_INET, zero, 32, e, action, rule);
			if (r == 0)
				r = egress_ports(g, AF_INET6, zero, 128, e, action, rule);
			break;
		case PL_ADDR_LOCALHOST:
			r = rule_add(g, name, true, &rule);
			if (r == 0)
				r = egress_ports(g, AF_INET, lo4, 32, e, action, rule);
			if (r == 0)
				r = egress_ports(g, AF_INET6, lo6, 128, e, action, rule);
			break;
		case PL_ADDR_POD_SELF:
		default:
			return pl_error(g->d, -EOPNOTSUPP, &e->pos, FIELD_EGRESS,
					"'pod-self' needs the pod's IP address from Kubernetes, "
					"which plastron does not resolve: refusing the rule rather "
					"than leaving it unenforced");
		}
		if (r < 0)
			return r;
	}
	if (raw->n_services)
		return pl_error(g->d, -EOPNOTSUPP, &raw->services[0].pos,
				FIELD_EGRESS ".toServices",
				"service egress rules need the Kubernetes API to resolve service "
				"addresses, which plastron does not do yet");
	if (raw->n_pods)
		return pl_error(g->d, -EOPNOTSUPP, &raw->pods[0].pos, FIELD_EGRESS ".toPods",
				"pod egress rules need the Kubernetes API to resolve pod "
				"addresses, which plastron does not do yet");
	return 0;
}

static int cmp_sock(const void *a, const void *b)
{
	const struct pl_bpf_sock_entry *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->protocol != y->protocol)
		return x->protocol < y->protocol ? -1 : 1;
	return 0;
}

static int cmp_sysctl(const void *a, const void *b)
{
	return strcmp(((const struct pl_bpf_sysctl_entry *)a)->name,
		      ((const struct pl_bpf_sysctl_entry *)b)->name);
}

static int cmp_dev(const void *a, const void *b)
{
	const struct pl_bpf_dev_entry *x = a, *y = b;

	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	if (x->minor != y->minor)
		return x->minor < y->minor ? -1 : 1;
	return 0;
}

PL_EXPORT int pl_gen_cgroup_bpf(const struct pl_policy *p, const struct pl_gen_opts *o,
				const char *partitions, struct pl_bpf_tables **ret,
				struct pl_diag *d)
{
	struct gen g = { .o = o, .partitions = partitions, .d = d };
	int r = 0;

	if (!p || !ret)
		return pl_error(d, -EINVAL, NULL, NULL, "pl_gen_cgroup_bpf: invalid argument");
	g.t = calloc(1, sizeof(*g.t));
	if (!g.t)
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");

	for (size_t i = 0; i < p->enhance.n_rules && r == 0; i++) {
		const struct pl_rule_use *use = &p->enhance.rules[i];

		/* attackProtectionRules with targets confine single executables:
		 * AppArmor only (see pl_plan_build). K8s-resolved rules have no
		 * data here; the plan reports them as unenforced. */
		if (!use->rule || use->targets.n || (use->rule->flags & PL_RULE_NEEDS_K8S))
			continue;
		r = gen_builtin(&g, use);
	}
	if (r == 0)
		r = gen_raw_sockets(&g, &p->enhance.bpf);
	if (r == 0)
		r = gen_raw_egress(&g, &p->enhance.bpf);
	if (r == 0)
		r = finish_egress(&g);
	free(g.raw);
	if (r < 0) {
		pl_bpf_tables_free(g.t);
		return r;
	}
	if (g.t->n_sock)
		qsort(g.t->sock, g.t->n_sock, sizeof(g.t->sock[0]), cmp_sock);
	if (g.t->n_sysctl)
		qsort(g.t->sysctl, g.t->n_sysctl, sizeof(g.t->sysctl[0]), cmp_sysctl);
	if (g.t->n_dev)
		qsort(g.t->dev, g.t->n_dev, sizeof(g.t->dev[0]), cmp_dev);
	*ret = g.t;
	return 0;
}

PL_EXPORT void pl_bpf_tables_free(struct pl_bpf_tables *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_rules; i++)
		free(t->rules[i]);
	for (size_t i = 0; i < t->n_elsewhere; i++)
		free(t->elsewhere[i].text);
	free(t->rules);
	free(t->sock);
	free(t->egress);
	free(t->sysctl);
	free(t->dev);
	free(t->elsewhere);
	free(t);
}

PL_EXPORT bool pl_bpf_tables_empty(const struct pl_bpf_tables *t)
{
	return !t || (!t->n_sock && !t->n_egress && !t->n_sysctl && !t->n_dev);
}

static void dump_num(FILE *out, const char *name, uint32_t v)
{
	if (name)
		fputs(name, out);
	else
		fprintf(out, "%u", v);
}

static void dump_devnum(FILE *out, uint32_t v)
{
	if (v == PL_BPF_ANY)
		fputc('*', out);
	else
		fprintf(out, "%u", v);
}

PL_EXPORT int pl_bpf_tables_dump(const struct pl_bpf_tables *t, FILE *out)
{
	static const char *const acc[3] = { "mknod", "read", "write" };

	if (!t || !out)
		return -EINVAL;
	fprintf(out, "rules:\n");
	for (size_t i = 0; i < t->n_rules; i++)
		fprintf(out, "  #%zu %s\n", i, t->rules[i]);
	fprintf(out, "sock_create:\n");
	for (size_t i = 0; i < t->n_sock; i++) {
		const struct pl_bpf_sock_entry *e = &t->sock[i];
		fprintf(out, "  %s ", family_name(e->family));
		dump_num(out, type_name(e->type), e->type);
		fputc(' ', out);
		dump_num(out, proto_name(e->protocol), e->protocol);
		fprintf(out, " -> %s #%u\n", pl_bpf_act_name(e->action), e->rule);
	}
	fprintf(out, "egress:\n");
	for (size_t i = 0; i < t->n_egress; i++) {
		const struct pl_bpf_egress_entry *e = &t->egress[i];
		char a[INET6_ADDRSTRLEN];

		inet_ntop(e->family, e->addr, a, sizeof(a));
		fprintf(out, "  %s/%u ->", a, e->prefix_len);
		for (size_t k = 0; k < e->n; k++) {
			const struct pl_bpf_port_range *r = &e->r[k];
			if (r->lo == 0 && r->hi == 65535)
				fprintf(out, " all");
			else if (r->lo == r->hi)
				fprintf(out, " %u", r->lo);
			else
				fprintf(out, " %u-%u", r->lo, r->hi);
			fprintf(out, ":%s #%u", pl_bpf_act_name(r->action), r->rule);
		}
		fputc('\n', out);
	}
	fprintf(out, "sysctl (write):\n");
	for (size_t i = 0; i < t->n_sysctl; i++)
		fprintf(out, "  %s -> %s #%u\n", t->sysctl[i].name,
			pl_bpf_act_name(t->sysctl[i].action), t->sysctl[i].rule);
	fprintf(out, "dev:\n");
	for (size_t i = 0; i < t->n_dev; i++) {
		const struct pl_bpf_dev_entry *e = &t->dev[i];
		fprintf(out, "  %c ", e->type);
		dump_devnum(out, e->major);
		fputc(':', out);
		dump_devnum(out, e->minor);
		fputs(" ->", out);
		for (int k = 0; k < 3; k++)
			if (e->action[k])
				fprintf(out, " %s:%s #%u", acc[k], pl_bpf_act_name(e->action[k]),
					e->rule[k]);
		fputc('\n', out);
	}
	fprintf(out, "elsewhere:\n");
	for (size_t i = 0; i < t->n_elsewhere; i++)
		fprintf(out, "  #%u %s\n", t->elsewhere[i].rule, t->elsewhere[i].text);
	return ferror(out) ? -EIO : 0;
}
