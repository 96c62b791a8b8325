/*
 * jv: typed, NULL-safe reads from jansson values. Every getter returns a borrowed
 * pointer (or NULL) when the value exists with the expected type, so rules never need
 * to check types the schema pass already reports. Pure.
 */
#ifndef CORE_JV_H
#define CORE_JV_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* borrowed; NULL when obj is not an object or key is absent or null */
json_t *jv_get(const json_t *obj, const char *key);
json_t *jv_obj(const json_t *obj, const char *key);   /* only if an object */
json_t *jv_arr(const json_t *obj, const char *key);   /* only if an array */
const char *jv_str(const json_t *obj, const char *key); /* only if a string */
/* length of the string member (0 when absent or not a string) */
size_t jv_strlen(const json_t *obj, const char *key);
/* true and *ret set when obj.key is a JSON integer */
bool jv_int(const json_t *obj, const char *key, long long *ret);
/* array size, 0 when not an array */
size_t jv_size(const json_t *arr);
bool jv_streq(const json_t *obj, const char *key, const char *want);

#endif
