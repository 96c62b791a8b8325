/*
 * check_httproute: the HTTPRoute rules the schema table cannot express: the CEL rules of
 * section 4 (path matches, filter unions and combinations, ReplacePrefixMatch, path
 * modifiers, redirect status codes, timeouts, CORS wildcards), the old-webhook rules and
 * the WX rules, plus the route-common ones from check_route.c.
 *
 * The object is defaulted already, so a rule without matches carries one PathPrefix "/"
 * match and ReplacePrefixMatch on it is legal, exactly as upstream. Where upstream uses
 * CEL's exists_one (ReplacePrefixMatch), this uses "exists": two such filters are broken
 * either way and the repeat rule reports them too.
 */
#include "checks.h"

#include <string.h>

#include "findings.h"
#include "jv.h"
#include "path.h"
#include "pattern.h"
#include "route_int.h"
#include "schema.h"

static const struct route_filter_kind http_filter_kinds[] = {
	{ "CORS", "cors" },
	{ "RequestHeaderModifier", "requestHeaderModifier" },
	{ "ResponseHeaderModifier", "responseHeaderModifier" },
	{ "RequestMirror", "requestMirror" },
	{ "RequestRedirect", "requestRedirect" },
	{ "URLRewrite", "urlRewrite" },
	{ "ExtensionRef", "extensionRef" },
	{ NULL, NULL },
};

static const char *const http_no_repeat[] = {
	"CORS", "RequestHeaderModifier", "ResponseHeaderModifier", "RequestRedirect", "URLRewrite", NULL,
};

/* ---- path matches ---- */

static void path_fail(const char *rule, const char *what, const char *value, const struct path *p,
		      struct findings *fs)
{
	char q[128];

	schema_quote(value, strlen(value), q, sizeof(q));
	findings_add(fs, rule, path_str(p), "%s when type one of ['Exact', 'PathPrefix'] (value %s)", what, q);
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t sl = strlen(suffix);

	return len >= sl && memcmp(s + len - sl, suffix, sl) == 0;
}

/* Whether v can hold one of check_plain_path's sequences: each has a '%' or a '#', or
 * a '/' followed by '/' or '.'. One pass, where the search for each sequence was six. */
static bool may_hold_seq(const char *v, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (v[i] == '%' || v[i] == '#' || (v[i] == '/' && i + 1 < len && (v[i + 1] == '/' || v[i + 1] == '.')))
			return true;
	return false;
}

/* HR-PATH-ABS/SEQ/SUFFIX/CHARS for an Exact or PathPrefix value (p at the path match) */
static void check_plain_path(const char *v, size_t len, const struct path *p, struct findings *fs)
{
	static const char *const seqs[] = { "//", "/./", "/../", "%2f", "%2F", "#", NULL };
	/* none of them can be there: start at the list's end */
	const char *const *first = may_hold_seq(v, len) ? seqs : &seqs[sizeof(seqs) / sizeof(seqs[0]) - 1];
	char what[64], q[128];

	if (len == 0 || v[0] != '/')
		path_fail("HR-PATH-ABS", "value must be an absolute path and start with '/'", v, p, fs);
	for (const char *const *s = first; *s; s++) {
		if (memmem(v, len, *s, strlen(*s)) == NULL)
			continue;
		snprintf(what, sizeof(what), "must not contain '%s'", *s);
		path_fail("HR-PATH-SEQ", what, v, p, fs);
	}
	if (ends_with(v, len, "/.."))
		path_fail("HR-PATH-SUFFIX", "must not end with '/..'", v, p, fs);
	if (ends_with(v, len, "/."))
		path_fail("HR-PATH-SUFFIX", "must not end with '/.'", v, p, fs);
	if (!pattern_match(PAT_PATH, v, len)) {
		schema_quote(v, len, q, sizeof(q));
		findings_add(fs, "HR-PATH-CHARS", path_str(p),
			     "must only contain valid characters (matching %s) for types ['Exact', 'PathPrefix'] (value %s; percent-encode other characters)",
			     pattern_source(PAT_PATH), q);
	}
}

static void check_path_match(const json_t *pm, struct path *p, struct findings *fs)
{
	static const char *const keys[] = { "type", "value" };
	json_t *pv[2];
	const char *type, *v;
	size_t len, m;

	jv_pick(pm, keys, 2, pv);
	type = jv_as_str(pv[0]);
	v = jv_as_str(pv[1]);
	len = v != NULL ? json_string_length(pv[1]) : 0;
	m = path_key(p, "path");

	if (type != NULL && v != NULL) {
		if (strcmp(type, "Exact") == 0 || strcmp(type, "PathPrefix") == 0) {
			check_plain_path(v, len, p, fs);
		} else if (strcmp(type, "RegularExpression") == 0) {
			size_t mv = path_key(p, "value");

			route_check_regex(v, len, p, fs);
			path_pop(p, mv);
		}
	}
	path_pop(p, m);
}

static void check_query_params(const json_t *qps, struct path *p, struct findings *fs)
{
	size_t mq = path_key(p, "queryParams");

	for (size_t k = 0; k < jv_size(qps); k++) {
		const json_t *qp = json_array_get(qps, k);
		size_t m = path_idx(p, k);

		if (jv_streq(qp, "type", "RegularExpression")) {
			size_t mv = path_key(p, "value");

			route_check_regex(jv_str(qp, "value"), jv_strlen(qp, "value"), p, fs);
			path_pop(p, mv);
		}
		path_pop(p, m);
	}
	path_pop(p, mq);
}

static void check_matches(const json_t *matches, struct path *p, struct findings *fs)
{
	static const char *const keys[] = { "path", "headers", "queryParams" };
	size_t mm = path_key(p, "matches");

	for (size_t j = 0; j < jv_size(matches); j++) {
		json_t *mv[3];
		size_t m = path_idx(p, j);

		jv_pick(json_array_get(matches, j), keys, 3, mv);
		check_path_match(jv_as_obj(mv[0]), p, fs);
		route_check_header_matches(jv_as_arr(mv[1]), p, fs);
		check_query_params(jv_as_arr(mv[2]), p, fs);
		path_pop(p, m);
	}
	path_pop(p, mm);
}

/* ---- filters ---- */

/* HR-PATHMOD CEL (p at the redirect or rewrite) */
static void check_path_modifier(const json_t *pm, struct path *p, struct findings *fs)
{
	static const char *const kinds[][2] = {
		{ "ReplaceFullPath", "replaceFullPath" },
		{ "ReplacePrefixMatch", "replacePrefixMatch" },
	};
	const char *type = jv_str(pm, "type");
	size_t m;

	if (type == NULL)
		return;
	m = path_key(p, "path");
	for (size_t i = 0; i < 2; i++) {
		bool has = jv_get(pm, kinds[i][1]) != NULL;
		bool is = strcmp(type, kinds[i][0]) == 0;

		if (is && !has)
			findings_add(fs, "HR-PATHMOD", path_str(p), "%s must be specified when type is set to '%s'",
				     kinds[i][1], kinds[i][0]);
		else if (has && !is)
			findings_add(fs, "HR-PATHMOD", path_str(p), "type must be '%s' when %s is set",
				     kinds[i][0], kinds[i][1]);
	}
	path_pop(p, m);
}

static void check_hostname_member(const json_t *obj, struct path *p, struct findings *fs)
{
	size_t m = path_key(p, "hostname");

	route_check_hostname(jv_str(obj, "hostname"), p, fs);
	path_pop(p, m);
}

static void check_redirect(const json_t *r, struct path *p, struct findings *fs)
{
	size_t m = path_key(p, "requestRedirect");
	long long code;

	check_hostname_member(r, p, fs);
	check_path_modifier(jv_obj(r, "path"), p, fs);
	if (jv_int(r, "statusCode", &code) && code != 301 && code != 302 && code != 303 && code != 307 &&
	    code != 308) {
		size_t ms = path_key(p, "statusCode");

		findings_add(fs, "HR-REDIRECT", path_str(p),
			     "Unsupported value: %lld: supported values: \"301\", \"302\", \"303\", \"307\", \"308\"", code);
		path_pop(p, ms);
	}
	path_pop(p, m);
}

static void check_rewrite(const json_t *r, struct path *p, struct findings *fs)
{
	size_t m = path_key(p, "urlRewrite");

	check_hostname_member(r, p, fs);
	check_path_modifier(jv_obj(r, "path"), p, fs);
	path_pop(p, m);
}

/* HR-CORS: '*' only alone in one list */
static void check_cors_list(const json_t *cors, const char *key, const char *msg, struct path *p,
			    struct findings *fs)
{
	const json_t *list = jv_arr(cors, key);
	bool star = false;
	size_t m;

	for (size_t i = 0; i < jv_size(list); i++) {
		const char *s = json_string_value(json_array_get(list, i));

		star = star || (s != NULL && strcmp(s, "*") == 0);
	}
	if (!star || jv_size(list) < 2)
		return;
	m = path_key(p, key);
	findings_add(fs, "HR-CORS", path_str(p), "%s; use either '*' alone or a list of explicit values", msg);
	path_pop(p, m);
}

static void check_cors(const json_t *cors, struct path *p, struct findings *fs)
{
	size_t m = path_key(p, "cors");

	check_cors_list(cors, "allowOrigins", "AllowOrigins cannot contain '*' alongside other origins", p, fs);
	check_cors_list(cors, "allowMethods", "AllowMethods cannot contain '*' alongside other methods", p, fs);
	/* "methods" in the headers message is upstream's wording */
	check_cors_list(cors, "allowHeaders", "AllowHeaders cannot contain '*' alongside other methods", p, fs);
	path_pop(p, m);
}

static void check_filter(const json_t *f, struct path *p, struct findings *fs)
{
	static const char *const keys[] = { "requestRedirect", "urlRewrite", "cors" };
	json_t *fv[3];

	route_check_filter_union(f, http_filter_kinds, "HR-FLT-UNION", p, fs);
	route_check_common_filter(f, p, fs);
	jv_pick(f, keys, 3, fv);
	if (jv_as_obj(fv[0]) != NULL)
		check_redirect(fv[0], p, fs);
	if (jv_as_obj(fv[1]) != NULL)
		check_rewrite(fv[1], p, fs);
	if (jv_as_obj(fv[2]) != NULL)
		check_cors(fv[2], p, fs);
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
		size_t m = path_idx(p, k);

		check_filter(json_array_get(filters, k), p, fs);
		path_pop(p, m);
	}
	if (route_filters_have_types(filters, "RequestRedirect", "URLRewrite"))
		findings_add(fs, "HR-FLT-REDIRECT-REWRITE", path_str(p),
			     "May specify either httpRouteFilterRequestRedirect or httpRouteFilterRequestRewrite, but not both; keep one of them");
	route_check_filter_repeat(filters, http_no_repeat, "HR-FLT-REPEAT", p, fs);
	path_pop(p, mf);
}

/* ---- rule-level CEL ---- */

/* CEL: has(f.<field>) && has(f.<field>.path) && path.type == 'ReplacePrefixMatch' &&
 * has(path.replacePrefixMatch) for some filter of the list */
static bool has_prefix_replace(const json_t *filters, const char *field)
{
	for (size_t i = 0; i < jv_size(filters); i++) {
		const json_t *pm = jv_obj(jv_obj(json_array_get(filters, i), field), "path");

		if (jv_streq(pm, "type", "ReplacePrefixMatch") && jv_get(pm, "replacePrefixMatch") != NULL)
			return true;
	}
	return false;
}

static bool backends_have_prefix_replace(const json_t *refs, const char *field)
{
	for (size_t i = 0; i < jv_size(refs); i++)
		if (has_prefix_replace(jv_arr(json_array_get(refs, i), "filters"), field))
			return true;
	return false;
}

/* size(matches) == 1 && matches[0].path.type == 'PathPrefix' */
static bool single_prefix_match(const json_t *matches)
{
	return jv_size(matches) == 1 && jv_streq(jv_obj(json_array_get(matches, 0), "path"), "type", "PathPrefix");
}

/* the members of a rule its checks read, picked at once */
enum { RULE_MATCHES, RULE_FILTERS, RULE_BACKENDS, RULE_TIMEOUTS, RULE_KEYS };

static void check_prefix_match(json_t *const *rm, const struct path *p, struct findings *fs)
{
	static const char tail[] = "with path.replacePrefixMatch, exactly one PathPrefix match must be specified";
	const json_t *matches = jv_as_arr(rm[RULE_MATCHES]);
	const json_t *filters = jv_as_arr(rm[RULE_FILTERS]);
	const json_t *refs = jv_as_arr(rm[RULE_BACKENDS]);

	if (matches == NULL || single_prefix_match(matches))
		return;
	if (has_prefix_replace(filters, "requestRedirect"))
		findings_add(fs, "HR-PREFIXMATCH", path_str(p), "When using RequestRedirect filter %s", tail);
	if (has_prefix_replace(filters, "urlRewrite"))
		findings_add(fs, "HR-PREFIXMATCH", path_str(p), "When using URLRewrite filter %s", tail);
	if (backends_have_prefix_replace(refs, "requestRedirect"))
		findings_add(fs, "HR-PREFIXMATCH", path_str(p),
			     "Within backendRefs, when using RequestRedirect filter %s", tail);
	if (backends_have_prefix_replace(refs, "urlRewrite"))
		findings_add(fs, "HR-PREFIXMATCH", path_str(p),
			     "Within backendRefs, When using URLRewrite filter %s", tail);
}

static void check_redirect_backends(json_t *const *rm, const struct path *p, struct findings *fs)
{
	const json_t *filters = jv_as_arr(rm[RULE_FILTERS]);

	if (jv_size(jv_as_arr(rm[RULE_BACKENDS])) == 0)
		return;
	for (size_t i = 0; i < jv_size(filters); i++) {
		if (jv_get(json_array_get(filters, i), "requestRedirect") == NULL)
			continue;
		findings_add(fs, "HR-REDIRECT-BACKENDREFS", path_str(p),
			     "RequestRedirect filter must not be used together with backendRefs; remove the backendRefs or the redirect");
		return;
	}
}

static void check_timeouts(const json_t *t, struct path *p, struct findings *fs)
{
	const char *req = jv_str(t, "request"), *back = jv_str(t, "backendRequest");
	unsigned long long rq, bk;
	size_t m;

	if (req == NULL || back == NULL || !pattern_duration_ms(req, strlen(req), &rq) ||
	    !pattern_duration_ms(back, strlen(back), &bk))
		return;
	/* a request timeout of 0s disables it, so any backendRequest fits */
	if (rq == 0 || bk <= rq)
		return;
	m = path_key(p, "timeouts");
	findings_add(fs, "HR-TIMEOUT-ORDER", path_str(p),
		     "backendRequest timeout cannot be longer than request timeout (%s > %s); lower backendRequest or raise request",
		     back, req);
	path_pop(p, m);
}

static void check_rule(const json_t *rule, struct path *p, struct findings *fs)
{
	static const char *const keys[RULE_KEYS] = { "matches", "filters", "backendRefs", "timeouts" };
	json_t *rm[RULE_KEYS];

	jv_pick(rule, keys, RULE_KEYS, rm);
	check_matches(jv_as_arr(rm[RULE_MATCHES]), p, fs);
	check_redirect_backends(rm, p, fs);
	check_prefix_match(rm, p, fs);
	check_timeouts(jv_as_obj(rm[RULE_TIMEOUTS]), p, fs);
}

static const struct route_kind_checks kind_checks = {
	.match_total_rule = "HR-MATCH-TOTAL",
	.grpc = false,
	.check_rule = check_rule,
	.check_filters = check_filters,
};

void check_httproute(const json_t *obj, struct findings *fs)
{
	route_check_spec(obj, &kind_checks, fs);
}
