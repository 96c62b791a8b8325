/*
 * monotime: the monotonic clock (CLOCK_MONOTONIC) in nanoseconds or milliseconds, for
 * deadlines, timeouts and latencies that a wall-clock step must not move.
 */
#ifndef COMMON_MONOTIME_H
#define COMMON_MONOTIME_H

#include <time.h>

static inline long long monotime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline long long monotime_ms(void)
{
	return monotime_ns() / 1000000;
}

#endif
