/*
 * attach: "will this route really attach?" The cross-object (XO-*) checks of
 * spec/gateway-api-rules.md section 8 for HTTPRoute, GRPCRoute, TCPRoute and UDPRoute
 * against a cluster view, and the status a conformant controller would write for each parent. Pure.
 *
 * Deny vs warn (DESIGN.md): a relationship that is definitely broken between objects
 * that exist (no such listener, namespace or kind not admitted, no hostname
 * intersection, cross-namespace reference without a ReferenceGrant, a Service without
 * that port) is an error; a reference to something merely missing (parent Gateway,
 * GatewayClass, backend Service) is a warning, because GitOps applies in any order.
 * strict turns those warnings into errors (so does rules_config.strict of the
 * findings' configuration); --rule overrides still apply on top.
 *
 * Semantics assumed (section 9): an unset reference namespace is the route's; a route
 * without metadata.namespace is in "default" (callers that default elsewhere, like
 * `check -n`, must write metadata.namespace first); objects read from the view are not
 * defaulted, so an absent allowedRoutes is {namespaces: {from: Same}} and an
 * allowedRoutes.kinds entry without group is gateway.networking.k8s.io; an unset
 * listener hostname or an empty route hostname list matches every host; unset
 * sectionName/port target every listener of the parent.
 *
 * What is not decided here: parentRefs to kinds other than Gateway (ListenerSet, a
 * mesh Service) are skipped, with neither a finding nor a status entry; a listener
 * with an implementation-specific protocol ("example.com/x") and no kinds list is
 * taken to admit the route; a Selector listener admits nothing on the empty view
 * (ops NULL), since no namespace labels are known there.
 *
 * Cost: O(parentRefs * listeners + backendRefs * grants in the target namespace);
 * every lookup goes through view_get or view_list_ns, never over the whole cluster.
 *
 * Ownership: everything is borrowed; reason strings in the result are string
 * literals, valid forever.
 */
#ifndef CORE_ATTACH_H
#define CORE_ATTACH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kind.h"
#include "view.h"

struct findings;

#define ATTACH_PARENTS_MAX 32

/* One status.parents[] entry: a parentRef that names a Gateway the view has. */
struct attach_parent {
	size_t index;              /* spec.parentRefs[index] */
	char gateway[256];         /* "ns/name" of the parent Gateway */
	bool accepted;             /* condition Accepted */
	const char *reason;        /* Accepted, NoMatchingParent, NotAllowedByListeners,
				    * NoMatchingListenerHostname */
	bool resolved_refs;        /* condition ResolvedRefs (the same for every parent) */
	const char *refs_reason;   /* ResolvedRefs, InvalidKind, RefNotPermitted,
				    * BackendNotFound: the first problem in document order */
	char message[512];         /* the Accepted problem, else the ResolvedRefs one,
				    * else which listeners the route attached to */
	size_t attached_listeners; /* listeners that admit the route */
	uint64_t listeners;        /* bit i: spec.listeners[i] admitted the route; 0 when
				    * the Gateway has more than 64 listeners */
};

struct attach_result {
	struct attach_parent parents[ATTACH_PARENTS_MAX];
	size_t nparents;           /* parentRefs whose Gateway is missing are not listed */
};

/*
 * route: an HTTPRoute (k KIND_HTTPROUTE), GRPCRoute (KIND_GRPCROUTE), TCPRoute
 * (KIND_TCPROUTE) or UDPRoute (KIND_UDPROUTE) object, already defaulted (defaults_apply);
 * TCPRoute and UDPRoute have no hostnames, so every listener that admits their kind and
 * namespace accepts them. Appends XO-PARENT-*, XO-CLASS-MISSING, XO-NS-NOT-ALLOWED,
 * XO-KIND-NOT-ALLOWED, XO-HOST-NO-INTERSECT, XO-BACKEND-* and XO-REFGRANT findings to
 * fs and fills *ret when ret is not NULL. Returns 0, or ERR_NOMEM (findings may then
 * be incomplete); ERR_INVALID when k is not a route kind.
 */
int attach_check_route(const struct view *v, enum kind k, const json_t *route, bool strict,
		       struct findings *fs, struct attach_result *ret);

/* A Gateway's own XO-CLASS-MISSING: spec.gatewayClassName names no GatewayClass in
 * the view. Returns 0. */
int attach_check_gateway(const struct view *v, const json_t *gw, bool strict, struct findings *fs);

/* The route kinds (gateway.networking.k8s.io) a core listener protocol admits when
 * allowedRoutes.kinds is empty: HTTP and HTTPS -> HTTPRoute, GRPCRoute; TLS ->
 * TLSRoute; TCP -> TCPRoute; UDP -> UDPRoute. A NULL-terminated array of string
 * literals; NULL for any other protocol (implementation-specific or unknown). */
const char *const *attach_protocol_kinds(const char *proto);

/*
 * Does ReferenceGrant grant (an object, borrowed) let a from_kind
 * (gateway.networking.k8s.io) in namespace from_ns reference the core ("" group)
 * to_kind named to_name in the grant's namespace? 1: yes (a to entry without a name,
 * or with that name); 0: the grant admits that from and to_kind, but only other
 * names; -1: it says nothing about them.
 */
int attach_grant_permits(const json_t *grant, const char *from_kind, const char *from_ns,
			 const char *to_kind, const char *to_name);

#endif
