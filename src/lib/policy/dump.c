/* SPDX-License-Identifier: Apache-2.0 */
/* Deterministic text dump of a compiled policy (explain, golden tests). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>

#include "names.h"
#include "seccomp-json.h"
#include "plastron/plan.h"
#include "plastron/policy.h"
#include "shared/macro.h"

static void strv(FILE *out, const struct pl_strv *v)
{
	fputc('[', out);
	for (size_t i = 0; i < v->n; i++)
		fprintf(out, "%s%s", i ? ", " : "", v->v[i]);
	fputc(']', out);
}

static void selector(FILE *out, const struct pl_selector *s)
{
	fputc('{', out);
	for (size_t i = 0; i < s->n_match_labels; i++)
		fprintf(out, "%s%s=%s", i ? ", " : "", s->match_labels[i].key,
			s->match_labels[i].value);
	for (size_t i = 0; i < s->n_exprs; i++) {
		fprintf(out, "%s%s %s ", i || s->n_match_labels ? ", " : "", s->exprs[i].key,
			s->exprs[i].op);
		strv(out, &s->exprs[i].values);
	}
	fputc('}', out);
}

static void words(FILE *out, const struct pl_word *table, uint32_t bits, bool reverse)
{
	bool first = true;
	uint32_t left = bits;
	fputc('[', out);
	for (const struct pl_word *w = table; w->name && left; w++) {
		uint32_t b = reverse ? w->reverse : w->bits;
		/* single-purpose words only (skip "all", shorthands, aliases seen before) */
		if (!b || (b & (b - 1)) || !(left & b))
			continue;
		fprintf(out, "%s%s", first ? "" : ", ", w->name);
		first = false;
		left &= ~b;
	}
	if (left)
		fprintf(out, "%s0x%x", first ? "" : ", ", left);
	fputc(']', out);
}

static void file_perms(FILE *out, uint32_t perms)
{
	static const char *const names[] = { "read", "write", "append", "exec" };
	bool first = true;
	fputc('[', out);
	for (unsigned i = 0; i < 4; i++)
		if (perms & (1u << i)) {
			fprintf(out, "%s%s", first ? "" : ", ", names[i]);
			first = false;
		}
	fputc(']', out);
}

static void ports(FILE *out, const struct pl_port_range *p, size_t n)
{
	if (!n) {
		fputs("all ports", out);
		return;
	}
	fputs("ports ", out);
	for (size_t i = 0; i < n; i++) {
		if (p[i].end_port != p[i].port)
			fprintf(out, "%s%u-%u", i ? "," : "", p[i].port, p[i].end_port);
		else
			fprintf(out, "%s%u", i ? "," : "", p[i].port);
	}
}

static void pos(FILE *out, const struct pl_pos *p)
{
	if (p->line)
		fprintf(out, "  (line %u)", p->line);
}

static void apparmor_raw(FILE *out, const char *ind, const struct pl_apparmor_raw *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s- rules:", ind);
		const char *s = r[i].rules;
		while (*s) {
			const char *nl = strchr(s, '\n');
			size_t len = nl ? (size_t)(nl - s) : strlen(s);
			fprintf(out, "\n%s    %.*s", ind, (int)len, s);
			s += len;
			if (*s)
				s++;
		}
		fputc('\n', out);
		if (r[i].targets.n) {
			fprintf(out, "%s  targets: ", ind);
			strv(out, &r[i].targets);
			fputc('\n', out);
		}
	}
}

static void syscalls(FILE *out, const char *ind, const struct pl_sc_syscall *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "%s- names: [", ind);
		for (size_t j = 0; j < s[i].n_names; j++)
			fprintf(out, "%s%s", j ? ", " : "", s[i].names[j]);
		fprintf(out, "] action: %s", sc_action_name(s[i].action) ?: "invalid");
		if (s[i].has_errno_ret)
			fprintf(out, " errnoRet: %u", s[i].errno_ret);
		pos(out, &s[i].pos);
		fputc('\n', out);
		for (size_t j = 0; j < s[i].n_args; j++)
			fprintf(out, "%s    arg%u %s 0x%llx 0x%llx\n", ind, s[i].args[j].index,
				sc_op_name(s[i].args[j].op) ?: "invalid",
				(unsigned long long)s[i].args[j].value,
				(unsigned long long)s[i].args[j].value_two);
	}
}

static void egress_addr(FILE *out, const struct pl_egress_rule *e)
{
	char buf[INET6_ADDRSTRLEN];
	switch (e->kind) {
	case PL_ADDR_POD_SELF:
		fputs("pod-self", out);
		return;
	case PL_ADDR_UNSPECIFIED:
		fputs("unspecified (0.0.0.0, ::)", out);
		return;
	case PL_ADDR_LOCALHOST:
		fputs("localhost (127.0.0.1, ::1)", out);
		return;
	case PL_ADDR_ANY:
		fputs("any address (0.0.0.0/0, ::/0)", out);
		return;
	case PL_ADDR_CIDR:
		break;
	}
	if (!inet_ntop(e->family, e->addr, buf, sizeof(buf)))
		snprintf(buf, sizeof(buf), "?");
	fprintf(out, "%s/%u", buf, e->prefix_len);
}

static void rules(FILE *out, const struct pl_policy *p)
{
	const struct pl_enhance *e = &p->enhance;
	struct pl_plan *plan = NULL;
	uint32_t all = 0;
	for (int m = 0; m < PL_MECH__MAX; m++)
		all |= 1u << m;
	if (e->n_rules && pl_plan_build(p, all, &plan, NULL) < 0)
		plan = NULL;
	fprintf(out, "  rules: %zu\n", e->n_rules);
	for (size_t i = 0; i < e->n_rules; i++) {
		const struct pl_rule_use *u = &e->rules[i];
		fprintf(out, "    - %s [%s] %s", u->rule->id, pl_category_name(u->rule->category),
			pl_action_name(u->action));
		if (strcmp(u->written, u->rule->id))
			fprintf(out, " (written '%s')", u->written);
		pos(out, &u->pos);
		fputc('\n', out);
		if (u->rule->vs_varmor)
			fprintf(out, "        vs vArmor: %s\n", u->rule->vs_varmor);
		if (u->targets.n) {
			fputs("        targets: ", out);
			strv(out, &u->targets);
			fputc('\n', out);
		}
		const struct pl_plan_item *it = NULL;
		for (size_t j = 0; plan && j < plan->n; j++)
			if (plan->items[j].use == u)
				it = &plan->items[j];
		for (int m = 0; m < PL_MECH__MAX; m++) {
			const struct pl_translation *t =
			    it ? it->by[m] : pl_rule_translation(u->rule, (enum pl_mech)m);
			if (!t)
				continue;
			fprintf(out, "        %s: %s", pl_mech_name((enum pl_mech)m),
				pl_fidelity_name(t->fidelity));
			if (t->note)
				fprintf(out, " - %s", t->note);
			fputc('\n', out);
		}
		if (it && !it->enforced)
			fputs("        (not enforced by any mechanism)\n", out);
	}
	pl_plan_free(plan);
}

static void bpf(FILE *out, const struct pl_bpf_raw *b)
{
	if (b->n_files) {
		fprintf(out, "  bpfRawRules.files: %zu\n", b->n_files);
		for (size_t i = 0; i < b->n_files; i++) {
			fprintf(out, "    - %s %s ",
				b->files[i].from_processes ? "process" : "file",
				b->files[i].pattern);
			file_perms(out, b->files[i].perms);
			fprintf(out, " %s", pl_action_name(b->files[i].action));
			pos(out, &b->files[i].pos);
			fputc('\n', out);
		}
	}
	if (b->n_sockets) {
		fprintf(out, "  bpfRawRules.network.sockets: %zu\n", b->n_sockets);
		for (size_t i = 0; i < b->n_sockets; i++) {
			const struct pl_socket_rule *s = &b->sockets[i];
			fputs("    - domains [", out);
			if (!s->domains)
				fputs("all", out);
			for (int af = 0, first = 1; af < 64; af++)
				if (s->domains & (1ull << af)) {
					fprintf(out, "%s%s", first ? "" : ", ", pl_af_name(af));
					first = 0;
				}
			fputs("] types [", out);
			if (!s->types)
				fputs("all", out);
			for (int t = 0, first = 1; t < 32; t++)
				if (s->types & (1u << t)) {
					fprintf(out, "%s%s", first ? "" : ", ",
						pl_sock_type_name(t));
					first = 0;
				}
			fputs("] protocols ", out);
			if (!s->protocols)
				fputs("[all]", out);
			else
				words(out, pl_proto_words, s->protocols, false);
			fprintf(out, " %s", pl_action_name(s->action));
			pos(out, &s->pos);
			fputc('\n', out);
		}
	}
	if (b->n_egress) {
		fprintf(out, "  bpfRawRules.network.egress.toDestinations: %zu\n", b->n_egress);
		for (size_t i = 0; i < b->n_egress; i++) {
			fputs("    - ", out);
			egress_addr(out, &b->egress[i]);
			fputc(' ', out);
			ports(out, b->egress[i].ports, b->egress[i].n_ports);
			fprintf(out, " %s", pl_action_name(b->egress[i].action));
			pos(out, &b->egress[i].pos);
			fputc('\n', out);
		}
	}
	if (b->n_services) {
		fprintf(out, "  bpfRawRules.network.egress.toServices: %zu\n", b->n_services);
		for (size_t i = 0; i < b->n_services; i++) {
			const struct pl_egress_service *s = &b->services[i];
			fprintf(out, "    - namespace %s ",
				s->namespace_ ? s->namespace_ : "(all)");
			if (s->name)
				fprintf(out, "name %s", s->name);
			else {
				fputs("selector ", out);
				selector(out, s->selector);
			}
			fprintf(out, " %s", pl_action_name(s->action));
			pos(out, &s->pos);
			fputc('\n', out);
		}
	}
	if (b->n_pods) {
		fprintf(out, "  bpfRawRules.network.egress.toPods: %zu\n", b->n_pods);
		for (size_t i = 0; i < b->n_pods; i++) {
			const struct pl_egress_pod *s = &b->pods[i];
			fprintf(out, "    - namespace %s selector ",
				s->namespace_ ? s->namespace_ : "(all)");
			selector(out, s->selector);
			fputc(' ', out);
			ports(out, s->ports, s->n_ports);
			fprintf(out, " %s", pl_action_name(s->action));
			pos(out, &s->pos);
			fputc('\n', out);
		}
	}
	if (b->ptrace.present) {
		fprintf(out, "  bpfRawRules.ptrace: strictMode %s permissions ",
			b->ptrace.strict ? "true" : "false");
		words(out, pl_ptrace_perm_words, b->ptrace.perms, false);
		fprintf(out, " %s", pl_action_name(b->ptrace.action));
		pos(out, &b->ptrace.pos);
		fputc('\n', out);
	}
	if (b->n_mounts) {
		fprintf(out, "  bpfRawRules.mounts: %zu\n", b->n_mounts);
		for (size_t i = 0; i < b->n_mounts; i++) {
			const struct pl_mount_rule *m = &b->mounts[i];
			fprintf(out, "    - source %s fstype %s flags ", m->source_pattern,
				m->fstype);
			if (m->flags == 0xffffffffu)
				fputs("[all]", out);
			else
				words(out, pl_mount_flag_words, m->flags & ~(uint32_t)MS_REC,
				      false);
			if (m->flags != 0xffffffffu && (m->flags & MS_REC))
				fputs(" recursive", out);
			fputs(" absent ", out);
			words(out, pl_mount_flag_words, m->reverse_flags, true);
			fprintf(out, "%s %s", m->umount ? " umount" : "",
				pl_action_name(m->action));
			pos(out, &m->pos);
			fputc('\n', out);
		}
	}
}

static const char *profile_type_name(enum pl_profile_type t)
{
	switch (t) {
	case PL_PROFILE_NONE:
		return "none";
	case PL_PROFILE_BEHAVIOR_MODEL:
		return "BehaviorModel";
	case PL_PROFILE_CUSTOM:
		return "Custom";
	}
	return "?";
}

static void landlock(FILE *out, const struct pl_landlock *ll)
{
	fputs("plastron.landlock:\n", out);
	for (size_t i = 0; i < ll->n_paths; i++) {
		fprintf(out, "  - path %s access [", ll->paths[i].path);
		bool first = true;
		for (const struct pl_word *w = pl_ll_access_words; w->name; w++) {
			/* exact access rights only (shorthands come after them) */
			if (!strcmp(w->name, "read"))
				break;
			if (ll->paths[i].access & w->bits) {
				fprintf(out, "%s%s", first ? "" : ", ", w->name);
				first = false;
			}
		}
		fputc(']', out);
		pos(out, &ll->paths[i].pos);
		fputc('\n', out);
	}
	if (ll->restrict_net) {
		fputs("  network: bindTCP [", out);
		for (size_t i = 0; i < ll->n_bind_tcp; i++)
			fprintf(out, "%s%u", i ? ", " : "", ll->bind_tcp[i]);
		fputs("] connectTCP [", out);
		for (size_t i = 0; i < ll->n_connect_tcp; i++)
			fprintf(out, "%s%u", i ? ", " : "", ll->connect_tcp[i]);
		fputs("]\n", out);
	} else
		fputs("  network: unrestricted\n", out);
	fprintf(out, "  scopes: [%s%s%s]\n", ll->scope_abstract_unix ? "abstractUnixSocket" : "",
		ll->scope_abstract_unix && ll->scope_signal ? ", " : "",
		ll->scope_signal ? "signal" : "");
}

PL_EXPORT int pl_policy_dump(const struct pl_policy *p, FILE *out)
{
	static const char *const kinds[] = { "Deployment", "StatefulSet", "DaemonSet", "Pod" };
	fprintf(out, "%s %s", pl_policy_kind_name(p->kind), p->name ? p->name : "(unnamed)");
	if (p->kind == PL_KIND_VARMOR_POLICY)
		fprintf(out, " (namespace %s)", p->namespace_ ? p->namespace_ : "(default)");
	if (p->pos.file)
		fprintf(out, "  [%s:%u]", p->pos.file, p->pos.line);
	fputc('\n', out);
	fprintf(out, "target: %s ", (size_t)p->target.kind < 4 ? kinds[p->target.kind] : "?");
	if (p->target.name)
		fprintf(out, "name %s", p->target.name);
	else if (p->target.selector) {
		fputs("selector ", out);
		selector(out, p->target.selector);
	}
	fputs(" containers ", out);
	if (p->target.containers.n)
		strv(out, &p->target.containers);
	else
		fputs("(all)", out);
	fputc('\n', out);
	fprintf(out, "updateExistingWorkloads: %s\n",
		p->update_existing_workloads ? "true" : "false");
	fprintf(out, "enforcer: %s [", p->enforcer_text ? p->enforcer_text : "");
	static const char *const enf[] = { "apparmor", "bpf", "seccomp", "networkproxy" };
	for (unsigned i = 0, first = 1; i < 4; i++)
		if (p->enforcers & (1u << i)) {
			fprintf(out, "%s%s", first ? "" : ", ", enf[i]);
			first = 0;
		}
	fputs("]\n", out);
	fprintf(out, "mode: %s\n", pl_mode_name(p->mode));
	fprintf(out, "default action: %s\n", pl_action_name(p->default_action));
	if (p->mode == PL_MODE_BEHAVIOR_MODELING || p->modeling_duration)
		fprintf(out, "modelingOptions.duration: %u min\n", p->modeling_duration);

	const struct pl_enhance *e = &p->enhance;
	if (e->present) {
		fprintf(out, "enhanceProtect:%s\n",
			p->mode == PL_MODE_ENHANCE_PROTECT ? "" : " (ignored in this mode)");
		fprintf(out, "  privileged: %s\n  auditViolations: %s\n  allowViolations: %s\n",
			e->privileged ? "true" : "false", e->audit_violations ? "true" : "false",
			e->allow_violations ? "true" : "false");
		rules(out, p);
		if (e->n_apparmor_raw) {
			fprintf(out, "  appArmorRawRules: %zu\n", e->n_apparmor_raw);
			apparmor_raw(out, "    ", e->apparmor_raw, e->n_apparmor_raw);
		}
		bpf(out, &e->bpf);
		if (e->n_syscall_raw) {
			fprintf(out, "  syscallRawRules: %zu\n", e->n_syscall_raw);
			syscalls(out, "    ", e->syscall_raw, e->n_syscall_raw);
		}
		if (e->has_network_proxy_raw)
			fputs("  networkProxyRawRules: present (not enforced by plastron)\n", out);
	}
	const struct pl_dind *d = &p->dind;
	if (d->present) {
		fprintf(out, "defenseInDepth:%s\n",
			p->mode == PL_MODE_DEFENSE_IN_DEPTH ? "" : " (ignored in this mode)");
		fprintf(out, "  allowViolations: %s\n", d->allow_violations ? "true" : "false");
		fprintf(out, "  appArmor.profileType: %s\n", profile_type_name(d->apparmor_type));
		if (d->apparmor_custom)
			fprintf(out, "  appArmor.customProfile: %zu bytes\n",
				strlen(d->apparmor_custom));
		if (d->n_apparmor_raw) {
			fprintf(out, "  appArmor.appArmorRawRules: %zu\n", d->n_apparmor_raw);
			apparmor_raw(out, "    ", d->apparmor_raw, d->n_apparmor_raw);
		}
		fprintf(out, "  seccomp.profileType: %s\n", profile_type_name(d->seccomp_type));
		if (d->seccomp_custom)
			fprintf(out, "  seccomp.customProfile: %s default, %zu rules\n",
				sc_action_name(d->seccomp_custom->default_action) ?: "invalid",
				d->seccomp_custom->n_syscalls);
		if (d->n_syscall_raw) {
			fprintf(out, "  seccomp.syscallRawRules: %zu\n", d->n_syscall_raw);
			syscalls(out, "    ", d->syscall_raw, d->n_syscall_raw);
		}
		if (d->has_network_proxy)
			fputs("  networkProxy: present (not enforced by plastron)\n", out);
	}
	if (p->landlock.present)
		landlock(out, &p->landlock);
	if (p->n_skipped_syscalls)
		fprintf(out, "skipped syscalls (unknown to this build): %zu\n",
			p->n_skipped_syscalls);
	for (size_t i = 0; i < p->n_skipped_syscalls; i++) {
		const struct pl_sc_skipped *s = &p->skipped_syscalls[i];
		fprintf(out, "  %s  [%s]%s%s%s%s\n", s->name, s->field ? s->field : "",
			s->suggestion ? " did you mean '" : "", s->suggestion ? s->suggestion : "",
			s->suggestion ? "'" : "", s->rule_dropped ? " (its rule is dropped)" : "");
	}
	if (p->allow_unenforced)
		fputs("plastron.allowUnenforced: true\n", out);
	return ferror(out) ? -EIO : 0;
}
