/*
 * hmap: see hmap.h.
 *
 * Open addressing with linear probing: one flat array, so a lookup touches one or
 * two cache lines instead of chasing a chain. Linear probing needs well-spread low
 * bits, also for keys that differ only at the end ("ns/route-1", "ns/route-2"), so
 * the word-wise hash ends with the murmur3 finaliser. Deletion shifts
 * the rest of the cluster back (Knuth 6.4 algorithm R) rather than leaving
 * tombstones, so a map that sees many deletes never degrades and never needs a
 * rehash to clean up.
 */
#include "hmap.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

#define HMAP_MIN_CAP 16

/* hmap.h. 8 bytes at a time: keys here are 10 to 200 bytes ("ns/name", canonical match
 * keys), where a byte-wise FNV loop is bound by its multiply chain. */
uint64_t hmap_hash(const char *s)
{
	size_t len = strlen(s);
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;

	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s, len);
	h = (h ^ w) * 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

void hmap_init(struct hmap *m)
{
	m->v = NULL;
	m->cap = 0;
	m->n = 0;
}

void hmap_release(struct hmap *m, void (*free_val)(void *val))
{
	for (size_t i = 0; i < m->cap; i++) {
		if (m->v[i].key == NULL)
			continue;
		if (free_val)
			free_val(m->v[i].val);
		free(m->v[i].key);
	}
	free(m->v);
	hmap_init(m);
}

/* The slot holding key, or the empty slot where it would go. cap must be > 0. */
static size_t find_slot(const struct hmap *m, const char *key, uint64_t h)
{
	size_t mask = m->cap - 1;
	size_t i = (size_t)h & mask;

	while (m->v[i].key != NULL) {
		if (m->v[i].hash == h && strcmp(m->v[i].key, key) == 0)
			return i;
		i = (i + 1) & mask;
	}
	return i;
}

static int grow(struct hmap *m)
{
	size_t ncap = m->cap ? m->cap * 2 : HMAP_MIN_CAP;
	struct hmap_entry *nv;

	if (ncap < m->cap || ncap > SIZE_MAX / sizeof(*nv))
		return ERR_NOMEM;
	nv = calloc(ncap, sizeof(*nv));
	if (nv == NULL)
		return ERR_NOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		size_t j;

		if (m->v[i].key == NULL)
			continue;
		/* keys are unique, so the first empty slot is the place */
		j = (size_t)m->v[i].hash & (ncap - 1);
		while (nv[j].key != NULL)
			j = (j + 1) & (ncap - 1);
		nv[j] = m->v[i];
	}
	free(m->v);
	m->v = nv;
	m->cap = ncap;
	return 0;
}

int hmap_put(struct hmap *m, const char *key, void *val, void **ret_old)
{
	uint64_t h = hmap_hash(key);
	size_t i;
	char *copy;

	if (m->cap > 0) {
		i = find_slot(m, key, h);
		if (m->v[i].key != NULL) {
			if (ret_old)
				*ret_old = m->v[i].val;
			m->v[i].val = val;
			return 0;
		}
	}
	/* n + 1 > 0.7 * cap, in integers */
	if ((m->n + 1) * 10 > m->cap * 7) {
		int r = grow(m);

		if (r < 0)
			return r;
	}
	copy = strdup(key);
	if (copy == NULL)
		return ERR_NOMEM;
	i = find_slot(m, key, h);
	m->v[i].key = copy;
	m->v[i].val = val;
	m->v[i].hash = h;
	m->n++;
	if (ret_old)
		*ret_old = NULL;
	return 0;
}

const char *hmap_intern(struct hmap *m, const char *key)
{
	uint64_t h = hmap_hash(key);
	size_t i;
	char *copy;

	if (m->cap > 0) {
		i = find_slot(m, key, h);
		if (m->v[i].key != NULL)
			return m->v[i].key;
	}
	if ((m->n + 1) * 10 > m->cap * 7 && grow(m) < 0)
		return NULL;
	copy = strdup(key);
	if (copy == NULL)
		return NULL;
	i = find_slot(m, key, h);
	m->v[i] = (struct hmap_entry){ copy, NULL, h };
	m->n++;
	return copy;
}

void *hmap_get(const struct hmap *m, const char *key)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	i = find_slot(m, key, hmap_hash(key));
	return m->v[i].key ? m->v[i].val : NULL;
}

bool hmap_has(const struct hmap *m, const char *key)
{
	return m->cap > 0 && m->v[find_slot(m, key, hmap_hash(key))].key != NULL;
}

bool hmap_del(struct hmap *m, const char *key, void **ret_val)
{
	size_t mask, i, j;

	if (m->cap == 0)
		return false;
	mask = m->cap - 1;
	i = find_slot(m, key, hmap_hash(key));
	if (m->v[i].key == NULL)
		return false;
	if (ret_val)
		*ret_val = m->v[i].val;
	free(m->v[i].key);
	m->n--;
	/*
	 * Close the hole at i: walk the rest of the cluster and move back every entry
	 * whose home slot does not lie cyclically in (i, j], since a probe for it
	 * would otherwise stop at the hole.
	 */
	j = i;
	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (m->v[j].key == NULL)
			break;
		home = (size_t)m->v[j].hash & mask;
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		m->v[i] = m->v[j];
		i = j;
	}
	m->v[i].key = NULL;
	m->v[i].val = NULL;
	return true;
}

size_t hmap_count(const struct hmap *m)
{
	return m->n;
}

void hmap_iter_init(struct hmap_iter *it, const struct hmap *m)
{
	it->m = m;
	it->i = 0;
}

bool hmap_iter_next(struct hmap_iter *it, const char **ret_key, void **ret_val)
{
	const struct hmap *m = it->m;

	while (it->i < m->cap) {
		const struct hmap_entry *e = &m->v[it->i++];

		if (e->key == NULL)
			continue;
		if (ret_key)
			*ret_key = e->key;
		if (ret_val)
			*ret_val = e->val;
		return true;
	}
	return false;
}
