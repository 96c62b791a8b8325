/*
 * jparse: a strict JSON (RFC 8259) reader that builds jansson values, several times
 * faster than json_loadb on Kubernetes objects. It exists for the webhook's hot path
 * (every AdmissionReview is parsed once); everything else keeps using jansson's
 * loader. Pure.
 *
 * Accepts exactly one value with optional surrounding whitespace. Rejects what
 * jansson rejects by default: invalid UTF-8, lone surrogates, "\u0000" in strings,
 * integers outside int64, control characters in strings, duplicate keys (always),
 * nesting deeper than max_depth. Integers stay integers (json_integer), numbers with a
 * fraction or exponent become reals, as with jansson.
 */
#ifndef CORE_JPARSE_H
#define CORE_JPARSE_H

#include <jansson.h>
#include <stddef.h>

struct err;

/* A new value, or NULL with err filled (ERR_INVALID "line L column C: what", ERR_LIMIT
 * for depth, ERR_NOMEM). */
json_t *jparse(const char *buf, size_t len, unsigned max_depth, struct err *err);

/*
 * One member read but not built: the value at the object-key path keys[0..nkeys)
 * (for the webhook: request.oldObject, which most reviews never read) is checked as
 * strictly as the rest of the text, nesting depth included, except that duplicate
 * keys inside it are not looked for; it is left out of the returned tree and its text
 * is reported in at/len, for jparse to build later if it is wanted (with max_depth
 * minus nkeys: the value sits inside nkeys objects). A second member at the same path
 * is a duplicate key, as anywhere else.
 */
struct jparse_deferred {
	const char *const *keys; /* in: the path, from the top-level object down */
	unsigned nkeys;          /* in: at least 1 */
	const char *at;          /* out: the value's text in buf, NULL when absent */
	size_t len;              /* out: its length */
};

/* jparse, with d's member deferred (d NULL: exactly jparse). */
json_t *jparse_defer(const char *buf, size_t len, unsigned max_depth, struct jparse_deferred *d, struct err *err);

#endif
