/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the live seccomp tests (test-live-rules.c, test-live-base.c):
 * the attacks, the harness that runs one in a forked child under a filter,
 * and the setup of their scratch directory (live-lib.c). */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sc-test.h"
#include "tap.h"

#define X32 0x40000000
#define HI 0x100000000l /* upper 32 bits of an int argument */
#define NO_FILTER ((const struct pl_sc_profile *)NULL)

#define ATK(f, e)                   \
	{                           \
#f + 2, f, e, false \
	}
#define ATK32(f, e)                \
	{                          \
#f + 2, f, e, true \
	}
#define END                          \
	{                            \
		NULL, NULL, 0, false \
	}

struct attack {
	const char *name;
	long (*fn)(void);
	int expect; /* errno expected under the filter; 0 = must succeed */
	bool ia32;  /* needs ia32 emulation */
};

struct rule_attacks {
	const char *id;
	struct attack atk[12];
};

/* Baselines, measured once per attack without a filter. */
struct base {
	long (*fn)(void);
	long r;
};

long a_unshare_user(void);
long a_clone3_user(void);
long a_personality_hi(void);
long a_personality_query(void);
long a_clone_user_hi(void);
long a_fork(void);
long a_chmod_x(void);
long a_fchmodat_x(void);
long a_fchmodat_xoth(void);
long a_fchmodat_xgrp(void);
long a_fchmodat_plain(void);
long a_sock_alg(void);
long a_sock_alg_hi(void);
long a_sock_inet_dgram_hi(void);
long a_sock_inet_dgram(void);
long a_bpf_prog_load(void);
long a_bpf_prog_load_hi(void);
long a_bpf_map_create(void);
long a_so_attach_filter_hi(void);
long a_so_attach_reuseport_cbpf_hi(void);
long a_so_attach_filter(void);
long a_so_attach_reuseport_cbpf(void);
long a_mount_proc(void);
long a_ioctl_tiocsti(void);
long a_ioctl_fionread(void);
long a_io_uring_setup(void);
long a_nr_1000(void);
long a_exec_true(void);
long a_workload(void);
const char *res_str(long r);
bool is_mount_rule(const struct pl_rule *r);
void check(const char *what, const struct pl_sc_profile *prof, const struct attack *a);
struct pl_sc_profile *profile(struct tpol *t, struct pl_diag *d);
extern const struct attack mount_attacks[];
extern const struct rule_attacks table[];
extern const size_t table_len;

/* Scratch directory, files and low memory; 0, or -1 when the test must
 * end (the TAP line saying why is printed). */
/* Runs fn in a forked child under prof (NULL: no filter); its result. */
long run(const struct pl_sc_profile *prof, long (*fn)(void));
/* fn without a filter, once per fn. */
long baseline(long (*fn)(void));

int live_setup(void);
void live_teardown(void);
