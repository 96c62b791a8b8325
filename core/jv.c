/* jv: see jv.h. */
#include "jv.h"

/* a walk visits each member for a few instructions; a lookup hashes its key and
 * compares it, several times the cost of one visit. Walk objects up to this many
 * members per key read (plus a few), look the keys up in larger ones. */
#define WALK_PER_KEY 2
#define WALK_SLACK 4

void jv_pick(const json_t *obj, const char *const *keys, size_t n, json_t **vals)
{
	size_t found = 0;
	void *it;

	for (size_t i = 0; i < n; i++)
		vals[i] = NULL;
	if (obj == NULL || !json_is_object(obj))
		return;
	if (json_object_size(obj) > n * WALK_PER_KEY + WALK_SLACK) {
		for (size_t i = 0; i < n; i++)
			vals[i] = jv_get(obj, keys[i]);
		return;
	}
	for (it = json_object_iter((json_t *)obj); it != NULL && found < n;
	     it = json_object_iter_next((json_t *)obj, it)) {
		const char *k = json_object_iter_key(it);

		for (size_t i = 0; i < n; i++) {
			/* the length too: a key read with its length may hold a NUL */
			if (keys[i][0] == k[0] && strcmp(keys[i], k) == 0 &&
			    json_object_iter_key_len(it) == strlen(keys[i])) {
				json_t *v = json_object_iter_value(it);

				vals[i] = json_is_null(v) ? NULL : v;
				found++;
				break;
			}
		}
	}
}
