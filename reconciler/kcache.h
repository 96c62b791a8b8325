/*
 * kcache: the watch cache. One worker thread per resource lists (paged) then watches
 * from the list's resourceVersion with bookmarks, and keeps a core/store current:
 *
 *   Gateways, HTTPRoutes, GRPCRoutes, GatewayClasses, ReferenceGrants, Namespaces,
 *   Services, TLS Secrets (fieldSelector type=kubernetes.io/tls; the certificate is
 *   summarised by certs/tlsinfo and the key material dropped), EndpointSlices,
 *   TCPRoutes and UDPRoutes (v1alpha2: a cluster without these CRDs answers 404, which
 *   counts as synced and empty and is re-checked every minute).
 *
 * What is kept: metadata.managedFields, the last-applied annotation and the status of
 * Gateways and routes are stripped (the engine computes status itself).
 *
 * Failure handling (admission-protocol.md 4.6): 410 Gone (HTTP status or in-stream
 * ERROR) relists and replaces the kind's objects, reporting the difference as
 * synthetic events (so nothing changes silently); 429 and 5xx back off with jitter and
 * honour Retry-After; a dropped or ended stream resumes from the last resourceVersion
 * seen (events or bookmarks). An event whose resourceVersion equals the stored
 * object's is counted as a duplicate and not applied again.
 *
 * Usage:
 *   struct kcache *c = kcache_new(kube, &opts, &err);
 *   kcache_start(c, &err);               // threads
 *   struct viewsrc vs; kcache_viewsrc(c, &vs);   // for serve / reconcile
 *   ... viewsrc_ready(&vs) after the first full sync of every resource ...
 *   kcache_stop(c); kcache_free(c);
 */
#ifndef RECONCILER_KCACHE_H
#define RECONCILER_KCACHE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "kind.h"
#include "kube.h"
#include "viewsrc.h"

struct kcache;

/* Called with the cache lock held, for every change applied to the store (watch
 * events and the differences a relist finds). type: "ADDED", "MODIFIED", "DELETED".
 * obj is borrowed (for DELETED: the last object known). Keep it short; do not call
 * back into the cache. */
typedef void (*kcache_change_fn)(void *ud, enum kind k, const char *type, const json_t *obj);

struct kcache_options {
	unsigned kinds;        /* bit (1u << KIND_x) per resource; 0 = all of the above */
	size_t page;           /* list page size; 0 = 500 */
	int watch_timeout;     /* timeoutSeconds asked of the server; 0 = 300..600 s */
	int watch_stall;       /* seconds without a byte (event or bookmark) after which a
				  watch is taken for dead and made again; 0 = 120 s */
	kcache_change_fn on_change;
	void *ud;
	bool slim;             /* keep only what admission reads (core/admit.h admit_slim):
				  for serve; not for views that feed the reconciler or datapath */
};

struct kcache_stats {
	unsigned long lists;        /* successful full lists (first sync and relists) */
	unsigned long relists_gone; /* relists caused by 410 */
	unsigned long watches;      /* watch requests */
	unsigned long events;       /* events applied */
	unsigned long duplicates;   /* events not applied: same resourceVersion as stored */
	unsigned long bookmarks;
	unsigned long drops;        /* streams that broke (transport error, bad line) */
	unsigned long throttled;    /* 429 and 5xx answers waited out */
	char rv[64];                /* last resourceVersion seen */
	bool synced;
};

/* kube is borrowed and must outlive the cache. NULL on error. */
struct kcache *kcache_new(struct kube *kube, const struct kcache_options *opts, struct err *err);
/* Start the worker threads. Returns 0 or an error. */
int kcache_start(struct kcache *c, struct err *err);
/* Stop and join the threads (idempotent). */
void kcache_stop(struct kcache *c);
void kcache_free(struct kcache *c);
/* The cache as a view source (acquire = the cache lock). */
void kcache_viewsrc(struct kcache *c, struct viewsrc *ret);
bool kcache_ready(struct kcache *c);
size_t kcache_objects(struct kcache *c);
/* Counters of one resource (zeros for a kind not watched). */
void kcache_stats(struct kcache *c, enum kind k, struct kcache_stats *ret);
/* Strip what the engine does not need from an object of kind k (in place); for TLS
 * Secrets summarise the certificate and drop key material. Returns 0 or ERR_NOMEM. */
int kcache_prune(json_t *obj, enum kind k);
/* Prometheus text for the cache's counters (malloc'd; NULL when out of memory). */
char *kcache_metrics_text(struct kcache *c);
/* The API path of kind k's collection (e.g. /apis/gateway.networking.k8s.io/v1/gateways)
 * and its apiVersion; NULL for kinds the cache does not watch. */
const char *kcache_resource_path(enum kind k);
const char *kcache_api_version(enum kind k);

#endif
