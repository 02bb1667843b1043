/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The path automaton walked in BPF (src/bpf/glob.bpf.c, loaded by
 * src/loader/glob-maps.c, run with BPF_PROG_TEST_RUN) decides every path as
 * the user-space walk does: random profiles and paths, a 4,096-pattern
 * profile of the shapes file rules take, and paths of PATH_MAX bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "glob-maps.h"
#include "glob-ref.h"
#include "glob.h"
#include "glob-shapes.h"
#include "plastron/glob.h"
#include "tap.h"

static long mismatches;

/* Load `dfa` and compare BPF and user space on `n` paths from `gen`. */
static long compare(const struct pl_glob_dfa *dfa, const char *what, int n,
		    void (*gen)(int, char *, size_t, void *), void *arg)
{
	struct pl_glob_bpf *g = NULL;
	struct pl_diag d = { 0 };
	static char path[PL_GLOB_BPF_PATH_MAX + 1];
	long done = 0;
	if (pl_glob_bpf_load(dfa, &g, &d) < 0) {
		tap_diag("%s: load: %s", what, d.head ? d.head->message : "?");
		pl_diag_clear(&d);
		mismatches++;
		return 0;
	}
	for (int j = 0; j < n; j++) {
		gen(j, path, sizeof(path), arg);
		size_t len = strlen(path);
		struct pl_glob_accept want = pl_glob_match(dfa, path, len), got;
		int r = pl_glob_bpf_match(g, path, len, &got);
		done++;
		if ((r < 0 || got.deny != want.deny || got.audit != want.audit ||
		     got.rule != want.rule) &&
		    mismatches++ < 5)
			tap_diag("%s: '%.80s' (%zu bytes): bpf %d %#x/%#x rule %u, user %#x/%#x "
				 "rule %u",
				 what, path, len, r, got.deny, got.audit, got.rule, want.deny,
				 want.audit, want.rule);
	}
	pl_glob_bpf_close(g);
	return done;
}

static char (*rpats)[128];
static int rk;
static void gen_random(int j, char *out, size_t cap, void *arg)
{
	(void)arg;
	if (j % 3 == 0)
		rand_path(out, cap < 128 ? cap : 128);
	else
		instantiate(rpats[rnd((uint32_t)rk)], out, cap < 128 ? cap : 128);
}

static void gen_4096(int j, char *out, size_t cap, void *arg)
{
	(void)arg;
	static const char *const tails[] = { "/x", "/a.conf", "", "/settings", "/run" };
	switch (j % 4) {
	case 0: /* a pattern's own shape, filled in */
	{
		char p[64];
		glob_shape_pattern((int)rnd(4096), p, sizeof(p));
		instantiate(p, out, cap);
	} break;
	case 1:
		snprintf(out, cap, "/usr/local/bin/tool%u%s", rnd(5000), tails[rnd(5)]);
		break;
	case 2:
		snprintf(out, cap, "/home/u%u/.cfg%u%s", rnd(9), rnd(5000), tails[rnd(5)]);
		break;
	default:
		rand_path(out, cap < 128 ? cap : 128);
		break;
	}
}

/* Paths of up to PATH_MAX bytes, around patterns that anchor both ends. */
static void gen_long(int j, char *out, size_t cap, void *arg)
{
	(void)arg;
	size_t len = j == 0 ? PL_GLOB_BPF_PATH_MAX : 4000 + rnd(97);
	if (len >= cap)
		len = cap - 1;
	for (size_t i = 0; i < len; i++)
		out[i] = i % 9 == 0 ? '/' : (char)('a' + rnd(3));
	memcpy(out, "/deep/", 6);
	if (j % 2)
		memcpy(out + len - 5, "/.key", 5);
	out[len] = '\0';
}

/* The wide profile's patterns, every other one with its last byte changed. */
static void gen_wide(int j, char *out, size_t cap, void *arg)
{
	const char(*pats)[64] = arg;
	snprintf(out, cap, "%s", pats[j]);
	if (j % 2)
		out[strlen(out) - 1] = '0';
}

int main(void)
{
	if (geteuid() != 0) {
		TAP_SKIP("needs root (BPF programs and maps)", "path automaton in BPF");
		return tap_done();
	}
	/* random profiles */
	{
		static char pats[8][128];
		long paths = 0;
		rpats = pats;
		for (int round = 0; round < 300; round++) {
			struct pl_glob_rule r[8];
			rk = 1 + (int)rnd(8);
			for (int i = 0; i < rk; i++) {
				rand_pattern(pats[i], sizeof(pats[i]), true);
				r[i] = (struct pl_glob_rule){ pats[i], 1u << i, (round & 1) << i,
							      (uint32_t)((i * 5 + round) % 8) };
			}
			struct pl_glob_dfa *dfa = NULL;
			struct pl_diag d = { 0 };
			if (pl_glob_compile(r, (size_t)rk, NULL, &dfa, &d) < 0) {
				mismatches++;
				pl_diag_clear(&d);
				continue;
			}
			paths += compare(dfa, "random", 200, gen_random, NULL);
			pl_glob_free(dfa);
		}
		TAP_OK(mismatches == 0 && paths == 60000,
		       "BPF walk = user-space walk on %ld paths over 300 random profiles (%ld "
		       "mismatches)",
		       paths, mismatches);
	}
	/* 4,096 patterns, and paths of PATH_MAX bytes */
	{
		static char pats[4096][64];
		static struct pl_glob_rule r[4098];
		for (int i = 0; i < 4096; i++) {
			glob_shape_pattern(i, pats[i], sizeof(pats[i]));
			r[i] = (struct pl_glob_rule){ pats[i], 1u << (i % 3), 0, (uint32_t)i };
		}
		r[4096] = (struct pl_glob_rule){ "/deep/**/.key", 8, 0, 4096 };
		r[4097] = (struct pl_glob_rule){ "/deep/**", 0, 16, 4097 };
		struct pl_glob_dfa *dfa = NULL;
		struct pl_diag d = { 0 };
		long before = mismatches, n = 0;
		int rc = pl_glob_compile(r, 4098, NULL, &dfa, &d);
		TAP_OK(rc == 0, "compile 4,098 patterns (%u states in %u parts)",
		       dfa ? dfa->n_states : 0, dfa ? dfa->n_parts : 0);
		if (rc == 0) {
			n = compare(dfa, "4096", 20000, gen_4096, NULL);
			TAP_OK(mismatches == before && n == 20000,
			       "BPF walk = user-space walk on %ld paths, 4,098 patterns", n);
			before = mismatches;
			n = compare(dfa, "long", 40, gen_long, NULL);
			TAP_OK(mismatches == before && n == 40,
			       "... and on %ld paths of 4,000 to 4,096 bytes", n);
		}
		{
			struct pl_glob_accept a = { 0 };
			char lp[PL_GLOB_BPF_PATH_MAX + 1];
			gen_long(1, lp, sizeof(lp), NULL);
			a = dfa ? pl_glob_match(dfa, lp, strlen(lp)) : a;
			TAP_OK(
			    a.deny == 8 && a.audit == 16 && a.rule == 4096,
			    "a 4,0xx-byte path under /deep/ ending in /.key: denied by its rule");
		}
		pl_glob_free(dfa);
		pl_diag_clear(&d);
	}
	/* more than 65,535 states in a part: the tables' 32-bit ("wide") form */
	{
		static char pats[3000][64];
		static struct pl_glob_rule r[3000];
		for (int i = 0; i < 3000; i++) {
			int n = snprintf(pats[i], sizeof(pats[i]), "/w%d/", i);
			for (int j = 0; j < 40 && n < 62; j++)
				pats[i][n++] = (char)('a' + rnd(26));
			pats[i][n] = '\0';
			r[i] = (struct pl_glob_rule){ pats[i], 1, 0, (uint32_t)i };
		}
		struct pl_glob_dfa *dfa = NULL;
		struct pl_diag d = { 0 };
		long before = mismatches;
		int rc = pl_glob_compile(r, 3000, &(struct pl_glob_opts){ .max_states = 400000 },
					 &dfa, &d);
		TAP_OK(rc == 0 && dfa->part[0].n_states > 65535,
		       "a part of more than 65,535 states (%u)", dfa ? dfa->part[0].n_states : 0);
		if (rc == 0) {
			rpats = NULL;
			long n = compare(dfa, "wide", 3000, gen_wide, pats);
			TAP_OK(mismatches == before && n == 3000,
			       "BPF walk = user-space walk on %ld paths, 32-bit states", n);
		}
		pl_glob_free(dfa);
		pl_diag_clear(&d);
	}
	return tap_done();
}
