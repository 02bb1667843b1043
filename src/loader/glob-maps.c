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

/* A profile's automaton flattened into the maps' layout (glob.h). */
struct pl_glob_flat {
	struct pl_glob_bpf_parts parts;
	struct pl_glob_bpf_cls cls[PL_GLOB_BPF_PARTS];
	void *next; /* n_el 8-byte elements */
	size_t n_el;
	struct pl_glob_bpf_accept *acc;
	size_t n_acc;
};

PL_EXPORT void pl_glob_flat_free(struct pl_glob_flat *f)
{
	if (!f)
		return;
	free(f->next);
	free(f->acc);
	free(f);
}

PL_EXPORT int pl_glob_flatten(const struct pl_glob_dfa *dfa, struct pl_glob_flat **ret,
			      struct pl_diag *d)
{
	size_t n_next = 0, n_acc = 0;
	bool wide = false;

	if (!dfa || !ret || dfa->n_parts > PL_GLOB_BPF_PARTS)
		return pl_error(d, -EINVAL, NULL, NULL, "pl_glob_flatten: invalid argument");
	*ret = NULL;
	struct pl_glob_flat *f = calloc(1, sizeof(*f));
	if (!f)
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	for (uint32_t k = 0; k < dfa->n_parts; k++) {
		const struct pl_glob_part *p = &dfa->part[k];
		f->parts.part[k] = (struct pl_glob_bpf_part){ (uint32_t)n_next, (uint32_t)n_acc,
							      p->n_classes, p->backward };
		n_next += (size_t)p->n_states * p->n_classes;
		n_acc += p->n_states;
		wide |= p->n_states > UINT16_MAX;
	}
	f->parts.n_parts = dfa->n_parts;
	f->parts.wide = wide;
	if (n_next > UINT32_MAX / 4) {
		pl_glob_flat_free(f);
		return pl_error(d, -E2BIG, NULL, NULL, "automaton of %zu transitions: too large",
				n_next);
	}
	size_t per = wide ? 2 : 4; /* states per 8-byte element */
	f->n_el = (n_next + per - 1) / per ? (n_next + per - 1) / per : 1;
	f->n_acc = n_acc ? n_acc : 1;
	f->next = calloc(f->n_el, 8);
	f->acc = calloc(f->n_acc, sizeof(*f->acc));
	if (!f->next || !f->acc) {
		pl_glob_flat_free(f);
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	}
	f->acc[0].rule = UINT32_MAX;
	for (uint32_t k = 0; k < dfa->n_parts; k++) {
		const struct pl_glob_part *p = &dfa->part[k];
		size_t n = (size_t)p->n_states * p->n_classes, base = f->parts.part[k].next_base;
		for (size_t i = 0; i < n; i++) {
			if (wide)
				((uint32_t *)f->next)[base + i] = p->next[i];
			else
				((uint16_t *)f->next)[base + i] = (uint16_t)p->next[i];
		}
		for (uint32_t st = 0; st < p->n_states; st++)
			f->acc[f->parts.part[k].accept_base + st] =
			    (struct pl_glob_bpf_accept){ p->accept[st].deny, p->accept[st].audit,
							 p->accept[st].rule, 0 };
		memcpy(f->cls[k].c, p->cls, 256);
	}
	*ret = f;
	return 0;
}

static struct bpf_map *map_of(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);
	if (!m)
		errno = ENOENT;
	return m;
}

PL_EXPORT int pl_glob_maps_size(struct bpf_object *obj, const struct pl_glob_flat *f)
{
	struct bpf_map *next = map_of(obj, "glob_next"), *acc = map_of(obj, "glob_accept");
	int r;
	if (!next || !acc)
		return -ENOENT;
	if ((r = bpf_map__set_max_entries(next, (uint32_t)f->n_el)) < 0 ||
	    (r = bpf_map__set_max_entries(acc, (uint32_t)f->n_acc)) < 0 ||
	    (r = bpf_map__set_map_flags(next, BPF_F_MMAPABLE)) < 0 ||
	    (r = bpf_map__set_map_flags(acc, BPF_F_MMAPABLE)) < 0)
		return r;
	return 0;
}

PL_EXPORT int pl_glob_maps_fill(struct bpf_object *obj, const struct pl_glob_flat *f)
{
	struct bpf_map *next = map_of(obj, "glob_next"), *acc = map_of(obj, "glob_accept"),
		       *cls = map_of(obj, "glob_cls"), *parts = map_of(obj, "glob_parts");
	uint32_t zero = 0;
	int r;
	if (!next || !acc || !cls || !parts)
		return -ENOENT;
	if ((r = fill(next, f->next, f->n_el, 8)) < 0 ||
	    (r = fill(acc, f->acc, f->n_acc, sizeof(*f->acc))) < 0)
		return r;
	for (uint32_t k = 0; k < PL_GLOB_BPF_PARTS; k++)
		if (bpf_map_update_elem(bpf_map__fd(cls), &k, &f->cls[k], 0) < 0)
			return -errno;
	/* the header last: until it is written, n_parts is 0 and nothing matches */
	if (bpf_map_update_elem(bpf_map__fd(parts), &zero, &f->parts, 0) < 0)
		return -errno;
	return 0;
}

PL_EXPORT int pl_glob_bpf_load(const struct pl_glob_dfa *dfa, struct pl_glob_bpf **ret,
			       struct pl_diag *d)
{
	struct pl_glob_flat *f = NULL;
	int r;

	if (!ret)
		return pl_error(d, -EINVAL, NULL, NULL, "pl_glob_bpf_load: invalid argument");
	*ret = NULL;
	if ((r = pl_glob_flatten(dfa, &f, d)) < 0)
		return r;
	struct pl_glob_bpf *g = calloc(1, sizeof(*g));
	r = g ? 0 : -ENOMEM;
	if (r == 0)
		r = (g->skel = pl_glob__open()) ? 0 : -errno;
	if (r == 0)
		r = pl_glob_maps_size(g->skel->obj, f);
	if (r == 0)
		r = pl_glob__load(g->skel);
	if (r < 0)
		pl_error(d, r, NULL, NULL, "loading the path automaton program: %s", strerror(-r));
	if (r == 0 && (r = pl_glob_maps_fill(g->skel->obj, f)) < 0)
		pl_error(d, r, NULL, NULL, "filling the path automaton's maps: %s", strerror(-r));
	pl_glob_flat_free(f);
	if (r < 0) {
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
