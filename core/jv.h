/*
 * jv: typed, NULL-safe reads from jansson values. Every getter returns a borrowed
 * pointer (or NULL) when the value exists with the expected type, so rules never need
 * to check types the schema pass already reports. Pure.
 *
 * The getters are inline: the rules call them thousands of times per object, almost
 * always with a literal key, and inlined the key's length is a constant
 * (json_object_getn), so no call and no strlen is left but jansson's own lookup.
 */
#ifndef CORE_JV_H
#define CORE_JV_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* borrowed; NULL when obj is not an object or key is absent or null */
static inline json_t *jv_get(const json_t *obj, const char *key)
{
	json_t *v;

	if (obj == NULL || !json_is_object(obj))
		return NULL;
	v = json_object_getn(obj, key, strlen(key));
	return json_is_null(v) ? NULL : v;
}

/* v itself as a string, an integer, an array or an object (NULL / false otherwise):
 * for values already in hand (jv_pick's); the getters below apply them to a member */
static inline const char *jv_as_str(const json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static inline bool jv_as_int(const json_t *v, long long *ret)
{
	if (!json_is_integer(v))
		return false;
	*ret = (long long)json_integer_value(v);
	return true;
}

static inline json_t *jv_as_arr(const json_t *v)
{
	return json_is_array(v) ? (json_t *)v : NULL;
}

static inline json_t *jv_as_obj(const json_t *v)
{
	return json_is_object(v) ? (json_t *)v : NULL;
}

/* only if an object */
static inline json_t *jv_obj(const json_t *obj, const char *key)
{
	return jv_as_obj(jv_get(obj, key));
}

/* only if an array */
static inline json_t *jv_arr(const json_t *obj, const char *key)
{
	return jv_as_arr(jv_get(obj, key));
}

/* only if a string */
static inline const char *jv_str(const json_t *obj, const char *key)
{
	return jv_as_str(jv_get(obj, key));
}

/* length of the string member (0 when absent or not a string) */
static inline size_t jv_strlen(const json_t *obj, const char *key)
{
	json_t *v = jv_get(obj, key);

	return json_is_string(v) ? json_string_length(v) : 0;
}

/* true and *ret set when obj.key is a JSON integer */
static inline bool jv_int(const json_t *obj, const char *key, long long *ret)
{
	return jv_as_int(jv_get(obj, key), ret);
}

/* array size, 0 when not an array */
static inline size_t jv_size(const json_t *arr)
{
	return json_is_array(arr) ? json_array_size(arr) : 0;
}

static inline bool jv_streq(const json_t *obj, const char *key, const char *want)
{
	const char *s = jv_str(obj, key);

	return s != NULL && strcmp(s, want) == 0;
}

/*
 * Several members of one object at once: vals[i] = jv_get(obj, keys[i]) for i < n (keys
 * distinct). Where a rule reads several members of a small object (a backendRef, a
 * match, a filter), one walk over its members costs less than a hashed lookup per key;
 * a larger object is read by lookups. The values are borrowed, as jv_get's.
 */
void jv_pick(const json_t *obj, const char *const *keys, size_t n, json_t **vals);

#endif
