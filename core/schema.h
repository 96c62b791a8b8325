/*
 * schema: a table-driven structural validator, the C equivalent of the CRDs' OpenAPI
 * schema: JSON types, unknown fields (strict decoding), required fields, string lengths
 * (in code points), patterns, enums, integer ranges, item counts, and list-map/list-set
 * duplicates. Each node names the rule id its violations are reported under; type
 * mismatches are SCHEMA-TYPE and unknown fields SCHEMA-UNKNOWN. Messages follow the API
 * server's wording ("Required value", "Too many: 65: must have at most 64 items", ...).
 *
 * Tables are constant data (schema_gateway.c, schema_route.c). Pure.
 */
#ifndef CORE_SCHEMA_H
#define CORE_SCHEMA_H

#include <jansson.h>

#include "path.h"
#include "pattern.h"

struct findings;

enum schema_type {
	SCHEMA_ANY = 0,  /* anything goes, not descended into (status, managedFields) */
	SCHEMA_STRING,
	SCHEMA_INT,
	SCHEMA_BOOL,
	SCHEMA_OBJECT,   /* fields[] lists every allowed key */
	SCHEMA_ARRAY,    /* items describes each element */
	SCHEMA_STRMAP,   /* object with arbitrary keys; items describes each value */
};

enum schema_list {
	SCHEMA_LIST_ATOMIC = 0,
	SCHEMA_LIST_SET,  /* x-kubernetes-list-type: set (exact duplicates rejected) */
	SCHEMA_LIST_MAP,  /* x-kubernetes-list-type: map, keyed by map_key */
};

/* flags */
#define SCHEMA_HAS_MIN 0x1u /* min applies (length, count or value) */
#define SCHEMA_HAS_MAX 0x2u /* max applies */

struct schema_field;

struct schema_node {
	enum schema_type type;
	const char *rule;         /* rule id for constraint violations of this node */
	unsigned flags;
	long long min, max;       /* string: code points; array/strmap: items; int: value */
	enum pattern_id pattern;  /* strings */
	const char *const *enums; /* strings: NULL-terminated list of allowed values */
	const struct schema_field *fields; /* SCHEMA_OBJECT: terminated by { NULL } */
	const struct schema_node *items;   /* SCHEMA_ARRAY / SCHEMA_STRMAP element */
	enum schema_list list;
	const char *map_key;      /* SCHEMA_LIST_MAP key field */
};

#define SCHEMA_REQUIRED 0x1u

struct schema_field {
	const char *name;
	const struct schema_node *node;
	unsigned flags;           /* SCHEMA_REQUIRED */
	const char *req_rule;     /* rule id for "Required value" (default: node->rule) */
};

/* Validate v against node, reporting at path p (restored on return). */
void schema_validate(const struct schema_node *node, const json_t *v, struct path *p,
		     struct findings *fs);

/* Quote a user value for a message: at most 80 bytes, control characters escaped,
 * wrapped in double quotes. Writes a NUL-terminated string into buf. */
void schema_quote(const char *s, size_t len, char *buf, size_t bufsz);

/* The shared ObjectMeta node (metadata of every kind). */
extern const struct schema_node schema_object_meta;

#endif
