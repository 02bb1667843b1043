/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The confinement bundle: one policy version compiled once (by plastrond),
 * serialized, placed by plastron-runtime in the container's bundle
 * directory and applied by plastron-init inside the container. This header
 * (and src/lib/bundle/bundle.c) owns the format: build, serialize, parse,
 * apply. Nothing else reads or writes it.
 *
 * Format "plastron-bundle/2": a head (one line of compact JSON, so its
 * first newline ends it), a newline, then the raw seccomp program (struct
 * sock_filter array, libseccomp's export: x86_64, x32, ia32):
 *   {"format": "plastron-bundle/2", "policy": NAME,
 *    "version": first 16 hex digits of the hash (a version is named by its
 *               content: the same policy text compiles to the same version),
 *    "hash": "sha256:" + sha256 of the canonical serialization (sorted keys,
 *            compact) of every other member of the head,
 *    "seccomp": {"bpf_sha256": sha256 of the program after the head,
 *                "bpf_len": its length in bytes,
 *                "flags": [SECCOMP_FILTER_FLAG_* names],
 *                "oci_sha256": sha256 of the OCI profile's JSON text} | null
 *               (null: nothing follows the newline),
 *    "caps": {"drop": ["CAP_..."]},
 *    "landlock": {"abi", "fs", "net", "scoped" (hex strings),
 *                 "rules": [{"access": hex, "path"}], "bind": [port],
 *                 "connect": [port]} | null,
 *    "rules": {"seccomp": {SYSCALL: [rule id, ...]}}  (naming rules in events),
 *    optionally "oci": the OCI profile's JSON text (checked against
 *                      seccomp.oci_sha256, not part of the hash input)}
 *
 * The hash pins the head, the head pins the program (bpf_sha256). The
 * program travels raw, not as text inside the JSON: plastron-runtime and
 * plastron-init (every container start) then parse a few KB of JSON instead
 * of tens of KB of hex (format 1, refused now: its records came from older
 * shims, and `exec` into such a container is refused).
 *
 * The OCI profile (tens of KB of JSON) is pinned by its digest: the copy
 * placed in a container leaves it out, so that plastron-init, which never
 * needs it, parses only what it applies (oci_json holds it after a build).
 *
 * Landlock paths are not checked when the bundle is built: they name paths
 * of the container's root filesystem, opened by pl_bundle_apply() inside the
 * container (a missing path fails the start there, naming it).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "plastron/error.h"
#include "plastron/gen.h"
#include "plastron/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PL_BUNDLE_FORMAT "plastron-bundle/2"

struct pl_bundle {
	char *policy;
	char version[17];               /* 16 hex digits */
	char hash[7 + 64 + 1];          /* "sha256:" + 64 hex digits */
	unsigned char *sc_bpf;          /* NULL: no seccomp filter */
	size_t sc_bpf_len;              /* bytes (a multiple of 8) */
	unsigned sc_flags;              /* SECCOMP_FILTER_FLAG_* bits */
	uint64_t cap_drop;              /* bit per CAP_* */
	struct pl_ll_ruleset *landlock; /* NULL: no Landlock */
	char *text; /* the serialization, text_len bytes, binary after the head (NUL-terminated) */
	char *oci_json; /* the OCI profile (built; parsed only when the text has "oci") */
	size_t text_len;
};

/* Compile `p` (its seccomp profile `prof` when the caller already built it,
 * else NULL) into a bundle for this kernel's Landlock ABI; b->text holds the
 * serialization. Landlock features the ABI lacks are warnings in `d`. */
int pl_bundle_build(const struct pl_policy *p, const struct pl_sc_profile *prof,
		    struct pl_bundle **ret, struct pl_diag *d);
/* The same, from parts the caller compiled itself (plastrond compiles the
 * program in a child process under a deadline): `prof`, its program `bpf`
 * (bpf_len bytes, as pl_sc_profile_export_bpf wrote it) and, when not NULL,
 * its OCI JSON `oci_json` (as pl_sc_profile_to_json wrote it). Copied. */
int pl_bundle_build_compiled(const struct pl_policy *p, const struct pl_sc_profile *prof,
			     const unsigned char *bpf, size_t bpf_len, const char *oci_json,
			     struct pl_bundle **ret, struct pl_diag *d);
/* Parse and check a serialization (format, hash, every field). */
int pl_bundle_parse(const char *text, size_t len, struct pl_bundle **ret, struct pl_diag *d);
void pl_bundle_free(struct pl_bundle *b);

/*
 * Confine the calling (single-threaded) process: no_new_privs; the dropped
 * capabilities out of the bounding, effective, permitted, inheritable and
 * ambient sets; Landlock; the seccomp filter last. On failure returns a
 * negative errno with a one-line reason in `err`; part of the confinement
 * may be in place and the caller must not exec.
 */
int pl_bundle_apply(const struct pl_bundle *b, char *err, size_t errlen);

/* SHA-256 of `len` bytes as 64 lowercase hex digits and a NUL. */
void pl_sha256_hex(const void *data, size_t len, char out[65]);

#ifdef __cplusplus
}
#endif
