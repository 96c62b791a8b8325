/* filesrc: the cluster view of `serve --state` (see filesrc.h). */
#include "filesrc.h"

#include <pthread.h>
#include <stdlib.h>

#include "jarena.h"
#include "readerkey.h"

/*
 * The store is loaded once and never written afterwards, so reviews read it at the
 * same time: acquire takes the read side of a rwlock (nothing takes the write side
 * today; a reload would). The store fills two caches lazily on reads (store.h,
 * store_set_lock): those fills take fill_lock.
 *
 * Each thread reads through its own store_reader (common/readerkey.h): the store may
 * keep its routes compact, and the reader parses those an evaluation reads.
 */
struct filesrc {
	struct store *s;
	size_t objects;
	pthread_rwlock_t lock;
	pthread_mutex_t fill_lock;
	struct readerkey readers;
};

static void fs_acquire(void *ctx, struct view *ret)
{
	struct filesrc *f = ctx;

	pthread_rwlock_rdlock(&f->lock);
	readerkey_view(&f->readers, f->s, ret);
}

static void fs_release(void *ctx)
{
	struct filesrc *f = ctx;

	readerkey_reset(&f->readers);
	pthread_rwlock_unlock(&f->lock);
}

static bool fs_ready(void *ctx)
{
	(void)ctx;
	return true;
}

static size_t fs_objects(void *ctx)
{
	return ((struct filesrc *)ctx)->objects;
}

static const struct viewsrc_ops filesrc_ops = {
	.acquire = fs_acquire,
	.release = fs_release,
	.ready = fs_ready,
	.objects = fs_objects,
};

/* the store keeps what a fill makes: never from a review's region (jarena.h) */
static void fill_lock(void *ud)
{
	pthread_mutex_lock(ud);
	jarena_suspend();
}

static void fill_unlock(void *ud)
{
	jarena_resume();
	pthread_mutex_unlock(ud);
}

struct filesrc *filesrc_new(struct store *s, size_t objects)
{
	struct filesrc *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	if (readerkey_init(&f->readers) != 0) {
		free(f);
		return NULL;
	}
	f->s = s;
	f->objects = objects;
	pthread_rwlock_init(&f->lock, NULL);
	pthread_mutex_init(&f->fill_lock, NULL);
	store_set_lock(s, fill_lock, fill_unlock, &f->fill_lock);
	return f;
}

void filesrc_viewsrc(struct filesrc *f, struct viewsrc *ret)
{
	ret->ops = &filesrc_ops;
	ret->ctx = f;
}

void filesrc_free(struct filesrc *f)
{
	if (f == NULL)
		return;
	readerkey_fini(&f->readers);
	store_free(f->s);
	pthread_rwlock_destroy(&f->lock);
	pthread_mutex_destroy(&f->fill_lock);
	free(f);
}
