/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one event schema (pl_event_json, src/lib/events/event-json.c) for the
 * audit-record events that `plastron run` and plastrond write (seccomp,
 * Landlock): the fields of docs/agent.md "Events" from fixed records, keys
 * sorted (the line is jansson's JSON_SORT_KEYS dump of itself), the
 * agent's attribution fields, invalid UTF-8 repaired, every buffer size
 * from 0 to the line's length, and pl_event_to_json under allocation
 * failure (-ENOMEM, never a truncated line). The cgroup-BPF events are
 * test-cg-event-json.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf/cgroup.h"
#include "plastron/events.h"
#include "tap.h"

/* malloc of the library's objects (linked with --wrap=malloc): the next
 * call fails when fail_next is set. */
void *__real_malloc(size_t n);
void *__wrap_malloc(size_t n);
static bool fail_next;
void *__wrap_malloc(size_t n)
{
	if (fail_next) {
		fail_next = false;
		errno = ENOMEM;
		return NULL;
	}
	return __real_malloc(n);
}

static char *line_of(const struct pl_event *ev)
{
	char *s = NULL;

	if (pl_event_to_json(ev, &s) < 0)
		return NULL;
	return s;
}

/* The line is what jansson writes for the object it parses to (sorted
 * keys, compact, jansson's escapes), plus the newline. */
static bool canonical(const char *line, json_t **ret)
{
	json_t *j = json_loads(line, 0, NULL);
	char *again = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	bool ok = again && strlen(line) == strlen(again) + 1 &&
		  !strncmp(line, again, strlen(again)) && line[strlen(again)] == '\n';

	free(again);
	*ret = j;
	return ok;
}

static const char *str(json_t *j, const char *k)
{
	return json_string_value(json_object_get(j, k));
}

static long long num(json_t *j, const char *k)
{
	return json_integer_value(json_object_get(j, k));
}

int main(void)
{
	const char *sc = "audit(1795462351.197:2): auid=4294967295 uid=0 gid=0 ses=42 pid=9230 "
			 "comm=\"p1\" exe=\"/tmp/h4/p1\" sig=0 arch=c000003e syscall=165 compat=0 "
			 "ip=0x7ff67df37b07 code=0x50000";
	const char *ll = "audit(1795462352.001:9): domain=195ba459b blockers=fs.write_file,"
			 "fs.truncate path=\"/etc/hostname\" dev=\"vda\" ino=1234";
	const char *bad = "audit(1795462351.197:3): auid=0 uid=0 gid=0 ses=1 pid=7 "
			  "comm=61FF62 exe=2F78C0AF sig=31 arch=c000003e syscall=63 "
			  "compat=0 ip=0x1 code=0x80000000";
	struct pl_event ev;
	char *s;
	json_t *j;

	/* seccomp, as `plastron run` writes it */
	TAP_OK(pl_event_parse(PL_AUDIT_SECCOMP, sc, &ev) == 1, "seccomp record parsed");
	s = line_of(&ev);
	TAP_OK(s && canonical(s, &j), "seccomp: one line, keys sorted as jansson's (%s)",
	       s ? s : "(null)");
	TAP_OK(j && !strcmp(str(j, "enforcer"), "seccomp") && !strcmp(str(j, "action"), "DENIED") &&
		   !strcmp(str(j, "syscall"), "mount") && num(j, "syscall_nr") == 165 &&
		   !strcmp(str(j, "arch"), "x86_64") &&
		   !strcmp(str(j, "seccomp_action"), "errno") && num(j, "serial") == 2 &&
		   num(j, "pid") == 9230 && !strcmp(str(j, "comm"), "p1") &&
		   !strcmp(str(j, "exe"), "/tmp/h4/p1") && !strcmp(str(j, "rule"), "") &&
		   !strcmp(str(j, "time"), "2026-11-23T19:32:31.197Z"),
	       "seccomp: enforcer, action, syscall, syscall_nr, arch, seccomp_action, serial, "
	       "pid, comm, exe, rule, time");
	TAP_OK(j && !json_object_get(j, "signal") && !json_object_get(j, "container_id") &&
		   !json_object_get(j, "cgroup") && !json_object_get(j, "cgroup_id") &&
		   !json_object_get(j, "policy") && !json_object_get(j, "rule_ambiguous") &&
		   !json_object_get(j, "domain") && !json_object_get(j, "mode"),
	       "seccomp, not attributed: no signal (0), container, cgroup, policy, "
	       "rule_ambiguous, domain or mode keys");
	json_decref(j);
	free(s);

	/* the same event as the agent writes it: attributed, candidates named */
	snprintf(ev.rule, sizeof(ev.rule), "disable-icmp|copy-fail-mitigation");
	ev.rule_ambiguous = true;
	ev.cgroup_id = 2533;
	ev.container_id = "rt-loop";
	ev.container_name = "";
	ev.cgroup = "/rt-loop";
	ev.pod = "web-0";
	ev.namespace_ = "prod";
	ev.container = "nginx";
	ev.policy = "rt-demo";
	ev.policy_hash = "sha256:0123";
	s = line_of(&ev);
	TAP_OK(s && canonical(s, &j), "attributed seccomp event: keys sorted (%s)",
	       s ? s : "(null)");
	TAP_OK(j && json_is_true(json_object_get(j, "rule_ambiguous")) &&
		   !strcmp(str(j, "rule"), "disable-icmp|copy-fail-mitigation") &&
		   num(j, "cgroup_id") == 2533 && !strcmp(str(j, "container_id"), "rt-loop") &&
		   !strcmp(str(j, "container_name"), "") && !strcmp(str(j, "cgroup"), "/rt-loop") &&
		   !strcmp(str(j, "pod"), "web-0") && !strcmp(str(j, "namespace"), "prod") &&
		   !strcmp(str(j, "container"), "nginx") && !strcmp(str(j, "policy"), "rt-demo") &&
		   !strcmp(str(j, "policy_hash"), "sha256:0123"),
	       "agent fields: rule_ambiguous, cgroup_id, container_id, container_name, cgroup, "
	       "pod, namespace, container, policy, policy_hash");
	json_decref(j);
	free(s);
	ev.pod = ev.namespace_ = ev.container = NULL;
	s = line_of(&ev);
	j = s ? json_loads(s, 0, NULL) : NULL;
	TAP_OK(j && !json_object_get(j, "pod") && !json_object_get(j, "namespace") &&
		   !json_object_get(j, "container") && json_object_get(j, "container_id"),
	       "pod, namespace, container: absent when the annotations do not give them");
	json_decref(j);
	free(s);

	/* Landlock: no pid in the record */
	TAP_OK(pl_event_parse(PL_AUDIT_LANDLOCK_ACCESS, ll, &ev) == 1, "Landlock record parsed");
	snprintf(ev.rule, sizeof(ev.rule), "%s", PL_EVENT_RULE_LANDLOCK);
	s = line_of(&ev);
	TAP_OK(s && canonical(s, &j), "Landlock: keys sorted (%s)", s ? s : "(null)");
	TAP_OK(j && !strcmp(str(j, "enforcer"), "landlock") &&
		   json_is_null(json_object_get(j, "pid")) &&
		   !strcmp(str(j, "domain"), "195ba459b") &&
		   !strcmp(str(j, "blockers"), "fs.write_file,fs.truncate") &&
		   !strcmp(str(j, "path"), "/etc/hostname") &&
		   !strcmp(str(j, "object"), "dev=\"vda\" ino=1234") &&
		   !json_object_get(j, "address") &&
		   !strcmp(str(j, "rule"), "spec.plastron.landlock") && num(j, "serial") == 9 &&
		   !json_object_get(j, "syscall") && !json_object_get(j, "arch"),
	       "Landlock: pid null, domain, blockers, path, object (not address), rule "
	       "spec.plastron.landlock, serial, no seccomp keys");
	json_decref(j);
	free(s);

	/* invalid UTF-8 from hex-encoded audit strings */
	TAP_OK(pl_event_parse(PL_AUDIT_SECCOMP, bad, &ev) == 1 && !strcmp(ev.comm, "a\xff"
										   "b"),
	       "hex-encoded comm with a byte that is not UTF-8 decoded");
	s = line_of(&ev);
	j = s ? json_loads(s, 0, NULL) : NULL;
	TAP_OK(j &&
		   !strcmp(str(j, "comm"), "a\xef\xbf\xbd"
					   "b") &&
		   !strcmp(str(j, "exe"), "/x\xef\xbf\xbd\xef\xbf\xbd") && num(j, "signal") == 31 &&
		   !strcmp(str(j, "seccomp_action"), "kill_process"),
	       "invalid UTF-8 in comm and exe becomes U+FFFD (the keys are kept); signal 31, "
	       "kill_process");
	json_decref(j);

	/* every buffer size: the length is always reported, a NUL-terminated
	 * prefix is always left */
	{
		size_t n = strlen(s), bad_len = (size_t)-1;
		char *buf = malloc(n + 2);

		for (size_t len = 0; buf && len <= n + 1 && bad_len == (size_t)-1; len++) {
			memset(buf, 'X', n + 2);
			size_t r = pl_event_json(&ev, NULL, buf, len);
			bool ok = r == n &&
				  (len == 0 ? buf[0] == 'X'
					    : strlen(buf) < len && !strncmp(buf, s, strlen(buf)) &&
						  (len <= n || !strcmp(buf, s)));
			if (!ok)
				bad_len = len;
		}
		if (!TAP_OK(buf && bad_len == (size_t)-1,
			    "every buffer size 0..%zu: length %zu reported, NUL-terminated prefix",
			    n + 1, n))
			tap_diag("first bad size: %zu", bad_len);
		free(buf);
	}
	free(s);

	/* allocation failure: -ENOMEM, nothing returned */
	s = (char *)"untouched";
	fail_next = true;
	{
		int r = pl_event_to_json(&ev, &s);

		TAP_OK(r == -ENOMEM && !strcmp(s, "untouched") && !fail_next,
		       "pl_event_to_json when malloc fails: -ENOMEM (%d), no line", r);
	}

	/* the human line of a cgroup-BPF event */
	{
		struct pl_cg_event cg = {
			.pid = 7,
			.hook = PL_CG_HOOK_CONNECT4,
			.action = PL_CG_DENY_LOG,
			.comm = "curl",
			.rule_name = "block-metadata",
			.u.net = { .family = 2, .port = 80, .addr = { 169, 254, 169, 254 } }
		};
		char h[256];

		pl_event_from_cg(&ev, &cg, 0);
		pl_event_format_human(&ev, h, sizeof(h));
		TAP_EQ_STR(h,
			   "DENIED cgroup-bpf: connect 169.254.169.254:80 by curl[7] (rule "
			   "block-metadata)",
			   "human line of a cgroup-BPF event");
	}
	return tap_done();
}
