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

/* bytes i.. of p as base64 at o, the padded end included; returns the end of o */
static char *encode_rest(char *o, const unsigned char *p, size_t i, size_t n)
{
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
	return o;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/*
 * 24 bytes a round into 32 characters with AVX2 (the method of Muła and Lemire,
 * "Faster Base64 Encoding and Decoding Using AVX2 Instructions", 2018), while 28 bytes
 * are left (each half-register load reads 16). Per 128-bit lane, 12 input bytes:
 * 1. every 3 bytes a, b, c become the 32-bit word b | a << 8 | c << 16 | b << 24;
 * 2. two masks and two 16-bit multiplies move the four 6-bit fields to one byte each
 *    (a >> 2 | (a & 3) << 4 | b >> 4 ... in output order);
 * 3. a byte shuffle maps each field's range (0-25, 26-51, 52-61, 62, 63) to the
 *    offset that turns it into its character.
 * Returns how many input bytes it encoded (a multiple of 24); *o is advanced.
 */
__attribute__((target("avx2"))) static size_t encode_avx2(char **o, const unsigned char *p, size_t n)
{
	const __m256i spread = _mm256_setr_epi8(1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10,
						1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10);
	/* offset by range: [0] 26-51 -> 'a', [1..10] 52-61 -> '0', [11] '+', [12] '/', [13] 0-25 -> 'A' */
	const __m256i offsets = _mm256_setr_epi8('a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
						 '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '+' - 62, '/' - 63,
						 'A', 0, 0, 'a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
						 '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '+' - 62, '/' - 63,
						 'A', 0, 0);
	char *out = *o;
	size_t i = 0;

	for (; n - i >= 28; i += 24, out += 32) {
		__m128i lo = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i hi = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 12));
		__m256i v = _mm256_shuffle_epi8(_mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1), spread);
		/* a >> 2 to byte 0 and (b & 15) << 2 | c >> 6 to byte 2 ... */
		__m256i t0 = _mm256_mulhi_epu16(_mm256_and_si256(v, _mm256_set1_epi32(0x0fc0fc00)),
						_mm256_set1_epi32(0x04000040));
		/* ... (a & 3) << 4 | b >> 4 to byte 1 and c & 63 to byte 3 */
		__m256i t1 = _mm256_mullo_epi16(_mm256_and_si256(v, _mm256_set1_epi32(0x003f03f0)),
						_mm256_set1_epi32(0x01000010));
		__m256i idx = _mm256_or_si256(t0, t1);
		__m256i range = _mm256_subs_epu8(idx, _mm256_set1_epi8(51));
		__m256i upper = _mm256_cmpgt_epi8(_mm256_set1_epi8(26), idx);

		range = _mm256_or_si256(range, _mm256_and_si256(upper, _mm256_set1_epi8(13)));
		_mm256_storeu_si256((__m256i *)(void *)out, _mm256_add_epi8(idx, _mm256_shuffle_epi8(offsets, range)));
	}
	*o = out;
	return i;
}
#endif

size_t b64_encode_to(char *out, const void *in, size_t n)
{
	const unsigned char *p = in;
	char *o = out;
	size_t i = 0;

#if defined(__x86_64__) && defined(__GNUC__)
	/* the compiler runtime reads the CPU's features once, at start */
	if (n >= 28 && __builtin_cpu_supports("avx2"))
		i = encode_avx2(&o, p, n);
#endif
	o = encode_rest(o, p, i, n);
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
