/* SPDX-License-Identifier: Apache-2.0 */
/* plastron: the command-line front end of libplastron. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"

struct verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct verb verbs[] = {
	{ "check", verb_check, "validate policy files; print file:line:col errors" },
	{ "lint", verb_lint,
	  "find risky settings in Kubernetes manifests (Pod Security Standards)" },
	{ "explain", verb_explain, "show the compiled model and how each rule is enforced" },
	{ "rules", verb_rules, "list the built-in rule catalog" },
	{ "compile", verb_compile, "emit a seccomp, Landlock or AppArmor profile" },
	{ "run", verb_run, "run a command confined by a policy" },
	{ "doctor", verb_doctor, "check what this host can enforce and whether plastrond runs" },
	{ "status", verb_status, "show plastrond's policies, confined containers and counters" },
	{ "attach", verb_attach, "put a cgroup (or a process's cgroup) under a policy" },
	{ "mode", verb_mode,
	  "switch a policy's cgroup-BPF rules live (enforce/audit/observe/off)" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: plastron VERB [OPTIONS] [ARGS]\n\n"
		   "Container hardening from vArmor-compatible policies.\n\nVerbs:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
	fprintf(f, "\nRun 'plastron VERB --help' for a verb's options and examples.\n"
		   "Examples:\n"
		   "  plastron check examples/enhance-protect.yaml\n"
		   "  plastron rules --json\n"
		   "  plastron lint deploy.yaml\n"
		   "  plastron compile policy.yaml --enforcer seccomp -o profile.json\n"
		   "  plastron run --policy policy.yaml -- /bin/sh\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return CLI_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("plastron %s\n", PLASTRON_VERSION);
		return CLI_OK;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (!strcmp(argv[1], verbs[i].name))
			return verbs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "plastron: unknown verb '%s'\n", argv[1]);
	usage(stderr);
	return CLI_USAGE;
}
