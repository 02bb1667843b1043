/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the two halves of plastron-runtime: plastron-runtime.c (options,
 * create/run rewrite, the createRuntime hook) and shim-exec.c (`exec`).
 */
#pragma once

#include <jansson.h>
#include <stdint.h>

#define INIT_DEST "/.plastron-init"
#define INIT_CONFIG_DEST "/.plastron-init.json"
#define INIT_BPF_DEST "/.plastron-init.bpf" /* older shims' filter file */
/* The confinement bundle in the bundle directory: mounted at
 * INIT_CONFIG_DEST, and the node's own record that the container is
 * confined (a spec cannot create it). */
#define BUNDLE_FILE "plastron-init.json"
#define CONFINED_ANNOTATION "plastron.io/confined"   /* informational only */
#define VERSION_ANNOTATION "plastron.io/bundle-hash" /* informational only */
#define REQUEST_TIMEOUT_MS 10000

struct shim_settings {
	const char *runtime, *socket, *init, *default_policy;
	const char *log, *log_format; /* the runtime's --log / --log-format */
};
extern struct shim_settings S;

/* An error for the user: stderr, and the runtime's log file so that
 * containerd/Docker show it. */
void report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void shim_drop_caps(json_t *process, uint64_t drop);
/* process.args = [INIT_DEST, INIT_CONFIG_DEST, "--", original...] */
int shim_wrap_args(json_t *process);
int shim_self_exe(char *buf, size_t len);
/* Replace by a new file (unlink, create exclusively), mode 0644: only for
 * files of a bundle directory nothing reads yet (plastron-runtime.c). */
int shim_write_json(const char *path, json_t *o);

/*
 * `exec`: `args` (n entries, args[0] the runtime, args[cmd] "exec") is the
 * command line for the real runtime. When the container is confined, the
 * new process is wrapped through plastron-init with the container's bundle
 * (its --process file rewritten, or *args replaced by a new array). Returns
 * 0 (go on with *args) or -1 after reporting why the exec is refused.
 */
int shim_exec(char ***args, int *n, int cmd);
