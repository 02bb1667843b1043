/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the egress-trie tests (test-egress-trie, test-cgroup-trie-live):
 * a seeded random generator and address-bit helpers. */
#pragma once

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bpf/cgroup.h"

/* xorshift64*, fixed seed: the same entries and lookups on every run.
 * Weak, so that every file of a test built from several draws from one
 * sequence (as with tap.h's counters). */
__attribute__((weak)) uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static inline uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

static inline unsigned rnd_below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static inline unsigned family_bits(int family)
{
	return family == AF_INET6 ? 128 : 32;
}

static inline unsigned family_levels(int family)
{
	return family_bits(family) / PL_CG_STRIDE;
}

static inline void flip_bit(uint8_t *a, unsigned i)
{
	a[i / 8] ^= (uint8_t)(0x80u >> (i % 8));
}

/* Zero every bit of `a` from bit `len` on (`a` is 16 bytes). */
static inline void mask_from(uint8_t *a, unsigned len)
{
	for (unsigned i = 0; i < 16; i++) {
		if (8 * i >= len)
			a[i] = 0;
		else if (8 * i + 8 > len)
			a[i] &= (uint8_t)(0xffu << (8 * i + 8 - len));
	}
}

/* Random bits in `a` from bit `len` to `bits`, zero after. */
static inline void randomize_from(uint8_t *a, unsigned len, unsigned bits)
{
	for (unsigned i = len; i < bits; i++)
		if (rnd() >> 63)
			flip_bit(a, i);
	mask_from(a, bits);
}

static inline bool prefix_match(const uint8_t *p, const uint8_t *a, unsigned len)
{
	uint8_t m[16];

	memcpy(m, a, 16);
	mask_from(m, len);
	return memcmp(m, p, 16) == 0;
}

static inline const char *fmt_addr(int family, const uint8_t *a, char *buf, size_t sz)
{
	if (!inet_ntop(family, a, buf, (socklen_t)sz))
		snprintf(buf, sz, "?");
	return buf;
}

/* "10.0.0.0/8", "2001:db8::/32" (a missing length is a host) into family,
 * address, length. */
static inline bool parse_cidr(const char *s, int *family, uint8_t *addr, unsigned *len)
{
	char buf[64];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	*family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	memset(addr, 0, 16);
	if (inet_pton(*family, buf, addr) != 1)
		return false;
	*len = slash ? (unsigned)atoi(slash + 1) : family_bits(*family);
	return *len <= family_bits(*family);
}
