/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The path automaton's maps (src/bpf/glob.h) and its test-run program: the
 * only code that knows how a struct pl_glob_dfa is flattened into
 * glob_parts, glob_cls, glob_next and glob_accept. glob_next and
 * glob_accept are sized to the profile before load and filled through
 * mmap (BPF_F_MMAPABLE), not one update per entry.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "glob-maps.h"
#include "glob.h"
#include "glob.skel.h"
#include "shared/macro.h"

struct pl_glob_bpf {
	struct pl_glob *skel;
};

PL_EXPORT void pl_glob_bpf_close(struct pl_glob_bpf *g)
{
	if (!g)
		return;
	pl_glob__destroy(g->skel);
	free(g);
}

/* Copy `n` entries of `size` bytes (a multiple of 8: array elements are
 * 8-byte aligned) into an mmapable array map. */
static int fill(struct bpf_map *m, const void *src, size_t n, size_t size)
{
	size_t bytes = n * size, map_len = (bytes + 4095) & ~(size_t)4095;
	void *p = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(m), 0);
	if (p == MAP_FAILED)
		return -errno;
	memcpy(p, src, bytes);
	munmap(p, map_len);
	return 0;
}

PL_EXPORT int pl_glob_bpf_load(const struct pl_glob_dfa *dfa, struct pl_glob_bpf **ret,
			       struct pl_diag *d)
{
	struct pl_glob_bpf_parts parts = { 0 };
	size_t n_next = 0, n_acc = 0;
	int r;

	if (!dfa || !ret || dfa->n_parts > PL_GLOB_BPF_PARTS)
		return pl_error(d, -EINVAL, NULL, NULL, "pl_glob_bpf_load: invalid argument");
	*ret = NULL;
	for (uint32_t k = 0; k < dfa->n_parts; k++) {
		const struct pl_glob_part *p = &dfa->part[k];
		parts.part[k] = (struct pl_glob_bpf_part){ (uint32_t)n_next, (uint32_t)n_acc,
							   p->n_classes, p->backward };
		n_next += (size_t)p->n_states * p->n_classes;
		n_acc += p->n_states;
	}
	parts.n_parts = dfa->n_parts;
	if (n_next > UINT32_MAX / 4)
		return pl_error(d, -E2BIG, NULL, NULL, "automaton of %zu transitions: too large",
				n_next);
	struct pl_glob_bpf *g = calloc(1, sizeof(*g));
	bool wide = false;
	for (uint32_t k = 0; k < dfa->n_parts; k++)
		wide |= dfa->part[k].n_states > UINT16_MAX;
	size_t per = wide ? 2 : 4; /* states per 8-byte element */
	size_t n_el = (n_next + per - 1) / per ? (n_next + per - 1) / per : 1;
	void *next = calloc(n_el, 8);
	parts.wide = wide;
	struct pl_glob_bpf_accept *acc = malloc((n_acc ? n_acc : 1) * sizeof(*acc));
	struct pl_glob_bpf_cls cls[PL_GLOB_BPF_PARTS] = { 0 };
	if (!g || !next || !acc) {
		free(g);
		free(next);
		free(acc);
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	}
	for (uint32_t k = 0; k < dfa->n_parts; k++) {
		const struct pl_glob_part *p = &dfa->part[k];
		size_t n = (size_t)p->n_states * p->n_classes, base = parts.part[k].next_base;
		for (size_t i = 0; i < n; i++) {
			if (wide)
				((uint32_t *)next)[base + i] = p->next[i];
			else
				((uint16_t *)next)[base + i] = (uint16_t)p->next[i];
		}
		for (uint32_t s = 0; s < p->n_states; s++)
			acc[parts.part[k].accept_base + s] =
			    (struct pl_glob_bpf_accept){ p->accept[s].deny, p->accept[s].audit,
							 p->accept[s].rule, 0 };
		memcpy(cls[k].c, p->cls, 256);
	}
	g->skel = pl_glob__open();
	r = g->skel ? 0 : -errno;
	if (r == 0)
		r = bpf_map__set_max_entries(g->skel->maps.glob_next, (uint32_t)n_el);
	if (r == 0)
		r = bpf_map__set_max_entries(g->skel->maps.glob_accept,
					     n_acc ? (uint32_t)n_acc : 1);
	if (r == 0)
		r = bpf_map__set_map_flags(g->skel->maps.glob_next, BPF_F_MMAPABLE);
	if (r == 0)
		r = bpf_map__set_map_flags(g->skel->maps.glob_accept, BPF_F_MMAPABLE);
	if (r == 0)
		r = pl_glob__load(g->skel);
	if (r < 0)
		pl_error(d, r, NULL, NULL, "loading the path automaton program: %s", strerror(-r));
	if (r == 0)
		r = fill(g->skel->maps.glob_next, next, n_el, 8);
	if (r == 0 && n_acc)
		r = fill(g->skel->maps.glob_accept, acc, n_acc, sizeof(*acc));
	for (uint32_t k = 0; r == 0 && k < PL_GLOB_BPF_PARTS; k++)
		if (bpf_map_update_elem(bpf_map__fd(g->skel->maps.glob_cls), &k, &cls[k], 0) < 0)
			r = -errno;
	uint32_t zero = 0;
	if (r == 0 &&
	    bpf_map_update_elem(bpf_map__fd(g->skel->maps.glob_parts), &zero, &parts, 0) < 0)
		r = -errno;
	free(next);
	free(acc);
	if (r < 0) {
		if (!d || !d->n_errors)
			pl_error(d, r, NULL, NULL, "filling the path automaton's maps: %s",
				 strerror(-r));
		pl_glob_bpf_close(g);
		return r;
	}
	*ret = g;
	return 0;
}

PL_EXPORT int pl_glob_bpf_match(struct pl_glob_bpf *g, const char *path, size_t len,
				struct pl_glob_accept *out)
{
	struct pl_glob_bpf_ctx ctx = { .path = (uint64_t)(uintptr_t)path, .len = (uint32_t)len };
	/* a syscall program's context is written back into ctx_in (the kernel
	 * refuses ctx_out, repeat and data for this program type) */
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));
	if (len > PL_GLOB_BPF_PATH_MAX)
		return -ENAMETOOLONG;
	if (bpf_prog_test_run_opts(bpf_program__fd(g->skel->progs.pl_glob_test), &o) < 0)
		return -errno;
	if ((int)o.retval < 0)
		return -EFAULT;
	*out = (struct pl_glob_accept){ ctx.out.deny, ctx.out.audit, ctx.out.rule };
	return 0;
}

PL_EXPORT int pl_glob_bpf_prog_fd(const struct pl_glob_bpf *g)
{
	return bpf_program__fd(g->skel->progs.pl_glob_test);
}
