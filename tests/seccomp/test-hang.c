/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libseccomp 2.5.4's argument tree on x86_64 (src/lib/gen/seccomp-order.c,
 * docs/design.md decision 29): two rules of one syscall sharing a two-exit
 * comparison (NE/GT/GE/LT/LE) make seccomp_rule_add loop forever when the
 * later rule's next node sorts in front of the earlier one's; a shared high
 * word with different continuations matches calls neither rule matches.
 * The filter builder reorders what it can and refuses the rest. Every build
 * here runs under alarm(): a hang fails the test (and names the case)
 * instead of stalling it. Built filters are run with libpcap's bpf_filter
 * (bpf-sim.h) against a reference evaluator of the rules (the union of the
 * rules, for rules with one action).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpf-sim.h"
#include "plastron/gen.h"
#include "tap.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static char current[2048]; /* the case being built, for the alarm handler */

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "not ok - libseccomp did not return within 10 s: ";
	ssize_t w = write(1, msg, sizeof(msg) - 1);
	w = write(1, current, strlen(current));
	w = write(1, "\nBail out! hang\n", 16);
	(void)w;
	_exit(1);
}

struct cmp {
	unsigned arg;
	const char *op;
	uint64_t v, v2;
};

struct rule {
	const char *act; /* SCMP_ACT_ERRNO or SCMP_ACT_KILL_PROCESS */
	unsigned n;
	struct cmp c[3];
};

static bool holds(const struct cmp *c, uint64_t x)
{
	if (!strcmp(c->op, "SCMP_CMP_NE"))
		return x != c->v;
	if (!strcmp(c->op, "SCMP_CMP_LT"))
		return x < c->v;
	if (!strcmp(c->op, "SCMP_CMP_LE"))
		return x <= c->v;
	if (!strcmp(c->op, "SCMP_CMP_EQ"))
		return x == c->v;
	if (!strcmp(c->op, "SCMP_CMP_GE"))
		return x >= c->v;
	if (!strcmp(c->op, "SCMP_CMP_GT"))
		return x > c->v;
	return (x & c->v) == c->v2;
}

static void to_json(const struct rule *r, size_t n, char *buf, size_t size)
{
	size_t o =
	    (size_t)snprintf(buf, size, "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[");
	for (size_t i = 0; i < n; i++) {
		o += (size_t)snprintf(buf + o, size - o,
				      "%s{\"names\":[\"chmod\"],\"action\":\"%s\",\"args\":[",
				      i ? "," : "", r[i].act);
		for (unsigned k = 0; k < r[i].n; k++)
			o += (size_t)snprintf(
			    buf + o, size - o,
			    "%s{\"index\":%u,\"value\":%llu,\"valueTwo\":%llu,\"op\":\"%s\"}",
			    k ? "," : "", r[i].c[k].arg, (unsigned long long)r[i].c[k].v,
			    (unsigned long long)r[i].c[k].v2, r[i].c[k].op);
		o += (size_t)snprintf(buf + o, size - o, "]}");
	}
	snprintf(buf + o, size - o, "]}");
}

enum outcome { BUILT, REFUSED, FAILED };

/* Build `r` (x86_64, x32 and ia32 merged) under alarm(). REFUSED: -EINVAL
 * naming both rules and decision 29; FAILED: anything else. */
static enum outcome build(const struct rule *r, size_t n, struct sim_filter *f)
{
	char json[2048];
	struct pl_diag d = { 0 };
	struct pl_sc_profile *p = NULL;
	to_json(r, n, json, sizeof(json));
	snprintf(current, sizeof(current), "%s", json);
	enum outcome o = FAILED;
	if (pl_sc_profile_from_json("hang", json, strlen(json), &p, &d) == 0) {
		alarm(10);
		int e = sim_load(p, f, &d);
		alarm(0);
		if (e == 0)
			o = BUILT;
		else if (e == -EINVAL && d.head && strstr(d.head->message, "decision 29") &&
			 strstr(d.head->message, "syscalls[0]") &&
			 strstr(d.head->message, "syscalls[1]"))
			o = REFUSED;
		if (o == FAILED)
			tap_diag("%s: %s", json, d.head ? d.head->message : "?");
	}
	pl_sc_profile_free(p);
	pl_diag_clear(&d);
	return o;
}

/* Whether the filter returns the union of one-action rules on a grid of
 * a0..a3 values around the rules' values (x86_64: 64-bit arguments). */
static bool matches_union(const struct sim_filter *f, const struct rule *r, size_t n,
			  uint64_t bad[4])
{
	static const uint64_t vals[] = {
		0, 1, 2, 3, 4, 5, 8, 9, 12, 0xffffffffull, 0x100000000ull, 0x100000002ull, ~0ull
	};
	const size_t nv = N_OF(vals);
	for (size_t g = 0; g < nv * nv * nv * nv; g++) {
		uint64_t a[6] = { vals[g % nv],
				  vals[g / nv % nv],
				  vals[g / nv / nv % nv],
				  vals[g / nv / nv / nv % nv],
				  0,
				  0 };
		bool hit = false;
		for (size_t i = 0; i < n && !hit; i++) {
			bool all = true;
			for (unsigned k = 0; k < r[i].n; k++)
				all &= holds(&r[i].c[k], a[r[i].c[k].arg]);
			hit |= all;
		}
		uint32_t want = hit ? SECCOMP_RET_ERRNO | EPERM : SECCOMP_RET_ALLOW;
		if (sim_run(f, SIM_X86_64, 90 /* chmod */, a) != want) {
			memcpy(bad, a, 4 * sizeof(*bad));
			return false;
		}
	}
	return true;
}

static const char *const ops[] = { "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",       "SCMP_CMP_EQ",
				   "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ" };

static struct cmp mk(unsigned arg, unsigned op, uint64_t v)
{
	struct cmp c = { arg, ops[op], v, 0 };
	if (op == 6) /* (arg & 0b1100) == v & 0b1100: a mask with its value inside */
		c.v = 12, c.v2 = v & 12;
	return c;
}

/* The shapes enumerated: the same first comparison (one action or two);
 * the same high word with another low word (every operator pair, a few
 * continuations); another high word (the same operator). */
static bool skip(unsigned act, unsigned o1, unsigned o2, unsigned dv, unsigned p1, unsigned p2,
		 unsigned a2)
{
	bool few = (p1 == 0 || p1 == 3 || p1 == 5) && (p2 == 0 || p2 == 3 || p2 == 5);
	if (a2 == 1)
		return true;
	if (dv == 0)
		return o1 != o2;
	return act || (dv == 2 && o1 != o2) || (dv == 1 && !few);
}

/* One named case: the outcome it must have, and for built ones the union. */
static void one(const char *what, const struct rule *r, size_t n, enum outcome want)
{
	struct sim_filter f;
	enum outcome o = build(r, n, &f);
	uint64_t bad[4] = { 0 };
	bool ok = o == want;
	if (ok && o == BUILT && !matches_union(&f, r, n, bad)) {
		ok = false;
		tap_diag("wrong action for chmod(%#llx, %#llx, %#llx, %#llx)",
			 (unsigned long long)bad[0], (unsigned long long)bad[1],
			 (unsigned long long)bad[2], (unsigned long long)bad[3]);
	}
	if (o == BUILT)
		sim_free(&f);
	TAP_OK(ok, "%s: %s", what, want == BUILT ? "built, the union of the rules" : "refused");
}

int main(void)
{
	signal(SIGALRM, on_alarm);
	const char *E = "SCMP_ACT_ERRNO", *K = "SCMP_ACT_KILL_PROCESS";

	/* The OCI fuzzer's case (tests/fuzz/corpus/oci-seccomp/hang-*). */
	struct rule fuzz[] = { { E, 2, { mk(1, 5, 2), mk(2, 2, 8) } },
			       { E, 2, { mk(1, 5, 2), mk(3, 0, 4) } } };
	one("chmod {a1>2, a2<=8}, {a1>2, a3!=4}", fuzz, 2, BUILT);
	struct rule fuzz_k[] = { fuzz[0], fuzz[1] };
	fuzz_k[1].act = K;
	one("the same with two actions (no order may change)", fuzz_k, 2, REFUSED);
	struct rule over[] = { { E, 2, { mk(1, 5, 2), mk(2, 3, 8) } },
			       { E, 2, { mk(1, 5, 3), mk(3, 3, 4) } } };
	one("{a1>2, a2==8}, {a1>3, a3==4} (shared high word)", over, 2, REFUSED);
	struct rule over_r[] = { over[1], over[0] };
	one("{a1>3, a3==4}, {a1>2, a2==8}", over_r, 2, REFUSED);
	struct rule lost[] = { { E, 1, { mk(1, 5, 2) } }, { E, 2, { mk(1, 5, 1), mk(3, 3, 4) } } };
	one("{a1>2}, {a1>1, a3==4} (low-word path)", lost, 2, BUILT);
	struct rule three[] = { { E, 2, { mk(0, 2, 2), mk(1, 5, 0x100000002ull) } },
				{ E, 3, { mk(0, 2, 2), mk(1, 5, 3), mk(2, 6, 1) } },
				{ E, 2, { mk(0, 2, 2), mk(1, 2, 3) } } };
	one("three rules whose level order and equality disagree", three, 3, BUILT);

	/* Every two-rule shape: a shared first comparison on a1 (each
	 * operator; the same value, or the same high word, or another), then
	 * a comparison on a2 for the first rule and on a0, a2 or a3 for the
	 * second (see skip()). */
	static const uint64_t second_v[] = { 2, 3, 0x100000002ull };
	unsigned n = 0, built = 0, refused = 0, failed = 0, wrong_same = 0;
	for (unsigned act = 0; act < 2; act++)
		for (unsigned o1 = 0; o1 < N_OF(ops); o1++)
			for (unsigned o2 = 0; o2 < N_OF(ops); o2++)
				for (unsigned dv = 0; dv < N_OF(second_v); dv++)
					for (unsigned p1 = 0; p1 < N_OF(ops); p1++)
						for (unsigned p2 = 0; p2 < N_OF(ops); p2++)
							for (unsigned a2 = 0; a2 < 4; a2++) {
								if (skip(act, o1, o2, dv, p1, p2,
									 a2))
									continue;
								struct rule r[2] = {
									{ E,
									  2,
									  { mk(1, o1, 2),
									    mk(2, p1, 8) } },
									{ act ? K : E,
									  2,
									  { mk(1, o2, second_v[dv]),
									    mk(a2, p2, 4) } },
								};
								struct sim_filter f;
								enum outcome o = build(r, 2, &f);
								n++;
								uint64_t bad[4];
								if (o == BUILT) {
									built++;
									if (!act && dv == 0 &&
									    !matches_union(&f, r, 2,
											   bad))
										wrong_same++;
									sim_free(&f);
								} else if (o == REFUSED)
									refused++;
								else
									failed++;
							}
	/* Rules whose first comparisons differ (`a1 > 2` next to `a1 <= 3`)
	 * meet libseccomp's sibling order (decision 13) in any order: not
	 * checked against the union here. */
	tap_diag("%u two-rule shapes: %u built, %u refused, %u failed otherwise", n, built, refused,
		 failed);
	TAP_EQ_UINT(failed, 0u,
		    "%u two-rule shapes: none hangs, each built or refused naming both "
		    "rules",
		    n);
	TAP_EQ_UINT(wrong_same, 0u,
		    "one action, the same first comparison (the cycle's shapes): "
		    "every filter is the union of the two rules");
	TAP_GE_INT(refused, 1, "some shapes are refused (the check is not vacuous)");
	return tap_done();
}
