/* jarena: see jarena.h. */
#include "jarena.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "sanitize.h"

#if GW_ASAN
#include <sanitizer/asan_interface.h>
#define JARENA_ASAN 1
#else
#define JARENA_ASAN 0
#define ASAN_POISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#endif

#define ALIGN 16
#define CHUNK_FIRST (64 * 1024)
#define CHUNK_MAX (4 * 1024 * 1024)
/* a thread keeps at most one chunk of at most this size between regions */
#define CHUNK_KEEP (1024 * 1024)
/* with AddressSanitizer each block carries its size, so a freed block is poisoned */
#define HEADER (JARENA_ASAN ? ALIGN : 0)

struct chunk {
	struct chunk *next;
	size_t size; /* bytes of data */
	_Alignas(ALIGN) char data[];
};

struct region {
	struct chunk *chunks; /* newest first; p and end point into the newest */
	char *p, *end;
	size_t live;          /* blocks handed out and not freed yet */
	int suspended;        /* jarena_suspend depth */
	bool open;
	bool keyed;           /* registered for the thread-exit cleanup */
};

static _Thread_local struct region tls;
static pthread_key_t exit_key;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static atomic_bool installed;

/* chunks of regions closed with values alive: never reused nor released */
static pthread_mutex_t abandoned_mu = PTHREAD_MUTEX_INITIALIZER;
static struct chunk *abandoned;
static atomic_bool any_abandoned;

/* the keep area (jarena_keep_init): [base, base + size), bump pointer at used */
#define KEEP_RESERVE ((size_t)16 << 30)
static char *keep_base;
static size_t keep_size;
static atomic_size_t keep_used;
static _Thread_local bool keeping;

static bool in_keep(const void *p)
{
	/* keep_base is NULL until the keep area is made: NULL + 0 is undefined in C */
	return keep_base != NULL && (const char *)p >= keep_base && (const char *)p < keep_base + keep_size;
}

static void *keep_take(size_t n)
{
	size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	size_t at;

	if (need == 0)
		need = ALIGN;
	at = atomic_fetch_add_explicit(&keep_used, need, memory_order_relaxed);
	if (at + need > keep_size)
		return malloc(n); /* full: the rest comes from the heap */
	return keep_base + at;
}

static bool in_chunks(const struct chunk *c, const void *p)
{
	for (; c != NULL; c = c->next)
		if ((const char *)p >= c->data && (const char *)p < c->data + c->size)
			return true;
	return false;
}

static void chunks_free(struct chunk *c)
{
	while (c != NULL) {
		struct chunk *next = c->next;

		ASAN_UNPOISON_MEMORY_REGION(c->data, c->size);
		free(c);
		c = next;
	}
}

static int grow(struct region *r, size_t n)
{
	size_t size = r->chunks != NULL ? r->chunks->size * 2 : CHUNK_FIRST;
	struct chunk *c;

	if (size > CHUNK_MAX)
		size = CHUNK_MAX;
	if (size < n)
		size = n;
	c = malloc(sizeof(*c) + size);
	if (c == NULL)
		return -1;
	c->size = size;
	c->next = r->chunks;
	ASAN_POISON_MEMORY_REGION(c->data, size);
	r->chunks = c;
	r->p = c->data;
	r->end = c->data + size;
	return 0;
}

/* every other allocation: kept, outside a region, big, a new chunk, or under ASan */
static __attribute__((noinline)) void *ja_malloc_slow(size_t n)
{
	struct region *r = &tls;
	size_t need = ((n + ALIGN - 1) & ~(size_t)(ALIGN - 1)) + HEADER;
	char *q;

	if (keeping)
		return keep_base != NULL ? keep_take(n) : malloc(n);
	if (!r->open || r->suspended > 0 || n > JARENA_BIG)
		return malloc(n);
	if (need == 0)
		need = ALIGN;
	if ((size_t)(r->end - r->p) < need && grow(r, need) != 0)
		return NULL;
	q = r->p;
	r->p += need;
	r->live++;
	ASAN_UNPOISON_MEMORY_REGION(q, need);
#if JARENA_ASAN
	*(size_t *)q = need;
	ASAN_POISON_MEMORY_REGION(q, HEADER);
	q += HEADER;
#endif
	return q;
}

static void *ja_malloc(size_t n)
{
	struct region *r = &tls;
	size_t need = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);

	/* most allocations in a review: a small block the open region's newest chunk has
	 * room for, cut with no call (n - 1 sends n = 0 to the slow path too) */
	if (!JARENA_ASAN && !keeping && r->open && r->suspended == 0 && n - 1 < JARENA_BIG &&
	    need <= (size_t)(r->end - r->p)) {
		char *q = r->p;

		r->p += need;
		r->live++;
		return q;
	}
	return ja_malloc_slow(n);
}

/* p, a block of r's open region, is freed: counted, and poisoned under ASan */
static inline void region_block_freed(struct region *r, void *p)
{
	r->live--;
#if JARENA_ASAN
	{
		char *b = (char *)p - HEADER;
		size_t need;

		ASAN_UNPOISON_MEMORY_REGION(b, HEADER);
		need = *(size_t *)b;
		ASAN_POISON_MEMORY_REGION(b, need);
	}
#else
	(void)p;
#endif
}

/* every other free: kept, an older chunk's, abandoned, or malloc's */
static __attribute__((noinline)) void ja_free_slow(void *p)
{
	struct region *r = &tls;

	if (p == NULL || in_keep(p))
		return;
	if (r->chunks != NULL && in_chunks(r->chunks, p)) {
		if (!r->open) {
			/* memory of a closed region may already serve another value: stop before
			 * anything is corrupted */
			fputs("jarena: a value was freed after its region closed\n", stderr);
			abort();
		}
		region_block_freed(r, p);
		return;
	}
	if (atomic_load_explicit(&any_abandoned, memory_order_acquire)) {
		bool kept;

		pthread_mutex_lock(&abandoned_mu);
		kept = in_chunks(abandoned, p);
		pthread_mutex_unlock(&abandoned_mu);
		if (kept)
			return;
	}
	free(p);
}

static void ja_free(void *p)
{
	struct region *r = &tls;

	/* most frees in a review are of a block of its region's newest chunk: no call */
	if (r->open && r->chunks != NULL && (char *)p >= r->chunks->data && (char *)p < r->p)
		region_block_freed(r, p);
	else
		ja_free_slow(p);
}

static void thread_exit(void *arg)
{
	struct region *r = arg;

	/* a thread that exits inside a region leaves its values to nobody */
	chunks_free(r->chunks);
	r->chunks = NULL;
	r->p = r->end = NULL;
	r->open = false;
}

static void install(void)
{
	if (pthread_key_create(&exit_key, thread_exit) != 0)
		return;
	json_set_alloc_funcs(ja_malloc, ja_free);
	atomic_store(&installed, true);
}

void jarena_install(void)
{
	pthread_once(&install_once, install);
}

int jarena_open(void)
{
	struct region *r = &tls;

	if (!atomic_load_explicit(&installed, memory_order_relaxed) || r->open)
		return -1;
	if (!r->keyed) {
		if (pthread_setspecific(exit_key, r) != 0)
			return -1;
		r->keyed = true;
	}
	r->open = true;
	r->suspended = 0;
	r->live = 0;
	return 0;
}

size_t jarena_close(void)
{
	struct region *r = &tls;
	size_t live = r->live;

	if (!r->open)
		return 0;
	r->open = false;
	r->live = 0;
	if (live > 0) {
		struct chunk *last = r->chunks;

		if (JARENA_ASAN) {
			/* the sanitizer builds' leak check for regions: the tests must see it */
			fprintf(stderr, "jarena: a region closed with %zu values alive\n", live);
			abort();
		}

		while (last != NULL && last->next != NULL)
			last = last->next;
		if (last != NULL) {
			pthread_mutex_lock(&abandoned_mu);
			last->next = abandoned;
			abandoned = r->chunks;
			atomic_store_explicit(&any_abandoned, true, memory_order_release);
			pthread_mutex_unlock(&abandoned_mu);
		}
		r->chunks = NULL;
		r->p = r->end = NULL;
		return live;
	}
	/* keep the newest (largest) chunk for the next region unless it is big */
	if (r->chunks != NULL) {
		struct chunk *keep = r->chunks;

		chunks_free(keep->next);
		keep->next = NULL;
		if (keep->size > CHUNK_KEEP) {
			chunks_free(keep);
			r->chunks = NULL;
			r->p = r->end = NULL;
		} else {
			ASAN_POISON_MEMORY_REGION(keep->data, keep->size);
			r->p = keep->data;
			r->end = keep->data + keep->size;
		}
	}
	return 0;
}

void jarena_suspend(void)
{
	if (tls.open)
		tls.suspended++;
}

void jarena_resume(void)
{
	if (tls.open && tls.suspended > 0)
		tls.suspended--;
}

void jarena_keep_init(void)
{
	void *p;

	jarena_install();
	if (JARENA_ASAN || keep_base != NULL || !atomic_load(&installed))
		return;
	p = mmap(NULL, KEEP_RESERVE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return;
	/* huge pages where the system allows them: one fault per 2 MiB, not per 4 KiB */
	(void)madvise(p, KEEP_RESERVE, MADV_HUGEPAGE);
	keep_base = p;
	keep_size = KEEP_RESERVE;
}

void jarena_keep_begin(void)
{
	keeping = true;
}

void jarena_keep_end(void)
{
	keeping = false;
}

void *jarena_keep_alloc(size_t n)
{
	return keep_base != NULL ? keep_take(n) : malloc(n);
}

void jarena_keep_free(void *p)
{
	if (!in_keep(p))
		free(p);
}

size_t jarena_keep_used(void)
{
	size_t used = atomic_load(&keep_used);

	return used < keep_size ? used : keep_size;
}

void jarena_keep_release(void)
{
	if (keep_base == NULL)
		return;
	munmap(keep_base, keep_size);
	keep_base = NULL;
	keep_size = 0;
	atomic_store(&keep_used, 0);
}

void jarena_free(void *p)
{
	json_free_t f;

	json_get_alloc_funcs(NULL, &f);
	f(p);
}

char *jarena_dumps(const json_t *v, size_t flags)
{
	size_t n = json_dumpb(v, NULL, 0, flags);
	char *s;

	if (n == 0)
		return NULL;
	s = malloc(n + 1);
	if (s == NULL)
		return NULL;
	if (json_dumpb(v, s, n, flags) != n) {
		free(s);
		return NULL;
	}
	s[n] = '\0';
	return s;
}
