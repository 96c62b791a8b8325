/* b64: base64 encoding and strict decoding (see b64.h). */
#include "b64.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* every 12-bit group as its two characters, built on first use (the 8 KiB table is
 * filled the same by any thread that races to fill it) */
static uint16_t PAIRS[4096];
static int pairs_ready;

static void pairs_fill(void)
{
	for (int i = 0; i < 4096; i++) {
		unsigned char two[2] = { (unsigned char)ALPHABET[i >> 6], (unsigned char)ALPHABET[i & 63] };

		memcpy(&PAIRS[i], two, 2);
	}
	__atomic_store_n(&pairs_ready, 1, __ATOMIC_RELEASE);
}

size_t b64_encode_to(char *out, const void *in, size_t n)
{
	const unsigned char *p = in;
	char *o = out;
	size_t i = 0;

	if (!__atomic_load_n(&pairs_ready, __ATOMIC_ACQUIRE))
		pairs_fill();
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		memcpy(o, &PAIRS[v >> 12], 2);
		memcpy(o + 2, &PAIRS[v & 4095], 2);
		o += 4;
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);

		o[0] = ALPHABET[v >> 18];
		o[1] = ALPHABET[(v >> 12) & 63];
		o[2] = i + 1 < n ? ALPHABET[(v >> 6) & 63] : '=';
		o[3] = '=';
		o += 4;
	}
	*o = '\0';
	return (size_t)(o - out);
}

char *b64_encode(const void *in, size_t n)
{
	char *out = malloc(B64_ENCODED_LEN(n) + 1);

	if (out != NULL)
		b64_encode_to(out, in, n);
	return out;
}

static int value_of(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void wipe_free(unsigned char *p, size_t n)
{
	volatile unsigned char *v = p;

	for (size_t i = 0; i < n; i++)
		v[i] = 0;
	free(p);
}

int b64_decode(const char *s, size_t n, bool skip_space, unsigned char **ret, size_t *ret_len)
{
	unsigned char *out;
	unsigned char q[4];
	size_t o = 0, nq = 0;
	bool ended = false;

	*ret = NULL;
	*ret_len = 0;
	out = malloc(n / 4 * 3 + 4);
	if (out == NULL)
		return ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		int v[4], pad = 0;

		if (skip_space && is_space(c))
			continue;
		if (ended) /* anything after a padded quantum */
			goto bad;
		q[nq++] = c;
		if (nq < 4)
			continue;
		nq = 0;
		for (int j = 0; j < 4; j++) {
			v[j] = value_of(q[j]);
			if (v[j] >= 0 && pad == 0)
				continue;
			/* '=' only in the last two places, and '=' followed only by '=' */
			if (q[j] == '=' && j >= 2 && (j == 3 || q[3] == '=')) {
				v[j] = 0;
				pad++;
				continue;
			}
			goto bad;
		}
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			out[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
		ended = pad > 0;
	}
	if (nq != 0)
		goto bad;
	out[o] = '\0';
	*ret = out;
	*ret_len = o;
	return 0;
bad:
	wipe_free(out, o);
	return 1;
}
