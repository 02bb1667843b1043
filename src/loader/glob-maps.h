/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A profile's path automaton in BPF maps (src/bpf/glob.h): load the walk
 * program, size and fill its tables from a struct pl_glob_dfa, and run it
 * on one path with BPF_PROG_TEST_RUN (tests, bench/match).
 */
#pragma once

#include <stddef.h>

#include "plastron/error.h"
#include "plastron/glob.h"

struct pl_glob_bpf;
struct bpf_object;

/* A profile's automaton in the maps' layout, for any BPF object that
 * includes glob-walk.bpf.h (the test-run program, the LSM programs):
 * flatten it, size the object's maps before its load, fill them after. */
struct pl_glob_flat;
int pl_glob_flatten(const struct pl_glob_dfa *dfa, struct pl_glob_flat **ret, struct pl_diag *d);
void pl_glob_flat_free(struct pl_glob_flat *f); /* NULL-safe */
int pl_glob_maps_size(struct bpf_object *obj, const struct pl_glob_flat *f);
int pl_glob_maps_fill(struct bpf_object *obj, const struct pl_glob_flat *f);

/* 0, or a negative errno with a diagnostic; nothing is left loaded then. */
int pl_glob_bpf_load(const struct pl_glob_dfa *dfa, struct pl_glob_bpf **ret, struct pl_diag *d);
/* The program's decision for `path` (at most PL_GLOB_BPF_PATH_MAX bytes). */
int pl_glob_bpf_match(struct pl_glob_bpf *g, const char *path, size_t len,
		      struct pl_glob_accept *out);
void pl_glob_bpf_close(struct pl_glob_bpf *g); /* NULL-safe */
/* The test-run program's fd (bench/match times its repeat runs). */
int pl_glob_bpf_prog_fd(const struct pl_glob_bpf *g);
