/* ptab: see ptab.h. */
#include "ptab.h"

#include <stdlib.h>

#include "err.h"

#define PTAB_MIN_CAP 8

void ptab_init(struct ptab *t)
{
	t->v = NULL;
	t->cap = t->n = 0;
}

void ptab_release(struct ptab *t)
{
	free(t->v);
	ptab_init(t);
}

int ptab_reserve(struct ptab *t)
{
	size_t cap;
	struct ptab_slot *v;

	if ((t->n + 1) * 4 <= t->cap * 3)
		return 0;
	cap = t->cap ? t->cap * 2 : PTAB_MIN_CAP;
	if (cap < t->cap || cap > SIZE_MAX / sizeof(*v))
		return ERR_NOMEM;
	v = calloc(cap, sizeof(*v));
	if (v == NULL)
		return ERR_NOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		size_t j;

		if (t->v[i].p == NULL)
			continue;
		/* the entries are distinct, so the first empty slot is the place */
		for (j = (size_t)t->v[i].hash & (cap - 1); v[j].p != NULL; j = (j + 1) & (cap - 1))
			;
		v[j] = t->v[i];
	}
	free(t->v);
	t->v = v;
	t->cap = cap;
	return 0;
}
