/*
 * Tests for regex_re2_valid. The two tables were checked against a real RE2 build
 * (libre2 2022-06) when written; the one entry where that RE2 disagrees is
 * (?<name>x), which newer RE2 accepts and so does the checker. Each entry is a case of
 * its own: a table failure names the expression.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "regex.h"

static const char *const valid_res[] = {
	"abc",
	"^/api/v[0-9]+/users$",
	".*",
	"a|b|c",
	"(a)(b)(c)",
	"(?:abc)+",
	"a*?b+?c?" "?",
	"a{2}",
	"a{2,}",
	"a{2,5}",
	"a{0}",
	"a{1000}",
	"a{1000,1000}",
	"(x{10}){100}",
	"(x{2}|y{3}){333}",
	"a{",
	"a{,5}",
	"a{01}",
	"a{2, 3}",
	"}",
	"]",
	"[]a]",
	"[^]a]",
	"[-a]",
	"[a-]",
	"[a-b-c]",
	"[\\d-z]",
	"[[:alpha:]]",
	"[[:^space:][:digit:]]",
	"[[:word:]]",
	"[[:]",
	"[\\pL\\d]",
	"[\\x{41}-\\x{5A}]",
	"[\\-\\]\\[]",
	"\\d\\D\\s\\S\\w\\W",
	"\\bfoo\\B",
	"\\Afoo\\z",
	"\\C",
	"\\Qa.b*c\\E",
	"\\Qunterminated",
	"x\\Q\\E*",
	"\\pL",
	"\\PL",
	"\\p{Greek}",
	"\\p{^Greek}",
	"\\P{^Han}",
	"\\p{Lu}\\p{Nd}\\p{Zs}",
	"\\p{Any}",
	"\\p{Cyrillic}\\p{Arabic}\\p{Latin}",
	"\\x41\\x{263A}\\x{10FFFF}",
	"\\0\\07\\012",
	"\\12",
	"\\a\\f\\t\\n\\r\\v",
	"\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\^\\$\\\\",
	"\\_\\-\\ \\/",
	"(?P<name>x)",
	"(?<name>x)",
	"(?P<n1>a)(?P<n2>b)",
	"(?i)abc",
	"(?s).",
	"(?m)^a$",
	"(?U)a+",
	"(?i:a)b",
	"(?-i)a",
	"(?sm-iU:a)",
	"(?i-i)",
	"(?)",
	"()",
	"(|a)",
	"a|",
	"^*",
	"\\b*",
	"a(?i)*",
	"((((a))))",
	"é+",
	"日本語",
	"[é-ü]",
};

static const char *const invalid_res[] = {
	"(a)\\1",
	"\\9",
	"(?P=name)",
	"(?=a)",
	"(?!a)",
	"(?<=a)",
	"(?<!a)",
	"(?>a)",
	"(?(1)a|b)",
	"(?#comment)",
	"a++",
	"a*+",
	"a?+",
	"a{2}+",
	"a**",
	"a{2}{3}",
	"a*{2}",
	"a{2}*",
	"*a",
	"+a",
	"?a",
	"{2}",
	"a|*",
	"(*)",
	"(?i)*",
	"\\Q\\E*",
	"a{1001}",
	"a{0,1001}",
	"a{1001,}",
	"a{3,2}",
	"(a{100}){100}",
	"(x{2}){501}",
	"a{2}(?i){501}",
	"(abc",
	"abc)",
	")",
	"((a)",
	"[abc",
	"[]",
	"[^]",
	"[z-a]",
	"[\\x{10FFFF}-\\x{0}]",
	"[a-\\d]",
	"[\\b]",
	"[[:foo:]]",
	"[[:Alpha:]]",
	"[[::]]",
	"\\Z",
	"\\k<name>",
	"\\e",
	"\\cA",
	"\\G",
	"\\h",
	"\\u0041",
	"\\E",
	"\\",
	"[a\\",
	"\\x",
	"\\xA",
	"\\x{}",
	"\\x{110000}",
	"\\x{41",
	"\\p",
	"\\p{",
	"\\p{greek}",
	"\\p{Cn}",
	"\\p{Unknown}",
	"\\pé",
	"\\é",
	"(?P<>a)",
	"(?P<a-b>x)",
	"(?P<name",
	"(?x)a",
	"(?i-)a",
	"(?-)",
	"(?",
	"(?i",
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static bool check(const char *re, size_t len, char *why, size_t whysz)
{
	return regex_re2_valid(re, len, why, whysz);
}

static bool check_str(const char *re, char *why, size_t whysz)
{
	return check(re, strlen(re), why, whysz);
}

static void test_regex_re2_valid__accepts_table(void **state)
{
	(void)state;
	assert_true(N_ELEMS(valid_res) >= 60);
	for (size_t i = 0; i < N_ELEMS(valid_res); i++) {
		char why[128] = "unset";

		if (!check_str(valid_res[i], why, sizeof(why)))
			fail_msg("expected valid: \"%s\" (got: %s)", valid_res[i], why);
		/* a success leaves no stale reason behind */
		assert_string_equal(why, "");
	}
}

static void test_regex_re2_valid__rejects_table(void **state)
{
	(void)state;
	assert_true(N_ELEMS(invalid_res) >= 60);
	for (size_t i = 0; i < N_ELEMS(invalid_res); i++) {
		char why[128] = "";

		if (check_str(invalid_res[i], why, sizeof(why)))
			fail_msg("expected invalid: \"%s\"", invalid_res[i]);
		if (why[0] == '\0')
			fail_msg("no reason written for \"%s\"", invalid_res[i]);
	}
}

/* the reason names the construct, for the webhook's message */
static void expect_reason(const char *re, const char *needle)
{
	char why[160] = "";

	assert_false(check_str(re, why, sizeof(why)));
	if (strstr(why, needle) == NULL)
		fail_msg("reason for \"%s\" is \"%s\", expected it to mention \"%s\"", re, why, needle);
}

static void test_regex_re2_valid__reasons(void **state)
{
	(void)state;
	expect_reason("(a)\\1", "backreference");
	expect_reason("(?P=x)", "backreference");
	expect_reason("(?=a)", "lookahead");
	expect_reason("(?<!a)", "lookbehind");
	expect_reason("(?>a)", "atomic");
	expect_reason("a++", "possessive");
	expect_reason("a**", "bad repetition");
	expect_reason("*", "missing argument");
	expect_reason("(a", "missing closing )");
	expect_reason("a)", "unexpected )");
	expect_reason("[a", "missing closing ]");
	expect_reason("\\k<n>", "invalid escape sequence \\k");
	expect_reason("\\Z", "\\Z");
	expect_reason("a{1001}", "repetition size");
	expect_reason("[z-a]", "z-a");
	expect_reason("\\p{Klingon}", "Klingon");
	expect_reason("[[:foo:]]", "[:foo:]");
	expect_reason("(?x)", "flags");
	expect_reason("(?P<a b>x)", "named capture");
	expect_reason("a\\", "trailing \\");
}

/* RE2 only refuses a single digit escape; two octal digits make an octal escape */
static void test_regex_re2_valid__octal_versus_backreference(void **state)
{
	(void)state;
	assert_true(check_str("\\12", NULL, 0));
	assert_true(check_str("\\0", NULL, 0));
	assert_true(check_str("\\08", NULL, 0));   /* \0 then '8' */
	assert_true(check_str("\\1234", NULL, 0)); /* \123 then '4' */
	assert_false(check_str("\\1", NULL, 0));
	assert_false(check_str("\\18", NULL, 0));
	assert_false(check_str("\\8", NULL, 0));
	assert_false(check_str("\\9", NULL, 0));
}

/* RE2 rejects nested counted repetition whose counts multiply past 1000 */
static void test_regex_re2_valid__nested_repeat_product(void **state)
{
	(void)state;
	assert_true(check_str("((a{10}){10}){10}", NULL, 0));
	assert_false(check_str("((a{10}){10}){11}", NULL, 0));
	assert_true(check_str("(a{2,}){500}", NULL, 0));   /* open-ended counts use the minimum */
	assert_false(check_str("(a{2,}){501}", NULL, 0));
	assert_true(check_str("(a{0}){1000}", NULL, 0));   /* zero does not count */
	assert_true(check_str("(a*){1000}", NULL, 0));     /* nor do *, + and ? */
	assert_true(check_str("a{1000}b{1000}", NULL, 0)); /* siblings do not multiply */
	assert_true(check_str("(a{1000}|b{1000})", NULL, 0));
	assert_false(check_str("(a{2}|(b{3})){334}", NULL, 0));
}

/* A brace that does not spell a valid count is a literal, as in RE2. */
static void test_regex_re2_valid__literal_braces(void **state)
{
	(void)state;
	assert_true(check_str("{", NULL, 0));
	assert_true(check_str("a{x}", NULL, 0));
	assert_true(check_str("a{1,2", NULL, 0));
	assert_true(check_str("a{1000000000}", NULL, 0)); /* too big to be a count */
	assert_true(check_str("a{-1}", NULL, 0));
	assert_false(check_str("a{99999999}", NULL, 0)); /* a count, and too big */
}

static void test_regex_re2_valid__named_groups(void **state)
{
	(void)state;
	assert_true(check_str("(?P<year>\\d{4})-(?P<month>\\d{2})", NULL, 0));
	assert_true(check_str("(?<year>\\d{4})", NULL, 0));
	assert_true(check_str("(?P<_1>x)", NULL, 0));
	assert_true(check_str("(?P<1a>x)", NULL, 0));
	assert_true(check_str("(?P<n>a)(?P<n>b)", NULL, 0)); /* RE2 does not check duplicates */
	assert_false(check_str("(?P<>x)", NULL, 0));
	assert_false(check_str("(?<>x)", NULL, 0));
	assert_false(check_str("(?P<a.b>x)", NULL, 0));
	assert_false(check_str("(?P<n>x", NULL, 0));
	assert_false(check_str("(?P>n)", NULL, 0));
}

static void test_regex_re2_valid__flag_groups(void **state)
{
	(void)state;
	assert_true(check_str("(?i)(?m)(?s)(?U)", NULL, 0));
	assert_true(check_str("(?i-msU)", NULL, 0));
	assert_true(check_str("(?ii)", NULL, 0));
	assert_true(check_str("(?-i:a)", NULL, 0));
	assert_false(check_str("(?i-:a)", NULL, 0));
	assert_false(check_str("(?--i)", NULL, 0));
	assert_false(check_str("(?i-s-m)", NULL, 0));
	assert_false(check_str("(?a)", NULL, 0));
	assert_false(check_str("(?I)", NULL, 0));
	/* a flag group is not an operand, and clears "previous token was a repeat" */
	assert_false(check_str("((?i)*)", NULL, 0));
	assert_true(check_str("a*(?i)*", NULL, 0));
}

static void test_regex_re2_valid__posix_classes(void **state)
{
	static const char *const names[] = {
		"alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph",
		"lower", "print", "punct", "space", "upper", "word", "xdigit",
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < N_ELEMS(names); i++) {
		snprintf(buf, sizeof(buf), "[[:%s:]]", names[i]);
		assert_true(check_str(buf, NULL, 0));
		snprintf(buf, sizeof(buf), "[^x[:^%s:]y]", names[i]);
		assert_true(check_str(buf, NULL, 0));
	}
	/* outside brackets it is an ordinary class of ':', 'a', ... */
	assert_true(check_str("[:alpha:]", NULL, 0));
	assert_false(check_str("[[:alpha:]", NULL, 0));
	assert_false(check_str("[[:digits:]]", NULL, 0));
	assert_false(check_str("[a-[:alpha:]]", NULL, 0));
}

static void test_regex_re2_valid__unicode_classes(void **state)
{
	static const char *const names[] = {
		"L", "Lu", "Ll", "Lt", "Lm", "Lo", "M", "Mn", "N", "Nd", "P", "Pd", "S", "Sm",
		"Z", "Zs", "C", "Cc", "Greek", "Latin", "Han", "Cyrillic", "Arabic", "Hebrew",
		"Hiragana", "Katakana", "Hangul", "Thai", "Devanagari", "Bengali", "Tamil",
		"Armenian", "Georgian", "Ethiopic", "Khmer", "Mongolian", "Tibetan", "Common",
		"Inherited", "Braille",
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < N_ELEMS(names); i++) {
		snprintf(buf, sizeof(buf), "\\p{%s}\\P{%s}[\\p{^%s}]", names[i], names[i], names[i]);
		if (!check_str(buf, NULL, 0))
			fail_msg("expected valid: %s", buf);
	}
	assert_true(check_str("\\pL\\pN\\PZ", NULL, 0));
	assert_false(check_str("\\pX", NULL, 0));
	assert_false(check_str("\\p{latin}", NULL, 0)); /* names are case-sensitive */
	assert_false(check_str("\\p{Grek}", NULL, 0));  /* no script aliases */
	assert_false(check_str("\\p{Greek", NULL, 0));
	assert_false(check_str("\\p{^}", NULL, 0));
	assert_false(check_str("[\\p{Foo}]", NULL, 0));
}

static void test_regex_re2_valid__nul_byte(void **state)
{
	char why[64] = "";

	(void)state;
	assert_false(check("a\0b", 3, why, sizeof(why)));
	assert_non_null(strstr(why, "NUL"));
	assert_false(check("\0", 1, NULL, 0));
	/* length bounds the input: the NUL terminator is not part of it */
	assert_true(check("ab", 2, NULL, 0));
}

static void test_regex_re2_valid__invalid_utf8(void **state)
{
	static const char *const bad[] = {
		"\x80",             /* lone continuation byte */
		"a\xC3",            /* truncated two-byte sequence */
		"\xE2\x82",         /* truncated three-byte sequence */
		"\xC0\xAF",         /* overlong '/' */
		"\xE0\x80\xAF",     /* overlong, three bytes */
		"\xF4\x90\x80\x80", /* beyond U+10FFFF */
		"\xED\xA0\x80",     /* UTF-16 surrogate */
		"\xFF",
		"[\xFE]",
		"\\p{\xC3}",
	};

	(void)state;
	for (size_t i = 0; i < N_ELEMS(bad); i++) {
		char why[64] = "";

		assert_false(check_str(bad[i], why, sizeof(why)));
		assert_non_null(strstr(why, "UTF-8"));
	}
	assert_true(check_str("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", NULL, 0));
	assert_true(check_str("[\xC3\xA0-\xC3\xBF]", NULL, 0));
	assert_false(check_str("[\xC3\xBF-\xC3\xA0]", NULL, 0));
}

/* The nesting cap keeps hostile input from exhausting anything. */
static void test_regex_re2_valid__nesting_limit(void **state)
{
	static char buf[4 * 1001 + 2];
	char why[96] = "";
	size_t n = 0;

	(void)state;
	for (int i = 0; i < 1000; i++)
		buf[n++] = '(';
	for (int i = 0; i < 1000; i++)
		buf[n++] = ')';
	assert_true(check(buf, n, NULL, 0));

	n = 0;
	for (int i = 0; i < 1001; i++) {
		memcpy(buf + n, "(?:", 3);
		n += 3;
	}
	buf[n++] = 'a';
	for (int i = 0; i < 1001; i++)
		buf[n++] = ')';
	assert_false(check(buf, n, why, sizeof(why)));
	assert_non_null(strstr(why, "nests too deeply"));

	/* unbalanced: many opens and nothing else */
	memset(buf, '(', sizeof(buf));
	assert_false(check(buf, sizeof(buf), NULL, 0));
}

/* A long expression is checked in linear time and without recursion. */
static void test_regex_re2_valid__long_input(void **state)
{
	static char buf[200000];

	(void)state;
	for (size_t i = 0; i + 4 <= sizeof(buf); i += 4)
		memcpy(buf + i, "(a)*", 4);
	assert_true(check(buf, sizeof(buf), NULL, 0));
	memset(buf, 'x', sizeof(buf));
	buf[sizeof(buf) - 1] = '\\';
	assert_false(check(buf, sizeof(buf), NULL, 0));
	/* many "[:" with no ":]" after them: each is a literal, not a rescan to the end */
	buf[0] = '[';
	for (size_t i = 1; i + 2 < sizeof(buf); i += 2)
		memcpy(buf + i, "[:", 2);
	memcpy(buf + sizeof(buf) - 2, "x]", 2);
	assert_true(check(buf, sizeof(buf), NULL, 0));
}

static void test_regex_re2_valid__empty_and_null(void **state)
{
	char why[8] = "stale";

	(void)state;
	assert_true(check("", 0, why, sizeof(why)));
	assert_string_equal(why, "");
	assert_true(check(NULL, 0, NULL, 0));
	assert_false(check(NULL, 3, NULL, 0));
}

/* A short buffer gets a truncated, still terminated reason; why may be NULL. */
static void test_regex_re2_valid__why_buffer(void **state)
{
	char why[6];

	(void)state;
	memset(why, 'X', sizeof(why));
	assert_false(check_str("(?=a)", why, sizeof(why)));
	assert_int_equal(strlen(why), sizeof(why) - 1);
	assert_false(check_str("(?=a)", NULL, 0));
	why[0] = 'X';
	assert_false(check_str("(?=a)", why, 0));
	assert_int_equal(why[0], 'X');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regex_re2_valid__accepts_table),
		cmocka_unit_test(test_regex_re2_valid__rejects_table),
		cmocka_unit_test(test_regex_re2_valid__reasons),
		cmocka_unit_test(test_regex_re2_valid__octal_versus_backreference),
		cmocka_unit_test(test_regex_re2_valid__nested_repeat_product),
		cmocka_unit_test(test_regex_re2_valid__literal_braces),
		cmocka_unit_test(test_regex_re2_valid__named_groups),
		cmocka_unit_test(test_regex_re2_valid__flag_groups),
		cmocka_unit_test(test_regex_re2_valid__posix_classes),
		cmocka_unit_test(test_regex_re2_valid__unicode_classes),
		cmocka_unit_test(test_regex_re2_valid__nul_byte),
		cmocka_unit_test(test_regex_re2_valid__invalid_utf8),
		cmocka_unit_test(test_regex_re2_valid__nesting_limit),
		cmocka_unit_test(test_regex_re2_valid__long_input),
		cmocka_unit_test(test_regex_re2_valid__empty_and_null),
		cmocka_unit_test(test_regex_re2_valid__why_buffer),
	};

	return cmocka_run_group_tests_name("regex", tests, NULL, NULL);
}
