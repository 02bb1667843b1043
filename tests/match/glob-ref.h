/* SPDX-License-Identifier: Apache-2.0 */
/* The tests' reference matcher and random patterns and paths (glob-ref.c). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether pattern p matches the whole of s, by backtracking. */
bool ref_match(const char *p, const char *s);
/* A pseudo-random number below n (fixed seed: runs repeat). */
uint32_t rnd(uint32_t n);
/* A random pattern; with deep, it may hold '**'. */
void rand_pattern(char *out, size_t cap, bool deep);
/* A path the pattern may well match: its wildcards filled in. */
void instantiate(const char *p, char *out, size_t cap);
/* A random path. */
void rand_path(char *out, size_t cap);
