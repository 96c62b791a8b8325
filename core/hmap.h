/*
 * hmap: a string-keyed hash map of void * values. Pure.
 *
 * Ownership: the map owns a private copy of every key (hmap_put copies it, hmap_del
 * and hmap_release free it). Values are borrowed: the map never frees or touches
 * them, except that hmap_release calls free_val on each when given one. A NULL
 * value is allowed but hmap_get cannot tell it from an absent key; use hmap_has.
 *
 * Invariants: cap is 0 or a power of two; n / cap stays at or below 0.7 (the table
 * doubles before an insert would pass it); there are no tombstones (deletion shifts
 * the following entries back), so lookups stay O(1) on average however many keys
 * were deleted. Keys are C strings (the empty string is a valid key; NULL is not).
 *
 * Iteration order is the table order: unspecified, but the same for the same
 * sequence of operations. Any put or del invalidates iterators and pointers to keys
 * returned by hmap_iter_next.
 *
 * Not thread-safe; concurrent readers without writers are fine.
 */
#ifndef CORE_HMAP_H
#define CORE_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hmap_entry {
	char *key;          /* owned; NULL marks an empty slot */
	void *val;          /* borrowed */
	uint64_t hash;      /* cached so growth and probing never rehash or strcmp */
};

struct hmap {
	struct hmap_entry *v;   /* owned; NULL while cap == 0 */
	size_t cap;             /* slots, 0 or a power of two */
	size_t n;               /* keys present */
};

#define HMAP_INIT { NULL, 0, 0 }

struct hmap_iter {
	const struct hmap *m;   /* borrowed */
	size_t i;               /* next slot to look at */
};

void hmap_init(struct hmap *m);
/* Free every key and the table; when free_val is non-NULL it is called once for
 * each value first. m is left empty and reusable. */
void hmap_release(struct hmap *m, void (*free_val)(void *val));

/* Insert or replace. Returns 0 or ERR_NOMEM (the map is then unchanged). On success
 * *ret_old (when ret_old is non-NULL) is the value that key had, or NULL when the
 * key is new; a replaced key keeps its existing copy. */
int hmap_put(struct hmap *m, const char *key, void *val, void **ret_old);
/* The value of key, or NULL when absent. */
void *hmap_get(const struct hmap *m, const char *key);
bool hmap_has(const struct hmap *m, const char *key);
/* The map's own copy of key (valid until it is deleted or the map released), after
 * adding key with a NULL value when it is absent: a string intern table, where equal
 * strings get the same pointer. NULL on ENOMEM (the map is then unchanged). */
const char *hmap_intern(struct hmap *m, const char *key);
/* Remove key. Returns true when it was present, and then *ret_val (when non-NULL)
 * is its value for the caller to free. */
bool hmap_del(struct hmap *m, const char *key, void **ret_val);
size_t hmap_count(const struct hmap *m);
/* The hash the map uses for key: for callers that key tables of their own by string
 * content (equal strings, equal hashes). */
uint64_t hmap_hash(const char *key);

void hmap_iter_init(struct hmap_iter *it, const struct hmap *m);
/* The next key and value (both borrowed); false when done. Either out-param may be
 * NULL. */
bool hmap_iter_next(struct hmap_iter *it, const char **ret_key, void **ret_val);

#endif
