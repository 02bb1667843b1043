/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Catalog invariants: sorted unique ids, aliases, help, translations,
 * syscall names, capability masks, notes; plus plans, run-mode actions and
 * the capability generator.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "plastron/gen.h"
#include "plastron/glob.h"
#include "tap.h"

/*
 * vArmor's catalog (v0.10.x): 62 hardening rules (13 escape-vector rules,
 * 3 capability sets, 41 single capabilities, 5 exploit-vector rules),
 * 32 attack-protection rules and 5 vulnerability mitigations.
 */
#define EXPECTED_RULES 99
#define EXPECTED_ALIASES 4

/* Syscalls newer than libseccomp 2.5.4's table (the seccomp generator maps
 * them by number). */
static const char *const newer_syscalls[] = { "fchmodat2", NULL };

static const char *const cap_ids[] = {
	"chown",
	"dac-override",
	"dac-read-search",
	"fowner",
	"fsetid",
	"kill",
	"setgid",
	"setuid",
	"setpcap",
	"linux-immutable",
	"net-bind-service",
	"net-broadcast",
	"net-admin",
	"net-raw",
	"ipc-lock",
	"ipc-owner",
	"sys-module",
	"sys-rawio",
	"sys-chroot",
	"sys-ptrace",
	"sys-pacct",
	"sys-admin",
	"sys-boot",
	"sys-nice",
	"sys-resource",
	"sys-time",
	"sys-tty-config",
	"mknod",
	"lease",
	"audit-write",
	"audit-control",
	"setfcap",
	"mac-override",
	"mac-admin",
	"syslog",
	"wake-alarm",
	"block-suspend",
	"audit-read",
	"perfmon",
	"bpf",
	"checkpoint-restore",
};

static bool id_ok(const char *id)
{
	if (!*id || id[0] == '-' || id[strlen(id) - 1] == '-')
		return false;
	for (const char *p = id; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-'))
			return false;
	return !strstr(id, "--");
}

static bool syscall_known(const char *name)
{
	if (seccomp_syscall_resolve_name(name) != __NR_SCMP_ERROR)
		return true;
	for (size_t i = 0; newer_syscalls[i]; i++)
		if (!strcmp(newer_syscalls[i], name))
			return true;
	return false;
}

static void test_table(void)
{
	size_t n, n_al;
	const struct pl_rule *rules = pl_catalog_rules(&n);
	const struct pl_rule_alias *al = pl_catalog_aliases(&n_al);
	size_t per_cat[PL_CAT__MAX] = { 0 };
	bool sorted = true, ids = true, helps = true, trs = true, notes = true, mechs = true;
	bool sc_names = true, caps = true, lines = true, once = true;

	TAP_OK(n == EXPECTED_RULES, "catalog has %d rules (has %zu)", EXPECTED_RULES, n);
	TAP_OK(n_al == EXPECTED_ALIASES, "catalog has %d aliases (has %zu)", EXPECTED_ALIASES,
	       n_al);
	for (size_t i = 0; i < n; i++) {
		const struct pl_rule *r = &rules[i];
		bool seen[PL_MECH__MAX] = { false };

		if (i && strcmp(rules[i - 1].id, r->id) >= 0) {
			sorted = false;
			tap_diag("not sorted/unique: '%s' then '%s'", rules[i - 1].id, r->id);
		}
		if (!id_ok(r->id)) {
			ids = false;
			tap_diag("bad id '%s'", r->id);
		}
		if (!r->help || strlen(r->help) < 10) {
			helps = false;
			tap_diag("%s: no help", r->id);
		}
		if ((int)r->category < 0 || r->category >= PL_CAT__MAX) {
			ids = false;
			tap_diag("%s: bad category", r->id);
		} else {
			per_cat[r->category]++;
		}
		if (r->n_tr < 1) {
			trs = false;
			tap_diag("%s: no translation", r->id);
		}
		for (size_t t = 0; t < r->n_tr; t++) {
			const struct pl_translation *tr = &r->tr[t];

			if ((int)tr->mech < 0 || tr->mech >= PL_MECH__MAX) {
				mechs = false;
				continue;
			}
			if (seen[tr->mech]) {
				once = false;
				tap_diag("%s: two %s translations", r->id, pl_mech_name(tr->mech));
			}
			seen[tr->mech] = true;
			if (tr->fidelity != PL_FID_EXACT && (!tr->note || strlen(tr->note) < 10)) {
				notes = false;
				tap_diag("%s/%s: %s without a note", r->id, pl_mech_name(tr->mech),
					 pl_fidelity_name(tr->fidelity));
			}
			if (pl_rule_translation(r, tr->mech) != tr)
				mechs = false;
			switch (tr->mech) {
			case PL_MECH_SECCOMP:
				if (!tr->u.seccomp.n)
					sc_names = false;
				for (size_t k = 0; k < tr->u.seccomp.n; k++) {
					const struct pl_tr_sc_rule *sr = &tr->u.seccomp.rules[k];

					if (!syscall_known(sr->syscall)) {
						sc_names = false;
						tap_diag("%s: unknown syscall '%s'", r->id,
							 sr->syscall);
					}
					if (sr->n_args > 3)
						sc_names = false;
					for (size_t a = 0; a < sr->n_args; a++)
						if (sr->args[a].index > 5 ||
						    sr->args[a].op < PL_SC_OP_NE ||
						    sr->args[a].op > PL_SC_OP_MASKED_EQ)
							sc_names = false;
				}
				break;
			case PL_MECH_CAPS:
				if (!tr->u.caps.drop || (tr->u.caps.drop >> (PL_CAP_LAST + 1))) {
					caps = false;
					tap_diag("%s: caps mask %#llx", r->id,
						 (unsigned long long)tr->u.caps.drop);
				}
				break;
			case PL_MECH_BPF_LSM:
				if (tr->u.lsm.caps >> (PL_CAP_LAST + 1))
					caps = false;
				if (!tr->u.lsm.n_paths && !tr->u.lsm.n_mounts && !tr->u.lsm.caps)
					lines = false;
				break;
			case PL_MECH_APPARMOR:
				if (!tr->u.apparmor.lines || !tr->u.apparmor.lines[0])
					lines = false;
				for (size_t l = 0; tr->u.apparmor.lines && tr->u.apparmor.lines[l];
				     l++) {
					const char *s = tr->u.apparmor.lines[l];

					if (!*s || s[strlen(s) - 1] == ',' ||
					    !strncmp(s, "deny", 4) || !strncmp(s, "audit", 5)) {
						lines = false;
						tap_diag("%s: bad AppArmor line '%s'", r->id, s);
					}
				}
				break;
			case PL_MECH_CGROUP_BPF:
				if (!tr->u.cgroup.n_sockets && !tr->u.cgroup.n_egress &&
				    !tr->u.cgroup.sysctl_write && !tr->u.cgroup.n_devices &&
				    !(r->flags & PL_RULE_NEEDS_K8S)) {
					lines = false;
					tap_diag("%s: empty cgroup translation", r->id);
				}
				break;
			default:
				break;
			}
		}
	}
	TAP_OK(sorted, "ids are sorted and unique");
	TAP_OK(ids, "ids are lower case with dashes, categories valid");
	TAP_OK(helps, "every rule has help text");
	TAP_OK(trs && mechs && once, "every rule has at least one translation, one per mechanism");
	TAP_OK(notes, "every non-exact translation has a note");
	TAP_OK(sc_names, "every seccomp syscall resolves with libseccomp (or is listed as newer)");
	TAP_OK(caps, "capability masks are non-empty and within PL_CAP_LAST");
	TAP_OK(lines, "AppArmor lines, BPF-LSM and cgroup translations are well-formed");
	tap_diag("hardening %zu, attack-protection %zu, vul-mitigation %zu",
		 per_cat[PL_CAT_HARDENING], per_cat[PL_CAT_ATTACK_PROTECTION],
		 per_cat[PL_CAT_VUL_MITIGATION]);
	TAP_OK(per_cat[PL_CAT_HARDENING] == 62 && per_cat[PL_CAT_ATTACK_PROTECTION] == 32 &&
		   per_cat[PL_CAT_VUL_MITIGATION] == 5,
	       "category counts 62/32/5");

	/* every BPF-LSM path pattern is in the automaton's language, and all of
	 * them together (a policy naming every rule) fit one automaton */
	{
		struct pl_glob_rule *gr = NULL;
		size_t n_gr = 0, cap_gr = 0;
		bool syntax = true;
		for (size_t i = 0; i < n; i++) {
			const struct pl_translation *tr =
			    pl_rule_translation(&rules[i], PL_MECH_BPF_LSM);
			for (size_t k = 0; tr && k < tr->u.lsm.n_paths; k++) {
				size_t at = 0;
				const char *why = NULL;
				if (pl_glob_check(tr->u.lsm.paths[k].pattern, &at, &why) < 0) {
					syntax = false;
					tap_diag("%s: '%s', byte %zu: %s", rules[i].id,
						 tr->u.lsm.paths[k].pattern, at, why);
				}
				if (n_gr == cap_gr) {
					cap_gr = cap_gr ? 2 * cap_gr : 64;
					gr = realloc(gr, cap_gr * sizeof(*gr));
				}
				if (gr)
					gr[n_gr++] =
					    (struct pl_glob_rule){ tr->u.lsm.paths[k].pattern,
								   tr->u.lsm.paths[k].perms, 0,
								   (uint32_t)i };
			}
		}
		struct pl_glob_dfa *dfa = NULL;
		struct pl_diag gd = { 0 };
		int rc = gr ? pl_glob_compile(gr, n_gr, NULL, &dfa, &gd) : -ENOMEM;
		TAP_OK(syntax, "every BPF-LSM path pattern is in the automaton's language");
		TAP_OK(rc == 0, "all %zu of them compile into one automaton (%u states, %u parts)",
		       n_gr, dfa ? dfa->n_states : 0, dfa ? dfa->n_parts : 0);
		pl_glob_free(dfa);
		pl_diag_clear(&gd);
		free(gr);
	}

	/* aliases */
	bool al_ok = true;
	for (size_t i = 0; i < n_al; i++) {
		const struct pl_rule *r = pl_catalog_find(al[i].alias);
		if (!r || strcmp(r->id, al[i].id)) {
			al_ok = false;
			tap_diag("alias '%s' does not resolve to '%s'", al[i].alias, al[i].id);
		}
		for (size_t k = 0; k < n; k++)
			if (!strcmp(rules[k].id, al[i].alias)) {
				al_ok = false;
				tap_diag("alias '%s' is also an id", al[i].alias);
			}
	}
	TAP_OK(al_ok, "every alias resolves to its rule and no alias is an id");

	/* every id resolves to itself */
	bool find_ok = true;
	for (size_t i = 0; i < n; i++)
		if (pl_catalog_find(rules[i].id) != &rules[i])
			find_ok = false;
	TAP_OK(find_ok, "every id resolves to itself");
}

/* Every seccomp translation is accepted by libseccomp on x86_64, x32 and
 * ia32 (where it multiplexes socket calls) and compiles to BPF. */
static void test_libseccomp(void)
{
	size_t n;
	const struct pl_rule *rules = pl_catalog_rules(&n);
	bool ok = true;
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	for (size_t i = 0; i < n; i++) {
		const struct pl_translation *t = pl_rule_translation(&rules[i], PL_MECH_SECCOMP);
		scmp_filter_ctx ctx;
		int rc = 0;

		if (!t)
			continue;
		ctx = seccomp_init(SCMP_ACT_ALLOW);
		if (!ctx || seccomp_arch_add(ctx, SCMP_ARCH_X32) < 0 ||
		    seccomp_arch_add(ctx, SCMP_ARCH_X86) < 0) {
			ok = false;
			seccomp_release(ctx);
			continue;
		}
		for (size_t k = 0; k < t->u.seccomp.n && !rc; k++) {
			const struct pl_tr_sc_rule *sr = &t->u.seccomp.rules[k];
			struct scmp_arg_cmp a[3];
			int nr = seccomp_syscall_resolve_name(sr->syscall);

			for (size_t j = 0; j < sr->n_args; j++)
				a[j] = (struct scmp_arg_cmp){ sr->args[j].index,
							      (enum scmp_compare)sr->args[j].op,
							      sr->args[j].value,
							      sr->args[j].value_two };
			if (nr == __NR_SCMP_ERROR)
				continue; /* newer than libseccomp: covered above */
			rc = seccomp_rule_add_array(
			    ctx, SCMP_ACT_ERRNO(sr->errno_ret ? (uint16_t)sr->errno_ret : EPERM),
			    nr, sr->n_args, a);
			if (rc)
				tap_diag("%s: libseccomp rejects %s: %s", rules[i].id, sr->syscall,
					 strerror(-rc));
		}
		if (!rc && fd >= 0) {
			rc = seccomp_export_bpf(ctx, fd);
			if (rc)
				tap_diag("%s: BPF export failed: %s", rules[i].id, strerror(-rc));
		}
		if (rc)
			ok = false;
		seccomp_release(ctx);
	}
	if (fd >= 0)
		close(fd);
	TAP_OK(ok, "libseccomp accepts every seccomp translation on x86_64, x32 and ia32");
}

static void test_lookup(void)
{
	const struct pl_rule *r = pl_catalog_find("DISALLOW_LOAD_EBPF");

	TAP_OK(r && !strcmp(r->id, "disallow-load-bpf-prog"), "alias lookup is normalised");
	r = pl_catalog_find("Disable_Cap_Sys_Admin");
	TAP_OK(r && !strcmp(r->id, "disable-cap-sys-admin"), "id lookup is normalised");
	TAP_OK(!pl_catalog_find("disable-cap-sys-adminx") && !pl_catalog_find("") &&
		   !pl_catalog_find(NULL),
	       "unknown ids are NULL");
	TAP_OK(pl_catalog_find("disallow-metadata-service") ==
		   pl_catalog_find("block-access-to-metadata-service"),
	       "disallow-metadata-service is an alias");

	bool all = true;
	for (size_t i = 0; i < sizeof(cap_ids) / sizeof(cap_ids[0]); i++) {
		char id[64], capname[64];
		const struct pl_rule *cr;
		const struct pl_translation *t;
		int cap;

		snprintf(id, sizeof(id), "disable-cap-%s", cap_ids[i]);
		snprintf(capname, sizeof(capname), "%s", cap_ids[i]);
		cr = pl_catalog_find(id);
		cap = pl_cap_from_name(capname);
		t = pl_rule_translation(cr, PL_MECH_CAPS);
		if (!cr || cap < 0 || !t || t->u.caps.drop != 1ull << cap) {
			all = false;
			tap_diag("%s missing or wrong", id);
		}
	}
	TAP_OK(all, "all 41 disable-cap-<name> ids exist and drop exactly their capability");
	TAP_OK(pl_cap_from_name("CAP_SYS_ADMIN") == 21 && pl_cap_from_name("sys_admin") == 21 &&
		   pl_cap_from_name("checkpoint-restore") == 40,
	       "pl_cap_from_name accepts CAP_X, x_y and x-y");
	/* a negative errno, never -1 (issue 7: one error convention) */
	TAP_EQ_INT(pl_cap_from_name("nope"), -ENOENT, "pl_cap_from_name: unknown name");
	TAP_EQ_INT(pl_cap_from_name(""), -ENOENT, "pl_cap_from_name: empty name");
	TAP_EQ_INT(pl_cap_from_name(NULL), -EINVAL, "pl_cap_from_name: NULL");
	TAP_OK(!strcmp(pl_cap_name(0), "CAP_CHOWN") &&
		   !strcmp(pl_cap_name(40), "CAP_CHECKPOINT_RESTORE") && !pl_cap_name(41) &&
		   !pl_cap_name(-1),
	       "pl_cap_name");
	TAP_OK(!strcmp(pl_category_name(PL_CAT_VUL_MITIGATION), "vul-mitigation") &&
		   !strcmp(pl_mech_name(PL_MECH_CGROUP_BPF), "cgroup-bpf") &&
		   !strcmp(pl_fidelity_name(PL_FID_NARROWER), "narrower"),
	       "names of categories, mechanisms, fidelities");
}

static void test_actions(void)
{
	struct pl_gen_opts o = { .run_mode = PL_RUN_AS_WRITTEN };

	TAP_OK(pl_effective_action(PL_ACTION_DENY, &o) == PL_ACTION_DENY &&
		   pl_effective_action(PL_ACTION_ALLOW_LOG, &o) == PL_ACTION_ALLOW_LOG,
	       "as written keeps the action");
	o.force_log = true;
	TAP_OK(pl_effective_action(PL_ACTION_DENY, &o) == PL_ACTION_DENY_LOG,
	       "force_log turns deny into deny+log");
	o.run_mode = PL_RUN_ENFORCE;
	TAP_OK(pl_effective_action(PL_ACTION_ALLOW_LOG, &o) == PL_ACTION_DENY_LOG,
	       "enforce makes every rule deny+log");
	o.run_mode = PL_RUN_AUDIT;
	TAP_OK(pl_effective_action(PL_ACTION_DENY, &o) == PL_ACTION_ALLOW_LOG, "audit allows+logs");
	o.run_mode = PL_RUN_OBSERVE;
	TAP_OK(pl_effective_action(PL_ACTION_DENY_LOG, &o) == PL_ACTION_ALLOW_LOG,
	       "observe allows+logs");
}

static void test_plan_and_caps(void)
{
	struct pl_rule_use uses[5] = {
		{ .rule = pl_catalog_find("disable-cap-net-raw"), .action = PL_ACTION_DENY },
		{ .rule = pl_catalog_find("disallow-create-user-ns"), .action = PL_ACTION_DENY },
		{ .rule = pl_catalog_find("block-access-to-kube-apiserver"),
		  .action = PL_ACTION_DENY },
		{ .rule = pl_catalog_find("disable-shell"), .action = PL_ACTION_DENY },
		{ .rule = pl_catalog_find("disallow-insmod"), .action = PL_ACTION_ALLOW_LOG },
	};
	char *tgt[] = { "/bin/bash" };
	struct pl_policy p = { .mode = PL_MODE_ENHANCE_PROTECT };
	struct pl_plan *plan = NULL;
	struct pl_gen_opts o = { 0 };
	uint64_t drop = 0;
	int r;

	uses[3].targets.v = tgt;
	uses[3].targets.n = 1;
	p.enhance.rules = uses;
	p.enhance.n_rules = 5;
	r = pl_plan_build(&p, 1u << PL_MECH_SECCOMP | 1u << PL_MECH_CAPS, &plan, NULL);
	TAP_OK(r == 0 && plan && plan->n == 5, "plan built");
	if (r == 0) {
		TAP_OK(plan->items[0].enforced && plan->items[0].by[PL_MECH_CAPS] &&
			   !plan->items[0].by[PL_MECH_APPARMOR],
		       "capability rule carried by caps only");
		TAP_OK(plan->items[1].enforced && plan->items[1].by[PL_MECH_SECCOMP],
		       "user-ns rule carried by seccomp");
		TAP_OK(!plan->items[2].enforced, "kube-apiserver rule is unenforced");
		TAP_OK(!plan->items[3].enforced,
		       "targeted exec rule is unenforced without AppArmor");
		TAP_OK(plan->items[4].by[PL_MECH_SECCOMP] && plan->items[4].by[PL_MECH_CAPS],
		       "insmod carried by seccomp and caps");
		TAP_OK(plan->n_unenforced == 2, "two unenforced (%zu)", plan->n_unenforced);
	}
	pl_plan_free(plan);
	plan = NULL;
	r = pl_plan_build(&p, 1u << PL_MECH_APPARMOR, &plan, NULL);
	TAP_OK(r == 0 && plan->items[3].by[PL_MECH_APPARMOR] && plan->n_unenforced == 2,
	       "with AppArmor the targeted rule is carried; user-ns and kube-apiserver are not");
	pl_plan_free(plan);

	r = pl_gen_caps(&p, &o, &drop, NULL);
	TAP_OK(r == 0 && drop == 1ull << 13,
	       "caps: net_raw dropped, audited insmod drops nothing (%#llx)",
	       (unsigned long long)drop);
	o.run_mode = PL_RUN_ENFORCE;
	r = pl_gen_caps(&p, &o, &drop, NULL);
	TAP_OK(r == 0 && drop == (1ull << 13 | 1ull << 16),
	       "caps in enforce mode also drops sys_module");
	o.run_mode = PL_RUN_AUDIT;
	r = pl_gen_caps(&p, &o, &drop, NULL);
	TAP_OK(r == 0 && drop == 0, "caps in audit mode drops nothing");

	/* built-in rules only count in EnhanceProtect */
	p.mode = PL_MODE_RUNTIME_DEFAULT;
	o.run_mode = PL_RUN_ENFORCE;
	r = pl_gen_caps(&p, &o, &drop, NULL);
	TAP_OK(r == 0 && drop == 0, "caps outside EnhanceProtect drops nothing");
	plan = NULL;
	r = pl_plan_build(&p, 1u << PL_MECH_CAPS, &plan, NULL);
	TAP_OK(r == 0 && plan && plan->n == 0 && plan->n_unenforced == 0,
	       "plan outside EnhanceProtect is empty");
	pl_plan_free(plan);
}

/* Issue 9, item 6: rule meanings checked against vArmor's. The exec rules
 * deny "rx" in AppArmor as vArmor does; the deliberate differences carry a
 * vs_varmor note; plastron's own rule is marked an extension. */
static void test_varmor_semantics(void)
{
	static const char *const exec_rules[] = { "disable-shell", "disable-busybox",
						  "disable-wget",  "disable-curl",
						  "disable-chmod", "disable-su-sudo" };
	bool rx = true;

	for (size_t i = 0; i < sizeof(exec_rules) / sizeof(exec_rules[0]); i++) {
		const struct pl_rule *r = pl_catalog_find(exec_rules[i]);
		const struct pl_translation *t = pl_rule_translation(r, PL_MECH_APPARMOR);

		if (!t || !t->u.apparmor.lines || !t->u.apparmor.lines[0]) {
			rx = false;
			tap_diag("%s has no AppArmor lines", exec_rules[i]);
			continue;
		}
		for (const char *const *l = t->u.apparmor.lines; *l; l++) {
			size_t len = strlen(*l);

			if (len < 3 || strcmp(*l + len - 3, " rx")) {
				rx = false;
				tap_diag("%s: '%s' does not end in ' rx'", exec_rules[i], *l);
			}
		}
		if (r->vs_varmor) {
			rx = false;
			tap_diag("%s means what vArmor's does, yet has a vs note", exec_rules[i]);
		}
	}
	TAP_OK(rx, "exec rules deny rx in AppArmor, as vArmor does");

	const struct pl_rule *k8s = pl_catalog_find("disallow-access-k8s-sensitive-files");
	TAP_OK(k8s && (k8s->flags & PL_RULE_EXTENSION) && k8s->vs_varmor && *k8s->vs_varmor,
	       "the k8s sensitive-files rule is a plastron extension with a note");
	const struct pl_rule *ssh = pl_catalog_find("disable-access-ssh-dir");
	TAP_OK(ssh && ssh->vs_varmor && !(ssh->flags & PL_RULE_EXTENSION),
	       "disable-access-ssh-dir notes how it differs from vArmor");
	const struct pl_rule *shell = pl_catalog_find("disable-shell");
	TAP_OK(shell && !(shell->flags & PL_RULE_EXTENSION), "vArmor's own rules are no extension");
}

int main(void)
{
	test_table();
	test_libseccomp();
	test_lookup();
	test_actions();
	test_plan_and_caps();
	test_varmor_semantics();
	return tap_done();
}
