/*
 * b64: base64 (RFC 4648, standard alphabet, padded), the one implementation the
 * webhook's patches, kubeconfig data, TLS Secrets and certs bootstrap share. Pure.
 */
#ifndef CORE_B64_H
#define CORE_B64_H

#include <stdbool.h>
#include <stddef.h>

/* the length of n bytes' base64, without the NUL */
#define B64_ENCODED_LEN(n) (((n) + 2) / 3 * 4)

/* n bytes of in as base64 into out, which has room for B64_ENCODED_LEN(n) + 1
 * bytes; NUL-terminated; returns B64_ENCODED_LEN(n). */
size_t b64_encode_to(char *out, const void *in, size_t n);

/* n bytes of in as base64, NUL-terminated, malloc'd; NULL when out of memory. */
char *b64_encode(const void *in, size_t n);

/*
 * Decode s (n characters). Strict: a multiple of 4 characters, '=' only as the last
 * one or two. With skip_space, ASCII spaces, tabs and line breaks are ignored first
 * (as in kubeconfig files). On success *ret is malloc'd with a NUL after its *ret_len
 * bytes (so decoded PEM is a C string) and 0 is returned; 1 when s is not base64,
 * ERR_NOMEM when out of memory. Bytes decoded before a failure are zeroed before they
 * are freed (they may be key material).
 */
int b64_decode(const char *s, size_t n, bool skip_space, unsigned char **ret, size_t *ret_len);

#endif
