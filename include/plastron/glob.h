/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The path-pattern automaton: every file, exec and mount-source pattern of
 * a profile compiled into one DFA over byte classes, so that one lookup
 * costs O(path length) whatever the number of rules (issue 10, item 1).
 *
 * Pattern language (AppArmor's globbing, which vArmor policies are written
 * against), always matched against the whole path, never as a prefix:
 *   *       zero or more bytes, none of them '/'
 *   **      zero or more bytes, '/' included
 *   ?       one byte other than '/'
 *   [abc] [a-z] [!a-z] [^a-z]   one byte of the class ('/' never matches);
 *           a ']' first in the class is literal
 *   \x      the byte x, literally
 * Any number of wildcards; patterns up to PL_GLOB_MAX_PATTERN bytes.
 * AppArmor's {a,b} alternation is not part of it: an unescaped '{' or '}'
 * is an error (as a literal it would silently match nothing).
 *
 * The tables are plain arrays (struct pl_glob_part) so that the same lookup
 * (pl_glob_step in src/lib/match/glob-lookup.h) runs in user space and,
 * from array maps, in BPF. State 0 is the dead state; the start state is
 * PL_GLOB_START.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "plastron/error.h"

#define PL_GLOB_DEAD 0u
#define PL_GLOB_START 1u
#define PL_GLOB_MAX_PATTERN 4095
/* The default state budget of all parts together (pl_glob_opts.max_states
 * = 0). */
#define PL_GLOB_DEFAULT_MAX_STATES 65536u

/* One pattern of the profile: the permission bits (PL_PERM_* or any other
 * bit set) it denies and audits, and the rule id the events name. */
struct pl_glob_rule {
	const char *pattern;
	uint32_t deny;  /* permission bits denied on a match */
	uint32_t audit; /* permission bits logged on a match */
	uint32_t rule;  /* the caller's rule id */
};

/* What an accepting state decides: the union of the bits of every pattern
 * that matches the whole path, and the rule to name: the lowest rule id
 * among the matching patterns that deny something, or, when none denies,
 * among those that audit. */
struct pl_glob_accept {
	uint32_t deny;
	uint32_t audit;
	uint32_t rule; /* UINT32_MAX: no pattern matches */
};

/* One automaton of the profile. Patterns are split by shape so that no
 * automaton multiplies the states of another (a pattern free at its start,
 * "/ * * /x", run together with anchored ones would): "forward" for those
 * anchored at the start or without '**', "backward" (the patterns reversed,
 * the path read from its last byte) for those anchored at the end, and a
 * forward one for those anchored at neither end. A lookup runs each part
 * once: at most PL_GLOB_MAX_PARTS passes, whatever the number of rules. */
#define PL_GLOB_MAX_PARTS 3
struct pl_glob_part {
	uint8_t backward;              /* reads the path from its last byte to its first */
	uint32_t n_states;             /* including the dead state 0 */
	uint32_t n_classes;            /* byte classes, 1..256 */
	uint8_t cls[256];              /* byte → class */
	uint32_t *next;                /* [n_states * n_classes]: next state */
	struct pl_glob_accept *accept; /* [n_states] */
	uint32_t n_patterns;
};

struct pl_glob_dfa {
	uint32_t n_parts;
	struct pl_glob_part part[PL_GLOB_MAX_PARTS];
	uint32_t n_states; /* of all parts */
	size_t n_nfa;      /* positions of the patterns' automata */
};

struct pl_glob_opts {
	uint32_t max_states; /* 0: PL_GLOB_DEFAULT_MAX_STATES */
};

/*
 * Compile `n` patterns into one automaton. A malformed pattern is -EINVAL
 * with a diagnostic naming it and the byte offset (field "patterns[i]");
 * more states than the budget is -E2BIG, naming the budget; no automaton
 * is returned then.
 */
int pl_glob_compile(const struct pl_glob_rule *rules, size_t n, const struct pl_glob_opts *o,
		    struct pl_glob_dfa **ret, struct pl_diag *d);
void pl_glob_free(struct pl_glob_dfa *dfa); /* NULL-safe */

/* Check one pattern's syntax: 0, or -EINVAL and the offset of the fault in
 * *at and a reason in *why (static strings). */
int pl_glob_check(const char *pattern, size_t *at, const char **why);

/* Run the automaton over `path` (len bytes): the decision for it. */
struct pl_glob_accept pl_glob_match(const struct pl_glob_dfa *dfa, const char *path, size_t len);
