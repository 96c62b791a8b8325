/* test_subst: Flux-style ${VAR} substitution. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "err.h"
#include "subst.h"

static void expect(const struct subst_vars *v, const char *in, const char *want)
{
	char out[256];
	size_t n = subst_apply(v, in, strlen(in), out, sizeof(out));

	assert_int_equal(n, strlen(want));
	assert_string_equal(out, want);
}

static void test_subst_apply__forms(void **state)
{
	struct subst_vars v;
	char a[] = "domain_name=example.com", b[] = "empty=";

	(void)state;
	subst_init(&v);
	assert_int_equal(subst_add(&v, a, NULL), 0);
	assert_int_equal(subst_add(&v, b, NULL), 0);
	expect(&v, "host: echo.${domain_name}\n", "host: echo.example.com\n");
	expect(&v, "${domain_name}${domain_name}", "example.comexample.com");
	expect(&v, "x: ${unset}", "x: ${unset}");
	expect(&v, "x: ${unset:=fallback}", "x: fallback");
	expect(&v, "x: ${unset:-fallback}", "x: fallback");
	expect(&v, "x: ${domain_name:=fallback}", "x: example.com");
	expect(&v, "x: $${domain_name}", "x: ${domain_name}");
	expect(&v, "x: [${empty}]", "x: []");
	expect(&v, "x: ${unterminated", "x: ${unterminated");
	expect(&v, "x: $domain_name", "x: $domain_name");
	expect(&v, "x: ${bad name}", "x: ${bad name}");
}

static void test_subst_apply__truncates_like_snprintf(void **state)
{
	struct subst_vars v;
	char a[] = "x=0123456789";
	char out[8];

	(void)state;
	subst_init(&v);
	assert_int_equal(subst_add(&v, a, NULL), 0);
	assert_int_equal(subst_apply(&v, "${x}${x}", 8, out, sizeof(out)), 20);
	assert_int_equal(strlen(out), 7);
}

static void test_subst_add__rejects_bad_specs(void **state)
{
	struct subst_vars v;
	struct err e;
	char noeq[] = "novalue", badname[] = "9x=1", dash[] = "a-b=1";

	(void)state;
	subst_init(&v);
	err_init(&e);
	assert_int_equal(subst_add(&v, noeq, &e), ERR_INVALID);
	assert_non_null(strstr(e.msg, "NAME=VALUE"));
	assert_int_equal(subst_add(&v, badname, NULL), ERR_INVALID);
	assert_int_equal(subst_add(&v, dash, NULL), ERR_INVALID);
	assert_int_equal(v.n, 0);
}

static void test_subst_add__later_value_wins(void **state)
{
	struct subst_vars v;
	char a[] = "k=1", b[] = "k=2";

	(void)state;
	subst_init(&v);
	assert_int_equal(subst_add(&v, a, NULL), 0);
	assert_int_equal(subst_add(&v, b, NULL), 0);
	assert_int_equal(v.n, 1);
	expect(&v, "${k}", "2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subst_apply__forms),
		cmocka_unit_test(test_subst_apply__truncates_like_snprintf),
		cmocka_unit_test(test_subst_add__rejects_bad_specs),
		cmocka_unit_test(test_subst_add__later_value_wins),
	};

	return cmocka_run_group_tests_name("subst", tests, NULL, NULL);
}
