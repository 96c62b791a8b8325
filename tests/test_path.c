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

/* the eager reference: what a path shows, rebuilt from its segments */
struct ref_seg {
	const char *key;
	size_t idx;
};

static void ref_text(const struct ref_seg *v, size_t n, char *out)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char seg[64];
		size_t sl;

		if (v[i].key != NULL)
			snprintf(seg, sizeof(seg), "%s%s", len > 0 ? "." : "", v[i].key);
		else
			snprintf(seg, sizeof(seg), "[%zu]", v[i].idx);
		sl = strlen(seg);
		if (len + sl + 4 >= PATH_MAX_LEN) {
			memcpy(out + len, "...", 4);
			return;
		}
		memcpy(out + len, seg, sl + 1);
		len += sl;
	}
}

/* pushes, pops and reads in a pseudo-random order (the text is written lazily, only
 * when read, and reused after a pop): always what the eager reference shows */
static void test_path__lazy_matches_eager(void **state)
{
	static const char *const keys[] = { "spec", "rules", "", "backendRefs", "a-rather-long-key-name-here",
					    "x" };
	struct ref_seg v[600];
	size_t marks[600], n = 0;
	uint32_t r = 12345;
	struct path p;
	char want[2 * PATH_MAX_LEN];

	(void)state;
	path_init(&p);
	for (int step = 0; step < 20000; step++) {
		r = r * 1103515245u + 12345u;
		unsigned op = (r >> 16) % 10;

		if (op < 6 && n < 600) {
			if (op < 3) {
				v[n] = (struct ref_seg){ keys[(r >> 8) % 6], 0 };
				marks[n] = path_key(&p, v[n].key);
			} else {
				v[n] = (struct ref_seg){ NULL, (r >> 4) % 100000 };
				marks[n] = path_idx(&p, v[n].idx);
			}
			n++;
		} else if (op < 8 && n > 0) {
			size_t back = 1 + (r >> 12) % (n < 5 ? n : 5);

			n -= back;
			path_pop(&p, marks[n]);
		}
		if ((r >> 20) % 3 == 0) {
			ref_text(v, n, want);
			assert_string_equal(path_str(&p), want);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path__keys_and_indexes),
		cmocka_unit_test(test_path__overflow_ends_in_dots),
		cmocka_unit_test(test_path__cut_is_a_prefix),
		cmocka_unit_test(test_path__lazy_matches_eager),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
