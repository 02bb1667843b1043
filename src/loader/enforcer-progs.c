/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup-BPF enforcer loader: per-policy program instances (load, pin,
 * re-adopt) and pl_enforcer_upgrade, which replaces programs pinned by an
 * older build in place. See enforcer-internal.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <dirent.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "enforcer-internal.h"

/* ---- per-policy programs ------------------------------------------------ */

int pl_enf_check_policy(uint32_t policy, struct pl_diag *d)
{
	if (policy == 0 || policy >= PL_CG_MAX_POLICIES)
		return pl_error(d, -ERANGE, NULL, NULL, "policy id %u is outside 1..%u", policy,
				PL_CG_MAX_POLICIES - 1);
	return 0;
}

static void close_fds(int *fd, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (fd[i] >= 0)
			close(fd[i]);
		fd[i] = -1;
	}
}

/* Load this build's programs for `policy` (pl_policy = policy, every map
 * shared), unpinned: the per-policy ones into `fd`, and with `dev` also the
 * device program. */
static int load_instance(struct pl_cg_enforcer *e, uint32_t policy, int *fd, int *dev,
			 struct pl_diag *d)
{
	struct pl_cgroup *skel = pl_cgroup__open();
	int r = 0;

	for (size_t i = 0; i < N_PROGS; i++)
		fd[i] = -1;
	if (dev)
		*dev = -1;
	if (!skel)
		return pl_enf_sys_error(d, errno, "open the cgroup-BPF object");
	skel->rodata->pl_policy = policy;
	/* one device program instance, at the root */
	bpf_program__set_autoload(skel->progs.pl_dev, dev != NULL);
	for (int i = 0; i < M__MAX && r == 0; i++) {
		struct bpf_map *m = pl_enf_skel_map(skel, i);

		r = m ? bpf_map__reuse_fd(m, e->map_fd[i]) : -ENOENT;
		if (r < 0)
			r = pl_enf_sys_error(d, r, "share map %s", map_desc[i].name);
	}
	if (r == 0) {
		r = pl_cgroup__load(skel);
		if (r < 0)
			r = pl_enf_sys_error(d, r, "load the cgroup-BPF programs of policy %u",
					     policy);
	}
	for (size_t i = 0; i < N_PROGS && r == 0; i++) {
		struct bpf_program *prog = pl_enf_skel_prog(skel, i);

		if (!prog)
			r = pl_error(d, -ENOENT, NULL, NULL, "program %s missing from the object",
				     progs[i].name);
		else if ((fd[i] = fcntl(bpf_program__fd(prog), F_DUPFD_CLOEXEC, 3)) < 0)
			r = pl_enf_sys_error(d, errno, "dup a program fd");
	}
	if (r == 0 && dev &&
	    (*dev = fcntl(bpf_program__fd(skel->progs.pl_dev), F_DUPFD_CLOEXEC, 3)) < 0)
		r = pl_enf_sys_error(d, errno, "dup a program fd");
	pl_cgroup__destroy(skel);
	if (r < 0) {
		close_fds(fd, N_PROGS);
		if (dev)
			close_fds(dev, 1);
	}
	return r;
}

/* Pin program `fd` at `path`, replacing what is pinned there. */
static int repin(int fd, const char *path, struct pl_diag *d)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return pl_enf_sys_error(d, errno, "unpin %s", path);
	if (bpf_obj_pin(fd, path) < 0)
		return pl_enf_sys_error(d, errno, "pin %s", path);
	return 0;
}

/* Load the programs of `policy` and pin them under
 * <pin_dir>/progs/<policy>/; fds into `fd`. */
static int load_progs_new(struct pl_cg_enforcer *e, uint32_t policy, int *fd, struct pl_diag *d)
{
	char p[PATH_MAX];
	int r = load_instance(e, policy, fd, NULL, d);

	snprintf(p, sizeof(p), "%s/progs/%u", e->pin_dir, policy);
	if (r == 0 && mkdir(p, 0700) < 0 && errno != EEXIST)
		r = pl_enf_sys_error(d, errno, "mkdir %s", p);
	for (size_t i = 0; i < N_PROGS && r == 0; i++) {
		/* repin: a partial set left by an interrupted load goes */
		snprintf(p, sizeof(p), "%s/progs/%u/%s", e->pin_dir, policy, progs[i].name);
		r = repin(fd[i], p, d);
	}
	return r;
}

/* The programs of `policy`: cached, re-opened from their pins, or loaded. */
const int *pl_enf_load_progs(struct pl_cg_enforcer *e, uint32_t policy, struct pl_diag *d, int *err)
{
	struct prog_set s = { .policy = policy }, *n;
	char p[PATH_MAX];
	int r = 0;

	for (size_t i = 0; i < e->n_sets; i++)
		if (e->sets[i].policy == policy)
			return e->sets[i].fd;
	for (size_t i = 0; i < N_PROGS; i++)
		s.fd[i] = -1;
	for (size_t i = 0; i < N_PROGS && r == 0; i++) {
		snprintf(p, sizeof(p), "%s/progs/%u/%s", e->pin_dir, policy, progs[i].name);
		s.fd[i] = bpf_obj_get(p);
		if (s.fd[i] < 0)
			r = -errno;
	}
	if (r < 0) {
		close_fds(s.fd, N_PROGS); /* resets them to -1 */
		r = load_progs_new(e, policy, s.fd, d);
	}
	if (r == 0) {
		n = realloc(e->sets, (e->n_sets + 1) * sizeof(*n));
		if (!n)
			r = pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
		else {
			e->sets = n;
			e->sets[e->n_sets++] = s;
			return e->sets[e->n_sets - 1].fd;
		}
	}
	close_fds(s.fd, N_PROGS);
	*err = r;
	return NULL;
}

int pl_enforcer_load_programs(struct pl_cg_enforcer *e, uint32_t policy, struct pl_diag *d)
{
	int r = pl_enf_check_policy(policy, d);

	if (r == 0 && !pl_enf_load_progs(e, policy, d, &r))
		return r;
	return r;
}

bool pl_enforcer_has_programs(const struct pl_cg_enforcer *e, uint32_t policy)
{
	for (size_t i = 0; i < e->n_sets; i++)
		if (e->sets[i].policy == policy)
			return true;
	return false;
}

/* ---- upgrade: programs pinned by another build --------------------------- */

static int tag_of(int fd, uint8_t *tag)
{
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return -errno;
	memcpy(tag, info.tag, BPF_TAG_SIZE);
	return 0;
}

static bool same_tag(int fd, const uint8_t *want)
{
	uint8_t tag[BPF_TAG_SIZE];

	return fd >= 0 && tag_of(fd, tag) == 0 && !memcmp(tag, want, BPF_TAG_SIZE);
}

/* Whether link `lfd` was detached with its cgroup (removed while nobody
 * unregistered it: its pin stays, the kernel auto-detached it). */
static bool link_detached(int lfd)
{
	struct bpf_link_info info = {};
	uint32_t len = sizeof(info);

	return bpf_obj_get_info_by_fd(lfd, &info, &len) == 0 && info.cgroup.cgroup_id == 0;
}

/* Move the link pinned at `path` onto program `fd`: atomic, so the hook
 * never runs without a program. A missing pin is an error only when
 * `required`; a link detached with its cgroup is left alone. */
static int relink(const char *path, int fd, bool required, struct pl_diag *d)
{
	int lfd = bpf_obj_get(path), r = 0;

	if (lfd < 0)
		return errno == ENOENT && !required ? 0
						    : pl_enf_sys_error(d, errno, "open %s", path);
	/* ENOLINK (EINVAL before 6.x): its cgroup is gone */
	if (bpf_link_update(lfd, fd, NULL) < 0 && !(errno == ENOLINK || link_detached(lfd)))
		r = pl_enf_sys_error(d, errno, "switch %s to the new program", path);
	close(lfd);
	return r;
}

/* Replace the program set of `policy` by `fd` on every registered cgroup's
 * links, then in its pins and the cache. */
static int upgrade_set(struct pl_cg_enforcer *e, uint32_t policy, const int *fd, struct pl_diag *d)
{
	struct pl_cg_container c;
	uint64_t cur, next;
	char p[PATH_MAX];
	int r = 0;

	for (void *prev = NULL;
	     r == 0 && bpf_map_get_next_key(e->map_fd[M_CONTAINERS], prev, &next) == 0;
	     prev = &cur) {
		cur = next;
		if (bpf_map_lookup_elem(e->map_fd[M_CONTAINERS], &cur, &c) < 0 ||
		    c.policy != policy)
			continue;
		for (size_t i = 0; i < N_PROGS && r == 0; i++) {
			pl_enf_link_path(p, sizeof(p), e->pin_dir, cur, i);
			r = relink(p, fd[i], false, d);
		}
	}
	/* Pins last: a crash before this point leaves the old pins, and the
	 * next upgrade does it all again. */
	for (size_t i = 0; i < N_PROGS && r == 0; i++) {
		snprintf(p, sizeof(p), "%s/progs/%u/%s", e->pin_dir, policy, progs[i].name);
		r = repin(fd[i], p, d);
	}
	for (size_t i = 0; i < e->n_sets && r == 0; i++) {
		if (e->sets[i].policy != policy)
			continue;
		for (size_t k = 0; k < N_PROGS && r == 0; k++) {
			int nfd = fcntl(fd[k], F_DUPFD_CLOEXEC, 3);
			if (nfd < 0) {
				r = pl_enf_sys_error(d, errno, "dup a program fd");
				break;
			}
			close(e->sets[i].fd[k]);
			e->sets[i].fd[k] = nfd;
		}
	}
	return r;
}

int pl_enforcer_upgrade(struct pl_cg_enforcer *e, int *replaced, struct pl_diag *d)
{
	uint8_t want[N_PROGS][BPF_TAG_SIZE], want_dev[BPF_TAG_SIZE];
	int ref[N_PROGS], ref_dev = -1, r, n = 0;
	char p[PATH_MAX];
	DIR *dir = NULL;
	struct dirent *de;

	*replaced = 0;
	pl_enf_lock(e);
	/* This build's programs, once, for their tags. A tag hashes the
	 * instructions with map references blanked: the same for every
	 * policy id, which lives in a read-only map, but blind to what the
	 * maps hold, so cgroup.bpf.c keeps its .rodata to pl_policy alone. */
	r = load_instance(e, 0, ref, &ref_dev, d);
	for (size_t i = 0; i < N_PROGS && r == 0; i++)
		r = tag_of(ref[i], want[i]);
	if (r == 0)
		r = tag_of(ref_dev, want_dev);
	close_fds(ref, N_PROGS);
	if (r < 0) {
		if (!d || !d->n_errors)
			r = pl_enf_sys_error(d, r, "read the tags of this build's programs");
		goto out;
	}

	/* The device program at the root. */
	snprintf(p, sizeof(p), "%s/progs/dev", e->pin_dir);
	{
		int fd = bpf_obj_get(p);
		bool same = same_tag(fd, want_dev);

		if (fd >= 0)
			close(fd);
		if (!same) {
			snprintf(p, sizeof(p), "%s/links/dev", e->pin_dir);
			r = relink(p, ref_dev, true, d);
			snprintf(p, sizeof(p), "%s/progs/dev", e->pin_dir);
			if (r == 0)
				r = repin(ref_dev, p, d);
			if (r < 0)
				goto out;
			n++;
		}
	}

	/* Every policy's set. */
	snprintf(p, sizeof(p), "%s/progs", e->pin_dir);
	dir = opendir(p);
	if (!dir) {
		r = pl_enf_sys_error(d, errno, "open %s", p);
		goto out;
	}
	while (r == 0 && (de = readdir(dir))) {
		char *end;
		unsigned long id = strtoul(de->d_name, &end, 10);
		int fd[N_PROGS];
		bool same = true;

		if (de->d_name[0] < '1' || de->d_name[0] > '9' || *end || id >= PL_CG_MAX_POLICIES)
			continue;
		for (size_t i = 0; i < N_PROGS && same; i++) {
			int pfd;

			snprintf(p, sizeof(p), "%s/progs/%lu/%s", e->pin_dir, id, progs[i].name);
			pfd = bpf_obj_get(p);
			same = same_tag(pfd, want[i]);
			if (pfd >= 0)
				close(pfd);
		}
		if (same)
			continue;
		r = load_instance(e, (uint32_t)id, fd, NULL, d);
		if (r == 0)
			r = upgrade_set(e, (uint32_t)id, fd, d);
		close_fds(fd, N_PROGS);
		if (r == 0)
			n++;
	}
out:
	if (dir)
		closedir(dir);
	close_fds(&ref_dev, 1);
	pl_enf_unlock(e);
	*replaced = n;
	return r;
}
