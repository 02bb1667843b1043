/* SPDX-License-Identifier: Apache-2.0 */
/* The plastron CLI: one file per verb, each `int verb_<name>(int argc, char **argv)`
 * returning the process exit status. argv[0] is the verb name. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "plastron/error.h"

struct pl_policy_set;

int verb_check(int argc, char **argv);
int verb_explain(int argc, char **argv);
int verb_rules(int argc, char **argv);
int verb_compile(int argc, char **argv);
int verb_run(int argc, char **argv);
int verb_doctor(int argc, char **argv);
int verb_status(int argc, char **argv);
int verb_attach(int argc, char **argv);
int verb_mode(int argc, char **argv);
int verb_lint(int argc, char **argv);

/* Print every entry of `d` to stderr, errors and warnings alike. */
void cli_print_diag(const struct pl_diag *d);
/* Load one policy file, printing diagnostics; returns NULL on failure, with
 * the exit status in *status (cli_status). */
struct pl_policy_set *cli_load_policies(const char *path, int *status);
/*
 * Parse the options of a verb that asks the agent and takes only --json,
 * --socket PATH and --help (no operands): sets *json and *sock. Returns -1 to
 * go on, or the exit status after USAGE printed the help (stdout, CLI_OK) or
 * the usage for a mistake (stderr, CLI_USAGE).
 */
int cli_agent_opts(int argc, char **argv, int (*usage)(FILE *f, int status), bool *json,
		   const char **sock);
/* Exit statuses (man/plastron.1, EXIT STATUS; the same for every verb, except
 * that `plastron run` passes the command's own status through). */
enum { CLI_OK = 0, CLI_POLICY_ERROR = 1, CLI_USAGE = 2, CLI_SYSTEM_ERROR = 3 };
/* The agent answered "ok": false (the request was understood and refused). */
#define CLI_E_REFUSED (-EPERM)
/*
 * The one mapping from a library result (0 or a count, or a negative errno
 * with its diagnostics `d`, which may be NULL) to the exit status:
 *   r >= 0                                       0 ok
 *   -ENOMEM                                      3 system
 *   an error positioned in a policy (file:line)  1 policy invalid
 *   -EINVAL, -EFBIG, -EOPNOTSUPP, CLI_E_REFUSED  1 policy invalid or refused
 *   anything else (-ENOENT opening a file, -EACCES, -EIO, ...)  3 system
 * Usage mistakes are found by the verbs themselves: CLI_USAGE.
 */
int cli_status(int r, const struct pl_diag *d);
