/*
 * jbytes: eight bytes of JSON string text tested at once (SWAR: one 64-bit word, no
 * vector instructions), for the reader (jparse) and the writer (jwrite). Pure.
 */
#ifndef CORE_JBYTES_H
#define CORE_JBYTES_H

#include <stdbool.h>
#include <stdint.h>

/* the high bit of each byte of x that is below 0x20, '"' or '\\': a byte a JSON
 * string cannot hold as it is. Only the lowest flagged byte is exact: a borrow can
 * flag a byte above a flagged one, never one below. So the mask is zero exactly when
 * no byte needs escaping, and on a little-endian load its lowest set bit marks the
 * first one. */
static inline uint64_t jbytes_escape_mask8(uint64_t x)
{
	uint64_t lt = (x - 0x2020202020202020ULL) & ~x;
	uint64_t q = x ^ 0x2222222222222222ULL;
	uint64_t bs = x ^ 0x5c5c5c5c5c5c5c5cULL;

	q = (q - 0x0101010101010101ULL) & ~q;
	bs = (bs - 0x0101010101010101ULL) & ~bs;
	return (lt | q | bs) & 0x8080808080808080ULL;
}

static inline bool jbytes_escape8(uint64_t x)
{
	return jbytes_escape_mask8(x) != 0;
}

/* as jbytes_escape_mask8, also flagging bytes of 0x80 and above: the mask is zero
 * when all 8 bytes are printable ASCII other than '"' and '\\', what a reader can
 * take without unescaping or checking UTF-8 */
static inline uint64_t jbytes_special_mask8(uint64_t x)
{
	return (x & 0x8080808080808080ULL) | jbytes_escape_mask8(x);
}

#endif
