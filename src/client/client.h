/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by plastrond, plastron-runtime and the CLI verbs that talk to the
 * agent (doctor, status, attach, mode): default paths, the control-socket
 * client (line-delimited JSON, client.c) and the host checks of `plastron
 * doctor` (doctor.c, in its own library: the BPF-LSM probe uses libbpf when
 * built with HAVE_LIBBPF); the cgroup v2 utilities are in cgroup.h.
 * Internal.
 *
 * Protocol: one JSON object per line each way. Requests carry "op"
 * (status, attach, detach, mode, register); answers carry "ok" (bool) and
 * either the result fields or "error" (a one-line message).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define PLD_SOCKET "/run/plastron/plastrond.sock"
#define PLD_POLICY_DIR "/etc/plastron/policies.d"
#define PLD_LOG "/var/log/plastron/violations.log"
/*
 * One size limit for what the agent accepts and what it can serve.
 * PLD_POLICY_MAX is the largest policy file the agent loads (the parser's
 * PL_TREE_MAX_INPUT; client.c asserts they agree). The largest answer is
 * op "profile": a short line, then one policy version's confinement bundle
 * as raw bytes (its JSON head, then the seccomp program), announced in the
 * line as "attached_bytes". Text of the policy that reaches the bundle
 * (Landlock paths, names) is escaped once in the head, each byte to at most
 * 2 bytes (libyaml and JSON refuse the control characters that jansson
 * writes as \u00XX), so 4 * PLD_POLICY_MAX bounds it with room, and the
 * compiled seccomp program (the kernel's limit is 4096 instructions, 32 KiB)
 * and the small fields fit in the 1 MiB to spare. PLD_LINE_MAX is the
 * longest line, and the longest attachment, a client reads; the agent
 * refuses to send a longer answer (an error answer instead, never one the
 * client cannot read). Requests are small (annotations); the agent reads at
 * most PLD_REQUEST_MAX per line.
 */
#define PLD_POLICY_MAX (4u << 20)
#define PLD_LINE_MAX (4 * PLD_POLICY_MAX + (1u << 20)) /* longest answer line */
#define PLD_REQUEST_MAX (1u << 20)                     /* longest request line */

/* Send `req` (not consumed) to the agent at `socket_path` and wait up to
 * `timeout_ms` for the answer. Returns 0 with *ret (the answer object, ok or
 * not), or a negative errno with a one-line reason in `err`. */
int pld_request(const char *socket_path, json_t *req, json_t **ret, int timeout_ms, char *err,
		size_t errlen);
/* The same; an answer that announces "attached_bytes": N is followed by N
 * raw bytes, returned in *data (malloc'd, NUL-terminated; NULL and 0 when
 * the answer has none). pld_request reads and drops them. */
int pld_request_data(const char *socket_path, json_t *req, json_t **ret, char **data,
		     size_t *data_len, int timeout_ms, char *err, size_t errlen);

/* Read one line (without the newline) from `fd` into a malloc'd string,
 * buffering in `buf` (*len bytes pending). Returns 1 with a line, 0 at end
 * of file, negative errno on failure or timeout (-ETIMEDOUT). */
struct pld_linebuf {
	char *data;
	size_t len, cap;
};
int pld_read_line(int fd, struct pld_linebuf *b, char **ret, int timeout_ms);
void pld_linebuf_free(struct pld_linebuf *b);
/* Write all of `s` and a newline. */
int pld_write_line(int fd, const char *s);

/* ---- doctor ------------------------------------------------------------- */
enum pld_check_state { PLD_CHECK_OK, PLD_CHECK_INFO, PLD_CHECK_WARN, PLD_CHECK_FAIL };

struct pld_check {
	const char *name;
	enum pld_check_state state;
	char detail[512];
};

struct pld_doctor {
	struct pld_check checks[16];
	size_t n;
	/* What can enforce on this host. */
	bool seccomp, landlock, caps, cgroup_bpf, bpf_lsm, audit;
	int landlock_abi;
	char cgroup2[256];
};

/* Run every host check (no side effects beyond loading and unloading a
 * trivial BPF program for the BPF-LSM probe). */
void pld_doctor_run(struct pld_doctor *doc);
/* Human report (checks, then the active enforcers and the note about
 * non-inet socket families). */
void pld_doctor_print(const struct pld_doctor *doc, bool agent_enforcing, FILE *out);
/* "enforcers" says what the host can do ("cgroup-bpf" needs the agent too). */
json_t *pld_doctor_json(const struct pld_doctor *doc);
