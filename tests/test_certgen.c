/*
 * test_certgen: the webhook's CA and serving certificate (certs/certgen.c over
 * certs/x509.c). Each case parses what was generated: the SANs in order, key match,
 * basicConstraints, key usage and EKU, validity against the given clock, the chain to
 * the CA at the API server's purpose (serverAuth), and tlsinfo's view of the pair as a
 * kubernetes.io/tls Secret. Bad options change nothing and say what is wrong.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "certgen.h"
#include "err.h"
#include "jv.h"
#include "tlsinfo.h"
#include "x509.h"

#define NOW 1795000000LL /* 2026-11-18 */

static struct x509_cert *cert_of(const char *pem)
{
	struct x509_cert *c = NULL;
	bool rest_bad = true;

	assert_int_equal(x509_chain_first(pem, strlen(pem), &c, &rest_bad), 0);
	assert_false(rest_bad);
	assert_non_null(c);
	return c;
}

static struct x509_key *key_of(const char *pem)
{
	struct x509_key *k = NULL;

	assert_int_equal(x509_key_parse(pem, strlen(pem), &k), 0);
	assert_non_null(k);
	return k;
}

static void assert_names(const json_t *arr, const char *const *want, size_t n)
{
	assert_int_equal(json_array_size(arr), n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(json_string_value(json_array_get(arr, i)), want[i]);
}

static void make_pair(const struct certgen_opts *o, struct x509_pem *ca, struct x509_pem *leaf)
{
	struct err err;

	err_init(&err);
	assert_int_equal(certgen_make_ca(o, ca, &err), 0);
	assert_int_equal(certgen_make_serving(o, ca, leaf, &err), 0);
	assert_int_equal(err.code, ERR_OK);
}

static void check_pair(const struct certgen_opts *o, const char *keytype, int bits)
{
	struct x509_pem ca, leaf;
	struct x509_cert *cac, *lc;
	struct x509_key *cak, *lk;
	struct x509_info ci, li;
	struct err err;

	make_pair(o, &ca, &leaf);
	cac = cert_of(ca.cert);
	lc = cert_of(leaf.cert);
	cak = key_of(ca.key);
	lk = key_of(leaf.key);

	/* keys belong to their certificates, not to each other */
	assert_true(x509_key_matches(cac, cak));
	assert_true(x509_key_matches(lc, lk));
	assert_false(x509_key_matches(lc, cak));
	assert_false(x509_key_matches(cac, lk));

	assert_int_equal(x509_cert_info(cac, &ci), 0);
	assert_int_equal(x509_cert_info(lc, &li), 0);

	/* the CA */
	assert_true(ci.is_ca);
	assert_true(ci.key_cert_sign);
	assert_false(ci.server_auth);
	assert_string_equal(ci.subject_cn, ci.issuer_cn);
	assert_int_equal(json_array_size(ci.dns), 0);
	assert_int_equal(ci.not_before, o->now - CERTGEN_SKEW);
	assert_int_equal(ci.not_after, o->now + (long long)o->ca_days * 86400);
	assert_string_equal(ci.key_type, keytype);
	assert_int_equal(ci.key_bits, bits);

	/* the serving certificate */
	assert_false(li.is_ca);
	assert_false(li.key_cert_sign);
	assert_true(li.server_auth);
	assert_false(li.client_auth);
	assert_true(li.digital_signature);
	assert_string_equal(li.issuer_cn, ci.subject_cn);
	assert_string_not_equal(li.serial, ci.serial);
	assert_true(strlen(li.serial) >= 30); /* a random 127-bit serial */
	assert_int_equal(li.not_before, o->now - CERTGEN_SKEW);
	assert_int_equal(li.not_after, o->now + (long long)o->days * 86400);
	assert_string_equal(li.key_type, keytype);
	assert_int_equal(li.key_bits, bits);
	/* "ecdsa-with-SHA256" or "sha256WithRSAEncryption" */
	assert_true(strstr(li.sig_alg, "SHA256") != NULL || strstr(li.sig_alg, "sha256") != NULL);

	/* chains to the CA for serverAuth at now, not before notBefore nor after notAfter */
	err_init(&err);
	assert_int_equal(x509_verify(lc, ca.cert, strlen(ca.cert), o->now, &err), 0);
	assert_int_equal(x509_verify(lc, ca.cert, strlen(ca.cert), li.not_after - 1, &err), 0);
	assert_int_equal(x509_verify(lc, ca.cert, strlen(ca.cert), li.not_after + 1, &err), ERR_INVALID);
	assert_non_null(strstr(err.msg, "expired"));
	err_init(&err);
	assert_int_equal(x509_verify(lc, ca.cert, strlen(ca.cert), li.not_before - 10, &err), ERR_INVALID);

	x509_info_free(&ci);
	x509_info_free(&li);
	x509_cert_free(cac);
	x509_cert_free(lc);
	x509_key_free(cak);
	x509_key_free(lk);
	x509_pem_free(&ca);
	x509_pem_free(&leaf);
}

static void test_default_ecdsa(void **state)
{
	static const char *const dns[] = { "gatewarden.gatewarden.svc", "gatewarden.gatewarden.svc.cluster.local",
					   "gatewarden.gatewarden", "gatewarden" };
	struct certgen_opts o;
	struct x509_pem ca, leaf;
	struct x509_cert *lc;
	struct x509_info li;

	(void)state;
	certgen_opts_init(&o, NOW);
	check_pair(&o, "EC", 256);

	make_pair(&o, &ca, &leaf);
	lc = cert_of(leaf.cert);
	assert_int_equal(x509_cert_info(lc, &li), 0);
	assert_names(li.dns, dns, 4);
	assert_int_equal(json_array_size(li.ips), 0);
	assert_string_equal(li.subject_cn, "gatewarden.gatewarden.svc");
	x509_info_free(&li);
	x509_cert_free(lc);
	x509_pem_free(&ca);
	x509_pem_free(&leaf);
}

static void test_extra_names_rsa(void **state)
{
	static const char *const dns[] = { "hook.policy.svc", "hook.policy.svc.cluster.local", "hook.policy", "hook",
					   "localhost", "*.example.test" };
	static const char *const ips[] = { "127.0.0.1", "::1", "2001:db8::7" };
	struct certgen_opts o;
	struct x509_pem ca, leaf;
	struct x509_cert *lc;
	struct x509_info li;

	(void)state;
	certgen_opts_init(&o, NOW);
	o.service = "hook";
	o.namespace = "policy";
	o.dns[o.ndns++] = "localhost";
	o.dns[o.ndns++] = "hook"; /* already there: not repeated */
	o.dns[o.ndns++] = "*.example.test";
	o.ips[o.nips++] = "127.0.0.1";
	o.ips[o.nips++] = "::1";
	o.ips[o.nips++] = "2001:db8:0::7";
	o.keytype = X509_KEY_RSA_2048;
	o.days = 30;
	o.ca_days = 60;
	check_pair(&o, "RSA", 2048);

	make_pair(&o, &ca, &leaf);
	lc = cert_of(leaf.cert);
	assert_int_equal(x509_cert_info(lc, &li), 0);
	assert_names(li.dns, dns, 6);
	assert_names(li.ips, ips, 3);
	x509_info_free(&li);
	x509_cert_free(lc);
	x509_pem_free(&ca);
	x509_pem_free(&leaf);
}

/* A serving certificate never outlives its CA, and an expired CA signs nothing. */
static void test_capped_by_ca(void **state)
{
	struct certgen_opts o, later;
	struct x509_pem ca, leaf;
	struct x509_cert *lc, *cac;
	long long nb, na, cnb, cna;
	struct err err;

	(void)state;
	certgen_opts_init(&o, NOW);
	o.days = 10;
	o.ca_days = 10;
	err_init(&err);
	assert_int_equal(certgen_make_ca(&o, &ca, &err), 0);
	later = o;
	later.now = NOW + 5 * 86400;
	assert_int_equal(certgen_make_serving(&later, &ca, &leaf, &err), 0);
	lc = cert_of(leaf.cert);
	cac = cert_of(ca.cert);
	assert_true(x509_cert_validity(lc, &nb, &na));
	assert_true(x509_cert_validity(cac, &cnb, &cna));
	assert_int_equal(na, cna);
	assert_int_equal(nb, later.now - CERTGEN_SKEW);
	x509_cert_free(lc);
	x509_cert_free(cac);
	x509_pem_free(&leaf);

	later.now = NOW + 11 * 86400;
	assert_int_equal(certgen_make_serving(&later, &ca, &leaf, &err), ERR_INVALID);
	assert_non_null(strstr(err.msg, "expired"));
	assert_null(leaf.cert);
	assert_null(leaf.key);
	x509_pem_free(&ca);
}

/* Two CAs: a leaf verifies against its own CA and a bundle holding both (the
 * rotation overlap), not against the other CA alone. */
static void test_bundle(void **state)
{
	struct certgen_opts o;
	struct x509_pem ca1, ca2, leaf;
	struct x509_cert *lc;
	char *bundle;
	struct err err;

	(void)state;
	certgen_opts_init(&o, NOW);
	make_pair(&o, &ca1, &leaf);
	o.now += 1;
	err_init(&err);
	assert_int_equal(certgen_make_ca(&o, &ca2, &err), 0);
	lc = cert_of(leaf.cert);
	bundle = malloc(strlen(ca1.cert) + strlen(ca2.cert) + 1);
	assert_non_null(bundle);
	strcpy(bundle, ca2.cert);
	strcat(bundle, ca1.cert);
	assert_int_equal(x509_verify(lc, bundle, strlen(bundle), NOW, &err), 0);
	assert_int_equal(x509_verify(lc, ca2.cert, strlen(ca2.cert), NOW, &err), ERR_INVALID);
	assert_non_null(strstr(err.msg, "does not verify"));
	{
		struct x509_cert *all[4];

		assert_int_equal(x509_chain_all(bundle, strlen(bundle), all, 4), 2);
		x509_cert_free(all[0]);
		x509_cert_free(all[1]);
	}
	free(bundle);
	x509_cert_free(lc);
	x509_pem_free(&ca1);
	x509_pem_free(&ca2);
	x509_pem_free(&leaf);
}

/* tlsinfo sees the generated pair as a usable kubernetes.io/tls Secret. */
static void test_tlsinfo_reads_it(void **state)
{
	struct certgen_opts o;
	struct x509_pem ca, leaf;
	json_t *s, *tls;
	struct err err;

	(void)state;
	certgen_opts_init(&o, NOW);
	make_pair(&o, &ca, &leaf);
	s = json_pack("{s:s, s:s, s:{s:s}, s:s, s:{s:s, s:s}}", "apiVersion", "v1", "kind", "Secret", "metadata", "name",
		      "gatewarden-webhook-tls", "type", "kubernetes.io/tls", "stringData", "tls.crt", leaf.cert, "tls.key",
		      leaf.key);
	assert_non_null(s);
	err_init(&err);
	assert_int_equal(tlsinfo_annotate_secret(s, &err), 0);
	tls = jv_obj(jv_obj(s, "gatewarden"), "tls");
	assert_true(json_is_true(jv_get(tls, "usable")));
	assert_string_equal(json_string_value(json_array_get(jv_arr(tls, "dnsNames"), 0)), "gatewarden.gatewarden.svc");
	assert_null(jv_get(s, "stringData"));
	json_decref(s);

	/* the CA's key with the leaf's certificate: not a pair */
	s = json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "apiVersion", "v1", "kind", "Secret", "type",
		      "kubernetes.io/tls", "stringData", "tls.crt", leaf.cert, "tls.key", ca.key);
	assert_int_equal(tlsinfo_annotate_secret(s, &err), 0);
	tls = jv_obj(jv_obj(s, "gatewarden"), "tls");
	assert_true(json_is_false(jv_get(tls, "usable")));
	assert_string_equal(jv_str(tls, "problem"), "tls.key does not match the certificate in tls.crt");
	json_decref(s);
	x509_pem_free(&ca);
	x509_pem_free(&leaf);
}

static void expect_bad(const struct certgen_opts *o, bool at_ca, const char *msg_part)
{
	struct x509_pem ca = { 0 }, leaf = { 0 };
	struct certgen_opts good;
	struct err err;
	int rc;

	err_init(&err);
	if (at_ca) {
		rc = certgen_make_ca(o, &ca, &err);
	} else {
		certgen_opts_init(&good, NOW);
		assert_int_equal(certgen_make_ca(&good, &ca, &err), 0);
		rc = certgen_make_serving(o, &ca, &leaf, &err);
	}
	assert_true(rc == ERR_INVALID || rc == ERR_LIMIT);
	if (strstr(err.msg, msg_part) == NULL)
		fail_msg("message '%s' lacks '%s'", err.msg, msg_part);
	assert_null(leaf.cert);
	assert_null(leaf.key);
	if (at_ca)
		assert_null(ca.cert);
	x509_pem_free(&ca);
}

static void test_bad_options(void **state)
{
	struct certgen_opts o;

	(void)state;
	certgen_opts_init(&o, NOW);
	o.service = "Bad_Name";
	expect_bad(&o, true, "service name 'Bad_Name' is not a DNS label");
	certgen_opts_init(&o, NOW);
	o.namespace = "-x";
	expect_bad(&o, true, "namespace '-x'");
	certgen_opts_init(&o, NOW);
	o.namespace = "";
	expect_bad(&o, true, "namespace ''");
	certgen_opts_init(&o, NOW);
	o.days = 0;
	expect_bad(&o, true, "1 to 825 days");
	certgen_opts_init(&o, NOW);
	o.days = 826;
	expect_bad(&o, true, "1 to 825 days");
	certgen_opts_init(&o, NOW);
	o.days = 100;
	o.ca_days = 99;
	expect_bad(&o, true, "CA lifetime");

	/* names are data, never OpenSSL configuration syntax */
	certgen_opts_init(&o, NOW);
	o.dns[o.ndns++] = "a.example,IP:0.0.0.0";
	expect_bad(&o, false, "'a.example,IP:0.0.0.0' is not a DNS name");
	certgen_opts_init(&o, NOW);
	o.dns[o.ndns++] = "a..b";
	expect_bad(&o, false, "is not a DNS name");
	certgen_opts_init(&o, NOW);
	o.dns[o.ndns++] = "x\n";
	expect_bad(&o, false, "is not a DNS name");
	certgen_opts_init(&o, NOW);
	o.ips[o.nips++] = "127.0.0.256";
	expect_bad(&o, false, "'127.0.0.256' is not an IPv4 or IPv6 address");
	certgen_opts_init(&o, NOW);
	o.ips[o.nips++] = "localhost";
	expect_bad(&o, false, "not an IPv4 or IPv6 address");
}

/* A CA whose key is not its own, or a leaf in place of a CA, signs nothing. */
static void test_bad_ca(void **state)
{
	struct certgen_opts o;
	struct x509_pem ca, ca2, leaf, mixed, none = { 0 };
	struct err err;

	(void)state;
	certgen_opts_init(&o, NOW);
	make_pair(&o, &ca, &leaf);
	err_init(&err);
	assert_int_equal(certgen_make_ca(&o, &ca2, &err), 0);

	mixed = (struct x509_pem){ .cert = ca.cert, .key = ca2.key };
	err_init(&err);
	assert_int_equal(certgen_make_serving(&o, &mixed, &none, &err), ERR_INVALID);
	assert_non_null(strstr(err.msg, "do not match"));
	assert_null(none.cert);

	err_init(&err);
	assert_int_equal(certgen_make_serving(&o, &leaf, &none, &err), ERR_INVALID);
	assert_non_null(strstr(err.msg, "not a CA"));

	mixed = (struct x509_pem){ .cert = (char *)"not PEM", .key = ca.key };
	err_init(&err);
	assert_int_equal(certgen_make_serving(&o, &mixed, &none, &err), ERR_INVALID);
	assert_null(none.cert);

	x509_pem_free(&ca);
	x509_pem_free(&ca2);
	x509_pem_free(&leaf);
}

/* Garbage in the parsers: a clear "no" and nothing else. */
static void test_garbage(void **state)
{
	static const char *const junk[] = {
		"", "not PEM", "-----BEGIN CERTIFICATE-----\n", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
		"-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n", "\x00\x01\xff\xfe",
	};
	struct certgen_opts o;
	struct x509_pem ca, leaf;
	struct x509_cert *c, *all[2];
	struct x509_key *k;
	struct err err;
	bool rest_bad;

	(void)state;
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		size_t n = strlen(junk[i]);

		c = NULL;
		k = NULL;
		assert_int_equal(x509_chain_first(junk[i], n, &c, &rest_bad), 1);
		assert_null(c);
		assert_int_equal(x509_key_parse(junk[i], n, &k), 1);
		assert_null(k);
		assert_int_equal(x509_chain_all(junk[i], n, all, 2), 0);
	}
	assert_int_equal(x509_chain_first(NULL, 0, &c, &rest_bad), 1);
	assert_int_equal(x509_key_parse(NULL, 0, &k), 1);
	assert_false(x509_key_matches(NULL, NULL));

	/* a good leaf followed by a broken block: the leaf, flagged */
	certgen_opts_init(&o, NOW);
	make_pair(&o, &ca, &leaf);
	{
		char *two = malloc(strlen(leaf.cert) + 64);

		assert_non_null(two);
		strcpy(two, leaf.cert);
		strcat(two, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
		assert_int_equal(x509_chain_first(two, strlen(two), &c, &rest_bad), 0);
		assert_true(rest_bad);
		err_init(&err);
		assert_int_equal(x509_verify(c, "no certificates here", 20, NOW, &err), ERR_INVALID);
		assert_non_null(strstr(err.msg, "holds no PEM certificate"));
		x509_cert_free(c);
		free(two);
	}
	x509_pem_free(&ca);
	x509_pem_free(&leaf);
}

static void test_labels(void **state)
{
	(void)state;
	assert_true(certgen_label_ok("gatewarden"));
	assert_true(certgen_label_ok("a-1"));
	assert_true(certgen_label_ok("0"));
	assert_false(certgen_label_ok(NULL));
	assert_false(certgen_label_ok(""));
	assert_false(certgen_label_ok("a-"));
	assert_false(certgen_label_ok("A"));
	assert_false(certgen_label_ok("a.b"));
	assert_false(certgen_label_ok("a234567890123456789012345678901234567890123456789012345678901234"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_ecdsa), cmocka_unit_test(test_extra_names_rsa),
		cmocka_unit_test(test_capped_by_ca),  cmocka_unit_test(test_bundle),
		cmocka_unit_test(test_tlsinfo_reads_it), cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_bad_ca),        cmocka_unit_test(test_labels),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
