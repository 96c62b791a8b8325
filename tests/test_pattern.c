/*
 * Tests for the hand-written CRD pattern matchers. The cases follow the examples and
 * quirks of spec/gateway-api-rules.md section 2 (and 1.5 for the partly anchored
 * ProtocolType and AddressType patterns); every verdict here is what RE2 search
 * semantics give for the upstream expression returned by pattern_source.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "pattern.h"
#include "regex.h"

struct pcase {
	const char *s;
	size_t len;
	bool ok;
};

/* sizeof keeps embedded NUL bytes in the input */
#define YES(str) { str, sizeof(str) - 1, true }
#define NO(str) { str, sizeof(str) - 1, false }
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static void run_cases(enum pattern_id id, const struct pcase *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool got = pattern_match(id, c[i].s, c[i].len);

		if (got != c[i].ok)
			fail_msg("pattern %d (%s) on \"%.*s\": expected %s", (int)id, pattern_source(id),
				 (int)c[i].len, c[i].s, c[i].ok ? "match" : "no match");
	}
}

#define RUN(id, cases) run_cases(id, cases, N_ELEMS(cases))

static void test_pattern_match__hostname(void **state)
{
	static const struct pcase cases[] = {
		YES("example.com"),
		YES("*.example.com"),
		YES("a"),
		YES("foo-bar.example"),
		YES("xn--bcher-kva.example"),
		YES("10.0.0.1"),        /* IPs pass the pattern (documented upstream bug) */
		YES("0a"),
		/* no per-label 63-character limit in the pattern */
		YES("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com"),
		NO(""),
		NO("*"),
		NO("*foo.x"),
		NO("foo.*.x"),
		NO("*.*.x"),
		NO("*."),
		NO("Example.com"),
		NO("EXAMPLE"),
		NO("example.com."),
		NO(".example.com"),
		NO("example..com"),
		NO("example.com:8080"),
		NO(":80"),
		NO("-a.com"),
		NO("a-.com"),
		NO("a_b.com"),
		NO("exa mple.com"),
		NO("b\xC3\xBC" "cher.example"),
		NO("a\0b"),
	};

	(void)state;
	RUN(PAT_HOST, cases);
}

static void test_pattern_match__precise_hostname(void **state)
{
	static const struct pcase cases[] = {
		YES("example.com"),
		YES("a"),
		YES("1.2.3.4"),
		YES("web-1"),
		NO("*.example.com"),
		NO("*"),
		NO("Example.com"),
		NO("example.com."),
		NO(""),
		NO("a/b"),
	};

	(void)state;
	RUN(PAT_PRECISE, cases);
}

static void test_pattern_match__namespace(void **state)
{
	static const struct pcase cases[] = {
		YES("default"),
		YES("kube-system"),
		YES("a"),
		YES("1"),
		NO(""),
		NO("a.b"),
		NO("-a"),
		NO("a-"),
		NO("Default"),
		NO("a_b"),
	};

	(void)state;
	RUN(PAT_NS, cases);
}

static void test_pattern_match__group(void **state)
{
	static const struct pcase cases[] = {
		YES(""),                /* the core group */
		YES("gateway.networking.k8s.io"),
		YES("apps"),
		NO("Gateway.networking.k8s.io"),
		NO("a..b"),
		NO("."),
		NO("example.com/"),
	};

	(void)state;
	RUN(PAT_GROUP, cases);
}

static void test_pattern_match__kind(void **state)
{
	static const struct pcase cases[] = {
		YES("HTTPRoute"),
		YES("Service"),
		YES("a"),
		YES("a-1"),
		YES("X9"),
		NO(""),
		NO("1a"),
		NO("-a"),
		NO("a-"),
		NO("a.b"),
		NO("a_b"),
		NO("Http Route"),
	};

	(void)state;
	RUN(PAT_KIND, cases);
}

static void test_pattern_match__protocol(void **state)
{
	static const struct pcase cases[] = {
		YES("HTTP"),
		YES("HTTPS"),
		YES("TLS"),
		YES("TCP"),
		YES("UDP"),
		YES("http"),            /* lower case passes the pattern */
		YES("my-proto1"),
		YES("example.com/foo"),
		YES("example.com/Foo9"),
		YES("a/b"),
		YES("example.com/a/b"), /* suffix "a/b" matches */
		/* second alternative is not anchored at the start */
		YES("FOO bar.com/x"),
		YES("-x/y"),
		YES("Example.com/x"),   /* suffix "e.com/x" */
		NO("example.com"),
		NO(""),
		NO("-http"),
		NO("http-"),
		NO("my proto"),
		NO("example.com/"),
		NO("/foo"),
		NO("A/b"),
		NO("example.com/foo-bar"),
		NO("example.com/foo.bar"),
		NO("example.com/foo "),
		NO("HTTP\0"),
	};

	(void)state;
	RUN(PAT_PROTO, cases);
}

static void test_pattern_match__header_name(void **state)
{
	static const struct pcase cases[] = {
		YES("Content-Type"),
		YES("x-custom_header.v1"),
		YES("a`b|c~d^e"),       /* \x60 is the back-tick */
		YES("!#$%&'*+-.^_`|~"),
		NO(""),
		NO(":authority"),
		NO("my header"),
		NO("a\tb"),
		NO("a/b"),
		NO("a\"b"),
		NO("a(b)"),
		NO("caf\xC3\xA9"),
	};

	(void)state;
	RUN(PAT_HEADER, cases);
}

static void test_pattern_match__duration(void **state)
{
	static const struct pcase cases[] = {
		YES("0s"),
		YES("1h"),
		YES("10m"),
		YES("500ms"),
		YES("99999h"),
		YES("1h2m3s4ms"),
		YES("1h1h"),            /* repeated units */
		YES("1s1h"),            /* unsorted units */
		YES("1m1ms"),
		YES("00001s"),
		NO("0"),
		NO(""),
		NO("1"),
		NO("1.5s"),
		NO("1d"),
		NO("100us"),
		NO("-1s"),
		NO("+1s"),
		NO("999999h"),
		NO("1h2m3s4ms5s"),      /* five components */
		NO("1h1h1h1h1h"),
		NO("1H"),
		NO("1 s"),
		NO(" 1s"),
		NO("1s "),
		NO("s"),
		NO("ms"),
		NO("1hs"),
		NO("1mss"),
		NO("1s\0"),
	};

	(void)state;
	RUN(PAT_DURATION, cases);
}

static void test_pattern_match__path(void **state)
{
	static const struct pcase cases[] = {
		YES("/"),
		YES("/foo/bar"),
		YES("/a%20b"),
		YES("/%2F%2f"),
		YES("/~user/@x:y;z=1,2+3*4!'()$&"),
		YES("foo"),             /* a leading '/' is a separate rule */
		NO(""),
		NO("/a%2"),
		NO("/a%zz"),
		NO("/%"),
		NO("/a b"),
		NO("/a?b"),
		NO("/a#b"),
		NO("/a\\b"),
		NO("/caf\xC3\xA9"),
	};

	(void)state;
	RUN(PAT_PATH, cases);
}

static void test_pattern_match__address_type(void **state)
{
	static const struct pcase cases[] = {
		YES("Hostname"),
		YES("IPAddress"),
		YES("NamedAddress"),
		/* only "Hostname" is anchored, and only at the start */
		YES("Hostnamefoo"),
		YES("xIPAddressx"),
		YES("my NamedAddress!"),
		YES("example.com/custom"),
		YES("example.com/a/b%20~"),
		YES("Foo/bar"),         /* suffix "o/bar" */
		YES("x y/z"),
		NO("hostname"),
		NO("fooHostname"),
		NO("ipaddress"),
		NO("IPAddres"),
		NO(""),
		NO("example.com"),
		NO("example.com/"),
		NO("/abc"),
		NO("FOO/bar"),
		NO("a/b c"),
		NO("Hostnam"),
	};

	(void)state;
	RUN(PAT_ADDRTYPE, cases);
}

static void test_pattern_match__controller(void **state)
{
	static const struct pcase cases[] = {
		YES("example.com/gateway-controller"),
		YES("example.com/a/b%20~"),
		YES("a/b"),
		YES("example.com/!$&'()*+,;=:"),
		NO("example.com"),
		NO("example.com/"),
		NO("/foo"),
		NO("Example.com/foo"),
		NO("example.com/foo bar"),
		NO("example.com/foo@bar"),
		NO("x example.com/foo"),  /* anchored, unlike AddressType */
	};

	(void)state;
	RUN(PAT_CONTROLLER, cases);
}

static void test_pattern_match__label_key(void **state)
{
	static const struct pcase cases[] = {
		YES("app"),
		YES("a"),
		YES("A"),
		YES("a_b.c-D"),
		YES("example.com/app"),
		YES("app.kubernetes.io/name"),
		YES("k8s.io/Component_1"),
		/* name part: 63 characters */
		YES("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
		YES("example.com/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
		NO("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
		NO(""),
		NO("-a"),
		NO("a-"),
		NO("_a"),
		NO("/a"),
		NO("example.com/"),
		NO("Example.com/app"),
		NO("example.com./app"),
		NO("a/b/c"),
		NO("example.com/_a"),
		NO("a b"),
	};

	(void)state;
	RUN(PAT_KEY, cases);
}

static void test_pattern_match__label_value(void **state)
{
	static const struct pcase cases[] = {
		YES(""),
		YES("a"),
		YES("v1.2.3"),
		YES("a_b-C"),
		/* the 63-character limit is a separate length rule */
		YES("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
		NO("-a"),
		NO("a."),
		NO("a "),
		NO("a/b"),
		NO("caf\xC3\xA9"),
	};

	(void)state;
	RUN(PAT_LABELVAL, cases);
}

static void test_pattern_match__cors_origin(void **state)
{
	static const struct pcase cases[] = {
		YES("*"),
		YES("http://example.com"),
		YES("https://example.com"),
		YES("https://example.com:8443"),
		YES("http://localhost:1"),
		YES("https://*.example.com"),
		YES("http://*"),
		YES("http://*:80"),
		YES("http://Example-1.COM"),  /* upper case is allowed here */
		YES("http://a"),
		NO(""),
		NO("**"),
		NO("*.example.com"),
		NO("example.com"),
		NO("HTTP://example.com"),
		NO("ftp://example.com"),
		NO("http://"),
		NO("http://example.com/"),
		NO("http://example.com/path"),
		NO("http://example.com:"),
		NO("http://example.com:123456"),
		NO("http://example.com:8o"),
		NO("http://:80"),
		NO("https://a..b"),
		NO("https://example.com."),
		NO("http://*.*.a"),
		NO("http://a.*"),
		NO("http://*."),
		NO("http://exa_mple.com"),
		NO("http://user@example.com"),
	};

	(void)state;
	RUN(PAT_ORIGIN, cases);
}

static void test_pattern_match__header_value(void **state)
{
	static const struct pcase cases[] = {
		YES("text/html"),
		YES("a b"),
		YES("a\tb"),
		YES("a b\tc d"),
		YES("!~"),
		NO(""),
		NO(" a"),
		NO("\ta"),
		NO("a "),
		NO("a\t"),
		NO("a  b"),
		NO("a \tb"),
		NO("\ra"),
		NO("a\r\nb"),
		NO("a\nb"),
		NO("caf\xC3\xA9"),
		NO("a\x7f"),
		NO(" "),
	};

	(void)state;
	RUN(PAT_HVALUE, cases);
}

static void test_pattern_match__grpc_service(void **state)
{
	static const struct pcase cases[] = {
		YES("foo.bar.Baz"),
		YES(".foo"),
		YES("_x9"),
		YES("FOO"),             /* (?i) */
		YES("a.b_c.D9"),
		NO(""),
		NO("."),
		NO("1foo"),
		NO("foo."),
		NO("foo..bar"),
		NO("foo.1bar"),
		NO("foo-bar"),
		NO("..foo"),
		NO("foo/bar"),
	};

	(void)state;
	RUN(PAT_GRPC_SERVICE, cases);
}

static void test_pattern_match__grpc_method(void **state)
{
	static const struct pcase cases[] = {
		YES("Get"),
		YES("_get2"),
		YES("a"),
		NO(""),
		NO("2get"),
		NO("get.x"),
		NO("get-x"),
		NO("Get "),
	};

	(void)state;
	RUN(PAT_GRPC_METHOD, cases);
}

static void test_pattern_match__none_and_out_of_range(void **state)
{
	(void)state;
	assert_true(pattern_match(PAT_NONE, "", 0));
	assert_true(pattern_match(PAT_NONE, "anything at all", 15));
	assert_false(pattern_match(PAT_NONE, "a\0", 2));
	assert_false(pattern_match(PAT_MAX, "a", 1));
}

/* NUL never matches, even where the pattern would take the remaining bytes. */
static void test_pattern_match__nul_never_matches(void **state)
{
	(void)state;
	for (int id = PAT_NONE; id < PAT_MAX; id++) {
		assert_false(pattern_match((enum pattern_id)id, "\0", 1));
		assert_false(pattern_match((enum pattern_id)id, "Hostname\0", 9));
		assert_false(pattern_match((enum pattern_id)id, "example.com/a\0", 14));
	}
}

/* Every pattern has its upstream text, and that text compiles in RE2. */
static void test_pattern_source__all_ids(void **state)
{
	(void)state;
	assert_string_equal(pattern_source(PAT_NONE), "");
	assert_string_equal(pattern_source(PAT_MAX), "");
	for (int id = PAT_NONE + 1; id < PAT_MAX; id++) {
		const char *src = pattern_source((enum pattern_id)id);
		char why[128];

		assert_true(strlen(src) > 0);
		if (!regex_re2_valid(src, strlen(src), why, sizeof(why)))
			fail_msg("pattern %d source does not compile: %s", id, why);
	}
	assert_string_equal(pattern_source(PAT_DURATION), "^([0-9]{1,5}(h|m|s|ms)){1,4}$");
}

static void test_pattern_is_dns_labels__basic(void **state)
{
	(void)state;
	assert_true(pattern_is_dns_labels("a.b-c.d", 7));
	assert_true(pattern_is_dns_labels("example.com/x", 11)); /* length bounds the input */
	assert_false(pattern_is_dns_labels("", 0));
	assert_false(pattern_is_dns_labels("a.", 2));
	assert_false(pattern_is_dns_labels("*.a", 3));
}

struct dcase {
	const char *s;
	unsigned long long ms;
};

static void test_pattern_duration_ms__values(void **state)
{
	static const struct dcase cases[] = {
		{ "0s", 0 },
		{ "0ms", 0 },
		{ "1ms", 1 },
		{ "500ms", 500 },
		{ "1s", 1000 },
		{ "1m", 60000 },
		{ "1h", 3600000 },
		{ "1h2m3s4ms", 3723004 },
		{ "1s1s", 2000 },
		{ "4ms3s2m1h", 3723004 },
		{ "10ms1m", 60010 },
		{ "99999ms", 99999 },
		{ "99999h", 99999ULL * 3600000ULL },
		{ "99999h99999h99999h99999h", 4ULL * 99999ULL * 3600000ULL },
	};

	(void)state;
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		unsigned long long ms = 12345;

		if (!pattern_duration_ms(cases[i].s, strlen(cases[i].s), &ms))
			fail_msg("\"%s\" should parse", cases[i].s);
		if (ms != cases[i].ms)
			fail_msg("\"%s\": %llu ms, expected %llu", cases[i].s, ms, cases[i].ms);
	}
}

static void test_pattern_duration_ms__rejects(void **state)
{
	static const char *const bad[] = {
		"", "0", "1", "1.5s", "1d", "100us", "-1s", "999999h", "1h2m3s4ms5s", "1s ", "s",
		"1w", "1e3s", "0x1s",
	};

	(void)state;
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		unsigned long long ms = 0;

		if (pattern_duration_ms(bad[i], strlen(bad[i]), &ms))
			fail_msg("\"%s\" should not parse", bad[i]);
	}
}

static void test_pattern_duration_ms__null_result_and_length(void **state)
{
	unsigned long long ms = 0;

	(void)state;
	assert_true(pattern_duration_ms("5m", 2, NULL));
	/* only len bytes are read: "1s" of "1sX" */
	assert_true(pattern_duration_ms("1sX", 2, &ms));
	assert_int_equal(ms, 1000);
	assert_false(pattern_duration_ms("1sX", 3, &ms));
}

static void test_pattern_codepoints__valid_utf8(void **state)
{
	(void)state;
	assert_int_equal(pattern_codepoints("", 0), 0);
	assert_int_equal(pattern_codepoints("abc", 3), 3);
	assert_int_equal(pattern_codepoints("a\0b", 3), 3);
	assert_int_equal(pattern_codepoints("\xC3\xA9", 2), 1);                  /* é */
	assert_int_equal(pattern_codepoints("\xE2\x82\xAC", 3), 1);              /* € */
	assert_int_equal(pattern_codepoints("\xF0\x9F\x98\x80", 4), 1);          /* emoji */
	assert_int_equal(pattern_codepoints("caf\xC3\xA9 \xE2\x82\xAC", 9), 6);
	assert_int_equal(pattern_codepoints("\xEF\xBF\xBD", 3), 1);              /* U+FFFD itself */
	assert_int_equal(pattern_codepoints("\xF4\x8F\xBF\xBF", 4), 1);          /* U+10FFFF */
}

/* Like Go's utf8.RuneCount (what the API server uses): each invalid byte is one. */
static void test_pattern_codepoints__invalid_bytes_count_one_each(void **state)
{
	(void)state;
	assert_int_equal(pattern_codepoints("\x80", 1), 1);
	assert_int_equal(pattern_codepoints("\x80\x80", 2), 2);
	assert_int_equal(pattern_codepoints("a\xBF" "b", 3), 3);
	assert_int_equal(pattern_codepoints("\xC3", 1), 1);
	assert_int_equal(pattern_codepoints("\xC3" "A", 2), 2);
	assert_int_equal(pattern_codepoints("\xE2\x82", 2), 2);
	assert_int_equal(pattern_codepoints("\xC0\x80", 2), 2);                  /* overlong */
	assert_int_equal(pattern_codepoints("\xE0\x80\xAF", 3), 3);              /* overlong */
	assert_int_equal(pattern_codepoints("\xED\xA0\x80", 3), 3);              /* surrogate */
	assert_int_equal(pattern_codepoints("\xF4\x90\x80\x80", 4), 4);          /* > U+10FFFF */
	assert_int_equal(pattern_codepoints("\xFF\xFE", 2), 2);
	assert_int_equal(pattern_codepoints("\xC3\xA9\x80", 3), 2);
	/* a truncated sequence at the end of the length, not of the buffer */
	assert_int_equal(pattern_codepoints("\xC3\xA9", 1), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pattern_match__hostname),
		cmocka_unit_test(test_pattern_match__precise_hostname),
		cmocka_unit_test(test_pattern_match__namespace),
		cmocka_unit_test(test_pattern_match__group),
		cmocka_unit_test(test_pattern_match__kind),
		cmocka_unit_test(test_pattern_match__protocol),
		cmocka_unit_test(test_pattern_match__header_name),
		cmocka_unit_test(test_pattern_match__duration),
		cmocka_unit_test(test_pattern_match__path),
		cmocka_unit_test(test_pattern_match__address_type),
		cmocka_unit_test(test_pattern_match__controller),
		cmocka_unit_test(test_pattern_match__label_key),
		cmocka_unit_test(test_pattern_match__label_value),
		cmocka_unit_test(test_pattern_match__cors_origin),
		cmocka_unit_test(test_pattern_match__header_value),
		cmocka_unit_test(test_pattern_match__grpc_service),
		cmocka_unit_test(test_pattern_match__grpc_method),
		cmocka_unit_test(test_pattern_match__none_and_out_of_range),
		cmocka_unit_test(test_pattern_match__nul_never_matches),
		cmocka_unit_test(test_pattern_source__all_ids),
		cmocka_unit_test(test_pattern_is_dns_labels__basic),
		cmocka_unit_test(test_pattern_duration_ms__values),
		cmocka_unit_test(test_pattern_duration_ms__rejects),
		cmocka_unit_test(test_pattern_duration_ms__null_result_and_length),
		cmocka_unit_test(test_pattern_codepoints__valid_utf8),
		cmocka_unit_test(test_pattern_codepoints__invalid_bytes_count_one_each),
	};

	return cmocka_run_group_tests_name("pattern", tests, NULL, NULL);
}
