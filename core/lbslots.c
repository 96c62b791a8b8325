/* lbslots: weights -> an exact, interleaved slot table (see lbslots.h). */
#include "lbslots.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Scaled weights stay below 2^47 in total, so weight * slots (slots <= 2^16)
 * fits in 64 bits. */
#define LBSLOTS_TOTAL_CAP ((uint64_t)1 << 47)
#define LBSLOTS_SLOTS_CAP 65536u

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b != 0) {
		uint64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* w >> shift, but never 0 for a weight that was not 0 */
static uint64_t scaled(uint64_t w, unsigned shift)
{
	uint64_t s = w >> shift;

	return s == 0 && w != 0 ? 1 : s;
}

/* Hamilton apportionment of nslots over w[0..n) (total > 0): floor of each quota,
 * the rest to the largest remainders, ties to the lower index. */
static int apportion(const uint64_t *w, size_t n, uint64_t total, uint32_t nslots, uint32_t *cnt)
{
	uint64_t *rem = malloc(n * sizeof(*rem));
	uint32_t given = 0;

	if (rem == NULL)
		return ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		uint64_t p = w[i] * nslots;

		cnt[i] = (uint32_t)(p / total);
		rem[i] = p % total;
		given += cnt[i];
	}
	while (given < nslots) {
		size_t best = SIZE_MAX;

		for (size_t i = 0; i < n; i++)
			if (w[i] != 0 && (best == SIZE_MAX || rem[i] > rem[best]))
				best = i;
		cnt[best]++;
		rem[best] = 0;
		given++;
	}
	free(rem);
	return 0;
}

/* Smooth weighted round-robin over the slot counts: each step every backend gains
 * its count, the richest is picked and pays nslots. Every backend i appears exactly
 * cnt[i] times and as evenly spread as the counts allow. */
static int interleave(const uint32_t *cnt, size_t n, uint32_t nslots, uint16_t *slots)
{
	int64_t *cur = calloc(n, sizeof(*cur));

	if (cur == NULL)
		return ERR_NOMEM;
	for (uint32_t s = 0; s < nslots; s++) {
		size_t best = SIZE_MAX;

		for (size_t i = 0; i < n; i++) {
			if (cnt[i] == 0)
				continue;
			cur[i] += cnt[i];
			if (best == SIZE_MAX || cur[i] > cur[best])
				best = i;
		}
		cur[best] -= nslots;
		slots[s] = (uint16_t)best;
	}
	free(cur);
	return 0;
}

int lbslots_build(const uint64_t *weights, size_t n, uint32_t max_slots, uint16_t *slots, uint32_t *counts,
		  uint32_t *ret_n, struct err *err)
{
	uint64_t maxw = 0, total = 0, g = 0, *w = NULL;
	uint32_t *cnt = NULL, nslots;
	size_t nonzero = 0;
	unsigned shift = 0;
	int rc;

	*ret_n = 0;
	if (max_slots == 0 || max_slots > LBSLOTS_SLOTS_CAP)
		return err_set(err, ERR_INVALID, "slot table size %u is not within 1..%u", max_slots, LBSLOTS_SLOTS_CAP);
	if (n > LBSLOTS_MAX_BACKENDS)
		return err_set(err, ERR_INVALID, "%zu backends: at most %u", n, LBSLOTS_MAX_BACKENDS);
	for (size_t i = 0; i < n; i++) {
		if (weights[i] > maxw)
			maxw = weights[i];
		nonzero += weights[i] != 0;
	}
	if (nonzero > max_slots)
		return err_set(err, ERR_INVALID, "%zu backends with a weight do not fit in %u slots", nonzero, max_slots);
	if (counts != NULL)
		memset(counts, 0, n * sizeof(*counts));
	if (nonzero == 0)
		return 0;
	while ((maxw >> shift) > LBSLOTS_TOTAL_CAP / n)
		shift++;
	w = malloc(n * sizeof(*w));
	cnt = calloc(n, sizeof(*cnt));
	if (w == NULL || cnt == NULL) {
		rc = err_set(err, ERR_NOMEM, "out of memory building a slot table");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		w[i] = scaled(weights[i], shift);
		total += w[i];
		if (w[i] != 0)
			g = g == 0 ? w[i] : (g == 1 ? 1 : (g < w[i] ? gcd64(w[i], g) : gcd64(g, w[i])));
	}
	if (total / g <= max_slots) {
		nslots = (uint32_t)(total / g);
		for (size_t i = 0; i < n; i++)
			cnt[i] = (uint32_t)(w[i] / g);
	} else {
		nslots = max_slots;
		rc = apportion(w, n, total, nslots, cnt);
		if (rc != 0) {
			err_set(err, rc, "out of memory building a slot table");
			goto out;
		}
	}
	rc = interleave(cnt, n, nslots, slots);
	if (rc != 0) {
		err_set(err, rc, "out of memory building a slot table");
		goto out;
	}
	if (counts != NULL)
		memcpy(counts, cnt, n * sizeof(*counts));
	*ret_n = nslots;
out:
	free(w);
	free(cnt);
	return rc;
}
