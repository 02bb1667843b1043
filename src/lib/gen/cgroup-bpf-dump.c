/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup-BPF rule tables as text (pl_bpf_tables_dump: `plastron compile
 * --enforcer cgroup-bpf`, the golden files and the tests).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>

#include "cgroup-bpf-internal.h"
#include "shared/macro.h"

static void dump_num(FILE *out, const char *name, uint32_t v)
{
	if (name)
		fputs(name, out);
	else
		fprintf(out, "%u", v);
}

static void dump_devnum(FILE *out, uint32_t v)
{
	if (v == PL_BPF_ANY)
		fputc('*', out);
	else
		fprintf(out, "%u", v);
}

PL_EXPORT int pl_bpf_tables_dump(const struct pl_bpf_tables *t, FILE *out)
{
	static const char *const acc[3] = { "mknod", "read", "write" };

	if (!t || !out)
		return -EINVAL;
	fprintf(out, "rules:\n");
	for (size_t i = 0; i < t->n_rules; i++)
		fprintf(out, "  #%zu %s\n", i, t->rules[i]);
	fprintf(out, "sock_create:\n");
	for (size_t i = 0; i < t->n_sock; i++) {
		const struct pl_bpf_sock_entry *e = &t->sock[i];
		fprintf(out, "  %s ", pl_cgb_family_name(e->family));
		dump_num(out, pl_cgb_type_name(e->type), e->type);
		fputc(' ', out);
		dump_num(out, pl_cgb_proto_name(e->protocol), e->protocol);
		fprintf(out, " -> %s #%u\n", pl_bpf_act_name(e->action), e->rule);
	}
	fprintf(out, "egress:\n");
	for (size_t i = 0; i < t->n_egress; i++) {
		const struct pl_bpf_egress_entry *e = &t->egress[i];
		char a[INET6_ADDRSTRLEN];

		inet_ntop(e->family, e->addr, a, sizeof(a));
		fprintf(out, "  %s/%u ->", a, e->prefix_len);
		for (size_t k = 0; k < e->n; k++) {
			const struct pl_bpf_port_range *r = &e->r[k];
			if (r->lo == 0 && r->hi == 65535)
				fprintf(out, " all");
			else if (r->lo == r->hi)
				fprintf(out, " %u", r->lo);
			else
				fprintf(out, " %u-%u", r->lo, r->hi);
			fprintf(out, ":%s #%u", pl_bpf_act_name(r->action), r->rule);
		}
		fputc('\n', out);
	}
	fprintf(out, "sysctl (write):\n");
	for (size_t i = 0; i < t->n_sysctl; i++)
		fprintf(out, "  %s -> %s #%u\n", t->sysctl[i].name,
			pl_bpf_act_name(t->sysctl[i].action), t->sysctl[i].rule);
	fprintf(out, "dev:\n");
	for (size_t i = 0; i < t->n_dev; i++) {
		const struct pl_bpf_dev_entry *e = &t->dev[i];
		fprintf(out, "  %c ", e->type);
		dump_devnum(out, e->major);
		fputc(':', out);
		dump_devnum(out, e->minor);
		fputs(" ->", out);
		for (int k = 0; k < 3; k++)
			if (e->action[k])
				fprintf(out, " %s:%s #%u", acc[k], pl_bpf_act_name(e->action[k]),
					e->rule[k]);
		fputc('\n', out);
	}
	fprintf(out, "elsewhere:\n");
	for (size_t i = 0; i < t->n_elsewhere; i++)
		fprintf(out, "  #%u %s\n", t->elsewhere[i].rule, t->elsewhere[i].text);
	return ferror(out) ? -EIO : 0;
}
