/*
 * path: builds field paths such as "spec.listeners[1].tls" while walking a document.
 * No allocation. A segment that would overflow the text's PATH_MAX_LEN bytes is
 * replaced by "...", and nothing more is shown until the path is popped back below
 * that point.
 * Usage: size_t m = path_key(p, "spec"); ...; path_pop(p, m);
 *
 * Lazy: path_key and path_idx only push a segment (a walk pushes one per member and
 * most paths are never read); path_str writes the segments pushed since it last ran.
 * So a key must stay valid, unchanged, until it is popped (keys are members of the
 * document being walked, or constants).
 */
#ifndef CORE_PATH_H
#define CORE_PATH_H

#include <stddef.h>
#include <stdint.h>

#define PATH_MAX_LEN 384
/* every segment but a key at the start takes a byte at least, so a path of more
 * segments than this is cut anyway */
#define PATH_MAX_SEGS PATH_MAX_LEN

struct path_seg {
	const char *key;    /* NULL: an index */
	size_t idx;
};

struct path {
	struct path_seg seg[PATH_MAX_SEGS];
	size_t n;           /* segments pushed (those beyond PATH_MAX_SEGS are not kept) */
	/* the text of the first `built` segments, written by path_str */
	char buf[PATH_MAX_LEN];
	size_t built, len;
	uint16_t end[PATH_MAX_SEGS]; /* len after each built segment */
	size_t cut_seg;     /* the segment the "..." replaces; SIZE_MAX while whole */
};

void path_init(struct path *p);
/* Append ".key" ("key" at the root); returns the mark to pop back to. */
size_t path_key(struct path *p, const char *key);
/* Append "[i]"; returns the mark to pop back to. */
size_t path_idx(struct path *p, size_t i);
void path_pop(struct path *p, size_t mark);
/* The current path; "" at the root. Borrowed, valid until the next change. (It
 * writes the text into p's buffer, a cache: p is const for the caller.) */
const char *path_str(const struct path *p);

#endif
