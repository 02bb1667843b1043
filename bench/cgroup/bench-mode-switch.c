/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Time from a live mode switch to its first effect on a running process.
 *
 * A child in a registered cgroup (pinned to --child-cpu) loops on
 * socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), denied by a sock rule, and
 * writes a CLOCK_MONOTONIC timestamp to a pipe whenever the result changes.
 * The parent (pinned to --cpu) alternates pl_enforcer_set_mode(audit) and
 * pl_enforcer_set_mode(as-written) — what `plastron mode` ends in after the
 * socket round trip to plastrond — taking t0 just before the call, and
 * waits for the child's report: latency = child's first changed result -
 * t0. Between switches it sleeps 1-3 ms (random) so the switch lands at a
 * random point of the child's loop.
 *
 * Reported per direction: median and max over --switches switches, the
 * cost of the set_mode call itself, and the child's loop period (the
 * baseline: a switch cannot be seen sooner than the attempt in flight
 * finishes), with the median's ratio to it.
 *
 *   bench-mode-switch [--switches N] [--cpu N] [--child-cpu N]
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench-common.h"
#include "plastron/bpf.h"

struct rec {
	int32_t allowed;
	uint32_t pad;
	uint64_t ts;
	uint64_t iters; /* attempts since the previous report */
};

static pid_t looper = -1;

static void kill_looper(void)
{
	if (looper > 0) {
		kill(looper, SIGKILL);
		waitpid(looper, NULL, 0);
		looper = -1;
	}
}

static _Noreturn void loop_child(const char *cg, int cpu, int wfd)
{
	int state = -1;
	uint64_t iters = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (bench_pin(cpu) < 0 || bench_join(cg) < 0)
		_exit(1);
	for (;;) {
		int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
		int s = fd >= 0;

		iters++;
		if (fd >= 0)
			close(fd);
		if (s != state) {
			struct rec x = { .allowed = s, .ts = bench_now_ns(), .iters = iters };

			state = s;
			iters = 0;
			if (write(wfd, &x, sizeof(x)) != sizeof(x))
				_exit(2);
		}
	}
}

/* ns per attempt of the child's loop in `mode`, alone for 200 ms. */
static double loop_period(struct pl_cg_enforcer *e, const char *cg, int cpu, enum pl_bpf_mode mode)
{
	struct pl_diag d = { 0 };
	double period = 0;
	int p[2];

	if (pipe(p) < 0 || pl_enforcer_set_mode(e, 1, mode, &d) < 0)
		bench_die("loop period: pipe / set mode");
	looper = fork();
	if (looper == 0) {
		uint64_t t0, iters = 0;

		close(p[0]);
		if (bench_pin(cpu) < 0 || bench_join(cg) < 0)
			_exit(1);
		t0 = bench_now_ns();
		while (bench_now_ns() - t0 < 200000000u) {
			for (int j = 0; j < 100; j++) {
				int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
				if (fd >= 0)
					close(fd);
			}
			iters += 100;
		}
		period = (double)(bench_now_ns() - t0) / (double)iters;
		_exit(write(p[1], &period, sizeof(period)) == sizeof(period) ? 0 : 2);
	}
	close(p[1]);
	if (read(p[0], &period, sizeof(period)) != sizeof(period))
		bench_die("loop period");
	close(p[0]);
	waitpid(looper, NULL, 0);
	looper = -1;
	return period;
}

static int read_rec(int fd, struct rec *r)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, 5000) != 1)
		return -ETIMEDOUT;
	return read(fd, r, sizeof(*r)) == sizeof(*r) ? 0 : -EIO;
}

static void report(const char *name, uint64_t *lat, uint64_t *call, size_t n, double period)
{
	uint64_t med, cmed, p99, max;

	med = bench_median(lat, n); /* sorts */
	p99 = lat[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1];
	max = lat[n - 1];
	cmed = bench_median(call, n);
	printf("%-22s %5zu %10.1f %10.1f %10.1f %12.1f %8.1f\n", name, n, (double)med / 1000.0,
	       (double)p99 / 1000.0, (double)max / 1000.0, (double)cmed / 1000.0,
	       (double)med / period);
}

int main(int argc, char **argv)
{
	long n = bench_opt(argc, argv, "--switches", 200);
	int cpu = (int)bench_opt(argc, argv, "--cpu", 0);
	int child_cpu = (int)bench_opt(argc, argv, "--child-cpu", 1);
	static struct bench b; /* used by the atexit cleanup */
	static const struct pl_bpf_sock_entry deny_icmp = { .family = AF_INET,
							    .type = SOCK_RAW,
							    .protocol = IPPROTO_ICMP,
							    .action = PL_BPF_ACT_DENY,
							    .rule = 0 };
	char *rules[] = { "bench-disable-icmp" };
	struct pl_bpf_tables t = { .rules = rules,
				   .n_rules = 1,
				   .sock = (struct pl_bpf_sock_entry *)&deny_icmp,
				   .n_sock = 1 };
	uint64_t *lat[2], *call[2], iters = 0;
	struct pl_diag d = { 0 };
	struct rec r;
	int fds[2], cg;
	double period, period_audit;

	if (n < 10)
		bench_die("--switches >= 10");
	bench_setup(&b, "mode", 0);
	cg = bench_cgroup(&b, "loop");
	bench_register(&b, cg, 1, &t);
	for (int k = 0; k < 2; k++) {
		lat[k] = calloc((size_t)n, sizeof(uint64_t));
		call[k] = calloc((size_t)n, sizeof(uint64_t));
		if (!lat[k] || !call[k])
			bench_die("out of memory");
	}
	if (bench_pin(cpu) < 0 || pipe(fds) < 0)
		bench_die("pin / pipe");
	atexit(kill_looper);
	looper = fork();
	if (looper < 0)
		bench_die("fork");
	if (looper == 0) {
		close(fds[0]);
		loop_child(b.cg[cg], child_cpu, fds[1]);
	}
	close(fds[1]);
	if (read_rec(fds[0], &r) < 0 || r.allowed)
		bench_die("the looping child should start denied");
	srand(1);
	for (long i = 0; i < n; i++) {
		for (int k = 0; k < 2; k++) {
			enum pl_bpf_mode m = k == 0 ? PL_BPF_MODE_AUDIT : PL_BPF_MODE_AS_WRITTEN;
			uint64_t t0, t1;

			usleep(1000 + (useconds_t)(rand() % 2000));
			t0 = bench_now_ns();
			if (pl_enforcer_set_mode(b.e, 1, m, &d) < 0)
				bench_die("set mode");
			t1 = bench_now_ns();
			if (read_rec(fds[0], &r) < 0 || r.allowed != (k == 0))
				bench_die("switch %ld to %s not seen within 5 s", i,
					  pl_bpf_mode_name(m));
			lat[k][i] = r.ts > t0 ? r.ts - t0 : 0;
			call[k][i] = t1 - t0;
			iters += r.iters;
		}
	}
	kill_looper();
	/* The loop period in each mode, measured apart: the child alone. */
	period = loop_period(b.e, b.cg[cg], child_cpu, PL_BPF_MODE_AS_WRITTEN);
	period_audit = loop_period(b.e, b.cg[cg], child_cpu, PL_BPF_MODE_AUDIT);
	pl_diag_clear(&d);
	printf("mode switch -> first changed result in a looping child (CPU %d), switcher on CPU "
	       "%d\n",
	       child_cpu, cpu);
	printf("baseline: one loop attempt = %.1f ns denied (as-written), %.1f ns allowed+logged "
	       "(audit)\n",
	       period, period_audit);
	printf("%-22s %5s %10s %10s %10s %12s %8s\n", "switch", "n", "median us", "p99 us",
	       "max us", "set_mode us", "ratio");
	report("as-written -> audit", lat[0], call[0], (size_t)n, period);
	report("audit -> as-written", lat[1], call[1], (size_t)n, period);
	{
		uint64_t max = 0;

		for (long i = 0; i < n; i++)
			if (lat[1][i] > max)
				max = lat[1][i];
		printf("target: first denied attempt <= 10 ms after the switch: %s (median %.3f "
		       "ms, max %.3f ms)\n",
		       max <= 10000000u ? "met" : "MISSED", (double)lat[1][n / 2] / 1e6,
		       (double)max / 1e6);
	}
	return 0;
}
