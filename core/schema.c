/*
 * schema: see schema.h. One recursive walk; the path is extended and popped around
 * each descent. Null members are treated as absent, as the API server prunes them.
 */
#include "schema.h"

#include <stdio.h>
#include <string.h>

#include "findings.h"

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	case JSON_NULL: return "null";
	}
	return "unknown";
}

static const char *schema_type_name(enum schema_type t)
{
	switch (t) {
	case SCHEMA_STRING: return "string";
	case SCHEMA_INT: return "integer";
	case SCHEMA_BOOL: return "boolean";
	case SCHEMA_OBJECT:
	case SCHEMA_STRMAP: return "object";
	case SCHEMA_ARRAY: return "array";
	case SCHEMA_ANY: break;
	}
	return "any";
}

void schema_quote(const char *s, size_t len, char *buf, size_t bufsz)
{
	size_t o = 0, max = 80;

	if (bufsz < 8) {
		if (bufsz)
			buf[0] = '\0';
		return;
	}
	buf[o++] = '"';
	for (size_t i = 0; i < len && o + 6 < bufsz; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= max) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(buf + o, bufsz - o, "\\x%02x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

static bool type_ok(enum schema_type t, const json_t *v)
{
	switch (t) {
	case SCHEMA_ANY: return true;
	case SCHEMA_STRING: return json_is_string(v);
	case SCHEMA_INT: return json_is_integer(v);
	case SCHEMA_BOOL: return json_is_boolean(v);
	case SCHEMA_OBJECT:
	case SCHEMA_STRMAP: return json_is_object(v);
	case SCHEMA_ARRAY: return json_is_array(v);
	}
	return false;
}

static void check_string(const struct schema_node *n, const json_t *v, struct path *p,
			 struct findings *fs)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	char q[128];

	/* hot path: most strings are valid, so quote only when reporting. A code point
	 * takes one to four bytes, so len bounds the count from both sides: only a string
	 * whose byte length leaves the answer open is counted. */
	if (((n->flags & SCHEMA_HAS_MAX) && (long long)len > n->max) ||
	    ((n->flags & SCHEMA_HAS_MIN) && (long long)(len / 4) < n->min)) {
		long long cps = (long long)pattern_codepoints(s, len);

		if ((n->flags & SCHEMA_HAS_MIN) && cps < n->min) {
			schema_quote(s, len, q, sizeof(q));
			findings_add(fs, n->rule, path_str(p), "Invalid value: %s: should be at least %lld chars long",
				     q, n->min);
			return;
		}
		if ((n->flags & SCHEMA_HAS_MAX) && cps > n->max) {
			findings_add(fs, n->rule, path_str(p), "Too long: may not be longer than %lld", n->max);
			return;
		}
	}
	if (n->enums != NULL) {
		char list[512];
		size_t o = 0;

		for (const char *const *e = n->enums; *e; e++)
			if (strcmp(*e, s) == 0 && strlen(*e) == len)
				return;
		list[0] = '\0';
		for (const char *const *e = n->enums; *e && o + 1 < sizeof(list); e++)
			o += (size_t)snprintf(list + o, sizeof(list) - o, "%s\"%s\"", o ? ", " : "", *e);
		schema_quote(s, len, q, sizeof(q));
		findings_add(fs, n->rule, path_str(p), "Unsupported value: %s: supported values: %s", q, list);
		return;
	}
	if (n->pattern != PAT_NONE && !pattern_match(n->pattern, s, len)) {
		schema_quote(s, len, q, sizeof(q));
		findings_add(fs, n->rule, path_str(p), "Invalid value: %s: should match '%s'", q,
			     pattern_source(n->pattern));
	}
}

static void check_int(const struct schema_node *n, const json_t *v, struct path *p, struct findings *fs)
{
	long long x = (long long)json_integer_value(v);

	if ((n->flags & SCHEMA_HAS_MIN) && x < n->min)
		findings_add(fs, n->rule, path_str(p), "Invalid value: %lld: should be greater than or equal to %lld",
			     x, n->min);
	else if ((n->flags & SCHEMA_HAS_MAX) && x > n->max)
		findings_add(fs, n->rule, path_str(p), "Invalid value: %lld: should be less than or equal to %lld",
			     x, n->max);
}

static bool count_ok(const struct schema_node *n, size_t count, struct path *p, struct findings *fs)
{
	if ((n->flags & SCHEMA_HAS_MIN) && (long long)count < n->min) {
		findings_add(fs, n->rule, path_str(p), "Invalid value: %zu: should have at least %lld items",
			     count, n->min);
		return false;
	}
	if ((n->flags & SCHEMA_HAS_MAX) && (long long)count > n->max) {
		findings_add(fs, n->rule, path_str(p), "Too many: %zu: must have at most %lld items", count,
			     n->max);
		return false;
	}
	return true;
}

/* fields of an object node whose members one walk collects; any further field of a
 * (so far hypothetical) larger node is looked up by name */
#define OBJECT_FIELDS_WALKED 64

static void report_unknown(const char *key, struct path *p, struct findings *fs)
{
	size_t m = path_key(p, key);

	findings_add(fs, "SCHEMA-UNKNOWN", path_str(p), "strict decoding error: unknown field \"%s\"", path_str(p));
	path_pop(p, m);
}

static void check_field(const struct schema_field *f, const json_t *fv, struct path *p, struct findings *fs)
{
	size_t m;

	if (fv == NULL || json_is_null(fv)) {
		if (f->flags & SCHEMA_REQUIRED) {
			m = path_key(p, f->name);
			findings_add(fs, f->req_rule ? f->req_rule : f->node->rule, path_str(p), "Required value");
			path_pop(p, m);
		}
		return;
	}
	m = path_key(p, f->name);
	schema_validate(f->node, fv, p, fs);
	path_pop(p, m);
}

static const struct schema_field *field_named(const struct schema_node *n, const char *key)
{
	for (const struct schema_field *f = n->fields; f && f->name; f++)
		if (f->name[0] == key[0] && strcmp(f->name, key) == 0)
			return f;
	return NULL;
}

/*
 * The fields in schema order, then the unknown members in the object's order. One walk
 * over the members finds each field's value: most fields of a node are absent from any
 * one object, and a lookup per field hashed every field's name.
 */
static void check_object(const struct schema_node *n, const json_t *v, struct path *p, struct findings *fs)
{
	const json_t *vals[OBJECT_FIELDS_WALKED];
	size_t nf = 0, unknown = 0;
	const char *key;
	json_t *member;

	for (const struct schema_field *f = n->fields; f && f->name; f++)
		nf++;
	memset(vals, 0, (nf < OBJECT_FIELDS_WALKED ? nf : OBJECT_FIELDS_WALKED) * sizeof(vals[0]));
	json_object_foreach((json_t *)v, key, member) {
		const struct schema_field *f = field_named(n, key);

		if (f == NULL)
			unknown++;
		else if (f - n->fields < OBJECT_FIELDS_WALKED)
			vals[f - n->fields] = member;
	}
	for (size_t i = 0; i < nf; i++)
		check_field(&n->fields[i], i < OBJECT_FIELDS_WALKED ? vals[i] : json_object_get(v, n->fields[i].name), p,
			    fs);
	if (unknown > 0)
		json_object_foreach((json_t *)v, key, member)
			if (field_named(n, key) == NULL)
				report_unknown(key, p, fs);
}

static bool same_key(const json_t *a, const json_t *b, const char *key)
{
	const json_t *ka = json_object_get(a, key), *kb = json_object_get(b, key);

	return json_is_string(ka) && json_is_string(kb) && json_equal(ka, kb);
}

static void check_array(const struct schema_node *n, const json_t *v, struct path *p, struct findings *fs)
{
	size_t count = json_array_size(v);

	if (!count_ok(n, count, p, fs))
		return;
	for (size_t i = 0; i < count; i++) {
		json_t *item = json_array_get(v, i);
		size_t m = path_idx(p, i);

		if (n->items)
			schema_validate(n->items, item, p, fs);
		/* duplicates: report the later item, once; quadratic but lists are capped small */
		if (n->list == SCHEMA_LIST_MAP && json_is_object(item)) {
			for (size_t j = 0; j < i; j++) {
				if (same_key(json_array_get(v, j), item, n->map_key)) {
					char q[128];
					const char *kv = json_string_value(json_object_get(item, n->map_key));

					schema_quote(kv, strlen(kv), q, sizeof(q));
					findings_add(fs, n->rule, path_str(p), "Duplicate value: {\"%s\":%s}",
						     n->map_key, q);
					break;
				}
			}
		} else if (n->list == SCHEMA_LIST_SET && json_is_string(item)) {
			for (size_t j = 0; j < i; j++) {
				if (json_equal(json_array_get(v, j), item)) {
					char q[128];

					schema_quote(json_string_value(item), json_string_length(item), q, sizeof(q));
					findings_add(fs, n->rule, path_str(p), "Duplicate value: %s", q);
					break;
				}
			}
		}
		path_pop(p, m);
	}
}

static void check_strmap(const struct schema_node *n, const json_t *v, struct path *p,
			 struct findings *fs)
{
	const char *key;
	json_t *member;

	if (!count_ok(n, json_object_size(v), p, fs))
		return;
	if (n->items == NULL)
		return;
	json_object_foreach((json_t *)v, key, member) {
		size_t m = path_key(p, key);

		if (!json_is_null(member))
			schema_validate(n->items, member, p, fs);
		path_pop(p, m);
	}
}

void schema_validate(const struct schema_node *n, const json_t *v, struct path *p, struct findings *fs)
{
	if (n == NULL || v == NULL)
		return;
	if (!type_ok(n->type, v)) {
		findings_add(fs, "SCHEMA-TYPE", path_str(p), "Invalid value: \"%s\": must be of type %s",
			     json_type_name(v), schema_type_name(n->type));
		return;
	}
	switch (n->type) {
	case SCHEMA_STRING: check_string(n, v, p, fs); break;
	case SCHEMA_INT: check_int(n, v, p, fs); break;
	case SCHEMA_OBJECT: check_object(n, v, p, fs); break;
	case SCHEMA_ARRAY: check_array(n, v, p, fs); break;
	case SCHEMA_STRMAP: check_strmap(n, v, p, fs); break;
	case SCHEMA_BOOL:
	case SCHEMA_ANY: break;
	}
}

/* ---- ObjectMeta, shared by every kind ---- */

static const struct schema_node str_any = { .type = SCHEMA_STRING, .rule = "SCHEMA-TYPE" };
static const struct schema_node int_any = { .type = SCHEMA_INT, .rule = "SCHEMA-TYPE" };
static const struct schema_node any = { .type = SCHEMA_ANY };
static const struct schema_node str_list = { .type = SCHEMA_ARRAY, .rule = "SCHEMA-TYPE", .items = &str_any };
static const struct schema_node str_map = { .type = SCHEMA_STRMAP, .rule = "SCHEMA-TYPE", .items = &str_any };
static const struct schema_node any_list = { .type = SCHEMA_ARRAY, .rule = "SCHEMA-TYPE", .items = &any };

static const struct schema_field meta_fields[] = {
	{ "name", &str_any, 0, NULL },
	{ "generateName", &str_any, 0, NULL },
	{ "namespace", &str_any, 0, NULL },
	{ "labels", &str_map, 0, NULL },
	{ "annotations", &str_map, 0, NULL },
	{ "uid", &str_any, 0, NULL },
	{ "resourceVersion", &str_any, 0, NULL },
	{ "generation", &int_any, 0, NULL },
	{ "creationTimestamp", &any, 0, NULL },
	{ "deletionTimestamp", &any, 0, NULL },
	{ "deletionGracePeriodSeconds", &int_any, 0, NULL },
	{ "finalizers", &str_list, 0, NULL },
	{ "ownerReferences", &any_list, 0, NULL },
	{ "managedFields", &any_list, 0, NULL },
	{ "selfLink", &str_any, 0, NULL },
	{ NULL, NULL, 0, NULL },
};

const struct schema_node schema_object_meta = {
	.type = SCHEMA_OBJECT, .rule = "SCHEMA-TYPE", .fields = meta_fields,
};
