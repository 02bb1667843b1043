/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RuntimeDefault against Docker's default profile, held as data in
 * tests/seccomp/docker-default.txt (NAME<TAB>CONDITION, see its header).
 * The profile is generated (pl_gen_seccomp) for several capability sets,
 * exported as BPF and run with libpcap's bpf_filter (bpf-sim.h) on each
 * name's number on x86_64, ia32 and x32 (where the name exists; names
 * libseccomp does not know, by plastron's number on x86_64):
 *  - an unconditional name (also minKernel, and arch entries of our
 *    arches) is allowed, with no capability at all;
 *  - a capability-gated name is allowed with that one capability, and not
 *    allowed with every capability but the name's own, unless it also has
 *    an unconditional entry; clone is checked with every namespace flag;
 *  - an argument-gated name is allowed with all-zero arguments (what each
 *    of Docker's conditions lets through);
 *  - the other way round, every syscall RuntimeDefault allows without a
 *    capability is one Docker allows.
 * Intended differences are listed below; one TAP case per name, naming it.
 * Also: a container of the runtimes' default set (no opts) gets chroot and
 * not mount, and a rule of the policy still denies a capability's syscall.
 */
#include <errno.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpf-sim.h"
#include "sc-test.h"
#include "tap.h"

#define ALL_CAPS ((1ull << (CAP_LAST_CAP + 1)) - 1)
#define NS_FLAGS 0x7E020000ull /* every CLONE_NEW* */

/* Docker allows these unconditionally (moby/moby's older copy) and
 * plastron denies them on purpose (docs/policy.md, RuntimeDefault). */
static const char *const denied_on_purpose[] = { "io_uring_setup", "io_uring_enter",
						 "io_uring_register", NULL };
/* plastron allows these legacy ia32 calls Docker does not list, and
 * arch_prctl on ia32 too (Docker: amd64 and x32; on ia32 it only has the
 * CPUID-faulting and shadow-stack operations). */
static bool in_list(const char *const *list, const char *s)
{
	for (size_t i = 0; list[i]; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

static const char *const allowed_extra[] = { "arch_prctl", "readdir",    "sigaction", "signal",
					     "sigpending", "sigsuspend", NULL };

static const struct {
	const char *name;
	int cap;
} cap_names[] = {
	{ "CAP_DAC_READ_SEARCH", CAP_DAC_READ_SEARCH },
	{ "CAP_SYS_ADMIN", CAP_SYS_ADMIN },
	{ "CAP_SYS_BOOT", CAP_SYS_BOOT },
	{ "CAP_SYS_CHROOT", CAP_SYS_CHROOT },
	{ "CAP_SYS_MODULE", CAP_SYS_MODULE },
	{ "CAP_SYS_PACCT", CAP_SYS_PACCT },
	{ "CAP_SYS_PTRACE", CAP_SYS_PTRACE },
	{ "CAP_SYS_RAWIO", CAP_SYS_RAWIO },
	{ "CAP_SYS_TIME", CAP_SYS_TIME },
	{ "CAP_SYS_TTY_CONFIG", CAP_SYS_TTY_CONFIG },
	{ "CAP_SYS_NICE", CAP_SYS_NICE },
	{ "CAP_SYSLOG", CAP_SYSLOG },
	{ "CAP_BPF", CAP_BPF },
	{ "CAP_PERFMON", CAP_PERFMON },
};
#define N_CAPS (sizeof(cap_names) / sizeof(cap_names[0]))

static const struct {
	const char *docker; /* Docker's arch word */
	enum sim_arch sim;
	uint32_t token;
	const char *name;
} arches[] = {
	{ "amd64", SIM_X86_64, SCMP_ARCH_X86_64, "x86_64" },
	{ "x86", SIM_IA32, SCMP_ARCH_X86, "ia32" },
	{ "x32", SIM_X32, SCMP_ARCH_X32, "x32" },
};
#define N_ARCHES 3

struct name {
	char name[64];
	bool uncond[N_ARCHES]; /* unconditional on that arch */
	bool args;
	bool caps[N_CAPS];
};

static struct name names[512];
static size_t n_names;

static struct name *get_name(const char *s)
{
	for (size_t i = 0; i < n_names; i++)
		if (!strcmp(names[i].name, s))
			return &names[i];
	if (n_names == sizeof(names) / sizeof(names[0]))
		return NULL;
	struct name *n = &names[n_names++];
	snprintf(n->name, sizeof(n->name), "%.63s", s);
	return n;
}

/* One data line; false when it cannot be read. */
static bool parse_line(char *line)
{
	char *tab = strchr(line, '\t');
	if (!tab)
		return false;
	*tab = 0;
	const char *cond = tab + 1;
	struct name *n = get_name(line);
	if (!n)
		return false;
	if (!strcmp(cond, "-") || !strncmp(cond, "minKernel:", 10)) {
		for (int a = 0; a < N_ARCHES; a++)
			n->uncond[a] = true;
	} else if (!strcmp(cond, "args")) {
		n->args = true;
	} else if (!strncmp(cond, "arch:", 5)) {
		char list[128];
		snprintf(list, sizeof(list), "%s", cond + 5);
		for (char *save, *w = strtok_r(list, ",", &save); w; w = strtok_r(NULL, ",", &save))
			for (int a = 0; a < N_ARCHES; a++)
				if (!strcmp(w, arches[a].docker))
					n->uncond[a] = true;
	} else if (!strncmp(cond, "cap:", 4)) {
		size_t c = 0;
		while (c < N_CAPS && strcmp(cap_names[c].name, cond + 4))
			c++;
		if (c == N_CAPS)
			return false;
		n->caps[c] = true;
	} else {
		return false;
	}
	return true;
}

static bool load_data(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		TAP_OK(0, "open %s: %s", path, strerror(errno));
		return false;
	}
	char line[256];
	unsigned lno = 0;
	bool ok = true;
	while (fgets(line, sizeof(line), f)) {
		lno++;
		line[strcspn(line, "\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		if (!parse_line(line)) {
			TAP_OK(0, "%s:%u: not NAME<TAB>CONDITION", path, lno);
			ok = false;
		}
	}
	fclose(f);
	return ok;
}

/* The number of `name` on arch a, -1 when it has none there. */
static int nr_of(const char *name, int a)
{
	int nr = seccomp_syscall_resolve_name_arch(arches[a].token, name);
	if (nr >= 0)
		return nr & ~SIM_X32_BIT;
	if (arches[a].sim == SIM_X86_64)
		return pl_syscall_extra_nr(name) >= 0 ? pl_syscall_extra_nr(name) : -1;
	return -1;
}

/* The RuntimeDefault filter for `caps`, built once; NULL (and a failed
 * case) on error. */
static const struct sim_filter *filter_for(uint64_t caps)
{
	static struct {
		uint64_t caps;
		struct sim_filter f;
	} cache[64];
	static size_t n_cache;
	for (size_t i = 0; i < n_cache; i++)
		if (cache[i].caps == caps)
			return &cache[i].f;
	if (n_cache == sizeof(cache) / sizeof(cache[0]))
		return NULL;
	struct tpol t;
	tpol_init(&t, PL_MODE_RUNTIME_DEFAULT);
	struct pl_gen_opts o = { .run_mode = PL_RUN_AS_WRITTEN, .caps_known = true, .caps = caps };
	struct pl_diag d;
	pl_diag_init(&d);
	struct pl_sc_profile *p = NULL;
	int r = pl_gen_seccomp(&t.p, &o, &p, &d);
	if (r == 0)
		r = sim_load(p, &cache[n_cache].f, &d);
	pl_sc_profile_free(p);
	if (r < 0) {
		print_diag(&d);
		TAP_OK(0, "RuntimeDefault for caps 0x%llx builds", (unsigned long long)caps);
	}
	pl_diag_clear(&d);
	if (r < 0)
		return NULL;
	cache[n_cache].caps = caps;
	return &cache[n_cache++].f;
}

static bool allows(const struct sim_filter *f, int a, int nr, uint64_t a0)
{
	if (!f)
		return false;
	const uint64_t args[6] = { a0, 0, 0, 0, 0, 0 };
	return sim_run(f, arches[a].sim, nr, args) == SECCOMP_RET_ALLOW;
}

/* Appends " what" to a case's failure text. */
static void note(char *buf, size_t size, const char *what)
{
	size_t l = strlen(buf);
	snprintf(buf + l, size - l, "%s%s", l ? ", " : "", what);
}

static void check_name(const struct name *n)
{
	const struct sim_filter *none = filter_for(0);
	uint64_t others = ALL_CAPS; /* every capability but the name's own */
	for (size_t c = 0; c < N_CAPS; c++)
		if (n->caps[c])
			others &= ~(1ull << cap_names[c].cap);
	char bad[512] = "", w[160];
	bool on_ours = false;
	if (in_list(denied_on_purpose, n->name)) {
		for (int a = 0; a < N_ARCHES; a++) {
			int nr = nr_of(n->name, a);
			if (nr >= 0 &&
			    (allows(none, a, nr, 0) || allows(filter_for(ALL_CAPS), a, nr, 0))) {
				snprintf(w, sizeof(w), "allowed on %s", arches[a].name);
				note(bad, sizeof(bad), w);
			}
		}
		TAP_OK(!bad[0], "%s: denied on purpose (Docker allows it)%s%s", n->name,
		       bad[0] ? ": " : "", bad);
		return;
	}
	for (int a = 0; a < N_ARCHES; a++) {
		int nr = nr_of(n->name, a);
		if (nr < 0)
			continue;
		bool uncond = n->uncond[a];
		bool any_cap = others != ALL_CAPS;
		if (!uncond && !n->args && !any_cap)
			continue; /* an arch entry of other arches */
		on_ours = true;
		if (uncond && !allows(none, a, nr, NS_FLAGS)) {
			snprintf(w, sizeof(w), "denied on %s without conditions", arches[a].name);
			note(bad, sizeof(bad), w);
		}
		if (n->args && !allows(none, a, nr, 0)) {
			snprintf(w, sizeof(w), "denied on %s with zero arguments", arches[a].name);
			note(bad, sizeof(bad), w);
		}
		for (size_t c = 0; c < N_CAPS; c++) {
			if (!n->caps[c])
				continue;
			if (!allows(filter_for(1ull << cap_names[c].cap), a, nr, NS_FLAGS)) {
				snprintf(w, sizeof(w), "denied on %s with %s", arches[a].name,
					 cap_names[c].name);
				note(bad, sizeof(bad), w);
			}
		}
		if (any_cap && !uncond && allows(filter_for(others), a, nr, NS_FLAGS)) {
			snprintf(w, sizeof(w), "allowed on %s without its capability",
				 arches[a].name);
			note(bad, sizeof(bad), w);
		}
	}
	if (!on_ours) {
		TAP_OK(1, "%s: not on x86_64, ia32 or x32 (nothing to allow)", n->name);
		return;
	}
	TAP_OK(!bad[0], "%s: as Docker%s%s", n->name, bad[0] ? ": " : "", bad);
}

/* Every call RuntimeDefault allows without capabilities is Docker's. */
static void check_reverse(void)
{
	const struct sim_filter *none = filter_for(0);
	for (int a = 0; a < N_ARCHES; a++) {
		char bad[1024] = "";
		uint32_t base = arches[a].sim == SIM_X32 ? SIM_X32_BIT : 0;
		for (int nr = 0; nr < 1024; nr++) {
			if (!allows(none, a, nr, 0))
				continue;
			char *s = seccomp_syscall_resolve_num_arch(arches[a].token, (int)base + nr);
			const char *name = s;
			for (size_t i = 0; !name && i < n_names; i++)
				if (arches[a].sim == SIM_X86_64 &&
				    pl_syscall_extra_nr(names[i].name) == nr)
					name = names[i].name;
			struct name *n = NULL;
			for (size_t i = 0; name && i < n_names && !n; i++)
				if (!strcmp(names[i].name, name))
					n = &names[i];
			if (!name || !n || !(n->uncond[a] || n->args)) {
				if (!name || !in_list(allowed_extra, name)) {
					char w[80];
					snprintf(w, sizeof(w), "%.63s (%d)", name ? name : "?", nr);
					note(bad, sizeof(bad), w);
				}
			}
			free(s);
		}
		TAP_OK(!bad[0], "%s: RuntimeDefault allows nothing Docker does not%s%s",
		       arches[a].name, bad[0] ? ": " : "", bad);
	}
}

/* The runtimes' default set (no opts) and rules of the policy. */
static void check_defaults_and_rules(void)
{
	struct tpol t;
	tpol_init(&t, PL_MODE_RUNTIME_DEFAULT);
	struct pl_diag d;
	pl_diag_init(&d);
	struct pl_sc_profile *p = NULL;
	struct sim_filter f = { 0 };
	int chroot_nr = nr_of("chroot", 0), mount_nr = nr_of("mount", 0);
	bool ok = pl_gen_seccomp(&t.p, NULL, &p, &d) == 0 && sim_load(p, &f, &d) == 0;
	TAP_OK(ok && allows(&f, 0, chroot_nr, 0) && !allows(&f, 0, mount_nr, 0),
	       "no opts: the runtimes' default capabilities: chroot allowed, mount not");
	sim_free(&f);
	pl_sc_profile_free(p);
	p = NULL;

	/* EnhanceProtect: a raw rule denying mount wins over CAP_SYS_ADMIN,
	 * and a rule dropping CAP_SYS_CHROOT takes chroot away */
	tpol_init(&t, PL_MODE_ENHANCE_PROTECT);
	tpol_raw(&t, "mount", PL_SC_ACT_ERRNO);
	bool have_rule = tpol_rule(&t, "disable-cap-sys-chroot", PL_ACTION_DENY);
	struct pl_gen_opts o = { .run_mode = PL_RUN_AS_WRITTEN,
				 .caps_known = true,
				 .caps = ALL_CAPS };
	ok = have_rule && pl_gen_seccomp(&t.p, &o, &p, &d) == 0 && sim_load(p, &f, &d) == 0;
	if (!ok)
		print_diag(&d);
	TAP_OK(ok && !allows(&f, 0, mount_nr, 0) && allows(&f, 0, nr_of("umount2", 0), 0),
	       "every capability, a rule denying mount: mount denied, umount2 allowed");
	TAP_OK(ok && !allows(&f, 0, chroot_nr, 0),
	       "every capability, disable-cap-sys-chroot: chroot not allowed");
	sim_free(&f);
	pl_sc_profile_free(p);
	p = NULL;

	/* CAP_SYS_ADMIN lets clone take namespace flags, but not past a rule */
	tpol_init(&t, PL_MODE_ENHANCE_PROTECT);
	have_rule = tpol_rule(&t, "disallow-create-user-ns", PL_ACTION_DENY);
	ok = have_rule && pl_gen_seccomp(&t.p, &o, &p, &d) == 0 && sim_load(p, &f, &d) == 0;
	if (!ok)
		print_diag(&d);
	int clone_nr = nr_of("clone", 0), unshare_nr = nr_of("unshare", 0);
	TAP_OK(ok && !allows(&f, 0, clone_nr, 0x10000000) &&
		   !allows(&f, 0, unshare_nr, 0x10000000) && allows(&f, 0, clone_nr, 0x20000) &&
		   allows(&f, 0, unshare_nr, 0x20000),
	       "every capability, disallow-create-user-ns: clone and unshare take CLONE_NEWNS, "
	       "not CLONE_NEWUSER");
	sim_free(&f);
	pl_sc_profile_free(p);
	pl_diag_clear(&d);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s docker-default.txt\n", argv[0]);
		return 2;
	}
	if (!load_data(argv[1]))
		return tap_done();
	TAP_OK(n_names > 300, "%zu names read from %s", n_names, argv[1]);
	if (!filter_for(0))
		return tap_done();
	for (size_t i = 0; i < n_names; i++)
		check_name(&names[i]);
	check_reverse();
	check_defaults_and_rules();
	/* an argument-conditional entry also denies what its condition excludes:
	 * Docker's socket(a0 != AF_VSOCK) */
	{
		const struct sim_filter *none = filter_for(0);
		bool ok = true;
		for (int a = 0; a < N_ARCHES; a++) {
			if (arches[a].sim == SIM_IA32)
				continue; /* socketcall's arguments are in memory there */
			int nr = seccomp_syscall_resolve_name_arch(arches[a].token, "socket");
			ok &= nr >= 0 && !allows(none, a, nr, 40 /* AF_VSOCK */) &&
			      allows(none, a, nr, 2 /* AF_INET */) &&
			      /* upper bits set: the kernel reads an int, so still vsock */
			      !allows(none, a, nr, 40 | (1ull << 32));
		}
		TAP_OK(ok, "socket(AF_VSOCK) is denied (upper bits set too), socket(AF_INET) "
			   "allowed (x86_64, x32), as Docker");
	}
	return tap_done();
}
