/* ptab: the load stays at or below 3/4 and every entry stays reachable by its hash
 * across growth, including entries whose hashes collide. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ptab.h"

#define N 5000

/* the slot holding p, probing from its hash; cap when absent */
static size_t find(const struct ptab *t, uint64_t h, const void *p)
{
	for (size_t i = ptab_home(t, h); t->v[i].p != NULL; i = ptab_next(t, i))
		if (t->v[i].hash == h && t->v[i].p == p)
			return i;
	return t->cap;
}

static void test_ptab_reserve__entries_survive_growth(void **state)
{
	static int things[N];
	struct ptab t;

	(void)state;
	ptab_init(&t);
	for (size_t k = 0; k < N; k++) {
		/* every fourth hash is shared: collisions must probe on */
		uint64_t h = (k % 4 == 0) ? 42 : (uint64_t)k * 0x9e3779b97f4a7c15ULL;
		size_t i;

		assert_int_equal(ptab_reserve(&t), 0);
		i = find(&t, h, &things[k]);
		assert_int_equal(i, t.cap);
		for (i = ptab_home(&t, h); t.v[i].p != NULL; i = ptab_next(&t, i))
			;
		t.v[i] = (struct ptab_slot){ h, &things[k] };
		t.n++;
		assert_true(t.n * 4 <= t.cap * 3);
	}
	assert_true(t.cap > 0 && (t.cap & (t.cap - 1)) == 0);
	for (size_t k = 0; k < N; k++) {
		uint64_t h = (k % 4 == 0) ? 42 : (uint64_t)k * 0x9e3779b97f4a7c15ULL;

		assert_true(find(&t, h, &things[k]) < t.cap);
	}
	ptab_release(&t);
	assert_null(t.v);
	assert_int_equal(t.cap, 0);
	assert_int_equal(t.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ptab_reserve__entries_survive_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
