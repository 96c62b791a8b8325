/*
 * x509: the only OpenSSL user. Everything else in certs/ (tlsinfo.c, certgen.c,
 * bootstrap) and the commands see certificates through this API: parsing PEM that is
 * already in memory, the facts callers need from a certificate, and making a CA and
 * serving certificates. No file or network I/O; the caller passes the clock.
 *
 * Key material: every buffer that held a private key is wiped before it is freed
 * (x509_wipe). OpenSSL's error queue is cleared before each call returns, so one bad
 * input never leaks errors into the next.
 *
 * Ownership: objects returned through ** are the caller's and freed with the matching
 * *_free; strings in struct x509_pem and struct x509_info likewise (x509_pem_free,
 * x509_info_free).
 */
#ifndef CERTS_X509_H
#define CERTS_X509_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct err;
struct x509_cert;   /* one parsed certificate */
struct x509_key;    /* one parsed private key */

/* ---- parsing ---------------------------------------------------------------------- */

/*
 * The first certificate of a PEM chain (the leaf), after checking that every further
 * block parses. Returns 0 with *leaf set; 1 when pem holds no PEM certificate (*leaf
 * NULL); ERR_NOMEM. *rest_bad is set when a certificate after the first does not
 * parse (the leaf is still returned).
 */
int x509_chain_first(const char *pem, size_t len, struct x509_cert **leaf, bool *rest_bad);
/* Every certificate of a PEM bundle, in order (at most max); the count, 0 when none
 * parses, ERR_NOMEM. */
int x509_chain_all(const char *pem, size_t len, struct x509_cert **out, int max);
/* An unencrypted PEM private key (an encrypted one never prompts: 1). 0, 1 or ERR_NOMEM. */
int x509_key_parse(const char *pem, size_t len, struct x509_key **key);
void x509_cert_free(struct x509_cert *c);
void x509_key_free(struct x509_key *k);

/* Append the leaf's DNS subjectAltNames (lower-cased) to names, or its CN when it has
 * no subjectAltName extension. 0 or ERR_NOMEM. */
int x509_cert_dns_names(const struct x509_cert *c, json_t *names);
/* notBefore and notAfter as Unix seconds; false when unreadable. */
bool x509_cert_validity(const struct x509_cert *c, long long *not_before, long long *not_after);
/* True when key is the private half of c's public key. */
bool x509_key_matches(const struct x509_cert *c, const struct x509_key *k);

/* The facts a test or an operator wants to see. */
struct x509_info {
	char *subject_cn, *issuer_cn;  /* owned; "" when absent */
	char *serial;                  /* owned; hex */
	json_t *dns;                   /* owned; DNS SANs in certificate order */
	json_t *ips;                   /* owned; IP SANs as text (inet_ntop form) */
	bool is_ca;                    /* basicConstraints CA:TRUE */
	bool server_auth, client_auth; /* extendedKeyUsage */
	bool key_cert_sign, digital_signature;
	long long not_before, not_after;
	char key_type[8];              /* "EC" or "RSA" (or "other") */
	int key_bits;                  /* 256 for P-256, 2048 for RSA 2048 */
	char sig_alg[32];              /* e.g. "ecdsa-with-SHA256" */
};
int x509_cert_info(const struct x509_cert *c, struct x509_info *out);
void x509_info_free(struct x509_info *i);

/* 0 when leaf chains to one of the certificates in ca_pem (a PEM bundle) and is valid
 * at time now; otherwise ERR_INVALID with the reason in err; ERR_NOMEM. */
int x509_verify(const struct x509_cert *leaf, const char *ca_pem, size_t ca_len, long long now, struct err *err);

/* ---- generation --------------------------------------------------------------------- */

enum x509_keytype { X509_KEY_EC_P256 = 0, X509_KEY_RSA_2048 = 1 };

/* A certificate and its key as PEM text (NUL-terminated, owned). */
struct x509_pem {
	char *cert;
	char *key;
};
void x509_pem_free(struct x509_pem *p); /* wipes the key; safe on a zeroed struct */

struct x509_ca_opts {
	const char *cn;                 /* subject CN, e.g. "gatewarden-ca" */
	enum x509_keytype keytype;
	long long not_before, not_after;
};
/* A self-signed CA (basicConstraints CA:TRUE critical, pathlen 0, keyCertSign|cRLSign,
 * SHA-256 signature, random 128-bit serial, subject key identifier). */
int x509_make_ca(const struct x509_ca_opts *o, struct x509_pem *out, struct err *err);

struct x509_leaf_opts {
	const char *cn;                 /* subject CN (also the first DNS SAN by convention) */
	const char *const *dns;         /* DNS subjectAltNames */
	size_t ndns;
	const char *const *ips;         /* IP subjectAltNames, IPv4 or IPv6 text */
	size_t nips;
	enum x509_keytype keytype;
	long long not_before, not_after;
};
/* A serving certificate signed by ca (its PEM cert and key): CA:FALSE, digitalSignature
 * (+ keyEncipherment for RSA), EKU serverAuth, the SANs, authority key identifier.
 * ERR_INVALID (with the reason) for a bad IP text, an empty name list, a CA that does
 * not parse or whose key does not match; ERR_NOMEM. */
int x509_make_leaf(const struct x509_leaf_opts *o, const struct x509_pem *ca, struct x509_pem *out, struct err *err);

/* ---- helpers ---------------------------------------------------------------------- */

/* Overwrite n bytes (not optimised away). */
void x509_wipe(void *p, size_t n);

#endif
