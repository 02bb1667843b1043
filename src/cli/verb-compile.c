/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plastron compile FILE --enforcer seccomp|landlock|apparmor: emit the
 * profile one mechanism gets from a policy. Also `--import OCI.json` to read
 * an OCI seccomp profile and write it back (round trip).
 *
 * Nothing is written on error: the output goes to a temporary file next to
 * OUT that is renamed over it only when everything succeeded.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "plastron/apply.h"
#include "plastron/gen.h"
#include "plastron/events.h"
#include "plastron/policy.h"

static void compile_usage(FILE *f)
{
	fprintf(f,
		"Usage: plastron compile FILE --enforcer seccomp|landlock|apparmor [OPTIONS]\n"
		"       plastron compile --import OCI.json [--format json|text] [-o OUT]\n\n"
		"Compile one policy of FILE into the profile of one mechanism:\n"
		"  seccomp   OCI linux.seccomp JSON (runc, crun, containerd, Docker, kubelet\n"
		"            Localhost profiles); --format text prints the readable dump\n"
		"  landlock  the Landlock ruleset (text)\n"
		"  apparmor  the AppArmor profile text, named varmor-<namespace>-<name>\n"
		"            (varmor-cluster-varmor-<name> for a VarmorClusterPolicy)\n\n"
		"Options:\n"
		"  -e, --enforcer MECH     seccomp, landlock or apparmor (required with FILE)\n"
		"  -f, --format FMT        json (seccomp's default) or text\n"
		"  -m, --mode MODE         override every rule: enforce (deny+log), audit\n"
		"                          (allow+log) or observe (audit + log all allowed)\n"
		"  -n, --name NAME         the policy with metadata.name NAME (needed when FILE\n"
		"                          holds several)\n"
		"      --landlock-abi N    generate for Landlock ABI N instead of the kernel's\n"
		"      --import OCI.json   read an OCI/Docker seccomp profile and write it back\n"
		"  -o, --output OUT        write to OUT (atomically) instead of stdout\n"
		"  -h, --help              show this help\n\n"
		"Exit status: 0 ok, 1 policy error, 2 usage error, 3 system error.\n\n"
		"Examples:\n"
		"  plastron compile policy.yaml --enforcer seccomp -o "
		"/var/lib/kubelet/seccomp/web.json\n"
		"  plastron compile policy.yaml --enforcer seccomp --format text --mode audit\n"
		"  plastron compile policy.yaml --enforcer apparmor --name web\n"
		"  plastron compile policy.yaml --enforcer landlock --landlock-abi 4\n"
		"  plastron compile --import /usr/share/containers/seccomp.json --format text\n");
}

enum mech { M_NONE, M_SECCOMP, M_LANDLOCK, M_APPARMOR };

static int write_out(const char *out, const char *buf, size_t len)
{
	if (!out || !strcmp(out, "-")) {
		if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0) {
			fprintf(stderr, "plastron compile: writing stdout: %s\n", strerror(errno));
			return cli_status(-errno, NULL);
		}
		return CLI_OK;
	}
	size_t n = strlen(out);
	char *tmp = malloc(n + 16);
	if (!tmp)
		return cli_status(-ENOMEM, NULL);
	snprintf(tmp, n + 16, "%s.tmpXXXXXX", out);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		int e = errno;
		fprintf(stderr, "plastron compile: %s: %s\n", out, strerror(e));
		free(tmp);
		return cli_status(-e, NULL);
	}
	/* mkstemp creates 0600; profiles are read by runtimes and kubelet */
	(void)fchmod(fd, 0644);
	FILE *f = fdopen(fd, "w");
	bool ok = f && fwrite(buf, 1, len, f) == len && fflush(f) == 0 && fsync(fd) == 0;
	if (f)
		ok = fclose(f) == 0 && ok;
	else
		close(fd);
	if (!ok || rename(tmp, out) < 0) {
		int e = errno ? errno : EIO;
		fprintf(stderr, "plastron compile: %s: %s\n", out, strerror(e));
		unlink(tmp);
		free(tmp);
		return cli_status(-e, NULL);
	}
	free(tmp);
	return CLI_OK;
}

/* vArmor's profile name (pl_varmor_profile_name, also that of the vArmor
 * event format). */
static char *profile_name(const struct pl_policy *p)
{
	char buf[64];
	pl_varmor_profile_name(p->kind == PL_KIND_VARMOR_CLUSTER_POLICY, p->namespace_, p->name,
			       buf, sizeof(buf));
	return strdup(buf);
}

static int do_import(const char *path, bool text, const char *out)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f) {
		int e = errno;
		fprintf(stderr, "plastron compile: %s: %s\n", path, strerror(e));
		return cli_status(-e, NULL);
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len + 4096 > cap) {
			char *nb = realloc(buf, cap = cap * 2 + 8192);
			if (!nb) {
				free(buf);
				if (f != stdin)
					fclose(f);
				return cli_status(-ENOMEM, NULL);
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (f != stdin)
		fclose(f);
	struct pl_diag d = { 0 };
	struct pl_sc_profile *prof = NULL;
	int r = pl_sc_profile_from_json(path, buf, len, &prof, &d);
	free(buf);
	int ret = CLI_OK;
	char *res = NULL;
	size_t res_len = 0;
	if (r >= 0) {
		if (text) {
			FILE *m = open_memstream(&res, &res_len);
			r = m ? pl_sc_profile_dump(prof, m) : -ENOMEM;
			if (m)
				fclose(m);
		} else {
			r = pl_sc_profile_to_json(prof, &res, &d);
			res_len = res ? strlen(res) : 0;
		}
	}
	cli_print_diag(&d);
	ret = cli_status(r, &d);
	pl_diag_clear(&d);
	pl_sc_profile_free(prof);
	if (r >= 0)
		ret = write_out(out, res, res_len);
	free(res);
	return ret;
}

int verb_compile(int argc, char **argv)
{
	enum { OPT_IMPORT = 256, OPT_LL_ABI };
	static const struct option opts[] = {
		{ "enforcer", required_argument, NULL, 'e' },
		{ "format", required_argument, NULL, 'f' },
		{ "mode", required_argument, NULL, 'm' },
		{ "name", required_argument, NULL, 'n' },
		{ "output", required_argument, NULL, 'o' },
		{ "import", required_argument, NULL, OPT_IMPORT },
		{ "landlock-abi", required_argument, NULL, OPT_LL_ABI },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	enum mech mech = M_NONE;
	const char *format = NULL, *name = NULL, *out = NULL, *import = NULL;
	struct pl_gen_opts gopts = { .run_mode = PL_RUN_AS_WRITTEN };
	int ll_abi = -1, c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "e:f:m:n:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'e':
			if (!strcasecmp(optarg, "seccomp"))
				mech = M_SECCOMP;
			else if (!strcasecmp(optarg, "landlock"))
				mech = M_LANDLOCK;
			else if (!strcasecmp(optarg, "apparmor"))
				mech = M_APPARMOR;
			else {
				fprintf(
				    stderr,
				    "plastron compile: unknown enforcer '%s' (seccomp, landlock "
				    "or apparmor)\n",
				    optarg);
				return CLI_USAGE;
			}
			break;
		case 'f':
			if (strcmp(optarg, "json") && strcmp(optarg, "text")) {
				fprintf(stderr,
					"plastron compile: unknown format '%s' (json or text)\n",
					optarg);
				return CLI_USAGE;
			}
			format = optarg;
			break;
		case 'm':
			if (!strcmp(optarg, "enforce"))
				gopts.run_mode = PL_RUN_ENFORCE;
			else if (!strcmp(optarg, "audit"))
				gopts.run_mode = PL_RUN_AUDIT;
			else if (!strcmp(optarg, "observe"))
				gopts.run_mode = PL_RUN_OBSERVE;
			else {
				fprintf(stderr,
					"plastron compile: unknown mode '%s' (enforce, audit or "
					"observe)\n",
					optarg);
				return CLI_USAGE;
			}
			break;
		case 'n':
			name = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case OPT_IMPORT:
			import = optarg;
			break;
		case OPT_LL_ABI: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 64) {
				fprintf(stderr, "plastron compile: invalid --landlock-abi '%s'\n",
					optarg);
				return CLI_USAGE;
			}
			ll_abi = (int)v;
			break;
		}
		case 'h':
			compile_usage(stdout);
			return CLI_OK;
		default:
			compile_usage(stderr);
			return CLI_USAGE;
		}
	}
	bool text = format && !strcmp(format, "text");
	if (import) {
		if (optind != argc || mech != M_NONE) {
			fprintf(stderr, "plastron compile: --import takes no FILE or --enforcer\n");
			return CLI_USAGE;
		}
		return do_import(import, text, out);
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "plastron compile: expected exactly one FILE\n");
		compile_usage(stderr);
		return CLI_USAGE;
	}
	if (mech == M_NONE) {
		fprintf(stderr, "plastron compile: --enforcer is required\n");
		compile_usage(stderr);
		return CLI_USAGE;
	}
	if (mech != M_SECCOMP && format && !text) {
		fprintf(stderr, "plastron compile: %s profiles have only a text format\n",
			mech == M_LANDLOCK ? "Landlock" : "AppArmor");
		return CLI_USAGE;
	}
	int st;
	struct pl_policy_set *set = cli_load_policies(argv[optind], &st);
	if (!set)
		return st;
	const struct pl_policy *p = NULL;
	size_t matches = 0;
	for (size_t i = 0; i < set->n; i++) {
		if (name && (!set->policies[i]->name || strcmp(set->policies[i]->name, name)))
			continue;
		if (!p)
			p = set->policies[i];
		matches++;
	}
	int ret = CLI_OK;
	if (!p) {
		fprintf(stderr, "%s: error: %s\n", argv[optind],
			name ? "no policy with that name" : "no policy in file");
		if (name) {
			const char **names = calloc(set->n + 1, sizeof(*names));
			for (size_t i = 0; names && i < set->n; i++)
				names[i] = set->policies[i]->name ? set->policies[i]->name : "";
			const char *s = names ? pl_suggest(name, names, set->n) : NULL;
			if (s)
				fprintf(stderr, "  hint: did you mean '%s'?\n", s);
			free(names);
		}
		pl_policy_set_free(set);
		return CLI_POLICY_ERROR;
	}
	if (matches > 1) {
		fprintf(stderr, "%s: error: %zu policies%s; choose one with --name\n", argv[optind],
			matches, name ? " have that name" : " in file");
		pl_policy_set_free(set);
		return CLI_USAGE;
	}

	/* vArmor would not apply a seccomp/AppArmor profile the policy's enforcer
	 * does not name; say so (Landlock is plastron's own extension). */
	if ((mech == M_SECCOMP && !(p->enforcers & PL_ENF_SECCOMP)) ||
	    (mech == M_APPARMOR && !(p->enforcers & PL_ENF_APPARMOR)))
		fprintf(stderr,
			"%s: note: policy '%s' has enforcer '%s', which does not include %s; "
			"vArmor would not apply this profile\n",
			argv[optind], p->name ? p->name : "?",
			p->enforcer_text ? p->enforcer_text : "?",
			mech == M_SECCOMP ? "Seccomp" : "AppArmor");
	struct pl_diag d = { 0 };
	char *res = NULL;
	size_t res_len = 0;
	int r = 0;
	if (mech == M_SECCOMP) {
		struct pl_sc_profile *prof = NULL;
		r = pl_gen_seccomp(p, &gopts, &prof, &d);
		if (r >= 0 && text) {
			FILE *m = open_memstream(&res, &res_len);
			r = m ? pl_sc_profile_dump(prof, m) : -ENOMEM;
			if (m)
				fclose(m);
		} else if (r >= 0) {
			r = pl_sc_profile_to_json(prof, &res, &d);
			res_len = res ? strlen(res) : 0;
		}
		pl_sc_profile_free(prof);
	} else if (mech == M_LANDLOCK) {
		struct pl_ll_ruleset *rs = NULL;
		int abi = ll_abi > 0 ? ll_abi : pl_landlock_abi();
		r = pl_gen_landlock(p, abi, &rs, &d);
		if (r >= 0) {
			FILE *m = open_memstream(&res, &res_len);
			r = m ? pl_ll_ruleset_dump(rs, m) : -ENOMEM;
			if (m)
				fclose(m);
		}
		pl_ll_ruleset_free(rs);
	} else {
		char *pname = profile_name(p);
		r = pname ? pl_gen_apparmor(p, &gopts, pname, &res, &d) : -ENOMEM;
		res_len = r >= 0 && res ? strlen(res) : 0;
		free(pname);
	}
	cli_print_diag(&d);
	ret = cli_status(r, &d);
	pl_diag_clear(&d);
	if (r >= 0)
		ret = write_out(out, res ? res : "", res_len);
	free(res);
	pl_policy_set_free(set);
	return ret;
}
