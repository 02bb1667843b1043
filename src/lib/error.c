/* SPDX-License-Identifier: Apache-2.0 */
/* Diagnostics (struct pl_diag: counted first, then stored), their one-line
 * format, and "did you mean" suggestions (pl_suggest). The convention is in
 * include/plastron/error.h and docs/design.md, "Errors". */
#include "plastron/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/macro.h"

PL_EXPORT void pl_diag_init(struct pl_diag *d)
{
	memset(d, 0, sizeof(*d));
}

PL_EXPORT void pl_diag_clear(struct pl_diag *d)
{
	if (!d)
		return;
	for (struct pl_diag_entry *e = d->head, *n; e; e = n) {
		n = e->next;
		free(e->file);
		free(e->field);
		free(e->message);
		free(e->hint);
		free(e);
	}
	pl_diag_init(d);
}

PL_EXPORT void pl_diag_move(struct pl_diag *to, struct pl_diag *from)
{
	if (!from)
		return;
	if (!to) {
		pl_diag_clear(from);
		return;
	}
	if (from->head) {
		if (to->tail)
			to->tail->next = from->head;
		else
			to->head = from->head;
		to->tail = from->tail;
	}
	/* The counts travel even when no entry could be stored. */
	to->n_errors += from->n_errors;
	to->n_warnings += from->n_warnings;
	to->n_lost += from->n_lost;
	to->last_lost = from->last_lost;
	pl_diag_init(from);
}

/*
 * The counts come first and never depend on memory: an error is counted even
 * when its entry cannot be stored, so a verdict read from n_errors stays
 * right under memory pressure. An entry (or a part of it) that could not be
 * stored is counted in n_lost instead.
 */
static __attribute__((format(printf, 6, 0))) void append(struct pl_diag *d, enum pl_severity sev,
							 int code, const struct pl_pos *pos,
							 const char *field, const char *fmt,
							 va_list ap)
{
	if (!d)
		return;
	if (sev == PL_SEV_ERROR)
		d->n_errors++;
	else if (sev == PL_SEV_WARNING)
		d->n_warnings++;
	d->last_lost = true;
	struct pl_diag_entry *e = calloc(1, sizeof(*e));
	if (!e) {
		d->n_lost++;
		return;
	}
	bool partial = false;
	e->severity = sev;
	e->code = code;
	if (pos) {
		e->file = pos->file ? strdup(pos->file) : NULL;
		partial |= pos->file && !e->file;
		e->line = pos->line;
		e->col = pos->col;
	}
	e->field = field ? strdup(field) : NULL;
	partial |= field && !e->field;
	if (vasprintf(&e->message, fmt, ap) < 0) {
		e->message = NULL;
		partial = true;
	}
	if (partial)
		d->n_lost++;
	if (d->tail)
		d->tail->next = e;
	else
		d->head = e;
	d->tail = e;
	d->last_lost = false;
}

PL_EXPORT int pl_verror(struct pl_diag *d, int code, const struct pl_pos *pos, const char *field,
			const char *fmt, va_list ap)
{
	if (code >= 0)
		code = -EINVAL;
	append(d, PL_SEV_ERROR, code, pos, field, fmt, ap);
	return code;
}

PL_EXPORT int pl_error(struct pl_diag *d, int code, const struct pl_pos *pos, const char *field,
		       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	code = pl_verror(d, code, pos, field, fmt, ap);
	va_end(ap);
	return code;
}

PL_EXPORT void pl_warning(struct pl_diag *d, const struct pl_pos *pos, const char *field,
			  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	append(d, PL_SEV_WARNING, 0, pos, field, fmt, ap);
	va_end(ap);
}

PL_EXPORT void pl_note(struct pl_diag *d, const struct pl_pos *pos, const char *field,
		       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	append(d, PL_SEV_NOTE, 0, pos, field, fmt, ap);
	va_end(ap);
}

PL_EXPORT void pl_diag_hint(struct pl_diag *d, const char *fmt, ...)
{
	if (!d || !d->tail || d->last_lost)
		return; /* never on another entry than the one it was meant for */
	va_list ap;
	va_start(ap, fmt);
	free(d->tail->hint);
	if (vasprintf(&d->tail->hint, fmt, ap) < 0) {
		d->tail->hint = NULL;
		d->n_lost++;
	}
	va_end(ap);
}

PL_EXPORT char *pl_diag_format(const struct pl_diag_entry *e)
{
	static const char *const sev[] = { "error", "warning", "note" };
	char *out = NULL;
	char loc[4200];
	if (e->file && e->line)
		snprintf(loc, sizeof(loc), "%s:%u:%u", e->file, e->line, e->col ? e->col : 1);
	else if (e->file)
		snprintf(loc, sizeof(loc), "%s", e->file);
	else
		snprintf(loc, sizeof(loc), "plastron");
	int r =
	    asprintf(&out, "%s: %s: %s%s%s%s%s", loc, sev[e->severity], e->field ? e->field : "",
		     e->field ? ": " : "", e->message ? e->message : "(no message)",
		     e->hint ? "\n  hint: " : "", e->hint ? e->hint : "");
	return r < 0 ? NULL : out;
}

/* Levenshtein distance of A and B, or (size_t)-1 once it is known to exceed
 * MAX: when every entry of a row is over MAX, so is the result. This keeps a
 * policy with many unknown names (each one suggested against the catalog)
 * linear in practice. */
static size_t edit_distance(const char *a, const char *b, size_t max)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return (size_t)-1;
	size_t prev[65], cur[65];
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t row_min;
		cur[0] = row_min = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
			if (cur[j] < row_min)
				row_min = cur[j];
		}
		if (row_min > max)
			return (size_t)-1;
		memcpy(prev, cur, sizeof(size_t) * (lb + 1));
	}
	return prev[lb];
}

PL_EXPORT const char *pl_suggest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1, len = strlen(word);
	size_t limit = len / 3 > 2 ? len / 3 : 2;
	for (size_t i = 0; n ? i < n : candidates[i] != NULL; i++) {
		/* the distance is at least the difference in length */
		size_t lc = strlen(candidates[i]);
		if ((lc > len ? lc - len : len - lc) > limit)
			continue;
		size_t dist = edit_distance(word, candidates[i], limit);
		if (dist < best_d) {
			best_d = dist;
			best = candidates[i];
		}
	}
	return best_d <= limit ? best : NULL;
}
