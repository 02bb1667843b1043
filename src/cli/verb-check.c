/* SPDX-License-Identifier: Apache-2.0 */
/* plastron check FILE...: validate policy files. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "plastron/policy.h"
#include "shared/macro.h"
#include "plastron/policy.h"

static void check_usage(FILE *f)
{
	fprintf(f, "Usage: plastron check [--quiet] FILE...\n\n"
		   "Validate VarmorPolicy / VarmorClusterPolicy files (YAML or JSON, several\n"
		   "documents per file; '-' reads stdin). Every error is printed as\n"
		   "FILE:LINE:COL: error: FIELD: message, with a hint where one helps.\n\n"
		   "Options:\n"
		   "  -q, --quiet  print only errors (no 'ok' lines, no warnings)\n"
		   "  -h, --help   show this help\n\n"
		   "Exit status: 0 all files valid, 1 a policy error, 2 usage error,\n"
		   "3 a file could not be read.\n\n"
		   "Examples:\n"
		   "  plastron check examples/enhance-protect.yaml\n"
		   "  plastron check -q policies/*.yaml\n"
		   "  kubectl get vpol -A -o yaml | plastron check -\n");
}

/* Print only the errors of `d` (for --quiet). */
static void print_errors(const struct pl_diag *d)
{
	struct pl_diag only = { 0 };
	for (const struct pl_diag_entry *e = d->head; e; e = e->next) {
		if (e->severity != PL_SEV_ERROR)
			continue;
		struct pl_pos pos = { .file = e->file, .line = e->line, .col = e->col };
		pl_error(&only, e->code, &pos, e->field, "%s", e->message ? e->message : "");
		if (e->hint)
			pl_diag_hint(&only, "%s", e->hint);
	}
	cli_print_diag(&only);
	pl_diag_clear(&only);
}

int verb_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool quiet = false;
	int c;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			quiet = true;
			break;
		case 'h':
			check_usage(stdout);
			return CLI_OK;
		default:
			check_usage(stderr);
			return CLI_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "plastron check: no FILE given\n");
		check_usage(stderr);
		return CLI_USAGE;
	}
	int ret = CLI_OK;
	for (int i = optind; i < argc; i++) {
		_cleanup_diag_ struct pl_diag d = { 0 };
		_cleanup_policy_set_ struct pl_policy_set *set = NULL;
		int r = pl_policy_set_load(argv[i], &set, &d);
		if (quiet)
			print_errors(&d);
		else
			cli_print_diag(&d);
		int st = cli_status(r, &d);
		if (r < 0) {
			if (st > ret)
				ret = st;
			continue;
		}
		if (!quiet)
			printf("%s: ok (%zu %s)\n", strcmp(argv[i], "-") ? argv[i] : "<stdin>",
			       set->n, set->n == 1 ? "policy" : "policies");
		fflush(stdout);
	}
	return ret;
}
