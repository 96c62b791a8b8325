/* test_jintern: equal subtrees of different documents become one node; values,
 * member order and types are kept; the documents outlive the table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <jansson.h>

#include "jintern.h"

static json_t *route(const char *name, const char *gw)
{
	return json_pack("{s:{s:s,s:s},s:{s:[{s:s,s:s}],s:[s,s],s:[{s:[s]}]}}", "metadata", "name", name, "namespace",
			 "apps", "spec", "parentRefs", "name", gw, "sectionName", "https", "hostnames", "a.example.com",
			 "b.example.com", "rules", "matches", "PathPrefix /shop");
}

static void test_jintern__equal_parts_shared(void **state)
{
	struct jintern t;
	json_t *a = route("one", "edge"), *b = route("two", "edge"), *c = route("three", "other");
	json_t *a0 = json_deep_copy(a), *b0 = json_deep_copy(b), *c0 = json_deep_copy(c);

	(void)state;
	jintern_init(&t);
	assert_int_equal(jintern_children(&t, a), 0);
	assert_int_equal(jintern_children(&t, b), 0);
	assert_int_equal(jintern_children(&t, c), 0);
	/* the documents are unchanged in value */
	assert_true(json_equal(a, a0));
	assert_true(json_equal(b, b0));
	assert_true(json_equal(c, c0));
	/* a and b: the same spec, so one node; their metadata differ */
	assert_ptr_equal(json_object_get(a, "spec"), json_object_get(b, "spec"));
	assert_ptr_not_equal(json_object_get(a, "metadata"), json_object_get(b, "metadata"));
	/* c: another parent, but the same hostnames and rules */
	json_t *sa = json_object_get(a, "spec"), *sc = json_object_get(c, "spec");

	assert_ptr_not_equal(sa, sc);
	assert_ptr_not_equal(json_object_get(sa, "parentRefs"), json_object_get(sc, "parentRefs"));
	assert_ptr_equal(json_object_get(sa, "hostnames"), json_object_get(sc, "hostnames"));
	assert_ptr_equal(json_object_get(sa, "rules"), json_object_get(sc, "rules"));
	/* leaves: the namespace string is one node in all three */
	assert_ptr_equal(json_object_get(json_object_get(a, "metadata"), "namespace"),
			 json_object_get(json_object_get(c, "metadata"), "namespace"));
	assert_true(t.shared > 0);
	/* the documents keep the shared nodes alive after the table goes */
	jintern_release(&t);
	assert_true(json_equal(a, a0));
	assert_true(json_equal(c, c0));
	json_decref(a);
	assert_true(json_equal(b, b0));
	json_decref(b);
	json_decref(c);
	json_decref(a0);
	json_decref(b0);
	json_decref(c0);
}

static void test_jintern__types_and_order_distinct(void **state)
{
	struct jintern t;
	json_t *a = json_pack("{s:{s:i,s:i},s:i,s:s}", "m", "x", 1, "y", 2, "n", 1, "s", "1");
	json_t *b = json_pack("{s:{s:i,s:i},s:f,s:i}", "m", "y", 2, "x", 1, "n", 1.0, "s", 1);

	(void)state;
	jintern_init(&t);
	assert_int_equal(jintern_children(&t, a), 0);
	assert_int_equal(jintern_children(&t, b), 0);
	/* members in another order: another node (iteration order is part of the value) */
	assert_ptr_not_equal(json_object_get(a, "m"), json_object_get(b, "m"));
	/* 1, 1.0 and "1" stay three different values */
	assert_true(json_is_integer(json_object_get(a, "n")));
	assert_true(json_is_real(json_object_get(b, "n")));
	assert_true(json_is_string(json_object_get(a, "s")));
	assert_true(json_is_integer(json_object_get(b, "s")));
	/* the integer 1 under "x" of a and under "s" of b is one node */
	assert_ptr_equal(json_object_get(json_object_get(a, "m"), "x"), json_object_get(b, "s"));
	jintern_release(&t);
	json_decref(a);
	json_decref(b);
}

/* strings are compared by length and bytes: "a\0b" twice is one node, never "a" */
static void test_jintern__nul_strings_by_length(void **state)
{
	struct jintern t;
	json_t *a = json_pack("{s:s%}", "k", "a\0b", (size_t)3);
	json_t *b = json_pack("{s:s%}", "k", "a\0b", (size_t)3);
	json_t *c = json_pack("{s:s}", "k", "a");

	(void)state;
	jintern_init(&t);
	assert_int_equal(jintern_children(&t, a), 0);
	assert_int_equal(jintern_children(&t, b), 0);
	assert_int_equal(jintern_children(&t, c), 0);
	assert_ptr_equal(json_object_get(a, "k"), json_object_get(b, "k"));
	assert_int_equal(json_string_length(json_object_get(a, "k")), 3);
	/* "a\0b" is not confused with "a" */
	assert_ptr_not_equal(json_object_get(a, "k"), json_object_get(c, "k"));
	jintern_release(&t);
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jintern__equal_parts_shared),
		cmocka_unit_test(test_jintern__types_and_order_distinct),
		cmocka_unit_test(test_jintern__nul_strings_by_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
