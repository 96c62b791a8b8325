/* jcopy: see jcopy.h. */
#include "jcopy.h"

static json_t *copy(const json_t *v, int depth)
{
	json_t *c = NULL;

	if (depth > JCOPY_DEPTH_MAX)
		return NULL;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key;
		size_t klen;
		json_t *m;

		if ((c = json_object()) == NULL)
			return NULL;
		json_object_keylen_foreach((json_t *)v, key, klen, m) {
			json_t *mc = copy(m, depth + 1);

			/* the _new setter takes mc even when it fails */
			if (mc == NULL || json_object_setn_new_nocheck(c, key, klen, mc) != 0) {
				json_decref(c);
				return NULL;
			}
		}
		return c;
	}
	case JSON_ARRAY: {
		size_t n = json_array_size(v);

		if ((c = json_array()) == NULL)
			return NULL;
		for (size_t i = 0; i < n; i++) {
			json_t *ec = copy(json_array_get(v, i), depth + 1);

			if (ec == NULL || json_array_append_new(c, ec) != 0) {
				json_decref(c);
				return NULL;
			}
		}
		return c;
	}
	case JSON_STRING: return json_stringn_nocheck(json_string_value(v), json_string_length(v));
	case JSON_INTEGER: return json_integer(json_integer_value(v));
	case JSON_REAL: return json_real(json_real_value(v));
	case JSON_TRUE:
	case JSON_FALSE:
	case JSON_NULL: return json_incref((json_t *)v);
	}
	return NULL;
}

json_t *jcopy(const json_t *v)
{
	return v != NULL ? copy(v, 0) : NULL;
}
