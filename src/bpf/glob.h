/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Structures shared by the path-automaton program (glob.bpf.c) and the
 * loader that writes a profile's automaton into its maps
 * (src/loader/glob-maps.c). The tables are struct pl_glob_dfa's
 * (include/plastron/glob.h), flattened:
 *
 *   glob_parts   ARRAY [0]     -> { n_parts, part headers }
 *   glob_cls     ARRAY part    -> byte → class (256 bytes)
 *   glob_next    ARRAY i / 4   -> the next states of transitions i .. i + 3
 *                (16-bit: every part has fewer than 65,536 states), or
 *                ARRAY i / 2 -> those of i and i + 1 (32-bit: "wide"),
 *                i = next_base + state * n_classes + class
 *   glob_accept  ARRAY accept_base + state -> { deny, audit, rule }
 *
 * An array map's elements are 8-byte aligned, so glob_next packs four
 * 16-bit or two 32-bit states per element and an accept entry is 16 bytes:
 * the maps are then the loader's arrays byte for byte and are filled
 * through mmap. 16-bit states halve the table, which is what the walk's
 * cost grows with (cache misses) once a profile has thousands of rules.
 * pl_glob_bpf_index is the one index computation both sides use; the walk
 * reads one glob_next element per byte of the path (an inlined array
 * load).
 */
#ifndef PLASTRON_BPF_GLOB_H
#define PLASTRON_BPF_GLOB_H

#include <linux/types.h>

#define PL_GLOB_BPF_PARTS 3
#define PL_GLOB_BPF_PATH_MAX 4096 /* bytes of a path the walk reads (PATH_MAX) */

struct pl_glob_bpf_part {
	__u32 next_base;   /* first glob_next entry of the part */
	__u32 accept_base; /* first glob_accept entry */
	__u32 n_classes;
	__u32 backward; /* reads the path from its last byte */
};

struct pl_glob_bpf_parts {
	__u32 n_parts;
	__u32 wide; /* glob_next holds 32-bit states */
	struct pl_glob_bpf_part part[PL_GLOB_BPF_PARTS];
};

struct pl_glob_bpf_accept {
	__u32 deny;
	__u32 audit;
	__u32 rule; /* 0xffffffff: no pattern matches */
	__u32 pad;
};

struct pl_glob_bpf_next {
	union {
		__u16 h[4]; /* narrow */
		__u32 w[2]; /* wide */
	};
};

struct pl_glob_bpf_cls {
	__u8 c[256];
};

/* A path to walk: the programs copy it here first (bpf_d_path in the LSM
 * hooks, bpf_copy_from_user in pl_glob_test), one buffer per CPU. */
struct pl_glob_bpf_buf {
	__u8 b[PL_GLOB_BPF_PATH_MAX];
};

/* BPF_PROG_TEST_RUN context of pl_glob_test (tests and bench/): the user
 * address and length of a path in, the decision out; with repeat > 1 the
 * walk runs that many times and ns is their time (bench/match: the kernel
 * refuses the test run's own repeat for this program type). */
struct pl_glob_bpf_ctx {
	__u64 path;
	__u32 len;
	__u32 repeat;
	struct pl_glob_bpf_accept out;
	__u64 ns;
};

_Static_assert(sizeof(struct pl_glob_bpf_part) == 16, "part header layout");
_Static_assert(sizeof(struct pl_glob_bpf_parts) == 8 + 16 * PL_GLOB_BPF_PARTS, "parts layout");
_Static_assert(sizeof(struct pl_glob_bpf_accept) == 16, "accept layout: 8-byte elements");
_Static_assert(sizeof(struct pl_glob_bpf_next) == 8, "one 8-byte array element");
_Static_assert(sizeof(struct pl_glob_bpf_ctx) == 40, "ctx layout");

/* The glob_next entry of (state, class) in a part. */
static inline __u32 pl_glob_bpf_index(const struct pl_glob_bpf_part *p, __u32 state, __u32 cls)
{
	return p->next_base + state * p->n_classes + cls;
}

#endif
