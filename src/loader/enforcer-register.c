/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup-BPF enforcer loader: registered cgroup levels (for the device
 * program) and registration of cgroups (register, unregister, attached).
 * See enforcer-internal.h.
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

/* ---- registered cgroup levels (for the device program) ------------------ */

static int read_global(struct pl_cg_enforcer *e, struct pl_cg_global *g)
{
	uint32_t zero = 0;

	return bpf_map_lookup_elem(e->map_fd[M_GLOBAL], &zero, g) < 0 ? -errno : 0;
}

/* Write `levels` into global[0], whose current value `g` was just read. */
static int write_levels(struct pl_cg_enforcer *e, struct pl_cg_global *g, uint32_t levels)
{
	uint32_t zero = 0;

	g->levels = levels;
	return bpf_map_update_elem(e->map_fd[M_GLOBAL], &zero, g, BPF_ANY) < 0 ? -errno : 0;
}

/* global[0].levels from the registered containers; `keep`: only add the
 * missing bits (a reader re-adopting the pins must never hide a container
 * that a loader is registering at the same moment). */
int pl_enf_rebuild_levels(struct pl_cg_enforcer *e, bool keep)
{
	int fd = e->map_fd[M_CONTAINERS];
	struct pl_cg_global g;
	uint64_t cur, next;
	uint32_t levels = 0;
	int r = read_global(e, &g);

	if (r < 0)
		return r;
	for (void *prev = NULL; bpf_map_get_next_key(fd, prev, &next) == 0; prev = &cur) {
		struct pl_cg_container c;

		cur = next;
		if (bpf_map_lookup_elem(fd, &cur, &c) == 0 && c.level <= PL_CG_MAX_LEVEL)
			levels |= 1u << c.level;
	}
	if (errno != ENOENT)
		return -errno;
	if (keep)
		levels |= g.levels;
	return levels == g.levels ? 0 : write_levels(e, &g, levels);
}

int pl_enforcer_levels(struct pl_cg_enforcer *e, uint32_t *ret)
{
	struct pl_cg_global g;
	int r = read_global(e, &g);

	if (r == 0)
		*ret = g.levels;
	return r;
}

/* ---- registrations ------------------------------------------------------ */

static int do_register(struct pl_cg_enforcer *e, uint64_t cgroup_id, uint32_t policy,
		       struct pl_diag *d)
{
	struct pl_cg_container c = { .policy = policy }, old = { 0 };
	bool made[N_PROGS] = { false }, was, have_old = false;
	int fd[N_PROGS], oldfd[N_PROGS]; /* copies: load_progs may move e->sets */
	const int *set;
	char p[PATH_MAX];
	int r = pl_enf_check_policy(policy, d), cg;
	size_t i;

	if (r < 0)
		return r;
	set = pl_enf_load_progs(e, policy, d, &r);
	if (!set)
		return r;
	memcpy(fd, set, sizeof(fd));
	was = bpf_map_lookup_elem(e->map_fd[M_CONTAINERS], &cgroup_id, &old) == 0;
	if (was && old.policy != policy && !pl_enf_check_policy(old.policy, NULL)) {
		set = pl_enf_load_progs(e, old.policy, NULL, &r);
		if (set) {
			memcpy(oldfd, set, sizeof(oldfd));
			have_old = true;
		}
		r = 0;
	}
	r = pld_cgroup_level(cgroup_id, &c.level);
	if (r < 0)
		return pl_enf_sys_error(d, r, "find cgroup %llu in the cgroup v2 tree",
					(unsigned long long)cgroup_id);
	if (c.level > PL_CG_MAX_LEVEL)
		return pl_error(d, -ERANGE, NULL, NULL,
				"cgroup %llu is at level %u of the cgroup tree; the enforcer "
				"covers levels 0..%u",
				(unsigned long long)cgroup_id, c.level, PL_CG_MAX_LEVEL);
	/* The level first: the device program never sees a container at a
	 * level it does not look at. */
	{
		struct pl_cg_global g;

		r = read_global(e, &g);
		if (r == 0 && !(g.levels & (1u << c.level)))
			r = write_levels(e, &g, g.levels | 1u << c.level);
		if (r < 0)
			return pl_enf_sys_error(d, r, "record the level of cgroup %llu",
						(unsigned long long)cgroup_id);
	}
	cg = pld_cgroup_open_id(cgroup_id, O_RDONLY | O_DIRECTORY, NULL, 0);
	if (cg < 0)
		return pl_enf_sys_error(d, cg, "open cgroup %llu", (unsigned long long)cgroup_id);
	snprintf(p, sizeof(p), "%s/links/%llu", e->pin_dir, (unsigned long long)cgroup_id);
	if (mkdir(p, 0700) < 0 && errno != EEXIST) {
		r = pl_enf_sys_error(d, errno, "mkdir %s", p);
		close(cg);
		return r;
	}
	/* A link per program: kept (its program replaced atomically) when the
	 * cgroup is registered already, else created and pinned. */
	for (i = 0; i < N_PROGS; i++) {
		int lfd;

		pl_enf_link_path(p, sizeof(p), e->pin_dir, cgroup_id, i);
		lfd = bpf_obj_get(p);
		if (lfd < 0 && errno != ENOENT) {
			r = pl_enf_sys_error(d, errno, "open %s", p);
			break;
		}
		if (lfd >= 0) {
			r = bpf_link_update(lfd, fd[i], NULL) < 0 ? -errno : 0;
			close(lfd);
			if (r < 0) {
				r = pl_enf_sys_error(d, r, "switch %s to policy %u", p, policy);
				break;
			}
			continue;
		}
		lfd = bpf_link_create(fd[i], cg, progs[i].type, NULL);
		if (lfd < 0) {
			r = pl_enf_sys_error(d, errno, "attach %s to cgroup %llu", progs[i].name,
					     (unsigned long long)cgroup_id);
			break;
		}
		r = bpf_obj_pin(lfd, p) < 0 ? -errno : 0;
		if (r < 0) {
			bpf_link_detach(lfd);
			close(lfd);
			r = pl_enf_sys_error(d, r, "pin %s", p);
			break;
		}
		close(lfd);
		made[i] = true;
	}
	close(cg);
	if (r == 0 && bpf_map_update_elem(e->map_fd[M_CONTAINERS], &cgroup_id, &c, BPF_ANY) < 0)
		r = pl_enf_sys_error(d, errno, "record cgroup %llu", (unsigned long long)cgroup_id);
	if (r == 0)
		return 0;
	/* Undo: a new registration goes entirely; a changed one gets its
	 * previous programs back (links created here go). */
	if (!was) {
		pl_enf_unlink_cgroup(e->pin_dir, cgroup_id);
		return r;
	}
	for (size_t k = 0; k < N_PROGS; k++) {
		int lfd;

		pl_enf_link_path(p, sizeof(p), e->pin_dir, cgroup_id, k);
		lfd = bpf_obj_get(p);
		if (lfd < 0)
			continue;
		if (made[k]) {
			bpf_link_detach(lfd);
			unlink(p);
		} else if (have_old) {
			bpf_link_update(lfd, oldfd[k], NULL);
		}
		close(lfd);
	}
	return r;
}

int pl_enforcer_register(struct pl_cg_enforcer *e, uint64_t cgroup_id, uint32_t policy,
			 struct pl_diag *d)
{
	int r;

	pl_enf_lock(e);
	r = do_register(e, cgroup_id, policy, d);
	pl_enf_unlock(e);
	return r;
}

int pl_enforcer_unregister(struct pl_cg_enforcer *e, uint64_t cgroup_id, struct pl_diag *d)
{
	int r;

	pl_enf_lock(e);
	r = pl_enf_unlink_cgroup(e->pin_dir, cgroup_id);
	if (r < 0)
		r = pl_enf_sys_error(d, r, "detach the programs of cgroup %llu",
				     (unsigned long long)cgroup_id);
	else if (bpf_map_delete_elem(e->map_fd[M_CONTAINERS], &cgroup_id) < 0 && errno != ENOENT)
		r = pl_enf_sys_error(d, errno, "unregister cgroup %llu",
				     (unsigned long long)cgroup_id);
	else if ((r = pl_enf_rebuild_levels(e, false)) < 0)
		r = pl_enf_sys_error(d, r, "recompute the registered cgroup levels");
	pl_enf_unlock(e);
	return r;
}

int pl_enforcer_policy_cgroups(struct pl_cg_enforcer *e, uint32_t policy, uint64_t **ret, size_t *n)
{
	struct pl_cg_container c;
	uint64_t cur, next, *v = NULL;
	size_t k = 0, cap = 0;

	for (void *prev = NULL; bpf_map_get_next_key(e->map_fd[M_CONTAINERS], prev, &next) == 0;
	     prev = &cur) {
		cur = next;
		if (bpf_map_lookup_elem(e->map_fd[M_CONTAINERS], &cur, &c) < 0 ||
		    c.policy != policy)
			continue;
		if (k == cap) {
			size_t nc = cap ? 2 * cap : 8;
			uint64_t *nv = realloc(v, nc * sizeof(*v));
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
			cap = nc;
		}
		v[k++] = cur;
	}
	*ret = v;
	*n = k;
	return 0;
}

int pl_enforcer_attached(struct pl_cg_enforcer *e, uint64_t cgroup_id, uint32_t *policy)
{
	struct pl_cg_container c;

	if (bpf_map_lookup_elem(e->map_fd[M_CONTAINERS], &cgroup_id, &c) < 0)
		return -errno;
	if (policy)
		*policy = c.policy;
	return pl_enf_count_links(e->pin_dir, cgroup_id);
}
