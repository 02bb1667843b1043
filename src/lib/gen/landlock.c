/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Landlock: spec.plastron.landlock → a ruleset for the running kernel's ABI.
 *
 *  - filesystem: when the policy lists any path, every right the ABI knows
 *    is handled, so whatever the list does not grant is denied. Rights that
 *    only make sense on directories are masked out for a path that is a
 *    file (the kernel would reject the rule). A path that does not exist is
 *    an error: an allow-list entry that matches nothing is almost always a
 *    typo, and the kernel cannot add a rule for it anyway. The deferred
 *    variant (for containers) checks nothing here: the paths are the
 *    container's, opened (and masked by type) when the ruleset is created
 *    inside it.
 *  - network (ABI >= 4): when a network list is given, bind and connect on
 *    TCP are both handled; only the listed ports are allowed.
 *  - scopes (ABI >= 6): abstract unix sockets and signals.
 * Features the ABI lacks are dropped with one warning each, never silently.
 *
 * Debian 12's uapi header is from 6.1 (ABI 2): everything newer is defined
 * here.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "plastron/enforce.h"
#include "plastron/gen.h"
#include "shared/macro.h"

#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#define PL_LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#define PL_LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#define PL_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define PL_LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#define PL_LANDLOCK_RULE_NET_PORT 2
#define PL_LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON (1U << 1)

/* struct landlock_ruleset_attr of ABI >= 6. */
struct pl_landlock_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

struct pl_landlock_net_port_attr {
	uint64_t allowed_access;
	uint64_t port;
};

static const struct {
	uint64_t bit;
	const char *name;
	int abi;
	bool dir_only;
} fs_rights[] = {
	{ LANDLOCK_ACCESS_FS_EXECUTE, "execute", 1, false },
	{ LANDLOCK_ACCESS_FS_WRITE_FILE, "write_file", 1, false },
	{ LANDLOCK_ACCESS_FS_READ_FILE, "read_file", 1, false },
	{ LANDLOCK_ACCESS_FS_READ_DIR, "read_dir", 1, true },
	{ LANDLOCK_ACCESS_FS_REMOVE_DIR, "remove_dir", 1, true },
	{ LANDLOCK_ACCESS_FS_REMOVE_FILE, "remove_file", 1, true },
	{ LANDLOCK_ACCESS_FS_MAKE_CHAR, "make_char", 1, true },
	{ LANDLOCK_ACCESS_FS_MAKE_DIR, "make_dir", 1, true },
	{ LANDLOCK_ACCESS_FS_MAKE_REG, "make_reg", 1, true },
	{ LANDLOCK_ACCESS_FS_MAKE_SOCK, "make_sock", 1, true },
	{ LANDLOCK_ACCESS_FS_MAKE_FIFO, "make_fifo", 1, true },
	{ LANDLOCK_ACCESS_FS_MAKE_BLOCK, "make_block", 1, true },
	{ LANDLOCK_ACCESS_FS_MAKE_SYM, "make_sym", 1, true },
	{ LANDLOCK_ACCESS_FS_REFER, "refer", 2, true },
	{ LANDLOCK_ACCESS_FS_TRUNCATE, "truncate", 3, false },
	{ LANDLOCK_ACCESS_FS_IOCTL_DEV, "ioctl_dev", 5, false },
};

PL_EXPORT const char *pl_ll_fs_right_name(unsigned bit)
{
	for (size_t i = 0; i < PL_ARRAY_SIZE(fs_rights); i++)
		if (fs_rights[i].bit == 1ULL << bit)
			return fs_rights[i].name;
	return NULL;
}

static uint64_t fs_rights_for_abi(int abi, bool dir)
{
	uint64_t m = 0;
	for (size_t i = 0; i < PL_ARRAY_SIZE(fs_rights); i++)
		if (fs_rights[i].abi <= abi && (dir || !fs_rights[i].dir_only))
			m |= fs_rights[i].bit;
	return m;
}

static void rights_text(uint64_t m, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < PL_ARRAY_SIZE(fs_rights); i++) {
		if (!(m & fs_rights[i].bit))
			continue;
		int n = snprintf(buf + o, len - o, "%s%s", o ? "," : "", fs_rights[i].name);
		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
}

static void ports_text(const uint16_t *ports, size_t n, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(buf + o, len - o, "%s%u", i ? ", " : "", ports[i]);
		if (k < 0 || (size_t)k >= len - o)
			break;
		o += (size_t)k;
	}
}

PL_EXPORT int pl_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	return abi < 0 ? 0 : (int)abi;
}

PL_EXPORT void pl_ll_ruleset_free(struct pl_ll_ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n_rules; i++)
		free(rs->rules[i].path);
	free(rs->rules);
	free(rs->bind_tcp);
	free(rs->connect_tcp);
	free(rs);
}

static int copy_ports(uint16_t **dst, size_t *n_dst, const uint16_t *src, size_t n)
{
	if (!n)
		return 0;
	*dst = calloc(n, sizeof(**dst));
	if (!*dst)
		return -ENOMEM;
	memcpy(*dst, src, n * sizeof(*src));
	*n_dst = n;
	return 0;
}

/* check_paths: stat each path here (plastron run: the paths are this
 * process's); otherwise the rule keeps every right of the list and
 * pl_ll_ruleset_create_fd() masks directory-only rights when it opens the
 * path (inside a container, its own root filesystem). */
static int gen_landlock(const struct pl_policy *p, int abi, bool check_paths,
			struct pl_ll_ruleset **ret, struct pl_diag *d)
{
	const struct pl_landlock *ll;
	struct pl_ll_ruleset *rs;
	char text[512];
	int r = 0;

	if (!p || !ret)
		return pl_error(d, -EINVAL, NULL, NULL, "pl_gen_landlock: invalid argument");
	ll = &p->landlock;
	rs = calloc(1, sizeof(*rs));
	if (!rs)
		return pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
	rs->abi = abi;
	if (!ll->present) {
		rs->empty = true;
		*ret = rs;
		return 0;
	}

	/* filesystem */
	if (ll->n_paths) {
		if (abi < 1) {
			rs->n_degraded++;
			pl_warning(d, &ll->pos, "spec.plastron.landlock.filesystem",
				   "Landlock is not available on this kernel: filesystem "
				   "allow-list (%zu paths) not enforced",
				   ll->n_paths);
		} else {
			rs->handled_fs = fs_rights_for_abi(abi, true);
			rs->rules = calloc(ll->n_paths, sizeof(*rs->rules));
			if (!rs->rules) {
				r = pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
				goto fail;
			}
		}
	}
	for (size_t i = 0; abi >= 1 && i < ll->n_paths; i++) {
		const struct pl_ll_path *lp = &ll->paths[i];
		uint64_t want = lp->access, lost, masked;
		struct stat st = { .st_mode = S_IFDIR };
		bool dir;

		if (check_paths && stat(lp->path, &st) < 0) {
			r = pl_error(d, -errno, &lp->pos, "spec.plastron.landlock.filesystem.path",
				     "cannot use '%s' in a Landlock rule: %s", lp->path,
				     strerror(errno));
			continue;
		}
		dir = S_ISDIR(st.st_mode);
		lost = want & ~fs_rights_for_abi(abi, true);
		if (lost) {
			rights_text(lost, text, sizeof(text));
			/* A right the kernel does not know is not restricted either,
			 * so granting it changes nothing: a note, not a warning. */
			pl_note(d, &lp->pos, "spec.plastron.landlock.filesystem.access",
				"Landlock ABI %d lacks %s: not handled, so '%s' keeps it anyway",
				abi, text, lp->path);
		}
		masked = want & fs_rights_for_abi(abi, true) & ~fs_rights_for_abi(abi, dir);
		if (masked && check_paths) {
			rights_text(masked, text, sizeof(text));
			pl_note(d, &lp->pos, "spec.plastron.landlock.filesystem.access",
				"'%s' is not a directory: %s dropped (directory-only rights)",
				lp->path, text);
		}
		rs->rules[rs->n_rules].path = strdup(lp->path);
		if (!rs->rules[rs->n_rules].path) {
			r = pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
			goto fail;
		}
		rs->rules[rs->n_rules].access = want & fs_rights_for_abi(abi, dir);
		rs->n_rules++;
	}
	if (r < 0)
		goto fail;

	/* network */
	if (ll->restrict_net) {
		if (abi < 4) {
			if (!ll->n_bind_tcp && !ll->n_connect_tcp) {
				rs->n_degraded++;
				pl_warning(d, &ll->pos, "spec.plastron.landlock.network",
					   "Landlock ABI %d lacks network rules: TCP bind/connect "
					   "deny-all not enforced",
					   abi);
			}
			if (ll->n_bind_tcp) {
				ports_text(ll->bind_tcp, ll->n_bind_tcp, text, sizeof(text));
				rs->n_degraded++;
				pl_warning(d, &ll->pos, "spec.plastron.landlock.network.bindTCP",
					   "Landlock ABI %d lacks network rules: bindTCP [%s] not "
					   "enforced",
					   abi, text);
			}
			if (ll->n_connect_tcp) {
				ports_text(ll->connect_tcp, ll->n_connect_tcp, text, sizeof(text));
				rs->n_degraded++;
				pl_warning(
				    d, &ll->pos, "spec.plastron.landlock.network.connectTCP",
				    "Landlock ABI %d lacks network rules: connectTCP [%s] not "
				    "enforced",
				    abi, text);
			}
		} else {
			rs->handled_net =
			    PL_LANDLOCK_ACCESS_NET_BIND_TCP | PL_LANDLOCK_ACCESS_NET_CONNECT_TCP;
			if (copy_ports(&rs->bind_tcp, &rs->n_bind_tcp, ll->bind_tcp,
				       ll->n_bind_tcp) < 0 ||
			    copy_ports(&rs->connect_tcp, &rs->n_connect_tcp, ll->connect_tcp,
				       ll->n_connect_tcp) < 0) {
				r = pl_error(d, -ENOMEM, NULL, NULL, "out of memory");
				goto fail;
			}
		}
	}

	/* scopes */
	if (ll->scope_abstract_unix) {
		if (abi < 6) {
			rs->n_degraded++;
			pl_warning(d, &ll->pos, "spec.plastron.landlock.scopes",
				   "Landlock ABI %d lacks scopes: abstractUnixSocket not enforced",
				   abi);
		} else
			rs->scoped |= PL_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET;
	}
	if (ll->scope_signal) {
		if (abi < 6) {
			rs->n_degraded++;
			pl_warning(d, &ll->pos, "spec.plastron.landlock.scopes",
				   "Landlock ABI %d lacks scopes: signal not enforced", abi);
		} else
			rs->scoped |= PL_LANDLOCK_SCOPE_SIGNAL;
	}
	rs->empty = !rs->handled_fs && !rs->handled_net && !rs->scoped;
	*ret = rs;
	return 0;
fail:
	pl_ll_ruleset_free(rs);
	return r;
}

PL_EXPORT int pl_gen_landlock(const struct pl_policy *p, int abi, struct pl_ll_ruleset **ret,
			      struct pl_diag *d)
{
	return gen_landlock(p, abi, true, ret, d);
}

PL_EXPORT int pl_gen_landlock_deferred(const struct pl_policy *p, int abi,
				       struct pl_ll_ruleset **ret, struct pl_diag *d)
{
	return gen_landlock(p, abi, false, ret, d);
}

PL_EXPORT int pl_ll_ruleset_dump(const struct pl_ll_ruleset *rs, FILE *out)
{
	char text[512];

	if (!rs || !out)
		return -EINVAL;
	fprintf(out, "landlock abi %d\n", rs->abi);
	if (rs->empty) {
		fputs("  nothing to restrict\n", out);
		return 0;
	}
	rights_text(rs->handled_fs, text, sizeof(text));
	fprintf(out, "  handled fs: %s\n", rs->handled_fs ? text : "none");
	fprintf(out, "  handled net: %s\n", rs->handled_net ? "bind_tcp,connect_tcp" : "none");
	fprintf(out, "  scoped: %s%s%s\n", rs->scoped ? "" : "none",
		rs->scoped & PL_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET ? "abstract_unix_socket" : "",
		(rs->scoped & PL_LANDLOCK_SCOPE_SIGNAL)
		    ? (rs->scoped & PL_LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET ? ",signal" : "signal")
		    : "");
	for (size_t i = 0; i < rs->n_rules; i++) {
		rights_text(rs->rules[i].access, text, sizeof(text));
		fprintf(out, "  allow %s: %s\n", rs->rules[i].path, text);
	}
	if (rs->handled_net) {
		ports_text(rs->bind_tcp, rs->n_bind_tcp, text, sizeof(text));
		fprintf(out, "  allow bind tcp: %s\n", rs->n_bind_tcp ? text : "none");
		ports_text(rs->connect_tcp, rs->n_connect_tcp, text, sizeof(text));
		fprintf(out, "  allow connect tcp: %s\n", rs->n_connect_tcp ? text : "none");
	}
	return ferror(out) ? -EIO : 0;
}

static int add_port(int fd, uint64_t access, uint16_t port, struct pl_diag *d)
{
	struct pl_landlock_net_port_attr pa = { .allowed_access = access, .port = port };
	if (syscall(SYS_landlock_add_rule, fd, PL_LANDLOCK_RULE_NET_PORT, &pa, 0) < 0)
		return pl_error(d, -errno, NULL, "spec.plastron.landlock.network",
				"Landlock rule for TCP port %u: %s", port, strerror(errno));
	return 0;
}

PL_EXPORT int pl_ll_ruleset_create_fd(const struct pl_ll_ruleset *rs, struct pl_diag *d)
{
	struct pl_landlock_ruleset_attr attr = {
		.handled_access_fs = rs->handled_fs,
		.handled_access_net = rs->handled_net,
		.scoped = rs->scoped,
	};
	/* Older kernels reject a larger struct with non-zero unknown fields;
	 * pass only what the ABI knows. */
	size_t size = rs->abi >= 6 ? sizeof(attr) : rs->abi >= 4 ? 16 : 8;
	int fd, r;

	if (rs->empty)
		return pl_error(d, -EINVAL, NULL, NULL, "Landlock ruleset is empty");
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (fd < 0)
		return pl_error(d, -errno, NULL, NULL, "landlock_create_ruleset: %s",
				strerror(errno));
	for (size_t i = 0; i < rs->n_rules; i++) {
		struct landlock_path_beneath_attr pb = { .allowed_access = rs->rules[i].access };
		_cleanup_close_ int pfd = open(rs->rules[i].path, O_PATH | O_CLOEXEC);

		if (pfd < 0) {
			r = pl_error(d, -errno, NULL, "spec.plastron.landlock.filesystem",
				     "cannot open '%s' for a Landlock rule: %s", rs->rules[i].path,
				     strerror(errno));
			close(fd);
			return r;
		}
		pb.parent_fd = pfd;
		/* Directory-only rights on a file (a deferred ruleset names paths
		 * only seen here): the kernel would reject the rule. */
		struct stat st;
		if (fstat(pfd, &st) == 0 && !S_ISDIR(st.st_mode))
			pb.allowed_access &= fs_rights_for_abi(rs->abi, false);
		if (!pb.allowed_access)
			continue; /* nothing granted: the path is simply denied */
		if (syscall(SYS_landlock_add_rule, fd, LANDLOCK_RULE_PATH_BENEATH, &pb, 0) < 0) {
			r = pl_error(d, -errno, NULL, "spec.plastron.landlock.filesystem",
				     "Landlock rule for '%s': %s", rs->rules[i].path,
				     strerror(errno));
			close(fd);
			return r;
		}
	}
	for (size_t i = 0; i < rs->n_bind_tcp; i++) {
		r = add_port(fd, PL_LANDLOCK_ACCESS_NET_BIND_TCP, rs->bind_tcp[i], d);
		if (r < 0) {
			close(fd);
			return r;
		}
	}
	for (size_t i = 0; i < rs->n_connect_tcp; i++) {
		r = add_port(fd, PL_LANDLOCK_ACCESS_NET_CONNECT_TCP, rs->connect_tcp[i], d);
		if (r < 0) {
			close(fd);
			return r;
		}
	}
	return fd;
}

PL_EXPORT int pl_ll_restrict_self(int ruleset_fd, int abi)
{
	uint32_t flags = abi >= 7 ? PL_LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON : 0;
	if (syscall(SYS_landlock_restrict_self, ruleset_fd, flags) < 0)
		return -errno;
	return 0;
}

PL_EXPORT int pl_ll_ruleset_apply(const struct pl_ll_ruleset *rs, struct pl_diag *d)
{
	int fd, r;

	if (!rs)
		return pl_error(d, -EINVAL, NULL, NULL, "pl_ll_ruleset_apply: invalid argument");
	if (rs->empty)
		return 0;
	fd = pl_ll_ruleset_create_fd(rs, d);
	if (fd < 0)
		return fd;
	r = pl_ll_restrict_self(fd, rs->abi);
	close(fd);
	if (r < 0)
		return pl_error(d, r, NULL, NULL, "landlock_restrict_self: %s", strerror(-r));
	return 0;
}
