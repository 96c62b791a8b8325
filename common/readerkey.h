/*
 * readerkey: one core/store reader per thread, for a struct viewsrc over a store
 * (webhook/filesrc, reconciler/kcache). Each thread's reader is made on its first
 * acquire, reset by every release (so what an evaluation parsed lives exactly as long
 * as the evaluation) and freed when the thread ends, by the key's destructor.
 */
#ifndef COMMON_READERKEY_H
#define COMMON_READERKEY_H

#include <pthread.h>

#include "store.h"
#include "view.h"

struct readerkey {
	pthread_key_t key;  /* this thread's struct store_reader */
};

/* 0, or ERR_NOMEM when no key can be made. */
int readerkey_init(struct readerkey *k);
/* The calling thread's reader view of s. A thread whose reader cannot be made gets
 * a view that has failed (view_failed), so its evaluation ends as out of memory
 * rather than on a view without routes. */
void readerkey_view(struct readerkey *k, struct store *s, struct view *ret);
/* The end of the calling thread's evaluation: drop what its reader parsed. */
void readerkey_reset(struct readerkey *k);
/* Free the calling thread's reader and the key. Every other thread that read has
 * ended (their readers went with them). */
void readerkey_fini(struct readerkey *k);

#endif
