/*
 * ptab: the slots of an open-addressing table of pointers with their hashes, for a
 * table whose keys are the pointed-to things themselves (jintern's canonical nodes,
 * conflict's claims). Pure.
 *
 * The owner probes: start at ptab_home(t, hash), step with ptab_next, stop at an empty
 * slot (p == NULL), and compares its own keys on a hash match; the hash sits in the
 * slot so a probe never touches the things it passes over. Before an insert it calls
 * ptab_reserve, which keeps the load at or below 3/4 (cap is 0 or a power of two).
 * Entries are never removed. ptab_release frees the slots, not what they point to.
 */
#ifndef CORE_PTAB_H
#define CORE_PTAB_H

#include <stddef.h>
#include <stdint.h>

struct ptab_slot {
	uint64_t hash;
	void *p;            /* NULL: empty */
};

struct ptab {
	struct ptab_slot *v; /* owned; NULL while cap == 0 */
	size_t cap, n;
};

void ptab_init(struct ptab *t);
void ptab_release(struct ptab *t);
/* Room for one more entry: 0, or ERR_NOMEM with the table unchanged. */
int ptab_reserve(struct ptab *t);

static inline size_t ptab_home(const struct ptab *t, uint64_t hash)
{
	return (size_t)hash & (t->cap - 1);
}

static inline size_t ptab_next(const struct ptab *t, size_t i)
{
	return (i + 1) & (t->cap - 1);
}

#endif
