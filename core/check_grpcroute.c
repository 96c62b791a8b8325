/*
 * check_grpcroute: the GRPCRoute rules the schema table cannot express. GRPCRoute
 * shares parentRefs, hostnames, backendRefs, header modifiers, mirror and extensionRef
 * with HTTPRoute (check_route.c, reported under the HR/OW/WX ids); its own CEL rules are
 * the method match (GR-METHOD), the filter union (GR-FLT-UNION), the non-repeatable
 * header modifiers (GR-FLT-REPEAT) and the 128-match total (GR-MATCH-COUNT).
 *
 * A regular-expression service or method that RE2 cannot compile is WX-REGEX-COMPILE,
 * like every other regex: upstream does not check it, and one id per concern keeps
 * `--rule WX-REGEX-COMPILE=off` meaningful.
 */
#include "checks.h"

#include <string.h>

#include "findings.h"
#include "jv.h"
#include "path.h"
#include "pattern.h"
#include "route_int.h"
#include "schema.h"

static const struct route_filter_kind grpc_filter_kinds[] = {
	{ "RequestHeaderModifier", "requestHeaderModifier" },
	{ "ResponseHeaderModifier", "responseHeaderModifier" },
	{ "RequestMirror", "requestMirror" },
	{ "ExtensionRef", "extensionRef" },
	{ NULL, NULL },
};

static const char *const grpc_no_repeat[] = { "RequestHeaderModifier", "ResponseHeaderModifier", NULL };

/* the service and method members of a method match, with the Exact-type pattern of each */
static const struct {
	const char *key;
	enum pattern_id pat;
} method_parts[] = {
	{ "service", PAT_GRPC_SERVICE },
	{ "method", PAT_GRPC_METHOD },
};

static void check_method_part(const json_t *mm, size_t i, bool exact, bool regex, struct path *p,
			      struct findings *fs)
{
	const char *key = method_parts[i].key;
	const char *s = jv_str(mm, key);
	size_t len = jv_strlen(mm, key);
	size_t m;

	if (s == NULL)
		return;
	if (exact && !pattern_match(method_parts[i].pat, s, len)) {
		char q[128];

		schema_quote(s, len, q, sizeof(q));
		findings_add(fs, "GR-METHOD", path_str(p),
			     "%s must only contain valid characters (matching %s) (%s %s; use type RegularExpression for patterns)",
			     key, pattern_source(method_parts[i].pat), key, q);
	}
	if (regex) {
		m = path_key(p, key);
		route_check_regex(s, len, p, fs);
		path_pop(p, m);
	}
}

/* GR-METHOD CEL (p at the match) */
static void check_method(const json_t *mm, struct path *p, struct findings *fs)
{
	const char *type = jv_str(mm, "type");
	bool exact, regex;
	size_t m;

	if (mm == NULL || (type == NULL && jv_get(mm, "type") != NULL))
		return;
	exact = type == NULL || strcmp(type, "Exact") == 0;
	regex = type != NULL && strcmp(type, "RegularExpression") == 0;
	m = path_key(p, "method");
	if (type != NULL && jv_get(mm, "service") == NULL && jv_get(mm, "method") == NULL)
		findings_add(fs, "GR-METHOD", path_str(p),
			     "One or both of 'service' or 'method' must be specified; set service, method or both");
	for (size_t i = 0; i < 2; i++)
		check_method_part(mm, i, exact, regex, p, fs);
	path_pop(p, m);
}

static void check_matches(const json_t *rule, struct path *p, struct findings *fs)
{
	const json_t *matches = jv_arr(rule, "matches");
	size_t mm = path_key(p, "matches");

	for (size_t j = 0; j < jv_size(matches); j++) {
		const json_t *match = json_array_get(matches, j);
		size_t m = path_idx(p, j);

		check_method(jv_obj(match, "method"), p, fs);
		route_check_header_matches(jv_arr(match, "headers"), p, fs);
		path_pop(p, m);
	}
	path_pop(p, mm);
}

/* a filters list of a rule or of a backendRef (p at its owner) */
static void check_filters(const json_t *owner, struct path *p, struct findings *fs)
{
	const json_t *filters = jv_arr(owner, "filters");
	size_t mf;

	if (filters == NULL)
		return;
	mf = path_key(p, "filters");
	for (size_t k = 0; k < jv_size(filters); k++) {
		const json_t *f = json_array_get(filters, k);
		size_t m = path_idx(p, k);

		route_check_filter_union(f, grpc_filter_kinds, "GR-FLT-UNION", p, fs);
		route_check_common_filter(f, p, fs);
		path_pop(p, m);
	}
	route_check_filter_repeat(filters, grpc_no_repeat, "GR-FLT-REPEAT", p, fs);
	path_pop(p, mf);
}

static const struct route_kind_checks kind_checks = {
	.match_total_rule = "GR-MATCH-COUNT",
	.grpc = true,
	.check_rule = check_matches,
	.check_filters = check_filters,
};

void check_grpcroute(const json_t *obj, struct findings *fs)
{
	route_check_spec(obj, &kind_checks, fs);
}
