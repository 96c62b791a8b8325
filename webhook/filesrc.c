/* filesrc: the cluster view of `serve --state` (see filesrc.h). */
#include "filesrc.h"

#include <pthread.h>
#include <stdlib.h>

struct filesrc {
	struct store *s;
	size_t objects;
	pthread_mutex_t lock;
};

static void fs_acquire(void *ctx, struct view *ret)
{
	struct filesrc *f = ctx;

	pthread_mutex_lock(&f->lock);
	store_view(f->s, ret);
}

static void fs_release(void *ctx)
{
	struct filesrc *f = ctx;

	pthread_mutex_unlock(&f->lock);
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

struct filesrc *filesrc_new(struct store *s, size_t objects)
{
	struct filesrc *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->s = s;
	f->objects = objects;
	pthread_mutex_init(&f->lock, NULL);
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
	store_free(f->s);
	pthread_mutex_destroy(&f->lock);
	free(f);
}
