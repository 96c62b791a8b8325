/*
 * view: the one interface through which the engine reads the cluster. Files
 * (`check --state`), the webhook's watch cache and test fixtures all implement
 * struct view_ops, so the cross-object checks never know where objects come from.
 * Pure: this header only declares the interface; core/store.h is the in-memory
 * implementation.
 *
 * Ownership: everything a view returns is borrowed from it. Objects and returned
 * arrays stay valid until the view changes (an object is added or replaced); callers
 * that need one longer take a json_incref.
 *
 * Naming: cluster-scoped kinds (GatewayClass, Namespace) live in namespace "".
 * Implementations must answer every call in O(1) or O(result) time, so that checking
 * N objects against a cluster of M never costs N * M.
 *
 * A view whose ops is NULL is the empty cluster: the helpers below answer "nothing"
 * for it, so the engine runs unchanged without any state.
 */
#ifndef CORE_VIEW_H
#define CORE_VIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kind.h"

struct view_ops {
	/* The object of kind k named ns/name, or NULL. */
	const json_t *(*get)(void *ctx, enum kind k, const char *ns, const char *name);
	/* The objects of kind k in namespace ns; *ret is the array (NULL when 0). */
	size_t (*list_ns)(void *ctx, enum kind k, const char *ns, const json_t *const **ret);
	/* Every object of kind k. */
	size_t (*list_kind)(void *ctx, enum kind k, const json_t *const **ret);
	/* The routes of kind k that name hostname in spec.hostnames, exactly as written
	 * (no wildcard matching: ask for "*.example.com" to get the routes that list
	 * that wildcard). "*" (or NULL) answers the routes that set no hostname.
	 * Kinds other than routes have no hostname index and answer 0. */
	size_t (*list_hostname)(void *ctx, enum kind k, const char *hostname, const json_t *const **ret);
	/* The routes of kind k with a parentRef naming Gateway gw_ns/gw_name: group
	 * gateway.networking.k8s.io or unset, kind Gateway or unset, namespace unset (or
	 * "") meaning the route's own. gw_ns is normalised as for get. A route naming the
	 * Gateway in several parentRefs is listed once; whether it attaches is not
	 * decided here. Kinds other than routes answer 0. */
	size_t (*list_parent)(void *ctx, enum kind k, const char *gw_ns, const char *gw_name,
			      const json_t *const **ret);
	/* every object of kind k named name, in any namespace */
	size_t (*list_name)(void *ctx, enum kind k, const char *name, const json_t *const **ret);
	/* The labels of namespace ns as the API server has them: the Namespace's
	 * metadata.labels plus kubernetes.io/metadata.name=<ns>, also for a namespace
	 * that is not defined (then only that label). NULL when ns is NULL or "", or
	 * when out of memory. */
	const json_t *(*namespace_labels)(void *ctx, const char *ns);
	/* Optional. A number that changes whenever the view's content changes and is never
	 * reused by another view: what a caller may key a cache of derived values on. 0
	 * (or no callback) means "unknown": cache nothing. */
	uint64_t (*generation)(void *ctx);
	/* Optional. True when an answer was cut short by a lack of memory (a view that
	 * builds objects as they are read, core/store.h's store_reader): an evaluation
	 * on it must not be trusted. No callback means "never". */
	bool (*failed)(void *ctx);
};

struct view {
	const struct view_ops *ops;   /* borrowed; NULL = the empty cluster */
	void *ctx;                    /* borrowed; the implementation's state */
};

static inline const json_t *view_get(const struct view *v, enum kind k, const char *ns,
				     const char *name)
{
	if (v == NULL || v->ops == NULL)
		return NULL;
	return v->ops->get(v->ctx, k, ns, name);
}

static inline size_t view_list_ns(const struct view *v, enum kind k, const char *ns,
				  const json_t *const **ret)
{
	if (v == NULL || v->ops == NULL) {
		*ret = NULL;
		return 0;
	}
	return v->ops->list_ns(v->ctx, k, ns, ret);
}

static inline size_t view_list_kind(const struct view *v, enum kind k, const json_t *const **ret)
{
	if (v == NULL || v->ops == NULL) {
		*ret = NULL;
		return 0;
	}
	return v->ops->list_kind(v->ctx, k, ret);
}

static inline size_t view_list_hostname(const struct view *v, enum kind k, const char *hostname,
					const json_t *const **ret)
{
	if (v == NULL || v->ops == NULL) {
		*ret = NULL;
		return 0;
	}
	return v->ops->list_hostname(v->ctx, k, hostname, ret);
}

static inline size_t view_list_parent(const struct view *v, enum kind k, const char *gw_ns,
				      const char *gw_name, const json_t *const **ret)
{
	if (v == NULL || v->ops == NULL) {
		*ret = NULL;
		return 0;
	}
	return v->ops->list_parent(v->ctx, k, gw_ns, gw_name, ret);
}

/* For the empty cluster (ops NULL) this is NULL, "no labels known", so even a
 * selector on kubernetes.io/metadata.name cannot match; an empty store answers with
 * that label instead, which is what `check` without --state should use. */
static inline size_t view_list_name(const struct view *v, enum kind k, const char *name,
				    const json_t *const **ret)
{
	if (v == NULL || v->ops == NULL || v->ops->list_name == NULL) {
		*ret = NULL;
		return 0;
	}
	return v->ops->list_name(v->ctx, k, name, ret);
}

static inline const json_t *view_namespace_labels(const struct view *v, const char *ns)
{
	if (v == NULL || v->ops == NULL)
		return NULL;
	return v->ops->namespace_labels(v->ctx, ns);
}

static inline uint64_t view_generation(const struct view *v)
{
	if (v == NULL || v->ops == NULL || v->ops->generation == NULL)
		return 0;
	return v->ops->generation(v->ctx);
}

static inline bool view_failed(const struct view *v)
{
	if (v == NULL || v->ops == NULL || v->ops->failed == NULL)
		return false;
	return v->ops->failed(v->ctx);
}

#endif
