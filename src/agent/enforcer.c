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

#include "cgroup.skel.h"
#include "egress-trie.h"
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
	M_TABLES,
	M_SOCK,
	M_NODES,
	M_RANGES,
	M_SYSCTL,
	M_DEV,
	M_NAMES,
	M_EVENTS,
	M_COUNTERS,
	M_GLOBAL,
	M_RAW_SOCKS,
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
	[M_TABLES] = { "tables", BPF_MAP_TYPE_ARRAY, 4, sizeof(struct pl_cg_table) },
	[M_NODES] = { "nodes", BPF_MAP_TYPE_ARRAY, 4, sizeof(struct pl_cg_node) },
	[M_RANGES] = { "ranges", BPF_MAP_TYPE_ARRAY, 4, sizeof(struct pl_cg_port_range) },
	[M_SYSCTL] = { "sysctl_rules", BPF_MAP_TYPE_HASH, sizeof(struct pl_cg_sysctl_key),
		       sizeof(struct pl_cg_verdict), 0, false },
	[M_DEV] = { "dev_rules", BPF_MAP_TYPE_HASH, sizeof(struct pl_cg_dev_key),
		    sizeof(struct pl_cg_dev_val), 0, false },
	[M_NAMES] = { "rule_names", BPF_MAP_TYPE_HASH, sizeof(struct pl_cg_name_key),
		      sizeof(struct pl_cg_rule_name), 0, false },
	[M_EVENTS] = { "events", BPF_MAP_TYPE_RINGBUF, 0, 0 },
	[M_COUNTERS] = { "counters", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8 },
	[M_GLOBAL] = { "global", BPF_MAP_TYPE_ARRAY, 4, sizeof(struct pl_cg_global) },
	[M_RAW_SOCKS] = { "raw_socks", BPF_MAP_TYPE_SK_STORAGE, 4, 4 },
};

static const struct {
	const char *name;
	enum bpf_attach_type type;
} progs[] = {
	{ "pl_sock_create", BPF_CGROUP_INET_SOCK_CREATE },
	{ "pl_connect4", BPF_CGROUP_INET4_CONNECT },
	{ "pl_connect6", BPF_CGROUP_INET6_CONNECT },
	{ "pl_sendmsg4", BPF_CGROUP_UDP4_SENDMSG },
	{ "pl_sendmsg6", BPF_CGROUP_UDP6_SENDMSG },
	{ "pl_sysctl", BPF_CGROUP_SYSCTL },
	{ "pl_raw_egress", BPF_CGROUP_INET_EGRESS },
};
#define N_PROGS PL_ARRAY_SIZE(progs)
/* The device program: one instance, attached at the cgroup v2 root (see
 * bpf/cgroup.h), pinned as progs/dev and links/dev. */
#define DEV_PROG "pl_dev"
_Static_assert(N_PROGS == PL_ENFORCER_LINKS_PER_CGROUP, "one link per program");

/* A policy's loaded programs (fds of the pinned instances). */
struct prog_set {
	uint32_t policy;
	int fd[N_PROGS];
};

/* A run of `nodes` or `ranges` owned by a live table. */
struct run {
	uint32_t first, count;
};

struct pl_cg_enforcer {
	char *pin_dir;
	int map_fd[M__MAX];
	struct prog_set *sets;
	size_t n_sets;
	/* The allocator of node and range runs: the runs of both table slots
	 * of every present policy, read from the maps (under the lock) before
	 * each allocation. */
	struct run *node_runs, *range_runs;
	size_t n_runs, cap_runs;   /* node_runs[i] and range_runs[i] belong to one table */
	uint32_t *run_table;       /* ... namely this table slot */
	int lock_fd;               /* <pin_dir>/maps, flock()ed by every writer */
	int grace_fd, grace_inner; /* see grace_period() */
	uint32_t *retired;         /* table slots replaced, not released yet */
	size_t n_retired, cap_retired;
	struct ring_buffer *rb;
	pl_enforcer_event_fn cb;
	void *userdata;
	int stop;
	struct pl_enforcer_txn *txn; /* open transaction (its staged slots are in use) */
};

/* A policy's rules written into its inactive slot, not in force yet. */
struct staged {
	uint32_t policy, table;
	struct pl_cg_policy next, old;
};

/* Keys of map `m` (one of the rule hash maps) that belong to table slot
 * `table`. */
struct keyset {
	uint8_t *v;
	size_t n, cap;
};

struct pl_enforcer_txn {
	struct pl_cg_enforcer *e;
	struct staged *v;
	size_t n, cap;
	/* Every key of the rule maps, read once per transaction: emptying each
	 * staged slot then needs no scan of the maps (a scan per policy made a
	 * reload of 1,000 policies quadratic in syscalls). Valid for the slots
	 * not written in this transaction (a key deleted since is ENOENT,
	 * ignored), which are the slots a stage empties; see table_keys. */
	struct keyset snap[M__MAX];
	bool have_snap, use_snap;
};

#ifdef PL_ENFORCER_FAULT_INJECTION
int (*pl_enforcer_fault_hook)(const char *step);
#define FAULT(what, id)                                                     \
	({                                                                  \
		char step_[48];                                             \
		snprintf(step_, sizeof(step_), "%s %u", (what), (id));      \
		pl_enforcer_fault_hook ? pl_enforcer_fault_hook(step_) : 0; \
	})
#else
#define FAULT(what, id) 0
#endif

/* Writers (set_policy, remove_policy, register, unregister) of one pin
 * directory exclude each other, also across processes. */
static void lock(struct pl_cg_enforcer *e)
{
	while (e->lock_fd >= 0 && flock(e->lock_fd, LOCK_EX) < 0 && errno == EINTR)
		;
}

static void unlock(struct pl_cg_enforcer *e)
{
	if (e->lock_fd >= 0)
		flock(e->lock_fd, LOCK_UN);
}

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

/* Open cgroup `cgroup_id` (a directory fd, `flags` added to O_CLOEXEC);
 * its path below the v2 mount in `mnt` (when not NULL). -ENOENT when it
 * does not exist. Needs CAP_DAC_READ_SEARCH (open_by_handle_at). */
static int cgroup_open_id(uint64_t cgroup_id, int flags, char *mnt, size_t mlen)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh.handle_bytes = sizeof(uint64_t) };
	char buf[PATH_MAX];
	int mfd, fd, mount_id, r;

	if (!mnt) {
		mnt = buf;
		mlen = sizeof(buf);
	}
	r = pl_cgroup2_mount(mnt, mlen);
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
	fd = open_by_handle_at(mfd, &h.fh, flags | O_CLOEXEC);
	r = fd < 0 ? -errno : fd;
	close(mfd);
	return r == -ESTALE ? -ENOENT : r;
}

int pl_cgroup_level(uint64_t cgroup_id, uint32_t *ret)
{
	char mnt[PATH_MAX], link[64], path[PATH_MAX];
	int fd = cgroup_open_id(cgroup_id, O_PATH, mnt, sizeof(mnt)), r;
	size_t ml;
	ssize_t n;
	uint32_t level = 0;

	if (fd < 0)
		return fd;
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

static void link_path(char *buf, size_t len, const char *dir, uint64_t cgroup_id, size_t prog)
{
	snprintf(buf, len, "%s/links/%llu/%s", dir, (unsigned long long)cgroup_id,
		 progs[prog].name);
}

/* Detach a cgroup's pinned links now (the last reference to an unpinned
 * link is dropped asynchronously, so unlinking alone would leave the
 * programs running for a moment), then remove the pins. */
static int unlink_cgroup(const char *dir, uint64_t cgroup_id)
{
	char p[PATH_MAX];
	int r = 0;

	for (size_t i = 0; i < N_PROGS; i++) {
		int fd;

		link_path(p, sizeof(p), dir, cgroup_id, i);
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
			unlink_cgroup(dir, strtoull(de->d_name, NULL, 10));
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
		return errno == ENOENT ? 0 : sys_error(d, errno, "%s", dir);
	unpin_all(dir);
	if (stat(dir, &st) == 0)
		return pl_error(d, -EBUSY, NULL, NULL, "%s: could not remove every pin", dir);
	return 0;
}

/* How many of a cgroup's links are pinned. */
static int count_links(const char *dir, uint64_t cgroup_id)
{
	char p[PATH_MAX];
	int n = 0;

	for (size_t i = 0; i < N_PROGS; i++) {
		link_path(p, sizeof(p), dir, cgroup_id, i);
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
		n += count_links(e->pin_dir, cur);
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
				     "%u bytes) than this build expects: remove the pins with "
				     "plastrond --uninstall",
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
		return sys_error(d, errno, "open the cgroup-BPF object");
	bpf_object__for_each_program(prog, skel->obj)
	    bpf_program__set_autoload(prog, !strcmp(bpf_program__name(prog), DEV_PROG));
	if (o && o->ringbuf_size) {
		r = bpf_map__set_max_entries(skel->maps.events, o->ringbuf_size);
		if (r < 0) {
			r = sys_error(d, r, "set the ring buffer size to %u", o->ringbuf_size);
			goto out;
		}
	}
	r = pl_cgroup__load(skel);
	if (r < 0) {
		r = sys_error(d, r, "create the cgroup-BPF maps");
		goto out;
	}
	if ((mkdir(dir, 0700) < 0 && errno != EEXIST)) {
		r = sys_error(d, errno, "mkdir %s", dir);
		goto out;
	}
	for (size_t i = 0; i < 3; i++) {
		static const char *const sub[] = { "maps", "progs", "links" };

		snprintf(p, sizeof(p), "%s/%s", dir, sub[i]);
		if (mkdir(p, 0700) < 0 && (i == 0 || errno != EEXIST)) {
			r = sys_error(d, errno, "mkdir %s", p);
			goto fail;
		}
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
	{
		char root[PATH_MAX];
		int cg = -1, lfd = -1;

		r = pl_cgroup2_mount(root, sizeof(root));
		if (r < 0) {
			r = sys_error(d, r, "find the cgroup v2 mount");
			goto fail;
		}
		snprintf(p, sizeof(p), "%s/progs/dev", dir);
		r = bpf_program__pin(skel->progs.pl_dev, p);
		if (r < 0) {
			r = sys_error(d, r, "pin %s", p);
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
			r = sys_error(d, r, "attach the device program to %s", root);
			goto fail;
		}
		snprintf(p, sizeof(p), "%s/links/dev", dir);
		r = bpf_obj_pin(lfd, p) < 0 ? -errno : 0;
		if (r < 0) {
			bpf_link_detach(lfd);
			close(lfd);
			r = sys_error(d, r, "pin %s", p);
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

/* ---- per-policy programs ------------------------------------------------ */

static int check_policy(uint32_t policy, struct pl_diag *d)
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
		return sys_error(d, errno, "open the cgroup-BPF object");
	skel->rodata->pl_policy = policy;
	/* one device program instance, at the root */
	bpf_program__set_autoload(skel->progs.pl_dev, dev != NULL);
	for (int i = 0; i < M__MAX && r == 0; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(skel->obj, map_desc[i].name);

		r = m ? bpf_map__reuse_fd(m, e->map_fd[i]) : -ENOENT;
		if (r < 0)
			r = sys_error(d, r, "share map %s", map_desc[i].name);
	}
	if (r == 0) {
		r = pl_cgroup__load(skel);
		if (r < 0)
			r = sys_error(d, r, "load the cgroup-BPF programs of policy %u", policy);
	}
	for (size_t i = 0; i < N_PROGS && r == 0; i++) {
		struct bpf_program *prog =
		    bpf_object__find_program_by_name(skel->obj, progs[i].name);

		if (!prog)
			r = pl_error(d, -ENOENT, NULL, NULL, "program %s missing from the object",
				     progs[i].name);
		else if ((fd[i] = fcntl(bpf_program__fd(prog), F_DUPFD_CLOEXEC, 3)) < 0)
			r = sys_error(d, errno, "dup a program fd");
	}
	if (r == 0 && dev &&
	    (*dev = fcntl(bpf_program__fd(skel->progs.pl_dev), F_DUPFD_CLOEXEC, 3)) < 0)
		r = sys_error(d, errno, "dup a program fd");
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
		return sys_error(d, errno, "unpin %s", path);
	if (bpf_obj_pin(fd, path) < 0)
		return sys_error(d, errno, "pin %s", path);
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
		r = sys_error(d, errno, "mkdir %s", p);
	for (size_t i = 0; i < N_PROGS && r == 0; i++) {
		/* repin: a partial set left by an interrupted load goes */
		snprintf(p, sizeof(p), "%s/progs/%u/%s", e->pin_dir, policy, progs[i].name);
		r = repin(fd[i], p, d);
	}
	return r;
}

/* The programs of `policy`: cached, re-opened from their pins, or loaded. */
static const int *load_progs(struct pl_cg_enforcer *e, uint32_t policy, struct pl_diag *d, int *err)
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
		return errno == ENOENT && !required ? 0 : sys_error(d, errno, "open %s", path);
	/* ENOLINK (EINVAL before 6.x): its cgroup is gone */
	if (bpf_link_update(lfd, fd, NULL) < 0 && !(errno == ENOLINK || link_detached(lfd)))
		r = sys_error(d, errno, "switch %s to the new program", path);
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
			link_path(p, sizeof(p), e->pin_dir, cur, i);
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
				r = sys_error(d, errno, "dup a program fd");
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
	lock(e);
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
			r = sys_error(d, r, "read the tags of this build's programs");
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
		r = sys_error(d, errno, "open %s", p);
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
	unlock(e);
	*replaced = n;
	return r;
}

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
static int rebuild_levels(struct pl_cg_enforcer *e, bool keep)
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
	int r = check_policy(policy, d), cg;
	size_t i;

	if (r < 0)
		return r;
	set = load_progs(e, policy, d, &r);
	if (!set)
		return r;
	memcpy(fd, set, sizeof(fd));
	was = bpf_map_lookup_elem(e->map_fd[M_CONTAINERS], &cgroup_id, &old) == 0;
	if (was && old.policy != policy && !check_policy(old.policy, NULL)) {
		set = load_progs(e, old.policy, NULL, &r);
		if (set) {
			memcpy(oldfd, set, sizeof(oldfd));
			have_old = true;
		}
		r = 0;
	}
	r = pl_cgroup_level(cgroup_id, &c.level);
	if (r < 0)
		return sys_error(d, r, "find cgroup %llu in the cgroup v2 tree",
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
			return sys_error(d, r, "record the level of cgroup %llu",
					 (unsigned long long)cgroup_id);
	}
	cg = cgroup_open_id(cgroup_id, O_RDONLY | O_DIRECTORY, NULL, 0);
	if (cg < 0)
		return sys_error(d, cg, "open cgroup %llu", (unsigned long long)cgroup_id);
	snprintf(p, sizeof(p), "%s/links/%llu", e->pin_dir, (unsigned long long)cgroup_id);
	if (mkdir(p, 0700) < 0 && errno != EEXIST) {
		r = sys_error(d, errno, "mkdir %s", p);
		close(cg);
		return r;
	}
	/* A link per program: kept (its program replaced atomically) when the
	 * cgroup is registered already, else created and pinned. */
	for (i = 0; i < N_PROGS; i++) {
		int lfd;

		link_path(p, sizeof(p), e->pin_dir, cgroup_id, i);
		lfd = bpf_obj_get(p);
		if (lfd < 0 && errno != ENOENT) {
			r = sys_error(d, errno, "open %s", p);
			break;
		}
		if (lfd >= 0) {
			r = bpf_link_update(lfd, fd[i], NULL) < 0 ? -errno : 0;
			close(lfd);
			if (r < 0) {
				r = sys_error(d, r, "switch %s to policy %u", p, policy);
				break;
			}
			continue;
		}
		lfd = bpf_link_create(fd[i], cg, progs[i].type, NULL);
		if (lfd < 0) {
			r = sys_error(d, errno, "attach %s to cgroup %llu", progs[i].name,
				      (unsigned long long)cgroup_id);
			break;
		}
		r = bpf_obj_pin(lfd, p) < 0 ? -errno : 0;
		if (r < 0) {
			bpf_link_detach(lfd);
			close(lfd);
			r = sys_error(d, r, "pin %s", p);
			break;
		}
		close(lfd);
		made[i] = true;
	}
	close(cg);
	if (r == 0 && bpf_map_update_elem(e->map_fd[M_CONTAINERS], &cgroup_id, &c, BPF_ANY) < 0)
		r = sys_error(d, errno, "record cgroup %llu", (unsigned long long)cgroup_id);
	if (r == 0)
		return 0;
	/* Undo: a new registration goes entirely; a changed one gets its
	 * previous programs back (links created here go). */
	if (!was) {
		unlink_cgroup(e->pin_dir, cgroup_id);
		return r;
	}
	for (size_t k = 0; k < N_PROGS; k++) {
		int lfd;

		link_path(p, sizeof(p), e->pin_dir, cgroup_id, k);
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

	lock(e);
	r = do_register(e, cgroup_id, policy, d);
	unlock(e);
	return r;
}

int pl_enforcer_unregister(struct pl_cg_enforcer *e, uint64_t cgroup_id, struct pl_diag *d)
{
	int r;

	lock(e);
	r = unlink_cgroup(e->pin_dir, cgroup_id);
	if (r < 0)
		r = sys_error(d, r, "detach the programs of cgroup %llu",
			      (unsigned long long)cgroup_id);
	else if (bpf_map_delete_elem(e->map_fd[M_CONTAINERS], &cgroup_id) < 0 && errno != ENOENT)
		r = sys_error(d, errno, "unregister cgroup %llu", (unsigned long long)cgroup_id);
	else if ((r = rebuild_levels(e, false)) < 0)
		r = sys_error(d, r, "recompute the registered cgroup levels");
	unlock(e);
	return r;
}

int pl_enforcer_attached(struct pl_cg_enforcer *e, uint64_t cgroup_id, uint32_t *policy)
{
	struct pl_cg_container c;

	if (bpf_map_lookup_elem(e->map_fd[M_CONTAINERS], &cgroup_id, &c) < 0)
		return -errno;
	if (policy)
		*policy = c.policy;
	return count_links(e->pin_dir, cgroup_id);
}

/* ---- rule tables -------------------------------------------------------- */

static int keyset_add(struct keyset *k, const uint8_t *key, uint32_t ks)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 64;
		uint8_t *v = realloc(k->v, cap * ks);
		if (!v)
			return -ENOMEM;
		k->v = v;
		k->cap = cap;
	}
	memcpy(k->v + k->n++ * ks, key, ks);
	return 0;
}

/* Keys of map `m` of table slot `table` (every key with `all`). */
static int scan_keys(struct pl_cg_enforcer *e, int m, bool all, uint32_t table, struct keyset *k)
{
	uint32_t ks = map_desc[m].key, off = map_desc[m].table_off;
	uint32_t want = map_desc[m].table_be ? htonl(table) : table;
	_cleanup_free_ uint8_t *cur = calloc(2, ks);
	uint8_t *next;
	int fd = e->map_fd[m];

	if (!cur)
		return -ENOMEM;
	next = cur + ks;
	for (void *prev = NULL; bpf_map_get_next_key(fd, prev, next) == 0; prev = cur) {
		uint32_t t;

		memcpy(cur, next, ks);
		memcpy(&t, cur + off, sizeof(t));
		if (!all && t != want)
			continue;
		if (keyset_add(k, cur, ks) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int table_keys(struct pl_cg_enforcer *e, int m, uint32_t table, struct keyset *k)
{
	struct pl_enforcer_txn *x = e->txn;
	uint32_t ks = map_desc[m].key, off = map_desc[m].table_off;
	uint32_t want = map_desc[m].table_be ? htonl(table) : table;

	if (!x || !x->use_snap)
		return scan_keys(e, m, false, table, k);
	if (!x->have_snap) {
		static const int rule_maps[] = { M_SOCK, M_SYSCTL, M_DEV, M_NAMES };
		for (size_t i = 0; i < PL_ARRAY_SIZE(rule_maps); i++) {
			int r = scan_keys(e, rule_maps[i], true, 0, &x->snap[rule_maps[i]]);
			if (r < 0)
				return r;
		}
		x->have_snap = true;
	}
	for (size_t i = 0; i < x->snap[m].n; i++) {
		const uint8_t *key = x->snap[m].v + i * ks;
		uint32_t t;

		memcpy(&t, key + off, sizeof(t));
		if (t == want && keyset_add(k, key, ks) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* Forget the runs of table slot `table` (its nodes and ranges are free). */
static void runs_release(struct pl_cg_enforcer *e, uint32_t table)
{
	for (size_t i = 0; i < e->n_runs;) {
		if (e->run_table[i] == table) {
			e->n_runs--;
			e->node_runs[i] = e->node_runs[e->n_runs];
			e->range_runs[i] = e->range_runs[e->n_runs];
			e->run_table[i] = e->run_table[e->n_runs];
		} else {
			i++;
		}
	}
}

static int runs_add(struct pl_cg_enforcer *e, uint32_t table, struct run n, struct run rg)
{
	if (e->n_runs == e->cap_runs) {
		size_t cap = e->cap_runs ? 2 * e->cap_runs : 64;
		struct run *a = realloc(e->node_runs, cap * sizeof(*a));
		struct run *b = a ? realloc(e->range_runs, cap * sizeof(*b)) : NULL;
		uint32_t *t = b ? realloc(e->run_table, cap * sizeof(*t)) : NULL;

		if (a)
			e->node_runs = a;
		if (b)
			e->range_runs = b;
		if (!t)
			return -ENOMEM;
		e->run_table = t;
		e->cap_runs = cap;
	}
	e->node_runs[e->n_runs] = n;
	e->range_runs[e->n_runs] = rg;
	e->run_table[e->n_runs++] = table;
	return 0;
}

/* The runs in use: those of both table slots of every present policy (the
 * inactive one holds a replaced rule set until it is released), read afresh (the policies array in
 * batches): another process may have written since. */
static int runs_load(struct pl_cg_enforcer *e)
{
	enum { BATCH = 4096 };
	struct pl_cg_policy *pol = calloc(BATCH, sizeof(*pol));
	uint32_t *keys = calloc(BATCH, sizeof(*keys)), in = 0, out = 0;
	bool first = true, done = false;
	int r = 0;

	if (!pol || !keys) {
		r = -ENOMEM;
		goto out;
	}
	e->n_runs = 0;
	while (!done && r == 0) {
		__u32 n = BATCH;

		if (bpf_map_lookup_batch(e->map_fd[M_POLICIES], first ? NULL : &in, &out, keys, pol,
					 &n, NULL) < 0) {
			if (errno != ENOENT) {
				r = -errno;
				break;
			}
			done = true;
		}
		first = false;
		in = out;
		for (__u32 i = 0; i < n && r == 0; i++) {
			if (!pol[i].present || keys[i] == 0)
				continue;
			for (uint32_t slot = 2 * keys[i]; slot <= 2 * keys[i] + 1 && r == 0;
			     slot++) {
				struct pl_cg_table t;

				if (bpf_map_lookup_elem(e->map_fd[M_TABLES], &slot, &t) < 0)
					r = -errno;
				else if (t.node_count || t.range_count)
					r = runs_add(e, slot,
						     (struct run){ t.node_first, t.node_count },
						     (struct run){ t.range_first, t.range_count });
			}
		}
	}
	/* Slots staged by the open transaction (those of policies not present
	 * yet are not counted above). */
	for (size_t i = 0; r == 0 && e->txn && i < e->txn->n; i++) {
		uint32_t slot = e->txn->v[i].table;
		struct pl_cg_table t;
		bool have = false;

		for (size_t j = 0; j < e->n_runs && !have; j++)
			have = e->run_table[j] == slot;
		if (have)
			continue;
		if (bpf_map_lookup_elem(e->map_fd[M_TABLES], &slot, &t) < 0)
			r = -errno;
		else if (t.node_count || t.range_count)
			r = runs_add(e, slot, (struct run){ t.node_first, t.node_count },
				     (struct run){ t.range_first, t.range_count });
	}
out:
	free(pol);
	free(keys);
	return r;
}

static int cmp_run(const void *a, const void *b)
{
	const struct run *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

/* First fit for `need` entries in 1..max-1 among the used runs `used`. */
static int run_alloc(const struct run *used, size_t n, uint32_t need, uint32_t max, uint32_t *first)
{
	struct run *v;
	uint64_t at = 1;

	*first = 0;
	if (need == 0)
		return 0;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (n) {
		memcpy(v, used, n * sizeof(*v));
		qsort(v, n, sizeof(*v), cmp_run);
	}
	for (size_t i = 0; i < n; i++) {
		if (!v[i].count)
			continue;
		if (v[i].first >= at + need)
			break;
		if ((uint64_t)v[i].first + v[i].count > at)
			at = (uint64_t)v[i].first + v[i].count;
	}
	free(v);
	if (at + need > max)
		return -ENOSPC;
	*first = (uint32_t)at;
	return 0;
}

/* Write the egress tries of `t` into free runs; the table record (roots
 * and runs) into `tab`. Nothing points at the runs until the table slot
 * is activated. */
static int write_egress(struct pl_cg_enforcer *e, uint32_t table, const struct pl_bpf_tables *t,
			struct pl_cg_table *tab, struct pl_diag *d)
{
	struct pl_egress_trie x;
	uint32_t nf = 0, rf = 0;
	int r = pl_egress_trie_build(t, &x);

	memset(tab, 0, sizeof(*tab));
	if (r < 0)
		return sys_error(d, r, "build the egress trie");
	r = run_alloc(e->node_runs, e->n_runs, (uint32_t)x.n_nodes, PL_CG_MAX_NODES, &nf);
	if (r == 0)
		r = run_alloc(e->range_runs, e->n_runs, (uint32_t)x.n_ranges, PL_CG_MAX_RANGES,
			      &rf);
	if (r < 0) {
		r = pl_error(d, r, NULL, NULL,
			     "egress rules need %zu trie nodes and %zu port ranges: no room left "
			     "(%u nodes, %u ranges for every policy together)",
			     x.n_nodes, x.n_ranges, PL_CG_MAX_NODES, PL_CG_MAX_RANGES);
		goto out;
	}
	pl_egress_trie_relocate(&x, nf, rf);
	for (size_t i = 0; i < x.n_nodes && r == 0; i++) {
		uint32_t k = nf + (uint32_t)i;

		if (bpf_map_update_elem(e->map_fd[M_NODES], &k, &x.nodes[i], BPF_ANY) < 0)
			r = sys_error(d, errno, "write trie node %u", k);
	}
	for (size_t i = 0; i < x.n_ranges && r == 0; i++) {
		uint32_t k = rf + (uint32_t)i;

		if (bpf_map_update_elem(e->map_fd[M_RANGES], &k, &x.ranges[i], BPF_ANY) < 0)
			r = sys_error(d, errno, "write port range %u", k);
	}
	if (r == 0) {
		*tab = (struct pl_cg_table){ .root4 = x.root4,
					     .root6 = x.root6,
					     .node_first = nf,
					     .node_count = (uint32_t)x.n_nodes,
					     .range_first = rf,
					     .range_count = (uint32_t)x.n_ranges };
		r = runs_add(e, table, (struct run){ nf, tab->node_count },
			     (struct run){ rf, tab->range_count });
		if (r < 0)
			r = pl_error(d, r, NULL, NULL, "out of memory");
	}
out:
	pl_egress_trie_free(&x);
	return r;
}

/* The two small maps grace_period updates (this process's own). */
static int grace_ready(struct pl_cg_enforcer *e)
{
	if (e->grace_inner < 0) {
		e->grace_inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "pl_grace_in", 4, 4, 1, NULL);
		if (e->grace_inner < 0)
			return -errno;
	}
	if (e->grace_fd < 0) {
		LIBBPF_OPTS(bpf_map_create_opts, o, .inner_map_fd = e->grace_inner);
		e->grace_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "pl_grace", 4, 4, 1, &o);
		if (e->grace_fd < 0)
			return -errno;
	}
	return 0;
}

/*
 * Wait until every program run that started before the call has finished.
 * Updating an element of a map-in-map makes the kernel wait for an RCU
 * grace period (synchronize_rcu() in maybe_wait_bpf_programs(), so that user
 * space knows no program still uses the old value), and cgroup programs run
 * inside rcu_read_lock(). After it, no program holds a policy, table id or
 * trie node it read before.
 */
static int grace_period(struct pl_cg_enforcer *e)
{
	uint32_t k = 0;
	int r = grace_ready(e);

	if (r < 0)
		return r;
	if (bpf_map_update_elem(e->grace_fd, &k, &e->grace_inner, BPF_ANY) < 0)
		return -errno;
	return 0;
}

int pl_enforcer_sync(struct pl_cg_enforcer *e, struct pl_diag *d)
{
	int r = grace_period(e);

	return r < 0 ? sys_error(d, r, "wait for running programs (map-in-map update)") : 0;
}

/*
 * Empty table slot `table`: its hash-map entries (freed by the kernel after
 * every program using them is done), its record and its trie runs. With
 * `wait_if_used`, a slot that holds anything is emptied only after a grace
 * period: for a slot that another process may have replaced and not
 * released yet.
 */
static int purge_all(struct pl_cg_enforcer *e, uint32_t table, bool wait_if_used)
{
	static const int rule_maps[] = { M_SOCK, M_SYSCTL, M_DEV, M_NAMES };
	struct keyset k[PL_ARRAY_SIZE(rule_maps)] = {};
	struct pl_cg_table none = { 0 }, cur = { 0 };
	bool used = false;
	int r = 0;

	for (size_t i = 0; i < PL_ARRAY_SIZE(rule_maps) && r == 0; i++) {
		r = table_keys(e, rule_maps[i], table, &k[i]);
		used = used || k[i].n;
	}
	if (r == 0 && bpf_map_lookup_elem(e->map_fd[M_TABLES], &table, &cur) == 0 &&
	    memcmp(&cur, &none, sizeof(cur)))
		used = true;
	if (r == 0 && wait_if_used && used)
		r = grace_period(e);
	for (size_t i = 0; i < PL_ARRAY_SIZE(rule_maps) && r == 0; i++) {
		uint32_t ks = map_desc[rule_maps[i]].key;

		for (size_t j = 0; j < k[i].n; j++)
			if (bpf_map_delete_elem(e->map_fd[rule_maps[i]], k[i].v + j * ks) < 0 &&
			    errno != ENOENT && r == 0)
				r = -errno;
	}
	if (r == 0 && bpf_map_update_elem(e->map_fd[M_TABLES], &table, &none, BPF_ANY) < 0)
		r = -errno;
	if (r == 0)
		runs_release(e, table);
	for (size_t i = 0; i < PL_ARRAY_SIZE(rule_maps); i++)
		free(k[i].v);
	return r;
}

static int write_table(struct pl_cg_enforcer *e, uint32_t table, const struct pl_bpf_tables *t,
		       uint16_t *hooks, struct pl_diag *d)
{
	struct pl_cg_table tab;
	int r;

	*hooks = 0;
	for (size_t i = 0; i < t->n_rules; i++) {
		struct pl_cg_name_key k = { table, (uint32_t)i };
		struct pl_cg_rule_name v = {};

		snprintf(v.name, sizeof(v.name), "%s", t->rules[i]);
		if (bpf_map_update_elem(e->map_fd[M_NAMES], &k, &v, BPF_ANY) < 0)
			return sys_error(d, errno, "write rule name %zu", i);
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
			return sys_error(d, errno, "write socket rule %zu", i);
		*hooks |= PL_CG_HAS_SOCK;
	}
	r = write_egress(e, table, t, &tab, d);
	if (r < 0)
		return r;
	if (bpf_map_update_elem(e->map_fd[M_TABLES], &table, &tab, BPF_ANY) < 0)
		return sys_error(d, errno, "write table %u", table);
	if (tab.root4)
		*hooks |= PL_CG_HAS_EGRESS4;
	if (tab.root6)
		*hooks |= PL_CG_HAS_EGRESS6;
	for (size_t i = 0; i < t->n_sysctl; i++) {
		struct pl_cg_sysctl_key k = { .table = table };
		struct pl_cg_verdict v = { .rule = t->sysctl[i].rule,
					   .action = t->sysctl[i].action };

		snprintf(k.name, sizeof(k.name), "%s", t->sysctl[i].name);
		if (bpf_map_update_elem(e->map_fd[M_SYSCTL], &k, &v, BPF_ANY) < 0)
			return sys_error(d, errno, "write sysctl rule %zu", i);
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
			return sys_error(d, errno, "write device rule %zu", i);
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

/* Is table slot `table` one this process retired and has not released? */
static bool is_retired(const struct pl_cg_enforcer *e, uint32_t table)
{
	for (size_t i = 0; i < e->n_retired; i++)
		if (e->retired[i] == table)
			return true;
	return false;
}

/*
 * Release the rule sets this process replaced: one grace period for all of
 * them (so loading many policies costs one, not one each), then each slot
 * that is still inactive is purged, trie runs included. Under the lock.
 */
static int release_retired(struct pl_cg_enforcer *e, struct pl_diag *d)
{
	int r;

	if (!e->n_retired)
		return 0;
	r = grace_period(e);
	if (r < 0)
		return sys_error(d, r,
				 "wait for running programs before releasing %zu replaced "
				 "rule set(s)",
				 e->n_retired);
	for (size_t i = 0; i < e->n_retired; i++) {
		uint32_t table = e->retired[i];
		struct pl_cg_policy cur;

		/* written again since (by another process)? then it is live */
		if (read_policy(e, table / 2, &cur) == 0 && cur.present && cur.table == table)
			continue;
		r = purge_all(e, table, false); /* the wait was just done */
		if (r < 0)
			pl_warning(d, NULL, NULL, "clearing replaced rule set %u: %s", table,
				   strerror(-r));
	}
	e->n_retired = 0;
	return 0;
}

static int retire(struct pl_cg_enforcer *e, uint32_t table)
{
	if (is_retired(e, table))
		return 0;
	if (e->n_retired == e->cap_retired) {
		size_t cap = e->cap_retired ? 2 * e->cap_retired : 16;
		uint32_t *v = realloc(e->retired, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		e->retired = v;
		e->cap_retired = cap;
	}
	e->retired[e->n_retired++] = table;
	return 0;
}

/* Append `from`'s entries to `to` (and empty `from`). */
static void diag_splice(struct pl_diag *to, struct pl_diag *from)
{
	if (!to) {
		pl_diag_clear(from);
		return;
	}
	if (!from->head)
		return;
	if (to->tail)
		to->tail->next = from->head;
	else
		to->head = from->head;
	to->tail = from->tail;
	to->n_errors += from->n_errors;
	to->n_warnings += from->n_warnings;
	*from = (struct pl_diag){ 0 };
}

/* Write `t` into table slot `table` (cleared first). */
static int fill_table(struct pl_cg_enforcer *e, uint32_t table, const struct pl_bpf_tables *t,
		      uint16_t *hooks, struct pl_diag *d)
{
	int r = runs_load(e);

	if (r < 0)
		return sys_error(d, r, "read the tables in use");
	/* Empty when this process released it. Otherwise it may hold a rule
	 * set that another process replaced and has not released yet, or
	 * leftovers of an interrupted update: emptied after a grace period. */
	if (e->txn)
		e->txn->use_snap = true; /* `table` is not written in this transaction yet */
	r = purge_all(e, table, true);
	if (e->txn)
		e->txn->use_snap = false;
	if (r < 0)
		return sys_error(d, r, "clear table %u", table);
	r = write_table(e, table, t, hooks, d);
	if (r < 0)
		purge_all(e, table, false); /* never in force */
	return r;
}

static int set_policy(struct pl_cg_enforcer *e, uint32_t policy, const struct pl_bpf_tables *t,
		      struct pl_diag *d)
{
	struct pl_cg_policy cur, next = {};
	struct pl_diag first = { 0 };
	uint32_t table;
	int r;

	r = read_policy(e, policy, &cur);
	if (r < 0)
		return sys_error(d, r, "read policy %u", policy);
	table = 2 * policy;
	if (cur.present && cur.table == 2 * policy)
		table = 2 * policy + 1;
	if (is_retired(e, table)) {
		r = release_retired(e, d);
		if (r < 0)
			return r;
	}
	r = fill_table(e, table, t, &next.hooks, &first);
	if ((r == -ENOSPC || r == -E2BIG) && e->n_retired) {
		/* Full (trie runs: ENOSPC; a hash map: E2BIG): the rule sets
		 * replaced earlier go first. */
		pl_diag_clear(&first);
		r = release_retired(e, d);
		if (r == 0)
			r = fill_table(e, table, t, &next.hooks, &first);
	}
	diag_splice(d, &first);
	if (r < 0)
		return r;
	next.table = table;
	next.present = 1;
	next.mode = cur.present ? cur.mode : PL_CG_MODE_AS_WRITTEN;
	if (bpf_map_update_elem(e->map_fd[M_POLICIES], &policy, &next, BPF_ANY) < 0) {
		r = -errno;
		purge_all(e, table, false); /* never in force */
		return sys_error(d, r, "activate policy %u", policy);
	}
	/* The new rules are in force. The previous rule set may still be read
	 * by a program run that began before the switch: it is released by
	 * pl_enforcer_release (or close, or the next update that needs its
	 * slot or its space), after a grace period. Until then it keeps its
	 * runs. (Should the list fail to grow, the slot stays as it is until
	 * it is written next, after a grace period.) */
	if (cur.present && cur.table != table)
		(void)retire(e, cur.table);
	return 0;
}

int pl_enforcer_release(struct pl_cg_enforcer *e, struct pl_diag *d)
{
	int r;

	lock(e);
	r = release_retired(e, d);
	unlock(e);
	return r;
}

int pl_enforcer_set_policy(struct pl_cg_enforcer *e, uint32_t policy, const struct pl_bpf_tables *t,
			   struct pl_diag *d)
{
	int r = check_policy(policy, d);

	if (r < 0)
		return r;
	/* The programs first, so that a container can be registered at once. */
	if (!load_progs(e, policy, d, &r))
		return r;
	lock(e);
	r = set_policy(e, policy, t, d);
	unlock(e);
	return r;
}

/* ---- transactions ------------------------------------------------------- */

int pl_enforcer_txn_begin(struct pl_cg_enforcer *e, struct pl_enforcer_txn **ret, struct pl_diag *d)
{
	struct pl_enforcer_txn *t;

	if (e->txn)
		return pl_error(d, -EBUSY, NULL, NULL, "a transaction is already open");
	t = calloc(1, sizeof(*t));
	if (!t)
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	t->e = e;
	lock(e);
	e->txn = t;
	*ret = t;
	return 0;
}

/* Room for `n` more retired slots, so that retiring at commit cannot fail. */
static int retired_reserve(struct pl_cg_enforcer *e, size_t n)
{
	if (e->n_retired + n <= e->cap_retired)
		return 0;
	size_t cap = e->cap_retired ? e->cap_retired : 16;
	while (cap < e->n_retired + n)
		cap *= 2;
	uint32_t *v = realloc(e->retired, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	e->retired = v;
	e->cap_retired = cap;
	return 0;
}

int pl_enforcer_txn_stage(struct pl_enforcer_txn *t, uint32_t policy,
			  const struct pl_bpf_tables *tables, struct pl_diag *d)
{
	struct pl_cg_enforcer *e = t->e;
	struct pl_cg_policy cur;
	struct pl_diag first = { 0 };
	struct staged s = { .policy = policy };
	int r = check_policy(policy, d);

	if (r < 0)
		return r;
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].policy == policy)
			return pl_error(d, -EEXIST, NULL, NULL, "policy %u is staged twice",
					policy);
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct staged *v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
		t->v = v;
		t->cap = cap;
	}
	if (retired_reserve(e, t->n + 1) < 0)
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	if (!load_progs(e, policy, d, &r))
		return r;
	r = read_policy(e, policy, &cur);
	if (r < 0)
		return sys_error(d, r, "read policy %u", policy);
	s.table = 2 * policy;
	if (cur.present && cur.table == 2 * policy)
		s.table = 2 * policy + 1;
	if (is_retired(e, s.table)) {
		r = release_retired(e, d);
		if (r < 0)
			return r;
	}
	r = fill_table(e, s.table, tables, &s.next.hooks, &first);
	if ((r == -ENOSPC || r == -E2BIG) && e->n_retired) {
		pl_diag_clear(&first);
		/* the maps changed under the snapshot: read it again */
		for (size_t i = 0; i < M__MAX; i++)
			t->snap[i].n = 0;
		t->have_snap = false;
		r = release_retired(e, d);
		if (r == 0)
			r = fill_table(e, s.table, tables, &s.next.hooks, &first);
	}
	diag_splice(d, &first);
	if (r < 0)
		return r;
	r = FAULT("stage", policy);
	if (r < 0) {
		purge_all(e, s.table, false); /* never in force */
		return sys_error(d, r, "stage policy %u (injected)", policy);
	}
	s.next.table = s.table;
	s.next.present = 1;
	t->v[t->n++] = s;
	return 0;
}

static void txn_end(struct pl_enforcer_txn *t)
{
	t->e->txn = NULL;
	unlock(t->e);
	for (size_t i = 0; i < M__MAX; i++)
		free(t->snap[i].v);
	free(t->v);
	free(t);
}

void pl_enforcer_txn_abort(struct pl_enforcer_txn *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		(void)purge_all(t->e, t->v[i].table, false); /* never in force */
	txn_end(t);
}

int pl_enforcer_txn_commit(struct pl_enforcer_txn *t, struct pl_diag *d)
{
	struct pl_cg_enforcer *e = t->e;
	size_t i;
	int r = 0;

	for (i = 0; i < t->n && r == 0; i++) {
		struct staged *s = &t->v[i];

		r = FAULT("switch", s->policy);
		if (r == 0)
			r = read_policy(e, s->policy, &s->old);
		if (r < 0)
			break;
		s->next.mode = s->old.present ? s->old.mode : PL_CG_MODE_AS_WRITTEN;
		if (bpf_map_update_elem(e->map_fd[M_POLICIES], &s->policy, &s->next, BPF_ANY) < 0)
			r = -errno;
	}
	if (r < 0) {
		struct staged *s = &t->v[i];
		struct pl_diag x = { 0 };

		sys_error(d, r, "activate policy %u", s->policy);
		/* Back to the previous slots, intact until released. */
		while (i-- > 0) {
			struct pl_cg_policy none = { 0 };
			s = &t->v[i];
			if (bpf_map_update_elem(e->map_fd[M_POLICIES], &s->policy,
						s->old.present ? &s->old : &none, BPF_ANY) < 0)
				sys_error(d, errno,
					  "policy %u stays on its new rules: switching back",
					  s->policy);
		}
		/* A program run may have read a staged slot meanwhile. */
		for (i = 0; i < t->n; i++)
			if (purge_all(e, t->v[i].table, true) < 0)
				pl_warning(&x, NULL, NULL, "clearing staged rule set %u",
					   t->v[i].table);
		diag_splice(d, &x);
		txn_end(t);
		return r;
	}
	for (i = 0; i < t->n; i++)
		if (t->v[i].old.present && t->v[i].old.table != t->v[i].table)
			(void)retire(e, t->v[i].old.table); /* room reserved at stage */
	txn_end(t);
	return 0;
}

int pl_enforcer_remove_policy(struct pl_cg_enforcer *e, uint32_t policy, struct pl_diag *d)
{
	struct pl_cg_policy none = {};
	int r = check_policy(policy, d);

	if (r < 0)
		return r;
	lock(e);
	r = runs_load(e);
	if (r < 0) {
		unlock(e);
		return sys_error(d, r, "read the tables in use");
	}
	/* Able to wait before anything changes (see below). */
	r = grace_ready(e);
	if (r < 0) {
		unlock(e);
		return sys_error(d, r, "create the maps that wait for running programs");
	}
	if (bpf_map_update_elem(e->map_fd[M_POLICIES], &policy, &none, BPF_ANY) < 0) {
		r = sys_error(d, errno, "remove policy %u", policy);
		unlock(e);
		return r;
	}
	/* The policy's runs count as free from now on (runs_load skips absent
	 * policies): wait, still under the lock, for programs that read it
	 * before anyone reuses them. */
	r = grace_period(e);
	if (r < 0) {
		unlock(e);
		return sys_error(d, r, "wait for running programs after removing policy %u",
				 policy);
	}
	r = purge_all(e, 2 * policy, false); /* the wait was just done */
	if (r == 0)
		r = purge_all(e, 2 * policy + 1, false);
	for (size_t i = 0; i < e->n_retired;) {
		if (e->retired[i] / 2 == policy)
			e->retired[i] = e->retired[--e->n_retired];
		else
			i++;
	}
	unlock(e);
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
