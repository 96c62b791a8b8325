/*
 * jpatch: RFC 6902 JSON Patch, the format an AdmissionReview response carries.
 *
 * jpatch_diff(from, to) builds a minimal patch of add/remove/replace operations that
 * turns `from` into `to`:
 *   - objects: members only in `from` are removed, members only in `to` are added,
 *     common members are diffed recursively; keys are visited in byte order, so the
 *     patch does not depend on insertion order;
 *   - arrays: the common prefix is diffed element by element, extra elements of `to`
 *     are added at the end (explicit indexes), surplus elements of `from` are removed
 *     from the end backwards (so every index is valid when its operation runs);
 *   - anything else that is not json_equal() is replaced (root path "" included).
 * Equal documents give an empty array, so re-diffing a patched document is a no-op.
 * Path tokens are escaped as RFC 6901 requires ("~" -> "~0", "/" -> "~1").
 *
 * jpatch_apply(doc, patch) applies add/remove/replace/test (move and copy are refused
 * with ERR_INVALID) to a deep copy of doc, so a failing patch never changes doc.
 *
 * Ownership: inputs are borrowed; *ret values are new references owned by the caller.
 * Depth is capped at JPATCH_MAX_DEPTH (ERR_LIMIT). Pure.
 */
#ifndef CORE_JPATCH_H
#define CORE_JPATCH_H

#include <jansson.h>
#include <stddef.h>

struct err;

#define JPATCH_MAX_DEPTH 128

/* *ret_patch: a new JSON array (empty when from equals to). 0 or ERR_NOMEM/ERR_LIMIT.
 * The operations' values are to's own nodes (referenced, not copied): change neither
 * to nor the patch's values afterwards. */
int jpatch_diff(const json_t *from, const json_t *to, json_t **ret_patch, struct err *err);

/*
 * Append to patch the operations that turn from into to at JSON Pointer path (already
 * escaped; "" is the root): nothing when they are equal, one "add" of to when from is
 * NULL (absent). Lets a caller that knows which few members can differ diff only
 * those, with the same operations jpatch_diff would give for them (and, as there, the
 * values are to's own nodes). 0, ERR_NOMEM,
 * ERR_LIMIT or ERR_INVALID (to NULL, or patch not an array).
 */
int jpatch_diff_at(const char *path, const json_t *from, const json_t *to, json_t *patch, struct err *err);

/* *ret_doc: a new document, doc with patch applied. 0, or ERR_INVALID naming the
 * operation index and path that failed, or ERR_NOMEM. */
int jpatch_apply(const json_t *doc, const json_t *patch, json_t **ret_doc, struct err *err);

/* Append the RFC 6901 escape of token to the path in buf (cap bytes, NUL-terminated)
 * as "/<escaped>". Returns the new length, or (size_t)-1 when it does not fit. */
size_t jpatch_pointer_append(char *buf, size_t len, size_t cap, const char *token);

#endif
