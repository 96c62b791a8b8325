/*
 * conflict: XO-MATCH-CONFLICT. Two routes of the same kind (HTTPRoute with HTTPRoute,
 * GRPCRoute with GRPCRoute) attached to the same listener conflict when they claim the
 * same effective hostname with an identical match; only one of them gets the traffic.
 * TCPRoutes (UDPRoutes) have neither hostnames nor matches: any two attached to the
 * same listener conflict, with the same precedence (this is also the route lbplan
 * programs). Pure.
 *
 * Design: one pass over every match of every registered route. Each (kind, listener,
 * effective hostname, canonical match key) is a claim in a hash map that keeps its
 * current winner, so registering costs O(matches * effective hostnames) and no pair of
 * routes is ever compared directly. Every route remembers the claims it made;
 * conflict_report reads, for each, whether the route still wins it. The claims of a
 * (kind, listener, hostname) that only one route has offered are not made until a
 * second route offers there (most hostnames belong to one route), with the same
 * result (conflict.c). The canonical
 * match key is route_match_key (route_int.h), the one WX-RULE-SHADOW uses: matches
 * after defaulting, absent/null/[] members dropped, headers and queryParams as sets.
 *
 * Semantics (spec/gateway-api-rules.md sections 8 and 9):
 * - Effective hostnames of a route on a listener: each route hostname that intersects
 *   the listener's, as written when the listener's covers it (a precise name, or a
 *   wildcard narrower than or equal to the listener's), else the listener's (a route
 *   wildcard wider than the listener's name); the listener's hostname when the route
 *   has none; "*" when neither has one. A route none of whose hostnames intersect
 *   claims nothing there (that is XO-HOST-NO-INTERSECT).
 * - Precedence between identical matches: the oldest metadata.creationTimestamp wins
 *   (RFC 3339 strings compare lexically; a missing or empty timestamp counts as the
 *   newest, since an object being applied is created now), then "namespace/name" in
 *   byte order, then the smaller route_id. A route without metadata.namespace is in
 *   "default".
 * - Identical matches inside one route are WX-RULE-SHADOW's business: a route never
 *   conflicts with itself.
 *
 * Ownership: the index owns its claims, route records and one copy of each distinct
 * listener, hostname and canonical match string (interned), and of what it needs of
 * each route (name, creationTimestamp). A route's matches are keyed only once another
 * route offers for one of its (listener, hostname) groups: until then the index holds
 * a reference to the route's spec.rules (json_incref), or, with a source
 * (conflict_set_source), nothing: it asks the source for the route again. So a caller
 * may drop its own reference to each route right after adding it, but must not change
 * its rules.
 *
 * Not thread-safe; conflict_report only reads the index.
 */
#ifndef CORE_CONFLICT_H
#define CORE_CONFLICT_H

#include <jansson.h>
#include <stddef.h>

#include "kind.h"

struct findings;
struct conflict_index;

/* At most this many XO-MATCH-CONFLICT findings per route, then one "and N more". */
#define CONFLICT_REPORT_MAX 8

/* A new, empty index, or NULL when out of memory. */
struct conflict_index *conflict_new(void);

/*
 * For a caller that keeps its routes elsewhere (check keeps them as text): the index
 * holds no part of a registered route, and when it needs one's matches (another route
 * offers in one of its groups) it calls fetch(ud, route_id) for a new reference to
 * that route as registered, which it drops at once; NULL from fetch is out of memory.
 * Call before the first conflict_add.
 */
void conflict_set_source(struct conflict_index *ci, json_t *(*fetch)(void *ud, size_t route_id), void *ud);
/* Free the index and everything it owns (NULL is fine). */
void conflict_free(struct conflict_index *ci);

/*
 * Register that route (defaulted JSON, borrowed) of kind k is attached to listener
 * `listener` ("ns/gateway/listenername", copied) whose hostname is listener_host
 * (copied when needed; NULL or "" = unset). route_id is the caller's id for the route:
 * a small number (a counter from 0), since the index keeps its routes in a table
 * indexed by it; registering the same route_id on several listeners is the normal
 * case, and its name and timestamp are taken from the first registration. Kinds other than HTTPRoute and
 * GRPCRoute are ignored. Returns 0 or ERR_NOMEM (the index stays consistent, but may
 * then miss some of this route's claims).
 */
int conflict_add(struct conflict_index *ci, size_t route_id, enum kind k, const json_t *route,
		 const char *listener, const char *listener_host);

/* A listener of the index ("ns/gateway/listenername", copied), made on first use: a
 * handle for conflict_add_on, valid until conflict_free; NULL when out of memory. */
struct conflict_listener;
struct conflict_listener *conflict_listener(struct conflict_index *ci, const char *listener);
/* conflict_add on the listener l: for a caller that registers many routes on the same
 * listeners, without naming the listener each time. */
int conflict_add_on(struct conflict_index *ci, size_t route_id, enum kind k, const json_t *route,
		    struct conflict_listener *l, const char *listener_host);

/*
 * Append to fs one XO-MATCH-CONFLICT finding per (listener, hostname, match) that
 * route_id loses to another route, in registration order, at the losing match
 * (spec.rules[i].matches[j], or spec.rules[i] for a gRPC rule without matches); the
 * message names the winning route, its match, the hostname, the listener and what to
 * change. After CONFLICT_REPORT_MAX findings one more at spec.rules counts the rest.
 * Call after every route has been added. An unknown route_id adds nothing. Allocation
 * failure sets fs->nomem.
 */
void conflict_report(const struct conflict_index *ci, size_t route_id, struct findings *fs);

#endif
