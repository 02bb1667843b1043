/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The filter builder's rule ordering (src/lib/gen/seccomp-order.c,
 * order_prefixes_first) keeps libseccomp 2.5.4's prune leak away without
 * changing the filter: for the leak shapes the fuzzer found and for random
 * profiles, the BPF built with the reordering is byte for byte the one built
 * in the profile's order, or (where libseccomp drops redundant chains more
 * thoroughly) returns the same action for every call on a grid, run with
 * libpcap's bpf_filter (bpf-sim.h). Under ASan (detect_leaks=1) the
 * reordered builds of the leak shapes must not leak; the profile-order
 * builds, which do, run with leak detection off.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bpf-sim.h"
#include "lib/gen/seccomp-internal.h"
#include "plastron/gen.h"
#include "tap.h"

#define PL_N(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_LSAN 1
#endif
#endif
#ifdef HAVE_LSAN
#include <sanitizer/lsan_interface.h>
#else
static void __lsan_disable(void)
{
}
static void __lsan_enable(void)
{
}
#endif

/* Build `json`'s filter; returns the BPF (malloc'd, *len bytes) or NULL with
 * *err set. */
static bool random_phase; /* leak checking off: see main() */

static unsigned char *bpf_of(const char *json, bool keep_order, size_t *len, int *err)
{
	struct pl_diag d = { 0 };
	struct pl_sc_profile *p = NULL;
	unsigned char *out = NULL;
	*len = 0;
	*err = pl_sc_profile_from_json("order", json, strlen(json), &p, &d);
	if (*err < 0) {
		pl_diag_clear(&d);
		return NULL;
	}
	int fd = memfd_create("bpf", MFD_CLOEXEC);
	if (keep_order || random_phase)
		__lsan_disable();
	sc_filter_keep_order = keep_order;
	*err = pl_sc_profile_export_bpf(p, fd, &d);
	sc_filter_keep_order = false;
	if (keep_order || random_phase)
		__lsan_enable();
	if (*err == 0) {
		off_t n = lseek(fd, 0, SEEK_END);
		out = malloc(n > 0 ? (size_t)n : 1);
		if (out && pread(fd, out, (size_t)n, 0) == n)
			*len = (size_t)n;
	}
	close(fd);
	pl_sc_profile_free(p);
	pl_diag_clear(&d);
	return out;
}

static const char *const names[] = { "recvfrom", "sendto", "socket", "chmod", "clone" };

/* Whether two filters return the same action for every call on a grid of
 * argument values: each name on each arch, and ia32 socketcall with the
 * call numbers of the socket calls above. */
static bool same_behaviour(const struct sim_filter *a, const struct sim_filter *b)
{
	static const uint64_t vals[] = { 0, 1, 2, 3, 4, 8, 9, 16 };
	static const struct {
		enum sim_arch sim;
		enum sc_arch sc;
	} arches[] = { { SIM_X86_64, SC_ARCH_X86_64 },
		       { SIM_X32, SC_ARCH_X32 },
		       { SIM_IA32, SC_ARCH_X86 } };
	for (size_t s = 0; s <= PL_N(names); s++)
		for (size_t ar = 0; ar < PL_N(arches); ar++) {
			int nr = s < PL_N(names)              ? sc_resolve(names[s], arches[ar].sc)
				 : arches[ar].sim == SIM_IA32 ? 102
							      : -1;
			if (nr < 0)
				continue;
			nr &= ~SIM_X32_BIT;
			for (unsigned g = 0; g < 8 * 8 * 8 * 8; g++) {
				uint64_t args[6] = { vals[g % 8],
						     vals[g / 8 % 8],
						     vals[g / 64 % 8],
						     vals[g / 512 % 8],
						     0,
						     vals[(g / 8 + g / 512) % 8] };
				if (s == PL_N(names))
					args[0] = (uint64_t[]){ 1, 11, 12, 3 }[g % 4];
				if (sim_run(a, arches[ar].sim, nr, args) !=
				    sim_run(b, arches[ar].sim, nr, args))
					return false;
			}
		}
	return true;
}

static unsigned n_rewritten; /* byte-different filters that behave the same */

/* Same result both ways: both refused with the same error, or the same BPF,
 * or (libseccomp drops redundant chains more thoroughly when the shorter
 * rule comes first) filters that return the same action on the grid. */
static bool same_filter(const char *json, int *err_out)
{
	size_t la, lb;
	int ea, eb;
	unsigned char *a = bpf_of(json, false, &la, &ea);
	unsigned char *b = bpf_of(json, true, &lb, &eb);
	bool same = ea == eb && la == lb && (!la || !memcmp(a, b, la));
	if (!same && ea == 0 && eb == 0 && la % 8 == 0 && lb % 8 == 0) {
		struct sim_filter fa = { (struct bpf_insn *)(void *)a, la / 8 };
		struct sim_filter fb = { (struct bpf_insn *)(void *)b, lb / 8 };
		same = same_behaviour(&fa, &fb);
		n_rewritten += same;
	}
	free(a);
	free(b);
	*err_out = ea;
	return same;
}

/* The shapes libseccomp leaks on (tests/fuzz/corpus/oci-seccomp/leak-*). */
static const struct {
	const char *what, *json;
} shapes[] = {
	{ "recvfrom a2 twice then a0 (ia32 socketcall: a0 is the call number)",
	  "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"recvfrom\"],"
	  "\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
	  "{\"index\":2,\"value\":8,\"valueTwo\":8,\"op\":\"SCMP_CMP_MASKED_EQ\"},"
	  "{\"index\":2,\"value\":1,\"valueTwo\":1,\"op\":\"SCMP_CMP_MASKED_EQ\"},"
	  "{\"index\":0,\"value\":3,\"op\":\"SCMP_CMP_EQ\"}]}]}" },
	{ "chmod a0 prefix after two chains branching on a1 / a2 (every arch)",
	  "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
	  "{\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
	  "{\"index\":0,\"value\":3,\"op\":\"SCMP_CMP_EQ\"},"
	  "{\"index\":1,\"value\":5,\"op\":\"SCMP_CMP_EQ\"}]},"
	  "{\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
	  "{\"index\":0,\"value\":3,\"op\":\"SCMP_CMP_EQ\"},"
	  "{\"index\":2,\"value\":6,\"op\":\"SCMP_CMP_EQ\"}]},"
	  "{\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
	  "{\"index\":0,\"value\":3,\"op\":\"SCMP_CMP_EQ\"}]}]}" },
	{ "sendto a0-only entry after two a3 / a2 entries",
	  "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
	  "{\"names\":[\"read\",\"write\",\"exit_group\"],\"action\":\"SCMP_ACT_ALLOW\"},"
	  "{\"names\":[\"sendto\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
	  "{\"index\":3,\"value\":64,\"valueTwo\":64,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
	  "{\"names\":[\"sendto\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
	  "{\"index\":2,\"value\":16,\"op\":\"SCMP_CMP_GT\"}]},"
	  "{\"names\":[\"sendto\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
	  "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_NE\"}]}]}" },
	{ "chmod a5 suffix (a5 twice: two rules) after two chains branching on a0 (ia32)",
	  "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
	  "{\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
	  "{\"index\":5,\"value\":2,\"op\":\"SCMP_CMP_LE\"},"
	  "{\"index\":0,\"value\":4294967298,\"op\":\"SCMP_CMP_GT\"}]},"
	  "{\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
	  "{\"index\":5,\"value\":2,\"op\":\"SCMP_CMP_LE\"},"
	  "{\"index\":0,\"value\":3,\"op\":\"SCMP_CMP_GT\"},"
	  "{\"index\":2,\"value\":12,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
	  "{\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
	  "{\"index\":5,\"value\":2,\"op\":\"SCMP_CMP_LE\"},"
	  "{\"index\":5,\"value\":3,\"op\":\"SCMP_CMP_LE\"}]}]}" },
	{ "chmod a2 middle part after two chains through a0, a2, a5 (every arch)",
	  "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
	  "{\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
	  "{\"index\":0,\"value\":2,\"op\":\"SCMP_CMP_EQ\"},"
	  "{\"index\":2,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
	  "{\"index\":5,\"value\":2,\"op\":\"SCMP_CMP_EQ\"}]},"
	  "{\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
	  "{\"index\":0,\"value\":3,\"op\":\"SCMP_CMP_EQ\"},"
	  "{\"index\":2,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
	  "{\"index\":5,\"value\":3,\"op\":\"SCMP_CMP_EQ\"}]},"
	  "{\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
	  "{\"index\":2,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}" },
	{ "chmod a3 suffix after a2/a3 and an a0 masked chain (every arch)",
	  "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
	  "{\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
	  "{\"index\":2,\"value\":8,\"valueTwo\":8,\"op\":\"SCMP_CMP_MASKED_EQ\"},"
	  "{\"index\":3,\"value\":8,\"op\":\"SCMP_CMP_EQ\"}]},"
	  "{\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
	  "{\"index\":0,\"value\":4,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
	  "{\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
	  "{\"index\":3,\"value\":8,\"op\":\"SCMP_CMP_EQ\"}]}]}" },
	{ "chmod a1 > 3 after a1 > 4294967299 (the same comparison on ia32) and a1 <= 2",
	  "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
	  "{\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
	  "{\"index\":0,\"value\":2,\"op\":\"SCMP_CMP_LE\"},"
	  "{\"index\":1,\"value\":4294967299,\"op\":\"SCMP_CMP_GT\"}]},"
	  "{\"names\":[\"chmod\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":["
	  "{\"index\":1,\"value\":2,\"op\":\"SCMP_CMP_LE\"},"
	  "{\"index\":1,\"value\":3,\"op\":\"SCMP_CMP_GT\"}]}]}" },
};

/* xorshift64*: the seed is printed, so a failure can be replayed with
 * PLASTRON_ORDER_SEED. */
static uint64_t rng;
static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}
static unsigned pick(unsigned n)
{
	return (unsigned)(rnd() % n);
}

/* A random profile of a few syscalls whose rules overlap: prefixes,
 * repeated arguments, several actions. */
static void random_profile(char *buf, size_t size)
{
	static const char *const acts[] = { "SCMP_ACT_ERRNO", "SCMP_ACT_LOG",
					    "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_ALLOW" };
	static const char *const ops[] = { "SCMP_CMP_EQ", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE",
					   "SCMP_CMP_GT", "SCMP_CMP_LE" };
	size_t o = 0;
	bool mixed = pick(3) == 0;
	const char *act0 = acts[pick(3)];
	o += (size_t)snprintf(buf + o, size - o, "{\"defaultAction\":\"%s\",\"syscalls\":[",
			      pick(2) ? "SCMP_ACT_ALLOW" : "SCMP_ACT_TRAP");
	unsigned n = 2 + pick(6);
	for (unsigned e = 0; e < n; e++) {
		o += (size_t)snprintf(
		    buf + o, size - o, "%s{\"names\":[\"%s\"],\"action\":\"%s\",\"args\":[",
		    e ? "," : "", names[pick(2) ? 0 : pick(5)], mixed ? acts[pick(4)] : act0);
		unsigned na = pick(4);
		for (unsigned k = 0; k < na; k++) {
			/* libseccomp 2.5.4 loops forever on two rules sharing a first
			 * NE/GT/GE/LT/LE comparison and going on with different
			 * arguments (docs/design.md, decision 29): not generated */
			unsigned op = na > 1 ? pick(2) : pick(5);
			unsigned long v = 1ul << pick(4);
			o += (size_t)snprintf(
			    buf + o, size - o,
			    "%s{\"index\":%u,\"value\":%lu,\"valueTwo\":%lu,\"op\":\"%s\"}",
			    k ? "," : "", pick(4), v, op == 1 && pick(2) ? 0ul : v, ops[op]);
		}
		o += (size_t)snprintf(buf + o, size - o, "]}");
	}
	snprintf(buf + o, size - o, "]}");
}

int main(void)
{
	int err;
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		bool same = same_filter(shapes[i].json, &err);
		TAP_OK(same && err == 0, "%s: same BPF with and without the reordering",
		       shapes[i].what);
	}

	/* Random profiles reach shapes libseccomp 2.5.4 still leaks on with
	 * any order (docs/design.md, decision 29): here only the equivalence
	 * of the two orders is checked. */
	random_phase = true;
	const char *s = getenv("PLASTRON_ORDER_SEED");
	uint64_t seed = s ? strtoull(s, NULL, 0) : 0x5eccull;
	rng = seed ? seed : 1;
	unsigned built = 0, refused = 0, differ = 0;
	static char json[8192];
	for (unsigned t = 0; t < 1500; t++) {
		random_profile(json, sizeof(json));
		if (!same_filter(json, &err)) {
			if (!differ++)
				tap_diag("first difference (seed 0x%llx, case %u): %s",
					 (unsigned long long)seed, t, json);
			continue;
		}
		if (err == 0)
			built++;
		else
			refused++;
	}
	tap_diag("random profiles: %u built (%u with different but equivalent BPF), %u refused by "
		 "libseccomp both ways",
		 built, n_rewritten, refused);
	TAP_EQ_UINT(differ, 0u, "1500 random profiles (seed 0x%llx): the same filter both ways",
		    (unsigned long long)seed);
	TAP_GE_INT(built, 1000, "most random profiles build (the check is not vacuous)");
	return tap_done();
}
