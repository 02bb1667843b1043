/* SPDX-License-Identifier: Apache-2.0 */
/* The positioned node tree: positions, defences, JSON. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/policy/tree.h"
#include "shared/arena.h"
#include "tap.h"

struct parsed {
	struct pl_arena *a;
	struct pl_diag d;
	struct pl_node **docs;
	int r;
};

static struct parsed parse(const char *s)
{
	struct parsed p = { .a = pl_arena_new() };
	p.r = pl_tree_parse(p.a, "t.yaml", s, strlen(s), &p.docs, &p.d);
	return p;
}

static void done(struct parsed *p)
{
	pl_diag_clear(&p->d);
	pl_arena_free(p->a);
}

static bool at(const struct pl_node *n, uint32_t line, uint32_t col)
{
	return n && n->pos.line == line && n->pos.col == col;
}

static bool first_error(const struct parsed *p, uint32_t line, uint32_t col, const char *needle)
{
	const struct pl_diag_entry *e = p->d.head;
	if (!e || e->severity != PL_SEV_ERROR)
		return false;
	if (e->line != line || e->col != col)
		tap_diag("error at %u:%u: %s", e->line, e->col, e->message);
	return e->line == line && e->col == col && strstr(e->message, needle);
}

int main(void)
{
	struct parsed p;

	p = parse("a:\n  b: [1, \"x\"]\n  c: plain\n");
	TAP_OK(p.r == 1, "one document");
	if (p.r == 1) {
		struct pl_node *root = p.docs[0];
		struct pl_node *a = pl_node_get(root, "a");
		struct pl_node *b = pl_node_get(a, "b");
		TAP_OK(root->type == PL_NODE_MAP && at(root->pairs[0].key, 1, 1), "key a at 1:1");
		TAP_OK(a && a->type == PL_NODE_MAP && at(a->pairs[0].key, 2, 3), "key b at 2:3");
		TAP_OK(b && b->type == PL_NODE_SEQ && at(b, 2, 6) && b->n_items == 2,
		       "flow list at 2:6 with 2 items");
		TAP_OK(b && at(b->items[0], 2, 7) && !b->items[0]->quoted, "1 plain at 2:7");
		TAP_OK(b && at(b->items[1], 2, 10) && b->items[1]->quoted &&
			   !strcmp(b->items[1]->str, "x"),
		       "\"x\" quoted at 2:10");
		TAP_OK(!strcmp(pl_node_type_name(b->items[0]), "an integer"), "1 is an integer");
		TAP_OK(!strcmp(pl_node_type_name(b->items[1]), "a string"), "\"x\" is a string");
		TAP_OK(!strcmp(pl_node_type_name(pl_node_get(a, "c")), "a string"),
		       "plain is a string");
	}
	done(&p);

	p = parse("a: 1\nb: 2\na: 3\n");
	TAP_OK(p.r == -EINVAL && first_error(&p, 3, 1, "duplicate key 'a'"),
	       "duplicate key refused at its position");
	done(&p);

	p = parse("x: {k: 1, k: 2}\n");
	TAP_OK(p.r < 0 && first_error(&p, 1, 11, "duplicate key 'k'"), "duplicate key in flow map");
	done(&p);

	p = parse("a: &x hello\nb: *x\n");
	TAP_OK(p.r < 0 && first_error(&p, 1, 4, "anchors and aliases"), "anchor refused");
	done(&p);

	p = parse("a: *x\n");
	TAP_OK(p.r < 0, "alias refused");
	done(&p);

	/* billion laughs: refused at the first anchor, no expansion */
	p = parse("a: &a [\"lol\",\"lol\",\"lol\"]\nb: &b [*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b]\n");
	TAP_OK(p.r < 0 && first_error(&p, 1, 4, "anchors"), "billion laughs refused");
	done(&p);

	p = parse("base: {a: 1}\nx:\n  <<: {b: 2}\n");
	TAP_OK(p.r < 0 && first_error(&p, 3, 3, "merge keys"), "merge key refused");
	done(&p);

	p = parse("a: !!python/object:os.system ls\n");
	TAP_OK(p.r < 0 && strstr(p.d.head->message, "tag"), "unknown tag refused");
	done(&p);

	p = parse("a: !!str 123\n");
	TAP_OK(p.r == 1 && pl_node_get(p.docs[0], "a")->quoted, "!!str makes a string");
	done(&p);

	p = parse("a: \"x\\0y\"\n");
	TAP_OK(p.r < 0 && strstr(p.d.head->message, "NUL"), "NUL in a string refused");
	done(&p);

	p = parse("a: \xff\xfe\n");
	TAP_OK(p.r < 0 && p.d.n_errors == 1 && p.d.head->line == 1, "invalid UTF-8 refused");
	done(&p);

	p = parse("? [1, 2]\n: x\n");
	TAP_OK(p.r < 0 && strstr(p.d.head->message, "keys"), "complex key refused");
	done(&p);

	{
		char deep[400];
		size_t n = 0;
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "a: ");
		for (int i = 0; i < 70; i++)
			deep[n++] = '[';
		for (int i = 0; i < 70; i++)
			deep[n++] = ']';
		deep[n] = 0;
		p = parse(deep);
		TAP_OK(p.r < 0 && strstr(p.d.head->message, "nesting"), "nesting limit");
		done(&p);
		/* 60 levels are fine */
		n = 3;
		for (int i = 0; i < 60; i++)
			deep[n++] = '[';
		for (int i = 0; i < 60; i++)
			deep[n++] = ']';
		deep[n] = 0;
		p = parse(deep);
		TAP_OK(p.r == 1, "60 levels accepted");
		done(&p);
	}

	{
		size_t len = PL_TREE_MAX_INPUT + 1;
		char *big = malloc(len);
		memset(big, ' ', len);
		struct parsed q = { .a = pl_arena_new() };
		q.r = pl_tree_parse(q.a, "big", big, len, &q.docs, &q.d);
		TAP_OK(q.r == -EFBIG, "size limit");
		done(&q);
		free(big);
	}

	p = parse("---\na: 1\n---\n# only a comment\n---\nb: 2\n...\n");
	TAP_OK(p.r == 2, "two non-empty documents of three");
	TAP_OK(p.r == 2 && at(p.docs[1]->pairs[0].key, 6, 1), "second document key at 6:1");
	done(&p);

	p = parse("{\n  \"a\": {\"b\": 1},\n  \"c\": [true, \"d\"]\n}\n");
	TAP_OK(p.r == 1, "JSON parsed");
	if (p.r == 1) {
		struct pl_node *a = pl_node_get(p.docs[0], "a");
		struct pl_node *c = pl_node_get(p.docs[0], "c");
		TAP_OK(a && at(a->pairs[0].key, 2, 9), "JSON key b at 2:9");
		TAP_OK(c && c->n_items == 2 && at(c->items[1], 3, 15) && c->items[1]->quoted,
		       "JSON string at 3:15");
		TAP_OK(c && !strcmp(pl_node_type_name(c->items[0]), "a boolean"), "JSON true");
	}
	done(&p);

	p = parse("{\n  \"a\": 1,\n  \"b\": x\n}\n");
	TAP_OK(p.r < 0 && first_error(&p, 3, 8, "invalid JSON"), "JSON syntax error line:col");
	done(&p);

	p = parse("{\"a\": 1, \"a\": 2}");
	TAP_OK(p.r < 0 && first_error(&p, 1, 10, "duplicate key"), "JSON duplicate key");
	done(&p);

	p = parse("\xef\xbb\xbf  [ {\"a\": 1} ]");
	TAP_OK(p.r == 1 && p.docs[0]->type == PL_NODE_SEQ, "JSON with BOM, top-level array");
	done(&p);

	TAP_OK(pl_tree_is_json(" \n{", 3) && !pl_tree_is_json("a: {", 4), "JSON detection");

	p = parse("");
	TAP_OK(p.r == 0, "empty input: no documents");
	done(&p);

	return tap_done();
}
