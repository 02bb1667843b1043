/* SPDX-License-Identifier: Apache-2.0 */
/* plastron lint's output forms: text lines, the JSON array, SARIF 2.1.0. */
#pragma once

#include <jansson.h>

#include "plastron/lint.h"

/* "error", "warning", "note". */
const char *cli_lint_severity(enum pl_severity s);
/* FILE:LINE:COL: SEVERITY: CHECK-ID: FIELD: message, then "  hint: ...". */
void cli_lint_print_text(const struct pl_lint_report *r);
/* Append r's findings to the JSON array `arr`; -ENOMEM on failure. */
int cli_lint_json_append(json_t *arr, const struct pl_lint_report *r);
/* Append r's findings to the results array of a SARIF run; -ENOMEM on failure. */
int cli_lint_sarif_append(json_t *results, const struct pl_lint_report *r);
/* A SARIF 2.1.0 log of one run (plastron, every check as a rule) around
 * `results` (the reference is taken); NULL on failure. */
json_t *cli_lint_sarif_log(json_t *results);
