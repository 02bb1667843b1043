/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Landlock: spec.plastron.landlock → a ruleset for a given ABI (the running
 * kernel's, probed by pl_landlock_abi() in the apply layer, which also
 * creates and applies the ruleset: src/lib/apply/landlock.c).
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
 * The kernel's constants, and those newer than Debian 12's uapi header, are
 * in landlock-internal.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "landlock-internal.h"
#include "plastron/gen.h"
#include "shared/macro.h"

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

uint64_t ll_fs_rights_for_abi(int abi, bool dir)
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
			rs->handled_fs = ll_fs_rights_for_abi(abi, true);
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
		lost = want & ~ll_fs_rights_for_abi(abi, true);
		if (lost) {
			rights_text(lost, text, sizeof(text));
			/* A right the kernel does not know is not restricted either,
			 * so granting it changes nothing: a note, not a warning. */
			pl_note(d, &lp->pos, "spec.plastron.landlock.filesystem.access",
				"Landlock ABI %d lacks %s: not handled, so '%s' keeps it anyway",
				abi, text, lp->path);
		}
		masked = want & ll_fs_rights_for_abi(abi, true) & ~ll_fs_rights_for_abi(abi, dir);
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
		rs->rules[rs->n_rules].access = want & ll_fs_rights_for_abi(abi, dir);
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
