/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup-BPF ring-buffer records (struct pl_cg_event, src/bpf/cgroup.h) →
 * struct pl_event: the hook's syscall, the address / socket / path detail,
 * action, rule, mode, pid, comm and cgroup id. Written by event-json.c like
 * every other event.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "bpf/cgroup.h"
#include "plastron/bpf.h"
#include "plastron/events.h"
#include "plastron/policy.h"
#include "shared/macro.h"

PL_EXPORT const char *pl_cg_hook_syscall(unsigned hook)
{
	switch (hook) {
	case PL_CG_HOOK_SOCK_CREATE:
		return "socket";
	case PL_CG_HOOK_CONNECT4:
	case PL_CG_HOOK_CONNECT6:
		return "connect";
	case PL_CG_HOOK_SENDMSG4:
	case PL_CG_HOOK_SENDMSG6:
		return "sendmsg";
	case PL_CG_HOOK_RAW_SEND4:
	case PL_CG_HOOK_RAW_SEND6:
		return "send";
	case PL_CG_HOOK_SYSCTL:
		return "write";
	case PL_CG_HOOK_DEV:
		return "device";
	}
	return "?";
}

/* Copy a fixed-size kernel string that may fill its field without a NUL. */
static void copy_fixed(char *dst, size_t dstlen, const char *src, size_t srclen)
{
	size_t n = strnlen(src, srclen);

	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Copy a NUL-terminated name, cut to the field. */
static void copy_str(char *dst, size_t dstlen, const char *src)
{
	size_t n = strlen(src);

	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

PL_EXPORT void pl_event_from_cg(struct pl_event *ev, const struct pl_cg_event *cg, int64_t time_ms)
{
	*ev = (struct pl_event){
		.time_ms = time_ms,
		.pid = cg->pid,
		.enforcer = PL_EVENT_CGROUP_BPF,
		.action = cg->action == PL_CG_ALLOW_LOG ? PL_EVENT_AUDIT : PL_EVENT_DENIED,
		.cgroup_id = cg->cgroup_id,
	};
	copy_fixed(ev->comm, sizeof(ev->comm), cg->comm, sizeof(cg->comm));
	copy_fixed(ev->rule, sizeof(ev->rule), cg->rule_name, sizeof(cg->rule_name));
	copy_str(ev->mode, sizeof(ev->mode), pl_bpf_mode_name((enum pl_bpf_mode)cg->mode));
	copy_str(ev->syscall, sizeof(ev->syscall), pl_cg_hook_syscall(cg->hook));
	switch (cg->hook) {
	case PL_CG_HOOK_SOCK_CREATE: {
		const char *af = pl_af_name((int)cg->u.sock.family);
		const char *ty = pl_sock_type_name((int)cg->u.sock.type);

		snprintf(ev->socket, sizeof(ev->socket), "%s %s protocol %u", af ? af : "?",
			 ty ? ty : "?", cg->u.sock.protocol);
		ev->sock_family = (int)cg->u.sock.family;
		ev->sock_type = (int)cg->u.sock.type;
		ev->sock_protocol = (int)cg->u.sock.protocol;
		break;
	}
	case PL_CG_HOOK_CONNECT4:
	case PL_CG_HOOK_SENDMSG4:
	case PL_CG_HOOK_CONNECT6:
	case PL_CG_HOOK_SENDMSG6:
	case PL_CG_HOOK_RAW_SEND4:
	case PL_CG_HOOK_RAW_SEND6: {
		/* "a.b.c.d:port", "[v6]:port" (by hand: the hot path of a burst) */
		bool v6 = cg->u.net.family == AF_INET6;
		char *a = ev->address, digits[8];
		size_t o = 0;
		int i = (int)sizeof(digits);
		unsigned port = cg->u.net.port;

		_Static_assert(sizeof(ev->address) >= INET6_ADDRSTRLEN + 8, "address field");
		if (v6)
			a[o++] = '[';
		if (!inet_ntop(v6 ? AF_INET6 : AF_INET, cg->u.net.addr, a + o,
			       (socklen_t)(sizeof(ev->address) - o)))
			a[o] = '\0';
		o += strlen(a + o);
		if (v6)
			a[o++] = ']';
		a[o++] = ':';
		do {
			digits[--i] = (char)('0' + port % 10);
			port /= 10;
		} while (port);
		memcpy(a + o, digits + i, sizeof(digits) - (size_t)i);
		a[o + sizeof(digits) - (size_t)i] = '\0';
		break;
	}
	case PL_CG_HOOK_SYSCTL:
		snprintf(ev->path, sizeof(ev->path), "/proc/sys/%.*s",
			 (int)sizeof(cg->u.sysctl.name), cg->u.sysctl.name);
		break;
	case PL_CG_HOOK_DEV:
		snprintf(ev->path, sizeof(ev->path), "%c %u:%u", cg->u.dev.type == 1 ? 'b' : 'c',
			 cg->u.dev.major, cg->u.dev.minor);
		break;
	}
}
