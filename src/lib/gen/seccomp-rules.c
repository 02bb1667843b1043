/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seccomp generator's rules (seccomp-gen.c has the pipeline): the
 * built-in rules' translations, syscallRawRules (OCI entries with their
 * checks and warnings), ia32 socketcall twins, and a DefenseInDepth custom
 * profile taken as the base.
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

/* Push one rule entry; conditions on the same index are split into OR-ed
 * entries (cross product), so no entry holds two conditions on one index. */
static void push_split(struct gen *g, struct ent *e, const struct pl_sc_arg *args, size_t n)
{
	/* group conditions by index */
	size_t cnt[6] = { 0 };
	for (size_t i = 0; i < n; i++)
		cnt[args[i].index]++;
	size_t combos = 1;
	for (int i = 0; i < 6; i++)
		if (cnt[i])
			combos *= cnt[i];
	for (size_t c = 0; c < combos; c++) {
		size_t rest = c;
		e->n_args = 0;
		for (uint32_t idx = 0; idx < 6; idx++) {
			if (!cnt[idx])
				continue;
			size_t pick = rest % cnt[idx], seen = 0;
			rest /= cnt[idx];
			for (size_t i = 0; i < n; i++)
				if (args[i].index == idx && seen++ == pick)
					e->args[e->n_args++] = args[i];
		}
		scg_push(g, e);
	}
}

/* runc's reading of an OCI entry: several conditions on one index make every
 * condition a rule of its own. */
static void push_oci(struct gen *g, struct ent *e, const struct pl_sc_arg *args, size_t n)
{
	unsigned seen = 0;
	bool multi = false;
	for (size_t i = 0; i < n; i++) {
		if (seen & (1u << args[i].index))
			multi = true;
		seen |= 1u << args[i].index;
	}
	if (!multi) {
		e->n_args = (uint8_t)n;
		if (n)
			memcpy(e->args, args, n * sizeof(*args));
		scg_push(g, e);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		e->n_args = 1;
		e->args[0] = args[i];
		scg_push(g, e);
	}
}

/* ia32 reaches the socket calls through socketcall(2) too, whose arguments
 * sit in memory. A rule on one of them also gets an unconditional rule on
 * socketcall (broader on ia32, as the catalog's own translations do; 32-bit
 * libcs use the direct socket syscalls since Linux 4.3). The filter adds
 * socketcall entries first so libseccomp's derived socketcall(a0 == SYS_*)
 * rules give way to them. */
static const char *const socket_calls[] = {
	NULL,          "socket",     "bind",    "connect", "listen",  "accept",   "getsockname",
	"getpeername", "socketpair", "send",    "recv",    "sendto",  "recvfrom", "shutdown",
	"setsockopt",  "getsockopt", "sendmsg", "recvmsg", "accept4", "recvmmsg", "sendmmsg",
};

static void socketcall_twin(struct gen *g, const struct ent *e)
{
	for (size_t i = 1; i < PL_ARRAY_SIZE(socket_calls); i++) {
		if (strcmp(socket_calls[i], e->name))
			continue;
		struct ent t = *e;
		t.name = "socketcall";
		t.n_args = 0;
		scg_push(g, &t);
	}
}

static void action_for(struct gen *g, enum pl_action eff, int err, struct ent *e)
{
	switch (eff) {
	case PL_ACTION_DENY_LOG:
		g->log_flag = true;
		/* fall through */
	case PL_ACTION_DENY:
		e->act = PL_SC_ACT_ERRNO;
		e->has_errno = true;
		e->errno_ret = err ? (uint32_t)err : EPERM;
		break;
	case PL_ACTION_ALLOW_LOG:
		e->act = PL_SC_ACT_LOG;
		break;
	}
}

void scg_add_builtin(struct gen *g, const struct pl_policy *p, const struct pl_gen_opts *o)
{
	struct pl_plan *plan = NULL;
	int r = pl_plan_build(p, 1u << PL_MECH_SECCOMP, &plan, g->d);
	if (r < 0) {
		g->r = r;
		return;
	}
	for (size_t i = 0; i < plan->n; i++) {
		const struct pl_translation *tr = plan->items[i].by[PL_MECH_SECCOMP];
		const struct pl_rule_use *use = plan->items[i].use;
		if (!tr)
			continue;
		enum pl_action eff = pl_effective_action(use->action, o);
		for (size_t j = 0; j < tr->u.seccomp.n; j++) {
			const struct pl_tr_sc_rule *sr = &tr->u.seccomp.rules[j];
			struct ent e = { .name = sr->syscall,
					 .origin = use->rule->id,
					 .pos = use->pos,
					 .rule = true };
			/* An ENOSYS translation (clone3) keeps its errno: it must look
			 * unimplemented whatever the run mode says, except that audit
			 * modes log instead. */
			action_for(g, eff, sr->errno_ret, &e);
			if (!scg_name_relevant(sr->syscall))
				continue;
			push_split(g, &e, sr->args, sr->n_args);
			socketcall_twin(g, &e);
		}
	}
	pl_plan_free(plan);
}

/*
 * seccomp compares all 64 bits of an argument register; for an int argument
 * the kernel uses only the low 32. A denying rule that tests an int argument
 * with SCMP_CMP_EQ (or LT/LE, or a mask with upper bits) is bypassed by
 * setting upper bits: socket(0x100000026, ...) is AF_ALG to the kernel.
 * plastron keeps what syscallRawRules say (widening EQ v to
 * (a & 0xffffffff) == v would also deny v + k * 2^32 for arguments that are
 * really 64 bits: pointers, sizes, unsigned long flags, and plastron has no
 * per-syscall argument types) and warns instead.
 */
static void warn_upper_bits(struct gen *g, const struct pl_sc_syscall *sc, const char *field,
			    size_t i)
{
	if (!sc_action_denies(sc->action))
		return;
	for (size_t a = 0; a < sc->n_args; a++) {
		const struct pl_sc_arg *x = &sc->args[a];
		bool weak =
		    ((x->op == PL_SC_OP_EQ || x->op == PL_SC_OP_LE || x->op == PL_SC_OP_LT) &&
		     x->value <= 0xffffffffull) ||
		    (x->op == PL_SC_OP_MASKED_EQ && (x->value >> 32) && !(x->value_two >> 32));
		if (!weak)
			continue;
		char f[128];
		snprintf(f, sizeof(f), "%s[%zu].args[%zu]", field, i, a);
		pl_warning(
		    g->d, &sc->pos, f,
		    "%s on argument %u of '%s': if that argument is an int, the kernel "
		    "reads only its low 32 bits while seccomp compares all 64, so setting "
		    "upper bits bypasses this rule; use SCMP_CMP_MASKED_EQ with value "
		    "0xffffffff (4294967295) and valueTwo %llu",
		    sc_op_name(x->op), x->index, sc->n_names ? sc->names[0] : "?",
		    (unsigned long long)(x->op == PL_SC_OP_MASKED_EQ ? x->value_two : x->value));
	}
}

void scg_add_raw(struct gen *g, const struct pl_sc_syscall *raw, size_t n, const char *origin,
		 const char *field, const struct pl_gen_opts *o)
{
	for (size_t i = 0; i < n; i++) {
		const struct pl_sc_syscall *sc = &raw[i];
		enum pl_sc_action act = sc->action;
		if (sc_action_denies(act)) {
			if (o && (o->run_mode == PL_RUN_AUDIT || o->run_mode == PL_RUN_OBSERVE))
				act = PL_SC_ACT_LOG;
			else if (o && (o->run_mode == PL_RUN_ENFORCE || o->force_log))
				g->log_flag = true;
		}
		for (size_t j = 0; j < sc->n_names; j++) {
			char f[128];
			snprintf(f, sizeof(f), "%s[%zu].names[%zu]", field, i, j);
			if (sc_action_denies(act) && sc_is_never_deny(sc->names[j])) {
				g->r = pl_error(g->d, -EINVAL, &sc->pos, f,
						"'%s' can never be denied (the process could not "
						"exit or return from a signal)",
						sc->names[j]);
				continue;
			}
			int nr = sc_resolve(sc->names[j], SC_ARCH_X86_64);
			if (nr == -2) {
				g->r = pl_error(g->d, -EINVAL, &sc->pos, f, "unknown syscall '%s'",
						sc->names[j]);
				continue;
			}
			struct ent e = { .name = sc->names[j],
					 .act = act,
					 .has_errno = sc->has_errno_ret,
					 .errno_ret = sc->errno_ret,
					 .origin = origin,
					 .comment = sc->comment,
					 .pos = sc->pos,
					 .rule = true };
			if (act == PL_SC_ACT_ERRNO && !e.has_errno) {
				e.has_errno = true;
				e.errno_ret = EPERM;
			}
			push_oci(g, &e, sc->args, sc->n_args);
			socketcall_twin(g, &e);
		}
		warn_upper_bits(g, sc, field, i);
	}
}

void scg_base_custom(struct gen *g, const struct pl_sc_profile *c, bool allow_violations)
{
	struct pl_sc_profile *p = g->p;
	struct pl_arena *a = p->arena;
	p->default_action = allow_violations ? PL_SC_ACT_LOG : PL_SC_ACT_ERRNO;
	if (!allow_violations && c->default_action == PL_SC_ACT_ERRNO) {
		int en = pl_errno_from_name(c->default_errno_name);
		if (c->has_default_errno_ret) {
			p->has_default_errno_ret = true;
			p->default_errno_ret = c->default_errno_ret;
		} else if (en > 0) {
			p->has_default_errno_ret = true;
			p->default_errno_ret = (uint32_t)en;
		}
	}
	if (c->n_architectures) {
		p->n_architectures = c->n_architectures;
		p->architectures = pl_arena_alloc(a, c->n_architectures * sizeof(char *));
		for (size_t i = 0; i < c->n_architectures; i++)
			p->architectures[i] = pl_arena_strdup(a, c->architectures[i]);
	} else {
		scg_set_arches(g);
	}
	p->n_arch_map = c->n_arch_map;
	p->arch_map =
	    c->n_arch_map ? pl_arena_alloc(a, c->n_arch_map * sizeof(*p->arch_map)) : NULL;
	for (size_t i = 0; i < c->n_arch_map; i++) {
		p->arch_map[i].arch = pl_arena_strdup(a, c->arch_map[i].arch);
		p->arch_map[i].n_sub_arches = c->arch_map[i].n_sub_arches;
		p->arch_map[i].sub_arches =
		    pl_arena_alloc(a, (c->arch_map[i].n_sub_arches + 1) * sizeof(char *));
		for (size_t j = 0; j < c->arch_map[i].n_sub_arches; j++)
			p->arch_map[i].sub_arches[j] =
			    pl_arena_strdup(a, c->arch_map[i].sub_arches[j]);
	}
	p->n_flags = c->n_flags;
	p->flags = c->n_flags ? pl_arena_alloc(a, c->n_flags * sizeof(char *)) : NULL;
	for (size_t i = 0; i < c->n_flags; i++)
		p->flags[i] = pl_arena_strdup(a, c->flags[i]);
	p->listener_path = pl_arena_strdup(a, c->listener_path);
	p->listener_metadata = pl_arena_strdup(a, c->listener_metadata);
	for (size_t i = 0; i < c->n_syscalls; i++) {
		const struct pl_sc_syscall *sc = &c->syscalls[i];
		for (size_t j = 0; j < sc->n_names; j++) {
			if (sc_action_denies(sc->action) && sc_is_never_deny(sc->names[j])) {
				pl_warning(
				    g->d, &sc->pos, "spec.policy.defenseInDepth.seccomp",
				    "customProfile denies '%s', which plastron always allows",
				    sc->names[j]);
				continue;
			}
			if (sc_resolve(sc->names[j], SC_ARCH_X86_64) == -2) {
				char f[96];
				snprintf(f, sizeof(f), "customProfile.syscalls[%zu].names[%zu]", i,
					 j);
				g->r = pl_error(g->d, -EINVAL, &sc->pos, f, "unknown syscall '%s'",
						sc->names[j]);
				continue;
			}
			struct ent e = { .name = sc->names[j],
					 .act = sc->action,
					 .has_errno = sc->has_errno_ret,
					 .errno_ret = sc->errno_ret,
					 .origin = "defenseInDepth",
					 .comment = sc->comment,
					 .src = (sc->has_includes || sc->has_excludes) ? sc : NULL,
					 .pos = sc->pos };
			if (!e.has_errno && pl_errno_from_name(sc->errno_name) > 0) {
				e.has_errno = true;
				e.errno_ret = (uint32_t)pl_errno_from_name(sc->errno_name);
			}
			push_oci(g, &e, sc->args, sc->n_args);
		}
	}
}
