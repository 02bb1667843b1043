/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A policy's file and exec patterns (src/lib/gen/files.c): which rules
 * they come from, the bits each denies and audits under the effective
 * action (as written, --mode enforce, --mode audit), the names the events
 * use, and the decisions of the automaton they compile into.
 */
#include <errno.h>
#include <string.h>

#include "plastron/gen.h"
#include "plastron/policy.h"
#include "tap.h"

static const char policy[] =
    "apiVersion: crd.varmor.org/v1beta1\n"
    "kind: VarmorPolicy\n"
    "metadata: {name: files, namespace: t}\n"
    "spec:\n"
    "  target: {kind: Deployment, name: web}\n"
    "  policy:\n"
    "    enforcer: BPF\n"
    "    mode: EnhanceProtect\n"
    "    enhanceProtect:\n"
    "      attackProtectionRules:\n"
    "      - rules: [disable-access-shadow]\n"
    "      - rules: [disable-shell]\n"
    "        targets: [/usr/bin/app]\n"
    "      bpfRawRules:\n"
    "        files:\n"
    "        - {pattern: /var/log/**, permissions: [write], qualifiers: [audit]}\n"
    "        - {pattern: /etc/ssl/private/*, permissions: [read]}\n"
    "        processes:\n"
    "        - {pattern: /usr/bin/nc*, permissions: [exec]}\n";

static struct pl_glob_accept decide(const struct pl_file_patterns *fp, const char *path)
{
	return pl_glob_match(fp->dfa, path, strlen(path));
}

int main(void)
{
	struct pl_policy_set *set = NULL;
	struct pl_diag d = { 0 };
	int r = pl_policy_set_load_buffer("files.yaml", policy, strlen(policy), &set, &d);
	TAP_OK(r == 0 && set && set->n == 1, "the policy loads");
	if (r < 0)
		return tap_done();
	const struct pl_policy *p = set->policies[0];

	struct pl_file_patterns *fp = NULL;
	r = pl_gen_file_patterns(p, NULL, NULL, &fp, &d);
	TAP_OK(r == 0 && fp && fp->n == 4 && fp->dfa,
	       "4 patterns: disable-access-shadow's and three raw rules (the rule with targets "
	       "is AppArmor's alone) (%zu)",
	       fp ? fp->n : 0);
	if (r == 0 && fp->n == 4) {
		struct pl_glob_accept a = decide(fp, "/etc/shadow");
		TAP_OK(a.deny == (PL_PERM_READ | PL_PERM_WRITE | PL_PERM_APPEND) && a.audit == 0 &&
			   a.rule < fp->n && !strcmp(fp->names[a.rule], "disable-access-shadow"),
		       "/etc/shadow: read, write and append denied, by disable-access-shadow");
		a = decide(fp, "/var/log/app/x.log");
		TAP_OK(a.deny == 0 && a.audit == (PL_PERM_WRITE | PL_PERM_APPEND) &&
			   !strcmp(fp->names[a.rule], "bpfRawRules.files[0]"),
		       "/var/log/app/x.log: write (and so append) audited, bpfRawRules.files[0]");
		a = decide(fp, "/etc/ssl/private/key.pem");
		TAP_OK(a.deny == PL_PERM_READ && !strcmp(fp->names[a.rule], "bpfRawRules.files[1]"),
		       "/etc/ssl/private/key.pem: read denied, bpfRawRules.files[1]");
		a = decide(fp, "/usr/bin/ncat");
		TAP_OK(a.deny == PL_PERM_EXEC &&
			   !strcmp(fp->names[a.rule], "bpfRawRules.processes[0]"),
		       "/usr/bin/ncat: exec denied, bpfRawRules.processes[0]");
		a = decide(fp, "/bin/sh");
		TAP_OK(a.deny == 0 && a.audit == 0, "/bin/sh: nothing (disable-shell has targets)");
	}
	pl_file_patterns_free(fp);
	fp = NULL;

	/* --mode audit: nothing denied, everything reported */
	struct pl_gen_opts o = { .run_mode = PL_RUN_AUDIT };
	r = pl_gen_file_patterns(p, &o, NULL, &fp, &d);
	struct pl_glob_accept a = r == 0 ? decide(fp, "/etc/shadow") : (struct pl_glob_accept){ 0 };
	TAP_OK(r == 0 && a.deny == 0 && a.audit == (PL_PERM_READ | PL_PERM_WRITE | PL_PERM_APPEND),
	       "--mode audit: /etc/shadow audited, not denied");
	pl_file_patterns_free(fp);
	fp = NULL;

	/* --mode enforce: the audit-qualified raw rule denies too */
	o.run_mode = PL_RUN_ENFORCE;
	r = pl_gen_file_patterns(p, &o, NULL, &fp, &d);
	a = r == 0 ? decide(fp, "/var/log/x") : (struct pl_glob_accept){ 0 };
	TAP_OK(r == 0 && a.deny == (PL_PERM_WRITE | PL_PERM_APPEND) && a.audit == a.deny,
	       "--mode enforce: /var/log/x write denied and reported");
	pl_file_patterns_free(fp);
	fp = NULL;

	/* the state budget refuses the profile, with a diagnostic */
	r = pl_gen_file_patterns(p, NULL, &(struct pl_glob_opts){ .max_states = 4 }, &fp, &d);
	TAP_OK(r == -E2BIG && !fp && d.n_errors >= 1, "over the state budget: -E2BIG, no patterns");
	pl_diag_clear(&d);
	pl_policy_set_free(set);
	return tap_done();
}
