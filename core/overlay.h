/*
 * overlay: a struct view that is another view plus one object, as the cluster will be
 * if the object being admitted is stored. The object replaces the base's object with
 * the same kind, namespace and name (an UPDATE) or joins it (a CREATE). The webhook
 * evaluates each request through one, so the cluster view itself is never modified
 * for a request that may be denied. Pure.
 *
 * Lists that hold the object are copied once per call into arrays the overlay owns
 * (O(result)); lists that do not are the base's own arrays. Everything returned is
 * valid until overlay_release. When a copy cannot be allocated the list is answered
 * from the base alone (and overlay.nomem is set, so the caller can tell).
 */
#ifndef CORE_OVERLAY_H
#define CORE_OVERLAY_H

#include <jansson.h>
#include <stdbool.h>

#include "kind.h"
#include "view.h"

struct overlay {
	const struct view *base;  /* borrowed */
	enum kind kind;
	const json_t *obj;        /* borrowed; must carry metadata.namespace if namespaced */
	const char *ns, *name;    /* of obj; ns is "" for cluster-scoped kinds */
	const json_t ***copies;   /* arrays handed out, freed at release */
	size_t ncopies, capcopies;
	bool nomem;
};

void overlay_init(struct overlay *o, const struct view *base, enum kind k, const json_t *obj);
void overlay_view(struct overlay *o, struct view *ret);
void overlay_release(struct overlay *o);

#endif
