/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A tiny TAP producer for C tests. Each test file is one executable that
 * prints "ok N - name", "not ok N - name" or "ok N - name # SKIP reason"
 * and ends with the plan. scripts/test counts these lines.
 *
 *   TAP_OK(cond, "name %d", i);
 *   TAP_SKIP("reason", "name");
 *   return tap_done();
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_n, tap_failed;

static inline __attribute__((format(printf, 3, 4))) bool tap_ok(bool cond, const char *where,
								const char *fmt, ...)
{
	va_list ap;
	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
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
	vprintf(fmt, ap);
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
