/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to test-cgroup-live (one executable of three files): the state
 * they share (defined in test-cgroup-live.c unless said otherwise), the
 * probes' arguments, EXPECT and the prototypes of what each file offers.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "enforcer.h"
#include "plastron/bpf.h"
#include "tap.h"

/* test-cgroup-live.c: the test's cgroups and pins, and the children
 * cleanup() kills */
extern char cg2[512], cg_parent[600], cg_in[700], cg_out[700];
extern char pin[256];
extern pid_t looper, child;

/* ---- test-cgroup-live-probes.c: policies, probes, events ---------------- */

struct pl_bpf_tables *policy_tables(void);
struct pl_bpf_tables *big_tables(void);

typedef int (*probe_fn)(const void *arg);

/* Run `fn` in a child inside `cg` (NULL: stay here) and optionally a fresh
 * netns. Returns 0 or the errno the probe saw; >= 200 for setup failures. */
int run(const char *cg, bool netns, probe_fn fn, const void *arg);

struct sock_arg {
	int family, type, protocol;
};
extern const struct sock_arg raw_icmp; /* test-cgroup-live.c */

struct net_arg {
	const char *listen;  /* address the listener binds */
	const char *connect; /* address the client uses (may be v4-mapped) */
	uint16_t port;
	int type; /* SOCK_STREAM: connect; SOCK_DGRAM: sendto */
	int repeat;
	bool udp_connect; /* SOCK_DGRAM: connect() instead of sendto() */
};

/* A raw or ICMP ping socket sends one packet: sendto(), or connect() then
 * send(). No listener: the packet only has to leave (or be refused). */
struct raw_arg {
	int family, type, protocol;
	const char *to;
	bool connect_first;
	uint16_t udp_port; /* SOCK_RAW, IPPROTO_UDP: the UDP header written by hand */
};

struct dev_arg {
	const char *path;
	dev_t dev;
};

int p_socket(const void *a);
int p_net(const void *a);
int p_raw_send(const void *a);
int p_sysctl(const void *a);
int p_mknod(const void *a);
int p_mknod_chr(const void *a);
int p_open(const void *a);

/* the current kernel.core_pattern, which p_sysctl writes back (read by main) */
extern char core_value[4096];

#define MAX_EV 64
extern struct pl_cg_event evs[MAX_EV];
extern int n_evs, n_seen;
int collect(void *u, const struct pl_cg_event *ev);
void drain(struct pl_cg_enforcer *e);
const struct pl_cg_event *find_event(uint8_t hook, const char *rule_name, uint8_t action);

#define EXPECT(cg, netns, fn, arg, want, ...)                                                   \
	do {                                                                                    \
		int _r = run((cg), (netns), (fn), (arg));                                       \
		TAP_OK(_r == (want), __VA_ARGS__);                                              \
		if (_r != (want))                                                               \
			tap_diag("got %d (%s), want %d", _r, _r < 200 ? strerror(_r) : "setup", \
				 (want));                                                       \
	} while (0)

/* ---- test-cgroup-live-checks.c: groups of checks run by main ------------- */

void nesting_checks(struct pl_cg_enforcer *e, uint64_t id_in);
void allocator_checks(struct pl_cg_enforcer *e, const struct pl_bpf_tables *t);
void old_layout_checks(void);
int loader(struct pl_bpf_tables *t, uint64_t id);
void mode_switch(struct pl_cg_enforcer *e);
