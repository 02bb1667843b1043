/* SPDX-License-Identifier: Apache-2.0 */
/* plastron doctor: what this host can enforce, and whether the agent runs. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"

static int doctor_usage(FILE *f, int status)
{
	fprintf(f, "Usage: plastron doctor [--json] [--socket PATH]\n\n"
		   "Check the host: BTF, the cgroup v2 mount, BPF-LSM (listed AND loadable),\n"
		   "Landlock ABI, seccomp actions, audit readability; list the enforcers that are\n"
		   "active (never one that is not), and whether plastrond answers.\n\n"
		   "Examples:\n"
		   "  plastron doctor\n"
		   "  plastron doctor --json | jq .enforcers\n");
	return status;
}

int verb_doctor(int argc, char **argv)
{
	const char *sock = PLD_SOCKET;
	bool json = false;
	struct pld_doctor doc;
	char err[512];
	json_t *req, *ans = NULL;
	int c, r;

	if ((c = cli_agent_opts(argc, argv, doctor_usage, &json, &sock)) >= 0)
		return c;
	pld_doctor_run(&doc);
	req = json_pack("{s:s}", "op", "status");
	r = pld_request(sock, req, &ans, 3000, err, sizeof(err));
	json_decref(req);
	bool up = r == 0 && json_is_true(json_object_get(ans, "ok"));
	bool enforcing = up && json_integer_value(json_object_get(ans, "links")) ==
				   json_integer_value(json_object_get(ans, "links_expected"));
	if (json) {
		json_t *o = pld_doctor_json(&doc);
		/* "enforcers": active now; cgroup-BPF needs the agent's enforcer. */
		json_object_set_new(o, "cgroup_bpf_available", json_boolean(doc.cgroup_bpf));
		json_object_set_new(json_object_get(o, "enforcers"), "cgroup-bpf",
				    json_boolean(doc.cgroup_bpf && enforcing));
		json_object_set_new(
		    o, "agent",
		    r == 0 && json_is_true(json_object_get(ans, "ok"))
			? json_pack("{s:b,s:O}", "running", 1, "pid", json_object_get(ans, "pid"))
			: json_pack("{s:b,s:s}", "running", 0, "error", err));
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else {
		pld_doctor_print(&doc, enforcing, stdout);
		if (up)
			printf("agent: plastrond pid %lld answers on %s (%zu policies, %zu "
			       "containers, "
			       "%lld cgroup-bpf links)\n",
			       (long long)json_integer_value(json_object_get(ans, "pid")), sock,
			       json_array_size(json_object_get(ans, "policies")),
			       json_array_size(json_object_get(ans, "containers")),
			       (long long)json_integer_value(json_object_get(ans, "links")));
		else
			printf(
			    "agent: not reachable (%s): no cgroup-bpf enforcement is installed by "
			    "it; containers under enforcing policies will not start\n",
			    err);
	}
	json_decref(ans);
	for (size_t i = 0; i < doc.n; i++)
		if (doc.checks[i].state == PLD_CHECK_FAIL)
			return CLI_SYSTEM_ERROR; /* the host lacks what plastron needs */
	return CLI_OK;
}
