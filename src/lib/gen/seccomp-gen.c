/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy → seccomp profile (struct pl_sc_profile), for every mode: the
 * entry point (pl_gen_seccomp), observe mode and the output (grouping the
 * entries again). The bases are in seccomp-base.c, the rules in
 * seccomp-rules.c, the merge in seccomp-merge.c.
 *
 * The profile is first built as a flat list of one-name entries ("ents"):
 * the base (RuntimeDefault allow-list, AlwaysAllow, a DefenseInDepth custom
 * profile) and the rules (built-in translations, syscallRawRules). Then, per
 * syscall, the rules are merged into the base (see merge_syscall() in seccomp-merge.c) so that
 * the result means the same thing whichever order libseccomp (ours, or
 * runc's, which adds OCI entries one by one) sees the entries in. Finally
 * entries with the same action, arguments and origin are grouped again.
 *
 * libseccomp 2.5.4 facts this relies on (tests/seccomp/test-libseccomp.c):
 *  - an unconditional rule for a syscall wins over every conditional rule for
 *    it, whatever the order they were added in and whatever their actions;
 *  - two conditional rules with different actions that both match resolve
 *    in libseccomp's tree order, not by action severity;
 *  - one rule cannot hold two conditions on the same argument (EINVAL).
 * So a conditional rule on a syscall the base allows unconditionally would
 * be silently dropped. Instead the base entry is replaced by its
 * complement: "allowed where no rule matches", written with conditions that
 * never overlap the rules' own (and never two on one argument).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "plastron/gen.h"
#include "seccomp-gen-internal.h"
#include "seccomp-internal.h"
#include "shared/macro.h"

/* ---- output ------------------------------------------------------------------- */

static bool same_args(const struct ent *a, const struct ent *b)
{
	if (a->n_args != b->n_args)
		return false;
	for (size_t i = 0; i < a->n_args; i++)
		if (scg_arg_cmp(&a->args[i], &b->args[i]))
			return false;
	return true;
}

static bool same_group(const struct ent *a, const struct ent *b)
{
	return a->act == b->act && a->has_errno == b->has_errno &&
	       (!a->has_errno || a->errno_ret == b->errno_ret) && same_args(a, b) &&
	       a->src == b->src &&
	       (a->origin == b->origin ||
		!strcmp(a->origin ? a->origin : "", b->origin ? b->origin : "")) &&
	       (a->comment == b->comment ||
		!strcmp(a->comment ? a->comment : "", b->comment ? b->comment : ""));
}

static void copy_filter(struct pl_arena *a, struct pl_sc_filter *dst,
			const struct pl_sc_filter *src)
{
	dst->n_caps = src->n_caps;
	dst->caps = src->n_caps ? pl_arena_alloc(a, src->n_caps * sizeof(char *)) : NULL;
	for (size_t i = 0; dst->caps && i < src->n_caps; i++)
		dst->caps[i] = pl_arena_strdup(a, src->caps[i]);
	dst->n_arches = src->n_arches;
	dst->arches = src->n_arches ? pl_arena_alloc(a, src->n_arches * sizeof(char *)) : NULL;
	for (size_t i = 0; dst->arches && i < src->n_arches; i++)
		dst->arches[i] = pl_arena_strdup(a, src->arches[i]);
	dst->min_kernel = pl_arena_strdup(a, src->min_kernel);
}

static int emit(struct gen *g)
{
	struct pl_sc_profile *p = g->p;
	struct pl_arena *a = p->arena;
	/* Never-deny syscalls are allowed in every profile that does not
	 * allow by default; drop any entry that would deny them. */
	bool def_allows =
	    p->default_action == PL_SC_ACT_ALLOW || p->default_action == PL_SC_ACT_LOG;
	for (size_t i = 0; i < g->n; i++)
		if (!g->ents[i].dead && sc_is_never_deny(g->ents[i].name) &&
		    g->ents[i].act != PL_SC_ACT_ALLOW)
			g->ents[i].dead = true;
	for (size_t k = 0; sc_never_deny[k]; k++) {
		bool have = false;
		for (size_t i = 0; i < g->n && !have; i++)
			have = !g->ents[i].dead && !strcmp(g->ents[i].name, sc_never_deny[k]) &&
			       g->ents[i].n_args == 0;
		if (!have && (!def_allows || p->default_action == PL_SC_ACT_LOG)) {
			/* drop conditional allows for it, add an unconditional one */
			for (size_t i = 0; i < g->n; i++)
				if (!strcmp(g->ents[i].name, sc_never_deny[k]))
					g->ents[i].dead = true;
			if (scg_name_relevant(sc_never_deny[k]))
				scg_add_simple(g, sc_never_deny[k], PL_SC_ACT_ALLOW, 0,
					       "never-deny", NULL);
		}
	}
	if (g->r < 0)
		return g->r;
	/*
	 * Group: first occurrence order, names in order of appearance. Entries
	 * naming socketcall come first: runc (and libseccomp for ia32) derives
	 * socketcall(a0 == SYS_*) rules from socket-call entries, and two such
	 * derived rules with different actions make libseccomp fail with
	 * EEXIST ("error adding seccomp rule for syscall socket: file exists")
	 * unless an unconditional socketcall rule is already there, which makes
	 * libseccomp drop them.
	 */
	bool *done = calloc(g->n ? g->n : 1, sizeof(bool));
	if (!done)
		return pl_error(g->d, -ENOMEM, NULL, NULL, "out of memory");
	for (size_t pass_i = 0; pass_i < 2 * g->n; pass_i++) {
		size_t i = pass_i % g->n;
		bool first_pass = pass_i < g->n;
		if (done[i] || g->ents[i].dead ||
		    first_pass != !strcmp(g->ents[i].name, "socketcall"))
			continue;
		const struct ent *e = &g->ents[i];
		struct pl_sc_syscall *sc =
		    pl_arena_push(a, (void **)&p->syscalls, &p->n_syscalls, sizeof(*p->syscalls));
		if (!sc) {
			free(done);
			return pl_error(g->d, -ENOMEM, NULL, NULL, "out of memory");
		}
		sc->action = e->act;
		sc->has_errno_ret = e->has_errno;
		sc->errno_ret = e->errno_ret;
		sc->n_args = e->n_args;
		sc->args = e->n_args ? pl_arena_alloc(a, e->n_args * sizeof(*sc->args)) : NULL;
		if (e->n_args && !sc->args) {
			free(done);
			return pl_error(g->d, -ENOMEM, NULL, NULL, "out of memory");
		}
		if (e->n_args)
			memcpy(sc->args, e->args, e->n_args * sizeof(*sc->args));
		sc->origin = pl_arena_strdup(a, e->origin);
		sc->comment = e->comment ? pl_arena_strdup(a, e->comment)
					 : pl_arena_printf(a, "plastron: %s", e->origin);
		sc->pos = e->pos;
		if (e->src) {
			sc->has_includes = e->src->has_includes;
			sc->has_excludes = e->src->has_excludes;
			copy_filter(a, &sc->includes, &e->src->includes);
			copy_filter(a, &sc->excludes, &e->src->excludes);
		}
		for (size_t j = i; j < g->n; j++) {
			if (done[j] || g->ents[j].dead || !same_group(e, &g->ents[j]))
				continue;
			bool dup = false;
			for (size_t k = 0; k < sc->n_names && !dup; k++)
				dup = !strcmp(sc->names[k], g->ents[j].name);
			done[j] = true;
			if (dup)
				continue;
			char **slot =
			    pl_arena_push(a, (void **)&sc->names, &sc->n_names, sizeof(char *));
			if (slot)
				*slot = pl_arena_strdup(a, g->ents[j].name);
			if (!slot || !*slot) {
				if (slot)
					sc->n_names--;
				free(done);
				return pl_error(g->d, -ENOMEM, NULL, NULL, "out of memory");
			}
		}
	}
	free(done);
	if (g->log_flag) {
		bool have = false;
		for (size_t i = 0; i < p->n_flags; i++)
			have |= !strcmp(p->flags[i], "SECCOMP_FILTER_FLAG_LOG");
		if (!have) {
			/* p->flags may be an exact-size copy: reallocate */
			char **nf = pl_arena_alloc(a, (p->n_flags + 1) * sizeof(char *));
			if (!nf)
				return pl_error(g->d, -ENOMEM, NULL, NULL, "out of memory");
			if (p->n_flags)
				memcpy(nf, p->flags, p->n_flags * sizeof(char *));
			nf[p->n_flags++] = pl_arena_strdup(a, "SECCOMP_FILTER_FLAG_LOG");
			p->flags = nf;
		}
	}
	return 0;
}

/*
 * Observe mode records behaviour: every entry that allows becomes
 * SCMP_ACT_LOG (the rules' own denials already became LOG through
 * pl_effective_action / scg_add_raw: the policy is observed, not enforced).
 *
 * Left allowed without a record: the never-deny set, and the few calls a
 * workload makes in every loop iteration, whose records would drown the
 * audit log (and the kernel's audit rate limit) without saying anything a
 * policy could use: plain reads and writes on descriptors the workload
 * already holds, close, and futex. vArmor's BehaviorModeling leaves
 * open/openat/openat2/close/read/write alone because AppArmor records the
 * opens; plastron run has no AppArmor, so the opens are recorded here.
 *
 * The base's own denials stay: RuntimeDefault's EPERM for known syscalls
 * outside its allow-list and ENOSYS for unknown ones (a DefenseInDepth
 * custom profile's likewise). Every container gets that base whatever the
 * rules say, so the workload sees the same environment it will be
 * enforced in, and observing never runs it with less than the runtime
 * default.
 */
static const char *const observe_quiet[] = {
	"close", "futex", "futex_time64", "pread64", "pwrite64",
	"read",  "readv", "write",        "writev",  NULL,
};

/* A base that logs by default (AlwaysAllow, or privileged, in observe) lets
 * the quiet set through without a record too, unless the base itself has
 * an entry for the call. */
static void observe_quiet_base(struct gen *g)
{
	for (size_t k = 0; observe_quiet[k]; k++) {
		bool have = false;
		for (size_t i = 0; i < g->n && !have; i++)
			have = !g->ents[i].rule && !strcmp(g->ents[i].name, observe_quiet[k]);
		if (!have && scg_name_relevant(observe_quiet[k]))
			scg_add_simple(g, observe_quiet[k], PL_SC_ACT_ALLOW, 0, "observe", NULL);
	}
}

static void observe_allowed(struct gen *g)
{
	for (size_t i = 0; i < g->n; i++) {
		struct ent *e = &g->ents[i];
		if (e->dead || e->act != PL_SC_ACT_ALLOW || sc_is_never_deny(e->name))
			continue;
		bool quiet = false;
		for (size_t k = 0; observe_quiet[k] && !quiet; k++)
			quiet = !strcmp(observe_quiet[k], e->name);
		if (!quiet)
			e->act = PL_SC_ACT_LOG;
	}
}

/* The policy's skipped syscall names, for the profile's dump (the profile
 * may outlive the policy: copied into its arena). */
static void copy_skipped(struct pl_sc_profile *p, const struct pl_policy *pol)
{
	if (!pol->n_skipped_syscalls)
		return;
	p->skipped = pl_arena_alloc(p->arena, pol->n_skipped_syscalls * sizeof(*p->skipped));
	if (!p->skipped)
		return;
	for (size_t i = 0; i < pol->n_skipped_syscalls; i++) {
		const struct pl_sc_skipped *s = &pol->skipped_syscalls[i];
		p->skipped[i] = (struct pl_sc_skipped){
			.name = pl_arena_strdup(p->arena, s->name),
			.field = s->field ? pl_arena_strdup(p->arena, s->field) : NULL,
			.suggestion =
			    s->suggestion ? pl_arena_strdup(p->arena, s->suggestion) : NULL,
			.pos = { .line = s->pos.line, .col = s->pos.col },
			.rule_dropped = s->rule_dropped,
		};
	}
	p->n_skipped = pol->n_skipped_syscalls;
}

/* The capabilities RuntimeDefault's gated syscalls are allowed for: the
 * container's set (or the runtimes' default) minus what the rules drop. */
static uint64_t held_caps(const struct pl_policy *pol, const struct pl_gen_opts *o)
{
	uint64_t caps = o && o->caps_known ? o->caps : PL_CAPS_RUNTIME_DEFAULT;
	uint64_t drop = 0;
	if (pl_gen_caps(pol, o, &drop, NULL) < 0)
		return 0; /* unknown: no capability-gated syscall is allowed */
	return caps & ~drop;
}

PL_EXPORT int pl_gen_seccomp(const struct pl_policy *pol, const struct pl_gen_opts *o,
			     struct pl_sc_profile **ret, struct pl_diag *d)
{
	if (!pol || !ret)
		return pl_error(d, -EINVAL, NULL, NULL, "pl_gen_seccomp: invalid argument");
	struct gen g = { .p = sc_profile_new(), .d = d };
	if (!g.p)
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	bool observe = o && o->run_mode == PL_RUN_OBSERVE;

	switch (pol->mode) {
	case PL_MODE_ALWAYS_ALLOW:
		g.p->default_action = PL_SC_ACT_ALLOW;
		scg_set_arches(&g);
		break;
	case PL_MODE_RUNTIME_DEFAULT:
		scg_base_runtime_default(&g, held_caps(pol, o));
		scg_set_arches(&g);
		break;
	case PL_MODE_ENHANCE_PROTECT:
		if (pol->enhance.privileged)
			g.p->default_action = PL_SC_ACT_ALLOW;
		else
			scg_base_runtime_default(&g, held_caps(pol, o));
		scg_set_arches(&g);
		scg_add_builtin(&g, pol, o);
		scg_add_raw(&g, pol->enhance.syscall_raw, pol->enhance.n_syscall_raw,
			    "syscallRawRules", "spec.policy.enhanceProtect.syscallRawRules", o);
		break;
	case PL_MODE_BEHAVIOR_MODELING:
		g.p->default_action = PL_SC_ACT_LOG;
		scg_set_arches(&g);
		for (size_t i = 0; scg_modeling_allow[i]; i++)
			scg_add_simple(&g, scg_modeling_allow[i], PL_SC_ACT_ALLOW, 0,
				       "behavior-modeling", NULL);
		break;
	case PL_MODE_DEFENSE_IN_DEPTH:
		if (pol->dind.seccomp_type == PL_PROFILE_CUSTOM && pol->dind.seccomp_custom) {
			scg_base_custom(&g, pol->dind.seccomp_custom, pol->dind.allow_violations);
		} else if (pol->dind.seccomp_type == PL_PROFILE_BEHAVIOR_MODEL) {
			g.r = pl_error(
			    d, -ENOENT, &pol->pos, "spec.policy.defenseInDepth.seccomp.profileType",
			    "profileType BehaviorModel needs a behavior model, and plastron "
			    "has none for policy '%s' (use profileType Custom)",
			    pol->name ? pol->name : "?");
		} else {
			g.r =
			    pl_error(d, -EINVAL, &pol->pos, "spec.policy.defenseInDepth.seccomp",
				     "DefenseInDepth with the seccomp enforcer needs "
				     "defenseInDepth.seccomp (profileType Custom + customProfile)");
		}
		scg_add_raw(&g, pol->dind.syscall_raw, pol->dind.n_syscall_raw, "syscallRawRules",
			    "spec.policy.defenseInDepth.seccomp.syscallRawRules", o);
		break;
	default:
		g.r = pl_error(d, -EINVAL, &pol->pos, "spec.policy.mode", "unknown mode");
	}
	if (observe && g.p->default_action == PL_SC_ACT_ALLOW)
		g.p->default_action = PL_SC_ACT_LOG;
	if (observe && g.p->default_action == PL_SC_ACT_LOG && g.r >= 0)
		observe_quiet_base(&g);
	if (g.r >= 0) {
		scg_vsock_style(&g);
		scg_merge_all(&g);
	}
	if (observe) {
		observe_allowed(&g);
		/* the base's denials are part of the recorded behaviour */
		g.log_flag = true;
	}
	if (g.r >= 0)
		g.r = emit(&g);
	if (g.r >= 0)
		copy_skipped(g.p, pol);
	/* an allocation the builders did not check leaves the profile short */
	if (g.r >= 0 && pl_arena_failed(g.p->arena))
		g.r = pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	free(g.ents);
	if (g.r < 0) {
		pl_sc_profile_free(g.p);
		return g.r;
	}
	*ret = g.p;
	return 0;
}
