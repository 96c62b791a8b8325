/*
 * policy: the policy engine. A policy set is built from parsed policy documents
 * (gatewarden's own kinds, documented in policies/README.md, and Kyverno
 * ClusterPolicy/Policy objects restricted to patchStrategicMerge on Services), then
 * used read-only: the webhook and the reconciler compute the JSON Patch for a
 * generated Service and for a Gateway, and the validation findings for Gateways and
 * routes. Pure.
 *
 * Lifecycle (reload): policy_set_new, policy_set_add for each document (the first
 * error names the document and the unsupported or malformed field, and the caller
 * drops the half-built set), then only const use. A built set is never changed, so a
 * server swaps whole sets on reload and keeps the old one when loading fails. A const
 * set may be read by several threads at once (the view passed along must allow that
 * too: core/store.h's view does not).
 *
 * Ownership: documents passed to policy_set_add are borrowed (the set keeps its own
 * copies); every *ret value is a new reference for the caller; views are borrowed.
 */
#ifndef CORE_POLICY_H
#define CORE_POLICY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kind.h"
#include "view.h"

struct err;
struct findings;
struct policy_set;

#define POLICY_API_VERSION "policy.gatewarden.io/v1alpha1"
#define POLICY_ANN_EXTERNAL_DNS "external-dns.alpha.kubernetes.io/hostname"

/* ---- building ---- */

/* NULL when out of memory. */
struct policy_set *policy_set_new(void);
/* NULL-safe. */
void policy_set_free(struct policy_set *s);
/* Add one document (source names its file in messages). Returns 0, ERR_INVALID with
 * err naming source, the policy and the problem, or ERR_NOMEM. Documents of other
 * kinds (not a policy at all) are ERR_INVALID too: a policy path holds policies only. */
int policy_set_add(struct policy_set *s, const json_t *doc, const char *source, struct err *err);
/* Number of policies (documents) added. */
size_t policy_set_count(const struct policy_set *s);
/* A number no other set, nor this one before its last policy_set_add, has had (never 0):
 * what a memo of policy decisions is keyed by. */
uint64_t policy_set_generation(const struct policy_set *s);

/* ---- generated Services ---- */

/*
 * The Gateway that owns a generated Service, from its labels only (never its name):
 * Envoy Gateway's gateway.envoyproxy.io/owning-gateway-{name,namespace}, then
 * Cilium's io.cilium.gateway/owning-gateway, Contour's
 * projectcontour.io/owning-gateway-name, and the standard
 * gateway.networking.k8s.io/gateway-name (Cilium, Istio, NGINX Gateway Fabric), the
 * last three in the Service's namespace. False when the Service carries none.
 */
bool policy_service_owner(const json_t *svc, char *ns, size_t nscap, char *name, size_t namecap);

/*
 * The JSON Patch for a Service at admission. old_svc is NULL on CREATE. The target
 * Service is svc with, in this order (later wins per key):
 *   1. the annotations and labels of every ServicePolicy whose gateway selection
 *      matches the owning Gateway (in load order);
 *   2. the Gateway's spec.infrastructure.annotations;
 *   3. when a matching ServicePolicy asks for it and the Gateway does not set it,
 *      external-dns.alpha.kubernetes.io/hostname = policy_gateway_hostnames joined by ",";
 *   4. every Kyverno rule whose match selects this Service (name, namespace, labels),
 *      merged as patchStrategicMerge (in load order);
 * and spec.loadBalancerClass (last one given) only on CREATE and only for type
 * LoadBalancer. On UPDATE a differing class is left alone with a POL-SVC-IMMUTABLE
 * warning; no other immutable field is ever written. An owning Gateway missing from
 * the view: steps 1-3 are skipped with a POL-SVC-GATEWAY-MISSING warning. Annotations
 * are only set, never removed, so a Service that already has everything gets an empty
 * patch (an empty JSON array), and annotations the owner stripped come back.
 * Returns 0 or ERR_NOMEM / ERR_LIMIT (err set); *ret_patch is always an array on 0.
 */
int policy_service_patch(const struct policy_set *s, const struct view *v, const json_t *svc,
			 const json_t *old_svc, json_t **ret_patch, struct findings *warnings,
			 struct err *err);

/*
 * A memo of each Gateway's share of its Service (steps 1-3 above), kept by the caller
 * across reviews: selecting the policies and deriving the external-dns hostnames (which
 * decides attachment for every route of the Gateway) change only when the view or the
 * policy set does. Entries are keyed by the Gateway's namespace and name, by
 * view_generation(v) and by policy_set_generation(s); a view whose generation is 0 is
 * never memoised. The value is an opaque JSON value that nobody changes: get answers
 * a new reference to it, or NULL when it has none for those generations; put is given
 * a borrowed value to keep. The caller makes both safe for concurrent reviews.
 */
struct policy_memo {
	json_t *(*get)(void *ud, const char *gw_ns, const char *gw_name, uint64_t view_gen, uint64_t policy_gen);
	void (*put)(void *ud, const char *gw_ns, const char *gw_name, uint64_t view_gen, uint64_t policy_gen,
		    json_t *val);
	void *ud;
};

/*
 * policy_service_patch as compact JSON text (what an AdmissionReview answer carries),
 * written without building the patch as JSON values, through memo when not NULL. owner:
 * the owning Gateway when the caller has it (a Gateway being admitted, which the view
 * may not hold yet; never memoised), NULL to look it up in the view. *ret_text: the
 * text (the caller frees it) and its length, or NULL when the patch is empty. 0 or
 * ERR_NOMEM / ERR_LIMIT / ERR_INVALID (err set).
 */
int policy_service_patch_text(const struct policy_set *s, const struct view *v, const json_t *svc,
			      const json_t *old_svc, const json_t *owner, const struct policy_memo *memo,
			      char **ret_text, size_t *ret_len, struct findings *warnings, struct err *err);

/*
 * The Service the Gateway's implementation would generate, as far as policies care:
 * name and labels (Cilium when the GatewayClass's controllerName is
 * io.cilium/gateway-controller or, without the class in the view, the class name
 * contains "cilium": cilium-gateway-<name> with both Cilium labels; otherwise the
 * GEP-1762 <name>-<class> with gateway.networking.k8s.io/gateway-name), the Gateway's
 * namespace, type LoadBalancer, the Gateway's spec.infrastructure labels/annotations
 * as the implementation propagates them. For `check` (what would the Service get).
 */
int policy_gateway_service(const struct view *v, const json_t *gw, json_t **ret_svc, struct err *err);

/*
 * The external-dns hostnames derived from a Gateway: its non-wildcard listener
 * hostnames plus the non-wildcard hostnames of routes (HTTPRoute, GRPCRoute) that
 * attach_check_route accepts on one of its wildcard or hostname-less listeners,
 * narrowed by that listener's hostname. Sorted, unique; *ret an array of strings.
 * Cost: one pass over the routes of the view (parentRef names are compared before any
 * attachment is computed).
 */
int policy_gateway_hostnames(const struct view *v, const json_t *gw, json_t **ret, struct err *err);

/* ---- Gateways ---- */

/*
 * Defaults by policy (GatewayDefaults): annotations added when absent to Gateways the
 * policy selects (optionally only those with an HTTPS listener). A cert-manager issuer
 * default is not added when the Gateway already names the other kind of issuer.
 * *ret_patch: a JSON Patch array (empty when nothing to add). 0 or ERR_NOMEM.
 */
int policy_gateway_patch(const struct policy_set *s, const struct view *v, const json_t *gw,
			 json_t **ret_patch, struct err *err);

/*
 * Validation policies on a Gateway: POL-INFRA-KEY (InfrastructureAnnotations),
 * POL-HOST-OWNER (HostnameOwnership, listener hostnames), POL-DNS-OVERLAP (this
 * Gateway's would-be Service external-dns hostnames against every other Gateway's in
 * the view) and POL-CERTMGR-LISTENER (a cert-manager.io/issuer or cluster-issuer
 * annotation and an HTTPS listener without hostname, not Terminate, or with a
 * certificateRef in another namespace). 0 or ERR_NOMEM.
 */
int policy_check_gateway(const struct policy_set *s, const struct view *v, const json_t *gw,
			 struct findings *fs);

/* HostnameOwnership on a route's spec.hostnames: POL-HOST-OWNER and, for exclusive
 * policies, POL-HOST-TAKEN (a route in another namespace lists the same hostname).
 * 0 or ERR_NOMEM. */
int policy_check_route(const struct policy_set *s, const struct view *v, enum kind k,
		       const json_t *route, struct findings *fs);

#endif
