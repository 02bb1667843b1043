/* SPDX-License-Identifier: Apache-2.0 */
/* plastron status: what plastrond enforces right now. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client.h"

static int status_usage(FILE *f, int status)
{
	fprintf(f, "Usage: plastron status [--json] [--socket PATH]\n\n"
		   "Ask plastrond for its policies (with their live mode), the containers it\n"
		   "confines (cgroup id, policy), the enforcer's counters and its pid/uptime.\n\n"
		   "Examples:\n"
		   "  plastron status\n"
		   "  plastron status --json | jq '.containers[].cgroup_id'\n");
	return status;
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "-";
}

static long long num(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

int verb_status(int argc, char **argv)
{
	const char *sock = PLD_SOCKET;
	bool json = false;
	char err[512];
	json_t *req, *ans = NULL, *v;
	size_t i;
	int c;

	if ((c = cli_agent_opts(argc, argv, status_usage, &json, &sock)) >= 0)
		return c;
	req = json_pack("{s:s}", "op", "status");
	if (pld_request(sock, req, &ans, 5000, err, sizeof(err)) < 0) {
		json_decref(req);
		fprintf(stderr, "plastron status: %s\n", err);
		return cli_status(-EIO, NULL); /* agent not reachable */
	}
	json_decref(req);
	if (!json_is_true(json_object_get(ans, "ok"))) {
		fprintf(stderr, "plastron status: %s\n", str(ans, "error"));
		json_decref(ans);
		return cli_status(CLI_E_REFUSED, NULL);
	}
	if (json) {
		json_object_del(ans, "ok");
		json_dumpf(ans, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		putchar('\n');
		json_decref(ans);
		return CLI_OK;
	}
	json_t *cnt = json_object_get(ans, "counters");
	printf("plastrond pid %lld, up %llds%s, pins %s (%lld of %lld links: 7 per container, 1 at "
	       "the root)\n",
	       num(ans, "pid"), num(ans, "uptime_s"),
	       json_is_true(json_object_get(ans, "readopted")) ? " (re-adopted)" : "",
	       str(ans, "pin_dir"), num(ans, "links"), num(ans, "links_expected"));
	printf("counters: matched %lld, denied %lld, events %lld, ring-buffer drops %lld, logged "
	       "%lld, audit lost %lld\n",
	       num(cnt, "matched"), num(cnt, "denied"), num(cnt, "events"), num(cnt, "drops"),
	       num(cnt, "events_logged"), num(cnt, "audit_lost"));
	json_t *lost = json_object_get(json_object_get(ans, "lost"), "seccomp|landlock");
	if (lost)
		printf("audit records lost: socket overflow %lld, kernel backlog %lld, while the "
		       "agent was down %lld (at most)\n",
		       num(lost, "audit_socket_overflow"), num(lost, "audit_kernel"),
		       num(lost, "agent_down"));
	printf("\npolicies (%zu):\n", json_array_size(json_object_get(ans, "policies")));
	json_array_foreach(json_object_get(ans, "policies"), i, v)
	{
		printf("  %-24s id %-4lld mode %-10s cgroup-bpf entries %-4lld %s", str(v, "name"),
		       num(v, "id"), str(v, "mode"), num(v, "cgroup_bpf_entries"), str(v, "file"));
		if (json_object_get(v, "version"))
			printf(" version %s", str(v, "version"));
		if (json_is_true(json_object_get(v, "orphaned")))
			printf(" ORPHANED (file gone; kept for %lld container(s))",
			       num(v, "containers"));
		putchar('\n');
		size_t k;
		json_t *u;
		json_array_foreach(json_object_get(v, "unenforced"), k, u)
		    printf("    unenforced (allowUnenforced): %s\n",
			   json_is_string(u) ? json_string_value(u) : str(u, "rule"));
	}
	json_array_foreach(json_object_get(ans, "refused"), i, v)
	    printf("  refused %s: %s\n", str(v, "file"), str(v, "error"));
	printf("\ncontainers (%zu):\n", json_array_size(json_object_get(ans, "containers")));
	json_array_foreach(json_object_get(ans, "containers"), i, v) printf(
	    "  %-20s cgroup %s (id %lld) policy %s%s%s%s%s\n", str(v, "id"), str(v, "cgroup"),
	    num(v, "cgroup_id"), str(v, "policy"), json_object_get(v, "pod") ? " pod " : "",
	    json_object_get(v, "pod") ? str(v, "pod") : "",
	    json_object_get(v, "policy_hash") ? " bundle " : "",
	    json_object_get(v, "policy_hash") ? str(v, "policy_hash") : "");
	json_decref(ans);
	return CLI_OK;
}
