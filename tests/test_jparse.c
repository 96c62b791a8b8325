/* test_jparse: the webhook's JSON reader: what it accepts (the same values as
 * jansson's loader) and where it reports what it refuses, duplicate keys included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "err.h"
#include "jparse.h"

static void refused_at(const char *text, unsigned max_depth, int code, const char *msg)
{
	struct err e;
	json_t *v;

	err_init(&e);
	v = jparse(text, strlen(text), max_depth, &e);
	if (v != NULL)
		fail_msg("accepted: %s", text);
	assert_int_equal(e.code, code);
	if (strcmp(e.msg, msg) != 0)
		fail_msg("%s\n  gave: %s\n  want: %s", text, e.msg, msg);
}

static void refused(const char *text, int code, const char *msg)
{
	refused_at(text, 100, code, msg);
}

static void test_jparse__same_values_as_jansson(void **state)
{
	static const char *const texts[] = {
		"{}", "[]", "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}", " [1.5, -2, 1e3, \"\\u00e9\\n\"] ",
		"{\"a\":{\"a\":{\"a\":1}},\"b\":{\"a\":2}}", "\"x\"", "{\"\":0}",
		/* integers at the edges of json_int_t, and keys with escapes (copied out of
		 * the scratch buffer the value then reuses) */
		"[0, -0, 7, -7, 9223372036854775807, -9223372036854775808, 922337203685477580, -922337203685477580]",
		"{\"k\\u00e9y\":\"v\\u00e9\",\"k\\\"2\":{\"\\n\":[\"\\t\"]}}",
		/* reals longer than read_number's buffer (JSON sets no limit on digits), one
		 * under a key read into the scratch buffer the long real then uses */
		"[0.10000000000000000000000000000000000000000000000000000000000000000000000001,"
		" 6666666666666666666666666666666666666666666666666666666666666666666666666666.5,"
		" {\"k\\u00e9\":1.000000000000000000000000000000000000000000000000000000000000000000000e-5}]",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct err e;
		json_error_t je;
		json_t *got, *want;

		err_init(&e);
		got = jparse(texts[i], strlen(texts[i]), 100, &e);
		want = json_loads(texts[i], JSON_DECODE_ANY, &je);
		assert_non_null(want);
		if (got == NULL)
			fail_msg("%s: %s", texts[i], e.msg);
		assert_true(json_equal(got, want));
		json_decref(got);
		json_decref(want);
	}
}

/* Strings are scanned eight bytes at a time: put each byte that ends a plain run
 * (the closing quote, an escape, a UTF-8 sequence, a control character, invalid UTF-8)
 * at every offset of strings of 0 to 24 bytes, as a key and as a value, with the text
 * ending right after the string or not, and compare with jansson's loader, accepted
 * or refused. */
static void test_jparse__strings_at_every_offset(void **state)
{
	static const char *const specials[] = { "", "\\\"", "\\n", "\\u00e9", "\xc3\xa9", "\xe2\x82\xac",
						"\x01", "\x1f", "\xff", "\xc3", "\\" };
	char text[128], body[64];

	(void)state;
	for (size_t sp = 0; sp < sizeof(specials) / sizeof(specials[0]); sp++) {
		for (size_t len = 0; len <= 24; len++) {
			for (size_t at = 0; at <= len; at++) {
				for (int shape = 0; shape < 3; shape++) {
					struct err e;
					json_error_t je;
					json_t *got, *want;

					snprintf(body, sizeof(body), "%.*s%s%.*s", (int)at, "abcdefghijklmnopqrstuvwxyz",
						 specials[sp], (int)(len - at), "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
					if (shape == 0)
						snprintf(text, sizeof(text), "\"%s\"", body);
					else if (shape == 1)
						snprintf(text, sizeof(text), "{\"%s\":1}", body);
					else
						snprintf(text, sizeof(text), "[\"%s\", \"tail text past eight\"]", body);
					err_init(&e);
					got = jparse(text, strlen(text), 100, &e);
					want = json_loads(text, JSON_DECODE_ANY, &je);
					if ((got == NULL) != (want == NULL))
						fail_msg("%s: jparse %s, jansson %s", text, got ? "accepts" : e.msg,
							 want ? "accepts" : je.text);
					if (got != NULL && !json_equal(got, want))
						fail_msg("%s: a different value", text);
					json_decref(got);
					json_decref(want);
				}
			}
		}
	}
	/* unterminated, the text ending inside a plain run longer than eight bytes */
	refused("\"abcdefghijklmnop", ERR_INVALID, "line 1 column 1: unterminated string");
}

/* A duplicate is reported where its key ends, also when what follows it is broken:
 * it comes first in the text. */
static void test_jparse__duplicate_keys(void **state)
{
	struct err e;
	json_t *v;

	(void)state;
	refused("{\"a\":1,\"a\":2}", ERR_INVALID, "line 1 column 11: duplicate object key");
	refused("{\"a\":1,\"a\" : {\"deep\":[1,2,3]}}", ERR_INVALID, "line 1 column 11: duplicate object key");
	refused("{\"x\":{\"a\":1,\n\"b\":2,\n  \"a\":3}}", ERR_INVALID, "line 3 column 6: duplicate object key");
	refused("{\"a\":1,\"a\":[1,}", ERR_INVALID, "line 1 column 11: duplicate object key");
	refused("{\"a\":1,\"a\":2,}", ERR_INVALID, "line 1 column 11: duplicate object key");
	refused("{\"k\":\"v\",\"k\"", ERR_INVALID, "line 1 column 13: duplicate object key");
	/* deeper than the cap after a duplicate: the duplicate still comes first */
	refused_at("{\"a\":1,\"a\":[[[[1]]]]}", 3, ERR_INVALID, "line 1 column 11: duplicate object key");
	refused_at("{\"a\":1,\"b\":[[[[1]]]]}", 3, ERR_LIMIT, "line 1 column 14: nested deeper than 3 levels");
	/* equal keys in different objects are not duplicates */
	err_init(&e);
	v = jparse("{\"a\":{\"a\":1},\"b\":{\"a\":1}}", strlen("{\"a\":{\"a\":1},\"b\":{\"a\":1}}"), 100, &e);
	assert_non_null(v);
	assert_int_equal(json_object_size(v), 2);
	json_decref(v);
}

static void test_jparse__refusals(void **state)
{
	(void)state;
	refused("{\"a\\u0000\":1}", ERR_INVALID, "line 1 column 4: \\u0000 is not allowed in strings");
	refused("[1,]", ERR_INVALID, "line 1 column 4: invalid number");
	refused("[9223372036854775808]", ERR_INVALID, "line 1 column 2: integer out of range");
	refused("[-9223372036854775809]", ERR_INVALID, "line 1 column 2: integer out of range");
	refused("{\"x\":99999999999999999999}", ERR_INVALID, "line 1 column 6: integer out of range");
	/* a duplicate written with an escape is still the same key */
	refused("{\"ab\":1,\"a\\u0062\":2}", ERR_INVALID, "line 1 column 18: duplicate object key");
}

static const char *const old_path[] = { "request", "oldObject" };

/* jparse_defer(text) with request.oldObject deferred: the tree equals want (JSON),
 * the deferred text equals span (NULL: none) */
static void deferred(const char *text, const char *want, const char *span)
{
	struct jparse_deferred d = { .keys = old_path, .nkeys = 2 };
	struct err e;
	json_error_t je;
	json_t *got, *w;

	err_init(&e);
	got = jparse_defer(text, strlen(text), 100, &d, &e);
	if (got == NULL)
		fail_msg("%s: %s", text, e.msg);
	w = json_loads(want, JSON_DECODE_ANY, &je);
	assert_non_null(w);
	if (!json_equal(got, w))
		fail_msg("%s: tree differs from %s", text, want);
	if (span == NULL) {
		assert_null(d.at);
	} else {
		assert_non_null(d.at);
		assert_int_equal(d.len, strlen(span));
		assert_memory_equal(d.at, span, d.len);
		/* the deferred text lies in the input */
		assert_true(d.at >= text && d.at + d.len <= text + strlen(text));
	}
	json_decref(got);
	json_decref(w);
}

static void test_jparse__deferred_member(void **state)
{
	(void)state;
	deferred("{\"request\":{\"uid\":\"u\",\"oldObject\": {\"a\":[1,-2.5e3,{\"b\":\"c\\u00e9\"}],\"t\":true} ,\"x\":1}}",
		 "{\"request\":{\"uid\":\"u\",\"x\":1}}", "{\"a\":[1,-2.5e3,{\"b\":\"c\\u00e9\"}],\"t\":true}");
	/* scalars and empty containers are deferred too */
	deferred("{\"request\":{\"oldObject\":null}}", "{\"request\":{}}", "null");
	deferred("{\"request\":{\"oldObject\":[]}}", "{\"request\":{}}", "[]");
	deferred("{\"request\":{\"oldObject\":\"s\"},\"z\":[]}", "{\"request\":{},\"z\":[]}", "\"s\"");
	/* only that path: the same key elsewhere is built */
	deferred("{\"oldObject\":1,\"request\":{\"request\":{\"oldObject\":2}},\"r\":{\"oldObject\":3}}",
		 "{\"oldObject\":1,\"request\":{\"request\":{\"oldObject\":2}},\"r\":{\"oldObject\":3}}", NULL);
	deferred("[{\"request\":{\"oldObject\":1}}]", "[{\"request\":{\"oldObject\":1}}]", NULL);
	deferred("{\"request\":[{\"oldObject\":1}]}", "{\"request\":[{\"oldObject\":1}]}", NULL);
	deferred("{\"request\":{\"uid\":\"u\"}}", "{\"request\":{\"uid\":\"u\"}}", NULL);
	/* after the deferred member, its siblings and the rest are built as usual */
	deferred("{\"request\":{\"oldObject\":{\"oldObject\":{}},\"object\":{\"oldObject\":1}},\"b\":2}",
		 "{\"request\":{\"object\":{\"oldObject\":1}},\"b\":2}", "{\"oldObject\":{}}");
}

/* Inside the deferred value the text is held to the same rules, with the same message
 * at the same place, as when it is built: every refusal jparse makes of these is made
 * by jparse_defer too, except a duplicate key inside the deferred value (documented). */
static void test_jparse__deferred_member_is_checked(void **state)
{
	static const char *const texts[] = {
		"{\"request\":{\"oldObject\":{\"a\":tru}}}",
		"{\"request\":{\"oldObject\":{\"a\":[1,]}}}",
		"{\"request\":{\"oldObject\":{\"a\":9223372036854775808}}}",
		"{\"request\":{\"oldObject\":{\"a\":1e999}}}",
		"{\"request\":{\"oldObject\":{\"a\":\"\\u0000\"}}}",
		"{\"request\":{\"oldObject\":{\"a\":\"\\ud800\"}}}",
		"{\"request\":{\"oldObject\":{\"a\":\"\xc3\x28\"}}}",
		"{\"request\":{\"oldObject\":{\"a\":\"\x01\"}}}",
		"{\"request\":{\"oldObject\":{\"a\" 1}}}",
		"{\"request\":{\"oldObject\":{\"a\":1 \"b\":2}}}",
		"{\"request\":{\"oldObject\":{1:2}}}",
		"{\"request\":{\"oldObject\":{\"a\":[[[[[[[[[[1]]]]]]]]]]}}}",
		"{\"request\":{\"oldObject\":{\"a\":1}",
		"{\"request\":{\"oldObject\":",
		"{\"request\":{\"oldObject\":{}}} x",
		/* a second oldObject is a duplicate key, deferred or not */
		"{\"request\":{\"oldObject\":{},\"oldObject\":{}}}",
		"{\"request\":{\"oldObject\":1,\n \"oldObject\":[1,}}",
		"{\"request\":{\"uid\":1,\"uid\":2,\"oldObject\":{}}}",
	};
	const char *dup = "{\"request\":{\"oldObject\":{\"a\":1,\"a\":2}}}";
	const char *deep = "{\"request\":{\"oldObject\":{\"a\":{}}}}", *flat = "{\"request\":{\"oldObject\":{\"a\":1}}}";
	struct jparse_deferred d = { .keys = old_path, .nkeys = 2 };
	struct err e1, e2;
	json_t *v;

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		err_init(&e1);
		err_init(&e2);
		assert_null(jparse(texts[i], strlen(texts[i]), 10, &e1));
		v = jparse_defer(texts[i], strlen(texts[i]), 10, &d, &e2);
		if (v != NULL)
			fail_msg("accepted: %s", texts[i]);
		assert_int_equal(e2.code, e1.code);
		if (strcmp(e1.msg, e2.msg) != 0)
			fail_msg("%s\n  jparse: %s\n  deferred: %s", texts[i], e1.msg, e2.msg);
	}
	/* the one difference: a duplicate inside the deferred value is found only when
	 * that text is built */
	err_init(&e1);
	v = jparse_defer(dup, strlen(dup), 10, &d, &e1);
	assert_non_null(v);
	assert_non_null(d.at);
	json_decref(v);
	assert_null(jparse(d.at, d.len, 8, &e1));
	assert_int_equal(e1.code, ERR_INVALID);
	/* the depth cap counts the containers around the deferred value */
	err_init(&e1);
	v = jparse_defer(deep, strlen(deep), 3, &d, &e1);
	assert_null(v);
	assert_int_equal(e1.code, ERR_LIMIT);
	err_init(&e1);
	v = jparse_defer(flat, strlen(flat), 3, &d, &e1);
	assert_non_null(v);
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jparse__same_values_as_jansson),
		cmocka_unit_test(test_jparse__strings_at_every_offset),
		cmocka_unit_test(test_jparse__duplicate_keys),
		cmocka_unit_test(test_jparse__refusals),
		cmocka_unit_test(test_jparse__deferred_member),
		cmocka_unit_test(test_jparse__deferred_member_is_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
