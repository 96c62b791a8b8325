/*
 * reconcile: the reconciler's decisions and writes, driven by the watch cache.
 *
 * One worker thread. Every tick it runs a leader-election round (lease.h); whenever
 * the cache reports a change (debounced), or every resync period, it evaluates the
 * cluster view:
 *   - TLS: every terminating listener's certificateRefs (core/gwstatus: Secret
 *     present, key matches the certificate, not expired or expiring, SANs cover the
 *     listener hostname; here also: SANs cover every hostname of each route attached
 *     to that listener). Each distinct problem is logged once (JSON lines) and, by
 *     the leader, written once as a Warning Event on the Gateway (deterministic Event
 *     names, so a new leader does not repeat what the old one wrote: 409 counts as
 *     done). Certificate expiry is exported per Secret.
 *   - Back-fill (with a policy set): each generated Service (policy_service_owner) gets
 *     policy_service_patch's patch, sent as a JSON Patch that first tests
 *     metadata.resourceVersion (optimistic concurrency; 409 waits for the cache).
 *     A Service version is patched at most once; the patched version yields an empty
 *     patch, so there are no write loops. spec.loadBalancerClass is never written: a
 *     difference is reported (log, Event on the Service).
 * Decisions are computed under the cache lock; writes happen after it is released,
 * each only while lease_held() (losing the Lease stops the remaining writes at once).
 */
#ifndef RECONCILER_RECONCILE_H
#define RECONCILER_RECONCILE_H

#include <jansson.h>
#include <stdbool.h>

#include "err.h"
#include "kcache.h"
#include "kube.h"
#include "lease.h"

struct policy_set;
struct reconciler;

struct reconcile_options {
	struct kube *kube;               /* borrowed */
	struct lease *lease;             /* borrowed; required */
	const struct policy_set *policy; /* borrowed; NULL: no back-fill */
	const char *identity;            /* reportingInstance of Events */
	unsigned tick_ms;                /* election round period (default 2000) */
	unsigned resync_ms;              /* full pass without changes (default 30000) */
	unsigned debounce_ms;            /* wait after a change before a pass (default 50) */
};

struct reconcile_stats {
	unsigned long passes;
	unsigned long problems;          /* distinct TLS problems now */
	unsigned long events_written;    /* Events created */
	unsigned long events_existing;   /* Events already there (409): deduplicated */
	unsigned long patches;           /* back-fill patches accepted */
	unsigned long patch_conflicts;   /* 409 on a back-fill patch */
	unsigned long writes_skipped;    /* writes not done: not the leader */
	unsigned long immutable;         /* loadBalancerClass differences reported */
	long long latency_last_ns;       /* first change seen -> decisions made */
	long long latency_max_ns;
	long long latency_sum_ns;
	unsigned long latency_count;
	bool leader;
};

struct reconciler *reconcile_new(const struct reconcile_options *o, struct err *err);
/* The kcache change callback (pass the reconciler as ud in kcache_options). */
void reconcile_on_change(void *ud, enum kind k, const char *type, const json_t *obj);
/* Attach the cache (after kcache_new with the callback above). */
void reconcile_attach(struct reconciler *r, struct kcache *c);
int reconcile_start(struct reconciler *r, struct err *err);
/* Stop the thread (idempotent); the Lease is released if held. */
void reconcile_stop(struct reconciler *r);
void reconcile_free(struct reconciler *r);
/* Run one pass now in the calling thread (for `reconcile --once` and tests). */
void reconcile_pass(struct reconciler *r);
void reconcile_stats(struct reconciler *r, struct reconcile_stats *ret);
/* Zero the latency figures (benchmarks measure a steady state after the sync). */
void reconcile_reset_latency(struct reconciler *r);
/* Prometheus text: certificate expiry per Secret, leader, counters (malloc'd). */
char *reconcile_metrics_text(struct reconciler *r);
/* True while the thread runs and the cache is synced. */
bool reconcile_healthy(struct reconciler *r);

#endif
