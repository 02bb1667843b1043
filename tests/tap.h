/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A tiny TAP producer for C tests. Each test file is one executable that
 * prints "ok N - name", "not ok N - name" or "ok N - name # SKIP reason"
 * and ends with the plan. scripts/test counts these lines.
 *
 *   TAP_OK(cond, "name %d", i);
 *   TAP_EQ_INT(got, want, "name %d", i);   prints got and want when they differ
 *   TAP_EQ_UINT / TAP_EQ_STR / TAP_NE_INT / TAP_LT_INT / TAP_GE_INT likewise
 *   TAP_SKIP("reason", "name");
 *   return tap_done();
 *
 * A test of several .c files includes this in each; they share one count.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Weak, so that a test built from several files shares one counter. */
__attribute__((weak)) int tap_n, tap_failed;

/* A case name is one line: a newline inside it (an event's JSON line, say)
 * would end the TAP line early, so it is printed as "\n". */
static inline void tap_vname(const char *fmt, va_list ap)
{
	char *s = NULL;
	if (vasprintf(&s, fmt, ap) < 0 || !s) {
		printf("(name lost: out of memory)");
		return;
	}
	for (const char *c = s; *c; c++) {
		if (*c == '\n')
			fputs("\\n", stdout);
		else
			putchar(*c);
	}
	free(s);
}

static inline __attribute__((format(printf, 3, 4))) bool tap_ok(bool cond, const char *where,
								const char *fmt, ...)
{
	va_list ap;
	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	tap_vname(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond) {
		tap_failed++;
		printf("#   failed at %s\n", where);
	}
	fflush(stdout);
	return cond;
}

static inline __attribute__((format(printf, 2, 3))) void tap_skip(const char *reason,
								  const char *fmt, ...)
{
	va_list ap;
	tap_n++;
	printf("ok %d - ", tap_n);
	va_start(ap, fmt);
	tap_vname(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", reason);
	fflush(stdout);
}

static inline __attribute__((format(printf, 1, 2))) void tap_diag(const char *fmt, ...)
{
	va_list ap;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#define TAP_STR2(x) #x
#define TAP_STR(x) TAP_STR2(x)
#define TAP_OK(cond, ...) tap_ok((cond), __FILE__ ":" TAP_STR(__LINE__), __VA_ARGS__)
#define TAP_SKIP(reason, ...) tap_skip((reason), __VA_ARGS__)

/* Comparisons: one case, and on failure the values got and wanted (each
 * operand is evaluated once). */
static inline void tap_cmp_diag_int(const char *op, long long got, long long want)
{
	printf("#   got:  %lld\n#   want: %s %lld\n", got, op, want);
}
static inline void tap_cmp_diag_uint(unsigned long long got, unsigned long long want)
{
	printf("#   got:  %llu (%#llx)\n#   want: %llu (%#llx)\n", got, got, want, want);
}
static inline void tap_cmp_diag_str(const char *got, const char *want)
{
	printf("#   got:  %s%s%s\n#   want: %s%s%s\n", got ? "'" : "", got ? got : "NULL",
	       got ? "'" : "", want ? "'" : "", want ? want : "NULL", want ? "'" : "");
}
static inline bool tap_str_eq(const char *a, const char *b)
{
	return a && b ? !strcmp(a, b) : a == b;
}

#define TAP_CMP_INT_(got, op, want, ...)                                                  \
	({                                                                                \
		long long _g = (long long)(got), _w = (long long)(want);                  \
		bool _ok = tap_ok(_g op _w, __FILE__ ":" TAP_STR(__LINE__), __VA_ARGS__); \
		if (!_ok)                                                                 \
			tap_cmp_diag_int(#op, _g, _w);                                    \
		_ok;                                                                      \
	})
#define TAP_EQ_INT(got, want, ...) TAP_CMP_INT_(got, ==, want, __VA_ARGS__)
#define TAP_NE_INT(got, want, ...) TAP_CMP_INT_(got, !=, want, __VA_ARGS__)
#define TAP_LT_INT(got, want, ...) TAP_CMP_INT_(got, <, want, __VA_ARGS__)
#define TAP_GE_INT(got, want, ...) TAP_CMP_INT_(got, >=, want, __VA_ARGS__)
#define TAP_EQ_UINT(got, want, ...)                                                       \
	({                                                                                \
		unsigned long long _g = (unsigned long long)(got),                        \
				   _w = (unsigned long long)(want);                       \
		bool _ok = tap_ok(_g == _w, __FILE__ ":" TAP_STR(__LINE__), __VA_ARGS__); \
		if (!_ok)                                                                 \
			tap_cmp_diag_uint(_g, _w);                                        \
		_ok;                                                                      \
	})
#define TAP_EQ_STR(got, want, ...)                                                           \
	({                                                                                   \
		const char *_g = (got), *_w = (want);                                        \
		bool _ok =                                                                   \
		    tap_ok(tap_str_eq(_g, _w), __FILE__ ":" TAP_STR(__LINE__), __VA_ARGS__); \
		if (!_ok)                                                                    \
			tap_cmp_diag_str(_g, _w);                                            \
		_ok;                                                                         \
	})
