/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the files of the cgroup-BPF generator share: the generator's state
 * (struct gen), the growing arrays, and the functions one file calls in
 * another. cgroup-bpf.c: the generator (rule sources, the entry point, the
 * tables' life cycle, names of actions and modes); cgroup-bpf-entries.c:
 * the entries of each table (sockets, egress with prefix merging, sysctl,
 * devices); cgroup-bpf-dump.c: the tables as text. Internal to src/lib/gen.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "plastron/bpf.h"

#define FIELD_SOCKETS "spec.policy.enhanceProtect.bpfRawRules.network.sockets"
#define FIELD_EGRESS "spec.policy.enhanceProtect.bpfRawRules.network.egress"

struct raw_egress {
	int family;
	uint8_t addr[16];
	uint8_t prefix_len;
	struct pl_bpf_port_range range;
	const struct pl_pos *pos;
	size_t seq; /* order of appearance, for a stable sort */
};

struct gen {
	struct pl_bpf_tables *t;
	const struct pl_gen_opts *o;
	const char *partitions;
	struct pl_diag *d;
	struct raw_egress *raw;
	size_t n_raw;
};

/* Make room for one more element of a growing array (capacity doubles at
 * powers of two); 0 or -ENOMEM. */
int pl_cgb_grow(void **arr, size_t n, size_t elem);
/* A zeroed new element of `arr` (n counted up), NULL when out of memory. */
#define PUSH(g, arr, n)                                                       \
	({                                                                    \
		__typeof__(arr) _e = NULL;                                    \
		if (pl_cgb_grow((void **)&(arr), (n), sizeof(*(arr))) == 0) { \
			_e = &(arr)[(n)++];                                   \
			memset(_e, 0, sizeof(*_e));                           \
		}                                                             \
		_e;                                                           \
	})

/* An out-of-memory error (in g->d): -ENOMEM. */
int pl_cgb_oom(struct gen *g);
/* A note for `elsewhere` about rule `rule` (carried by another mechanism). */
int pl_cgb_note(struct gen *g, uint32_t rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* cgroup-bpf-entries.c */
int pl_cgb_socket(struct gen *g, uint64_t domains, uint32_t types, uint32_t protocols,
		  uint8_t action, uint32_t rule);
int pl_cgb_add_egress(struct gen *g, int family, const uint8_t *addr, uint8_t prefix_len,
		      uint16_t lo, uint16_t hi, uint8_t action, uint32_t rule,
		      const struct pl_pos *pos);
int pl_cgb_parse_cidr(const char *text, int *family, uint8_t addr[16], uint8_t *prefix_len);
int pl_cgb_finish_egress(struct gen *g);
int pl_cgb_add_sysctl(struct gen *g, const char *name, uint8_t action, uint32_t rule);
int pl_cgb_add_dev(struct gen *g, char type, uint32_t major, uint32_t minor, const char *access,
		   uint8_t action, uint32_t rule);
int pl_cgb_add_host_disks(struct gen *g, const char *access, uint8_t action, uint32_t rule,
			  const char *rule_id);
/* Names for the dump (NULL when unknown). */
const char *pl_cgb_family_name(int af);
const char *pl_cgb_type_name(uint32_t type);
const char *pl_cgb_proto_name(uint32_t p);
