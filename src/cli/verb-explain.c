/* SPDX-License-Identifier: Apache-2.0 */
/* plastron explain FILE [--name NAME]: the compiled model of each policy. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "plastron/gen.h"
#include "plastron/policy.h"

static void explain_usage(FILE *f)
{
	fprintf(f, "Usage: plastron explain [--name NAME] FILE\n\n"
		   "Validate FILE and show the compiled model of each policy in it: target,\n"
		   "enforcers, mode, the action of every rule, and how each built-in rule is\n"
		   "carried by each mechanism (seccomp, caps, landlock, apparmor, cgroup-bpf,\n"
		   "bpf-lsm) with its fidelity.\n\n"
		   "Options:\n"
		   "  -n, --name NAME  only the policy with metadata.name NAME\n"
		   "  -h, --help       show this help\n\n"
		   "Examples:\n"
		   "  plastron explain examples/enhance-protect.yaml\n"
		   "  plastron explain --name demo policies.yaml\n");
}

/* The file and exec patterns the path-matching enforcers would carry, as
 * one automaton: its size, or why it cannot be built (over the budget). */
static int file_patterns(const struct pl_policy *p)
{
	struct pl_file_patterns *fp = NULL;
	struct pl_diag d = { 0 };
	int r = pl_gen_file_patterns(p, NULL, NULL, &fp, &d);
	if (r < 0) {
		cli_print_diag(&d);
	} else if (fp->n) {
		uint32_t cls = 0;
		for (uint32_t k = 0; k < fp->dfa->n_parts; k++)
			cls += fp->dfa->part[k].n_classes;
		printf("file and exec patterns: %zu, one automaton of %u states in %u part%s "
		       "(%u byte classes)\n",
		       fp->n, fp->dfa->n_states, fp->dfa->n_parts, fp->dfa->n_parts == 1 ? "" : "s",
		       cls);
	}
	pl_file_patterns_free(fp);
	pl_diag_clear(&d);
	return r;
}

int verb_explain(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *name = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'h':
			explain_usage(stdout);
			return CLI_OK;
		default:
			explain_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "plastron explain: expected exactly one FILE\n");
		explain_usage(stderr);
		return CLI_USAGE;
	}
	int st;
	struct pl_policy_set *set = cli_load_policies(argv[optind], &st);
	if (!set)
		return st;
	size_t shown = 0;
	bool failed = false;
	for (size_t i = 0; i < set->n; i++) {
		const struct pl_policy *p = set->policies[i];
		if (name && (!p->name || strcmp(p->name, name)))
			continue;
		if (shown++)
			putchar('\n');
		pl_policy_dump(p, stdout);
		if (file_patterns(p) < 0)
			failed = true;
	}
	int ret = failed ? CLI_POLICY_ERROR : CLI_OK;
	if (name && !shown) {
		const char **names = calloc(set->n + 1, sizeof(*names));
		for (size_t i = 0; names && i < set->n; i++)
			names[i] = set->policies[i]->name ? set->policies[i]->name : "";
		const char *s = names ? pl_suggest(name, names, set->n) : NULL;
		fprintf(stderr, "%s: error: no policy named '%s'\n", argv[optind], name);
		if (s)
			fprintf(stderr, "  hint: did you mean '%s'?\n", s);
		free(names);
		ret = CLI_POLICY_ERROR;
	}
	pl_policy_set_free(set);
	if (fflush(stdout) != 0)
		ret = cli_status(-errno, NULL);
	return ret;
}
