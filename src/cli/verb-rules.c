/* SPDX-License-Identifier: Apache-2.0 */
/* plastron rules: list the built-in rule catalog as a table or as JSON. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plastron/catalog.h"

static void help(FILE *f)
{
	fprintf(f,
		"Usage: plastron rules [--json] [--category CATEGORY] [RULE...]\n\n"
		"List every vArmor built-in rule plastron knows, with the mechanisms that can\n"
		"enforce it and how closely each one matches the rule (exact, broader: also\n"
		"denies things the rule does not name, narrower: covers only part of it).\n"
		"Given RULE ids or aliases (any case, '_' or '-'), show those rules in detail.\n\n"
		"Options:\n"
		"  --json               print a JSON array with every detail of every translation\n"
		"  --category CATEGORY  only hardening, attack-protection or vul-mitigation\n"
		"  -h, --help           show this help\n\n"
		"Examples:\n"
		"  plastron rules\n"
		"  plastron rules --category vul-mitigation\n"
		"  plastron rules disallow-create-user-ns DISALLOW_LOAD_EBPF\n"
		"  plastron rules --json | jq -r '.[] | select(.translations[].mechanism == "
		"\"seccomp\") "
		"| .id'\n");
}

static const char *const perm_names[] = { "read", "write", "append", "exec" };

static json_t *strv_json(const char *const *v)
{
	json_t *a = json_array();

	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *caps_json(uint64_t mask)
{
	json_t *a = json_array();

	for (int c = 0; c <= PL_CAP_LAST; c++)
		if (mask & (1ull << c))
			json_array_append_new(a, json_string(pl_cap_name(c)));
	return a;
}

static const char *op_name(enum pl_sc_op op)
{
	switch (op) {
	case PL_SC_OP_NE:
		return "SCMP_CMP_NE";
	case PL_SC_OP_LT:
		return "SCMP_CMP_LT";
	case PL_SC_OP_LE:
		return "SCMP_CMP_LE";
	case PL_SC_OP_EQ:
		return "SCMP_CMP_EQ";
	case PL_SC_OP_GE:
		return "SCMP_CMP_GE";
	case PL_SC_OP_GT:
		return "SCMP_CMP_GT";
	case PL_SC_OP_MASKED_EQ:
		return "SCMP_CMP_MASKED_EQ";
	default:
		return "?";
	}
}

static json_t *bits_json(uint64_t mask, int max)
{
	json_t *a = json_array();

	for (int i = 0; i < max; i++)
		if (mask & (1ull << i))
			json_array_append_new(a, json_integer(i));
	return a;
}

static void add_seccomp(json_t *o, const struct pl_translation *t)
{
	json_t *a = json_array();

	for (size_t i = 0; i < t->u.seccomp.n; i++) {
		const struct pl_tr_sc_rule *r = &t->u.seccomp.rules[i];
		json_t *args = json_array();

		for (size_t k = 0; k < r->n_args; k++)
			json_array_append_new(args,
					      json_pack("{s:I, s:I, s:I, s:s}", "index",
							(json_int_t)r->args[k].index, "value",
							(json_int_t)r->args[k].value, "valueTwo",
							(json_int_t)r->args[k].value_two, "op",
							op_name(r->args[k].op)));
		json_array_append_new(a, json_pack("{s:s, s:i, s:o}", "name", r->syscall, "errno",
						   r->errno_ret ? r->errno_ret : 1, "args", args));
	}
	json_object_set_new(o, "syscalls", a);
}

static void add_cgroup(json_t *o, const struct pl_translation *t)
{
	if (t->u.cgroup.n_sockets) {
		json_t *a = json_array();

		for (size_t i = 0; i < t->u.cgroup.n_sockets; i++) {
			const struct pl_tr_socket *s = &t->u.cgroup.sockets[i];
			json_t *protos = json_array();

			if (s->protocols & PL_PROTO_ICMP)
				json_array_append_new(protos, json_string("icmp"));
			if (s->protocols & PL_PROTO_TCP)
				json_array_append_new(protos, json_string("tcp"));
			if (s->protocols & PL_PROTO_UDP)
				json_array_append_new(protos, json_string("udp"));
			json_array_append_new(
			    a, json_pack("{s:o, s:o, s:o}", "domains", bits_json(s->domains, 64),
					 "types", bits_json(s->types, 32), "protocols", protos));
		}
		json_object_set_new(o, "sockets", a);
	}
	if (t->u.cgroup.n_egress) {
		json_t *a = json_array();

		for (size_t i = 0; i < t->u.cgroup.n_egress; i++) {
			const struct pl_tr_egress *e = &t->u.cgroup.egress[i];

			json_array_append_new(a,
					      json_pack("{s:s, s:i, s:i}", "cidr", e->cidr, "port",
							e->port, "endPort", e->end_port));
		}
		json_object_set_new(o, "egress", a);
	}
	if (t->u.cgroup.sysctl_write)
		json_object_set_new(o, "sysctlWrite", strv_json(t->u.cgroup.sysctl_write));
	if (t->u.cgroup.n_devices) {
		json_t *a = json_array();

		for (size_t i = 0; i < t->u.cgroup.n_devices; i++) {
			const struct pl_tr_device *dv = &t->u.cgroup.devices[i];
			char type[2] = { dv->type, '\0' };

			json_array_append_new(a, json_pack("{s:s, s:i, s:i, s:s, s:b}", "type",
							   type, "major", dv->major, "minor",
							   dv->minor, "access", dv->access,
							   "hostDisks", dv->host_disks));
		}
		json_object_set_new(o, "devices", a);
	}
}

static void add_lsm(json_t *o, const struct pl_translation *t)
{
	if (t->u.lsm.n_paths) {
		json_t *a = json_array();

		for (size_t i = 0; i < t->u.lsm.n_paths; i++) {
			json_t *perms = json_array();

			for (size_t b = 0; b < 4; b++)
				if (t->u.lsm.paths[i].perms & (1u << b))
					json_array_append_new(perms, json_string(perm_names[b]));
			json_array_append_new(a, json_pack("{s:s, s:o}", "pattern",
							   t->u.lsm.paths[i].pattern, "permissions",
							   perms));
		}
		json_object_set_new(o, "paths", a);
	}
	if (t->u.lsm.n_mounts) {
		json_t *a = json_array();

		for (size_t i = 0; i < t->u.lsm.n_mounts; i++) {
			const struct pl_tr_mount *m = &t->u.lsm.mounts[i];

			json_array_append_new(a, json_pack("{s:s?, s:s?, s:s?, s:I, s:b}", "fstype",
							   m->fstype, "source", m->source, "target",
							   m->target, "flags", (json_int_t)m->flags,
							   "umount", m->umount));
		}
		json_object_set_new(o, "mounts", a);
	}
	if (t->u.lsm.caps)
		json_object_set_new(o, "capabilities", caps_json(t->u.lsm.caps));
}

static json_t *translation_json(const struct pl_translation *t)
{
	json_t *o = json_pack("{s:s, s:s}", "mechanism", pl_mech_name(t->mech), "fidelity",
			      pl_fidelity_name(t->fidelity));

	json_object_set_new(o, "note", t->note ? json_string(t->note) : json_null());
	switch (t->mech) {
	case PL_MECH_SECCOMP:
		add_seccomp(o, t);
		break;
	case PL_MECH_CAPS:
		json_object_set_new(o, "capabilities", caps_json(t->u.caps.drop));
		break;
	case PL_MECH_APPARMOR:
		json_object_set_new(o, "lines", strv_json(t->u.apparmor.lines));
		break;
	case PL_MECH_CGROUP_BPF:
		add_cgroup(o, t);
		break;
	case PL_MECH_BPF_LSM:
		add_lsm(o, t);
		break;
	default:
		break;
	}
	return o;
}

static json_t *rule_json(const struct pl_rule *r)
{
	const struct pl_rule_alias *al;
	size_t n_al;
	json_t *aliases = json_array(), *flags = json_array(), *trs = json_array();

	al = pl_catalog_aliases(&n_al);
	for (size_t i = 0; i < n_al; i++)
		if (!strcmp(al[i].id, r->id))
			json_array_append_new(aliases, json_string(al[i].alias));
	if (r->flags & PL_RULE_APPARMOR_TARGETS)
		json_array_append_new(flags, json_string("apparmor-targets"));
	if (r->flags & PL_RULE_PRIVILEGED_ONLY)
		json_array_append_new(flags, json_string("privileged-only"));
	if (r->flags & PL_RULE_NEEDS_K8S)
		json_array_append_new(flags, json_string("needs-kubernetes"));
	if (r->flags & PL_RULE_EXTENSION)
		json_array_append_new(flags, json_string("plastron-extension"));
	for (size_t i = 0; i < r->n_tr; i++)
		json_array_append_new(trs, translation_json(&r->tr[i]));
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "id", r->id, "category",
			 pl_category_name(r->category), "help", r->help, "aliases", aliases,
			 "flags", flags, "vsVarmor",
			 r->vs_varmor ? json_string(r->vs_varmor) : json_null(), "translations",
			 trs);
}

static void print_sc_rule(const struct pl_tr_sc_rule *r)
{
	static const char *const ops[] = {
		[PL_SC_OP_NE] = "!=", [PL_SC_OP_LT] = "<",  [PL_SC_OP_LE] = "<=",
		[PL_SC_OP_EQ] = "==", [PL_SC_OP_GE] = ">=", [PL_SC_OP_GT] = ">"
	};

	printf("    %s(", r->syscall);
	for (size_t k = 0; k < r->n_args; k++) {
		const struct pl_sc_arg *a = &r->args[k];

		if (k)
			printf(" && ");
		if (a->op == PL_SC_OP_MASKED_EQ)
			printf("A%u & %#llx == %#llx", a->index, (unsigned long long)a->value,
			       (unsigned long long)a->value_two);
		else
			printf("A%u %s %#llx", a->index,
			       a->op < PL_SC_OP_MASKED_EQ && ops[a->op] ? ops[a->op] : "?",
			       (unsigned long long)a->value);
	}
	printf(") -> errno %d\n", r->errno_ret ? r->errno_ret : 1);
}

static void print_caps(const char *label, uint64_t mask)
{
	printf("    %s", label);
	for (int c = 0; c <= PL_CAP_LAST; c++)
		if (mask & (1ull << c))
			printf(" %s", pl_cap_name(c));
	putchar('\n');
}

static void print_detail(const struct pl_rule *r)
{
	const struct pl_rule_alias *al;
	size_t n_al;

	printf("%s (%s)\n  %s\n", r->id, pl_category_name(r->category), r->help);
	al = pl_catalog_aliases(&n_al);
	for (size_t i = 0; i < n_al; i++)
		if (!strcmp(al[i].id, r->id))
			printf("  alias: %s\n", al[i].alias);
	if (r->flags & PL_RULE_APPARMOR_TARGETS)
		printf("  honours attackProtectionRules targets (AppArmor child profiles)\n");
	if (r->flags & PL_RULE_PRIVILEGED_ONLY)
		printf("  vArmor's BPF enforcer applies it only with privileged: true\n");
	if (r->flags & PL_RULE_NEEDS_K8S)
		printf("  needs the Kubernetes API to resolve addresses\n");
	if (r->vs_varmor)
		printf("  vs vArmor: %s\n", r->vs_varmor);
	for (size_t t = 0; t < r->n_tr; t++) {
		const struct pl_translation *tr = &r->tr[t];

		printf("  %s (%s)%s%s\n", pl_mech_name(tr->mech), pl_fidelity_name(tr->fidelity),
		       tr->note ? ": " : "", tr->note ? tr->note : "");
		switch (tr->mech) {
		case PL_MECH_SECCOMP:
			for (size_t k = 0; k < tr->u.seccomp.n; k++)
				print_sc_rule(&tr->u.seccomp.rules[k]);
			break;
		case PL_MECH_CAPS:
			print_caps("drop:", tr->u.caps.drop);
			break;
		case PL_MECH_APPARMOR:
			for (size_t l = 0; tr->u.apparmor.lines[l]; l++)
				printf("    %s,\n", tr->u.apparmor.lines[l]);
			break;
		case PL_MECH_CGROUP_BPF:
			for (size_t k = 0; k < tr->u.cgroup.n_sockets; k++)
				printf("    sock_create: domains %#llx types %#x protocols %#x\n",
				       (unsigned long long)tr->u.cgroup.sockets[k].domains,
				       tr->u.cgroup.sockets[k].types,
				       tr->u.cgroup.sockets[k].protocols);
			for (size_t k = 0; k < tr->u.cgroup.n_egress; k++)
				printf("    connect/sendmsg: %s\n", tr->u.cgroup.egress[k].cidr);
			for (size_t k = 0;
			     tr->u.cgroup.sysctl_write && tr->u.cgroup.sysctl_write[k]; k++)
				printf("    sysctl write: %s\n", tr->u.cgroup.sysctl_write[k]);
			for (size_t k = 0; k < tr->u.cgroup.n_devices; k++)
				printf("    device: %c %s%s\n", tr->u.cgroup.devices[k].type,
				       tr->u.cgroup.devices[k].access,
				       tr->u.cgroup.devices[k].host_disks ? " (each host disk)"
									  : "");
			break;
		case PL_MECH_BPF_LSM:
			for (size_t k = 0; k < tr->u.lsm.n_paths; k++) {
				printf("    path %s:", tr->u.lsm.paths[k].pattern);
				for (size_t b = 0; b < 4; b++)
					if (tr->u.lsm.paths[k].perms & (1u << b))
						printf(" %s", perm_names[b]);
				putchar('\n');
			}
			for (size_t k = 0; k < tr->u.lsm.n_mounts; k++) {
				const struct pl_tr_mount *m = &tr->u.lsm.mounts[k];

				printf("    %s fstype=%s source=%s target=%s flags=%#x\n",
				       m->umount ? "umount" : "mount", m->fstype ? m->fstype : "*",
				       m->source ? m->source : "*", m->target ? m->target : "*",
				       m->flags);
			}
			if (tr->u.lsm.caps)
				print_caps("capable:", tr->u.lsm.caps);
			break;
		default:
			break;
		}
	}
}

static int show_rules(char **ids, int n, bool json)
{
	json_t *a = json ? json_array() : NULL;
	int rc = CLI_OK;

	for (int i = 0; i < n; i++) {
		const struct pl_rule *r = pl_catalog_find(ids[i]);

		if (!r) {
			size_t nr;
			const struct pl_rule *all = pl_catalog_rules(&nr);
			const char **cands = calloc(nr + 1, sizeof(*cands));
			const char *best = NULL;

			if (cands) {
				for (size_t k = 0; k < nr; k++)
					cands[k] = all[k].id;
				best = pl_suggest(ids[i], cands, nr);
			}
			fprintf(stderr, "plastron rules: unknown rule '%s'%s%s%s\n", ids[i],
				best ? " (did you mean '" : "", best ? best : "",
				best ? "'?)" : "");
			free(cands);
			rc = CLI_USAGE;
			continue;
		}
		if (json)
			json_array_append_new(a, rule_json(r));
		else
			print_detail(r);
	}
	if (json) {
		char *s = rc == CLI_OK ? json_dumps(a, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;

		json_decref(a);
		if (s)
			puts(s);
		free(s);
	}
	return rc;
}

static int print_json(const struct pl_rule *rules, size_t n, int cat)
{
	json_t *a = json_array();
	char *s;

	for (size_t i = 0; i < n; i++)
		if (cat < 0 || (int)rules[i].category == cat)
			json_array_append_new(a, rule_json(&rules[i]));
	s = json_dumps(a, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(a);
	if (!s) {
		fprintf(stderr, "plastron rules: out of memory\n");
		return cli_status(-ENOMEM, NULL);
	}
	puts(s);
	free(s);
	return CLI_OK;
}

static void print_table(const struct pl_rule *rules, size_t n, int cat)
{
	size_t w = strlen("RULE");

	for (size_t i = 0; i < n; i++)
		if ((cat < 0 || (int)rules[i].category == cat) && strlen(rules[i].id) > w)
			w = strlen(rules[i].id);
	printf("%-*s  %-17s  %s\n", (int)w, "RULE", "CATEGORY", "MECHANISMS");
	for (size_t i = 0; i < n; i++) {
		const struct pl_rule *r = &rules[i];

		if (cat >= 0 && (int)r->category != cat)
			continue;
		printf("%-*s  %-17s ", (int)w, r->id, pl_category_name(r->category));
		for (size_t t = 0; t < r->n_tr; t++) {
			const struct pl_translation *tr = &r->tr[t];

			printf(" %s", pl_mech_name(tr->mech));
			if (tr->fidelity != PL_FID_EXACT)
				printf("(%s)", pl_fidelity_name(tr->fidelity));
		}
		if (r->flags & PL_RULE_NEEDS_K8S)
			printf("  [needs Kubernetes]");
		putchar('\n');
	}
}

int verb_rules(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "category", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	bool json = false;
	int cat = -1, c;
	const struct pl_rule *rules;
	size_t n;

	optind = 1;
	while ((c = getopt_long(argc, argv, "jc:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'c':
			cat = -1;
			for (int k = 0; k < PL_CAT__MAX; k++)
				if (!strcmp(optarg, pl_category_name((enum pl_category)k)))
					cat = k;
			if (cat < 0) {
				fprintf(stderr,
					"plastron rules: unknown category '%s' (hardening, "
					"attack-protection, vul-mitigation)\n",
					optarg);
				return CLI_USAGE;
			}
			break;
		case 'h':
			help(stdout);
			return CLI_OK;
		default:
			help(stderr);
			return CLI_USAGE;
		}
	}
	if (optind < argc)
		return show_rules(argv + optind, argc - optind, json);
	rules = pl_catalog_rules(&n);
	if (json)
		return print_json(rules, n, cat);
	print_table(rules, n, cat);
	return CLI_OK;
}
