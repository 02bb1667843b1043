/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cost and the reach of the filter builder's model of libseccomp
 * 2.5.4's argument tree (src/lib/gen/seccomp-order.c, docs/design.md
 * decision 29): that the installed libseccomp is the 2.5 the model is of;
 * that big one-syscall rule sets build or are refused within a second
 * (ASan: more), built ones matching the union of their rules in libpcap's
 * bpf_filter (bpf-sim.h); that levels of any size are modelled; and that on
 * ia32 a socket call's rule never moves past a socketcall rule of another
 * action (both land in libseccomp's socketcall tree).
 */
#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bpf-sim.h"
#include "lib/gen/seccomp-internal.h"
#include "plastron/gen.h"
#include "tap.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__SANITIZE_ADDRESS__)
#define SLOW 10.0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLOW 10.0
#endif
#endif
#ifndef SLOW
#define SLOW 1.0
#endif

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "not ok - the build did not return within 60 s\nBail out!\n";
	ssize_t w = write(1, msg, sizeof(msg) - 1);
	(void)w;
	_exit(1);
}

/* Rule i of a shape: {a0 op0 v0, a1 op1 v1(i)}, its action. */
struct shape {
	const char *what;
	const char *op0, *op1;
	uint64_t v0;
	uint64_t (*v1)(size_t i, size_t n);
	bool two_actions; /* alternate ERRNO and KILL_PROCESS */
};

static uint64_t v_i(size_t i, size_t n)
{
	(void)n;
	return i;
}
static uint64_t v_hi_down(size_t i, size_t n)
{
	return (uint64_t)(n - i) << 32;
}
static uint64_t v_hi_up(size_t i, size_t n)
{
	(void)n;
	return (uint64_t)(i + 1) << 32;
}

enum outcome { BUILT, REFUSED, FAILED };

static char msg[4096];

/* Build n rules of `s` on ioctl; the time it took in *secs. */
static enum outcome build(const struct shape *s, size_t n, struct sim_filter *f, double *secs)
{
	size_t size = 256 + n * 256, o;
	char *json = malloc(size);
	o = (size_t)snprintf(json, size, "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[");
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(
		    json + o, size - o,
		    "%s{\"names\":[\"ioctl\"],\"action\":\"%s\",\"args\":["
		    "{\"index\":0,\"value\":%llu,\"op\":\"%s\"},"
		    "{\"index\":1,\"value\":%llu,\"op\":\"%s\"}]}",
		    i ? "," : "",
		    s->two_actions && i % 2 ? "SCMP_ACT_KILL_PROCESS" : "SCMP_ACT_ERRNO",
		    (unsigned long long)s->v0, s->op0, (unsigned long long)s->v1(i, n), s->op1);
	snprintf(json + o, size - o, "]}");
	struct pl_diag d = { 0 };
	struct pl_sc_profile *p = NULL;
	enum outcome out = FAILED;
	msg[0] = 0;
	if (pl_sc_profile_from_json("cost", json, strlen(json), &p, &d) == 0) {
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		alarm(60);
		int e = sim_load(p, f, &d);
		alarm(0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		*secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (d.head)
			snprintf(msg, sizeof(msg), "%s", d.head->message);
		if (e == 0)
			out = BUILT;
		else if (e == -EINVAL && strstr(msg, "decision 29") && strstr(msg, "syscalls["))
			out = REFUSED;
		else
			sim_free(f);
	}
	pl_sc_profile_free(p);
	pl_diag_clear(&d);
	free(json);
	return out;
}

static bool holds(const char *op, uint64_t x, uint64_t v)
{
	if (!strcmp(op, "SCMP_CMP_NE"))
		return x != v;
	if (!strcmp(op, "SCMP_CMP_GT"))
		return x > v;
	if (!strcmp(op, "SCMP_CMP_GE"))
		return x >= v;
	return x == v;
}

/* Whether the filter returns the union of n one-action rules of `s` for
 * ioctl (16 on x86_64) on a grid around the rules' values. */
static bool matches_union(const struct sim_filter *f, const struct shape *s, size_t n)
{
	uint64_t a0s[] = { 0, s->v0 - 1, s->v0, s->v0 + 1, s->v0 | 1ull << 32, ~0ull };
	for (size_t x = 0; x < N_OF(a0s); x++)
		for (size_t i = 0; i <= n + 1; i++)
			for (int d = -1; d <= 1; d++) {
				uint64_t a1 = s->v1(i < n ? i : n - 1, n) + (uint64_t)(int64_t)d;
				if (i == n + 1)
					a1 = ~0ull;
				uint64_t args[6] = { a0s[x], a1, 0, 0, 0, 0 };
				bool hit = false;
				for (size_t k = 0; k < n && !hit; k++)
					hit = holds(s->op0, a0s[x], s->v0) &&
					      holds(s->op1, a1, s->v1(k, n));
				uint32_t want = hit ? SECCOMP_RET_ERRNO | EPERM : SECCOMP_RET_ALLOW;
				if (sim_run(f, SIM_X86_64, 16, args) != want) {
					tap_diag("ioctl(%#llx, %#llx): %#x, not %#x",
						 (unsigned long long)a0s[x], (unsigned long long)a1,
						 sim_run(f, SIM_X86_64, 16, args), want);
					return false;
				}
			}
	return true;
}

/* n rules of `s` build, the union of the rules; the time in *secs. */
static void built_union(const struct shape *s, size_t n, double *secs)
{
	struct sim_filter f;
	enum outcome o = build(s, n, &f, secs);
	bool ok = o == BUILT && matches_union(&f, s, n);
	if (o == BUILT)
		sim_free(&f);
	else
		tap_diag("%s", msg);
	TAP_OK(ok, "%zu rules %s: built (%.3f s), the union of the rules", n, s->what, *secs);
}

/* ---- ia32: socket calls and socketcall in one tree ----------------------- */

static struct sc_pend pend(int nr, bool mux, uint32_t act, const char *field, unsigned n,
			   const struct scmp_arg_cmp *c)
{
	struct sc_pend e = { .nr = nr, .multiplexed = mux, .act = act, .n = n };
	memcpy(e.c, c, n * sizeof(*c));
	snprintf(e.field, sizeof(e.field), "%s", field);
	return e;
}

/* The ia32 filter libseccomp builds from the rules in this order, the way
 * seccomp-filter.c adds them. */
static int ia32_filter(const struct sc_pend_list *l, struct sim_filter *f)
{
	memset(f, 0, sizeof(*f));
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r = -ENOMEM, fd = memfd_create("bpf", MFD_CLOEXEC);
	if (!ctx || fd < 0)
		goto out;
	if ((r = seccomp_arch_add(ctx, SCMP_ARCH_X86)) < 0 ||
	    (r = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE)) < 0)
		goto out;
	for (size_t k = 0; k < l->n; k++) {
		const struct sc_pend *e = &l->v[k];
		r = e->multiplexed ? seccomp_rule_add_array(ctx, e->act, e->nr, e->n, e->c)
				   : seccomp_rule_add_exact_array(ctx, e->act, e->nr, e->n, e->c);
		if (r < 0)
			goto out;
	}
	if ((r = seccomp_export_bpf(ctx, fd)) < 0)
		goto out;
	off_t len = lseek(fd, 0, SEEK_END);
	f->insn = malloc(len > 0 ? (size_t)len : 1);
	r = f->insn && pread(fd, f->insn, (size_t)len, 0) == len ? 0 : -EIO;
	f->n = (size_t)len / 8;
out:
	if (fd >= 0)
		close(fd);
	seccomp_release(ctx);
	return r;
}

static void ia32_socketcall(void)
{
	int sock = seccomp_syscall_resolve_name("socket");
	int scall = seccomp_syscall_resolve_name("socketcall");
	uint32_t E = SCMP_ACT_ERRNO(EPERM), K = SCMP_ACT_KILL_PROCESS;
	struct scmp_arg_cmp a_long[] = { SCMP_A0(SCMP_CMP_EQ, 2), SCMP_A1(SCMP_CMP_EQ, 1) };
	struct scmp_arg_cmp a_k[] = { SCMP_A0(SCMP_CMP_EQ, 1), SCMP_A2(SCMP_CMP_EQ, 5) };
	struct scmp_arg_cmp a_short[] = { SCMP_A0(SCMP_CMP_EQ, 2) };
	struct sc_pend v[] = {
		pend(sock, true, E, "syscalls[0].names[0]", 2, a_long),
		pend(scall, false, K, "syscalls[1].names[0]", 2, a_k),
		pend(sock, true, E, "syscalls[2].names[0]", 1, a_short),
	};
	struct sc_pend_list l = { .v = v, .n = N_OF(v), .cap = N_OF(v) };
	struct sc_pend given[N_OF(v)];
	memcpy(given, v, sizeof(v));
	sc_order_rules(&l, SC_ARCH_X86);
	size_t at_k = 0, at_short = 0;
	for (size_t k = 0; k < l.n; k++) {
		if (!strcmp(v[k].field, "syscalls[1].names[0]"))
			at_k = k;
		if (!strcmp(v[k].field, "syscalls[2].names[0]"))
			at_short = k;
	}
	TAP_OK(at_k < at_short,
	       "ia32: socket {a0==2} stays behind the socketcall rule of another action "
	       "(both in the socketcall tree)");
	/* and the filter is the one of the profile's order */
	struct sim_filter fo, fg;
	struct sc_pend_list lg = { .v = given, .n = N_OF(given), .cap = N_OF(given) };
	int ro = ia32_filter(&l, &fo), rg = ia32_filter(&lg, &fg);
	bool same = ro == rg;
	static const uint64_t vals[] = { 0, 1, 2, 3, 5 };
	for (unsigned g = 0; same && !ro && g < 5 * 5 * 5; g++) {
		uint64_t args[6] = { vals[g % 5], vals[g / 5 % 5], vals[g / 25], 0, 0, 0 };
		same = sim_run(&fo, SIM_IA32, 102, args) == sim_run(&fg, SIM_IA32, 102, args) &&
		       sim_run(&fo, SIM_IA32, 359, args) == sim_run(&fg, SIM_IA32, 359, args);
	}
	TAP_OK(same, "ia32: the ordered rules' filter acts as the profile order's on "
		     "socketcall and socket (bpf_filter)");
	if (!ro)
		sim_free(&fo);
	if (!rg)
		sim_free(&fg);
}

int main(void)
{
	signal(SIGALRM, on_alarm);
	const struct scmp_version *v = seccomp_version();
	TAP_OK(v->major == 2 && v->minor == 5,
	       "libseccomp is %u.%u.%u: seccomp-order.c models 2.5's argument tree; on "
	       "another version it is not applied, so look again (decision 29)",
	       v->major, v->minor, v->micro);

	static const struct shape ioctl_ne = {
		"{a0!=7, a1==i}", "SCMP_CMP_NE", "SCMP_CMP_EQ", 7, v_i, false
	};
	static const struct shape hi_down = {
		"{a0>7, a1==(n-i)<<32}", "SCMP_CMP_GT", "SCMP_CMP_EQ", 7, v_hi_down, false
	};
	static const struct shape hi_up = {
		"{a0>7, a1==(i+1)<<32}", "SCMP_CMP_GT", "SCMP_CMP_EQ", 7, v_hi_up, false
	};
	static const struct shape hi_up2 = {
		"{a0>7, a1==(i+1)<<32}, two actions", "SCMP_CMP_GT", "SCMP_CMP_EQ", 7, v_hi_up, true
	};
	static const struct shape gt_up = {
		"{a0!=7, a1>=(i+1)<<32}", "SCMP_CMP_NE", "SCMP_CMP_GE", 7, v_hi_up, false
	};
	double t;

	built_union(&ioctl_ne, 800, &t);
	/* more than 64 entries in one level (a fixed array once) */
	built_union(&hi_down, 100, &t);
	/* each rule moves in front of the one before */
	built_union(&hi_up, 100, &t);

	const struct shape *const shapes[] = { &ioctl_ne, &hi_down, &hi_up, &hi_up2, &gt_up };
	for (size_t k = 0; k < N_OF(shapes); k++) {
		struct sim_filter f;
		enum outcome o = build(shapes[k], 500, &f, &t);
		if (o == BUILT)
			sim_free(&f);
		tap_diag("500 rules %s: %s in %.3f s%s%s", shapes[k]->what,
			 o == BUILT     ? "built"
			 : o == REFUSED ? "refused"
					: "failed",
			 t, msg[0] ? ": " : "", msg);
		TAP_OK(o != FAILED && t < SLOW,
		       "500 rules %s: built or refused naming rules, in %.3f s (< %.0f s)",
		       shapes[k]->what, t, SLOW);
	}
	/* the work cap's own refusal */
	struct sim_filter f;
	enum outcome o = build(&hi_up, 2000, &f, &t);
	if (o == BUILT)
		sim_free(&f);
	tap_diag("2000 rules %s: %.3f s: %s", hi_up.what, t, msg);
	TAP_OK(o == REFUSED && strstr(msg, "too complex to check") &&
		   strstr(msg, "2000 rules on ioctl") && t < 2 * SLOW,
	       "2000 rules %s: refused as too complex, in %.3f s", hi_up.what, t);

	ia32_socketcall();
	return tap_done();
}
