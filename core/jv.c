/* jv: see jv.h. */
#include "jv.h"

#include <string.h>

json_t *jv_get(const json_t *obj, const char *key)
{
	json_t *v;

	if (obj == NULL || !json_is_object(obj))
		return NULL;
	v = json_object_get(obj, key);
	return json_is_null(v) ? NULL : v;
}

json_t *jv_obj(const json_t *obj, const char *key)
{
	json_t *v = jv_get(obj, key);

	return json_is_object(v) ? v : NULL;
}

json_t *jv_arr(const json_t *obj, const char *key)
{
	json_t *v = jv_get(obj, key);

	return json_is_array(v) ? v : NULL;
}

const char *jv_str(const json_t *obj, const char *key)
{
	json_t *v = jv_get(obj, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

size_t jv_strlen(const json_t *obj, const char *key)
{
	json_t *v = jv_get(obj, key);

	return json_is_string(v) ? json_string_length(v) : 0;
}

bool jv_int(const json_t *obj, const char *key, long long *ret)
{
	json_t *v = jv_get(obj, key);

	if (!json_is_integer(v))
		return false;
	*ret = (long long)json_integer_value(v);
	return true;
}

size_t jv_size(const json_t *arr)
{
	return json_is_array(arr) ? json_array_size(arr) : 0;
}

bool jv_streq(const json_t *obj, const char *key, const char *want)
{
	const char *s = jv_str(obj, key);

	return s != NULL && strcmp(s, want) == 0;
}
