/* test_jcopy: core/jcopy.h. A copy equals the original (json_equal, and the same text
 * with keys in the same order), shares nothing with it but true, false and null, keeps
 * keys with NUL bytes and non-ASCII text whole, and stops at JCOPY_DEPTH_MAX. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jcopy.h"

static const char *const docs[] = {
	"{}",
	"[]",
	"{\"a\":1,\"b\":[true,false,null,1.5,-7,\"x\"],\"c\":{\"d\":{\"e\":[[],{}]}}}",
	"{\"zeta\":1,\"alpha\":2,\"mid\":3}",
	"{\"apiVersion\":\"gateway.networking.k8s.io/v1\",\"kind\":\"HTTPRoute\",\"metadata\":{\"name\":\"r\","
	"\"namespace\":\"ns\",\"labels\":{\"app\":\"\\u00e9t\\u00e9 \\u2603\"}},\"spec\":{\"rules\":[{\"matches\":["
	"{\"path\":{\"type\":\"PathPrefix\",\"value\":\"/\"}}],\"backendRefs\":[{\"name\":\"s\",\"port\":8080}]}]}}",
	"[9223372036854775807,-9223372036854775807,1e300,\"\"]",
};

static void assert_same_text(const json_t *a, const json_t *b)
{
	char *ta = json_dumps(a, JSON_ENCODE_ANY), *tb = json_dumps(b, JSON_ENCODE_ANY);

	assert_non_null(ta);
	assert_non_null(tb);
	assert_string_equal(ta, tb);
	free(ta);
	free(tb);
}

static void test_equal(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		json_error_t e;
		json_t *v = json_loads(docs[i], 0, &e), *c;

		assert_non_null(v);
		c = jcopy(v);
		assert_non_null(c);
		assert_ptr_not_equal(c, v);
		assert_true(json_equal(c, v));
		assert_same_text(c, v); /* the same key order */
		json_decref(v);
		json_decref(c);
	}
	assert_null(jcopy(NULL));
}

/* changing the copy leaves the original alone: nothing but the singletons is shared */
static void test_independent(void **state)
{
	json_t *v = json_loads("{\"s\":\"text\",\"o\":{\"n\":1},\"a\":[1,{\"k\":\"v\"}],\"t\":true}", 0, NULL);
	json_t *c = jcopy(v);

	(void)state;
	assert_non_null(c);
	assert_ptr_not_equal(json_object_get(c, "s"), json_object_get(v, "s"));
	assert_ptr_not_equal(json_object_get(c, "o"), json_object_get(v, "o"));
	assert_ptr_equal(json_object_get(c, "t"), json_true());
	json_object_set_new(json_object_get(c, "o"), "n", json_integer(2));
	json_object_set_new(json_array_get(json_object_get(c, "a"), 1), "k", json_string("changed"));
	json_string_set(json_object_get(c, "s"), "other");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "o"), "n")), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(v, "a"), 1), "k")), "v");
	assert_string_equal(json_string_value(json_object_get(v, "s")), "text");
	json_decref(v);
	json_decref(c);
}

/* keys are copied by length: one with a NUL byte in it stays whole, and a string value
 * with a NUL byte keeps its length */
static void test_nul_bytes(void **state)
{
	json_t *v = json_object(), *c;

	(void)state;
	assert_int_equal(json_object_setn_new(v, "a\0b", 3, json_stringn("x\0y", 3)), 0);
	assert_int_equal(json_object_set_new(v, "a", json_integer(1)), 0);
	c = jcopy(v);
	assert_non_null(c);
	assert_int_equal(json_object_size(c), 2);
	assert_non_null(json_object_getn(c, "a\0b", 3));
	assert_int_equal(json_string_length(json_object_getn(c, "a\0b", 3)), 3);
	assert_memory_equal(json_string_value(json_object_getn(c, "a\0b", 3)), "x\0y", 3);
	assert_int_equal(json_integer_value(json_object_get(c, "a")), 1);
	/* (json_equal cannot compare such keys: it looks them up without their length) */
	json_decref(v);
	json_decref(c);
}

static json_t *nested(int depth)
{
	json_t *v = json_integer(0);

	for (int i = 0; i < depth; i++) {
		json_t *a = json_array();

		assert_non_null(a);
		assert_int_equal(json_array_append_new(a, v), 0);
		v = a;
	}
	return v;
}

/* JCOPY_DEPTH_MAX levels below the top are copied; one more is refused (NULL), and
 * what was made on the way is freed (LeakSanitizer checks in the sanitizer builds) */
static void test_depth(void **state)
{
	json_t *ok = nested(JCOPY_DEPTH_MAX), *deep = nested(JCOPY_DEPTH_MAX + 1), *c;

	(void)state;
	c = jcopy(ok);
	assert_non_null(c);
	assert_true(json_equal(c, ok));
	json_decref(c);
	assert_null(jcopy(deep));
	/* whatever serve's --json-depth-max lets in (2000 at most) is copied: the
	 * mutation copy of a review must not fail for depth */
	assert_true(JCOPY_DEPTH_MAX >= 2000);
	json_decref(ok);
	json_decref(deep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_independent),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_depth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
