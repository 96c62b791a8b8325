/*
 * test_tlsinfo: certs/tlsinfo.c over the committed test PEMs (tests/data/tls/): a good
 * pair, a mismatched key, an expired certificate, a CN-only certificate, garbage
 * base64, missing members, the stringData form. Every case checks that the key
 * material is gone afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "err.h"
#include "jv.h"
#include "tlsinfo.h"
#include "testutil.h"

#define slurp testutil_slurp

static char *b64(const char *s)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), o = 0;
	char *out = malloc(n / 3 * 4 + 5);

	assert_non_null(out);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? tab[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

/* A kubernetes.io/tls Secret with data from the named PEM files (NULL: left out). */
static json_t *secret(const char *crt, const char *key)
{
	json_t *s = json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:{}}", "apiVersion", "v1", "kind", "Secret", "metadata",
			      "name", "tls", "namespace", "default", "type", "kubernetes.io/tls", "data");
	const char *files[2] = { crt, key }, *keys[2] = { "tls.crt", "tls.key" };

	assert_non_null(s);
	for (int i = 0; i < 2; i++) {
		char path[128], *pem, *enc;

		if (files[i] == NULL)
			continue;
		snprintf(path, sizeof(path), "data/tls/%s", files[i]);
		pem = slurp(path);
		enc = b64(pem);
		json_object_set_new(jv_obj(s, "data"), keys[i], json_string(enc));
		free(pem);
		free(enc);
	}
	return s;
}

static const json_t *annotate(json_t *s)
{
	struct err e;

	err_init(&e);
	assert_int_equal(tlsinfo_annotate_secret(s, &e), 0);
	assert_null(jv_get(s, "data"));
	assert_null(jv_get(s, "stringData"));
	return jv_obj(jv_obj(s, "gatewarden"), "tls");
}

static bool has_name(const json_t *tls, const char *name)
{
	const json_t *x;
	size_t i;

	json_array_foreach(jv_arr(tls, "dnsNames"), i, x)
		if (strcmp(json_string_value(x), name) == 0)
			return true;
	return false;
}

static void test_tlsinfo__good_pair(void **state)
{
	json_t *s = secret("example-cert.pem", "example-key.pem");
	const json_t *tls = annotate(s);
	long long nb, na;

	(void)state;
	assert_true(json_is_true(jv_get(tls, "usable")));
	assert_null(jv_get(tls, "problem"));
	assert_int_equal(jv_size(jv_arr(tls, "dnsNames")), 2);
	assert_true(has_name(tls, "a.example.com"));
	assert_true(has_name(tls, "*.example.com"));
	assert_true(jv_int(tls, "notBefore", &nb));
	assert_true(jv_int(tls, "notAfter", &na));
	assert_true(nb < (long long)time(NULL) + 86400);
	assert_true(na > 4102444800LL); /* 2100-01-01: past 2038 is read right */
	json_decref(s);
}

static void test_tlsinfo__mismatched_key(void **state)
{
	json_t *s = secret("example-cert.pem", "other-key.pem");
	const json_t *tls = annotate(s);

	(void)state;
	assert_true(json_is_false(jv_get(tls, "usable")));
	assert_string_equal(jv_str(tls, "problem"), "tls.key does not match the certificate in tls.crt");
	assert_true(has_name(tls, "a.example.com")); /* the certificate still says what it covers */
	json_decref(s);
}

static void test_tlsinfo__expired(void **state)
{
	json_t *s = secret("expired-cert.pem", "expired-key.pem");
	const json_t *tls = annotate(s);
	long long nb, na;

	(void)state;
	assert_true(json_is_true(jv_get(tls, "usable"))); /* expiry is judged by core, with its own now */
	assert_true(jv_int(tls, "notBefore", &nb));
	assert_true(jv_int(tls, "notAfter", &na));
	assert_int_equal(nb, 1577836800LL); /* 2020-01-01T00:00:00Z */
	assert_int_equal(na, 1580515200LL); /* 2020-02-01T00:00:00Z */
	assert_true(na < (long long)time(NULL));
	assert_true(has_name(tls, "old.example.com"));
	json_decref(s);
}

static void test_tlsinfo__cn_fallback(void **state)
{
	json_t *s = secret("cn-only-cert.pem", "cn-only-key.pem");
	const json_t *tls = annotate(s);

	(void)state;
	assert_true(json_is_true(jv_get(tls, "usable")));
	assert_int_equal(jv_size(jv_arr(tls, "dnsNames")), 1);
	assert_true(has_name(tls, "cn.example.org"));
	json_decref(s);
}

/* a DNS subjectAltName holding a byte of another charset (an IA5String takes any
 * byte): it names no host, so it is left out; the rest of the certificate is read
 * (this was "out of memory": the name was not UTF-8, so jansson made no string of it) */
static void test_tlsinfo__san_not_ascii(void **state)
{
	json_t *s = secret("latin1-san-cert.pem", "latin1-san-key.pem");
	const json_t *tls = annotate(s);

	(void)state;
	assert_true(json_is_true(jv_get(tls, "usable")));
	assert_int_equal(jv_size(jv_arr(tls, "dnsNames")), 1);
	assert_true(has_name(tls, "ok.example.com"));
	json_decref(s);
}

static void test_tlsinfo__garbage_base64(void **state)
{
	json_t *s = secret(NULL, "example-key.pem");
	const json_t *tls;

	(void)state;
	json_object_set_new(jv_obj(s, "data"), "tls.crt", json_string("not base64!"));
	tls = annotate(s);
	assert_true(json_is_false(jv_get(tls, "usable")));
	assert_string_equal(jv_str(tls, "problem"), "tls.crt is not valid base64");
	assert_null(jv_get(tls, "dnsNames"));
	json_decref(s);
}

static void test_tlsinfo__base64_of_garbage(void **state)
{
	json_t *s = secret(NULL, "example-key.pem");
	char *enc = b64("hello, not a certificate\n");
	const json_t *tls;

	(void)state;
	json_object_set_new(jv_obj(s, "data"), "tls.crt", json_string(enc));
	free(enc);
	tls = annotate(s);
	assert_true(json_is_false(jv_get(tls, "usable")));
	assert_string_equal(jv_str(tls, "problem"), "tls.crt holds no PEM certificate");
	json_decref(s);
}

static void test_tlsinfo__missing_key(void **state)
{
	json_t *s = secret("example-cert.pem", NULL);
	const json_t *tls = annotate(s);

	(void)state;
	assert_true(json_is_false(jv_get(tls, "usable")));
	assert_string_equal(jv_str(tls, "problem"), "tls.key is missing");
	assert_true(has_name(tls, "*.example.com"));
	json_decref(s);
}

static void test_tlsinfo__key_is_a_certificate(void **state)
{
	json_t *s = secret("example-cert.pem", "example-cert.pem");
	const json_t *tls = annotate(s);

	(void)state;
	assert_true(json_is_false(jv_get(tls, "usable")));
	assert_string_equal(jv_str(tls, "problem"), "tls.key holds no unencrypted PEM private key");
	json_decref(s);
}

static void test_tlsinfo__string_data(void **state)
{
	char *crt = slurp("data/tls/example-cert.pem"), *key = slurp("data/tls/example-key.pem");
	json_t *s = json_pack("{s:s, s:s, s:{s:s}, s:s, s:{s:s, s:s}}", "apiVersion", "v1", "kind", "Secret", "metadata",
			      "name", "tls", "type", "kubernetes.io/tls", "stringData", "tls.crt", crt, "tls.key", key);
	const json_t *tls;

	(void)state;
	assert_non_null(s);
	tls = annotate(s);
	assert_true(json_is_true(jv_get(tls, "usable")));
	assert_true(has_name(tls, "a.example.com"));
	free(crt);
	free(key);
	json_decref(s);
}

static void test_tlsinfo__other_type_stripped_not_annotated(void **state)
{
	json_t *s = secret("example-cert.pem", "example-key.pem");

	(void)state;
	json_object_set_new(s, "type", json_string("Opaque"));
	annotate(s);
	assert_null(jv_get(s, "gatewarden"));
	json_decref(s);
}

static void test_tlsinfo__not_an_object(void **state)
{
	json_t *a = json_array();
	struct err e;

	(void)state;
	err_init(&e);
	assert_int_equal(tlsinfo_annotate_secret(a, &e), ERR_INVALID);
	assert_int_equal(e.code, ERR_INVALID);
	json_decref(a);
}

int main(void)
{
#define T(f) cmocka_unit_test(f)
	const struct CMUnitTest tests[] = {
		T(test_tlsinfo__good_pair),
		T(test_tlsinfo__mismatched_key),
		T(test_tlsinfo__expired),
		T(test_tlsinfo__cn_fallback),
		T(test_tlsinfo__san_not_ascii),
	T(test_tlsinfo__san_not_ascii),
		T(test_tlsinfo__garbage_base64),
		T(test_tlsinfo__base64_of_garbage),
		T(test_tlsinfo__missing_key),
		T(test_tlsinfo__key_is_a_certificate),
		T(test_tlsinfo__string_data),
		T(test_tlsinfo__other_type_stripped_not_annotated),
		T(test_tlsinfo__not_an_object),
	};

	return cmocka_run_group_tests_name("tlsinfo", tests, NULL, NULL);
}
