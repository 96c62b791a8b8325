/*
 * policy_int: the policy set's internal model, shared by policy.c (building),
 * policy_svc.c (Services) and policy_check.c (Gateways, routes). Not a public API.
 */
#ifndef CORE_POLICY_INT_H
#define CORE_POLICY_INT_H

#include <jansson.h>
#include <stdbool.h>

#include "policy.h"

enum policy_kind {
	POLICY_SERVICE = 0,    /* ServicePolicy */
	POLICY_GWDEFAULTS,     /* GatewayDefaults */
	POLICY_HOSTNAMES,      /* HostnameOwnership */
	POLICY_INFRA,          /* InfrastructureAnnotations */
	POLICY_KYVERNO,        /* one rule of a Kyverno ClusterPolicy/Policy */
};

/* Which Gateways a policy applies to; NULL members are "any". All owned. */
struct policy_select {
	json_t *classes;        /* array of gatewayClassName strings */
	json_t *namespaces;     /* array of namespace names */
	json_t *ns_selector;    /* label selector on the namespace's labels */
	json_t *selector;       /* label selector on the Gateway's labels */
	json_t *annotations;    /* object: Gateway annotation key -> required value */
};

struct policy_rule {
	enum policy_kind kind;
	char *source;           /* "file: Kind name" (owned) */
	struct policy_select sel;
	/* ServicePolicy, GatewayDefaults */
	json_t *annotations;    /* object of strings, owned */
	json_t *labels;         /* object of strings, owned */
	char *lb_class;         /* owned, NULL when unset */
	bool external_dns;
	bool https_only;        /* GatewayDefaults: only Gateways with an HTTPS listener */
	/* HostnameOwnership: owners array of {name?, namespaces?, namespaceSelector?,
	 * hostnames}; InfrastructureAnnotations: rules array of {namespaces?,
	 * namespaceSelector?, allowedKeys} (owned) */
	json_t *entries;
	bool exclusive;
	/* Kyverno */
	json_t *match_any;      /* array of resources filters, or NULL */
	json_t *match_all;      /* array of resources filters, or NULL */
	char *policy_ns;        /* namespaced Policy: only its namespace (owned) */
	json_t *psm;            /* patchStrategicMerge (owned) */
	bool apply_one;         /* spec.applyRules: One (stop after this rule matched) */
	size_t policy_id;       /* rules of one Kyverno policy share it */
};

struct policy_set {
	struct policy_rule *v;
	size_t n, cap;
	size_t ndocs;
	uint64_t gen;           /* policy_set_generation */
};

/* policy_service_patch with the owning Gateway given (owner non-NULL: a Gateway
 * being admitted, which the view may not hold yet) instead of looked up. */
int policy_service_patch_gw(const struct policy_set *s, const struct view *v, const json_t *svc,
			    const json_t *old_svc, const json_t *owner, json_t **ret_patch,
			    struct findings *warnings, struct err *err);
/* The namespace of an object (metadata.namespace, "default" when unset). */
const char *policy_obj_ns(const json_t *obj);
/* Does sel select the Gateway gw? */
bool policy_select_gateway(const struct policy_select *sel, const struct view *v, const json_t *gw);
/* Does an entry's namespaces / namespaceSelector select namespace ns? An entry with
 * neither selects nothing. */
bool policy_entry_selects_ns(const json_t *entry, const struct view *v, const char *ns);
/* Shell-style match: '*' any run, '?' one character. */
bool policy_glob(const char *pat, const char *s);

#endif
