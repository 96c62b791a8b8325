/* jwrite: see jwrite.h. */
#include "jwrite.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jbytes.h"

#define JWRITE_DEFAULT_DEPTH 64

static bool reserve(struct jwbuf *b, size_t len)
{
	size_t cap;
	char *p;

	if (b->failed)
		return false;
	if (b->n + len + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap * 2 : 128;
	while (cap < b->n + len + 1)
		cap *= 2;
	p = realloc(b->p, cap);
	if (p == NULL) {
		b->failed = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

bool jwrite_reserve(struct jwbuf *b, size_t len)
{
	return reserve(b, len);
}

char *jwrite_space(struct jwbuf *b, size_t len)
{
	char *at;

	if (!reserve(b, len))
		return NULL;
	at = b->p + b->n;
	b->n += len;
	b->p[b->n] = '\0';
	return at;
}

void jwrite_raw(struct jwbuf *b, const char *s, size_t len)
{
	char *d;

	if (b->n + len + 1 > b->cap && !reserve(b, len))
		return;
	d = b->p + b->n;
	if (len <= 8) {
		/* most pieces are punctuation and short keys: no call */
		for (size_t i = 0; i < len; i++)
			d[i] = s[i];
	} else {
		memcpy(d, s, len);
	}
	b->n += len;
	b->p[b->n] = '\0';
}

void jwrite_lit(struct jwbuf *b, const char *s)
{
	jwrite_raw(b, s, strlen(s));
}

/* bytes a JSON string cannot hold as they are: controls, '"' and '\\' */
static const unsigned char NEEDS_ESCAPE[256] = {
	[0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1, [0x06] = 1, [0x07] = 1,
	[0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1, [0x0c] = 1, [0x0d] = 1, [0x0e] = 1, [0x0f] = 1,
	[0x10] = 1, [0x11] = 1, [0x12] = 1, [0x13] = 1, [0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1,
	[0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1, [0x1c] = 1, [0x1d] = 1, [0x1e] = 1, [0x1f] = 1,
	['"'] = 1, ['\\'] = 1,
};

/* s (len bytes) escaped, then the closing quote */
static void write_escaped(struct jwbuf *b, const char *s, size_t len)
{
	size_t run = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];

		if (!NEEDS_ESCAPE[c])
			continue;
		jwrite_raw(b, s + run, i - run);
		switch (c) {
		case '"': jwrite_raw(b, "\\\"", 2); break;
		case '\\': jwrite_raw(b, "\\\\", 2); break;
		case '\n': jwrite_raw(b, "\\n", 2); break;
		case '\t': jwrite_raw(b, "\\t", 2); break;
		case '\r': jwrite_raw(b, "\\r", 2); break;
		case '\b': jwrite_raw(b, "\\b", 2); break;
		case '\f': jwrite_raw(b, "\\f", 2); break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			jwrite_raw(b, esc, 6);
		}
		run = i + 1;
	}
	jwrite_raw(b, s + run, len - run);
	jwrite_ch(b, '"');
}

void jwrite_str(struct jwbuf *b, const char *s, size_t len)
{
	size_t i = 0;
	char *d;

	if (b->n + len + 3 > b->cap && !reserve(b, len + 2))
		return;
	d = b->p + b->n;
	*d++ = '"';
	/*
	 * Most strings (names, hostnames, paths) need no escape: they are copied as they
	 * are tested, eight bytes at a time. The last few bytes are tested as the eight
	 * that end the string (overlapping the step before), or for a string of 4 to 7
	 * bytes as its first four and last four; shorter ones byte by byte.
	 */
	for (; i + 8 <= len; i += 8) {
		uint64_t x;

		memcpy(&x, s + i, 8);
		if (jbytes_escape8(x))
			break;
		memcpy(d + i, &x, 8);
	}
	if (i < len && i + 8 > len) {
		uint64_t x;
		uint32_t lo, hi;

		if (len >= 8) {
			memcpy(&x, s + len - 8, 8);
			if (!jbytes_escape8(x)) {
				memcpy(d + len - 8, &x, 8);
				i = len;
			}
		} else if (len >= 4) {
			memcpy(&lo, s, 4);
			memcpy(&hi, s + len - 4, 4);
			if (!jbytes_escape8((uint64_t)hi << 32 | lo)) {
				memcpy(d, &lo, 4);
				memcpy(d + len - 4, &hi, 4);
				i = len;
			}
		}
	}
	for (; i < len && !NEEDS_ESCAPE[(unsigned char)s[i]]; i++)
		d[i] = s[i];
	if (i == len) {
		d[len] = '"';
		b->n += len + 2;
		b->p[b->n] = '\0';
		return;
	}
	/* one needs escaping: what was copied stays, the rest goes piece by piece */
	b->n += 1 + i;
	write_escaped(b, s + i, len - i);
}

void jwrite_cstr(struct jwbuf *b, const char *s)
{
	if (s == NULL)
		jwrite_raw(b, "null", 4);
	else
		jwrite_str(b, s, strlen(s));
}

void jwrite_int(struct jwbuf *b, long long v)
{
	char num[32];
	int n = snprintf(num, sizeof(num), "%lld", v);

	jwrite_raw(b, num, (size_t)n);
}

static int member_cmp(const void *x, const void *y)
{
	return strcmp(((const struct jwrite_member *)x)->key, ((const struct jwrite_member *)y)->key);
}

void jwrite_sort_members(struct jwrite_member *ms, size_t n)
{
	/* the few members of a typical object: by insertion, no call per comparison */
	if (n > 16) {
		qsort(ms, n, sizeof(*ms), member_cmp);
		return;
	}
	for (size_t j = 1; j < n; j++) {
		struct jwrite_member t = ms[j];
		size_t k = j;

		while (k > 0 && strcmp(ms[k - 1].key, t.key) > 0) {
			ms[k] = ms[k - 1];
			k--;
		}
		ms[k] = t;
	}
}

static void write_object(struct jwbuf *b, const json_t *v, int depth);

static void write_value(struct jwbuf *b, const json_t *v, int depth)
{
	char num[40];
	int n;

	if (depth > (b->max_depth > 0 ? b->max_depth : JWRITE_DEFAULT_DEPTH)) {
		b->failed = true;
		b->too_deep = true;
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT: write_object(b, v, depth); break;
	case JSON_ARRAY:
		jwrite_ch(b, '[');
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				jwrite_ch(b, ',');
			write_value(b, json_array_get(v, i), depth + 1);
		}
		jwrite_ch(b, ']');
		break;
	case JSON_STRING: jwrite_str(b, json_string_value(v), json_string_length(v)); break;
	case JSON_INTEGER:
		n = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		jwrite_raw(b, num, (size_t)n);
		break;
	case JSON_REAL:
		n = snprintf(num, sizeof(num), "%.17g", json_real_value(v));
		jwrite_raw(b, num, (size_t)n);
		break;
	case JSON_TRUE: jwrite_raw(b, "true", 4); break;
	case JSON_FALSE: jwrite_raw(b, "false", 5); break;
	case JSON_NULL: jwrite_raw(b, "null", 4); break;
	}
}

static void write_member(struct jwbuf *b, bool first, const char *key, const json_t *m, int depth)
{
	if (!first)
		jwrite_ch(b, ',');
	jwrite_str(b, key, strlen(key));
	jwrite_ch(b, ':');
	write_value(b, m, depth + 1);
}

static void write_object(struct jwbuf *b, const json_t *v, int depth)
{
	size_t n = json_object_size(v), i = 0;
	const char *key;
	json_t *m;

	jwrite_ch(b, '{');
	if (!b->sort_keys || n < 2) {
		json_object_foreach((json_t *)v, key, m)
			write_member(b, i++ == 0, key, m, depth);
	} else {
		/* members collected with their values (no lookup by key afterwards) */
		struct jwrite_member small[16], *ms = n <= 16 ? small : malloc(n * sizeof(*ms));

		if (ms == NULL) {
			b->failed = true;
			return;
		}
		json_object_foreach((json_t *)v, key, m) {
			ms[i].key = key;
			ms[i].val = m;
			i++;
		}
		jwrite_sort_members(ms, n);
		for (i = 0; i < n; i++)
			write_member(b, i == 0, ms[i].key, ms[i].val, depth);
		if (ms != small)
			free(ms);
	}
	jwrite_ch(b, '}');
}

void jwrite_value(struct jwbuf *b, const json_t *v)
{
	jwrite_value_at(b, v, 0);
}

void jwrite_value_at(struct jwbuf *b, const json_t *v, int depth)
{
	if (v == NULL) {
		b->failed = true;
		return;
	}
	write_value(b, v, depth);
}

char *jwrite_finish(struct jwbuf *b, size_t *ret_len)
{
	char *p;

	if (!b->failed && b->p == NULL)
		reserve(b, 0); /* nothing written: the empty string */
	if (b->failed) {
		free(b->p);
		b->p = NULL;
		b->n = b->cap = 0;
		return NULL;
	}
	p = b->p;
	p[b->n] = '\0';
	if (ret_len != NULL)
		*ret_len = b->n;
	b->p = NULL;
	b->n = b->cap = 0;
	return p;
}

char *jwrite_dump(const json_t *v, bool sort_keys, int max_depth)
{
	struct jwbuf b = { .sort_keys = sort_keys, .max_depth = max_depth };

	jwrite_value(&b, v);
	return jwrite_finish(&b, NULL);
}
