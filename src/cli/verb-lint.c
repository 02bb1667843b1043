/* SPDX-License-Identifier: Apache-2.0 */
/* plastron lint FILE...: risky settings in Kubernetes manifests (the checks are
 * in src/lib/lint/); findings as text, JSON or SARIF (lint-output.c), the exit
 * status from --fail-on. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lint-output.h"
#include "plastron/lint.h"
#include "shared/macro.h"

static int usage(FILE *f, int status)
{
	fprintf(
	    f,
	    "Usage: plastron lint [--pss baseline|restricted] [--fail-on LEVEL] [--json|--sarif] "
	    "FILE...\n"
	    "       plastron lint --list\n\n"
	    "Find risky settings in Kubernetes manifests (Pod, Deployment, StatefulSet,\n"
	    "DaemonSet, ReplicaSet, Job, CronJob, PodTemplate; several documents per file,\n"
	    "Lists; '-' reads stdin) before they are deployed. Other objects are skipped\n"
	    "with a note. Each finding is printed as\n"
	    "  FILE:LINE:COL: SEVERITY: CHECK-ID: FIELD: message\n"
	    "    hint: the exact change\n"
	    "Pod-level securityContext settings count for the containers that leave them\n"
	    "unset; init and ephemeral containers are checked. See docs/lint.md.\n\n"
	    "Options:\n"
	    "  --pss LEVEL      check exactly the Pod Security Standards LEVEL (baseline or\n"
	    "                   restricted) and nothing else; default: restricted plus\n"
	    "                   plastron's own checks\n"
	    "  --fail-on LEVEL  exit 1 when a finding is at or above LEVEL: error (default),\n"
	    "                   warning, or none (always exit 0 when the files were read)\n"
	    "  --only ID[,ID]   report only these checks (any group; not with --pss)\n"
	    "  --json           print one JSON array of findings (file, line, col,\n"
	    "                   severity, id, field, message, hint)\n"
	    "  --sarif          print a SARIF 2.1.0 log (for code-scanning tools)\n"
	    "  --list           list every check: id, severity, group, title\n"
	    "  --suggest-policy OUT  also write an EnhanceProtect VarmorPolicy per workload\n"
	    "                   to OUT: rules that close known escapes and limit what the\n"
	    "                   findings say the workload keeps, each with its reason\n"
	    "  -h, --help       show this help\n\n"
	    "Exit status: 0 no finding at or above --fail-on, 1 such findings (or a file\n"
	    "that is not YAML), 2 usage error, 3 a file could not be read.\n\n"
	    "Examples:\n"
	    "  plastron lint deploy/*.yaml\n"
	    "  plastron lint --pss baseline pod.yaml\n"
	    "  helm template chart | plastron lint --fail-on warning -\n"
	    "  plastron lint --json app.yaml | jq -r '.[].id' | sort | uniq -c\n"
	    "  plastron lint --suggest-policy web-policy.yaml deploy.yaml\n");
	return status;
}

static void list_checks(void)
{
	static const char *const groups[] = { "pss-baseline", "pss-restricted", "plastron" };
	size_t n;
	const struct pl_lint_check *v = pl_lint_checks(&n);
	for (size_t i = 0; i < n; i++)
		printf("%-28s %-8s %-15s %s\n", v[i].id, cli_lint_severity(v[i].severity),
		       groups[v[i].group], v[i].title);
}

/* Whether `id` is one of the comma-separated `list`. */
static bool in_list(const char *list, const char *id)
{
	size_t n = strlen(id);
	for (const char *p = list; *p;) {
		const char *e = strchrnul(p, ',');
		if ((size_t)(e - p) == n && !strncmp(p, id, n))
			return true;
		p = *e ? e + 1 : e;
	}
	return false;
}

/* --only's ids must all name checks (with a "did you mean" otherwise). */
static int check_only(const char *list)
{
	size_t n;
	const struct pl_lint_check *v = pl_lint_checks(&n);
	const char *ids[64];
	for (size_t i = 0; i < n && i < 63; i++)
		ids[i] = v[i].id;
	ids[n < 63 ? n : 63] = NULL;
	int r = 0;
	for (const char *p = list; *p;) {
		const char *e = strchrnul(p, ',');
		char id[64];
		snprintf(id, sizeof(id), "%.*s", (int)(e - p), p);
		bool known = false;
		for (size_t i = 0; i < n; i++)
			known |= !strcmp(v[i].id, id);
		if (!known) {
			const char *s = pl_suggest(id, ids, 0);
			fprintf(stderr, "plastron lint: unknown check '%s'%s%s%s (see --list)\n",
				id, s ? ", did you mean '" : "", s ? s : "", s ? "'?" : "");
			r = -EINVAL;
		}
		p = *e ? e + 1 : e;
	}
	return r;
}

/* Drop the findings of checks --only does not name (the array stays sorted). */
static void keep_only(struct pl_lint_report *r, const char *list)
{
	size_t k = 0;
	for (size_t i = 0; i < r->n; i++)
		if (in_list(list, r->findings[i].check->id))
			r->findings[k++] = r->findings[i];
	r->n = k;
}

int verb_lint(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pss", required_argument, NULL, 'p' },
		{ "fail-on", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "sarif", no_argument, NULL, 'S' },
		{ "only", required_argument, NULL, 'o' },
		{ "list", no_argument, NULL, 'l' },
		{ "suggest-policy", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	enum pl_lint_set set = PL_LINT_SET_DEFAULT;
	int fail_on = PL_SEV_ERROR; /* findings with severity <= fail_on fail; -1: none */
	bool json = false, sarif = false, list = false, pss = false;
	const char *only = NULL, *suggest = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			pss = true;
			if (pl_lint_set_from_name(optarg, &set) < 0) {
				fprintf(stderr,
					"plastron lint: --pss takes baseline or restricted, not "
					"'%s'\n",
					optarg);
				return usage(stderr, CLI_USAGE);
			}
			break;
		case 'f':
			if (!strcmp(optarg, "error"))
				fail_on = PL_SEV_ERROR;
			else if (!strcmp(optarg, "warning"))
				fail_on = PL_SEV_WARNING;
			else if (!strcmp(optarg, "none"))
				fail_on = -1;
			else {
				fprintf(stderr,
					"plastron lint: --fail-on takes error, warning or none, "
					"not '%s'\n",
					optarg);
				return usage(stderr, CLI_USAGE);
			}
			break;
		case 'o':
			only = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'S':
			sarif = true;
			break;
		case 'l':
			list = true;
			break;
		case 'P':
			suggest = optarg;
			break;
		case 'h':
			return usage(stdout, CLI_OK);
		default:
			return usage(stderr, CLI_USAGE);
		}
	}
	if (list) {
		if (optind != argc)
			return usage(stderr, CLI_USAGE);
		list_checks();
		return CLI_OK;
	}
	if (only && (pss || check_only(only) < 0)) {
		if (pss)
			fprintf(stderr, "plastron lint: --only and --pss exclude each other\n");
		return usage(stderr, CLI_USAGE);
	}
	if (json && sarif) {
		fprintf(stderr, "plastron lint: --json and --sarif exclude each other\n");
		return usage(stderr, CLI_USAGE);
	}
	if (only)
		set = PL_LINT_SET_ALL;
	if (optind >= argc) {
		fprintf(stderr, "plastron lint: no FILE given\n");
		return usage(stderr, CLI_USAGE);
	}
	int ret = CLI_OK;
	FILE *sp = suggest ? fopen(suggest, "we") : NULL;
	size_t n_suggested = 0;
	if (suggest && !sp) {
		fprintf(stderr, "plastron lint: %s: %s\n", suggest, strerror(errno));
		return CLI_SYSTEM_ERROR;
	}
	json_t *arr = json || sarif ? json_array() : NULL;
	if ((json || sarif) && !arr)
		return CLI_SYSTEM_ERROR;
	for (int i = optind; i < argc; i++) {
		_cleanup_diag_ struct pl_diag d = { 0 };
		struct pl_lint_report *r = NULL;
		int rc = pl_lint_file(argv[i], set, &r, &d);
		cli_print_diag(&d);
		if (rc < 0) {
			int st = cli_status(rc, &d);
			if (st > ret)
				ret = st;
			continue;
		}
		if (only)
			keep_only(r, only);
		for (size_t k = 0; k < r->n; k++)
			if ((int)r->findings[k].check->severity <= fail_on &&
			    ret < CLI_POLICY_ERROR)
				ret = CLI_POLICY_ERROR;
		if (json || sarif) {
			if ((json ? cli_lint_json_append(arr, r) : cli_lint_sarif_append(arr, r)) <
				0 &&
			    ret < CLI_SYSTEM_ERROR)
				ret = CLI_SYSTEM_ERROR;
		} else
			cli_lint_print_text(r);
		for (size_t w = 0; sp && w < r->n_workloads; w++) {
			char *text = NULL;
			if (pl_lint_suggest_policy(r, w, &text) < 0) {
				ret = CLI_SYSTEM_ERROR;
				continue;
			}
			fprintf(sp, "%s%s", n_suggested++ ? "---\n" : "", text);
			free(text);
		}
		pl_lint_report_free(r);
	}
	if (sarif && !(arr = cli_lint_sarif_log(arr)))
		ret = CLI_SYSTEM_ERROR;
	if (arr) {
		if (json_dumpf(arr, stdout, JSON_INDENT(2)) < 0 && ret < CLI_SYSTEM_ERROR)
			ret = CLI_SYSTEM_ERROR;
		putchar('\n');
		json_decref(arr);
	}
	if (sp && (fclose(sp) != 0) && ret < CLI_SYSTEM_ERROR) {
		fprintf(stderr, "plastron lint: %s: %s\n", suggest, strerror(errno));
		ret = CLI_SYSTEM_ERROR;
	}
	if (sp)
		fprintf(stderr, "plastron lint: %zu suggested polic%s written to %s\n", n_suggested,
			n_suggested == 1 ? "y" : "ies", suggest);
	if (fflush(stdout) != 0 && ret < CLI_SYSTEM_ERROR)
		ret = CLI_SYSTEM_ERROR;
	return ret;
}
