/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AppArmor consumer test: every built-in rule, alone and all together, in
 * every action, with and without privileged and targets, and every mode,
 * generates a profile that apparmor_parser accepts (-Q -K: compile only).
 *
 * PLASTRON_AA_BREAK=1 appends a broken line to every profile, to check the
 * test fails when the parser rejects a profile.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plastron/gen.h"
#include "tap.h"

#define FEATURES "/usr/share/apparmor-features/features"

static char dir[] = "/tmp/plastron-aa-XXXXXX";
static bool do_break;

/* Returns the parser's exit status; its output goes to `out`. */
static int parse(const char *text, char *out, size_t outlen)
{
	char path[128], cmd[512];
	FILE *f, *p;
	size_t n = 0;
	int st;

	snprintf(path, sizeof(path), "%s/profile", dir);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fputs(text, f);
	if (do_break)
		fputs("this is not a rule,\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "apparmor_parser -Q -K -M %s %s 2>&1", FEATURES, path);
	p = popen(cmd, "r");
	if (!p)
		return -errno;
	out[0] = '\0';
	while (n + 1 < outlen && fgets(out + n, (int)(outlen - n), p))
		n = strlen(out);
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

static void check(const struct pl_policy *p, const struct pl_gen_opts *o, const char *what)
{
	struct pl_diag d = { 0 };
	char *text = NULL, out[2048];
	int r = pl_gen_apparmor(p, o, "plastron-test", &text, &d);

	if (r < 0) {
		TAP_OK(false, "%s: generated (%s)", what,
		       d.head && d.head->message ? d.head->message : "?");
		pl_diag_clear(&d);
		return;
	}
	r = parse(text, out, sizeof(out));
	if (!TAP_OK(r == 0, "%s: apparmor_parser accepts it", what)) {
		tap_diag("%s", out);
		tap_diag("profile:\n%s", text);
	}
	free(text);
	pl_diag_clear(&d);
}

/* The policy name of a loaded policy as a profile name. */
static void check_loaded(const struct pl_policy_set *set, const char *what)
{
	struct pl_gen_opts o = { .run_mode = PL_RUN_AS_WRITTEN };
	char buf[300];

	for (size_t i = 0; i < set->n; i++) {
		const struct pl_policy *p = set->policies[i];

		snprintf(buf, sizeof(buf), "%s: policy %s (%s)", what, p->name ? p->name : "?",
			 pl_mode_name(p->mode));
		if (p->mode == PL_MODE_DEFENSE_IN_DEPTH &&
		    p->dind.apparmor_type == PL_PROFILE_BEHAVIOR_MODEL) {
			struct pl_diag d = { 0 };
			char *text = NULL;
			int r = pl_gen_apparmor(p, &o, "plastron-test", &text, &d);

			TAP_OK(r < 0 && !text && d.n_errors == 1,
			       "%s: BehaviorModel without a model is refused", buf);
			pl_diag_clear(&d);
			continue;
		}
		check(p, &o, buf);
	}
}

/* Every examples/NAME.yaml, through the real parser. */
static void test_examples(void)
{
	const char *root = getenv("PLASTRON_SOURCE_ROOT");
	char path[512];
	struct dirent **ents = NULL;
	int n;

	if (!root) {
		TAP_SKIP("PLASTRON_SOURCE_ROOT is not set (run through meson test)", "examples");
		return;
	}
	snprintf(path, sizeof(path), "%s/examples", root);
	n = scandir(path, &ents, NULL, alphasort);
	if (!TAP_OK(n > 0, "examples directory has files"))
		return;
	for (int i = 0; i < n; i++) {
		const char *f = ents[i]->d_name;
		size_t len = strlen(f);
		struct pl_policy_set *set = NULL;
		struct pl_diag d = { 0 };

		if (len > 5 && !strcmp(f + len - 5, ".yaml")) {
			snprintf(path, sizeof(path), "%s/examples/%s", root, f);
			if (TAP_OK(pl_policy_set_load(path, &set, &d) >= 0, "examples/%s loads", f))
				check_loaded(set, f);
			else if (d.head)
				tap_diag("%s", d.head->message);
			pl_policy_set_free(set);
			pl_diag_clear(&d);
		}
		free(ents[i]);
	}
	free(ents);
}

/* One YAML policy naming every rule (ids in vArmor's spellings, aliases,
 * targets, raw rules), through the real parser. */
static void test_yaml_all(void)
{
	size_t n, n_al;
	const struct pl_rule *rules = pl_catalog_rules(&n);
	const struct pl_rule_alias *al = pl_catalog_aliases(&n_al);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct pl_policy_set *set = NULL;
	struct pl_diag d = { 0 };
	static const char *const cats[PL_CAT__MAX] = { "hardeningRules", "attackProtectionRules",
						       "vulMitigationRules" };

	for (int priv = 0; priv < 2; priv++) {
		fprintf(f,
			"---\napiVersion: crd.varmor.org/v1beta1\nkind: VarmorPolicy\n"
			"metadata: {name: all-rules-%d, namespace: demo}\n"
			"spec:\n  target: {kind: Deployment, name: web}\n"
			"  policy:\n    enforcer: AppArmor\n    mode: EnhanceProtect\n"
			"    enhanceProtect:\n      privileged: %s\n      auditViolations: %s\n",
			priv, priv ? "true" : "false", priv ? "false" : "true");
		for (int c = 0; c < PL_CAT__MAX; c++) {
			fprintf(f, "      %s:\n", cats[c]);
			if (c == PL_CAT_ATTACK_PROTECTION)
				fputs("      - rules:\n", f);
			for (size_t i = 0; i < n; i++) {
				if ((int)rules[i].category != c)
					continue;
				/* alternate vArmor's accepted spellings: UPPER_SNAKE and ids */
				if (i % 2) {
					fputs(c == PL_CAT_ATTACK_PROTECTION ? "        - "
									    : "      - ",
					      f);
					for (const char *p = rules[i].id; *p; p++)
						fputc(*p == '-' ? '_'
								: (char)(*p - 32 * (*p >= 'a' &&
										    *p <= 'z')),
						      f);
					fputc('\n', f);
				} else {
					fprintf(f, "%s%s\n",
						c == PL_CAT_ATTACK_PROTECTION ? "        - "
									      : "      - ",
						rules[i].id);
				}
			}
			if (c == PL_CAT_ATTACK_PROTECTION) {
				fputs("      - rules: [disable-shell, disable-write-etc, "
				      "disable-network]\n"
				      "        targets: [/usr/bin/python3, /bin/busybox]\n",
				      f);
			}
			if (c == PL_CAT_HARDENING)
				for (size_t i = 0; i < n_al; i++)
					if (pl_catalog_find(al[i].alias)->category ==
					    PL_CAT_HARDENING)
						fprintf(f, "      - %s\n", al[i].alias);
		}
		fputs("      appArmorRawRules:\n"
		      "      - rules: |\n          deny /tmp/raw r,\n          audit deny network "
		      "packet,\n"
		      "      - rules: \"deny /opt/** w,\"\n        targets: [/usr/bin/python3]\n",
		      f);
	}
	fclose(f);
	if (TAP_OK(pl_policy_set_load_buffer("all-rules.yaml", buf, len, &set, &d) >= 0 &&
		       set->n == 2,
		   "a YAML policy with every rule, alias and spelling loads")) {
		TAP_OK(set->policies[0]->enhance.n_rules >= n,
		       "the parser kept every rule (%zu uses)", set->policies[0]->enhance.n_rules);
		check_loaded(set, "all-rules.yaml");
	} else {
		for (struct pl_diag_entry *e = d.head; e; e = e->next) {
			char *m = pl_diag_format(e);
			tap_diag("%s", m ? m : "?");
			free(m);
		}
		tap_diag("YAML:\n%s", buf);
	}
	pl_policy_set_free(set);
	pl_diag_clear(&d);
	free(buf);
}

static const enum pl_action actions[] = { PL_ACTION_DENY, PL_ACTION_DENY_LOG, PL_ACTION_ALLOW_LOG };

int main(void)
{
	size_t n;
	const struct pl_rule *rules = pl_catalog_rules(&n);
	struct pl_gen_opts o = { .run_mode = PL_RUN_AS_WRITTEN };
	struct pl_rule_use *uses;
	char *tgt_a[] = { "/bin/bash" }, *tgt_b[] = { "/usr/bin/curl", "/bin/bash" };
	char buf[160];
	struct stat st;

	do_break = getenv("PLASTRON_AA_BREAK") != NULL;
	if (system("command -v apparmor_parser >/dev/null 2>&1") != 0 || stat(FEATURES, &st) < 0) {
		TAP_SKIP("apparmor_parser or " FEATURES " not installed", "AppArmor consumer test");
		return tap_done();
	}
	if (!mkdtemp(dir)) {
		TAP_OK(false, "mkdtemp: %s", strerror(errno));
		return tap_done();
	}
	uses = calloc(n, sizeof(*uses));

	/* each rule alone, in each action; privileged alternates */
	for (size_t i = 0; i < n; i++) {
		for (size_t a = 0; a < 3; a++) {
			struct pl_rule_use use = { .rule = &rules[i], .action = actions[a] };
			struct pl_policy p = { .mode = PL_MODE_ENHANCE_PROTECT,
					       .default_action = actions[a] };

			p.enhance.rules = &use;
			p.enhance.n_rules = 1;
			p.enhance.privileged = (i + a) % 2;
			snprintf(buf, sizeof(buf), "%s (%s%s)", rules[i].id,
				 pl_action_name(actions[a]),
				 p.enhance.privileged ? ", privileged" : "");
			check(&p, &o, buf);
		}
	}

	/* all rules together, each action, privileged or not */
	for (size_t a = 0; a < 3; a++) {
		for (int priv = 0; priv < 2; priv++) {
			struct pl_policy p = { .mode = PL_MODE_ENHANCE_PROTECT,
					       .default_action = actions[a] };

			for (size_t i = 0; i < n; i++)
				uses[i] =
				    (struct pl_rule_use){ .rule = &rules[i], .action = actions[a] };
			p.enhance.rules = uses;
			p.enhance.n_rules = n;
			p.enhance.privileged = priv;
			snprintf(buf, sizeof(buf), "all %zu rules (%s%s)", n,
				 pl_action_name(actions[a]), priv ? ", privileged" : "");
			check(&p, &o, buf);
		}
	}

	/* attack-protection rules with targets, plus raw rules (policy-wide and targeted) */
	{
		struct pl_policy p = { .mode = PL_MODE_ENHANCE_PROTECT,
				       .default_action = PL_ACTION_DENY_LOG };
		struct pl_apparmor_raw raw[2] = {
			{ .rules = "deny /tmp/secret r,\n  audit deny /var/lib/** w,\n" },
			{ .rules = "deny network packet," },
		};
		size_t k = 0;

		for (size_t i = 0; i < n; i++) {
			uses[k] =
			    (struct pl_rule_use){ .rule = &rules[i], .action = actions[i % 3] };
			if (rules[i].flags & PL_RULE_APPARMOR_TARGETS) {
				uses[k].targets.v = (i % 2) ? tgt_a : tgt_b;
				uses[k].targets.n = (i % 2) ? 1 : 2;
			}
			k++;
		}
		raw[1].targets.v = tgt_b;
		raw[1].targets.n = 2;
		p.enhance.rules = uses;
		p.enhance.n_rules = k;
		p.enhance.apparmor_raw = raw;
		p.enhance.n_apparmor_raw = 2;
		check(&p, &o, "all rules, targets and raw rules, mixed actions");
		o.run_mode = PL_RUN_AUDIT;
		check(&p, &o, "all rules with targets, --audit");
		o.run_mode = PL_RUN_ENFORCE;
		check(&p, &o, "all rules with targets, --enforce");
		o.run_mode = PL_RUN_AS_WRITTEN;
	}

	/* the other modes */
	{
		struct pl_policy p = { .mode = PL_MODE_ALWAYS_ALLOW };

		check(&p, &o, "AlwaysAllow");
		p.mode = PL_MODE_RUNTIME_DEFAULT;
		check(&p, &o, "RuntimeDefault");
		p.mode = PL_MODE_BEHAVIOR_MODELING;
		check(&p, &o, "BehaviorModeling");
		p.mode = PL_MODE_ENHANCE_PROTECT;
		check(&p, &o, "EnhanceProtect without rules");
	}
	{
		struct pl_policy p = { .mode = PL_MODE_DEFENSE_IN_DEPTH };
		struct pl_apparmor_raw raw = { .rules = "deny /etc/shadow r," };
		struct pl_diag d = { 0 };
		char *text = NULL;
		int r;

		p.dind.present = true;
		p.dind.apparmor_type = PL_PROFILE_CUSTOM;
		p.dind.apparmor_custom = "file,\nnetwork inet stream,\ncapability chown,\ndeny "
					 "/etc/{passwd,shadow} w,\n";
		p.dind.apparmor_raw = &raw;
		p.dind.n_apparmor_raw = 1;
		check(&p, &o, "DefenseInDepth custom rule body + raw rules");
		p.dind.allow_violations = true;
		check(&p, &o, "DefenseInDepth custom body, allowViolations (complain)");
		p.dind.n_apparmor_raw = 0;
		p.dind.apparmor_custom = "abi <abi/3.0>,\n#include <tunables/global>\n"
					 "profile custom-x {\n  #include <abstractions/base>\n"
					 "  file,\n}\n";
		check(&p, &o, "DefenseInDepth complete custom profile");
		/* raw rules go before the last top-level closing brace, as in vArmor:
		 * after a hat, before a trailing comment */
		p.dind.apparmor_custom = "abi <abi/3.0>,\n#include <tunables/global>\n"
					 "profile custom-x {\n  #include <abstractions/base>\n"
					 "  file,\n  ^hat {\n    file,\n  }\n}  # end {of} x\n";
		p.dind.n_apparmor_raw = 1;
		check(&p, &o, "DefenseInDepth complete custom profile with a hat + raw rules");
		{
			struct pl_diag dw = { 0 };
			char *tw = NULL;

			r = pl_gen_apparmor(&p, &o, "plastron-test", &tw, &dw);
			const char *hat = tw ? strstr(tw, "^hat") : NULL;
			const char *rule = tw ? strstr(tw, "deny /etc/shadow r,") : NULL;
			const char *end = tw ? strstr(tw, "}  # end") : NULL;
			TAP_OK(r == 0 && hat && rule && end && hat < rule && rule < end,
			       "…the raw rule lands after the hat, before the profile's brace");
			free(tw);
			pl_diag_clear(&dw);
			/* "#" inside a quoted name is not a comment: the rule still goes
			 * into the outer profile, after the child */
			p.dind.apparmor_custom =
			    "profile outer {\n  file,\n  profile \"/usr/bin/a#b\" "
			    "{\n    file,\n  }\n}\n";
			tw = NULL;
			r = pl_gen_apparmor(&p, &o, "plastron-test", &tw, &dw);
			const char *child = tw ? strstr(tw, "a#b\" {") : NULL;
			const char *cend = child ? strstr(child, "  }\n") : NULL;
			rule = tw ? strstr(tw, "deny /etc/shadow r,") : NULL;
			TAP_OK(r == 0 && cend && rule && rule > cend,
			       "…a quoted '#' in a child's name does not move it into the child");
			free(tw);
			pl_diag_clear(&dw);
		}
		p.dind.n_apparmor_raw = 0;
		{
			struct pl_diag dw = { 0 };
			char *tw = NULL;

			p.dind.allow_violations = true;
			r = pl_gen_apparmor(&p, &o, "plastron-test", &tw, &dw);
			TAP_OK(r == 0 && tw && dw.n_warnings == 2,
			       "complete custom profile with allowViolations and another name: "
			       "two warnings (%zu)",
			       dw.n_warnings);
			free(tw);
			tw = NULL;
			pl_diag_clear(&dw);
			p.dind.apparmor_custom = "file,\n}\nprofile evil {\n";
			r = pl_gen_apparmor(&p, &o, "plastron-test", &tw, &dw);
			TAP_OK(r == -EINVAL && !tw && dw.n_errors == 1,
			       "a customProfile that closes the profile is refused");
			pl_diag_clear(&dw);
		}
		p.dind.apparmor_type = PL_PROFILE_BEHAVIOR_MODEL;
		r = pl_gen_apparmor(&p, &o, "x", &text, &d);
		TAP_OK(r < 0 && d.n_errors == 1 && !text,
		       "DefenseInDepth BehaviorModel without a model is an error");
		pl_diag_clear(&d);
	}
	{
		struct pl_policy p = { .mode = PL_MODE_ENHANCE_PROTECT };
		struct pl_rule_use use = { .rule = pl_catalog_find("disable-shell") };
		char *bad[] = { "/bin/ba sh" };
		struct pl_diag d = { 0 };
		char *text = NULL;
		int r;

		use.targets.v = bad;
		use.targets.n = 1;
		p.enhance.rules = &use;
		p.enhance.n_rules = 1;
		r = pl_gen_apparmor(&p, &o, "x", &text, &d);
		TAP_OK(r == -EINVAL && d.n_errors == 1, "a target with a space is refused");
		pl_diag_clear(&d);
		{
			struct pl_apparmor_raw raw = { .rules = "deny /x r,\n}\n" };

			use.targets.n = 0;
			p.enhance.apparmor_raw = &raw;
			p.enhance.n_apparmor_raw = 1;
			r = pl_gen_apparmor(&p, &o, "x", &text, &d);
			TAP_OK(r == -EINVAL && d.n_errors == 1,
			       "raw rules that close the profile are refused");
			pl_diag_clear(&d);
			p.enhance.n_apparmor_raw = 0;
		}
		p.enhance.n_rules = 0;
		r = pl_gen_apparmor(&p, &o, "bad name", &text, &d);
		TAP_OK(r == -EINVAL && d.n_errors == 1, "a profile name with a space is refused");
		pl_diag_clear(&d);
	}

	test_examples();
	test_yaml_all();

	free(uses);
	snprintf(buf, sizeof(buf), "%s/profile", dir);
	unlink(buf);
	rmdir(dir);
	return tap_done();
}
