/*
 * route_int: rules shared by HTTPRoute and GRPCRoute (check_route.c), used by
 * check_httproute.c and check_grpcroute.c only (and conflict.c, for the canonical
 * match key). Findings keep their HR-/OW-/WX- ids
 * whichever kind they come from, since the rows of the rules document are per type, not
 * per kind. Every function tolerates values of the wrong JSON type (it skips them: the
 * schema pass has reported them). Functions taking a struct path report relative to it
 * and leave it as they found it. Pure.
 */
#ifndef CORE_ROUTE_INT_H
#define CORE_ROUTE_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct findings;
struct path;

/* A filter type and the member that carries its configuration. */
struct route_filter_kind {
	const char *type;  /* "RequestHeaderModifier" */
	const char *field; /* "requestHeaderModifier" */
};

/* spec.parentRefs: HR-PREF-SECTION-REQ, HR-PREF-SECTION-UNIQUE (namespace as written)
 * and WX-PREF-NS-NORMALIZE (unset namespace read as the route's). */
void route_check_parent_refs(const json_t *obj, struct findings *fs);

/* spec.hostnames: WX-HOST-IP, WX-HOST-LABEL63. */
void route_check_hostnames(const json_t *spec, struct findings *fs);
/* The same two rules for one hostname value at p. */
void route_check_hostname(const char *host, const struct path *p, struct findings *fs);

/* The CEL bound on the sum of matches over all rules (<= 128), under rule id `rule`. */
void route_check_match_total(const json_t *rules, const char *rule, struct findings *fs);

/* One match's headers list (p at the match): OW-HDR-MATCH-CI, WX-HDR-VALUE,
 * WX-REGEX-COMPILE. */
void route_check_header_matches(const json_t *headers, struct path *p, struct findings *fs);

/* WX-REGEX-COMPILE for one regular expression at p. */
void route_check_regex(const char *re, size_t len, const struct path *p, struct findings *fs);

/* Filter union (p at the filter): the member named by type is set, no other is.
 * kinds is terminated by { NULL, NULL }. */
void route_check_filter_union(const json_t *filter, const struct route_filter_kind *kinds,
			      const char *rule, const struct path *p, struct findings *fs);
/* "<Type> filter cannot be repeated" for each type of the NULL-terminated list
 * (p at the filters list). */
void route_check_filter_repeat(const json_t *filters, const char *const *types, const char *rule,
			       const struct path *p, struct findings *fs);
/* True when some filter of the list has type a and some has type b (false on
 * ENOMEM). */
bool route_filters_have_types(const json_t *filters, const char *a, const char *b);

/* The members every route filter may carry (p at the filter): request/response header
 * modifiers (OW-HDRMOD-MULTI, WX-HDR-VALUE, WX-HDRMOD-REMOVE-NAME) and requestMirror
 * (HR-MIRROR CEL). */
void route_check_common_filter(const json_t *filter, struct path *p, struct findings *fs);

/* A rule's backendRefs (p at the rule): HR-BREF-PORT per ref, WX-WEIGHT-ALLZERO. */
void route_check_backend_refs(const json_t *rule, struct path *p, struct findings *fs);

/*
 * The canonical key of one route match (HTTPRoute or GRPCRoute, already defaulted):
 * two matches are identical, for WX-RULE-SHADOW and XO-MATCH-CONFLICT, exactly when
 * their keys are equal strings. The key is the compact JSON, object keys sorted, of
 * the match with its absent, null and [] members dropped (all mean "no constraint")
 * and every list member (headers, queryParams) taken as a set: its elements sorted by
 * their own canonical JSON. m NULL is the implicit catch-all of a gRPC rule without
 * matches and gets the key of an empty match, "{}".
 * Returns 0 with *ret malloc'd (the caller frees it), or with *ret NULL when m is not
 * an object or nests deeper than any valid match (a malformed match is identical to
 * nothing); ERR_NOMEM (*ret NULL).
 */
int route_match_key(const json_t *m, char **ret);
/* Match i of a rule (borrowed), NULL past the end or for the implicit gRPC catch-all. */
const json_t *route_rule_match(const json_t *rule, size_t i);
/* The matches a rule has: its matches list; for gRPC an absent or empty list is one
 * implicit catch-all match (HTTP matches are defaulted before the rules run). */
size_t route_rule_nmatches(const json_t *rule, bool grpc);

/* WX-RULE-SHADOW over spec.rules. For gRPC an absent or empty matches list is a
 * catch-all match (HTTP matches are defaulted before the rules run). */
void route_check_shadow(const json_t *rules, bool grpc, struct findings *fs);

/* The per-kind parts of a route check: the rule-level checks and the filter-list
 * checks (run on the rule's filters and on each backendRef's filters). */
struct route_kind_checks {
	const char *match_total_rule; /* HR-MATCH-TOTAL or GR-MATCH-COUNT */
	bool grpc;
	void (*check_rule)(const json_t *rule, struct path *p, struct findings *fs);
	void (*check_filters)(const json_t *owner, struct path *p, struct findings *fs);
};

/* The whole route: parentRefs, hostnames, the match total, then per rule the kind's
 * rule checks, its filters and its backendRefs (and their filters), then shadowing. */
void route_check_spec(const json_t *obj, const struct route_kind_checks *kc, struct findings *fs);

#endif
