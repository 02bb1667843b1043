/* SPDX-License-Identifier: Apache-2.0 */
/* Loading policy sets from files, stdin or memory; reading an input file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "plastron/seccomp.h"
#include "shared/arena.h"
#include "shared/macro.h"

PL_EXPORT void pl_policy_set_free(struct pl_policy_set *s)
{
	if (!s)
		return;
	struct pl_policy_set_priv *p = (struct pl_policy_set_priv *)s;
	for (size_t i = 0; i < p->n_profiles; i++)
		pl_sc_profile_free(p->profiles[i]);
	free(p->profiles);
	pl_arena_free(s->arena);
	free(p);
}

/* Sort the entries appended after `mark` by position (stable), so errors read
 * top to bottom whatever order the checks ran in. */
static void sort_new_entries(struct pl_diag *d, struct pl_diag_entry *mark)
{
	struct pl_diag_entry *first = mark ? mark->next : d->head;
	size_t n = 0;
	for (struct pl_diag_entry *e = first; e; e = e->next)
		n++;
	if (n < 2)
		return;
	struct pl_diag_entry **v = malloc(n * sizeof(*v));
	if (!v)
		return;
	n = 0;
	for (struct pl_diag_entry *e = first; e; e = e->next)
		v[n++] = e;
	/* insertion sort: stable, n is small */
	for (size_t i = 1; i < n; i++) {
		struct pl_diag_entry *x = v[i];
		size_t j = i;
		while (j > 0 && (v[j - 1]->line > x->line ||
				 (v[j - 1]->line == x->line && v[j - 1]->col > x->col))) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
	for (size_t i = 0; i + 1 < n; i++)
		v[i]->next = v[i + 1];
	v[n - 1]->next = NULL;
	if (mark)
		mark->next = v[0];
	else
		d->head = v[0];
	d->tail = v[n - 1];
	free(v);
}

PL_EXPORT int pl_policy_set_load_buffer(const char *name, const char *buf, size_t len,
					struct pl_policy_set **ret, struct pl_diag *diag)
{
	struct pl_diag local = { 0 };
	struct pl_diag *d = diag ? diag : &local;
	struct pl_diag_entry *mark = d->tail;
	size_t errors_before = d->n_errors;
	int r;

	struct pl_policy_set_priv *s = calloc(1, sizeof(*s));
	if (!s) {
		r = pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
		goto out;
	}
	s->pub.arena = pl_arena_new();
	if (!s->pub.arena) {
		free(s);
		r = pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
		goto out;
	}
	s->file = pl_arena_strdup(s->pub.arena, name ? name : "<buffer>");
	if (!s->file) {
		pl_policy_set_free(&s->pub);
		r = pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
		goto out;
	}

	struct pl_node **docs = NULL;
	r = pl_tree_parse(s->pub.arena, s->file, buf ? buf : "", buf ? len : 0, &docs, d);
	if (r == 0) {
		struct pl_pos pos = { .file = s->file };
		r = pl_error(d, -EINVAL, &pos, NULL, "no policy found (the input is empty)");
	}
	if (r > 0)
		r = pl_policy_decode_docs(s, docs, (size_t)r, d);
	if (r >= 0 && d->n_errors > errors_before)
		r = -EINVAL;
	sort_new_entries(d, mark);
	if (r < 0) {
		pl_policy_set_free(&s->pub);
		goto out;
	}
	*ret = &s->pub;
	r = 0;
out:
	pl_diag_clear(&local);
	return r;
}

int pl_input_read(const char *path, char **ret_buf, size_t *ret_len, struct pl_diag *diag)
{
	bool is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "<stdin>" : path;
	struct pl_pos pos = { .file = name };
	FILE *f = is_stdin ? stdin : fopen(path, "re");
	if (!f)
		return pl_error(diag, -errno, &pos, NULL, "cannot open: %s", strerror(errno));

	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	int r = 0;
	if (!buf) {
		r = pl_error(diag, -ENOMEM, &pos, NULL, "out of memory");
		goto out;
	}
	for (;;) {
		if (len == cap) {
			if (cap > PL_TREE_MAX_INPUT) {
				r = pl_error(diag, -EFBIG, &pos, NULL,
					     "input is larger than %u bytes", PL_TREE_MAX_INPUT);
				goto out;
			}
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				r = pl_error(diag, -ENOMEM, &pos, NULL, "out of memory");
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		size_t k = fread(buf + len, 1, cap - len, f);
		len += k;
		if (k == 0) {
			if (ferror(f)) {
				int e = errno ? errno : EIO;
				r = pl_error(diag, -e, &pos, NULL, "cannot read: %s", strerror(e));
				goto out;
			}
			break;
		}
	}
	*ret_buf = buf;
	*ret_len = len;
	buf = NULL;
out:
	free(buf);
	if (!is_stdin)
		fclose(f);
	return r;
}

PL_EXPORT int pl_policy_set_load(const char *path, struct pl_policy_set **ret, struct pl_diag *diag)
{
	char *buf = NULL;
	size_t len = 0;
	int r = pl_input_read(path, &buf, &len, diag);
	if (r < 0)
		return r;
	r = pl_policy_set_load_buffer(strcmp(path, "-") ? path : "<stdin>", buf, len, ret, diag);
	free(buf);
	return r;
}
