/*
 * jintern: share equal subtrees between the JSON documents of a long-lived view.
 * Pure.
 *
 * A cluster view holds thousands of objects whose parts repeat: the same parentRefs,
 * the same rule matches, the same listener allowedRoutes, the same strings. jintern
 * replaces each child of a document by one canonical node equal to it (same type,
 * same value, same object member order), taking a reference on it, so equal parts are
 * stored once.
 *
 * Contract: the documents given to jintern_children, and every node the table hands
 * out, must never be modified afterwards (they are shared). Views never modify the
 * objects they hold (store.h); callers that do (the request being admitted) must not
 * be interned. jansson's reference counts are atomic, so shared nodes may be read and
 * released from several threads.
 *
 * The table holds one reference per canonical node; jintern_release drops them, and
 * the nodes live on in the documents that use them. Strings are compared by length
 * and bytes, so strings containing a NUL byte are interned too.
 */
#ifndef CORE_JINTERN_H
#define CORE_JINTERN_H

#include <jansson.h>
#include <stddef.h>

#include "ptab.h"

struct jintern {
	/* the canonical nodes (one reference each), hashed by type, value and (containers)
	 * children's addresses */
	struct ptab tab;
	size_t shared;      /* children replaced by an existing canonical node */
};

void jintern_init(struct jintern *t);
void jintern_release(struct jintern *t);

/*
 * Replace every member (object) or element (array) of doc, recursively, by the
 * canonical node equal to it; doc itself stays (it is the caller's). Returns 0 or
 * ERR_NOMEM (doc is then partly interned and still equal to what it was).
 */
int jintern_children(struct jintern *t, json_t *doc);

#endif
