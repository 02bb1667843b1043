/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON line of a cgroup-BPF event (pl_event_from_cg, then pl_event_json:
 * src/lib/events/cg-event.c and event-json.c, the formatter every event
 * goes through) against jansson: for every hook and for tricky names (quotes, backslashes,
 * control characters, DEL, slashes, non-ASCII, fields that fill their fixed
 * size without a NUL, long container fields), the fast formatter must write
 * exactly the bytes of json_dumps(JSON_COMPACT | JSON_SORT_KEYS) of the
 * object plastrond built before (reproduced here), and the line must parse
 * back. Strings that are not valid UTF-8 (jansson refuses them) must come
 * out with each invalid byte replaced by U+FFFD: compared with jansson's
 * line for that repaired string, written out by hand below.
 */
#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "bpf/cgroup.h"
#include "plastron/bpf.h"
#include "plastron/events.h"
#include "plastron/policy.h"
#include "tap.h"

/* What plastrond knows of an event besides the ring-buffer record (the
 * fields of the old struct pl_cg_event_json). */
struct ctx {
	const char *policy;      /* NULL: no "policy" key */
	const char *policy_hash; /* NULL: no key */
	const char *mode;        /* NULL: pl_bpf_mode_name(ev->mode) */
	int64_t time_ms;
	/* written when container_id is not NULL; pod, ns, container may be NULL */
	const char *container_id, *container_name, *pod, *ns, *container, *cgroup;
	struct pl_event_json_cache cache;
};

/* plastrond's jansson object for `ev` (before the fast formatter). `comm`
 * and `rule` replace the event's strings when not NULL (repaired UTF-8). */
static char *ref_line(const struct pl_cg_event *ev, const struct ctx *x, const char *comm_fix,
		      const char *rule_fix)
{
	json_t *o = json_object();
	char buf[256], comm[17], ts[48], b[32];
	time_t s = (time_t)(x->time_ms / 1000);
	struct tm tm;
	char *line, *out;

	memcpy(comm, ev->comm, 16);
	comm[16] = 0;
	json_object_set_new(o, "enforcer", json_string("cgroup-bpf"));
	json_object_set_new(o, "action",
			    json_string(ev->action == PL_CG_ALLOW_LOG ? "AUDIT" : "DENIED"));
	json_object_set_new(
	    o, "rule",
	    rule_fix ? json_string(rule_fix)
		     : json_stringn(ev->rule_name, strnlen(ev->rule_name, sizeof(ev->rule_name))));
	if (x->policy)
		json_object_set_new(o, "policy", json_string(x->policy));
	if (x->policy_hash)
		json_object_set_new(o, "policy_hash", json_string(x->policy_hash));
	json_object_set_new(o, "syscall", json_string(pl_cg_hook_syscall(ev->hook)));
	json_object_set_new(o, "pid", json_integer(ev->pid));
	json_object_set_new(o, "comm", json_string(comm_fix ? comm_fix : comm));
	json_object_set_new(o, "cgroup_id", json_integer((json_int_t)ev->cgroup_id));
	json_object_set_new(
	    o, "mode",
	    json_string(x->mode ? x->mode : pl_bpf_mode_name((enum pl_bpf_mode)ev->mode)));
	switch (ev->hook) {
	case PL_CG_HOOK_SOCK_CREATE:
		snprintf(buf, sizeof(buf), "%s %s protocol %u",
			 pl_af_name((int)ev->u.sock.family) ?: "?",
			 pl_sock_type_name((int)ev->u.sock.type) ?: "?", ev->u.sock.protocol);
		json_object_set_new(o, "socket", json_string(buf));
		break;
	case PL_CG_HOOK_CONNECT4:
	case PL_CG_HOOK_SENDMSG4:
	case PL_CG_HOOK_CONNECT6:
	case PL_CG_HOOK_SENDMSG6:
	case PL_CG_HOOK_RAW_SEND4:
	case PL_CG_HOOK_RAW_SEND6: {
		char a[INET6_ADDRSTRLEN];
		int v6 = ev->u.net.family == AF_INET6;
		inet_ntop(v6 ? AF_INET6 : AF_INET, ev->u.net.addr, a, sizeof(a));
		snprintf(buf, sizeof(buf), v6 ? "[%s]:%u" : "%s:%u", a, ev->u.net.port);
		json_object_set_new(o, "address", json_string(buf));
		break;
	}
	case PL_CG_HOOK_SYSCTL:
		snprintf(buf, sizeof(buf), "/proc/sys/%.*s", (int)sizeof(ev->u.sysctl.name),
			 ev->u.sysctl.name);
		json_object_set_new(o, "path", json_string(buf));
		break;
	case PL_CG_HOOK_DEV:
		snprintf(buf, sizeof(buf), "%c %u:%u", ev->u.dev.type == 1 ? 'b' : 'c',
			 ev->u.dev.major, ev->u.dev.minor);
		json_object_set_new(o, "path", json_string(buf));
		break;
	}
	gmtime_r(&s, &tm);
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts, sizeof(ts), "%s.%03dZ", b, (int)(x->time_ms % 1000));
	json_object_set_new(o, "time", json_string(ts));
	if (x->container_id) {
		json_object_set_new(o, "container_id", json_string(x->container_id));
		json_object_set_new(o, "container_name", json_string(x->container_name));
		if (x->pod)
			json_object_set_new(o, "pod", json_string(x->pod));
		if (x->ns)
			json_object_set_new(o, "namespace", json_string(x->ns));
		if (x->container)
			json_object_set_new(o, "container", json_string(x->container));
		json_object_set_new(o, "cgroup", json_string(x->cgroup));
	}
	line = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (!line)
		return NULL;
	out = malloc(strlen(line) + 2);
	if (out)
		sprintf(out, "%s\n", line);
	free(line);
	return out;
}

/* The event as plastrond's on_cg_event makes it. */
static void to_event(struct pl_event *e, const struct pl_cg_event *ev, const struct ctx *x)
{
	pl_event_from_cg(e, ev, x->time_ms);
	if (x->mode)
		snprintf(e->mode, sizeof(e->mode), "%s", x->mode);
	e->policy = x->policy;
	e->policy_hash = x->policy_hash;
	if (x->container_id) {
		e->container_id = x->container_id;
		e->container_name = x->container_name;
		e->pod = x->pod;
		e->namespace_ = x->ns;
		e->container = x->container;
		e->cgroup = x->cgroup;
	}
}

/* Format with the event formatter (exactly sized buffer, and the length
 * reported for a too small one) and compare with jansson's line. */
static void check(const char *what, const struct pl_cg_event *ev, struct ctx *x,
		  const char *comm_fix, const char *rule_fix)
{
	char small[16], *got;
	char *want = ref_line(ev, x, comm_fix, rule_fix);
	struct pl_event e;
	size_t n;
	json_t *back;

	to_event(&e, ev, x);
	n = pl_event_json(&e, &x->cache, small, sizeof(small));

	if (!TAP_OK(want != NULL, "%s: jansson builds the reference line", what))
		return;
	got = malloc(n + 1);
	if (!got)
		abort();
	TAP_OK(pl_event_json(&e, &x->cache, got, n + 1) == n && got[n] == '\0' &&
		   strlen(got) == n && strlen(small) < sizeof(small) &&
		   !strncmp(small, got, strlen(small)),
	       "%s: length reported for a small buffer (%zu) is what it writes", what, n);
	if (!TAP_OK(!strcmp(got, want), "%s: same bytes as jansson", what)) {
		tap_diag("want %s", want);
		tap_diag("got  %s", got);
	}
	back = json_loads(got, JSON_DISABLE_EOF_CHECK, NULL);
	TAP_OK(back && json_is_string(json_object_get(back, "comm")) &&
		   json_is_string(json_object_get(back, "rule")),
	       "%s: the line parses back with comm and rule", what);
	json_decref(back);
	free(got);
	free(want);
}

int main(void)
{
	struct pl_cg_event base = {
		.ts_ns = 123456789,
		.cgroup_id = 9223372036854775807ull, /* jansson's json_int_t is signed */
		.pid = 4294967295u,
		.policy = 3,
		.hook = PL_CG_HOOK_CONNECT4,
		.action = PL_CG_ALLOW_LOG,
		.mode = PL_CG_MODE_AUDIT,
		.comm = "curl",
		.rule_name = "block-metadata",
		.u.net = { .family = AF_INET,
			   .type = 2,
			   .protocol = 17,
			   .port = 80,
			   .addr = { 169, 254, 169, 254 } },
	};
	struct pl_cg_event ev;
	struct ctx x = { .time_ms = 1795000000123 };
	char longname[3001];

	check("plain IPv4, no container, no policy", &base, &x, NULL, NULL);

	ev = base;
	ev.action = PL_CG_DENY_LOG;
	ev.hook = PL_CG_HOOK_SENDMSG6;
	ev.u.net.family = AF_INET6;
	memcpy(ev.u.net.addr, "\xfd\x00\x0e\xc2\0\0\0\0\0\0\0\0\0\0\x02\x54", 16);
	memcpy(ev.comm, "a\"b\\c\nd\001e\tf/g\x7f\b\f", 16); /* 16 bytes, no NUL */
	memset(ev.rule_name, 0, sizeof(ev.rule_name));
	strcpy(ev.rule_name, "rule \"x\"\r\037 </script>");
	x.policy = "pol \"q\" \\ /";
	x.policy_hash = "sha256:0123abcd";
	x.mode = "observe";
	x.container_id = "abc\n123";
	x.container_name = "/name\twith\001ctl";
	x.pod = "p\303\266d";
	x.ns = "ns-\xe2\x82\xac";
	x.container = "c\xf0\x9f\x98\x80";
	x.cgroup = "/kubepods/\"x\"";
	check("escapes and control characters, IPv6, every container field", &ev, &x, NULL, NULL);

	x.pod = x.ns = x.container = NULL;
	x.container_name = "";
	x.container_id = "";
	ev = base;
	memset(ev.rule_name, 'r', sizeof(ev.rule_name)); /* 64 bytes, no NUL */
	memcpy(ev.comm, "r\303\251gle-\xe2\x82\xac-\xf0\x9f\x98\x80", 15);
	check("non-ASCII UTF-8 comm, rule filling its 64 bytes", &ev, &x, NULL, NULL);
	/* the kernel cuts comm at 15 bytes, also inside a character */
	memcpy(ev.comm, "r\303\251gle-\xe2\x82\xac--\xf0\x9f\x98\x80", 15);
	check("comm cut inside a character", &ev, &x,
	      "r\303\251gle-\xe2\x82\xac--\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", NULL);

	ev = base;
	memset(ev.comm, 0, sizeof(ev.comm));
	memcpy(ev.comm,
	       "ab\xff"
	       "cd\xc0\xaf"
	       "e\xed\xa0\x80x\xc3",
	       13);
	memset(ev.rule_name, 0, sizeof(ev.rule_name));
	memcpy(ev.rule_name, "\xe2\x82 ok \xf4\x90\x80\x80", 10);
	check("invalid UTF-8 (bad byte, overlong, surrogate, truncated, > U+10FFFF) -> U+FFFD", &ev,
	      &x,
	      "ab\xef\xbf\xbd"
	      "cd\xef\xbf\xbd\xef\xbf\xbd"
	      "e\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	      "x\xef\xbf\xbd",
	      "\xef\xbf\xbd\xef\xbf\xbd ok \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");

	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	longname[1000] = '"';
	longname[2000] = '\n';
	x.container_id = "id";
	x.container_name = longname;
	x.cgroup = longname;
	x.policy = NULL;
	x.mode = NULL;
	ev = base;
	ev.hook = PL_CG_HOOK_SYSCTL;
	ev.action = PL_CG_DENY_LOG;
	memset(ev.u.sysctl.name, 'k', sizeof(ev.u.sysctl.name)); /* 128 bytes, no NUL */
	check("sysctl name filling its 128 bytes, 3000-byte container fields", &ev, &x, NULL, NULL);

	x.container_id = NULL;
	ev = base;
	ev.hook = PL_CG_HOOK_DEV;
	ev.u.dev.type = 1;
	ev.u.dev.major = 8;
	ev.u.dev.minor = 4294967295u;
	check("device event", &ev, &x, NULL, NULL);
	ev.u.dev.type = 2;
	check("character device event", &ev, &x, NULL, NULL);

	ev = base;
	ev.hook = PL_CG_HOOK_SOCK_CREATE;
	ev.u.sock.family = AF_INET6;
	ev.u.sock.type = 3;
	ev.u.sock.protocol = 58;
	check("socket creation event", &ev, &x, NULL, NULL);
	ev.u.sock.family = 12345;
	ev.u.sock.type = 99;
	check("socket creation, unknown family and type", &ev, &x, NULL, NULL);

	ev = base;
	ev.hook = PL_CG_HOOK_RAW_SEND4;
	ev.mode = PL_CG_MODE_ENFORCE;
	ev.cgroup_id = 0;
	ev.pid = 0;
	memset(ev.comm, 0, sizeof(ev.comm));
	memset(ev.rule_name, 0, sizeof(ev.rule_name));
	check("raw send, zero values, empty comm and rule", &ev, &x, NULL, NULL);
	ev.hook = 200;
	check("unknown hook: no detail key", &ev, &x, NULL, NULL);

	x.time_ms = 1795000059999;
	check("time: the last millisecond of a second", &base, &x, NULL, NULL);
	x.time_ms = 1795000060000;
	check("time: the next second (cached prefix renewed)", &base, &x, NULL, NULL);
	return tap_done();
}
