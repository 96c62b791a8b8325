/* b64: base64 encoding and strict decoding (see b64.h). */
#include "b64.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* every 12-bit group as its two characters, computed by the compiler */
#define B64CH(v) ((v) < 26 ? 'A' + (v) : (v) < 52 ? 'a' + (v) - 26 : (v) < 62 ? '0' + (v) - 52 : (v) == 62 ? '+' : '/')
#define P1(i) { (char)B64CH((i) >> 6), (char)B64CH((i) & 63) }
#define P4(i) P1(i), P1((i) + 1), P1((i) + 2), P1((i) + 3)
#define P16(i) P4(i), P4((i) + 4), P4((i) + 8), P4((i) + 12)
#define P64(i) P16(i), P16((i) + 16), P16((i) + 32), P16((i) + 48)
#define P256(i) P64(i), P64((i) + 64), P64((i) + 128), P64((i) + 192)
#define P1024(i) P256(i), P256((i) + 256), P256((i) + 512), P256((i) + 768)
static const char PAIRS[4096][2] = { P1024(0), P1024(1024), P1024(2048), P1024(3072) };

size_t b64_encode_to(char *out, const void *in, size_t n)
{
	const unsigned char *p = in;
	char *o = out;
	size_t i = 0;

	/* six bytes (four pairs) a round, read as one 8-byte word while 8 are left, then three */
	for (; i + 8 <= n; i += 6) {
		uint64_t v;

		memcpy(&v, p + i, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		v = __builtin_bswap64(v);
#endif
		memcpy(o, PAIRS[v >> 52], 2);
		memcpy(o + 2, PAIRS[(v >> 40) & 4095], 2);
		memcpy(o + 4, PAIRS[(v >> 28) & 4095], 2);
		memcpy(o + 6, PAIRS[(v >> 16) & 4095], 2);
		o += 8;
	}
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		memcpy(o, PAIRS[v >> 12], 2);
		memcpy(o + 2, PAIRS[v & 4095], 2);
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
