/* SPDX-License-Identifier: Apache-2.0 */
/* plastron attach: put a running cgroup (or a process's cgroup) under a policy. */
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"

static int attach_usage(FILE *f, int status)
{
	fprintf(
	    f,
	    "Usage: plastron attach (--cgroup PATH | --pid PID) --policy FILE|NAME\n"
	    "                       [--detach] [--socket PATH]\n\n"
	    "Register a cgroup v2 directory with plastrond under a policy: its cgroup-BPF\n"
	    "rules apply at once to every process in it (and to processes that join later).\n"
	    "seccomp, Landlock and capabilities cannot be added to running processes: use\n"
	    "plastron-runtime (or plastron run) for those. --policy takes a file (loaded by the\n"
	    "agent) or the name of a policy the agent already has. --detach unregisters.\n\n"
	    "Examples:\n"
	    "  plastron attach --cgroup /sys/fs/cgroup/unified/myjob --policy policy.yaml\n"
	    "  plastron attach --pid 4242 --policy demo\n"
	    "  plastron attach --detach --pid 4242\n");
	return status;
}

int verb_attach(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cgroup", required_argument, NULL, 'c' },
		{ "pid", required_argument, NULL, 'p' },
		{ "policy", required_argument, NULL, 'P' },
		{ "detach", no_argument, NULL, 'd' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *sock = PLD_SOCKET, *cgroup = NULL, *policy = NULL;
	long pid = 0;
	bool detach = false;
	char err[512], real[PATH_MAX];
	json_t *req, *ans = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cgroup = optarg;
			break;
		case 'p':
			pid = strtol(optarg, NULL, 10);
			if (pid <= 0) {
				fprintf(stderr, "plastron attach: bad pid '%s'\n", optarg);
				return CLI_USAGE;
			}
			break;
		case 'P':
			policy = optarg;
			break;
		case 'd':
			detach = true;
			break;
		case 's':
			sock = optarg;
			break;
		case 'h':
			return attach_usage(stdout, CLI_OK);
		default:
			return attach_usage(stderr, CLI_USAGE);
		}
	}
	if (optind != argc || (!cgroup == !pid) || (!detach && !policy))
		return attach_usage(stderr, CLI_USAGE);
	req = json_pack("{s:s}", "op", detach ? "detach" : "attach");
	if (cgroup)
		json_object_set_new(req, "cgroup", json_string(cgroup));
	else
		json_object_set_new(req, "pid", json_integer(pid));
	if (policy && (strchr(policy, '/') || strchr(policy, '.')) && realpath(policy, real))
		json_object_set_new(req, "policy_file", json_string(real));
	else if (policy)
		json_object_set_new(req, "policy", json_string(policy));
	if (pld_request(sock, req, &ans, 10000, err, sizeof(err)) < 0) {
		json_decref(req);
		fprintf(stderr, "plastron attach: %s\n", err);
		return cli_status(-EIO, NULL); /* agent not reachable */
	}
	json_decref(req);
	if (!json_is_true(json_object_get(ans, "ok"))) {
		fprintf(stderr, "plastron attach: %s\n",
			json_string_value(json_object_get(ans, "error")) ?: "refused");
		json_decref(ans);
		return cli_status(CLI_E_REFUSED, NULL);
	}
	if (detach)
		printf("detached\n");
	else
		printf("cgroup %s (id %lld) now under policy %s\n",
		       json_string_value(json_object_get(ans, "cgroup")),
		       (long long)json_integer_value(json_object_get(ans, "cgroup_id")),
		       json_string_value(json_object_get(ans, "policy")));
	json_decref(ans);
	return CLI_OK;
}
