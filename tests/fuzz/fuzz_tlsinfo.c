/*
 * fuzz_tlsinfo: a libFuzzer target for certs/tlsinfo.c, which reads the certificate
 * and key of every kubernetes.io/tls Secret in the cluster view (user data, parsed
 * with OpenSSL through certs/x509.c). The input is a flags byte, then a certificate
 * part and a key part separated by a NUL byte. With flag bit 0 clear, the parts are
 * DER and are wrapped here as PEM (CERTIFICATE, PRIVATE KEY), so that the mutations
 * reach the ASN.1 inside; with it set, they are used as the PEM text itself. The
 * Secret carries them base64-encoded in data, as the API server does. On every input:
 *   - tlsinfo_annotate_secret returns 0 (a bad certificate is data, not an error);
 *   - the summary says usable true or false, with a problem when false;
 *   - no key material is left in the object;
 *   - no crash, leak or sanitizer report.
 *
 * tests/fuzz/run.sh builds it and runs it for the test suite. Its seeds
 * (tests/fuzz/corpus_tlsinfo/) hold test-only keys made with the openssl CLI for this
 * purpose: public, protecting nothing.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "err.h"
#include "tlsinfo.h"

static void broken(const char *what)
{
	fprintf(stderr, "fuzz_tlsinfo: %s\n", what);
	abort();
}

/* p[0..n) as PEM text (wrapped under label unless pem), base64-encoded as the API
 * server puts it in data: a new string value */
static json_t *field(const uint8_t *p, size_t n, bool pem, const char *label)
{
	char *text, *b64;
	size_t len = 0, cap = n * 2 + 128;
	json_t *v;

	text = malloc(cap);
	if (text == NULL)
		broken("out of memory");
	if (pem) {
		memcpy(text, p, n);
		len = n;
	} else {
		char *der64 = b64_encode(p, n);

		if (der64 == NULL)
			broken("out of memory");
		len = (size_t)snprintf(text, cap, "-----BEGIN %s-----\n", label);
		for (size_t i = 0, m = strlen(der64); i < m; i += 64) {
			size_t k = m - i < 64 ? m - i : 64;

			memcpy(text + len, der64 + i, k);
			len += k;
			text[len++] = '\n';
		}
		len += (size_t)snprintf(text + len, cap - len, "-----END %s-----\n", label);
		free(der64);
	}
	b64 = b64_encode(text, len);
	free(text);
	if (b64 == NULL)
		broken("out of memory");
	v = json_string(b64);
	free(b64);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *sep;
	bool pem;
	json_t *secret, *d, *tls;
	struct err e;

	if (size < 2)
		return 0;
	pem = data[0] & 1;
	data++;
	size--;
	sep = memchr(data, 0, size);
	secret = json_pack("{s:s, s:s, s:{s:s, s:s}, s:s, s:{}}", "apiVersion", "v1", "kind", "Secret", "metadata",
			   "name", "tls", "namespace", "infra", "type", "kubernetes.io/tls", "data");
	if (secret == NULL)
		broken("out of memory");
	d = json_object_get(secret, "data");
	json_object_set_new(d, "tls.crt", field(data, sep ? (size_t)(sep - data) : size, pem, "CERTIFICATE"));
	if (sep != NULL)
		json_object_set_new(d, "tls.key",
				    field(sep + 1, size - (size_t)(sep - data) - 1, pem, "PRIVATE KEY"));
	err_init(&e);
	if (tlsinfo_annotate_secret(secret, &e) != 0)
		broken(e.msg);
	if (json_object_get(secret, "data") != NULL || json_object_get(secret, "stringData") != NULL)
		broken("key material left in the Secret");
	tls = json_object_get(json_object_get(secret, "gatewarden"), "tls");
	if (!json_is_boolean(json_object_get(tls, "usable")))
		broken("no usable in the summary");
	if (json_is_false(json_object_get(tls, "usable")) && !json_is_string(json_object_get(tls, "problem")))
		broken("unusable without a problem");
	json_decref(secret);
	return 0;
}
