/* SPDX-License-Identifier: Apache-2.0 */
/*
 * syscallRawRules (enhanceProtect and defenseInDepth.seccomp): OCI
 * LinuxSyscall entries as YAML, decoded into struct pl_sc_syscall.
 */
#include <stdio.h>
#include <string.h>

#include "decode.h"
#include "seccomp-json.h"

/* ---- names this build does not know ------------------------------------ */

void dec_syscall_skipped(struct ctx *c, const struct pl_sc_skipped *s)
{
	struct pl_sc_skipped *slot = PUSH(c, c->p->skipped_syscalls, c->p->n_skipped_syscalls);
	if (!slot)
		return;
	*slot = *s;
	slot->name = dec_sdup(c, s->name);
	slot->field = dec_sdup(c, s->field);
	slot->suggestion = s->suggestion ? dec_sdup(c, s->suggestion) : NULL;
}

/* Warns about NAME (at N, PATH) and records it on the model: runc and crun
 * skip a name their libseccomp does not know (vArmor's own policies name
 * `sysctl`, no syscall on x86_64), and so does plastron. */
static void skip_unknown(struct ctx *c, const struct pl_node *n, const char *path, const char *nm)
{
	char sug[64];
	bool has = c->n_suggested < PL_MAX_SUGGESTIONS && pl_syscall_suggest(nm, sug, sizeof(sug));
	c->n_suggested++;
	dec_warn(c, n, path, "unknown syscall '%s' (not known to this build), skipped", nm);
	if (has)
		pl_diag_hint(c->d, "did you mean '%s'?", sug);
	struct pl_sc_skipped s = { .name = (char *)nm,
				   .field = (char *)path,
				   .suggestion = has ? sug : NULL,
				   .pos = n->pos };
	dec_syscall_skipped(c, &s);
}

/* ---- syscallRawRules (OCI LinuxSyscall) --------------------------------- */

static const char *const never_deny[] = { "exit",      "exit_group",      "rt_sigreturn",
					  "sigreturn", "restart_syscall", NULL };

void dec_syscall_raw(struct ctx *c, const struct pl_node *n, const char *path, const char *origin,
		     struct pl_sc_syscall **out, size_t *n_out)
{
	static const char *const keys[] = { "names", "action", "errnoRet", "args", NULL };
	static const char *const akeys[] = { "index", "value", "valueTwo", "op", NULL };
	char kp[PATH_LEN], ap[PATH_LEN], vp[PATH_LEN];
	for (struct map_iter mi = dec_maps_of(c, n, path, keys); dec_map_next(&mi);) {
		const struct pl_node *it = mi.item;
		const char *ip = mi.path;
		size_t errs = c->d->n_errors;
		struct pl_sc_syscall sc = { .origin = origin, .pos = it->pos };
		const struct pl_node *names = dec_require(c, it, ip, "names");
		const struct pl_node *act = dec_require(c, it, ip, "action");
		if (act) {
			const char *s = dec_get_str(c, act, dec_pkey(kp, ip, "action"));
			if (s) {
				sc.action = sc_action_from_name(s);
				if (sc.action == PL_SC_ACT_INVALID) {
					dec_err(c, act, kp, "unknown seccomp action '%s'", s);
					dec_hint_suggest(c, s, sc_action_names, 0);
				}
			}
		}
		bool denies = sc.action != PL_SC_ACT_ALLOW && sc.action != PL_SC_ACT_LOG &&
			      sc.action != PL_SC_ACT_INVALID;
		size_t n_unknown = 0;
		if (names && dec_is_type(c, names, dec_pkey(kp, ip, "names"), PL_NODE_SEQ)) {
			if (names->n_items == 0)
				dec_err(c, names, kp, "no syscall names given");
			for (size_t j = 0; j < names->n_items; j++) {
				const struct pl_node *nn = names->items[j];
				const char *nm = dec_get_str(c, nn, dec_pidx(vp, kp, j));
				if (!nm)
					continue;
				if (!*nm) {
					dec_err(c, nn, vp, "empty syscall name");
					continue;
				}
				if (!pl_syscall_known(nm)) {
					skip_unknown(c, nn, vp, nm);
					n_unknown++;
					continue;
				}
				if (denies)
					for (size_t k = 0; never_deny[k]; k++)
						if (!strcmp(never_deny[k], nm))
							dec_err(
							    c, nn, vp,
							    "'%s' can never be denied (the process "
							    "could not exit or return from a "
							    "signal)",
							    nm);
				char **slot = PUSH(c, sc.names, sc.n_names);
				if (slot)
					*slot = dec_sdup(c, nm);
			}
		}
		const struct pl_node *en = dec_get(it, "errnoRet");
		if (en) {
			uint32_t e = 0;
			if (dec_get_u32_range(c, en, dec_pkey(kp, ip, "errnoRet"), 0, 4095, &e)) {
				if (sc.action != PL_SC_ACT_ERRNO && sc.action != PL_SC_ACT_TRACE &&
				    sc.action != PL_SC_ACT_INVALID)
					dec_err(c, en, kp,
						"errnoRet applies only to SCMP_ACT_ERRNO and "
						"SCMP_ACT_TRACE");
				sc.has_errno_ret = true;
				sc.errno_ret = e;
			}
		}
		const struct pl_node *args = dec_get(it, "args");
		if (args && dec_is_type(c, args, dec_pkey(kp, ip, "args"), PL_NODE_SEQ)) {
			for (size_t j = 0; j < args->n_items; j++) {
				const struct pl_node *a = args->items[j];
				dec_pidx(ap, kp, j);
				if (!dec_is_type(c, a, ap, PL_NODE_MAP))
					continue;
				dec_check_keys(c, a, ap, akeys);
				struct pl_sc_arg arg = { 0 };
				const struct pl_node *x;
				if ((x = dec_require(c, a, ap, "index")))
					dec_get_u32_range(c, x, dec_pkey(vp, ap, "index"), 0, 5,
							  &arg.index);
				if ((x = dec_get(a, "value")))
					dec_get_u64(c, x, dec_pkey(vp, ap, "value"), &arg.value);
				if ((x = dec_get(a, "valueTwo")))
					dec_get_u64(c, x, dec_pkey(vp, ap, "valueTwo"),
						    &arg.value_two);
				if ((x = dec_require(c, a, ap, "op"))) {
					const char *s = dec_get_str(c, x, dec_pkey(vp, ap, "op"));
					if (s) {
						arg.op = sc_op_from_name(s);
						if (!arg.op) {
							dec_err(c, x, vp, "unknown comparison '%s'",
								s);
							dec_hint_suggest(c, s, sc_op_names, 0);
						}
					}
				}
				struct pl_sc_arg *slot = PUSH(c, sc.args, sc.n_args);
				if (slot)
					*slot = arg;
			}
		}
		if (n_unknown && !sc.n_names && c->d->n_errors == errs) {
			/* nothing left to filter: the whole rule goes, never widened */
			size_t ns = c->p->n_skipped_syscalls;
			for (size_t k = ns >= n_unknown ? ns - n_unknown : 0; k < ns; k++)
				c->p->skipped_syscalls[k].rule_dropped = true;
			dec_warn(c, it, ip,
				 "no syscall of this rule is known to this build: the rule is "
				 "dropped");
			continue;
		}
		KEEP(c, errs, *out, *n_out, sc);
	}
}
