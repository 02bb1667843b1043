/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Readable text form of a seccomp profile (like libseccomp's PFC, but of the
 * model): default, architectures, flags, then one line per syscall name of
 * each entry, e.g.
 *   socket(a0 == 38) -> ERRNO(EPERM) [copy-fail-mitigation]
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "plastron/gen.h"
#include "seccomp-internal.h"
#include "shared/macro.h"

static void put_errno(FILE *out, uint32_t e)
{
	const char *n = strerrorname_np((int)e);
	if (n)
		fputs(n, out);
	else
		fprintf(out, "%u", e);
}

static void put_action(FILE *out, enum pl_sc_action a, bool has_errno, uint32_t e)
{
	const char *n = sc_action_name(a);
	fputs(n ? n + strlen("SCMP_ACT_") : "?", out);
	if (a == PL_SC_ACT_ERRNO || (a == PL_SC_ACT_TRACE && has_errno)) {
		fputc('(', out);
		put_errno(out, has_errno ? e : EPERM);
		fputc(')', out);
	}
}

static void put_num(FILE *out, uint64_t v, bool hex)
{
	if (hex || v >= 4096)
		fprintf(out, "%#llx", (unsigned long long)v);
	else
		fprintf(out, "%llu", (unsigned long long)v);
}

static void put_arg(FILE *out, const struct pl_sc_arg *a)
{
	static const char *const ops[] = { "?", "!=", "<", "<=", "==", ">=", ">", "==" };
	fprintf(out, "a%u ", a->index);
	if (a->op == PL_SC_OP_MASKED_EQ) {
		fputs("& ", out);
		put_num(out, a->value, true);
		fputs(" == ", out);
		put_num(out, a->value_two, true);
		return;
	}
	fprintf(out, "%s ", a->op >= PL_SC_OP_NE && a->op <= PL_SC_OP_GT ? ops[a->op] : "?");
	put_num(out, a->value, false);
}

static void put_strv(FILE *out, char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? "," : "", v[i]);
}

static void put_filter(FILE *out, const char *what, const struct pl_sc_filter *f)
{
	fprintf(out, " {%s", what);
	if (f->n_caps) {
		fputs(" caps=", out);
		put_strv(out, f->caps, f->n_caps);
	}
	if (f->n_arches) {
		fputs(" arches=", out);
		put_strv(out, f->arches, f->n_arches);
	}
	if (f->min_kernel)
		fprintf(out, " minKernel=%s", f->min_kernel);
	fputc('}', out);
}

PL_EXPORT int pl_sc_profile_dump(const struct pl_sc_profile *p, FILE *out)
{
	if (!p || !out)
		return -EINVAL;
	fputs("default: ", out);
	int den = pl_errno_from_name(p->default_errno_name);
	if (!p->has_default_errno_ret && den > 0)
		put_action(out, p->default_action, true, (uint32_t)den);
	else
		put_action(out, p->default_action, p->has_default_errno_ret, p->default_errno_ret);
	fputc('\n', out);
	fputs("architectures: ", out);
	if (p->n_architectures)
		for (size_t i = 0; i < p->n_architectures; i++)
			fprintf(out, "%s%s", i ? " " : "", p->architectures[i]);
	else
		fputs("(native)", out);
	fputc('\n', out);
	for (size_t i = 0; i < p->n_arch_map; i++) {
		fprintf(out, "archMap: %s -> ", p->arch_map[i].arch);
		put_strv(out, p->arch_map[i].sub_arches, p->arch_map[i].n_sub_arches);
		fputc('\n', out);
	}
	fputs("flags:", out);
	if (!p->n_flags)
		fputs(" (none)", out);
	for (size_t i = 0; i < p->n_flags; i++)
		fprintf(out, " %s", p->flags[i]);
	fputc('\n', out);
	if (p->listener_path)
		fprintf(out, "listener: %s%s%s\n", p->listener_path,
			p->listener_metadata ? " metadata=" : "",
			p->listener_metadata ? p->listener_metadata : "");
	for (size_t i = 0; i < p->n_skipped; i++)
		fprintf(out, "skipped: %s (unknown to this build; %s)%s\n", p->skipped[i].name,
			p->skipped[i].field ? p->skipped[i].field : "?",
			p->skipped[i].rule_dropped ? ", its rule dropped" : "");
	for (size_t i = 0; i < p->n_syscalls; i++) {
		const struct pl_sc_syscall *sc = &p->syscalls[i];
		for (size_t j = 0; j < sc->n_names; j++) {
			fprintf(out, "%s(", sc->names[j]);
			for (size_t k = 0; k < sc->n_args; k++) {
				if (k)
					fputs(" && ", out);
				put_arg(out, &sc->args[k]);
			}
			fputs(") -> ", out);
			int en = pl_errno_from_name(sc->errno_name);
			if (!sc->has_errno_ret && en > 0)
				put_action(out, sc->action, true, (uint32_t)en);
			else
				put_action(out, sc->action, sc->has_errno_ret, sc->errno_ret);
			if (sc->has_includes)
				put_filter(out, "includes", &sc->includes);
			if (sc->has_excludes)
				put_filter(out, "excludes", &sc->excludes);
			if (sc->origin)
				fprintf(out, " [%s]", sc->origin);
			else if (sc->comment)
				fprintf(out, " # %s", sc->comment);
			fputc('\n', out);
		}
	}
	return ferror(out) ? -EIO : 0;
}
