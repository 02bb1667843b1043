/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A positioned document tree built from YAML (or JSON, which is YAML flow
 * syntax once it has passed a strict JSON syntax check). Internal to
 * libplastron; the decoder turns it into the policy model.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plastron/error.h"

struct pl_arena;

enum pl_node_type {
	PL_NODE_SCALAR,
	PL_NODE_SEQ,
	PL_NODE_MAP,
};

struct pl_node;

struct pl_node_pair {
	struct pl_node *key; /* always a scalar */
	struct pl_node *value;
};

struct pl_node {
	enum pl_node_type type;
	struct pl_pos pos;
	/* scalar: text (NUL-terminated, never contains NUL) */
	char *str;
	size_t len;
	bool quoted; /* written quoted or as a block scalar: always a string */
	/* literal block scalar ('|'): column of its content (1-based), else 0.
	 * Line k of the text is then at file line pos.line + k. */
	uint32_t block_col;
	/* sequence */
	struct pl_node **items;
	size_t n_items;
	/* mapping, in document order */
	struct pl_node_pair *pairs;
	size_t n_pairs;
};

/* Limits (defences against hostile input). */
#define PL_TREE_MAX_INPUT (4u << 20) /* bytes */
#define PL_TREE_MAX_DEPTH 64
#define PL_TREE_MAX_ENTRIES 65536 /* items of one sequence or mapping */
#define PL_TREE_MAX_NODES 1000000
#define PL_TREE_MAX_DOCS 1024

/*
 * Parse `buf` into documents. JSON is chosen when the first non-blank
 * character is '{' or '['. Every node, string and the document array live in
 * `a`. `file` must outlive the tree (positions borrow it). Returns the number
 * of documents (empty documents are dropped) or a negative errno with errors
 * in `d`.
 */
int pl_tree_parse(struct pl_arena *a, const char *file, const char *buf, size_t len,
		  struct pl_node ***ret_docs, struct pl_diag *d);

/* True when the input looks like JSON (first non-blank char is '{' or '['). */
bool pl_tree_is_json(const char *buf, size_t len);

/* Mapping lookup; NULL when absent. */
struct pl_node *pl_node_get(const struct pl_node *map, const char *key);
/* A plain scalar that YAML reads as null: "", "~", "null", "Null", "NULL". */
bool pl_node_is_null(const struct pl_node *n);
const char *pl_node_type_name(const struct pl_node *n); /* "a mapping", "a string", ... */
