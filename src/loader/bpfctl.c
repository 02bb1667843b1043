/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plastron-bpfctl: drive the cgroup-BPF enforcer by hand (tests, debugging).
 *
 *   plastron-bpfctl [--pin-dir DIR] install [--ringbuf BYTES]
 *   plastron-bpfctl [--pin-dir DIR] uninstall
 *   plastron-bpfctl [--pin-dir DIR] status
 *   plastron-bpfctl dump POLICY.yaml [--audit|--enforce]
 *   plastron-bpfctl [--pin-dir DIR] load ID POLICY.yaml
 *   plastron-bpfctl [--pin-dir DIR] attach-cgroup CGROUP POLICY.yaml [--id ID]
 *   plastron-bpfctl [--pin-dir DIR] detach-cgroup CGROUP
 *   plastron-bpfctl [--pin-dir DIR] mode ID as-written|enforce|audit|off
 *   plastron-bpfctl [--pin-dir DIR] events [--timeout MS] [--count N]
 *   plastron-bpfctl [--pin-dir DIR] counters
 *
 * Exit status: 0 ok, 1 policy error, 2 usage, 3 system error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "enforcer.h"
#include "plastron/bpf.h"
#include "plastron/policy.h"

enum { OK = 0, POLICY_ERROR = 1, USAGE = 2, SYSTEM_ERROR = 3 };

static void print_diag(struct pl_diag *d)
{
	for (const struct pl_diag_entry *x = d->head; x; x = x->next) {
		char *s = pl_diag_format(x);
		if (s) {
			fprintf(stderr, "%s\n", s);
			free(s);
		}
	}
	pl_diag_clear(d);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: plastron-bpfctl [--pin-dir DIR] COMMAND ...\n"
		"  install [--ringbuf BYTES]                   create and pin the maps\n"
		"  uninstall                                   unpin (detach) everything\n"
		"  status                                      what is pinned\n"
		"  dump POLICY [--audit|--enforce]             print the rule tables\n"
		"  load ID POLICY                              write a policy's rules\n"
		"  attach-cgroup CGROUP POLICY [--id ID]       load (ID 1) and register\n"
		"  detach-cgroup CGROUP                        unregister a cgroup\n"
		"  mode ID as-written|enforce|audit|off        live mode switch\n"
		"  events [--timeout MS] [--count N]           print ring-buffer events\n"
		"  counters                                    matched/denied/events/drops\n");
	return USAGE;
}

static int parse_u32(const char *s, uint32_t *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > UINT32_MAX)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

/* Tables of the first policy in `path`. */
static int tables_from_file(const char *path, const struct pl_gen_opts *o,
			    struct pl_bpf_tables **ret)
{
	struct pl_diag d = { 0 };
	struct pl_policy_set *set = NULL;
	int r;

	r = pl_policy_set_load(path, &set, &d);
	if (r == 0 && set->n == 0)
		r = pl_error(&d, -EINVAL, NULL, NULL, "%s: no policy", path);
	if (r == 0) {
		if (set->n > 1)
			pl_warning(&d, NULL, NULL, "%s: %zu policies, using the first (%s)", path,
				   set->n, set->policies[0]->name);
		r = pl_gen_cgroup_bpf(set->policies[0], o, NULL, ret, &d);
	}
	if (r == 0)
		for (size_t i = 0; i < (*ret)->n_elsewhere; i++)
			fprintf(stderr, "plastron-bpfctl: note: %s: %s\n",
				(*ret)->rules[(*ret)->elsewhere[i].rule],
				(*ret)->elsewhere[i].text);
	print_diag(&d);
	pl_policy_set_free(set);
	return r;
}

static int open_enf(const struct pl_enforcer_opts *o, struct pl_cg_enforcer **e)
{
	struct pl_diag d = { 0 };
	int r = pl_enforcer_open(o, e, &d);

	print_diag(&d);
	return r;
}

static int print_event(void *userdata, const struct pl_cg_event *ev)
{
	char buf[512];
	long *left = userdata;

	pl_cg_event_format(ev, buf, sizeof(buf));
	printf("%s\n", buf);
	fflush(stdout);
	return --*left == 0;
}

int main(int argc, char **argv)
{
	struct pl_enforcer_opts o = { 0 };
	struct pl_cg_enforcer *e = NULL;
	struct pl_diag d = { 0 };
	const char *cmd;
	int r, i = 1;

	while (i < argc && !strncmp(argv[i], "--", 2)) {
		if (!strcmp(argv[i], "--pin-dir") && i + 1 < argc) {
			o.pin_dir = argv[i + 1];
			i += 2;
		} else if (!strcmp(argv[i], "--help")) {
			usage();
			return OK;
		} else {
			return usage();
		}
	}
	if (i >= argc)
		return usage();
	cmd = argv[i++];

	if (!strcmp(cmd, "install")) {
		for (; i < argc; i += 2) {
			if (i + 1 >= argc)
				return usage();
			if (strcmp(argv[i], "--ringbuf") ||
			    parse_u32(argv[i + 1], &o.ringbuf_size) < 0)
				return usage();
		}
		r = pl_enforcer_install(&o, &e, &d);
		print_diag(&d);
		if (r < 0)
			return SYSTEM_ERROR;
		printf("installed: maps pinned under %s\n",
		       o.pin_dir ? o.pin_dir : PL_ENFORCER_PIN_DIR);
		pl_enforcer_close(e);
		return OK;
	}
	if (!strcmp(cmd, "dump")) {
		struct pl_gen_opts go = { .run_mode = PL_RUN_AS_WRITTEN };
		struct pl_bpf_tables *t = NULL;

		if (i >= argc)
			return usage();
		if (i + 1 < argc && !strcmp(argv[i + 1], "--audit"))
			go.run_mode = PL_RUN_AUDIT;
		else if (i + 1 < argc && !strcmp(argv[i + 1], "--enforce"))
			go.run_mode = PL_RUN_ENFORCE;
		if (tables_from_file(argv[i], &go, &t) < 0)
			return POLICY_ERROR;
		pl_bpf_tables_dump(t, stdout);
		pl_bpf_tables_free(t);
		return OK;
	}

	if (!strcmp(cmd, "uninstall")) {
		/* Whatever is pinned, also pins of another version. */
		r = pl_enforcer_purge(&o, &d);
		print_diag(&d);
		return r < 0 ? SYSTEM_ERROR : OK;
	}
	if (open_enf(&o, &e) < 0)
		return SYSTEM_ERROR;
	r = 0;
	if (!strcmp(cmd, "status")) {
		struct pl_enforcer_counters c;

		int want, links = pl_enforcer_links(e, &want);

		printf("links: %d of %d\n", links, want);
		r = pl_enforcer_counters(e, &c);
		if (r == 0)
			printf("matched: %llu\ndenied: %llu\nevents: %llu\ndrops: %llu\n",
			       (unsigned long long)c.matched, (unsigned long long)c.denied,
			       (unsigned long long)c.events, (unsigned long long)c.drops);
	} else if (!strcmp(cmd, "counters")) {
		struct pl_enforcer_counters c;

		r = pl_enforcer_counters(e, &c);
		if (r == 0)
			printf("matched=%llu denied=%llu events=%llu drops=%llu\n",
			       (unsigned long long)c.matched, (unsigned long long)c.denied,
			       (unsigned long long)c.events, (unsigned long long)c.drops);
	} else if (!strcmp(cmd, "load") || !strcmp(cmd, "attach-cgroup")) {
		bool attach = !strcmp(cmd, "attach-cgroup");
		struct pl_bpf_tables *t = NULL;
		uint32_t id = 1;
		const char *cg = NULL, *policy;
		uint64_t cgid = 0;

		if (i + 1 >= argc) {
			pl_enforcer_close(e);
			return usage();
		}
		if (attach) {
			cg = argv[i];
			if (i + 3 < argc && !strcmp(argv[i + 2], "--id") &&
			    parse_u32(argv[i + 3], &id) < 0) {
				pl_enforcer_close(e);
				return usage();
			}
		} else if (parse_u32(argv[i], &id) < 0) {
			pl_enforcer_close(e);
			return usage();
		}
		policy = argv[i + 1];
		if (tables_from_file(policy, NULL, &t) < 0) {
			pl_enforcer_close(e);
			return POLICY_ERROR;
		}
		r = pl_enforcer_set_policy(e, id, t, &d);
		pl_bpf_tables_free(t);
		if (r == 0 && attach) {
			r = pld_cgroup_id(cg, &cgid);
			if (r < 0)
				pl_error(&d, r, NULL, NULL, "%s: cannot get the cgroup id: %s", cg,
					 strerror(-r));
			else
				r = pl_enforcer_register(e, cgid, id, &d);
		}
		if (r == 0 && attach)
			printf("cgroup %s (id %llu) -> policy %u\n", cg, (unsigned long long)cgid,
			       id);
	} else if (!strcmp(cmd, "detach-cgroup")) {
		uint64_t cgid;

		if (i >= argc) {
			pl_enforcer_close(e);
			return usage();
		}
		r = pld_cgroup_id(argv[i], &cgid);
		if (r == 0)
			r = pl_enforcer_unregister(e, cgid, &d);
	} else if (!strcmp(cmd, "mode")) {
		uint32_t id;
		int m;

		if (i + 1 >= argc || parse_u32(argv[i], &id) < 0 ||
		    (m = pl_bpf_mode_from_name(argv[i + 1])) < 0) {
			pl_enforcer_close(e);
			return usage();
		}
		r = pl_enforcer_set_mode(e, id, (enum pl_bpf_mode)m, &d);
	} else if (!strcmp(cmd, "events")) {
		uint32_t timeout = 1000, count = 0;
		long left;
		struct timespec t0, t1;

		for (; i + 1 < argc; i += 2) {
			if (!strcmp(argv[i], "--timeout") && parse_u32(argv[i + 1], &timeout) == 0)
				continue;
			if (!strcmp(argv[i], "--count") && parse_u32(argv[i + 1], &count) == 0)
				continue;
			pl_enforcer_close(e);
			return usage();
		}
		left = count ? (long)count : -1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (;;) {
			long ms;

			r = pl_enforcer_poll(e, print_event, &left, 100);
			if (r < 0 || left == 0)
				break;
			clock_gettime(CLOCK_MONOTONIC, &t1);
			ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
			if (ms >= (long)timeout)
				break;
		}
		if (r > 0)
			r = 0;
	} else {
		pl_enforcer_close(e);
		return usage();
	}
	size_t n_errors = d.n_errors;

	print_diag(&d);
	pl_enforcer_close(e);
	if (r < 0) {
		if (!n_errors)
			fprintf(stderr, "plastron-bpfctl: %s: %s\n", cmd, strerror(-r));
		return SYSTEM_ERROR;
	}
	return OK;
}
