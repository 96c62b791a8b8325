/* jintern: hash-consing of JSON subtrees (see jintern.h). */
#include "jintern.h"

#include <stdbool.h>
#include <string.h>

#include "err.h"

/*
 * Canonical nodes. A container's children are made canonical before the container is
 * looked up, so two containers are equal exactly when they have the same type and the
 * same canonical children (the same nodes, under the same member names, in the same
 * order): hashing and comparing look at the children's addresses, never their text.
 */

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * FNV_PRIME;
	return h;
}

static uint64_t mix_ptr(uint64_t h, const void *p)
{
	uintptr_t u = (uintptr_t)p;

	return mix(h, &u, sizeof(u));
}

/* false: v is not interned (true, false and null are jansson's singletons already) */
static bool node_hash(const json_t *v, uint64_t *ret)
{
	uint64_t h = FNV_OFFSET;
	int type = (int)json_typeof(v);

	h = mix(h, &type, sizeof(type));
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *c;

		json_object_foreach((json_t *)v, k, c) {
			h = mix(h, k, strlen(k) + 1);
			h = mix_ptr(h, c);
		}
		break;
	}
	case JSON_ARRAY:
		for (size_t i = 0; i < json_array_size(v); i++)
			h = mix_ptr(h, json_array_get(v, i));
		break;
	case JSON_STRING:
		h = mix(h, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER: {
		json_int_t i = json_integer_value(v);

		h = mix(h, &i, sizeof(i));
		break;
	}
	case JSON_REAL: {
		double d = json_real_value(v);

		h = mix(h, &d, sizeof(d));
		break;
	}
	default:
		return false;
	}
	*ret = h;
	return true;
}

/* a and b: same type and value, children compared by address */
static bool node_equal(const json_t *a, const json_t *b)
{
	if (json_typeof(a) != json_typeof(b))
		return false;
	switch (json_typeof(a)) {
	case JSON_OBJECT: {
		void *ia = json_object_iter((json_t *)a), *ib = json_object_iter((json_t *)b);

		if (json_object_size(a) != json_object_size(b))
			return false;
		for (; ia != NULL && ib != NULL;
		     ia = json_object_iter_next((json_t *)a, ia), ib = json_object_iter_next((json_t *)b, ib))
			if (json_object_iter_value(ia) != json_object_iter_value(ib) ||
			    strcmp(json_object_iter_key(ia), json_object_iter_key(ib)) != 0)
				return false;
		return ia == NULL && ib == NULL;
	}
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (json_array_get(a, i) != json_array_get(b, i))
				return false;
		return true;
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
	case JSON_INTEGER:
		return json_integer_value(a) == json_integer_value(b);
	case JSON_REAL: {
		double x = json_real_value(a), y = json_real_value(b);

		return memcmp(&x, &y, sizeof(x)) == 0;
	}
	default:
		return a == b;
	}
}

void jintern_init(struct jintern *t)
{
	ptab_init(&t->tab);
	t->shared = 0;
}

void jintern_release(struct jintern *t)
{
	for (size_t i = 0; i < t->tab.cap; i++)
		json_decref(t->tab.v[i].p);
	ptab_release(&t->tab);
	jintern_init(t);
}

static json_t *canon(struct jintern *t, json_t *v, int *rc);

/* The canonical node to put in place of child c (a new reference), or NULL when c
 * stays: it is canonical itself, it is not interned, or *rc reports no memory. */
static json_t *replacement(struct jintern *t, json_t *c, int *rc)
{
	json_t *cc = canon(t, c, rc);

	if (cc == c) {
		json_decref(cc);
		return NULL;
	}
	return cc;
}

/* Replace each child of container v by its canonical node. */
static int intern_members(struct jintern *t, json_t *v)
{
	int rc = 0;

	if (json_is_object(v)) {
		const char *k;
		json_t *c, *cc;

		json_object_foreach(v, k, c) {
			if ((cc = replacement(t, c, &rc)) != NULL && json_object_set_new(v, k, cc) != 0)
				return ERR_NOMEM; /* an existing key: replaced in place */
			if (rc != 0)
				return rc;
		}
	} else if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			json_t *cc = replacement(t, json_array_get(v, i), &rc);

			if (cc != NULL && json_array_set_new(v, i, cc) != 0)
				return ERR_NOMEM;
			if (rc != 0)
				return rc;
		}
	}
	return 0;
}

/* A new reference to the canonical node equal to v; NULL when v is not interned
 * (then *rc says whether memory ran out). */
static json_t *canon(struct jintern *t, json_t *v, int *rc)
{
	uint64_t h;
	size_t i;

	if ((json_is_object(v) || json_is_array(v)) && (*rc = intern_members(t, v)) != 0)
		return NULL;
	if (!node_hash(v, &h))
		return NULL;
	if (ptab_reserve(&t->tab) != 0) {
		*rc = ERR_NOMEM;
		return NULL;
	}
	for (i = ptab_home(&t->tab, h); t->tab.v[i].p != NULL; i = ptab_next(&t->tab, i)) {
		if (t->tab.v[i].hash == h && node_equal(t->tab.v[i].p, v)) {
			t->shared++;
			return json_incref(t->tab.v[i].p);
		}
	}
	t->tab.v[i] = (struct ptab_slot){ h, json_incref(v) };
	t->tab.n++;
	return json_incref(v);
}

int jintern_children(struct jintern *t, json_t *doc)
{
	return intern_members(t, doc);
}
