/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One cgroup-BPF event as a JSON line, written by hand: the bytes jansson's
 * json_dumps(JSON_COMPACT | JSON_SORT_KEYS) writes for the same object
 * (keys sorted, strings escaped like jansson without JSON_ENSURE_ASCII),
 * about 8x faster. Used by plastrond's event log and bench/cgroup/bench-events;
 * tests/agent test-cg-event-json compares it with jansson.
 *
 * One difference on purpose: a string that is not valid UTF-8 (a process
 * may name itself anything) is written with every invalid byte replaced by
 * U+FFFD, where jansson refuses the string (and plastrond's object would
 * have lost the key).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "bpf/cgroup.h"

struct pl_cg_event_json {
	const char *policy;      /* NULL: no "policy" key */
	const char *policy_hash; /* the container's bundle hash (NULL: no key) */
	const char *mode;        /* "audit", "observe", ... (NULL: pl_bpf_mode_name(ev->mode)) */
	int64_t time_ms;         /* CLOCK_REALTIME of the event, ms */
	/* Container fields, written when container_id is not NULL; pod, ns
	 * and container may be NULL (key omitted). */
	const char *container_id, *container_name, *pod, *ns, *container, *cgroup;
	/* Cache of the formatted second (may be NULL). */
	int64_t cached_sec;
	char sec_prefix[24];
};

/* What the event's hook is in the log's "syscall" field. */
const char *pl_cg_hook_syscall(uint8_t hook);

/* Write the line (with its '\n', NUL-terminated) into buf[len]; returns
 * its length without the NUL, like snprintf: a result >= len means it did
 * not fit (buf then holds a NUL-terminated prefix; call again with a larger
 * buffer). Numbers are unsigned (jansson would print a cgroup id >= 2^63
 * as a negative number; real ids are far below). */
size_t pl_cg_event_json(const struct pl_cg_event *ev, struct pl_cg_event_json *x, char *buf,
			size_t len);
