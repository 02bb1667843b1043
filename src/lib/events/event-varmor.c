/* SPDX-License-Identifier: Apache-2.0 */
/*
 * struct pl_event → one line of vArmor's violation-event schema: the
 * object vArmor's agent writes to /var/log/varmor/violations.log
 * (bytedance/vArmor pkg/auditor: audit.go, bpf.go, types.go,
 * policy_identity.go; zerolog with a timestamp), so that pipelines that
 * read vArmor's log read plastron's. Keys in zerolog's order: level, time,
 * the fields in the order vArmor adds them, message. A field plastron does
 * not know is written as vArmor writes one it does not know ("" or 0),
 * never made up. The `event` body follows the enforcer (docs/agent.md
 * "The vArmor format"). Built with jansson: this format is opt-in, off the
 * agent's allocation-free path (event-json.c).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "plastron/events.h"
#include "shared/macro.h"

PL_EXPORT void pl_varmor_profile_name(bool cluster, const char *ns, const char *name, char *buf,
				      size_t len)
{
	if (cluster)
		snprintf(buf, len, "varmor-cluster-varmor-%s", name ? name : "");
	else
		snprintf(buf, len, "varmor-%s-%s", ns ? ns : "default", name ? name : "");
	for (char *c = buf; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	if (len > 63)
		buf[63] = '\0';
}

PL_EXPORT int pl_event_format_from_name(const char *name, enum pl_event_format *ret)
{
	if (name && !strcmp(name, "plastron"))
		*ret = PL_EVENT_FORMAT_PLASTRON;
	else if (name && !strcmp(name, "varmor"))
		*ret = PL_EVENT_FORMAT_VARMOR;
	else
		return -EINVAL;
	return 0;
}

/* vArmor's names (pkg/lsm/bpfenforcer SocketDomainMap, SocketTypeMap,
 * SocketProtocolMap): a value missing there is "" (a Go map miss). */
struct name {
	int v;
	const char *s;
};

static const char *lookup(const struct name *t, size_t n, int v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].v == v)
			return t[i].s;
	return "";
}

static const struct name domains[] = {
	{ AF_UNSPEC, "AF_UNSPEC" },   { AF_UNIX, "AF_UNIX" },
	{ AF_INET, "AF_INET" },       { AF_INET6, "AF_INET6" },
	{ AF_NETLINK, "AF_NETLINK" }, { AF_PACKET, "AF_PACKET" },
	{ AF_KEY, "AF_KEY" },         { AF_BLUETOOTH, "AF_BLUETOOTH" },
	{ AF_ALG, "AF_ALG" },         { AF_VSOCK, "AF_VSOCK" },
	{ AF_XDP, "AF_XDP" },         { AF_CAN, "AF_CAN" },
	{ AF_TIPC, "AF_TIPC" },       { AF_RDS, "AF_RDS" },
	{ AF_SMC, "AF_SMC" },
};
static const struct name types[] = {
	{ SOCK_STREAM, "SOCK_STREAM" },
	{ SOCK_DGRAM, "SOCK_DGRAM" },
	{ SOCK_RAW, "SOCK_RAW" },
	{ SOCK_RDM, "SOCK_RDM" },
	{ SOCK_SEQPACKET, "SOCK_SEQPACKET" },
	{ SOCK_DCCP, "SOCK_DCCP" },
	{ SOCK_PACKET, "SOCK_PACKET" },
};
/* no IPPROTO_ICMPV6 (58) in vArmor's map: "" */
static const struct name protocols[] = {
	{ IPPROTO_IP, "IPPROTO_IP" },     { IPPROTO_ICMP, "IPPROTO_ICMP" },
	{ IPPROTO_IGMP, "IPPROTO_IGMP" }, { IPPROTO_IPIP, "IPPROTO_IPIP" },
	{ IPPROTO_TCP, "IPPROTO_TCP" },   { IPPROTO_UDP, "IPPROTO_UDP" },
	{ IPPROTO_IPV6, "IPPROTO_IPV6" }, { IPPROTO_GRE, "IPPROTO_GRE" },
	{ IPPROTO_SCTP, "IPPROTO_SCTP" }, { IPPROTO_UDPLITE, "IPPROTO_UDPLITE" },
	{ IPPROTO_RAW, "IPPROTO_RAW" },   { IPPROTO_MPTCP, "IPPROTO_MPTCP" },
};

static int set(json_t *o, const char *k, json_t *v)
{
	return v ? json_object_set_new(o, k, v) : -1;
}

static int set_str(json_t *o, const char *k, const char *v)
{
	return set(o, k, json_string(v ? v : ""));
}

/* A string that is not valid UTF-8 (a process may name itself anything):
 * every byte above 0x7f that jansson refuses becomes '?'. */
static int set_text(json_t *o, const char *k, const char *v)
{
	char tmp[PL_EVENT_STR * 2];

	if (!v)
		v = "";
	if (json_object_set_new(o, k, json_string(v)) == 0)
		return 0;
	snprintf(tmp, sizeof(tmp), "%s", v);
	for (char *c = tmp; *c; c++)
		if ((unsigned char)*c >= 0x80)
			*c = '?';
	return set_str(o, k, tmp);
}

/* {"operation":"","ip":"...","port":N} from "a.b.c.d:port" or "[v6]:port" */
static json_t *sock_addr(const char *addr)
{
	char ip[64] = "";
	unsigned port = 0;
	const char *colon = strrchr(addr, ':');
	json_t *a = json_object();

	if (colon) {
		const char *b = addr, *e = colon;
		if (*b == '[' && e > b && e[-1] == ']')
			b++, e--;
		snprintf(ip, sizeof(ip), "%.*s", (int)(e - b), b);
		port = (unsigned)strtoul(colon + 1, NULL, 10);
	}
	if (a && (set_str(a, "operation", "") || set_str(a, "ip", ip) ||
		  set(a, "port", json_integer(port)))) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/* BpfNetworkEvent: operation, type, socket{...}, address{...} */
static json_t *network(const char *type, int family, int stype, int proto, bool have_sock,
		       const char *addr)
{
	json_t *e = json_object(), *s = json_object(), *a = sock_addr(addr);

	if (!e || !s || !a)
		goto fail;
	if (set_str(s, "operation", "") ||
	    set_str(s, "domain",
		    have_sock ? lookup(domains, PL_ARRAY_SIZE(domains), family) : "") ||
	    set_str(s, "type", have_sock ? lookup(types, PL_ARRAY_SIZE(types), stype) : "") ||
	    set_str(s, "protocol",
		    have_sock ? lookup(protocols, PL_ARRAY_SIZE(protocols), proto) : ""))
		goto fail;
	if (set_str(e, "operation", "Network") || set_str(e, "type", type))
		goto fail;
	json_object_set_new(e, "socket", s);
	json_object_set_new(e, "address", a);
	return e;
fail:
	json_decref(e);
	json_decref(s);
	json_decref(a);
	return NULL;
}

/* Landlock's access rights as vArmor's file permissions (PathPermissionMap:
 * exec, write, read, append, create, rename, link); a right with no
 * counterpart keeps its Landlock name. */
static const char *ll_perm(const char *r, size_t n)
{
	static const struct {
		const char *ll, *va;
	} map[] = {
		{ "fs.execute", "exec" },      { "fs.write_file", "write" },
		{ "fs.read_file", "read" },    { "fs.read_dir", "read" },
		{ "fs.truncate", "write" },    { "fs.remove_dir", "write" },
		{ "fs.remove_file", "write" }, { "fs.make_char", "create" },
		{ "fs.make_dir", "create" },   { "fs.make_reg", "create" },
		{ "fs.make_sock", "create" },  { "fs.make_fifo", "create" },
		{ "fs.make_block", "create" }, { "fs.make_sym", "create" },
		{ "fs.refer", "link" },
	};
	for (size_t i = 0; i < PL_ARRAY_SIZE(map); i++)
		if (strlen(map[i].ll) == n && !strncmp(map[i].ll, r, n))
			return map[i].va;
	return NULL;
}

static json_t *file(const char *blockers, const char *path, bool landlock, const char *perm)
{
	json_t *e = json_object(), *p = json_array();

	if (!e || !p)
		goto fail;
	if (perm && json_array_append_new(p, json_string(perm)))
		goto fail;
	for (const char *b = landlock ? blockers : ""; *b;) {
		size_t n = strcspn(b, ",");
		const char *va = ll_perm(b, n);
		char raw[64];
		bool dup = false;

		snprintf(raw, sizeof(raw), "%.*s", (int)n, b);
		for (size_t i = 0; i < json_array_size(p) && !dup; i++)
			dup = !strcmp(json_string_value(json_array_get(p, i)), va ? va : raw);
		if (!dup && json_array_append_new(p, json_string(va ? va : raw)))
			goto fail;
		b += n;
		if (*b == ',')
			b++;
	}
	if (set_str(e, "operation", "File"))
		goto fail;
	json_object_set_new(e, "permissions", p);
	if (set_text(e, "path", path))
		goto fail_e;
	return e;
fail:
	json_decref(p);
fail_e:
	json_decref(e);
	return NULL;
}

/* A value of the record's other fields ("daddr=127.0.0.1 dest=443"). */
static void object_field(const char *obj, const char *key, char *buf, size_t len)
{
	size_t kl = strlen(key);

	buf[0] = '\0';
	for (const char *p = obj; p && *p;) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, key, kl) && p[kl] == '=') {
			snprintf(buf, len, "%.*s", (int)strcspn(p + kl + 1, " "), p + kl + 1);
			return;
		}
		p = strchr(p, ' ');
	}
}

/* The body of a Landlock event: File for fs.* rights, Network for net.*. */
static json_t *landlock_body(const struct pl_event *ev)
{
	if (!strncmp(ev->blockers, "net.", 4)) {
		char ip[64], port[16], addr[96];
		bool bind = !strncmp(ev->blockers, "net.bind_tcp", 12);

		object_field(ev->object, bind ? "saddr" : "daddr", ip, sizeof(ip));
		object_field(ev->object, bind ? "src" : "dest", port, sizeof(port));
		snprintf(addr, sizeof(addr), "%s%s%s:%s", strchr(ip, ':') ? "[" : "", ip,
			 strchr(ip, ':') ? "]" : "", port[0] ? port : "0");
		return network(bind ? "bind" : "connect", 0, 0, 0, false, addr);
	}
	return file(ev->blockers, ev->path, true, NULL);
}

/* SeccompEvent: auditID, epoch, subj, pid, comm, exe, syscall */
static json_t *seccomp_body(const struct pl_event *ev)
{
	char id[64];
	json_t *e = json_object();

	snprintf(id, sizeof(id), "%" PRId64 ".%03d:%" PRIu64, ev->time_ms / 1000,
		 (int)(ev->time_ms % 1000), ev->serial);
	if (!e || set_str(e, "auditID", id) ||
	    set(e, "epoch", json_integer((json_int_t)(ev->time_ms / 1000))) ||
	    set_str(e, "subj", "") || set(e, "pid", json_integer((json_int_t)ev->pid)) ||
	    set_text(e, "comm", ev->comm) || set_text(e, "exe", ev->exe) ||
	    set_str(e, "syscall", ev->syscall)) {
		json_decref(e);
		return NULL;
	}
	return e;
}

static json_t *body(const struct pl_event *ev)
{
	switch (ev->enforcer) {
	case PL_EVENT_SECCOMP:
		return seccomp_body(ev);
	case PL_EVENT_LANDLOCK:
		return landlock_body(ev);
	case PL_EVENT_CGROUP_BPF:
		break;
	}
	if (ev->socket[0])
		return network("socket", ev->sock_family, ev->sock_type, ev->sock_protocol, true,
			       "");
	if (ev->address[0])
		return network(strcmp(ev->syscall, "connect") ? ev->syscall : "connect", 0, 0, 0,
			       false, ev->address);
	/* sysctl writes ("/proc/sys/..."), devices ("c 1:3") */
	return file("", ev->path, false, strcmp(ev->syscall, "write") ? NULL : "write");
}

static const char *enforcer_name(enum pl_enforcer_kind k)
{
	switch (k) {
	case PL_EVENT_SECCOMP:
		return "Seccomp";
	case PL_EVENT_LANDLOCK:
		return "Landlock"; /* plastron's; vArmor has no Landlock enforcer */
	case PL_EVENT_CGROUP_BPF:
		return "BPF";
	}
	return "";
}

/* vArmor writes "AUDIT|ALLOWED" for every seccomp record (SCMP_ACT_LOG). */
static const char *action_name(const struct pl_event *ev)
{
	if (ev->enforcer == PL_EVENT_SECCOMP && ev->action == PL_EVENT_AUDIT)
		return "AUDIT|ALLOWED";
	return pl_event_action_name(ev->action);
}

static json_t *varmor_object(const struct pl_event *ev)
{
	json_t *o = json_object(), *b = body(ev);
	int64_t sec = ev->time_ms >= 0 ? ev->time_ms / 1000 : 0;
	time_t t = (time_t)sec;
	char when[32], profile[64] = "";
	struct tm tm;
	bool ctr = ev->container_id != NULL;

	if (!o || !b)
		goto fail;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm); /* zerolog: RFC 3339 */
	if (ev->policy)
		pl_varmor_profile_name(ev->policy_kind &&
					   !strcmp(ev->policy_kind, "VarmorClusterPolicy"),
				       ev->policy_namespace, ev->policy, profile, sizeof(profile));
	if (set_str(o, "level", "warn") || set_str(o, "time", when) ||
	    set(o, "metadata", json_object()) || set_str(o, "nodeName", ev->node) ||
	    set_str(o, "podUID", ctr ? ev->pod_uid : NULL) ||
	    set_str(o, "podName", ctr ? ev->pod : NULL) ||
	    set_str(o, "podNamespace", ctr ? ev->namespace_ : NULL) ||
	    set_str(o, "containerID", ev->container_id) ||
	    set_str(o, "containerName",
		    ctr ? (ev->container ? ev->container : ev->container_name) : NULL) ||
	    set_str(o, "image", ev->image) ||
	    set(o, "pid", json_integer((json_int_t)(uint32_t)ev->pid)) ||
	    set(o, "mntNsID", json_integer((json_int_t)ev->mnt_ns)) ||
	    set(o, "eventTimestamp", json_integer((json_int_t)sec)) ||
	    set_str(o, "enforcer", enforcer_name(ev->enforcer)) ||
	    set_str(o, "action", action_name(ev)) || set_str(o, "profileName", profile) ||
	    set_str(o, "policyKind", ev->policy_kind) || set_str(o, "policyName", ev->policy) ||
	    set_str(o, "policyNamespace", ev->policy_namespace))
		goto fail;
	if (json_object_set_new(o, "event", b)) {
		b = NULL;
		goto fail;
	}
	b = NULL;
	if (set_str(o, "message", "violation event"))
		goto fail;
	return o;
fail:
	json_decref(b);
	json_decref(o);
	return NULL;
}

PL_EXPORT int pl_event_to_varmor_json(const struct pl_event *ev, char **ret)
{
	json_t *o = varmor_object(ev);
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	size_t n;

	json_decref(o);
	if (!s)
		return -ENOMEM;
	n = strlen(s);
	char *line = realloc(s, n + 2);
	if (!line) {
		free(s);
		return -ENOMEM;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	*ret = line;
	return 0;
}
