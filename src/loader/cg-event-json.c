/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cgroup-BPF event's JSON line, by hand. See cg-event-json.h.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "cg-event-json.h"
#include "plastron/bpf.h"
#include "plastron/policy.h"

struct out {
	char *p;   /* next byte */
	char *end; /* buf + len */
	size_t n;  /* bytes the line needs so far */
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->p && (size_t)(o->end - o->p) >= n) {
		memcpy(o->p, s, n);
		o->p += n;
	} else {
		if (o->p && o->p < o->end)
			*o->p = '\0'; /* a NUL-terminated prefix stays */
		o->p = NULL;          /* does not fit: only count */
	}
	o->n += n;
}

#define PUT_LIT(o, s) put((o), (s), sizeof(s) - 1)

static void put_u64(struct out *o, uint64_t v)
{
	char b[24];
	int i = (int)sizeof(b);

	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(o, b + i, sizeof(b) - (size_t)i);
}

/* Length of the valid UTF-8 sequence at s[0..n) (jansson's rules: no
 * overlong forms, no surrogates, nothing above U+10FFFF), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t k;
	uint32_t cp;

	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	k = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (k > n)
		return 0;
	cp = s[0] & (0x7f >> k);
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

/* A JSON string as jansson writes it (JSON_COMPACT, no JSON_ESCAPE_SLASH,
 * no JSON_ENSURE_ASCII); invalid UTF-8 bytes become U+FFFD. */
static void put_str(struct out *o, const char *str, size_t n)
{
	static const char hex[] = "0123456789ABCDEF"; /* jansson: "\\u%04X" */
	const unsigned char *s = (const unsigned char *)str;
	size_t run = 0; /* start of the pending plain bytes */

	PUT_LIT(o, "\"");
	for (size_t i = 0; i < n;) {
		unsigned char ch = s[i];
		char e[6];
		size_t k;

		if (ch >= 0x20 && ch != '"' && ch != '\\' && ch < 0x80) {
			i++;
			continue;
		}
		if (ch >= 0x80 && (k = utf8_len(s + i, n - i)) > 0) {
			i += k;
			continue;
		}
		put(o, str + run, i - run);
		if (ch >= 0x80) {
			put(o, "\xef\xbf\xbd", 3);
		} else if (ch == '"' || ch == '\\') {
			e[0] = '\\', e[1] = (char)ch;
			put(o, e, 2);
		} else {
			switch (ch) {
			case '\b':
				put(o, "\\b", 2);
				break;
			case '\f':
				put(o, "\\f", 2);
				break;
			case '\n':
				put(o, "\\n", 2);
				break;
			case '\r':
				put(o, "\\r", 2);
				break;
			case '\t':
				put(o, "\\t", 2);
				break;
			default:
				memcpy(e, "\\u00", 4);
				e[4] = hex[ch >> 4];
				e[5] = hex[ch & 15];
				put(o, e, 6);
			}
		}
		run = ++i;
	}
	put(o, str + run, n - run);
	PUT_LIT(o, "\"");
}

static void put_cstr(struct out *o, const char *s)
{
	put_str(o, s, strlen(s));
}

/* ,"key": */
static void put_key(struct out *o, const char *k)
{
	PUT_LIT(o, ",\"");
	put(o, k, strlen(k));
	PUT_LIT(o, "\":");
}

const char *pl_cg_hook_syscall(uint8_t hook)
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

size_t pl_cg_event_json(const struct pl_cg_event *ev, struct pl_cg_event_json *x, char *buf,
			size_t len)
{
	struct out o = { buf, buf + len, 0 };
	const char *detail_key = NULL;
	char detail[256], a[INET6_ADDRSTRLEN];
	bool ctr = x->container_id != NULL;

	switch (ev->hook) {
	case PL_CG_HOOK_SOCK_CREATE: {
		const char *af = pl_af_name((int)ev->u.sock.family);
		const char *ty = pl_sock_type_name((int)ev->u.sock.type);

		snprintf(detail, sizeof(detail), "%s %s protocol %u", af ? af : "?", ty ? ty : "?",
			 ev->u.sock.protocol);
		detail_key = "socket";
		break;
	}
	case PL_CG_HOOK_CONNECT4:
	case PL_CG_HOOK_SENDMSG4:
	case PL_CG_HOOK_CONNECT6:
	case PL_CG_HOOK_SENDMSG6:
	case PL_CG_HOOK_RAW_SEND4:
	case PL_CG_HOOK_RAW_SEND6: {
		bool v6 = ev->u.net.family == AF_INET6;
		struct out d = { detail, detail + sizeof(detail) - 1, 0 };

		inet_ntop(v6 ? AF_INET6 : AF_INET, ev->u.net.addr, a, sizeof(a));
		if (v6)
			PUT_LIT(&d, "[");
		put(&d, a, strlen(a));
		if (v6)
			PUT_LIT(&d, "]");
		PUT_LIT(&d, ":");
		put_u64(&d, ev->u.net.port);
		*d.p = '\0';
		detail_key = "address";
		break;
	}
	case PL_CG_HOOK_SYSCTL:
		snprintf(detail, sizeof(detail), "/proc/sys/%.*s", (int)sizeof(ev->u.sysctl.name),
			 ev->u.sysctl.name);
		detail_key = "path";
		break;
	case PL_CG_HOOK_DEV:
		snprintf(detail, sizeof(detail), "%c %u:%u", ev->u.dev.type == 1 ? 'b' : 'c',
			 ev->u.dev.major, ev->u.dev.minor);
		detail_key = "path";
		break;
	}

	/* Keys in strcmp order, as JSON_SORT_KEYS. */
	PUT_LIT(&o, "{\"action\":");
	if (ev->action == PL_CG_ALLOW_LOG)
		PUT_LIT(&o, "\"AUDIT\"");
	else
		PUT_LIT(&o, "\"DENIED\"");
	if (detail_key && !strcmp(detail_key, "address")) {
		put_key(&o, "address");
		put_cstr(&o, detail);
	}
	if (ctr) {
		put_key(&o, "cgroup");
		put_cstr(&o, x->cgroup ? x->cgroup : "");
	}
	PUT_LIT(&o, ",\"cgroup_id\":");
	put_u64(&o, ev->cgroup_id);
	PUT_LIT(&o, ",\"comm\":");
	put_str(&o, ev->comm, strnlen(ev->comm, sizeof(ev->comm)));
	if (ctr) {
		if (x->container) {
			put_key(&o, "container");
			put_cstr(&o, x->container);
		}
		put_key(&o, "container_id");
		put_cstr(&o, x->container_id);
		put_key(&o, "container_name");
		put_cstr(&o, x->container_name ? x->container_name : "");
	}
	PUT_LIT(&o, ",\"enforcer\":\"cgroup-bpf\",\"mode\":");
	put_cstr(&o, x->mode ? x->mode : pl_bpf_mode_name((enum pl_bpf_mode)ev->mode));
	if (ctr && x->ns) {
		put_key(&o, "namespace");
		put_cstr(&o, x->ns);
	}
	if (detail_key && !strcmp(detail_key, "path")) {
		put_key(&o, "path");
		put_cstr(&o, detail);
	}
	PUT_LIT(&o, ",\"pid\":");
	put_u64(&o, ev->pid);
	if (ctr && x->pod) {
		put_key(&o, "pod");
		put_cstr(&o, x->pod);
	}
	if (x->policy) {
		put_key(&o, "policy");
		put_cstr(&o, x->policy);
	}
	if (x->policy_hash) {
		put_key(&o, "policy_hash");
		put_cstr(&o, x->policy_hash);
	}
	PUT_LIT(&o, ",\"rule\":");
	put_str(&o, ev->rule_name, strnlen(ev->rule_name, sizeof(ev->rule_name)));
	if (detail_key && !strcmp(detail_key, "socket")) {
		put_key(&o, "socket");
		put_cstr(&o, detail);
	}
	PUT_LIT(&o, ",\"syscall\":");
	put_cstr(&o, pl_cg_hook_syscall(ev->hook));
	PUT_LIT(&o, ",\"time\":\"");
	{
		int64_t ms = x->time_ms, sec = ms / 1000;
		int m = (int)(ms % 1000);
		char f[5] = { '.', (char)('0' + m / 100), (char)('0' + m / 10 % 10),
			      (char)('0' + m % 10), 'Z' };

		if (sec != x->cached_sec || !x->sec_prefix[0]) {
			time_t t = (time_t)sec;
			struct tm tm;

			gmtime_r(&t, &tm);
			strftime(x->sec_prefix, sizeof(x->sec_prefix), "%Y-%m-%dT%H:%M:%S", &tm);
			x->cached_sec = sec;
		}
		put(&o, x->sec_prefix, strlen(x->sec_prefix));
		put(&o, f, 5);
	}
	PUT_LIT(&o, "\"}\n");
	if (o.p && o.p < o.end)
		*o.p = '\0';
	else if (o.p && len)
		buf[len - 1] = '\0'; /* exactly full: the NUL takes the last byte */
	return o.n;
}
