/*
 * x509: see x509.h. The one file that includes OpenSSL headers.
 *
 * Generation builds every extension from typed values (GENERAL_NAME, BASIC_CONSTRAINTS
 * ...), never from OpenSSL's configuration-string syntax, so a name given on the
 * command line or read from a cluster object cannot smuggle in a second extension
 * value ("a.example,IP:0.0.0.0" is rejected as a DNS name, not parsed).
 */
#include "x509.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "err.h"

/* The opaque types are the OpenSSL objects themselves. */
#define CERT(c) ((X509 *)(c))
#define KEY(k) ((EVP_PKEY *)(k))

void x509_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		OPENSSL_cleanse(p, n);
}

/* Never prompt for a passphrase: an encrypted key is simply unusable. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

static BIO *mem_in(const char *pem, size_t len)
{
	if (pem == NULL || len > (size_t)0x7fffffff)
		return NULL;
	return BIO_new_mem_buf(pem, (int)len);
}

/* ---- parsing ------------------------------------------------------------------------ */

int x509_chain_first(const char *pem, size_t len, struct x509_cert **leaf, bool *rest_bad)
{
	BIO *bio;
	X509 *first, *next;
	unsigned long e;

	*leaf = NULL;
	*rest_bad = false;
	ERR_clear_error();
	if (pem == NULL || len > (size_t)0x7fffffff)
		return 1;
	bio = mem_in(pem, len);
	if (bio == NULL)
		return ERR_NOMEM;
	first = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
	if (first == NULL) {
		BIO_free(bio);
		ERR_clear_error();
		return 1;
	}
	while ((next = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL)) != NULL)
		X509_free(next);
	e = ERR_peek_last_error();
	if (e != 0 && !(ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE))
		*rest_bad = true;
	BIO_free(bio);
	ERR_clear_error();
	*leaf = (struct x509_cert *)first;
	return 0;
}

int x509_chain_all(const char *pem, size_t len, struct x509_cert **out, int max)
{
	BIO *bio;
	X509 *c;
	int n = 0;

	ERR_clear_error();
	if (pem == NULL || len > (size_t)0x7fffffff)
		return 0;
	bio = mem_in(pem, len);
	if (bio == NULL)
		return ERR_NOMEM;
	while (n < max && (c = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL)) != NULL)
		out[n++] = (struct x509_cert *)c;
	BIO_free(bio);
	ERR_clear_error();
	return n;
}

int x509_key_parse(const char *pem, size_t len, struct x509_key **key)
{
	BIO *bio;
	EVP_PKEY *pk;

	*key = NULL;
	ERR_clear_error();
	if (pem == NULL || len > (size_t)0x7fffffff)
		return 1;
	bio = mem_in(pem, len);
	if (bio == NULL)
		return ERR_NOMEM;
	pk = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (pk == NULL)
		return 1;
	*key = (struct x509_key *)pk;
	return 0;
}

void x509_cert_free(struct x509_cert *c)
{
	X509_free(CERT(c));
}

void x509_key_free(struct x509_key *k)
{
	EVP_PKEY_free(KEY(k));
}

static int add_name(json_t *names, const unsigned char *s, int len)
{
	char buf[256];

	if (len <= 0 || (size_t)len >= sizeof(buf))
		return 0; /* not a host name anything could match */
	for (int i = 0; i < len; i++) {
		/* a host name is printable ASCII: a name with a NUL, a control character or
		 * a byte of another charset (an IA5String holds any byte) matches nothing,
		 * and is no text JSON can carry either */
		if (s[i] <= ' ' || s[i] >= 0x7f)
			return 0;
		buf[i] = (char)tolower(s[i]);
	}
	buf[len] = '\0';
	return json_array_append_new(names, json_string(buf)) == 0 ? 0 : ERR_NOMEM;
}

/* DNS names (lower-cased) into dns, IP addresses as text into ips (either may be NULL).
 * *had_ext tells whether the extension is present. */
static int read_sans(const X509 *c, json_t *dns, json_t *ips, bool *had_ext)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(c, NID_subject_alt_name, NULL, NULL);
	int rc = 0;

	*had_ext = gens != NULL;
	for (int i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens) && rc == 0; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type == GEN_DNS && dns != NULL) {
			rc = add_name(dns, ASN1_STRING_get0_data(g->d.dNSName), ASN1_STRING_length(g->d.dNSName));
		} else if (g->type == GEN_IPADD && ips != NULL) {
			char text[INET6_ADDRSTRLEN];
			int n = ASN1_STRING_length(g->d.iPAddress);
			const unsigned char *b = ASN1_STRING_get0_data(g->d.iPAddress);

			if ((n == 4 && inet_ntop(AF_INET, b, text, sizeof(text)) != NULL) ||
			    (n == 16 && inet_ntop(AF_INET6, b, text, sizeof(text)) != NULL))
				rc = json_array_append_new(ips, json_string(text)) == 0 ? 0 : ERR_NOMEM;
		}
	}
	GENERAL_NAMES_free(gens);
	return rc;
}

/* The first entry of nid in name as UTF-8 (owned), "" when absent; NULL on ENOMEM. */
static char *name_entry(const X509_NAME *name, int nid)
{
	int idx = X509_NAME_get_index_by_NID(name, nid, -1);
	unsigned char *utf8 = NULL;
	char *ret;
	int len;

	if (idx < 0)
		return strdup("");
	len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx)));
	if (len < 0)
		return strdup("");
	ret = malloc((size_t)len + 1);
	if (ret != NULL) {
		memcpy(ret, utf8, (size_t)len);
		ret[len] = '\0';
	}
	OPENSSL_free(utf8);
	return ret;
}

int x509_cert_dns_names(const struct x509_cert *c, json_t *names)
{
	bool had_ext;
	int rc = read_sans(CERT(c), names, NULL, &had_ext);

	if (rc == 0 && !had_ext) {
		char *cn = name_entry(X509_get_subject_name(CERT(c)), NID_commonName);

		if (cn == NULL)
			return ERR_NOMEM;
		rc = add_name(names, (const unsigned char *)cn, (int)strlen(cn));
		free(cn);
	}
	ERR_clear_error();
	return rc;
}

/* Seconds since the epoch; false when t cannot be read. */
static bool asn1_unix(const ASN1_TIME *t, long long *ret)
{
	ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
	int days = 0, secs = 0;
	bool ok;

	if (epoch == NULL)
		return false;
	ok = ASN1_TIME_diff(&days, &secs, epoch, t) == 1;
	ASN1_TIME_free(epoch);
	*ret = (long long)days * 86400 + secs;
	return ok;
}

bool x509_cert_validity(const struct x509_cert *c, long long *not_before, long long *not_after)
{
	bool ok = asn1_unix(X509_get0_notBefore(CERT(c)), not_before) &&
		  asn1_unix(X509_get0_notAfter(CERT(c)), not_after);

	ERR_clear_error();
	return ok;
}

bool x509_key_matches(const struct x509_cert *c, const struct x509_key *k)
{
	bool ok = c != NULL && k != NULL && X509_check_private_key(CERT(c), KEY(k)) == 1;

	ERR_clear_error();
	return ok;
}

int x509_cert_info(const struct x509_cert *cc, struct x509_info *out)
{
	X509 *c = CERT(cc);
	ASN1_INTEGER *serial = X509_get_serialNumber(c);
	BIGNUM *bn = serial != NULL ? ASN1_INTEGER_to_BN(serial, NULL) : NULL;
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;
	EVP_PKEY *pub = X509_get0_pubkey(c);
	uint32_t flags = X509_get_extension_flags(c);
	bool had_ext;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->subject_cn = name_entry(X509_get_subject_name(c), NID_commonName);
	out->issuer_cn = name_entry(X509_get_issuer_name(c), NID_commonName);
	out->serial = strdup(hex != NULL ? hex : "");
	OPENSSL_free(hex);
	BN_free(bn);
	out->dns = json_array();
	out->ips = json_array();
	if (out->subject_cn == NULL || out->issuer_cn == NULL || out->serial == NULL || out->dns == NULL ||
	    out->ips == NULL)
		rc = ERR_NOMEM;
	if (rc == 0)
		rc = read_sans(c, out->dns, out->ips, &had_ext);
	out->is_ca = (flags & EXFLAG_CA) != 0;
	if (flags & EXFLAG_XKUSAGE) {
		uint32_t xku = X509_get_extended_key_usage(c);

		out->server_auth = (xku & XKU_SSL_SERVER) != 0;
		out->client_auth = (xku & XKU_SSL_CLIENT) != 0;
	}
	if (flags & EXFLAG_KUSAGE) {
		uint32_t ku = X509_get_key_usage(c);

		out->key_cert_sign = (ku & KU_KEY_CERT_SIGN) != 0;
		out->digital_signature = (ku & KU_DIGITAL_SIGNATURE) != 0;
	}
	if (!asn1_unix(X509_get0_notBefore(c), &out->not_before) || !asn1_unix(X509_get0_notAfter(c), &out->not_after))
		out->not_before = out->not_after = 0;
	if (pub != NULL) {
		int id = EVP_PKEY_get_base_id(pub);

		snprintf(out->key_type, sizeof(out->key_type), "%s",
			 id == EVP_PKEY_EC ? "EC" : id == EVP_PKEY_RSA ? "RSA" : "other");
		out->key_bits = EVP_PKEY_get_bits(pub);
	}
	snprintf(out->sig_alg, sizeof(out->sig_alg), "%s", OBJ_nid2ln(X509_get_signature_nid(c)));
	ERR_clear_error();
	if (rc != 0)
		x509_info_free(out);
	return rc;
}

void x509_info_free(struct x509_info *i)
{
	free(i->subject_cn);
	free(i->issuer_cn);
	free(i->serial);
	json_decref(i->dns);
	json_decref(i->ips);
	memset(i, 0, sizeof(*i));
}

int x509_verify(const struct x509_cert *leaf, const char *ca_pem, size_t ca_len, long long now, struct err *err)
{
	struct x509_cert *cas[16];
	int n = x509_chain_all(ca_pem, ca_len, cas, 16), rc = 0;
	X509_STORE *store;
	X509_STORE_CTX *ctx;

	if (n < 0)
		return err_set(err, ERR_NOMEM, "x509: out of memory");
	if (n == 0)
		return err_set(err, ERR_INVALID, "x509: the CA bundle holds no PEM certificate");
	store = X509_STORE_new();
	ctx = X509_STORE_CTX_new();
	for (int i = 0; i < n; i++) {
		if (store != NULL && X509_STORE_add_cert(store, CERT(cas[i])) != 1)
			rc = ERR_NOMEM;
		x509_cert_free(cas[i]);
	}
	if (store == NULL || ctx == NULL || rc != 0 || X509_STORE_CTX_init(ctx, store, CERT(leaf), NULL) != 1) {
		rc = err_set(err, ERR_NOMEM, "x509: out of memory");
	} else {
		X509_STORE_CTX_set_time(ctx, 0, (time_t)now);
		X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
		if (X509_verify_cert(ctx) != 1)
			rc = err_set(err, ERR_INVALID, "x509: the certificate does not verify: %s",
				     X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	}
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	ERR_clear_error();
	return rc;
}

/* ---- generation ----------------------------------------------------------------------- */

void x509_pem_free(struct x509_pem *p)
{
	if (p->key != NULL) {
		OPENSSL_cleanse(p->key, strlen(p->key));
		free(p->key);
	}
	free(p->cert);
	p->cert = p->key = NULL;
}

static EVP_PKEY *new_key(enum x509_keytype t)
{
	return t == X509_KEY_RSA_2048 ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
}

/* A random positive 127-bit serial (RFC 5280: at most 20 octets, positive). */
static int set_serial(X509 *x)
{
	unsigned char buf[16];
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(buf, sizeof(buf)) != 1)
		return 0;
	buf[0] &= 0x7f;
	buf[0] |= 0x01; /* never zero, always 16 octets */
	bn = BN_bin2bn(buf, sizeof(buf), NULL);
	ok = bn != NULL && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok;
}

static int set_name(X509_NAME *name, const char *org, const char *cn)
{
	return X509_NAME_add_entry_by_NID(name, NID_organizationName, MBSTRING_UTF8, (const unsigned char *)org, -1,
					  -1, 0) == 1 &&
	       X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
					  0) == 1;
}

/* Add an extension built by OpenSSL from the context (key identifiers only: their
 * value strings are constants, never input). */
static int add_ctx_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
	int ok = e != NULL && X509_add_ext(x, e, -1) == 1;

	X509_EXTENSION_free(e);
	return ok;
}

static int add_basic(X509 *x, bool ca)
{
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	int ok = bc != NULL;

	if (ok && ca) {
		bc->ca = 0xff;
		bc->pathlen = ASN1_INTEGER_new();
		ok = bc->pathlen != NULL && ASN1_INTEGER_set(bc->pathlen, 0) == 1;
	}
	ok = ok && X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1, X509V3_ADD_DEFAULT) == 1;
	BASIC_CONSTRAINTS_free(bc);
	return ok;
}

/* keyUsage named bits (RFC 5280 4.2.1.3), as ASN1_BIT_STRING_set_bit numbers them;
 * OpenSSL's KU_* constants are a different, byte-swapped encoding */
#define KUBIT(n) (1 << (n))
#define KU_BIT_DIGITAL_SIGNATURE KUBIT(0)
#define KU_BIT_KEY_ENCIPHERMENT KUBIT(2)
#define KU_BIT_KEY_CERT_SIGN KUBIT(5)
#define KU_BIT_CRL_SIGN KUBIT(6)

static int add_key_usage(X509 *x, int bits)
{
	ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
	int ok = ku != NULL;

	for (int i = 0; ok && i < 9; i++)
		if (bits & (1 << i))
			ok = ASN1_BIT_STRING_set_bit(ku, i, 1) == 1;
	ok = ok && X509_add1_ext_i2d(x, NID_key_usage, ku, 1, X509V3_ADD_DEFAULT) == 1;
	ASN1_BIT_STRING_free(ku);
	return ok;
}

static int add_server_eku(X509 *x)
{
	EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
	ASN1_OBJECT *o = OBJ_nid2obj(NID_server_auth);
	int ok = eku != NULL && o != NULL && sk_ASN1_OBJECT_push(eku, OBJ_dup(o)) > 0;

	ok = ok && X509_add1_ext_i2d(x, NID_ext_key_usage, eku, 0, X509V3_ADD_DEFAULT) == 1;
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	return ok;
}

/* A DNS name we are willing to put into a certificate: LDH labels, optionally a
 * leading "*." wildcard, at most 253 characters, no empty label. */
static bool dns_ok(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n == 0 || n > 253)
		return false;
	if (s[0] == '*' && s[1] == '.')
		s += 2;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!(isalnum((unsigned char)*p) || *p == '-') || ++label > 63)
			return false;
	}
	return label > 0;
}

static int add_sans(X509 *x, const struct x509_leaf_opts *o, struct err *err)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	int rc = gens == NULL ? ERR_NOMEM : 0;

	for (size_t i = 0; rc == 0 && i < o->ndns; i++) {
		GENERAL_NAME *g;
		ASN1_IA5STRING *s;

		if (!dns_ok(o->dns[i])) {
			rc = err_set(err, ERR_INVALID, "'%s' is not a DNS name (letters, digits, '-' and '.')",
				     o->dns[i]);
			break;
		}
		g = GENERAL_NAME_new();
		s = ASN1_IA5STRING_new();
		if (g == NULL || s == NULL || ASN1_STRING_set(s, o->dns[i], -1) != 1) {
			GENERAL_NAME_free(g);
			ASN1_IA5STRING_free(s);
			rc = ERR_NOMEM;
			break;
		}
		GENERAL_NAME_set0_value(g, GEN_DNS, s);
		if (sk_GENERAL_NAME_push(gens, g) <= 0) {
			GENERAL_NAME_free(g);
			rc = ERR_NOMEM;
		}
	}
	for (size_t i = 0; rc == 0 && i < o->nips; i++) {
		unsigned char buf[16];
		int len = 0;
		GENERAL_NAME *g;
		ASN1_OCTET_STRING *s;

		if (inet_pton(AF_INET, o->ips[i], buf) == 1)
			len = 4;
		else if (inet_pton(AF_INET6, o->ips[i], buf) == 1)
			len = 16;
		if (len == 0) {
			rc = err_set(err, ERR_INVALID, "'%s' is not an IPv4 or IPv6 address", o->ips[i]);
			break;
		}
		g = GENERAL_NAME_new();
		s = ASN1_OCTET_STRING_new();
		if (g == NULL || s == NULL || ASN1_OCTET_STRING_set(s, buf, len) != 1) {
			GENERAL_NAME_free(g);
			ASN1_OCTET_STRING_free(s);
			rc = ERR_NOMEM;
			break;
		}
		GENERAL_NAME_set0_value(g, GEN_IPADD, s);
		if (sk_GENERAL_NAME_push(gens, g) <= 0) {
			GENERAL_NAME_free(g);
			rc = ERR_NOMEM;
		}
	}
	if (rc == 0 && X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) != 1)
		rc = ERR_NOMEM;
	GENERAL_NAMES_free(gens);
	return rc;
}

static char *bio_text(BIO *b)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);
	char *ret;

	if (n <= 0)
		return NULL;
	ret = malloc((size_t)n + 1);
	if (ret != NULL) {
		memcpy(ret, data, (size_t)n);
		ret[n] = '\0';
	}
	return ret;
}

/* Both PEM texts of x and pk into out; 0 or ERR_NOMEM. */
static int to_pem(X509 *x, EVP_PKEY *pk, struct x509_pem *out)
{
	BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_secmem());
	int rc = 0;

	if (cb == NULL || kb == NULL || PEM_write_bio_X509(cb, x) != 1 ||
	    PEM_write_bio_PrivateKey(kb, pk, NULL, NULL, 0, NULL, NULL) != 1)
		rc = ERR_NOMEM;
	if (rc == 0) {
		out->cert = bio_text(cb);
		out->key = bio_text(kb);
		if (out->cert == NULL || out->key == NULL) {
			x509_pem_free(out);
			rc = ERR_NOMEM;
		}
	}
	BIO_free(cb);
	BIO_free(kb);
	return rc;
}

static bool times_ok(long long nb, long long na)
{
	/* ASN1_TIME_set takes time_t; GeneralizedTime covers up to year 9999 */
	return nb >= 0 && na > nb && na < 253402300800LL;
}

static int set_times(X509 *x, long long nb, long long na)
{
	return ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nb) != NULL &&
	       ASN1_TIME_set(X509_getm_notAfter(x), (time_t)na) != NULL;
}

static int fail(int rc, struct err *err)
{
	ERR_clear_error();
	if (rc == ERR_NOMEM)
		return err_set(err, ERR_NOMEM, "x509: out of memory (or the key could not be generated)");
	return rc;
}

int x509_make_ca(const struct x509_ca_opts *o, struct x509_pem *out, struct err *err)
{
	X509 *x = NULL;
	EVP_PKEY *pk = NULL;
	X509V3_CTX ctx;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (o->cn == NULL || o->cn[0] == '\0' || strlen(o->cn) > 64)
		return err_set(err, ERR_INVALID, "x509: the CA's common name must be 1 to 64 characters");
	if (!times_ok(o->not_before, o->not_after))
		return err_set(err, ERR_INVALID, "x509: the validity period is empty or out of range");
	pk = new_key(o->keytype);
	x = X509_new();
	if (pk == NULL || x == NULL || X509_set_version(x, 2) != 1 || !set_serial(x) ||
	    !set_name(X509_get_subject_name(x), "gatewarden", o->cn) ||
	    X509_set_issuer_name(x, X509_get_subject_name(x)) != 1 || !set_times(x, o->not_before, o->not_after) ||
	    X509_set_pubkey(x, pk) != 1)
		rc = ERR_NOMEM;
	if (rc == 0) {
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		if (!add_basic(x, true) || !add_key_usage(x, KU_BIT_KEY_CERT_SIGN | KU_BIT_CRL_SIGN | KU_BIT_DIGITAL_SIGNATURE) ||
		    !add_ctx_ext(x, &ctx, NID_subject_key_identifier, "hash") || X509_sign(x, pk, EVP_sha256()) <= 0)
			rc = ERR_NOMEM;
	}
	if (rc == 0)
		rc = to_pem(x, pk, out);
	X509_free(x);
	EVP_PKEY_free(pk);
	return rc == 0 ? 0 : fail(rc, err);
}

int x509_make_leaf(const struct x509_leaf_opts *o, const struct x509_pem *ca, struct x509_pem *out, struct err *err)
{
	struct x509_cert *cac = NULL;
	struct x509_key *cak = NULL;
	bool rest_bad;
	X509 *x = NULL;
	EVP_PKEY *pk = NULL;
	X509V3_CTX ctx;
	int rc;

	memset(out, 0, sizeof(*out));
	if (o->cn == NULL || o->cn[0] == '\0' || strlen(o->cn) > 64)
		return err_set(err, ERR_INVALID, "x509: the common name must be 1 to 64 characters");
	if (o->ndns + o->nips == 0)
		return err_set(err, ERR_INVALID, "x509: a serving certificate needs at least one name");
	if (!times_ok(o->not_before, o->not_after))
		return err_set(err, ERR_INVALID, "x509: the validity period is empty or out of range");
	rc = x509_chain_first(ca->cert, ca->cert != NULL ? strlen(ca->cert) : 0, &cac, &rest_bad);
	if (rc == 0)
		rc = x509_key_parse(ca->key, ca->key != NULL ? strlen(ca->key) : 0, &cak);
	if (rc == 1 || (rc == 0 && !x509_key_matches(cac, cak)))
		rc = err_set(err, ERR_INVALID, "x509: the CA certificate or key does not parse, or they do not match");
	if (rc == 0 && !(X509_get_extension_flags(CERT(cac)) & EXFLAG_CA))
		rc = err_set(err, ERR_INVALID, "x509: the issuing certificate is not a CA");
	if (rc == 0) {
		pk = new_key(o->keytype);
		x = X509_new();
		if (pk == NULL || x == NULL || X509_set_version(x, 2) != 1 || !set_serial(x) ||
		    !set_name(X509_get_subject_name(x), "gatewarden", o->cn) ||
		    X509_set_issuer_name(x, X509_get_subject_name(CERT(cac))) != 1 ||
		    !set_times(x, o->not_before, o->not_after) || X509_set_pubkey(x, pk) != 1)
			rc = ERR_NOMEM;
	}
	if (rc == 0)
		rc = add_sans(x, o, err);
	if (rc == 0) {
		int ku = KU_BIT_DIGITAL_SIGNATURE | (o->keytype == X509_KEY_RSA_2048 ? KU_BIT_KEY_ENCIPHERMENT : 0);

		X509V3_set_ctx(&ctx, CERT(cac), x, NULL, NULL, 0);
		if (!add_basic(x, false) || !add_key_usage(x, ku) || !add_server_eku(x) ||
		    !add_ctx_ext(x, &ctx, NID_subject_key_identifier, "hash") ||
		    !add_ctx_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") ||
		    X509_sign(x, KEY(cak), EVP_sha256()) <= 0)
			rc = ERR_NOMEM;
	}
	if (rc == 0)
		rc = to_pem(x, pk, out);
	X509_free(x);
	EVP_PKEY_free(pk);
	x509_cert_free(cac);
	x509_key_free(cak);
	return rc == 0 ? 0 : fail(rc, err);
}
