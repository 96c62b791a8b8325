/* test_hmap: the string-keyed hash map: growth, replace, delete, iteration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hmap.h"

#define MANY 150000

/* Values are small integers disguised as pointers, so nothing needs freeing. */
#define V(i) ((void *)(uintptr_t)((i) + 1))

static void test_hmap_put__grows_past_100000_keys(void **state)
{
	struct hmap m = HMAP_INIT;
	char key[32];

	(void)state;
	for (int i = 0; i < MANY; i++) {
		void *old = V(-2);

		snprintf(key, sizeof(key), "ns-%d/route-%d", i % 97, i);
		assert_int_equal(hmap_put(&m, key, V(i), &old), 0);
		assert_null(old);
		/* the 0.7 load bound holds after every insert */
		assert_true(m.n * 10 <= m.cap * 7);
	}
	assert_int_equal(hmap_count(&m), MANY);
	assert_true((m.cap & (m.cap - 1)) == 0);
	for (int i = 0; i < MANY; i++) {
		snprintf(key, sizeof(key), "ns-%d/route-%d", i % 97, i);
		assert_ptr_equal(hmap_get(&m, key), V(i));
	}
	assert_null(hmap_get(&m, "ns-0/route-150000"));
	assert_false(hmap_has(&m, "nope"));
	hmap_release(&m, NULL);
	assert_int_equal(hmap_count(&m), 0);
	assert_null(m.v);
}

static void test_hmap_put__replace_returns_old(void **state)
{
	struct hmap m;
	void *old = NULL;

	(void)state;
	hmap_init(&m);
	assert_int_equal(hmap_put(&m, "a", V(1), &old), 0);
	assert_null(old);
	assert_int_equal(hmap_put(&m, "a", V(2), &old), 0);
	assert_ptr_equal(old, V(1));
	assert_int_equal(hmap_put(&m, "a", V(3), NULL), 0);
	assert_ptr_equal(hmap_get(&m, "a"), V(3));
	assert_int_equal(hmap_count(&m), 1);
	hmap_release(&m, NULL);
}

static void test_hmap_put__copies_key(void **state)
{
	struct hmap m = HMAP_INIT;
	char key[8] = "abc";

	(void)state;
	assert_int_equal(hmap_put(&m, key, V(1), NULL), 0);
	strcpy(key, "xyz");
	assert_ptr_equal(hmap_get(&m, "abc"), V(1));
	assert_null(hmap_get(&m, "xyz"));
	hmap_release(&m, NULL);
}

static void test_hmap_put__empty_key_and_null_value(void **state)
{
	struct hmap m = HMAP_INIT;

	(void)state;
	assert_null(hmap_get(&m, ""));
	assert_false(hmap_has(&m, ""));
	assert_int_equal(hmap_put(&m, "", NULL, NULL), 0);
	assert_true(hmap_has(&m, ""));
	assert_null(hmap_get(&m, ""));
	assert_int_equal(hmap_count(&m), 1);
	hmap_release(&m, NULL);
}

static void test_hmap_del__keeps_other_keys_reachable(void **state)
{
	struct hmap m = HMAP_INIT;
	char key[32];
	void *val;

	(void)state;
	for (int i = 0; i < MANY; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(hmap_put(&m, key, V(i), NULL), 0);
	}
	/* deleting every other key shifts clusters back many times over */
	for (int i = 0; i < MANY; i += 2) {
		snprintf(key, sizeof(key), "k%d", i);
		val = NULL;
		assert_true(hmap_del(&m, key, &val));
		assert_ptr_equal(val, V(i));
	}
	assert_int_equal(hmap_count(&m), MANY / 2);
	for (int i = 0; i < MANY; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		if (i % 2 == 0)
			assert_false(hmap_has(&m, key));
		else
			assert_ptr_equal(hmap_get(&m, key), V(i));
	}
	assert_false(hmap_del(&m, "k0", NULL));
	assert_false(hmap_del(&m, "never", NULL));
	/* and the holes are reusable */
	assert_int_equal(hmap_put(&m, "k0", V(7), NULL), 0);
	assert_ptr_equal(hmap_get(&m, "k0"), V(7));
	hmap_release(&m, NULL);
}

static void test_hmap_del__empty_map(void **state)
{
	struct hmap m = HMAP_INIT;

	(void)state;
	assert_false(hmap_del(&m, "a", NULL));
	assert_int_equal(hmap_count(&m), 0);
}

static void test_hmap_iter_next__visits_each_key_once(void **state)
{
	struct hmap m = HMAP_INIT;
	struct hmap_iter it;
	const char *key;
	char buf[32];
	void *val;
	size_t n = 0;
	char *seen;

	(void)state;
	hmap_iter_init(&it, &m);
	assert_false(hmap_iter_next(&it, &key, &val));
	for (int i = 0; i < 1000; i++) {
		snprintf(buf, sizeof(buf), "key-%d", i);
		assert_int_equal(hmap_put(&m, buf, V(i), NULL), 0);
	}
	for (int i = 0; i < 1000; i += 3) {
		snprintf(buf, sizeof(buf), "key-%d", i);
		assert_true(hmap_del(&m, buf, NULL));
	}
	seen = calloc(1000, 1);
	assert_non_null(seen);
	hmap_iter_init(&it, &m);
	while (hmap_iter_next(&it, &key, &val)) {
		int i = (int)((uintptr_t)val - 1);

		snprintf(buf, sizeof(buf), "key-%d", i);
		assert_string_equal(key, buf);
		assert_int_equal(seen[i], 0);
		seen[i] = 1;
		n++;
	}
	assert_int_equal(n, hmap_count(&m));
	assert_int_equal(n, 1000 - 334);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(seen[i], i % 3 != 0);
	free(seen);
	hmap_release(&m, NULL);
}

static int freed;

static void count_free(void *p)
{
	freed++;
	free(p);
}

/* equal strings get one pointer, the map's own copy; values of existing keys stay */
static void test_hmap_intern__one_pointer_per_string(void **state)
{
	struct hmap m;
	char buf[32];
	const char *a, *b, *c;
	int v = 7;

	(void)state;
	hmap_init(&m);
	assert_int_equal(hmap_put(&m, "kept", &v, NULL), 0);
	snprintf(buf, sizeof(buf), "%s", "gw/https");
	a = hmap_intern(&m, buf);
	assert_non_null(a);
	assert_ptr_not_equal(a, buf);
	buf[0] = 'G';
	assert_string_equal(a, "gw/https");
	b = hmap_intern(&m, "gw/https");
	assert_ptr_equal(a, b);
	c = hmap_intern(&m, "gw/http");
	assert_ptr_not_equal(a, c);
	assert_string_equal(c, "gw/http");
	assert_ptr_equal(hmap_intern(&m, ""), hmap_intern(&m, ""));
	assert_ptr_equal(hmap_get(&m, "kept"), &v);
	assert_ptr_equal(hmap_intern(&m, "kept"), hmap_intern(&m, "kept"));
	assert_ptr_equal(hmap_get(&m, "kept"), &v);
	assert_true(hmap_has(&m, "gw/https"));
	assert_null(hmap_get(&m, "gw/https"));
	assert_int_equal(hmap_count(&m), 4);
	hmap_release(&m, NULL);
}

static void test_hmap_release__frees_values(void **state)
{
	struct hmap m = HMAP_INIT;
	char key[16];

	(void)state;
	freed = 0;
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "%d", i);
		assert_int_equal(hmap_put(&m, key, malloc(8), NULL), 0);
	}
	hmap_release(&m, count_free);
	assert_int_equal(freed, 100);
	assert_int_equal(hmap_count(&m), 0);
	/* reusable after release */
	assert_int_equal(hmap_put(&m, "again", V(0), NULL), 0);
	assert_int_equal(hmap_count(&m), 1);
	hmap_release(&m, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmap_put__grows_past_100000_keys),
		cmocka_unit_test(test_hmap_put__replace_returns_old),
		cmocka_unit_test(test_hmap_put__copies_key),
		cmocka_unit_test(test_hmap_put__empty_key_and_null_value),
		cmocka_unit_test(test_hmap_del__keeps_other_keys_reachable),
		cmocka_unit_test(test_hmap_del__empty_map),
		cmocka_unit_test(test_hmap_iter_next__visits_each_key_once),
		cmocka_unit_test(test_hmap_intern__one_pointer_per_string),
		cmocka_unit_test(test_hmap_release__frees_values),
	};

	return cmocka_run_group_tests_name("hmap", tests, NULL, NULL);
}
