/* test_yamldoc: the streaming YAML loader (typing, strictness, limits, lines). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "jarena.h"
#include "jcopy.h"
#include "yamldoc.h"

struct src {
	const char *s;
	size_t len, pos;
};

static int rd(void *data, unsigned char *buf, size_t size, size_t *size_read)
{
	struct src *s = data;
	size_t n = s->len - s->pos < size ? s->len - s->pos : size;

	memcpy(buf, s->s + s->pos, n);
	s->pos += n;
	*size_read = n;
	return 1;
}

struct docs {
	json_t *v[8];
	int line[8];
	int n;
};

static int collect(void *ud, struct yamldoc *doc)
{
	struct docs *d = ud;

	if (d->n >= 8) {
		json_decref(doc->root);
		return -1;
	}
	d->v[d->n] = doc->root;
	d->line[d->n] = doc->line;
	d->n++;
	return 0;
}

static int parse(const char *text, struct docs *d, struct err *e)
{
	struct src s = { text, strlen(text), 0 };

	memset(d, 0, sizeof(*d));
	err_init(e);
	return yamldoc_parse_stream(rd, &s, collect, d, e);
}

static void release(struct docs *d)
{
	for (int i = 0; i < d->n; i++)
		json_decref(d->v[i]);
}

static void test_yamldoc_parse_stream__scalar_typing(void **state)
{
	struct docs d;
	struct err e;
	json_t *r;

	(void)state;
	assert_int_equal(parse("a: 80\nb: \"80\"\nc: true\nd: ~\ne: 1.5\nf: yes\ng: 0x1f\nh: !!str 12\ni: ''\n", &d, &e), 0);
	assert_int_equal(d.n, 1);
	r = d.v[0];
	assert_true(json_is_integer(json_object_get(r, "a")));
	assert_true(json_is_string(json_object_get(r, "b")));
	assert_true(json_is_true(json_object_get(r, "c")));
	assert_true(json_is_null(json_object_get(r, "d")));
	assert_true(json_is_real(json_object_get(r, "e")));
	assert_string_equal(json_string_value(json_object_get(r, "f")), "yes");
	assert_int_equal(json_integer_value(json_object_get(r, "g")), 31);
	assert_string_equal(json_string_value(json_object_get(r, "h")), "12");
	assert_string_equal(json_string_value(json_object_get(r, "i")), "");
	release(&d);
}

static void test_yamldoc_parse_stream__documents_and_lines(void **state)
{
	struct docs d;
	struct err e;

	(void)state;
	assert_int_equal(parse("# c\n---\na: 1\n---\n---\n\nb: 2\n", &d, &e), 0);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.line[0], 3);
	assert_int_equal(d.line[1], 7);
	release(&d);
}

static void test_yamldoc_parse_stream__json_input(void **state)
{
	struct docs d;
	struct err e;

	(void)state;
	assert_int_equal(parse("{\"a\": [1, \"x\", {\"b\": null}], \"c\":2}", &d, &e), 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(json_array_size(json_object_get(d.v[0], "a")), 3);
	assert_int_equal(json_integer_value(json_object_get(d.v[0], "c")), 2);
	release(&d);
}

static void test_yamldoc_parse_stream__duplicate_key_is_an_error(void **state)
{
	struct docs d;
	struct err e;

	(void)state;
	assert_int_equal(parse("a: 1\nb: 2\na: 3\n", &d, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "duplicate mapping key \"a\""));
	assert_non_null(strstr(e.msg, "line 3"));
	release(&d);
}

static void test_yamldoc_parse_stream__syntax_error_names_the_line(void **state)
{
	struct docs d;
	struct err e;

	(void)state;
	assert_int_equal(parse("ok: 1\n---\na: [1, 2\nb: 3\n", &d, &e), ERR_INVALID);
	assert_int_equal(d.n, 1); /* the first document was delivered */
	assert_non_null(strstr(e.msg, "line "));
	release(&d);
}

static void test_yamldoc_parse_stream__depth_limit(void **state)
{
	struct docs d;
	struct err e;
	char *deep = malloc(20001);

	(void)state;
	assert_non_null(deep);
	memset(deep, '[', 20000);
	deep[20000] = '\0';
	assert_int_equal(parse(deep, &d, &e), ERR_LIMIT);
	assert_non_null(strstr(e.msg, "nesting deeper than"));
	release(&d);
	free(deep);
}

static void test_yamldoc_parse_stream__aliases(void **state)
{
	struct docs d;
	struct err e;

	(void)state;
	assert_int_equal(parse("base: &b {x: 1}\nuse: *b\n", &d, &e), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d.v[0], "use"), "x")), 1);
	release(&d);
	assert_int_equal(parse("a: *nope\n", &d, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "unknown anchor"));
	release(&d);
}

static void test_yamldoc_parse_stream__complex_key_rejected(void **state)
{
	struct docs d;
	struct err e;

	(void)state;
	assert_int_equal(parse("? [a, b]\n: 1\n", &d, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "mapping keys must be scalars"));
	release(&d);
}

static void test_yamldoc_parse_stream__invalid_utf8(void **state)
{
	struct docs d;
	struct err e;

	(void)state;
	assert_int_equal(parse("a: \xc3\x28\n", &d, &e), ERR_INVALID);
	release(&d);
}

/* split mode: scanning hands batches over, building gives the same documents */
struct batches {
	struct yamldoc_batch *v[8];
	int n;
};

static int keep_batch(void *ud, struct yamldoc_batch *batch)
{
	struct batches *bs = ud;

	if (bs->n >= 8) {
		yamldoc_batch_free(batch);
		return -1;
	}
	bs->v[bs->n++] = batch;
	return 0;
}

static int scan_build(const char *text, struct docs *d, struct err *e)
{
	struct src s = { text, strlen(text), 0 };
	struct batches bs = { { NULL }, 0 };
	struct yamldoc_builder *yb = yamldoc_builder_new();
	int rc;

	assert_non_null(yb);
	memset(d, 0, sizeof(*d));
	err_init(e);
	rc = yamldoc_scan_stream(rd, &s, keep_batch, &bs, e);
	for (int i = 0; i < bs.n; i++) {
		int brc = yamldoc_build(yb, bs.v[i], collect, d, e);

		yamldoc_batch_free(bs.v[i]);

		if (brc < 0 && rc == 0)
			rc = brc;
	}
	yamldoc_builder_free(yb);
	return rc;
}

static void test_yamldoc_build__same_documents_as_parse(void **state)
{
	const char *text = "# c\n---\na: 1\nb: [x, {c: 2}]\n---\n---\n\nd: &x {e: 3}\nf: *x\n";
	struct docs p, b;
	struct err e;

	(void)state;
	assert_int_equal(parse(text, &p, &e), 0);
	assert_int_equal(scan_build(text, &b, &e), 0);
	assert_int_equal(p.n, 2);
	assert_int_equal(b.n, 2);
	for (int i = 0; i < 2; i++) {
		assert_true(json_equal(p.v[i], b.v[i]));
		assert_int_equal(p.line[i], b.line[i]);
	}
	release(&p);
	release(&b);
}

/* a batch keeps its events' strings in blocks of its own: a document of more text than
 * one block, a string longer than a quarter block (a block of its own), anchors and
 * tags on scalars and collections come out as the direct parse makes them */
static void test_yamldoc_build__batch_text(void **state)
{
	size_t cap = 64 * 1024;
	char *text = malloc(cap);
	struct docs p, b;
	struct err e;
	size_t n = 0;

	(void)state;
	assert_non_null(text);
	n += (size_t)snprintf(text + n, cap - n, "s: &a !!str 5\nt: *a\nm: &c !!map {k: v}\nu: *c\nlong: ");
	memset(text + n, 'x', 6000);
	n += 6000;
	n += (size_t)snprintf(text + n, cap - n, "\nitems:\n");
	for (int i = 0; i < 1500; i++)
		n += (size_t)snprintf(text + n, cap - n, "  - name-%04d\n", i);
	n += (size_t)snprintf(text + n, cap - n, "---\nafter: [a, b]\n");
	assert_true(n < cap);
	assert_int_equal(parse(text, &p, &e), 0);
	assert_int_equal(scan_build(text, &b, &e), 0);
	assert_int_equal(p.n, 2);
	assert_int_equal(b.n, 2);
	for (int i = 0; i < 2; i++)
		assert_true(json_equal(p.v[i], b.v[i]));
	assert_int_equal(json_string_length(json_object_get(b.v[0], "long")), 6000);
	assert_string_equal(json_string_value(json_object_get(b.v[0], "t")), "5");
	assert_string_equal(json_string_value(json_array_get(json_object_get(b.v[0], "items"), 1499)), "name-1499");
	release(&p);
	release(&b);
	free(text);
}

static void test_yamldoc_build__errors(void **state)
{
	struct docs d;
	struct err e;
	char *deep = malloc(20001);

	(void)state;
	assert_int_equal(scan_build("a: 1\na: 2\n", &d, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "duplicate mapping key"));
	release(&d);
	assert_non_null(deep);
	memset(deep, '[', 20000);
	deep[20000] = '\0';
	/* the scanner refuses the depth itself, before the events pile up */
	assert_int_equal(scan_build(deep, &d, &e), ERR_LIMIT);
	assert_non_null(strstr(e.msg, "nesting deeper than"));
	release(&d);
	free(deep);
}

/* regions: each document is built in a jarena region recycled once it is dropped, so
 * the next document's nodes reuse its memory; what the callback keeps it copies with
 * jarena_keep_begin/end (here from malloc: no keep area), and the copies are the same
 * documents as the plain parse's */
struct copies {
	json_t *v[8];
	uintptr_t root[8];
	int n;
};

static int collect_copy(void *ud, struct yamldoc *doc)
{
	struct copies *c = ud;

	if (c->n >= 8) {
		json_decref(doc->root);
		return -1;
	}
	jarena_keep_begin();
	c->v[c->n] = jcopy(doc->root);
	jarena_keep_end();
	c->root[c->n] = (uintptr_t)doc->root;
	c->n++;
	json_decref(doc->root);
	return 0;
}

static void test_yamldoc_build__regions(void **state)
{
	const char *text = "a: 1\nb: [x, {c: 2}]\n---\nd: &x {e: 3}\nf: *x\n---\ng: 4\n";
	struct src s = { text, strlen(text), 0 };
	struct batches bs = { { NULL }, 0 };
	struct yamldoc_builder *yb = yamldoc_builder_new();
	struct copies c = { { NULL }, { 0 }, 0 };
	struct docs p;
	struct err e;

	(void)state;
	jarena_install();
	assert_non_null(yb);
	assert_true(yamldoc_builder_use_regions(yb));
	assert_true(yamldoc_builder_use_regions(yb)); /* already on */
	/* the region is the thread's: a second builder on this thread cannot have one */
	{
		struct yamldoc_builder *other = yamldoc_builder_new();

		assert_non_null(other);
		assert_false(yamldoc_builder_use_regions(other));
		yamldoc_builder_free(other);
	}
	err_init(&e);
	assert_int_equal(yamldoc_scan_stream(rd, &s, keep_batch, &bs, &e), 0);
	for (int i = 0; i < bs.n; i++) {
		assert_int_equal(yamldoc_build(yb, bs.v[i], collect_copy, &c, &e), 0);
		yamldoc_batch_free(bs.v[i]);
	}
	yamldoc_builder_free(yb);
	assert_int_equal(jarena_close(), 0); /* the builder closed its region */
	assert_int_equal(parse(text, &p, &e), 0);
	assert_int_equal(c.n, 3);
	assert_int_equal(p.n, 3);
	for (int i = 0; i < 3; i++) {
		assert_non_null(c.v[i]);
		assert_true(json_equal(c.v[i], p.v[i]));
		json_decref(c.v[i]);
	}
	/* every document starts where the one before did: the region was recycled */
	assert_true(c.root[1] == c.root[0] && c.root[2] == c.root[0]);
	release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yamldoc_parse_stream__scalar_typing),
		cmocka_unit_test(test_yamldoc_parse_stream__documents_and_lines),
		cmocka_unit_test(test_yamldoc_parse_stream__json_input),
		cmocka_unit_test(test_yamldoc_parse_stream__duplicate_key_is_an_error),
		cmocka_unit_test(test_yamldoc_parse_stream__syntax_error_names_the_line),
		cmocka_unit_test(test_yamldoc_parse_stream__depth_limit),
		cmocka_unit_test(test_yamldoc_parse_stream__aliases),
		cmocka_unit_test(test_yamldoc_parse_stream__complex_key_rejected),
		cmocka_unit_test(test_yamldoc_parse_stream__invalid_utf8),
		cmocka_unit_test(test_yamldoc_build__same_documents_as_parse),
		cmocka_unit_test(test_yamldoc_build__errors),
		cmocka_unit_test(test_yamldoc_build__batch_text),
		cmocka_unit_test(test_yamldoc_build__regions),
	};

	return cmocka_run_group_tests_name("yamldoc", tests, NULL, NULL);
}
