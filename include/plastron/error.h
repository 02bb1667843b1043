/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one error convention of libplastron (see docs/design.md):
 *
 *  - A fallible function returns 0 (or a count) on success and a negative
 *    errno on failure. It never prints.
 *  - When it is given a `struct pl_diag *`, it also appends human-readable
 *    diagnostics to it. Policy mistakes carry file:line:col and the field
 *    path; system failures carry the errno and what was being done.
 *  - The caller (CLI, agent, shim) decides how to print them, with
 *    pl_diag_format().
 *
 * Warnings are collected the same way but do not make a function fail.
 *
 * The counts never depend on memory: n_errors and n_warnings count every
 * error and warning reported, including those whose entry could not be
 * allocated; n_lost says how many entries (or parts of one) are missing from
 * the list for want of memory. A verdict is read from n_errors, never from
 * the list.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A position in a policy file. `file` is borrowed (owned by the policy set
 * or by the caller); line and col are 1-based, 0 when unknown. */
struct pl_pos {
	const char *file;
	uint32_t line;
	uint32_t col;
};

enum pl_severity {
	PL_SEV_ERROR,
	PL_SEV_WARNING,
	PL_SEV_NOTE,
};

struct pl_diag_entry {
	enum pl_severity severity;
	int code;   /* negative errno; 0 for warnings and notes */
	char *file; /* owned copy, may be NULL */
	uint32_t line, col;
	char *field;   /* dotted field path, e.g. spec.policy.mode; may be NULL */
	char *message; /* owned */
	char *hint;    /* "did you mean ..."; may be NULL */
	struct pl_diag_entry *next;
};

struct pl_diag {
	struct pl_diag_entry *head, *tail;
	size_t n_errors;   /* every error reported, stored or not */
	size_t n_warnings; /* every warning reported, stored or not */
	size_t n_lost;     /* entries (or parts) not stored: out of memory */
	bool last_lost;    /* the last report has no entry (hints are dropped) */
};

/* Initialise an empty list (a zeroed struct is also valid). */
void pl_diag_init(struct pl_diag *d);
/* Free every entry; the struct itself stays usable. NULL-safe. */
void pl_diag_clear(struct pl_diag *d);
/* Append `from`'s entries and counts to `to` (a NULL `to` drops them) and
 * leave `from` empty. The counts move even when `from` has no entries (they
 * could not be stored), so a verdict read from `to->n_errors` stays right. */
void pl_diag_move(struct pl_diag *to, struct pl_diag *from);

/*
 * Append an error. Returns `code` (which must be negative) so a caller can
 * write `return pl_error(d, -EINVAL, pos, "spec.policy.mode", "...")`.
 * `d`, `pos` and `field` may be NULL.
 */
int pl_error(struct pl_diag *d, int code, const struct pl_pos *pos, const char *field,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int pl_verror(struct pl_diag *d, int code, const struct pl_pos *pos, const char *field,
	      const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
void pl_warning(struct pl_diag *d, const struct pl_pos *pos, const char *field, const char *fmt,
		...) __attribute__((format(printf, 4, 5)));
void pl_note(struct pl_diag *d, const struct pl_pos *pos, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Attach a hint ("did you mean 'x'?") to the last entry. */
void pl_diag_hint(struct pl_diag *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Render one entry as
 *   file:line:col: error: field: message
 *     hint: did you mean 'x'?
 * into a newly allocated string (caller frees). Parts that are unknown are
 * left out (no file → "plastron: error: ...").
 */
char *pl_diag_format(const struct pl_diag_entry *e);

/* Edit distance used for "did you mean"; returns the best candidate within
 * distance max(2, len/3), or NULL. `candidates` is NULL-terminated, or uses
 * `n` when n > 0. */
const char *pl_suggest(const char *word, const char *const *candidates, size_t n);

#ifdef __cplusplus
}
#endif
