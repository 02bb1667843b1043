/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pl_enforcer_upgrade: programs pinned by another build are replaced on
 * every link and in their pins, without a gap.
 *
 * An "older build" is simulated: the sysctl program of a registered
 * cgroup's policy is swapped, on its link and in its pin, for a sysctl
 * program that allows everything (tests/agent/spin.bpf.c). A write of
 * core_pattern's current value from the cgroup then goes through; after
 * the upgrade it is denied again, and the pin holds this build's program.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "enforcer.h"
#include "cg-live.h"
#include "plastron/bpf.h"
#include "spin.skel.h"
#include "tap.h"

static char cg2[512], cg[600], cg_gone[620], cg_late[620], pin[200], core[4096];

static void cleanup(void)
{
	remove_pins(pin);
	if (cg[0])
		rmdir_retry(cg);
	if (cg_gone[0])
		rmdir_retry(cg_gone);
	if (cg_late[0])
		rmdir_retry(cg_late);
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* From a child in the test cgroup, write core_pattern's current value
 * back: 0 or the errno. */
static int write_core_pattern(void)
{
	int status = 0;
	pid_t pid = fork();

	if (pid == 0) {
		size_t len = strlen(core);
		int fd;

		if (join_cgroup(cg) < 0)
			_exit(100);
		fd = open("/proc/sys/kernel/core_pattern", O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			_exit(errno);
		_exit(write(fd, core, len) == (ssize_t)len ? 0 : errno ? errno : EIO);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* The tag of program `fd` (closed here). */
static int tag_of_fd(int fd, uint8_t *tag)
{
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info);
	int r = 0;

	if (fd < 0)
		return -1;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		r = -errno;
	else
		memcpy(tag, info.tag, BPF_TAG_SIZE);
	close(fd);
	return r;
}

static int pinned_tag(const char *path, uint8_t *tag)
{
	return tag_of_fd(bpf_obj_get(path), tag);
}

/* The tag of the program that the link pinned at `path` runs. */
static int link_prog_tag(const char *path, uint8_t *tag)
{
	struct bpf_link_info li = {};
	uint32_t len = sizeof(li);
	int lfd = bpf_obj_get(path), pfd = -1;

	if (lfd >= 0 && bpf_obj_get_info_by_fd(lfd, &li, &len) == 0)
		pfd = bpf_prog_get_fd_by_id(li.prog_id);
	if (lfd >= 0)
		close(lfd);
	return tag_of_fd(pfd, tag);
}

/* One rule: writes to kernel/core_pattern denied. */
static struct pl_bpf_tables *core_pattern_tables(void)
{
	struct pl_bpf_tables *t = calloc(1, sizeof(*t));

	if (!t || !(t->rules = calloc(1, sizeof(*t->rules))) ||
	    !(t->rules[0] = strdup("disallow-write-core-pattern")) ||
	    !(t->sysctl = calloc(1, sizeof(*t->sysctl)))) {
		pl_bpf_tables_free(t);
		return NULL;
	}
	t->n_rules = 1;
	snprintf(t->sysctl[0].name, sizeof(t->sysctl[0].name), "kernel/core_pattern");
	t->sysctl[0].action = PL_BPF_ACT_DENY;
	t->n_sysctl = 1;
	return t;
}

int main(void)
{
	struct pl_enforcer_opts o = { .pin_dir = pin, .ringbuf_size = 4096 };
	struct pl_cg_enforcer *e = NULL;
	struct pl_bpf_tables *t = NULL;
	struct spin_bpf *old = NULL;
	struct pl_diag d = { 0 };
	uint8_t t1[BPF_TAG_SIZE], t2[BPF_TAG_SIZE], t_old[BPF_TAG_SIZE];
	char p1[400], p2[400], lp[400];
	uint64_t id = 0, id_gone = 0, id_late = 0, one = 1;
	int r, n = -1, fd;
	uint32_t zero = 0;

	if (geteuid() != 0) {
		TAP_SKIP("needs root (cgroup-BPF, cgroup v2, bpffs)", "pl_enforcer_upgrade, live");
		return tap_done();
	}
	if (pld_cgroup_mount(cg2, sizeof(cg2)) < 0) {
		TAP_SKIP("no cgroup v2 mount in /proc/self/mountinfo", "pl_enforcer_upgrade, live");
		return tap_done();
	}
	fd = open("/proc/sys/kernel/core_pattern", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, core, sizeof(core) - 1) <= 0) {
		TAP_OK(false, "read /proc/sys/kernel/core_pattern: %s", strerror(errno));
		return tap_done();
	}
	close(fd);
	atexit(cleanup);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	snprintf(pin, sizeof(pin), "/sys/fs/bpf/plastron-upgradetest-%d", (int)getpid());
	snprintf(cg, sizeof(cg), "%s/plastron-upgradetest-%d", cg2, (int)getpid());
	snprintf(cg_gone, sizeof(cg_gone), "%s-gone", cg);
	snprintf(cg_late, sizeof(cg_late), "%s-late", cg);
	if (!TAP_OK(mkdir(cg, 0755) == 0 && pld_cgroup_id(cg, &id) == 0 &&
			mkdir(cg_gone, 0755) == 0 && pld_cgroup_id(cg_gone, &id_gone) == 0 &&
			mkdir(cg_late, 0755) == 0 && pld_cgroup_id(cg_late, &id_late) == 0,
		    "test cgroups %s and -gone, -late", cg))
		return tap_done();

	t = core_pattern_tables();
	r = t ? pl_enforcer_install(&o, &e, &d) : -ENOMEM;
	if (r == 0)
		r = pl_enforcer_set_policy(e, 1, t, &d);
	if (r == 0)
		r = pl_enforcer_set_policy(e, 2, t, &d);
	if (r == 0)
		r = pl_enforcer_register(e, id, 1, &d);
	if (r == 0)
		r = pl_enforcer_register(e, id_gone, 1, &d);
	/* removed while registered: the kernel detaches its links, their pins
	 * stay (as when a container exits while the agent is down) */
	if (r == 0 && rmdir(cg_gone) < 0)
		r = -errno;
	if (!TAP_OK(r == 0,
		    "enforcer installed, policies 1 and 2 written, two cgroups registered "
		    "with policy 1, one of them removed (%s)",
		    d.head ? d.head->message : "ok"))
		goto out;
	r = write_core_pattern();
	TAP_OK(r == EPERM, "a core_pattern write from the cgroup is denied (%s)", strerror(r));
	r = pl_enforcer_upgrade(e, &n, &d);
	TAP_OK(r == 0 && n == 0, "upgrade with this build's programs pinned replaces nothing (%d)",
	       n);

	snprintf(p1, sizeof(p1), "%s/progs/1/pl_sysctl", pin);
	snprintf(p2, sizeof(p2), "%s/progs/2/pl_sysctl", pin);
	TAP_OK(pinned_tag(p1, t1) == 0 && pinned_tag(p2, t2) == 0 && !memcmp(t1, t2, sizeof(t1)),
	       "the programs of two policies have one tag (the id is in a read-only map)");

	/* An older build's sysctl program: allows every write. */
	old = spin_bpf__open_and_load();
	snprintf(lp, sizeof(lp), "%s/links/%llu/pl_sysctl", pin, (unsigned long long)id);
	fd = bpf_obj_get(lp);
	r = old && fd >= 0 ? 0 : -1;
	if (r == 0) {
		int pfd = bpf_program__fd(old->progs.pl_spin);

		bpf_map_update_elem(bpf_map__fd(old->maps.config), &zero, &one, BPF_ANY);
		r = bpf_link_update(fd, pfd, NULL) < 0 || unlink(p1) < 0 || bpf_obj_pin(pfd, p1) < 0
			? -1
			: 0;
	}
	if (fd >= 0)
		close(fd);
	if (!TAP_OK(r == 0 && pinned_tag(p1, t_old) == 0 && memcmp(t_old, t1, sizeof(t1)),
		    "another build's sysctl program put on the cgroup's link and in the pin"))
		goto out;
	r = write_core_pattern();
	TAP_OK(r == 0, "under it, the write goes through (%s)", strerror(r));

	r = pl_enforcer_upgrade(e, &n, &d);
	TAP_OK(r == 0 && n == 1,
	       "upgrade replaces one program set, past the removed cgroup's links (%d: %s)", n,
	       d.head ? d.head->message : "ok");
	pl_diag_clear(&d);
	r = write_core_pattern();
	TAP_OK(r == EPERM, "after the upgrade the write is denied again (%s)", strerror(r));
	TAP_OK(pinned_tag(p1, t_old) == 0 && !memcmp(t_old, t1, sizeof(t1)),
	       "the pin holds this build's program again");
	TAP_OK(link_prog_tag(lp, t_old) == 0 && !memcmp(t_old, t1, sizeof(t1)),
	       "the cgroup's link runs this build's program");
	r = pl_enforcer_register(e, id_late, 1, &d);
	snprintf(lp, sizeof(lp), "%s/links/%llu/pl_sysctl", pin, (unsigned long long)id_late);
	TAP_OK(r == 0 && link_prog_tag(lp, t_old) == 0 && !memcmp(t_old, t1, sizeof(t1)),
	       "a cgroup registered after the upgrade gets this build's program (the handle's "
	       "cache was replaced too)");
	r = pl_enforcer_upgrade(e, &n, &d);
	TAP_OK(r == 0 && n == 0, "a second upgrade replaces nothing (%d)", n);

out:
	for (const struct pl_diag_entry *x = d.head; x; x = x->next)
		tap_diag("%s", x->message);
	pl_diag_clear(&d);
	spin_bpf__destroy(old);
	pl_bpf_tables_free(t);
	if (e) {
		r = pl_enforcer_uninstall(e, &d);
		TAP_OK(r == 0, "uninstall the enforcer");
		pl_diag_clear(&d);
	}
	return tap_done();
}
