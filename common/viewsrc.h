/*
 * viewsrc: where a long-running command (serve, reconcile) gets its cluster view.
 * Files (`--state`) and the Kubernetes watch cache both implement it, so the
 * webhook's handlers never know which one they read.
 *
 * One evaluation: viewsrc_acquire fills a struct view that stays valid and unchanged
 * until viewsrc_release (the source holds its lock in between; struct view's
 * implementations may cache lazily, so acquire is exclusive). Keep the window
 * short: decode before acquiring, encode after releasing.
 */
#ifndef COMMON_VIEWSRC_H
#define COMMON_VIEWSRC_H

#include <stdbool.h>
#include <stddef.h>

#include "view.h"

struct viewsrc_ops {
	void (*acquire)(void *ctx, struct view *ret);
	void (*release)(void *ctx);
	/* ready and objects may be called without acquire, from any thread */
	/* true once the first full load or sync is done (/readyz) */
	bool (*ready)(void *ctx);
	/* objects held, for /metrics */
	size_t (*objects)(void *ctx);
};

struct viewsrc {
	const struct viewsrc_ops *ops;
	void *ctx;
};

static inline void viewsrc_acquire(const struct viewsrc *s, struct view *ret)
{
	s->ops->acquire(s->ctx, ret);
}

static inline void viewsrc_release(const struct viewsrc *s)
{
	s->ops->release(s->ctx);
}

static inline bool viewsrc_ready(const struct viewsrc *s)
{
	return s->ops->ready(s->ctx);
}

static inline size_t viewsrc_objects(const struct viewsrc *s)
{
	return s->ops->objects(s->ctx);
}

#endif
