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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jparse__same_values_as_jansson),
		cmocka_unit_test(test_jparse__strings_at_every_offset),
		cmocka_unit_test(test_jparse__duplicate_keys),
		cmocka_unit_test(test_jparse__refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
