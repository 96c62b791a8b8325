/*
 * cluster: evaluates a set of objects being applied against a cluster view, together
 * with everything already in the view. One pass over the view's routes resolves every
 * route's parents (attach), counts the routes attached to each listener and indexes
 * their matches for conflicts (conflict); then each applied Gateway gets its listener
 * status (gwstatus) and each applied object its cross-object findings. Cost: O(routes *
 * parentRefs * listeners + total matches), indexed lookups only. Pure: the time is a
 * parameter.
 *
 * The applied objects must be defaulted and carry metadata.namespace; Gateways must be
 * in the view, routes in the view or given through route_at. Results are handed to callbacks, so the caller keeps only
 * what it needs of them (an attach_result is large; a caller holding 10,000 would not
 * want to keep them all).
 */
#ifndef CORE_CLUSTER_H
#define CORE_CLUSTER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kind.h"
#include "view.h"

struct attach_result;
struct findings;
struct gwstatus;

struct cluster_item {
	enum kind kind;
	const json_t *obj;   /* borrowed; the same pointer the view holds */
	struct findings *fs; /* borrowed; receives the cross-object findings */
};

struct cluster_opts {
	long long now; /* Unix seconds, for certificate expiry */
	bool strict;   /* missing references are errors */
	/* called once per applied route / Gateway item with its status; may be NULL;
	 * the result is valid during the call only */
	void (*on_route)(void *ud, size_t item, const json_t *route, const struct attach_result *r);
	void (*on_gateway)(void *ud, size_t item, const struct gwstatus *s);
	void *ud;
	/* The routes to evaluate. NULL: every HTTPRoute, GRPCRoute, TCPRoute and UDPRoute of the view, applied
	 * items found by pointer. Otherwise route_at is called for i = 0, 1, ... nroutes - 1,
	 * in that order, and returns the i-th route as a new
	 * reference (released after use, so a caller can keep routes compact and load them
	 * one at a time), with its kind and its applied item index (SIZE_MAX for routes
	 * already in the cluster); NULL on allocation failure. It may be asked for an
	 * earlier i again (the conflict index keys a route's matches only when another
	 * route contests them, conflict_set_source), and must then give the same route. */
	json_t *(*route_at)(void *ud, size_t i, enum kind *ret_kind, size_t *ret_item);
	size_t nroutes;
	/* Optional, with route_at: the attachment of route i computed by the caller ahead
	 * of the pass (on another thread, say): attach_check_route on the same view with
	 * the route's kind and .strict, its findings going to its item's findings (to
	 * scratch findings for a route already in the cluster). The pass calls it for
	 * i = 0, 1, ... in order instead of attaching the route itself, and is done with
	 * the result of route i when it asks for route i + 1 or returns. NULL when that
	 * attachment ran out of memory. Reading the view from two threads needs
	 * store_set_lock. */
	const struct attach_result *(*attached)(void *ud, size_t i);
};

/* Drop what the cross-object checks never read from a route that has already had its
 * single-object checks, so a caller holding many routes keeps less: metadata other than
 * name, namespace and creationTimestamp, status, rule timeouts, and every filter but
 * RequestMirror (each becomes null: the entries stay, so field paths keep their
 * indices); each match becomes its canonical key string (route_match_key), which is all
 * the conflict index reads of it. Returns 0 or ERR_NOMEM (the route is then partly
 * pruned, and still usable). */
int cluster_prune_route(json_t *route);

/* Returns 0 or ERR_NOMEM (findings may then be incomplete). */
int cluster_evaluate(const struct view *v, struct cluster_item *items, size_t n, const struct cluster_opts *o);

#endif
