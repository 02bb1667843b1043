/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to test-cgroup-trie-live (one executable of three files): a
 * round's policy and queries, and the prototypes of what each file offers.
 * The random generator (trie-test.h) is shared by all three: main seeds it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "plastron/bpf.h"

#define QUERIES 4000
#define SHOW_MISMATCHES 5

extern pid_t child; /* test-cgroup-trie-live.c; killed by cleanup() */

/* ---- test-cgroup-trie-live-policy.c: the policy of one round ------------ */

struct round {
	struct pl_bpf_egress_entry *eg;
	size_t n_eg, n_v4, n_v6, n_ranges, dropped;
	size_t *own; /* own[i]: how many of eg[i].r are its own (the rest folded in) */
	char **names;
	char (*name_buf)[16];
	struct pl_bpf_tables t;
};

void round_free(struct round *rd);
/* Round 0: prefixes anywhere. Round 1: around a few seeds per family. */
int make_round(int round, struct round *rd);

/* ---- test-cgroup-trie-live-probe.c: queries, connects, model ------------ */

struct query {
	int family; /* of the socket and address */
	uint8_t addr[16];
	uint16_t port;
	int lfam; /* what the programs look up: v4-mapped addresses as IPv4 */
	uint8_t key[16];
	const struct pl_bpf_egress_entry *ref; /* longest enclosing entry, or NULL */
	bool want;                             /* the reference denies */
};

void make_queries(const struct round *rd, struct query *qs);
/* res[i]: the errno of query i's connect() (0: it succeeded); 0 or a
 * description of what failed. */
const char *connect_all(const char *cg, const struct query *qs, int32_t *res);
/* The query and every entry that encloses it (all a verdict depends on). */
void show_query(const struct round *rd, const struct query *q, const char *what);
void check_model(int round, const struct round *rd, const struct query *qs);
