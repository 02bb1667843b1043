/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup-BPF enforcer loader: counters, the events ring buffer (fd, poll)
 * and the text form of an event. See enforcer-internal.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <dirent.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "enforcer-internal.h"

int pl_enforcer_counters(struct pl_cg_enforcer *e, struct pl_enforcer_counters *ret)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum[PL_CG_CNT__MAX] = { 0 };
	uint64_t *vals;

	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (uint32_t i = 0; i < PL_CG_CNT__MAX; i++) {
		if (bpf_map_lookup_elem(e->map_fd[M_COUNTERS], &i, vals) < 0) {
			int r = -errno;
			free(vals);
			return r;
		}
		for (int c = 0; c < ncpu; c++)
			sum[i] += vals[c];
	}
	free(vals);
	ret->matched = sum[PL_CG_CNT_MATCHED];
	ret->denied = sum[PL_CG_CNT_DENIED];
	ret->events = sum[PL_CG_CNT_EVENTS];
	ret->drops = sum[PL_CG_CNT_DROPS];
	return 0;
}

/* ---- events ------------------------------------------------------------- */

static int rb_sample(void *ctx, void *data, size_t size)
{
	struct pl_cg_enforcer *e = ctx;
	struct pl_cg_event ev = {};

	memcpy(&ev, data, size < sizeof(ev) ? size : sizeof(ev));
	if (e->stop)
		return 0; /* already asked to stop: drained but not delivered */
	if (e->cb(e->userdata, &ev) != 0) {
		e->stop = 1;
		return -ECANCELED;
	}
	return 0;
}

static int ensure_rb(struct pl_cg_enforcer *e)
{
	if (!e->rb) {
		e->rb = ring_buffer__new(e->map_fd[M_EVENTS], rb_sample, e, NULL);
		if (!e->rb)
			return -errno;
	}
	return 0;
}

int pl_enforcer_events_fd(struct pl_cg_enforcer *e, pl_enforcer_event_fn cb, void *userdata)
{
	int r;

	if (!e)
		return -EINVAL;
	r = ensure_rb(e);
	if (r < 0)
		return r;
	e->cb = cb;
	e->userdata = userdata;
	return ring_buffer__epoll_fd(e->rb);
}

int pl_enforcer_poll(struct pl_cg_enforcer *e, pl_enforcer_event_fn cb, void *userdata,
		     int timeout_ms)
{
	int r;

	if (!e || !cb)
		return -EINVAL;
	r = ensure_rb(e);
	if (r < 0)
		return r;
	e->cb = cb;
	e->userdata = userdata;
	e->stop = 0;
	/* Consume first: the programs do not wake the consumer for every
	 * event (see event_end in cgroup.bpf.c), so events may be waiting
	 * without the fd being readable; and again after the wait. */
	r = ring_buffer__consume(e->rb);
	if (r == 0 && timeout_ms && !e->stop) {
		r = ring_buffer__poll(e->rb, timeout_ms);
		if (r >= 0 && !e->stop) {
			int k = ring_buffer__consume(e->rb);

			r = k < 0 ? k : r + k;
		}
	}
	if (r == -ECANCELED || (r < 0 && e->stop))
		return 0;
	return r;
}

static const char *hook_name(unsigned h)
{
	static const char *const n[] = { "?",         "sock_create", "connect4", "connect6",
					 "sendmsg4",  "sendmsg6",    "sysctl",   "dev",
					 "raw_send4", "raw_send6" };
	return h < PL_ARRAY_SIZE(n) ? n[h] : "?";
}

int pl_cg_event_format(const struct pl_cg_event *ev, char *buf, size_t len)
{
	char detail[256] = "";
	char comm[sizeof(ev->comm) + 1], rule[sizeof(ev->rule_name) + 1];

	memcpy(comm, ev->comm, sizeof(ev->comm));
	comm[sizeof(ev->comm)] = '\0';
	memcpy(rule, ev->rule_name, sizeof(ev->rule_name));
	rule[sizeof(ev->rule_name)] = '\0';
	switch (ev->hook) {
	case PL_CG_HOOK_SOCK_CREATE:
		snprintf(detail, sizeof(detail), "family=%u type=%u protocol=%u", ev->u.sock.family,
			 ev->u.sock.type, ev->u.sock.protocol);
		break;
	case PL_CG_HOOK_CONNECT4:
	case PL_CG_HOOK_CONNECT6:
	case PL_CG_HOOK_SENDMSG4:
	case PL_CG_HOOK_SENDMSG6:
	case PL_CG_HOOK_RAW_SEND4:
	case PL_CG_HOOK_RAW_SEND6: {
		char a[INET6_ADDRSTRLEN] = "?";
		int v6 = ev->u.net.family == AF_INET6;

		inet_ntop(v6 ? AF_INET6 : AF_INET, ev->u.net.addr, a, sizeof(a));
		snprintf(detail, sizeof(detail), "%s%s%s:%u type=%u protocol=%u", v6 ? "[" : "", a,
			 v6 ? "]" : "", ev->u.net.port, ev->u.net.type, ev->u.net.protocol);
		break;
	}
	case PL_CG_HOOK_SYSCTL: {
		char name[PL_CG_SYSCTL_NAME + 1];

		memcpy(name, ev->u.sysctl.name, PL_CG_SYSCTL_NAME);
		name[PL_CG_SYSCTL_NAME] = '\0';
		snprintf(detail, sizeof(detail), "write %s", name);
		break;
	}
	case PL_CG_HOOK_DEV:
		snprintf(detail, sizeof(detail), "%c %u:%u access=%s%s%s",
			 ev->u.dev.type == BPF_DEVCG_DEV_BLOCK ? 'b' : 'c', ev->u.dev.major,
			 ev->u.dev.minor, ev->u.dev.access & BPF_DEVCG_ACC_READ ? "r" : "",
			 ev->u.dev.access & BPF_DEVCG_ACC_WRITE ? "w" : "",
			 ev->u.dev.access & BPF_DEVCG_ACC_MKNOD ? "m" : "");
		break;
	}
	return snprintf(buf, len, "%s %s rule=%s policy=%u cgroup=%llu pid=%u comm=%s %s",
			ev->action == PL_CG_ALLOW_LOG ? "AUDIT" : "DENIED", hook_name(ev->hook),
			rule[0] ? rule : "?", ev->policy, (unsigned long long)ev->cgroup_id,
			ev->pid, comm, detail);
}
