/*
 * tlsinfo: the TLS facts of a kubernetes.io/tls Secret, read once by a shell (check,
 * the webhook's and the reconciler's caches) with OpenSSL and written into the Secret
 * as a small summary, so that core/ (pure, no OpenSSL) can judge listeners from it
 * (core/gwstatus.h). The only OpenSSL user of the engine's data path; it parses bytes
 * already in memory and does no I/O.
 *
 * The summary, secret["gatewarden"]["tls"]:
 *   usable     true when tls.crt holds at least one PEM certificate, tls.key a PEM
 *              private key, and the key matches the first (leaf) certificate
 *   problem    (only when not usable) what is wrong, for messages: "tls.crt is missing",
 *              "tls.key is not valid base64", "tls.crt holds no PEM certificate",
 *              "tls.key does not match the certificate in tls.crt", ...
 *   dnsNames   the leaf's DNS subjectAltNames, or [CN] when it has none (absent when
 *              tls.crt could not be parsed)
 *   notBefore, notAfter   the leaf's validity, Unix seconds (absent likewise)
 *
 * Invariant: after the call the object holds no key material: "data" and
 * "stringData" are removed from every Secret passed in, whatever its type, also when
 * the call fails. Secrets of another type get no summary (listeners cannot use them;
 * core reports the type).
 *
 * Ownership: secret is modified in place and stays the caller's.
 */
#ifndef CERTS_TLSINFO_H
#define CERTS_TLSINFO_H

#include <jansson.h>

struct err;

/*
 * Annotate a Secret object (see above). A bad certificate is data, not an error:
 * returns 0 for it. ERR_INVALID when secret is not a JSON object, ERR_NOMEM when out
 * of memory (the summary may then be missing, the key material is still removed).
 */
int tlsinfo_annotate_secret(json_t *secret, struct err *err);

#endif
