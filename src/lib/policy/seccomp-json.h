/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seccomp model's OCI vocabulary and allocation (seccomp-json.c), shared
 * with the generators, filter and dumps (src/lib/gen/seccomp-internal.h).
 * Internal.
 */
#pragma once

#include <stdbool.h>

#include "plastron/seccomp.h"

/* OCI action names: "SCMP_ACT_ERRNO" ...; NULL for INVALID. */
const char *sc_action_name(enum pl_sc_action a);
enum pl_sc_action sc_action_from_name(const char *s);
const char *sc_op_name(enum pl_sc_op op);     /* "SCMP_CMP_EQ" */
enum pl_sc_op sc_op_from_name(const char *s); /* 0 when unknown */
/* NULL-terminated lists for "did you mean". */
extern const char *const sc_action_names[];
extern const char *const sc_op_names[];
extern const char *const sc_arch_names[];
extern const char *const sc_flag_names[];
bool sc_arch_known(const char *s);
bool sc_flag_known(const char *s);

/* An empty profile (default action ALLOW) owning its arena; NULL on ENOMEM.
 * Freed with pl_sc_profile_free(). */
struct pl_sc_profile *sc_profile_new(void);
