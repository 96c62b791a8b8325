/*
 * path: builds field paths such as "spec.listeners[1].tls" while walking a document.
 * Fixed-size buffer, no allocation. A segment that would overflow it is replaced by
 * "...", and nothing more is appended until the path is popped back below that point.
 * Usage: size_t m = path_key(p, "spec"); ...; path_pop(p, m);
 */
#ifndef CORE_PATH_H
#define CORE_PATH_H

#include <stddef.h>

#define PATH_MAX_LEN 384

struct path {
	char buf[PATH_MAX_LEN];
	size_t len;
	size_t cut_at;      /* where the path's "..." starts; SIZE_MAX while it is whole */
};

void path_init(struct path *p);
/* Append ".key" ("key" at the root); returns the mark to pop back to. */
size_t path_key(struct path *p, const char *key);
/* Append "[i]"; returns the mark to pop back to. */
size_t path_idx(struct path *p, size_t i);
void path_pop(struct path *p, size_t mark);
/* The current path; "" at the root. Borrowed, valid until the next change. */
const char *path_str(const struct path *p);

#endif
