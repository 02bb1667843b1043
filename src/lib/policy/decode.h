/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the strict decoder's files (decode*.c, internal): the decoding
 * state of one load (struct ctx), the arena macros, the helpers of
 * decode-util.c and the entry points of each section's file. The helpers
 * report into c->d and never stop at the first error.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"
#include "names.h"
#include "plastron/policy.h"
#include "plastron/seccomp.h"
#include "shared/arena.h"
#include "shared/macro.h"

#define PATH_LEN 384

struct ctx {
	struct pl_arena *a;
	struct pl_diag *d;
	struct pl_policy_set_priv *set;
	struct pl_policy *p;
	const char *const *rule_names; /* ids and aliases, for "did you mean" */
	size_t n_rule_names;
	unsigned n_suggested; /* "did you mean" hints given in this load */
	unsigned n_skipped;   /* other Kubernetes objects skipped (decode.c) */
	struct pl_pos first_skipped;
	bool oom;
};

/* Push onto an arena array of the load; sets c->oom when that fails. */
#define PUSH(c, arr, n)                                             \
	({                                                          \
		__typeof__(arr) _e = PL_ARENA_PUSH((c)->a, arr, n); \
		if (!_e)                                            \
			(c)->oom = true;                            \
		_e;                                                 \
	})

/* Append V to ARR (N items) unless errors were added since ERRS was taken. */
#define KEEP(c, errs, arr, n, v)                                 \
	do {                                                     \
		if ((c)->d->n_errors == (errs)) {                \
			__typeof__(arr) _slot = PUSH(c, arr, n); \
			if (_slot)                               \
				*_slot = (v);                    \
		}                                                \
	} while (0)

/* Walks over the items of a sequence that are maps: see dec_maps_of(), dec_map_next(). */
struct map_iter {
	struct ctx *c;
	const struct pl_node *seq, *item;
	const char *seq_path;
	const char *const *keys;
	size_t i, n;
	char path[PATH_LEN];
};

/* ---- paths and diagnostics (decode-util.c) ------------------------------ */
/* BUF (PATH_LEN bytes) := "BASE.KEY" / "BASE[I]"; returns BUF. */
const char *dec_pkey(char *buf, const char *base, const char *key);
const char *dec_pidx(char *buf, const char *base, size_t i);
__attribute__((format(printf, 4, 5))) void dec_err(struct ctx *c, const struct pl_node *n,
						   const char *path, const char *fmt, ...);
__attribute__((format(printf, 4, 5))) void dec_warn(struct ctx *c, const struct pl_node *n,
						    const char *path, const char *fmt, ...);
/* "did you mean" (at most PL_MAX_SUGGESTIONS per load). */
void dec_hint_suggest(struct ctx *c, const char *word, const char *const *cands, size_t n);
char *dec_sdup(struct ctx *c, const char *s);

/* ---- typed access (decode-util.c) --------------------------------------- */
bool dec_is_type(struct ctx *c, const struct pl_node *n, const char *path, enum pl_node_type t);
void dec_check_keys(struct ctx *c, const struct pl_node *map, const char *path,
		    const char *const *known);
const struct pl_node *dec_get(const struct pl_node *map, const char *key);
const struct pl_node *dec_require(struct ctx *c, const struct pl_node *map, const char *path,
				  const char *key);
struct map_iter dec_maps_of(struct ctx *c, const struct pl_node *n, const char *path,
			    const char *const *keys);
bool dec_map_next(struct map_iter *m);
const char *dec_get_str(struct ctx *c, const struct pl_node *n, const char *path);
char *dec_str_field(struct ctx *c, const struct pl_node *map, const char *path, const char *key);
const struct pl_node *dec_one_of(struct ctx *c, const struct pl_node *map, const char *path,
				 const char *a, const char *b, const char *what, bool *is_a);
bool dec_get_bool(struct ctx *c, const struct pl_node *n, const char *path, bool *out);
bool dec_get_u64(struct ctx *c, const struct pl_node *n, const char *path, uint64_t *out);
bool dec_get_u32_range(struct ctx *c, const struct pl_node *n, const char *path, uint64_t lo,
		       uint64_t hi, uint32_t *out);
bool dec_get_strv(struct ctx *c, const struct pl_node *n, const char *path, struct pl_strv *out);
bool dec_get_words(struct ctx *c, const struct pl_node *n, const char *path,
		   const struct pl_word *table, const char *what, uint32_t *bits,
		   uint32_t *reverse);

/* ---- common pieces (decode-util.c) -------------------------------------- */
enum pl_action dec_get_qualifiers(struct ctx *c, const struct pl_node *rule, const char *path);
bool dec_check_abs_path(struct ctx *c, const struct pl_node *n, const char *path, const char *s,
			const char *what);
void dec_get_targets(struct ctx *c, const struct pl_node *n, const char *path, struct pl_strv *out);
struct pl_selector *dec_get_selector(struct ctx *c, const struct pl_node *n, const char *path);
void dec_get_ports(struct ctx *c, const struct pl_node *n, const char *path,
		   struct pl_port_range **out, size_t *n_out);

/* ---- sections ----------------------------------------------------------- */
/* spec.policy.enhanceProtect, spec.policy.defenseInDepth (decode-rules.c) */
void dec_enhance_protect(struct ctx *c, const struct pl_node *n, const char *path);
void dec_defense_in_depth(struct ctx *c, const struct pl_node *n, const char *path);
/* enhanceProtect.bpfRawRules (decode-bpf.c) */
void dec_bpf_raw(struct ctx *c, const struct pl_node *n, const char *path);
/* syscallRawRules of either section, appended to *OUT with ORIGIN
 * (decode-syscall.c) */
void dec_syscall_raw(struct ctx *c, const struct pl_node *n, const char *path, const char *origin,
		     struct pl_sc_syscall **out, size_t *n_out);
/* Records a syscall name skipped as unknown on the model (copied). */
void dec_syscall_skipped(struct ctx *c, const struct pl_sc_skipped *s);
/* spec.policy.networkProxyConfig; the NetworkProxyRules of
 * enhanceProtect.networkProxyRawRules and defenseInDepth.networkProxy
 * (decode-proxy.c) */
void dec_network_proxy_config(struct ctx *c, const struct pl_node *n, const char *path);
void dec_network_proxy_rules(struct ctx *c, const struct pl_node *n, const char *path);
/* spec.plastron.landlock (decode-landlock.c) */
void dec_landlock(struct ctx *c, const struct pl_node *n, const char *path);
