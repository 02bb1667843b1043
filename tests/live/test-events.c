/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Audit records → events: parsing of fixed record texts, the JSON form,
 * then the live path on this kernel: the read-only audit multicast group
 * receives a seccomp LOG record and a Landlock denial (1424 domain status
 * with our pid, then 1423 with blockers and path) from a forked child.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plastron/apply.h"
#include "plastron/events.h"
#include "tap.h"

static void parse_tests(void)
{
	struct pl_event ev;
	const char *sc = "audit(1795462351.197:2): auid=4294967295 uid=0 gid=0 ses=42 pid=9230 "
			 "comm=\"p1\" exe=\"/tmp/h4/p1\" sig=0 arch=c000003e syscall=165 compat=0 "
			 "ip=0x7ff67df37b07 code=0x50000";
	const char *hex = "audit(1795462351.197:3): auid=0 uid=0 gid=0 ses=1 pid=7 "
			  "comm=6D7920636F6D6D exe=\"/bin/x\" sig=31 arch=c000003e syscall=63 "
			  "compat=0 ip=0x1 code=0x80000000";
	const char *log = "audit(1795462351.200:4): auid=0 uid=0 gid=0 ses=1 pid=7 comm=\"x\" "
			  "exe=\"/bin/x\" sig=0 arch=40000003 syscall=122 compat=1 ip=0x1 "
			  "code=0x7ffc0000";
	const char *ll = "audit(1795462352.001:9): domain=195ba459b blockers=fs.write_file,"
			 "fs.truncate path=\"/etc/hostname\" dev=\"vda\" ino=1234";
	const char *lldom =
	    "audit(1795462352.001:8): domain=195ba459b status=allocated "
	    "mode=enforcing pid=4242 uid=0 exe=\"/usr/bin/plastron\" comm=\"plastron\"";
	const char *llnet = "audit(1795462352.002:10): domain=1a blockers=net.connect_tcp "
			    "daddr=127.0.0.1 dest=8080";
	char *json;
	json_t *j;

	TAP_OK(pl_event_parse(PL_AUDIT_SECCOMP, sc, &ev) == 1 && ev.pid == 9230 &&
		   !strcmp(ev.comm, "p1") && !strcmp(ev.exe, "/tmp/h4/p1") && ev.ses == 42 &&
		   ev.action == PL_EVENT_DENIED && !strcmp(ev.syscall, "mount") &&
		   ev.time_ms == 1795462351197LL && ev.serial == 2,
	       "seccomp ERRNO record: pid, comm, exe, ses, mount, DENIED");
	TAP_OK(pl_event_parse(PL_AUDIT_SECCOMP, hex, &ev) == 1 && !strcmp(ev.comm, "my comm") &&
		   ev.action == PL_EVENT_DENIED && ev.sig == 31 && !strcmp(ev.syscall, "uname"),
	       "hex-encoded comm decoded; KILL_PROCESS → DENIED");
	TAP_OK(pl_event_parse(PL_AUDIT_SECCOMP, log, &ev) == 1 && ev.action == PL_EVENT_AUDIT &&
		   ev.arch == AUDIT_ARCH_I386 && !strcmp(ev.syscall, "uname"),
	       "LOG → AUDIT; i386 syscall 122 resolves to uname ('%s')", ev.syscall);
	TAP_OK(pl_event_parse(PL_AUDIT_LANDLOCK_ACCESS, ll, &ev) == 1 &&
		   ev.enforcer == PL_EVENT_LANDLOCK && ev.domain == 0x195ba459bULL &&
		   !strcmp(ev.blockers, "fs.write_file,fs.truncate") &&
		   !strcmp(ev.path, "/etc/hostname") && strstr(ev.object, "ino=1234") &&
		   ev.pid == 0,
	       "Landlock 1423: domain, blockers, path");
	/* One schema for run and the agent (docs/agent.md "Events"): container
	 * fields are flat (container_id, ...) and absent when the event is not
	 * attributed to a container, as here (before 2026-12-02, run wrote an
	 * always-present "container" object of empty strings). */
	json = NULL;
	j = pl_event_to_json(&ev, &json) == 0 ? json_loads(json, 0, NULL) : NULL;
	TAP_OK(
	    j && !strcmp(json_string_value(json_object_get(j, "enforcer")), "landlock") &&
		!strcmp(json_string_value(json_object_get(j, "action")), "DENIED") &&
		!strcmp(json_string_value(json_object_get(j, "path")), "/etc/hostname") &&
		json_is_null(json_object_get(j, "pid")) && !json_object_get(j, "container") &&
		!json_object_get(j, "container_id") &&
		!strcmp(json_string_value(json_object_get(j, "time")), "2026-11-23T19:32:32.001Z"),
	    "JSON: enforcer, action, path, pid null, no container keys, UTC time (%s)",
	    json ? json : "(null)");
	json_decref(j);
	free(json);
	TAP_OK(pl_event_parse(PL_AUDIT_LANDLOCK_DOMAIN, lldom, &ev) == 1 && ev.domain_pid == 4242 &&
		   !strcmp(ev.status, "allocated"),
	       "Landlock 1424: domain creator pid and status");
	TAP_OK(pl_event_parse(PL_AUDIT_LANDLOCK_ACCESS, llnet, &ev) == 1 &&
		   !strcmp(ev.blockers, "net.connect_tcp") && strstr(ev.object, "dest=8080"),
	       "Landlock network denial keeps the object fields");
	TAP_OK(pl_event_parse(1300, sc, &ev) == 0, "other record types are ignored");
	TAP_OK(pl_event_parse(PL_AUDIT_SECCOMP, "garbage", &ev) == -EINVAL &&
		   pl_event_parse(PL_AUDIT_SECCOMP, "audit(1.2:3): pid=1 comm=\"x\"", &ev) ==
		       -EINVAL,
	       "malformed records are rejected");
}

/* Read records for up to `ms`; count the ones matching. */
struct seen {
	pid_t pid;
	bool seccomp_log, ll_domain, ll_denied;
	uint64_t domain;
	uint64_t denied_domains[16]; /* 1423 comes before its 1424 */
	size_t n_denied;
};

static void collect(struct pl_audit *a, struct seen *s, int ms)
{
	struct pl_audit_record *rec = malloc(sizeof(*rec));
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pl_event ev;
		clock_gettime(CLOCK_MONOTONIC, &t);
		long el = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (el > ms || (s->seccomp_log && s->ll_domain && s->ll_denied))
			break;
		if (pl_audit_read(a, rec, 100) <= 0)
			continue;
		if (pl_event_parse(rec->type, rec->text, &ev) <= 0)
			continue;
		if (rec->type == PL_AUDIT_SECCOMP && ev.pid == s->pid &&
		    ev.action == PL_EVENT_AUDIT && !strcmp(ev.syscall, "uname"))
			s->seccomp_log = true;
		if (rec->type == PL_AUDIT_LANDLOCK_DOMAIN && ev.domain_pid == s->pid) {
			s->ll_domain = true;
			s->domain = ev.domain;
		}
		if (rec->type == PL_AUDIT_LANDLOCK_ACCESS && strstr(ev.blockers, "fs.read_file") &&
		    !strcmp(ev.path, "/etc/hostname") && s->n_denied < 16)
			s->denied_domains[s->n_denied++] = ev.domain;
		for (size_t i = 0; s->ll_domain && i < s->n_denied; i++)
			if (s->denied_domains[i] == s->domain)
				s->ll_denied = true;
	}
	free(rec);
}

/*
 * pl_audit_barrier: its record comes back, after every record emitted
 * before the call (a child's 40 seccomp LOG records), and only it passes
 * pl_audit_is_barrier.
 */
#define BURST 40
static void barrier_tests(struct pl_audit *a)
{
	struct pl_audit_record *rec = malloc(sizeof(*rec));
	struct pl_diag d = { 0 };
	struct timespec t0, t;
	struct pl_audit_barrier b1 = { 0 }, b2 = { 0 }, other = { "plb-00000000000" }, none = { 0 };
	pid_t child;
	int status = 0, before = 0, after = 0, other_pass = 0, r;
	bool seen = false, fields = false;

	child = fork();
	if (child == 0) {
		scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
		struct utsname u;
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		seccomp_rule_add(ctx, SCMP_ACT_LOG, SCMP_SYS(uname), 0);
		if (seccomp_load(ctx) < 0)
			_exit(2);
		for (int i = 0; i < BURST; i++)
			uname(&u);
		_exit(0);
	}
	waitpid(child, &status, 0);
	r = pl_audit_barrier(&b1, &d);
	TAP_OK(r == 0 && !strncmp(b1.comm, "plb-", 4) && strlen(b1.comm) == 15,
	       "barrier logged by child '%s' (%s)", b1.comm, d.head ? d.head->message : "ok");
	pl_diag_clear(&d);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (rec && b1.comm[0]) {
		struct pl_event ev;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > 10000)
			break;
		if (pl_audit_read(a, rec, 100) <= 0)
			continue;
		if (pl_audit_is_barrier(rec, &b1)) {
			if (seen)
				continue;
			seen = true;
			fields = pl_event_parse(rec->type, rec->text, &ev) == 1 &&
				 !strcmp(ev.syscall, "getppid") && ev.action == PL_EVENT_AUDIT &&
				 !strcmp(ev.comm, b1.comm);
			/* read on briefly: nothing of the child may follow */
			clock_gettime(CLOCK_MONOTONIC, &t0);
			t0.tv_sec -= 9;
			continue;
		}
		if (pl_audit_is_barrier(rec, &other) || pl_audit_is_barrier(rec, &none))
			other_pass++;
		if (pl_event_parse(rec->type, rec->text, &ev) == 1 && ev.pid == child &&
		    !strcmp(ev.syscall, "uname")) {
			if (seen)
				after++;
			else
				before++;
			struct pl_audit_barrier own = { 0 };
			snprintf(own.comm, sizeof(own.comm), "%.15s", ev.comm);
			if (pl_audit_is_barrier(rec, &own))
				other_pass++; /* the right comm, another syscall */
		}
	}
	TAP_OK(seen, "the barrier's record came back");
	TAP_OK(fields, "the barrier's record: getppid, logged (AUDIT), its comm");
	TAP_OK(before == BURST && after == 0,
	       "all %d records emitted before the barrier were read before it (%d before, %d "
	       "after)",
	       BURST, before, after);
	TAP_OK(other_pass == 0, "no other record is taken for a barrier");
	r = pl_audit_barrier(&b2, &d);
	TAP_OK(r == 0 && b2.comm[0] && strcmp(b2.comm, b1.comm),
	       "a second barrier has its own comm ('%s')", b2.comm);
	pl_diag_clear(&d);
	free(rec);
}

static void live_tests(void)
{
	struct pl_audit *a = NULL;
	struct pl_audit_status st;
	struct pl_diag d = { 0 };
	struct seen s = { 0 };
	bool changed = false;
	int r;

	r = pl_audit_get_status(&st, &d);
	if (r == -EPERM || r == -EACCES) {
		TAP_SKIP("no CAP_AUDIT_CONTROL", "audit status");
		return;
	}
	TAP_OK(r == 0, "AUDIT_GET: enabled=%u pid=%u lost=%u", st.enabled, st.pid, st.lost);
	r = pl_audit_open(&a, &d);
	if (r < 0) {
		TAP_SKIP("cannot join AUDIT_NLGRP_READLOG (CAP_AUDIT_READ missing)", "audit read");
		pl_diag_clear(&d);
		return;
	}
	TAP_OK(r == 0 && pl_audit_fd(a) >= 0, "joined the read-only audit log group");
	if (!st.pid && st.enabled) {
		/* left on by an earlier run (no audit daemon): switch it off so
		 * that prepare is checked from the state it is written for */
		r = pl_audit_set_enabled(0, &d);
		TAP_OK(r == 0, "audit switched off first (it was left on without a daemon)");
	}
	r = pl_audit_prepare(&changed, &d);
	TAP_OK(r == 0, "audit prepared (changed=%d)", changed);
	if (!st.pid) {
		struct pl_audit_status st2 = { 0 };
		TAP_EQ_INT(changed, 1, "prepare enabled audit itself (no daemon)");
		TAP_EQ_INT(pl_audit_has_task_never(&d), 1,
			   "the task,never rule is listed once prepare has enabled audit");
		r = pl_audit_get_status(&st2, &d);
		TAP_OK(r == 0 && st2.enabled >= 1, "audit enabled now (%u)", st2.enabled);
		TAP_OK(pl_audit_add_task_never(&d) == 0, "adding the rule again is a no-op");
	}
	pl_diag_clear(&d);

	s.pid = fork();
	if (s.pid == 0) {
		scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
		struct utsname u;
		struct pl_ll_ruleset rs = {
			.abi = pl_landlock_abi(), .handled_fs = 1ULL << 2, /* read_file */
		};
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		seccomp_rule_add(ctx, SCMP_ACT_LOG, SCMP_SYS(uname), 0);
		if (seccomp_load(ctx) < 0)
			_exit(2);
		uname(&u);
		if (rs.abi >= 1 && pl_ll_ruleset_apply(&rs, NULL) == 0 &&
		    open("/etc/hostname", O_RDONLY) < 0 && errno == EACCES)
			_exit(0);
		_exit(1);
	}
	int status = 0;
	waitpid(s.pid, &status, 0);
	TAP_OK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "child: seccomp LOG filter and Landlock denial in place");
	collect(a, &s, 3000);
	TAP_OK(s.seccomp_log, "seccomp LOG record of the child's uname() received (AUDIT)");
	if (pl_landlock_abi() >= 1) {
		TAP_OK(s.ll_domain, "Landlock 1424 domain record names the child's pid");
		TAP_OK(s.ll_denied, "Landlock 1423 denial: fs.read_file on /etc/hostname");
	} else {
		TAP_SKIP("no Landlock", "Landlock domain record");
		TAP_SKIP("no Landlock", "Landlock denial record");
	}
	barrier_tests(a);
	pl_audit_close(a);
}

int main(void)
{
	parse_tests();
	live_tests();
	return tap_done();
}
