/*
 * defaults: see defaults.h. Each helper sets a member only when it is absent (or null,
 * which the API server prunes before defaulting) and the container is an object.
 */
#include "defaults.h"

#include <stdbool.h>

#include "err.h"
#include "jv.h"

/* Set a member the caller found missing. Every key here is a literal, valid UTF-8, so
 * jansson's key check is skipped (and default_str's values are literals too). */
static int put(json_t *obj, const char *key, json_t *value)
{
	if (value == NULL)
		return ERR_NOMEM;
	return json_object_set_new_nocheck(obj, key, value) == 0 ? 0 : ERR_NOMEM;
}

/* Building a default costs an allocation, so ask first: most objects set most fields. */
static bool missing(const json_t *obj, const char *key)
{
	const json_t *cur;

	if (!json_is_object(obj))
		return false;
	cur = json_object_get(obj, key);
	return cur == NULL || json_is_null(cur);
}

static int default_str(json_t *obj, const char *key, const char *value)
{
	return missing(obj, key) ? put(obj, key, json_string_nocheck(value)) : 0;
}

static int default_int(json_t *obj, const char *key, json_int_t value)
{
	return missing(obj, key) ? put(obj, key, json_integer(value)) : 0;
}

static json_t *default_path_match(void)
{
	return json_pack("{s:s, s:s}", "type", "PathPrefix", "value", "/");
}

/* the members of a backendRef that get defaults (and its filters), picked at once */
static const char *const bref_keys[] = { "group", "kind", "weight", "filters" };
enum { BREF_GROUP, BREF_KIND, BREF_WEIGHT, BREF_FILTERS, BREF_KEYS };

/* group "" + kind Service (+ weight 1 for backendRefs) into ref; *filters (when not
 * NULL) is set to its filters list, or NULL */
static int default_backend_ref(json_t *ref, int with_weight, json_t **filters)
{
	json_t *m[BREF_KEYS];
	int rc = 0;

	jv_pick(ref, bref_keys, BREF_KEYS, m);
	if (filters != NULL)
		*filters = jv_as_arr(m[BREF_FILTERS]);
	if (!json_is_object(ref))
		return 0;
	if (m[BREF_GROUP] == NULL)
		rc |= put(ref, "group", json_string_nocheck(""));
	if (m[BREF_KIND] == NULL)
		rc |= put(ref, "kind", json_string_nocheck("Service"));
	if (with_weight && m[BREF_WEIGHT] == NULL)
		rc |= put(ref, "weight", json_integer(1));
	return rc;
}

static int default_filters(json_t *filters)
{
	static const char *const keys[] = { "requestMirror", "requestRedirect", "cors" };
	size_t i;
	json_t *f;
	int rc = 0;

	json_array_foreach(filters, i, f) {
		json_t *fm[3], *mirror, *redirect;

		jv_pick(f, keys, 3, fm);
		mirror = jv_as_obj(fm[0]);
		redirect = jv_as_obj(fm[1]);
		if (mirror) {
			rc |= default_backend_ref(jv_obj(mirror, "backendRef"), 0, NULL);
			rc |= default_int(jv_obj(mirror, "fraction"), "denominator", 100);
		}
		if (redirect)
			rc |= default_int(redirect, "statusCode", 302);
		rc |= default_int(jv_as_obj(fm[2]), "maxAge", 5);
	}
	return rc;
}

static int default_route_common(json_t *spec)
{
	size_t i;
	json_t *ref;
	int rc = 0;

	json_array_foreach(jv_arr(spec, "parentRefs"), i, ref) {
		rc |= default_str(ref, "group", "gateway.networking.k8s.io");
		rc |= default_str(ref, "kind", "Gateway");
	}
	return rc;
}

/* the filters and backendRefs of a rule (its members filters and backendRefs) */
static int default_rule_backends(json_t *filters, json_t *refs)
{
	size_t i;
	json_t *b;
	int rc = 0;

	rc |= default_filters(filters);
	json_array_foreach(refs, i, b) {
		json_t *bf;

		rc |= default_backend_ref(b, 1, &bf);
		rc |= default_filters(bf);
	}
	return rc;
}

static int default_httproute(json_t *spec)
{
	json_t *rules, *rule;
	size_t i;
	int rc = default_route_common(spec);

	if (!json_is_object(spec))
		return rc;
	/* An absent rules list becomes one catch-all rule; an explicit [] stays (and fails). */
	if (missing(spec, "rules"))
		rc |= put(spec, "rules", json_pack("[{s:[o]}]", "matches",
						   json_pack("{s:o}", "path", default_path_match())));
	rules = jv_arr(spec, "rules");
	json_array_foreach(rules, i, rule) {
		static const char *const rule_keys[] = { "matches", "filters", "backendRefs" };
		static const char *const match_keys[] = { "path", "headers", "queryParams" };
		static const char *const path_keys[] = { "type", "value" };
		json_t *rm[3], *matches, *m;
		size_t j;

		if (!json_is_object(rule))
			continue;
		jv_pick(rule, rule_keys, 3, rm);
		if (rm[0] == NULL) {
			rc |= put(rule, "matches", json_pack("[{s:o}]", "path", default_path_match()));
			rm[0] = json_object_get(rule, "matches");
		}
		matches = jv_as_arr(rm[0]);
		json_array_foreach(matches, j, m) {
			json_t *mm[3], *pm[2], *h;
			size_t k;

			if (!json_is_object(m))
				continue;
			jv_pick(m, match_keys, 3, mm);
			if (mm[0] == NULL) {
				rc |= put(m, "path", default_path_match());
				mm[0] = json_object_get(m, "path");
			}
			if (json_is_object(mm[0])) {
				jv_pick(mm[0], path_keys, 2, pm);
				if (pm[0] == NULL)
					rc |= put(mm[0], "type", json_string_nocheck("PathPrefix"));
				if (pm[1] == NULL)
					rc |= put(mm[0], "value", json_string_nocheck("/"));
			}
			json_array_foreach(jv_as_arr(mm[1]), k, h)
				rc |= default_str(h, "type", "Exact");
			json_array_foreach(jv_as_arr(mm[2]), k, h)
				rc |= default_str(h, "type", "Exact");
		}
		rc |= default_rule_backends(jv_as_arr(rm[1]), jv_as_arr(rm[2]));
	}
	return rc;
}

static int default_grpcroute(json_t *spec)
{
	json_t *rule;
	size_t i;
	int rc = default_route_common(spec);

	json_array_foreach(jv_arr(spec, "rules"), i, rule) {
		json_t *m;
		size_t j;

		json_array_foreach(jv_arr(rule, "matches"), j, m) {
			json_t *h;
			size_t k;

			rc |= default_str(jv_obj(m, "method"), "type", "Exact");
			json_array_foreach(jv_arr(m, "headers"), k, h)
				rc |= default_str(h, "type", "Exact");
		}
		rc |= default_rule_backends(jv_arr(rule, "filters"), jv_arr(rule, "backendRefs"));
	}
	return rc;
}

static int default_gateway(json_t *spec)
{
	json_t *l, *a;
	size_t i;
	int rc = 0;

	json_array_foreach(jv_arr(spec, "listeners"), i, l) {
		json_t *ar, *ns, *tls, *k, *c;
		size_t j;

		if (!json_is_object(l))
			continue;
		if (missing(l, "allowedRoutes"))
			rc |= put(l, "allowedRoutes", json_pack("{s:{s:s}}", "namespaces", "from", "Same"));
		ar = jv_obj(l, "allowedRoutes");
		if (missing(ar, "namespaces"))
			rc |= put(ar, "namespaces", json_pack("{s:s}", "from", "Same"));
		ns = jv_obj(ar, "namespaces");
		rc |= default_str(ns, "from", "Same");
		json_array_foreach(jv_arr(ar, "kinds"), j, k)
			rc |= default_str(k, "group", "gateway.networking.k8s.io");
		tls = jv_obj(l, "tls");
		if (tls) {
			rc |= default_str(tls, "mode", "Terminate");
			json_array_foreach(jv_arr(tls, "certificateRefs"), j, c) {
				rc |= default_str(c, "group", "");
				rc |= default_str(c, "kind", "Secret");
			}
		}
	}
	json_array_foreach(jv_arr(spec, "addresses"), i, a)
		rc |= default_str(a, "type", "IPAddress");
	if (jv_obj(spec, "allowedListeners")) {
		json_t *al = jv_obj(spec, "allowedListeners");

		if (missing(al, "namespaces"))
			rc |= put(al, "namespaces", json_pack("{s:s}", "from", "None"));
		rc |= default_str(jv_obj(al, "namespaces"), "from", "None");
	}
	{
		json_t *tls = jv_obj(spec, "tls");
		json_t *front = jv_obj(tls, "frontend");
		json_t *def = jv_obj(front, "default");
		json_t *cc = jv_obj(jv_obj(tls, "backend"), "clientCertificateRef");
		json_t *pp;

		rc |= default_str(jv_obj(def, "validation"), "mode", "AllowValidOnly");
		json_array_foreach(jv_arr(front, "perPort"), i, pp)
			rc |= default_str(jv_obj(jv_obj(pp, "tls"), "validation"), "mode", "AllowValidOnly");
		rc |= default_str(cc, "group", "");
		rc |= default_str(cc, "kind", "Secret");
	}
	return rc;
}

/* TCPRoute and UDPRoute (v1alpha2): parentRefs and backendRefs only (no filters). */
static int default_l4route(json_t *spec)
{
	json_t *rule, *b;
	size_t i, j;
	int rc = default_route_common(spec);

	json_array_foreach(jv_arr(spec, "rules"), i, rule)
		json_array_foreach(jv_arr(rule, "backendRefs"), j, b)
			rc |= default_backend_ref(b, 1, NULL);
	return rc;
}

int defaults_apply(enum kind k, json_t *obj)
{
	json_t *spec = jv_obj(obj, "spec");
	int rc;

	switch (k) {
	case KIND_GATEWAY: rc = default_gateway(spec); break;
	case KIND_HTTPROUTE: rc = default_httproute(spec); break;
	case KIND_GRPCROUTE: rc = default_grpcroute(spec); break;
	case KIND_TCPROUTE:
	case KIND_UDPROUTE: rc = default_l4route(spec); break;
	default: rc = 0; break;
	}
	return rc ? ERR_NOMEM : 0;
}
