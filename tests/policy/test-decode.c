/* SPDX-License-Identifier: Apache-2.0 */
/* The decoder: values, actions, defaults, normalisation, error collection. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "plastron/policy.h"
#include "plastron/seccomp.h"
#include "tap.h"

#define HDR                                    \
	"apiVersion: crd.varmor.org/v1beta1\n" \
	"kind: VarmorPolicy\n"                 \
	"metadata: {name: t, namespace: ns}\n" \
	"spec:\n"                              \
	"  target: {kind: Pod, name: p}\n"     \
	"  policy:\n"

static struct pl_policy_set *load(const char *text, struct pl_diag *d)
{
	struct pl_policy_set *s = NULL;
	pl_diag_init(d);
	int r = pl_policy_set_load_buffer("t.yaml", text, strlen(text), &s, d);
	if (r < 0) {
		for (const struct pl_diag_entry *e = d->head; e; e = e->next) {
			char *m = pl_diag_format(e);
			tap_diag("%s", m ? m : "?");
			free(m);
		}
		return NULL;
	}
	return s;
}

static const char seed000[] =
    HDR "    enforcer: BPF\n"
	"    mode: EnhanceProtect\n"
	"    enhanceProtect:\n"
	"      appArmorRawRules:\n"
	"      - \"deny /etc/shadow r,\"\n"
	"      bpfRawRules:\n"
	"        processes:\n"
	"        - pattern: \"**ping\"\n"
	"          permissions: [exec]\n"
	"        network:\n"
	"          egresses:\n"
	"          - ip: fdbd:dc01:ff:307:9329:268d:3a27:2ca7\n"
	"          - ipBlock: 192.168.1.1/24\n"
	"            port: 80\n"
	"          sockets:\n"
	"          - protocols: [\"udp\"]\n"
	"      syscallRawRules:\n"
	"      - names: [fchmodat]\n"
	"        action: SCMP_ACT_ERRNO\n"
	"        args:\n"
	"        - {index: 2, value: 0x40, valueTwo: 0x40, op: SCMP_CMP_MASKED_EQ}\n"
	"        - {index: 2, value: 0x8, valueTwo: 0x8, op: SCMP_CMP_MASKED_EQ}\n"
	"        - {index: 2, value: 1, valueTwo: 1, op: SCMP_CMP_MASKED_EQ}\n";

static void test_seed000(void)
{
	struct pl_diag d;
	struct pl_policy_set *s = load(seed000, &d);
	TAP_OK(s && s->n == 1, "seed000 loads");
	if (!s)
		goto out;
	const struct pl_policy *p = s->policies[0];
	TAP_OK(p->enforcers == PL_ENF_BPF && p->mode == PL_MODE_ENHANCE_PROTECT, "enforcer, mode");
	TAP_OK(d.n_warnings == 1 && d.head && d.head->line == 19 && d.head->col == 22,
	       "host-bits warning at 19:22");
	TAP_OK(p->enhance.n_apparmor_raw == 1 &&
		   !strcmp(p->enhance.apparmor_raw[0].rules, "deny /etc/shadow r,"),
	       "appArmorRawRules as plain string");
	const struct pl_bpf_raw *b = &p->enhance.bpf;
	TAP_OK(b->n_files == 1 && b->files[0].from_processes && b->files[0].perms == PL_PERM_EXEC &&
		   !strcmp(b->files[0].pattern, "**ping") && b->files[0].action == PL_ACTION_DENY,
	       "process rule");
	TAP_OK(b->n_egress == 2, "two egress rules");
	if (b->n_egress == 2) {
		const struct pl_egress_rule *e0 = &b->egress[0], *e1 = &b->egress[1];
		uint8_t v6[16];
		inet_pton(AF_INET6, "fdbd:dc01:ff:307:9329:268d:3a27:2ca7", v6);
		TAP_OK(e0->kind == PL_ADDR_CIDR && e0->family == AF_INET6 &&
			   e0->prefix_len == 128 && !memcmp(e0->addr, v6, 16) && e0->n_ports == 0,
		       "IPv6 address, all ports");
		TAP_OK(e1->family == AF_INET && e1->prefix_len == 24 && e1->addr[0] == 192 &&
			   e1->addr[1] == 168 && e1->addr[2] == 1 && e1->addr[3] == 0,
		       "ipBlock normalised to 192.168.1.0/24");
		TAP_OK(!strcmp(e1->text, "192.168.1.1/24"), "text kept as written");
		TAP_OK(e1->n_ports == 1 && e1->ports[0].port == 80 && e1->ports[0].end_port == 80,
		       "port 80");
	}
	TAP_OK(b->n_sockets == 1 && b->sockets[0].protocols == PL_PROTO_UDP &&
		   b->sockets[0].domains == 0 && b->sockets[0].types == 0,
	       "socket rule udp");
	TAP_OK(p->enhance.n_syscall_raw == 1, "one syscall rule");
	if (p->enhance.n_syscall_raw == 1) {
		const struct pl_sc_syscall *sc = &p->enhance.syscall_raw[0];
		TAP_OK(sc->n_names == 1 && !strcmp(sc->names[0], "fchmodat") &&
			   sc->action == PL_SC_ACT_ERRNO && !strcmp(sc->origin, "syscallRawRules"),
		       "syscall names/action/origin");
		TAP_OK(sc->n_args == 3 && sc->args[0].index == 2 && sc->args[0].value == 0x40 &&
			   sc->args[0].value_two == 0x40 && sc->args[0].op == PL_SC_OP_MASKED_EQ &&
			   sc->args[1].value == 8 && sc->args[2].value == 1,
		       "syscall args decoded (hex)");
	}
out:
	pl_policy_set_free(s);
	pl_diag_clear(&d);
}

static enum pl_action rule_action(const char *flags)
{
	char buf[1024];
	snprintf(buf, sizeof(buf),
		 HDR "    enforcer: BPF\n"
		     "    mode: EnhanceProtect\n"
		     "    enhanceProtect:\n"
		     "      hardeningRules: [disallow-umount]\n"
		     "%s",
		 flags);
	struct pl_diag d;
	struct pl_policy_set *s = load(buf, &d);
	enum pl_action a = (enum pl_action) - 1;
	if (s && s->policies[0]->enhance.n_rules == 1 &&
	    s->policies[0]->default_action == s->policies[0]->enhance.rules[0].action)
		a = s->policies[0]->enhance.rules[0].action;
	pl_policy_set_free(s);
	pl_diag_clear(&d);
	return a;
}

static void test_default_actions(void)
{
	TAP_OK(rule_action("") == PL_ACTION_DENY, "no flags: deny");
	TAP_OK(rule_action("      auditViolations: true\n") == PL_ACTION_DENY_LOG,
	       "auditViolations: deny+log");
	TAP_OK(rule_action("      allowViolations: true\n") == PL_ACTION_ALLOW_LOG,
	       "allowViolations: allow+log");
	TAP_OK(rule_action("      allowViolations: true\n      auditViolations: true\n") ==
		   PL_ACTION_ALLOW_LOG,
	       "both: allow+log");
}

static void test_qualifiers(void)
{
	static const char text[] =
	    HDR "    enforcer: BPF\n"
		"    mode: EnhanceProtect\n"
		"    enhanceProtect:\n"
		"      auditViolations: true\n"
		"      bpfRawRules:\n"
		"        files:\n"
		"        - {pattern: /a, permissions: [r], qualifiers: [deny]}\n"
		"        - {pattern: /b, permissions: [r], qualifiers: [audit, deny]}\n"
		"        - {pattern: /c, permissions: [r], qualifiers: [audit]}\n"
		"        - {pattern: /d, permissions: [w]}\n"
		"        - {pattern: /e, permissions: [all], qualifiers: []}\n";
	struct pl_diag d;
	struct pl_policy_set *s = load(text, &d);
	const struct pl_bpf_raw *b = s ? &s->policies[0]->enhance.bpf : NULL;
	TAP_OK(b && b->n_files == 5, "five file rules");
	if (b && b->n_files == 5) {
		TAP_OK(b->files[0].action == PL_ACTION_DENY, "[deny] → deny");
		TAP_OK(b->files[1].action == PL_ACTION_DENY_LOG, "[audit, deny] → deny+log");
		TAP_OK(b->files[2].action == PL_ACTION_ALLOW_LOG, "[audit] → allow+log");
		TAP_OK(b->files[3].action == PL_ACTION_DENY_LOG, "none → policy default");
		TAP_OK(b->files[3].perms == (PL_PERM_WRITE | PL_PERM_APPEND),
		       "write implies append");
		TAP_OK(b->files[4].action == PL_ACTION_DENY_LOG &&
			   b->files[4].perms ==
			       (PL_PERM_READ | PL_PERM_WRITE | PL_PERM_APPEND | PL_PERM_EXEC),
		       "[] → default; all → every permission");
	}
	pl_policy_set_free(s);
	pl_diag_clear(&d);
}

static void test_numbers_and_words(void)
{
	static const char text[] = HDR
	    "    enforcer: appArmorbpfSECCOMP\n"
	    "    mode: EnhanceProtect\n"
	    "    enhanceProtect:\n"
	    "      hardeningRules: [disallow-load-ebpf, DISALLOW_INSMOD]\n"
	    "      syscallRawRules:\n"
	    "      - names: [personality]\n"
	    "        action: SCMP_ACT_ERRNO\n"
	    "        errnoRet: 0o17\n"
	    "        args:\n"
	    "        - {index: 0, value: 0xffffffffffffffff, valueTwo: 010, op: SCMP_CMP_EQ}\n"
	    "      bpfRawRules:\n"
	    "        network:\n"
	    "          sockets:\n"
	    "          - {domains: [inet, alg], types: [dgram, packet]}\n"
	    "        mounts:\n"
	    "        - {sourcePattern: '*', fstype: proc, flags: [ro, rw, rbind, nosuid, suid]}\n"
	    "        - {sourcePattern: '/x/**', fstype: '*', flags: [umount]}\n"
	    "  plastron:\n"
	    "    landlock:\n"
	    "      filesystem:\n"
	    "      - {path: /r, access: [read]}\n"
	    "      - {path: /w, access: [write]}\n"
	    "      - {path: /x, access: [exec, ioctl_dev]}\n"
	    "      network: {connectTCP: [443]}\n";
	struct pl_diag d;
	struct pl_policy_set *s = load(text, &d);
	TAP_OK(s != NULL, "numbers policy loads");
	if (!s)
		goto out;
	const struct pl_policy *p = s->policies[0];
	TAP_OK(p->enforcers == (PL_ENF_APPARMOR | PL_ENF_BPF | PL_ENF_SECCOMP),
	       "enforcer matched case-insensitively");
	TAP_OK(p->enhance.n_rules == 2 && p->enhance.rules[0].rule &&
		   !strcmp(p->enhance.rules[0].written, "disallow-load-ebpf") &&
		   strcmp(p->enhance.rules[0].rule->id, "disallow-load-ebpf") != 0,
	       "alias resolved, written form kept");
	TAP_OK(p->enhance.n_rules == 2 && !strcmp(p->enhance.rules[1].rule->id, "disallow-insmod"),
	       "id normalised (case, underscores)");
	const struct pl_sc_syscall *sc = &p->enhance.syscall_raw[0];
	TAP_OK(sc->has_errno_ret && sc->errno_ret == 15, "0o17 octal");
	TAP_OK(sc->args[0].value == UINT64_MAX && sc->args[0].value_two == 8,
	       "u64 max hex and 010 octal");
	const struct pl_bpf_raw *b = &p->enhance.bpf;
	TAP_OK(b->sockets[0].domains == ((1ull << AF_INET) | (1ull << AF_ALG)) &&
		   b->sockets[0].types == ((1u << SOCK_DGRAM) | (1u << SOCK_PACKET)),
	       "domain and type bits");
	TAP_OK(b->n_mounts == 2 &&
		   b->mounts[0].flags == (MS_RDONLY | MS_BIND | MS_REC | MS_NOSUID) &&
		   b->mounts[0].reverse_flags == (MS_RDONLY | MS_NOSUID) && !b->mounts[0].umount,
	       "mount flags and reverse flags");
	TAP_OK(b->n_mounts == 2 && b->mounts[1].umount && b->mounts[1].flags == 0, "umount");
	const struct pl_landlock *ll = &p->landlock;
	TAP_OK(ll->present && ll->n_paths == 3, "landlock paths");
	TAP_OK(ll->paths[0].access == (PL_LL_READ_FILE | PL_LL_READ_DIR), "read shorthand");
	TAP_OK((ll->paths[1].access & (PL_LL_WRITE_FILE | PL_LL_TRUNCATE | PL_LL_MAKE_REG)) ==
		       (PL_LL_WRITE_FILE | PL_LL_TRUNCATE | PL_LL_MAKE_REG) &&
		   !(ll->paths[1].access & (PL_LL_READ_FILE | PL_LL_EXECUTE)),
	       "write shorthand");
	TAP_OK(ll->paths[2].access == (PL_LL_EXECUTE | PL_LL_IOCTL_DEV), "exec shorthand");
	TAP_OK(ll->restrict_net && ll->n_connect_tcp == 1 && ll->connect_tcp[0] == 443 &&
		   ll->n_bind_tcp == 0,
	       "landlock network");
out:
	pl_policy_set_free(s);
	pl_diag_clear(&d);
}

static void test_errors_collected(void)
{
	static const char text[] = HDR "    enforcer: BPF\n"
				       "    mode: EnhanceProtect\n"
				       "    enhanceProtect:\n"
				       "      hardeningRules: [nope-one, nope-two]\n"
				       "      privileged: maybe\n"
				       "    extra: 1\n";
	struct pl_diag d;
	pl_diag_init(&d);
	struct pl_policy_set *s = (struct pl_policy_set *)0x1;
	int r = pl_policy_set_load_buffer("t.yaml", text, strlen(text), &s, &d);
	TAP_OK(r == -EINVAL && s == (struct pl_policy_set *)0x1, "failure leaves *ret untouched");
	TAP_EQ_UINT(d.n_errors, 4, "all four errors collected");
	bool sorted = true;
	for (const struct pl_diag_entry *e = d.head; e && e->next; e = e->next)
		if (e->line > e->next->line)
			sorted = false;
	TAP_OK(sorted, "errors in file order");
	TAP_OK(d.head && d.head->file && !strcmp(d.head->file, "t.yaml") && d.head->line == 10,
	       "first error carries file and line");
	pl_diag_clear(&d);
}

static void test_custom_profile_position(void)
{
	static const char text[] = HDR "    enforcer: Seccomp\n"
				       "    mode: DefenseInDepth\n"
				       "    defenseInDepth:\n"
				       "      seccomp:\n"
				       "        profileType: Custom\n"
				       "        customProfile: '{\"defaultAction\": 7}'\n";
	struct pl_diag d;
	pl_diag_init(&d);
	struct pl_policy_set *s = NULL;
	int r = pl_policy_set_load_buffer("t.yaml", text, strlen(text), &s, &d);
	TAP_OK(r < 0 && d.head && d.head->line == 12 && d.head->col == 24 && d.head->field &&
		   !strcmp(d.head->field, "spec.policy.defenseInDepth.seccomp.customProfile"),
	       "customProfile error at the field's position");
	pl_diag_clear(&d);
	pl_policy_set_free(s);

	static const char good[] =
	    HDR "    enforcer: Seccomp\n"
		"    mode: DefenseInDepth\n"
		"    defenseInDepth:\n"
		"      seccomp:\n"
		"        profileType: Custom\n"
		"        customProfile: '{\"defaultAction\": \"SCMP_ACT_ERRNO\"}'\n";
	s = load(good, &d);
	TAP_OK(s && s->policies[0]->dind.seccomp_custom &&
		   s->policies[0]->dind.seccomp_custom->default_action == PL_SC_ACT_ERRNO &&
		   s->policies[0]->default_action == PL_ACTION_DENY_LOG,
	       "customProfile parsed; DefenseInDepth default deny+log");
	pl_policy_set_free(s);
	pl_diag_clear(&d);
}

static void test_warnings_not_errors(void)
{
	static const char text[] = HDR "    enforcer: Seccomp\n"
				       "    mode: AlwaysAllow\n"
				       "    enhanceProtect:\n"
				       "      hardeningRules: [disallow-umount]\n";
	struct pl_diag d;
	struct pl_policy_set *s = load(text, &d);
	TAP_OK(s && d.n_errors == 0 && d.n_warnings == 1 && strstr(d.head->message, "ignored"),
	       "enhanceProtect in AlwaysAllow: a warning");
	pl_policy_set_free(s);
	pl_diag_clear(&d);
}

static void test_targets_warning(void)
{
	static const char text[] =
	    HDR "    enforcer: AppArmorBPF\n"
		"    mode: EnhanceProtect\n"
		"    enhanceProtect:\n"
		"      attackProtectionRules:\n"
		"      - rules: [block-access-to-metadata-service, disable-shell]\n"
		"        targets: [/bin/app]\n";
	struct pl_diag d;
	struct pl_policy_set *s = load(text, &d);
	TAP_OK(s && d.n_warnings == 1 && d.head->line == 11 && d.head->col == 17 &&
		   strstr(d.head->message, "does not honour targets"),
	       "targets on a rule that cannot use them: a warning at the rule");
	TAP_OK(s && s->policies[0]->enhance.n_rules == 2 &&
		   s->policies[0]->enhance.rules[1].targets.n == 1 &&
		   !strcmp(s->policies[0]->enhance.rules[1].targets.v[0], "/bin/app"),
	       "targets kept on the rule use");
	pl_policy_set_free(s);
	pl_diag_clear(&d);
}

static void test_names(void)
{
	TAP_OK(!strcmp(pl_mode_name(PL_MODE_ENHANCE_PROTECT), "EnhanceProtect") &&
		   !strcmp(pl_mode_name(PL_MODE_DEFENSE_IN_DEPTH), "DefenseInDepth"),
	       "mode names");
	TAP_OK(!strcmp(pl_action_name(PL_ACTION_DENY_LOG), "deny+log") &&
		   !strcmp(pl_action_name(PL_ACTION_ALLOW_LOG), "allow+log"),
	       "action names");
	TAP_OK(!strcmp(pl_policy_kind_name(PL_KIND_VARMOR_CLUSTER_POLICY), "VarmorClusterPolicy"),
	       "kind names");
	int n = 0;
	for (int af = 0; af < 64; af++)
		if (pl_af_name(af))
			n++;
	TAP_OK(n == 44, "44 socket domains (got %d)", n);
	TAP_OK(pl_af_from_name("inet6") == AF_INET6 && pl_af_from_name("mctp") == 45 &&
		   pl_af_from_name("AF_INET") < 0,
	       "domain lookup");
	TAP_OK(pl_sock_type_from_name("seqpacket") == SOCK_SEQPACKET, "socket type lookup");
	TAP_OK(pl_syscall_extra_nr("mseal") == 462 && pl_syscall_extra_nr("read") < 0,
	       "syscalls newer than libseccomp");
	TAP_EQ_INT(pl_af_from_name("AF_INET"), -ENOENT, "unknown domain: -ENOENT");
	TAP_EQ_INT(pl_sock_type_from_name("steam"), -ENOENT, "unknown socket type: -ENOENT");
	TAP_EQ_INT(pl_syscall_extra_nr("read"), -ENOENT, "not an extra syscall: -ENOENT");
	TAP_EQ_INT(pl_errno_from_name("ENOPE"), -ENOENT, "unknown errno name: -ENOENT");
	TAP_EQ_INT(pl_errno_from_name("EPERM"), EPERM, "errno name lookup");
	/* in a child: a crash there fails this check, not the whole test */
	pid_t pid = fork();
	int status = -1;
	if (pid == 0) {
		pl_policy_set_free(NULL);
		_exit(0);
	}
	TAP_OK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		   WEXITSTATUS(status) == 0,
	       "pl_policy_set_free(NULL) returns");
}

static void test_dump(void)
{
	struct pl_diag d;
	struct pl_policy_set *s = load(seed000, &d);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r = s ? pl_policy_dump(s->policies[0], f) : -1;
	fclose(f);
	TAP_OK(r == 0 && strstr(buf, "mode: EnhanceProtect") &&
		   strstr(buf, "192.168.1.0/24 ports 80 deny") &&
		   strstr(buf, "arg2 SCMP_CMP_MASKED_EQ 0x40 0x40"),
	       "dump has the compiled values");
	free(buf);
	pl_policy_set_free(s);
	pl_diag_clear(&d);
}

/* pl_diag_move carries counts, also of entries that could not be stored. */
static void test_diag_move(void)
{
	struct pl_diag to = { 0 }, from = { 0 };

	pl_error(&to, -EINVAL, NULL, NULL, "first");
	pl_error(&from, -EINVAL, NULL, NULL, "second");
	pl_warning(&from, NULL, NULL, "a warning");
	pl_diag_move(&to, &from);
	TAP_EQ_UINT(to.n_errors, 2, "moved errors are counted");
	TAP_EQ_UINT(to.n_warnings, 1, "moved warnings are counted");
	TAP_OK(to.head && to.head->next && to.head->next->next && !to.head->next->next->next &&
		   !from.head && !from.n_errors,
	       "entries moved in order, the source left empty");
	/* An error counted without an entry (its allocation failed). */
	from.n_errors = 1;
	from.n_lost = 1;
	pl_diag_move(&to, &from);
	TAP_EQ_UINT(to.n_errors, 3, "an error with no stored entry still moves its count");
	TAP_EQ_UINT(to.n_lost, 1, "and its loss");
	pl_diag_clear(&to);
}

int main(void)
{
	test_diag_move();
	test_seed000();
	test_default_actions();
	test_qualifiers();
	test_numbers_and_words();
	test_errors_collected();
	test_custom_profile_position();
	test_warnings_not_errors();
	test_targets_warning();
	test_names();
	test_dump();
	return tap_done();
}
