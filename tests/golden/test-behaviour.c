/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The golden cases' seccomp behaviour tables: each case directory NN-name/
 * with a seccomp.json holds seccomp.behaviour, lines of
 *
 *   ARCH SYSCALL A0 A1 A2 A3 A4 A5 -> ACTION
 *
 * (the style of libseccomp's tests/NN-*.tests simulation tables): ARCH is x86_64, x32, x86
 * (ia32) or aarch64 (an arch the filter does not cover), SYSCALL a name in
 * that arch's table or a number, the arguments decimal or 0x hex, ACTION
 * ALLOW, LOG, KILL_PROCESS, KILL_THREAD, TRAP, NOTIFY, ERRNO(NAME or
 * number) or TRACE(number). '#' starts a comment. The filter is generated
 * from the case's policy.yaml as `plastron compile --enforcer seccomp`
 * does (pl_gen_seccomp), exported as BPF and run on each line's call with
 * libpcap's bpf_filter (tests/seccomp/bpf-sim.h). A case without a table is
 * a failure. One TAP case per line.
 */
#include <dirent.h>
#include <errno.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../seccomp/bpf-sim.h"
#include "plastron/gen.h"
#include "plastron/policy.h"
#include "plastron/seccomp.h"
#include "tap.h"

static const struct {
	const char *name;
	uint32_t audit, token; /* token 0: not in libseccomp's tables here */
} arches[] = {
	{ "x86_64", AUDIT_ARCH_X86_64, SCMP_ARCH_X86_64 },
	{ "x32", AUDIT_ARCH_X86_64, SCMP_ARCH_X32 },
	{ "x86", AUDIT_ARCH_I386, SCMP_ARCH_X86 },
	{ "aarch64", AUDIT_ARCH_AARCH64, SCMP_ARCH_AARCH64 },
};

/* "ERRNO(EPERM)" → SECCOMP_RET_ERRNO | EPERM; false when unknown. */
static bool parse_action(const char *s, uint32_t *ret)
{
	static const struct {
		const char *name;
		uint32_t v;
	} plain[] = {
		{ "ALLOW", SECCOMP_RET_ALLOW },
		{ "LOG", SECCOMP_RET_LOG },
		{ "KILL_PROCESS", SECCOMP_RET_KILL_PROCESS },
		{ "KILL_THREAD", SECCOMP_RET_KILL_THREAD },
		{ "TRAP", SECCOMP_RET_TRAP },
		{ "NOTIFY", SECCOMP_RET_USER_NOTIF },
	};
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (!strcmp(s, plain[i].name)) {
			*ret = plain[i].v;
			return true;
		}
	char word[16], arg[32];
	if (sscanf(s, "%15[A-Z](%31[A-Z0-9])", word, arg) != 2 || s[strlen(s) - 1] != ')')
		return false;
	char *end;
	long n = strtol(arg, &end, 0);
	if (*end)
		n = pl_errno_from_name(arg);
	if (n < 0 || n > 0xffff)
		return false;
	if (!strcmp(word, "ERRNO"))
		*ret = SECCOMP_RET_ERRNO | (uint32_t)n;
	else if (!strcmp(word, "TRACE"))
		*ret = SECCOMP_RET_TRACE | (uint32_t)n;
	else
		return false;
	return true;
}

static void action_str(uint32_t a, char *buf, size_t size)
{
	uint32_t data = a & SECCOMP_RET_DATA;
	switch (a & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW:
		snprintf(buf, size, "ALLOW");
		break;
	case SECCOMP_RET_LOG:
		snprintf(buf, size, "LOG");
		break;
	case SECCOMP_RET_KILL_PROCESS:
		snprintf(buf, size, "KILL_PROCESS");
		break;
	case SECCOMP_RET_KILL_THREAD:
		snprintf(buf, size, "KILL_THREAD");
		break;
	case SECCOMP_RET_TRAP:
		snprintf(buf, size, "TRAP");
		break;
	case SECCOMP_RET_USER_NOTIF:
		snprintf(buf, size, "NOTIFY");
		break;
	case SECCOMP_RET_ERRNO: {
		const char *n = strerrorname_np((int)data);
		snprintf(buf, size, "ERRNO(%s)", n ? n : "?");
		break;
	}
	case SECCOMP_RET_TRACE:
		snprintf(buf, size, "TRACE(%u)", data);
		break;
	default:
		snprintf(buf, size, "0x%08x", a);
	}
}

/* The filter of the case's policy, as plastron compile builds it. */
static int case_filter(const char *dir, struct sim_filter *f, struct pl_diag *d)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/policy.yaml", dir);
	struct pl_policy_set *set = NULL;
	int r = pl_policy_set_load(path, &set, d);
	if (r < 0)
		return r;
	struct pl_sc_profile *prof = NULL;
	struct pl_gen_opts o = { .run_mode = PL_RUN_AS_WRITTEN };
	r = set->n ? pl_gen_seccomp(set->policies[0], &o, &prof, d) : -ENOENT;
	if (r == 0)
		r = sim_load(prof, f, d);
	pl_sc_profile_free(prof);
	pl_policy_set_free(set);
	return r;
}

/* One table line: a TAP case. */
static void check_line(const char *cas, const struct sim_filter *f, const char *line, unsigned lno)
{
	char arch[16], sys[64], act[64], arrow[4];
	char a[6][32];
	int n = sscanf(line, "%15s %63s %31s %31s %31s %31s %31s %31s %3s %63s", arch, sys, a[0],
		       a[1], a[2], a[3], a[4], a[5], arrow, act);
	uint32_t want;
	if (n != 10 || strcmp(arrow, "->") || !parse_action(act, &want)) {
		TAP_OK(0, "%s/seccomp.behaviour:%u: not ARCH SYSCALL A0..A5 -> ACTION: %s", cas,
		       lno, line);
		return;
	}
	size_t ai = 0;
	while (ai < sizeof(arches) / sizeof(arches[0]) && strcmp(arches[ai].name, arch))
		ai++;
	if (ai == sizeof(arches) / sizeof(arches[0])) {
		TAP_OK(0, "%s/seccomp.behaviour:%u: unknown arch '%s'", cas, lno, arch);
		return;
	}
	char *end;
	long nr = strtol(sys, &end, 0);
	if (*end)
		nr = seccomp_syscall_resolve_name_arch(arches[ai].token, sys);
	if (nr < 0) {
		TAP_OK(0, "%s/seccomp.behaviour:%u: no syscall '%s' on %s", cas, lno, sys, arch);
		return;
	}
	uint64_t args[6];
	for (int i = 0; i < 6; i++) {
		args[i] = strtoull(a[i], &end, 0);
		if (*end) {
			TAP_OK(0, "%s/seccomp.behaviour:%u: bad argument '%s'", cas, lno, a[i]);
			return;
		}
	}
	uint32_t got = sim_run_audit(f, arches[ai].audit, (int)nr, args);
	char g[48];
	action_str(got, g, sizeof(g));
	TAP_OK(got == want, "%s: %s %s(%s, %s, %s, %s, %s, %s) -> %s%s%s", cas, arch, sys, a[0],
	       a[1], a[2], a[3], a[4], a[5], act, got == want ? "" : ", got ",
	       got == want ? "" : g);
}

static int by_name(const struct dirent **x, const struct dirent **y)
{
	return strcmp((*x)->d_name, (*y)->d_name);
}

static int numbered(const struct dirent *e)
{
	return e->d_name[0] >= '0' && e->d_name[0] <= '9' && e->d_name[1] >= '0' &&
	       e->d_name[1] <= '9' && e->d_name[2] == '-';
}

int main(int argc, char **argv)
{
	const char *root = argc > 1 ? argv[1] : "tests/golden";
	struct dirent **ents;
	int n = scandir(root, &ents, numbered, by_name);
	if (n <= 0) {
		TAP_OK(0, "golden cases under %s", root);
		return tap_done();
	}
	for (int i = 0; i < n; i++) {
		const char *cas = ents[i]->d_name;
		char dir[4096], path[4200];
		snprintf(dir, sizeof(dir), "%s/%s", root, cas);
		snprintf(path, sizeof(path), "%s/seccomp.json", dir);
		FILE *probe = fopen(path, "r");
		if (!probe)
			continue; /* not a seccomp case */
		fclose(probe);
		snprintf(path, sizeof(path), "%s/seccomp.behaviour", dir);
		FILE *t = fopen(path, "r");
		if (!t) {
			TAP_OK(0, "%s: a seccomp case needs seccomp.behaviour", cas);
			continue;
		}
		struct pl_diag d = { 0 };
		struct sim_filter f;
		int r = case_filter(dir, &f, &d);
		if (r < 0) {
			const char *why = strerror(-r);
			for (const struct pl_diag_entry *e = d.head; e; e = e->next)
				if (e->severity == PL_SEV_ERROR)
					why = e->message;
			TAP_OK(0, "%s: the filter builds (%s)", cas, why);
			pl_diag_clear(&d);
			fclose(t);
			continue;
		}
		pl_diag_clear(&d);
		char line[512];
		unsigned lno = 0, lines = 0;
		while (fgets(line, sizeof(line), t)) {
			lno++;
			line[strcspn(line, "#\n")] = 0;
			if (!line[strspn(line, " \t")])
				continue;
			check_line(cas, &f, line, lno);
			lines++;
		}
		fclose(t);
		sim_free(&f);
		if (!lines)
			TAP_OK(0, "%s: seccomp.behaviour has no lines", cas);
	}
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	return tap_done();
}
