/*
 * jarena: a per-thread region for the jansson values of one short evaluation (an
 * admission review). While a thread's region is open, every value jansson allocates on
 * that thread comes from a bump pointer in the region's chunks, its free is a counter
 * update, and closing the region recycles the chunks at once. A review builds and
 * drops a few thousand small values (the request tree, the rules' temporaries, the
 * routes a store reader parses); with glibc malloc that was a fifth of its
 * instructions.
 *
 * jarena_install replaces jansson's allocator for the whole process, once, before any
 * thread starts: on a thread without an open region, and for blocks larger than
 * JARENA_BIG, it calls malloc and free as before, so everything outside a region is
 * unchanged, and a value allocated by malloc may be freed inside a region (and the
 * other way round only if that value had been allocated by malloc).
 *
 * Rules while a region is open:
 * - a jansson value made on the thread must not outlive the region: it is dropped
 *   (json_decref) before jarena_close. Long-lived values (a store's lazy caches) are
 *   made between jarena_suspend and jarena_resume;
 * - text jansson produces (json_dumps) is jansson's memory: free it with jarena_free,
 *   or produce it with jarena_dumps (malloc'd, for plain free).
 *
 * jarena_close counts the region's values still alive. None is the rule; when some are
 * (a bug: someone kept a value), the region's memory is never reused or released, so
 * the survivors stay valid, and the count is returned for the caller to report. Builds
 * with AddressSanitizer abort there instead (the region's leak check), and poison each
 * freed block and a closed region's memory, so a value used after it is freed or after
 * its region ends is reported.
 */
#ifndef COMMON_JARENA_H
#define COMMON_JARENA_H

#include <jansson.h>
#include <stddef.h>

/* blocks above this size always come from malloc */
#define JARENA_BIG 4096

/* Make jansson allocate through jarena (idempotent). Call before threads start. */
void jarena_install(void);

/* Open the calling thread's region (its chunks are kept by the thread between
 * regions). No nesting: returns -1 when a region is already open or jarena_install
 * was not called, 0 otherwise. */
int jarena_open(void);
/* Close the calling thread's region; returns the number of values still alive in it
 * (0 when correct). A no-op returning 0 when none is open. */
size_t jarena_close(void);
/* Stop (resume) serving the open region: values made in between come from malloc and
 * may live on. Nests with itself. No-ops without an open region. */
void jarena_suspend(void);
void jarena_resume(void);

/*
 * The keep area: one process-wide reservation of address space for values that live
 * until the process ends (check keeps every applied route's pruned tree for the
 * cluster pass). Between jarena_keep_begin and jarena_keep_end every value jansson
 * allocates on the calling thread is cut from the area with a bump pointer: no block
 * header, and one value's nodes lie side by side, so a later walk of the value reads
 * a few adjacent cache lines instead of blocks scattered over the heap. Freeing a
 * block of the area does nothing (its memory is never reused); jarena_keep_release
 * unmaps the whole area at once.
 *
 * jarena_keep_init reserves the area (address space only: pages are made when first
 * touched) and installs jarena. Without an area (never reserved, the reservation
 * failed, released) or once it is full, values made while keeping come from malloc,
 * as in a suspended region: keeping is an optimisation, never an error, and values
 * made while keeping always outlive a region open on the thread. Builds with
 * AddressSanitizer never reserve (the sanitizer cannot see blocks inside the area),
 * so they check the plain path. Call jarena_keep_init before threads start and
 * jarena_keep_release after they end.
 */
void jarena_keep_init(void);
void jarena_keep_begin(void);
void jarena_keep_end(void);
/* n bytes of the keep area for data of the caller's own (check keeps each route as
 * text there), from malloc when there is no area or it is full; NULL when out of
 * memory. Release with jarena_keep_free, which frees only what malloc gave. */
void *jarena_keep_alloc(size_t n);
void jarena_keep_free(void *p);
/* The bytes cut from the area so far. */
size_t jarena_keep_used(void);
/* Unmap the area. Every value in it must be dead and no longer referenced. */
void jarena_keep_release(void);

/* jansson's current free function (the text of json_dumps) */
void jarena_free(void *p);
/* json_dumps into malloc'd memory (free with free), whatever the region; NULL on
 * failure. */
char *jarena_dumps(const json_t *v, size_t flags);

#endif
