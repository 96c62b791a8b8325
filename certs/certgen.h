/*
 * certgen: the webhook's certificate set: a CA and a serving certificate for a
 * Kubernetes Service, as `certs generate` writes them to files and `certs bootstrap`
 * stores them in a Secret. Names and lifetimes are decided here; the cryptography is
 * certs/x509.c.
 *
 * The serving certificate's DNS names, in this order (the first is also the CN):
 *   <service>.<namespace>.svc, <service>.<namespace>.svc.cluster.local,
 *   <service>.<namespace>, <service>, then the extra names; IP SANs from the extras.
 * The API server dials <service>.<namespace>.svc and checks that name against the DNS
 * SANs, so it must be first and present (CN-only certificates are refused by Go).
 */
#ifndef CERTS_CERTGEN_H
#define CERTS_CERTGEN_H

#include <stdbool.h>
#include <stddef.h>

#include "x509.h"

struct err;

#define CERTGEN_MAX_EXTRA 32
#define CERTGEN_SKEW 300  /* notBefore is this many seconds in the past (clock skew) */

struct certgen_opts {
	const char *service;        /* a DNS label; default "gatewarden" */
	const char *namespace;      /* a DNS label; default "gatewarden" */
	const char *dns[CERTGEN_MAX_EXTRA];
	size_t ndns;
	const char *ips[CERTGEN_MAX_EXTRA];
	size_t nips;
	enum x509_keytype keytype;
	unsigned days;              /* serving certificate lifetime, 1..825 */
	unsigned ca_days;           /* CA lifetime, at least days, at most 3650 */
	long long now;              /* Unix seconds */
};

void certgen_opts_init(struct certgen_opts *o, long long now);

/* true when s is an RFC 1123 label (lower-case letters, digits, '-', 1..63, no '-'
 * at either end), as Service and Namespace names are */
bool certgen_label_ok(const char *s);

/* The two halves (bootstrap rotates them separately):
 *   certgen_make_ca: a new CA valid from now - CERTGEN_SKEW for ca_days.
 *   certgen_make_serving: a serving certificate signed by ca, valid from
 *     now - CERTGEN_SKEW for days, but never past the CA's own notAfter.
 * ERR_INVALID with a message for bad options; ERR_NOMEM. */
int certgen_make_ca(const struct certgen_opts *o, struct x509_pem *ca, struct err *err);
int certgen_make_serving(const struct certgen_opts *o, const struct x509_pem *ca, struct x509_pem *leaf,
			 struct err *err);

#endif
