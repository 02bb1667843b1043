/* SPDX-License-Identifier: GPL-2.0 OR Apache-2.0 */
/*
 * The test program spin.bpf.c and the test that reads its map: a
 * BPF_CGROUP_SYSCTL program that records when each of its runs started and
 * ended and spins about SPIN_NS (or config[0] ns) in between, so that a run is surely in
 * flight when user space calls pl_enforcer_sync().
 */
#ifndef PLASTRON_TEST_SPIN_H
#define PLASTRON_TEST_SPIN_H

#include <linux/types.h>

#define SPIN_RUNS 4096     /* runs[] slots, reused round robin */
#define SPIN_NS 2000000ULL /* 2 ms per run */
#define SPIN_MAX_LOOPS 1000000

struct spin_run {
	__u64 seq;   /* the run's number (next[0] when it began) */
	__u64 start; /* bpf_ktime_get_ns() = CLOCK_MONOTONIC */
	__u64 end;   /* 0 while the run is going */
};

_Static_assert(sizeof(struct spin_run) == 24, "struct spin_run is 24 bytes");

#endif
