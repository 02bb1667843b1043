/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bump allocator. A policy set and everything in it is allocated from one
 * arena and freed at once, so parsers never leak on error paths.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct pl_arena;

struct pl_arena *pl_arena_new(void);
void pl_arena_free(struct pl_arena *a); /* NULL-safe */
/* Whether any allocation from `a` failed (sticky): a builder that does not
 * check each allocation checks this before it returns success. */
bool pl_arena_failed(const struct pl_arena *a);
/* Zeroed memory; NULL on allocation failure. */
void *pl_arena_alloc(struct pl_arena *a, size_t size);
char *pl_arena_strdup(struct pl_arena *a, const char *s);
char *pl_arena_strndup(struct pl_arena *a, const char *s, size_t n);
char *pl_arena_printf(struct pl_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Grow an arena-owned array of `*n` elements by one; returns the new,
 * zeroed element (the old storage is simply left in the arena). */
void *pl_arena_push(struct pl_arena *a, void **array, size_t *n, size_t elem_size);
#define PL_ARENA_PUSH(a, arr, n) \
	((__typeof__(arr))pl_arena_push((a), (void **)&(arr), &(n), sizeof(*(arr))))
