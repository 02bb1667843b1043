/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared scaffolding of the cgroup-BPF enforcer benchmarks: a private
 * cgroup tree and pin directory (removed on exit and on SIGINT/SIGTERM),
 * CPU pinning, private network namespaces, clocks and small statistics.
 *
 * Every benchmark creates, under the cgroup v2 mount,
 *   plastron-bench-<pid>/none/c     no enforcer attached (the baseline)
 *   plastron-bench-<pid>/enf/<...>  registered (or not) with the enforcer
 * so that measured cgroups sit at the same depth.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "enforcer.h"

#define BENCH_MAX_CG 16

struct bench {
	char root[512];             /* the cgroup v2 mount */
	char top[600];              /* root/plastron-bench-<pid> */
	char enf[700];              /* top/enf: parent of the measured cgroups */
	char none[700];             /* top/none/c: nothing attached */
	char cg[BENCH_MAX_CG][800]; /* top/enf/<name> */
	int n_cg;
	char pin[256]; /* /sys/fs/bpf/plastron-bench-<pid> */
	struct pl_cg_enforcer *e;
};

/* Create the tree and install the enforcer (own pins; ring buffer of
 * `ringbuf` bytes, 0: the default). Exits with a message on failure. */
void bench_setup(struct bench *b, const char *name, uint32_t ringbuf);
/* Add top/enf/<name>; returns its index in b->cg. */
int bench_cgroup(struct bench *b, const char *name);
/* Register b->cg[i] for `policy` with the rules in `t`. */
void bench_register(struct bench *b, int i, uint32_t policy, const struct pl_bpf_tables *t);
/* Uninstall and remove the tree (also run at exit). */
void bench_cleanup(void);

/* Move the calling process into `cg`. */
int bench_join(const char *cg);
/* Pin the calling thread to `cpu` (-1: leave it). */
int bench_pin(int cpu);
/* A private network namespace with lo up (only 127.0.0.0/8). */
int bench_netns(void);
/* How many programs of `type` are effective in cgroup `cg` (a baseline
 * that is not clean is reported, never hidden). */
int bench_effective(const char *cg, int type);

uint64_t bench_now_ns(void);
int bench_cmp_u64(const void *a, const void *b);
/* Sorts `v`. */
uint64_t bench_median(uint64_t *v, size_t n);
_Noreturn void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Parse "--name value" options: returns the value of `name` or `def`. */
long bench_opt(int argc, char **argv, const char *name, long def);
