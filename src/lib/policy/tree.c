/* SPDX-License-Identifier: Apache-2.0 */
/* YAML/JSON → positioned node tree (libyaml events; jansson for JSON syntax). */
#include "tree.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "shared/arena.h"
#include "shared/macro.h"

struct builder {
	const char *buf;
	size_t len;
	struct pl_arena *a;
	const char *file;
	struct pl_diag *d;
	struct pl_node *stack[PL_TREE_MAX_DEPTH + 1];
	size_t depth;
	struct pl_node *root;
	size_t n_nodes;
	bool failed;
};

static struct pl_pos mark_pos(const struct builder *b, yaml_mark_t m)
{
	return (struct pl_pos){ .file = b->file,
				.line = (uint32_t)m.line + 1,
				.col = (uint32_t)m.column + 1 };
}

static int fail(struct builder *b, yaml_mark_t m, const char *msg)
{
	struct pl_pos pos = mark_pos(b, m);
	b->failed = true;
	return pl_error(b->d, -EINVAL, &pos, NULL, "%s", msg);
}

bool pl_tree_is_json(const char *buf, size_t len)
{
	size_t i = 0;
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		i = 3;
	for (; i < len; i++) {
		char c = buf[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		return c == '{' || c == '[';
	}
	return false;
}

bool pl_node_is_null(const struct pl_node *n)
{
	if (!n)
		return true;
	if (n->type != PL_NODE_SCALAR || n->quoted)
		return false;
	return n->len == 0 || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
	       !strcmp(n->str, "Null") || !strcmp(n->str, "NULL");
}

struct pl_node *pl_node_get(const struct pl_node *map, const char *key)
{
	if (!map || map->type != PL_NODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->n_pairs; i++)
		if (!strcmp(map->pairs[i].key->str, key))
			return map->pairs[i].value;
	return NULL;
}

const char *pl_node_type_name(const struct pl_node *n)
{
	if (!n)
		return "nothing";
	switch (n->type) {
	case PL_NODE_SEQ:
		return "a list";
	case PL_NODE_MAP:
		return "a mapping";
	case PL_NODE_SCALAR:
		break;
	}
	if (n->quoted)
		return "a string";
	if (pl_node_is_null(n))
		return "null";
	/* YAML 1.1 booleans too: Kubernetes' YAML reader (go-yaml v2) takes them */
	static const char *const bools[] = { "true", "True", "TRUE", "false", "False", "FALSE",
					     "yes",  "Yes",  "YES",  "no",    "No",    "NO",
					     "on",   "On",   "ON",   "off",   "Off",   "OFF",
					     "y",    "Y",    "n",    "N",     NULL };
	const char *s = n->str;
	for (size_t i = 0; bools[i]; i++)
		if (!strcmp(s, bools[i]))
			return "a boolean";
	const char *p = s;
	if (*p == '-' || *p == '+')
		p++;
	if (*p >= '0' && *p <= '9') {
		bool digits = true;
		for (const char *q = p; *q; q++)
			if (!((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f') ||
			      (*q >= 'A' && *q <= 'F') || *q == 'x' || *q == 'o' || *q == '_'))
				digits = false;
		if (digits)
			return "an integer";
		char *end = NULL;
		errno = 0;
		(void)strtod(s, &end);
		if (end && !*end && strspn(p, "0123456789") > 0)
			return "a number";
	}
	if (*p == '.' &&
	    (!strcmp(p, ".inf") || !strcmp(p, ".nan") || !strcmp(p, ".Inf") || !strcmp(p, ".NaN")))
		return "a number";
	return "a string";
}

/* Column of the first non-blank content line of a block scalar whose
 * indicator ('|') is at byte `at`. */
static uint32_t block_col(const struct builder *b, size_t at)
{
	size_t i = at;
	while (i < b->len && b->buf[i] != '\n')
		i++;
	while (i < b->len) {
		size_t col = 0;
		i++; /* past '\n' */
		while (i + col < b->len && b->buf[i + col] == ' ')
			col++;
		if (i + col < b->len && b->buf[i + col] != '\n' && b->buf[i + col] != '\r')
			return (uint32_t)col + 1;
		i += col;
		while (i < b->len && b->buf[i] != '\n')
			i++;
	}
	return 0;
}

/* Attach a finished node to its parent (or make it the root). */
static int attach(struct builder *b, struct pl_node *n, const yaml_event_t *ev)
{
	if (++b->n_nodes > PL_TREE_MAX_NODES)
		return fail(b, ev->start_mark, "document has too many nodes");
	if (b->depth == 0) {
		b->root = n;
		return 0;
	}
	struct pl_node *p = b->stack[b->depth - 1];
	if (p->type == PL_NODE_SEQ) {
		if (p->n_items >= PL_TREE_MAX_ENTRIES)
			return fail(b, ev->start_mark, "list has too many entries");
		struct pl_node **slot = PL_ARENA_PUSH(b->a, p->items, p->n_items);
		if (!slot)
			return -ENOMEM;
		*slot = n;
		return 0;
	}
	/* mapping: a key, or the value of the last key */
	if (p->n_pairs > 0 && !p->pairs[p->n_pairs - 1].value) {
		p->pairs[p->n_pairs - 1].value = n;
		return 0;
	}
	if (n->type != PL_NODE_SCALAR)
		return fail(b, ev->start_mark, "mapping keys must be plain strings");
	if (!n->quoted && !strcmp(n->str, "<<"))
		return fail(b, ev->start_mark, "YAML merge keys ('<<') are not supported");
	if (p->n_pairs >= PL_TREE_MAX_ENTRIES)
		return fail(b, ev->start_mark, "mapping has too many entries");
	for (size_t i = 0; i < p->n_pairs; i++)
		if (p->pairs[i].key->len == n->len &&
		    !memcmp(p->pairs[i].key->str, n->str, n->len)) {
			struct pl_pos pos = mark_pos(b, ev->start_mark);
			b->failed = true;
			pl_error(b->d, -EINVAL, &pos, NULL, "duplicate key '%s' (first at line %u)",
				 n->str, p->pairs[i].key->pos.line);
			return -EINVAL;
		}
	struct pl_node_pair *pair = PL_ARENA_PUSH(b->a, p->pairs, p->n_pairs);
	if (!pair)
		return -ENOMEM;
	pair->key = n;
	return 0;
}

static int check_props(struct builder *b, const yaml_event_t *ev, const yaml_char_t *anchor,
		       const yaml_char_t *tag, bool implicit, bool *ret_str)
{
	if (anchor)
		return fail(b, ev->start_mark,
			    "YAML anchors and aliases are not supported (write the value out)");
	if (tag && !implicit) {
		const char *t = (const char *)tag;
		if (!strcmp(t, YAML_STR_TAG) && ret_str) {
			*ret_str = true;
			return 0;
		}
		if (!strcmp(t, YAML_MAP_TAG) || !strcmp(t, YAML_SEQ_TAG))
			return 0;
		struct pl_pos pos = mark_pos(b, ev->start_mark);
		b->failed = true;
		return pl_error(b->d, -EINVAL, &pos, NULL, "YAML tag '%s' is not supported", t);
	}
	return 0;
}

static int on_event(struct builder *b, const yaml_event_t *ev)
{
	struct pl_node *n;
	int r;

	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return fail(b, ev->start_mark,
			    "YAML anchors and aliases are not supported (write the value out)");
	case YAML_SCALAR_EVENT: {
		bool force_str = false;
		r = check_props(b, ev, ev->data.scalar.anchor, ev->data.scalar.tag,
				ev->data.scalar.plain_implicit || ev->data.scalar.quoted_implicit,
				&force_str);
		if (r < 0)
			return r;
		if (memchr(ev->data.scalar.value, 0, ev->data.scalar.length))
			return fail(b, ev->start_mark, "NUL character in a string");
		n = pl_arena_alloc(b->a, sizeof(*n));
		if (!n)
			return -ENOMEM;
		n->type = PL_NODE_SCALAR;
		n->pos = mark_pos(b, ev->start_mark);
		n->str = pl_arena_strndup(b->a, (const char *)ev->data.scalar.value,
					  ev->data.scalar.length);
		if (!n->str)
			return -ENOMEM;
		n->len = ev->data.scalar.length;
		n->quoted = force_str || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		if (ev->data.scalar.style == YAML_LITERAL_SCALAR_STYLE)
			n->block_col = block_col(b, ev->start_mark.index);
		return attach(b, n, ev);
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		bool seq = ev->type == YAML_SEQUENCE_START_EVENT;
		r = seq ? check_props(b, ev, ev->data.sequence_start.anchor,
				      ev->data.sequence_start.tag, ev->data.sequence_start.implicit,
				      NULL)
			: check_props(b, ev, ev->data.mapping_start.anchor,
				      ev->data.mapping_start.tag, ev->data.mapping_start.implicit,
				      NULL);
		if (r < 0)
			return r;
		if (b->depth >= PL_TREE_MAX_DEPTH)
			return fail(b, ev->start_mark, "nesting is too deep");
		n = pl_arena_alloc(b->a, sizeof(*n));
		if (!n)
			return -ENOMEM;
		n->type = seq ? PL_NODE_SEQ : PL_NODE_MAP;
		n->pos = mark_pos(b, ev->start_mark);
		r = attach(b, n, ev);
		if (r < 0)
			return r;
		b->stack[b->depth++] = n;
		return 0;
	}
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth > 0)
			b->depth--;
		return 0;
	default:
		return 0;
	}
}

static void yaml_problem(struct builder *b, const yaml_parser_t *p)
{
	struct pl_pos pos = mark_pos(b, p->problem_mark);
	if (p->error == YAML_MEMORY_ERROR) {
		pl_error(b->d, -ENOMEM, &pos, NULL, "out of memory while parsing");
		return;
	}
	if (p->context)
		pl_error(b->d, -EINVAL, &pos, NULL, "%s %s",
			 p->problem ? p->problem : "syntax error", p->context);
	else
		pl_error(b->d, -EINVAL, &pos, NULL, "%s", p->problem ? p->problem : "syntax error");
}

static int json_check(const char *file, const char *buf, size_t len, struct pl_diag *d)
{
	json_error_t je;
	size_t off = 0;
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		off = 3;
	json_t *j = json_loadb(buf + off, len - off, 0, &je);
	if (j) {
		json_decref(j);
		return 0;
	}
	struct pl_pos pos = { .file = file,
			      .line = je.line > 0 ? (uint32_t)je.line : 0,
			      .col = je.column > 0 ? (uint32_t)je.column : 0 };
	return pl_error(d, -EINVAL, &pos, NULL, "invalid JSON: %s", je.text);
}

int pl_tree_parse(struct pl_arena *a, const char *file, const char *buf, size_t len,
		  struct pl_node ***ret_docs, struct pl_diag *d)
{
	struct pl_pos fpos = { .file = file };
	if (len > PL_TREE_MAX_INPUT)
		return pl_error(d, -EFBIG, &fpos, NULL, "input is larger than %u bytes",
				PL_TREE_MAX_INPUT);
	bool json = pl_tree_is_json(buf, len);
	if (json) {
		int r = json_check(file, buf, len, d);
		if (r < 0)
			return r;
	}

	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return pl_error(d, -ENOMEM, &fpos, NULL, "cannot initialise the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);

	struct builder b = { .buf = buf, .len = len, .a = a, .file = file, .d = d };
	struct pl_node **docs = NULL;
	size_t n_docs = 0;
	int r = 0;
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			yaml_problem(&b, &parser);
			r = parser.error == YAML_MEMORY_ERROR ? -ENOMEM : -EINVAL;
			break;
		}
		yaml_event_type_t type = ev.type;
		if (type == YAML_DOCUMENT_START_EVENT) {
			b.root = NULL;
			b.depth = 0;
		}
		r = on_event(&b, &ev);
		if (r == 0 && type == YAML_DOCUMENT_END_EVENT && b.root &&
		    !pl_node_is_null(b.root)) {
			if (n_docs >= PL_TREE_MAX_DOCS) {
				r = fail(&b, ev.start_mark, "too many documents");
			} else {
				struct pl_node **slot = PL_ARENA_PUSH(a, docs, n_docs);
				if (!slot)
					r = -ENOMEM;
				else
					*slot = b.root;
			}
		}
		yaml_event_delete(&ev);
		if (r < 0 || type == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&parser);
	if (r == -ENOMEM && !b.failed)
		pl_error(d, -ENOMEM, &fpos, NULL, "out of memory while parsing");
	if (r < 0)
		return r;
	*ret_docs = docs;
	return (int)n_docs;
}
