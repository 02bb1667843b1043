/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Audit records (seccomp, Landlock) → struct pl_event, the names of its
 * enums, and its one-line human form. The JSON line is event-json.c; the
 * cgroup-BPF records are cg-event.c.
 *
 * Record texts look like
 *   audit(1795462351.197:2): auid=4294967295 uid=0 ... pid=9230 comm="p1"
 *     exe="/tmp/p1" sig=0 arch=c000003e syscall=63 compat=0 ip=0x... code=0x7ffc0000
 *   audit(...): domain=195ba459b blockers=fs.read_file path="/etc/hostname" dev="vda" ino=12
 *   audit(...): domain=195ba459b status=allocated mode=enforcing pid=12 uid=0 exe="/x" comm="x"
 * Untrusted strings are either quoted or hex-encoded (when they contain
 * spaces, quotes or control characters).
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "plastron/events.h"
#include "plastron/gen.h"
#include "shared/macro.h"

#define AUDIT_LANDLOCK_ACCESS PL_AUDIT_LANDLOCK_ACCESS
#define AUDIT_LANDLOCK_DOMAIN PL_AUDIT_LANDLOCK_DOMAIN

/* SECCOMP_RET_* (linux/seccomp.h), full action bits */
#define RET_KILL_PROCESS 0x80000000u
#define RET_KILL_THREAD 0x00000000u
#define RET_TRAP 0x00030000u
#define RET_ERRNO 0x00050000u
#define RET_USER_NOTIF 0x7fc00000u
#define RET_TRACE 0x7ff00000u
#define RET_LOG 0x7ffc0000u
#define RET_ALLOW 0x7fff0000u
#define RET_ACTION_FULL 0xffff0000u

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Copy a raw value; untrusted strings are unquoted or hex-decoded. */
static void copy_value(char *dst, size_t dstlen, const char *v, size_t vlen, bool untrusted)
{
	size_t o = 0;

	if (!dstlen)
		return;
	if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
		v++;
		vlen -= 2;
	} else if (untrusted && vlen % 2 == 0 && vlen > 0) {
		bool hex = true;
		for (size_t i = 0; i < vlen && hex; i++)
			hex = hexval(v[i]) >= 0;
		if (hex) {
			for (size_t i = 0; i + 1 < vlen && o + 1 < dstlen; i += 2)
				dst[o++] = (char)(hexval(v[i]) << 4 | hexval(v[i + 1]));
			dst[o] = '\0';
			return;
		}
	}
	if (vlen >= dstlen)
		vlen = dstlen - 1;
	memcpy(dst, v, vlen);
	dst[vlen] = '\0';
}

struct kv {
	const char *key;
	size_t klen;
	const char *val;
	size_t vlen;
};

/* Next key=value pair from *p; values may be "quoted strings". */
static bool next_kv(const char **p, struct kv *kv)
{
	const char *s = *p, *eq;

	while (*s == ' ')
		s++;
	if (!*s)
		return false;
	eq = s;
	while (*eq && *eq != '=' && *eq != ' ')
		eq++;
	kv->key = s;
	kv->klen = (size_t)(eq - s);
	if (*eq != '=') {
		kv->val = eq;
		kv->vlen = 0;
		*p = eq;
		return true;
	}
	s = eq + 1;
	kv->val = s;
	if (*s == '"') {
		const char *q = strchr(s + 1, '"');
		s = q ? q + 1 : s + strlen(s);
	} else {
		while (*s && *s != ' ')
			s++;
	}
	kv->vlen = (size_t)(s - kv->val);
	*p = s;
	return true;
}

static bool key_is(const struct kv *kv, const char *k)
{
	return kv->klen == strlen(k) && !memcmp(kv->key, k, kv->klen);
}

static uint64_t num(const struct kv *kv, int base)
{
	char tmp[32];
	copy_value(tmp, sizeof(tmp), kv->val, kv->vlen, false);
	return strtoull(tmp, NULL, base);
}

static void append(char *dst, size_t len, const char *v, size_t vlen)
{
	size_t o = strlen(dst);
	if (o + vlen + 2 >= len)
		return;
	if (o)
		dst[o++] = ' ';
	memcpy(dst + o, v, vlen);
	dst[o + vlen] = '\0';
}

static void resolve_syscall(struct pl_event *ev)
{
	uint32_t token = ev->arch;
	int nr = ev->syscall_nr;
	char *name;

	if (ev->arch == AUDIT_ARCH_X86_64 && (nr & 0x40000000)) /* __X32_SYSCALL_BIT */
		token = SCMP_ARCH_X32;
	name = seccomp_syscall_resolve_num_arch(token, nr);
	if (name) {
		snprintf(ev->syscall, sizeof(ev->syscall), "%s", name);
		free(name);
	} else {
		snprintf(ev->syscall, sizeof(ev->syscall), "%d", nr);
	}
}

PL_EXPORT int pl_event_parse(int type, const char *text, struct pl_event *ev)
{
	const char *p;
	struct kv kv;
	unsigned long long sec = 0;
	unsigned ms = 0;
	unsigned long long serial = 0;

	if (type != AUDIT_SECCOMP && type != AUDIT_LANDLOCK_ACCESS && type != AUDIT_LANDLOCK_DOMAIN)
		return 0;
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->ses = AUDIT_SID_UNSET;
	if (!text || sscanf(text, "audit(%llu.%u:%llu):", &sec, &ms, &serial) != 3)
		return -EINVAL;
	ev->time_ms = (int64_t)(sec * 1000 + ms);
	ev->serial = serial;
	p = strstr(text, "): ");
	if (!p)
		return -EINVAL;
	p += 3;

	if (type == AUDIT_SECCOMP) {
		bool have_code = false, have_sc = false;
		ev->enforcer = PL_EVENT_SECCOMP;
		while (next_kv(&p, &kv)) {
			if (key_is(&kv, "pid"))
				ev->pid = (int)num(&kv, 10);
			else if (key_is(&kv, "ses"))
				ev->ses = (uint32_t)num(&kv, 10);
			else if (key_is(&kv, "comm"))
				copy_value(ev->comm, sizeof(ev->comm), kv.val, kv.vlen, true);
			else if (key_is(&kv, "exe"))
				copy_value(ev->exe, sizeof(ev->exe), kv.val, kv.vlen, true);
			else if (key_is(&kv, "arch"))
				ev->arch = (uint32_t)num(&kv, 16);
			else if (key_is(&kv, "syscall")) {
				ev->syscall_nr = (int)num(&kv, 10);
				have_sc = true;
			} else if (key_is(&kv, "sig"))
				ev->sig = (int)num(&kv, 10);
			else if (key_is(&kv, "code")) {
				ev->sc_action = (uint32_t)num(&kv, 16) & RET_ACTION_FULL;
				have_code = true;
			}
		}
		if (!have_code || !have_sc)
			return -EINVAL;
		switch (ev->sc_action) {
		case RET_LOG:
			ev->action = PL_EVENT_AUDIT;
			break;
		case RET_ALLOW:
			ev->action = PL_EVENT_ALLOWED;
			break;
		default: /* ERRNO, KILL_*, TRAP, TRACE, USER_NOTIF */
			ev->action = PL_EVENT_DENIED;
			break;
		}
		resolve_syscall(ev);
		return 1;
	}

	ev->enforcer = PL_EVENT_LANDLOCK;
	ev->action = PL_EVENT_DENIED;
	while (next_kv(&p, &kv)) {
		if (key_is(&kv, "domain"))
			ev->domain = num(&kv, 16);
		else if (type == AUDIT_LANDLOCK_ACCESS && key_is(&kv, "blockers"))
			copy_value(ev->blockers, sizeof(ev->blockers), kv.val, kv.vlen, false);
		else if (type == AUDIT_LANDLOCK_ACCESS && key_is(&kv, "path"))
			copy_value(ev->path, sizeof(ev->path), kv.val, kv.vlen, true);
		else if (type == AUDIT_LANDLOCK_ACCESS)
			append(ev->object, sizeof(ev->object), kv.key,
			       (size_t)(kv.val + kv.vlen - kv.key));
		else if (key_is(&kv, "status"))
			copy_value(ev->status, sizeof(ev->status), kv.val, kv.vlen, false);
		else if (key_is(&kv, "pid"))
			ev->domain_pid = (int)num(&kv, 10);
		else if (key_is(&kv, "comm"))
			copy_value(ev->comm, sizeof(ev->comm), kv.val, kv.vlen, true);
		else if (key_is(&kv, "exe"))
			copy_value(ev->exe, sizeof(ev->exe), kv.val, kv.vlen, true);
	}
	if (!ev->domain)
		return -EINVAL;
	return 1;
}

PL_EXPORT void pl_event_set_rule_from_profile(struct pl_event *ev, const struct pl_sc_profile *prof)
{
	const char *origin;

	if (ev->enforcer != PL_EVENT_SECCOMP || !prof)
		return;
	origin = pl_sc_profile_origin(prof, ev->arch, ev->syscall_nr);
	if (origin)
		snprintf(ev->rule, sizeof(ev->rule), "%s", origin);
	/* A LOG record that no rule explains is the profile's default action
	 * logging allowed activity (observe mode). */
	if (ev->sc_action == RET_LOG && !origin)
		ev->action = PL_EVENT_ALLOWED;
}

PL_EXPORT const char *pl_event_action_name(enum pl_event_action a)
{
	switch (a) {
	case PL_EVENT_DENIED:
		return "DENIED";
	case PL_EVENT_AUDIT:
		return "AUDIT";
	case PL_EVENT_ALLOWED:
		return "ALLOWED";
	}
	return "?";
}

PL_EXPORT const char *pl_enforcer_kind_name(enum pl_enforcer_kind k)
{
	switch (k) {
	case PL_EVENT_SECCOMP:
		return "seccomp";
	case PL_EVENT_LANDLOCK:
		return "landlock";
	case PL_EVENT_CGROUP_BPF:
		return "cgroup-bpf";
	}
	return "?";
}

PL_EXPORT int pl_event_format_human(const struct pl_event *ev, char *buf, size_t len)
{
	char who[128], rule[160] = "";
	const char *act = pl_event_action_name(ev->action);

	if (ev->rule[0])
		snprintf(rule, sizeof(rule), " (rule %s)", ev->rule);

	if (ev->pid)
		snprintf(who, sizeof(who), "%s[%lld]", ev->comm[0] ? ev->comm : "?",
			 (long long)ev->pid);
	else
		snprintf(who, sizeof(who), "%s", ev->comm[0] ? ev->comm : "a confined process");
	switch (ev->enforcer) {
	case PL_EVENT_SECCOMP:
		return snprintf(buf, len, "%s seccomp: %s() by %s%s", act, ev->syscall, who, rule);
	case PL_EVENT_CGROUP_BPF:
		return snprintf(buf, len, "%s cgroup-bpf: %s %s%s%s by %s%s", act, ev->syscall,
				ev->address, ev->socket, ev->path, who, rule);
	case PL_EVENT_LANDLOCK:
		break;
	}
	return snprintf(buf, len, "%s landlock: %s%s%s%s%s%s", act, ev->blockers,
			ev->path[0] ? " on " : "", ev->path, ev->object[0] ? " " : "", ev->object,
			rule);
}
