/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the seccomp generator, OCI export, filter and dump (and the apply
 * layer's load). The model's OCI names come from the policy layer. Internal. */
#pragma once

#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/policy/seccomp-json.h" /* OCI names, sc_profile_new() */
#include "plastron/seccomp.h"
#include "shared/arena.h"

/* The three architectures every plastron filter covers. */
enum sc_arch { SC_ARCH_X86_64, SC_ARCH_X86, SC_ARCH_X32, SC_ARCH__MAX };
uint32_t sc_arch_token(enum sc_arch a);       /* SCMP_ARCH_* */
uint32_t sc_arch_audit(enum sc_arch a);       /* AUDIT_ARCH_* as the kernel reports it */
const char *sc_arch_oci_name(enum sc_arch a); /* "SCMP_ARCH_X86_64" */
/* Syscall number of `name` on `arch`: libseccomp's table first, then
 * plastron's table of syscalls newer than libseccomp. -1 when the name does
 * not exist on that arch, -2 when it is unknown everywhere. */
int sc_resolve(const char *name, enum sc_arch arch);
/* Name of a syscall number (libseccomp's table, then ours); NULL if none. */
const char *sc_name_of(enum sc_arch arch, int nr);
/* The libseccomp filter of a profile (x86_64, x32 and ia32 merged), for
 * the exports here and the load in the apply layer (apply/seccomp.c). The
 * caller releases it with seccomp_release(). */
int sc_filter_build(const struct pl_sc_profile *p, scmp_filter_ctx *ret, struct pl_diag *d);

/* Syscalls no plastron profile may ever deny. NULL-terminated. */
extern const char *const sc_never_deny[];
bool sc_is_never_deny(const char *name);
bool sc_action_denies(enum pl_sc_action a); /* anything but ALLOW / LOG / NOTIFY / TRACE */

/* One rule of one architecture context, collected by the filter builder
 * (seccomp-filter.c) before any is given to libseccomp, so that it can be
 * ordered and checked (seccomp-order.c). */
struct sc_pend {
	int nr;
	bool multiplexed; /* ia32 socket call: libseccomp derives socketcall(a0 == SYS_*) */
	uint32_t act;
	unsigned n;
	struct scmp_arg_cmp c[6];
	const struct pl_pos *pos; /* the profile entry's */
	char field[96];           /* "syscalls[3].names[0]" */
};

struct sc_pend_list {
	struct sc_pend *v;
	size_t n, cap;
};

int sc_pend_push(struct sc_pend_list *l, const struct sc_pend *r);
/* Puts one context's rules in the order libseccomp 2.5.4 handles right. */
void sc_order_rules(struct sc_pend_list *l, enum sc_arch arch);
/* 0, or -EINVAL naming two rules that libseccomp 2.5.4 would loop forever
 * on or build a wrong filter from, in the order given, or of a syscall whose
 * rules are too complex to check; -ENOMEM. Both do nothing unless the
 * installed libseccomp is 2.5.x. */
int sc_check_rules(const struct sc_pend_list *l, enum sc_arch arch, struct pl_diag *d);

/* Test knob (tests/seccomp/test-order.c): when set, the filter builder gives
 * libseccomp the rules in the profile's order, without the reordering of
 * sc_order_rules (the checks of sc_check_rules still apply). */
extern bool sc_filter_keep_order;
extern bool sc_filter_model_off;
