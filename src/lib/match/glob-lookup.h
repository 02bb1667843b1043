/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The path automaton's step, the one piece of the matcher that runs both in
 * user space (pl_glob_match) and in BPF programs (over array maps): no libc,
 * no allocation, one table read per byte. The tables are struct
 * pl_glob_dfa's (include/plastron/glob.h).
 */
#pragma once

#include <stdint.h>

/* The state after reading byte `b` in state `s`. */
static inline uint32_t pl_glob_step(const uint32_t *next, const uint8_t *cls, uint32_t n_classes,
				    uint32_t s, uint8_t b)
{
	return next[(uint64_t)s * n_classes + cls[b]];
}
