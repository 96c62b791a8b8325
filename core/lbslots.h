/*
 * lbslots: a frontend's slot table from its backends' weights. Pure.
 *
 * The datapath picks a backend by indexing the table with a random number (or a
 * hash), so each backend's share of connections is its share of slots. The table
 * is as small as represents the weights exactly (weights reduced by their greatest
 * common divisor, e.g. 95/5 -> 19 + 1 = 20 slots); when that exceeds max_slots,
 * max_slots are apportioned by largest remainder (the Hamilton method: floor of
 * each exact quota, then one more slot to the largest fractional parts, ties to the
 * lower index). Slots are then interleaved by smooth weighted round-robin, so
 * consecutive slots spread over the backends instead of forming runs.
 */
#ifndef CORE_LBSLOTS_H
#define CORE_LBSLOTS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define LBSLOTS_MAX_BACKENDS 65535u

/*
 * weights[n]: 0 means never picked. On success fills slots[0..*ret_n) with backend
 * indexes (0..n-1) and, when counts is non-NULL, counts[i] = slots given to i;
 * *ret_n is 0 when every weight is 0. slots must hold max_slots entries.
 * Returns 0, or ERR_INVALID (max_slots 0, n above LBSLOTS_MAX_BACKENDS, or more
 * backends with a weight than max_slots) with nothing written.
 */
int lbslots_build(const uint64_t *weights, size_t n, uint32_t max_slots, uint16_t *slots, uint32_t *counts,
		  uint32_t *ret_n, struct err *err);

#endif
