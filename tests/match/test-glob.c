/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The path-pattern automaton (include/plastron/glob.h): the language case by
 * case, syntax errors with their offsets, the state budget, the rule each
 * accepting state names, and a differential test against a reference
 * backtracking matcher (itself checked against glibc's fnmatch where the
 * languages agree) on over a million random paths and patterns.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glob-ref.h"
#include "plastron/glob.h"
#include "tap.h"

/* ---- cases ----------------------------------------------------------------------- */

static bool one(const char *pat, const char *path)
{
	struct pl_glob_rule r = { pat, 1, 0, 7 };
	struct pl_glob_dfa *dfa = NULL;
	struct pl_diag d = { 0 };
	if (pl_glob_compile(&r, 1, NULL, &dfa, &d) < 0) {
		tap_diag("compile '%s' failed: %s", pat, d.head ? d.head->message : "?");
		pl_diag_clear(&d);
		return false;
	}
	struct pl_glob_accept a = pl_glob_match(dfa, path, strlen(path));
	pl_glob_free(dfa);
	return a.deny == 1 && a.rule == 7;
}

static const struct {
	const char *pat, *path;
	bool match;
} cases[] = {
	{ "/etc/passwd", "/etc/passwd", true },
	{ "/etc/passwd", "/etc/passwd-", false }, /* no implicit prefix (vArmor's pitfall) */
	{ "/etc/passwd", "/etc/passw", false },
	{ "/etc/*", "/etc/shadow", true },
	{ "/etc/*", "/etc/ssh/sshd_config", false },
	{ "/etc/*", "/etc/", true },
	{ "/etc/**", "/etc/ssh/sshd_config", true },
	{ "/etc/**", "/etc", false },
	{ "/**/sh", "/bin/sh", true },
	{ "/**/sh", "/usr/local/bin/sh", true },
	{ "/**/sh", "/bin/bash", false },
	{ "/**/sh", "/sh", false }, /* AppArmor's reading: "/" + any + "/sh" */
	{ "**/sh", "/sh", true },
	{ "/**/.ssh/**", "/home/u/.ssh/id_rsa", true },
	{ "/**/.ssh/**", "/root/.sshx/id", false },
	{ "/proc/*/mem", "/proc/1/mem", true },
	{ "/proc/*/mem", "/proc/1/task/2/mem", false },
	{ "/proc/**/mem", "/proc/1/task/2/mem", true },
	{ "/dev/sd?", "/dev/sda", true },
	{ "/dev/sd?", "/dev/sd/", false },
	{ "/dev/sd?", "/dev/sdab", false },
	{ "/dev/sd[a-c]", "/dev/sdb", true },
	{ "/dev/sd[a-c]", "/dev/sdd", false },
	{ "/dev/sd[!a-c]", "/dev/sdd", true },
	{ "/dev/sd[^a-c]", "/dev/sda", false },
	{ "/x[]]y", "/x]y", true },
	{ "/x[!/]y", "/x/y", false },
	{ "/a\\*b", "/a*b", true },
	{ "/a\\*b", "/axb", false },
	{ "/a*b*c", "/abbbc", true },
	{ "/a*b*c", "/ab/c", false },
	{ "/a**b**c", "/a/x/b/y/c", true },
	{ "*", "/", false },
	{ "**", "/anything/at/all", true },
	{ "/var/run/docker.sock", "/var/run/docker.sock", true },
	{ "/var/run/docker.sock", "/var/run/docker.socket", false },
	{ "/**/busybox", "/bin/busybox", true },
	{ "/sys/fs/cgroup/**/release_agent", "/sys/fs/cgroup/memory/release_agent", true },
	{ "/sys/fs/cgroup/**/release_agent", "/sys/fs/cgroup/release_agent", false },
};

static const struct {
	const char *pat;
	size_t at;
} bad[] = {
	{ "", 0 },     { "/a/***", 3 }, { "/a[bc", 2 },          { "/a\\", 2 },
	{ "/[/]", 1 }, { "/[z-a]", 4 }, { "/x[!\x01-\xff]", 2 }, { "/etc/{passwd,shadow}", 5 },
	{ "/a}", 2 },
};

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = one(cases[i].pat, cases[i].path);
		TAP_OK(got == cases[i].match && ref_match(cases[i].pat, cases[i].path) == got,
		       "'%s' %s '%s'", cases[i].pat, cases[i].match ? "matches" : "does not match",
		       cases[i].path);
	}

	/* syntax errors: refused with the offset of the fault */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t at = 99;
		const char *why = NULL;
		int r = pl_glob_check(bad[i].pat, &at, &why);
		TAP_OK(r == -EINVAL && at == bad[i].at && why, "'%s' refused at byte %zu (%s)",
		       bad[i].pat, bad[i].at, why ? why : "-");
	}
	{
		struct pl_glob_rule r[] = { { "/ok", 1, 0, 0 }, { "/a[bc", 1, 0, 1 } };
		struct pl_glob_dfa *dfa = NULL;
		struct pl_diag d = { 0 };
		int rc = pl_glob_compile(r, 2, NULL, &dfa, &d);
		TAP_OK(rc == -EINVAL && !dfa && d.head && d.head->field &&
			   !strcmp(d.head->field, "patterns[1]") &&
			   strstr(d.head->message, "/a[bc"),
		       "compile refuses a bad pattern, naming it (%s)",
		       d.head ? d.head->message : "-");
		pl_diag_clear(&d);
	}

	/* the rule an accepting state names: the lowest id among deny matches,
	 * else among audit matches; the bits are the union */
	{
		struct pl_glob_rule r[] = { { "/etc/**", 0, 2, 5 },
					    { "/etc/shadow", 1, 0, 9 },
					    { "/etc/*", 4, 0, 8 },
					    { "/tmp/**", 0, 2, 3 } };
		struct pl_glob_dfa *dfa = NULL;
		struct pl_diag d = { 0 };
		int rc = pl_glob_compile(r, 4, NULL, &dfa, &d);
		struct pl_glob_accept a =
		    rc == 0 ? pl_glob_match(dfa, "/etc/shadow", 11) : (struct pl_glob_accept){ 0 };
		TAP_OK(rc == 0 && a.deny == 5 && a.audit == 2 && a.rule == 8,
		       "/etc/shadow: deny bits 1|4, audit 2, rule 8 (lowest deny) (%u %u %u)",
		       a.deny, a.audit, a.rule);
		a = rc == 0 ? pl_glob_match(dfa, "/tmp/x", 6) : (struct pl_glob_accept){ 0 };
		TAP_OK(a.deny == 0 && a.audit == 2 && a.rule == 3, "/tmp/x: audit only, rule 3");
		a = rc == 0 ? pl_glob_match(dfa, "/usr/x", 6) : (struct pl_glob_accept){ 0 };
		TAP_OK(a.deny == 0 && a.audit == 0 && a.rule == UINT32_MAX, "/usr/x: no match");
		pl_glob_free(dfa);
		pl_diag_clear(&d);
	}

	/* the state budget: a profile needing S states fits a budget of S and
	 * is refused with -E2BIG, naming the budget, at S - 1 */
	{
		static char pats[5][16];
		struct pl_glob_rule r[5];
		for (int i = 0; i < 5; i++) {
			/* slash, two stars, a letter, two '?', a letter, a star: the
			 * sets of live positions multiply */
			snprintf(pats[i], sizeof(pats[i]), "/**%c??%c*", 'a' + i,
				 'a' + (i * 7) % 10);
			r[i] = (struct pl_glob_rule){ pats[i], 1u << i, 0, (uint32_t)i };
		}
		struct pl_glob_dfa *dfa = NULL;
		struct pl_diag d = { 0 };
		int rc = pl_glob_compile(r, 5, NULL, &dfa, &d);
		uint32_t need = dfa ? dfa->n_states : 0;
		TAP_OK(rc == 0 && need > 100,
		       "a blowing-up profile fits the default budget (%u states, "
		       "%u parts)",
		       need, dfa ? dfa->n_parts : 0);
		pl_glob_free(dfa);
		dfa = NULL;
		rc = pl_glob_compile(r, 5, &(struct pl_glob_opts){ .max_states = need }, &dfa, &d);
		TAP_OK(rc == 0 && dfa && dfa->n_states == need, "... and a budget of exactly %u",
		       need);
		pl_glob_free(dfa);
		dfa = NULL;
		char want[32];
		snprintf(want, sizeof(want), "more than %u ", need - 1);
		rc = pl_glob_compile(r, 5, &(struct pl_glob_opts){ .max_states = need - 1 }, &dfa,
				     &d);
		TAP_OK(rc == -E2BIG && !dfa && d.head && strstr(d.head->message, want),
		       "one state less is refused (%s)", d.head ? d.head->message : "-");
		pl_diag_clear(&d);
	}

	/* the reference agrees with glibc's fnmatch(FNM_PATHNAME) where the
	 * languages agree (no '**') */
	{
		long n = 0, bad_n = 0;
		char pat[128], path[128];
		for (int i = 0; i < 20000; i++) {
			rand_pattern(pat, sizeof(pat), false);
			for (int j = 0; j < 5; j++) {
				if (j & 1)
					instantiate(pat, path, sizeof(path));
				else
					rand_path(path, sizeof(path));
				bool want = fnmatch(pat, path, FNM_PATHNAME) == 0;
				n++;
				if (ref_match(pat, path) != want && bad_n++ < 5)
					tap_diag("reference vs fnmatch: '%s' on '%s' (fnmatch %d)",
						 pat, path, want);
			}
		}
		TAP_OK(bad_n == 0, "reference = fnmatch(FNM_PATHNAME) on %ld pairs without '**'",
		       n);
	}

	/* differential: the automaton against the reference, every pattern of a
	 * round its own deny bit and a shuffled rule id */
	{
		enum { ROUNDS = 25000, PATHS = 44 };
		long paths = 0, mismatches = 0, matched = 0;
		static char pats[8][128];
		char path[128];
		for (int round = 0; round < ROUNDS; round++) {
			struct pl_glob_rule r[8];
			int k = 1 + (int)rnd(8);
			for (int i = 0; i < k; i++) {
				rand_pattern(pats[i], sizeof(pats[i]), true);
				r[i] = (struct pl_glob_rule){ pats[i], 1u << i, (round & 1) << i,
							      (uint32_t)((i * 5 + round) % 8) };
			}
			struct pl_glob_dfa *dfa = NULL;
			struct pl_diag d = { 0 };
			if (pl_glob_compile(r, (size_t)k, NULL, &dfa, &d) < 0) {
				if (mismatches++ < 5)
					tap_diag("round %d: compile failed: %s", round,
						 d.head ? d.head->message : "?");
				pl_diag_clear(&d);
				continue;
			}
			for (int j = 0; j < PATHS; j++) {
				if (j % 3 == 0)
					rand_path(path, sizeof(path));
				else
					instantiate(pats[rnd((uint32_t)k)], path, sizeof(path));
				uint32_t want = 0, want_rule = UINT32_MAX;
				for (int i = 0; i < k; i++)
					if (ref_match(pats[i], path)) {
						want |= 1u << i;
						if (r[i].rule < want_rule)
							want_rule = r[i].rule;
					}
				struct pl_glob_accept a = pl_glob_match(dfa, path, strlen(path));
				paths++;
				matched += want != 0;
				if ((a.deny != want || a.rule != want_rule) && mismatches++ < 5) {
					tap_diag("mismatch: path '%s': automaton %#x rule %u, "
						 "reference %#x rule %u",
						 path, a.deny, a.rule, want, want_rule);
					for (int i = 0; i < k; i++)
						tap_diag("  pattern %d: '%s'", i, pats[i]);
				}
			}
			pl_glob_free(dfa);
		}
		TAP_OK(mismatches == 0 && paths >= 1000000,
		       "automaton = reference on %ld random paths (%ld matched) over %d random "
		       "profiles: %ld mismatches",
		       paths, matched, ROUNDS, mismatches);
	}
	return tap_done();
}
