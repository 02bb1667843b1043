/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Runs a seccomp filter (the classic BPF plastron exports with
 * pl_sc_profile_export_bpf) on one syscall, with libpcap's bpf_filter() as
 * the interpreter: no BPF interpreter of our own. pcap's BPF_LD|BPF_W|BPF_ABS
 * reads big-endian words, seccomp's native ones; seccomp filters only do
 * aligned 32-bit loads, so the "packet" is struct seccomp_data with every
 * 32-bit word stored big-endian, and bpf_filter's return value is the
 * seccomp action (SECCOMP_RET_*).
 */
#pragma once

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "plastron/gen.h"

#define SIM_X32_BIT 0x40000000

enum sim_arch { SIM_X86_64, SIM_X32, SIM_IA32 };

struct sim_filter {
	struct bpf_insn *insn;
	size_t n;
};

/* Export `p`'s filter and keep its instructions. 0 or a negative errno. */
static inline int sim_load(const struct pl_sc_profile *p, struct sim_filter *f, struct pl_diag *d)
{
	memset(f, 0, sizeof(*f));
	int fd = memfd_create("plastron-bpf", MFD_CLOEXEC);
	if (fd < 0)
		return -1;
	int r = pl_sc_profile_export_bpf(p, fd, d);
	off_t len = lseek(fd, 0, SEEK_END);
	if (r == 0 && (len <= 0 || len % 8)) /* struct sock_filter: 8 bytes */
		r = -EIO;
	if (r == 0) {
		f->insn = malloc((size_t)len);
		if (!f->insn || pread(fd, f->insn, (size_t)len, 0) != len)
			r = -EIO;
		f->n = (size_t)len / 8;
	}
	close(fd);
	return r;
}

static inline void sim_free(struct sim_filter *f)
{
	free(f->insn);
	f->insn = NULL;
}

static inline void sim_put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* The action the filter returns for syscall `nr` as the kernel reports it
 * for `audit_arch` (AUDIT_ARCH_*; x32 numbers with the X32 bit). */
static inline uint32_t sim_run_audit(const struct sim_filter *f, uint32_t audit_arch, int nr,
				     const uint64_t args[6])
{
	struct seccomp_data sd = { 0 };
	sd.nr = nr;
	sd.arch = audit_arch;
	sd.instruction_pointer = 0x401000;
	for (int i = 0; i < 6; i++)
		sd.args[i] = args ? args[i] : 0;
	/* Each native 32-bit word, stored big-endian. */
	unsigned char pkt[sizeof(sd)];
	for (size_t off = 0; off < sizeof(sd); off += 4) {
		uint32_t w;
		memcpy(&w, (const unsigned char *)&sd + off, 4);
		sim_put_be32(pkt + off, w);
	}
	return bpf_filter(f->insn, pkt, sizeof(pkt), sizeof(pkt));
}

/* The action the filter returns for syscall `nr` (in the arch's own
 * numbering; x32 numbers without the X32 bit: it is added here). */
static inline uint32_t sim_run(const struct sim_filter *f, enum sim_arch arch, int nr,
			       const uint64_t args[6])
{
	return sim_run_audit(f, arch == SIM_IA32 ? AUDIT_ARCH_I386 : AUDIT_ARCH_X86_64,
			     arch == SIM_X32 ? (nr | SIM_X32_BIT) : nr, args);
}
