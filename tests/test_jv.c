/* test_jv: jv_pick reads what jv_get would, key by key, whether it walks the object's
 * members (small objects) or looks the keys up (large ones). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "jv.h"

static const char *const keys[] = { "group", "kind", "name", "port", "filters" };
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

/* jv_pick's answer equals jv_get's for every key */
static void assert_same_as_get(const json_t *obj)
{
	json_t *v[NKEYS];

	jv_pick(obj, keys, NKEYS, v);
	for (size_t i = 0; i < NKEYS; i++)
		assert_ptr_equal(v[i], jv_get(obj, keys[i]));
}

static void test_jv__pick_small_object(void **state)
{
	json_t *ref = json_pack("{s:s, s:s, s:i, s:n, s:s}", "name", "echo", "kind", "Service", "port", 80, "group",
				"weight", "unrelated");
	json_t *v[NKEYS];

	(void)state;
	assert_non_null(ref);
	jv_pick(ref, keys, NKEYS, v);
	assert_null(v[0]); /* null reads as absent, as with jv_get */
	assert_string_equal(jv_as_str(v[1]), "Service");
	assert_string_equal(jv_as_str(v[2]), "echo");
	assert_int_equal(json_integer_value(v[3]), 80);
	assert_null(v[4]);
	assert_same_as_get(ref);
	json_decref(ref);
}

static void test_jv__pick_large_object(void **state)
{
	json_t *obj = json_object();
	char k[16];

	(void)state;
	/* more members than a walk is worth: looked up, with the same answers */
	for (int i = 0; i < 40; i++) {
		snprintf(k, sizeof(k), "m%d", i);
		json_object_set_new(obj, k, json_integer(i));
	}
	json_object_set_new(obj, "port", json_integer(443));
	json_object_set_new(obj, "filters", json_array());
	assert_same_as_get(obj);
	json_decref(obj);
}

static void test_jv__pick_not_an_object(void **state)
{
	json_t *arr = json_array();
	json_t *v[NKEYS];

	(void)state;
	for (size_t i = 0; i < NKEYS; i++)
		v[i] = arr;
	jv_pick(NULL, keys, NKEYS, v);
	for (size_t i = 0; i < NKEYS; i++)
		assert_null(v[i]);
	for (size_t i = 0; i < NKEYS; i++)
		v[i] = arr;
	jv_pick(arr, keys, NKEYS, v);
	for (size_t i = 0; i < NKEYS; i++)
		assert_null(v[i]);
	json_decref(arr);
}

/* a key that holds a NUL is not the key its first bytes spell */
static void test_jv__pick_key_with_nul(void **state)
{
	json_t *obj = json_object();
	json_t *v[NKEYS];

	(void)state;
	json_object_setn_new(obj, "kind\0x", 6, json_string("Gateway"));
	json_object_set_new(obj, "name", json_string("gw"));
	jv_pick(obj, keys, NKEYS, v);
	assert_null(v[1]);
	assert_string_equal(jv_as_str(v[2]), "gw");
	assert_same_as_get(obj);
	/* the real key after the look-alike is still found */
	json_object_set_new(obj, "kind", json_string("Service"));
	jv_pick(obj, keys, NKEYS, v);
	assert_string_equal(jv_as_str(v[1]), "Service");
	assert_same_as_get(obj);
	json_decref(obj);
}

static void test_jv__as_helpers(void **state)
{
	json_t *s = json_string("x"), *i = json_integer(7), *a = json_array(), *o = json_object();
	long long n = 0;

	(void)state;
	assert_string_equal(jv_as_str(s), "x");
	assert_null(jv_as_str(i));
	assert_true(jv_as_int(i, &n));
	assert_int_equal(n, 7);
	assert_false(jv_as_int(s, &n));
	assert_false(jv_as_int(NULL, &n));
	assert_ptr_equal(jv_as_arr(a), a);
	assert_null(jv_as_arr(o));
	assert_ptr_equal(jv_as_obj(o), o);
	assert_null(jv_as_obj(NULL));
	json_decref(s);
	json_decref(i);
	json_decref(a);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jv__pick_small_object),
		cmocka_unit_test(test_jv__pick_large_object),
		cmocka_unit_test(test_jv__pick_not_an_object),
		cmocka_unit_test(test_jv__pick_key_with_nul),
		cmocka_unit_test(test_jv__as_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
