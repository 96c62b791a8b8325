/* readerkey: see readerkey.h. */
#include "readerkey.h"

#include "err.h"

static void reader_free(void *r)
{
	store_reader_free(r);
}

int readerkey_init(struct readerkey *k)
{
	return pthread_key_create(&k->key, reader_free) == 0 ? 0 : ERR_NOMEM;
}

void readerkey_view(struct readerkey *k, struct store *s, struct view *ret)
{
	struct store_reader *r = pthread_getspecific(k->key);

	if (r == NULL && (r = store_reader_new(s)) != NULL && pthread_setspecific(k->key, r) != 0) {
		store_reader_free(r);
		r = NULL;
	}
	store_reader_view(r, ret);
}

void readerkey_reset(struct readerkey *k)
{
	store_reader_reset(pthread_getspecific(k->key));
}

void readerkey_fini(struct readerkey *k)
{
	store_reader_free(pthread_getspecific(k->key));
	pthread_setspecific(k->key, NULL);
	pthread_key_delete(k->key);
}
