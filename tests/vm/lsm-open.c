/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The qemu tier's BPF-LSM file test (runs as root in the guest, static):
 * compiles a profile of file and exec patterns into the path automaton,
 * loads src/bpf/lsm-file.bpf.c for one cgroup v2, and has a child in that
 * cgroup try what the patterns deny and what they allow, through a
 * symlink, by exec, and through a path longer than PATH_MAX (which must
 * fail closed); the parent, outside the cgroup, is not affected. Prints
 * TAP.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "glob-maps.h"
#include "lsm-file.skel.h"
#include "plastron/catalog.h"
#include "plastron/glob.h"

static int n_case, n_failed;

static void tap(int ok, const char *what)
{
	printf("%sok %d - %s\n", ok ? "" : "not ", ++n_case, what);
	if (!ok)
		n_failed++;
}

/* 0 or the errno of opening `path` (relative to `dir`) with `flags`. */
static int try_open(int dir, const char *path, int flags)
{
	int fd = openat(dir, path, flags | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int try_exec(const char *path)
{
	pid_t p = fork();
	int st;
	if (p == 0) {
		execl(path, path, "true", (char *)NULL);
		_exit(errno == EPERM ? 100 : 101);
	}
	waitpid(p, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : WEXITSTATUS(st) == 100 ? EPERM : -1;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ns per open()+close() of an allowed path, best of 5 rounds of n, in a
 * child inside the cgroup when `cg` is given. */
static double open_cost(const char *cg, int n)
{
	int pfd[2];
	double best = 0;
	if (pipe(pfd) < 0)
		return -1;
	pid_t p = fork();
	if (p == 0) {
		char buf[32];
		snprintf(buf, sizeof(buf), "%d\n", getpid());
		int cfd = cg ? open(cg, O_WRONLY | O_CLOEXEC) : -1;
		if (cg && (cfd < 0 || write(cfd, buf, strlen(buf)) < 0))
			_exit(2);
		if (cfd >= 0)
			close(cfd);
		for (int round = 0; round < 5; round++) {
			double t0 = now_ns();
			for (int i = 0; i < n; i++)
				close(open("/usr/lib/allowed-file", O_RDONLY | O_CLOEXEC));
			double per = (now_ns() - t0) / n;
			if (round == 0 || per < best)
				best = per;
		}
		if (write(pfd[1], &best, sizeof(best)) < 0)
			_exit(3);
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], &best, sizeof(best)) != sizeof(best))
		best = -1;
	close(pfd[0]);
	waitpid(p, NULL, 0);
	return best;
}

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "we");
	if (f) {
		fputs(s, f);
		fclose(f);
	}
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC),
	    out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	ssize_t n;
	if (in < 0 || out < 0)
		return -1;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -1;
	close(in);
	close(out);
	return 0;
}

/* A directory chain deeper than PATH_MAX under /tmp; the fd of its last
 * directory, which holds "f". */
static int deep_dir(void)
{
	static const char comp[] =
	    "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd";
	int fd = open("/tmp", O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; fd >= 0 && i < 72; i++) { /* 72 * 65 > 4096 */
		mkdirat(fd, comp, 0755);
		int nfd = openat(fd, comp, O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = nfd;
	}
	if (fd >= 0)
		close(openat(fd, "f", O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	return fd;
}

int main(void)
{
	static const struct pl_glob_rule rules[] = {
		{ "/etc/shadow", PL_PERM_READ | PL_PERM_WRITE | PL_PERM_APPEND, 0, 0 },
		{ "/**/.ssh/**", PL_PERM_READ | PL_PERM_WRITE | PL_PERM_APPEND, 0, 1 },
		{ "/**/sh2", PL_PERM_EXEC, 0, 2 },
		{ "/tmp/dir/*.key", PL_PERM_READ, 0, 3 },
		{ "/etc/audited", 0, PL_PERM_READ, 4 },
		{ "/etc/append-only", PL_PERM_WRITE, 0, 5 },
	};
	const char *cg = "/sys/fs/cgroup/plastron-lsm";
	struct pl_glob_dfa *dfa = NULL;
	struct pl_glob_flat *flat = NULL;
	struct pl_lsm_file *skel = NULL;
	struct pl_diag d = { 0 };
	struct stat st;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	mkdir("/root", 0700);
	mkdir("/root/.ssh", 0700);
	write_file("/root/.ssh/id_rsa", "key\n");
	mkdir("/root/.sshx", 0700);
	write_file("/root/.sshx/id", "not a key dir\n");
	mkdir("/tmp/dir", 0755);
	mkdir("/tmp/dir/sub", 0755);
	write_file("/tmp/dir/a.key", "k\n");
	write_file("/tmp/dir/sub/a.key", "k\n");
	write_file("/etc/audited", "a\n");
	write_file("/etc/append-only", "a\n");
	symlink("/etc/shadow", "/tmp/link-to-shadow");
	copy_file("/bin/busybox", "/bin/sh2");
	int deep = deep_dir();

	r = pl_glob_compile(rules, sizeof(rules) / sizeof(rules[0]), NULL, &dfa, &d);
	tap(r == 0, "compile the profile's patterns");
	r = r == 0 ? pl_glob_flatten(dfa, &flat, &d) : r;
	if (mkdir(cg, 0755) < 0 && errno != EEXIST)
		r = -errno;
	tap(r == 0 && stat(cg, &st) == 0, "a cgroup v2 for the confined child");
	skel = pl_lsm_file__open();
	if (!skel || r < 0)
		goto out;
	skel->rodata->pl_target_cgroup = st.st_ino;
	skel->rodata->pl_target_level = 1; /* /sys/fs/cgroup/plastron-lsm */
	r = pl_glob_maps_size(skel->obj, flat);
	if (r == 0)
		r = pl_lsm_file__load(skel);
	tap(r == 0, "lsm/file_open loads (BPF-LSM active, bpf_d_path allowed)");
	if (r == 0)
		r = pl_glob_maps_fill(skel->obj, flat);
	if (r == 0)
		r = pl_lsm_file__attach(skel);
	tap(r == 0, "its tables are filled and it attaches");
	if (r < 0)
		goto out;

	int pfd[2];
	if (pipe(pfd) < 0)
		goto out;
	pid_t child = fork();
	if (child == 0) {
		char buf[32];
		int res[20], k = 0;
		snprintf(buf, sizeof(buf), "%d\n", getpid());
		close(pfd[0]);
		int cfd = open("/sys/fs/cgroup/plastron-lsm/cgroup.procs", O_WRONLY | O_CLOEXEC);
		if (cfd < 0 || write(cfd, buf, strlen(buf)) < 0)
			_exit(2);
		close(cfd);
		res[k++] = try_open(AT_FDCWD, "/etc/shadow", O_RDONLY);
		res[k++] = try_open(AT_FDCWD, "/etc/shadow", O_WRONLY);
		res[k++] = try_open(AT_FDCWD, "/etc/hostname", O_RDONLY);
		res[k++] = try_open(AT_FDCWD, "/tmp/link-to-shadow", O_RDONLY);
		res[k++] = try_open(AT_FDCWD, "/root/.ssh/id_rsa", O_RDONLY);
		res[k++] = try_open(AT_FDCWD, "/root/.sshx/id", O_RDONLY);
		res[k++] = try_open(AT_FDCWD, "/tmp/dir/a.key", O_RDONLY);
		res[k++] = try_open(AT_FDCWD, "/tmp/dir/sub/a.key", O_RDONLY);
		res[k++] = try_open(AT_FDCWD, "/etc/audited", O_RDONLY);
		res[k++] = try_open(AT_FDCWD, "/etc/append-only", O_WRONLY | O_APPEND);
		res[k++] = try_open(AT_FDCWD, "/etc/append-only", O_WRONLY);
		res[k++] = try_exec("/bin/sh2");
		res[k++] = try_exec("/bin/busybox");
		res[k++] = deep >= 0 ? try_open(deep, "f", O_RDONLY) : -1;
		res[k++] = try_open(AT_FDCWD, "/etc/append-only", O_RDONLY | O_TRUNC);
		/* a child cgroup of its own: still confined */
		mkdir("/sys/fs/cgroup/plastron-lsm/sub", 0755);
		cfd = open("/sys/fs/cgroup/plastron-lsm/sub/cgroup.procs", O_WRONLY | O_CLOEXEC);
		if (cfd < 0 || write(cfd, buf, strlen(buf)) < 0)
			res[k++] = -2;
		else
			res[k++] = try_open(AT_FDCWD, "/etc/shadow", O_RDONLY);
		if (cfd >= 0)
			close(cfd);
		if (write(pfd[1], res, sizeof(res[0]) * (size_t)k) < 0)
			_exit(3);
		_exit(0);
	}
	close(pfd[1]);
	int res[20] = { 0 }, st2;
	ssize_t got = read(pfd[0], res, sizeof(res));
	waitpid(child, &st2, 0);
	tap(got == 16 * (ssize_t)sizeof(int), "the confined child ran every case");
	tap(res[0] == EPERM, "confined: read /etc/shadow -> EPERM");
	tap(res[1] == EPERM, "confined: write /etc/shadow -> EPERM");
	tap(res[2] == 0, "confined: read /etc/hostname works");
	tap(res[3] == EPERM, "confined: read /etc/shadow through a symlink -> EPERM");
	tap(res[4] == EPERM, "confined: read /root/.ssh/id_rsa -> EPERM (/**/.ssh/**)");
	tap(res[5] == 0, "confined: read /root/.sshx/id works (no prefix match)");
	tap(res[6] == EPERM, "confined: read /tmp/dir/a.key -> EPERM (/tmp/dir/*.key)");
	tap(res[7] == 0, "confined: read /tmp/dir/sub/a.key works ('*' stops at '/')");
	tap(res[8] == 0, "confined: read /etc/audited works (audit only)");
	tap(res[9] == 0, "confined: append to /etc/append-only works (write denied, append not)");
	tap(res[10] == EPERM, "confined: write /etc/append-only -> EPERM");
	tap(res[11] == EPERM, "confined: exec /bin/sh2 -> EPERM (/**/sh2 exec)");
	tap(res[12] == 0, "confined: exec /bin/busybox works");
	tap(res[13] == EPERM, "confined: a path longer than PATH_MAX fails closed -> EPERM");
	tap(res[14] == EPERM, "confined: O_RDONLY|O_TRUNC of a write-denied file -> EPERM");
	tap(res[15] == EPERM, "confined, moved to a child cgroup: read /etc/shadow -> EPERM");
	tap(try_open(AT_FDCWD, "/etc/shadow", O_RDONLY) == 0,
	    "outside the cgroup: read /etc/shadow works");
	{
		__u64 c[5] = { 0 };
		for (__u32 i = 0; i < 5; i++)
			bpf_map_lookup_elem(bpf_map__fd(skel->maps.lsm_counters), &i, &c[i]);
		printf(
		    "# counters: seen %llu denied %llu audited %llu unresolved %llu raced %llu\n",
		    (unsigned long long)c[0], (unsigned long long)c[1], (unsigned long long)c[2],
		    (unsigned long long)c[3], (unsigned long long)c[4]);
		tap(c[1] >= 7 && c[2] >= 1 && c[3] >= 1,
		    "counters: denials, the audited read and the unresolved path counted");
	}
	/* open()+close() of an allowed path: no program, then 4,096 patterns
	 * (issue 10's target: within 5 %), in this one guest run */
	{
		static char pats[4096][64];
		static struct pl_glob_rule big[4096];
		struct pl_glob_dfa *bd = NULL;
		struct pl_glob_flat *bf = NULL;
		struct pl_lsm_file *bs = NULL;
		mkdir("/usr", 0755);
		mkdir("/usr/lib", 0755);
		write_file("/usr/lib/allowed-file", "x\n");
		pl_lsm_file__destroy(skel); /* the first profile's program goes */
		skel = NULL;
		double none = open_cost("/sys/fs/cgroup/plastron-lsm/cgroup.procs", 20000);
		for (int i = 0; i < 4096; i++) {
			switch (i % 4) {
			case 0:
				snprintf(pats[i], sizeof(pats[i]), "/var/lib/app%d/**", i);
				break;
			case 1:
				snprintf(pats[i], sizeof(pats[i]), "/**/tool%d", i);
				break;
			case 2:
				snprintf(pats[i], sizeof(pats[i]), "/etc/svc%d/*.conf", i);
				break;
			default:
				snprintf(pats[i], sizeof(pats[i]), "/usr/lib/x%d/*", i);
				break;
			}
			big[i] = (struct pl_glob_rule){ pats[i], PL_PERM_READ, 0, (uint32_t)i };
		}
		static const size_t sizes[] = { 8, 4096 };
		double with[2] = { -1, -1 };
		uint32_t states[2] = { 0, 0 };
		int rb = 0;
		for (int z = 0; z < 2 && rb == 0; z++) {
			rb = pl_glob_compile(big, sizes[z], NULL, &bd, &d);
			if (rb == 0)
				rb = pl_glob_flatten(bd, &bf, &d);
			bs = rb == 0 ? pl_lsm_file__open() : NULL;
			rb = bs ? rb : -1;
			if (rb == 0) {
				bs->rodata->pl_target_cgroup = st.st_ino;
				bs->rodata->pl_target_level = 1;
				rb = pl_glob_maps_size(bs->obj, bf);
			}
			if (rb == 0)
				rb = pl_lsm_file__load(bs);
			if (rb == 0)
				rb = pl_glob_maps_fill(bs->obj, bf);
			if (rb == 0)
				rb = pl_lsm_file__attach(bs);
			if (rb == 0)
				with[z] =
				    open_cost("/sys/fs/cgroup/plastron-lsm/cgroup.procs", 20000);
			states[z] = bd ? bd->n_states : 0;
			pl_lsm_file__destroy(bs);
			pl_glob_flat_free(bf);
			pl_glob_free(bd);
			bs = NULL;
			bf = NULL;
			bd = NULL;
		}
		printf("# open+close of an allowed path: %.0f ns without a program, %.0f ns with 8 "
		       "patterns (%u states, %.3fx), %.0f ns with 4,096 (%u states, %.3fx); 4,096 "
		       "against 8: %.3fx (emulated guest: ratios only)\n",
		       none, with[0], states[0], with[0] / none, with[1], states[1], with[1] / none,
		       with[1] / with[0]);
		tap(rb == 0 && none > 0 && with[0] > 0 && with[1] > 0,
		    "open+close timed without a program, with 8 and with 4,096 patterns");
	}
out:
	if (d.head)
		printf("# %s\n", d.head->message);
	pl_lsm_file__destroy(skel);
	pl_glob_flat_free(flat);
	pl_glob_free(dfa);
	printf("1..%d\n", n_case);
	return n_failed ? 1 : 0;
}
