/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The file and exec patterns of a policy, for the enforcers that match
 * paths (BPF-LSM, the fanotify fallback): the BPF-LSM path translations of
 * its built-in rules and its bpfRawRules files and processes, each with the
 * permission bits it denies and audits under the effective action, compiled
 * into one path automaton (plastron/glob.h). Rule i of the automaton is
 * names[i] in the events: a built-in rule's id, or the raw rule's field.
 *
 * Like the caps generator, only EnhanceProtect has these rules; a rule
 * restricted to some executables (targets: AppArmor only) is not carried
 * here. An allow+log rule audits (nothing denied), a deny rule denies, a
 * deny+log rule denies and reports.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plastron/gen.h"
#include "shared/macro.h"

struct acc {
	struct pl_glob_rule *rules;
	char **names;
	size_t n, cap;
};

static int push(struct acc *a, const char *pattern, uint32_t perms, enum pl_action act,
		const char *name)
{
	if (a->n == a->cap) {
		size_t nc = a->cap ? 2 * a->cap : 32;
		struct pl_glob_rule *nr = realloc(a->rules, nc * sizeof(*nr));
		if (nr)
			a->rules = nr;
		char **nn = nr ? realloc(a->names, nc * sizeof(*nn)) : NULL;
		if (!nn)
			return -ENOMEM;
		a->names = nn;
		a->cap = nc;
	}
	char *dup = strdup(name);
	if (!dup)
		return -ENOMEM;
	/* write implies append, as vArmor's permission words say */
	if (perms & PL_PERM_WRITE)
		perms |= PL_PERM_APPEND;
	a->names[a->n] = dup;
	a->rules[a->n] = (struct pl_glob_rule){
		.pattern = pattern,
		.deny = act == PL_ACTION_ALLOW_LOG ? 0 : perms,
		.audit = act == PL_ACTION_DENY ? 0 : perms,
		.rule = (uint32_t)a->n,
	};
	a->n++;
	return 0;
}

PL_EXPORT void pl_file_patterns_free(struct pl_file_patterns *fp)
{
	if (!fp)
		return;
	for (size_t i = 0; i < fp->n; i++)
		free(fp->names[i]);
	free(fp->names);
	free(fp->rules);
	pl_glob_free(fp->dfa);
	free(fp);
}

PL_EXPORT int pl_gen_file_patterns(const struct pl_policy *p, const struct pl_gen_opts *o,
				   const struct pl_glob_opts *go, struct pl_file_patterns **ret,
				   struct pl_diag *d)
{
	struct acc a = { 0 };
	int r = 0;

	if (!p || !ret)
		return pl_error(d, -EINVAL, NULL, NULL, "pl_gen_file_patterns: invalid argument");
	*ret = NULL;
	for (size_t i = 0; r == 0 && p->mode == PL_MODE_ENHANCE_PROTECT && i < p->enhance.n_rules;
	     i++) {
		const struct pl_rule_use *use = &p->enhance.rules[i];
		const struct pl_translation *tr =
		    use->rule ? pl_rule_translation(use->rule, PL_MECH_BPF_LSM) : NULL;
		if (!tr || use->targets.n)
			continue;
		enum pl_action act = pl_effective_action(use->action, o);
		for (size_t k = 0; r == 0 && k < tr->u.lsm.n_paths; k++)
			r = push(&a, tr->u.lsm.paths[k].pattern, tr->u.lsm.paths[k].perms, act,
				 use->rule->id);
	}
	const struct pl_bpf_raw *b = &p->enhance.bpf;
	size_t n_files = 0, n_procs = 0;
	for (size_t i = 0; r == 0 && p->mode == PL_MODE_ENHANCE_PROTECT && i < b->n_files; i++) {
		const struct pl_file_rule *f = &b->files[i];
		char name[96];
		snprintf(name, sizeof(name), "bpfRawRules.%s[%zu]",
			 f->from_processes ? "processes" : "files",
			 f->from_processes ? n_procs++ : n_files++);
		r = push(&a, f->pattern, f->perms, pl_effective_action(f->action, o), name);
	}
	struct pl_file_patterns *fp = r == 0 ? calloc(1, sizeof(*fp)) : NULL;
	if (r == 0 && !fp)
		r = -ENOMEM;
	if (r == -ENOMEM)
		pl_error(d, r, NULL, NULL, "out of memory");
	if (r == 0) {
		fp->rules = a.rules;
		fp->names = a.names;
		fp->n = a.n;
		a = (struct acc){ 0 };
		if (fp->n)
			r = pl_glob_compile(fp->rules, fp->n, go, &fp->dfa, d);
	}
	for (size_t i = 0; i < a.n; i++)
		free(a.names[i]);
	free(a.names);
	free(a.rules);
	if (r < 0) {
		pl_file_patterns_free(fp);
		return r;
	}
	*ret = fp;
	return 0;
}
