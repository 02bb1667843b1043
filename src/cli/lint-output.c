/* SPDX-License-Identifier: Apache-2.0 */
/*
 * plastron lint's output forms: the text lines (the shape of every plastron
 * diagnostic with the check id added), the JSON array of findings, and a
 * SARIF 2.1.0 log for code-scanning tools (one run, every check as a rule,
 * one result per finding).
 */
#include <errno.h>
#include <stdio.h>

#include "lint-output.h"

const char *cli_lint_severity(enum pl_severity s)
{
	static const char *const names[] = { "error", "warning", "note" };
	return (unsigned)s < 3 ? names[s] : "note";
}

static const char *file_of(const struct pl_lint_report *r, const struct pl_lint_finding *f)
{
	return f->pos.file ? f->pos.file : r->file;
}

void cli_lint_print_text(const struct pl_lint_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct pl_lint_finding *f = &r->findings[i];
		printf("%s:%u:%u: %s: %s: %s: %s\n", file_of(r, f), f->pos.line,
		       f->pos.col ? f->pos.col : 1, cli_lint_severity(f->check->severity),
		       f->check->id, f->field, f->message);
		if (f->hint)
			printf("  hint: %s\n", f->hint);
		const char *why = NULL;
		const char *const *m = pl_lint_mitigations(f, &why);
		if (m) {
			fputs("  mitigate:", stdout);
			for (size_t k = 0; m[k]; k++)
				printf("%s %s", k ? "," : "", m[k]);
			printf(" (%s)\n", why);
		}
	}
}

/* The finding's mitigating rules as JSON, or NULL when it has none. */
static json_t *mitigations_json(const struct pl_lint_finding *f)
{
	const char *why = NULL;
	const char *const *m = pl_lint_mitigations(f, &why);
	if (!m)
		return NULL;
	json_t *rules = json_array();
	for (size_t k = 0; rules && m[k]; k++)
		json_array_append_new(rules, json_string(m[k]));
	return rules ? json_pack("{s:o, s:s}", "rules", rules, "why", why) : NULL;
}

int cli_lint_json_append(json_t *arr, const struct pl_lint_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct pl_lint_finding *f = &r->findings[i];
		json_t *o = json_pack("{s:s, s:I, s:I, s:s, s:s, s:s, s:s, s:s?}", "file",
				      file_of(r, f), "line", (json_int_t)f->pos.line, "col",
				      (json_int_t)(f->pos.col ? f->pos.col : 1), "severity",
				      cli_lint_severity(f->check->severity), "id", f->check->id,
				      "field", f->field, "message", f->message, "hint", f->hint);
		json_t *m = o ? mitigations_json(f) : NULL;
		if (m && json_object_set_new(o, "mitigations", m) < 0)
			return -ENOMEM;
		if (!o || json_array_append_new(arr, o) < 0)
			return -ENOMEM;
	}
	return 0;
}

int cli_lint_sarif_append(json_t *results, const struct pl_lint_report *r)
{
	size_t n;
	const struct pl_lint_check *table = pl_lint_checks(&n);
	for (size_t i = 0; i < r->n; i++) {
		const struct pl_lint_finding *f = &r->findings[i];
		json_t *o = json_pack(
		    "{s:s, s:I, s:s, s:{s:s}, s:[{s:{s:{s:s}, s:{s:I, s:I}}, s:[{s:s}]}], "
		    "s:{s:s, s:s?}}",
		    "ruleId", f->check->id, "ruleIndex", (json_int_t)(f->check - table), "level",
		    cli_lint_severity(f->check->severity), "message", "text", f->message,
		    "locations", "physicalLocation", "artifactLocation", "uri", file_of(r, f),
		    "region", "startLine", (json_int_t)(f->pos.line ? f->pos.line : 1),
		    "startColumn", (json_int_t)(f->pos.col ? f->pos.col : 1), "logicalLocations",
		    "fullyQualifiedName", f->field, "properties", "field", f->field, "hint",
		    f->hint);
		json_t *m = o ? mitigations_json(f) : NULL;
		if (m &&
		    json_object_set_new(json_object_get(o, "properties"), "mitigations", m) < 0)
			return -ENOMEM;
		if (!o || json_array_append_new(results, o) < 0)
			return -ENOMEM;
	}
	return 0;
}

json_t *cli_lint_sarif_log(json_t *results)
{
	static const char *const groups[] = { "pss-baseline", "pss-restricted", "plastron" };
	size_t n;
	const struct pl_lint_check *v = pl_lint_checks(&n);
	json_t *rules = json_array();
	for (size_t i = 0; rules && i < n; i++) {
		json_t *o = json_pack(
		    "{s:s, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}", "id", v[i].id,
		    "shortDescription", "text", v[i].title, "fullDescription", "text", v[i].help,
		    "help", "text", v[i].fix, "defaultConfiguration", "level",
		    cli_lint_severity(v[i].severity), "properties", "group", groups[v[i].group]);
		if (!o || json_array_append_new(rules, o) < 0) {
			json_decref(rules);
			rules = NULL;
		}
	}
	if (!rules) {
		json_decref(results);
		return NULL;
	}
	/* no tool version: a manifest's log stays the same across releases */
	return json_pack("{s:s, s:s, s:[{s:{s:{s:s, s:o}}, s:o}]}", "$schema",
			 "https://json.schemastore.org/sarif-2.1.0.json", "version", "2.1.0",
			 "runs", "tool", "driver", "name", "plastron", "rules", rules, "results",
			 results);
}
