/* test_jwrite: the compact JSON writer against jansson, the reference reader/writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jwrite.h"
#include "testutil.h"

/* Every byte that needs escaping, at every offset around the 8-byte steps of the
 * scanner, in strings of every length up to 40: jansson reads back the same bytes. */
static void test_jwrite__strings_round_trip(void **state)
{
	static const unsigned char special[] = { 0x00, 0x01, 0x08, 0x0a, 0x1f, '"', '\\', 0x20, 0x7f, 0xc3 };

	(void)state;
	for (size_t len = 0; len <= 40; len++) {
		for (size_t at = 0; at < len || (len == 0 && at == 0); at++) {
			for (size_t k = 0; k < sizeof(special); k++) {
				char in[48];
				struct jwbuf b = { 0 };
				json_error_t je;
				json_t *back;
				char *text;
				size_t n;

				for (size_t i = 0; i < len; i++)
					in[i] = (char)('a' + i % 26);
				if (len > 0) {
					in[at] = (char)special[k];
					if (special[k] == 0xc3) { /* a whole UTF-8 sequence: "é" */
						if (at + 1 >= len)
							continue;
						in[at + 1] = (char)0xa9;
					}
				}
				jwrite_str(&b, in, len);
				text = jwrite_finish(&b, &n);
				assert_non_null(text);
				assert_int_equal(n, strlen(text));
				back = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
				if (back == NULL)
					fail_msg("len %zu at %zu byte %02x: %s does not parse: %s", len, at, special[k], text,
						 je.text);
				assert_int_equal(json_string_length(back), len);
				assert_memory_equal(json_string_value(back), in, len);
				json_decref(back);
				free(text);
			}
			if (len == 0)
				break;
		}
	}
}

/* Values: the same text as json_dumps(JSON_COMPACT [| JSON_SORT_KEYS]). */
static void test_jwrite__values_like_jansson(void **state)
{
	static const char *const docs[] = {
		"{'b':1,'a':[true,false,null,-7,'x\\\"y'],'c':{'z':'1','y':{}},'d':[],'e':'caf\\u00e9'}",
		"[{'op':'add','path':'/metadata/annotations/a~1b','value':{'k':'v'}}]",
		"{'only':'one','ctl':'a\\n\\t\\r\\b\\f\\u0001\\\\z'}",
		"[]",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		json_t *v = testutil_json(docs[i]);

		for (int sorted = 0; sorted < 2; sorted++) {
			char *want = json_dumps(v, JSON_COMPACT | (sorted ? JSON_SORT_KEYS : 0));
			char *got = jwrite_dump(v, sorted, 0);

			assert_non_null(got);
			assert_string_equal(got, want);
			free(got);
			free(want);
		}
		json_decref(v);
	}
}

/* Deeper than max_depth: refused, nothing returned, no leak. */
static void test_jwrite__depth_cap(void **state)
{
	json_t *v = json_array(), *inner = v;

	(void)state;
	for (int i = 0; i < 40; i++) {
		json_t *a = json_array();

		json_array_append_new(inner, a);
		inner = a;
	}
	assert_null(jwrite_dump(v, false, 32));
	{
		char *t = jwrite_dump(v, false, 64);

		assert_non_null(t);
		free(t);
	}
	json_decref(v);
}

/* The pieces an answer is built from, and jwrite_space. */
static void test_jwrite__pieces(void **state)
{
	struct jwbuf b = { 0 };
	char *t, *sp;

	(void)state;
	jwrite_lit(&b, "{\"n\":");
	jwrite_int(&b, -42);
	jwrite_lit(&b, ",\"s\":");
	jwrite_cstr(&b, NULL);
	jwrite_lit(&b, ",\"p\":\"");
	sp = jwrite_space(&b, 3);
	assert_non_null(sp);
	memcpy(sp, "abc", 3);
	jwrite_lit(&b, "\"}");
	t = jwrite_finish(&b, NULL);
	assert_string_equal(t, "{\"n\":-42,\"s\":null,\"p\":\"abc\"}");
	free(t);
	/* nothing written: the empty string */
	t = jwrite_finish(&b, NULL);
	assert_string_equal(t, "");
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jwrite__strings_round_trip),
		cmocka_unit_test(test_jwrite__values_like_jansson),
		cmocka_unit_test(test_jwrite__depth_cap),
		cmocka_unit_test(test_jwrite__pieces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
