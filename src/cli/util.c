/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the verbs: diagnostics, loading, exit statuses, agent options. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>

#include "cli.h"
#include "plastron/policy.h"
#include "shared/macro.h"

void cli_print_diag(const struct pl_diag *d)
{
	for (const struct pl_diag_entry *e = d->head; e; e = e->next) {
		char *s = pl_diag_format(e);
		if (s) {
			fprintf(stderr, "%s\n", s);
			free(s);
		}
	}
}

int cli_status(int r, const struct pl_diag *d)
{
	if (r >= 0)
		return CLI_OK;
	if (r == -ENOMEM)
		return CLI_SYSTEM_ERROR;
	for (const struct pl_diag_entry *e = d ? d->head : NULL; e; e = e->next)
		if (e->severity == PL_SEV_ERROR && e->line > 0)
			return CLI_POLICY_ERROR;
	switch (r) {
	case -EINVAL:
	case -EFBIG:
	case -EOPNOTSUPP:
	case CLI_E_REFUSED:
		return CLI_POLICY_ERROR;
	default:
		return CLI_SYSTEM_ERROR;
	}
}

struct pl_policy_set *cli_load_policies(const char *path, int *status)
{
	_cleanup_diag_ struct pl_diag d = { 0 };
	_cleanup_policy_set_ struct pl_policy_set *set = NULL;
	int r = pl_policy_set_load(path, &set, &d);
	cli_print_diag(&d);
	*status = cli_status(r, &d);
	return r < 0 ? NULL : PL_TAKE_PTR(set);
}

int cli_agent_opts(int argc, char **argv, int (*usage)(FILE *f, int status), bool *json,
		   const char **sock)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'j')
			*json = true;
		else if (c == 's')
			*sock = optarg;
		else if (c == 'h')
			return usage(stdout, CLI_OK);
		else
			return usage(stderr, CLI_USAGE);
	}
	if (optind != argc)
		return usage(stderr, CLI_USAGE);
	return -1;
}
