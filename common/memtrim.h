/*
 * memtrim: give the free memory of malloc's arenas back to the kernel (glibc's
 * malloc_trim), after a phase that freed most of what it allocated (a bulk load, a
 * list).
 *
 * A no-op in builds with AddressSanitizer or ThreadSanitizer: they replace malloc, so
 * glibc's arenas hold nothing to give back. Worse, glibc's malloc was then never
 * initialised, and malloc_trim initialises it on its first call, racily: glibc marks
 * itself initialised before its main arena's bins are, so a second thread trimming at
 * the same moment walks bins not yet set up and crashes (SEGV at address 0x8 in
 * mtrim). The kcache workers that finished their first lists together did that, once
 * in a while, in CI's sanitizer stage (tests/test_memtrim.c shows it).
 */
#ifndef COMMON_MEMTRIM_H
#define COMMON_MEMTRIM_H

#include <malloc.h>

#include "sanitize.h"

#define MEMTRIM_ACTIVE (!GW_ASAN && !GW_TSAN)

static inline void memtrim(void)
{
#if MEMTRIM_ACTIVE
	malloc_trim(0);
#endif
}

#endif
