/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup-BPF enforcer loader, the enforcer itself: locking of writers,
 * errors, pin paths, the bpf filesystem, install and open (load, pin,
 * re-adopt), uninstall, close, purge and link counts. The rest of the
 * loader is in enforcer-*.c (see enforcer-internal.h); the API is
 * enforcer.h; cgroup ids, levels and open-by-id are src/client/cgroup.c.
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

/* Writers (set_policy, remove_policy, register, unregister) of one pin
 * directory exclude each other, also across processes. */
void pl_enf_lock(struct pl_cg_enforcer *e)
{
	while (e->lock_fd >= 0 && flock(e->lock_fd, LOCK_EX) < 0 && errno == EINTR)
		;
}

void pl_enf_unlock(struct pl_cg_enforcer *e)
{
	if (e->lock_fd >= 0)
		flock(e->lock_fd, LOCK_UN);
}

int pl_enf_sys_error(struct pl_diag *d, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (err > 0)
		err = -err;
	if (err == 0)
		err = -EIO;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return pl_error(d, err, NULL, NULL, "%s: %s", msg, strerror(-err));
}

static const char *pin_dir_of(const struct pl_enforcer_opts *o)
{
	return o && o->pin_dir ? o->pin_dir : PL_ENFORCER_PIN_DIR;
}

static void pin_path(char *buf, size_t len, const char *dir, const char *sub, const char *name)
{
	snprintf(buf, len, "%s/%s/%s", dir, sub, name);
}

/* Make sure `dir` can live on a bpf filesystem: mount one at /sys/fs/bpf
 * when that is where it should be and nothing is mounted there yet. */
static int ensure_bpffs(const char *dir, struct pl_diag *d)
{
	char parent[PATH_MAX];
	struct statfs sfs;
	char *slash;

	if (strlen(dir) >= sizeof(parent))
		return pl_error(d, -ENAMETOOLONG, NULL, NULL, "%s: path too long", dir);
	strcpy(parent, dir);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return pl_error(d, -EINVAL, NULL, NULL, "%s: pin directory must be below a bpffs",
				dir);
	*slash = '\0';
	if (statfs(parent, &sfs) == 0 && sfs.f_type == BPF_FS_MAGIC)
		return 0;
	if (!strcmp(parent, "/sys/fs/bpf")) {
		if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") < 0)
			return pl_enf_sys_error(d, errno, "mount bpffs on /sys/fs/bpf");
		return 0;
	}
	return pl_error(d, -ENOTSUP, NULL, NULL, "%s is not on a bpf filesystem", parent);
}

/* ---- uninstall / close -------------------------------------------------- */

void pl_enf_link_path(char *buf, size_t len, const char *dir, uint64_t cgroup_id, size_t prog)
{
	snprintf(buf, len, "%s/links/%llu/%s", dir, (unsigned long long)cgroup_id,
		 progs[prog].name);
}

/* Detach a cgroup's pinned links now (the last reference to an unpinned
 * link is dropped asynchronously, so unlinking alone would leave the
 * programs running for a moment), then remove the pins. */
int pl_enf_unlink_cgroup(const char *dir, uint64_t cgroup_id)
{
	char p[PATH_MAX];
	int r = 0;

	for (size_t i = 0; i < N_PROGS; i++) {
		int fd;

		pl_enf_link_path(p, sizeof(p), dir, cgroup_id, i);
		fd = bpf_obj_get(p);
		if (fd >= 0) {
			if (bpf_link_detach(fd) < 0 && r == 0)
				r = -errno;
			close(fd);
		}
		if (unlink(p) < 0 && errno != ENOENT && r == 0)
			r = -errno;
	}
	snprintf(p, sizeof(p), "%s/links/%llu", dir, (unsigned long long)cgroup_id);
	if (rmdir(p) < 0 && errno != ENOENT && r == 0)
		r = -errno;
	return r;
}

/* Remove every file of directory <dir>/<sub>/<x>/ and the directories. */
static void unpin_tree(const char *dir, const char *sub, bool links)
{
	char p[PATH_MAX];
	struct dirent *de;
	DIR *top;

	snprintf(p, sizeof(p), "%s/%s", dir, sub);
	top = opendir(p);
	while (top && (de = readdir(top))) {
		char q[PATH_MAX];

		if (de->d_name[0] == '.')
			continue;
		snprintf(q, sizeof(q), "%s/%s/%s", dir, sub, de->d_name);
		if (de->d_type != DT_DIR) {
			/* links/dev, progs/dev, or a pin of an older layout
			 * (links/<program>): detach it if it is a link,
			 * remove it in any case. */
			int fd = bpf_obj_get(q);

			if (fd >= 0) {
				bpf_link_detach(fd);
				close(fd);
			}
			unlink(q);
			continue;
		}
		if (links) {
			pl_enf_unlink_cgroup(dir, strtoull(de->d_name, NULL, 10));
			continue;
		}
		for (size_t i = 0; i < N_PROGS; i++) {
			snprintf(q, sizeof(q), "%s/%s/%s/%s", dir, sub, de->d_name, progs[i].name);
			unlink(q);
		}
		snprintf(q, sizeof(q), "%s/%s/%s", dir, sub, de->d_name);
		rmdir(q);
	}
	if (top)
		closedir(top);
	rmdir(p);
}

static void unpin_all(const char *dir)
{
	char p[PATH_MAX];

	unpin_tree(dir, "links", true);
	unpin_tree(dir, "progs", false);
	for (int i = 0; i < M__MAX; i++) {
		pin_path(p, sizeof(p), dir, "maps", map_desc[i].name);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/maps", dir);
	rmdir(p);
	rmdir(dir);
}

void pl_enforcer_close(struct pl_cg_enforcer *e)
{
	if (!e)
		return;
	if (e->n_retired) {
		struct pl_diag d = { 0 };
		(void)pl_enforcer_release(e, &d);
		pl_diag_clear(&d);
	}
	free(e->retired);
	ring_buffer__free(e->rb);
	for (int i = 0; i < M__MAX; i++)
		if (e->map_fd[i] >= 0)
			close(e->map_fd[i]);
	for (size_t i = 0; i < e->n_sets; i++)
		for (size_t k = 0; k < N_PROGS; k++)
			close(e->sets[i].fd[k]);
	free(e->sets);
	free(e->node_runs);
	free(e->range_runs);
	free(e->run_table);
	if (e->lock_fd >= 0)
		close(e->lock_fd);
	if (e->grace_fd >= 0)
		close(e->grace_fd);
	if (e->grace_inner >= 0)
		close(e->grace_inner);
	free(e->pin_dir);
	free(e);
}

int pl_enforcer_uninstall(struct pl_cg_enforcer *e, struct pl_diag *d)
{
	struct stat st;
	int r = 0;

	if (!e)
		return pl_error(d, -EINVAL, NULL, NULL, "pl_enforcer_uninstall: no enforcer");
	unpin_all(e->pin_dir);
	if (stat(e->pin_dir, &st) == 0)
		r = pl_error(d, -EBUSY, NULL, NULL, "%s: could not remove every pin", e->pin_dir);
	pl_enforcer_close(e);
	return r;
}

int pl_enforcer_purge(const struct pl_enforcer_opts *o, struct pl_diag *d)
{
	const char *dir = pin_dir_of(o);
	struct stat st;

	if (stat(dir, &st) < 0)
		return errno == ENOENT ? 0 : pl_enf_sys_error(d, errno, "%s", dir);
	unpin_all(dir);
	if (stat(dir, &st) == 0)
		return pl_error(d, -EBUSY, NULL, NULL, "%s: could not remove every pin", dir);
	return 0;
}

/* How many of a cgroup's links are pinned. */
int pl_enf_count_links(const char *dir, uint64_t cgroup_id)
{
	char p[PATH_MAX];
	int n = 0;

	for (size_t i = 0; i < N_PROGS; i++) {
		pl_enf_link_path(p, sizeof(p), dir, cgroup_id, i);
		if (access(p, F_OK) == 0)
			n++;
	}
	return n;
}

int pl_enforcer_links(const struct pl_cg_enforcer *e, int *expected)
{
	int fd = e ? e->map_fd[M_CONTAINERS] : -1, n = 0, want = 0;
	uint64_t cur, next;
	char p[PATH_MAX];

	for (void *prev = NULL; fd >= 0 && bpf_map_get_next_key(fd, prev, &next) == 0;
	     prev = &cur) {
		cur = next;
		want += N_PROGS;
		n += pl_enf_count_links(e->pin_dir, cur);
	}
	/* The device program's link at the cgroup v2 root. */
	want++;
	snprintf(p, sizeof(p), "%s/links/dev", e ? e->pin_dir : "");
	if (e && access(p, F_OK) == 0)
		n++;
	if (expected)
		*expected = want;
	return n;
}

/* ---- install / open ----------------------------------------------------- */

int pl_enforcer_open(const struct pl_enforcer_opts *o, struct pl_cg_enforcer **ret,
		     struct pl_diag *d)
{
	const char *dir = pin_dir_of(o);
	struct pl_cg_enforcer *e;
	char p[PATH_MAX];
	int r = 0;

	e = calloc(1, sizeof(*e));
	if (!e || !(e->pin_dir = strdup(dir))) {
		free(e);
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	}
	for (int i = 0; i < M__MAX; i++)
		e->map_fd[i] = -1;
	e->grace_fd = e->grace_inner = -1;
	snprintf(p, sizeof(p), "%s/maps", dir);
	e->lock_fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; i < M__MAX && r == 0; i++) {
		struct bpf_map_info info = {};
		uint32_t len = sizeof(info);

		pin_path(p, sizeof(p), dir, "maps", map_desc[i].name);
		e->map_fd[i] = bpf_obj_get(p);
		if (e->map_fd[i] < 0) {
			r = -errno;
			if (r == -ENOENT && e->lock_fd < 0)
				r = pl_error(d, -ENOENT, NULL, NULL,
					     "%s: no cgroup-BPF enforcer installed here", dir);
			else if (r == -ENOENT)
				r = pl_error(d, -EPROTO, NULL, NULL,
					     "%s: pins of another plastron version (no map %s): "
					     "remove them with plastrond --uninstall",
					     dir, map_desc[i].name);
			else
				r = pl_enf_sys_error(d, r, "open pinned map %s", p);
			break;
		}
		if (bpf_obj_get_info_by_fd(e->map_fd[i], &info, &len) < 0) {
			r = pl_enf_sys_error(d, errno, "inspect pinned map %s", p);
			break;
		}
		if (info.type != map_desc[i].type ||
		    (map_desc[i].key &&
		     (info.key_size != map_desc[i].key || info.value_size != map_desc[i].value)))
			r = pl_error(d, -EPROTO, NULL, NULL,
				     "%s: pinned map has another layout (type %u, key %u, value "
				     "%u bytes) than this build expects: remove the pins with "
				     "plastrond --uninstall",
				     p, info.type, info.key_size, info.value_size);
	}
	if (r == 0) {
		/* Every registered container's level is looked at (a loader
		 * that died between setting a bit and inserting leaves an
		 * extra bit at most: a wasted lookup, never a missed cgroup). */
		r = pl_enf_rebuild_levels(e, true);
		if (r < 0)
			r = pl_enf_sys_error(d, r, "rebuild the registered cgroup levels");
	}
	if (r < 0) {
		pl_enforcer_close(e);
		return r;
	}
	*ret = e;
	return 0;
}

/* Install creates and pins the shared maps, loads the device program and
 * attaches it at the cgroup v2 root (links/dev); each policy's programs are
 * loaded by load_progs. */
int pl_enforcer_install(const struct pl_enforcer_opts *o, struct pl_cg_enforcer **ret,
			struct pl_diag *d)
{
	const char *dir = pin_dir_of(o);
	struct pl_cgroup *skel = NULL;
	struct bpf_program *prog;
	char p[PATH_MAX];
	int r;

	r = ensure_bpffs(dir, d);
	if (r < 0)
		return r;
	snprintf(p, sizeof(p), "%s/maps", dir);
	if (access(p, F_OK) == 0)
		return pl_error(d, -EEXIST, NULL, NULL,
				"%s: an enforcer is already installed (re-adopt it or uninstall "
				"it first)",
				dir);
	skel = pl_cgroup__open();
	if (!skel)
		return pl_enf_sys_error(d, errno, "open the cgroup-BPF object");
	bpf_object__for_each_program(prog, skel->obj)
	    bpf_program__set_autoload(prog, prog == skel->progs.pl_dev);
	if (o && o->ringbuf_size) {
		r = bpf_map__set_max_entries(skel->maps.events, o->ringbuf_size);
		if (r < 0) {
			r = pl_enf_sys_error(d, r, "set the ring buffer size to %u",
					     o->ringbuf_size);
			goto out;
		}
	}
	r = pl_cgroup__load(skel);
	if (r < 0) {
		r = pl_enf_sys_error(d, r, "create the cgroup-BPF maps");
		goto out;
	}
	if ((mkdir(dir, 0700) < 0 && errno != EEXIST)) {
		r = pl_enf_sys_error(d, errno, "mkdir %s", dir);
		goto out;
	}
	for (size_t i = 0; i < 3; i++) {
		static const char *const sub[] = { "maps", "progs", "links" };

		snprintf(p, sizeof(p), "%s/%s", dir, sub[i]);
		if (mkdir(p, 0700) < 0 && (i == 0 || errno != EEXIST)) {
			r = pl_enf_sys_error(d, errno, "mkdir %s", p);
			goto fail;
		}
	}
	for (int i = 0; i < M__MAX; i++) {
		struct bpf_map *m = pl_enf_skel_map(skel, i);

		pin_path(p, sizeof(p), dir, "maps", map_desc[i].name);
		if (!m) {
			r = pl_error(d, -ENOENT, NULL, NULL, "map %s missing from the object",
				     map_desc[i].name);
			goto fail;
		}
		r = bpf_map__pin(m, p);
		if (r < 0) {
			r = pl_enf_sys_error(d, r, "pin %s", p);
			goto fail;
		}
	}
	{
		char root[PATH_MAX];
		int cg = -1, lfd = -1;

		r = pld_cgroup_mount(root, sizeof(root));
		if (r < 0) {
			r = pl_enf_sys_error(d, r, "find the cgroup v2 mount");
			goto fail;
		}
		snprintf(p, sizeof(p), "%s/progs/dev", dir);
		r = bpf_program__pin(skel->progs.pl_dev, p);
		if (r < 0) {
			r = pl_enf_sys_error(d, r, "pin %s", p);
			goto fail;
		}
		cg = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cg >= 0)
			lfd = bpf_link_create(bpf_program__fd(skel->progs.pl_dev), cg,
					      BPF_CGROUP_DEVICE, NULL);
		r = lfd < 0 ? -errno : 0;
		if (cg >= 0)
			close(cg);
		if (r < 0) {
			r = pl_enf_sys_error(d, r, "attach the device program to %s", root);
			goto fail;
		}
		snprintf(p, sizeof(p), "%s/links/dev", dir);
		r = bpf_obj_pin(lfd, p) < 0 ? -errno : 0;
		if (r < 0) {
			bpf_link_detach(lfd);
			close(lfd);
			r = pl_enf_sys_error(d, r, "pin %s", p);
			goto fail;
		}
		close(lfd);
	}
	pl_cgroup__destroy(skel);
	skel = NULL;
	r = pl_enforcer_open(o, ret, d);
	if (r < 0)
		goto fail;
	return 0;
fail:
	unpin_all(dir);
out:
	pl_cgroup__destroy(skel);
	return r;
}
