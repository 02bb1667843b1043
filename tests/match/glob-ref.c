/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The tests' reference for the path-pattern language (a backtracking
 * matcher of glob.h's grammar) and their random patterns and paths, shared
 * by test-glob (against the user-space automaton) and test-glob-bpf
 * (against the BPF walk).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "glob-ref.h"

/* ---- the reference: the language as written in glob.h, by backtracking ---- */

/* One class at p (after '['): whether it matches c; *end is after its ']'. */
static bool ref_class(const char *p, unsigned char c, const char **end)
{
	bool neg = false, hit = false, first = true;
	if (*p == '!' || *p == '^') {
		neg = true;
		p++;
	}
	while (*p && (first || *p != ']')) {
		first = false;
		unsigned char lo = (unsigned char)*p++, hi;
		if (lo == '\\')
			lo = (unsigned char)*p++;
		hi = lo;
		if (p[0] == '-' && p[1] && p[1] != ']') {
			hi = (unsigned char)p[1];
			p += 2;
			if (hi == '\\')
				hi = (unsigned char)*p++;
		}
		if (c >= lo && c <= hi)
			hit = true;
	}
	*end = *p ? p + 1 : p;
	return c != '/' && (hit != neg);
}

bool ref_match(const char *p, const char *s)
{
	if (!*p)
		return !*s;
	if (p[0] == '*' && p[1] == '*') {
		for (const char *t = s;; t++) {
			if (ref_match(p + 2, t))
				return true;
			if (!*t)
				return false;
		}
	}
	if (*p == '*') {
		for (const char *t = s;; t++) {
			if (ref_match(p + 1, t))
				return true;
			if (!*t || *t == '/')
				return false;
		}
	}
	if (!*s)
		return false;
	if (*p == '?')
		return *s != '/' && ref_match(p + 1, s + 1);
	if (*p == '[') {
		const char *end;
		return ref_class(p + 1, (unsigned char)*s, &end) && ref_match(end, s + 1);
	}
	if (*p == '\\')
		p++;
	return *p == *s && ref_match(p + 1, s + 1);
}

/* ---- random patterns and paths ------------------------------------------------ */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static const char *const atoms[] = { "a", "b",    "c",    ".",     "/",   "/", "*",    "**",
				     "?", "[ab]", "[!a]", "[a-c]", "\\*", "x", "/etc", "ssh" };

void rand_pattern(char *out, size_t cap, bool deep)
{
	size_t n = 0;
	int k = 1 + (int)rnd(7), wild = 0;
	out[n++] = '/';
	for (int i = 0; i < k; i++) {
		const char *a = atoms[rnd(sizeof(atoms) / sizeof(atoms[0]))];
		bool star = a[0] == '*';
		if (star && (!deep && a[1] == '*'))
			a = "*";
		if ((a[0] == '*' || a[0] == '?' || a[0] == '[') && ++wild > 4)
			a = "b";
		/* no "***": a star never follows a star */
		if (star && n && out[n - 1] == '*' && (n < 2 || out[n - 2] != '\\'))
			a = "/";
		size_t l = strlen(a);
		if (n + l + 1 >= cap)
			break;
		memcpy(out + n, a, l);
		n += l;
	}
	out[n] = '\0';
}

/* A path that the pattern may well match: its wildcards filled in. */
void instantiate(const char *p, char *out, size_t cap)
{
	static const char fill[] = "abcx./";
	size_t n = 0;
	while (*p && n + 8 < cap) {
		if (p[0] == '*' && p[1] == '*') {
			for (int k = (int)rnd(4); k-- > 0 && n + 8 < cap;)
				out[n++] = fill[rnd(6)];
			p += 2;
		} else if (*p == '*') {
			for (int k = (int)rnd(3); k-- > 0;)
				out[n++] = fill[rnd(5)];
			p++;
		} else if (*p == '?') {
			out[n++] = fill[rnd(5)];
			p++;
		} else if (*p == '[') {
			out[n++] = "abcx"[rnd(4)];
			while (*p && *p != ']')
				p++;
			if (*p)
				p++;
		} else {
			if (*p == '\\')
				p++;
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
}

void rand_path(char *out, size_t cap)
{
	static const char alpha[] = "abcx./*";
	size_t n = 0, l = 1 + rnd(20);
	out[n++] = '/';
	while (n < l && n + 1 < cap)
		out[n++] = alpha[rnd(sizeof(alpha) - 1)];
	out[n] = '\0';
}
