/*
 * filesrc: a struct viewsrc over a store loaded from files (`serve --state`): ready
 * at once, never changes, read by any number of evaluations at once (the store's
 * lazy fills are serialised through store_set_lock).
 */
#ifndef WEBHOOK_FILESRC_H
#define WEBHOOK_FILESRC_H

#include "store.h"
#include "viewsrc.h"

struct filesrc;

/* Takes s (freed by filesrc_free; it may keep compact routes, store.h). NULL when
 * out of memory. filesrc_free: every other thread that acquired must have ended. */
struct filesrc *filesrc_new(struct store *s, size_t objects);
void filesrc_viewsrc(struct filesrc *f, struct viewsrc *ret);
void filesrc_free(struct filesrc *f);

#endif
