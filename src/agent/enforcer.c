/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup-BPF enforcer loader: load/pin/attach, re-adopt, map updates,
 * events and counters. See enforcer.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "cgroup.skel.h"
#include "enforcer.h"
#include "plastron/enforce.h"
#include "shared/macro.h"

_Static_assert(PL_BPF_MAX_PORT_RANGES == PL_CG_MAX_PORT_RANGES, "port range count");
_Static_assert(PL_BPF_SYSCTL_NAME_MAX == PL_CG_SYSCTL_NAME, "sysctl name length");
_Static_assert(PL_BPF_RULE_NAME_MAX == PL_CG_RULE_NAME, "rule name length");
_Static_assert((int)PL_BPF_ACT_DENY_LOG == (int)PL_CG_DENY_LOG &&
		   (int)PL_BPF_ACT_ALLOW_LOG == (int)PL_CG_ALLOW_LOG &&
		   (int)PL_BPF_ACT_DENY == (int)PL_CG_DENY,
	       "action numbers");
_Static_assert((int)PL_BPF_MODE_AUDIT == (int)PL_CG_MODE_AUDIT &&
		   (int)PL_BPF_MODE_OFF == (int)PL_CG_MODE_OFF &&
		   (int)PL_BPF_MODE_ENFORCE == (int)PL_CG_MODE_ENFORCE,
	       "mode numbers");

enum {
	M_CONTAINERS,
	M_POLICIES,
	M_SOCK,
	M_EGRESS4,
	M_EGRESS6,
	M_SYSCTL,
	M_DEV,
	M_NAMES,
	M_EVENTS,
	M_COUNTERS,
	M_GLOBAL,
	M__MAX,
};

static const struct {
	const char *name;
	enum bpf_map_type type;
	uint32_t key, value;
	uint32_t table_off; /* offset of the table id in the key (rule maps) */
	bool table_be;      /* table id stored big-endian */
} map_desc[M__MAX] = {
	[M_CONTAINERS] = { "containers", BPF_MAP_TYPE_HASH, 8, sizeof(struct pl_cg_container) },
	[M_POLICIES] = { "policies", BPF_MAP_TYPE_ARRAY, 4, sizeof(struct pl_cg_policy) },
	[M_SOCK] = { "sock_rules", BPF_MAP_TYPE_HASH, sizeof(struct pl_cg_sock_key),
		     sizeof(struct pl_cg_verdict), 0, false },
	[M_EGRESS4] = { "egress4", BPF_MAP_TYPE_LPM_TRIE, sizeof(struct pl_cg_lpm4_key),
			sizeof(struct pl_cg_egress_val), 4, true },
	[M_EGRESS6] = { "egress6", BPF_MAP_TYPE_LPM_TRIE, sizeof(struct pl_cg_lpm6_key),
			sizeof(struct pl_cg_egress_val), 4, true },
	[M_SYSCTL] = { "sysctl_rules", BPF_MAP_TYPE_HASH, sizeof(struct pl_cg_sysctl_key),
		       sizeof(struct pl_cg_verdict), 0, false },
	[M_DEV] = { "dev_rules", BPF_MAP_TYPE_HASH, sizeof(struct pl_cg_dev_key),
		    sizeof(struct pl_cg_dev_val), 0, false },
	[M_NAMES] = { "rule_names", BPF_MAP_TYPE_HASH, sizeof(struct pl_cg_name_key),
		      sizeof(struct pl_cg_rule_name), 0, false },
	[M_EVENTS] = { "events", BPF_MAP_TYPE_RINGBUF, 0, 0 },
	[M_COUNTERS] = { "counters", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8 },
	[M_GLOBAL] = { "global", BPF_MAP_TYPE_ARRAY, 4, sizeof(struct pl_cg_global) },
};

static const char *const prog_names[] = {
	"pl_sock_create", "pl_connect4", "pl_connect6", "pl_sendmsg4",
	"pl_sendmsg6",    "pl_sysctl",   "pl_dev",      "pl_raw_egress",
};
#define N_PROGS PL_ARRAY_SIZE(prog_names)

struct pl_cg_enforcer {
	char *pin_dir;
	int map_fd[M__MAX];
	int n_links;
	struct ring_buffer *rb;
	pl_enforcer_event_fn cb;
	void *userdata;
	int stop;
};

static int sys_error(struct pl_diag *d, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int sys_error(struct pl_diag *d, int err, const char *fmt, ...)
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

/* ---- cgroup helpers ----------------------------------------------------- */

int pl_cgroup_id(const char *path, uint64_t *ret)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh.handle_bytes = sizeof(uint64_t) };
	struct stat st;
	int mount_id;

	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0) == 0 &&
	    h.fh.handle_bytes == sizeof(uint64_t)) {
		memcpy(ret, h.fh.f_handle, sizeof(uint64_t));
		return 0;
	}
	if (stat(path, &st) < 0)
		return -errno;
	*ret = st.st_ino;
	return 0;
}

int pl_cgroup_level(uint64_t cgroup_id, uint32_t *ret)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh.handle_bytes = sizeof(uint64_t) };
	char mnt[PATH_MAX], link[64], path[PATH_MAX];
	int mfd, fd, mount_id, r = 0;
	size_t ml;
	ssize_t n;
	uint32_t level = 0;

	r = pl_cgroup2_mount(mnt, sizeof(mnt));
	if (r < 0)
		return r;
	mfd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return -errno;
	/* The handle type of this cgroup fs (kernfs), from its root. */
	if (name_to_handle_at(mfd, "", &h.fh, &mount_id, AT_EMPTY_PATH) < 0 ||
	    h.fh.handle_bytes != sizeof(uint64_t)) {
		r = errno ? -errno : -EOPNOTSUPP;
		close(mfd);
		return r;
	}
	memcpy(h.fh.f_handle, &cgroup_id, sizeof(cgroup_id));
	fd = open_by_handle_at(mfd, &h.fh, O_PATH | O_CLOEXEC);
	r = fd < 0 ? -errno : 0;
	close(mfd);
	if (r < 0)
		return r == -ESTALE ? -ENOENT : r;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r < 0)
		return r;
	path[n] = '\0';
	ml = strlen(mnt);
	while (ml > 1 && mnt[ml - 1] == '/')
		ml--;
	if (strncmp(path, mnt, ml) || (path[ml] && path[ml] != '/'))
		return -EXDEV; /* not below the mount (another cgroup namespace) */
	for (const char *p = path + ml; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			level++;
	*ret = level;
	return 0;
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
			return sys_error(d, errno, "mount bpffs on /sys/fs/bpf");
		return 0;
	}
	return pl_error(d, -ENOTSUP, NULL, NULL, "%s is not on a bpf filesystem", parent);
}

static int rebuild_levels(struct pl_cg_enforcer *e, bool keep);

/* ---- uninstall / close -------------------------------------------------- */

/* Detach every pinned link now (the last reference to an unpinned link
 * is dropped asynchronously, so unlinking alone would leave the programs
 * running for a moment), then remove the pins. */
static void unpin_all(const char *dir)
{
	char p[PATH_MAX];

	for (size_t i = 0; i < N_PROGS; i++) {
		int fd;

		pin_path(p, sizeof(p), dir, "links", prog_names[i]);
		fd = bpf_obj_get(p);
		if (fd >= 0) {
			bpf_link_detach(fd);
			close(fd);
		}
		unlink(p);
	}
	for (int i = 0; i < M__MAX; i++) {
		pin_path(p, sizeof(p), dir, "maps", map_desc[i].name);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/links", dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/maps", dir);
	rmdir(p);
	rmdir(dir);
}

void pl_enforcer_close(struct pl_cg_enforcer *e)
{
	if (!e)
		return;
	ring_buffer__free(e->rb);
	for (int i = 0; i < M__MAX; i++)
		if (e->map_fd[i] >= 0)
			close(e->map_fd[i]);
	free(e->pin_dir);
	free(e);
}

int pl_enforcer_uninstall(struct pl_cg_enforcer *e, struct pl_diag *d)
{
	char p[PATH_MAX];
	struct stat st;
	int r = 0;

	if (!e)
		return pl_error(d, -EINVAL, NULL, NULL, "pl_enforcer_uninstall: no enforcer");
	unpin_all(e->pin_dir);
	snprintf(p, sizeof(p), "%s/links", e->pin_dir);
	if (stat(p, &st) == 0)
		r = pl_error(d, -EBUSY, NULL, NULL, "%s: could not remove every pin", e->pin_dir);
	pl_enforcer_close(e);
	return r;
}

int pl_enforcer_links(const struct pl_cg_enforcer *e)
{
	char p[PATH_MAX];
	int n = 0;

	for (size_t i = 0; e && i < N_PROGS; i++) {
		pin_path(p, sizeof(p), e->pin_dir, "links", prog_names[i]);
		if (access(p, F_OK) == 0)
			n++;
	}
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
	for (int i = 0; i < M__MAX && r == 0; i++) {
		struct bpf_map_info info = {};
		uint32_t len = sizeof(info);

		pin_path(p, sizeof(p), dir, "maps", map_desc[i].name);
		e->map_fd[i] = bpf_obj_get(p);
		if (e->map_fd[i] < 0) {
			r = -errno;
			if (r == -ENOENT && i == 0)
				r = pl_error(d, -ENOENT, NULL, NULL,
					     "%s: no cgroup-BPF enforcer installed here", dir);
			else
				r = sys_error(d, r, "open pinned map %s", p);
			break;
		}
		if (bpf_obj_get_info_by_fd(e->map_fd[i], &info, &len) < 0) {
			r = sys_error(d, errno, "inspect pinned map %s", p);
			break;
		}
		if (info.type != map_desc[i].type ||
		    (map_desc[i].key &&
		     (info.key_size != map_desc[i].key || info.value_size != map_desc[i].value)))
			r = pl_error(d, -EPROTO, NULL, NULL,
				     "%s: pinned map has another layout (type %u, key %u, value "
				     "%u bytes) than this build expects: uninstall it first",
				     p, info.type, info.key_size, info.value_size);
	}
	if (r == 0) {
		/* Every registered container's level is looked at (a loader
		 * that died between setting a bit and inserting leaves an
		 * extra bit at most: a wasted lookup, never a missed cgroup). */
		r = rebuild_levels(e, true);
		if (r < 0)
			r = sys_error(d, r, "rebuild the registered cgroup levels");
	}
	if (r < 0) {
		pl_enforcer_close(e);
		return r;
	}
	e->n_links = pl_enforcer_links(e);
	*ret = e;
	return 0;
}

int pl_enforcer_install(const struct pl_enforcer_opts *o, struct pl_cg_enforcer **ret,
			struct pl_diag *d)
{
	const char *dir = pin_dir_of(o);
	char p[PATH_MAX], cgpath[PATH_MAX];
	struct pl_cgroup *skel = NULL;
	int cgfd = -1, r;

	r = ensure_bpffs(dir, d);
	if (r < 0)
		return r;
	snprintf(p, sizeof(p), "%s/maps", dir);
	if (access(p, F_OK) == 0)
		return pl_error(d, -EEXIST, NULL, NULL,
				"%s: an enforcer is already installed (re-adopt it or uninstall "
				"it first)",
				dir);
	if (o && o->cgroup) {
		if (strlen(o->cgroup) >= sizeof(cgpath))
			return pl_error(d, -ENAMETOOLONG, NULL, NULL, "cgroup path too long");
		strcpy(cgpath, o->cgroup);
	} else {
		r = pl_cgroup2_mount(cgpath, sizeof(cgpath));
		if (r < 0)
			return sys_error(d, r, "find the cgroup v2 mount in /proc/self/mountinfo");
	}
	cgfd = open(cgpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0)
		return sys_error(d, errno, "open cgroup %s", cgpath);

	skel = pl_cgroup__open();
	if (!skel) {
		r = sys_error(d, errno, "open the cgroup-BPF object");
		goto out;
	}
	if (o && o->ringbuf_size) {
		r = bpf_map__set_max_entries(skel->maps.events, o->ringbuf_size);
		if (r < 0) {
			r = sys_error(d, r, "set the ring buffer size to %u", o->ringbuf_size);
			goto out;
		}
	}
	r = pl_cgroup__load(skel);
	if (r < 0) {
		r = sys_error(d, r, "load the cgroup-BPF programs");
		goto out;
	}
	if ((mkdir(dir, 0700) < 0 && errno != EEXIST)) {
		r = sys_error(d, errno, "mkdir %s", dir);
		goto out;
	}
	snprintf(p, sizeof(p), "%s/maps", dir);
	if (mkdir(p, 0700) < 0) {
		r = sys_error(d, errno, "mkdir %s", p);
		goto fail;
	}
	snprintf(p, sizeof(p), "%s/links", dir);
	if (mkdir(p, 0700) < 0 && errno != EEXIST) {
		r = sys_error(d, errno, "mkdir %s", p);
		goto fail;
	}
	for (int i = 0; i < M__MAX; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(skel->obj, map_desc[i].name);

		pin_path(p, sizeof(p), dir, "maps", map_desc[i].name);
		if (!m) {
			r = pl_error(d, -ENOENT, NULL, NULL, "map %s missing from the object",
				     map_desc[i].name);
			goto fail;
		}
		r = bpf_map__pin(m, p);
		if (r < 0) {
			r = sys_error(d, r, "pin %s", p);
			goto fail;
		}
	}
	for (size_t i = 0; i < N_PROGS; i++) {
		struct bpf_program *prog =
		    bpf_object__find_program_by_name(skel->obj, prog_names[i]);
		struct bpf_link *link;

		if (!prog) {
			r = pl_error(d, -ENOENT, NULL, NULL, "program %s missing from the object",
				     prog_names[i]);
			goto fail;
		}
		link = bpf_program__attach_cgroup(prog, cgfd);
		if (!link) {
			r = sys_error(d, errno, "attach %s to %s", prog_names[i], cgpath);
			goto fail;
		}
		pin_path(p, sizeof(p), dir, "links", prog_names[i]);
		r = bpf_link__pin(link, p);
		bpf_link__destroy(link); /* the pin keeps it attached */
		if (r < 0) {
			r = sys_error(d, r, "pin %s", p);
			goto fail;
		}
	}
	pl_cgroup__destroy(skel);
	skel = NULL;
	close(cgfd);
	cgfd = -1;
	r = pl_enforcer_open(o, ret, d);
	if (r < 0)
		goto fail;
	return 0;
fail:
	unpin_all(dir);
out:
	pl_cgroup__destroy(skel);
	if (cgfd >= 0)
		close(cgfd);
	return r;
}

/* ---- map updates -------------------------------------------------------- */

static int check_policy(uint32_t policy, struct pl_diag *d)
{
	if (policy == 0 || policy >= PL_CG_MAX_POLICIES)
		return pl_error(d, -ERANGE, NULL, NULL, "policy id %u is outside 1..%u", policy,
				PL_CG_MAX_POLICIES - 1);
	return 0;
}

static int write_levels(struct pl_cg_enforcer *e, uint32_t levels)
{
	struct pl_cg_global g = { .levels = levels };
	uint32_t zero = 0;

	return bpf_map_update_elem(e->map_fd[M_GLOBAL], &zero, &g, BPF_ANY) < 0 ? -errno : 0;
}

static int read_levels(struct pl_cg_enforcer *e, uint32_t *levels)
{
	struct pl_cg_global g;
	uint32_t zero = 0;

	if (bpf_map_lookup_elem(e->map_fd[M_GLOBAL], &zero, &g) < 0)
		return -errno;
	*levels = g.levels;
	return 0;
}

/* global[0].levels from the registered containers; `keep`: only add the
 * missing bits (a reader re-adopting the pins must never hide a container
 * that a loader is registering at the same moment). */
static int rebuild_levels(struct pl_cg_enforcer *e, bool keep)
{
	int fd = e->map_fd[M_CONTAINERS];
	uint64_t cur, next;
	uint32_t levels = 0, old = 0;
	int r;

	if (keep) {
		r = read_levels(e, &old);
		if (r < 0)
			return r;
	}

	for (void *prev = NULL; bpf_map_get_next_key(fd, prev, &next) == 0; prev = &cur) {
		struct pl_cg_container c;

		cur = next;
		if (bpf_map_lookup_elem(fd, &cur, &c) == 0 && c.level <= PL_CG_MAX_LEVEL)
			levels |= 1u << c.level;
	}
	if (errno != ENOENT)
		return -errno;
	if (keep && (old | levels) == old)
		return 0;
	return write_levels(e, old | levels);
}

int pl_enforcer_register(struct pl_cg_enforcer *e, uint64_t cgroup_id, uint32_t policy,
			 struct pl_diag *d)
{
	struct pl_cg_container c = { .policy = policy };
	uint32_t levels = 0;
	int r = check_policy(policy, d);

	if (r < 0)
		return r;
	r = pl_cgroup_level(cgroup_id, &c.level);
	if (r < 0)
		return sys_error(d, r, "find cgroup %llu in the cgroup v2 tree",
				 (unsigned long long)cgroup_id);
	if (c.level > PL_CG_MAX_LEVEL)
		return pl_error(d, -ERANGE, NULL, NULL,
				"cgroup %llu is at level %u of the cgroup tree; the enforcer "
				"covers levels 0..%u",
				(unsigned long long)cgroup_id, c.level, PL_CG_MAX_LEVEL);
	/* The level first: the programs never see a container at a level
	 * they do not look at. */
	r = read_levels(e, &levels);
	if (r == 0 && !(levels & (1u << c.level)))
		r = write_levels(e, levels | 1u << c.level);
	if (r < 0)
		return sys_error(d, r, "record the level of cgroup %llu",
				 (unsigned long long)cgroup_id);
	if (bpf_map_update_elem(e->map_fd[M_CONTAINERS], &cgroup_id, &c, BPF_ANY) < 0)
		return sys_error(d, errno, "register cgroup %llu", (unsigned long long)cgroup_id);
	return 0;
}

int pl_enforcer_unregister(struct pl_cg_enforcer *e, uint64_t cgroup_id, struct pl_diag *d)
{
	int r;

	if (bpf_map_delete_elem(e->map_fd[M_CONTAINERS], &cgroup_id) < 0 && errno != ENOENT)
		return sys_error(d, errno, "unregister cgroup %llu", (unsigned long long)cgroup_id);
	r = rebuild_levels(e, false);
	if (r < 0)
		return sys_error(d, r, "recompute the registered cgroup levels");
	return 0;
}

int pl_enforcer_levels(struct pl_cg_enforcer *e, uint32_t *ret)
{
	return read_levels(e, ret);
}

/* Delete every key of map `m` that belongs to table `table`. */
static int purge_table(struct pl_cg_enforcer *e, int m, uint32_t table)
{
	uint32_t ks = map_desc[m].key, off = map_desc[m].table_off;
	uint32_t want = map_desc[m].table_be ? htonl(table) : table;
	uint8_t *keys = NULL, *cur, *next;
	size_t n = 0, cap = 0;
	int fd = e->map_fd[m], r = 0;

	cur = calloc(2, ks);
	if (!cur)
		return -ENOMEM;
	next = cur + ks;
	for (void *prev = NULL; bpf_map_get_next_key(fd, prev, next) == 0; prev = cur) {
		uint32_t t;

		memcpy(cur, next, ks);
		memcpy(&t, cur + off, sizeof(t));
		if (t != want)
			continue;
		if (n == cap) {
			uint8_t *k = realloc(keys, (cap = cap ? 2 * cap : 64) * ks);
			if (!k) {
				r = -ENOMEM;
				goto out;
			}
			keys = k;
		}
		memcpy(keys + n++ * ks, cur, ks);
	}
	for (size_t i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, keys + i * ks) < 0 && errno != ENOENT && r == 0)
			r = -errno;
out:
	free(keys);
	free(cur);
	return r;
}

static int purge_all(struct pl_cg_enforcer *e, uint32_t table)
{
	static const int rule_maps[] = { M_SOCK, M_EGRESS4, M_EGRESS6, M_SYSCTL, M_DEV, M_NAMES };
	int r = 0;

	for (size_t i = 0; i < PL_ARRAY_SIZE(rule_maps); i++) {
		int k = purge_table(e, rule_maps[i], table);
		if (k < 0 && r == 0)
			r = k;
	}
	return r;
}

static int write_table(struct pl_cg_enforcer *e, uint32_t table, const struct pl_bpf_tables *t,
		       uint16_t *hooks)
{
	*hooks = 0;
	for (size_t i = 0; i < t->n_rules; i++) {
		struct pl_cg_name_key k = { table, (uint32_t)i };
		struct pl_cg_rule_name v = {};

		snprintf(v.name, sizeof(v.name), "%s", t->rules[i]);
		if (bpf_map_update_elem(e->map_fd[M_NAMES], &k, &v, BPF_ANY) < 0)
			return -errno;
	}
	for (size_t i = 0; i < t->n_sock; i++) {
		const struct pl_bpf_sock_entry *s = &t->sock[i];
		struct pl_cg_sock_key k = {
			.table = table,
			.family = s->family,
			.type = s->type == PL_BPF_ANY ? PL_CG_ANY16 : (uint16_t)s->type,
			.protocol = s->protocol,
		};
		struct pl_cg_verdict v = { .rule = s->rule, .action = s->action };

		if (bpf_map_update_elem(e->map_fd[M_SOCK], &k, &v, BPF_ANY) < 0)
			return -errno;
		*hooks |= PL_CG_HAS_SOCK;
	}
	for (size_t i = 0; i < t->n_egress; i++) {
		const struct pl_bpf_egress_entry *x = &t->egress[i];
		struct pl_cg_egress_val v = { .n = (uint32_t)x->n };
		int r;

		if (x->n > PL_CG_MAX_PORT_RANGES)
			return -E2BIG;
		for (size_t k = 0; k < x->n; k++)
			v.r[k] = (struct pl_cg_port_range){ .lo = x->r[k].lo,
							    .hi = x->r[k].hi,
							    .rule = x->r[k].rule,
							    .action = x->r[k].action };
		if (x->family == AF_INET) {
			struct pl_cg_lpm4_key k = { .prefixlen = 32u + x->prefix_len,
						    .table = htonl(table) };
			memcpy(k.addr, x->addr, 4);
			r = bpf_map_update_elem(e->map_fd[M_EGRESS4], &k, &v, BPF_ANY);
			*hooks |= PL_CG_HAS_EGRESS4;
		} else {
			struct pl_cg_lpm6_key k = { .prefixlen = 32u + x->prefix_len,
						    .table = htonl(table) };
			memcpy(k.addr, x->addr, 16);
			r = bpf_map_update_elem(e->map_fd[M_EGRESS6], &k, &v, BPF_ANY);
			*hooks |= PL_CG_HAS_EGRESS6;
		}
		if (r < 0)
			return -errno;
	}
	for (size_t i = 0; i < t->n_sysctl; i++) {
		struct pl_cg_sysctl_key k = { .table = table };
		struct pl_cg_verdict v = { .rule = t->sysctl[i].rule,
					   .action = t->sysctl[i].action };

		snprintf(k.name, sizeof(k.name), "%s", t->sysctl[i].name);
		if (bpf_map_update_elem(e->map_fd[M_SYSCTL], &k, &v, BPF_ANY) < 0)
			return -errno;
		*hooks |= PL_CG_HAS_SYSCTL;
	}
	for (size_t i = 0; i < t->n_dev; i++) {
		const struct pl_bpf_dev_entry *x = &t->dev[i];
		struct pl_cg_dev_key k = {
			.table = table,
			.type = x->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR,
			.major = x->major,
			.minor = x->minor,
		};
		struct pl_cg_dev_val v = {};

		for (int a = 0; a < 3; a++) {
			v.action[a] = x->action[a];
			v.rule[a] = x->rule[a];
		}
		if (bpf_map_update_elem(e->map_fd[M_DEV], &k, &v, BPF_ANY) < 0)
			return -errno;
		*hooks |= PL_CG_HAS_DEV;
	}
	return 0;
}

static int read_policy(struct pl_cg_enforcer *e, uint32_t policy, struct pl_cg_policy *ret)
{
	if (bpf_map_lookup_elem(e->map_fd[M_POLICIES], &policy, ret) < 0)
		return -errno;
	return 0;
}

int pl_enforcer_set_policy(struct pl_cg_enforcer *e, uint32_t policy, const struct pl_bpf_tables *t,
			   struct pl_diag *d)
{
	struct pl_cg_policy cur, next = {};
	uint32_t table;
	int r = check_policy(policy, d);

	if (r < 0)
		return r;
	r = read_policy(e, policy, &cur);
	if (r < 0)
		return sys_error(d, r, "read policy %u", policy);
	table = 2 * policy;
	if (cur.present && cur.table == 2 * policy)
		table = 2 * policy + 1;
	/* Leftovers of an interrupted update. */
	r = purge_all(e, table);
	if (r == 0)
		r = write_table(e, table, t, &next.hooks);
	if (r < 0) {
		purge_all(e, table);
		return sys_error(d, r, "write the rules of policy %u", policy);
	}
	next.table = table;
	next.present = 1;
	next.mode = cur.present ? cur.mode : PL_CG_MODE_AS_WRITTEN;
	if (bpf_map_update_elem(e->map_fd[M_POLICIES], &policy, &next, BPF_ANY) < 0) {
		r = -errno;
		purge_all(e, table);
		return sys_error(d, r, "activate policy %u", policy);
	}
	if (cur.present && cur.table != table) {
		r = purge_all(e, cur.table);
		if (r < 0)
			return sys_error(d, r, "remove the previous rules of policy %u", policy);
	}
	return 0;
}

int pl_enforcer_remove_policy(struct pl_cg_enforcer *e, uint32_t policy, struct pl_diag *d)
{
	struct pl_cg_policy cur, none = {};
	int r = check_policy(policy, d);

	if (r < 0)
		return r;
	r = read_policy(e, policy, &cur);
	if (r < 0)
		return sys_error(d, r, "read policy %u", policy);
	if (bpf_map_update_elem(e->map_fd[M_POLICIES], &policy, &none, BPF_ANY) < 0)
		return sys_error(d, errno, "remove policy %u", policy);
	r = purge_all(e, 2 * policy);
	if (r == 0)
		r = purge_all(e, 2 * policy + 1);
	return r < 0 ? sys_error(d, r, "remove the rules of policy %u", policy) : 0;
}

int pl_enforcer_set_mode(struct pl_cg_enforcer *e, uint32_t policy, enum pl_bpf_mode mode,
			 struct pl_diag *d)
{
	struct pl_cg_policy cur;
	int r = check_policy(policy, d);

	if (r < 0)
		return r;
	if ((unsigned)mode > PL_BPF_MODE_OFF)
		return pl_error(d, -EINVAL, NULL, NULL, "unknown mode %d", (int)mode);
	r = read_policy(e, policy, &cur);
	if (r < 0)
		return sys_error(d, r, "read policy %u", policy);
	if (!cur.present)
		return pl_error(d, -ENOENT, NULL, NULL, "policy %u has no rules loaded", policy);
	cur.mode = (uint8_t)mode;
	if (bpf_map_update_elem(e->map_fd[M_POLICIES], &policy, &cur, BPF_EXIST) < 0)
		return sys_error(d, errno, "set the mode of policy %u", policy);
	return 0;
}

int pl_enforcer_get_mode(struct pl_cg_enforcer *e, uint32_t policy, enum pl_bpf_mode *ret)
{
	struct pl_cg_policy cur;
	int r;

	if (policy == 0 || policy >= PL_CG_MAX_POLICIES)
		return -ERANGE;
	r = read_policy(e, policy, &cur);
	if (r < 0)
		return r;
	if (!cur.present)
		return -ENOENT;
	*ret = (enum pl_bpf_mode)cur.mode;
	return 0;
}

int pl_enforcer_counters(struct pl_cg_enforcer *e, struct pl_enforcer_counters *ret)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum[PL_CG_CNT__MAX] = { 0 };
	uint64_t *vals;

	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (uint32_t i = 0; i < PL_CG_CNT__MAX; i++) {
		if (bpf_map_lookup_elem(e->map_fd[M_COUNTERS], &i, vals) < 0) {
			int r = -errno;
			free(vals);
			return r;
		}
		for (int c = 0; c < ncpu; c++)
			sum[i] += vals[c];
	}
	free(vals);
	ret->matched = sum[PL_CG_CNT_MATCHED];
	ret->denied = sum[PL_CG_CNT_DENIED];
	ret->events = sum[PL_CG_CNT_EVENTS];
	ret->drops = sum[PL_CG_CNT_DROPS];
	return 0;
}

/* ---- events ------------------------------------------------------------- */

static int rb_sample(void *ctx, void *data, size_t size)
{
	struct pl_cg_enforcer *e = ctx;
	struct pl_cg_event ev = {};

	memcpy(&ev, data, size < sizeof(ev) ? size : sizeof(ev));
	if (e->stop)
		return 0; /* already asked to stop: drained but not delivered */
	if (e->cb(e->userdata, &ev) != 0) {
		e->stop = 1;
		return -ECANCELED;
	}
	return 0;
}

static int ensure_rb(struct pl_cg_enforcer *e)
{
	if (!e->rb) {
		e->rb = ring_buffer__new(e->map_fd[M_EVENTS], rb_sample, e, NULL);
		if (!e->rb)
			return -errno;
	}
	return 0;
}

int pl_enforcer_events_fd(struct pl_cg_enforcer *e, pl_enforcer_event_fn cb, void *userdata)
{
	int r;

	if (!e)
		return -EINVAL;
	r = ensure_rb(e);
	if (r < 0)
		return r;
	e->cb = cb;
	e->userdata = userdata;
	return ring_buffer__epoll_fd(e->rb);
}

int pl_enforcer_poll(struct pl_cg_enforcer *e, pl_enforcer_event_fn cb, void *userdata,
		     int timeout_ms)
{
	int r;

	if (!e || !cb)
		return -EINVAL;
	r = ensure_rb(e);
	if (r < 0)
		return r;
	e->cb = cb;
	e->userdata = userdata;
	e->stop = 0;
	/* Consume first: the programs do not wake the consumer for every
	 * event (see event_end in cgroup.bpf.c), so events may be waiting
	 * without the fd being readable; and again after the wait. */
	r = ring_buffer__consume(e->rb);
	if (r == 0 && timeout_ms && !e->stop) {
		r = ring_buffer__poll(e->rb, timeout_ms);
		if (r >= 0 && !e->stop) {
			int k = ring_buffer__consume(e->rb);

			r = k < 0 ? k : r + k;
		}
	}
	if (r == -ECANCELED || (r < 0 && e->stop))
		return 0;
	return r;
}

static const char *hook_name(unsigned h)
{
	static const char *const n[] = { "?",         "sock_create", "connect4", "connect6",
					 "sendmsg4",  "sendmsg6",    "sysctl",   "dev",
					 "raw_send4", "raw_send6" };
	return h < PL_ARRAY_SIZE(n) ? n[h] : "?";
}

int pl_cg_event_format(const struct pl_cg_event *ev, char *buf, size_t len)
{
	char detail[256] = "";
	char comm[sizeof(ev->comm) + 1], rule[sizeof(ev->rule_name) + 1];

	memcpy(comm, ev->comm, sizeof(ev->comm));
	comm[sizeof(ev->comm)] = '\0';
	memcpy(rule, ev->rule_name, sizeof(ev->rule_name));
	rule[sizeof(ev->rule_name)] = '\0';
	switch (ev->hook) {
	case PL_CG_HOOK_SOCK_CREATE:
		snprintf(detail, sizeof(detail), "family=%u type=%u protocol=%u", ev->u.sock.family,
			 ev->u.sock.type, ev->u.sock.protocol);
		break;
	case PL_CG_HOOK_CONNECT4:
	case PL_CG_HOOK_CONNECT6:
	case PL_CG_HOOK_SENDMSG4:
	case PL_CG_HOOK_SENDMSG6:
	case PL_CG_HOOK_RAW_SEND4:
	case PL_CG_HOOK_RAW_SEND6: {
		char a[INET6_ADDRSTRLEN] = "?";
		int v6 = ev->u.net.family == AF_INET6;

		inet_ntop(v6 ? AF_INET6 : AF_INET, ev->u.net.addr, a, sizeof(a));
		snprintf(detail, sizeof(detail), "%s%s%s:%u type=%u protocol=%u", v6 ? "[" : "", a,
			 v6 ? "]" : "", ev->u.net.port, ev->u.net.type, ev->u.net.protocol);
		break;
	}
	case PL_CG_HOOK_SYSCTL: {
		char name[PL_CG_SYSCTL_NAME + 1];

		memcpy(name, ev->u.sysctl.name, PL_CG_SYSCTL_NAME);
		name[PL_CG_SYSCTL_NAME] = '\0';
		snprintf(detail, sizeof(detail), "write %s", name);
		break;
	}
	case PL_CG_HOOK_DEV:
		snprintf(detail, sizeof(detail), "%c %u:%u access=%s%s%s",
			 ev->u.dev.type == BPF_DEVCG_DEV_BLOCK ? 'b' : 'c', ev->u.dev.major,
			 ev->u.dev.minor, ev->u.dev.access & BPF_DEVCG_ACC_READ ? "r" : "",
			 ev->u.dev.access & BPF_DEVCG_ACC_WRITE ? "w" : "",
			 ev->u.dev.access & BPF_DEVCG_ACC_MKNOD ? "m" : "");
		break;
	}
	return snprintf(buf, len, "%s %s rule=%s policy=%u cgroup=%llu pid=%u comm=%s %s",
			ev->action == PL_CG_ALLOW_LOG ? "AUDIT" : "DENIED", hook_name(ev->hook),
			rule[0] ? rule : "?", ev->policy, (unsigned long long)ev->cgroup_id,
			ev->pid, comm, detail);
}
