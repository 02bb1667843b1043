/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vArmor's violation-event format (pl_event_to_varmor_json,
 * src/lib/events/event-varmor.c), field by field with jansson, for the
 * three denials plastron reports: a seccomp denial, a connect() denied by
 * cgroup-BPF and a Landlock denial; also a socket() denial, a cluster
 * policy's profile name, unattributed events (every field "" or 0, as
 * vArmor writes what it does not know), the key order of vArmor's zerolog
 * lines, and the plastron schema's new policy_kind, policy_namespace,
 * image and pod_uid keys.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bpf/cgroup.h"
#include "plastron/events.h"
#include "tap.h"

static const char *const top_keys[] = {
	"level",       "time",         "metadata",       "nodeName",        "podUID",
	"podName",     "podNamespace", "containerID",    "containerName",   "image",
	"pid",         "mntNsID",      "eventTimestamp", "enforcer",        "action",
	"profileName", "policyKind",   "policyName",     "policyNamespace", "event",
	"message",
};

#define N_TOP (sizeof(top_keys) / sizeof(top_keys[0]))

static const char *str(json_t *j, const char *k)
{
	json_t *v = json_object_get(j, k);
	return json_is_string(v) ? json_string_value(v) : "(not a string)";
}

static long long num(json_t *j, const char *k)
{
	json_t *v = json_object_get(j, k);
	return json_is_integer(v) ? json_integer_value(v) : -12345;
}

/* The line, parsed (NULL when it is not one JSON object and a newline). */
static json_t *line_of(const struct pl_event *ev, const char *what)
{
	char *s = NULL;
	json_t *j;
	size_t n;

	if (!TAP_OK(pl_event_to_varmor_json(ev, &s) == 0, "%s: formatted", what))
		return NULL;
	n = strlen(s);
	TAP_OK(n > 0 && s[n - 1] == '\n' && !strchr(s, '\n')[1], "%s: one line", what);
	tap_diag("%s: %s", what, s);
	j = json_loads(s, JSON_REJECT_DUPLICATES, NULL);
	free(s);
	TAP_OK(json_is_object(j), "%s: a JSON object", what);
	return j;
}

/* Exactly vArmor's top-level keys, in zerolog's order. */
static void check_keys(json_t *j, const char *what)
{
	const char *k;
	json_t *v;
	size_t i = 0;
	bool ok = json_object_size(j) == N_TOP;

	json_object_foreach(j, k, v)
	{
		(void)v;
		if (i >= N_TOP || strcmp(k, top_keys[i]))
			ok = false;
		i++;
	}
	TAP_OK(ok, "%s: vArmor's %zu top-level keys, in zerolog's order", what, N_TOP);
	TAP_EQ_STR(str(j, "level"), "warn", "%s: level", what);
	TAP_EQ_STR(str(j, "message"), "violation event", "%s: message", what);
	TAP_OK(json_is_object(json_object_get(j, "metadata")) &&
		   json_object_size(json_object_get(j, "metadata")) == 0,
	       "%s: metadata {}", what);
}

/* The attribution of a container, as plastrond sets it. */
static void attribute(struct pl_event *ev)
{
	ev->node = "node-7";
	ev->container_id = "4f1c0ffee";
	ev->container_name = "web-1";
	ev->container = "nginx";
	ev->pod = "web-5d8f";
	ev->namespace_ = "shop";
	ev->pod_uid = "0b9e6a52-1c1f-4d3e-9a1e-5a8c2f0d1e77";
	ev->image = "docker.io/library/nginx:1.27";
	ev->policy = "Web-Policy";
	ev->policy_kind = "VarmorPolicy";
	ev->policy_namespace = "shop";
	ev->mnt_ns = 4026532801u;
}

static void check_attributed(json_t *j, const char *what)
{
	TAP_EQ_STR(str(j, "nodeName"), "node-7", "%s: nodeName", what);
	TAP_EQ_STR(str(j, "podUID"), "0b9e6a52-1c1f-4d3e-9a1e-5a8c2f0d1e77", "%s: podUID", what);
	TAP_EQ_STR(str(j, "podName"), "web-5d8f", "%s: podName", what);
	TAP_EQ_STR(str(j, "podNamespace"), "shop", "%s: podNamespace", what);
	TAP_EQ_STR(str(j, "containerID"), "4f1c0ffee", "%s: containerID", what);
	TAP_EQ_STR(str(j, "containerName"), "nginx", "%s: containerName (the CRI name)", what);
	TAP_EQ_STR(str(j, "image"), "docker.io/library/nginx:1.27", "%s: image", what);
	TAP_EQ_INT(num(j, "mntNsID"), 4026532801ll, "%s: mntNsID", what);
	TAP_EQ_STR(str(j, "profileName"), "varmor-shop-web-policy",
		   "%s: profileName varmor-<ns>-<name>, lower case", what);
	TAP_EQ_STR(str(j, "policyKind"), "VarmorPolicy", "%s: policyKind", what);
	TAP_EQ_STR(str(j, "policyName"), "Web-Policy", "%s: policyName", what);
	TAP_EQ_STR(str(j, "policyNamespace"), "shop", "%s: policyNamespace", what);
}

static void seccomp_denial(void)
{
	const char *rec = "audit(1795462351.197:2): auid=4294967295 uid=0 gid=0 ses=42 pid=9230 "
			  "comm=\"p1\" exe=\"/tmp/h4/p1\" sig=0 arch=c000003e syscall=165 compat=0 "
			  "ip=0x7ff67df37b07 code=0x50000";
	const char *what = "seccomp denial";
	struct pl_event ev;
	json_t *j, *e;

	TAP_EQ_INT(pl_event_parse(PL_AUDIT_SECCOMP, rec, &ev), 1, "%s: parsed", what);
	attribute(&ev);
	j = line_of(&ev, what);
	if (!j)
		return;
	check_keys(j, what);
	check_attributed(j, what);
	TAP_EQ_STR(str(j, "time"), "2026-11-23T19:32:31Z", "%s: time (RFC 3339)", what);
	TAP_EQ_INT(num(j, "pid"), 9230, "%s: pid", what);
	TAP_EQ_INT(num(j, "eventTimestamp"), 1795462351ll, "%s: eventTimestamp (s)", what);
	TAP_EQ_STR(str(j, "enforcer"), "Seccomp", "%s: enforcer", what);
	TAP_EQ_STR(str(j, "action"), "DENIED", "%s: action", what);
	e = json_object_get(j, "event");
	TAP_EQ_INT(json_object_size(e), 7, "%s: event has SeccompEvent's 7 fields", what);
	TAP_EQ_STR(str(e, "auditID"), "1795462351.197:2", "%s: event.auditID", what);
	TAP_EQ_INT(num(e, "epoch"), 1795462351ll, "%s: event.epoch", what);
	TAP_EQ_STR(str(e, "subj"), "", "%s: event.subj (not read: \"\")", what);
	TAP_EQ_INT(num(e, "pid"), 9230, "%s: event.pid", what);
	TAP_EQ_STR(str(e, "comm"), "p1", "%s: event.comm", what);
	TAP_EQ_STR(str(e, "exe"), "/tmp/h4/p1", "%s: event.exe", what);
	TAP_EQ_STR(str(e, "syscall"), "mount", "%s: event.syscall (the name)", what);
	json_decref(j);

	/* A LOG record a rule explains: vArmor's seccomp action */
	rec = "audit(1795462351.197:3): pid=9230 comm=\"p1\" exe=\"/x\" sig=0 arch=c000003e "
	      "syscall=165 code=0x7ffc0000";
	pl_event_parse(PL_AUDIT_SECCOMP, rec, &ev);
	j = line_of(&ev, "seccomp audit");
	TAP_EQ_STR(j ? str(j, "action") : NULL, "AUDIT|ALLOWED",
		   "seccomp audit: action AUDIT|ALLOWED, as vArmor writes its seccomp records");
	json_decref(j);
}

static void connect_denial(void)
{
	struct pl_cg_event cg = {
		.ts_ns = 1,
		.cgroup_id = 2533,
		.pid = 11070,
		.hook = PL_CG_HOOK_CONNECT4,
		.action = PL_CG_DENY_LOG,
		.comm = "probe",
		.rule_name = "block-access-to-metadata-service",
		.u.net = { .family = AF_INET,
			   .type = SOCK_STREAM,
			   .protocol = 6,
			   .port = 80,
			   .addr = { 169, 254, 169, 254 } },
	};
	const char *what = "connect denial";
	struct pl_event ev;
	json_t *j, *e, *s, *a;

	pl_event_from_cg(&ev, &cg, 1795462353985);
	attribute(&ev);
	j = line_of(&ev, what);
	if (!j)
		return;
	check_keys(j, what);
	check_attributed(j, what);
	TAP_EQ_INT(num(j, "pid"), 11070, "%s: pid", what);
	TAP_EQ_INT(num(j, "eventTimestamp"), 1795462353ll, "%s: eventTimestamp", what);
	TAP_EQ_STR(str(j, "enforcer"), "BPF", "%s: enforcer", what);
	TAP_EQ_STR(str(j, "action"), "DENIED", "%s: action", what);
	e = json_object_get(j, "event");
	s = json_object_get(e, "socket");
	a = json_object_get(e, "address");
	TAP_EQ_INT(json_object_size(e), 4, "%s: event: operation, type, socket, address", what);
	TAP_EQ_STR(str(e, "operation"), "Network", "%s: event.operation", what);
	TAP_EQ_STR(str(e, "type"), "connect", "%s: event.type", what);
	TAP_OK(json_object_size(s) == 4 && !strcmp(str(s, "operation"), "") &&
		   !strcmp(str(s, "domain"), "") && !strcmp(str(s, "type"), "") &&
		   !strcmp(str(s, "protocol"), ""),
	       "%s: event.socket of empty strings (a connect event has none)", what);
	TAP_EQ_INT(json_object_size(a), 3, "%s: event.address: operation, ip, port", what);
	TAP_EQ_STR(str(a, "operation"), "", "%s: event.address.operation", what);
	TAP_EQ_STR(str(a, "ip"), "169.254.169.254", "%s: event.address.ip", what);
	TAP_EQ_INT(num(a, "port"), 80, "%s: event.address.port", what);
	json_decref(j);

	/* IPv6, and a socket() denial */
	cg.hook = PL_CG_HOOK_CONNECT6;
	cg.u.net.family = AF_INET6;
	memset(cg.u.net.addr, 0, sizeof(cg.u.net.addr));
	cg.u.net.addr[0] = 0xfd, cg.u.net.addr[15] = 1, cg.u.net.port = 53;
	pl_event_from_cg(&ev, &cg, 1795462353985);
	j = line_of(&ev, "connect6 denial");
	a = json_object_get(json_object_get(j, "event"), "address");
	TAP_OK(j && !strcmp(str(a, "ip"), "fd00::1") && num(a, "port") == 53,
	       "connect6 denial: event.address fd00::1 port 53");
	json_decref(j);
	cg.hook = PL_CG_HOOK_SOCK_CREATE;
	cg.u.sock.family = AF_INET, cg.u.sock.type = SOCK_RAW, cg.u.sock.protocol = 1;
	pl_event_from_cg(&ev, &cg, 1795462353985);
	j = line_of(&ev, "socket denial");
	e = json_object_get(j, "event");
	s = json_object_get(e, "socket");
	TAP_OK(j && !strcmp(str(e, "type"), "socket") && !strcmp(str(s, "domain"), "AF_INET") &&
		   !strcmp(str(s, "type"), "SOCK_RAW") &&
		   !strcmp(str(s, "protocol"), "IPPROTO_ICMP") &&
		   !strcmp(str(json_object_get(e, "address"), "ip"), ""),
	       "socket denial: event.socket AF_INET SOCK_RAW IPPROTO_ICMP, address empty");
	TAP_OK(j && !strcmp(str(j, "containerID"), "") && !strcmp(str(j, "podUID"), "") &&
		   !strcmp(str(j, "nodeName"), "") && !strcmp(str(j, "profileName"), "") &&
		   !strcmp(str(j, "policyKind"), "") && num(j, "mntNsID") == 0,
	       "unattributed: container, pod, node, policy fields \"\", mntNsID 0");
	json_decref(j);
}

static void landlock_denial(void)
{
	const char *rec = "audit(1795462352.001:9): domain=195ba459b blockers=fs.write_file,"
			  "fs.truncate path=\"/etc/hostname\" dev=\"vda\" ino=1234";
	const char *what = "landlock denial";
	struct pl_event ev;
	json_t *j, *e, *p;

	TAP_EQ_INT(pl_event_parse(PL_AUDIT_LANDLOCK_ACCESS, rec, &ev), 1, "%s: parsed", what);
	attribute(&ev);
	ev.policy_kind = "VarmorClusterPolicy";
	ev.policy_namespace = NULL;
	j = line_of(&ev, what);
	if (!j)
		return;
	check_keys(j, what);
	TAP_EQ_INT(num(j, "pid"), 0, "%s: pid 0 (the record has none)", what);
	TAP_EQ_INT(num(j, "eventTimestamp"), 1795462352ll, "%s: eventTimestamp", what);
	TAP_EQ_STR(str(j, "enforcer"), "Landlock", "%s: enforcer", what);
	TAP_EQ_STR(str(j, "action"), "DENIED", "%s: action", what);
	TAP_EQ_STR(str(j, "profileName"), "varmor-cluster-varmor-web-policy",
		   "%s: a cluster policy's profileName", what);
	TAP_EQ_STR(str(j, "policyKind"), "VarmorClusterPolicy", "%s: policyKind", what);
	TAP_EQ_STR(str(j, "policyNamespace"), "", "%s: policyNamespace \"\" (cluster)", what);
	e = json_object_get(j, "event");
	p = json_object_get(e, "permissions");
	TAP_EQ_INT(json_object_size(e), 3, "%s: event: operation, permissions, path", what);
	TAP_EQ_STR(str(e, "operation"), "File", "%s: event.operation", what);
	TAP_OK(json_array_size(p) == 1 && !strcmp(json_string_value(json_array_get(p, 0)), "write"),
	       "%s: event.permissions [\"write\"] (write_file and truncate)", what);
	TAP_EQ_STR(str(e, "path"), "/etc/hostname", "%s: event.path", what);
	json_decref(j);

	rec = "audit(1795462352.001:10): domain=195ba459b blockers=net.connect_tcp "
	      "daddr=127.0.0.1 dest=443";
	pl_event_parse(PL_AUDIT_LANDLOCK_ACCESS, rec, &ev);
	j = line_of(&ev, "landlock connect");
	e = json_object_get(j, "event");
	TAP_OK(j && !strcmp(str(e, "operation"), "Network") && !strcmp(str(e, "type"), "connect") &&
		   !strcmp(str(json_object_get(e, "address"), "ip"), "127.0.0.1") &&
		   num(json_object_get(e, "address"), "port") == 443,
	       "landlock connect: event Network connect 127.0.0.1 port 443");
	json_decref(j);
}

/* Our own schema: the policy's kind and namespace, the image, the pod uid. */
static void plastron_schema(void)
{
	const char *rec = "audit(1795462351.197:2): pid=9230 comm=\"p1\" exe=\"/x\" sig=0 "
			  "arch=c000003e syscall=165 code=0x50000";
	struct pl_event ev;
	char *s = NULL;
	json_t *j;

	pl_event_parse(PL_AUDIT_SECCOMP, rec, &ev);
	attribute(&ev);
	j = pl_event_to_json(&ev, &s) == 0 ? json_loads(s, 0, NULL) : NULL;
	TAP_OK(j && !strcmp(str(j, "policy_kind"), "VarmorPolicy") &&
		   !strcmp(str(j, "policy_namespace"), "shop") &&
		   !strcmp(str(j, "image"), "docker.io/library/nginx:1.27") &&
		   !strcmp(str(j, "pod_uid"), "0b9e6a52-1c1f-4d3e-9a1e-5a8c2f0d1e77"),
	       "plastron schema: policy_kind, policy_namespace, image, pod_uid");
	json_decref(j);
	free(s);
	pl_event_parse(PL_AUDIT_SECCOMP, rec, &ev);
	j = pl_event_to_json(&ev, &s) == 0 ? json_loads(s, 0, NULL) : NULL;
	TAP_OK(j && !json_object_get(j, "policy_kind") && !json_object_get(j, "policy_namespace") &&
		   !json_object_get(j, "image") && !json_object_get(j, "pod_uid"),
	       "plastron schema: the four keys absent when unknown");
	json_decref(j);
	free(s);
}

int main(void)
{
	enum pl_event_format f;

	seccomp_denial();
	connect_denial();
	landlock_denial();
	plastron_schema();
	TAP_OK(pl_event_format_from_name("varmor", &f) == 0 && f == PL_EVENT_FORMAT_VARMOR &&
		   pl_event_format_from_name("plastron", &f) == 0 &&
		   f == PL_EVENT_FORMAT_PLASTRON && pl_event_format_from_name("json", &f) < 0,
	       "format names: plastron, varmor; others refused");
	return tap_done();
}
