/* SPDX-License-Identifier: Apache-2.0 */
/*
 * probe: one attack (or one ordinary action) per subcommand, for the live
 * tests and scripts/quickstart. Prints "<name>: ok" and exits 0 when the
 * action worked, "<name>: <errno text> (errno N)" and exits 1 when it was
 * refused; 2 on a usage error.
 *
 *   probe uring                 io_uring_setup()
 *   probe raw                   socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)
 *   probe chown FILE            chown FILE to 65534:65534
 *   probe uts                   unshare(CLONE_NEWUTS) + sethostname()
 *   probe init-module           init_module(NULL, 0, "")
 *   probe finit-module          finit_module(-1, "", 0)
 *   probe bpf                   BPF_PROG_LOAD of a 2-instruction socket filter
 *   probe connect PORT          TCP connect to 127.0.0.1:PORT
 *   probe listen FILE           listen on 127.0.0.1:<ephemeral>, write the port
 *                               to FILE, accept until killed
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static int result(const char *name, long r)
{
	if (r < 0) {
		int e = errno;
		printf("%s: %s (errno %d)\n", name, strerror(e), e);
		return 1;
	}
	printf("%s: ok\n", name);
	return 0;
}

static int do_listen(const char *file)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	FILE *f;

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return result("listen", -1);
	f = fopen(file, "w");
	if (!f)
		return result("listen", -1);
	fprintf(f, "%u\n", ntohs(sa.sin_port));
	fclose(f);
	for (;;) {
		int c = accept(fd, NULL, NULL);
		if (c >= 0)
			close(c);
	}
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	if (!strcmp(what, "uring")) {
		struct io_uring_params p;
		memset(&p, 0, sizeof(p));
		return result("io_uring_setup", syscall(__NR_io_uring_setup, 4, &p));
	}
	if (!strcmp(what, "raw"))
		return result("raw socket", socket(AF_INET, SOCK_RAW, IPPROTO_ICMP));
	if (!strcmp(what, "chown") && argc > 2)
		return result("chown", chown(argv[2], 65534, 65534));
	if (!strcmp(what, "uts")) {
		if (unshare(CLONE_NEWUTS) < 0)
			return result("unshare(CLONE_NEWUTS)", -1);
		return result("sethostname", sethostname("probe", 5));
	}
	if (!strcmp(what, "init-module"))
		return result("init_module", syscall(__NR_init_module, NULL, 0, ""));
	if (!strcmp(what, "finit-module"))
		return result("finit_module", syscall(__NR_finit_module, -1, "", 0));
	if (!strcmp(what, "bpf")) {
		struct bpf_insn insn[2] = {
			{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
			{ .code = BPF_JMP | BPF_EXIT },
		};
		union bpf_attr attr;
		memset(&attr, 0, sizeof(attr));
		attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
		attr.insns = (unsigned long)insn;
		attr.insn_cnt = 2;
		attr.license = (unsigned long)"GPL";
		return result("bpf(BPF_PROG_LOAD)",
			      syscall(__NR_bpf, BPF_PROG_LOAD, &attr, sizeof(attr)));
	}
	if (!strcmp(what, "connect") && argc > 2) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
					  .sin_port = htons((uint16_t)atoi(argv[2])) };
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return result("socket", -1);
		return result("connect", connect(fd, (struct sockaddr *)&sa, sizeof(sa)));
	}
	if (!strcmp(what, "listen") && argc > 2)
		return do_listen(argv[2]);
	fprintf(stderr, "usage: probe uring|raw|chown FILE|uts|init-module|finit-module|bpf|"
			"connect PORT|listen FILE\n");
	return 2;
}
