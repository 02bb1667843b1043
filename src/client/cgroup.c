/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup v2 utilities (see cgroup.h): the mount point, the cgroup of a pid,
 * paths, ids, canonical resolution, open by id, level. The one copy used
 * by the CLI, plastrond, the cgroup-BPF loader and the tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "client/cgroup.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

int pld_cgroup_mount(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int r = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* id parent maj:min root mountpoint opts ... - fstype source superopts */
		char *sep = strstr(line, " - ");
		char *save = NULL, *tok;

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		tok = strtok_r(line, " ", &save);
		for (int i = 0; tok && i < 4; i++)
			tok = strtok_r(NULL, " ", &save);
		if (!tok)
			continue;
		r = (size_t)snprintf(buf, len, "%s", tok) >= len ? -ENAMETOOLONG : 0;
		break;
	}
	fclose(f);
	return r;
}

int pld_cgroup_of_pid(pid_t pid, char *buf, size_t len)
{
	char path[64], line[4096];
	int r = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		r = (size_t)snprintf(buf, len, "%s", line + 3) >= len ? -ENAMETOOLONG : 0;
		break;
	}
	fclose(f);
	return r;
}

int pld_cgroup_abs(const char *path, char *buf, size_t len)
{
	char mnt[256];
	int r;

	r = pld_cgroup_mount(mnt, sizeof(mnt));
	if (r < 0)
		return r;
	if (!strncmp(path, mnt, strlen(mnt)) &&
	    (path[strlen(mnt)] == '/' || path[strlen(mnt)] == 0))
		r = snprintf(buf, len, "%s", path);
	else
		r = snprintf(buf, len, "%s%s%s", mnt, path[0] == '/' ? "" : "/", path);
	return (size_t)r >= len ? -ENAMETOOLONG : 0;
}

int pld_cgroup_id(const char *path, uint64_t *ret)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh.handle_bytes = sizeof(uint64_t) };
	struct statfs sf;
	struct stat st;
	int mount_id;

	if (statfs(path, &sf) < 0)
		return -errno;
	if (sf.f_type != CGROUP2_SUPER_MAGIC)
		return -ENOTDIR;
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

int pld_cgroup_resolve(const char *path, char *rel, size_t rellen, uint64_t *id, char *err,
		       size_t errlen)
{
	char mnt[256], mnt_real[PATH_MAX], abs_path[PATH_MAX], real[PATH_MAX];
	struct stat st_root, st;
	size_t n;
	int r;

	r = pld_cgroup_mount(mnt, sizeof(mnt));
	if (r < 0) {
		snprintf(err, errlen, "no cgroup v2 mount");
		return r;
	}
	if (!realpath(mnt, mnt_real) || stat(mnt_real, &st_root) < 0) {
		r = -errno;
		snprintf(err, errlen, "cgroup v2 mount %s: %s", mnt, strerror(-r));
		return r;
	}
	r = pld_cgroup_abs(path, abs_path, sizeof(abs_path));
	if (r < 0) {
		snprintf(err, errlen, "cgroup %s: %s", path, strerror(-r));
		return r;
	}
	if (!realpath(abs_path, real)) {
		r = -errno;
		snprintf(err, errlen, "cgroup %s: %s", path, strerror(-r));
		return r;
	}
	n = strlen(mnt_real);
	if (!strcmp(real, mnt_real)) {
		snprintf(err, errlen,
			 "refusing the root cgroup (%s is %s): it holds the whole host",
			 path[0] ? path : "\"\"", real);
		return -EPERM;
	}
	if (strncmp(real, mnt_real, n) || real[n] != '/') {
		snprintf(err, errlen, "cgroup %s resolves to %s, outside the cgroup v2 mount %s",
			 path, real, mnt_real);
		return -EPERM;
	}
	r = pld_cgroup_id(real, id);
	if (r < 0) {
		snprintf(err, errlen, "cgroup %s: %s", real, strerror(-r));
		return r;
	}
	if (stat(real, &st) < 0) {
		r = -errno;
		snprintf(err, errlen, "cgroup %s: %s", real, strerror(-r));
		return r;
	}
	if (!S_ISDIR(st.st_mode) || st.st_dev != st_root.st_dev) {
		snprintf(err, errlen, "cgroup %s is not a directory of the cgroup v2 mount %s",
			 real, mnt_real);
		return -ENOTDIR;
	}
	if (st.st_ino == st_root.st_ino || *id == 1) {
		snprintf(err, errlen, "refusing the root cgroup (%s): it holds the whole host",
			 real);
		return -EPERM;
	}
	if ((size_t)snprintf(rel, rellen, "%s", real + n) >= rellen) {
		snprintf(err, errlen, "cgroup %s: path too long", real);
		return -ENAMETOOLONG;
	}
	return 0;
}

int pld_cgroup_open_id(uint64_t cgroup_id, int flags, char *mnt, size_t mlen)
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
	r = pld_cgroup_mount(mnt, mlen);
	if (r < 0)
		return r;
	mfd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return -errno;
	/* The handle type of this cgroup fs (kernfs), from its root. */
	errno = 0;
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

int pld_cgroup_level(uint64_t cgroup_id, uint32_t *ret)
{
	char mnt[PATH_MAX], link[64], path[PATH_MAX];
	int fd = pld_cgroup_open_id(cgroup_id, O_PATH, mnt, sizeof(mnt)), r;
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
