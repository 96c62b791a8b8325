/* test_lbslots: weights -> slot tables: exact when small, Hamilton apportionment
 * when capped, interleaved, and bad input refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "lbslots.h"

#define CAP 1024u

/* count of each backend in slots[0..n) */
static void tally(const uint16_t *slots, uint32_t n, uint32_t *out, size_t nb)
{
	memset(out, 0, nb * sizeof(*out));
	for (uint32_t i = 0; i < n; i++) {
		assert_true(slots[i] < nb);
		out[slots[i]]++;
	}
}

static void test_lbslots_build__95_5_is_exact_and_small(void **state)
{
	uint64_t w[] = { 95, 5 };
	uint16_t slots[CAP];
	uint32_t counts[2], t[2], n = 0;

	(void)state;
	assert_int_equal(lbslots_build(w, 2, CAP, slots, counts, &n, NULL), 0);
	assert_int_equal(n, 20);
	assert_int_equal(counts[0], 19);
	assert_int_equal(counts[1], 1);
	tally(slots, n, t, 2);
	assert_int_equal(t[0], 19);
	assert_int_equal(t[1], 1);
}

static void test_lbslots_build__lbplan_scale_reduces(void **state)
{
	/* weights as lbplan gives them: w * 720720 / k */
	uint64_t w[] = { 95ull * 720720 / 3, 95ull * 720720 / 3, 95ull * 720720 / 3, 5ull * 720720 };
	uint16_t slots[CAP];
	uint32_t counts[4], n = 0;

	(void)state;
	assert_int_equal(lbslots_build(w, 4, CAP, slots, counts, &n, NULL), 0);
	/* 95/3 : 95/3 : 95/3 : 5 = 95 : 95 : 95 : 15 -> 19:19:19:3 over 60 */
	assert_int_equal(n, 60);
	assert_int_equal(counts[0], 19);
	assert_int_equal(counts[3], 3);
}

static void test_lbslots_build__largest_remainder_when_capped(void **state)
{
	/* 1:1:1 over 1000 slots: 333.33 each, one more to the first (tie -> lower index) */
	uint64_t w[] = { 1000003, 1000003, 1000003, 0 };
	uint64_t prime[] = { 1000003, 999983 };
	uint16_t slots[CAP];
	uint32_t counts[4], t[4], n = 0;

	(void)state;
	assert_int_equal(lbslots_build(w, 4, 1000, slots, counts, &n, NULL), 0);
	/* gcd reduces to 1:1:1 -> 3 slots, exact */
	assert_int_equal(n, 3);
	assert_int_equal(counts[3], 0);
	/* coprime weights whose exact table is too big: capped at 1000 */
	assert_int_equal(lbslots_build(prime, 2, 1000, slots, counts, &n, NULL), 0);
	assert_int_equal(n, 1000);
	/* quotas 500.0049.. and 499.9950..: floors 500 + 499, the one left over to the
	 * larger remainder (the second) */
	assert_int_equal(counts[0], 500);
	assert_int_equal(counts[1], 500);
	tally(slots, n, t, 2);
	assert_int_equal(t[0], 500);
	assert_int_equal(t[1], 500);
}

static void test_lbslots_build__apportionment_sums_and_bounds(void **state)
{
	uint64_t w[7];
	uint16_t slots[CAP];
	uint32_t counts[7], t[7], n = 0;
	uint64_t total = 0;
	uint32_t sum = 0;

	(void)state;
	for (int i = 0; i < 7; i++) {
		w[i] = 1000003ull * (uint64_t)(i * i + 1) + (uint64_t)i;
		total += w[i];
	}
	assert_int_equal(lbslots_build(w, 7, CAP, slots, counts, &n, NULL), 0);
	assert_int_equal(n, CAP);
	tally(slots, n, t, 7);
	for (int i = 0; i < 7; i++) {
		/* every count is the floor or the ceiling of its exact quota */
		double q = (double)w[i] * CAP / (double)total;

		assert_int_equal(t[i], counts[i]);
		assert_true((double)counts[i] >= q - 1.0 && (double)counts[i] <= q + 1.0);
		sum += counts[i];
	}
	assert_int_equal(sum, CAP);
}

static void test_lbslots_build__interleaves(void **state)
{
	uint64_t w[] = { 1, 1 };
	uint64_t w3[] = { 3, 1 };
	uint16_t slots[CAP];
	uint32_t n = 0;

	(void)state;
	assert_int_equal(lbslots_build(w, 2, CAP, slots, NULL, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_int_not_equal(slots[0], slots[1]);
	/* 3:1 -> the lone slot of backend 1 is not at either end of a run of 4 */
	assert_int_equal(lbslots_build(w3, 2, CAP, slots, NULL, &n, NULL), 0);
	assert_int_equal(n, 4);
	{
		int longest = 0, run = 0;

		for (uint32_t i = 0; i < n; i++) {
			run = slots[i] == 0 ? run + 1 : 0;
			longest = run > longest ? run : longest;
		}
		assert_true(longest <= 2);
	}
}

static void test_lbslots_build__huge_weights_do_not_overflow(void **state)
{
	uint64_t w[] = { UINT64_MAX, UINT64_MAX / 3, 1 };
	uint16_t slots[CAP];
	uint32_t counts[3], n = 0;

	(void)state;
	assert_int_equal(lbslots_build(w, 3, CAP, slots, counts, &n, NULL), 0);
	assert_int_equal(n, CAP);
	assert_int_equal(counts[0] + counts[1] + counts[2], CAP);
	assert_true(counts[0] >= 767 && counts[0] <= 769);
	assert_true(counts[1] >= 255 && counts[1] <= 257);
}

static void test_lbslots_build__zero_and_bad_input(void **state)
{
	uint64_t zero[] = { 0, 0 };
	uint64_t many[3] = { 1, 1, 1 };
	uint16_t slots[CAP];
	uint32_t counts[3] = { 7, 7, 7 }, n = 9;
	struct err err;

	(void)state;
	assert_int_equal(lbslots_build(zero, 2, CAP, slots, counts, &n, NULL), 0);
	assert_int_equal(n, 0);
	assert_int_equal(counts[0], 0);
	assert_int_equal(lbslots_build(NULL, 0, CAP, slots, NULL, &n, NULL), 0);
	assert_int_equal(n, 0);
	err_init(&err);
	assert_int_equal(lbslots_build(many, 3, 2, slots, NULL, &n, &err), ERR_INVALID);
	assert_non_null(strstr(err.msg, "do not fit"));
	err_init(&err);
	assert_int_equal(lbslots_build(many, 3, 0, slots, NULL, &n, &err), ERR_INVALID);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lbslots_build__95_5_is_exact_and_small),
		cmocka_unit_test(test_lbslots_build__lbplan_scale_reduces),
		cmocka_unit_test(test_lbslots_build__largest_remainder_when_capped),
		cmocka_unit_test(test_lbslots_build__apportionment_sums_and_bounds),
		cmocka_unit_test(test_lbslots_build__interleaves),
		cmocka_unit_test(test_lbslots_build__huge_weights_do_not_overflow),
		cmocka_unit_test(test_lbslots_build__zero_and_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
