/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Landlock generator and application on this kernel: generation per ABI
 * (handled rights, file masking, explicit degradation warnings), then a
 * forked child under the ruleset: reads outside the allow-list and writes
 * into a read-only path fail with EACCES, connect to a port not listed
 * fails while a listed port connects (127.0.0.1 listeners made here).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plastron/apply.h"
#include "plastron/gen.h"
#include "tap.h"

static char root[64];

static bool diag_has(const struct pl_diag *d, enum pl_severity sev, const char *needle)
{
	for (const struct pl_diag_entry *e = d->head; e; e = e->next)
		if (e->severity == sev && e->message && strstr(e->message, needle))
			return true;
	return false;
}

static char *dump(const struct pl_ll_ruleset *rs)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	pl_ll_ruleset_dump(rs, f);
	fclose(f);
	return buf;
}

static int listener(uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	*port = ntohs(sa.sin_port);
	return fd;
}

static int try_connect(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				  .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), r;
	if (fd < 0)
		return -errno;
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int try_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* Child results, one errno-ish value per check, sent through a pipe. */
enum { R_READ_ALLOWED, R_READ_OUTSIDE, R_WRITE_RO, R_WRITE_RW, R_CONN_OK, R_CONN_DENIED, R__N };

int main(void)
{
	int abi = pl_landlock_abi();
	char ro[96], rw[96], file[96], outside[96], missing[96];
	struct pl_ll_path paths[3];
	struct pl_policy p = { 0 };
	struct pl_ll_ruleset *rs = NULL;
	struct pl_diag d = { 0 };
	uint16_t ok_port = 0, bad_port = 0, connect_ports[1];
	int lok, lbad, r;

	if (abi < 1) {
		TAP_SKIP("Landlock is not available on this kernel", "landlock");
		return tap_done();
	}
	snprintf(root, sizeof(root), "/tmp/plastron-ll-XXXXXX");
	if (!mkdtemp(root))
		return 1;
	snprintf(ro, sizeof(ro), "%s/ro", root);
	snprintf(rw, sizeof(rw), "%s/rw", root);
	snprintf(file, sizeof(file), "%s/ro/f", root);
	snprintf(outside, sizeof(outside), "%s/outside", root);
	snprintf(missing, sizeof(missing), "%s/nope", root);
	mkdir(ro, 0755);
	mkdir(rw, 0755);
	close(open(file, O_CREAT | O_WRONLY, 0644));
	close(open(outside, O_CREAT | O_WRONLY, 0644));

	lok = listener(&ok_port);
	lbad = listener(&bad_port);
	connect_ports[0] = ok_port;

	/* ---- generation ---- */
	paths[0] = (struct pl_ll_path){ .path = ro, .access = PL_LL_READ_FILE | PL_LL_READ_DIR };
	paths[1] = (struct pl_ll_path){ .path = rw,
					.access = PL_LL_READ_FILE | PL_LL_READ_DIR |
						  PL_LL_WRITE_FILE | PL_LL_MAKE_REG };
	paths[2] =
	    (struct pl_ll_path){ .path = file,
				 .access = PL_LL_READ_FILE | PL_LL_READ_DIR | PL_LL_MAKE_DIR };
	p.landlock.present = true;
	p.landlock.paths = paths;
	p.landlock.n_paths = 3;
	p.landlock.restrict_net = true;
	p.landlock.connect_tcp = connect_ports;
	p.landlock.n_connect_tcp = 1;

	r = pl_gen_landlock(&p, abi, &rs, &d);
	TAP_OK(r == 0 && rs && !rs->empty, "generate for ABI %d", abi);
	if (r < 0)
		return tap_done();
	TAP_OK(rs->handled_fs & (1ULL << 0) && rs->handled_fs & (1ULL << 12),
	       "every filesystem right of ABI %d is handled (0x%llx)", abi,
	       (unsigned long long)rs->handled_fs);
	TAP_OK(abi < 3 || (rs->handled_fs & (1ULL << 14)), "truncate handled on ABI >= 3");
	TAP_OK(rs->n_rules == 3 && rs->rules[2].access == (1ULL << 2),
	       "a file keeps read_file only (read_dir, make_dir masked): 0x%llx",
	       rs->n_rules == 3 ? (unsigned long long)rs->rules[2].access : 0ULL);
	TAP_OK(diag_has(&d, PL_SEV_NOTE, "not a directory"), "masking is reported as a note");
	TAP_OK(abi < 4 || (rs->handled_net == 3 && rs->n_connect_tcp == 1),
	       "network handled with one connect port");
	{
		char *a = dump(rs), *b = dump(rs);
		TAP_OK(a && b && !strcmp(a, b) && strstr(a, "allow connect tcp: ") &&
			   strstr(a, "handled fs: execute,write_file,read_file"),
		       "dump is deterministic and names rights");
		for (char *line = a ? strtok(a, "\n") : NULL; line; line = strtok(NULL, "\n"))
			tap_diag("%s", line);
		free(a);
		free(b);
	}
	pl_diag_clear(&d);

	{
		struct pl_ll_ruleset *old = NULL;
		uint16_t p443 = 443;
		struct pl_policy q = p;
		q.landlock.connect_tcp = &p443;
		q.landlock.scope_signal = true;
		r = pl_gen_landlock(&q, 3, &old, &d);
		TAP_OK(r == 0 && old->handled_net == 0 && old->scoped == 0 &&
			   !(old->handled_fs & (1ULL << 15)),
		       "ABI 3: no network, no scopes, no ioctl_dev");
		TAP_OK(diag_has(&d, PL_SEV_WARNING,
				"ABI 3 lacks network rules: connectTCP [443] not enforced"),
		       "ABI 3: dropped connectTCP named in a warning");
		TAP_OK(diag_has(&d, PL_SEV_WARNING, "ABI 3 lacks scopes: signal not enforced"),
		       "ABI 3: dropped signal scope named in a warning");
		pl_ll_ruleset_free(old);
		pl_diag_clear(&d);

		r = pl_gen_landlock(&q, 0, &old, &d);
		TAP_OK(r == 0 && old->empty && d.n_warnings >= 2,
		       "no Landlock: empty ruleset, %zu warnings", d.n_warnings);
		pl_ll_ruleset_free(old);
		pl_diag_clear(&d);

		struct pl_ll_path bad = { .path = missing,
					  .access = PL_LL_READ_FILE,
					  .pos = { "t.yaml", 7, 9 } };
		q.landlock.paths = &bad;
		q.landlock.n_paths = 1;
		old = NULL;
		r = pl_gen_landlock(&q, abi, &old, &d);
		TAP_OK(r == -ENOENT && !old && d.head && d.head->line == 7,
		       "a missing path is an error with its position (r=%d)", r);
		pl_diag_clear(&d);

		struct pl_policy none = { 0 };
		r = pl_gen_landlock(&none, abi, &old, &d);
		TAP_OK(r == 0 && old->empty, "no spec.plastron.landlock: nothing to restrict");
		pl_ll_ruleset_free(old);
	}

	/* ---- application in a child ---- */
	{
		int fds[2], res[R__N];
		pid_t pid;
		char path[128];

		if (pipe(fds) < 0)
			return 1;
		pid = fork();
		if (pid == 0) {
			close(fds[0]);
			prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
			if (pl_ll_ruleset_apply(rs, NULL) < 0)
				_exit(3);
			res[R_READ_ALLOWED] = try_open(file, O_RDONLY);
			res[R_READ_OUTSIDE] = try_open(outside, O_RDONLY);
			res[R_WRITE_RO] = try_open(file, O_WRONLY);
			snprintf(path, sizeof(path), "%s/new", rw);
			res[R_WRITE_RW] = try_open(path, O_WRONLY | O_CREAT);
			res[R_CONN_OK] = try_connect(ok_port);
			res[R_CONN_DENIED] = try_connect(bad_port);
			if (write(fds[1], res, sizeof(res)) != sizeof(res))
				_exit(4);
			_exit(0);
		}
		close(fds[1]);
		memset(res, 0x7f, sizeof(res));
		r = (int)read(fds[0], res, sizeof(res));
		close(fds[0]);
		waitpid(pid, NULL, 0);
		TAP_OK(r == sizeof(res), "child applied the ruleset and reported");
		TAP_OK(res[R_READ_ALLOWED] == 0, "read inside the allow-list works (%d)",
		       res[R_READ_ALLOWED]);
		TAP_OK(res[R_READ_OUTSIDE] == -EACCES, "read outside the allow-list: EACCES (%d)",
		       res[R_READ_OUTSIDE]);
		TAP_OK(res[R_WRITE_RO] == -EACCES, "write into a read-only path: EACCES (%d)",
		       res[R_WRITE_RO]);
		TAP_OK(res[R_WRITE_RW] == 0, "create in a writable path works (%d)",
		       res[R_WRITE_RW]);
		if (abi >= 4) {
			TAP_OK(res[R_CONN_OK] == 0, "connect to listed port %u works (%d)", ok_port,
			       res[R_CONN_OK]);
			TAP_OK(res[R_CONN_DENIED] == -EACCES,
			       "connect to unlisted port %u: EACCES (%d)", bad_port,
			       res[R_CONN_DENIED]);
		} else {
			TAP_SKIP("Landlock ABI < 4 has no network rules", "connect allowed port");
			TAP_SKIP("Landlock ABI < 4 has no network rules", "connect denied port");
		}
		/* the parent is unaffected */
		TAP_OK(try_open(outside, O_RDONLY) == 0 && try_connect(bad_port) == 0,
		       "the parent is not confined");
	}
	pl_ll_ruleset_free(rs);
	close(lok);
	close(lbad);
	{
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
		if (system(cmd) != 0)
			tap_diag("cleanup of %s failed", root);
	}
	return tap_done();
}
