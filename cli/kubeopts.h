/*
 * kubeopts: the cluster connection options the long-running commands share
 * (`serve`, `datapath sync`): --kubeconfig FILE [--context NAME] | --in-cluster,
 * --insecure-skip-tls-verify, --allow-insecure-http, and starting a watch cache
 * (reconciler/kcache.h) from them.
 *
 * Usage:
 *   struct kubeopts ko = { .kubeconfig = path };
 *   struct kubeopts_cluster kc = KUBEOPTS_CLUSTER_INIT;
 *   struct kcache_options co = { .kinds = ..., .on_change = ..., .ud = ... };
 *   if (kubeopts_cluster_start(&kc, &ko, "gatewarden-x", &co, &err) != 0) ...
 *   kcache_viewsrc(kc.cache, &vs); ... kcache_ready(kc.cache) ...
 *   kubeopts_cluster_stop(&kc);   // also after a failed start
 */
#ifndef CLI_KUBEOPTS_H
#define CLI_KUBEOPTS_H

#include <stdbool.h>

#include "err.h"
#include "kcache.h"
#include "kube.h"

struct kubeopts {
	const char *kubeconfig;   /* kubeconfig path, or NULL */
	const char *context;      /* its context (NULL: current); only with kubeconfig */
	bool in_cluster;          /* the pod's service account */
	bool insecure;            /* --insecure-skip-tls-verify */
	bool allow_http;          /* --allow-insecure-http */
};

/* A client and the watch cache it feeds; both owned. */
struct kubeopts_cluster {
	struct kube *kube;
	struct kcache *cache;
};

#define KUBEOPTS_CLUSTER_INIT { NULL, NULL }

/* True when o names a cluster (--kubeconfig or --in-cluster). */
bool kubeopts_wanted(const struct kubeopts *o);

/* The option rules: --kubeconfig and --in-cluster exclude each other, --context
 * needs --kubeconfig, the TLS and HTTP switches need a cluster. Returns 0 or
 * ERR_INVALID with a message naming the flags. */
int kubeopts_check(const struct kubeopts *o, struct err *err);

/* Load the connection settings (kubeconfig or in-cluster), make a client with the
 * given User-Agent, then a watch cache with co and start its threads. On error
 * returns the code with err filled; call kubeopts_cluster_stop to free what was
 * made. */
int kubeopts_cluster_start(struct kubeopts_cluster *kc, const struct kubeopts *o, const char *user_agent,
			   const struct kcache_options *co, struct err *err);

/* Stop and join the cache's threads, free the cache and the client (idempotent). */
void kubeopts_cluster_stop(struct kubeopts_cluster *kc);

#endif
