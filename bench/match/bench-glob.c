/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The path automaton's cost (issue 10, item 6, user-space half): compile
 * time, states and table size of profiles of 8, 64, 1,024 and 4,096
 * patterns, and the cost of one lookup over the same paths at each size,
 * printed as ratios against the 8-pattern profile measured in the same run.
 * With the BPF walk built (-Dbpf) and as root, the same lookups also run in
 * the kernel: src/bpf/glob.bpf.c by BPF_PROG_TEST_RUN, each path walked
 * ROUNDS times inside one run (timed there with bpf_ktime_get_ns).
 * Usage: bench-glob [ROUNDS]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "glob-shapes.h"
#include "plastron/glob.h"
#ifdef BENCH_BPF
#include <unistd.h>

#include <bpf/bpf.h>

#include "glob-maps.h"
#include "glob.h"
#endif

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The paths every profile is asked about: hits and misses. */
static void path(int j, char *out, size_t cap)
{
	int v = (j * 37) % 4096;
	switch (j % 8) {
	case 0:
		snprintf(out, cap, "/var/lib/app%d/data/db/file.sqlite", v);
		break;
	case 1:
		snprintf(out, cap, "/usr/local/bin/tool%d", v);
		break;
	case 2:
		snprintf(out, cap, "/etc/svc%d/main.conf", v);
		break;
	case 3:
		snprintf(out, cap, "/home/user/.cfg%d/settings.json", v);
		break;
	case 4:
		snprintf(out, cap, "/opt/vendor%d/bin/run", v);
		break;
	case 5:
		snprintf(out, cap, "/proc/1234/attr%d", v);
		break;
	case 6:
		snprintf(out, cap, "/usr/lib/x86_64-linux-gnu/libc.so.%d", v);
		break;
	default:
		snprintf(out, cap, "/tmp/build-%d/obj/a.o", v);
		break;
	}
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 200;
	static const int sizes[] = { 8, 64, 1024, 4096 };
	enum { NP = 1024 };
	static char paths[NP][96];
	size_t lens[NP];
	double base = 0, bbase = 0;
	(void)bbase;

	for (int j = 0; j < NP; j++) {
		path(j, paths[j], sizeof(paths[j]));
		lens[j] = strlen(paths[j]);
	}
	printf("%-8s %10s %8s %8s %6s %10s %12s %10s %8s %12s %8s\n", "patterns", "compile",
	       "states", "classes", "parts", "table", "ns/lookup", "ns/byte", "ratio", "bpf ns",
	       "ratio");
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		int n = sizes[k];
		struct pl_glob_rule *r = calloc((size_t)n, sizeof(*r));
		char(*pats)[64] = calloc((size_t)n, sizeof(*pats));
		if (!r || !pats)
			return 1;
		for (int i = 0; i < n; i++) {
			glob_shape_pattern(i, pats[i], sizeof(pats[i]));
			r[i] = (struct pl_glob_rule){ pats[i], 1, 0, (uint32_t)i };
		}
		struct pl_glob_dfa *dfa = NULL;
		struct pl_diag d = { 0 };
		double t0 = now();
		if (pl_glob_compile(r, (size_t)n, NULL, &dfa, &d) < 0) {
			fprintf(stderr, "%d patterns: %s\n", n, d.head ? d.head->message : "?");
			return 1;
		}
		double tc = now() - t0;
		volatile uint32_t sink = 0;
		size_t bytes = 0;
		t0 = now();
		for (int it = 0; it < rounds; it++)
			for (int j = 0; j < NP; j++) {
				sink += pl_glob_match(dfa, paths[j], lens[j]).rule;
				bytes += lens[j];
			}
		double tl = now() - t0;
		double per = tl * 1e9 / ((double)rounds * NP);
		if (k == 0)
			base = per;
		size_t table = 0;
		uint32_t cls = 0;
		for (uint32_t i = 0; i < dfa->n_parts; i++) {
			table += (size_t)dfa->part[i].n_states * dfa->part[i].n_classes *
				 sizeof(uint32_t);
			cls += dfa->part[i].n_classes;
		}
		printf("%-8d %8.1fms %8u %8u %6u %8zuKB %12.1f %10.2f %8.2f", n, tc * 1e3,
		       dfa->n_states, cls, dfa->n_parts, table / 1024, per,
		       tl * 1e9 / (double)bytes, per / base);
#ifdef BENCH_BPF
		struct pl_glob_bpf *g = NULL;
		if (geteuid() == 0 && pl_glob_bpf_load(dfa, &g, &d) == 0) {
			double ns = 0;
			for (int j = 0; j < NP; j++) {
				struct pl_glob_bpf_ctx ctx = { .path =
								   (uint64_t)(uintptr_t)paths[j],
							       .len = (uint32_t)lens[j],
							       .repeat = (uint32_t)rounds };
				LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &ctx,
					    .ctx_size_in = sizeof(ctx));
				if (bpf_prog_test_run_opts(pl_glob_bpf_prog_fd(g), &o) < 0)
					break;
				ns += (double)ctx.ns;
			}
			double bper = ns / ((double)rounds * NP);
			if (k == 0)
				bbase = bper;
			printf(" %12.1f %8.2f", bper, bper / bbase);
		}
		pl_glob_bpf_close(g);
#endif
		putchar('\n');
		(void)sink;
		pl_glob_free(dfa);
		pl_diag_clear(&d);
		free(r);
		free(pats);
	}
	return 0;
}
