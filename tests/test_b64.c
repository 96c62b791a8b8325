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

/* the reference: one 6-bit field at a time, no tables shared with b64.c */
static void slow_encode(char *out, const unsigned char *in, size_t n)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t bits = n * 8, o = 0;

	for (size_t b = 0; b < bits; b += 6) {
		unsigned v = 0;

		for (size_t k = b; k < b + 6; k++)
			v = v << 1 | (k < bits ? (in[k / 8] >> (7 - k % 8)) & 1u : 0u);
		out[o++] = abc[v];
	}
	while (o % 4 != 0)
		out[o++] = '=';
	out[o] = '\0';
}

static void check_against_slow(const unsigned char *in, size_t len)
{
	char *want = malloc(B64_ENCODED_LEN(len) + 1), *got = malloc(B64_ENCODED_LEN(len) + 1);

	assert_non_null(want);
	assert_non_null(got);
	slow_encode(want, in, len);
	assert_int_equal(b64_encode_to(got, in, len), B64_ENCODED_LEN(len));
	assert_string_equal(got, want);
	free(want);
	free(got);
}

/* every length through the wide rounds (24 bytes, from 28 left; 6; 3) and every tail,
 * on bytes that put each of the 64 values in each of a group's four places, on
 * pseudo-random bytes, on all-zero and all-one bytes, at odd offsets */
static void test_b64__encode_matches_bitwise_reference(void **state)
{
	enum { MAX = 5000 };
	unsigned char *buf = malloc(MAX + 1);
	uint32_t x = 2463534242u;

	(void)state;
	assert_non_null(buf);
	for (size_t k = 0; k < MAX * 8 / 6; k++) { /* the 6-bit fields 0, 1, ..., 63, 0, ... */
		for (size_t b = 0; b < 6; b++) {
			size_t bit = k * 6 + b;

			if (bit / 8 >= MAX)
				break;
			if (((k % 64) >> (5 - b)) & 1)
				buf[bit / 8] |= (unsigned char)(0x80 >> (bit % 8));
			else
				buf[bit / 8] &= (unsigned char)~(0x80 >> (bit % 8));
		}
	}
	for (size_t len = 0; len <= 300; len++)
		check_against_slow(buf, len);
	check_against_slow(buf, MAX);
	for (size_t i = 0; i <= MAX; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (unsigned char)x;
	}
	for (size_t len = 0; len <= 300; len++)
		check_against_slow(buf + 1, len);
	check_against_slow(buf + 1, MAX - 1);
	check_against_slow(buf, MAX);
	memset(buf, 0xff, MAX);
	check_against_slow(buf, 100);
	memset(buf, 0, MAX);
	check_against_slow(buf, 100);
	free(buf);
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
		cmocka_unit_test(test_b64__encode_matches_bitwise_reference),
		cmocka_unit_test(test_b64__strict_refusals),
		cmocka_unit_test(test_b64__spaces_only_when_asked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
