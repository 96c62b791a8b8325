/*
 * admit: the decision about one object being applied to a cluster, as the webhook
 * asks it: the object's own rules (engine_check_object) and its cross-object checks
 * against the cluster view with the object laid over it (overlay), never against
 * anything the request cannot see. Pure: the time is a parameter.
 *
 * What is evaluated with the object:
 * - a route: its parents, listeners, hostnames, backends and ReferenceGrants; match
 *   conflicts with the routes of the view that could share a listener and hostname
 *   with it (found through the hostname index, at most conflict_max of them);
 * - a Gateway: its listeners, certificates and GatewayClass, with every route of the
 *   view (Gateways are rarely applied; a route pass is what tells which listeners
 *   are used and which routes would conflict). A Gateway that no route uses yet is not
 *   reported: at admission that is the normal state of a new Gateway.
 * Other kinds get nothing (the caller allows them).
 */
#ifndef CORE_ADMIT_H
#define CORE_ADMIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kind.h"
#include "view.h"

struct findings;

struct admit_opts {
	long long now;        /* Unix seconds, for certificate expiry */
	bool strict;          /* missing references are errors */
	bool no_cross;        /* single-object rules only */
	size_t conflict_max;  /* routes compared for match conflicts; 0 = 4096 */
};

/*
 * Decide about obj (mutated: schema defaults are applied, so callers needing the
 * object as sent must copy it first). It must carry metadata.namespace when namespaced. Findings go to fs (its
 * rules_config applies); *ret_kind receives the kind. Returns 0 or ERR_NOMEM (the
 * findings may then be incomplete: callers must not treat that as an allow).
 */
int admit_object(const struct view *v, json_t *obj, const struct admit_opts *o, struct findings *fs,
		 enum kind *ret_kind);

/*
 * admit_object in two steps, so that a caller holding a lock around the view runs the
 * first without it: admit_single is the single-object part (engine: defaults,
 * schema, rules; no view), admit_cross the cross-object part for obj of kind k as
 * admit_single left it. admit_object(v, obj, ...) == admit_single then, when that
 * returned 0, admit_cross.
 */
int admit_single(json_t *obj, struct findings *fs, enum kind *ret_kind);
int admit_cross(const struct view *v, json_t *obj, enum kind k, const struct admit_opts *o, struct findings *fs);

/*
 * Reduce obj, a context object about to be kept in a long-lived admission view, to
 * what admit_object reads of it: for routes, what cluster_prune_route keeps minus
 * backendRefs and filters (a view route only matters for where it attaches and what
 * it matches), plus metadata.resourceVersion; for Services their ports, type,
 * clusterIP and externalName; for every kind no status, managedFields or last-applied
 * annotation. resourceVersion stays on every kind: a watch cache tells a repeated
 * event by it. Returns 0 or ERR_NOMEM
 * (obj is then partly reduced and still usable). Not for views that feed the
 * datapath (lbplan reads route backends).
 */
int admit_slim(enum kind k, json_t *obj);

#endif
