/*
 * tlsinfo: see tlsinfo.h.
 *
 * Design: one pass per Secret. The PEM text of tls.crt and tls.key comes from
 * stringData (plain, as kubectl writes it before the API server folds it into data)
 * or else from data (strict base64, no whitespace, as the API server stores it).
 * The facts of the leaf (names, validity) are read as soon as tls.crt parses, so a
 * Secret whose key is wrong still tells which names its certificate covers. Every
 * failure below "out of memory" becomes the summary's problem text; the first one
 * found wins, in the order a user would fix them: tls.crt, then tls.key, then the
 * pair. Decoded key bytes are wiped before they are freed, and OpenSSL's error queue
 * is cleared after each parse so one bad Secret never leaks errors into the next.
 * OpenSSL itself is reached only through certs/x509.h (the one file that includes it).
 */
#include "b64.h"
#include "tlsinfo.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "jv.h"
#include "x509.h"

#define PROBLEM_MAX 160

struct pem {
	char *buf;     /* owned, wiped on release */
	size_t len;
};

struct facts {
	bool usable;
	char problem[PROBLEM_MAX];
	bool have_cert;          /* dnsNames and dates below are set */
	json_t *names;           /* owned */
	long long not_before, not_after;
};

static void pem_release(struct pem *p)
{
	if (p->buf != NULL) {
		x509_wipe(p->buf, p->len);
		free(p->buf);
	}
	p->buf = NULL;
	p->len = 0;
}

static void set_problem(struct facts *f, const char *what, const char *key)
{
	f->usable = false;
	if (f->problem[0] == '\0')
		snprintf(f->problem, sizeof(f->problem), "%s %s", key, what);
}

/* ---- base64 (core/b64.c: strict, no whitespace, as the API server stores it) ---- */

/* 0 and out filled; 1 when s is not base64; ERR_NOMEM. */
static int b64_pem(const char *s, struct pem *out)
{
	unsigned char *buf;
	size_t n;
	int rc = b64_decode(s, strlen(s), false, &buf, &n);

	if (rc == 0) {
		out->buf = (char *)buf;
		out->len = n;
	}
	return rc;
}

/* ---- reading the PEM text of one key ------------------------------------------ */

/* 0 with out filled, 1 with a problem recorded, ERR_NOMEM. */
static int get_pem(const json_t *secret, const char *key, struct facts *f, struct pem *out)
{
	const json_t *sd = jv_obj(secret, "stringData"), *d = jv_obj(secret, "data");
	const json_t *v;
	int rc;

	out->buf = NULL;
	out->len = 0;
	v = jv_get(sd, key);
	if (v == NULL)
		v = jv_get(d, key);
	if (v == NULL) {
		set_problem(f, "is missing", key);
		return 1;
	}
	if (!json_is_string(v)) {
		set_problem(f, "is not a string", key);
		return 1;
	}
	if (v == jv_get(sd, key)) {
		out->buf = strdup(json_string_value(v));
		if (out->buf == NULL)
			return ERR_NOMEM;
		out->len = strlen(out->buf);
		return 0;
	}
	rc = b64_pem(json_string_value(v), out);
	if (rc == 1)
		set_problem(f, "is not valid base64", key);
	return rc;
}

/* ---- the leaf's facts and the pair ----------------------------------------------- */

static int read_leaf(const struct x509_cert *leaf, struct facts *f)
{
	int rc;

	f->names = json_array();
	if (f->names == NULL)
		return ERR_NOMEM;
	rc = x509_cert_dns_names(leaf, f->names);
	if (rc != 0)
		return rc;
	if (!x509_cert_validity(leaf, &f->not_before, &f->not_after)) {
		set_problem(f, "has a certificate with an unreadable validity period", "tls.crt");
		return 0;
	}
	f->have_cert = true;
	return 0;
}

/* The leaf (owned by the caller) after checking that every PEM block of the chain
 * parses; NULL with a problem recorded, or with *rc = ERR_NOMEM. */
static struct x509_cert *parse_chain(const struct pem *crt, struct facts *f, int *rc)
{
	struct x509_cert *leaf = NULL;
	bool rest_bad = false;

	*rc = x509_chain_first(crt->buf, crt->len, &leaf, &rest_bad);
	if (*rc == 1) {
		*rc = 0;
		set_problem(f, "holds no PEM certificate", "tls.crt");
		return NULL;
	}
	if (*rc == 0 && rest_bad)
		set_problem(f, "holds a certificate after the first that does not parse", "tls.crt");
	return leaf;
}

static struct x509_key *parse_key(const struct pem *key, struct facts *f, int *rc)
{
	struct x509_key *pk = NULL;

	*rc = x509_key_parse(key->buf, key->len, &pk);
	if (*rc == 1) {
		*rc = 0;
		set_problem(f, "holds no unencrypted PEM private key", "tls.key");
	}
	return pk;
}

static int inspect(const json_t *secret, struct facts *f)
{
	struct pem crt, key;
	struct x509_cert *leaf = NULL;
	struct x509_key *pk = NULL;
	int rc;

	f->usable = true;
	rc = get_pem(secret, "tls.crt", f, &crt);
	if (rc == 0)
		leaf = parse_chain(&crt, f, &rc);
	if (rc == 0 && leaf != NULL)
		rc = read_leaf(leaf, f);
	if (rc >= 0) {
		int krc = get_pem(secret, "tls.key", f, &key);

		if (krc == 0)
			pk = parse_key(&key, f, &krc);
		pem_release(&key);
		rc = rc < 0 ? rc : krc < 0 ? krc : 0;
	}
	if (rc == 0 && leaf != NULL && pk != NULL && !x509_key_matches(leaf, pk))
		set_problem(f, "does not match the certificate in tls.crt", "tls.key");
	x509_key_free(pk);
	x509_cert_free(leaf);
	pem_release(&crt);
	return rc < 0 ? rc : 0;
}

/* ---- the summary ---------------------------------------------------------------- */

static int summarise(json_t *secret, struct facts *f)
{
	json_t *tls = json_object(), *top = json_object();
	int bad = tls == NULL || top == NULL;

	bad = bad || json_object_set_new(tls, "usable", json_boolean(f->usable));
	if (!f->usable)
		bad = bad || json_object_set_new(tls, "problem", json_string(f->problem));
	if (f->have_cert) {
		bad = bad || json_object_set(tls, "dnsNames", f->names);
		bad = bad || json_object_set_new(tls, "notBefore", json_integer(f->not_before));
		bad = bad || json_object_set_new(tls, "notAfter", json_integer(f->not_after));
	}
	bad = bad || json_object_set(top, "tls", tls);
	bad = bad || json_object_set(secret, "gatewarden", top);
	json_decref(tls);
	json_decref(top);
	return bad ? ERR_NOMEM : 0;
}

int tlsinfo_annotate_secret(json_t *secret, struct err *err)
{
	struct facts f;
	int rc;

	if (!json_is_object(secret))
		return err_set(err, ERR_INVALID, "tlsinfo: the Secret is not a JSON object");
	memset(&f, 0, sizeof(f));
	rc = 0;
	if (jv_streq(secret, "type", "kubernetes.io/tls")) {
		rc = inspect(secret, &f);
		if (rc == 0)
			rc = summarise(secret, &f);
	}
	json_decref(f.names);
	json_object_del(secret, "data");
	json_object_del(secret, "stringData");
	if (rc != 0)
		return err_set(err, rc, "tlsinfo: out of memory while inspecting a Secret");
	return 0;
}
