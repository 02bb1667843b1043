/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plastrond's count of the audit records (seccomp, Landlock) it never read
 * (internal to the agent; docs/agent.md, "Lost events"). The audit socket's drop
 * count (SO_MEMINFO: records the kernel could not queue to us while we did
 * not read, exact), the kernel's own lost counter (AUDIT_GET: backlog
 * overflow, rate limit, memory; kernel-wide), and the audit serials never
 * seen across agent downtime (the last serial read is kept in
 * <state>.audit; the first record after a restart shows how many serials
 * were issued meanwhile: records of any audit user, an upper bound). A lost
 * record may be seccomp or Landlock: which one cannot be known.
 */
#pragma once

#include <stdint.h>

#include "plastron/events.h"

struct al_lost {
	uint64_t socket;   /* dropped at the agent's audit socket (SO_MEMINFO) */
	uint64_t kernel;   /* the kernel's lost counter, grown since start and while down */
	uint64_t downtime; /* audit serials never read across a restart */
	uint64_t total;
};

/* Open <state>.audit and take the previous run's counts (call once the
 * audit socket is open; `audit` NULL: nothing is counted). */
void al_open(const char *state, struct pl_audit *audit,
	     void (*log)(const char *fmt, ...) __attribute__((format(printf, 1, 2))));
/* Every record read, before anything else is done with it. */
void al_record(const struct pl_audit_record *rec);
/* Write <state>.audit (after a batch of records, and at stop). */
void al_save(void);
/* Read the kernel's lost counter now (AUDIT_GET). */
void al_kernel_read(void);
/* The counts, cumulative over runs. */
struct al_lost al_losses(void);
/* Records read by this run. */
uint64_t al_records(void);
