/* test_path: field paths as findings name them, popping back, and the "..." end of a
 * path too long for its buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "path.h"

static void test_path__keys_and_indexes(void **state)
{
	struct path p;
	size_t root, rules, r3;

	(void)state;
	path_init(&p);
	assert_string_equal(path_str(&p), "");
	root = path_key(&p, "spec");
	assert_int_equal(root, 0);
	assert_string_equal(path_str(&p), "spec");
	rules = path_key(&p, "rules");
	r3 = path_idx(&p, 3);
	path_key(&p, "backendRefs");
	path_idx(&p, 1024);
	assert_string_equal(path_str(&p), "spec.rules[3].backendRefs[1024]");
	path_pop(&p, r3);
	assert_string_equal(path_str(&p), "spec.rules");
	path_idx(&p, 0);
	assert_string_equal(path_str(&p), "spec.rules[0]");
	path_pop(&p, rules);
	assert_string_equal(path_str(&p), "spec");
	path_pop(&p, root);
	assert_string_equal(path_str(&p), "");
	/* an index at the root, and an empty key */
	path_idx(&p, 7);
	path_key(&p, "");
	assert_string_equal(path_str(&p), "[7].");
}

static void test_path__overflow_ends_in_dots(void **state)
{
	char key[64];
	struct path p;
	size_t mark = 0, len;

	(void)state;
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	path_init(&p);
	for (int i = 0; i < 20; i++) {
		size_t m = path_key(&p, key);

		if (i == 2)
			mark = m;
		path_idx(&p, (size_t)i);
	}
	len = strlen(path_str(&p));
	assert_true(len < PATH_MAX_LEN);
	assert_string_equal(path_str(&p) + len - 3, "...");
	/* nothing but the one "..." after the cut */
	assert_null(strstr(path_str(&p), "...."));
	/* popping back below the cut gives the exact path again */
	path_pop(&p, mark);
	assert_int_equal(strlen(path_str(&p)), 2 * (sizeof(key) - 1) + strlen(".") + strlen("[0]") + strlen("[1]"));
	path_key(&p, "x");
	assert_string_equal(path_str(&p) + strlen(path_str(&p)) - 5, "[1].x");
}

/* every cut point: the path is the uncut one up to where it stops, then "..." */
static void test_path__cut_is_a_prefix(void **state)
{
	(void)state;
	for (size_t n = 1; n < 80; n++) {
		char key[80], full[2 * PATH_MAX_LEN] = "";
		struct path p;
		const char *s;
		size_t len;

		memset(key, 'a', n);
		key[n] = '\0';
		path_init(&p);
		for (int i = 0; i < 200; i++) {
			path_key(&p, key);
			path_idx(&p, (size_t)i * 37);
			if (strlen(full) + n + 16 < sizeof(full))
				snprintf(full + strlen(full), sizeof(full) - strlen(full), "%s%s[%d]", i ? "." : "", key,
					 i * 37);
		}
		s = path_str(&p);
		len = strlen(s);
		assert_true(len < PATH_MAX_LEN);
		assert_string_equal(s + len - 3, "...");
		assert_memory_equal(s, full, len - 3);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path__keys_and_indexes),
		cmocka_unit_test(test_path__overflow_ends_in_dots),
		cmocka_unit_test(test_path__cut_is_a_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
