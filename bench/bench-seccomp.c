/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Seccomp overhead of plastron's generated profiles, and `plastron compile`
 * throughput.
 *
 * Each configuration runs in its own forked child pinned to one CPU: the
 * child loads the filter (none; libseccomp's allow-all; the generated
 * RuntimeDefault / EnhanceProtect profiles) and times each workload as the
 * best of R repetitions of N calls. Ratios are against the allow-all filter
 * and the unfiltered child measured in the same run.
 *
 * Configurations are measured round-robin ROUNDS times (a fresh child each
 * time) and the best value is kept, so a burst of load on the machine hits
 * all configurations alike instead of one.
 *
 *   bench-seccomp [-n ITERS] [-r REPS] [-R ROUNDS] [-c CPU] [-p POLICIES]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plastron/apply.h"
#include "plastron/catalog.h"
#include "plastron/gen.h"
#include "plastron/policy.h"

static long iters = 1000000, reps = 3, rounds = 5;
static int cpu = -1;
static char chmod_file[] = "/tmp/plastron-bench-XXXXXX";

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void w_getpid(long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getpid);
}

static void w_open_close(long n)
{
	for (long i = 0; i < n; i++) {
		int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
	}
}

/* argument-checked under copy-fail-mitigation (socket a0 == AF_ALG) */
static void w_socket(long n)
{
	for (long i = 0; i < n; i++) {
		int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd >= 0)
			close(fd);
	}
}

/* argument-checked under disable-chmod-x-bit (chmod a1 & S_IX*) */
static void w_chmod(long n)
{
	for (long i = 0; i < n; i++)
		chmod(chmod_file, 0644);
}

static const struct workload {
	const char *name;
	void (*fn)(long n);
	long div; /* fewer iterations for slow workloads */
} workloads[] = {
	{ "getpid", w_getpid, 1 },
	{ "open+close", w_open_close, 4 },
	{ "socket+close (args)", w_socket, 8 },
	{ "chmod (args)", w_chmod, 4 },
};
#define N_WORK (sizeof(workloads) / sizeof(workloads[0]))

enum cfg_kind { C_NONE, C_ALLOW_ALL, C_PROFILE };
struct cfg {
	const char *name;
	enum cfg_kind kind;
	struct pl_sc_profile *prof;
	double ns[N_WORK];
};

static int load_allow_all(void)
{
	scmp_filter_ctx c = seccomp_init(SCMP_ACT_ALLOW);
	if (!c)
		return -ENOMEM;
	int r = seccomp_load(c);
	seccomp_release(c);
	return r;
}

/* Runs one configuration in a pinned child; fills cfg->ns. */
static int measure(struct cfg *cfg)
{
	int pfd[2];
	if (pipe(pfd) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid == 0) {
		double res[N_WORK];
		if (cpu >= 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
		}
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		int r = 0;
		struct pl_diag d = { 0 };
		if (cfg->kind == C_ALLOW_ALL)
			r = load_allow_all();
		else if (cfg->kind == C_PROFILE)
			r = pl_sc_profile_load(cfg->prof, &d);
		if (r < 0)
			_exit(2);
		for (size_t w = 0; w < N_WORK; w++) {
			long n = iters / workloads[w].div;
			workloads[w].fn(n / 10); /* warm up */
			double best = 1e300;
			for (long k = 0; k < reps; k++) {
				double t0 = now_ns();
				workloads[w].fn(n);
				double t = (now_ns() - t0) / (double)n;
				if (t < best)
					best = t;
			}
			res[w] = best;
		}
		if (write(pfd[1], res, sizeof(res)) != sizeof(res))
			_exit(3);
		_exit(0);
	}
	close(pfd[1]);
	ssize_t got = read(pfd[0], cfg->ns, sizeof(cfg->ns));
	close(pfd[0]);
	int st;
	waitpid(pid, &st, 0);
	return got == sizeof(cfg->ns) && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

static struct pl_sc_profile *gen(enum pl_mode mode, bool privileged, bool rules)
{
	static struct pl_rule_use uses[64];
	struct pl_policy p;
	memset(&p, 0, sizeof(p));
	p.name = (char *)"bench";
	p.namespace_ = (char *)"bench";
	p.mode = mode;
	p.enforcers = PL_ENF_SECCOMP;
	p.enhance.privileged = privileged;
	p.enhance.rules = uses;
	size_t n;
	const struct pl_rule *r = pl_catalog_rules(&n);
	for (size_t i = 0; rules && i < n && p.enhance.n_rules < 64; i++) {
		/* every seccomp rule except those that take the network away */
		if (!pl_rule_translation(&r[i], PL_MECH_SECCOMP) ||
		    !strncmp(r[i].id, "disable-", 8))
			continue;
		uses[p.enhance.n_rules++] =
		    (struct pl_rule_use){ .rule = &r[i], .action = PL_ACTION_DENY };
	}
	/* ... plus the chmod and AF_ALG rules the argument-checked workloads hit */
	static const char *const extra[] = { "disable-chmod-x-bit", "disable-chmod-s-bit" };
	for (size_t i = 0; rules && i < 2; i++)
		uses[p.enhance.n_rules++] = (struct pl_rule_use){ .rule = pl_catalog_find(extra[i]),
								  .action = PL_ACTION_DENY };
	struct pl_gen_opts o = { 0 };
	struct pl_sc_profile *prof = NULL;
	struct pl_diag d = { 0 };
	if (pl_gen_seccomp(&p, &o, &prof, &d) < 0) {
		for (const struct pl_diag_entry *e = d.head; e; e = e->next)
			fprintf(stderr, "bench: %s\n", e->message);
		exit(1);
	}
	pl_diag_clear(&d);
	return prof;
}

static const char policy_yaml[] =
    "apiVersion: crd.varmor.org/v1beta1\n"
    "kind: VarmorPolicy\n"
    "metadata: {name: web, namespace: bench}\n"
    "spec:\n"
    "  target: {kind: Deployment, name: web}\n"
    "  policy:\n"
    "    enforcer: AppArmorSeccomp\n"
    "    mode: EnhanceProtect\n"
    "    enhanceProtect:\n"
    "      hardeningRules: [disallow-create-user-ns, disallow-load-all-bpf-prog]\n"
    "      attackProtectionRules:\n"
    "      - rules: [disable-chmod-x-bit, disable-chmod-s-bit]\n"
    "      vulMitigationRules: [dirty-pipe-mitigation, copy-fail-mitigation]\n"
    "      syscallRawRules:\n"
    "      - names: [keyctl]\n"
    "        action: SCMP_ACT_ERRNO\n";

/* parse + generate + OCI JSON, like `plastron compile --enforcer seccomp` */
static void compile_throughput(long n)
{
	double t0 = now_ns();
	size_t bytes = 0;
	for (long i = 0; i < n; i++) {
		struct pl_policy_set *set = NULL;
		struct pl_diag d = { 0 };
		if (pl_policy_set_load_buffer("bench.yaml", policy_yaml, sizeof(policy_yaml) - 1,
					      &set, &d) < 0 ||
		    set->n != 1) {
			fprintf(stderr, "bench: policy does not load\n");
			exit(1);
		}
		struct pl_sc_profile *prof = NULL;
		struct pl_gen_opts o = { 0 };
		char *json = NULL;
		if (pl_gen_seccomp(set->policies[0], &o, &prof, &d) < 0 ||
		    pl_sc_profile_to_json(prof, &json, &d) < 0) {
			fprintf(stderr, "bench: compile failed\n");
			exit(1);
		}
		bytes += strlen(json);
		free(json);
		pl_sc_profile_free(prof);
		pl_policy_set_free(set);
		pl_diag_clear(&d);
	}
	double s = (now_ns() - t0) / 1e9;
	printf("\nplastron compile (parse + generate + OCI JSON, EnhanceProtect, %zu bytes): "
	       "%.0f policies/s (%ld in %.2f s)\n",
	       bytes / (size_t)n, (double)n / s, n, s);
}

int main(int argc, char **argv)
{
	long policies = 200;
	int c;
	while ((c = getopt(argc, argv, "n:r:R:c:p:h")) != -1) {
		switch (c) {
		case 'n':
			iters = atol(optarg);
			break;
		case 'r':
			reps = atol(optarg);
			break;
		case 'R':
			rounds = atol(optarg);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 'p':
			policies = atol(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: %s [-n ITERS] [-r REPS] [-R ROUNDS] [-c CPU] "
				"[-p POLICIES]\n",
				argv[0]);
			return c == 'h' ? 0 : 2;
		}
	}
	if (cpu < 0)
		cpu = (int)sysconf(_SC_NPROCESSORS_ONLN) - 1;
	int fd = mkstemp(chmod_file);
	if (fd < 0)
		return 1;
	close(fd);

	struct cfg cfgs[] = {
		{ "no filter", C_NONE, NULL, { 0 } },
		{ "allow-all (libseccomp)", C_ALLOW_ALL, NULL, { 0 } },
		{ "RuntimeDefault", C_PROFILE, gen(PL_MODE_RUNTIME_DEFAULT, false, false), { 0 } },
		{ "EnhanceProtect", C_PROFILE, gen(PL_MODE_ENHANCE_PROTECT, false, true), { 0 } },
		{ "EnhanceProtect privileged",
		  C_PROFILE,
		  gen(PL_MODE_ENHANCE_PROTECT, true, true),
		  { 0 } },
	};
	size_t n_cfg = sizeof(cfgs) / sizeof(cfgs[0]);
	printf("seccomp overhead: best of %ld rounds x %ld reps x %ld calls (open %ld, socket "
	       "%ld, chmod %ld), pinned to CPU %d\n\n",
	       rounds, reps, iters, iters / 4, iters / 8, iters / 4, cpu);
	for (long round = 0; round < rounds; round++)
		for (size_t i = 0; i < n_cfg; i++) {
			double prev[N_WORK];
			memcpy(prev, cfgs[i].ns, sizeof(prev));
			if (measure(&cfgs[i]) < 0) {
				fprintf(stderr, "bench: configuration '%s' failed\n", cfgs[i].name);
				return 1;
			}
			for (size_t w = 0; round && w < N_WORK; w++)
				if (prev[w] < cfgs[i].ns[w])
					cfgs[i].ns[w] = prev[w];
		}
	for (size_t w = 0; w < N_WORK; w++) {
		printf("%-22s %10s %12s %12s\n", workloads[w].name, "ns/call", "vs allow-all",
		       "vs none");
		for (size_t i = 0; i < n_cfg; i++)
			printf("  %-26s %8.1f %11.3fx %11.3fx\n", cfgs[i].name, cfgs[i].ns[w],
			       cfgs[i].ns[w] / cfgs[1].ns[w], cfgs[i].ns[w] / cfgs[0].ns[w]);
		printf("\n");
	}
	for (size_t i = 2; i < n_cfg; i++)
		pl_sc_profile_free(cfgs[i].prof);
	compile_throughput(policies);
	unlink(chmod_file);
	return 0;
}
