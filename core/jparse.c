/* jparse: strict JSON into jansson values (see jparse.h). */
#include "jparse.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "jbytes.h"

struct rd {
	const unsigned char *p, *start, *end;
	unsigned depth, max_depth;
	struct err *err;
	char *scratch; /* unescaped strings */
	size_t scap;
	struct jparse_deferred *d; /* NULL: nothing deferred */
	unsigned dmatch;           /* how many of d's keys the containers being read match */
	unsigned skip;             /* > 0 inside the deferred value: read_number builds nothing */
};

/* In a deferred value (check_value) nothing is built: a value read there is this
 * jansson singleton, which json_decref leaves alone. */
#define CHECKED json_null()

static void where(const struct rd *r, const unsigned char *at, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (const unsigned char *q = r->start; q < at && q < r->end; q++) {
		if (*q == '\n') {
			(*line)++;
			*col = 1;
		} else if ((*q & 0xC0) != 0x80) {
			(*col)++;
		}
	}
}

static json_t *fail(struct rd *r, const unsigned char *at, const char *what)
{
	int line, col;

	where(r, at, &line, &col);
	err_set(r->err, ERR_INVALID, "line %d column %d: %s", line, col, what);
	return NULL;
}

/* Something after key (in c) failed to read: when key is a duplicate, that came first
 * in the text and is what is reported, at the key's end (at). Only on this path is the
 * key looked up before the insert. */
static void prefer_duplicate(struct rd *r, const json_t *c, const char *key, size_t klen, const unsigned char *at)
{
	if (r->err->code != ERR_NOMEM && json_object_getn(c, key, klen) != NULL) {
		err_init(r->err);
		fail(r, at, "duplicate object key");
	}
}

static void skip_ws(struct rd *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
		r->p++;
}

/* Length of the valid UTF-8 sequence at p (1..4), 0 when invalid. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return n;
}

static bool scratch_room(struct rd *r, size_t need)
{
	if (need <= r->scap)
		return true;
	{
		size_t ncap = r->scap ? r->scap : 256;
		char *n;

		while (ncap < need)
			ncap *= 2;
		n = realloc(r->scratch, ncap);
		if (n == NULL)
			return false;
		r->scratch = n;
		r->scap = ncap;
	}
	return true;
}

static int hex4(const unsigned char *p, uint32_t *ret)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*ret = v;
	return 0;
}

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* A string at r->p (the opening quote): ret and ret_len point into the input when it
 * has no escapes, into r->scratch otherwise; valid UTF-8 either way. */
static int read_string(struct rd *r, const char **ret, size_t *ret_len)
{
	const unsigned char *s = ++r->p, *q = s;
	size_t o = 0;

	/* fast path: printable ASCII up to the closing quote, eight bytes at a time while
	 * the text lasts (the first byte that ends the run is found in its word), then
	 * byte by byte */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	while (r->end - q >= 8) {
		uint64_t x, m;

		memcpy(&x, q, 8);
		m = jbytes_special_mask8(x);
		if (m != 0) {
			q += __builtin_ctzll(m) >> 3;
			break;
		}
		q += 8;
	}
#endif
	while (q < r->end && *q != '"' && *q != '\\' && *q >= 0x20 && *q < 0x80)
		q++;
	if (q < r->end && *q == '"') {
		*ret = (const char *)s;
		*ret_len = (size_t)(q - s);
		r->p = q + 1;
		return 0;
	}
	if (!scratch_room(r, (size_t)(r->end - s) + 4)) {
		err_set(r->err, ERR_NOMEM, "out of memory");
		return -1;
	}
	memcpy(r->scratch, s, (size_t)(q - s));
	o = (size_t)(q - s);
	while (q < r->end) {
		unsigned char c = *q;

		if (c == '"') {
			*ret = r->scratch;
			*ret_len = o;
			r->p = q + 1;
			return 0;
		}
		if (c < 0x20) {
			fail(r, q, "control character in a string");
			return -1;
		}
		if (c == '\\') {
			uint32_t cp;

			if (q + 1 >= r->end)
				break;
			switch (q[1]) {
			case '"': r->scratch[o++] = '"'; q += 2; continue;
			case '\\': r->scratch[o++] = '\\'; q += 2; continue;
			case '/': r->scratch[o++] = '/'; q += 2; continue;
			case 'b': r->scratch[o++] = '\b'; q += 2; continue;
			case 'f': r->scratch[o++] = '\f'; q += 2; continue;
			case 'n': r->scratch[o++] = '\n'; q += 2; continue;
			case 'r': r->scratch[o++] = '\r'; q += 2; continue;
			case 't': r->scratch[o++] = '\t'; q += 2; continue;
			case 'u': break;
			default:
				fail(r, q, "invalid escape in a string");
				return -1;
			}
			if (r->end - q < 6 || hex4(q + 2, &cp) != 0) {
				fail(r, q, "invalid \\u escape");
				return -1;
			}
			q += 6;
			if (cp >= 0xD800 && cp <= 0xDBFF) {
				uint32_t lo;

				if (r->end - q < 6 || q[0] != '\\' || q[1] != 'u' || hex4(q + 2, &lo) != 0 || lo < 0xDC00 ||
				    lo > 0xDFFF) {
					fail(r, q, "lone UTF-16 surrogate in a \\u escape");
					return -1;
				}
				q += 6;
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
				fail(r, q - 6, "lone UTF-16 surrogate in a \\u escape");
				return -1;
			} else if (cp == 0) {
				fail(r, q - 6, "\\u0000 is not allowed in strings");
				return -1;
			}
			o += put_utf8(r->scratch + o, cp);
			continue;
		}
		{
			size_t n = utf8_len(q, r->end);

			if (n == 0) {
				fail(r, q, "invalid UTF-8");
				return -1;
			}
			memcpy(r->scratch + o, q, n);
			o += n;
			q += n;
		}
	}
	fail(r, s - 1, "unterminated string");
	return -1;
}

static json_t *read_number(struct rd *r)
{
	const unsigned char *s = r->p, *q = s;
	bool real = false;
	char buf[64];
	size_t n;

	if (q < r->end && *q == '-')
		q++;
	if (q >= r->end || *q < '0' || *q > '9')
		return fail(r, s, "invalid number");
	if (*q == '0')
		q++;
	else
		while (q < r->end && *q >= '0' && *q <= '9')
			q++;
	if (q < r->end && *q == '.') {
		real = true;
		q++;
		if (q >= r->end || *q < '0' || *q > '9')
			return fail(r, s, "invalid number");
		while (q < r->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < r->end && (*q == 'e' || *q == 'E')) {
		real = true;
		q++;
		if (q < r->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= r->end || *q < '0' || *q > '9')
			return fail(r, s, "invalid number");
		while (q < r->end && *q >= '0' && *q <= '9')
			q++;
	}
	n = (size_t)(q - s);
	r->p = q;
	if (!real) {
		/* the digits are checked above: accumulate them (strtoll wanted a copy) */
		bool neg = *s == '-';
		unsigned long long acc = 0, limit = neg ? (unsigned long long)LLONG_MAX + 1 : (unsigned long long)LLONG_MAX;
		long long v;
		json_t *j;

		for (const unsigned char *d = s + neg; d < q; d++) {
			unsigned dig = (unsigned)(*d - '0');

			if (acc > (limit - dig) / 10)
				return fail(r, s, "integer out of range");
			acc = acc * 10 + dig;
		}
		v = neg ? (acc == limit ? LLONG_MIN : -(long long)acc) : (long long)acc;
		j = r->skip > 0 ? CHECKED : json_integer(v);
		if (j == NULL)
			err_set(r->err, ERR_NOMEM, "out of memory");
		return j;
	}
	{
		/* strtod wants a NUL-terminated copy. JSON sets no limit on digits: a real
		 * longer than buf is copied to scratch, free here (a key read into scratch
		 * is copied before its value is read) */
		char *txt = buf;
		double d;
		json_t *j;

		if (n >= sizeof(buf)) {
			if (!scratch_room(r, n + 1)) {
				err_set(r->err, ERR_NOMEM, "out of memory");
				return NULL;
			}
			txt = r->scratch;
		}
		memcpy(txt, s, n);
		txt[n] = '\0';
		errno = 0;
		d = strtod(txt, NULL);
		if (errno == ERANGE && (d > 1.0 || d < -1.0))
			return fail(r, s, "real number out of range");
		j = r->skip > 0 ? CHECKED : json_real(d);
		if (j == NULL)
			err_set(r->err, ERR_NOMEM, "out of memory");
		return j;
	}
}

static json_t *read_value(struct rd *r);

/* r->depth went past max_depth at the container that opens at open */
static json_t *too_deep(struct rd *r, const unsigned char *open)
{
	int line, col;

	where(r, open, &line, &col);
	err_set(r->err, ERR_LIMIT, "line %d column %d: nested deeper than %u levels", line, col, r->max_depth);
	return NULL;
}

static bool word(struct rd *r, const char *w);
static json_t *check_container(struct rd *r, bool obj);

/* read_value inside the deferred value (r->skip > 0): CHECKED or NULL */
static json_t *check_value(struct rd *r)
{
	const char *s;
	size_t n;

	skip_ws(r);
	if (r->p >= r->end)
		return fail(r, r->p, "unexpected end of input");
	switch (*r->p) {
	case '{': return check_container(r, true);
	case '[': return check_container(r, false);
	case '"': return read_string(r, &s, &n) == 0 ? CHECKED : NULL;
	case 't': return word(r, "true") ? CHECKED : fail(r, r->p, "invalid literal");
	case 'f': return word(r, "false") ? CHECKED : fail(r, r->p, "invalid literal");
	case 'n': return word(r, "null") ? CHECKED : fail(r, r->p, "invalid literal");
	default: return read_number(r);
	}
}

/* read_container inside the deferred value: the same checks and messages, nothing
 * built, duplicate keys not looked for; CHECKED or NULL */
static json_t *check_container(struct rd *r, bool obj)
{
	const char close = obj ? '}' : ']';

	if (++r->depth > r->max_depth)
		return too_deep(r, r->p);
	r->p++;
	skip_ws(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		r->depth--;
		return CHECKED;
	}
	for (;;) {
		skip_ws(r);
		if (obj) {
			const char *k;
			size_t klen;

			if (r->p >= r->end || *r->p != '"')
				return fail(r, r->p, "expected a string key");
			if (read_string(r, &k, &klen) != 0)
				return NULL;
			skip_ws(r);
			if (r->p >= r->end || *r->p != ':')
				return fail(r, r->p, "expected ':'");
			r->p++;
		}
		if (check_value(r) == NULL)
			return NULL;
		skip_ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == close) {
			r->p++;
			r->depth--;
			return CHECKED;
		}
		return fail(r, r->p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

/* The value of a member whose key is the deferred path's key at this level (at: where
 * the key ends). On the way to the deferred value: read as usual with the path
 * followed, 0 and *ret set (NULL on failure). The deferred value itself: checked, its
 * text noted, 1; -1 when it fails (or is a second one). Kept out of read_container,
 * where it would cost every member of every object. */
static __attribute__((noinline)) int read_on_path(struct rd *r, const unsigned char *at, json_t **ret)
{
	const unsigned char *vat;

	if (r->depth < r->d->nkeys) {
		r->dmatch++;
		*ret = read_value(r);
		r->dmatch--;
		return 0;
	}
	if (r->d->at != NULL) {
		fail(r, at, "duplicate object key");
		return -1;
	}
	skip_ws(r);
	vat = r->p;
	r->skip++;
	*ret = check_value(r);
	r->skip--;
	if (*ret == NULL)
		return -1;
	r->d->at = (const char *)vat;
	r->d->len = (size_t)(r->p - vat);
	return 1;
}

static json_t *read_container(struct rd *r, bool obj)
{
	const unsigned char *open = r->p;
	size_t nmembers = 0; /* json_object_size(c), counted here */
	json_t *c;
	const char *dkey = NULL; /* the deferred path's key at this level, if on it */

	if (++r->depth > r->max_depth)
		return too_deep(r, open);
	if (r->d != NULL && r->dmatch == r->depth - 1 && r->depth <= r->d->nkeys)
		dkey = r->d->keys[r->depth - 1];
	c = obj ? json_object() : json_array();
	if (c == NULL) {
		err_set(r->err, ERR_NOMEM, "out of memory");
		return NULL;
	}
	r->p++;
	skip_ws(r);
	if (r->p < r->end && *r->p == (obj ? '}' : ']')) {
		r->p++;
		r->depth--;
		return c;
	}
	for (;;) {
		json_t *v;

		skip_ws(r);
		if (obj) {
			const char *k;
			const unsigned char *at;
			size_t klen, size;
			char kbuf[256];
			char *key = kbuf;

			if (r->p >= r->end || *r->p != '"') {
				fail(r, r->p, "expected a string key");
				goto bad;
			}
			if (read_string(r, &k, &klen) != 0)
				goto bad;
			/* a key without escapes is read where it is in the input (jansson takes
			 * a length, no NUL needed); one from scratch is copied, since the value
			 * reuses scratch. read_string refuses NUL (raw or \u0000), so a key
			 * never holds one. */
			if ((const unsigned char *)k >= r->start && (const unsigned char *)k < r->end) {
				key = (char *)k;
			} else {
				if (klen >= sizeof(kbuf) && (key = malloc(klen + 1)) == NULL) {
					err_set(r->err, ERR_NOMEM, "out of memory");
					goto bad;
				}
				memcpy(key, k, klen);
				key[klen] = '\0';
			}
			/* a duplicate is told by the size after the insert (one lookup, not
			 * two) and reported where the key ends */
			at = r->p;
			size = nmembers;
			skip_ws(r);
			if (r->p >= r->end || *r->p != ':') {
				fail(r, r->p, "expected ':'");
				prefer_duplicate(r, c, key, klen, at);
				if (key != kbuf && key != k)
					free(key);
				goto bad;
			}
			r->p++;
			if (dkey != NULL && strlen(dkey) == klen && memcmp(dkey, key, klen) == 0) {
				int on = read_on_path(r, at, &v);

				if (on != 0) {
					if (key != kbuf && key != k)
						free(key);
					if (on < 0)
						goto bad;
					goto next;
				}
			} else {
				v = read_value(r);
			}
			if (v == NULL)
				prefer_duplicate(r, c, key, klen, at);
			if (v == NULL || json_object_setn_new_nocheck(c, key, klen, v) != 0) {
				if (v != NULL)
					err_set(r->err, ERR_NOMEM, "out of memory");
				if (key != kbuf && key != k)
					free(key);
				goto bad;
			}
			if (key != kbuf && key != k)
				free(key);
			if (json_object_size(c) == size) {
				fail(r, at, "duplicate object key");
				goto bad;
			}
			nmembers++;
		} else {
			v = read_value(r);
			if (v == NULL)
				goto bad;
			if (json_array_append_new(c, v) != 0) {
				err_set(r->err, ERR_NOMEM, "out of memory");
				goto bad;
			}
		}
	next:
		skip_ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == (obj ? '}' : ']')) {
			r->p++;
			r->depth--;
			return c;
		}
		fail(r, r->p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
		goto bad;
	}
bad:
	json_decref(c);
	return NULL;
}

static bool word(struct rd *r, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0)
		return false;
	r->p += n;
	return true;
}

static json_t *read_value(struct rd *r)
{
	json_t *v;

	skip_ws(r);
	if (r->p >= r->end)
		return fail(r, r->p, "unexpected end of input");
	switch (*r->p) {
	case '{': return read_container(r, true);
	case '[': return read_container(r, false);
	case '"': {
		const char *s;
		size_t n;

		if (read_string(r, &s, &n) != 0)
			return NULL;
		v = json_stringn_nocheck(s, n);
		break;
	}
	case 't': v = word(r, "true") ? json_true() : fail(r, r->p, "invalid literal"); return v;
	case 'f': v = word(r, "false") ? json_false() : fail(r, r->p, "invalid literal"); return v;
	case 'n': v = word(r, "null") ? json_null() : fail(r, r->p, "invalid literal"); return v;
	default: return read_number(r);
	}
	if (v == NULL)
		err_set(r->err, ERR_NOMEM, "out of memory");
	return v;
}

json_t *jparse_defer(const char *buf, size_t len, unsigned max_depth, struct jparse_deferred *d, struct err *err)
{
	struct rd r = { .p = (const unsigned char *)buf, .start = (const unsigned char *)buf,
			.end = (const unsigned char *)buf + len, .max_depth = max_depth, .err = err,
			.d = d != NULL && d->nkeys > 0 ? d : NULL };
	json_t *v;

	if (d != NULL) {
		d->at = NULL;
		d->len = 0;
	}
	v = read_value(&r);

	if (v != NULL) {
		skip_ws(&r);
		if (r.p != r.end) {
			json_decref(v);
			v = fail(&r, r.p, "garbage after the JSON value");
		}
	}
	free(r.scratch);
	return v;
}

json_t *jparse(const char *buf, size_t len, unsigned max_depth, struct err *err)
{
	return jparse_defer(buf, len, max_depth, NULL, err);
}
