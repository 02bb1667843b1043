/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy model -> cgroup-BPF rule tables (include/plastron/bpf.h): the
 * generator. This file owns the rule sources (built-in rules' translations,
 * bpfRawRules), the entry point pl_gen_cgroup_bpf, the tables' life cycle
 * and the names of actions and modes; the entries of each table are
 * cgroup-bpf-entries.c, the text dump cgroup-bpf-dump.c (see
 * cgroup-bpf-internal.h).
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

#include "cgroup-bpf-internal.h"
#include "shared/macro.h"

int pl_cgb_grow(void **arr, size_t n, size_t elem)
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

int pl_cgb_oom(struct gen *g)
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
		return pl_cgb_oom(g);
	}
	*ret = (uint32_t)(t->n_rules - 1);
	return 0;
}

int pl_cgb_note(struct gen *g, uint32_t rule, const char *fmt, ...)
{
	struct pl_bpf_note *n = PUSH(g, g->t->elsewhere, g->t->n_elsewhere);
	va_list ap;
	int r;

	if (!n)
		return pl_cgb_oom(g);
	n->rule = rule;
	va_start(ap, fmt);
	r = vasprintf(&n->text, fmt, ap);
	va_end(ap);
	if (r < 0) {
		n->text = NULL;
		g->t->n_elsewhere--;
		return pl_cgb_oom(g);
	}
	return 0;
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
		r = pl_cgb_socket(g, s->domains, s->types, s->protocols, action, rule);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < tr->u.cgroup.n_egress; i++) {
		const struct pl_tr_egress *e = &tr->u.cgroup.egress[i];
		uint8_t addr[16];
		uint8_t plen;
		int family;

		if (pl_cgb_parse_cidr(e->cidr, &family, addr, &plen) < 0)
			return pl_error(g->d, -EINVAL, &use->pos, NULL,
					"%s: catalog egress '%s' is not an address or CIDR", id,
					e->cidr);
		r = pl_cgb_add_egress(g, family, addr, plen, e->port ? e->port : 0,
				      e->port ? (e->end_port ? e->end_port : e->port) : 65535,
				      action, rule, &use->pos);
		if (r < 0)
			return r;
	}
	for (const char *const *s = tr->u.cgroup.sysctl_write; s && *s; s++) {
		r = pl_cgb_add_sysctl(g, *s, action, rule);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < tr->u.cgroup.n_devices; i++) {
		const struct pl_tr_device *dv = &tr->u.cgroup.devices[i];
		uint32_t major = dv->major < 0 ? PL_BPF_ANY : (uint32_t)dv->major;
		uint32_t minor = dv->minor < 0 ? PL_BPF_ANY : (uint32_t)dv->minor;

		if (dv->host_disks) {
			r = pl_cgb_add_host_disks(g, dv->access, action, rule, id);
		} else if (dv->type == 'a') {
			r = pl_cgb_add_dev(g, 'b', major, minor, dv->access, action, rule);
			if (r == 0)
				r = pl_cgb_add_dev(g, 'c', major, minor, dv->access, action, rule);
		} else if (dv->type == 'b' || dv->type == 'c') {
			r = pl_cgb_add_dev(g, dv->type, major, minor, dv->access, action, rule);
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
		r = pl_cgb_socket(g, s->domains, s->types, s->protocols,
				  pl_bpf_act_from_action(pl_effective_action(s->action, g->o)),
				  rule);
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
		return pl_cgb_add_egress(g, family, addr, plen, 0, 65535, action, rule, &e->pos);
	for (size_t k = 0; k < e->n_ports && r == 0; k++) {
		uint16_t lo = e->ports[k].port;
		uint16_t hi = e->ports[k].end_port >= lo ? e->ports[k].end_port : lo;
		r = pl_cgb_add_egress(g, family, addr, plen, lo, hi, action, rule, &e->pos);
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
		case PL_ADDR_ANY:
			/* every address of both families: /0 prefixes; the merge folds
			 * their ports into every longer prefix (cgroup-bpf-entries.c) */
			r = rule_add(g, name, true, &rule);
			if (r == 0)
				r = egress_ports(g, AF_INET, zero, 0, e, action, rule);
			if (r == 0)
				r = egress_ports(g, AF_INET6, zero, 0, e, action, rule);
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
		r = pl_cgb_finish_egress(&g);
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
