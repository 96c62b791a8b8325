/*
 * test_hostname: Gateway API hostname semantics (core/hostname.c). The cases follow
 * the hostnames concept page: a wildcard matches one or more extra labels and never
 * its apex, two wildcards intersect when one suffix ends the other, unset means all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "hostname.h"

/* a label of n 'a's followed by suffix, in buf */
static const char *long_label(char *buf, size_t bufsz, size_t n, const char *prefix, const char *suffix)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);

	assert_true(pl + n + sl < bufsz);
	memcpy(buf, prefix, pl);
	memset(buf + pl, 'a', n);
	memcpy(buf + pl + n, suffix, sl + 1);
	return buf;
}

/* ---- hostname_is_ip ---- */

static void test_hostname_is_ip__ipv4(void **state)
{
	(void)state;
	assert_true(hostname_is_ip("10.0.0.1"));
	assert_true(hostname_is_ip("192.168.255.255"));
}

static void test_hostname_is_ip__ipv6(void **state)
{
	(void)state;
	assert_true(hostname_is_ip("::1"));
	assert_true(hostname_is_ip("2001:db8::1"));
	assert_true(hostname_is_ip("[2001:db8::1]"));
}

static void test_hostname_is_ip__dns_names(void **state)
{
	(void)state;
	assert_false(hostname_is_ip("example.com"));
	assert_false(hostname_is_ip("ip-10-0-0-1.example.com"));
	assert_false(hostname_is_ip("10.0.0.1.example.com"));
	assert_false(hostname_is_ip("*.example.com"));
}

static void test_hostname_is_ip__not_quite_ips(void **state)
{
	(void)state;
	assert_false(hostname_is_ip(""));
	assert_false(hostname_is_ip("10.0.0"));
	assert_false(hostname_is_ip("10.0.0.256"));
	assert_false(hostname_is_ip("[10.0.0.1]"));
	assert_false(hostname_is_ip("[::1"));
}

static void test_hostname_is_ip__very_long_input(void **state)
{
	char buf[300];

	(void)state;
	assert_false(hostname_is_ip(long_label(buf, sizeof(buf), 200, "", ".example.com")));
}

/* ---- hostname_has_long_label ---- */

static void test_hostname_has_long_label__63_is_fine(void **state)
{
	char buf[128];

	(void)state;
	assert_false(hostname_has_long_label(long_label(buf, sizeof(buf), 63, "", ".example.com")));
	assert_false(hostname_has_long_label(long_label(buf, sizeof(buf), 63, "www.", "")));
}

static void test_hostname_has_long_label__64_first_label(void **state)
{
	char buf[128];

	(void)state;
	assert_true(hostname_has_long_label(long_label(buf, sizeof(buf), 64, "", ".example.com")));
}

static void test_hostname_has_long_label__64_middle_and_last_label(void **state)
{
	char buf[128];

	(void)state;
	assert_true(hostname_has_long_label(long_label(buf, sizeof(buf), 64, "www.", ".com")));
	assert_true(hostname_has_long_label(long_label(buf, sizeof(buf), 64, "www.", "")));
}

static void test_hostname_has_long_label__wildcard_prefix(void **state)
{
	char buf[128];

	(void)state;
	assert_false(hostname_has_long_label(long_label(buf, sizeof(buf), 63, "*.", ".example.com")));
	assert_true(hostname_has_long_label(long_label(buf, sizeof(buf), 64, "*.", ".example.com")));
}

static void test_hostname_has_long_label__short_and_empty(void **state)
{
	(void)state;
	assert_false(hostname_has_long_label(""));
	assert_false(hostname_has_long_label("*"));
	assert_false(hostname_has_long_label("a.b.c"));
}

/* ---- hostname_intersect ---- */

static void test_hostname_intersect__precise_precise(void **state)
{
	(void)state;
	assert_true(hostname_intersect("foo.example.com", "foo.example.com"));
	assert_false(hostname_intersect("foo.example.com", "bar.example.com"));
	assert_false(hostname_intersect("example.com", "foo.example.com"));
}

static void test_hostname_intersect__wildcard_never_matches_apex(void **state)
{
	(void)state;
	assert_false(hostname_intersect("*.example.com", "example.com"));
	assert_false(hostname_intersect("example.com", "*.example.com"));
}

static void test_hostname_intersect__wildcard_matches_deeper_names(void **state)
{
	(void)state;
	assert_true(hostname_intersect("*.example.com", "foo.example.com"));
	assert_true(hostname_intersect("foo.example.com", "*.example.com"));
	assert_true(hostname_intersect("*.example.com", "a.b.example.com"));
}

static void test_hostname_intersect__wildcard_respects_label_boundary(void **state)
{
	(void)state;
	assert_false(hostname_intersect("*.example.com", "fooexample.com"));
	assert_false(hostname_intersect("*.example.com", "foo.example.org"));
}

static void test_hostname_intersect__two_wildcards(void **state)
{
	(void)state;
	assert_true(hostname_intersect("*.com", "*.example.com"));
	assert_true(hostname_intersect("*.example.com", "*.com"));
	assert_true(hostname_intersect("*.example.com", "*.example.com"));
	assert_false(hostname_intersect("*.a.example.com", "*.b.example.com"));
	assert_false(hostname_intersect("*.example.com", "*.ample.com"));
}

static void test_hostname_intersect__null_and_star_match_all(void **state)
{
	(void)state;
	assert_true(hostname_intersect(NULL, "foo.example.com"));
	assert_true(hostname_intersect("*.example.com", NULL));
	assert_true(hostname_intersect(NULL, NULL));
	assert_true(hostname_intersect("*", "example.com"));
	assert_true(hostname_intersect("example.com", "*"));
}

/* ---- hostname_covers ---- */

static void test_hostname_covers__unset_pattern_covers_everything(void **state)
{
	(void)state;
	assert_true(hostname_covers(NULL, "foo.example.com"));
	assert_true(hostname_covers(NULL, "*.example.com"));
	assert_true(hostname_covers(NULL, NULL));
	assert_true(hostname_covers("*", "*.example.com"));
}

static void test_hostname_covers__unset_host_needs_unset_pattern(void **state)
{
	(void)state;
	assert_false(hostname_covers("*.example.com", NULL));
	assert_false(hostname_covers("example.com", "*"));
}

static void test_hostname_covers__precise_pattern(void **state)
{
	(void)state;
	assert_true(hostname_covers("foo.example.com", "foo.example.com"));
	assert_false(hostname_covers("foo.example.com", "bar.example.com"));
	assert_false(hostname_covers("foo.example.com", "*.example.com"));
}

static void test_hostname_covers__wildcard_pattern_precise_host(void **state)
{
	(void)state;
	assert_true(hostname_covers("*.example.com", "foo.example.com"));
	assert_true(hostname_covers("*.example.com", "a.b.example.com"));
	assert_false(hostname_covers("*.example.com", "example.com"));
	assert_false(hostname_covers("*.example.com", "fooexample.com"));
}

static void test_hostname_covers__wildcard_pattern_wildcard_host(void **state)
{
	(void)state;
	assert_true(hostname_covers("*.example.com", "*.example.com"));
	assert_true(hostname_covers("*.example.com", "*.a.example.com"));
	assert_false(hostname_covers("*.a.example.com", "*.example.com"));
	assert_false(hostname_covers("*.example.com", "*.ample.com"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostname_is_ip__ipv4),
		cmocka_unit_test(test_hostname_is_ip__ipv6),
		cmocka_unit_test(test_hostname_is_ip__dns_names),
		cmocka_unit_test(test_hostname_is_ip__not_quite_ips),
		cmocka_unit_test(test_hostname_is_ip__very_long_input),
		cmocka_unit_test(test_hostname_has_long_label__63_is_fine),
		cmocka_unit_test(test_hostname_has_long_label__64_first_label),
		cmocka_unit_test(test_hostname_has_long_label__64_middle_and_last_label),
		cmocka_unit_test(test_hostname_has_long_label__wildcard_prefix),
		cmocka_unit_test(test_hostname_has_long_label__short_and_empty),
		cmocka_unit_test(test_hostname_intersect__precise_precise),
		cmocka_unit_test(test_hostname_intersect__wildcard_never_matches_apex),
		cmocka_unit_test(test_hostname_intersect__wildcard_matches_deeper_names),
		cmocka_unit_test(test_hostname_intersect__wildcard_respects_label_boundary),
		cmocka_unit_test(test_hostname_intersect__two_wildcards),
		cmocka_unit_test(test_hostname_intersect__null_and_star_match_all),
		cmocka_unit_test(test_hostname_covers__unset_pattern_covers_everything),
		cmocka_unit_test(test_hostname_covers__unset_host_needs_unset_pattern),
		cmocka_unit_test(test_hostname_covers__precise_pattern),
		cmocka_unit_test(test_hostname_covers__wildcard_pattern_precise_host),
		cmocka_unit_test(test_hostname_covers__wildcard_pattern_wildcard_host),
	};

	return cmocka_run_group_tests_name("hostname", tests, NULL, NULL);
}
