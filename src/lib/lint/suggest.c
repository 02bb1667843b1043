/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plastron lint --suggest-policy: the EnhanceProtect VarmorPolicy for one
 * linted workload (issue 13, item 4; the static half of vArmor's policy
 * advisor). Its target is the workload; its rules are a base that closes
 * known escapes without taking anything a workload declares, plus the
 * rules that limit what the workload's findings say it keeps
 * (mitigate.c), minus any that conflicts with a capability it adds; each
 * rule comes with the reason it is there. The text passes `plastron check`
 * (tests/lint).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plastron/catalog.h"
#include "plastron/lint.h"
#include "shared/macro.h"

/* Closes a known escape; a normal workload uses none of what it takes. */
static const struct {
	const char *rule, *why, *unless_cap; /* unless the workload adds that capability */
} base[] = {
	{ "disallow-write-core-pattern", "core_pattern escape (seed 000)", NULL },
	{ "disallow-write-release-agent", "cgroup release_agent escape (seed 000)", NULL },
	{ "runc-override-mitigation", "overwriting the host's runc (CVE-2019-5736)", NULL },
	{ "dirty-pipe-mitigation", "Dirty Pipe (CVE-2022-0847)", NULL },
	{ "disallow-insmod", "loading kernel modules", "SYS_MODULE" },
	{ "disallow-load-all-bpf-prog", "loading BPF programs", "BPF" },
};

struct pick {
	const char *rule, *why;
	const struct pl_lint_finding *f; /* the finding it limits, or NULL (base) */
};

static bool has_cap(const struct pl_lint_report *r, size_t w, const char *cap)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct pl_lint_finding *f = &r->findings[i];
		if (f->workload == w && f->detail &&
		    !strcmp(f->check->id, "dangerous-capability") &&
		    (!strcmp(f->detail, cap) || !strcmp(f->detail, "ALL")))
			return true;
	}
	return false;
}

static void add(struct pick *v, size_t *n, size_t cap, const char *rule, const char *why,
		const struct pl_lint_finding *f)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(v[i].rule, rule))
			return;
	if (*n < cap)
		v[(*n)++] = (struct pick){ rule, why, f };
}

static void list(FILE *out, const char *indent, const struct pick *v, size_t n,
		 enum pl_category cat)
{
	for (size_t i = 0; i < n; i++) {
		const struct pl_rule *rule = pl_catalog_find(v[i].rule);
		if (!rule || rule->category != cat)
			continue;
		if (v[i].f)
			fprintf(out, "%s- %s # limits %s (line %u)\n", indent, v[i].rule,
				v[i].f->check->id, v[i].f->pos.line);
		else
			fprintf(out, "%s- %s # %s\n", indent, v[i].rule, v[i].why);
	}
}

static bool any(const struct pick *v, size_t n, enum pl_category cat)
{
	for (size_t i = 0; i < n; i++) {
		const struct pl_rule *rule = pl_catalog_find(v[i].rule);
		if (rule && rule->category == cat)
			return true;
	}
	return false;
}

PL_EXPORT int pl_lint_suggest_policy(const struct pl_lint_report *r, size_t w, char **ret)
{
	struct pick v[64];
	size_t n = 0;
	char *text = NULL;
	size_t len = 0;

	if (!r || w >= r->n_workloads || !ret)
		return -EINVAL;
	*ret = NULL;
	const struct pl_lint_workload *wl = &r->workloads[w];
	for (size_t i = 0; i < PL_ARRAY_SIZE(base); i++)
		if (!base[i].unless_cap || !has_cap(r, w, base[i].unless_cap))
			add(v, &n, PL_ARRAY_SIZE(v), base[i].rule, base[i].why, NULL);
	for (size_t i = 0; i < r->n; i++) {
		const struct pl_lint_finding *f = &r->findings[i];
		const char *why = NULL;
		const char *const *m = f->workload == w ? pl_lint_mitigations(f, &why) : NULL;
		for (size_t k = 0; m && m[k]; k++)
			if (!((!strcmp(m[k], "disallow-insmod") && has_cap(r, w, "SYS_MODULE")) ||
			      (strstr(m[k], "bpf") && has_cap(r, w, "BPF"))))
				add(v, &n, PL_ARRAY_SIZE(v), m[k], why, f);
	}
	FILE *out = open_memstream(&text, &len);
	if (!out)
		return -ENOMEM;
	fprintf(out,
		"# Suggested by plastron lint for %s '%s' (%s:%u): closes known escapes and limits "
		"what its findings say it keeps; each rule says why.\n",
		wl->kind, wl->name, wl->pos.file ? wl->pos.file : "-", wl->pos.line);
	fprintf(out, "apiVersion: crd.varmor.org/v1beta1\nkind: VarmorPolicy\nmetadata:\n");
	fprintf(out, "  name: %s-lint\n  namespace: %s\n", *wl->name ? wl->name : "workload",
		wl->namespace_ ? wl->namespace_ : "default");
	fprintf(out, "spec:\n  target:\n    kind: %s\n    name: %s\n", wl->kind,
		*wl->name ? wl->name : "workload");
	fprintf(out,
		"  policy:\n    # seccomp and cgroup-BPF carry some rules, AppArmor or BPF-LSM the "
		"file rules: on a node\n    # with neither, the agent refuses the policy "
		"unless spec.plastron.allowUnenforced\n");
	fprintf(out, "    enforcer: AppArmorBPFSeccomp\n    mode: EnhanceProtect\n");
	fprintf(out, "    enhanceProtect:\n");
	if (any(v, n, PL_CAT_HARDENING)) {
		fputs("      hardeningRules:\n", out);
		list(out, "      ", v, n, PL_CAT_HARDENING);
	}
	if (any(v, n, PL_CAT_ATTACK_PROTECTION)) {
		fputs("      attackProtectionRules:\n      - rules:\n", out);
		list(out, "        ", v, n, PL_CAT_ATTACK_PROTECTION);
	}
	if (any(v, n, PL_CAT_VUL_MITIGATION)) {
		fputs("      vulMitigationRules:\n", out);
		list(out, "      ", v, n, PL_CAT_VUL_MITIGATION);
	}
	if (fclose(out) != 0) {
		free(text);
		return -ENOMEM;
	}
	*ret = text;
	return 0;
}
