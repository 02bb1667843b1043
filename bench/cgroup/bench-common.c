/* SPDX-License-Identifier: Apache-2.0 */
/* The benchmarks' shared scaffolding (see bench-common.h). */
#include "bench-common.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

static struct bench *cur;
static pid_t owner;

_Noreturn void bench_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void rmdir_retry(const char *p)
{
	for (int i = 0; i < 100 && rmdir(p) < 0 && errno == EBUSY; i++)
		usleep(20000);
}

void bench_cleanup(void)
{
	struct bench *b = cur;
	char p[800];

	if (!b || getpid() != owner)
		return;
	cur = NULL;
	if (b->e) {
		struct pl_diag d = { 0 };

		pl_enforcer_uninstall(b->e, &d);
		pl_diag_clear(&d);
		b->e = NULL;
	}
	for (int i = b->n_cg - 1; i >= 0; i--)
		rmdir_retry(b->cg[i]);
	rmdir_retry(b->none);
	snprintf(p, sizeof(p), "%s/none", b->top);
	rmdir_retry(p);
	rmdir_retry(b->enf);
	rmdir_retry(b->top);
}

static void on_signal(int sig)
{
	bench_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void print_diag(struct pl_diag *d)
{
	for (const struct pl_diag_entry *x = d->head; x; x = x->next)
		fprintf(stderr, "bench: %s\n", x->message);
	pl_diag_clear(d);
}

void bench_setup(struct bench *b, const char *name, uint32_t ringbuf)
{
	struct pl_diag d = { 0 };
	char p[800];
	pid_t pid = getpid();

	memset(b, 0, sizeof(*b));
	if (geteuid() != 0)
		bench_die("needs root (cgroup-BPF, cgroup v2, bpffs)");
	if (pld_cgroup_mount(b->root, sizeof(b->root)) < 0)
		bench_die("no cgroup v2 mount");
	snprintf(b->top, sizeof(b->top), "%s/plastron-bench-%s-%d", b->root, name, (int)pid);
	snprintf(b->enf, sizeof(b->enf), "%s/enf", b->top);
	snprintf(b->none, sizeof(b->none), "%s/none/c", b->top);
	snprintf(b->pin, sizeof(b->pin), "/sys/fs/bpf/plastron-bench-%s-%d", name, (int)pid);
	cur = b;
	owner = pid;
	atexit(bench_cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	snprintf(p, sizeof(p), "%s/none", b->top);
	if (mkdir(b->top, 0755) < 0 || mkdir(b->enf, 0755) < 0 || mkdir(p, 0755) < 0 ||
	    mkdir(b->none, 0755) < 0)
		bench_die("create cgroups under %s: %s", b->root, strerror(errno));
	if (pl_enforcer_install(
		&(struct pl_enforcer_opts){ .pin_dir = b->pin, .ringbuf_size = ringbuf }, &b->e,
		&d) < 0) {
		print_diag(&d);
		bench_die("install the enforcer (pins in %s)", b->pin);
	}
}

int bench_cgroup(struct bench *b, const char *name)
{
	if (b->n_cg == BENCH_MAX_CG)
		bench_die("too many cgroups");
	snprintf(b->cg[b->n_cg], sizeof(b->cg[0]), "%s/%s", b->enf, name);
	if (mkdir(b->cg[b->n_cg], 0755) < 0)
		bench_die("mkdir %s: %s", b->cg[b->n_cg], strerror(errno));
	return b->n_cg++;
}

void bench_register(struct bench *b, int i, uint32_t policy, const struct pl_bpf_tables *t)
{
	struct pl_diag d = { 0 };
	uint64_t id;

	if (pld_cgroup_id(b->cg[i], &id) < 0)
		bench_die("cgroup id of %s", b->cg[i]);
	if (pl_enforcer_set_policy(b->e, policy, t, &d) < 0 ||
	    pl_enforcer_register(b->e, id, policy, &d) < 0) {
		print_diag(&d);
		bench_die("load policy %u for %s", policy, b->cg[i]);
	}
}

int bench_join(const char *cg)
{
	char p[900];
	int fd, r = 0;

	snprintf(p, sizeof(p), "%s/cgroup.procs", cg);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "0\n", 2) != 2)
		r = -errno;
	close(fd);
	return r;
}

int bench_pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) < 0 ? -errno : 0;
}

int bench_netns(void)
{
	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	return system("ip link set lo up") == 0 ? 0 : -EIO;
}

int bench_effective(const char *cg, int type)
{
	uint32_t ids[64], n = 64;
	int fd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = bpf_prog_query(fd, (enum bpf_attach_type)type, BPF_F_QUERY_EFFECTIVE, NULL, ids, &n);
	close(fd);
	return r < 0 ? -errno : (int)n;
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t bench_median(uint64_t *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof(*v), bench_cmp_u64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

long bench_opt(int argc, char **argv, const char *name, long def)
{
	for (int i = 1; i + 1 < argc; i++)
		if (!strcmp(argv[i], name)) {
			char *end;
			long v = strtol(argv[i + 1], &end, 0);

			if (*end || end == argv[i + 1])
				bench_die("%s: not a number: %s", name, argv[i + 1]);
			return v;
		}
	return def;
}
