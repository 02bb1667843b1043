/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AppArmor profile text in vArmor's structure:
 *
 *   abi <abi/3.0>,
 *   #include <tunables/global>
 *   profile NAME flags=(attach_disconnected,mediate_deleted) {
 *     #include <abstractions/base>
 *     <base: AlwaysAllow or RuntimeDefault>
 *     <built-in rules per category, raw rules>
 *     <exe> cx -> child_N,          (attackProtectionRules / raw rules with targets)
 *     profile child_N { ... }
 *   }
 *
 * Every built-in rule line gets the prefix of its effective action:
 * DENY → "deny ", DENY_LOG → "audit deny ", ALLOW_LOG → "audit " (exec rules
 * then use "rix" so the audited program still runs, as vArmor does).
 *
 * Deviation from vArmor: a child profile also carries the policy-wide rules
 * (not only the base and its own targeted rules), so executing a target
 * never sheds the rules that apply to the whole container.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plastron/gen.h"
#include "shared/macro.h"

static const char *const always_allow_lines[] = {
	"file,",       "capability,", "network,", "mount,", "remount,", "umount,",
	"pivot_root,", "ptrace,",     "signal,",  "dbus,",  "unix,",    NULL,
};

/* Allowed parts of the RuntimeDefault base (never prefixed). */
static const char *const runtime_default_allow[] = {
	"network,",
	"capability,",
	"file,",
	"umount,",
	"signal (receive) peer=unconfined,",
	"signal (receive) peer=runc,",
	"signal (receive) peer=crun,",
	"signal (send, receive) peer=@{profile_name},",
	"ptrace (trace, read, tracedby, readby) peer=@{profile_name},",
	NULL,
};

/*
 * Denied parts of the RuntimeDefault base (prefixed with the action), the
 * semantics of containerd's cri template: no writes to procfs outside the
 * per-process directories, none to /proc/sys or to /sys (except the
 * container's own cgroup tree), no access to sysrq-trigger, kcore, mem and
 * kmem, firmware and securityfs, and no mounts.
 */
static const char *const runtime_default_deny[] = {
	"@{PROC}/* w",
	"@{PROC}/{acpi,asound,bus,driver,dynamic_debug,fs,irq,pressure,scsi,sysvipc,tty}/** w",
	"@{PROC}/sys/** w",
	"@{PROC}/sysrq-trigger rwklx",
	"@{PROC}/kcore rwklx",
	"@{PROC}/mem rwklx",
	"@{PROC}/kmem rwklx",
	"mount",
	"/sys/[^f]*/** wklx",
	"/sys/f[^s]*/** wklx",
	"/sys/fs/[^c]*/** wklx",
	"/sys/fs/c[^g]*/** wklx",
	"/sys/fs/cg[^r]*/** wklx",
	"/sys/firmware/** rwklx",
	"/sys/kernel/security/** rwklx",
	NULL,
};

static const char *prefix_of(enum pl_action a)
{
	switch (a) {
	case PL_ACTION_DENY:
		return "deny ";
	case PL_ACTION_DENY_LOG:
		return "audit deny ";
	case PL_ACTION_ALLOW_LOG:
	default:
		return "audit ";
	}
}

static void indent(FILE *f, int depth)
{
	for (int i = 0; i < depth; i++)
		fputs("  ", f);
}

/*
 * One catalog line with the action's prefix and the trailing comma. An
 * allowed (audited) file rule that grants `x` needs an exec mode: a lone
 * "x" becomes "rix" as in vArmor, any other "x" becomes "ix" (inherit), so
 * the exec rules' "rx" becomes "rix" too.
 */
static void emit_rule_line(FILE *f, int depth, enum pl_action a, const char *line)
{
	const char *perms = strrchr(line, ' ');

	indent(f, depth);
	fputs(prefix_of(a), f);
	if (a != PL_ACTION_ALLOW_LOG || (line[0] != '/' && line[0] != '@') || !perms ||
	    !strchr(perms, 'x')) {
		fprintf(f, "%s,\n", line);
		return;
	}
	fprintf(f, "%.*s ", (int)(perms - line), line);
	if (!strcmp(perms + 1, "x")) {
		fputs("rix,\n", f);
		return;
	}
	for (const char *c = perms + 1; *c; c++) {
		if (*c == 'x')
			fputc('i', f);
		fputc(*c, f);
	}
	fputs(",\n", f);
}

/* Raw rules: one rule per line, copied as written (they end in commas). */
static void emit_raw(FILE *f, int depth, const char *text)
{
	const char *p = text;

	while (*p) {
		const char *eol = strchrnul(p, '\n');
		const char *b = p, *e = eol;

		while (b < e && (*b == ' ' || *b == '\t' || *b == '\r'))
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (e > b) {
			indent(f, depth);
			fprintf(f, "%.*s\n", (int)(e - b), b);
		}
		p = *eol ? eol + 1 : eol;
	}
}

/* Raw text must not close the profile it is pasted into: braces balance. */
static bool braces_balanced(const char *text)
{
	long depth = 0;

	for (const char *c = text; *c; c++) {
		if (*c == '{')
			depth++;
		else if (*c == '}' && --depth < 0)
			return false;
	}
	return depth == 0;
}

static bool strv_has(const struct pl_strv *v, const char *s)
{
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->v[i], s))
			return true;
	return false;
}

static bool valid_name(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

/* An executable path usable unquoted in a profile. */
static bool valid_exe(const char *s)
{
	if (!s || s[0] != '/')
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s == ',' || *s == '"' || *s == '{' || *s == '}' || *s == '#' ||
		    *s == 0x7f)
			return false;
	return true;
}

static void emit_header(FILE *f, const char *name, const char *extra_flags)
{
	fprintf(f,
		"## == Managed by plastron. Do not edit. == ##\n\n"
		"abi <abi/3.0>,\n\n"
		"#include <tunables/global>\n\n"
		"profile %s flags=(attach_disconnected,mediate_deleted%s) {\n"
		"  #include <abstractions/base>\n",
		name, extra_flags ? extra_flags : "");
}

static void emit_base(FILE *f, int depth, bool privileged, enum pl_action base_action)
{
	if (privileged) {
		indent(f, depth);
		fputs("# base: AlwaysAllow\n", f);
		for (size_t i = 0; always_allow_lines[i]; i++) {
			indent(f, depth);
			fprintf(f, "%s\n", always_allow_lines[i]);
		}
		return;
	}
	indent(f, depth);
	fputs("# base: RuntimeDefault\n", f);
	for (size_t i = 0; runtime_default_allow[i]; i++) {
		indent(f, depth);
		fprintf(f, "%s\n", runtime_default_allow[i]);
	}
	for (size_t i = 0; runtime_default_deny[i]; i++)
		emit_rule_line(f, depth, base_action, runtime_default_deny[i]);
}

/*
 * Built-in rules and raw rules for one profile: `exe` NULL selects the
 * policy-wide ones, otherwise those targeting `exe`.
 */
static void emit_rules(FILE *f, int depth, const struct pl_policy *p, const struct pl_gen_opts *o,
		       const char *exe)
{
	static const char *const section[PL_CAT__MAX] = {
		[PL_CAT_HARDENING] = "hardening",
		[PL_CAT_ATTACK_PROTECTION] = "attack protection",
		[PL_CAT_VUL_MITIGATION] = "vulnerability mitigation",
	};

	for (int cat = 0; cat < PL_CAT__MAX; cat++) {
		bool header = false;

		for (size_t i = 0; i < p->enhance.n_rules; i++) {
			const struct pl_rule_use *use = &p->enhance.rules[i];
			const struct pl_translation *tr;
			enum pl_action a;

			if (!use->rule || (int)use->rule->category != cat)
				continue;
			if (exe ? !strv_has(&use->targets, exe) : use->targets.n > 0)
				continue;
			tr = pl_rule_translation(use->rule, PL_MECH_APPARMOR);
			if (!header) {
				indent(f, depth);
				fprintf(f, "# %s\n", section[cat]);
				header = true;
			}
			if (!tr) {
				indent(f, depth);
				fprintf(f, "# %s: no AppArmor translation\n", use->rule->id);
				continue;
			}
			a = pl_effective_action(use->action, o);
			indent(f, depth);
			fprintf(f, "# %s (%s)\n", use->rule->id, pl_action_name(a));
			for (size_t l = 0; tr->u.apparmor.lines[l]; l++)
				emit_rule_line(f, depth, a, tr->u.apparmor.lines[l]);
		}
	}
	for (size_t i = 0; i < p->enhance.n_apparmor_raw; i++) {
		const struct pl_apparmor_raw *raw = &p->enhance.apparmor_raw[i];

		if (!raw->rules)
			continue;
		if (exe ? !strv_has(&raw->targets, exe) : raw->targets.n > 0)
			continue;
		indent(f, depth);
		fputs("# appArmorRawRules\n", f);
		emit_raw(f, depth, raw->rules);
	}
}

struct exes {
	const char **v;
	size_t n;
};

static int exes_add(struct exes *x, const char *exe)
{
	const char **nv;

	for (size_t i = 0; i < x->n; i++)
		if (!strcmp(x->v[i], exe))
			return 0;
	nv = realloc(x->v, (x->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	x->v = nv;
	x->v[x->n++] = exe;
	return 0;
}

static int collect_targets(const struct pl_policy *p, struct exes *x, struct pl_diag *d)
{
	for (size_t i = 0; i < p->enhance.n_rules; i++) {
		const struct pl_rule_use *use = &p->enhance.rules[i];

		for (size_t t = 0; t < use->targets.n; t++) {
			if (!valid_exe(use->targets.v[t]))
				return pl_error(
				    d, -EINVAL, &use->pos,
				    "spec.policy.enhanceProtect.attackProtectionRules.targets",
				    "target '%s' is not an absolute path usable in an "
				    "AppArmor profile (no spaces, commas, quotes, braces)",
				    use->targets.v[t]);
			if (exes_add(x, use->targets.v[t]) < 0)
				return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
		}
	}
	for (size_t i = 0; i < p->enhance.n_apparmor_raw; i++) {
		const struct pl_apparmor_raw *raw = &p->enhance.apparmor_raw[i];

		for (size_t t = 0; t < raw->targets.n; t++) {
			if (!valid_exe(raw->targets.v[t]))
				return pl_error(
				    d, -EINVAL, &raw->pos,
				    "spec.policy.enhanceProtect.appArmorRawRules.targets",
				    "target '%s' is not an absolute path usable in an "
				    "AppArmor profile (no spaces, commas, quotes, braces)",
				    raw->targets.v[t]);
			if (exes_add(x, raw->targets.v[t]) < 0)
				return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
		}
	}
	return 0;
}

static int gen_enhance(FILE *f, const struct pl_policy *p, const struct pl_gen_opts *o,
		       const char *name, struct pl_diag *d)
{
	enum pl_action base_action = pl_effective_action(p->default_action, o);
	struct exes x = { 0 };
	int r;

	for (size_t i = 0; i < p->enhance.n_apparmor_raw; i++)
		if (p->enhance.apparmor_raw[i].rules &&
		    !braces_balanced(p->enhance.apparmor_raw[i].rules))
			return pl_error(d, -EINVAL, &p->enhance.apparmor_raw[i].pos,
					"spec.policy.enhanceProtect.appArmorRawRules.rules",
					"unbalanced braces: raw rules must not close or open the "
					"profile they are added to");

	r = collect_targets(p, &x, d);
	if (r < 0) {
		free(x.v);
		return r;
	}
	emit_header(f, name, NULL);
	emit_base(f, 1, p->enhance.privileged, base_action);
	emit_rules(f, 1, p, o, NULL);
	for (size_t i = 0; i < x.n; i++) {
		fprintf(f, "\n  # target %s\n", x.v[i]);
		fprintf(f, "  %s cx -> child_%zu,\n", x.v[i], i + 1);
		fprintf(f, "  signal (send, receive) peer=%s//child_%zu,\n", name, i + 1);
		fprintf(f, "  ptrace (trace, read, tracedby, readby) peer=%s//child_%zu,\n", name,
			i + 1);
		fprintf(f, "  profile child_%zu flags=(attach_disconnected,mediate_deleted) {\n",
			i + 1);
		fputs("    #include <abstractions/base>\n", f);
		emit_base(f, 2, p->enhance.privileged, base_action);
		fprintf(f, "    signal (send, receive) peer=%s,\n", name);
		fprintf(f, "    ptrace (trace, read, tracedby, readby) peer=%s,\n", name);
		emit_rules(f, 2, p, o, NULL);
		fprintf(f, "    # rules for %s\n", x.v[i]);
		emit_rules(f, 2, p, o, x.v[i]);
		fputs("  }\n", f);
	}
	fputs("}\n", f);
	free(x.v);
	return 0;
}

/*
 * A customProfile that is a complete profile rather than a rule body: some
 * line opens a profile ("profile NAME ... {" or "/path ... {").
 */
static bool is_full_profile(const char *text)
{
	for (const char *p = text; *p;) {
		const char *eol = strchrnul(p, '\n'), *b = p, *e = eol;

		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (e > b && e[-1] == '{' &&
		    ((e - b > 8 && !strncmp(b, "profile ", 8)) || b[0] == '/'))
			return true;
		p = *eol ? eol + 1 : eol;
	}
	return false;
}

/*
 * The last closing brace that ends a top-level block, skipping comments
 * ("#" to end of line, except "#include") and quoted strings (where "#" and
 * braces are plain characters, as in apparmor_parser): NULL when there is
 * none, or when a string is not closed.
 */
static const char *last_top_close(const char *text)
{
	const char *last = NULL;
	long depth = 0;

	for (const char *c = text; *c; c++) {
		if (*c == '"') {
			for (c++; *c && *c != '"'; c++)
				if (*c == '\\' && c[1])
					c++;
			if (!*c)
				return NULL;
		} else if (*c == '#' && strncmp(c, "#include", 8)) {
			c = strchrnul(c, '\n');
			if (!*c)
				break;
		} else if (*c == '{') {
			depth++;
		} else if (*c == '}' && depth > 0 && --depth == 0) {
			last = c;
		}
	}
	return last;
}

static void emit_raw_rules(FILE *f, const struct pl_dind *dd)
{
	for (size_t i = 0; i < dd->n_apparmor_raw; i++) {
		if (!dd->apparmor_raw[i].rules)
			continue;
		fputs("  # appArmorRawRules\n", f);
		emit_raw(f, 1, dd->apparmor_raw[i].rules);
	}
}

static int gen_dind(FILE *f, const struct pl_policy *p, const char *name, struct pl_diag *d)
{
	const struct pl_dind *dd = &p->dind;

	switch (dd->apparmor_type) {
	case PL_PROFILE_BEHAVIOR_MODEL:
		return pl_error(
		    d, -ENOENT, &p->pos, "spec.policy.defenseInDepth.appArmor.profileType",
		    "profileType BehaviorModel needs a behavior model, and plastron has "
		    "none for policy '%s' (record one with BehaviorModeling first, or use "
		    "profileType Custom)",
		    p->name ? p->name : name);
	case PL_PROFILE_CUSTOM:
		break;
	case PL_PROFILE_NONE:
	default:
		return pl_error(
		    d, -EINVAL, &p->pos, "spec.policy.defenseInDepth.appArmor",
		    "DefenseInDepth has no AppArmor profile (set appArmor.profileType)");
	}
	if (!dd->apparmor_custom || !*dd->apparmor_custom)
		return pl_error(d, -EINVAL, &p->pos,
				"spec.policy.defenseInDepth.appArmor.customProfile",
				"profileType Custom needs a customProfile");
	for (size_t i = 0; i < dd->n_apparmor_raw; i++)
		if (dd->apparmor_raw[i].rules && !braces_balanced(dd->apparmor_raw[i].rules))
			return pl_error(
			    d, -EINVAL, &dd->apparmor_raw[i].pos,
			    "spec.policy.defenseInDepth.appArmor.appArmorRawRules.rules",
			    "unbalanced braces: raw rules must not close or open the "
			    "profile they are added to");
	if (!braces_balanced(dd->apparmor_custom))
		return pl_error(d, -EINVAL, &p->pos,
				"spec.policy.defenseInDepth.appArmor.customProfile",
				"unbalanced braces in customProfile");
	if (is_full_profile(dd->apparmor_custom)) {
		const char *close = last_top_close(dd->apparmor_custom);

		if (dd->n_apparmor_raw && !close)
			return pl_error(d, -EINVAL, &p->pos,
					"spec.policy.defenseInDepth.appArmor.customProfile",
					"customProfile has no closing brace to add "
					"appArmorRawRules before");
		if (dd->allow_violations)
			pl_warning(d, &p->pos, "spec.policy.defenseInDepth.allowViolations",
				   "a complete customProfile is used as written: put "
				   "flags=(complain) in it (or load it with apparmor_parser -C) "
				   "for allowViolations to take effect");
		if (!strstr(dd->apparmor_custom, name))
			pl_warning(d, &p->pos, "spec.policy.defenseInDepth.appArmor.customProfile",
				   "the complete customProfile does not mention the profile name "
				   "'%s' the workload is attached to",
				   name);
		if (!dd->n_apparmor_raw) {
			fputs(dd->apparmor_custom, f);
			if (dd->apparmor_custom[strlen(dd->apparmor_custom) - 1] != '\n')
				fputc('\n', f);
			return 0;
		}
		/* As vArmor: the raw rules go before the profile's last top-level
		 * closing brace (after any hats or child profiles). */
		fwrite(dd->apparmor_custom, 1, (size_t)(close - dd->apparmor_custom), f);
		if (close > dd->apparmor_custom && close[-1] != '\n')
			fputc('\n', f);
		emit_raw_rules(f, dd);
		fputs(close, f);
		if (close[strlen(close) - 1] != '\n')
			fputc('\n', f);
		return 0;
	}
	/* A rule body: wrapped in the header; violations are logged (complain)
	 * when allowViolations is set. */
	emit_header(f, name, dd->allow_violations ? ",complain" : NULL);
	fputs("  # customProfile\n", f);
	emit_raw(f, 1, dd->apparmor_custom);
	emit_raw_rules(f, dd);
	fputs("}\n", f);
	return 0;
}

PL_EXPORT int pl_gen_apparmor(const struct pl_policy *p, const struct pl_gen_opts *o,
			      const char *name, char **ret_text, struct pl_diag *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int r = 0;

	if (!p || !ret_text)
		return pl_error(d, -EINVAL, NULL, NULL, "pl_gen_apparmor: invalid argument");
	if (!valid_name(name))
		return pl_error(d, -EINVAL, NULL, NULL,
				"AppArmor profile name '%s' is invalid (letters, digits, '-', '_', "
				"'.' only)",
				name ? name : "");
	f = open_memstream(&buf, &len);
	if (!f)
		return pl_error(d, -errno, NULL, NULL, "open_memstream: %m");

	switch (p->mode) {
	case PL_MODE_ALWAYS_ALLOW:
		emit_header(f, name, NULL);
		emit_base(f, 1, true, PL_ACTION_DENY);
		fputs("}\n", f);
		break;
	case PL_MODE_RUNTIME_DEFAULT:
		emit_header(f, name, NULL);
		emit_base(f, 1, false, pl_effective_action(PL_ACTION_DENY, o));
		fputs("}\n", f);
		break;
	case PL_MODE_ENHANCE_PROTECT:
		r = gen_enhance(f, p, o, name, d);
		break;
	case PL_MODE_BEHAVIOR_MODELING:
		/* An empty profile in complain mode: everything is allowed and logged. */
		emit_header(f, name, ",complain");
		fputs("}\n", f);
		break;
	case PL_MODE_DEFENSE_IN_DEPTH:
		r = gen_dind(f, p, name, d);
		break;
	default:
		r = pl_error(d, -EINVAL, &p->pos, "spec.policy.mode", "unknown mode %d",
			     (int)p->mode);
	}
	if (fclose(f) != 0 && r >= 0)
		r = pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret_text = buf;
	return 0;
}
