/*
 * jwrite: a compact JSON writer into a growing buffer. The one writer for text that
 * is built on a hot path: canonical match keys (route_match_key frames the match and
 * its sets and writes their values here, keys sorted) and the webhook's AdmissionReview
 * answers and patches (keys in the order they were set). jansson's json_dumps does the
 * same work with a per-character callback and costs several times more. Pure.
 *
 * Strings are written as given (UTF-8 passes through); '"', '\\' and bytes below 0x20
 * are escaped (\", \\, \n, \t, \r, \b, \f, else \u00xx with lowercase hex). The text
 * is json_dumps's with JSON_COMPACT (and JSON_SORT_KEYS when asked) except for that
 * lowercase hex and for reals, written with %.17g: 2.0 is "2" (json_dumps: "2.0") and
 * 1e300 "1.0000000000000001e+300". Match keys rely on this text staying as it is.
 *
 * A buffer that failed (out of memory, or a value nested deeper than its max_depth)
 * stays failed: every later call is a no-op, and jwrite_finish reports it once.
 */
#ifndef CORE_JWRITE_H
#define CORE_JWRITE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct jwbuf {
	char *p;        /* NUL-terminated once anything was written */
	size_t n, cap;
	bool failed;
	bool too_deep;  /* failed because of max_depth, not for memory */
	bool sort_keys; /* objects' members in strcmp order of their keys */
	int max_depth;  /* 0: 64 */
};

/* room for len more bytes without growing again (a size known in advance); false
 * when the buffer failed */
bool jwrite_reserve(struct jwbuf *b, size_t len);
/* room for len bytes (and a NUL) at the end of the text, counted as written: the
 * caller fills them; NULL when the buffer failed */
char *jwrite_space(struct jwbuf *b, size_t len);
/* one byte (punctuation): inline, as objects and lists are mostly punctuation */
static inline void jwrite_ch(struct jwbuf *b, char c)
{
	if (b->n + 2 > b->cap && !jwrite_reserve(b, 1))
		return;
	b->p[b->n++] = c;
	b->p[b->n] = '\0';
}
/* raw bytes */
void jwrite_raw(struct jwbuf *b, const char *s, size_t len);
/* a NUL-terminated literal or fragment */
void jwrite_lit(struct jwbuf *b, const char *s);
/* s (len bytes) as a JSON string, quotes included */
void jwrite_str(struct jwbuf *b, const char *s, size_t len);
/* a NUL-terminated string as a JSON string, or null when s is NULL */
void jwrite_cstr(struct jwbuf *b, const char *s);
void jwrite_int(struct jwbuf *b, long long v);
/* v as compact JSON */
void jwrite_value(struct jwbuf *b, const json_t *v);
/* the same for a v the caller nests depth levels deep in what it writes around it (a
 * member of an object it frames itself): max_depth counts from the outermost level */
void jwrite_value_at(struct jwbuf *b, const json_t *v, int depth);

/* an object's member, for a writer that frames an object itself */
struct jwrite_member {
	const char *key;
	const json_t *val;
};

/* ms in the strcmp order of their keys, the order of a sorted object's members */
void jwrite_sort_members(struct jwrite_member *ms, size_t n);
/* The text (the caller frees it), or NULL when the buffer failed (it is freed then). */
char *jwrite_finish(struct jwbuf *b, size_t *ret_len);

/* v as compact JSON text, keys sorted or in insertion order; NULL on failure. */
char *jwrite_dump(const json_t *v, bool sort_keys, int max_depth);

#endif
