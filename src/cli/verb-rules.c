/* SPDX-License-Identifier: Apache-2.0 */
#include "cli.h"

int verb_rules(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "plastron %s: not implemented yet\n", argv[0]);
	return CLI_SYSTEM_ERROR;
}
