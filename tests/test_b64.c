/* test_b64: RFC 4648 vectors, round trips, and what strict decoding refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"

static void test_b64__rfc4648_vectors(void **state)
{
	/* the RFC's, and one long enough for several six-byte rounds and a tail */
	static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar",
					     "The quick brown fox jumps over the lazy dog" };
	static const char *const enc[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy",
					   "VGhlIHF1aWNrIGJyb3duIGZveCBqdW1wcyBvdmVyIHRoZSBsYXp5IGRvZw==" };

	(void)state;
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		char *e = b64_encode(plain[i], strlen(plain[i]));
		unsigned char *d;
		size_t n;

		assert_string_equal(e, enc[i]);
		assert_int_equal(b64_decode(enc[i], strlen(enc[i]), false, &d, &n), 0);
		assert_int_equal(n, strlen(plain[i]));
		assert_memory_equal(d, plain[i], n);
		assert_int_equal(d[n], '\0');
		free(e);
		free(d);
	}
}

static void test_b64__round_trip_all_bytes(void **state)
{
	unsigned char in[300];

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)(i * 37 + 11);
	for (size_t len = 0; len <= sizeof(in); len += 7) {
		char *e = b64_encode(in, len);
		unsigned char *d;
		size_t n;

		assert_non_null(e);
		assert_int_equal(strlen(e), (len + 2) / 3 * 4);
		assert_int_equal(b64_decode(e, strlen(e), false, &d, &n), 0);
		assert_int_equal(n, len);
		assert_memory_equal(d, in, len);
		free(e);
		free(d);
	}
}

static void test_b64__strict_refusals(void **state)
{
	static const char *const bad[] = {
		"Zg=", "Zg", "Z===", "Zm9v!", "Zg==Zg==", "Zm=v", "=Zm9", "Zm9v Zm9v", "Zm9v\n", "Zm9vY-==",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned char *d = (unsigned char *)"untouched";
		size_t n = 99;

		assert_int_equal(b64_decode(bad[i], strlen(bad[i]), false, &d, &n), 1);
		assert_null(d);
		assert_int_equal(n, 0);
	}
}

static void test_b64__spaces_only_when_asked(void **state)
{
	const char *s = "Zm9v\nYmFy\r\n  ";
	unsigned char *d;
	size_t n;

	(void)state;
	assert_int_equal(b64_decode(s, strlen(s), true, &d, &n), 0);
	assert_int_equal(n, 6);
	assert_memory_equal(d, "foobar", 6);
	free(d);
	assert_int_equal(b64_decode(s, strlen(s), false, &d, &n), 1);
	/* a space inside a padded end is still refused after the padding */
	assert_int_equal(b64_decode("Zg== Zg==", 9, true, &d, &n), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64__rfc4648_vectors),
		cmocka_unit_test(test_b64__round_trip_all_bytes),
		cmocka_unit_test(test_b64__strict_refusals),
		cmocka_unit_test(test_b64__spaces_only_when_asked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
