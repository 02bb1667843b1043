/* SPDX-License-Identifier: Apache-2.0 */
/* The bump allocator (see arena.h): a policy set and everything in it come
 * from one arena, freed at once. */
#include "arena.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct chunk {
	struct chunk *next;
	size_t size, used;
	max_align_t data[];
};

struct pl_arena {
	struct chunk *head;
	bool failed; /* an allocation failed: what was built is incomplete */
};

struct pl_arena *pl_arena_new(void)
{
	return calloc(1, sizeof(struct pl_arena));
}

bool pl_arena_failed(const struct pl_arena *a)
{
	return !a || a->failed;
}

void pl_arena_free(struct pl_arena *a)
{
	if (!a)
		return;
	for (struct chunk *c = a->head, *n; c; c = n) {
		n = c->next;
		free(c);
	}
	free(a);
}

void *pl_arena_alloc(struct pl_arena *a, size_t size)
{
	const size_t align = _Alignof(max_align_t);
	size = (size + align - 1) & ~(align - 1);
	if (size == 0)
		size = align;
	struct chunk *c = a->head;
	if (!c || c->size - c->used < size) {
		size_t cap = size > 16384 ? size : 16384;
		c = malloc(sizeof(*c) + cap);
		if (!c) {
			a->failed = true;
			return NULL;
		}
		c->size = cap;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	void *p = (char *)c->data + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

char *pl_arena_strndup(struct pl_arena *a, const char *s, size_t n)
{
	char *p = pl_arena_alloc(a, n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

char *pl_arena_strdup(struct pl_arena *a, const char *s)
{
	return s ? pl_arena_strndup(a, s, strlen(s)) : NULL;
}

char *pl_arena_printf(struct pl_arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		a->failed = true;
		return NULL;
	}
	char *p = pl_arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void *pl_arena_push(struct pl_arena *a, void **array, size_t *n, size_t elem_size)
{
	/* Capacity doubles at powers of two; the count alone tells when to grow. */
	size_t cnt = *n;
	if (cnt == 0 || (cnt & (cnt - 1)) == 0) {
		size_t cap = cnt ? cnt * 2 : 4;
		if (cnt && cnt < 4)
			cap = 4;
		if (cnt == 0 || cnt >= 4) {
			void *nv = pl_arena_alloc(a, cap * elem_size);
			if (!nv)
				return NULL;
			if (cnt)
				memcpy(nv, *array, cnt * elem_size);
			*array = nv;
		}
	}
	void *e = (char *)*array + cnt * elem_size;
	memset(e, 0, elem_size);
	*n = cnt + 1;
	return e;
}
