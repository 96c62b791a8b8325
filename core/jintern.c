/* jintern: hash-consing of JSON subtrees (see jintern.h). */
#include "jintern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

/*
 * Canonical keys. A leaf's key is its type and value. A container's children are
 * canonical before the container is looked up, so two containers are equal exactly
 * when they have the same type and the same canonical children (with the same member
 * names, in the same order): the key lists the children's addresses, never their
 * text. Keys are built in a growable buffer.
 */
struct kbuf {
	char *p;
	size_t len, cap;
	bool nomem;
};

static void kb_put(struct kbuf *b, const char *s, size_t n)
{
	if (b->nomem)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		char *np;

		while (b->len + n + 1 > cap)
			cap *= 2;
		np = realloc(b->p, cap);
		if (np == NULL) {
			b->nomem = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void kb_ptr(struct kbuf *b, const void *p)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%p,", p);

	kb_put(b, tmp, (size_t)n);
}

void jintern_init(struct jintern *t)
{
	hmap_init(&t->map);
	t->shared = 0;
}

static void drop(void *v)
{
	json_decref(v);
}

void jintern_release(struct jintern *t)
{
	hmap_release(&t->map, drop);
}

static json_t *canon(struct jintern *t, json_t *v, struct kbuf *kb, int *rc);

/* Replace each child of container v by its canonical node. */
static int intern_members(struct jintern *t, json_t *v, struct kbuf *kb)
{
	int rc = 0;

	if (json_is_object(v)) {
		const char *k;
		json_t *c;

		json_object_foreach(v, k, c) {
			json_t *cc = canon(t, c, kb, &rc);

			if (cc == NULL) {
				if (rc != 0)
					return rc;
				continue;
			}
			if (cc == c)
				json_decref(cc);
			else if (json_object_set_new(v, k, cc) != 0) /* existing key: replaced in place */
				return ERR_NOMEM;
		}
	} else if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++) {
			json_t *c = json_array_get(v, i);
			json_t *cc = canon(t, c, kb, &rc);

			if (cc == NULL) {
				if (rc != 0)
					return rc;
				continue;
			}
			if (cc == c)
				json_decref(cc);
			else if (json_array_set_new(v, i, cc) != 0)
				return ERR_NOMEM;
		}
	}
	return 0;
}

/* Build v's key into kb (children already canonical). false: not interned. */
static bool make_key(const json_t *v, struct kbuf *kb)
{
	char tmp[64];
	int n;

	kb->len = 0;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *c;

		kb_put(kb, "{", 1);
		json_object_foreach((json_t *)v, k, c) {
			size_t kl = strlen(k);

			n = snprintf(tmp, sizeof(tmp), "%zu:", kl);
			kb_put(kb, tmp, (size_t)n);
			kb_put(kb, k, kl);
			kb_ptr(kb, c);
		}
		break;
	}
	case JSON_ARRAY:
		kb_put(kb, "[", 1);
		for (size_t i = 0; i < json_array_size(v); i++)
			kb_ptr(kb, json_array_get(v, i));
		break;
	case JSON_STRING: {
		const char *s = json_string_value(v);
		size_t len = json_string_length(v);

		if (strlen(s) != len)
			return false; /* an embedded NUL: not representable as a key */
		kb_put(kb, "s", 1);
		kb_put(kb, s, len);
		break;
	}
	case JSON_INTEGER:
		n = snprintf(tmp, sizeof(tmp), "i%" JSON_INTEGER_FORMAT, json_integer_value(v));
		kb_put(kb, tmp, (size_t)n);
		break;
	case JSON_REAL:
		n = snprintf(tmp, sizeof(tmp), "r%.17g", json_real_value(v));
		kb_put(kb, tmp, (size_t)n);
		break;
	default:
		return false; /* true, false and null are jansson singletons already */
	}
	return !kb->nomem;
}

/* A new reference to the canonical node equal to v; NULL when v is not interned
 * (then *rc says whether memory ran out). */
static json_t *canon(struct jintern *t, json_t *v, struct kbuf *kb, int *rc)
{
	json_t *found;

	if ((json_is_object(v) || json_is_array(v)) && (*rc = intern_members(t, v, kb)) != 0)
		return NULL;
	if (!make_key(v, kb)) {
		if (kb->nomem)
			*rc = ERR_NOMEM;
		return NULL;
	}
	found = hmap_get(&t->map, kb->p);
	if (found != NULL) {
		t->shared++;
		return json_incref(found);
	}
	if (hmap_put(&t->map, kb->p, json_incref(v), NULL) != 0) {
		json_decref(v);
		*rc = ERR_NOMEM;
		return NULL;
	}
	return json_incref(v);
}

int jintern_children(struct jintern *t, json_t *doc)
{
	struct kbuf kb = { NULL, 0, 0, false };
	int rc = intern_members(t, doc, &kb);

	free(kb.p);
	return rc;
}
