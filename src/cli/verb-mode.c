/* SPDX-License-Identifier: Apache-2.0 */
/* plastron mode: switch a policy's cgroup-BPF rules live (one map update). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"

static int mode_usage(FILE *f, int status)
{
	fprintf(
	    f,
	    "Usage: plastron mode POLICY enforce|audit|observe|off|as-written [--socket PATH]\n\n"
	    "Switch the live mode of a policy's cgroup-BPF rules on every container that\n"
	    "uses it, without restarting anything: enforce (deny and log every match), audit\n"
	    "and observe (allow and log), off (ignore), as-written (each rule's own action).\n"
	    "seccomp, Landlock and capability parts (including rules on non-inet socket\n"
	    "families) keep the mode the container started with.\n\n"
	    "Examples:\n"
	    "  plastron mode demo observe\n"
	    "  plastron mode demo enforce\n");
	return status;
}

int verb_mode(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *sock = PLD_SOCKET;
	char err[512];
	json_t *req, *ans = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 's')
			sock = optarg;
		else if (c == 'h')
			return mode_usage(stdout, CLI_OK);
		else
			return mode_usage(stderr, CLI_USAGE);
	}
	if (argc - optind != 2)
		return mode_usage(stderr, CLI_USAGE);
	req = json_pack("{s:s,s:s,s:s}", "op", "mode", "policy", argv[optind], "mode",
			argv[optind + 1]);
	if (pld_request(sock, req, &ans, 5000, err, sizeof(err)) < 0) {
		json_decref(req);
		fprintf(stderr, "plastron mode: %s\n", err);
		return cli_status(-EIO, NULL); /* agent not reachable */
	}
	json_decref(req);
	if (!json_is_true(json_object_get(ans, "ok"))) {
		fprintf(stderr, "plastron mode: %s\n",
			json_string_value(json_object_get(ans, "error")) ?: "refused");
		json_decref(ans);
		return cli_status(CLI_E_REFUSED, NULL);
	}
	printf("policy %s: cgroup-bpf rules now %s\nnote: %s\n",
	       json_string_value(json_object_get(ans, "policy")),
	       json_string_value(json_object_get(ans, "mode")),
	       json_string_value(json_object_get(ans, "note")));
	json_decref(ans);
	return CLI_OK;
}
